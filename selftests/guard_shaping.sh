#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The receive guard shapes (module/guard.h): data messages over a plane's
# budget wait in their peer's shaping queue and are released at the rate,
# so TCP coming into a guarded plane is paced by delay instead of being
# cut down by loss. The plane fleet0-mgmt has two stock WireGuard peers,
# S1 and S2. Its rate R is a third of what TCP gets through it unguarded
# here and a quarter of what S2 can flood it with (0.25 to 8 Mbit/s), its
# burst only 10 ms at R. Asserts:
#  * TCP from S1 into the plane carries R within 10%, and the guard
#    delayed messages to get there (rx_shaped);
#  * a UDP flood of 10x R from S2 is held to the budget: what reaches
#    decryption is at most R times the time, plus the burst and a peer's
#    shaping queue; the excess is counted (drop_rx_rate);
#  * while S2 floods, S1's TCP still gets a third of R: the peers' queues
#    are released in turn;
#  * afterwards the plane's decryption queue is empty;
#  * no kernel report and no leak (test_end).
# The rates are timing checks: on the debug kernel they are skipped.
#
#   ns $P: fleet0 (fleet0-mgmt 192.168.77.1, port 51821)
#          veth p1 10.0.1.1 -- ns $S1: wg0 (stock, port 51900) 192.168.77.2
#          veth p2 10.0.2.1 -- ns $S2: wg0 (stock, port 51900) 192.168.77.3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd iperf3
on_debug_kernel && T_RUN=${GUARD_SHAPING_SECONDS:-5} ||
	T_RUN=${GUARD_SHAPING_SECONDS:-8}
PORT=51821
T=$WG_TMP

new_ns P
new_ns S1
new_ns S2
p() { ip netns exec "$P" "$@"; }
wgp() { p "$WGPLANES" "$@"; }
pv() { plane_value "$P" fleet0-mgmt "$1"; }

ip -n "$P" link add fleet0 type wgplanes
keypair mgmt >/dev/null
wgp set fleet0-mgmt private-key "$(keyfile mgmt)" listen-port $PORT
ip -n "$P" addr add 192.168.77.1/24 dev fleet0-mgmt
ip -n "$P" link set fleet0-mgmt up
for i in 1 2; do
	ns=S$i
	veth_link "$P" p$i 10.0.$i.1/24 "${!ns}" v$i 10.0.$i.2/24
	keypair "s$i" >/dev/null
	wgp set fleet0-mgmt peer "$(pubkey_of s$i)" \
		allowed-ips 192.168.77.$((i + 1))/32 endpoint 10.0.$i.2:51900
	ip -n "${!ns}" link add wg0 type wireguard
	ip netns exec "${!ns}" wg set wg0 private-key "$(keyfile s$i)" \
		listen-port 51900 peer "$(pubkey_of mgmt)" \
		allowed-ips 192.168.77.1/32 endpoint 10.0.$i.1:$PORT
	ip -n "${!ns}" addr add 192.168.77.$((i + 1))/24 dev wg0
	ip -n "${!ns}" link set wg0 up
	check "S$i reaches the plane" pings "${!ns}" 192.168.77.1 20
done

# mbit FILE: Mbit/s received in iperf3's JSON FILE (0 if none)
mbit() {
	python3 - "$1" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    s = j["end"].get("sum_received") or j["end"]["sum"]
    print("%.2f" % (s["bits_per_second"] / 1e6))
except Exception:
    print("0")
EOF
}
# tcp_in SECONDS: TCP from S1 into the plane, Mbit/s
tcp_in() {
	p iperf3 -s -D -1 -B 192.168.77.1 -p 5201 --logfile /dev/null
	sleep 0.3
	ip netns exec "$S1" timeout $(($1 + 30)) iperf3 -c 192.168.77.1 \
		-p 5201 -t "$1" -O 1 -J > "$T/tcp.json" 2>/dev/null || true
	mbit "$T/tcp.json"
}
# udp_flood MBIT SECONDS: UDP from S2 into the plane, in the background
udp_flood() {
	p iperf3 -s -D -1 -B 192.168.77.1 -p 5202 --logfile /dev/null
	sleep 0.3
	ip netns exec "$S2" timeout $(($2 + 30)) iperf3 -c 192.168.77.1 \
		-p 5202 -u -b "${1}M" -l 1200 -t "$2" -J \
		> "$T/udp.json" 2>/dev/null &
	flood_pid=$!
	at_exit kill $flood_pid
}
# offered FILE: Mbit/s that iperf3 sent in its UDP JSON FILE
offered() {
	python3 - "$1" <<'EOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    print("%.2f" % (j["end"]["sum"]["bits_per_second"] / 1e6))
except Exception:
    print("0")
EOF
}

