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
#      busy% S P
#
# acks: the receiver's TCP segments (its ACKs) per Mbit it received, as
# A counts them; ctxt: this VM's context switches per Mbit; busy: the
# share of this VM's CPU time that was not idle.
#
# With two guests (tools/bench/ab -2) A and B are two VMs joined by their
# eth0: AB_ROLE=sender runs A and the rounds, AB_ROLE=peer runs B until
# A stops answering pings. Both take their keys from AB_KEYS, so that
# each knows the other's.
#
# Environment: AB_MODULES (NAME=PATH of a wgplanes.ko, space-separated),
# AB_ROUNDS (3), AB_SECONDS (10), AB_REVERSE (0), AB_ROLE (one: both in
# this guest), AB_KEYS.

TEST_NAME=ab
. "$(dirname "$0")/../../selftests/lib.sh"
. "$(dirname "$0")/../../selftests/lib_wg.sh"
. "$(dirname "$0")/lib.sh"

ROUNDS=${AB_ROUNDS:-3}
T=${AB_SECONDS:-10}
ROLE=${AB_ROLE:-one}
DIR=()
[ "${AB_REVERSE:-0}" != 1 ] || DIR=(-R)

require_root
require_cmd ip wg iperf3 jq
modprobe wireguard
! [ -d /sys/module/wgplanes ] || rmmod wgplanes
[ -z "$AB_KEYS" ] || cp "$AB_KEYS"/* "$WG_TMP"/

die() {
	fail "$*"
	test_end
}

# eth NS ADDR: this guest's link to the other one, into NS
eth() {
	modprobe virtio_net
	wait_until 30 ip link show eth0 || die "no eth0"
	ip link set eth0 netns "$1"
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$2" dev eth0
}

# side B: the stock ends and the iperf3 server
side_b() {
	tput_side stock "$b" wg-s ab-s 90 51830 b ||
		die "stock setup failed"
	tput_side stock "$b" wg-p ab-p 91 51831 b ||
		die "the plane's stock peer: setup failed"
	ip netns exec "$b" iperf3 -s -D -p 5201
	at_exit "pkill -x iperf3"
}

case $ROLE in
one)
	new_ns a
	new_ns b
	veth_link "$a" veth0 192.168.10.1/24 "$b" veth0 192.168.10.2/24
	tput_side stock "$a" wg-s ab-s 90 51830 a ||
		die "stock setup failed"
	side_b
	;;
peer)
	new_ns b
	eth "$b" 192.168.10.2/24
	side_b
	echo "ab: peer ready"
	# until the sender's guest is gone (it powers off when done): a
	# look every few seconds costs the measured guests next to nothing
	n=0
	wait_until 900 ip netns exec "$b" ping -c 1 -W 2 192.168.10.1 ||
		die "the sender guest never answered"
	while [ $n -lt 3 ]; do
		sleep 5
		if ip netns exec "$b" ping -c 1 -W 5 192.168.10.1 \
			>/dev/null 2>&1; then n=0; else n=$((n + 1)); fi
	done
	test_end
	;;
sender)
	new_ns a
	eth "$a" 192.168.10.1/24
	tput_side stock "$a" wg-s ab-s 90 51830 a ||
		die "stock setup failed"
	wait_until 600 ip netns exec "$a" ping -c 1 -W 1 10.90.0.2 \
		|| die "the peer guest does not answer"
	;;
*)
	die "AB_ROLE: one, sender or peer, not $ROLE"
	;;
esac
pings "$a" 10.90.0.2

plane_up() {
	insmod "$1" || return 1
	tput_side dut "$a" fleet0-backend ab-p 91 51831 a &&
	pings "$a" 10.91.0.2
}
plane_down() {
	ip -n "$a" link del fleet0 2>/dev/null || true
	rmmod wgplanes
}

# acks: the receiver's segments, as A counts them (B may be elsewhere)
acks() {
	local k=InSegs
	[ "${AB_REVERSE:-0}" != 1 ] || k=OutSegs
	tcpsnmp "$a" | jq ".$k"
}
# ctxt STAT: the context switches in a /proc/stat snapshot
ctxt() { awk '/^ctxt/ { print $2 }' "$1"; }

# run ADDR: Mbit/s received, the ACKs and context switches per Mbit, and
# how busy this VM was (cpubusy's all-CPU share)
run() {
	local a0 mbit busy
	a0=$(acks)
	cat /proc/stat > "$WG_TMP/stat0"
	mbit=$(timeout $((T + 30)) ip netns exec "$a" iperf3 -J -c "$1" \
		-p 5201 -t "$T" "${DIR[@]}" |
		jq '.end.sum_received.bits_per_second / 1e6') || mbit=0
	cat /proc/stat > "$WG_TMP/stat1"
	busy=$(cpubusy "$WG_TMP/stat0" "$WG_TMP/stat1" |
		awk '{ sub(/%/, "", $2); print $2 + 0 }')
	awk -v m="$mbit" -v a=$(($(acks) - a0)) -v t="$T" -v b="$busy" \
		-v c=$(($(ctxt "$WG_TMP/stat1") - $(ctxt "$WG_TMP/stat0"))) \
		'BEGIN { d = m > 0 ? m * t : 1
		printf "%.1f %.1f %.0f %.0f\n", m, a / d, c / d, b }'
}

for r in $(seq "$ROUNDS"); do
	for m in $AB_MODULES; do
		plane_up "${m#*=}" || fail "${m%%=*}: no plane"
		read -r s sa sc sb < <(run 10.90.0.2)
		read -r p pa pc pb < <(run 10.91.0.2)
		plane_down
		x=$(awk -v s="$s" -v p="$p" \
			'BEGIN { printf "%.3f", (s > 0 ? p / s : 0) }')
		echo "AB round $r ${m%%=*} stock $s plane $p ratio $x" \
		     "acks/Mbit $sa $pa ctxt/Mbit $sc $pc busy% $sb $pb"
	done
done
test_end
