/* h_measures.c — handlers for measures, the dry-run decision, the registry and screening. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/principal.h"
#include "custos/report.h"
#include "custos/workflow.h"
#include "server_int.h"

void srv_h_measure_file(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *id = NULL, *decision = NULL;
	const char *filer = rq->principal[0] ? rq->principal : NULL;
	srv_snapshot *snap;
	custos_filing_basis basis;
	int rc;
	if (filer) {
		/* a service files for itself: the library refuses the rest too, this says it with 403 */
		custos_principal p;
		if ((rc = custos_principal_get(ctx->store, filer, &p))) {
			srv_fail(rs, rc, NULL);
			return;
		}
		if (strcmp(p.authority, rq->measure.requested_by) != 0) {
			srv_error(rs, 403, "requested_by", "requested_by: principal %s files for %s, not for %s", p.id,
				  p.authority, rq->measure.requested_by);
			custos_principal_dispose(&p);
			return;
		}
		custos_principal_dispose(&p);
	}
	/* one library call, one store transaction: the measure, its decision, its life and events, or nothing;
	 * filed by the signing principal, who may then sign no approval of it; decided on the snapshot's rules
	 * and registry, which the library reads again under the write lock if they changed since */
	if (!(snap = srv_snapshot_get(ctx, rs)))
		return;
	basis = (custos_filing_basis){snap->rules, snap->registry, atomic_load(&snap->seen)};
	rc = custos_measure_file_on(ctx->store, &basis, rq->body, rq->body_len, rq->actor, filer, &id, &decision);
	srv_snapshot_release(ctx->srv, snap);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	snprintf(rs->location, sizeof(rs->location), "/v1/measures/%s", id);
	srv_bytes(rs, 201, "application/json", decision, strlen(decision));
	free(id);
}

void srv_h_decide(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	srv_snapshot *snap = srv_snapshot_get(ctx, rs);
	custos_verdict v;
	char *out = NULL;
	int rc;
	if (!snap)
		return;
	memset(&v, 0, sizeof(v));
	if ((rc = custos_decide(&v, snap->rules, snap->registry, &rq->measure))) {
		srv_fail(rs, rc, NULL);
	} else if (v.decision.reject) {
		/* the same refusal as filing gives: the measure is invalid input */
		srv_error(rs, 400, NULL, "%s (%s, rule %s)", v.decision.reject->explain, v.decision.reject->cite,
			  v.decision.reject->rule);
	} else if ((rc = custos_verdict_encode(&out, &v, NULL, -1))) {
		srv_fail(rs, rc, NULL);
	} else {
		srv_bytes(rs, 200, "application/json", out, strlen(out));
	}
	custos_verdict_dispose(&v);
	srv_snapshot_release(ctx->srv, snap);
}

/* A page of measures: at most `limit` the caller may see; `next` is set when one more was found. */
typedef struct {
	srv_ctx *ctx;
	const srv_request *rq;
	json_t *list;
	size_t limit;
	char next[32];
} list_ctx;

#define LIST_FULL 1 /* stops the walk: the page is full and another measure follows */

static int add_line(void *vctx, json_t *line)
{
	list_ctx *l = vctx;
	if (!srv_may_see(l->ctx, l->rq, json_string_value(json_object_get(line, "id")),
			 json_string_value(json_object_get(line, "requested_by")))) {
		json_decref(line);
		return 0;
	}
	if (json_array_size(l->list) == l->limit) {
		/* one more the caller may see: the page ends with its last measure, and "next" points there */
		const char *last = json_string_value(json_object_get(json_array_get(l->list, l->limit - 1), "id"));
		snprintf(l->next, sizeof(l->next), "%s", last ? last : "");
		json_decref(line);
		return LIST_FULL;
	}
	return json_array_append_new(l->list, line) ? CUSTOS_ENOMEM : 0;
}

void srv_h_measure_list(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const srv_kv *state = srv_query(rq, "state"), *role = srv_query(rq, "role"), *limit = srv_query(rq, "limit"),
		     *after = srv_query(rq, "after");
	json_t *list = json_array();
	list_ctx l = {ctx, rq, list, 100, ""};
	int rc;
	if (limit && (limit->num < 1 || limit->num > 1000)) {
		json_decref(list);
		srv_error(rs, 400, "limit", "limit: from 1 to 1000, not %s", limit->value);
		return;
	}
	if (limit)
		l.limit = (size_t)limit->num;
	{
		/* only what concerns the caller is read: a listing costs the page, not the register */
		char keys[32][SRV_ACCESS_KEY];
		const char *who[32];
		size_t n = 0;
		if (srv_access_keys(ctx, rq, keys, 32, &n)) {
			rc = custos_report_measures_after(ctx->store, after ? after->value : NULL,
							  state ? state->value : NULL, role ? role->value : NULL,
							  custos_date_today(), add_line, &l);
		} else {
			for (size_t i = 0; i < n; i++)
				who[i] = keys[i];
			rc = custos_report_measures_visible_after(ctx->store, after ? after->value : NULL, who, n,
								  state ? state->value : NULL,
								  role ? role->value : NULL, custos_date_today(),
								  add_line, &l);
		}
	}
	if (rc && rc != LIST_FULL) {
		json_decref(list);
		if (rc == CUSTOS_ENOTFOUND && after)
			srv_error(rs, 400, "after", "after: no measure '%.64s'", after->value);
		else
			srv_fail(rs, rc, NULL);
		return;
	}
	srv_json(rs, 200, json_pack("{s:o,s:o}", "measures", list, "next", *l.next ? json_string(l.next) : json_null()));
}

