// SPDX-License-Identifier: GPL-2.0
/*
 * The only file that speaks netlink: the generic netlink family "wgplanes"
 * for planes and fleets, rtnetlink for listing planes and for creating and
 * deleting fleets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/time_types.h>

#include "ipc.h"
#include "encoding.h"

/* Dump replies can be as large as the kernel's dump buffer. */
#define RECV_BUF_SIZE	(64 * 1024)
/* The kernel rejects SET_PLANE messages larger than its buffer (32 KiB). */
#define SEND_BUF_SIZE	(30 * 1024)
#define SMALL_BUF_SIZE	1024
#define DUMP_RETRIES	10

/* tests/chunk_test.c replaces the transport of SET_PLANE messages. */
#ifndef SET_PLANE_SEND
#define SET_PLANE_SEND(nl, nlh) nl_talk(nl, nlh, NULL, NULL, NULL)
#endif

struct nl {
	struct mnl_socket *sock;
	uint32_t seq;
	uint16_t family;
	char *rbuf;
};

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *data);

static char extack[512];

const char *ipc_strerror(int err)
{
	static char buf[sizeof(extack) + 128];

	if (extack[0])
		snprintf(buf, sizeof(buf), "%s (%s)", extack, strerror(-err));
	else
		snprintf(buf, sizeof(buf), "%s", strerror(-err));
	return buf;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	nl->sock = NULL;
	nl->rbuf = NULL;
}

static int nl_open(struct nl *nl, int bus)
{
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	extack[0] = '\0';
	nl->rbuf = malloc(RECV_BUF_SIZE);
	nl->sock = mnl_socket_open(bus);
	if (!nl->rbuf || !nl->sock)
		goto err;
	/* Best effort: without them we just lose the extack text. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	nl->seq = (uint32_t)time(NULL);
	return 0;
err:
	ret = errno ? -errno : -ENOMEM;
	nl_close(nl);
	return ret;
}

static void parse_extack(const struct nlmsghdr *nlh, size_t offset)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, offset)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(extack, sizeof(extack), "%s",
				 mnl_attr_get_str(a));
}

static int error_status(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return -EBADMSG;
	if (!err->error)
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_extack(nlh, off);
	return err->error > 0 ? -err->error : err->error;
}

/* A dump that failed part way reports the error in NLMSG_DONE. */
static int done_status(const struct nlmsghdr *nlh)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return 0;
	parse_extack(nlh, sizeof(int));
	return err;
}

/*
 * Send one request and process replies until its ACK, error or NLMSG_DONE.
 * Sets *intr when the kernel flags a dump as inconsistent.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, msg_cb cb, void *data,
		   bool *intr)
{
	const struct nlmsghdr *nlh;
	uint32_t seq = ++nl->seq;
	int len, ret;

	req->nlmsg_seq = seq;
	extack[0] = '\0';
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = (int)mnl_socket_recvfrom(nl->sock, nl->rbuf,
					       RECV_BUF_SIZE);
		if (len < 0)
			return -errno;
		for (nlh = (const void *)nl->rbuf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (intr && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				*intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				break;
			case NLMSG_OVERRUN:
				return -EOVERFLOW;
			case NLMSG_DONE:
				return done_status(nlh);
			case NLMSG_ERROR:
				/*
				 * An error ends a request or a dump; an ACK
				 * (error 0) ends a request. Do not look at
				 * NLM_F_DUMP in the request: its bits are
				 * NLM_F_REPLACE|NLM_F_EXCL in a NEW request.
				 */
				return error_status(nlh);
			default:
				if (cb && (ret = cb(nlh, data)) < 0)
					return ret;
			}
		}
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return 0;
}

static struct nlmsghdr *genl_msg(char *buf, uint16_t family, uint8_t cmd,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = family == GENL_ID_CTRL ? 1 : WGPLANES_GENL_VERSION;
	return nlh;
}

