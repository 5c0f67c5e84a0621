/* store_int.h — the private backend interface behind custos/store.h (one vtable per backend). */
#ifndef CUSTOS_STORE_INT_H
#define CUSTOS_STORE_INT_H

#include "custos/store.h"

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

	int (*rules_put)(void *impl, const char *hash, const char *canonical, const char *now);
	int (*rules_get)(void *impl, const char *hash, char **canonical);

	int (*measure_insert)(void *impl, char **id_out, const char *measure, const char *decision, const char *state,
			      const char *now);
	int (*measure_update_decision)(void *impl, const char *id, const char *decision);
	int (*measure_set_state)(void *impl, const char *id, const char *state);
	int (*measure_get)(void *impl, custos_store_measure *out, const char *id);
	int (*measure_each)(void *impl, custos_store_measure_fn fn, void *ctx);

	int (*event_append)(void *impl, const char *type, const char *time, const char *actor, const char *ref,
			    const char *payload, const char *payload_hash, int64_t *index_out);
	int (*event_each)(void *impl, custos_store_event_fn fn, void *ctx);
	int64_t (*event_count)(void *impl);
	int (*event_get)(void *impl, int64_t index, custos_store_event *out);
	int (*event_erase)(void *impl, int64_t index);

	int (*node_put)(void *impl, unsigned level, uint64_t index, const uint8_t hash[32]);
	int (*node_get)(void *impl, unsigned level, uint64_t index, uint8_t hash[32]);
	int (*node_each)(void *impl, custos_store_node_fn fn, void *ctx);
	int (*checkpoint_put)(void *impl, uint64_t size, const char *note, const char *now);
	int (*checkpoint_latest)(void *impl, uint64_t *size, char **note);
	int (*cosignature_put)(void *impl, uint64_t size, const char *witness, const char *line, const char *now);
	int (*cosignature_each)(void *impl, uint64_t size, custos_store_row_fn fn, void *ctx);
	int (*witness_get)(void *impl, const char *origin, char **vkey, uint64_t *size, uint8_t root[32]);
	int (*witness_put)(void *impl, const char *origin, const char *vkey, uint64_t size, const uint8_t root[32],
			   const char *now);
	int (*record_put)(void *impl, const char *kind, const char *id, const char *body);
	int (*record_get)(void *impl, const char *kind, const char *id, char **body);
	int (*record_each)(void *impl, const char *kind, const char *prefix, custos_store_row_fn fn, void *ctx);
} custos_store_ops;

extern const custos_store_ops custos_store_sqlite_ops;

/* Latest schema version a backend knows (the length of its migration list). */
int custos_store_sqlite_latest_version(void);

#endif
