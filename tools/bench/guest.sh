#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench" (started by tools/bench/run inside the VM).
# Three scenarios, each comparing implementations in this one VM and run:
#
#   tput  single-plane throughput: raw veth, stock<->stock WireGuard,
#         wgplanes plane<->stock WireGuard (iperf3 TCP 1 stream both ways,
#         TCP 4 streams, UDP at a high target)
#   iso   isolation: a hub with a mgmt and a backend tunnel to two peers;
#         mgmt ping, TCP and fresh handshakes, idle and while backend is
#         flooded (TCP and UDP, both directions), for stock, stock + tc,
#         wgplanes with policies
#   rx    receive-side flood: the backend peer sends UDP at a fixed rate
#         into the hub; CPU time of the VM, delivered rate and drops
#   guard a guarded host and its stock WireGuard peer: the wgplanes rate
#         guard against stock WireGuard with tc police or an IFB shaper at
#         the same rate (TCP in and out, a UDP flood in at 10x the rate)
#
# Every measurement becomes one JSON line in $VM_OUT/records.jsonl, its raw
# output a file in $VM_OUT/raw; tools/bench/report.py on the host parses
# them and makes the tables, the results JSON and the plot. A failing measurement is recorded as such
# and the run goes on; the script fails only when it cannot run at all.
#
# Environment: BENCH_SECONDS (per measurement, default 15), BENCH_QUICK=1
# (3 s measurements and one tput round, a smoke run), BENCH_TPUT_ROUNDS
# (tput's rounds of stock and the plane in turn, default 3), BENCH_RATE /
# BENCH_BURST (the backend guard and the tc shaping, default 40mbit /
# 64k), BENCH_RX_OFFER (offered rate of the receive flood, default 100M),
# BENCH_SCENARIOS (default "tput iso rx guard"), BENCH_CONFIGS (default
# "stock stock-tc wgplanes"), BENCH_HS_COUNT / BENCH_HS_TIMEOUT (fresh
# mgmt handshakes per phase and the seconds after which one counts as
# failed, default 5 / 10), BENCH_FAR (pinned or stock: the far ends of the
# hub, see "scenario: iso and rx"), BENCH_MGMT_POLICY (the wgplanes mgmt
# plane's policy, "cpus 0 priority high"), BENCH_GUARD_CONFIGS (default
# "stock-police stock-ifb wgplanes"), BENCH_GUARD_BURSTS (default:
# BENCH_BURST and 10 ms at the rate, bytes), BENCH_GUARD_FLOOD_RATE (the
# guard's rate during its UDP flood, 5mbit), BENCH_GUARD_FLOOD (that
# flood, bit/s; 10x BENCH_GUARD_FLOOD_RATE).

TEST_NAME=bench
. "$(dirname "$0")/../../selftests/lib.sh"
. "$(dirname "$0")/../../selftests/lib_wg.sh"
. "$(dirname "$0")/lib.sh"
set +e	# measurements may fail; each one is checked and recorded

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=${VM_OUT:-/tmp/bench-out}
mkdir -p "$OUT"
RECORDS=$OUT/records.jsonl
: > "$RECORDS"
RAW=$(mktemp -d)
at_exit rm -rf "$RAW"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	S=${BENCH_SECONDS:-3}
	TPUT_ROUNDS=${BENCH_TPUT_ROUNDS:-1}
else
	S=${BENCH_SECONDS:-15}
	TPUT_ROUNDS=${BENCH_TPUT_ROUNDS:-3}
fi
RATE=${BENCH_RATE:-40mbit}
BURST=${BENCH_BURST:-64k}
RX_OFFER=${BENCH_RX_OFFER:-100M}
UDP_TARGET=${BENCH_UDP_TARGET:-2G}
UDP_LEN=1350		# fits the 1420 tunnel MTU: no fragments inside
PING_INTERVAL=${BENCH_PING_INTERVAL:-0.01}
SCENARIOS=${BENCH_SCENARIOS:-tput iso rx guard}
CONFIGS=${BENCH_CONFIGS:-stock stock-tc wgplanes}
HS_COUNT=${BENCH_HS_COUNT:-5}
HS_TIMEOUT=${BENCH_HS_TIMEOUT:-10}
FAR=${BENCH_FAR:-pinned}
MGMT_POLICY=${BENCH_MGMT_POLICY:-cpus 0 priority high}

# bps RATE: a tc-style rate (40mbit, 5mbps: bytes) in bit/s
bps() {
	awk -v r="$1" 'BEGIN {
		m["bit"] = 1; m["kbit"] = 1e3; m["mbit"] = 1e6; m["gbit"] = 1e9
		m["bps"] = 8; m["kbps"] = 8e3; m["mbps"] = 8e6; m["gbps"] = 8e9
		if (!match(r, /^[0-9.]+/)) exit 1
		u = tolower(substr(r, RLENGTH + 1))
		if (!(u in m)) exit 1
		printf "%.0f\n", substr(r, 1, RLENGTH) * m[u] }'
}
RATE_BPS=$(bps "$RATE") || RATE_BPS=
GUARD_CONFIGS=${BENCH_GUARD_CONFIGS:-stock-police stock-ifb wgplanes}
# the bench's burst, and 10 ms at the rate (the guard's own transmit burst)
GUARD_BURSTS=${BENCH_GUARD_BURSTS:-$BURST ${RATE_BPS:+$((RATE_BPS / 800))}}
# The UDP flood runs with the guard (and tc) at GUARD_FLOOD_RATE: ten times
# 40 Mbit/s is more than a stock sender in this VM reaches (55-281 Mbit/s
# measured), so at RATE the "10x flood" was 1.4-3.8x. At 10 Mbit/s (a
# flood of 100) stock WireGuard's receiver took the whole VM and could not
# take all of the flood: its cost was cut off at the VM's size. At 5 (50)
# the sender and stock's receiver fit in the VM.
GUARD_FLOOD_RATE=${BENCH_GUARD_FLOOD_RATE:-5mbit}
GUARD_FLOOD_RATE_BPS=$(bps "$GUARD_FLOOD_RATE") || GUARD_FLOOD_RATE_BPS=
GUARD_FLOOD=${BENCH_GUARD_FLOOD:-${GUARD_FLOOD_RATE_BPS:+$((GUARD_FLOOD_RATE_BPS * 10))}}

