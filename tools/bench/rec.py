#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side recorder of "make bench": turns the raw output of one
# measurement (ping, iperf3 -J, /proc/stat snapshots, counters) into one JSON
# line and appends it to the records file. Labels come as KEY=VALUE words;
# the host (tools/bench/report.py) builds tables, the results JSON and plots
# from the records. Standard library only.
#
#   rec.py FILE ping  PINGOUT             [KEY=VALUE...]
#   rec.py FILE iperf IPERF.json          [KEY=VALUE...]
#   rec.py FILE cpu   STAT1 STAT2         [KEY=VALUE...]
#   rec.py FILE json  JSONTEXT            [KEY=VALUE...]
#   rec.py - stats PINGOUT    (print "p50 p99 max loss%" of a ping run)
import json
import re
import sys


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1,
                   int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
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


STAT_FIELDS = ["user", "nice", "system", "idle", "iowait", "irq",
               "softirq", "steal"]


def read_stat(path):
    cpus = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("cpu"):
                continue
            parts = line.split()
            cpus[parts[0]] = [int(x) for x in parts[1:1 + len(STAT_FIELDS)]]
    return cpus


def parse_cpu(path1, path2):
    a, b = read_stat(path1), read_stat(path2)
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


def labels(words):
    out = {}
    for w in words:
        k, _, v = w.partition("=")
        out[k] = v
    return out


def main():
    dest, kind = sys.argv[1], sys.argv[2]
    if kind == "stats":
        r = parse_ping(sys.argv[3])
        fmt = lambda v: "-" if v is None else "%.2f" % v
        print("%s %s %s %s" % (fmt(r["p50_ms"]), fmt(r["p99_ms"]),
                               fmt(r["max_ms"]), fmt(r["loss_pct"])))
        return
    if kind == "ping":
        data, rest = parse_ping(sys.argv[3]), sys.argv[4:]
    elif kind == "iperf":
        data, rest = parse_iperf(sys.argv[3]), sys.argv[4:]
    elif kind == "cpu":
        data, rest = parse_cpu(sys.argv[3], sys.argv[4]), sys.argv[5:]
    elif kind == "json":
        data, rest = json.loads(sys.argv[3]), sys.argv[4:]
    else:
        sys.exit("rec.py: unknown kind %s" % kind)
    rec = labels(rest)
    rec["kind"] = kind
    rec["data"] = data
    with open(dest, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
