// SPDX-License-Identifier: GPL-2.0
/*
 * pktfuzz: sends malformed, random, replayed and bit-flipped WireGuard
 * messages to one UDP port, fast (sendmmsg in batches), from a seeded PRNG.
 *
 *   pktfuzz -d ADDR -p PORT -n COUNT [-s SEED] [-r CAPTURE.pcap]
 *           [-k KIND,...] [-b BYTES_PER_SECOND] [-t SECONDS]
 *
 * -k sends only the kinds named (in equal shares), -b paces the sending to
 * that many bytes of UDP payload per second, -t stops after SECONDS even
 * if COUNT datagrams were not sent yet.
 *
 * CAPTURE is a pcap file (tcpdump -w) of real packets of a session; its UDP
 * payloads are replayed as they are and with bits flipped, truncated and
 * extended. Prints the seed first, then one "sent <kind> N" line per kind
 * and "sent total N": datagrams the kernel accepted for sending.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BATCH		256
#define MAX_LEN		9000	/* larger than the MTU: IP fragments */
#define MAX_CAPTURED	4096

enum kind {
	K_TRUNCATED,	/* each message type at each length from 0, oversized */
	K_BAD_HEADER,	/* wrong type value or nonzero reserved bytes */
	K_RANDOM,	/* random bytes, random length */
	K_RANDOM_INDEX,	/* valid header, random receiver index and counter */
	K_INITIATION,	/* an initiation's type and size, random content */
	K_REPLAY,	/* a captured packet as it was */
	K_BITFLIP,	/* a captured packet with 1 to 4 bits flipped */
	K_CAPTURED_CUT,	/* a captured packet truncated or extended */
	K_LIVE_INDEX,	/* a captured data message's receiver index, a new
			 * counter, random ciphertext up to 1400 bytes
			 */
	K_NR
};

static const char *const kind_names[K_NR] = {
	"truncated", "bad_header", "random", "random_index", "initiation",
	"replay", "bitflip", "captured_cut", "live_index",
};

/* per mille of the datagrams of each kind; the others only with -k */
static const unsigned int kind_share[K_NR] = {
	200, 100, 150, 250, 0, 120, 130, 50, 0,
};

struct captured {
	unsigned char *data;
	size_t len;
};

static struct captured cap[MAX_CAPTURED];
static size_t ncap;
static uint64_t rng_state;

/* splitmix64: small, fast, and the same sequence for the same seed */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

static void rnd_fill(unsigned char *p, size_t len)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rnd();
		memcpy(p + i, &v, 8);
	}
	if (i < len) {
		v = rnd();
		memcpy(p + i, &v, len - i);
	}
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The UDP payload of one captured frame, or NULL. */
static const unsigned char *udp_payload(const unsigned char *f, size_t len,
					uint32_t linktype, size_t *plen)
{
	size_t off, ihl;
	uint16_t proto, ulen;

	switch (linktype) {
	case 1:		/* Ethernet */
		if (len < 14)
			return NULL;
		proto = f[12] << 8 | f[13];
		off = 14;
		break;
	case 113:	/* Linux cooked */
		if (len < 16)
			return NULL;
		proto = f[14] << 8 | f[15];
		off = 16;
		break;
	case 276:	/* Linux cooked v2 */
		if (len < 20)
			return NULL;
		proto = f[0] << 8 | f[1];
		off = 20;
		break;
	default:
		return NULL;
	}
	if (proto == 0x0800) {
		if (len < off + 20 || f[off + 9] != IPPROTO_UDP)
			return NULL;
		ihl = (f[off] & 0xf) * 4;
		off += ihl;
	} else if (proto == 0x86dd) {
		if (len < off + 40 || f[off + 6] != IPPROTO_UDP)
			return NULL;
		off += 40;
	} else {
		return NULL;
	}
	if (len < off + 8)
		return NULL;
	ulen = f[off + 4] << 8 | f[off + 5];
	if (ulen < 8 || off + ulen > len)
		return NULL;
	*plen = ulen - 8;
	return f + off + 8;
}

