// SPDX-License-Identifier: GPL-2.0
/*
 * One configuration model for the INI file and for the words of "set": both
 * map a name to the same setter, so a value means the same in both places
 * and errors read the same.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "encoding.h"

enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER, SEC_POLICY };
static const char *const section_names[] = {
	"", "[Interface]", "[Peer]", "[Policy]"
};

struct conf_ctx {
	const char *file;	/* NULL: command line */
	unsigned int line;
	const char *name;	/* key or word being parsed */
	bool from_file;		/* value was read from a key file */
	uint32_t arg;		/* the key's table argument */
	struct wgp_plane *plane;
	struct wgp_peer *peer;
};

static void conf_err(const struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG_NAME ": ", stderr);
	if (ctx->file)
		fprintf(stderr, "%s:%u: ", ctx->file, ctx->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool invalid(const struct conf_ctx *ctx, const char *value)
{
	conf_err(ctx, "invalid %s '%s'", ctx->name, value);
	return false;
}

/* Strict unsigned parse: digits only (base 0 also takes 0x..). */
static bool parse_uint(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* ------------------------------------------------------------- model */

struct wgp_plane *plane_new(void)
{
	struct wgp_plane *p = calloc(1, sizeof(*p));

	if (!p) {
		perror(PROG_NAME);
		exit(1);
	}
	return p;
}

void plane_free(struct wgp_plane *plane)
{
	struct wgp_peer *peer, *next;

	if (!plane)
		return;
	for (peer = plane->first_peer; peer; peer = next) {
		next = peer->next;
		free(peer->ips);
		explicit_bzero(peer, sizeof(*peer));
		free(peer);
	}
	explicit_bzero(plane, sizeof(*plane));
	free(plane);
}

struct wgp_peer *plane_add_peer(struct wgp_plane *plane)
{
	struct wgp_peer *peer = calloc(1, sizeof(*peer));

	if (!peer) {
		perror(PROG_NAME);
		exit(1);
	}
	if (plane->last_peer)
		plane->last_peer->next = peer;
	else
		plane->first_peer = peer;
	plane->last_peer = peer;
	plane->n_peers++;
	return peer;
}

struct wgp_peer *plane_find_peer(const struct wgp_plane *plane,
				 const uint8_t key[WGPLANES_KEY_LEN])
{
	struct wgp_peer *peer;

	for (peer = plane->first_peer; peer; peer = peer->next)
		if (!memcmp(peer->public_key, key, WGPLANES_KEY_LEN))
			return peer;
	return NULL;
}

bool peer_add_ip(struct wgp_peer *peer, const struct wgp_allowedip *ip)
{
	if (peer->n_ips == peer->cap_ips) {
		size_t cap = peer->cap_ips ? peer->cap_ips * 2 : 4;
		void *n = realloc(peer->ips, cap * sizeof(*ip));

		if (!n)
			return false;
		peer->ips = n;
		peer->cap_ips = cap;
	}
	peer->ips[peer->n_ips++] = *ip;
	return true;
}

/* ----------------------------------------------------------- setters */

struct conf_key;
typedef bool (*setter_t)(struct conf_ctx *ctx, const char *value);

struct conf_key {
	const char *ini;
	const char *word;
	enum section sec;
	bool secret;		/* on the command line, the value is a file */
	setter_t set;
	uint32_t arg;
};

static bool set_listen_port(struct conf_ctx *ctx,
			    const char *value)
{
	uint64_t v;

	if (!parse_uint(value, 10, 65535, &v))
		return invalid(ctx, value);
	ctx->plane->listen_port = (uint16_t)v;
	ctx->plane->flags |= WGP_HAS_LISTEN_PORT;
	return true;
}

static bool set_fwmark(struct conf_ctx *ctx, const char *value)
{
	uint64_t v = 0;

	if (strcasecmp(value, "off") && !parse_uint(value, 0, UINT32_MAX, &v))
		return invalid(ctx, value);
	ctx->plane->fwmark = (uint32_t)v;
	ctx->plane->flags |= WGP_HAS_FWMARK;
	return true;
}

/*
 * A key given as text. An empty key file means "remove the key", which the
 * kernel reads as an all-zero key.
 */
static bool parse_key(struct conf_ctx *ctx, const char *value, bool secret,
		      uint8_t key[WGPLANES_KEY_LEN])
{
	if (ctx->from_file && !*value) {
		memset(key, 0, WGPLANES_KEY_LEN);
		return true;
	}
	if (key_from_base64(key, value))
		return true;
	/* Do not echo what may be a mistyped secret. */
	if (secret)
		conf_err(ctx, "invalid %s (not a 44-character base64 key)",
			 ctx->name);
	else
		invalid(ctx, value);
	return false;
}

static bool set_private_key(struct conf_ctx *ctx,
			    const char *value)
{
	if (!parse_key(ctx, value, true, ctx->plane->private_key))
		return false;
	ctx->plane->flags |= WGP_HAS_PRIVATE_KEY;
	return true;
}

static bool set_public_key(struct conf_ctx *ctx, const char *value)
{
	uint8_t key[WGPLANES_KEY_LEN];

	if (!key_from_base64(key, value))
		return invalid(ctx, value);
	/* On the command line, "peer KEY" opens a new peer. */
	if (!ctx->file)
		ctx->peer = plane_add_peer(ctx->plane);
	if (ctx->peer->flags & WGP_PEER_HAS_PUBLIC_KEY) {
		conf_err(ctx, "duplicate %s '%s'", ctx->name, value);
		return false;
	}
	memcpy(ctx->peer->public_key, key, sizeof(key));
	ctx->peer->flags |= WGP_PEER_HAS_PUBLIC_KEY;
	return true;
}

static bool set_preshared_key(struct conf_ctx *ctx, const char *value)
{
	if (!parse_key(ctx, value, true, ctx->peer->preshared_key))
		return false;
	ctx->peer->flags |= WGP_PEER_HAS_PRESHARED_KEY;
	return true;
}

static bool parse_allowedip(const char *s, struct wgp_allowedip *ip)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t cidr;

	if (len == 0 || len >= sizeof(addr))
		return false;
	memcpy(addr, s, len);
	addr[len] = '\0';
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, addr, &ip->ip4) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &ip->ip6) == 1)
		ip->family = AF_INET6;
	else
		return false;
	cidr = ip->family == AF_INET ? 32 : 128;
	if (slash && !parse_uint(slash + 1, 10, cidr, &cidr))
		return false;
	ip->cidr = (uint8_t)cidr;
	return true;
}

