// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the allowed IPs trie against a naive reference: an array of
 * prefixes searched linearly. Crafted edge cases first, then random
 * operations on prefixes drawn near a few base addresses, so that prefixes
 * overlap and nest and longest-prefix match decides most lookups.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/socket.h>

#include "allowedips.h"
#include "peer.h"
#include "selftest.h"

#define ST_PEERS	6
#define ST_MAX_REF	2048
#define ST_BASES	4
#define ST_INSERTS	600
#define ST_LOOKUPS	600

struct st_ref {
	u8 bits[16];
	u8 cidr;
	u8 maxbits;
	bool used;
	struct wgp_peer *peer;
	u64 stamp;		/* order in the owner's list */
};

struct st_ctx {
	struct wgp_allowedips t;
	struct mutex lock;	/* the writer lock of t */
	struct wgp_peer peer[ST_PEERS];
	struct st_ref *ref;
	unsigned int nref;
	u64 stamp;
	u8 base4[ST_BASES][16], base6[ST_BASES][16];
	unsigned long checks;
};

static int __init __printf(1, 2) st_fail(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("allowedips self-test: %pV\n", &vaf);
	va_end(args);
	return -EINVAL;
}

bool __init wgp_st_ok(unsigned long *checks, bool ok, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	(*checks)++;
	if (ok)
		return true;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("%pV\n", &vaf);
	va_end(args);
	return false;
}

#define st_ok(c, ok, fmt, ...) \
	wgp_st_ok(&(c)->checks, ok, "allowedips self-test: " fmt, \
		  ##__VA_ARGS__)

static u32 __init st_rand(u32 n)
{
	return get_random_u32() % n;
}

/* Reference helpers: byte-wise, deliberately unlike the trie's code. */
static u8 __init st_mask_byte(unsigned int cidr, unsigned int i)
{
	if (cidr >= (i + 1) * 8)
		return 0xff;
	if (cidr > i * 8)
		return (u8)~(0xff >> (cidr - i * 8));
	return 0;
}

static void __init st_mask(u8 *dst, const u8 *src, u8 cidr)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		dst[i] = cidr > i * 8 ? src[i] & st_mask_byte(cidr, i) : 0;
}

/* dst: the first cidr bits of key, random bits after them. */
static void __init st_fill_host(u8 *dst, const u8 *key, unsigned int cidr,
				u8 maxbits)
{
	unsigned int i;
	u8 m;

	get_random_bytes(dst, 16);
	for (i = 0; i < 16; i++) {
		m = st_mask_byte(cidr, i);
		dst[i] = i < maxbits / 8 ? (key[i] & m) | (dst[i] & ~m) : 0;
	}
}

static bool __init st_match(const struct st_ref *r, const u8 *addr)
{
	unsigned int i;
	u8 m;

	for (i = 0; i < r->maxbits / 8; i++) {
		m = st_mask_byte(r->cidr, i);
		if (!m)
			break;
		if ((addr[i] ^ r->bits[i]) & m)
			return false;
	}
	return true;
}

static struct st_ref *__init st_find(struct st_ctx *c, const u8 *key,
				     u8 cidr, u8 maxbits)
{
	unsigned int i;

	for (i = 0; i < c->nref; i++) {
		struct st_ref *r = &c->ref[i];

		if (r->used && r->maxbits == maxbits && r->cidr == cidr &&
		    !memcmp(r->bits, key, maxbits / 8))
			return r;
	}
	return NULL;
}

static struct wgp_peer *__init st_ref_lookup(struct st_ctx *c, const u8 *addr,
					     u8 maxbits)
{
	struct wgp_peer *best = NULL;
	int best_cidr = -1;
	unsigned int i;

	for (i = 0; i < c->nref; i++) {
		struct st_ref *r = &c->ref[i];

		if (r->used && r->maxbits == maxbits && r->cidr > best_cidr &&
		    st_match(r, addr)) {
			best = r->peer;
			best_cidr = r->cidr;
		}
	}
	return best;
}

static int __init st_peer_index(struct st_ctx *c, struct wgp_peer *p)
{
	return p ? (int)(p - c->peer) : -1;
}

