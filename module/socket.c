// SPDX-License-Identifier: GPL-2.0
/*
 * Per-plane UDP sockets and the outer transmit path. Routes to a peer are
 * cached per peer (dst_cache), together with the source address the peer
 * last reached us at, so that replies leave from the address the peer knows
 * ("sticky" source) until routing says otherwise.
 */
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/inetdevice.h>
#include <net/udp_tunnel.h>
#include <net/ipv6_stubs.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/inet_sock.h>

#include "device.h"
#include "peer.h"
#include "engine.h"
#include "socket.h"
#include "queueing.h"

/*
 * The route cache of a peer is only valid for the endpoint and source it was
 * filled for. Every change of those bumps ep_gen under ep_lock; a sender
 * looks up and fills the cache under ep_lock only while the generation it
 * started with is current, so a send that raced with roaming can neither
 * use nor store a route of the old endpoint (possibly of the other family).
 */
struct wgp_route_cache {
	struct wgp_peer_engine *eng;
	u32 gen;
};

static struct dst_entry *wgp_cache_get(const struct wgp_route_cache *rc,
				       bool v6, void *saddr)
{
	struct dst_entry *dst = NULL;

	if (!rc)
		return NULL;
	spin_lock(&rc->eng->ep_lock);
	if (rc->eng->ep_gen == rc->gen) {
		if (v6)
			dst = dst_cache_get_ip6(&rc->eng->dst_cache, saddr);
		else
			dst = (struct dst_entry *)
			      dst_cache_get_ip4(&rc->eng->dst_cache, saddr);
	}
	spin_unlock(&rc->eng->ep_lock);
	return dst;
}

static void wgp_cache_set(const struct wgp_route_cache *rc, bool v6,
			  struct dst_entry *dst, const void *saddr)
{
	if (!rc)
		return;
	spin_lock(&rc->eng->ep_lock);
	if (rc->eng->ep_gen == rc->gen) {
		if (v6)
			dst_cache_set_ip6(&rc->eng->dst_cache, dst, saddr);
		else
			dst_cache_set_ip4(&rc->eng->dst_cache, dst,
					  *(const __be32 *)saddr);
	}
	spin_unlock(&rc->eng->ep_lock);
}

/*
 * The outer packet is the plane's: it keeps no priority or delivery time
 * of the inner one (a qdisc of the outer link would act on them).
 */
static void wgp_outer_reset(struct sk_buff *skb, u32 mark)
{
	skb->ignore_df = 1;
	skb->mark = mark;
	skb->priority = 0;
	skb_set_delivery_time(skb, 0, 0);
}

/* Under rcu_read_lock_bh(); consumes skb. */
static int wgp_send4(struct wgp_plane *plane, struct sk_buff *skb,
		     const struct sockaddr_in *ep, __be32 *src,
		     const struct wgp_route_cache *rc, u8 ds)
{
	struct flowi4 fl = {
		.saddr = *src,
		.daddr = ep->sin_addr.s_addr,
		.fl4_dport = ep->sin_port,
		.flowi4_mark = READ_ONCE(plane->fwmark),
		.flowi4_proto = IPPROTO_UDP,
	};
	struct rtable *rt;
	struct socket *sock;
	struct sock *sk;
	int ret;

	sock = rcu_dereference_bh(plane->eng.sock4);
	if (unlikely(!sock)) {
		ret = -ENONET;
		goto err;
	}
	sk = sock->sk;
	fl.fl4_sport = inet_sk(sk)->inet_sport;
	rt = (struct rtable *)wgp_cache_get(rc, false, &fl.saddr);
	if (!rt) {
		/* a sticky source that is no longer ours is forgotten */
		if (fl.saddr && !inet_confirm_addr(sock_net(sk), NULL, 0,
						   fl.saddr, RT_SCOPE_HOST))
			fl.saddr = 0;
		rt = ip_route_output_flow(sock_net(sk), &fl, sk);
		if (PTR_ERR(rt) == -EINVAL && fl.saddr) {
			fl.saddr = 0;
			rt = ip_route_output_flow(sock_net(sk), &fl, sk);
		}
		if (IS_ERR(rt)) {
			ret = PTR_ERR(rt);
			goto err;
		}
		if (unlikely(rt->dst.dev == plane->dev)) {
			ip_rt_put(rt);
			ret = -ELOOP;
			goto err;
		}
		wgp_cache_set(rc, false, &rt->dst, &fl.saddr);
	}
	*src = fl.saddr;
	wgp_outer_reset(skb, fl.flowi4_mark);
	/* no tunnel statistics of ours for iptunnel_xmit() to update */
	skb->dev = NULL;
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, ds,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, false);
	return 0;

