#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Adversarial packets: an attacker sends FUZZ_PACKETS (default 1,000,000)
# datagrams to one plane's UDP port (selftests/progs/pktfuzz.c: every
# message type truncated at each length and oversized, wrong types and
# reserved bytes, random bytes, valid headers with random indices and
# counters, replays and bit-flipped copies of packets captured on the wire
# of a real session), while that session, between the plane and stock
# WireGuard, carries a ping. Asserts:
#  * every datagram that reached the plane's socket is in the plane's
#    counters: the receive drop counters went up by exactly the datagrams
#    that arrived minus the valid ones (data delivered, keepalives,
#    handshake and cookie messages accepted);
#  * the ping got at least 99% of its replies;
#  * the fleet's other planes' counters did not move;
#  * no kernel report and no leak (test_end).
# Datagrams lost before the socket (veth, fragments, the UDP layer) are
# counted separately and reported.
#
#   ns $P: fleet0 (plane fleet0-mgmt under test, port 51821; the other
#          planes up with keys, ports 51820, 51822, 51823)
#          veth ps 10.0.1.1 -- ns $S: wg0 (stock, port 51900) 10.0.1.2
#          veth pa 10.0.2.1 -- ns $A: the attacker 10.0.2.2
#   inner: plane 192.168.77.1, stock 192.168.77.2
#
# FUZZ_PACKETS=N sets the count (the debug kernel defaults to 100,000:
# it is ten times slower); FUZZ_SEED=N repeats a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg ping python3 nft tcpdump
modprobe wireguard 2>/dev/null || true
FUZZER=$SELFTESTS_DIR/progs/pktfuzz
[ -x "$FUZZER" ] ||
	skip "selftests/progs/pktfuzz is not built (make -C selftests)"

if on_debug_kernel; then
	FUZZ_PACKETS=${FUZZ_PACKETS:-100000}
else
	FUZZ_PACKETS=${FUZZ_PACKETS:-1000000}
fi
FUZZ_SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
PORT=51821

attack_setup
T=$WG_TMP
# the other planes up, with keys and ports of their own
for rp in enroll:51820 backend:51822 storage:51823; do
	role=${rp%:*}
	keypair "$role" >/dev/null
	wgp set "fleet0-$role" private-key "$(keyfile "$role")" \
		listen-port "${rp#*:}"
	ip -n "$P" link set "fleet0-$role" up
done

# Datagrams that reach the plane's namespace, by source; the input hook
# sees reassembled datagrams, before UDP.
p nft -f - <<EOF
table inet fuzz {
	counter attacker {}
	counter stock {}
	counter any {}
	counter others {}
	chain in {
		type filter hook input priority 0;
		udp dport $PORT ip saddr 10.0.2.2 counter name attacker
		udp dport $PORT ip saddr 10.0.1.2 counter name stock
		udp dport $PORT counter name any
		udp dport { 51820, 51822, 51823 } counter name others
	}
}
EOF
nftc() { nft_counter "$P" inet fuzz "$1"; }

# Capture the session's packets (both ways, from the handshake on) on the
# stock side's wire, for replays.
s tcpdump -i vs -U -n -w "$T/session.pcap" udp port "$PORT" \
	>"$T/tcpdump.log" 2>&1 &
tcpdump_pid=$!
at_exit kill $tcpdump_pid
wait_until 10 grep -q "listening on" "$T/tcpdump.log" ||
	fail "tcpdump did not start"
check "the session is up (plane to stock)" \
	pings "$P" 192.168.77.2 20
s ping -c 5 -i 0.2 -W 2 192.168.77.1 >/dev/null 2>&1 || true
sleep 1
kill $tcpdump_pid
wait $tcpdump_pid 2>/dev/null || true
captured() {
	[ "$(tcpdump -r "$T/session.pcap" -n 2>/dev/null | wc -l)" -ge 4 ]
}
check "packets of the session captured (handshake and data)" captured

queues_empty() {
	[ "$(plane_value "$P" fleet0-mgmt hsqueue_used)" = 0 ] &&
		[ "$(plane_value "$P" fleet0-mgmt decqueue_used)" = 0 ]
}

# snapshot NAME: all counters of the namespace's planes, nft counters and
# the UDP MIB, taken while nothing arrives: nft's count and the plane's
# counters stay the same over 0.5 s, and the plane's queues are empty (a
# keepalive or a ping reply between the reads would be counted on one side
# only).
snapshot() {
	local i a b
	for i in $(seq 30); do
		a=$(nftc any)
		wgp show all --json > "$T/$1.json"
		sleep 0.5
		wgp show all --json > "$T/$1.2.json"
		b=$(nftc any)
		[ "$a" = "$b" ] && cmp -s "$T/$1.json" "$T/$1.2.json" &&
			queues_empty && break
	done
	{
		echo "attacker $(nftc attacker)"
		echo "stock $(nftc stock)"
		echo "any $a"
		echo "others $(nftc others)"
		p awk '/^Udp:/ { if (!h) { split($0, n); h = 1 }
			else for (i = 2; i <= NF; i++) print "udp_" n[i], $i }' \
			/proc/net/snmp
	} > "$T/$1.txt"
	[ "$a" = "$b" ] || fail "no quiet moment for the $1 snapshot"
}

snapshot before
ip netns exec "$P" ping -i 0.2 -W 1 192.168.77.2 > "$T/ping.log" 2>&1 &
ping_pid=$!
at_exit kill $ping_pid
sleep 1

