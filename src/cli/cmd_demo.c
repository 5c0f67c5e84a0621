/* cmd_demo.c — `custos demo`: a fresh store, the fictional demo registry, and S1-S7 of DESIGN.md decided. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "custos/builtin.h"
#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/server.h"

/* The demo's principals: one per role the situations need, each with a key file in <store>.keys/. */
static const struct {
	const char *id, *name, *authority, *role;
} demo_principals[] = {
	{"REQ-VSSE", "VSSE requests desk", "vsse", "requester"},
	{"HEAD-VSSE", "Administrator-general, VSSE", "vsse", "service_head"},
	{"REQ-SGRS", "SGRS requests desk", "sgrs", "requester"},
	{"HEAD-SGRS", "Chief, SGRS", "sgrs", "service_head"},
	{"REQ-FP", "Federal Police, international desk", "federal_police", "requester"},
	{"REQ-JUS", "FPS Justice, mutual assistance desk", "fps_justice", "requester"},
	{"FA", "FPS Foreign Affairs, Protocol Directorate", "fps_foreign_affairs", "foreign_affairs"},
	{"JUDGE", "Investigating judge, Brussels", "justice", "investigating_judge"},
	{"BIM", "BIM Commission", "bim_commission", "bim_commission"},
	{"DPO", "Data protection officer, Federal Police", "federal_police", "data_protection_officer"},
	{"CA", "Central authority, FPS Justice", "fps_justice", "central_authority"},
	{"COMR", "Standing Committee R", "comite_r", "comite_r"},
	{"PP", "President of the Chamber", "chamber", "parliament_president"},
	{"SA", "Data Protection Authority", "apd", "supervisory_authority"},
	{"REG", "Registrar of protected parties, FPS Foreign Affairs", "fps_foreign_affairs", "registrar"},
};

/* The principal who files a measure of `authority` in the demo. */
static const char *demo_requester(const char *authority)
{
	for (size_t i = 0; i < sizeof(demo_principals) / sizeof(demo_principals[0]); i++)
		if (strcmp(demo_principals[i].role, "requester") == 0 && strcmp(demo_principals[i].authority, authority) == 0)
			return demo_principals[i].id;
	return NULL;
}

/* Creates (or reuses) each demo principal's key file under dir and registers the principal. */
static int demo_principals_add(custos_store *st, const char *dir, const char *actor)
{
	int rc = 0;
	if (mkdir(dir, 0700) != 0 && access(dir, F_OK) != 0) {
		fprintf(stderr, "custos: demo: cannot create %s\n", dir);
		return CUSTOS_ERROR;
	}
	for (size_t i = 0; !rc && i < sizeof(demo_principals) / sizeof(demo_principals[0]); i++) {
		char path[4200], *vkey = NULL, *roles[1] = {(char *)demo_principals[i].role};
		custos_principal p;
		snprintf(path, sizeof(path), "%s/%s.key", dir, demo_principals[i].id);
		if (access(path, F_OK) == 0) {
			custos_signer *k = NULL;
			if (!(rc = custos_keyfile_load(path, &k)))
				rc = custos_signer_vkey(k, &vkey);
			custos_signer_free(k);
		} else {
			rc = custos_keyfile_generate(path, demo_principals[i].id, &vkey);
		}
		memset(&p, 0, sizeof(p));
		p.id = (char *)demo_principals[i].id;
		p.name = (char *)demo_principals[i].name;
		p.authority = (char *)demo_principals[i].authority;
		p.roles = roles;
		p.nroles = 1;
		p.pubkey = vkey;
		if (!rc)
			rc = custos_principal_add(st, &p, actor);
		free(vkey);
	}
	if (rc)
		cli_fail(rc, "demo: principals");
	return rc;
}

/* Serves the API and the page until SIGINT or SIGTERM. */
static int demo_serve(cli_ctx *ctx, const char *host, unsigned port, const char *keys)
{
	custos_server_options o;
	char note[8192];
	custos_server_options_init(&o);
	o.host = host;
	o.port = port;
	o.store_uri = ctx->store_uri;
	o.principals = 1;
	snprintf(note, sizeof(note),
		 "the page is at the address above (Ctrl-C stops it). Sign in with a key file from %s/:\n"
		 "  FA.key approves S5' as foreign_affairs, HEAD-VSSE.key as service_head (S5 itself is forbidden: a\n"
		 "  mission's archives may not be passed on by any channel); REQ-VSSE.key files a measure from the\n"
		 "  form, the law's answer shown as you type; COMR.key (comite_r) oversees every measure; REG.key\n"
		 "  (registrar) previews and imports demo/registry-update.jsonl, which suspends S5' once it is\n"
		 "  authorised (the ambassador's mobile becomes a line of his mission). The audit page proves\n"
		 "  entries in the browser.",
		 keys);
	fflush(stdout);
	return cli_serve(ctx, &o, note);
}

