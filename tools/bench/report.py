#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Host side of "make bench": reads the records the guest wrote
# (records.jsonl and raw/), prints the tables, writes the results JSON and the
# mgmt latency plot (gnuplot). Standard library only.
#
#   report.py --records RAW/records.jsonl --json OUT.json --png OUT.png
#             [--meta KEY=VALUE]...
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parse  # noqa: E402  (the parsers, shared with the demo)

TPUT_TESTS = ["tcp1", "tcp1-rev", "tcp4", "udp"]
TPUT_IMPLS = ["veth", "stock", "wgplanes"]
ISO_CONFIGS = ["stock", "stock-tc", "wgplanes"]
ISO_PHASES = ["idle", "tcp", "udp"]
RX_CONFIGS = ["sender", "stock", "stock-tc", "wgplanes"]
GUARD_CONFIGS = ["stock-police", "stock-ifb", "wgplanes"]
GUARD_TESTS = ["in1", "in4", "out1"]
GUARD_TITLES = {"in1": "TCP in, 1", "in4": "TCP in, 4", "out1": "TCP out, 1"}
# USER_HZ of /proc/stat
HZ = 100.0

TEST_TITLES = {
    "tcp1": "TCP, 1 stream",
    "tcp1-rev": "TCP, 1 stream, reverse (-R)",
    "tcp4": "TCP, 4 streams (-P 4)",
    "udp": "UDP (-u, high target)",
}

METHOD = {
    "environment": "one qemu TCG guest (-smp 2, 2 GiB) booted with "
                   "idle=poll tsc=reliable; all namespaces, both ends of "
                   "every tunnel and the load generators share its 2 vCPUs; "
                   "absolute numbers are TCG numbers, compare only within "
                   "one run (ratios)",
    "throughput": "namespaces A and B on one veth; iperf3 client in A, "
                  "server in B; paths: raw veth, stock wg <-> stock wg, "
                  "wgplanes plane (A) <-> stock wg (B); tcp1-rev sends "
                  "B -> A; UDP -l 1350 with a high -b target, received "
                  "rate and loss as reported by the iperf3 server; each "
                  "test runs the veth once, then params.tput_rounds rounds "
                  "of stock and wgplanes one after the other (every other "
                  "round wgplanes first); the values of an implementation "
                  "are means over its rounds, ratio_wgplanes_stock the "
                  "mean of the per-round ratios "
                  "(ratio_wgplanes_stock_rounds)",
    "isolation": "hub namespace with a mgmt tunnel to 'ops' and a backend "
                 "tunnel to 'mon' (one veth each; far ends per "
                 "params.far: 'pinned' = a wgplanes plane with cpus 0 "
                 "in ops and cpus 1 in mon, ops's ping/iperf3 and the "
                 "hub's mgmt server on CPU 0, mon's iperf3 and the hub's "
                 "flood server on CPU 1, in every config; 'stock' = "
                 "stock wg, unpinned); "
                 "mgmt ping from ops every ping_interval for S seconds "
                 "(per-reply RTT, nearest-rank percentiles), then mgmt "
                 "iperf3 TCP ops -> hub for S seconds; floods: iperf3 "
                 "--bidir -P 2 between mon and the hub's backend address "
                 "(TCP, and UDP at udp_target per stream), the mgmt "
                 "measurements start once the hub's backend device "
                 "carries >= 100 kB/s each way; configs: stock (two wg "
                 "devices), stock-tc (plus tbf egress and matchall police "
                 "ingress on wg-backend at rate/burst), wgplanes (fleet "
                 "planes, backend 'cpus 1 rate R burst B', mgmt "
                 "params.mgmt_policy); mgmt handshakes: after the ping and "
                 "TCP of each phase, with the flood still on, hs_count "
                 "times: ops (the initiator in every config) "
                 "removes and re-adds its hub peer ('set DEV peer K "
                 "remove', then the same peer, allowed-ips and endpoint) "
                 "and sends one ping to the hub's mgmt address; the echo "
                 "request waits for the handshake, so its reply's RTT "
                 "(ping's clock) is handshake + one round trip; no reply "
                 "in hs_timeout_s is a failure; an attempt counts as "
                 "flooded when the flood's iperf3 was alive after it and "
                 "the hub's backend device carried >= 100 kB/s each way "
                 "over it",
    "rx_flood": "mon sends UDP at rx_offer (fixed offered rate, iperf3 "
                "-u -b, 1350-byte datagrams) through its tunnel into the "
                "hub until stopped; iperf3 client pinned to CPU 0, iperf3 "
                "server to CPU 1; once it runs, /proc/stat and counters are "
                "read at both ends of an S-second window; busy = all but "
                "idle and iowait; offered = the sender's tunnel tx bytes, "
                "delivered = bytes reaching the hub's nft input hook for the "
                "server port (after tc ingress). WireGuard's kworkers cannot "
                "be pinned, so the sender's encryption shows on both CPUs: "
                "the 'sender' row is the same flood with the outer packets "
                "dropped by nft in the hub's prerouting (raw priority) "
                "before any WireGuard receive work, and 'receive cost' = "
                "busy - busy(sender). An estimate: the sender's own cost is "
                "not constant when the receiver competes for the same CPUs; "
                "accounted_pct checks that the guest's tick accounting "
                "covered the window (a starved vCPU loses ticks)",
    "throughput_cpu": "the VM's /proc/stat around each iperf3 run (both "
                      "ends and iperf3 itself, process start included); "
                      "cpu_ms_per_mbit = busy CPU-milliseconds of the window "
                      "/ Mbit received by iperf3; ratio_cpu_wgplanes_stock "
                      "compares the same test in the same VM",
    "guard": "a guarded host ('hub') and its peer ('mon', stock WireGuard, "
             "unpinned) on one veth; the hub's tunnel is limited to "
             "params.rate with each burst of params.guard_bursts: "
             "wgplanes = a plane with 'rate R burst B'; stock-police = "
             "stock wg + tbf egress (rate R burst B latency 50ms) + "
             "ingress matchall police rate R burst B drop; stock-ifb = "
             "stock wg + the same tbf egress + ingress redirected (mirred) "
             "to ifb0 with tbf rate R burst B latency 50ms; iperf3 TCP for "
             "S seconds with the client on the sending side: in1/in4 mon "
             "-> hub (1/4 streams), out1 hub -> mon; fraction_of_rate = "
             "iperf3 received goodput / R (headers and WireGuard overhead "
             "excluded, so a full R is about 0.94-0.96); retransmits = "
             "iperf3 sum_sent.retransmits, segments = the sending "
             "namespace's Tcp OutSegs + RetransSegs over the run, "
             "retrans_pct = retransmits / segments; busy = the whole VM "
             "(both ends: it cannot be split, stock WireGuard's workers "
             "run on every CPU); flood = the rx_flood method at "
             "params.guard_flood_bps into the hub, at the first burst, "
             "with the limiters set to params.guard_flood_rate first; "
             "receive_cost_cores = busy - busy(sender baseline)",
}