/* Insert into trie and reference alike, and compare the outcome. */
static int __init st_insert(struct st_ctx *c, const u8 *ip, u8 cidr,
			    u8 maxbits, struct wgp_peer *peer)
{
	struct st_ref *r;
	unsigned int i;
	u8 key[16];
	int ret;

	mutex_lock(&c->lock);
	if (maxbits == 32)
		ret = wgp_allowedips_insert_v4(&c->t, (const void *)ip, cidr,
					       peer, &c->lock);
	else
		ret = wgp_allowedips_insert_v6(&c->t, (const void *)ip, cidr,
					       peer, &c->lock);
	mutex_unlock(&c->lock);
	if (!st_ok(c, !ret,
		   "insert /%u (v%u) returned %d", cidr,
		   maxbits == 32 ? 4 : 6, ret))
		return -EINVAL;

	st_mask(key, ip, cidr);
	r = st_find(c, key, cidr, maxbits);
	if (r) {
		if (r->peer != peer) {
			r->peer = peer;
			r->stamp = ++c->stamp;
		}
		return 0;
	}
	/* Reuse a hole left by a removal, else append. */
	for (i = 0; i < c->nref && c->ref[i].used; i++)
		;
	if (!st_ok(c, i < ST_MAX_REF, "reference table full"))
		return -EINVAL;
	if (i == c->nref)
		c->nref++;
	r = &c->ref[i];
	memcpy(r->bits, key, 16);
	r->cidr = cidr;
	r->maxbits = maxbits;
	r->used = true;
	r->peer = peer;
	r->stamp = ++c->stamp;
	return 0;
}

static int __init st_remove(struct st_ctx *c, const u8 *ip, u8 cidr,
			    u8 maxbits, struct wgp_peer *peer)
{
	struct st_ref *r;
	int ret, want;
	u8 key[16];

	st_mask(key, ip, cidr);
	r = st_find(c, key, cidr, maxbits);
	want = r && r->peer == peer ? 0 : -ENOENT;

	mutex_lock(&c->lock);
	if (maxbits == 32)
		ret = wgp_allowedips_remove_v4(&c->t, (const void *)ip, cidr,
					       peer, &c->lock);
	else
		ret = wgp_allowedips_remove_v6(&c->t, (const void *)ip, cidr,
					       peer, &c->lock);
	mutex_unlock(&c->lock);
	if (!st_ok(c, ret == want,
		   "remove /%u (v%u) returned %d, want %d",
		   cidr, maxbits == 32 ? 4 : 6, ret, want))
		return -EINVAL;
	if (!want)
		r->used = false;
	return 0;
}

static void __init st_remove_by_peer(struct st_ctx *c, struct wgp_peer *peer)
{
	unsigned int i;

	mutex_lock(&c->lock);
	wgp_allowedips_remove_by_peer(&c->t, peer, &c->lock);
	mutex_unlock(&c->lock);
	for (i = 0; i < c->nref; i++)
		if (c->ref[i].peer == peer)
			c->ref[i].used = false;
}

static struct wgp_peer *__init st_lookup(struct st_ctx *c, const u8 *addr,
					 u8 maxbits)
{
	struct wgp_peer *p;

	rcu_read_lock_bh();
	if (maxbits == 32)
		p = wgp_allowedips_lookup_v4(&c->t, (const void *)addr);
	else
		p = wgp_allowedips_lookup_v6(&c->t, (const void *)addr);
	rcu_read_unlock_bh();
	return p;
}

static int __init st_expect(struct st_ctx *c, const u8 *addr, u8 maxbits,
			    struct wgp_peer *want, const char *what)
{
	struct wgp_peer *got = st_lookup(c, addr, maxbits);

	if (!st_ok(c, got == want,
		   "%s: lookup gave peer %d, want %d", what,
		   st_peer_index(c, got), st_peer_index(c, want)))
		return -EINVAL;
	return 0;
}

