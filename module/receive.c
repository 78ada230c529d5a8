// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: the UDP sockets' encap_rcv (softirq) checks the size and type of
 * each message, drops garbage, and queues the rest: handshake messages to
 * the plane's bounded handshake queue (under load, sorted by their mac2),
 * data messages (once their receiver index names a live keypair and the
 * guard lets them through) to the keypair's peer and a decryption ring,
 * bounded per plane. The plane's per-CPU workers decrypt; the peer's
 * receive work does, in arrival order, the replay check, the allowed-IPs
 * source check, roaming and delivery through GRO (engine.h).
 */
#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/scatterlist.h>
#include <net/udp_tunnel.h>
#include <net/gro_cells.h>
#include <net/inet_ecn.h>
#include <net/dsfield.h>

#include "device.h"
#include "peer.h"
#include "engine.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"

#define WGP_MAX_SG	(MAX_SKB_FRAGS + 8)

static size_t wgp_handshake_len(u32 type)
{
	switch (type) {
	case WGP_MSG_INITIATION:
		return sizeof(struct wgp_msg_initiation);
	case WGP_MSG_RESPONSE:
		return sizeof(struct wgp_msg_response);
	case WGP_MSG_COOKIE:
		return sizeof(struct wgp_msg_cookie);
	}
	return 0;
}

/* Frees the oldest message waiting for a cookie reply; false if none. */
static bool wgp_hs_evict(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct sk_buff *old = skb_dequeue(&eng->ck_queue);

	if (!old)
		return false;
	wgp_qbound_release(&eng->hsq, WGP_RX_CB(old)->charge);
	wgp_count(plane, WGPLANES_CNT_DROP_HSQ_FULL);
	kfree_skb(old);
	return true;
}

/*
 * Room in the handshake queue. Under load a message may make some: one
 * with mac2, or one for a cookie reply, in place of the oldest waiting
 * for a cookie reply (that one's reply would come too late).
 */
static bool wgp_hs_charge(struct wgp_plane *plane, struct sk_buff *skb,
			  bool proved)
{
	struct wgp_plane_engine *eng = &plane->eng;
	u32 limit = READ_ONCE(plane->policy.hsq_len);
	int tries;

	/* other CPUs may take the room first: a few tries, then give up */
	for (tries = 0; tries < 4; tries++) {
		if (wgp_qbound_charge(&eng->hsq, limit, WGP_QBOUND_HS_SLOT,
				      skb->truesize))
			return true;
		if (!proved || !wgp_hs_evict(plane))
			return false;
	}
	return false;
}

/*
 * Under load, a handshake message is sorted as it comes: one with a valid
 * mac2 (its source holds a cookie: it proved it receives what is sent to
 * it), within its source's rate limit, goes on the queue of messages to
 * consume; any other waits for the handshake work's cookie reply, behind
 * every message to consume, newest first (ck_queue). When the queue is
 * full, either takes the room of the oldest one waiting for a cookie
 * reply. So a flood with a valid mac1 from forged sources never keeps
 * out, nor delays, a peer that holds a cookie, and it costs the plane's
 * own CPUs, not the softirq of everyone else: here it costs one MAC. Not
 * under load, all goes on the queue unchecked; the plane is under load
 * while 1/8 of the queue holds messages, and for a second after.
 */
