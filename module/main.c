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
#include "device.h"
#include "allowedips.h"
#include "selftest.h"
#include "engine.h"
#include "netlink.h"

static bool selftest;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "Run the built-in self-tests at load");

static int __init wgp_mod_init(void)
{
	int ret;

	ret = wgp_allowedips_slab_init();
	if (ret)
		return ret;

	if (selftest) {
		ret = wgp_selftest_allowedips();
		if (ret)
			goto err_selftest;
		ret = wgp_selftest_noise();
		if (ret)
			goto err_selftest;
		ret = wgp_selftest_guard();
		if (ret)
			goto err_selftest;
	}

	ret = wgp_engine_init();
	if (ret)
		goto err_engine;

	ret = wgp_device_init();
	if (ret)
		goto err_device;

	ret = wgp_genetlink_init();
	if (ret)
		goto err_genetlink;

	pr_info("wgplanes " WGP_VERSION " loaded\n");
	return 0;

err_genetlink:
	wgp_device_uninit();
err_device:
	wgp_engine_uninit();
err_engine:
err_selftest:
	wgp_allowedips_slab_uninit();
	return ret;
}

static void __exit wgp_mod_exit(void)
{
	wgp_genetlink_uninit();
	wgp_device_uninit();
	wgp_engine_uninit();
	wgp_allowedips_slab_uninit();
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
