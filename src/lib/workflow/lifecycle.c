/* lifecycle.c — the life of a measure: rounds of signed approvals, authorisations, extension, revocation, end. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "ledger/log_int.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

/* A statement's time may differ from custos' clock by at most this much. */
#define STATEMENT_SKEW 300

/* ---- small JSON helpers --------------------------------------------------------------- */


static char *jdump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int oom(void)
{
	return custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

/* ---- the life record ---------------------------------------------------------------------- */

/*
 * One record per measure (kind "life"):
 *   {"measure", "requested_by", "filed_by", "state", "round", "round_kind",
 *    "round_open", "decision", "period": {"from","to"}, "approvals": [...],
 *    "subjects": [party ids the round's findings turned on], "signers": {principal: role},
 *    "window": {"from","to"} | null, "authorizations": [...], "extensions": n,
 *    "history": [{"time","what","index",...}]}
 * "state" is the stored state; the measures table's state column mirrors it.
 */

/* A life for a measure filed before life records existed: its first round, from the stored decision. */
static int life_synthesise(custos_store *st, const char *id, json_t **out)
{
	custos_store_measure m;
	custos_store_event e;
	json_t *d = NULL, *me = NULL, *life = NULL;
	int rc;
	memset(&e, 0, sizeof(e));
	if ((rc = custos_store_measure_get(st, &m, id)))
		return rc;
	d = json_loads(m.decision, 0, NULL);
	me = json_loads(m.measure, 0, NULL);
	if (!d || !me) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: stored JSON does not parse", id);
		goto out;
	}
	if ((rc = custos_store_event_get(st, (int64_t)json_integer_value(json_object_get(d, "log_index")), &e)))
		goto out;
	life = json_pack("{s:s, s:s, s:n, s:s, s:i, s:s, s:b, s:s, s:O, s:O, s:[], s:{}, s:n, s:[], s:i, s:[]}",
			 "measure", id, "requested_by", wf_jstr(me, "requested_by"), "filed_by", "state", m.state, "round",
			 1, "round_kind", "filing", "round_open", strcmp(m.state, "pending") == 0, "decision",
			 e.payload_hash, "period", json_object_get(me, "period"), "approvals",
			 json_object_get(d, "approvals"), "subjects", "signers", "window", "authorizations",
			 "extensions", 0, "history");
	rc = life ? 0 : oom();
out:
	custos_store_event_dispose(&e);
	custos_store_measure_dispose(&m);
	json_decref(d);
	json_decref(me);
	*out = life;
	return rc;
}

static int life_load(custos_store *st, const char *id, json_t **out)
{
	char *body = NULL;
	json_error_t err;
	int rc;
	*out = NULL;
	if (!wf_measure_id_valid(id))
		return custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	rc = custos_store_record_get(st, WF_LIFE, id, &body);
	if (rc == CUSTOS_ENOTFOUND)
		return life_synthesise(st, id, out);
	if (rc)
		return rc;
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

static int life_save(custos_store *st, json_t *life)
{
	char *body = jdump(life);
	const char *id = wf_jstr(life, "measure");
	int rc;
	if (!body)
		return oom();
	if (!(rc = custos_store_record_put(st, WF_LIFE, id, body)) &&
	    !(rc = custos_store_measure_set_state(st, id, wf_jstr(life, "state"))))
		rc = life_index(st, life);
	free(body);
	return rc;
}

static int history_add(json_t *life, const char *time, const char *what, int64_t index, const char *detail)
{
	json_t *h = json_pack("{s:s, s:s, s:I}", "time", time, "what", what, "index", (json_int_t)index);
	if (!h)
		return oom();
	if (detail)
		json_object_set_new(h, "detail", json_string(detail));
	return json_array_append_new(json_object_get(life, "history"), h) ? oom() : 0;
}

/* Appends an event whose payload is a JSON object, returning its index. */
static int event_json(custos_store *st, const char *type, const char *actor, const char *ref, json_t *payload,
		      int64_t *index)
{
	char *text = payload ? jdump(payload) : NULL;
	int rc;
	json_decref(payload);
	if (!text)
		return oom();
	rc = custos_store_event_append(st, type, actor, ref, text, index);
	free(text);
	return rc;
}

/* The state to show, reading an authorised window against `today`. */
static const char *effective_state(const json_t *life, custos_date today)
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

/* ---- rounds ----------------------------------------------------------------------------------- */

/* The party ids the decision's findings turned on. */
static json_t *finding_parties(const json_t *decision)
{
	json_t *out = json_array(), *f;
	size_t i;
	json_array_foreach(json_object_get(decision, "findings"), i, f)
	{
		const char *p = json_string_value(json_object_get(f, "party"));
		int seen = 0;
		json_t *x;
		size_t j;
		if (!p)
			continue;
		json_array_foreach(out, j, x) seen |= strcmp(json_string_value(x), p) == 0;
		if (!seen)
			json_array_append_new(out, json_string(p));
	}
	return out;
}

/* Starts round `kind` for a decision (JSON text as logged, and its hash) over period from..to. */
static int round_open(json_t *life, const char *kind, const char *decision_text, const char *from, const char *to)
{
	json_t *d = json_loads(decision_text, 0, NULL), *approvals;
	uint8_t digest[32];
	char hash[72];
	const char *outcome;
	if (!d)
		return custos_error_set(CUSTOS_ERROR, "decision does not parse");
	custos_sha256(digest, decision_text, strlen(decision_text));
	custos_sha256_label(hash, digest);
	outcome = wf_jstr(d, "outcome");
	approvals = json_deep_copy(json_object_get(d, "approvals"));
	json_object_set_new(life, "round", json_integer(json_integer_value(json_object_get(life, "round")) + 1));
	json_object_set_new(life, "round_kind", json_string(kind));
	json_object_set_new(life, "round_open", json_boolean(strcmp(outcome, "needs_approval") == 0));
	json_object_set_new(life, "outcome", json_string(outcome));
	json_object_set_new(life, "decision", json_string(hash));
	json_object_set_new(life, "period", json_pack("{s:s, s:s}", "from", from, "to", to));
	json_object_set_new(life, "approvals", approvals ? approvals : json_array());
	json_object_set_new(life, "subjects", finding_parties(d));
	/* the asserted facts the round's decision rests on, each to be confirmed (absent when none) */
	json_object_del(life, "assertions");
	if (json_array_size(json_object_get(d, "assertions"))) {
		json_t *as = json_array(), *x;
		size_t i;
		json_array_foreach(json_object_get(d, "assertions"), i, x)
		{
			json_t *c = json_deep_copy(x);
			if (!c || json_object_set_new(c, "state", json_string("pending")) || json_array_append_new(as, c)) {
				json_decref(as);
				json_decref(d);
				return oom();
			}
		}
		json_object_set_new(life, "assertions", as);
	}
	json_decref(d);
	return 0;
}

/* The conditions of the decision of the current round, as token lines ("max_days 60"). */
static int token_conditions(custos_authorization *a, const json_t *decision)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(decision, "conditions"), i, c)
	{
		const char *key;
		json_t *v;
		json_object_foreach(c, key, v)
		{
			char line[600];
			if (json_is_integer(v))
				snprintf(line, sizeof(line), "%s %lld", key, (long long)json_integer_value(v));
			else
				snprintf(line, sizeof(line), "%s %s", key, json_string_value(v) ? json_string_value(v) : "");
			char **grown = realloc(a->conditions, (a->nconditions + 1) * sizeof(*a->conditions));
			if (!grown) /* the array as it was stays the token's, for its dispose */
				return oom();
			a->conditions = grown;
			if (!(a->conditions[a->nconditions] = custos_strdup(line)))
				return oom();
			a->nconditions++;
		}
	}
	return 0;
}

