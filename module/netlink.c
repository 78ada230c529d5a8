// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "wgplanes" (include/uapi/linux/wgplanes.h).
 *
 * Every command has its own strict policy, so the core rejects unknown
 * attributes, wrong types and lengths, flags outside the defined bits and
 * out-of-range values before our handlers run. The handlers then check what
 * a policy cannot express (a CIDR against its family, an endpoint against
 * its length, "0 or at least N") for the whole message before changing
 * anything.
 *
 * Permissions, as stock WireGuard: GET_PLANE and SET_PLANE need
 * CAP_NET_ADMIN in the user namespace that owns the plane's network
 * namespace (the core checks GENL_UNS_ADMIN_PERM before any parsing), so
 * nothing of a plane's peers or keys reaches anybody else; the listen port,
 * the fwmark and the policy need more (wgp_check_host_perm()). GET_FLEET is
 * open: fleet layout, plane names and summed counters, what "ip -s link"
 * shows anyway.
 *
 * Locking: RTNL, then plane->conf_lock. SET_PLANE needs only conf_lock.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <crypto/curve25519.h>

#include "device.h"
#include "peer.h"
#include "netlink.h"
#include "socket.h"
#include "engine.h"

/* Longest cpulist accepted: "0,2,4,..." for a few hundred CPUs. */
#define WGP_CPULIST_MAX		4095

static struct genl_family wgp_genl_family;

static struct netlink_range_validation wgp_queue_len_range = {
	.min = WGPLANES_QUEUE_LEN_MIN,
	.max = WGPLANES_QUEUE_LEN_MAX,
};

#define WGP_READ_ONLY(what) \
	{ .type = NLA_REJECT, .reject_message = what " is read-only" }

static const struct nla_policy
wgp_allowedip_policy[WGPLANES_ALLOWEDIP_A_MAX + 1] = {
	[WGPLANES_ALLOWEDIP_A_FAMILY]	= { .type = NLA_U16 },
	[WGPLANES_ALLOWEDIP_A_IPADDR]	= { .type = NLA_BINARY,
					    .len = sizeof(struct in6_addr) },
	[WGPLANES_ALLOWEDIP_A_CIDR_MASK] = { .type = NLA_U8 },
};

static const struct nla_policy wgp_peer_policy[WGPLANES_PEER_A_MAX + 1] = {
	[WGPLANES_PEER_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(WGPLANES_KEY_LEN),
	[WGPLANES_PEER_A_PRESHARED_KEY] = NLA_POLICY_EXACT_LEN(WGPLANES_KEY_LEN),
	[WGPLANES_PEER_A_FLAGS] = NLA_POLICY_MASK(NLA_U32,
						  __WGPLANES_PEER_F_ALL),
	[WGPLANES_PEER_A_ENDPOINT] = { .type = NLA_BINARY,
				       .len = sizeof(struct sockaddr_in6) },
	[WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16 },
	[WGPLANES_PEER_A_LAST_HANDSHAKE_TIME] =
		WGP_READ_ONLY("the last handshake time"),
	[WGPLANES_PEER_A_RX_BYTES] = WGP_READ_ONLY("the received byte count"),
	[WGPLANES_PEER_A_TX_BYTES] = WGP_READ_ONLY("the sent byte count"),
	[WGPLANES_PEER_A_ALLOWEDIPS] =
		NLA_POLICY_NESTED_ARRAY(wgp_allowedip_policy),
	[WGPLANES_PEER_A_PROTOCOL_VERSION] = { .type = NLA_U32 },
};

static const struct nla_policy
wgp_policy_policy[WGPLANES_POLICY_A_MAX + 1] = {
	[WGPLANES_POLICY_A_CPUS]	= { .type = NLA_NUL_STRING,
					    .len = WGP_CPULIST_MAX },
	[WGPLANES_POLICY_A_PRIORITY]	= NLA_POLICY_MAX(NLA_U8,
							 WGPLANES_PRIO_MAX),
	[WGPLANES_POLICY_A_RATE]	= { .type = NLA_U64 },
	[WGPLANES_POLICY_A_BURST]	= { .type = NLA_U32 },
	[WGPLANES_POLICY_A_TXQ_LEN]	=
		NLA_POLICY_FULL_RANGE(NLA_U32, &wgp_queue_len_range),
	[WGPLANES_POLICY_A_ENCQ_LEN]	=
		NLA_POLICY_FULL_RANGE(NLA_U32, &wgp_queue_len_range),
	[WGPLANES_POLICY_A_DECQ_LEN]	=
		NLA_POLICY_FULL_RANGE(NLA_U32, &wgp_queue_len_range),
	[WGPLANES_POLICY_A_HSQ_LEN]	=
		NLA_POLICY_FULL_RANGE(NLA_U32, &wgp_queue_len_range),
	[WGPLANES_POLICY_A_EFFECTIVE_CPUS] =
		WGP_READ_ONLY("the effective CPU list"),
	[WGPLANES_POLICY_A_CPUS_FALLBACK] =
		WGP_READ_ONLY("the CPU fallback state"),
	[WGPLANES_POLICY_A_ENCQ_USED] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_DECQ_USED] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_HSQ_USED] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_TX_STOPPED] =
		WGP_READ_ONLY("the guard's queue state"),
	[WGPLANES_POLICY_A_ENCQ_BYTES] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_DECQ_BYTES] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_HSQ_BYTES] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_WAITQ_USED] = WGP_READ_ONLY("a queue's use"),
	[WGPLANES_POLICY_A_WAITQ_BYTES] = WGP_READ_ONLY("a queue's use"),
};

static const struct nla_policy wgp_set_plane_policy[WGPLANES_A_MAX + 1] = {
	[WGPLANES_A_IFINDEX]	= { .type = NLA_U32 },
	[WGPLANES_A_IFNAME]	= { .type = NLA_NUL_STRING,
				    .len = IFNAMSIZ - 1 },
	[WGPLANES_A_PRIVATE_KEY] = NLA_POLICY_EXACT_LEN(WGPLANES_KEY_LEN),
	[WGPLANES_A_PUBLIC_KEY]	= WGP_READ_ONLY("the public key"),
	[WGPLANES_A_FLAGS]	= NLA_POLICY_MASK(NLA_U32, __WGPLANES_F_ALL),
	[WGPLANES_A_LISTEN_PORT] = { .type = NLA_U16 },
	[WGPLANES_A_FWMARK]	= { .type = NLA_U32 },
	[WGPLANES_A_PEERS]	= NLA_POLICY_NESTED_ARRAY(wgp_peer_policy),
	[WGPLANES_A_POLICY]	= NLA_POLICY_NESTED(wgp_policy_policy),
	[WGPLANES_A_COUNTERS]	= WGP_READ_ONLY("the counters nest"),
	[WGPLANES_A_FLEET_IFINDEX] = WGP_READ_ONLY("the fleet ifindex"),
	[WGPLANES_A_PLANE_INDEX] = WGP_READ_ONLY("the plane index"),
	[WGPLANES_A_PLANE_NAME]	= WGP_READ_ONLY("the plane name"),
};

