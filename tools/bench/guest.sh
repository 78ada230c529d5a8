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
#         mgmt ping and TCP, idle and while backend is flooded (TCP and UDP,
#         both directions), for stock, stock + tc, wgplanes with policies
#   rx    receive-side flood: the backend peer sends UDP at a fixed rate
#         into the hub; CPU time of the VM, delivered rate and drops
#
# Every measurement becomes one JSON line in $VM_OUT/records.jsonl, its raw
# output a file in $VM_OUT/raw; tools/bench/report.py on the host parses
# them and makes the tables, the results JSON and the plot. A failing measurement is recorded as such
# and the run goes on; the script fails only when it cannot run at all.
#
# Environment: BENCH_SECONDS (per measurement, default 15), BENCH_QUICK=1
# (3 s measurements, a smoke run), BENCH_RATE / BENCH_BURST (the backend
# guard and the tc shaping, default 40mbit / 64k), BENCH_RX_OFFER (offered
# rate of the receive flood, default 100M), BENCH_SCENARIOS (default
# "tput iso rx"), BENCH_CONFIGS (default "stock stock-tc wgplanes").

TEST_NAME=bench
. "$(dirname "$0")/../../selftests/lib.sh"
. "$(dirname "$0")/../../selftests/lib_wg.sh"
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
else
	S=${BENCH_SECONDS:-15}
fi
RATE=${BENCH_RATE:-40mbit}
BURST=${BENCH_BURST:-64k}
RX_OFFER=${BENCH_RX_OFFER:-100M}
UDP_TARGET=${BENCH_UDP_TARGET:-2G}
UDP_LEN=1350		# fits the 1420 tunnel MTU: no fragments inside
PING_INTERVAL=${BENCH_PING_INTERVAL:-0.01}
SCENARIOS=${BENCH_SCENARIOS:-tput iso rx}
CONFIGS=${BENCH_CONFIGS:-stock stock-tc wgplanes}

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

