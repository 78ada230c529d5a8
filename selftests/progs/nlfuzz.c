// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: random and boundary netlink messages for the wgplanes module,
 * for selftests/fuzz_netlink.sh.
 *
 *   nlfuzz fuzz [options]     send messages, check every reply
 *   nlfuzz stall PLANE        start a GET_PLANE dump, read its first
 *                             message, print "stalled" and read no more
 *
 * fuzz options:
 *   --seed N         PRNG seed (printed; the same seed replays the run)
 *   --count N        messages to send (default 10000)
 *   --rtnl PCT       share of RTM_NEWLINK messages (default 15)
 *   --plane NAME     a plane to aim at (repeatable); NAME's ifindex too
 *   --no-admin       the caller has no CAP_NET_ADMIN over this namespace:
 *                    GET_PLANE, SET_PLANE and RTM_NEWLINK must all be
 *                    refused with EPERM
 *   --secret HEX     a 32-byte key that no reply may contain (repeatable)
 *   --prefix P       name prefix of fleets made through rtnetlink
 *
 * Every reply is checked: a rejection (NLMSG_ERROR or NLMSG_DONE with an
 * error) must carry an extack message (NLMSGERR_ATTR_MSG), except for the
 * classes that the netlink core rejects before the family runs and that
 * cannot carry one (unknown command, a do of a dump-only command and the
 * reverse, the capability checks of GENL_UNS_ADMIN_PERM and of rtnetlink):
 * those are counted and printed. No reply may contain a --secret. Exits 1
 * on any finding and prints the seed and the message number to replay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/wgplanes.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define BUF_LEN		(256 * 1024)
#define MSG_MAX		65000
#define MAX_PLANES	16
#define MAX_SECRETS	64
#define KEY_POOL	48

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int rn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ------------------------------------------------------ message builder */

struct msg {
	unsigned char buf[BUF_LEN];
	size_t len;
};

static struct nlattr *put(struct msg *m, uint16_t type, const void *data,
			  size_t len)
{
	struct nlattr *a;
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	/* nla_len is 16 bits: a message stays below 64 KiB, nests too */
	if (m->len + total > MSG_MAX)
		return NULL;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	m->len += total;
	return a;
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	size_t off = m->len;

	/* a nest without NLA_F_NESTED is something strict parsing refuses */
	if (!put(m, chance(97) ? type | NLA_F_NESTED : type, NULL, 0))
		return (size_t)-1;
	return off;
}

static void nest_end(struct msg *m, size_t off)
{
	struct nlattr *a;

	if (off == (size_t)-1)
		return;
	a = (struct nlattr *)(m->buf + off);
	a->nla_len = m->len - off;
}

static void put_u8(struct msg *m, uint16_t t, uint8_t v)
{
	put(m, t, &v, 1);
}

static void put_u16(struct msg *m, uint16_t t, uint16_t v)
{
	put(m, t, &v, 2);
}

static void put_u32(struct msg *m, uint16_t t, uint32_t v)
{
	put(m, t, &v, 4);
}

static void put_str(struct msg *m, uint16_t t, const char *s)
{
	put(m, t, s, strlen(s) + 1);
}

static void put_random(struct msg *m, uint16_t t, size_t maxlen)
{
	unsigned char b[512];
	size_t len = rn(maxlen + 1), i;

	if (len > sizeof(b))
		len = sizeof(b);
	for (i = 0; i < len; i++)
		b[i] = rnd();
	put(m, t, b, len);
}

/* An integer attribute at a boundary of @lo..@hi, or of its type. */
static void put_int(struct msg *m, uint16_t t, int bytes, uint64_t lo,
		    uint64_t hi)
{
	uint64_t all = bytes == 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
	uint64_t pick[] = { 0, lo, hi, hi + 1, lo - 1, all, 1, rnd() & all };
	uint64_t v = pick[rn(sizeof(pick) / sizeof(pick[0]))] & all;

	/* now and then the wrong width */
	if (chance(4))
		bytes = (int[]){ 0, 1, 2, 3, 4, 8, 16 }[rn(7)];
	put(m, t, &v, bytes);
}

