/* project.c — every table custos reads as state is a fold of the log: state = apply(state, event), one event at a time. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "custos/registry.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

int wf_decision_placed(char **out, const char *undecided, const char *id, int64_t index)
{
	size_t n = strlen(undecided);
	custos_buf b;
	int rc;
	*out = NULL;
	if (n < 2 || undecided[0] != '{' || undecided[n - 1] != '}')
		return custos_error_set(CUSTOS_EINVALID, "decision of %s: not a JSON object", id);
	custos_buf_init(&b, SIZE_MAX / 2);
	if ((rc = custos_buf_puts(&b, "{\"id\":")) || (rc = custos_buf_json_string(&b, id)) ||
	    (n > 2 && (rc = custos_buf_puts(&b, ","))) || (rc = custos_buf_append(&b, undecided + 1, n - 2)) ||
	    (rc = custos_buf_printf(&b, ",\"log_index\":%lld}", (long long)index))) {
		custos_buf_dispose(&b);
		return rc;
	}
	*out = custos_buf_detach(&b);
	return *out ? 0 : wf_oom();
}

/* rules.loaded: the rule set kept by its hash (its text is in the event), and put in force. */
static int on_rules(wf_apply *a, const custos_store_event *e)
{
	json_t *payload = e->payload[0] ? json_loads(e->payload, 0, NULL) : NULL;
	const char *canon = json_string_value(json_object_get(payload, "canonical"));
	uint8_t digest[32];
	char hash[72];
	int rc = 0;
	if (!e->ref || !wf_hash_valid(e->ref)) {
		json_decref(payload);
		return custos_error_set(CUSTOS_EINVALID, "event %lld: rules.loaded: no rule-set hash", (long long)e->index);
	}
	if (!canon) {
		/* a rule set loaded before its text went into the log: the row it left, if its text has that hash */
		canon = json_string_value(json_object_get(a->legacy_rules, e->ref));
	}
	if (canon) {
		custos_sha256(digest, canon, strlen(canon));
		custos_sha256_label(hash, digest);
		if (strcmp(hash, e->ref) != 0)
			rc = custos_error_set(CUSTOS_EINVALID, "event %lld: rules.loaded: its text does not hash to %s",
					      (long long)e->index, e->ref);
		else
			rc = custos_store_rules_put(a->st, e->ref, canon, e->time);
	}
	if (!rc)
		rc = custos_store_meta_set(a->st, WF_META_RULES, e->ref);
	json_decref(payload);
	return rc;
}

/* principal.added (the payload is the record) and principal.revoked. */
static int on_principal(wf_apply *a, const custos_store_event *e)
{
	custos_principal p;
	json_t *payload;
	char *body = NULL;
	int rc;
	if (!e->ref)
		return custos_error_set(CUSTOS_EINVALID, "event %lld: %s: no principal", (long long)e->index, e->type);
	if (strcmp(e->type, "principal.added") == 0) {
		if (!e->payload[0])
			return 0; /* erased: the principal is forgotten (and can sign nothing more) */
		if ((rc = custos_principal_decode(&p, e->payload)))
			return custos_error_prefix(rc, "event %lld: principal.added", (long long)e->index);
		custos_principal_dispose(&p);
		return custos_store_record_put(a->st, WF_PRINCIPAL, e->ref, e->payload);
	}
	if ((rc = custos_store_record_get(a->st, WF_PRINCIPAL, e->ref, &body)))
		return rc == CUSTOS_ENOTFOUND ? 0 : rc;
	rc = custos_principal_decode(&p, body);
	free(body);
	if (rc)
		return rc;
	payload = e->payload[0] ? json_loads(e->payload, 0, NULL) : NULL;
	free(p.revoked_at);
	/* revoked when the event says; an erased revocation still revoked, at the event's time */
	p.revoked_at = custos_strdup(json_is_string(json_object_get(payload, "revoked_at"))
					     ? json_string_value(json_object_get(payload, "revoked_at"))
					     : e->time);
	json_decref(payload);
	body = NULL;
	if (!p.revoked_at)
		rc = wf_oom();
	else if (!(rc = custos_principal_encode(&body, &p)))
		rc = custos_store_record_put(a->st, WF_PRINCIPAL, e->ref, body);
	free(body);
	custos_principal_dispose(&p);
	return rc;
}

int wf_apply_event(wf_apply *a, const custos_store_event *e)
{
	a->complete = 0;
	if (strcmp(e->type, "registry.import") == 0) {
		int legacy = 0, rc = custos_registry_project(a->st, e->payload, &legacy);
		a->legacy |= legacy;
		return rc ? custos_error_prefix(rc, "event %lld: registry.import", (long long)e->index) : 0;
	}
	if (strcmp(e->type, "rules.loaded") == 0)
		return on_rules(a, e);
	if (strncmp(e->type, "principal.", 10) == 0)
		return on_principal(a, e);
	if (strncmp(e->type, "measure.", 8) == 0 || strcmp(e->type, "authorization.issued") == 0)
		return wf_life_apply(a, e);
	if (strcmp(e->type, "log.witness_added") == 0 || strncmp(e->type, "witness.", 8) == 0)
		return custos_log_apply(a->st, e);
	if (strncmp(e->type, "openli.", 7) == 0)
		return wf_gate_apply(a, e);
	if (strcmp(e->type, "request.accepted") == 0) {
		json_t *payload = json_loads(e->payload, 0, NULL);
		const char *key = json_string_value(json_object_get(payload, "key"));
		json_t *first = json_object_get(payload, "first");
		int rc = key && json_is_integer(first)
				 ? custos_store_request_put(a->st, key, json_integer_value(first))
				 : custos_error_set(CUSTOS_EINVALID, "no key and index in its payload");
		json_decref(payload);
		return rc ? custos_error_prefix(rc, "event %lld: request.accepted", (long long)e->index) : 0;
	}
	return 0; /* the log's own events (log.erase, benchmarks' and tests' events) project to nothing */
}

int wf_append(custos_store *st, const char *type, const char *actor, const char *ref, const char *payload,
	      int64_t *index, int *complete)
{
	wf_apply a = {st, 0, 0, NULL, NULL};
	custos_store_event e;
	int64_t idx;
	int rc;
	if (complete)
		*complete = 0;
	if (!custos_store_in_transaction(st))
		return custos_error_set(CUSTOS_ERROR, "%s: an event and its projection are written in one transaction", type);
	if ((rc = custos_store_event_append(st, type, actor, ref, payload, &idx)))
		return rc;
	e = (custos_store_event){idx, (char *)type, (char *)custos_store_event_time(st), (char *)actor, (char *)ref,
				 (char *)payload, NULL};
	if ((rc = wf_apply_event(&a, &e)))
		return rc;
	if (index)
		*index = idx;
	if (complete)
		*complete = a.complete;
	return 0;
}
