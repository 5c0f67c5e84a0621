/* analyse.c — static analysis of a rule set: rules that never fire, rules a forbid shadows, forbids that disagree with a lifted protection. */
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

/*
 * Each question asks whether some measure (and subject) makes a set of
 * conditions hold and another fail. Every attribute a question reads gets
 * a small set of candidate values — each value of an enum, true/false,
 * null, the constants the conditions compare with, and two "other" values
 * (so that two attributes can be equal or differ) — and a depth-first
 * search assigns them one attribute at a time, evaluating the conditions
 * in three-valued logic so that a branch is cut as soon as its outcome is
 * known. Fields the measure contract ties together (scope only for an
 * interception, ...) are kept consistent. A search that exceeds its
 * budget answers "unknown", and the question is left out of the report.
 */

#define CAND_MAX 96
#define SEARCH_BUDGET 200000
#define OTHER1 0x7a79 /* two country codes no rule can write ("zy", "zz") */
#define OTHER2 0x7a7a

enum { TV_FALSE = 0, TV_TRUE = 1, TV_UNKNOWN = 2 };

typedef struct var {
	int attr; /* RA_PERIOD_FROM stands for the (from, to) pair */
	rules_rt cand[CAND_MAX];
	custos_date to[CAND_MAX]; /* the period's last day, for the pair */
	size_t ncand;
} var;

typedef struct question {
	const rules_node *pos[2]; /* must hold (NULL: always) */
	size_t npos;
	const rules_node *neg; /* must not hold (NULL: no such condition) */
	rules_rt vals[RA__COUNT];
	bool set[RA__COUNT];
	var vars[RA__COUNT];
	size_t nvars;
	long budget;
} question;

static const char other_string[] = "\x01other";

static int eval3(const question *q, const rules_node *n)
{
	int r, unknown = 0;
	switch (n->op) {
	case RN_OR:
	case RN_AND:
		for (size_t i = 0; i < n->nkids; i++) {
			r = eval3(q, n->kids[i]);
			if (r == TV_UNKNOWN)
				unknown = 1;
			else if (r == (n->op == RN_OR ? TV_TRUE : TV_FALSE))
				return r;
		}
		return unknown ? TV_UNKNOWN : n->op == RN_OR ? TV_FALSE : TV_TRUE;
	case RN_NOT:
		r = eval3(q, n->kids[0]);
		return r == TV_UNKNOWN ? r : !r;
	default:
		if (!q->set[n->attr])
			return TV_UNKNOWN;
		if ((n->op == RN_EQ || n->op == RN_NE) && n->rhs.kind == RV_ATTR && !q->set[n->rhs.attr])
			return TV_UNKNOWN;
		if (n->op == RN_IN || n->op == RN_NOTIN) {
			for (size_t i = 0; i < n->member.nattrs; i++)
				if (!q->set[n->member.attrs[i]])
					return TV_UNKNOWN;
			if (n->member.int_from && !q->set[RA_PERIOD_FROM])
				return TV_UNKNOWN;
		}
		return rules_holds(n, q->vals) ? TV_TRUE : TV_FALSE;
	}
}

/* The measure contract (DESIGN.md §4) ties some fields together; an assignment that breaks it is no measure. */
static bool consistent(const question *q)
{
	const bool *s = q->set;
	const rules_rt *v = q->vals;
	int kind = s[RA_KIND] ? v[RA_KIND].i : -2;
	if (kind == -2)
		return true;
	if (s[RA_SCOPE] && (kind == CUSTOS_KIND_INTERCEPTION) != (v[RA_SCOPE].i >= 0))
		return false;
	if (s[RA_TRANSFER_BASIS] && v[RA_TRANSFER_BASIS].i >= 0 && kind != CUSTOS_KIND_DATA_TRANSFER)
		return false;
	if (s[RA_REQUESTED_MEASURE] && v[RA_REQUESTED_MEASURE].i >= 0 && kind != CUSTOS_KIND_MLA_REQUEST)
		return false;
	if (s[RA_REQUESTING_STATE] && v[RA_REQUESTING_STATE].i < 0 &&
	    (kind == CUSTOS_KIND_DATA_TRANSFER || kind == CUSTOS_KIND_MLA_REQUEST || kind == CUSTOS_KIND_INTELLIGENCE_EXCHANGE))
		return false;
	if (s[RA_ORIGINATING_STATE] && v[RA_ORIGINATING_STATE].i >= 0 && kind != CUSTOS_KIND_DATA_TRANSFER)
		return false;
	if (s[RA_ORIGINATING_AUTHORISATION] && v[RA_ORIGINATING_AUTHORISATION].s && kind != CUSTOS_KIND_DATA_TRANSFER)
		return false;
	return true;
}