static int genl_open(struct nl *nl)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct nlmsghdr *nlh;
	int ret;

	ret = nl_open(nl, NETLINK_GENERIC);
	if (ret)
		return ret;
	nlh = genl_msg((char *)buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
		       NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WGPLANES_GENL_NAME);
	ret = nl_talk(nl, nlh, family_cb, &nl->family, NULL);
	if (!ret && !nl->family)
		ret = -EPROTO;
	if (ret == -ENOENT)
		snprintf(extack, sizeof(extack),
			 "the wgplanes kernel module is not loaded");
	if (ret)
		nl_close(nl);
	return ret;
}

/* ------------------------------------------------------------ parsing */

static bool attr_ok(const struct nlattr *a, enum mnl_attr_data_type t)
{
	return mnl_attr_validate(a, t) == 0;
}

static void copy_str(char *dst, size_t len, const struct nlattr *a)
{
	if (attr_ok(a, MNL_TYPE_NUL_STRING))
		snprintf(dst, len, "%s", mnl_attr_get_str(a));
}

static void parse_counters(uint64_t *c, const struct nlattr *nest)
{
	const struct nlattr *a;
	unsigned int t;

	mnl_attr_for_each_nested(a, nest) {
		t = mnl_attr_get_type(a);
		/* Unknown (newer) counters are skipped. */
		if (t >= 1 && t <= __WGPLANES_CNT_LAST &&
		    attr_ok(a, MNL_TYPE_U64))
			c[t - 1] = mnl_attr_get_u64(a);
	}
}

static void parse_allowedip(struct wgp_peer *peer, const struct nlattr *nest)
{
	struct wgp_allowedip ip = { 0 };
	const struct nlattr *a;
	size_t alen = 0;
	bool cidr = false;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_ALLOWEDIP_A_FAMILY:
			if (attr_ok(a, MNL_TYPE_U16))
				ip.family = mnl_attr_get_u16(a);
			break;
		case WGPLANES_ALLOWEDIP_A_IPADDR:
			alen = mnl_attr_get_payload_len(a);
			if (alen == 4 || alen == 16)
				memcpy(&ip.ip6, mnl_attr_get_payload(a), alen);
			break;
		case WGPLANES_ALLOWEDIP_A_CIDR_MASK:
			if (attr_ok(a, MNL_TYPE_U8)) {
				ip.cidr = mnl_attr_get_u8(a);
				cidr = true;
			}
			break;
		}
	}
	if (cidr && ((ip.family == AF_INET && alen == 4 && ip.cidr <= 32) ||
		     (ip.family == AF_INET6 && alen == 16 && ip.cidr <= 128)))
		peer_add_ip(peer, &ip);
}

static int parse_peer(struct wgp_plane *p, const struct nlattr *nest)
{
	struct wgp_peer tmp = { 0 }, *peer;
	const struct nlattr *a, *ips = NULL, *ia;
	struct __kernel_timespec ts;
	size_t len;

	mnl_attr_for_each_nested(a, nest) {
		len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_PEER_A_PUBLIC_KEY:
			if (len != WGPLANES_KEY_LEN)
				break;
			memcpy(tmp.public_key, mnl_attr_get_payload(a), len);
			tmp.flags |= WGP_PEER_HAS_PUBLIC_KEY;
			break;
		case WGPLANES_PEER_A_PRESHARED_KEY:
			if (len != WGPLANES_KEY_LEN)
				break;
			memcpy(tmp.preshared_key, mnl_attr_get_payload(a), len);
			if (!key_is_zero(tmp.preshared_key))
				tmp.flags |= WGP_PEER_HAS_PRESHARED_KEY;
			break;
		case WGPLANES_PEER_A_ENDPOINT:
			if (len == sizeof(struct sockaddr_in) ||
			    len == sizeof(struct sockaddr_in6))
				memcpy(&tmp.endpoint, mnl_attr_get_payload(a),
				       len);
			break;
		case WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (attr_ok(a, MNL_TYPE_U16)) {
				tmp.keepalive = mnl_attr_get_u16(a);
				tmp.flags |= WGP_PEER_HAS_KEEPALIVE;
			}
			break;
		case WGPLANES_PEER_A_LAST_HANDSHAKE_TIME:
			if (len != sizeof(ts))
				break;
			memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
			tmp.handshake_sec = ts.tv_sec;
			tmp.handshake_nsec = ts.tv_nsec;
			break;
		case WGPLANES_PEER_A_RX_BYTES:
			if (attr_ok(a, MNL_TYPE_U64))
				tmp.rx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPLANES_PEER_A_TX_BYTES:
			if (attr_ok(a, MNL_TYPE_U64))
				tmp.tx_bytes = mnl_attr_get_u64(a);
			break;
		case WGPLANES_PEER_A_ALLOWEDIPS:
			ips = a;
			break;
		}
	}
	if (!(tmp.flags & WGP_PEER_HAS_PUBLIC_KEY))
		return -EBADMSG;
	/* A peer continued from the previous message: same key, more IPs. */
	if (p->last_peer && !memcmp(p->last_peer->public_key, tmp.public_key,
				    WGPLANES_KEY_LEN)) {
		peer = p->last_peer;
	} else {
		peer = plane_add_peer(p);
		memcpy(peer, &tmp, sizeof(tmp));
	}
	explicit_bzero(&tmp, sizeof(tmp));
	if (ips)
		mnl_attr_for_each_nested(ia, ips)
			parse_allowedip(peer, ia);
	return 0;
}

