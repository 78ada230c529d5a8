#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A plane of a fleet against stock kernel WireGuard configured with wg:
# handshakes initiated by either side, IPv4 and IPv6 inside and outside,
# a wrong key (no handshake, counted drop), preshared key match and
# mismatch, TCP both ways with iperf3, each side's transfer counters
# against the other's after batches of pings, the debugfs ageing hook that
# forces a rekey, and a debugfs directory of its own for each of two planes
# of the same name in two namespaces.
#
#   ns $P: fleet0 with plane fleet0-mgmt, veth vp 10.0.0.1 fd00::1
#   ns $S: wg0 (stock), veth vs 10.0.0.2 fd00::2
#   inner: plane 192.168.77.1 fd77::1, stock 192.168.77.2 fd77::2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg ping python3
modprobe wireguard 2>/dev/null || true

new_ns P
new_ns S
PL=fleet0-mgmt
p() { ip netns exec "$P" "$@"; }
s() { ip netns exec "$S" "$@"; }
wgp() { p "$WGPLANES" "$@"; }

ip -n "$P" link add vp type veth peer name vs netns "$S"
ip -n "$P" addr add 10.0.0.1/24 dev vp
ip -n "$P" addr add fd00::1/64 dev vp nodad
ip -n "$S" addr add 10.0.0.2/24 dev vs
ip -n "$S" addr add fd00::2/64 dev vs nodad
ip -n "$P" link set vp up
ip -n "$S" link set vs up

umask 077
KEYS=$(mktemp -d)
at_exit rm -rf "$KEYS"
wg genkey > "$KEYS/p.key"
wg genkey > "$KEYS/s.key"
wg genkey > "$KEYS/x.key"
wg genpsk > "$KEYS/psk1"
wg genpsk > "$KEYS/psk2"
PUB_P=$(wg pubkey < "$KEYS/p.key")
PUB_S=$(wg pubkey < "$KEYS/s.key")
PUB_X=$(wg pubkey < "$KEYS/x.key")

# counter NAME: a counter of the plane, from the tool's JSON output
counter() { plane_value "$P" "$PL" "$1"; }
# counter_gt NAME N: the counter is above N
counter_gt() { [ "$(counter "$1")" -gt "$2" ]; }

# setup OUTER PEERKEY PSK_P PSK_S: fresh plane and stock device
setup() {
	local outer=$1 peerkey=$2 psk_p=$3 psk_s=$4 ep_p ep_s
	if [ "$outer" = 6 ]; then
		ep_p="[fd00::2]:51820" ep_s="[fd00::1]:51821"
	else
		ep_p="10.0.0.2:51820" ep_s="10.0.0.1:51821"
	fi
	ip -n "$P" link del fleet0 2>/dev/null || true
	ip -n "$S" link del wg0 2>/dev/null || true
	ip -n "$P" link add fleet0 type wgplanes
	wgp set "$PL" private-key "$KEYS/p.key" listen-port 51821 \
		peer "$peerkey" allowed-ips 192.168.77.2/32,fd77::2/128 \
		endpoint "$ep_p" ${psk_p:+preshared-key "$psk_p"}
	ip -n "$P" addr add 192.168.77.1/24 dev "$PL"
	ip -n "$P" addr add fd77::1/64 dev "$PL" nodad
	ip -n "$P" link set "$PL" up

	ip -n "$S" link add wg0 type wireguard
	s wg set wg0 private-key "$KEYS/s.key" listen-port 51820 \
		peer "$PUB_P" allowed-ips 192.168.77.1/32,fd77::1/128 \
		endpoint "$ep_s" ${psk_s:+preshared-key "$psk_s"}
	ip -n "$S" addr add 192.168.77.2/24 dev wg0
	ip -n "$S" addr add fd77::2/64 dev wg0 nodad
	ip -n "$S" link set wg0 up
}

stock_handshake() {
	local t
	t=$(s wg show wg0 latest-handshakes | awk '{print $2}')
	[ -n "$t" ] && [ "$t" -gt 0 ]
}

ping_ok() { "$@" -c 2 -i 0.2 -W 2 >/dev/null; }

