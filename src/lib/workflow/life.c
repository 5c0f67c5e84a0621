/* life.c — the life of a measure as a fold of its events: one transition per event, and the records it moves. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/note.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

/*
 * One record per measure (kind "life"):
 *   {"measure", "requested_by", "filed_by", "state", "round", "round_kind",
 *    "round_open", "outcome", "decision", "period": {"from","to"}, "approvals": [...],
 *    "subjects": [party ids the round's findings turned on], "assertions": [...],
 *    "signers": {principal: role}, "window": {"from","to"} | null,
 *    "authorizations": [...], "extensions": n, "extension_until": date (asked, not yet decided),
 *    "history": [{"time","what","index",...}], "decision_index"}
 * Nothing here reads the clock or decides anything the log does not say: every
 * field is what the measure's events make of it (the event's own time and
 * index included), so `store rebuild` writes byte for byte what the live
 * commands wrote. The commands (lifecycle.c) check a statement before its
 * event is appended; these transitions only apply what was appended.
 */

char *wf_jdump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

int wf_oom(void)
{
	return custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

int wf_life_load(custos_store *st, const char *id, json_t **out)
{
	char *body = NULL;
	json_error_t err;
	int rc;
	*out = NULL;
	if (!wf_measure_id_valid(id))
		return custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	if ((rc = custos_store_record_get(st, WF_LIFE, id, &body))) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_error_set(rc, "no measure '%s'", id);
		return rc;
	}
	*out = json_loads(body, 0, &err);
	free(body);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return custos_error_set(CUSTOS_ERROR, "measure %s: stored life record does not parse: %s", id, err.text);
	}
	return 0;
}

/* Who may be shown the measure now (custos_store_access_add): its authority, the roles asked, its signers. */
static int life_index(custos_store *st, const json_t *life)
{
	const char *id = wf_jstr(life, "measure"), *key;
	char who[320];
	json_t *a, *v;
	size_t i;
	int rc;
	snprintf(who, sizeof(who), "authority:%.300s", wf_jstr(life, "requested_by"));
	if ((rc = custos_store_access_add(st, id, who)))
		return rc;
	json_array_foreach(json_object_get(life, "approvals"), i, a)
	{
		snprintf(who, sizeof(who), "role:%.300s", wf_jstr(a, "role"));
		if ((rc = custos_store_access_add(st, id, who)))
			return rc;
	}
	json_object_foreach((json_t *)json_object_get(life, "signers"), key, v)
	{
		snprintf(who, sizeof(who), "principal:%.300s", key);
		if ((rc = custos_store_access_add(st, id, who)))
			return rc;
	}
	return 0;
}

/* Writes the life, the measure row's state that mirrors it, and who may read it. */
static int life_save(custos_store *st, json_t *life)
{
	char *body = wf_jdump(life);
	const char *id = wf_jstr(life, "measure");
	int rc;
	if (!body)
		return wf_oom();
	if (!(rc = custos_store_record_put(st, WF_LIFE, id, body)) &&
	    !(rc = custos_store_measure_set_state(st, id, wf_jstr(life, "state"))))
		rc = life_index(st, life);
	free(body);
	return rc;
}

static int history_add(json_t *life, const custos_store_event *e, const char *what, const char *detail)
{
	json_t *h = json_pack("{s:s, s:s, s:I}", "time", e->time, "what", what, "index", (json_int_t)e->index);
	if (!h)
		return wf_oom();
	if (detail && json_object_set_new(h, "detail", json_string(detail))) {
		json_decref(h);
		return wf_oom();
	}
	return json_array_append_new(json_object_get(life, "history"), h) ? wf_oom() : 0;
}

const char *wf_life_effective(const json_t *life, custos_date today)
{
	const char *s = wf_jstr(life, "state");
	const json_t *w = json_object_get(life, "window");
	custos_date from, to;
	if (strcmp(s, "authorised") != 0 && strcmp(s, "extended") != 0)
		return s;
	if (!json_is_object(w) || custos_date_parse(&from, wf_jstr(w, "from")) || custos_date_parse(&to, wf_jstr(w, "to")))
		return s;
	if (today < from)
		return "authorised";
	if (today > to)
		return "expired";
	return strcmp(s, "extended") == 0 ? "extended" : "active";
}