# rec KIND FILE|JSON [KEY=VALUE...]: keep one measurement. The raw output
# (ping text, iperf3 JSON, /proc/stat pair) is copied to $OUT/raw and
# listed in records.jsonl with its labels; parsing is left to the host
# (tools/bench/report.py), which keeps the guest light (no python per
# measurement; process start-up is slow under TCG).
NREC=0
rec() {
	local kind=$1 src=$2 kv line
	shift 2
	NREC=$((NREC + 1))
	line="{\"kind\":\"$kind\""
	for kv in "$@"; do
		line+=",\"${kv%%=*}\":\"${kv#*=}\""
	done
	if [ "$kind" = json ]; then
		# one line, valid: compacted by jq
		src=$(jq -c . <<<"$src" 2>/dev/null) || src=
		line+=",\"data\":${src:-null}"
	else
		mkdir -p "$OUT/raw"
		cp "$src" "$OUT/raw/$NREC.$kind"
		line+=",\"file\":\"raw/$NREC.$kind\""
	fi
	echo "$line}" >> "$RECORDS"
}
note() { printf '[bench %5ds] %s\n' "$SECONDS" "$*"; }
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

require_interop
require_cmd iperf3 tc nft taskset jq

# ------------------------------------------------------------- helpers

# $(on_cpu CPU) CMD...: CMD on CPU, or on any CPU for "". A prefix, not a
# wrapper function, so that "$(on_cpu 1) CMD &" leaves CMD itself in $!.
on_cpu() { [ -z "$1" ] || echo "taskset -c $1"; }

# iperf_server NS PORT [CPU]: an iperf3 server in NS, killed at teardown.
SERVERS=()
iperf_server() {
	local ns=$1 port=$2 cpu=$3
	$(on_cpu "$cpu") ip netns exec "$ns" iperf3 -s -p "$port" \
		>/dev/null 2>&1 &
	SERVERS+=($!)
	wait_until 10 sh -c "ip netns exec $ns ss -Htln | grep -q ':$port '"
}
stop_servers() {
	local p
	for p in "${SERVERS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SERVERS=()
}
at_exit stop_servers

# stop_pid PID: TERM (iperf3 then writes its summary), KILL after 10 s.
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# iperf NS FILE ARGS...: an iperf3 client writing JSON to FILE; bounded in
# time even if the server vanishes. On CPU $IPERF_CPU if that is set.
iperf() {
	local ns=$1 file=$2
	shift 2
	$(on_cpu "${IPERF_CPU:-}") timeout $((S + 40)) ip netns exec "$ns" \
		iperf3 -J --connect-timeout 5000 "$@" > "$file" 2>&1
}

# mping NS ADDR FILE [CPU]: about S seconds of pings every PING_INTERVAL,
# one line per reply (the times are the samples). A count, not a deadline: a
# deadline would count the replies still in flight at its end as lost;
# the deadline only bounds a VM too slow to send them all.
mping() {
	local n
	n=$(awk -v s="$S" -v i="$PING_INTERVAL" 'BEGIN { print int(s / i) }')
	# SIGINT, not TERM, if it overruns: ping then prints what it has
	$(on_cpu "${4:-}") timeout -s INT $((2 * S + 30)) ip netns exec "$1" ping -n \
		-i "$PING_INTERVAL" -c "$n" -w $((2 * S + 5)) "$2" > "$3" 2>&1
}

# pstat PINGOUT: "p50 p99 max loss%" (nearest rank), awk only.
pstat() {
	sed -n 's/.*bytes from.*time[=<]\([0-9.]*\) *ms.*/\1/p' "$1" | sort -n |
		awk -v loss="$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$1")" '
		{ v[NR] = $1 }
		function rank(p,  k) { k = int(p / 100 * NR + 0.999999); if (k < 1) k = 1; return v[k] }
		END { if (NR) printf "%s %s %s %s", rank(50), rank(99), v[NR], loss; else printf "- - - %s", loss }'
}
# devstat NS DEV: "rx_bytes tx_bytes rx_packets" of DEV now
devstat() {
	ip -n "$1" -s -j link show dev "$2" |
		jq -r '.[0].stats64 | "\(.rx.bytes) \(.tx.bytes) \(.rx.packets)"'
}
mbps() {
	jq -r 'if .end.sum_received then (.end.sum_received.bits_per_second/1e6|floor|tostring) + " Mbit/s" else "error: " + (.error // "?") end' \
		"$1" 2>/dev/null || echo "error"
}

# tunnel_up NS ADDR: the first ping may wait for the handshake.
tunnel_up() {
	local i
	for i in 1 2 3 4 5; do
		ip netns exec "$1" ping -n -c 1 -W 2 "$2" >/dev/null 2>&1 &&
			return 0
	done
	return 1
}

# ---------------------------------------------------- scenario: tput
#
# Namespaces A and B on one veth. Three paths from A to B side by side:
# the veth itself (192.168.10.0/24), stock wg <-> stock wg (10.90.0.0/24),
# a wgplanes plane (A) <-> stock wg (B) (10.91.0.0/24). iperf3 client in A,
# server in B; "tcp1-rev" sends from B to A (-R).

