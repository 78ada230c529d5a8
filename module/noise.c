// SPDX-License-Identifier: GPL-2.0
/*
 * Noise_IKpsk2 as WireGuard uses it, from the protocol description: the
 * initiation, the response, the transport keypairs and their slots, and the
 * index table that maps receiver indices to handshakes and keypairs.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/bitops.h>
#ifdef COMPAT_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#include <crypto/algapi.h>

#include "device.h"
#include "peer.h"
#include "noise.h"
#include "engine.h"

static const u8 wgp_construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const u8 wgp_identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static u8 wgp_initial_ck[WGP_HASH_LEN] __ro_after_init;
static u8 wgp_initial_hash[WGP_HASH_LEN] __ro_after_init;

static atomic_long_t wgp_keypairs_live = ATOMIC_LONG_INIT(0);

long wgp_keypairs_alive(void)
{
	return atomic_long_read(&wgp_keypairs_live);
}

#define WGP_BLAKE2S_BLOCK	64

void wgp_hmac_blake2s(u8 out[WGP_HASH_LEN], const u8 *in, size_t inlen,
		      const u8 *key, size_t keylen)
{
	u8 pad[WGP_BLAKE2S_BLOCK] __aligned(__alignof__(u32)) = { 0 };
	u8 inner[WGP_HASH_LEN];
	struct blake2s_state st;
	int i;

	if (keylen > WGP_BLAKE2S_BLOCK) {
		blake2s_init(&st, WGP_HASH_LEN);
		blake2s_update(&st, key, keylen);
		blake2s_final(&st, pad);
	} else {
		memcpy(pad, key, keylen);
	}

	for (i = 0; i < WGP_BLAKE2S_BLOCK; i++)
		pad[i] ^= 0x36;
	blake2s_init(&st, WGP_HASH_LEN);
	blake2s_update(&st, pad, WGP_BLAKE2S_BLOCK);
	blake2s_update(&st, in, inlen);
	blake2s_final(&st, inner);

	/* 0x36 ^ 0x5c turns the inner pad into the outer one */
	for (i = 0; i < WGP_BLAKE2S_BLOCK; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&st, WGP_HASH_LEN);
	blake2s_update(&st, pad, WGP_BLAKE2S_BLOCK);
	blake2s_update(&st, inner, WGP_HASH_LEN);
	blake2s_final(&st, out);

	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(inner, sizeof(inner));
}

/* HKDF: t0 = HMAC(ck, data); t1 = HMAC(t0, 1); ti = HMAC(t0, t(i-1) || i) */
void wgp_kdf(u8 *t1, u8 *t2, u8 *t3, const u8 *data, size_t data_len,
	     const u8 chaining_key[WGP_HASH_LEN])
{
	u8 prk[WGP_HASH_LEN], buf[WGP_HASH_LEN + 1];

	wgp_hmac_blake2s(prk, data, data_len, chaining_key, WGP_HASH_LEN);

	buf[0] = 1;
	wgp_hmac_blake2s(buf, buf, 1, prk, WGP_HASH_LEN);
	if (t1)
		memcpy(t1, buf, WGP_HASH_LEN);
	if (t2 || t3) {
		buf[WGP_HASH_LEN] = 2;
		wgp_hmac_blake2s(buf, buf, WGP_HASH_LEN + 1, prk, WGP_HASH_LEN);
		if (t2)
			memcpy(t2, buf, WGP_HASH_LEN);
	}
	if (t3) {
		buf[WGP_HASH_LEN] = 3;
		wgp_hmac_blake2s(buf, buf, WGP_HASH_LEN + 1, prk, WGP_HASH_LEN);
		memcpy(t3, buf, WGP_HASH_LEN);
	}
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(buf, sizeof(buf));
}

void wgp_tai64n(u8 out[WGP_TIMESTAMP_LEN])
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	/* coarse on purpose: do not reveal a precise clock */
	now.tv_nsec = round_down(now.tv_nsec, WGP_TIMESTAMP_GRANULARITY);
	put_unaligned_be64((1ULL << 62) + now.tv_sec, out);
	put_unaligned_be32(now.tv_nsec, out + 8);
}

