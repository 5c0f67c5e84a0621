/* lifecycle.c — the commands on a measure's life: signed statements checked, then logged; what the life shows. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/life.h"
#include "workflow/workflow_int.h"

/* A statement's time may differ from custos' clock by at most this much. */
#define STATEMENT_SKEW 300

/* "waiver for D1 (NV 40)" or "personal_involvement": an asserted fact in words for a message. */
static void assertion_words(char *out, size_t n, const wf_assertion *a)
{
	int is_false = !a->value_is_string && strcmp(a->value, "false") == 0;
	snprintf(out, n, "%s%s%s%s%s%s%s", is_false ? "no " : "", a->flag, a->party ? " for " : "",
		 a->party ? a->party : "", a->value_is_string ? " (" : "", a->value_is_string ? a->value : "",
		 a->value_is_string ? ")" : "");
}

/*
 * An approval confirms exactly the asserted facts the decision asks its
 * role to confirm (LAW.md, "Asserted facts"): each "confirm" line must be
 * one of them, and none may be left out. Another role's fact, or one the
 * decision does not assert, is refused by name.
 */
static int check_confirms(const wf_life *life, const custos_statement *s)
{
	const wf_assertion *x;
	char line[CUSTOS_CONFIRM_LINE], words[CUSTOS_CONFIRM_LINE + 16];
	for (unsigned k = 0; k < s->nconfirms; k++) {
		const wf_assertion *hit = NULL;
		for (size_t i = 0; i < life->nassertions && !hit; i++) {
			wf_fact_line(line, sizeof(line), &life->assertions[i]);
			if (strcmp(line, s->confirms[k]) == 0)
				hit = &life->assertions[i];
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: the decision of measure %s (round %u) asserts no fact '%s'",
						s->measure, s->round, s->confirms[k]);
		if (strcmp(hit->confirm_by, s->role) != 0) {
			assertion_words(words, sizeof(words), hit);
			return custos_error_set(CUSTOS_EINVALID, "confirm: %s is for %s to confirm, not %s", words,
						hit->confirm_by, s->role);
		}
	}
	if ((x = wf_fact_unlisted(life, s))) {
		wf_fact_line(line, sizeof(line), x);
		assertion_words(words, sizeof(words), x);
		return custos_error_set(CUSTOS_EINVALID,
					"confirm: approving measure %s as %s confirms the asserted fact %s (rule %s); list it "
					"('confirm %s') or refuse",
					s->measure, s->role, words, x->rule, line);
	}
	return 0;
}

static const char *const event_of_action[CUSTOS_ACT__COUNT] = {
	[CUSTOS_ACT_APPROVE] = "measure.approved", [CUSTOS_ACT_REFUSE] = "measure.refused",
	[CUSTOS_ACT_ACKNOWLEDGE] = "measure.acknowledged", [CUSTOS_ACT_REVOKE] = "measure.revoked",
	[CUSTOS_ACT_END] = "measure.ended", [CUSTOS_ACT_EXTEND] = "measure.extension_requested",
};

const char *wf_action_event(custos_action a)
{
	return (unsigned)a < CUSTOS_ACT__COUNT ? event_of_action[a] : NULL;
}

/* Whether p may approve, refuse or acknowledge under a role of the current round (life.c applies it). */
static int check_signature(const wf_life *life, const custos_statement *s, const custos_principal *p)
{
	const wf_approval *a = wf_life_approval(life, s->role);
	const char *state = wf_life_state_name(life->state), *other = NULL;
	for (size_t i = 0; i < life->nsigners; i++)
		if (strcmp(life->signers[i].principal, p->id) == 0)
			other = life->signers[i].role;

	if (life->state == WF_LIFE_FORBIDDEN)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is forbidden: it can never be authorised", s->measure);
	if (!a)
		return custos_error_set(CUSTOS_EINVALID, "role: the decision of measure %s (round %u) does not ask %s",
					s->measure, s->round, s->role);
	if (s->action == CUSTOS_ACT_ACKNOWLEDGE && !a->notify)
		return custos_error_set(CUSTOS_EINVALID, "role: %s must approve or refuse measure %s, not acknowledge it",
					s->role, s->measure);
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && a->notify)
		return custos_error_set(CUSTOS_EINVALID, "role: %s is only informed of measure %s: acknowledge it",
					s->role, s->measure);
	if (a->state != WF_ASK_PENDING)
		return custos_error_set(CUSTOS_EEXISTS, "role %s already %s measure %s (round %u) as %s at %s", s->role,
					wf_ask_state_name(a->state), s->measure, s->round, a->principal ? a->principal : "",
					a->time ? a->time : "");
	/* a round is open only while pending, suspended, or authorised with an extension asked for */
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && !life->round_open)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: nothing waits for approval", s->measure, state);
	if (life->filed_by && strcmp(life->filed_by, p->id) == 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s filed measure %s and cannot sign for it", p->id,
					s->measure);
	if (other && strcmp(other, s->role) != 0)
		return custos_error_set(CUSTOS_EINVALID,
					"principal %s already signed measure %s as %s; one principal cannot sign two roles",
					p->id, s->measure, other);
	return s->action == CUSTOS_ACT_APPROVE ? check_confirms(life, s) : 0;
}