static void wgp_queue_handshake(struct wgp_plane *plane, struct sk_buff *skb)
{
	struct wgp_plane_engine *eng = &plane->eng;
	u32 type = le32_to_cpu(((struct wgp_msg_header *)skb->data)->type);
	struct sk_buff_head *queue = &eng->hs_queue;
	u8 verdict = WGP_HS_UNCHECKED;
	u32 limit;

	if (type == WGP_MSG_COOKIE) {
		/* a reply to no handshake of ours is not worth a slot */
		if (!wgp_index_known(eng->index,
				     ((struct wgp_msg_cookie *)
				      skb->data)->receiver_index,
				     WGP_INDEX_HANDSHAKE | WGP_INDEX_KEYPAIR)) {
			wgp_count(plane, WGPLANES_CNT_DROP_HANDSHAKE_INVALID);
			goto drop;
		}
	} else if (time_before(jiffies, READ_ONCE(eng->under_load_until))) {
		if (!wgp_cookie_mac2_valid(plane, skb, skb->data, skb->len)) {
			verdict = WGP_HS_COOKIE;
			queue = &eng->ck_queue;
		} else if (wgp_ratelimiter_allow(&eng->ratelimiter, skb)) {
			verdict = WGP_HS_MAC2;
		} else {
			wgp_count(plane, WGPLANES_CNT_DROP_HANDSHAKE_RATELIMIT);
			goto drop;
		}
	}

	/* a message of 148 bytes or less: it never costs more than a slot */
	skb = wgp_qbound_compact(skb, WGP_QBOUND_HS_SLOT);
	if (unlikely(!skb)) {
		wgp_count(plane, WGPLANES_CNT_DROP_NOMEM);
		return;
	}
	if (!wgp_hs_charge(plane, skb, verdict != WGP_HS_UNCHECKED)) {
		wgp_count(plane, WGPLANES_CNT_DROP_HSQ_FULL);
		goto drop;
	}
	WGP_RX_CB(skb)->charge = skb->truesize;
	WGP_RX_CB(skb)->state = verdict;
	WGP_RX_CB(skb)->stamp = jiffies;
	limit = READ_ONCE(plane->policy.hsq_len);
	if (wgp_qbound_packets(&eng->hsq) >= limit / 8) {
		if (!time_before(jiffies, READ_ONCE(eng->under_load_until)))
			wgp_count(plane, WGPLANES_CNT_UNDER_LOAD);
		WRITE_ONCE(eng->under_load_until, jiffies + HZ);
	}
	skb_queue_tail(queue, skb);
	queue_work_on(wgp_plane_cpu(plane, raw_smp_processor_id()),
		      wgp_plane_wq(plane), &eng->hs_work);
	return;

drop:
	kfree_skb(skb);
}

/*
 * The peer alive, in an RCU-bh read-side section (softirq, or the guard's
 * timer): the message goes on its peer's receive list, then on the
 * decryption ring of the plane's next CPU, or if that is full to the
 * peer's receive work to decrypt itself.
 */
static void wgp_rx_dispatch(struct wgp_peer *peer, struct sk_buff *skb)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_crypt_cpu *cc;
	int cpu;

	WGP_RX_CB(skb)->state = WGP_RX_DECRYPTING;
	atomic_inc(&peer->eng.dec_pending);
	/* on the list first: the decryption work then finds it there */
	skb_queue_tail(&peer->eng.rx_queue, skb);
	/* softirqs on several CPUs may race here: any CPU of the mask does */
	cpu = wgp_plane_next_cpu(plane, READ_ONCE(peer->eng.dec_cpu));
	WRITE_ONCE(peer->eng.dec_cpu, cpu);
	cc = per_cpu_ptr(plane->eng.dec, cpu);
	if (likely(!ptr_ring_produce_bh(&cc->ring, skb))) {
		wgp_plane_queue_work(plane, cpu, &cc->work);
		return;
	}
	/* the receive work may take it from here on */
	smp_store_release(&WGP_RX_CB(skb)->state, WGP_RX_UNDONE);
	wgp_peer_queue_work(peer, &peer->eng.rx_work);
	if (atomic_dec_and_test(&peer->eng.dec_pending))
		wake_up_var(&peer->eng.dec_pending);
}