static void parse_policy(struct wgp_policy *pol, const struct nlattr *nest)
{
	const struct nlattr *a;
	uint32_t *u32 = NULL, bit;
	uint64_t *u64;

	mnl_attr_for_each_nested(a, nest) {
		bit = 0;
		u64 = NULL;
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_POLICY_A_CPUS:
			copy_str(pol->cpus, sizeof(pol->cpus), a);
			pol->has |= WGP_POL_CPUS;
			continue;
		case WGPLANES_POLICY_A_EFFECTIVE_CPUS:
			copy_str(pol->effective_cpus,
				 sizeof(pol->effective_cpus), a);
			pol->has |= WGP_POL_EFFECTIVE_CPUS;
			continue;
		case WGPLANES_POLICY_A_PRIORITY:
			if (attr_ok(a, MNL_TYPE_U8)) {
				pol->priority = mnl_attr_get_u8(a);
				pol->has |= WGP_POL_PRIORITY;
			}
			continue;
		case WGPLANES_POLICY_A_RATE:
			if (attr_ok(a, MNL_TYPE_U64)) {
				pol->rate = mnl_attr_get_u64(a);
				pol->has |= WGP_POL_RATE;
			}
			continue;
		case WGPLANES_POLICY_A_ENCQ_BYTES:
			u64 = &pol->encq_bytes;
			break;
		case WGPLANES_POLICY_A_DECQ_BYTES:
			u64 = &pol->decq_bytes;
			break;
		case WGPLANES_POLICY_A_HSQ_BYTES:
			u64 = &pol->hsq_bytes;
			break;
		case WGPLANES_POLICY_A_WAITQ_BYTES:
			u64 = &pol->waitq_bytes;
			break;
		case WGPLANES_POLICY_A_BURST:
			u32 = &pol->burst;
			bit = WGP_POL_BURST;
			break;
		case WGPLANES_POLICY_A_TXQ_LEN:
			u32 = &pol->txq;
			bit = WGP_POL_TXQ;
			break;
		case WGPLANES_POLICY_A_ENCQ_LEN:
			u32 = &pol->encq;
			bit = WGP_POL_ENCQ;
			break;
		case WGPLANES_POLICY_A_DECQ_LEN:
			u32 = &pol->decq;
			bit = WGP_POL_DECQ;
			break;
		case WGPLANES_POLICY_A_HSQ_LEN:
			u32 = &pol->hsq;
			bit = WGP_POL_HSQ;
			break;
		case WGPLANES_POLICY_A_CPUS_FALLBACK:
			pol->cpus_fallback = true;
			continue;
		case WGPLANES_POLICY_A_TX_STOPPED:
			pol->tx_stopped = true;
			continue;
		case WGPLANES_POLICY_A_ENCQ_USED:
			u32 = &pol->encq_used;
			bit = WGP_POL_STATE;
			break;
		case WGPLANES_POLICY_A_DECQ_USED:
			u32 = &pol->decq_used;
			bit = WGP_POL_STATE;
			break;
		case WGPLANES_POLICY_A_HSQ_USED:
			u32 = &pol->hsq_used;
			bit = WGP_POL_STATE;
			break;
		case WGPLANES_POLICY_A_WAITQ_USED:
			u32 = &pol->waitq_used;
			bit = WGP_POL_STATE;
			break;
		}
		if (u64 && attr_ok(a, MNL_TYPE_U64))
			*u64 = mnl_attr_get_u64(a);
		if (bit && attr_ok(a, MNL_TYPE_U32)) {
			*u32 = mnl_attr_get_u32(a);
			pol->has |= bit;
		}
	}
}

