#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10,000 peers, each with an IPv4 /32 and an IPv6 /128, set with setconf
# from a generated file into a stock wireguard device (wg) and into the
# DUT (a plane, configured with wgplanes): the DUT's dump lists every peer
# with its allowed IPs and equals the stock dump, sorted and unsorted, and
# showconf is identical; replacing them all (setconf again) keeps it so.
# Then the same on a plane that is up, with peers whose handshakes go
# unanswered and peers with live sessions to stock devices, under traffic:
# replacing, thinning out and emptying the set keeps the sessions working
# where peers stay, and unloading the module finds nothing leaked. Times
# are logged, never judged. With DUT=stock, the plane is a stock device
# too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop

NPEERS=${NPEERS:-10000}
new_ns sa
new_ns sb
DEV=fleet0-storage
T=$WG_TMP

check "stock device $DEV" ip -n "$sa" link add "$DEV" type wireguard
check "DUT $DEV (down)" dut_create_down "$sb" fleet0 storage
keypair if >/dev/null

# peer i: a random key, 10.1.x.y/32 and fd00:1::<i>/128 (i in hex)
python3 - "$NPEERS" "$(cat "$(keyfile if)")" > "$T/big.conf" <<'EOF'
import base64, os, sys
n = int(sys.argv[1])
out = ["[Interface]", "PrivateKey = " + sys.argv[2], "ListenPort = 51823", ""]
for i in range(1, n + 1):
    out += ["[Peer]",
            "PublicKey = " + base64.b64encode(os.urandom(32)).decode(),
            "AllowedIPs = 10.%d.%d.%d/32, fd00:1::%x/128" %
            (1 + (i >> 16), (i >> 8) & 255, i & 255, i),
            ""]
print("\n".join(out))
EOF
check_output "generated $NPEERS peers" "^$NPEERS\$" grep -c '^\[Peer\]' "$T/big.conf"

# timed ip netns exec NS TOOL ARGS...: run it and log how long it took
# (shown after the check), as "TOOL ARGS: N ms".
timed() {
	local t0 rc=0
	t0=$(date +%s%N)
	"$@" || rc=$?
	echo "$(basename "$5") ${*:6}: $((($(date +%s%N) - t0) / 1000000)) ms" \
		>> "$T/times"
	return $rc
}
# show_times: what timed logged since, one line a command; a command
# timed several times shows the median of its times, then each
show_times() {
	[ ! -s "$T/times" ] || sed "s|$T/||" "$T/times" | python3 -c '
import collections, statistics, sys
t = collections.defaultdict(list)
for line in sys.stdin:
    what, ms = line.rsplit(":", 1)
    t[what].append(int(ms.split()[0]))
for what, v in t.items():
    print("# time: %s: %s" % (what, "%d ms" % v[0] if len(v) == 1 else
          "median %d ms of %s" % (statistics.median(v),
                                  " ".join(map(str, v)))))'
	: > "$T/times"
}
check "stock wg: setconf of $NPEERS peers" \
	timed ip netns exec "$sa" wg setconf "$DEV" "$T/big.conf"
check "DUT: setconf of $NPEERS peers" \
	timed ip netns exec "$sb" "$DUT_WG" setconf "$DEV" "$T/big.conf"
show_times
# five rounds, stock and DUT in turn: the median of each is shown
for _ in 1 2 3 4 5; do
	timed ip netns exec "$sa" wg show "$DEV" dump > "$T/stock.dump" || true
	timed ip netns exec "$sb" "$DUT_WG" show "$DEV" dump > "$T/dut.dump" ||
		true
	timed ip netns exec "$sa" wg show "$DEV" > "$T/stock.show" || true
	timed ip netns exec "$sb" "$DUT_WG" show "$DEV" > "$T/dut.show" || true
done
show_times
check "stock and DUT show list the same $NPEERS peers" diff -q \
	<(grep '^peer: ' "$T/stock.show" | sort) \
	<(grep '^peer: ' "$T/dut.show" | sort)

# (large outputs: grep the files, check_output would print them)
lines_are() { [ "$(wc -l < "$1")" -eq "$2" ] || { wc -l "$1"; return 1; }; }
check "stock dump has $NPEERS peers" lines_are "$T/stock.dump" $((NPEERS + 1))
check "DUT dump has $NPEERS peers" lines_are "$T/dut.dump" $((NPEERS + 1))
check_output "DUT dump: $((2 * NPEERS)) allowed IPs" "^$((2 * NPEERS))\$" \
	sh -c "tail -n +2 $T/dut.dump | cut -f4 | tr , '\n' | grep -c /"
