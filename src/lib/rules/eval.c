/* eval.c — evaluates a compiled rule set against a measure and its subjects into a decision. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

static int32_t country_rt(const char *s)
{
	if (!s[0] || !s[1])
		return -1;
	return ((int32_t)(unsigned char)s[0] << 8) | (unsigned char)s[1];
}

/* The measure's attribute values, as the rules see them (null = -1 / NULL). */
static void measure_values(rules_rt *v, const custos_measure *m)
{
	v[RA_KIND].i = (int32_t)m->kind;
	v[RA_REQUESTED_MEASURE].i =
		m->requested_measure >= 0 && m->requested_measure < CUSTOS_KIND__COUNT ? m->requested_measure : -1;
	v[RA_SCOPE].i = m->scope == CUSTOS_SCOPE_NONE ? -1 : (int32_t)m->scope;
	v[RA_FRAMEWORK].i = (int32_t)m->framework;
	v[RA_TRANSFER_BASIS].i = m->transfer_basis == CUSTOS_BASIS_NONE ? -1 : (int32_t)m->transfer_basis;
	v[RA_REQUESTING_STATE].i = country_rt(m->requesting_state);
	v[RA_REQUESTED_BY].s = m->requested_by;
	v[RA_OFFENCE].s = m->offence;
	v[RA_GROUNDS].s = m->grounds;
	v[RA_TREATY].s = m->treaty;
	v[RA_WAIVER].s = m->waiver;
	v[RA_GRAVE_CRIME].i = m->grave_crime;
	v[RA_PERSONAL_INVOLVEMENT].i = m->personal_involvement;
	v[RA_CONCERNS_MANDATE].i = m->concerns_mandate;
	v[RA_POLITICAL_OFFENCE].i = m->political_offence;
	v[RA_POLITICAL_MOTIVATION].i = m->political_motivation;
	v[RA_ESSENTIAL_INTERESTS].i = m->essential_interests;
	v[RA_RECIPROCITY].i = m->reciprocity;
	v[RA_DIPLOMATIC_BAG].i = m->diplomatic_bag == CUSTOS_BAG_NONE ? -1 : (int32_t)m->diplomatic_bag;
	v[RA_PLACE].i = (int32_t)m->place;
	v[RA_CONCERNS_OFFICIAL_ACTS].i = m->concerns_official_acts;
	v[RA_PREVENTS_GRAVE_THREAT].i = m->prevents_grave_threat;
	v[RA_SUSPECTS_USE_MEANS].i = m->suspects_use_means;
	v[RA_ORIGINATING_STATE].i = country_rt(m->originating_state);
	v[RA_ORIGINATING_AUTHORISATION].s = m->originating_authorisation;
	v[RA_PERIOD_FROM].i = m->from;
	v[RA_PERIOD_TO].i = m->to;
}

/*
 * A dated member counts only if it is a member on every day of the
 * measure's period: so `in` a dated list holds for the whole period, and
 * `not in` holds if on any day the state was not a member.
 */
static bool member_on_every_day(const rules_member *m, size_t i, const rules_rt *vals)
{
	if (!m->int_from)
		return true;
	return (m->int_from[i] == CUSTOS_DATE_NONE || m->int_from[i] <= vals[RA_PERIOD_FROM].i) &&
	       (m->int_to[i] == CUSTOS_DATE_NONE || m->int_to[i] >= vals[RA_PERIOD_TO].i);
}

/*
 * The reference of the grant (waiver or consent) the measure carries for
 * party p, or NULL. A grant counts only for the party it names and only
 * when it comes from that party's sending state (VCDR 32: a waiver for one
 * state's diplomat covers no other); a party without a sending state (an
 * MEP, whose immunity the Parliament waives) is matched on its id alone.
 */
static const char *grant_for(const custos_grant *g, size_t n, const custos_party *p)
{
	if (!p->id)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i].party, p->id) == 0 && (!p->sending_state[0] || strcmp(g[i].state, p->sending_state) == 0))
			return g[i].reference;
	return NULL;
}

/* A subject's attribute values (the party's, with the status computed for this measure). */
static void party_values(rules_rt *v, const custos_subject *s, const custos_measure *m)
{
	static const custos_party none = {.category = (custos_category)-1};
	const custos_party *p = s->party ? s->party : &none;
	v[RA_P_STATUS].i = (int32_t)s->status;
	v[RA_P_ID].s = p->id;
	v[RA_P_MISSION].s = p->mission;
	v[RA_P_WAIVER].s = grant_for(m->waivers, m->nwaivers, p);
	if (!v[RA_P_WAIVER].s)
		v[RA_P_WAIVER].s = p->waiver; /* a waiver the registry records for the party */
	v[RA_P_CONSENT].s = grant_for(m->consents, m->nconsents, p);
	v[RA_P_CATEGORY].i = (int32_t)p->category;
	v[RA_P_NATIONALITY].i = country_rt(p->nationality);
	v[RA_P_SENDING_STATE].i = country_rt(p->sending_state);
	v[RA_P_COUNTRY_OF_ORIGIN].i = country_rt(p->country_of_origin);
	v[RA_P_PERMANENT_RESIDENT].i = p->permanent_resident;
}