# the parser of each kind of raw output
PARSERS = {"ping": parse.parse_ping, "iperf": parse.parse_iperf,
           "cpu": parse.parse_cpu_pair, "hs": parse.parse_handshakes}


def load(path):
    """The records; raw outputs the guest kept are parsed here."""
    base = os.path.dirname(os.path.abspath(path))
    recs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except ValueError as e:
                print("report: %s:%d: bad record (%s)" % (path, n, e),
                      file=sys.stderr)
                continue
            fn = r.get("file")
            if fn:
                fn = os.path.join(base, fn)
                try:
                    if r.get("kind") in PARSERS:
                        r["data"] = PARSERS[r["kind"]](fn)
                except (OSError, ValueError) as e:
                    r["data"] = {"error": "cannot parse %s: %s" % (fn, e)}
            recs.append(r)
    return recs


def find(recs, **kw):
    for r in recs:
        if all(r.get(k) == v for k, v in kw.items()):
            return r.get("data")
    return None


def rnd(v, n=2):
    return None if v is None else round(v, n)


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return round(a / b, 3)


def delta(before, after, path):
    def get(d):
        for k in path:
            if not isinstance(d, dict):
                return None
            d = d.get(k)
        return d
    a, b = get(before), get(after)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return b - a
    return None


# The isolation criteria of DESIGN.md for wgplanes: (key of a flooded
# phase, what, bound, met).
TARGETS = [
    ("p99_vs_idle", "mgmt p99 under %s flood <= 1.5x idle p99", 1.5,
     lambda v, b: v <= b),
    ("tcp_vs_idle", "mgmt TCP under %s flood >= 0.9x idle", 0.9,
     lambda v, b: v >= b),
    ("handshakes_completed", "mgmt handshakes under %s flood: all complete "
     "(fraction)", 1.0, lambda v, b: v >= b),
]


def targets(w):
    out = []
    for ph in ("tcp", "udp"):
        for key, what, bound, ok in TARGETS:
            v = w.get(ph, {}).get(key)
            out.append({"target": "wgplanes " + what % ph, "value": v,
                        "pass": None if v is None else ok(v, bound)})
    return out


def cpu_cost(cpu, ip, ncpu):
    """The VM's busy CPUs over a /proc/stat pair and, with the iperf3
    parse IP of the same window, busy CPU-milliseconds per Mbit received."""
    out = {}
    allc = (cpu or {}).get("cpu", {}).get("all")
    if not allc:
        return out
    busy_s = allc["jiffies"] * allc["busy_pct"] / 100.0 / HZ
    out["busy_cores"] = rnd(allc["busy_pct"] * ncpu / 100.0, 3)
    out["cpu_s"] = rnd(busy_s, 3)
    mbit = (ip or {}).get("received_bytes")
    if mbit:
        out["cpu_ms_per_mbit"] = rnd(1000.0 * busy_s / (mbit * 8 / 1e6), 3)
    return out


def tput_rounds(recs, t, ncpu):
    """One tput test's measurements: {impl: {round: entry}}. Records
    without a round (older runs) are round 1."""
    out = {}
    for r in recs:
        if r.get("scenario") != "tput" or r.get("test") != t or \
           r.get("impl") not in TPUT_IMPLS or \
           r.get("kind") not in ("iperf", "cpu"):
            continue
        n = int(r.get("round") or 1)
        out.setdefault(r["impl"], {}).setdefault(n, {})[r["kind"]] = \
            r.get("data")
    res = {}
    for impl, rounds in out.items():
        for n, m in rounds.items():
            d = m.get("iperf")
            if d is None:
                continue
            e = {k: d.get(k) for k in ("received_mbps", "sent_mbps",
                                       "lost_pct", "retransmits", "error")
                 if k in d}
            e.update(cpu_cost(m.get("cpu"), d, ncpu))
            res.setdefault(impl, {})[n] = e
    return res


