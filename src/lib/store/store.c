/* store.c — the public store interface: picks a backend from the URI and dispatches to its vtable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/leaf.h"
#include "custos/merkle.h"
#include "custos/model.h"
#include "store/store_int.h"
#include "util/util.h"

struct custos_store {
	const custos_store_ops *ops;
	void *impl;
	int in_tx; /* inside custos_store_begin .. commit/rollback */
	/*
	 * The right edge of the Merkle tree, kept between appends so that an
	 * append reads nothing; trusted only while its size equals the log's
	 * (another writer may have appended) and dropped on rollback.
	 */
	custos_merkle_builder edge;
	int edge_ok;
	/*
	 * Stored tree hashes never change once committed, so reads are cached
	 * (direct-mapped; key 0 is empty). What this handle wrote or read inside
	 * a transaction that rolls back is forgotten with the whole cache.
	 */
	struct node_slot {
		uint64_t key;
		uint8_t hash[32];
	} *nodes;
};

#define NODE_CACHE_SLOTS (1u << 16)

static uint64_t node_key(unsigned level, uint64_t index)
{
	return ((uint64_t)level << 57 | index) + 1;
}

static struct node_slot *node_slot(custos_store *st, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	return &st->nodes[h >> (64 - 16)];
}

static void forget_nodes(custos_store *st)
{
	if (st->nodes)
		memset(st->nodes, 0, NODE_CACHE_SLOTS * sizeof(*st->nodes));
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *custos_store_default_uri(const char *flag)
{
	const char *env;
	if (flag)
		return flag;
	env = getenv("CUSTOS_STORE");
	if (env && *env)
		return env;
	return "./custos.db";
}

int custos_store_open(custos_store **out, const char *uri, int create)
{
	const custos_store_ops *ops = &custos_store_sqlite_ops;
	custos_store *st = NULL;
	int rc;

	*out = NULL;
	if (!uri || !*uri)
		return custos_error_set(CUSTOS_EINVALID, "no store given");
	if (has_prefix(uri, "postgresql://") || has_prefix(uri, "postgres://"))
		return custos_error_set(CUSTOS_EINVALID, "PostgreSQL store not built yet: %s", uri);
	st = calloc(1, sizeof(*st));
	if (!st)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	st->ops = ops;
	st->nodes = calloc(NODE_CACHE_SLOTS, sizeof(*st->nodes)); /* optional: NULL means uncached */
	if ((rc = ops->open(&st->impl, uri, create))) {
		free(st->nodes);
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void custos_store_close(custos_store *st)
{
	if (!st)
		return;
	st->ops->close(st->impl);
	free(st->nodes);
	free(st);
}

/*
 * The current time as RFC 3339 UTC with seconds ("2026-11-24T09:30:00Z"), or
 * $CUSTOS_NOW when set, so that tests and golden runs are reproducible.
 */
static int store_now(char out[21])
{
	return custos_time_now(out);
}

int custos_store_begin(custos_store *st)
{
	int rc = st->ops->begin(st->impl);
	if (!rc)
		st->in_tx = 1;
	return rc;
}

int custos_store_in_transaction(const custos_store *st)
{
	return st->in_tx;
}

int custos_store_begin_read(custos_store *st)
{
	int rc = st->ops->begin_read(st->impl);
	if (!rc)
		st->in_tx = 1;
	return rc;
}

int custos_store_commit(custos_store *st)
{
	int rc = st->ops->commit(st->impl);
	if (rc) {
		st->edge_ok = 0; /* what was appended may not have landed */
		forget_nodes(st);
		if (st->ops->rollback(st->impl) == 0)
			st->in_tx = 0;
		return rc;
	}
	st->in_tx = 0;
	return 0;
}

int custos_store_rollback(custos_store *st)
{
	st->edge_ok = 0;
	forget_nodes(st);
	st->in_tx = 0;
	return st->ops->rollback(st->impl);
}

int custos_store_abort(custos_store *st, int rc)
{
	char keep[2048];
	snprintf(keep, sizeof(keep), "%s", custos_error_last());
	custos_store_rollback(st);
	return custos_error_set(rc, "%s", keep);
}

int custos_store_schema_version(custos_store *st)
{
	return st->ops->schema_version(st->impl);
}

int custos_store_meta_get(custos_store *st, const char *key, char **out)
{
	*out = NULL;
	return st->ops->meta_get(st->impl, key, out);
}

int custos_store_meta_set(custos_store *st, const char *key, const char *value)
{
	if (!key || !value)
		return custos_error_set(CUSTOS_EINVALID, "meta: key and value are required");
	return st->ops->meta_set(st->impl, key, value);
}

int custos_store_party_put(custos_store *st, const char *id, const char *line)
{
	if (!id || !line)
		return custos_error_set(CUSTOS_EINVALID, "party: id and line are required");
	return st->ops->party_put(st->impl, id, line);
}

int custos_store_party_get(custos_store *st, const char *id, char **line)
{
	*line = NULL;
	return st->ops->party_get(st->impl, id, line);
}

int custos_store_party_each(custos_store *st, custos_store_row_fn fn, void *ctx)
{
	return st->ops->party_each(st->impl, fn, ctx);
}

int64_t custos_store_party_count(custos_store *st)
{
	return st->ops->party_count(st->impl);
}

int custos_store_rules_put(custos_store *st, const char *hash, const char *canonical)
{
	char now[21];
	int rc;
	if (!hash || !canonical)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash and text are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->rules_put(st->impl, hash, canonical, now);
}

int custos_store_rules_get(custos_store *st, const char *hash, char **canonical)
{
	if (!hash)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash is required");
	return st->ops->rules_get(st->impl, hash, canonical);
}

int custos_store_measure_insert(custos_store *st, char **id_out, const char *measure, const char *decision,
				const char *state)
{
	char now[21];
	int rc;
	*id_out = NULL;
	if (!measure || !decision || !state)
		return custos_error_set(CUSTOS_EINVALID, "measure: measure, decision and state are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->measure_insert(st->impl, id_out, measure, decision, state, now);
}

int custos_store_measure_update_decision(custos_store *st, const char *id, const char *decision)
{
	if (!id || !decision)
		return custos_error_set(CUSTOS_EINVALID, "measure: id and decision are required");
	return st->ops->measure_update_decision(st->impl, id, decision);
}

int custos_store_measure_set_state(custos_store *st, const char *id, const char *state)
{
	if (!id || !state)
		return custos_error_set(CUSTOS_EINVALID, "measure: id and state are required");
	return st->ops->measure_set_state(st->impl, id, state);
}

int custos_store_measure_get(custos_store *st, custos_store_measure *out, const char *id)
{
	memset(out, 0, sizeof(*out));
	return st->ops->measure_get(st->impl, out, id);
}

int custos_store_measure_each(custos_store *st, custos_store_measure_fn fn, void *ctx)
{
	return st->ops->measure_each(st->impl, fn, ctx);
}

void custos_store_measure_dispose(custos_store_measure *m)
{
	if (!m)
		return;
	free(m->id);
	free(m->measure);
	free(m->decision);
	free(m->state);
	free(m->filed_at);
	memset(m, 0, sizeof(*m));
}

/*
 * Appends one event: the time is now (or $CUSTOS_NOW), and the payload's
 * SHA-256 is stored beside it as "sha256:<hex>".
 */
static int node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	return custos_store_log_node(ctx, level, index, out->b);
}

/* Stores the leaf hash of event `idx` and every subtree hash it completes. */
static int log_append_leaf(custos_store *st, int64_t idx, const char *type, const char *time, const char *actor,
			   const char *ref, const char *payload_hash)
{
	static _Thread_local char leaf[CUSTOS_LEAF_MAX];
	custos_merkle_node nodes[65];
	custos_hash h;
	size_t len, n;
	int rc;
	if ((rc = custos_leaf_format(leaf, &len, sizeof(leaf), idx, type, time, actor, ref, payload_hash)))
		return rc;
	if (!st->edge_ok || st->edge.size != (uint64_t)idx) {
		st->edge_ok = 0;
		if ((rc = custos_merkle_builder_init(&st->edge, (uint64_t)idx, node_reader, st)))
			return custos_error_prefix(rc, "log: reading the tree's right edge");
		st->edge_ok = 1;
	}
	custos_merkle_leaf_hash(&h, leaf, len);
	custos_merkle_builder_append(&st->edge, &h, nodes, &n);
	for (size_t i = 0; i < n; i++) {
		if ((rc = st->ops->node_put(st->impl, nodes[i].level, nodes[i].index, nodes[i].hash.b))) {
			st->edge_ok = 0;
			return rc;
		}
	}
	return 0;
}

int custos_store_event_append(custos_store *st, const char *type, const char *actor, const char *ref,
			      const char *payload, int64_t *index_out)
{
	char now[21], hash[72];
	uint8_t digest[32];
	int64_t idx = -1;
	int rc, own_tx = 0;
	if (index_out)
		*index_out = -1;
	if (!type || !*type || !payload || !*payload)
		return custos_error_set(CUSTOS_EINVALID, "event: type and payload are required");
	if ((rc = custos_leaf_field_valid(type, "type")) || (rc = custos_leaf_field_valid(actor, "actor")) ||
	    (rc = custos_leaf_field_valid(ref, "ref")))
		return rc;
	if ((rc = store_now(now)))
		return rc;
	custos_sha256(digest, payload, strlen(payload));
	custos_sha256_label(hash, digest);
	/* The row and its Merkle nodes land together or not at all. */
	if (!st->in_tx) {
		if ((rc = custos_store_begin(st)))
			return rc;
		own_tx = 1;
	}
	if ((rc = st->ops->event_append(st->impl, type, now, actor, ref, payload, hash, &idx)) ||
	    (rc = log_append_leaf(st, idx, type, now, actor, ref, hash))) {
		if (own_tx)
			custos_store_rollback(st);
		return rc;
	}
	if (own_tx && (rc = custos_store_commit(st)))
		return rc;
	if (index_out)
		*index_out = idx;
	return 0;
}

int custos_store_event_each(custos_store *st, custos_store_event_fn fn, void *ctx)
{
	return st->ops->event_each(st->impl, fn, ctx);
}

int64_t custos_store_event_count(custos_store *st)
{
	return st->ops->event_count(st->impl);
}

int64_t custos_store_log_size(custos_store *st)
{
	return st->ops->event_count(st->impl);
}

int custos_store_log_node(custos_store *st, unsigned level, uint64_t index, uint8_t hash[32])
{
	uint64_t key = node_key(level, index);
	struct node_slot *slot = st->nodes ? node_slot(st, key) : NULL;
	int rc;
	if (slot && slot->key == key) {
		memcpy(hash, slot->hash, 32);
		return 0;
	}
	if ((rc = st->ops->node_get(st->impl, level, index, hash)))
		return rc;
	if (slot) {
		slot->key = key;
		memcpy(slot->hash, hash, 32);
	}
	return 0;
}

int custos_store_log_node_each(custos_store *st, custos_store_node_fn fn, void *ctx)
{
	return st->ops->node_each(st->impl, fn, ctx);
}

int custos_store_event_get(custos_store *st, int64_t index, custos_store_event *out)
{
	memset(out, 0, sizeof(*out));
	if (index < 0)
		return custos_error_set(CUSTOS_ENOTFOUND, "no event %lld", (long long)index);
	return st->ops->event_get(st->impl, index, out);
}

void custos_store_event_dispose(custos_store_event *e)
{
	if (!e)
		return;
	free(e->type);
	free(e->time);
	free(e->actor);
	free(e->ref);
	free(e->payload);
	free(e->payload_hash);
	memset(e, 0, sizeof(*e));
}

int custos_store_event_erase(custos_store *st, int64_t index)
{
	return st->ops->event_erase(st->impl, index);
}

int custos_store_checkpoint_put(custos_store *st, uint64_t size, const char *note)
{
	char now[21];
	int rc;
	if (!note)
		return custos_error_set(CUSTOS_EINVALID, "checkpoint: note is required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->checkpoint_put(st->impl, size, note, now);
}

int custos_store_checkpoint_latest(custos_store *st, uint64_t *size, char **note)
{
	*note = NULL;
	return st->ops->checkpoint_latest(st->impl, size, note);
}

int custos_store_cosignature_put(custos_store *st, uint64_t size, const char *witness, const char *line)
{
	char now[21];
	int rc;
	if (!witness || !line)
		return custos_error_set(CUSTOS_EINVALID, "cosignature: witness and line are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->cosignature_put(st->impl, size, witness, line, now);
}

int custos_store_cosignature_each(custos_store *st, uint64_t size, custos_store_row_fn fn, void *ctx)
{
	return st->ops->cosignature_each(st->impl, size, fn, ctx);
}

int custos_store_witness_get(custos_store *st, const char *origin, char **vkey, uint64_t *size, uint8_t root[32])
{
	*vkey = NULL;
	return st->ops->witness_get(st->impl, origin, vkey, size, root);
}

int custos_store_witness_put(custos_store *st, const char *origin, const char *vkey, uint64_t size,
			     const uint8_t root[32])
{
	char now[21];
	int rc;
	if (!origin || !vkey)
		return custos_error_set(CUSTOS_EINVALID, "witness: origin and key are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->witness_put(st->impl, origin, vkey, size, root, now);
}

int custos_store_record_put(custos_store *st, const char *kind, const char *id, const char *body)
{
	if (!kind || !*kind || !id || !*id || !body)
		return custos_error_set(CUSTOS_EINVALID, "record: kind, id and body are required");
	return st->ops->record_put(st->impl, kind, id, body);
}

int custos_store_record_get(custos_store *st, const char *kind, const char *id, char **body)
{
	*body = NULL;
	if (!kind || !id)
		return custos_error_set(CUSTOS_EINVALID, "record: kind and id are required");
	return st->ops->record_get(st->impl, kind, id, body);
}

int custos_store_record_each(custos_store *st, const char *kind, const char *prefix, custos_store_row_fn fn,
			     void *ctx)
{
	if (!kind)
		return custos_error_set(CUSTOS_EINVALID, "record: kind is required");
	return st->ops->record_each(st->impl, kind, prefix, fn, ctx);
}
