/* life.c — the life of a measure as a fold of its events: the one pure transition, and the records it moves. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/note.h"
#include "util/util.h"
#include "workflow/life.h"
#include "workflow/workflow_int.h"

/*
 * wf_life_step is the life's whole logic: nothing in it reads the clock, the
 * store or anything but the event (its type, time, index and payload), so
 * that `store rebuild` writes byte for byte what the live commands wrote.
 * The commands (lifecycle.c) check a statement before its event is appended;
 * the transition only applies what was appended, and refuses (as a replay
 * must) an event the commands would have refused.
 */

char *wf_jdump(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

int wf_oom(void)
{
	return custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

static int refuse(const custos_store_event *e, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
static int refuse(const custos_store_event *e, const char *fmt, ...)
{
	char what[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return custos_error_set(CUSTOS_EINVALID, "event %lld: %s on %s: %s", (long long)e->index, e->type,
				e->ref ? e->ref : "-", what);
}

/* *dst = a copy of src (NULL stays NULL); the old value freed. */
static int set_str(char **dst, const char *src)
{
	char *c = src ? custos_strdup(src) : NULL;
	if (src && !c)
		return wf_oom();
	free(*dst);
	*dst = c;
	return 0;
}

static int history_add(wf_life *l, const custos_store_event *e, const char *what, const char *detail)
{
	wf_history *h = realloc(l->history, (l->nhistory + 1) * sizeof(*h));
	if (!h)
		return wf_oom();
	l->history = h;
	h = &h[l->nhistory];
	memset(h, 0, sizeof(*h));
	h->index = e->index;
	if (set_str(&h->time, e->time) || set_str(&h->what, what) || set_str(&h->detail, detail)) {
		free(h->time);
		free(h->what);
		free(h->detail);
		return wf_oom();
	}
	l->nhistory++;
	return 0;
}

static int add_string(char ***arr, size_t *n, const char *s)
{
	char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!grown)
		return wf_oom();
	*arr = grown;
	if (!(grown[*n] = custos_strdup(s)))
		return wf_oom();
	(*n)++;
	return 0;
}

/* The principal's role among the signers, added or replaced. */
static int add_signer(wf_life *l, const char *principal, const char *role)
{
	wf_signer *s;
	for (size_t i = 0; i < l->nsigners; i++)
		if (strcmp(l->signers[i].principal, principal) == 0)
			return set_str(&l->signers[i].role, role);
	if (!(s = realloc(l->signers, (l->nsigners + 1) * sizeof(*s))))
		return wf_oom();
	l->signers = s;
	s = &s[l->nsigners];
	s->principal = custos_strdup(principal);
	s->role = custos_strdup(role);
	if (!s->principal || !s->role) {
		free(s->principal);
		free(s->role);
		return wf_oom();
	}
	l->nsigners++;
	return 0;
}

/* Starts round `kind` for a decision (its JSON text as logged) over from..to. */
static int round_open(wf_life *l, const custos_store_event *e, wf_round_kind kind, custos_date from, custos_date to)
{
	json_t *d = json_loads(e->payload, 0, NULL), *f;
	uint8_t digest[32];
	char hash[72];
	size_t i;
	int rc;
	if (!json_is_object(d)) {
		json_decref(d);
		return refuse(e, "its decision does not parse");
	}
	wf_life_free_round(l);
	if (custos_outcome_from_name(&l->outcome, wf_jstr(d, "outcome"))) {
		json_decref(d);
		return refuse(e, "its decision has no outcome");
	}
	custos_sha256(digest, e->payload, strlen(e->payload));
	custos_sha256_label(hash, digest);
	if ((rc = set_str(&l->decision, hash)) || (rc = wf_life_decode_approvals(l, json_object_get(d, "approvals"))) ||
	    (rc = wf_life_decode_assertions(l, json_object_get(d, "assertions")))) {
		json_decref(d);
		return rc == CUSTOS_ENOMEM ? rc : refuse(e, "%s", custos_error_last());
	}
	/* the party ids the findings turned on, once each */
	json_array_foreach(json_object_get(d, "findings"), i, f)
	{
		const char *p = json_string_value(json_object_get(f, "party"));
		size_t j;
		if (!p)
			continue;
		for (j = 0; j < l->nsubjects && strcmp(l->subjects[j], p) != 0; j++)
			;
		if (j == l->nsubjects && (rc = add_string(&l->subjects, &l->nsubjects, p))) {
			json_decref(d);
			return rc;
		}
	}
	json_decref(d);
	l->round++;
	l->round_kind = kind;
	l->round_open = l->outcome == CUSTOS_OUTCOME_NEEDS_APPROVAL;
	l->from = from;
	l->to = to;
	l->decision_index = e->index;
	return 0;
}

/* Every approval given and every asserted fact confirmed: the round closes, the measure is authorised. */
static int all_approved(const wf_life *l)
{
	for (size_t i = 0; i < l->napprovals; i++)
		if (!l->approvals[i].notify && l->approvals[i].state != WF_ASK_APPROVED)
			return 0;
	for (size_t i = 0; i < l->nassertions; i++)
		if (l->assertions[i].state != WF_FACT_CONFIRMED)
			return 0;
	return 1;
}

static void round_complete(wf_life *l, wf_effects *fx)
{
	l->round_open = 0;
	if (l->round_kind == WF_ROUND_EXTENSION)
		l->extensions++;
	l->state = l->extensions > 0 ? WF_LIFE_EXTENDED : WF_LIFE_AUTHORISED;
	fx->complete = 1;
}

static int on_filed(wf_life *l, const custos_store_event *e, const wf_step_in *in)
{
	json_t *m = json_loads(e->payload, 0, NULL), *period = json_object_get(m, "period");
	int rc;
	if (!json_is_object(m) || custos_date_parse(&l->from, wf_jstr(period, "from")) ||
	    custos_date_parse(&l->to, wf_jstr(period, "to"))) {
		json_decref(m);
		return refuse(e, "the measure does not parse");
	}
	rc = set_str(&l->measure, e->ref);
	if (!rc)
		rc = set_str(&l->requested_by, wf_jstr(m, "requested_by"));
	/* filed by a principal: its id is the event's actor, and it may sign nothing for the measure */
	if (!rc)
		rc = set_str(&l->filed_by, in->actor_is_principal ? e->actor : NULL);
	json_decref(m);
	l->state = WF_LIFE_PENDING;
	l->decision_index = -1;
	return rc;
}

static int on_decided(wf_life *l, const custos_store_event *e, wf_effects *fx)
{
	int rc;
	if (strcmp(e->type, "measure.decided") == 0) {
		if (l->round != 0)
			return refuse(e, "the measure was decided before");
		if ((rc = round_open(l, e, WF_ROUND_FILING, l->from, l->to)) ||
		    (rc = history_add(l, e, "filed", custos_outcome_name(l->outcome))))
			return rc;
		if (l->outcome == CUSTOS_OUTCOME_FORBIDDEN)
			l->state = WF_LIFE_FORBIDDEN;
		else if (l->outcome == CUSTOS_OUTCOME_PERMITTED)
			round_complete(l, fx);
		return 0;
	}
	if (!l->has_window)
		return refuse(e, "the measure has no authorised window");
	if (strcmp(e->type, "measure.extension_decided") == 0) {
		custos_date until = l->extension_until;
		if (!until)
			return refuse(e, "no extension was asked for");
		l->extension_until = 0;
		if ((rc = round_open(l, e, WF_ROUND_EXTENSION, l->window_to + 1, until)) ||
		    (rc = history_add(l, e, "extension", custos_outcome_name(l->outcome))))
			return rc;
		if (l->outcome == CUSTOS_OUTCOME_FORBIDDEN)
			l->round_open = 0; /* the extension is forbidden; the window stays */
		else if (l->outcome == CUSTOS_OUTCOME_PERMITTED)
			round_complete(l, fx);
		return 0;
	}
	/* measure.rescreened: decided again from the day of the event on, the measure suspended meanwhile */
	{
		int64_t secs;
		custos_date day;
		if (custos_time_parse(&secs, e->time))
			return refuse(e, "its time does not parse");
		day = (custos_date)(secs / 86400);
		if ((rc = round_open(l, e, WF_ROUND_RESCREEN, l->window_from > day ? l->window_from : day, l->window_to)))
			return rc;
		l->state = WF_LIFE_SUSPENDED;
		if (l->outcome != CUSTOS_OUTCOME_NEEDS_APPROVAL)
			l->round_open = 0;
		return 0;
	}
}

/* Approve, refuse or acknowledge under a role of the current round. */
static int on_answer(wf_life *l, const custos_store_event *e, const custos_statement *s, const char *sid,
		     wf_effects *fx)
{
	wf_approval *a = NULL;
	int rc;
	for (size_t i = 0; i < l->napprovals && !a; i++)
		if (strcmp(l->approvals[i].role, s->role) == 0)
			a = &l->approvals[i];
	if (!a || a->state != WF_ASK_PENDING)
		return refuse(e, "role %s has no pending approval", s->role);
	if (s->round != l->round)
		return refuse(e, "the statement signs round %u, not %u", s->round, l->round);
	if (s->action == CUSTOS_ACT_APPROVE && wf_fact_unlisted(l, s))
		return refuse(e, "%s approved without confirming every asserted fact its role confirms", s->role);
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE)
		for (size_t i = 0; i < l->nassertions; i++) {
			wf_assertion *x = &l->assertions[i];
			if (strcmp(x->confirm_by, s->role) != 0)
				continue;
			x->state = s->action == CUSTOS_ACT_APPROVE ? WF_FACT_CONFIRMED : WF_FACT_REFUSED;
			if ((rc = set_str(&x->principal, s->principal)) || (rc = set_str(&x->statement, sid)))
				return rc;
		}
	a->state = s->action == CUSTOS_ACT_APPROVE  ? WF_ASK_APPROVED
		   : s->action == CUSTOS_ACT_REFUSE ? WF_ASK_REFUSED
						    : WF_ASK_ACKNOWLEDGED;
	if ((rc = set_str(&a->principal, s->principal)) || (rc = set_str(&a->time, s->time)) ||
	    (rc = set_str(&a->statement, sid)) || (rc = set_str(&a->reason, s->reason[0] ? s->reason : NULL)) ||
	    (rc = add_signer(l, s->principal, s->role)) ||
	    (rc = history_add(l, e, custos_action_name(s->action), s->role)))
		return rc;
	if (s->action == CUSTOS_ACT_REFUSE) {
		l->round_open = 0;
		if (l->round_kind != WF_ROUND_EXTENSION)
			l->state = WF_LIFE_REFUSED;
		/* a refused extension: the measure goes on in its window */
	} else if (s->action == CUSTOS_ACT_APPROVE && all_approved(l)) {
		round_complete(l, fx);
	}
	return 0;
}

static int on_statement(wf_life *l, const custos_store_event *e, const char *sid, wf_effects *fx)
{
	json_t *payload = json_loads(e->payload, 0, NULL);
	const char *note = json_string_value(json_object_get(payload, "statement"));
	custos_note n;
	custos_statement s;
	int rc;
	if (!note || custos_note_parse(&n, note, strlen(note))) {
		json_decref(payload);
		return refuse(e, "no signed statement in its payload");
	}
	rc = custos_statement_parse(&s, n.text, n.text_len);
	custos_note_dispose(&n);
	json_decref(payload);
	if (rc)
		return refuse(e, "%s", custos_error_last());
	if (strcmp(s.measure, e->ref) != 0)
		return refuse(e, "the statement is on %s", s.measure);
	switch (s.action) {
	case CUSTOS_ACT_APPROVE:
	case CUSTOS_ACT_REFUSE:
	case CUSTOS_ACT_ACKNOWLEDGE:
		return on_answer(l, e, &s, sid, fx);
	case CUSTOS_ACT_REVOKE:
	case CUSTOS_ACT_END:
		l->state = s.action == CUSTOS_ACT_REVOKE ? WF_LIFE_REVOKED : WF_LIFE_ENDED;
		l->round_open = 0;
		fx->withdraw = wf_life_state_name(l->state);
		return history_add(l, e, wf_life_state_name(l->state), s.reason[0] ? s.reason : NULL);
	case CUSTOS_ACT_EXTEND:
		return custos_date_parse(&l->extension_until, s.until) ? refuse(e, "until: not a date") : 0;
	default:
		return refuse(e, "an unknown action");
	}
}

static int on_token(wf_life *l, const custos_store_event *e)
{
	json_t *payload = json_loads(e->payload, 0, NULL);
	const char *note = json_string_value(json_object_get(payload, "token"));
	custos_authorization t;
	custos_note n;
	int rc;
	memset(&t, 0, sizeof(t));
	if (!note || custos_note_parse(&n, note, strlen(note))) {
		json_decref(payload);
		return refuse(e, "no token in its payload");
	}
	rc = custos_authorization_parse(&t, n.text, n.text_len);
	custos_note_dispose(&n);
	json_decref(payload);
	if (rc)
		return refuse(e, "%s", custos_error_last());
	if (!(rc = add_string(&l->authorizations, &l->nauthorizations, t.id))) {
		/* the window runs from the first token's start to the last one's end */
		l->window_from = l->has_window && l->window_from < t.from ? l->window_from : t.from;
		l->window_to = t.to;
		l->has_window = 1;
		rc = history_add(l, e, "authorised", t.id);
	}
	custos_authorization_dispose(&t);
	return rc;
}

int wf_life_step(wf_life *l, const custos_store_event *e, const wf_step_in *in, wf_effects *fx)
{
	memset(fx, 0, sizeof(*fx));
	if (strcmp(e->type, "measure.filed") == 0)
		return on_filed(l, e, in);
	if (strcmp(e->type, "measure.decided") == 0 || strcmp(e->type, "measure.extension_decided") == 0 ||
	    strcmp(e->type, "measure.rescreened") == 0)
		return on_decided(l, e, fx);
	if (strcmp(e->type, "measure.suspended") == 0) {
		json_t *payload = json_loads(e->payload, 0, NULL);
		int rc = history_add(l, e, "suspended", json_string_value(json_object_get(payload, "reason")));
		json_decref(payload);
		fx->withdraw = "suspended"; /* the new round is the measure.rescreened that follows */
		return rc;
	}
	if (strcmp(e->type, "authorization.issued") == 0)
		return on_token(l, e);
	return on_statement(l, e, in->statement_id, fx);
}

/* ---- the records a life moves -------------------------------------------------------------------------- */

int wf_life_load(custos_store *st, const char *id, wf_life *out)
{
	char *body = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!wf_measure_id_valid(id))
		return custos_error_set(CUSTOS_ENOTFOUND, "no measure '%s'", id);
	if ((rc = custos_store_record_get(st, WF_LIFE, id, &body))) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_error_set(rc, "no measure '%s'", id);
		return rc;
	}
	rc = wf_life_decode(out, body);
	free(body);
	return rc ? custos_error_prefix(rc == CUSTOS_ENOMEM ? rc : CUSTOS_ERROR, "measure %s: stored life", id) : 0;
}

