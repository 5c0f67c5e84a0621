/* test_workflow.c — deciding and recording measures: screening over the period, determinism, all-or-nothing filing, rule-set cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "custos/builtin.h"
#include "custos/error.h"
#include "custos/model.h"
#include "custos/lifecycle.h"
#include "custos/workflow.h"

static char tmpdir[256];

static const char *const registry_lines[] = {
	"{\"id\":\"D1\",\"category\":\"diplomatic_agent\",\"nationality\":\"QA\",\"valid_from\":\"2026-12-15\","
	"\"selectors\":[\"tel:+32470000001\"]}",
	"{\"id\":\"D2\",\"category\":\"diplomatic_agent\",\"nationality\":\"QA\",\"valid_from\":\"2020-01-01\","
	"\"valid_to\":\"2026-01-31\",\"selectors\":[\"tel:+32470000001\"]}",
	"{\"id\":\"M1\",\"category\":\"mission\",\"valid_from\":\"2000-01-01\",\"selectors\":[\"tel:+3247000*\"]}",
};

static custos_registry *make_registry(size_t n)
{
	custos_party *parties = calloc(n + 1, sizeof(*parties));
	custos_registry *reg = NULL;
	assert_non_null(parties);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(custos_party_decode(&parties[i], registry_lines[i], strlen(registry_lines[i])), 0);
	assert_int_equal(custos_registry_new(&reg, parties, n), 0);
	return reg;
}

static void decode(custos_measure *m, const char *json)
{
	if (custos_measure_decode(m, json, strlen(json)))
		fail_msg("%s", custos_error_last());
}

static const char *status_of(const custos_verdict *v, const char *id)
{
	for (size_t i = 0; i < v->nsubjects; i++)
		if (strcmp(v->subjects[i].party->id, id) == 0)
			return custos_status_name(v->subjects[i].status);
	return "absent";
}

/* A party is protected if it is protected on any day of the period; the others keep their status. */
static void test_period_screening(void **state)
{
	custos_ruleset *rs = NULL;
	custos_registry *reg = make_registry(3);
	custos_measure m;
	custos_verdict v;
	(void)state;
	assert_int_equal(custos_rules_load_builtin(&rs), 0);
	decode(&m, "{\"kind\":\"observation\",\"framework\":\"intelligence\",\"requested_by\":\"vsse\",\"grounds\":\"g\","
		   "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}");
	assert_int_equal(custos_decide(&v, rs, reg, &m), 0);
	assert_int_equal(v.nsubjects, 3);
	assert_string_equal(status_of(&v, "D1"), "active"); /* accredited from the 15th: inside the period */
	assert_string_equal(status_of(&v, "D2"), "former"); /* ended ten months before */
	assert_string_equal(status_of(&v, "M1"), "active"); /* the number is inside the mission's range */
	assert_int_equal(v.decision.outcome, CUSTOS_OUTCOME_FORBIDDEN);
	assert_string_equal(v.rules_hash, custos_rules_hash(rs));
	assert_string_equal(v.registry_hash, custos_registry_hash(reg));
	custos_verdict_dispose(&v);
	custos_measure_dispose(&m);

	/* The same measure a year earlier: D1 is not yet accredited, D2 is. */
	decode(&m, "{\"kind\":\"observation\",\"framework\":\"intelligence\",\"requested_by\":\"vsse\",\"grounds\":\"g\","
		   "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2025-12-01\",\"to\":\"2025-12-31\"}}");
	assert_int_equal(custos_decide(&v, rs, reg, &m), 0);
	assert_string_equal(status_of(&v, "D1"), "future");
	assert_string_equal(status_of(&v, "D2"), "active");
	custos_verdict_dispose(&v);
	custos_measure_dispose(&m);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
}