for outer in 4 6; do
	log "outer IPv$outer, the stock side initiates"
	setup $outer "$PUB_S"
	check "v$outer: stock -> plane ping (IPv4 inside)" \
		wait_until 10 ping_ok s ping 192.168.77.1
	check "v$outer: handshake seen by wg" stock_handshake
	check "v$outer: plane -> stock ping (IPv4 inside)" \
		ping_ok p ping 192.168.77.2
	check "v$outer: plane -> stock ping (IPv6 inside)" \
		wait_until 5 ping_ok p ping -6 fd77::2
	check "v$outer: stock -> plane ping (IPv6 inside)" \
		ping_ok s ping -6 fd77::1
	check_output "v$outer: plane counted the initiation it answered" \
		'^[1-9]' counter handshake_init_rx

	log "outer IPv$outer, the plane initiates"
	setup $outer "$PUB_S"
	check "v$outer: plane -> stock ping (IPv4 inside)" \
		wait_until 10 ping_ok p ping 192.168.77.2
	check "v$outer: handshake seen by wg" stock_handshake
	check "v$outer: stock -> plane ping (IPv6 inside)" \
		wait_until 5 ping_ok s ping -6 fd77::1
	check_output "v$outer: plane sent the initiation" \
		'^[1-9]' counter handshake_init_tx
	check_output "v$outer: plane counts rx packets" '^[1-9]' \
		counter rx_packets
	check_output "v$outer: wg shows the plane's endpoint" \
		"$( [ $outer = 6 ] && echo '\[fd00::1\]:51821' || echo '10.0.0.1:51821')" \
		s wg show wg0 endpoints
done

log "a wrong peer key on the plane: no handshake, counted drop"
setup 4 "$PUB_X"
check_fail "stock -> plane ping fails" ping_ok s ping -c 1 -W 2 192.168.77.1
check_fail "no handshake on the stock side" stock_handshake
check_output "plane counted the unknown initiator" '^[1-9]' \
	counter drop_handshake_invalid
check_fail "plane -> stock ping fails" ping_ok p ping -c 1 -W 2 192.168.77.2
check_fail "still no handshake on the stock side" stock_handshake

log "preshared keys"
setup 4 "$PUB_S" "$KEYS/psk1" "$KEYS/psk1"
check "same PSK: plane -> stock ping" \
	wait_until 10 ping_ok p ping 192.168.77.2
setup 4 "$PUB_S" "$KEYS/psk1" "$KEYS/psk1"
check "same PSK: stock -> plane ping" \
	wait_until 10 ping_ok s ping 192.168.77.1
setup 4 "$PUB_S" "$KEYS/psk1" "$KEYS/psk2"
check_fail "PSK mismatch: plane -> stock ping fails" \
	ping_ok p ping -c 1 -W 3 192.168.77.2
check_fail "PSK mismatch: stock -> plane ping fails" \
	ping_ok s ping -c 1 -W 3 192.168.77.1
check_fail "PSK mismatch: no handshake" stock_handshake
check_output "PSK mismatch: plane counted the failed handshake" '^[1-9]' \
	counter drop_handshake_invalid

log "persistent keepalive from the plane"
setup 4 "$PUB_S"
check "plane -> stock ping" wait_until 10 ping_ok p ping 192.168.77.2
wgp set "$PL" peer "$PUB_S" persistent-keepalive 1
ping_ok p ping 192.168.77.2 || true
rx_bytes() { s wg show wg0 transfer | awk '{print $2}'; }
before=$(rx_bytes)
sleep 3.5
check "stock side received keepalives without traffic" \
	test "$(rx_bytes)" -ge $((before + 2 * 32))
wgp set "$PL" peer "$PUB_S" persistent-keepalive 0

log "rekey forced by ageing the keys (debugfs)"
setup 4 "$PUB_S"
check "plane -> stock ping" wait_until 10 ping_ok p ping 192.168.77.2
AGE=$(plane_debugfs "$P" "$PL")/age
if [ -w "$AGE" ]; then
	before=$(counter handshake_init_tx)
	echo 125 > "$AGE"
	check "ping after ageing" ping_ok p ping 192.168.77.2
	check "plane initiated a new handshake" wait_until 5 \
		counter_gt handshake_init_tx "$before"
	check "ping after the rekey" ping_ok p ping 192.168.77.2

	log "key expiry: keys older than REJECT_AFTER_TIME are not used"
	sleep 1
	# either side may start it: stock, too, gives up on silence
	before=$(($(counter handshake_init_tx) + $(counter handshake_resp_tx)))
	expired=$(counter drop_key_expired)
	echo 200 > "$AGE"
	# stock's keys are fresh by its own clock: its data is refused
	s ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1 || true
	# 15 s: on the debug kernel one reading of a counter takes seconds
	check "data under expired keys is dropped and counted" \
		wait_until 15 counter_gt drop_key_expired "$expired"
	log "drop_key_expired $expired -> $(counter drop_key_expired)," \
		"handshakes sent $before -> $(($(counter handshake_init_tx) +
		$(counter handshake_resp_tx))), drop_no_keypair" \
		"$(counter drop_no_keypair), rx_keepalives" \
		"$(counter rx_keepalives)"
	check "the plane sends only after a new handshake" \
		wait_until 10 ping_ok p ping 192.168.77.2
	check "a new handshake replaced the expired keys" \
		test "$(($(counter handshake_init_tx) + $(counter handshake_resp_tx)))" -gt "$before"
	check "stock -> plane ping with the new keys" \
		wait_until 10 ping_ok s ping 192.168.77.1