/* GET_PLANE selects a plane and takes nothing else. */
static const struct nla_policy wgp_get_plane_policy[WGPLANES_A_IFNAME + 1] = {
	[WGPLANES_A_IFINDEX]	= { .type = NLA_U32 },
	[WGPLANES_A_IFNAME]	= { .type = NLA_NUL_STRING,
				    .len = IFNAMSIZ - 1 },
};

static const struct nla_policy
wgp_get_fleet_policy[WGPLANES_FLEET_A_IFNAME + 1] = {
	[WGPLANES_FLEET_A_IFINDEX] = { .type = NLA_U32 },
	[WGPLANES_FLEET_A_IFNAME] = { .type = NLA_NUL_STRING,
				      .len = IFNAMSIZ - 1 },
};

/*
 * The device named by an ifindex or an ifname attribute in @net, with a
 * reference held.
 */
static struct net_device *wgp_dev_lookup(struct net *net,
					 struct nlattr *ifindex,
					 struct nlattr *ifname,
					 struct netlink_ext_ack *extack)
{
	char name[IFNAMSIZ];
	struct net_device *dev;

	if (ifindex && ifname) {
		NL_SET_ERR_MSG_ATTR(extack, ifname,
				    "give an ifindex or an ifname, not both");
		return ERR_PTR(-EINVAL);
	}
	if (ifindex) {
		dev = dev_get_by_index(net, nla_get_u32(ifindex));
	} else if (ifname) {
		nla_strscpy(name, ifname, sizeof(name));
		dev = dev_get_by_name(net, name);
	} else {
		NL_SET_ERR_MSG(extack, "no ifindex or ifname given");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, ifindex ?: ifname,
				    "no such device in this network namespace");
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

static struct wgp_plane *wgp_plane_lookup(struct net *net,
					  struct nlattr **attrs,
					  struct netlink_ext_ack *extack)
{
	struct nlattr *ifindex = attrs[WGPLANES_A_IFINDEX];
	struct nlattr *ifname = attrs[WGPLANES_A_IFNAME];
	struct net_device *dev;
	struct wgp_plane *plane;

	dev = wgp_dev_lookup(net, ifindex, ifname, extack);
	if (IS_ERR(dev))
		return ERR_CAST(dev);
	plane = wgp_plane_from_dev(dev);
	if (!plane) {
		NL_SET_ERR_MSG_ATTR(extack, ifindex ?: ifname,
				    "not a wgplanes plane");
		dev_put(dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return plane;
}

/* ------------------------------------------------------------ replies */

static u64 wgp_plane_seq(struct wgp_plane *plane)
{
	/* both only grow, so the sum moves whenever either does */
	return plane->conf_seq + plane->allowedips.seq;
}

/*
 * Counters are u64 attributes of type enum + 1. They go without alignment
 * padding: no type in this nest is free to pad with (WGPLANES_A_PAD and
 * WGPLANES_FLEET_A_PAD are counter types here), and on x86-64, like on
 * every architecture with efficient unaligned access, the kernel would not
 * pad anyway. Readers copy the value out (nla_get_u64 and libmnl do).
 */
static int wgp_put_counters(struct sk_buff *skb, int type,
			    const u64 c[__WGPLANES_CNT_LAST])
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < __WGPLANES_CNT_LAST; i++) {
		if (nla_put(skb, i + 1, sizeof(u64), &c[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int wgp_put_cpulist(struct sk_buff *skb, int type,
			   const struct cpumask *mask)
{
	char *s;
	int ret;

	s = kasprintf(GFP_KERNEL, "%*pbl", cpumask_pr_args(mask));
	if (!s)
		return -ENOMEM;
	ret = nla_put_string(skb, type, s);
	kfree(s);
	return ret;
}

static int wgp_put_policy(struct sk_buff *skb, struct wgp_plane *plane)
{
	const struct wgp_policy *pol = &plane->policy;
	const struct wgp_plane_engine *eng = &plane->eng;
	bool fallback = false;
	cpumask_var_t eff;
	struct nlattr *nest;
	int ret = -EMSGSIZE;

	if (!alloc_cpumask_var(&eff, GFP_KERNEL))
		return -ENOMEM;
	/* as wgp_plane_cpu() chooses */
	if (cpumask_empty(pol->cpus) ||
	    !cpumask_and(eff, pol->cpus, cpu_online_mask)) {
		fallback = !cpumask_empty(pol->cpus);
		cpumask_copy(eff, cpu_online_mask);
	}

	nest = nla_nest_start(skb, WGPLANES_A_POLICY);
	if (!nest)
		goto out;
	ret = wgp_put_cpulist(skb, WGPLANES_POLICY_A_CPUS, pol->cpus);
	if (ret)
		goto cancel;
	ret = -EMSGSIZE;
	if (nla_put_u8(skb, WGPLANES_POLICY_A_PRIORITY, pol->priority) ||
	    nla_put_u64_64bit(skb, WGPLANES_POLICY_A_RATE, pol->rate,
			      WGPLANES_POLICY_A_PAD) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_BURST, pol->burst) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_TXQ_LEN, pol->txq_len) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_ENCQ_LEN, pol->encq_len) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_DECQ_LEN, pol->decq_len) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_HSQ_LEN, pol->hsq_len))
		goto cancel;
	ret = wgp_put_cpulist(skb, WGPLANES_POLICY_A_EFFECTIVE_CPUS, eff);
	if (ret)
		goto cancel;
	ret = -EMSGSIZE;
	if ((fallback && nla_put_flag(skb, WGPLANES_POLICY_A_CPUS_FALLBACK)) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_ENCQ_USED,
			wgp_qbound_packets(&eng->encq)) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_DECQ_USED,
			wgp_qbound_packets(&eng->decq)) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_HSQ_USED,
			wgp_qbound_packets(&eng->hsq)) ||
	    nla_put_u64_64bit(skb, WGPLANES_POLICY_A_ENCQ_BYTES,
			      wgp_qbound_bytes(&eng->encq),
			      WGPLANES_POLICY_A_PAD) ||
	    nla_put_u64_64bit(skb, WGPLANES_POLICY_A_DECQ_BYTES,
			      wgp_qbound_bytes(&eng->decq),
			      WGPLANES_POLICY_A_PAD) ||
	    nla_put_u64_64bit(skb, WGPLANES_POLICY_A_HSQ_BYTES,
			      wgp_qbound_bytes(&eng->hsq),
			      WGPLANES_POLICY_A_PAD) ||
	    nla_put_u32(skb, WGPLANES_POLICY_A_WAITQ_USED,
			wgp_qbound_packets(&eng->waitq)) ||
	    nla_put_u64_64bit(skb, WGPLANES_POLICY_A_WAITQ_BYTES,
			      wgp_qbound_bytes(&eng->waitq),
			      WGPLANES_POLICY_A_PAD) ||
	    (wgp_guard_tx_holding(plane) &&
	     nla_put_flag(skb, WGPLANES_POLICY_A_TX_STOPPED)))
		goto cancel;
	nla_nest_end(skb, nest);
	ret = 0;
	goto out;

