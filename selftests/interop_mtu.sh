#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every packet size from 0 to the MTU passes between a plane and stock
# WireGuard, both directions, IPv4 and IPv6 inside, with DF set (no
# fragmentation of the inner packet), and the next size up is refused
# locally. With the default MTU 1420 over an IPv6 outer path (80 bytes of
# overhead: exactly 1500 on the wire) every size is sent; after a plane MTU
# change to 1440 over IPv4 outside (60 bytes: 1500 again) the sizes near
# the edges, around multiples of 16 (the padding boundary) and a stride.
# No outer packet may be fragmented: padding must stop at the MTU.
# With DUT=stock, the plane is a stock wireguard device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd nft

new_ns d
new_ns s
P=fleet0-backend

check "outer link, MTU 1500, IPv4 and IPv6" bash -c "
	$(declare -f veth_link)
	veth_link $d eth0 192.168.1.1/24 $s eth0 192.168.1.2/24 &&
	ip -n $d addr add fd00:1::1/64 dev eth0 nodad &&
	ip -n $s addr add fd00:1::2/64 dev eth0 nodad"
check "DUT $P" dut_create "$d" fleet0 backend
check "stock wg0" stock_create "$s" wg0
check "DUT: 10.79.0.1, fd79::1" wg_iface dut "$d" "$P" d 51822 \
	10.79.0.1/16 fd79::1/64
check "stock: 10.79.0.2, fd79::2" wg_iface stock "$s" wg0 s 51820 \
	10.79.0.2/16 fd79::2/64
check "DUT: peer over IPv6 outside" wg_peer dut "$d" "$P" s \
	10.79.0.2/32,fd79::2/128 "[fd00:1::2]:51820"
check "stock: peer over IPv6 outside" wg_peer stock "$s" wg0 d \
	10.79.0.1/32,fd79::1/128 "[fd00:1::1]:51822"

# outer fragments, counted where they arrive
cat > "$WG_TMP/frag.nft" <<'EOF'
table inet t {
	counter frag4 {}
	counter frag6 {}
	chain in {
		type filter hook prerouting priority -400;
		iifname "eth0" ip frag-off & 0x3fff != 0 counter name frag4
		iifname "eth0" exthdr frag exists counter name frag6
	}
}
EOF
for ns in "$d" "$s"; do
	check "fragment counters" ip netns exec "$ns" nft -f "$WG_TMP/frag.nft"
done

cat > "$WG_TMP/pinger.py" <<'EOF'
# pinger.py FAMILY DST MAXPAYLOAD full|edges: ICMP echo of every payload
# size in the set, DF set, a window of requests in flight, lost ones
# retried; exits 1 listing the sizes that got no reply. Then payload
# MAXPAYLOAD+1 must be refused locally with EMSGSIZE.
import errno, os, select, socket, struct, sys, time

fam, dst, maxp, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "full":
    sizes = list(range(maxp + 1))