static void wgp_queue_data(struct wgp_plane *plane, struct sk_buff *skb)
{
	struct wgp_msg_data *msg = (struct wgp_msg_data *)skb->data;
	u64 counter = le64_to_cpu(msg->counter);
	struct wgp_plane_engine *eng = &plane->eng;
	struct wgp_keypair *kp;
	struct wgp_peer *peer;

	rcu_read_lock_bh();
	kp = wgp_index_lookup_keypair(eng->index, msg->receiver_index);
	if (unlikely(!kp)) {
		wgp_count(plane, WGPLANES_CNT_DROP_NO_KEYPAIR);
		goto err;
	}
	peer = kp->entry.peer;
	if (unlikely(!wgp_peer_alive(peer))) {
		wgp_count(plane, WGPLANES_CNT_DROP_NO_KEYPAIR);
		goto err_kp;
	}
	/*
	 * Replays go here, unknown indices went above: neither reaches the
	 * guard, which gives back the charge of what does not decrypt
	 * (wgp_rx_one()).
	 */
	if (unlikely(wgp_replay_seen(&kp->replay, counter))) {
		wgp_count(plane, WGPLANES_CNT_DROP_REPLAY);
		goto err_kp;
	}
	/*
	 * No more than its bytes' worth of buffers waits (qbound.h). A copy
	 * frees the original: msg is not to be read past here.
	 */
	skb = wgp_qbound_compact(skb, 4 * skb->len + WGP_QBOUND_SLOT);
	if (unlikely(!skb)) {
		wgp_count(plane, WGPLANES_CNT_DROP_NOMEM);
		goto err_kp;
	}
	if (unlikely(!wgp_qbound_charge(&eng->decq,
					READ_ONCE(plane->policy.decq_len),
					WGP_QBOUND_SLOT, skb->truesize))) {
		wgp_count(plane, WGPLANES_CNT_DROP_DECQ_FULL);
		goto err_kp;
	}
	WGP_RX_CB(skb)->charge = skb->truesize;
	WGP_RX_CB(skb)->wire_len = skb->len;
	WGP_RX_CB(skb)->keypair = kp;
	WGP_RX_CB(skb)->counter = counter;
	WGP_RX_CB(skb)->ds = skb->protocol == htons(ETH_P_IP) ?
			     ipv4_get_dsfield(ip_hdr(skb)) :
			     ipv6_get_dsfield(ipv6_hdr(skb));
	switch (wgp_guard_rx_admit(peer, skb)) {
	case WGP_RX_GO:
		wgp_rx_dispatch(peer, skb);
		break;
	case WGP_RX_SHAPED:
		wgp_count(plane, WGPLANES_CNT_RX_SHAPED);
		break;
	case WGP_RX_POLICED:
		wgp_rx_drop_queued(peer, skb, WGPLANES_CNT_DROP_RX_RATE);
		break;
	case WGP_RX_JUNK:
		wgp_rx_drop_queued(peer, skb, WGPLANES_CNT_DROP_RX_JUNK);
		break;
	}
	rcu_read_unlock_bh();
	return;

err_kp:
	wgp_keypair_put(kp);
err:
	rcu_read_unlock_bh();
	kfree_skb(skb);
}

/* encap_rcv of the plane's sockets: skb->data is the UDP header. */
int wgp_receive(struct sock *sk, struct sk_buff *skb)
{
	struct wgp_plane *plane = rcu_dereference_sk_user_data(sk);
	unsigned int ulen;
	size_t hlen;
	u32 type;

	if (unlikely(!plane)) {
		kfree_skb(skb);
		return 0;
	}
	if (!pskb_may_pull(skb, sizeof(struct udphdr) +
			   sizeof(struct wgp_msg_header)))
		goto err_bad;
	ulen = ntohs(udp_hdr(skb)->len);
	if (ulen < sizeof(struct udphdr) + sizeof(struct wgp_msg_header) ||
	    ulen > skb->len || pskb_trim(skb, ulen))
		goto err_bad;
	__skb_pull(skb, sizeof(struct udphdr));

	type = le32_to_cpu(((struct wgp_msg_header *)skb->data)->type);
	if (type == WGP_MSG_DATA) {
		if (skb->len < WGP_DATA_MIN_LEN ||
		    !pskb_may_pull(skb, WGP_DATA_HDR_LEN))
			goto err_bad;
		wgp_queue_data(plane, skb);
		return 0;
	}
	hlen = wgp_handshake_len(type);
	if (!hlen || skb->len != hlen || !pskb_may_pull(skb, hlen))
		goto err_bad;
	wgp_queue_handshake(plane, skb);
	return 0;

err_bad:
	wgp_count(plane, WGPLANES_CNT_DROP_BAD_PACKET);
	kfree_skb(skb);
	return 0;
}

