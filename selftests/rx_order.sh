#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Parallel decryption keeps order (module/engine.h): one peer's data
# messages are decrypted on every CPU of the plane, and delivered in the
# order they came, each once. A stock WireGuard peer sends RX_ORDER_COUNT
# numbered UDP datagrams (20,000; 5,000 on the debug kernel) as fast as it
# can into a plane whose mask has both CPUs. Asserts:
#  * the datagrams that arrive come in order and none twice;
#  * most of them arrive (the socket may drop some);
#  * both CPUs decrypted a share of the messages (the plane's debugfs
#    cpu_work): one peer uses the whole mask;
#  * replays of the session's packets sent meanwhile are dropped
#    (drop_replay) and deliver nothing twice;
#  * afterwards the decryption queue is empty; no kernel report, no leak.
#
#   ns $P: fleet0 (fleet0-mgmt 192.168.77.1, port 51821, cpus 0-1)
#          veth ps 10.0.1.1 -- ns $S: wg0 (stock, port 51900) 192.168.77.2
#          veth pa 10.0.2.1 -- ns $A: replays of captured packets
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd tcpdump
FUZZER=$SELFTESTS_DIR/progs/pktfuzz
[ -x "$FUZZER" ] ||
	skip "selftests/progs/pktfuzz is not built (make -C selftests)"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
on_debug_kernel && COUNT=${RX_ORDER_COUNT:-5000} ||
	COUNT=${RX_ORDER_COUNT:-20000}
PORT=51821
T=$WG_TMP

attack_setup
pv() { plane_value "$P" fleet0-mgmt "$1"; }
check "plane cpus 0-1" wgp set fleet0-mgmt cpus 0-1
check "the session is up" pings "$S" 192.168.77.1 5

# cpu_work: "cpuN RUNS HIGH DECRYPTED ENCRYPTED" per CPU
dfs=$(plane_debugfs "$P" fleet0-mgmt)
check "the plane's debugfs has cpu_work" test -r "$dfs/cpu_work"
runs() { awk -v c="cpu$1" '$1 == c { print $2 }' "$dfs/cpu_work"; }
decrypted() { awk -v c="cpu$1" '$1 == c { print $4 }' "$dfs/cpu_work"; }
log "cpu_work: $(tr '\n' ' ' < "$dfs/cpu_work")"

# a few packets of the session, for replays
capture_start 40
ip netns exec "$S" ping -q -c 60 -i 0.05 -s 600 192.168.77.1 >/dev/null || true
capture_end 10

p python3 - 192.168.77.1 9000 "$COUNT" > "$T/recv.out" <<'EOF' &
import socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((addr, port))
s.settimeout(20)
got, inversions, dups, last, seen = 0, 0, 0, -1, set()
print("ready", flush=True)
try:
    while True:
        n = int(s.recv(2048)[:12])
        if n < 0:
            break
        s.settimeout(5)
        if n in seen:
            dups += 1
        seen.add(n)
        if n < last:
            inversions += 1
        last = max(last, n)
        got += 1
except socket.timeout:
    pass
print("got %d inversions %d duplicates %d" % (got, inversions, dups))
EOF
recv_pid=$!
at_exit kill $recv_pid
wait_until 20 grep -q ready "$T/recv.out" || fail "the receiver did not start"

c0a=$(runs 0); c1a=$(runs 1); d0a=$(decrypted 0); d1a=$(decrypted 1)
rep0=$(pv drop_replay)
ip netns exec "$A" "$FUZZER" -d 10.0.2.1 -p $PORT -n 20000 -k replay \
	-r "$T/session.pcap" > "$T/fuzz.log" 2>&1 &
fuzz_pid=$!
at_exit kill $fuzz_pid
ip netns exec "$S" python3 - 192.168.77.1 9000 "$COUNT" <<'EOF'
import socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
pad = b"x" * 1000
for i in range(count):
    while True:
        try:
            s.sendto(b"%012d" % i + pad, (addr, port))
            break
        except OSError:
            pass
for i in range(5):
    s.sendto(b"%012d" % -1, (addr, port))
EOF
wait $recv_pid || true
wait $fuzz_pid || fail "pktfuzz failed: $(tail -n 2 "$T/fuzz.log")"
c0b=$(runs 0); c1b=$(runs 1); d0b=$(decrypted 0); d1b=$(decrypted 1)
result=$(grep '^got' "$T/recv.out" || echo "got 0 inversions -1 duplicates -1")
log "$result of $COUNT sent"
log "work items during the stream: cpu0 +$((c0b - c0a)), cpu1 +$((c1b - c1a))"
log "messages decrypted: cpu0 +$((d0b - d0a)), cpu1 +$((d1b - d1a))"
read -r _ got _ inv _ dups <<< "$result"
check "the datagrams came in order" test "$inv" -eq 0
check "none came twice" test "$dups" -eq 0
check "most of them came" test "$got" -ge $((COUNT / 2))
# one peer's messages are dealt to the CPUs in turn; only a full ring
# sends one to the peer's own CPU. Counted in messages, not work items: a
# worker drains its ring in one run, so a CPU whose worker keeps up with a
# producer elsewhere ran 16 items to the other's 3280 (6.12, in CI)
check "both CPUs decrypted the one peer's messages" python3 -c "
import sys
a, b = $((d0b - d0a)), $((d1b - d1a))
sys.exit(0 if min(a, b) >= 0.05 * (a + b) and min(a, b) >= 50 else 1)"
check "the replays were dropped" test "$(pv drop_replay)" -gt "$rep0"

sleep 1
check "the decryption queue is empty again" \
	test "$(pv decqueue_used)/$(pv decqueue_bytes)" = 0/0

test_end