static void wgp_mix_hash(u8 hash[WGP_HASH_LEN], const u8 *data, size_t len)
{
	struct blake2s_state st;

	blake2s_init(&st, WGP_HASH_LEN);
	blake2s_update(&st, hash, WGP_HASH_LEN);
	blake2s_update(&st, data, len);
	blake2s_final(&st, hash);
}

/* ck = KDF1(ck, data) or (ck, key) = KDF2(ck, data) when key is given */
static void wgp_mix_key(u8 ck[WGP_HASH_LEN], u8 *key, const u8 *data,
			size_t len)
{
	wgp_kdf(ck, key, NULL, data, len, ck);
}

/* As wgp_mix_key() for a DH result; false for an all-zero DH output. */
static bool wgp_mix_dh(u8 ck[WGP_HASH_LEN], u8 *key,
		       const u8 priv[WGP_KEY_LEN], const u8 pub[WGP_KEY_LEN])
{
	u8 dh[WGP_KEY_LEN];

	if (!curve25519(dh, priv, pub))
		return false;
	wgp_mix_key(ck, key, dh, WGP_KEY_LEN);
	memzero_explicit(dh, sizeof(dh));
	return true;
}

void __init wgp_noise_init(void)
{
	struct blake2s_state st;

	blake2s(wgp_initial_ck, wgp_construction, NULL, WGP_HASH_LEN,
		sizeof(wgp_construction) - 1, 0);
	blake2s_init(&st, WGP_HASH_LEN);
	blake2s_update(&st, wgp_initial_ck, WGP_HASH_LEN);
	blake2s_update(&st, wgp_identifier, sizeof(wgp_identifier) - 1);
	blake2s_final(&st, wgp_initial_hash);
}

/* Index table */

struct wgp_index_table *wgp_index_table_alloc(void)
{
	struct wgp_index_table *t = kvzalloc(sizeof(*t), GFP_KERNEL);

	if (t)
		spin_lock_init(&t->lock);
	return t;
}

void wgp_index_table_free(struct wgp_index_table *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(t->buckets); i++)
		WARN_ON(!hlist_empty(&t->buckets[i]));
	/* lookups may still walk it */
	synchronize_net();
	kvfree(t);
}

static struct hlist_head *wgp_index_bucket(struct wgp_index_table *t,
					   __le32 index)
{
	return &t->buckets[(__force u32)index & (ARRAY_SIZE(t->buckets) - 1)];
}

static struct wgp_index_table *wgp_peer_index(struct wgp_peer *peer)
{
	return peer->plane->eng.index;
}

static void wgp_index_unhash_locked(struct wgp_index_entry *e)
{
	if (e->hashed) {
		hlist_del_rcu(&e->node);
		e->hashed = false;
	}
}

static void wgp_index_remove(struct wgp_index_table *t,
			     struct wgp_index_entry *e)
{
	spin_lock_bh(&t->lock);
	wgp_index_unhash_locked(e);
	spin_unlock_bh(&t->lock);
}

/*
 * (Re)hashes a peer's entry under a fresh random index that no other entry
 * uses. Not for a peer that is stopping: its entry must stay out.
 */
static int wgp_index_insert(struct wgp_index_table *t,
			    struct wgp_index_entry *e, __le32 *out)
{
	struct wgp_index_entry *o;
	__le32 idx;

	rcu_read_lock_bh();
	if (!wgp_peer_alive(e->peer)) {
		rcu_read_unlock_bh();
		return -ESHUTDOWN;
	}
	spin_lock_bh(&t->lock);
	wgp_index_unhash_locked(e);
retry:
	idx = (__force __le32)get_random_u32();
	hlist_for_each_entry(o, wgp_index_bucket(t, idx), node) {
		if (o->index == idx)
			goto retry;
	}
	e->index = idx;
	e->hashed = true;
	hlist_add_head_rcu(&e->node, wgp_index_bucket(t, idx));
	spin_unlock_bh(&t->lock);
	rcu_read_unlock_bh();
	*out = idx;
	return 0;
}

/* new takes the place and the index of old, atomically for lookups */
static bool wgp_index_replace(struct wgp_index_table *t,
			      struct wgp_index_entry *old,
			      struct wgp_index_entry *new)
{
	bool ok;

	spin_lock_bh(&t->lock);
	ok = old->hashed;
	if (ok) {
		new->index = old->index;
		new->hashed = true;
		hlist_replace_rcu(&old->node, &new->node);
		old->hashed = false;
	}
	spin_unlock_bh(&t->lock);
	return ok;
}

