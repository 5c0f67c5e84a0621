/* life_value.c — the life of a measure at the storage edge: its JSON decoded into the struct and encoded back. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "workflow/life.h"
#include "workflow/workflow_int.h"

static const char *const state_names[WF_LIFE__COUNT] = {"pending",  "forbidden", "refused", "authorised",
							"extended", "suspended", "revoked", "ended"};
static const char *const round_names[WF_ROUND__COUNT] = {"", "filing", "extension", "rescreen"};
static const char *const ask_names[WF_ASK__COUNT] = {"pending", "approved", "refused", "acknowledged"};
static const char *const fact_names[WF_FACT__COUNT] = {"pending", "confirmed", "refused"};

const char *wf_life_state_name(wf_life_state s)
{
	return (unsigned)s < WF_LIFE__COUNT ? state_names[s] : "?";
}

const char *wf_ask_state_name(wf_ask_state s)
{
	return (unsigned)s < WF_ASK__COUNT ? ask_names[s] : "?";
}

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void free_approval(wf_approval *a)
{
	free(a->role);
	free(a->principal);
	free(a->time);
	free(a->statement);
	free(a->reason);
}

void wf_life_free_assertions(wf_life *l)
{
	for (size_t i = 0; i < l->nassertions; i++) {
		wf_assertion *a = &l->assertions[i];
		free(a->flag);
		free(a->value);
		free(a->rule);
		free(a->confirm_by);
		free(a->party);
		free(a->principal);
		free(a->statement);
	}
	free(l->assertions);
	l->assertions = NULL;
	l->nassertions = 0;
}

void wf_life_free_round(wf_life *l)
{
	for (size_t i = 0; i < l->napprovals; i++)
		free_approval(&l->approvals[i]);
	free(l->approvals);
	l->approvals = NULL;
	l->napprovals = 0;
	for (size_t i = 0; i < l->nsubjects; i++)
		free(l->subjects[i]);
	free(l->subjects);
	l->subjects = NULL;
	l->nsubjects = 0;
	wf_life_free_assertions(l);
}

void wf_life_dispose(wf_life *l)
{
	if (!l)
		return;
	wf_life_free_round(l);
	free(l->measure);
	free(l->requested_by);
	free(l->filed_by);
	free(l->decision);
	for (size_t i = 0; i < l->nsigners; i++) {
		free(l->signers[i].principal);
		free(l->signers[i].role);
	}
	free(l->signers);
	for (size_t i = 0; i < l->nauthorizations; i++)
		free(l->authorizations[i]);
	free(l->authorizations);
	for (size_t i = 0; i < l->nhistory; i++) {
		free(l->history[i].time);
		free(l->history[i].what);
		free(l->history[i].detail);
	}
	free(l->history);
	memset(l, 0, sizeof(*l));
}

/* ---- decoding --------------------------------------------------------------------------------------- */

typedef struct {
	int bad;
} dec;

static char *dstr(dec *d, const json_t *o, const char *key, int optional)
{
	const json_t *v = json_object_get(o, key);
	char *s;
	if (!v || json_is_null(v)) {
		if (!optional)
			d->bad = 1;
		return NULL;
	}
	if (!json_is_string(v)) {
		d->bad = 1;
		return NULL;
	}
	if (!(s = custos_strdup(json_string_value(v))))
		d->bad = 2;
	return s;
}

static custos_date ddate(dec *d, const json_t *o, const char *key)
{
	custos_date x = 0;
	const char *s = json_string_value(json_object_get(o, key));
	if (!s || custos_date_parse(&x, s))
		d->bad = 1;
	return x;
}

static void *dalloc(dec *d, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		d->bad = 2;
	return p;
}

static char **dstrings(dec *d, const json_t *arr, size_t *n)
{
	char **out;
	const json_t *v;
	size_t i;
	*n = 0;
	if (!json_is_array(arr)) {
		d->bad = 1;
		return NULL;
	}
	if (!(out = dalloc(d, json_array_size(arr), sizeof(*out))))
		return NULL;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v)) {
			d->bad = 1;
			break;
		}
		if (!(out[i] = custos_strdup(json_string_value(v)))) {
			d->bad = 2;
			break;
		}
		(*n)++;
	}
	return out;
}

