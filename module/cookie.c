// SPDX-License-Identifier: GPL-2.0
/*
 * mac1/mac2 of handshake messages and the cookie mechanism that makes an
 * initiator prove ownership of its source address while a plane is under
 * load.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <crypto/algapi.h>

#include "device.h"
#include "peer.h"
#include "cookie.h"

static const u8 wgp_label_mac1[] = "mac1----";
static const u8 wgp_label_cookie[] = "cookie--";

/* HASH(label || public key) */
static void wgp_label_key(u8 out[WGP_HASH_LEN], const u8 label[8],
			  const u8 pub[WGP_KEY_LEN])
{
	struct blake2s_state st;

	blake2s_init(&st, WGP_HASH_LEN);
	blake2s_update(&st, label, 8);
	blake2s_update(&st, pub, WGP_KEY_LEN);
	blake2s_final(&st, out);
}

/* The keys of mac1 and of cookie replies for (or from) public key pub. */
static void wgp_label_keys(u8 mac1_key[WGP_HASH_LEN],
			   u8 cookie_key[WGP_HASH_LEN],
			   const u8 pub[WGP_KEY_LEN])
{
	wgp_label_key(mac1_key, wgp_label_mac1, pub);
	wgp_label_key(cookie_key, wgp_label_cookie, pub);
}

void wgp_cookie_checker_init(struct wgp_cookie_checker *checker)
{
	static const u8 none[WGP_KEY_LEN];

	spin_lock_init(&checker->lock);
	get_random_bytes(checker->secret, sizeof(checker->secret));
	checker->secret_birth_ns = wgp_now_ns();
	wgp_cookie_checker_set_key(checker, none);
}

void wgp_cookie_checker_set_key(struct wgp_cookie_checker *checker,
				const u8 pub[WGP_KEY_LEN])
{
	wgp_label_keys(checker->mac1_key, checker->cookie_key, pub);
}

void wgp_cookie_init(struct wgp_cookie *cookie, const u8 pub[WGP_KEY_LEN])
{
	spin_lock_init(&cookie->lock);
	wgp_label_keys(cookie->mac1_key, cookie->cookie_key, pub);
}

/* One of the plane's keys, as its identity stands (the handshake work). */
static void wgp_checker_key(struct wgp_plane *plane, u8 out[WGP_HASH_LEN],
			    const u8 *key)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&plane->eng.identity_seq);
		memcpy(out, key, WGP_HASH_LEN);
	} while (read_seqretry(&plane->eng.identity_seq, seq));
}

/* tau = MAC(secret, source address || source port) */
static void wgp_make_cookie(struct wgp_plane *plane, u8 out[WGP_COOKIE_LEN],
			    struct sk_buff *skb)
{
	struct wgp_cookie_checker *c = &plane->eng.cookie;
	u8 in[sizeof(struct in6_addr) + sizeof(__be16)];
	size_t len;

	if (skb->protocol == htons(ETH_P_IP)) {
		memcpy(in, &ip_hdr(skb)->saddr, sizeof(__be32));
		len = sizeof(__be32);
	} else {
		memcpy(in, &ipv6_hdr(skb)->saddr, sizeof(struct in6_addr));
		len = sizeof(struct in6_addr);
	}
	memcpy(in + len, &udp_hdr(skb)->source, sizeof(__be16));
	len += sizeof(__be16);

	spin_lock_bh(&c->lock);
	if (wgp_older_than(c->secret_birth_ns, WGP_COOKIE_SECRET_MAX_AGE)) {
		get_random_bytes(c->secret, sizeof(c->secret));
		c->secret_birth_ns = wgp_now_ns();
	}
	blake2s(out, in, c->secret, WGP_COOKIE_LEN, len, sizeof(c->secret));
	spin_unlock_bh(&c->lock);
}

/* mac2 = MAC(cookie of the message's source, the message up to mac2) */
static bool wgp_mac2_valid(struct wgp_plane *plane, struct sk_buff *skb,
			   void *msg, struct wgp_msg_macs *macs)
{
	u8 mac[WGP_MAC_LEN], cookie[WGP_COOKIE_LEN];

	wgp_make_cookie(plane, cookie, skb);
	blake2s(mac, msg, cookie, WGP_MAC_LEN, (void *)macs->mac2 - msg,
		WGP_COOKIE_LEN);
	memzero_explicit(cookie, sizeof(cookie));
	return !crypto_memneq(mac, macs->mac2, WGP_MAC_LEN);
}