cancel:
	nla_nest_cancel(skb, nest);
out:
	free_cpumask_var(eff);
	return ret;
}

/*
 * Plane attributes of the first message of a dump; RTNL and conf_lock. The
 * core let only CAP_NET_ADMIN in the plane's namespace in (ops below).
 */
static int wgp_put_plane(struct sk_buff *skb, struct wgp_plane *plane)
{
	struct wgp_fleet *fleet = plane->fleet;
	u64 c[__WGPLANES_CNT_LAST];
	int ret;

	ASSERT_RTNL();
	if (nla_put_u32(skb, WGPLANES_A_IFINDEX, plane->dev->ifindex) ||
	    nla_put_string(skb, WGPLANES_A_IFNAME, plane->dev->name) ||
	    nla_put_u16(skb, WGPLANES_A_LISTEN_PORT, plane->listen_port) ||
	    nla_put_u32(skb, WGPLANES_A_FWMARK, plane->fwmark) ||
	    nla_put_u32(skb, WGPLANES_A_PLANE_INDEX, plane->index) ||
	    nla_put_string(skb, WGPLANES_A_PLANE_NAME, plane->name))
		return -EMSGSIZE;
	if (fleet &&
	    nla_put_u32(skb, WGPLANES_A_FLEET_IFINDEX, fleet->dev->ifindex))
		return -EMSGSIZE;
	if (plane->has_identity) {
		if (nla_put(skb, WGPLANES_A_PRIVATE_KEY, WGPLANES_KEY_LEN,
			    plane->private_key) ||
		    nla_put(skb, WGPLANES_A_PUBLIC_KEY, WGPLANES_KEY_LEN,
			    plane->public_key))
			return -EMSGSIZE;
	}
	ret = wgp_put_policy(skb, plane);
	if (ret)
		return ret;
	wgp_plane_counters_sum(plane, c);
	return wgp_put_counters(skb, WGPLANES_A_COUNTERS, c);
}

static int wgp_put_peer_head(struct sk_buff *skb, struct wgp_peer *peer)
{
	struct __kernel_timespec ts = {
		.tv_sec = peer->last_handshake.tv_sec,
		.tv_nsec = peer->last_handshake.tv_nsec,
	};
	union wgp_endpoint ep;

	if (nla_put(skb, WGPLANES_PEER_A_PUBLIC_KEY, WGPLANES_KEY_LEN,
		    peer->public_key))
		return -EMSGSIZE;
	if (nla_put(skb, WGPLANES_PEER_A_PRESHARED_KEY, WGPLANES_KEY_LEN,
		    peer->preshared_key))
		return -EMSGSIZE;
	if (nla_put_u16(skb, WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			peer->persistent_keepalive_interval) ||
	    nla_put_64bit(skb, WGPLANES_PEER_A_LAST_HANDSHAKE_TIME, sizeof(ts),
			  &ts, WGPLANES_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, WGPLANES_PEER_A_RX_BYTES,
			      READ_ONCE(peer->rx_bytes), WGPLANES_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, WGPLANES_PEER_A_TX_BYTES,
			      READ_ONCE(peer->tx_bytes), WGPLANES_PEER_A_PAD) ||
	    nla_put_u32(skb, WGPLANES_PEER_A_PROTOCOL_VERSION, 1))
		return -EMSGSIZE;

	wgp_peer_get_endpoint(peer, &ep);
	if (ep.addr.sa_family == AF_INET &&
	    nla_put(skb, WGPLANES_PEER_A_ENDPOINT, sizeof(ep.addr4), &ep.addr4))
		return -EMSGSIZE;
	if (ep.addr.sa_family == AF_INET6 &&
	    nla_put(skb, WGPLANES_PEER_A_ENDPOINT, sizeof(ep.addr6), &ep.addr6))
		return -EMSGSIZE;
	return 0;
}

static int wgp_put_allowedip(struct sk_buff *skb, struct wgp_aip_node *node)
{
	struct nlattr *nest;
	u8 ip[16], cidr;
	int family;

	family = wgp_allowedips_read_node(node, ip, &cidr);
	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, WGPLANES_ALLOWEDIP_A_FAMILY, family) ||
	    nla_put(skb, WGPLANES_ALLOWEDIP_A_IPADDR,
		    family == AF_INET ? 4 : 16, ip) ||
	    nla_put_u8(skb, WGPLANES_ALLOWEDIP_A_CIDR_MASK, cidr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* ---------------------------------------------------------- GET_PLANE */

/*
 * Where a GET_PLANE dump stands between messages. Between two messages the
 * dump holds nothing: no device, no plane, no lock. Each message finds the
 * plane again by @ifindex in the socket's namespace and takes it only if its
 * @plane_id matches (an ifindex may be reused by another device). The peer
 * and allowed IP pointers are valid only while the plane's seq equals @seq:
 * no peer or allowed IP has been removed since. Otherwise the position is
 * found again by index and the dump is flagged as interrupted.
 */
struct wgp_dump_ctx {
	int ifindex;
	u64 plane_id;
	int err;			/* lookup failed: report in dumpit */
	const char *err_msg;
	bool plane_sent;
	bool done;
	u64 seq;
	struct wgp_peer *peer;		/* next peer to emit, or NULL */
	unsigned long peer_idx;
	struct wgp_aip_node *aip;	/* next allowed IP of @peer */
	unsigned long aip_idx;		/* > 0: @peer was begun already */
};

/*
 * 6.1 gives .start no extended ack, so a failed lookup is reported by the
 * first dumpit call, which has one: the error then arrives in NLMSG_DONE
 * with its message, the same on every kernel.
 */
static int wgp_get_plane_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = COMPAT_GENL_DUMP_ATTRS(cb);
	struct netlink_ext_ack extack = {};
	struct wgp_dump_ctx *ctx;
	struct wgp_plane *plane;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	plane = wgp_plane_lookup(sock_net(cb->skb->sk), attrs, &extack);
	if (IS_ERR(plane)) {
		ctx->err = PTR_ERR(plane);
		ctx->err_msg = extack._msg;
	} else {
		ctx->ifindex = plane->dev->ifindex;
		ctx->plane_id = plane->id;
		dev_put(plane->dev);
	}
	cb->args[0] = (long)ctx;
	return 0;
}

