/* custos/workflow.h — deciding measures against the law and recording them in the store. */
#ifndef CUSTOS_WORKFLOW_H
#define CUSTOS_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "custos/measure.h"
#include "custos/registry.h"
#include "custos/rules.h"
#include "custos/store.h"

/*
 * Everything a decision rests on: the subjects the measure touches (screened
 * over its whole period), and the rules' verdict on them. Owns its memory.
 */
typedef struct custos_verdict {
	custos_subject *subjects;
	size_t nsubjects;
	custos_party *synthetic; /* parties made from the measure's persons (refugees) */
	size_t nsynthetic;
	custos_selector *person_selectors; /* name: selectors of the persons */
	size_t nperson_selectors;
	custos_decision decision;
	char rules_hash[72];
	char registry_hash[72];
} custos_verdict;

/*
 * Screens every target and person of `m` against `reg` for the measure's
 * whole period (a party counts if protected on any day of it; parties outside
 * their accreditation are still reported, with their status, so that rules
 * on former and future accreditations apply), adds a refugee subject for each
 * person with "refugee_in" set whom the registry does not already hold as a
 * refugee, and evaluates the rules. Pure: stores nothing.
 */
int custos_decide(custos_verdict *out, const custos_ruleset *rs, const custos_registry *reg, const custos_measure *m);
void custos_verdict_dispose(custos_verdict *v);

/*
 * The decision JSON of DESIGN.md §4 (without "id" and "log_index" when id is
 * NULL / log_index < 0). malloc'd, compact, keys in contract order.
 */
int custos_verdict_encode(char **out, const custos_verdict *v, const char *id, int64_t log_index);

/*
 * Sets up a store: the log's origin and signing key (NULL: the host's
 * default origin, and "<store_uri>.log-key"), and the built-in rule set.
 * Idempotent.
 */
int custos_workflow_init(custos_store *st, const char *store_uri, const char *origin, const char *key_path,
			 const char *actor);

/* Loads a rule set into the store as the one in force (event "rules.loaded"). */
int custos_workflow_rules_load(custos_store *st, const custos_ruleset *rs, const char *source, const char *actor);

/* The rule set in force in the store. */
int custos_workflow_rules_current(custos_store *st, custos_ruleset **out);

/*
 * Gives a registry the name thresholds of a rule set (its name_match line);
 * call it before the registry is shared between threads.
 */
void custos_workflow_name_policy(custos_registry *reg, const custos_ruleset *rs);

/*
 * Whether a registry import or a rule set was put in force at or after
 * event `from`, so that what was decided against the rules and registry read
 * when the log held `from` events is out of date: 1, 0, or a negative error.
 */
int custos_workflow_changed_since(custos_store *st, int64_t from);

/*
 * Validates, decides and records a measure in one transaction: the measure,
 * its decision, and the events "measure.filed" and "measure.decided". On any
 * error (invalid input, a `reject` rule), nothing is stored. *decision_json
 * receives the decision as printed (malloc'd); *id_out the measure id.
 */
int custos_measure_file(custos_store *st, const char *json, size_t len, const char *actor, char **id_out,
			char **decision_json);

/*
 * Runs rule-set cases: every *.json of `dir` (or the built-in cases when dir is
 * NULL). Each file holds {"registry": [...], "cases": [{"name", "registry": [...],
 * "measure": {...}, "expect": {"outcome", "rules": [...], "approvals": [...],
 * "max_days"}}]}; a case without its own registry uses the file's. "outcome"
 * is permitted, needs_approval, forbidden or rejected; "rules" the rule ids
 * that fire; "approvals" the roles, "notify:ROLE" for a role only informed.
 * Also checks that every rule of `rs` fires in at least one case. Writes a
 * line per case to `report` (malloc'd) and returns 0 only if all pass.
 */
int custos_rules_test(const custos_ruleset *rs, const char *dir, char **report, int *npass, int *nfail);

#endif