/*
 * Issues the authorisation for the current round: its window is the round's
 * period, cut to the decision's max_days; signed with the log key.
 */
static int authorize(custos_store *st, json_t *life, const json_t *decision, const char *actor, const char *now)
{
	custos_store_measure m;
	custos_authorization a;
	custos_signer *signer = NULL;
	json_t *me = NULL, *auths = json_object_get(life, "authorizations"), *t, *c, *rec = NULL;
	char *text = NULL, *note = NULL, from[11], to[11];
	const json_t *period = json_object_get(life, "period");
	const char *id = wf_jstr(life, "measure");
	int64_t index;
	size_t i;
	int rc, max_days = 0;

	memset(&a, 0, sizeof(a));
	if ((rc = custos_store_measure_get(st, &m, id)))
		return rc;
	me = json_loads(m.measure, 0, NULL);
	if (!me) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: stored JSON does not parse", id);
		goto out;
	}
	if ((rc = custos_log_origin(st, &a.origin)))
		goto out;
	snprintf(a.id, sizeof(a.id), "%s.%zu", id, json_array_size(auths) + 1);
	snprintf(a.measure, sizeof(a.measure), "%s", id);
	snprintf(a.kind, sizeof(a.kind), "%s", wf_jstr(me, "kind"));
	snprintf(a.scope, sizeof(a.scope), "%s", wf_jstr(me, "scope"));
	snprintf(a.framework, sizeof(a.framework), "%s", wf_jstr(me, "framework"));
	snprintf(a.requested_by, sizeof(a.requested_by), "%s", wf_jstr(me, "requested_by"));
	snprintf(a.decision, sizeof(a.decision), "%s", wf_jstr(life, "decision"));
	if (custos_date_parse(&a.from, wf_jstr(period, "from")) || custos_date_parse(&a.to, wf_jstr(period, "to"))) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: round without a period", id);
		goto out;
	}
	json_array_foreach(json_object_get(decision, "conditions"), i, c)
	{
		int d = (int)json_integer_value(json_object_get(c, "max_days"));
		if (d > 0 && (!max_days || d < max_days))
			max_days = d;
	}
	if (max_days && a.to - a.from + 1 > max_days)
		a.to = a.from + max_days - 1; /* the rules' maximum duration cuts the window */
	a.selectors = calloc(json_array_size(json_object_get(me, "targets")) + 1, sizeof(*a.selectors));
	if (!a.selectors) {
		rc = oom();
		goto out;
	}
	json_array_foreach(json_object_get(me, "targets"), i, t)
	{
		if (!(a.selectors[a.nselectors] = custos_strdup(json_string_value(t) ? json_string_value(t) : ""))) {
			rc = oom();
			goto out;
		}
		a.nselectors++;
	}
	/* the log's size once this token's event is in it: a revocation list older than that cannot clear it */
	{
		int64_t size = custos_store_log_size(st);
		if (size < 0) {
			rc = CUSTOS_ERROR;
			goto out;
		}
		a.log_size = (uint64_t)size + 1;
	}
	/* the asserted facts confirmed for this round, with the role that confirmed each */
	json_array_foreach(json_object_get(life, "assertions"), i, c)
	{
		char line[CUSTOS_CONFIRM_LINE], full[CUSTOS_CONFIRM_LINE + 40];
		char **grown = realloc(a.confirmed, (a.nconfirmed + 1) * sizeof(*a.confirmed));
		if (!grown) {
			rc = oom();
			goto out;
		}
		a.confirmed = grown;
		wf_assertion_line(line, sizeof(line), c);
		snprintf(full, sizeof(full), "%s %s", wf_jstr(c, "confirm_by"), line);
		if (!(a.confirmed[a.nconfirmed] = custos_strdup(full))) {
			rc = oom();
			goto out;
		}
		a.nconfirmed++;
	}
	if ((rc = token_conditions(&a, decision)) || (rc = custos_authorization_format(&text, &a)) ||
	    (rc = custos_log_signer(st, &signer)) ||
	    (rc = custos_note_sign(&note, text, strlen(text), &signer, 1)))
		goto out;
	custos_date_format(from, a.from);
	custos_date_format(to, a.to);
	if ((rc = event_json(st, "authorization.issued", actor, id,
			     json_pack("{s:s, s:s}", "authorization", a.id, "token", note), &index)))
		goto out;
	if ((uint64_t)index + 1 != a.log_size) {
		rc = custos_error_set(CUSTOS_ERROR, "authorisation %s: issued at log size %llu but logged at index %lld",
				      a.id, (unsigned long long)a.log_size, (long long)index);
		goto out;
	}
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:n}", "id", a.id, "measure", id, "state", "valid",
			"from", from, "to", to, "token", note, "index", (json_int_t)index, "changed_at");
	if (!rec) {
		rc = oom();
		goto out;
	}
	{
		char *body = jdump(rec);
		rc = body ? custos_store_record_put(st, WF_AUTHORIZATION, a.id, body) : oom();
		free(body);
		if (rc)
			goto out;
	}
	json_array_append_new(auths, json_string(a.id));
	{
		json_t *w = json_object_get(life, "window");
		const char *wfrom = json_is_object(w) ? wf_jstr(w, "from") : from;
		json_object_set_new(life, "window", json_pack("{s:s, s:s}", "from", strcmp(wfrom, from) < 0 ? wfrom : from,
							      "to", to));
	}
	rc = history_add(life, now, "authorised", index, a.id);
