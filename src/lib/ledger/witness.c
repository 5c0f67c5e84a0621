/* witness.c — the witness side of C2SP tlog-witness: add-checkpoint requests and their checks. */
#include <stdlib.h>
#include <string.h>

#include "note_int.h"

#define WITNESS_MAX_PROOF 63
#define WITNESS_REQUEST_MAX (NOTE_MAX + 8 * 1024)

void custos_witness_request_dispose(custos_witness_request *r)
{
	if (!r)
		return;
	free(r->proof);
	free(r->checkpoint);
	memset(r, 0, sizeof(*r));
}

/*
 * "old N\n", zero to 63 base64 hash lines, an empty line, then the signed
 * checkpoint, kept verbatim (it is parsed and verified by add-checkpoint).
 */
int custos_witness_request_parse(custos_witness_request *out, const char *body, size_t len)
{
	custos_witness_request r = {0};
	size_t pos, cap = 0;
	const char *nl;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (len > WITNESS_REQUEST_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "add-checkpoint: request longer than %u bytes",
					(unsigned)WITNESS_REQUEST_MAX);
	if ((rc = note_check_text(body, len, "add-checkpoint")))
		return rc;
	nl = memchr(body, '\n', len);
	if (!nl || len < 4 || memcmp(body, "old ", 4) != 0 || note_parse_u64(body + 4, (size_t)(nl - body) - 4, &r.old_size))
		return custos_error_set(CUSTOS_EINVALID,
					"add-checkpoint: first line must be 'old N' (decimal, no leading zeroes)");
	pos = (size_t)(nl - body) + 1;
	for (;;) {
		size_t n;
		if (pos >= len || !(nl = memchr(body + pos, '\n', len - pos))) {
			rc = custos_error_set(CUSTOS_EINVALID, "add-checkpoint: no empty line before the checkpoint");
			goto out;
		}
		n = (size_t)(nl - (body + pos));
		if (n == 0) {
			pos++;
			break;
		}
		if (r.nproof >= WITNESS_MAX_PROOF) {
			rc = custos_error_set(CUSTOS_EINVALID, "add-checkpoint: more than %d consistency proof lines",
					      WITNESS_MAX_PROOF);
			goto out;
		}
		if ((rc = custos_array_reserve(&r.proof, &cap, r.nproof, sizeof(*r.proof), 8)))
			goto out;
		if (note_b64_hash(&r.proof[r.nproof], body + pos, n)) {
			rc = custos_error_set(CUSTOS_EINVALID,
					      "add-checkpoint: consistency proof line %zu is not the base64 of 32 bytes",
					      r.nproof + 1);
			goto out;
		}
		r.nproof++;
		pos += n + 1;
	}
	if (pos == len) {
		rc = custos_error_set(CUSTOS_EINVALID, "add-checkpoint: no checkpoint after the empty line");
		goto out;
	}
	if (!(r.checkpoint = custos_strndup(body + pos, len - pos))) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	r.checkpoint_len = len - pos;
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	custos_witness_request_dispose(&r);
	return rc;
}

int custos_witness_request_format(char **out, const custos_witness_request *r)
{
	custos_buf b;
	int rc;
	*out = NULL;
	custos_buf_init(&b, WITNESS_REQUEST_MAX);
	if (r->nproof > WITNESS_MAX_PROOF || !r->checkpoint || r->checkpoint_len == 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "add-checkpoint: needs a checkpoint and at most %d proof lines",
				      WITNESS_MAX_PROOF);
		goto out;
	}
	if ((rc = custos_buf_printf(&b, "old %llu\n", (unsigned long long)r->old_size)))
		goto out;
	if ((rc = note_proof_append(&b, r->proof, r->nproof)))
		goto out;
	if ((rc = custos_buf_puts(&b, "\n")) || (rc = custos_buf_append(&b, r->checkpoint, r->checkpoint_len)))
		goto out;
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	custos_buf_dispose(&b);
	return rc;
}

/*
 * The checks of tlog-witness in its order: a well-formed signed checkpoint
 * (400), the known origin (404), the log's signature (403), old size not
 * above the new (400), old size equal to the witness's (409), the same root
 * when the size is unchanged (409), an empty proof from size 0 (400), the
 * consistency proof (422). Only then is the checkpoint cosigned.
 */
int custos_witness_add_checkpoint(char **cosig, custos_witness_state *next, const custos_witness_state *state,
				  const custos_witness_request *req, const char *origin, const custos_verifier *log,
				  const custos_signer *witness, uint64_t now)
{
	custos_note note = {0};
	custos_checkpoint cp = {0};
	int rc;
	*cosig = NULL;
	if ((rc = custos_note_parse(&note, req->checkpoint, req->checkpoint_len)) ||
	    (rc = custos_checkpoint_parse(&cp, note.text, note.text_len))) {
		if (rc == CUSTOS_ENOMEM)
			goto out;
		custos_error_prefix(rc, "add-checkpoint");
		rc = CUSTOS_WITNESS_BAD_REQUEST;
		goto out;
	}
	if (strcmp(cp.origin, origin) != 0) {
		rc = custos_error_set(CUSTOS_WITNESS_UNKNOWN_LOG, "add-checkpoint: unknown log origin '%s'", cp.origin);
		goto out;
	}
	if ((rc = custos_note_verify(&note, log))) {
		if (rc == CUSTOS_ENOMEM)
			goto out;
		custos_error_prefix(rc, "add-checkpoint");
		rc = CUSTOS_WITNESS_BAD_SIGNATURE;
		goto out;
	}
	if (req->old_size > cp.size) {
		rc = custos_error_set(CUSTOS_WITNESS_BAD_REQUEST, "add-checkpoint: old size %llu is above the checkpoint size %llu",
				      (unsigned long long)req->old_size, (unsigned long long)cp.size);
		goto out;
	}
	if (req->old_size != state->size) {
		rc = custos_error_set(CUSTOS_WITNESS_CONFLICT, "add-checkpoint: old size %llu, but the witness is at %llu",
				      (unsigned long long)req->old_size, (unsigned long long)state->size);
		goto out;
	}
	if (req->old_size == cp.size) {
		if (memcmp(cp.root.b, state->root.b, CUSTOS_HASH_SIZE) != 0) {
			rc = custos_error_set(CUSTOS_WITNESS_CONFLICT,
					      "add-checkpoint: size %llu with a root hash other than the one cosigned",
					      (unsigned long long)cp.size);
			goto out;
		}
		if (req->nproof != 0) {
			rc = custos_error_set(CUSTOS_WITNESS_BAD_PROOF,
					      "add-checkpoint: a consistency proof between equal sizes must be empty");
			goto out;
		}
	} else if (req->old_size == 0) {
		if (req->nproof != 0) {
			rc = custos_error_set(CUSTOS_WITNESS_BAD_REQUEST,
					      "add-checkpoint: the proof must be empty when the old size is 0");
			goto out;
		}
	} else if (custos_merkle_verify_consistency(req->old_size, cp.size, &state->root, &cp.root, req->proof,
						    req->nproof)) {
		rc = custos_error_set(CUSTOS_WITNESS_BAD_PROOF,
				      "add-checkpoint: consistency proof from %llu to %llu does not verify",
				      (unsigned long long)req->old_size, (unsigned long long)cp.size);
		goto out;
	}
	if ((rc = custos_cosignature_sign(cosig, witness, note.text, note.text_len, now)))
		goto out;
	next->size = cp.size;
	next->root = cp.root;
out:
	custos_checkpoint_dispose(&cp);
	custos_note_dispose(&note);
	return rc;
}