static int plane_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wgp_plane *p = data;
	const struct nlattr *a, *pa;
	size_t len;
	int ret;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		len = mnl_attr_get_payload_len(a);
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_A_IFINDEX:
			if (attr_ok(a, MNL_TYPE_U32))
				p->ifindex = mnl_attr_get_u32(a);
			break;
		case WGPLANES_A_IFNAME:
			copy_str(p->name, sizeof(p->name), a);
			break;
		case WGPLANES_A_PRIVATE_KEY:
			if (len != WGPLANES_KEY_LEN)
				break;
			memcpy(p->private_key, mnl_attr_get_payload(a), len);
			if (!key_is_zero(p->private_key))
				p->flags |= WGP_HAS_PRIVATE_KEY;
			break;
		case WGPLANES_A_PUBLIC_KEY:
			if (len != WGPLANES_KEY_LEN)
				break;
			memcpy(p->public_key, mnl_attr_get_payload(a), len);
			if (!key_is_zero(p->public_key))
				p->flags |= WGP_HAS_PUBLIC_KEY;
			break;
		case WGPLANES_A_LISTEN_PORT:
			if (attr_ok(a, MNL_TYPE_U16))
				p->listen_port = mnl_attr_get_u16(a);
			break;
		case WGPLANES_A_FWMARK:
			if (attr_ok(a, MNL_TYPE_U32))
				p->fwmark = mnl_attr_get_u32(a);
			break;
		case WGPLANES_A_PEERS:
			mnl_attr_for_each_nested(pa, a) {
				ret = parse_peer(p, pa);
				if (ret)
					return ret;
			}
			break;
		case WGPLANES_A_POLICY:
			parse_policy(&p->policy, a);
			break;
		case WGPLANES_A_COUNTERS:
			parse_counters(p->counters, a);
			p->flags |= WGP_HAS_COUNTERS;
			break;
		case WGPLANES_A_FLEET_IFINDEX:
			if (attr_ok(a, MNL_TYPE_U32)) {
				p->fleet_ifindex = mnl_attr_get_u32(a);
				p->flags |= WGP_HAS_FLEET;
			}
			break;
		case WGPLANES_A_PLANE_INDEX:
			if (attr_ok(a, MNL_TYPE_U32))
				p->plane_index = mnl_attr_get_u32(a);
			break;
		case WGPLANES_A_PLANE_NAME:
			copy_str(p->plane_name, sizeof(p->plane_name), a);
			break;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- planes */

int ipc_get_plane(struct wgp_plane **out, const char *name)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct wgp_plane *p = NULL;
	struct nlmsghdr *nlh;
	struct nl nl;
	bool intr;
	int ret, tries;

	ret = genl_open(&nl);
	if (ret)
		return ret;
	/* A plane changed during the dump: start over, a bounded number. */
	for (tries = 0;; tries++) {
		plane_free(p);
		p = plane_new();
		nlh = genl_msg((char *)buf, nl.family, WGPLANES_CMD_GET_PLANE,
			       NLM_F_DUMP);
		mnl_attr_put_strz(nlh, WGPLANES_A_IFNAME, name);
		intr = false;
		ret = nl_talk(&nl, nlh, plane_cb, p, &intr);
		if (ret || !intr)
			break;
		if (tries == DUMP_RETRIES) {
			ret = -EAGAIN;
			snprintf(extack, sizeof(extack),
				 "plane kept changing during the dump");
			break;
		}
	}
	nl_close(&nl);
	if (ret) {
		plane_free(p);
		return ret;
	}
	if (!p->name[0])
		snprintf(p->name, sizeof(p->name), "%s", name);
	*out = p;
	return 0;
}

