/* log.c — the register over a store: setup and keys, tree heads, checkpoints, proofs, entries, erasure. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "custos/leaf.h"
#include "custos/log.h"
#include "custos/note.h"
#include "ledger/log_int.h"
#include "ledger/note_int.h"
#include "util/util.h"

#define META_ORIGIN "log.origin"
#define META_VKEY "log.vkey"
#define META_KEY_PATH LOG_META_KEY_PATH

int custos_log_node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	return custos_store_log_node(ctx, level, index, out->b);
}

int custos_log_default_origin(char **out)
{
	char host[256] = "localhost";
	custos_buf b;
	if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '+' || *p == ' ' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			*p = '-';
	custos_buf_init(&b, 512);
	if (custos_buf_printf(&b, "%s/custos", host))
		return CUSTOS_ENOMEM;
	*out = custos_buf_detach(&b);
	return *out ? 0 : CUSTOS_ENOMEM;
}

/*
 * The database a server store's URI names, as a file name: the path after
 * the host of a URI, or the dbname of libpq's key=value words; "custos" when
 * it names none. Characters outside [A-Za-z0-9._-] become '-'.
 */
static void database_name(const char *uri, char *out, size_t cap)
{
	const char *p = strstr(uri, "://"), *end;
	size_t n = 0;
	if (p) {
		p = strchr(p + 3, '/');
		p = p ? p + 1 : "";
		end = p + strcspn(p, "?#");
	} else {
		p = strstr(uri, "dbname=");
		while (p && p != uri && p[-1] != ' ')
			p = strstr(p + 1, "dbname=");
		p = p ? p + 7 : "";
		end = p + strcspn(p, " ");
	}
	for (; p < end && n + 1 < cap; p++, n++)
		out[n] = (isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-') ? *p : '-';
	out[n] = '\0';
	if (n == 0 || strspn(out, ".") == n)
		snprintf(out, cap, "custos");
}

int custos_log_default_key_path(char **out, const char *store_uri)
{
	custos_buf b;
	char cwd[4096];
	custos_buf_init(&b, 8192);
	/* a database server's store (a URI, or libpq's key=value words) is no file to put a key beside */
	if (strstr(store_uri, "://") || (strchr(store_uri, '=') && !strchr(store_uri, '/'))) {
		char db[64];
		database_name(store_uri, db, sizeof(db));
		if (!getcwd(cwd, sizeof(cwd)))
			return custos_error_set(CUSTOS_ERROR, "log key: the current directory: %s", strerror(errno));
		if (custos_buf_printf(&b, "%s/%s.log-key", strcmp(cwd, "/") ? cwd : "", db))
			return custos_error_set(CUSTOS_ELIMIT, "current directory too long for a key path");
	} else if (custos_buf_printf(&b, "%s.log-key", store_uri))
		return custos_error_set(CUSTOS_ELIMIT, "store path too long for a key path");
	*out = custos_buf_detach(&b);
	return *out ? 0 : CUSTOS_ENOMEM;
}

/* Reads the private key file (which must not be readable by others). */
int custos_log_signer(custos_store *st, custos_signer **out)
{
	char *path = NULL;
	int rc;
	*out = NULL;
	if ((rc = custos_store_meta_get(st, META_KEY_PATH, &path))) {
		if (rc == CUSTOS_ENOTFOUND)
			rc = custos_error_set(rc, "the log has no signing key (run 'custos init')");
		return rc;
	}
	if ((rc = custos_keyfile_load(path, out)))
		custos_error_prefix(rc, "log key");
	free(path);
	return rc;
}

int custos_log_setup(custos_store *st, const char *origin, const char *key_path)
{
	char *have = NULL, *vkey = NULL;
	custos_signer *signer = NULL;
	int rc = custos_store_meta_get(st, META_ORIGIN, &have);
	if (rc == 0) {
		/* Already set up: the origin of a log never changes. */
		if (origin && strcmp(origin, have) != 0)
			rc = custos_error_set(CUSTOS_EEXISTS, "the log's origin is already '%s'", have);
		free(have);
		return rc;
	}
	if (rc != CUSTOS_ENOTFOUND)
		return rc;
	/* A new key file, or an existing one reused if it is a key for this origin. */
	if (access(key_path, F_OK) != 0) {
		if ((rc = custos_keyfile_generate(key_path, origin, &vkey)))
			goto out;
		/* a checkpoint kept beside a key file that is gone was signed by another key: it goes too */
		if ((rc = log_pin_forget(key_path)))
			goto out;
	} else if ((rc = log_pin_refuse_reuse(key_path))) {
		goto out;
	}
	if ((rc = custos_keyfile_load(key_path, &signer))) {
		custos_error_prefix(rc, "log key");
		goto out;
	}
	if (strcmp(custos_signer_name(signer), origin) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID, "log key %s is a key for '%s', not for the origin '%s'", key_path,
				      custos_signer_name(signer), origin);
		goto out;
	}
	free(vkey);
	vkey = NULL;
	if ((rc = custos_signer_vkey(signer, &vkey)))
		goto out;
	if ((rc = custos_store_begin(st)))
		goto out;
	if ((rc = custos_store_meta_set(st, META_ORIGIN, origin)) || (rc = custos_store_meta_set(st, META_VKEY, vkey)) ||
	    (rc = custos_store_meta_set(st, META_KEY_PATH, key_path))) {
		custos_store_rollback(st);
		goto out;
	}
	rc = custos_store_commit(st);
out:
	free(vkey);
	custos_signer_free(signer);
	return rc;
}

