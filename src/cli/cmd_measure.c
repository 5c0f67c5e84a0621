/* cmd_measure.c — verbs on measures: file, show, list (by state, or waiting for a role). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/lifecycle.h"

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
	rc = custos_measure_file_by(st, text, len, ctx->actor, by, &id, &decision);
	free(by);
	custos_store_close(st);
	free(text);
	if (rc) {
		char what[4096];
		snprintf(what, sizeof(what), "%s: measure rejected, nothing stored",
			 strcmp(file, "-") == 0 ? "standard input" : file);
		return cli_fail(rc, what);
	}
	cli_print_json(decision);
	free(id);
	free(decision);
	return CLI_OK;
}

/* The measure row as one JSON object: id, state (as of today), filed_at, measure, decision, life. */
static json_t *measure_json(custos_store *st, const custos_store_measure *m)
{
	json_t *o = json_object(), *life = NULL;
	char *text = NULL;
	if (custos_measure_life(st, m->id, custos_date_today(), &text) == 0)
		life = json_loads(text, 0, NULL);
	free(text);
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", life ? json_incref(json_object_get(life, "state")) : json_string(m->state));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	json_object_set_new(o, "measure", json_loads(m->measure, 0, NULL));
	json_object_set_new(o, "decision", json_loads(m->decision, 0, NULL));
	if (life)
		json_object_set_new(o, "life", life);
	return o;
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
		json_t *o = measure_json(st, &m);
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	custos_store_measure_dispose(&m);
	custos_store_close(st);
	return CLI_OK;
}

typedef struct {
	custos_store *st;
	const char *state, *role;
} list_filter;

static int list_one(void *vctx, const custos_store_measure *m)
{
	const list_filter *f = vctx;
	json_t *o, *d;
	char state[16];
	if (custos_measure_state(f->st, m->id, custos_date_today(), state))
		snprintf(state, sizeof(state), "%s", m->state);
	if (f->state && strcmp(f->state, state) != 0)
		return 0;
	if (f->role && !custos_measure_waits_for(f->st, m->id, f->role))
		return 0;
	d = json_loads(m->decision, 0, NULL);
	o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "outcome", json_incref(json_object_get(d, "outcome")));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	{
		json_t *mj = json_loads(m->measure, 0, NULL);
		json_object_set_new(o, "kind", json_incref(json_object_get(mj, "kind")));
		json_object_set_new(o, "requested_by", json_incref(json_object_get(mj, "requested_by")));
		json_decref(mj);
	}
	json_object_set_new(o, "approvals", json_incref(json_object_get(d, "approvals")));
	json_decref(d);
	return cli_print_line(o);
}

int cmd_measure_list(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	list_filter f = {NULL, NULL, NULL};
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			f.state = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			f.role = argv[++i];
		else
			return cli_usage(ctx, "usage: measure list [--state S] [--role R]");
	}
	if (f.role && !custos_principal_role_valid(f.role))
		return cli_usage(ctx, "--role: unknown role '%s' (one of %s)", f.role, custos_principal_roles_list());
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	f.st = st;
	rc = custos_store_measure_each(st, list_one, &f);
	custos_store_close(st);
	return rc ? cli_fail(rc, "measure list") : CLI_OK;
}
