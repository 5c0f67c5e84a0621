/* decide.c — screens a measure's targets and persons over its period and applies the rules. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/workflow.h"
#include "util/util.h"

static int subject_add(custos_verdict *v, size_t *cap, const custos_party *p, custos_status status, const char *via,
		       const char *matched)
{
	int rc;
	for (size_t i = 0; i < v->nsubjects; i++)
		if (v->subjects[i].party == p)
			return 0; /* first selector that hit wins */
	if ((rc = custos_array_reserve(&v->subjects, cap, v->nsubjects, sizeof(*v->subjects), 8)))
		return rc;
	v->subjects[v->nsubjects++] = (custos_subject){p, status, via, matched};
	return 0;
}

static int screen_into(custos_verdict *v, size_t *cap, const custos_registry *reg, const custos_selector *sel,
		       const custos_measure *m, int grace)
{
	custos_hit *hits = NULL;
	size_t n = 0;
	int rc = custos_registry_screen(&hits, &n, reg, sel, m->from, m->to, grace, 1);
	for (size_t i = 0; !rc && i < n; i++)
		rc = subject_add(v, cap, hits[i].party, hits[i].status, sel->text, hits[i].matched->text);
	free(hits);
	return rc;
}

static int has_refugee_via(const custos_verdict *v, const char *via)
{
	for (size_t i = 0; i < v->nsubjects; i++)
		if (v->subjects[i].via == via && v->subjects[i].party->category == CUSTOS_CAT_REFUGEE)
			return 1;
	return 0;
}

/*
 * A person the measure names as a refugee ("refugee_in" set) is protected
 * even if the registry does not list them: custos makes a refugee party
 * whose country of origin is the person's nationality (the conservative
 * reading of LAW.md §7).
 */