json_t *wf_finding_parties(const json_t *decision)
{
	json_t *out = json_array(), *f;
	size_t i;
	if (!out)
		return NULL;
	json_array_foreach(json_object_get(decision, "findings"), i, f)
	{
		const char *p = json_string_value(json_object_get(f, "party"));
		int seen = 0;
		json_t *x;
		size_t j;
		if (!p)
			continue;
		json_array_foreach(out, j, x) seen |= strcmp(json_string_value(x), p) == 0;
		if (!seen && json_array_append_new(out, json_string(p))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* Starts round `kind` for a decision (JSON text as logged) over period from..to. */
static int round_open(json_t *life, const char *kind, const char *decision_text, const char *from, const char *to)
{
	json_t *d = json_loads(decision_text, 0, NULL), *approvals, *subjects;
	uint8_t digest[32];
	char hash[72];
	const char *outcome;
	if (!d)
		return custos_error_set(CUSTOS_EINVALID, "decision does not parse");
	custos_sha256(digest, decision_text, strlen(decision_text));
	custos_sha256_label(hash, digest);
	outcome = wf_jstr(d, "outcome");
	approvals = json_deep_copy(json_object_get(d, "approvals"));
	subjects = wf_finding_parties(d);
	/* every set runs, so that each value is handed over (or freed) even when one fails */
	int fail = json_object_set_new(life, "round", json_integer(json_integer_value(json_object_get(life, "round")) + 1));
	fail |= json_object_set_new(life, "round_kind", json_string(kind));
	fail |= json_object_set_new(life, "round_open", json_boolean(strcmp(outcome, "needs_approval") == 0));
	fail |= json_object_set_new(life, "outcome", json_string(outcome));
	fail |= json_object_set_new(life, "decision", json_string(hash));
	fail |= json_object_set_new(life, "period", json_pack("{s:s, s:s}", "from", from, "to", to));
	fail |= json_object_set_new(life, "approvals", approvals);
	fail |= json_object_set_new(life, "subjects", subjects);
	if (fail) {
		json_decref(d);
		return wf_oom();
	}
	/* the asserted facts the round's decision rests on, each to be confirmed (absent when none) */
	json_object_del(life, "assertions");
	if (json_array_size(json_object_get(d, "assertions"))) {
		json_t *as = json_array(), *x;
		size_t i;
		json_array_foreach(json_object_get(d, "assertions"), i, x)
		{
			json_t *c = json_deep_copy(x);
			if (!as || !c || json_object_set_new(c, "state", json_string("pending")) ||
			    json_array_append_new(as, c)) {
				json_decref(as);
				json_decref(d);
				return wf_oom();
			}
		}
		if (json_object_set_new(life, "assertions", as)) {
			json_decref(d);
			return wf_oom();
		}
	}
	json_decref(d);
	return 0;
}

/* Closes the current round with every approval given: the measure is authorised (its token is the next event). */
static void round_complete(wf_apply *a, json_t *life)
{
	json_object_set_new(life, "round_open", json_false());
	if (strcmp(wf_jstr(life, "round_kind"), "extension") == 0)
		json_object_set_new(life, "extensions",
				    json_integer(json_integer_value(json_object_get(life, "extensions")) + 1));
	json_object_set_new(life, "state",
			    json_string(json_integer_value(json_object_get(life, "extensions")) > 0 ? "extended"
												  : "authorised"));
	a->complete = 1;
}

json_t *wf_approval_of(const json_t *life, const char *role)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(life, "approvals"), i, x) if (strcmp(wf_jstr(x, "role"), role) == 0) return x;
	return NULL;
}

static int all_approved(const json_t *life)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(life, "approvals"), i, x)
	{
		if (strcmp(wf_jstr(x, "kind"), "approve") == 0 && strcmp(wf_jstr(x, "state"), "approved") != 0)
			return 0;
	}
	json_array_foreach(json_object_get(life, "assertions"), i, x) if (strcmp(wf_jstr(x, "state"), "confirmed") != 0) return 0;
	return 1;
}

