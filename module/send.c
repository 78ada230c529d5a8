// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: ndo_start_xmit finds the peer by destination, segments GSO
 * packets and stages them on the peer; the peer's transmit work, on one of
 * the plane's CPUs, encrypts and sends them in order, or asks for a
 * handshake when there is no usable keypair. Handshake initiations are made
 * by the peer's handshake work.
 */
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/scatterlist.h>
#include <net/icmp.h>
#include <net/ip_tunnels.h>
#include <net/dst_metadata.h>
#include <net/sock.h>
#ifdef COMPAT_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

#include "device.h"
#include "peer.h"
#include "engine.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"

#define WGP_MAX_SG	(MAX_SKB_FRAGS + 8)
/* The DS field of handshake messages, stock's: AF41 */
#define WGP_HANDSHAKE_DS	0x88
/* Packets per batch of the transmit work and of the send work */
#define WGP_TX_BATCH	32

static void wgp_icmp_unreach(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else if (skb->protocol == htons(ETH_P_IPV6))
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH,
				0);
}

static bool wgp_keypair_usable(struct wgp_keypair *kp)
{
	return !wgp_older_than(READ_ONCE(kp->birth_ns),
			       WGP_REJECT_AFTER_TIME) &&
	       atomic64_read(&kp->send_counter) < WGP_REJECT_AFTER_MESSAGES;
}

/* No session to send with: what is staged waits for a handshake. */
static bool wgp_peer_waits(struct wgp_peer *peer)
{
	struct wgp_keypair *kp;
	bool waits;

	rcu_read_lock_bh();
	kp = rcu_dereference_bh(peer->eng.keypairs.current_kp);
	waits = !kp || !wgp_keypair_usable(kp);
	rcu_read_unlock_bh();
	return waits;
}

/* The bound a staged packet is charged to (wgp_plane_engine) */
static struct wgp_qbound *wgp_staged_bound(struct wgp_plane *plane,
					   struct sk_buff *skb)
{
	return WGP_TX_CB(skb)->waits ? &plane->eng.waitq : &plane->eng.encq;
}

/* A packet of a full socket other than TCP's: it keeps its owner. */
static bool wgp_owner_kept(const struct sk_buff *skb)
{
	return skb->sk && sk_fullsock(skb->sk) &&
	       skb->sk->sk_protocol != IPPROTO_TCP;
}