static bool set_allowedips(struct conf_ctx *ctx, const char *value)
{
	char *copy = strdup(value), *rest = copy, *tok;
	struct wgp_allowedip ip;
	bool ok = true;

	if (!copy)
		return false;
	ctx->peer->flags |= WGP_PEER_REPLACE_ALLOWEDIPS;
	/* An empty list is valid: it clears the peer's allowed IPs. */
	while (ok && *copy && (tok = strsep(&rest, ","))) {
		if (!parse_allowedip(tok, &ip))
			ok = invalid(ctx, *tok ? tok : value);
		else if (!peer_add_ip(ctx->peer, &ip))
			ok = false;
	}
	free(copy);
	return ok;
}

/* "host:port", "[v6]:port"; names are resolved, with retries for DNS. */
static bool set_endpoint(struct conf_ctx *ctx, const char *value)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
		.ai_protocol = IPPROTO_UDP,
	}, *res = NULL;
	char *host = strdup(value), *port;
	int ret, tries;

	if (!host)
		return false;
	if (host[0] == '[') {
		port = strchr(host, ']');
		if (!port || port[1] != ':')
			goto bad;
		*port = '\0';
		port += 2;
		/* Moves only up to the NUL: port still points at the port. */
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		port = strrchr(host, ':');
		if (!port)
			goto bad;
		*port++ = '\0';
	}
	if (!*host || !*port)
		goto bad;
	for (tries = 0; tries < 10; tries++) {
		ret = getaddrinfo(host, port, &hints, &res);
		if (ret != EAI_AGAIN)
			break;
		sleep(1);
	}
	if (ret) {
		conf_err(ctx, "invalid %s '%s': %s", ctx->name, value,
			 ret == EAI_SYSTEM ? strerror(errno) :
			 gai_strerror(ret));
		free(host);
		return false;
	}
	if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
	    res->ai_addrlen > sizeof(ctx->peer->endpoint)) {
		freeaddrinfo(res);
		goto bad;
	}
	memset(&ctx->peer->endpoint, 0, sizeof(ctx->peer->endpoint));
	memcpy(&ctx->peer->endpoint, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	free(host);
	return true;
bad:
	free(host);
	return invalid(ctx, value);
}

