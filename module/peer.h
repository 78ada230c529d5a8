/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A peer of a plane: its public key, endpoint and allowed IPs.
 */
#ifndef _WGP_PEER_H
#define _WGP_PEER_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/wgplanes.h>

struct wgp_plane;

struct wgp_peer {
	struct wgp_plane *plane;
	/* all allowed IPs owned by this peer (struct wgp_aip_node.peer_list) */
	struct list_head allowedips_list;
	u64 internal_id;
};

#endif /* _WGP_PEER_H */
