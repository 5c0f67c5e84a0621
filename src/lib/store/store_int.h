/* store_int.h — the private backend interface behind custos/store.h (one vtable per backend). */
#ifndef CUSTOS_STORE_INT_H
#define CUSTOS_STORE_INT_H

#include "custos/store.h"

/*
 * Log tiles. The tree's complete subtree hashes are stored in tiles of
 * height 8, the shape of C2SP tlog-tiles: tile (L, N) covers the level band
 * 8L .. 8L+7 above the 256 nodes of level 8L numbered 256N .. 256N+255, and
 * holds every complete subtree hash of that band (up to 256 + 128 + ... + 2
 * = 510) in the order appends complete them: post-order, a node after its
 * children. A partial tile is therefore a prefix of the full one and only
 * ever grows at its end; any hash it holds is final.
 */
#define CUSTOS_TILE_HEIGHT 8 /* fixed by migration 3: another height needs another migration */
#define CUSTOS_TILE_WIDTH (1u << CUSTOS_TILE_HEIGHT)
#define CUSTOS_TILE_HASHES (2 * CUSTOS_TILE_WIDTH - 2)
#define CUSTOS_TILE_LEVELS ((64 + CUSTOS_TILE_HEIGHT - 1) / CUSTOS_TILE_HEIGHT)

/* Where node (level, index) is stored: tile (*tlevel, *tindex), position *pos. */
static inline void custos_tile_locate(unsigned level, uint64_t index, unsigned *tlevel, uint64_t *tindex,
				      unsigned *pos)
{
	unsigned k = level % CUSTOS_TILE_HEIGHT;
	uint64_t j = index & ((UINT64_C(1) << (CUSTOS_TILE_HEIGHT - k)) - 1);
	unsigned e = (unsigned)(((j + 1) << k) - 1); /* the last bottom-level node below it */
	*tlevel = level / CUSTOS_TILE_HEIGHT;
	*tindex = index >> (CUSTOS_TILE_HEIGHT - k);
	/* 2e - popcount(e) hashes are complete before bottom node e; then e itself, then its parents */
	*pos = 2 * e - (unsigned)__builtin_popcount(e) + k;
}

/* How many hashes a tile holds once w (1..256) of its bottom-level nodes are complete. */
static inline unsigned custos_tile_count(unsigned w)
{
	return 2 * w - (unsigned)__builtin_popcount(w) - (w == CUSTOS_TILE_WIDTH);
}

/* A stored tile: its hashes[0..n) (n <= CUSTOS_TILE_HASHES, 32 bytes each). */
typedef int (*custos_store_tile_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t *hashes, size_t n);

/*
 * A backend fills one custos_store_backend and three narrow interfaces, by
 * concern (the shape of libgit2's odb and refdb backends): the append-only
 * log, the projections, and the configuration. store.c owns the
 * custos_store handle and dispatches every public function through them, so
 * a backend is added by writing one file and one line in store.c's table;
 * callers never change. `impl` is the backend's own state, created by open
 * and freed by close, and shared by its three interfaces.
 *
 * Versions. Each interface starts with the version its backend was written
 * against (the *_VERSION below); store.c refuses a backend whose version it
 * does not know, and a later version only appends slots. A slot marked
 * optional may be NULL: store.c then does without it or says the backend
 * cannot.
 *
 * Errors. Every operation returns a custos error code and sets the message;
 * a row not found is CUSTOS_ENOTFOUND.
 *
 * The transaction contract (every backend, every interface). The public
 * contract is custos/store.h's; what it asks of a backend:
 * - begin opens the one write transaction of the whole store (across every
 *   handle and process): a second begin anywhere waits for the first to end
 *   (or fails after a bounded wait and writes nothing); inside it every read
 *   sees every commit made before the lock was taken.
 * - begin_read opens a snapshot: every read until commit/rollback sees the
 *   same committed state, whatever other writers commit meanwhile.
 * - commit is durable when it returns 0; rollback undoes everything since
 *   begin and may be called after a failed statement or a failed commit.
 * - Reads outside any transaction see the latest commit.
 * - Iterations (*_each) call their callback row by row and let it use the
 *   same handle: read, and start another iteration.
 */
#define CUSTOS_STORE_BACKEND_VERSION 1
#define CUSTOS_STORE_LOG_VERSION 1
#define CUSTOS_STORE_PROJECTION_VERSION 1
#define CUSTOS_STORE_CONFIG_VERSION 1

/*
 * The append-only log: events, the tree's tiles, signed checkpoints and
 * their witness cosignatures. Nothing here is ever changed once committed,
 * except an event's payload erased ('' with its hash kept) and a partial
 * tile grown at its end; the backend refuses anything else even from
 * outside custos (SQLite: triggers; PostgreSQL: triggers and privileges).
 * Writes happen only inside a write transaction.
 */
typedef struct custos_store_log_ops {
	unsigned version; /* CUSTOS_STORE_LOG_VERSION */
	/* `index` must be the next dense index (the backend refuses a second event at an index) */
	int (*event_append)(void *impl, int64_t index, const char *type, const char *time, const char *actor,
			    const char *ref, const char *payload, const char *payload_hash);
	int (*event_each)(void *impl, custos_store_event_fn fn, void *ctx);
	int64_t (*event_count)(void *impl); /* -1 on failure, message set */
	int (*event_get)(void *impl, int64_t index, custos_store_event *out);
	/* the first event at or after `from` whose type starts with `prefix`: its index, or ENOTFOUND */
	int (*event_find)(void *impl, int64_t from, const char *prefix, int64_t *index);
	int (*event_erase)(void *impl, int64_t index);

	/* Log tiles: put writes (or grows) a tile; get copies its n hashes (ENOTFOUND if none); each walks them in order. */
	int (*tile_put)(void *impl, unsigned level, uint64_t index, const uint8_t *hashes, size_t n);
	int (*tile_get)(void *impl, unsigned level, uint64_t index, uint8_t *hashes, size_t *n);
	int (*tile_each)(void *impl, custos_store_tile_fn fn, void *ctx);
	int (*checkpoint_put)(void *impl, uint64_t size, const char *note, const char *now);
	int (*checkpoint_latest)(void *impl, uint64_t *size, char **note);
	int (*checkpoint_each)(void *impl, custos_store_checkpoint_fn fn, void *ctx);
	int (*cosignature_put)(void *impl, uint64_t size, const char *witness, const char *line, const char *now);
	int (*cosignature_each)(void *impl, uint64_t size, custos_store_row_fn fn, void *ctx);
} custos_store_log_ops;