netdev_tx_t wgp_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wgp_plane *plane = netdev_priv(dev);
	struct sk_buff *segs, *seg, *next;
	struct wgp_peer *peer;
	union wgp_endpoint ep;
	bool waits, orphan, no_room = false;
	unsigned int mtu;
	u32 limit, staged;

	if (skb->protocol == htons(ETH_P_IP)) {
		if (!pskb_network_may_pull(skb, sizeof(struct iphdr)))
			goto err_bad;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		if (!pskb_network_may_pull(skb, sizeof(struct ipv6hdr)))
			goto err_bad;
	} else {
		goto err_bad;
	}

	/*
	 * ndo_start_xmit runs with BH off: an RCU read-side section up to
	 * the staging below, which a peer's removal waits for once the peer
	 * is activated. So the peer is activated (wgp_peer_alive()) before
	 * anything is staged on it; else its removal could purge its queue
	 * first and leave the packet on a dead peer.
	 */
	rcu_read_lock_bh();
	peer = wgp_peer_get(wgp_allowedips_lookup_dst(&plane->allowedips,
						      skb));
	if (unlikely(peer && !wgp_peer_alive(peer))) {
		wgp_peer_put(peer);
		peer = NULL;
	}
	rcu_read_unlock_bh();
	if (unlikely(!peer)) {
		wgp_icmp_unreach(skb);
		wgp_count(plane, WGPLANES_CNT_DROP_NO_PEER);
		goto err;
	}
	wgp_peer_get_endpoint(peer, &ep);
	if (unlikely(ep.addr.sa_family != AF_INET &&
		     ep.addr.sa_family != AF_INET6)) {
		wgp_icmp_unreach(skb);
		wgp_count(plane, WGPLANES_CNT_DROP_NO_ENDPOINT);
		goto err_peer;
	}

	/* padding must not make the outer packet exceed the route's MTU */
	mtu = skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : READ_ONCE(dev->mtu);

	if (skb_is_gso(skb)) {
		segs = skb_gso_segment(skb, 0);
		if (IS_ERR_OR_NULL(segs)) {
			wgp_count(plane, WGPLANES_CNT_DROP_NOMEM);
			goto err_peer;
		}
		consume_skb(skb);
		skb = segs;
	} else {
		skb_mark_not_on_list(skb);
	}

	limit = READ_ONCE(plane->policy.txq_len);
	waits = wgp_peer_waits(peer);
	/*
	 * A TCP packet the plane holds lets go of its socket's buffer: else
	 * TCP small queues would let a stream have only about a millisecond
	 * of data in the plane's pipeline, and one stream would run at that
	 * pipeline's latency. Any other keeps its owner until it is sent,
	 * as on a NIC: a UDP sender faster than the plane is held back by
	 * its send buffer, where it would otherwise fill the stopped device
	 * queue's qdisc and lose a sixth of what it sent to its AQM. A
	 * packet that waits for a handshake, perhaps forever, lets go (so
	 * do those staged when a session ends, wgp_staged_orphan()), or a
	 * socket that also sends to live peers would be blocked by a dead
	 * one. A guarded plane keeps the owner of any packet that has a
	 * session: its hold on transmit is felt by the sender as a full
	 * send buffer.
	 */
	orphan = waits || (!READ_ONCE(plane->guard.rate) &&
			   !wgp_owner_kept(skb));
	skb_list_walk_safe(skb, seg, next) {
		skb_mark_not_on_list(seg);
		staged = skb_queue_len_lockless(&peer->eng.staged);
		/*
		 * Full: for a peer with a session the device queue stops
		 * (rather than TCP losing what it sent faster than the
		 * plane encrypts), and what is on its way here (up to twice
		 * the bound) still waits; a packet waiting for a handshake
		 * is dropped.
		 */
		if (unlikely(staged >= limit)) {
			if (staged >= 2 * limit || waits) {
				wgp_count(plane, WGPLANES_CNT_DROP_TXQ_FULL);
				kfree_skb(seg);
				continue;
			}
			wgp_guard_tx_hold(peer, limit);
		}
		WGP_TX_CB(seg)->waits = waits;
		/* the plane's bound over all its peers */
		if (unlikely(!wgp_qbound_charge(wgp_staged_bound(plane, seg),
						READ_ONCE(plane->policy.encq_len),
						WGP_QBOUND_SLOT,
						seg->truesize))) {
			wgp_count(plane, waits ? WGPLANES_CNT_DROP_TXQ_FULL :
					 WGPLANES_CNT_DROP_ENCQ_FULL);
			no_room = true;
			kfree_skb(seg);
			continue;
		}
		if (orphan)
			skb_orphan(seg);
		WGP_TX_CB(seg)->charge = seg->truesize;
		WGP_TX_CB(seg)->mtu = mtu;
		skb_dst_drop(seg);
		skb_queue_tail(&peer->eng.staged, seg);
	}
	/* with nothing staged, the transmit work would not ask for one */
	if (unlikely(waits && no_room))
		wgp_request_handshake(peer, false);
	wgp_peer_queue_work(peer, &peer->eng.tx_work);
	wgp_peer_put(peer);
	return NETDEV_TX_OK;

err_bad:
	wgp_count(plane, WGPLANES_CNT_DROP_BAD_PACKET);
	goto err;
err_peer:
	wgp_peer_put(peer);
err:
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