static struct wgp_index_entry *wgp_index_find(struct wgp_index_table *t,
					      __le32 index, u8 type_mask)
{
	struct wgp_index_entry *e;

	hlist_for_each_entry_rcu(e, wgp_index_bucket(t, index), node) {
		if (e->index == index && (e->type & type_mask))
			return e;
	}
	return NULL;
}

struct wgp_peer *wgp_index_lookup_peer(struct wgp_index_table *t,
				       __le32 index, u8 type_mask)
{
	struct wgp_index_entry *e = wgp_index_find(t, index, type_mask);
	struct wgp_peer *peer;

	if (!e)
		return NULL;
	peer = wgp_peer_get(e->peer);
	if (peer && READ_ONCE(peer->is_dead)) {
		wgp_peer_put(peer);
		return NULL;
	}
	return peer;
}

bool wgp_index_known(struct wgp_index_table *t, __le32 index, u8 type_mask)
{
	bool known;

	rcu_read_lock_bh();
	known = wgp_index_find(t, index, type_mask);
	rcu_read_unlock_bh();
	return known;
}

struct wgp_keypair *wgp_index_lookup_keypair(struct wgp_index_table *t,
					     __le32 index)
{
	struct wgp_index_entry *e = wgp_index_find(t, index,
						   WGP_INDEX_KEYPAIR);

	if (!e)
		return NULL;
	return wgp_keypair_get(container_of(e, struct wgp_keypair, entry));
}

/* Keypairs */

struct wgp_keypair *wgp_keypair_get(struct wgp_keypair *kp)
{
	if (unlikely(!kp || !kref_get_unless_zero(&kp->refcount)))
		return NULL;
	return kp;
}

static void wgp_keypair_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct wgp_keypair, rcu));
	atomic_long_dec(&wgp_keypairs_live);
}

static void wgp_keypair_release(struct kref *kref)
{
	struct wgp_keypair *kp = container_of(kref, struct wgp_keypair,
					      refcount);
	struct wgp_peer *peer = kp->entry.peer;

	wgp_index_remove(wgp_peer_index(peer), &kp->entry);
	call_rcu(&kp->rcu, wgp_keypair_free_rcu);
	wgp_peer_put(peer);
}

void wgp_keypair_put(struct wgp_keypair *kp)
{
	if (kp)
		kref_put(&kp->refcount, wgp_keypair_release);
}

struct wgp_keypair *wgp_keypair_current_get(struct wgp_peer *peer)
{
	return wgp_keypair_get(rcu_dereference_bh(peer->eng.keypairs.current_kp));
}

void wgp_replay_init(struct wgp_replay *r)
{
	spin_lock_init(&r->lock);
	r->greatest = 0;
	bitmap_zero(r->bits, WGP_REPLAY_BITS);
}

/*
 * Sliding window over the last WGP_REPLAY_WINDOW counters. The bitmap is a
 * ring of words; moving the window forward clears the words it enters.
 * Returns true the first time a counter inside the window is seen.
 */
bool wgp_replay_check(struct wgp_replay *r, u64 counter)
{
	const unsigned long nwords = WGP_REPLAY_BITS / BITS_PER_LONG;
	unsigned long word = counter / BITS_PER_LONG, cur, n, i;
	bool ok;

	if (counter >= WGP_REJECT_AFTER_MESSAGES)
		return false;
	spin_lock_bh(&r->lock);
	if (counter > r->greatest) {
		cur = r->greatest / BITS_PER_LONG;
		n = min(word - cur, nwords);
		for (i = 1; i <= n; i++)
			r->bits[(cur + i) & (nwords - 1)] = 0;
		r->greatest = counter;
	} else if (r->greatest - counter > WGP_REPLAY_WINDOW) {
		spin_unlock_bh(&r->lock);
		return false;
	}
	ok = !__test_and_set_bit(counter & (BITS_PER_LONG - 1),
				 &r->bits[word & (nwords - 1)]);
	spin_unlock_bh(&r->lock);
	return ok;
}

/*
 * Before decryption: whether @counter is certain to fail the check above
 * (too old, or seen). Replayed messages cost no decryption this way.
 */
