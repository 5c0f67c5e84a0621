/* witnessing.c — both sides of C2SP tlog-witness over a store: this log's witnesses, and this store as a witness. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/model.h"
#include "ledger/log_int.h"
#include "util/util.h"

#define META_WITNESS "log.witness."
#define SIGLINE_PREFIX "\xe2\x80\x94 " /* "— " */

static int witness_meta_key(custos_buf *b, const char *name)
{
	custos_buf_init(b, 1024);
	return custos_buf_printf(b, META_WITNESS "%s", name);
}

int custos_log_witness_add(custos_store *st, const char *vkey)
{
	custos_verifier *v = NULL;
	custos_buf key;
	int rc = custos_cosignature_verifier_new(&v, vkey);
	if (rc)
		return custos_error_prefix(rc, "witness key");
	if (!(rc = witness_meta_key(&key, custos_verifier_name(v))))
		rc = custos_store_meta_set(st, key.ptr, vkey);
	custos_buf_dispose(&key);
	custos_verifier_free(v);
	return rc;
}

/* True if `text` holds the line p[0..n) (without its newline). */
static int has_line(const char *text, const char *p, size_t n)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		if (len == n && memcmp(text, p, n) == 0)
			return 1;
		if (!nl)
			break;
		text = nl + 1;
	}
	return 0;
}

/*
 * Verifies each signature line of `text` as a cosignature of the latest
 * checkpoint by a witness this log knows, and stores the ones that verify.
 */
int custos_log_cosignature_add(custos_store *st, const char *text, size_t len, size_t *stored)
{
	custos_buf combined, key;
	custos_note note = {0};
	uint64_t size = 0;
	char *latest = NULL;
	int rc, parsed = 0;
	const char *p = text, *end = text + len;

	*stored = 0;
	custos_buf_init(&combined, 1u << 20);
	custos_buf_init(&key, 1024);
	if ((rc = custos_log_latest_signed(st, &size, &latest, NULL)))
		goto out;
	if ((rc = custos_buf_puts(&combined, latest)))
		goto out;
	/* Put the offered signature lines under the latest checkpoint, so one note holds them all. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > strlen(SIGLINE_PREFIX) && memcmp(p, SIGLINE_PREFIX, strlen(SIGLINE_PREFIX)) == 0 &&
		    !has_line(latest, p, n)) {
			if ((rc = custos_buf_append(&combined, p, n)) || (rc = custos_buf_puts(&combined, "\n")))
				goto out;
		}
		p += n + (nl != NULL);
	}
	if ((rc = custos_note_parse(&note, combined.ptr, combined.len)))
		goto out;
	parsed = 1;
	for (size_t i = 0; i < note.nsigs; i++) {
		custos_verifier *v = NULL;
		char *vkey = NULL, *line = NULL;
		uint64_t ts;
		custos_buf_dispose(&key);
		if ((rc = witness_meta_key(&key, note.sigs[i].name)))
			goto out;
		if (custos_store_meta_get(st, key.ptr, &vkey) != 0)
			continue; /* the log's own signature, or an unknown witness */
		if (custos_cosignature_verifier_new(&v, vkey) == 0 && custos_cosignature_verify(&note, v, &ts) == 0) {
			/* find the line again to store it exactly as received */
			const char *name = note.sigs[i].name;
			const char *q = combined.ptr + strlen(latest);
			while (q < combined.ptr + combined.len) {
				const char *nl = strchr(q, '\n');
				size_t n = (size_t)(nl - q);
				size_t pre = strlen(SIGLINE_PREFIX), nn = strlen(name);
				if (n > pre + nn && memcmp(q + pre, name, nn) == 0 && q[pre + nn] == ' ') {
					line = custos_strndup(q, n + 1);
					break;
				}
				q = nl + 1;
			}
			if (line && (rc = custos_store_cosignature_put(st, size, name, line)) == 0)
				(*stored)++;
		}
		free(line);
		free(vkey);
		custos_verifier_free(v);
		if (rc)
			goto out;
	}
	if (*stored == 0)
		rc = custos_error_set(CUSTOS_EINVALID,
				      "no cosignature of the checkpoint of size %llu by a known witness verified "
				      "(add the witness's key with 'custos log add-witness VKEY')",
				      (unsigned long long)size);
out:
	if (parsed)
		custos_note_dispose(&note);
	custos_buf_dispose(&combined);
	custos_buf_dispose(&key);
	free(latest);
	return rc;
}

