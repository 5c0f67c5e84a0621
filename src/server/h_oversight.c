/* h_oversight.c — GET /v1/oversight: comite_r's overview, computed from the store's projections. */
/*
 * Computed from each measure, its decision and its life (never stored). Every count comes with the ids of the
 * measures behind it, so each number can be checked against the register (`custos measure list`, `measure show`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/model.h"
#include "custos/report.h"
#include "server_int.h"

#define FAST_SECONDS 60 /* an approval signed this soon after its round opened is worth a look */
#define RENEWED 2	/* extended this many times or more */
#define JUMP_MIN 3	/* a service's filings of a kind in a month: at least this many, */
#define JUMP_FACTOR 2	/* and more than this many times the month before */

typedef struct {
	custos_store *st;
	custos_date today;
	json_t *months;	    /* "YYYY-MM" -> {"outcome": {o: [ids]}, "service": {s: [ids]}} */
	json_t *waits;	    /* role -> [{"measure", "seconds"}] */
	json_t *categories; /* category -> [ids] */
	json_t *states;	    /* suspended, revoked, refused -> [ids] */
	json_t *filings;    /* "service\tkind" -> {"YYYY-MM": [ids]} */
	json_t *anomalies;  /* [{"kind", "what", "measures"}] */
	size_t total;
} ov_ctx;

/* Appends id to the array at obj[key] (made when absent). */
static int add_id(json_t *obj, const char *key, const char *id)
{
	json_t *a = json_object_get(obj, key);
	if (!a) {
		if (!(a = json_array()) || json_object_set_new(obj, key, a))
			return CUSTOS_ENOMEM;
	}
	return json_array_append_new(a, json_string(id)) ? CUSTOS_ENOMEM : 0;
}

static json_t *child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	if (!c && (c = json_object()) && json_object_set_new(obj, key, c))
		return NULL;
	return c;
}

static const char *jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

/* The waits of the measure's approvals: each "approve" from the start of the round it answered. */
static int waits_of(ov_ctx *o, const char *id, const json_t *life)
{
	json_t *h;
	size_t i;
	int64_t opened = -1;
	json_array_foreach(json_object_get(life, "history"), i, h)
	{
		const char *what = jstr(h, "what", ""), *role = jstr(h, "detail", "?");
		int64_t t;
		if (custos_time_parse(&t, jstr(h, "time", "")))
			continue;
		if (strcmp(what, "filed") == 0 || strcmp(what, "extension") == 0) {
			opened = t;
			continue;
		}
		if (strcmp(what, "approve") != 0 || opened < 0)
			continue;
		{
			json_t *w = child(o->waits, role), *e;
			if (!w || add_id(w, "measures", id))
				return CUSTOS_ENOMEM;
			if (!json_object_get(w, "waits") && json_object_set_new(w, "waits", json_array()))
				return CUSTOS_ENOMEM;
			e = json_pack("{s:s,s:I}", "measure", id, "seconds", (json_int_t)(t - opened));
			if (!e || json_array_append_new(json_object_get(w, "waits"), e))
				return CUSTOS_ENOMEM;
			if (t - opened <= FAST_SECONDS) {
				char what_s[160];
				snprintf(what_s, sizeof(what_s), "%s approved %s %lld s after its round opened", role, id,
					 (long long)(t - opened));
				if (json_array_append_new(o->anomalies, json_pack("{s:s,s:s,s:[s]}", "kind", "fast_approval",
										"what", what_s, "measures", id)))
					return CUSTOS_ENOMEM;
			}
		}
	}
	return 0;
}

static int one(void *vctx, const custos_store_measure *m)
{
	ov_ctx *o = vctx;
	json_t *r = custos_report_measure(o->st, m, o->today), *month, *seen, *s;
	const json_t *d, *life, *mj;
	char mon[8];
	size_t i;
	int rc = 0;
	if (!r)
		return CUSTOS_ENOMEM;
	d = json_object_get(r, "decision");
	life = json_object_get(r, "life");
	mj = json_object_get(r, "measure");
	snprintf(mon, sizeof(mon), "%.7s", m->filed_at);
	o->total++;
	/* the outcome of its current round, as the register lists it (a re-screening may have changed the first) */
	if (!(month = child(o->months, mon)) ||
	    add_id(child(month, "outcome"), jstr(json_object_get(life, "outcome") ? life : d, "outcome", "?"), m->id) ||
	    add_id(child(month, "service"), jstr(mj, "requested_by", "?"), m->id))
		rc = CUSTOS_ENOMEM;
	{
		const char *state = jstr(r, "state", "");
		if (!rc && (strcmp(state, "suspended") == 0 || strcmp(state, "revoked") == 0 ||
			    strcmp(state, "refused") == 0 || strcmp(state, "forbidden") == 0))
			rc = add_id(o->states, state, m->id);
	}
	/* each category once per measure */
	seen = json_object();
	json_array_foreach(json_object_get(d, "subjects"), i, s)
	{
		const char *c = jstr(s, "category", NULL);
		if (rc || !seen || !c || json_object_get(seen, c))
			continue;
		json_object_set_new(seen, c, json_true());
		rc = add_id(o->categories, c, m->id);
	}
	json_decref(seen);
	if (!rc) {
		char key[128];
		snprintf(key, sizeof(key), "%s\t%s", jstr(mj, "requested_by", "?"), jstr(mj, "kind", "?"));
		rc = add_id(child(o->filings, key), mon, m->id);
	}
	if (!rc && json_integer_value(json_object_get(life, "extensions")) >= RENEWED) {
		char what[160];
		snprintf(what, sizeof(what), "%s extended %lld times", m->id,
			 (long long)json_integer_value(json_object_get(life, "extensions")));
		if (json_array_append_new(o->anomalies,
					  json_pack("{s:s,s:s,s:[s]}", "kind", "renewed", "what", what, "measures", m->id)))
			rc = CUSTOS_ENOMEM;
	}
	if (!rc)
		rc = waits_of(o, m->id, life);
	json_decref(r);
	return rc;
}

