/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_FLEET_H
#define _WGP_FLEET_H

#include <net/rtnetlink.h>

struct wgp_plane;

extern struct rtnl_link_ops wgp_fleet_link_ops;
extern struct rtnl_link_ops wgp_plane_link_ops;

void wgp_plane_setup(struct net_device *dev);
void wgp_fleet_detach_plane(struct wgp_plane *plane);

#endif /* _WGP_FLEET_H */
