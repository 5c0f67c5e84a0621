/* store.c — the public store interface: picks a backend from the URI and dispatches to its vtable. */

/*
 * The one-shot SHA256() of OpenSSL 3 fetches the algorithm on every call,
 * which costs more than hashing a short payload; the SHA256_CTX functions
 * are deprecated but skip it (the same choice as merkle.c).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/leaf.h"
#include "custos/merkle.h"
#include "custos/model.h"
#include "store/store_int.h"
#include "util/util.h"

/* One tile in memory: the first n of its hashes (a prefix of the tile, store_int.h). */
typedef struct tile {
	uint64_t key; /* tile_key(level, index); 0: holds nothing */
	size_t n;
	int dirty; /* an edge tile that grew since it was last written */
	uint8_t h[CUSTOS_TILE_HASHES][32];
} tile;

#define TILE_LEVELS CUSTOS_TILE_LEVELS
#define TILE_H CUSTOS_TILE_HEIGHT
#define TILE_CACHE_BITS 10	/* 1024 cached tiles, 16 MiB at most, allocated as used */

struct custos_store {
	const custos_store_backend *ops;
	void *impl;
	int in_tx;    /* inside custos_store_begin .. commit/rollback */
	int in_write; /* ... and it is a write transaction */
	/*
	 * The largest log size this handle has seen committed. A log only
	 * grows and a committed tree's hashes never change, so what is known
	 * for this size needs no snapshot to read again.
	 */
	uint64_t known_size;
	/*
	 * The right edge of the Merkle tree, kept between appends so that an
	 * append reads nothing: the builder's pending subtrees, and per tile
	 * level the partial tile being filled, written once per commit (a tile
	 * that fills up is written at once). Trusted only while the builder's
	 * size equals the log's, which each write transaction checks once at
	 * its first append (another writer may have appended); dropped on
	 * rollback.
	 */
	custos_merkle_builder edge;
	int edge_ok;
	int size_checked; /* this transaction has checked edge.size against the stored log */
	tile edge_tiles[TILE_LEVELS];
	/*
	 * Stored hashes never change once committed, so tiles read are cached
	 * whole (direct-mapped). A cached partial tile serves the hashes it
	 * holds; a node beyond them is read again. What this handle wrote or
	 * read inside a transaction that rolls back is forgotten with the
	 * whole cache.
	 */
	tile **cache;
	custos_tile_cache *shared; /* full tiles, shared with the process's other handles on this store */
	custos_merkle_edge proof_edge; /* the right edge's range hashes of the last committed size proved in */
	int64_t now_t; /* the second now_s was formatted for */
	char now_s[21];
	char last_time[21]; /* the time of the last event appended */
	char request[72]; /* a signed request the next write transaction claims (custos_store_set_request) */
	char claimed[72]; /* ... the one this write transaction claimed: logged at its commit */
	int64_t claimed_first;
};

static uint64_t tile_key(unsigned tlevel, uint64_t tindex)
{
	return ((uint64_t)tlevel << 56 | tindex) + 1;
}

/* The cache slot for `key` (allocated on first use), or NULL when out of memory. */
static tile *cache_slot(custos_store *st, uint64_t key)
{
	tile **slot;
	if (!st->cache && !(st->cache = calloc((size_t)1 << TILE_CACHE_BITS, sizeof(*st->cache))))
		return NULL;
	slot = &st->cache[(key * 0x9e3779b97f4a7c15ull) >> (64 - TILE_CACHE_BITS)];
	if (!*slot && (*slot = malloc(sizeof(**slot))))
		(*slot)->key = 0;
	return *slot;
}

static void forget_tiles(custos_store *st)
{
	if (!st->cache)
		return;
	for (size_t i = 0; i < (size_t)1 << TILE_CACHE_BITS; i++)
		if (st->cache[i])
			st->cache[i]->key = 0;
}