for i in 1 255 256 4097 $((NPEERS / 2)) "$NPEERS"; do
	key=$(grep -A1 '^\[Peer\]' "$T/big.conf" | grep '^PublicKey' |
		sed -n "${i}p" | cut -d' ' -f3)
	ips=$(printf '10.%d.%d.%d/32,fd00:1::%x/128' \
		$((1 + (i >> 16))) $(((i >> 8) & 255)) $((i & 255)) "$i")
	check "DUT dump: peer $i has $ips" grep -Eq \
		"^$(re_escape "$key")	\(none\)	\(none\)	$ips	0	0	0	off\$" \
		"$T/dut.dump"
done
# (files, not <(...): the VM has no /dev/fd)
sort "$T/stock.dump" > "$T/stock.sorted"
sort "$T/dut.dump" > "$T/dut.sorted"
check "DUT dump equals the stock dump, sorted" \
	diff -u "$T/stock.sorted" "$T/dut.sorted"
check "DUT dump equals the stock dump, same order" \
	diff -q "$T/stock.dump" "$T/dut.dump"
stock_wg "$sa" showconf "$DEV" > "$T/stock.conf" 2>&1 || true
dut_wg "$sb" showconf "$DEV" > "$T/dut.conf" 2>&1 || true
check "DUT showconf equals stock showconf" diff -q "$T/stock.conf" "$T/dut.conf"

# replacing the whole set again (setconf of the same file) keeps it; how
# long it took is logged next to stock's, not judged
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
t0=$(date +%s%N)
check "stock wg: setconf again, replacing $NPEERS peers" \
	ip netns exec "$sa" wg setconf "$DEV" "$T/big.conf"
t_stock=$(ms "$t0")
t0=$(date +%s%N)
check "DUT: setconf again, replacing $NPEERS peers" \
	ip netns exec "$sb" "$DUT_WG" setconf "$DEV" "$T/big.conf"
t_dut=$(ms "$t0")
log "time: setconf replacing $NPEERS peers (down): stock $t_stock ms, DUT $t_dut ms"
check "DUT dump unchanged after the second setconf" sh -c \
	"ip netns exec $sb $DUT_WG show $DEV dump | sort | diff -q - $T/stock.sorted"

# Replacing peers on a plane that is up: NIDLE traffic-free peers (the
# first ones of big.conf), NBUSY peers whose handshakes go unanswered (endpoint nobody
# has, persistent keepalive: timers armed, packets waiting, handshakes
# queued) and NLIVE peers with live sessions to stock devices, one of them
# with a 1 s keepalive and pinged all along.
#
#   ns $sb: DUT $UP, veth vb 10.99.0.1, inner 192.168.10K.1/24 (K=1..NLIVE)
#   ns $sc: stock wgsK, port 5200K, veth vc 10.99.0.2, inner 192.168.10K.2
NLIVE=3
NBUSY=${NBUSY:-50}
NIDLE=$((NPEERS < 2000 ? NPEERS : 2000))
UP=fleet0-mgmt
new_ns sc
check "veth between the DUT and the stock peers" \
	veth_link "$sb" vb 10.99.0.1/24 "$sc" vc 10.99.0.2/24
check "DUT $UP (up)" dut_create "$sb" fleet0 mgmt
keypair up >/dev/null
printf '[Interface]\nPrivateKey = %s\nListenPort = 51830\n\n' \
	"$(cat "$(keyfile up)")" > "$T/none.conf"
{
	cat "$T/none.conf"
	for k in $(seq "$NLIVE"); do
		printf '[Peer]\nPublicKey = %s\nEndpoint = 10.99.0.2:%d\n' \
			"$(keypair "s$k")" $((52000 + k))
		printf 'AllowedIPs = 192.168.%d.2/32\n' $((100 + k))
		[ "$k" != 1 ] || printf 'PersistentKeepalive = 1\n'
		echo
	done
} > "$T/live.conf"
{
	cat "$T/live.conf"
	python3 - "$NBUSY" <<'EOF2'
import base64, os, sys
for i in range(1, int(sys.argv[1]) + 1):
    print("[Peer]\nPublicKey = %s\nEndpoint = 10.99.0.77:9\n"
          "AllowedIPs = 10.2.%d.%d/32\nPersistentKeepalive = 25\n" %
          (base64.b64encode(os.urandom(32)).decode(), i >> 8, i & 255))
EOF2
	# the first NIDLE peers of big.conf (after its 4-line [Interface]
	# section, 4 lines each)
	sed -n "5,$((4 + 4 * NIDLE))p" "$T/big.conf"
} > "$T/up.conf"
NUP=$((NLIVE + NBUSY + NIDLE))
for k in $(seq "$NLIVE"); do
	check "stock wgs$k" sh -c "
		ip -n $sc link add wgs$k type wireguard &&
		ip -n $sc addr add 192.168.$((100 + k)).2/24 dev wgs$k &&
		ip netns exec $sc wg set wgs$k listen-port $((52000 + k)) \
			private-key $(keyfile "s$k") peer $(pubkey_of up) \
			endpoint 10.99.0.1:51830 allowed-ips 192.168.$((100 + k)).1/32 &&
		ip -n $sc link set wgs$k up &&
		ip -n $sb addr add 192.168.$((100 + k)).1/24 dev $UP"
