/* receipt.c — C2SP tlog-proof receipts: index, inclusion proof and the signed checkpoint, checkable offline. */
#include <stdlib.h>
#include <string.h>

#include "note_int.h"

#define RECEIPT_HEADER "c2sp.org/tlog-proof@v1"
#define RECEIPT_MAX (NOTE_MAX + 64 * 1024)
#define PROOF_MAX_HASHES 63

void custos_receipt_dispose(custos_receipt *r)
{
	if (!r)
		return;
	free(r->proof);
	free(r->extra);
	free(r->checkpoint);
	memset(r, 0, sizeof(*r));
}

int custos_receipt_format(char **out, const custos_receipt *r)
{
	custos_buf b;
	int rc;
	*out = NULL;
	custos_buf_init(&b, RECEIPT_MAX);
	if (!r->checkpoint) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: no checkpoint");
		goto out;
	}
	if (r->nproof > PROOF_MAX_HASHES) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: %zu proof hashes, at most %d", r->nproof,
				      PROOF_MAX_HASHES);
		goto out;
	}
	if ((rc = custos_buf_puts(&b, RECEIPT_HEADER "\n")))
		goto out;
	if (r->extra && r->extra_len > 0) {
		if ((rc = custos_buf_puts(&b, "extra ")) || (rc = note_b64_append(&b, r->extra, r->extra_len)) ||
		    (rc = custos_buf_puts(&b, "\n")))
			goto out;
	}
	if ((rc = custos_buf_printf(&b, "index %llu\n", (unsigned long long)r->index)))
		goto out;
	if ((rc = note_proof_append(&b, r->proof, r->nproof)))
		goto out;
	if ((rc = custos_buf_puts(&b, "\n")) || (rc = custos_buf_puts(&b, r->checkpoint)))
		goto out;
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	custos_buf_dispose(&b);
	return rc;
}

/* Takes the next line (without its newline) from text[*pos..len); -1 if there is no complete line. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;
	if (*pos >= len || !(nl = memchr(text + *pos, '\n', len - *pos)))
		return -1;
	*line = text + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 0;
}

static bool has_prefix(const char *line, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);
	return n >= p && memcmp(line, prefix, p) == 0;
}

/*
 * Header line, optional "extra" line, "index" line, proof hashes up to an
 * empty line, then the checkpoint note verbatim (parsed as a signed note
 * here, so that a receipt that parses is well-formed throughout).
 */
int custos_receipt_parse(custos_receipt *out, const char *text, size_t len)
{
	custos_receipt r = {0};
	custos_note note = {0};
	const char *line;
	size_t n, pos = 0, cap = 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (len > RECEIPT_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "receipt: longer than %u bytes", (unsigned)RECEIPT_MAX);
	if (next_line(text, len, &pos, &line, &n) || n != strlen(RECEIPT_HEADER) ||
	    memcmp(line, RECEIPT_HEADER, n) != 0)
		return custos_error_set(CUSTOS_EINVALID, "receipt: first line is not " RECEIPT_HEADER);
	if (next_line(text, len, &pos, &line, &n)) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: index line is missing");
		goto out;
	}
	if (has_prefix(line, n, "extra ")) {
		size_t b64 = n - 6, room = b64 / 4 * 3 + 1;
		if (!(r.extra = malloc(room))) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			goto out;
		}
		if (b64 == 0 || custos_b64_decode(r.extra, room, &r.extra_len, line + 6, b64) || r.extra_len == 0) {
			rc = custos_error_set(CUSTOS_EINVALID, "receipt: extra data is not non-empty base64");
			goto out;
		}
		if (next_line(text, len, &pos, &line, &n)) {
			rc = custos_error_set(CUSTOS_EINVALID, "receipt: index line is missing");
			goto out;
		}
	}
	if (!has_prefix(line, n, "index ") || note_parse_u64(line + 6, n - 6, &r.index)) {
		rc = custos_error_set(CUSTOS_EINVALID,
				      "receipt: expected 'index N' (decimal, no leading zeroes) after the header");
		goto out;
	}
	for (;;) {
		if (next_line(text, len, &pos, &line, &n)) {
			rc = custos_error_set(CUSTOS_EINVALID, "receipt: no empty line before the checkpoint");
			goto out;
		}
		if (n == 0)
			break;
		if (r.nproof >= PROOF_MAX_HASHES) {
			rc = custos_error_set(CUSTOS_EINVALID, "receipt: more than %d proof hashes", PROOF_MAX_HASHES);
			goto out;
		}
		if ((rc = custos_array_reserve(&r.proof, &cap, r.nproof, sizeof(*r.proof), 8)))
			goto out;
		if (note_b64_hash(&r.proof[r.nproof], line, n)) {
			rc = custos_error_set(CUSTOS_EINVALID, "receipt: proof hash %zu is not the base64 of 32 bytes",
					      r.nproof + 1);
			goto out;
		}
		r.nproof++;
	}
	if ((rc = custos_note_parse(&note, text + pos, len - pos))) {
		custos_error_prefix(rc, "receipt");
		goto out;
	}
	if (!(r.checkpoint = custos_strndup(text + pos, len - pos))) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	custos_note_dispose(&note);
	custos_receipt_dispose(&r);
	return rc;
}

int custos_receipt_verify(const custos_receipt *r, const custos_verifier *log, const void *leaf, size_t leaf_len)
{
	custos_note note = {0};
	custos_checkpoint cp = {0};
	custos_hash lh;
	int rc;
	if (!r->checkpoint)
		return custos_error_set(CUSTOS_EINVALID, "receipt: no checkpoint");
	if ((rc = custos_note_parse(&note, r->checkpoint, strlen(r->checkpoint))) ||
	    (rc = custos_note_verify(&note, log)) || (rc = custos_checkpoint_parse(&cp, note.text, note.text_len))) {
		custos_error_prefix(rc, "receipt");
		goto out;
	}
	if (r->index >= cp.size) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: index %llu is not below the tree size %llu",
				      (unsigned long long)r->index, (unsigned long long)cp.size);
		goto out;
	}
	custos_merkle_leaf_hash(&lh, leaf, leaf_len);
	if (custos_merkle_verify_inclusion(&lh, r->index, cp.size, r->proof, r->nproof, &cp.root)) {
		rc = custos_error_set(CUSTOS_EINVALID, "receipt: inclusion proof of leaf %llu does not lead to the root of size %llu",
				      (unsigned long long)r->index, (unsigned long long)cp.size);
		goto out;
	}
out:
	custos_checkpoint_dispose(&cp);
	custos_note_dispose(&note);
	return rc;
}