def mean(vs):
    vs = [v for v in vs if v is not None]
    return sum(vs) / len(vs) if vs else None


def span(vs):
    """The range of a list of ratios, as the table shows it."""
    vs = [v for v in vs or [] if v is not None]
    if not vs:
        return "-"
    if len(vs) == 1:
        return "%.2f" % vs[0]
    return "%.2f-%.2f" % (min(vs), max(vs))


def tput_row(recs, t, ncpu):
    """One tput test: each implementation's mean over its rounds, and the
    plane's ratios to stock, per round (the two ran one after the other)
    and their mean, the ratio the targets are about."""
    rounds = tput_rounds(recs, t, ncpu)
    row = {}
    for impl, rs in rounds.items():
        e = {}
        for k in ("received_mbps", "sent_mbps", "lost_pct", "retransmits",
                  "busy_cores", "cpu_s", "cpu_ms_per_mbit"):
            v = mean(r.get(k) for r in rs.values())
            if v is not None:
                e[k] = rnd(v, 3)
        errs = [r["error"] for r in rs.values() if r.get("error")]
        if errs:
            e["error"] = errs[0]
        e["rounds"] = len(rs)
        row[impl] = e
    if not row:
        return None
    st, wg = rounds.get("stock", {}), rounds.get("wgplanes", {})
    both = sorted(set(st) & set(wg))
    rr = [ratio(wg[n].get("received_mbps"), st[n].get("received_mbps"))
          for n in both]
    rc = [ratio(wg[n].get("cpu_ms_per_mbit"), st[n].get("cpu_ms_per_mbit"))
          for n in both]
    row["ratio_wgplanes_stock"] = rnd(mean(rr), 3)
    row["ratio_wgplanes_stock_rounds"] = rr
    row["ratio_cpu_wgplanes_stock"] = rnd(mean(rc), 3)
    rm = {i: row.get(i, {}).get("received_mbps") for i in TPUT_IMPLS}
    row["ratio_stock_veth"] = ratio(rm["stock"], rm["veth"])
    row["ratio_wgplanes_veth"] = ratio(rm["wgplanes"], rm["veth"])
    return row


def rx_entry(recs, ncpu, **labels):
    """One receive flood (scenario_rx in guest.sh): CPU and counters."""
    cfg = labels["config"]
    cpu = find(recs, metric="cpu", **labels)
    cn = find(recs, metric="counters", **labels)
    if cpu is None:
        return None
    e = {"cpu": cpu.get("cpu")}
    allc = e["cpu"].get("all", {})
    e["busy_cores"] = rnd(allc.get("busy_pct", 0) * ncpu / 100.0, 3)
    e["softirq_cores"] = rnd(allc.get("softirq", 0) * ncpu / 100.0, 3)
    e["system_cores"] = rnd(allc.get("system", 0) * ncpu / 100.0, 3)
    if cn:
        b, a = cn.get("before"), cn.get("after")
        dt = delta(b, a, ["time"])
        e["window_s"] = rnd(dt)
        if dt:
            # one CPU's jiffies at USER_HZ 100 over the window: a check
            # that the guest's time accounting saw the whole window
            e["accounted_pct"] = rnd(100.0 * allc.get("jiffies", 0) /
                                     ncpu / (dt * HZ), 1)

        def mbps(path):
            v = delta(b, a, path)
            return None if v is None or not dt else rnd(v * 8 / dt / 1e6)
        e["offered_mbps"] = mbps(["sender_tx", "bytes"])
        e["plane_rx_mbps"] = mbps(["rx", "bytes"])
        if cfg != "sender":
            e["delivered_mbps"] = mbps(["delivered", "bytes"])
            sent = delta(b, a, ["sender_tx", "packets"])
            got = delta(b, a, ["delivered", "packets"])
            if sent:
                e["lost_pct"] = rnd(100.0 * (sent - (got or 0)) / sent)
        e["sender_packets"] = delta(b, a, ["sender_tx", "packets"])
        e["delivered_packets"] = delta(b, a, ["delivered", "packets"])
        e["rx_packets"] = delta(b, a, ["rx", "packets"])
        e["rx_dropped"] = delta(b, a, ["rx", "dropped"])
        e["udp_rcvbuf_errors"] = delta(b, a, ["udp_rcvbuf_errors"])
        if cfg != "sender":
            e.update(drops(b, a))
    return e


def drops(b, a):
    """The drop counters of the hub's limiter between two counters()."""
    out = {}
    for k in ("police_dropped", "ifb_dropped"):
        v = delta(b, a, [k])
        if v is not None:
            out[k] = v
    for k in ("drop_rx_rate", "rx_shaped", "drop_rx_junk"):
        v = delta(b, a, ["plane_counters", k])
        if v is not None:
            out[k] = v
    return out


