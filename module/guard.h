/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rate guard of a plane: two token buckets with the plane's rate and
 * burst, one per direction.
 *
 * Transmit shapes by back-pressure. A peer's transmit work charges each
 * staged packet before it puts it in flight; a packet may take the bucket
 * into debt, and while it is in debt the peers that have packets to send
 * wait on the guard's list, their packets staged, until a timer finds the
 * debt paid and requeues their transmit work. A staged packet still counts
 * against its socket's send buffer, so TCP (its small-queues limit) slows
 * to the rate without a packet lost, whatever the qdisc. Only a sender that
 * fills a peer's staging (UDP, say) gets the device queue stopped, until
 * the transmit work has drained half of it; meanwhile the qdisc holds the
 * rest, and drops by its own rules.
 *
 * Receive polices before decryption: a data message that finds too few
 * tokens in the receive bucket is dropped (and counted) in softirq, before
 * any crypto work is queued for it. Handshake messages are not charged;
 * they have the plane's handshake queue, cookies and rate limiter.
 *
 * Tokens are bit-nanoseconds (a nanosecond earns the rate, a byte costs
 * 8e9), so the arithmetic is exact over every rate and burst that netlink
 * accepts; a policy change refills both buckets.
 */
#ifndef _WGP_GUARD_H
#define _WGP_GUARD_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>

struct wgp_plane;
struct wgp_peer;
struct sk_buff;

struct wgp_bucket {
	spinlock_t lock;	/* tokens and stamp */
	s64 depth;		/* the burst, in tokens; both locks */
	s64 tokens;		/* bit-ns; < 0: in debt */
	u64 stamp;		/* ns, when tokens were last brought up to date */
};

struct wgp_guard {
	/* written under both bucket locks, read under either */
	u64 rate;		/* bits per second, 0 = unguarded */
	struct wgp_bucket tx, rx;
	struct hrtimer wake;	/* when the debt is paid */
	/* peers waiting for tokens, each with a reference; under tx.lock */
	struct list_head waiting;
	bool stopped;		/* the device queue; under tx.lock */
};

void wgp_guard_init(struct wgp_guard *g);
/* ndo_stop: no timer runs after it. */
void wgp_guard_stop(struct wgp_plane *plane);
/* The plane's rate or burst changed (or the plane came up). */
void wgp_guard_update(struct wgp_plane *plane);
/* The burst in bytes that an automatic ("0") burst means at this rate. */
u32 wgp_guard_auto_burst(u64 rate, bool rx);

/*
 * The peer's transmit work, before a packet goes in flight: whether it may,
 * charging its length. If not, the peer waits on the guard, and its
 * transmit work is queued again when the debt is paid.
 */
bool wgp_guard_tx_take(struct wgp_peer *peer, unsigned int len);
/*
 * ndo_start_xmit, with the peer's staging at its bound @limit: whether the
 * guard holds the plane's transmit; then it stopped the device queue,
 * which the transmit work restarts once the staging is half empty.
 */
bool wgp_guard_tx_hold(struct wgp_peer *peer, u32 limit);
/* A peer's staging has room again (or was purged): restarts the queue. */
void wgp_guard_tx_room(struct wgp_plane *plane);
/* Whether the guard holds anything back: packets or the device queue. */
bool wgp_guard_tx_holding(struct wgp_plane *plane);
/*
 * Receive: the plane's budget pays only for authentic data. Before a data
 * message of a live session is queued for decryption (softirq), it goes
 * only if the plane's budget is not in debt and its peer's junk budget is
 * not either; after decryption, an authentic message is charged to the
 * plane, one that is not to its peer's junk budget (rx_lock held). Junk
 * with unknown indices or replayed counters never reaches the guard.
 */
bool wgp_guard_rx_allow(struct wgp_peer *peer);
void wgp_guard_rx_charge(struct wgp_plane *plane, unsigned int len);
void wgp_guard_rx_junk(struct wgp_peer *peer, unsigned int len);

/*
 * The arithmetic alone, on the caller's clock @now (the self-test drives
 * it): set both buckets full for @rate and @burst (0: automatic); charge a
 * packet of @len to a bucket, as tx_take and rx_allow do; the time the
 * transmit debt takes to pay. Under the bucket locks, or on a private guard.
 */
void wgp_guard_set(struct wgp_guard *g, u64 rate, u32 burst, u64 now);
bool wgp_guard_tx_charge(struct wgp_guard *g, unsigned int len, u64 now);
u64 wgp_guard_tx_debt_ns(const struct wgp_guard *g);
/*
 * Receive: whether the plane's bucket and the junk bucket (if any) are out
 * of debt; and a charge to bucket @b, which may go into debt by a burst.
 */
bool wgp_guard_rx_open(struct wgp_guard *g, struct wgp_bucket *junk, u64 now);
void wgp_guard_rx_pay(struct wgp_guard *g, struct wgp_bucket *b,
		      unsigned int len, u64 now);

#endif /* _WGP_GUARD_H */
