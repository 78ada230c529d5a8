#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Parsers of "make bench" and "make demo" for the raw outputs the guest
# keeps: ping (per-reply RTTs), iperf3 -J, pairs of /proc/stat snapshots,
# the fresh-handshake attempts of the isolation scenario.
# Used as a module by tools/bench/report.py; on the command line it prints
# one parse as JSON, or a ping summary for the demo. Standard library only.
#
#   parse.py ping FILE | iperf FILE | cpu FILE | hs FILE   (JSON on stdout)
#   parse.py stats PINGFILE                      ("p50 p99 max loss%", ms)
import json
import math
import re
import sys


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1,
                   math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def parse_ping(path):
    samples = []
    sent = received = None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"time[=<]([0-9.]+) ?ms", line)
            if m and "bytes from" in line:
                samples.append(float(m.group(1)))
                continue
            m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received",
                          line)
            if m:
                sent, received = int(m.group(1)), int(m.group(2))
    if sent is None:
        sent = received = len(samples)
    s = sorted(samples)
    return {
        "sent": sent,
        "received": received,
        "loss_pct": 100.0 * (sent - received) / sent if sent else None,
        "p50_ms": percentile(s, 50),
        "p90_ms": percentile(s, 90),
        "p99_ms": percentile(s, 99),
        "max_ms": s[-1] if s else None,
        "mean_ms": sum(s) / len(s) if s else None,
        "samples_ms": samples,
    }


def parse_iperf(path):
    try:
        with open(path, errors="replace") as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        return {"error": "no iperf3 JSON: %s" % e}
    if j.get("error") and "end" not in j:
        return {"error": j["error"]}
    end = j.get("end", {})
    test = j.get("start", {}).get("test_start", {})
    out = {
        "protocol": test.get("protocol"),
        "streams": test.get("num_streams"),
        "reverse": bool(test.get("reverse")),
        "bidir": bool(test.get("bidir")),
        "duration_s": test.get("duration"),
    }
    if j.get("error"):
        out["error"] = j["error"]
    snt, rcv = end.get("sum_sent", {}), end.get("sum_received", {})
    out["sent_mbps"] = snt.get("bits_per_second", 0) / 1e6 if snt else None
    out["received_mbps"] = rcv.get("bits_per_second", 0) / 1e6 if rcv else None
    if rcv:
        out["received_bytes"] = rcv.get("bytes")
        out["received_seconds"] = rcv.get("seconds")
    if "retransmits" in snt:
        out["retransmits"] = snt["retransmits"]
    if out["protocol"] == "UDP" and rcv:
        out["lost_packets"] = rcv.get("lost_packets")
        out["packets"] = rcv.get("packets")
        out["lost_pct"] = rcv.get("lost_percent")
    # with --bidir, the reverse direction is in *_bidir_reverse
    r_rcv = end.get("sum_received_bidir_reverse")
    if r_rcv:
        out["reverse_received_mbps"] = r_rcv.get("bits_per_second", 0) / 1e6
    cpu = end.get("cpu_utilization_percent")
    if cpu:
        out["cpu_host_total"] = cpu.get("host_total")
        out["cpu_remote_total"] = cpu.get("remote_total")
    return out


# A flooded attempt must see the flood's iperf3 alive and the hub's backend
# device carry at least this many bytes a second each way over it (the
# same bound as FLOOD_MIN in guest.sh, which starts the measurements).
FLOOD_MIN_BPS = 100000