static bool set_keepalive(struct conf_ctx *ctx, const char *value)
{
	uint64_t v = 0;

	if (strcasecmp(value, "off") && !parse_uint(value, 10, 65535, &v))
		return invalid(ctx, value);
	ctx->peer->keepalive = (uint16_t)v;
	ctx->peer->flags |= WGP_PEER_HAS_KEEPALIVE;
	return true;
}

/* A cpulist as the kernel reads it: "0-3,6"; "all" means every CPU. */
static bool set_cpus(struct conf_ctx *ctx, const char *value)
{
	struct wgp_policy *pol = &ctx->plane->policy;
	const char *s = value;
	uint64_t a, b;
	char *end;

	if (!strcasecmp(value, "all")) {
		pol->cpus[0] = '\0';
		pol->has |= WGP_POL_CPUS;
		return true;
	}
	if (strlen(value) >= sizeof(pol->cpus))
		return invalid(ctx, value);
	for (;;) {
		if (!isdigit((unsigned char)*s))
			return invalid(ctx, value);
		a = strtoull(s, &end, 10);
		b = a;
		if (*end == '-') {
			s = end + 1;
			if (!isdigit((unsigned char)*s))
				return invalid(ctx, value);
			b = strtoull(s, &end, 10);
		}
		if (b < a || b > 65535)
			return invalid(ctx, value);
		if (!*end)
			break;
		if (*end != ',')
			return invalid(ctx, value);
		s = end + 1;
	}
	strcpy(pol->cpus, value);
	pol->has |= WGP_POL_CPUS;
	return true;
}

static bool set_priority(struct conf_ctx *ctx, const char *value)
{
	struct wgp_policy *pol = &ctx->plane->policy;

	if (!strcasecmp(value, "normal"))
		pol->priority = WGPLANES_PRIO_NORMAL;
	else if (!strcasecmp(value, "high"))
		pol->priority = WGPLANES_PRIO_HIGH;
	else
		return invalid(ctx, value);
	pol->has |= WGP_POL_PRIORITY;
	return true;
}

/* tc-style rates: bit/kbit/mbit/gbit are bits, bps/kbps/... are bytes. */
static bool set_rate(struct conf_ctx *ctx, const char *value)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1 }, { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 },
		{ "gbit", 1e9 }, { "tbit", 1e12 }, { "bps", 8 },
		{ "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
		{ "tbps", 8e12 },
	};
	struct wgp_policy *pol = &ctx->plane->policy;
	unsigned int i;
	char *end;
	double v;

	if (!strcasecmp(value, "off")) {
		v = 0;
		goto done;
	}
	if (!isdigit((unsigned char)*value))
		return invalid(ctx, value);
	v = strtod(value, &end);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(end, units[i].unit))
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return invalid(ctx, value);
	v = round(v * units[i].mult);
	if (!isfinite(v) || v >= 1.8e19 ||
	    (v != 0 && v < WGPLANES_RATE_MIN))
		return invalid(ctx, value);
done:
	pol->rate = (uint64_t)v;
	pol->has |= WGP_POL_RATE;
	return true;
}

static bool set_burst(struct conf_ctx *ctx, const char *value)
{
	struct wgp_policy *pol = &ctx->plane->policy;
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*value))
		return invalid(ctx, value);
	errno = 0;
	v = strtoull(value, &end, 10);
	if (!strcasecmp(end, "k") || !strcasecmp(end, "kb"))
		v <<= 10;
	else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb"))
		v <<= 20;
	else if (*end && strcasecmp(end, "b"))
		return invalid(ctx, value);
	if (errno || v < WGPLANES_BURST_MIN || v > WGPLANES_BURST_MAX)
		return invalid(ctx, value);
	pol->burst = (uint32_t)v;
	pol->has |= WGP_POL_BURST;
	return true;
}

static bool set_queue(struct conf_ctx *ctx, const char *value)
{
	struct wgp_policy *pol = &ctx->plane->policy;
	uint64_t v;

	if (!parse_uint(value, 10, WGPLANES_QUEUE_LEN_MAX, &v) ||
	    v < WGPLANES_QUEUE_LEN_MIN)
		return invalid(ctx, value);
	switch (ctx->arg) {
	case WGP_POL_TXQ:
		pol->txq = (uint32_t)v;
		break;
	case WGP_POL_ENCQ:
		pol->encq = (uint32_t)v;
		break;
	case WGP_POL_DECQ:
		pol->decq = (uint32_t)v;
		break;
	default:
		pol->hsq = (uint32_t)v;
	}
	pol->has |= ctx->arg;
	return true;
}

