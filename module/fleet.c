// SPDX-License-Identifier: GPL-2.0
/*
 * The fleet device: "ip link add NAME type wgplanes" creates it together with
 * its planes. It carries no traffic of its own; it holds the lifecycle of its
 * planes and reports the sum of their counters.
 */
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <linux/ctype.h>
#include <net/rtnetlink.h>
#include <net/addrconf.h>

#include "device.h"
#include "fleet.h"

/* Tells a plane from a later one that got its ifindex (netlink dumps). */
static atomic64_t wgp_plane_ids = ATOMIC64_INIT(0);

static const char * const wgp_default_plane_names[WGPLANES_DEFAULT_PLANES] = {
	"enroll", "mgmt", "backend", "storage",
};

struct wgp_fleet *wgp_fleet_from_dev(struct net_device *dev)
{
	if (dev->rtnl_link_ops != &wgp_fleet_link_ops)
		return NULL;
	return netdev_priv(dev);
}

/* Called under RTNL when a plane goes away, alone or with its fleet. */
void wgp_fleet_detach_plane(struct wgp_plane *plane)
{
	struct wgp_fleet *fleet = plane->fleet;

	ASSERT_RTNL();
	if (!fleet)
		return;
	RCU_INIT_POINTER(fleet->planes[plane->index], NULL);
	WRITE_ONCE(plane->fleet, NULL);
}

static void wgp_fleet_get_stats64(struct net_device *dev,
				  struct rtnl_link_stats64 *stats)
{
	struct wgp_fleet *fleet = netdev_priv(dev);
	struct wgp_plane *plane;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < fleet->nplanes; i++) {
		plane = rcu_dereference(fleet->planes[i]);
		if (!plane)
			continue;
		wgp_plane_link_stats(plane, stats);
	}
	rcu_read_unlock();
	stats->tx_dropped += atomic_long_read(&fleet->tx_dropped);
}

/* The fleet device is a handle: anything sent to it is dropped. */
static netdev_tx_t wgp_fleet_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wgp_fleet *fleet = netdev_priv(dev);

	atomic_long_inc(&fleet->tx_dropped);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops wgp_fleet_netdev_ops = {
	.ndo_start_xmit		= wgp_fleet_xmit,
	.ndo_get_stats64	= wgp_fleet_get_stats64,
};

static void wgp_fleet_setup(struct net_device *dev)
{
	dev->netdev_ops = &wgp_fleet_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_NOARP;
	/* no traffic: renaming it while up is harmless */
	dev->priv_flags |= IFF_NO_QUEUE | COMPAT_IFF_LIVE_RENAME_OK;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = ETH_DATA_LEN;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	COMPAT_SET_LLTX(dev);
	dev->needs_free_netdev = true;
}

/* A plane name must make a valid device name suffix and be unique. */
static int wgp_check_plane_name(const char *name, struct nlattr *attr,
				struct netlink_ext_ack *extack)
{
	const char *p;

	if (!*name) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "empty plane name");
		return -EINVAL;
	}
	for (p = name; *p; p++) {
		if (!isalnum(*p) && *p != '_' && *p != '-' && *p != '.') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "plane names may hold only letters, digits, '_', '-' and '.'");
			return -EINVAL;
		}
	}
	return 0;
}

static int wgp_parse_plane_names(struct nlattr *nest, unsigned int nplanes,
				 char names[][WGPLANES_PLANE_NAME_LEN],
				 struct netlink_ext_ack *extack)
{
	struct nlattr *attr;
	unsigned int i, j;
	int rem, ret;

