// SPDX-License-Identifier: GPL-2.0
/*
 * Plane devices: L3 point-to-point tunnel devices, one WireGuard-compatible
 * instance each. They are created only by their fleet (fleet.c); this file
 * holds what a plane is as a net_device.
 */
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/icmp.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "fleet.h"
#include "peer.h"
#include "engine.h"
#include "queueing.h"
#include "socket.h"

/* Outer headers the largest case needs: IPv6 + UDP + data message header. */
#define WGP_OUTER_OVERHEAD	(40 + 8 + 16)
/* Padding to 16 bytes and the authentication tag. */
#define WGP_TAILROOM		(15 + 16)
#define WGP_DEFAULT_MTU		1420
#define WGP_PLANE_FEATURES	(NETIF_F_HW_CSUM | NETIF_F_RXCSUM | \
				 NETIF_F_SG | NETIF_F_GSO | \
				 NETIF_F_GSO_SOFTWARE | NETIF_F_HIGHDMA)

struct wgp_plane *wgp_plane_from_dev(struct net_device *dev)
{
	if (dev->rtnl_link_ops != &wgp_plane_link_ops)
		return NULL;
	return netdev_priv(dev);
}

/* Sums the per-CPU counters, the first n of them. */
static void wgp_plane_sum(struct wgp_plane *plane, u64 *out, unsigned int n)
{
	unsigned int start;
	int cpu, i;

	memset(out, 0, sizeof(u64) * n);
	for_each_possible_cpu(cpu) {
		const struct wgp_counters *c = per_cpu_ptr(plane->counters, cpu);
		u64 v[__WGP_CNT_ALL];

		do {
			start = u64_stats_fetch_begin(&c->syncp);
			memcpy(v, c->val, sizeof(u64) * n);
		} while (u64_stats_fetch_retry(&c->syncp, start));
		for (i = 0; i < n; i++)
			out[i] += v[i];
	}
}

void wgp_plane_counters_sum(struct wgp_plane *plane,
			    u64 out[__WGPLANES_CNT_LAST])
{
	wgp_plane_sum(plane, out, __WGPLANES_CNT_LAST);
}

/*
 * The link statistics count as stock WireGuard does on its device (seen
 * side by side in selftests/interop_parity.sh): packets and bytes are the
 * messages exchanged with peers, a destination without a peer or endpoint
 * is a transmit error, an inner packet that is not honest a receive error.
 * What only a plane drops (its queues, its guard) shows as dropped; junk
 * on the socket is for wgplanes show alone, as stock shows none of it.
 */
static const u8 wgp_tx_errors[] = {
	WGPLANES_CNT_DROP_NO_PEER, WGPLANES_CNT_DROP_NO_ENDPOINT,
};

static const u8 wgp_tx_drops[] = {
	WGPLANES_CNT_DROP_TXQ_FULL, WGPLANES_CNT_DROP_ENCQ_FULL,
	WGPLANES_CNT_DROP_NOMEM, WGPLANES_CNT_DROP_HANDSHAKE_TIMEOUT,
	WGPLANES_CNT_DROP_TX_ERROR,
};

static const u8 wgp_rx_drops[] = {
	WGPLANES_CNT_DROP_DECQ_FULL, WGPLANES_CNT_DROP_RX_RATE,
	WGPLANES_CNT_DROP_RX_JUNK,
};

void wgp_plane_link_stats(struct wgp_plane *plane,
			  struct rtnl_link_stats64 *stats)
{
	u64 c[__WGP_CNT_ALL];
	unsigned int i;

	wgp_plane_sum(plane, c, __WGP_CNT_ALL);
	stats->rx_packets += c[WGP_LINK_RX_PACKETS];
	stats->rx_bytes += c[WGP_LINK_RX_BYTES];
	stats->tx_packets += c[WGP_LINK_TX_PACKETS];
	stats->tx_bytes += c[WGP_LINK_TX_BYTES];
	stats->rx_frame_errors += c[WGP_LINK_RX_FRAME_ERRORS];
	stats->rx_length_errors += c[WGP_LINK_RX_LENGTH_ERRORS];
	stats->rx_errors += c[WGP_LINK_RX_FRAME_ERRORS] +
			    c[WGP_LINK_RX_LENGTH_ERRORS];
	for (i = 0; i < ARRAY_SIZE(wgp_tx_errors); i++)
		stats->tx_errors += c[wgp_tx_errors[i]];
	for (i = 0; i < ARRAY_SIZE(wgp_tx_drops); i++)
		stats->tx_dropped += c[wgp_tx_drops[i]];
	for (i = 0; i < ARRAY_SIZE(wgp_rx_drops); i++)
		stats->rx_dropped += c[wgp_rx_drops[i]];
}

