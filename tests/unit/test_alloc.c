/* test_alloc.c — allocation failure: the n-th allocation fails, for every n, while filing, deciding, approving and verifying; nothing crashes or leaks, the error says so, and the store is unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "custos/builtin.h"
#include "custos/error.h"
#include "custos/lifecycle.h"
#include "custos/measure.h"
#include "custos/log.h"
#include "custos/model.h"
#include "custos/note.h"
#include "custos/principal.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/store.h"
#include "custos/workflow.h"

/*
 * The library's objects are linked with -Wl,--wrap for malloc, calloc,
 * realloc, strdup and strndup (the Makefile's rule for this test), and
 * jansson and SQLite allocate through the same failing allocator: while
 * armed, the allocation numbered fail_at returns NULL, once (curl's torture
 * tests). $CUSTOS_TORTURE_STRIDE tries every STRIDE-th n (the short form in
 * `make check`; .ci/run sets 1: every n).
 */
void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static int armed;
static long counted, fail_at, failed;

static int fail_now(void)
{
	if (!armed)
		return 0;
	if (++counted == fail_at) {
		failed++;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t k, size_t n)
{
	return fail_now() ? NULL : __real_calloc(k, n);
}
void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

/* SQLite's allocator: the same failing allocator (xSize from malloc_usable_size, as SQLite's own does). */
static void *sq_malloc(int n)
{
	return fail_now() ? NULL : __real_malloc((size_t)n);
}
static void sq_free(void *p)
{
	free(p);
}
static void *sq_realloc(void *p, int n)
{
	return fail_now() ? NULL : __real_realloc(p, (size_t)n);
}
static int sq_size(void *p)
{
	return p ? (int)malloc_usable_size(p) : 0;
}
static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}
static int sq_init(void *ctx)
{
	(void)ctx;
	return SQLITE_OK;
}
static void sq_shutdown(void *ctx)
{
	(void)ctx;
}
/*
 * jansson's builders (json_object, json_pack, json_dumps) allocate through
 * the failing allocator too. Its parser does not: jansson 2.14 (Debian 12)
 * frees a pointer it never allocated when an allocation fails inside
 * json_loadb (found by this test; ASan's bad-free), so allocations during
 * json_loads and json_loadb, wrapped here, never fail.
 */
json_t *__real_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__real_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
static int parsing;
json_t *__wrap_json_loads(const char *input, size_t flags, json_error_t *error)
{
	json_t *v;
	parsing++;
	v = __real_json_loads(input, flags, error);
	parsing--;
	return v;
}
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
	json_t *v;
	parsing++;
	v = __real_json_loadb(buffer, buflen, flags, error);
	parsing--;
	return v;
}
static void *json_alloc(size_t n)
{
	return parsing ? __real_malloc(n) : __wrap_malloc(n);
}

/* ---- the store a step starts from, and whether a step left it unchanged ------------------------------------ */

static char dir[] = "/tmp/custos-alloc.XXXXXX";
static char base_db[256], work_db[256];
static char *note; /* a statement signed in advance, for the approval step */
static char measure_id[32];

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	size_t n;
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A fresh copy of the prepared store (and its log key) at work_db. */
static void fresh_copy(void)
{
	char from[300], to[300];
	copy_file(base_db, work_db);
	snprintf(from, sizeof(from), "%s.log-key", base_db);
	snprintf(to, sizeof(to), "%s.log-key", work_db);
	copy_file(from, to);
}

/* A digest of every row of every table, in storage order: equal digests, the same store. */
static uint64_t store_digest(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *tables = NULL, *rows = NULL;
	uint64_t h = 1469598103934665603ull;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
					    &tables, NULL),
			 SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char sql[300];
		snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", (const char *)sqlite3_column_text(tables, 0));
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
		while (sqlite3_step(rows) == SQLITE_ROW)
			for (int c = 0; c < sqlite3_column_count(rows); c++) {
				const unsigned char *v = sqlite3_column_blob(rows, c);
				int len = sqlite3_column_bytes(rows, c);
				for (int i = 0; i < len; i++)
					h = (h ^ v[i]) * 1099511628211ull;
				h = (h ^ 0xff) * 1099511628211ull; /* column boundary */
			}
		sqlite3_finalize(rows);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	return h;
}

/* ---- the steps under torture --------------------------------------------------------------------------------- */

typedef int (*step_fn)(custos_store *st);

