#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "wgplanes" generic netlink family on a real kernel, through nl.py (a
# raw client that can send malformed messages): every validation path is
# refused with its errno and an extended ack message, SET_PLANE semantics
# match what WireGuard users expect, configuration round-trips through
# GET_PLANE, permissions hold, and large configurations (10,000 peers,
# 100,000 allowed IPs) are set and dumped back complete.

. "$(dirname "$0")/lib.sh"

require_root
require_module
require_cmd python3 ip wg setpriv

NL_PY="$SELFTESTS_DIR/nl.py"
new_ns ns
nsx() { ip netns exec "$ns" "$@"; }

tmp=$(mktemp -d)
at_exit rm -rf "$tmp"

# One nl.py process serves every call of nl(): an interpreter start costs
# seconds under an emulated CPU. Requests go through a FIFO as NUL-ended
# arguments; the reply ends with a line "\x01rc=N".
mkfifo "$tmp/req" "$tmp/resp"
nsx python3 "$NL_PY" serve < "$tmp/req" > "$tmp/resp" &
exec 7> "$tmp/req" 8< "$tmp/resp"
at_exit "exec 7>&- 8<&-"
nl() {
	local line rc=1
	printf '%d\0' $# >&7
	printf '%s\0' "$@" >&7
	while IFS= read -r line <&8; do
		case $line in
		$'\x01'rc=*) rc=${line#*=}; break ;;
		esac
		printf '%s\n' "$line"
	done
	return "$rc"
}

nsx ip link add fleet0 type wgplanes
P=fleet0-mgmt

# must_fail PATTERN COMMAND...: COMMAND fails and says PATTERN (extended
# regex) in its output: the errno name and the extack message.
must_fail() {
	local pat=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "succeeded: $out"
		return 1
	fi
	if ! printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		echo "no match for '$pat': $out"
		return 1
	fi
}

# rejects DESC PATTERN JSON: SET_PLANE of JSON on $P is refused so.
rejects() {
	check "rejects $1" must_fail "$2" nl set-raw "$P" "$3"
}

# expect DESC PYTHON-EXPR: GET_PLANE of $P satisfies the expression over d
# (the plane) and peers (its peers by public key).
expect() {
	check "$1" nl get "$P" --expect "$2"
}

key32() { head -c 32 /dev/urandom | base64; }
ZERO=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
SHORT=$(head -c 31 /dev/urandom | base64)
LONG=$(head -c 33 /dev/urandom | base64)
PRIV=$(wg genkey)
PUB=$(wg pubkey <<< "$PRIV")
PA=$(key32)
PB=$(key32)
PC=$(key32)
PSK=$(wg genpsk)
# a sockaddr_in6 (28 bytes) whose family says AF_INET
V6_AS_V4=0200ca6c00000000fd00000000000000000000000000000100000000

# ------------------------------------------------------------ validation
log "validation"
rejects "short private key" "ERANGE.*binary attribute size out of range.*at private-key" \
	"{\"private-key\": \"$SHORT\"}"
rejects "long peer public key" "ERANGE.*out of range.*at peers\\[0\\]\\.public-key" \
	"{\"peers\": [{\"public-key\": \"$LONG\"}]}"
rejects "short preshared key" "ERANGE.*at peers\\[0\\]\\.preshared-key" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"preshared-key\": \"$SHORT\"}]}"
rejects "IPv4 CIDR 33" "EINVAL.*CIDR mask is longer than the address.*cidr-mask" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": \"inet\", \"ipaddr\": \"10.0.0.0\", \"cidr-mask\": 33}]}]}"
rejects "IPv6 CIDR 129" "EINVAL.*CIDR mask is longer than the address" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": \"inet6\", \"ipaddr\": \"fd00::\", \"cidr-mask\": 129}]}]}"
rejects "unknown allowed IP family" "EAFNOSUPPORT.*neither AF_INET nor AF_INET6.*at peers\\[0\\]\\.allowedips\\[0\\]\\.family" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": 7, \"ipaddr\": \"10.0.0.0\", \"cidr-mask\": 8}]}]}"
rejects "IPv4 family with a 16-byte address" "EINVAL.*address length does not match its family.*ipaddr" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": \"inet\", \"ipaddr\": \"fd00::\", \"cidr-mask\": 8}]}]}"
rejects "IPv6 family with a 4-byte address" "EINVAL.*address length does not match" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": \"inet6\", \"ipaddr\": \"10.0.0.0\", \"cidr-mask\": 8}]}]}"
rejects "allowed IP without a CIDR" "EINVAL.*needs a family, an address and a CIDR mask" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"allowedips\": [{\"family\": \"inet\", \"ipaddr\": \"10.0.0.0\"}]}]}"
rejects "unknown plane attribute" "EINVAL.*Unknown attribute type.*at 99" \
	'{"99": {"@u32": 1}}'