/* An outer packet could not be sent: counted with its honest reason. */
static void wgp_count_send_error(struct wgp_plane *plane, int err)
{
	switch (err) {
	case -EDESTADDRREQ:
		wgp_count(plane, WGPLANES_CNT_DROP_NO_ENDPOINT);
		break;
	case -ENOMEM:
		wgp_count(plane, WGPLANES_CNT_DROP_NOMEM);
		break;
	default:	/* no socket, no route, a route into the plane itself */
		wgp_count(plane, WGPLANES_CNT_DROP_TX_ERROR);
	}
}

/* Zero padding to a multiple of 16, but not beyond the MTU. */
static unsigned int wgp_padded_len(unsigned int len, unsigned int mtu)
{
	unsigned int padded = ALIGN(len, WGP_PADDING_MULTIPLE);

	if (len <= mtu && padded > mtu)
		padded = mtu;
	return padded;
}

/*
 * Encrypts an in-flight packet in place, on any CPU: its keypair and nonce
 * are in its control block. Returns whether it may be sent.
 */
static bool wgp_encrypt(struct wgp_plane *plane, struct sk_buff *skb)
{
	struct wgp_tx_cb *cb = WGP_TX_CB(skb);
	struct scatterlist sg[WGP_MAX_SG];
	unsigned int len = skb->len, padded;
	struct wgp_msg_data *hdr;
	struct sk_buff *trailer;
	int nsg;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return false;
	/* the inner ECN bits show on the outer header */
	cb->ds = len ? ip_tunnel_ecn_encap(0, ip_hdr(skb), skb) : 0;
	padded = wgp_padded_len(len, cb->mtu);
	if (skb_cow_head(skb, WGP_DATA_HDR_LEN + WGP_SEND_HEADROOM))
		return false;
	nsg = skb_cow_data(skb, padded - len + WGP_AUTHTAG_LEN, &trailer);
	if (unlikely(nsg < 0 || nsg > WGP_MAX_SG))
		return false;
	memset(pskb_put(skb, trailer, padded - len + WGP_AUTHTAG_LEN), 0,
	       padded - len);

	sg_init_table(sg, nsg);
	if (skb_to_sgvec(skb, sg, 0, skb->len) <= 0)
		return false;
	this_cpu_inc(plane->eng.cpu_work->encrypted);
	if (!chacha20poly1305_encrypt_sg_inplace(sg, padded, NULL, 0,
						 cb->nonce,
						 cb->keypair->send_key))
		return false;

	hdr = skb_push(skb, WGP_DATA_HDR_LEN);
	hdr->header.type = cpu_to_le32(WGP_MSG_DATA);
	hdr->receiver_index = cb->keypair->remote_index;
	hdr->counter = cpu_to_le64(cb->nonce);
	skb->ip_summed = CHECKSUM_NONE;
	skb_set_inner_network_header(skb, 0);
	return true;
}

/* The send work: a batch of in-flight packets leaves in order. */
static void wgp_send_batch(struct wgp_peer *peer, struct sk_buff_head *ready)
{
	struct wgp_plane *plane = peer->plane;
	bool data = false, sent = false;
	struct wgp_send_batch sb;
	struct sk_buff *skb;

	wgp_socket_batch_begin(peer, &sb);
	/* the batch leaves in one BH-off section: the link takes it at once */
	rcu_read_lock_bh();
	while ((skb = __skb_dequeue(ready))) {
		struct wgp_tx_cb *cb = WGP_TX_CB(skb);
		struct wgp_keypair *kp = cb->keypair;
		unsigned int len = cb->plain_len, wire_len = skb->len;
		int ret;

		wgp_qbound_release(&plane->eng.encq, cb->charge);
		if (cb->state != WGP_TX_READY) {
			kfree_skb(skb);		/* counted when it failed */
			goto next;
		}
		ret = wgp_socket_batch_send(&sb, skb, cb->ds);
		if (ret) {
			wgp_count_send_error(plane, ret);
			goto next;
		}
		wgp_link_count_tx(plane, wire_len);
		sent = true;
		if (len) {
			wgp_count(plane, WGPLANES_CNT_TX_PACKETS);
			wgp_count_add(plane, WGPLANES_CNT_TX_BYTES, len);
			data = true;
		}
next:
		wgp_keypair_put(kp);
	}
	rcu_read_unlock_bh();
	wgp_socket_batch_end(&sb);
	/* the timers see the batch as one event: it left at once */
	if (data)
		wgp_timers_data_sent(peer);
	if (sent) {
		wgp_timers_any_authenticated_packet_sent(peer);
		wgp_timers_any_authenticated_packet_traversal(peer);
	}
}

