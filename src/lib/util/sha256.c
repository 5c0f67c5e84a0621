/* sha256.c — SHA-256 through OpenSSL libcrypto, and hex labels. */
#include <openssl/sha.h>

#include "util.h"

void custos_sha256(uint8_t out[32], const void *data, size_t len)
{
	SHA256(data, len, out);
}

void custos_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void custos_sha256_label(char out[72], const uint8_t digest[32])
{
	static const char prefix[] = "sha256:";
	for (size_t i = 0; i < sizeof(prefix) - 1; i++)
		out[i] = prefix[i];
	custos_hex(out + 7, digest, 32);
}