/* An address sharing a random number of leading bits with a base. */
static void __init st_rand_addr(struct st_ctx *c, u8 *addr, u8 maxbits)
{
	const u8 *base = maxbits == 32 ? c->base4[st_rand(ST_BASES)] :
					 c->base6[st_rand(ST_BASES)];

	st_fill_host(addr, base, st_rand(maxbits + 1), maxbits);
}

static u8 __init st_rand_cidr(u8 maxbits)
{
	/* Favour the ends too: /0, host routes and near-host routes. */
	switch (st_rand(8)) {
	case 0:
		return maxbits;
	case 1:
		return maxbits - st_rand(3);
	case 2:
		return st_rand(3);
	default:
		return st_rand(maxbits + 1);
	}
}

static int __init st_compare_lookups(struct st_ctx *c, unsigned int n)
{
	unsigned int i;
	u8 addr[16];

	for (i = 0; i < n; i++) {
		u8 maxbits = i & 1 ? 128 : 32;
		struct wgp_peer *want, *got;

		st_rand_addr(c, addr, maxbits);
		want = st_ref_lookup(c, addr, maxbits);
		got = st_lookup(c, addr, maxbits);
		if (!st_ok(c, got == want,
			   "random lookup v%u %*phN: peer %d, want %d",
			   maxbits == 32 ? 4 : 6, maxbits / 8, addr,
			   st_peer_index(c, got), st_peer_index(c, want)))
			return -EINVAL;
	}
	return 0;
}

#define st_deref(c, p) rcu_dereference_protected(p, lockdep_is_held(&(c)->lock))

/* Next node in pre-order, climbing back up through parent pointers. */
static struct wgp_aip_node *__init st_next(struct st_ctx *c,
					   struct wgp_aip_node *n)
{
	struct wgp_aip_node *next, *p;

	next = st_deref(c, n->child[0]) ?: st_deref(c, n->child[1]);
	while (!next && n) {
		p = n->parent;
		if (p && st_deref(c, p->child[0]) == n)
			next = st_deref(c, p->child[1]);
		n = p;
	}
	return next;
}

/* Trie invariants, and owned nodes against the reference. */
static int __init st_check_trie(struct st_ctx *c, struct wgp_aip_node *root,
				u8 maxbits, unsigned int *owned)
{
	struct wgp_aip_node *n;

	if (!st_ok(c, !root || !root->parent, "root has a parent"))
		return -EINVAL;
	for (n = root; n; n = st_next(c, n)) {
		struct wgp_aip_node *ch[2];
		struct wgp_peer *peer;
		struct st_ref *r;
		u8 m[16];
		int i, bit;

		ch[0] = st_deref(c, n->child[0]);
		ch[1] = st_deref(c, n->child[1]);
		peer = st_deref(c, n->peer);
		if (!st_ok(c, n->maxbits == maxbits && n->cidr <= maxbits,
			   "node /%u in the wrong trie", n->cidr))
			return -EINVAL;
		st_mask(m, n->bits, n->cidr);
		if (!st_ok(c, !memcmp(m, n->bits, 16),
			   "host bits set in node /%u", n->cidr))
			return -EINVAL;
		if (!st_ok(c, peer || (ch[0] && ch[1]),
			   "glue node /%u with fewer than two children",
			   n->cidr))
			return -EINVAL;
		for (i = 0; i < 2; i++) {
			if (!ch[i])
				continue;
			if (!st_ok(c, ch[i]->parent == n &&
				   ch[i]->cidr > n->cidr,
				   "bad child link below /%u", n->cidr))
				return -EINVAL;
			/* same prefix, slot given by the next bit */
			st_mask(m, ch[i]->bits, n->cidr);
			bit = ch[i]->bits[n->cidr / 8] >> (7 - n->cidr % 8);
			if (!st_ok(c, !memcmp(m, n->bits, 16) && (bit & 1) == i,
				   "child /%u misplaced below /%u",
				   ch[i]->cidr, n->cidr))
				return -EINVAL;
		}
		if (!peer) {
			if (!st_ok(c, list_empty(&n->peer_list),
				   "glue node /%u on a peer list", n->cidr))
				return -EINVAL;
			continue;
		}
		(*owned)++;
		r = st_find(c, n->bits, n->cidr, maxbits);
		if (!st_ok(c, r && r->peer == peer,
			   "node %*phN/%u: peer %d, reference %d",
			   maxbits / 8, n->bits, n->cidr,
			   st_peer_index(c, peer),
			   r ? st_peer_index(c, r->peer) : -1))
			return -EINVAL;
	}
	return 0;
}