bool wgp_cookie_mac2_valid(struct wgp_plane *plane, struct sk_buff *skb,
			   void *msg, size_t len)
{
	return wgp_mac2_valid(plane, skb, msg,
			      msg + len - sizeof(struct wgp_msg_macs));
}

enum wgp_cookie_mac_state wgp_cookie_validate(struct wgp_plane *plane,
					      struct sk_buff *skb, void *msg,
					      size_t len, bool check_mac2)
{
	struct wgp_msg_macs *macs = msg + len - sizeof(*macs);
	u8 key[WGP_HASH_LEN], mac[WGP_MAC_LEN];

	wgp_checker_key(plane, key, plane->eng.cookie.mac1_key);
	blake2s(mac, msg, key, WGP_MAC_LEN, (void *)macs->mac1 - msg,
		WGP_HASH_LEN);
	if (crypto_memneq(mac, macs->mac1, WGP_MAC_LEN))
		return WGP_MAC_INVALID;
	if (!check_mac2 || !wgp_mac2_valid(plane, skb, msg, macs))
		return WGP_MAC1_VALID;
	return WGP_MAC2_VALID;
}

void wgp_cookie_add_macs(struct wgp_peer *peer, void *msg, size_t len)
{
	struct wgp_msg_macs *macs = msg + len - sizeof(*macs);
	struct wgp_cookie *c = &peer->eng.cookie;

	blake2s(macs->mac1, msg, c->mac1_key, WGP_MAC_LEN,
		(void *)macs->mac1 - msg, WGP_HASH_LEN);

	spin_lock_bh(&c->lock);
	memcpy(c->last_mac1_sent, macs->mac1, WGP_MAC_LEN);
	c->have_sent_mac1 = true;
	if (c->valid && !wgp_older_than(c->birth_ns, WGP_COOKIE_SECRET_MAX_AGE -
					WGP_COOKIE_SECRET_LATENCY))
		blake2s(macs->mac2, msg, c->cookie, WGP_MAC_LEN,
			(void *)macs->mac2 - msg, WGP_COOKIE_LEN);
	else
		memset(macs->mac2, 0, WGP_MAC_LEN);
	spin_unlock_bh(&c->lock);
}

void wgp_cookie_reply_create(struct wgp_plane *plane,
			     struct wgp_msg_cookie *out, struct sk_buff *skb,
			     void *msg, size_t len, __le32 index)
{
	struct wgp_msg_macs *macs = msg + len - sizeof(*macs);
	u8 key[WGP_HASH_LEN], cookie[WGP_COOKIE_LEN];

	out->header.type = cpu_to_le32(WGP_MSG_COOKIE);
	out->receiver_index = index;
	get_random_bytes(out->nonce, sizeof(out->nonce));
	wgp_make_cookie(plane, cookie, skb);
	wgp_checker_key(plane, key, plane->eng.cookie.cookie_key);
	xchacha20poly1305_encrypt(out->encrypted_cookie, cookie,
				  WGP_COOKIE_LEN, macs->mac1, WGP_MAC_LEN,
				  out->nonce, key);
	memzero_explicit(cookie, sizeof(cookie));
}

int wgp_cookie_reply_consume(struct wgp_plane *plane,
			     struct wgp_msg_cookie *msg)
{
	u8 cookie[WGP_COOKIE_LEN];
	struct wgp_peer *peer;
	struct wgp_cookie *c;
	int ret = -EINVAL;

	rcu_read_lock_bh();
	peer = wgp_index_lookup_peer(plane->eng.index, msg->receiver_index,
				     WGP_INDEX_HANDSHAKE | WGP_INDEX_KEYPAIR);
	rcu_read_unlock_bh();
	if (!peer)
		return -ENOENT;
	c = &peer->eng.cookie;
	spin_lock_bh(&c->lock);
	if (c->have_sent_mac1 &&
	    xchacha20poly1305_decrypt(cookie, msg->encrypted_cookie,
				      sizeof(msg->encrypted_cookie),
				      c->last_mac1_sent, WGP_MAC_LEN,
				      msg->nonce, c->cookie_key)) {
		memcpy(c->cookie, cookie, WGP_COOKIE_LEN);
		c->birth_ns = wgp_now_ns();
		c->valid = true;
		c->have_sent_mac1 = false;
		ret = 0;
	}
	spin_unlock_bh(&c->lock);
	memzero_explicit(cookie, sizeof(cookie));
	wgp_peer_put(peer);
	return ret;
}

void wgp_cookie_age(struct wgp_cookie *cookie, u64 ns)
{
	spin_lock_bh(&cookie->lock);
	cookie->birth_ns -= ns;
	spin_unlock_bh(&cookie->lock);
}
