/* custos/note.h — Ed25519 keys, C2SP signed notes, checkpoints, cosignatures, receipts and the witness protocol. */
#ifndef CUSTOS_NOTE_H
#define CUSTOS_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "custos/merkle.h"

/* ---- keys (C2SP signed-note: Ed25519, key ID, "name+hash+base64") ---------- */

typedef struct custos_signer custos_signer;	/* a name and an Ed25519 private key */
typedef struct custos_verifier custos_verifier; /* a name, key ID and Ed25519 public key */

/*
 * Generates an Ed25519 key for `name` (a signed-note key name: non-empty, no
 * '+', no whitespace). *skey receives the private key in the signed-note
 * format "PRIVATE+KEY+name+hash+base64", *vkey the verifier key
 * "name+hash+base64" (hash: 8 hex digits of the key ID). Both malloc'd.
 */
int custos_key_generate(char **skey, char **vkey, const char *name);

/* A signer from "PRIVATE+KEY+name+hash+base64" (exactly: no surrounding whitespace or newline). */
int custos_signer_new(custos_signer **out, const char *skey);
void custos_signer_free(custos_signer *s);
const char *custos_signer_name(const custos_signer *s);
/* The verifier key of this signer ("name+hash+base64"), malloc'd. */
int custos_signer_vkey(const custos_signer *s, char **out);
/* Signs raw bytes (Ed25519). */
int custos_signer_sign(const custos_signer *s, uint8_t sig[64], const void *msg, size_t len);

/*
 * A verifier from "name+hash+base64(type || key)". Type 0x01 is a note
 * signature key; type 0x04 a tlog-cosignature/v1 witness key (then
 * custos_note_verify checks cosignatures).
 */
int custos_verifier_new(custos_verifier **out, const char *vkey);
void custos_verifier_free(custos_verifier *v);
const char *custos_verifier_name(const custos_verifier *v);
uint32_t custos_verifier_keyid(const custos_verifier *v);
/* The raw Ed25519 public key. */
void custos_verifier_public(const custos_verifier *v, uint8_t pub[32]);
/* The key's signature type byte: 0x01 (Ed25519 note key) or 0x04 (tlog-cosignature/v1 witness key). */
int custos_verifier_type(const custos_verifier *v);
/* 0 if sig is a valid Ed25519 signature of msg under this key, else CUSTOS_EINVALID. */
int custos_verifier_verify(const custos_verifier *v, const uint8_t sig[64], const void *msg, size_t len);

/* ---- key files --------------------------------------------------------------------- */

/*
 * Writes a new Ed25519 private key for `name` (a signed-note key name) to
 * `path`, mode 0600, refusing to overwrite a file; *vkey receives the
 * verifier key "name+hash+base64" (malloc'd). The private key is never
 * printed or returned.
 */
int custos_keyfile_generate(const char *path, const char *name, char **vkey);
/* Reads a private key file, refusing one that others may read. */
int custos_keyfile_load(const char *path, custos_signer **out);

/* ---- signed notes ------------------------------------------------------------------ */

typedef struct custos_note_sig {
	char *name;
	uint32_t keyid;
	uint8_t *sig; /* the signature bytes after the 4-byte key ID */
	size_t siglen;
} custos_note_sig;

typedef struct custos_note {
	char *text; /* the note text, ending in "\n" */
	size_t text_len;
	custos_note_sig *sigs;
	size_t nsigs;
} custos_note;

/* Signs `text` (which must end in "\n") with each signer: text, blank line, one "— name base64" line each. */
int custos_note_sign(char **out, const char *text, size_t len, custos_signer *const *signers, size_t nsigners);

/*
 * Parses a signed note, strictly (C2SP signed-note); signatures are not
 * checked here. At most 1 MiB and 100 signature lines (CUSTOS_ELIMIT);
 * base64 must be canonical. Every signature line is kept, known or not.
 */
int custos_note_parse(custos_note *out, const char *msg, size_t len);
/* The note again: text, blank line, one signature line per sigs[i] (parse then format gives the same bytes). */
int custos_note_format(char **out, const custos_note *n);
void custos_note_dispose(custos_note *n);

/*
 * 0 if the note carries a valid signature by `v` (matching name and key ID)
 * and every signature line with that name and key ID verifies; else
 * CUSTOS_EINVALID. Signatures by other keys are ignored.
 */
int custos_note_verify(const custos_note *n, const custos_verifier *v);

/* ---- checkpoints (C2SP tlog-checkpoint) -------------------------------------------- */

typedef struct custos_checkpoint {
	char *origin;
	uint64_t size;
	custos_hash root;
	char **extensions; /* extra lines, in order, without "\n" */
	size_t nextensions;
} custos_checkpoint;

