// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the protocol engine, run at load with selftest=1:
 * HMAC-BLAKE2s and the HKDF chain against vectors computed independently
 * (Python's hmac and hashlib.blake2s), and the edges of the replay window.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "noise.h"
#include "selftest.h"

/*
 * python3: hmac.new(key, msg, hashlib.blake2s).digest()
 *   ck    = blake2s(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
 *   hmac1 = HMAC(bytes(range(32)), b"wgplanes hmac test")
 *   hmac2 = HMAC(b"\xaa" * 100, bytes(range(200)))   (key hashed first)
 *   t1..3 = HKDF(ck, bytes(range(32, 64)))
 *   e1..2 = HKDF(ck, b"")
 */
static const u8 st_ck[WGP_HASH_LEN] __initconst = {
	0x60, 0xe2, 0x6d, 0xae, 0xf3, 0x27, 0xef, 0xc0,
	0x2e, 0xc3, 0x35, 0xe2, 0xa0, 0x25, 0xd2, 0xd0,
	0x16, 0xeb, 0x42, 0x06, 0xf8, 0x72, 0x77, 0xf5,
	0x2d, 0x38, 0xd1, 0x98, 0x8b, 0x78, 0xcd, 0x36,
};

static const u8 st_hmac1[WGP_HASH_LEN] __initconst = {
	0x19, 0x03, 0x45, 0x8b, 0x6e, 0xae, 0xc1, 0xa9,
	0xad, 0x5d, 0xb6, 0xc5, 0x97, 0x36, 0xf5, 0xdd,
	0xe1, 0x46, 0xa1, 0x5a, 0x1f, 0xc8, 0x62, 0xe3,
	0xe4, 0xb9, 0x47, 0xf5, 0x6f, 0x16, 0x7b, 0xb9,
};

static const u8 st_hmac2[WGP_HASH_LEN] __initconst = {
	0x31, 0x98, 0x4e, 0xef, 0x81, 0xad, 0xce, 0x21,
	0x22, 0x04, 0xf2, 0x64, 0x46, 0xb2, 0x33, 0xce,
	0x3d, 0x93, 0x1d, 0x05, 0x4e, 0x76, 0x7c, 0x47,
	0x84, 0x5f, 0x7d, 0x1e, 0xfd, 0x18, 0xdd, 0x98,
};

static const u8 st_t1[WGP_HASH_LEN] __initconst = {
	0xa1, 0xbb, 0x56, 0x56, 0x57, 0x1d, 0xb2, 0xbf,
	0xe7, 0x17, 0xe0, 0xe0, 0x14, 0x8b, 0x7c, 0x3d,
	0x3e, 0x52, 0x70, 0xad, 0xf9, 0x39, 0x2b, 0x07,
	0xcd, 0x20, 0xfe, 0x3d, 0x46, 0x10, 0x94, 0xbd,
};

static const u8 st_t2[WGP_HASH_LEN] __initconst = {
	0x03, 0x49, 0xd8, 0x90, 0xad, 0x1d, 0x9e, 0xbb,
	0xf0, 0xf4, 0x77, 0x51, 0x78, 0x11, 0x56, 0x86,
	0xd2, 0xd9, 0x1c, 0x13, 0xba, 0xf7, 0x94, 0x15,
	0x34, 0xc7, 0x3d, 0x19, 0x3e, 0xe4, 0x50, 0x3d,
};

static const u8 st_t3[WGP_HASH_LEN] __initconst = {
	0x20, 0x52, 0x4b, 0x5a, 0x00, 0x58, 0xdc, 0x99,
	0x94, 0xbc, 0x93, 0x02, 0x8b, 0x6b, 0x30, 0x00,
	0x7b, 0x1e, 0x27, 0x0b, 0xff, 0xa5, 0x5a, 0xc5,
	0xdc, 0x9a, 0x89, 0x0a, 0xbe, 0xf9, 0x58, 0xe7,
};

static const u8 st_e1[WGP_HASH_LEN] __initconst = {
	0xbd, 0x96, 0x87, 0x25, 0xa9, 0x17, 0x79, 0x42,
	0xa8, 0xc2, 0xe4, 0x25, 0x3d, 0x1d, 0xde, 0x31,
	0xcf, 0x7b, 0x19, 0xec, 0x00, 0x1b, 0x4a, 0x3a,
	0x3d, 0x14, 0x1c, 0xd9, 0xd9, 0x98, 0xd3, 0xba,
};

static const u8 st_e2[WGP_HASH_LEN] __initconst = {
	0xaa, 0xb5, 0x46, 0x2b, 0x32, 0x37, 0x80, 0xfa,
	0x61, 0x5b, 0xf8, 0x0f, 0xfe, 0x46, 0x95, 0x10,
	0x23, 0x9f, 0xf3, 0x61, 0x57, 0x5a, 0x66, 0x39,
	0x68, 0xe6, 0x86, 0xa7, 0xae, 0x41, 0xd6, 0x93,
};

static const u8 st_construction[] __initconst =
	"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const u8 st_msg1[] __initconst = "wgplanes hmac test";

static int __init st_expect(const char *what, const u8 *got, const u8 *want)
{
	if (!memcmp(got, want, WGP_HASH_LEN))
		return 0;
	pr_err("noise self-test: %s: %*phN\n", what, WGP_HASH_LEN, got);
	return -EINVAL;
}

static int __init st_kdf(void)
{
	u8 key[100], msg[200], in[32], out[WGP_HASH_LEN];
	u8 t1[WGP_HASH_LEN], t2[WGP_HASH_LEN], t3[WGP_HASH_LEN];
	int i, ret = 0;

	blake2s(out, st_construction, NULL, WGP_HASH_LEN,
		sizeof(st_construction) - 1, 0);
	ret |= st_expect("HASH(CONSTRUCTION)", out, st_ck);

	for (i = 0; i < 32; i++)
		key[i] = i;
	wgp_hmac_blake2s(out, st_msg1, sizeof(st_msg1) - 1, key, 32);
	ret |= st_expect("HMAC, short key", out, st_hmac1);

	memset(key, 0xaa, sizeof(key));
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = i;
	wgp_hmac_blake2s(out, msg, sizeof(msg), key, sizeof(key));
	ret |= st_expect("HMAC, long key", out, st_hmac2);

	for (i = 0; i < 32; i++)
		in[i] = 32 + i;
	wgp_kdf(t1, t2, t3, in, sizeof(in), st_ck);
	ret |= st_expect("KDF3 t1", t1, st_t1);
	ret |= st_expect("KDF3 t2", t2, st_t2);
	ret |= st_expect("KDF3 t3", t3, st_t3);
	wgp_kdf(t1, NULL, NULL, in, sizeof(in), st_ck);
	ret |= st_expect("KDF1", t1, st_t1);
	/* the chaining key may be an output too */
	memcpy(t3, st_ck, WGP_HASH_LEN);
	wgp_kdf(t3, t2, NULL, in, sizeof(in), t3);
	ret |= st_expect("KDF2 in place t1", t3, st_t1);
	ret |= st_expect("KDF2 in place t2", t2, st_t2);
	wgp_kdf(t1, t2, NULL, NULL, 0, st_ck);
	ret |= st_expect("KDF2 empty t1", t1, st_e1);
	ret |= st_expect("KDF2 empty t2", t2, st_e2);
	return ret ? -EINVAL : 0;
}

struct st_replay_case {
	u64 counter;
	bool ok;
};

static int __init st_replay_run(struct wgp_replay *r, const char *name,
				const struct st_replay_case *c, size_t n)
{
	size_t i;

	wgp_replay_init(r);
	for (i = 0; i < n; i++) {
		if (wgp_replay_check(r, c[i].counter) != c[i].ok) {
			pr_err("noise self-test: replay %s step %zu: counter %llu should be %s\n",
			       name, i, c[i].counter,
			       c[i].ok ? "accepted" : "rejected");
			return -EINVAL;
		}
	}
	return 0;
}

#define W	WGP_REPLAY_WINDOW
#define R	WGP_REJECT_AFTER_MESSAGES

static const struct st_replay_case st_basic[] __initconst = {
	{ 0, true }, { 0, false }, { 1, true }, { 1, false }, { 9, true },
	{ 8, true }, { 7, true }, { 7, false }, { 2, true }, { 9, false },
	{ 63, true }, { 64, true }, { 65, true }, { 63, false },
};

/* the oldest counter still in the window, and one older */
static const struct st_replay_case st_edges[] __initconst = {
	{ W + 100, true }, { 100, true }, { 99, false }, { 100, false },
	{ W + 99, true }, { W + 101, true }, { 101, true }, { 101, false },
	{ W + 102, true }, { 101, false }, { 102, true },
	/* a jump beyond the window forgets all below */
	{ 3 * W, true }, { 2 * W, true }, { 2 * W - 1, false },
	{ 3 * W - 1, true }, { 3 * W - 1, false }, { 3 * W, false },
	/* a jump of exactly one full bitmap */
	{ 3 * W + WGP_REPLAY_BITS, true }, { 3 * W + 63, false },
	{ 3 * W + 64, true },
	{ 3 * W + WGP_REPLAY_BITS - 1, true },
};

/* counters at and beyond REJECT_AFTER_MESSAGES are refused */
static const struct st_replay_case st_limit[] __initconst = {
	{ R - 2, true }, { R - 1, true }, { R, false }, { R + 1, false },
	{ U64_MAX, false }, { R - 1, false }, { R - 3, true },
};

#undef W
#undef R

int __init wgp_selftest_noise(void)
{
	struct wgp_replay *r;
	int ret;

	ret = st_kdf();
	if (ret)
		return ret;
	r = kmalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = st_replay_run(r, "basic", st_basic, ARRAY_SIZE(st_basic)) ?:
	      st_replay_run(r, "edges", st_edges, ARRAY_SIZE(st_edges)) ?:
	      st_replay_run(r, "limit", st_limit, ARRAY_SIZE(st_limit));
	kfree(r);
	if (!ret)
		pr_info("noise self-test: HMAC, HKDF and replay window passed\n");
	return ret;
}