/* A string: empty, short, at the limit, over it, without its NUL. */
static void put_name(struct msg *m, uint16_t t, size_t max,
		     const char *valid)
{
	char s[4200];
	size_t len, i;

	switch (rn(8)) {
	case 0:
		put_str(m, t, "");
		return;
	case 1:
		put(m, t, valid, strlen(valid));	/* no NUL */
		return;
	case 2: case 3:
		len = max;
		break;
	case 4:
		len = max + 1;
		break;
	case 5:
		len = rn(max + 2);
		break;
	default:
		put_str(m, t, valid);
		return;
	}
	if (len >= sizeof(s))
		len = sizeof(s) - 1;
	for (i = 0; i < len; i++)
		s[i] = "abcxyz019-_.+ /%"[rn(chance(90) ? 14 : 16)];
	s[len] = 0;
	put(m, t, s, len + (chance(85) ? 1 : 0));
}

static unsigned char key_pool[KEY_POOL][32];

static void put_key(struct msg *m, uint16_t t)
{
	int len = 32;

	if (chance(6))
		len = (int[]){ 0, 1, 31, 33, 64 }[rn(5)];
	if (len == 32) {
		put(m, t, key_pool[rn(KEY_POOL)], 32);
		return;
	}
	put_random(m, t, len);
}

/* Attributes of any type and any content, here and there. */
static void put_junk(struct msg *m, uint16_t maxtype)
{
	uint16_t t = chance(50) ? rn(maxtype + 3) :
		     (uint16_t[]){ 0, 0x3fff, 0x7fff, 0xffff }[rn(4)];

	if (chance(20)) {
		size_t n = nest_start(m, t);

		put_random(m, rn(maxtype + 2), 40);
		nest_end(m, n);
		return;
	}
	put_random(m, t, chance(90) ? 40 : 600);
}

struct target {
	char name[IFNAMSIZ];
	int ifindex;
};

static struct target planes[MAX_PLANES];
static int nplanes;
static int lo_ifindex = 1;

static void put_selector(struct msg *m, uint16_t idx_type, uint16_t name_type)
{
	struct target *p = nplanes ? &planes[rn(nplanes)] : NULL;

	switch (rn(10)) {
	case 0:
		break;				/* none */
	case 1:
		put_int(m, idx_type, 4, 1, 0x7fffffff);
		break;
	case 2:
		put_name(m, name_type, IFNAMSIZ - 1, "lo");
		break;
	case 3:
		put_u32(m, idx_type, lo_ifindex);
		break;
	case 4:
		if (p) {	/* both: refused */
			put_u32(m, idx_type, p->ifindex);
			put_str(m, name_type, p->name);
		}
		break;
	case 5: case 6:
		if (p)
			put_u32(m, idx_type, p->ifindex);
		break;
	default:
		if (p)
			put_str(m, name_type, p->name);
		break;
	}
}

static void put_endpoint(struct msg *m)
{
	unsigned char b[40] = {};
	struct sockaddr_in *s4 = (void *)b;
	struct sockaddr_in6 *s6 = (void *)b;
	int len;

	switch (rn(6)) {
	case 0:
		s4->sin_family = AF_INET;
		s4->sin_port = htons(rn(65536));
		s4->sin_addr.s_addr = htonl(0xc0000200 | rn(256));
		len = sizeof(*s4);
		break;
	case 1:
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(rn(65536));
		s6->sin6_addr.s6_addr[0] = 0x20;
		s6->sin6_addr.s6_addr[15] = rn(256);
		len = sizeof(*s6);
		break;
	case 2:		/* family and length disagree */
		s4->sin_family = AF_INET6;
		len = sizeof(*s4);
		break;
	case 3:
		s6->sin6_family = AF_INET;
		len = sizeof(*s6);
		break;
	case 4:
		s4->sin_family = rn(65536);
		len = rn(sizeof(b) + 1);
		break;
	default:
		len = (int[]){ 0, 1, 2, 15, 17, 27, 29, 40 }[rn(8)];
		s4->sin_family = AF_INET;
		break;
	}
	put(m, WGPLANES_PEER_A_ENDPOINT, b, len);
}