/* Each peer's list: exactly its prefixes, in insertion order. */
static int __init st_check_list(struct st_ctx *c, unsigned int i)
{
	struct wgp_peer *peer = &c->peer[i];
	unsigned int count = 0, want = 0, j;
	struct wgp_aip_node *n;
	u64 last = 0;

	list_for_each_entry(n, &peer->allowedips_list, peer_list) {
		struct st_ref *r;
		u8 ip[16], cidr;
		int af;

		memset(ip, 0, sizeof(ip));
		af = wgp_allowedips_read_node(n, ip, &cidr);
		r = st_find(c, ip, cidr, af == AF_INET ? 32 : 128);
		count++;
		if (!st_ok(c, (af == AF_INET || af == AF_INET6) && r &&
			   r->peer == peer && r->stamp > last,
			   "peer %u list entry %u is wrong", i, count))
			return -EINVAL;
		last = r->stamp;
	}
	for (j = 0; j < c->nref; j++)
		want += c->ref[j].used && c->ref[j].peer == peer;
	if (!st_ok(c, count == want, "peer %u lists %u prefixes, want %u",
		   i, count, want))
		return -EINVAL;
	return 0;
}

static int __init st_check_all(struct st_ctx *c)
{
	unsigned int owned = 0, used = 0, i;
	int ret;

	mutex_lock(&c->lock);
	ret = st_check_trie(c, st_deref(c, c->t.root4), 32, &owned) ?:
	      st_check_trie(c, st_deref(c, c->t.root6), 128, &owned);
	for (i = 0; i < ST_PEERS && !ret; i++)
		ret = st_check_list(c, i);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;
	for (i = 0; i < c->nref; i++)
		used += c->ref[i].used;
	if (!st_ok(c, owned == used, "%u prefixes in the trie, %u in reference",
		   owned, used))
		return -EINVAL;
	return 0;
}

static struct wgp_peer *__init st_skb_lookup(struct st_ctx *c,
					     struct sk_buff *skb, bool dst)
{
	struct wgp_peer *p;

	rcu_read_lock_bh();
	if (dst)
		p = wgp_allowedips_lookup_dst(&c->t, skb);
	else
		p = wgp_allowedips_lookup_src(&c->t, skb);
	rcu_read_unlock_bh();
	return p;
}

/* Needs the crafted v4 and v6 prefixes of st_crafted(). */
static int __init st_crafted_skb(struct st_ctx *c)
{
	struct wgp_peer *dst4, *src4, *dst6, *src6, *trunc;
	struct sk_buff *skb;
	struct ipv6hdr *h6;
	struct iphdr *h4;

	skb = alloc_skb(256, GFP_KERNEL);
	if (!skb)
		return st_fail("no memory for a test skb");
	skb_reserve(skb, 64);
	skb_reset_network_header(skb);
	h4 = skb_put_zero(skb, sizeof(*h4));
	h4->version = 4;
	h4->saddr = htonl(0x0a010203);	/* 10.1.2.3: peer 2 */
	h4->daddr = htonl(0x0a020000);	/* 10.2.0.0: peer 0 */
	skb->protocol = htons(ETH_P_IP);
	dst4 = st_skb_lookup(c, skb, true);
	src4 = st_skb_lookup(c, skb, false);

	skb_trim(skb, 0);
	skb_reset_network_header(skb);
	h6 = skb_put_zero(skb, sizeof(*h6));
	h6->version = 6;
	h6->saddr.s6_addr32[0] = htonl(0x20010db8);
	h6->saddr.s6_addr32[3] = htonl(5);		/* peer 1 */
	h6->daddr.s6_addr32[0] = htonl(0x20010db8);
	h6->daddr.s6_addr32[3] = htonl(1);		/* peer 2 */
	skb->protocol = htons(ETH_P_IPV6);
	dst6 = st_skb_lookup(c, skb, true);
	src6 = st_skb_lookup(c, skb, false);

	/* A truncated header matches nothing. */
	skb_trim(skb, sizeof(*h6) - 1);
	trunc = st_skb_lookup(c, skb, true);
	kfree_skb(skb);

	if (!st_ok(c, dst4 == &c->peer[0] && src4 == &c->peer[2] &&
		   dst6 == &c->peer[2] && src6 == &c->peer[1] && !trunc,
		   "skb lookups gave peers %d %d %d %d %d",
		   st_peer_index(c, dst4), st_peer_index(c, src4),
		   st_peer_index(c, dst6), st_peer_index(c, src6),
		   st_peer_index(c, trunc)))
		return -EINVAL;
	return 0;
}

