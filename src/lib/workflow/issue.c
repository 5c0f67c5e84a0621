/* issue.c — issuing an authorisation: the token of a completed round, signed with the log key and logged. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "ledger/log_int.h"
#include "util/util.h"
#include "workflow/life.h"
#include "workflow/workflow_int.h"

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
				return wf_oom();
			a->conditions = grown;
			if (!(a->conditions[a->nconditions] = custos_strdup(line)))
				return wf_oom();
			a->nconditions++;
		}
	}
	return 0;
}

/*
 * Issues the authorisation for the current round: its window is the round's
 * period, cut to the decision's max_days; signed with the log key.
 */
static int authorize(custos_store *st, const wf_life *life, const json_t *decision, const char *actor)
{
	custos_store_measure m;
	custos_authorization a;
	custos_signer *signer = NULL;
	json_t *me = NULL, *t, *c;
	char *text = NULL, *note = NULL;
	const char *id = life->measure;
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
	snprintf(a.id, sizeof(a.id), "%s.%zu", id, life->nauthorizations + 1);
	snprintf(a.measure, sizeof(a.measure), "%s", id);
	snprintf(a.kind, sizeof(a.kind), "%s", wf_jstr(me, "kind"));
	snprintf(a.scope, sizeof(a.scope), "%s", wf_jstr(me, "scope"));
	snprintf(a.framework, sizeof(a.framework), "%s", wf_jstr(me, "framework"));
	snprintf(a.requested_by, sizeof(a.requested_by), "%s", wf_jstr(me, "requested_by"));
	snprintf(a.decision, sizeof(a.decision), "%s", life->decision ? life->decision : "");
	a.from = life->from;
	a.to = life->to;
	json_array_foreach(json_object_get(decision, "conditions"), i, c)
	{
		int d = (int)json_integer_value(json_object_get(c, "max_days"));
		if (d > 0 && (!max_days || d < max_days))
			max_days = d;
	}
	if (max_days && a.to - a.from + 1 > max_days)
		a.to = a.from + max_days - 1; /* the rules' maximum duration cuts the window */
	/* the intercepts it may be provisioned under, and the agency that receives them */
	snprintf(a.agency, sizeof(a.agency), "%s", wf_jstr(me, "agency_id"));
	if (!(a.liids = calloc(json_array_size(json_object_get(me, "liids")) + 1, sizeof(*a.liids)))) {
		rc = wf_oom();
		goto out;
	}
	json_array_foreach(json_object_get(me, "liids"), i, t)
	{
		if (!(a.liids[a.nliids] = custos_strdup(json_string_value(t) ? json_string_value(t) : ""))) {
			rc = wf_oom();
			goto out;
		}
		a.nliids++;
	}
	a.selectors = calloc(json_array_size(json_object_get(me, "targets")) + 1, sizeof(*a.selectors));
	if (!a.selectors) {
		rc = wf_oom();
		goto out;
	}
	json_array_foreach(json_object_get(me, "targets"), i, t)
	{
		if (!(a.selectors[a.nselectors] = custos_strdup(json_string_value(t) ? json_string_value(t) : ""))) {
			rc = wf_oom();
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
	for (i = 0; i < life->nassertions; i++) {
		char line[CUSTOS_CONFIRM_LINE], full[CUSTOS_CONFIRM_LINE + 40];
		char **grown = realloc(a.confirmed, (a.nconfirmed + 1) * sizeof(*a.confirmed));
		if (!grown) {
			rc = wf_oom();
			goto out;
		}
		a.confirmed = grown;
		wf_fact_line(line, sizeof(line), &life->assertions[i]);
		snprintf(full, sizeof(full), "%s %s", life->assertions[i].confirm_by, line);
		if (!(a.confirmed[a.nconfirmed] = custos_strdup(full))) {
			rc = wf_oom();
			goto out;
		}
		a.nconfirmed++;
	}
	if ((rc = token_conditions(&a, decision)) || (rc = custos_authorization_format(&text, &a)) ||
	    (rc = custos_log_signer(st, &signer)) ||
	    (rc = custos_note_sign(&note, text, strlen(text), &signer, 1)))
		goto out;
	{
		json_t *payload = json_pack("{s:s, s:s}", "authorization", a.id, "token", note);
		char *ptext = payload ? wf_jdump(payload) : NULL;
		json_decref(payload);
		rc = ptext ? wf_append(st, "authorization.issued", actor, id, ptext, &index, NULL) : wf_oom();
		free(ptext);
		if (rc)
			goto out;
	}
	if ((uint64_t)index + 1 != a.log_size)
		rc = custos_error_set(CUSTOS_ERROR, "authorisation %s: issued at log size %llu but logged at index %lld",
				      a.id, (unsigned long long)a.log_size, (long long)index);
out:
	json_decref(me);
	free(text);
	free(note);
	custos_signer_free(signer);
	custos_authorization_dispose(&a);
	custos_store_measure_dispose(&m);
	return rc;
}

/* The current round's decision JSON, from the event that logged it. */
static int round_decision(custos_store *st, const wf_life *life, json_t **out)
{
	custos_store_event e;
	int64_t index = life->decision_index;
	int rc;
	*out = NULL;
	if (index < 0)
		return custos_error_set(CUSTOS_ERROR, "measure %s: no decision in its life", life->measure);
	if ((rc = custos_store_event_get(st, index, &e)))
		return rc;
	if (!e.payload[0])
		rc = custos_error_set(CUSTOS_ERROR, "the decision (event %lld) was erased", (long long)index);
	else if (!(*out = json_loads(e.payload, 0, NULL)))
		rc = custos_error_set(CUSTOS_ERROR, "the decision (event %lld) does not parse", (long long)index);
	custos_store_event_dispose(&e);
	return rc;
}


int wf_authorize(custos_store *st, const char *id, const char *actor)
{
	wf_life life;
	json_t *decision = NULL;
	int rc;
	if (!(rc = wf_life_load(st, id, &life)) && !(rc = round_decision(st, &life, &decision)))
		rc = authorize(st, &life, decision, actor);
	json_decref(decision);
	wf_life_dispose(&life);
	return rc;
}