tput_addr() {
	case $1 in
	veth) echo 192.168.10.2 ;;
	stock) echo 10.90.0.2 ;;
	wgplanes) echo 10.91.0.2 ;;
	esac
}
# tput_run NSA TEST IMPL ROUND IPERF-ARGS...: one measurement
tput_run() {
	local a=$1 t=$2 impl=$3 r=$4 f
	shift 4
	f=$RAW/tput-$t-$impl-$r.json
	# the VM's CPU time around the run: CPU per Mbit/s carried
	cat /proc/stat > "$RAW/stat"
	iperf "$a" "$f" -c "$(tput_addr $impl)" -p 5201 -t "$S" "$@"
	{ echo "--- after"; cat /proc/stat; } >> "$RAW/stat"
	rec iperf "$f" scenario=tput test=$t impl=$impl round=$r
	rec cpu "$RAW/stat" scenario=tput test=$t impl=$impl round=$r metric=cpu
	note "tput $t $impl round $r: $(mbps "$f"), busy:" \
	     "$(cpubusy <(sed '/^--- after/,$d' "$RAW/stat") \
		<(sed '1,/^--- after/d' "$RAW/stat"))"
	sleep 1
}
scenario_tput() {
	local a b t impl args r impls
	note "tput: setting up"
	new_ns a
	new_ns b
	veth_link "$a" veth0 192.168.10.1/24 "$b" veth0 192.168.10.2/24 ||
		{ rec json '{"error":"veth setup failed"}' scenario=tput; return; }
	tput_tunnel stock "$a" wg-s "$b" wg-s tput-s 90 51830 ||
		note "tput: stock setup failed"
	tput_tunnel dut "$a" fleet0-backend "$b" wg-p tput-p 91 51831 ||
		note "tput: wgplanes setup failed"
	iperf_server "$b" 5201
	for impl in veth stock wgplanes; do
		tunnel_up "$a" "$(tput_addr $impl)" ||
			rec json '{"error":"no ping before the test"}' \
				scenario=tput impl=$impl test=setup
	done
	for t in tcp1 tcp1-rev tcp4 udp; do
		case $t in
		tcp1) args=() ;;
		tcp1-rev) args=(-R) ;;
		tcp4) args=(-P 4) ;;
		udp) args=(-u -b "$UDP_TARGET" -l "$UDP_LEN") ;;
		esac
		# the veth once; stock and the plane in turn, each round in
		# the other order, so that a drift of the host favours neither
		for r in $(seq "$TPUT_ROUNDS"); do
			if [ "$r" = 1 ]; then
				impls="veth stock wgplanes"
			elif [ $((r % 2)) = 0 ]; then
				impls="wgplanes stock"
			else
				impls="stock wgplanes"
			fi
			for impl in $impls; do
				tput_run "$a" $t $impl $r "${args[@]}"
			done
		done
	done
	stop_servers
	ip -n "$a" link del fleet0 2>/dev/null
	ip netns del "$a"
	ip netns del "$b"
}

# ------------------------------------------------ scenario: iso and rx
#
# hub: the fleet host. Two tunnels: mgmt (10.78.0.0/16, hub port 51821) to
# the operator namespace "ops", backend (10.79.0.0/16, hub port 51822) to
# the monitoring namespace "mon"; each peer namespace on its own veth. In
# real life ops and mon are other machines, with CPUs of their own; here
# they share the VM's two. So by default (FAR=pinned) they keep off the
# CPUs that their counterpart in the hub should have to itself: ops's end
# is a wgplanes plane on CPU 0 and its ping and iperf3 run on CPU 0, mon's
# end a plane on CPU 1 and its iperf3 on CPU 1. The hub pins its two
# iperf3 servers likewise (mgmt on CPU 0, the backend flood's on CPU 1) in
# every config, as an operator would pin the two applications; only the
# tunnels differ between configs. FAR=stock makes ops and mon stock
# WireGuard, unpinned: their crypto then runs on both CPUs, as a stock
# host's does. In the hub the two tunnels are
#   stock     two stock wireguard devices wg-mgmt, wg-backend
#   stock-tc  the same plus tc on wg-backend: egress tbf at RATE/BURST,
#             ingress police at RATE/BURST (drop)
#   wgplanes  a fleet: fleet0-backend "cpus 1 rate RATE burst BURST",
#             fleet0-mgmt MGMT_POLICY ("cpus 0 priority high")
HUB= OPS= MON= MGMT_DEV= BK_DEV= TC_ON= TC_IFB=
if [ "$FAR" = pinned ]; then
	FAR_KIND=dut OPS_DEV=fleet0-mgmt MON_DEV=fleet0-backend
	OPS_CPU=0 MON_CPU=1
else
	FAR_KIND=stock OPS_DEV=wg0 MON_DEV=wg0
	OPS_CPU= MON_CPU=
fi

# hub_tunnel KIND DEV HUBKEY HUBPORT NET NS FDEV FCPU PEERKEY LINK: DEV in
# the hub (KIND; "dut" is a plane FLEET-ROLE), 10.NET.0.1/16 on HUBPORT,
# and the far end FDEV (FAR_KIND) in NS, 10.NET.0.2/16 on 51820, over the
# veth 192.168.LINK.0/24; a far plane gets "cpus FCPU".
hub_tunnel() {
	local kind=$1 dev=$2 hkey=$3 port=$4 net=$5 ns=$6 fdev=$7 fcpu=$8
	local pkey=$9 link=${10}
	node_create $kind "$HUB" $dev &&
	wg_iface $kind "$HUB" $dev $hkey $port 10.$net.0.1/16 &&
	wg_peer $kind "$HUB" $dev $pkey 10.$net.0.2/32 192.168.$link.2:51820 &&
	node_create $FAR_KIND "$ns" $fdev &&
	wg_iface $FAR_KIND "$ns" $fdev $pkey 51820 10.$net.0.2/16 &&
	peer_hub "$ns" $fdev $hkey $net $link $port || return 1
	[ "$FAR_KIND" != dut ] || dut_wg "$ns" set $fdev cpus "$fcpu"
}
# peer_hub NS FDEV HUBKEY NET LINK HUBPORT: the hub as the peer of the far
# end FDEV in NS (also used to re-add it for a fresh handshake).
peer_hub() {
	wg_peer $FAR_KIND "$1" $2 $3 10.$4.0.0/16 192.168.$5.1:$6
}

