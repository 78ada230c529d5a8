/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UDP sockets of a plane (IPv4 and IPv6, same port) in the plane's
 * creating namespace, and sending to peers and endpoints.
 */
#ifndef _WGP_SOCKET_H
#define _WGP_SOCKET_H

#include <linux/types.h>
#include <linux/in6.h>

#include "peer.h"

struct sk_buff;
struct wgp_plane;

/* A source address of ours, of either family */
union wgp_src {
	__be32 v4;
	struct in6_addr v6;
};

/* Room for the outer IPv6 + UDP headers in front of a message. */
#define WGP_SEND_HEADROOM	(LL_MAX_HEADER + 40 + 8)

/* ndo_open / ndo_stop */
int wgp_socket_open(struct wgp_plane *plane);
void wgp_socket_close(struct wgp_plane *plane);
/*
 * For netlink when the listen port changes: rebinds the sockets of a plane
 * that is up to port (0: random) and stores the port that was bound in
 * plane->listen_port. A plane that is down only stores port. On error the
 * old sockets and port stay. May sleep; call with plane->conf_lock held or
 * not, never from the datapath.
 */
int wgp_socket_reinit(struct wgp_plane *plane, u16 port);
/*
 * For netlink, under plane->conf_lock: a new fwmark for the outer packets.
 * Every peer's cached route and sticky source address are forgotten, so
 * the next packet to each peer is routed with the new mark.
 */
void wgp_socket_set_fwmark(struct wgp_plane *plane, u32 mark);
/* The creating namespace of plane goes away: close, forget it. */
void wgp_socket_net_exit(struct wgp_plane *plane);

/*
 * A batch of packets to one peer, sent in order by its send work:
 * wgp_socket_batch_begin(), then wgp_socket_batch_send() for each packet
 * (consumes it; 0 or an error) under one rcu_read_lock_bh(), then
 * wgp_socket_batch_end().
 */
struct wgp_send_batch {
	struct wgp_peer *peer;
	union wgp_endpoint ep;
	union wgp_src src;
	u32 gen;
	u64 bytes;
};

void wgp_socket_batch_begin(struct wgp_peer *peer, struct wgp_send_batch *b);
int wgp_socket_batch_send(struct wgp_send_batch *b, struct sk_buff *skb,
			  u8 ds);
void wgp_socket_batch_end(struct wgp_send_batch *b);

/* All consume skb. */
int wgp_socket_send_skb_to_peer(struct wgp_peer *peer, struct sk_buff *skb,
				u8 ds);
int wgp_socket_send_buffer_to_peer(struct wgp_peer *peer, const void *buf,
				   size_t len, u8 ds);
/* Answers the sender of in_skb from the address it was sent to. */
int wgp_socket_send_reply(struct wgp_plane *plane, struct sk_buff *in_skb,
			  const void *buf, size_t len);

/* Where a received packet came from, and the address it was sent to */
struct wgp_source {
	union wgp_endpoint ep;
	union wgp_src local;
};

int wgp_socket_source_of(struct sk_buff *skb, struct wgp_source *from);
/*
 * Authenticated packets of @bytes came from the peer, the last of them
 * from @from (NULL: not known): roaming, and transfer_rx.
 */
void wgp_socket_peer_authenticated(struct wgp_peer *peer,
				   const struct wgp_source *from, u64 bytes);
/* Forgets the sticky source address (the route may have changed). */
void wgp_socket_clear_peer_src(struct wgp_peer *peer);

#endif /* _WGP_SOCKET_H */
