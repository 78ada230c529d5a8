#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# No packet is staged on a dying peer. selftests/progs/peerchurn adds a
# peer (endpoint on a dummy link that swallows the handshakes, so the
# packets wait on the peer), sends it a datagram and removes it,
# PEER_CHURN times (default 10,000, about a minute on 6.1 under
# TCG; 1,000 on the debug kernel; PEER_CHURN=100000 for the long stress),
# while a second thread sends to the same destination all along. Asserts:
#  * every request succeeded;
#  * the plane's queue gauges (encryption, decryption, handshake) return
#    to zero: no packet was left on a removed peer;
#  * the module's object balance is back where it was (debugfs
#    wgplanes/objects: every churned peer destroyed);
#  * no kernel report and no leak (test_end: kmemleak on the debug kernel).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg python3
CHURN=$SELFTESTS_DIR/progs/peerchurn
[ -x "$CHURN" ] ||
	skip "selftests/progs/peerchurn is not built (make -C selftests)"
if on_debug_kernel; then
	PEER_CHURN=${PEER_CHURN:-1000}
else
	PEER_CHURN=${PEER_CHURN:-10000}
fi
OBJECTS=/sys/kernel/debug/wgplanes/objects
[ -r "$OBJECTS" ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null ||
	true

new_ns P
p() { ip netns exec "$P" "$@"; }
PL=fleet0-mgmt

check "a fleet" ip -n "$P" link add fleet0 type wgplanes
keypair churn >/dev/null
check "plane up with a key and 10.99.0.1/24" bash -c "
	ip netns exec $P $WGPLANES set $PL listen-port 51821 \
		private-key $(keyfile churn) &&
	ip -n $P addr add 10.99.0.1/24 dev $PL &&
	ip -n $P link set $PL up"
# the peers' endpoint: a dummy link, where handshake initiations vanish
check "a dummy link for the endpoints" bash -c "
	ip -n $P link add d0 type dummy &&
	ip -n $P addr add 192.0.2.1/24 dev d0 &&
	ip -n $P link set d0 up"

peers_live() { sed -n 's/^peers //p' "$OBJECTS"; }
peers_before=$(peers_live)

start=$SECONDS
if p "$CHURN" "$PL" "$PEER_CHURN" 192.0.2.2 10.99.0.2 1 \
	> "$WG_TMP/churn.log" 2>&1; then
	_checks=$((_checks + 1))
	echo "# ok: $PEER_CHURN peers added, sent to and removed"
else
	fail "peerchurn: $(tail -n 3 "$WG_TMP/churn.log")"
fi
sed 's/^/# /' "$WG_TMP/churn.log"
log "$PEER_CHURN cycles in $((SECONDS - start)) s on $(uname -r)"

gauges() {
	local q v out=
	for q in encqueue_used waitqueue_used decqueue_used hsqueue_used \
		 encqueue_bytes waitqueue_bytes decqueue_bytes hsqueue_bytes; do
		v=$(plane_value "$P" "$PL" "$q")
		out="$out $q=$v"
	done
	echo "${out# }"
}
gauges_zero() {
	[ "$(gauges)" = "encqueue_used=0 waitqueue_used=0 decqueue_used=0 hsqueue_used=0 encqueue_bytes=0 waitqueue_bytes=0 decqueue_bytes=0 hsqueue_bytes=0" ]
}
check "no peer is left" test "$(p "$WGPLANES" show "$PL" peers | wc -l)" = 0
if wait_until 30 gauges_zero; then
	_checks=$((_checks + 1))
	echo "# ok: the queue gauges returned to zero"
else
	fail "queue gauges stuck: $(gauges)"
fi
if [ -n "$peers_before" ]; then
	# removed peers are freed after a grace period
	check "every churned peer was destroyed" \
		wait_until 30 test "$(peers_live)" = "$peers_before"
else
	fail "no $OBJECTS"
fi
check "delete the fleet" ip -n "$P" link del fleet0

test_end
