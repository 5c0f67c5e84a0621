/* cmd_gate.c — `custos gate openli` (the gate in front of OpenLI's provisioner), `gate intercepts`, `audit openli`. */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/gate.h"
#include "custos/server.h"

/* The API key file: one line (its final newline dropped). Prints the error. */
static int read_key_file(const char *path, char **key)
{
	size_t len;
	if (cli_read_input(path, 4096, key, &len))
		return CLI_REFUSED;
	while (len && ((*key)[len - 1] == '\n' || (*key)[len - 1] == '\r'))
		(*key)[--len] = '\0';
	if (!len || strchr(*key, '\n')) {
		fprintf(stderr, "custos: %s: expected the provisioner's API key on one line\n", path);
		free(*key);
		*key = NULL;
		return CLI_REFUSED;
	}
	return CLI_OK;
}

int cmd_gate_openli(cli_ctx *ctx, int argc, char **argv)
{
	custos_gate_options o;
	custos_gate *g = NULL;
	char host[64] = "127.0.0.1", *key = NULL;
	sigset_t set;
	int sig = 0, rc;
	custos_gate_options_init(&o);
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			if (cli_parse_listen(argv[++i], host, sizeof(host), &o.port))
				return cli_usage(ctx, "--listen: expected HOST:PORT such as 127.0.0.1:8993, got '%s'", argv[i]);
		} else if (strcmp(argv[i], "--upstream") == 0 && i + 1 < argc) {
			o.upstream = argv[++i];
		} else if (strcmp(argv[i], "--api-key-file") == 0 && i + 1 < argc) {
			free(key);
			if (read_key_file(argv[++i], &key))
				return CLI_REFUSED;
		} else if (strcmp(argv[i], "--allow-config") == 0) {
			o.allow_config = 1;
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			char *end;
			long s = strtol(argv[++i], &end, 10);
			if (*end || s < 1 || s > 3600) {
				free(key);
				return cli_usage(ctx, "--interval: expected 1 to 3600 seconds, got '%s'", argv[i]);
			}
			o.interval = (unsigned)s;
		} else {
			free(key);
			return cli_usage(ctx, "usage: gate openli --listen HOST:PORT --upstream URL [--api-key-file FILE] "
					      "[--allow-config] [--interval SECONDS]");
		}
	}
	if (!o.upstream) {
		free(key);
		return cli_usage(ctx, "gate openli: --upstream URL is required (the provisioner's REST API)");
	}
	o.host = host;
	o.store_uri = ctx->store_uri;
	o.api_key = key;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = custos_gate_start(&g, &o);
	free(key);
	if (rc)
		return cli_fail(rc, "gate openli");
	{
		char shown[1024];
		custos_store_uri_shown(ctx->store_uri, shown, sizeof(shown));
		fprintf(stderr, "custos: gate listening on http://%s:%u/ (upstream %s; store %s%s)\n", host,
			custos_gate_port(g), o.upstream, shown, o.allow_config ? "; configuration changes pass" : "");
	}
	fflush(stderr);
	sigwait(&set, &sig);
	fprintf(stderr, "custos: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
	custos_gate_stop(g);
	return CLI_OK;
}

int cmd_gate_intercepts(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *json = NULL;
	json_t *arr, *row;
	size_t i;
	int rc;
	if (argc > 1 || (argc == 1 && argv[0][0] == '-'))
		return cli_usage(ctx, "usage: gate intercepts [MEASURE]");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_gate_intercepts(st, argc ? argv[0] : NULL, &json);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "gate intercepts");
	arr = json_loads(json, 0, NULL);
	free(json);
	json_array_foreach(arr, i, row)
	{
		json_incref(row);
		cli_print_line(row);
	}
	json_decref(arr);
	return CLI_OK;
}

/* The report as a table: one line per finding, then the intercepts found in order. */
static void print_table(FILE *f, const char *report)
{
	json_t *r = json_loads(report, 0, NULL), *x;
	size_t i;
	fprintf(f, "%-14s %-15s %-5s %-16s %-12s %s\n", "LIID", "KIND", "LINE", "FINDING", "MEASURE", "DETAIL");
	json_array_foreach(json_object_get(r, "findings"), i, x)
	{
		char line[16] = "-";
		if (json_object_get(x, "line"))
			snprintf(line, sizeof(line), "%lld", (long long)json_integer_value(json_object_get(x, "line")));
		fprintf(f, "%-14s %-15s %-5s %-16s %-12s %s\n", json_string_value(json_object_get(x, "liid")),
			json_string_value(json_object_get(x, "kind")), line,
			json_string_value(json_object_get(x, "finding")),
			json_object_get(x, "measure") ? json_string_value(json_object_get(x, "measure")) : "-",
			json_string_value(json_object_get(x, "detail")));
	}
	fprintf(f, "%lld intercepts, %lld findings, %zu clean\n",
		(long long)json_integer_value(json_object_get(r, "intercepts")),
		(long long)json_integer_value(json_object_get(r, "count")), json_array_size(json_object_get(r, "clean")));
	json_decref(r);
}

int cmd_audit_openli(cli_ctx *ctx, int argc, char **argv)
{
	custos_openli_intercept *list = NULL;
	custos_store *st = NULL;
	const char *source = NULL;
	char *key = NULL, *report = NULL;
	size_t n = 0, nfindings = 0;
	int64_t index = -1;
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--api-key-file") == 0 && i + 1 < argc) {
			free(key);
			if (read_key_file(argv[++i], &key))
				return CLI_REFUSED;
		} else if (!source && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			source = argv[i];
		} else {
			free(key);
			return cli_usage(ctx, "usage: audit openli FILE|URL [--api-key-file FILE]");
		}
	}
	if (!source) {
		free(key);
		return cli_usage(ctx, "usage: audit openli FILE|URL [--api-key-file FILE]");
	}
	if (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0) {
		rc = custos_openli_list_api(&list, &n, source, key);
	} else {
		char *text = NULL;
		size_t len;
		if (cli_read_input(source, 64u << 20, &text, &len)) {
			free(key);
			return CLI_REFUSED;
		}
		rc = custos_openli_read_yaml(&list, &n, text, len, source);
		free(text);
	}
	free(key);
	if (rc) {
		custos_openli_intercepts_free(list, n);
		return cli_fail(rc, "audit openli");
	}
	if (cli_open_store(ctx, &st, 0)) {
		custos_openli_intercepts_free(list, n);
		return CLI_REFUSED;
	}
	if (!(rc = custos_gate_audit(st, list, n, source, &report, &nfindings)))
		rc = custos_gate_audit_log(st, report, ctx->actor, &index);
	custos_store_close(st);
	custos_openli_intercepts_free(list, n);
	if (rc) {
		free(report);
		return cli_fail(rc, "audit openli");
	}
	cli_print_json(report);
	print_table(stderr, report);
	fprintf(stderr, "custos: the report is event %lld of the log\n", (long long)index);
	free(report);
	return nfindings ? CLI_REFUSED : CLI_OK;
}