/* Under load, a message without mac2: the initiator gets a cookie. */
static void wgp_send_cookie_reply(struct wgp_plane *plane,
				  struct sk_buff *skb)
{
	struct wgp_msg_cookie reply;

	/* initiation and response carry their sender index at 4 */
	wgp_cookie_reply_create(plane, &reply, skb, skb->data, skb->len,
				((struct wgp_msg_initiation *)
				 skb->data)->sender_index);
	wgp_socket_send_reply(plane, skb, &reply, sizeof(reply));
	wgp_count(plane, WGPLANES_CNT_COOKIE_TX);
	wgp_count(plane, WGPLANES_CNT_DROP_BAD_MAC2);
}

/*
 * Whether an initiation or a response is worth its Diffie-Hellman: not
 * without a valid mac1, and under load not without a valid mac2 (it gets
 * a cookie reply instead) nor over its source's rate limit. A message
 * sorted as one for a cookie reply has had its mac2 checked already.
 */
static bool wgp_hs_worth(struct wgp_plane *plane, struct sk_buff *skb,
			 u8 verdict, bool under_load)
{
	struct wgp_plane_engine *eng = &plane->eng;
	enum wgp_cookie_mac_state mac;

	mac = wgp_cookie_validate(plane, skb, skb->data, skb->len,
				  under_load && verdict != WGP_HS_COOKIE);
	if (mac == WGP_MAC_INVALID) {
		wgp_count(plane, WGPLANES_CNT_DROP_BAD_MAC1);
		return false;
	}
	if (!under_load)
		return true;
	if (mac != WGP_MAC2_VALID) {
		wgp_send_cookie_reply(plane, skb);
		return false;
	}
	if (!wgp_ratelimiter_allow(&eng->ratelimiter, skb)) {
		wgp_count(plane, WGPLANES_CNT_DROP_HANDSHAKE_RATELIMIT);
		return false;
	}
	return true;
}

/* A message as sorted when it came (wgp_queue_handshake()). */
static void wgp_rx_handshake(struct wgp_plane *plane, struct sk_buff *skb)
{
	u32 type = le32_to_cpu(((struct wgp_msg_header *)skb->data)->type);
	u8 verdict = WGP_RX_CB(skb)->state;
	struct wgp_source from;
	struct wgp_peer *peer;
	bool under_load;

	if (type == WGP_MSG_COOKIE) {
		if (wgp_cookie_reply_consume(plane, (void *)skb->data))
			wgp_count(plane, WGPLANES_CNT_DROP_HANDSHAKE_INVALID);
		else
			wgp_count(plane, WGPLANES_CNT_COOKIE_RX);
		return;
	}
	/*
	 * The initiator retries every REKEY_TIMEOUT and takes a cookie only
	 * for its latest message: no reply to an older one. What was queued
	 * before the plane went under load is checked as things are now.
	 */
	if (verdict == WGP_HS_COOKIE &&
	    time_after(jiffies, (unsigned long)WGP_RX_CB(skb)->stamp +
		       WGP_REKEY_TIMEOUT * HZ)) {
		wgp_count(plane, WGPLANES_CNT_DROP_HSQ_FULL);
		return;
	}
	under_load = verdict == WGP_HS_COOKIE ||
		     (verdict == WGP_HS_UNCHECKED &&
		      time_before(jiffies,
				  READ_ONCE(plane->eng.under_load_until)));
	if (!wgp_hs_worth(plane, skb, verdict, under_load))
		return;

	if (type == WGP_MSG_INITIATION)
		peer = wgp_noise_consume_initiation(plane, (void *)skb->data);
	else
		peer = wgp_noise_consume_response(plane, (void *)skb->data);
	if (!peer) {
		wgp_count(plane, WGPLANES_CNT_DROP_HANDSHAKE_INVALID);
		return;
	}
	wgp_socket_peer_authenticated(peer, wgp_socket_source_of(skb, &from) ?
					    NULL : &from, skb->len);
	wgp_timers_any_authenticated_packet_received(peer);
	wgp_timers_any_authenticated_packet_traversal(peer);
	wgp_link_count_rx(plane, skb->len);

	if (type == WGP_MSG_INITIATION) {
		wgp_count(plane, WGPLANES_CNT_HANDSHAKE_INIT_RX);
		wgp_send_handshake_response(peer);
	} else {
		wgp_count(plane, WGPLANES_CNT_HANDSHAKE_RESP_RX);
		if (!wgp_noise_begin_session(peer)) {
			wgp_timers_session_derived(peer);
			wgp_timers_handshake_complete(peer);
			/* confirms the session to the responder */
			wgp_request_keepalive(peer);
		}
	}
	wgp_peer_put(peer);
}

