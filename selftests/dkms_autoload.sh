#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run with the module installed by DKMS and not loaded (make check does
# this: tools/vm/run --no-load): "ip link add ... type wgplanes" loads the
# DKMS-installed module on demand, and a plain "modprobe wgplanes" works.
. "$(dirname "$0")/lib.sh"

require_root
[ ! -d /sys/module/wgplanes ] || skip "the module is already loaded"
path=$(modinfo -n wgplanes 2>/dev/null) || true
[ -n "$path" ] || skip "wgplanes is not installed for $(uname -r)"

check_output "the installed module is DKMS's" '/updates/dkms/wgplanes\.ko' \
	echo "$path"
new_ns ns
check "ip link add type wgplanes autoloads the module" \
	ip -n "$ns" link add fleet0 type wgplanes
check "the module is loaded" test -d /sys/module/wgplanes
check_output "four planes" '^4$' sh -c \
	"ip -n $ns -o link show type wgplane | wc -l"
check "ip link del" ip -n "$ns" link del fleet0
check "rmmod" rmmod wgplanes
check "plain modprobe wgplanes" modprobe wgplanes
check "rmmod again" rmmod wgplanes

test_end