def rx_cost(flood):
    """receive_cost_cores of each flood entry: busy - busy(sender); and
    receive_cost_scaled_cores: busy - the sender's busy per Mbit/s times
    the Mbit/s this entry's sender offered (a sender that cannot reach
    the offered rate gets less CPU when the receiver takes more)."""
    snd = flood.get("sender", {})
    base, bo = snd.get("busy_cores"), snd.get("offered_mbps")
    for cfg, e in flood.items():
        if cfg == "sender" or base is None or e.get("busy_cores") is None:
            continue
        e["receive_cost_cores"] = rnd(e["busy_cores"] - base, 3)
        if bo and e.get("offered_mbps") is not None:
            e["receive_cost_scaled_cores"] = rnd(
                e["busy_cores"] - base * e["offered_mbps"] / bo, 3)


def guard(recs, params, ncpu):
    """The guard scenario: per config and burst the TCP runs, the flood."""
    rate = params.get("rate_bps")
    bursts = (params.get("guard_bursts") or "").split()
    out = {"rate_bps": rate, "bursts": bursts,
           "flood_offered_bps": params.get("guard_flood_bps"),
           "flood_rate_bps": params.get("guard_flood_rate_bps"),
           "configs": {}, "flood": {}}
    for cfg in GUARD_CONFIGS:
        c = {}
        for burst in bursts:
            lab = {"scenario": "guard", "config": cfg, "burst": burst}
            err = find(recs, what="setup", **lab)
            runs = {}
            if err:
                runs["error"] = err.get("error")
            for t in GUARD_TESTS:
                ip = find(recs, kind="iperf", test=t, **lab)
                if ip is None:
                    continue
                cpu = find(recs, kind="cpu", test=t, **lab)
                cn = find(recs, metric="counters", test=t, **lab) or {}
                b, a = cn.get("before"), cn.get("after")
                e = {k: ip.get(k) for k in
                     ("received_mbps", "sent_mbps", "retransmits", "error")
                     if k in ip}
                if rate and ip.get("received_mbps") is not None:
                    e["fraction_of_rate"] = rnd(
                        ip["received_mbps"] * 1e6 / rate, 3)
                # the sending namespace: mon into the hub, the hub out
                side = "tcp_hub" if t.startswith("out") else "tcp_peer"
                segs = delta(b, a, [side, "OutSegs"])
                rs = delta(b, a, [side, "RetransSegs"])
                if segs is not None and rs is not None:
                    e["segments"] = segs + rs
                    e["snmp_retrans_segs"] = rs
                    if e.get("retransmits") is not None and segs + rs:
                        e["retrans_pct"] = rnd(
                            100.0 * e["retransmits"] / (segs + rs), 3)
                e.update(cpu_cost(cpu, ip, ncpu))
                e.update(drops(b, a))
                runs[t] = e
            if runs:
                c[burst] = runs
        if c:
            out["configs"][cfg] = c
    # CPU per Mbit against stock + police, the same burst and test
    pol = out["configs"].get("stock-police", {})
    for cfg, c in out["configs"].items():
        for burst, runs in c.items():
            for t, e in runs.items():
                if not isinstance(e, dict):
                    continue
                ref = pol.get(burst, {}).get(t, {})
                e["ratio_cpu_per_mbit_vs_police"] = ratio(
                    e.get("cpu_ms_per_mbit"), ref.get("cpu_ms_per_mbit"))
                e["ratio_rate_vs_police"] = ratio(
                    e.get("received_mbps"), ref.get("received_mbps"))
    fl = {}
    for cfg in ["sender"] + GUARD_CONFIGS:
        e = rx_entry(recs, ncpu, scenario="guard", config=cfg,
                     test="udp-flood")
        if e is not None:
            fl[cfg] = e
    rx_cost(fl)
    ref = fl.get("stock-police", {})
    for cfg, e in fl.items():
        if cfg == "sender":
            continue
        e["ratio_rx_cost_vs_police"] = ratio(e.get("receive_cost_cores"),
                                             ref.get("receive_cost_cores"))
        e["ratio_rx_cost_scaled_vs_police"] = ratio(
            e.get("receive_cost_scaled_cores"),
            ref.get("receive_cost_scaled_cores"))
    out["flood"] = fl
    return out


def guard_targets(g):
    """The guard's benchmark targets (issue 14), for wgplanes."""
    out = []
    wg = g.get("configs", {}).get("wgplanes", {})
    for burst in g.get("bursts", []):
        for t in ("in1", "in4"):
            e = wg.get(burst, {}).get(t)
            if not e:
                continue
            v = e.get("fraction_of_rate")
            out.append({"target": "wgplanes TCP in (%s stream%s, burst %s) "
                        ">= 0.9x rate" % (t[2:], "" if t == "in1" else "s",
                                          burst),
                        "value": v, "pass": None if v is None else v >= 0.9})
            v = e.get("retrans_pct")
            out.append({"target": "wgplanes TCP in (%s stream%s, burst %s) "
                        "retransmits < 1%% of segments" %
                        (t[2:], "" if t == "in1" else "s", burst),
                        "value": v, "pass": None if v is None else v < 1.0})
    e = g.get("flood", {}).get("wgplanes")
    if e:
        v = e.get("ratio_rx_cost_scaled_vs_police")
        pol = g.get("flood", {}).get("stock-police", {})
        t = {"target": "wgplanes receive cost (scaled) under the UDP "
             "flood <= 0.5x stock + tc police"}
        # Police's cost at or below zero: the sender's baseline cost more
        # than a config with the receiver too, which is the host's noise,
        # and nothing is measured. The plane's alone at or below zero:
        # its cost is below that noise, the ratio is at most about 0.
        if (pol.get("receive_cost_scaled_cores") or 0) <= 0:
            v = None
        elif v is not None and v <= 0:
            t["note"] = "the plane's cost is within the sender baseline's noise"
        t.update({"value": v, "pass": None if v is None else v <= 0.5})
        out.append(t)
    return out



