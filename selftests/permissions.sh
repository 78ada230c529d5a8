#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What root of a container may change on a plane it was handed, and what
# root of an unprivileged user namespace may do with a fleet of its own
# (Documentation/admin-guide.md, "Permissions"):
#
# * a plane moved into a network namespace of an unprivileged user
#   namespace ("the container"): its root may set keys and peers (the
#   documented use) but not the listen port or the fwmark (the sockets live
#   in the fleet's birth namespace on the host, as stock WireGuard) nor the
#   policy (the host's CPUs, priority, rate and queue memory); each refusal
#   is EPERM with a message that says why, and changes nothing. Host root
#   may still set everything.
# * a fleet created inside an unprivileged user namespace: its root owns
#   the birth namespace, so sets its ports and fwmarks, but runs with the
#   default policy and cannot raise the priority or choose CPUs.
# * once the birth namespace is gone, nobody changes the port or fwmark
#   (as stock WireGuard).

. "$(dirname "$0")/lib.sh"

require_root
require_module
require_cmd python3 ip wg setpriv unshare nsenter

NL_PY="$SELFTESTS_DIR/nl.py"
new_ns ns

# must_fail PATTERN COMMAND...: COMMAND fails and says PATTERN (extended
# regex) in its output: the errno name and the extack message.
must_fail() {
	local pat=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "succeeded: $out"
		return 1
	fi
	if ! grep -Eq -- "$pat" <<<"$out"; then
		echo "no match for '$pat': $out"
		return 1
	fi
}

# sleeper VAR: a process of nobody in a new user and network namespace,
# whose root is unprivileged on the host; its pid in VAR.
sleeper() {
	local pid
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare -U -r -n sleep 100000 &
	pid=$!
	at_exit "kill $pid"
	# setpriv execs unshare, which execs sleep once the namespaces exist
	wait_until 10 sh -c "[ \"\$(readlink /proc/$pid/ns/user)\" != \"\$(readlink /proc/self/ns/user)\" ] && grep -q sleep /proc/$pid/comm" ||
		return 1
	printf -v "$1" '%s' "$pid"
}

tmp=$(mktemp -d)
at_exit rm -rf "$tmp"

# serve NAME COMMAND...: one "nl.py serve" process, started by COMMAND (an
# nsenter into the caller's namespaces), answers every call of NAME: an
# interpreter start costs seconds under an emulated CPU. Requests go
# through a FIFO as NUL-ended arguments; a reply ends with "\x01rc=N".
serve() {
	local name=$1 w r
	shift
	mkfifo "$tmp/$name.req" "$tmp/$name.resp"
	"$@" python3 "$NL_PY" serve < "$tmp/$name.req" > "$tmp/$name.resp" &
	exec {w}> "$tmp/$name.req" {r}< "$tmp/$name.resp"
	at_exit "exec $w>&- $r<&-"
	eval "$name() { call $w $r \"\$@\"; }"
}
call() {
	local w=$1 r=$2 line rc=1
	shift 2
	printf '%d\0' $# >&"$w"
	printf '%s\0' "$@" >&"$w"
	while IFS= read -r line <&"$r"; do
		case $line in
		$'\x01'rc=*) rc=${line#*=}; break ;;
		esac
		printf '%s\n' "$line"
	done
	return "$rc"
}

sleeper CPID
sleeper UPID
# root of the container (its user namespace), and host root in its netns
serve cnl nsenter -t "$CPID" -U -n
serve hnl nsenter -t "$CPID" -n
# root of the other unprivileged user namespace
serve unl nsenter -t "$UPID" -U -n
# host root in the fleets' namespace
serve rnl ip netns exec "$ns"

PRIV=$(wg genkey)
PUB=$(wg pubkey <<< "$PRIV")
PA=$(wg genkey | wg pubkey)
PORT_MSG="EPERM.*listen port and fwmark belong to the sockets in the fleet's birth namespace"
POLICY_MSG="EPERM.*policy is the host's resource control"

# ------------------------------------------------------ a handed plane
log "a plane handed to a container"
ip -n "$ns" link add fleet0 type wgplanes
P=fleet0-mgmt
check "host root sets port, fwmark and policy before handing" \
	rnl set "$P" \
	'{"listen-port": 51821, "fwmark": 7, "policy": {"rate": 100000000}}'
check "the plane moves into the container's namespace" \
	ip -n "$ns" link set "$P" netns "/proc/$CPID/ns/net"
check "container root reads its plane" cnl get "$P" \
	--expect "d['listen-port'] == 51821"

check "container root: listen port refused" \
	must_fail "$PORT_MSG.*at listen-port" cnl set "$P" '{"listen-port": 4001}'
