/* rescreen.c — deciding an authorised measure again: for an extension, and after a registry change (suspension). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

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
int wf_decide_again(custos_store *st, const char *id, const custos_registry *reg_given, custos_date from,
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
	const char *actor;
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
	    strcmp(wf_life_effective(life, c->today), "expired") != 0)
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
	char *decision = NULL;
	const char *why = NULL;
	int rc;
	if ((rc = wf_life_load(c->st, id, &life)))
		return rc;
	w = json_object_get(life, "window");
	if (custos_date_parse(&from, wf_jstr(w, "from")) || custos_date_parse(&to, wf_jstr(w, "to"))) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: authorised without a window", id);
		goto out;
	}
	if (from < c->today)
		from = c->today;
	if ((rc = wf_decide_again(c->st, id, c->reg, from, to, &decision)))
		goto out;
	d = json_loads(decision, 0, NULL);
	approved = roles_where(json_object_get(life, "approvals"), "state", "approved");
	needed = roles_where(json_object_get(d, "approvals"), "kind", "approve");
	parties = wf_finding_parties(d);
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
	/* suspend: the authorisation is withdrawn at once, and a new round asks the roles concerned (life.c) */
	{
		json_t *o = json_pack("{s:s, s:s}", "measure", id, "reason", why);
		char *text = o ? wf_jdump(o) : NULL;
		json_decref(o);
		rc = text ? wf_append(c->st, "measure.suspended", c->actor, id, text, NULL, NULL) : wf_oom();
		free(text);
	}
	if (rc || (rc = wf_append(c->st, "measure.rescreened", c->actor, id, decision, NULL, NULL)))
		goto out;
	{
		json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:O}", "measure", id, "state", "suspended", "reason", why,
					 "outcome", wf_jstr(d, "outcome"), "approvals", needed);
		char *text = line ? wf_jdump(line) : NULL;
		json_decref(line);
		rc = text ? custos_buf_printf(c->report, "%s\n", text) : wf_oom();
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
	rescreen_ctx c = {st, NULL, actor, custos_date_today(), &b, json_array()};
	json_t *id;
	size_t i;
	int rc;
	custos_buf_init(&b, 64u << 20);
	if (report)
		*report = NULL;
	if (!c.ids)
		return wf_oom();
	if ((rc = custos_store_begin(st))) {
		json_decref(c.ids);
		return rc;
	}
	if ((rc = custos_registry_import(st, text, len, source, actor, count)) || (rc = custos_registry_load(st, &reg)))
		goto out;
	c.reg = reg;
	if ((rc = custos_store_record_each(st, WF_LIFE, NULL, collect_live, &c)))
		goto out;
	json_array_foreach(c.ids, i, id) if ((rc = rescreen_one(&c, json_string_value(id)))) goto out;
	if ((rc = custos_store_commit(st)))
		goto out_nortx;
	if (report && !(*report = b.ptr ? custos_buf_detach(&b) : custos_strdup("")))
		rc = wf_oom();
	goto out_nortx;
out:
	custos_store_abort(st, rc);
out_nortx:
	custos_buf_dispose(&b);
	custos_registry_free(reg);
	json_decref(c.ids);
	return rc;
}
