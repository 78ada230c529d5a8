/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * wgplanes: a fleet of WireGuard-compatible planes behind one link.
 *
 * Two netlink interfaces:
 *
 *  - rtnetlink: "ip link add NAME type wgplanes" creates a fleet device and
 *    its plane devices (link kind "wgplane", which cannot be created on its
 *    own). IFLA_INFO_DATA may carry the WGPLANES_LINK_A_* attributes below
 *    to choose the number of planes and their names.
 *
 *  - generic netlink family "wgplanes": configuration and state of planes
 *    (keys, peers, allowed IPs, policy, counters) and of fleets.
 *
 * Plane configuration mirrors the attribute layout WireGuard users know:
 * a device (plane) carries keys, port, fwmark and a list of peers; a peer
 * carries keys, endpoint, keepalive and a list of allowed IPs. On top come
 * the plane's policy and its counters.
 *
 * GET_PLANE is a dump. It selects one plane by WGPLANES_A_IFINDEX or
 * WGPLANES_A_IFNAME; large peer lists span several messages. A peer whose
 * allowed IPs continue in the next message is repeated there with only its
 * public key and the remaining WGPLANES_PEER_A_ALLOWEDIPS. Plane attributes
 * (keys, port, policy, counters) appear in the first message only. If the
 * plane changed while the dump was in progress, the dump ends with
 * NLM_F_DUMP_INTR set on a message, and the caller retries.
 *
 * SET_PLANE applies a configuration: WGPLANES_A_FLAGS may hold
 * WGPLANES_F_REPLACE_PEERS; each peer may hold WGPLANES_PEER_F_REMOVE_ME,
 * WGPLANES_PEER_F_REPLACE_ALLOWEDIPS and WGPLANES_PEER_F_UPDATE_ONLY. A zero
 * private key removes it; a zero preshared key removes that. A large
 * configuration may be sent in several SET_PLANE messages, each after the
 * first without WGPLANES_F_REPLACE_PEERS.
 *
 * GET_PLANE and SET_PLANE need CAP_NET_ADMIN in the user namespace that
 * owns the plane's network namespace, as stock WireGuard's commands do;
 * GET_FLEET is open (names, layout, summed counters).
 */
#ifndef _UAPI_LINUX_WGPLANES_H
#define _UAPI_LINUX_WGPLANES_H

#include <linux/types.h>

#define WGPLANES_GENL_NAME	"wgplanes"
#define WGPLANES_GENL_VERSION	1

#define WGPLANES_LINK_KIND	"wgplanes"
#define WGPLANES_PLANE_KIND	"wgplane"

#define WGPLANES_KEY_LEN	32
#define WGPLANES_MAX_PLANES	8
#define WGPLANES_DEFAULT_PLANES	4
/* A plane name becomes the suffix of its device name: "<fleet>-<name>". */
#define WGPLANES_PLANE_NAME_LEN	16

/* rtnetlink: IFLA_INFO_DATA of link kind "wgplanes" */
enum wgplanes_link_attr {
	WGPLANES_LINK_A_UNSPEC,
	WGPLANES_LINK_A_PLANES,		/* u32: number of planes, 1..8 */
	WGPLANES_LINK_A_PLANE_NAMES,	/* nest: string attrs, type = index+1 */
	__WGPLANES_LINK_A_LAST
};

#define WGPLANES_LINK_A_MAX (__WGPLANES_LINK_A_LAST - 1)

enum wgplanes_cmd {
	WGPLANES_CMD_UNSPEC,
	WGPLANES_CMD_GET_PLANE,		/* dump */
	WGPLANES_CMD_SET_PLANE,
	WGPLANES_CMD_GET_FLEET,		/* do (one fleet) or dump (all) */
	__WGPLANES_CMD_LAST
};

#define WGPLANES_CMD_MAX (__WGPLANES_CMD_LAST - 1)

enum wgplanes_plane_flag {
	WGPLANES_F_REPLACE_PEERS = 1U << 0,
	__WGPLANES_F_ALL = WGPLANES_F_REPLACE_PEERS
};

