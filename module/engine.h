/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol engine state of a plane and of a peer, and their lifecycle.
 *
 * Work placement: all crypto runs on the plane's workqueue, on a CPU chosen
 * by wgp_plane_cpu() from the plane's effective CPU mask. Each peer has one
 * transmit, one send, one receive and one handshake work item; a work item
 * never runs on two CPUs at once, which keeps each peer's packets in order.
 *
 * Transmit is a pipeline: the peer's transmit work gives each staged packet
 * its nonce and puts it, in that order, on the peer's in-flight list and on
 * the encryption ring of one of the plane's CPUs (round robin over the
 * mask). The plane's per-CPU encryption work encrypts what its ring holds,
 * whichever peer it is for, so one peer's traffic uses all of the plane's
 * CPUs; the peer's send work then sends the in-flight list's head while it
 * is encrypted, so the packets leave in nonce order.
 *
 * Receive mirrors it: the socket's receive path (softirq) puts each data
 * message the guard lets through on its peer's receive list, in arrival
 * order, and on the decryption ring of the plane's next CPU; the plane's
 * per-CPU decryption work decrypts it there, and the peer's receive work
 * takes the list's head while it is decrypted: the replay check, roaming,
 * timers and delivery run in order, on one CPU at a time.
 *
 * Shutdown discipline: whatever arms a peer timer, queues a peer work item or
 * queues a packet to a peer does so inside an RCU-bh read-side section after
 * checking wgp_peer_alive(). Stopping a peer (removal) or a plane (down) first
 * makes wgp_peer_alive() false, waits for a grace period, and only then
 * cancels timers and work and purges queues: nothing can be re-armed behind
 * its back. Work is cancelled under plane->conf_lock, which a priority
 * change holds until no item is left on the old workqueue.
 */
#ifndef _WGP_ENGINE_H
#define _WGP_ENGINE_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/ptr_ring.h>
#include <net/dst_cache.h>
#include <net/gro_cells.h>

#include "noise.h"
#include "cookie.h"
#include "ratelimiter.h"
#include "qbound.h"

struct wgp_peer;
struct wgp_plane;
struct dentry;

/* bits of wgp_peer_engine.flags */
enum {
	WGP_PF_HS_WANT,		/* start a handshake (not a retry) */
	WGP_PF_HS_RETRY,	/* retransmit the handshake */
	WGP_PF_KEEPALIVE,	/* send a keepalive if nothing else goes */
	WGP_PF_ZERO_KEYS,	/* forget all key material */
	WGP_PF_LASTMINUTE_HS,	/* receive-side rekey already asked */
	WGP_PF_KEEPALIVE_AGAIN,	/* data came while the keepalive was armed */
	WGP_PF_TX_FULL,		/* in flight at its bound: send requeues tx */
};

struct wgp_peer_engine {
	struct wgp_handshake handshake;
	struct wgp_keypairs keypairs;
	struct wgp_cookie cookie;

	/* packets waiting for a keypair and their encryption, bounded */
	struct sk_buff_head staged;
	/* nonce order: being encrypted, or encrypted and not yet sent */
	struct sk_buff_head inflight;
	/* of the in-flight packets, those on an encryption ring */
	atomic_t enc_pending;
	int enc_cpu;			/* the last encryption CPU; tx_lock */
	/* wgp_peer_queue_work()'s choice: gen << 32 | cpu */
	u64 work_cpu;
	/* on the plane's guard's list of peers waiting for tokens */
	struct list_head guard_wait;
	/*
	 * received data messages in arrival order, being decrypted or
	 * decrypted and not yet delivered; of them, those on a decryption
	 * ring; the last decryption CPU (any softirq writes it)
	 */
	struct sk_buff_head rx_queue;
	atomic_t dec_pending;
	int dec_cpu;
	/*
	 * and before that, for the guard's budget: the messages, their
	 * bytes, and the link on its list of waiting peers (guard.h); under
	 * the plane's guard rx.lock
	 */
	struct sk_buff_head rx_shaped;
	u32 rx_shaped_bytes;
	struct list_head rx_wait;
	/*
	 * The decryption the guard allows for this peer's messages that
	 * turn out not authentic: a bucket at the plane's rate and depth
	 * (tokens and stamp as in struct wgp_bucket), under the plane's
	 * guard rx.lock.
	 */
	s64 junk_tokens;
	u64 junk_stamp;
	struct work_struct tx_work, send_work, rx_work, hs_work;
	/*
	 * Each work item runs alone: a workqueue guarantees that only within
	 * one workqueue, and while a priority change drains the old one, an
	 * item may still run there when it starts on the new one.
	 */
	struct mutex tx_lock, send_lock, rx_lock, hs_lock;

	struct timer_list t_retransmit, t_keepalive, t_new_handshake;
	struct timer_list t_zero_keys, t_persistent;
	unsigned long flags;
	/* something was ever armed or queued for it: see wgp_peer_alive() */
	bool activated;
	atomic_t hs_attempts;
	u64 last_sent_handshake_ns;	/* READ_ONCE/WRITE_ONCE */

	/* the route cache and the sticky source address it is valid for */
	spinlock_t ep_lock;
	struct sockaddr_in6 cached_ep;	/* holds a sockaddr_in too */
	u32 ep_gen;			/* bumped when they change */
	union {
		__be32 v4;
		struct in6_addr v6;
	} src;
	struct dst_cache dst_cache;
};

