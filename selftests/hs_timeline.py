#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# hs_timeline.py PCAP ADDR: the WireGuard handshake messages of an
# Ethernet capture (tcpdump -w), as seen by the host with IPv4 address
# ADDR, one line each: seconds since the first, "out" or "in", the type,
# and for an initiation whether it carries a mac2, for a cookie reply or
# a response which initiation (by its number here) it answers. Ends with
# a summary line. For the logs of tests whose peers race a flood.
import struct
import sys

NAMES = {1: "initiation", 2: "response", 3: "cookie reply"}


def datagrams(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    scale = 1e-9 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1e-6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 14 + 20 + 8 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        yield sec + frac * scale, ip[12:16], ip[16:20], ip[ihl + 8:]


def main():
    path, addr = sys.argv[1], bytes(int(x) for x in sys.argv[2].split("."))
    first = last = None
    inits = {}
    counts = {"init": 0, "init_mac2": 0, "cookie": 0, "cookie_late": 0,
              "response": 0}
    for t, src, dst, msg in datagrams(path):
        if len(msg) < 8:
            continue
        kind = struct.unpack("<I", msg[:4])[0]
        if kind not in NAMES:
            continue
        if first is None:
            first = t
        way = "out" if src == addr else "in"
        line = "%8.3f %-3s %s" % (t - first, way, NAMES[kind])
        if kind == 1 and len(msg) == 148:
            n = len(inits) + 1
            inits[msg[4:8]] = n
            mac2 = any(msg[132:148])
            line += " #%d%s" % (n, " with mac2" if mac2 else "")
            if way == "out":
                counts["init"] += 1
                counts["init_mac2"] += mac2
                last = n
        elif kind in (2, 3):
            idx = msg[8:12] if kind == 2 else msg[4:8]
            n = inits.get(idx)
            line += " to #%s" % n
            if kind == 3 and way == "in":
                counts["cookie"] += 1
                counts["cookie_late"] += n != last
            if kind == 2 and way == "in":
                counts["response"] += 1
        print(line)
    print("summary: %(init)d initiations sent, %(init_mac2)d with mac2; "
          "%(cookie)d cookie replies came, %(cookie_late)d of them after "
          "a newer initiation; %(response)d responses came" % counts)


main()