/* The seven situations of DESIGN.md §1, each replayed by one demo measure, and S5's lawful counterpart. */
static const struct {
	const char *file;
	const char *title;
} scenarios[] = {
	{"demo/measures/s1.json", "S1  Diplomats' email accounts broken into without asking Foreign Affairs"},
	{"demo/measures/s2.json", "S2  Embassy phone lines and a visiting diplomat's phone tapped"},
	{"demo/measures/s3.json", "S3  A Member of the European Parliament watched for her votes"},
	{"demo/measures/s4.json", "S4  Intelligence traded with a foreign service"},
	{"demo/measures/s5.json", "S5  Embassy correspondence handed to a foreign service, off the record"},
	{"demo/measures/s5-lawful.json", "S5' An exchange about a diplomat, asked the lawful way: Foreign Affairs and the head of service"},
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
	json_array_foreach(json_object_get(d, "assertions"), i, c)
	{
		const json_t *v = json_object_get(c, "value");
		const char *party = json_string_value(json_object_get(c, "party"));
		printf("    asserted, for %s to confirm: %s%s%s = %s  [%s]\n", json_string_value(json_object_get(c, "confirm_by")),
		       json_string_value(json_object_get(c, "flag")), party ? " of " : "", party ? party : "",
		       json_is_string(v) ? json_string_value(v) : json_is_true(v) ? "true" : "false",
		       json_string_value(json_object_get(c, "rule")));
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
	int as_json = 0, serve = 1, rc;
	int64_t events;
	char host[64] = "127.0.0.1", keys[4000];
	unsigned port = 8080;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
		} else if (strcmp(argv[i], "--no-serve") == 0) {
			serve = 0;
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			const char *c = strrchr(argv[++i], ':');
			char *end;
			unsigned long p = c ? strtoul(c + 1, &end, 10) : 0;
			if (!c || c == argv[i] || !c[1] || *end || p > 65535 || (size_t)(c - argv[i]) >= sizeof(host))
				return cli_usage(ctx, "--listen: expected HOST:PORT such as 127.0.0.1:8080, got '%s'", argv[i]);
			snprintf(host, sizeof(host), "%.*s", (int)(c - argv[i]), argv[i]);
			port = (unsigned)p;
		} else {
			return cli_usage(ctx, "usage: demo [--json] [--no-serve | --listen HOST:PORT]");
		}
	}
	if (as_json)
		serve = 0;
	snprintf(keys, sizeof(keys), "%s.keys", ctx->store_uri);
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
	if (demo_principals_add(st, keys, "demo")) {
		custos_store_close(st);
		return CLI_REFUSED;
	}
	if (!as_json)
		printf("custos demo: store %s\n"
		       "  imported %zu parties of a fictional registry (missions, diplomats, a consular post,\n"
		       "  an MEP, a refugee, a lawyer, a journalist) and the Belgian rule set.\n\n",
		       ctx->store_uri, count);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char *id = NULL, *decision = NULL;
		json_t *mj;
		const char *by = NULL;
		if ((rc = custos_builtin_get(&data, &len, scenarios[i].file)))
			return cli_fail(rc, scenarios[i].file);
		mj = json_loadb(data, len, 0, NULL);
		by = demo_requester(json_string_value(json_object_get(mj, "requested_by")) ? json_string_value(json_object_get(mj, "requested_by")) : "");
		rc = custos_measure_file_by(st, data, len, by ? by : "demo", by, &id, &decision);
		json_decref(mj);
		if (rc) {
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
	if (!as_json) {
		printf("\nThe demo's principals, one per role, each with its key file in %s/:\n", keys);
		for (size_t i = 0; i < sizeof(demo_principals) / sizeof(demo_principals[0]); i++)
			printf("  %-10s %-24s %s\n", demo_principals[i].id, demo_principals[i].role, demo_principals[i].name);
		printf("Approve from the command line with, e.g.:\n"
		       "  custos --store %s approve M-000005 --role foreign_affairs --key %s/FA.key\n",
		       ctx->store_uri, keys);
	}
	if (serve)
		return demo_serve(ctx, host, port, keys);
	return CLI_OK;
}
