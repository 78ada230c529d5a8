#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Topologies mixing planes and stock WireGuard:
#  1. hub and spoke: two stock clients talk through a plane hub that
#     forwards between its peers on the same plane;
#  2. a four-node full mesh, two stock nodes and two planes: every pair
#     pings both ways;
#  3. site to site: LAN namespaces behind a stock and a plane site router,
#     joined by a plane hub; LAN-to-LAN ping over IPv4 and IPv6.
# With DUT=stock, the planes are stock wireguard devices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop

fwd() {
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward="$2" \
		net.ipv6.conf.all.forwarding="$2"
}

# 1. hub and spoke ------------------------------------------------------
log "hub and spoke"
new_ns hub
new_ns ca
new_ns cb
check "hub: links to clients A and B" bash -c "
	$(declare -f veth_link)
	veth_link $hub va 192.168.1.1/24 $ca eth0 192.168.1.2/24 &&
	veth_link $hub vb 192.168.2.1/24 $cb eth0 192.168.2.2/24"
check "hub: plane fleet0-mgmt" dut_create "$hub" fleet0 mgmt
check "hub: key, port, 10.78.0.1/16" \
	wg_iface dut "$hub" fleet0-mgmt hub 51821 10.78.0.1/16
check "clients: stock devices" sh -c "
	ip -n $ca link add wg0 type wireguard && ip -n $ca link set wg0 up &&
	ip -n $cb link add wg0 type wireguard && ip -n $cb link set wg0 up"
check "client A: 10.78.0.2" wg_iface stock "$ca" wg0 ca 51820 10.78.0.2/16
check "client B: 10.78.0.3" wg_iface stock "$cb" wg0 cb 51820 10.78.0.3/16
check "hub: peer A" wg_peer dut "$hub" fleet0-mgmt ca 10.78.0.2/32 \
	192.168.1.2:51820
check "hub: peer B" wg_peer dut "$hub" fleet0-mgmt cb 10.78.0.3/32 \
	192.168.2.2:51820
check "A: hub for the whole subnet" wg_peer stock "$ca" wg0 hub \
	10.78.0.0/16 192.168.1.1:51821
check "B: hub for the whole subnet" wg_peer stock "$cb" wg0 hub \
	10.78.0.0/16 192.168.2.1:51821
check "hub forwards" fwd "$hub" 1

check "A pings the hub" pings "$ca" 10.78.0.1
check "B pings the hub" pings "$cb" 10.78.0.1
check "A pings B through the hub" pings "$ca" 10.78.0.3
check "B pings A through the hub" pings "$cb" 10.78.0.2
check_output "A's packets to B reached B from the hub's endpoint" \
	'192\.168\.2\.1:51821' stock_wg "$cb" show wg0 endpoints
check "hub stops forwarding" fwd "$hub" 0
check "then A cannot reach B (the path is the hub)" no_ping "$ca" 10.78.0.3
check "hub forwards again" fwd "$hub" 1
check "A pings B again" pings "$ca" 10.78.0.3

# 2. full mesh ------------------------------------------------------------
log "full mesh: m1, m2 stock; m3, m4 DUT"
new_ns sw
check "switch: bridge" sh -c "
	ip -n $sw link add br0 type bridge && ip -n $sw link set br0 up"
declare -A mns mkind mdev mport
for i in 1 2 3 4; do
	new_ns m
	mns[$i]=$m
	if [ "$i" -le 2 ]; then
		mkind[$i]=stock mdev[$i]=wg0 mport[$i]=51820
	else
		mkind[$i]=dut mdev[$i]=fleet0-backend mport[$i]=51822
	fi
	check "m$i (${mkind[$i]}): link to the switch" sh -c "
		ip link add eth0 netns $m type veth peer name p$i netns $sw &&
		ip -n $sw link set p$i master br0 up &&
		ip -n $m link set eth0 up &&
		ip -n $m addr add 192.168.50.$i/24 dev eth0 nodad"
	check "m$i: device" node_create "${mkind[$i]}" "$m" "${mdev[$i]}"
	check "m$i: key, port ${mport[$i]}, 10.90.0.$i/24, fd90::$i/64" \
		wg_iface "${mkind[$i]}" "$m" "${mdev[$i]}" "m$i" "${mport[$i]}" \
		"10.90.0.$i/24" "fd90::$i/64"
done
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" != "$j" ] || continue
		check "m$i: peer m$j" wg_peer "${mkind[$i]}" "${mns[$i]}" \
			"${mdev[$i]}" "m$j" "10.90.0.$j/32,fd90::$j/128" \
			"192.168.50.$j:${mport[$j]}"
	done
done
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" != "$j" ] || continue
		check "m$i (${mkind[$i]}) pings m$j (${mkind[$j]})" \
			pings "${mns[$i]}" "10.90.0.$j" 1
	done
done
check "m3 pings m4 over IPv6 (DUT to DUT)" pings "${mns[3]}" fd90::4 1
check "m1 pings m3 over IPv6 (stock to DUT)" pings "${mns[1]}" fd90::3 1
check "m4 pings m2 over IPv6 (DUT to stock)" pings "${mns[4]}" fd90::2 1
for i in 3 4; do
	check_output "m$i (DUT) has handshakes with its three peers" '^3$' \
		sh -c "ip netns exec ${mns[$i]} $DUT_WG show ${mdev[$i]} \
			latest-handshakes | grep -c '	[1-9]'"
