// SPDX-License-Identifier: GPL-2.0
/*
 * show, showconf and parseconf. The wg-compatible forms (pretty, dump and
 * the single fields) print exactly what wg prints, so scripts written for
 * wg work unchanged; wgplanes' own state goes into extra indented lines of
 * the pretty form and into --json.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "encoding.h"
#include "ipc.h"
#include "subcommands.h"

const char *const counter_names[__WGPLANES_CNT_LAST] = {
	[WGPLANES_CNT_RX_PACKETS] = "rx_packets",
	[WGPLANES_CNT_RX_BYTES] = "rx_bytes",
	[WGPLANES_CNT_TX_PACKETS] = "tx_packets",
	[WGPLANES_CNT_TX_BYTES] = "tx_bytes",
	[WGPLANES_CNT_HANDSHAKE_INIT_RX] = "handshake_init_rx",
	[WGPLANES_CNT_HANDSHAKE_RESP_RX] = "handshake_resp_rx",
	[WGPLANES_CNT_HANDSHAKE_INIT_TX] = "handshake_init_tx",
	[WGPLANES_CNT_HANDSHAKE_RESP_TX] = "handshake_resp_tx",
	[WGPLANES_CNT_COOKIE_TX] = "cookie_tx",
	[WGPLANES_CNT_COOKIE_RX] = "cookie_rx",
	[WGPLANES_CNT_UNDER_LOAD] = "under_load",
	[WGPLANES_CNT_DROP_BAD_PACKET] = "drop_bad_packet",
	[WGPLANES_CNT_DROP_BAD_MAC1] = "drop_bad_mac1",
	[WGPLANES_CNT_DROP_BAD_MAC2] = "drop_bad_mac2",
	[WGPLANES_CNT_DROP_HANDSHAKE_INVALID] = "drop_handshake_invalid",
	[WGPLANES_CNT_DROP_HANDSHAKE_RATELIMIT] = "drop_handshake_ratelimit",
	[WGPLANES_CNT_DROP_NO_KEYPAIR] = "drop_no_keypair",
	[WGPLANES_CNT_DROP_KEY_EXPIRED] = "drop_key_expired",
	[WGPLANES_CNT_DROP_DECRYPT] = "drop_decrypt",
	[WGPLANES_CNT_DROP_REPLAY] = "drop_replay",
	[WGPLANES_CNT_DROP_ALLOWEDIPS] = "drop_allowedips",
	[WGPLANES_CNT_DROP_NO_PEER] = "drop_no_peer",
	[WGPLANES_CNT_DROP_NO_ENDPOINT] = "drop_no_endpoint",
	[WGPLANES_CNT_DROP_TXQ_FULL] = "drop_txq_full",
	[WGPLANES_CNT_DROP_ENCQ_FULL] = "drop_encq_full",
	[WGPLANES_CNT_DROP_DECQ_FULL] = "drop_decq_full",
	[WGPLANES_CNT_DROP_HSQ_FULL] = "drop_hsq_full",
	[WGPLANES_CNT_DROP_RX_RATE] = "drop_rx_rate",
	[WGPLANES_CNT_TX_THROTTLED] = "tx_throttled",
	[WGPLANES_CNT_DROP_NOMEM] = "drop_nomem",
	[WGPLANES_CNT_DROP_HANDSHAKE_TIMEOUT] = "drop_handshake_timeout",
	[WGPLANES_CNT_DROP_TX_ERROR] = "drop_tx_error",
	[WGPLANES_CNT_RX_KEEPALIVES] = "rx_keepalives",
	[WGPLANES_CNT_RX_SHAPED] = "rx_shaped",
	[WGPLANES_CNT_DROP_RX_JUNK] = "drop_rx_junk",
};

static const char *key_str(const uint8_t *key, bool has)
{
	static char buf[2][WGP_KEY_B64_LEN];
	static int i;

	if (!has)
		return "(none)";
	i ^= 1;
	key_to_base64(buf[i], key);
	return buf[i];
}

/* ------------------------------------------------------------ pretty */