# iperf_server NS PORT [CPU]: an iperf3 server in NS, killed at teardown.
SERVERS=()
iperf_server() {
	local ns=$1 port=$2 cpu=$3 pre=()
	[ -z "$cpu" ] || pre=(taskset -c "$cpu")
	ip netns exec "$ns" "${pre[@]}" iperf3 -s -p "$port" >/dev/null 2>&1 &
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

# iperf NS FILE ARGS...: an iperf3 client writing JSON to FILE; bounded in
# time even if the server vanishes.
iperf() {
	local ns=$1 file=$2
	shift 2
	timeout $((S + 40)) ip netns exec "$ns" iperf3 -J --connect-timeout 5000 \
		"$@" > "$file" 2>&1
}

# mping NS ADDR FILE: about S seconds of pings every PING_INTERVAL, one
# line per reply (the times are the samples). A count, not a deadline: a
# deadline would count the replies still in flight at its end as lost;
# the deadline only bounds a VM too slow to send them all.
mping() {
	local n
	n=$(awk -v s="$S" -v i="$PING_INTERVAL" 'BEGIN { print int(s / i) }')
	# SIGINT, not TERM, if it overruns: ping then prints what it has
	timeout -s INT $((2 * S + 30)) ip netns exec "$1" ping -n \
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
# busy CPU per CPU between two /proc/stat snapshots (FILE1 FILE2)
cpubusy() {
	awk '/^cpu/ { t = 0; for (i = 2; i <= 9; i++) t += $i; busy = t - $5 - $6
		if (FILENAME == ARGV[1]) { T[$1] = t; B[$1] = busy }
		else if (t > T[$1]) printf "%s %.0f%% ", $1, 100 * (busy - B[$1]) / (t - T[$1]) }' "$1" "$2"
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
scenario_tput() {
	local a b t impl addr f args
	note "tput: setting up"
	new_ns a
	new_ns b
	veth_link "$a" veth0 192.168.10.1/24 "$b" veth0 192.168.10.2/24 ||
		{ rec json '{"error":"veth setup failed"}' scenario=tput; return; }
	stock_create "$a" wg-s && stock_create "$b" wg-s &&
	wg_iface stock "$a" wg-s tput-sa 51830 10.90.0.1/24 &&
	wg_iface stock "$b" wg-s tput-sb 51830 10.90.0.2/24 &&
	wg_peer stock "$a" wg-s tput-sb 10.90.0.2/32 192.168.10.2:51830 &&
	wg_peer stock "$b" wg-s tput-sa 10.90.0.1/32 192.168.10.1:51830 ||
		note "tput: stock setup failed"
	dut_create "$a" fleet0 backend &&
	wg_iface dut "$a" fleet0-backend tput-pa 51831 10.91.0.1/24 &&
	stock_create "$b" wg-p &&
	wg_iface stock "$b" wg-p tput-pb 51831 10.91.0.2/24 &&
	wg_peer dut "$a" fleet0-backend tput-pb 10.91.0.2/32 192.168.10.2:51831 &&
	wg_peer stock "$b" wg-p tput-pa 10.91.0.1/32 192.168.10.1:51831 ||
		note "tput: wgplanes setup failed"
	iperf_server "$b" 5201
	for impl in veth stock wgplanes; do
		case $impl in
		veth) addr=192.168.10.2 ;;
		stock) addr=10.90.0.2 ;;
		wgplanes) addr=10.91.0.2 ;;
		esac
		tunnel_up "$a" "$addr" ||
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
		for impl in veth stock wgplanes; do
			case $impl in
			veth) addr=192.168.10.2 ;;
			stock) addr=10.90.0.2 ;;
			wgplanes) addr=10.91.0.2 ;;
			esac
			f=$RAW/tput-$t-$impl.json
			iperf "$a" "$f" -c "$addr" -p 5201 -t "$S" "${args[@]}"
			rec iperf "$f" scenario=tput test=$t impl=$impl
			note "tput $t $impl: $(mbps "$f")"
			sleep 1
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
# the monitoring namespace "mon"; each peer namespace on its own veth and
# running stock WireGuard. In the hub the two tunnels are
#   stock     two stock wireguard devices wg-mgmt, wg-backend
#   stock-tc  the same plus tc on wg-backend: egress tbf at RATE/BURST,
#             ingress police at RATE/BURST (drop)
#   wgplanes  a fleet: fleet0-backend "cpus 1 rate RATE burst BURST",
#             fleet0-mgmt "priority high"
HUB= OPS= MON= MGMT_DEV= BK_DEV= TC_ON=

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
	if [ "$cfg" = wgplanes ]; then
		kind=dut MGMT_DEV=fleet0-mgmt BK_DEV=fleet0-backend
		dut_create "$HUB" fleet0 mgmt && dut_create "$HUB" fleet0 backend ||
			return 1
	else
		MGMT_DEV=wg-mgmt BK_DEV=wg-backend
		stock_create "$HUB" wg-mgmt && stock_create "$HUB" wg-backend ||
			return 1
	fi
	note "hub $cfg: devices up, configuring"
	wg_iface $kind "$HUB" $MGMT_DEV hub-mgmt 51821 10.78.0.1/16 &&
	wg_iface $kind "$HUB" $BK_DEV hub-backend 51822 10.79.0.1/16 &&
	wg_peer $kind "$HUB" $MGMT_DEV ops 10.78.0.2/32 192.168.1.2:51820 &&
	wg_peer $kind "$HUB" $BK_DEV mon 10.79.0.2/32 192.168.2.2:51820 &&
	stock_create "$OPS" wg0 &&
	wg_iface stock "$OPS" wg0 ops 51820 10.78.0.2/16 &&
	wg_peer stock "$OPS" wg0 hub-mgmt 10.78.0.0/16 192.168.1.1:51821 &&
	stock_create "$MON" wg0 &&
	wg_iface stock "$MON" wg0 mon 51820 10.79.0.2/16 &&
	wg_peer stock "$MON" wg0 hub-backend 10.79.0.0/16 192.168.2.1:51822 ||
		return 1
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
		dut_wg "$HUB" set fleet0-mgmt priority high || return 1
		rec json "$(dut_wg "$HUB" show all --json)" \
			scenario=iso config=$cfg what=wgplanes-show-before
		;;
	esac
	ip netns exec "$HUB" nft -f - <<-EOT || return 1
	table inet bench {
		counter delivered {}
		chain input {
			type filter hook input priority 0;
			iifname "$BK_DEV" udp dport 5203 counter name delivered
		}
	}
	EOT
	note "hub $cfg: configured, starting servers"
	iperf_server "$HUB" 5201	# mgmt TCP
	iperf_server "$HUB" 5202	# backend flood
	iperf_server "$HUB" 5203 1	# receive flood (pinned to CPU 1)
	note "hub $cfg: waiting for the handshakes"
	tunnel_up "$OPS" 10.78.0.1 && tunnel_up "$MON" 10.79.0.1
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
# Its rate is taken from the hub's backend device counters over the
# measurement window (the iperf3 client is stopped early, so its own
# summary covers a different span).
FLOOD_PID=
flood_start() {
	local mode=$1 file=$2 args=(--bidir -P 2)
	[ "$mode" = udp ] && args+=(-u -b "$UDP_TARGET" -l "$UDP_LEN")
	ip netns exec "$MON" iperf3 -J --connect-timeout 5000 -c 10.79.0.1 \
		-p 5202 -t 3600 "${args[@]}" > "$file" 2>&1 &
	FLOOD_PID=$!
	sleep 3
}
flood_stop() {
	local i
	[ -n "$FLOOD_PID" ] || return 0
	kill -TERM "$FLOOD_PID" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$FLOOD_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$FLOOD_PID" 2>/dev/null
	wait "$FLOOD_PID" 2>/dev/null
	FLOOD_PID=
}
at_exit flood_stop

