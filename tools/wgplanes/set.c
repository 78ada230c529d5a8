// SPDX-License-Identifier: GPL-2.0
/* set, setconf, addconf and syncconf: wg's semantics on a plane. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "encoding.h"
#include "ipc.h"
#include "subcommands.h"

static int apply(struct wgp_plane *p, const char *name)
{
	int err;

	snprintf(p->name, sizeof(p->name), "%s", name);
	err = ipc_set_plane(p);
	if (err)
		fprintf(stderr, PROG_NAME ": unable to modify plane '%s': %s\n",
			name, ipc_strerror(err));
	return err ? 1 : 0;
}

int set_main(int argc, char *argv[])
{
	struct wgp_plane *p;
	int ret;

	if (argc < 3) {
		fprintf(stderr, "Usage: " PROG_NAME " set <plane> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [cpus <list>|all] [priority normal|high] [rate <rate>|off] [burst <size>] [txqueue|encqueue|decqueue|hsqueue <packets>] [peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] [allowed-ips <ip1>/<cidr1>[,<ip2>/<cidr2>]...] [update-only]]...\n");
		return 1;
	}
	p = config_read_args(argc - 2, argv + 2);
	if (!p)
		return 1;
	ret = apply(p, argv[1]);
	plane_free(p);
	return ret;
}

static bool same_ips(const struct wgp_peer *a, const struct wgp_peer *b)
{
	size_t i, j;

	if (a->n_ips != b->n_ips)
		return false;
	/* Order does not matter; the kernel may return them in its own. */
	for (i = 0; i < a->n_ips; i++) {
		for (j = 0; j < b->n_ips; j++)
			if (a->ips[i].family == b->ips[j].family &&
			    a->ips[i].cidr == b->ips[j].cidr &&
			    !memcmp(&a->ips[i].ip6, &b->ips[j].ip6,
				    a->ips[i].family == AF_INET ? 4 : 16))
				break;
		if (j == b->n_ips)
			return false;
	}
	return true;
}

static bool same_endpoint(const union wgp_endpoint *a,
			  const union wgp_endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET)
		return a->addr4.sin_port == b->addr4.sin_port &&
		       a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr;
	return a->addr6.sin6_port == b->addr6.sin6_port &&
	       !memcmp(&a->addr6.sin6_addr, &b->addr6.sin6_addr, 16) &&
	       a->addr6.sin6_scope_id == b->addr6.sin6_scope_id;
}

/* Does applying @want to @cur change anything? */
static bool peer_differs(const struct wgp_peer *want,
			 const struct wgp_peer *cur)
{
	uint8_t zero[WGPLANES_KEY_LEN] = { 0 };

	/* An absent key is all zeros on both sides (see sync_with). */
	if (memcmp(want->preshared_key, cur->flags &
		   WGP_PEER_HAS_PRESHARED_KEY ? cur->preshared_key : zero,
		   WGPLANES_KEY_LEN))
		return true;
	if (want->endpoint.addr.sa_family &&
	    !same_endpoint(&want->endpoint, &cur->endpoint))
		return true;
	/* as wg: a keepalive the file leaves out is kept, not reset */
	if ((want->flags & WGP_PEER_HAS_KEEPALIVE) &&
	    want->keepalive != cur->keepalive)
		return true;
	return !same_ips(want, cur);
}

/*
 * Reduce @want to the changes against the running plane: drop peers that
 * are already as wanted, add removals of peers absent from the file, and
 * drop interface settings that already hold.
 */
static int sync_with(struct wgp_plane *want, const char *name)
{
	struct wgp_peer *pe, *cur, **link;
	struct wgp_plane *now;
	int err;

	err = ipc_get_plane(&now, name);
	if (err) {
		fprintf(stderr, PROG_NAME ": unable to access plane '%s': %s\n",
			name, ipc_strerror(err));
		return 1;
	}
	for (cur = now->first_peer; cur; cur = cur->next) {
		if (plane_find_peer(want, cur->public_key))
			continue;
		pe = plane_add_peer(want);
		memcpy(pe->public_key, cur->public_key, WGPLANES_KEY_LEN);
		pe->flags = WGP_PEER_HAS_PUBLIC_KEY | WGP_PEER_REMOVE_ME;
	}
	for (link = &want->first_peer; (pe = *link);) {
		/*
		 * A preshared key the file leaves out is removed; a
		 * keepalive it leaves out is kept. Both as wg syncconf.
		 */
		if (!(pe->flags & WGP_PEER_REMOVE_ME))
			pe->flags |= WGP_PEER_HAS_PRESHARED_KEY;
		cur = plane_find_peer(now, pe->public_key);
		if (!(pe->flags & WGP_PEER_REMOVE_ME) && cur &&
		    !peer_differs(pe, cur)) {
			*link = pe->next;
			want->n_peers--;
			free(pe->ips);
			explicit_bzero(pe, sizeof(*pe));
			free(pe);
			continue;
		}
		want->last_peer = pe;
		link = &pe->next;
	}
	if (!want->first_peer)
		want->last_peer = NULL;
	if ((want->flags & WGP_HAS_PRIVATE_KEY) &&
	    (now->flags & WGP_HAS_PRIVATE_KEY) &&
	    !memcmp(want->private_key, now->private_key, WGPLANES_KEY_LEN))
		want->flags &= ~WGP_HAS_PRIVATE_KEY;
	if ((want->flags & WGP_HAS_LISTEN_PORT) &&
	    want->listen_port == now->listen_port)
		want->flags &= ~WGP_HAS_LISTEN_PORT;
	if ((want->flags & WGP_HAS_FWMARK) && want->fwmark == now->fwmark)
		want->flags &= ~WGP_HAS_FWMARK;
	plane_free(now);
	return 0;
}

int setconf_main(int argc, char *argv[])
{
	struct wgp_plane *p;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "Usage: " PROG_NAME " %s <plane> <configuration filename>\n",
			argv[0]);
		return 1;
	}
	p = config_read_file(argv[2]);
	if (!p)
		return 1;
	if (!strcmp(argv[0], "setconf"))
		p->flags |= WGP_REPLACE_PEERS;
	if (!strcmp(argv[0], "syncconf") && sync_with(p, argv[1])) {
		plane_free(p);
		return 1;
	}
	ret = apply(p, argv[1]);
	plane_free(p);
	return ret;
}