hub_setup() {
	local cfg=$1 kind=stock
	TC_ON=
	[ "$cfg" = stock-tc ] && TC_ON=1
	new_ns HUB
	new_ns OPS
	new_ns MON
	veth_link "$HUB" veth-ops 192.168.1.1/24 "$OPS" eth0 192.168.1.2/24 &&
	veth_link "$HUB" veth-mon 192.168.2.1/24 "$MON" eth0 192.168.2.2/24 ||
		return 1
	MGMT_DEV=wg-mgmt BK_DEV=wg-backend
	[ "$cfg" != wgplanes ] ||
		kind=dut MGMT_DEV=fleet0-mgmt BK_DEV=fleet0-backend
	note "hub $cfg: creating and configuring the devices"
	hub_tunnel $kind $MGMT_DEV hub-mgmt 51821 78 "$OPS" $OPS_DEV \
		"$OPS_CPU" ops 1 &&
	hub_tunnel $kind $BK_DEV hub-backend 51822 79 "$MON" $MON_DEV \
		"$MON_CPU" mon 2 || return 1
	case $cfg in
	stock-tc)
		ip netns exec "$HUB" tc qdisc add dev wg-backend root tbf \
			rate "$RATE" burst "$BURST" latency 50ms &&
		ip netns exec "$HUB" tc qdisc add dev wg-backend handle ffff: \
			ingress &&
		ip netns exec "$HUB" tc filter add dev wg-backend parent ffff: \
			matchall action police rate "$RATE" burst "$BURST" \
			conform-exceed drop || return 1
		;;
	wgplanes)
		dut_wg "$HUB" set fleet0-backend cpus 1 rate "$RATE" \
			burst "$BURST" &&
		dut_wg "$HUB" set fleet0-mgmt $MGMT_POLICY || return 1
		rec json "$(dut_wg "$HUB" show all --json)" \
			scenario=iso config=$cfg what=wgplanes-show-before
		;;
	esac
	delivered_counter || return 1
	note "hub $cfg: configured, starting servers"
	iperf_server "$HUB" 5201 "$OPS_CPU"	# mgmt TCP
	iperf_server "$HUB" 5202 "$MON_CPU"	# backend flood
	iperf_server "$HUB" 5203 1	# receive flood (pinned to CPU 1)
	note "hub $cfg: waiting for the handshakes"
	tunnel_up "$OPS" 10.78.0.1 && tunnel_up "$MON" 10.79.0.1
}

# delivered_counter: the hub's nft counter of the receive flood's packets
# reaching its input hook (after tc ingress, before the socket)
delivered_counter() {
	ip netns exec "$HUB" nft -f - <<-EOT
	table inet bench {
		counter delivered {}
		chain input {
			type filter hook input priority 0;
			iifname "$BK_DEV" udp dport 5203 counter name delivered
		}
	}
	EOT
}

hub_teardown() {
	flood_stop
	stop_servers
	ip -n "$HUB" link del fleet0 2>/dev/null
	ip netns del "$HUB" 2>/dev/null
	ip netns del "$OPS" 2>/dev/null
	ip netns del "$MON" 2>/dev/null
	sleep 0.5
}

# A flood of the backend tunnel in the background, until flood_stop:
# "tcp" is iperf3 --bidir with 2 streams each way between mon and the
# hub's backend address, "udp" the same with UDP at UDP_TARGET per stream.
# flood_start returns once the hub's backend device carries at least
# FLOOD_MIN bytes a second each way (fails if that does not happen in 30 s
# or iperf3 exits). Its rate is taken from the hub's backend device
# counters over each measurement window (the iperf3 client is stopped
# early, so its own summary covers a different span).
FLOOD_PID=
FLOOD_MIN=100000
flood_start() {
	local mode=$1 file=$2 args=(--bidir -P 2) a b i
	[ "$mode" = udp ] && args+=(-u -b "$UDP_TARGET" -l "$UDP_LEN")
	$(on_cpu "$MON_CPU") ip netns exec "$MON" iperf3 -J --connect-timeout 5000 \
		-c 10.79.0.1 -p 5202 -t 3600 "${args[@]}" > "$file" 2>&1 &
	FLOOD_PID=$!
	sleep 1
	a=$(devstat "$HUB" "$BK_DEV")
	for i in $(seq 30); do
		sleep 1
		kill -0 "$FLOOD_PID" 2>/dev/null || return 1
		b=$(devstat "$HUB" "$BK_DEV")
		moved "$a" "$b" "$FLOOD_MIN" && return 0
		a=$b
	done
	return 1
}
flood_stop() {
	[ -n "$FLOOD_PID" ] || return 0
	stop_pid "$FLOOD_PID"
	FLOOD_PID=
}
at_exit flood_stop
# flood_alive: 1 if the flood's iperf3 runs, 0 if it ended, - if none
flood_alive() {
	if [ -z "$FLOOD_PID" ]; then
		echo -
	elif kill -0 "$FLOOD_PID" 2>/dev/null; then
		echo 1
	else
		echo 0
	fi
}
# moved DEVSTAT1 DEVSTAT2 BYTES: rx and tx both grew by BYTES or more
moved() {
	local a=($1) b=($2)
	[ "${#a[@]}" -ge 2 ] && [ "${#b[@]}" -ge 2 ] &&
		[ $((b[0] - a[0])) -ge "$3" ] && [ $((b[1] - a[1])) -ge "$3" ]
}

