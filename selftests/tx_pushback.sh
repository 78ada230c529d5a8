#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A plane that encrypts more slowly than its sockets send pushes back, as a
# busy NIC does, rather than dropping: when the staging of a peer with a
# session is full, the device queue stops until the transmit work has
# drained half of it, and the qdisc holds what comes meanwhile, still owned
# by its socket. (It used to drop at the staging, `drop_txq_full`, which a
# TCP stream saw as loss whenever encryption fell behind a burst: one
# stream from a plane ran at half of stock WireGuard's rate on a loaded
# host.)
#
# An unguarded plane peers with stock WireGuard. A real-time busy loop
# holds one CPU, leaving it 100 us every 30 ms (cpu_hog_on in lib.sh; 20
# us on the debug kernel, where the sender is slow enough for the plane's
# batches to keep up in 100 us, and the staging did not fill),
# while a sender on the other CPU sends TX_PUSHBACK_COUNT datagrams
# (default 3000) through the plane as fast as a blocking socket lets it.
# First a socket with its default send buffer, the plane's qdisc the
# default fq_codel: a datagram keeps its socket's buffer until the plane
# has sent it, as on a NIC, so the sender is held back by that buffer,
# and nothing waits in the qdisc, whose AQM would drop it (it did: a UDP
# sender from a plane lost a sixth of what it sent there). Then a socket
# whose send buffer (SO_SNDBUFFORCE 1 MiB: 2 MiB) holds more than the
# staging and the packets in flight, the qdisc a FIFO (of 1000, more than
# the rest of that buffer):
#
# 1. the plane's work runs on the held CPU only (cpus 1): its transmit
#    work cannot keep up, the staging fills;
# 2. the plane's work runs on both CPUs (cpus 0-1), the sender on the CPU
#    of the peer's transmit work (found from debugfs cpu_work), so that
#    only the share of the encryption that goes to the held CPU falls
#    behind: the packets in flight are bounded per peer (twice txqueue),
#    so the staging fills again, rather than the plane's encryption queue
#    (encqueue, 1024), which used to fill and drop (drop_encq_full).
#
# In all three:
#
# * the plane dropped none of them (drop_txq_full, drop_encq_full and the
#   qdisc's drops stay where they were), and it sent every one;
# * with the default send buffer, what the plane held for the peer stayed
#   below txqueue (sampled): the staging never filled;
# * in 1, the plane stopped its device queue meanwhile (sampled; in 2 the
#   share of the held CPU, which the hog's pauses let it encrypt, can be
#   enough for the plane to keep up);
# * what the plane held for the peer, sampled all along, stayed within
#   the staging and in-flight bounds (4 x txqueue, of encqueue's 1024).
#
# Then a packet for a peer without a session is still dropped at the
# staging bound, not held (a dead peer must not stop the plane's queue),
# and the session still carries a ping.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg python3 taskset tc
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
modprobe wireguard 2>/dev/null || true
N=${TX_PUSHBACK_COUNT:-3000}
IDLE_US=100
! on_debug_kernel || IDLE_US=20
PORT=51821
PL=fleet0-mgmt
TXQ=128

attack_setup
check "the session is up" pings "$S" 192.168.77.1 5
check "txqueue $TXQ" wgp set $PL txqueue $TXQ
check "the plane's qdisc is the default, fq_codel" \
	sh -c "tc -n $P qdisc show dev $PL | grep -q fq_codel"

drops() { # the plane's transmit drops and its qdisc's
	echo $(( $(plane_value "$P" $PL drop_txq_full) + \
		 $(plane_value "$P" $PL drop_encq_full) + \
		 $(tc -n "$P" -s qdisc show dev $PL |
		   sed -n 's/.*(dropped \([0-9]*\),.*/\1/p' |
		   awk '{ s += $1 } END { print s + 0 }') ))
}