int wf_life_decode_approvals(wf_life *l, const json_t *arr)
{
	dec d = {0};
	const json_t *a;
	size_t i;
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "approvals: not an array");
	if (!(l->approvals = dalloc(&d, json_array_size(arr), sizeof(*l->approvals))))
		return wf_oom();
	json_array_foreach(arr, i, a)
	{
		wf_approval *x = &l->approvals[i];
		int st = name_index(ask_names, WF_ASK__COUNT, wf_jstr(a, "state"));
		l->napprovals++;
		x->role = dstr(&d, a, "role", 0);
		x->notify = strcmp(wf_jstr(a, "kind"), "notify") == 0;
		if (!x->notify && strcmp(wf_jstr(a, "kind"), "approve") != 0)
			d.bad = 1;
		x->state = st < 0 ? WF_ASK_PENDING : (wf_ask_state)st;
		if (st < 0)
			d.bad = 1;
		x->principal = dstr(&d, a, "principal", 1);
		x->time = dstr(&d, a, "time", 1);
		x->statement = dstr(&d, a, "statement", 1);
		x->reason = dstr(&d, a, "reason", 1);
	}
	return d.bad == 2 ? wf_oom() : d.bad ? custos_error_set(CUSTOS_EINVALID, "approvals: malformed") : 0;
}

int wf_life_decode_assertions(wf_life *l, const json_t *arr)
{
	dec d = {0};
	const json_t *a;
	size_t i;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return custos_error_set(CUSTOS_EINVALID, "assertions: not an array");
	if (!(l->assertions = dalloc(&d, json_array_size(arr), sizeof(*l->assertions))))
		return wf_oom();
	json_array_foreach(arr, i, a)
	{
		wf_assertion *x = &l->assertions[i];
		const json_t *v = json_object_get(a, "value");
		const char *st = json_string_value(json_object_get(a, "state"));
		int k = st ? name_index(fact_names, WF_FACT__COUNT, st) : WF_FACT_PENDING;
		l->nassertions++;
		x->flag = dstr(&d, a, "flag", 0);
		x->value_is_string = json_is_string(v);
		x->value = custos_strdup(json_is_string(v) ? json_string_value(v) : json_is_false(v) ? "false" : "true");
		if (!x->value)
			d.bad = 2;
		if (!json_is_string(v) && !json_is_boolean(v))
			d.bad = 1;
		x->rule = dstr(&d, a, "rule", 0);
		x->confirm_by = dstr(&d, a, "confirm_by", 0);
		x->party = dstr(&d, a, "party", 1);
		x->state = k < 0 ? WF_FACT_PENDING : (wf_fact_state)k;
		if (k < 0)
			d.bad = 1;
		x->principal = dstr(&d, a, "principal", 1);
		x->statement = dstr(&d, a, "statement", 1);
	}
	return d.bad == 2 ? wf_oom() : d.bad ? custos_error_set(CUSTOS_EINVALID, "assertions: malformed") : 0;
}