void wgp_handshake_rx_worker(struct work_struct *work)
{
	struct wgp_plane_engine *eng = container_of(work,
						    struct wgp_plane_engine,
						    hs_work);
	struct wgp_plane *plane = container_of(eng, struct wgp_plane, eng);
	struct sk_buff *skb;

	mutex_lock(&eng->hs_lock);
	wgp_plane_work_ran(plane);
	/*
	 * Each time round, what is to be consumed goes first; then the
	 * newest of those waiting for a cookie reply: a reply to an older
	 * one is more likely to come after its initiator sent another.
	 */
	while ((skb = skb_dequeue(&eng->hs_queue)) ||
	       (skb = skb_dequeue_tail(&eng->ck_queue))) {
		wgp_qbound_release(&eng->hsq, WGP_RX_CB(skb)->charge);
		wgp_rx_handshake(plane, skb);
		consume_skb(skb);
		cond_resched();
	}
	mutex_unlock(&eng->hs_lock);
}

/* Decrypts in place and strips header and tag; false if not authentic. */
static bool wgp_decrypt(struct sk_buff *skb, struct wgp_keypair *kp,
			u64 counter)
{
	struct scatterlist sg[WGP_MAX_SG];
	struct sk_buff *trailer;
	int nsg;

	__skb_pull(skb, WGP_DATA_HDR_LEN);
	nsg = skb_cow_data(skb, 0, &trailer);
	if (unlikely(nsg < 0 || nsg > WGP_MAX_SG))
		return false;
	sg_init_table(sg, nsg);
	if (skb_to_sgvec(skb, sg, 0, skb->len) <= 0)
		return false;
	if (!chacha20poly1305_decrypt_sg_inplace(sg, skb->len, NULL, 0,
						 counter, kp->recv_key))
		return false;
	return !pskb_trim(skb, skb->len - WGP_AUTHTAG_LEN);
}