/*
 * Takes up to max packets off the in-flight list's head while they are
 * encrypted (or failed), in order.
 */
static unsigned int wgp_inflight_take_ready(struct sk_buff_head *list,
					    struct sk_buff_head *ready,
					    unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	spin_lock_bh(&list->lock);
	while (n < max && (skb = skb_peek(list))) {
		/* pairs with the release in wgp_encrypt_one(): sees its bytes */
		if (smp_load_acquire(&WGP_TX_CB(skb)->state) ==
		    WGP_TX_ENCRYPTING)
			break;
		__skb_unlink(skb, list);
		__skb_queue_tail(ready, skb);
		n++;
	}
	spin_unlock_bh(&list->lock);
	return n;
}

/*
 * What one peer may have in flight: enough to keep every encryption CPU of
 * the plane busy, and few enough that a faster sender's packets wait in
 * the staging and the qdisc, where the stopped device queue pushes back
 * on its socket, rather than in flight, where only the plane's bound
 * would stop them, by dropping.
 */
static u32 wgp_inflight_max(struct wgp_plane *plane)
{
	return 2 * READ_ONCE(plane->policy.txq_len);
}

/*
 * The transmit work, before it puts a packet in flight: whether the peer's
 * in-flight list is at its bound; then the send work queues the transmit
 * work again once half of it has gone.
 */
static bool wgp_inflight_full(struct wgp_peer *peer, u32 max)
{
	struct wgp_peer_engine *eng = &peer->eng;

	if (likely(skb_queue_len_lockless(&eng->inflight) < max))
		return false;
	set_bit(WGP_PF_TX_FULL, &eng->flags);
	/* the bit before the length; pairs with wgp_inflight_room() */
	smp_mb__after_atomic();
	if (skb_queue_len_lockless(&eng->inflight) >= max)
		return true;
	clear_bit(WGP_PF_TX_FULL, &eng->flags);
	return false;
}

/* The send work, after sending: the transmit work goes on if it stopped. */
static void wgp_inflight_room(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;

	/* the length before the bit; pairs with wgp_inflight_full() */
	smp_mb();
	if (test_bit(WGP_PF_TX_FULL, &eng->flags) &&
	    skb_queue_len_lockless(&eng->inflight) <
	    wgp_inflight_max(peer->plane) / 2 &&
	    test_and_clear_bit(WGP_PF_TX_FULL, &eng->flags))
		wgp_peer_queue_work(peer, &eng->tx_work);
}

/* Sends the in-flight list's head while it is ready, in nonce order. */
void wgp_packet_send_worker(struct work_struct *work)
{
	struct wgp_peer *peer = container_of(work, struct wgp_peer,
					     eng.send_work);
	struct sk_buff_head ready;

	__skb_queue_head_init(&ready);
	mutex_lock(&peer->eng.send_lock);
	wgp_plane_work_ran(peer->plane);
	while (wgp_inflight_take_ready(&peer->eng.inflight, &ready,
				       WGP_TX_BATCH)) {
		wgp_send_batch(peer, &ready);
		cond_resched();
	}
	mutex_unlock(&peer->eng.send_lock);
	wgp_inflight_room(peer);
}

/*
 * Encrypts an in-flight packet and hands it to its peer's send work, which
 * runs after the encryption of a batch rather than between its packets.
 * The peer cannot go away before enc_pending drops: its removal waits.
 */
