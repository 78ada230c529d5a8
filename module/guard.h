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
 * rest, and drops by its own rules. (Any plane does that, guarded or not:
 * see wgp_guard_tx_hold().)
 *
 * Receive shapes before decryption. A data message of a live session is
 * charged to the receive bucket when it arrives (softirq); while the bucket
 * is in debt, or other messages wait, it waits instead in its peer's
 * shaping queue, and a timer releases the waiting peers' messages round
 * robin, one at a time, as the rate pays for them. TCP coming in then sees
 * delay, which its ACK clock paces, rather than loss. A peer's queue holds
 * at most 50 ms at the rate (and never less than 16 full-size messages);
 * a message that finds it full, or that waited twice that long, is
 * dropped (policed). Waiting messages count against the plane's
 * decryption queue, so what a plane holds stays bounded in bytes.
 *
 * Only authentic traffic pays: a message that does not decrypt gets its
 * charge back, and costs its peer's junk budget instead (a bucket at the
 * plane's rate and depth). A peer whose junk budget is in debt has its
 * messages dropped before decryption, which bounds the crypto spent on
 * junk. Unknown indices and replayed counters never reach the guard.
 * Handshake messages are not charged; they have the plane's handshake
 * queue, cookies and rate limiter.
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
	struct hrtimer wake;	/* when the transmit debt is paid */
	/* peers waiting for tokens, each with a reference; under tx.lock */
	struct list_head waiting;
	bool stopped;		/* the device queue; under tx.lock */
	/*
	 * Receive shaping, under rx.lock: the peers with messages in their
	 * shaping queue, each with a reference, in release order; the timer
	 * that releases them; the bytes a peer's queue may hold.
	 */
	struct list_head rx_waiting;
	struct hrtimer rx_wake;
	u32 rx_shape_bytes;
};

/* What the guard does with a received data message. */
enum wgp_rx_verdict {
	WGP_RX_GO,		/* charged: to decryption now */
	WGP_RX_SHAPED,		/* the guard queued it; released later */
	WGP_RX_POLICED,		/* over its peer's shaping queue */
	WGP_RX_JUNK,		/* its peer's junk budget is in debt */
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
 * ndo_start_xmit, with the staging of a peer that has a session at its
 * bound @limit, guarded plane or not: stops the device queue, which the
 * transmit work restarts once the staging is half empty. The qdisc holds
 * what comes meanwhile, and the sockets that sent it feel it as a full
 * send buffer, as behind a busy NIC, rather than losing packets.
 */
void wgp_guard_tx_hold(struct wgp_peer *peer, u32 limit);
/* A peer's staging has room again (or was purged): restarts the queue. */
void wgp_guard_tx_room(struct wgp_plane *plane);
/* Whether the guard holds anything back: packets or the device queue. */
bool wgp_guard_tx_holding(struct wgp_plane *plane);
/*
 * Receive, softirq: the verdict on a data message of a live session (its
 * peer alive, in an RCU-bh read-side section), compact and charged to the
 * plane's decryption queue. A shaped message is the guard's: the timer
 * hands it to wgp_rx_release() or drops it.
 */
enum wgp_rx_verdict wgp_guard_rx_admit(struct wgp_peer *peer,
				       struct sk_buff *skb);
/* After decryption, a message that is not authentic: its charge back. */
void wgp_guard_rx_junk(struct wgp_peer *peer, unsigned int len);
/* Stopping a peer: the messages it has waiting go (conf_lock held). */
void wgp_guard_rx_purge(struct wgp_peer *peer);

/*
 * The arithmetic alone, on the caller's clock @now (the self-test drives
 * it): set both buckets full for @rate and @burst (0: automatic); charge a
 * packet of @len to bucket @b if it is not in debt; give a charge back;
 * the time a debt takes to pay. Under the bucket locks, or on a private
 * guard.
 */
void wgp_guard_set(struct wgp_guard *g, u64 rate, u32 burst, u64 now);
bool wgp_guard_charge(struct wgp_guard *g, struct wgp_bucket *b,
		      unsigned int len, u64 now);
void wgp_guard_refund(struct wgp_guard *g, struct wgp_bucket *b,
		      unsigned int len, u64 now);
u64 wgp_guard_debt_ns(const struct wgp_guard *g, const struct wgp_bucket *b);

#endif /* _WGP_GUARD_H */
