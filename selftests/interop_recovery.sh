#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Recovery and timer behaviour that must match stock WireGuard, against a
# stock peer. With DUT=stock the device under test is a stock wireguard
# device too: that run shows what stock does (the give-up of part 5 then
# takes its real time, about two minutes).
#
#  1. The private key arrives on an up plane whose peer has a persistent
#     keepalive: a handshake starts at once, not at the next keepalive;
#     likewise when the link goes up with key and peer present.
#  2. A fwmark change re-routes the outer packets at once (policy routing
#     by fwmark to another outer link), with the new route's source.
#  3. The sticky source address: a more specific route with another
#     source does what it does to a stock node side by side; when the
#     source address goes away, outer packets move to the one left.
#  4. An outage during a session (the outer link down: keepalives cannot
#     be sent): once the link is back, persistent keepalives resume with
#     no local traffic, and the stock peer reaches the plane again.
#  5. The handshake give-up: an outage from the start, so the plane gives
#     up its handshake attempts (REKEY_ATTEMPT_TIME; debugfs "age" skips
#     the wait) and drops what waited; once the path is back, its
#     persistent keepalive starts a new handshake by itself. Stock, seen
#     with tcpdump: 20 initiations about 5.3 s apart, then nothing until
#     the persistent keepalive interval after the last one, then the
#     next 20: the give-up stops the retries, not the persistent
#     keepalive.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd nft

PL=fleet0-mgmt

# count_setup NS: counters of what reaches the stock peer's port 51820 in
# NS, before any drop: initiations and data messages (keepalives too).
count_setup() {
	printf '%s\n' 'table ip rec {' '	counter init { }' \
		'	counter data { }' '	chain in {' \
		'		type filter hook input priority -20;' \
		'		udp dport 51820 @th,64,32 0x01000000 counter name init' \
		'		udp dport 51820 @th,64,32 0x04000000 counter name data' \
		'	}' '}' | ip netns exec "$1" nft -f /dev/stdin
}
inits() { nft_counter "$1" ip rec init; }
datas() { nft_counter "$1" ip rec data; }
# above NS FN N: counter FN (inits, datas) of NS is above N
above() { [ "$("$2" "$1")" -gt "$3" ]; }

# cut_path NS / mend_path NS: the stock peer in NS drops / takes again
# everything sent to its port 51820
cut_path() {
	printf '%s\n' 'table ip cut {' '	chain in {' \
		'		type filter hook input priority -10;' \
		'		udp dport 51820 drop' '	}' '}' |
		ip netns exec "$1" nft -f /dev/stdin
}
mend_path() { ip netns exec "$1" nft delete table ip cut; }

# hs_time NS: the latest handshake (seconds) of the only peer of wg0 in NS
hs_time() { stock_wg "$1" show wg0 latest-handshakes | awk '{print $2}'; }
handshake_done() { [ "$(hs_time "$1")" -gt 0 ]; }

# stock_peer NS INNER PEERKEY PEERINNER: wg0 of the stock peer in NS, on
# port 51820, its peer without endpoint
stock_peer() {
	stock_create "$1" wg0 &&
		wg_iface stock "$1" wg0 "$1" 51820 "$2" &&
		wg_peer stock "$1" wg0 "$3" "$4"
}

# endpoint_of NS: the endpoint the stock wg0 in NS has for its only peer
endpoint_of() {
	stock_wg "$1" show wg0 endpoints | awk '{print $2}'
}
endpoint_is() {
	local ep
	ep=$(endpoint_of "$1")
	echo "endpoint: $ep"
	[[ "$ep" == "$2":* ]]
}

counter_of() { plane_value "$1" "$PL" "$2"; }

# 1. the key arrives ------------------------------------------------------
log "1. private key set on an up plane whose peer has persistent-keepalive 25"
new_ns d1
new_ns s1
check "outer link 10.0.1.0/24" veth_link "$d1" eth0 10.0.1.1/24 \
	"$s1" eth0 10.0.1.2/24
check "stock peer counts what it receives" count_setup "$s1"
check "stock peer wg0, 10.71.0.2" stock_peer "$s1" 10.71.0.2/24 d1 \
	10.71.0.1/32
