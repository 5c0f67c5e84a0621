/* custos/store.h — the one storage interface; SQLite is the embedded default. */
#ifndef CUSTOS_STORE_H
#define CUSTOS_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct custos_store custos_store;

/*
 * Opens the store named by `uri`: a file path (SQLite, WAL mode), or a
 * PostgreSQL database: a postgresql:// (or postgres://) URI, or libpq's
 * key=value words ("host=db dbname=custos"); see docs/DEPLOY.md.
 * With `create` set a missing store is created; otherwise a missing store is
 * CUSTOS_ENOTFOUND ("run custos init"). Schema migrations run on open.
 */
int custos_store_open(custos_store **out, const char *uri, int create);
void custos_store_close(custos_store *st);

/* The store's URI as messages show it: a password in it (user:secret@, password=secret) as "***". */
void custos_store_uri_shown(const char *uri, char *out, size_t cap);

/* The store named by --store, else $CUSTOS_STORE, else "./custos.db". */
const char *custos_store_default_uri(const char *flag);

/*
 * The transaction contract, which every backend meets (the PostgreSQL one
 * too):
 *
 * - Who writes. Any number of handles, in any number of processes, may have
 *   the store open; each handle belongs to one thread at a time. Writes
 *   happen only inside custos_store_begin ... commit/rollback, and at most one
 *   write transaction is open on a store at any moment, across every handle
 *   and process (SQLite: BEGIN IMMEDIATE; a second writer waits, polling
 *   for up to 30 s, then gets an error and writes nothing).
 * - What a write transaction sees. Everything committed before its begin,
 *   and nothing another writer commits before it ends: it decides under the
 *   lock, so the log's next index, the tree's right edge and every check
 *   made inside it (the filer, a claimed request, what changed since a
 *   snapshot) hold until its commit.
 * - What a commit guarantees. All of the transaction's events and
 *   projection rows, or none: a failure anywhere, a rollback, a crash or a
 *   kill before the commit returns leaves the store as it was. Once commit
 *   returns 0 the transaction is durable (SQLite: WAL, synchronous=FULL)
 *   and every later transaction sees it.
 * - Events. Appended with dense indexes from the log's size at begin, never
 *   changed afterwards except for the erasure of a payload (its hash stays);
 *   the projection tables (registry, rule sets, measures, records, requests,
 *   access index) change only in the same transaction as the event that
 *   causes the change.
 * - Reads. custos_store_begin_read opens one consistent snapshot for many
 *   reads; a read outside any transaction sees the latest commit.
 */
/* Transactions: every change happens inside one. Not nested. */
int custos_store_begin(custos_store *st);
/*
 * A signed request that changes state is accepted once, ever: the server sets
 * its key (the hash of its signature) on its store handle before the library
 * call, and the next write transaction claims it under the write lock, in the
 * same transaction as its effect. A key claimed before makes that begin fail
 * with CUSTOS_EEXISTS ("replayed ... (event N)", N the first event the first
 * acceptance wrote), so nothing is written; a transaction that rolls back
 * releases the claim. The key is forgotten after that begin; NULL clears it.
 */
int custos_store_set_request(custos_store *st, const char *key);
/*
 * The claim is logged: the commit of a transaction that claimed a request
 * appends a "request.accepted" event ({"key", "first"}), so that the table of
 * requests is a projection of the log like the others. This puts a row of it
 * (the projection's side; CUSTOS_EEXISTS if the key is there already).
 */
int custos_store_request_put(custos_store *st, const char *key, int64_t first);
/* A read-only transaction: one consistent snapshot for many reads (end it with commit or rollback). */
int custos_store_begin_read(custos_store *st);
/* True inside custos_store_begin or _begin_read, until commit or rollback. */
int custos_store_in_transaction(const custos_store *st);
int custos_store_commit(custos_store *st);
int custos_store_rollback(custos_store *st);
/* Rolls back after a failure, keeping the failure's message over anything the rollback says; returns rc. */
int custos_store_abort(custos_store *st, int rc);

/* Schema version after migrations. */
int custos_store_schema_version(custos_store *st);

/* Small key/value settings (log origin, current rules hash, ...). */
int custos_store_meta_get(custos_store *st, const char *key, char **out); /* ENOTFOUND if unset */
int custos_store_meta_set(custos_store *st, const char *key, const char *value);

/* Parties, stored as their canonical registry line, keyed by id. */
int custos_store_party_put(custos_store *st, const char *id, const char *line);
int custos_store_party_get(custos_store *st, const char *id, char **line);
typedef int (*custos_store_row_fn)(void *ctx, const char *key, const char *value);
/* Calls fn for each party in id order; a non-zero return from fn stops and is returned. */
int custos_store_party_each(custos_store *st, custos_store_row_fn fn, void *ctx);
int64_t custos_store_party_count(custos_store *st);