out:
	json_decref(rec);
	json_decref(me);
	free(text);
	free(note);
	custos_signer_free(signer);
	custos_authorization_dispose(&a);
	custos_store_measure_dispose(&m);
	return rc;
}

/* Sets the state of every authorisation of the measure that is "valid" to `state`. */
static int withdraw_authorizations(custos_store *st, json_t *life, const char *state, const char *now)
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
			json_object_set_new(rec, "changed_at", json_string(now));
			out = jdump(rec);
			rc = out ? custos_store_record_put(st, WF_AUTHORIZATION, json_string_value(id), out) : oom();
			free(out);
		}
		json_decref(rec);
		if (rc)
			return rc;
	}
	return 0;
}

/* The current round's decision JSON, from the event that logged it. */
static int round_decision(custos_store *st, const json_t *life, json_t **out)
{
	custos_store_event e;
	json_int_t index = json_integer_value(json_object_get(life, "decision_index"));
	int rc;
	*out = NULL;
	if (!json_is_integer(json_object_get(life, "decision_index"))) {
		/* a life synthesised for an old measure: its stored decision */
		custos_store_measure m;
		if ((rc = custos_store_measure_get(st, &m, wf_jstr(life, "measure"))))
			return rc;
		*out = json_loads(m.decision, 0, NULL);
		custos_store_measure_dispose(&m);
		return *out ? 0 : custos_error_set(CUSTOS_ERROR, "stored decision does not parse");
	}
	if ((rc = custos_store_event_get(st, index, &e)))
		return rc;
	if (!e.payload[0])
		rc = custos_error_set(CUSTOS_ERROR, "the decision (event %lld) was erased", (long long)index);
	else if (!(*out = json_loads(e.payload, 0, NULL)))
		rc = custos_error_set(CUSTOS_ERROR, "the decision (event %lld) does not parse", (long long)index);
	custos_store_event_dispose(&e);
	return rc;
}

/* Closes the current round with every approval given: authorises, and sets the state. */
static int round_complete(custos_store *st, json_t *life, const char *actor, const char *now)
{
	json_t *decision = NULL;
	const char *kind = wf_jstr(life, "round_kind");
	int rc;
	if ((rc = round_decision(st, life, &decision)))
		return rc;
	json_object_set_new(life, "round_open", json_false());
	if (strcmp(kind, "extension") == 0)
		json_object_set_new(life, "extensions",
				    json_integer(json_integer_value(json_object_get(life, "extensions")) + 1));
	json_object_set_new(life, "state",
			    json_string(json_integer_value(json_object_get(life, "extensions")) > 0 ? "extended"
												  : "authorised"));
	rc = authorize(st, life, decision, actor, now);
	json_decref(decision);
	return rc;
}

/* ---- filing ------------------------------------------------------------------------------------- */

int wf_life_filed(custos_store *st, const char *id, const custos_measure *m, const char *decision_text,
		  int64_t decision_index, const char *filed_by, const char *actor)
{
	json_t *life;
	char from[11], to[11], now[21];
	const char *outcome;
	int rc;
	if ((rc = custos_time_now(now)))
		return rc;
	custos_date_format(from, m->from);
	custos_date_format(to, m->to);
	life = json_pack("{s:s, s:s, s:s?, s:s, s:i, s:[], s:{}, s:n, s:[], s:i, s:[]}", "measure", id, "requested_by",
			 m->requested_by, "filed_by", filed_by, "state", "pending", "round", 0, "approvals", "signers",
			 "window", "authorizations", "extensions", 0, "history");
	if (!life)
		return oom();
	if ((rc = round_open(life, "filing", decision_text, from, to)))
		goto out;
	json_object_set_new(life, "decision_index", json_integer(decision_index));
	outcome = wf_jstr(life, "outcome");
	if ((rc = history_add(life, now, "filed", decision_index, outcome)))
		goto out;
	if (strcmp(outcome, "forbidden") == 0)
		json_object_set_new(life, "state", json_string("forbidden"));
	else if (strcmp(outcome, "permitted") == 0)
		rc = round_complete(st, life, actor, now);
	if (!rc)
		rc = life_save(st, life);
out:
	json_decref(life);
	return rc;
}

/* ---- statements ---------------------------------------------------------------------------------- */

/* The approval entry of `role` in the current round, or NULL. */
static json_t *approval_of(const json_t *life, const char *role)
{
	json_t *a;
	size_t i;
	json_array_foreach(json_object_get(life, "approvals"), i, a) if (strcmp(wf_jstr(a, "role"), role) == 0) return a;
	return NULL;
}

static int all_approved(const json_t *life)
{
	json_t *a;
	size_t i;
	json_array_foreach(json_object_get(life, "approvals"), i, a)
	{
		if (strcmp(wf_jstr(a, "kind"), "approve") == 0 && strcmp(wf_jstr(a, "state"), "approved") != 0)
			return 0;
	}
	json_array_foreach(json_object_get(life, "assertions"), i, a) if (strcmp(wf_jstr(a, "state"), "confirmed") != 0) return 0;
	return 1;
}

void wf_assertion_line(char *out, size_t n, const json_t *a)
{
	const json_t *v = json_object_get(a, "value");
	const char *party = json_string_value(json_object_get(a, "party"));
	snprintf(out, n, "%s %s %s", wf_jstr(a, "flag"), party ? party : "-",
		 json_is_string(v) ? json_string_value(v) : json_is_false(v) ? "false" : "true");
}

/* "waiver for D1 (NV 40)" or "personal_involvement": an asserted fact in words for a message. */
static void assertion_words(char *out, size_t n, const json_t *a)
{
	const json_t *v = json_object_get(a, "value");
	const char *party = json_string_value(json_object_get(a, "party"));
	snprintf(out, n, "%s%s%s%s%s%s%s", json_is_false(v) ? "no " : "", wf_jstr(a, "flag"), party ? " for " : "",
		 party ? party : "", json_is_string(v) ? " (" : "", json_is_string(v) ? json_string_value(v) : "",
		 json_is_string(v) ? ")" : "");
}

