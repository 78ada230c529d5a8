#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Roaming and NAT against stock WireGuard.
#  1. Roaming: a stock peer changes its outer address and port in the
#     middle of a session, then moves to a second link over IPv6, then back
#     to IPv4 while pinging; the plane follows (its endpoint, as shown by
#     "show <plane> endpoints", changes) and traffic continues.
#  2. NAT: the plane sits behind a router doing masquerade with a 3 s
#     conntrack UDP timeout. Without keepalive, traffic initiated from
#     outside fails once the mapping expired; with persistent-keepalive 1
#     it keeps working well past the timeout.
# With DUT=stock, the plane is a stock wireguard device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd nft conntrack

# endpoint_is NS DEV REGEX: the DUT's only peer has an endpoint matching.
endpoint_is() {
	local out
	out=$(dut_wg "$1" show "$2" endpoints) || return 1
	printf '%s\n' "$out" | grep -Eq "	$3\$" && return 0
	echo "endpoints: $out"
	return 1
}

# 1. roaming ------------------------------------------------------------
log "roaming"
new_ns d
new_ns c
P=fleet0-enroll
check "outer links: IPv4 (eth0), IPv6 (eth1)" bash -c "
	$(declare -f veth_link)
	veth_link $d eth0 192.168.1.1/24 $c eth0 192.168.1.2/24 &&
	veth_link $d eth1 fd00:2::1/64 $c eth1 fd00:2::2/64"
check "DUT $P" dut_create "$d" fleet0 enroll
check "stock peer wg0" stock_create "$c" wg0
check "DUT: key, port 51820, 10.77.0.1" wg_iface dut "$d" "$P" d 51820 \
	10.77.0.1/16
check "stock: key, port 51821, 10.77.0.2" wg_iface stock "$c" wg0 c 51821 \
	10.77.0.2/16
check "DUT: peer without endpoint" wg_peer dut "$d" "$P" c 10.77.0.2/32
check "stock: peer with endpoint 192.168.1.1:51820" wg_peer stock "$c" wg0 d \
	10.77.0.0/16 192.168.1.1:51820

check "stock peer pings the DUT" pings "$c" 10.77.0.1
check "DUT learned the endpoint 192.168.1.2:51821" \
	endpoint_is "$d" "$P" '192\.168\.1\.2:51821'
check "DUT pings the stock peer" pings "$d" 10.77.0.2

log "roam: new address and port on the same link"
check "stock peer moves to 192.168.1.3, port 40000" sh -c "
	ip -n $c addr del 192.168.1.2/24 dev eth0 &&
	ip -n $c addr add 192.168.1.3/24 dev eth0 nodad &&
	ip netns exec $c wg set wg0 listen-port 40000"
check "stock peer pings the DUT from there" pings "$c" 10.77.0.1
check "DUT's endpoint is now 192.168.1.3:40000" \
	endpoint_is "$d" "$P" '192\.168\.1\.3:40000'
check "DUT pings the stock peer at its new place" pings "$d" 10.77.0.2

log "roam: to the second link, IPv6 outside"
check "stock peer: IPv4 link down, DUT's endpoint over IPv6" sh -c "
	ip -n $c link set eth0 down &&
	ip netns exec $c wg set wg0 peer $(pubkey_of d) endpoint '[fd00:2::1]:51820'"
check "stock peer pings the DUT over the IPv6 link" pings "$c" 10.77.0.1
check "DUT's endpoint is now [fd00:2::2]:40000" \
	endpoint_is "$d" "$P" '\[fd00:2::2\]:40000'
check "DUT pings the stock peer over IPv6" pings "$d" 10.77.0.2

log "roam back to IPv4 in the middle of a ping run"
check "the IPv4 link comes back" ip -n "$c" link set eth0 up
# what the DUT sends to the stock peer's old IPv6 endpoint is counted
printf '%s\n' 'table ip6 roam {' '	counter old { }' '	chain out {' \
	'		type filter hook output priority 0;' \
	'		ip6 daddr fd00:2::2 udp dport 40000 counter name old' \
	'	}' '}' > "$WG_TMP/old.nft"
check "DUT: count what leaves for the old endpoint" \
	ip netns exec "$d" nft -f "$WG_TMP/old.nft"
