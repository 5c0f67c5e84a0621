/* file.c — the recorded workflow: init, loading rule sets, filing and deciding measures. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/workflow.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

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
	/* the text itself: the rule sets table is a projection of these events */
	json_object_set_new(payload, "canonical", json_stringn(canon, clen));
	text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(payload);
	if (!text)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = custos_store_begin(st)))
		goto out;
	if ((rc = wf_append(st, "rules.loaded", actor, hash, text, NULL, NULL))) {
		custos_store_abort(st, rc);
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
	rc = custos_store_meta_get(st, WF_META_RULES, &cur);
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

void custos_workflow_name_policy(custos_registry *reg, const custos_ruleset *rs)
{
	custos_name_policy p;
	custos_rules_name_policy(rs, &p.min_words, &p.min_score);
	custos_registry_set_name_policy(reg, &p);
}

int custos_workflow_rules_current(custos_store *st, custos_ruleset **out)
{
	char *hash = NULL, *canon = NULL;
	custos_rules_source src;
	int rc = custos_store_meta_get(st, WF_META_RULES, &hash);
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

int custos_workflow_changed_since(custos_store *st, int64_t from)
{
	static const char *const prefixes[] = {"registry.", "rules."};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		int64_t at;
		int rc = custos_store_event_find(st, from, prefixes[i], &at);
		if (rc == 0)
			return 1;
		if (rc != CUSTOS_ENOTFOUND)
			return rc;
	}
	return 0;
}

/* What one filing decides with: the basis it was given, or the rules and registry it read itself. */
typedef struct {
	const custos_ruleset *rules;
	const custos_registry *registry;
	custos_ruleset *own_rules;
	custos_registry *own_registry;
	custos_verdict v;
	char *undecided; /* the decision as encoded without id or log index */
} filing;

static void filing_dispose(filing *f)
{
	custos_verdict_dispose(&f->v);
	custos_registry_free(f->own_registry);
	custos_ruleset_free(f->own_rules);
	free(f->undecided);
	memset(f, 0, sizeof(*f));
}

/* Decides m on f's rules and registry, reading those in force first unless f has them. */
static int filing_decide(custos_store *st, filing *f, const custos_measure *m)
{
	int rc;
	if (!f->rules) {
		if ((rc = custos_workflow_rules_current(st, &f->own_rules)) ||
		    (rc = custos_registry_load(st, &f->own_registry)))
			return rc;
		custos_workflow_name_policy(f->own_registry, f->own_rules);
		f->rules = f->own_rules;
		f->registry = f->own_registry;
	}
	if ((rc = custos_decide(&f->v, f->rules, f->registry, m)))
		return rc;
	if (f->v.decision.reject)
		return custos_error_set(CUSTOS_EINVALID, "%s (%s, rule %s)", f->v.decision.reject->explain,
					f->v.decision.reject->cite, f->v.decision.reject->rule);
	return custos_verdict_encode(&f->undecided, &f->v, NULL, -1);
}

int custos_measure_file_by(custos_store *st, const char *json, size_t len, const char *actor, const char *principal,
			   char **id_out, char **decision_json)
{
	return custos_measure_file_on(st, NULL, json, len, actor, principal, id_out, decision_json);
}

int custos_measure_file_on(custos_store *st, const custos_filing_basis *basis, const char *json, size_t len,
			   const char *actor, const char *principal, char **id_out, char **decision_json)
{
	custos_measure m;
	filing f;
	char *canon = NULL, *id = NULL, *printed = NULL, next[16];
	int64_t index = -1, seen = basis ? basis->seen : custos_store_log_size(st);
	int rc, in_tx = 0, complete = 0;

	memset(&f, 0, sizeof(f));
	*id_out = NULL;
	*decision_json = NULL;
	if ((rc = custos_measure_decode(&m, json, len)))
		return rc;
	if (basis) {
		f.rules = basis->rules;
		f.registry = basis->registry;
	}
	/* decided outside the write lock, on what was in force when the log held `seen` events */
	if ((principal && (rc = check_filer(st, principal, &m))) || (rc = custos_measure_encode(&canon, &m)) ||
	    (rc = filing_decide(st, &f, &m)))
		goto out;

	if ((rc = custos_store_begin(st)))
		goto out;
	in_tx = 1;
	/* the filer again under the lock: a revocation committed meanwhile counts */
	if (principal && (rc = check_filer(st, principal, &m)))
		goto out;
	/* under the write lock: a registry import or rule set since then means deciding again, on them */
	if (seen < 0 || (rc = custos_workflow_changed_since(st, seen)) != 0) {
		if (rc < 0 && seen >= 0)
			goto out;
		filing_dispose(&f);
		if ((rc = filing_decide(st, &f, &m)))
			goto out;
	}
	/*
	 * The events, and what they make of the tables: the row and the life come from the events alone (a
	 * principal who files is the filing's actor, so the log says who may not sign for it).
	 */
	if ((rc = custos_store_measure_next_id(st, next)) ||
	    (rc = wf_append(st, "measure.filed", principal ? principal : actor, next, canon, NULL, NULL)) ||
	    (rc = wf_append(st, "measure.decided", actor, next, f.undecided, &index, &complete)) ||
	    (complete && (rc = wf_authorize(st, next, actor))) ||
	    (rc = wf_decision_placed(&printed, f.undecided, next, index)))
		goto out;
	if (!(id = custos_strdup(next))) {
		rc = wf_oom();
		goto out;
	}
	in_tx = 0;
	if ((rc = custos_store_commit(st)))
		goto out;
	*id_out = id;
	*decision_json = printed;
	id = printed = NULL;
out:
	if (in_tx)
		custos_store_abort(st, rc);
	filing_dispose(&f);
	custos_measure_dispose(&m);
	free(canon);
	free(id);
	free(printed);
	return rc;
}
