#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of "make demo": a narrated tour, not a test.
#
# This VM is a fleet host. Its fleet fleet0 has four planes, wg0..wg3,
# brought up by wgplanes-quick from a directory of plane files that the demo
# writes and shows; a second "host" (the network namespace "peer", one veth
# away) has one WireGuard tunnel end per plane. We ping over each plane,
# flood the backend plane with iperf3 and watch the mgmt plane's ping
# latency. The raw ping outputs go to /run/vm (tools/vm/run --out), from
# which tools/demo plots them on the host. Exits non-zero when a tunnel
# does not come up.
#
# DEMO_FAR=pinned (the default): the peer host is another fleet host, its
# planes kept to their CPUs like ours (mgmt CPU 0, backend CPU 1): a real
# second host has CPUs of its own, and in this one VM that is how it keeps
# off ours. DEMO_FAR=stock: the peer host runs four stock WireGuard
# interfaces, whose crypto runs on both of the VM's CPUs, flood included.
set -e
cd "$(dirname "$0")/.."
top=$PWD
WGPLANES=${WGPLANES:-$top/tools/wgplanes/wgplanes}
PATH=$(dirname "$WGPLANES"):$top/tools/quick:$PATH
# wgplanes-quick runs $WGPLANES; by name when it is on PATH, so that the
# commands it shows read as an operator's.
[ "${WGPLANES##*/}" != wgplanes ] || WGPLANES=wgplanes
export WGPLANES
SECS=${DEMO_SECONDS:-6}
FAR=${DEMO_FAR:-pinned}
ROLES=(enroll mgmt backend storage)

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
story() { printf '\n\033[1;34m# %s\033[0m\n' "$*"; }
die() { printf '\n\033[1;31mdemo: %s\033[0m\n' "$*"; exit 1; }

tmp=$(mktemp -d)
cleanup() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null || true
	[ -z "$flood" ] || kill "$flood" 2>/dev/null || true
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	ip link del fleet0 2>/dev/null || true
	ip netns del peer 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
flood='' server=''
# set by latency()
p50_idle='' p99_idle='' p50_flooded='' p99_flooded=''
# Keep static keys steady under the flood (see selftests/hold_keys.sh).
selftests/hold_keys.sh &
holder=$!

# latency NS ADDR LABEL: SECS seconds of pings every 20 ms, from CPU 0;
# prints and remembers "p50 p99".
latency() {
	taskset -c 0 ip netns exec "$1" ping -n -i 0.02 -c $((SECS * 50)) \
		-w $((2 * SECS + 5)) "$2" > "$tmp/ping.$3" 2>&1 || true
	read -r p50 p99 max loss < <(python3 "$top/tools/bench/parse.py" stats \
		"$tmp/ping.$3")
	printf '  mgmt ping, %-26s p50 %s ms   p99 %s ms   max %s ms   loss %s%%\n' \
		"$3:" "$p50" "$p99" "$max" "$loss"
	eval "p50_$3=\$p50 p99_$3=\$p99"
}

story "A Debian kernel in qemu with wgplanes.ko loaded."
run uname -r
run sh -c 'lsmod | grep -E "^(Module|wgplanes|wireguard)"'

if [ "$FAR" = stock ]; then
	story "The other side: an ordinary host (namespace 'peer') with four
# stock WireGuard interfaces wg0..wg3, ports 51820-51823, one veth away."
else
	story "The other side: another fleet host (namespace 'peer') with its own
# fleet, one veth away. (DEMO_FAR=stock: four stock WireGuard interfaces.)"
fi
run ip netns add peer
run ip link add uplink type veth peer name eth0 netns peer
run ip addr add 192.168.50.1/24 dev uplink
run ip link set uplink up
ip -n peer link set lo up
run ip -n peer addr add 192.168.50.2/24 dev eth0
run ip -n peer link set eth0 up

umask 077
for i in 0 1 2 3; do
	wg genkey > "$tmp/fleet-$i.key"
	wg pubkey < "$tmp/fleet-$i.key" > "$tmp/fleet-$i.pub"
	wg genkey > "$tmp/peer-$i.key"
	wg pubkey < "$tmp/peer-$i.key" > "$tmp/peer-$i.pub"
done
umask 022

if [ "$FAR" = stock ]; then
	story "Stock WireGuard on the peer host, configured with wg as usual."
	for i in 0 1 2 3; do
		n=$((77 + i)) port=$((51820 + i))
		run ip -n peer link add wg$i type wireguard
		run ip netns exec peer wg set wg$i listen-port $port \
			private-key "$tmp/peer-$i.key" \
			peer "$(cat "$tmp/fleet-$i.pub")" \
			allowed-ips 10.$n.0.0/16 endpoint 192.168.50.1:$port
		run ip -n peer addr add 10.$n.0.2/16 dev wg$i
		run ip -n peer link set wg$i up
	done
else
	story "The peer host's fleet: each of its planes peers with ours, and its
# mgmt and backend planes keep to CPU 0 and CPU 1."
	run ip -n peer link add fleet0 type wgplanes
	for i in 0 1 2 3; do
		r=${ROLES[$i]} n=$((77 + i)) port=$((51820 + i))
		run ip netns exec peer wgplanes set "fleet0-$r" listen-port $port \
			private-key "$tmp/peer-$i.key" \
			peer "$(cat "$tmp/fleet-$i.pub")" \
			allowed-ips 10.$n.0.0/16 endpoint 192.168.50.1:$port
		run ip -n peer addr add 10.$n.0.2/16 dev "fleet0-$r"
		run ip -n peer link set "fleet0-$r" up
	done
	run ip netns exec peer wgplanes set fleet0-mgmt cpus 0
	run ip netns exec peer wgplanes set fleet0-backend cpus 1
