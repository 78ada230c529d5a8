#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flood a WireGuard port with handshake initiations that carry a valid mac1.

  mac1_flood.py PUBKEY DST PORT SECONDS [--rate N] [--forge FIRST]

The initiations are random bytes but for their type and a mac1 made with
the receiver's public key PUBKEY (base64), so each passes the first check
and costs the receiver a DH unless it is under load; their mac2 is zero.
64 different ones are sent in turn to DST:PORT for SECONDS.

  --rate N       N a second (default: as fast as this process goes)
  --forge FIRST  each from another forged source in 10.99.0.0/16,
                 counting from source number FIRST (a raw socket: root)

A refused send is counted and the flood goes on: what a test loads is the
receiver, not this sender. Prints what it sent when it ends, also on
SIGTERM.
"""
import argparse
import base64
import hashlib
import os
import signal
import socket
import struct
import sys
import time


def initiations(pub, count=64):
    key = hashlib.blake2s(b"mac1----" + pub).digest()
    msgs = []
    for _ in range(count):
        m = b"\x01\x00\x00\x00" + os.urandom(112)
        m += hashlib.blake2s(m, key=key, digest_size=16).digest()
        msgs.append(m + bytes(16))
    return msgs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pubkey")
    ap.add_argument("dst")
    ap.add_argument("port", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--forge", type=int, metavar="FIRST")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    msgs = initiations(base64.b64decode(a.pubkey))
    if a.forge is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        frames = [(m, (a.dst, a.port)) for m in msgs]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_RAW)
        daddr = socket.inet_aton(a.dst)
    src = a.forge or 0
    sent = refused = 0
    t0 = time.time()
    end = t0 + a.seconds
    try:
        while time.time() < end:
            if a.rate and sent + refused > a.rate * (time.time() - t0):
                time.sleep(0.005)
                continue
            i = (sent + refused) % len(msgs)
            if a.forge is None:
                frame, to = frames[i]
            else:
                src = src % 65023 + 1
                saddr = bytes((10, 99, src >> 8, src & 0xff or 1))
                # the kernel fills in the IP checksum, length and id
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64,
                                 socket.IPPROTO_UDP, 0, saddr, daddr)
                udp = struct.pack("!HHHH", 40000 + (src & 1023), a.port,
                                  8 + len(msgs[i]), 0)
                frame, to = ip + udp + msgs[i], (a.dst, 0)
            try:
                s.sendto(frame, to)
                sent += 1
            except OSError:
                refused += 1
    finally:
        how = "%g a second" % a.rate if a.rate else "as fast as it went"
        srcs = ""
        if a.forge is not None:
            srcs = " from %d sources" % min(sent, 65023)
        print("flood: %d initiations sent%s, %s (%d refused)" %
              (sent, srcs, how, refused), flush=True)


if __name__ == "__main__":
    main()