def build(recs, meta):
    res = {"meta": meta, "method": METHOD}
    params = find(recs, what="params") or {}
    res["params"] = params
    end = find(recs, what="end") or {}
    res["meta"]["guest_elapsed_s"] = end.get("elapsed_s")
    ncpu = params.get("cpus") or 2

    # ---- throughput
    tp = {}
    for t in TPUT_TESTS:
        row = tput_row(recs, t, ncpu)
        if row:
            tp[t] = row
    res["throughput"] = tp

    # ---- isolation
    iso = {}
    for cfg in ISO_CONFIGS:
        c = {}
        err = find(recs, scenario="iso", config=cfg, what="setup")
        if err:
            c["error"] = err.get("error")
        for ph in ISO_PHASES:
            def get(metric):
                return find(recs, scenario="iso", config=cfg, phase=ph,
                            metric=metric)
            p, t, hs = get("mgmt-ping"), get("mgmt-tcp"), get("mgmt-handshake")
            fl, fi = get("backend-rate"), get("backend-flood-iperf")
            fs = get("flood-start")
            if p is None and t is None and hs is None:
                continue
            e = {}
            if p is not None:
                e["ping"] = {k: (rnd(v, 3) if isinstance(v, float) else v)
                             for k, v in p.items() if k != "samples_ms"}
                e["ping"]["samples_ms"] = p.get("samples_ms", [])
            if t is not None:
                e["tcp_mbps"] = rnd(t.get("received_mbps"))
                if t.get("error"):
                    e["tcp_error"] = t["error"]
            if fl is not None and ph != "idle":
                e["flood"] = {
                    "to_hub_mbps": rnd(fl.get("to_hub_mbps")),
                    "from_hub_mbps": rnd(fl.get("from_hub_mbps")),
                    "window_s": rnd(fl.get("seconds")),
                }
                if fi and fi.get("error"):
                    e["flood"]["iperf_error"] = fi["error"]
                if fs is not None:
                    e["flood"]["started"] = fs.get("running")
                    e["flood"]["start_wait_s"] = fs.get("waited_s")
            if hs is not None:
                h = dict(hs)
                h["timeout_s"] = params.get("hs_timeout_s")
                if ph == "idle":
                    h.pop("flooded_attempts", None)
                e["handshake"] = h
            c[ph] = e
        for ph in ISO_PHASES:
            h = c.get(ph, {}).get("handshake")
            if h and h.get("attempted"):
                c[ph]["handshakes_completed"] = ratio(h["completed"],
                                                      h["attempted"])
            if ph == "idle" or ph not in c or "idle" not in c:
                continue
            ip99 = c["idle"].get("ping", {}).get("p99_ms")
            fp99 = c[ph].get("ping", {}).get("p99_ms")
            c[ph]["p99_vs_idle"] = ratio(fp99, ip99)
            c[ph]["tcp_vs_idle"] = ratio(c[ph].get("tcp_mbps"),
                                         c["idle"].get("tcp_mbps"))
        if c:
            iso[cfg] = c
    res["isolation"] = iso
    res["targets"] = targets(iso.get("wgplanes", {}))

    # ---- receive flood
    rx = {}
    for cfg in RX_CONFIGS:
        e = rx_entry(recs, ncpu, scenario="rx", config=cfg)
        if e is not None:
            rx[cfg] = e
    rx_cost(rx)
    res["rx_flood"] = rx
    res["guard"] = guard(recs, params, ncpu)
    res["guard"]["targets"] = guard_targets(res["guard"])
    res["targets"] += res["guard"]["targets"]
    res["wgplanes_show"] = {
        "before": find(recs, scenario="iso", config="wgplanes",
                       what="wgplanes-show-before"),
        "after": find(recs, scenario="iso", config="wgplanes",
                      what="wgplanes-show-after"),
    }
    return res


def fmt(v, spec="%.1f", none="-"):
    return none if v is None else spec % v


def cols(widths, cells):
    """One table line; a negative width left-aligns."""
    return " ".join("%*s" % (w, c) for w, c in zip(widths, cells)).rstrip()


def rates(d, prefix=""):
    """"in/out" Mbit/s of the backend, "-" without a flood."""
    if not d:
        return "-"
    return "%s/%s" % (fmt(d.get(prefix + "to_hub_mbps"), "%.0f"),
                      fmt(d.get(prefix + "from_hub_mbps"), "%.0f"))


def iso_rows(res):
    """(config, phase, entry) of the isolation results, in table order."""
    for cfg in ISO_CONFIGS:
        c = res["isolation"].get(cfg)
        if not c:
            continue
        if c.get("error"):
            yield cfg, None, c
        for ph in ISO_PHASES:
            if c.get(ph):
                yield cfg, ph, c[ph]