int wf_life_decode(wf_life *l, const char *json)
{
	json_error_t err;
	json_t *o = json_loads(json, 0, &err), *v;
	dec d = {0};
	const char *key;
	size_t i;
	int rc = 0, k;
	memset(l, 0, sizeof(*l));
	l->decision_index = -1;
	if (!json_is_object(o)) {
		json_decref(o);
		return custos_error_set(CUSTOS_EINVALID, "life: not a JSON object (%s)", err.text);
	}
	l->measure = dstr(&d, o, "measure", 0);
	l->requested_by = dstr(&d, o, "requested_by", 0);
	l->filed_by = dstr(&d, o, "filed_by", 1);
	if ((k = name_index(state_names, WF_LIFE__COUNT, wf_jstr(o, "state"))) < 0)
		d.bad = 1;
	l->state = k < 0 ? WF_LIFE_PENDING : (wf_life_state)k;
	l->round = (unsigned)json_integer_value(json_object_get(o, "round"));
	k = name_index(round_names, WF_ROUND__COUNT, wf_jstr(o, "round_kind"));
	l->round_kind = k < 0 ? WF_ROUND_NONE : (wf_round_kind)k;
	l->round_open = json_is_true(json_object_get(o, "round_open"));
	if (l->round_kind != WF_ROUND_NONE) {
		if (custos_outcome_from_name(&l->outcome, wf_jstr(o, "outcome")))
			d.bad = 1;
		l->decision = dstr(&d, o, "decision", 0);
		l->decision_index = json_integer_value(json_object_get(o, "decision_index"));
	}
	v = json_object_get(o, "period");
	if (json_is_object(v)) {
		l->from = ddate(&d, v, "from");
		l->to = ddate(&d, v, "to");
	}
	if (!d.bad && (rc = wf_life_decode_approvals(l, json_object_get(o, "approvals"))))
		goto out;
	if (!d.bad && json_object_get(o, "subjects"))
		l->subjects = dstrings(&d, json_object_get(o, "subjects"), &l->nsubjects);
	if (!d.bad && (rc = wf_life_decode_assertions(l, json_object_get(o, "assertions"))))
		goto out;
	v = json_object_get(o, "signers");
	if (!json_is_object(v) || !(l->signers = dalloc(&d, json_object_size(v), sizeof(*l->signers)))) {
		d.bad = d.bad ? d.bad : 1;
	} else {
		json_t *r;
		json_object_foreach(v, key, r)
		{
			wf_signer *s = &l->signers[l->nsigners++];
			if (!(s->principal = custos_strdup(key)) || !(s->role = custos_strdup(json_string_value(r) ? json_string_value(r) : "")))
				d.bad = 2;
		}
	}
	v = json_object_get(o, "window");
	if (json_is_object(v)) {
		l->has_window = 1;
		l->window_from = ddate(&d, v, "from");
		l->window_to = ddate(&d, v, "to");
	}
	if (!d.bad)
		l->authorizations = dstrings(&d, json_object_get(o, "authorizations"), &l->nauthorizations);
	l->extensions = (unsigned)json_integer_value(json_object_get(o, "extensions"));
	if (json_is_string(json_object_get(o, "extension_until")))
		l->extension_until = ddate(&d, o, "extension_until");
	v = json_object_get(o, "history");
	if (!d.bad && json_is_array(v) && (l->history = dalloc(&d, json_array_size(v), sizeof(*l->history)))) {
		json_t *h;
		json_array_foreach(v, i, h)
		{
			wf_history *x = &l->history[l->nhistory++];
			x->time = dstr(&d, h, "time", 0);
			x->what = dstr(&d, h, "what", 0);
			x->index = json_integer_value(json_object_get(h, "index"));
			x->detail = dstr(&d, h, "detail", 1);
		}
	}
	if (d.bad == 2)
		rc = wf_oom();
	else if (d.bad)
		rc = custos_error_set(CUSTOS_EINVALID, "life of %s: malformed", l->measure ? l->measure : "a measure");
out:
	json_decref(o);
	if (rc)
		wf_life_dispose(l);
	return rc;
}

/* ---- encoding: one order of members, always ----------------------------------------------------------- */

static int put(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v ? v : json_null());
}

static json_t *jdate(custos_date d)
{
	char s[11];
	custos_date_format(s, d);
	return json_string(s);
}