err:
	kfree_skb(skb);
	return ret;
}

/* Under rcu_read_lock_bh(); consumes skb. */
static int wgp_send6(struct wgp_plane *plane, struct sk_buff *skb,
		     const struct sockaddr_in6 *ep, struct in6_addr *src,
		     const struct wgp_route_cache *rc, u8 ds)
{
	struct flowi6 fl = {
		.saddr = *src,
		.daddr = ep->sin6_addr,
		.fl6_dport = ep->sin6_port,
		.flowi6_mark = READ_ONCE(plane->fwmark),
		.flowi6_oif = ep->sin6_scope_id,
		.flowi6_proto = IPPROTO_UDP,
	};
	struct dst_entry *dst;
	struct socket *sock;
	struct sock *sk;
	int ret;

	sock = rcu_dereference_bh(plane->eng.sock6);
	if (unlikely(!sock)) {
		ret = -ENONET;
		goto err;
	}
	sk = sock->sk;
	fl.fl6_sport = inet_sk(sk)->inet_sport;
	dst = wgp_cache_get(rc, true, &fl.saddr);
	if (!dst) {
		if (!ipv6_addr_any(&fl.saddr) &&
		    !ipv6_chk_addr(sock_net(sk), &fl.saddr, NULL, 0))
			fl.saddr = in6addr_any;
		dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl,
						      NULL);
		if (IS_ERR(dst)) {
			ret = PTR_ERR(dst);
			goto err;
		}
		if (unlikely(dst->dev == plane->dev)) {
			dst_release(dst);
			ret = -ELOOP;
			goto err;
		}
		wgp_cache_set(rc, true, dst, &fl.saddr);
	}
	*src = fl.saddr;
	wgp_outer_reset(skb, fl.flowi6_mark);
	skb->dev = NULL;
	udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &fl.saddr, &fl.daddr, ds,
			     ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
			     fl.fl6_dport, false);
	return 0;

err:
	kfree_skb(skb);
	return ret;
}

/* Under rcu_read_lock_bh(); consumes skb. */
static int wgp_send(struct wgp_plane *plane, struct sk_buff *skb,
		    const union wgp_endpoint *ep, union wgp_src *src,
		    const struct wgp_route_cache *rc, u8 ds)
{
	if (ep->addr.sa_family == AF_INET)
		return wgp_send4(plane, skb, &ep->addr4, &src->v4, rc, ds);
	if (ep->addr.sa_family == AF_INET6)
		return wgp_send6(plane, skb, &ep->addr6, &src->v6, rc, ds);
	kfree_skb(skb);
	return -EDESTADDRREQ;
}

static bool wgp_endpoint_eq(const union wgp_endpoint *a,
			    const struct sockaddr_in6 *b6)
{
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b6;

	if (a->addr.sa_family != b6->sin6_family)
		return false;
	switch (a->addr.sa_family) {
	case AF_INET:
		return a->addr4.sin_port == b4->sin_port &&
		       a->addr4.sin_addr.s_addr == b4->sin_addr.s_addr;
	case AF_INET6:
		return a->addr6.sin6_port == b6->sin6_port &&
		       ipv6_addr_equal(&a->addr6.sin6_addr, &b6->sin6_addr) &&
		       a->addr6.sin6_scope_id == b6->sin6_scope_id;
	}
	return true;
}

static void wgp_endpoint_cache(struct sockaddr_in6 *c,
			       const union wgp_endpoint *ep)
{
	memset(c, 0, sizeof(*c));
	if (ep->addr.sa_family == AF_INET)
		memcpy(c, &ep->addr4, sizeof(ep->addr4));
	else if (ep->addr.sa_family == AF_INET6)
		*c = ep->addr6;
}

