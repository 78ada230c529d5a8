#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzing: at least 100,000 random and boundary messages
# (selftests/progs/nlfuzz.c) to the "wgplanes" generic netlink family
# (GET_PLANE dump, SET_PLANE, GET_FLEET do and dump) and to RTM_NEWLINK of
# kind "wgplanes" with IFLA_INFO_DATA, sent as root, as an unprivileged
# user and as root of an unprivileged user namespace. Asserts:
#  * every rejection carries an extack message, except the classes the
#    netlink core refuses before the module runs (nlfuzz prints them);
#  * nobody without CAP_NET_ADMIN over the namespace gets a plane's keys:
#    no private key, preshared key or public key in any reply byte;
#  * no kernel report, no leak (test_end), and the planes keep their state.
#
# NLFUZZ_SEED replays a run (each part uses SEED + its number);
# NLFUZZ_COUNT is the total (default 100000; 20000 on the debug kernel,
# which is ten times slower).

. "$(dirname "$0")/lib.sh"

require_root
require_module
require_cmd python3 wg runuser unshare od

NLFUZZ=$SELFTESTS_DIR/progs/nlfuzz
NL_PY=$SELFTESTS_DIR/nl.py
[ -x "$NLFUZZ" ] || skip "$NLFUZZ is not built (make -C selftests)"

if on_debug_kernel; then
	total=${NLFUZZ_COUNT:-20000}
else
	total=${NLFUZZ_COUNT:-100000}
fi
seed=${NLFUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
log "seed $seed (NLFUZZ_SEED=$seed replays this run), $total messages"

new_ns ns
nsx() { ip netns exec "$ns" "$@"; }
nl() { nsx python3 "$NL_PY" "$@"; }

# The reference plane: keys, peers with preshared keys and endpoints.
key32() { head -c 32 /dev/urandom | base64; }
PRIV=$(wg genkey)
PUB=$(wg pubkey <<< "$PRIV")
PA=$(key32)
PB=$(key32)
PSKA=$(wg genpsk)
PSKB=$(wg genpsk)
nsx ip link add ref0 type wgplanes
nsx ip link add tgt0 type wgplanes
check "configure the reference plane" nl set ref0-mgmt "{
	\"private-key\": \"$PRIV\", \"listen-port\": 51821,
	\"peers\": [
		{\"public-key\": \"$PA\", \"preshared-key\": \"$PSKA\",
		 \"endpoint\": \"192.0.2.1:51820\",
		 \"allowedips\": [\"10.78.0.2/32\"]},
		{\"public-key\": \"$PB\", \"preshared-key\": \"$PSKB\",
		 \"endpoint\": \"[2001:db8::1]:51822\",
		 \"allowedips\": [\"10.78.1.0/24\"]}]}"
ref_intact() {
	nl get ref0-mgmt --expect "d['private-key'] == '$PRIV' and
	d['public-key'] == '$PUB' and d['listen-port'] == 51821 and
	sorted(peers) == sorted(['$PA', '$PB']) and
	peers['$PA']['preshared-key'] == '$PSKA' and
	peers['$PB']['preshared-key'] == '$PSKB' and
	peers['$PA']['allowedips'] == ['10.78.0.2/32']"
}
check "root reads the reference plane" ref_intact

secrets=()
for k in "$PRIV" "$PUB" "$PA" "$PB" "$PSKA" "$PSKB"; do
	secrets+=(--secret "$(base64 -d <<< "$k" | od -An -v -tx1 | tr -d ' \n')")
done
aim=(--plane ref0-mgmt --plane ref0-enroll --plane tgt0-mgmt)

# run_part NAME NUMBER COUNT COMMAND...: one fuzzing run, timed
run_part() {
	local name=$1 n=$2 count=$3 t0=$SECONDS out rc=0
	shift 3
	out=$("$@" --seed $((seed + n)) --count "$count" 2>&1) || rc=$?
	sed 's/^\([^#]\)/# \1/' <<< "$out" | head -n 40
	_checks=$((_checks + 1))
	if [ "$rc" -eq 0 ]; then
		echo "# ok: $name: $count messages in $((SECONDS - t0)) s"
	else
		fail "$name: $count messages (exit $rc)"
	fi
}

t_all=$SECONDS
root=$((total * 40 / 100))
user=$((total * 20 / 100))
uns_here=$((total * 15 / 100))
uns_own=$((total - root - user - uns_here))

# root fuzzes planes of its own fleet only, so that the reference stays
run_part "root" 1 "$root" nsx "$NLFUZZ" fuzz \
	--plane tgt0-enroll --plane tgt0-mgmt --plane tgt0-backend --prefix fz
# nobody: every GET_PLANE, SET_PLANE and RTM_NEWLINK refused, no key leaks
run_part "unprivileged user" 2 "$user" nsx runuser -u nobody -- \
	"$NLFUZZ" fuzz --no-admin "${aim[@]}" "${secrets[@]}"
# root of a user namespace in the reference's network namespace: the same
run_part "user namespace root, host netns" 3 "$uns_here" nsx \
	runuser -u nobody -- unshare -U -r \
	"$NLFUZZ" fuzz --no-admin "${aim[@]}" "${secrets[@]}"
# root of a user namespace with a network namespace and a fleet of its own:
# admin there, and still no key of the reference in any reply. The fuzzer's
# fleets are named uf<N>: with uz<N>, its first RTM_NEWLINK could ask for
# uz0, which exists, and the core's EEXIST carries no extack message.
run_part "user namespace root, own netns and fleet" 4 "$uns_own" nsx \
	runuser -u nobody -- unshare -U -r -n sh -c '
	ip link set lo up && ip link add uz0 type wgplanes &&
	exec "$0" "$@"' "$NLFUZZ" fuzz --plane uz0-enroll --plane uz0-mgmt \
	--prefix uf "${secrets[@]}"
log "$total messages in $((SECONDS - t_all)) s on $(uname -r)"

check "the reference plane kept its state" ref_intact
check "a fuzzed plane still takes a configuration" nl set tgt0-storage \
	"{\"private-key\": \"$(wg genkey)\", \"flags\": [\"replace-peers\"],
	  \"peers\": [{\"public-key\": \"$PA\",
		       \"allowedips\": [\"10.80.0.2/32\"]}]}"
check "and shows it" nl get tgt0-storage --expect \
	"list(peers) == ['$PA'] and peers['$PA']['allowedips'] == ['10.80.0.2/32']"
check "every fleet the fuzzer made is gone" sh -c \
	"! ip -n $ns -o link show | grep -E ': (fz|uz)[0-9]'"

test_end