bool wgp_replay_seen(struct wgp_replay *r, u64 counter)
{
	const unsigned long nwords = WGP_REPLAY_BITS / BITS_PER_LONG;
	unsigned long word = counter / BITS_PER_LONG;
	bool seen = false;

	spin_lock_bh(&r->lock);
	if (counter <= r->greatest)
		seen = r->greatest - counter > WGP_REPLAY_WINDOW ||
		       test_bit(counter & (BITS_PER_LONG - 1),
				&r->bits[word & (nwords - 1)]);
	spin_unlock_bh(&r->lock);
	return seen;
}

static struct wgp_keypair *wgp_keypair_create(struct wgp_peer *peer)
{
	struct wgp_keypair *kp = kzalloc(sizeof(*kp), GFP_KERNEL);

	if (!kp)
		return NULL;
	kref_init(&kp->refcount);
	wgp_replay_init(&kp->replay);
	atomic64_set(&kp->send_counter, 0);
	kp->birth_ns = wgp_now_ns();
	kp->entry.type = WGP_INDEX_KEYPAIR;
	kp->entry.peer = wgp_peer_get(peer);
	atomic_long_inc(&wgp_keypairs_live);
	return kp;
}

/*
 * Slot rules. The initiator uses a new keypair at once: it becomes current.
 * An unconfirmed next keypair (we had answered the peer's handshake) still
 * decrypts what the peer sent with it, so it moves to previous. The
 * responder parks its keypair in next until the first data under it.
 */
static void wgp_keypairs_install(struct wgp_peer *peer, struct wgp_keypair *kp)
{
	struct wgp_keypairs *s = &peer->eng.keypairs;
	struct wgp_keypair *drop1 = NULL, *drop2 = NULL, *next;

	spin_lock_bh(&s->lock);
	if (kp->i_am_initiator) {
		next = rcu_dereference_protected(s->next,
						 lockdep_is_held(&s->lock));
		drop1 = rcu_dereference_protected(s->previous,
						  lockdep_is_held(&s->lock));
		if (next) {
			RCU_INIT_POINTER(s->next, NULL);
			rcu_assign_pointer(s->previous, next);
			drop2 = rcu_dereference_protected(s->current_kp,
							  lockdep_is_held(&s->lock));
		} else {
			rcu_assign_pointer(s->previous,
					   rcu_dereference_protected(s->current_kp,
								     lockdep_is_held(&s->lock)));
		}
		rcu_assign_pointer(s->current_kp, kp);
	} else {
		drop1 = rcu_dereference_protected(s->next,
						  lockdep_is_held(&s->lock));
		rcu_assign_pointer(s->next, kp);
	}
	spin_unlock_bh(&s->lock);
	wgp_keypair_put(drop1);
	wgp_keypair_put(drop2);
}

bool wgp_keypair_received_with(struct wgp_peer *peer, struct wgp_keypair *kp)
{
	struct wgp_keypairs *s = &peer->eng.keypairs;
	struct wgp_keypair *drop;

	if (likely(rcu_access_pointer(s->next) != kp))
		return false;
	spin_lock_bh(&s->lock);
	if (rcu_access_pointer(s->next) != kp) {
		spin_unlock_bh(&s->lock);
		return false;
	}
	drop = rcu_dereference_protected(s->previous,
					 lockdep_is_held(&s->lock));
	rcu_assign_pointer(s->previous,
			   rcu_dereference_protected(s->current_kp,
						     lockdep_is_held(&s->lock)));
	rcu_assign_pointer(s->current_kp, kp);
	RCU_INIT_POINTER(s->next, NULL);
	spin_unlock_bh(&s->lock);
	wgp_keypair_put(drop);
	return true;
}

void wgp_keypairs_clear(struct wgp_peer *peer)
{
	struct wgp_keypairs *s = &peer->eng.keypairs;
	struct wgp_keypair *a, *b, *c;

	spin_lock_bh(&s->lock);
	a = rcu_dereference_protected(s->previous, lockdep_is_held(&s->lock));
	b = rcu_dereference_protected(s->current_kp, lockdep_is_held(&s->lock));
	c = rcu_dereference_protected(s->next, lockdep_is_held(&s->lock));
	RCU_INIT_POINTER(s->previous, NULL);
	RCU_INIT_POINTER(s->current_kp, NULL);
	RCU_INIT_POINTER(s->next, NULL);
	spin_unlock_bh(&s->lock);
	wgp_keypair_put(a);
	wgp_keypair_put(b);
	wgp_keypair_put(c);
}

