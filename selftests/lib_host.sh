#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers of the tests that make check runs on the host (TEST_PROGS_HOST):
# no module, no VM. Source it after setting WGPLANES:
#
#	. "$(dirname "$0")/lib_host.sh"
#
# It prints the KTAP header, skips (exit 4) when the tool is not built,
# and gives a scratch directory $tmp, removed on exit. host_end reports
# and exits 0 or 1.

failures=0
checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
echo "# $(basename "$0" .sh): $WGPLANES"
if [ ! -x "$WGPLANES" ]; then
	echo "# SKIP: $WGPLANES not built (make -C tools/wgplanes)"
	exit 4
fi

ok() { checks=$((checks + 1)); echo "# ok: $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "# FAIL: $*"; }
# expect DESC COND-COMMAND...
expect() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else fail "$desc"; fi
}

host_end() {
	echo "# $checks checks, $failures failed"
	[ "$failures" = 0 ] || exit 1
	exit 0
}