static int load_pcap(const char *path)
{
	unsigned char gh[24], rh[16], *frame = NULL;
	uint32_t caplen, linktype;
	const unsigned char *pl;
	int swap, ret = -1;
	size_t plen;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	if (fread(gh, sizeof(gh), 1, f) != 1)
		goto out;
	if (rd32(gh, 0) == 0xa1b2c3d4 || rd32(gh, 0) == 0xa1b23c4d)
		swap = 0;
	else if (rd32(gh, 1) == 0xa1b2c3d4 || rd32(gh, 1) == 0xa1b23c4d)
		swap = 1;
	else
		goto out;
	linktype = rd32(gh + 20, swap) & 0xffff;
	frame = malloc(262144);
	if (!frame)
		goto out;
	while (ncap < MAX_CAPTURED && fread(rh, sizeof(rh), 1, f) == 1) {
		caplen = rd32(rh + 8, swap);
		if (caplen > 262144 || fread(frame, caplen, 1, f) != 1)
			break;
		pl = udp_payload(frame, caplen, linktype, &plen);
		if (!pl || plen < 4 || plen > MAX_LEN)
			continue;
		cap[ncap].data = malloc(plen);
		if (!cap[ncap].data)
			break;
		memcpy(cap[ncap].data, pl, plen);
		cap[ncap].len = plen;
		ncap++;
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "%s: not a pcap file\n", path);
	free(frame);
	fclose(f);
	return ret;
}

/* The sizes of the four message types; data has no fixed size. */
static const size_t msg_len[5] = { 0, 148, 92, 64, 32 };

/* each (type, length) in turn: every length from 0 to 64 past the size */
static size_t trunc_type = 1, trunc_len;

static size_t make_truncated(unsigned char *b)
{
	size_t type = trunc_type, len = trunc_len, hdr;

	if (++trunc_len > msg_len[type] + 64) {
		trunc_len = 0;
		trunc_type = trunc_type % 4 + 1;
	}
	/* one in 64: far oversized, up to IP fragments */
	if (!rnd_below(64))
		len = msg_len[type] + 65 + rnd_below(MAX_LEN - 65 - 148);
	rnd_fill(b, len);
	hdr = len < 4 ? len : 4;
	memset(b, 0, hdr);
	if (len)
		b[0] = type;
	return len;
}

static size_t make_bad_header(unsigned char *b)
{
	size_t type = 1 + rnd_below(4), len = msg_len[type];

	if (type == 4)
		len += 16 * rnd_below(90);
	rnd_fill(b, len);
	if (rnd_below(2)) {
		/* a type that does not exist, reserved bytes zero */
		do
			b[0] = rnd();
		while (b[0] >= 1 && b[0] <= 4);
		memset(b + 1, 0, 3);
	} else {
		/* a real type, some reserved byte nonzero */
		b[0] = type;
		memset(b + 1, 0, 3);
		b[1 + rnd_below(3)] = 1 + rnd_below(255);
	}
	return len;
}

static size_t make_random(unsigned char *b)
{
	size_t len = rnd_below(1473);

	rnd_fill(b, len);
	return len;
}

static size_t make_random_index(unsigned char *b)
{
	uint32_t r = rnd_below(10);
	size_t len;

	if (r < 7) {
		/* data: receiver index, counter, some ciphertext */
		len = 32 + 16 * rnd_below(90);
		rnd_fill(b, len);
		put_le32(b, 4);
	} else if (r < 9) {
		len = 92;	/* response: sender and receiver index */
		rnd_fill(b, len);
		put_le32(b, 2);
	} else {
		len = 64;	/* cookie reply: receiver index */
		rnd_fill(b, len);
		put_le32(b, 3);
	}
	return len;
}

static size_t make_live_index(unsigned char *b)
{
	const struct captured *c = &cap[rnd_below(ncap)];
	size_t i, len = 32 + 16 * rnd_below(86);
	uint64_t counter = rnd() >> 8;

	/* a data message of the capture: its receiver index */
	for (i = 0; i < ncap && (c->len < 32 || c->data[0] != 4); i++)
		c = &cap[(c - cap + 1) % ncap];
	rnd_fill(b, len);
	memcpy(b, c->data, 8);
	memcpy(b + 8, &counter, 8);
	return len;
}

static size_t make_captured(unsigned char *b, enum kind k)
{
	const struct captured *c = &cap[rnd_below(ncap)];
	size_t len = c->len, bits, i, extra;

	memcpy(b, c->data, len);
	switch (k) {
	case K_BITFLIP:
		bits = 1 + rnd_below(4);
		for (i = 0; i < bits; i++)
			b[rnd_below(len)] ^= 1 << rnd_below(8);
		break;
	case K_CAPTURED_CUT:
		if (rnd_below(2)) {
			len = rnd_below(len);
		} else {
			extra = 1 + rnd_below(rnd_below(8) ? 64 :
					      MAX_LEN - len);
			rnd_fill(b + len, extra);
			len += extra;
		}
		break;
	default:
		break;
	}
	return len;
}

