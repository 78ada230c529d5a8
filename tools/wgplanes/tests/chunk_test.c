// SPDX-License-Identifier: GPL-2.0
/*
 * Splitting of large SET_PLANE requests, without a kernel: the messages are
 * captured instead of sent, parsed back with the GET_PLANE parser (which
 * merges continued peers the same way) and compared with the input.
 */
#include <stdio.h>

struct nl;
struct nlmsghdr;
static int capture(struct nlmsghdr *nlh);
#define SET_PLANE_SEND(nl, nlh) capture(nlh)
#include "../ipc.c"

#define REPLACE WGPLANES_PEER_F_REPLACE_ALLOWEDIPS

static struct wgp_plane *got;
static unsigned int n_msgs, errors;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		errors++;						\
		fprintf(stderr, "chunk_test: " __VA_ARGS__);		\
		fputc('\n', stderr);					\
	}								\
} while (0)

static int capture(struct nlmsghdr *nlh)
{
	const struct nlattr *a, *pa, *f;
	bool first = n_msgs++ == 0, replace = false;

	CHECK(nlh->nlmsg_len <= SEND_BUF_SIZE, "message of %u bytes",
	      nlh->nlmsg_len);
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == WGPLANES_A_FLAGS)
			replace = true;
		if (mnl_attr_get_type(a) == WGPLANES_A_LISTEN_PORT)
			CHECK(first, "interface settings after message 1");
		if (mnl_attr_get_type(a) != WGPLANES_A_PEERS)
			continue;
		/* A continued peer must not replace what was sent before. */
		pa = mnl_attr_get_payload(a);
		if (!first && got->last_peer)
			mnl_attr_for_each_nested(f, pa)
				if (mnl_attr_get_type(f) ==
				    WGPLANES_PEER_A_FLAGS &&
				    !memcmp(got->last_peer->public_key,
					    mnl_attr_get_payload(
						mnl_attr_get_payload(pa)),
					    WGPLANES_KEY_LEN))
					CHECK(!(mnl_attr_get_u32(f) & REPLACE),
					      "continued peer replaces IPs");
	}
	CHECK(replace == first, "REPLACE_PEERS in message %u", n_msgs);
	return plane_cb(nlh, got);
}

int main(void)
{
	struct wgp_plane *p = plane_new();
	struct wgp_peer *pe, *q;
	struct nl nl = { 0 };
	unsigned int i, j, n_ips = 0;
	size_t k;

	p->flags = WGP_HAS_LISTEN_PORT | WGP_REPLACE_PEERS;
	p->listen_port = 51820;
	snprintf(p->name, sizeof(p->name), "test0");
	/* 10,000 peers, 100,000 IPs: a few peers hold thousands of them. */
	for (i = 0; i < 10000; i++) {
		pe = plane_add_peer(p);
		pe->flags = WGP_PEER_HAS_PUBLIC_KEY |
			    WGP_PEER_REPLACE_ALLOWEDIPS;
		memcpy(pe->public_key, &i, sizeof(i));
		pe->public_key[31] = 1;
		for (j = 0; j < (i % 1000 == 7 ? 6000 : 4); j++) {
			struct wgp_allowedip ip = { .family = AF_INET6,
						    .cidr = 128 };

			memcpy(&ip.ip6, &n_ips, sizeof(n_ips));
			n_ips++;
			peer_add_ip(pe, &ip);
		}
	}
	got = plane_new();
	CHECK(set_plane_msgs(&nl, p) == 0, "set_plane_msgs failed");
	CHECK(got->n_peers == p->n_peers, "%zu peers back, %zu sent",
	      got->n_peers, p->n_peers);
	for (pe = p->first_peer, q = got->first_peer; pe && q;
	     pe = pe->next, q = q->next) {
		CHECK(!memcmp(pe->public_key, q->public_key, WGPLANES_KEY_LEN),
		      "peer order");
		CHECK(pe->n_ips == q->n_ips, "peer has %zu IPs, sent %zu",
		      q->n_ips, pe->n_ips);
		for (k = 0; k < pe->n_ips && k < q->n_ips; k++)
			CHECK(!memcmp(&pe->ips[k], &q->ips[k],
				      sizeof(pe->ips[k])), "IP %zu differs", k);
	}
	printf("chunk_test: %u peers, %u allowed IPs in %u messages: %s\n",
	       10000, n_ips, n_msgs, errors ? "FAIL" : "ok");
	plane_free(p);
	plane_free(got);
	return errors ? 1 : 0;
}