old_sent() {
	ip netns exec "$d" nft list counter ip6 roam old |
		sed -nE 's/.*packets ([0-9]+).*/\1/p'
}
ip netns exec "$c" ping -c 300 -i 0.2 -W 1 10.77.0.1 > "$WG_TMP/ping.out" 2>&1 &
pingpid=$!
check "ping run under way" wait_until 20 grep -q 'icmp_seq=5 ' "$WG_TMP/ping.out"
check "stock peer takes 192.168.1.4 (still talking over IPv6)" sh -c "
	ip -n $c addr del 192.168.1.3/24 dev eth0 &&
	ip -n $c addr add 192.168.1.4/24 dev eth0 nodad"
t0=$(date +%s%N)
check "stock peer: IPv6 link down, DUT's IPv4 address as endpoint" sh -c "
	ip -n $c link set eth1 down &&
	ip netns exec $c wg set wg0 peer $(pubkey_of d) endpoint 192.168.1.1:51820"
t1=$(date +%s%N)
# From here on the stock peer sends over IPv4 only: whatever the DUT still
# sends to the old place is a roaming failure (at most one reply to a ping
# that came over IPv6 just before the switch may still be under way).
sent0=$(old_sent)
sleep 3
kill -INT $pingpid 2>/dev/null || true
wait $pingpid || true
sent1=$(old_sent)
# Pings sent while the stock peer itself is half switched are lost whatever
# the DUT does, and that takes long on a loaded machine: the loss budget is
# that window at 5 pings a second, plus 2.
window_ms=$(((t1 - t0) / 1000000))
budget=$((window_ms / 200 + 2))
read -r tx rx < <(sed -nE \
	's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' \
	"$WG_TMP/ping.out") || true
tx=${tx:-0} rx=${rx:-0}
replied() {
	local q
	for q in "$@"; do
		grep -q "icmp_seq=$q " "$WG_TMP/ping.out" ||
			{ echo "no reply to icmp_seq=$q"; return 1; }
	done
}
check "replies to the last pings (seq $((tx - 5))..$((tx - 1)) of $tx)" \
	replied $(seq $((tx - 5)) $((tx - 1)))
check "at most $budget of $tx lost (switch took $window_ms ms): $((tx - rx))" \
	test $((tx - rx)) -le "$budget"
check "DUT sent at most 1 packet to the old endpoint after the switch: $((sent1 - sent0))" \
	test $((sent1 - sent0)) -le 1
check "one more ping from the new place" pings "$c" 10.77.0.1 1
check "DUT's endpoint is now 192.168.1.4:40000" \
	endpoint_is "$d" "$P" '192\.168\.1\.4:40000'
check "DUT pings the stock peer" pings "$d" 10.77.0.2

# Drops the user can see, with their reason (counters of wgplanes only).
# counter_is NS PLANE NAME VALUE (plane_value: lib_wg.sh)
counter_is() {
	local v
	v=$(plane_value "$1" "$2" "$3") || return 1
	echo "$2 $3: $v"
	[ "$v" -eq "$4" ]
}

log "handshake give-up: what waited for it is dropped and counted"
G=fleet0-mgmt
check "DUT $G" dut_create "$d" fleet0 mgmt
check "DUT $G: key, port 51830, 10.78.0.1" wg_iface dut "$d" "$G" g 51830 \
	10.78.0.1/24
check "DUT $G: peer at 192.168.1.99 (nobody there)" wg_peer dut "$d" "$G" c \
	10.78.0.2/32 192.168.1.99:51820
check_fail "3 pings wait for a handshake that never completes" \
	ip netns exec "$d" ping -c 3 -i 0.2 -W 1 10.78.0.2
giveup_start=$(date +%s)

if [ "$DUT" = wgplanes ]; then
	log "the outer send fails: counted as a send error, not as no endpoint"
	check "DUT: the route to the stock peer goes away" \
		ip -n "$d" addr del 192.168.1.1/24 dev eth0
	noep=$(plane_value "$d" "$P" drop_no_endpoint)
	check_fail "DUT cannot reach the stock peer" \
		ip netns exec "$d" ping -c 2 -i 0.2 -W 1 10.77.0.2
	check_output "$P counted the failed sends as drop_tx_error" '^[1-9]' \
		plane_value "$d" "$P" drop_tx_error
	check "$P: not as drop_no_endpoint" counter_is "$d" "$P" \
		drop_no_endpoint "$noep"
	check "DUT: the route comes back" \
		ip -n "$d" addr add 192.168.1.1/24 dev eth0
	check "DUT pings the stock peer again" pings "$d" 10.77.0.2