void wf_assertion_line(char *out, size_t n, const json_t *x)
{
	const json_t *v = json_object_get(x, "value");
	const char *party = json_string_value(json_object_get(x, "party"));
	snprintf(out, n, "%s %s %s", wf_jstr(x, "flag"), party ? party : "-",
		 json_is_string(v) ? json_string_value(v) : json_is_false(v) ? "false" : "true");
}

const json_t *wf_assertion_unlisted(const json_t *assertions, const custos_statement *s)
{
	const json_t *x;
	size_t i;
	json_array_foreach(assertions, i, x)
	{
		char line[CUSTOS_CONFIRM_LINE];
		unsigned k;
		if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0)
			continue;
		wf_assertion_line(line, sizeof(line), x);
		for (k = 0; k < s->nconfirms && strcmp(line, s->confirms[k]) != 0; k++)
			;
		if (k == s->nconfirms)
			return x;
	}
	return NULL;
}

/* Marks the asserted facts `role` answers for as confirmed (or refused) by its statement. */
static void answer_assertions(json_t *life, const custos_statement *s, const char *sid)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(life, "assertions"), i, x)
	{
		if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0)
			continue;
		json_object_set_new(x, "state", json_string(s->action == CUSTOS_ACT_APPROVE ? "confirmed" : "refused"));
		json_object_set_new(x, "principal", json_string(s->principal));
		json_object_set_new(x, "statement", json_string(sid));
	}
}

/* Sets the state of every authorisation of the measure that is "valid" to `state`, at the event's time. */
static int withdraw_authorizations(custos_store *st, json_t *life, const char *state, const char *time)
{
	json_t *id;
	size_t i;
	json_array_foreach(json_object_get(life, "authorizations"), i, id)
	{
		char *body = NULL, *out = NULL;
		json_t *rec;
		int rc = custos_store_record_get(st, WF_AUTHORIZATION, json_string_value(id), &body);
		if (rc)
			return rc;
		rec = json_loads(body, 0, NULL);
		free(body);
		if (!rec)
			return custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse",
						json_string_value(id));
		if (strcmp(wf_jstr(rec, "state"), "valid") == 0) {
			json_object_set_new(rec, "state", json_string(state));
			json_object_set_new(rec, "changed_at", json_string(time));
			out = wf_jdump(rec);
			rc = out ? custos_store_record_put(st, WF_AUTHORIZATION, json_string_value(id), out) : wf_oom();
			free(out);
		}
		json_decref(rec);
		if (rc)
			return rc;
	}
	return 0;
}

static int count_row(void *ctx, const char *id, const char *body)
{
	(void)id;
	(void)body;
	(*(unsigned *)ctx)++;
	return 0;
}

/* Keeps the statement as a record "M-000001/0001" (the n-th statement the log holds on the measure). */
static int statement_keep(custos_store *st, const char *measure, const char *note, int64_t index, char *sid,
			  size_t cap)
{
	char prefix[24], *body;
	unsigned n = 0;
	json_t *rec;
	int rc;
	snprintf(prefix, sizeof(prefix), "%s/", measure);
	if ((rc = custos_store_record_each(st, WF_STATEMENT, prefix, count_row, &n)))
		return rc;
	snprintf(sid, cap, "%s/%04u", measure, n + 1);
	rec = json_pack("{s:s, s:s, s:I}", "id", sid, "statement", note, "index", (json_int_t)index);
	body = rec ? wf_jdump(rec) : NULL;
	json_decref(rec);
	if (!body)
		return wf_oom();
	rc = custos_store_record_put(st, WF_STATEMENT, sid, body);
	free(body);
	return rc;
}

/* ---- one transition per event ---------------------------------------------------------------------- */

/* An event the commands would have refused, met while replaying: an error when checking, else ignored. */
static int refused(const wf_apply *a, const custos_store_event *e, const char *fmt, ...) CUSTOS_PRINTF(3, 4);
static int refused(const wf_apply *a, const custos_store_event *e, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	if (!a->strict)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: %s", (long long)e->index, e->type, what);
}

/*
 * The measure's data erased (one of its events' payloads reached the end of
 * its retention): its row keeps its id, number and filing time, its life,
 * statements and who may read it go, and its authorisations keep their ids and
 * windows without their tokens, a valid one now withdrawn as "erased", so that
 * revocation lists still name it.
 */