	if (!nest)
		goto defaults;
	nla_for_each_nested(attr, nest, rem) {
		i = nla_type(attr);
		if (i < 1 || i > nplanes) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "plane name for a plane index beyond the plane count");
			return -EINVAL;
		}
		if (names[i - 1][0]) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "two names for the same plane");
			return -EINVAL;
		}
		if (nla_len(attr) < 1 || !*(char *)nla_data(attr)) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "empty plane name");
			return -EINVAL;
		}
		if (nla_len(attr) > WGPLANES_PLANE_NAME_LEN ||
		    strnlen(nla_data(attr), nla_len(attr)) >=
			WGPLANES_PLANE_NAME_LEN) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "plane name longer than 15 characters");
			return -EINVAL;
		}
		nla_strscpy(names[i - 1], attr, WGPLANES_PLANE_NAME_LEN);
		ret = wgp_check_plane_name(names[i - 1], attr, extack);
		if (ret)
			return ret;
	}
	if (rem) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "trailing bytes after the plane names");
		return -EINVAL;
	}
defaults:
	for (i = 0; i < nplanes; i++) {
		if (!names[i][0]) {
			if (i < WGPLANES_DEFAULT_PLANES)
				strscpy(names[i], wgp_default_plane_names[i],
					WGPLANES_PLANE_NAME_LEN);
			else
				snprintf(names[i], WGPLANES_PLANE_NAME_LEN,
					 "plane%u", i);
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(names[i], names[j])) {
				NL_SET_ERR_MSG_ATTR(extack, nest,
						    "plane names must be unique");
				return -EINVAL;
			}
		}
	}
	return 0;
}

static const struct nla_policy wgp_fleet_policy[WGPLANES_LINK_A_MAX + 1] = {
	[WGPLANES_LINK_A_PLANES] = NLA_POLICY_RANGE(NLA_U32, 1,
						    WGPLANES_MAX_PLANES),
	[WGPLANES_LINK_A_PLANE_NAMES] = { .type = NLA_NESTED },
};