else:
    s = set(range(65)) | set(range(maxp - 32, maxp + 1))
    s |= {k * 16 + d for k in range(maxp // 16 + 1) for d in (-1, 0, 1)}
    s |= set(range(0, maxp + 1, 37))
    sizes = sorted(x for x in s if 0 <= x <= maxp)

if fam == "4":
    sk = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sk.setsockopt(socket.IPPROTO_IP, 10, 2)   # IP_MTU_DISCOVER, _DO
    req, rep = 8, 0
else:
    sk = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                       socket.IPPROTO_ICMPV6)
    sk.setsockopt(socket.IPPROTO_IPV6, 23, 2)  # IPV6_MTU_DISCOVER, _DO
    sk.setsockopt(socket.IPPROTO_IPV6, 62, 1)  # IPV6_DONTFRAG
    req, rep = 128, 129
ident = os.getpid() & 0xffff

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def packet(seq, n):
    data = bytes((seq + i) & 0xff for i in range(n))
    h = struct.pack("!BBHHH", req, 0, 0, ident, seq)
    if fam == "4":
        h = struct.pack("!BBHHH", req, 0, csum(h + data), ident, seq)
    return h + data   # ICMPv6: the kernel fills in the checksum

def send(seq):
    sk.sendto(packet(seq, sizes[seq]), (dst, 0))

def collect(pending, timeout):
    end = time.time() + timeout
    while pending and time.time() < end:
        r, _, _ = select.select([sk], [], [], max(0, end - time.time()))
        if not r:
            break
        b = sk.recv(65535)
        if fam == "4":
            b = b[(b[0] & 15) * 4:]
        if len(b) < 8:
            continue
        t, _, _, i, seq = struct.unpack("!BBHHH", b[:8])
        if t == rep and i == ident and seq in pending:
            if len(b) - 8 == sizes[seq]:
                pending.discard(seq)

missing = set()
window, dead = 8, 0
for start in range(0, len(sizes), window):
    batch = set(range(start, min(start + window, len(sizes))))
    n = len(batch)
    for q in sorted(batch):
        send(q)
    collect(batch, 1)
    missing |= batch
    # no reply at all, three windows in a row: the path is down
    dead = dead + 1 if len(batch) == n else 0
    if dead == 3:
        missing |= set(range(start, len(sizes)))
        break
if len(missing) <= 32:
    for attempt in range(3):
        for q in sorted(missing):
            if q in missing:
                send(q)
                collect(missing, 0.5)
bad = sorted(sizes[q] for q in missing)
print("%d sizes from 0 to %d sent, %d without reply%s" %
      (len(sizes), maxp, len(bad), (": %s" % bad[:40]) if bad else ""))
try:
    sk.sendto(packet(0, maxp + 1), (dst, 0))
    print("payload %d was not refused" % (maxp + 1))
    ok_big = False
except OSError as e:
    ok_big = e.errno == errno.EMSGSIZE
    if not ok_big:
        print("payload %d: %s" % (maxp + 1, e))
sys.exit(0 if not bad and ok_big else 1)
EOF

# sizes NS FAMILY DST MTU MODE
sizes() {
	local hdr=28
	[ "$2" = 4 ] || hdr=48
	ip netns exec "$1" python3 "$WG_TMP/pinger.py" "$2" "$3" \
		$(($4 - hdr)) "$5" > "$WG_TMP/sizes.out" 2>&1
	local rc=$?
	sed "s/^/$2 to $3: /" "$WG_TMP/sizes.out" >> "$WG_TMP/sizes.log"
	cat "$WG_TMP/sizes.out"
	return $rc
}

run_sizes() {
	local mtu=$1 mode=$2
	check "stock -> DUT handshake" pings "$s" 10.79.0.1 1
	check "DUT -> stock, IPv4, payload 0..$((mtu - 28)) ($mode), DF" \
		sizes "$d" 4 10.79.0.2 "$mtu" "$mode"
	check "stock -> DUT, IPv4, payload 0..$((mtu - 28)) ($mode), DF" \
		sizes "$s" 4 10.79.0.1 "$mtu" "$mode"
	check "DUT -> stock, IPv6, payload 0..$((mtu - 48)) ($mode), DF" \
		sizes "$d" 6 fd79::2 "$mtu" "$mode"
	check "stock -> DUT, IPv6, payload 0..$((mtu - 48)) ($mode), DF" \
		sizes "$s" 6 fd79::1 "$mtu" "$mode"
	# the same edges with the ping tool
	check "ping -M do -s $((mtu - 28)) (DUT -> stock)" ip netns exec "$d" \
		ping -c 1 -W 2 -M do -s $((mtu - 28)) 10.79.0.2
	check_output "ping -M do -s $((mtu - 27)) is refused (DUT)" \
		'[Mm]essage too long|mtu' ip netns exec "$d" \
		ping -c 1 -W 1 -M do -s $((mtu - 27)) 10.79.0.2
	check "ping -6 -M do -s $((mtu - 48)) (stock -> DUT)" \
		ip netns exec "$s" ping -6 -c 1 -W 2 -M do -s $((mtu - 48)) fd79::1
	sed 's/^/# /' "$WG_TMP/sizes.log"
	: > "$WG_TMP/sizes.log"
	for ns in "$d" "$s"; do
		check_output "no fragmented outer IPv4 packet" '^0$' \
			nft_counter "$ns" inet t frag4
		check_output "no fragmented outer IPv6 packet" '^0$' \
			nft_counter "$ns" inet t frag6
	done
}

log "MTU 1420 (default), IPv6 outside: every size"
check_output "the DUT's MTU is 1420" ' mtu 1420 ' ip -n "$d" link show "$P"
run_sizes 1420 full

log "MTU 1440 on both sides, IPv4 outside: sizes near the edges"
check "DUT: MTU 1440" ip -n "$d" link set "$P" mtu 1440
check "stock: MTU 1440" ip -n "$s" link set wg0 mtu 1440
check "endpoints over IPv4" sh -c "
	ip netns exec $d $DUT_WG set $P peer $(pubkey_of s) endpoint 192.168.1.2:51820 &&
	ip netns exec $s wg set wg0 peer $(pubkey_of d) endpoint 192.168.1.1:51822"
run_sizes 1440 edges

log "MTU 1280 on the DUT only: its side is limited, the other is not"
check "DUT: MTU 1280" ip -n "$d" link set "$P" mtu 1280
check "DUT -> stock, IPv4, payload 0..1252 (edges), DF" \
	sizes "$d" 4 10.79.0.2 1280 edges
check "DUT -> stock, IPv6, payload 0..1232 (edges), DF" \
	sizes "$d" 6 fd79::2 1280 edges

test_end