now() { date +%s.%N; }

scenario_iso() {
	local cfg=$1 phase f t0 t1 d0 d1
	for phase in idle tcp udp; do
		note "iso $cfg: $phase"
		if [ "$phase" != idle ]; then
			flood_start "$phase" "$RAW/iso-$cfg-$phase-flood.json"
		fi
		t0=$(now) d0=$(devstat "$HUB" "$BK_DEV")
		f=$RAW/iso-$cfg-$phase-ping.txt
		mping "$OPS" 10.78.0.1 "$f"
		rec ping "$f" scenario=iso config=$cfg phase=$phase metric=mgmt-ping
		note "iso $cfg $phase: mgmt ping p50 p99 max loss%: $(pstat "$f")"
		f=$RAW/iso-$cfg-$phase-tcp.json
		iperf "$OPS" "$f" -c 10.78.0.1 -p 5201 -t "$S"
		rec iperf "$f" scenario=iso config=$cfg phase=$phase metric=mgmt-tcp
		note "iso $cfg $phase: mgmt TCP $(mbps "$f")"
		t1=$(now) d1=$(devstat "$HUB" "$BK_DEV")
		rec json "$(jq -cn --argjson t0 "$t0" --argjson t1 "$t1" \
			--arg d0 "$d0" --arg d1 "$d1" '
			($d0 | split(" ") | map(tonumber)) as $a |
			($d1 | split(" ") | map(tonumber)) as $b |
			{seconds: ($t1 - $t0),
			 to_hub_mbps: (($b[0] - $a[0]) * 8 / ($t1 - $t0) / 1e6),
			 from_hub_mbps: (($b[1] - $a[1]) * 8 / ($t1 - $t0) / 1e6)}')" \
			scenario=iso config=$cfg phase=$phase metric=backend-rate
		if [ "$phase" != idle ]; then
			flood_stop
			rec iperf "$RAW/iso-$cfg-$phase-flood.json" scenario=iso \
				config=$cfg phase=$phase metric=backend-flood-iperf
			note "iso $cfg $phase: backend carried" \
			     "$(jq -r '.data | "\(.to_hub_mbps|floor) Mbit/s in, \(.from_hub_mbps|floor) Mbit/s out"' \
				< <(grep '"metric":"backend-rate"' "$RECORDS" | tail -n 1))"
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
	local rx police=null planes=null deliv mon rcvbuf t
	# the time first: the reads below are made in the same order at both
	# ends of the window, so start-to-start is the window they cover
	t=$(now)
	rx=$(ip -n "$HUB" -s -j link show dev "$BK_DEV" |
		jq -c '.[0].stats64.rx')
	mon=$(ip -n "$MON" -s -j link show dev wg0 | jq -c '.[0].stats64.tx')
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
	if [ "$BK_DEV" = fleet0-backend ]; then
		planes=$(dut_wg "$HUB" show "$BK_DEV" --json |
			jq -c '.planes[0].counters')
	fi
	printf '{"time":%s,"rx":%s,"sender_tx":%s,"delivered":%s,' \
		"$t" "${rx:-null}" "${mon:-null}" "${deliv:-null}"
	printf '"udp_rcvbuf_errors":%s,"police_dropped":%s,"plane_counters":%s}' \
		"${rcvbuf:-null}" "${police:-null}" "${planes:-null}"
}

