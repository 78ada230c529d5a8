#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink client for the wgplanes family, for shell tests.

Only the standard library: it builds every attribute by hand, so a test can
send exactly the malformed message it wants to see rejected.

  nl.py family                        print the family id
  nl.py get PLANE [--summary] [--attrs JSON]
                                      GET_PLANE dump, merged, as JSON; JSON
                                      adds attributes to the request
  nl.py set PLANE JSON                SET_PLANE from a JSON description
  nl.py set-raw PLANE JSON            the same (the JSON may be malformed
                                      on purpose, see below)
  nl.py fleet-get [NAME]              GET_FLEET do (NAME) or dump (none)
  nl.py bulk-peers PLANE N [--aips K] [--seed S] [--replace]
                                      add N generated peers with K allowed
                                      IPs each, in as many messages as needed
  nl.py bulk-verify PLANE N [--aips K] [--seed S]
                                      dump and check those peers are all there
  nl.py dump-race PLANE JSON          start a dump, apply JSON after its first
                                      message, finish it; report the outcome
  nl.py bulk-key SEED I               the public key of generated peer I
  nl.py serve                         run requests from stdin (see serve())

get, fleet-get, bulk-verify and dump-race take --expect EXPR: a Python
expression over d (the result; for get also peers, by public key) that must
hold, else the result is printed and the exit status is 1.

PLANE is a device name, or '#N' for ifindex N.

JSON: an object of attributes by name (see SPACES below), in order. Values:
keys are base64 (as wg prints them); endpoints "1.2.3.4:51820" or
"[fd00::1]:51820"; addresses "10.0.0.1"; family "inet"/"inet6" or a number;
flags a number or a list of names; a peer's "allowedips" may be a list of
"10.0.0.0/24" strings. Any value may instead be an escape such as
{"@u8": 1}, {"@u16": 1}, {"@u32": 1}, {"@u64": 1}, {"@str": "x"} (with NUL),
{"@raw": "x"} (no NUL) or {"@hex": "00ff"}, and an attribute name may be a
number, to send what the kernel must refuse. SET_PLANE gets ifname=PLANE
unless the JSON names the plane itself; an attribute whose value is null is
left out.

