/* test_store.c — the SQLite store on real files: schema, meta, parties, measures, events, transactions, log tiles, group commit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "custos/error.h"
#include "custos/model.h"
#include "custos/leaf.h"
#include "custos/log.h"
#include "custos/merkle.h"
#include "custos/store.h"
#include "util/util.h"

static char tmpdir[256];
static int db_counter;

/* A fresh path in the test's temporary directory. */
static void new_path(char *out, size_t n)
{
	snprintf(out, n, "%s/s%d.db", tmpdir, ++db_counter);
}

static custos_store *open_new(char *path, size_t n)
{
	custos_store *st = NULL;
	new_path(path, n);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	assert_non_null(st);
	return st;
}

/* A clock that reads before 1970: what custos_time_now refuses (a failing append, on purpose). */
static int64_t broken_clock(void *ctx)
{
	(void)ctx;
	return -1;
}

/* Runs SQL on a second, raw connection; returns the SQLite result and copies the error. */
static int raw_exec(const char *path, const char *sql, char *err, size_t errn)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (err)
		snprintf(err, errn, "%s", msg ? msg : "");
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void test_open_missing(void **state)
{
	char path[512];
	custos_store *st = (custos_store *)1;
	new_path(path, sizeof(path));
	assert_int_equal(custos_store_open(&st, path, 0), CUSTOS_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(custos_error_last(), "does not exist (run 'custos init')"));
	assert_non_null(strstr(custos_error_last(), path));
	assert_int_not_equal(access(path, F_OK), 0); /* nothing was created */
}

static void test_open_postgres(void **state)
{
	custos_store *st = NULL;
	/* a PostgreSQL URI goes to libpq (port 1 of 127.0.0.1: nobody listens), and its failure is one line */
	assert_int_equal(custos_store_open(&st, "postgresql://u@127.0.0.1:1/custos", 1), CUSTOS_ERROR);
	assert_non_null(strstr(custos_error_last(), "store: cannot connect to PostgreSQL: "));
	assert_null(strchr(custos_error_last(), '\n'));
	assert_int_equal(custos_store_open(&st, "postgres://127.0.0.1:1/x", 0), CUSTOS_ERROR);
	assert_non_null(strstr(custos_error_last(), "cannot connect to PostgreSQL"));
	/* so do libpq's key=value words; a file name with '=' in it stays a file */
	assert_int_equal(custos_store_open(&st, "host=127.0.0.1 port=1 dbname=x", 0), CUSTOS_ERROR);
	assert_non_null(strstr(custos_error_last(), "cannot connect to PostgreSQL"));
	assert_int_equal(custos_store_open(&st, "nokeyword=1", 0), CUSTOS_ENOTFOUND);
	assert_non_null(strstr(custos_error_last(), "store 'nokeyword=1' does not exist"));
	assert_null(st);
}

static void test_uri_shown(void **state)
{
	char out[256];
	custos_store_uri_shown("postgresql://app:s3cret@db.example:5432/custos?sslmode=require", out, sizeof(out));
	assert_string_equal(out, "postgresql://app:***@db.example:5432/custos?sslmode=require");
	custos_store_uri_shown("postgresql://db/custos?user=app&password=s3cret&sslmode=require", out, sizeof(out));
	assert_string_equal(out, "postgresql://db/custos?user=app&password=***&sslmode=require");
	custos_store_uri_shown("host=db password=s3cret dbname=custos", out, sizeof(out));
	assert_string_equal(out, "host=db password=*** dbname=custos");
	custos_store_uri_shown("/var/lib/custos/custos.db", out, sizeof(out));
	assert_string_equal(out, "/var/lib/custos/custos.db");
	custos_store_uri_shown("postgresql://app@db/custos", out, 12);
	assert_string_equal(out, "postgresql:");
}

static void test_default_uri(void **state)
{
	unsetenv("CUSTOS_STORE");
	assert_string_equal(custos_store_default_uri(NULL), "./custos.db");
	setenv("CUSTOS_STORE", "", 1);
	assert_string_equal(custos_store_default_uri(NULL), "./custos.db");
	setenv("CUSTOS_STORE", "/x/env.db", 1);
	assert_string_equal(custos_store_default_uri(NULL), "/x/env.db");
	assert_string_equal(custos_store_default_uri("flag.db"), "flag.db");
	unsetenv("CUSTOS_STORE");
}

static void test_schema_and_reopen(void **state)
{
	char path[512];
	custos_store *st = open_new(path, sizeof(path));
	int v = custos_store_schema_version(st);
	assert_true(v >= 1);
	custos_store_close(st);

	assert_int_equal(raw_int(path, "PRAGMA user_version"), v);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
				       "('meta','parties','rulesets','measures','events')"),
			 5);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"), 2);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);

	/* Reopening (with and without create) migrates nothing and loses nothing. */
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_store_meta_set(st, "k", "v"), 0);
	assert_int_equal(custos_store_schema_version(st), v);
	custos_store_close(st);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	assert_int_equal(custos_store_schema_version(st), v);
	char *val = NULL;
	assert_int_equal(custos_store_meta_get(st, "k", &val), 0);
	assert_string_equal(val, "v");
	free(val);
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"), 2);
}