/* TV_TRUE: found; TV_FALSE: this branch cannot; TV_UNKNOWN: assign more. */
static int status(const question *q)
{
	int unknown = 0;
	if (!consistent(q))
		return TV_FALSE;
	for (size_t i = 0; i < q->npos; i++) {
		int r = q->pos[i] ? eval3(q, q->pos[i]) : TV_TRUE;
		if (r == TV_FALSE)
			return TV_FALSE;
		unknown |= r == TV_UNKNOWN;
	}
	if (q->neg) {
		int r = eval3(q, q->neg);
		if (r == TV_TRUE)
			return TV_FALSE;
		unknown |= r == TV_UNKNOWN;
	}
	return unknown ? TV_UNKNOWN : TV_TRUE;
}

/* 1: satisfiable, 0: not, -1: over budget. */
static int search(question *q, size_t k)
{
	int st;
	if (--q->budget < 0)
		return -1;
	st = status(q);
	if (st != TV_UNKNOWN)
		return st == TV_TRUE;
	if (k == q->nvars)
		return 0; /* every attribute read is assigned: cannot be unknown, but be safe */
	var *v = &q->vars[k];
	for (size_t i = 0; i < v->ncand; i++) {
		int r;
		q->vals[v->attr] = v->cand[i];
		q->set[v->attr] = true;
		if (v->attr == RA_PERIOD_FROM) {
			q->vals[RA_PERIOD_TO].i = v->to[i];
			q->set[RA_PERIOD_TO] = true;
		}
		r = search(q, k + 1);
		if (r)
			return r;
	}
	q->set[v->attr] = false;
	if (v->attr == RA_PERIOD_FROM)
		q->set[RA_PERIOD_TO] = false;
	return 0;
}

static var *var_of(question *q, int attr)
{
	for (size_t i = 0; i < q->nvars; i++)
		if (q->vars[i].attr == attr)
			return &q->vars[i];
	q->vars[q->nvars].attr = attr;
	q->vars[q->nvars].ncand = 0;
	return &q->vars[q->nvars++];
}

static void cand_add(var *v, rules_rt c, custos_date to)
{
	for (size_t i = 0; i < v->ncand; i++) {
		bool same = rules_attrs[v->attr].type == RT_STRING
				    ? (v->cand[i].s == c.s || (v->cand[i].s && c.s && strcmp(v->cand[i].s, c.s) == 0))
				    : v->cand[i].i == c.i && (v->attr != RA_PERIOD_FROM || v->to[i] == to);
		if (same)
			return;
	}
	if (v->ncand < CAND_MAX) {
		v->to[v->ncand] = to;
		v->cand[v->ncand++] = c;
	}
}

/* The values an attribute of each type can take, before the constants of the conditions. */
static void cand_base(var *v)
{
	static const int counts[RT__COUNT] = {[RT_KIND] = CUSTOS_KIND__COUNT,   [RT_SCOPE] = CUSTOS_SCOPE__COUNT,
					      [RT_FRAMEWORK] = CUSTOS_FW__COUNT,   [RT_BASIS] = CUSTOS_BASIS__COUNT,
					      [RT_CATEGORY] = CUSTOS_CAT__COUNT,   [RT_STATUS] = CUSTOS_STATUS__COUNT,
					      [RT_PLACE] = CUSTOS_PLACE__COUNT,    [RT_BAG] = CUSTOS_BAG__COUNT,
					      [RT_BOOL] = 2};
	rules_type t = rules_attrs[v->attr].type;
	bool nullable = v->attr == RA_REQUESTED_MEASURE || t == RT_SCOPE || t == RT_BASIS || t == RT_BAG;
	switch (t) {
	case RT_COUNTRY:
		cand_add(v, (rules_rt){.i = -1}, 0);
		cand_add(v, (rules_rt){.i = OTHER1}, 0);
		cand_add(v, (rules_rt){.i = OTHER2}, 0);
		return;
	case RT_STRING:
		cand_add(v, (rules_rt){.s = NULL}, 0);
		cand_add(v, (rules_rt){.s = other_string}, 0);
		return;
	default:
		break;
	}
	if (t >= RT__COUNT)
		return;
	if (nullable)
		cand_add(v, (rules_rt){.i = -1}, 0);
	/* scope, basis and bag keep code 0 for "none": null stands for it */
	for (int i = nullable && v->attr != RA_REQUESTED_MEASURE ? 1 : 0; i < counts[t]; i++)
		cand_add(v, (rules_rt){.i = i}, 0);
}

