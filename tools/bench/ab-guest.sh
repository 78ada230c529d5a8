#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of tools/bench/ab: namespaces A and B on one veth, stock
# WireGuard in both (10.90.0.0/24) and a stock peer in B for a plane in A
# (10.91.0.0/24), as in guest.sh's tput. Each round loads every module of
# AB_MODULES in turn, runs one iperf3 TCP stream A -> B (B -> A with
# AB_REVERSE=1) through stock WireGuard and then through the plane, and
# unloads it. One line per run:
#
#   AB round R MODULE stock MBIT plane MBIT ratio X acks/Mbit S P ctxt/Mbit S P
#
# acks: TCP segments the receiving namespace sent per Mbit it received
# (its ACKs); ctxt: the VM's context switches per Mbit. Environment:
# AB_MODULES (NAME=PATH of a wgplanes.ko, space-separated), AB_ROUNDS (3),
# AB_SECONDS (10), AB_REVERSE (0).

TEST_NAME=ab
. "$(dirname "$0")/../../selftests/lib.sh"
. "$(dirname "$0")/../../selftests/lib_wg.sh"

ROUNDS=${AB_ROUNDS:-3}
T=${AB_SECONDS:-10}
DIR=()
[ "${AB_REVERSE:-0}" != 1 ] || DIR=(-R)

require_root
require_cmd ip wg iperf3 jq
modprobe wireguard
! [ -d /sys/module/wgplanes ] || rmmod wgplanes

new_ns a
new_ns b
rx=$b
[ "${AB_REVERSE:-0}" != 1 ] || rx=$a
veth_link "$a" veth0 192.168.10.1/24 "$b" veth0 192.168.10.2/24
stock_create "$a" wg-s
stock_create "$b" wg-s
wg_iface stock "$a" wg-s ab-s-a 51830 10.90.0.1/24
wg_iface stock "$b" wg-s ab-s-b 51830 10.90.0.2/24
wg_peer stock "$a" wg-s ab-s-b 10.90.0.2/32 192.168.10.2:51830
wg_peer stock "$b" wg-s ab-s-a 10.90.0.1/32 192.168.10.1:51830
stock_create "$b" wg-p
wg_iface stock "$b" wg-p ab-p-b 51831 10.91.0.2/24
wg_peer stock "$b" wg-p ab-p-a 10.91.0.1/32 192.168.10.1:51831
ip netns exec "$b" iperf3 -s -D -p 5201
at_exit "pkill -x iperf3"
pings "$a" 10.90.0.2

plane_up() {
	insmod "$1" || return 1
	dut_create "$a" fleet0 backend &&
	wg_iface dut "$a" fleet0-backend ab-p-a 51831 10.91.0.1/24 &&
	wg_peer dut "$a" fleet0-backend ab-p-b 10.91.0.2/32 \
		192.168.10.2:51831 &&
	pings "$a" 10.91.0.2
}
plane_down() {
	ip -n "$a" link del fleet0 2>/dev/null || true
	rmmod wgplanes
}

# rx_outsegs: TCP segments the receiving namespace sent (its ACKs)
rx_outsegs() {
	ip netns exec "$rx" awk '/^Tcp:/ { if (!h) { for (i = 2; i <= NF; i++)
		if ($i == "OutSegs") k = i; h = 1; next } print $k }' /proc/net/snmp
}
ctxt() { awk '/^ctxt/ { print $2 }' /proc/stat; }

# run ADDR: Mbit/s received, and the ACKs and context switches per Mbit
run() {
	local a0 c0 mbit
	a0=$(rx_outsegs)
	c0=$(ctxt)
	mbit=$(timeout $((T + 30)) ip netns exec "$a" iperf3 -J -c "$1" \
		-p 5201 -t "$T" "${DIR[@]}" |
		jq '.end.sum_received.bits_per_second / 1e6') || mbit=0
	awk -v m="$mbit" -v a=$(($(rx_outsegs) - a0)) -v c=$(($(ctxt) - c0)) \
		-v t="$T" 'BEGIN { d = m > 0 ? m * t : 1
			printf "%.1f %.1f %.0f\n", m, a / d, c / d }'
}

for r in $(seq "$ROUNDS"); do
	for m in $AB_MODULES; do
		plane_up "${m#*=}" || fail "${m%%=*}: no plane"
		read -r s sa sc < <(run 10.90.0.2)
		read -r p pa pc < <(run 10.91.0.2)
		plane_down
		x=$(awk -v s="$s" -v p="$p" \
			'BEGIN { printf "%.3f", (s > 0 ? p / s : 0) }')
		echo "AB round $r ${m%%=*} stock $s plane $p ratio $x" \
		     "acks/Mbit $sa $pa ctxt/Mbit $sc $pc"
	done
done
test_end
