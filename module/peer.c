// SPDX-License-Identifier: GPL-2.0
/*
 * Peers of a plane and the plane's configuration state: the peer list, the
 * public-key index, the cryptokey routing table and the policy defaults.
 *
 * Removing a peer is two steps: unlinking (under conf_lock, cheap) and
 * stopping its engine, which needs a grace period if the peer ever armed or
 * queued anything. Bulk removals (REPLACE_PEERS, a request with many
 * REMOVE_ME peers, deleting the plane) unlink all their peers first and pay
 * for one grace period.
 *
 * Every change happens under plane->conf_lock and moves plane->conf_seq, so
 * a netlink dump that spans several messages can tell whether it saw one
 * consistent configuration.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/atomic.h>
#include <linux/lockdep.h>

#include "device.h"
#include "peer.h"

static atomic64_t wgp_peer_ids = ATOMIC64_INIT(0);

/* Lets the hash table be freed while RCU readers may still walk it. */
struct wgp_pubkey_table_rcu {
	struct rcu_head rcu;
	struct wgp_pubkey_table table;
};

static struct hlist_head *wgp_pubkey_bucket(struct wgp_pubkey_table *table,
					    const u8 key[WGPLANES_KEY_LEN])
{
	u64 h = siphash(key, WGPLANES_KEY_LEN, &table->key);

	return &table->buckets[h & ((1 << WGP_PUBKEY_HASH_BITS) - 1)];
}

int wgp_plane_conf_init(struct wgp_plane *plane)
{
	struct wgp_pubkey_table_rcu *t;
	struct wgp_policy *pol = &plane->policy;

	t = kvzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&pol->cpus, GFP_KERNEL)) {
		kvfree(t);
		return -ENOMEM;
	}
	get_random_bytes(&t->table.key, sizeof(t->table.key));
	/* kvzalloc() left every bucket an empty hlist */
	wgp_allowedips_init(&plane->allowedips);

	mutex_init(&plane->conf_lock);
	INIT_LIST_HEAD(&plane->peer_list);
	plane->num_peers = 0;
	plane->peer_hash = &t->table;
	plane->has_identity = false;
	memset(plane->private_key, 0, sizeof(plane->private_key));
	memset(plane->public_key, 0, sizeof(plane->public_key));
	plane->listen_port = 0;
	plane->fwmark = 0;
	/* 0 would read as "no dump in progress" */
	plane->conf_seq = 1;

	pol->priority = WGPLANES_PRIO_NORMAL;
	pol->rate = 0;
	pol->burst = 0;			/* chosen from the rate */
	pol->txq_len = WGPLANES_DEFAULT_TXQ_LEN;
	pol->encq_len = WGPLANES_DEFAULT_ENCQ_LEN;
	pol->decq_len = WGPLANES_DEFAULT_DECQ_LEN;
	pol->hsq_len = WGPLANES_DEFAULT_HSQ_LEN;
	return 0;
}

void wgp_plane_conf_uninit(struct wgp_plane *plane)
{
	struct wgp_pubkey_table_rcu *t;

	if (!plane->peer_hash)
		return;
	mutex_lock(&plane->conf_lock);
	wgp_peer_remove_all(plane);
	wgp_allowedips_free(&plane->allowedips, &plane->conf_lock);
	memzero_explicit(plane->private_key, sizeof(plane->private_key));
	memset(plane->public_key, 0, sizeof(plane->public_key));
	plane->has_identity = false;
	plane->conf_seq++;
	t = container_of(plane->peer_hash, struct wgp_pubkey_table_rcu, table);
	plane->peer_hash = NULL;
	mutex_unlock(&plane->conf_lock);

	kvfree_rcu(t, rcu);
	free_cpumask_var(plane->policy.cpus);
	/*
	 * conf_lock stays usable: a netlink request that holds the device
	 * finds peer_hash NULL under it and gives up.
	 */
}

struct wgp_peer *wgp_peer_lookup(struct wgp_plane *plane,
				 const u8 public_key[WGPLANES_KEY_LEN])
{
	struct wgp_peer *peer;

	lockdep_assert_held(&plane->conf_lock);
	hlist_for_each_entry(peer, wgp_pubkey_bucket(plane->peer_hash,
						     public_key),
			     pubkey_hash) {
		if (!memcmp(peer->public_key, public_key, WGPLANES_KEY_LEN))
			return peer;
	}
	return NULL;
}

struct wgp_peer *wgp_peer_lookup_get_rcu(struct wgp_plane *plane,
					 const u8 public_key[WGPLANES_KEY_LEN])
{
	struct wgp_pubkey_table *table = READ_ONCE(plane->peer_hash);
	struct wgp_peer *peer;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held() && !rcu_read_lock_bh_held(),
			 "peer lookup outside an RCU read-side section");
	if (!table)
		return NULL;
	hlist_for_each_entry_rcu(peer, wgp_pubkey_bucket(table, public_key),
				 pubkey_hash) {
		if (!memcmp(peer->public_key, public_key, WGPLANES_KEY_LEN))
			return wgp_peer_get(peer);
	}
	return NULL;
}

struct wgp_peer *wgp_peer_create(struct wgp_plane *plane,
				 const u8 public_key[WGPLANES_KEY_LEN],
				 struct netlink_ext_ack *extack)
{
	struct wgp_peer *peer;

