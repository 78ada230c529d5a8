/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-module self-tests, run at load time when selftest=1 is given.
 */
#ifndef _WGP_SELFTEST_H
#define _WGP_SELFTEST_H

#include <linux/init.h>

/*
 * Counts a check in *checks; when it failed, logs the message and returns
 * false.
 */
bool __init __printf(3, 4) wgp_st_ok(unsigned long *checks, bool ok,
				     const char *fmt, ...);

/* Needs wgp_allowedips_slab_init() first. 0 or -EINVAL. */
int __init wgp_selftest_allowedips(void);

/* HMAC/HKDF-BLAKE2s vectors and the replay window. 0 or -EINVAL. */
int __init wgp_selftest_noise(void);

/* The rate guard's arithmetic at the limits. 0 or -EINVAL. */
int __init wgp_selftest_guard(void);

#endif /* _WGP_SELFTEST_H */
