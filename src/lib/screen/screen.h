/* screen.h — internals shared by the screening module: name folding, hashing of match keys. */
#ifndef CUSTOS_SCREEN_H
#define CUSTOS_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "custos/selector.h"

/*
 * Checks that `len` bytes at `s` are strict UTF-8 (no overlong forms, no
 * surrogates, nothing past U+10FFFF). Returns the offset of the first bad
 * byte, or `len` when all is well.
 */
size_t custos_utf8_check(const char *s, size_t len);

/*
 * Folds a name or an address for matching (see fold.c): strict UTF-8 in,
 * lower-case ASCII base letters for Latin-1 and Latin Extended-A, separators
 * collapsed to one space. `out` must hold at least 2 * len + 1 bytes.
 * `commas` also treats ',' as a separator (addresses). Returns the length
 * written, or (size_t)-1 when the input is not valid UTF-8.
 */
size_t custos_fold(char *out, const char *in, size_t len, int commas);

/* A fast 64-bit hash of `len` bytes, seeded (wyhash-style multiply-mix). */
uint64_t custos_hash64(const void *data, size_t len, uint64_t seed);

/* 64x64 -> 128-bit multiply folded to 64 bits: the mixing step of the hashes below. */
static inline uint64_t custos_mix64(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * The registry index hash of a string match key of a given kind (never 0,
 * which marks an empty slot). TEL and TEL_RANGE hash apart.
 */
static inline uint64_t custos_key_hash(unsigned kind, const void *key, size_t len)
{
	uint64_t h = custos_hash64(key, len, ((uint64_t)kind + 1) * 0x9E3779B97F4A7C15ull);
	return h ? h : 1;
}

/*
 * The registry index hash of an IP network: its 16 bytes, already masked to
 * `prefix` bits, read as two native 64-bit words (never 0).
 */
static inline uint64_t custos_ip_hash(uint64_t hi, uint64_t lo, unsigned prefix)
{
	uint64_t h = custos_mix64(hi ^ 0xa0761d6478bd642full ^ ((uint64_t)prefix << 48), lo ^ 0xe7037ed1a0b428dbull);
	h = custos_mix64(h ^ 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull);
	return h ? h : 1;
}

/*
 * The native 64-bit words that keep the first `prefix` bits of a 16-byte
 * address (read as two native words): mask[0] for bytes 0..7, mask[1] for 8..15.
 */
void custos_ip_mask(uint64_t mask[2], unsigned prefix);

/*
 * Computes sel->keylen and sel->hash from its kind, key, address and prefix
 * (custos_selector_parse calls it; the registry calls it for selectors built
 * by hand). IP networks are hashed with their host bits cleared.
 */
void custos_selector_rehash(custos_selector *sel);

#endif