static bool is_string(int attr)
{
	return rules_attrs[attr].type == RT_STRING;
}

static bool is_null(int attr, const rules_rt *v)
{
	return is_string(attr) ? v->s == NULL : v->i < 0;
}

/* a = b for two non-constant values of the same type; null equals nothing. */
static bool same(int attr, const rules_rt *a, const rules_rt *b)
{
	if (is_string(attr))
		return a->s && b->s && strcmp(a->s, b->s) == 0;
	return a->i >= 0 && a->i == b->i;
}

static bool member(const rules_node *n, const rules_rt *vals)
{
	const rules_member *m = &n->member;
	const rules_rt *v = &vals[n->attr];
	if (is_null(n->attr, v)) {
		if (m->has_null)
			return true;
	} else if (is_string(n->attr)) {
		for (size_t i = 0; i < m->nstrs; i++)
			if (strcmp(v->s, m->strs[i]) == 0)
				return true;
	} else {
		if (v->i < 64 && ((m->mask >> v->i) & 1))
			return true;
		for (size_t i = 0; i < m->nints; i++)
			if (v->i == m->ints[i] && member_on_every_day(m, i, vals))
				return true;
	}
	for (size_t i = 0; i < m->nattrs; i++)
		if (same(n->attr, v, &vals[m->attrs[i]]))
			return true;
	return false;
}

static bool equal(const rules_node *n, const rules_rt *vals)
{
	const rules_rt *v = &vals[n->attr];
	switch (n->rhs.kind) {
	case RV_NULL:
		return is_null(n->attr, v);
	case RV_ATTR:
		return same(n->attr, v, &vals[n->rhs.attr]);
	default:
		if (is_string(n->attr))
			return v->s && strcmp(v->s, n->rhs_const.s) == 0;
		return v->i == n->rhs_const.i;
	}
}

static bool holds(const rules_node *n, const rules_rt *vals);

bool rules_holds(const rules_node *n, const rules_rt *vals)
{
	return holds(n, vals);
}

/* Recursion is bounded by RULES_MAX_DEPTH (the parser refuses deeper nesting). */
static bool holds(const rules_node *n, const rules_rt *vals)
{
	switch (n->op) {
	case RN_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (holds(n->kids[i], vals))
				return true;
		return false;
	case RN_AND:
		for (size_t i = 0; i < n->nkids; i++)
			if (!holds(n->kids[i], vals))
				return false;
		return true;
	case RN_NOT:
		return !holds(n->kids[0], vals);
	case RN_TRUTH: {
		const rules_rt *v = &vals[n->attr];
		if (is_string(n->attr))
			return v->s && v->s[0];
		return rules_attrs[n->attr].type == RT_BOOL ? v->i == 1 : v->i >= 0;
	}
	case RN_EQ:
		return equal(n, vals);
	case RN_NE:
		return !equal(n, vals);
	case RN_IN:
		return member(n, vals);
	case RN_NOTIN:
		return !member(n, vals);
	}
	return false;
}

/*
 * A static pre-filter: the set of codes of an enum attribute (measure.kind,
 * party.category) under which a condition can possibly hold. Tests of that
 * attribute against constants give exact sets; `and` intersects, `or`
 * unites, `not` complements a set only when its operand is exact; anything
 * else may hold under every code. Evaluation skips a rule (or a subject)
 * whose code is outside the set, which changes no result.
 */
static uint64_t feasible(const rules_node *n, int attr, bool *exact)
{
	uint64_t m, all = ~(uint64_t)0;
	bool e;
	*exact = false;
	switch (n->op) {
	case RN_AND:
	case RN_OR:
		m = n->op == RN_AND ? all : 0;
		*exact = true;
		for (size_t i = 0; i < n->nkids; i++) {
			uint64_t k = feasible(n->kids[i], attr, &e);
			m = n->op == RN_AND ? m & k : m | k;
			*exact = *exact && e;
		}
		return m;
	case RN_NOT:
		m = feasible(n->kids[0], attr, &e);
		if (!e)
			return all;
		*exact = true;
		return ~m;
	case RN_EQ:
	case RN_NE:
		if (n->attr != attr || n->rhs.kind == RV_ATTR || n->rhs.kind == RV_NULL)
			return all;
		*exact = true;
		m = (uint64_t)1 << n->rhs_const.i;
		return n->op == RN_EQ ? m : ~m;
	case RN_IN:
	case RN_NOTIN:
		if (n->attr != attr || n->member.nattrs || n->member.has_null)
			return all;
		*exact = true;
		return n->op == RN_IN ? n->member.mask : ~n->member.mask;
	default:
		return all;
	}
}