rejects "unknown peer attribute" "EINVAL.*Unknown attribute type.*at peers\\[0\\]\\.77" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"77\": {\"@u32\": 1}}]}"
rejects "unknown policy attribute" "EINVAL.*Unknown attribute type.*at policy\\.42" \
	'{"policy": {"42": {"@u32": 1}}}'
rejects "plane flags with an unknown bit" "EINVAL.*reserved bit set.*at flags" \
	'{"flags": 6}'
rejects "peer flags with an unknown bit" "EINVAL.*reserved bit set.*at peers\\[0\\]\\.flags" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"flags\": 8}]}"
rejects "u16 for the u32 fwmark" "EINVAL.*invalid attribute length.*at fwmark" \
	'{"fwmark": {"@u16": 1}}'
rejects "read-only public key" "EINVAL.*the public key is read-only" \
	"{\"public-key\": \"$PA\"}"
rejects "read-only rx bytes" "EINVAL.*received byte count is read-only" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"rx-bytes\": 5}]}"
rejects "read-only effective CPUs" "EINVAL.*effective CPU list is read-only" \
	'{"policy": {"effective-cpus": "0"}}'
rejects "queue length 15" "ERANGE.*integer out of range.*at policy\\.txq-len.*min=16 max=65536" \
	'{"policy": {"txq-len": 15}}'
rejects "queue length 65537" "ERANGE.*integer out of range.*at policy\\.hsq-len" \
	'{"policy": {"hsq-len": 65537}}'
rejects "rate 7999" "EINVAL.*rate below the minimum.*at policy\\.rate" \
	'{"policy": {"rate": 7999}}'
rejects "burst 1499" "EINVAL.*burst outside.*at policy\\.burst" \
	'{"policy": {"burst": 1499}}'
rejects "burst 64 MiB + 1" "EINVAL.*burst outside" \
	'{"policy": {"burst": 67108865}}'
rejects "priority 2" "ERANGE.*integer out of range.*at policy\\.priority" \
	'{"policy": {"priority": 2}}'
rejects "cpus 999" "EINVAL.*cpus names a CPU (beyond the last|that is not) possible.*at policy\\.cpus" \
	'{"policy": {"cpus": "999"}}'
rejects "cpus abc" "EINVAL.*cpus is not a CPU list.*at policy\\.cpus" \
	'{"policy": {"cpus": "abc"}}'
rejects "endpoint of the wrong length" "EINVAL.*endpoint is neither.*at peers\\[0\\]\\.endpoint" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"endpoint\": {\"@hex\": \"0200ca6cc0000201\"}}]}"
rejects "IPv6 endpoint claiming AF_INET" "EINVAL.*endpoint is neither" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"endpoint\": {\"@hex\": \"$V6_AS_V4\"}}]}"
rejects "peer without a public key" "EINVAL.*peer without a public key.*at peers\\[0\\]" \
	'{"peers": [{"persistent-keepalive-interval": 5}]}'
rejects "protocol version 2" "EPROTONOSUPPORT.*only protocol version 1" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"protocol-version\": 2}]}"
rejects "ifindex and ifname together" "EINVAL.*not both" \
	"{\"ifname\": \"$P\", \"ifindex\": 1}"
check "rejects a message without a plane" must_fail "EINVAL.*no ifindex or ifname" \
	nl set-raw "$P" '{"ifname": null, "listen-port": 1}'
