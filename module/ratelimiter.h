/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-plane, per-source rate limiter of handshake messages under load:
 * a token bucket per source address (IPv6 by /64), 20 per second, burst 5.
 */
#ifndef _WGP_RATELIMITER_H
#define _WGP_RATELIMITER_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/siphash.h>

struct sk_buff;

#define WGP_RATELIMIT_HASH_BITS	10

struct wgp_ratelimiter {
	spinlock_t lock;		/* entries, buckets */
	siphash_key_t key;
	unsigned int entries;
	struct hlist_head buckets[1 << WGP_RATELIMIT_HASH_BITS];
	struct delayed_work gc;
};

void wgp_ratelimiter_init(struct wgp_ratelimiter *rl);
void wgp_ratelimiter_uninit(struct wgp_ratelimiter *rl);
/* true: the message from skb's source may be processed. */
bool wgp_ratelimiter_allow(struct wgp_ratelimiter *rl, struct sk_buff *skb);

#endif /* _WGP_RATELIMITER_H */
