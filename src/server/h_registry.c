/* h_registry.c — the registrar's import over HTTP: a preview that stores nothing, and the import that re-screens. */
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "server_int.h"

/*
 * POST /v1/registry/preview: the import tried in a transaction rolled back — the parties it adds, changes and
 * removes against the registry in force, and the authorised measures it would suspend. Nothing is stored.
 */
void srv_h_registry_preview(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *text = NULL;
	int rc = custos_registry_import_preview(ctx->store, rq->body, rq->body_len, "body", rq->actor, &text);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_bytes(rs, 200, "application/json", text, strlen(text)); /* the response owns text */
}

/*
 * POST /v1/registry: the import, and in the same transaction every authorised measure screened again against
 * the new registry (custos_registry_import_rescreen, as `custos registry import` does); the answer lists the
 * measures it suspended.
 */
void srv_h_registry_import(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	size_t count = 0;
	char *report = NULL;
	json_t *suspended = json_array();
	int rc = suspended ? custos_registry_import_rescreen(ctx->store, rq->body, rq->body_len, "body", rq->actor,
							     &count, &report)
			   : CUSTOS_ENOMEM;
	if (rc) {
		json_decref(suspended);
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_snapshot_invalidate(ctx->srv);
	for (const char *s = report ? report : ""; *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		json_t *o = n ? json_loadb(s, n, 0, NULL) : NULL;
		if (o)
			json_array_append_new(suspended, o);
		s += n + (nl != NULL);
	}
	free(report);
	srv_json(rs, 200, json_pack("{s:I,s:o}", "imported", (json_int_t)count, "suspended", suspended));
}
