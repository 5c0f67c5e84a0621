/* test_store.c — the SQLite store on real files: schema, meta, parties, measures, events, transactions. */
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
	assert_int_equal(custos_store_open(&st, "postgresql://u@localhost/custos", 1), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "PostgreSQL store not built yet: postgresql://u@localhost/custos"));
	assert_int_equal(custos_store_open(&st, "postgres://x", 0), CUSTOS_EINVALID);
	assert_null(st);
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
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"), 3);
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
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"), 3);
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

static void test_measures(void **state)
{
	char path[512], *id = NULL;
	custos_store *st = open_new(path, sizeof(path));
	custos_store_measure m;
	int n = 0;

	setenv("CUSTOS_NOW", "2026-11-24T09:30:00Z", 1);
	assert_int_equal(custos_store_measure_insert(st, &id, "{\"kind\":\"search\"}", "{\"outcome\":\"permitted\"}",
						     "permitted"),
			 0);
	assert_string_equal(id, "M-000001");
	free(id);
	assert_int_equal(custos_store_measure_insert(st, &id, "{}", "{}", "pending"), 0);
	assert_string_equal(id, "M-000002");
	free(id);

	assert_int_equal(custos_store_measure_get(st, &m, "M-000001"), 0);
	assert_string_equal(m.id, "M-000001");
	assert_string_equal(m.measure, "{\"kind\":\"search\"}");
	assert_string_equal(m.decision, "{\"outcome\":\"permitted\"}");
	assert_string_equal(m.state, "permitted");
	assert_string_equal(m.filed_at, "2026-11-24T09:30:00Z");
	custos_store_measure_dispose(&m);

	assert_int_equal(custos_store_measure_update_decision(st, "M-000002", "{\"x\":1}"), 0);
	assert_int_equal(custos_store_measure_set_state(st, "M-000002", "authorised"), 0);
	assert_int_equal(custos_store_measure_get(st, &m, "M-000002"), 0);
	assert_string_equal(m.decision, "{\"x\":1}");
	assert_string_equal(m.state, "authorised");
	custos_store_measure_dispose(&m);

	assert_int_equal(custos_store_measure_get(st, &m, "M-000009"), CUSTOS_ENOTFOUND);
	assert_string_equal(custos_error_last(), "no measure 'M-000009'");
	assert_int_equal(custos_store_measure_update_decision(st, "M-000009", "{}"), CUSTOS_ENOTFOUND);
	assert_int_equal(custos_store_measure_set_state(st, "M-000009", "x"), CUSTOS_ENOTFOUND);

	assert_int_equal(custos_store_measure_each(st, count_measure, &n), 0);
	assert_int_equal(n, 2);
	custos_store_close(st);

	/* The sequence continues after a reopen. */
	assert_int_equal(custos_store_open(&st, path, 0), 0);
	assert_int_equal(custos_store_measure_insert(st, &id, "{}", "{}", "pending"), 0);
	assert_string_equal(id, "M-000003");
	free(id);
	custos_store_close(st);
	unsetenv("CUSTOS_NOW");
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

	setenv("CUSTOS_NOW", "2026-11-24T10:00:00Z", 1);
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

	/* A bad CUSTOS_NOW is refused, and nothing is appended. */
	setenv("CUSTOS_NOW", "yesterday", 1);
	assert_int_equal(custos_store_event_append(st, "x", NULL, NULL, "{}", &idx), CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "CUSTOS_NOW"));
	setenv("CUSTOS_NOW", "2026-11-24T10:00:00Z", 1);
	assert_int_equal(custos_store_event_count(st), 3);
	custos_store_close(st);

	/* The triggers refuse edits and deletions, and gaps in the index. */
	assert_int_not_equal(raw_exec(path, "UPDATE events SET payload = '{}' WHERE idx = 0", err, sizeof(err)), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	assert_int_not_equal(raw_exec(path, "DELETE FROM events WHERE idx = 2", err, sizeof(err)), SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	assert_int_not_equal(raw_exec(path, "DELETE FROM events", err, sizeof(err)), SQLITE_OK);
	assert_int_not_equal(raw_exec(path,
				      "INSERT INTO events(idx, type, time, payload, payload_hash) "
				      "VALUES(7, 't', 't', '{}', 'h')",
				      err, sizeof(err)),
			     SQLITE_OK);
	assert_non_null(strstr(err, "dense"));
	assert_int_equal(raw_int(path, "SELECT COUNT(*) FROM events"), 3);
	assert_int_equal(raw_int(path, "SELECT payload = '{\"a\":1}' FROM events WHERE idx = 0"), 1);
	unsetenv("CUSTOS_NOW");
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
	assert_int_equal(custos_store_measure_insert(st, &id, "{}", "{}", "pending"), 0);
	free(id);
	assert_int_equal(custos_store_rules_put(st, "sha256:00", "rules"), 0);
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
	assert_int_equal(custos_store_rules_put(st, "sha256:ab", "rule a"), 0);
	assert_int_equal(custos_store_rules_put(st, "sha256:ab", "rule a"), 0); /* idempotent */
	assert_int_equal(custos_store_rules_put(st, "sha256:cd", "rule c"), 0);
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
		cmocka_unit_test(test_default_uri),   cmocka_unit_test(test_schema_and_reopen),
		cmocka_unit_test(test_not_a_store),   cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_meta),	      cmocka_unit_test(test_parties),
		cmocka_unit_test(test_measures),      cmocka_unit_test(test_events),
		cmocka_unit_test(test_transactions),  cmocka_unit_test(test_rules),
		cmocka_unit_test(test_two_handles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
