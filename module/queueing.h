/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datapath entry points: transmit (ndo_start_xmit, per-peer encryption
 * work), receive (the sockets' encap_rcv, the plane's handshake work and
 * per-peer decryption work) and what passes between them in skb->cb.
 */
#ifndef _WGP_QUEUEING_H
#define _WGP_QUEUEING_H

#include <linux/skbuff.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/wgplanes.h>

struct sock;
struct wgp_peer;
struct wgp_keypair;

/* A received data message waiting for decryption. */
/* A received message waiting: data for decryption, or a handshake. */
/* A data message on its peer's receive list. */
enum wgp_rx_state {
	WGP_RX_DECRYPTING,	/* on a decryption ring */
	WGP_RX_UNDONE,		/* no ring had room: the receive work decrypts */
	WGP_RX_AUTHENTIC,	/* decrypted, header and tag stripped */
	WGP_RX_EXPIRED,		/* its keypair is too old: not decrypted */
	WGP_RX_FORGED,		/* not authentic */
};

/* What the admission found of a handshake message (wgp_rx_cb.state). */
enum wgp_hs_verdict {
	WGP_HS_UNCHECKED,	/* not under load: all is checked in the work */
	WGP_HS_MAC2,		/* under load: mac2 held, within the rate limit */
	WGP_HS_COOKIE,		/* under load, no valid mac2: a cookie reply */
};

struct wgp_rx_cb {
	struct wgp_keypair *keypair;	/* a reference; data only */
	u64 counter;
	u64 stamp;			/* ns, when the guard delayed it */
	unsigned int charge;		/* to its queue's bound (qbound.h) */
	unsigned int wire_len;		/* the message's, as it came */
	u8 ds;				/* of the outer header, for ECN */
	/* enum wgp_rx_state, release/acquire; handshakes: wgp_hs_verdict */
	u8 state;
};

#define WGP_RX_CB(skb) ((struct wgp_rx_cb *)(skb)->cb)

/* A packet on its way out, from the transmit work to the send work. */
enum wgp_tx_state {
	WGP_TX_ENCRYPTING,
	WGP_TX_READY,		/* encrypted: may be sent */
	WGP_TX_FAILED,		/* could not be encrypted: counted, dropped */
};

struct wgp_tx_cb {
	struct wgp_keypair *keypair;	/* a reference */
	u64 nonce;
	unsigned int plain_len;		/* inner length, for the counters */
	unsigned int mtu;		/* of its route: padding stays within */
	unsigned int charge;		/* to the plane's encq (qbound.h) */
	u8 waits;			/* charged to waitq instead */
	u8 ds;				/* outer DS field, for ECN */
	u8 state;			/* enum wgp_tx_state; release/acquire */
};

#define WGP_TX_CB(skb) ((struct wgp_tx_cb *)(skb)->cb)

/* receive.c */
int wgp_receive(struct sock *sk, struct sk_buff *skb);
void wgp_handshake_rx_worker(struct work_struct *work);
void wgp_packet_rx_worker(struct work_struct *work);
void wgp_decrypt_worker(struct work_struct *work);
void wgp_rx_queue_purge(struct wgp_peer *peer);
/* A data message the guard delayed: to decryption, or dropped. */
void wgp_rx_release(struct wgp_peer *peer, struct sk_buff *skb);
void wgp_rx_drop_queued(struct wgp_peer *peer, struct sk_buff *skb,
			enum wgplanes_counter reason);
struct wgp_plane_engine;
void wgp_hs_queue_purge(struct wgp_plane_engine *eng);

/* send.c */
netdev_tx_t wgp_xmit(struct sk_buff *skb, struct net_device *dev);
void wgp_packet_tx_worker(struct work_struct *work);
void wgp_packet_send_worker(struct work_struct *work);
void wgp_encrypt_worker(struct work_struct *work);
/* Drops what is in flight; no encryption ring holds any of it. */
void wgp_inflight_purge(struct wgp_peer *peer, enum wgplanes_counter reason);
void wgp_handshake_tx_worker(struct work_struct *work);
/* Asks the peer's handshake work for a new (or a repeated) initiation. */
void wgp_request_handshake(struct wgp_peer *peer, bool retry);
/* Drops what is staged for the peer, counting it as reason. */
void wgp_staged_purge(struct wgp_peer *peer, enum wgplanes_counter reason);
/* Sends what is staged, or a keepalive if nothing is. */
void wgp_request_keepalive(struct wgp_peer *peer);
void wgp_send_handshake_response(struct wgp_peer *peer);

#endif /* _WGP_QUEUEING_H */