#define V4(a, b, x, d) ((const u8 []) { a, b, x, d })
#define V6(...) ((const u8 [16]) { __VA_ARGS__ })
/* 2001:db8::, then the given bytes */
#define DB8(...) V6(0x20, 0x01, 0x0d, 0xb8, __VA_ARGS__)

static int __init st_crafted(struct st_ctx *c)
{
	struct wgp_peer *p = c->peer;
	struct wgp_aip_node *first;
	u8 ip[16], cidr;
	int ret, ret6;
	u64 seq;

	/* Host bits are masked off on insert. */
	ret = st_insert(c, V4(10, 0, 0, 1), 8, 32, &p[0]);
	if (ret)
		return ret;
	mutex_lock(&c->lock);
	first = list_first_entry(&p[0].allowedips_list, struct wgp_aip_node,
				 peer_list);
	ret = wgp_allowedips_read_node(first, ip, &cidr);
	mutex_unlock(&c->lock);
	if (!st_ok(c, ret == AF_INET && cidr == 8 &&
		   !memcmp(ip, V4(10, 0, 0, 0), 4),
		   "10.0.0.1/8 read back as af %d %pI4/%u", ret, ip, cidr))
		return -EINVAL;

	ret = st_expect(c, V4(10, 200, 1, 1), 32, &p[0], "10/8") ?:
	      st_expect(c, V4(11, 0, 0, 1), 32, NULL, "outside 10/8") ?:
	      st_insert(c, V4(10, 1, 0, 0), 16, 32, &p[1]) ?:
	      st_insert(c, V4(10, 1, 2, 3), 32, 32, &p[2]) ?:
	      st_expect(c, V4(10, 1, 2, 3), 32, &p[2], "/32") ?:
	      st_expect(c, V4(10, 1, 2, 4), 32, &p[1], "/16 next to /32") ?:
	      st_expect(c, V4(10, 2, 0, 0), 32, &p[0], "/8 next to /16") ?:
	      st_insert(c, V4(0, 0, 0, 0), 0, 32, &p[3]) ?:
	      st_expect(c, V4(11, 0, 0, 1), 32, &p[3], "/0") ?:
	      st_expect(c, V4(255, 255, 255, 255), 32, &p[3], "/0 top");
	if (ret)
		return ret;

	/* IPv6: ::/0, a /32, two /128 siblings differing in bit 127. */
	ret = st_insert(c, V6(0), 0, 128, &p[0]) ?:
	      st_insert(c, DB8(), 32, 128, &p[1]) ?:
	      st_insert(c, DB8([15] = 1), 128, 128, &p[2]) ?:
	      st_insert(c, DB8([15] = 0), 128, 128, &p[3]) ?:
	      st_expect(c, DB8([15] = 1), 128, &p[2], "/128") ?:
	      st_expect(c, DB8(), 128, &p[3], "sibling /128") ?:
	      st_expect(c, DB8([15] = 2), 128, &p[1], "/32 over /128s") ?:
	      st_expect(c, V6(0xfe, 0x80), 128, &p[0], "::/0") ?:
	      st_expect(c, V6([10] = 0xff, 0xff, 10, 1, 2, 3), 128, &p[0],
			"v4-mapped stays in the v6 trie") ?:
	      st_crafted_skb(c) ?:
	      st_check_all(c);
	if (ret)
		return ret;

	/* Invalid prefix lengths; seq moves on changes, not on a no-op. */
	mutex_lock(&c->lock);
	ret = wgp_allowedips_insert_v4(&c->t, (const void *)V4(1, 2, 3, 4), 33,
				       &p[0], &c->lock);
	ret6 = wgp_allowedips_insert_v6(&c->t, (const void *)V6(0), 129,
					&p[0], &c->lock);
	seq = c->t.seq;
	wgp_allowedips_insert_v4(&c->t, (const void *)V4(10, 1, 0, 0), 16,
				 &p[1], &c->lock);
	mutex_unlock(&c->lock);
	if (!st_ok(c, ret == -EINVAL, "v4 /33 accepted: %d", ret) ||
	    !st_ok(c, ret6 == -EINVAL, "v6 /129 accepted: %d", ret6) ||
	    !st_ok(c, c->t.seq == seq, "no-op insert changed seq"))
		return -EINVAL;

	/* Reassignment moves the prefix to the new owner's list. */
	ret = st_insert(c, V4(10, 1, 0, 0), 16, 32, &p[0]) ?:
	      st_expect(c, V4(10, 1, 9, 9), 32, &p[0], "reassigned /16") ?:
	      st_check_all(c);
	if (ret)
		return ret;
	if (!st_ok(c, c->t.seq > seq, "reassignment did not change seq"))
		return -EINVAL;

	/* Removal only by the owner, masked like insert. */
	ret = st_remove(c, V4(10, 1, 2, 3), 32, 32, &p[1]) ?:
	      st_remove(c, V4(10, 1, 2, 3), 32, 32, &p[2]) ?:
	      st_remove(c, V4(10, 1, 2, 3), 32, 32, &p[2]) ?:
	      st_remove(c, V4(10, 1, 2, 0), 24, 32, &p[0]) ?:
	      st_expect(c, V4(10, 1, 2, 3), 32, &p[0], "removed /32") ?:
	      st_remove(c, V4(10, 9, 9, 9), 8, 32, &p[0]) ?:
	      st_expect(c, V4(10, 200, 1, 1), 32, &p[3], "removed /8") ?:
	      st_expect(c, V4(10, 1, 200, 1), 32, &p[0], "/16 kept") ?:
	      st_remove(c, DB8([15] = 1), 128, 128, &p[2]) ?:
	      st_expect(c, DB8([15] = 1), 128, &p[1], "removed /128") ?:
	      st_check_all(c);
	if (ret)
		return ret;

	/* remove_by_peer covers both families. */
	st_remove_by_peer(c, &p[0]);
	ret = st_expect(c, V4(10, 1, 200, 1), 32, &p[3], "peer 0 gone v4") ?:
	      st_expect(c, V6(0xfe, 0x80), 128, NULL, "peer 0 gone v6") ?:
	      st_check_all(c);
	if (ret)
		return ret;
	if (!st_ok(c, list_empty(&p[0].allowedips_list),
		   "remove_by_peer left entries"))
		return -EINVAL;
	return 0;
}

