#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault cycles under bidirectional traffic: a plane of a fleet in namespace
# "hub" (mgmt, 10.78.0.1/16, port 51821) peers with a stock wireguard device
# in namespace "host" (10.78.0.2/16), and ping floods run both ways all the
# time, restarted by their loops whenever a cycle kills the tunnel. Each
# kind of fault runs FAULT_CYCLES times (default 100):
#
#  fleet      delete the fleet
#  plane      delete one plane (the fleet and its other planes stay)
#  netns      move the plane to a namespace of its own, carry traffic
#             there, delete that namespace
#  module     rmmod and insmod again with fleets present (needs WGPLANES_KO)
#  hotplug    the plane's CPU (cpus 1) offline and back online
#  policy     flip priority and cpus, remove and re-add the peer, link
#             down and up, without waiting between the steps
#  peers      add and remove peers that never sent, remove and re-add the
#             live peer
#  key        change the private key (the stock side follows)
#  link       link down and up
#
# After each cycle the plane carries a ping again where the cycle left it
# in place, and the kernel log gained no report (the first bad cycle is
# named). At the end every fleet is deleted and the module's own balance
# (debugfs wgplanes/objects: planes, peers, keypairs created and not yet
# destroyed) returns to zero; test_end scans kmemleak on the debug kernel.
# FAULT_KINDS picks kinds (default: all of the above).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
[ "$DUT" = wgplanes ] || skip "fault cycles are about the wgplanes module"

N=${FAULT_CYCLES:-100}
# FAULT_TRACE=1: each cycle's commands with their times (where time goes)
PS4='+ ${EPOCHREALTIME} '

# the traffic each way: a ping every PING_I seconds (a flood, or 200 per
# second, starves the cycles themselves of the VM's two CPUs under TCG)
PING_I=${FAULT_PING_INTERVAL:-0.02}
KINDS=${FAULT_KINDS:-fleet plane netns module hotplug policy peers key link}
OBJECTS=$WGP_OBJECTS
[ -d /sys/kernel/debug/wgplanes ] ||
	mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
CPU1=/sys/devices/system/cpu/cpu1/online
at_exit "[ ! -w $CPU1 ] || echo 1 > $CPU1"
at_exit "[ -d /sys/module/wgplanes ] || insmod $WGPLANES_KO"

new_ns hub
new_ns host
g() { ip netns exec "$hub" "$@"; }
h() { ip netns exec "$host" "$@"; }
P=fleet0-mgmt

check "outer link hub <-> host" veth_link "$hub" veth0 192.168.7.1/24 \
	"$host" veth0 192.168.7.2/24
check "stock wg1 in host" stock_create "$host" wg1
check "wg1: port 51831, 10.78.0.2/16" \
	wg_iface stock "$host" wg1 host 51831 10.78.0.2/16
keypair hub-a >/dev/null
keypair hub-b >/dev/null
# peers that never send: keys nobody holds, endpoints nobody answers
for i in 1 2 3 4 5 6 7 8; do keypair "ghost$i" >/dev/null; done
HOSTPUB=$(pubkey_of host)
hubkey=hub-a
stock_peer() {
	h wg set wg1 peer "$(pubkey_of "$1")" allowed-ips 10.78.0.0/16 \
		endpoint 192.168.7.1:51821
}
check "wg1 peers with the plane" stock_peer hub-a

# plane_conf NS: the plane in NS (a fresh fleet0 made when there is none)
# gets its key, port, the stock peer and its address, and goes up.
plane_conf() {
	local ns=$1
	ip -n "$ns" link show "$P" >/dev/null 2>&1 ||
		ip -n "$ns" link add fleet0 type wgplanes || return 1
	ip netns exec "$ns" "$WGPLANES" set "$P" listen-port 51821 \
		private-key "$(keyfile $hubkey)" peer "$HOSTPUB" \
		allowed-ips 10.78.0.2/32 endpoint 192.168.7.2:51831 || return 1
	ip -n "$ns" addr add 10.78.0.1/16 dev "$P" 2>/dev/null || true
	ip -n "$ns" link set "$P" up
}

plane_ready() { plane_conf "$hub" && tunnel; }

# tunnel NS: a ping from NS through the plane gets its reply within
# REKEY_TIMEOUT (5 s): a plane that lost its sessions (new, down and up,
# new key, peer re-added) starts a handshake with its first packet, so only
# a suppressed or lost handshake takes that long.
tunnel() {
	wait_until 4 ip netns exec "${1:-$hub}" ping -c 1 -W 1 10.78.0.2
}

# Traffic: ping floods in both directions, each in a loop that starts it
# again when the tunnel went away under it.
flood() {
	local ns=$1 dst=$2
	while :; do
		ip netns exec "$ns" ping -i "$PING_I" -w 5 -W 1 "$dst" \
			>/dev/null 2>&1 || sleep 0.1
	done
}
flood "$hub" 10.78.0.2 &
at_exit "kill $!"
flood "$host" 10.78.0.1 &
at_exit "kill $!"