now() { date +%s.%N; }

# mgmt_handshakes FILE: HS_COUNT fresh handshakes on the mgmt tunnel, the
# same way whatever the hub runs: ops (stock wg, the initiator) removes
# its peer (the hub's mgmt key) and adds it again, so that its session is
# gone, and sends one ping to the hub's mgmt address. The echo request
# waits in ops's queue until the hub (the responder, the implementation
# under test) has answered the initiation, so the RTT of its reply, by
# ping's own clock, is the handshake plus one round trip. No reply in
# HS_TIMEOUT s counts as failed (stock WireGuard retries an unanswered
# initiation after 5 s). Lines of FILE:
#   start TIME RXBYTES TXBYTES RXPACKETS
#   attempt N TIME RTT_MS|- LATEST_HANDSHAKE|- ALIVE RXBYTES TXBYTES RXPACKETS
# after each attempt: ops's latest-handshake (0: none completed), whether
# the flood's iperf3 runs (flood_alive), the hub's backend device counters
# (the flood ran through the attempt if they moved since the line before).
mgmt_handshakes() {
	local f=$1 i out ms hs hub
	hub=$(pubkey_of hub-mgmt)
	echo "start $(now) $(devstat "$HUB" "$BK_DEV")" > "$f"
	for i in $(seq "$HS_COUNT"); do
		ms=- hs=-
		if wgx $FAR_KIND "$OPS" set $OPS_DEV peer "$hub" remove &&
		   peer_hub "$OPS" $OPS_DEV hub-mgmt 78 1 51821; then
			out=$($(on_cpu "$OPS_CPU") timeout $((HS_TIMEOUT + 20)) \
				ip netns exec "$OPS" ping -n -c 1 \
				-W "$HS_TIMEOUT" 10.78.0.1 2>&1)
			ms=$(sed -n 's/.*bytes from.*time[=<]\([0-9.]*\) *ms.*/\1/p' \
				<<<"$out" | head -n 1)
			hs=$(wgx $FAR_KIND "$OPS" show $OPS_DEV latest-handshakes |
				awk '{ print $2; exit }')
		fi
		echo "attempt $i $(now) ${ms:--} ${hs:--} $(flood_alive)" \
		     "$(devstat "$HUB" "$BK_DEV")" >> "$f"
	done
	# leave the tunnel up for what follows, even after a failed attempt
	tunnel_up "$OPS" 10.78.0.1 || note "mgmt tunnel not up again"
}
# hsstat FILE: "completed/attempted median max" (ms) of mgmt_handshakes
hsstat() {
	awk '$1 == "attempt" { n++; if ($4 != "-") print $4 }
	     END { print "n", n }' "$1" | sort -n |
		awk '$1 == "n" { n = $2; next } { v[++k] = $1 }
		     END { printf "%d/%d %s %s", k, n, k ? v[int((k + 1) / 2)] : "-",
			   k ? v[k] : "-" }'
}