/* Handshake */

void wgp_handshake_init(struct wgp_peer *peer)
{
	struct wgp_handshake *hs = &peer->eng.handshake;

	mutex_init(&hs->lock);
	hs->entry.type = WGP_INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	hs->state = WGP_HS_ZEROED;
}

/* Under hs->lock: forget the handshake in progress, not the replay state. */
static void wgp_handshake_zero(struct wgp_handshake *hs)
{
	memzero_explicit(hs->ephemeral_private, WGP_KEY_LEN);
	memzero_explicit(hs->remote_ephemeral, WGP_KEY_LEN);
	memzero_explicit(hs->hash, WGP_HASH_LEN);
	memzero_explicit(hs->chaining_key, WGP_HASH_LEN);
	hs->remote_index = 0;
	hs->state = WGP_HS_ZEROED;
}

void wgp_handshake_clear(struct wgp_peer *peer)
{
	struct wgp_handshake *hs = &peer->eng.handshake;

	wgp_index_remove(wgp_peer_index(peer), &hs->entry);
	mutex_lock(&hs->lock);
	wgp_handshake_zero(hs);
	mutex_unlock(&hs->lock);
	/* a concurrent creator may have hashed it again meanwhile */
	wgp_index_remove(wgp_peer_index(peer), &hs->entry);
}

static void wgp_new_ephemeral(u8 priv[WGP_KEY_LEN], u8 pub[WGP_KEY_LEN])
{
	do {
		curve25519_generate_secret(priv);
	} while (!curve25519_generate_public(pub, priv));
}

/*
 * A consistent copy of the plane's keys: netlink may replace them while a
 * handshake is worked on. False if the plane has no private key. *seq
 * names the copy: wgp_identity_changed() tells whether it is still the
 * plane's.
 */
static bool wgp_identity_get(struct wgp_plane *plane, u8 priv[WGP_KEY_LEN],
			     u8 pub[WGP_KEY_LEN], unsigned int *seq)
{
	bool has;

	do {
		*seq = read_seqbegin(&plane->eng.identity_seq);
		has = plane->has_identity;
		memcpy(priv, plane->private_key, WGP_KEY_LEN);
		memcpy(pub, plane->public_key, WGP_KEY_LEN);
	} while (read_seqretry(&plane->eng.identity_seq, *seq));
	return has;
}

/*
 * Under hs->lock, before a handshake's result is kept: a key change clears
 * every handshake under hs->lock after it has moved identity_seq, so a
 * result worked out with the old keys is either cleared by it or refused
 * here, never kept into a session with the new ones.
 */
static bool wgp_identity_changed(struct wgp_plane *plane, unsigned int seq)
{
	return read_seqretry(&plane->eng.identity_seq, seq);
}

void wgp_noise_set_psk(struct wgp_peer *peer, const u8 psk[WGP_KEY_LEN])
{
	struct wgp_handshake *hs = &peer->eng.handshake;

	/* the handshake reads it under hs->lock: a whole key, old or new */
	mutex_lock(&hs->lock);
	memcpy(peer->preshared_key, psk, WGP_KEY_LEN);
	mutex_unlock(&hs->lock);
}

int wgp_noise_create_initiation(struct wgp_peer *peer,
				struct wgp_msg_initiation *msg)
{
	struct wgp_handshake *hs = &peer->eng.handshake;
	struct wgp_plane *plane = peer->plane;
	u8 key[WGP_KEY_LEN], ts[WGP_TIMESTAMP_LEN];
	u8 priv[WGP_KEY_LEN], pub[WGP_KEY_LEN];
	unsigned int seq;
	int ret = -EINVAL;

	mutex_lock(&hs->lock);
	if (!wgp_identity_get(plane, priv, pub, &seq))
		goto out;

	msg->header.type = cpu_to_le32(WGP_MSG_INITIATION);
	memcpy(hs->chaining_key, wgp_initial_ck, WGP_HASH_LEN);
	memcpy(hs->hash, wgp_initial_hash, WGP_HASH_LEN);
	wgp_mix_hash(hs->hash, peer->public_key, WGP_KEY_LEN);

