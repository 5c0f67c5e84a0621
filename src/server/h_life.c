/* h_life.c — the life of a measure over HTTP: who am I, statements to sign and signed ones, tokens, revocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/principal.h"
#include "server_int.h"

/* The caller's principal (ENOTFOUND on an open server, where nobody signs). */
static int caller(const srv_ctx *ctx, const srv_request *rq, custos_principal *p)
{
	memset(p, 0, sizeof(*p));
	if (!rq->principal[0])
		return CUSTOS_ENOTFOUND;
	return custos_principal_get(ctx->store, rq->principal, p);
}

/* The caller's principal, read once per request; NULL on an open server or when it cannot be read. */
static const custos_principal *caller_once(srv_ctx *ctx, const srv_request *rq)
{
	if (!ctx->caller_read)
		ctx->caller_read = caller(ctx, rq, &ctx->caller) == 0 ? 1 : -1;
	return ctx->caller_read == 1 ? &ctx->caller : NULL;
}

/* The caller as a reader of measures: NULL with *all 1 when it may read every one (an open server, comite_r). */
static const custos_principal *reader(srv_ctx *ctx, const srv_request *rq, int *all)
{
	const custos_principal *p = NULL;
	*all = !ctx->srv->opt.principals;
	if (!*all && (p = caller_once(ctx, rq)) && custos_principal_has_role(p, "comite_r"))
		*all = 1;
	return *all ? NULL : p;
}

static int files_for_authority(const custos_principal *p)
{
	return custos_principal_has_role(p, "requester") || custos_principal_has_role(p, "service_head");
}

int srv_access_keys(srv_ctx *ctx, const srv_request *rq, char keys[][SRV_ACCESS_KEY], size_t cap, size_t *n)
{
	int all;
	const custos_principal *p = reader(ctx, rq, &all);
	*n = 0;
	if (all || !p)
		return all;
	if (files_for_authority(p) && *n < cap)
		snprintf(keys[(*n)++], SRV_ACCESS_KEY, "authority:%s", p->authority);
	for (size_t i = 0; i < p->nroles && *n < cap; i++)
		snprintf(keys[(*n)++], SRV_ACCESS_KEY, "role:%s", p->roles[i]);
	if (*n < cap)
		snprintf(keys[(*n)++], SRV_ACCESS_KEY, "principal:%s", p->id);
	return 0;
}

int srv_may_see(srv_ctx *ctx, const srv_request *rq, const char *id, const char *requested_by)
{
	custos_store_measure m;
	int see = 0, all;
	const custos_principal *p = reader(ctx, rq, &all);
	if (all || !p)
		return all;
	if (files_for_authority(p)) {
		if (requested_by) {
			see = strcmp(requested_by, p->authority) == 0;
		} else if (custos_store_measure_get(ctx->store, &m, id) == 0) {
			json_t *mj = json_loads(m.measure, 0, NULL);
			const char *by = json_string_value(json_object_get(mj, "requested_by"));
			see = by && strcmp(by, p->authority) == 0;
			json_decref(mj);
			custos_store_measure_dispose(&m);
		}
	}
	/* what waits for one of its roles, or what it signed, in any round */
	return see || custos_measure_concerns(ctx->store, id, p) == 1;
}

void srv_h_me(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	custos_principal p;
	char *json = NULL;
	int rc;
	if (!rq->principal[0]) {
		srv_error(rs, 404, NULL, "no principal: this server runs without signatures (--open)");
		return;
	}
	rc = caller(ctx, rq, &p);
	if (!rc)
		rc = custos_principal_encode(&json, &p);
	custos_principal_dispose(&p);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_bytes(rs, 200, "application/json", json, strlen(json));
}

static int add_principal(void *ctx, const custos_principal *p)
{
	char *json = NULL;
	int rc = custos_principal_encode(&json, p);
	if (!rc)
		rc = json_array_append_new(ctx, json_loads(json, 0, NULL)) ? CUSTOS_ENOMEM : 0;
	free(json);
	return rc;
}

