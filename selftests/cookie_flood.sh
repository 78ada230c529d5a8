#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A flood of handshake initiations with a valid mac1 (and no mac2) on a
# plane whose CPU can barely keep up (issue 12, the receive guard under
# attack): the plane goes under load, and a stock WireGuard peer that
# starts its first handshake meanwhile still completes it. Under load the
# plane answers a message without mac2 with a cookie as it comes, so the
# flood never takes the handshake queue, and the peer's next initiation,
# with the cookie, is the only message there.
#
# The plane's work runs on CPU 1 only, which a real-time busy loop holds
# for the test's time, leaving it 100 us every 30 ms (cpu_hog_on in
# lib.sh); the flooder, one source, runs on CPU 0. When the flood was
# queued, the handshake work answered a few hundred messages a second of
# tens of thousands: the peer's initiation found the queue full nearly
# every time, and its handshake did not complete in 60 s.
# Asserts:
#  * the plane goes under load and sends cookie replies;
#  * the stock peer completes a handshake during the flood (ping);
#  * the flood was answered (cookie_tx) far beyond what the handshake
#    queue took in, and the queue is empty at the end;
#  * no kernel report and no leak (test_end).
#
#   ns $P: fleet0 (fleet0-mgmt 192.168.77.1, port 51821)
#          veth ps 10.0.1.1 -- ns $S: wg0 (stock, port 51900) 192.168.77.2
#          veth pa 10.0.2.1 -- ns $A: the flooder, 10.0.2.2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd taskset python3
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
PORT=51821
T=$WG_TMP
T_FLOOD=${COOKIE_FLOOD_SECONDS:-150}

attack_setup
pv() { plane_value "$P" fleet0-mgmt "$1"; }
check "plane work on CPU 1, handshake queue 64" \
	wgp set fleet0-mgmt cpus 1 hsqueue 64

taskset -pc 0 $$ >/dev/null
cpu_hog_on 1
log "valid-mac1 initiations to the plane from $A, for up to $T_FLOOD s"
ip netns exec "$A" python3 - "$(pubkey_of mgmt)" $PORT "$T_FLOOD" \
	> "$T/flood.out" 2>&1 <<'EOF' &
import base64, hashlib, os, signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
key = hashlib.blake2s(b"mac1----" + base64.b64decode(sys.argv[1])).digest()
msgs = []
for _ in range(64):
    m = b"\x01\x00\x00\x00" + os.urandom(112)
    msgs.append(m + hashlib.blake2s(m, key=key, digest_size=16).digest() +
                bytes(16))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent, end = 0, time.time() + float(sys.argv[3])
try:
    while time.time() < end:
        for m in msgs:
            try:
                s.sendto(m, ("10.0.2.1", int(sys.argv[2])))
                sent += 1
            except OSError:
                pass
finally:
    print("flood: %d initiations sent" % sent)
EOF
flood=$!
at_exit "kill $flood 2>/dev/null"

positive() { [ "$(pv "$1")" -gt 0 ]; }
check "the plane goes under load" wait_until 60 positive under_load
check "it sends cookie replies" wait_until 30 positive cookie_tx
hs0=$(pv handshake_init_rx)
t0=$SECONDS
ping_once() { s ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1; }
check "the stock peer completes a handshake during the flood" \
	wait_until 60 ping_once
log "ping after $((SECONDS - t0)) s; handshake_init_rx $hs0 -> $(pv handshake_init_rx)"
check "the flood is still running" kill -0 "$flood"
check_output "the plane consumed the peer's initiation" '^[1-9]' \
	pv handshake_init_rx
kill "$flood" 2>/dev/null || true
wait "$flood" 2>/dev/null || true
cpu_hog_off
log "$(cat "$T/flood.out")"
log "cookie_tx $(pv cookie_tx), drop_bad_mac2 $(pv drop_bad_mac2)," \
	"drop_hsq_full $(pv drop_hsq_full), under_load $(pv under_load)"
# what the queue took in: everything that was neither answered with a
# cookie nor refused at the queue's door went through the handshake work
check "the flood was answered with cookies, not queued" python3 -c "
import sys
sys.exit(0 if $(pv cookie_tx) > 10 * ($(pv drop_hsq_full) + 64) else 1)"
empty() { [ "$(pv hsqueue_used)" = 0 ]; }
check "the handshake queue is empty at the end" wait_until 30 empty
check "the session carries a ping" pings "$S" 192.168.77.1 3

test_end