static void wgp_encrypt_one(struct wgp_peer *peer, struct sk_buff *skb)
{
	struct wgp_plane *plane = peer->plane;
	u8 state = WGP_TX_READY;

	if (unlikely(!wgp_encrypt(plane, skb))) {
		wgp_count(plane, WGPLANES_CNT_DROP_NOMEM);
		state = WGP_TX_FAILED;
	}
	/* the send work may take it, and free it, from here on */
	smp_store_release(&WGP_TX_CB(skb)->state, state);
	wgp_peer_queue_work(peer, &peer->eng.send_work);
	if (atomic_dec_and_test(&peer->eng.enc_pending))
		wake_up_var(&peer->eng.enc_pending);
}

void wgp_encrypt_worker(struct work_struct *work)
{
	struct wgp_crypt_cpu *cc = container_of(work, struct wgp_crypt_cpu,
						work);
	struct sk_buff *skb;

	wgp_plane_work_ran(cc->plane);
	while ((skb = ptr_ring_consume_bh(&cc->ring))) {
		wgp_encrypt_one(WGP_TX_CB(skb)->keypair->entry.peer, skb);
		cond_resched();
	}
}

/*
 * One batch of the transmit work: packets with their nonces, those this
 * CPU encrypts, and the CPUs whose encryption work is to be woken. The
 * batch goes in flight under one lock; waking each CPU once per batch,
 * not once per packet, spares a wake-up per packet; encrypting this CPU's
 * share after the wake-ups lets the others start first.
 */
struct wgp_tx_batch {
	unsigned int n, n_mine, n_kick;
	/* the batch; once dispatched, its first n_mine are this CPU's */
	struct sk_buff *skb[WGP_TX_BATCH];
	int kick[WGP_TX_BATCH];
};

static void wgp_batch_reset(struct wgp_tx_batch *b)
{
	b->n = 0;
	b->n_mine = 0;
	b->n_kick = 0;
}

/* A packet with its nonce, ready to go in flight. */
static void wgp_inflight_prepare(struct wgp_keypair *kp, struct sk_buff *skb,
				 u64 nonce)
{
	struct wgp_tx_cb *cb = WGP_TX_CB(skb);

	cb->keypair = wgp_keypair_get(kp);
	cb->nonce = nonce;
	cb->plain_len = skb->len;
	cb->ds = 0;
	cb->state = WGP_TX_ENCRYPTING;
}

/* Puts a packet in flight with its nonce: on the peer's list, in order. */
static void wgp_inflight_add(struct wgp_peer *peer, struct wgp_keypair *kp,
			     struct sk_buff *skb, u64 nonce)
{
	wgp_inflight_prepare(kp, skb, nonce);
	atomic_inc(&peer->eng.enc_pending);
	skb_queue_tail(&peer->eng.inflight, skb);
}

/*
 * Puts the batch in flight, then each packet on the encryption ring of the
 * plane's next CPU, or on this batch's own share when that is this CPU or
 * its ring is full. A packet on a ring may be sent and freed at once.
 */
static void wgp_batch_dispatch(struct wgp_peer *peer, struct wgp_tx_batch *b)
{
	struct sk_buff_head *inflight = &peer->eng.inflight;
	struct wgp_plane *plane = peer->plane;
	unsigned int i, j;
	int cpu;

	atomic_add(b->n, &peer->eng.enc_pending);
	spin_lock_bh(&inflight->lock);
	for (i = 0; i < b->n; i++)
		__skb_queue_tail(inflight, b->skb[i]);
	spin_unlock_bh(&inflight->lock);

	for (i = 0; i < b->n; i++) {
		cpu = wgp_plane_next_cpu(plane, peer->eng.enc_cpu);
		peer->eng.enc_cpu = cpu;
		if (cpu == raw_smp_processor_id() ||
		    unlikely(ptr_ring_produce_bh(&per_cpu_ptr(plane->eng.enc,
							      cpu)->ring,
						 b->skb[i]))) {
			b->skb[b->n_mine++] = b->skb[i];	/* n_mine <= i */
			continue;
		}
		for (j = 0; j < b->n_kick; j++)
			if (b->kick[j] == cpu)
				break;
		if (j == b->n_kick)
			b->kick[b->n_kick++] = cpu;
	}
}

