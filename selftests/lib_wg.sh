#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the interoperability tests (interop_*.sh): a "device under
# test" (DUT) and stock WireGuard nodes. Source it after lib.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib_wg.sh"
#
# The DUT is a wgplanes plane configured with the wgplanes tool. With
# DUT=stock in the environment, the same test runs with stock "wireguard"
# devices (named like the planes) configured with wg instead: this proves
# the test itself right, independently of the wgplanes engine. Nothing here
# skips a check because the engine is missing: that must show as FAIL.
#
#	DUT=stock selftests/run interop_fleet.sh
#
# Node kinds: "dut" (a plane, or a stock device when DUT=stock) and "stock"
# (always a stock wireguard device configured with wg).

DUT=${DUT:-wgplanes}
case "$DUT" in
stock)		DUT_WG=${DUT_WG:-wg} ;;
wgplanes)	DUT_WG=${DUT_WG:-$WGPLANES} ;;
*)		echo "# FAIL: unknown DUT='$DUT' (wgplanes or stock)"
		exit $KSFT_FAIL ;;
esac
STOCK_WG=${STOCK_WG:-wg}

WG_TMP=$(mktemp -d)
at_exit rm -rf "$WG_TMP"

# require_interop: root, the tools, stock wireguard, and the module when
# the DUT is a plane.
require_interop() {
	require_root
	require_cmd ip wg ping python3
	[ "$DUT" = stock ] || require_module
	modprobe wireguard 2>/dev/null || [ -d /sys/module/wireguard ] ||
		skip "stock wireguard module not available"
	log "DUT=$DUT ($DUT_WG)"
}

# dut_create NS FLEET ROLE: make the device under test FLEET-ROLE in NS and
# set it up. A plane of fleet FLEET (the fleet is created on first use; its
# other planes stay unused), or with DUT=stock a wireguard device of that
# name. dut_create_down: the same, left down (never up: no port chosen).
dut_create_down() {
	local ns=$1 fleet=$2 role=$3
	if [ "$DUT" = stock ]; then
		ip -n "$ns" link add "$fleet-$role" type wireguard
	else
		ip -n "$ns" link show "$fleet" >/dev/null 2>&1 ||
			ip -n "$ns" link add "$fleet" type wgplanes || return 1
		ip -n "$ns" link show "$fleet-$role" >/dev/null
	fi
}
dut_create() {
	dut_create_down "$@" && ip -n "$1" link set "$2-$3" up
}

# stock_create NS DEV: a stock wireguard device, up.
stock_create() {
	ip -n "$1" link add "$2" type wireguard &&
		ip -n "$1" link set "$2" up
}

# node_create KIND NS DEV: DEV is FLEET-ROLE for a dut.
node_create() {
	if [ "$1" = dut ]; then
		dut_create "$2" "${3%-*}" "${3##*-}"
	else
		stock_create "$2" "$3"
	fi
}

# dut_wg NS ARGS...: the DUT's tool in NS; stock_wg likewise with wg;
# wgx KIND NS ARGS... either.
dut_wg() { local ns=$1; shift; ip netns exec "$ns" "$DUT_WG" "$@"; }
stock_wg() { local ns=$1; shift; ip netns exec "$ns" "$STOCK_WG" "$@"; }
wgx() {
	local kind=$1
	shift
	if [ "$kind" = dut ]; then dut_wg "$@"; else stock_wg "$@"; fi
}

# keypair NAME: $WG_TMP/NAME.key and NAME.pub; prints the public key.
keypair() {
	[ -s "$WG_TMP/$1.key" ] || {
		(umask 077; wg genkey > "$WG_TMP/$1.key")
		wg pubkey < "$WG_TMP/$1.key" > "$WG_TMP/$1.pub"
	}
	cat "$WG_TMP/$1.pub"
}
pubkey_of() { cat "$WG_TMP/$1.pub"; }
keyfile() { echo "$WG_TMP/$1.key"; }

