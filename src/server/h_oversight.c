/* h_oversight.c — GET /v1/oversight: comite_r's overview, computed from the store's projections. */
/*
 * Computed from each measure, its decision and its life (never stored). Every count comes with the ids of the
 * measures behind it, so each number can be checked against the register (`custos measure list`, `measure show`).
 * Months run from the register's first filing to the clock's month, none left out, so a service's habits read as a
 * series: a month with no filing is a zero, not a gap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/model.h"
#include "custos/report.h"
#include "server_int.h"

#define FAST_SECONDS 60	 /* an approval signed this soon after its round opened is worth a look */
#define RENEWED 2	 /* extended this many times or more */
#define JUMP_MIN 3	 /* a service's filings of a kind in a month: at least this many, */
#define JUMP_FACTOR 2	 /* and more than this many times the month before */
#define MONTHS_MAX 1200	 /* the series shows at most this many months, the latest */

typedef struct {
	custos_store *st;
	custos_date today;
	int64_t now;
	json_t *months;	    /* "YYYY-MM" -> {"outcome": {o: [ids]}, "service": {s: [ids]}} */
	json_t *waits;	    /* role -> [{"measure", "seconds"}]: approvals given, timed from their round's opening */
	json_t *waiting;    /* role -> [{"measure", "seconds"}]: approvals asked and not given yet */
	json_t *categories; /* category -> [ids] */
	json_t *states;	    /* suspended, revoked, refused, forbidden -> [ids] */
	json_t *services;   /* service -> {"months": {"YYYY-MM": [ids]}, "kinds": {kind: {"YYYY-MM": [ids]}}} */
	json_t *anomalies;  /* [{"kind", "what", "measures"}] */
	size_t total;
} ov_ctx;

/* Appends id to the array at obj[key] (made when absent). */
static int add_id(json_t *obj, const char *key, const char *id)
{
	json_t *a;
	if (!obj)
		return CUSTOS_ENOMEM;
	if (!(a = json_object_get(obj, key))) {
		if (!(a = json_array()) || json_object_set_new(obj, key, a))
			return CUSTOS_ENOMEM;
	}
	return json_array_append_new(a, json_string(id)) ? CUSTOS_ENOMEM : 0;
}

/* A time of the measure, as {"measure", "seconds"}, appended to the array at obj[key]. */
static int add_time(json_t *obj, const char *key, const char *id, int64_t seconds)
{
	json_t *a = json_object_get(obj, key), *e;
	if (!a && (!(a = json_array()) || json_object_set_new(obj, key, a)))
		return CUSTOS_ENOMEM;
	e = json_pack("{s:s,s:I}", "measure", id, "seconds", (json_int_t)seconds);
	return !e || json_array_append_new(a, e) ? CUSTOS_ENOMEM : 0;
}

static json_t *child(json_t *obj, const char *key)
{
	json_t *c;
	if (!obj)
		return NULL;
	c = json_object_get(obj, key);
	if (!c && (c = json_object()) && json_object_set_new(obj, key, c))
		return NULL;
	return c;
}

static const char *jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static int anomaly(ov_ctx *o, const char *kind, const char *what, json_t *measures)
{
	json_t *a = json_pack("{s:s,s:s,s:o}", "kind", kind, "what", what, "measures", measures);
	return !a || json_array_append_new(o->anomalies, a) ? CUSTOS_ENOMEM : 0;
}

/*
 * The waits of the measure's approvals: each "approve" from the opening of the round it answered (the filing, an
 * extension, or the re-screening a suspension opens); and, while its round is open, each approval asked and not
 * given yet, from that opening to now.
 */
