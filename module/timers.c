// SPDX-License-Identifier: GPL-2.0
/*
 * Per-peer timers. Callbacks run in softirq context and only set a flag and
 * queue the peer's work: crypto and sending happen on the plane's CPUs.
 *
 *  retransmit:    REKEY_TIMEOUT (+ jitter) after an initiation was sent,
 *                 retry; after MAX_TIMER_HANDSHAKES + 1 retries, give up
 *                 and drop what is staged. The persistent keepalive stays
 *                 armed (the last initiation armed it): a peer that has
 *                 one tries again when it fires, so it comes back after
 *                 any outage.
 *  keepalive:     KEEPALIVE_TIMEOUT after data was received with nothing
 *                 sent since, send a keepalive.
 *  new_handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT after data was sent with
 *                 nothing received since, start a new handshake.
 *  zero_keys:     3 * REJECT_AFTER_TIME after the last session was derived,
 *                 forget all key material.
 *  persistent:    the peer's persistent keepalive interval after the last
 *                 authenticated packet in either direction, or after it
 *                 last fired: a keepalive that could not leave (no route
 *                 while a link is down) does not end them.
 */
#include <linux/timer.h>
#include <linux/jiffies.h>
#include <linux/random.h>

#include "device.h"
#include "peer.h"
#include "engine.h"
#include "queueing.h"
#include "socket.h"
#include "timers.h"

static void wgp_mod_timer(struct wgp_peer *peer, struct timer_list *t,
			  unsigned long expires)
{
	rcu_read_lock_bh();
	if (likely(wgp_peer_alive(peer)))
		mod_timer(t, expires);
	rcu_read_unlock_bh();
}

static unsigned long wgp_jitter(void)
{
	return get_random_u32_below(msecs_to_jiffies(WGP_REKEY_TIMEOUT_JITTER_MS)
				    + 1);
}

static void wgp_expired_retransmit(struct timer_list *t)
{
	struct wgp_peer *peer = from_timer(peer, t, eng.t_retransmit);

	/*
	 * The first initiation and MAX_TIMER_HANDSHAKES + 1 retries: the
	 * 20 initiations that stock WireGuard sends before it gives up.
	 */
	if (atomic_inc_return(&peer->eng.hs_attempts) >
	    WGP_MAX_TIMER_HANDSHAKES + 1) {
		/*
		 * give up: what waited for this handshake goes, and so does
		 * a keepalive owed to data of a session we cannot reach
		 */
		timer_delete(&peer->eng.t_keepalive);
		wgp_staged_purge(peer, WGPLANES_CNT_DROP_HANDSHAKE_TIMEOUT);
		if (!timer_pending(&peer->eng.t_zero_keys))
			wgp_mod_timer(peer, &peer->eng.t_zero_keys,
				      jiffies + 3 * WGP_REJECT_AFTER_TIME * HZ);
		return;
	}
	/* the source address we used may be what does not work */
	wgp_socket_clear_peer_src(peer);
	wgp_request_handshake(peer, true);
}

static void wgp_expired_keepalive(struct timer_list *t)
{
	struct wgp_peer *peer = from_timer(peer, t, eng.t_keepalive);

	wgp_request_keepalive(peer);
	if (test_and_clear_bit(WGP_PF_KEEPALIVE_AGAIN, &peer->eng.flags))
		wgp_mod_timer(peer, &peer->eng.t_keepalive,
			      jiffies + WGP_KEEPALIVE_TIMEOUT * HZ);
}

static void wgp_expired_new_handshake(struct timer_list *t)
{
	struct wgp_peer *peer = from_timer(peer, t, eng.t_new_handshake);

	wgp_socket_clear_peer_src(peer);
	wgp_request_handshake(peer, false);
}

static void wgp_expired_zero_keys(struct timer_list *t)
{
	struct wgp_peer *peer = from_timer(peer, t, eng.t_zero_keys);

	set_bit(WGP_PF_ZERO_KEYS, &peer->eng.flags);
	wgp_peer_queue_work(peer, &peer->eng.hs_work);
}