/* The same measure, rules and registry always give the same decision and hashes. */
static void test_determinism(void **state)
{
	custos_ruleset *rs = NULL;
	custos_registry *reg = make_registry(3);
	custos_measure m;
	custos_verdict a, b;
	char *ja = NULL, *jb = NULL;
	(void)state;
	assert_int_equal(custos_rules_load_builtin(&rs), 0);
	decode(&m, "{\"kind\":\"mla_request\",\"framework\":\"criminal\",\"requested_by\":\"j\",\"requesting_state\":\"KZ\","
		   "\"targets\":[\"tel:+32470000001\"],\"persons\":[{\"name\":\"N T\",\"nationality\":\"KZ\","
		   "\"refugee_in\":\"BE\"}],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}");
	assert_int_equal(custos_decide(&a, rs, reg, &m), 0);
	assert_int_equal(custos_decide(&b, rs, reg, &m), 0);
	assert_int_equal(custos_verdict_encode(&ja, &a, NULL, -1), 0);
	assert_int_equal(custos_verdict_encode(&jb, &b, NULL, -1), 0);
	assert_string_equal(ja, jb);
	/* the person named as a refugee is a subject of their own */
	assert_string_equal(status_of(&a, "persons[0]"), "active");
	assert_non_null(strstr(ja, "\"rule\":\"refugee.origin\""));
	assert_null(strstr(ja, "\"id\""));
	free(ja);
	free(jb);
	custos_verdict_dispose(&a);
	custos_verdict_dispose(&b);
	custos_measure_dispose(&m);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
}

/*
 * A decision's answer is written by hand (decide.c): for S1-S7 against the
 * demo registry, with and without an id and log index, it must be exactly what
 * jansson makes of it when it reads and dumps it compactly in order.
 */
static void test_verdict_encoding(void **state)
{
	custos_ruleset *rs = NULL;
	custos_registry *reg = NULL;
	custos_party *parties = NULL;
	size_t nparties = 0;
	const char *demo, *end, *nl;
	size_t demo_len;
	(void)state;
	assert_int_equal(custos_rules_load_builtin(&rs), 0);
	assert_int_equal(custos_builtin_get(&demo, &demo_len, "demo/registry.jsonl"), 0);
	for (end = demo + demo_len; demo < end; demo = nl + 1) {
		nl = memchr(demo, '\n', (size_t)(end - demo));
		assert_non_null(nl);
		assert_non_null(parties = realloc(parties, (nparties + 1) * sizeof(*parties)));
		assert_int_equal(custos_party_decode(&parties[nparties++], demo, (size_t)(nl - demo)), 0);
	}
	assert_true(nparties > 10);
	assert_int_equal(custos_registry_new(&reg, parties, nparties), 0);
	for (int k = 1; k <= 7; k++) {
		char name[64], *out = NULL, *again;
		const char *json;
		size_t len;
		custos_measure m;
		custos_verdict v;
		json_t *j;
		snprintf(name, sizeof(name), "demo/measures/s%d.json", k);
		assert_int_equal(custos_builtin_get(&json, &len, name), 0);
		assert_int_equal(custos_measure_decode(&m, json, len), 0);
		assert_int_equal(custos_decide(&v, rs, reg, &m), 0);
		for (int with_id = 0; with_id < 2; with_id++) {
			assert_int_equal(custos_verdict_encode(&out, &v, with_id ? "M-2026-0001" : NULL, with_id ? 42 : -1), 0);
			j = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
			if (!j)
				fail_msg("S%d: not JSON: %s", k, out);
			again = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			assert_string_equal(out, again);
			assert_int_equal(json_array_size(json_object_get(j, "findings")), v.decision.nfindings);
			assert_int_equal(json_array_size(json_object_get(j, "subjects")), v.nsubjects);
			assert_int_equal(json_integer_value(json_object_get(j, "log_index")), with_id ? 42 : 0);
			free(again);
			free(out);
			json_decref(j);
		}
		custos_verdict_dispose(&v);
		custos_measure_dispose(&m);
	}
	custos_registry_free(reg);
	custos_ruleset_free(rs);
}

static int count_events(custos_store *st)
{
	return (int)custos_store_event_count(st);
}

