/* ed25519.c — Ed25519 signatures (RFC 8032) on libsodium, for every signature custos makes or checks. */

/*
 * Notes, checkpoints, cosignatures, statements, tokens and HTTP request
 * signatures all go through here. libsodium checks a signature in about
 * 56 us on the reference machine, libcrypto 3 in 128 us, and a signed HTTP
 * request checks one. Signing is deterministic, so either library makes the
 * same bytes; libsodium also refuses non-canonical and small-order keys and
 * points, which no honest signer produces.
 */
#include <pthread.h>
#include <sodium.h>

#include "util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void init(void)
{
	sodium_ok = sodium_init() >= 0;
}

static int ready(void)
{
	pthread_once(&once, init);
	return sodium_ok ? 0 : custos_error_set(CUSTOS_ERROR, "libsodium could not initialise");
}

int custos_ed25519_keypair(uint8_t sk[64], uint8_t pub[32], const uint8_t seed[32])
{
	int rc = ready();
	if (!rc && crypto_sign_ed25519_seed_keypair(pub, sk, seed) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "Ed25519: no key pair from this seed");
	return rc;
}

int custos_ed25519_sign(uint8_t sig[64], const uint8_t sk[64], const void *msg, size_t len)
{
	int rc = ready();
	if (!rc && crypto_sign_ed25519_detached(sig, NULL, msg, len, sk) != 0)
		rc = custos_error_set(CUSTOS_ERROR, "Ed25519 signing failed");
	return rc;
}

int custos_ed25519_verify(const uint8_t pub[32], const uint8_t sig[64], const void *msg, size_t len)
{
	int rc = ready();
	if (!rc && crypto_sign_ed25519_verify_detached(sig, msg, len, pub) != 0)
		rc = custos_error_set(CUSTOS_EINVALID, "Ed25519 signature does not verify");
	return rc;
}

void custos_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}
