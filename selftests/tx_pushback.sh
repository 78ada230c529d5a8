#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A plane that encrypts more slowly than its sockets send pushes back, as a
# busy NIC does, rather than dropping: when the staging of a peer with a
# session is full, the device queue stops until the transmit work has
# drained half of it, and the qdisc holds what comes meanwhile, still owned
# by its socket. (It used to drop at the staging, `drop_txq_full`, which a
# TCP stream saw as loss whenever encryption fell behind a burst: one
# stream from a plane ran at a third of stock WireGuard's rate on a loaded
# host.)
#
# An unguarded plane peers with stock WireGuard; its work runs on CPU 1,
# which a real-time busy loop holds, leaving it 100 us every 30 ms
# (cpu_hog_on in lib.sh), while a sender on CPU 0 sends TX_PUSHBACK_COUNT
# datagrams (default 3000) through the plane as fast as a blocking socket
# lets it. Then:
#
# * the plane dropped none of them (drop_txq_full, drop_encq_full and the
#   qdisc's drops stay where they were), and it sent every one;
# * the sender was held back meanwhile: it had not finished while the
#   plane's CPU was held (the device queue was stopped, `tx_stopped`);
# * a packet for a peer without a session is still dropped at the staging
#   bound, not held (a dead peer must not stop the plane's queue), and the
#   session still carries a ping afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg python3 taskset tc
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
modprobe wireguard 2>/dev/null || true
N=${TX_PUSHBACK_COUNT:-3000}
PORT=51821
PL=fleet0-mgmt

attack_setup
check "the session is up" pings "$S" 192.168.77.1 5
check "the plane's work on CPU 1 only" wgp set $PL cpus 1
# a FIFO qdisc, which only holds: fq_codel, the default, would drop what
# waits in it for long, by its own rules
check "the plane's qdisc: pfifo" tc -n "$P" qdisc replace dev $PL root \
	pfifo limit 1000

drops() { # the plane's transmit drops and its qdisc's
	echo $(( $(plane_value "$P" $PL drop_txq_full) + \
		 $(plane_value "$P" $PL drop_encq_full) + \
		 $(tc -n "$P" -s qdisc show dev $PL |
		   sed -n 's/.* dropped \([0-9]*\),.*/\1/p' |
		   awk '{ s += $1 } END { print s + 0 }') ))
}
drops0=$(drops)
sent0=$(plane_value "$P" $PL tx_packets)
echo "# before: drops $drops0, tx_packets $sent0"

# the sender: N datagrams of 1000 bytes to the stock side's discard port,
# a blocking socket; it writes "done" when its last sendto returned
send_all() {
	p taskset -c 0 python3 - "$N" "$WG_TMP/sender.out" <<'EOF'
import socket, sys
n, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = b"p" * 1000
for i in range(n):
    s.sendto(data, ("192.168.77.2", 9))
open(out, "w").write("done %d\n" % n)
EOF
}

taskset -pc 0 $$ >/dev/null
cpu_hog_on 1
send_all &
sender=$!
at_exit kill $sender
# while CPU 1 is held, the plane encrypts a few dozen packets a second:
# a sender that is not held back is done long before
sleep 3
held=no
[ -s "$WG_TMP/sender.out" ] || held=yes
stopped=$(plane_value "$P" $PL tx_stopped)
echo "# after 3 s with CPU 1 held: sender still sending: $held," \
	"tx_stopped: $stopped"
cpu_hog_off
rc=0
wait $sender || rc=$?
check "the sender finished" test $rc = 0
check "the sender was held back while the plane could not keep up" \
	test $held = yes

all_sent() {
	[ $(($(plane_value "$P" $PL tx_packets) - sent0)) -ge "$N" ]
}
wait_until 30 all_sent || true
drops1=$(drops)
sent1=$(plane_value "$P" $PL tx_packets)
echo "# after: drops $drops1, tx_packets $sent1 (+$((sent1 - sent0)))"
wgp show $PL | grep -E "queues|drops" | sed 's/^ */# /'
check "no datagram dropped by the plane or its qdisc" \
	test "$drops1" -eq "$drops0"
check "the plane sent all $N" test $((sent1 - sent0)) -ge "$N"

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