struct wgp_cpu_work {
	unsigned long runs;
	unsigned long runs_high;	/* of which at a raised priority */
	/* messages decrypted (or forged: tried) and encrypted on this CPU */
	unsigned long decrypted, encrypted;
};

/* One CPU's share of a plane's encryption, for any of its peers. */
struct wgp_crypt_cpu {
	struct ptr_ring ring;		/* messages to encrypt or decrypt */
	struct work_struct work;
	struct wgp_plane *plane;
};

#define WGP_CRYPT_RING_LEN	512

struct wgp_plane_engine {
	/* sockets: written under sock_lock, read under RCU-bh */
	struct mutex sock_lock;
	struct socket __rcu *sock4;
	struct socket __rcu *sock6;
	bool sockets_wanted;		/* up: sockets should exist */

	/* bound workqueues, normal and high priority: see wgp_plane_wq() */
	struct workqueue_struct *wq, *wq_high;
	/* work items run, per CPU: shows where the plane's work went */
	struct wgp_cpu_work __percpu *cpu_work;
	/* per-CPU rings of the messages to encrypt and to decrypt */
	struct wgp_crypt_cpu __percpu *enc, *dec;
	struct wgp_index_table *index;
	struct wgp_cookie_checker cookie;
	struct wgp_ratelimiter ratelimiter;
	/* plane->private_key, public_key, has_identity: written under it */
	seqlock_t identity_seq;

	/*
	 * Handshake messages to consume, and under load those that get only
	 * a cookie reply: both within hsq, the first served first.
	 */
	struct sk_buff_head hs_queue, ck_queue;
	struct work_struct hs_work;
	struct mutex hs_lock;		/* hs_work runs alone */
	unsigned long under_load_until;	/* jiffies */

	atomic_t cpus_gen;		/* bumped when policy.cpus changes */
	/*
	 * Staged or in flight, all peers; staged for a peer without a session
	 * (waiting for a handshake, perhaps forever: bounded apart, so that
	 * dead peers never take the room of live ones); decryption; handshake
	 * (queueing.h).
	 */
	struct wgp_qbound encq, waitq, decq, hsq;
	struct gro_cells gro;
	struct dentry *debugfs;
	struct list_head all_list;	/* wgp_all_planes */
	bool ready;
};

/* module-wide */
int wgp_engine_init(void);
void wgp_engine_uninit(void);

/* plane: ndo_init/ndo_uninit, ndo_open/ndo_stop */
int wgp_plane_engine_init(struct wgp_plane *plane);
void wgp_plane_engine_uninit(struct wgp_plane *plane);
/* the device's destructor */
void wgp_plane_engine_free(struct wgp_plane *plane);
int wgp_plane_engine_open(struct wgp_plane *plane);
void wgp_plane_engine_stop(struct wgp_plane *plane);

/* peer: from peer.c's create, remove and release */
int wgp_peer_engine_init(struct wgp_peer *peer);
/* Many removed peers, linked through plane_list: one grace period. */
void wgp_peer_engine_stop_list(struct list_head *peers);
void wgp_peer_engine_free(struct wgp_peer *peer);

/*
 * For netlink, under plane->conf_lock. After a new private key: forget every
 * session and handshake of the plane (they were made with the old key); with
 * a key, peers with a persistent keepalive send one at once, as below.
 * After a peer's persistent keepalive interval was set: a plane that is up
 * sends a keepalive at once, which starts a handshake when needed.
 */
void wgp_plane_identity_changed(struct wgp_plane *plane);
void wgp_peer_keepalive_changed(struct wgp_peer *peer);

/* The CPU for a work item of this plane; hint spreads peers over CPUs. */
int wgp_plane_cpu(struct wgp_plane *plane, u32 hint);
int wgp_plane_next_cpu(struct wgp_plane *plane, int prev);
/* After policy.cpus changed: peers choose their work CPUs anew. */
void wgp_plane_cpus_changed(struct wgp_plane *plane);
/* The workqueue for the plane's work at its current priority. */
struct workqueue_struct *wgp_plane_wq(struct wgp_plane *plane);
/*
 * Under conf_lock: a new priority, live. Returns when no work item of the
 * plane is left on the old workqueue; cancel work only under conf_lock.
 */
void wgp_plane_set_priority(struct wgp_plane *plane, u8 priority);
/* Queues a work item of the plane (not a peer's) on CPU. */
void wgp_plane_queue_work(struct wgp_plane *plane, int cpu,
			  struct work_struct *work);
/* At the start of every work item of the plane, on the CPU it runs on. */
void wgp_plane_work_ran(struct wgp_plane *plane);
/*
 * At every place that arms, queues or installs something for a peer, inside
 * rcu_read_lock_bh(): whether that may be done. Marks the peer activated, so
 * that stopping a peer that never was needs no grace period.
 */
bool wgp_peer_alive(struct wgp_peer *peer);
/* Inside rcu_read_lock_bh(), or any context: checks wgp_peer_alive(). */
void wgp_peer_queue_work(struct wgp_peer *peer, struct work_struct *work);

#endif /* _WGP_ENGINE_H */