/* Forgets the right edge (after a rollback or a failed commit: what was appended may not have landed). */
static void forget_edge(custos_store *st)
{
	st->edge_ok = 0;
	st->size_checked = 0;
	for (unsigned b = 0; b < TILE_LEVELS; b++) {
		st->edge_tiles[b].key = 0;
		st->edge_tiles[b].n = 0;
		st->edge_tiles[b].dirty = 0;
	}
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

/* The backends, asked in turn which serves a URI; SQLite, last, takes every other. */
static const custos_store_backend *const backends[] = {
	&custos_store_pg_backend,
	&custos_store_sqlite_backend,
};

/* 1 if this custos knows every interface version the backend was written against. */
static int backend_known(const custos_store_backend *b)
{
	return b->version == CUSTOS_STORE_BACKEND_VERSION && b->log && b->log->version == CUSTOS_STORE_LOG_VERSION &&
	       b->proj && b->proj->version == CUSTOS_STORE_PROJECTION_VERSION && b->config &&
	       b->config->version == CUSTOS_STORE_CONFIG_VERSION;
}

void custos_store_uri_shown(const char *uri, char *out, size_t cap)
{
	const char *scheme = strstr(uri, "://"), *at = NULL, *colon = NULL, *c = uri;
	size_t n = 0;
	if (!cap)
		return;
	/* postgresql://user:secret@host: the secret, between the user's ':' and the '@' */
	if (scheme && (at = strchr(scheme + 3, '@')))
		colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	while (*c && n + 1 < cap) {
		const char *hide = NULL, *to = NULL;
		if (colon && c == colon + 1) {
			hide = "***";
			to = at;
		} else if (strncmp(c, "password=", 9) == 0 && (c == uri || strchr("?& ", c[-1]))) {
			/* password=secret, in a query string or libpq's key=value words */
			hide = "password=***";
			to = c + 9 + strcspn(c + 9, "& ");
		}
		if (hide) {
			for (; *hide && n + 1 < cap; hide++)
				out[n++] = *hide;
			c = to;
			continue;
		}
		out[n++] = *c++;
	}
	out[n] = '\0';
}

int custos_store_open(custos_store **out, const char *uri, int create)
{
	const custos_store_backend *ops = NULL;
	custos_store *st = NULL;
	int rc;

	*out = NULL;
	if (!uri || !*uri)
		return custos_error_set(CUSTOS_EINVALID, "no store given");
	for (size_t i = 0; !ops && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->accepts(uri))
			ops = backends[i];
	if (!ops || !backend_known(ops))
		return custos_error_set(CUSTOS_ERROR, "store: no backend of a known version for '%s'", uri);
	st = calloc(1, sizeof(*st));
	if (!st)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	st->ops = ops;
	if ((rc = ops->open(&st->impl, uri, create))) {
		free(st);
		return rc;
	}
	/* the store's identity for the shared tile cache: a file's real path; a server's URI as given */
	if (ops != &custos_store_sqlite_backend) {
		st->shared = custos_tile_cache_attach(uri);
	} else if (strcmp(uri, ":memory:") != 0) {
		char *real = realpath(uri, NULL);
		st->shared = custos_tile_cache_attach(real);
		free(real);
	}
	*out = st;
	return 0;
}

void custos_store_close(custos_store *st)
{
	if (!st)
		return;
	st->ops->close(st->impl);
	custos_tile_cache_detach(st->shared);
	if (st->cache) {
		for (size_t i = 0; i < (size_t)1 << TILE_CACHE_BITS; i++)
			free(st->cache[i]);
		free(st->cache);
	}
	free(st);
}

/* The installed clock's time as RFC 3339 UTC, formatted once per second per handle (an append needs it each time). */
static int store_now_at(custos_store *st, char out[21])
{
	int64_t t = custos_clock_now();
	if (t != st->now_t || !st->now_s[0]) {
		int rc = custos_time_now(st->now_s);
		if (rc)
			return rc;
		st->now_t = t;
	}
	memcpy(out, st->now_s, 21);
	return 0;
}

int custos_store_begin(custos_store *st)
{
	int rc = st->ops->begin(st->impl);
	if (!rc)
		st->in_tx = st->in_write = 1;
	st->size_checked = 0;
	if (!rc && st->request[0]) {
		/* the request claims its key under the write lock, with the index of the first event it may write */
		int64_t size = custos_store_log_size(st), first = -1;
		char key[sizeof(st->request)];
		memcpy(key, st->request, sizeof(key));
		st->request[0] = '\0';
		rc = size < 0 ? CUSTOS_ERROR : st->ops->proj->request_claim(st->impl, key, size, &first);
		if (!rc) {
			memcpy(st->claimed, key, sizeof(st->claimed));
			st->claimed_first = size;
		}
		if (rc == CUSTOS_EEXISTS)
			custos_error_set(rc, "Signature: replayed: this signed request was accepted before (event %lld)",
					 (long long)first);
		if (rc)
			return custos_store_abort(st, rc);
	}
	return rc;
}

int custos_store_set_request(custos_store *st, const char *key)
{
	if (!key) {
		st->request[0] = '\0';
		return 0;
	}
	if (strlen(key) >= sizeof(st->request) || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789:") != strlen(key))
		return custos_error_set(CUSTOS_EINVALID, "request key: not sha256:<hex>");
	memcpy(st->request, key, strlen(key) + 1);
	return 0;
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
	st->size_checked = 0;
	return rc;
}

/* Writes the edge tiles that grew (at commit, and before a pass over the stored tiles). */
static int flush_edge(custos_store *st)
{
	int rc;
	for (unsigned b = 0; b < TILE_LEVELS; b++) {
		tile *t = &st->edge_tiles[b];
		if (!t->dirty)
			continue;
		if ((rc = st->ops->log->tile_put(st->impl, b, (t->key - 1) & (((uint64_t)1 << 56) - 1), &t->h[0][0], t->n)))
			return rc;
		t->dirty = 0;
	}
	return 0;
}

int custos_store_commit(custos_store *st)
{
	int rc = 0;
	/* a signed request accepted: the log says so, and the requests table is what such events make of it */
	if (st->claimed[0] && st->in_write) {
		char payload[160];
		snprintf(payload, sizeof(payload), "{\"key\":\"%s\",\"first\":%lld}", st->claimed,
			 (long long)st->claimed_first);
		st->claimed[0] = '\0';
		rc = custos_store_event_append(st, "request.accepted", NULL, NULL, payload, NULL);
	}
	if (!rc)
		rc = flush_edge(st);
	if (!rc)
		rc = st->ops->commit(st->impl);
	st->size_checked = 0;
	if (rc) {
		forget_edge(st);
		forget_tiles(st);
		if (st->ops->rollback(st->impl) == 0)
			st->in_tx = st->in_write = 0;
		return rc;
	}
	if (st->in_write && st->edge_ok && st->edge.size > st->known_size)
		st->known_size = st->edge.size; /* what this transaction appended is now committed */
	st->in_tx = st->in_write = 0;
	return 0;
}

int custos_store_rollback(custos_store *st)
{
	st->claimed[0] = '\0';
	forget_edge(st);
	forget_tiles(st);
	st->in_tx = st->in_write = 0;
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
	return st->ops->config->meta_get(st->impl, key, out);
}

int custos_store_meta_set(custos_store *st, const char *key, const char *value)
{
	if (!key || !value)
		return custos_error_set(CUSTOS_EINVALID, "meta: key and value are required");
	return st->ops->config->meta_set(st->impl, key, value);
}

int custos_store_party_put(custos_store *st, const char *id, const char *line)
{
	if (!id || !line)
		return custos_error_set(CUSTOS_EINVALID, "party: id and line are required");
	return st->ops->proj->party_put(st->impl, id, line);
}

int custos_store_party_get(custos_store *st, const char *id, char **line)
{
	*line = NULL;
	return st->ops->proj->party_get(st->impl, id, line);
}

int custos_store_party_each(custos_store *st, custos_store_row_fn fn, void *ctx)
{
	return st->ops->proj->party_each(st->impl, fn, ctx);
}

int64_t custos_store_party_count(custos_store *st)
{
	return st->ops->proj->party_count(st->impl);
}

int custos_store_rules_put(custos_store *st, const char *hash, const char *canonical, const char *loaded_at)
{
	if (!hash || !canonical || !loaded_at)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash, text and time are required");
	return st->ops->proj->rules_put(st->impl, hash, canonical, loaded_at);
}

int custos_store_rules_get(custos_store *st, const char *hash, char **canonical)
{
	if (!hash)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash is required");
	return st->ops->proj->rules_get(st->impl, hash, canonical);
}

int custos_store_measure_next_id(custos_store *st, char id[16])
{
	return st->ops->proj->measure_next_id(st->impl, id);
}

int custos_store_measure_put(custos_store *st, const char *id, const char *measure, const char *decision,
			     const char *state, const char *filed_at)
{
	if (!id || !measure || !decision || !state || !filed_at)
		return custos_error_set(CUSTOS_EINVALID, "measure: id, measure, decision, state and time are required");
	if (strncmp(id, "M-", 2) != 0 || strlen(id) < 3 || strspn(id + 2, "0123456789") != strlen(id + 2) ||
	    strlen(id) > 15)
		return custos_error_set(CUSTOS_EINVALID, "measure: id '%s' is not M- and a number", id);
	return st->ops->proj->measure_put(st->impl, id, measure, decision, state, filed_at);
}

int custos_store_measure_set_state(custos_store *st, const char *id, const char *state)
{
	if (!id || !state)
		return custos_error_set(CUSTOS_EINVALID, "measure: id and state are required");
	return st->ops->proj->measure_set_state(st->impl, id, state);
}

int custos_store_measure_get(custos_store *st, custos_store_measure *out, const char *id)
{
	memset(out, 0, sizeof(*out));
	return st->ops->proj->measure_get(st->impl, out, id);
}

int custos_store_measure_each(custos_store *st, custos_store_measure_fn fn, void *ctx)
{
	return st->ops->proj->measure_each(st->impl, NULL, fn, ctx);
}

int custos_store_measure_each_after(custos_store *st, const char *after, custos_store_measure_fn fn, void *ctx)
{
	return st->ops->proj->measure_each(st->impl, after, fn, ctx);
}

int custos_store_access_clear(custos_store *st, const char *id)
{
	return st->ops->proj->access_clear(st->impl, id);
}

int custos_store_access_add(custos_store *st, const char *id, const char *who)
{
	if (!id || !who)
		return custos_error_set(CUSTOS_EINVALID, "access: id and who are required");
	return st->ops->proj->access_add(st->impl, id, who);
}

int custos_store_measure_each_visible(custos_store *st, const char *after, const char *const *who, size_t nwho,
				      custos_store_measure_fn fn, void *ctx)
{
	if (nwho > 64)
		return custos_error_set(CUSTOS_EINVALID, "access: at most 64 keys, not %zu", nwho);
	return st->ops->proj->measure_each_visible(st->impl, after, who, nwho, fn, ctx); /* no keys: nothing, `after` checked */
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

static int node_reader(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	return custos_store_log_node(ctx, level, index, out->b);
}

static void payload_digest(uint8_t out[32], const void *data, size_t len)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

/* Reads the right edge of the stored tree of `size` leaves: its partial tiles and the builder's pending subtrees. */
static int edge_init(custos_store *st, uint64_t size)
{
	int rc;
	forget_edge(st);
	for (unsigned b = 0; b < TILE_LEVELS; b++) {
		tile *t = &st->edge_tiles[b];
		uint64_t bottom = size >> (TILE_H * b); /* complete nodes of the tile level's bottom tree level */
		unsigned w = (unsigned)(bottom & (CUSTOS_TILE_WIDTH - 1)), need;
		if (w == 0)
			continue;
		if ((rc = st->ops->log->tile_get(st->impl, b, bottom >> TILE_H, &t->h[0][0], &t->n)))
			goto fail;
		need = custos_tile_count(w);
		if (t->n < need) {
			rc = custos_error_set(CUSTOS_ERROR,
					      "the stored tile (level %u, index %llu) holds %zu hashes where %u are due "
					      "(run 'custos log verify')",
					      b, (unsigned long long)(bottom >> TILE_H), t->n, need);
			goto fail;
		}
		t->n = need;
		t->key = tile_key(b, bottom >> TILE_H);
	}
	st->edge_ok = 1; /* the builder reads its pending subtrees from the edge tiles */
	if ((rc = custos_merkle_builder_init(&st->edge, size, node_reader, st)))
		goto fail;
	return 0;
fail:
	forget_edge(st);
	return custos_error_prefix(rc, "log: reading the right edge of the tree of size %llu",
				   (unsigned long long)size);
}

/* Adds one completed node to its edge tile; a tile that fills up is written at once. */
static int edge_put(custos_store *st, const custos_merkle_node *node)
{
	unsigned tl, pos;
	uint64_t ti, key;
	tile *t, *c;
	int rc;
	custos_tile_locate(node->level, node->index, &tl, &ti, &pos);
	t = &st->edge_tiles[tl];
	key = tile_key(tl, ti);
	if (t->key != key && pos == 0) {
		t->key = key; /* the first hash of a new tile */
		t->n = 0;
		t->dirty = 0;
	}
	if (t->key != key || pos != t->n)
		return custos_error_set(CUSTOS_ERROR, "log: node (level %u, index %llu) does not continue its tile",
					node->level, (unsigned long long)node->index);
	memcpy(t->h[t->n++], node->hash.b, 32);
	t->dirty = 1;
	if (t->n < CUSTOS_TILE_HASHES)
		return 0;
	if ((rc = st->ops->log->tile_put(st->impl, tl, ti, &t->h[0][0], t->n)))
		return rc;
	if ((c = cache_slot(st, key)) != NULL)
		memcpy(c, t, sizeof(*c));
	if (c)
		c->dirty = 0;
	t->key = 0;
	t->n = 0;
	t->dirty = 0;
	return 0;
}

/* Computes the leaf of event `idx` and adds it and every subtree it completes to the right edge. */
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
	custos_merkle_leaf_hash(&h, leaf, len);
	custos_merkle_builder_append(&st->edge, &h, nodes, &n);
	for (size_t i = 0; i < n; i++)
		if ((rc = edge_put(st, &nodes[i])))
			return rc;
	return 0;
}

/*
 * Appends one event: the time is the installed clock's, and the payload's
 * SHA-256 is stored beside it as "sha256:<hex>". Its index is the size of
 * the right edge, checked against the stored log once per transaction.
 */
const char *custos_store_event_time(const custos_store *st)
{
	return st->last_time;
}

/*
 * Appends one event at the log's next index with its time and payload hash
 * given, in the caller's transaction or one of its own, its leaf and tiles
 * with it; its index into *index_out.
 */
static int append_at(custos_store *st, const char *type, const char *time, const char *actor, const char *ref,
		     const char *payload, const char *hash, int64_t *index_out)
{
	int64_t idx;
	int rc, own_tx = 0;
	/* The row and its Merkle nodes land together or not at all. */
	if (!st->in_tx) {
		if ((rc = custos_store_begin(st)))
			return rc;
		own_tx = 1;
	}
	if (!st->size_checked || !st->edge_ok) {
		int64_t size = st->ops->log->event_count(st->impl);
		if (size < 0) {
			rc = CUSTOS_ERROR;
			goto fail;
		}
		if ((!st->edge_ok || st->edge.size != (uint64_t)size) && (rc = edge_init(st, (uint64_t)size)))
			goto fail;
		st->size_checked = 1;
	}
	idx = (int64_t)st->edge.size;
	if ((rc = st->ops->log->event_append(st->impl, idx, type, time, actor, ref, payload, hash)))
		goto fail;
	if ((rc = log_append_leaf(st, idx, type, time, actor, ref, hash))) {
		forget_edge(st); /* the row is in, its nodes are not: only a rollback mends this */
		goto fail;
	}
	if (own_tx && (rc = custos_store_commit(st)))
		return rc;
	*index_out = idx;
	return 0;
fail:
	if (own_tx)
		custos_store_rollback(st);
	return rc;
}

int custos_store_event_append(custos_store *st, const char *type, const char *actor, const char *ref,
			      const char *payload, int64_t *index_out)
{
	char now[21], hash[72];
	uint8_t digest[32];
	int64_t idx;
	int rc;
	if (index_out)
		*index_out = -1;
	if (!type || !*type || !payload || !*payload)
		return custos_error_set(CUSTOS_EINVALID, "event: type and payload are required");
	if ((rc = custos_leaf_field_valid(type, "type")) || (rc = custos_leaf_field_valid(actor, "actor")) ||
	    (rc = custos_leaf_field_valid(ref, "ref")))
		return rc;
	if ((rc = store_now_at(st, now)))
		return rc;
	payload_digest(digest, payload, strlen(payload));
	custos_sha256_label(hash, digest);
	if ((rc = append_at(st, type, now, actor, ref, payload, hash, &idx)))
		return rc;
	memcpy(st->last_time, now, sizeof(st->last_time));
	if (index_out)
		*index_out = idx;
	return 0;
}

int custos_store_event_copy(custos_store *st, const custos_store_event *e)
{
	char hash[72];
	uint8_t digest[32];
	int64_t idx;
	int rc;
	if (!st->in_write)
		return custos_error_set(CUSTOS_EINVALID, "event copy: outside a write transaction");
	if (!e->type || !e->time || !e->payload || !e->payload_hash)
		return custos_error_set(CUSTOS_EINVALID, "event %lld: a required field is missing", (long long)e->index);
	if ((rc = custos_leaf_field_valid(e->type, "type")) || (rc = custos_leaf_field_valid(e->actor, "actor")) ||
	    (rc = custos_leaf_field_valid(e->ref, "ref")))
		return custos_error_prefix(rc, "event %lld", (long long)e->index);
	/* a payload is copied with its own hash; an erased one ('') keeps the hash its leaf was made of */
	if (*e->payload) {
		payload_digest(digest, e->payload, strlen(e->payload));
		custos_sha256_label(hash, digest);
		if (strcmp(hash, e->payload_hash) != 0)
			return custos_error_set(CUSTOS_EINVALID, "event %lld: its payload does not hash to its payload_hash",
						(long long)e->index);
	} else if (strlen(e->payload_hash) != 71 || strncmp(e->payload_hash, "sha256:", 7) != 0 ||
		   strspn(e->payload_hash + 7, "0123456789abcdef") != 64) {
		return custos_error_set(CUSTOS_EINVALID, "event %lld: payload_hash is not sha256:<64 hex>", (long long)e->index);
	}
	if ((rc = append_at(st, e->type, e->time, e->actor, e->ref, e->payload, e->payload_hash, &idx)))
		return rc;
	if (idx != e->index)
		return custos_error_set(CUSTOS_EINVALID, "event %lld: copied at index %lld (the copy must start empty)",
					(long long)e->index, (long long)idx);
	return 0;
}

int custos_store_event_each(custos_store *st, custos_store_event_fn fn, void *ctx)
{
	return st->ops->log->event_each(st->impl, fn, ctx);
}

int64_t custos_store_event_count(custos_store *st)
{
	return st->ops->log->event_count(st->impl);
}

int64_t custos_store_log_size(custos_store *st)
{
	int64_t n = st->ops->log->event_count(st->impl);
	/* outside a write transaction the count is of committed events */
	if (n > 0 && !st->in_write && (uint64_t)n > st->known_size)
		st->known_size = (uint64_t)n;
	return n;
}

custos_merkle_edge *custos_store_proof_edge(custos_store *st)
{
	return &st->proof_edge;
}

int custos_store_log_known(const custos_store *st, uint64_t size)
{
	return size <= st->known_size;
}

static int node_missing(unsigned level, uint64_t index)
{
	return custos_error_set(CUSTOS_ENOTFOUND, "log node (level %u, index %llu) is missing", level,
				(unsigned long long)index);
}

int custos_store_log_node(custos_store *st, unsigned level, uint64_t index, uint8_t hash[32])
{
	unsigned tl, pos;
	uint64_t ti, key;
	tile *t;
	int rc;
	if (level >= 64 || (level > 0 && index >> (64 - level)))
		return node_missing(level, index);
	custos_tile_locate(level, index, &tl, &ti, &pos);
	key = tile_key(tl, ti);
	t = &st->edge_tiles[tl];
	if (st->edge_ok && t->key == key && pos < t->n)
		goto found;
	/* a full tile another handle read (a write transaction reads its own: what it appended may roll back) */
	if (!st->in_write && custos_tile_cache_get(st->shared, key, pos, hash))
		return 0;
	if (!(t = cache_slot(st, key)))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory for a log tile");
	if (t->key == key && pos < t->n)
		goto found;
	/* not cached, or a partial tile cached before the node was added: (re)read it */
	t->key = 0;
	if ((rc = st->ops->log->tile_get(st->impl, tl, ti, &t->h[0][0], &t->n)))
		return rc == CUSTOS_ENOTFOUND ? node_missing(level, index) : rc;
	t->key = key;
	t->dirty = 0;
	if (pos >= t->n)
		return node_missing(level, index);
	if (t->n == CUSTOS_TILE_HASHES && !st->in_write)
		custos_tile_cache_put(st->shared, key, (const uint8_t(*)[32])t->h);
found:
	memcpy(hash, t->h[pos], 32);
	return 0;
}

/* Unpacks a tile into its nodes, in its stored (post-)order. */
typedef struct {
	custos_store_node_fn fn;
	void *ctx;
} node_walk;

static int walk_tile(void *ctx, unsigned tlevel, uint64_t tindex, const uint8_t *h, size_t n)
{
	node_walk *w = ctx;
	uint64_t base = tindex << TILE_H;
	size_t pos = 0;
	int rc;
	for (unsigned e = 0; e < CUSTOS_TILE_WIDTH && pos < n; e++) {
		if ((rc = w->fn(w->ctx, TILE_H * tlevel, base + e, h + 32 * pos++)))
			return rc;
		for (unsigned k = 1; k < TILE_H && pos < n && ((e + 1) & ((1u << k) - 1)) == 0; k++)
			if ((rc = w->fn(w->ctx, TILE_H * tlevel + k, ((base + e + 1) >> k) - 1, h + 32 * pos++)))
				return rc;
	}
	return 0;
}

int custos_store_log_node_each(custos_store *st, custos_store_node_fn fn, void *ctx)
{
	node_walk w = {fn, ctx};
	int rc;
	if (st->in_tx && (rc = flush_edge(st)))
		return rc;
	return st->ops->log->tile_each(st->impl, walk_tile, &w);
}

int custos_store_event_get(custos_store *st, int64_t index, custos_store_event *out)
{
	memset(out, 0, sizeof(*out));
	if (index < 0)
		return custos_error_set(CUSTOS_ENOTFOUND, "no event %lld", (long long)index);
	return st->ops->log->event_get(st->impl, index, out);
}

int custos_store_event_find(custos_store *st, int64_t from, const char *prefix, int64_t *index)
{
	return st->ops->log->event_find(st->impl, from < 0 ? 0 : from, prefix, index);
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
	return st->ops->log->event_erase(st->impl, index);
}

int custos_store_checkpoint_put(custos_store *st, uint64_t size, const char *note)
{
	char now[21];
	int rc;
	if (!note)
		return custos_error_set(CUSTOS_EINVALID, "checkpoint: note is required");
	if ((rc = custos_time_now(now)))
		return rc;
	return st->ops->log->checkpoint_put(st->impl, size, note, now);
}

int custos_store_checkpoint_latest(custos_store *st, uint64_t *size, char **note)
{
	*note = NULL;
	return st->ops->log->checkpoint_latest(st->impl, size, note);
}

int custos_store_cosignature_put(custos_store *st, uint64_t size, const char *witness, const char *line)
{
	char now[21];
	int rc;
	if (!witness || !line)
		return custos_error_set(CUSTOS_EINVALID, "cosignature: witness and line are required");
	if ((rc = custos_time_now(now)))
		return rc;
	return st->ops->log->cosignature_put(st->impl, size, witness, line, now);
}

int custos_store_cosignature_each(custos_store *st, uint64_t size, custos_store_row_fn fn, void *ctx)
{
	return st->ops->log->cosignature_each(st->impl, size, fn, ctx);
}

int custos_store_witness_get(custos_store *st, const char *origin, char **vkey, uint64_t *size, uint8_t root[32])
{
	*vkey = NULL;
	return st->ops->config->witness_get(st->impl, origin, vkey, size, root);
}

int custos_store_witness_put(custos_store *st, const char *origin, const char *vkey, uint64_t size,
			     const uint8_t root[32], const char *at)
{
	if (!origin || !vkey || !at)
		return custos_error_set(CUSTOS_EINVALID, "witness: origin, key and time are required");
	return st->ops->config->witness_put(st->impl, origin, vkey, size, root, at);
}

int custos_store_record_put(custos_store *st, const char *kind, const char *id, const char *body)
{
	if (!kind || !*kind || !id || !*id || !body)
		return custos_error_set(CUSTOS_EINVALID, "record: kind, id and body are required");
	return st->ops->proj->record_put(st->impl, kind, id, body);
}

int custos_store_record_get(custos_store *st, const char *kind, const char *id, char **body)
{
	*body = NULL;
	if (!kind || !id)
		return custos_error_set(CUSTOS_EINVALID, "record: kind and id are required");
	return st->ops->proj->record_get(st->impl, kind, id, body);
}

int custos_store_record_each(custos_store *st, const char *kind, const char *prefix, custos_store_row_fn fn,
			     void *ctx)
{
	if (!kind)
		return custos_error_set(CUSTOS_EINVALID, "record: kind is required");
	return st->ops->proj->record_each(st->impl, kind, prefix, fn, ctx);
}

int custos_store_record_delete(custos_store *st, const char *kind, const char *id, int prefix)
{
	if (!kind || !id)
		return custos_error_set(CUSTOS_EINVALID, "record: kind and id are required");
	return st->ops->proj->record_delete(st->impl, kind, id, prefix);
}

int custos_store_checkpoint_each(custos_store *st, custos_store_checkpoint_fn fn, void *ctx)
{
	return st->ops->log->checkpoint_each(st->impl, fn, ctx);
}

const char *const custos_store_projections[] = {"meta",	"rulesets", "parties",	 "measures",	   "records",
						"measure_access", "requests", "witnessed_logs", NULL};

int custos_store_request_put(custos_store *st, const char *key, int64_t first)
{
	int64_t was = -1;
	int rc;
	if (!key || first < 0)
		return custos_error_set(CUSTOS_EINVALID, "request: a key and an index are required");
	rc = st->ops->proj->request_claim(st->impl, key, first, &was);
	if (rc == CUSTOS_EEXISTS)
		custos_error_set(rc, "request %s accepted twice (first at event %lld)", key, (long long)was);
	return rc;
}

int custos_store_projection_each(custos_store *st, const char *table, custos_store_projection_fn fn, void *ctx)
{
	for (size_t i = 0; custos_store_projections[i]; i++)
		if (strcmp(custos_store_projections[i], table) == 0)
			return st->ops->proj->projection_each(st->impl, table, fn, ctx);
	return custos_error_set(CUSTOS_EINVALID, "store: no projection '%s'", table);
}

int custos_store_projection_clear(custos_store *st, unsigned flags)
{
	if (!st->in_write)
		return custos_error_set(CUSTOS_ERROR, "store: a rebuild needs a write transaction");
	return st->ops->proj->projection_clear(st->impl, flags);
}
