#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The receive queues are bounded in bytes as well as in packets (issue 12,
# point 5). An attacker whose link has the smallest IPv4 MTU (68) sends
# messages that arrive as many 48-byte IP fragments: a datagram reassembled
# from them keeps the buffers of all its fragments, so without a byte bound
# a queue of N packets could pin N times tens of KiB. The attacker floods a
# plane whose handshake and decryption queues are 16 long with initiations
# (148 bytes, 4 fragments; with the mac2 of a cookie that each of 16
# addresses of the attacker's got, or the plane would not queue them)
# and with data messages that carry the receiver
# index of the live session, a new counter and up to 1400 bytes of junk
# (up to 30 fragments). The plane's work runs on CPU 1 only, which a
# real-time busy loop holds for the flood's time, leaving it 100 us every
# 30 ms (cpu_hog_on in lib.sh), so that both queues fill. Sampled all along,
# through `wgplanes show --json`:
#
# * each queue holds at most its length times its slot (4096 bytes; 2048
#   for the handshake queue), and a queued message costs at most a slot;
# * once the flood ends both gauges are back at 0 (every byte charged to
#   a queue was given back);
# * the session with stock WireGuard still carries a ping.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_root
require_module
require_cmd ip wg python3 tcpdump taskset
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
modprobe wireguard 2>/dev/null || true
FUZZER=$SELFTESTS_DIR/progs/pktfuzz
[ -x "$FUZZER" ] ||
	skip "selftests/progs/pktfuzz is not built (make -C selftests)"
T_RUN=${QUEUE_BYTES_SECONDS:-8}
PORT=51821
QLEN=16

attack_setup
T=$WG_TMP
check "the session is up" pings "$S" 192.168.77.1 5

# data messages of the session, for their receiver index
capture_start 20
s ping -c 40 -i 0.05 -s 300 192.168.77.1 >/dev/null || true
capture_end 10

for i in $(seq 10 25); do
	ip -n "$A" addr add 10.0.2.$i/24 dev va
done
check "queues of $QLEN packets, work on CPU 1" wgp set fleet0-mgmt \
	hsqueue $QLEN decqueue $QLEN cpus 1
# both ends: a veth drops what is larger than its peer's MTU, so the
# plane's cookie replies (92 bytes) are fragmented on its side too
check "the attacker's link: MTU 68" sh -c "
	ip -n $A link set va mtu 68 && ip -n $P link set pa mtu 68"

# sample SECONDS: the plane's queue gauges, every 0.1 s, into samples.txt
sample() {
	python3 - "$1" "$WGPLANES" "$P" > "$T/samples.txt" <<'EOF'
import json, subprocess, sys, time
end = time.time() + float(sys.argv[1])
while time.time() < end:
    out = subprocess.run(["ip", "netns", "exec", sys.argv[3], sys.argv[2],
                          "show", "fleet0-mgmt", "--json"],
                         capture_output=True, text=True).stdout
    pol = json.loads(out)["planes"][0]["policy"]
    print(pol["hsqueue_used"], pol["hsqueue_bytes"],
          pol["decqueue_used"], pol["decqueue_bytes"], flush=True)
    time.sleep(0.1)
EOF
}

inval0=$(plane_value "$P" fleet0-mgmt drop_handshake_invalid)
full0=$(( $(plane_value "$P" fleet0-mgmt drop_hsq_full) + \
	 $(plane_value "$P" fleet0-mgmt drop_decq_full) ))
taskset -pc 0 $$ >/dev/null
cpu_hog_on 1
ip netns exec "$A" "$FUZZER" -d 10.0.2.1 -p $PORT \
	-n 100000000 -k initiation,live_index -r "$T/session.pcap" \
	-t "$T_RUN" > "$T/fuzz.log" 2>&1 &
fuzz_pid=$!
at_exit kill $fuzz_pid
# Under load the plane lets initiations without a valid mac2 (pktfuzz's)
# wait only for a cookie reply, and those with one take their room. So
# the attacker makes the exchange a peer makes: from each of 16 addresses
# of its own, an initiation, the cookie out of the plane's reply, then
# initiations with a valid mac2, which the plane queues (within the rate
# limit of each source, 20 a second).
ip netns exec "$A" python3 - "$(pubkey_of mgmt)" $PORT "$T_RUN" \
	> "$T/cookies.log" 2>&1 <<'EOF' &
import base64, hashlib, os, select, socket, struct, sys, time

pub = base64.b64decode(sys.argv[1])
port, secs = int(sys.argv[2]), float(sys.argv[3])
mac1_key = hashlib.blake2s(b"mac1----" + pub).digest()
cookie_key = hashlib.blake2s(b"cookie--" + pub).digest()
M = 0xffffffff

def rotl(v, c):
    return ((v << c) & M) | (v >> (32 - c))

def rounds(x):
    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & M; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & M; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & M; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & M; x[b] = rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)

def state(key, words):
    return (list(struct.unpack("<4I", b"expand 32-byte k")) +
            list(struct.unpack("<8I", key)) + words)

