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

/*
 * The witness state is a projection of the log too: adding a witness of this
 * log ("log.witness_added" {name, vkey}), witnessing another log
 * ("witness.log_added" {origin, vkey}) and cosigning its checkpoint
 * ("witness.cosigned" {origin, size, root}, root in hex) are events, and this
 * applies them: live, right after appending, and in a replay.
 */
/* 64 lower-case hex digits into 32 bytes; -1 if they are not. */
static int unhex32(uint8_t out[32], const char *s)
{
	for (int i = 0; i < 32; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];
			v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1000);
		}
		if (v < 0)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int custos_log_apply(custos_store *st, const custos_store_event *e)
{
	custos_buf key;
	char *vkey = NULL, *text = NULL;
	uint64_t size = 0;
	uint8_t root[32];
	const char *p;
	int rc = 0;
	if (strcmp(e->type, "log.witness_added") != 0 && strcmp(e->type, "witness.log_added") != 0 &&
	    strcmp(e->type, "witness.cosigned") != 0)
		return 0;
	if (!e->payload[0])
		return 0; /* never erased (custos_workflow_erase refuses) */
	/* the payloads are custos' own, flat: {"name"|"origin": S, "vkey": S} or {"origin": S, "size": N, "root": HEX} */
	if (strcmp(e->type, "witness.cosigned") == 0) {
		char *end = NULL;
		if (!e->ref || !(p = strstr(e->payload, "\"size\":")) || (size = strtoull(p + 7, &end, 10), end == p + 7) ||
		    !(p = strstr(e->payload, "\"root\":\"")) || strspn(p + 8, "0123456789abcdef") != 64 ||
		    unhex32(root, p + 8))
			return custos_error_set(CUSTOS_EINVALID, "event %lld: witness.cosigned: malformed payload",
						(long long)e->index);
		if ((rc = custos_store_witness_get(st, e->ref, &vkey, &(uint64_t){0}, (uint8_t[32]){0})))
			return custos_error_prefix(rc, "event %lld: witness.cosigned", (long long)e->index);
		rc = custos_store_witness_put(st, e->ref, vkey, size, root, e->time);
		free(vkey);
		return rc;
	}
	if (!e->ref || !(p = strstr(e->payload, "\"vkey\":\"")) || !strchr(p + 8, '"') ||
	    !(text = custos_strndup(p + 8, (size_t)(strchr(p + 8, '"') - (p + 8)))))
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: malformed payload", (long long)e->index, e->type);
	if (strcmp(e->type, "log.witness_added") == 0) {
		if (!(rc = witness_meta_key(&key, e->ref)))
			rc = custos_store_meta_set(st, key.ptr, text);
		custos_buf_dispose(&key);
	} else if (strcmp(e->type, "witness.log_added") == 0) {
		custos_hash empty;
		custos_merkle_empty_root(&empty);
		rc = custos_store_witness_put(st, e->ref, text, 0, empty.b, e->time);
	}
	free(text);
	return rc;
}

/* Appends one of these events and applies it. */
static int log_event(custos_store *st, const char *type, const char *ref, const char *payload)
{
	custos_store_event e;
	int64_t index;
	int rc = custos_store_event_append(st, type, NULL, ref, payload, &index);
	if (rc)
		return rc;
	e = (custos_store_event){index, (char *)type, (char *)custos_store_event_time(st), NULL, (char *)ref,
				 (char *)payload, NULL};
	return custos_log_apply(st, &e);
}

int custos_log_witness_add(custos_store *st, const char *vkey)
{
	custos_verifier *v = NULL;
	custos_buf key, payload;
	char *have = NULL;
	int rc = custos_cosignature_verifier_new(&v, vkey), began = 0;
	if (rc)
		return custos_error_prefix(rc, "witness key");
	custos_buf_init(&payload, 4096);
	if ((rc = witness_meta_key(&key, custos_verifier_name(v))))
		goto out;
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin(st)))
			goto out;
		began = 1;
	}
	/* the same key again changes nothing (and logs nothing) */
	if (custos_store_meta_get(st, key.ptr, &have) == 0 && strcmp(have, vkey) == 0)
		goto out;
	if (!(rc = custos_buf_puts(&payload, "{\"name\":")) && !(rc = custos_buf_json_string(&payload, custos_verifier_name(v))) &&
	    !(rc = custos_buf_puts(&payload, ",\"vkey\":")) && !(rc = custos_buf_json_string(&payload, vkey)) &&
	    !(rc = custos_buf_puts(&payload, "}")))
		rc = log_event(st, "log.witness_added", custos_verifier_name(v), payload.ptr);
out:
	if (began)
		rc = rc ? custos_store_abort(st, rc) : custos_store_commit(st);
	free(have);
	custos_buf_dispose(&key);
	custos_buf_dispose(&payload);
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
		custos_buf payload;
		int began = 0;
		(void)empty;
		custos_buf_init(&payload, 4096);
		rc = 0;
		if (!custos_store_in_transaction(st)) {
			rc = custos_store_begin(st);
			began = !rc;
		}
		if (!rc && !(rc = custos_buf_puts(&payload, "{\"origin\":")) &&
		    !(rc = custos_buf_json_string(&payload, custos_verifier_name(v))) &&
		    !(rc = custos_buf_puts(&payload, ",\"vkey\":")) && !(rc = custos_buf_json_string(&payload, vkey)) &&
		    !(rc = custos_buf_puts(&payload, "}")))
			rc = log_event(st, "witness.log_added", custos_verifier_name(v), payload.ptr);
		if (began)
			rc = rc ? custos_store_abort(st, rc) : custos_store_commit(st);
		custos_buf_dispose(&payload);
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
	/* the state cosigned, logged (this witness's own record of what it signed) and applied */
	{
		custos_buf payload;
		char hex[65];
		custos_hex(hex, next.root.b, 32);
		custos_buf_init(&payload, 4096);
		if (!(rc = custos_buf_puts(&payload, "{\"origin\":")) && !(rc = custos_buf_json_string(&payload, origin)))
			rc = custos_buf_printf(&payload, ",\"size\":%llu,\"root\":\"%s\"}", (unsigned long long)next.size, hex);
		if (!rc)
			rc = log_event(st, "witness.cosigned", origin, payload.ptr);
		custos_buf_dispose(&payload);
	}
	if (rc || (rc = custos_store_commit(st)))
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
