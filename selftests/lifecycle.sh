#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle of fleets and planes: names, renaming, deleting one plane,
# moving planes and fleets between namespaces, namespace teardown, MTU
# bounds, counters, and that the stack treats planes as L3 tunnels.
. "$(dirname "$0")/lib.sh"

require_root
require_module
require_cmd tcpdump python3
new_ns a
new_ns b

n() { ip -n "$a" "$@"; }
planes_in() { ip -n "$1" -o link show type wgplane | wc -l; }

check "create fleet0" n link add fleet0 type wgplanes
check_output "L3 point-to-point, no ARP, MTU 1420" \
	'POINTOPOINT,NOARP.* mtu 1420 ' n link show fleet0-mgmt
check_output "no link-layer address" 'link/none' n link show fleet0-mgmt

# renaming
check "rename a plane" n link set fleet0-mgmt name wg1
check_output "renamed plane keeps its fleet link" 'wg1@fleet0' n link show wg1
check "rename the fleet" n link set fleet0 name fleetA
check_output "planes follow the fleet's new name" 'wg1@fleetA' n link show wg1
check "rename back" sh -c "ip -n $a link set fleetA name fleet0 &&
	ip -n $a link set wg1 name fleet0-mgmt"

# MTU bounds
check "MTU 9000 accepted" n link set fleet0-mgmt mtu 9000
check_fail "MTU 70000 refused" n link set fleet0-mgmt mtu 70000
check_fail "MTU 60 refused" n link set fleet0-mgmt mtu 60
check "MTU back to 1420" n link set fleet0-mgmt mtu 1420

# addresses, routes, counters, tcpdump
check "IPv4 and IPv6 addresses on a plane" sh -c "
	ip -n $a link set fleet0-storage up &&
	ip -n $a addr add 10.80.0.1/16 dev fleet0-storage &&
	ip -n $a addr add fd00:80::1/64 dev fleet0-storage"
check "send to an address without a peer" sh -c \
	"! ip netns exec $a ping -c 2 -i 0.2 -W 1 10.80.0.2"
# as stock WireGuard: a destination without a peer is a transmit error
tx_errors() {
	ip -n "$a" -s -j link show "$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["errors"])'
}
check_output "plane tx_errors > 0" '^[1-9]' tx_errors fleet0-storage
check "fleet sums its planes' counters" sh -c \
	"[ \"\$(ip -n $a -s -j link show fleet0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"stats64\"][\"tx\"][\"errors\"])')\" -ge 1 ]"
tcpdump_sees() {
	local d r
	d=$(mktemp -d)
	# generous bounds: on the debug kernel starting tcpdump takes seconds
	ip netns exec "$a" timeout 120 tcpdump -l -n -i fleet0-storage \
		-c 1 icmp >"$d/out" 2>"$d/err" &
	wait_until 90 grep -q 'listening on' "$d/err"
	ip netns exec "$a" ping -c 3 -i 0.3 -W 1 10.80.0.9 >/dev/null 2>&1 || true
	wait
	grep -q '10.80.0.1 > 10.80.0.9: ICMP echo request' "$d/out"
	r=$?
	cat "$d/out" "$d/err"
	rm -rf "$d"
	return $r
}
check "tcpdump captures on a plane" tcpdump_sees

# deleting one plane leaves the fleet and the other planes
check "ip link del of a single plane" n link del fleet0-backend
check_output "three planes left" '^3$' planes_in "$a"
check "fleet still there" n link show fleet0

# move a plane to another namespace; deleting the fleet still removes it
check "move a plane to another netns" n link set fleet0-enroll netns "$b"
check_output "moved plane shows its link in the other netns" \
	'fleet0-enroll@if[0-9]+' ip -n "$b" link show fleet0-enroll
check "deleting the fleet removes planes in other namespaces" sh -c \
	"ip -n $a link del fleet0 && [ \$(ip -n $b -o link show type wgplane | wc -l) -eq 0 ]"

# moving the fleet device itself
check "create fleet1" n link add fleet1 type wgplanes
check "move the fleet device to another netns" n link set fleet1 netns "$b"
check_output "planes stay and point at the moved fleet" \
	'fleet1-mgmt@if[0-9]+' n link show fleet1-mgmt
check "deleting the moved fleet deletes its planes" sh -c \
	"ip -n $b link del fleet1 && [ \$(ip -n $a -o link show type wgplane | wc -l) -eq 0 ]"

# long names fall back to kernel-assigned plane names
check "fleet with a 15-character name" n link add fleet0123456789 type wgplanes
check_output "planes get kernel-assigned names" '^4$' sh -c \
	"ip -n $a -o link show type wgplane | grep -c 'wgplane[0-9]*@fleet0123456789'"
check_output "a name collision is reported" 'exists|taken' sh -c \
	"ip -n $a link add x-mgmt type dummy 2>&1; ip -n $a link add x type wgplanes 2>&1 || true"
check_output "and leaves nothing behind" '^4$' planes_in "$a"

# namespace teardown with fleets inside and planes moved out
check "fleets in a namespace" sh -c "
	ip netns add wgp-lc-tmp-$$ &&
	ip -n wgp-lc-tmp-$$ link add f1 type wgplanes &&
	ip -n wgp-lc-tmp-$$ link add f2 type wgplanes &&
	ip -n wgp-lc-tmp-$$ link set f2-mgmt netns $b"
check "delete that namespace" ip netns del "wgp-lc-tmp-$$"
check "its fleets' planes elsewhere are gone" wait_until 10 sh -c \
	"[ \$(ip -n $b -o link show type wgplane | wc -l) -eq 0 ]"
check "plane deleted with its namespace, fleet survives" sh -c "
	ip -n $a link add f3 type wgplanes &&
	ip netns add wgp-lc-tmp2-$$ &&
	ip -n $a link set f3-backend netns wgp-lc-tmp2-$$ &&
	ip netns del wgp-lc-tmp2-$$ && sleep 1 &&
	ip -n $a link show f3 >/dev/null &&
	[ \$(ip -n $a -o link show type wgplane | grep -c '@f3') -eq 3 ]"

test_end
