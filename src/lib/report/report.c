/* report.c — the JSON reports shared by the command line and the HTTP API (screening hits, measure records). */
#include <stdlib.h>
#include <string.h>

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

json_t *custos_report_measure(const custos_store_measure *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", json_string(m->state));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	json_object_set_new(o, "measure", json_loads(m->measure, 0, NULL));
	json_object_set_new(o, "decision", json_loads(m->decision, 0, NULL));
	return o;
}

json_t *custos_report_measure_summary(const custos_store_measure *m)
{
	json_t *d = json_loads(m->decision, 0, NULL), *mj = json_loads(m->measure, 0, NULL);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "state", json_string(m->state));
	json_object_set_new(o, "outcome", json_incref(json_object_get(d, "outcome")));
	json_object_set_new(o, "filed_at", json_string(m->filed_at));
	json_object_set_new(o, "kind", json_incref(json_object_get(mj, "kind")));
	json_object_set_new(o, "requested_by", json_incref(json_object_get(mj, "requested_by")));
	json_object_set_new(o, "approvals", json_incref(json_object_get(d, "approvals")));
	json_decref(mj);
	json_decref(d);
	return o;
}