/* The inner packet: its length, protocol and allowed source. */
static bool wgp_inner_ok(struct wgp_peer *peer, struct sk_buff *skb)
{
	struct wgp_plane *plane = peer->plane;
	struct wgp_peer *owner;
	unsigned int len;
	u8 version;

	if (!pskb_may_pull(skb, 1))
		goto bad_length;
	version = skb->data[0] >> 4;
	if (version == 4 && pskb_may_pull(skb, sizeof(struct iphdr))) {
		const struct iphdr *iph = (const struct iphdr *)skb->data;

		if (iph->ihl < 5)
			goto bad_type;
		len = ntohs(iph->tot_len);
		skb->protocol = htons(ETH_P_IP);
	} else if (version == 6 && pskb_may_pull(skb,
						 sizeof(struct ipv6hdr))) {
		len = ntohs(((const struct ipv6hdr *)skb->data)->payload_len) +
		      sizeof(struct ipv6hdr);
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		goto bad_type;
	}
	if (len > skb->len || pskb_trim(skb, len))
		goto bad_length;
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb_probe_transport_header(skb);

	rcu_read_lock_bh();
	owner = wgp_allowedips_lookup_src(&plane->allowedips, skb);
	rcu_read_unlock_bh();
	if (owner != peer) {
		wgp_count(plane, WGPLANES_CNT_DROP_ALLOWEDIPS);
		wgp_link_count_add(plane, WGP_LINK_RX_FRAME_ERRORS, 1);
		return false;
	}
	return true;
bad_type:
	wgp_count(plane, WGPLANES_CNT_DROP_BAD_PACKET);
	wgp_link_count_add(plane, WGP_LINK_RX_FRAME_ERRORS, 1);
	return false;
bad_length:
	wgp_count(plane, WGPLANES_CNT_DROP_BAD_PACKET);
	wgp_link_count_add(plane, WGP_LINK_RX_LENGTH_ERRORS, 1);
	return false;
}

/* Any CPU: what the message turns out to be (enum wgp_rx_state). */
static u8 wgp_rx_decrypt(struct sk_buff *skb)
{
	struct wgp_keypair *kp = WGP_RX_CB(skb)->keypair;
	u64 counter = WGP_RX_CB(skb)->counter;

	if (unlikely(wgp_older_than(READ_ONCE(kp->birth_ns),
				    WGP_REJECT_AFTER_TIME) ||
		     counter >= WGP_REJECT_AFTER_MESSAGES))
		return WGP_RX_EXPIRED;
	this_cpu_inc(kp->entry.peer->plane->eng.cpu_work->decrypted);
	if (unlikely(!wgp_decrypt(skb, kp, counter)))
		return WGP_RX_FORGED;
	return WGP_RX_AUTHENTIC;
}

/*
 * Decrypts a message of a peer's receive list and wakes the peer's receive
 * work, which takes the list's head while it is done. The peer cannot go
 * away before dec_pending drops: its removal waits.
 */
static void wgp_decrypt_one(struct sk_buff *skb)
{
	struct wgp_peer *peer = WGP_RX_CB(skb)->keypair->entry.peer;

	/* the receive work may take it, and free it, from here on */
	smp_store_release(&WGP_RX_CB(skb)->state, wgp_rx_decrypt(skb));
	wgp_peer_queue_work(peer, &peer->eng.rx_work);
	if (atomic_dec_and_test(&peer->eng.dec_pending))
		wake_up_var(&peer->eng.dec_pending);
}

void wgp_decrypt_worker(struct work_struct *work)
{
	struct wgp_crypt_cpu *cc = container_of(work, struct wgp_crypt_cpu,
						work);
	struct sk_buff *skb;

	wgp_plane_work_ran(cc->plane);
	while ((skb = ptr_ring_consume_bh(&cc->ring))) {
		wgp_decrypt_one(skb);
		cond_resched();
	}
}

/*
 * What the receive work learnt of its peer from a batch of authenticated
 * messages, applied once for the batch (wgp_rx_seen_apply()): where the
 * last came from, their bytes, and whether one carried data.
 */
struct wgp_rx_seen {
	struct wgp_source from;
	bool authentic, known, data;
	u64 bytes;
};

static void wgp_rx_seen_apply(struct wgp_peer *peer, struct wgp_rx_seen *seen)
{
	if (!seen->authentic)
		return;
	wgp_socket_peer_authenticated(peer, seen->known ? &seen->from : NULL,
				      seen->bytes);
	wgp_timers_any_authenticated_packet_received(peer);
	wgp_timers_any_authenticated_packet_traversal(peer);
	if (seen->data)
		wgp_timers_data_received(peer);
	seen->authentic = false;
	seen->data = false;
	seen->bytes = 0;
}

/*
 * The receive work, in arrival order: a decrypted message (@state) is
 * checked, accounted and returned when it is to be delivered; else it is
 * consumed.
 */