/* What a life was before a step: so that saving it writes only what the step changed. */
typedef struct life_before {
	int had; /* a life existed */
	wf_life_state state;
	unsigned round;
	size_t nsigners;
} life_before;

/*
 * Who may be shown the measure now (custos_store_access_add): its authority,
 * the roles asked, its signers. Keys only accumulate, so only those the step
 * may have added are written: all of them for a new life, the roles of a new
 * round, the signers after those it had.
 */
static int life_index(custos_store *st, const wf_life *l, const life_before *was)
{
	char who[320];
	int rc;
	if (!was->had) {
		snprintf(who, sizeof(who), "authority:%.300s", l->requested_by);
		if ((rc = custos_store_access_add(st, l->measure, who)))
			return rc;
	}
	for (size_t i = 0; (!was->had || l->round != was->round) && i < l->napprovals; i++) {
		snprintf(who, sizeof(who), "role:%.300s", l->approvals[i].role);
		if ((rc = custos_store_access_add(st, l->measure, who)))
			return rc;
	}
	for (size_t i = was->had ? was->nsigners : 0; i < l->nsigners; i++) {
		snprintf(who, sizeof(who), "principal:%.300s", l->signers[i].principal);
		if ((rc = custos_store_access_add(st, l->measure, who)))
			return rc;
	}
	return 0;
}

