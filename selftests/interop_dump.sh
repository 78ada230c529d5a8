#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The wgplanes tool prints what wg prints. A stock "wireguard" device and a
# plane get the same configuration (private key, listen port, fwmark, peers
# with PSKs, IPv4 and IPv6 endpoints, allowed IPs, keepalives), each in its
# own namespace and under the same name; then show dump, show all dump,
# every single-field show, the human show (minus the indented lines that
# wgplanes documents as its own) and showconf must be byte-identical, after
# setconf and after each of a series of set/addconf/syncconf changes made
# to both. setconf of wg's canonical showconf output, then showconf, gives
# that input back byte for byte. Configuration only: no traffic, both
# devices stay down. With DUT=stock, the plane is a stock device too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_wg.sh"

require_interop
require_cmd diff

new_ns sa	# stock reference
new_ns sb	# device under test
DEV=fleet0-mgmt
T=$WG_TMP

check "stock device $DEV" ip -n "$sa" link add "$DEV" type wireguard
check "DUT $DEV (down)" dut_create_down "$sb" fleet0 mgmt

for k in if p1 p2 p3 p4 p5 p6; do keypair "$k" >/dev/null; done
(umask 077; wg genpsk > "$T/psk1")
(umask 077; wg genpsk > "$T/psk2")
P1=$(pubkey_of p1) P2=$(pubkey_of p2) P3=$(pubkey_of p3)
P4=$(pubkey_of p4) P5=$(pubkey_of p5) P6=$(pubkey_of p6)

# a non-canonical input: odd spacing and case, comments, repeated
# AllowedIPs, v4 and v6 endpoints, a peer with nothing but its key
cat > "$T/in.conf" <<EOF
# interop_dump input
[Interface]
PrivateKey=$(cat "$(keyfile if)")
listenport = 51821
FwMark = 0x1234

[Peer]
PublicKey = $P1
PresharedKey = $(cat "$T/psk1")
AllowedIPs = 10.78.0.2/32, fd00:78::2/128
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[peer]
publickey = $P2
AllowedIPs = 10.78.1.0/24,fd00:78:1::/64
AllowedIPs = 192.168.0.0/16   # more
Endpoint = [2001:db8::1]:51821
PersistentKeepalive = off

[Peer]
PublicKey = $P3
EOF

# both SA and SB: run the same tool command on the stock device and the DUT
both() {
	stock_wg "$sa" "$@" && dut_wg "$sb" "$@"
}

# Outputs go through files: the VM has no /dev/fd for <(...).
# same_out ARGS...: "wg ARGS" on the stock device and "$DUT_WG ARGS" on the
# DUT print the same bytes and exit alike.
same_out() {
	{ stock_wg "$sa" "$@"; echo "exit status $?"; } > "$T/a" 2>&1
	{ dut_wg "$sb" "$@"; echo "exit status $?"; } > "$T/b" 2>&1
	diff -u --label "wg $*" --label "$(basename "$DUT_WG") $*" "$T/a" "$T/b"
}

# human show without the lines wgplanes adds (documented in wgplanes(8))
same_human() {
	local x='^  (fleet|policy|queues|drops): '
	stock_wg "$sa" show "$DEV" 2>&1 | grep -Ev "$x" > "$T/a"
	dut_wg "$sb" show "$DEV" 2>&1 | grep -Ev "$x" > "$T/b"
	diff -u --label "wg show $DEV" \
		--label "$(basename "$DUT_WG") show $DEV (wg's lines)" "$T/a" "$T/b"
}

# all dump of the DUT's namespace has other planes: keep DEV's lines
same_all_dump() {
	stock_wg "$sa" show all dump > "$T/a" 2>&1
	dut_wg "$sb" show all dump 2>&1 | grep "^$DEV	" > "$T/b"
	diff -u --label "wg show all dump" \
		--label "$(basename "$DUT_WG") show all dump ($DEV lines)" \
		"$T/a" "$T/b"
}

FIELDS="public-key private-key listen-port fwmark peers preshared-keys
	endpoints allowed-ips latest-handshakes transfer persistent-keepalive"

# compare_all STAGE [full]: dumps and showconf; with "full" also every
# single-field show and the human show.
compare_all() {
	local stage=$1 f
	check "$stage: show $DEV dump identical" same_out show "$DEV" dump
	check "$stage: show all dump identical" same_all_dump
	check "$stage: showconf identical" same_out showconf "$DEV"
	[ "$2" = full ] || return 0
	for f in $FIELDS; do
		check "$stage: show $DEV $f identical" same_out show "$DEV" "$f"
	done
	check "$stage: human show identical" same_human
}

