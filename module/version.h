/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_VERSION_H
#define _WGP_VERSION_H

#define WGP_VERSION "0.1.0"

#endif /* _WGP_VERSION_H */
