/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place. Feature code tests the COMPAT_*
 * macros defined here and never LINUX_VERSION_CODE directly.
 */
#ifndef _WGP_COMPAT_H
#define _WGP_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>

#define WGP_KERNEL_AT_LEAST(a, b, c) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

/* 6.12 turned the NETIF_F_LLTX feature bit into a net_device field. */
#ifdef NETIF_F_LLTX
#define COMPAT_SET_LLTX(dev) ((dev)->features |= NETIF_F_LLTX)
#else
#define COMPAT_SET_LLTX(dev) ((dev)->lltx = true)
#endif

/*
 * 6.6 put a struct genl_info into the state of a generic netlink dump; the
 * attributes parsed for .start and .dumpit moved into it. Needs
 * <net/genetlink.h>.
 */
#if WGP_KERNEL_AT_LEAST(6, 6, 0)
#define COMPAT_GENL_DUMP_ATTRS(cb) (genl_info_dump(cb)->attrs)
#else
#define COMPAT_GENL_DUMP_ATTRS(cb) (genl_dumpit_info(cb)->attrs)
#endif

/*
 * IFF_LIVE_RENAME_OK is gone in 6.12, where any device may be renamed while
 * up.
 */
#if WGP_KERNEL_AT_LEAST(6, 12, 0)
#define COMPAT_IFF_LIVE_RENAME_OK 0
#else
#define COMPAT_IFF_LIVE_RENAME_OK IFF_LIVE_RENAME_OK
#endif

/* 6.12 moved <asm/unaligned.h> to <linux/unaligned.h>. */
#if WGP_KERNEL_AT_LEAST(6, 12, 0)
#define COMPAT_HAVE_LINUX_UNALIGNED_H 1
#endif

/* 6.5 moved skb_gso_segment() from <linux/netdevice.h> to <net/gso.h>. */
#if WGP_KERNEL_AT_LEAST(6, 5, 0)
#define COMPAT_HAVE_NET_GSO_H 1
#endif

#endif /* _WGP_COMPAT_H */