static void wgp_expired_persistent(struct timer_list *t)
{
	struct wgp_peer *peer = from_timer(peer, t, eng.t_persistent);
	u16 interval = READ_ONCE(peer->persistent_keepalive_interval);

	if (!interval)
		return;
	wgp_request_keepalive(peer);
	/*
	 * Only a packet that left would arm it again: after a failed send
	 * a peer behind NAT would stay silent, and unreachable, for good.
	 */
	wgp_mod_timer(peer, &peer->eng.t_persistent, jiffies + interval * HZ);
}

void wgp_timers_init(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;

	timer_setup(&eng->t_retransmit, wgp_expired_retransmit, 0);
	timer_setup(&eng->t_keepalive, wgp_expired_keepalive, 0);
	timer_setup(&eng->t_new_handshake, wgp_expired_new_handshake, 0);
	timer_setup(&eng->t_zero_keys, wgp_expired_zero_keys, 0);
	timer_setup(&eng->t_persistent, wgp_expired_persistent, 0);
	atomic_set(&eng->hs_attempts, 0);
}

/* After wgp_peer_alive() turned false and a grace period passed. */
void wgp_timers_stop(struct wgp_peer *peer)
{
	struct wgp_peer_engine *eng = &peer->eng;

	timer_delete_sync(&eng->t_retransmit);
	timer_delete_sync(&eng->t_keepalive);
	timer_delete_sync(&eng->t_new_handshake);
	timer_delete_sync(&eng->t_zero_keys);
	timer_delete_sync(&eng->t_persistent);
	clear_bit(WGP_PF_KEEPALIVE_AGAIN, &eng->flags);
}

void wgp_timers_age(struct wgp_peer *peer, u32 secs)
{
	/* a handshake being retried has been retried for secs more */
	if (timer_pending(&peer->eng.t_retransmit))
		atomic_add(min_t(u32, secs / WGP_REKEY_TIMEOUT,
				 WGP_MAX_TIMER_HANDSHAKES + 1),
			   &peer->eng.hs_attempts);
}

void wgp_timers_data_sent(struct wgp_peer *peer)
{
	if (!timer_pending(&peer->eng.t_new_handshake))
		wgp_mod_timer(peer, &peer->eng.t_new_handshake,
			      jiffies + (WGP_KEEPALIVE_TIMEOUT +
					 WGP_REKEY_TIMEOUT) * HZ +
			      wgp_jitter());
}

void wgp_timers_data_received(struct wgp_peer *peer)
{
	if (!timer_pending(&peer->eng.t_keepalive))
		wgp_mod_timer(peer, &peer->eng.t_keepalive,
			      jiffies + WGP_KEEPALIVE_TIMEOUT * HZ);
	else
		set_bit(WGP_PF_KEEPALIVE_AGAIN, &peer->eng.flags);
}

void wgp_timers_any_authenticated_packet_sent(struct wgp_peer *peer)
{
	timer_delete(&peer->eng.t_keepalive);
}

void wgp_timers_any_authenticated_packet_received(struct wgp_peer *peer)
{
	timer_delete(&peer->eng.t_new_handshake);
}

void wgp_timers_any_authenticated_packet_traversal(struct wgp_peer *peer)
{
	u16 interval = READ_ONCE(peer->persistent_keepalive_interval);

	if (interval)
		wgp_mod_timer(peer, &peer->eng.t_persistent,
			      jiffies + interval * HZ);
}

void wgp_timers_handshake_initiated(struct wgp_peer *peer)
{
	wgp_mod_timer(peer, &peer->eng.t_retransmit,
		      jiffies + WGP_REKEY_TIMEOUT * HZ + wgp_jitter());
}

void wgp_timers_handshake_complete(struct wgp_peer *peer)
{
	struct timespec64 now;

	timer_delete(&peer->eng.t_retransmit);
	atomic_set(&peer->eng.hs_attempts, 0);
	clear_bit(WGP_PF_LASTMINUTE_HS, &peer->eng.flags);
	ktime_get_real_ts64(&now);
	WRITE_ONCE(peer->last_handshake.tv_sec, now.tv_sec);
	WRITE_ONCE(peer->last_handshake.tv_nsec, now.tv_nsec);
}

void wgp_timers_session_derived(struct wgp_peer *peer)
{
	wgp_mod_timer(peer, &peer->eng.t_zero_keys,
		      jiffies + 3 * WGP_REJECT_AFTER_TIME * HZ);
}
