/* cmd_store.c — verbs on the store: init, registry import/export/show, events, rebuild and dump of the projections. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custos/lifecycle.h"

int cmd_init(cli_ctx *ctx, int argc, char **argv)
{
	const char *origin = NULL, *key = NULL;
	custos_store *st;
	int rc;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc)
			origin = argv[++i];
		else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else
			return cli_usage(ctx, "usage: init [--origin ORIGIN] [--key KEYFILE]");
	}
	if (cli_open_store(ctx, &st, 1))
		return CLI_REFUSED;
	rc = custos_workflow_init(st, ctx->store_uri, origin, key, ctx->actor);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "init");
	{
		char shown[1024];
		custos_store_uri_shown(ctx->store_uri, shown, sizeof(shown));
		fprintf(stderr, "custos: store %s ready\n", shown);
	}
	return CLI_OK;
}

/* The name_collisions the first registry.import event at or after `from` recorded, as JSON text; NULL if none. */
static char *import_collisions(custos_store *st, int64_t from)
{
	custos_store_event e;
	int64_t index;
	json_t *payload, *c;
	char *out = NULL;
	if (from < 0 || custos_store_event_find(st, from, "registry.import", &index) ||
	    custos_store_event_get(st, index, &e))
		return NULL;
	payload = e.payload ? json_loads(e.payload, 0, NULL) : NULL;
	c = json_object_get(payload, "name_collisions");
	if (json_is_array(c))
		out = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	custos_store_event_dispose(&e);
	return out;
}

int cmd_registry_import(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *text, *report = NULL, *collisions = NULL;
	size_t len, count = 0;
	int64_t before;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: registry import FILE");
	if (cli_read_input(argv[0], 1u << 30, &text, &len))
		return CLI_REFUSED;
	if (cli_open_store(ctx, &st, 0)) {
		free(text);
		return CLI_REFUSED;
	}
	before = custos_store_event_count(st);
	rc = custos_registry_import_rescreen(st, text, len, strcmp(argv[0], "-") == 0 ? "standard input" : argv[0],
					     ctx->actor, &count, &report);
	if (!rc)
		collisions = import_collisions(st, before);
	custos_store_close(st);
	free(text);
	if (rc)
		return cli_fail(rc, "registry import");
	if (collisions) {
		/* names of the file that another party's name hits: said with the count, as the log recorded them */
		printf("{\"imported\":%zu,\"name_collisions\":%s}\n", count, collisions);
		free(collisions);
	} else {
		printf("{\"imported\":%zu}\n", count);
	}
	/* measures the new registry suspended, one JSON line each (stdout: they are part of the result) */
	fputs(report, stdout);
	free(report);
	return CLI_OK;
}

int cmd_registry_export(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *out = NULL;
	size_t len = 0;
	int rc;
	if (argc != 0)
		return cli_usage(ctx, "registry export takes no arguments");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_registry_export(st, &out, &len);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "registry export");
	fwrite(out, 1, len, stdout);
	free(out);
	return CLI_OK;
}

int cmd_registry_show(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	char *line = NULL;
	int rc;
	if (argc != 1)
		return cli_usage(ctx, "usage: registry show ID");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_registry_show(st, argv[0], &line);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "registry show");
	cli_print_json(line);
	free(line);
	return CLI_OK;
}

static int print_event(void *ctx, const custos_store_event *e)
{
	json_t *o = json_object();
	(void)ctx;
	json_object_set_new(o, "index", json_integer(e->index));
	json_object_set_new(o, "type", json_string(e->type));
	json_object_set_new(o, "time", json_string(e->time));
	json_object_set_new(o, "actor", json_string(e->actor));
	json_object_set_new(o, "ref", e->ref ? json_string(e->ref) : json_null());
	json_object_set_new(o, "payload_hash", json_string(e->payload_hash));
	return cli_print_line(o);
}

int cmd_events(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	int rc;
	if (argc != 0)
		return cli_usage(ctx, "events takes no arguments");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_store_event_each(st, print_event, NULL);
	custos_store_close(st);
	return rc ? cli_fail(rc, "events") : CLI_OK;
}

int cmd_store_rebuild(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	int64_t events = 0;
	int rc;
	(void)argv;
	if (argc != 0)
		return cli_usage(ctx, "store rebuild takes no arguments");
	ctx->unpinned = 1; /* the log's verify, which rebuild runs first, names a rolled-back store */
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	rc = custos_workflow_rebuild(st, &events);
	custos_store_close(st);
	if (rc)
		return cli_fail(rc, "store rebuild");
	printf("{\"rebuilt\":true,\"events\":%lld}\n", (long long)events);
	return CLI_OK;
}

static int dump_row(void *ctx, const char *key, const char *const *names, const char *const *values, size_t n)
{
	json_t *o = json_pack("{s:s, s:s, s:{}}", "table", (const char *)ctx, "key", key, "fields");
	char *text;
	for (size_t i = 0; o && i < n; i++)
		if (names[i][0])
			json_object_set_new(json_object_get(o, "fields"), names[i], json_string(values[i]));
	text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!text)
		return CUSTOS_ENOMEM;
	puts(text);
	free(text);
	return 0;
}

int cmd_store_dump(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *st;
	int rc = 0;
	(void)argv;
	if (argc != 0)
		return cli_usage(ctx, "store dump takes no arguments");
	if (cli_open_store(ctx, &st, 0))
		return CLI_REFUSED;
	for (size_t i = 0; !rc && custos_store_projections[i]; i++)
		rc = custos_store_projection_each(st, custos_store_projections[i], dump_row,
						  (void *)custos_store_projections[i]);
	custos_store_close(st);
	return rc ? cli_fail(rc, "store dump") : CLI_OK;
}

int cmd_store_copy(cli_ctx *ctx, int argc, char **argv)
{
	custos_store *from = NULL, *to = NULL;
	uint64_t events = 0;
	char *note = NULL;
	uint64_t size = 0;
	int rc;
	if (argc != 2)
		return cli_usage(ctx, "usage: store copy FROM TO");
	if (strcmp(argv[0], argv[1]) == 0)
		return cli_usage(ctx, "store copy: FROM and TO are the same store");
	/* the source as it is: a rolled-back one is what its verification, first, reports */
	if ((rc = custos_store_open(&from, argv[0], 0)))
		return cli_fail(rc, argv[0]);
	if ((rc = custos_store_open(&to, argv[1], 1))) {
		custos_store_close(from);
		return cli_fail(rc, argv[1]);
	}
	rc = custos_workflow_copy(from, to, &events);
	if (!rc) {
		rc = custos_store_checkpoint_latest(to, &size, &note);
		if (rc == CUSTOS_ENOTFOUND)
			rc = 0;
	}
	custos_store_close(from);
	custos_store_close(to);
	if (rc) {
		free(note);
		return cli_fail(rc, "store copy");
	}
	printf("{\"copied\":true,\"events\":%llu,\"checkpoint_size\":%llu}\n", (unsigned long long)events,
	       (unsigned long long)size);
	free(note);
	return CLI_OK;
}