/*
 * The projections: what the log's events make of the registry, the rule
 * sets, the measures and their records, the access index and the accepted
 * requests. They change only in the same write transaction as the event
 * that causes the change (custos/store.h), and `store rebuild` empties and
 * refills them from the log; reads are by key, ordered bytewise (strcmp).
 */
typedef struct custos_store_projection_ops {
	unsigned version; /* CUSTOS_STORE_PROJECTION_VERSION */
	int (*party_put)(void *impl, const char *id, const char *line);
	int (*party_get)(void *impl, const char *id, char **line);
	int (*party_each)(void *impl, custos_store_row_fn fn, void *ctx);
	int64_t (*party_count)(void *impl);

	int (*rules_put)(void *impl, const char *hash, const char *canonical, const char *loaded_at);
	int (*rules_get)(void *impl, const char *hash, char **canonical);

	/* the number after the last measure.filed event of the log (not the table's) */
	int (*measure_next_id)(void *impl, char id[16]);
	int (*measure_put)(void *impl, const char *id, const char *measure, const char *decision, const char *state,
			   const char *filed_at);
	int (*measure_set_state)(void *impl, const char *id, const char *state);
	int (*measure_get)(void *impl, custos_store_measure *out, const char *id);
	/* in filing order; after != NULL: only those filed after that measure (ENOTFOUND if it does not exist) */
	int (*measure_each)(void *impl, const char *after, custos_store_measure_fn fn, void *ctx);
	int (*access_add)(void *impl, const char *id, const char *who);
	int (*access_clear)(void *impl, const char *id);
	int (*measure_each_visible)(void *impl, const char *after, const char *const *who, size_t nwho,
				    custos_store_measure_fn fn, void *ctx);

	/* claims a request key at event idx; CUSTOS_EEXISTS with *first, the event it was claimed at, if taken */
	int (*request_claim)(void *impl, const char *key, int64_t idx, int64_t *first);
	int (*record_put)(void *impl, const char *kind, const char *id, const char *body);
	int (*record_get)(void *impl, const char *kind, const char *id, char **body);
	int (*record_each)(void *impl, const char *kind, const char *prefix, custos_store_row_fn fn, void *ctx);
	int (*record_delete)(void *impl, const char *kind, const char *id, int prefix);
	/* every projection (custos_store_projections) as rows by key, and emptying them for a rebuild */
	int (*projection_each)(void *impl, const char *table, custos_store_projection_fn fn, void *ctx);
	int (*projection_clear)(void *impl, unsigned flags);
} custos_store_projection_ops;

/*
 * The configuration: small settings by key (the log's origin, the rule set
 * in force, the log's witnesses) and the state of the logs this store
 * witnesses. Written inside write transactions like the rest.
 */
typedef struct custos_store_config_ops {
	unsigned version; /* CUSTOS_STORE_CONFIG_VERSION */
	int (*meta_get)(void *impl, const char *key, char **out);
	int (*meta_set)(void *impl, const char *key, const char *value);
	int (*witness_get)(void *impl, const char *origin, char **vkey, uint64_t *size, uint8_t root[32]);
	int (*witness_put)(void *impl, const char *origin, const char *vkey, uint64_t size, const uint8_t root[32],
			   const char *now);
} custos_store_config_ops;

typedef struct custos_store_backend {
	unsigned version; /* CUSTOS_STORE_BACKEND_VERSION */
	const char *name; /* "sqlite", "postgresql" */
	/* 1 if this backend serves `uri` (the table in store.c asks each in turn; the last one takes the rest) */
	int (*accepts)(const char *uri);
	int (*open)(void **impl, const char *uri, int create);
	void (*close)(void *impl);

	int (*begin)(void *impl);
	int (*begin_read)(void *impl);
	int (*commit)(void *impl);
	int (*rollback)(void *impl);
	int (*schema_version)(void *impl);

	const custos_store_log_ops *log;
	const custos_store_projection_ops *proj;
	const custos_store_config_ops *config;

} custos_store_backend;

/*
 * The full tiles shared by every handle of the process on one store
 * (tilecache.c): `identity` names the store (a file's real path, a server's
 * URI); NULL for a store no other handle can open (":memory:"), which gets
 * no shared cache. A tile is put only once read from committed state, whole.
 */
typedef struct custos_tile_cache custos_tile_cache;
custos_tile_cache *custos_tile_cache_attach(const char *identity);
void custos_tile_cache_detach(custos_tile_cache *c);
int custos_tile_cache_get(custos_tile_cache *c, uint64_t key, unsigned pos, uint8_t out[32]);
void custos_tile_cache_put(custos_tile_cache *c, uint64_t key, const uint8_t (*h)[32]);

extern const custos_store_backend custos_store_sqlite_backend;
extern const custos_store_backend custos_store_pg_backend;

/* Latest schema version a backend knows (the length of its migration list). */
int custos_store_sqlite_latest_version(void);

#endif
