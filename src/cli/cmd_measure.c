/* cmd_measure.c — verbs on measures: file, show, list (by state, or waiting for a role). */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/lifecycle.h"
#include "custos/report.h"

/* The principal holding the key in `keyfile` (malloc'd id), or NULL with the error printed. */
static char *principal_of_key(custos_store *st, const char *keyfile)
{
	custos_signer *key = NULL;
	custos_principal p;
	char *vkey = NULL, *id = NULL;
	int rc;
	memset(&p, 0, sizeof(p));
	if (!(rc = custos_keyfile_load(keyfile, &key)) && !(rc = custos_signer_vkey(key, &vkey)) &&
	    !(rc = custos_principal_by_key(st, vkey, &p))) {
		id = p.id;
		p.id = NULL;
	}
	if (rc)
		cli_fail(rc, "measure file: nothing stored");
	custos_principal_dispose(&p);
	custos_signer_free(key);
	free(vkey);
	return id;
}

/*
 * Prints the decision of a committed filing. If standard output cannot take it (a full disk, a file
 * size limit, a closed pipe), the id still reaches standard error, so that nobody files the measure
 * again to learn what became of it.
 */
static int report_filed(const char *id, const char *decision)
{
	int err;
	errno = 0;
	cli_print_json(decision);
	if (fflush(stdout) == 0 && !ferror(stdout))
		return CLI_OK;
	err = errno ? errno : EIO;
	fprintf(stderr,
		"custos: measure file: %s was filed and recorded, but its decision could not be written to "
		"standard output (%s); see 'custos measure show %s', and do not file it again\n",
		id, strerror(err), id);
	return CLI_REFUSED;
}

int cmd_measure_file(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *text, *id = NULL, *decision = NULL, *by = NULL;
	const char *file = NULL, *keyfile = NULL;
	size_t len;
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc && !keyfile)
			keyfile = argv[++i];
		else if (!file && (strncmp(argv[i], "--", 2) != 0 || strcmp(argv[i], "-") == 0))
			file = argv[i];
		else
			return cli_usage(ctx, "usage: measure file FILE [--key K]");
	}
	if (!file)
		return cli_usage(ctx, "usage: measure file FILE [--key K]");
	if (cli_read_input(file, CUSTOS_MEASURE_MAX + 1, &text, &len))
		return CLI_REFUSED;
	if (cli_open_store(ctx, &st, 0)) {
		free(text);
		return CLI_REFUSED;
	}
	if (keyfile && !(by = principal_of_key(st, keyfile))) {
		custos_store_close(st);
		free(text);
		return CLI_REFUSED;
	}
	/* once committed, the filing must be reported: a closed pipe is an error to report, not a death */
	signal(SIGPIPE, SIG_IGN);
	rc = custos_measure_file_by(st, text, len, ctx->actor, by, &id, &decision);
	free(by);
	free(text);
	if (rc) {
		char what[4096];
		custos_store_close(st);
		snprintf(what, sizeof(what), "%s: measure rejected, nothing stored",
			 strcmp(file, "-") == 0 ? "standard input" : file);
		return cli_fail(rc, what);
	}
	/* the decision goes out before anything else can fail (closing the store writes to its files) */
	rc = report_filed(id, decision);
	custos_store_close(st);
	free(id);
	free(decision);
	return rc;
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
	if (rc) {
		custos_store_close(st);
		return cli_fail(rc, "measure show");
	}
	{
		json_t *o = custos_report_measure(st, &m, custos_date_today());
		char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		else
			rc = o ? CUSTOS_ENOMEM : CUSTOS_ERROR;
		free(s);
		json_decref(o);
	}
	custos_store_measure_dispose(&m);
	custos_store_close(st);
	return rc ? cli_fail(rc, "measure show") : CLI_OK;
}

static int print_line(void *ctx, json_t *line)
{
	(void)ctx;
	return cli_print_line(line);
}

int cmd_measure_list(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	const char *state = NULL, *role = NULL;
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			state = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else
			return cli_usage(ctx, "usage: measure list [--state S] [--role R]");
	}
	if (role && !custos_principal_role_valid(role))
		return cli_usage(ctx, "--role: unknown role '%s' (one of %s)", role, custos_principal_roles_list());
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_report_measures(st, state, role, custos_date_today(), print_line, NULL);
	custos_store_close(st);
	return rc ? cli_fail(rc, "measure list") : CLI_OK;
}
