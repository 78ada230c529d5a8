/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mac1, mac2 and cookie replies. Each plane has its own cookie secret,
 * renewed every COOKIE_SECRET_MAX_AGE; each peer keeps the last cookie it
 * was given and the mac1 of the last handshake message sent to it.
 */
#ifndef _WGP_COOKIE_H
#define _WGP_COOKIE_H

#include <linux/types.h>
#include <linux/spinlock.h>

#include "messages.h"

struct sk_buff;
struct wgp_peer;
struct wgp_plane;

struct wgp_cookie_checker {
	spinlock_t lock;		/* secret and its birth */
	u8 secret[WGP_HASH_LEN];
	u64 secret_birth_ns;
	/*
	 * Keys of the plane's mac1 and cookie replies, made from its public
	 * key when that is set (under the engine's identity_seq), not for
	 * every message of a flood.
	 */
	u8 mac1_key[WGP_HASH_LEN];
	u8 cookie_key[WGP_HASH_LEN];
};

struct wgp_cookie {
	spinlock_t lock;		/* all of the below but the keys */
	u8 cookie[WGP_COOKIE_LEN];
	u64 birth_ns;
	bool valid;
	u8 last_mac1_sent[WGP_MAC_LEN];
	bool have_sent_mac1;
	/* the peer's mac1 and cookie keys: its public key does not change */
	u8 mac1_key[WGP_HASH_LEN];
	u8 cookie_key[WGP_HASH_LEN];
};

enum wgp_cookie_mac_state {
	WGP_MAC_INVALID,
	WGP_MAC1_VALID,		/* and mac2 missing or wrong */
	WGP_MAC2_VALID,		/* mac1 and mac2 */
};

void wgp_cookie_checker_init(struct wgp_cookie_checker *checker);
/* The plane's public key changed (zero: none), under identity_seq. */
void wgp_cookie_checker_set_key(struct wgp_cookie_checker *checker,
				const u8 pub[WGP_KEY_LEN]);
void wgp_cookie_init(struct wgp_cookie *cookie, const u8 pub[WGP_KEY_LEN]);

/*
 * Checks the macs of a linear handshake message of len bytes in skb; mac2
 * only when check_mac2.
 */
enum wgp_cookie_mac_state wgp_cookie_validate(struct wgp_plane *plane,
					      struct sk_buff *skb, void *msg,
					      size_t len, bool check_mac2);
/* mac2 alone: whether the source holds a cookie (mac1 is not checked). */
bool wgp_cookie_mac2_valid(struct wgp_plane *plane, struct sk_buff *skb,
			   void *msg, size_t len);
/* Fills mac1 and mac2 of a handshake message about to go to peer. */
void wgp_cookie_add_macs(struct wgp_peer *peer, void *msg, size_t len);
/* A cookie reply to the handshake message msg that arrived in skb. */
void wgp_cookie_reply_create(struct wgp_plane *plane,
			     struct wgp_msg_cookie *out, struct sk_buff *skb,
			     void *msg, size_t len, __le32 index);
int wgp_cookie_reply_consume(struct wgp_plane *plane,
			     struct wgp_msg_cookie *msg);
void wgp_cookie_age(struct wgp_cookie *cookie, u64 ns);

#endif /* _WGP_COOKIE_H */