int custos_log_origin(custos_store *st, char **out)
{
	int rc = custos_store_meta_get(st, META_ORIGIN, out);
	if (rc == CUSTOS_ENOTFOUND)
		return custos_error_set(rc, "the log is not set up (run 'custos init')");
	return rc;
}

int custos_log_vkey(custos_store *st, char **out)
{
	int rc = custos_store_meta_get(st, META_VKEY, out);
	if (rc == CUSTOS_ENOTFOUND)
		return custos_error_set(rc, "the log is not set up (run 'custos init')");
	return rc;
}

int custos_log_head(custos_store *st, uint64_t *size, custos_hash *root)
{
	int64_t n = custos_store_log_size(st);
	if (n < 0)
		return CUSTOS_ERROR;
	*size = (uint64_t)n;
	return custos_merkle_root(root, *size, custos_log_node_reader, st);
}

/* Appends the stored cosignature lines of a checkpoint to a signed note. */
static int append_cosig(void *ctx, const char *witness, const char *line)
{
	(void)witness;
	return custos_buf_puts(ctx, line);
}

int custos_log_latest_signed(custos_store *st, uint64_t *size, char **note, custos_checkpoint *parsed)
{
	custos_note n;
	int rc = custos_store_checkpoint_latest(st, size, note);
	if (rc || !parsed)
		return rc;
	if ((rc = custos_note_parse(&n, *note, strlen(*note))))
		goto fail;
	rc = custos_checkpoint_parse(parsed, n.text, n.text_len);
	custos_note_dispose(&n);
	if (!rc && parsed->size != *size)
		rc = custos_error_set(CUSTOS_EINVALID, "stored checkpoint of size %llu says size %llu",
				      (unsigned long long)*size, (unsigned long long)parsed->size);
	if (!rc)
		return 0;
	custos_checkpoint_dispose(parsed);
fail:
	free(*note);
	*note = NULL;
	return custos_error_prefix(rc, "latest checkpoint");
}

/*
 * Signs a checkpoint for the current tree unless the latest one already
 * covers it. The new tree must be consistent with the last signed one: the
 * consistency proof is built from the stored hashes and verified against the
 * old signed root, so a rewritten history is never signed.
 */
