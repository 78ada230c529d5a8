// SPDX-License-Identifier: GPL-2.0
/* fleet add | del | show: the wgplanes-only commands. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ipc.h"
#include "subcommands.h"

static int fleet_usage(void)
{
	fprintf(stderr,
		"Usage: " PROG_NAME " fleet add <name> [planes <n> | planes <a,b,...>] [names <a,b,...>]\n"
		"       " PROG_NAME " fleet del <name>\n"
		"       " PROG_NAME " fleet show [<name>] [--json]\n");
	return 1;
}

/* Splits "a,b,c" in place into @names; returns the count or -1. */
static int split_names(char *list, char *names[WGPLANES_MAX_PLANES])
{
	char *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == WGPLANES_MAX_PLANES ||
		    strlen(tok) >= WGPLANES_PLANE_NAME_LEN ||
		    strpbrk(tok, "/: \t"))
			return -1;
		names[n++] = tok;
	}
	return n ? n : -1;
}

static int fleet_add(int argc, char *argv[])
{
	char *names[WGPLANES_MAX_PLANES];
	int i, n_names = 0, err;
	unsigned long planes = 0;
	char *end;

	if (argc < 1 || strlen(argv[0]) >= IF_NAMESIZE)
		return fleet_usage();
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "planes")) {
			planes = strtoul(argv[i + 1], &end, 10);
			/* "planes a,b,c" is shorthand for names. */
			if (*end || end == argv[i + 1]) {
				planes = 0;
				n_names = split_names(argv[i + 1], names);
			} else if (!planes || planes > WGPLANES_MAX_PLANES) {
				fprintf(stderr, PROG_NAME ": invalid planes '%s' (1..%u)\n",
					argv[i + 1], WGPLANES_MAX_PLANES);
				return 1;
			}
		} else if (!strcmp(argv[i], "names")) {
			n_names = split_names(argv[i + 1], names);
		} else {
			return fleet_usage();
		}
		if (n_names < 0) {
			fprintf(stderr, PROG_NAME ": invalid plane names '%s' (at most %u names of up to %u characters)\n",
				argv[i + 1], WGPLANES_MAX_PLANES,
				WGPLANES_PLANE_NAME_LEN - 1);
			return 1;
		}
	}
	if (i != argc)
		return fleet_usage();
	if (n_names && planes && planes != (unsigned long)n_names) {
		fprintf(stderr, PROG_NAME ": planes %lu but %d names given\n",
			planes, n_names);
		return 1;
	}
	if (n_names)
		planes = (unsigned long)n_names;
	err = ipc_fleet_add(argv[0], (unsigned int)planes, names,
			    (unsigned int)n_names);
	if (err) {
		fprintf(stderr, PROG_NAME ": unable to create fleet '%s': %s\n",
			argv[0], ipc_strerror(err));
		return 1;
	}
	return 0;
}

static void fleet_pretty(const struct wgp_fleet *f)
{
	const char *sep = "  counters: ";
	size_t i;

	printf("fleet: %s\n  ifindex: %u\n  plane slots: %u\n", f->name,
	       f->ifindex, f->slots);
	for (i = 0; i < f->n_planes; i++) {
		const struct wgp_fleet_plane *fp = &f->planes[i];

		printf("  plane %u: %s, %s (ifindex %u", fp->index, fp->name,
		       fp->ifname[0] ? fp->ifname : "?", fp->ifindex);
		if (fp->has_netnsid)
			printf(", netnsid %d", fp->netnsid);
		printf(")\n");
	}
	for (i = 0; i < __WGPLANES_CNT_LAST; i++) {
		if (!f->counters[i])
			continue;
		printf("%s%s %" PRIu64, sep, counter_names[i], f->counters[i]);
		sep = ", ";
	}
	if (sep[0] == ',')
		printf("\n");
}

static void fleet_json(const struct wgp_fleet *f)
{
	size_t i;

	printf("{\"name\":");
	json_string(stdout, f->name);
	printf(",\"ifindex\":%u,\"plane_slots\":%u,\"planes\":[", f->ifindex,
	       f->slots);
	for (i = 0; i < f->n_planes; i++) {
		const struct wgp_fleet_plane *fp = &f->planes[i];

		printf("%s{\"index\":%u,\"name\":", i ? "," : "", fp->index);
		json_string(stdout, fp->name);
		printf(",\"ifname\":");
		json_string(stdout, fp->ifname);
		printf(",\"ifindex\":%u", fp->ifindex);
		if (fp->has_netnsid)
			printf(",\"netnsid\":%d", fp->netnsid);
		printf("}");
	}
	printf("],\"counters\":");
	json_counters(stdout, f->counters);
	printf("}");
}

static int fleet_show(int argc, char *argv[])
{
	struct wgp_fleet *fleets = NULL, *f;
	int err;

	if (argc > 1)
		return fleet_usage();
	err = ipc_get_fleets(&fleets, argc ? argv[0] : NULL);
	if (err) {
		fprintf(stderr, PROG_NAME ": unable to get fleet%s%s: %s\n",
			argc ? " " : "s", argc ? argv[0] : "",
			ipc_strerror(err));
		return 1;
	}
	if (opt_json)
		printf("{\"fleets\":[");
	for (f = fleets; f; f = f->next) {
		if (opt_json) {
			if (f != fleets)
				putchar(',');
			fleet_json(f);
		} else {
			if (f != fleets)
				putchar('\n');
			fleet_pretty(f);
		}
	}
	if (opt_json)
		printf("]}\n");
	ipc_free_fleets(fleets);
	return 0;
}

int fleet_main(int argc, char *argv[])
{
	int err;

	if (argc < 2)
		return fleet_usage();
	if (!strcmp(argv[1], "add"))
		return fleet_add(argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return fleet_show(argc - 2, argv + 2);
	if (strcmp(argv[1], "del") || argc != 3)
		return fleet_usage();
	err = ipc_fleet_del(argv[2]);
	if (err) {
		fprintf(stderr, PROG_NAME ": unable to delete fleet '%s': %s\n",
			argv[2], ipc_strerror(err));
		return 1;
	}
	return 0;
}