	lockdep_assert_held(&plane->conf_lock);
	if (plane->has_identity &&
	    !memcmp(public_key, plane->public_key, WGPLANES_KEY_LEN)) {
		NL_SET_ERR_MSG(extack,
			       "peer public key equals the plane's own public key");
		return ERR_PTR(-EINVAL);
	}
	if (plane->num_peers >= WGP_MAX_PEERS) {
		NL_SET_ERR_MSG(extack, "too many peers on this plane");
		return ERR_PTR(-ENOSPC);
	}
	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer) {
		NL_SET_ERR_MSG(extack, "out of memory for a new peer");
		return ERR_PTR(-ENOMEM);
	}

	peer->plane = plane;
	/*
	 * The engine makes the peer's mac1 and cookie keys from its key, and
	 * picks its first CPU from its id.
	 */
	memcpy(peer->public_key, public_key, WGPLANES_KEY_LEN);
	peer->internal_id = atomic64_inc_return(&wgp_peer_ids);
	if (wgp_peer_engine_init(peer)) {
		kfree(peer);
		NL_SET_ERR_MSG(extack, "out of memory for a new peer");
		return ERR_PTR(-ENOMEM);
	}
	INIT_LIST_HEAD(&peer->allowedips_list);
	rwlock_init(&peer->endpoint_lock);
	kref_init(&peer->refcount);	/* the plane's reference */

	list_add_tail(&peer->plane_list, &plane->peer_list);
	hlist_add_head_rcu(&peer->pubkey_hash,
			   wgp_pubkey_bucket(plane->peer_hash, public_key));
	plane->num_peers++;
	plane->conf_seq++;
	return peer;
}

struct wgp_peer *wgp_peer_get(struct wgp_peer *peer)
{
	if (unlikely(!peer || !kref_get_unless_zero(&peer->refcount)))
		return NULL;
	return peer;
}

static void wgp_peer_free_rcu(struct rcu_head *rcu)
{
	/* wipes the preshared key with the rest of the peer */
	kfree_sensitive(container_of(rcu, struct wgp_peer, rcu));
}

static void wgp_peer_release(struct kref *kref)
{
	struct wgp_peer *peer = container_of(kref, struct wgp_peer, refcount);

	wgp_peer_engine_free(peer);
	call_rcu(&peer->rcu, wgp_peer_free_rcu);
}

void wgp_peer_put(struct wgp_peer *peer)
{
	if (peer)
		kref_put(&peer->refcount, wgp_peer_release);
}

/*
 * Takes the peer out of its plane: nothing finds it any more (public key,
 * allowed IPs, peer list) and wgp_peer_alive() is false for it. Its engine
 * still runs until wgp_peer_remove_dead(); the plane's reference moves with
 * it to @dead.
 */
void wgp_peer_unlink(struct wgp_peer *peer, struct list_head *dead)
{
	struct wgp_plane *plane = peer->plane;

	lockdep_assert_held(&plane->conf_lock);
	WRITE_ONCE(peer->is_dead, true);
	wgp_allowedips_remove_by_peer(&plane->allowedips, peer,
				      &plane->conf_lock);
	list_move_tail(&peer->plane_list, dead);
	hlist_del_init_rcu(&peer->pubkey_hash);
	plane->num_peers--;
	plane->conf_seq++;
}

/*
 * Stops the engine of every unlinked peer on @dead (timers, work, queues,
 * keys) after one grace period for all of them, and drops the plane's
 * references. conf_lock has been held since the peers were unlinked.
 */
void wgp_peer_remove_dead(struct list_head *dead)
{
	struct wgp_peer *peer, *tmp;

	if (list_empty(dead))
		return;
	wgp_peer_engine_stop_list(dead);
	list_for_each_entry_safe(peer, tmp, dead, plane_list) {
		list_del_init(&peer->plane_list);
		wgp_peer_put(peer);
		cond_resched();
	}
}

/* Unlinks every peer of the plane; the whole trie goes in one walk. */
void wgp_peer_unlink_all(struct wgp_plane *plane, struct list_head *dead)
{
	struct wgp_peer *peer, *tmp;

	lockdep_assert_held(&plane->conf_lock);
	if (list_empty(&plane->peer_list))
		return;
	/* every node belongs to a peer of this plane: all of them go */
	wgp_allowedips_free(&plane->allowedips, &plane->conf_lock);
	list_for_each_entry_safe(peer, tmp, &plane->peer_list, plane_list) {
		wgp_peer_unlink(peer, dead);
		cond_resched();
	}
}

void wgp_peer_remove_all(struct wgp_plane *plane)
{
	LIST_HEAD(dead);

	wgp_peer_unlink_all(plane, &dead);
	wgp_peer_remove_dead(&dead);
}

void wgp_peer_set_endpoint(struct wgp_peer *peer,
			   const union wgp_endpoint *ep)
{
	write_lock_bh(&peer->endpoint_lock);
	peer->endpoint = *ep;
	write_unlock_bh(&peer->endpoint_lock);
}

void wgp_peer_get_endpoint(struct wgp_peer *peer, union wgp_endpoint *ep)
{
	read_lock_bh(&peer->endpoint_lock);
	*ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);
}
