/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fleet device and its plane devices.
 *
 * A fleet is the device created by "ip link add NAME type wgplanes". It
 * carries no traffic; it owns the lifecycle of its planes (deleting it
 * deletes them) and shows their summed counters. Each plane is an L3
 * tunnel device and a complete WireGuard-compatible instance.
 *
 * Locking: the plane set of a fleet changes only under RTNL. Readers that do
 * not hold RTNL (statistics, the datapath) see fleet->planes[] under RCU; a
 * plane's memory outlives the grace period that follows its unregistration.
 * The configuration of a plane (keys, peers, policy) is serialised by
 * plane->conf_lock, taken after RTNL where both are needed.
 */
#ifndef _WGP_DEVICE_H
#define _WGP_DEVICE_H

#include <linux/netdevice.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/cpumask.h>
#include <linux/u64_stats_sync.h>
#include <linux/wgplanes.h>

#include "allowedips.h"
#include "engine.h"
#include "guard.h"

struct wgp_fleet;

/*
 * Counters of the link statistics alone (ip -s link), after those of
 * enum wgplanes_counter: what stock WireGuard counts on its device, i.e.
 * the messages exchanged with peers (handshakes, keepalives and data, by
 * their length on the wire) and inner packets refused as not honest.
 */
enum {
	WGP_LINK_TX_PACKETS = __WGPLANES_CNT_LAST,
	WGP_LINK_TX_BYTES,
	WGP_LINK_RX_PACKETS,
	WGP_LINK_RX_BYTES,
	WGP_LINK_RX_FRAME_ERRORS,	/* not IP, or a source not allowed */
	WGP_LINK_RX_LENGTH_ERRORS,	/* inner length beyond the packet */
	__WGP_CNT_ALL
};

/* Per-CPU counters of a plane: enum wgplanes_counter, then WGP_LINK_*. */
struct wgp_counters {
	u64 val[__WGP_CNT_ALL];
	struct u64_stats_sync syncp;
};

struct wgp_policy {
	cpumask_var_t cpus;		/* as configured; empty = all online */
	u8 priority;			/* enum wgplanes_priority */
	u64 rate;			/* bits per second, 0 = unlimited */
	u32 burst;			/* bytes */
	u32 txq_len, encq_len, decq_len, hsq_len;
};

struct wgp_plane {
	struct net_device *dev;
	struct wgp_fleet *fleet;	/* NULL once detached; READ_ONCE */
	unsigned int index;
	u64 id;				/* unique while the module is loaded */
	char name[WGPLANES_PLANE_NAME_LEN];	/* role: "mgmt", ... */
	/* the namespace of the UDP sockets: where the fleet was created */
	struct net *creating_net;

	struct mutex conf_lock;		/* keys, peers, policy */
	u8 private_key[WGPLANES_KEY_LEN];
	u8 public_key[WGPLANES_KEY_LEN];
	bool has_identity;
	u16 listen_port;
	u32 fwmark;

	struct list_head peer_list;	/* under conf_lock */
	unsigned int num_peers;
	struct wgp_pubkey_table *peer_hash;
	/* cryptokey routing: written under conf_lock, read under RCU-bh */
	struct wgp_allowedips allowedips;
	/* bumped on every configuration change, for dump consistency */
	u64 conf_seq;

	struct wgp_policy policy;
	struct wgp_guard guard;
	struct wgp_counters __percpu *counters;

	/* protocol engine: sockets, queues, workers (engine.h) */
	struct wgp_plane_engine eng;
};

struct wgp_fleet {
	struct net_device *dev;
	struct net *creating_net;
	unsigned int nplanes;		/* slots made at creation */
	atomic_long_t tx_dropped;	/* sent to the fleet device itself */
	struct wgp_plane __rcu *planes[WGPLANES_MAX_PLANES];
};

/*
 * Counting happens in process context and in softirqs on the same CPU: a
 * this_cpu operation is one instruction on 64-bit machines, so neither
 * loses the other's update (syncp only serves 32-bit readers).
 */
static inline void wgp_count_add(struct wgp_plane *plane,
				 enum wgplanes_counter id, u64 n)
{
	this_cpu_add(plane->counters->val[id], n);
}

static inline void wgp_count(struct wgp_plane *plane, enum wgplanes_counter id)
{
	wgp_count_add(plane, id, 1);
}

/* id: one of WGP_LINK_* */
static inline void wgp_link_count_add(struct wgp_plane *plane,
				      unsigned int id, u64 n)
{
	this_cpu_add(plane->counters->val[id], n);
}

/* A message of len bytes went to a peer, or came from one. */
static inline void wgp_link_count_tx(struct wgp_plane *plane, unsigned int len)
{
	wgp_link_count_add(plane, WGP_LINK_TX_PACKETS, 1);
	wgp_link_count_add(plane, WGP_LINK_TX_BYTES, len);
}

static inline void wgp_link_count_rx(struct wgp_plane *plane, unsigned int len)
{
	wgp_link_count_add(plane, WGP_LINK_RX_PACKETS, 1);
	wgp_link_count_add(plane, WGP_LINK_RX_BYTES, len);
}

void wgp_plane_counters_sum(struct wgp_plane *plane,
			    u64 out[__WGPLANES_CNT_LAST]);
/* Adds a plane's counters to the link statistics ip -s link shows. */
void wgp_plane_link_stats(struct wgp_plane *plane,
			  struct rtnl_link_stats64 *stats);

/* The plane behind a device of kind "wgplane", or NULL. */
struct wgp_plane *wgp_plane_from_dev(struct net_device *dev);
/* The fleet behind a device of kind "wgplanes", or NULL. */
struct wgp_fleet *wgp_fleet_from_dev(struct net_device *dev);

int wgp_device_init(void);
void wgp_device_uninit(void);

#endif /* _WGP_DEVICE_H */
