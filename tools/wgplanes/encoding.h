/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _WGP_ENCODING_H
#define _WGP_ENCODING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/wgplanes.h>

/* 32 bytes in base64: 43 characters, one '=' and a NUL. */
#define WGP_KEY_B64_LEN ((((WGPLANES_KEY_LEN) + 2) / 3) * 4 + 1)

void key_to_base64(char out[WGP_KEY_B64_LEN],
		   const uint8_t key[WGPLANES_KEY_LEN]);
bool key_from_base64(uint8_t key[WGPLANES_KEY_LEN], const char *b64);
bool key_is_zero(const uint8_t key[WGPLANES_KEY_LEN]);

/* v in decimal at p, no NUL; returns the end (at most 20 characters) */
char *put_dec(char *p, uint64_t v);

#endif /* _WGP_ENCODING_H */