else
	fail "no debugfs file $AGE"
fi

log "debugfs: a plane of the same name in another namespace has its own"
new_ns Q
ip -n "$Q" link add fleet0 type wgplanes
ip -n "$Q" link set "$PL" up
DBG_P=$(plane_debugfs "$P" "$PL")
DBG_Q=$(plane_debugfs "$Q" "$PL")
log "$DBG_P and $DBG_Q"
check "cpu_work of the plane in $P" test -r "$DBG_P/cpu_work"
check "cpu_work of the plane in $Q" test -r "$DBG_Q/cpu_work"
# work_runs DIR: work items run by the plane of debugfs directory DIR
work_runs() {
	[ -r "$1/cpu_work" ] &&
		awk '{ n += $2 } END { print n + 0 }' "$1/cpu_work"
}
runs_p=$(work_runs "$DBG_P") || true
runs_q=$(work_runs "$DBG_Q") || true
check "traffic over the plane in $P" ping_ok p ping 192.168.77.2
check "its cpu_work counted the work" \
	test "$(work_runs "$DBG_P")" -gt "$runs_p"
check "the idle plane's cpu_work did not move" \
	test "$(work_runs "$DBG_Q")" -eq "$runs_q"
ip -n "$Q" link set "$PL" down
check "down removes the directory" test ! -e "$DBG_Q"
check "the other plane keeps its own" test -r "$DBG_P/cpu_work"
ip -n "$Q" link del fleet0

log "under load: cookie reply to stock WireGuard, then its mac2 is accepted"
setup 4 "$PUB_S"
wgp set "$PL" hsqueue 16
# junk initiations with a valid mac1 cost the plane a DH each, so its
# handshake queue fills beyond 1/8 and it goes under load
s python3 "$SELFTESTS_DIR/mac1_flood.py" "$PUB_P" 10.0.0.1 51821 12 \
	>/dev/null &
flood=$!
at_exit "kill $flood"
sleep 1
check "stock -> plane ping under load" \
	wait_until 20 ping_ok s ping -c 1 -W 1 192.168.77.1
# the handshake queue may still be catching up: poll the counters
counter_positive() { [ "$(counter "$1")" -gt 0 ]; }
check "plane went under load" wait_until 15 counter_positive under_load
check "plane sent cookie replies" wait_until 15 counter_positive cookie_tx
check "plane dropped initiations without mac2" \
	wait_until 15 counter_positive drop_bad_mac2
kill $flood 2>/dev/null || true
wait $flood 2>/dev/null || true

log "transfer: each side counts as received what the other sent"
setup 4 "$PUB_S"
check "plane -> stock ping" wait_until 10 ping_ok p ping 192.168.77.2
# "received sent" of the plane, "sent received" of stock: the data's
# deltas must match (not the totals: a handshake message one side sent
# and the other refused, under load, counts on one side only)
plane_transfer() { wgp show "$PL" transfer | awk '{print $2, $3}'; }
stock_transfer() { s wg show wg0 transfer | awk '{print $3, $2}'; }
delta() { # delta "A B" "C D": "A-C B-D"
	echo "$1 $2" | awk '{print $1 - $3, $2 - $4}'
}
p0=$(plane_transfer)
s0=$(stock_transfer)
# a ping flood with 32 echo requests in flight, each way: the plane sends
# and receives batches (its send and receive work account once a batch)
check "plane -> stock, 32 pings in flight" \
	p ping -q -f -c 640 -l 32 -s 1200 -W 2 192.168.77.2
check "stock -> plane, 32 pings in flight" \
	s ping -q -f -c 640 -l 32 -s 1200 -W 2 192.168.77.1
transfer_mirrored() {
	local a
	a=$(delta "$(plane_transfer)" "$p0")
	[ "$a" != "0 0" ] && [ "$a" = "$(delta "$(stock_transfer)" "$s0")" ]
}
check "the plane's transfer mirrors stock's" wait_until 5 transfer_mirrored
log "plane received, sent: $p0 -> $(plane_transfer);" \
	"stock sent, received: $s0 -> $(stock_transfer)"