static void put_allowedip(struct msg *m)
{
	size_t n = nest_start(m, 0);
	unsigned char ip[20] = { 10, (unsigned char)rn(4), 0, 0 };
	int fam = chance(60) ? AF_INET : AF_INET6;

	if (fam == AF_INET6) {
		ip[0] = 0xfd;
		ip[1] = rn(4);
	}
	if (chance(85))
		put_u16(m, WGPLANES_ALLOWEDIP_A_FAMILY, fam);
	else if (!chance(20))
		put_int(m, WGPLANES_ALLOWEDIP_A_FAMILY, 2, AF_INET, AF_INET6);
	if (!chance(3))
		put(m, WGPLANES_ALLOWEDIP_A_IPADDR, ip,
		    chance(90) ? (fam == AF_INET ? 4 : 16) :
		    (int[]){ 0, 3, 5, 15, 17, 20 }[rn(6)]);
	if (!chance(3))
		put_u8(m, WGPLANES_ALLOWEDIP_A_CIDR_MASK,
		       chance(80) ? rn(fam == AF_INET ? 33 : 129) :
		       (uint8_t[]){ 0, 32, 33, 128, 129, 255 }[rn(6)]);
	if (chance(3))
		put_junk(m, WGPLANES_ALLOWEDIP_A_MAX);
	nest_end(m, n);
}

static void put_peer(struct msg *m, unsigned int max_aips)
{
	size_t n = nest_start(m, chance(95) ? 0 : rn(8));
	unsigned int i, k;

	if (!chance(4))
		put_key(m, WGPLANES_PEER_A_PUBLIC_KEY);
	if (chance(3))
		put_key(m, WGPLANES_PEER_A_PUBLIC_KEY);	/* duplicate */
	if (chance(25))
		put_key(m, WGPLANES_PEER_A_PRESHARED_KEY);
	if (chance(30))
		put_int(m, WGPLANES_PEER_A_FLAGS, 4, 0, __WGPLANES_PEER_F_ALL);
	if (chance(30))
		put_endpoint(m);
	if (chance(20))
		put_int(m, WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 2, 0,
			0xffff);
	if (chance(8))
		put_int(m, WGPLANES_PEER_A_PROTOCOL_VERSION, 4, 1, 1);
	if (chance(3))
		put_random(m, WGPLANES_PEER_A_LAST_HANDSHAKE_TIME +
			   rn(3), 16);	/* read-only ones */
	if (chance(50)) {
		size_t a = nest_start(m, WGPLANES_PEER_A_ALLOWEDIPS);

		k = chance(95) ? rn(max_aips + 1) : rn(1000);
		for (i = 0; i < k; i++)
			put_allowedip(m);
		nest_end(m, a);
	}
	if (chance(3))
		put_junk(m, WGPLANES_PEER_A_MAX);
	nest_end(m, n);
}