/* Under ep_lock: the cached route and source are for another endpoint. */
static void wgp_route_forget(struct wgp_peer_engine *eng)
{
	eng->ep_gen++;
	memset(&eng->src, 0, sizeof(eng->src));
	dst_cache_reset(&eng->dst_cache);
}

/*
 * The endpoint, the source address and the route's generation are read
 * once for a batch, and what was sent is counted once: one lock round per
 * batch rather than three per packet.
 */
void wgp_socket_batch_begin(struct wgp_peer *peer, struct wgp_send_batch *b)
{
	struct wgp_peer_engine *eng = &peer->eng;

	b->peer = peer;
	b->bytes = 0;
	spin_lock_bh(&eng->ep_lock);
	/* read under ep_lock: roaming changes both under it */
	wgp_peer_get_endpoint(peer, &b->ep);
	if (!wgp_endpoint_eq(&b->ep, &eng->cached_ep)) {
		wgp_endpoint_cache(&eng->cached_ep, &b->ep);
		wgp_route_forget(eng);
	}
	memcpy(&b->src, &eng->src, sizeof(b->src));
	b->gen = eng->ep_gen;
	spin_unlock_bh(&eng->ep_lock);
}

/* Under rcu_read_lock_bh(), the batch's one BH-off section. */
int wgp_socket_batch_send(struct wgp_send_batch *b, struct sk_buff *skb,
			  u8 ds)
{
	struct wgp_route_cache rc = { .eng = &b->peer->eng, .gen = b->gen };
	unsigned int len = skb->len;
	int ret;

	ret = wgp_send(b->peer->plane, skb, &b->ep, &b->src, &rc, ds);
	if (!ret)
		b->bytes += len;
	return ret;
}

void wgp_socket_batch_end(struct wgp_send_batch *b)
{
	struct wgp_peer_engine *eng = &b->peer->eng;

	if (!b->bytes)
		return;
	spin_lock_bh(&eng->ep_lock);
	if (eng->ep_gen == b->gen)
		memcpy(&eng->src, &b->src, sizeof(b->src));
	WRITE_ONCE(b->peer->tx_bytes, b->peer->tx_bytes + b->bytes);
	spin_unlock_bh(&eng->ep_lock);
}

int wgp_socket_send_skb_to_peer(struct wgp_peer *peer, struct sk_buff *skb,
				u8 ds)
{
	struct wgp_send_batch b;
	int ret;

	wgp_socket_batch_begin(peer, &b);
	rcu_read_lock_bh();
	ret = wgp_socket_batch_send(&b, skb, ds);
	rcu_read_unlock_bh();
	wgp_socket_batch_end(&b);
	return ret;
}

static struct sk_buff *wgp_buffer_skb(const void *buf, size_t len)
{
	struct sk_buff *skb = alloc_skb(len + WGP_SEND_HEADROOM, GFP_ATOMIC);

	if (!skb)
		return NULL;
	skb_reserve(skb, WGP_SEND_HEADROOM);
	skb_set_inner_network_header(skb, 0);
	skb_put_data(skb, buf, len);
	return skb;
}

int wgp_socket_send_buffer_to_peer(struct wgp_peer *peer, const void *buf,
				   size_t len, u8 ds)
{
	struct sk_buff *skb = wgp_buffer_skb(buf, len);

	if (!skb)
		return -ENOMEM;
	return wgp_socket_send_skb_to_peer(peer, skb, ds);
}

int wgp_socket_source_of(struct sk_buff *skb, struct wgp_source *s)
{
	union wgp_endpoint *ep = &s->ep;
	union wgp_src *local = &s->local;

	memset(ep, 0, sizeof(*ep));
	memset(local, 0, sizeof(*local));
	if (skb->protocol == htons(ETH_P_IP)) {
		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_port = udp_hdr(skb)->source;
		ep->addr4.sin_addr.s_addr = ip_hdr(skb)->saddr;
		local->v4 = ip_hdr(skb)->daddr;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_port = udp_hdr(skb)->source;
		ep->addr6.sin6_addr = ipv6_hdr(skb)->saddr;
		ep->addr6.sin6_scope_id =
			ipv6_iface_scope_id(&ipv6_hdr(skb)->saddr,
					    skb->skb_iif);
		local->v6 = ipv6_hdr(skb)->daddr;
	} else {
		return -EINVAL;
	}
	return 0;
}

