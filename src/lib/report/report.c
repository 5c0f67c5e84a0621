/* report.c — the JSON reports shared by the command line and the HTTP API (screening hits, measure records). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/lifecycle.h"
#include "custos/report.h"

json_t *custos_report_hit(const custos_hit *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "party", json_string(h->party->id));
	json_object_set_new(o, "category", json_string(custos_category_name(h->party->category)));
	json_object_set_new(o, "name", h->party->name ? json_string(h->party->name) : json_null());
	json_object_set_new(o, "matched", json_string(h->matched->text));
	json_object_set_new(o, "status", json_string(custos_status_name(h->status)));
	return o;
}

json_t *custos_report_screen_one(const custos_registry *reg, const char *s, size_t len, custos_date day, int grace)
{
	custos_selector sel;
	custos_hit *hits = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	if (!arr || custos_selector_parse(&sel, s, len))
		return arr;
	if (custos_registry_screen(&hits, &n, reg, &sel, day, day, grace, 0) == 0)
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, custos_report_hit(&hits[i]));
	free(hits);
	custos_selector_dispose(&sel);
	return arr;
}

json_t *custos_report_screen(const custos_registry *reg, const char *const *selectors, size_t n, custos_date day,
			     int grace)
{
	char date[11];
	json_t *root = json_object(), *results = json_array();
	if (!root || !results) {
		json_decref(root);
		json_decref(results);
		return NULL;
	}
	custos_date_format(date, day);
	json_object_set_new(root, "date", json_string(date));
	json_object_set_new(root, "registry_hash", json_string(custos_registry_hash(reg)));
	for (size_t i = 0; i < n; i++) {
		custos_selector sel;
		size_t len = strlen(selectors[i]);
		json_t *r = json_object();
		int ok = custos_selector_parse(&sel, selectors[i], len) == 0;
		json_object_set_new(r, "selector", json_string(ok ? sel.text : selectors[i]));
		json_object_set_new(r, "hits", custos_report_screen_one(reg, selectors[i], len, day, grace));
		json_array_append_new(results, r);
		if (ok)
			custos_selector_dispose(&sel);
	}
	json_object_set_new(root, "results", results);
	return root;
}

/* The life of measure m as JSON, or NULL (a store without life records, or an error). */
static json_t *life_of(custos_store *st, const char *id, custos_date today)
{
	char *text = NULL;
	json_t *life = NULL;
	if (custos_measure_life(st, id, today, &text) == 0)
		life = json_loads(text, 0, NULL);
	free(text);
	return life;
}

/*
 * The decision the current round asks approvals for, when it is not the
 * filing's (an extension or a re-screening): the event that logged it.
 * NULL when the round is the filing's, or the event is gone (erased).
 */
static json_t *round_decision(custos_store *st, const json_t *life)
{
	const char *kind = json_string_value(json_object_get(life, "round_kind"));
	json_t *index = json_object_get(life, "decision_index"), *d = NULL;
	custos_store_event e;
	if (!kind || strcmp(kind, "filing") == 0 || !json_is_integer(index) ||
	    custos_store_event_get(st, json_integer_value(index), &e))
		return NULL;
	if (e.payload && e.payload[0])
		d = json_loads(e.payload, 0, NULL);
	custos_store_event_dispose(&e);
	return d;
}

json_t *custos_report_measure(custos_store *st, const custos_store_measure *m, custos_date today)
{
	json_t *o = json_object(), *life = life_of(st, m->id, today), *round = life ? round_decision(st, life) : NULL;
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", life ? json_incref(json_object_get(life, "state")) : json_string(m->state));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	json_object_set_new(o, "measure", json_loads(m->measure, 0, NULL));
	json_object_set_new(o, "decision", json_loads(m->decision, 0, NULL));
	if (round)
		json_object_set_new(o, "round_decision", round);
	if (life)
		json_object_set_new(o, "life", life);
	return o;
}

static json_t *summary(const custos_store_measure *m, const char *state)
{
	json_t *d = json_loads(m->decision, 0, NULL), *mj = json_loads(m->measure, 0, NULL);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "outcome", json_incref(json_object_get(d, "outcome")));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	json_object_set_new(o, "kind", json_incref(json_object_get(mj, "kind")));
	json_object_set_new(o, "requested_by", json_incref(json_object_get(mj, "requested_by")));
	json_object_set_new(o, "approvals", json_incref(json_object_get(d, "approvals")));
	json_decref(mj);
	json_decref(d);
	return o;
}

typedef struct {
	custos_store *st;
	const char *state, *role;
	custos_date today;
	custos_report_fn fn;
	void *ctx;
} list_ctx;

static int list_one(void *vctx, const custos_store_measure *m)
{
	list_ctx *l = vctx;
	char state[16];
	json_t *o;
	if (custos_measure_state(l->st, m->id, l->today, state))
		snprintf(state, sizeof(state), "%s", m->state);
	if (l->state && strcmp(l->state, state) != 0)
		return 0;
	if (l->role && !custos_measure_waits_for(l->st, m->id, l->role))
		return 0;
	if (!(o = summary(m, state)))
		return CUSTOS_ENOMEM;
	return l->fn(l->ctx, o);
}

int custos_report_measures(custos_store *st, const char *state, const char *role, custos_date today,
			   custos_report_fn fn, void *ctx)
{
	list_ctx l = {st, state, role, today, fn, ctx};
	return custos_store_measure_each(st, list_one, &l);
}
