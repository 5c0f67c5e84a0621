/* gate.c — the gate in front of OpenLI's provisioner: what may pass, what it logs, what it must withdraw, the audit. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/gate.h"
#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/measure.h"
#include "custos/note.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

#define WF_INTERCEPT "intercept"
#define WF_AUDIT "openli_audit"
#define TOKEN_MAX (64 * 1024)
#define ACTOR "gate:openli"

/* A token's window in Unix seconds: from the first day's midnight to the midnight after the last (UTC). */
static int64_t window_start(const custos_authorization *a)
{
	return (int64_t)a->from * 86400;
}

static int64_t window_end(const custos_authorization *a)
{
	return ((int64_t)a->to + 1) * 86400;
}

static int refuse(custos_gate_check *c, int status, const char *fmt, ...) CUSTOS_PRINTF(3, 4);
static int refuse(custos_gate_check *c, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	c->status = status;
	return 0;
}

/* The authorisation's record in this store: its state and the token it was issued as (malloc'd). */
static int auth_record(custos_store *st, const char *id, char **state, char **token)
{
	char *body = NULL;
	json_t *r;
	int rc = custos_store_record_get(st, WF_AUTHORIZATION, id, &body);
	*state = *token = NULL;
	if (rc)
		return rc;
	r = json_loads(body, 0, NULL);
	free(body);
	if (!r)
		return custos_error_set(CUSTOS_ERROR, "authorisation %s: its record does not parse", id);
	*state = custos_strdup(wf_jstr(r, "state"));
	*token = custos_strdup(wf_jstr(r, "token"));
	json_decref(r);
	if (!*state || !*token) {
		free(*state);
		free(*token);
		*state = *token = NULL;
		return wf_oom();
	}
	return 0;
}

/* The header's token: base64 of the signed note, whitespace around it ignored. */
static int token_from_header(custos_gate_check *c, const char *header)
{
	size_t n, len;
	uint8_t *buf;
	while (*header == ' ' || *header == '\t')
		header++;
	n = strlen(header);
	while (n && (header[n - 1] == ' ' || header[n - 1] == '\t'))
		n--;
	if (n > TOKEN_MAX * 4 / 3 + 4)
		return refuse(c, 403, CUSTOS_GATE_TOKEN_HEADER ": longer than a token");
	if (!(buf = malloc(n + 1)))
		return wf_oom();
	if (custos_b64_decode(buf, n, &len, header, n) < 0) {
		free(buf);
		return refuse(c, 403, CUSTOS_GATE_TOKEN_HEADER ": not base64 (the token's signed note, base64-encoded)");
	}
	buf[len] = '\0';
	if (strlen((char *)buf) != len) {
		free(buf);
		return refuse(c, 403, CUSTOS_GATE_TOKEN_HEADER ": the token contains a NUL byte");
	}
	c->token = (char *)buf;
	return 0;
}

/* Sets starttime and endtime in the JSON to forward (when absent or 0), keeping every other member as sent. */
static int forward_body(custos_gate_check *c, const char *body, size_t len, int64_t start, int64_t end)
{
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!o)
		return custos_error_set(CUSTOS_ERROR, "the intercept parsed once and not twice");
	c->starttime = start;
	c->endtime = end;
	json_object_set_new(o, "starttime", json_integer(start));
	json_object_set_new(o, "endtime", json_integer(end));
	c->body = wf_jdump(o);
	json_decref(o);
	return c->body ? 0 : wf_oom();
}

static int check_targets(custos_gate_check *c, const custos_openli_intercept *ic, const custos_authorization *a)
{
	custos_selector *sels = NULL, *granted;
	char **fields = NULL;
	size_t n = 0, ng = 0;
	int rc;
	if (custos_openli_targets(ic, &sels, &fields, &n))
		return refuse(c, 403, "%s", custos_error_last());
	if (!(granted = calloc(a->nselectors + 1, sizeof(*granted)))) {
		custos_openli_targets_free(sels, fields, n);
		return wf_oom();
	}
	for (; ng < a->nselectors; ng++)
		if ((rc = custos_selector_parse(&granted[ng], a->selectors[ng], strlen(a->selectors[ng]))))
			break;
	rc = 0;
	for (size_t i = 0; i < n && !c->status; i++) {
		int ok = 0;
		for (size_t j = 0; j < ng && !ok; j++)
			ok = custos_selector_covers(&granted[j], &sels[i]);
		if (!ok)
			refuse(c, 403, "%s: %s is not among the selectors authorisation %s grants", fields[i], sels[i].text,
			       a->id);
	}
	for (size_t j = 0; j < ng; j++)
		custos_selector_dispose(&granted[j]);
	free(granted);
	custos_openli_targets_free(sels, fields, n);
	return rc;
}

