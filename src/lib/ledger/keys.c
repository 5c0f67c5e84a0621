/* keys.c — Ed25519 signer and verifier keys in the C2SP signed-note text formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "note_int.h"

#define SKEY_PREFIX "PRIVATE+KEY+"

uint32_t note_keyid(const char *name, uint8_t type, const uint8_t pub[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32] = {0};
	const uint8_t sep[2] = {'\n', type};
	unsigned dlen = 0;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, name, strlen(name)) ||
	    !EVP_DigestUpdate(ctx, sep, 2) || !EVP_DigestUpdate(ctx, pub, 32) || !EVP_DigestFinal_ex(ctx, d, &dlen))
		abort(); /* SHA-256 does not fail short of a broken libcrypto */
	EVP_MD_CTX_free(ctx);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* Parses exactly 8 hex digits (either case). */
static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	if (len != 8)
		return -1;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/*
 * Splits "name+hash+base64" (the tail of both key formats): *name_len, the
 * key hash and the decoded key bytes (type byte first) into key[cap].
 */
static int split_key(const char *s, const char *what, size_t *name_len, uint32_t *hash, uint8_t *key, size_t cap,
		     size_t *key_len)
{
	const char *p1 = strchr(s, '+'), *p2;
	if (!p1)
		return custos_error_set(CUSTOS_EINVALID, "%s: expected name+hash+key", what);
	*name_len = (size_t)(p1 - s);
	if (!note_name_valid(s, *name_len)) /* not echoed: in a mangled private key it could be secret */
		return custos_error_set(CUSTOS_EINVALID, "%s: invalid key name (empty, or with a space, '+' or control character)",
					what);
	p2 = strchr(p1 + 1, '+');
	if (!p2)
		return custos_error_set(CUSTOS_EINVALID, "%s: expected name+hash+key", what);
	if (parse_hex32(p1 + 1, (size_t)(p2 - p1 - 1), hash))
		return custos_error_set(CUSTOS_EINVALID, "%s: key hash must be 8 hex digits", what);
	if (custos_b64_decode(key, cap, key_len, p2 + 1, strlen(p2 + 1)) || *key_len == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: key is not valid base64 of the expected length", what);
	return 0;
}

/* Writes "PRIVATE+KEY+name+hash+base64(0x01||seed)" into one exact allocation (no stray copies of the secret). */
static int format_skey(char **out, const char *name, uint32_t keyid, const uint8_t seed[32])
{
	uint8_t raw[33];
	char b64[45];
	size_t len = strlen(SKEY_PREFIX) + strlen(name) + 1 + 8 + 1 + 44 + 1;
	char *s = malloc(len);
	int rc = 0;
	raw[0] = NOTE_TYPE_ED25519;
	memcpy(raw + 1, seed, 32);
	custos_b64_encode(b64, raw, sizeof(raw));
	if (!s) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(s, len, SKEY_PREFIX "%s+%08x+%s", name, keyid, b64);
	*out = s;
out:
	custos_wipe(raw, sizeof(raw));
	custos_wipe(b64, sizeof(b64));
	return rc;
}

static int format_vkey(char **out, const char *name, uint32_t keyid, uint8_t type, const uint8_t pub[32])
{
	uint8_t raw[33];
	char b64[45];
	custos_buf b;
	raw[0] = type;
	memcpy(raw + 1, pub, 32);
	custos_b64_encode(b64, raw, sizeof(raw));
	custos_buf_init(&b, 4096);
	if (custos_buf_printf(&b, "%s+%08x+%s", name, keyid, b64) || !(*out = custos_buf_detach(&b))) {
		custos_buf_dispose(&b);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	return 0;
}

int custos_key_generate(char **skey, char **vkey, const char *name)
{
	uint8_t seed[32], pub[32], sk[64];
	uint32_t keyid;
	int rc;
	*skey = *vkey = NULL;
	if (!note_name_valid(name, strlen(name)))
		return custos_error_set(CUSTOS_EINVALID,
					"key name '%s': must be non-empty, without spaces, '+' or control characters",
					name);
	if (RAND_priv_bytes(seed, sizeof(seed)) != 1) {
		rc = custos_error_set(CUSTOS_ERROR, "no random bytes for a new key");
		goto out;
	}
	if ((rc = custos_ed25519_keypair(sk, pub, seed)))
		goto out;
	keyid = note_keyid(name, NOTE_TYPE_ED25519, pub);
	if ((rc = format_skey(skey, name, keyid, seed)))
		goto out;
	if ((rc = format_vkey(vkey, name, keyid, NOTE_TYPE_ED25519, pub))) {
		custos_wipe(*skey, strlen(*skey));
		free(*skey);
		*skey = NULL;
	}
out:
	custos_wipe(seed, sizeof(seed));
	custos_wipe(sk, sizeof(sk));
	return rc;
}

int custos_signer_new(custos_signer **out, const char *skey)
{
	uint8_t key[64];
	size_t name_len, key_len;
	uint32_t hash;
	custos_signer *s = NULL;
	int rc;
	*out = NULL;
	if (strncmp(skey, SKEY_PREFIX, strlen(SKEY_PREFIX)) != 0)
		return custos_error_set(CUSTOS_EINVALID, "signer key: does not start with " SKEY_PREFIX);
	skey += strlen(SKEY_PREFIX);
	if ((rc = split_key(skey, "signer key", &name_len, &hash, key, sizeof(key), &key_len)))
		goto out;
	if (key[0] != NOTE_TYPE_ED25519) {
		rc = custos_error_set(CUSTOS_EINVALID, "signer key: unknown algorithm 0x%02x", key[0]);
		goto out;
	}
	if (key_len != 33) {
		rc = custos_error_set(CUSTOS_EINVALID, "signer key: Ed25519 seed is %zu bytes, not 32", key_len - 1);
		goto out;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->name = custos_strndup(skey, name_len))) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = custos_ed25519_keypair(s->sk, s->pub, key + 1)))
		goto out;
	s->keyid = note_keyid(s->name, NOTE_TYPE_ED25519, s->pub);
	if (s->keyid != hash) {
		rc = custos_error_set(CUSTOS_EINVALID, "signer key: key hash %08x does not match the key (%08x)", hash,
				      s->keyid);
		goto out;
	}
	*out = s;
	s = NULL;
