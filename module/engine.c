// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle of the protocol engine: per plane (device init/uninit, up/down),
 * per peer (creation, removal, release), module-wide (namespace exit hook,
 * debugfs, leak accounting), and the choice of CPU for the plane's work.
 *
 * debugfs: each plane that is up has a directory
 * /sys/kernel/debug/wgplanes/<ifname>@<netns>, where <ifname> is its name
 * when it went up and <netns> the inode number of its network namespace
 * then (what `stat -L -c %i /proc/self/ns/net` prints in that namespace):
 * planes of the same name in different namespaces each get their own. It
 * is created when the plane goes up and removed when it goes down; moving
 * the plane to another namespace takes it down, so the next up names the
 * new one.
 *
 * Test hook: <dir>/age (write-only). Writing N makes every keypair,
 * handshake and cookie timestamp of the plane N seconds older, so a test
 * can see e.g. the rekey after REKEY_AFTER_TIME without waiting two
 * minutes; a handshake being retried counts the attempts of N more
 * seconds (the give-up after REKEY_ATTEMPT_TIME). Timers already armed are
 * not moved.
 *
 * <dir>/cpu_work (read-only) lists, per CPU, how many work items of the
 * plane ran there, how many of those at a raised priority, and how many
 * messages it decrypted and encrypted there: a test of the CPU mask, of
 * "priority high" and of the spread of one peer's messages. (A worker
 * drains its ring in one run, so the runs alone say little of the spread.)
 *
 * /sys/kernel/debug/wgplanes/objects (read-only, module-wide) shows the
 * planes, peers and keypairs created and not yet destroyed, one
 * "NAME COUNT" line each: zero for all three once every fleet is deleted
 * and RCU has run its callbacks, which is what the fault tests check.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/cpuhotplug.h>
#include <linux/smp.h>
#include <linux/kstrtox.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "device.h"
#include "peer.h"
#include "engine.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"

static LIST_HEAD(wgp_all_planes);
static DEFINE_MUTEX(wgp_all_planes_lock);
/* created and not yet destroyed: debugfs "objects", the leak check */
static atomic_long_t wgp_planes_live = ATOMIC_LONG_INIT(0);
static atomic_long_t wgp_peers_live = ATOMIC_LONG_INIT(0);
static struct dentry *wgp_debugfs_root;
/* bumped when a CPU comes or goes: every cached choice of CPU is stale */
static atomic_t wgp_hotplug_gen = ATOMIC_INIT(0);
static int wgp_cpuhp_state;

/*
 * The one place that decides where a plane's work runs: on its effective
 * mask, the configured mask restricted to online CPUs, or all online CPUs
 * when that is empty.
 */
static const struct cpumask *wgp_plane_mask(struct wgp_plane *plane)
{
	const struct cpumask *mask = plane->policy.cpus;

	if (!mask || !cpumask_intersects(mask, cpu_online_mask))
		return cpu_online_mask;
	return mask;
}

/* The hint-th CPU (modulo) of the plane's effective mask. */
int wgp_plane_cpu(struct wgp_plane *plane, u32 hint)
{
	const struct cpumask *mask = wgp_plane_mask(plane);
	unsigned int n = 0;
	int cpu;

	for_each_cpu_and(cpu, mask, cpu_online_mask)
		n++;
	if (!n)
		return raw_smp_processor_id();
	hint %= n;
	for_each_cpu_and(cpu, mask, cpu_online_mask) {
		if (!hint--)
			return cpu;
	}
	return raw_smp_processor_id();
}

/*
 * The CPU after @prev in the plane's effective mask, wrapping around: a
 * round robin that costs a word or two of the mask per step, not a walk.
 */