int custos_gate_check_change(custos_store *st, custos_openli_kind kind, const char *body, size_t len,
			     const char *header, custos_gate_check *c)
{
	custos_openli_intercept ic;
	custos_authorization a;
	custos_token_checks checks;
	char *vkey = NULL, *state = NULL, *stored = NULL, from[11], to[11];
	int rc = 0;
	memset(c, 0, sizeof(*c));
	memset(&a, 0, sizeof(a));
	if (custos_openli_from_json(&ic, kind, body, len)) {
		refuse(c, 400, "body: %s", custos_error_last());
		return 0;
	}
	snprintf(c->liid, sizeof(c->liid), "%s", ic.liid);
	if (!custos_liid_valid(ic.liid, CUSTOS_LIID_MAX)) {
		refuse(c, 403, "liid: '%.64s' is not a LIID custos authorises (1 to %d of A-Z a-z 0-9 . _ -, not 0x...)", ic.liid,
		       CUSTOS_LIID_MAX);
		goto out;
	}
	if (!header || !*header) {
		refuse(c, 403, "no " CUSTOS_GATE_TOKEN_HEADER " header: an intercept is created or changed only with a "
			       "custos authorisation naming its LIID");
		goto out;
	}
	if ((rc = token_from_header(c, header)) || c->status || (rc = custos_log_vkey(st, &vkey)))
		goto out;
	checks = (custos_token_checks){vkey, NULL, 0, custos_date_today(), 0};
	if (custos_authorization_check(&a, NULL, c->token, strlen(c->token), &checks)) {
		refuse(c, 403, "token: %s", custos_error_last());
		goto out;
	}
	snprintf(c->measure, sizeof(c->measure), "%s", a.measure);
	snprintf(c->authorization, sizeof(c->authorization), "%s", a.id);
	if ((rc = auth_record(st, a.id, &state, &stored))) {
		if (rc != CUSTOS_ENOTFOUND)
			goto out;
		rc = 0;
		refuse(c, 403, "token: authorisation %s is not in this register", a.id);
		goto out;
	}
	if (strcmp(state, "valid") != 0) {
		refuse(c, 403, "token: authorisation %s is %s", a.id, state);
		goto out;
	}
	if (strcmp(stored, c->token) != 0) {
		refuse(c, 403, "token: not the token this register issued as %s", a.id);
		goto out;
	}
	{
		size_t i = 0;
		while (i < a.nliids && strcmp(a.liids[i], ic.liid) != 0)
			i++;
		if (i == a.nliids) {
			refuse(c, 403, "liid: authorisation %s does not name %s (%s)", a.id, ic.liid,
			       a.nliids ? "it names other LIIDs" : "its measure names no LIID");
			goto out;
		}
	}
	if (a.agency[0] && (!ic.agencyid || strcmp(ic.agencyid, a.agency) != 0)) {
		refuse(c, 403, "agencyid: '%.64s' is not the agency authorisation %s names (%s)",
		       ic.agencyid ? ic.agencyid : "", a.id, a.agency);
		goto out;
	}
	if ((rc = check_targets(c, &ic, &a)) || c->status)
		goto out;
	custos_date_format(from, a.from);
	custos_date_format(to, a.to);
	if (ic.starttime && ic.starttime < window_start(&a)) {
		refuse(c, 403, "starttime: %lld is before authorisation %s's window (%s..%s)", (long long)ic.starttime,
		       a.id, from, to);
		goto out;
	}
	if (ic.endtime && ic.endtime > window_end(&a)) {
		refuse(c, 403, "endtime: %lld is after authorisation %s's window (%s..%s)", (long long)ic.endtime, a.id,
		       from, to);
		goto out;
	}
	if (ic.endtime && ic.endtime <= (ic.starttime ? ic.starttime : window_start(&a))) {
		refuse(c, 403, "endtime: %lld is not after its starttime", (long long)ic.endtime);
		goto out;
	}
	rc = forward_body(c, body, len, ic.starttime ? ic.starttime : window_start(&a),
			  ic.endtime ? ic.endtime : window_end(&a));
out:
	free(vkey);
	free(state);
	free(stored);
	custos_authorization_dispose(&a);
	custos_openli_intercept_dispose(&ic);
	return rc;
}