/* Dispatches the batch, wakes its encryption CPUs, encrypts this CPU's share. */
static void wgp_batch_run(struct wgp_peer *peer, struct wgp_tx_batch *b)
{
	struct wgp_plane *plane = peer->plane;
	unsigned int i;

	if (!b->n)
		return;
	wgp_batch_dispatch(peer, b);
	for (i = 0; i < b->n_kick; i++)
		wgp_plane_queue_work(plane, b->kick[i],
				     &per_cpu_ptr(plane->eng.enc,
						  b->kick[i])->work);
	for (i = 0; i < b->n_mine; i++)
		wgp_encrypt_one(peer, b->skb[i]);
	wgp_batch_reset(b);
}

void wgp_inflight_purge(struct wgp_peer *peer, enum wgplanes_counter reason)
{
	struct wgp_plane *plane = peer->plane;
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&peer->eng.inflight))) {
		wgp_qbound_release(&plane->eng.encq, WGP_TX_CB(skb)->charge);
		wgp_count(plane, reason);
		wgp_keypair_put(WGP_TX_CB(skb)->keypair);
		kfree_skb(skb);
	}
}

static struct sk_buff *wgp_keepalive_skb(struct wgp_peer *peer)
{
	struct sk_buff *skb;

	skb = alloc_skb(WGP_DATA_HDR_LEN + WGP_SEND_HEADROOM + WGP_AUTHTAG_LEN,
			GFP_KERNEL);
	if (!skb) {
		wgp_count(peer->plane, WGPLANES_CNT_DROP_NOMEM);
		return NULL;
	}
	skb_reserve(skb, WGP_DATA_HDR_LEN + WGP_SEND_HEADROOM);
	WGP_TX_CB(skb)->mtu = 0;	/* nothing to pad */
	/* in flight like a staged packet, so counted like one */
	WGP_TX_CB(skb)->charge = skb->truesize;
	wgp_qbound_add(&peer->plane->eng.encq, skb->truesize);
	return skb;
}

/*
 * The staged packets now wait for a session, perhaps forever: they let go
 * of their sockets' buffers, as a packet that waited from the start does.
 */
static void wgp_staged_orphan(struct wgp_peer *peer)
{
	struct sk_buff_head *staged = &peer->eng.staged;
	struct sk_buff *skb;

	spin_lock_bh(&staged->lock);
	skb_queue_walk(staged, skb)
		skb_orphan(skb);
	spin_unlock_bh(&staged->lock);
}

/* A packet that waited for a handshake goes in flight: so does its charge. */
static void wgp_stop_waiting(struct wgp_plane *plane, struct sk_buff *skb)
{
	struct wgp_tx_cb *cb = WGP_TX_CB(skb);

	if (unlikely(cb->waits)) {
		wgp_qbound_release(&plane->eng.waitq, cb->charge);
		wgp_qbound_add(&plane->eng.encq, cb->charge);
		cb->waits = 0;
	}
}

/* Takes up to max staged packets, in order, under one lock. */
static unsigned int wgp_staged_take(struct sk_buff_head *staged,
				    struct sk_buff_head *todo,
				    unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	spin_lock_bh(&staged->lock);
	while (n < max && (skb = __skb_dequeue(staged))) {
		__skb_queue_tail(todo, skb);
		n++;
	}
	spin_unlock_bh(&staged->lock);
	return n;
}

/* Staged packets taken and not put in flight go back to the head, in order. */
static void wgp_staged_untake(struct sk_buff_head *staged,
			      struct sk_buff_head *todo)
{
	if (skb_queue_empty(todo))
		return;
	spin_lock_bh(&staged->lock);
	skb_queue_splice_init(todo, staged);
	spin_unlock_bh(&staged->lock);
}

/*
 * Takes the staged packets in order and puts them in flight, each with the
 * next nonce of the current keypair, a batch at a time.
 */