/* Filing records the measure, its decision and two events; any error stores nothing. */
static void test_filing(void **state)
{
	char path[512], *id = NULL, *decision = NULL, *before = NULL, *after = NULL;
	size_t blen, alen, count;
	custos_store *st = NULL;
	custos_store_measure row;
	const char *ok = "{\"kind\":\"data_access\",\"framework\":\"criminal\",\"requested_by\":\"police\","
			 "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";
	const char *no_grounds = "{\"kind\":\"observation\",\"framework\":\"intelligence\",\"requested_by\":\"v\","
				 "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";
	const char *bad = "{\"kind\":\"observation\",\"framework\":\"intelligence\",\"requested_by\":\"v\","
			  "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2026-12-31\",\"to\":\"2026-12-01\"}}";
	(void)state;
	snprintf(path, sizeof(path), "%s/filing.db", tmpdir);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	assert_int_equal(custos_measure_file(st, ok, strlen(ok), "t", &id, &decision), CUSTOS_ENOTFOUND); /* no init */
	assert_int_equal(custos_workflow_init(st, path, "test.example/log", NULL, "t"), 0);
	assert_int_equal(custos_workflow_init(st, path, "test.example/log", NULL, "t"), 0); /* idempotent */
	assert_int_equal(count_events(st), 1);
	assert_int_equal(custos_registry_import(st, registry_lines[2], strlen(registry_lines[2]), "r", "t", &count), 0);
	assert_int_equal(count_events(st), 2);
	assert_int_equal(custos_registry_export(st, &before, &blen), 0);

	assert_int_equal(custos_measure_file(st, no_grounds, strlen(no_grounds), "t", &id, &decision),
			 CUSTOS_EINVALID);
	assert_non_null(strstr(custos_error_last(), "bim.2.1.grounds"));
	assert_int_equal(custos_measure_file(st, bad, strlen(bad), "t", &id, &decision), CUSTOS_EINVALID);
	assert_null(id);
	assert_int_equal(count_events(st), 2);
	assert_int_equal(custos_store_measure_get(st, &row, "M-000001"), CUSTOS_ENOTFOUND);

	assert_int_equal(custos_measure_file(st, ok, strlen(ok), "t", &id, &decision), 0);
	assert_string_equal(id, "M-000001");
	assert_int_equal(count_events(st), 4);
	assert_non_null(strstr(decision, "\"log_index\":3"));
	assert_non_null(strstr(decision, "\"outcome\":\"forbidden\"")); /* VCDR art. 24 on a mission's number */
	assert_int_equal(custos_store_measure_get(st, &row, "M-000001"), 0);
	assert_string_equal(row.decision, decision);
	assert_string_equal(row.state, "forbidden");
	custos_store_measure_dispose(&row);
	assert_int_equal(custos_registry_export(st, &after, &alen), 0);
	assert_string_equal(before, after);
	free(id);
	free(decision);
	free(before);
	free(after);
	custos_store_close(st);
}

/*
 * A filing decided on rules and registry read before a registry import (a
 * server's snapshot, or a filing racing an import) is decided again on the
 * import: a mission's number added a moment ago is never filed as permitted.
 */
