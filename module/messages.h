/* SPDX-License-Identifier: GPL-2.0 */
/*
 * WireGuard wire formats and protocol constants (see PROTOCOL.md). All
 * integers on the wire are little endian; the first byte of a message is its
 * type, followed by three zero bytes, so the header reads as one __le32.
 */
#ifndef _WGP_MESSAGES_H
#define _WGP_MESSAGES_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/bits.h>
#include <linux/param.h>
#include <linux/time64.h>
#include <crypto/blake2s.h>
#include <crypto/curve25519.h>
#include <crypto/chacha20poly1305.h>

enum wgp_msg_type {
	WGP_MSG_INVALID = 0,
	WGP_MSG_INITIATION = 1,
	WGP_MSG_RESPONSE = 2,
	WGP_MSG_COOKIE = 3,
	WGP_MSG_DATA = 4,
};

#define WGP_KEY_LEN		CURVE25519_KEY_SIZE	/* 32 */
#define WGP_HASH_LEN		BLAKE2S_HASH_SIZE	/* 32 */
#define WGP_AUTHTAG_LEN		CHACHA20POLY1305_AUTHTAG_SIZE	/* 16 */
#define WGP_TIMESTAMP_LEN	12
#define WGP_COOKIE_LEN		16
#define WGP_COOKIE_NONCE_LEN	XCHACHA20POLY1305_NONCE_SIZE	/* 24 */
#define WGP_MAC_LEN		16

/* Seconds unless stated otherwise. */
#define WGP_REKEY_AFTER_MESSAGES	BIT_ULL(60)
#define WGP_REJECT_AFTER_MESSAGES	(U64_MAX - BIT_ULL(13))
#define WGP_REKEY_AFTER_TIME		120
#define WGP_REJECT_AFTER_TIME		180
#define WGP_REKEY_ATTEMPT_TIME		90
#define WGP_REKEY_TIMEOUT		5
#define WGP_REKEY_TIMEOUT_JITTER_MS	333
#define WGP_KEEPALIVE_TIMEOUT		10
#define WGP_COOKIE_SECRET_MAX_AGE	120
#define WGP_COOKIE_SECRET_LATENCY	5
#define WGP_MAX_TIMER_HANDSHAKES \
	(WGP_REKEY_ATTEMPT_TIME / WGP_REKEY_TIMEOUT)
/* at most 50 initiations per second from one peer */
#define WGP_INITIATIONS_PER_SECOND	50
/* replay window: 8192 bits, one machine word of it unusable */
#define WGP_REPLAY_BITS			8192
#define WGP_REPLAY_WINDOW		(WGP_REPLAY_BITS - BITS_PER_LONG)
/* the sender rounds its TAI64N timestamp down to 2^24 ns */
#define WGP_TIMESTAMP_GRANULARITY	BIT(24)

struct wgp_msg_header {
	__le32 type;
} __packed;

struct wgp_msg_macs {
	u8 mac1[WGP_MAC_LEN];
	u8 mac2[WGP_MAC_LEN];
} __packed;

struct wgp_msg_initiation {
	struct wgp_msg_header header;
	__le32 sender_index;
	u8 ephemeral[WGP_KEY_LEN];
	u8 encrypted_static[WGP_KEY_LEN + WGP_AUTHTAG_LEN];
	u8 encrypted_timestamp[WGP_TIMESTAMP_LEN + WGP_AUTHTAG_LEN];
	struct wgp_msg_macs macs;
} __packed;

struct wgp_msg_response {
	struct wgp_msg_header header;
	__le32 sender_index;
	__le32 receiver_index;
	u8 ephemeral[WGP_KEY_LEN];
	u8 encrypted_nothing[WGP_AUTHTAG_LEN];
	struct wgp_msg_macs macs;
} __packed;

struct wgp_msg_cookie {
	struct wgp_msg_header header;
	__le32 receiver_index;
	u8 nonce[WGP_COOKIE_NONCE_LEN];
	u8 encrypted_cookie[WGP_COOKIE_LEN + WGP_AUTHTAG_LEN];
} __packed;

struct wgp_msg_data {
	struct wgp_msg_header header;
	__le32 receiver_index;
	__le64 counter;
	u8 encrypted_data[];
} __packed;

#define WGP_DATA_HDR_LEN	sizeof(struct wgp_msg_data)
/* a keepalive: header and the tag of an empty plaintext */
#define WGP_DATA_MIN_LEN	(WGP_DATA_HDR_LEN + WGP_AUTHTAG_LEN)
#define WGP_PADDING_MULTIPLE	16

static_assert(sizeof(struct wgp_msg_initiation) == 148);
static_assert(sizeof(struct wgp_msg_response) == 92);
static_assert(sizeof(struct wgp_msg_cookie) == 64);
static_assert(sizeof(struct wgp_msg_data) == 16);

#endif /* _WGP_MESSAGES_H */