/* Collects the attributes a condition reads and the constants it compares them with. */
static void collect(question *q, const rules_node *n)
{
	var *v;
	if (!n)
		return;
	if (n->op == RN_OR || n->op == RN_AND || n->op == RN_NOT) {
		for (size_t i = 0; i < n->nkids; i++)
			collect(q, n->kids[i]);
		return;
	}
	v = var_of(q, n->attr);
	if (!v->ncand)
		cand_base(v);
	if ((n->op == RN_EQ || n->op == RN_NE) && n->rhs.kind == RV_ATTR) {
		var *w = var_of(q, n->rhs.attr);
		if (!w->ncand)
			cand_base(w);
	} else if ((n->op == RN_EQ || n->op == RN_NE) && n->rhs.kind != RV_NULL) {
		if (rules_attrs[n->attr].type == RT_COUNTRY || rules_attrs[n->attr].type == RT_STRING)
			cand_add(v, n->rhs_const, 0);
	}
	if (n->op == RN_IN || n->op == RN_NOTIN) {
		for (size_t i = 0; i < n->member.nints; i++)
			cand_add(v, (rules_rt){.i = n->member.ints[i]}, 0);
		for (size_t i = 0; i < n->member.nstrs; i++)
			cand_add(v, (rules_rt){.s = n->member.strs[i]}, 0);
		for (size_t i = 0; i < n->member.nattrs; i++) {
			var *w = var_of(q, n->member.attrs[i]);
			if (!w->ncand)
				cand_base(w);
		}
		if (n->member.int_from) {
			/* periods of one day at and around each date, and one spanning them all */
			var *p = var_of(q, RA_PERIOD_FROM);
			custos_date lo = 0, hi = 0;
			bool any = false;
			for (size_t i = 0; i < n->member.nints; i++) {
				custos_date d[2] = {n->member.int_from[i], n->member.int_to[i]};
				for (int k = 0; k < 2; k++) {
					if (d[k] == CUSTOS_DATE_NONE)
						continue;
					for (int delta = -1; delta <= 1; delta++)
						cand_add(p, (rules_rt){.i = d[k] + delta}, d[k] + delta);
					lo = any && lo < d[k] ? lo : d[k];
					hi = any && hi > d[k] ? hi : d[k];
					any = true;
				}
			}
			cand_add(p, (rules_rt){.i = lo - 1}, hi + 1);
		}
	}
}

/* 1: some measure makes every `pos` hold and `neg` fail; 0: none; -1: over budget. */
static int satisfiable(const rules_node *const *pos, size_t npos, const rules_node *neg)
{
	question *q = calloc(1, sizeof(*q));
	int r;
	if (!q)
		return -1;
	q->npos = npos;
	for (size_t i = 0; i < npos; i++) {
		q->pos[i] = pos[i];
		collect(q, pos[i]);
	}
	q->neg = neg;
	collect(q, neg);
	q->budget = SEARCH_BUDGET;
	r = search(q, 0);
	free(q);
	return r;
}

/* A rule that lets a protection be lifted on a confirmed fact (not only a ground confirmed absent). */
static bool lifts(const rules_rule *r)
{
	for (size_t i = 0; i < r->nconfirms; i++)
		if (!r->confirms[i].negated)
			return true;
	return false;
}

static bool has_effect(const rules_rule *r, custos_effect e)
{
	for (size_t i = 0; i < r->neffects; i++)
		if (r->effects[i].kind == e)
			return true;
	return false;
}

