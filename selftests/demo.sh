#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of "make demo": a narrated tour, not a test.
set -e
cd "$(dirname "$0")/.."
WGPLANES=${WGPLANES:-tools/wgplanes/wgplanes}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run uname -r
run sh -c 'lsmod | grep -E "^(wgplanes|Module)"'
run ip link add fleet0 type wgplanes
run ip -br link
run ip -d link show fleet0-mgmt
if [ -x "$WGPLANES" ] && "$WGPLANES" fleet show fleet0 >/dev/null 2>&1; then
	run "$WGPLANES" genkey > /tmp/mgmt.key
	run "$WGPLANES" set fleet0-mgmt private-key /tmp/mgmt.key listen-port 51821 \
		priority high cpus 0
	run "$WGPLANES" set fleet0-backend rate 200mbit burst 256k
	run "$WGPLANES" fleet show fleet0
	run "$WGPLANES" show
fi
run ip link del fleet0
run ip -br link
