/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bound of a plane's queue, in packets and in bytes. The policy gives
 * the packets (txqueue/encqueue, decqueue, hsqueue); the bytes are that
 * many slots of a fixed size, counted in skb truesize, so that what a
 * queue pins is bounded whatever the packets are made of: a datagram
 * reassembled from many small IP fragments keeps the buffers of all of
 * them. Such a packet is first made compact (wgp_qbound_compact()), so
 * that it costs its own size and not its fragments'.
 *
 * A charge is the truesize when queued; the one who takes the packet off
 * gives that much back (the packet may have grown in between).
 */
#ifndef _WGP_QBOUND_H
#define _WGP_QBOUND_H

#include <linux/atomic.h>
#include <linux/skbuff.h>

/* a slot: a packet of a 1500-byte MTU with room to spare */
#define WGP_QBOUND_SLOT		4096U
/* the handshake queue's: a compact 148-byte message with its headers */
#define WGP_QBOUND_HS_SLOT	2048U

struct wgp_qbound {
	atomic_t packets;
	atomic_long_t bytes;
};

static inline void wgp_qbound_init(struct wgp_qbound *q)
{
	atomic_set(&q->packets, 0);
	atomic_long_set(&q->bytes, 0);
}

/* Takes room for one packet of truesize charge; false if full. */
static inline bool wgp_qbound_charge(struct wgp_qbound *q, u32 limit,
				     unsigned int slot, unsigned int charge)
{
	if (atomic_inc_return(&q->packets) > limit)
		goto full_packets;
	if (atomic_long_add_return(charge, &q->bytes) > (long)limit * slot)
		goto full_bytes;
	return true;

full_bytes:
	atomic_long_sub(charge, &q->bytes);
full_packets:
	atomic_dec(&q->packets);
	return false;
}

/* Room taken beyond the bound: a keepalive must go whatever is queued. */
static inline void wgp_qbound_add(struct wgp_qbound *q, unsigned int charge)
{
	atomic_long_add(charge, &q->bytes);
	atomic_inc(&q->packets);
}

static inline void wgp_qbound_release(struct wgp_qbound *q,
				      unsigned int charge)
{
	atomic_long_sub(charge, &q->bytes);
	atomic_dec(&q->packets);
}

static inline u32 wgp_qbound_packets(const struct wgp_qbound *q)
{
	return max(atomic_read(&q->packets), 0);
}

static inline u64 wgp_qbound_bytes(const struct wgp_qbound *q)
{
	return max(atomic_long_read(&q->bytes), 0L);
}

/*
 * A packet whose buffers are far larger than its data (many fragments, or
 * a small packet in a large buffer) is replaced by a linear copy of just
 * its headers and data. NULL when no memory: the original is freed.
 */
static inline struct sk_buff *wgp_qbound_compact(struct sk_buff *skb,
						 unsigned int most)
{
	struct sk_buff *nskb;

	if (likely(skb->truesize <= most))
		return skb;
	nskb = skb_copy(skb, GFP_ATOMIC);
	consume_skb(skb);
	return nskb;
}

#endif /* _WGP_QBOUND_H */