static int measure_erase(custos_store *st, const custos_store_event *e)
{
	custos_store_measure m;
	json_t *life = NULL, *id;
	size_t i;
	int rc = custos_store_measure_get(st, &m, e->ref);
	if (rc == CUSTOS_ENOTFOUND)
		return custos_store_measure_put(st, e->ref, "", "", "erased", e->time);
	if (rc)
		return rc;
	custos_store_measure_dispose(&m);
	if ((rc = wf_life_load(st, e->ref, &life)) && rc != CUSTOS_ENOTFOUND)
		return rc;
	rc = 0;
	json_array_foreach(json_object_get(life, "authorizations"), i, id)
	{
		char *body = NULL, *out;
		json_t *rec;
		if ((rc = custos_store_record_get(st, WF_AUTHORIZATION, json_string_value(id), &body)))
			break;
		rec = json_loads(body, 0, NULL);
		free(body);
		if (!rec) {
			rc = custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse",
					      json_string_value(id));
			break;
		}
		if (strcmp(wf_jstr(rec, "state"), "valid") == 0) {
			json_object_set_new(rec, "state", json_string("erased"));
			json_object_set_new(rec, "changed_at", json_string(e->time));
		}
		json_object_set_new(rec, "token", json_string(""));
		out = wf_jdump(rec);
		json_decref(rec);
		rc = out ? custos_store_record_put(st, WF_AUTHORIZATION, json_string_value(id), out) : wf_oom();
		free(out);
		if (rc)
			break;
	}
	json_decref(life);
	if (!rc && !(rc = custos_store_access_clear(st, e->ref)) &&
	    !(rc = custos_store_record_delete(st, WF_LIFE, e->ref, 0))) {
		char prefix[24];
		snprintf(prefix, sizeof(prefix), "%s/", e->ref);
		rc = custos_store_record_delete(st, WF_STATEMENT, prefix, 1);
	}
	return rc ? rc : custos_store_measure_put(st, e->ref, "", "", "erased", e->time);
}

static int count_row_any(void *ctx, const char *id, const char *body)
{
	(void)id;
	(void)body;
	(*(unsigned *)ctx)++;
	return 0;
}

/*
 * authorization.issued for a measure whose data is erased: the token is kept
 * as a withdrawn id (and window, when its payload is still there), so that
 * revocation lists name it; nothing else of it.
 */
static int erased_token(wf_apply *a, const custos_store_event *e)
{
	json_t *payload = e->payload[0] ? json_loads(e->payload, 0, NULL) : NULL, *rec;
	const char *note = json_string_value(json_object_get(payload, "token"));
	custos_authorization t;
	custos_note n;
	char id[40] = "", from[11] = "", to[11] = "", prefix[24], *body;
	unsigned count = 0;
	int rc = 0;
	memset(&t, 0, sizeof(t));
	if (note && custos_note_parse(&n, note, strlen(note)) == 0) {
		if (custos_authorization_parse(&t, n.text, n.text_len) == 0) {
			snprintf(id, sizeof(id), "%s", t.id);
			custos_date_format(from, t.from);
			custos_date_format(to, t.to);
		}
		custos_note_dispose(&n);
		custos_authorization_dispose(&t);
	}
	json_decref(payload);
	if (!id[0]) { /* the token's own payload erased: its id is the next of the measure's */
		snprintf(prefix, sizeof(prefix), "%s.", e->ref);
		if ((rc = custos_store_record_each(a->st, WF_AUTHORIZATION, prefix, count_row_any, &count)))
			return rc;
		snprintf(id, sizeof(id), "%s.%u", e->ref, count + 1);
	}
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "id", id, "measure", e->ref, "state", "erased",
			"from", from, "to", to, "token", "", "index", (json_int_t)e->index, "changed_at", e->time);
	body = rec ? wf_jdump(rec) : NULL;
	json_decref(rec);
	rc = body ? custos_store_record_put(a->st, WF_AUTHORIZATION, id, body) : wf_oom();
	free(body);
	return rc;
}

