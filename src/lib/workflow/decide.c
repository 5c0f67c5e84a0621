/* decide.c — screens a measure's targets and persons over its period and applies the rules. */
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
		if (m->persons[i].born[0]) /* the name hits only a party born that day, or of unknown birth */
			rc = custos_buf_printf(&b, "name:%s;born=%s", m->persons[i].name, m->persons[i].born);
		else
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

/*
 * The answer is written straight into one buffer rather than built as a
 * jansson tree and dumped: a decision is the API's hottest answer, and the
 * tree cost more than deciding. The bytes are json_dumps(JSON_COMPACT |
 * JSON_PRESERVE_ORDER)'s (test_decide checks the two against each other).
 */

/* `key` (already quoted, with its separator: ",\"via\":") and a string value, or null. */
static int put_str(custos_buf *b, const char *key, const char *val)
{
	int rc = custos_buf_puts(b, key);
	if (!rc)
		rc = val ? custos_buf_json_string(b, val) : custos_buf_puts(b, "null");
	return rc;
}

static int put_finding(custos_buf *b, const custos_finding *f, int first)
{
	int rc = first ? 0 : custos_buf_puts(b, ",");
	if (!f->json_head || !f->json_tail)
		return custos_error_set(CUSTOS_ERROR, "finding of rule %s: not made by custos_rules_evaluate", f->rule);
	if (!rc && !(rc = custos_buf_puts(b, f->json_head)))
		rc = f->party ? custos_buf_json_string(b, f->party) : custos_buf_puts(b, "null");
	return rc ? rc : custos_buf_puts(b, f->json_tail);
}

static int put_subject(custos_buf *b, const custos_subject *s, int first)
{
	int rc = put_str(b, first ? "{\"party\":" : ",{\"party\":", s->party->id);
	if (!rc)
		rc = put_str(b, ",\"category\":", custos_category_name(s->party->category));
	if (!rc)
		rc = put_str(b, ",\"status\":", custos_status_name(s->status));
	if (!rc)
		rc = put_str(b, ",\"via\":", s->via);
	if (!rc)
		rc = put_str(b, ",\"matched\":", s->matched);
	return rc ? rc : custos_buf_puts(b, "}");
}

static int put_verdict(custos_buf *b, const custos_verdict *v, const char *id, int64_t log_index)
{
	const custos_decision *d = &v->decision;
	size_t nconds = 0;
	int rc = id ? put_str(b, "{\"id\":", id) : custos_buf_puts(b, "{");
	if (!rc)
		rc = put_str(b, id ? ",\"outcome\":" : "\"outcome\":", custos_outcome_name(d->outcome));
	if (!rc)
		rc = custos_buf_puts(b, ",\"findings\":[");
	for (size_t i = 0; !rc && i < d->nfindings; i++)
		rc = put_finding(b, &d->findings[i], i == 0);
	if (!rc)
		rc = custos_buf_puts(b, "],\"approvals\":[");
	for (size_t i = 0; !rc && i < d->napprovals; i++) {
		rc = put_str(b, i ? ",{\"role\":" : "{\"role\":", custos_role_name(d->approvals[i].role));
		if (!rc)
			rc = custos_buf_puts(b, d->approvals[i].notify ? ",\"kind\":\"notify\",\"state\":\"pending\"}"
								 : ",\"kind\":\"approve\",\"state\":\"pending\"}");
	}
	if (!rc)
		rc = custos_buf_puts(b, "]");
	/* asserted facts the findings rest on (LAW.md); absent when there are none */
	for (size_t i = 0; !rc && i < d->nassertions; i++) {
		const custos_assertion *a = &d->assertions[i];
		rc = put_str(b, i ? ",{\"flag\":" : ",\"assertions\":[{\"flag\":", a->flag);
		if (!rc)
			rc = strcmp(a->value, "true") == 0    ? custos_buf_puts(b, ",\"value\":true")
			     : strcmp(a->value, "false") == 0 ? custos_buf_puts(b, ",\"value\":false")
							      : put_str(b, ",\"value\":", a->value);
		if (!rc)
			rc = put_str(b, ",\"rule\":", a->rule);
		if (!rc)
			rc = put_str(b, ",\"confirm_by\":", custos_role_name(a->confirm_by));
		if (!rc)
			rc = put_str(b, ",\"party\":", a->party);
		if (!rc)
			rc = custos_buf_puts(b, i + 1 == d->nassertions ? "}]" : "}");
	}
	if (!rc)
		rc = custos_buf_puts(b, ",\"conditions\":[");
	if (!rc && d->max_days && !(rc = custos_buf_printf(b, "{\"max_days\":%d}", d->max_days)))
		nconds++;
	for (size_t i = 0; !rc && i < d->nminimise; i++)
		if (!(rc = put_str(b, nconds++ ? ",{\"minimise\":" : "{\"minimise\":", d->minimise[i])))
			rc = custos_buf_puts(b, "}");
	if (!rc)
		rc = custos_buf_puts(b, "],\"subjects\":[");
	for (size_t i = 0; !rc && i < v->nsubjects; i++)
		rc = put_subject(b, &v->subjects[i], i == 0);
	if (!rc)
		rc = put_str(b, "],\"rules_hash\":", v->rules_hash);
	if (!rc)
		rc = put_str(b, ",\"registry_hash\":", v->registry_hash);
	if (!rc && log_index >= 0)
		rc = custos_buf_printf(b, ",\"log_index\":%lld", (long long)log_index);
	return rc ? rc : custos_buf_puts(b, "}");
}

int custos_verdict_encode(char **out, const custos_verdict *v, const char *id, int64_t log_index)
{
	custos_buf b;
	int rc;
	custos_buf_init(&b, SIZE_MAX / 2);
	if ((rc = custos_buf_reserve(&b, 8192)))
		return rc;
	if ((rc = put_verdict(&b, v, id, log_index))) {
		custos_buf_dispose(&b);
		*out = NULL;
		return rc;
	}
	*out = custos_buf_detach(&b);
	return 0;
}
