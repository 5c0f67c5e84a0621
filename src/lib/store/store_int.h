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
 * A backend fills one of these. store.c owns the custos_store handle and
 * dispatches every public function through it, so a backend is added by
 * writing one file and one line in store.c's table; callers never change.
 * `impl` is the backend's own state, created by open and freed by close.
 * Every operation returns a custos error code and sets the message.
 */
typedef struct custos_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	int (*open)(void **impl, const char *uri, int create);
	void (*close)(void *impl);

	int (*begin)(void *impl);
	int (*begin_read)(void *impl);
	int (*commit)(void *impl);
	int (*rollback)(void *impl);
	int (*schema_version)(void *impl);

	int (*meta_get)(void *impl, const char *key, char **out);
	int (*meta_set)(void *impl, const char *key, const char *value);

	int (*party_put)(void *impl, const char *id, const char *line);
	int (*party_get)(void *impl, const char *id, char **line);
	int (*party_each)(void *impl, custos_store_row_fn fn, void *ctx);
	int64_t (*party_count)(void *impl);

	int (*rules_put)(void *impl, const char *hash, const char *canonical, const char *loaded_at);
	int (*rules_get)(void *impl, const char *hash, char **canonical);

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

	/* `index` must be the next dense index (the backend refuses any other) */
	int (*event_append)(void *impl, int64_t index, const char *type, const char *time, const char *actor,
			    const char *ref, const char *payload, const char *payload_hash);
	int (*event_each)(void *impl, custos_store_event_fn fn, void *ctx);
	int64_t (*event_count)(void *impl);
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
	int (*witness_get)(void *impl, const char *origin, char **vkey, uint64_t *size, uint8_t root[32]);
	int (*witness_put)(void *impl, const char *origin, const char *vkey, uint64_t size, const uint8_t root[32],
			   const char *now);
	int (*request_claim)(void *impl, const char *key, int64_t idx, int64_t *first);
	int (*record_put)(void *impl, const char *kind, const char *id, const char *body);
	int (*record_get)(void *impl, const char *kind, const char *id, char **body);
	int (*record_each)(void *impl, const char *kind, const char *prefix, custos_store_row_fn fn, void *ctx);
	int (*record_delete)(void *impl, const char *kind, const char *id, int prefix);
	/* the projections (custos_store_projections): rows by key, and emptying them for a rebuild */
	int (*projection_each)(void *impl, const char *table, custos_store_projection_fn fn, void *ctx);
	int (*projection_clear)(void *impl, unsigned flags);
} custos_store_ops;

extern const custos_store_ops custos_store_sqlite_ops;

/* Latest schema version a backend knows (the length of its migration list). */
int custos_store_sqlite_latest_version(void);

#endif
