/* screen.h — internals shared by the screening module: name folding, hashing of match keys. */
#ifndef CUSTOS_SCREEN_H
#define CUSTOS_SCREEN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* 64x64 -> 128-bit multiply folded to 64 bits: the mixing step of the hashes below. */
static inline uint64_t custos_mix64(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t custos_read64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t custos_read32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/*
 * A wyhash-style hash: 8-byte words multiplied together in 128 bits and
 * folded. Short keys (every selector key) take one or two multiplies.
 * Inline: with a constant seed (custos_key_hash) the seed mixing folds away.
 */
static inline uint64_t custos_hash64(const void *data, size_t len, uint64_t seed)
{
	static const uint64_t s0 = 0xa0761d6478bd642full, s1 = 0xe7037ed1a0b428dbull, s2 = 0x8ebc6af09c88c6e3ull;
	const unsigned char *p = data;
	uint64_t a, b;
	seed ^= custos_mix64(seed ^ s0, s1);
	if (len <= 16) {
		if (len >= 4) {
			a = (custos_read32(p) << 32) | custos_read32(p + ((len >> 3) << 2));
			b = (custos_read32(p + len - 4) << 32) | custos_read32(p + len - 4 - ((len >> 3) << 2));
		} else if (len > 0) {
			a = ((uint64_t)p[0] << 16) | ((uint64_t)p[len >> 1] << 8) | p[len - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t i = len;
		while (i > 16) {
			seed = custos_mix64(custos_read64(p) ^ s1, custos_read64(p + 8) ^ seed);
			p += 16;
			i -= 16;
		}
		a = custos_read64(p + i - 16);
		b = custos_read64(p + i - 8);
	}
	a ^= s1;
	b ^= seed;
	{
		__uint128_t r = (__uint128_t)a * b;
		a = (uint64_t)r;
		b = (uint64_t)(r >> 64);
	}
	return custos_mix64(a ^ s0 ^ len, b ^ s1 ^ s2);
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

/* --- names (names.c) ----------------------------------------------------------------------- */

/* Significant words of a name that are kept, and the longest key of one word. */
#define CUSTOS_NAME_WORDS 8
#define CUSTOS_NAME_KEYMAX 32

/*
 * The keys of one word: in two readings (0: ch and j as in French and
 * English; 1: as in German and the Slavic languages; equal when the word
 * has neither), with vowels (key) and as its consonant skeleton (skel).
 */
typedef struct custos_name_word {
	char key[2][CUSTOS_NAME_KEYMAX];
	char skel[2][CUSTOS_NAME_KEYMAX];
	uint8_t nvar; /* 1 or 2 readings */
} custos_name_word;

/* The significant words of a name; abjad: it was written in Arabic or Hebrew script (no short vowels). */
typedef struct custos_name_keys {
	custos_name_word w[CUSTOS_NAME_WORDS];
	unsigned n;
	uint8_t abjad;
} custos_name_keys;

/* How two names compare: which words they share (query word, registry word) and a score out of 100. */
typedef struct custos_name_cmp {
	unsigned shared;
	unsigned score; /* 100 * 2 * shared / (words of the query + words of the registry name) */
	uint8_t skel;	/* compared on consonant skeletons (one side was written in an abjad) */
	uint8_t qword[CUSTOS_NAME_WORDS], rword[CUSTOS_NAME_WORDS], qvar[CUSTOS_NAME_WORDS];
} custos_name_cmp;

/*
 * A name in any script as Latin words: transliterated by ICU (Any-Latin,
 * then decomposed and folded to ASCII) unless it is already Latin-1 or
 * Latin Extended-A, then lower-case ASCII letters and digits, apostrophes dropped, one space
 * between words. *abjad says whether it held Arabic or Hebrew letters.
 * Normalising the result again gives it back. CUSTOS_EINVALID for
 * invalid UTF-8 or a name too long.
 */
int custos_name_latin(char *out, size_t cap, size_t *outlen, int *abjad, const char *in, size_t len);

/* The keys of the significant words of a Latin name (as custos_name_latin writes it). */
void custos_name_keys_of(custos_name_keys *k, const char *latin, size_t len, int abjad);

/* Compares query q with registry name r; returns the number of words they share. */
int custos_name_compare(custos_name_cmp *out, const custos_name_keys *q, const custos_name_keys *r);

/*
 * The index key of words i and j of a name, in readings vi and vj, with
 * vowels or as skeletons: the two word keys in sorted order, so word order
 * never matters. Returns its length (0 if it does not fit in cap).
 */
/*
 * A name's words as key hashes, what look-ups compare: for each word the
 * hashes of its vowel key in readings 0 and 1, then of its skeleton in
 * readings 0 and 1 (reading 1 equal to 0 when the word has one). Parsing
 * a name selector computes them once (custos_selector.names).
 */
typedef struct custos_name_words {
	uint8_t n, abjad;
	uint8_t nvar[CUSTOS_NAME_WORDS];
	char born[11]; /* the date of birth given with the name, or "" */
	uint64_t h[CUSTOS_NAME_WORDS][4];
} custos_name_words;

/* The word hashes of a name selector's key (its Latin words, '^' first for an abjad, ";born=" last). */
void custos_name_words_of(custos_name_words *out, const char *key);

/* The allocated size of a custos_name_words of n words. */
static inline size_t custos_name_words_size(unsigned n)
{
	return offsetof(custos_name_words, h) + (size_t)n * sizeof(uint64_t[4]);
}

/* As custos_name_compare, over word hashes: index 0/1 of qvar is the vowel-key reading, 2/3 the skeleton's. */
int custos_name_compare_words(custos_name_cmp *out, const custos_name_words *q, const custos_name_words *r);

/*
 * The date of birth a name selector gives ("name:…;born=YYYY-MM-DD"), into
 * out; 0 when it gives none.
 */
int custos_name_born(char out[11], const custos_selector *s);

size_t custos_name_pair_key(char *out, size_t cap, const custos_name_keys *k, unsigned i, unsigned j, int vi, int vj,
			    int skel);

#endif
