/* fuzz_rules.c — libFuzzer target: parse any bytes as rules; canonical text must round-trip; evaluate it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos/rules.h"
#include "rules/rules_int.h"

/* A small fixed measure (of each kind) and two subjects that many rules can touch. */
static void evaluate_fixed(const custos_ruleset *rs, custos_decision out[CUSTOS_KIND__COUNT][3])
{
	static custos_party agent = {.id = "P-1", .category = CUSTOS_CAT_DIPLOMATIC_AGENT, .sending_state = "MR",
				      .nationality = "MR", .mission = "M-MR"};
	static custos_party refugee = {.id = "P-2", .category = CUSTOS_CAT_REFUGEE, .nationality = "KZ",
					.country_of_origin = "KZ", .permanent_resident = true, .waiver = "W-1"};
	custos_subject subjects[2] = {{&agent, CUSTOS_STATUS_ACTIVE, "mailto:a@b.c", "mailto:a@b.c"},
				      {&refugee, CUSTOS_STATUS_GRACE, "name:x", "name:x"}};
	custos_measure m;
	memset(&m, 0, sizeof(m));
	m.requested_measure = CUSTOS_KIND_SEARCH;
	m.scope = CUSTOS_SCOPE_NONE;
	m.framework = CUSTOS_FW_CRIMINAL;
	memcpy(m.requesting_state, "KZ", 3);
	m.offence = "fraud";
	m.grounds = "";
	m.reciprocity = true;
	for (int k = 0; k < CUSTOS_KIND__COUNT; k++) {
		m.kind = (custos_kind)k;
		for (size_t n = 0; n <= 2; n++) {
			custos_decision *d = &out[k][n];
			if (custos_rules_evaluate(d, rs, &m, subjects, n) != 0)
				abort();
			for (size_t i = 0; i < d->nfindings; i++)
				if (!d->findings[i].rule || !d->findings[i].cite || !d->findings[i].explain)
					abort();
			if (d->reject && d->reject->effect != CUSTOS_EFFECT_REJECT)
				abort();
		}
	}
}

static void same_decision(const custos_decision *a, const custos_decision *b)
{
	if (a->outcome != b->outcome || a->nfindings != b->nfindings || a->napprovals != b->napprovals ||
	    a->max_days != b->max_days || a->nminimise != b->nminimise || !a->reject != !b->reject)
		abort();
	for (size_t i = 0; i < a->nfindings; i++)
		if (a->findings[i].rule != b->findings[i].rule || a->findings[i].effect != b->findings[i].effect ||
		    a->findings[i].role != b->findings[i].role || a->findings[i].party != b->findings[i].party)
			abort();
	for (size_t i = 0; i < a->napprovals; i++)
		if (a->approvals[i].role != b->approvals[i].role || a->approvals[i].notify != b->approvals[i].notify)
			abort();
}

/*
 * Differential check of the evaluator's pre-filters (rules by kind, subjects
 * by category): switched off, every decision must be the same.
 */
static void check_prefilters(custos_ruleset *rs)
{
	static custos_decision with[CUSTOS_KIND__COUNT][3], without[CUSTOS_KIND__COUNT][3];
	evaluate_fixed(rs, with);
	for (int k = 0; k < CUSTOS_KIND__COUNT; k++) {
		for (size_t i = 0; i < rs->nrules; i++)
			rs->by_kind[k][i] = (uint32_t)i;
		rs->nby_kind[k] = rs->nrules;
	}
	for (size_t i = 0; i < rs->nrules; i++)
		rs->rules[i].categories = ~(uint64_t)0;
	evaluate_fixed(rs, without);
	for (int k = 0; k < CUSTOS_KIND__COUNT; k++) {
		for (int n = 0; n < 3; n++) {
			same_decision(&with[k][n], &without[k][n]);
			custos_decision_dispose(&with[k][n]);
			custos_decision_dispose(&without[k][n]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_rules_source src = {"fuzz.rules", (const char *)data, size};
	custos_ruleset *rs, *again;
	size_t len, len2;
	const char *canon, *canon2;

	if (custos_rules_parse(&rs, &src, 1) != 0)
		return 0;
	canon = custos_rules_canonical(rs, &len);
	custos_rules_source src2 = {"canonical.rules", canon, len};
	if (custos_rules_parse(&again, &src2, 1) != 0)
		abort(); /* the canonical text of a valid rule set must parse */
	canon2 = custos_rules_canonical(again, &len2);
	if (len != len2 || memcmp(canon, canon2, len) != 0 ||
	    strcmp(custos_rules_hash(rs), custos_rules_hash(again)) != 0 ||
	    custos_rules_count(rs) != custos_rules_count(again))
		abort();
	check_prefilters(rs);
	custos_ruleset_free(again);
	custos_ruleset_free(rs);
	return 0;
}