static struct sk_buff *wgp_rx_one(struct wgp_peer *peer,
				  struct wgp_keypair *kp, struct sk_buff *skb,
				  u64 counter, u8 state,
				  struct wgp_rx_seen *seen)
{
	struct wgp_plane *plane = peer->plane;
	unsigned int wire_len = WGP_RX_CB(skb)->wire_len;
	u8 outer_ds = WGP_RX_CB(skb)->ds;
	struct wgp_keypair *cur;

	if (unlikely(state == WGP_RX_EXPIRED)) {
		wgp_count(plane, WGPLANES_CNT_DROP_KEY_EXPIRED);
		goto junk;
	}
	if (unlikely(state != WGP_RX_AUTHENTIC)) {
		wgp_count(plane, WGPLANES_CNT_DROP_DECRYPT);
		goto junk;
	}
	if (unlikely(!wgp_replay_check(&kp->replay, counter))) {
		wgp_count(plane, WGPLANES_CNT_DROP_REPLAY);
		goto junk;
	}

	/* authentic from here on */
	seen->authentic = true;
	seen->known = !wgp_socket_source_of(skb, &seen->from);
	seen->bytes += wire_len;
	if (skb->len)
		seen->data = true;
	if (wgp_keypair_received_with(peer, kp)) {
		/* the endpoint first: the transmit work sends to it now */
		wgp_rx_seen_apply(peer, seen);
		wgp_timers_handshake_complete(peer);
		/* what waited for the confirmed keypair can go now */
		wgp_peer_queue_work(peer, &peer->eng.tx_work);
	}

	/* the initiator renews keys before the receive side must reject */
	rcu_read_lock_bh();
	cur = rcu_dereference_bh(peer->eng.keypairs.current_kp);
	if (cur == kp && kp->i_am_initiator &&
	    wgp_older_than(READ_ONCE(kp->birth_ns), WGP_REJECT_AFTER_TIME -
			   WGP_KEEPALIVE_TIMEOUT - WGP_REKEY_TIMEOUT) &&
	    !test_and_set_bit(WGP_PF_LASTMINUTE_HS, &peer->eng.flags))
		wgp_request_handshake(peer, false);
	rcu_read_unlock_bh();

	if (!skb->len) {
		/* a keepalive: valid, but not a packet of the device */
		wgp_count(plane, WGPLANES_CNT_RX_KEEPALIVES);
		wgp_link_count_rx(plane, wire_len);
		consume_skb(skb);
		return NULL;
	}

	if (!wgp_inner_ok(peer, skb))
		goto drop;
	/* congestion seen outside is congestion of the inner packet */
	if (INET_ECN_is_ce(outer_ds)) {
		if (skb->protocol == htons(ETH_P_IP))
			IP_ECN_set_ce(ip_hdr(skb));
		else
			IP6_ECN_set_ce(skb, ipv6_hdr(skb));
	}

	/*
	 * The inner packet owes nothing to the outer one: no route,
	 * conntrack, mark, secpath or other extension, delivery time,
	 * redirect bits, flow hash (the outer flow's) or priority.
	 */
	skb_scrub_packet(skb, true);
	skb_reset_redirect(skb);
	skb_clear_hash(skb);
	skb->priority = 0;
	skb->dev = plane->dev;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;
	wgp_link_count_rx(plane, wire_len);
	wgp_count(plane, WGPLANES_CNT_RX_PACKETS);
	wgp_count_add(plane, WGPLANES_CNT_RX_BYTES, skb->len);
	return skb;

junk:
	/* the guard charged it as traffic: its peer's junk budget pays */
	wgp_guard_rx_junk(peer, wire_len);
drop:
	kfree_skb(skb);
	return NULL;
}

/* Handing packets to GRO in batches lets it merge them. */
#define WGP_RX_BATCH	64

