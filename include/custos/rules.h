/* custos/rules.h — the rules language: load, check, hash and evaluate a rule set. */
#ifndef CUSTOS_RULES_H
#define CUSTOS_RULES_H

#include <stddef.h>

#include "custos/model.h"

typedef struct custos_ruleset custos_ruleset;

/* One source file of a rule set: a name used in messages, and its text. */
typedef struct custos_rules_source {
	const char *name; /* e.g. "rules/be/vcdr.rules" */
	const char *text;
	size_t len;
} custos_rules_source;

/*
 * Parses and type-checks the given sources as one rule set. On failure
 * returns CUSTOS_EINVALID with "FILE:LINE:COL: message" (the first error).
 */
int custos_rules_parse(custos_ruleset **out, const custos_rules_source *src, size_t nsrc);

/* Loads every *.rules file of `dir` (sorted by name) as one rule set. */
int custos_rules_load_dir(custos_ruleset **out, const char *dir);

/* Loads the rule set built into the binary (rules/be). */
int custos_rules_load_builtin(custos_ruleset **out);

void custos_ruleset_free(custos_ruleset *rs);

/* "sha256:<64 hex>" of the canonical form of the rule set. */
const char *custos_rules_hash(const custos_ruleset *rs);

/* The canonical text of the rule set (what is hashed). */
const char *custos_rules_canonical(const custos_ruleset *rs, size_t *len);

size_t custos_rules_count(const custos_ruleset *rs);
/* Id of rule i, in source order. */
const char *custos_rules_id(const custos_ruleset *rs, size_t i);

/* Days after valid_to during which a party is still protected ("grace"). */
int custos_rules_grace_days(const custos_ruleset *rs);

/*
 * When a name hits: `name_match min_words N min_score S` of the rule set
 * (docs/NAMES.md), or 2 and 75 for a rule set that does not say.
 */
void custos_rules_name_policy(const custos_ruleset *rs, unsigned *min_words, unsigned *min_score);

/* One finding: a rule that fired, on the measure or on one subject. */
typedef struct custos_finding {
	const char *rule;    /* rule id (owned by the rule set) */
	custos_effect effect;
	custos_role role;    /* REQUIRE / NOTIFY */
	int max_days;        /* CONDITION max_days (0: none) */
	const char *minimise; /* CONDITION minimise WHAT (NULL: none) */
	const char *cite;    /* owned by the rule set */
	const char *explain; /* owned by the rule set */
	const char *party;   /* party id or NULL (owned by the caller's subjects) */
	/*
	 * The finding as decision JSON, rendered once when the rule set was
	 * parsed: json_head runs from '{' to "party": and json_tail from
	 * ,"explain": to '}'; the party's value goes between (owned by the rule set).
	 */
	const char *json_head;
	const char *json_tail;
} custos_finding;

/* A role the decision lists: to approve, or only to be notified. */
typedef struct custos_approval {
	custos_role role;
	int notify; /* 1: "kind": "notify", never blocks */
} custos_approval;

/*
 * An asserted fact a finding rests on (LAW.md, "Asserted facts"): a flag of
 * the measure (or a waiver or consent for one party) that lifts a
 * protection, and the role that must confirm it in its signed approval.
 */
typedef struct custos_assertion {
	const char *flag;  /* "personal_involvement", "waiver", ... (owned by the rule set) */
	const char *value; /* the asserted value as text: "true", "false" (a ground that does not apply), or the reference */
	const char *rule;  /* the first rule whose finding rests on it */
	custos_role confirm_by;
	const char *party; /* the party it is asserted for, or NULL (measure-wide) */
} custos_assertion;

/*
 * The result of evaluating a rule set. Findings are ordered by rule (source
 * order) then by subject order; approvals by role (enum order), each role
 * once, a role that is both required and notified counted as required.
 */
typedef struct custos_decision {
	custos_outcome outcome;
	custos_finding *findings;
	size_t nfindings;
	custos_approval *approvals;
	size_t napprovals;
	int max_days;         /* smallest max_days condition, 0 if none */
	const char **minimise; /* distinct minimise conditions, in rule order */
	size_t nminimise;
	/* set when a REJECT rule fired: the measure is invalid input */
	const custos_finding *reject;
	/* the asserted facts the findings rest on, each (flag, party, role) once, in finding order */
	custos_assertion *assertions;
	size_t nassertions;
} custos_decision;

/*
 * Evaluates every rule against the measure and its subjects. Rules that read
 * `party.` attributes run once per subject; the others once per measure.
 * Deterministic: the same inputs give the same decision.
 */
int custos_rules_evaluate(custos_decision *out, const custos_ruleset *rs, const custos_measure *m,
			  const custos_subject *subjects, size_t nsubjects);

void custos_decision_dispose(custos_decision *d);

/*
 * Analyses a checked rule set (docs/RULES.md, "Analysis") into a JSON
 * object: "never_fires" (rules whose `when` no measure can satisfy),
 * "shadowed" (rules that only ever fire where a forbid fires too, so their
 * findings never change an outcome: {rule, by}), and "disagree" (a forbid
 * and a rule citing another source that lets the protection of the same
 * party be lifted on a confirmed fact, both holding on one situation:
 * {forbid, lifts, cites}). Each search
 * is bounded; a rule too wide to search is left out ("unsearched" counts them).
 */
int custos_rules_analyse(const custos_ruleset *rs, char **json);

#endif