static void test_not_a_store(void **state)
{
	char path[512];
	custos_store *st = NULL;
	FILE *f;

	/* Garbage bytes. */
	new_path(path, sizeof(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all\n", f);
	fclose(f);
	assert_int_equal(custos_store_open(&st, path, 0), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "is not a custos store"));
	assert_int_equal(custos_store_open(&st, path, 1), CUSTOS_EINVALID);

	/* Another application's SQLite database. */
	new_path(path, sizeof(path));
	assert_int_equal(raw_exec(path, "CREATE TABLE other(x)", NULL, 0), SQLITE_OK);
	assert_int_equal(custos_store_open(&st, path, 1), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "not a custos store"));
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master"), 1); /* untouched */

	/* An empty file without create. */
	new_path(path, sizeof(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(custos_store_open(&st, path, 0), CUSTOS_ENOTFOUND);
	assert_non_null(strstr(custos_error_last(), "custos init"));

	/* A directory. */
	assert_int_equal(custos_store_open(&st, tmpdir, 1), CUSTOS_EINVALID);
	assert_null(st);
}

static void test_newer_schema(void **state)
{
	char path[512];
	custos_store *st = open_new(path, sizeof(path));
	custos_store_close(st);
	assert_int_equal(raw_exec(path, "PRAGMA user_version = 999", NULL, 0), SQLITE_OK);
	assert_int_equal(custos_store_open(&st, path, 0), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "schema version 999"));
	assert_non_null(strstr(custos_error_last(), "newer"));
	assert_null(st);
}

static void test_meta(void **state)
{
	char path[512], *v = NULL;
	custos_store *st = open_new(path, sizeof(path));
	assert_int_equal(custos_store_meta_get(st, "log.origin", &v), CUSTOS_ENOTFOUND);
	assert_null(v);
	assert_non_null(strstr(custos_error_last(), "log.origin"));
	assert_int_equal(custos_store_meta_set(st, "log.origin", "custos.example/log"), 0);
	assert_int_equal(custos_store_meta_get(st, "log.origin", &v), 0);
	assert_string_equal(v, "custos.example/log");
	free(v);
	assert_int_equal(custos_store_meta_set(st, "log.origin", "second"), 0);
	assert_int_equal(custos_store_meta_get(st, "log.origin", &v), 0);
	assert_string_equal(v, "second");
	free(v);
	custos_store_close(st);
}

typedef struct rows {
	char keys[8][16];
	int n, stop_at;
} rows;

static int collect(void *ctx, const char *key, const char *value)
{
	rows *r = ctx;
	if (r->n == r->stop_at)
		return 42;
	snprintf(r->keys[r->n++], sizeof(r->keys[0]), "%s", key);
	return 0;
}

static void test_parties(void **state)
{
	char path[512], *line = NULL;
	custos_store *st = open_new(path, sizeof(path));
	rows r = {.stop_at = -1};

	assert_int_equal(custos_store_party_count(st), 0);
	assert_int_equal(custos_store_party_put(st, "P-2", "{\"id\":\"P-2\"}"), 0);
	assert_int_equal(custos_store_party_put(st, "P-10", "{\"id\":\"P-10\"}"), 0);
	assert_int_equal(custos_store_party_put(st, "A", "{\"id\":\"A\"}"), 0);
	assert_int_equal(custos_store_party_put(st, "P-2", "{\"id\":\"P-2\",\"v\":2}"), 0); /* upsert */
	assert_int_equal(custos_store_party_count(st), 3);

	assert_int_equal(custos_store_party_get(st, "P-2", &line), 0);
	assert_string_equal(line, "{\"id\":\"P-2\",\"v\":2}");
	free(line);
	assert_int_equal(custos_store_party_get(st, "nope", &line), CUSTOS_ENOTFOUND);
	assert_null(line);
	assert_string_equal(custos_error_last(), "no party 'nope'");

	assert_int_equal(custos_store_party_each(st, collect, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.keys[0], "A"); /* byte order of ids */
	assert_string_equal(r.keys[1], "P-10");
	assert_string_equal(r.keys[2], "P-2");

	/* A callback's non-zero return stops the walk and is returned. */
	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	assert_int_equal(custos_store_party_each(st, collect, &r), 42);
	assert_int_equal(r.n, 1);
	custos_store_close(st);
}

static int count_measure(void *ctx, const custos_store_measure *m)
{
	int *n = ctx;
	char want[16];
	snprintf(want, sizeof(want), "M-%06d", ++*n);
	assert_string_equal(m->id, want);
	return 0;
}

/* A measure row and its measure.filed event, as the workflow writes them: the next id follows the log's last filing. */
static int insert_filed(custos_store *st, char **id, const char *measure, const char *decision, const char *state)
{
	char next[16];
	int rc = custos_store_measure_next_id(st, next);
	if (!rc)
		rc = custos_store_measure_put(st, next, measure, decision, state, "2026-11-24T09:30:00Z");
	if (!rc)
		rc = custos_store_event_append(st, "measure.filed", NULL, next, measure, NULL);
	*id = rc ? NULL : strdup(next);
	return rc;
}

static void test_measures(void **state)
{
	char path[512], *id = NULL;
	custos_store *st = open_new(path, sizeof(path));
	custos_store_measure m;
	int n = 0;

	assert_int_equal(custos_clock_pin("2026-11-24T09:30:00Z"), 0);
	assert_int_equal(insert_filed(st, &id, "{\"kind\":\"search\"}", "{\"outcome\":\"permitted\"}",
						     "permitted"),
			 0);
	assert_string_equal(id, "M-000001");
	free(id);
	assert_int_equal(insert_filed(st, &id, "{}", "{}", "pending"), 0);
	assert_string_equal(id, "M-000002");
	free(id);

	assert_int_equal(custos_store_measure_get(st, &m, "M-000001"), 0);
	assert_string_equal(m.id, "M-000001");
	assert_string_equal(m.measure, "{\"kind\":\"search\"}");
	assert_string_equal(m.decision, "{\"outcome\":\"permitted\"}");
	assert_string_equal(m.state, "permitted");
	assert_string_equal(m.filed_at, "2026-11-24T09:30:00Z");
	custos_store_measure_dispose(&m);

	assert_int_equal(custos_store_measure_put(st, "M-000002", "{}", "{\"x\":1}", "pending", "2030-01-01T00:00:00Z"), 0);
	assert_int_equal(custos_store_measure_set_state(st, "M-000002", "authorised"), 0);
	assert_int_equal(custos_store_measure_get(st, &m, "M-000002"), 0);
	assert_string_equal(m.decision, "{\"x\":1}");
	assert_string_equal(m.state, "authorised");
	custos_store_measure_dispose(&m);

	assert_int_equal(custos_store_measure_get(st, &m, "M-000009"), CUSTOS_ENOTFOUND);
	assert_string_equal(custos_error_last(), "no measure 'M-000009'");
	assert_int_equal(custos_store_measure_put(st, "X-1", "{}", "{}", "pending", "2030-01-01T00:00:00Z"), CUSTOS_EINVALID);
	assert_int_equal(custos_store_measure_set_state(st, "M-000009", "x"), CUSTOS_ENOTFOUND);

	assert_int_equal(custos_store_measure_each(st, count_measure, &n), 0);
	assert_int_equal(n, 2);
	custos_store_close(st);

	/* The sequence continues after a reopen. */
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(insert_filed(st, &id, "{}", "{}", "pending"), 0);
	assert_string_equal(id, "M-000003");
	free(id);
	/* a row deleted behind custos's back never gives its id to another measure: ids follow the log */
	{
		char err[256];
		assert_int_equal(raw_exec(path, "DELETE FROM measures WHERE id = 'M-000003'", err, sizeof(err)), SQLITE_OK);
		assert_int_equal(insert_filed(st, &id, "{}", "{}", "pending"), 0);
		assert_string_equal(id, "M-000004");
		free(id);
	}
	custos_store_close(st);
	custos_clock_set(NULL, NULL);
}

typedef struct ev_seen {
	int n;
} ev_seen;

static int check_event(void *ctx, const custos_store_event *e)
{
	ev_seen *s = ctx;
	uint8_t d[32];
	char want[72];
	assert_int_equal(e->index, s->n);
	custos_sha256(d, e->payload, strlen(e->payload));
	custos_sha256_label(want, d);
	assert_string_equal(e->payload_hash, want);
	assert_string_equal(e->time, "2026-11-24T10:00:00Z");
	if (e->index == 1) {
		assert_null(e->actor);
		assert_null(e->ref);
	} else {
		assert_string_equal(e->actor, "alice");
		assert_string_equal(e->ref, "M-000001");
	}
	s->n++;
	return 0;
}

static void test_events(void **state)
{
	char path[512], err[256];
	custos_store *st = open_new(path, sizeof(path));
	int64_t idx = -5;
	ev_seen seen = {0};

	assert_int_equal(custos_clock_pin("2026-11-24T10:00:00Z"), 0);
	assert_int_equal(custos_store_event_count(st), 0);
	assert_int_equal(custos_store_event_append(st, "measure.filed", "alice", "M-000001", "{\"a\":1}", &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(custos_store_event_append(st, "registry.import", NULL, NULL, "{\"b\":2}", &idx), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(custos_store_event_append(st, "measure.decided", "alice", "M-000001", "{}", &idx), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(custos_store_event_count(st), 3);
	assert_int_equal(custos_store_event_each(st, check_event, &seen), 0);
	assert_int_equal(seen.n, 3);

	/* The known hash of "{}" (SHA-256). */
	assert_int_equal(raw_int(path, "SELECT payload_hash = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c"
				       "060f61caaff8a' FROM events WHERE idx = 2"),
			 1);

	/* A clock reading outside 1970-9999 is refused, and nothing is appended. */
	custos_clock_set(broken_clock, NULL);
	assert_int_equal(custos_store_event_append(st, "x", NULL, NULL, "{}", &idx), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "the clock reads -1"));
	assert_int_equal(custos_clock_pin("2026-11-24T10:00:00Z"), 0);
	assert_int_equal(custos_store_event_count(st), 3);
	custos_store_close(st);

	/* The triggers refuse edits and deletions, and gaps in the index. */
	assert_int_not_equal(raw_exec(path, "UPDATE events SET payload = '{}' WHERE idx = 0", err, sizeof(err)), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	assert_int_not_equal(raw_exec(path, "DELETE FROM events WHERE idx = 2", err, sizeof(err)), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	assert_int_not_equal(raw_exec(path, "DELETE FROM events", err, sizeof(err)), SQLITE_OK);
	/* a second event at a taken index (two writers colliding) is refused by the primary key */
	assert_int_not_equal(raw_exec(path,
				      "INSERT INTO events(idx, type, time, payload, payload_hash) "
				      "VALUES(2, 't', 't', '{}', 'h')",
				      err, sizeof(err)),
			     SQLITE_OK);
	assert_non_null(strstr(err, "UNIQUE"));
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM events"), 3);
	assert_int_equal(raw_int(path, "SELECT payload = '{\"a\":1}' FROM events WHERE idx = 0"), 1);
	custos_clock_set(NULL, NULL);
}

static void test_transactions(void **state)
{
	char path[512], *v = NULL, *id = NULL;
	custos_store *st = open_new(path, sizeof(path));

	/* Rolled back: nothing of it remains. */
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(custos_store_begin(st), CUSTOS_ERROR); /* not nested */
	assert_int_equal(custos_store_party_put(st, "P-1", "{}"), 0);
	assert_int_equal(custos_store_meta_set(st, "k", "v"), 0);
	assert_int_equal(custos_store_event_append(st, "t", NULL, NULL, "{}", NULL), 0);
	assert_int_equal(insert_filed(st, &id, "{}", "{}", "pending"), 0);
	free(id);
	assert_int_equal(custos_store_rules_put(st, "sha256:00", "rules", "2026-11-24T09:30:00Z"), 0);
	assert_int_equal(custos_store_party_count(st), 1); /* visible inside */
	assert_int_equal(custos_store_rollback(st), 0);
	assert_int_equal(custos_store_party_count(st), 0);
	assert_int_equal(custos_store_event_count(st), 0);
	assert_int_equal(custos_store_meta_get(st, "k", &v), CUSTOS_ENOTFOUND);
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM measures"), 0);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM rulesets"), 0);

	/* Committed: all of it remains, and the next event index is still 0-based dense. */
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(custos_store_party_put(st, "P-1", "{}"), 0);
	int64_t idx = -1;
	assert_int_equal(custos_store_event_append(st, "t", NULL, NULL, "{}", &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(custos_store_commit(st), 0);
	assert_int_equal(custos_store_commit(st), CUSTOS_ERROR); /* nothing open */
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM parties"), 1);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM events"), 1);
}

static void test_rules(void **state)
{
	char path[512];
	custos_store *st = open_new(path, sizeof(path));
	assert_int_equal(custos_store_rules_put(st, "sha256:ab", "rule a", "2026-11-24T09:30:00Z"), 0);
	assert_int_equal(custos_store_rules_put(st, "sha256:ab", "rule a", "2026-11-25T09:30:00Z"), 0); /* idempotent */
	assert_int_equal(custos_store_rules_put(st, "sha256:cd", "rule c", "2026-11-24T09:30:00Z"), 0);
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM rulesets"), 2);
}

/* Two handles on one file: a write through one is seen by the other (WAL, busy timeout). */
static void test_two_handles(void **state)
{
	char path[512], *line = NULL;
	custos_store *a = open_new(path, sizeof(path)), *b = NULL;
	assert_int_equal(custos_store_open(&b, path, 0), 0);
	assert_int_equal(custos_store_party_put(a, "P-1", "one"), 0);
	assert_int_equal(custos_store_party_get(b, "P-1", &line), 0);
	assert_string_equal(line, "one");
	free(line);
	custos_store_close(a);
	custos_store_close(b);
}

/* ---- the log's tiles: proofs from the store against the recursive definition of RFC 6962 ---- */

#define LT_MAX 300
#define LT_TIME "2026-11-24T10:00:00Z"

static custos_hash lt_leaves[LT_MAX + 64]; /* the leaves the store should hold (and, past lt_n, trial ones) */
static size_t lt_n;			    /* leaves committed */
#define REF_MAX (LT_MAX + 64)
#include "merkle_ref.h"

/* The leaf hash of event i as the store must compute it (custos/leaf.h record, RFC 6962 leaf hash). */
static void lt_leaf(uint64_t i, const char *payload, custos_hash *out)
{
	char leaf[1024], label[72];
	uint8_t d[32];
	size_t len;
	custos_sha256(d, payload, strlen(payload));
	custos_sha256_label(label, d);
	assert_int_equal(custos_leaf_format(leaf, &len, sizeof(leaf), (int64_t)i, "test.tile", LT_TIME, "tester", NULL, label),
			 0);
	custos_merkle_leaf_hash(out, leaf, len);
}

/* The tree head, every inclusion proof and every consistency proof of the tree of `size` leaves. */
static void lt_check_size(custos_store *st, uint64_t size)
{
	custos_hash *proof = NULL, root, want;
	size_t n;
	uint64_t got_size;
	for (uint64_t i = 0; i < size; i++) {
		plist r = {.n = 0};
		ref_path(&r, i, 0, size);
		assert_int_equal(custos_log_prove(st, i, size, &proof, &n), 0);
		assert_int_equal(n, r.n);
		assert_memory_equal(proof, r.h, n * sizeof(custos_hash));
		free(proof);
	}
	for (uint64_t m = 1; m <= size; m++) {
		plist r = {.n = 0};
		if (m < size)
			ref_subproof(&r, m, 0, size, 1);
		assert_int_equal(custos_log_consistency(st, m, size, &proof, &n), 0);
		assert_int_equal(n, r.n);
		assert_memory_equal(proof, r.h, n * sizeof(custos_hash));
		free(proof);
	}
	if (size == (uint64_t)custos_store_log_size(st)) {
		assert_int_equal(custos_log_head(st, &got_size, &root), 0);
		want = ref_mth(0, size);
		assert_int_equal(got_size, size);
		assert_memory_equal(root.b, want.b, 32);
	}
}

/* Appends k events in one transaction; commits them, or checks the tree inside the transaction and rolls back. */
static void lt_append(custos_store *st, size_t k, int commit)
{
	char payload[96];
	int64_t idx;
	assert_int_equal(custos_store_begin(st), 0);
	for (size_t j = 0; j < k; j++) {
		snprintf(payload, sizeof(payload), "{\"i\":%zu,\"kept\":%s}", lt_n + j, commit ? "true" : "false");
		assert_int_equal(custos_store_event_append(st, "test.tile", "tester", NULL, payload, &idx), 0);
		assert_int_equal(idx, (int64_t)(lt_n + j));
		lt_leaf(lt_n + j, payload, &lt_leaves[lt_n + j]);
	}
	if (commit) {
		assert_int_equal(custos_store_commit(st), 0);
		lt_n += k;
		return;
	}
	/* inside the transaction the edge tiles (not yet written) serve the proofs */
	ref_reset(lt_leaves);
	lt_check_size(st, lt_n + k);
	assert_int_equal(custos_store_rollback(st), 0);
	ref_reset(lt_leaves);
}

static void test_log_tiles(void **state)
{
	char path[512], err[256];
	custos_store *a = open_new(path, sizeof(path)), *b = NULL, *c = NULL;
	static const size_t steps[] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 0};
	size_t step = 0;
	uint64_t checked = 0;

	assert_int_equal(custos_clock_pin(LT_TIME), 0);
	assert_int_equal(custos_store_open(&b, path, 0), 0);
	lt_n = 0;
	ref_reset(lt_leaves);
	/* commits of growing size, alternately through two handles (each one's right edge goes stale), a rollback */
	for (int round = 0; lt_n < LT_MAX; round++) {
		size_t k = steps[step] ? steps[step++] : 17;
		custos_store *w = round % 3 == 2 ? b : a, *r = w == a ? b : a;
		if (k > LT_MAX - lt_n)
			k = LT_MAX - lt_n;
		if (round == 7)
			lt_append(w, 40, 0); /* rolled back: the next events take its indexes with other leaves */
		lt_append(w, k, 1);
		lt_check_size(r, lt_n);
		lt_check_size(w, lt_n);
		/* an earlier size, read through a cache that has seen the larger one */
		lt_check_size(r, lt_n / 2 + 1);
	}
	custos_store_close(a);
	custos_store_close(b);

	/* a cold handle: every size, every proof; and verify agrees */
	assert_int_equal(custos_store_open(&c, path, 0), 0);
	for (uint64_t size = 1; size <= LT_MAX; size += size < 20 ? 1 : 7)
		lt_check_size(c, size);
	lt_check_size(c, LT_MAX);
	assert_int_equal(custos_log_verify(c, &checked), 0);
	assert_int_equal(checked, LT_MAX);
	custos_store_close(c);

	/* the tiles' shape: tile (0, 0) full (510 hashes), (0, 1) holds 44 leaves and their 41 parents, (1, 0) one */
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM log_tiles"), 3);
	assert_int_equal(raw_int(path, "SELECT length(hashes) FROM log_tiles WHERE level = 0 AND idx = 0"), 510 * 32);
	assert_int_equal(raw_int(path, "SELECT length(hashes) FROM log_tiles WHERE level = 0 AND idx = 1"), 85 * 32);
	assert_int_equal(raw_int(path, "SELECT length(hashes) FROM log_tiles WHERE level = 1 AND idx = 0"), 32);

	/* a stored tile only grows at its end, and is never deleted */
	assert_int_not_equal(raw_exec(path, "UPDATE log_tiles SET hashes = substr(hashes, 1, 64) WHERE level = 0 AND idx = 1",
				      err, sizeof(err)),
			     SQLITE_OK);
	assert_non_null(strstr(err, "UPDATE refused"));
	assert_int_not_equal(raw_exec(path,
				      "UPDATE log_tiles SET hashes = CAST(zeroblob(32) || substr(hashes, 33) AS BLOB) "
				      "WHERE level = 0 AND idx = 1",
				      err, sizeof(err)),
			     SQLITE_OK);
	assert_non_null(strstr(err, "UPDATE refused"));
	assert_int_not_equal(raw_exec(path,
				      "UPDATE log_tiles SET hashes = CAST(zeroblob(32) || substr(hashes, 33) || zeroblob(32)"
				      " AS BLOB) WHERE level = 0 AND idx = 1",
				      err, sizeof(err)),
			     SQLITE_OK);
	assert_non_null(strstr(err, "UPDATE refused"));
	assert_int_not_equal(raw_exec(path, "DELETE FROM log_tiles WHERE level = 1", err, sizeof(err)), SQLITE_OK);
	assert_non_null(strstr(err, "DELETE refused"));
	custos_clock_set(NULL, NULL);
}

/* ---- migration 3: a store of schema 2 (one log_nodes row per hash) moves into tiles ---- */

typedef struct {
	sqlite3_stmt *q;
} node_copy;

static int copy_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	node_copy *c = ctx;
	sqlite3_reset(c->q);
	sqlite3_bind_int(c->q, 1, (int)level);
	sqlite3_bind_int64(c->q, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(c->q, 3, hash, 32, SQLITE_TRANSIENT);
	return sqlite3_step(c->q) == SQLITE_DONE ? 0 : -1;
}

/* The log_nodes table and triggers of schema 2, exactly as migration 2 made them. */
static const char schema2_log[] =
	"CREATE TABLE log_nodes(level INTEGER NOT NULL CHECK (level >= 0 AND level < 64),"
	"  idx INTEGER NOT NULL CHECK (idx >= 0), hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes"
	"  BEGIN SELECT RAISE(ABORT, 'log nodes are append-only: UPDATE refused'); END;"
	"CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes"
	"  BEGIN SELECT RAISE(ABORT, 'log nodes are append-only: DELETE refused'); END;"
	"CREATE TRIGGER events_dense BEFORE INSERT ON events"
	"  WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM events)"
	"  BEGIN SELECT RAISE(ABORT, 'events: index must be the next dense index'); END;";

/* Builds a schema-2 store of LT_MAX events at `path`; `tamper` is SQL run on its log_nodes afterwards. */
static void make_schema2(const char *path, const char *tamper)
{
	custos_store *st = NULL;
	sqlite3 *db = NULL;
	node_copy c;
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	lt_n = 0;
	while (lt_n < LT_MAX)
		lt_append(st, 60, 1);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER log_tiles_no_update; DROP TRIGGER log_tiles_no_delete;"
				      "BEGIN; ALTER TABLE log_tiles RENAME TO old_tiles;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema2_log, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO log_nodes(level, idx, hash) VALUES(?1, ?2, ?3)", -1, &c.q,
					    NULL),
			 SQLITE_OK);
	/* the store's own walk over its tiles gives every node, which schema 2 kept one a row */
	assert_int_equal(custos_store_log_node_each(st, copy_node, &c), 0);
	sqlite3_finalize(c.q);
	custos_store_close(st);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE old_tiles; DROP TABLE records; DROP TABLE requests; DROP TABLE measure_access; PRAGMA user_version = 2; COMMIT;", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM log_nodes"), 2 * LT_MAX - 4); /* 2n - popcount(n) */
	if (tamper)
		assert_int_equal(sqlite3_exec(db, tamper, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A signed request is claimed by the next write transaction: once. A
 * transaction that rolls back releases it; a claimed one makes the next begin
 * fail, naming the event the first one wrote, with nothing written. The
 * commit of the first logs its acceptance.
 */
static void test_request_claims(void **state)
{
	char path[512];
	custos_store *st = open_new(path, sizeof(path));
	const char *key = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	int64_t idx;
	(void)state;
	assert_int_equal(custos_store_set_request(st, key), 0);
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(custos_store_event_append(st, "x", NULL, NULL, "{}", &idx), 0);
	assert_int_equal(custos_store_rollback(st), 0); /* not applied: the claim goes with it */
	assert_int_equal(custos_store_set_request(st, key), 0);
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(custos_store_event_append(st, "x", NULL, NULL, "{}", &idx), 0);
	assert_int_equal(custos_store_commit(st), 0);
	/* the key is forgotten after one begin: the next transaction claims nothing */
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(custos_store_commit(st), 0);
	assert_int_equal(custos_store_set_request(st, key), 0);
	assert_int_equal(custos_store_begin(st), CUSTOS_EEXISTS);
	assert_non_null(strstr(custos_error_last(), "replayed"));
	assert_non_null(strstr(custos_error_last(), "(event 0)"));
	assert_false(custos_store_in_transaction(st));
	/* the event written, and the acceptance its commit logged (requests are a projection of the log) */
	assert_int_equal(custos_store_event_count(st), 2);
	{
		custos_store_event e;
		assert_int_equal(custos_store_event_get(st, 1, &e), 0);
		assert_string_equal(e.type, "request.accepted");
		assert_non_null(strstr(e.payload, key));
		assert_non_null(strstr(e.payload, "\"first\":0"));
		custos_store_event_dispose(&e);
	}
	/* the rows cannot be deleted or changed behind custos's back */
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM requests"), 1);
	{
		char err[256];
		assert_int_not_equal(raw_exec(path, "DELETE FROM requests", err, sizeof(err)), SQLITE_OK);
		assert_non_null(strstr(err, "append-only"));
	}
}

/* Collects the ids a visible walk gives, space-separated. */
static int collect_id(void *ctx, const custos_store_measure *m)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s%s", n ? " " : "", m->id);
	return 0;
}

static void visible(custos_store *st, const char *after, const char *who, const char *want)
{
	char got[256] = "";
	assert_int_equal(custos_store_measure_each_visible(st, after, &who, 1, collect_id, got), 0);
	assert_string_equal(got, want);
}

/*
 * The access index: a walk reads only the measures a key was added for, in
 * filing order, after `after`; and a store from before the index (schema 5)
 * gets it filled from its measures' decisions and lives when opened.
 */
static void test_access_index(void **state)
{
	char path[512], *a = NULL, *b = NULL, err[256];
	custos_store *st = open_new(path, sizeof(path));
	(void)state;
	assert_int_equal(custos_store_begin(st), 0);
	assert_int_equal(insert_filed(st, &a, "{\"requested_by\":\"vsse\"}",
						     "{\"approvals\":[{\"role\":\"foreign_affairs\"}]}", "pending"),
			 0);
	assert_int_equal(insert_filed(st, &b, "{\"requested_by\":\"police\"}", "{\"approvals\":[]}",
						     "permitted"),
			 0);
	assert_int_equal(custos_store_record_put(st, "life", b, "{\"approvals\":[{\"role\":\"investigating_judge\"}],"
							    "\"signers\":{\"JUDGE-1\":\"investigating_judge\"}}"),
			 0);
	assert_int_equal(custos_store_access_add(st, a, "authority:vsse"), 0);
	assert_int_equal(custos_store_access_add(st, a, "authority:vsse"), 0); /* twice is harmless */
	assert_int_equal(custos_store_commit(st), 0);
	visible(st, NULL, "authority:vsse", a);
	visible(st, NULL, "authority:police", "");
	visible(st, a, "authority:vsse", "");
	assert_int_equal(custos_store_measure_each_visible(st, "M-999999", NULL, 0, collect_id, err), CUSTOS_ENOTFOUND);
	custos_store_close(st);
	/* back to schema 5, without the index: opening fills it from what is stored */
	assert_int_equal(raw_exec(path, "DROP TABLE measure_access; PRAGMA user_version = 5;", err, sizeof(err)), SQLITE_OK);
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	visible(st, NULL, "authority:vsse", a);
	visible(st, NULL, "authority:police", b);
	visible(st, NULL, "role:foreign_affairs", a);
	visible(st, NULL, "role:investigating_judge", b);
	visible(st, NULL, "principal:JUDGE-1", b);
	visible(st, NULL, "principal:FA-1", "");
	custos_store_close(st);
	free(a);
	free(b);
}

static void test_log_migration(void **state)
{
	char path[512];
	custos_store *st = NULL;
	uint64_t checked = 0;

	assert_int_equal(custos_clock_pin(LT_TIME), 0);
	ref_reset(lt_leaves);
	new_path(path, sizeof(path));
	make_schema2(path, NULL);
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_store_schema_version(st), 6); /* 3: tiles, 4: records, 5: requests, 6: measure_access */
	lt_check_size(st, LT_MAX);
	lt_check_size(st, 200);
	assert_int_equal(custos_log_verify(st, &checked), 0);
	assert_int_equal(checked, LT_MAX);
	/* and it goes on growing from the migrated tiles */
	lt_append(st, 30, 1);
	lt_check_size(st, lt_n);
	custos_store_close(st);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('log_nodes', 'events_dense')"),
			 0);
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM log_tiles"), 3);

	/* a node changed in the old table is still caught, at its index, after the move */
	new_path(path, sizeof(path));
	make_schema2(path, "DROP TRIGGER log_nodes_no_update; UPDATE log_nodes SET hash = zeroblob(32) "
			   "WHERE level = 1 AND idx = 70");
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_log_verify(st, &checked), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "event 140: the stored hash of level 1, index 70 was changed"));
	custos_store_close(st);

	/* so is a node missing from it (its place in the tile is left zero) */
	new_path(path, sizeof(path));
	make_schema2(path, "DROP TRIGGER log_nodes_no_delete; DELETE FROM log_nodes WHERE level = 0 AND idx = 10");
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_log_verify(st, &checked), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "event 10: its record does not match the leaf hash stored for it"));
	custos_store_close(st);
	custos_clock_set(NULL, NULL);
}