static int sign_if_grown(custos_store *st, uint64_t *size_out, char **note_out)
{
	custos_checkpoint last = {0}, next = {0};
	log_pin pin = {0};
	custos_signer *signer = NULL;
	custos_hash *proof = NULL;
	uint64_t last_size = 0, size;
	size_t nproof = 0;
	char *last_note = NULL, *body = NULL, *origin = NULL;
	int rc, have_last;

	*note_out = NULL;
	if ((rc = custos_store_begin(st)))
		return rc;
	rc = custos_log_latest_signed(st, &last_size, &last_note, &last);
	have_last = rc == 0;
	if (rc && rc != CUSTOS_ENOTFOUND)
		goto out;
	rc = 0;
	if ((rc = custos_log_head(st, &size, &next.root)))
		goto out;
	/* never sign a tree smaller than, or not extending, the checkpoint kept beside the key */
	if ((rc = log_pin_read(st, &pin)) ||
	    (rc = log_pin_check(&pin, size, &next.root, custos_log_node_reader, st))) {
		custos_error_prefix(rc, "refusing to sign (run 'custos log verify')");
		goto out;
	}
	/* signed and kept beside the key, but not in the store (its commit failed, or the row was deleted): again */
	if (pin.have && (!have_last || pin.cp.size > last_size)) {
		if (have_last)
			custos_checkpoint_dispose(&last);
		free(last_note);
		last_note = NULL;
		if ((rc = custos_store_checkpoint_put(st, pin.cp.size, pin.note)) ||
		    (rc = custos_log_latest_signed(st, &last_size, &last_note, &last))) {
			have_last = 0;
			goto out;
		}
		have_last = 1;
	}
	if (have_last && last_size == size) {
		if (memcmp(last.root.b, next.root.b, sizeof(next.root.b)) != 0) {
			rc = custos_error_set(CUSTOS_ERROR,
					      "the tree of size %llu no longer has the root of its signed checkpoint: "
					      "refusing to sign (run 'custos log verify')",
					      (unsigned long long)size);
			goto out;
		}
		/* signed before checkpoints were kept beside the key, or the copy there is older */
		if (!pin.have || pin.cp.size < size) {
			if ((rc = log_pin_write(&pin, last_note)) || (rc = log_chain_write(&pin, st)))
				goto out;
		}
		*note_out = last_note;
		last_note = NULL;
		*size_out = size;
		goto out;
	}
	if (have_last) {
		if (size < last_size) {
			rc = custos_error_set(CUSTOS_ERROR, "the log shrank from %llu to %llu leaves: refusing to sign",
					      (unsigned long long)last_size, (unsigned long long)size);
			goto out;
		}
		if ((rc = custos_merkle_prove_consistency(&proof, &nproof, last_size, size, custos_log_node_reader,
							  st)) ||
		    (rc = custos_merkle_verify_consistency(last_size, size, &last.root, &next.root, proof, nproof))) {
			rc = custos_error_set(CUSTOS_ERROR,
					      "the tree of size %llu is not consistent with the checkpoint signed at "
					      "size %llu: refusing to sign (run 'custos log verify')",
					      (unsigned long long)size, (unsigned long long)last_size);
			goto out;
		}
	}
	if ((rc = custos_log_origin(st, &origin)) || (rc = custos_log_signer(st, &signer)))
		goto out;
	next.origin = origin;
	next.size = size;
	if ((rc = custos_checkpoint_format(&body, &next)) ||
	    (rc = custos_note_sign(note_out, body, strlen(body), &signer, 1)) ||
	    (rc = custos_store_checkpoint_put(st, size, *note_out)) || (rc = log_pin_write(&pin, *note_out)) ||
	    (rc = log_chain_write(&pin, st)))
		goto out;
	*size_out = size;
out:
	if (rc) {
		custos_store_rollback(st);
		free(*note_out);
		*note_out = NULL;
	} else if ((rc = custos_store_commit(st))) {
		free(*note_out);
		*note_out = NULL;
	}
	if (have_last)
		custos_checkpoint_dispose(&last);
	log_pin_dispose(&pin);
	custos_signer_free(signer);
	free(proof);
	free(last_note);
	free(body);
	free(origin);
	return rc;
}

