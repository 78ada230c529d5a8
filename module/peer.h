/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer of a plane: its public key, endpoint and allowed IPs.
 *
 * Peers are created, changed and removed under plane->conf_lock. They are
 * listed on plane->peer_list and indexed by public key in the plane's
 * wgp_pubkey_table. Readers that do not hold conf_lock (the datapath) find
 * peers under RCU and keep one with wgp_peer_get(); a peer's memory, keys
 * included, is wiped and freed a grace period after the last reference is
 * dropped.
 */
#ifndef _WGP_PEER_H
#define _WGP_PEER_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/siphash.h>
#include <linux/time64.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/netlink.h>
#include <linux/wgplanes.h>

#include "allowedips.h"
#include "engine.h"

struct wgp_plane;

union wgp_endpoint {
	struct sockaddr addr;		/* sa_family AF_UNSPEC: none */
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
};

struct wgp_peer {
	struct wgp_plane *plane;
	/* all allowed IPs owned by this peer (struct wgp_aip_node.peer_list) */
	struct list_head allowedips_list;
	u64 internal_id;

	u8 public_key[WGPLANES_KEY_LEN];
	u8 preshared_key[WGPLANES_KEY_LEN];	/* all zero: none */

	/* written under conf_lock and endpoint_lock, read under the latter */
	rwlock_t endpoint_lock;
	union wgp_endpoint endpoint;

	u16 persistent_keepalive_interval;	/* seconds, 0 = off */
	u64 rx_bytes, tx_bytes;
	struct timespec64 last_handshake;

	struct kref refcount;
	struct rcu_head rcu;
	/* plane->peer_list, or a list of unlinked peers; conf_lock */
	struct list_head plane_list;
	struct hlist_node pubkey_hash;	/* wgp_pubkey_table, conf_lock/RCU */
	bool is_dead;			/* removed from the plane */

	/* protocol engine: handshake, keypairs, queues, timers (engine.h) */
	struct wgp_peer_engine eng;
};

#define WGP_PUBKEY_HASH_BITS	11

/* Per-plane index of peers by public key, plane->peer_hash. */
struct wgp_pubkey_table {
	siphash_key_t key;
	struct hlist_head buckets[1 << WGP_PUBKEY_HASH_BITS];
};

/* Upper bound of peers per plane, as for a WireGuard interface. */
#define WGP_MAX_PEERS		BIT(20)

int wgp_plane_conf_init(struct wgp_plane *plane);
void wgp_plane_conf_uninit(struct wgp_plane *plane);

struct wgp_peer *wgp_peer_create(struct wgp_plane *plane,
				 const u8 public_key[WGPLANES_KEY_LEN],
				 struct netlink_ext_ack *extack);
/* Under conf_lock: the peer with this key, no reference taken. */
struct wgp_peer *wgp_peer_lookup(struct wgp_plane *plane,
				 const u8 public_key[WGPLANES_KEY_LEN]);
/* Under rcu_read_lock(): the peer with this key, with a reference. */
struct wgp_peer *wgp_peer_lookup_get_rcu(struct wgp_plane *plane,
					 const u8 public_key[WGPLANES_KEY_LEN]);
/*
 * Removal under conf_lock, held from the first unlink to remove_dead:
 * unlinked peers wait on @dead (linked through plane_list) and are stopped
 * and released together, after a single grace period. remove_all does
 * both steps for every peer of the plane.
 */
void wgp_peer_remove_all(struct wgp_plane *plane);
void wgp_peer_unlink(struct wgp_peer *peer, struct list_head *dead);
void wgp_peer_unlink_all(struct wgp_plane *plane, struct list_head *dead);
void wgp_peer_remove_dead(struct list_head *dead);

struct wgp_peer *wgp_peer_get(struct wgp_peer *peer);
void wgp_peer_put(struct wgp_peer *peer);

void wgp_peer_set_endpoint(struct wgp_peer *peer,
			   const union wgp_endpoint *ep);
void wgp_peer_get_endpoint(struct wgp_peer *peer, union wgp_endpoint *ep);

#endif /* _WGP_PEER_H */
