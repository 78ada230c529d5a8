#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10,000 peers, each with an IPv4 /32 and an IPv6 /128, set with setconf
# from a generated file into a stock wireguard device (wg) and into the
# DUT (a plane, configured with wgplanes): the DUT's dump lists every peer
# with its allowed IPs and equals the stock dump, sorted and unsorted, and
# showconf is identical. The time each setconf took is logged. With
# DUT=stock, the plane is a stock device too. Configuration only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop

NPEERS=${NPEERS:-10000}
new_ns sa
new_ns sb
DEV=fleet0-storage
T=$WG_TMP

check "stock device $DEV" ip -n "$sa" link add "$DEV" type wireguard
check "DUT $DEV (down)" dut_create_down "$sb" fleet0 storage
keypair if >/dev/null

# peer i: a random key, 10.1.x.y/32 and fd00:1::<i>/128 (i in hex)
python3 - "$NPEERS" "$(cat "$(keyfile if)")" > "$T/big.conf" <<'EOF'
import base64, os, sys
n = int(sys.argv[1])
out = ["[Interface]", "PrivateKey = " + sys.argv[2], "ListenPort = 51823", ""]
for i in range(1, n + 1):
    out += ["[Peer]",
            "PublicKey = " + base64.b64encode(os.urandom(32)).decode(),
            "AllowedIPs = 10.%d.%d.%d/32, fd00:1::%x/128" %
            (1 + (i >> 16), (i >> 8) & 255, i & 255, i),
            ""]
print("\n".join(out))
EOF
check_output "generated $NPEERS peers" "^$NPEERS\$" grep -c '^\[Peer\]' "$T/big.conf"

# timed ARGS...: run "ip netns exec NS TOOL ARGS" style commands and log
# how long they took (shown after the check).
timed() {
	local t0 rc=0
	t0=$(date +%s%N)
	"$@" || rc=$?
	echo "$(basename "$4") ${*:5}: $((($(date +%s%N) - t0) / 1000000)) ms" \
		>> "$T/times"
	return $rc
}
show_times() {
	[ ! -s "$T/times" ] || sed "s|$T/||;s/^/# time: /" "$T/times"
	: > "$T/times"
}
check "stock wg: setconf of $NPEERS peers" \
	timed ip netns exec "$sa" wg setconf "$DEV" "$T/big.conf"
check "DUT: setconf of $NPEERS peers" \
	timed ip netns exec "$sb" "$DUT_WG" setconf "$DEV" "$T/big.conf"
show_times
timed ip netns exec "$sa" wg show "$DEV" dump > "$T/stock.dump" || true
timed ip netns exec "$sb" "$DUT_WG" show "$DEV" dump > "$T/dut.dump" || true
show_times

# (large outputs: grep the files, check_output would print them)
lines_are() { [ "$(wc -l < "$1")" -eq "$2" ] || { wc -l "$1"; return 1; }; }
check "stock dump has $NPEERS peers" lines_are "$T/stock.dump" $((NPEERS + 1))
check "DUT dump has $NPEERS peers" lines_are "$T/dut.dump" $((NPEERS + 1))
check_output "DUT dump: $((2 * NPEERS)) allowed IPs" "^$((2 * NPEERS))\$" \
	sh -c "tail -n +2 $T/dut.dump | cut -f4 | tr , '\n' | grep -c /"
for i in 1 255 256 4097 $((NPEERS / 2)) "$NPEERS"; do
	key=$(grep -A1 '^\[Peer\]' "$T/big.conf" | grep '^PublicKey' |
		sed -n "${i}p" | cut -d' ' -f3)
	ips=$(printf '10.%d.%d.%d/32,fd00:1::%x/128' \
		$((1 + (i >> 16))) $(((i >> 8) & 255)) $((i & 255)) "$i")
	check "DUT dump: peer $i has $ips" grep -Eq \
		"^$(re_escape "$key")	\(none\)	\(none\)	$ips	0	0	0	off\$" \
		"$T/dut.dump"
done
# (files, not <(...): the VM has no /dev/fd)
sort "$T/stock.dump" > "$T/stock.sorted"
sort "$T/dut.dump" > "$T/dut.sorted"
check "DUT dump equals the stock dump, sorted" \
	diff -u "$T/stock.sorted" "$T/dut.sorted"
check "DUT dump equals the stock dump, same order" \
	diff -q "$T/stock.dump" "$T/dut.dump"
stock_wg "$sa" showconf "$DEV" > "$T/stock.conf" 2>&1 || true
dut_wg "$sb" showconf "$DEV" > "$T/dut.conf" 2>&1 || true
check "DUT showconf equals stock showconf" diff -q "$T/stock.conf" "$T/dut.conf"

# replacing the whole set again (setconf of the same file) keeps it, and
# takes about as long as in stock WireGuard (generous bound: 10x + 10 s)
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
t0=$(date +%s%N)
check "stock wg: setconf again, replacing $NPEERS peers" \
	ip netns exec "$sa" wg setconf "$DEV" "$T/big.conf"
t_stock=$(ms "$t0")
t0=$(date +%s%N)
check "DUT: setconf again, replacing $NPEERS peers" \
	ip netns exec "$sb" "$DUT_WG" setconf "$DEV" "$T/big.conf"
t_dut=$(ms "$t0")
log "time: setconf replacing $NPEERS peers: stock $t_stock ms, DUT $t_dut ms"
check "DUT: replacing took at most 10x stock + 10 s" \
	test "$t_dut" -le $((10 * t_stock + 10000))
show_times
check "DUT dump unchanged after the second setconf" sh -c \
	"ip netns exec $sb $DUT_WG show $DEV dump | sort | diff -q - $T/stock.sorted"

test_end