static void test_filing_on_a_stale_basis(void **state)
{
	char path[512], *id = NULL, *decision = NULL;
	custos_store *st = NULL;
	custos_ruleset *rs = NULL;
	custos_registry *reg = NULL;
	custos_filing_basis basis;
	const char *unrelated = "{\"id\":\"J1\",\"category\":\"journalist\",\"selectors\":[\"tel:+32470999000\"]}";
	const char *measure = "{\"kind\":\"data_access\",\"framework\":\"criminal\",\"requested_by\":\"police\","
			      "\"targets\":[\"tel:+32470000001\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}}";
	int64_t seen;
	(void)state;
	snprintf(path, sizeof(path), "%s/stale.db", tmpdir);
	assert_int_equal(custos_store_open(&st, path, 1), 0);
	assert_int_equal(custos_workflow_init(st, path, "test.example/log", NULL, "t"), 0);
	assert_int_equal(custos_registry_import(st, unrelated, strlen(unrelated), "r", "t", NULL), 0);
	assert_int_equal(custos_workflow_rules_current(st, &rs), 0);
	assert_int_equal(custos_registry_load(st, &reg), 0);
	seen = custos_store_log_size(st);
	basis = (custos_filing_basis){rs, reg, seen};
	assert_int_equal(custos_workflow_changed_since(st, seen), 0);

	/* on a current basis the filing uses it: nothing protected is touched, a judge orders the data */
	assert_int_equal(custos_measure_file_on(st, &basis, measure, strlen(measure), "t", NULL, &id, &decision), 0);
	assert_non_null(strstr(decision, "\"outcome\":\"needs_approval\""));
	assert_null(strstr(decision, "\"party\":\"M1\""));
	free(id);
	free(decision);

	/* the mission's range is registered after the basis was read */
	assert_int_equal(custos_registry_import(st, registry_lines[2], strlen(registry_lines[2]), "r", "t", NULL), 0);
	assert_int_equal(custos_workflow_changed_since(st, seen), 1);
	assert_int_equal(custos_measure_file_on(st, &basis, measure, strlen(measure), "t", NULL, &id, &decision), 0);
	assert_non_null(strstr(decision, "\"outcome\":\"forbidden\""));
	assert_non_null(strstr(decision, "\"party\":\"M1\""));
	free(id);
	free(decision);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	custos_store_close(st);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* `rules test` fails on a wrong expectation and on a rule no case covers. */
static void test_rules_cases(void **state)
{
	char dir[512], cases[600], *report = NULL;
	custos_ruleset *rs = NULL;
	int pass = -1, fail = -1;
	(void)state;
	snprintf(dir, sizeof(dir), "%s/rs", tmpdir);
	snprintf(cases, sizeof(cases), "%s/cases", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(cases, 0700), 0);
	write_file(dir, "a.rules",
		   "rule t.search\n cite \"Test art. 1\"\n when measure.kind = search\n require prosecutor\n"
		   " explain \"x\"\nend\n"
		   "rule t.never\n cite \"Test art. 2\"\n when measure.kind = data_transfer\n forbid\n explain \"y\"\nend\n");
	write_file(cases, "a.json",
		   "{\"cases\":[{\"name\":\"search\",\"registry\":[],\"measure\":{\"kind\":\"search\","
		   "\"framework\":\"criminal\",\"requested_by\":\"p\",\"targets\":[\"tel:+3212\"],\"period\":"
		   "{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}},\"expect\":{\"outcome\":\"needs_approval\","
		   "\"rules\":[\"t.search\"],\"approvals\":[\"prosecutor\"]}},"
		   "{\"name\":\"wrong\",\"measure\":{\"kind\":\"search\",\"framework\":\"criminal\",\"requested_by\":\"p\","
		   "\"targets\":[\"tel:+3212\"],\"period\":{\"from\":\"2026-12-01\",\"to\":\"2026-12-31\"}},"
		   "\"expect\":{\"outcome\":\"permitted\",\"rules\":[],\"approvals\":[]}}]}");
	assert_int_equal(custos_rules_load_dir(&rs, dir), 0);
	assert_int_equal(custos_rules_test(rs, cases, &report, &pass, &fail), 0);
	assert_int_equal(pass, 1);
	assert_int_equal(fail, 2);
	assert_non_null(strstr(report, "ok   search"));
	assert_non_null(strstr(report, "FAIL wrong"));
	assert_non_null(strstr(report, "FAIL rule t.never fires in no case"));
	free(report);
	custos_ruleset_free(rs);

	/* the built-in cases all pass and cover every built-in rule */
	assert_int_equal(custos_rules_load_builtin(&rs), 0);
	assert_int_equal(custos_rules_test(rs, NULL, &report, &pass, &fail), 0);
	if (fail)
		fail_msg("%s", report);
	assert_true(pass > (int)custos_rules_count(rs));
	free(report);
	custos_ruleset_free(rs);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/custos-test-workflow-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_screening),
		cmocka_unit_test(test_determinism), cmocka_unit_test(test_verdict_encoding),
		cmocka_unit_test(test_filing), cmocka_unit_test(test_filing_on_a_stale_basis),
		cmocka_unit_test(test_rules_cases),
	};
	/* one instant for every date the tests read (filing times, signatures, freshness): the same on any day */
	if (custos_clock_pin("2026-11-24T09:00:00Z"))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