/* The requesting authority's principal: requester or service_head of the measure's authority. */
static int check_own_authority(const wf_life *life, const custos_statement *s, const custos_principal *p)
{
	if (strcmp(s->role, "requester") != 0 && strcmp(s->role, "service_head") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: to %s a measure sign as requester or service_head, not %s",
					custos_action_name(s->action), s->role);
	if (strcmp(p->authority, life->requested_by) != 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s (authority %s) cannot %s a measure of %s", p->id,
					p->authority, custos_action_name(s->action), life->requested_by);
	return 0;
}

/* Whether p may revoke (comite_r) or end (the requesting authority) the measure. */
static int check_stop(const wf_life *life, const custos_statement *s, const custos_principal *p)
{
	const char *state = wf_life_state_name(life->state);
	int rc;
	if (s->action == CUSTOS_ACT_REVOKE && strcmp(s->role, "comite_r") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: only comite_r revokes a measure, not %s", s->role);
	if (s->action == CUSTOS_ACT_END && (rc = check_own_authority(life, s, p)))
		return rc;
	if (life->state != WF_LIFE_PENDING && life->state != WF_LIFE_AUTHORISED && life->state != WF_LIFE_EXTENDED &&
	    life->state != WF_LIFE_SUSPENDED)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: there is nothing to %s", s->measure, state,
					custos_action_name(s->action));
	return 0;
}

/* Whether p may ask to extend the measure to s->until. */
static int check_extend(const wf_life *life, const custos_statement *s, const custos_principal *p)
{
	custos_date until, today = custos_date_today();
	char wto[11];
	int rc;
	if ((rc = check_own_authority(life, s, p)))
		return rc;
	if ((life->state != WF_LIFE_AUTHORISED && life->state != WF_LIFE_EXTENDED) || !life->has_window)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: only an authorised measure is extended",
					s->measure, wf_life_state_name(life->state));
	if (life->round_open)
		return custos_error_set(CUSTOS_EINVALID, "measure %s already waits for approvals (round %u)", s->measure,
					life->round);
	custos_date_format(wto, life->window_to);
	if (today > life->window_to)
		return custos_error_set(CUSTOS_EINVALID, "measure %s expired on %s: file a new measure", s->measure, wto);
	custos_date_parse(&until, s->until);
	if (until <= life->window_to)
		return custos_error_set(CUSTOS_EINVALID, "until: %s does not extend the window, which ends on %s", s->until,
					wto);
	return 0;
}

/*
 * After measure.extension_requested: the measure decided again for the days asked (from the day after its
 * window), logged as measure.extension_decided; a permitted extension is authorised at once.
 */
static int extend_decide(custos_store *st, const char *id, const char *actor)
{
	wf_life life;
	char *decision = NULL;
	int rc, complete = 0;
	if ((rc = wf_life_load(st, id, &life)))
		return rc;
	if (!life.has_window || !life.extension_until)
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: an extension without its window", id);
	if (!rc && !(rc = wf_decide_again(st, id, NULL, life.window_to + 1, life.extension_until, &decision)) &&
	    !(rc = wf_append(st, "measure.extension_decided", actor, id, decision, NULL, &complete)) && complete)
		rc = wf_authorize(st, id, actor);
	free(decision);
	wf_life_dispose(&life);
	return rc;
}