done

# 3. site to site -------------------------------------------------------
log "site to site: LAN1 - r1 (stock) - hub (DUT) - r2 (DUT) - LAN2"
new_ns sh
new_ns r1
new_ns r2
new_ns l1
new_ns l2
check "outer links r1 - hub - r2" bash -c "
	$(declare -f veth_link)
	veth_link $sh v1 192.168.11.1/24 $r1 eth0 192.168.11.2/24 &&
	veth_link $sh v2 192.168.12.1/24 $r2 eth0 192.168.12.2/24"
check "LANs behind r1 and r2" bash -c "
	$(declare -f veth_link)
	veth_link $r1 lan 172.16.1.1/24 $l1 eth0 172.16.1.2/24 &&
	veth_link $r2 lan 172.16.2.1/24 $l2 eth0 172.16.2.2/24 &&
	ip -n $r1 addr add fd16:1::1/64 dev lan nodad &&
	ip -n $l1 addr add fd16:1::2/64 dev eth0 nodad &&
	ip -n $r2 addr add fd16:2::1/64 dev lan nodad &&
	ip -n $l2 addr add fd16:2::2/64 dev eth0 nodad &&
	ip -n $l1 route add default via 172.16.1.1 &&
	ip -n $l2 route add default via 172.16.2.1 &&
	ip -n $l1 -6 route add default via fd16:1::1 &&
	ip -n $l2 -6 route add default via fd16:2::1"
check "hub: plane fleet0-storage" dut_create "$sh" fleet0 storage
check "r1: stock wg0" stock_create "$r1" wg0
check "r2: plane fleet0-storage" dut_create "$r2" fleet0 storage
check "hub: 10.80.0.1" wg_iface dut "$sh" fleet0-storage sh 51823 \
	10.80.0.1/16 fd80::1/64
check "r1: 10.80.0.2" wg_iface stock "$r1" wg0 r1 51820 10.80.0.2/16 \
	fd80::2/64
check "r2: 10.80.0.3" wg_iface dut "$r2" fleet0-storage r2 51823 \
	10.80.0.3/16 fd80::3/64
check "hub: peer r1 with LAN1" wg_peer dut "$sh" fleet0-storage r1 \
	10.80.0.2/32,fd80::2/128,172.16.1.0/24,fd16:1::/64 192.168.11.2:51820
check "hub: peer r2 with LAN2" wg_peer dut "$sh" fleet0-storage r2 \
	10.80.0.3/32,fd80::3/128,172.16.2.0/24,fd16:2::/64 192.168.12.2:51823
check "r1: hub for the tunnel and LAN2" wg_peer stock "$r1" wg0 sh \
	10.80.0.0/16,fd80::/64,172.16.2.0/24,fd16:2::/64 192.168.11.1:51823
check "r2: hub for the tunnel and LAN1" wg_peer dut "$r2" fleet0-storage sh \
	10.80.0.0/16,fd80::/64,172.16.1.0/24,fd16:1::/64 192.168.12.1:51823
check "routes to the LANs" sh -c "
	ip -n $sh route add 172.16.1.0/24 dev fleet0-storage &&
	ip -n $sh route add 172.16.2.0/24 dev fleet0-storage &&
	ip -n $sh -6 route add fd16:1::/64 dev fleet0-storage &&
	ip -n $sh -6 route add fd16:2::/64 dev fleet0-storage &&
	ip -n $r1 route add 172.16.2.0/24 dev wg0 &&
	ip -n $r1 -6 route add fd16:2::/64 dev wg0 &&
	ip -n $r2 route add 172.16.1.0/24 dev fleet0-storage &&
	ip -n $r2 -6 route add fd16:1::/64 dev fleet0-storage"
check "routers and hub forward" bash -c "
	$(declare -f fwd); fwd $sh 1 && fwd $r1 1 && fwd $r2 1"
cat > "$WG_TMP/hub.nft" <<EOF
table inet t {
	counter spoof {}
	counter lan1 {}
	chain pre {
		type filter hook prerouting priority -300;
		iifname "fleet0-storage" ip saddr 172.16.2.99 counter name spoof
		iifname "fleet0-storage" ip saddr 172.16.1.2 counter name lan1
	}
}
EOF
check "hub: counters of inner sources" \
	ip netns exec "$sh" nft -f "$WG_TMP/hub.nft"
check "LAN1 pings LAN2" pings "$l1" 172.16.2.2
check "LAN2 pings LAN1" pings "$l2" 172.16.1.2
check "LAN1 pings LAN2 over IPv6" pings "$l1" fd16:2::2
check "LAN2 pings LAN1 over IPv6" pings "$l2" fd16:1::2
check "LAN1 reaches the hub's tunnel address" pings "$l1" 10.80.0.1 1
# cryptokey routing: LAN2 is not in r1's allowed IPs at the hub, so a
# packet from r1 claiming a LAN2 source is dropped by the hub
check "r1 sends with a LAN2 source (spoof)" sh -c "
	ip -n $r1 addr add 172.16.2.99/32 dev lo &&
	! ip netns exec $r1 ping -c 2 -i 0.3 -W 1 -I 172.16.2.99 10.80.0.1"
check_output "the hub received LAN1's packets from r1" '^[1-9]' \
	nft_counter "$sh" inet t lan1
check_output "the hub dropped the spoofed source (allowed IPs)" '^0$' \
	nft_counter "$sh" inet t spoof

test_end