static int wgp_get_plane_done(struct netlink_callback *cb)
{
	kfree((struct wgp_dump_ctx *)cb->args[0]);
	return 0;
}

/* The plane of the dump with a device reference, for one message. */
static struct wgp_plane *wgp_dump_plane_get(struct netlink_callback *cb,
					    struct wgp_dump_ctx *ctx)
{
	struct net_device *dev;
	struct wgp_plane *plane;

	dev = dev_get_by_index(sock_net(cb->skb->sk), ctx->ifindex);
	if (!dev)
		return NULL;
	plane = wgp_plane_from_dev(dev);
	if (!plane || plane->id != ctx->plane_id) {
		dev_put(dev);
		return NULL;
	}
	return plane;
}

/*
 * The @idx'th entry of a list, or NULL past its end. Under conf_lock, which
 * may sleep: a walk over a million peers yields.
 */
static struct list_head *wgp_list_nth(struct list_head *head,
				      unsigned long idx)
{
	struct list_head *pos;

	list_for_each(pos, head) {
		if (!idx--)
			return pos;
		if (!(idx & 1023))
			cond_resched();
	}
	return NULL;
}

/* Finds the dump position again after the plane changed. */
static void wgp_dump_reseek(struct wgp_dump_ctx *ctx, struct wgp_plane *plane)
{
	struct list_head *pos;

	ctx->peer = NULL;
	ctx->aip = NULL;
	pos = wgp_list_nth(&plane->peer_list, ctx->peer_idx);
	if (!pos)
		return;
	ctx->peer = list_entry(pos, struct wgp_peer, plane_list);
	if (!ctx->aip_idx)
		return;
	pos = wgp_list_nth(&ctx->peer->allowedips_list, ctx->aip_idx);
	if (pos) {
		ctx->aip = list_entry(pos, struct wgp_aip_node, peer_list);
		return;
	}
	/* the rest of this peer's allowed IPs went away: next peer */
	ctx->aip_idx = 0;
	ctx->peer_idx++;
	pos = wgp_list_nth(&plane->peer_list, ctx->peer_idx);
	ctx->peer = pos ? list_entry(pos, struct wgp_peer, plane_list) : NULL;
}

/*
 * Emits one peer, or as much of it as fits. Returns 0 when the peer is
 * complete, 1 when only a part of it fitted and -EMSGSIZE when nothing of
 * it did; ctx says where to go on.
 */
static int wgp_dump_peer(struct sk_buff *skb, struct wgp_dump_ctx *ctx)
{
	struct wgp_peer *peer = ctx->peer;
	struct list_head *head = &peer->allowedips_list;
	struct wgp_aip_node *node;
	struct nlattr *nest, *aips;
	bool cont = ctx->aip_idx > 0;
	unsigned int emitted = 0;

	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	/* a continued peer carries only its key and the remaining IPs */
	if (cont ? nla_put(skb, WGPLANES_PEER_A_PUBLIC_KEY, WGPLANES_KEY_LEN,
			   peer->public_key) :
		   wgp_put_peer_head(skb, peer))
		goto cancel;
	if (list_empty(head))
		goto end;

	aips = nla_nest_start(skb, WGPLANES_PEER_A_ALLOWEDIPS);
	if (!aips)
		goto cancel;
	node = cont ? ctx->aip : list_first_entry(head, struct wgp_aip_node,
						    peer_list);
	for (; !list_entry_is_head(node, head, peer_list);
	     node = list_next_entry(node, peer_list)) {
		if (wgp_put_allowedip(skb, node)) {
			if (!emitted)
				goto cancel;
			nla_nest_end(skb, aips);
			nla_nest_end(skb, nest);
			ctx->aip = node;
			return 1;
		}
		emitted++;
		ctx->aip_idx++;
	}
	nla_nest_end(skb, aips);
end:
	nla_nest_end(skb, nest);
	ctx->aip = NULL;
	ctx->aip_idx = 0;
	return 0;

cancel:
	/* nothing of this peer went out: the same position next time */
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int wgp_get_plane_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct wgp_dump_ctx *ctx = (struct wgp_dump_ctx *)cb->args[0];
	struct wgp_plane *plane;
	struct nlattr *peers;
	bool first, progress = false, any_peer = false;
	void *hdr;
	int ret;
	u64 seq;

	if (ctx->err) {
		/* a static string, set by NL_SET_ERR_MSG*() in .start */
		if (cb->extack)
			cb->extack->_msg = ctx->err_msg;
		return ctx->err;
	}
	if (ctx->done)
		return 0;

	plane = wgp_dump_plane_get(cb, ctx);
	if (!plane) {
		NL_SET_ERR_MSG(cb->extack,
			       "the plane was deleted or left the namespace");
		return -ENODEV;
	}
	first = !ctx->plane_sent;
	if (first)
		rtnl_lock();
	mutex_lock(&plane->conf_lock);
	if (!plane->peer_hash) {
		NL_SET_ERR_MSG(cb->extack, "the plane was deleted");
		ret = -ENODEV;
		goto out_unlock;
	}
	seq = wgp_plane_seq(plane);
	cb->seq = lower_32_bits(seq) ?: 1;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &wgp_genl_family, NLM_F_MULTI,
			  WGPLANES_CMD_GET_PLANE);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	genl_dump_check_consistent(cb, hdr);

	if (first) {
		ret = wgp_put_plane(skb, plane);
		if (ret)
			goto out_cancel;
		ctx->plane_sent = true;
		progress = true;
		wgp_dump_reseek(ctx, plane);
	} else if (seq != ctx->seq) {
		wgp_dump_reseek(ctx, plane);
	}
	ctx->seq = seq;

	if (!ctx->peer)
		goto out_end;
	peers = nla_nest_start(skb, WGPLANES_A_PEERS);
	if (!peers)
		goto out_end;
	while (ctx->peer) {
		ret = wgp_dump_peer(skb, ctx);
		if (ret) {
			any_peer |= ret > 0;
			break;
		}
		any_peer = true;
		ctx->peer_idx++;
		ctx->peer = list_is_last(&ctx->peer->plane_list,
					 &plane->peer_list) ? NULL :
			    list_next_entry(ctx->peer, plane_list);
	}
	if (any_peer) {
		nla_nest_end(skb, peers);
		progress = true;
	} else {
		nla_nest_cancel(skb, peers);
	}