# pushback NAME SENDER_CPU HELD_CPU SNDBUF [held|below]: N datagrams of
# 1000 bytes to the stock side's discard port from a blocking socket on
# SENDER_CPU (its send buffer SNDBUF bytes, 0: the default), while
# HELD_CPU is held for 3 s; "held": the device queue must have stopped;
# "below": what the plane held for the peer must have stayed below txqueue
pushback() {
	local name=$1 cpu=$2 held_cpu=$3 sndbuf=$4 drops0 sent0 drops1 sent1 rc
	drops0=$(drops)
	sent0=$(plane_value "$P" $PL tx_packets)
	rm -f "$WG_TMP/sender.out"
	taskset -pc "$cpu" $$ >/dev/null
	cpu_hog_on "$held_cpu" 120 $IDLE_US
	p taskset -c "$cpu" python3 - "$N" "$WG_TMP/sender.out" "$sndbuf" \
		<<'PY' &
import socket, sys
n, out, sndbuf = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if sndbuf:
    s.setsockopt(socket.SOL_SOCKET, 32, sndbuf)  # SO_SNDBUFFORCE
data = b"p" * 1000
for i in range(n):
    s.sendto(data, ("192.168.77.2", 9))
open(out, "w").write("done %d\n" % n)
PY
	sender=$!
	at_exit kill $sender
	# what the plane holds for the peer (encqueue counts staged and in
	# flight), sampled while the CPU is held; the plane encrypts a few
	# dozen packets a second on it, so a sender that is not held back
	# is done long before the end
	python3 - "$P" "$WGPLANES" $PL 3 > "$WG_TMP/encq.txt" <<'PY' || true
import json, subprocess, sys, time
ns, tool, plane, t = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
end, most, stopped = time.time() + t, 0, False
while time.time() < end:
    out = subprocess.run(["ip", "netns", "exec", ns, tool, "show", plane,
                          "--json"], capture_output=True, text=True).stdout
    pol = json.loads(out)["planes"][0]["policy"]
    most = max(most, pol["encqueue_used"])
    stopped = stopped or pol["tx_stopped"]
    time.sleep(0.05)
print(most, int(stopped))
PY
	read -r most stopped < "$WG_TMP/encq.txt" || true
	log "$name: in 3 s with CPU $held_cpu held: most held for the" \
		"peer $most, device queue seen stopped: $stopped; the sender" \
		"$([ -s "$WG_TMP/sender.out" ] && echo finished ||
		   echo was still sending)"
	cpu_hog_off
	rc=0
	wait $sender || rc=$?
	check "$name: the sender finished" test $rc = 0
	[ "${5:-}" != held ] ||
		check "$name: the device queue was stopped meanwhile" \
			test "$stopped" = 1
	[ "${5:-}" != below ] ||
		check "$name: the plane held less than txqueue for the peer" \
			test "${most:-9999}" -lt $TXQ
	all_sent() {
		[ $(($(plane_value "$P" $PL tx_packets) - sent0)) -ge "$N" ]
	}
	wait_until 30 all_sent || true
	drops1=$(drops)
	sent1=$(plane_value "$P" $PL tx_packets)
	log "$name: drops $((drops1 - drops0)), sent $((sent1 - sent0))"
	wgp show $PL | grep -E "queues|drops" | sed 's/^ */# /'
	check "$name: no datagram dropped by the plane or its qdisc" \
		test "$drops1" -eq "$drops0"
	check "$name: the plane sent all $N" test $((sent1 - sent0)) -ge "$N"
	check "$name: the plane held at most 4 x txqueue for the peer" \
		test "${most:-9999}" -le $((4 * TXQ))
}

check "the plane's work on CPU 1 only" wgp set $PL cpus 1
pushback "default send buffer" 0 1 0 below

# a FIFO qdisc, which only holds: fq_codel would drop what waits in it
# for long, by its own rules
check "the plane's qdisc: pfifo" tc -n "$P" qdisc replace dev $PL root \
	pfifo limit 1000
pushback "transmit work behind" 0 1 $((1 << 20)) held

# the CPU of the peer's transmit work: it runs the transmit and the send
# work of every packet, the other CPU every other packet's encryption
check "the plane's work on CPUs 0-1" wgp set $PL cpus 0-1
dfs=$(plane_debugfs "$P" fleet0-mgmt)
check "the plane's debugfs has cpu_work" test -r "$dfs/cpu_work"
runs() { awk -v c="cpu$1" '$1 == c { print $2 }' "$dfs/cpu_work"; }
r0=$(runs 0) r1=$(runs 1)
p python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100):
    s.sendto(b"x" * 100, ("192.168.77.2", 9))
    time.sleep(0.01)'
r0=$(($(runs 0) - r0)) r1=$(($(runs 1) - r1))
T=0 E=1
[ $r1 -le $r0 ] || { T=1 E=0; }
log "100 datagrams sent one by one: work runs cpu0 $r0, cpu1 $r1: the" \
	"transmit work's CPU is $T"
pushback "encryption behind" $T $E $((1 << 20))

# a peer without a session (no endpoint answers): its packets wait for a
# handshake, and beyond the staging bound they are dropped, not held
check "a peer that never answers" wgp set $PL peer \
	"$(keypair dead | tr -d '\n')" allowed-ips 192.168.78.0/24 \
	endpoint 10.0.1.99:51999
check "a route to it" ip -n "$P" route add 192.168.78.0/24 dev $PL
txq0=$(plane_value "$P" $PL drop_txq_full)
p python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    s.sendto(b"d" * 100, ("192.168.78.1", 9))
EOF
check "beyond the bound, a peer without a session drops" \
	test "$(plane_value "$P" $PL drop_txq_full)" -gt "$txq0"
check "the device queue is not held for it" \
	test "$(plane_value "$P" $PL tx_stopped)" = 0
check "the session still carries a ping" pings "$P" 192.168.77.2 5

test_end