/* ---- group commit: many threads, several events a call, one bad event ---- */

enum { AP_THREADS = 6, AP_CALLS = 40 };

typedef struct {
	custos_appender *app;
	int id;
	int64_t first[AP_CALLS]; /* index of each call's first event, -1 if refused */
	size_t n[AP_CALLS];
	int refused;
} ap_thread;

static void *ap_run(void *arg)
{
	ap_thread *t = arg;
	char payload[8][64];
	custos_appender_event ev[8];
	int64_t idx[8];
	for (int c = 0; c < AP_CALLS; c++) {
		size_t n = (size_t)(c % 5) + 1;
		for (size_t i = 0; i < n; i++) {
			snprintf(payload[i], sizeof(payload[i]), "{\"t\":%d,\"c\":%d,\"i\":%zu}", t->id, c, i);
			ev[i] = (custos_appender_event){"test.group", "tester", NULL, payload[i]};
		}
		if (t->id == 0 && c == 7)
			ev[n - 1].actor = "bad\nactor"; /* refused before it is queued: it fails alone */
		t->n[c] = n;
		t->first[c] = -1;
		if (custos_appender_append_many(t->app, ev, n, idx) != 0) {
			t->refused++;
			for (size_t i = 0; i < n; i++)
				if (idx[i] != -1)
					return "a refused call reported an index";
			continue;
		}
		for (size_t i = 1; i < n; i++)
			if (idx[i] != idx[0] + (int64_t)i)
				return "one call's events are not consecutive";
		t->first[c] = idx[0];
	}
	return NULL;
}