/*
 * An approval confirms exactly the asserted facts the decision asks its
 * role to confirm (LAW.md, "Asserted facts"): each "confirm" line must be
 * one of them, and none may be left out. Another role's fact, or one the
 * decision does not assert, is refused by name.
 */
static int check_confirms(const json_t *life, const custos_statement *s)
{
	const json_t *as = json_object_get(life, "assertions"), *x;
	char line[CUSTOS_CONFIRM_LINE], words[CUSTOS_CONFIRM_LINE + 16];
	size_t i;
	for (unsigned k = 0; k < s->nconfirms; k++) {
		const json_t *hit = NULL;
		json_array_foreach(as, i, x)
		{
			wf_assertion_line(line, sizeof(line), x);
			if (strcmp(line, s->confirms[k]) == 0) {
				hit = x;
				break;
			}
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: the decision of measure %s (round %u) asserts no fact '%s'",
						s->measure, s->round, s->confirms[k]);
		if (strcmp(wf_jstr(hit, "confirm_by"), s->role) != 0) {
			assertion_words(words, sizeof(words), hit);
			return custos_error_set(CUSTOS_EINVALID, "confirm: %s is for %s to confirm, not %s", words,
						wf_jstr(hit, "confirm_by"), s->role);
		}
	}
	if ((x = wf_assertion_unlisted(as, s))) {
		wf_assertion_line(line, sizeof(line), x);
		assertion_words(words, sizeof(words), x);
		return custos_error_set(CUSTOS_EINVALID,
					"confirm: approving measure %s as %s confirms the asserted fact %s (rule %s); list it "
					"('confirm %s') or refuse",
					s->measure, s->role, words, wf_jstr(x, "rule"), line);
	}
	return 0;
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
static void answer_assertions(json_t *life, const custos_statement *s, const char *principal, const char *sid)
{
	json_t *x;
	size_t i;
	json_array_foreach(json_object_get(life, "assertions"), i, x)
	{
		if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0)
			continue;
		json_object_set_new(x, "state", json_string(s->action == CUSTOS_ACT_APPROVE ? "confirmed" : "refused"));
		json_object_set_new(x, "principal", json_string(principal));
		json_object_set_new(x, "statement", json_string(sid));
	}
}

static int count_row(void *ctx, const char *id, const char *body)
{
	(void)id;
	(void)body;
	(*(unsigned *)ctx)++;
	return 0;
}

/* Keeps the statement as a record "M-000001/0001" (the n-th statement on the measure). */
static int statement_store(custos_store *st, const char *measure, const char *note, int64_t index, char *sid,
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
	body = rec ? jdump(rec) : NULL;
	json_decref(rec);
	if (!body)
		return oom();
	rc = custos_store_record_put(st, WF_STATEMENT, sid, body);
	free(body);
	return rc;
}

static const char *const event_of_action[CUSTOS_ACT__COUNT] = {
	[CUSTOS_ACT_APPROVE] = "measure.approved", [CUSTOS_ACT_REFUSE] = "measure.refused",
	[CUSTOS_ACT_ACKNOWLEDGE] = "measure.acknowledged", [CUSTOS_ACT_REVOKE] = "measure.revoked",
	[CUSTOS_ACT_END] = "measure.ended", [CUSTOS_ACT_EXTEND] = "measure.extension_requested",
};

const char *wf_action_event(custos_action a)
{
	return (unsigned)a < CUSTOS_ACT__COUNT ? event_of_action[a] : NULL;
}

/* Approve, refuse or acknowledge under a role of the current round. */
static int apply_signature(custos_store *st, json_t *life, const custos_statement *s, const custos_principal *p,
			   const char *sid, int64_t index, const char *actor, const char *now)
{
	json_t *a = approval_of(life, s->role), *signers = json_object_get(life, "signers");
	const char *state = wf_jstr(life, "state"), *kind, *filed_by = json_string_value(json_object_get(life, "filed_by"));
	const char *other = json_string_value(json_object_get(signers, p->id));
	int open = json_is_true(json_object_get(life, "round_open"));

	if (strcmp(state, "forbidden") == 0)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is forbidden: it can never be authorised", s->measure);
	if (!a)
		return custos_error_set(CUSTOS_EINVALID, "role: the decision of measure %s (round %u) does not ask %s",
					s->measure, s->round, s->role);
	kind = wf_jstr(a, "kind");
	if (s->action == CUSTOS_ACT_ACKNOWLEDGE && strcmp(kind, "notify") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: %s must approve or refuse measure %s, not acknowledge it",
					s->role, s->measure);
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && strcmp(kind, "notify") == 0)
		return custos_error_set(CUSTOS_EINVALID, "role: %s is only informed of measure %s: acknowledge it",
					s->role, s->measure);
	if (strcmp(wf_jstr(a, "state"), "pending") != 0)
		return custos_error_set(CUSTOS_EEXISTS, "role %s already %s measure %s (round %u) as %s at %s", s->role,
					wf_jstr(a, "state"), s->measure, s->round, wf_jstr(a, "principal"), wf_jstr(a, "time"));
	/* a round is open only while pending, suspended, or authorised with an extension asked for */
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && !open)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: nothing waits for approval", s->measure, state);
	if (filed_by && strcmp(filed_by, p->id) == 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s filed measure %s and cannot sign for it", p->id,
					s->measure);
	if (other && strcmp(other, s->role) != 0)
		return custos_error_set(CUSTOS_EINVALID,
					"principal %s already signed measure %s as %s; one principal cannot sign two roles",
					p->id, s->measure, other);
	if (s->action == CUSTOS_ACT_APPROVE) {
		int rc = check_confirms(life, s);
		if (rc)
			return rc;
	}
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE)
		answer_assertions(life, s, p->id, sid);
	json_object_set_new(a, "state",
			    json_string(s->action == CUSTOS_ACT_APPROVE	  ? "approved"
					: s->action == CUSTOS_ACT_REFUSE ? "refused"
									 : "acknowledged"));
	json_object_set_new(a, "principal", json_string(p->id));
	json_object_set_new(a, "time", json_string(s->time));
	json_object_set_new(a, "statement", json_string(sid));
	if (s->reason[0])
		json_object_set_new(a, "reason", json_string(s->reason));
	json_object_set_new(signers, p->id, json_string(s->role));
	if (history_add(life, now, custos_action_name(s->action), index, s->role))
		return oom();
	if (s->action == CUSTOS_ACT_REFUSE) {
		json_object_set_new(life, "round_open", json_false());
		if (strcmp(wf_jstr(life, "round_kind"), "extension") == 0)
			return 0; /* the extension is refused; the measure goes on in its window */
		json_object_set_new(life, "state", json_string("refused"));
		return 0;
	}
	if (s->action == CUSTOS_ACT_APPROVE && all_approved(life))
		return round_complete(st, life, actor, now);
	return 0;
}