static bool put_plane_head(struct nlmsghdr *nlh, const struct wgp_plane *p)
{
	const struct wgp_policy *pol = &p->policy;
	struct nlattr *nest;
	bool ok = true;

	if (p->flags & WGP_HAS_PRIVATE_KEY)
		ok &= mnl_attr_put_check(nlh, SEND_BUF_SIZE,
					 WGPLANES_A_PRIVATE_KEY,
					 WGPLANES_KEY_LEN, p->private_key);
	if (p->flags & WGP_HAS_LISTEN_PORT)
		ok &= mnl_attr_put_u16_check(nlh, SEND_BUF_SIZE,
					     WGPLANES_A_LISTEN_PORT,
					     p->listen_port);
	if (p->flags & WGP_HAS_FWMARK)
		ok &= mnl_attr_put_u32_check(nlh, SEND_BUF_SIZE,
					     WGPLANES_A_FWMARK, p->fwmark);
	if (p->flags & WGP_REPLACE_PEERS)
		ok &= mnl_attr_put_u32_check(nlh, SEND_BUF_SIZE,
					     WGPLANES_A_FLAGS,
					     WGPLANES_F_REPLACE_PEERS);
	if (!(pol->has & ~(WGP_POL_EFFECTIVE_CPUS | WGP_POL_STATE)))
		return ok;
	nest = mnl_attr_nest_start(nlh, WGPLANES_A_POLICY);
	if (pol->has & WGP_POL_CPUS)
		mnl_attr_put_strz(nlh, WGPLANES_POLICY_A_CPUS, pol->cpus);
	if (pol->has & WGP_POL_PRIORITY)
		mnl_attr_put_u8(nlh, WGPLANES_POLICY_A_PRIORITY, pol->priority);
	if (pol->has & WGP_POL_RATE)
		mnl_attr_put_u64(nlh, WGPLANES_POLICY_A_RATE, pol->rate);
	if (pol->has & WGP_POL_BURST)
		mnl_attr_put_u32(nlh, WGPLANES_POLICY_A_BURST, pol->burst);
	if (pol->has & WGP_POL_TXQ)
		mnl_attr_put_u32(nlh, WGPLANES_POLICY_A_TXQ_LEN, pol->txq);
	if (pol->has & WGP_POL_ENCQ)
		mnl_attr_put_u32(nlh, WGPLANES_POLICY_A_ENCQ_LEN, pol->encq);
	if (pol->has & WGP_POL_DECQ)
		mnl_attr_put_u32(nlh, WGPLANES_POLICY_A_DECQ_LEN, pol->decq);
	if (pol->has & WGP_POL_HSQ)
		mnl_attr_put_u32(nlh, WGPLANES_POLICY_A_HSQ_LEN, pol->hsq);
	mnl_attr_nest_end(nlh, nest);
	return ok;
}

/*
 * Everything of a peer but its allowed IPs. A continued peer carries only
 * its key (and update-only, which must hold for every part of it).
 */