# wg_iface KIND NS DEV KEYNAME PORT [ADDR...]: private key, listen port
# and tunnel addresses of a node.
wg_iface() {
	local kind=$1 ns=$2 dev=$3 key=$4 port=$5 a
	shift 5
	keypair "$key" >/dev/null
	wgx "$kind" "$ns" set "$dev" listen-port "$port" \
		private-key "$(keyfile "$key")" || return 1
	for a in "$@"; do
		ip -n "$ns" addr add "$a" dev "$dev" || return 1
	done
}

# wg_peer KIND NS DEV PEERKEYNAME ALLOWED [ENDPOINT [KEEPALIVE]]
wg_peer() {
	local kind=$1 ns=$2 dev=$3 peer=$4 allowed=$5 ep=$6 ka=$7
	local args=(peer "$(keypair "$peer")" allowed-ips "$allowed")
	[ -z "$ep" ] || args+=(endpoint "$ep")
	[ -z "$ka" ] || args+=(persistent-keepalive "$ka")
	wgx "$kind" "$ns" set "$dev" "${args[@]}"
}

# veth_link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two
# namespaces, up, with an address (CIDR) on each end ("" for none).
veth_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		return 1
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up || return 1
	[ -z "$3" ] || ip -n "$1" addr add "$3" dev "$2" nodad || return 1
	[ -z "$6" ] || ip -n "$4" addr add "$6" dev "$5" nodad || return 1
}

# pings NS ADDR [COUNT]: COUNT pings (default 2) after a first one that
# may wait for the handshake all get replies.
pings() {
	local ns=$1 addr=$2 n=${3:-2} opt=
	case "$addr" in *:*) opt=-6 ;; esac
	# the first packet waits for the handshake (it is queued, not lost);
	# then COUNT must pass
	ip netns exec "$ns" ping $opt -c 1 -W 5 "$addr" >/dev/null 2>&1 || true
	ip netns exec "$ns" ping $opt -c "$n" -i 0.2 -W 2 "$addr"
}

# no_ping NS ADDR: no reply at all (2 tries).
no_ping() {
	local opt=
	case "$2" in *:*) opt=-6 ;; esac
	! ip netns exec "$1" ping $opt -c 2 -i 0.3 -W 1 "$2"
}

# nft_counter NS FAMILY TABLE NAME: packets of a named counter.
nft_counter() {
	ip netns exec "$1" nft list counter "$2" "$3" "$4" |
		sed -n 's/.*packets \([0-9]*\) bytes.*/\1/p'
}

# tcp_listen NS PORT: a TCP server on PORT that greets each connection with
# "SSH-2.0-wgplanes-test" (nc may be missing; python3 is not).
tcp_listen() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b"SSH-2.0-wgplanes-test\r\n")
    c.close()
' "$2" >/dev/null 2>&1 &
	at_exit kill $!
	wait_until 10 sh -c "ip netns exec $1 ss -Htln | grep -q ':$2 '"
}

# tcp_greets NS ADDR PORT: a TCP connection gets the greeting in 3 s.
tcp_greets() {
	ip netns exec "$1" timeout 3 bash -c \
		"exec 3<>/dev/tcp/$2/$3 && head -c 7 <&3" | grep -q '^SSH-2.0'
}

# re_escape STRING: STRING as an extended regex matching itself (keys
# have + and /).
re_escape() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# plane_value NS PLANE KEY: a value of plane PLANE in namespace NS from
# `wgplanes show PLANE --json`: a counter, a policy field or another field
# of the plane (the first scalar named KEY, depth first: the plane's own
# fields, its policy, its counters, its first peer). true and false print
# as 1 and 0, null as nothing. Fails when the plane has no such key.
# Planes only: stock devices have no JSON.
plane_value() {
	ip netns exec "$1" "$WGPLANES" show "$2" --json | python3 -c '
import json, sys

def find(o, k):
    if isinstance(o, dict):
        if k in o and not isinstance(o[k], (dict, list)):
            return True, o[k]
        o = o.values()
    elif not isinstance(o, list):
        return False, None
    for v in o:
        found, r = find(v, k)
        if found:
            return True, r
    return False, None

found, v = find(json.load(sys.stdin)["planes"], sys.argv[1])
if not found:
    sys.exit("plane_value: no %s in the JSON of the plane" % sys.argv[1])
print(int(v) if isinstance(v, bool) else ("" if v is None else v))' "$3"
}

