// SPDX-License-Identifier: GPL-2.0
/*
 * The per-plane rate guard (see guard.h for the model).
 */
#include <linux/netdevice.h>
#include <linux/math64.h>
#include <linux/ktime.h>
#include <linux/overflow.h>

#include "device.h"
#include "peer.h"
#include "guard.h"
#include "queueing.h"

/*
 * Tokens are bit-nanoseconds: a nanosecond at the rate earns rate of them
 * and a byte costs 8e9, so every step is an integer and exact. The deepest
 * bucket (64 MiB) holds under 2^59, and a packet is far below
 * WGP_LEN_MAX, which keeps any charge or debt well within s64.
 */
#define WGP_BYTE_COST	(8 * NSEC_PER_SEC)
#define WGP_LEN_MAX	BIT(24)

/*
 * An automatic burst: 10 ms at the rate for transmit, which shapes and can
 * be smooth; 50 ms for receive, which polices packets that a busy or
 * virtualised sender delivers in clumps. Never under 64 KiB.
 */
u32 wgp_guard_auto_burst(u64 rate, bool rx)
{
	u64 burst = div_u64(rate, rx ? 8 * 20 : 8 * 100);

	return clamp_t(u64, burst, 64 * 1024, WGPLANES_BURST_MAX);
}

/* A peer's shaping queue: 50 ms at the rate, and 16 full-size messages. */
#define WGP_RX_SHAPE_MS		50
#define WGP_RX_SHAPE_MIN	(16 * 1500)

static u32 wgp_rx_shape_bytes(u64 rate)
{
	return clamp_t(u64, div_u64(rate, 8 * 1000 / WGP_RX_SHAPE_MS),
		       WGP_RX_SHAPE_MIN, WGPLANES_BURST_MAX);
}

static s64 wgp_guard_cost(unsigned int len)
{
	return (s64)min_t(u32, len, WGP_LEN_MAX) * WGP_BYTE_COST;
}

/* Under b->lock. */
static void wgp_bucket_refill(const struct wgp_guard *g, struct wgp_bucket *b,
			      u64 now)
{
	u64 room, earned;

	/* a clock that reads behind the stamp earns nothing */
	if ((s64)(now - b->stamp) <= 0)
		return;
	room = b->depth - b->tokens;
	/* a long idle overflows the product: the bucket is full anyway */
	if (check_mul_overflow(now - b->stamp, g->rate, &earned) ||
	    earned >= room)
		b->tokens = b->depth;
	else
		b->tokens += earned;
	b->stamp = now;
}

/*
 * Under tx.lock, the debt paid or the guard changed: the waiting peers'
 * transmit work runs again (unless the plane goes down). The device queue
 * is the transmit work's to restart, once it has room.
 */
static void wgp_guard_release(struct wgp_plane *plane, bool up)
{
	struct wgp_guard *g = &plane->guard;
	struct wgp_peer *peer, *tmp;

	list_for_each_entry_safe(peer, tmp, &g->waiting, eng.guard_wait) {
		list_del_init(&peer->eng.guard_wait);
		if (up)
			wgp_peer_queue_work(peer, &peer->eng.tx_work);
		wgp_peer_put(peer);
	}
}

/* Under tx.lock: restarts the device queue if the guard stopped it. */
static void wgp_guard_unstop(struct wgp_plane *plane, bool up)
{
	struct wgp_guard *g = &plane->guard;

	if (g->stopped) {
		WRITE_ONCE(g->stopped, false);
		if (up)
			netif_wake_queue(plane->dev);
	}
}

/*
 * Under the bucket's lock: the timer goes off in @ns. It is started again
 * rather than forwarded, and never left alone because it looks active: a
 * callback that has not yet taken the lock may be about to find nothing to
 * do, and only a timer that is queued is sure to run.
 */
static void wgp_guard_arm(struct hrtimer *t, u64 ns, bool again)
{
	if (again || !hrtimer_is_queued(t))
		hrtimer_start(t, ns_to_ktime(ns), HRTIMER_MODE_REL_SOFT);
}

static enum hrtimer_restart wgp_guard_rx_wake(struct hrtimer *timer);
static void wgp_rx_release_waiting(struct wgp_guard *g, u64 now);