static const struct conf_key keys[] = {
	{ "ListenPort", "listen-port", SEC_INTERFACE, false, set_listen_port,
	  0 },
	{ "FwMark", "fwmark", SEC_INTERFACE, false, set_fwmark, 0 },
	{ "PrivateKey", "private-key", SEC_INTERFACE, true, set_private_key,
	  0 },
	{ "PublicKey", "peer", SEC_PEER, false, set_public_key, 0 },
	{ "PresharedKey", "preshared-key", SEC_PEER, true, set_preshared_key,
	  0 },
	{ "AllowedIPs", "allowed-ips", SEC_PEER, false, set_allowedips, 0 },
	{ "Endpoint", "endpoint", SEC_PEER, false, set_endpoint, 0 },
	{ "PersistentKeepalive", "persistent-keepalive", SEC_PEER, false,
	  set_keepalive, 0 },
	{ "CPUs", "cpus", SEC_POLICY, false, set_cpus, 0 },
	{ "Priority", "priority", SEC_POLICY, false, set_priority, 0 },
	{ "Rate", "rate", SEC_POLICY, false, set_rate, 0 },
	{ "Burst", "burst", SEC_POLICY, false, set_burst, 0 },
	{ "TxQueue", "txqueue", SEC_POLICY, false, set_queue, WGP_POL_TXQ },
	{ "EncQueue", "encqueue", SEC_POLICY, false, set_queue, WGP_POL_ENCQ },
	{ "DecQueue", "decqueue", SEC_POLICY, false, set_queue, WGP_POL_DECQ },
	{ "HsQueue", "hsqueue", SEC_POLICY, false, set_queue, WGP_POL_HSQ },
};

static const char *const wg_quick_keys[] = {
	"Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown",
	"PostDown", "SaveConfig",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------- INI file */

static bool finish_peer(struct conf_ctx *ctx, unsigned int header_line)
{
	unsigned int line = ctx->line;

	if (!ctx->peer || (ctx->peer->flags & WGP_PEER_HAS_PUBLIC_KEY))
		return true;
	ctx->line = header_line;
	conf_err(ctx, "[Peer] section without PublicKey");
	ctx->line = line;
	return false;
}

/* wg reads lines with all whitespace removed; so do we. */
static void strip_line(char *s)
{
	char *w = s;

	for (; *s && *s != '#'; s++)
		if (!isspace((unsigned char)*s))
			*w++ = *s;
	*w = '\0';
}

static bool parse_line(struct conf_ctx *ctx, enum section *sec, char *line,
		       unsigned int *peer_line)
{
	const struct conf_key *k = NULL;
	char *eq;
	unsigned int i;

	if (line[0] == '[') {
		if (!finish_peer(ctx, *peer_line))
			return false;
		ctx->peer = NULL;
		for (i = SEC_INTERFACE; i <= SEC_POLICY; i++)
			if (!strcasecmp(line, section_names[i]))
				break;
		if (i > SEC_POLICY) {
			conf_err(ctx, "unknown section '%s'", line);
			return false;
		}
		*sec = i;
		if (*sec == SEC_PEER) {
			ctx->peer = plane_add_peer(ctx->plane);
			ctx->peer->flags |= WGP_PEER_REPLACE_ALLOWEDIPS;
			*peer_line = ctx->line;
		}
		return true;
	}
	eq = strchr(line, '=');
	if (!eq || eq == line) {
		conf_err(ctx, "invalid line '%s'", line);
		return false;
	}
	*eq = '\0';
	for (i = 0; i < ARRAY_SIZE(wg_quick_keys); i++) {
		if (strcasecmp(line, wg_quick_keys[i]))
			continue;
		conf_err(ctx, "'%s' is a wg-quick key; wgplanes does not apply it (remove it, or use `wgplanes-quick strip')",
			 line);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcasecmp(line, keys[i].ini))
			k = &keys[i];
	if (!k) {
		conf_err(ctx, "unknown key '%s'", line);
		return false;
	}
	if (*sec == SEC_NONE) {
		conf_err(ctx, "'%s' outside of any section", line);
		return false;
	}
	if (k->sec != *sec) {
		conf_err(ctx, "'%s' does not belong in %s", line,
			 section_names[*sec]);
		return false;
	}
	ctx->name = k->ini;
	ctx->arg = k->arg;
	return k->set(ctx, eq + 1);
}

struct wgp_plane *config_read_file(const char *path)
{
	struct conf_ctx ctx = { .file = path };
	enum section sec = SEC_NONE;
	unsigned int peer_line = 0;
	char *line = NULL;
	size_t cap = 0;
	bool ok = true;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, PROG_NAME ": %s: %s\n", path, strerror(errno));
		return NULL;
	}
	ctx.plane = plane_new();
	while (ok && getline(&line, &cap, f) >= 0) {
		ctx.line++;
		strip_line(line);
		if (*line)
			ok = parse_line(&ctx, &sec, line, &peer_line);
	}
	if (ok && ferror(f)) {
		fprintf(stderr, PROG_NAME ": %s: read error\n", path);
		ok = false;
	}
	if (ok)
		ok = finish_peer(&ctx, peer_line);
	fclose(f);
	if (line)
		explicit_bzero(line, cap);	/* may hold a private key */
	free(line);
	if (!ok) {
		plane_free(ctx.plane);
		return NULL;
	}
	return ctx.plane;
}

