/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-peer protocol timers (PROTOCOL.md, "Timers and constants"). The
 * event functions may be called from any context except hard IRQ; they arm
 * nothing for a peer that is stopping (see engine.h).
 */
#ifndef _WGP_TIMERS_H
#define _WGP_TIMERS_H

#include <linux/types.h>

struct wgp_peer;

void wgp_timers_init(struct wgp_peer *peer);
void wgp_timers_stop(struct wgp_peer *peer);

/*
 * debugfs "age" (engine.c): secs passed for the handshake attempts of a
 * peer that is retrying one. Armed timers are not moved.
 */
void wgp_timers_age(struct wgp_peer *peer, u32 secs);

void wgp_timers_data_sent(struct wgp_peer *peer);
void wgp_timers_data_received(struct wgp_peer *peer);
void wgp_timers_any_authenticated_packet_sent(struct wgp_peer *peer);
void wgp_timers_any_authenticated_packet_received(struct wgp_peer *peer);
void wgp_timers_any_authenticated_packet_traversal(struct wgp_peer *peer);
void wgp_timers_handshake_initiated(struct wgp_peer *peer);
void wgp_timers_handshake_complete(struct wgp_peer *peer);
void wgp_timers_session_derived(struct wgp_peer *peer);

#endif /* _WGP_TIMERS_H */
