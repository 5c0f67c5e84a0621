/* cmd_demo.c — `custos demo`: a fresh store, the fictional demo registry, and S1-S7 of DESIGN.md decided. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/builtin.h"
#include "custos/log.h"

/* The seven situations of DESIGN.md §1, each replayed by one demo measure. */
static const struct {
	const char *file;
	const char *title;
} scenarios[] = {
	{"demo/measures/s1.json", "S1  Diplomats' email accounts broken into without asking Foreign Affairs"},
	{"demo/measures/s2.json", "S2  Embassy phone lines and a visiting diplomat's phone tapped"},
	{"demo/measures/s3.json", "S3  A Member of the European Parliament watched for her votes"},
	{"demo/measures/s4.json", "S4  Intelligence traded with a foreign service"},
	{"demo/measures/s5.json", "S5  Embassy correspondence handed to a foreign service, off the record"},
	{"demo/measures/s6.json", "S6  A suspect's data released to a foreign police force"},
	{"demo/measures/s7.json", "S7  Legal assistance to the state a refugee fled"},
};

static void print_roles(json_t *approvals, const char *kind, const char *label)
{
	size_t i, n = 0;
	json_t *a;
	json_array_foreach(approvals, i, a)
	{
		if (strcmp(json_string_value(json_object_get(a, "kind")), kind) != 0)
			continue;
		printf("%s%s", n++ ? ", " : label, json_string_value(json_object_get(a, "role")));
	}
	if (n)
		printf("\n");
}

void cli_print_decision_text(const char *decision_json)
{
	json_t *d = json_loads(decision_json, 0, NULL), *f, *c;
	const char *outcome;
	size_t i;
	if (!d)
		return;
	outcome = json_string_value(json_object_get(d, "outcome"));
	printf("    decision %s: %s\n", json_string_value(json_object_get(d, "id")),
	       strcmp(outcome, "forbidden") == 0	  ? "FORBIDDEN"
	       : strcmp(outcome, "needs_approval") == 0 ? "NEEDS APPROVAL"
						   : "PERMITTED");
	json_array_foreach(json_object_get(d, "findings"), i, f)
	{
		const char *effect = json_string_value(json_object_get(f, "effect"));
		const char *party = json_string_value(json_object_get(f, "party"));
		json_t *role = json_object_get(f, "role"), *days = json_object_get(f, "max_days");
		json_t *min = json_object_get(f, "minimise");
		char what[96] = "";
		if (role)
			snprintf(what, sizeof(what), "%s - ", json_string_value(role));
		else if (days)
			snprintf(what, sizeof(what), "at most %lld days - ", (long long)json_integer_value(days));
		else if (min)
			snprintf(what, sizeof(what), "minimise %s - ", json_string_value(min));
		printf("      %-9s %s%s  [%s]%s%s\n", effect, what,
		       json_string_value(json_object_get(f, "cite")), json_string_value(json_object_get(f, "rule")),
		       party ? " party " : "", party ? party : "");
		if (strcmp(effect, "forbid") == 0)
			printf("               %s\n", json_string_value(json_object_get(f, "explain")));
	}
	print_roles(json_object_get(d, "approvals"), "approve", "    approvals required: ");
	print_roles(json_object_get(d, "approvals"), "notify", "    informed: ");
	json_array_foreach(json_object_get(d, "conditions"), i, c)
	{
		json_t *days = json_object_get(c, "max_days"), *min = json_object_get(c, "minimise");
		if (days)
			printf("    condition: at most %lld days\n", (long long)json_integer_value(days));
		if (min)
			printf("    condition: minimise %s\n", json_string_value(min));
	}
	json_decref(d);
}

int cmd_demo(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st = NULL;
	const char *data;
	size_t len, count = 0;
	int as_json = 0, rc;
	int64_t events;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else
			return cli_usage(ctx, "usage: demo [--json]");
	}
	if (cli_open_store(ctx, &st, 1))
		return CLI_REFUSED;
	if (custos_store_event_count(st) != 0) {
		custos_store_close(st);
		fprintf(stderr, "custos: demo: store %s is not empty; the demo needs a fresh store\n", ctx->store_uri);
		return CLI_REFUSED;
	}
	if ((rc = custos_workflow_init(st, ctx->store_uri, NULL, NULL, "demo")) ||
	    (rc = custos_builtin_get(&data, &len, "demo/registry.jsonl")) ||
	    (rc = custos_registry_import(st, data, len, "demo/registry.jsonl", "demo", &count))) {
		custos_store_close(st);
		return cli_fail(rc, "demo");
	}
	if (!as_json)
		printf("custos demo: store %s\n"
		       "  imported %zu parties of a fictional registry (missions, diplomats, a consular post,\n"
		       "  an MEP, a refugee, a lawyer, a journalist) and the Belgian rule set.\n\n",
		       ctx->store_uri, count);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char *id = NULL, *decision = NULL;
		if ((rc = custos_builtin_get(&data, &len, scenarios[i].file)) ||
		    (rc = custos_measure_file(st, data, len, "demo", &id, &decision))) {
			custos_store_close(st);
			return cli_fail(rc, scenarios[i].file);
		}
		if (as_json) {
			puts(decision);
		} else {
			printf("%s\n    measure: %s\n", scenarios[i].title, scenarios[i].file);
			cli_print_decision_text(decision);
			printf("\n");
		}
		free(id);
		free(decision);
	}
	events = custos_store_event_count(st);
	{
		char *note = NULL;
		if ((rc = custos_log_checkpoint(st, &note))) {
			custos_store_close(st);
			return cli_fail(rc, "demo: log checkpoint");
		}
		if (!as_json)
			printf("The register holds %lld events, each a leaf of a Merkle tree. Its signed checkpoint,\n"
			       "which any auditor can check with the log's key (custos log vkey):\n\n%s\n",
			       (long long)events, note);
		free(note);
	}
	custos_store_close(st);
	if (!as_json)
		printf("Look further with:\n"
		       "  custos --store %s measure list\n"
		       "  custos --store %s measure show M-000001\n"
		       "  custos --store %s screen tel:+3225550207 name:'AHMED OULD EXEMPLE'\n"
		       "  custos --store %s log verify\n"
		       "  custos --store %s log prove 3\n",
		       ctx->store_uri, ctx->store_uri, ctx->store_uri, ctx->store_uri, ctx->store_uri);
	return CLI_OK;
}
