/* cosig.c — C2SP tlog-cosignature/v1: timestamped Ed25519 witness cosignatures of checkpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note_int.h"

#define COSIG_MAX_TIME ((uint64_t)INT64_MAX)

/* The signed message: "cosignature/v1\ntime <t>\n" and the checkpoint body. */
static int cosig_message(custos_buf *b, uint64_t timestamp, const char *body, size_t len)
{
	int rc = custos_buf_printf(b, "cosignature/v1\ntime %llu\n", (unsigned long long)timestamp);
	return rc ? rc : custos_buf_append(b, body, len);
}

int custos_cosignature_sign(char **line, const custos_signer *witness, const char *checkpoint, size_t len,
			    uint64_t timestamp)
{
	custos_checkpoint cp = {0};
	custos_buf msg, out;
	uint8_t raw[4 + 8 + 64];
	uint32_t keyid = note_keyid(witness->name, NOTE_TYPE_COSIGNATURE, witness->pub);
	int rc;
	*line = NULL;
	custos_buf_init(&msg, NOTE_MAX + 64);
	custos_buf_init(&out, 4096);
	if (timestamp > COSIG_MAX_TIME) {
		rc = custos_error_set(CUSTOS_EINVALID, "cosignature: timestamp %llu exceeds 2^63-1",
				      (unsigned long long)timestamp);
		goto out;
	}
	/* A witness only ever cosigns a well-formed checkpoint body. */
	if ((rc = custos_checkpoint_parse(&cp, checkpoint, len))) {
		custos_error_prefix(rc, "cosignature");
		goto out;
	}
	if ((rc = cosig_message(&msg, timestamp, checkpoint, len)))
		goto out;
	raw[0] = (uint8_t)(keyid >> 24);
	raw[1] = (uint8_t)(keyid >> 16);
	raw[2] = (uint8_t)(keyid >> 8);
	raw[3] = (uint8_t)keyid;
	for (int i = 0; i < 8; i++)
		raw[4 + i] = (uint8_t)(timestamp >> (56 - 8 * i));
	if ((rc = custos_signer_sign(witness, raw + 12, msg.ptr, msg.len)))
		goto out;
	if ((rc = custos_buf_puts(&out, NOTE_SIG_PREFIX)) || (rc = custos_buf_puts(&out, witness->name)) ||
	    (rc = custos_buf_puts(&out, " ")) || (rc = note_b64_append(&out, raw, sizeof(raw))) ||
	    (rc = custos_buf_puts(&out, "\n")))
		goto out;
	if (!(*line = custos_buf_detach(&out)))
		rc = CUSTOS_ENOMEM;
out:
	custos_checkpoint_dispose(&cp);
	custos_buf_dispose(&msg);
	custos_buf_dispose(&out);
	return rc;
}

/*
 * Like custos_note_verify for cosignature/v1: every line with the witness's
 * name and cosignature key ID must be 8 + 64 bytes and verify over the
 * message for its own timestamp; *timestamp receives the latest one.
 */
int custos_cosignature_verify(const custos_note *n, const custos_verifier *witness, uint64_t *timestamp)
{
	custos_buf msg;
	size_t good = 0;
	uint64_t latest = 0;
	int rc = 0;
	*timestamp = 0;
	if (witness->type != NOTE_TYPE_COSIGNATURE)
		return custos_error_set(CUSTOS_EINVALID,
					"cosignature: %s+%08x is not a cosignature key (use custos_cosignature_verifier_new)",
					witness->name, witness->keyid);
	custos_buf_init(&msg, NOTE_MAX + 64);
	for (size_t i = 0; i < n->nsigs; i++) {
		const custos_note_sig *s = &n->sigs[i];
		uint64_t t = 0;
		if (s->keyid != witness->keyid || strcmp(s->name, witness->name) != 0)
			continue;
		if (s->siglen != 8 + 64) {
			rc = custos_error_set(CUSTOS_EINVALID, "cosignature by %s+%08x: %zu bytes, not 72", witness->name,
					      witness->keyid, s->siglen);
			goto out;
		}
		for (int k = 0; k < 8; k++)
			t = t << 8 | s->sig[k];
		if (t > COSIG_MAX_TIME) {
			rc = custos_error_set(CUSTOS_EINVALID, "cosignature by %s+%08x: timestamp exceeds 2^63-1",
					      witness->name, witness->keyid);
			goto out;
		}
		msg.len = 0;
		if ((rc = cosig_message(&msg, t, n->text, n->text_len)))
			goto out;
		if (custos_ed25519_verify(witness->pub, s->sig + 8, msg.ptr, msg.len)) {
			rc = custos_error_set(CUSTOS_EINVALID, "cosignature: invalid signature for key %s+%08x",
					      witness->name, witness->keyid);
			goto out;
		}
		if (t >= latest)
			latest = t;
		good++;
	}
	if (!good) {
		rc = custos_error_set(CUSTOS_EINVALID, "cosignature: none by key %s+%08x", witness->name,
				      witness->keyid);
		goto out;
	}
	*timestamp = latest;
out:
	custos_buf_dispose(&msg);
	return rc;
}

int custos_cosignature_verifier_new(custos_verifier **out, const char *vkey)
{
	custos_verifier *v = NULL;
	int rc;
	*out = NULL;
	if ((rc = custos_verifier_new(&v, vkey)))
		return rc;
	if (v->type == NOTE_TYPE_COSIGNATURE) {
		*out = v;
		return 0;
	}
	rc = note_verifier_make(out, v->name, strlen(v->name), NOTE_TYPE_COSIGNATURE, v->pub);
	custos_verifier_free(v);
	return rc;
}