check "DUT $PL up, no private key" dut_create "$d1" fleet0 mgmt
check "DUT: peer with endpoint, persistent-keepalive 25" \
	dut_wg "$d1" set "$PL" listen-port 51821 peer "$(keypair "$s1")" \
	allowed-ips 10.71.0.2/32 endpoint 10.0.1.2:51820 persistent-keepalive 25
keypair d1 >/dev/null
sleep 1
check "without a key nothing is sent" test "$(inits "$s1")" -eq 0
check "DUT: the private key arrives" \
	dut_wg "$d1" set "$PL" private-key "$(keyfile d1)"
# at once: long before the keepalive interval (25 s) would send anything
check "a handshake follows at once (no traffic, before the 25 s keepalive)" \
	wait_until 10 handshake_done "$s1"
log "the link goes up with key and peer present"
check "DUT $PL down" ip -n "$d1" link set "$PL" down
n=$(inits "$s1")
check "DUT $PL up" ip -n "$d1" link set "$PL" up
check "an initiation at once (no traffic, before the 25 s keepalive)" \
	wait_until 10 above "$s1" inits "$n"

# 2. fwmark -----------------------------------------------------------------
log "2. fwmark 0x42 routes the outer packets by table 100, via eth1"
new_ns d2
new_ns s2
ip netns exec "$d2" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0
ip netns exec "$s2" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0
check "outer links eth0 (10.1.0.0/24) and eth1 (10.2.0.0/24)" sh -c "
	$(declare -f veth_link)
	veth_link $d2 eth0 10.1.0.1/24 $s2 eth0 10.1.0.2/24 &&
	veth_link $d2 eth1 10.2.0.1/24 $s2 eth1 10.2.0.2/24"
check "stock peer's outer address 10.9.0.2: main table via eth0, table 100 via eth1" sh -c "
	ip -n $s2 addr add 10.9.0.2/32 dev lo &&
	ip -n $d2 route add 10.9.0.2/32 via 10.1.0.2 &&
	ip -n $d2 route add 10.9.0.2/32 via 10.2.0.2 table 100 &&
	ip -n $d2 rule add fwmark 0x42 table 100"
printf '%s\n' 'table ip rec {' '	counter e0 { }' '	counter e1 { }' \
	'	chain out {' '		type filter hook output priority 0;' \
	'		oifname "eth0" udp dport 51820 counter name e0' \
	'		oifname "eth1" udp dport 51820 counter name e1' \
	'	}' '}' > "$WG_TMP/out.nft"
check "DUT counts its outer packets per link" \
	ip netns exec "$d2" nft -f "$WG_TMP/out.nft"
e0() { nft_counter "$d2" ip rec e0; }
e1() { nft_counter "$d2" ip rec e1; }
check "stock peer wg0, 10.72.0.2" stock_peer "$s2" 10.72.0.2/24 d2 \
	10.72.0.1/32
check "DUT $PL" dut_create "$d2" fleet0 mgmt
check "DUT: key, port 51821, 10.72.0.1" wg_iface dut "$d2" "$PL" d2 51821 \
	10.72.0.1/24
check "DUT: peer at 10.9.0.2:51820" wg_peer dut "$d2" "$PL" "$s2" \
	10.72.0.2/32 10.9.0.2:51820
check "DUT pings the stock peer" pings "$d2" 10.72.0.2
check "outer packets left by eth0" test "$(e0)" -gt 0
check "none by eth1" test "$(e1)" -eq 0
check "DUT: fwmark 0x42" dut_wg "$d2" set "$PL" fwmark 0x42
a0=$(e0) a1=$(e1)
check "DUT pings the stock peer 3 times" \
	ip netns exec "$d2" ping -c 3 -i 0.2 -W 2 10.72.0.2
check "the outer packets left by eth1 at once ($(e1) - $a1)" \
	test "$(e1)" -ge $((a1 + 3))
check "none by eth0 after the change ($(e0) - $a0)" test "$(e0)" -eq "$a0"
check "from eth1's address: the stock peer's endpoint is 10.2.0.1" \
	endpoint_is "$s2" 10.2.0.1
