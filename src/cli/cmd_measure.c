/* cmd_measure.c — verbs on measures: file, show, list. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/report.h"

int cmd_measure_file(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *text, *id = NULL, *decision = NULL;
	size_t len;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: measure file FILE");
	if (cli_read_input(argv[0], CUSTOS_MEASURE_MAX + 1, &text, &len))
		return CLI_REFUSED;
	if (cli_open_store(ctx, &st, 0)) {
		free(text);
		return CLI_REFUSED;
	}
	rc = custos_measure_file(st, text, len, ctx->actor, &id, &decision);
	custos_store_close(st);
	free(text);
	if (rc) {
		char what[4096];
		snprintf(what, sizeof(what), "%s: measure rejected, nothing stored",
			 strcmp(argv[0], "-") == 0 ? "standard input" : argv[0]);
		return cli_fail(rc, what);
	}
	cli_print_json(decision);
	free(id);
	free(decision);
	return CLI_OK;
}

int cmd_measure_show(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	custos_store_measure m;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: measure show ID");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_store_measure_get(st, &m, argv[0]);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "measure show");
	{
		json_t *o = custos_report_measure(&m);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	custos_store_measure_dispose(&m);
	return CLI_OK;
}

typedef struct {
	const char *state;
} list_filter;

static int list_one(void *vctx, const custos_store_measure *m)
{
	const list_filter *f = vctx;
	if (f->state && strcmp(f->state, m->state) != 0)
		return 0;
	return cli_print_line(custos_report_measure_summary(m));
}

int cmd_measure_list(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	list_filter f = {NULL};
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			f.state = argv[++i];
		else
			return cli_usage(ctx, "usage: measure list [--state S]");
	}
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_store_measure_each(st, list_one, &f);
	custos_store_close(st);
	return rc ? cli_fail(rc, "measure list") : CLI_OK;
}