Errors print "error: ENAME (N): extack message [at attribute path]
[policy ...]" on stderr and exit with status 1.
"""

import binascii
import contextlib
import errno
import io
import json
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff

NLMSG_ERROR = 2
NLMSG_DONE = 3

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_POLICY = 4
NLMSGERR_ATTR_MISS_TYPE = 5

POLICY_ATTRS = {1: 'type', 2: 'min', 3: 'max', 4: 'min', 5: 'max',
                6: 'min-length', 7: 'max-length', 12: 'mask'}

CMD_GET_PLANE, CMD_SET_PLANE, CMD_GET_FLEET = 1, 2, 3

COUNTERS = [
    'rx-packets', 'rx-bytes', 'tx-packets', 'tx-bytes',
    'handshake-init-rx', 'handshake-resp-rx', 'handshake-init-tx',
    'handshake-resp-tx', 'cookie-tx', 'cookie-rx', 'under-load',
    'drop-bad-packet', 'drop-bad-mac1', 'drop-bad-mac2',
    'drop-handshake-invalid', 'drop-handshake-ratelimit',
    'drop-no-keypair', 'drop-key-expired', 'drop-decrypt', 'drop-replay',
    'drop-allowedips', 'drop-no-peer', 'drop-no-endpoint', 'drop-txq-full',
    'drop-encq-full', 'drop-decq-full', 'drop-hsq-full', 'drop-rx-rate',
    'tx-throttled', 'drop-nomem', 'drop-handshake-timeout', 'drop-tx-error',
    'rx-keepalives',
]

# attribute spaces: name -> (type, kind)
SPACES = {
    'plane': {
        'ifindex': (1, 'u32'), 'ifname': (2, 'str'),
        'private-key': (3, 'key'), 'public-key': (4, 'key'),
        'flags': (5, 'flags:plane'), 'listen-port': (6, 'u16'),
        'fwmark': (7, 'u32'), 'peers': (8, 'array:peer'),
        'policy': (9, 'nest:policy'), 'counters': (10, 'counters'),
        'fleet-ifindex': (11, 'u32'), 'plane-index': (12, 'u32'),
        'plane-name': (13, 'str'), 'pad': (14, 'bin'),
    },
    'peer': {
        'public-key': (1, 'key'), 'preshared-key': (2, 'key'),
        'flags': (3, 'flags:peer'), 'endpoint': (4, 'sockaddr'),
        'persistent-keepalive-interval': (5, 'u16'),
        'last-handshake-time': (6, 'timespec'), 'rx-bytes': (7, 'u64'),
        'tx-bytes': (8, 'u64'), 'allowedips': (9, 'array:allowedip'),
        'protocol-version': (10, 'u32'), 'pad': (11, 'bin'),
    },
    'allowedip': {
        'family': (1, 'family'), 'ipaddr': (2, 'ip'), 'cidr-mask': (3, 'u8'),
    },
    'policy': {
        'cpus': (1, 'str'), 'priority': (2, 'u8'), 'rate': (3, 'u64'),
        'burst': (4, 'u32'), 'txq-len': (5, 'u32'), 'encq-len': (6, 'u32'),
        'decq-len': (7, 'u32'), 'hsq-len': (8, 'u32'),
        'effective-cpus': (9, 'str'), 'pad': (10, 'bin'),
        'cpus-fallback': (11, 'flag'), 'encq-used': (12, 'u32'),
        'decq-used': (13, 'u32'), 'hsq-used': (14, 'u32'),
        'tx-stopped': (15, 'flag'), 'encq-bytes': (16, 'u64'),
        'decq-bytes': (17, 'u64'), 'hsq-bytes': (18, 'u64'),
        'waitq-used': (19, 'u32'), 'waitq-bytes': (20, 'u64'),
    },
    'fleet': {
        'ifindex': (1, 'u32'), 'ifname': (2, 'str'),
        'planes': (3, 'array:fleet-plane'), 'counters': (4, 'counters'),
        'plane-slots': (5, 'u32'), 'pad': (6, 'bin'),
    },
    'fleet-plane': {
        'index': (1, 'u32'), 'name': (2, 'str'), 'ifindex': (3, 'u32'),
        'ifname': (4, 'str'), 'netnsid': (5, 's32'),
    },
}
FLAGS = {
    'plane': {'replace-peers': 1},
    'peer': {'remove-me': 1, 'replace-allowedips': 2, 'update-only': 4},
}
FAMILIES = {'inet': socket.AF_INET, 'inet6': socket.AF_INET6}


class NlError(Exception):
    def __init__(self, err, msg=None, path=None, policy=None, miss=None):
        super().__init__(err)
        self.err, self.msg, self.path = err, msg, path
        self.policy, self.miss = policy, miss

    def __str__(self):
        name = errno.errorcode.get(self.err, 'E?')
        s = '%s (%d): %s' % (name, self.err,
                             self.msg or os.strerror(self.err))
        if self.path:
            s += ' [at %s]' % self.path
        if self.policy:
            s += ' [policy %s]' % ' '.join(
                '%s=%s' % kv for kv in self.policy.items())
        if self.miss is not None:
            s += ' [missing attribute %d]' % self.miss
        return s


# ------------------------------------------------------------- encoding

class Encoder:
    """Builds attributes and remembers where each one starts, so that the
    offset of a bad attribute in an extended ack maps back to its name."""

    def __init__(self):
        self.buf = bytearray()
        self.where = []         # (offset, path)

    def attr(self, atype, payload, path):
        self.where.append((len(self.buf), path))
        self.buf += struct.pack('HH', 4 + len(payload), atype) + payload
        self.buf += b'\0' * (-len(self.buf) % 4)

    def nest_start(self, atype, path):
        self.where.append((len(self.buf), path))
        start = len(self.buf)
        self.buf += struct.pack('HH', 0, atype | NLA_F_NESTED)
        return start

    def nest_end(self, start):
        struct.pack_into('H', self.buf, start, len(self.buf) - start)


def b64key(s):
    return binascii.a2b_base64(s)


def b64(b):
    return binascii.b2a_base64(b, newline=False).decode()


def pack_ip(s):
    """(family, packed address) of a textual IPv4 or IPv6 address."""
    fam = socket.AF_INET6 if ':' in s else socket.AF_INET
    return fam, socket.inet_pton(fam, s)


def pack_sockaddr(s):
    host, _, port = s.rpartition(':')
    fam, ip = pack_ip(host.strip('[]'))
    if fam == socket.AF_INET:
        return struct.pack('=H', fam) + struct.pack('!H4s8x', int(port), ip)
    return struct.pack('=H', fam) + struct.pack('!HI16sI', int(port), 0, ip,
                                                0)


def escape(v):
    """The bytes of an escape value, or None when v is not one."""
    if not (isinstance(v, dict) and len(v) == 1):
        return None
    (k, x), = v.items()
    if not k.startswith('@'):
        return None
    fmt = {'@u8': 'B', '@u16': 'H', '@u32': 'I', '@u64': 'Q', '@s32': 'i'}
    if k in fmt:
        return struct.pack(fmt[k], x)
    if k == '@str':
        return x.encode() + b'\0'
    if k == '@raw':
        return x.encode()
    if k == '@hex':
        return bytes.fromhex(x)
    if k == '@b64':
        return b64key(x)
    raise ValueError('unknown escape %s' % k)


def encode_value(kind, v):
    if kind == 'u8':
        return struct.pack('B', v)
    if kind == 'u16':
        return struct.pack('H', v)
    if kind == 'u32':
        return struct.pack('I', v)
    if kind == 's32':
        return struct.pack('i', v)
    if kind == 'u64':
        return struct.pack('Q', v)
    if kind == 'str':
        return v.encode() + b'\0'
    if kind in ('key', 'bin'):
        return b64key(v)
    if kind == 'sockaddr':
        return pack_sockaddr(v)
    if kind == 'ip':
        return pack_ip(v)[1]
    if kind == 'family':
        return struct.pack('H', FAMILIES.get(v, v))
    if kind.startswith('flags:'):
        if isinstance(v, list):
            names = FLAGS[kind[6:]]
            v = sum(names[n] for n in v)
        return struct.pack('I', v)
    raise ValueError('cannot encode %s' % kind)


def expand_allowedip(v):
    if not isinstance(v, str):
        return v
    addr, _, cidr = v.partition('/')
    fam = pack_ip(addr)[0]
    if not cidr:
        cidr = 32 if fam == socket.AF_INET else 128
    return {'family': 'inet' if fam == socket.AF_INET else 'inet6',
            'ipaddr': addr, 'cidr-mask': int(cidr)}


def encode_attrs(enc, space, obj, path=''):
    for name, v in obj.items():
        if v is None:           # lets a test leave out the plane selector
            continue
        if name.lstrip('-').isdigit():
            atype, kind = int(name), 'u32'
        else:
            atype, kind = SPACES[space][name]
        p = '%s%s' % (path, name)
        raw = escape(v)
        if raw is not None:
            enc.attr(atype, raw, p)
        elif kind.startswith('nest:'):
            start = enc.nest_start(atype, p)
            encode_attrs(enc, kind[5:], v, p + '.')
            enc.nest_end(start)
        elif kind.startswith('array:'):
            sub = kind[6:]
            start = enc.nest_start(atype, p)
            for i, e in enumerate(v):
                ep = '%s[%d]' % (p, i)
                if sub == 'allowedip':
                    e = expand_allowedip(e)
                raw = escape(e)
                if raw is not None:
                    enc.attr(0, raw, ep)
                    continue
                s = enc.nest_start(0, ep)
                encode_attrs(enc, sub, e, ep + '.')
                enc.nest_end(s)
            enc.nest_end(start)
        else:
            enc.attr(atype, encode_value(kind, v), p)


# ------------------------------------------------------------- decoding

def parse_attrs(data):
    off = 0
    while off + 4 <= len(data):
        alen, atype = struct.unpack_from('HH', data, off)
        if alen < 4:
            break
        yield atype & NLA_TYPE_MASK, data[off + 4:off + alen]
        off += (alen + 3) & ~3


def unpack_sockaddr(b):
    fam = struct.unpack_from('=H', b)[0]
    if fam == socket.AF_INET:
        port, addr = struct.unpack_from('!H4s', b, 2)
        return '%s:%d' % (socket.inet_ntop(fam, addr), port)
    if fam == socket.AF_INET6:
        port, _, addr = struct.unpack_from('!HI16s', b, 2)
        return '[%s]:%d' % (socket.inet_ntop(fam, addr), port)
    return b.hex()


def decode_value(kind, b):
    if kind == 'flag':
        return True
    if kind == 'u8':
        return b[0]
    if kind == 'u16':
        return struct.unpack('H', b)[0]
    if kind in ('u32',) or kind.startswith('flags:'):
        return struct.unpack('I', b)[0]
    if kind == 's32':
        return struct.unpack('i', b)[0]
    if kind == 'u64':
        return struct.unpack('Q', b)[0]
    if kind == 'str':
        return b.rstrip(b'\0').decode()
    if kind == 'key':
        return b64(b)
    if kind == 'sockaddr':
        return unpack_sockaddr(b)
    if kind == 'ip':
        fam = {4: socket.AF_INET, 16: socket.AF_INET6}.get(len(b))
        return socket.inet_ntop(fam, b) if fam else b.hex()
    if kind == 'timespec':
        return list(struct.unpack('qq', b))
    if kind == 'family':
        return struct.unpack('H', b)[0]
    if kind == 'counters':
        out = {}
        for t, v in parse_attrs(b):
            if 1 <= t <= len(COUNTERS) and len(v) == 8:
                out[COUNTERS[t - 1]] = struct.unpack('Q', v)[0]
        return out
    return b.hex()


def decode_attrs(space, data):
    names = {t: (n, k) for n, (t, k) in SPACES[space].items()}
    out = {}
    for t, b in parse_attrs(data):
        if t not in names:
            out.setdefault('unknown', []).append([t, b.hex()])
            continue
        name, kind = names[t]
        if kind.startswith('nest:'):
            out[name] = decode_attrs(kind[5:], b)
        elif kind.startswith('array:'):
            sub = kind[6:]
            lst = [decode_attrs(sub, e) for _, e in parse_attrs(b)]
            if sub == 'allowedip':
                lst = ['%s/%d' % (e['ipaddr'], e['cidr-mask'])
                       for e in lst]
            out[name] = lst
        else:
            out[name] = decode_value(kind, b)
    return out


# ------------------------------------------------------------- netlink

class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        self.family = None
        self.last_where = []

    def send(self, ftype, cmd, flags, enc, version=1):
        self.seq += 1
        body = struct.pack('BBH', cmd, version, 0) + bytes(enc.buf)
        hdr = struct.pack('IHHII', 16 + len(body), ftype,
                          NLM_F_REQUEST | flags, self.seq, 0)
        self.last_where = enc.where
        self.sock.send(hdr + body)
        return self.seq

    def error_from(self, payload, flags, errpos):
        """NlError from an NLMSG_ERROR or NLMSG_DONE payload."""
        err = -struct.unpack_from('i', payload)[0]
        msg = path = policy = miss = None
        tlv = errpos
        if flags & NLM_F_ACK_TLVS:
            for t, b in parse_attrs(payload[tlv:]):
                if t == NLMSGERR_ATTR_MSG:
                    msg = b.rstrip(b'\0').decode()
                elif t == NLMSGERR_ATTR_OFFS:
                    off = struct.unpack('I', b)[0] - 20
                    for o, p in self.last_where:
                        if o == off:
                            path = p
                    if path is None:
                        path = 'offset %d' % (off + 20)
                elif t == NLMSGERR_ATTR_POLICY:
                    policy = {}
                    for pt, pb in parse_attrs(b):
                        if pt in POLICY_ATTRS:
                            v = int.from_bytes(pb, 'little',
                                               signed=pt in (2, 3))
                            policy[POLICY_ATTRS[pt]] = v
                elif t == NLMSGERR_ATTR_MISS_TYPE:
                    miss = struct.unpack('I', b)[0]
        return NlError(err, msg, path, policy, miss)

    def recv_msgs(self):
        """Yields (type, flags, payload) of the messages of one recv()."""
        data = self.sock.recv(1 << 20)
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, mflags, mseq, _ = struct.unpack_from('IHHII', data,
                                                              off)
            if mlen < 16:
                break
            if mseq == self.seq:
                yield mtype, mflags, data[off + 16:off + mlen]
            off += (mlen + 3) & ~3

    def replies(self):
        """Yields the data messages of a request until it completes, as
        (flags, genl payload without the genl header)."""
        while True:
            for mtype, mflags, payload in self.recv_msgs():
                if mtype == NLMSG_ERROR:
                    err = struct.unpack_from('i', payload)[0]
                    if err == 0:
                        return
                    olen = 16
                    if not mflags & NLM_F_CAPPED:
                        olen = struct.unpack_from('I', payload, 4)[0]
                    raise self.error_from(payload, mflags,
                                          4 + ((olen + 3) & ~3))
                if mtype == NLMSG_DONE:
                    if len(payload) >= 4 and \
                            struct.unpack_from('i', payload)[0] < 0:
                        raise self.error_from(payload, mflags, 4)
                    yield mflags | 0x10000, b''
                    return
                yield mflags, payload[4:]

    def resolve(self):
        enc = Encoder()
        enc.attr(CTRL_ATTR_FAMILY_NAME, b'wgplanes\0', 'family-name')
        self.send(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK, enc)
        for _, payload in self.replies():
            for t, b in parse_attrs(payload):
                if t == CTRL_ATTR_FAMILY_ID:
                    self.family = struct.unpack('H', b)[0]
        return self.family

    def do(self, cmd, enc, flags=NLM_F_ACK):
        self.send(self.family, cmd, flags, enc)
        return [p for f, p in self.replies() if not f & 0x10000]

    def dump(self, cmd, enc):
        """All messages of a dump as (flags, payload), DONE included."""
        self.send(self.family, cmd, NLM_F_DUMP, enc)
        return list(self.replies())


def plane_selector(plane):
    if plane.startswith('#'):
        return {'ifindex': int(plane[1:])}
    return {'ifname': plane}


def merge_plane_dump(msgs):
    """One plane from the messages of a GET_PLANE dump."""
    plane, peers, order = {}, {}, []
    intr, continued, n = False, 0, 0
    last = None
    for flags, payload in msgs:
        if flags & NLM_F_DUMP_INTR:
            intr = True
        if flags & 0x10000:
            continue
        n += 1
        d = decode_attrs('plane', payload)
        for p in d.pop('peers', []):
            key = p['public-key']
            if key in peers:
                if key == last and len(p) <= 2:
                    continued += 1
                else:
                    plane.setdefault('duplicate-peers', []).append(key)
                peers[key].setdefault('allowedips', []).extend(
                    p.get('allowedips', []))
            else:
                peers[key] = p
                order.append(key)
            last = key
        for k, v in d.items():
            if n > 1:
                plane.setdefault('late-attributes', []).append(k)
            plane[k] = v
    plane['peers'] = [peers[k] for k in order]
    plane['dump'] = {'messages': n, 'intr': intr, 'continued': continued}
    return plane


def get_plane(nl, plane, extra=None):
    enc = Encoder()
    encode_attrs(enc, 'plane', plane_selector(plane))
    if extra:
        encode_attrs(enc, 'plane', extra)
    return merge_plane_dump(nl.dump(CMD_GET_PLANE, enc))


def set_plane(nl, plane, obj):
    if 'ifname' not in obj and 'ifindex' not in obj:
        obj = dict(plane_selector(plane), **obj)
    enc = Encoder()
    encode_attrs(enc, 'plane', obj)
    nl.do(CMD_SET_PLANE, enc)


# --------------------------------------------------------- bulk peers
#
# Written for speed rather than generality: under an emulated CPU, 10,000
# peers with 100,000 allowed IPs must go out and come back in seconds.

def nla(atype, payload):
    n = 4 + len(payload)
    return struct.pack('HH', n, atype) + payload + b'\0' * (-n % 4)


def bulk_key(seed, i):
    return struct.pack('!24sQ', seed.encode()[:24], i)


def bulk_ips(i, k):
    """k distinct allowed IPs of peer i: (family, address, cidr), /32 for
    even j and /128 for odd j."""
    out = []
    for j in range(k):
        n = i * k + j
        if j % 2:
            out.append((socket.AF_INET6, b'\xfd' + bytes(11) +
                        struct.pack('!I', n), 128))
        else:
            out.append((socket.AF_INET, struct.pack('!I', (10 << 24) | n),
                        32))
    return out


def aip_bytes(fam, addr, cidr):
    body = nla(1, struct.pack('H', fam)) + nla(2, addr) + \
        nla(3, struct.pack('B', cidr))
    return struct.pack('HH', 4 + len(body), NLA_F_NESTED) + body


def bulk_peers(nl, plane, count, aips, seed, replace):
    """Sends the peers in messages whose peer list stays below the 64 KiB
    limit of one attribute; a peer whose IPs do not fit is continued in the
    next message with only its key, as the UAPI describes."""
    budget = 60000
    msgs = 0
    first = True
    i, j = 0, 0
    ips = bulk_ips(0, aips)
    while i < count or first:
        enc = Encoder()
        encode_attrs(enc, 'plane', plane_selector(plane))
        if first and replace:
            encode_attrs(enc, 'plane', {'flags': ['replace-peers']})
        first = False
        parts, size = [], 0
        while i < count and size < budget:
            peer = nla(1, bulk_key(seed, i))
            if j < len(ips):
                chunk, csize = [], 0
                while j < len(ips) and size + len(peer) + csize < budget:
                    b = aip_bytes(*ips[j])
                    chunk.append(b)
                    csize += len(b)
                    j += 1
                body = b''.join(chunk)
                peer += struct.pack('HH', 4 + len(body),
                                    9 | NLA_F_NESTED) + body
            peer = struct.pack('HH', 4 + len(peer), NLA_F_NESTED) + peer
            parts.append(peer)
            size += len(peer)
            if j >= len(ips):
                i, j = i + 1, 0
                ips = bulk_ips(i, aips)
        body = b''.join(parts)
        enc.buf += struct.pack('HH', 4 + len(body), 8 | NLA_F_NESTED) + body
        nl.do(CMD_SET_PLANE, enc)
        msgs += 1
    return msgs


def raw_plane_peers(msgs):
    """{key: [(family, addr, cidr), ...]} straight from the dump messages,
    and how many peers arrived more than once (continuations)."""
    peers, repeats = {}, 0
    for flags, payload in msgs:
        for t, b in parse_attrs(payload):
            if t != 8:
                continue
            for _, pb in parse_attrs(b):
                key, lst = None, []
                for pt, v in parse_attrs(pb):
                    if pt == 1:
                        key = bytes(v)
                    elif pt == 9:
                        for _, ab in parse_attrs(v):
                            a = dict(parse_attrs(ab))
                            lst.append((struct.unpack('H', a[1])[0],
                                        bytes(a[2]), a[3][0]))
                if key in peers:
                    repeats += 1
                    peers[key].extend(lst)
                else:
                    peers[key] = lst
    return peers, repeats


def bulk_verify(nl, plane, count, aips, seed):
    enc = Encoder()
    encode_attrs(enc, 'plane', plane_selector(plane))
    msgs = nl.dump(CMD_GET_PLANE, enc)
    intr = any(f & NLM_F_DUMP_INTR for f, _ in msgs)
    have, repeats = raw_plane_peers(msgs)
    missing, wrong = 0, 0
    for i in range(count):
        got = have.get(bulk_key(seed, i))
        if got is None:
            missing += 1
        elif sorted(got) != sorted(bulk_ips(i, aips)):
            wrong += 1
    res = {'peers': len(have), 'expected': count, 'missing': missing,
           'wrong-allowedips': wrong,
           'allowedips': sum(len(v) for v in have.values()),
           'dump': {'messages': sum(1 for f, _ in msgs if not f & 0x10000),
                    'intr': intr, 'continued': repeats}}
    return res, missing == 0 and wrong == 0 and len(have) == count and \
        not intr


def dump_race(nl, plane, obj):
    """Reads the first message of a dump, changes the plane from another
    socket, then reads the rest. Says whether the dump was flagged and
    whether its peers are those of the plane before or after the change."""
    before = [p['public-key'] for p in get_plane(nl, plane)['peers']]
    d = dump_race_once(nl, plane, obj)
    after = [p['public-key'] for p in get_plane(nl, plane)['peers']]
    keys = [p['public-key'] for p in d['peers']]
    return {'peers': len(keys), 'before': len(before), 'after': len(after),
            'intr': d['dump']['intr'], 'messages': d['dump']['messages'],
            'consistent': keys in (before, after)}


def dump_race_once(nl, plane, obj):
    enc = Encoder()
    encode_attrs(enc, 'plane', plane_selector(plane))
    nl.send(nl.family, CMD_GET_PLANE, NLM_F_DUMP, enc)
    it = nl.replies()
    msgs = [next(it)]
    other = Genl()
    other.resolve()
    set_plane(other, plane, obj)
    msgs.extend(it)
    return merge_plane_dump(msgs)


# ---------------------------------------------------------------- main

def usage():
    sys.stderr.write(__doc__)
    return 2


def opt(args, name, default=None, conv=str):
    if name in args:
        i = args.index(name)
        v = conv(args[i + 1])
        del args[i:i + 2]
        return v
    return default


def output(d, expect, **names):
    """Prints d as JSON, or with --expect checks the Python expression
    over d (and names) and prints d only when it does not hold."""
    if expect is None:
        print(json.dumps(d, indent=1))
        return 0
    if eval('(%s)' % expect, {}, dict(names, d=d)):
        return 0
    print(json.dumps(d, indent=1)[:4000])
    print('expectation failed: %s' % expect)
    return 1


def run(nl, cmd, args):
    expect = opt(args, '--expect')
    if cmd == 'family':
        print(nl.family)
    elif cmd == 'get' and args:
        extra = opt(args, '--attrs', None, json.loads)
        d = get_plane(nl, args[0], extra)
        peers = {p['public-key']: p for p in d['peers']}
        if '--summary' in args:
            d = {'peers': len(d['peers']),
                 'allowedips': sum(len(p.get('allowedips', []))
                                   for p in d['peers']),
                 'dump': d['dump']}
        return output(d, expect, peers=peers)
    elif cmd in ('set', 'set-raw') and len(args) == 2:
        set_plane(nl, args[0], json.loads(args[1]))
    elif cmd == 'fleet-get':
        enc = Encoder()
        if args:
            encode_attrs(enc, 'fleet', plane_selector(args[0]))
            (payload,) = nl.do(CMD_GET_FLEET, enc)
            d = decode_attrs('fleet', payload)
        else:
            d = [decode_attrs('fleet', p)
                 for f, p in nl.dump(CMD_GET_FLEET, enc) if not f & 0x10000]
        return output(d, expect)
    elif cmd == 'bulk-key' and len(args) == 2:
        print(b64(bulk_key(args[0], int(args[1]))))
    elif cmd == 'bulk-peers' and len(args) >= 2:
        aips = opt(args, '--aips', 1, int)
        seed = opt(args, '--seed', 'wgp')
        replace = '--replace' in args
        n = bulk_peers(nl, args[0], int(args[1]), aips, seed, replace)
        print(json.dumps({'messages': n}))
    elif cmd == 'bulk-verify' and len(args) >= 2:
        aips = opt(args, '--aips', 1, int)
        seed = opt(args, '--seed', 'wgp')
        res, ok = bulk_verify(nl, args[0], int(args[1]), aips, seed)
        if expect is not None:
            return output(res, expect)
        print(json.dumps(res))
        return 0 if ok else 1
    elif cmd == 'dump-race' and len(args) == 2:
        d = dump_race(nl, args[0], json.loads(args[1]))
        if expect is None:
            print(json.dumps(d))
            return 0
        return output(d, expect)
    else:
        return usage()
    return 0


def main(argv):
    if not argv:
        return usage()
    if argv[0] == 'serve':
        return serve()
    nl = None
    try:
        nl = Genl()
        if nl.resolve() is None:
            raise NlError(errno.ENOENT, 'no wgplanes family')
        return run(nl, argv[0], list(argv[1:]))
    except NlError as e:
        print('error: %s' % e, file=sys.stderr)
        return 1
    except OSError as e:
        print('error: %s (%d): %s' % (errno.errorcode.get(e.errno, 'E?'),
                                      e.errno, e.strerror), file=sys.stderr)
        return 1
    finally:
        if nl:
            nl.sock.close()


def read_field(f):
    b = bytearray()
    while True:
        c = f.read(1)
        if not c:
            return None
        if c == b'\0':
            return b.decode()
        b += c


def serve():
    """Runs requests from stdin until EOF, so that a test pays for one
    interpreter start, not one per call (slow under an emulated CPU). A
    request is its argument count and its arguments, each ended by a NUL;
    the reply is the output (stdout and stderr), then "\\x01rc=N"."""
    inp = sys.stdin.buffer
    while True:
        n = read_field(inp)
        if n is None:
            return 0
        argv = [read_field(inp) for _ in range(int(n))]
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                rc = main(argv)
            except Exception as e:      # report, keep serving
                print('error: %r' % e)
                rc = 1
        out = buf.getvalue()
        if out and not out.endswith('\n'):
            out += '\n'
        sys.stdout.write(out + '\x01rc=%d\n' % rc)
        sys.stdout.flush()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