int wgp_socket_send_reply(struct wgp_plane *plane, struct sk_buff *in_skb,
			  const void *buf, size_t len)
{
	struct wgp_source from;
	struct sk_buff *skb;
	int ret;

	if (wgp_socket_source_of(in_skb, &from))
		return -EINVAL;
	skb = wgp_buffer_skb(buf, len);
	if (!skb)
		return -ENOMEM;
	rcu_read_lock_bh();
	ret = wgp_send(plane, skb, &from.ep, &from.local, NULL, 0);
	rcu_read_unlock_bh();
	return ret;
}

/*
 * The peer's endpoint and our sticky source follow the last authenticated
 * packet at once, and the route cached for the old ones is dropped. The
 * bytes are counted under the lock the transmit side counts under: the
 * handshake work and the receive work may count at once.
 */
void wgp_socket_peer_authenticated(struct wgp_peer *peer,
				   const struct wgp_source *from, u64 bytes)
{
	struct wgp_peer_engine *eng = &peer->eng;
	union wgp_endpoint cur;
	struct sockaddr_in6 c;

	spin_lock_bh(&eng->ep_lock);
	WRITE_ONCE(peer->rx_bytes, peer->rx_bytes + bytes);
	if (!from)
		goto out;
	wgp_peer_get_endpoint(peer, &cur);
	wgp_endpoint_cache(&c, &cur);
	if (!wgp_endpoint_eq(&from->ep, &c) ||
	    memcmp(&eng->src, &from->local, sizeof(from->local))) {
		if (!wgp_endpoint_eq(&from->ep, &c))
			wgp_peer_set_endpoint(peer, &from->ep);
		wgp_endpoint_cache(&eng->cached_ep, &from->ep);
		wgp_route_forget(eng);
		memcpy(&eng->src, &from->local, sizeof(from->local));
	}
out:
	spin_unlock_bh(&eng->ep_lock);
}

void wgp_socket_clear_peer_src(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;

	spin_lock_bh(&eng->ep_lock);
	wgp_route_forget(eng);
	spin_unlock_bh(&eng->ep_lock);
}

void wgp_socket_set_fwmark(struct wgp_plane *plane, u32 mark)
{
	struct wgp_peer *peer;

	lockdep_assert_held(&plane->conf_lock);
	if (READ_ONCE(plane->fwmark) == mark)
		return;
	/*
	 * Mark first: a send that sees the new route generation under
	 * ep_lock reads the new mark; one that started before cannot store
	 * the route it looks up with the old mark.
	 */
	WRITE_ONCE(plane->fwmark, mark);
	list_for_each_entry(peer, &plane->peer_list, plane_list) {
		wgp_socket_clear_peer_src(peer);
		cond_resched();
	}
}

static void wgp_sock_tune(struct socket *sock)
{
	struct sock *sk = sock->sk;

	/* sends happen in atomic context and never wait for buffer space */
	sk->sk_allocation = GFP_ATOMIC;
	sk->sk_sndbuf = INT_MAX;
}

/* Under sock_lock: new sockets bound to port (0: one random port). */
static int wgp_socks_create(struct wgp_plane *plane, struct net *net,
			    u16 port, struct socket **s4, struct socket **s6)
{
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = plane,
		.encap_type = 1,
		.encap_rcv = wgp_receive,
	};
	struct udp_port_cfg cfg4 = {
		.family = AF_INET,
		.local_ip.s_addr = htonl(INADDR_ANY),
		.use_udp_checksums = true,
	};
	struct udp_port_cfg cfg6 = {
		.family = AF_INET6,
		.local_ip6 = IN6ADDR_ANY_INIT,
		.use_udp6_tx_checksums = true,
		.use_udp6_rx_checksums = true,
		.ipv6_v6only = true,
	};
	unsigned int tries = 0;
	int ret;