/* Remove, reassign (with host bits set) or miss, at random. */
static int __init st_random_change(struct st_ctx *c)
{
	struct wgp_peer *peer = &c->peer[st_rand(ST_PEERS)];
	struct st_ref *r;
	u8 ip[16];

	r = c->nref ? &c->ref[st_rand(c->nref)] : NULL;
	if (!r || !r->used) {
		st_rand_addr(c, ip, 32);
		return st_remove(c, ip, st_rand_cidr(32), 32, peer);
	}
	if (st_rand(3))
		return st_remove(c, r->bits, r->cidr, r->maxbits,
				 st_rand(4) ? r->peer : peer);
	st_fill_host(ip, r->bits, r->cidr, r->maxbits);
	return st_insert(c, ip, r->cidr, r->maxbits, peer);
}

static int __init st_random_inserts(struct st_ctx *c, unsigned int n)
{
	unsigned int i;
	u8 addr[16];
	int ret;

	for (i = 0; i < n; i++) {
		u8 maxbits = st_rand(2) ? 32 : 128;

		st_rand_addr(c, addr, maxbits);
		ret = st_insert(c, addr, st_rand_cidr(maxbits), maxbits,
				&c->peer[st_rand(ST_PEERS)]);
		if (ret)
			return ret;
	}
	return st_check_all(c) ?: st_compare_lookups(c, ST_LOOKUPS);
}