else
	log "DUT=stock: no drop counters, send error checks skipped"
fi

# 2. NAT and persistent keepalive -----------------------------------------
log "NAT: DUT behind a masquerading router, 3 s UDP conntrack timeout"
new_ns in
new_ns rt
new_ns out
check "links: DUT - router - stock peer" bash -c "
	$(declare -f veth_link)
	veth_link $in eth0 10.0.0.2/24 $rt lan 10.0.0.1/24 &&
	veth_link $rt wan 203.0.113.1/24 $out eth0 203.0.113.2/24 &&
	ip -n $in route add default via 10.0.0.1 &&
	ip netns exec $rt sysctl -qw net.ipv4.ip_forward=1"
cat > "$WG_TMP/nat.nft" <<EOF
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "wan" masquerade
	}
}
EOF
check "router: masquerade" ip netns exec "$rt" nft -f "$WG_TMP/nat.nft"
check "router: UDP conntrack timeouts 3 s (sysctl in its netns)" \
	ip netns exec "$rt" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3
check_output "the timeout is per netns" '^3$' \
	ip netns exec "$rt" cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout
Q=fleet0-enroll
check "DUT $Q behind the NAT" dut_create "$in" fleet0 enroll
check "stock peer outside" stock_create "$out" wg0
check "DUT: 10.77.0.2" wg_iface dut "$in" "$Q" nin 51820 10.77.0.2/16
check "stock: 10.77.0.1" wg_iface stock "$out" wg0 nout 51820 10.77.0.1/16
check "DUT: peer outside at 203.0.113.2:51820, no keepalive" \
	wg_peer dut "$in" "$Q" nout 10.77.0.0/16 203.0.113.2:51820
check "stock: peer without endpoint" \
	wg_peer stock "$out" wg0 nin 10.77.0.2/32

mapping() {
	ip netns exec "$rt" conntrack -L -p udp --orig-port-dst 51820 2>/dev/null |
		grep -c 'dport=51820'
}
# The stock peer ignores pings while the session is set up, so that the
# DUT receives no data and owes no passive keepalive (it would refresh
# the mapping 10 s later); its next packet is a new handshake 15 s after
# its ping. Between the expiry of the mapping (3 s) and then, nothing
# reaches the DUT from outside. No check here depends on the mapping being
# alive: that would race with its short timeout on a slow VM.
check "outside ignores echo requests for now" \
	ip netns exec "$out" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
ip netns exec "$in" ping -c 1 -W 2 10.77.0.1 >/dev/null 2>&1 || true
check "the mapping expires (3 s)" wait_until 20 sh -c "[ \"\$(
	ip netns exec $rt conntrack -L -p udp --orig-port-dst 51820 2>/dev/null |
	grep -c dport=51820)\" = 0 ]"
check "without keepalive, outside-initiated ping fails after the timeout" \
	no_ping "$out" 10.77.0.2
check "the session had been set up through the NAT (endpoint 203.0.113.1)" \
	sh -c "ip netns exec $out wg show wg0 endpoints | grep -q '	203\.0\.113\.1:'"

log "NAT: now with persistent-keepalive 1"
check "DUT: persistent-keepalive 1" \
	dut_wg "$in" set "$Q" peer "$(pubkey_of nout)" persistent-keepalive 1
check "the keepalive opens a mapping" wait_until 10 sh -c "[ \"\$(
	ip netns exec $rt conntrack -L -p udp --orig-port-dst 51820 2>/dev/null |
	grep -c dport=51820)\" != 0 ]"
# time must pass here: three times the conntrack timeout
sleep 9
check_output "the mapping is still there after 9 s" '^[1-9]' mapping
check "outside-initiated ping works after 9 s" pings "$out" 10.77.0.2
check_output "the DUT shows keepalive 1" '	1$' \
	dut_wg "$in" show "$Q" persistent-keepalive

if [ "$DUT" = wgplanes ]; then
	# REKEY_ATTEMPT_TIME (90 s) after the first initiation, the plane
	# gives up and drops the 3 pings that waited
	check "$G: 3 packets dropped at handshake give-up (drop_handshake_timeout)" \
		wait_until $((giveup_start + 130 - $(date +%s))) \
		counter_is "$d" "$G" drop_handshake_timeout 3
	log "give-up after $(($(date +%s) - giveup_start)) s"
else
	log "DUT=stock: no drop counters, give-up check skipped"
fi

test_end