/* The requesting authority's principal: requester or service_head of the measure's authority. */
static int check_own_authority(const json_t *life, const custos_statement *s, const custos_principal *p)
{
	if (strcmp(s->role, "requester") != 0 && strcmp(s->role, "service_head") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: to %s a measure sign as requester or service_head, not %s",
					custos_action_name(s->action), s->role);
	if (strcmp(p->authority, wf_jstr(life, "requested_by")) != 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s (authority %s) cannot %s a measure of %s", p->id,
					p->authority, custos_action_name(s->action), wf_jstr(life, "requested_by"));
	return 0;
}

static int is_state(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Revoke (comite_r) or end (the requesting authority). */
static int apply_stop(custos_store *st, json_t *life, const custos_statement *s, const custos_principal *p,
		      int64_t index, const char *now)
{
	static const char *const live[] = {"pending", "authorised", "extended", "suspended", NULL};
	const char *state = wf_jstr(life, "state");
	const char *to = s->action == CUSTOS_ACT_REVOKE ? "revoked" : "ended";
	int rc;
	if (s->action == CUSTOS_ACT_REVOKE && strcmp(s->role, "comite_r") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: only comite_r revokes a measure, not %s", s->role);
	if (s->action == CUSTOS_ACT_END && (rc = check_own_authority(life, s, p)))
		return rc;
	if (!is_state(state, live))
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: there is nothing to %s", s->measure, state,
					custos_action_name(s->action));
	json_object_set_new(life, "state", json_string(to));
	json_object_set_new(life, "round_open", json_false());
	if ((rc = withdraw_authorizations(st, life, to, now)))
		return rc;
	return history_add(life, now, to, index, s->reason[0] ? s->reason : NULL);
}

/* The measure as filed, with its period replaced by from..to. */
static int measure_for_period(custos_store *st, const char *id, custos_date from, custos_date to, custos_measure *m)
{
	custos_store_measure row;
	int rc;
	if ((rc = custos_store_measure_get(st, &row, id)))
		return rc;
	rc = custos_measure_decode(m, row.measure, strlen(row.measure));
	custos_store_measure_dispose(&row);
	if (rc)
		return custos_error_prefix(rc, "stored measure %s", id);
	m->from = from;
	m->to = to;
	return 0;
}

/* Decides the measure again (current rules and registry) for from..to; *text is the decision JSON. */
static int decide_again(custos_store *st, const char *id, const custos_registry *reg_given, custos_date from,
			custos_date to, char **text)
{
	custos_measure m;
	custos_ruleset *rs = NULL;
	custos_registry *reg = NULL;
	custos_verdict v;
	int rc;
	memset(&v, 0, sizeof(v));
	*text = NULL;
	if ((rc = measure_for_period(st, id, from, to, &m)))
		return rc;
	if ((rc = custos_workflow_rules_current(st, &rs)) || (!reg_given && (rc = custos_registry_load(st, &reg))))
		goto out;
	if (reg)
		custos_workflow_name_policy(reg, rs);
	if ((rc = custos_decide(&v, rs, reg_given ? reg_given : reg, &m)))
		goto out;
	if (v.decision.reject) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s (%s, rule %s)", v.decision.reject->explain,
				      v.decision.reject->cite, v.decision.reject->rule);
		goto out;
	}
	rc = custos_verdict_encode(text, &v, id, -1);
out:
	custos_verdict_dispose(&v);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	custos_measure_dispose(&m);
	return rc;
}

static int apply_extend(custos_store *st, json_t *life, const custos_statement *s, const custos_principal *p,
			const char *actor, const char *now)
{
	const char *state = wf_jstr(life, "state");
	const json_t *w = json_object_get(life, "window");
	custos_date wto, until, today = custos_date_today();
	char from[11], *decision = NULL;
	int64_t dindex;
	int rc;
	if ((rc = check_own_authority(life, s, p)))
		return rc;
	if ((strcmp(state, "authorised") != 0 && strcmp(state, "extended") != 0) || !json_is_object(w) ||
	    custos_date_parse(&wto, wf_jstr(w, "to")))
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: only an authorised measure is extended",
					s->measure, state);
	if (json_is_true(json_object_get(life, "round_open")))
		return custos_error_set(CUSTOS_EINVALID, "measure %s already waits for approvals (round %lld)",
					s->measure, (long long)json_integer_value(json_object_get(life, "round")));
	if (today > wto)
		return custos_error_set(CUSTOS_EINVALID, "measure %s expired on %s: file a new measure", s->measure,
					wf_jstr(w, "to"));
	custos_date_parse(&until, s->until);
	if (until <= wto)
		return custos_error_set(CUSTOS_EINVALID, "until: %s does not extend the window, which ends on %s", s->until,
					wf_jstr(w, "to"));
	custos_date_format(from, wto + 1);
	if ((rc = decide_again(st, s->measure, NULL, wto + 1, until, &decision)) ||
	    (rc = custos_store_event_append(st, "measure.extension_decided", actor, s->measure, decision, &dindex)))
		goto out;
	if ((rc = round_open(life, "extension", decision, from, s->until)))
		goto out;
	json_object_set_new(life, "decision_index", json_integer(dindex));
	if ((rc = history_add(life, now, "extension", dindex, wf_jstr(life, "outcome"))))
		goto out;
	if (strcmp(wf_jstr(life, "outcome"), "forbidden") == 0)
		json_object_set_new(life, "round_open", json_false()); /* the extension is forbidden; the window stays */
	else if (strcmp(wf_jstr(life, "outcome"), "permitted") == 0)
		rc = round_complete(st, life, actor, now);
out:
	free(decision);
	return rc;
}