def iso_table(res):
    p = res["params"]
    far = p.get("far", "stock")
    out = ["b. isolation: mgmt while backend is flooded "
           "(ping ms; TCP Mbit/s; flood Mbit/s to/from hub)",
           "   far ends: %s; wgplanes mgmt policy: %s" %
           ("wgplanes planes, ops on CPU 0, mon on CPU 1, apps pinned"
            if far == "pinned" else "stock WireGuard, unpinned",
            p.get("mgmt_policy", "priority high"))]
    w = (-9, -5, 7, 7, 7, 6, 7, 8, 7, 13)
    out.append(cols(w, ("config", "flood", "p50", "p99", "max", "loss%",
                        "p99/idl", "mgmt TCP", "TCP/idl", "backend")))
    notes = []
    for cfg, ph, e in iso_rows(res):
        if ph is None:
            out.append("%-9s %s" % (cfg, e["error"]))
            continue
        pg = e.get("ping", {})
        fl = e.get("flood") or {}
        if fl.get("started") is False:
            notes.append("  %s %s: the flood did not flow when the "
                         "measurements started" % (cfg, ph))
        # (stopping the flood interrupts it: that is no error)
        if fl.get("iperf_error") and "interrupt" not in fl["iperf_error"]:
            notes.append("  %s %s: flood iperf3: %s" %
                         (cfg, ph, fl["iperf_error"]))
        out.append(cols(w, (
            cfg, ph, fmt(pg.get("p50_ms"), "%.2f"),
            fmt(pg.get("p99_ms"), "%.2f"), fmt(pg.get("max_ms"), "%.1f"),
            fmt(pg.get("loss_pct"), "%.1f"),
            fmt(e.get("p99_vs_idle"), "%.2fx"),
            fmt(e.get("tcp_mbps"), "%.0f"),
            fmt(e.get("tcp_vs_idle"), "%.2f"), rates(fl))))
    out.extend(notes)
    out.append("")
    out.append("   mgmt handshakes: fresh session each (ops initiates; "
               "the hub responds), timeout %s s; ms = handshake + one "
               "round trip" % res["params"].get("hs_timeout_s", "?"))
    w = (-9, -5, 7, 9, 9, 8, 13)
    out.append(cols(w, ("config", "flood", "done", "median", "max",
                        "flooded", "backend")))
    n = len(out)
    for cfg, ph, e in iso_rows(res):
        h = e.get("handshake") if ph else None
        if not h:
            continue
        out.append(cols(w, (
            cfg, ph, "%d/%d" % (h["completed"], h["attempted"]),
            fmt(h.get("median_ms"), "%.1f"), fmt(h.get("max_ms"), "%.1f"),
            "-" if ph == "idle" else "%d/%d" % (h.get("flooded_attempts", 0),
                                                h["attempted"]),
            "-" if ph == "idle" else rates(h, "backend_"))))
    if len(out) == n:
        out.append("   (not measured)")
    out.append("   flooded: attempts during which the flood ran (iperf3 "
               "alive, backend >= 100 kB/s each way)")
    return out


def table(res):
    out = []
    p = res["params"]
    m = res["meta"]
    out.append("wgplanes bench — kernel %s, %s, commit %s" %
               (p.get("kernel", m.get("kver")), m.get("date"),
                m.get("git_commit")))
    out.append("%s s per measurement, backend guard/tc rate %s burst %s, "
               "receive flood %s, UDP target %s, ping every %s s" %
               (p.get("seconds"), p.get("rate"), p.get("burst"),
                p.get("rx_offer"), p.get("udp_target"),
                p.get("ping_interval")))
    la = str(m.get("host_loadavg_start", "")).split()
    if la and m.get("host_nproc") and float(la[0]) > float(m["host_nproc"]):
        out.append("WARNING: host load average %s at the start on %s host "
                   "CPUs (other VMs?): expect slow, noisy numbers" %
                   (la[0], m["host_nproc"]))
    out.append("")
    if res["throughput"]:
        out.append("a. single-plane throughput (Mbit/s received; UDP: loss %; "
                   "CPU: VM busy ms per Mbit)")
        w = (-30, 9, 9, 9, 10, 12, 10, 7, 7, 7)
        out.append(cols(w, ("test", "veth", "stock", "wgplanes", "wgp/stock",
                            "per round", "stock/veth", "cpu st", "cpu wgp",
                            "wgp/st")))
        for t in TPUT_TESTS:
            r = res["throughput"].get(t)
            if not r:
                continue
            cells = []
            for i in TPUT_IMPLS:
                d = r.get(i, {})
                s = fmt(d.get("received_mbps"), "%.0f",
                        "err" if d.get("error") else "-")
                if t == "udp" and d.get("lost_pct") is not None:
                    s += "/%.0f%%" % d["lost_pct"]
                cells.append(s)
            out.append(cols(w, [TEST_TITLES[t]] + cells + [
                fmt(r.get("ratio_wgplanes_stock"), "%.2f"),
                span(r.get("ratio_wgplanes_stock_rounds")),
                fmt(r.get("ratio_stock_veth"), "%.2f"),
                fmt(r.get("stock", {}).get("cpu_ms_per_mbit"), "%.1f"),
                fmt(r.get("wgplanes", {}).get("cpu_ms_per_mbit"), "%.1f"),
                fmt(r.get("ratio_cpu_wgplanes_stock"), "%.2f")]))
        out.append("  Mbit/s and cpu: means over the rounds; wgp/stock: "
                   "the mean of the rounds' ratios, per round: their range")
        out.append("  cpu: busy CPU-ms of the whole VM per Mbit received, "
                   "over each iperf3 run; wgp/st = wgplanes / stock")
        out.append("")
    if res["isolation"]:
        out.extend(iso_table(res))
        out.append("targets (reported, not enforced):")
        out.extend(target_lines([t for t in res["targets"]
                                 if t not in res["guard"]["targets"]]))
        out.append("")
    if res["rx_flood"]:
        out.append("c. receive-side flood into the hub's backend tunnel "
                   "(offered %s; CPU in cores of %s)" %
                   (p.get("rx_offer"), p.get("cpus")))
        w = (-9, 6, 6, 6, 6, 8, 8, 9, 6, -1)
        out.append(cols(w, ("config", "busy", "cpu0", "cpu1", "sirq",
                            "rx cost", "offered", "delivered", "loss%",
                            "drops")))
        for cfg in RX_CONFIGS:
            e = res["rx_flood"].get(cfg)
            if not e:
                continue
            drops = []
            if e.get("police_dropped") is not None:
                drops.append("tc police %d" % e["police_dropped"])
            if e.get("drop_rx_rate") is not None:
                drops.append("drop_rx_rate %d" % e["drop_rx_rate"])
            if e.get("rx_dropped"):
                drops.append("rx_dropped %d" % e["rx_dropped"])
            if e.get("udp_rcvbuf_errors"):
                drops.append("rcvbuf %d" % e["udp_rcvbuf_errors"])
            out.append(cols(w, flood_cells(cfg, e, ()) +
                            (", ".join(drops) or "-",)))
        out.append("  busy/sirq/rx cost in CPUs; offered = sender's tunnel "
                   "tx, delivered = reaching the hub's input hook (Mbit/s)")
        out.append("  sender = the same flood dropped by nft before "
                   "WireGuard in the hub; rx cost = busy - busy(sender)")
        out.append("")
    if res["guard"]["configs"] or res["guard"]["flood"]:
        out.extend(guard_table(res))
    return "\n".join(out)


