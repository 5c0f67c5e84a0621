/* custos/httpsig.h — RFC 9421 HTTP Message Signatures (Ed25519): parsing, signature base, verification, replays. */
#ifndef CUSTOS_HTTPSIG_H
#define CUSTOS_HTTPSIG_H

#include <stddef.h>
#include <stdint.h>

/* Most components one signature may cover, and the longest field value read. */
#define CUSTOS_HTTPSIG_COMPONENTS_MAX 16
#define CUSTOS_HTTPSIG_FIELD_MAX 8192

/*
 * A request as its signature covers it. `path` and `query` are the request
 * target as sent (not percent-decoded); `field` returns the value of a
 * header field by its lower-case name (several lines joined with ", "), or
 * NULL when the request has none.
 */
typedef struct custos_httpsig_message {
	const char *method;    /* "POST" */
	const char *scheme;    /* "http" or "https": for @target-uri and @scheme */
	const char *authority; /* the Host the request was sent to */
	const char *path;      /* "/v1/measures" */
	const char *query;     /* what follows '?', without it; NULL when there is no '?' */
	const char *(*field)(void *ctx, const char *name);
	void *field_ctx;
} custos_httpsig_message;

/*
 * One signature: its label, covered components and parameters as
 * Signature-Input gives them, and its 64 signature bytes. `params` is the
 * canonical serialisation of the inner list with its parameters, which is
 * the value of the "@signature-params" line of the signature base.
 */
typedef struct custos_httpsig_params {
	char label[64];
	char components[CUSTOS_HTTPSIG_COMPONENTS_MAX][64];
	size_t ncomponents;
	int64_t created, expires; /* -1 when absent */
	char keyid[256];
	char alg[32];	 /* "" when absent */
	char nonce[128]; /* "" when absent */
	char tag[128];	 /* "" when absent */
	char params[2048];
	uint8_t signature[64];
} custos_httpsig_params;

/*
 * Parses the Signature-Input and Signature field values (RFC 8941
 * dictionaries) and picks the signature named `label`, or with label NULL
 * the first label of Signature-Input that Signature holds too. Accepts the
 * parameters created, expires (integers), keyid, alg, nonce, tag (strings);
 * component identifiers must be lower-case strings without parameters, each
 * given once. Errors are CUSTOS_EINVALID naming the field and what is wrong
 * ("Signature-Input: sig1: unknown parameter 'foo'").
 */
int custos_httpsig_parse(custos_httpsig_params *out, const char *signature_input, const char *signature,
			 const char *label);

/*
 * The signature base of RFC 9421 §2.5: one line per covered component, then
 * the "@signature-params" line, no final newline. Derived components
 * supported: @method, @authority, @scheme, @path, @query, @target-uri,
 * @request-target; any other, or a covered header field the message does not
 * have, is CUSTOS_EINVALID naming it. *out is malloc'd.
 */
int custos_httpsig_base(char **out, size_t *len, const custos_httpsig_params *p, const custos_httpsig_message *m);

/* The RFC 9530 Content-Digest value of a body: "sha-256=:<base64>:" and a NUL (at most 56 bytes). */
#define CUSTOS_HTTPSIG_DIGEST_SIZE 56
void custos_httpsig_content_digest(char out[CUSTOS_HTTPSIG_DIGEST_SIZE], const void *body, size_t len);

/* 0 if a Content-Digest field value holds a sha-256 member equal to the body's digest; else CUSTOS_EINVALID. */
int custos_httpsig_digest_check(const char *field, const void *body, size_t len);

/*
 * Remembers recent signatures so that each is accepted once. Thread-safe.
 * A signature is kept until its `until` time; when every slot it could take
 * holds a live signature, check returns CUSTOS_ELIMIT (refuse, retry later).
 */
typedef struct custos_httpsig_replay custos_httpsig_replay;
int custos_httpsig_replay_new(custos_httpsig_replay **out, size_t capacity);
void custos_httpsig_replay_free(custos_httpsig_replay *r);
/* Records sig as seen at `now` until `until`; CUSTOS_EEXISTS if it is a replay. */
int custos_httpsig_replay_check(custos_httpsig_replay *r, const uint8_t sig[64], int64_t now, int64_t until);

/* What the verifier requires of a signature. */
typedef struct custos_httpsig_policy {
	int64_t now;	  /* seconds since 1970 */
	int64_t max_age;  /* created at most this many seconds ago */
	int64_t max_skew; /* created at most this many seconds ahead of now */
	const void *body; /* the request content: when body_len > 0, content-digest must be covered and match */
	size_t body_len;
} custos_httpsig_policy;

/*
 * The key a keyid names: writes its Ed25519 public key and the roles it
 * holds (space-separated, NUL-terminated) and returns 0, or returns
 * CUSTOS_ENOTFOUND for an unknown key. This is where principals plug in.
 */
typedef int (*custos_httpsig_lookup)(void *ctx, const char *keyid, uint8_t pubkey[32], char *roles,
				     size_t roles_len);

/* Why a verification failed. */
typedef enum {
	CUSTOS_HTTPSIG_OK,
	CUSTOS_HTTPSIG_MISSING,	      /* no Signature-Input or Signature */
	CUSTOS_HTTPSIG_MALFORMED,     /* the fields do not parse */
	CUSTOS_HTTPSIG_UNCOVERED,     /* a required component or parameter is missing, or alg is not ed25519 */
	CUSTOS_HTTPSIG_STALE,	      /* created too old or in the future, or expired */
	CUSTOS_HTTPSIG_UNKNOWN_KEY,   /* lookup does not know the keyid */
	CUSTOS_HTTPSIG_BAD_DIGEST,    /* Content-Digest does not match the body */
	CUSTOS_HTTPSIG_BAD_SIGNATURE, /* Ed25519 verification failed */
	CUSTOS_HTTPSIG_REPLAYED	      /* this signature was accepted before */
} custos_httpsig_failure;

/* Who signed a verified request. */
typedef struct custos_httpsig_signer {
	char keyid[256];
	char roles[512];
	char request_key[72]; /* "sha256:<hex>" of the signature: what makes this request itself (replays) */
} custos_httpsig_signer;

/*
 * Verifies a request's signature: parses the fields, requires the components
 * @method, @authority, @path or @target-uri (and @query or @target-uri when
 * the request has a query, content-digest when it has content), the parameters created and keyid, alg absent or
 * "ed25519", a created time within the policy's window and no passed
 * expires; checks Content-Digest against the body; looks the key up; checks
 * the Ed25519 signature over the signature base; and records it in `replay`
 * (may be NULL) so that it is accepted only once. Returns 0 and fills *out,
 * or CUSTOS_EINVALID (CUSTOS_ENOTFOUND for an unknown key, CUSTOS_ELIMIT for
 * a full replay cache) with *why set and a message.
 */
int custos_httpsig_verify(custos_httpsig_signer *out, custos_httpsig_failure *why, const custos_httpsig_message *m,
			  const char *signature_input, const char *signature, const custos_httpsig_policy *pol,
			  custos_httpsig_lookup lookup, void *lookup_ctx, custos_httpsig_replay *replay);

/*
 * Signs a request (for clients and tests): covers `components` in that
 * order with created, keyid and, when alg is not NULL, alg; writes the
 * Signature-Input and Signature field values for `label` (malloc'd).
 * `seed` is the 32-byte Ed25519 private key.
 */
int custos_httpsig_sign(char **signature_input, char **signature, const custos_httpsig_message *m, const char *label,
			const char *const *components, size_t ncomponents, int64_t created, const char *keyid,
			const char *alg, const uint8_t seed[32]);

#endif