/* ------------------------------------------------------ command line */

static bool read_key_file(struct conf_ctx *ctx, const char *path, char *buf,
			  size_t len)
{
	size_t n, start = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		conf_err(ctx, "%s: %s", path, strerror(errno));
		return false;
	}
	n = fread(buf, 1, len - 1, f);
	if (ferror(f) || (n == len - 1 && fgetc(f) != EOF)) {
		fclose(f);
		conf_err(ctx, "%s: not a key file", path);
		return false;
	}
	fclose(f);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	while (isspace((unsigned char)buf[start]))
		start++;
	memmove(buf, buf + start, n - start + 1);
	return true;
}

struct wgp_plane *config_read_args(int argc, char *argv[])
{
	struct conf_ctx ctx = { 0 };
	const struct conf_key *k;
	char secret[128];
	unsigned int j;
	const char *value;
	int i;
	bool ok = true;

	ctx.plane = plane_new();
	for (i = 0; ok && i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "remove") || !strcmp(w, "update-only")) {
			if (!ctx.peer) {
				conf_err(&ctx, "'%s' given before 'peer'", w);
				ok = false;
				break;
			}
			ctx.peer->flags |= w[0] == 'r' ? WGP_PEER_REMOVE_ME :
							 WGP_PEER_UPDATE_ONLY;
			continue;
		}
		for (k = NULL, j = 0; j < ARRAY_SIZE(keys); j++)
			if (!strcmp(w, keys[j].word))
				k = &keys[j];
		if (!k) {
			conf_err(&ctx, "invalid argument '%s'", w);
			ok = false;
			break;
		}
		if (i + 1 >= argc) {
			conf_err(&ctx, "'%s' needs a value", w);
			ok = false;
			break;
		}
		if (k->sec == SEC_PEER && k->set != set_public_key &&
		    !ctx.peer) {
			conf_err(&ctx, "'%s' given before 'peer'", w);
			ok = false;
			break;
		}
		value = argv[++i];
		ctx.name = k->word;
		ctx.from_file = k->secret;
		if (k->secret) {
			if (!read_key_file(&ctx, value, secret,
					   sizeof(secret))) {
				ok = false;
				break;
			}
			value = secret;
		}
		ctx.arg = k->arg;
		ok = k->set(&ctx, value);
	}
	explicit_bzero(secret, sizeof(secret));
	if (!ok) {
		plane_free(ctx.plane);
		return NULL;
	}
	return ctx.plane;
}

/* ---------------------------------------------------- text formats */

static char *put_ip4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_dec(p, a[i]);
	}
	return p;
}

/*
 * inet_ntop's text (RFC 5952: the longest run of two or more zero groups,
 * the first of equals, becomes "::"), without its sprintf per group: a
 * dump prints thousands. NULL for the forms with an IPv4 address inside,
 * left to inet_ntop.
 */