start=$SECONDS
log "pktfuzz: $FUZZ_PACKETS datagrams, seed $FUZZ_SEED"
if ip netns exec "$A" "$FUZZER" -d 10.0.2.1 -p $PORT -n "$FUZZ_PACKETS" \
	-s "$FUZZ_SEED" -r "$T/session.pcap" > "$T/fuzz.log" 2>&1; then
	took=$((SECONDS - start))
	sed 's/^/# pktfuzz: /' "$T/fuzz.log"
	log "sending took ${took}s on $(uname -r)"
else
	cat "$T/fuzz.log"
	fail "pktfuzz failed"
fi
sent=$(sed -n 's/^sent total //p' "$T/fuzz.log")
check "pktfuzz sent at least $FUZZ_PACKETS datagrams" \
	test "${sent:-0}" -ge "$FUZZ_PACKETS"

# The queues drain; the ping goes on a little after the flood.
check "the plane's queues drain after the flood" wait_until 120 queues_empty
sleep 2
# SIGINT: ping prints its summary and exits
kill -INT $ping_pid
wait_until 10 sh -c "! kill -0 $ping_pid" || kill $ping_pid
wait $ping_pid 2>/dev/null || true
tail -n 3 "$T/ping.log" | sed 's/^/# ping: /'
snapshot after

# The accounting, in python: prints the numbers, fails on a mismatch.
account() {
	python3 - "$T" "$sent" <<'EOF'
import json, sys

tmp, sent = sys.argv[1], int(sys.argv[2])

def load(name):
    planes = {p["name"]: p["counters"]
              for p in json.load(open("%s/%s.json" % (tmp, name)))["planes"]}
    other = dict(l.split() for l in open("%s/%s.txt" % (tmp, name)))
    return planes, {k: int(v) for k, v in other.items()}

(pb, ob), (pa, oa) = load("before"), load("after")
d = {k: pa["fleet0-mgmt"][k] - pb["fleet0-mgmt"][k] for k in pa["fleet0-mgmt"]}
o = {k: oa[k] - ob[k] for k in oa}
drops = ["drop_bad_packet", "drop_bad_mac1", "drop_bad_mac2",
         "drop_handshake_invalid", "drop_handshake_ratelimit",
         "drop_no_keypair", "drop_key_expired", "drop_decrypt",
         "drop_replay", "drop_allowedips", "drop_decq_full",
         "drop_hsq_full", "drop_rx_rate", "drop_rx_junk"]
valid = ["rx_packets", "rx_keepalives", "handshake_init_rx",
         "handshake_resp_rx", "cookie_rx"]
for k in drops + valid + ["under_load", "cookie_tx"]:
    if k in d:
        print("# %-24s %d" % (k, d[k]))
for k in ["udp_InDatagrams", "udp_NoPorts", "udp_InErrors",
          "udp_RcvbufErrors", "udp_InCsumErrors"]:
    print("# %-24s %d" % (k, o.get(k, 0)))
arrived = o["any"]
lost = sent - o["attacker"]
print("# sent by the attacker       %d" % sent)
print("# arrived from the attacker  %d (%d lost before the plane's "
      "namespace: veth, fragments)" % (o["attacker"], lost))
print("# arrived from the stock peer %d" % o["stock"])
udp_lost = o.get("udp_InErrors", 0)
print("# dropped by UDP             %d" % udp_lost)
reached = arrived - udp_lost
ndrops = sum(d[k] for k in drops)
nvalid = sum(d.get(k, 0) for k in valid)
print("# reached the plane          %d" % reached)
print("# receive drops counted      %d" % ndrops)
print("# valid                      %d" % nvalid)
print("# unaccounted                %d" % (reached - ndrops - nvalid))
bad = 0
if "rx_keepalives" not in d:
    print("# (the plane counts no keepalives)")
if ndrops != reached - nvalid:
    print("# drops != reached - valid: %d != %d" % (ndrops, reached - nvalid))
    bad = 1
sys.exit(bad)
EOF
}
check "every datagram that reached the plane is counted (drops + valid)" \
	account
account | grep '^#' || true

ping_ok() {
	local tx rx
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T/ping.log")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T/ping.log")
	echo "ping: $rx of $tx replies"
	[ "${tx:-0}" -gt 0 ] && [ $((rx * 100)) -ge $((tx * 99)) ]
}
check "the session's ping got at least 99% of its replies" ping_ok
ping_ok | sed 's/^/# /' || true

others_still() {
	python3 - "$T" <<'EOF'
import json, sys
tmp = sys.argv[1]
b = {p["name"]: p["counters"] for p in json.load(open(tmp + "/before.json"))["planes"]}
a = {p["name"]: p["counters"] for p in json.load(open(tmp + "/after.json"))["planes"]}
bad = 0
for name in sorted(a):
    if name == "fleet0-mgmt":
        continue
    moved = {k: a[name][k] - b[name][k] for k in a[name] if a[name][k] != b[name][k]}
    if moved:
        print("%s moved: %s" % (name, moved))
        bad = 1
sys.exit(bad)
EOF
}
check "the other planes' counters did not move" others_still
check "no datagram went to the other planes' ports" \
	test "$(grep '^others ' "$T/after.txt" | cut -d' ' -f2)" = \
	"$(grep '^others ' "$T/before.txt" | cut -d' ' -f2)"

test_end
