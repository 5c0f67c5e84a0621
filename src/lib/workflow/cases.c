/* cases.c — runs a rule set's cases (rules/be/cases, JSON) and checks that every rule is covered. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/workflow.h"
#include "embedded.h"
#include "util/util.h"

typedef struct {
	const custos_ruleset *rs;
	unsigned char *covered; /* one per rule */
	custos_buf report;
	int pass, fail;
} case_run;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Builds a sorted, de-duplicated, comma-separated list for comparing and printing. */
static int join_sorted(char **out, const char **items, size_t n)
{
	custos_buf b;
	qsort(items, n, sizeof(*items), cmp_str);
	custos_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(items[i], items[i - 1]) == 0)
			continue;
		if ((b.len && custos_buf_puts(&b, ",")) || custos_buf_puts(&b, items[i])) {
			custos_buf_dispose(&b);
			return CUSTOS_ENOMEM;
		}
	}
	*out = custos_buf_detach(&b);
	return *out ? 0 : CUSTOS_ENOMEM;
}

static int expected_list(char **out, json_t *expect, const char *field, const char *where)
{
	json_t *arr = json_object_get(expect, field), *v;
	const char **items;
	size_t i;
	int rc;
	if (!arr && strcmp(field, "assertions") == 0) {
		const char *none[1] = {NULL};
		return join_sorted(out, none, 0); /* absent: the case expects no asserted fact */
	}
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "%s: expect.%s: expected an array of strings", where, field);
	items = calloc(json_array_size(arr) + 1, sizeof(*items));
	if (!items)
		return CUSTOS_ENOMEM;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			free(items);
			return custos_error_set(CUSTOS_EINVALID, "%s: expect.%s[%zu]: expected a string", where, field, i);
		}
		items[i] = json_string_value(v);
	}
	rc = join_sorted(out, items, json_array_size(arr));
	free(items);
	return rc;
}

static int load_registry(custos_registry **out, json_t *arr, const char *where)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0, i;
	custos_party *parties = calloc(n + 1, sizeof(*parties));
	json_t *v;
	int rc = 0;
	if (arr && !json_is_array(arr))
		rc = custos_error_set(CUSTOS_EINVALID, "%s: registry: expected an array of parties", where);
	if (!parties)
		return CUSTOS_ENOMEM;
	for (i = 0; !rc && i < n; i++) {
		char *line;
		v = json_array_get(arr, i);
		line = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		rc = line ? custos_party_decode(&parties[i], line, strlen(line)) : CUSTOS_ENOMEM;
		free(line);
		if (rc) {
			custos_error_prefix(rc, "%s: registry[%zu]", where, i);
			break;
		}
	}
	if (rc) {
		for (size_t k = 0; k < i; k++)
			custos_party_dispose(&parties[k]);
		free(parties);
		return rc;
	}
	return custos_registry_new(out, parties, n);
}

/* Runs one case; a malformed case is an error, a wrong outcome a failure. */
static int run_case(case_run *run, json_t *c, json_t *file_registry, const char *where)
{
	json_t *expect = json_object_get(c, "expect");
	const char *name = json_string_value(json_object_get(c, "name"));
	custos_registry *reg = NULL;
	custos_measure m;
	custos_verdict v;
	char *mjson = NULL, *want_rules = NULL, *got_rules = NULL, *want_appr = NULL, *got_appr = NULL;
	char *want_asrt = NULL, *got_asrt = NULL, (*asrt)[160] = NULL;
	const char **items = NULL;
	char (*appr)[48] = NULL;
	const char *want_outcome = json_string_value(json_object_get(expect, "outcome"));
	json_t *want_days = json_object_get(expect, "max_days");
	int rc, ok;

	memset(&m, 0, sizeof(m));
	memset(&v, 0, sizeof(v));
	if (!name || !json_is_object(expect) || !want_outcome)
		return custos_error_set(CUSTOS_EINVALID, "%s: a case needs \"name\" and \"expect\": {\"outcome\", ...}",
					where);
	if ((rc = load_registry(&reg, json_object_get(c, "registry") ? json_object_get(c, "registry") : file_registry,
				where)))
		return rc;
	mjson = json_dumps(json_object_get(c, "measure"), JSON_COMPACT | JSON_ENCODE_ANY);
	if (!mjson) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s: missing measure", where);
		goto out;
	}
	if ((rc = custos_measure_decode(&m, mjson, strlen(mjson)))) {
		custos_error_prefix(rc, "%s: measure", where);
		goto out;
	}
	if ((rc = custos_decide(&v, run->rs, reg, &m)))
		goto out;
	if ((rc = expected_list(&want_rules, expect, "rules", where)) ||
	    (rc = expected_list(&want_appr, expect, "approvals", where)) ||
	    (rc = expected_list(&want_asrt, expect, "assertions", where)))
		goto out;
	items = calloc(v.decision.nfindings + v.decision.napprovals + v.decision.nassertions + 1, sizeof(*items));
	appr = calloc(v.decision.napprovals + 1, sizeof(*appr));
	asrt = calloc(v.decision.nassertions + 1, sizeof(*asrt));
	if (!items || !appr || !asrt) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v.decision.nfindings; i++) {
		items[i] = v.decision.findings[i].rule;
		for (size_t r = 0; r < custos_rules_count(run->rs); r++)
			if (strcmp(custos_rules_id(run->rs, r), items[i]) == 0)
				run->covered[r] = 1;
	}
	if ((rc = join_sorted(&got_rules, items, v.decision.nfindings)))
		goto out;
	for (size_t i = 0; i < v.decision.napprovals; i++) {
		snprintf(appr[i], sizeof(appr[i]), "%s%s", v.decision.approvals[i].notify ? "notify:" : "",
			 custos_role_name(v.decision.approvals[i].role));
		items[i] = appr[i];
	}
	if ((rc = join_sorted(&got_appr, items, v.decision.napprovals)))
		goto out;
	/* an asserted fact reads "flag@party:role" ("flag:role" for the measure's own; "flag=false:role" for a ground that does not apply) */
	for (size_t i = 0; i < v.decision.nassertions; i++) {
		const custos_assertion *a = &v.decision.assertions[i];
		snprintf(asrt[i], sizeof(asrt[i]), "%s%s%s%s:%s", a->flag, strcmp(a->value, "false") == 0 ? "=false" : "",
			 a->party ? "@" : "", a->party ? a->party : "", custos_role_name(a->confirm_by));
		items[i] = asrt[i];
	}
	if ((rc = join_sorted(&got_asrt, items, v.decision.nassertions)))
		goto out;
	{
		const char *got_outcome = v.decision.reject ? "rejected" : custos_outcome_name(v.decision.outcome);
		ok = strcmp(got_outcome, want_outcome) == 0 && strcmp(got_rules, want_rules) == 0 &&
		     strcmp(got_appr, want_appr) == 0 && strcmp(got_asrt, want_asrt) == 0 &&
		     (!want_days || json_integer_value(want_days) == v.decision.max_days);
		if (ok) {
			run->pass++;
			rc = custos_buf_printf(&run->report, "ok   %s\n", name);
		} else {
			run->fail++;
			rc = custos_buf_printf(&run->report,
					       "FAIL %s (%s)\n     outcome   want %s, got %s\n     rules     want "
					       "[%s]\n               got  [%s]\n     approvals want [%s]\n               "
					       "got  [%s]\n     assertions want [%s]\n               got  [%s]\n"
					       "     max_days  want %lld, got %d\n",
					       name, where, want_outcome, got_outcome, want_rules, got_rules, want_appr,
					       got_appr, want_asrt, got_asrt,
					       want_days ? (long long)json_integer_value(want_days) : 0LL, v.decision.max_days);
		}
	}