# Kernel log: checked after every cycle; the first bad one is named.
kmsg_lines=$(dmesg | wc -l)
bad_cycle=
kmsg_after() {
	local n out
	n=$(dmesg | wc -l)
	out=$(dmesg | sed -n "$((kmsg_lines + 1)),${n}p" |
		"$WGPLANES_TOP/tools/vm/check-kmsg" 2>&1) || {
		[ -n "$bad_cycle" ] || {
			bad_cycle=$1
			sed -n '1,40s/^/#   /p' <<<"$out"
		}
	}
	kmsg_lines=$n
}

declare -A done_n
# run_cycles KIND: N cycles of fault_KIND; each must succeed and leave the
# kernel log clean.
run_cycles() {
	local kind=$1 i start=$SECONDS failed=
	done_n[$kind]=0
	for ((i = 1; i <= N; i++)); do
		# not in a subshell: a cycle may change the key in use
		[ -z "$FAULT_TRACE" ] || set -x
		if ! "fault_$kind" "$i" > "$WG_TMP/cycle.out" 2>&1; then
			set +x
			failed="$kind cycle $i: $(head -c 300 "$WG_TMP/cycle.out")"
			kmsg_after "$kind cycle $i"
			break
		fi
		set +x
		[ -z "$FAULT_TRACE" ] || sed 's/^/#   /' "$WG_TMP/cycle.out"
		kmsg_after "$kind cycle $i"
		[ -z "$bad_cycle" ] || break
		done_n[$kind]=$i
	done
	log "$kind: ${done_n[$kind]} cycles in $((SECONDS - start)) s"
	if [ -n "$failed" ]; then
		fail "$failed"
	else
		_checks=$((_checks + 1))
		[ "${done_n[$kind]}" -eq "$N" ] &&
			echo "# ok: $kind: $N cycles, the tunnel works after each" ||
			{ echo "# FAIL: $kind: stopped after ${done_n[$kind]}"; \
			  _failures=$((_failures + 1)); }
	fi
}

fault_fleet() {
	plane_conf "$hub" && tunnel || return 1
	ip -n "$hub" link del fleet0
}

fault_plane() {
	plane_conf "$hub" && tunnel || return 1
	ip -n "$hub" link del "$P" || return 1
	# the fleet and its other planes stay
	ip -n "$hub" link show fleet0-backend >/dev/null || return 1
	ip -n "$hub" link del fleet0
}

# planes_below N: the module has fewer than N planes
planes_below() { [ "$(sed -n 's/^planes //p' "$OBJECTS")" -lt "$1" ]; }

fault_netns() {
	local x=wgp-faults-$$-x pid before
	plane_conf "$hub" && tunnel || return 1
	ip netns add "$x" || return 1
	ip -n "$hub" link set "$P" netns "$x" || return 1
	ip -n "$x" addr add 10.78.0.1/16 dev "$P" &&
		ip -n "$x" link set "$P" up && tunnel "$x" || {
		ip netns del "$x"
		return 1
	}
	ip netns exec "$x" ping -i "$PING_I" -w 5 -W 1 10.78.0.2 \
		>/dev/null 2>&1 &
	pid=$!
	sleep 0.05
	kill $pid
	wait $pid 2>/dev/null
	# the plane goes with its namespace; the fleet stays behind. The
	# namespace's cleanup runs later, in a kernel worker, maybe behind
	# other tests' namespaces: counted from here, not as a total
	before=$(sed -n 's/^planes //p' "$OBJECTS")
	ip netns del "$x" || return 1
	wait_until 90 planes_below "$before" || {
		echo "planes left 90 s after the namespace went:" \
			"$(tr '\n' ' ' < "$OBJECTS")"
		return 1
	}
	ip -n "$hub" link show fleet0-backend >/dev/null || return 1
	ip -n "$hub" link del fleet0
}

fault_module() {
	plane_conf "$hub" && tunnel || return 1
	# a second fleet in another namespace, and one that never went up
	ip -n "$host" link add fleetx type wgplanes || return 1
	rmmod wgplanes || return 1
	ip -n "$host" link show fleetx >/dev/null 2>&1 && return 1
	insmod "$WGPLANES_KO"
}

fault_hotplug() {
	local rc=0
	echo 0 > "$CPU1" || return 1
	tunnel || rc=1
	# back online even when the tunnel failed: the later kinds need it
	echo 1 > "$CPU1" || return 1
	[ "$rc" -eq 0 ] && tunnel
}