static json_t *jspan(custos_date from, custos_date to)
{
	json_t *o = json_object();
	if (o && (put(o, "from", jdate(from)) || put(o, "to", jdate(to)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

int wf_life_encode(char **out, const wf_life *l, const char *shown)
{
	json_t *o = json_object(), *a, *x;
	int bad = !o;
	*out = NULL;
	if (!bad) {
		bad |= put(o, "measure", jstr(l->measure));
		bad |= put(o, "requested_by", jstr(l->requested_by));
		bad |= put(o, "filed_by", jstr(l->filed_by));
		bad |= put(o, "state", json_string(shown ? shown : wf_life_state_name(l->state)));
		bad |= put(o, "round", json_integer(l->round));
		bad |= put(o, "round_kind", l->round_kind ? json_string(round_names[l->round_kind]) : json_null());
		bad |= put(o, "round_open", json_boolean(l->round_open));
		bad |= put(o, "outcome", l->round_kind ? json_string(custos_outcome_name(l->outcome)) : json_null());
		bad |= put(o, "decision", jstr(l->decision));
		bad |= put(o, "decision_index", l->decision_index >= 0 ? json_integer(l->decision_index) : json_null());
		bad |= put(o, "period", l->from || l->to ? jspan(l->from, l->to) : json_null());
		a = json_array();
		for (size_t i = 0; a && i < l->napprovals; i++) {
			const wf_approval *p = &l->approvals[i];
			x = json_pack("{s:s, s:s, s:s}", "role", p->role, "kind", p->notify ? "notify" : "approve", "state",
				      ask_names[p->state]);
			if (x && p->state != WF_ASK_PENDING)
				bad |= put(x, "principal", jstr(p->principal)) | put(x, "time", jstr(p->time)) |
				       put(x, "statement", jstr(p->statement));
			if (x && p->reason)
				bad |= put(x, "reason", json_string(p->reason));
			bad |= !x || json_array_append_new(a, x);
		}
		bad |= put(o, "approvals", a);
		a = json_array();
		for (size_t i = 0; a && i < l->nsubjects; i++)
			bad |= json_array_append_new(a, json_string(l->subjects[i]));
		bad |= put(o, "subjects", a);
		if (l->nassertions) {
			a = json_array();
			for (size_t i = 0; a && i < l->nassertions; i++) {
				const wf_assertion *p = &l->assertions[i];
				x = json_object();
				if (x) {
					bad |= put(x, "flag", json_string(p->flag));
					bad |= put(x, "value",
						   p->value_is_string ? json_string(p->value)
								      : json_boolean(strcmp(p->value, "true") == 0));
					bad |= put(x, "rule", json_string(p->rule));
					bad |= put(x, "confirm_by", json_string(p->confirm_by));
					bad |= put(x, "party", jstr(p->party));
					bad |= put(x, "state", json_string(fact_names[p->state]));
					if (p->state != WF_FACT_PENDING)
						bad |= put(x, "principal", jstr(p->principal)) |
						       put(x, "statement", jstr(p->statement));
				}
				bad |= !x || json_array_append_new(a, x);
			}
			bad |= put(o, "assertions", a);
		}
		x = json_object();
		for (size_t i = 0; x && i < l->nsigners; i++)
			bad |= put(x, l->signers[i].principal, json_string(l->signers[i].role));
		bad |= put(o, "signers", x);
		bad |= put(o, "window", l->has_window ? jspan(l->window_from, l->window_to) : json_null());
		a = json_array();
		for (size_t i = 0; a && i < l->nauthorizations; i++)
			bad |= json_array_append_new(a, json_string(l->authorizations[i]));
		bad |= put(o, "authorizations", a);
		bad |= put(o, "extensions", json_integer(l->extensions));
		if (l->extension_until)
			bad |= put(o, "extension_until", jdate(l->extension_until));
		a = json_array();
		for (size_t i = 0; a && i < l->nhistory; i++) {
			const wf_history *h = &l->history[i];
			x = json_pack("{s:s, s:s, s:I}", "time", h->time, "what", h->what, "index", (json_int_t)h->index);
			if (x && h->detail)
				bad |= put(x, "detail", json_string(h->detail));
			bad |= !x || json_array_append_new(a, x);
		}
		bad |= put(o, "history", a);
	}
	if (!bad)
		*out = wf_jdump(o);
	json_decref(o);
	return *out ? 0 : wf_oom();
}

/* ---- reading it ------------------------------------------------------------------------------------------ */

const char *wf_life_shown(const wf_life *l, custos_date today)
{
	if (l->state != WF_LIFE_AUTHORISED && l->state != WF_LIFE_EXTENDED)
		return wf_life_state_name(l->state);
	if (!l->has_window)
		return wf_life_state_name(l->state);
	if (today < l->window_from)
		return "authorised";
	if (today > l->window_to)
		return "expired";
	return l->state == WF_LIFE_EXTENDED ? "extended" : "active";
}

const wf_approval *wf_life_approval(const wf_life *l, const char *role)
{
	for (size_t i = 0; i < l->napprovals; i++)
		if (strcmp(l->approvals[i].role, role) == 0)
			return &l->approvals[i];
	return NULL;
}

void wf_fact_line(char *out, size_t n, const wf_assertion *a)
{
	snprintf(out, n, "%s %s %s", a->flag, a->party ? a->party : "-", a->value);
}

const wf_assertion *wf_fact_unlisted(const wf_life *l, const custos_statement *s)
{
	for (size_t i = 0; i < l->nassertions; i++) {
		const wf_assertion *x = &l->assertions[i];
		char line[CUSTOS_CONFIRM_LINE];
		unsigned k;
		if (strcmp(x->confirm_by, s->role) != 0)
			continue;
		wf_fact_line(line, sizeof(line), x);
		for (k = 0; k < s->nconfirms && strcmp(line, s->confirms[k]) != 0; k++)
			;
		if (k == s->nconfirms)
			return x;
	}
	return NULL;
}