/* *note: the signed note of size `size` followed by its stored cosignature lines (takes signed_note). */
static int with_cosignatures(custos_store *st, uint64_t size, char *signed_note, char **note)
{
	custos_buf b;
	int rc;
	custos_buf_init(&b, 1u << 20);
	rc = custos_buf_puts(&b, signed_note);
	if (!rc)
		rc = custos_store_cosignature_each(st, size, append_cosig, &b);
	free(signed_note);
	if (rc) {
		custos_buf_dispose(&b);
		return rc;
	}
	*note = custos_buf_detach(&b);
	return *note ? 0 : CUSTOS_ENOMEM;
}

int custos_log_checkpoint(custos_store *st, char **note)
{
	uint64_t size = 0;
	char *signed_note = NULL;
	int rc = sign_if_grown(st, &size, &signed_note);
	if (rc)
		return rc;
	return with_cosignatures(st, size, signed_note, note);
}

int custos_log_checkpoint_stored(custos_store *st, char **note)
{
	uint64_t size = 0;
	char *signed_note = NULL;
	int rc = custos_store_checkpoint_latest(st, &size, &signed_note);
	*note = NULL;
	if (rc)
		return rc == CUSTOS_ENOTFOUND ? custos_error_set(rc, "no checkpoint signed yet (the log key's holder signs)")
					      : rc;
	return with_cosignatures(st, size, signed_note, note);
}

int custos_log_leaf(custos_store *st, const custos_store_event *e, char *buf, size_t cap, size_t *len)
{
	return custos_leaf_format(buf, len, cap, e->index, e->type, e->time, e->actor, e->ref, e->payload_hash);
}

int custos_log_entry(custos_store *st, uint64_t index, char **out, size_t *len)
{
	custos_store_event e;
	char *buf = malloc(CUSTOS_LEAF_MAX);
	int rc;
	*out = NULL;
	if (!buf)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = custos_store_event_get(st, (int64_t)index, &e))) {
		free(buf);
		return rc == CUSTOS_ENOTFOUND
			       ? custos_error_set(rc, "no entry %llu (the log has %lld)", (unsigned long long)index,
						  (long long)custos_store_log_size(st))
			       : rc;
	}
	rc = custos_log_leaf(st, &e, buf, CUSTOS_LEAF_MAX, len);
	custos_store_event_dispose(&e);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* Resolves a size of 0 to the current size and checks index < size <= current. */
static int check_range(custos_store *st, uint64_t *size, uint64_t index, const char *what)
{
	int64_t n = custos_store_log_size(st);
	if (n < 0)
		return CUSTOS_ERROR;
	if (*size == 0)
		*size = (uint64_t)n;
	if (*size > (uint64_t)n)
		return custos_error_set(CUSTOS_EINVALID, "%s: size %llu is larger than the log (%lld)", what,
					(unsigned long long)*size, (long long)n);
	if (index >= *size)
		return custos_error_set(CUSTOS_EINVALID, "%s: %llu is not below the size %llu", what,
					(unsigned long long)index, (unsigned long long)*size);
	return 0;
}

/*
 * Runs a proof's reads in one read transaction (one snapshot, one lock)
 * unless the caller already holds a transaction.
 */
static int snapshot_begin(custos_store *st)
{
	if (custos_store_in_transaction(st))
		return 0;
	return custos_store_begin_read(st) == 0;
}

static int snapshot_end(custos_store *st, int began, int rc)
{
	/* a read transaction ends with commit, which keeps the node cache (a rollback clears it) */
	if (began && custos_store_commit(st) && !rc)
		rc = CUSTOS_ERROR;
	return rc;
}