void custos_gate_check_dispose(custos_gate_check *c)
{
	if (!c)
		return;
	free(c->token);
	free(c->body);
	memset(c, 0, sizeof(*c));
}

/* ---- what the gate logs ------------------------------------------------------------------------------- */

/* Appends one event in a transaction of its own. */
static int log_event(custos_store *st, const char *type, const char *ref, json_t *payload, int64_t *index)
{
	char *text = payload ? wf_jdump(payload) : NULL;
	int rc;
	json_decref(payload);
	if (!text)
		return wf_oom();
	if (!(rc = custos_store_begin(st))) {
		rc = wf_append(st, type, ACTOR, ref && ref[0] ? ref : NULL, text, index, NULL);
		rc = rc ? (custos_store_rollback(st), rc) : custos_store_commit(st);
	}
	free(text);
	return rc;
}

/* A body as text for the log: the bytes when they are UTF-8, else their base64 under "body_base64". */
static void put_body(json_t *o, const char *body, size_t len)
{
	json_t *s = json_stringn(body ? body : "", body ? len : 0);
	if (s) {
		json_object_set_new(o, "body", s);
	} else {
		char *b64 = malloc(4 * ((len + 2) / 3) + 1);
		if (b64) {
			custos_b64_encode(b64, (const uint8_t *)body, len);
			json_object_set_new(o, "body_base64", json_string(b64));
			free(b64);
		}
	}
}

int custos_gate_log_refused(custos_store *st, const char *method, const char *path, const custos_gate_check *c,
			    const char *body, size_t len)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s}", "method", method, "path", path, "liid", c->liid, "status",
			      c->status, "reason", c->reason);
	if (!o)
		return wf_oom();
	if (c->authorization[0])
		json_object_set_new(o, "authorization", json_string(c->authorization));
	if (c->token)
		json_object_set_new(o, "token", json_string(c->token));
	put_body(o, body, len);
	return log_event(st, "openli.refused", c->measure, o, NULL);
}

int custos_gate_log_sending(custos_store *st, const char *method, const char *path, int kind, const char *liid,
			    const custos_gate_check *c, const char *body, const char *upstream)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "method", method, "path", path, "kind",
			      kind >= 0 ? custos_openli_kind_name((custos_openli_kind)kind) : "", "liid", liid ? liid : "",
			      "upstream", upstream);
	if (!o)
		return wf_oom();
	if (c && c->authorization[0]) {
		json_object_set_new(o, "authorization", json_string(c->authorization));
		json_object_set_new(o, "token", json_string(c->token));
		json_object_set_new(o, "window", json_pack("[I, I]", (json_int_t)c->starttime, (json_int_t)c->endtime));
	}
	put_body(o, body, body ? strlen(body) : 0);
	return log_event(st, "openli.sending", c ? c->measure : NULL, o, NULL);
}

int custos_gate_log_sent(custos_store *st, const char *method, const char *path, int kind, const char *liid,
			 const char *measure, long status, const char *answer)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "method", method, "path", path, "kind",
			      kind >= 0 ? custos_openli_kind_name((custos_openli_kind)kind) : "", "liid", liid ? liid : "",
			      "status", (json_int_t)status);
	if (!o)
		return wf_oom();
	put_body(o, answer, answer ? strnlen(answer, 4096) : 0);
	return log_event(st, "openli.sent", measure, o, NULL);
}

int custos_gate_log_withdrawn(custos_store *st, custos_openli_kind kind, const char *liid, const char *measure,
			      const char *reason, long status)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "kind", custos_openli_kind_name(kind), "liid", liid, "reason",
			      reason, "status", (json_int_t)status);
	return o ? log_event(st, "openli.withdrawn", measure, o, NULL) : wf_oom();
}

/* ---- the projection: what runs upstream, as far as the register knows ---------------------------------- */

