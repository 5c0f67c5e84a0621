/* file.c — the recorded workflow: init, loading rule sets, filing and deciding measures. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/log.h"
#include "custos/workflow.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

/* Meta key holding the hash of the rule set in force. */
#define META_RULES "rules_hash"

int custos_workflow_rules_load(custos_store *st, const custos_ruleset *rs, const char *source, const char *actor)
{
	size_t clen;
	const char *canon = custos_rules_canonical(rs, &clen);
	const char *hash = custos_rules_hash(rs);
	json_t *payload = json_object();
	char *text = NULL;
	int rc;

	json_object_set_new(payload, "source", json_string(source));
	json_object_set_new(payload, "rules_hash", json_string(hash));
	json_object_set_new(payload, "rules", json_integer((json_int_t)custos_rules_count(rs)));
	text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	if (!text)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = custos_store_begin(st)))
		goto out;
	if ((rc = custos_store_rules_put(st, hash, canon)) || (rc = custos_store_meta_set(st, META_RULES, hash)) ||
	    (rc = custos_store_event_append(st, "rules.loaded", actor, hash, text, NULL))) {
		custos_store_rollback(st);
		goto out;
	}
	rc = custos_store_commit(st);
out:
	free(text);
	return rc;
}

int custos_workflow_init(custos_store *st, const char *store_uri, const char *origin, const char *key_path,
			 const char *actor)
{
	custos_ruleset *rs = NULL;
	char *cur = NULL, *dflt_origin = NULL, *dflt_key = NULL;
	int rc = 0;
	if (!origin)
		rc = custos_log_default_origin(&dflt_origin);
	if (!rc && !key_path)
		rc = custos_log_default_key_path(&dflt_key, store_uri);
	if (!rc)
		rc = custos_log_setup(st, origin ? origin : dflt_origin, key_path ? key_path : dflt_key);
	free(dflt_origin);
	free(dflt_key);
	if (rc)
		return rc;
	rc = custos_store_meta_get(st, META_RULES, &cur);
	free(cur);
	if (rc == 0)
		return 0; /* already initialised: init is idempotent */
	if (rc != CUSTOS_ENOTFOUND)
		return rc;
	if ((rc = custos_rules_load_builtin(&rs)))
		return rc;
	rc = custos_workflow_rules_load(st, rs, "builtin:rules/be", actor);
	custos_ruleset_free(rs);
	return rc;
}

int custos_workflow_rules_current(custos_store *st, custos_ruleset **out)
{
	char *hash = NULL, *canon = NULL;
	custos_rules_source src;
	int rc = custos_store_meta_get(st, META_RULES, &hash);
	if (rc == CUSTOS_ENOTFOUND)
		return custos_error_set(CUSTOS_ENOTFOUND, "no rule set loaded in the store (run 'custos init')");
	if (rc)
		return rc;
	if ((rc = custos_store_rules_get(st, hash, &canon)))
		goto out;
	src = (custos_rules_source){"stored rule set", canon, strlen(canon)};
	if ((rc = custos_rules_parse(out, &src, 1)))
		goto out;
	if (strcmp(custos_rules_hash(*out), hash) != 0) {
		custos_ruleset_free(*out);
		*out = NULL;
		rc = custos_error_set(CUSTOS_ERROR, "stored rule set %s does not hash to its recorded value", hash);
	}
out:
	free(hash);
	free(canon);
	return rc;
}

static const char *state_for(custos_outcome o)
{
	switch (o) {
	case CUSTOS_OUTCOME_FORBIDDEN:
		return "forbidden";
	case CUSTOS_OUTCOME_NEEDS_APPROVAL:
		return "pending";
	default:
		return "permitted";
	}
}

/* The principal filing must be active, a requester, and of the authority the measure names. */
static int check_filer(custos_store *st, const char *principal, const custos_measure *m)
{
	custos_principal p;
	int rc = custos_principal_get(st, principal, &p);
	if (rc)
		return rc;
	if (p.revoked_at)
		rc = custos_error_set(CUSTOS_EINVALID, "principal %s was revoked at %s", p.id, p.revoked_at);
	else if (!custos_principal_has_role(&p, "requester"))
		rc = custos_error_set(CUSTOS_EINVALID, "principal %s does not hold the role requester", p.id);
	else if (strcmp(p.authority, m->requested_by) != 0)
		rc = custos_error_set(CUSTOS_EINVALID, "requested_by: principal %s files for %s, not for %s", p.id,
				      p.authority, m->requested_by);
	custos_principal_dispose(&p);
	return rc;
}

int custos_measure_file(custos_store *st, const char *json, size_t len, const char *actor, char **id_out,
			char **decision_json)
{
	return custos_measure_file_by(st, json, len, actor, NULL, id_out, decision_json);
}

int custos_measure_file_by(custos_store *st, const char *json, size_t len, const char *actor, const char *principal,
			   char **id_out, char **decision_json)
{
	custos_measure m;
	custos_ruleset *rs = NULL;
	custos_registry *reg = NULL;
	custos_verdict v;
	char *canon = NULL, *undecided = NULL, *id = NULL, *printed = NULL;
	int64_t index = -1;
	int rc, in_tx = 0;

	memset(&v, 0, sizeof(v));
	*id_out = NULL;
	*decision_json = NULL;
	if ((rc = custos_measure_decode(&m, json, len)))
		return rc;
	if ((principal && (rc = check_filer(st, principal, &m))) || (rc = custos_workflow_rules_current(st, &rs)) ||
	    (rc = custos_registry_load(st, &reg)) ||
	    (rc = custos_decide(&v, rs, reg, &m)))
		goto out;
	if (v.decision.reject) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s (%s, rule %s)", v.decision.reject->explain,
				      v.decision.reject->cite, v.decision.reject->rule);
		goto out;
	}
	if ((rc = custos_measure_encode(&canon, &m)) || (rc = custos_verdict_encode(&undecided, &v, NULL, -1)))
		goto out;

	if ((rc = custos_store_begin(st)))
		goto out;
	in_tx = 1;
	if ((rc = custos_store_measure_insert(st, &id, canon, undecided, state_for(v.decision.outcome))) ||
	    (rc = custos_store_event_append(st, "measure.filed", actor, id, canon, NULL)) ||
	    (rc = custos_store_event_append(st, "measure.decided", actor, id, undecided, &index)) ||
	    (rc = custos_verdict_encode(&printed, &v, id, index)) ||
	    (rc = custos_store_measure_update_decision(st, id, printed)) ||
	    (rc = wf_life_filed(st, id, &m, undecided, index, principal, actor)) || (rc = custos_store_commit(st)))
		goto out;
	in_tx = 0;
	*id_out = id;
	*decision_json = printed;
	id = printed = NULL;
out:
	if (in_tx)
		custos_store_rollback(st);
	custos_verdict_dispose(&v);
	custos_registry_free(reg);
	custos_ruleset_free(rs);
	custos_measure_dispose(&m);
	free(canon);
	free(undecided);
	free(id);
	free(printed);
	return rc;
}
