#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads with its self-tests, and loads and unloads 25 times,
# sometimes with fleets present, leaving a clean kernel log.
. "$(dirname "$0")/lib.sh"

require_root
[ -r "$WGPLANES_KO" ] || skip "no module file (WGPLANES_KO)"

loaded() { [ -d /sys/module/wgplanes ]; }
unload() { ! loaded || rmmod wgplanes; }

check "unload the module loaded by the harness" unload
check "load with selftest=1" insmod "$WGPLANES_KO" selftest=1
check_output "allowed-IPs self-test passed" 'allowedips self-test: [0-9]+ checks passed' dmesg
check "unload" rmmod wgplanes

cycle() {
	local i
	for i in $(seq 1 25); do
		insmod "$WGPLANES_KO" || { echo "load $i failed"; return 1; }
		if [ $((i % 10)) -eq 0 ]; then
			# unloading must also remove fleets, here and in netns
			ip link add "lf$i" type wgplanes || return 1
			ip netns add "wgp-ml-$i"
			ip -n "wgp-ml-$i" link add f type wgplanes || return 1
		fi
		rmmod wgplanes || { echo "unload $i failed"; return 1; }
		if [ $((i % 10)) -eq 0 ]; then
			ip link show "lf$i" >/dev/null 2>&1 &&
				{ echo "fleet lf$i survived unload"; return 1; }
			[ -z "$(ip -n "wgp-ml-$i" -o link show type wgplane)" ] ||
				{ echo "planes survived unload"; return 1; }
			ip netns del "wgp-ml-$i"
		fi
	done
}
check "25 load/unload cycles, fleets removed on unload" cycle
check "load again for the tests that follow" insmod "$WGPLANES_KO"
check "autoload alias for the link kind" \
	sh -c "modinfo -F alias '$WGPLANES_KO' | grep -qx 'rtnl-link-wgplanes'"
check "autoload alias for the genl family" \
	sh -c "modinfo -F alias '$WGPLANES_KO' | grep -qx 'net-pf-16-proto-16-family-wgplanes'"

test_end