check "rejects a device that is not a plane (SET)" \
	must_fail "EOPNOTSUPP|ENOTSUP.*not a wgplanes plane" nl set-raw lo '{}'
check "rejects a device that is not a plane (GET)" \
	must_fail "EOPNOTSUPP|ENOTSUP.*not a wgplanes plane" nl get lo
check "rejects the fleet as a plane" \
	must_fail "not a wgplanes plane" nl get fleet0
check "rejects a plane as a fleet" \
	must_fail "not a wgplanes fleet" nl fleet-get "$P"
check "rejects a missing device" \
	must_fail "ENODEV.*no such device" nl get nosuchdev0
check "rejects an unknown GET attribute" \
	must_fail "EINVAL.*Unknown attribute type.*at listen-port" \
	nl get "$P" --attrs '{"listen-port": 1}'

# nothing of a refused message is applied
expect "refused messages changed nothing" \
	"d['peers'] == [] and d['listen-port'] == 0 and d['policy']['txq-len'] == 128"
rejects "a message whose second peer is bad" "at peers\\[1\\]\\.allowedips\\[0\\]\\.cidr-mask" \
	"{\"listen-port\": 1, \"peers\": [{\"public-key\": \"$PA\"}, {\"public-key\": \"$PB\", \"allowedips\": [{\"family\": \"inet\", \"ipaddr\": \"10.0.0.0\", \"cidr-mask\": 40}]}]}"
rejects "a policy with one bad value" "rate below" \
	'{"policy": {"txq-len": 100, "rate": 5}}'
expect "a refused message is applied not even in part" \
	"d['peers'] == [] and d['listen-port'] == 0 and d['policy']['txq-len'] == 128"