static enum hrtimer_restart wgp_guard_wake(struct hrtimer *timer)
{
	struct wgp_guard *g = container_of(timer, struct wgp_guard, wake);
	struct wgp_plane *plane = container_of(g, struct wgp_plane, guard);

	spin_lock(&g->tx.lock);
	wgp_bucket_refill(g, &g->tx, ktime_get_ns());
	if (g->rate && g->tx.tokens < 0)
		wgp_guard_arm(&g->wake, wgp_guard_debt_ns(g, &g->tx), true);
	else
		wgp_guard_release(plane, true);
	spin_unlock(&g->tx.lock);
	return HRTIMER_NORESTART;
}

void wgp_guard_init(struct wgp_guard *g)
{
	memset(g, 0, sizeof(*g));
	spin_lock_init(&g->tx.lock);
	spin_lock_init(&g->rx.lock);
	INIT_LIST_HEAD(&g->waiting);
	hrtimer_init(&g->wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	g->wake.function = wgp_guard_wake;
	INIT_LIST_HEAD(&g->rx_waiting);
	hrtimer_init(&g->rx_wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	g->rx_wake.function = wgp_guard_rx_wake;
}

void wgp_guard_stop(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;

	hrtimer_cancel(&g->wake);
	spin_lock_bh(&g->tx.lock);
	wgp_guard_release(plane, false);
	wgp_guard_unstop(plane, false);
	spin_unlock_bh(&g->tx.lock);
	/* the peers were stopped first: none has a message waiting */
	hrtimer_cancel(&g->rx_wake);
	WARN_ON_ONCE(!list_empty(&g->rx_waiting));
}

void wgp_guard_set(struct wgp_guard *g, u64 rate, u32 burst, u64 now)
{
	s64 depth_tx = 0, depth_rx = 0;

	if (rate) {
		depth_tx = (s64)(burst ?: wgp_guard_auto_burst(rate, false)) *
			   WGP_BYTE_COST;
		depth_rx = (s64)(burst ?: wgp_guard_auto_burst(rate, true)) *
			   WGP_BYTE_COST;
	}
	WRITE_ONCE(g->rate, rate);
	g->tx.depth = depth_tx;
	g->tx.tokens = depth_tx;
	g->tx.stamp = now;
	g->rx.depth = depth_rx;
	g->rx.tokens = depth_rx;
	g->rx.stamp = now;
	g->rx_shape_bytes = rate ? wgp_rx_shape_bytes(rate) : 0;
}

void wgp_guard_update(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;
	u64 rate = READ_ONCE(plane->policy.rate);
	u32 burst = READ_ONCE(plane->policy.burst);

	u64 now = ktime_get_ns();

	spin_lock_bh(&g->tx.lock);
	spin_lock(&g->rx.lock);
	wgp_guard_set(g, rate, burst, now);
	wgp_guard_release(plane, true);
	/* with the new rate, a peer still full stops it again */
	wgp_guard_unstop(plane, true);
	/* what waits to be received goes as the new rate allows, or all */
	wgp_rx_release_waiting(g, now);
	if (!list_empty(&g->rx_waiting))
		wgp_guard_arm(&g->rx_wake, wgp_guard_debt_ns(g, &g->rx), true);
	spin_unlock(&g->rx.lock);
	spin_unlock_bh(&g->tx.lock);
	/* a timer still set finds nothing to do */
}

bool wgp_guard_charge(struct wgp_guard *g, struct wgp_bucket *b,
		      unsigned int len, u64 now)
{
	wgp_bucket_refill(g, b, now);
	if (b->tokens < 0)
		return false;
	b->tokens -= wgp_guard_cost(len);
	return true;
}

void wgp_guard_refund(struct wgp_guard *g, struct wgp_bucket *b,
		      unsigned int len, u64 now)
{
	wgp_bucket_refill(g, b, now);
	b->tokens = min(b->tokens + wgp_guard_cost(len), b->depth);
}

u64 wgp_guard_debt_ns(const struct wgp_guard *g, const struct wgp_bucket *b)
{
	u64 debt, ns;

	if (b->tokens >= 0 || !g->rate)
		return 0;
	/* rounded up: the timer must not fire a nanosecond early */
	debt = -b->tokens;
	ns = div64_u64(debt, g->rate);
	return ns * g->rate < debt ? ns + 1 : ns;
}

bool wgp_guard_tx_take(struct wgp_peer *peer, unsigned int len)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_guard *g = &plane->guard;
	bool allow = true, held = false;

	if (!READ_ONCE(g->rate))
		return true;
	spin_lock_bh(&g->tx.lock);
	if (likely(g->rate)) {
		allow = wgp_guard_charge(g, &g->tx, len,
					 ktime_get_ns());
		if (!allow) {
			if (list_empty(&peer->eng.guard_wait)) {
				list_add_tail(&peer->eng.guard_wait,
					      &g->waiting);
				wgp_peer_get(peer);
				held = true;
			}
			wgp_guard_arm(&g->wake,
				      wgp_guard_debt_ns(g, &g->tx), false);
		}
	}
	spin_unlock_bh(&g->tx.lock);
	if (held)
		wgp_count(plane, WGPLANES_CNT_TX_THROTTLED);
	return allow;
}

void wgp_guard_tx_hold(struct wgp_peer *peer, u32 limit)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_guard *g = &plane->guard;

	spin_lock_bh(&g->tx.lock);
	if (!g->stopped) {
		WRITE_ONCE(g->stopped, true);
		netif_stop_queue(plane->dev);
	}
	spin_unlock_bh(&g->tx.lock);
	/*
	 * The transmit work may have made room meanwhile and not seen the
	 * stop: one of us sees the other (pairs with wgp_guard_tx_room()).
	 */
	smp_mb();
	if (skb_queue_len_lockless(&peer->eng.staged) < limit / 2)
		wgp_guard_tx_room(plane);
}

