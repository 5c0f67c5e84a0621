/* sha256.c — SHA-256 through OpenSSL libcrypto, and hex labels. */

/*
 * As in merkle.c: OpenSSL 3's one-shot SHA256() fetches the algorithm on every
 * call (a tenth of `log verify`'s time went there); the SHA256_CTX functions,
 * deprecated, remain the direct path to the CPU's SHA extensions.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "util.h"

void custos_sha256(uint8_t out[32], const void *data, size_t len)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
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