cap=$(tcp_in 3)
# and what S2 can flood with: on the debug kernel, under load, its UDP
# sender made 6 Mbit/s where TCP made 16, and a rate of a third of TCP's
# left no flood over it
udp_flood 1000 3
wait $flood_pid || true
ucap=$(offered "$T/udp.json")
# in kbit/s: on the debug kernel under load a third of TCP's was below
# 1 Mbit/s, and a floor there left the flood hardly over the rate
RATE_K=$(python3 -c "
print(max(250, min(8000, int(float('$cap') * 1000 / 3),
                   int(float('$ucap') * 1000 / 4))))")
RATE=$(python3 -c "print($RATE_K / 1000)")	# Mbit/s, for the checks
FLOOD=$(python3 -c "print($RATE_K * 10 / 1000)")
BURST=$((RATE_K * 1000 / 8 / 100))
[ "$BURST" -ge 1500 ] || BURST=1500
log "into the unguarded plane: TCP $cap Mbit/s, UDP offered $ucap Mbit/s; rate $RATE Mbit/s, burst $BURST B (10 ms)"
check "plane rate ${RATE_K}kbit burst $BURST" \
	wgp set fleet0-mgmt rate "${RATE_K}kbit" burst "$BURST"

log "TCP into the guarded plane"
shaped0=$(pv rx_shaped)
alone=$(tcp_in "$T_RUN")
shaped1=$(pv rx_shaped)
log "TCP in: $alone Mbit/s at rate $RATE Mbit/s; $((shaped1 - shaped0)) messages shaped, drop_rx_rate $(pv drop_rx_rate)"
timing_check "TCP into the plane carries the rate within 10%" python3 -c "
import sys
sys.exit(0 if abs(float('$alone') - $RATE) <= 0.1 * $RATE else 1)"
check "the guard delayed messages (rx_shaped)" test "$shaped1" -gt "$shaped0"

log "a UDP flood of 10x the rate is held to the budget"
rx0=$(pv rx_bytes)
pol0=$(pv drop_rx_rate)
t0=$(date +%s%N)
udp_flood "$FLOOD" "$T_RUN"
wait $flood_pid || true
sleep 1
t1=$(date +%s%N)
rx1=$(pv rx_bytes)
pol1=$(pv drop_rx_rate)
off=$(offered "$T/udp.json")
log "offered $off Mbit/s; decrypted $(((rx1 - rx0) / 1000)) kB in $(((t1 - t0) / 1000000)) ms; $((pol1 - pol0)) policed"
check "the flood was over the rate" python3 -c "
import sys
sys.exit(0 if float('$off') >= 2 * $RATE else 1)"
check "the excess was policed and counted" test "$pol1" -gt "$pol0"
# the rate over the time, the burst, one peer's shaping queue (50 ms at
# the rate or 16 messages), and 10% for where the clocks were read
check "what reached decryption is within the budget" python3 -c "
import sys
got = $rx1 - $rx0
budget = 1.1 * ($RATE * 1e6 / 8 * ($t1 - $t0) / 1e9 + $BURST +
               max($RATE * 1e6 / 8 * 0.05, 16 * 1500))
print('# decrypted %d B, budget %d B' % (got, budget))
sys.exit(0 if got <= budget else 1)"

log "S2 floods at 10x the rate while S1's TCP comes in"
udp_flood "$FLOOD" $((T_RUN + 4))
sleep 2
shared=$(tcp_in "$T_RUN")
wait $flood_pid || true
log "S1's TCP under S2's flood: $shared Mbit/s of $RATE"
timing_check "S1 keeps a third of the rate" python3 -c "
import sys
sys.exit(0 if float('$shared') >= $RATE / 3 else 1)"

sleep 1
check "the decryption queue is empty again" \
	test "$(pv decqueue_used)/$(pv decqueue_bytes)" = 0/0

test_end