static int record_json(custos_store *st, const char *id, json_t **out)
{
	char *body = NULL;
	int rc = custos_store_record_get(st, WF_INTERCEPT, id, &body);
	*out = NULL;
	if (rc == CUSTOS_ENOTFOUND)
		return (*out = json_object()) ? 0 : wf_oom();
	if (rc)
		return rc;
	*out = json_loads(body, 0, NULL);
	free(body);
	return *out ? 0 : custos_error_set(CUSTOS_ERROR, "intercept %s: its record does not parse", id);
}

static int record_save(custos_store *st, const char *id, json_t *r)
{
	char *text = wf_jdump(r);
	int rc = text ? custos_store_record_put(st, WF_INTERCEPT, id, text) : wf_oom();
	free(text);
	return rc;
}

/* openli.sending, openli.sent, openli.withdrawn (openli.refused and openli.audit change no intercept). */
int wf_gate_apply(wf_apply *a, const custos_store_event *e)
{
	json_t *p, *r = NULL;
	const char *kind, *liid, *method;
	char id[96];
	int rc = 0;
	if (strcmp(e->type, "openli.audit") == 0) {
		char key[24];
		if (!e->payload[0])
			return 0;
		snprintf(key, sizeof(key), "%020lld", (long long)e->index);
		return custos_store_record_put(a->st, WF_AUDIT, key, e->payload);
	}
	if (strcmp(e->type, "openli.sending") != 0 && strcmp(e->type, "openli.sent") != 0 &&
	    strcmp(e->type, "openli.withdrawn") != 0)
		return 0;
	if (!e->payload[0]) /* erased with its measure: the intercept's record stays as it was */
		return 0;
	if (!(p = json_loads(e->payload, 0, NULL)))
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: its payload does not parse", (long long)e->index,
					e->type);
	kind = wf_jstr(p, "kind");
	liid = wf_jstr(p, "liid");
	method = wf_jstr(p, "method");
	if (!kind[0] || !liid[0]) { /* a change to the provisioner's other configuration */
		json_decref(p);
		return 0;
	}
	snprintf(id, sizeof(id), "%s/%s", kind, liid);
	if ((rc = record_json(a->st, id, &r)))
		goto out;
	if (!json_object_get(r, "kind")) {
		json_object_set_new(r, "kind", json_string(kind));
		json_object_set_new(r, "liid", json_string(liid));
		json_object_set_new(r, "state", json_string("none"));
	}
	if (strcmp(e->type, "openli.sending") == 0) {
		json_t *pending = json_pack("{s:s, s:I, s:s}", "method", method, "index", (json_int_t)e->index, "at", e->time);
		if (json_object_get(p, "authorization")) {
			json_object_set(pending, "authorization", json_object_get(p, "authorization"));
			json_object_set_new(pending, "measure", json_string(e->ref ? e->ref : ""));
			json_object_set(pending, "window", json_object_get(p, "window"));
			json_object_set(pending, "body", json_object_get(p, "body"));
		}
		json_object_set_new(r, "pending", pending);
	} else if (strcmp(e->type, "openli.sent") == 0) {
		json_t *pending = json_object_get(r, "pending");
		json_int_t status = json_integer_value(json_object_get(p, "status"));
		json_object_set_new(r, "status", json_integer(status));
		if (status == 0) { /* no answer: it may have landed, so it stays pending (the watcher treats it as running) */
			json_object_set_new(r, "index", json_integer((json_int_t)e->index));
			rc = record_save(a->st, id, r);
			goto out;
		}
		if (status >= 200 && status < 300 && pending) {
			if (strcmp(method, "DELETE") == 0) {
				json_object_set_new(r, "state", json_string("removed"));
			} else {
				json_object_set_new(r, "state", json_string("provisioned"));
				json_object_set(r, "measure", json_object_get(pending, "measure"));
				json_object_set(r, "authorization", json_object_get(pending, "authorization"));
				json_object_set(r, "window", json_object_get(pending, "window"));
				json_object_set(r, "body", json_object_get(pending, "body"));
			}
			json_object_set_new(r, "since", json_string(e->time));
		} else if (strcmp(wf_jstr(r, "state"), "none") == 0) {
			json_object_set_new(r, "state", json_string("failed"));
		}
		json_object_del(r, "pending");
	} else {
		json_object_set_new(r, "state", json_string("withdrawn"));
		json_object_set(r, "reason", json_object_get(p, "reason"));
		json_object_set_new(r, "since", json_string(e->time));
		json_object_del(r, "pending");
	}
	json_object_set_new(r, "index", json_integer((json_int_t)e->index));
	rc = record_save(a->st, id, r);