static int waits_of(ov_ctx *o, const char *id, const json_t *life)
{
	json_t *h, *a;
	size_t i;
	int64_t opened = -1;
	const char *state = jstr(life, "state", "");
	json_array_foreach(json_object_get(life, "history"), i, h)
	{
		const char *what = jstr(h, "what", ""), *role = jstr(h, "detail", "?");
		int64_t t;
		int rc;
		if (custos_time_parse(&t, jstr(h, "time", "")))
			continue;
		if (strcmp(what, "filed") == 0 || strcmp(what, "extension") == 0 || strcmp(what, "suspended") == 0) {
			opened = t;
			continue;
		}
		if (strcmp(what, "approve") != 0 || opened < 0)
			continue;
		if ((rc = add_time(o->waits, role, id, t - opened)))
			return rc;
		if (t - opened <= FAST_SECONDS) {
			char what_s[160];
			snprintf(what_s, sizeof(what_s), "%s approved %s %lld s after its round opened", role, id,
				 (long long)(t - opened));
			if ((rc = anomaly(o, "fast_approval", what_s, json_pack("[s]", id))))
				return rc;
		}
	}
	/* what the inbox lists as waiting (lifecycle.c, life_waits_for), approvals only: acknowledgements wait for none */
	if (!json_is_true(json_object_get(life, "round_open")) || opened < 0 || strcmp(state, "forbidden") == 0 ||
	    strcmp(state, "refused") == 0 || strcmp(state, "revoked") == 0 || strcmp(state, "ended") == 0 ||
	    strcmp(state, "expired") == 0)
		return 0;
	json_array_foreach(json_object_get(life, "approvals"), i, a)
	{
		int rc;
		if (strcmp(jstr(a, "kind", ""), "approve") == 0 && strcmp(jstr(a, "state", ""), "pending") == 0 &&
		    (rc = add_time(o->waiting, jstr(a, "role", "?"), id, o->now > opened ? o->now - opened : 0)))
			return rc;
	}
	return 0;
}

static int one(void *vctx, const custos_store_measure *m)
{
	ov_ctx *o = vctx;
	json_t *r = custos_report_measure(o->st, m, o->today), *month, *seen, *s, *svc;
	const json_t *d, *life, *mj;
	const char *service, *state;
	char mon[8];
	size_t i;
	int rc = 0;
	if (!r)
		return CUSTOS_ENOMEM;
	d = json_object_get(r, "decision");
	life = json_object_get(r, "life");
	mj = json_object_get(r, "measure");
	service = jstr(mj, "requested_by", "?");
	state = jstr(r, "state", "");
	snprintf(mon, sizeof(mon), "%.7s", m->filed_at);
	o->total++;
	/* the outcome of its current round, as the register lists it (a re-screening may have changed the first) */
	if (!(month = child(o->months, mon)) ||
	    add_id(child(month, "outcome"), jstr(json_object_get(life, "outcome") ? life : d, "outcome", "?"), m->id) ||
	    add_id(child(month, "service"), service, m->id))
		rc = CUSTOS_ENOMEM;
	if (!rc && (strcmp(state, "suspended") == 0 || strcmp(state, "revoked") == 0 || strcmp(state, "refused") == 0 ||
		    strcmp(state, "forbidden") == 0))
		rc = add_id(o->states, state, m->id);
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
	if (!rc && (!(svc = child(o->services, service)) || add_id(child(svc, "months"), mon, m->id) ||
		    add_id(child(child(svc, "kinds"), jstr(mj, "kind", "?")), mon, m->id)))
		rc = CUSTOS_ENOMEM;
	if (!rc && json_integer_value(json_object_get(life, "extensions")) >= RENEWED) {
		char what[160];
		snprintf(what, sizeof(what), "%s extended %lld times", m->id,
			 (long long)json_integer_value(json_object_get(life, "extensions")));
		rc = anomaly(o, "renewed", what, json_pack("[s]", m->id));
	}
	if (!rc)
		rc = waits_of(o, m->id, life);
	json_decref(r);
	return rc;
}