/* measure.filed: the measure's row, and its life before any round. */
static int on_filed(wf_apply *a, const custos_store_event *e)
{
	custos_principal p;
	json_t *m = json_loads(e->payload, 0, NULL), *life;
	const char *filed_by = NULL;
	int rc;
	if (!m)
		return custos_error_set(CUSTOS_EINVALID, "event %lld: measure.filed: payload is not JSON",
					(long long)e->index);
	/* filed by a principal: its id is the event's actor, and it may not sign for the measure */
	memset(&p, 0, sizeof(p));
	rc = e->actor ? custos_principal_get(a->st, e->actor, &p) : CUSTOS_ENOTFOUND;
	if (rc && rc != CUSTOS_ENOTFOUND) {
		json_decref(m);
		return rc;
	}
	if (rc == 0)
		filed_by = e->actor;
	life = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:[], s:{}, s:n, s:[], s:i, s:[]}", "measure", e->ref,
			 "requested_by", wf_jstr(m, "requested_by"), "filed_by", filed_by, "state", "pending", "round", 0,
			 "approvals", "signers", "window", "authorizations", "extensions", 0, "history");
	custos_principal_dispose(&p);
	rc = life ? custos_store_measure_put(a->st, e->ref, e->payload, "", "pending", e->time) : wf_oom();
	if (!rc) {
		char *body = wf_jdump(life);
		rc = body ? custos_store_record_put(a->st, WF_LIFE, e->ref, body) : wf_oom();
		free(body);
	}
	json_decref(life);
	json_decref(m);
	return rc;
}

/* measure.decided, measure.extension_decided, measure.rescreened: a new round for the decision. */
static int on_decided(wf_apply *a, const custos_store_event *e, json_t *life)
{
	char from[11], to[11];
	const char *kind = strcmp(e->type, "measure.decided") == 0		? "filing"
			   : strcmp(e->type, "measure.extension_decided") == 0 ? "extension"
									       : "rescreen";
	const json_t *w = json_object_get(life, "window");
	const char *outcome;
	int rc;
	if (strcmp(kind, "filing") == 0) {
		custos_store_measure m;
		json_t *me;
		char *printed = NULL;
		if ((rc = custos_store_measure_get(a->st, &m, e->ref)))
			return rc;
		me = json_loads(m.measure, 0, NULL);
		snprintf(from, sizeof(from), "%s", wf_jstr(json_object_get(me, "period"), "from"));
		snprintf(to, sizeof(to), "%s", wf_jstr(json_object_get(me, "period"), "to"));
		json_decref(me);
		/* the decision as answered: its measure's id first, its place in the log last */
		if (!(rc = wf_decision_placed(&printed, e->payload, e->ref, e->index)))
			rc = custos_store_measure_put(a->st, e->ref, m.measure, printed, m.state, m.filed_at);
		free(printed);
		custos_store_measure_dispose(&m);
		if (rc)
			return rc;
	} else {
		custos_date wfrom, wto, day;
		int64_t secs;
		if (!json_is_object(w) || custos_date_parse(&wfrom, wf_jstr(w, "from")) ||
		    custos_date_parse(&wto, wf_jstr(w, "to")) || custos_time_parse(&secs, e->time))
			return refused(a, e, "measure %s has no authorised window", e->ref);
		if (strcmp(kind, "extension") == 0) {
			if (!json_is_string(json_object_get(life, "extension_until")))
				return refused(a, e, "no extension of measure %s was asked for", e->ref);
			custos_date_format(from, wto + 1);
			snprintf(to, sizeof(to), "%s", wf_jstr(life, "extension_until"));
			json_object_del(life, "extension_until");
		} else {
			/* screened again from the day of the event on */
			day = (custos_date)(secs / 86400);
			custos_date_format(from, wfrom > day ? wfrom : day);
			custos_date_format(to, wto);
		}
	}
	if ((rc = round_open(life, kind, e->payload, from, to)))
		return rc;
	if (json_object_set_new(life, "decision_index", json_integer(e->index)))
		return wf_oom();
	outcome = wf_jstr(life, "outcome");
	if (strcmp(kind, "filing") == 0) {
		if ((rc = history_add(life, e, "filed", outcome)))
			return rc;
		if (strcmp(outcome, "forbidden") == 0)
			json_object_set_new(life, "state", json_string("forbidden"));
		else if (strcmp(outcome, "permitted") == 0)
			round_complete(a, life);
	} else if (strcmp(kind, "extension") == 0) {
		if ((rc = history_add(life, e, "extension", outcome)))
			return rc;
		if (strcmp(outcome, "forbidden") == 0)
			json_object_set_new(life, "round_open", json_false()); /* the extension is forbidden; the window stays */
		else if (strcmp(outcome, "permitted") == 0)
			round_complete(a, life);
	} else {
		json_object_set_new(life, "state", json_string("suspended"));
		if (strcmp(outcome, "needs_approval") != 0)
			json_object_set_new(life, "round_open", json_false());
	}
	return 0;
}