# iso_phase CFG PHASE: the mgmt measurements of one phase (the flood, if
# any, runs): ping, TCP, the backend's rate over those two, handshakes.
iso_phase() {
	local cfg=$1 phase=$2 f t0 t1 d0 d1 br
	local lab=(scenario=iso config=$cfg phase=$phase)
	t0=$(now) d0=$(devstat "$HUB" "$BK_DEV")
	f=$RAW/iso-$cfg-$phase-ping.txt
	mping "$OPS" 10.78.0.1 "$f" "$OPS_CPU"
	rec ping "$f" "${lab[@]}" metric=mgmt-ping
	note "iso $cfg $phase: mgmt ping p50 p99 max loss%: $(pstat "$f")"
	f=$RAW/iso-$cfg-$phase-tcp.json
	IPERF_CPU=$OPS_CPU iperf "$OPS" "$f" -c 10.78.0.1 -p 5201 -t "$S"
	rec iperf "$f" "${lab[@]}" metric=mgmt-tcp
	note "iso $cfg $phase: mgmt TCP $(mbps "$f")"
	t1=$(now) d1=$(devstat "$HUB" "$BK_DEV")
	br=$(jq -cn --argjson t0 "$t0" --argjson t1 "$t1" \
		--arg d0 "$d0" --arg d1 "$d1" '
		($d0 | split(" ") | map(tonumber)) as $a |
		($d1 | split(" ") | map(tonumber)) as $b |
		{seconds: ($t1 - $t0),
		 to_hub_mbps: (($b[0] - $a[0]) * 8 / ($t1 - $t0) / 1e6),
		 from_hub_mbps: (($b[1] - $a[1]) * 8 / ($t1 - $t0) / 1e6)}')
	rec json "$br" "${lab[@]}" metric=backend-rate
	[ "$phase" = idle ] ||
		note "iso $cfg $phase: backend carried $(jq -r '"\(.to_hub_mbps|floor) Mbit/s in, \(.from_hub_mbps|floor) Mbit/s out"' <<<"$br")"
	f=$RAW/iso-$cfg-$phase-hs.txt
	mgmt_handshakes "$f"
	rec hs "$f" "${lab[@]}" metric=mgmt-handshake
	note "iso $cfg $phase: mgmt handshakes completed, median, max ms:" \
	     "$(hsstat "$f") (flood alive: $(flood_alive))"
}

scenario_iso() {
	local cfg=$1 phase f w ok
	for phase in idle tcp udp; do
		note "iso $cfg: $phase"
		if [ "$phase" != idle ]; then
			f=$RAW/iso-$cfg-$phase-flood.json
			w=$SECONDS ok=true
			flood_start "$phase" "$f" || {
				ok=false
				note "iso $cfg $phase: the flood does not flow"
			}
			rec json "{\"running\":$ok,\"waited_s\":$((SECONDS - w))}" \
				scenario=iso config=$cfg phase=$phase metric=flood-start
		fi
		iso_phase "$cfg" "$phase"
		if [ "$phase" != idle ]; then
			flood_stop
			rec iperf "$f" scenario=iso config=$cfg phase=$phase \
				metric=backend-flood-iperf
		fi
		sleep 1
	done
}

# counters: a JSON object of the counters the receive flood reads: the
# hub's backend device, the packets that reach the hub's input hook for
# the iperf3 server (nft counter "delivered": after tc ingress, before the
# socket), UDP receive-buffer errors in the hub, the sender's tunnel
# transmit bytes (what it offered), tc police drops, plane counters.
counters() {
	local rx tx police=null ifb=null planes=null deliv mon rcvbuf t
	local tcph tcpm
	# the time first: the reads below are made in the same order at both
	# ends of the window, so start-to-start is the window they cover
	t=$(now)
	rx=$(ip -n "$HUB" -s -j link show dev "$BK_DEV" |
		jq -c '.[0].stats64 | .rx, .tx')
	tx=$(sed -n 2p <<<"$rx") rx=$(sed -n 1p <<<"$rx")
	mon=$(ip -n "$MON" -s -j link show dev "$MON_DEV" |
		jq -c '.[0].stats64.tx')
	deliv=$(ip netns exec "$HUB" nft -j list counter inet bench delivered |
		jq -c '[.nftables[] | .counter? // empty][0] |
			{packets, bytes}')
	rcvbuf=$(ip netns exec "$HUB" awk '/^Udp:/ { if (h) print $6; h = 1 }' \
		/proc/net/snmp)
	if [ -n "$TC_ON" ]; then
		police=$(ip netns exec "$HUB" tc -s filter show dev "$BK_DEV" \
			parent ffff: | sed -n 's/.*dropped \([0-9]*\).*/\1/p' |
			head -n 1)
	fi
	if [ -n "$TC_IFB" ]; then
		ifb=$(ip netns exec "$HUB" tc -s qdisc show dev ifb0 |
			sed -n 's/.*dropped \([0-9]*\).*/\1/p' | head -n 1)
	fi
	if [ "$BK_DEV" = fleet0-backend ]; then
		planes=$(dut_wg "$HUB" show "$BK_DEV" --json |
			jq -c '.planes[0].counters')
	fi
	tcph=$(tcpsnmp "$HUB") tcpm=$(tcpsnmp "$MON")
	printf '{"time":%s,"rx":%s,"tx":%s,"sender_tx":%s,"delivered":%s,' \
		"$t" "${rx:-null}" "${tx:-null}" "${mon:-null}" "${deliv:-null}"
	printf '"udp_rcvbuf_errors":%s,"police_dropped":%s,"ifb_dropped":%s,' \
		"${rcvbuf:-null}" "${police:-null}" "${ifb:-null}"
	printf '"tcp_hub":%s,"tcp_peer":%s,"plane_counters":%s}' \
		"${tcph:-null}" "${tcpm:-null}" "${planes:-null}"
}

# The receive flood: mon sends UDP at RX_OFFER through its tunnel to the
# hub until stopped. The sender (iperf3 client) is pinned to CPU 0, the
# receiving iperf3 server to CPU 1; /proc/stat and the counters are read at
# both ends of an S-second window once the flood runs. WireGuard's own
# kworkers cannot be pinned, so the sender's encryption shows on both CPUs:
# the "sender" baseline (the same flood, outer packets dropped by nft in the
# hub's prerouting before WireGuard sees them) measures what the sending
# side and the veth cost alone. With FAR=pinned, mon's plane moves to CPU 0
# for this scenario, next to the sender.
# The guard scenario runs it too, with RX_SCEN (label, default rx),
# RX_RATE (offered, default RX_OFFER) and RX_LABELS (more labels) set.
scenario_rx() {
	local cfg=$1 variant=${2:-$1} c1 c2 pid scen=${RX_SCEN:-rx}
	local offer=${RX_RATE:-$RX_OFFER}
	note "$scen $variant: UDP $offer from mon into the hub"
	# the sender's plane where the sender runs, off the receiver's CPU
	[ "$FAR_KIND" != dut ] || dut_wg "$MON" set "$MON_DEV" cpus 0
	ip netns exec "$MON" taskset -c 0 iperf3 -c 10.79.0.1 -p 5203 -u \
		-b "$offer" -l "$UDP_LEN" -t 3600 > "$RAW/rx-client.txt" 2>&1 &
	pid=$!
	sleep 3
	if [ "$variant" = sender ]; then
		ip netns exec "$HUB" nft -f - <<-EOT
		table inet benchdrop {
			chain pre {
				type filter hook prerouting priority raw;
				udp dport 51822 counter drop
			}
		}
		EOT
		sleep 0.5
	fi
	c1=$(counters)
	cat /proc/stat > "$RAW/stat"
	sleep "$S"
	{ echo "--- after"; cat /proc/stat; } >> "$RAW/stat"
	c2=$(counters)
	[ "$variant" != sender ] ||
		ip netns exec "$HUB" nft delete table inet benchdrop
	stop_pid "$pid"
	rec cpu "$RAW/stat" scenario=$scen config=$variant metric=cpu \
		"${RX_LABELS[@]}"
	rec json "{\"before\":$c1,\"after\":$c2}" scenario=$scen \
		config=$variant metric=counters "${RX_LABELS[@]}"
	note "$scen $variant: $(jq -rn --argjson a "$c1" --argjson b "$c2" '
		($b.time - $a.time) as $t |
		"offered \(($b.sender_tx.bytes - $a.sender_tx.bytes) * 8 / $t / 1e6 | floor) Mbit/s, delivered \(($b.delivered.bytes - $a.delivered.bytes) * 8 / $t / 1e6 | floor) Mbit/s"' 2>/dev/null),"\
	     "busy: $(cpubusy <(sed '/^--- after/,$d' "$RAW/stat") \
			<(sed '1,/^--- after/d' "$RAW/stat"))"
	sleep 1
}

# ---------------------------------------------------- scenario: guard
#
# The rate guard against what a user would build today with stock
# WireGuard, at the same rate. The guarded host ("hub") and its peer
# ("mon", always stock WireGuard, unpinned) on one veth; the hub's tunnel
# is the backend's (10.79.0.1/16, port 51822), so that scenario_rx runs on
# it unchanged. The hub's end, limited to RATE with burst B, is
#   wgplanes      the plane fleet0-backend, "rate RATE burst B"
#   stock-police  stock wg-backend, egress tbf at RATE/B, ingress matchall
#                 police at RATE/B (drop)
#   stock-ifb     stock wg-backend, egress tbf at RATE/B, ingress redirected
#                 (mirred) to ifb0 and shaped there by tbf at RATE/B
# The tbf queues hold 50 ms at the rate, as the guard's shaping queue does.
# For each burst of GUARD_BURSTS: iperf3 TCP into the hub (1 and 4 streams)
# and out of it (1 stream), the client on the sending side (its summary
# has the retransmits), with /proc/stat and both ends' TCP counters around
# each run; at the first burst also the UDP flood of scenario_rx at
# GUARD_FLOOD into the hub (and its "sender" baseline, once), with the
# hub's limiter set to GUARD_FLOOD_RATE first (guard_rate).
guard_setup() {
	local cfg=$1 burst=$2 kind=stock
	new_ns HUB
	new_ns MON
	veth_link "$HUB" veth-mon 192.168.2.1/24 "$MON" eth0 192.168.2.2/24 ||
		return 1
	BK_DEV=wg-backend
	[ "$cfg" != wgplanes ] || kind=dut BK_DEV=fleet0-backend
	hub_tunnel $kind $BK_DEV hub-backend 51822 79 "$MON" wg0 "" mon 2 ||
		return 1
	case $cfg in
	stock-police|stock-ifb)
		ip netns exec "$HUB" tc qdisc add dev $BK_DEV root tbf \
			rate "$RATE" burst "$burst" latency 50ms &&
		ip netns exec "$HUB" tc qdisc add dev $BK_DEV handle ffff: \
			ingress || return 1
		;;
	esac
	if [ "$cfg" = stock-ifb ]; then
		ip -n "$HUB" link add ifb0 type ifb &&
		ip -n "$HUB" link set ifb0 up || return 1
	fi
	guard_rate "$cfg" "$RATE" "$burst" add || return 1
	if [ "$cfg" = stock-ifb ]; then
		ip netns exec "$HUB" tc filter add dev $BK_DEV parent ffff: \
			matchall action mirred egress redirect dev ifb0 ||
			return 1
	fi
	delivered_counter || return 1
	iperf_server "$HUB" 5201	# TCP into the hub
	iperf_server "$MON" 5201	# TCP out of the hub
	iperf_server "$HUB" 5203 1	# the UDP flood (server on CPU 1, as rx)
	tunnel_up "$MON" 10.79.0.1
}

# guard_rate CFG RATE BURST [add]: the hub's limiter (the plane's guard,
# the police action, the IFB's tbf) set to RATE and BURST; "add" the
# first time (guard_setup), else it is changed
guard_rate() {
	case $1 in
	wgplanes)
		dut_wg "$HUB" set fleet0-backend rate "$2" burst "$3"
		;;
	stock-police)
		{ [ "$4" = add ] ||
		  ip netns exec "$HUB" tc filter del dev $BK_DEV parent ffff:; } &&
		ip netns exec "$HUB" tc filter add dev $BK_DEV parent ffff: \
			matchall action police rate "$2" burst "$3" \
			conform-exceed drop
		;;
	stock-ifb)
		ip netns exec "$HUB" tc qdisc "${4:-change}" dev ifb0 root tbf \
			rate "$2" burst "$3" latency 50ms
		;;
	esac
}