def target_lines(ts):
    out = []
    for t in ts:
        st = {True: "PASS", False: "FAIL", None: "n/a"}[t["pass"]]
        out.append("  %-4s %s (measured %s%s)" %
                   (st, t["target"], fmt(t["value"], "%.3f"),
                    "; " + t["note"] if t.get("note") else ""))
    return out


def flood_cells(cfg, e, after_cost):
    """The cells a receive-flood row shares: config, CPU use, rx cost
    (then after_cost), offered, delivered, loss."""
    cpu = e.get("cpu", {})
    return ((cfg, fmt(e.get("busy_cores"), "%.2f"),
             fmt(cpu.get("cpu0", {}).get("busy_pct"), "%.0f%%"),
             fmt(cpu.get("cpu1", {}).get("busy_pct"), "%.0f%%"),
             fmt(e.get("softirq_cores"), "%.2f"),
             fmt(e.get("receive_cost_cores"), "%.2f")) + tuple(after_cost) +
            (fmt(e.get("offered_mbps"), "%.1f"),
             fmt(e.get("delivered_mbps"), "%.1f",
                 "(cut)" if cfg == "sender" else "-"),
             fmt(e.get("lost_pct"), "%.0f")))


def drop_text(e):
    d = []
    for k, name in (("police_dropped", "police"), ("ifb_dropped", "ifb tbf"),
                    ("rx_shaped", "shaped"), ("drop_rx_rate", "drop_rx_rate"),
                    ("drop_rx_junk", "junk")):
        if e.get(k):
            d.append("%s %d" % (name, e[k]))
    return ", ".join(d) or "-"


