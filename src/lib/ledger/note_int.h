/* note_int.h — internals shared by the signed-note files: key structs, base64, decimals, UTF-8. */
#ifndef CUSTOS_NOTE_INT_H
#define CUSTOS_NOTE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custos/note.h"
#include "util.h"

/* Signature type bytes of C2SP signed-note (the byte hashed into a key ID). */
enum { NOTE_TYPE_ED25519 = 0x01, NOTE_TYPE_COSIGNATURE = 0x04 };

#define NOTE_MAX (1u << 20)   /* a signed note is at most 1 MiB */
#define NOTE_MAX_SIGS 100     /* and carries at most 100 signature lines */
#define NOTE_SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define NOTE_SIG_PREFIX_LEN 4

struct custos_signer {
	char *name;
	uint32_t keyid; /* the Ed25519 (0x01) key ID */
	uint8_t pub[32];
	uint8_t sk[64]; /* seed || pub (custos_ed25519_sign) */
};

struct custos_verifier {
	char *name;
	uint32_t keyid;
	uint8_t type; /* NOTE_TYPE_ED25519 or NOTE_TYPE_COSIGNATURE */
	uint8_t pub[32];
};

/* key ID = SHA-256(name || "\n" || type || pub)[:4], big-endian. */
uint32_t note_keyid(const char *name, uint8_t type, const uint8_t pub[32]);
/* A key name: non-empty UTF-8 without Unicode spaces, '+' or control characters. */
bool note_name_valid(const char *name, size_t len);
/* A verifier of `type` for (name, pub), computing its key ID. */
int note_verifier_make(custos_verifier **out, const char *name, size_t name_len, uint8_t type, const uint8_t pub[32]);

/* Appends the base64 of `in` (custos_b64_encode, in chunks). */
int note_b64_append(custos_buf *b, const uint8_t *in, size_t n);
/* Appends proof hashes as text: one base64 hash a line (the format of proofs, receipts and witness requests). */
int note_proof_append(custos_buf *b, const custos_hash *proof, size_t n);
/* A base64 SHA-256 hash (exactly 32 bytes); -1 otherwise. */
int note_b64_hash(custos_hash *out, const char *in, size_t len);
/* ASCII decimal without leading zeroes ("0" alone allowed), fitting in uint64_t; -1 otherwise. */
int note_parse_u64(const char *s, size_t len, uint64_t *out);
/*
 * Checks that text is valid UTF-8 with no control character other than
 * newline; on failure sets CUSTOS_EINVALID with "what: ..." naming the offset.
 */
int note_check_text(const char *text, size_t len, const char *what);

#endif