check "DUT: fwmark 0 again" dut_wg "$d2" set "$PL" fwmark 0
a0=$(e0) a1=$(e1)
check "DUT pings the stock peer 3 times" \
	ip netns exec "$d2" ping -c 3 -i 0.2 -W 2 10.72.0.2
check "back by eth0 at once ($(e0) - $a0)" test "$(e0)" -ge $((a0 + 3))
check "none by eth1 after the change ($(e1) - $a1)" test "$(e1)" -eq "$a1"
check "the stock peer's endpoint is 10.1.0.1 again" endpoint_is "$s2" 10.1.0.1

# 3. the sticky source address ---------------------------------------------
log "3. source address: the DUT and a stock node side by side"
# src_setup KIND A B: node A (KIND) with 10.3.0.1/24 and the secondary
# 10.3.0.3/24 (promoted when the primary goes), its stock peer B at
# 10.3.0.2, persistent-keepalive 1 from A
src_setup() {
	local kind=$1 a=$2 b=$3
	ip netns exec "$a" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 \
		net.ipv4.conf.default.promote_secondaries=1 &&
	veth_link "$a" eth0 10.3.0.1/24 "$b" eth0 10.3.0.2/24 &&
	ip -n "$a" addr add 10.3.0.3/24 dev eth0 &&
	stock_peer "$b" 10.73.0.2/24 "$a" 10.73.0.1/32 &&
	node_create "$kind" "$a" "$PL" &&
	wg_iface "$kind" "$a" "$PL" "$a" 51821 10.73.0.1/24 &&
	wg_peer "$kind" "$a" "$PL" "$b" 10.73.0.2/32 10.3.0.2:51820 1
}
new_ns d3
new_ns s3
new_ns r3
new_ns t3
check "DUT node with its stock peer" src_setup dut "$d3" "$s3"
check "stock reference node with its stock peer" src_setup stock "$r3" "$t3"
check "DUT pings its peer" pings "$d3" 10.73.0.2
check "reference pings its peer" pings "$r3" 10.73.0.2
check "the DUT's source is 10.3.0.1" endpoint_is "$s3" 10.3.0.1
check "the reference's source is 10.3.0.1" endpoint_is "$t3" 10.3.0.1
check "both: a more specific route to the peer with source 10.3.0.3" sh -c "
	ip -n $d3 route add 10.3.0.2/32 dev eth0 src 10.3.0.3 &&
	ip -n $r3 route add 10.3.0.2/32 dev eth0 src 10.3.0.3"
# several keepalives (1 s) leave under the new route
sleep 3
ref=$(endpoint_of "$t3")
check "the DUT's source is the reference's (${ref%:*})" \
	endpoint_is "$s3" "${ref%:*}"
check "both: that route goes again" sh -c "
	ip -n $d3 route del 10.3.0.2/32 dev eth0 src 10.3.0.3 &&
	ip -n $r3 route del 10.3.0.2/32 dev eth0 src 10.3.0.3"
sleep 2
check "both: the address 10.3.0.1 goes (10.3.0.3 promoted)" sh -c "
	ip -n $d3 addr del 10.3.0.1/24 dev eth0 &&
	ip -n $r3 addr del 10.3.0.1/24 dev eth0"
check "the reference moves to 10.3.0.3" \
	wait_until 10 endpoint_is "$t3" 10.3.0.3
check "the DUT moves to 10.3.0.3" wait_until 10 endpoint_is "$s3" 10.3.0.3
check "the DUT still pings its peer" pings "$d3" 10.73.0.2

# 4. outage during a session -----------------------------------------------
log "4. the outer link of the DUT goes down for a while during a session"
new_ns d4
new_ns s4
check "outer link 10.4.0.0/24" veth_link "$d4" eth0 10.4.0.1/24 \
	"$s4" eth0 10.4.0.2/24
check "stock peer counts what it receives" count_setup "$s4"
check "stock peer wg0, 10.74.0.2, no endpoint" stock_peer "$s4" \
	10.74.0.2/24 d4 10.74.0.1/32
check "DUT $PL" dut_create "$d4" fleet0 mgmt
check "DUT: key, port 51821, 10.74.0.1" wg_iface dut "$d4" "$PL" d4 51821 \
	10.74.0.1/24