static void test_appender(void **state)
{
	char path[512];
	custos_store *st = open_new(path, sizeof(path));
	custos_appender *app = NULL;
	pthread_t th[AP_THREADS];
	ap_thread t[AP_THREADS];
	uint8_t *seen;
	int64_t total = 0, refused = 0, idx;
	uint64_t checked = 0;

	custos_store_close(st);
	assert_int_equal(custos_appender_new(&app, path, 16), 0);
	for (int i = 0; i < AP_THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].app = app;
		t[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, ap_run, &t[i]), 0);
	}
	for (int i = 0; i < AP_THREADS; i++) {
		void *err = NULL;
		assert_int_equal(pthread_join(th[i], &err), 0);
		if (err)
			fail_msg("%s", (const char *)err);
	}
	/* a single append through the same appender, after the others */
	assert_int_equal(custos_appender_append(app, "test.group", NULL, NULL, "{}", &idx), 0);
	custos_appender_free(app);

	/* every acknowledged event is stored at its index, each index once; only the bad call is missing */
	seen = calloc(AP_THREADS * AP_CALLS * 5 + 1, 1);
	assert_non_null(seen);
	for (int i = 0; i < AP_THREADS; i++) {
		refused += t[i].refused;
		for (int c = 0; c < AP_CALLS; c++) {
			if (t[i].first[c] < 0)
				continue;
			for (size_t k = 0; k < t[i].n[c]; k++) {
				int64_t x = t[i].first[c] + (int64_t)k;
				assert_true(x >= 0 && x < AP_THREADS * AP_CALLS * 5);
				assert_int_equal(seen[x], 0);
				seen[x] = 1;
			}
			total += (int64_t)t[i].n[c];
		}
	}
	free(seen);
	assert_int_equal(refused, 1);
	assert_int_equal(idx, total);
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_store_event_count(st), total + 1);
	assert_int_equal(custos_log_verify(st, &checked), 0);
	assert_int_equal(checked, (uint64_t)total + 1);
	custos_store_close(st);
}