void wgp_guard_tx_room(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;

	/* the room made before is seen by a stop after; see tx_hold */
	smp_mb();
	if (!READ_ONCE(g->stopped))
		return;
	spin_lock_bh(&g->tx.lock);
	wgp_guard_unstop(plane, true);
	spin_unlock_bh(&g->tx.lock);
}

bool wgp_guard_tx_holding(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;

	return READ_ONCE(g->stopped) || !list_empty_careful(&g->waiting);
}

/* Receive shaping */

/* The longest a message waits: twice a full queue's time at the rate. */
static u64 wgp_rx_shape_ns(const struct wgp_guard *g)
{
	return div64_u64((u64)g->rx_shape_bytes * 2 * WGP_BYTE_COST, g->rate);
}

/* Under rx.lock: the peer's messages have all gone. */
static void wgp_rx_unwait(struct wgp_peer *peer)
{
	list_del_init(&peer->eng.rx_wait);
	wgp_peer_put(peer);
}

/*
 * Under rx.lock: releases waiting messages round robin, one per peer in
 * turn, while the bucket is out of debt (or all of them, uncharged, when
 * the plane is no longer guarded); a message that waited too long goes.
 */
static void wgp_rx_release_waiting(struct wgp_guard *g, u64 now)
{
	u64 too_old = g->rate ? wgp_rx_shape_ns(g) : U64_MAX;
	struct wgp_peer *peer;
	struct sk_buff *skb;

	while (!list_empty(&g->rx_waiting) && (!g->rate || g->rx.tokens >= 0)) {
		peer = list_first_entry(&g->rx_waiting, struct wgp_peer,
					eng.rx_wait);
		skb = __skb_dequeue(&peer->eng.rx_shaped);
		if (skb) {
			peer->eng.rx_shaped_bytes -= skb->len;
			if (now - WGP_RX_CB(skb)->stamp > too_old) {
				wgp_rx_drop_queued(peer, skb,
						   WGPLANES_CNT_DROP_RX_RATE);
			} else {
				if (g->rate)
					g->rx.tokens -= wgp_guard_cost(skb->len);
				wgp_rx_release(peer, skb);
			}
		}
		if (skb_queue_empty(&peer->eng.rx_shaped))
			wgp_rx_unwait(peer);
		else
			list_move_tail(&peer->eng.rx_wait, &g->rx_waiting);
	}
}

