/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_IPC_H
#define _WGP_IPC_H

#include "config.h"

struct wgp_fleet_plane {
	uint32_t index;
	uint32_t ifindex;
	int32_t netnsid;
	bool has_netnsid;
	char name[WGPLANES_PLANE_NAME_LEN + 1];
	char ifname[IF_NAMESIZE];
};

struct wgp_fleet {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
	uint32_t slots;
	struct wgp_fleet_plane planes[WGPLANES_MAX_PLANES];
	size_t n_planes;
	bool has_counters;
	uint64_t counters[__WGPLANES_CNT_LAST];
	struct wgp_fleet *next;
};

/* All return 0 or a negative errno; ipc_strerror() adds the extack text. */
int ipc_get_plane(struct wgp_plane **plane, const char *name);
int ipc_set_plane(const struct wgp_plane *plane);
/* Names of all planes, NUL separated, ending with an empty string. */
int ipc_list_planes(char **names);
int ipc_get_fleets(struct wgp_fleet **fleets, const char *name);
void ipc_free_fleets(struct wgp_fleet *fleets);
int ipc_fleet_add(const char *name, unsigned int planes,
		  char *const names[], unsigned int n_names);
int ipc_fleet_del(const char *name);
const char *ipc_strerror(int err);

#endif /* _WGP_IPC_H */