int custos_statement_submit(custos_store *st, const char *note, size_t len, const char *actor, char **result)
{
	custos_note n;
	custos_statement s;
	custos_principal p;
	custos_verifier *v = NULL;
	wf_life life;
	char now[21];
	int64_t t_now, t_stmt;
	int rc, began = 0, complete = 0;

	memset(&n, 0, sizeof(n));
	memset(&p, 0, sizeof(p));
	memset(&life, 0, sizeof(life));
	*result = NULL;
	if ((rc = custos_time_now(now)))
		return rc;
	if ((rc = custos_note_parse(&n, note, len))) {
		custos_error_prefix(rc, "statement");
		goto out;
	}
	if ((rc = custos_statement_parse(&s, n.text, n.text_len)))
		goto out;
	custos_time_parse(&t_now, now);
	custos_time_parse(&t_stmt, s.time);
	if (t_stmt < t_now - STATEMENT_SKEW || t_stmt > t_now + STATEMENT_SKEW) {
		rc = custos_error_set(CUSTOS_EINVALID, "statement: time %s is more than %d s from now (%s): stale or replayed",
				      s.time, STATEMENT_SKEW, now);
		goto out;
	}
	if ((rc = custos_store_begin(st)))
		goto out;
	began = 1;
	if ((rc = custos_principal_get(st, s.principal, &p)))
		goto out;
	if (p.revoked_at) {
		rc = custos_error_set(CUSTOS_EINVALID, "principal %s was revoked at %s", p.id, p.revoked_at);
		goto out;
	}
	if ((rc = custos_verifier_new(&v, p.pubkey)) || (rc = custos_note_verify(&n, v))) {
		rc = custos_error_set(CUSTOS_EINVALID, "statement: not signed by principal %s's registered key (%s)", p.id,
				      p.pubkey);
		goto out;
	}
	if (!custos_principal_has_role(&p, s.role)) {
		rc = custos_error_set(CUSTOS_EINVALID, "role: principal %s does not hold the role %s", p.id, s.role);
		goto out;
	}
	if ((rc = wf_life_load(st, s.measure, &life)))
		goto out;
	if (s.round != life.round || strcmp(s.decision, life.decision ? life.decision : "") != 0) {
		rc = custos_error_set(CUSTOS_EINVALID,
				      "statement: signs round %u, decision %s, but measure %s is at round %u, decision %s",
				      s.round, s.decision, s.measure, life.round, life.decision ? life.decision : "");
		goto out;
	}
	switch (s.action) {
	case CUSTOS_ACT_APPROVE:
	case CUSTOS_ACT_REFUSE:
	case CUSTOS_ACT_ACKNOWLEDGE:
		rc = check_signature(&life, &s, &p);
		break;
	case CUSTOS_ACT_REVOKE:
	case CUSTOS_ACT_END:
		rc = check_stop(&life, &s, &p);
		break;
	case CUSTOS_ACT_EXTEND:
		rc = check_extend(&life, &s, &p);
		break;
	default:
		rc = custos_error_set(CUSTOS_EINVALID, "statement: unknown action");
	}
	if (rc)
		goto out;
	/* checked: logged, and applied to the life by the event (life.c); a round it completes is authorised */
	{
		json_t *o = json_pack("{s:s, s:s}", "principal", p.id, "statement", note);
		char *text = o ? wf_jdump(o) : NULL;
		json_decref(o);
		rc = text ? wf_append(st, wf_action_event(s.action), actor, s.measure, text, NULL, &complete) : wf_oom();
		free(text);
	}
	if (rc || (complete && (rc = wf_authorize(st, s.measure, actor))) ||
	    (s.action == CUSTOS_ACT_EXTEND && (rc = extend_decide(st, s.measure, actor))))
		goto out;
	wf_life_dispose(&life);
	if ((rc = wf_life_load(st, s.measure, &life)) ||
	    (rc = wf_life_encode(result, &life, wf_life_shown(&life, custos_date_today()))))
		goto out;
	rc = custos_store_commit(st);
	began = 0;
	if (rc) {
		free(*result);
		*result = NULL;
	}
out:
	if (began)
		custos_store_abort(st, rc);
	wf_life_dispose(&life);
	custos_verifier_free(v);
	custos_principal_dispose(&p);
	custos_note_dispose(&n);
	return rc;
}