/* Attributes of GET_PLANE / SET_PLANE */
enum wgplanes_attr {
	WGPLANES_A_UNSPEC,
	WGPLANES_A_IFINDEX,		/* u32 */
	WGPLANES_A_IFNAME,		/* string */
	WGPLANES_A_PRIVATE_KEY,		/* binary, WGPLANES_KEY_LEN */
	WGPLANES_A_PUBLIC_KEY,		/* binary, WGPLANES_KEY_LEN, read only */
	WGPLANES_A_FLAGS,		/* u32, enum wgplanes_plane_flag */
	WGPLANES_A_LISTEN_PORT,		/* u16 */
	WGPLANES_A_FWMARK,		/* u32 */
	WGPLANES_A_PEERS,		/* nest of nests: enum wgplanes_peer_attr */
	WGPLANES_A_POLICY,		/* nest: enum wgplanes_policy_attr */
	WGPLANES_A_COUNTERS,		/* nest: enum wgplanes_counter, read only */
	WGPLANES_A_FLEET_IFINDEX,	/* u32, read only */
	WGPLANES_A_PLANE_INDEX,		/* u32, read only */
	WGPLANES_A_PLANE_NAME,		/* string, read only */
	WGPLANES_A_PAD,
	__WGPLANES_A_LAST
};

#define WGPLANES_A_MAX (__WGPLANES_A_LAST - 1)

enum wgplanes_peer_flag {
	WGPLANES_PEER_F_REMOVE_ME = 1U << 0,
	WGPLANES_PEER_F_REPLACE_ALLOWEDIPS = 1U << 1,
	WGPLANES_PEER_F_UPDATE_ONLY = 1U << 2,
	__WGPLANES_PEER_F_ALL = WGPLANES_PEER_F_REMOVE_ME |
				WGPLANES_PEER_F_REPLACE_ALLOWEDIPS |
				WGPLANES_PEER_F_UPDATE_ONLY
};

enum wgplanes_peer_attr {
	WGPLANES_PEER_A_UNSPEC,
	WGPLANES_PEER_A_PUBLIC_KEY,	/* binary, WGPLANES_KEY_LEN */
	WGPLANES_PEER_A_PRESHARED_KEY,	/* binary, WGPLANES_KEY_LEN */
	WGPLANES_PEER_A_FLAGS,		/* u32, enum wgplanes_peer_flag */
	WGPLANES_PEER_A_ENDPOINT,	/* struct sockaddr_in or sockaddr_in6 */
	WGPLANES_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL, /* u16, seconds */
	WGPLANES_PEER_A_LAST_HANDSHAKE_TIME, /* struct __kernel_timespec */
	WGPLANES_PEER_A_RX_BYTES,	/* u64 */
	WGPLANES_PEER_A_TX_BYTES,	/* u64 */
	WGPLANES_PEER_A_ALLOWEDIPS,	/* nest of nests: wgplanes_allowedip_attr */
	WGPLANES_PEER_A_PROTOCOL_VERSION, /* u32, only 1 exists */
	WGPLANES_PEER_A_PAD,
	__WGPLANES_PEER_A_LAST
};

#define WGPLANES_PEER_A_MAX (__WGPLANES_PEER_A_LAST - 1)

enum wgplanes_allowedip_attr {
	WGPLANES_ALLOWEDIP_A_UNSPEC,
	WGPLANES_ALLOWEDIP_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	WGPLANES_ALLOWEDIP_A_IPADDR,	/* binary, 4 or 16 bytes */
	WGPLANES_ALLOWEDIP_A_CIDR_MASK,	/* u8 */
	__WGPLANES_ALLOWEDIP_A_LAST
};

#define WGPLANES_ALLOWEDIP_A_MAX (__WGPLANES_ALLOWEDIP_A_LAST - 1)

enum wgplanes_priority {
	WGPLANES_PRIO_NORMAL,
	WGPLANES_PRIO_HIGH,
	__WGPLANES_PRIO_LAST
};

#define WGPLANES_PRIO_MAX (__WGPLANES_PRIO_LAST - 1)