/* A signed statement's event: the statement kept, and its action applied to the life. */
static int on_statement(wf_apply *a, const custos_store_event *e, json_t *life)
{
	json_t *payload = json_loads(e->payload, 0, NULL), *x, *signers = json_object_get(life, "signers");
	const char *note = json_string_value(json_object_get(payload, "statement"));
	custos_note n;
	custos_statement s;
	char sid[32];
	int rc;
	if (!note) {
		json_decref(payload);
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: payload without its statement",
					(long long)e->index, e->type);
	}
	if ((rc = custos_note_parse(&n, note, strlen(note)))) {
		json_decref(payload);
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: the statement is not a signed note",
					(long long)e->index, e->type);
	}
	rc = custos_statement_parse(&s, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc) {
		json_decref(payload);
		return custos_error_prefix(CUSTOS_EINVALID, "event %lld: %s", (long long)e->index, e->type);
	}
	rc = statement_keep(a->st, e->ref, note, e->index, sid, sizeof(sid));
	json_decref(payload);
	if (rc)
		return rc;
	switch (s.action) {
	case CUSTOS_ACT_APPROVE:
	case CUSTOS_ACT_REFUSE:
	case CUSTOS_ACT_ACKNOWLEDGE:
		if (!(x = wf_approval_of(life, s.role)) || strcmp(wf_jstr(x, "state"), "pending") != 0)
			return refused(a, e, "role %s has no pending approval", s.role);
		if (s.action == CUSTOS_ACT_APPROVE && wf_assertion_unlisted(json_object_get(life, "assertions"), &s))
			return refused(a, e, "%s approved without confirming every asserted fact its role confirms",
				       s.role);
		if (s.action != CUSTOS_ACT_ACKNOWLEDGE)
			answer_assertions(life, &s, sid);
		json_object_set_new(x, "state",
				    json_string(s.action == CUSTOS_ACT_APPROVE	 ? "approved"
						: s.action == CUSTOS_ACT_REFUSE ? "refused"
										: "acknowledged"));
		json_object_set_new(x, "principal", json_string(s.principal));
		json_object_set_new(x, "time", json_string(s.time));
		json_object_set_new(x, "statement", json_string(sid));
		if (s.reason[0])
			json_object_set_new(x, "reason", json_string(s.reason));
		json_object_set_new(signers, s.principal, json_string(s.role));
		if ((rc = history_add(life, e, custos_action_name(s.action), s.role)))
			return rc;
		if (s.action == CUSTOS_ACT_REFUSE) {
			json_object_set_new(life, "round_open", json_false());
			if (strcmp(wf_jstr(life, "round_kind"), "extension") != 0)
				json_object_set_new(life, "state", json_string("refused"));
			/* a refused extension: the measure goes on in its window */
		} else if (s.action == CUSTOS_ACT_APPROVE && all_approved(life)) {
			round_complete(a, life);
		}
		return 0;
	case CUSTOS_ACT_REVOKE:
	case CUSTOS_ACT_END: {
		const char *to = s.action == CUSTOS_ACT_REVOKE ? "revoked" : "ended";
		json_object_set_new(life, "state", json_string(to));
		json_object_set_new(life, "round_open", json_false());
		if ((rc = withdraw_authorizations(a->st, life, to, e->time)))
			return rc;
		return history_add(life, e, to, s.reason[0] ? s.reason : NULL);
	}
	case CUSTOS_ACT_EXTEND:
		return json_object_set_new(life, "extension_until", json_string(s.until)) ? wf_oom() : 0;
	default:
		return refused(a, e, "unknown action in the statement on %s", e->ref);
	}
}

