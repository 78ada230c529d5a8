// SPDX-License-Identifier: GPL-2.0
/*
 * The per-plane rate guard (see guard.h for the model).
 */
#include <linux/netdevice.h>
#include <linux/math64.h>
#include <linux/ktime.h>

#include "device.h"
#include "guard.h"

/* Costs are kept per MiB, so that very high rates keep their precision. */
#define WGP_COST_SHIFT	20

/* An automatic burst: 10 ms at the rate, but never under 64 KiB. */
u32 wgp_guard_auto_burst(u64 rate)
{
	u64 burst = div_u64(rate, 8 * 100);

	return clamp_t(u64, burst, 64 * 1024, WGPLANES_BURST_MAX);
}

static s64 wgp_guard_cost(const struct wgp_guard *g, unsigned int len)
{
	return (s64)(((u64)len * g->ns_per_mbyte) >> WGP_COST_SHIFT);
}

/* Under b->lock. */
static void wgp_bucket_refill(const struct wgp_guard *g, struct wgp_bucket *b,
			      u64 now)
{
	u64 elapsed = now - b->stamp;

	b->stamp = now;
	if (elapsed >= (u64)(g->depth - b->tokens))
		b->tokens = g->depth;
	else
		b->tokens += elapsed;
}

static enum hrtimer_restart wgp_guard_wake(struct hrtimer *timer)
{
	struct wgp_guard *g = container_of(timer, struct wgp_guard, wake);
	struct wgp_plane *plane = container_of(g, struct wgp_plane, guard);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	bool wake = false;

	spin_lock(&g->tx.lock);
	if (g->stopped) {
		wgp_bucket_refill(g, &g->tx, ktime_get_ns());
		if (g->rate && g->tx.tokens < 0) {
			hrtimer_forward_now(timer, ns_to_ktime(-g->tx.tokens));
			ret = HRTIMER_RESTART;
		} else {
			g->stopped = false;
			wake = true;
		}
	}
	spin_unlock(&g->tx.lock);
	if (wake)
		netif_wake_queue(plane->dev);
	return ret;
}

void wgp_guard_init(struct wgp_guard *g)
{
	memset(g, 0, sizeof(*g));
	spin_lock_init(&g->tx.lock);
	spin_lock_init(&g->rx.lock);
	hrtimer_init(&g->wake, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	g->wake.function = wgp_guard_wake;
}

void wgp_guard_stop(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;

	hrtimer_cancel(&g->wake);
	spin_lock_bh(&g->tx.lock);
	g->stopped = false;
	spin_unlock_bh(&g->tx.lock);
}

void wgp_guard_update(struct wgp_plane *plane)
{
	struct wgp_guard *g = &plane->guard;
	u64 rate = READ_ONCE(plane->policy.rate);
	u32 burst = READ_ONCE(plane->policy.burst);
	u64 now = ktime_get_ns();
	u64 per_mbyte = 0;
	s64 depth = 0;
	bool wake;

	if (rate) {
		per_mbyte = div64_u64((u64)8 * NSEC_PER_SEC << WGP_COST_SHIFT,
				      rate);
		if (!burst)
			burst = wgp_guard_auto_burst(rate);
		depth = (s64)(((u64)burst * per_mbyte) >> WGP_COST_SHIFT);
	}

	spin_lock_bh(&g->tx.lock);
	spin_lock(&g->rx.lock);
	WRITE_ONCE(g->rate, rate);
	g->ns_per_mbyte = per_mbyte;
	g->depth = depth;
	g->tx.tokens = depth;
	g->tx.stamp = now;
	g->rx.tokens = depth;
	g->rx.stamp = now;
	wake = g->stopped;
	g->stopped = false;
	spin_unlock(&g->rx.lock);
	spin_unlock_bh(&g->tx.lock);

	if (wake) {
		hrtimer_cancel(&g->wake);
		netif_wake_queue(plane->dev);
	}
}

void wgp_guard_tx(struct wgp_plane *plane, unsigned int len)
{
	struct wgp_guard *g = &plane->guard;
	bool stop = false;

	if (!READ_ONCE(g->rate))
		return;
	spin_lock_bh(&g->tx.lock);
	if (likely(g->rate)) {
		wgp_bucket_refill(g, &g->tx, ktime_get_ns());
		g->tx.tokens -= wgp_guard_cost(g, len);
		if (g->tx.tokens < 0 && !g->stopped) {
			g->stopped = true;
			stop = true;
			netif_stop_queue(plane->dev);
			hrtimer_start(&g->wake, ns_to_ktime(-g->tx.tokens),
				      HRTIMER_MODE_REL_SOFT);
		}
	}
	spin_unlock_bh(&g->tx.lock);
	if (stop)
		wgp_count(plane, WGPLANES_CNT_TX_THROTTLED);
}

bool wgp_guard_rx_allow(struct wgp_plane *plane, unsigned int len)
{
	struct wgp_guard *g = &plane->guard;
	bool allow = true;
	s64 cost;

	if (!READ_ONCE(g->rate))
		return true;
	spin_lock_bh(&g->rx.lock);
	if (likely(g->rate)) {
		wgp_bucket_refill(g, &g->rx, ktime_get_ns());
		cost = wgp_guard_cost(g, len);
		if (g->rx.tokens >= cost)
			g->rx.tokens -= cost;
		else
			allow = false;
	}
	spin_unlock_bh(&g->rx.lock);
	return allow;
}