/*
 * Policy of a plane. Writable attributes may be given in any subset; the
 * others keep their value. Rate 0 means unlimited. Queue limits are in
 * packets.
 */
enum wgplanes_policy_attr {
	WGPLANES_POLICY_A_UNSPEC,
	WGPLANES_POLICY_A_CPUS,		/* string, cpulist ("0-3,6"); "" = all */
	WGPLANES_POLICY_A_PRIORITY,	/* u8, enum wgplanes_priority */
	WGPLANES_POLICY_A_RATE,		/* u64, bits per second */
	WGPLANES_POLICY_A_BURST,	/* u32, bytes */
	WGPLANES_POLICY_A_TXQ_LEN,	/* u32, staged packets per peer */
	WGPLANES_POLICY_A_ENCQ_LEN,	/* u32, encryption queue */
	WGPLANES_POLICY_A_DECQ_LEN,	/* u32, decryption queue */
	WGPLANES_POLICY_A_HSQ_LEN,	/* u32, handshake queue */
	WGPLANES_POLICY_A_EFFECTIVE_CPUS, /* string, read only */
	WGPLANES_POLICY_A_PAD,
	/* read only: what the queues and the guard hold right now */
	WGPLANES_POLICY_A_CPUS_FALLBACK, /* flag: no CPU of cpus is online */
	WGPLANES_POLICY_A_ENCQ_USED,	/* u32, packets staged, all peers */
	WGPLANES_POLICY_A_DECQ_USED,	/* u32 */
	WGPLANES_POLICY_A_HSQ_USED,	/* u32 */
	WGPLANES_POLICY_A_TX_STOPPED,	/* flag: the guard holds the queue */
	/*
	 * Bytes (skb truesize) the queues hold now. Each queue also holds at
	 * most its length times 4096 bytes (the handshake queue: times 2048).
	 */
	WGPLANES_POLICY_A_ENCQ_BYTES,	/* u64 */
	WGPLANES_POLICY_A_DECQ_BYTES,	/* u64 */
	WGPLANES_POLICY_A_HSQ_BYTES,	/* u64 */
	/*
	 * Packets staged for peers without a session, waiting for a
	 * handshake: bounded apart from the encryption queue, by its length.
	 */
	WGPLANES_POLICY_A_WAITQ_USED,	/* u32 */
	WGPLANES_POLICY_A_WAITQ_BYTES,	/* u64 */
	__WGPLANES_POLICY_A_LAST
};

#define WGPLANES_POLICY_A_MAX (__WGPLANES_POLICY_A_LAST - 1)

/* Defaults: the sizes stock WireGuard uses for every interface. */
#define WGPLANES_DEFAULT_TXQ_LEN	128
#define WGPLANES_DEFAULT_ENCQ_LEN	1024
#define WGPLANES_DEFAULT_DECQ_LEN	1024
#define WGPLANES_DEFAULT_HSQ_LEN	4096

#define WGPLANES_QUEUE_LEN_MIN		16
#define WGPLANES_QUEUE_LEN_MAX		65536
#define WGPLANES_RATE_MIN		8000ULL		/* 1 kB/s */
#define WGPLANES_BURST_MIN		1500
#define WGPLANES_BURST_MAX		(64U << 20)

/*
 * Counters of a plane (and, summed, of a fleet). In WGPLANES_A_COUNTERS and
 * WGPLANES_FLEET_A_COUNTERS each counter is a u64 attribute whose type is
 * its enum value plus one. New counters are added at the end; readers skip
 * types they do not know.
 */