uint64_t rules_feasible(const rules_node *n, int attr)
{
	bool exact;
	return n ? feasible(n, attr, &exact) : ~(uint64_t)0;
}

/* Findings collect here: on the stack for the usual few, on the heap past that. */
typedef struct collector {
	custos_finding *f;
	size_t n, cap;
	custos_finding *heap;
	custos_assertion *a; /* asserted facts (heap; rare) */
	size_t na, capa;
	int rc;
} collector;

/* Records the asserted facts a firing rule rests on, each (flag, party, role) once. */
static void assert_facts(collector *c, const rules_rule *r, const char *party, const rules_rt *vals)
{
	for (size_t i = 0; i < r->nconfirms && !c->rc; i++) {
		const rules_confirm *k = &r->confirms[i];
		const char *value = k->negated ? (vals[k->attr].i == 1 ? NULL : "false")
				    : rules_attrs[k->attr].type == RT_STRING ? vals[k->attr].s
				    : vals[k->attr].i == 1		     ? "true"
									     : NULL;
		const char *who = k->attr >= RA__MEASURE_COUNT ? party : NULL;
		size_t j;
		if (!value)
			continue; /* the rule held without the flag (or, negated, with it): nothing rests on it */
		for (j = 0; j < c->na; j++)
			if (c->a[j].flag == k->flag && c->a[j].confirm_by == k->role &&
			    (c->a[j].party == who || (who && c->a[j].party && strcmp(c->a[j].party, who) == 0)))
				break;
		if (j < c->na)
			continue;
		if (custos_array_reserve(&c->a, &c->capa, c->na, sizeof(*c->a), 4)) {
			c->rc = CUSTOS_ENOMEM;
			return;
		}
		c->a[c->na++] = (custos_assertion){k->flag, value, r->id, k->role, who};
	}
}

static void emit(collector *c, const rules_rule *r, const char *party)
{
	for (size_t i = 0; i < r->neffects; i++) {
		const rules_effect *e = &r->effects[i];
		if (c->n == c->cap) {
			size_t cap = c->cap * 2;
			custos_finding *p = realloc(c->heap, cap * sizeof(*p));
			if (!p) {
				c->rc = CUSTOS_ENOMEM;
				return;
			}
			if (!c->heap)
				memcpy(p, c->f, c->n * sizeof(*p));
			c->heap = c->f = p;
			c->cap = cap;
		}
		custos_finding *f = &c->f[c->n++];
		f->rule = r->id;
		f->effect = e->kind;
		f->role = e->role;
		f->max_days = e->max_days;
		f->minimise = e->minimise;
		f->cite = r->cite;
		f->explain = r->explain;
		f->party = party;
		f->json_head = e->json_head;
		f->json_tail = e->json_tail;
	}
}

/*
 * Runs each rule in source order — only those that can hold for the
 * measure's kind (rs->by_kind) — a per-measure rule once, a per-party rule
 * once for each subject in order (skipping subjects whose category cannot
 * satisfy it). Then folds the findings into the decision:
 * outcome (forbid > require > permitted), approvals (each role once, enum
 * order, required beating notify), the smallest max_days, the distinct
 * minimise conditions, and the first reject. The decision's arrays share one
 * allocation headed by `findings`.
 */