# 0. unconfigured
compare_all "unconfigured" full

# 1. setconf of the non-canonical input
check "setconf (stock)" stock_wg "$sa" setconf "$DEV" "$T/in.conf"
check "setconf (DUT)" dut_wg "$sb" setconf "$DEV" "$T/in.conf"
compare_all "setconf" full
check_output "dump has the PSK, endpoint, both allowed IPs, keepalive 25" \
	"^$(re_escape "$P1")	$(re_escape "$(cat "$T/psk1")")	192\.0\.2\.1:51820	10\.78\.0\.2/32,fd00:78::2/128	0	0	0	25\$" \
	dut_wg "$sb" show "$DEV" dump
check_output "dump of a peer with only a key" \
	"^$(re_escape "$P3")	\(none\)	\(none\)	\(none\)	0	0	0	off\$" \
	dut_wg "$sb" show "$DEV" dump

# 2. set: port, fwmark off, remove a peer, replace allowed IPs, endpoint,
#    keepalive, PSK set and removed
check "set (both)" both set "$DEV" listen-port 0 fwmark off \
	peer "$P1" remove \
	peer "$P2" allowed-ips 10.9.0.0/16,fd00:9::/48,10.10.0.1/32 \
		endpoint 198.51.100.7:1234 persistent-keepalive 7 \
		preshared-key "$T/psk2" \
	peer "$P3" endpoint "[fd00::3]:3" allowed-ips ::/0
compare_all "set" full
check "set: clear allowed IPs, remove a PSK" \
	both set "$DEV" peer "$P2" allowed-ips "" preshared-key /dev/null
compare_all "set 2"
# (wg of Debian 12 has no update-only: not compared here)

# 3. addconf: new peers, and more allowed IPs for an existing one
cat > "$T/add.conf" <<EOF
[Peer]
PublicKey = $P4
AllowedIPs = 10.4.0.0/16
Endpoint = 203.0.113.4:4

[Peer]
PublicKey = $P3
AllowedIPs = 10.3.0.0/16
PersistentKeepalive = 3
EOF
check "addconf (both)" both addconf "$DEV" "$T/add.conf"
compare_all "addconf"

# 4. syncconf: remove P2 and P4, change P3, add P5
cat > "$T/sync.conf" <<EOF
[Interface]
ListenPort = 51999
PrivateKey = $(cat "$(keyfile if)")

[Peer]
PublicKey = $P3
AllowedIPs = 10.33.0.0/16
Endpoint = [fd00::33]:33

[Peer]
PublicKey = $P5
PresharedKey = $(cat "$T/psk1")
AllowedIPs = 10.5.0.0/16, fd00:5::/64
EOF
check "syncconf (both)" both syncconf "$DEV" "$T/sync.conf"
compare_all "syncconf"

# 5. private key removed
check "set private-key /dev/null (both)" both set "$DEV" private-key /dev/null
compare_all "no private key"

# 6. canonical round trip: wg's own showconf of the input is the canonical
#    form; setconf of it into the DUT, then showconf, gives it back
check "canonical form from stock wg" sh -c "
	ip netns exec $sa wg setconf $DEV $T/in.conf &&
	ip netns exec $sa wg showconf $DEV > $T/canon.conf"
check_output "canonical form has IPv4/IPv6 peers and a PSK" \
	'PresharedKey' cat "$T/canon.conf"
check "DUT: setconf canonical" dut_wg "$sb" setconf "$DEV" "$T/canon.conf"
check "DUT: showconf is byte-identical to the canonical input" sh -c \
	"ip netns exec $sb $DUT_WG showconf $DEV | diff -u $T/canon.conf -"
check "stock: showconf of the canonical input is a fixed point" sh -c "
	ip netns exec $sa wg setconf $DEV $T/canon.conf &&
	ip netns exec $sa wg showconf $DEV | diff -u $T/canon.conf -"
check "DUT: setconf of its own showconf is a fixed point" sh -c "
	ip netns exec $sb $DUT_WG showconf $DEV > $T/again.conf &&
	ip netns exec $sb $DUT_WG setconf $DEV $T/again.conf &&
	ip netns exec $sb $DUT_WG showconf $DEV | diff -u $T/canon.conf -"

# 7. errors: both refuse the same bad input
check_fail "DUT refuses a bad allowed IP" \
	dut_wg "$sb" set "$DEV" peer "$P1" allowed-ips 10.0.0.0/33
check_fail "DUT refuses a bad key" \
	dut_wg "$sb" set "$DEV" peer AAAA allowed-ips 10.0.0.0/8
compare_all "after refused changes"

test_end
