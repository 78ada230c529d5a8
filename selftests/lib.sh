#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the wgplanes selftests. Source it first thing:
#
#	. "$(dirname "$0")/lib.sh"
#
# A test is an executable script; it reports its checks as KTAP comment
# lines and ends with test_end, which exits with the kselftest codes:
# 0 pass, 1 fail, 4 skip. Network namespaces made with new_ns get unique
# names and are deleted on exit; every test also fails when the kernel log
# gained an oops, a warning or another report while it ran.

set -e
set -o pipefail

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

SELFTESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WGPLANES_TOP=${WGPLANES_TOP:-$(cd "$SELFTESTS_DIR/.." && pwd)}
WGPLANES=${WGPLANES:-$WGPLANES_TOP/tools/wgplanes/wgplanes}
KVER=${KVER:-$(uname -r)}
TEST_NAME=$(basename "$0" .sh)

_failures=0
_checks=0
_namespaces=()
_cleanups=()
_kmsg_start=$(dmesg 2>/dev/null | wc -l)

log() { echo "# $*"; }

# check DESCRIPTION COMMAND...: run COMMAND, record and report the result.
check() {
	local desc=$1 out
	shift
	_checks=$((_checks + 1))
	if out=$("$@" 2>&1); then
		echo "# ok: $desc"
	else
		echo "# FAIL: $desc"
		[ -z "$out" ] || sed -n '1,20s/^/#   /p' <<<"$out"
		_failures=$((_failures + 1))
	fi
}

# check_fail DESCRIPTION COMMAND...: COMMAND must fail.
check_fail() {
	local desc=$1 out
	shift
	_checks=$((_checks + 1))
	if out=$("$@" 2>&1); then
		echo "# FAIL: $desc (succeeded)"
		[ -z "$out" ] || sed -n '1,20s/^/#   /p' <<<"$out"
		_failures=$((_failures + 1))
	else
		echo "# ok: $desc"
	fi
}

# check_output DESCRIPTION PATTERN COMMAND...: COMMAND succeeds and its
# output (stdout and stderr) matches the extended regex PATTERN.
check_output() {
	local desc=$1 pat=$2 out
	shift 2
	_checks=$((_checks + 1))
	out=$("$@" 2>&1) || true
	# a here-string, not a pipe: grep -q may stop reading early, and a
	# writer killed by SIGPIPE would fail the check under pipefail
	if grep -Eq -- "$pat" <<<"$out"; then
		echo "# ok: $desc"
	else
		echo "# FAIL: $desc (no match for '$pat')"
		sed -n '1,20s/^/#   /p' <<<"$out"
		_failures=$((_failures + 1))
	fi
}

fail() {
	echo "# FAIL: $*"
	_failures=$((_failures + 1))
}

skip() {
	echo "# SKIP: $*"
	_run_cleanups
	exit $KSFT_SKIP
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "'$c' is not installed"
	done
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# require_module: the wgplanes module is loaded (the VM harness loads it).
require_module() {
	[ -d /sys/module/wgplanes ] || skip "the wgplanes module is not loaded"
}

# on_debug_kernel: the running kernel is the debug kernel of
# tools/debug-kernel/build (KASAN, lockdep, kmemleak; about 10x slower).
on_debug_kernel() {
	case "$(uname -r)" in
	*-wgpdebug) return 0 ;;
	esac
	return 1
}

# timing_check DESCRIPTION COMMAND...: a check of a rate or a duration. The
# debug kernel cannot reach the rates the tests set, so there it is skipped
# with the reason printed (and not counted as passed).
timing_check() {
	if on_debug_kernel; then
		echo "# SKIP: $1 (a timing check; the debug kernel is ~10x slower)"
		return 0
	fi
	check "$@"
}

