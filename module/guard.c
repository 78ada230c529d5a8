// SPDX-License-Identifier: GPL-2.0
/*
 * The per-plane rate guard (see guard.h for the model).
 */
#include <linux/netdevice.h>
#include <linux/math64.h>
#include <linux/ktime.h>

#include "device.h"
#include "peer.h"
#include "guard.h"

/* Costs are kept per MiB, so that very high rates keep their precision. */
#define WGP_COST_SHIFT	20

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

static s64 wgp_guard_cost(const struct wgp_guard *g, unsigned int len)
{
	return (s64)(((u64)len * g->ns_per_mbyte) >> WGP_COST_SHIFT);
}

static s64 wgp_guard_depth(u64 per_mbyte, u32 burst)
{
	return (s64)(((u64)burst * per_mbyte) >> WGP_COST_SHIFT);
}

/* Under b->lock. */
static void wgp_bucket_refill(const struct wgp_guard *g, struct wgp_bucket *b,
			      u64 now)
{
	u64 elapsed = now - b->stamp;

	b->stamp = now;
	if (elapsed >= (u64)(b->depth - b->tokens))
		b->tokens = b->depth;
	else
		b->tokens += elapsed;
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

static enum hrtimer_restart wgp_guard_wake(struct hrtimer *timer)
{
	struct wgp_guard *g = container_of(timer, struct wgp_guard, wake);
	struct wgp_plane *plane = container_of(g, struct wgp_plane, guard);
	enum hrtimer_restart ret = HRTIMER_NORESTART;

	spin_lock(&g->tx.lock);
	wgp_bucket_refill(g, &g->tx, ktime_get_ns());
	if (g->rate && g->tx.tokens < 0) {
		hrtimer_forward_now(timer, ns_to_ktime(-g->tx.tokens));
		ret = HRTIMER_RESTART;
	} else {
		wgp_guard_release(plane, true);
	}
	spin_unlock(&g->tx.lock);
	return ret;
}

void wgp_guard_init(struct wgp_guard *g)
{
	memset(g, 0, sizeof(*g));
	spin_lock_init(&g->tx.lock);
	spin_lock_init(&g->rx.lock);
	INIT_LIST_HEAD(&g->waiting);
	hrtimer_init(&g->wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	g->wake.function = wgp_guard_wake;
}

void wgp_guard_stop(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;

	hrtimer_cancel(&g->wake);
	spin_lock_bh(&g->tx.lock);
	wgp_guard_release(plane, false);
	wgp_guard_unstop(plane, false);
	spin_unlock_bh(&g->tx.lock);
}

void wgp_guard_update(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;
	u64 rate = READ_ONCE(plane->policy.rate);
	u32 burst = READ_ONCE(plane->policy.burst);
	u64 now = ktime_get_ns();
	s64 depth_tx = 0, depth_rx = 0;
	u64 per_mbyte = 0;

	if (rate) {
		per_mbyte = div64_u64((u64)8 * NSEC_PER_SEC << WGP_COST_SHIFT,
				      rate);
		depth_tx = wgp_guard_depth(per_mbyte, burst ?:
					   wgp_guard_auto_burst(rate, false));
		depth_rx = wgp_guard_depth(per_mbyte, burst ?:
					   wgp_guard_auto_burst(rate, true));
	}

	spin_lock_bh(&g->tx.lock);
	spin_lock(&g->rx.lock);
	WRITE_ONCE(g->rate, rate);
	g->ns_per_mbyte = per_mbyte;
	g->tx.depth = depth_tx;
	g->tx.tokens = depth_tx;
	g->tx.stamp = now;
	g->rx.depth = depth_rx;
	g->rx.tokens = depth_rx;
	g->rx.stamp = now;
	wgp_guard_release(plane, true);
	/* with the new rate, a peer still full stops it again */
	wgp_guard_unstop(plane, true);
	spin_unlock(&g->rx.lock);
	spin_unlock_bh(&g->tx.lock);
	/* a timer still set finds nothing to do */
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
		wgp_bucket_refill(g, &g->tx, ktime_get_ns());
		if (g->tx.tokens >= 0) {
			g->tx.tokens -= wgp_guard_cost(g, len);
		} else {
			allow = false;
			if (list_empty(&peer->eng.guard_wait)) {
				list_add_tail(&peer->eng.guard_wait,
					      &g->waiting);
				wgp_peer_get(peer);
				held = true;
			}
			if (!hrtimer_active(&g->wake))
				hrtimer_start(&g->wake,
					      ns_to_ktime(-g->tx.tokens),
					      HRTIMER_MODE_REL_SOFT);
		}
	}
	spin_unlock_bh(&g->tx.lock);
	if (held)
		wgp_count(plane, WGPLANES_CNT_TX_THROTTLED);
	return allow;
}

bool wgp_guard_tx_hold(struct wgp_peer *peer, u32 limit)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_guard *g = &plane->guard;

	if (!READ_ONCE(g->rate))
		return false;
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
	return true;
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

/* Softirq: nothing is charged yet, the budgets only must not be in debt. */
bool wgp_guard_rx_allow(struct wgp_peer *peer)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_guard *g = &plane->guard;
	u64 now, junk_elapsed;
	bool allow = true;

	if (!READ_ONCE(g->rate))
		return true;
	now = ktime_get_ns();
	/* a stale read only lets one more message through or holds it */
	junk_elapsed = now - READ_ONCE(peer->eng.junk_stamp);
	if (READ_ONCE(peer->eng.junk_tokens) < 0 &&
	    junk_elapsed < (u64)-READ_ONCE(peer->eng.junk_tokens))
		return false;
	spin_lock_bh(&g->rx.lock);
	if (likely(g->rate)) {
		wgp_bucket_refill(g, &g->rx, now);
		allow = g->rx.tokens > 0;
	}
	spin_unlock_bh(&g->rx.lock);
	return allow;
}