/* The checkpoint body: "origin\nsize\nbase64(root)\n" then extension lines. malloc'd. */
int custos_checkpoint_format(char **out, const custos_checkpoint *c);
int custos_checkpoint_parse(custos_checkpoint *out, const char *text, size_t len);
void custos_checkpoint_dispose(custos_checkpoint *c);

/* ---- cosignatures (C2SP tlog-cosignature) --------------------------------------------- */

/*
 * A witness cosignature of a checkpoint body at `timestamp` (seconds since
 * the epoch): the signature line "— name base64(keyid || timestamp || sig)"
 * with the key ID of the cosignature/v1 key type. malloc'd, ending in "\n".
 */
int custos_cosignature_sign(char **line, const custos_signer *witness, const char *checkpoint, size_t len,
			    uint64_t timestamp);
/* Verifies one cosignature of the note by a witness verifier key; *timestamp receives its time. */
int custos_cosignature_verify(const custos_note *n, const custos_verifier *witness, uint64_t *timestamp);
/*
 * A cosignature/v1 verifier from a witness's vkey: either its 0x01 note key
 * (same Ed25519 key, the key ID recomputed for type 0x04) or a 0x04 vkey.
 */
int custos_cosignature_verifier_new(custos_verifier **out, const char *vkey);
/* The witness's cosignature/v1 vkey "name+hash+base64(0x04 || pubkey)", malloc'd. */
int custos_cosignature_vkey(const custos_signer *witness, char **out);

/* ---- receipts (C2SP tlog-proof) ---------------------------------------------------------- */

/* A self-contained proof that a leaf is in a log: index, inclusion proof, signed checkpoint. */
typedef struct custos_receipt {
	uint64_t index;
	custos_hash *proof;
	size_t nproof;
	uint8_t *extra; /* optional opaque extra data (the "extra" line, base64-decoded); NULL if none */
	size_t extra_len;
	char *checkpoint; /* the signed checkpoint note */
} custos_receipt;

int custos_receipt_format(char **out, const custos_receipt *r);
int custos_receipt_parse(custos_receipt *out, const char *text, size_t len);
void custos_receipt_dispose(custos_receipt *r);
/*
 * Verifies a receipt for the leaf bytes: the checkpoint's signature by the
 * log's key, and the inclusion proof against its root.
 */
int custos_receipt_verify(const custos_receipt *r, const custos_verifier *log, const void *leaf, size_t leaf_len);

/* ---- the witness side (C2SP tlog-witness) -------------------------------------------------- */

/* An add-checkpoint request: "old N", the consistency proof, blank line, the signed checkpoint. */
typedef struct custos_witness_request {
	uint64_t old_size;
	custos_hash *proof;
	size_t nproof;
	char *checkpoint; /* signed note */
	size_t checkpoint_len;
} custos_witness_request;

int custos_witness_request_parse(custos_witness_request *out, const char *body, size_t len);
int custos_witness_request_format(char **out, const custos_witness_request *r);
void custos_witness_request_dispose(custos_witness_request *r);

/* What a witness knows of one log: its origin, verifier key and the last checkpoint it cosigned. */
typedef struct custos_witness_state {
	uint64_t size; /* 0 and the empty root before the first cosignature */
	custos_hash root;
} custos_witness_state;

/* Outcomes of add-checkpoint, as the spec's HTTP statuses map them. */
enum {
	CUSTOS_WITNESS_OK = 0,
	CUSTOS_WITNESS_UNKNOWN_LOG = 404,  /* origin or key not known */
	CUSTOS_WITNESS_BAD_SIGNATURE = 403,
	CUSTOS_WITNESS_CONFLICT = 409,	   /* old size differs from the witness's: *state says its size */
	CUSTOS_WITNESS_BAD_PROOF = 422,	   /* not consistent */
	CUSTOS_WITNESS_BAD_REQUEST = 400
};

/*
 * Checks a request against the state the witness keeps for that log: the
 * log's signature, old size equal to the state's size, size not smaller,
 * the consistency proof from the state's root. `origin` is the log's origin
 * line as the witness knows it (404 if the checkpoint names another). On
 * CUSTOS_WITNESS_OK, *next is the new state and *cosig the cosignature
 * line(s) to answer with. A positive status leaves a message; a negative
 * custos code is an internal failure (out of memory).
 */
int custos_witness_add_checkpoint(char **cosig, custos_witness_state *next, const custos_witness_state *state,
				  const custos_witness_request *req, const char *origin, const custos_verifier *log,
				  const custos_signer *witness, uint64_t now);

#endif