retry:
	*s4 = NULL;
	*s6 = NULL;
	cfg4.local_udp_port = htons(port);
	ret = udp_sock_create4(net, &cfg4, s4);
	if (ret)
		return ret;
	wgp_sock_tune(*s4);

	/* the IPv6 socket takes the port the IPv4 one got */
	cfg6.local_udp_port = inet_sk((*s4)->sk)->inet_sport;
	ret = udp_sock_create6(net, &cfg6, s6);
	if (ret && ret != -EAFNOSUPPORT) {
		udp_tunnel_sock_release(*s4);
		*s4 = NULL;
		if (ret == -EADDRINUSE && !port && ++tries < 100)
			goto retry;
		return ret;
	}
	if (ret)
		*s6 = NULL;		/* IPv6 disabled: IPv4 only */
	else
		wgp_sock_tune(*s6);

	setup_udp_tunnel_sock(net, *s4, &tcfg);
	if (*s6)
		setup_udp_tunnel_sock(net, *s6, &tcfg);
	return 0;
}

static void wgp_socks_release(struct socket *s4, struct socket *s6)
{
	/* senders and receivers work under RCU-bh */
	synchronize_net();
	if (s4)
		udp_tunnel_sock_release(s4);
	if (s6)
		udp_tunnel_sock_release(s6);
}

static void wgp_socks_swap(struct wgp_plane *plane, struct socket *s4,
			   struct socket *s6, struct socket **old4,
			   struct socket **old6)
{
	struct wgp_plane_engine *eng = &plane->eng;

	*old4 = rcu_dereference_protected(eng->sock4,
					  lockdep_is_held(&eng->sock_lock));
	*old6 = rcu_dereference_protected(eng->sock6,
					  lockdep_is_held(&eng->sock_lock));
	rcu_assign_pointer(eng->sock4, s4);
	rcu_assign_pointer(eng->sock6, s6);
	if (s4)
		WRITE_ONCE(plane->listen_port,
			   ntohs(inet_sk(s4->sk)->inet_sport));
}

int wgp_socket_open(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct socket *s4, *s6, *o4, *o6;
	int ret = 0;

	mutex_lock(&eng->sock_lock);
	eng->sockets_wanted = true;
	/* the birth namespace is gone: the plane stays up, without sockets */
	if (!plane->creating_net)
		goto out;
	ret = wgp_socks_create(plane, plane->creating_net,
			       READ_ONCE(plane->listen_port), &s4, &s6);
	if (ret) {
		eng->sockets_wanted = false;
		goto out;
	}
	wgp_socks_swap(plane, s4, s6, &o4, &o6);
	mutex_unlock(&eng->sock_lock);
	wgp_socks_release(o4, o6);
	return 0;
out:
	mutex_unlock(&eng->sock_lock);
	return ret;
}

void wgp_socket_close(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct socket *o4, *o6;

	mutex_lock(&eng->sock_lock);
	eng->sockets_wanted = false;
	wgp_socks_swap(plane, NULL, NULL, &o4, &o6);
	mutex_unlock(&eng->sock_lock);
	wgp_socks_release(o4, o6);
}

int wgp_socket_reinit(struct wgp_plane *plane, u16 port)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct socket *s4, *s6, *o4, *o6;
	int ret;

	mutex_lock(&eng->sock_lock);
	if (!eng->sockets_wanted || !plane->creating_net) {
		WRITE_ONCE(plane->listen_port, port);
		mutex_unlock(&eng->sock_lock);
		return 0;
	}
	o4 = rcu_dereference_protected(eng->sock4,
				       lockdep_is_held(&eng->sock_lock));
	if (port && o4 && ntohs(inet_sk(o4->sk)->inet_sport) == port) {
		mutex_unlock(&eng->sock_lock);
		return 0;
	}
	ret = wgp_socks_create(plane, plane->creating_net, port, &s4, &s6);
	if (ret) {
		mutex_unlock(&eng->sock_lock);
		return ret;
	}
	wgp_socks_swap(plane, s4, s6, &o4, &o6);
	mutex_unlock(&eng->sock_lock);
	wgp_socks_release(o4, o6);
	return 0;
}

/* pernet pre_exit: the creating namespace of plane is going away. */
void wgp_socket_net_exit(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct socket *o4, *o6;

	mutex_lock(&eng->sock_lock);
	wgp_socks_swap(plane, NULL, NULL, &o4, &o6);
	plane->creating_net = NULL;
	mutex_unlock(&eng->sock_lock);
	wgp_socks_release(o4, o6);
}