out_end:
	if (!progress && !ctx->peer) {
		/*
		 * The plane changed and nothing is left to send: NLMSG_DONE
		 * carries the NLM_F_DUMP_INTR flag then.
		 */
		ctx->done = true;
		ret = 0;
		goto out_cancel;
	}
	if (!progress) {
		/* not even one allowed IP fits into an empty message */
		NL_SET_ERR_MSG(cb->extack,
			       "a dump message cannot hold even one peer");
		ret = -EMSGSIZE;
		goto out_cancel;
	}
	genlmsg_end(skb, hdr);
	if (!ctx->peer)
		ctx->done = true;
	ret = skb->len;
	goto out_unlock;

out_cancel:
	genlmsg_cancel(skb, hdr);
out_unlock:
	mutex_unlock(&plane->conf_lock);
	if (first)
		rtnl_unlock();
	/* nothing is held while the reader takes its time */
	dev_put(plane->dev);
	return ret;
}

/* ---------------------------------------------------------- SET_PLANE */

/* The policy attributes, checked and ready to apply under conf_lock. */
struct wgp_policy_update {
	struct nlattr *tb[WGPLANES_POLICY_A_MAX + 1];
	cpumask_var_t cpus;
};

/*
 * GENL_UNS_ADMIN_PERM let the caller at the plane's keys and peers. What
 * lives beyond the plane's namespace needs more (Documentation/
 * admin-guide.md, "Permissions"): the listen port and the fwmark belong to
 * the sockets in the fleet's birth namespace, so they need CAP_NET_ADMIN
 * over the user namespace that owns it, as stock WireGuard requires (and
 * nobody may change them once it is gone); the policy is the host's
 * resource control (CPUs, workqueue priority, rate, queue memory), so it
 * needs CAP_NET_ADMIN in the initial user namespace.
 */
static int wgp_check_host_perm(struct sk_buff *skb, struct wgp_plane *plane,
			       struct nlattr **attrs,
			       const struct wgp_policy_update *pu,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *a = attrs[WGPLANES_A_LISTEN_PORT] ?:
			   attrs[WGPLANES_A_FWMARK];
	struct net *net;
	int i, ret = 0;

	for (i = 0; pu && i <= WGPLANES_POLICY_A_MAX; i++) {
		if (pu->tb[i] && !netlink_capable(skb, CAP_NET_ADMIN)) {
			NL_SET_ERR_MSG_ATTR(extack, pu->tb[i],
					    "the plane's policy is the host's resource control: it needs CAP_NET_ADMIN in the initial user namespace");
			return -EPERM;
		}
	}
	if (!a)
		return 0;
	/* the namespace is freed only a grace period after it is cleared */
	rcu_read_lock();
	net = READ_ONCE(plane->creating_net);
	if (!net) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "the listen port and fwmark cannot change: the fleet's birth namespace, where the sockets lived, is gone");
		ret = -EPERM;
	} else if (!netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "the listen port and fwmark belong to the sockets in the fleet's birth namespace: they need CAP_NET_ADMIN over its user namespace");
		ret = -EPERM;
	}
	rcu_read_unlock();
	return ret;
}

static int wgp_check_policy(struct nlattr *nest, struct wgp_policy_update *u,
			    struct netlink_ext_ack *extack)
{
	struct nlattr **tb = u->tb;
	struct nlattr *a;
	int ret;

	ret = nla_parse_nested(tb, WGPLANES_POLICY_A_MAX, nest,
			       wgp_policy_policy, extack);
	if (ret)
		return ret;

	a = tb[WGPLANES_POLICY_A_RATE];
	if (a && nla_get_u64(a) && nla_get_u64(a) < WGPLANES_RATE_MIN) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "rate below the minimum of 8000 bit/s (0 means unlimited)");
		return -EINVAL;
	}
	a = tb[WGPLANES_POLICY_A_BURST];
	if (a && nla_get_u32(a) &&
	    (nla_get_u32(a) < WGPLANES_BURST_MIN ||
	     nla_get_u32(a) > WGPLANES_BURST_MAX)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "burst outside 1500..67108864 bytes (0 means automatic)");
		return -EINVAL;
	}
	a = tb[WGPLANES_POLICY_A_CPUS];
	if (!a)
		return 0;
	if (!zalloc_cpumask_var(&u->cpus, GFP_KERNEL))
		return -ENOMEM;
	ret = cpulist_parse(nla_data(a), u->cpus);
	if (ret == -ERANGE) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "cpus names a CPU beyond the last possible CPU");
		return -EINVAL;
	}
	if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "cpus is not a CPU list such as \"0-3,6\"");
		return -EINVAL;
	}
	if (!cpumask_subset(u->cpus, cpu_possible_mask)) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "cpus names a CPU that is not possible");
		return -EINVAL;
	}
	return 0;
}

static void wgp_apply_policy(struct wgp_plane *plane,
			     struct wgp_policy_update *u)
{
	struct wgp_policy *pol = &plane->policy;
	struct nlattr **tb = u->tb;

