/* report.c — the JSON reports shared by the command line and the HTTP API (screening hits, measure records). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/lifecycle.h"
#include "custos/report.h"
#include "util/util.h"

json_t *custos_report_hit(const custos_hit *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "party", json_string(h->party->id));
	json_object_set_new(o, "category", json_string(custos_category_name(h->party->category)));
	json_object_set_new(o, "name", h->party->name ? json_string(h->party->name) : json_null());
	json_object_set_new(o, "matched", json_string(h->matched->text));
	json_object_set_new(o, "status", json_string(custos_status_name(h->status)));
	if (h->matched->kind == CUSTOS_SEL_NAME && h->name_key[0])
		json_object_set_new(o, "name_match",
				    json_pack("{s:s,s:s,s:i}", "registry", h->matched->text + 5, "shared", h->name_key,
					      "score", (int)h->score));
	return o;
}

static void explain_one(void *ctx, const custos_party *party, const custos_selector *name, unsigned shared,
			unsigned score, const char *keys, const char *why)
{
	json_t *e = json_pack("{s:s,s:s,s:s,s:i,s:i,s:b}", "party", party->id, "registry", name->text + 5, "shared",
			      keys, "words", (int)shared, "score", (int)score, "hit", why == NULL);
	if (e && why)
		json_object_set_new(e, "why", json_string(why));
	json_array_append_new(ctx, e);
}

json_t *custos_report_explain_name(const custos_registry *reg, const custos_selector *sel)
{
	json_t *arr;
	if (sel->kind != CUSTOS_SEL_NAME || !(arr = json_array()))
		return NULL;
	if (custos_registry_explain_name(reg, sel, explain_one, arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
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
		for (size_t i = 0; i < n; i++) {
			json_t *h = custos_report_hit(&hits[i]), *nm = json_object_get(h, "name_match");
			if (nm) /* the query's spelling beside the registry's */
				json_object_set_new(nm, "query", json_string(sel.text + 5));
			json_array_append_new(arr, h);
		}
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

/*
 * The decision the current round asks approvals for, when it is not the
 * filing's (an extension or a re-screening): the text of the event that
 * logged it. NULL when the round is the filing's, or the event is gone.
 */
static char *round_decision(custos_store *st, const json_t *life)
{
	const char *kind = json_string_value(json_object_get(life, "round_kind"));
	json_t *index = json_object_get(life, "decision_index");
	custos_store_event e;
	char *text = NULL;
	if (!kind || strcmp(kind, "filing") == 0 || !json_is_integer(index) ||
	    custos_store_event_get(st, json_integer_value(index), &e))
		return NULL;
	if (e.payload && e.payload[0]) {
		text = e.payload;
		e.payload = NULL;
	}
	custos_store_event_dispose(&e);
	return text;
}

/* `key` and a stored JSON object as it is: custos wrote it, so it is spliced in rather than parsed again. */
static int splice(custos_buf *b, const char *key, const char *text, const char *id, const char *what)
{
	size_t n = text ? strlen(text) : 0;
	int rc;
	if (n == 0) /* erased at the end of its retention */
		return (rc = custos_buf_puts(b, key)) ? rc : custos_buf_puts(b, "null");
	if (n < 2 || text[0] != '{' || text[n - 1] != '}')
		return custos_error_set(CUSTOS_ERROR, "measure %s: the stored %s is not a JSON object", id, what);
	if ((rc = custos_buf_puts(b, key)))
		return rc;
	return custos_buf_append(b, text, n);
}

