/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "wgplanes": plane configuration and state,
 * fleet state. The ABI is include/uapi/linux/wgplanes.h, also written as
 * Documentation/netlink/specs/wgplanes.yaml.
 */
#ifndef _WGP_NETLINK_H
#define _WGP_NETLINK_H

int wgp_genetlink_init(void);
void wgp_genetlink_uninit(void);

#endif /* _WGP_NETLINK_H */