/* Rule sets ever loaded, by hash, with their canonical text and when first loaded (a second put keeps the first). */
int custos_store_rules_put(custos_store *st, const char *hash, const char *canonical, const char *loaded_at);
int custos_store_rules_get(custos_store *st, const char *hash, char **canonical); /* ENOTFOUND if unknown */

/* Measures: the filed JSON, the decision JSON and the life-cycle state. */
typedef struct custos_store_measure {
	char *id;
	char *measure;  /* canonical measure JSON */
	char *decision; /* decision JSON */
	char *state;    /* "forbidden", "pending", "permitted", ... */
	char *filed_at; /* RFC 3339 UTC */
} custos_store_measure;

/*
 * The id the next measure filed takes ("M-000001", ...): the number after
 * the last measure.filed event's, so that it comes from the log, never from
 * the table (a deleted row gives its id to nobody).
 */
int custos_store_measure_next_id(custos_store *st, char id[16]);
/*
 * Stores the row of measure `id` ("M-" and its filing number, which is also
 * its place in filing order), or replaces its measure, decision and state.
 */
int custos_store_measure_put(custos_store *st, const char *id, const char *measure, const char *decision,
			     const char *state, const char *filed_at);
/* Sets the life-cycle state of a measure (ENOTFOUND if there is no such measure). */
int custos_store_measure_set_state(custos_store *st, const char *id, const char *state);
int custos_store_measure_get(custos_store *st, custos_store_measure *out, const char *id);
typedef int (*custos_store_measure_fn)(void *ctx, const custos_store_measure *m);
int custos_store_measure_each(custos_store *st, custos_store_measure_fn fn, void *ctx);
/* The measures filed after measure `after`, in filing order; CUSTOS_ENOTFOUND if `after` does not exist. */
int custos_store_measure_each_after(custos_store *st, const char *after, custos_store_measure_fn fn, void *ctx);
void custos_store_measure_dispose(custos_store_measure *m);

/*
 * Who may be shown a measure, indexed so that a listing reads only the
 * measures that concern its reader: keys "authority:A" (its requesting
 * authority), "role:R" (a role its approvals ever asked) and "principal:P"
 * (a principal who signed for it). The workflow adds keys as a measure's
 * life changes; adding one twice is harmless. It over-approximates (a role
 * once asked stays): the reader's exact rights are checked on what it reads.
 */
int custos_store_access_add(custos_store *st, const char *id, const char *who);
/* Forgets every key of measure `id` (its data erased). */
int custos_store_access_clear(custos_store *st, const char *id);
/* The measures after `after` (NULL: from the first) that one of the nwho keys was added for, in filing order. */
int custos_store_measure_each_visible(custos_store *st, const char *after, const char *const *who, size_t nwho,
				      custos_store_measure_fn fn, void *ctx);

/*
 * The append-only events table. `payload` is JSON; its SHA-256 is stored
 * beside it. *index_out receives the event's index (0-based, dense): the
 * size of the tree's right edge kept in the handle, checked against the
 * stored log at the first append of each write transaction.
 */
int custos_store_event_append(custos_store *st, const char *type, const char *actor, const char *ref,
			      const char *payload, int64_t *index_out);
/* The time (RFC 3339 UTC) recorded on the last event this handle appended ("" before any). */
const char *custos_store_event_time(const custos_store *st);
typedef struct custos_store_event {
	int64_t index;
	char *type, *time, *actor, *ref, *payload, *payload_hash;
} custos_store_event;
typedef int (*custos_store_event_fn)(void *ctx, const custos_store_event *e);
/*
 * Appends another store's event as it is (its time, actor, ref, payload and
 * payload hash; an erased payload '' with the hash its leaf was made of), at
 * the index it had there, which must be this log's next: copying a log
 * (`custos store copy`) inside a write transaction. The payload must hash
 * to its payload_hash.
 */
int custos_store_event_copy(custos_store *st, const custos_store_event *e);
int custos_store_event_each(custos_store *st, custos_store_event_fn fn, void *ctx);
int64_t custos_store_event_count(custos_store *st);

/*
 * The Merkle log kept beside the events. Every event appended is a leaf
 * (its record is custos/leaf.h's), and every complete subtree hash is
 * stored, in tiles of height 8 (C2SP tlog-tiles numbering; docs/LOG.md):
 * the handle keeps the partial tiles of the right edge in memory and writes
 * each one that grew once per commit, in the same transaction as the
 * events, so that tree heads and proofs cost a few tile reads (and reads
 * are cached by whole tile).
 */
