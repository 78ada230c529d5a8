/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cryptokey routing: per-plane longest-prefix-match table mapping IPv4 and
 * IPv6 prefixes to the peer that owns them.
 *
 * One path-compressed binary trie per family. Every node stores a prefix
 * (key, cidr); a node either carries a peer (an allowed IP) or is a glue
 * node that exists only because it has two children. Hence a table of n
 * prefixes has fewer than 2n nodes, whatever the prefix lengths.
 *
 * Readers (lookups) run lock-free under rcu_read_lock_bh(). Writers are
 * serialised by a mutex the caller owns and passes in; nodes are freed after
 * a grace period. Lookups take no reference on the peer they return, so a
 * peer removed from the table must itself outlive an RCU grace period.
 *
 * Dumping a peer's allowed IPs (netlink): peer->allowedips_list links the
 * peer's nodes through wgp_aip_node.peer_list in insertion order (a prefix
 * reassigned to another peer goes to the tail of the new owner's list). The
 * list is protected by the writer mutex only, never walk it under RCU alone.
 * To resume a dump in a later message, under the mutex each time:
 *   - remember the last node emitted, its index in the list and t->seq;
 *   - if t->seq is unchanged, the table has not changed since, so that node
 *     is still allocated and on the same list: continue at its successor;
 *   - otherwise skip 'index' entries from the head and mark the dump as
 *     interrupted (cb->seq = t->seq with genl_dump_check_consistent() does
 *     exactly that), so userspace knows to retry.
 * seq starts at 1 and only grows, so 0 can stand for "no dump in progress".
 */
#ifndef _WGP_ALLOWEDIPS_H
#define _WGP_ALLOWEDIPS_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/in.h>
#include <linux/in6.h>

struct sk_buff;
struct wgp_peer;

struct wgp_aip_node {
	struct wgp_aip_node __rcu *child[2];
	/* NULL for a glue node */
	struct wgp_peer __rcu *peer;
	/* writer side only, lets removal run without a search */
	struct wgp_aip_node *parent;
	union {
		/* on peer->allowedips_list while peer is set (mutex) */
		struct list_head peer_list;
		/* only used once the node is unlinked from everything */
		struct rcu_head rcu;
	};
	u8 cidr;
	u8 maxbits;		/* 32 or 128: the family */
	/* network byte order, bits beyond cidr are zero */
	u8 bits[16] __aligned(8);
};

struct wgp_allowedips {
	struct wgp_aip_node __rcu *root4;
	struct wgp_aip_node __rcu *root6;
	/* bumped on every change, for consistent netlink dumps */
	u64 seq;
};

int wgp_allowedips_slab_init(void);
void wgp_allowedips_slab_uninit(void);

void wgp_allowedips_init(struct wgp_allowedips *t);
void wgp_allowedips_free(struct wgp_allowedips *t, struct mutex *lock);

int wgp_allowedips_insert_v4(struct wgp_allowedips *t,
			     const struct in_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock);
int wgp_allowedips_insert_v6(struct wgp_allowedips *t,
			     const struct in6_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock);
/* Only if owned by peer, else -ENOENT. */
int wgp_allowedips_remove_v4(struct wgp_allowedips *t,
			     const struct in_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock);
int wgp_allowedips_remove_v6(struct wgp_allowedips *t,
			     const struct in6_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock);
void wgp_allowedips_remove_by_peer(struct wgp_allowedips *t,
				   struct wgp_peer *peer, struct mutex *lock);

int wgp_allowedips_read_node(struct wgp_aip_node *node, u8 ip[16], u8 *cidr);

struct wgp_peer *wgp_allowedips_lookup_v4(struct wgp_allowedips *t,
					  const struct in_addr *addr);
struct wgp_peer *wgp_allowedips_lookup_v6(struct wgp_allowedips *t,
					  const struct in6_addr *addr);
struct wgp_peer *wgp_allowedips_lookup_dst(struct wgp_allowedips *t,
					   struct sk_buff *skb);
struct wgp_peer *wgp_allowedips_lookup_src(struct wgp_allowedips *t,
					   struct sk_buff *skb);

/* Nodes allocated and not yet freed, RCU-pending ones included. */
long wgp_allowedips_nodes_alive(void);

#endif /* _WGP_ALLOWEDIPS_H */
