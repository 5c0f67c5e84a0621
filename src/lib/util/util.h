/* util.h — internal helpers shared by every module: errors, strings, buffers, hashing. */
#ifndef CUSTOS_UTIL_H
#define CUSTOS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custos/error.h"

#if defined(__GNUC__)
#define CUSTOS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CUSTOS_PRINTF(a, b)
#endif

/* Sets this thread's message and returns `code`. */
int custos_error_set(int code, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
/* Prefixes the current message with "prefix: " (keeps the code). */
int custos_error_prefix(int code, const char *fmt, ...) CUSTOS_PRINTF(2, 3);

/* strdup / strndup that set CUSTOS_ENOMEM's message on failure. */
char *custos_strdup(const char *s);
char *custos_strndup(const char *s, size_t n);

/*
 * Ed25519 (RFC 8032), on libsodium (ed25519.c). A secret key is the 32-byte
 * seed followed by the public key; wipe it with custos_wipe. verify returns
 * 0 or CUSTOS_EINVALID with a message.
 */
int custos_ed25519_keypair(uint8_t sk[64], uint8_t pub[32], const uint8_t seed[32]);
int custos_ed25519_sign(uint8_t sig[64], const uint8_t sk[64], const void *msg, size_t len);
int custos_ed25519_verify(const uint8_t pub[32], const uint8_t sig[64], const void *msg, size_t len);
/* Overwrites n bytes of secret in a way the compiler keeps. */
void custos_wipe(void *p, size_t n);

/*
 * A growable byte buffer with a ceiling fixed at creation: no input can make
 * it grow past `max` bytes (appending past it fails with CUSTOS_ELIMIT).
 * Always NUL-terminated once anything was appended.
 */
typedef struct custos_buf {
	char *ptr;
	size_t len, cap, max;
} custos_buf;

void custos_buf_init(custos_buf *b, size_t max);
int custos_buf_append(custos_buf *b, const void *data, size_t n);
/* Makes room for `extra` more bytes (and the NUL) without appending anything. */
int custos_buf_reserve(custos_buf *b, size_t extra);
int custos_buf_puts(custos_buf *b, const char *s);
int custos_buf_printf(custos_buf *b, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
/* Hands the buffer's string to the caller (never NULL on success). */
char *custos_buf_detach(custos_buf *b);
void custos_buf_dispose(custos_buf *b);
/*
 * Appends `s` as a JSON string literal, quoted and escaped exactly as
 * jansson's compact dump writes it (\" \\ \b \f \n \r \t, other controls as
 * \u00XX, everything else as is), so hand-built answers and json_dumps agree
 * byte for byte. `s` must be UTF-8 (every caller's text was checked on entry).
 */
int custos_buf_json_string(custos_buf *b, const char *s);

/*
 * Makes room for element n of a growable array: `arrayp` is the address of
 * the array pointer, *cap its capacity in elements of `size` bytes. Grows by
 * doubling (from `first`); on failure the array is left as it was.
 *     if ((rc = custos_array_reserve(&v, &cap, n, sizeof(*v), 16))) return rc;
 *     v[n++] = x;
 */
int custos_array_reserve(void *arrayp, size_t *cap, size_t n, size_t size, size_t first);

/* SHA-256 (OpenSSL's, which uses the CPU's SHA extensions). */
void custos_sha256(uint8_t out[32], const void *data, size_t len);
/* Writes "sha256:" and 64 lower-case hex digits and a NUL (72 bytes). */
void custos_sha256_label(char out[72], const uint8_t digest[32]);
void custos_hex(char *out, const uint8_t *in, size_t n);

/* Standard base64 (RFC 4648 §4): out must hold 4 * ((n + 2) / 3) + 1 bytes; returns the length written. */
size_t custos_b64_encode(char *out, const uint8_t *in, size_t n);
/*
 * Strict base64: padded, canonical (unused bits zero), nothing but the
 * alphabet. Writes at most `cap` bytes; -1 on any malformation or overflow.
 */
int custos_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len);
/* The value of a base64 alphabet character, or -1. */
int custos_b64_char(unsigned char c);

/* Reads a whole file (at most `max` bytes) into a malloc'd NUL-terminated buffer. */
int custos_file_read(char **out, size_t *len, const char *path, size_t max);

#endif