int custos_statement_submit(custos_store *st, const char *note, size_t len, const char *actor, char **result)
{
	custos_note n;
	custos_statement s;
	custos_principal p;
	custos_verifier *v = NULL;
	json_t *life = NULL;
	char now[21], sid[32] = "";
	int64_t t_now, t_stmt, index = -1;
	int rc, began = 0;

	memset(&n, 0, sizeof(n));
	memset(&p, 0, sizeof(p));
	*result = NULL;
	if ((rc = custos_time_now(now)))
		return rc;
	if ((rc = custos_note_parse(&n, note, len))) {
		custos_error_prefix(rc, "statement");
		goto out;
	}
	if ((rc = custos_statement_parse(&s, n.text, n.text_len)))
		goto out;
	custos_time_parse(&t_now, now);
	custos_time_parse(&t_stmt, s.time);
	if (t_stmt < t_now - STATEMENT_SKEW || t_stmt > t_now + STATEMENT_SKEW) {
		rc = custos_error_set(CUSTOS_EINVALID, "statement: time %s is more than %d s from now (%s): stale or replayed",
				      s.time, STATEMENT_SKEW, now);
		goto out;
	}
	if ((rc = custos_store_begin(st)))
		goto out;
	began = 1;
	if ((rc = custos_principal_get(st, s.principal, &p)))
		goto out;
	if (p.revoked_at) {
		rc = custos_error_set(CUSTOS_EINVALID, "principal %s was revoked at %s", p.id, p.revoked_at);
		goto out;
	}
	if ((rc = custos_verifier_new(&v, p.pubkey)) || (rc = custos_note_verify(&n, v))) {
		rc = custos_error_set(CUSTOS_EINVALID, "statement: not signed by principal %s's registered key (%s)", p.id,
				      p.pubkey);
		goto out;
	}
	if (!custos_principal_has_role(&p, s.role)) {
		rc = custos_error_set(CUSTOS_EINVALID, "role: principal %s does not hold the role %s", p.id, s.role);
		goto out;
	}
	if ((rc = life_load(st, s.measure, &life)))
		goto out;
	if (s.round != (unsigned)json_integer_value(json_object_get(life, "round")) ||
	    strcmp(s.decision, wf_jstr(life, "decision")) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID,
				      "statement: signs round %u, decision %s, but measure %s is at round %lld, decision %s",
				      s.round, s.decision, s.measure,
				      (long long)json_integer_value(json_object_get(life, "round")), wf_jstr(life, "decision"));
		goto out;
	}
	if ((rc = event_json(st, wf_action_event(s.action), actor, s.measure,
			     json_pack("{s:s, s:s}", "principal", p.id, "statement", note), &index)) ||
	    (rc = statement_store(st, s.measure, note, index, sid, sizeof(sid))))
		goto out;
	switch (s.action) {
	case CUSTOS_ACT_APPROVE:
	case CUSTOS_ACT_REFUSE:
	case CUSTOS_ACT_ACKNOWLEDGE:
		rc = apply_signature(st, life, &s, &p, sid, index, actor, now);
		break;
	case CUSTOS_ACT_REVOKE:
	case CUSTOS_ACT_END:
		rc = apply_stop(st, life, &s, &p, index, now);
		break;
	case CUSTOS_ACT_EXTEND:
		rc = apply_extend(st, life, &s, &p, actor, now);
		break;
	default:
		rc = custos_error_set(CUSTOS_EINVALID, "statement: unknown action");
	}
	if (rc || (rc = life_save(st, life)))
		goto out;
	json_object_set_new(life, "state", json_string(effective_state(life, custos_date_today())));
	if (!(*result = jdump(life))) {
		rc = oom();
		goto out;
	}
	rc = custos_store_commit(st);
	began = 0;
	if (rc) {
		free(*result);
		*result = NULL;
	}
out:
	if (began)
		custos_store_abort(st, rc);
	json_decref(life);
	custos_verifier_free(v);
	custos_principal_dispose(&p);
	custos_note_dispose(&n);
	return rc;
}

int custos_measure_act(custos_store *st, const char *id, custos_action action, const char *role, const char *reason,
		       const char *until, const custos_signer *key, const char *actor, char **result)
{
	char *note = NULL;
	int rc;
	*result = NULL;
	if ((rc = custos_measure_statement(st, id, action, role, reason, until, key, &note)))
		return rc;
	rc = custos_statement_submit(st, note, strlen(note), actor, result);
	free(note);
	return rc;
}

/*
 * The "confirm" lines of an approval: `confirm` NULL lists every asserted
 * fact the decision asks the role to confirm; "none" lists none; otherwise
 * "FLAG[@PARTY],..." names the facts (of any role: the submission checks them).
 */
static int statement_confirms(custos_statement *s, const json_t *life, const char *confirm)
{
	const json_t *as = json_object_get(life, "assertions"), *x;
	size_t i;
	if (confirm && strcmp(confirm, "none") == 0)
		return 0;
	if (!confirm) {
		json_array_foreach(as, i, x)
		{
			if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0)
				continue;
			if (s->nconfirms == CUSTOS_CONFIRM_MAX)
				return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
			wf_assertion_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, x);
		}
		return 0;
	}
	for (const char *c = confirm; *c;) {
		const char *end = strchr(c, ','), *at;
		size_t n = end ? (size_t)(end - c) : strlen(c);
		const json_t *hit = NULL;
		char want[CUSTOS_CONFIRM_LINE];
		if (n == 0 || n >= sizeof(want))
			return custos_error_set(CUSTOS_EINVALID, "confirm: expected FLAG[@PARTY],... or none");
		memcpy(want, c, n);
		want[n] = '\0';
		at = strchr(want, '@');
		json_array_foreach(as, i, x)
		{
			const char *party = json_string_value(json_object_get(x, "party"));
			size_t fl = at ? (size_t)(at - want) : n;
			if (strlen(wf_jstr(x, "flag")) == fl && strncmp(wf_jstr(x, "flag"), want, fl) == 0 &&
			    (at ? party && strcmp(party, at + 1) == 0 : !party)) {
				hit = x;
				break;
			}
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: measure %s asserts no fact '%s'", s->measure, want);
		if (s->nconfirms == CUSTOS_CONFIRM_MAX)
			return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
		wf_assertion_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, hit);
		c += n + (end ? 1 : 0);
	}
	return 0;
}

