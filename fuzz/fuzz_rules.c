/* fuzz_rules.c — libFuzzer target: parse any bytes as rules; canonical text must round-trip; evaluate it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "custos/rules.h"

/* A small fixed measure and two subjects that many rules can touch. */
static void evaluate_fixed(const custos_ruleset *rs)
{
	static custos_party agent = {.id = "P-1", .category = CUSTOS_CAT_DIPLOMATIC_AGENT, .sending_state = "MR",
				      .nationality = "MR", .mission = "M-MR"};
	static custos_party refugee = {.id = "P-2", .category = CUSTOS_CAT_REFUGEE, .nationality = "KZ",
					.country_of_origin = "KZ", .permanent_resident = true, .waiver = "W-1"};
	custos_subject subjects[2] = {{&agent, CUSTOS_STATUS_ACTIVE, "mailto:a@b.c", "mailto:a@b.c"},
				      {&refugee, CUSTOS_STATUS_GRACE, "name:x", "name:x"}};
	custos_measure m;
	custos_decision d;
	memset(&m, 0, sizeof(m));
	m.kind = CUSTOS_KIND_MLA_REQUEST;
	m.requested_measure = CUSTOS_KIND_SEARCH;
	m.scope = CUSTOS_SCOPE_NONE;
	m.framework = CUSTOS_FW_CRIMINAL;
	memcpy(m.requesting_state, "KZ", 3);
	m.offence = "fraud";
	m.grounds = "";
	m.reciprocity = true;
	for (size_t n = 0; n <= 2; n++) {
		if (custos_rules_evaluate(&d, rs, &m, subjects, n) != 0)
			continue;
		for (size_t i = 0; i < d.nfindings; i++)
			if (!d.findings[i].rule || !d.findings[i].cite || !d.findings[i].explain)
				abort();
		if (d.reject && d.reject->effect != CUSTOS_EFFECT_REJECT)
			abort();
		custos_decision_dispose(&d);
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
	evaluate_fixed(rs);
	custos_ruleset_free(again);
	custos_ruleset_free(rs);
	return 0;
}