check "container root: the same listen port refused too (as stock)" \
	must_fail "$PORT_MSG" cnl set "$P" '{"listen-port": 51821}'
check "container root: fwmark refused" \
	must_fail "$PORT_MSG.*at fwmark" cnl set "$P" '{"fwmark": 8}'
for pol in '"cpus": "0"' '"priority": 1' '"rate": 0' '"burst": 65536' \
	'"txq-len": 256' '"encq-len": 256' '"decq-len": 256' '"hsq-len": 256'; do
	check "container root: policy {$pol} refused" \
		must_fail "$POLICY_MSG.*at policy\\." cnl set "$P" "{\"policy\": {$pol}}"
done
check "container root: a refused request changes nothing, peers included" \
	must_fail "$POLICY_MSG" cnl set "$P" \
	"{\"private-key\": \"$PRIV\", \"peers\": [{\"public-key\": \"$PA\"}], \"policy\": {\"priority\": 1}}"
check "port, fwmark, policy and keys unchanged" cnl get "$P" --expect \
	"d['listen-port'] == 51821 and d['fwmark'] == 7 and d['policy']['rate'] == 100000000 and d['policy']['priority'] == 0 and d['policy']['cpus'] == '' and 'private-key' not in d and not peers"

check "container root sets the private key and peers" cnl set "$P" \
	"{\"private-key\": \"$PRIV\", \"peers\": [{\"public-key\": \"$PA\", \"endpoint\": \"192.0.2.1:51820\", \"allowedips\": [\"10.9.0.0/24\"]}]}"
check "container root sees them" cnl get "$P" --expect \
	"d['public-key'] == '$PUB' and peers['$PA']['allowedips'] == ['10.9.0.0/24']"
check "container root removes a peer" cnl set "$P" \
	"{\"peers\": [{\"public-key\": \"$PA\", \"flags\": [\"remove-me\"]}]}"

check "host root still sets port, fwmark and policy" hnl set "$P" \
	'{"listen-port": 4002, "fwmark": 9, "policy": {"priority": 1, "cpus": "0", "rate": 0}}'
check "host root's settings took" hnl get "$P" --expect \
	"d['listen-port'] == 4002 and d['fwmark'] == 9 and d['policy']['priority'] == 1 and d['policy']['cpus'] == '0' and d['policy']['rate'] == 0"
check "the plane moves back to the host" \
	nsenter -t "$CPID" -n ip link set "$P" netns "$ns"

# ------------------------------------------------ a fleet of its own
log "a fleet created in an unprivileged user namespace"
check "root of an unprivileged user namespace creates a fleet" \
	nsenter -t "$UPID" -U -n ip link add f1 type wgplanes
check "it sets the port and fwmark of its own sockets" unl set f1-mgmt \
	'{"listen-port": 4100, "fwmark": 3}'
check "it runs with the default policy" unl get f1-mgmt --expect \
	"d['listen-port'] == 4100 and d['fwmark'] == 3 and d['policy']['priority'] == 0 and d['policy']['cpus'] == '' and d['policy']['rate'] == 0"
check "it cannot raise the priority" \
	must_fail "$POLICY_MSG" unl set f1-mgmt '{"policy": {"priority": 1}}'
check "it cannot choose CPUs" \
	must_fail "$POLICY_MSG" unl set f1-mgmt '{"policy": {"cpus": "0"}}'
check "it cannot resize the queues" \
	must_fail "$POLICY_MSG" unl set f1-mgmt '{"policy": {"decq-len": 4096}}'
check "policy still the default" unl get f1-mgmt --expect \
	"d['policy']['priority'] == 0 and d['policy']['cpus'] == ''"
check "it sets keys and peers" unl set f1-mgmt \
	"{\"private-key\": \"$PRIV\", \"peers\": [{\"public-key\": \"$PA\"}]}"

# ------------------------------------------------ the birth namespace gone
log "the birth namespace gone"
new_ns birth
ip -n "$birth" link add f2 type wgplanes
check "fleet and plane leave their birth namespace" sh -c \
	"ip -n $birth link set f2-mgmt netns $ns && ip -n $birth link set f2 netns $ns"
ip netns del "$birth"
# until the namespace's cleanup has run, the port still changes
gone() {
	local out
	out=$(rnl set f2-mgmt '{"listen-port": 4200}' 2>&1) || true
	grep -q "birth namespace, where the sockets lived, is gone" <<<"$out"
}
check "host root: listen port refused with the birth namespace gone" \
	wait_until 30 gone
check "host root: fwmark refused with the birth namespace gone" \
	must_fail "EPERM.*is gone.*at fwmark" rnl set f2-mgmt '{"fwmark": 1}'
check "host root: peers still set" rnl \
	set f2-mgmt "{\"peers\": [{\"public-key\": \"$PA\"}]}"

test_end