static bool put_peer_head(struct nlmsghdr *nlh, const struct wgp_peer *pe,
			  bool continued)
{
	uint32_t flags = 0;
	size_t alen;

	if (!mnl_attr_put_check(nlh, SEND_BUF_SIZE, WGPLANES_PEER_A_PUBLIC_KEY,
				WGPLANES_KEY_LEN, pe->public_key))
		return false;
	if (pe->flags & WGP_PEER_UPDATE_ONLY)
		flags |= WGPLANES_PEER_F_UPDATE_ONLY;
	if (!continued) {
		if (pe->flags & WGP_PEER_REMOVE_ME)
			flags |= WGPLANES_PEER_F_REMOVE_ME;
		if (pe->flags & WGP_PEER_REPLACE_ALLOWEDIPS)
			flags |= WGPLANES_PEER_F_REPLACE_ALLOWEDIPS;
		if ((pe->flags & WGP_PEER_HAS_PRESHARED_KEY) &&
		    !mnl_attr_put_check(nlh, SEND_BUF_SIZE,
					WGPLANES_PEER_A_PRESHARED_KEY,
					WGPLANES_KEY_LEN, pe->preshared_key))
			return false;
		alen = pe->endpoint.addr.sa_family == AF_INET ?
		       sizeof(pe->endpoint.addr4) :
		       pe->endpoint.addr.sa_family == AF_INET6 ?
		       sizeof(pe->endpoint.addr6) : 0;
		if (alen && !mnl_attr_put_check(nlh, SEND_BUF_SIZE,
						WGPLANES_PEER_A_ENDPOINT, alen,
						&pe->endpoint))
			return false;
		if ((pe->flags & WGP_PEER_HAS_KEEPALIVE) &&
		    !mnl_attr_put_u16_check(nlh, SEND_BUF_SIZE,
				WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				pe->keepalive))
			return false;
	}
	return !flags || mnl_attr_put_u32_check(nlh, SEND_BUF_SIZE,
						WGPLANES_PEER_A_FLAGS, flags);
}

