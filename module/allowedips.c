// SPDX-License-Identifier: GPL-2.0
/*
 * Cryptokey routing table: a path-compressed binary trie per family.
 *
 * Invariants, relied upon by lookup and removal:
 *  - a child's cidr is larger than its parent's, the child's key agrees with
 *    the parent's on the parent's cidr bits, and the child sits in the slot
 *    given by its key's bit at position parent->cidr;
 *  - a node without a peer (glue) always has two children.
 * Changes are published with one rcu_assign_pointer() into an existing slot
 * after the new nodes are complete, so a reader sees either the old or the
 * new trie, and both give the right answer for every address.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/bitops.h>
#include <linux/atomic.h>
#include <linux/lockdep.h>
#include <linux/socket.h>

#include "allowedips.h"
#include "peer.h"

static struct kmem_cache *aip_cache;
static atomic_long_t aip_alive = ATOMIC_LONG_INIT(0);

#define deref_locked(p, lock) \
	rcu_dereference_protected(p, lockdep_is_held(lock))

/* memcpy() keeps these valid for any alignment; x86 makes them one load. */
static u32 load_be32(const u8 *p)
{
	__be32 v;

	memcpy(&v, p, sizeof(v));
	return be32_to_cpu(v);
}

static u64 load_be64(const u8 *p)
{
	__be64 v;

	memcpy(&v, p, sizeof(v));
	return be64_to_cpu(v);
}

/* Number of leading bits on which a and b agree, at most maxbits. */
static unsigned int common_bits(const u8 *a, const u8 *b, u8 maxbits)
{
	u64 x;

	if (maxbits == 32) {
		u32 y = load_be32(a) ^ load_be32(b);

		return y ? 32 - fls(y) : 32;
	}
	x = load_be64(a) ^ load_be64(b);
	if (x)
		return 64 - fls64(x);
	x = load_be64(a + 8) ^ load_be64(b + 8);
	return x ? 128 - fls64(x) : 128;
}

static unsigned int bit_at(const u8 *key, unsigned int i)
{
	return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

static void mask_key(u8 *dst, const u8 *src, u8 cidr)
{
	unsigned int full = cidr >> 3;

	memset(dst, 0, 16);
	memcpy(dst, src, full);
	if (cidr & 7)
		dst[full] = src[full] & (u8)(0xff00 >> (cidr & 7));
}

static struct wgp_aip_node __rcu **root_of(struct wgp_allowedips *t,
					   u8 maxbits)
{
	return maxbits == 32 ? &t->root4 : &t->root6;
}

/* The slot that points at node: its parent's child slot or the root. */
static struct wgp_aip_node __rcu **slot_of(struct wgp_allowedips *t,
					   struct wgp_aip_node *node)
{
	struct wgp_aip_node *parent = node->parent;

	if (!parent)
		return root_of(t, node->maxbits);
	return &parent->child[bit_at(node->bits, parent->cidr)];
}

static struct wgp_aip_node *node_alloc(const u8 *key, u8 cidr, u8 maxbits)
{
	struct wgp_aip_node *node;

	node = kmem_cache_zalloc(aip_cache, GFP_KERNEL);
	if (!node)
		return NULL;
	atomic_long_inc(&aip_alive);
	INIT_LIST_HEAD(&node->peer_list);
	node->cidr = cidr;
	node->maxbits = maxbits;
	mask_key(node->bits, key, cidr);
	return node;
}

static void node_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(aip_cache, container_of(rcu, struct wgp_aip_node, rcu));
	atomic_long_dec(&aip_alive);
}

/* Caller has unlinked node from the trie and from its peer's list. */
static void node_free(struct wgp_aip_node *node)
{
	call_rcu(&node->rcu, node_free_rcu);
}

static void node_set_peer(struct wgp_aip_node *node, struct wgp_peer *peer)
{
	rcu_assign_pointer(node->peer, peer);
	list_move_tail(&node->peer_list, &peer->allowedips_list);
}