	/* e */
	wgp_new_ephemeral(hs->ephemeral_private, msg->ephemeral);
	wgp_mix_key(hs->chaining_key, NULL, msg->ephemeral, WGP_KEY_LEN);
	wgp_mix_hash(hs->hash, msg->ephemeral, WGP_KEY_LEN);

	/* es, s */
	if (!wgp_mix_dh(hs->chaining_key, key, hs->ephemeral_private,
			peer->public_key))
		goto out;
	chacha20poly1305_encrypt(msg->encrypted_static, pub,
				 WGP_KEY_LEN, hs->hash, WGP_HASH_LEN, 0, key);
	wgp_mix_hash(hs->hash, msg->encrypted_static,
		     sizeof(msg->encrypted_static));

	/* ss, timestamp */
	if (!wgp_mix_dh(hs->chaining_key, key, priv, peer->public_key))
		goto out;
	wgp_tai64n(ts);
	chacha20poly1305_encrypt(msg->encrypted_timestamp, ts,
				 WGP_TIMESTAMP_LEN, hs->hash, WGP_HASH_LEN, 0,
				 key);
	wgp_mix_hash(hs->hash, msg->encrypted_timestamp,
		     sizeof(msg->encrypted_timestamp));

	ret = wgp_index_insert(wgp_peer_index(peer), &hs->entry,
			       &msg->sender_index);
	if (ret)
		goto out;
	hs->state = WGP_HS_CREATED_INITIATION;
out:
	if (ret)
		wgp_handshake_zero(hs);
	mutex_unlock(&hs->lock);
	memzero_explicit(key, sizeof(key));
	memzero_explicit(priv, sizeof(priv));
	return ret;
}

struct wgp_peer *wgp_noise_consume_initiation(struct wgp_plane *plane,
					      struct wgp_msg_initiation *msg)
{
	u8 ck[WGP_HASH_LEN], h[WGP_HASH_LEN], key[WGP_KEY_LEN];
	u8 s[WGP_KEY_LEN], ts[WGP_TIMESTAMP_LEN];
	u8 priv[WGP_KEY_LEN], pub[WGP_KEY_LEN];
	struct wgp_peer *peer = NULL;
	struct wgp_handshake *hs;
	bool replay, flood;
	unsigned int seq;
	u64 now;

	memcpy(ck, wgp_initial_ck, WGP_HASH_LEN);
	memcpy(h, wgp_initial_hash, WGP_HASH_LEN);
	memset(key, 0, sizeof(key));
	if (!wgp_identity_get(plane, priv, pub, &seq))
		goto out;
	wgp_mix_hash(h, pub, WGP_KEY_LEN);

	/* e */
	wgp_mix_key(ck, NULL, msg->ephemeral, WGP_KEY_LEN);
	wgp_mix_hash(h, msg->ephemeral, WGP_KEY_LEN);

	/* es, s */
	if (!wgp_mix_dh(ck, key, priv, msg->ephemeral))
		goto out;
	if (!chacha20poly1305_decrypt(s, msg->encrypted_static,
				      sizeof(msg->encrypted_static), h,
				      WGP_HASH_LEN, 0, key))
		goto out;
	wgp_mix_hash(h, msg->encrypted_static, sizeof(msg->encrypted_static));

	rcu_read_lock_bh();
	peer = wgp_peer_lookup_get_rcu(plane, s);
	rcu_read_unlock_bh();
	if (!peer)
		goto out;

	/* ss, timestamp */
	if (!wgp_mix_dh(ck, key, priv, s))
		goto err_peer;
	if (!chacha20poly1305_decrypt(ts, msg->encrypted_timestamp,
				      sizeof(msg->encrypted_timestamp), h,
				      WGP_HASH_LEN, 0, key))
		goto err_peer;
	wgp_mix_hash(h, msg->encrypted_timestamp,
		     sizeof(msg->encrypted_timestamp));