/* Appends n events "t.N" in one transaction. */
static void append_n(custos_store *st, int n, const char *what)
{
	int64_t idx;
	assert_int_equal(custos_store_begin(st), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(custos_store_event_append(st, "test.event", what, NULL, "{}", &idx), 0);
	assert_int_equal(custos_store_commit(st), 0);
}

/* Signs the current tree; returns the rc and, on success, checks the size signed. */
static int sign(custos_store *st, uint64_t want)
{
	char *note = NULL;
	int rc = custos_log_checkpoint(st, &note);
	if (!rc) {
		char size[24];
		snprintf(size, sizeof(size), "\n%llu\n", (unsigned long long)want);
		assert_non_null(strstr(note, size));
	}
	free(note);
	return rc;
}

static void expect_refused(int rc, const char *needle)
{
	assert_int_not_equal(rc, 0);
	if (!strstr(custos_error_last(), needle))
		fail_msg("message '%s' does not mention '%s'", custos_error_last(), needle);
}

/*
 * A store rolled back behind custos' back (a copy from before the last checkpoint, every hash in it
 * consistent) is caught through the checkpoint kept beside the log key: custos_log_checkpoint refuses to
 * sign it, smaller or forked, custos_log_check_pinned and custos_log_verify say so.
 */
static void test_log_rollback(void **state)
{
	char a[256], b[300], key[300], pin[320], sql[600];
	custos_store *st = open_new(a, sizeof(a));
	uint64_t checked;
	(void)state;
	snprintf(key, sizeof(key), "%s.log-key", a);
	snprintf(pin, sizeof(pin), "%s.checkpoint", key);
	snprintf(b, sizeof(b), "%s.old", a);
	assert_int_equal(custos_log_setup(st, "rollback.example/log", key), 0);
	append_n(st, 3, "a");
	assert_int_equal(sign(st, 3), 0);
	assert_int_equal(access(pin, R_OK), 0);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", b);
	assert_int_equal(raw_exec(a, sql, NULL, 0), SQLITE_OK);
	append_n(st, 2, "a");
	assert_int_equal(sign(st, 5), 0);
	assert_int_equal(custos_log_check_pinned(st), 0);
	custos_store_close(st);

	/* the old copy: same log, same key file, three events */
	assert_int_equal(custos_store_open(&st, b, 0), 0);
	expect_refused(custos_log_check_pinned(st), "the log holds 3 events, but custos signed a checkpoint of 5");
	expect_refused(sign(st, 0), "refusing to sign");
	expect_refused(custos_log_verify(st, &checked), "events 3 to 4 are gone");
	/* grown again with other events: the same size, then a larger one, neither extends what was signed */
	append_n(st, 2, "b");
	expect_refused(sign(st, 0), "not an extension of the checkpoint custos signed at size 5");
	expect_refused(custos_log_verify(st, &checked), "not an extension");
	append_n(st, 1, "b");
	expect_refused(sign(st, 0), "tree of size 6 is not an extension");
	custos_store_close(st);

	/* the real store goes on, and a kept checkpoint that is not the log's is an error, not ignored */
	assert_int_equal(custos_store_open(&st, a, 0), 0);
	append_n(st, 1, "a");
	assert_int_equal(sign(st, 6), 0);
	assert_int_equal(custos_log_verify(st, &checked), 0);
	{
		FILE *f = fopen(pin, "w");
		assert_non_null(f);
		fputs("rollback.example/log\n6\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 rollback.example/log AAAAAAAA\n", f);
		fclose(f);
	}
	expect_refused(custos_log_check_pinned(st), "signed checkpoint");
	expect_refused(sign(st, 0), "signed checkpoint");
	custos_store_close(st);

	/* a new store may not reuse a key that signed another store's checkpoints; a new key drops the stale one */
	st = open_new(b, sizeof(b));
	expect_refused(custos_log_setup(st, "rollback.example/log", key), "would fork that log");
	assert_int_equal(unlink(key), 0);
	assert_int_equal(custos_log_setup(st, "rollback.example/log", key), 0);
	assert_int_not_equal(access(pin, F_OK), 0);
	append_n(st, 1, "c");
	assert_int_equal(sign(st, 1), 0);
	assert_int_equal(custos_log_check_pinned(st), 0);
	custos_store_close(st);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/custos-store-XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing),  cmocka_unit_test(test_open_postgres),
		cmocka_unit_test(test_default_uri), cmocka_unit_test(test_uri_shown),   cmocka_unit_test(test_schema_and_reopen),
		cmocka_unit_test(test_not_a_store),   cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_meta),	      cmocka_unit_test(test_parties),
		cmocka_unit_test(test_measures),      cmocka_unit_test(test_events),
		cmocka_unit_test(test_transactions),  cmocka_unit_test(test_rules),
		cmocka_unit_test(test_two_handles),   cmocka_unit_test(test_log_tiles),
		cmocka_unit_test(test_request_claims), cmocka_unit_test(test_access_index),
		cmocka_unit_test(test_log_migration), cmocka_unit_test(test_appender),
		cmocka_unit_test(test_log_rollback),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