int custos_rules_evaluate(custos_decision *out, const custos_ruleset *rs, const custos_measure *m,
			  const custos_subject *subjects, size_t nsubjects)
{
	rules_rt mvals[RA__COUNT], svals_stack[8][RA__COUNT], (*svals)[RA__COUNT] = svals_stack;
	custos_finding stack[128];
	collector c = {stack, 0, sizeof(stack) / sizeof(stack[0]), NULL, NULL, 0, 0, 0};
	uint32_t required = 0, notified = 0;
	size_t nmin = 0, nappr = 0, reject = (size_t)-1;
	int max_days = 0;
	bool forbid = false;
	const uint32_t *idx;
	size_t nidx;

	memset(out, 0, sizeof(*out));
	if ((unsigned)m->kind >= CUSTOS_KIND__COUNT)
		return custos_error_set(CUSTOS_EINVALID, "measure: bad kind %d", (int)m->kind);
	idx = rs->by_kind[m->kind];
	nidx = rs->nby_kind[m->kind];
	measure_values(mvals, m);
	if (nsubjects > sizeof(svals_stack) / sizeof(svals_stack[0])) {
		if (nsubjects > SIZE_MAX / sizeof(*svals) || !(svals = malloc(nsubjects * sizeof(*svals))))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	/* each subject sees the measure's values and its own */
	for (size_t s = 0; s < nsubjects; s++) {
		memcpy(svals[s], mvals, RA__MEASURE_COUNT * sizeof(rules_rt));
		party_values(svals[s], &subjects[s], m);
	}
	for (size_t j = 0; j < nidx && !c.rc; j++) {
		const rules_rule *r = &rs->rules[idx[j]];
		if (!r->per_party) {
			if (!r->when || holds(r->when, mvals)) {
				emit(&c, r, NULL);
				if (r->nconfirms)
					assert_facts(&c, r, NULL, mvals);
			}
			continue;
		}
		for (size_t s = 0; s < nsubjects && !c.rc; s++)
			if (((r->categories >> (svals[s][RA_P_CATEGORY].i & 63)) & 1) && holds(r->when, svals[s])) {
				const char *pid = subjects[s].party ? subjects[s].party->id : NULL;
				emit(&c, r, pid);
				if (r->nconfirms)
					assert_facts(&c, r, pid, svals[s]);
			}
	}
	if (svals != svals_stack)
		free(svals);
	if (c.rc) {
		free(c.heap);
		free(c.a);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	if (c.n == 0)
		return 0;

	for (size_t i = 0; i < c.n; i++) {
		const custos_finding *f = &c.f[i];
		switch (f->effect) {
		case CUSTOS_EFFECT_FORBID:
			forbid = true;
			break;
		case CUSTOS_EFFECT_REQUIRE:
			required |= 1u << f->role;
			break;
		case CUSTOS_EFFECT_NOTIFY:
			notified |= 1u << f->role;
			break;
		case CUSTOS_EFFECT_CONDITION:
			if (f->max_days && (!max_days || f->max_days < max_days))
				max_days = f->max_days;
			if (f->minimise)
				nmin++;
			break;
		case CUSTOS_EFFECT_REJECT:
			if (reject == (size_t)-1)
				reject = i;
			break;
		default:
			break;
		}
	}
	for (int r = 0; r < CUSTOS_ROLE__COUNT; r++)
		nappr += ((required | notified) >> r) & 1;

	size_t sz = c.n * sizeof(custos_finding) + nmin * sizeof(const char *) + nappr * sizeof(custos_approval) +
		    c.na * sizeof(custos_assertion);
	unsigned char *block = malloc(sz);
	if (!block) {
		free(c.heap);
		free(c.a);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	if (c.na) {
		out->assertions = (custos_assertion *)(block + c.n * sizeof(custos_finding) +
						       nmin * sizeof(const char *) + nappr * sizeof(custos_approval));
		memcpy(out->assertions, c.a, c.na * sizeof(custos_assertion));
		out->nassertions = c.na;
	}
	free(c.a);
	out->findings = (custos_finding *)block;
	memcpy(out->findings, c.f, c.n * sizeof(custos_finding));
	out->nfindings = c.n;
	out->minimise = (const char **)(block + c.n * sizeof(custos_finding));
	out->approvals = (custos_approval *)(block + c.n * sizeof(custos_finding) + nmin * sizeof(const char *));
	free(c.heap);

	for (size_t i = 0; i < out->nfindings; i++) {
		const char *w = out->findings[i].minimise;
		size_t k;
		if (!w)
			continue;
		for (k = 0; k < out->nminimise && out->minimise[k] != w; k++)
			;
		if (k == out->nminimise)
			out->minimise[out->nminimise++] = w;
	}
	for (int r = 0; r < CUSTOS_ROLE__COUNT; r++) {
		if (!(((required | notified) >> r) & 1))
			continue;
		out->approvals[out->napprovals].role = (custos_role)r;
		out->approvals[out->napprovals].notify = !((required >> r) & 1);
		out->napprovals++;
	}
	if (!nappr)
		out->approvals = NULL;
	if (!nmin)
		out->minimise = NULL;
	out->max_days = max_days;
	out->reject = reject == (size_t)-1 ? NULL : &out->findings[reject];
	out->outcome = forbid ? CUSTOS_OUTCOME_FORBIDDEN
		       : required ? CUSTOS_OUTCOME_NEEDS_APPROVAL
				  : CUSTOS_OUTCOME_PERMITTED;
	return 0;
}

void custos_decision_dispose(custos_decision *d)
{
	if (!d)
		return;
	free(d->findings);
	memset(d, 0, sizeof(*d));
}