int wgp_plane_next_cpu(struct wgp_plane *plane, int prev)
{
	const struct cpumask *mask = wgp_plane_mask(plane);
	unsigned int cpu;

	cpu = cpumask_next_and(prev, mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first_and(mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids)		/* going offline meanwhile */
		return raw_smp_processor_id();
	return cpu;
}

struct workqueue_struct *wgp_plane_wq(struct wgp_plane *plane)
{
	if (READ_ONCE(plane->policy.priority) == WGPLANES_PRIO_HIGH)
		return plane->eng.wq_high;
	return plane->eng.wq;
}

/*
 * A work item must never be pending on one workqueue while it still runs
 * on the other: cancel_work_sync() looks for it only on the one it was
 * queued on last, and would return while it runs. So a change of priority
 * waits until nothing can be queued on the old workqueue any more (every
 * queueing chooses its workqueue inside an RCU-bh read-side section:
 * wgp_peer_queue_work(), wgp_plane_queue_work(), the socket's receive
 * path), then until the old workqueue ran dry. It holds conf_lock all
 * along, and so does every cancel of the plane's work: no cancel can see
 * an item on two workqueues.
 */
void wgp_plane_set_priority(struct wgp_plane *plane, u8 priority)
{
	struct workqueue_struct *old = wgp_plane_wq(plane);

	lockdep_assert_held(&plane->conf_lock);
	WRITE_ONCE(plane->policy.priority, priority);
	if (wgp_plane_wq(plane) == old)
		return;
	synchronize_net();
	flush_workqueue(old);
}

void wgp_plane_queue_work(struct wgp_plane *plane, int cpu,
			  struct work_struct *work)
{
	rcu_read_lock_bh();
	queue_work_on(cpu, wgp_plane_wq(plane), work);
	rcu_read_unlock_bh();
}

void wgp_plane_work_ran(struct wgp_plane *plane)
{
	this_cpu_inc(plane->eng.cpu_work->runs);
	/* a high-priority workqueue's workers run at a negative nice */
	if (task_nice(current) < 0)
		this_cpu_inc(plane->eng.cpu_work->runs_high);
}

bool wgp_peer_alive(struct wgp_peer *peer)
{
	if (unlikely(!READ_ONCE(peer->eng.activated))) {
		WRITE_ONCE(peer->eng.activated, true);
		/* activated before is_dead is read; pairs with engine_stop */
		smp_mb();
	}
	return !READ_ONCE(peer->is_dead) && READ_ONCE(peer->plane->eng.ready);
}

/*
 * Which CPUs a peer's work goes to changes only with the plane's cpus or
 * CPU hotplug, but work is queued for every packet: the choice is cached
 * with the generation it was made in, so that queueing costs no walk of
 * the mask. Both generations only grow, so their sum changes with either.
 */
static u32 wgp_cpus_gen(struct wgp_plane *plane)
{
	return (u32)atomic_read(&plane->eng.cpus_gen) +
	       (u32)atomic_read(&wgp_hotplug_gen);
}

void wgp_plane_cpus_changed(struct wgp_plane *plane)
{
	/* the new mask is seen by whoever sees the new generation */
	smp_mb__before_atomic();
	atomic_inc(&plane->eng.cpus_gen);
}

static int wgp_cpu_hotplug(unsigned int cpu)
{
	/* as above, for cpu_online_mask */
	smp_mb__before_atomic();
	atomic_inc(&wgp_hotplug_gen);
	return 0;
}

/*
 * All of a peer's serial work (transmit, send, receive, handshake) runs on
 * one CPU of the mask: a TCP flow's ACKs are then delivered on the CPU that
 * sends its data, whose transmit work they wake without a cross-CPU
 * wake-up. (With the receive work on the next CPU, one stream from a plane
 * ran 4-7 % slower: Documentation/benchmarks.md.)
 */
static int wgp_peer_work_cpu(struct wgp_peer *peer)
{
	u64 cached = READ_ONCE(peer->eng.work_cpu);
	u32 gen = wgp_cpus_gen(peer->plane);
	int cpu = (u16)cached;

	/* a CPU going offline is still online when the generation moves */
	if (likely((u32)(cached >> 32) == gen && cpu_online(cpu)))
		return cpu;
	smp_rmb();	/* the mask as new as the generation */
	cpu = wgp_plane_cpu(peer->plane, (u32)peer->internal_id);
	WRITE_ONCE(peer->eng.work_cpu, (u64)gen << 32 | (u16)cpu);
	return cpu;
}

void wgp_peer_queue_work(struct wgp_peer *peer, struct work_struct *work)
{
	struct wgp_plane *plane = peer->plane;

	rcu_read_lock_bh();
	if (likely(wgp_peer_alive(peer)))
		queue_work_on(wgp_peer_work_cpu(peer), wgp_plane_wq(plane),
			      work);
	rcu_read_unlock_bh();
}

/* Peers */

/*
 * A new handshake goes at most once per REKEY_TIMEOUT, but not after the
 * peer lost its sessions (plane down, new private key): the first packet
 * then starts one at once, or it would wait for nothing.
 */
static void wgp_peer_handshake_unthrottle(struct wgp_peer *peer)
{
	WRITE_ONCE(peer->eng.last_sent_handshake_ns, wgp_now_ns() -
		   (u64)(WGP_REKEY_TIMEOUT + 1) * NSEC_PER_SEC);
}

int wgp_peer_engine_init(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;
	int ret;

	ret = dst_cache_init(&eng->dst_cache, GFP_KERNEL);
	if (ret)
		return ret;
	wgp_handshake_init(peer);
	spin_lock_init(&eng->keypairs.lock);
	wgp_cookie_init(&eng->cookie, peer->public_key);
	skb_queue_head_init(&eng->staged);
	skb_queue_head_init(&eng->inflight);
	atomic_set(&eng->enc_pending, 0);
	/* peers start their round robin over the CPUs at different ones */
	eng->enc_cpu = wgp_plane_cpu(peer->plane, (u32)peer->internal_id);
	/* a generation that is not the current one: chosen at first use */
	eng->work_cpu = (u64)(wgp_cpus_gen(peer->plane) - 1) << 32;
	INIT_LIST_HEAD(&eng->guard_wait);
	skb_queue_head_init(&eng->rx_queue);
	atomic_set(&eng->dec_pending, 0);
	eng->dec_cpu = eng->enc_cpu;
	__skb_queue_head_init(&eng->rx_shaped);
	INIT_LIST_HEAD(&eng->rx_wait);
	INIT_WORK(&eng->tx_work, wgp_packet_tx_worker);
	INIT_WORK(&eng->send_work, wgp_packet_send_worker);
	INIT_WORK(&eng->rx_work, wgp_packet_rx_worker);
	INIT_WORK(&eng->hs_work, wgp_handshake_tx_worker);
	mutex_init(&eng->tx_lock);
	mutex_init(&eng->send_lock);
	mutex_init(&eng->rx_lock);
	mutex_init(&eng->hs_lock);
	wgp_timers_init(peer);
	spin_lock_init(&eng->ep_lock);
	/* long ago: the first handshake may go at once */
	wgp_peer_handshake_unthrottle(peer);
	atomic_long_inc(&wgp_peers_live);
	return 0;
}

/*
 * Brings a peer to rest: no timer, no work, no queued packet, no key. The
 * caller made wgp_peer_alive() false for it and waited a grace period.
 */
static void wgp_peer_quiesce(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;

	wgp_timers_stop(peer);
	cancel_work_sync(&eng->tx_work);
	/* nothing new goes in flight; the encryption workers finish theirs */
	wait_var_event(&eng->enc_pending, !atomic_read(&eng->enc_pending));
	cancel_work_sync(&eng->send_work);
	/* as for encryption: the decryption workers finish theirs */
	wait_var_event(&eng->dec_pending, !atomic_read(&eng->dec_pending));
	cancel_work_sync(&eng->rx_work);
	cancel_work_sync(&eng->hs_work);
	/* a work item that ran last may have armed a timer before the end */
	wgp_timers_stop(peer);
	wgp_inflight_purge(peer, WGPLANES_CNT_DROP_NO_KEYPAIR);
	wgp_staged_purge(peer, WGPLANES_CNT_DROP_NO_KEYPAIR);
	wgp_guard_rx_purge(peer);
	wgp_rx_queue_purge(peer);
	wgp_keypairs_clear(peer);
	wgp_handshake_clear(peer);
	eng->flags = 0;
	wgp_peer_handshake_unthrottle(peer);
}

/*
 * Stops peers removed from their plane (is_dead set), linked through
 * plane_list, conf_lock held. Either an arming site saw is_dead, or we see
 * that it activated the peer and wait for its read-side section: one grace
 * period covers them all, and none is needed when no peer ever did
 * anything (large configurations).
 */
void wgp_peer_engine_stop_list(struct list_head *peers)
{
	struct wgp_peer *peer;

	smp_mb();	/* is_dead before activated; pairs with peer_alive */
	list_for_each_entry(peer, peers, plane_list) {
		if (READ_ONCE(peer->eng.activated)) {
			synchronize_net();
			break;
		}
	}
	list_for_each_entry(peer, peers, plane_list) {
		wgp_peer_quiesce(peer);
		cond_resched();
	}
}

/* From the release of the last reference; any context but hard IRQ. */
void wgp_peer_engine_free(struct wgp_peer *peer)
{
	WARN_ON(peer->eng.handshake.entry.hashed);
	dst_cache_destroy(&peer->eng.dst_cache);
	atomic_long_dec(&wgp_peers_live);
}

void wgp_plane_identity_changed(struct wgp_plane *plane)
{
	struct wgp_peer *peer;

	lockdep_assert_held(&plane->conf_lock);
	list_for_each_entry(peer, &plane->peer_list, plane_list) {
		/*
		 * The handshake first: once it is cleared no session can be
		 * made from the old keys (wgp_identity_changed() in noise.c),
		 * so the keypairs cleared next stay cleared.
		 */
		wgp_handshake_clear(peer);
		wgp_keypairs_clear(peer);
		wgp_peer_handshake_unthrottle(peer);
		/* with a key, peers with a persistent keepalive go at once */
		if (plane->has_identity)
			wgp_peer_keepalive_changed(peer);
		cond_resched();
	}
}

void wgp_peer_keepalive_changed(struct wgp_peer *peer)
{
	if (READ_ONCE(peer->persistent_keepalive_interval))
		wgp_request_keepalive(peer);
}

/* debugfs */

static ssize_t wgp_age_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct wgp_plane *plane = file->private_data;
	struct wgp_peer *peer;
	u64 ns;
	u32 secs;
	int ret;

	ret = kstrtou32_from_user(buf, count, 0, &secs);
	if (ret)
		return ret;
	ns = (u64)secs * NSEC_PER_SEC;

	spin_lock_bh(&plane->eng.cookie.lock);
	plane->eng.cookie.secret_birth_ns -= ns;
	spin_unlock_bh(&plane->eng.cookie.lock);

	mutex_lock(&plane->conf_lock);
	list_for_each_entry(peer, &plane->peer_list, plane_list) {
		wgp_noise_age_peer(peer, ns);
		wgp_cookie_age(&peer->eng.cookie, ns);
		wgp_timers_age(peer, secs);
		WRITE_ONCE(peer->eng.last_sent_handshake_ns,
			   peer->eng.last_sent_handshake_ns - ns);
	}
	mutex_unlock(&plane->conf_lock);
	return count;
}