static bool put_allowedip(struct nlmsghdr *nlh, const struct wgp_allowedip *ip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, SEND_BUF_SIZE, 0);

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, SEND_BUF_SIZE,
				    WGPLANES_ALLOWEDIP_A_FAMILY, ip->family) ||
	    !mnl_attr_put_check(nlh, SEND_BUF_SIZE, WGPLANES_ALLOWEDIP_A_IPADDR,
				ip->family == AF_INET ? 4 : 16, &ip->ip6) ||
	    !mnl_attr_put_u8_check(nlh, SEND_BUF_SIZE,
				   WGPLANES_ALLOWEDIP_A_CIDR_MASK, ip->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

struct set_cursor {
	const struct wgp_peer *peer;
	size_t ip;
	bool continued;		/* peer was started in an earlier message */
};

/* Fill one SET_PLANE message as far as it goes, send it, wait for ACK. */
static int set_plane_chunk(struct nl *nl, char *buf, const struct wgp_plane *p,
			   bool first, struct set_cursor *cur)
{
	struct nlattr *peers, *peer, *ips;
	const struct wgp_peer *pe;
	struct nlmsghdr *nlh;
	bool progress = first;

	nlh = genl_msg(buf, nl->family, WGPLANES_CMD_SET_PLANE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, WGPLANES_A_IFNAME, p->name);
	if (first && !put_plane_head(nlh, p))
		return -EMSGSIZE;
	if (!cur->peer)
		goto send;
	peers = mnl_attr_nest_start_check(nlh, SEND_BUF_SIZE, WGPLANES_A_PEERS);
	if (!peers)
		return -EMSGSIZE;
	while ((pe = cur->peer)) {
		peer = mnl_attr_nest_start_check(nlh, SEND_BUF_SIZE, 0);
		if (!peer)
			break;
		if (!put_peer_head(nlh, pe, cur->continued)) {
			mnl_attr_nest_cancel(nlh, peer);
			break;
		}
		if (cur->ip < pe->n_ips) {
			ips = mnl_attr_nest_start_check(nlh, SEND_BUF_SIZE,
						WGPLANES_PEER_A_ALLOWEDIPS);
			if (!ips) {
				mnl_attr_nest_cancel(nlh, peer);
				break;
			}
			for (; cur->ip < pe->n_ips; cur->ip++)
				if (!put_allowedip(nlh, &pe->ips[cur->ip]))
					break;
			mnl_attr_nest_end(nlh, ips);
		}
		mnl_attr_nest_end(nlh, peer);
		progress = true;
		if (cur->ip < pe->n_ips) {
			cur->continued = true;
			break;
		}
		cur->peer = pe->next;
		cur->ip = 0;
		cur->continued = false;
	}
	mnl_attr_nest_end(nlh, peers);
	if (!progress)
		return -EMSGSIZE;
send:
	return SET_PLANE_SEND(nl, nlh);
}

static int set_plane_msgs(struct nl *nl, const struct wgp_plane *p)
{
	struct set_cursor cur = { .peer = p->first_peer };
	bool first = true;
	char *buf;
	int ret = 0;

	buf = calloc(1, SEND_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	while (!ret && (first || cur.peer)) {
		ret = set_plane_chunk(nl, buf, p, first, &cur);
		first = false;
	}
	explicit_bzero(buf, SEND_BUF_SIZE);	/* held keys */
	free(buf);
	return ret;
}

int ipc_set_plane(const struct wgp_plane *p)
{
	struct nl nl;
	int ret;

	ret = genl_open(&nl);
	if (ret)
		return ret;
	ret = set_plane_msgs(&nl, p);
	nl_close(&nl);
	return ret;
}

struct name_list {
	char *buf;
	size_t len;
	size_t cap;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct name_list *l = data;
	const struct nlattr *a, *li;
	const char *name = NULL;
	bool match = false;
	size_t n;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    attr_ok(a, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(a);
		if (mnl_attr_get_type(a) != IFLA_LINKINFO)
			continue;
		mnl_attr_for_each_nested(li, a)
			if (mnl_attr_get_type(li) == IFLA_INFO_KIND &&
			    attr_ok(li, MNL_TYPE_NUL_STRING) &&
			    !strcmp(mnl_attr_get_str(li), WGPLANES_PLANE_KIND))
				match = true;
	}
	if (!match || !name)
		return 0;
	n = strlen(name) + 1;
	if (l->len + n + 1 > l->cap) {
		char *nb = realloc(l->buf, l->cap * 2 + n + 1);

		if (!nb)
			return -ENOMEM;
		l->buf = nb;
		l->cap = l->cap * 2 + n + 1;
	}
	memcpy(l->buf + l->len, name, n);
	l->len += n;
	l->buf[l->len] = '\0';
	return 0;
}

int ipc_list_planes(char **names)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct name_list l = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nl nl;
	bool intr;
	int ret, tries;

	ret = nl_open(&nl, NETLINK_ROUTE);
	if (ret)
		return ret;
	for (tries = 0; tries <= DUMP_RETRIES; tries++) {
		free(l.buf);
		l = (struct name_list){ .buf = calloc(1, 64), .cap = 64 };
		if (!l.buf) {
			ret = -ENOMEM;
			break;
		}
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		intr = false;
		ret = nl_talk(&nl, nlh, link_cb, &l, &intr);
		if (ret || !intr)
			break;
		ret = -EAGAIN;
	}
	nl_close(&nl);
	if (ret) {
		free(l.buf);
		return ret;
	}
	*names = l.buf;
	return 0;
}

/* ------------------------------------------------------------- fleets */

static void parse_fleet_plane(struct wgp_fleet_plane *fp,
			      const struct nlattr *nest)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_FLEET_PLANE_A_INDEX:
			if (attr_ok(a, MNL_TYPE_U32))
				fp->index = mnl_attr_get_u32(a);
			break;
		case WGPLANES_FLEET_PLANE_A_NAME:
			copy_str(fp->name, sizeof(fp->name), a);
			break;
		case WGPLANES_FLEET_PLANE_A_IFINDEX:
			if (attr_ok(a, MNL_TYPE_U32))
				fp->ifindex = mnl_attr_get_u32(a);
			break;
		case WGPLANES_FLEET_PLANE_A_IFNAME:
			copy_str(fp->ifname, sizeof(fp->ifname), a);
			break;
		case WGPLANES_FLEET_PLANE_A_NETNSID:
			if (attr_ok(a, MNL_TYPE_U32)) {
				fp->netnsid = (int32_t)mnl_attr_get_u32(a);
				fp->has_netnsid = true;
			}
			break;
		}
	}
}