# ------------------------------------------------------------ round trip
log "round trip"
check "set a full configuration" nl set "$P" "{
	\"private-key\": \"$PRIV\", \"listen-port\": 51821, \"fwmark\": 4660,
	\"policy\": {\"cpus\": \"0\", \"priority\": 1, \"rate\": 1000000,
		\"burst\": 15000, \"txq-len\": 512, \"encq-len\": 1024,
		\"decq-len\": 2048, \"hsq-len\": 256},
	\"peers\": [
		{\"public-key\": \"$PA\", \"preshared-key\": \"$PSK\",
		 \"endpoint\": \"192.0.2.1:51820\",
		 \"persistent-keepalive-interval\": 25,
		 \"allowedips\": [\"10.78.0.2/32\", \"fd78::2/128\"]},
		{\"public-key\": \"$PB\", \"endpoint\": \"[2001:db8::1]:51822\",
		 \"allowedips\": [\"10.78.1.0/24\", \"fd78:1::/64\"]}]}"
expect "plane keys round-trip; public key derived" \
	"d['private-key'] == '$PRIV' and d['public-key'] == '$PUB'"
expect "port and fwmark round-trip" \
	"d['listen-port'] == 51821 and d['fwmark'] == 4660"
expect "plane identity: index, name, fleet" \
	"d['plane-index'] == 1 and d['plane-name'] == 'mgmt' and d['fleet-ifindex'] == $(nsx cat /sys/class/net/fleet0/ifindex)"
expect "policy round-trips" \
	"d['policy'] == {'cpus': '0', 'priority': 1, 'rate': 1000000, 'burst': 15000, 'txq-len': 512, 'encq-len': 1024, 'decq-len': 2048, 'hsq-len': 256, 'effective-cpus': '0', 'encq-used': 0, 'decq-used': 0, 'hsq-used': 0, 'encq-bytes': 0, 'decq-bytes': 0, 'hsq-bytes': 0, 'waitq-used': 0, 'waitq-bytes': 0}"
expect "counters: all 33, zero" \
	"len(d['counters']) == 33 and not any(d['counters'].values())"
expect "peer A round-trips (psk, v4 endpoint, keepalive, IPs)" \
	"peers['$PA']['preshared-key'] == '$PSK' and peers['$PA']['endpoint'] == '192.0.2.1:51820' and peers['$PA']['persistent-keepalive-interval'] == 25 and peers['$PA']['allowedips'] == ['10.78.0.2/32', 'fd78::2/128'] and peers['$PA']['protocol-version'] == 1"
expect "peer B round-trips (v6 endpoint, prefixes, no psk)" \
	"peers['$PB']['endpoint'] == '[2001:db8::1]:51822' and peers['$PB']['allowedips'] == ['10.78.1.0/24', 'fd78:1::/64'] and peers['$PB']['preshared-key'] == '$ZERO'"
check "GET by ifindex" nl get "#$(nsx cat /sys/class/net/$P/ifindex)" \
	--expect "d['plane-name'] == 'mgmt'"
check "empty cpus means all CPUs" nl set "$P" '{"policy": {"cpus": ""}}'
expect "effective CPUs are the online ones" \
	"d['policy']['cpus'] == '' and d['policy']['effective-cpus'] == '$(cat /sys/devices/system/cpu/online)'"

# ------------------------------------------------------------ permissions
# As stock WireGuard: nothing of a plane (keys, peers, endpoints, allowed
# IPs, handshake times, counters per peer) without CAP_NET_ADMIN over the
# plane's namespace; GET_FLEET (layout, names, summed counters) is open.
log "permissions"
nobody() {
	nsx setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all python3 "$NL_PY" "$@"
}
# root of a user namespace of its own, still in the plane's namespace
userns_root() {
	nsx runuser -u nobody -- unshare -U -r python3 "$NL_PY" "$@"
}
# no_keys_in FILE: no key of the plane in what nl.py printed (base64)
no_keys_in() {
	! grep -qF -e "$PRIV" -e "$PUB" -e "$PA" -e "$PB" -e "$PSK" "$1"
}
check "SET refused without CAP_NET_ADMIN" \
	must_fail "EPERM" nobody set "$P" '{"listen-port": 1}'
check "GET refused without CAP_NET_ADMIN" \
	must_fail "EPERM" nobody get "$P"
check "GET by ifindex refused without CAP_NET_ADMIN" \
	must_fail "EPERM" nobody get "#$(nsx cat /sys/class/net/$P/ifindex)"
check "GET refused to root of a user namespace" \
	must_fail "EPERM" userns_root get "$P"
check "SET refused to root of a user namespace" \
	must_fail "EPERM" userns_root set "$P" '{"listen-port": 1}'
check "GET_FLEET open without CAP_NET_ADMIN: layout and names" \
	nobody fleet-get fleet0 --expect \
	"[p['name'] for p in d['planes']] == ['enroll', 'mgmt', 'backend', 'storage'] and len(d['counters']) == 33"
nobody fleet-get fleet0 > "$tmp/fleet.out" 2>&1 || true
nobody get "$P" > "$tmp/get.out" 2>&1 || true
check "no key in what GET_FLEET showed the unprivileged" no_keys_in "$tmp/fleet.out"
check "no key in what GET_PLANE told the unprivileged" no_keys_in "$tmp/get.out"
expect "refused SET changed nothing" "d['listen-port'] == 51821"

# ------------------------------------------------------------ semantics
log "SET_PLANE semantics"
# as stock WireGuard: one mesh file that lists every node serves each
check "the plane's own key as a peer is accepted" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PUB\", \"allowedips\": [\"10.78.99.0/24\"]}]}"
expect "and ignored: no such peer, no such allowed IP" \
	"d['public-key'] == '$PUB' and '$PUB' not in peers and all('10.78.99.0/24' not in p.get('allowedips', []) for p in peers.values())"
check "REMOVE_ME" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PB\", \"flags\": [\"remove-me\"]}]}"
expect "REMOVE_ME removed the peer and its IPs" "list(peers) == ['$PA']"
check "REPLACE_ALLOWEDIPS" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"flags\": [\"replace-allowedips\"], \"allowedips\": [\"10.78.9.0/24\"]}]}"
expect "REPLACE_ALLOWEDIPS replaced the IPs" \
	"peers['$PA']['allowedips'] == ['10.78.9.0/24']"
check "UPDATE_ONLY" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PC\", \"flags\": [\"update-only\"]}, {\"public-key\": \"$PA\", \"flags\": [\"update-only\"], \"persistent-keepalive-interval\": 7}]}"
expect "UPDATE_ONLY updated A and did not create C" \
	"list(peers) == ['$PA'] and peers['$PA']['persistent-keepalive-interval'] == 7"
check "an allowed IP moves to another peer" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PC\", \"allowedips\": [\"10.78.9.0/24\"]}]}"
expect "the moved allowed IP left the first peer" \
	"peers['$PA'].get('allowedips', []) == [] and peers['$PC']['allowedips'] == ['10.78.9.0/24']"
check "zero preshared key clears it" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"preshared-key\": \"$ZERO\"}]}"
expect "preshared key cleared" "peers['$PA']['preshared-key'] == '$ZERO'"
check "REPLACE_PEERS" nl set "$P" \
	"{\"flags\": [\"replace-peers\"], \"peers\": [{\"public-key\": \"$PB\"}]}"
expect "REPLACE_PEERS left only the new peer" "list(peers) == ['$PB']"
# removals in a request take effect at once, their peers are stopped at
# its end: a key removed and given again in the same request is a new peer
check "two peers with allowed IPs" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PB\", \"allowedips\": [\"10.78.5.0/24\"], \"persistent-keepalive-interval\": 9}, {\"public-key\": \"$PA\", \"allowedips\": [\"10.78.6.0/24\"]}]}"
check "one request: remove B, give B again, remove A" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PB\", \"flags\": [\"remove-me\"]}, {\"public-key\": \"$PB\", \"allowedips\": [\"10.78.7.0/24\"]}, {\"public-key\": \"$PA\", \"flags\": [\"remove-me\"]}]}"
expect "B is a new peer with only its new IPs, A is gone" \
	"list(peers) == ['$PB'] and peers['$PB']['allowedips'] == ['10.78.7.0/24'] and peers['$PB'].get('persistent-keepalive-interval', 0) == 0"
PRIV2=$(wg genkey)
PUB2=$(wg pubkey <<< "$PRIV2")
check "add a peer with a future own key" nl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PUB2\"}]}"
check "change the private key to it" nl set "$P" "{\"private-key\": \"$PRIV2\"}"
expect "the peer with the new own key was removed" \
	"d['public-key'] == '$PUB2' and list(peers) == ['$PB']"
check "zero private key clears it" nl set "$P" "{\"private-key\": \"$ZERO\"}"
expect "no keys after clearing" "'private-key' not in d and 'public-key' not in d"

# ------------------------------------------------------------ fleet
log "GET_FLEET"
new_ns ns2
check "a plane moves to another namespace" \
	nsx ip link set fleet0-storage netns "$ns2"
check "fleet: slots, planes, netnsid, counters" nl fleet-get fleet0 --expect "
d['ifname'] == 'fleet0' and d['plane-slots'] == 4 and
[p['name'] for p in d['planes']] == ['enroll', 'mgmt', 'backend', 'storage'] and
[p['ifname'] for p in d['planes'][:3]] == ['fleet0-enroll', 'fleet0-mgmt', 'fleet0-backend'] and
all('netnsid' not in p for p in d['planes'][:3]) and
d['planes'][3].get('netnsid', -1) >= 0 and len(d['counters']) == 33"
check "fleet dump lists the fleet" nl fleet-get \
	--expect "[f['ifname'] for f in d] == ['fleet0']"

# ------------------------------------------------------------ scale
log "scale"
B=fleet0-backend
start=$SECONDS
check "10,000 peers with 100,000 allowed IPs set in several messages" \
	nl bulk-peers "$B" 10000 --aips 10 --replace
check "10,000 peers and 100,000 allowed IPs dumped back complete" \
	nl bulk-verify "$B" 10000 --aips 10
log "10,000 peers set and dumped in $((SECONDS - start)) s"
check "one peer with 5,000 allowed IPs (continued across messages)" \
	nl bulk-peers fleet0-enroll 1 --aips 5000 --seed big
check "its allowed IPs came back over several messages" \
	nl bulk-verify fleet0-enroll 1 --aips 5000 --seed big --expect \
	"d['missing'] == 0 and d['wrong-allowedips'] == 0 and d['allowedips'] == 5000 and d['dump']['continued'] >= 2"
K0=$(nl bulk-key wgp 0)
race=$(nl dump-race "$B" \
	"{\"peers\": [{\"public-key\": \"$K0\", \"flags\": [\"remove-me\"]}]}") ||
	fail "dump-race: $race"
log "dump interleaved with a change: $race"
check "a dump interleaved with a change is flagged or consistent" \
	grep -Eq '"intr": true|"consistent": true' <<< "$race"
check "REPLACE_PEERS removes 10,000 peers" \
	nl set "$B" '{"flags": ["replace-peers"]}'
check "no peers left" nl get "$B" --summary \
	--expect "d['peers'] == 0 and d['allowedips'] == 0"

# ------------------------------------------------------------ stalled dump
# A dump holds no device between its messages: a reader that stops reading
# must not keep "ip link del" (or namespace cleanup) waiting for the device.
log "a stalled dump reader"
NLFUZZ=$SELFTESTS_DIR/progs/nlfuzz
[ -x "$NLFUZZ" ] || fail "$NLFUZZ is not built (make -C selftests)"
nsx ip link add stall0 type wgplanes
check "300 peers on a plane" nl bulk-peers stall0-mgmt 300 --aips 4 --seed stall
# start_stall PLANE: a reader that reads the dump's first message, no more
# (not in a command substitution: that would wait for the reader)
start_stall() {
	: > "$tmp/stall.out"
	ip netns exec "$ns" "$NLFUZZ" stall "$1" > "$tmp/stall.out" 2>&1 &
	reader=$!
	at_exit "kill $reader"
}
start_stall stall0-mgmt
check "a dump of 300 peers stalls after its first message" \
	wait_until 60 grep -q stalled "$tmp/stall.out"
# (a zombie still answers kill -0: the deleter leaves a file when done)
{ r=0; ip -n "$ns" link del stall0 || r=$?; echo $r > "$tmp/del.rc"; } \
	> /dev/null 2>&1 &
deleter=$!
check "ip link del of the fleet completes while the dump stalls" \
	wait_until 60 test -s "$tmp/del.rc"
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
wait "$deleter" || true
check "the fleet is gone" sh -c "! ip -n $ns link show stall0"

# The netlink core holds the module (not the device) for any dump in
# progress, so that its callbacks stay loaded: rmmod says "in use" at once
# and succeeds as soon as the reader goes; it never waits for the reader.
if [ -n "${WGPLANES_KO:-}" ] && [ -r "$WGPLANES_KO" ]; then
	nsx ip link add stall1 type wgplanes
	nl bulk-peers stall1-mgmt 300 --aips 4 --seed stall >/dev/null
	start_stall stall1-mgmt
	check "a second dump stalls" \
		wait_until 60 grep -q stalled "$tmp/stall.out"
	{ r=0; rmmod wgplanes || r=$?; echo $r > "$tmp/rmmod.rc"; } \
		> "$tmp/rmmod.out" 2>&1 < /dev/null &
	unloader=$!
	check "rmmod returns while a dump stalls" \
		wait_until 60 test -s "$tmp/rmmod.rc"
	wait "$unloader" || true
	if [ "$(cat "$tmp/rmmod.rc")" = 0 ]; then
		log "rmmod unloaded the module with a dump pending"
	else
		check_output "rmmod refused: the dump holds the module" \
			"in use" cat "$tmp/rmmod.out"
	fi
	kill "$reader" 2>/dev/null || true
	wait "$reader" 2>/dev/null || true
	if [ -d /sys/module/wgplanes ]; then
		check "rmmod unloads once the reader is gone" \
			timeout 120 rmmod wgplanes
	fi
	# shellcheck disable=SC2086
	check "module loads again" insmod "$WGPLANES_KO" ${VM_PARAMS:-}
fi

test_end