static void wgp_rx_deliver(struct wgp_plane *plane, struct sk_buff_head *q)
{
	struct sk_buff *skb;

	local_bh_disable();
	while ((skb = __skb_dequeue(q)))
		gro_cells_receive(&plane->eng.gro, skb);
	local_bh_enable();
}

/*
 * Takes up to max messages off the receive list's head while they are
 * decrypted (or for us to decrypt), in order, under one lock.
 */
static unsigned int wgp_rx_take_ready(struct sk_buff_head *list,
				      struct sk_buff_head *ready,
				      unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	spin_lock_bh(&list->lock);
	while (n < max && (skb = skb_peek(list))) {
		/* pairs with the release in wgp_decrypt_one(): its bytes */
		if (smp_load_acquire(&WGP_RX_CB(skb)->state) ==
		    WGP_RX_DECRYPTING)
			break;
		__skb_unlink(skb, list);
		__skb_queue_tail(ready, skb);
		n++;
	}
	spin_unlock_bh(&list->lock);
	return n;
}

void wgp_packet_rx_worker(struct work_struct *work)
{
	struct wgp_peer *peer = container_of(work, struct wgp_peer,
					     eng.rx_work);
	struct wgp_plane *plane = peer->plane;
	struct sk_buff_head ready, batch;
	struct wgp_rx_seen seen = {};
	struct wgp_keypair *kp;
	struct sk_buff *skb;
	u64 counter;
	u8 state;

	__skb_queue_head_init(&ready);
	__skb_queue_head_init(&batch);
	mutex_lock(&peer->eng.rx_lock);
	wgp_plane_work_ran(plane);
	while (wgp_rx_take_ready(&peer->eng.rx_queue, &ready, WGP_RX_BATCH)) {
		while ((skb = __skb_dequeue(&ready))) {
			wgp_qbound_release(&plane->eng.decq,
					   WGP_RX_CB(skb)->charge);
			/* no longer written: it was off every ring */
			state = WGP_RX_CB(skb)->state;
			if (state == WGP_RX_UNDONE)
				state = wgp_rx_decrypt(skb);
			kp = WGP_RX_CB(skb)->keypair;
			counter = WGP_RX_CB(skb)->counter;
			skb = wgp_rx_one(peer, kp, skb, counter, state, &seen);
			wgp_keypair_put(kp);
			if (skb)
				__skb_queue_tail(&batch, skb);
		}
		wgp_rx_seen_apply(peer, &seen);
		wgp_rx_deliver(plane, &batch);
		cond_resched();
	}
	mutex_unlock(&peer->eng.rx_lock);
}

void wgp_rx_drop_queued(struct wgp_peer *peer, struct sk_buff *skb,
			enum wgplanes_counter reason)
{
	wgp_qbound_release(&peer->plane->eng.decq, WGP_RX_CB(skb)->charge);
	wgp_keypair_put(WGP_RX_CB(skb)->keypair);
	wgp_count(peer->plane, reason);
	kfree_skb(skb);
}

/* The guard's timer (softirq), under its lock. */
void wgp_rx_release(struct wgp_peer *peer, struct sk_buff *skb)
{
	rcu_read_lock_bh();
	if (likely(wgp_peer_alive(peer))) {
		wgp_rx_dispatch(peer, skb);
	} else {
		/* stopping: its queues are purged after this section */
		wgp_rx_drop_queued(peer, skb, WGPLANES_CNT_DROP_NO_KEYPAIR);
	}
	rcu_read_unlock_bh();
}

void wgp_rx_queue_purge(struct wgp_peer *peer)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&peer->eng.rx_queue)))
		wgp_rx_drop_queued(peer, skb, WGPLANES_CNT_DROP_NO_KEYPAIR);
}

void wgp_hs_queue_purge(struct wgp_plane_engine *eng)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&eng->hs_queue)) ||
	       (skb = skb_dequeue(&eng->ck_queue))) {
		wgp_qbound_release(&eng->hsq, WGP_RX_CB(skb)->charge);
		kfree_skb(skb);
	}
}