/* {"count", "measures"} of a list of ids (none: an empty list). */
static json_t *counted(json_t *ids)
{
	return json_pack("{s:I,s:o}", "count", (json_int_t)json_array_size(ids), "measures",
			 ids ? json_incref(ids) : json_array());
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

/* "YYYY-MM" as a count of months (year * 12 + month - 1); -1 if it is not one. */
static int month_number(const char *mon)
{
	int y = 0;
	for (int i = 0; i < 4; i++) {
		if (mon[i] < '0' || mon[i] > '9')
			return -1;
		y = y * 10 + (mon[i] - '0');
	}
	if (mon[4] != '-' || mon[5] < '0' || mon[5] > '1' || mon[6] < '0' || mon[6] > '9' || mon[7])
		return -1;
	{
		int m = (mon[5] - '0') * 10 + (mon[6] - '0');
		return m >= 1 && m <= 12 ? y * 12 + m - 1 : -1;
	}
}

static void month_name(char out[8], int n)
{
	unsigned u = n < 0 ? 0 : (unsigned)n;
	snprintf(out, 8, "%04u-%02u", (u / 12) % 10000, u % 12 + 1);
}

/*
 * Per service, its filings month by month over [first, last] (every month, none left out) and by kind, and the
 * jumps: a kind filed at least JUMP_MIN times in a month, more than JUMP_FACTOR times the month before (a first
 * month counts too). Each jump is also an anomaly.
 */
static json_t *service_series(ov_ctx *o, int first, int last)
{
	json_t *out = json_array(), *svc;
	const char *service;
	if (!out)
		return NULL;
	json_object_foreach(o->services, service, svc)
	{
		json_t *months = json_array(), *jumps = json_array(), *kinds = json_object_get(svc, "kinds"), *s;
		s = json_pack("{s:s,s:o,s:o}", "service", service, "months", months, "jumps", jumps);
		if (!s || json_array_append_new(out, s))
			goto fail;
		for (int n = first; n <= last; n++) {
			char mon[8], prev[8];
			const char *kind;
			json_t *by, *per_kind = json_object(), *ids;
			month_name(mon, n);
			month_name(prev, n - 1);
			ids = json_object_get(json_object_get(svc, "months"), mon);
			/* "o" hands over its references, also when the pack fails */
			if (json_array_append_new(months, json_pack("{s:s,s:I,s:o,s:o}", "month", mon, "count",
								     (json_int_t)json_array_size(ids), "measures",
								     ids ? json_incref(ids) : json_array(), "kinds",
								     per_kind)) ||
			    !per_kind)
				goto fail;
			json_object_foreach(kinds, kind, by)
			{
				json_t *filed = json_object_get(by, mon);
				size_t c = json_array_size(filed), before = json_array_size(json_object_get(by, prev));
				char what[200];
				if (!filed)
					continue;
				if (json_object_set_new(per_kind, kind, counted(filed)))
					goto fail;
				if (c < JUMP_MIN || c <= JUMP_FACTOR * before)
					continue;
				snprintf(what, sizeof(what), "%.60s filed %zu %.40s measures in %s (%zu in %s)", service, c,
					 kind, mon, before, prev);
				if (json_array_append_new(jumps, json_pack("{s:s,s:s,s:I,s:I,s:O}", "month", mon, "kind",
									   kind, "count", (json_int_t)c, "before",
									   (json_int_t)before, "measures", filed)) ||
				    anomaly(o, "filing_jump", what, json_copy(filed)))
					goto fail;
			}
		}
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* Per role: a count, the lower median and the worst of its times, each with the measure it belongs to. */
static json_t *timed(const char *role, json_t *times, json_t *ids, const char *worst_key)
{
	size_t n = json_array_size(times);
	json_t **e = calloc(n ? n : 1, sizeof(*e)), *out;
	char worst_measure[32];
	if (!e || !n) {
		free(e);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		e[i] = json_array_get(times, i);
	qsort(e, n, sizeof(*e), by_seconds);
	snprintf(worst_measure, sizeof(worst_measure), "%s_measure", worst_key);
	{
		char worst_seconds[32];
		snprintf(worst_seconds, sizeof(worst_seconds), "%s_seconds", worst_key);
		out = json_pack("{s:s,s:I,s:I,s:s,s:I,s:s,s:O}", "role", role, "count", (json_int_t)n, "median_seconds",
				json_integer_value(json_object_get(e[n / 2 - (n % 2 == 0)], "seconds")), "median_measure",
				jstr(e[n / 2 - (n % 2 == 0)], "measure", ""), worst_seconds,
				json_integer_value(json_object_get(e[n - 1], "seconds")), worst_measure,
				jstr(e[n - 1], "measure", ""), "measures", ids);
	}
	free(e);
	return out;
}

/* The ids of the times, in the order of the register, each once. */
static json_t *ids_of(json_t *times)
{
	json_t *ids = json_array(), *seen = json_object(), *t;
	size_t i;
	if (!ids || !seen) {
		json_decref(ids);
		json_decref(seen);
		return NULL;
	}
	json_array_foreach(times, i, t)
	{
		const char *id = jstr(t, "measure", "");
		if (!json_object_get(seen, id) && (json_object_set_new(seen, id, json_true()) ||
						   json_array_append_new(ids, json_string(id)))) {
			json_decref(ids);
			ids = NULL;
			break;
		}
	}
	json_decref(seen);
	return ids;
}

/* Each role's times (role -> [{"measure", "seconds"}]) summed up by timed(), appended to out. */
static int times_per_role(json_t *out, json_t *by_role, const char *worst_key)
{
	const char *role;
	json_t *times;
	json_object_foreach(by_role, role, times)
	{
		json_t *ids = ids_of(times), *w = ids ? timed(role, times, ids, worst_key) : NULL;
		json_decref(ids);
		if (!w || json_array_append_new(out, w))
			return CUSTOS_ENOMEM;
	}
	return 0;
}

/* The months of the series: from the first month of filing to the clock's month (or the last filing's, if later). */
static void month_range(const ov_ctx *o, int *first, int *last)
{
	const char *k;
	json_t *v;
	char today[11], mon[8];
	custos_date_format(today, o->today);
	snprintf(mon, sizeof(mon), "%.7s", today);
	*first = *last = month_number(mon);
	json_object_foreach(o->months, k, v)
	{
		int n = month_number(k);
		if (n < 0)
			continue;
		if (n < *first || *first < 0)
			*first = n;
		if (n > *last)
			*last = n;
	}
	if (*last - *first >= MONTHS_MAX)
		*first = *last - MONTHS_MAX + 1;
}

static json_t *overview(ov_ctx *o)
{
	json_t *months = json_array(), *waits = json_array(), *waiting = json_array(), *services = NULL, *v, *out;
	const char *k;
	char day[11];
	int first, last;
	month_range(o, &first, &last);
	if (!months || !waits || !waiting || (o->total && !(services = service_series(o, first, last))))
		goto fail;
	json_object_foreach(o->months, k, v)
	{
		if (json_array_append_new(months, json_pack("{s:s,s:o,s:o}", "month", k, "outcome",
							    counted_map(json_object_get(v, "outcome")), "service",
							    counted_map(json_object_get(v, "service")))))
			goto fail;
	}
	if (times_per_role(waits, o->waits, "worst") || times_per_role(waiting, o->waiting, "oldest"))
		goto fail;
	custos_date_format(day, o->today);
	out = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:O}", "date", day, "total", (json_int_t)o->total, "months",
			months, "services", services ? services : json_array(), "waits", waits, "waiting", waiting,
			"categories", counted_map(o->categories), "states", counted_map(o->states), "anomalies",
			o->anomalies);
	return out;
fail:
	json_decref(months);
	json_decref(waits);
	json_decref(waiting);
	json_decref(services);
	return NULL;
}

void srv_h_oversight(srv_ctx *ctx, srv_request *rq, srv_response *rs)
{
	ov_ctx o = {.st = ctx->store,
		    .today = custos_date_today(),
		    .now = custos_clock_now(),
		    .months = json_object(),
		    .waits = json_object(),
		    .waiting = json_object(),
		    .categories = json_object(),
		    .states = json_object(),
		    .services = json_object(),
		    .anomalies = json_array()};
	json_t *out = NULL;
	int rc;
	(void)rq;
	if (!o.months || !o.waits || !o.waiting || !o.categories || !o.states || !o.services || !o.anomalies)
		rc = CUSTOS_ENOMEM;
	else
		rc = custos_store_measure_each(ctx->store, one, &o);
	if (!rc && !(out = overview(&o)))
		rc = CUSTOS_ENOMEM;
	json_decref(o.months);
	json_decref(o.waits);
	json_decref(o.waiting);
	json_decref(o.categories);
	json_decref(o.states);
	json_decref(o.services);
	json_decref(o.anomalies);
	if (rc) {
		srv_fail(rs, rc, NULL);
		return;
	}
	srv_json(rs, 200, out);
}