if command -v iperf3 >/dev/null; then
	log "TCP with iperf3, both directions"
	s iperf3 -s -D -1 --logfile /dev/null -B 192.168.77.2
	sleep 0.5
	out=$(p timeout 30 iperf3 -c 192.168.77.2 -t 3 -f m 2>&1) || true
	check_output "iperf3 plane -> stock completes" 'receiver' echo "$out"
	log "plane -> stock: $(echo "$out" | awk '/receiver/ {print $7, $8}')"
	s iperf3 -s -D -1 --logfile /dev/null -B 192.168.77.2
	sleep 0.5
	out=$(p timeout 30 iperf3 -c 192.168.77.2 -t 3 -R -f m 2>&1) || true
	check_output "iperf3 stock -> plane completes" 'receiver' echo "$out"
	log "stock -> plane: $(echo "$out" | awk '/receiver/ {print $7, $8}')"

	log "UDP with iperf3, both directions"
	# udp_received OUTPUT: the receiver got datagrams ("lost/total")
	udp_received() {
		echo "$1" | awk '/receiver/ { if (match($0, /[0-9]+\/[0-9]+ /)) {
			split(substr($0, RSTART, RLENGTH), a, "/");
			ok = (a[2] + 0 > a[1] + 0) } } END { exit !ok }'
	}
	for dir in "" -R; do
		s iperf3 -s -D -1 --logfile /dev/null -B 192.168.77.2
		sleep 0.5
		out=$(p timeout 30 iperf3 -c 192.168.77.2 -u -b 20M -t 3 $dir \
			-f m 2>&1) || true
		what="plane -> stock"
		[ -z "$dir" ] || what="stock -> plane"
		check "iperf3 UDP $what: datagrams received" udp_received "$out"
		log "UDP $what: $(echo "$out" | awk '/receiver/ {print $7, $8, $11, $12}')"
	done

	# the same measurement between two stock devices, for comparison
	ip -n "$P" link add wgs type wireguard
	p wg set wgs private-key "$KEYS/x.key" listen-port 51830 \
		peer "$PUB_S" allowed-ips 192.168.78.2/32 endpoint 10.0.0.2:51831
	ip -n "$P" addr add 192.168.78.1/24 dev wgs
	ip -n "$P" link set wgs up
	ip -n "$S" link add wgs type wireguard
	s wg set wgs private-key "$KEYS/s.key" listen-port 51831 \
		peer "$PUB_X" allowed-ips 192.168.78.1/32 endpoint 10.0.0.1:51830
	ip -n "$S" addr add 192.168.78.2/24 dev wgs
	ip -n "$S" link set wgs up
	s iperf3 -s -D -1 --logfile /dev/null -B 192.168.78.2
	sleep 0.5
	out=$(p timeout 30 iperf3 -c 192.168.78.2 -t 3 -f m 2>&1) || true
	log "stock -> stock (reference): $(echo "$out" | awk '/receiver/ {print $7, $8}')"
	ip -n "$P" link del wgs
	ip -n "$S" link del wgs
else
	log "iperf3 not installed: TCP part skipped"
fi

ip -n "$P" link del fleet0
ip -n "$S" link del wg0

log "the birth namespace of a plane goes away while the plane lives on"
new_ns B
new_ns C
ip -n "$B" link add fleet1 type wgplanes
ip -n "$B" link set fleet1 netns "$C"
ip -n "$B" link set fleet1-mgmt netns "$C"
ip netns exec "$C" "$WGPLANES" set fleet1-mgmt private-key "$KEYS/p.key" \
	listen-port 51899 peer "$PUB_S" allowed-ips 192.168.79.2/32 \
	endpoint 10.0.0.2:51820
ip -n "$C" link set fleet1-mgmt up
check_output "the plane's socket is in the birth namespace" ':51899' \
	ip netns exec "$B" ss -Huln
check "its debugfs directory names the namespace it is in" \
	test -d "$(plane_debugfs "$C" fleet1-mgmt)"
ip netns del "$B"
sleep 1
check "the plane is still there" ip -n "$C" link show fleet1-mgmt
ip -n "$C" addr add 192.168.79.1/24 dev fleet1-mgmt
check_fail "it cannot send without sockets" \
	ip netns exec "$C" ping -c 1 -W 1 192.168.79.2
check "down and up without a birth namespace" \
	sh -c "ip -n $C link set fleet1-mgmt down && ip -n $C link set fleet1-mgmt up"
ip -n "$C" link del fleet1

# Unloading proves that nothing of the planes was left behind: the module
# prints "wgplanes: leak: ..." otherwise, which fails the kernel log check.
if [ -n "$WGPLANES_KO" ] && [ -r "$WGPLANES_KO" ]; then
	sleep 0.5
	check "module unloads" rmmod wgplanes
	# shellcheck disable=SC2086
	check "module loads again" insmod "$WGPLANES_KO" $VM_PARAMS
fi
test_end
