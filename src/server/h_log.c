/* h_log.c — handlers for the register: checkpoint, entries, proofs, receipts, C2SP tiles and the witness endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/log.h"
#include "custos/tiles.h"
#include "server_int.h"
#include "util/util.h"

#define TEXT "text/plain; charset=utf-8"

static void text_answer(srv_response *rs, int rc, char *text)
{
	if (rc) {
		free(text);
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_bytes(rs, 200, TEXT, text, strlen(text));
}

void srv_h_log_checkpoint(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *note = NULL;
	/* signs the current tree first if it grew (only if consistent with the last signed one), unless another
	 * server holds the key: then the latest it signed */
	int rc = ctx->srv->opt.no_sign ? custos_log_checkpoint_stored(ctx->store, &note)
				       : custos_log_checkpoint(ctx->store, &note);
	text_answer(rs, rc, note);
	rs->cache_control = "no-cache";
}

void srv_h_log_vkey(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *vkey = NULL;
	int rc = custos_log_vkey(ctx->store, &vkey);
	if (!rc) {
		size_t n = strlen(vkey);
		char *line = realloc(vkey, n + 2);
		if (!line) {
			free(vkey);
			srv_error(rs, 503, NULL, "out of memory");
			return;
		}
		memcpy(line + n, "\n", 2);
		vkey = line;
	}
	text_answer(rs, rc, vkey);
}

void srv_h_log_entry(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *bytes = NULL;
	size_t len = 0;
	int rc = custos_log_entry(ctx->store, srv_param(rq, "n")->num, &bytes, &len);
	if (rc) {
		free(bytes);
		srv_fail(rs, rc, "n");
		return;
	}
	srv_bytes(rs, 200, "application/octet-stream", bytes, len);
}

/*
 * A proof's answer, {"A": a, "B": b, "hashes": [...]}, the hashes base64
 * (leaf sibling first), written straight into its buffer: base64 needs no
 * escaping, and a JSON library's tree and encoder cost more than the proof.
 */
static void proof_answer(srv_response *rs, const char *a, uint64_t av, const char *b, uint64_t bv,
			 const custos_hash *proof, size_t n)
{
	custos_buf out;
	char *text = NULL;
	int bad;
	custos_buf_init(&out, 1u << 20);
	bad = custos_log_format_proof(&text, proof, n) ||
	      custos_buf_printf(&out, "{\"%s\":%llu,\"%s\":%llu,\"hashes\":[", a, (unsigned long long)av, b,
				(unsigned long long)bv);
	for (char *line = text, *nl; !bad && line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		bad = custos_buf_printf(&out, "%s\"%.*s\"", line == text ? "" : ",",
					(int)(nl ? (size_t)(nl - line) : strlen(line)), line);
	}
	free(text);
	if (bad || custos_buf_puts(&out, "]}")) {
		custos_buf_dispose(&out);
		srv_error(rs, 503, NULL, "out of memory");
		return;
	}
	rs->len = out.len;
	srv_bytes(rs, 200, "application/json", custos_buf_detach(&out), rs->len);
}

/* The log's size now (committed: the hashes of that tree are final, so no snapshot is needed to prove in it). */
static int log_size(srv_ctx *ctx, uint64_t *size, srv_response *rs)
{
	int64_t n = custos_store_log_size(ctx->store);
	if (n < 0) {
		srv_fail(rs, CUSTOS_ERROR, NULL);
		return -1;
	}
	*size = (uint64_t)n;
	return 0;
}

/*
 * The tree size to prove against: the query parameter `name` when present
 * (1 .. the log's size, else 400 naming it), the log's size otherwise. A
 * committed tree's hashes never change, so no snapshot is opened: the tiles
 * read afterwards may have grown, never changed. On failure rs is filled
 * and -1 is returned.
 */
static int proof_size(srv_ctx *ctx, srv_request *rq, const char *name, uint64_t *size, srv_response *rs)
{
	const srv_kv *q = srv_query(rq, name);
	if (log_size(ctx, size, rs))
		return -1;
	if (q && (q->num == 0 || q->num > *size)) {
		srv_error(rs, 400, name, "%s: %llu is not a tree size of this log (1..%llu)", name,
			  (unsigned long long)q->num, (unsigned long long)*size);
		return -1;
	}
	if (q)
		*size = q->num;
	return 0;
}