static void put_policy(struct msg *m)
{
	static const char *cpus[] = {
		"", "0", "1", "0-1", "0,1", "1-0", "0-", "x", "4095", "9999",
		"0-4095", "0-1:1/2", ",", "-1", " 0", "0 ",
	};
	static const int queues[] = {
		WGPLANES_POLICY_A_TXQ_LEN, WGPLANES_POLICY_A_ENCQ_LEN,
		WGPLANES_POLICY_A_DECQ_LEN, WGPLANES_POLICY_A_HSQ_LEN,
	};
	size_t n = nest_start(m, WGPLANES_A_POLICY), q;
	char big[4200];

	if (chance(40)) {
		if (chance(85)) {
			put_str(m, WGPLANES_POLICY_A_CPUS, cpus[rn(16)]);
		} else {
			/* 4095 characters is the limit, 4096 over it */
			size_t len = (size_t[]){ 4094, 4095, 4096 }[rn(3)], i;

			for (i = 0; i < len; i++)
				big[i] = i & 1 ? ',' : '0';
			big[len] = 0;
			put(m, WGPLANES_POLICY_A_CPUS, big,
			    len + (chance(80) ? 1 : 0));
		}
	}
	if (chance(30))
		put_int(m, WGPLANES_POLICY_A_PRIORITY, 1, 0, WGPLANES_PRIO_MAX);
	if (chance(30))
		put_int(m, WGPLANES_POLICY_A_RATE, 8, WGPLANES_RATE_MIN,
			~0ULL);
	if (chance(30))
		put_int(m, WGPLANES_POLICY_A_BURST, 4, WGPLANES_BURST_MIN,
			WGPLANES_BURST_MAX);
	for (q = 0; q < sizeof(queues) / sizeof(queues[0]); q++)
		if (chance(20))
			put_int(m, queues[q], 4, WGPLANES_QUEUE_LEN_MIN,
				WGPLANES_QUEUE_LEN_MAX);
	if (chance(5))
		put_random(m, WGPLANES_POLICY_A_EFFECTIVE_CPUS + rn(7), 8);
	if (chance(4))
		put_junk(m, WGPLANES_POLICY_A_MAX);
	nest_end(m, n);
}

static void build_set_plane(struct msg *m)
{
	unsigned int i, k;

	put_selector(m, WGPLANES_A_IFINDEX, WGPLANES_A_IFNAME);
	if (chance(20))
		put_key(m, WGPLANES_A_PRIVATE_KEY);
	if (chance(2)) {
		unsigned char zero[32] = {};

		put(m, WGPLANES_A_PRIVATE_KEY, zero, 32);
	}
	if (chance(15))
		put_int(m, WGPLANES_A_FLAGS, 4, 0, __WGPLANES_F_ALL);
	if (chance(15))
		put_int(m, WGPLANES_A_LISTEN_PORT, 2, 0, 0xffff);
	if (chance(15))
		put_int(m, WGPLANES_A_FWMARK, 4, 0, 0xffffffff);
	if (chance(25))
		put_policy(m);
	if (chance(60)) {
		size_t n = nest_start(m, WGPLANES_A_PEERS);

		/* a few peers; now and then a huge count of tiny ones */
		k = chance(99) ? rn(8) : 200 + rn(1200);
		for (i = 0; i < k; i++)
			put_peer(m, k > 8 ? 0 : 6);
		nest_end(m, n);
	}
	if (chance(4))
		put_random(m, WGPLANES_A_PUBLIC_KEY +
			   (uint16_t[]){ 0, 6, 7, 8, 9 }[rn(5)], 40);
	if (chance(4))
		put_junk(m, WGPLANES_A_MAX);
	if (chance(3))	/* a duplicated selector */
		put_selector(m, WGPLANES_A_IFINDEX, WGPLANES_A_IFNAME);
}

static void build_get(struct msg *m, bool fleet)
{
	if (fleet)
		put_selector(m, WGPLANES_FLEET_A_IFINDEX,
			     WGPLANES_FLEET_A_IFNAME);
	else
		put_selector(m, WGPLANES_A_IFINDEX, WGPLANES_A_IFNAME);
	if (chance(5))
		put_junk(m, fleet ? WGPLANES_FLEET_A_MAX : WGPLANES_A_MAX);
}

/* IFLA_INFO_DATA of a fleet */
static void build_link_data(struct msg *m)
{
	static const char *names[] = {
		"mgmt", "a", "abcdefghijklmno", "abcdefghijklmnop", "a b",
		"../x", "web", "db", "x.y-z_0", "",
	};
	unsigned int i, k;

	if (chance(60))
		put_int(m, WGPLANES_LINK_A_PLANES, 4, 1, WGPLANES_MAX_PLANES);
	if (chance(50)) {
		size_t n = nest_start(m, WGPLANES_LINK_A_PLANE_NAMES);

		k = chance(95) ? rn(10) : rn(300);
		for (i = 0; i < k; i++) {
			uint16_t t = chance(90) ? 1 + rn(WGPLANES_MAX_PLANES) :
				     rn(20);

			if (chance(80))
				put_str(m, t, names[rn(10)]);
			else
				put_name(m, t, WGPLANES_PLANE_NAME_LEN - 1,
					 "ok");
		}
		if (chance(3))
			put_random(m, 1, 3);
		nest_end(m, n);
	}
	if (chance(8))
		put_junk(m, WGPLANES_LINK_A_MAX);
}