/* Whether two rules can hold on the same situation by the pre-filters alone. */
static bool may_meet(const rules_rule *a, const rules_rule *b)
{
	if (!(a->kinds & b->kinds))
		return false;
	return !(a->per_party && b->per_party) || (a->categories & b->categories);
}

static int put_id(custos_buf *b, const char *key, const char *id)
{
	int rc = custos_buf_puts(b, key);
	return rc ? rc : custos_buf_json_string(b, id);
}

int custos_rules_analyse(const custos_ruleset *rs, char **json)
{
	custos_buf b;
	bool *never = calloc(rs->nrules + 1, sizeof(*never));
	size_t unsearched = 0, n = 0;
	int rc = 0;

	*json = NULL;
	if (!never)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	custos_buf_init(&b, RULES_MAX_CANON);
	rc = custos_buf_puts(&b, "{\"never_fires\":[");
	for (size_t i = 0; !rc && i < rs->nrules; i++) {
		const rules_rule *r = &rs->rules[i];
		const rules_node *when[1] = {r->when};
		int s = r->kinds ? satisfiable(when, 1, NULL) : 0;
		unsearched += s < 0;
		if (s == 0) {
			never[i] = true;
			rc = n++ ? custos_buf_puts(&b, ",") : 0;
			if (!rc)
				rc = custos_buf_json_string(&b, r->id);
		}
	}
	n = 0;
	if (!rc)
		rc = custos_buf_puts(&b, "],\"shadowed\":[");
	for (size_t i = 0; !rc && i < rs->nrules; i++) {
		const rules_rule *r = &rs->rules[i];
		if (never[i] || has_effect(r, CUSTOS_EFFECT_FORBID) || has_effect(r, CUSTOS_EFFECT_REJECT))
			continue;
		for (size_t j = 0; !rc && j < rs->nrules; j++) {
			const rules_rule *f = &rs->rules[j];
			const rules_node *when[1] = {r->when};
			int s;
			if (j == i || never[j] || !has_effect(f, CUSTOS_EFFECT_FORBID) || !may_meet(r, f) ||
			    (f->per_party && !r->per_party))
				continue;
			s = satisfiable(when, 1, f->when);
			unsearched += s < 0;
			if (s == 0) {
				rc = custos_buf_puts(&b, n++ ? ",{" : "{");
				if (!rc && !(rc = put_id(&b, "\"rule\":", r->id)) && !(rc = put_id(&b, ",\"by\":", f->id)))
					rc = custos_buf_puts(&b, "}");
				break;
			}
		}
	}
	n = 0;
	if (!rc)
		rc = custos_buf_puts(&b, "],\"disagree\":[");
	for (size_t i = 0; !rc && i < rs->nrules; i++) {
		const rules_rule *f = &rs->rules[i];
		if (never[i] || !has_effect(f, CUSTOS_EFFECT_FORBID))
			continue;
		for (size_t j = 0; !rc && j < rs->nrules; j++) {
			const rules_rule *l = &rs->rules[j];
			const rules_node *both[2] = {f->when, l->when};
			int s;
			/* the same protected party: one rule forbids, the other lets its protection be lifted */
			if (j == i || never[j] || !lifts(l) || has_effect(l, CUSTOS_EFFECT_FORBID) || !f->per_party ||
			    !l->per_party || !may_meet(f, l) || strcmp(f->cite, l->cite) == 0)
				continue;
			s = satisfiable(both, 2, NULL);
			unsearched += s < 0;
			if (s == 1) {
				rc = custos_buf_puts(&b, n++ ? ",{" : "{");
				if (!rc && !(rc = put_id(&b, "\"forbid\":", f->id)) && !(rc = put_id(&b, ",\"lifts\":", l->id)) &&
				    !(rc = put_id(&b, ",\"cites\":[", f->cite)) && !(rc = put_id(&b, ",", l->cite)))
					rc = custos_buf_puts(&b, "]}");
			}
		}
	}
	if (!rc)
		rc = custos_buf_printf(&b, "],\"unsearched\":%zu}", unsearched);
	free(never);
	if (rc) {
		custos_buf_dispose(&b);
		return rc == CUSTOS_ENOMEM ? custos_error_set(rc, "out of memory") : rc;
	}
	*json = custos_buf_detach(&b);
	return *json ? 0 : custos_error_set(CUSTOS_ENOMEM, "out of memory");
}