void srv_h_measure_show(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	custos_store_measure m;
	const char *id = srv_param(rq, "id")->value;
	int rc;
	if (!srv_may_see(ctx, rq, id, NULL)) {
		srv_error(rs, 404, "id", "no measure '%s'", id);
		return;
	}
	rc = custos_store_measure_get(ctx->store, &m, id);
	if (rc) {
		srv_fail(rs, rc, "id");
		return;
	}
	{
		char *text = NULL;
		if ((rc = custos_report_measure_text(ctx->store, &m, custos_date_today(), &text)))
			srv_fail(rs, rc, NULL);
		else
			srv_bytes(rs, 200, "application/json", text, strlen(text));
	}
	custos_store_measure_dispose(&m);
}

void srv_h_registry_show(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *line = NULL;
	int rc = custos_registry_show(ctx->store, srv_param(rq, "id")->value, &line);
	if (rc) {
		srv_fail(rs, rc, "id");
		return;
	}
	srv_bytes(rs, 200, "application/json", line, strlen(line));
}

/* Every party, in id order, as its canonical entry. */
static void all_parties(srv_snapshot *snap, srv_response *rs)
{
	json_t *list = json_array();
	for (size_t i = 0; i < custos_registry_count(snap->registry); i++) {
		char *line = NULL;
		int rc = custos_party_encode(&line, custos_registry_party(snap->registry, i));
		if (rc) {
			json_decref(list);
			srv_fail(rs, rc, NULL);
			return;
		}
		json_array_append_new(list, json_loads(line, 0, NULL));
		free(line);
	}
	srv_json(rs, 200,
		 json_pack("{s:s,s:o}", "registry_hash", custos_registry_hash(snap->registry), "parties", list));
}

void srv_h_registry_search(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const srv_kv *q = srv_query(rq, "q"), *date = srv_query(rq, "date");
	srv_snapshot *snap;
	custos_selector sel;
	custos_date day = CUSTOS_DATE_NONE, today = custos_date_today();
	custos_hit *hits = NULL;
	size_t n = 0;
	json_t *arr;
	int rc;

	if (date && custos_date_parse(&day, date->value)) {
		srv_error(rs, 400, "date", "date: expected YYYY-MM-DD, got '%.32s'", date->value);
		return;
	}
	if (q && custos_selector_parse(&sel, q->value, strlen(q->value))) {
		/* not a selector: a name */
		char name[CUSTOS_SELECTOR_MAX + 8];
		snprintf(name, sizeof(name), "name:%s", q->value);
		if (strchr(q->value, ':') || custos_selector_parse(&sel, name, strlen(name))) {
			srv_error(rs, 400, "q", "q: %s", custos_error_last());
			return;
		}
	}
	if (!(snap = srv_snapshot_get(ctx, rs))) {
		if (q)
			custos_selector_dispose(&sel);
		return;
	}
	if (!q) {
		all_parties(snap, rs);
		srv_snapshot_release(ctx->srv, snap);
		return;
	}
	rc = day == CUSTOS_DATE_NONE ? custos_registry_screen(&hits, &n, snap->registry, &sel, today, today, snap->grace, 1)
				     : custos_registry_screen(&hits, &n, snap->registry, &sel, day, day, snap->grace, 0);
	if (rc) {
		srv_fail(rs, rc, "q");
	} else {
		char d[11];
		arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, custos_report_hit(&hits[i]));
		if (day != CUSTOS_DATE_NONE)
			custos_date_format(d, day);
		srv_json(rs, 200,
			 json_pack("{s:s,s:o,s:s,s:o}", "query", sel.text, "date",
				   day == CUSTOS_DATE_NONE ? json_null() : json_string(d), "registry_hash",
				   custos_registry_hash(snap->registry), "hits", arr));
	}
	free(hits);
	custos_selector_dispose(&sel);
	srv_snapshot_release(ctx->srv, snap);
}

void srv_h_screen(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	srv_snapshot *snap = srv_snapshot_get(ctx, rs);
	if (!snap)
		return;
	srv_json(rs, 200,
		 custos_report_screen(snap->registry, (const char *const *)rq->screen.selectors, rq->screen.n,
				      rq->screen.day, snap->grace));
	srv_snapshot_release(ctx->srv, snap);
}