/* ---------------------------------------------------------- sockets */

static int nl_open(int proto, int rcvbuf)
{
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		perror("nlfuzz: socket");
		exit(2);
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static struct msg req;
static unsigned char rbuf[BUF_LEN];

static struct nlmsghdr *hdr_start(struct msg *m, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;

	memset(m->buf, 0, NLMSG_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	m->len = NLMSG_HDRLEN;
	return nlh;
}

static void send_msg(int fd, struct msg *m, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	nlh->nlmsg_len = m->len;
	nlh->nlmsg_seq = seq;
	if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		perror("nlfuzz: sendto");
		exit(2);
	}
}

static int family_id(int fd)
{
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	ssize_t n;

	hdr_start(&req, GENL_ID_CTRL, NLM_F_REQUEST);
	memcpy(req.buf + req.len, &g, sizeof(g));
	req.len += GENL_HDRLEN;
	put_str(&req, CTRL_ATTR_FAMILY_NAME, WGPLANES_GENL_NAME);
	send_msg(fd, &req, 1);
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	nlh = (struct nlmsghdr *)rbuf;
	if (n < (ssize_t)NLMSG_HDRLEN || nlh->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "nlfuzz: no family %s\n", WGPLANES_GENL_NAME);
		exit(2);
	}
	for (a = (void *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	     (char *)a + NLA_HDRLEN <= (char *)nlh + nlh->nlmsg_len;
	     a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			return *(uint16_t *)((char *)a + NLA_HDRLEN);
	}
	fprintf(stderr, "nlfuzz: no family id\n");
	exit(2);
}

/* ------------------------------------------------------------ checks */

static unsigned char secrets[MAX_SECRETS][32];
static int nsecrets;
static bool no_admin;

static unsigned long n_sent, n_ok, n_rejected, n_core_class, n_nomsg,
	n_leaks, n_replies, n_eperm_ok_unexpected, n_created;
static unsigned long by_errno[256];

enum kind { K_GET_PLANE, K_SET_PLANE, K_FLEET_DO, K_FLEET_DUMP, K_ODD_CMD,
	    K_WRONG_MODE, K_NEWLINK };

static const char *kind_name[] = {
	"get-plane dump", "set-plane", "get-fleet do", "get-fleet dump",
	"unknown command", "do/dump mismatch", "rtm_newlink",
};

struct reply {
	int err;		/* first error seen, 0 if none */
	bool has_msg;
	char msg[160];
	bool done;
};

static bool has_secret(const unsigned char *b, size_t len)
{
	int i;

	for (i = 0; i < nsecrets; i++)
		if (memmem(b, len, secrets[i], 32))
			return true;
	return false;
}

static void find_msg(const unsigned char *tlv, const unsigned char *end,
		     struct reply *r)
{
	const struct nlattr *a;

	for (a = (const void *)tlv; (const unsigned char *)a + NLA_HDRLEN <= end;
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		if (a->nla_len < NLA_HDRLEN ||
		    (const unsigned char *)a + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    a->nla_len > NLA_HDRLEN) {
			r->has_msg = true;
			snprintf(r->msg, sizeof(r->msg), "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
		}
	}
}

/* Reads replies to @seq until its ack, error or NLMSG_DONE. */
static void read_reply(int fd, uint32_t seq, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	while (!r->done) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		struct nlmsghdr *nlh;
		size_t len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr, "nlfuzz: receive overrun\n");
				exit(2);
			}
			perror("nlfuzz: recv");
			exit(2);
		}
		n_replies++;
		if (nsecrets && has_secret(rbuf, n))
			n_leaks++;
		len = n;
		for (nlh = (void *)rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const unsigned char *end = (unsigned char *)nlh +
						   nlh->nlmsg_len;
			int e;

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(nlh);
				const unsigned char *tlv;

				e = err->error;
				tlv = (unsigned char *)err + sizeof(*err);
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					tlv += NLMSG_ALIGN(err->msg.nlmsg_len) -
					       NLMSG_HDRLEN;
				if (e && !r->err) {
					r->err = e;
					if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
						find_msg(tlv, end, r);
				}
				r->done = true;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
				if (e && !r->err) {
					r->err = e;
					if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
						find_msg((unsigned char *)
							 NLMSG_DATA(nlh) + 4,
							 end, r);
				}
				r->done = true;
			}
		}
	}
}