fault_policy() {
	local prio=high
	[ $(($1 % 2)) -eq 0 ] || prio=normal
	g "$WGPLANES" set "$P" priority $prio cpus $(($1 % 2)) || return 1
	g "$WGPLANES" set "$P" peer "$HOSTPUB" remove || return 1
	g "$WGPLANES" set "$P" priority normal cpus all || return 1
	g "$WGPLANES" set "$P" peer "$HOSTPUB" allowed-ips 10.78.0.2/32 \
		endpoint 192.168.7.2:51831 || return 1
	g "$WGPLANES" set "$P" priority high || return 1
	ip -n "$hub" link set "$P" down || return 1
	g "$WGPLANES" set "$P" priority normal || return 1
	ip -n "$hub" link set "$P" up || return 1
	tunnel
}

fault_peers() {
	local i args=()
	for i in 1 2 3 4 5 6 7 8; do
		args+=(peer "$(pubkey_of "ghost$i")" allowed-ips "10.78.$i.0/24")
		# half of them have an endpoint, so they try handshakes
		[ $((i % 2)) -eq 1 ] ||
			args+=(endpoint "192.168.7.2:$((52000 + i))")
	done
	g "$WGPLANES" set "$P" "${args[@]}" || return 1
	# traffic to them: queued for a handshake that never completes
	g bash -c 'echo x > /dev/udp/10.78.2.1/9' 2>/dev/null
	args=()
	for i in 1 2 3 4 5 6 7 8; do
		args+=(peer "$(pubkey_of "ghost$i")" remove)
	done
	g "$WGPLANES" set "$P" "${args[@]}" || return 1
	g "$WGPLANES" set "$P" peer "$HOSTPUB" remove || return 1
	g "$WGPLANES" set "$P" peer "$HOSTPUB" allowed-ips 10.78.0.2/32 \
		endpoint 192.168.7.2:51831 || return 1
	tunnel
}

fault_key() {
	local old=$hubkey
	[ "$hubkey" = hub-a ] && hubkey=hub-b || hubkey=hub-a
	g "$WGPLANES" set "$P" private-key "$(keyfile $hubkey)" || return 1
	h wg set wg1 peer "$(pubkey_of $old)" remove || return 1
	stock_peer "$hubkey" && tunnel
}

fault_link() {
	ip -n "$hub" link set "$P" down || return 1
	ip -n "$hub" link set "$P" up || return 1
	tunnel
}

objects() { cat "$OBJECTS"; }
check_output "debugfs wgplanes/objects counts planes, peers, keypairs" \
	'^planes [0-9]+$' objects
# The counts are the module's, all namespaces: those of earlier tests may
# still be in their cleanup (a kernel worker takes them one batch after
# the other), and the netns cycles count on a module of our own.
t0=$SECONDS
if wait_until 300 objects_freed; then
	log "earlier tests' objects gone after $((SECONDS - t0)) s"
else
	fail "objects of earlier tests left: $(tr '\n' ' ' < "$OBJECTS")"
fi

start_all=$SECONDS prev=none
for kind in $KINDS; do
	case $kind in
	module)
		[ -r "$WGPLANES_KO" ] || {
			fail "module: no module file (WGPLANES_KO)"
			continue
		}
		;;
	hotplug)
		[ -w "$CPU1" ] || {
			fail "hotplug: $CPU1 is not writable"
			continue
		}
		;;
	esac
	# a kind that failed may have left its fleet: each starts afresh
	if ip -n "$hub" link show fleet0 >/dev/null 2>&1 &&
	   [ "${done_n[$prev]:-$N}" != "$N" ]; then
		ip -n "$hub" link del fleet0 || true
	fi
	prev=$kind
	# the cycles that keep the plane need it up first; hubkey may
	# have changed
	case $kind in
	hotplug|policy|peers|key|link)
		check "$kind: the plane carries traffic" plane_ready
		[ "$kind" != hotplug ] ||
			check "hotplug: the plane runs on cpus 1" \
				g "$WGPLANES" set "$P" cpus 1
		;;
	esac
	run_cycles "$kind"
	case $kind in
	hotplug)
		g "$WGPLANES" set "$P" cpus all || true ;;
	esac
	[ -z "$bad_cycle" ] || break
done
log "all cycles: $((SECONDS - start_all)) s on $(uname -r)"
summary=
for kind in $KINDS; do
	summary="$summary $kind=${done_n[$kind]:-0}"
done
log "cycles done:$summary"
[ -z "$bad_cycle" ] || fail "kernel log: first report after $bad_cycle"

# the fleet and plane kinds end their cycles with the fleet deleted
if ip -n "$hub" link show fleet0 >/dev/null 2>&1; then
	check "delete the fleet" ip -n "$hub" link del fleet0
else
	log "the last cycle deleted the fleet"
fi
if [ -r "$OBJECTS" ]; then
	if wait_until 90 objects_freed; then
		echo "# ok: balance zero: $(tr '\n' ' ' < "$OBJECTS")"
		_checks=$((_checks + 1))
	else
		fail "balance not zero: $(tr '\n' ' ' < "$OBJECTS")"
	fi
else
	fail "no $OBJECTS"
fi

test_end