static int add_person_refugees(custos_verdict *v, size_t *cap, const custos_measure *m)
{
	size_t nref = 0;
	for (size_t i = 0; i < m->npersons; i++)
		nref += m->persons[i].refugee_in[0] != '\0';
	if (!nref)
		return 0;
	v->synthetic = calloc(nref, sizeof(*v->synthetic));
	if (!v->synthetic)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->npersons; i++) {
		const custos_person *pe = &m->persons[i];
		const char *via = v->person_selectors[i].text; /* NULL for a nameless person */
		char id[32];
		custos_party *p;
		if (!pe->refugee_in[0])
			continue;
		if (via && has_refugee_via(v, via))
			continue;
		p = &v->synthetic[v->nsynthetic++];
		snprintf(id, sizeof(id), "persons[%zu]", i);
		p->id = custos_strdup(id);
		p->name = pe->name ? custos_strdup(pe->name) : NULL;
		if (!p->id || (pe->name && !p->name))
			return CUSTOS_ENOMEM;
		p->category = CUSTOS_CAT_REFUGEE;
		memcpy(p->nationality, pe->nationality, 3);
		memcpy(p->country_of_origin, pe->nationality, 3);
		p->valid_from = p->valid_to = CUSTOS_DATE_NONE;
		int rc = subject_add(v, cap, p, CUSTOS_STATUS_ACTIVE, via ? via : p->id, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int subject_cmp(const void *a, const void *b)
{
	const custos_subject *x = a, *y = b;
	return strcmp(x->party->id, y->party->id);
}

int custos_decide(custos_verdict *out, const custos_ruleset *rs, const custos_registry *reg, const custos_measure *m)
{
	custos_verdict v;
	size_t cap = 0;
	int grace = custos_rules_grace_days(rs);
	int rc = 0;

	memset(&v, 0, sizeof(v));
	for (size_t i = 0; !rc && i < m->ntargets; i++)
		rc = screen_into(&v, &cap, reg, &m->targets[i], m, grace);
	if (!rc && m->npersons) {
		v.person_selectors = calloc(m->npersons, sizeof(*v.person_selectors));
		if (!v.person_selectors)
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	/* person_selectors[i] belongs to persons[i]; a nameless person's stays empty */
	for (size_t i = 0; !rc && i < m->npersons; i++) {
		custos_buf b;
		v.nperson_selectors = i + 1;
		if (!m->persons[i].name)
			continue;
		custos_buf_init(&b, CUSTOS_SELECTOR_MAX + 16);
		rc = custos_buf_printf(&b, "name:%s", m->persons[i].name);
		if (!rc)
			rc = custos_selector_parse(&v.person_selectors[i], b.ptr, b.len);
		custos_buf_dispose(&b);
		if (rc)
			custos_error_prefix(rc, "persons[%zu].name", i);
		else
			rc = screen_into(&v, &cap, reg, &v.person_selectors[i], m, grace);
	}
	if (!rc)
		rc = add_person_refugees(&v, &cap, m);
	if (!rc && v.nsubjects > 1)
		qsort(v.subjects, v.nsubjects, sizeof(*v.subjects), subject_cmp);
	if (!rc)
		rc = custos_rules_evaluate(&v.decision, rs, m, v.subjects, v.nsubjects);
	if (rc) {
		custos_verdict_dispose(&v);
		return rc;
	}
	memcpy(v.rules_hash, custos_rules_hash(rs), sizeof(v.rules_hash) - 1);
	memcpy(v.registry_hash, custos_registry_hash(reg), sizeof(v.registry_hash) - 1);
	v.rules_hash[71] = v.registry_hash[71] = '\0';
	*out = v;
	return 0;
}

void custos_verdict_dispose(custos_verdict *v)
{
	if (!v)
		return;
	free(v->subjects);
	for (size_t i = 0; i < v->nsynthetic; i++)
		custos_party_dispose(&v->synthetic[i]);
	free(v->synthetic);
	for (size_t i = 0; i < v->nperson_selectors; i++)
		if (v->person_selectors[i].text)
			custos_selector_dispose(&v->person_selectors[i]);
	free(v->person_selectors);
	custos_decision_dispose(&v->decision);
	memset(v, 0, sizeof(*v));
}

static json_t *finding_json(const custos_finding *f)
{
	json_t *o = json_object();
	/* the rule set's own texts were checked as UTF-8 when it was parsed (rules/lex.c): no need on every answer */
	json_object_set_new(o, "rule", json_string_nocheck(f->rule));
	json_object_set_new(o, "effect", json_string(custos_effect_name(f->effect)));
	if (f->effect == CUSTOS_EFFECT_REQUIRE || f->effect == CUSTOS_EFFECT_NOTIFY)
		json_object_set_new(o, "role", json_string(custos_role_name(f->role)));
	if (f->effect == CUSTOS_EFFECT_CONDITION && f->max_days)
		json_object_set_new(o, "max_days", json_integer(f->max_days));
	if (f->effect == CUSTOS_EFFECT_CONDITION && f->minimise)
		json_object_set_new(o, "minimise", json_string(f->minimise));
	json_object_set_new(o, "cite", json_string_nocheck(f->cite));
	json_object_set_new(o, "party", f->party ? json_string(f->party) : json_null());
	json_object_set_new(o, "explain", json_string_nocheck(f->explain));
	return o;
}

int custos_verdict_encode(char **out, const custos_verdict *v, const char *id, int64_t log_index)
{
	const custos_decision *d = &v->decision;
	json_t *root = json_object(), *findings = json_array(), *approvals = json_array(), *conds = json_array(),
	       *subjects = json_array();
	int rc = 0;

	if (id)
		json_object_set_new(root, "id", json_string(id));
	json_object_set_new(root, "outcome", json_string(custos_outcome_name(d->outcome)));
	for (size_t i = 0; i < d->nfindings; i++)
		json_array_append_new(findings, finding_json(&d->findings[i]));
	for (size_t i = 0; i < d->napprovals; i++) {
		json_t *a = json_object();
		json_object_set_new(a, "role", json_string(custos_role_name(d->approvals[i].role)));
		json_object_set_new(a, "kind", json_string(d->approvals[i].notify ? "notify" : "approve"));
		json_object_set_new(a, "state", json_string("pending"));
		json_array_append_new(approvals, a);
	}
	if (d->max_days) {
		json_t *c = json_object();
		json_object_set_new(c, "max_days", json_integer(d->max_days));
		json_array_append_new(conds, c);
	}
	for (size_t i = 0; i < d->nminimise; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "minimise", json_string(d->minimise[i]));
		json_array_append_new(conds, c);
	}
	for (size_t i = 0; i < v->nsubjects; i++) {
		const custos_subject *s = &v->subjects[i];
		json_t *o = json_object();
		json_object_set_new(o, "party", json_string(s->party->id));
		json_object_set_new(o, "category", json_string(custos_category_name(s->party->category)));
		json_object_set_new(o, "status", json_string(custos_status_name(s->status)));
		json_object_set_new(o, "via", json_string(s->via));
		json_object_set_new(o, "matched", s->matched ? json_string(s->matched) : json_null());
		json_array_append_new(subjects, o);
	}
	json_object_set_new(root, "findings", findings);
	json_object_set_new(root, "approvals", approvals);
	json_object_set_new(root, "conditions", conds);
	json_object_set_new(root, "subjects", subjects);
	json_object_set_new(root, "rules_hash", json_string(v->rules_hash));
	json_object_set_new(root, "registry_hash", json_string(v->registry_hash));
	if (log_index >= 0)
		json_object_set_new(root, "log_index", json_integer(log_index));
	*out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	json_decref(root);
	return rc;
}