	hs = &peer->eng.handshake;
	mutex_lock(&hs->lock);
	now = wgp_now_ns();
	replay = memcmp(ts, hs->latest_timestamp, WGP_TIMESTAMP_LEN) <= 0;
	flood = now - hs->last_initiation_consumption_ns <
		NSEC_PER_SEC / WGP_INITIATIONS_PER_SECOND;
	if (replay || flood || wgp_identity_changed(plane, seq)) {
		mutex_unlock(&hs->lock);
		goto err_peer;
	}
	memcpy(hs->remote_ephemeral, msg->ephemeral, WGP_KEY_LEN);
	memcpy(hs->latest_timestamp, ts, WGP_TIMESTAMP_LEN);
	memcpy(hs->hash, h, WGP_HASH_LEN);
	memcpy(hs->chaining_key, ck, WGP_HASH_LEN);
	hs->remote_index = msg->sender_index;
	hs->last_initiation_consumption_ns = now;
	hs->state = WGP_HS_CONSUMED_INITIATION;
	mutex_unlock(&hs->lock);
	goto out;

err_peer:
	wgp_peer_put(peer);
	peer = NULL;
out:
	memzero_explicit(ck, sizeof(ck));
	memzero_explicit(h, sizeof(h));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(priv, sizeof(priv));
	return peer;
}

int wgp_noise_create_response(struct wgp_peer *peer,
			      struct wgp_msg_response *msg)
{
	struct wgp_handshake *hs = &peer->eng.handshake;
	u8 key[WGP_KEY_LEN], tau[WGP_HASH_LEN];
	int ret = -EINVAL;

	mutex_lock(&hs->lock);
	if (hs->state != WGP_HS_CONSUMED_INITIATION)
		goto out;

	msg->header.type = cpu_to_le32(WGP_MSG_RESPONSE);
	msg->receiver_index = hs->remote_index;

	/* e */
	wgp_new_ephemeral(hs->ephemeral_private, msg->ephemeral);
	wgp_mix_key(hs->chaining_key, NULL, msg->ephemeral, WGP_KEY_LEN);
	wgp_mix_hash(hs->hash, msg->ephemeral, WGP_KEY_LEN);

	/* ee, se */
	if (!wgp_mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
			hs->remote_ephemeral) ||
	    !wgp_mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
			peer->public_key))
		goto out;

	/* psk */
	wgp_kdf(hs->chaining_key, tau, key, peer->preshared_key, WGP_KEY_LEN,
		hs->chaining_key);
	wgp_mix_hash(hs->hash, tau, WGP_HASH_LEN);

	chacha20poly1305_encrypt(msg->encrypted_nothing, NULL, 0, hs->hash,
				 WGP_HASH_LEN, 0, key);
	wgp_mix_hash(hs->hash, msg->encrypted_nothing,
		     sizeof(msg->encrypted_nothing));

	ret = wgp_index_insert(wgp_peer_index(peer), &hs->entry,
			       &msg->sender_index);
	if (ret)
		goto out;
	hs->state = WGP_HS_CREATED_RESPONSE;
out:
	if (ret)
		wgp_handshake_zero(hs);
	mutex_unlock(&hs->lock);
	memzero_explicit(key, sizeof(key));
	memzero_explicit(tau, sizeof(tau));
	return ret;
}

struct wgp_peer *wgp_noise_consume_response(struct wgp_plane *plane,
					    struct wgp_msg_response *msg)
{
	u8 ck[WGP_HASH_LEN], h[WGP_HASH_LEN], key[WGP_KEY_LEN];
	u8 tau[WGP_HASH_LEN], priv[WGP_KEY_LEN], pub[WGP_KEY_LEN];
	struct wgp_handshake *hs;
	struct wgp_peer *peer;
	unsigned int seq;
	bool ok = false;

	if (!wgp_identity_get(plane, priv, pub, &seq))
		goto out_key;
	rcu_read_lock_bh();
	peer = wgp_index_lookup_peer(plane->eng.index, msg->receiver_index,
				     WGP_INDEX_HANDSHAKE);
	rcu_read_unlock_bh();
	if (!peer)
		goto out_key;

	hs = &peer->eng.handshake;
	mutex_lock(&hs->lock);
	if (hs->state != WGP_HS_CREATED_INITIATION ||
	    hs->entry.index != msg->receiver_index ||
	    wgp_identity_changed(plane, seq))
		goto out;
	memcpy(ck, hs->chaining_key, WGP_HASH_LEN);
	memcpy(h, hs->hash, WGP_HASH_LEN);

	/* e */
	wgp_mix_key(ck, NULL, msg->ephemeral, WGP_KEY_LEN);
	wgp_mix_hash(h, msg->ephemeral, WGP_KEY_LEN);