void srv_h_log_inclusion(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	uint64_t index = srv_param(rq, "n")->num, size = 0;
	custos_hash *proof = NULL;
	size_t n = 0;
	int rc;
	if (proof_size(ctx, rq, "size", &size, rs))
		return;
	if (index >= size) {
		srv_error(rs, 404, "n", "n: no entry %llu in the tree of size %llu", (unsigned long long)index,
			  (unsigned long long)size);
		goto out;
	}
	if ((rc = custos_log_prove(ctx->store, index, size, &proof, &n))) {
		srv_fail(rs, rc, NULL);
		goto out;
	}
	proof_answer(rs, "index", index, "tree_size", size, proof, n);
out:
	free(proof);
}

void srv_h_log_consistency(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	uint64_t old = srv_query(rq, "old")->num, size = 0;
	custos_hash *proof = NULL;
	size_t n = 0;
	int rc;
	if (proof_size(ctx, rq, "new", &size, rs))
		return;
	if (old == 0 || old > size) {
		srv_error(rs, 400, "old", "old: %llu is not a tree size from 1 to %llu", (unsigned long long)old,
			  (unsigned long long)size);
		goto out;
	}
	if ((rc = custos_log_consistency(ctx->store, old, size, &proof, &n))) {
		srv_fail(rs, rc, NULL);
		goto out;
	}
	proof_answer(rs, "old", old, "new", size, proof, n);
out:
	free(proof);
}

void srv_h_log_receipt(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	uint64_t index = srv_param(rq, "n")->num, size = 0;
	char *text = NULL;
	int rc;
	if (log_size(ctx, &size, rs))
		return;
	if (index >= size) {
		srv_error(rs, 404, "n", "n: no entry %llu (the log has %llu)", (unsigned long long)index,
			  (unsigned long long)size);
		return;
	}
	rc = custos_log_receipt(ctx->store, index, &text);
	text_answer(rs, rc, text);
}

/* Tiles read the store through its public interface: stored subtree hashes and leaf records. */
static int node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	return custos_store_log_node(ctx, level, index, out->b);
}

typedef struct {
	custos_store *st;
	char *last;
} entry_ctx;

static int entry_reader(void *vctx, uint64_t index, const uint8_t **data, size_t *len)
{
	entry_ctx *e = vctx;
	free(e->last);
	e->last = NULL;
	if (custos_log_entry(e->st, index, &e->last, len))
		return CUSTOS_ERROR;
	*data = (const uint8_t *)e->last;
	return 0;
}

void srv_h_tile(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	entry_ctx e = {ctx->store, NULL};
	uint8_t *bytes = NULL;
	uint64_t size = 0;
	size_t len = 0;
	int rc;
	if ((rc = custos_store_begin_read(ctx->store))) {
		srv_fail(rs, rc, NULL);
		return;
	}
	if (log_size(ctx, &size, rs))
		goto out;
	rc = custos_tile_read(&bytes, &len, size, rq->tile_level, rq->tile_index, rq->tile_width, node_reader,
			      ctx->store, entry_reader, &e);
	if (rc) {
		srv_fail(rs, rc, "index");
		goto out;
	}
	srv_bytes(rs, 200, "application/octet-stream", (char *)bytes, len);
	/* a full tile never changes; a partial one is replaced by a wider one as the log grows */
	rs->cache_control = rq->tile_width == CUSTOS_TILE_WIDTH ? "public, max-age=31536000, immutable"
								: "public, max-age=60";
out:
	free(e.last);
	custos_store_commit(ctx->store);
}

void srv_h_add_checkpoint(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *response = NULL;
	int status = 0;
	int rc = custos_witness_handle(ctx->store, rq->body, rq->body_len, &response, &status);
	if (rc == 0) {
		srv_bytes(rs, 200, TEXT, response, strlen(response));
	} else if (status == 409 && response) {
		/* C2SP tlog-witness: a conflict answers the witness's size for the log */
		srv_bytes(rs, 409, "text/x.tlog.size", response, strlen(response));
	} else {
		free(response);
		srv_fail(rs, rc, "body");
		rs->status = status >= 400 ? status : 500;
	}
}