int custos_measure_act(custos_store *st, const char *id, custos_action action, const char *role, const char *reason,
		       const char *until, const custos_signer *key, const char *actor, char **result)
{
	char *note = NULL;
	int rc;
	*result = NULL;
	if ((rc = custos_measure_statement(st, id, action, role, reason, until, key, &note)))
		return rc;
	rc = custos_statement_submit(st, note, strlen(note), actor, result);
	free(note);
	return rc;
}

/*
 * The "confirm" lines of an approval: `confirm` NULL lists every asserted
 * fact the decision asks the role to confirm; "none" lists none; otherwise
 * "FLAG[@PARTY],..." names the facts (of any role: the submission checks them).
 */
static int statement_confirms(custos_statement *s, const wf_life *life, const char *confirm)
{
	if (confirm && strcmp(confirm, "none") == 0)
		return 0;
	if (!confirm) {
		for (size_t i = 0; i < life->nassertions; i++) {
			if (strcmp(life->assertions[i].confirm_by, s->role) != 0)
				continue;
			if (s->nconfirms == CUSTOS_CONFIRM_MAX)
				return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
			wf_fact_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, &life->assertions[i]);
		}
		return 0;
	}
	for (const char *c = confirm; *c;) {
		const char *end = strchr(c, ','), *at;
		size_t n = end ? (size_t)(end - c) : strlen(c);
		const wf_assertion *hit = NULL;
		char want[CUSTOS_CONFIRM_LINE];
		if (n == 0 || n >= sizeof(want))
			return custos_error_set(CUSTOS_EINVALID, "confirm: expected FLAG[@PARTY],... or none");
		memcpy(want, c, n);
		want[n] = '\0';
		at = strchr(want, '@');
		for (size_t i = 0; i < life->nassertions && !hit; i++) {
			const wf_assertion *x = &life->assertions[i];
			size_t fl = at ? (size_t)(at - want) : n;
			if (strlen(x->flag) == fl && strncmp(x->flag, want, fl) == 0 &&
			    (at ? x->party && strcmp(x->party, at + 1) == 0 : !x->party))
				hit = x;
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: measure %s asserts no fact '%s'", s->measure, want);
		if (s->nconfirms == CUSTOS_CONFIRM_MAX)
			return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
		wf_fact_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, hit);
		c += n + (end ? 1 : 0);
	}
	return 0;
}

/* The statement for `action` on measure id by principal p: its current round and decision, now. */
static int statement_build(custos_store *st, const char *id, custos_action action, const char *role,
			   const char *reason, const char *until, const char *confirm, const custos_principal *p,
			   custos_statement *s)
{
	wf_life life;
	int rc;
	memset(s, 0, sizeof(*s));
	if ((rc = wf_life_load(st, id, &life)))
		return rc;
	if (!role) {
		if (action == CUSTOS_ACT_REVOKE)
			role = "comite_r";
		else if (custos_principal_has_role(p, "requester"))
			role = "requester";
		else
			role = "service_head";
	}
	s->action = action;
	snprintf(s->measure, sizeof(s->measure), "%s", id);
	s->round = life.round;
	snprintf(s->decision, sizeof(s->decision), "%s", life.decision ? life.decision : "");
	snprintf(s->role, sizeof(s->role), "%s", role);
	snprintf(s->principal, sizeof(s->principal), "%s", p->id);
	if (until)
		snprintf(s->until, sizeof(s->until), "%s", until);
	if (action == CUSTOS_ACT_APPROVE && (rc = statement_confirms(s, &life, confirm))) {
		wf_life_dispose(&life);
		return rc;
	}
	wf_life_dispose(&life);
	if (reason && strlen(reason) > CUSTOS_REASON_MAX)
		return custos_error_set(CUSTOS_EINVALID, "reason: longer than %d bytes", CUSTOS_REASON_MAX);
	if (reason)
		snprintf(s->reason, sizeof(s->reason), "%s", reason);
	return custos_time_now(s->time);
}