int custos_report_measure_text(custos_store *st, const custos_store_measure *m, custos_date today, char **out)
{
	char *life_text = NULL, *round = NULL;
	json_t *life = NULL;
	const char *state = m->state;
	custos_buf b;
	int rc;
	*out = NULL;
	if (custos_measure_life(st, m->id, today, &life_text) == 0 && (life = json_loads(life_text, 0, NULL))) {
		if (json_is_string(json_object_get(life, "state")))
			state = json_string_value(json_object_get(life, "state"));
		round = round_decision(st, life);
	}
	custos_buf_init(&b, SIZE_MAX / 2);
	if (!(rc = custos_buf_puts(&b, "{\"id\":")) && !(rc = custos_buf_json_string(&b, m->id)) &&
	    !(rc = custos_buf_puts(&b, ",\"state\":")) && !(rc = custos_buf_json_string(&b, state)) &&
	    !(rc = custos_buf_puts(&b, ",\"filed_at\":")) && !(rc = custos_buf_json_string(&b, m->filed_at)) &&
	    !(rc = splice(&b, ",\"measure\":", m->measure, m->id, "measure")))
		rc = splice(&b, ",\"decision\":", m->decision, m->id, "decision");
	if (!rc && round)
		rc = splice(&b, ",\"round_decision\":", round, m->id, "round's decision");
	if (!rc && life)
		rc = splice(&b, ",\"life\":", life_text, m->id, "life");
	if (!rc)
		rc = custos_buf_puts(&b, "}");
	if (!rc)
		*out = custos_buf_detach(&b);
	custos_buf_dispose(&b);
	json_decref(life);
	free(life_text);
	free(round);
	return rc;
}

json_t *custos_report_measure(custos_store *st, const custos_store_measure *m, custos_date today)
{
	char *text = NULL;
	json_t *o = NULL;
	if (custos_report_measure_text(st, m, today, &text) == 0)
		o = json_loads(text, 0, NULL);
	free(text);
	return o;
}

/* One line of a listing: what the measure is, and where its life stands (its current round's outcome and approvals). */
static json_t *summary(const custos_store_measure *m, const json_t *life, const char *state)
{
	json_t *mj = json_loads(m->measure, 0, NULL), *d = NULL;
	json_t *o = json_object();
	if (!life) /* erased: no life is kept, and the row holds no decision */
		d = json_loads(m->decision, 0, NULL);
	if (o) {
		json_object_set_new(o, "id", json_string(m->id));
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "outcome", json_incref(json_object_get(life ? life : d, "outcome")));
		json_object_set_new(o, "filed_at", json_string(m->filed_at));
		json_object_set_new(o, "kind", json_incref(json_object_get(mj, "kind")));
		json_object_set_new(o, "requested_by", json_incref(json_object_get(mj, "requested_by")));
		json_object_set_new(o, "approvals", json_incref(json_object_get(life ? life : d, "approvals")));
	}
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
	char *text = NULL;
	const char *state = m->state;
	json_t *life = NULL, *o;
	if (custos_measure_life(l->st, m->id, l->today, &text) == 0)
		life = json_loads(text, 0, NULL);
	free(text);
	if (json_is_string(json_object_get(life, "state")))
		state = json_string_value(json_object_get(life, "state"));
	if ((l->state && strcmp(l->state, state) != 0) || (l->role && !custos_measure_waits_for(l->st, m->id, l->role))) {
		json_decref(life);
		return 0;
	}
	o = summary(m, life, state);
	json_decref(life);
	if (!o)
		return CUSTOS_ENOMEM;
	return l->fn(l->ctx, o);
}

int custos_report_measures(custos_store *st, const char *state, const char *role, custos_date today,
			   custos_report_fn fn, void *ctx)
{
	return custos_report_measures_after(st, NULL, state, role, today, fn, ctx);
}

int custos_report_measures_after(custos_store *st, const char *after, const char *state, const char *role,
				 custos_date today, custos_report_fn fn, void *ctx)
{
	list_ctx l = {st, state, role, today, fn, ctx};
	return custos_store_measure_each_after(st, after, list_one, &l);
}

int custos_report_measures_visible_after(custos_store *st, const char *after, const char *const *who, size_t nwho,
					 const char *state, const char *role, custos_date today, custos_report_fn fn,
					 void *ctx)
{
	list_ctx l = {st, state, role, today, fn, ctx};
	return custos_store_measure_each_visible(st, after, who, nwho, list_one, &l);
}