static int rtnl_fd, genl_fd, genl_id;
static uint32_t seqno = 100;
static const char *prefix = "fz";

static void delete_link(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct reply r;

	hdr_start(&req, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
	memcpy(req.buf + req.len, &ifi, sizeof(ifi));
	req.len += NLMSG_ALIGN(sizeof(ifi));
	put_str(&req, IFLA_IFNAME, name);
	send_msg(rtnl_fd, &req, ++seqno);
	read_reply(rtnl_fd, seqno, &r);
	if (r.err) {
		fprintf(stderr, "nlfuzz: cannot delete %s: %s\n", name,
			strerror(-r.err));
		exit(2);
	}
}

/*
 * The rejections that the netlink core makes before the family or the
 * link type sees the message, and that carry no message on 6.1 or 6.12.
 */
static bool core_class(enum kind k, int err)
{
	if (k == K_ODD_CMD && err == -EOPNOTSUPP)
		return true;
	if (k == K_WRONG_MODE && err == -EOPNOTSUPP)
		return true;
	if (no_admin && err == -EPERM &&
	    (k == K_GET_PLANE || k == K_SET_PLANE || k == K_NEWLINK ||
	     k == K_WRONG_MODE))
		return true;
	return false;
}

static unsigned long seed_arg, msg_index;

static void finding(const char *what, enum kind k, struct reply *r)
{
	static int shown;

	if (shown++ < 20)
		fprintf(stderr,
			"nlfuzz: %s: message %lu (%s), error %d (%s)%s%s; replay with --seed %lu --count %lu\n",
			what, msg_index, kind_name[k], r->err,
			strerror(-r->err), r->has_msg ? ": " : "",
			r->has_msg ? r->msg : "", seed_arg, msg_index + 1);
}

static void one_message(void)
{
	struct genlmsghdr g = { .version = WGPLANES_GENL_VERSION };
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	struct reply r;
	enum kind k;
	char name[IFNAMSIZ] = "";
	unsigned int p = rn(100);
	int fd = genl_fd;

	if (p < (unsigned int)atoi(getenv("NLFUZZ_RTNL") ?: "15")) {
		struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
		size_t li, d;

		k = K_NEWLINK;
		fd = rtnl_fd;
		hdr_start(&req, RTM_NEWLINK, flags | NLM_F_CREATE |
			  NLM_F_EXCL);
		memcpy(req.buf + req.len, &ifi, sizeof(ifi));
		req.len += NLMSG_ALIGN(sizeof(ifi));
		snprintf(name, sizeof(name), "%s%lu", prefix, msg_index);
		/* a long fleet name makes the planes fall back to wgplaneN */
		if (chance(10)) {
			size_t l = strlen(name);

			memset(name + l, 'x', sizeof(name) - 1 - l);
			name[sizeof(name) - 1] = 0;
		}
		put_str(&req, IFLA_IFNAME, name);
		if (chance(3)) {
			unsigned char mac[6] = { 2 };

			put(&req, IFLA_ADDRESS, mac, 6);
		}
		li = nest_start(&req, IFLA_LINKINFO);
		put_str(&req, IFLA_INFO_KIND,
			chance(95) ? WGPLANES_LINK_KIND : WGPLANES_PLANE_KIND);
		/* most messages must be refused: a fleet costs 5 devices */
		if (chance(97)) {
			d = nest_start(&req, IFLA_INFO_DATA);
			build_link_data(&req);
			/* last: what comes before it is checked first */
			if (chance(93))
				put_junk(&req, WGPLANES_LINK_A_MAX);
			nest_end(&req, d);
		}
		nest_end(&req, li);
	} else {
		hdr_start(&req, genl_id, flags);
		p = rn(100);
		if (p < 28) {
			k = K_GET_PLANE;
			g.cmd = WGPLANES_CMD_GET_PLANE;
		} else if (p < 73) {
			k = K_SET_PLANE;
			g.cmd = WGPLANES_CMD_SET_PLANE;
		} else if (p < 84) {
			k = K_FLEET_DO;
			g.cmd = WGPLANES_CMD_GET_FLEET;
		} else if (p < 94) {
			k = K_FLEET_DUMP;
			g.cmd = WGPLANES_CMD_GET_FLEET;
		} else if (p < 97) {
			k = K_ODD_CMD;
			g.cmd = (uint8_t[]){ 0, WGPLANES_CMD_MAX + 1, 255 }[rn(3)];
		} else {
			k = K_WRONG_MODE;
			g.cmd = chance(50) ? WGPLANES_CMD_GET_PLANE :
					     WGPLANES_CMD_SET_PLANE;
		}
		if (k == K_GET_PLANE || k == K_FLEET_DUMP ||
		    (k == K_WRONG_MODE && g.cmd == WGPLANES_CMD_SET_PLANE))
			((struct nlmsghdr *)req.buf)->nlmsg_flags |= NLM_F_DUMP;
		if (chance(1))
			g.reserved = 1 + rn(0xffff);
		memcpy(req.buf + req.len, &g, sizeof(g));
		req.len += GENL_HDRLEN;
		if (k == K_SET_PLANE || (k == K_WRONG_MODE &&
					 g.cmd == WGPLANES_CMD_SET_PLANE))
			build_set_plane(&req);
		else
			build_get(&req, k == K_FLEET_DO || k == K_FLEET_DUMP);
	}
	/* the tail of a message: a few bytes too many, a length too long */
	if (chance(2)) {
		req.buf[req.len] = rnd();
		req.len += 1 + rn(3);
	} else if (chance(1) && req.len > NLMSG_HDRLEN + 24) {
		struct nlattr *a = (void *)(req.buf + req.len);

		a->nla_type = rn(20);
		a->nla_len = 0xffff;
		req.len += 4;
	}

	send_msg(fd, &req, ++seqno);
	n_sent++;
	read_reply(fd, seqno, &r);
	if (r.err >= 0) {
		n_ok++;
		if (no_admin && (k == K_GET_PLANE || k == K_SET_PLANE ||
				 k == K_NEWLINK)) {
			n_eperm_ok_unexpected++;
			finding("accepted without CAP_NET_ADMIN", k, &r);
		}
		if (k == K_NEWLINK) {
			n_created++;
			delete_link(name);
		}
		return;
	}
	n_rejected++;
	by_errno[-r.err & 0xff]++;
	if (r.has_msg)
		return;
	if (core_class(k, r.err)) {
		n_core_class++;
		return;
	}
	n_nomsg++;
	finding("rejected without an extack message", k, &r);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nlfuzz fuzz [--seed N] [--count N] [--plane NAME]... [--no-admin]\n"
		"                   [--secret HEX]... [--prefix P]\n"
		"       nlfuzz stall PLANE\n");
	exit(2);
}