check "DUT: peer at 10.4.0.2:51820, persistent-keepalive 2" \
	wg_peer dut "$d4" "$PL" "$s4" 10.74.0.2/32 10.4.0.2:51820 2
check "DUT pings the stock peer" pings "$d4" 10.74.0.2
n=$(datas "$s4")
check "keepalives arrive" wait_until 10 above "$s4" datas "$n"
check "DUT's outer link down (no route to the peer)" \
	ip -n "$d4" link set eth0 down
# at least two keepalives fail to leave
sleep 5
if [ "$DUT" = wgplanes ]; then
	check_output "the failed sends were counted (drop_tx_error)" '^[1-9]' \
		counter_of "$d4" drop_tx_error
fi
n=$(datas "$s4")
check "DUT's outer link up" ip -n "$d4" link set eth0 up
check "keepalives arrive again, no local traffic" \
	wait_until 15 above "$s4" datas "$n"
check "the stock peer reaches the DUT" pings "$s4" 10.74.0.1

# 5. handshake give-up -------------------------------------------------------
log "5. outage from the start: the DUT gives up its handshake, then recovers"
new_ns d5
new_ns s5
check "outer link 10.5.0.0/24" veth_link "$d5" eth0 10.5.0.1/24 \
	"$s5" eth0 10.5.0.2/24
check "stock peer counts what it receives" count_setup "$s5"
check "stock peer drops everything (the outage)" cut_path "$s5"
check "stock peer wg0, 10.75.0.2, no endpoint" stock_peer "$s5" \
	10.75.0.2/24 d5 10.75.0.1/32
check "DUT $PL" dut_create "$d5" fleet0 mgmt
check "DUT: key, port 51821, 10.75.0.1" wg_iface dut "$d5" "$PL" d5 51821 \
	10.75.0.1/24
check "DUT: peer at 10.5.0.2:51820, persistent-keepalive 15" \
	wg_peer dut "$d5" "$PL" "$s5" 10.75.0.2/32 10.5.0.2:51820 15
check "the DUT tries to reach its peer" wait_until 10 above "$s5" inits 0
check_fail "a ping waits for the handshake, in vain" \
	ip netns exec "$d5" ping -c 1 -W 1 10.75.0.2
# quiet_for SECS TIMEOUT: within TIMEOUT, no initiation reached the stock
# peer for SECS: the DUT stopped retrying (retries come every
# REKEY_TIMEOUT, 5 s; the persistent keepalive 15 s after the last one)
quiet_for() {
	local n prev=-1 since=$SECONDS deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		n=$(inits "$s5")
		if [ "$n" != "$prev" ]; then
			prev=$n
			since=$SECONDS
		elif [ $((SECONDS - since)) -ge "$1" ]; then
			echo "quiet after $n initiations"
			return 0
		fi
		sleep 0.5
	done
	echo "still retrying: $n initiations"
	return 1
}
gave_up() { [ "$(counter_of "$d5" drop_handshake_timeout)" -ge 1 ]; }
if [ "$DUT" = wgplanes ]; then
	check "a retry is under way" wait_until 15 above "$s5" inits 1
	AGE=$(plane_debugfs "$d5" "$PL")/age
	# REKEY_ATTEMPT_TIME and more: the next retry is the last
	check "debugfs: the handshake attempts age by 100 s" \
		sh -c "echo 100 > $AGE"
	check "the DUT gave up: the waiting ping is dropped (drop_handshake_timeout)" \
		wait_until 15 gave_up
else
	# stock: 20 initiations (about 105 s), then quiet until its persistent
	# keepalive; a packet sent meanwhile may start the count again (the
	# one long wait of this test)
	check "the DUT stopped retrying (gave up)" quiet_for 8 300
fi
log "$(inits "$s5") initiations reached the stock peer"
check "the path comes back" mend_path "$s5"
# the persistent keepalive (15 s after the last initiation) starts one
check "the DUT completes a handshake by itself (no local traffic)" \
	wait_until 30 handshake_done "$s5"
check "the stock peer reaches the DUT" pings "$s5" 10.75.0.1

test_end
