/* cmd_screen.c — `custos screen`: selectors against the registry, one by one or as a JSON Lines stream. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/report.h"

/* Screens every string field (and strings in array fields) of one record. */
static int stream_line(const custos_registry *reg, const char *line, size_t len, size_t lineno, custos_date day,
		       int grace, int redact)
{
	json_error_t jerr;
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *flags, *v;
	const char *key;
	if (!rec || !json_is_object(rec)) {
		fflush(stdout); /* what was flagged so far comes out before the error */
		fprintf(stderr, "custos: standard input:%zu: %s\n", lineno,
			rec ? "expected a JSON object" : jerr.text);
		json_decref(rec);
		return CLI_REFUSED;
	}
	flags = json_array();
	json_object_foreach(rec, key, v)
	{
		json_t *items = json_is_array(v) ? v : NULL;
		size_t count = items ? json_array_size(items) : 1;
		for (size_t i = 0; i < count; i++) {
			json_t *s = items ? json_array_get(items, i) : v, *hits;
			if (!json_is_string(s))
				continue;
			hits = custos_report_screen_one(reg, json_string_value(s), json_string_length(s), day, grace);
			if (json_array_size(hits)) {
				json_t *f = json_object();
				json_object_set_new(f, "field", json_string(key));
				json_object_set_new(f, "selector", json_string(json_string_value(s)));
				json_object_set_new(f, "hits", json_incref(hits));
				json_array_append_new(flags, f);
				if (redact) {
					char red[96];
					snprintf(red, sizeof(red), "redacted:%s",
						 json_string_value(json_object_get(json_array_get(hits, 0), "party")));
					json_string_set(s, red);
				}
			}
			json_decref(hits);
		}
	}
	if (json_array_size(flags)) {
		json_object_set_new(rec, "custos", json_pack("{s:b,s:o}", "flagged", 1, "flags", flags));
		return cli_print_line(rec) ? cli_fail(CUSTOS_ENOMEM, "screen") : CLI_OK;
	}
	json_decref(flags);
	json_decref(rec);
	fwrite(line, 1, len, stdout);
	fputc('\n', stdout);
	return CLI_OK;
}

/*
 * --explain: each name's result gets "explain", why it hits or does not
 * hit each registry name that shares a word with it.
 */
static void explain_names(const custos_registry *reg, json_t *results, char **sels, int nsel)
{
	for (int i = 0; i < nsel; i++) {
		custos_selector sel;
		json_t *e;
		if (custos_selector_parse(&sel, sels[i], strlen(sels[i])))
			continue;
		e = custos_report_explain_name(reg, &sel);
		if (e)
			json_object_set_new(json_array_get(results, (size_t)i), "explain", e);
		custos_selector_dispose(&sel);
	}
}

static int screen_stream(const custos_registry *reg, custos_date day, int grace, int redact)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int status = CLI_OK;
	while (status == CLI_OK && (n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((size_t)n > CUSTOS_REGISTRY_LINE_MAX) {
			fprintf(stderr, "custos: standard input:%zu: line longer than %d bytes\n", lineno,
				CUSTOS_REGISTRY_LINE_MAX);
			status = CLI_REFUSED;
			break;
		}
		status = stream_line(reg, line, (size_t)n, lineno, day, grace, redact);
	}
	free(line);
	return status;
}

int cmd_screen(cli_ctx *ctx, int argc, char **argv)
{
	custos_date day = custos_date_today();
	int stream = 0, redact = 0, explain = 0, nsel = 0, status = CLI_OK, grace = 0, rc;
	char **sels = calloc((size_t)argc + 1, sizeof(*sels));
	custos_store *st = NULL;
	custos_registry *reg = NULL;
	custos_ruleset *rs = NULL;

	if (!sels)
		return cli_fail(CUSTOS_ENOMEM, "out of memory");
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--date") == 0 && i + 1 < argc) {
			if (custos_date_parse(&day, argv[++i])) {
				free(sels);
				return cli_usage(ctx, "--date: expected YYYY-MM-DD, got '%s'", argv[i]);
			}
		} else if (strcmp(argv[i], "--stream") == 0) {
			stream = 1;
		} else if (strcmp(argv[i], "--redact") == 0) {
			redact = 1;
		} else if (strcmp(argv[i], "--explain") == 0) {
			explain = 1;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			free(sels);
			return cli_usage(ctx, "screen: unknown option '%s'", argv[i]);
		} else {
			sels[nsel++] = argv[i];
		}
	}
	if (stream == (nsel > 0)) {
		free(sels);
		return cli_usage(ctx, "usage: screen [--date D] [--explain] SELECTOR... | screen --stream [--date D] [--redact]");
	}
	/* Parse every selector before touching the store: one bad selector fails the command. */
	for (int i = 0; i < nsel; i++) {
		custos_selector sel;
		if ((rc = custos_selector_parse(&sel, sels[i], strlen(sels[i])))) {
			free(sels);
			return cli_fail(rc, "screen");
		}
		custos_selector_dispose(&sel);
	}
	if (cli_open_store(ctx, &st, 0)) {
		free(sels);
		return CLI_REFUSED;
	}
	if ((rc = custos_workflow_rules_current(st, &rs)) || (rc = custos_registry_load(st, &reg))) {
		status = cli_fail(rc, "screen");
		goto out;
	}
	grace = custos_rules_grace_days(rs);
	custos_workflow_name_policy(reg, rs);
	if (stream) {
		status = screen_stream(reg, day, grace, redact);
	} else {
		json_t *root = custos_report_screen(reg, (const char *const *)sels, (size_t)nsel, day, grace);
		char *s;
		if (explain)
			explain_names(reg, json_object_get(root, "results"), sels, nsel);
		s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
		json_decref(root);
	}
out:
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	custos_store_close(st);
	free(sels);
	return status;
}