static int hexkey(const char *s, unsigned char *k)
{
	int i;

	if (strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++)
		if (sscanf(s + 2 * i, "%2hhx", &k[i]) != 1)
			return -1;
	return 0;
}

/* Start a dump of @plane, read one message, then nothing more. */
static int stall(const char *plane)
{
	struct genlmsghdr g = { .cmd = WGPLANES_CMD_GET_PLANE,
				.version = WGPLANES_GENL_VERSION };
	ssize_t n;

	genl_fd = nl_open(NETLINK_GENERIC, 4096);
	genl_id = family_id(genl_fd);
	hdr_start(&req, genl_id, NLM_F_REQUEST | NLM_F_DUMP);
	memcpy(req.buf + req.len, &g, sizeof(g));
	req.len += GENL_HDRLEN;
	put_str(&req, WGPLANES_A_IFNAME, plane);
	send_msg(genl_fd, &req, 1);
	n = recv(genl_fd, rbuf, 4096, 0);
	if (n <= 0 || ((struct nlmsghdr *)rbuf)->nlmsg_type == NLMSG_ERROR ||
	    ((struct nlmsghdr *)rbuf)->nlmsg_type == NLMSG_DONE) {
		fprintf(stderr, "nlfuzz: the dump did not start\n");
		return 1;
	}
	printf("stalled\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned long count = 10000, i;
	struct timespec t0, t1;
	int a;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "stall")) {
		if (argc != 3)
			usage();
		return stall(argv[2]);
	}
	if (strcmp(argv[1], "fuzz"))
		usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	seed_arg = t0.tv_nsec ^ getpid();
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc) {
			seed_arg = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "--count") && a + 1 < argc) {
			count = strtoul(argv[++a], NULL, 0);
		} else if (!strcmp(argv[a], "--plane") && a + 1 < argc) {
			if (nplanes == MAX_PLANES)
				usage();
			snprintf(planes[nplanes].name, IFNAMSIZ, "%s",
				 argv[++a]);
			planes[nplanes].ifindex =
				if_nametoindex(planes[nplanes].name);
			if (!planes[nplanes].ifindex) {
				fprintf(stderr, "nlfuzz: no device %s\n",
					planes[nplanes].name);
				return 2;
			}
			nplanes++;
		} else if (!strcmp(argv[a], "--no-admin")) {
			no_admin = true;
		} else if (!strcmp(argv[a], "--secret") && a + 1 < argc) {
			if (nsecrets == MAX_SECRETS ||
			    hexkey(argv[++a], secrets[nsecrets++]))
				usage();
		} else if (!strcmp(argv[a], "--prefix") && a + 1 < argc) {
			prefix = argv[++a];
		} else {
			usage();
		}
	}
	rng_state = seed_arg * 2654435761ULL + 1;
	for (i = 0; i < KEY_POOL * 32; i++)
		key_pool[i / 32][i % 32] = rnd();
	lo_ifindex = if_nametoindex("lo") ?: 1;
	printf("# nlfuzz: seed %lu, %lu messages%s\n", seed_arg, count,
	       no_admin ? ", without CAP_NET_ADMIN" : "");
	fflush(stdout);

	genl_fd = nl_open(NETLINK_GENERIC, 1 << 20);
	rtnl_fd = nl_open(NETLINK_ROUTE, 1 << 20);
	genl_id = family_id(genl_fd);

	for (msg_index = 0; msg_index < count; msg_index++)
		one_message();

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# nlfuzz: %lu sent in %.1f s: %lu accepted, %lu rejected (%lu fleets created and deleted)\n",
	       n_sent, (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9, n_ok, n_rejected, n_created);
	printf("# nlfuzz: rejections by errno:");
	for (i = 0; i < 256; i++)
		if (by_errno[i])
			printf(" %s=%lu", strerrorname_np(i) ?: "?", by_errno[i]);
	printf("\n# nlfuzz: %lu rejections by the netlink core that cannot carry a message (unknown command, do/dump mismatch%s)\n",
	       n_core_class,
	       no_admin ? ", missing CAP_NET_ADMIN" : "");
	printf("# nlfuzz: %lu rejections without an extack message, %lu replies with a secret key, %lu accepted without CAP_NET_ADMIN\n",
	       n_nomsg, n_leaks, n_eperm_ok_unexpected);
	if (n_nomsg || n_leaks || n_eperm_ok_unexpected) {
		printf("# nlfuzz: FAILED (seed %lu)\n", seed_arg);
		return 1;
	}
	return 0;
}