/* Writes the life (the storage edge), the measure row's state that mirrors it, and who may read it. */
static int life_save(custos_store *st, const wf_life *l, const life_before *was)
{
	char *body = NULL;
	int rc;
	if (!(rc = wf_life_encode(&body, l, NULL)) && !(rc = custos_store_record_put(st, WF_LIFE, l->measure, body)) &&
	    (!was->had || was->state != l->state))
		rc = custos_store_measure_set_state(st, l->measure, wf_life_state_name(l->state));
	if (!rc)
		rc = life_index(st, l, was);
	free(body);
	return rc;
}

/* Sets the state of every authorisation of the measure that is "valid" to `state`, at the event's time. */
static int withdraw_authorizations(custos_store *st, const wf_life *l, const char *state, const char *time)
{
	for (size_t i = 0; i < l->nauthorizations; i++) {
		char *body = NULL, *out = NULL;
		json_t *rec;
		int rc = custos_store_record_get(st, WF_AUTHORIZATION, l->authorizations[i], &body);
		if (rc)
			return rc;
		rec = json_loads(body, 0, NULL);
		free(body);
		if (!rec)
			return custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse",
						l->authorizations[i]);
		if (strcmp(wf_jstr(rec, "state"), "valid") == 0) {
			json_object_set_new(rec, "state", json_string(state));
			json_object_set_new(rec, "changed_at", json_string(time));
			out = wf_jdump(rec);
			rc = out ? custos_store_record_put(st, WF_AUTHORIZATION, l->authorizations[i], out) : wf_oom();
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

/* How many records of `kind` the measure has under "<id><sep>" (its statements, its tokens). */
static int count_of(custos_store *st, const char *kind, const char *id, char sep, unsigned *n)
{
	char prefix[24];
	*n = 0;
	snprintf(prefix, sizeof(prefix), "%s%c", id, sep);
	return custos_store_record_each(st, kind, prefix, count_row, n);
}

/* A record as JSON, put under (kind, id). */
static int record_put_json(custos_store *st, const char *kind, const char *id, json_t *rec)
{
	char *body = rec ? wf_jdump(rec) : NULL;
	int rc = body ? custos_store_record_put(st, kind, id, body) : wf_oom();
	json_decref(rec);
	free(body);
	return rc;
}

/* The token of an authorization.issued event, kept as its record. */
static int token_keep(custos_store *st, const custos_store_event *e, const char *state)
{
	json_t *payload = e->payload[0] ? json_loads(e->payload, 0, NULL) : NULL;
	const char *note = json_string_value(json_object_get(payload, "token"));
	custos_authorization t;
	custos_note n;
	char id[40] = "", from[11] = "", to[11] = "";
	int rc = 0, erased = strcmp(state, "erased") == 0;
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
	if (!id[0]) { /* the token's own payload erased: its id is the next of the measure's */
		unsigned count;
		if ((rc = count_of(st, WF_AUTHORIZATION, e->ref, '.', &count))) {
			json_decref(payload);
			return rc;
		}
		snprintf(id, sizeof(id), "%s.%u", e->ref, count + 1);
	}
	rc = record_put_json(st, WF_AUTHORIZATION, id,
			     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s?}", "id", id, "measure", e->ref, "state",
				       state, "from", from, "to", to, "token", erased ? "" : note, "index",
				       (json_int_t)e->index, "changed_at", erased ? e->time : NULL));
	json_decref(payload);
	return rc;
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
	wf_life l;
	char prefix[24];
	int rc = custos_store_measure_get(st, &m, e->ref);
	if (rc == CUSTOS_ENOTFOUND)
		return custos_store_measure_put(st, e->ref, "", "", "erased", e->time);
	if (rc)
		return rc;
	custos_store_measure_dispose(&m);
	if ((rc = wf_life_load(st, e->ref, &l)) && rc != CUSTOS_ENOTFOUND)
		return rc;
	rc = 0;
	for (size_t i = 0; !rc && i < l.nauthorizations; i++) {
		char *body = NULL;
		json_t *rec;
		if ((rc = custos_store_record_get(st, WF_AUTHORIZATION, l.authorizations[i], &body)))
			break;
		rec = json_loads(body, 0, NULL);
		free(body);
		if (!rec) {
			rc = custos_error_set(CUSTOS_ERROR, "authorisation %s: stored record does not parse",
					      l.authorizations[i]);
			break;
		}
		if (strcmp(wf_jstr(rec, "state"), "valid") == 0) {
			json_object_set_new(rec, "state", json_string("erased"));
			json_object_set_new(rec, "changed_at", json_string(e->time));
		}
		json_object_set_new(rec, "token", json_string(""));
		rc = record_put_json(st, WF_AUTHORIZATION, l.authorizations[i], rec);
	}
	wf_life_dispose(&l);
	snprintf(prefix, sizeof(prefix), "%s/", e->ref);
	if (!rc && !(rc = custos_store_access_clear(st, e->ref)) &&
	    !(rc = custos_store_record_delete(st, WF_LIFE, e->ref, 0)))
		rc = custos_store_record_delete(st, WF_STATEMENT, prefix, 1);
	return rc ? rc : custos_store_measure_put(st, e->ref, "", "", "erased", e->time);
}