def open_cookie(nonce, sealed):
    # XChaCha20: HChaCha20 makes the subkey; the cookie is the first 16
    # bytes of the stream at block 1 (the tag is not checked here)
    x = state(cookie_key, list(struct.unpack("<4I", nonce[:16])))
    rounds(x)
    sub = struct.pack("<8I", *(x[0:4] + x[12:16]))
    s = state(sub, [1, 0] + list(struct.unpack("<2I", nonce[16:])))
    x = s[:]
    rounds(x)
    ks = struct.pack("<16I", *((a + b) & M for a, b in zip(x, s)))
    return bytes(a ^ b for a, b in zip(sealed[:16], ks))

def initiation(cookie=None):
    m = b"\x01\x00\x00\x00" + os.urandom(112)
    m += hashlib.blake2s(m, key=mac1_key, digest_size=16).digest()
    if cookie is None:
        return m + bytes(16)
    return m + hashlib.blake2s(m, key=cookie, digest_size=16).digest()

socks = []
for i in range(16):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.2.%d" % (10 + i), 0))
    s.setblocking(False)
    socks.append(s)
cookie = {}
sent = mac2 = 0
end = time.time() + secs
while time.time() < end:
    for s in socks:
        if s in cookie:
            m = initiation(cookie[s])
            mac2 += 1
        else:
            m = initiation()
        try:
            s.sendto(m, ("10.0.2.1", port))
            sent += 1
        except OSError:
            pass
    r, _, _ = select.select(socks, [], [], 0.005)
    for s in r:
        try:
            d = s.recv(256)
        except OSError:
            continue
        if len(d) == 64 and d[0] == 3:
            cookie[s] = open_cookie(d[8:32], d[32:64])
print("cookies: %d sources with a cookie, %d initiations, %d with mac2"
      % (len(cookie), sent, mac2))
EOF
mac1_pid=$!
at_exit kill $mac1_pid
sample "$T_RUN" || true
wait $fuzz_pid || fail "pktfuzz failed: $(tail -n 2 "$T/fuzz.log")"
wait $mac1_pid || true
cpu_hog_off
sed -n 's/^/# pktfuzz: /p' "$T/fuzz.log" | grep -E "sent (init|live|total)"
sed 's/^/# /' "$T/cookies.log"
wgp show fleet0-mgmt | grep -E "queues|drops" | sed 's/^ */# /'
check "the gauges were sampled" test -s "$T/samples.txt"

# bounds: at most QLEN x slot in all; per message at most a slot
python3 - "$T/samples.txt" $QLEN > "$T/verdict.txt" <<'EOF' || true
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
qlen = int(sys.argv[2])
for name, u, b, slot in (("handshake", 0, 1, 2048), ("decryption", 2, 3, 4096)):
    used = [r[u] for r in rows if r[u]]
    most = max((r[b] for r in rows), default=0)
    per = max((r[b] / r[u] for r in rows if r[u]), default=0)
    ok = most <= qlen * slot and per <= slot
    print("%s %s samples %d held %d most %d bytes (bound %d) per message %.0f (slot %d)"
          % ("ok" if ok else "over", name, len(rows), len(used), most,
             qlen * slot, per, slot))
EOF
sed 's/^/# /' "$T/verdict.txt"
check "the handshake queue stays within 16 x 2048 bytes, 2048 a message" \
	grep -q "^ok handshake" "$T/verdict.txt"
check "the decryption queue stays within 16 x 4096 bytes, 4096 a message" \
	grep -q "^ok decryption" "$T/verdict.txt"
# the flood reached the bounds: a sample saw the queues hold messages, or
# they were full (on 6.1 the samples have been seen to find them empty
# while hsq_full and decq_full grew)
filled() {
	python3 -c "
import sys
rows = [l.split() for l in open('$T/samples.txt')]
sys.exit(0 if any(int(r[0]) for r in rows) and
         any(int(r[2]) for r in rows) else 1)" ||
	[ $(( $(plane_value "$P" fleet0-mgmt drop_hsq_full) + \
	      $(plane_value "$P" fleet0-mgmt drop_decq_full) )) -gt \
	  "$full0" ]
}
check "the flood filled the queues (held while sampled, or full)" filled
check_output "the attacker got cookies and sent initiations with mac2" \
	'sources with a cookie, [0-9]+ initiations, [1-9]' cat "$T/cookies.log"
check "the plane queued and consumed initiations with mac2" test \
	"$(plane_value "$P" fleet0-mgmt drop_handshake_invalid)" -gt "$inval0"

gauges_zero() {
	[ "$(plane_value "$P" fleet0-mgmt hsqueue_bytes)" = 0 ] &&
	[ "$(plane_value "$P" fleet0-mgmt decqueue_bytes)" = 0 ] &&
	[ "$(plane_value "$P" fleet0-mgmt hsqueue_used)" = 0 ] &&
	[ "$(plane_value "$P" fleet0-mgmt decqueue_used)" = 0 ]
}
check "after the flood both queues are back at 0 packets and 0 bytes" \
	wait_until 20 gauges_zero
check "the session still carries a ping" pings "$S" 192.168.77.1 3

test_end
