#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A 4-node mesh from "wgplanes-quick mesh": nodes n1 and n2 bring their
# fleet up with wgplanes-quick, nodes n3 and n4 run stock WireGuard with
# real wg-quick on the very same generated files. Every node reaches every
# other node on every one of the four planes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd wg-quick
QUICK=$WGPLANES_TOP/tools/quick/wgplanes-quick
quick() {
	local ns=$1
	shift
	ip netns exec "$ns" env WGPLANES="$WGPLANES" "$QUICK" "$@"
}

# The nodes' outer network: one bridge in namespace "lan".
new_ns lan
ip -n "$lan" link add br0 type bridge
ip -n "$lan" link set br0 up
declare -A node
for i in 1 2 3 4; do
	new_ns ns
	node[$i]=$ns
	check "n$i on the LAN, 192.168.70.$i" veth_link "$ns" eth0 \
		"192.168.70.$i/24" "$lan" "port$i" ""
	ip -n "$lan" link set "port$i" master br0
	echo "n$i 192.168.70.$i $i" >>"$WG_TMP/nodes.txt"
done

check "mesh generates the four nodes' fleet directories" \
	quick "${node[1]}" mesh "$WG_TMP/nodes.txt" "$WG_TMP/mesh"
for i in 1 2; do
	check "n$i (wgplanes): wgplanes-quick up" \
		quick "${node[$i]}" up "$WG_TMP/mesh/n$i"
	check_output "n$i: wg1 is a plane of fleet n$i" "wg1@n$i" \
		ip -n "${node[$i]}" link show wg1
done
for i in 3 4; do
	for k in 0 1 2 3; do
		check "n$i (stock): wg-quick up wg$k" ip netns exec \
			"${node[$i]}" wg-quick up "$WG_TMP/mesh/n$i/wg$k.conf"
	done
	check_output "n$i: wg1 is a stock wireguard device" "wireguard" \
		ip -n "${node[$i]}" -d link show wg1
done

for k in 0 1 2 3; do
	for i in 1 2 3 4; do
		for j in 1 2 3 4; do
			[ "$i" != "$j" ] || continue
			check "plane wg$k: n$i reaches n$j (10.$((77 + k)).0.$j)" \
				pings "${node[$i]}" "10.$((77 + k)).0.$j" 1
		done
	done
done

for i in 1 2; do
	check "n$i: wgplanes-quick down" quick "${node[$i]}" down \
		"$WG_TMP/mesh/n$i"
	check_fail "n$i: no fleet left" ip -n "${node[$i]}" link show wg0
done

test_end