void srv_h_principals(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	json_t *list = json_array();
	int rc = custos_principal_each(ctx->store, add_principal, list);
	(void)rq;
	if (rc) {
		json_decref(list);
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_json(rs, 200, json_pack("{s:o}", "principals", list));
}

void srv_h_statement_text(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const char *id = srv_param(rq, "id")->value;
	const srv_kv *action = srv_query(rq, "action"), *role = srv_query(rq, "role"), *reason = srv_query(rq, "reason"),
		     *until = srv_query(rq, "until");
	custos_action a;
	char *text = NULL;
	int rc;
	if (custos_action_from_name(&a, action->value)) {
		srv_error(rs, 400, "action", "action: '%s' is not approve, refuse, acknowledge, revoke, end or extend",
			  action->value);
		return;
	}
	if (!rq->principal[0]) {
		srv_error(rs, 404, NULL, "no principal: this server runs without signatures (--open)");
		return;
	}
	if (!srv_may_see(ctx, rq, id, NULL)) {
		srv_error(rs, 404, "id", "no measure '%s'", id);
		return;
	}
	rc = custos_measure_statement_text(ctx->store, id, a, role ? role->value : NULL, reason ? reason->value : NULL,
					   until ? until->value : NULL, rq->principal, &text);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_bytes(rs, 200, "text/plain; charset=utf-8", text, strlen(text));
}

void srv_h_statement_submit(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	custos_note n;
	custos_statement s;
	char *result = NULL;
	int rc;
	/* the statement must be the signer's own: one principal cannot carry another's */
	if (rq->principal[0]) {
		if (custos_note_parse(&n, rq->body, rq->body_len) == 0) {
			rc = custos_statement_parse(&s, n.text, n.text_len);
			custos_note_dispose(&n);
			if (rc == 0 && strcmp(s.principal, rq->principal) != 0) {
				srv_error(rs, 403, "principal", "the statement is %s's; this request is signed by %s",
					  s.principal, rq->principal);
				return;
			}
		}
	}
	rc = custos_statement_submit(ctx->store, rq->body, rq->body_len, rq->actor, &result);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_snapshot_invalidate(ctx->srv);
	srv_bytes(rs, 200, "application/json", result, strlen(result));
}

void srv_h_authorization(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const char *id = srv_param(rq, "id")->value;
	char measure[32], *token = NULL;
	size_t n = strcspn(id, ".");
	int rc;
	snprintf(measure, sizeof(measure), "%.*s", (int)(n < sizeof(measure) ? n : sizeof(measure) - 1), id);
	if (!srv_may_see(ctx, rq, measure, NULL)) {
		srv_error(rs, 404, "id", "no authorisation '%s'", id);
		return;
	}
	if ((rc = custos_authorization_get(ctx->store, id, &token))) {
		srv_fail(rs, rc, "id");
		return;
	}
	srv_bytes(rs, 200, "text/plain; charset=utf-8", token, strlen(token));
}

void srv_h_revocations(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	char *note = NULL;
	int rc = custos_revocations(ctx->store, &note);
	(void)rq;
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_bytes(rs, 200, "text/plain; charset=utf-8", note, strlen(note));
}

void srv_h_authorization_verify(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	const srv_kv *date = srv_query(rq, "date");
	custos_date day = custos_date_today();
	custos_authorization a;
	custos_revocation_check rev;
	char *vkey = NULL, *revs = NULL, from[11], to[11];
	int rc;
	if (date && custos_date_parse(&day, date->value)) {
		srv_error(rs, 400, "date", "date: '%s' is not YYYY-MM-DD", date->value);
		return;
	}
	if ((rc = custos_log_vkey(ctx->store, &vkey)) || (rc = custos_revocations(ctx->store, &revs))) {
		free(vkey);
		srv_fail(rs, rc, NULL);
		return;
	}
	{
		/* the list is the one this store signs now: 60 s of age also vouches for a token older than log_size */
		custos_token_checks checks = {vkey, revs, strlen(revs), day, 60};
		rc = custos_authorization_check(&a, &rev, rq->body, rq->body_len, &checks);
	}
	free(vkey);
	free(revs);
	if (rc) {
		srv_fail(rs, rc, "token");
		return;
	}
	custos_date_format(from, a.from);
	custos_date_format(to, a.to);
	srv_json(rs, 200,
		 json_pack("{s:b, s:s, s:s, s:s, s:s, s:i, s:b, s:s?}", "valid", 1, "id", a.id, "measure", a.measure,
			   "from", from, "to", to, "selectors", (int)a.nselectors, "revocation_checked", rev.checked,
			   "revocation_unchecked", rev.checked ? NULL : rev.unchecked));
	custos_authorization_dispose(&a);
}