# The receive flood: mon sends UDP at RX_OFFER through its tunnel to the
# hub until stopped. The sender (iperf3 client) is pinned to CPU 0, the
# receiving iperf3 server to CPU 1; /proc/stat and the counters are read at
# both ends of an S-second window once the flood runs. WireGuard's own
# kworkers cannot be pinned, so the sender's encryption shows on both CPUs:
# the "sender" baseline (the same flood, outer packets dropped by nft in the
# hub's prerouting before WireGuard sees them) measures what the sending
# side and the veth cost alone.
scenario_rx() {
	local cfg=$1 variant=${2:-$1} c1 c2 pid i
	note "rx $variant: UDP $RX_OFFER from mon into the hub"
	ip netns exec "$MON" taskset -c 0 iperf3 -c 10.79.0.1 -p 5203 -u \
		-b "$RX_OFFER" -l "$UDP_LEN" -t 3600 > "$RAW/rx-client.txt" 2>&1 &
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
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rec cpu "$RAW/stat" scenario=rx config=$variant metric=cpu
	rec json "{\"before\":$c1,\"after\":$c2}" scenario=rx config=$variant \
		metric=counters
	note "rx $variant: $(jq -rn --argjson a "$c1" --argjson b "$c2" '
		($b.time - $a.time) as $t |
		"offered \(($b.sender_tx.bytes - $a.sender_tx.bytes) * 8 / $t / 1e6 | floor) Mbit/s, delivered \(($b.delivered.bytes - $a.delivered.bytes) * 8 / $t / 1e6 | floor) Mbit/s"' 2>/dev/null),"\
	     "busy: $(cpubusy <(sed '/^--- after/,$d' "$RAW/stat") \
			<(sed '1,/^--- after/d' "$RAW/stat"))"
	sleep 1
}

# ----------------------------------------------------------------- main
# (a function, called on the last line: bash reads a script as it runs it,
# and the repository is live in the guest)

main() {
	note "kernel $(uname -r), $(nproc) CPUs, S=${S}s, rate $RATE burst $BURST," \
		"rx offer $RX_OFFER, cmdline: $(cat /proc/cmdline)"
	rec json "$(jq -n --arg k "$(uname -r)" --arg c "$(cat /proc/cmdline)" \
		--argjson s "$S" --arg r "$RATE" --arg b "$BURST" --arg o "$RX_OFFER" \
		--arg u "$UDP_TARGET" --arg i "$PING_INTERVAL" --argjson n "$(nproc)" \
		--arg sc "$SCENARIOS" --arg cf "$CONFIGS" \
		'{kernel:$k, cmdline:$c, seconds:$s, rate:$r, burst:$b, rx_offer:$o,
		  udp_target:$u, ping_interval:$i, cpus:$n, scenarios:$sc,
		  configs:$cf}')" what=params

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
	note "done"
	rec json "{\"elapsed_s\":$SECONDS}" what=end
	_run_cleanups
	sleep 0.3
	kmsg_clean || { note "kernel log not clean"; exit 1; }
	return 0
}

main "$@"; exit $?