# plane_debugfs NS PLANE: the debugfs directory of plane PLANE in namespace
# NS, /sys/kernel/debug/wgplanes/PLANE@INODE with the inode number of the
# namespace (module/engine.c); it exists while the plane is up. Mounts
# debugfs when it is not.
plane_debugfs() {
	local inum
	[ -d /sys/kernel/debug/wgplanes ] ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
	inum=$(ip netns exec "$1" stat -L -c %i /proc/self/ns/net) || return 1
	echo "/sys/kernel/debug/wgplanes/$2@$inum"
}

# attack_setup: the plane under attack and its session with stock WireGuard.
# Namespaces P (a fleet; fleet0-mgmt with key "mgmt", port $PORT and
# 192.168.77.1/24, up), S (stock wg0 with key "stock", port 51900 and
# 192.168.77.2/24, peered with the plane) and A (the attacker); veths ps/vs
# 10.0.1.1-2/24 (P-S) and pa/va 10.0.2.1-2/24 (P-A). Defines p, s and wgp.
attack_setup() {
	new_ns P
	new_ns S
	new_ns A
	p() { ip netns exec "$P" "$@"; }
	s() { ip netns exec "$S" "$@"; }
	wgp() { p "$WGPLANES" "$@"; }
	veth_link "$P" ps 10.0.1.1/24 "$S" vs 10.0.1.2/24
	veth_link "$P" pa 10.0.2.1/24 "$A" va 10.0.2.2/24
	ip -n "$P" link add fleet0 type wgplanes
	keypair mgmt >/dev/null
	keypair stock >/dev/null
	wgp set fleet0-mgmt private-key "$(keyfile mgmt)" listen-port "$PORT" \
		peer "$(pubkey_of stock)" allowed-ips 192.168.77.2/32 \
		endpoint 10.0.1.2:51900
	ip -n "$P" addr add 192.168.77.1/24 dev fleet0-mgmt
	ip -n "$P" link set fleet0-mgmt up
	ip -n "$S" link add wg0 type wireguard
	s wg set wg0 private-key "$(keyfile stock)" listen-port 51900 \
		peer "$(pubkey_of mgmt)" allowed-ips 192.168.77.1/32 \
		endpoint "10.0.1.1:$PORT"
	ip -n "$S" addr add 192.168.77.2/24 dev wg0
	ip -n "$S" link set wg0 up
}

# capture_start COUNT: after attack_setup, tcpdump on the stock side takes
# COUNT data messages of the session (over 200 bytes) into
# $WG_TMP/session.pcap, for replays; start the traffic after it.
# capture_end MIN: waits for it (10 s) and checks it took MIN at least.
capture_start() {
	s tcpdump -i vs -U -n -c "$1" -w "$WG_TMP/session.pcap" \
		"udp port $PORT and greater 200" >"$WG_TMP/tcpdump.log" 2>&1 &
	_capture_pid=$!
	at_exit kill $_capture_pid
	wait_until 30 grep -q "listening on" "$WG_TMP/tcpdump.log" ||
		fail "tcpdump did not start"
}
capture_end() {
	wait_until 10 sh -c "! kill -0 $_capture_pid" || kill $_capture_pid
	check "data messages of the session captured" test "$(tcpdump -r \
		"$WG_TMP/session.pcap" -n 2>/dev/null | wc -l)" -ge "$1"
}