out:
	json_decref(r);
	json_decref(p);
	return rc ? custos_error_prefix(rc, "event %lld: %s", (long long)e->index, e->type) : 0;
}

/* ---- what the gate must withdraw ---------------------------------------------------------------------- */

typedef struct {
	custos_store *st;
	custos_gate_due_fn fn;
	void *ctx;
	json_t *due; /* [kind, liid, measure, reason] rows: collected first, the callback may write */
} due_t;

/* Why an authorisation no longer holds today ("" when it does). */
static int auth_reason(custos_store *st, const char *id, const json_t *window, char *why, size_t cap)
{
	char *state = NULL, *token = NULL;
	int rc = id && id[0] ? auth_record(st, id, &state, &token) : CUSTOS_ENOTFOUND;
	why[0] = '\0';
	if (rc == CUSTOS_ENOTFOUND) {
		snprintf(why, cap, "unknown");
		return 0;
	}
	if (rc)
		return rc;
	if (strcmp(state, "valid") != 0)
		snprintf(why, cap, "%s", state);
	else if (json_is_array(window) && custos_clock_now() >= json_integer_value(json_array_get(window, 1)))
		snprintf(why, cap, "expired");
	free(state);
	free(token);
	return 0;
}

static int due_row(void *vctx, const char *id, const char *body)
{
	due_t *d = vctx;
	json_t *r = json_loads(body, 0, NULL), *pending;
	const char *state = wf_jstr(r, "state");
	char why[32];
	int rc = 0;
	(void)id;
	if (!r)
		return custos_error_set(CUSTOS_ERROR, "intercept %s: its record does not parse", id);
	pending = json_object_get(r, "pending");
	/* what may run: provisioned, or a create sent whose answer was never logged (it may have landed) */
	if (strcmp(state, "provisioned") == 0 ||
	    (pending && strcmp(wf_jstr(pending, "method"), "DELETE") != 0)) {
		const json_t *src = strcmp(state, "provisioned") == 0 ? r : pending;
		rc = auth_reason(d->st, wf_jstr(src, "authorization"), json_object_get(src, "window"), why, sizeof(why));
		if (!rc && why[0])
			json_array_append_new(d->due, json_pack("[s, s, s, s]", wf_jstr(r, "kind"), wf_jstr(r, "liid"),
								wf_jstr(src, "measure"), why));
	}
	json_decref(r);
	return rc;
}

int custos_gate_due(custos_store *st, custos_gate_due_fn fn, void *ctx)
{
	due_t d = {st, fn, ctx, json_array()};
	json_t *row;
	size_t i;
	int rc;
	if (!d.due)
		return wf_oom();
	rc = custos_store_record_each(st, WF_INTERCEPT, NULL, due_row, &d);
	json_array_foreach(d.due, i, row)
	{
		int kind;
		if (rc)
			break;
		kind = custos_openli_kind_parse(json_string_value(json_array_get(row, 0)));
		if (kind >= 0)
			rc = fn(ctx, (custos_openli_kind)kind, json_string_value(json_array_get(row, 1)),
				json_string_value(json_array_get(row, 2)), json_string_value(json_array_get(row, 3)));
	}
	json_decref(d.due);
	return rc;
}

typedef struct {
	const char *measure;
	json_t *out;
} list_t;

static int list_row(void *vctx, const char *id, const char *body)
{
	list_t *l = vctx;
	json_t *r = json_loads(body, 0, NULL);
	(void)id;
	if (!r)
		return custos_error_set(CUSTOS_ERROR, "intercept %s: its record does not parse", id);
	if (!l->measure || strcmp(wf_jstr(r, "measure"), l->measure) == 0 ||
	    strcmp(wf_jstr(json_object_get(r, "pending"), "measure"), l->measure) == 0)
		json_array_append(l->out, r);
	json_decref(r);
	return 0;
}

int custos_gate_intercepts(custos_store *st, const char *measure, char **json)
{
	list_t l = {measure, json_array()};
	int rc;
	*json = NULL;
	if (!l.out)
		return wf_oom();
	if (!(rc = custos_store_record_each(st, WF_INTERCEPT, NULL, list_row, &l)) && !(*json = wf_jdump(l.out)))
		rc = wf_oom();
	json_decref(l.out);
	return rc;
}