static int step_file(custos_store *st)
{
	const char *m;
	size_t len;
	char *id = NULL, *decision = NULL;
	int rc;
	if (custos_builtin_get(&m, &len, "demo/measures/s1.json"))
		return CUSTOS_ERROR;
	rc = custos_measure_file(st, m, len, "tester", &id, &decision);
	free(id);
	free(decision);
	return rc;
}

static int step_decide(custos_store *st)
{
	const char *m;
	size_t len;
	custos_ruleset *rs = NULL;
	custos_registry *reg = NULL;
	custos_measure measure;
	custos_verdict v;
	char *out = NULL;
	int rc;
	if (custos_builtin_get(&m, &len, "demo/measures/s3.json"))
		return CUSTOS_ERROR;
	if ((rc = custos_workflow_rules_current(st, &rs)) || (rc = custos_registry_load(st, &reg)))
		goto out;
	if (!(rc = custos_measure_decode(&measure, m, len))) {
		if (!(rc = custos_decide(&v, rs, reg, &measure))) {
			rc = custos_verdict_encode(&out, &v, NULL, -1);
			custos_verdict_dispose(&v);
		}
		custos_measure_dispose(&measure);
	}
out:
	free(out);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	return rc;
}

static int step_approve(custos_store *st)
{
	char *result = NULL;
	int rc = custos_statement_submit(st, note, strlen(note), "tester", &result);
	if (!rc && !strstr(result, "authorised") && !armed)
		fail_msg("the last approval did not authorise the measure: %s", result);
	free(result);
	return rc;
}

static int step_verify(custos_store *st)
{
	uint64_t checked = 0, signatures = 0, rows = 0;
	return custos_workflow_verify(st, &checked, &signatures, &rows);
}

static int step_rebuild(custos_store *st)
{
	int64_t events = 0;
	return custos_workflow_rebuild(st, &events);
}

/*
 * Runs `step` on a fresh copy of the store with the n-th allocation failing,
 * for n = 1, 1 + stride, ... until a run fails no allocation. Each failed run
 * must have returned an error with a message and left the store unchanged;
 * a run that absorbed its failure and succeeded is fine too.
 */
static void torture(const char *name, step_fn step, int writes)
{
	long stride = 1, n, runs = 0;
	const char *env = getenv("CUSTOS_TORTURE_STRIDE");
	uint64_t before;
	if (env)
		stride = strtol(env, NULL, 10) > 0 ? strtol(env, NULL, 10) : 1;
	fresh_copy();
	before = store_digest(work_db);
	for (n = 1;; n += stride, runs++) {
		custos_store *st = NULL;
		int rc;
		if (writes)
			fresh_copy();
		assert_int_equal(custos_store_open(&st, work_db, 0), 0);
		custos_error_clear();
		counted = failed = 0;
		fail_at = n;
		armed = 1;
		rc = step(st);
		armed = 0;
		custos_store_close(st);
		if (!failed) {
			if (rc)
				fail_msg("%s: fails with no allocation failing: %s", name, custos_error_last());
			break;
		}
		if (rc) {
			if (!*custos_error_last())
				fail_msg("%s: allocation %ld failed: error %d with no message", name, n, rc);
			if (store_digest(work_db) != before)
				fail_msg("%s: allocation %ld failed (%s), and the store changed", name, n,
					 custos_error_last());
		}
	}
	printf("  %s: %ld allocations, %ld runs with one failing (every %ld-th)\n", name, counted, runs, stride);
}

static void test_file(void **state)
{
	(void)state;
	torture("file S1", step_file, 1);
}
static void test_decide(void **state)
{
	(void)state;
	torture("decide S3", step_decide, 0);
}
static void test_approve(void **state)
{
	(void)state;
	torture("approve", step_approve, 1);
}
static void test_verify(void **state)
{
	(void)state;
	torture("log verify", step_verify, 0);
}
static void test_rebuild(void **state)
{
	(void)state;
	/* a rebuild that completes writes the same rows back: the store is unchanged whether it fails or not */
	torture("store rebuild", step_rebuild, 1);
}

/* ---- the prepared store: the demo registry, principals, a measure waiting for an approval ---------------------- */