/* The statement for `action` on measure id by principal p: its current round and decision, now. */
static int statement_build(custos_store *st, const char *id, custos_action action, const char *role,
			   const char *reason, const char *until, const char *confirm, const custos_principal *p,
			   custos_statement *s)
{
	json_t *life = NULL;
	int rc;
	memset(s, 0, sizeof(*s));
	if ((rc = life_load(st, id, &life)))
		return rc;
	if (!role) {
		if (action == CUSTOS_ACT_REVOKE)
			role = "comite_r";
		else if (custos_principal_has_role(p, "requester"))
			role = "requester";
		else
			role = "service_head";
	}
	s->action = action;
	snprintf(s->measure, sizeof(s->measure), "%s", id);
	s->round = (unsigned)json_integer_value(json_object_get(life, "round"));
	snprintf(s->decision, sizeof(s->decision), "%s", wf_jstr(life, "decision"));
	snprintf(s->role, sizeof(s->role), "%s", role);
	snprintf(s->principal, sizeof(s->principal), "%s", p->id);
	if (until)
		snprintf(s->until, sizeof(s->until), "%s", until);
	if (action == CUSTOS_ACT_APPROVE && (rc = statement_confirms(s, life, confirm))) {
		json_decref(life);
		return rc;
	}
	json_decref(life);
	if (reason && strlen(reason) > CUSTOS_REASON_MAX)
		return custos_error_set(CUSTOS_EINVALID, "reason: longer than %d bytes", CUSTOS_REASON_MAX);
	if (reason)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
	return custos_time_now(s->time);
}

int custos_measure_statement(custos_store *st, const char *id, custos_action action, const char *role,
			     const char *reason, const char *until, const custos_signer *key, char **note)
{
	custos_statement s;
	custos_principal p;
	char *vkey = NULL;
	int rc;
	memset(&p, 0, sizeof(p));
	*note = NULL;
	if (!(rc = custos_signer_vkey(key, &vkey)) && !(rc = custos_principal_by_key(st, vkey, &p)) &&
	    !(rc = statement_build(st, id, action, role, reason, until, NULL, &p, &s)))
		rc = custos_statement_sign(note, &s, key);
	free(vkey);
	custos_principal_dispose(&p);
	return rc;
}

int custos_measure_approve(custos_store *st, const char *id, const char *role, const char *confirm, int print_only,
			   const custos_signer *key, const char *actor, char **result)
{
	custos_statement s;
	custos_principal p;
	char *vkey = NULL, *note = NULL;
	int rc;
	memset(&p, 0, sizeof(p));
	*result = NULL;
	if (!(rc = custos_signer_vkey(key, &vkey)) && !(rc = custos_principal_by_key(st, vkey, &p)) &&
	    !(rc = statement_build(st, id, CUSTOS_ACT_APPROVE, role, NULL, NULL, confirm, &p, &s)))
		rc = custos_statement_sign(&note, &s, key);
	free(vkey);
	custos_principal_dispose(&p);
	if (rc || print_only) {
		*result = note;
		return rc;
	}
	rc = custos_statement_submit(st, note, strlen(note), actor, result);
	free(note);
	return rc;
}

int custos_measure_statement_text(custos_store *st, const char *id, custos_action action, const char *role,
				  const char *reason, const char *until, const char *principal, char **text)
{
	custos_statement s;
	custos_principal p;
	int rc;
	*text = NULL;
	if ((rc = custos_principal_get(st, principal, &p)))
		return rc;
	if (!(rc = statement_build(st, id, action, role, reason, until, NULL, &p, &s)))
		rc = custos_statement_format(text, &s);
	custos_principal_dispose(&p);
	return rc;
}

int custos_measure_state(custos_store *st, const char *id, custos_date today, char state[16])
{
	json_t *life = NULL;
	int rc = life_load(st, id, &life);
	if (!rc)
		snprintf(state, 16, "%s", effective_state(life, today));
	json_decref(life);
	return rc;
}

int custos_measure_life(custos_store *st, const char *id, custos_date today, char **json)
{
	json_t *life = NULL;
	int rc = life_load(st, id, &life);
	*json = NULL;
	if (rc)
		return rc;
	json_object_set_new(life, "state", json_string(effective_state(life, today)));
	*json = jdump(life);
	json_decref(life);
	return *json ? 0 : oom();
}

/* Whether the life waits for `role`: an open round's approval, an acknowledgement, or (comite_r) a suspension. */
static int life_waits_for(const json_t *life, const char *role)
{
	static const char *const closed[] = {"forbidden", "refused", "revoked", "ended", NULL};
	json_t *a;
	size_t i;
	int waits = 0, open;
	if (is_state(wf_jstr(life, "state"), closed))
		return 0;
	open = json_is_true(json_object_get(life, "round_open"));
	json_array_foreach(json_object_get(life, "approvals"), i, a)
	{
		if (strcmp(wf_jstr(a, "role"), role) != 0 || strcmp(wf_jstr(a, "state"), "pending") != 0)
			continue;
		if (strcmp(wf_jstr(a, "kind"), "notify") == 0 || open)
			waits = 1;
	}
	if (strcmp(role, "comite_r") == 0 && strcmp(wf_jstr(life, "state"), "suspended") == 0)
		waits = 1;
	return waits;
}

int custos_measure_waits_for(custos_store *st, const char *id, const char *role)
{
	json_t *life = NULL;
	int waits;
	if (life_load(st, id, &life))
		return 0;
	waits = life_waits_for(life, role);
	json_decref(life);
	return waits;
}

int custos_measure_concerns(custos_store *st, const char *id, const custos_principal *p)
{
	json_t *life = NULL;
	int yes;
	if (life_load(st, id, &life))
		return 0;
	yes = json_object_get(json_object_get(life, "signers"), p->id) != NULL;
	for (size_t i = 0; !yes && i < p->nroles; i++)
		yes = life_waits_for(life, p->roles[i]);
	json_decref(life);
	return yes;
}

/* ---- re-screening after a registry change ---------------------------------------------------------- */

/* 1 if every string of `need` is in `have`. */
static int subset(const json_t *need, const json_t *have)
{
	json_t *x, *y;
	size_t i, j;
	json_array_foreach(need, i, x)
	{
		int found = 0;
		json_array_foreach(have, j, y) found |= json_equal(x, y);
		if (!found)
			return 0;
	}
	return 1;
}

/* The roles with state "approved" in the life's current round, and the approve roles of a decision. */
static json_t *roles_where(const json_t *approvals, const char *field, const char *value)
{
	json_t *out = json_array(), *a;
	size_t i;
	json_array_foreach(approvals, i, a) if (strcmp(wf_jstr(a, field), value) == 0)
		json_array_append_new(out, json_string(wf_jstr(a, "role")));
	return out;
}