# guard_tcp CFG BURST TEST: one iperf3 TCP run, S seconds: "in1", "in4"
# (-P 4) from mon into the hub, "out1" from the hub to mon.
guard_tcp() {
	local cfg=$1 burst=$2 t=$3 ns=$MON addr=10.79.0.1 args=() f c1 c2
	local lab=(scenario=guard config=$cfg burst=$burst test=$t)
	case $t in
	in4) args=(-P 4) ;;
	out1) ns=$HUB addr=10.79.0.2 ;;
	esac
	f=$RAW/guard-$cfg-$burst-$t
	c1=$(counters)
	cat /proc/stat > "$f.stat"
	iperf "$ns" "$f.json" -c "$addr" -p 5201 -t "$S" "${args[@]}"
	{ echo "--- after"; cat /proc/stat; } >> "$f.stat"
	c2=$(counters)
	rec iperf "$f.json" "${lab[@]}"
	rec cpu "$f.stat" "${lab[@]}" metric=cpu
	rec json "{\"before\":$c1,\"after\":$c2}" "${lab[@]}" metric=counters
	note "guard $cfg $burst $t: $(jq -r 'if .end.sum_received then
		"\(.end.sum_received.bits_per_second / 1e6 | floor) Mbit/s, \(.end.sum_sent.retransmits // "?") retransmits"
		else "error: " + (.error // "?") end' "$f.json" 2>/dev/null)," \
	     "busy: $(cpubusy <(sed '/^--- after/,$d' "$f.stat") \
			<(sed '1,/^--- after/d' "$f.stat"))"
}

