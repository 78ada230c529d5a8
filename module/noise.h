/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Noise_IKpsk2 handshake of WireGuard, the keypairs it yields and the
 * per-plane table of receiver indices.
 *
 * Locking: a peer's handshake state is under handshake.lock (a mutex: all
 * handshake work runs in process context). The keypair slots of a peer are
 * RCU pointers written under keypairs.lock; the datapath reads them under
 * rcu_read_lock_bh() and keeps a keypair with wgp_keypair_get(). A keypair
 * holds a reference on its peer; it leaves the index table when its last
 * reference goes.
 */
#ifndef _WGP_NOISE_H
#define _WGP_NOISE_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/rcupdate.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/timekeeping.h>

#include "messages.h"

struct wgp_peer;
struct wgp_plane;

enum wgp_index_type {
	WGP_INDEX_HANDSHAKE = 1U << 0,
	WGP_INDEX_KEYPAIR = 1U << 1,
};

struct wgp_index_entry {
	struct hlist_node node;
	struct wgp_peer *peer;
	__le32 index;
	u8 type;
	bool hashed;			/* under the table lock */
};

#define WGP_INDEX_HASH_BITS	13

struct wgp_index_table {
	spinlock_t lock;		/* writers; lookups use RCU */
	struct hlist_head buckets[1 << WGP_INDEX_HASH_BITS];
};

struct wgp_replay {
	spinlock_t lock;		/* greatest and bits */
	u64 greatest;
	unsigned long bits[WGP_REPLAY_BITS / BITS_PER_LONG];
};

struct wgp_keypair {
	struct wgp_index_entry entry;	/* the local (receiver) index */
	u8 send_key[WGP_KEY_LEN];
	u8 recv_key[WGP_KEY_LEN];
	atomic64_t send_counter;
	struct wgp_replay replay;
	/* ktime_get_coarse_boottime_ns(); aged by the debugfs hook */
	u64 birth_ns;
	__le32 remote_index;
	bool i_am_initiator;
	struct kref refcount;
	struct rcu_head rcu;
};

struct wgp_keypairs {
	spinlock_t lock;		/* writers of the slots */
	struct wgp_keypair __rcu *previous;
	struct wgp_keypair __rcu *current_kp;
	struct wgp_keypair __rcu *next;
};

enum wgp_handshake_state {
	WGP_HS_ZEROED,
	WGP_HS_CREATED_INITIATION,
	WGP_HS_CONSUMED_INITIATION,
	WGP_HS_CREATED_RESPONSE,
	WGP_HS_CONSUMED_RESPONSE,
};

struct wgp_handshake {
	struct wgp_index_entry entry;	/* our sender index */
	struct mutex lock;
	enum wgp_handshake_state state;
	u8 ephemeral_private[WGP_KEY_LEN];
	u8 remote_ephemeral[WGP_KEY_LEN];
	u8 hash[WGP_HASH_LEN];
	u8 chaining_key[WGP_HASH_LEN];
	u8 latest_timestamp[WGP_TIMESTAMP_LEN];
	__le32 remote_index;
	u64 last_initiation_consumption_ns;
};

/* HMAC-BLAKE2s and the HKDF built on it; exposed for the self-tests. */
void wgp_hmac_blake2s(u8 out[WGP_HASH_LEN], const u8 *in, size_t inlen,
		      const u8 *key, size_t keylen);
void wgp_kdf(u8 *t1, u8 *t2, u8 *t3, const u8 *data, size_t data_len,
	     const u8 chaining_key[WGP_HASH_LEN]);
void wgp_tai64n(u8 out[WGP_TIMESTAMP_LEN]);

/* Index table */
struct wgp_index_table *wgp_index_table_alloc(void);
void wgp_index_table_free(struct wgp_index_table *t);
/* Under rcu_read_lock_bh(): the peer behind an index, with a reference. */
struct wgp_peer *wgp_index_lookup_peer(struct wgp_index_table *t,
				       __le32 index, u8 type_mask);
/* Whether an index of one of these types is in use now. */
bool wgp_index_known(struct wgp_index_table *t, __le32 index, u8 type_mask);
/* Under rcu_read_lock_bh(): the keypair of an index, with a reference. */
struct wgp_keypair *wgp_index_lookup_keypair(struct wgp_index_table *t,
					     __le32 index);

/* Keypairs */
struct wgp_keypair *wgp_keypair_get(struct wgp_keypair *kp);
void wgp_keypair_put(struct wgp_keypair *kp);
/* Under rcu_read_lock_bh(): current keypair with a reference, or NULL. */
struct wgp_keypair *wgp_keypair_current_get(struct wgp_peer *peer);
/* Called when data authenticated with kp; true if kp was just confirmed. */
bool wgp_keypair_received_with(struct wgp_peer *peer, struct wgp_keypair *kp);
void wgp_keypairs_clear(struct wgp_peer *peer);
bool wgp_replay_check(struct wgp_replay *r, u64 counter);
bool wgp_replay_seen(struct wgp_replay *r, u64 counter);
void wgp_replay_init(struct wgp_replay *r);
long wgp_keypairs_alive(void);

/* Handshake */
void wgp_handshake_init(struct wgp_peer *peer);
void wgp_handshake_clear(struct wgp_peer *peer);
int wgp_noise_create_initiation(struct wgp_peer *peer,
				struct wgp_msg_initiation *msg);
struct wgp_peer *wgp_noise_consume_initiation(struct wgp_plane *plane,
					      struct wgp_msg_initiation *msg);
int wgp_noise_create_response(struct wgp_peer *peer,
			      struct wgp_msg_response *msg);
struct wgp_peer *wgp_noise_consume_response(struct wgp_plane *plane,
					    struct wgp_msg_response *msg);
/* Derives the transport keys of a finished handshake into the slots. */
int wgp_noise_begin_session(struct wgp_peer *peer);
void wgp_noise_set_psk(struct wgp_peer *peer, const u8 psk[WGP_KEY_LEN]);
void wgp_noise_init(void);
/* Ages the keypair and handshake timestamps of a peer (debugfs). */
void wgp_noise_age_peer(struct wgp_peer *peer, u64 ns);

static inline u64 wgp_now_ns(void)
{
	return ktime_get_coarse_boottime_ns();
}

/* Whether more than secs seconds passed since t (wgp_now_ns() base). */
static inline bool wgp_older_than(u64 t, u64 secs)
{
	return wgp_now_ns() - t >= secs * NSEC_PER_SEC;
}

#endif /* _WGP_NOISE_H */