typedef struct {
	custos_store *st;
	const custos_registry *reg;
	const char *actor, *now;
	custos_date today;
	custos_buf *report;
	json_t *ids; /* measures to screen again, collected first: the callback must not write */
} rescreen_ctx;

static int collect_live(void *vctx, const char *id, const char *body)
{
	rescreen_ctx *c = vctx;
	json_t *life = json_loads(body, 0, NULL);
	const char *state = wf_jstr(life, "state");
	if (!life)
		return custos_error_set(CUSTOS_ERROR, "measure %s: stored life record does not parse", id);
	if ((strcmp(state, "authorised") == 0 || strcmp(state, "extended") == 0) &&
	    strcmp(effective_state(life, c->today), "expired") != 0)
		json_array_append_new(c->ids, json_string(id));
	json_decref(life);
	return 0;
}

/* True when every asserted fact of `want` (a decision's) is among the confirmed ones of `have` (a life's). */
static int assertions_confirmed(const json_t *want, const json_t *have)
{
	const json_t *x, *y;
	size_t i, j;
	json_array_foreach(want, i, x)
	{
		char l1[CUSTOS_CONFIRM_LINE], l2[CUSTOS_CONFIRM_LINE];
		int found = 0;
		wf_assertion_line(l1, sizeof(l1), x);
		json_array_foreach(have, j, y)
		{
			wf_assertion_line(l2, sizeof(l2), y);
			found |= strcmp(l1, l2) == 0 && strcmp(wf_jstr(x, "confirm_by"), wf_jstr(y, "confirm_by")) == 0 &&
				 strcmp(wf_jstr(y, "state"), "confirmed") == 0;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Screens one authorised measure again; suspends it when the new registry changes what it touches. */
static int rescreen_one(rescreen_ctx *c, const char *id)
{
	json_t *life = NULL, *d = NULL, *approved = NULL, *needed = NULL, *parties = NULL, *w;
	custos_date from, to;
	char *decision = NULL, wfrom[11];
	const char *why = NULL;
	int64_t dindex, sindex;
	int rc;
	if ((rc = life_load(c->st, id, &life)))
		return rc;
	w = json_object_get(life, "window");
	if (custos_date_parse(&from, wf_jstr(w, "from")) || custos_date_parse(&to, wf_jstr(w, "to"))) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: authorised without a window", id);
		goto out;
	}
	if (from < c->today)
		from = c->today;
	if ((rc = decide_again(c->st, id, c->reg, from, to, &decision)))
		goto out;
	d = json_loads(decision, 0, NULL);
	approved = roles_where(json_object_get(life, "approvals"), "state", "approved");
	needed = roles_where(json_object_get(d, "approvals"), "kind", "approve");
	parties = finding_parties(d);
	if (strcmp(wf_jstr(d, "outcome"), "forbidden") == 0)
		why = "now forbidden";
	else if (!subset(needed, approved))
		why = "needs a role that did not approve it";
	else if (!subset(parties, json_object_get(life, "subjects")))
		why = "touches a protected party it did not touch";
	else if (!assertions_confirmed(json_object_get(d, "assertions"), json_object_get(life, "assertions")))
		why = "rests on an asserted fact nobody confirmed";
	if (!why)
		goto out;
	/* suspend: the authorisation is withdrawn at once, and a new round asks the roles concerned */
	custos_date_format(wfrom, from);
	if ((rc = event_json(c->st, "measure.suspended", c->actor, id,
			     json_pack("{s:s, s:s}", "measure", id, "reason", why), &sindex)) ||
	    (rc = withdraw_authorizations(c->st, life, "suspended", c->now)) ||
	    (rc = custos_store_event_append(c->st, "measure.rescreened", c->actor, id, decision, &dindex)) ||
	    (rc = round_open(life, "rescreen", decision, wfrom, wf_jstr(w, "to"))))
		goto out;
	json_object_set_new(life, "decision_index", json_integer(dindex));
	json_object_set_new(life, "state", json_string("suspended"));
	if (strcmp(wf_jstr(life, "outcome"), "needs_approval") != 0)
		json_object_set_new(life, "round_open", json_false());
	if ((rc = history_add(life, c->now, "suspended", sindex, why)) || (rc = life_save(c->st, life)))
		goto out;
	{
		json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:O}", "measure", id, "state", "suspended", "reason", why,
					 "outcome", wf_jstr(d, "outcome"), "approvals", needed);
		char *text = line ? jdump(line) : NULL;
		json_decref(line);
		rc = text ? custos_buf_printf(c->report, "%s\n", text) : oom();
		free(text);
	}
out:
	json_decref(parties);
	json_decref(needed);
	json_decref(approved);
	json_decref(d);
	json_decref(life);
	free(decision);
	return rc;
}

int custos_registry_import_rescreen(custos_store *st, const char *text, size_t len, const char *source,
				    const char *actor, size_t *count, char **report)
{
	custos_registry *reg = NULL;
	custos_buf b;
	char now[21];
	rescreen_ctx c = {st, NULL, actor, now, custos_date_today(), &b, json_array()};
	json_t *id;
	size_t i;
	int rc, outer = custos_store_in_transaction(st); /* a caller's transaction (a preview): it ends it */
	custos_buf_init(&b, 64u << 20);
	if (report)
		*report = NULL;
	if (!c.ids)
		return oom();
	if ((rc = custos_time_now(now)) || (!outer && (rc = custos_store_begin(st)))) {
		json_decref(c.ids);
		return rc;
	}
	if ((rc = custos_registry_import(st, text, len, source, actor, count)) || (rc = custos_registry_load(st, &reg)))
		goto out;
	c.reg = reg;
	if ((rc = custos_store_record_each(st, WF_LIFE, NULL, collect_live, &c)))
		goto out;
	json_array_foreach(c.ids, i, id) if ((rc = rescreen_one(&c, json_string_value(id)))) goto out;
	if (!outer && (rc = custos_store_commit(st)))
		goto out_nortx;
	if (report && !(*report = b.ptr ? custos_buf_detach(&b) : custos_strdup("")))
		rc = oom();
	goto out_nortx;
out:
	if (!outer)
		custos_store_abort(st, rc);
out_nortx:
	custos_buf_dispose(&b);
	custos_registry_free(reg);
	json_decref(c.ids);
	return rc;
}