def median(vals):
    s = sorted(vals)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def parse_handshakes(path):
    """The lines of mgmt_handshakes in guest.sh:
    start TIME RXB TXB RXP
    attempt N TIME RTT_MS|- LATEST_HANDSHAKE|- ALIVE(1|0|-) RXB TXB RXP
    An attempt completed if the first ping got a reply (its RTT: the
    handshake plus one round trip); the counters between two lines give
    the backend's rate over one attempt."""
    attempts = []
    prev = first = None
    num = lambda v, f=float: None if v == "-" else f(v)
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if w[:1] == ["start"] and len(w) >= 4:
                prev = first = (float(w[1]), int(w[2]), int(w[3]))
                continue
            if w[:1] != ["attempt"] or len(w) < 9:
                continue
            cur = (float(w[2]), int(w[6]), int(w[7]))
            a = {"n": int(w[1]), "rtt_ms": num(w[3]),
                 "latest_handshake": num(w[4], int),
                 "flood_alive": {"1": True, "0": False}.get(w[5])}
            if prev:
                dt = cur[0] - prev[0]
                a["seconds"] = round(dt, 3)
                a["backend_to_hub_mbps"] = round(
                    (cur[1] - prev[1]) * 8 / dt / 1e6, 2) if dt > 0 else None
                a["backend_from_hub_mbps"] = round(
                    (cur[2] - prev[2]) * 8 / dt / 1e6, 2) if dt > 0 else None
                a["flooded"] = bool(
                    a["flood_alive"] and dt > 0 and
                    min(cur[1] - prev[1], cur[2] - prev[2]) / dt >=
                    FLOOD_MIN_BPS)
            attempts.append(a)
            prev = cur
    times = [a["rtt_ms"] for a in attempts if a["rtt_ms"] is not None]
    out = {
        "attempted": len(attempts),
        "completed": len(times),
        # a handshake without the reply in time (not counted completed)
        "handshake_no_reply": sum(1 for a in attempts if a["rtt_ms"] is None
                                  and a["latest_handshake"]),
        "median_ms": median(times),
        "max_ms": max(times) if times else None,
        "times_ms": times,
        "flooded_attempts": sum(1 for a in attempts if a.get("flooded")),
        "attempts": attempts,
    }
    if first and prev and prev[0] > first[0]:
        dt = prev[0] - first[0]
        out["window_s"] = round(dt, 3)
        out["backend_to_hub_mbps"] = round((prev[1] - first[1]) * 8 / dt / 1e6,
                                           2)
        out["backend_from_hub_mbps"] = round(
            (prev[2] - first[2]) * 8 / dt / 1e6, 2)
    return out


STAT_FIELDS = ["user", "nice", "system", "idle", "iowait", "irq",
               "softirq", "steal"]


def read_stat(lines):
    cpus = {}
    for line in lines:
        if not line.startswith("cpu"):
            continue
        parts = line.split()
        cpus[parts[0]] = [int(x) for x in parts[1:1 + len(STAT_FIELDS)]]
    return cpus


def parse_cpu_pair(path):
    """A file with two /proc/stat snapshots separated by '--- after'."""
    with open(path) as f:
        text = f.read()
    before, _, after = text.partition("--- after")
    return cpu_delta(read_stat(before.splitlines()),
                     read_stat(after.splitlines()))


def parse_cpu(path1, path2):
    with open(path1) as f1, open(path2) as f2:
        return cpu_delta(read_stat(f1), read_stat(f2))


def cpu_delta(a, b):
    out = {}
    for cpu in sorted(a):
        d = [y - x for x, y in zip(a[cpu], b[cpu])]
        total = sum(d) or 1
        rec = {name: round(100.0 * v / total, 2)
               for name, v in zip(STAT_FIELDS, d)}
        rec["busy_pct"] = round(100.0 * (total - d[3] - d[4]) / total, 2)
        rec["jiffies"] = total
        out["all" if cpu == "cpu" else cpu] = rec
    return {"cpu": out}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "stats":
        r = parse_ping(path)
        fmt = lambda v: "-" if v is None else "%.2f" % v
        print("%s %s %s %s" % (fmt(r["p50_ms"]), fmt(r["p99_ms"]),
                               fmt(r["max_ms"]), fmt(r["loss_pct"])))
        return
    parsers = {"ping": parse_ping, "iperf": parse_iperf,
               "cpu": parse_cpu_pair, "hs": parse_handshakes}
    if kind not in parsers:
        sys.exit("parse.py: unknown kind %s" % kind)
    json.dump(parsers[kind](path), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