	if (tb[WGPLANES_POLICY_A_CPUS]) {
		cpumask_copy(pol->cpus, u->cpus);
		wgp_plane_cpus_changed(plane);
	}
	/* live, and drained: see wgp_plane_set_priority() */
	if (tb[WGPLANES_POLICY_A_PRIORITY])
		wgp_plane_set_priority(plane, nla_get_u8(tb[WGPLANES_POLICY_A_PRIORITY]));
	if (tb[WGPLANES_POLICY_A_RATE])
		WRITE_ONCE(pol->rate, nla_get_u64(tb[WGPLANES_POLICY_A_RATE]));
	if (tb[WGPLANES_POLICY_A_BURST])
		WRITE_ONCE(pol->burst, nla_get_u32(tb[WGPLANES_POLICY_A_BURST]));
	if (tb[WGPLANES_POLICY_A_TXQ_LEN])
		WRITE_ONCE(pol->txq_len,
			   nla_get_u32(tb[WGPLANES_POLICY_A_TXQ_LEN]));
	if (tb[WGPLANES_POLICY_A_ENCQ_LEN])
		WRITE_ONCE(pol->encq_len,
			   nla_get_u32(tb[WGPLANES_POLICY_A_ENCQ_LEN]));
	if (tb[WGPLANES_POLICY_A_DECQ_LEN])
		WRITE_ONCE(pol->decq_len,
			   nla_get_u32(tb[WGPLANES_POLICY_A_DECQ_LEN]));
	if (tb[WGPLANES_POLICY_A_HSQ_LEN])
		WRITE_ONCE(pol->hsq_len,
			   nla_get_u32(tb[WGPLANES_POLICY_A_HSQ_LEN]));
	/* live: the buckets take the new budget, sessions stay */
	if (tb[WGPLANES_POLICY_A_RATE] || tb[WGPLANES_POLICY_A_BURST])
		wgp_guard_update(plane);
}

static int wgp_check_allowedip(struct nlattr *nest,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGPLANES_ALLOWEDIP_A_MAX + 1];
	struct nlattr *fam, *addr, *cidr;
	unsigned int alen, maxbits;
	int ret;

	ret = nla_parse_nested(tb, WGPLANES_ALLOWEDIP_A_MAX, nest,
			       wgp_allowedip_policy, extack);
	if (ret)
		return ret;
	fam = tb[WGPLANES_ALLOWEDIP_A_FAMILY];
	addr = tb[WGPLANES_ALLOWEDIP_A_IPADDR];
	cidr = tb[WGPLANES_ALLOWEDIP_A_CIDR_MASK];
	if (!fam || !addr || !cidr) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "an allowed IP needs a family, an address and a CIDR mask");
		return -EINVAL;
	}
	switch (nla_get_u16(fam)) {
	case AF_INET:
		alen = sizeof(struct in_addr);
		maxbits = 32;
		break;
	case AF_INET6:
		alen = sizeof(struct in6_addr);
		maxbits = 128;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, fam,
				    "allowed IP family is neither AF_INET nor AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (nla_len(addr) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, addr,
				    "allowed IP address length does not match its family");
		return -EINVAL;
	}
	if (nla_get_u8(cidr) > maxbits) {
		NL_SET_ERR_MSG_ATTR(extack, cidr,
				    "allowed IP CIDR mask is longer than the address");
		return -EINVAL;
	}
	return 0;
}

/* Whatever a peer may be checked for without the plane's state. */
static int wgp_check_peer(struct nlattr *nest, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGPLANES_PEER_A_MAX + 1];
	struct nlattr *a;
	int rem, ret;

	ret = nla_parse_nested(tb, WGPLANES_PEER_A_MAX, nest, wgp_peer_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[WGPLANES_PEER_A_PUBLIC_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "peer without a public key");
		return -EINVAL;
	}
	a = tb[WGPLANES_PEER_A_ENDPOINT];
	if (a) {
		const struct sockaddr *sa = nla_data(a);
		int len = nla_len(a);

		if (len < sizeof(sa->sa_family) ||
		    !((sa->sa_family == AF_INET &&
		       len == sizeof(struct sockaddr_in)) ||
		      (sa->sa_family == AF_INET6 &&
		       len == sizeof(struct sockaddr_in6)))) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "endpoint is neither a sockaddr_in nor a sockaddr_in6 of matching family");
			return -EINVAL;
		}
	}
	a = tb[WGPLANES_PEER_A_PROTOCOL_VERSION];
	if (a && nla_get_u32(a) != 1) {
		NL_SET_ERR_MSG_ATTR(extack, a,
				    "only protocol version 1 exists");
		return -EPROTONOSUPPORT;
	}
	if (!tb[WGPLANES_PEER_A_ALLOWEDIPS])
		return 0;
	nla_for_each_nested(a, tb[WGPLANES_PEER_A_ALLOWEDIPS], rem) {
		ret = wgp_check_allowedip(a, extack);
		if (ret)
			return ret;
	}
	return 0;
}

static int wgp_add_allowedip(struct wgp_plane *plane, struct wgp_peer *peer,
			     struct nlattr *nest)
{
	struct nlattr *tb[WGPLANES_ALLOWEDIP_A_MAX + 1];
	struct wgp_allowedips *t = &plane->allowedips;
	u8 cidr;
	int ret;

	ret = nla_parse_nested(tb, WGPLANES_ALLOWEDIP_A_MAX, nest,
			       wgp_allowedip_policy, NULL);
	if (ret)
		return ret;
	cidr = nla_get_u8(tb[WGPLANES_ALLOWEDIP_A_CIDR_MASK]);
	if (nla_get_u16(tb[WGPLANES_ALLOWEDIP_A_FAMILY]) == AF_INET) {
		struct in_addr ip;

		memcpy(&ip, nla_data(tb[WGPLANES_ALLOWEDIP_A_IPADDR]),
		       sizeof(ip));
		return wgp_allowedips_insert_v4(t, &ip, cidr, peer,
						&plane->conf_lock);
	} else {
		struct in6_addr ip;

		memcpy(&ip, nla_data(tb[WGPLANES_ALLOWEDIP_A_IPADDR]),
		       sizeof(ip));
		return wgp_allowedips_insert_v6(t, &ip, cidr, peer,
						&plane->conf_lock);
	}
}