static int fleet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct wgp_fleet ***tailp = data, *f;
	const struct nlattr *a, *pn;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case WGPLANES_FLEET_A_IFINDEX:
			if (attr_ok(a, MNL_TYPE_U32))
				f->ifindex = mnl_attr_get_u32(a);
			break;
		case WGPLANES_FLEET_A_IFNAME:
			copy_str(f->name, sizeof(f->name), a);
			break;
		case WGPLANES_FLEET_A_PLANE_SLOTS:
			if (attr_ok(a, MNL_TYPE_U32))
				f->slots = mnl_attr_get_u32(a);
			break;
		case WGPLANES_FLEET_A_COUNTERS:
			parse_counters(f->counters, a);
			f->has_counters = true;
			break;
		case WGPLANES_FLEET_A_PLANES:
			mnl_attr_for_each_nested(pn, a)
				if (f->n_planes < WGPLANES_MAX_PLANES)
					parse_fleet_plane(
						&f->planes[f->n_planes++], pn);
			break;
		}
	}
	**tailp = f;
	*tailp = &f->next;
	return 0;
}

void ipc_free_fleets(struct wgp_fleet *f)
{
	struct wgp_fleet *next;

	for (; f; f = next) {
		next = f->next;
		free(f);
	}
}

int ipc_get_fleets(struct wgp_fleet **fleets, const char *name)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct wgp_fleet *head = NULL, **tail;
	struct nlmsghdr *nlh;
	struct nl nl;
	bool intr;
	int ret, tries;

	ret = genl_open(&nl);
	if (ret)
		return ret;
	for (tries = 0; tries <= DUMP_RETRIES; tries++) {
		ipc_free_fleets(head);
		head = NULL;
		tail = &head;
		nlh = genl_msg((char *)buf, nl.family, WGPLANES_CMD_GET_FLEET,
			       name ? NLM_F_ACK : NLM_F_DUMP);
		if (name)
			mnl_attr_put_strz(nlh, WGPLANES_FLEET_A_IFNAME, name);
		intr = false;
		ret = nl_talk(&nl, nlh, fleet_cb, &tail, &intr);
		if (ret || !intr)
			break;
		ret = -EAGAIN;
	}
	nl_close(&nl);
	if (ret) {
		ipc_free_fleets(head);
		return ret;
	}
	*fleets = head;
	return 0;
}

int ipc_fleet_add(const char *name, unsigned int planes,
		  char *const names[], unsigned int n_names)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct nlattr *li, *data, *nn;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nl nl;
	unsigned int i;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
			   NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, WGPLANES_LINK_KIND);
	if (planes || n_names) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		if (planes)
			mnl_attr_put_u32(nlh, WGPLANES_LINK_A_PLANES, planes);
		if (n_names) {
			nn = mnl_attr_nest_start(nlh,
						 WGPLANES_LINK_A_PLANE_NAMES);
			for (i = 0; i < n_names; i++)
				mnl_attr_put_strz(nlh, i + 1, names[i]);
			mnl_attr_nest_end(nlh, nn);
		}
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, li);

	ret = nl_open(&nl, NETLINK_ROUTE);
	if (ret)
		return ret;
	ret = nl_talk(&nl, nlh, NULL, NULL, NULL);
	nl_close(&nl);
	return ret;
}

int ipc_fleet_del(const char *name)
{
	uint64_t buf[SMALL_BUF_SIZE / 8];
	struct wgp_fleet *f = NULL;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nl nl;
	int ret;

	/* Refuse to delete a link that is not a fleet (say, eth0). */
	ret = ipc_get_fleets(&f, name);
	if (ret)
		return ret;
	if (!f) {
		snprintf(extack, sizeof(extack), "'%s' is not a fleet", name);
		return -ENODEV;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)f->ifindex;
	if (!f->ifindex)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	ipc_free_fleets(f);

	ret = nl_open(&nl, NETLINK_ROUTE);
	if (ret)
		return ret;
	ret = nl_talk(&nl, nlh, NULL, NULL, NULL);
	nl_close(&nl);
	return ret;
}