/*
 * Charges happen after decryption, while more messages were let through:
 * the debt is capped at one burst, so a plane that was flooded recovers
 * within the time of a burst.
 */
static void wgp_bucket_charge(struct wgp_bucket *b, s64 cost)
{
	b->tokens = max(b->tokens - cost, -b->depth);
}

void wgp_guard_rx_charge(struct wgp_plane *plane, unsigned int len)
{
	struct wgp_guard *g = &plane->guard;

	if (!READ_ONCE(g->rate))
		return;
	spin_lock_bh(&g->rx.lock);
	if (likely(g->rate)) {
		wgp_bucket_refill(g, &g->rx, ktime_get_ns());
		wgp_bucket_charge(&g->rx, wgp_guard_cost(g, len));
	}
	spin_unlock_bh(&g->rx.lock);
}

/* rx_lock held: a message of this peer failed authentication. */
void wgp_guard_rx_junk(struct wgp_peer *peer, unsigned int len)
{
	struct wgp_guard *g = &peer->plane->guard;
	struct wgp_peer_engine *eng = &peer->eng;
	struct wgp_bucket b;

	lockdep_assert_held(&eng->rx_lock);
	spin_lock_bh(&g->rx.lock);
	if (!g->rate) {
		spin_unlock_bh(&g->rx.lock);
		return;
	}
	/* the peer's own bucket, as deep as the plane's */
	b.depth = g->rx.depth;
	b.tokens = min(eng->junk_tokens, b.depth);
	b.stamp = eng->junk_stamp;
	wgp_bucket_refill(g, &b, ktime_get_ns());
	wgp_bucket_charge(&b, wgp_guard_cost(g, len));
	spin_unlock_bh(&g->rx.lock);
	WRITE_ONCE(eng->junk_tokens, b.tokens);
	WRITE_ONCE(eng->junk_stamp, b.stamp);
}