static void wgp_plane_get_stats64(struct net_device *dev,
				  struct rtnl_link_stats64 *stats)
{
	wgp_plane_link_stats(netdev_priv(dev), stats);
}

static int wgp_plane_get_iflink(const struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);
	struct wgp_fleet *fleet = READ_ONCE(plane->fleet);

	return fleet ? READ_ONCE(fleet->dev->ifindex) : 0;
}

static int wgp_plane_dev_init(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);
	int ret;

	wgp_guard_init(&plane->guard);
	plane->counters = alloc_percpu(struct wgp_counters);
	if (!plane->counters)
		return -ENOMEM;
	ret = wgp_plane_conf_init(plane);
	if (ret)
		goto err_counters;
	ret = wgp_plane_engine_init(plane);
	if (ret)
		goto err_conf;
	return 0;

err_conf:
	wgp_plane_conf_uninit(plane);
err_counters:
	free_percpu(plane->counters);
	plane->counters = NULL;
	return ret;
}

static void wgp_plane_dev_uninit(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);

	/* no more received packets, then no more peers, then the rest */
	wgp_guard_stop(plane);
	wgp_socket_close(plane);
	wgp_plane_conf_uninit(plane);
	wgp_plane_engine_uninit(plane);
}

static int wgp_plane_open(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);
	int ret;

	ret = wgp_plane_engine_open(plane);
	if (ret)
		return ret;
	wgp_guard_update(plane);
	netif_start_queue(dev);
	return 0;
}

static int wgp_plane_stop(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);

	/* no transmit work after it: nothing waits on the guard again */
	wgp_plane_engine_stop(plane);
	wgp_guard_stop(plane);
	return 0;
}

static void wgp_plane_destruct(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);

	free_percpu(plane->counters);
	wgp_plane_engine_free(plane);
}

static const struct net_device_ops wgp_plane_netdev_ops = {
	.ndo_init		= wgp_plane_dev_init,
	.ndo_uninit		= wgp_plane_dev_uninit,
	.ndo_open		= wgp_plane_open,
	.ndo_stop		= wgp_plane_stop,
	.ndo_start_xmit		= wgp_xmit,
	.ndo_get_stats64	= wgp_plane_get_stats64,
	.ndo_get_iflink		= wgp_plane_get_iflink,
};

void wgp_plane_setup(struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);

	dev->netdev_ops = &wgp_plane_netdev_ops;
	dev->header_ops = NULL;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = WGP_OUTER_OVERHEAD + LL_MAX_HEADER;
	dev->needed_tailroom = WGP_TAILROOM;
	dev->mtu = WGP_DEFAULT_MTU;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = IP_MAX_MTU - WGP_OUTER_OVERHEAD;
	dev->tx_queue_len = 1000;
	COMPAT_SET_LLTX(dev);
	/* GSO packets are segmented and checksummed before encryption */
	dev->features |= WGP_PLANE_FEATURES;
	dev->hw_features |= WGP_PLANE_FEATURES;
	dev->hw_enc_features |= WGP_PLANE_FEATURES;
	/* the route stays with the packet: ICMP errors and the padding need it */
	netif_keep_dst(dev);
	dev->needs_free_netdev = true;
	dev->priv_destructor = wgp_plane_destruct;

	plane->dev = dev;
}

/* Deleting a plane on its own leaves the rest of the fleet running. */
static void wgp_plane_dellink(struct net_device *dev, struct list_head *head)
{
	wgp_fleet_detach_plane(netdev_priv(dev));
	unregister_netdevice_queue(dev, head);
}

static int wgp_plane_newlink(struct net *src_net, struct net_device *dev,
			     struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG(extack,
		       "planes are created with their fleet: ip link add NAME type "
		       WGPLANES_LINK_KIND);
	return -EOPNOTSUPP;
}

static struct net *wgp_plane_get_link_net(const struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);
	struct wgp_fleet *fleet = READ_ONCE(plane->fleet);

	return fleet ? dev_net(fleet->dev) : dev_net(dev);
}

struct rtnl_link_ops wgp_plane_link_ops __read_mostly = {
	.kind		= WGPLANES_PLANE_KIND,
	.priv_size	= sizeof(struct wgp_plane),
	.setup		= wgp_plane_setup,
	.newlink	= wgp_plane_newlink,
	.dellink	= wgp_plane_dellink,
	.get_link_net	= wgp_plane_get_link_net,
};