static custos_signer *add_principal(custos_store *st, const char *id, const char *authority, const char *role)
{
	char *skey = NULL, *vkey = NULL, *roles[1] = {(char *)role};
	custos_principal p;
	custos_signer *s = NULL;
	memset(&p, 0, sizeof(p));
	assert_int_equal(custos_key_generate(&skey, &vkey, id), 0);
	p.id = (char *)id;
	p.name = (char *)id;
	p.authority = (char *)authority;
	p.roles = roles;
	p.nroles = 1;
	p.pubkey = vkey;
	assert_int_equal(custos_principal_add(st, &p, "tester"), 0);
	assert_int_equal(custos_signer_new(&s, skey), 0);
	free(skey);
	free(vkey);
	return s;
}

/*
 * The store every step starts from: the demo registry, and the first demo
 * measure that needs approvals, with every approval but its last given, so
 * that the step's approval (signed in advance) completes it and issues its
 * token.
 */
static int prepare(void **state)
{
	custos_store *st = NULL;
	const char *demo, *m;
	size_t len, mlen;
	char *id = NULL, *decision = NULL, name[32], *result = NULL, principal[40];
	custos_signer *signer = NULL;
	json_t *d = NULL, *me = NULL, *approvals = NULL, *a;
	size_t k;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(base_db, sizeof(base_db), "%s/base.db", dir);
	snprintf(work_db, sizeof(work_db), "%s/work.db", dir);
	assert_int_equal(custos_store_open(&st, base_db, 1), 0);
	assert_int_equal(custos_workflow_init(st, base_db, "test.example/log", NULL, "tester"), 0);
	assert_int_equal(custos_builtin_get(&demo, &len, "demo/registry.jsonl"), 0);
	assert_int_equal(custos_registry_import(st, demo, len, "demo", "tester", NULL), 0);
	for (int i = 1; i <= 7 && !*measure_id; i++) {
		snprintf(name, sizeof(name), "demo/measures/s%d.json", i);
		assert_int_equal(custos_builtin_get(&m, &mlen, name), 0);
		assert_int_equal(custos_measure_file(st, m, mlen, "tester", &id, &decision), 0);
		d = json_loads(decision, 0, NULL);
		if (json_array_size(json_object_get(d, "approvals")) > 0 &&
		    strcmp(json_string_value(json_object_get(d, "outcome")), "needs_approval") == 0) {
			snprintf(measure_id, sizeof(measure_id), "%s", id);
			approvals = json_incref(json_object_get(d, "approvals"));
			me = json_loads(m, 0, NULL);
		}
		json_decref(d);
		free(id);
		free(decision);
	}
	if (!*measure_id)
		fail_msg("no demo measure needs an approval: the approval step has nothing to approve");
	/* only the roles that approve: those merely informed (kind "notify") hold nothing up */
	for (k = json_array_size(approvals); k-- > 0;) {
		const char *kind = json_string_value(json_object_get(json_array_get(approvals, k), "kind"));
		if (kind && strcmp(kind, "notify") == 0)
			json_array_remove(approvals, k);
	}
	json_array_foreach(approvals, k, a)
	{
		const char *role = json_string_value(json_object_get(a, "role"));
		/* a service head belongs to the requesting authority; any other role to an authority of its own */
		const char *authority = strcmp(role, "service_head") == 0
						? json_string_value(json_object_get(me, "requested_by"))
						: role;
		snprintf(principal, sizeof(principal), "P-%zu", k);
		signer = add_principal(st, principal, authority, role);
		if (k + 1 < json_array_size(approvals)) {
			assert_int_equal(custos_measure_act(st, measure_id, CUSTOS_ACT_APPROVE, role, NULL, NULL, signer,
							    "tester", &result),
					 0);
			free(result);
		} else {
			assert_int_equal(custos_measure_statement(st, measure_id, CUSTOS_ACT_APPROVE, role, NULL, NULL,
								  signer, &note),
					 0);
		}
		custos_signer_free(signer);
	}
	json_decref(approvals);
	json_decref(me);
	custos_store_close(st);
	return 0;
}

static int cleanup(void **state)
{
	char cmd[300];
	(void)state;
	free(note);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

int main(void)
{
	static const sqlite3_mem_methods mem = {sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown,
						NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_approve),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_rebuild),
	};
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK)
		return 1;
	json_set_alloc_funcs(json_alloc, free);
	/* statements are valid within 5 minutes of now: one instant for the whole test */
	if (custos_clock_pin("2026-11-24T09:00:00Z"))
		return 1;
	return cmocka_run_group_tests(tests, prepare, cleanup);
}