scenario_guard() {
	# the hub's variables, for the helpers shared with iso and rx
	local FAR_KIND=stock MON_DEV=wg0 HUB= OPS= MON= BK_DEV= TC_ON= TC_IFB=
	local RX_SCEN=guard RX_RATE=${GUARD_FLOOD:-$RX_OFFER} RX_LABELS=()
	local burst cfg t first=1 fb=${GUARD_BURSTS%% *}
	for burst in $GUARD_BURSTS; do
		for cfg in $GUARD_CONFIGS; do
			note "guard $cfg: rate $RATE burst $burst"
			TC_ON= TC_IFB=
			[ "$cfg" != stock-police ] || TC_ON=1
			[ "$cfg" != stock-ifb ] || TC_IFB=1
			if ! guard_setup "$cfg" "$burst"; then
				note "guard $cfg: setup failed (tunnel not up)"
				rec json '{"error":"setup failed"}' scenario=guard \
					config=$cfg burst=$burst what=setup
				hub_teardown
				continue
			fi
			for t in in1 in4 out1; do
				guard_tcp "$cfg" "$burst" $t
				sleep 1
			done
			if [ "$burst" = "$fb" ]; then
				RX_LABELS=(burst=$burst test=udp-flood)
				guard_rate "$cfg" "$GUARD_FLOOD_RATE" "$burst" ||
					note "guard $cfg: rate $GUARD_FLOOD_RATE not set"
				if [ "$first" = 1 ]; then
					scenario_rx "$cfg" sender
					first=0
				fi
				scenario_rx "$cfg"
			fi
			[ "$cfg" != wgplanes ] ||
				rec json "$(dut_wg "$HUB" show fleet0-backend --json)" \
					scenario=guard config=$cfg burst=$burst \
					what=wgplanes-show-after
			hub_teardown
		done
	done
}

# ----------------------------------------------------------------- main
# (a function, called on the last line: bash reads a script as it runs it,
# and the repository is live in the guest)

# hold_keys: the static keys that pings (receive timestamps) and nft
# switch stay on for the whole run, so that no kernel text is patched while
# a flood runs through it (see selftests/hold_keys.sh: under TCG such a
# switch crashed a guest once, stock-tc config, 6.12).
hold_keys() {
	"$(dirname "$0")/../../selftests/hold_keys.sh" &
	at_exit kill $!
	sleep 1
	kill -0 $! 2>/dev/null || note "static key holder did not start"
}

# hold_tc_keys: the same for tc's ingress hook, which the stock configs
# add and remove: an ingress qdisc with a filter in a namespace of its own.
hold_tc_keys() {
	local ns
	new_ns ns
	ip -n "$ns" link add k0 type veth peer name k1 &&
	ip netns exec "$ns" tc qdisc add dev k0 handle ffff: ingress &&
	ip netns exec "$ns" tc filter add dev k0 parent ffff: matchall \
		action pass || note "tc ingress key holder failed"
}

main() {
	hold_keys
	hold_tc_keys
	note "kernel $(uname -r), $(nproc) CPUs, S=${S}s, rate $RATE burst $BURST," \
		"rx offer $RX_OFFER, cmdline: $(cat /proc/cmdline)"
	rec json "$(jq -n --arg k "$(uname -r)" --arg c "$(cat /proc/cmdline)" \
		--argjson s "$S" --arg r "$RATE" --arg b "$BURST" --arg o "$RX_OFFER" \
		--arg u "$UDP_TARGET" --arg i "$PING_INTERVAL" --argjson n "$(nproc)" \
		--arg sc "$SCENARIOS" --arg cf "$CONFIGS" \
		--argjson hc "$HS_COUNT" --argjson ht "$HS_TIMEOUT" \
		--arg far "$FAR" --arg mp "$MGMT_POLICY" \
		--arg rb "$RATE_BPS" --arg gc "$GUARD_CONFIGS" \
		--arg gb "$GUARD_BURSTS" --arg gf "$GUARD_FLOOD" \
		--arg gfr "$GUARD_FLOOD_RATE" --arg gfb "$GUARD_FLOOD_RATE_BPS" \
		--argjson tr "$TPUT_ROUNDS" \
		'{kernel:$k, cmdline:$c, seconds:$s, rate:$r, burst:$b, rx_offer:$o,
		  udp_target:$u, ping_interval:$i, cpus:$n, scenarios:$sc,
		  configs:$cf, hs_count:$hc, hs_timeout_s:$ht, far:$far,
		  mgmt_policy:$mp, rate_bps:($rb | tonumber? // null),
		  guard_configs:$gc, guard_bursts:$gb,
		  guard_flood_bps:($gf | tonumber? // null),
		  guard_flood_rate:$gfr,
		  guard_flood_rate_bps:($gfb | tonumber? // null),
		  tput_rounds:$tr}')" what=params

	if has "$SCENARIOS" tput; then
		scenario_tput
	fi
	if has "$SCENARIOS" iso || has "$SCENARIOS" rx; then
		first=1
		for cfg in $CONFIGS; do
			note "hub: $cfg"
			if ! hub_setup "$cfg"; then
				note "hub $cfg: setup failed (tunnels not up)"
				rec json '{"error":"setup failed: tunnels not up"}' \
					scenario=iso config=$cfg what=setup
				hub_teardown
				continue
			fi
			if has "$SCENARIOS" iso; then
				scenario_iso "$cfg"
			fi
			if has "$SCENARIOS" rx; then
				if [ "$first" = 1 ]; then
					scenario_rx "$cfg" sender
					first=0
				fi
				scenario_rx "$cfg"
			fi
			if [ "$cfg" = wgplanes ]; then
				rec json "$(dut_wg "$HUB" show all --json)" \
					scenario=iso config=$cfg what=wgplanes-show-after
			fi
			hub_teardown
		done
	fi
	if has "$SCENARIOS" guard; then
		scenario_guard
	fi
	note "done"
	rec json "{\"elapsed_s\":$SECONDS}" what=end
	_run_cleanups
	sleep 0.3
	kmsg_clean || { note "kernel log not clean"; exit 1; }
	return 0
}

main "$@"; exit $?