static int aip_insert(struct wgp_allowedips *t, const u8 *ip, u8 cidr,
		      u8 maxbits, struct wgp_peer *peer, struct mutex *lock)
{
	struct wgp_aip_node __rcu **slot = root_of(t, maxbits);
	struct wgp_aip_node *node, *parent = NULL, *newnode, *glue;
	unsigned int common;
	u8 key[16];

	if (cidr > maxbits || !peer)
		return -EINVAL;
	lockdep_assert_held(lock);
	mask_key(key, ip, cidr);

	/* Descend while the node is a prefix of (or equal to) the new key. */
	while ((node = deref_locked(*slot, lock))) {
		if (node->cidr > cidr ||
		    common_bits(node->bits, key, maxbits) < node->cidr)
			break;
		if (node->cidr == cidr) {
			/* Existing prefix or glue node: (re)assign owner. */
			if (deref_locked(node->peer, lock) != peer) {
				node_set_peer(node, peer);
				t->seq++;
			}
			return 0;
		}
		parent = node;
		slot = &node->child[bit_at(key, node->cidr)];
	}

	newnode = node_alloc(key, cidr, maxbits);
	if (!newnode)
		return -ENOMEM;
	RCU_INIT_POINTER(newnode->peer, peer);
	list_add_tail(&newnode->peer_list, &peer->allowedips_list);

	if (!node) {
		newnode->parent = parent;
		rcu_assign_pointer(*slot, newnode);
		t->seq++;
		return 0;
	}

	/*
	 * node does not fit under the new prefix's ancestors any deeper. The
	 * two agree on more than parent->cidr bits (node sits in the slot
	 * chosen by key's next bit), so whatever goes here stays below parent.
	 */
	common = min3(common_bits(node->bits, key, maxbits),
		      (unsigned int)cidr, (unsigned int)node->cidr);
	if (common == cidr) {
		/* The new prefix contains node: it becomes node's parent. */
		RCU_INIT_POINTER(newnode->child[bit_at(node->bits, cidr)],
				 node);
		newnode->parent = parent;
		node->parent = newnode;
		rcu_assign_pointer(*slot, newnode);
		t->seq++;
		return 0;
	}

	/* Siblings: a glue node holds their common prefix. */
	glue = node_alloc(key, common, maxbits);
	if (!glue) {
		list_del(&newnode->peer_list);
		kmem_cache_free(aip_cache, newnode);
		atomic_long_dec(&aip_alive);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(glue->child[bit_at(key, common)], newnode);
	RCU_INIT_POINTER(glue->child[bit_at(node->bits, common)], node);
	glue->parent = parent;
	newnode->parent = glue;
	node->parent = glue;
	rcu_assign_pointer(*slot, glue);
	t->seq++;
	return 0;
}

/* Replace node by its only child (or by nothing) and free it. */
static void splice_out(struct wgp_allowedips *t, struct wgp_aip_node *node,
		       struct mutex *lock)
{
	struct wgp_aip_node *child;

	child = deref_locked(node->child[0], lock) ?:
		deref_locked(node->child[1], lock);
	if (child)
		child->parent = node->parent;
	rcu_assign_pointer(*slot_of(t, node), child);
	node_free(node);
}

static void remove_node(struct wgp_allowedips *t, struct wgp_aip_node *node,
			struct mutex *lock)
{
	struct wgp_aip_node *parent = node->parent;
	bool leaf;

	list_del_init(&node->peer_list);
	RCU_INIT_POINTER(node->peer, NULL);
	t->seq++;

	if (deref_locked(node->child[0], lock) &&
	    deref_locked(node->child[1], lock))
		return;	/* still needed as glue */

	leaf = !deref_locked(node->child[0], lock) &&
	       !deref_locked(node->child[1], lock);
	splice_out(t, node, lock);
	/* A glue parent that lost one of its two children is redundant. */
	if (leaf && parent && !deref_locked(parent->peer, lock))
		splice_out(t, parent, lock);
}

static struct wgp_aip_node *find_exact(struct wgp_allowedips *t,
				       const u8 *key, u8 cidr, u8 maxbits,
				       struct mutex *lock)
{
	struct wgp_aip_node *node = deref_locked(*root_of(t, maxbits), lock);

	while (node && node->cidr <= cidr &&
	       common_bits(node->bits, key, maxbits) >= node->cidr) {
		if (node->cidr == cidr)
			return node;
		node = deref_locked(node->child[bit_at(key, node->cidr)], lock);
	}
	return NULL;
}

static int aip_remove(struct wgp_allowedips *t, const u8 *ip, u8 cidr,
		      u8 maxbits, struct wgp_peer *peer, struct mutex *lock)
{
	struct wgp_aip_node *node;
	u8 key[16];

	if (cidr > maxbits)
		return -EINVAL;
	lockdep_assert_held(lock);
	mask_key(key, ip, cidr);
	node = find_exact(t, key, cidr, maxbits, lock);
	if (!node || !peer || deref_locked(node->peer, lock) != peer)
		return -ENOENT;
	remove_node(t, node, lock);
	return 0;
}

static struct wgp_peer *lookup(struct wgp_aip_node __rcu **root,
			       const u8 *addr, u8 maxbits)
{
	struct wgp_aip_node *node = rcu_dereference_bh(*root);
	struct wgp_peer *best = NULL, *peer;

	while (node) {
		if (common_bits(node->bits, addr, maxbits) < node->cidr)
			break;
		peer = rcu_dereference_bh(node->peer);
		if (peer)
			best = peer;
		if (node->cidr == maxbits)
			break;
		node = rcu_dereference_bh(node->child[bit_at(addr,
							     node->cidr)]);
	}
	return best;
}

int wgp_allowedips_slab_init(void)
{
	aip_cache = KMEM_CACHE(wgp_aip_node, 0);
	return aip_cache ? 0 : -ENOMEM;
}

void wgp_allowedips_slab_uninit(void)
{
	/* Wait for node_free_rcu() callbacks still queued. */
	rcu_barrier();
	kmem_cache_destroy(aip_cache);
	aip_cache = NULL;
}

long wgp_allowedips_nodes_alive(void)
{
	return atomic_long_read(&aip_alive);
}

void wgp_allowedips_init(struct wgp_allowedips *t)
{
	RCU_INIT_POINTER(t->root4, NULL);
	RCU_INIT_POINTER(t->root6, NULL);
	t->seq = 1;
}

/*
 * Post-order walk using parent pointers: no recursion, no extra memory.
 * The trie is unpublished first and @lock held, so the walk may sleep: a
 * plane with 100,000 allowed IPs must not hold the CPU for the whole walk.
 */
static void free_trie(struct wgp_aip_node __rcu **root, struct mutex *lock)
{
	struct wgp_aip_node *node = deref_locked(*root, lock), *parent, *c;

	RCU_INIT_POINTER(*root, NULL);
	while (node) {
		c = deref_locked(node->child[0], lock) ?:
		    deref_locked(node->child[1], lock);
		if (c) {
			node = c;
			continue;
		}
		parent = node->parent;
		if (parent)
			RCU_INIT_POINTER(parent->child[bit_at(node->bits,
							      parent->cidr)],
					 NULL);
		list_del_init(&node->peer_list);
		node_free(node);
		node = parent;
		cond_resched();
	}
}

void wgp_allowedips_free(struct wgp_allowedips *t, struct mutex *lock)
{
	lockdep_assert_held(lock);
	free_trie(&t->root4, lock);
	free_trie(&t->root6, lock);
	t->seq++;
}

int wgp_allowedips_insert_v4(struct wgp_allowedips *t, const struct in_addr *ip,
			     u8 cidr, struct wgp_peer *peer,
			     struct mutex *lock)
{
	return aip_insert(t, (const u8 *)&ip->s_addr, cidr, 32, peer, lock);
}

int wgp_allowedips_insert_v6(struct wgp_allowedips *t,
			     const struct in6_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock)
{
	return aip_insert(t, ip->s6_addr, cidr, 128, peer, lock);
}

int wgp_allowedips_remove_v4(struct wgp_allowedips *t, const struct in_addr *ip,
			     u8 cidr, struct wgp_peer *peer,
			     struct mutex *lock)
{
	return aip_remove(t, (const u8 *)&ip->s_addr, cidr, 32, peer, lock);
}

int wgp_allowedips_remove_v6(struct wgp_allowedips *t,
			     const struct in6_addr *ip, u8 cidr,
			     struct wgp_peer *peer, struct mutex *lock)
{
	return aip_remove(t, ip->s6_addr, cidr, 128, peer, lock);
}

void wgp_allowedips_remove_by_peer(struct wgp_allowedips *t,
				   struct wgp_peer *peer, struct mutex *lock)
{
	struct wgp_aip_node *node, *tmp;

	lockdep_assert_held(lock);
	list_for_each_entry_safe(node, tmp, &peer->allowedips_list, peer_list) {
		remove_node(t, node, lock);
		cond_resched();
	}
}

int wgp_allowedips_read_node(struct wgp_aip_node *node, u8 ip[16], u8 *cidr)
{
	memcpy(ip, node->bits, node->maxbits / 8);
	*cidr = node->cidr;
	return node->maxbits == 32 ? AF_INET : AF_INET6;
}

struct wgp_peer *wgp_allowedips_lookup_v4(struct wgp_allowedips *t,
					  const struct in_addr *addr)
{
	return lookup(&t->root4, (const u8 *)&addr->s_addr, 32);
}

struct wgp_peer *wgp_allowedips_lookup_v6(struct wgp_allowedips *t,
					  const struct in6_addr *addr)
{
	return lookup(&t->root6, addr->s6_addr, 128);
}

/*
 * By skb->protocol, which the caller sets (also after decryption); the
 * network header must be in the linear area, else there is no match.
 */
static struct wgp_peer *lookup_skb(struct wgp_allowedips *t,
				   struct sk_buff *skb, bool dst)
{
	const u8 *nh = skb_network_header(skb);
	const u8 *addr;

	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *h = (const struct iphdr *)nh;

		if (nh + sizeof(*h) > skb_tail_pointer(skb))
			return NULL;
		addr = (const u8 *)(dst ? &h->daddr : &h->saddr);
		return lookup(&t->root4, addr, 32);
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *h = (const struct ipv6hdr *)nh;

		if (nh + sizeof(*h) > skb_tail_pointer(skb))
			return NULL;
		addr = dst ? h->daddr.s6_addr : h->saddr.s6_addr;
		return lookup(&t->root6, addr, 128);
	}
	return NULL;
}

struct wgp_peer *wgp_allowedips_lookup_dst(struct wgp_allowedips *t,
					   struct sk_buff *skb)
{
	return lookup_skb(t, skb, true);
}

struct wgp_peer *wgp_allowedips_lookup_src(struct wgp_allowedips *t,
					   struct sk_buff *skb)
{
	return lookup_skb(t, skb, false);
}
