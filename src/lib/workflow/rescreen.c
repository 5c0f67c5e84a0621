/* rescreen.c — deciding an authorised measure again: for an extension, and after a registry change (suspension). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/life.h"
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
	wf_life life;
	int rc = wf_life_decode(&life, body);
	if (rc)
		return custos_error_prefix(rc == CUSTOS_ENOMEM ? rc : CUSTOS_ERROR, "measure %s: stored life", id);
	if ((life.state == WF_LIFE_AUTHORISED || life.state == WF_LIFE_EXTENDED) &&
	    strcmp(wf_life_shown(&life, c->today), "expired") != 0 && json_array_append_new(c->ids, json_string(id)))
		rc = wf_oom();
	wf_life_dispose(&life);
	return rc;
}

/* Why the new decision d no longer covers what the life was authorised for, or NULL. */
static const char *no_longer_covered(const wf_life *life, const json_t *d)
{
	const json_t *x;
	size_t i;
	if (strcmp(wf_jstr(d, "outcome"), "forbidden") == 0)
		return "now forbidden";
	/* every role it asks to approve approved the measure */
	json_array_foreach(json_object_get(d, "approvals"), i, x)
	{
		const wf_approval *a = wf_life_approval(life, wf_jstr(x, "role"));
		if (strcmp(wf_jstr(x, "kind"), "approve") == 0 && (!a || a->state != WF_ASK_APPROVED))
			return "needs a role that did not approve it";
	}
	/* every party its findings turn on was among those the authorised round turned on */
	json_array_foreach(json_object_get(d, "findings"), i, x)
	{
		const char *p = json_string_value(json_object_get(x, "party"));
		size_t j;
		for (j = 0; p && j < life->nsubjects && strcmp(life->subjects[j], p) != 0; j++)
			;
		if (p && j == life->nsubjects)
			return "touches a protected party it did not touch";
	}
	/* every fact it rests on was confirmed, by the role it asks */
	{
		wf_life want;
		const char *why = NULL;
		memset(&want, 0, sizeof(want));
		if (wf_life_decode_assertions(&want, json_object_get(d, "assertions")))
			why = "rests on an asserted fact nobody confirmed";
		for (size_t k = 0; !why && k < want.nassertions; k++) {
			char l1[CUSTOS_CONFIRM_LINE], l2[CUSTOS_CONFIRM_LINE];
			int found = 0;
			wf_fact_line(l1, sizeof(l1), &want.assertions[k]);
			for (size_t j = 0; j < life->nassertions; j++) {
				const wf_assertion *y = &life->assertions[j];
				wf_fact_line(l2, sizeof(l2), y);
				found |= strcmp(l1, l2) == 0 && strcmp(want.assertions[k].confirm_by, y->confirm_by) == 0 &&
					 y->state == WF_FACT_CONFIRMED;
			}
			if (!found)
				why = "rests on an asserted fact nobody confirmed";
		}
		wf_life_free_assertions(&want);
		return why;
	}
}

/* Screens one authorised measure again; suspends it when the new registry changes what it touches. */
static int rescreen_one(rescreen_ctx *c, const char *id)
{
	wf_life life;
	json_t *d = NULL, *needed = NULL, *x;
	char *decision = NULL;
	const char *why;
	size_t i;
	int rc;
	if ((rc = wf_life_load(c->st, id, &life)))
		return rc;
	if (!life.has_window) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: authorised without a window", id);
		goto out;
	}
	if ((rc = wf_decide_again(c->st, id, c->reg, life.window_from < c->today ? c->today : life.window_from,
				  life.window_to, &decision)))
		goto out;
	if (!(d = json_loads(decision, 0, NULL))) {
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: its new decision does not parse", id);
		goto out;
	}
	if (!(why = no_longer_covered(&life, d)))
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
	needed = json_array();
	json_array_foreach(json_object_get(d, "approvals"), i, x) if (strcmp(wf_jstr(x, "kind"), "approve") == 0)
		json_array_append_new(needed, json_string(wf_jstr(x, "role")));
	{
		json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:O}", "measure", id, "state", "suspended", "reason", why,
					 "outcome", wf_jstr(d, "outcome"), "approvals", needed);
		char *text = line ? wf_jdump(line) : NULL;
		json_decref(line);
		rc = text ? custos_buf_printf(c->report, "%s\n", text) : wf_oom();
		free(text);
	}
out:
	json_decref(needed);
	json_decref(d);
	wf_life_dispose(&life);
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
	int rc, outer = custos_store_in_transaction(st); /* a caller's transaction (a preview): it ends it */
	custos_buf_init(&b, 64u << 20);
	if (report)
		*report = NULL;
	if (!c.ids)
		return wf_oom();
	if (!outer && (rc = custos_store_begin(st))) {
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
		rc = wf_oom();
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