static enum hrtimer_restart wgp_guard_rx_wake(struct hrtimer *timer)
{
	struct wgp_guard *g = container_of(timer, struct wgp_guard, rx_wake);
	u64 now = ktime_get_ns();

	spin_lock(&g->rx.lock);
	if (g->rate)
		wgp_bucket_refill(g, &g->rx, now);
	wgp_rx_release_waiting(g, now);
	if (!list_empty(&g->rx_waiting))
		wgp_guard_arm(timer, wgp_guard_debt_ns(g, &g->rx), true);
	spin_unlock(&g->rx.lock);
	return HRTIMER_NORESTART;
}

/* Under rx.lock: a peer's junk budget, as deep as the plane's bucket. */
static void wgp_junk_load(const struct wgp_guard *g,
			  const struct wgp_peer_engine *eng,
			  struct wgp_bucket *b)
{
	b->depth = g->rx.depth;
	b->tokens = min(eng->junk_tokens, b->depth);
	b->stamp = eng->junk_stamp;
}

enum wgp_rx_verdict wgp_guard_rx_admit(struct wgp_peer *peer,
				       struct sk_buff *skb)
{
	struct wgp_guard *g = &peer->plane->guard;
	struct wgp_peer_engine *eng = &peer->eng;
	enum wgp_rx_verdict v = WGP_RX_GO;
	struct wgp_bucket junk;
	u64 now;

	if (!READ_ONCE(g->rate))
		return WGP_RX_GO;
	spin_lock_bh(&g->rx.lock);
	if (unlikely(!g->rate))
		goto out;
	now = ktime_get_ns();
	wgp_junk_load(g, eng, &junk);
	wgp_bucket_refill(g, &junk, now);
	if (junk.tokens < 0) {
		v = WGP_RX_JUNK;
		goto out;
	}
	/* nobody waits: straight to decryption while there are tokens */
	if (list_empty(&g->rx_waiting) &&
	    wgp_guard_charge(g, &g->rx, skb->len, now))
		goto out;
	if (eng->rx_shaped_bytes + skb->len > g->rx_shape_bytes) {
		v = WGP_RX_POLICED;
		goto out;
	}
	WGP_RX_CB(skb)->stamp = now;
	__skb_queue_tail(&eng->rx_shaped, skb);
	eng->rx_shaped_bytes += skb->len;
	if (list_empty(&eng->rx_wait)) {
		list_add_tail(&eng->rx_wait, &g->rx_waiting);
		wgp_peer_get(peer);
	}
	wgp_guard_arm(&g->rx_wake, wgp_guard_debt_ns(g, &g->rx), false);
	v = WGP_RX_SHAPED;
out:
	spin_unlock_bh(&g->rx.lock);
	return v;
}

void wgp_guard_rx_junk(struct wgp_peer *peer, unsigned int len)
{
	struct wgp_guard *g = &peer->plane->guard;
	struct wgp_peer_engine *eng = &peer->eng;
	struct wgp_bucket b;
	u64 now;

	if (!READ_ONCE(g->rate))
		return;
	spin_lock_bh(&g->rx.lock);
	if (likely(g->rate)) {
		now = ktime_get_ns();
		wgp_guard_refund(g, &g->rx, len, now);
		wgp_junk_load(g, eng, &b);
		wgp_bucket_refill(g, &b, now);
		/* as deep in debt as a burst: it recovers within one */
		b.tokens = max(b.tokens - wgp_guard_cost(len), -b.depth);
		eng->junk_tokens = b.tokens;
		eng->junk_stamp = b.stamp;
	}
	spin_unlock_bh(&g->rx.lock);
}

void wgp_guard_rx_purge(struct wgp_peer *peer)
{
	struct wgp_guard *g = &peer->plane->guard;
	struct wgp_peer_engine *eng = &peer->eng;
	struct sk_buff *skb;

	spin_lock_bh(&g->rx.lock);
	while ((skb = __skb_dequeue(&eng->rx_shaped)))
		wgp_rx_drop_queued(peer, skb, WGPLANES_CNT_DROP_NO_KEYPAIR);
	eng->rx_shaped_bytes = 0;
	if (!list_empty(&eng->rx_wait))
		wgp_rx_unwait(peer);
	spin_unlock_bh(&g->rx.lock);
}