static void wgp_packet_tx(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;
	struct wgp_tx_batch batch, *b = &batch;
	struct sk_buff_head todo;
	struct wgp_keypair *kp;
	u32 max = wgp_inflight_max(peer->plane), room;
	struct sk_buff *skb;
	bool sent = false, spent = false, held = false;
	u64 nonce;

	rcu_read_lock_bh();
	kp = wgp_keypair_current_get(peer);
	rcu_read_unlock_bh();
	wgp_batch_reset(b);
	__skb_queue_head_init(&todo);
	if (kp && !wgp_keypair_usable(kp)) {
		wgp_keypair_put(kp);
		kp = NULL;
	}
	if (!kp) {
		/* no hold on the device queue for a peer without a session */
		wgp_guard_tx_room(peer->plane);
		wgp_staged_orphan(peer);
		/* packets wait for the handshake; a keepalive asks for one */
		if (test_and_clear_bit(WGP_PF_KEEPALIVE, &eng->flags) ||
		    !skb_queue_empty(&eng->staged))
			wgp_request_handshake(peer, false);
		return;
	}
	if (kp->i_am_initiator &&
	    (wgp_older_than(READ_ONCE(kp->birth_ns), WGP_REKEY_AFTER_TIME) ||
	     atomic64_read(&kp->send_counter) >= WGP_REKEY_AFTER_MESSAGES))
		wgp_request_handshake(peer, false);

	while (!held && !spent && !wgp_inflight_full(peer, max)) {
		room = max - skb_queue_len_lockless(&eng->inflight);
		if (!wgp_staged_take(&eng->staged, &todo,
				     min_t(u32, room, WGP_TX_BATCH)))
			break;
		while ((skb = __skb_dequeue(&todo))) {
			/* the guard requeues this work when it may go on */
			if (!wgp_guard_tx_take(peer, skb->len)) {
				__skb_queue_head(&todo, skb);
				held = true;
				break;
			}
			nonce = atomic64_inc_return(&kp->send_counter) - 1;
			if (unlikely(nonce >= WGP_REJECT_AFTER_MESSAGES)) {
				/* it waits for the next session */
				__skb_queue_head(&todo, skb);
				spent = true;
				break;
			}
			wgp_stop_waiting(peer->plane, skb);
			wgp_inflight_prepare(kp, skb, nonce);
			b->skb[b->n++] = skb;
			sent = true;
		}
		wgp_staged_untake(&eng->staged, &todo);
		wgp_batch_run(peer, b);
		cond_resched();
	}
	if (spent) {
		/* what waits for the next session holds nothing */
		wgp_staged_orphan(peer);
		wgp_request_handshake(peer, false);
	}
	if (spent || skb_queue_len(&eng->staged) <
		     READ_ONCE(peer->plane->policy.txq_len) / 2)
		wgp_guard_tx_room(peer->plane);
	if (test_and_clear_bit(WGP_PF_KEEPALIVE, &eng->flags) && !sent) {
		nonce = atomic64_inc_return(&kp->send_counter) - 1;
		skb = nonce < WGP_REJECT_AFTER_MESSAGES ?
		      wgp_keepalive_skb(peer) : NULL;
		if (skb) {
			wgp_inflight_add(peer, kp, skb, nonce);
			wgp_encrypt_one(peer, skb);
		}
	}
	wgp_keypair_put(kp);
}

void wgp_packet_tx_worker(struct work_struct *work)
{
	struct wgp_peer *peer = container_of(work, struct wgp_peer,
					     eng.tx_work);

	mutex_lock(&peer->eng.tx_lock);
	wgp_plane_work_ran(peer->plane);
	wgp_packet_tx(peer);
	mutex_unlock(&peer->eng.tx_lock);
}

void wgp_staged_purge(struct wgp_peer *peer, enum wgplanes_counter reason)
{
	struct wgp_plane *plane = peer->plane;
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&peer->eng.staged))) {
		wgp_qbound_release(wgp_staged_bound(plane, skb),
				   WGP_TX_CB(skb)->charge);
		wgp_count(plane, reason);
		kfree_skb(skb);
	}
	wgp_guard_tx_room(plane);
}