fi

story "This host's fleet is a directory with one wg-quick style file per
# plane: the file name is the plane's device, Role its place in the fleet,
# [Policy] its resources. The backend plane gets CPU 1 only and a rate
# guard of 40 Mbit/s; the mgmt plane gets CPU 0, which no noisy plane has,
# and high-priority workers. (Private keys hidden here.)"
fleet=$tmp/fleet0
umask 077
mkdir "$fleet"
for i in 0 1 2 3; do
	r=${ROLES[$i]} n=$((77 + i)) port=$((51820 + i))
	{
		echo "[Interface]"
		echo "Role = $r"
		echo "Address = 10.$n.0.1/16"
		echo "ListenPort = $port"
		echo "PrivateKey = $(cat "$tmp/fleet-$i.key")"
		case $r in
		mgmt)
			printf '\n[Policy]\n%s\n%s\n' "CPUs = 0" \
				"Priority = high"
			;;
		backend)
			printf '\n[Policy]\n%s\n%s\n%s\n' "CPUs = 1" \
				"Rate = 40mbit" "Burst = 64k"
			;;
		esac
		echo
		echo "[Peer]"
		echo "PublicKey = $(cat "$tmp/peer-$i.pub")"
		echo "Endpoint = 192.168.50.2:$port"
		echo "AllowedIPs = 10.$n.0.2/32"
	} > "$fleet/wg$i.conf"
done
umask 022
run ls "$fleet"
for i in 0 1 2 3; do
	say "cat $fleet/wg$i.conf"
	sed 's/^\(PrivateKey[[:space:]]*=[[:space:]]*\).*/\1(hidden)/' \
		"$fleet/wg$i.conf"
done

story "wgplanes-quick brings the fleet up from the directory: it creates the
# fleet, renames each plane device to its file's name, and hands every plane
# its keys, peer and policy, its address, and a route for every allowed IP
# that the address does not cover already ([#] lines: what it ran)."
run wgplanes-quick up "$fleet" || die "wgplanes-quick up failed"
run ip -br link
run wgplanes fleet show fleet0

story "Each plane talks to its peer (the first ping waits for the
# handshake)."
for i in 0 1 2 3; do
	r=${ROLES[$i]} n=$((77 + i))
	ping -c 1 -W 5 10.$n.0.2 >/dev/null 2>&1 || true
	run ping -c 3 -i 0.2 -W 2 10.$n.0.2 ||
		die "the $r plane does not reach its peer"
done
run ip netns exec peer ping -c 2 -i 0.2 -W 2 10.78.0.1 ||
	die "the peer does not reach the mgmt plane"
run wgplanes show wg1

story "The policies came with the [Policy] sections of the files."
run wgplanes show wg2

story "mgmt latency at rest: the peer pings the fleet's mgmt address every
# 20 ms for $SECS s."
latency peer 10.78.0.1 idle

story "Now the backend plane is flooded: iperf3, TCP, 2 streams each way
# between the peer and the fleet's backend address. Both iperf3s run on
# CPU 1, as an operator would pin a metrics collector next to its plane.$(
[ "$FAR" != stock ] || printf '\n# %s\n# %s\n# %s' \
	"The peer 'host' shares this VM's two CPUs: its stock WireGuard" \
	"encrypts the flood on both of them, CPU 0 included, which a real" \
	"second host would not do: expect the mgmt latency to suffer here.")"
taskset -c 1 iperf3 -s -B 10.79.0.1 -p 5202 >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do
	ss -Htln | grep -q ':5202 ' && break
	sleep 0.1
done
say "taskset -c 1 ip netns exec peer iperf3 -c 10.79.0.1 -p 5202 --bidir -P 2 -t $((SECS + 6)) &"
taskset -c 1 ip netns exec peer iperf3 -c 10.79.0.1 -p 5202 --bidir -P 2 \
	-t $((SECS + 6)) -J > "$tmp/flood.json" 2>&1 &
flood=$!
sleep 3
latency peer 10.78.0.1 flooded
wait "$flood" || true
flood=
# The raw pings go back to the host (tools/vm/run --out), which plots them.
if [ -d /run/vm ] && [ -w /run/vm ]; then
	cp "$tmp/ping.idle" "$tmp/ping.flooded" /run/vm/
fi
python3 - "$tmp/flood.json" <<'EOF'
import json, sys
try:
    e = json.load(open(sys.argv[1]))["end"]
    up = e["sum_received"]["bits_per_second"] / 1e6
    down = e["sum_received_bidir_reverse"]["bits_per_second"] / 1e6
    print("  backend flood: %.0f Mbit/s into the fleet, %.0f Mbit/s out of it"
          % (up, down))
except Exception as x:
    print("  backend flood: no iperf3 result (%s)" % x)
EOF

story "mgmt ping p99: $p99_idle ms at rest, $p99_flooded ms with the backend
# plane flooded (p50 $p50_idle -> $p50_flooded ms). make bench measures this
# properly, side by side with stock WireGuard and tc."

story "What each plane did, with its policy and isolation counters."
run wgplanes show
run ip -s link show dev wg1
run ip -s link show dev wg2
run ip -s link show dev fleet0

story "wgplanes-quick takes the fleet down: it undoes what up did, and
# deleting the fleet deletes its planes."
run wgplanes-quick down "$fleet" || die "wgplanes-quick down failed"
run ip -br link