static size_t make_one(unsigned char *b, enum kind k)
{
	switch (k) {
	case K_TRUNCATED:
		return make_truncated(b);
	case K_BAD_HEADER:
		return make_bad_header(b);
	case K_RANDOM:
		return make_random(b);
	case K_RANDOM_INDEX:
		return make_random_index(b);
	case K_INITIATION:
		rnd_fill(b, 148);
		put_le32(b, 1);
		return 148;
	case K_LIVE_INDEX:
		return make_live_index(b);
	default:
		return make_captured(b, k);
	}
}

static unsigned int only_kinds;	/* -k: a mask of kinds, 0 = all */

static enum kind pick_kind(void)
{
	uint32_t r = rnd_below(1000);
	int k, n = 0;

	if (only_kinds) {
		for (k = 0; k < K_NR; k++)
			n += !!(only_kinds & (1U << k));
		r = rnd_below(n);
		for (k = 0; k < K_NR; k++)
			if ((only_kinds & (1U << k)) && !r--)
				break;
		if (!ncap && k >= K_REPLAY)
			k = K_RANDOM_INDEX;
		return k;
	}

	/* the shares add up to 1000: one of them takes r */
	for (k = 0; k < K_NR - 1; k++) {
		if (r < kind_share[k])
			break;
		r -= kind_share[k];
	}
	if (!ncap && k >= K_REPLAY)
		k = K_RANDOM_INDEX;
	return k;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pktfuzz -d ADDR -p PORT -n COUNT [-s SEED] [-r CAPTURE.pcap]\n"
		"               [-k KIND,...] [-b BYTES_PER_SECOND] [-t SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static unsigned char bufs[BATCH][MAX_LEN];
	uint64_t count = 0, sent = 0, errors = 0, per_kind[K_NR] = { 0 };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	enum kind kinds[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	const char *addr = NULL, *pcap = NULL;
	unsigned long long seed = 0;
	int opt, fd, n, i, j, port = 0;
	struct timespec t0, t1;
	double secs, bps = 0, limit = 0;
	uint64_t bytes = 0;
	char *tok;

	while ((opt = getopt(argc, argv, "d:p:n:s:r:k:b:t:")) != -1) {
		switch (opt) {
		case 'd':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			pcap = optarg;
			break;
		case 'k':
			for (tok = strtok(optarg, ","); tok;
			     tok = strtok(NULL, ",")) {
				for (i = 0; i < K_NR; i++)
					if (!strcmp(tok, kind_names[i]))
						break;
				if (i == K_NR)
					usage();
				only_kinds |= 1U << i;
			}
			break;
		case 'b':
			bps = strtod(optarg, NULL);
			break;
		case 't':
			limit = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	if (!addr || port <= 0 || port > 65535 || !count ||
	    inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	if (!seed) {
		clock_gettime(CLOCK_REALTIME, &t0);
		seed = (uint64_t)t0.tv_nsec ^ ((uint64_t)t0.tv_sec << 20) ^
		       (uint64_t)getpid();
	}
	printf("seed %llu\n", seed);
	fflush(stdout);
	rng_state = seed;
	if (pcap && load_pcap(pcap))
		return 1;
	printf("captured packets %zu\n", ncap);
	if (pcap && !ncap) {
		fprintf(stderr, "%s: no UDP packet in it\n", pcap);
		return 1;
	}

	dst.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		int want = count - sent < BATCH ? count - sent : BATCH;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (limit && secs >= limit)
			break;
		if (bps) {
			/* paced: a batch of 16 at most, once its time came */
			double due = bytes / bps - secs;

			if (due > 0) {
				struct timespec d = {
					.tv_sec = (time_t)due,
					.tv_nsec = (long)((due - (time_t)due) *
							  1e9),
				};

				nanosleep(&d, NULL);
			}
			if (want > 16)
				want = 16;
		}

		for (i = 0; i < want; i++) {
			kinds[i] = pick_kind();
			iov[i].iov_len = make_one(bufs[i], kinds[i]);
		}
		for (i = 0; i < want;) {
			n = sendmmsg(fd, msgs + i, want - i, 0);
			if (n > 0) {
				for (j = 0; j < n; j++) {
					per_kind[kinds[i + j]]++;
					bytes += iov[i + j].iov_len;
				}
				sent += n;
				i += n;
				continue;
			}
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != ECONNREFUSED && errno != EINTR) {
				perror("sendmmsg");
				return 1;
			}
			/* that datagram was not sent: it is not counted */
			errors++;
			i++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (i = 0; i < K_NR; i++)
		printf("sent %s %" PRIu64 "\n", kind_names[i], per_kind[i]);
	printf("send errors %" PRIu64 "\n", errors);
	printf("sent total %" PRIu64 "\n", sent);
	printf("sent bytes %" PRIu64 "\n", bytes);
	printf("seconds %.1f\n", secs);
	return 0;
}