void wgp_request_keepalive(struct wgp_peer *peer)
{
	set_bit(WGP_PF_KEEPALIVE, &peer->eng.flags);
	wgp_peer_queue_work(peer, &peer->eng.tx_work);
}

void wgp_request_handshake(struct wgp_peer *peer, bool retry)
{
	set_bit(retry ? WGP_PF_HS_RETRY : WGP_PF_HS_WANT, &peer->eng.flags);
	wgp_peer_queue_work(peer, &peer->eng.hs_work);
}

static void wgp_send_handshake_initiation(struct wgp_peer *peer, bool retry)
{
	struct wgp_peer_engine *eng = &peer->eng;
	struct wgp_msg_initiation msg;
	int ret;

	if (!retry) {
		/* at most one new handshake per REKEY_TIMEOUT */
		if (!wgp_older_than(READ_ONCE(eng->last_sent_handshake_ns),
				    WGP_REKEY_TIMEOUT))
			return;
		atomic_set(&eng->hs_attempts, 0);
	}
	WRITE_ONCE(eng->last_sent_handshake_ns, wgp_now_ns());
	if (wgp_noise_create_initiation(peer, &msg))
		return;
	wgp_cookie_add_macs(peer, &msg, sizeof(msg));
	wgp_timers_any_authenticated_packet_traversal(peer);
	wgp_timers_any_authenticated_packet_sent(peer);
	wgp_timers_handshake_initiated(peer);
	wgp_count(peer->plane, WGPLANES_CNT_HANDSHAKE_INIT_TX);
	ret = wgp_socket_send_buffer_to_peer(peer, &msg, sizeof(msg),
					     WGP_HANDSHAKE_DS);
	if (ret)
		wgp_count_send_error(peer->plane, ret);
	else
		wgp_link_count_tx(peer->plane, sizeof(msg));
	memzero_explicit(&msg, sizeof(msg));
}

void wgp_handshake_tx_worker(struct work_struct *work)
{
	struct wgp_peer *peer = container_of(work, struct wgp_peer,
					     eng.hs_work);
	struct wgp_peer_engine *eng = &peer->eng;
	bool retry, want;

	mutex_lock(&eng->hs_lock);
	wgp_plane_work_ran(peer->plane);
	if (test_and_clear_bit(WGP_PF_ZERO_KEYS, &eng->flags)) {
		wgp_keypairs_clear(peer);
		wgp_handshake_clear(peer);
	}
	retry = test_and_clear_bit(WGP_PF_HS_RETRY, &eng->flags);
	want = test_and_clear_bit(WGP_PF_HS_WANT, &eng->flags);
	if (retry || want)
		wgp_send_handshake_initiation(peer, retry);
	mutex_unlock(&eng->hs_lock);
}

void wgp_send_handshake_response(struct wgp_peer *peer)
{
	struct wgp_msg_response msg;
	int ret;

	if (wgp_noise_create_response(peer, &msg))
		return;
	wgp_cookie_add_macs(peer, &msg, sizeof(msg));
	/* keys first: the initiator may answer before we return */
	if (wgp_noise_begin_session(peer))
		return;
	wgp_timers_session_derived(peer);
	wgp_timers_any_authenticated_packet_traversal(peer);
	wgp_timers_any_authenticated_packet_sent(peer);
	wgp_count(peer->plane, WGPLANES_CNT_HANDSHAKE_RESP_TX);
	/* a response is a sent handshake: no initiation of ours follows it */
	WRITE_ONCE(peer->eng.last_sent_handshake_ns, wgp_now_ns());
	ret = wgp_socket_send_buffer_to_peer(peer, &msg, sizeof(msg),
					     WGP_HANDSHAKE_DS);
	if (ret)
		wgp_count_send_error(peer->plane, ret);
	else
		wgp_link_count_tx(peer->plane, sizeof(msg));
	memzero_explicit(&msg, sizeof(msg));
}
