# SPDX-License-Identifier: GPL-2.0
#
# Shell functions the guest scripts of tools/bench share (guest.sh,
# ab-guest.sh); sourced after selftests/lib.sh and selftests/lib_wg.sh.

# tput_side KIND NS DEV KEY NET PORT SIDE: one end of a tput tunnel. SIDE
# a is 10.NET.0.1 on the veth's 192.168.10.1, b is .2; DEV is KIND's
# ("dut" is a plane FLEET-ROLE), with key KEY-SIDE, and its peer is the
# other side's KEY, on PORT. Both ends may be in one guest or in two.
tput_side() {
	local kind=$1 ns=$2 dev=$3 key=$4 net=$5 port=$6 me=$7
	local you=b n=1 m=2
	[ "$me" = a ] || { you=a n=2 m=1; }
	node_create "$kind" "$ns" "$dev" &&
	wg_iface "$kind" "$ns" "$dev" "$key-$me" "$port" "10.$net.0.$n/24" &&
	wg_peer "$kind" "$ns" "$dev" "$key-$you" "10.$net.0.$m/32" \
		"192.168.10.$m:$port"
}

# tput_tunnel KIND NSA DEVA NSB DEVB KEY NET PORT: both ends, DEVA (KIND)
# in NSA as side a and a stock DEVB in NSB as side b.
tput_tunnel() {
	tput_side "$1" "$2" "$3" "$6" "$7" "$8" a &&
	tput_side stock "$4" "$5" "$6" "$7" "$8" b
}

# tcpsnmp NS: NS's TCP segment counters, {"InSegs":..,"OutSegs":..,
# "RetransSegs":..} (OutSegs does not count retransmissions)
tcpsnmp() {
	ip netns exec "$1" awk '/^Tcp:/ {
		if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1; next }
		for (i = 2; i <= NF; i++)
			if (k[i] ~ /^(InSegs|OutSegs|RetransSegs)$/)
				printf "%s\"%s\":%s", n++ ? "," : "{", k[i], $i
		print "}" }' /proc/net/snmp
}

# busy CPU per CPU between two /proc/stat snapshots (FILE1 FILE2)
cpubusy() {
	awk '/^cpu/ { t = 0; for (i = 2; i <= 9; i++) t += $i; busy = t - $5 - $6
		if (FILENAME == ARGV[1]) { T[$1] = t; B[$1] = busy }
		else if (t > T[$1]) printf "%s %.0f%% ", $1, 100 * (busy - B[$1]) / (t - T[$1]) }' "$1" "$2"
}