static const struct file_operations wgp_age_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = wgp_age_write,
	.llseek = noop_llseek,
};

/*
 * "cpuN RUNS HIGH DECRYPTED ENCRYPTED" per possible CPU: the work items
 * the plane ran there, how many of them at a raised priority, and the
 * messages decrypted and encrypted there.
 */
static int wgp_cpu_work_show(struct seq_file *m, void *v)
{
	struct wgp_plane *plane = m->private;
	struct wgp_cpu_work *w;
	int cpu;

	for_each_possible_cpu(cpu) {
		w = per_cpu_ptr(plane->eng.cpu_work, cpu);
		seq_printf(m, "cpu%d %lu %lu %lu %lu\n", cpu,
			   READ_ONCE(w->runs), READ_ONCE(w->runs_high),
			   READ_ONCE(w->decrypted), READ_ONCE(w->encrypted));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wgp_cpu_work);

/* called under RTNL (ndo_open), so the name and the namespace hold still */
static void wgp_debugfs_add(struct wgp_plane *plane)
{
	/* "<ifname>@<inode number>" */
	char name[IFNAMSIZ + 1 + 10 + 1];
	struct dentry *d;

	if (IS_ERR_OR_NULL(wgp_debugfs_root))
		return;
	snprintf(name, sizeof(name), "%s@%u", plane->dev->name,
		 dev_net(plane->dev)->ns.inum);
	d = debugfs_create_dir(name, wgp_debugfs_root);
	if (IS_ERR(d))
		return;
	debugfs_create_file("age", 0200, d, plane, &wgp_age_fops);
	debugfs_create_file("cpu_work", 0400, d, plane, &wgp_cpu_work_fops);
	plane->eng.debugfs = d;
}

static void wgp_debugfs_del(struct wgp_plane *plane)
{
	debugfs_remove(plane->eng.debugfs);
	plane->eng.debugfs = NULL;
}

/* Planes */

static void wgp_crypt_free(struct wgp_crypt_cpu __percpu **rings)
{
	struct wgp_crypt_cpu *cc;
	int cpu;

	if (!*rings)
		return;
	for_each_possible_cpu(cpu) {
		cc = per_cpu_ptr(*rings, cpu);
		if (!cc->plane)
			continue;
		cancel_work_sync(&cc->work);
		/* every peer was stopped: the rings are empty */
		WARN_ON(!ptr_ring_empty_bh(&cc->ring));
		ptr_ring_cleanup(&cc->ring, NULL);
	}
	free_percpu(*rings);
	*rings = NULL;
}

static int wgp_crypt_alloc(struct wgp_plane *plane,
			   struct wgp_crypt_cpu __percpu **rings,
			   work_func_t worker)
{
	struct wgp_crypt_cpu *cc;
	int cpu;

	*rings = alloc_percpu(struct wgp_crypt_cpu);
	if (!*rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		cc = per_cpu_ptr(*rings, cpu);
		if (ptr_ring_init(&cc->ring, WGP_CRYPT_RING_LEN, GFP_KERNEL)) {
			wgp_crypt_free(rings);
			return -ENOMEM;
		}
		INIT_WORK(&cc->work, worker);
		cc->plane = plane;
	}
	return 0;
}

int wgp_plane_engine_init(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	int ret = -ENOMEM;

	mutex_init(&eng->sock_lock);
	seqlock_init(&eng->identity_seq);
	skb_queue_head_init(&eng->hs_queue);
	skb_queue_head_init(&eng->ck_queue);
	INIT_WORK(&eng->hs_work, wgp_handshake_rx_worker);
	mutex_init(&eng->hs_lock);
	atomic_set(&eng->cpus_gen, 0);
	wgp_qbound_init(&eng->encq);
	wgp_qbound_init(&eng->waitq);
	wgp_qbound_init(&eng->decq);
	wgp_qbound_init(&eng->hsq);
	/* not under load: jiffies starts "negative", so 0 would not do */
	eng->under_load_until = jiffies - 1;
	wgp_cookie_checker_init(&eng->cookie);
	wgp_ratelimiter_init(&eng->ratelimiter);

	eng->cpu_work = alloc_percpu(struct wgp_cpu_work);
	if (!eng->cpu_work)
		goto err;
	/*
	 * Bound (per-CPU): work runs exactly where queue_work_on() says. Both
	 * exist all the time, so that a priority change is a pointer choice.
	 * CPU-intensive: a worker that drains a flood runs for long, and must
	 * not hold back the other work items of its CPU's pool (RCU's
	 * expedited grace periods among them) while it does.
	 */
	eng->wq = alloc_workqueue("wgp-%s", WQ_CPU_INTENSIVE, 0,
				  plane->dev->name);
	if (!eng->wq)
		goto err_cpu_work;
	eng->wq_high = alloc_workqueue("wgp-%s-hi",
				       WQ_HIGHPRI | WQ_CPU_INTENSIVE, 0,
				       plane->dev->name);
	if (!eng->wq_high)
		goto err_wq;
	ret = wgp_crypt_alloc(plane, &eng->enc, wgp_encrypt_worker);
	if (ret)
		goto err_wq_high;
	ret = wgp_crypt_alloc(plane, &eng->dec, wgp_decrypt_worker);
	if (ret)
		goto err_crypt;
	ret = -ENOMEM;
	eng->index = wgp_index_table_alloc();
	if (!eng->index)
		goto err_crypt;
	ret = gro_cells_init(&eng->gro, plane->dev);
	if (ret)
		goto err_index;

	mutex_lock(&wgp_all_planes_lock);
	list_add(&eng->all_list, &wgp_all_planes);
	mutex_unlock(&wgp_all_planes_lock);
	atomic_long_inc(&wgp_planes_live);
	return 0;

err_index:
	wgp_index_table_free(eng->index);
	eng->index = NULL;
err_crypt:
	wgp_crypt_free(&eng->dec);	/* NULL when its alloc failed */
	wgp_crypt_free(&eng->enc);
err_wq_high:
	destroy_workqueue(eng->wq_high);
	eng->wq_high = NULL;
err_wq:
	destroy_workqueue(eng->wq);
	eng->wq = NULL;
err_cpu_work:
	free_percpu(eng->cpu_work);
	eng->cpu_work = NULL;
err:
	wgp_ratelimiter_uninit(&eng->ratelimiter);
	return ret;
}

/*
 * After wgp_plane_conf_uninit(): no peer is left, and no priority change
 * can start (the device is unregistering) or still be draining.
 */
void wgp_plane_engine_uninit(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;

	mutex_lock(&wgp_all_planes_lock);
	list_del(&eng->all_list);
	mutex_unlock(&wgp_all_planes_lock);

	wgp_socket_close(plane);
	cancel_work_sync(&eng->hs_work);
	wgp_hs_queue_purge(eng);
	gro_cells_destroy(&eng->gro);
	wgp_crypt_free(&eng->dec);
	wgp_crypt_free(&eng->enc);
	destroy_workqueue(eng->wq_high);
	destroy_workqueue(eng->wq);
	free_percpu(eng->cpu_work);
	wgp_index_table_free(eng->index);
	wgp_ratelimiter_uninit(&eng->ratelimiter);
	memzero_explicit(eng->cookie.secret, sizeof(eng->cookie.secret));
}

/* From the device's destructor: the plane's memory goes after it. */
void wgp_plane_engine_free(struct wgp_plane *plane)
{
	atomic_long_dec(&wgp_planes_live);
}

int wgp_plane_engine_open(struct wgp_plane *plane)
{
	struct wgp_peer *peer;
	int ret;

	ret = wgp_socket_open(plane);
	if (ret)
		return ret;
	WRITE_ONCE(plane->eng.ready, true);
	wgp_debugfs_add(plane);

	/* peers with a persistent keepalive announce themselves at once */
	mutex_lock(&plane->conf_lock);
	list_for_each_entry(peer, &plane->peer_list, plane_list) {
		if (READ_ONCE(peer->persistent_keepalive_interval))
			wgp_request_keepalive(peer);
	}
	mutex_unlock(&plane->conf_lock);
	return 0;
}

void wgp_plane_engine_stop(struct wgp_plane *plane)
{
	struct wgp_plane_engine *eng = &plane->eng;
	struct wgp_peer *peer;

	WRITE_ONCE(eng->ready, false);
	wgp_debugfs_del(plane);
	/* waits a grace period: nothing arms or queues for a peer after it */
	wgp_socket_close(plane);

	/* cancels hold conf_lock: see wgp_plane_set_priority() */
	mutex_lock(&plane->conf_lock);
	cancel_work_sync(&eng->hs_work);
	wgp_hs_queue_purge(eng);
	list_for_each_entry(peer, &plane->peer_list, plane_list)
		wgp_peer_quiesce(peer);
	mutex_unlock(&plane->conf_lock);
}

/* Module */

static int wgp_objects_show(struct seq_file *m, void *v)
{
	seq_printf(m, "planes %ld\npeers %ld\nkeypairs %ld\n",
		   atomic_long_read(&wgp_planes_live),
		   atomic_long_read(&wgp_peers_live), wgp_keypairs_alive());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wgp_objects);

static void __net_exit wgp_pernet_pre_exit(struct net *net)
{
	struct wgp_plane_engine *eng;
	struct wgp_plane *plane;

	mutex_lock(&wgp_all_planes_lock);
	list_for_each_entry(eng, &wgp_all_planes, all_list) {
		plane = container_of(eng, struct wgp_plane, eng);
		if (READ_ONCE(plane->creating_net) == net)
			wgp_socket_net_exit(plane);
	}
	mutex_unlock(&wgp_all_planes_lock);
}

static struct pernet_operations wgp_pernet_ops = {
	.pre_exit = wgp_pernet_pre_exit,
};

int __init wgp_engine_init(void)
{
	int ret;

	wgp_noise_init();
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "net/wgplanes:online",
					wgp_cpu_hotplug, wgp_cpu_hotplug);
	if (ret < 0)
		return ret;
	wgp_cpuhp_state = ret;
	ret = register_pernet_device(&wgp_pernet_ops);
	if (ret) {
		cpuhp_remove_state_nocalls(wgp_cpuhp_state);
		return ret;
	}
	wgp_debugfs_root = debugfs_create_dir("wgplanes", NULL);
	if (!IS_ERR_OR_NULL(wgp_debugfs_root))
		debugfs_create_file("objects", 0444, wgp_debugfs_root, NULL,
				    &wgp_objects_fops);
	return 0;
}

void wgp_engine_uninit(void)
{
	long planes, peers, keypairs;

	debugfs_remove_recursive(wgp_debugfs_root);
	unregister_pernet_device(&wgp_pernet_ops);
	cpuhp_remove_state_nocalls(wgp_cpuhp_state);
	/* keypairs and peers are freed after a grace period */
	rcu_barrier();
	planes = atomic_long_read(&wgp_planes_live);
	peers = atomic_long_read(&wgp_peers_live);
	keypairs = wgp_keypairs_alive();
	if (planes || peers || keypairs)
		pr_err("wgplanes: leak: %ld planes, %ld peers, %ld keypairs\n",
		       planes, peers, keypairs);
}