	/* ee, se */
	if (!wgp_mix_dh(ck, NULL, hs->ephemeral_private, msg->ephemeral) ||
	    !wgp_mix_dh(ck, NULL, priv, msg->ephemeral))
		goto out;

	/* psk */
	wgp_kdf(ck, tau, key, peer->preshared_key, WGP_KEY_LEN, ck);
	wgp_mix_hash(h, tau, WGP_HASH_LEN);

	if (!chacha20poly1305_decrypt(NULL, msg->encrypted_nothing,
				      sizeof(msg->encrypted_nothing), h,
				      WGP_HASH_LEN, 0, key))
		goto out;
	wgp_mix_hash(h, msg->encrypted_nothing,
		     sizeof(msg->encrypted_nothing));

	memcpy(hs->chaining_key, ck, WGP_HASH_LEN);
	memcpy(hs->hash, h, WGP_HASH_LEN);
	hs->remote_index = msg->sender_index;
	hs->state = WGP_HS_CONSUMED_RESPONSE;
	ok = true;
out:
	mutex_unlock(&hs->lock);
	memzero_explicit(ck, sizeof(ck));
	memzero_explicit(h, sizeof(h));
	memzero_explicit(key, sizeof(key));
	memzero_explicit(tau, sizeof(tau));
	memzero_explicit(priv, sizeof(priv));
	if (!ok) {
		wgp_peer_put(peer);
		peer = NULL;
	}
	return peer;

out_key:
	memzero_explicit(priv, sizeof(priv));
	return NULL;
}

int wgp_noise_begin_session(struct wgp_peer *peer)
{
	struct wgp_handshake *hs = &peer->eng.handshake;
	struct wgp_keypair *kp;
	int ret = -EINVAL;
	bool alive;

	mutex_lock(&hs->lock);
	if (hs->state != WGP_HS_CREATED_RESPONSE &&
	    hs->state != WGP_HS_CONSUMED_RESPONSE)
		goto out;
	kp = wgp_keypair_create(peer);
	ret = -ENOMEM;
	if (!kp)
		goto out;
	kp->i_am_initiator = hs->state == WGP_HS_CONSUMED_RESPONSE;
	kp->remote_index = hs->remote_index;
	if (kp->i_am_initiator)
		wgp_kdf(kp->send_key, kp->recv_key, NULL, NULL, 0,
			hs->chaining_key);
	else
		wgp_kdf(kp->recv_key, kp->send_key, NULL, NULL, 0,
			hs->chaining_key);

	/* the keypair answers to the index the handshake announced */
	if (!wgp_index_replace(wgp_peer_index(peer), &hs->entry, &kp->entry)) {
		wgp_handshake_zero(hs);
		mutex_unlock(&hs->lock);
		wgp_keypair_put(kp);
		return -EINVAL;
	}
	wgp_handshake_zero(hs);

	rcu_read_lock_bh();
	alive = wgp_peer_alive(peer);
	if (alive)
		wgp_keypairs_install(peer, kp);
	rcu_read_unlock_bh();
	if (!alive) {
		wgp_keypair_put(kp);
		ret = -ESHUTDOWN;
		goto out;
	}
	ret = 0;
out:
	mutex_unlock(&hs->lock);
	return ret;
}

void wgp_noise_age_peer(struct wgp_peer *peer, u64 ns)
{
	struct wgp_keypairs *s = &peer->eng.keypairs;
	struct wgp_handshake *hs = &peer->eng.handshake;
	struct wgp_keypair *kp;

	spin_lock_bh(&s->lock);
	kp = rcu_dereference_protected(s->previous, lockdep_is_held(&s->lock));
	if (kp)
		WRITE_ONCE(kp->birth_ns, kp->birth_ns - ns);
	kp = rcu_dereference_protected(s->current_kp,
				       lockdep_is_held(&s->lock));
	if (kp)
		WRITE_ONCE(kp->birth_ns, kp->birth_ns - ns);
	kp = rcu_dereference_protected(s->next, lockdep_is_held(&s->lock));
	if (kp)
		WRITE_ONCE(kp->birth_ns, kp->birth_ns - ns);
	spin_unlock_bh(&s->lock);

	mutex_lock(&hs->lock);
	hs->last_initiation_consumption_ns -= ns;
	mutex_unlock(&hs->lock);
}