def guard_table(res):
    g = res["guard"]
    p = res["params"]
    rate = g.get("rate_bps")
    out = ["d. rate guard vs stock WireGuard + tc at the same rate %s "
           "(R = %s Mbit/s); peer: stock WireGuard; %s s per TCP run" %
           (p.get("rate"), fmt(rate / 1e6 if rate else None, "%.1f"),
            p.get("seconds"))]
    w = (-13, -6, -10, 7, 6, 6, 7, 6, 5, 6, 6, -1)
    out.append(cols(w, ("config", "burst", "test", "Mbit/s", "xR", "retr",
                        "segs", "retr%", "busy", "ms/Mb", "vs pol",
                        "limiter")))
    for burst in g.get("bursts", []):
        for cfg in GUARD_CONFIGS:
            runs = g["configs"].get(cfg, {}).get(burst)
            if not runs:
                continue
            if runs.get("error"):
                out.append("%-13s %-6s %s" % (cfg, burst, runs["error"]))
            for t in GUARD_TESTS:
                e = runs.get(t)
                if not e:
                    continue
                out.append(cols(w, (
                    cfg, burst, GUARD_TITLES[t],
                    fmt(e.get("received_mbps"), "%.1f",
                        "err" if e.get("error") else "-"),
                    fmt(e.get("fraction_of_rate"), "%.2f"),
                    fmt(e.get("retransmits"), "%d"),
                    fmt(e.get("segments"), "%d"),
                    fmt(e.get("retrans_pct"), "%.2f"),
                    fmt(e.get("busy_cores"), "%.2f"),
                    fmt(e.get("cpu_ms_per_mbit"), "%.1f"),
                    fmt(e.get("ratio_cpu_per_mbit_vs_police"), "%.2f"),
                    drop_text(e))))
    out.append("  xR = iperf3 goodput / R (a full R of 1368-byte segments "
               "is about 0.94-0.96 R); retr = iperf3 retransmits, segs = "
               "segments the sender sent, retr% = retr/segs")
    out.append("  busy = the whole VM (both ends), in CPUs; ms/Mb = busy "
               "CPU-ms per Mbit received; vs pol = ms/Mb / stock-police's")
    fl = g.get("flood") or {}
    if fl:
        out.append("")
        fr = g.get("flood_rate_bps") or rate
        out.append("   UDP flood into the guarded host, offered %s Mbit/s, "
                   "the limiters at %s Mbit/s (%sx), burst %s; CPU in cores "
                   "of %s" %
                   (fmt((g.get("flood_offered_bps") or 0) / 1e6, "%.0f"),
                    fmt(fr / 1e6 if fr else None, "%.0f"),
                    fmt((g.get("flood_offered_bps") or 0) / fr
                        if fr else None, "%.0f"),
                    (g.get("bursts") or ["?"])[0], p.get("cpus")))
        w = (-13, 6, 6, 6, 6, 8, 7, 8, 9, 6, 7, 7, -1)
        out.append(cols(w, ("config", "busy", "cpu0", "cpu1", "sirq",
                            "rx cost", "scaled", "offered", "delivered",
                            "loss%", "vs pol", "scaled", "drops")))
        for cfg in ["sender"] + GUARD_CONFIGS:
            e = fl.get(cfg)
            if not e:
                continue
            out.append(cols(w, flood_cells(
                cfg, e, (fmt(e.get("receive_cost_scaled_cores"), "%.2f"),))
                + (fmt(e.get("ratio_rx_cost_vs_police"), "%.2f"),
                   fmt(e.get("ratio_rx_cost_scaled_vs_police"), "%.2f"),
                   drop_text(e))))
        out.append("  rx cost = busy - busy(sender); scaled = busy - "
                   "busy(sender) x offered / offered(sender); in CPUs")
        out.append("  vs pol = rx cost / stock-police's, then the same for "
                   "scaled; offered = the sender's tunnel tx (Mbit/s)")
    if g.get("targets"):
        out.append("targets (benchmark, reported, not enforced):")
        out.extend(target_lines(g["targets"]))
    return out


def plot(res, png, kver):
    iso = res["isolation"]
    if not iso:
        return False
    tmp = tempfile.mkdtemp(prefix="wgp-bench-plot.")
    panels = []
    for cfg in ISO_CONFIGS:
        c = iso.get(cfg)
        if not c:
            continue
        curves = []
        for ph in ISO_PHASES:
            s = sorted(c.get(ph, {}).get("ping", {}).get("samples_ms") or [])
            if not s:
                continue
            fn = os.path.join(tmp, "%s-%s.dat" % (cfg, ph))
            with open(fn, "w") as f:
                n = len(s)
                for i, v in enumerate(s):
                    f.write("%g %g\n" % (max(v, 0.001), 100.0 * (i + 1) / n))
            curves.append((ph, fn, c[ph]["ping"].get("p99_ms")))
        if curves:
            panels.append((cfg, curves))
    if not panels:
        return False
    titles = {"stock": "stock WireGuard, 2 interfaces",
              "stock-tc": "stock WireGuard + tc on backend",
              "wgplanes": "wgplanes (backend cpus 1 + rate; mgmt high)"}
    names = {"idle": "idle", "tcp": "backend TCP flood",
             "udp": "backend UDP flood"}
    colors = {"idle": "#1b9e77", "tcp": "#d95f02", "udp": "#7570b3"}
    gp = []
    gp.append('set terminal pngcairo size %d,520 font "sans,10"' %
              (480 * len(panels)))
    gp.append('set output "%s"' % png)
    gp.append('set multiplot layout 1,%d title "mgmt ping RTT while the '
              'backend plane is flooded — %s, %s s per run"' %
              (len(panels), kver, res["params"].get("seconds")))
    gp.append("set logscale x")
    gp.append('set xlabel "RTT (ms, log)"')
    gp.append('set ylabel "% of replies ≤ RTT"')
    gp.append("set yrange [0:100]")
    gp.append("set grid")
    gp.append("set key top left")
    for cfg, curves in panels:
        gp.append('set title "%s"' % titles.get(cfg, cfg))
        parts = []
        for ph, fn, p99 in curves:
            parts.append('"%s" using 1:2 with lines lw 2 lc rgb "%s" '
                         'title "%s (p99 %s ms)"' %
                         (fn, colors[ph], names[ph], fmt(p99, "%.2f")))
        gp.append("plot " + ", \\\n     ".join(parts))
    gp.append("unset multiplot")
    script = os.path.join(tmp, "plot.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    try:
        subprocess.run(["gnuplot", script], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("report: gnuplot failed: %s" % e, file=sys.stderr)
        return False
    finally:
        for fn in os.listdir(tmp):
            os.unlink(os.path.join(tmp, fn))
        os.rmdir(tmp)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--png")
    ap.add_argument("--table")
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    meta = {}
    for kv in a.meta:
        k, _, v = kv.partition("=")
        try:
            meta[k] = json.loads(v)
        except ValueError:
            meta[k] = v
    res = build(load(a.records), meta)
    text = table(res)
    print(text)
    if a.table:
        with open(a.table, "w") as f:
            f.write(text + "\n")
    if a.png and plot(res, a.png, meta.get("kver", "")):
        res["meta"]["plot"] = a.png
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