out:
	custos_verdict_dispose(&v);
	custos_measure_dispose(&m);
	custos_registry_free(reg);
	free(mjson);
	free(want_rules);
	free(got_rules);
	free(want_appr);
	free(got_appr);
	free(want_asrt);
	free(got_asrt);
	free(asrt);
	free(items);
	free(appr);
	return rc;
}

static int run_file(case_run *run, const char *name, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *cases, *c;
	size_t i;
	int rc = 0;
	if (!root)
		return custos_error_set(CUSTOS_EINVALID, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
	cases = json_object_get(root, "cases");
	if (!json_is_array(cases)) {
		json_decref(root);
		return custos_error_set(CUSTOS_EINVALID, "%s: expected {\"cases\": [...]}", name);
	}
	json_array_foreach(cases, i, c)
	{
		char where[512];
		snprintf(where, sizeof(where), "%s: cases[%zu]", name, i);
		if ((rc = run_case(run, c, json_object_get(root, "registry"), where)))
			break;
	}
	json_decref(root);
	return rc;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int run_dir(case_run *run, const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), rc = 0, files = 0;
	if (n < 0)
		return custos_error_set(CUSTOS_ENOTFOUND, "%s: cannot read the cases directory", dir);
	for (int i = 0; i < n; i++) {
		if (!rc && has_suffix(ents[i]->d_name, ".json")) {
			char path[4096], *text = NULL;
			size_t len;
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			rc = custos_file_read(&text, &len, path, 16u << 20);
			if (!rc)
				rc = run_file(run, path, text, len);
			free(text);
			files++;
		}
		free(ents[i]);
	}
	free(ents);
	if (!rc && !files)
		rc = custos_error_set(CUSTOS_ENOTFOUND, "%s: no *.json cases", dir);
	return rc;
}

int custos_rules_test(const custos_ruleset *rs, const char *dir, char **report, int *npass, int *nfail)
{
	case_run run = {rs, NULL, {0}, 0, 0};
	size_t nrules = custos_rules_count(rs);
	int rc = 0;

	*report = NULL;
	custos_buf_init(&run.report, 16u << 20);
	run.covered = calloc(nrules + 1, 1);
	if (!run.covered)
		return CUSTOS_ENOMEM;
	if (dir) {
		rc = run_dir(&run, dir);
	} else {
		for (const struct custos_embedded *e = custos_embedded_files; !rc && e->name; e++)
			if (strncmp(e->name, "rules/be/cases/", 15) == 0 && has_suffix(e->name, ".json"))
				rc = run_file(&run, e->name, e->data, e->len);
	}
	for (size_t r = 0; !rc && r < nrules; r++) {
		if (!run.covered[r]) {
			run.fail++;
			rc = custos_buf_printf(&run.report, "FAIL rule %s fires in no case\n", custos_rules_id(rs, r));
		}
	}
	free(run.covered);
	if (rc) {
		custos_buf_dispose(&run.report);
		return rc;
	}
	*report = custos_buf_detach(&run.report);
	*npass = run.pass;
	*nfail = run.fail;
	return *report ? 0 : CUSTOS_ENOMEM;
}
