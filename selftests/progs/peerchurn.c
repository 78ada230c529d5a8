// SPDX-License-Identifier: GPL-2.0
/*
 * peerchurn: peers that die while packets are sent to them, for
 * selftests/peer_churn.sh.
 *
 *   peerchurn PLANE COUNT ENDPOINT_V4 DEST_V4 [SENDERS]
 *
 * COUNT times: add a peer with a fresh public key, allowed IP DEST_V4/32
 * and endpoint ENDPOINT_V4:51999; send one UDP datagram to DEST_V4
 * through the plane; remove the peer. Meanwhile SENDERS threads (default
 * 1) send datagrams to DEST_V4 without pause, so that packets reach the
 * plane's transmit path while the peer they were routed to is removed.
 * Each peer change is one SET_PLANE request, checked for its ACK. Prints
 * "churned COUNT peers, SENT datagrams"; exits 1 on any refused request.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wgplanes.h>

#define BUF_LEN 8192

struct msg {
	unsigned char buf[BUF_LEN];
	size_t len;
};

static struct nlattr *put(struct msg *m, uint16_t type, const void *data,
			  size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((unsigned char *)a + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(a->nla_len);
	return a;
}

static size_t nest_start(struct msg *m, uint16_t type)
{
	size_t off = m->len;

	put(m, type | NLA_F_NESTED, NULL, 0);
	return off;
}

static void nest_end(struct msg *m, size_t off)
{
	((struct nlattr *)(m->buf + off))->nla_len = m->len - off;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int genl_fd;
static uint16_t family;
static uint32_t seq = 1;

static void start(struct msg *m, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(h + 1);

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++seq;
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : WGPLANES_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Sends @m and reads up to its ACK; returns the error it carries. */
static int transact(struct msg *m, uint16_t *family_out)
{
	static unsigned char rbuf[BUF_LEN * 4];
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	int len;

	h->nlmsg_len = m->len;
	if (send(genl_fd, m->buf, m->len, 0) < 0)
		die("send");
	for (;;) {
		len = recv(genl_fd, rbuf, sizeof(rbuf), 0);
		if (len < 0)
			die("recv");
		for (h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (family_out) {
				/* CTRL_CMD_GETFAMILY reply: find the id */
				struct nlattr *a = (struct nlattr *)
					((unsigned char *)NLMSG_DATA(h) +
					 GENL_HDRLEN);
				int left = h->nlmsg_len - NLMSG_HDRLEN -
					   GENL_HDRLEN;

				while (left >= NLA_HDRLEN &&
				       a->nla_len >= NLA_HDRLEN) {
					if (a->nla_type == CTRL_ATTR_FAMILY_ID)
						*family_out = *(uint16_t *)
							((unsigned char *)a +
							 NLA_HDRLEN);
					left -= NLA_ALIGN(a->nla_len);
					a = (struct nlattr *)((unsigned char *)a
						+ NLA_ALIGN(a->nla_len));
				}
			}
		}
	}
}

static const char *plane;
static struct in_addr endpoint, dest;

/* One SET_PLANE with one peer: added (with its IP and endpoint) or removed. */
static int set_peer(const unsigned char key[32], int add)
{
	struct msg m;
	size_t peers, peer, aips, aip;
	uint32_t flags = WGPLANES_PEER_F_REMOVE_ME;
	uint16_t fam = AF_INET;
	uint8_t cidr = 32;
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(51999),
		.sin_addr = endpoint,
	};

	start(&m, family, WGPLANES_CMD_SET_PLANE);
	put(&m, WGPLANES_A_IFNAME, plane, strlen(plane) + 1);
	peers = nest_start(&m, WGPLANES_A_PEERS);
	peer = nest_start(&m, 0);
	put(&m, WGPLANES_PEER_A_PUBLIC_KEY, key, 32);
	if (add) {
		put(&m, WGPLANES_PEER_A_ENDPOINT, &sin, sizeof(sin));
		aips = nest_start(&m, WGPLANES_PEER_A_ALLOWEDIPS);
		aip = nest_start(&m, 0);
		put(&m, WGPLANES_ALLOWEDIP_A_FAMILY, &fam, sizeof(fam));
		put(&m, WGPLANES_ALLOWEDIP_A_IPADDR, &dest, sizeof(dest));
		put(&m, WGPLANES_ALLOWEDIP_A_CIDR_MASK, &cidr, sizeof(cidr));
		nest_end(&m, aip);
		nest_end(&m, aips);
	} else {
		put(&m, WGPLANES_PEER_A_FLAGS, &flags, sizeof(flags));
	}
	nest_end(&m, peer);
	nest_end(&m, peers);
	return transact(&m, NULL);
}

static atomic_int stop;
static atomic_ulong sent;

static void send_one(int fd)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
		.sin_addr = dest,
	};

	/* errors (no route, unreachable) are expected: the peer comes and goes */
	if (sendto(fd, "churn", 5, MSG_DONTWAIT, (struct sockaddr *)&to,
		   sizeof(to)) == 5)
		atomic_fetch_add(&sent, 1);
}

static void *sender(void *arg)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	(void)arg;
	if (fd < 0)
		die("socket");
	while (!atomic_load(&stop))
		send_one(fd);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned long count, i;
	int nsenders = 1, fd, err, j;
	pthread_t threads[16];
	unsigned char key[32];
	struct msg m;

	if (argc < 5) {
		fprintf(stderr, "usage: peerchurn PLANE COUNT ENDPOINT_V4 "
			"DEST_V4 [SENDERS]\n");
		return 2;
	}
	plane = argv[1];
	count = strtoul(argv[2], NULL, 0);
	if (inet_pton(AF_INET, argv[3], &endpoint) != 1 ||
	    inet_pton(AF_INET, argv[4], &dest) != 1) {
		fprintf(stderr, "peerchurn: bad address\n");
		return 2;
	}
	if (argc > 5)
		nsenders = atoi(argv[5]);
	if (nsenders < 0 || nsenders > 16)
		nsenders = 1;

	genl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (genl_fd < 0 || bind(genl_fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("netlink");
	start(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put(&m, CTRL_ATTR_FAMILY_NAME, WGPLANES_GENL_NAME,
	    strlen(WGPLANES_GENL_NAME) + 1);
	err = transact(&m, &family);
	if (err || !family) {
		fprintf(stderr, "peerchurn: no wgplanes family (%d)\n", err);
		return 1;
	}

	for (j = 0; j < nsenders; j++)
		if (pthread_create(&threads[j], NULL, sender, NULL))
			die("pthread_create");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	for (i = 0; i < count; i++) {
		/* a fresh key each time: a new peer, not an update */
		memset(key, 0, sizeof(key));
		memcpy(key, &i, sizeof(i));
		key[31] = 0x5a;
		err = set_peer(key, 1);
		if (!err) {
			send_one(fd);
			err = set_peer(key, 0);
		}
		if (err) {
			fprintf(stderr, "peerchurn: cycle %lu: SET_PLANE: %s\n",
				i, strerror(-err));
			break;
		}
	}
	atomic_store(&stop, 1);
	for (j = 0; j < nsenders; j++)
		pthread_join(threads[j], NULL);
	printf("churned %lu peers, %lu datagrams\n", i, atomic_load(&sent));
	return i == count ? 0 : 1;
}
