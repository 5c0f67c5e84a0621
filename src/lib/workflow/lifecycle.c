/* lifecycle.c — the commands on a measure's life: signed statements checked, then logged; what the life shows. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

/* A statement's time may differ from custos' clock by at most this much. */
#define STATEMENT_SKEW 300

/* "waiver for D1 (NV 40)" or "personal_involvement": an asserted fact in words for a message. */
static void assertion_words(char *out, size_t n, const json_t *a)
{
	const json_t *v = json_object_get(a, "value");
	const char *party = json_string_value(json_object_get(a, "party"));
	snprintf(out, n, "%s%s%s%s%s%s%s", json_is_false(v) ? "no " : "", wf_jstr(a, "flag"), party ? " for " : "",
		 party ? party : "", json_is_string(v) ? " (" : "", json_is_string(v) ? json_string_value(v) : "",
		 json_is_string(v) ? ")" : "");
}

/*
 * An approval confirms exactly the asserted facts the decision asks its
 * role to confirm (LAW.md, "Asserted facts"): each "confirm" line must be
 * one of them, and none may be left out. Another role's fact, or one the
 * decision does not assert, is refused by name.
 */
static int check_confirms(const json_t *life, const custos_statement *s)
{
	const json_t *as = json_object_get(life, "assertions"), *x;
	char line[CUSTOS_CONFIRM_LINE], words[CUSTOS_CONFIRM_LINE + 16];
	size_t i;
	for (unsigned k = 0; k < s->nconfirms; k++) {
		const json_t *hit = NULL;
		json_array_foreach(as, i, x)
		{
			wf_assertion_line(line, sizeof(line), x);
			if (strcmp(line, s->confirms[k]) == 0) {
				hit = x;
				break;
			}
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: the decision of measure %s (round %u) asserts no fact '%s'",
						s->measure, s->round, s->confirms[k]);
		if (strcmp(wf_jstr(hit, "confirm_by"), s->role) != 0) {
			assertion_words(words, sizeof(words), hit);
			return custos_error_set(CUSTOS_EINVALID, "confirm: %s is for %s to confirm, not %s", words,
						wf_jstr(hit, "confirm_by"), s->role);
		}
	}
	if ((x = wf_assertion_unlisted(as, s))) {
		wf_assertion_line(line, sizeof(line), x);
		assertion_words(words, sizeof(words), x);
		return custos_error_set(CUSTOS_EINVALID,
					"confirm: approving measure %s as %s confirms the asserted fact %s (rule %s); list it "
					"('confirm %s') or refuse",
					s->measure, s->role, words, wf_jstr(x, "rule"), line);
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

/* Approve, refuse or acknowledge: */
/* Whether p may approve, refuse or acknowledge under a role of the current round (life.c applies it). */
static int check_signature(const json_t *life, const custos_statement *s, const custos_principal *p)
{
	const json_t *a = wf_approval_of(life, s->role), *signers = json_object_get(life, "signers");
	const char *state = wf_jstr(life, "state"), *kind, *filed_by = json_string_value(json_object_get(life, "filed_by"));
	const char *other = json_string_value(json_object_get(signers, p->id));
	int open = json_is_true(json_object_get(life, "round_open"));

	if (strcmp(state, "forbidden") == 0)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is forbidden: it can never be authorised", s->measure);
	if (!a)
		return custos_error_set(CUSTOS_EINVALID, "role: the decision of measure %s (round %u) does not ask %s",
					s->measure, s->round, s->role);
	kind = wf_jstr(a, "kind");
	if (s->action == CUSTOS_ACT_ACKNOWLEDGE && strcmp(kind, "notify") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: %s must approve or refuse measure %s, not acknowledge it",
					s->role, s->measure);
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && strcmp(kind, "notify") == 0)
		return custos_error_set(CUSTOS_EINVALID, "role: %s is only informed of measure %s: acknowledge it",
					s->role, s->measure);
	if (strcmp(wf_jstr(a, "state"), "pending") != 0)
		return custos_error_set(CUSTOS_EEXISTS, "role %s already %s measure %s (round %u) as %s at %s", s->role,
					wf_jstr(a, "state"), s->measure, s->round, wf_jstr(a, "principal"), wf_jstr(a, "time"));
	/* a round is open only while pending, suspended, or authorised with an extension asked for */
	if (s->action != CUSTOS_ACT_ACKNOWLEDGE && !open)
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: nothing waits for approval", s->measure, state);
	if (filed_by && strcmp(filed_by, p->id) == 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s filed measure %s and cannot sign for it", p->id,
					s->measure);
	if (other && strcmp(other, s->role) != 0)
		return custos_error_set(CUSTOS_EINVALID,
					"principal %s already signed measure %s as %s; one principal cannot sign two roles",
					p->id, s->measure, other);
	return s->action == CUSTOS_ACT_APPROVE ? check_confirms(life, s) : 0;
}

/* The requesting authority's principal: requester or service_head of the measure's authority. */
static int check_own_authority(const json_t *life, const custos_statement *s, const custos_principal *p)
{
	if (strcmp(s->role, "requester") != 0 && strcmp(s->role, "service_head") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: to %s a measure sign as requester or service_head, not %s",
					custos_action_name(s->action), s->role);
	if (strcmp(p->authority, wf_jstr(life, "requested_by")) != 0)
		return custos_error_set(CUSTOS_EINVALID, "principal %s (authority %s) cannot %s a measure of %s", p->id,
					p->authority, custos_action_name(s->action), wf_jstr(life, "requested_by"));
	return 0;
}

static int is_state(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Whether p may revoke (comite_r) or end (the requesting authority) the measure. */
static int check_stop(const json_t *life, const custos_statement *s, const custos_principal *p)
{
	static const char *const live[] = {"pending", "authorised", "extended", "suspended", NULL};
	const char *state = wf_jstr(life, "state");
	int rc;
	if (s->action == CUSTOS_ACT_REVOKE && strcmp(s->role, "comite_r") != 0)
		return custos_error_set(CUSTOS_EINVALID, "role: only comite_r revokes a measure, not %s", s->role);
	if (s->action == CUSTOS_ACT_END && (rc = check_own_authority(life, s, p)))
		return rc;
	if (!is_state(state, live))
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: there is nothing to %s", s->measure, state,
					custos_action_name(s->action));
	return 0;
}

/* Whether p may ask to extend the measure to s->until. */
static int check_extend(const json_t *life, const custos_statement *s, const custos_principal *p)
{
	const char *state = wf_jstr(life, "state");
	const json_t *w = json_object_get(life, "window");
	custos_date wto, until, today = custos_date_today();
	int rc;
	if ((rc = check_own_authority(life, s, p)))
		return rc;
	if ((strcmp(state, "authorised") != 0 && strcmp(state, "extended") != 0) || !json_is_object(w) ||
	    custos_date_parse(&wto, wf_jstr(w, "to")))
		return custos_error_set(CUSTOS_EINVALID, "measure %s is %s: only an authorised measure is extended",
					s->measure, state);
	if (json_is_true(json_object_get(life, "round_open")))
		return custos_error_set(CUSTOS_EINVALID, "measure %s already waits for approvals (round %lld)",
					s->measure, (long long)json_integer_value(json_object_get(life, "round")));
	if (today > wto)
		return custos_error_set(CUSTOS_EINVALID, "measure %s expired on %s: file a new measure", s->measure,
					wf_jstr(w, "to"));
	custos_date_parse(&until, s->until);
	if (until <= wto)
		return custos_error_set(CUSTOS_EINVALID, "until: %s does not extend the window, which ends on %s", s->until,
					wf_jstr(w, "to"));
	return 0;
}

/*
 * After measure.extension_requested: the measure decided again for the days asked (from the day after its
 * window), logged as measure.extension_decided; a permitted extension is authorised at once.
 */
static int extend_decide(custos_store *st, const char *id, const char *actor)
{
	json_t *life = NULL;
	const json_t *w;
	custos_date wto, until;
	char *decision = NULL;
	int rc, complete = 0;
	if ((rc = wf_life_load(st, id, &life)))
		return rc;
	w = json_object_get(life, "window");
	if (custos_date_parse(&wto, wf_jstr(w, "to")) || custos_date_parse(&until, wf_jstr(life, "extension_until")))
		rc = custos_error_set(CUSTOS_ERROR, "measure %s: an extension without its window", id);
	if (!rc && !(rc = wf_decide_again(st, id, NULL, wto + 1, until, &decision)) &&
	    !(rc = wf_append(st, "measure.extension_decided", actor, id, decision, NULL, &complete)) && complete)
		rc = wf_authorize(st, id, actor);
	free(decision);
	json_decref(life);
	return rc;
}

int custos_statement_submit(custos_store *st, const char *note, size_t len, const char *actor, char **result)
{
	custos_note n;
	custos_statement s;
	custos_principal p;
	custos_verifier *v = NULL;
	json_t *life = NULL;
	char now[21];
	int64_t t_now, t_stmt;
	int rc, began = 0, complete = 0;

	memset(&n, 0, sizeof(n));
	memset(&p, 0, sizeof(p));
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
	if (s.round != (unsigned)json_integer_value(json_object_get(life, "round")) ||
	    strcmp(s.decision, wf_jstr(life, "decision")) != 0) {
		rc = custos_error_set(CUSTOS_EINVALID,
				      "statement: signs round %u, decision %s, but measure %s is at round %lld, decision %s",
				      s.round, s.decision, s.measure,
				      (long long)json_integer_value(json_object_get(life, "round")), wf_jstr(life, "decision"));
		goto out;
	}
	switch (s.action) {
	case CUSTOS_ACT_APPROVE:
	case CUSTOS_ACT_REFUSE:
	case CUSTOS_ACT_ACKNOWLEDGE:
		rc = check_signature(life, &s, &p);
		break;
	case CUSTOS_ACT_REVOKE:
	case CUSTOS_ACT_END:
		rc = check_stop(life, &s, &p);
		break;
	case CUSTOS_ACT_EXTEND:
		rc = check_extend(life, &s, &p);
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
	json_decref(life);
	life = NULL;
	if ((rc = wf_life_load(st, s.measure, &life)))
		goto out;
	json_object_set_new(life, "state", json_string(wf_life_effective(life, custos_date_today())));
	if (!(*result = wf_jdump(life))) {
		rc = wf_oom();
		goto out;
	}
	rc = custos_store_commit(st);
	began = 0;
	if (rc) {
		free(*result);
		*result = NULL;
	}
out:
	if (began)
		custos_store_abort(st, rc);
	json_decref(life);
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
static int statement_confirms(custos_statement *s, const json_t *life, const char *confirm)
{
	const json_t *as = json_object_get(life, "assertions"), *x;
	size_t i;
	if (confirm && strcmp(confirm, "none") == 0)
		return 0;
	if (!confirm) {
		json_array_foreach(as, i, x)
		{
			if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0)
				continue;
			if (s->nconfirms == CUSTOS_CONFIRM_MAX)
				return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
			wf_assertion_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, x);
		}
		return 0;
	}
	for (const char *c = confirm; *c;) {
		const char *end = strchr(c, ','), *at;
		size_t n = end ? (size_t)(end - c) : strlen(c);
		const json_t *hit = NULL;
		char want[CUSTOS_CONFIRM_LINE];
		if (n == 0 || n >= sizeof(want))
			return custos_error_set(CUSTOS_EINVALID, "confirm: expected FLAG[@PARTY],... or none");
		memcpy(want, c, n);
		want[n] = '\0';
		at = strchr(want, '@');
		json_array_foreach(as, i, x)
		{
			const char *party = json_string_value(json_object_get(x, "party"));
			size_t fl = at ? (size_t)(at - want) : n;
			if (strlen(wf_jstr(x, "flag")) == fl && strncmp(wf_jstr(x, "flag"), want, fl) == 0 &&
			    (at ? party && strcmp(party, at + 1) == 0 : !party)) {
				hit = x;
				break;
			}
		}
		if (!hit)
			return custos_error_set(CUSTOS_EINVALID, "confirm: measure %s asserts no fact '%s'", s->measure, want);
		if (s->nconfirms == CUSTOS_CONFIRM_MAX)
			return custos_error_set(CUSTOS_ELIMIT, "confirm: more than %d asserted facts", CUSTOS_CONFIRM_MAX);
		wf_assertion_line(s->confirms[s->nconfirms++], CUSTOS_CONFIRM_LINE, hit);
		c += n + (end ? 1 : 0);
	}
	return 0;
}

/* The statement for `action` on measure id by principal p: its current round and decision, now. */
static int statement_build(custos_store *st, const char *id, custos_action action, const char *role,
			   const char *reason, const char *until, const char *confirm, const custos_principal *p,
			   custos_statement *s)
{
	json_t *life = NULL;
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
	s->round = (unsigned)json_integer_value(json_object_get(life, "round"));
	snprintf(s->decision, sizeof(s->decision), "%s", wf_jstr(life, "decision"));
	snprintf(s->role, sizeof(s->role), "%s", role);
	snprintf(s->principal, sizeof(s->principal), "%s", p->id);
	if (until)
		snprintf(s->until, sizeof(s->until), "%s", until);
	if (action == CUSTOS_ACT_APPROVE && (rc = statement_confirms(s, life, confirm))) {
		json_decref(life);
		return rc;
	}
	json_decref(life);
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
	json_t *life = NULL;
	int rc = wf_life_load(st, id, &life);
	if (!rc)
		snprintf(state, 16, "%s", wf_life_effective(life, today));
	json_decref(life);
	return rc;
}

int custos_measure_life(custos_store *st, const char *id, custos_date today, char **json)
{
	json_t *life = NULL;
	int rc = wf_life_load(st, id, &life);
	*json = NULL;
	if (rc)
		return rc;
	json_object_set_new(life, "state", json_string(wf_life_effective(life, today)));
	*json = wf_jdump(life);
	json_decref(life);
	return *json ? 0 : wf_oom();
}

/* Whether the life waits for `role`: an open round's approval, an acknowledgement, or (comite_r) a suspension. */
static int life_waits_for(const json_t *life, const char *role)
{
	static const char *const closed[] = {"forbidden", "refused", "revoked", "ended", NULL};
	json_t *a;
	size_t i;
	int waits = 0, open;
	if (is_state(wf_jstr(life, "state"), closed))
		return 0;
	open = json_is_true(json_object_get(life, "round_open"));
	json_array_foreach(json_object_get(life, "approvals"), i, a)
	{
		if (strcmp(wf_jstr(a, "role"), role) != 0 || strcmp(wf_jstr(a, "state"), "pending") != 0)
			continue;
		if (strcmp(wf_jstr(a, "kind"), "notify") == 0 || open)
			waits = 1;
	}
	if (strcmp(role, "comite_r") == 0 && strcmp(wf_jstr(life, "state"), "suspended") == 0)
		waits = 1;
	return waits;
}

int custos_measure_waits_for(custos_store *st, const char *id, const char *role)
{
	json_t *life = NULL;
	int waits;
	if (wf_life_load(st, id, &life))
		return 0;
	waits = life_waits_for(life, role);
	json_decref(life);
	return waits;
}

int custos_measure_concerns(custos_store *st, const char *id, const custos_principal *p)
{
	json_t *life = NULL;
	int yes;
	if (wf_life_load(st, id, &life))
		return 0;
	yes = json_object_get(json_object_get(life, "signers"), p->id) != NULL;
	for (size_t i = 0; !yes && i < p->nroles; i++)
		yes = life_waits_for(life, p->roles[i]);
	json_decref(life);
	return yes;
}

