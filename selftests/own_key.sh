#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A peer whose public key is the device's own is ignored, as stock
# WireGuard does, so that one mesh configuration that lists every node
# serves each of them. A stock "wireguard" device and a plane, each in its
# own namespace under the same name, get the same commands; after each,
# "show DEV dump" must be byte-identical:
#
# * setconf, addconf and syncconf of a mesh file that lists the node itself
#   (its peer line is ignored, the others are set);
# * "set DEV peer OWN ..." succeeds and adds nothing, also with the private
#   key in the same command;
# * a private key changed to an existing peer's removes that peer.
# With DUT=stock, the plane is a stock device too.
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

for k in n1 n2 n3 n4; do keypair "$k" >/dev/null; done
N1=$(pubkey_of n1) N2=$(pubkey_of n2) N3=$(pubkey_of n3) N4=$(pubkey_of n4)

# mesh NODE: the shared mesh file with NODE's private key; it lists every
# node (n1..n3), NODE included
mesh() {
	local i
	printf '[Interface]\nPrivateKey = %s\nListenPort = 51821\n' \
		"$(cat "$(keyfile "$1")")"
	for i in 1 2 3; do
		printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.78.0.%d/32\nEndpoint = 192.0.2.%d:51821\n' \
			"$(pubkey_of n$i)" "$i" "$i"
	done
}
mesh n1 > "$T/n1.conf"
mesh n2 > "$T/n2.conf"
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.78.0.9/32\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.78.0.4/32\n' \
	"$N2" "$N4" > "$T/add.conf"

# both ARGS...: the same wg command on both devices; each must succeed
both() {
	stock_wg "$sa" "$@" && dut_wg "$sb" "$@"
}
# same_dump: "show DEV dump" byte-identical
same_dump() {
	stock_wg "$sa" show "$DEV" dump > "$T/a" 2>&1
	dut_wg "$sb" show "$DEV" dump > "$T/b" 2>&1
	diff -u --label "wg show $DEV dump" \
		--label "$(basename "$DUT_WG") show $DEV dump" "$T/a" "$T/b"
}
# peers_are KEY...: the device under test has exactly these peers
peers_are() {
	local want got
	want=$(printf '%s\n' "$@" | sort)
	got=$(dut_wg "$sb" show "$DEV" peers | sort)
	[ "$want" = "$got" ] || { echo "peers: $got; expected: $want"; return 1; }
}

check "setconf of the mesh file on node 1" both setconf "$DEV" "$T/n1.conf"
check "node 1: same dump as stock" same_dump
check "node 1: its own line ignored, the others set" peers_are "$N2" "$N3"

check "setconf of the same mesh file on node 2" both setconf "$DEV" "$T/n2.conf"
check "node 2: same dump as stock" same_dump
check "node 2: its own line ignored, the others set" peers_are "$N1" "$N3"

check "addconf with the own key and a new peer" both addconf "$DEV" "$T/add.conf"
check "addconf: same dump as stock" same_dump
check "addconf: own key ignored, the new peer added" \
	peers_are "$N1" "$N3" "$N4"

check "syncconf of the mesh file" both syncconf "$DEV" "$T/n2.conf"
check "syncconf: same dump as stock" same_dump
check "syncconf: own key ignored" peers_are "$N1" "$N3"

check "set peer OWN succeeds" both set "$DEV" peer "$N2" \
	allowed-ips 10.78.0.77/32 persistent-keepalive 5
check "set peer OWN: same dump as stock" same_dump
check "set peer OWN added nothing, moved no allowed IP" peers_are "$N1" "$N3"

check "private key and its own peer in one command" both set "$DEV" \
	private-key "$(keyfile n4)" peer "$N4" allowed-ips 10.78.0.44/32
check "key and own peer: same dump as stock" same_dump
check "key and own peer: the peer with the new own key is gone" \
	peers_are "$N1" "$N3"

check "a private key changed to a peer's" both set "$DEV" \
	private-key "$(keyfile n3)"
check "changed key: same dump as stock" same_dump
check "changed key: the peer with the new own key is removed" \
	peers_are "$N1"

test_end