static void print_duration(uint64_t secs)
{
	static const struct {
		uint64_t len;
		const char *name;
	} units[] = {
		{ 365 * 24 * 3600, "year" }, { 24 * 3600, "day" },
		{ 3600, "hour" }, { 60, "minute" }, { 1, "second" },
	};
	const char *sep = "";
	unsigned int i;
	uint64_t n;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = secs / units[i].len;
		secs %= units[i].len;
		if (!n)
			continue;
		printf("%s%" PRIu64 " %s%s", sep, n, units[i].name,
		       n == 1 ? "" : "s");
		sep = ", ";
	}
}

static void print_bytes(uint64_t b)
{
	if (b < 1024)
		printf("%" PRIu64 " B", b);
	else if (b < 1024ULL * 1024)
		printf("%.2f KiB", (double)b / 1024);
	else if (b < 1024ULL * 1024 * 1024)
		printf("%.2f MiB", (double)b / (1024 * 1024));
	else if (b < 1024ULL * 1024 * 1024 * 1024)
		printf("%.2f GiB", (double)b / (1024.0 * 1024 * 1024));
	else
		printf("%.2f TiB", (double)b / (1024.0 * 1024 * 1024 * 1024));
}

static int peer_cmp(const void *a, const void *b)
{
	const struct wgp_peer *x = *(struct wgp_peer *const *)a;
	const struct wgp_peer *y = *(struct wgp_peer *const *)b;

	/* Most recent handshake first, peers that never shook hands last. */
	if (x->handshake_sec != y->handshake_sec)
		return x->handshake_sec > y->handshake_sec ? -1 : 1;
	if (x->handshake_nsec != y->handshake_nsec)
		return x->handshake_nsec > y->handshake_nsec ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void print_wgplanes_lines(const struct wgp_plane *p)
{
	const struct wgp_policy *pol = &p->policy;
	char fleet[IF_NAMESIZE] = "?", rate[32], burst[32];
	const char *sep = "  drops: ";
	unsigned int i;

	if (p->flags & WGP_HAS_FLEET) {
		if_indextoname(p->fleet_ifindex, fleet);
		printf("  fleet: %s, plane %u (%s)\n", fleet, p->plane_index,
		       p->plane_name[0] ? p->plane_name : "?");
	}
	if (pol->has) {
		format_rate(rate, sizeof(rate), pol->rate);
		format_size(burst, sizeof(burst), pol->burst);
		printf("  policy: cpus %s", pol->cpus[0] ? pol->cpus : "all");
		if (pol->has & WGP_POL_EFFECTIVE_CPUS)
			printf(" (effective %s%s)", pol->effective_cpus,
			       pol->cpus_fallback ?
			       ": none of cpus is online, using all" : "");
		printf(", priority %s, rate %s",
		       pol->priority == WGPLANES_PRIO_HIGH ? "high" : "normal",
		       rate);
		if (pol->rate)
			printf(", burst %s", pol->burst ? burst : "auto");
		if (pol->tx_stopped)
			printf(" (holding transmit)");
		if (pol->has & WGP_POL_STATE)
			printf("\n  queues: tx %u/peer, wait %u/%u, enc %u/%u, "
			       "dec %u/%u, hs %u/%u\n", pol->txq,
			       pol->waitq_used, pol->encq, pol->encq_used,
			       pol->encq, pol->decq_used, pol->decq,
			       pol->hsq_used, pol->hsq);
		else
			printf("\n  queues: tx %u, enc %u, dec %u, hs %u\n",
			       pol->txq, pol->encq, pol->decq, pol->hsq);
	}
	for (i = 0; i < __WGPLANES_CNT_LAST; i++) {
		if (strncmp(counter_names[i], "drop_", 5) || !p->counters[i])
			continue;
		printf("%s%s %" PRIu64, sep, counter_names[i] + 5,
		       p->counters[i]);
		sep = ", ";
	}
	if (sep[0] == ',')
		printf("\n");
}

static void pretty_print(const struct wgp_plane *p)
{
	struct wgp_peer **peers, *pe;
	char buf[INET6_ADDRSTRLEN + 64];
	time_t now = time(NULL);
	size_t i, j, n = 0;

	printf("interface: %s\n", p->name);
	if (p->flags & WGP_HAS_PUBLIC_KEY)
		printf("  public key: %s\n", key_str(p->public_key, true));
	if (p->flags & WGP_HAS_PRIVATE_KEY)
		printf("  private key: (hidden)\n");
	if (p->listen_port)
		printf("  listening port: %u\n", p->listen_port);
	if (p->fwmark)
		printf("  fwmark: 0x%x\n", p->fwmark);
	print_wgplanes_lines(p);

	peers = calloc(p->n_peers + 1, sizeof(*peers));
	if (!peers)
		return;
	for (pe = p->first_peer; pe; pe = pe->next)
		peers[n++] = pe;
	qsort(peers, n, sizeof(*peers), peer_cmp);
	for (i = 0; i < n; i++) {
		pe = peers[i];
		printf("\npeer: %s\n", key_str(pe->public_key, true));
		if (pe->flags & WGP_PEER_HAS_PRESHARED_KEY)
			printf("  preshared key: (hidden)\n");
		if (pe->endpoint.addr.sa_family) {
			format_endpoint(buf, sizeof(buf), &pe->endpoint);
			printf("  endpoint: %s\n", buf);
		}
		printf("  allowed ips: ");
		for (j = 0; j < pe->n_ips; j++) {
			format_allowedip(buf, sizeof(buf), &pe->ips[j]);
			printf("%s%s", j ? ", " : "", buf);
		}
		printf("%s\n", pe->n_ips ? "" : "(none)");
		if (pe->handshake_sec) {
			printf("  latest handshake: ");
			if (now == pe->handshake_sec)
				printf("Now\n");
			else if (now < pe->handshake_sec)
				printf("(System clock wound backward; connection problems may ensue.)\n");
			else {
				print_duration((uint64_t)(now -
							  pe->handshake_sec));
				printf(" ago\n");
			}
		}
		if (pe->rx_bytes || pe->tx_bytes) {
			printf("  transfer: ");
			print_bytes(pe->rx_bytes);
			printf(" received, ");
			print_bytes(pe->tx_bytes);
			printf(" sent\n");
		}
		if (pe->keepalive) {
			printf("  persistent keepalive: every ");
			print_duration(pe->keepalive);
			printf("\n");
		}
	}
	free(peers);
}

/* ------------------------------------------------ dump / single field */

static const char *const fields[] = {
	"public-key", "private-key", "listen-port", "fwmark", "peers",
	"preshared-keys", "endpoints", "allowed-ips", "latest-handshakes",
	"transfer", "persistent-keepalive", "dump",
};

static void put_u64(uint64_t u, bool minus)
{
	char buf[22], *p = buf;

	if (minus)
		*p++ = '-';
	*put_dec(p, u) = '\0';
	fputs(buf, stdout);
}

static void put_i64(int64_t v)
{
	put_u64(v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

static void print_field(const struct wgp_plane *p, const char *field,
			bool prefix)
{
	const char *pfx = prefix ? p->name : "", *tab = prefix ? "\t" : "";
	char buf[INET6_ADDRSTRLEN + 64];
	bool dump = !strcmp(field, "dump");
	const struct wgp_peer *pe;
	size_t j;

	if (dump) {
		printf("%s%s%s\t", pfx, tab,
		       key_str(p->private_key,
			       p->flags & WGP_HAS_PRIVATE_KEY));
		printf("%s\t%u\t", key_str(p->public_key,
					   p->flags & WGP_HAS_PUBLIC_KEY),
		       p->listen_port);
		if (p->fwmark)
			printf("0x%x\n", p->fwmark);
		else
			printf("off\n");
	} else if (!strcmp(field, "public-key")) {
		printf("%s%s%s\n", pfx, tab, key_str(p->public_key,
			p->flags & WGP_HAS_PUBLIC_KEY));
		return;
	} else if (!strcmp(field, "private-key")) {
		printf("%s%s%s\n", pfx, tab, key_str(p->private_key,
			p->flags & WGP_HAS_PRIVATE_KEY));
		return;
	} else if (!strcmp(field, "listen-port")) {
		printf("%s%s%u\n", pfx, tab, p->listen_port);
		return;
	} else if (!strcmp(field, "fwmark")) {
		if (p->fwmark)
			printf("%s%s0x%x\n", pfx, tab, p->fwmark);
		else
			printf("%s%soff\n", pfx, tab);
		return;
	}

	for (pe = p->first_peer; pe; pe = pe->next) {
		fputs(pfx, stdout);
		fputs(tab, stdout);
		fputs(key_str(pe->public_key, true), stdout);
		if (dump || !strcmp(field, "preshared-keys")) {
			putchar('\t');
			fputs(key_str(pe->preshared_key,
				      pe->flags & WGP_PEER_HAS_PRESHARED_KEY),
			      stdout);
		}
		if (dump || !strcmp(field, "endpoints")) {
			format_endpoint(buf, sizeof(buf), &pe->endpoint);
			putchar('\t');
			fputs(buf, stdout);
		}
		if (dump || !strcmp(field, "allowed-ips")) {
			putchar('\t');
			for (j = 0; j < pe->n_ips; j++) {
				format_allowedip(buf, sizeof(buf), &pe->ips[j]);
				if (j)
					putchar(dump ? ',' : ' ');
				fputs(buf, stdout);
			}
			if (!pe->n_ips)
				fputs("(none)", stdout);
		}
		if (dump || !strcmp(field, "latest-handshakes")) {
			putchar('\t');
			put_i64(pe->handshake_sec);
		}
		if (dump || !strcmp(field, "transfer")) {
			putchar('\t');
			put_u64(pe->rx_bytes, false);
			putchar('\t');
			put_u64(pe->tx_bytes, false);
		}
		if (dump || !strcmp(field, "persistent-keepalive")) {
			putchar('\t');
			if (pe->keepalive)
				put_u64(pe->keepalive, false);
			else
				fputs("off", stdout);
		}
		putchar('\n');
	}
}

/* --------------------------------------------------------------- JSON */

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_counters(FILE *f, const uint64_t *counters)
{
	unsigned int i;

	fputc('{', f);
	for (i = 0; i < __WGPLANES_CNT_LAST; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", counter_names[i],
			counters[i]);
	fputc('}', f);
}

static void json_key(const char *name, const uint8_t *key, bool has)
{
	printf(",\"%s\":", name);
	if (has)
		json_string(stdout, key_str(key, true));
	else
		printf("null");
}

static void json_plane(const struct wgp_plane *p)
{
	const struct wgp_policy *pol = &p->policy;
	char fleet[IF_NAMESIZE], buf[INET6_ADDRSTRLEN + 64];
	const struct wgp_peer *pe;
	size_t j;

	printf("{\"name\":");
	json_string(stdout, p->name);
	printf(",\"ifindex\":%u,\"fleet\":", p->ifindex);
	if ((p->flags & WGP_HAS_FLEET) &&
	    if_indextoname(p->fleet_ifindex, fleet))
		json_string(stdout, fleet);
	else
		printf("null");
	printf(",\"plane_index\":%u,\"plane_name\":", p->plane_index);
	json_string(stdout, p->plane_name);
	json_key("public_key", p->public_key, p->flags & WGP_HAS_PUBLIC_KEY);
	if (opt_show_keys)
		json_key("private_key", p->private_key,
			 p->flags & WGP_HAS_PRIVATE_KEY);
	printf(",\"listen_port\":%u,\"fwmark\":%u,\"policy\":{\"cpus\":",
	       p->listen_port, p->fwmark);
	json_string(stdout, pol->cpus[0] ? pol->cpus : "all");
	printf(",\"effective_cpus\":");
	json_string(stdout, pol->effective_cpus);
	printf(",\"priority\":\"%s\",\"rate\":%" PRIu64 ",\"burst\":%u,"
	       "\"txqueue\":%u,\"encqueue\":%u,\"decqueue\":%u,"
	       "\"hsqueue\":%u,\"cpus_fallback\":%s,\"tx_stopped\":%s,"
	       "\"encqueue_used\":%u,\"decqueue_used\":%u,"
	       "\"hsqueue_used\":%u,\"waitqueue_used\":%u,"
	       "\"encqueue_bytes\":%" PRIu64 ",\"decqueue_bytes\":%" PRIu64
	       ",\"hsqueue_bytes\":%" PRIu64 ",\"waitqueue_bytes\":%" PRIu64
	       "},\"counters\":",
	       pol->priority == WGPLANES_PRIO_HIGH ? "high" : "normal",
	       pol->rate, pol->burst, pol->txq, pol->encq, pol->decq,
	       pol->hsq, pol->cpus_fallback ? "true" : "false",
	       pol->tx_stopped ? "true" : "false", pol->encq_used,
	       pol->decq_used, pol->hsq_used, pol->waitq_used,
	       pol->encq_bytes, pol->decq_bytes, pol->hsq_bytes,
	       pol->waitq_bytes);
	json_counters(stdout, p->counters);
	printf(",\"peers\":[");
	for (pe = p->first_peer; pe; pe = pe->next) {
		printf("%s{\"public_key\":", pe == p->first_peer ? "" : ",");
		json_string(stdout, key_str(pe->public_key, true));
		if (opt_show_keys)
			json_key("preshared_key", pe->preshared_key,
				 pe->flags & WGP_PEER_HAS_PRESHARED_KEY);
		printf(",\"endpoint\":");
		if (pe->endpoint.addr.sa_family) {
			format_endpoint(buf, sizeof(buf), &pe->endpoint);
			json_string(stdout, buf);
		} else {
			printf("null");
		}
		printf(",\"allowed_ips\":[");
		for (j = 0; j < pe->n_ips; j++) {
			format_allowedip(buf, sizeof(buf), &pe->ips[j]);
			printf("%s\"%s\"", j ? "," : "", buf);
		}
		printf("],\"latest_handshake\":%" PRId64 ",\"transfer_rx\":%"
		       PRIu64 ",\"transfer_tx\":%" PRIu64
		       ",\"persistent_keepalive\":%u}", pe->handshake_sec,
		       pe->rx_bytes, pe->tx_bytes, pe->keepalive);
	}
	printf("]}");
}

/* --------------------------------------------------------------- show */

static int show_usage(void)
{
	fprintf(stderr, "Usage: " PROG_NAME " show [<plane> | all | interfaces] [public-key | private-key | listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump] [--json [--show-keys]]\n");
	return 1;
}

int show_main(int argc, char *argv[])
{
	const char *target = argc > 1 ? argv[1] : "all";
	const char *field = argc > 2 ? argv[2] : NULL;
	bool all = !strcmp(target, "all"), first = true;
	char *names = NULL, single[IF_NAMESIZE + 1];
	struct wgp_plane *p;
	const char *name;
	unsigned int i;
	int ret = 0, err;

	if (argc > 3)
		return show_usage();
	if (field) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(field, fields[i]))
				break;
		if (i == sizeof(fields) / sizeof(fields[0]) ||
		    !strcmp(target, "interfaces"))
			return show_usage();
	}
	if (all || !strcmp(target, "interfaces")) {
		err = ipc_list_planes(&names);
		if (err) {
			fprintf(stderr,
				PROG_NAME ": unable to list planes: %s\n",
				ipc_strerror(err));
			return 1;
		}
	} else {
		/* A one-entry list, NUL separated like the plane list. */
		memset(single, 0, sizeof(single));
		snprintf(single, IF_NAMESIZE, "%s", target);
	}
	if (!strcmp(target, "interfaces")) {
		if (opt_json)
			printf("{\"interfaces\":[");
		for (name = names; *name; name += strlen(name) + 1) {
			if (opt_json)
				json_string(stdout, name);
			else
				fputs(name, stdout);
			if (name[strlen(name) + 1])
				putchar(opt_json ? ',' : ' ');
		}
		if (opt_json)
			printf("]}\n");
		else if (*names)
			putchar('\n');
		free(names);
		return 0;
	}
	if (opt_json)
		printf("{\"planes\":[");
	for (name = names ? names : single; *name; name += strlen(name) + 1) {
		err = ipc_get_plane(&p, name);
		if (err) {
			fflush(stdout);
			fprintf(stderr,
				PROG_NAME ": unable to access plane '%s': %s\n",
				name, ipc_strerror(err));
			ret = 1;
			continue;
		}
		if (opt_json) {
			if (!first)
				putchar(',');
			json_plane(p);
		} else if (field) {
			print_field(p, field, all);
		} else {
			if (!first)
				putchar('\n');
			pretty_print(p);
		}
		first = false;
		plane_free(p);
	}
	if (opt_json)
		printf("]}\n");
	free(names);
	return ret;
}

/* ----------------------------------------------------------- showconf */

static void print_policy_conf(const struct wgp_policy *pol)
{
	bool rate = (pol->has & WGP_POL_RATE) && pol->rate;
	char buf[32];

	if (policy_is_default(pol))
		return;
	printf("[Policy]\n");
	if ((pol->has & WGP_POL_CPUS) && pol->cpus[0])
		printf("CPUs = %s\n", pol->cpus);
	if ((pol->has & WGP_POL_PRIORITY) && pol->priority)
		printf("Priority = high\n");
	if (rate) {
		format_rate(buf, sizeof(buf), pol->rate);
		printf("Rate = %s\n", buf);
	}
	/* Without a rate the burst means nothing; keep it only if given. */
	if ((pol->has & WGP_POL_BURST) &&
	    (rate || !(pol->has & WGP_POL_RATE))) {
		format_size(buf, sizeof(buf), pol->burst);
		printf("Burst = %s\n", buf);
	}
	if ((pol->has & WGP_POL_TXQ) && pol->txq != WGP_DEFAULT_TXQ)
		printf("TxQueue = %u\n", pol->txq);
	if ((pol->has & WGP_POL_ENCQ) && pol->encq != WGP_DEFAULT_ENCQ)
		printf("EncQueue = %u\n", pol->encq);
	if ((pol->has & WGP_POL_DECQ) && pol->decq != WGP_DEFAULT_DECQ)
		printf("DecQueue = %u\n", pol->decq);
	if ((pol->has & WGP_POL_HSQ) && pol->hsq != WGP_DEFAULT_HSQ)
		printf("HsQueue = %u\n", pol->hsq);
	printf("\n");
}

static void print_conf(const struct wgp_plane *p)
{
	char buf[INET6_ADDRSTRLEN + 64];
	const struct wgp_peer *pe;
	size_t j;

	printf("[Interface]\n");
	if (p->listen_port)
		printf("ListenPort = %u\n", p->listen_port);
	if (p->fwmark)
		printf("FwMark = 0x%x\n", p->fwmark);
	if ((p->flags & WGP_HAS_PRIVATE_KEY) && !key_is_zero(p->private_key))
		printf("PrivateKey = %s\n", key_str(p->private_key, true));
	printf("\n");
	print_policy_conf(&p->policy);
	for (pe = p->first_peer; pe; pe = pe->next) {
		printf("[Peer]\nPublicKey = %s\n",
		       key_str(pe->public_key, true));
		if ((pe->flags & WGP_PEER_HAS_PRESHARED_KEY) &&
		    !key_is_zero(pe->preshared_key))
			printf("PresharedKey = %s\n",
			       key_str(pe->preshared_key, true));
		if (pe->n_ips) {
			printf("AllowedIPs = ");
			for (j = 0; j < pe->n_ips; j++) {
				format_allowedip(buf, sizeof(buf), &pe->ips[j]);
				printf("%s%s", j ? ", " : "", buf);
			}
			printf("\n");
		}
		if (pe->endpoint.addr.sa_family) {
			format_endpoint(buf, sizeof(buf), &pe->endpoint);
			printf("Endpoint = %s\n", buf);
		}
		if (pe->keepalive)
			printf("PersistentKeepalive = %u\n", pe->keepalive);
		if (pe->next)
			printf("\n");
	}
}

int showconf_main(int argc, char *argv[])
{
	struct wgp_plane *p;
	int err;

	if (argc != 2) {
		fprintf(stderr, "Usage: " PROG_NAME " %s <plane>\n", argv[0]);
		return 1;
	}
	err = ipc_get_plane(&p, argv[1]);
	if (err) {
		fprintf(stderr, PROG_NAME ": unable to access plane '%s': %s\n",
			argv[1], ipc_strerror(err));
		return 1;
	}
	print_conf(p);
	plane_free(p);
	return 0;
}

/* Validate a file and print it in canonical form, without the kernel. */
int parseconf_main(int argc, char *argv[])
{
	struct wgp_plane *p;

	if (argc != 2) {
		fprintf(stderr, "Usage: " PROG_NAME " %s <file>\n", argv[0]);
		return 1;
	}
	p = config_read_file(argv[1]);
	if (!p)
		return 1;
	print_conf(p);
	plane_free(p);
	return 0;
}