done

t0=$(date +%s%N)
check "DUT (up): setconf of $NUP peers" dut_wg "$sb" setconf "$UP" "$T/up.conf"
log "time: setconf of $NUP peers (up): DUT $(ms "$t0") ms"
dut_wg "$sb" show "$UP" allowed-ips | sort > "$T/up.aips"
check "DUT (up): $NUP peers" lines_are "$T/up.aips" "$NUP"
for k in $(seq "$NLIVE"); do
	check "DUT (up): live session $k" pings "$sb" 192.168.$((100 + k)).2
done
ip netns exec "$sb" ping -q -i 0.05 192.168.101.2 >/dev/null 2>&1 &
at_exit kill $!

t0=$(date +%s%N)
check "DUT (up): setconf again, replacing $NUP peers under traffic" \
	dut_wg "$sb" setconf "$UP" "$T/up.conf"
log "time: setconf replacing $NUP peers (up): DUT $(ms "$t0") ms"
check "DUT (up): same peers and allowed IPs after replacing" sh -c \
	"ip netns exec $sb $DUT_WG show $UP allowed-ips | sort | diff -q - $T/up.aips"
for k in $(seq "$NLIVE"); do
	check "DUT (up): live session $k after replacing" \
		pings "$sb" 192.168.$((100 + k)).2
done

# down to the live peers (all others removed in one go), then to none
check "DUT (up): setconf keeping only the $NLIVE live peers" \
	dut_wg "$sb" setconf "$UP" "$T/live.conf"
check_output "DUT (up): $NLIVE peers left" "^$NLIVE\$" \
	sh -c "ip netns exec $sb $DUT_WG show $UP peers | wc -l"
for k in $(seq "$NLIVE"); do
	check "DUT (up): live session $k with the others gone" \
		pings "$sb" 192.168.$((100 + k)).2
done
check "DUT (up): setconf without peers" dut_wg "$sb" setconf "$UP" "$T/none.conf"
check_output "DUT (up): no peer left" "^0\$" \
	sh -c "ip netns exec $sb $DUT_WG show $UP peers | wc -l"
check "DUT (up): no session left" no_ping "$sb" 192.168.101.2
# and back to everything, then the whole fleet goes with its peers
check "DUT (up): setconf of $NUP peers once more" \
	dut_wg "$sb" setconf "$UP" "$T/up.conf"
check "DUT (up): live session 1 once more" pings "$sb" 192.168.101.2
if [ "$DUT" = stock ]; then
	check "DUT devices deleted" sh -c \
		"ip -n $sb link del $UP && ip -n $sb link del $DEV"
else
	check "DUT fleet deleted with $((NUP + NPEERS)) peers" \
		ip -n "$sb" link del fleet0
fi

# Unloading shows that no peer or keypair was left behind: the module
# prints "wgplanes: leak: ..." otherwise (the kernel log check fails too).
if [ "$DUT" != stock ] && [ -n "$WGPLANES_KO" ] && [ -r "$WGPLANES_KO" ]; then
	sleep 0.5
	check "module unloads" rmmod wgplanes
	check_fail "no leak reported at unload" sh -c \
		"dmesg | tail -n +$((_kmsg_start + 1)) | grep 'wgplanes: leak'"
	# shellcheck disable=SC2086
	check "module loads again" insmod "$WGPLANES_KO" $VM_PARAMS
fi

test_end