int custos_log_witness_request(custos_store *st, uint64_t old_size, char **out)
{
	custos_witness_request req = {0};
	uint64_t size = 0;
	char *latest = NULL;
	int rc;
	*out = NULL;
	if ((rc = custos_log_latest_signed(st, &size, &latest, NULL)))
		return rc;
	if (old_size > size) {
		rc = custos_error_set(CUSTOS_EINVALID, "the witness's size %llu is beyond the latest checkpoint (%llu)",
				      (unsigned long long)old_size, (unsigned long long)size);
		goto out;
	}
	req.old_size = old_size;
	req.checkpoint = latest;
	req.checkpoint_len = strlen(latest);
	if (old_size > 0 && old_size < size &&
	    (rc = custos_merkle_prove_consistency(&req.proof, &req.nproof, old_size, size, custos_log_node_reader, st)))
		goto out;
	rc = custos_witness_request_format(out, &req);
out:
	free(req.proof);
	free(latest);
	return rc;
}

int custos_witness_add_log(custos_store *st, const char *vkey)
{
	custos_verifier *v = NULL;
	custos_hash empty;
	char *have = NULL;
	uint64_t size;
	uint8_t root[32];
	int rc = custos_verifier_new(&v, vkey);
	if (rc)
		return custos_error_prefix(rc, "log key");
	rc = custos_store_witness_get(st, custos_verifier_name(v), &have, &size, root);
	if (rc == 0) {
		/* already witnessed: keep its state; a new key for the same origin is refused */
		if (strcmp(have, vkey) != 0)
			rc = custos_error_set(CUSTOS_EEXISTS, "log '%s' is already witnessed with another key",
					      custos_verifier_name(v));
	} else if (rc == CUSTOS_ENOTFOUND) {
		custos_merkle_empty_root(&empty);
		rc = custos_store_witness_put(st, custos_verifier_name(v), vkey, 0, empty.b);
	}
	free(have);
	custos_verifier_free(v);
	return rc;
}

/* The origin a signed checkpoint names (its first line). */
static int checkpoint_origin(const char *note_text, size_t len, char **origin)
{
	custos_note n;
	custos_checkpoint c;
	int rc = custos_note_parse(&n, note_text, len);
	if (rc)
		return rc;
	rc = custos_checkpoint_parse(&c, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc)
		return rc;
	*origin = custos_strdup(c.origin);
	custos_checkpoint_dispose(&c);
	return *origin ? 0 : CUSTOS_ENOMEM;
}

int custos_witness_handle(custos_store *st, const char *body, size_t len, char **response, int *status)
{
	custos_witness_request req = {0};
	custos_witness_state state, next;
	custos_verifier *logv = NULL;
	custos_signer *me = NULL;
	char *origin = NULL, *vkey = NULL;
	int rc, in_tx = 0, parsed = 0, outcome;

	*response = NULL;
	*status = 400;
	if ((rc = custos_witness_request_parse(&req, body, len)))
		return rc;
	parsed = 1;
	if ((rc = checkpoint_origin(req.checkpoint, req.checkpoint_len, &origin)))
		goto out;
	if ((rc = custos_store_begin(st)))
		goto out;
	in_tx = 1;
	rc = custos_store_witness_get(st, origin, &vkey, &state.size, state.root.b);
	if (rc == CUSTOS_ENOTFOUND) {
		*status = 404;
		rc = custos_error_set(CUSTOS_EINVALID, "unknown log '%s'", origin);
		goto out;
	}
	if (rc || (rc = custos_verifier_new(&logv, vkey)) || (rc = custos_log_signer(st, &me)))
		goto out;
	outcome = custos_witness_add_checkpoint(response, &next, &state, &req, origin, logv, me, (uint64_t)custos_clock_now());
	if (outcome != CUSTOS_WITNESS_OK) {
		*status = outcome;
		if (outcome == CUSTOS_WITNESS_CONFLICT) {
			free(*response);
			custos_buf b;
			custos_buf_init(&b, 64);
			if (custos_buf_printf(&b, "%llu\n", (unsigned long long)state.size) == 0)
				*response = custos_buf_detach(&b);
		}
		rc = CUSTOS_EINVALID;
		goto out;
	}
	if ((rc = custos_store_witness_put(st, origin, vkey, next.size, next.root.b)) ||
	    (rc = custos_store_commit(st)))
		goto out;
	in_tx = 0;
	*status = 200;
out:
	if (in_tx)
		custos_store_rollback(st);
	if (rc && *status == 200)
		*status = 500;
	if (rc && *status != 409) {
		free(*response);
		*response = NULL;
	}
	if (parsed)
		custos_witness_request_dispose(&req);
	custos_verifier_free(logv);
	custos_signer_free(me);
	free(origin);
	free(vkey);
	return rc;
}
