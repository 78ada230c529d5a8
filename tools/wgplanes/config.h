/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_CONFIG_H
#define _WGP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/wgplanes.h>
#include <sys/socket.h>
#include <linux/wgplanes.h>

#define PROG_NAME "wgplanes"
#define WGP_CPULIST_MAX 256

/*
 * Defaults of a fresh plane, used only to decide whether showconf needs a
 * [Policy] section. They follow stock WireGuard's queue sizes.
 */
#define WGP_DEFAULT_TXQ		WGPLANES_DEFAULT_TXQ_LEN
#define WGP_DEFAULT_ENCQ	WGPLANES_DEFAULT_ENCQ_LEN
#define WGP_DEFAULT_DECQ	WGPLANES_DEFAULT_DECQ_LEN
#define WGP_DEFAULT_HSQ		WGPLANES_DEFAULT_HSQ_LEN

enum {
	WGP_HAS_PRIVATE_KEY	= 1U << 0,
	WGP_HAS_PUBLIC_KEY	= 1U << 1,
	WGP_HAS_LISTEN_PORT	= 1U << 2,
	WGP_HAS_FWMARK		= 1U << 3,
	WGP_REPLACE_PEERS	= 1U << 4,
	WGP_HAS_FLEET		= 1U << 5,
	WGP_HAS_COUNTERS	= 1U << 6,
};

enum {
	WGP_PEER_HAS_PUBLIC_KEY		= 1U << 0,
	WGP_PEER_HAS_PRESHARED_KEY	= 1U << 1,
	WGP_PEER_HAS_KEEPALIVE		= 1U << 2,
	WGP_PEER_REMOVE_ME		= 1U << 3,
	WGP_PEER_REPLACE_ALLOWEDIPS	= 1U << 4,
	WGP_PEER_UPDATE_ONLY		= 1U << 5,
};

enum {
	WGP_POL_CPUS		= 1U << 0,
	WGP_POL_PRIORITY	= 1U << 1,
	WGP_POL_RATE		= 1U << 2,
	WGP_POL_BURST		= 1U << 3,
	WGP_POL_TXQ		= 1U << 4,
	WGP_POL_ENCQ		= 1U << 5,
	WGP_POL_DECQ		= 1U << 6,
	WGP_POL_HSQ		= 1U << 7,
	WGP_POL_EFFECTIVE_CPUS	= 1U << 8,
	WGP_POL_STATE		= 1U << 9,	/* read only: queue use etc. */
};

struct wgp_allowedip {
	uint16_t family;
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

union wgp_endpoint {
	struct sockaddr addr;
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
};

struct wgp_peer {
	uint32_t flags;
	uint8_t public_key[WGPLANES_KEY_LEN];
	uint8_t preshared_key[WGPLANES_KEY_LEN];
	union wgp_endpoint endpoint;
	uint16_t keepalive;
	int64_t handshake_sec;
	int64_t handshake_nsec;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	struct wgp_allowedip *ips;
	size_t n_ips;
	size_t cap_ips;
	struct wgp_peer *next;
};

struct wgp_policy {
	uint32_t has;
	char cpus[WGP_CPULIST_MAX];
	char effective_cpus[WGP_CPULIST_MAX];
	uint8_t priority;
	uint64_t rate;
	uint32_t burst;
	uint32_t txq;
	uint32_t encq;
	uint32_t decq;
	uint32_t hsq;
	/* shown, never set: the plane's state right now */
	bool cpus_fallback;
	bool tx_stopped;
	uint32_t encq_used;
	uint32_t decq_used;
	uint32_t hsq_used;
	uint32_t waitq_used;	/* staged for peers without a session */
	uint64_t encq_bytes;	/* skb truesize held by each queue */
	uint64_t decq_bytes;
	uint64_t hsq_bytes;
	uint64_t waitq_bytes;
};

struct wgp_plane {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
	uint32_t flags;
	uint8_t private_key[WGPLANES_KEY_LEN];
	uint8_t public_key[WGPLANES_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct wgp_policy policy;
	uint64_t counters[__WGPLANES_CNT_LAST];
	uint32_t fleet_ifindex;
	uint32_t plane_index;
	char plane_name[WGPLANES_PLANE_NAME_LEN + 1];
	struct wgp_peer *first_peer;
	struct wgp_peer *last_peer;
	size_t n_peers;
};

struct wgp_plane *plane_new(void);
void plane_free(struct wgp_plane *plane);
struct wgp_peer *plane_add_peer(struct wgp_plane *plane);
struct wgp_peer *plane_find_peer(const struct wgp_plane *plane,
				 const uint8_t key[WGPLANES_KEY_LEN]);
bool peer_add_ip(struct wgp_peer *peer, const struct wgp_allowedip *ip);
bool policy_is_default(const struct wgp_policy *pol);

/* Parsers: print their own error (with file:line when reading a file). */
struct wgp_plane *config_read_file(const char *path);
struct wgp_plane *config_read_args(int argc, char *argv[]);

/* Canonical text forms shared by show, showconf and JSON. */
void format_endpoint(char *buf, size_t len, const union wgp_endpoint *ep);
void format_allowedip(char *buf, size_t len, const struct wgp_allowedip *ip);
void format_rate(char *buf, size_t len, uint64_t bits);
void format_size(char *buf, size_t len, uint32_t bytes);

#endif /* _WGP_CONFIG_H */