static json_t *counted(json_t *ids)
{
	return json_pack("{s:I,s:O}", "count", (json_int_t)json_array_size(ids), "measures", ids);
}

static json_t *counted_map(json_t *map)
{
	json_t *out = json_object(), *v;
	const char *k;
	json_object_foreach(map, k, v) json_object_set_new(out, k, counted(v));
	return out;
}

static int by_seconds(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seconds")),
		   y = json_integer_value(json_object_get(*(json_t *const *)b, "seconds"));
	return (x > y) - (x < y);
}

/* The month before "YYYY-MM". */
static void prev_month(char out[16], const char *mon)
{
	int y = 0, m = 0;
	/* "YYYY-MM", as filed_at begins (the store wrote it) */
	for (int i = 0; i < 4 && mon[i] >= '0' && mon[i] <= '9'; i++)
		y = y * 10 + (mon[i] - '0');
	if (strlen(mon) >= 7)
		m = (mon[5] - '0') * 10 + (mon[6] - '0');
	if (m < 1 || m > 12)
		m = 1;
	if (--m < 1) {
		m = 12;
		y--;
	}
	snprintf(out, 16, "%04d-%02d", y % 10000, m % 100);
}

static int jumps(ov_ctx *o)
{
	const char *key, *mon;
	json_t *by, *ids;
	json_object_foreach(o->filings, key, by)
	{
		json_object_foreach(by, mon, ids)
		{
			char prev[16], what[200];
			const char *kind = strchr(key, '\t');
			size_t n = json_array_size(ids), before;
			prev_month(prev, mon);
			before = json_array_size(json_object_get(by, prev));
			if (n < JUMP_MIN || n <= JUMP_FACTOR * before)
				continue;
			snprintf(what, sizeof(what), "%.*s filed %zu %.40s measures in %s (%zu in %s)",
				 (int)(kind ? kind - key : 0), key, n, kind ? kind + 1 : "?", mon, before, prev);
			if (json_array_append_new(o->anomalies, json_pack("{s:s,s:s,s:O}", "kind", "filing_jump", "what",
									what, "measures", ids)))
				return CUSTOS_ENOMEM;
		}
	}
	return 0;
}

void srv_h_oversight(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	ov_ctx o = {ctx->store,	 custos_date_today(), json_object(), json_object(), json_object(),
		    json_object(), json_object(),	 json_array(),	      0};
	json_t *months, *waits, *out = NULL, *v;
	const char *k;
	char day[11];
	int rc;
	(void)rq;
	custos_date_format(day, o.today);
	if (!o.months || !o.waits || !o.categories || !o.states || !o.filings || !o.anomalies)
		rc = CUSTOS_ENOMEM;
	else
		rc = custos_store_measure_each(ctx->store, one, &o);
	if (!rc)
		rc = jumps(&o);
	if (!rc) {
		months = json_array();
		json_object_foreach(o.months, k, v)
		{
			json_array_append_new(months, json_pack("{s:s,s:o,s:o}", "month", k, "outcome",
								counted_map(json_object_get(v, "outcome")), "service",
								counted_map(json_object_get(v, "service"))));
		}
		waits = json_array();
		json_object_foreach(o.waits, k, v)
		{
			json_t *w = json_object_get(v, "waits"), *ids = json_object_get(v, "measures");
			size_t n = json_array_size(w);
			json_t **e = calloc(n ? n : 1, sizeof(*e));
			if (!e) {
				rc = CUSTOS_ENOMEM;
				break;
			}
			for (size_t i = 0; i < n; i++)
				e[i] = json_array_get(w, i);
			qsort(e, n, sizeof(*e), by_seconds);
			json_array_append_new(
				waits, json_pack("{s:s,s:I,s:I,s:I,s:O,s:s}", "role", k, "count", (json_int_t)n,
						 "median_seconds",
						 json_integer_value(json_object_get(e[n / 2 - (n % 2 == 0)], "seconds")),
						 "worst_seconds", json_integer_value(json_object_get(e[n - 1], "seconds")),
						 "measures", ids, "worst_measure", jstr(e[n - 1], "measure", "")));
			free(e);
		}
		if (!rc)
			out = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:O}", "date", day, "total",
					(json_int_t)o.total, "months", months, "waits", waits, "categories",
					counted_map(o.categories), "states", counted_map(o.states), "anomalies",
					o.anomalies);
	}
	json_decref(o.months);
	json_decref(o.waits);
	json_decref(o.categories);
	json_decref(o.states);
	json_decref(o.filings);
	json_decref(o.anomalies);
	if (rc || !out) {
		json_decref(out);
		srv_fail(rs, rc ? rc : CUSTOS_ENOMEM, NULL);
		return;
	}
	srv_json(rs, 200, out);
}