out:
	custos_wipe(key, sizeof(key));
	custos_signer_free(s);
	return rc;
}

void custos_signer_free(custos_signer *s)
{
	if (!s)
		return;
	free(s->name);
	custos_wipe(s, sizeof(*s)); /* the secret key with it */
	free(s);
}

const char *custos_signer_name(const custos_signer *s)
{
	return s->name;
}

int custos_signer_vkey(const custos_signer *s, char **out)
{
	return format_vkey(out, s->name, s->keyid, NOTE_TYPE_ED25519, s->pub);
}

int custos_cosignature_vkey(const custos_signer *witness, char **out)
{
	return format_vkey(out, witness->name, note_keyid(witness->name, NOTE_TYPE_COSIGNATURE, witness->pub),
			   NOTE_TYPE_COSIGNATURE, witness->pub);
}

int custos_signer_sign(const custos_signer *s, uint8_t sig[64], const void *msg, size_t len)
{
	return custos_ed25519_sign(sig, s->sk, msg, len);
}

int note_verifier_make(custos_verifier **out, const char *name, size_t name_len, uint8_t type, const uint8_t pub[32])
{
	custos_verifier *v = calloc(1, sizeof(*v));
	*out = NULL;
	if (!v || !(v->name = custos_strndup(name, name_len))) {
		free(v);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	v->type = type;
	memcpy(v->pub, pub, 32);
	v->keyid = note_keyid(v->name, type, pub);
	*out = v;
	return 0;
}

/*
 * Parses "name+hash+base64(type||pub)". Both signature types that carry an
 * Ed25519 key are accepted: 0x01 (note signatures) and 0x04 (tlog-cosignature
 * witness keys); the hash must be the key ID of that type.
 */
int custos_verifier_new(custos_verifier **out, const char *vkey)
{
	uint8_t key[64];
	size_t name_len, key_len;
	uint32_t hash;
	custos_verifier *v = NULL;
	int rc;
	*out = NULL;
	if ((rc = split_key(vkey, "verifier key", &name_len, &hash, key, sizeof(key), &key_len)))
		return rc;
	if (key[0] != NOTE_TYPE_ED25519 && key[0] != NOTE_TYPE_COSIGNATURE)
		return custos_error_set(CUSTOS_EINVALID, "verifier key: unknown algorithm 0x%02x", key[0]);
	if (key_len != 33)
		return custos_error_set(CUSTOS_EINVALID, "verifier key: Ed25519 public key is %zu bytes, not 32",
					key_len - 1);
	if ((rc = note_verifier_make(&v, vkey, name_len, key[0], key + 1)))
		return rc;
	if (v->keyid != hash) {
		rc = custos_error_set(CUSTOS_EINVALID, "verifier key: key hash %08x does not match the key (%08x)",
				      hash, v->keyid);
		custos_verifier_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void custos_verifier_free(custos_verifier *v)
{
	if (!v)
		return;
	free(v->name);
	free(v);
}

const char *custos_verifier_name(const custos_verifier *v)
{
	return v->name;
}

void custos_verifier_public(const custos_verifier *v, uint8_t pub[32])
{
	memcpy(pub, v->pub, 32);
}

int custos_verifier_type(const custos_verifier *v)
{
	return v->type;
}

uint32_t custos_verifier_keyid(const custos_verifier *v)
{
	return v->keyid;
}

int custos_verifier_verify(const custos_verifier *v, const uint8_t sig[64], const void *msg, size_t len)
{
	return custos_ed25519_verify(v->pub, sig, msg, len);
}
