#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fleet layout against stock WireGuard: one fleet in namespace "hub"
# whose four planes (enroll, mgmt, backend, storage; ports 51820-51823,
# 10.77-10.80/16) each peer with a different stock WireGuard host. Ping
# over each plane both ways; nft "iifname" rules accept SSH-like TCP on
# mgmt and drop it on backend; each plane's fwmark is set on its outer
# packets. With DUT=stock, the planes are stock wireguard devices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd nft ss

ROLES=(enroll mgmt backend storage)
new_ns hub
declare -A host

for i in 0 1 2 3; do
	r=${ROLES[$i]}
	new_ns h
	host[$r]=$h
	n=$((77 + i))
	check "outer link hub <-> host-$r" veth_link "$hub" "veth$i" \
		"192.168.$n.1/24" "$h" eth0 "192.168.$n.2/24"
	check "plane fleet0-$r" dut_create "$hub" fleet0 "$r"
	check "stock host for $r" stock_create "$h" wg0
	check "plane fleet0-$r: key, port $((51820 + i)), 10.$n.0.1/16" \
		wg_iface dut "$hub" "fleet0-$r" "hub-$r" $((51820 + i)) \
		"10.$n.0.1/16"
	check "host-$r: key, port 51820, 10.$n.0.2/16" \
		wg_iface stock "$h" wg0 "host-$r" 51820 "10.$n.0.2/16"
	check "plane fleet0-$r peers with host-$r" \
		wg_peer dut "$hub" "fleet0-$r" "host-$r" "10.$n.0.2/32" \
		"192.168.$n.2:51820"
	check "host-$r peers with plane fleet0-$r" \
		wg_peer stock "$h" wg0 "hub-$r" "10.$n.0.0/16" \
		"192.168.$n.1:$((51820 + i))"
	check "fwmark 0x$((10 + i)) on plane fleet0-$r" \
		dut_wg "$hub" set "fleet0-$r" fwmark "0x$((10 + i))"
done

# Counters in the hub, before any traffic: outer packets of each plane by
# their fwmark, and inner packets by their input plane.
nft_rules() {
	local i r
	echo "table inet t {"
	for i in 0 1 2 3; do
		r=${ROLES[$i]}
		echo "counter mark_$r {}"
		echo "counter nomark_$r {}"
		echo "counter in_$r {}"
	done
	echo "counter ssh_mgmt {}"
	echo "counter ssh_backend {}"
	echo "chain output { type filter hook output priority 0;"
	for i in 0 1 2 3; do
		r=${ROLES[$i]}
		echo "udp sport $((51820 + i)) meta mark 0x$((10 + i)) counter name mark_$r"
		echo "udp sport $((51820 + i)) meta mark != 0x$((10 + i)) counter name nomark_$r"
	done
	echo "}"
	echo "chain input { type filter hook input priority 0;"
	for i in 0 1 2 3; do
		r=${ROLES[$i]}
		echo "iifname \"fleet0-$r\" icmp type echo-request counter name in_$r"
	done
	echo "iifname \"fleet0-mgmt\" tcp dport 2222 counter name ssh_mgmt accept"
	echo "iifname \"fleet0-backend\" tcp dport 2222 counter name ssh_backend drop"
	echo "}"
	echo "}"
}
nft_rules > "$WG_TMP/hub.nft"
check "nft rules in the hub" ip netns exec "$hub" nft -f "$WG_TMP/hub.nft"

for i in 0 1 2 3; do
	r=${ROLES[$i]}
	n=$((77 + i))
	check "$r: stock host pings the plane" pings "${host[$r]}" "10.$n.0.1"
	check "$r: the plane pings the stock host" pings "$hub" "10.$n.0.2"
	check_output "$r: the plane shows the host's endpoint" \
		"192\.168\.$n\.2:51820" dut_wg "$hub" show "fleet0-$r" endpoints
	check_output "$r: the plane has a handshake with the host" \
		$'\t[1-9][0-9]*$' dut_wg "$hub" show "fleet0-$r" latest-handshakes
done

# iifname matching per plane: every echo request was counted on its own
# plane's rule and on no other.
for i in 0 1 2 3; do
	r=${ROLES[$i]}
	check_output "iifname fleet0-$r counted its echo requests" '^[1-9]' \
		nft_counter "$hub" inet t "in_$r"
done
check_output "echo requests were counted per plane, not elsewhere" '^4$' \
	sh -c "for r in ${ROLES[*]}; do
		ip netns exec $hub nft list counter inet t in_\$r; done |
		grep -c 'packets [1-9]'"

# SSH-like TCP: accepted on mgmt, dropped on backend (same server).
# not under check: its subshell would lose the server's cleanup
tcp_listen "$hub" 2222 || fail "TCP server in the hub"
check "mgmt: TCP to the hub is accepted" \
	tcp_greets "${host[mgmt]}" 10.78.0.1 2222
check_fail "backend: TCP to the hub is dropped" \
	tcp_greets "${host[backend]}" 10.79.0.1 2222
check_output "mgmt accept rule matched" '^[1-9]' \
	nft_counter "$hub" inet t ssh_mgmt
check_output "backend drop rule matched" '^[1-9]' \
	nft_counter "$hub" inet t ssh_backend
check "storage: TCP (no rule) is accepted" \
	tcp_greets "${host[storage]}" 10.80.0.1 2222

# fwmark per plane on the outer packets
for i in 0 1 2 3; do
	r=${ROLES[$i]}
	check_output "fleet0-$r shows fwmark 0x$((10 + i))" "^0x$((10 + i))\$" \
		dut_wg "$hub" show "fleet0-$r" fwmark
	check_output "outer packets of fleet0-$r carry mark 0x$((10 + i))" \
		'^[1-9]' nft_counter "$hub" inet t "mark_$r"
	check_output "no outer packet of fleet0-$r without it" '^0$' \
		nft_counter "$hub" inet t "nomark_$r"
done

# changing the mark of one plane changes its packets only
check "mgmt: fwmark 0x99" dut_wg "$hub" set fleet0-mgmt fwmark 0x99
check "reset counters" ip netns exec "$hub" nft reset counters table inet t
check "mgmt still pings after the fwmark change" pings "$hub" 10.78.0.2
check "backend still pings" pings "$hub" 10.79.0.2
check_output "mgmt outer packets now lack mark 0x11" '^[1-9]' \
	nft_counter "$hub" inet t nomark_mgmt
check_output "backend outer packets keep mark 0x12" '^0$' \
	nft_counter "$hub" inet t nomark_backend

test_end