int64_t custos_store_log_size(custos_store *st); /* the number of leaves (= events), or < 0 on error */
/*
 * True when this handle already knows the log holds at least `size` leaves,
 * committed (it has seen that size, or committed it). A log only grows and
 * the hashes of a committed tree never change, so reads for such a tree need
 * no snapshot; false means: ask custos_store_log_size.
 */
int custos_store_log_known(const custos_store *st, uint64_t size);
/* The hash of the complete subtree (level, index); CUSTOS_ENOTFOUND if not stored. */
int custos_store_log_node(custos_store *st, unsigned level, uint64_t index, uint8_t hash[32]);
/*
 * Every stored log node, tile by tile (tile level, then index), each tile's
 * nodes children before parents: at any one level, in ascending index.
 */
typedef int (*custos_store_node_fn)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32]);
int custos_store_log_node_each(custos_store *st, custos_store_node_fn fn, void *ctx);
/* One event by index (CUSTOS_ENOTFOUND past the end); dispose with custos_store_event_dispose. */
int custos_store_event_get(custos_store *st, int64_t index, custos_store_event *out);
void custos_store_event_dispose(custos_store_event *e);
/*
 * The index of the first event at or after `from` whose type starts with
 * `prefix` ("registry."), into *index; CUSTOS_ENOTFOUND when there is none.
 */
int custos_store_event_find(custos_store *st, int64_t from, const char *prefix, int64_t *index);
/* Erases the payload of event `index` (its hash, and so every proof, stays). */
int custos_store_event_erase(custos_store *st, int64_t index);

/* Signed checkpoints, newest last; a size is signed at most once. */
int custos_store_checkpoint_put(custos_store *st, uint64_t size, const char *note);
int custos_store_checkpoint_latest(custos_store *st, uint64_t *size, char **note); /* ENOTFOUND if none */
/* Every stored checkpoint, smallest size first; a non-zero return from fn stops and is returned. */
typedef int (*custos_store_checkpoint_fn)(void *ctx, uint64_t size, const char *note);
int custos_store_checkpoint_each(custos_store *st, custos_store_checkpoint_fn fn, void *ctx);
/* Witness cosignature lines received for the checkpoint of `size`. */
int custos_store_cosignature_put(custos_store *st, uint64_t size, const char *witness, const char *line);
int custos_store_cosignature_each(custos_store *st, uint64_t size, custos_store_row_fn fn, void *ctx);

/* The witness side: per log origin, its verifier key and the last size and root cosigned. */
int custos_store_witness_get(custos_store *st, const char *origin, char **vkey, uint64_t *size, uint8_t root[32]);
int custos_store_witness_put(custos_store *st, const char *origin, const char *vkey, uint64_t size,
			     const uint8_t root[32], const char *at);

/*
 * Records of the workflow (principals, signed statements, authorisations,
 * the life of each measure): a JSON body by kind and id. Every change to a
 * record goes with the event that causes it, in one transaction; the log is
 * the truth and `verify` checks the records against it.
 */
int custos_store_record_put(custos_store *st, const char *kind, const char *id, const char *body); /* upsert */
int custos_store_record_get(custos_store *st, const char *kind, const char *id, char **body); /* ENOTFOUND */
/* Calls fn(ctx, id, body) for each record of `kind` whose id starts with `prefix` (NULL: all), by id. */
int custos_store_record_each(custos_store *st, const char *kind, const char *prefix, custos_store_row_fn fn,
			     void *ctx);
/* Deletes record (kind, id); with `prefix` set, every record of `kind` whose id starts with `id`. */
int custos_store_record_delete(custos_store *st, const char *kind, const char *id, int prefix);

/*
 * The projections: every table custos reads as state (registry, rule sets,
 * measures, records, the access index, the rule set in force) is a fold of
 * the log's events, rebuilt by `custos store rebuild` and checked row for row
 * by `custos log verify`. These name them, in the order they are checked.
 */
extern const char *const custos_store_projections[];
/*
 * Each row of projection `table`, ordered by key (bytewise): its key and its
 * fields (names and values, as text); a non-zero return from fn stops.
 */
typedef int (*custos_store_projection_fn)(void *ctx, const char *key, const char *const *names,
					  const char *const *values, size_t n);
int custos_store_projection_each(custos_store *st, const char *table, custos_store_projection_fn fn, void *ctx);
/* Empties every projection (inside a write transaction), for a rebuild; the registry too unless flags say keep it. */
#define CUSTOS_STORE_KEEP_PARTIES 1u
int custos_store_projection_clear(custos_store *st, unsigned flags);

#endif