int custos_measure_statement(custos_store *st, const char *id, custos_action action, const char *role,
			     const char *reason, const char *until, const custos_signer *key, char **note)
{
	custos_statement s;
	custos_principal p;
	char *vkey = NULL;
	int rc;
	memset(&p, 0, sizeof(p));
	*note = NULL;
	if (!(rc = custos_signer_vkey(key, &vkey)) && !(rc = custos_principal_by_key(st, vkey, &p)) &&
	    !(rc = statement_build(st, id, action, role, reason, until, NULL, &p, &s)))
		rc = custos_statement_sign(note, &s, key);
	free(vkey);
	custos_principal_dispose(&p);
	return rc;
}

int custos_measure_approve(custos_store *st, const char *id, const char *role, const char *confirm, int print_only,
			   const custos_signer *key, const char *actor, char **result)
{
	custos_statement s;
	custos_principal p;
	char *vkey = NULL, *note = NULL;
	int rc;
	memset(&p, 0, sizeof(p));
	*result = NULL;
	if (!(rc = custos_signer_vkey(key, &vkey)) && !(rc = custos_principal_by_key(st, vkey, &p)) &&
	    !(rc = statement_build(st, id, CUSTOS_ACT_APPROVE, role, NULL, NULL, confirm, &p, &s)))
		rc = custos_statement_sign(&note, &s, key);
	free(vkey);
	custos_principal_dispose(&p);
	if (rc || print_only) {
		*result = note;
		return rc;
	}
	rc = custos_statement_submit(st, note, strlen(note), actor, result);
	free(note);
	return rc;
}

int custos_measure_statement_text(custos_store *st, const char *id, custos_action action, const char *role,
				  const char *reason, const char *until, const char *principal, char **text)
{
	custos_statement s;
	custos_principal p;
	int rc;
	*text = NULL;
	if ((rc = custos_principal_get(st, principal, &p)))
		return rc;
	if (!(rc = statement_build(st, id, action, role, reason, until, NULL, &p, &s)))
		rc = custos_statement_format(text, &s);
	custos_principal_dispose(&p);
	return rc;
}

int custos_measure_state(custos_store *st, const char *id, custos_date today, char state[16])
{
	wf_life life;
	int rc = wf_life_load(st, id, &life);
	if (!rc)
		snprintf(state, 16, "%s", wf_life_shown(&life, today));
	wf_life_dispose(&life);
	return rc;
}

int custos_measure_life(custos_store *st, const char *id, custos_date today, char **json)
{
	wf_life life;
	int rc = wf_life_load(st, id, &life);
	*json = NULL;
	if (!rc)
		rc = wf_life_encode(json, &life, wf_life_shown(&life, today));
	wf_life_dispose(&life);
	return rc;
}

/* Whether the life waits for `role`: an open round's approval, an acknowledgement, or (comite_r) a suspension. */
static int life_waits_for(const wf_life *life, const char *role)
{
	int waits = 0;
	if (life->state == WF_LIFE_FORBIDDEN || life->state == WF_LIFE_REFUSED || life->state == WF_LIFE_REVOKED ||
	    life->state == WF_LIFE_ENDED)
		return 0;
	for (size_t i = 0; i < life->napprovals; i++) {
		const wf_approval *a = &life->approvals[i];
		if (strcmp(a->role, role) == 0 && a->state == WF_ASK_PENDING && (a->notify || life->round_open))
			waits = 1;
	}
	if (strcmp(role, "comite_r") == 0 && life->state == WF_LIFE_SUSPENDED)
		waits = 1;
	return waits;
}

int custos_measure_waits_for(custos_store *st, const char *id, const char *role)
{
	wf_life life;
	int waits;
	if (wf_life_load(st, id, &life))
		return 0;
	waits = life_waits_for(&life, role);
	wf_life_dispose(&life);
	return waits;
}

int custos_measure_concerns(custos_store *st, const char *id, const custos_principal *p)
{
	wf_life life;
	int yes = 0;
	if (wf_life_load(st, id, &life))
		return 0;
	for (size_t i = 0; !yes && i < life.nsigners; i++)
		yes = strcmp(life.signers[i].principal, p->id) == 0;
	for (size_t i = 0; !yes && i < p->nroles; i++)
		yes = life_waits_for(&life, p->roles[i]);
	wf_life_dispose(&life);
	return yes;
}