static int wgp_fleet_validate(struct nlattr *tb[], struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int rem, ret;

	if (tb[IFLA_ADDRESS]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
				    "a fleet has no link-layer address");
		return -EINVAL;
	}
	if (!tb[IFLA_LINKINFO])
		return 0;
	/*
	 * rtnetlink parses IFLA_INFO_DATA leniently (unknown types are
	 * ignored): check it as strictly as the generic netlink family.
	 */
	nla_for_each_nested(a, tb[IFLA_LINKINFO], rem) {
		if (nla_type(a) != IFLA_INFO_DATA)
			continue;
		ret = nla_validate_nested(a, WGPLANES_LINK_A_MAX,
					  wgp_fleet_policy, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A tunnel without link-layer addresses has no use for an IPv6 link-local
 * address, and WireGuard devices come up without one: so do planes (and
 * the fleet, which carries nothing), unless
 * the administrator asks for one with "ip link set … addrgenmode".
 */
static void wgp_no_link_local(struct net_device *dev)
{
#if IS_ENABLED(CONFIG_IPV6)
	struct inet6_dev *idev = __in6_dev_get(dev);

	if (idev)
		WRITE_ONCE(idev->cnf.addr_gen_mode, IN6_ADDR_GEN_MODE_NONE);
#endif
}

static int wgp_fleet_add_plane(struct wgp_fleet *fleet, unsigned int index,
			       const char *name, struct netlink_ext_ack *extack)
{
	char ifname[IFNAMSIZ];
	struct net_device *dev;
	struct wgp_plane *plane;
	int ret;

	/* "<fleet>-<plane>", or a kernel-chosen name when that is too long */
	if (snprintf(ifname, sizeof(ifname), "%s-%s", fleet->dev->name,
		     name) >= sizeof(ifname))
		strscpy(ifname, "wgplane%d", sizeof(ifname));

	dev = alloc_netdev(sizeof(struct wgp_plane), ifname,
			   NET_NAME_ENUM, wgp_plane_setup);
	if (!dev)
		return -ENOMEM;
	dev_net_set(dev, dev_net(fleet->dev));
	dev->rtnl_link_ops = &wgp_plane_link_ops;

	plane = netdev_priv(dev);
	plane->fleet = fleet;
	plane->index = index;
	plane->id = atomic64_inc_return(&wgp_plane_ids);
	strscpy(plane->name, name, sizeof(plane->name));
	plane->creating_net = fleet->creating_net;

	ret = register_netdevice(dev);
	if (ret) {
		if (ret == -EEXIST)
			NL_SET_ERR_MSG_MOD(extack,
					   "a device with a plane's name exists");
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot register a plane device");
		free_netdev(dev);
		return ret;
	}
	wgp_no_link_local(dev);
	rcu_assign_pointer(fleet->planes[index], plane);
	return 0;
}

static void wgp_fleet_queue_planes(struct wgp_fleet *fleet,
				   struct list_head *head)
{
	struct wgp_plane *plane;
	unsigned int i;

	for (i = 0; i < fleet->nplanes; i++) {
		plane = rtnl_dereference(fleet->planes[i]);
		if (!plane)
			continue;
		wgp_fleet_detach_plane(plane);
		unregister_netdevice_queue(plane->dev, head);
	}
}

static int wgp_fleet_newlink(struct net *src_net, struct net_device *dev,
			     struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	char names[WGPLANES_MAX_PLANES][WGPLANES_PLANE_NAME_LEN] = {};
	struct wgp_fleet *fleet = netdev_priv(dev);
	unsigned int nplanes = WGPLANES_DEFAULT_PLANES, i;
	LIST_HEAD(kill);
	int ret;

	if (data && data[WGPLANES_LINK_A_PLANES])
		nplanes = nla_get_u32(data[WGPLANES_LINK_A_PLANES]);
	ret = wgp_parse_plane_names(data ? data[WGPLANES_LINK_A_PLANE_NAMES] :
				    NULL, nplanes, names, extack);
	if (ret)
		return ret;

	fleet->dev = dev;
	fleet->nplanes = nplanes;
	fleet->creating_net = src_net;

	ret = register_netdevice(dev);
	if (ret)
		return ret;
	wgp_no_link_local(dev);

	for (i = 0; i < nplanes; i++) {
		ret = wgp_fleet_add_plane(fleet, i, names[i], extack);
		if (ret)
			goto err_unregister;
	}

	/*
	 * The fleet is up from the start: it carries nothing, and planes
	 * would otherwise show their link as down ("M-DOWN") in ip link.
	 */
	ret = dev_open(dev, extack);
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	wgp_fleet_queue_planes(fleet, &kill);
	unregister_netdevice_queue(dev, &kill);
	unregister_netdevice_many(&kill);
	return ret;
}

static void wgp_fleet_dellink(struct net_device *dev, struct list_head *head)
{
	wgp_fleet_queue_planes(netdev_priv(dev), head);
	unregister_netdevice_queue(dev, head);
}

static size_t wgp_fleet_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u32));
}

static int wgp_fleet_fill_info(struct sk_buff *skb,
			       const struct net_device *dev)
{
	const struct wgp_fleet *fleet = netdev_priv(dev);

	return nla_put_u32(skb, WGPLANES_LINK_A_PLANES, fleet->nplanes);
}

struct rtnl_link_ops wgp_fleet_link_ops __read_mostly = {
	.kind		= WGPLANES_LINK_KIND,
	.priv_size	= sizeof(struct wgp_fleet),
	.maxtype	= WGPLANES_LINK_A_MAX,
	.policy		= wgp_fleet_policy,
	.setup		= wgp_fleet_setup,
	.validate	= wgp_fleet_validate,
	.newlink	= wgp_fleet_newlink,
	.dellink	= wgp_fleet_dellink,
	.get_size	= wgp_fleet_get_size,
	.fill_info	= wgp_fleet_fill_info,
};

int wgp_device_init(void)
{
	int ret;

	ret = rtnl_link_register(&wgp_plane_link_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&wgp_fleet_link_ops);
	if (ret)
		goto err_plane;
	return 0;

err_plane:
	rtnl_link_unregister(&wgp_plane_link_ops);
	return ret;
}

void wgp_device_uninit(void)
{
	/* fleets first: deleting them deletes their planes */
	rtnl_link_unregister(&wgp_fleet_link_ops);
	rtnl_link_unregister(&wgp_plane_link_ops);
}