# cpu_hog_on CPU [SECONDS [IDLE_US]]: CPU held by a real-time busy loop
# that leaves it to other tasks for IDLE_US (100) every 30 ms
# (selftests/progs/cpuhog.c), for SECONDS at most (120), with
# real-time throttling off meanwhile (it would leave them 50 ms a second):
# a kernel worker on CPU crawls at a steady pace. A plain real-time loop
# would starve the worker until it ends, a nice -20 one lets it run its
# fill each time it wakes. cpu_hog_off ends it. The caller keeps itself off
# CPU (taskset -pc).
_rt=/proc/sys/kernel/sched_rt_runtime_us
_rt_saved=$(cat $_rt 2>/dev/null || true)
_hog=
cpu_hog_on() {
	local hog=$SELFTESTS_DIR/progs/cpuhog
	[ -x "$hog" ] || fail "selftests/progs/cpuhog is not built"
	echo -1 > $_rt
	taskset -c "$1" "$hog" 30000 "${3:-100}" "${2:-120}" &
	_hog=$!
	sleep 0.2
	kill -0 $_hog || fail "cpuhog did not start"
}
cpu_hog_off() {
	# it may have ended by itself (SECONDS)
	[ -z "$_hog" ] || { kill $_hog 2>/dev/null || true
			    wait $_hog 2>/dev/null || true; }
	_hog=
	echo "$_rt_saved" > $_rt
}

# new_ns VAR: create a namespace with a unique name, store it in VAR.
new_ns() {
	local name="wgp-$TEST_NAME-$$-${#_namespaces[@]}"
	ip netns add "$name"
	ip -n "$name" link set lo up
	_namespaces+=("$name")
	printf -v "$1" '%s' "$name"
}

# at_exit COMMAND...: run COMMAND (as one string) when the test ends.
at_exit() {
	_cleanups+=("$*")
}

_run_cleanups() {
	local i ns pids
	# a hog started in a subshell too
	pkill -x cpuhog 2>/dev/null || true
	[ -z "$_rt_saved" ] || echo "$_rt_saved" > $_rt 2>/dev/null || true
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	_cleanups=()
	for ns in "${_namespaces[@]}"; do
		# a process left in the namespace (a loop in the background)
		# would keep it, and every fleet in it, alive after the test
		pids=$(ip netns pids "$ns" 2>/dev/null) || true
		if [ -n "$pids" ]; then
			# named: a test should have stopped what it started
			ps -o pid=,args= -p "$(echo $pids | tr ' ' ,)" \
				2>/dev/null |
				sed "s/^ */# killed, left in $ns: /" || true
			kill -9 $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	_namespaces=()
}
trap _run_cleanups EXIT

# wait_until TIMEOUT_S COMMAND...: poll COMMAND until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# kmsg_clean: the kernel log gained no report since the test started.
kmsg_clean() {
	dmesg | tail -n +"$((_kmsg_start + 1))" |
		"$WGPLANES_TOP/tools/vm/check-kmsg"
}

# kmemleak_clean: on a kernel with kmemleak (the debug kernel), nothing
# is unreferenced. kmemleak ignores objects younger than 5 s, so wait
# that long after the test's last object went away, and scan twice (an
# object whose contents changed since the last scan is not reported yet).
# Reports are cleared, so that the next test starts clean.
kmemleak_clean() {
	local f=/sys/kernel/debug/kmemleak out
	[ -w "$f" ] || return 0
	sleep 5
	echo scan > "$f"
	echo scan > "$f"
	out=$(cat "$f")
	echo clear > "$f"
	[ -z "$out" ] && return 0
	echo "$out" | head -n 60
	return 1
}

# objects_freed: the module's own count of planes, peers and keypairs
# created and not yet destroyed (debugfs wgplanes/objects) is zero; true
# when the module or debugfs is not there.
WGP_OBJECTS=/sys/kernel/debug/wgplanes/objects
objects_freed() {
	[ -r "$WGP_OBJECTS" ] || return 0
	awk '{ s += ($2 < 0 ? -$2 : $2) } END { exit s != 0 }' "$WGP_OBJECTS"
}
# objects_drained: every object of the test is destroyed within 120 s
# (the namespaces' cleanup is a kernel worker), or what is left is named.
objects_drained() {
	wait_until 120 objects_freed && return 0
	tr '\n' ' ' < "$WGP_OBJECTS"
	return 1
}

test_end() {
	_run_cleanups
	# namespaces are torn down asynchronously: let that settle, so a
	# report from teardown is caught by this test.
	sleep 0.2
	[ -d /sys/kernel/debug/wgplanes ] ||
		mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
	check "every plane, peer and keypair freed" objects_drained
	check "no kernel memory leak (kmemleak)" kmemleak_clean
	check "kernel log clean" kmsg_clean
	if [ "$_failures" -ne 0 ]; then
		echo "# $TEST_NAME: $_failures of $_checks checks failed"
		exit $KSFT_FAIL
	fi
	echo "# $TEST_NAME: $_checks checks passed"
	exit $KSFT_PASS
}