int custos_log_prove(custos_store *st, uint64_t index, uint64_t size, custos_hash **proof, size_t *n)
{
	int began;
	/* a tree this handle knows is committed: its hashes are final, no snapshot (nor count) needed */
	if (index < size && custos_store_log_known(st, size))
		return custos_merkle_prove_inclusion_edge(proof, n, index, size, custos_log_node_reader, st,
							  custos_store_proof_edge(st));
	began = snapshot_begin(st);
	int rc = check_range(st, &size, index, "inclusion proof");
	if (!rc)
		rc = custos_merkle_prove_inclusion(proof, n, index, size, custos_log_node_reader, st);
	return snapshot_end(st, began, rc);
}

int custos_log_consistency(custos_store *st, uint64_t old_size, uint64_t new_size, custos_hash **proof, size_t *n)
{
	int began, rc;
	if (old_size == 0)
		return custos_error_set(CUSTOS_EINVALID, "consistency proof: the old size must be at least 1");
	if (old_size <= new_size && custos_store_log_known(st, new_size))
		return custos_merkle_prove_consistency_edge(proof, n, old_size, new_size, custos_log_node_reader, st,
							    custos_store_proof_edge(st));
	began = snapshot_begin(st);
	rc = check_range(st, &new_size, old_size - 1, "consistency proof");
	if (!rc)
		rc = custos_merkle_prove_consistency(proof, n, old_size, new_size, custos_log_node_reader, st);
	return snapshot_end(st, began, rc);
}

int custos_log_erase(custos_store *st, uint64_t index, const char *reason, const char *actor, int64_t *erase_index)
{
	custos_buf payload, ref;
	int rc, began = 0;
	if (!reason || !*reason)
		return custos_error_set(CUSTOS_EINVALID, "erase: a reason is required (--reason)");
	custos_buf_init(&payload, 8192);
	custos_buf_init(&ref, 64);
	{
		/* JSON-escape the reason through a minimal escaper: quotes, backslashes, control characters. */
		rc = custos_buf_printf(&payload, "{\"index\":%llu,\"reason\":\"", (unsigned long long)index);
		for (const char *p = reason; !rc && *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '"' || c == '\\')
				rc = custos_buf_printf(&payload, "\\%c", c);
			else if (c < 0x20)
				rc = custos_buf_printf(&payload, "\\u%04x", c);
			else
				rc = custos_buf_append(&payload, p, 1);
		}
		if (!rc)
			rc = custos_buf_puts(&payload, "\"}");
	}
	if (!rc)
		rc = custos_buf_printf(&ref, "event:%llu", (unsigned long long)index);
	if (rc)
		goto out;
	/* inside a caller's transaction (custos_workflow_erase, which folds the projections again), the caller commits */
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin(st)))
			goto out;
		began = 1;
	}
	if ((rc = custos_store_event_erase(st, (int64_t)index)) ||
	    (rc = custos_store_event_append(st, "log.erase", actor, ref.ptr, payload.ptr, erase_index))) {
		if (began)
			custos_store_rollback(st);
		goto out;
	}
	if (began)
		rc = custos_store_commit(st);
out:
	custos_buf_dispose(&payload);
	custos_buf_dispose(&ref);
	return rc;
}

int custos_log_format_proof(char **out, const custos_hash *proof, size_t n)
{
	custos_buf b;
	int rc;
	custos_buf_init(&b, 64 * 100);
	if ((rc = note_proof_append(&b, proof, n))) {
		custos_buf_dispose(&b);
		return rc;
	}
	*out = custos_buf_detach(&b);
	return *out ? 0 : CUSTOS_ENOMEM;
}

int custos_witness_vkey(custos_store *st, char **out)
{
	custos_signer *me = NULL;
	int rc = custos_log_signer(st, &me);
	if (!rc)
		rc = custos_cosignature_vkey(me, out);
	custos_signer_free(me);
	return rc;
}
