// SPDX-License-Identifier: GPL-2.0
/* genkey, genpsk and pubkey, as wg has them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "config.h"
#include "encoding.h"
#include "subcommands.h"

static bool random_bytes(uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = getrandom(buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static void clamp(uint8_t key[WGPLANES_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

int genkey_main(int argc, char *argv[])
{
	uint8_t key[WGPLANES_KEY_LEN];
	char b64[WGP_KEY_B64_LEN];
	struct stat st;

	if (argc != 1) {
		fprintf(stderr, "Usage: " PROG_NAME " %s\n", argv[0]);
		return 1;
	}
	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		fputs("Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n",
		      stderr);
	if (!random_bytes(key, sizeof(key))) {
		perror(PROG_NAME ": getrandom");
		return 1;
	}
	if (!strcmp(argv[0], "genkey"))
		clamp(key);
	key_to_base64(b64, key);
	puts(b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return 0;
}

int pubkey_main(int argc, char *argv[])
{
	uint8_t priv[WGPLANES_KEY_LEN], pub[WGPLANES_KEY_LEN];
	char in[WGP_KEY_B64_LEN + 64], out[WGP_KEY_B64_LEN];
	size_t n;
	int ret = 1;

	if (argc != 1) {
		fprintf(stderr, "Usage: " PROG_NAME " %s\n", argv[0]);
		return 1;
	}
	n = fread(in, 1, sizeof(in) - 1, stdin);
	if (ferror(stdin) || (n == sizeof(in) - 1 && fgetc(stdin) != EOF))
		goto bad;
	/* One key, optionally followed by whitespace (the newline). */
	while (n && isspace((unsigned char)in[n - 1]))
		n--;
	in[n] = '\0';
	if (!key_from_base64(priv, in))
		goto bad;
	clamp(priv);
	if (sodium_init() < 0 || crypto_scalarmult_curve25519_base(pub, priv))
		goto out;
	key_to_base64(out, pub);
	puts(out);
	ret = 0;
	goto out;
bad:
	fprintf(stderr, PROG_NAME ": %s: key is not the correct length or format\n",
		argv[0]);
out:
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(in, sizeof(in));
	return ret;
}