static char *put_ip6(char *p, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	int i, run = 0, best = -1, best_len = 0, shift;
	unsigned int w[8];

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		run = w[i] ? 0 : run + 1;
		if (run > best_len) {
			best_len = run;
			best = i - run + 1;
		}
	}
	if (best_len < 2)
		best = -1;
	if (best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
		return NULL;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			if (i + best_len == 8)
				*p++ = ':';
			i += best_len - 1;
			continue;
		}
		if (i)
			*p++ = ':';
		for (shift = 12; shift > 0 && !(w[i] >> shift); shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			*p++ = hex[(w[i] >> shift) & 15];
	}
	return p;
}

void format_endpoint(char *buf, size_t len, const union wgp_endpoint *ep)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV], *p = NULL;
	socklen_t alen = ep->addr.sa_family == AF_INET6 ?
			 sizeof(ep->addr6) : sizeof(ep->addr4);

	/* getnameinfo's text, without its sprintf (as format_allowedip) */
	if (len >= INET6_ADDRSTRLEN + 9) {
		if (ep->addr.sa_family == AF_INET) {
			p = put_ip4(buf, (const uint8_t *)&ep->addr4.sin_addr);
		} else if (ep->addr.sa_family == AF_INET6 &&
			   !ep->addr6.sin6_scope_id) {
			*buf = '[';
			p = put_ip6(buf + 1,
				    (const uint8_t *)&ep->addr6.sin6_addr);
			if (p)
				*p++ = ']';
		}
	}
	if (p) {
		*p++ = ':';
		*put_dec(p, ntohs(ep->addr.sa_family == AF_INET ?
				  ep->addr4.sin_port :
				  ep->addr6.sin6_port)) = '\0';
		return;
	}
	if ((ep->addr.sa_family != AF_INET &&
	     ep->addr.sa_family != AF_INET6) ||
	    getnameinfo(&ep->addr, alen, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, len, "(none)");
		return;
	}
	snprintf(buf, len, ep->addr.sa_family == AF_INET6 ? "[%s]:%s" :
		 "%s:%s", host, serv);
}

void format_allowedip(char *buf, size_t len, const struct wgp_allowedip *ip)
{
	char *p = NULL;

	/* the longest: 39 characters of address, "/128" and a NUL */
	if (len >= INET6_ADDRSTRLEN + 4)
		p = ip->family == AF_INET ?
			put_ip4(buf, (const uint8_t *)&ip->ip4) :
		    ip->family == AF_INET6 ?
			put_ip6(buf, (const uint8_t *)&ip->ip6) : NULL;
	if (p) {
		*p++ = '/';
		*put_dec(p, ip->cidr) = '\0';
		return;
	}
	if (!inet_ntop(ip->family, &ip->ip6, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	snprintf(buf + strlen(buf), len - strlen(buf), "/%u", ip->cidr);
}

/* The largest unit that represents the rate exactly, so it parses back. */
void format_rate(char *buf, size_t len, uint64_t bits)
{
	if (!bits)
		snprintf(buf, len, "off");
	else if (bits % 1000000000 == 0)
		snprintf(buf, len, "%" PRIu64 "gbit", bits / 1000000000);
	else if (bits % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "mbit", bits / 1000000);
	else if (bits % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "kbit", bits / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "bit", bits);
}

void format_size(char *buf, size_t len, uint32_t bytes)
{
	if (bytes && bytes % (1U << 20) == 0)
		snprintf(buf, len, "%um", bytes >> 20);
	else if (bytes && bytes % 1024 == 0)
		snprintf(buf, len, "%uk", bytes >> 10);
	else
		snprintf(buf, len, "%u", bytes);
}

bool policy_is_default(const struct wgp_policy *p)
{
	bool rate = (p->has & WGP_POL_RATE) && p->rate;

	return !((p->has & WGP_POL_CPUS) && p->cpus[0]) &&
	       !((p->has & WGP_POL_PRIORITY) && p->priority) && !rate &&
	       !((p->has & WGP_POL_BURST) &&
		 (rate || !(p->has & WGP_POL_RATE))) &&
	       !((p->has & WGP_POL_TXQ) && p->txq != WGP_DEFAULT_TXQ) &&
	       !((p->has & WGP_POL_ENCQ) && p->encq != WGP_DEFAULT_ENCQ) &&
	       !((p->has & WGP_POL_DECQ) && p->decq != WGP_DEFAULT_DECQ) &&
	       !((p->has & WGP_POL_HSQ) && p->hsq != WGP_DEFAULT_HSQ);
}