/* Peers removed here wait on @dead for the end of the request. */
static int wgp_set_peer(struct wgp_plane *plane, struct nlattr *nest,
			struct list_head *dead, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGPLANES_PEER_A_MAX + 1];
	struct wgp_peer *peer;
	struct nlattr *a;
	const u8 *key;
	u32 flags = 0;
	int rem, ret;

	ret = nla_parse_nested(tb, WGPLANES_PEER_A_MAX, nest, wgp_peer_policy,
			       extack);
	if (ret)
		return ret;
	key = nla_data(tb[WGPLANES_PEER_A_PUBLIC_KEY]);
	if (tb[WGPLANES_PEER_A_FLAGS])
		flags = nla_get_u32(tb[WGPLANES_PEER_A_FLAGS]);

	/*
	 * The plane's own key (as set by this request, which applied the
	 * private key first) is ignored, as stock WireGuard does: one mesh
	 * configuration that lists every node serves each of them.
	 */
	if (plane->has_identity &&
	    !memcmp(key, plane->public_key, WGPLANES_KEY_LEN))
		return 0;

	peer = wgp_peer_lookup(plane, key);
	if (flags & WGPLANES_PEER_F_REMOVE_ME) {
		if (peer)
			wgp_peer_unlink(peer, dead);
		return 0;
	}
	if (!peer) {
		if (flags & WGPLANES_PEER_F_UPDATE_ONLY)
			return 0;
		peer = wgp_peer_create(plane, key, extack);
		if (IS_ERR(peer)) {
			/* keep the message, point at the failing peer */
			NL_SET_BAD_ATTR(extack, nest);
			return PTR_ERR(peer);
		}
	}

	a = tb[WGPLANES_PEER_A_PRESHARED_KEY];
	if (a)
		wgp_noise_set_psk(peer, nla_data(a));
	a = tb[WGPLANES_PEER_A_ENDPOINT];
	if (a) {
		union wgp_endpoint ep = {};

		memcpy(&ep, nla_data(a), nla_len(a));
		wgp_peer_set_endpoint(peer, &ep);
	}
	a = tb[WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL];
	if (a) {
		WRITE_ONCE(peer->persistent_keepalive_interval,
			   nla_get_u16(a));
		wgp_peer_keepalive_changed(peer);
	}
	if (flags & WGPLANES_PEER_F_REPLACE_ALLOWEDIPS)
		wgp_allowedips_remove_by_peer(&plane->allowedips, peer,
					      &plane->conf_lock);
	if (!tb[WGPLANES_PEER_A_ALLOWEDIPS])
		return 0;
	nla_for_each_nested(a, tb[WGPLANES_PEER_A_ALLOWEDIPS], rem) {
		ret = wgp_add_allowedip(plane, peer, a);
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "cannot add this allowed IP to its peer; the peers before it were applied");
			return ret;
		}
		cond_resched();
	}
	return 0;
}

static void wgp_set_identity(struct wgp_plane *plane,
			     const u8 priv[WGPLANES_KEY_LEN],
			     const u8 pub[WGPLANES_KEY_LEN], bool has,
			     struct list_head *dead)
{
	struct wgp_peer *peer;

	if (has == plane->has_identity &&
	    (!has || !memcmp(priv, plane->private_key, WGPLANES_KEY_LEN)))
		return;
	/* the handshake work reads them under identity_seq (noise.c) */
	write_seqlock(&plane->eng.identity_seq);
	memzero_explicit(plane->private_key, WGPLANES_KEY_LEN);
	memset(plane->public_key, 0, WGPLANES_KEY_LEN);
	if (has) {
		memcpy(plane->private_key, priv, WGPLANES_KEY_LEN);
		memcpy(plane->public_key, pub, WGPLANES_KEY_LEN);
	}
	plane->has_identity = has;
	wgp_cookie_checker_set_key(&plane->eng.cookie, plane->public_key);
	write_sequnlock(&plane->eng.identity_seq);
	if (!has) {
		wgp_plane_identity_changed(plane);
		return;
	}
	/* a plane cannot be its own peer */
	peer = wgp_peer_lookup(plane, pub);
	if (peer)
		wgp_peer_unlink(peer, dead);
	/* sessions made with the old key are no longer ours */
	wgp_plane_identity_changed(plane);
}

static int wgp_set_plane_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct wgp_policy_update *pu = NULL;
	u8 priv[WGPLANES_KEY_LEN] = {}, pub[WGPLANES_KEY_LEN] = {};
	bool has_priv = false;
	struct wgp_plane *plane;
	struct nlattr *a;
	LIST_HEAD(dead);
	int rem, ret;

	plane = wgp_plane_lookup(genl_info_net(info), attrs, extack);
	if (IS_ERR(plane))
		return PTR_ERR(plane);

	/* First check everything that needs no plane state. */
	if (attrs[WGPLANES_A_POLICY]) {
		ret = -ENOMEM;
		pu = kzalloc(sizeof(*pu), GFP_KERNEL);
		if (!pu)
			goto out;
		ret = wgp_check_policy(attrs[WGPLANES_A_POLICY], pu, extack);
		if (ret)
			goto out;
	}
	a = attrs[WGPLANES_A_PRIVATE_KEY];
	if (a) {
		memcpy(priv, nla_data(a), WGPLANES_KEY_LEN);
		has_priv = !!memchr_inv(priv, 0, WGPLANES_KEY_LEN);
		if (has_priv) {
			curve25519_clamp_secret(priv);
			if (!curve25519_generate_public(pub, priv)) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "private key yields no usable public key");
				ret = -EINVAL;
				goto out;
			}
		}
	}
	if (attrs[WGPLANES_A_PEERS]) {
		nla_for_each_nested(a, attrs[WGPLANES_A_PEERS], rem) {
			ret = wgp_check_peer(a, extack);
			if (ret)
				goto out;
		}
	}
	ret = wgp_check_host_perm(skb, plane, attrs, pu, extack);
	if (ret)
		goto out;

	mutex_lock(&plane->conf_lock);
	if (!plane->peer_hash || plane->dev->reg_state != NETREG_REGISTERED) {
		NL_SET_ERR_MSG(extack, "the plane is being deleted");
		ret = -ENODEV;
		goto out_unlock;
	}

	/*
	 * Apply. The listen port goes first: rebinding the sockets of a plane
	 * that is up is the one step that can fail, and then nothing changed.
	 */
	if (attrs[WGPLANES_A_LISTEN_PORT]) {
		ret = wgp_socket_reinit(plane,
					nla_get_u16(attrs[WGPLANES_A_LISTEN_PORT]));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGPLANES_A_LISTEN_PORT],
					    "cannot bind the listen port");
			goto out_unlock;
		}
	}
	if (pu)
		wgp_apply_policy(plane, pu);
	if (attrs[WGPLANES_A_FWMARK])
		wgp_socket_set_fwmark(plane,
				      nla_get_u32(attrs[WGPLANES_A_FWMARK]));
	if (attrs[WGPLANES_A_FLAGS] &&
	    (nla_get_u32(attrs[WGPLANES_A_FLAGS]) & WGPLANES_F_REPLACE_PEERS))
		wgp_peer_unlink_all(plane, &dead);
	if (attrs[WGPLANES_A_PRIVATE_KEY])
		wgp_set_identity(plane, priv, pub, has_priv, &dead);
	ret = 0;
	if (attrs[WGPLANES_A_PEERS]) {
		nla_for_each_nested(a, attrs[WGPLANES_A_PEERS], rem) {
			ret = wgp_set_peer(plane, a, &dead, extack);
			if (ret)
				break;
			cond_resched();
		}
	}
	plane->conf_seq++;
	/* all peers this request removed: one grace period for the lot */
	wgp_peer_remove_dead(&dead);

