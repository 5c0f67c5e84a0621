/* custos/log.h — the tamper-evident register: tree heads, signed checkpoints, proofs, verification, tiles, witnesses. */
#ifndef CUSTOS_LOG_H
#define CUSTOS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "custos/merkle.h"
#include "custos/store.h"

/*
 * Sets up the log of a new store: its origin (the checkpoint's first line and
 * the key name) and an Ed25519 signing key written to `key_path` with mode
 * 0600 (never printed). An existing key file is reused if it holds a key for
 * the same origin. Idempotent once set up.
 */
int custos_log_setup(custos_store *st, const char *origin, const char *key_path);

/*
 * The default origin for this host ("<hostname>/custos") and key path for a
 * store URI (malloc'd): beside a store file ("<file>.log-key"); for a
 * database server's store, <database>.log-key in the current directory.
 */
int custos_log_default_origin(char **out);
int custos_log_default_key_path(char **out, const char *store_uri);

/* The log's origin and verifier key ("name+hash+base64"), malloc'd. */
int custos_log_origin(custos_store *st, char **out);
int custos_log_vkey(custos_store *st, char **out);

/* The current tree: its size and root, from O(log n) stored hashes. */
int custos_log_head(custos_store *st, uint64_t *size, custos_hash *root);

/*
 * The latest signed checkpoint, followed by the witness cosignatures stored
 * for it. If the tree has grown since the last checkpoint, first signs a new
 * one — but only after proving the new tree consistent with the last signed
 * one, both the store's and the one kept beside the log key (a smaller or
 * inconsistent tree is never signed: CUSTOS_ERROR naming both sizes). The
 * new checkpoint is kept beside the key before it is returned.
 */
int custos_log_checkpoint(custos_store *st, char **note);
/*
 * The latest checkpoint stored and its cosignatures, as they are: what a
 * server that does not hold the log key serves (another server on the same
 * store signs). CUSTOS_ENOTFOUND when none is signed yet.
 */
int custos_log_checkpoint_stored(custos_store *st, char **note);

/*
 * Checks the store against the latest checkpoint custos signed, which it
 * keeps outside the store beside the log's key ("<key file>.checkpoint"):
 * CUSTOS_ERROR, naming both sizes, if the store holds fewer events than
 * that checkpoint (a rollback: a WAL cut short, a backup restored, a tail
 * deleted) or a tree that does not extend it. 0 when nothing was signed.
 */
int custos_log_check_pinned(custos_store *st);

/* The exact bytes of leaf `index` (what was hashed). malloc'd. */
int custos_log_entry(custos_store *st, uint64_t index, char **out, size_t *len);

/* Inclusion proof of `index` in the tree of `size` (0: current size); consistency proof old..new (new 0: current). */
int custos_log_prove(custos_store *st, uint64_t index, uint64_t size, custos_hash **proof, size_t *n);
int custos_log_consistency(custos_store *st, uint64_t old_size, uint64_t new_size, custos_hash **proof, size_t *n);

/* Proof hashes as text: one base64 hash a line, leaf sibling first (malloc'd). */
int custos_log_format_proof(char **out, const custos_hash *proof, size_t n);

/*
 * Recomputes every leaf from its stored record, every payload hash, every
 * stored node, and the latest checkpoint's root and signature. Returns 0, or
 * CUSTOS_EINVALID with a message naming the first bad index ("event 17: ...").
 * *checked receives the number of events checked.
 */
int custos_log_verify(custos_store *st, uint64_t *checked);
/*
 * The same, calling fn for each event in the one scan of the log, after
 * checking it: so that whatever else reads every event (the workflow's
 * replay) costs no second pass. The log's own findings come first; then the
 * first non-zero return of fn (its message kept), which also stops the calls.
 */
int custos_log_verify_each(custos_store *st, uint64_t *checked, custos_store_event_fn fn, void *ctx);

/* A C2SP tlog-proof receipt for leaf `index` against the latest checkpoint (signed first if needed). */
int custos_log_receipt(custos_store *st, uint64_t index, char **out);

/* Writes the C2SP tlog-tiles of the latest checkpoint under `dir`. */
int custos_log_tiles(custos_store *st, const char *dir);

/* Erases the payload of event `index` (retention ended); records a "log.erase" event. */
int custos_log_erase(custos_store *st, uint64_t index, const char *reason, const char *actor, int64_t *erase_index);

/* Witness keys this log accepts cosignatures from. */
int custos_log_witness_add(custos_store *st, const char *vkey);
/*
 * Applies one of the log's own events that set state beside it
 * ("log.witness_added", "witness.log_added", "witness.cosigned": the
 * witnesses of this log, and this store's state as a witness of others) to
 * the tables that are their projection; other events are no-ops.
 */
int custos_log_apply(custos_store *st, const custos_store_event *e);
/*
 * Stores the cosignatures in `text` (signature lines or a cosigned note) that
 * verify, under a known witness key, for the latest checkpoint. *stored gets
 * their number; none verifying is CUSTOS_EINVALID.
 */
int custos_log_cosignature_add(custos_store *st, const char *text, size_t len, size_t *stored);
/* The C2SP tlog-witness add-checkpoint request for the latest checkpoint, for a witness at `old_size`. */
int custos_log_witness_request(custos_store *st, uint64_t old_size, char **out);

/* This store's witness key (cosignature/v1 vkey of its log key), for logs to add. */
int custos_witness_vkey(custos_store *st, char **out);

/* The witness side: logs this store witnesses, and add-checkpoint (answers cosignature lines). */
int custos_witness_add_log(custos_store *st, const char *vkey);
/*
 * Handles an add-checkpoint request body. On success *response holds the
 * cosignature line(s). On a refusal returns CUSTOS_EINVALID with *status set
 * to the C2SP tlog-witness HTTP status (403, 404, 409 with *response holding
 * the witness's size, 422, 400).
 */
int custos_witness_handle(custos_store *st, const char *body, size_t len, char **response, int *status);

/*
 * Group commit: many threads append events through one appender; each call
 * returns only once its events are durable (committed and synced), and the
 * events that arrive while a commit is in flight share the next one. The
 * first caller to find no commit running leads the batch; the others wait,
 * and the batch adapts to how many callers keep coming back.
 */
typedef struct custos_appender custos_appender;

/* Opens its own connection to the store at `uri`; at most `max_batch` events share a commit. */
int custos_appender_new(custos_appender **out, const char *uri, size_t max_batch);
/* Appends one event (see custos_store_event_append); *index receives its index once durable. */
int custos_appender_append(custos_appender *a, const char *type, const char *actor, const char *ref,
			   const char *payload, int64_t *index);
/* One event for custos_appender_append_many (the fields of custos_store_event_append). */
typedef struct custos_appender_event {
	const char *type, *actor, *ref, *payload;
} custos_appender_event;
/*
 * Appends n events, in order and in one commit (shared with other callers'
 * events); indexes[i] receives the index of events[i] once all are durable.
 * All or nothing: on an error no event of the call is stored. One wait for
 * n events: a caller with several events to record (a server answering
 * pipelined requests, an import) pays one thread wake-up, not n.
 */
int custos_appender_append_many(custos_appender *a, const custos_appender_event *events, size_t n,
				int64_t *indexes);
void custos_appender_free(custos_appender *a);

#endif
