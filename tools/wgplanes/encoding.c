// SPDX-License-Identifier: GPL-2.0
/*
 * Base64 of keys. Keys are secrets, so neither encoding nor decoding may
 * branch or index tables on their bits: every character is mapped with
 * arithmetic masks instead.
 */
#include <string.h>

#include "encoding.h"

/* All ones if lo <= c <= hi, else zero; relies on arithmetic shift. */
static inline int ct_in_range(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

static inline char encode6(int v)
{
	int c = v + 'A';

	c += ((25 - v) >> 8) & 6;	/* 26..51 -> 'a'..'z' */
	c -= ((51 - v) >> 8) & 75;	/* 52..61 -> '0'..'9' */
	c -= ((61 - v) >> 8) & 15;	/* 62 -> '+' */
	c += ((62 - v) >> 8) & 3;	/* 63 -> '/' */
	return (char)c;
}

/* Returns the 6-bit value; sets bits in *bad if c is not in the alphabet. */
static inline int decode6(int c, int *bad)
{
	int up = ct_in_range(c, 'A', 'Z');
	int lo = ct_in_range(c, 'a', 'z');
	int dg = ct_in_range(c, '0', '9');
	int pl = ct_in_range(c, '+', '+');
	int sl = ct_in_range(c, '/', '/');

	*bad |= ~(up | lo | dg | pl | sl) & 1;
	return (up & (c - 'A')) | (lo & (c - 'a' + 26)) |
	       (dg & (c - '0' + 52)) | (pl & 62) | (sl & 63);
}

void key_to_base64(char out[WGP_KEY_B64_LEN],
		   const uint8_t key[WGPLANES_KEY_LEN])
{
	unsigned int i;

	for (i = 0; i < WGPLANES_KEY_LEN / 3; i++) {
		const uint8_t *k = key + i * 3;

		out[i * 4 + 0] = encode6(k[0] >> 2);
		out[i * 4 + 1] = encode6(((k[0] << 4) | (k[1] >> 4)) & 63);
		out[i * 4 + 2] = encode6(((k[1] << 2) | (k[2] >> 6)) & 63);
		out[i * 4 + 3] = encode6(k[2] & 63);
	}
	/* 32 = 10 * 3 + 2: the last group carries two bytes. */
	out[40] = encode6(key[30] >> 2);
	out[41] = encode6(((key[30] << 4) | (key[31] >> 4)) & 63);
	out[42] = encode6((key[31] << 2) & 63);
	out[43] = '=';
	out[44] = '\0';
}

bool key_from_base64(uint8_t key[WGPLANES_KEY_LEN], const char *b64)
{
	uint8_t tmp[WGPLANES_KEY_LEN];
	unsigned int i;
	int bad = 0, a, b, c, d;

	/* The length is public; only the contents must not leak. */
	if (strlen(b64) != WGP_KEY_B64_LEN - 1 || b64[43] != '=')
		return false;
	for (i = 0; i < WGPLANES_KEY_LEN / 3; i++) {
		const unsigned char *s = (const unsigned char *)b64 + i * 4;

		a = decode6(s[0], &bad);
		b = decode6(s[1], &bad);
		c = decode6(s[2], &bad);
		d = decode6(s[3], &bad);
		tmp[i * 3 + 0] = (uint8_t)((a << 2) | (b >> 4));
		tmp[i * 3 + 1] = (uint8_t)((b << 4) | (c >> 2));
		tmp[i * 3 + 2] = (uint8_t)((c << 6) | d);
	}
	a = decode6((unsigned char)b64[40], &bad);
	b = decode6((unsigned char)b64[41], &bad);
	c = decode6((unsigned char)b64[42], &bad);
	/* Reject non-canonical encodings: unused low bits must be zero. */
	bad |= (c & 3) != 0;
	tmp[30] = (uint8_t)((a << 2) | (b >> 4));
	tmp[31] = (uint8_t)((b << 4) | (c >> 2));
	if (!bad)
		memcpy(key, tmp, sizeof(tmp));
	explicit_bzero(tmp, sizeof(tmp));
	return !bad;
}

bool key_is_zero(const uint8_t key[WGPLANES_KEY_LEN])
{
	uint8_t acc = 0;
	unsigned int i;

	for (i = 0; i < WGPLANES_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

/* Without printf: a dump prints tens of thousands of numbers. */
char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}
