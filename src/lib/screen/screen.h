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

#endif
