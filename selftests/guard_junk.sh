#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Junk does not drain a guarded plane's receive budget. The plane
# fleet0-mgmt has a rate R (a third of what TCP gets through it unguarded
# here, at most 8 Mbit/s) and a session with stock WireGuard; TCP runs
# from the stock side into the plane, once alone and once while an
# attacker sends junk at ten times R to the plane's port: data messages
# with random receiver indices (anyone can), and replays and bit-flipped
# copies of the session's own packets (someone on the path). Asserts:
#  * TCP under the flood keeps at least 90% of its throughput alone;
#  * the junk was dropped and counted (no keypair, replay, decryption);
#  * no kernel report and no leak (test_end).
#
#   ns $P: fleet0 (fleet0-mgmt 192.168.77.1, port 51821)
#          veth ps 10.0.1.1 -- ns $S: wg0 (stock, port 51900) 192.168.77.2
#          veth pa 10.0.2.1 -- ns $A: the attacker 10.0.2.2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg iperf3 python3 tcpdump
modprobe wireguard 2>/dev/null || true
FUZZER=$SELFTESTS_DIR/progs/pktfuzz
[ -x "$FUZZER" ] ||
	skip "selftests/progs/pktfuzz is not built (make -C selftests)"
on_debug_kernel && T_RUN=${GUARD_JUNK_SECONDS:-6} ||
	T_RUN=${GUARD_JUNK_SECONDS:-8}
PORT=51821

attack_setup
T=$WG_TMP
check "the session is up" pings "$S" 192.168.77.1 20

# tcp_in SECONDS: Mbit/s of TCP from the stock side into the plane
tcp_in() {
	p iperf3 -s -D -1 -B 192.168.77.1 --logfile /dev/null
	sleep 0.3
	s timeout $(($1 + 20)) iperf3 -c 192.168.77.1 -t "$1" -O 1 -J \
		2>/dev/null | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
    print("%.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception:
    print("0")'
	p pkill -x iperf3 2>/dev/null || true
}

cap=$(tcp_in 3)
RATE=$(python3 -c "print(max(1, min(8, int(float('$cap') / 3))))")
log "TCP into the unguarded plane: $cap Mbit/s; the rate: $RATE Mbit/s"
check "plane rate ${RATE}mbit" wgp set fleet0-mgmt rate "${RATE}mbit"

# Packets of the session as it runs now, for the replays and bit flips.
capture_start 200
alone=$(tcp_in "$T_RUN")
capture_end 20
log "TCP into the plane at ${RATE}mbit, alone: $alone Mbit/s"

counters() {
	wgp show all --json > "$T/$1.json"
}
counters before
# ten times the rate, in bytes per second of UDP payload
bps=$((RATE * 10 * 1000000 / 8))
ip netns exec "$A" "$FUZZER" -d 10.0.2.1 -p $PORT -n 100000000 \
	-k random_index,replay,bitflip -r "$T/session.pcap" -b "$bps" \
	-t $((T_RUN + 6)) > "$T/fuzz.log" 2>&1 &
fuzz_pid=$!
at_exit kill $fuzz_pid
sleep 2
flooded=$(tcp_in "$T_RUN")
wait $fuzz_pid || fail "pktfuzz failed: $(tail -n 2 "$T/fuzz.log")"
sed -n 's/^/# pktfuzz: /p' "$T/fuzz.log" | grep -E "sent|seconds"
counters after
log "TCP into the plane at ${RATE}mbit under a flood of 10x: $flooded Mbit/s"

check "TCP under the flood keeps 90% of its throughput" python3 -c "
import sys
a, f = float('$alone'), float('$flooded')
print('# alone %.2f, flooded %.2f Mbit/s: %.0f%%' % (a, f, 100 * f / a if a else 0))
sys.exit(0 if a > 0 and f >= 0.9 * a else 1)"

junk_counted() {
	python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
def c(name):
    return {p["name"]: p["counters"] for p in
            json.load(open(t + "/" + name + ".json"))["planes"]}["fleet0-mgmt"]
b, a = c("before"), c("after")
d = {k: a[k] - b[k] for k in a}
for k in ("drop_no_keypair", "drop_replay", "drop_decrypt", "drop_rx_rate",
          "drop_bad_packet", "drop_decq_full", "rx_packets"):
    print("# %-18s %d" % (k, d.get(k, 0)))
sys.exit(0 if d["drop_no_keypair"] > 0 and d["drop_replay"] > 0 else 1)
EOF
}
check "the junk was dropped and counted" junk_counted
junk_counted || true

test_end
