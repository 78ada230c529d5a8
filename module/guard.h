/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rate guard of a plane: two token buckets with the plane's rate and
 * burst, one per direction.
 *
 * Transmit shapes by back-pressure: a packet may take the transmit bucket
 * into debt; while it is in debt the plane's device queue is stopped, and a
 * timer wakes it when the debt is paid. The qdisc in front of the plane
 * holds what waits, so TCP on a guarded plane sees a slower link, not loss.
 *
 * Receive polices before decryption: a data message that finds too few
 * tokens in the receive bucket is dropped (and counted) in softirq, before
 * any crypto work is queued for it. Handshake messages are not charged;
 * they have the plane's handshake queue, cookies and rate limiter.
 *
 * Tokens are kept as nanoseconds of transmission time at the plane's rate,
 * as a token bucket filter does; a policy change refills both buckets.
 */
#ifndef _WGP_GUARD_H
#define _WGP_GUARD_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>

struct wgp_plane;
struct sk_buff;

struct wgp_bucket {
	spinlock_t lock;	/* tokens and stamp */
	s64 tokens;		/* ns of transmission time; < 0: in debt */
	u64 stamp;		/* ns, when tokens were last brought up to date */
};

struct wgp_guard {
	/* written under both bucket locks, read under either */
	u64 rate;		/* bits per second, 0 = unguarded */
	s64 depth;		/* ns: the burst at the rate */
	u64 ns_per_mbyte;	/* the cost of 1 MiB, in ns */
	struct wgp_bucket tx, rx;
	struct hrtimer wake;	/* restarts the stopped device queue */
	bool stopped;		/* under tx.lock */
};

void wgp_guard_init(struct wgp_guard *g);
/* ndo_stop: no timer runs after it. */
void wgp_guard_stop(struct wgp_plane *plane);
/* The plane's rate or burst changed (or the plane came up). */
void wgp_guard_update(struct wgp_plane *plane);
/* The burst in bytes that an automatic ("0") burst means at this rate. */
u32 wgp_guard_auto_burst(u64 rate);

/* ndo_start_xmit, after the packet was accepted: charges its length. */
void wgp_guard_tx(struct wgp_plane *plane, unsigned int len);
/* Softirq, before a data message is queued for decryption. */
bool wgp_guard_rx_allow(struct wgp_plane *plane, unsigned int len);

#endif /* _WGP_GUARD_H */
