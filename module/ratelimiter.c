// SPDX-License-Identifier: GPL-2.0
/*
 * Token buckets per source address for handshake messages under load. Each
 * plane has its own table, so a flood on one plane does not throttle the
 * handshakes of another. Entries idle for a second are collected.
 */
#include <linux/slab.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/jiffies.h>

#include "ratelimiter.h"

#define WGP_RL_PER_SECOND	20
#define WGP_RL_BURST		5
#define WGP_RL_COST		(NSEC_PER_SEC / WGP_RL_PER_SECOND)
#define WGP_RL_MAX_TOKENS	(WGP_RL_COST * WGP_RL_BURST)
#define WGP_RL_MAX_ENTRIES	8192

struct wgp_rl_entry {
	struct hlist_node node;
	u64 last_ns;
	u64 tokens;
	u8 key[16];		/* IPv4 address, or the /64 of IPv6 */
	u8 family;
};

static void wgp_ratelimiter_gc(struct work_struct *work)
{
	struct wgp_ratelimiter *rl = container_of(to_delayed_work(work),
						  struct wgp_ratelimiter, gc);
	u64 now = ktime_get_coarse_boottime_ns();
	struct wgp_rl_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	spin_lock_bh(&rl->lock);
	for (i = 0; i < ARRAY_SIZE(rl->buckets); i++) {
		hlist_for_each_entry_safe(e, tmp, &rl->buckets[i], node) {
			if (now - e->last_ns > NSEC_PER_SEC) {
				hlist_del(&e->node);
				kfree(e);
				rl->entries--;
			}
		}
	}
	if (rl->entries)
		schedule_delayed_work(&rl->gc, HZ);
	spin_unlock_bh(&rl->lock);
}

void wgp_ratelimiter_init(struct wgp_ratelimiter *rl)
{
	unsigned int i;

	spin_lock_init(&rl->lock);
	get_random_bytes(&rl->key, sizeof(rl->key));
	rl->entries = 0;
	for (i = 0; i < ARRAY_SIZE(rl->buckets); i++)
		INIT_HLIST_HEAD(&rl->buckets[i]);
	INIT_DELAYED_WORK(&rl->gc, wgp_ratelimiter_gc);
}

void wgp_ratelimiter_uninit(struct wgp_ratelimiter *rl)
{
	struct wgp_rl_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	cancel_delayed_work_sync(&rl->gc);
	spin_lock_bh(&rl->lock);
	for (i = 0; i < ARRAY_SIZE(rl->buckets); i++) {
		hlist_for_each_entry_safe(e, tmp, &rl->buckets[i], node) {
			hlist_del(&e->node);
			kfree(e);
		}
	}
	rl->entries = 0;
	spin_unlock_bh(&rl->lock);
}

bool wgp_ratelimiter_allow(struct wgp_ratelimiter *rl, struct sk_buff *skb)
{
	u64 now = ktime_get_coarse_boottime_ns();
	struct wgp_rl_entry *e;
	struct hlist_head *b;
	u8 key[16] = { 0 };
	bool ok = true;
	u8 family;

	if (skb->protocol == htons(ETH_P_IP)) {
		family = 4;
		memcpy(key, &ip_hdr(skb)->saddr, sizeof(__be32));
	} else {
		family = 6;
		memcpy(key, &ipv6_hdr(skb)->saddr, 8);
	}
	b = &rl->buckets[siphash(key, sizeof(key), &rl->key) &
			 (ARRAY_SIZE(rl->buckets) - 1)];

	spin_lock_bh(&rl->lock);
	hlist_for_each_entry(e, b, node) {
		if (e->family == family && !memcmp(e->key, key, sizeof(key))) {
			e->tokens = min_t(u64, WGP_RL_MAX_TOKENS,
					  e->tokens + now - e->last_ns);
			e->last_ns = now;
			ok = e->tokens >= WGP_RL_COST;
			if (ok)
				e->tokens -= WGP_RL_COST;
			goto out;
		}
	}
	/* a full table refuses new sources rather than growing */
	if (rl->entries >= WGP_RL_MAX_ENTRIES) {
		ok = false;
		goto out;
	}
	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e) {
		ok = false;
		goto out;
	}
	memcpy(e->key, key, sizeof(key));
	e->family = family;
	e->last_ns = now;
	e->tokens = WGP_RL_MAX_TOKENS - WGP_RL_COST;
	hlist_add_head(&e->node, b);
	if (!rl->entries++)
		schedule_delayed_work(&rl->gc, HZ);
out:
	spin_unlock_bh(&rl->lock);
	return ok;
}