/* The row of a measure filed, and (measure.decided) its decision as answered. */
static int measure_row(custos_store *st, const custos_store_event *e)
{
	custos_store_measure m;
	char *printed = NULL;
	int rc;
	if (strcmp(e->type, "measure.filed") == 0)
		return custos_store_measure_put(st, e->ref, e->payload, "", "pending", e->time);
	if ((rc = custos_store_measure_get(st, &m, e->ref)))
		return rc;
	/* the decision as answered: its measure's id first, its place in the log last */
	if (!(rc = wf_decision_placed(&printed, e->payload, e->ref, e->index)))
		rc = custos_store_measure_put(st, e->ref, m.measure, printed, m.state, m.filed_at);
	free(printed);
	custos_store_measure_dispose(&m);
	return rc;
}

int wf_life_apply(wf_apply *a, const custos_store_event *e)
{
	custos_store_measure m;
	wf_life l;
	wf_effects fx;
	wf_step_in in = {0, NULL};
	life_before was;
	char sid[40] = "";
	int rc, filed = strcmp(e->type, "measure.filed") == 0, exists;
	if (!e->ref || !wf_measure_id_valid(e->ref))
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: no measure '%s'", (long long)e->index, e->type,
					e->ref ? e->ref : "");
	/* a measure with a life exists and is not erased; without one, its row (if any) says which */
	memset(&l, 0, sizeof(l));
	if (a->last && !filed && a->last->measure && strcmp(a->last->measure, e->ref) == 0) {
		l = *a->last; /* the replay's last life: what its record holds, already decoded */
		memset(a->last, 0, sizeof(*a->last));
		rc = 0;
	} else {
		rc = filed ? CUSTOS_ENOTFOUND : wf_life_load(a->st, e->ref, &l);
	}
	if (rc && rc != CUSTOS_ENOTFOUND)
		return rc;
	if ((exists = rc == 0) == 0) {
		rc = custos_store_measure_get(a->st, &m, e->ref);
		if (rc && rc != CUSTOS_ENOTFOUND)
			return rc;
		if ((exists = rc == 0)) {
			int erased = strcmp(m.state, "erased") == 0;
			custos_store_measure_dispose(&m);
			if (erased) /* its data erased: nothing more is kept of it but its tokens' ids */
				return strcmp(e->type, "authorization.issued") == 0 ? token_keep(a->st, e, "erased") : 0;
		}
	}
	if (!e->payload[0]) {
		wf_life_dispose(&l);
		if (a->last)
			wf_life_dispose(a->last);
		if ((rc = measure_erase(a->st, e)))
			return rc;
		return strcmp(e->type, "authorization.issued") == 0 ? token_keep(a->st, e, "erased") : 0;
	}
	if (filed == exists) {
		wf_life_dispose(&l);
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: measure %s %s", (long long)e->index, e->type,
					e->ref, filed ? "was filed before" : "was never filed");
	}
	/* the two facts the log holds elsewhere: a filing principal, and the number of a statement */
	if (filed) {
		custos_principal p;
		rc = e->actor ? custos_principal_get(a->st, e->actor, &p) : CUSTOS_ENOTFOUND;
		if (rc && rc != CUSTOS_ENOTFOUND)
			return rc;
		if ((in.actor_is_principal = rc == 0))
			custos_principal_dispose(&p);
	}
	if (strncmp(e->type, "measure.", 8) == 0 && strcmp(e->type, "measure.filed") && strcmp(e->type, "measure.decided") &&
	    strcmp(e->type, "measure.extension_decided") && strcmp(e->type, "measure.rescreened") &&
	    strcmp(e->type, "measure.suspended")) {
		unsigned n;
		if ((rc = count_of(a->st, WF_STATEMENT, e->ref, '/', &n))) {
			wf_life_dispose(&l);
			return rc;
		}
		snprintf(sid, sizeof(sid), "%s/%04u", e->ref, n + 1);
		in.statement_id = sid;
	}
	was = (life_before){exists && !filed, l.state, l.round, l.nsigners};
	if (!(rc = wf_life_step(&l, e, &in, &fx))) {
		a->complete = fx.complete;
		if (filed || strcmp(e->type, "measure.decided") == 0)
			rc = measure_row(a->st, e);
		if (!rc && sid[0]) {
			json_t *payload = json_loads(e->payload, 0, NULL);
			rc = record_put_json(a->st, WF_STATEMENT, sid,
					     json_pack("{s:s, s:O, s:I}", "id", sid, "statement",
						       json_object_get(payload, "statement"), "index", (json_int_t)e->index));
			json_decref(payload);
		}
		if (!rc && strcmp(e->type, "authorization.issued") == 0)
			rc = token_keep(a->st, e, "valid");
		if (!rc && fx.withdraw)
			rc = withdraw_authorizations(a->st, &l, fx.withdraw, e->time);
		if (!rc)
			rc = life_save(a->st, &l, &was);
	}
	/* a replay keeps it for the measure's next event */
	if (!rc && a->last) {
		wf_life_dispose(a->last);
		*a->last = l;
		return 0;
	}
	wf_life_dispose(&l);
	if (rc && a->last)
		wf_life_dispose(a->last);
	return rc;
}

void wf_apply_dispose(wf_apply *a)
{
	if (a->last) {
		wf_life_dispose(a->last);
		free(a->last);
		a->last = NULL;
	}
}