enum wgplanes_counter {
	WGPLANES_CNT_RX_PACKETS,
	WGPLANES_CNT_RX_BYTES,
	WGPLANES_CNT_TX_PACKETS,
	WGPLANES_CNT_TX_BYTES,
	WGPLANES_CNT_HANDSHAKE_INIT_RX,	/* initiations received and valid */
	WGPLANES_CNT_HANDSHAKE_RESP_RX,	/* responses received and valid */
	WGPLANES_CNT_HANDSHAKE_INIT_TX,
	WGPLANES_CNT_HANDSHAKE_RESP_TX,
	WGPLANES_CNT_COOKIE_TX,		/* cookie replies sent (under load) */
	WGPLANES_CNT_COOKIE_RX,
	WGPLANES_CNT_UNDER_LOAD,	/* times the plane entered under load */
	WGPLANES_CNT_DROP_BAD_PACKET,	/* malformed, unknown type, bad size */
	WGPLANES_CNT_DROP_BAD_MAC1,
	WGPLANES_CNT_DROP_BAD_MAC2,	/* missing or stale cookie under load */
	WGPLANES_CNT_DROP_HANDSHAKE_INVALID, /* failed decryption or replay */
	WGPLANES_CNT_DROP_HANDSHAKE_RATELIMIT,
	/* unknown receiver index; or staged packets no session came for */
	WGPLANES_CNT_DROP_NO_KEYPAIR,
	WGPLANES_CNT_DROP_KEY_EXPIRED,
	WGPLANES_CNT_DROP_DECRYPT,	/* authentication of data failed */
	WGPLANES_CNT_DROP_REPLAY,
	WGPLANES_CNT_DROP_ALLOWEDIPS,	/* inner source not allowed for peer */
	WGPLANES_CNT_DROP_NO_PEER,	/* no allowed IP matches destination */
	WGPLANES_CNT_DROP_NO_ENDPOINT,
	WGPLANES_CNT_DROP_TXQ_FULL,
	WGPLANES_CNT_DROP_ENCQ_FULL,
	WGPLANES_CNT_DROP_DECQ_FULL,
	WGPLANES_CNT_DROP_HSQ_FULL,
	WGPLANES_CNT_DROP_RX_RATE,	/* policed before decryption */
	WGPLANES_CNT_TX_THROTTLED,	/* times the TX queue was stopped */
	WGPLANES_CNT_DROP_NOMEM,
	WGPLANES_CNT_DROP_HANDSHAKE_TIMEOUT, /* staged, no handshake in time */
	WGPLANES_CNT_DROP_TX_ERROR,	/* outer send failed: no route, socket */
	WGPLANES_CNT_RX_KEEPALIVES,	/* authentic keepalives received */
	WGPLANES_CNT_RX_SHAPED,		/* data messages the guard delayed */
	WGPLANES_CNT_DROP_RX_JUNK,	/* the peer's junk budget was spent */
	__WGPLANES_CNT_LAST
};

#define WGPLANES_CNT_MAX (__WGPLANES_CNT_LAST - 1)

/* Attributes of GET_FLEET */
enum wgplanes_fleet_attr {
	WGPLANES_FLEET_A_UNSPEC,
	WGPLANES_FLEET_A_IFINDEX,	/* u32 */
	WGPLANES_FLEET_A_IFNAME,	/* string */
	WGPLANES_FLEET_A_PLANES,	/* nest of nests: wgplanes_fleet_plane_attr */
	WGPLANES_FLEET_A_COUNTERS,	/* nest: enum wgplanes_counter */
	WGPLANES_FLEET_A_PLANE_SLOTS,	/* u32: planes created with the fleet */
	WGPLANES_FLEET_A_PAD,
	__WGPLANES_FLEET_A_LAST
};

#define WGPLANES_FLEET_A_MAX (__WGPLANES_FLEET_A_LAST - 1)

enum wgplanes_fleet_plane_attr {
	WGPLANES_FLEET_PLANE_A_UNSPEC,
	WGPLANES_FLEET_PLANE_A_INDEX,	/* u32 */
	WGPLANES_FLEET_PLANE_A_NAME,	/* string: the plane's role name */
	WGPLANES_FLEET_PLANE_A_IFINDEX,	/* u32, in the plane's netns */
	WGPLANES_FLEET_PLANE_A_IFNAME,	/* string */
	WGPLANES_FLEET_PLANE_A_NETNSID,	/* s32, when not in the caller's netns */
	__WGPLANES_FLEET_PLANE_A_LAST
};

#define WGPLANES_FLEET_PLANE_A_MAX (__WGPLANES_FLEET_PLANE_A_LAST - 1)

#endif /* _UAPI_LINUX_WGPLANES_H */