out_unlock:
	mutex_unlock(&plane->conf_lock);
out:
	memzero_explicit(priv, sizeof(priv));
	if (pu) {
		if (pu->tb[WGPLANES_POLICY_A_CPUS])
			free_cpumask_var(pu->cpus);
		kfree(pu);
	}
	dev_put(plane->dev);
	return ret;
}

/* ---------------------------------------------------------- GET_FLEET */

/* Under RTNL. @net is the caller's namespace. */
static int wgp_put_fleet(struct sk_buff *skb, struct wgp_fleet *fleet,
			 struct net *net)
{
	u64 sum[__WGPLANES_CNT_LAST] = {}, c[__WGPLANES_CNT_LAST];
	struct nlattr *planes, *nest;
	struct wgp_plane *plane;
	struct net *pnet;
	unsigned int i, j;

	ASSERT_RTNL();
	if (nla_put_u32(skb, WGPLANES_FLEET_A_IFINDEX, fleet->dev->ifindex) ||
	    nla_put_string(skb, WGPLANES_FLEET_A_IFNAME, fleet->dev->name) ||
	    nla_put_u32(skb, WGPLANES_FLEET_A_PLANE_SLOTS, fleet->nplanes))
		return -EMSGSIZE;
	planes = nla_nest_start(skb, WGPLANES_FLEET_A_PLANES);
	if (!planes)
		return -EMSGSIZE;
	for (i = 0; i < fleet->nplanes; i++) {
		plane = rtnl_dereference(fleet->planes[i]);
		if (!plane)
			continue;
		nest = nla_nest_start(skb, 0);
		if (!nest)
			return -EMSGSIZE;
		pnet = dev_net(plane->dev);
		if (nla_put_u32(skb, WGPLANES_FLEET_PLANE_A_INDEX, plane->index) ||
		    nla_put_string(skb, WGPLANES_FLEET_PLANE_A_NAME,
				   plane->name) ||
		    nla_put_u32(skb, WGPLANES_FLEET_PLANE_A_IFINDEX,
				plane->dev->ifindex) ||
		    nla_put_string(skb, WGPLANES_FLEET_PLANE_A_IFNAME,
				   plane->dev->name))
			return -EMSGSIZE;
		if (!net_eq(pnet, net) &&
		    nla_put_s32(skb, WGPLANES_FLEET_PLANE_A_NETNSID,
				peernet2id_alloc(net, pnet, GFP_KERNEL)))
			return -EMSGSIZE;
		nla_nest_end(skb, nest);

		wgp_plane_counters_sum(plane, c);
		for (j = 0; j < __WGPLANES_CNT_LAST; j++)
			sum[j] += c[j];
	}
	nla_nest_end(skb, planes);
	return wgp_put_counters(skb, WGPLANES_FLEET_A_COUNTERS, sum);
}

static int wgp_get_fleet_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr *ifindex = info->attrs[WGPLANES_FLEET_A_IFINDEX];
	struct nlattr *ifname = info->attrs[WGPLANES_FLEET_A_IFNAME];
	struct wgp_fleet *fleet;
	struct net_device *dev;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	dev = wgp_dev_lookup(net, ifindex, ifname, info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = -EOPNOTSUPP;
	fleet = wgp_fleet_from_dev(dev);
	if (!fleet) {
		NL_SET_ERR_MSG_ATTR(info->extack, ifindex ?: ifname,
				    "not a wgplanes fleet");
		goto out_put;
	}
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out_put;
	hdr = genlmsg_put_reply(msg, info, &wgp_genl_family, 0,
				WGPLANES_CMD_GET_FLEET);
	if (!hdr)
		goto out_free;

	rtnl_lock();
	ret = wgp_put_fleet(msg, fleet, net);
	rtnl_unlock();
	if (ret)
		goto out_free;
	genlmsg_end(msg, hdr);
	dev_put(dev);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
out_put:
	dev_put(dev);
	return ret;
}

static int wgp_get_fleet_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	long skip = cb->args[0], idx = 0;
	struct wgp_fleet *fleet;
	struct net_device *dev;
	void *hdr;

	rtnl_lock();
	cb->seq = net->dev_base_seq;
	for_each_netdev(net, dev) {
		fleet = wgp_fleet_from_dev(dev);
		if (!fleet)
			continue;
		if (idx < skip) {
			idx++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &wgp_genl_family,
				  NLM_F_MULTI, WGPLANES_CMD_GET_FLEET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (wgp_put_fleet(skb, fleet, net)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	rtnl_unlock();
	cb->args[0] = idx;
	return skb->len;
}

/* ------------------------------------------------------------- family */

static const struct genl_ops wgp_genl_ops[] = {
	{
		.cmd = WGPLANES_CMD_GET_PLANE,
		.start = wgp_get_plane_start,
		.dumpit = wgp_get_plane_dumpit,
		.done = wgp_get_plane_done,
		.policy = wgp_get_plane_policy,
		.maxattr = WGPLANES_A_IFNAME,
		/* peers, keys, endpoints: as stock WireGuard, admin only */
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = WGPLANES_CMD_SET_PLANE,
		.doit = wgp_set_plane_doit,
		.policy = wgp_set_plane_policy,
		.maxattr = WGPLANES_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = WGPLANES_CMD_GET_FLEET,
		.doit = wgp_get_fleet_doit,
		.dumpit = wgp_get_fleet_dumpit,
		.policy = wgp_get_fleet_policy,
		.maxattr = WGPLANES_FLEET_A_IFNAME,
	},
};

static struct genl_family wgp_genl_family __ro_after_init = {
	.name = WGPLANES_GENL_NAME,
	.version = WGPLANES_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.parallel_ops = true,
	/* strict validation and reserved-field checks for every command */
	.resv_start_op = WGPLANES_CMD_GET_PLANE,
	.ops = wgp_genl_ops,
	.n_ops = ARRAY_SIZE(wgp_genl_ops),
};

int __init wgp_genetlink_init(void)
{
	return genl_register_family(&wgp_genl_family);
}

void wgp_genetlink_uninit(void)
{
	genl_unregister_family(&wgp_genl_family);
}
