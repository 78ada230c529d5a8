/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, in one place. Feature code tests the COMPAT_*
 * macros defined here and never LINUX_VERSION_CODE directly.
 */
#ifndef _WGP_COMPAT_H
#define _WGP_COMPAT_H

#include <linux/version.h>

#define WGP_KERNEL_AT_LEAST(a, b, c) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

#endif /* _WGP_COMPAT_H */
