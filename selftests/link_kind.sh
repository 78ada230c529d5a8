#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The link kind "wgplanes" is registered: plain "ip link add NAME type
# wgplanes" makes a fleet and its four planes, and deleting it removes them.
. "$(dirname "$0")/lib.sh"

require_root
require_module
new_ns ns

check "ip link add fleet0 type wgplanes" ip -n "$ns" link add fleet0 type wgplanes
check_output "fleet has kind wgplanes" 'wgplanes' ip -n "$ns" -d link show fleet0
for p in enroll mgmt backend storage; do
	check_output "plane fleet0-$p exists, linked to its fleet" \
		"fleet0-$p@fleet0:" ip -n "$ns" link show "fleet0-$p"
	check_output "fleet0-$p has kind wgplane" 'wgplane ' \
		ip -n "$ns" -d link show "fleet0-$p"
done
check_output "four planes" '^4$' sh -c \
	"ip -n '$ns' -o link show type wgplane | wc -l"
check_fail "a plane cannot be created on its own" \
	ip -n "$ns" link add p type wgplane
check_output "with an error that says how" 'created with their fleet' \
	ip -n "$ns" link add p type wgplane
# like a WireGuard device: up without an IPv6 link-local address
check "fleet0-mgmt up" ip -n "$ns" link set fleet0-mgmt up
check_output "fleet0-mgmt has addrgenmode none" 'addrgenmode none' \
	ip -n "$ns" -d link show fleet0-mgmt
check_output "fleet0-mgmt has no IPv6 link-local address" '^0$' sh -c \
	"ip -n $ns -6 addr show dev fleet0-mgmt | grep -c fe80 || true"
check "ip link del fleet0" ip -n "$ns" link del fleet0
check_output "no plane left" '^0$' sh -c \
	"ip -n '$ns' -o link show type wgplane | wc -l"

test_end