/* measure.suspended: its authorisations withdrawn at once (the new round is the measure.rescreened that follows). */
static int on_suspended(wf_apply *a, const custos_store_event *e, json_t *life)
{
	json_t *payload = json_loads(e->payload, 0, NULL);
	int rc = withdraw_authorizations(a->st, life, "suspended", e->time);
	if (!rc)
		rc = history_add(life, e, "suspended", wf_jstr(payload, "reason"));
	json_decref(payload);
	return rc;
}

/* authorization.issued: the token kept as a record, its window the measure's. */
static int on_token(wf_apply *a, const custos_store_event *e, json_t *life)
{
	json_t *payload = json_loads(e->payload, 0, NULL), *rec = NULL, *w;
	const char *note = json_string_value(json_object_get(payload, "token"));
	custos_authorization t;
	custos_note n;
	char from[11], to[11], *body = NULL;
	const char *wfrom;
	int rc;
	memset(&t, 0, sizeof(t));
	if (!note || custos_note_parse(&n, note, strlen(note))) {
		json_decref(payload);
		return custos_error_set(CUSTOS_EINVALID, "event %lld: authorization.issued: payload without a token",
					(long long)e->index);
	}
	rc = custos_authorization_parse(&t, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc) {
		json_decref(payload);
		return custos_error_prefix(CUSTOS_EINVALID, "event %lld: authorization.issued", (long long)e->index);
	}
	custos_date_format(from, t.from);
	custos_date_format(to, t.to);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:n}", "id", t.id, "measure", e->ref, "state", "valid",
			"from", from, "to", to, "token", note, "index", (json_int_t)e->index, "changed_at");
	if (!rec || !(body = wf_jdump(rec)))
		rc = wf_oom();
	else if (!(rc = custos_store_record_put(a->st, WF_AUTHORIZATION, t.id, body)) &&
		 json_array_append_new(json_object_get(life, "authorizations"), json_string(t.id)))
		rc = wf_oom();
	if (!rc) {
		w = json_object_get(life, "window");
		wfrom = json_is_object(w) ? wf_jstr(w, "from") : from;
		if (json_object_set_new(life, "window",
					json_pack("{s:s, s:s}", "from", strcmp(wfrom, from) < 0 ? wfrom : from, "to", to)))
			rc = wf_oom();
		else
			rc = history_add(life, e, "authorised", t.id);
	}
	free(body);
	json_decref(rec);
	json_decref(payload);
	custos_authorization_dispose(&t);
	return rc;
}

int wf_life_apply(wf_apply *a, const custos_store_event *e)
{
	custos_store_measure m;
	json_t *life = NULL;
	int rc;
	if (!e->ref || !wf_measure_id_valid(e->ref))
		return refused(a, e, "no measure '%s'", e->ref ? e->ref : "");
	rc = custos_store_measure_get(a->st, &m, e->ref);
	if (rc && rc != CUSTOS_ENOTFOUND)
		return rc;
	if (rc == 0) {
		int erased = strcmp(m.state, "erased") == 0;
		custos_store_measure_dispose(&m);
		if (erased) /* its data erased: nothing more is kept of it but its tokens' ids */
			return strcmp(e->type, "authorization.issued") == 0 ? erased_token(a, e) : 0;
	}
	if (!e->payload[0]) {
		if ((rc = measure_erase(a->st, e)))
			return rc;
		return strcmp(e->type, "authorization.issued") == 0 ? erased_token(a, e) : 0;
	}
	if (strcmp(e->type, "measure.filed") == 0)
		return rc == 0 ? refused(a, e, "measure %s was filed before", e->ref) : on_filed(a, e);
	if (rc == CUSTOS_ENOTFOUND)
		return refused(a, e, "no measure %s was filed", e->ref);
	if ((rc = wf_life_load(a->st, e->ref, &life)))
		return rc;
	if (strcmp(e->type, "measure.decided") == 0 || strcmp(e->type, "measure.extension_decided") == 0 ||
	    strcmp(e->type, "measure.rescreened") == 0)
		rc = on_decided(a, e, life);
	else if (strcmp(e->type, "measure.suspended") == 0)
		rc = on_suspended(a, e, life);
	else if (strcmp(e->type, "authorization.issued") == 0)
		rc = on_token(a, e, life);
	else
		rc = on_statement(a, e, life);
	if (!rc)
		rc = life_save(a->st, life);
	json_decref(life);
	return rc;
}