static int __init st_random(struct st_ctx *c)
{
	unsigned int i, round;
	int ret;

	for (i = 0; i < ST_BASES; i++) {
		get_random_bytes(c->base4[i], 16);
		get_random_bytes(c->base6[i], 16);
	}

	for (round = 0; round < 3; round++) {
		ret = st_random_inserts(c, ST_INSERTS);
		if (ret)
			return ret;
		for (i = 0; i < ST_INSERTS / 2; i++) {
			ret = st_random_change(c);
			if (ret)
				return ret;
		}
		ret = st_check_all(c) ?: st_compare_lookups(c, ST_LOOKUPS);
		if (ret)
			return ret;
		st_remove_by_peer(c, &c->peer[st_rand(ST_PEERS)]);
		ret = st_check_all(c) ?: st_compare_lookups(c, ST_LOOKUPS);
		if (ret)
			return ret;
	}

	/* Removing every prefix must collapse every glue node. */
	for (i = 0; i < c->nref; i++) {
		struct st_ref *r = &c->ref[i];

		if (!r->used)
			continue;
		ret = st_remove(c, r->bits, r->cidr, r->maxbits, r->peer);
		if (ret)
			return ret;
	}
	if (!st_ok(c, !rcu_access_pointer(c->t.root4) &&
		   !rcu_access_pointer(c->t.root6),
		   "trie not empty after removing every prefix"))
		return -EINVAL;

	/* Leave prefixes behind for wgp_allowedips_free() to reclaim. */
	return st_random_inserts(c, ST_INSERTS / 2);
}

static int __init st_run(struct st_ctx *c, int (*fn)(struct st_ctx *c),
			 long alive)
{
	unsigned int i;
	int ret;

	wgp_allowedips_init(&c->t);
	for (i = 0; i < ST_PEERS; i++)
		INIT_LIST_HEAD(&c->peer[i].allowedips_list);
	c->nref = 0;

	ret = fn(c);

	mutex_lock(&c->lock);
	wgp_allowedips_free(&c->t, &c->lock);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;

	if (!st_ok(c, !rcu_access_pointer(c->t.root4) &&
		   !rcu_access_pointer(c->t.root6), "free left a root"))
		return -EINVAL;
	for (i = 0; i < ST_PEERS; i++)
		if (!st_ok(c, list_empty(&c->peer[i].allowedips_list),
			   "free left peer %u's list non-empty", i))
			return -EINVAL;
	rcu_barrier();
	if (!st_ok(c, wgp_allowedips_nodes_alive() == alive,
		   "%ld nodes leaked", wgp_allowedips_nodes_alive() - alive))
		return -EINVAL;
	return 0;
}

int __init wgp_selftest_allowedips(void)
{
	ktime_t start = ktime_get();
	struct st_ctx *c;
	long alive;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->ref = kcalloc(ST_MAX_REF, sizeof(*c->ref), GFP_KERNEL);
	if (!c->ref) {
		kfree(c);
		return -ENOMEM;
	}
	mutex_init(&c->lock);

	rcu_barrier();
	alive = wgp_allowedips_nodes_alive();
	ret = st_run(c, st_crafted, alive) ?: st_run(c, st_random, alive);
	if (!ret)
		pr_info("allowedips self-test: %lu checks passed in %lld ms\n",
			c->checks, ktime_ms_delta(ktime_get(), start));

	mutex_destroy(&c->lock);
	kfree(c->ref);
	kfree(c);
	return ret ? -EINVAL : 0;
}
