/* audit.c — re-checks the log's workflow events: every statement's and token's signature again, under the keys of the time. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

struct wf_audit {
	custos_store *st;
	custos_verifier *log_key;
	json_t *principals; /* id -> principal JSON as the log last had it */
	uint64_t checked;
};
typedef struct wf_audit audit;

static int bad(int64_t index, const char *fmt, ...) CUSTOS_PRINTF(2, 3);
static int bad(int64_t index, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return custos_error_set(CUSTOS_EINVALID, "event %lld: %s", (long long)index, what);
}

/* A principal's statement: signed by the key the principal had here in the log, under a role it held. */
static int audit_statement(audit *a, const custos_store_event *e, json_t *payload)
{
	const char *note = json_string_value(json_object_get(payload, "statement"));
	const char *who = json_string_value(json_object_get(payload, "principal"));
	custos_note n;
	custos_statement s;
	custos_verifier *v = NULL;
	json_t *p, *roles, *r;
	size_t i;
	int rc, has_role = 0;
	if (!note || !who)
		return bad(e->index, "%s: payload without its statement", e->type);
	if (custos_note_parse(&n, note, strlen(note)))
		return bad(e->index, "%s: the statement is not a signed note", e->type);
	if ((rc = custos_statement_parse(&s, n.text, n.text_len))) {
		custos_note_dispose(&n);
		return bad(e->index, "%s: %s", e->type, custos_error_last());
	}
	p = json_object_get(a->principals, s.principal);
	if (strcmp(s.principal, who) != 0 || !e->ref || strcmp(e->ref, s.measure) != 0 ||
	    strcmp(wf_action_event(s.action), e->type) != 0) {
		rc = bad(e->index, "%s: the statement does not match its event (principal %s)", e->type, s.principal);
	} else if (!p) {
		rc = bad(e->index, "statement by %s, who is not a registered principal at this point of the log",
			 s.principal);
	} else if (json_is_string(json_object_get(p, "revoked_at"))) {
		rc = bad(e->index, "statement by %s, revoked before it signed", s.principal);
	} else if (custos_verifier_new(&v, json_string_value(json_object_get(p, "pubkey"))) ||
		   custos_note_verify(&n, v)) {
		rc = bad(e->index, "statement by %s: the signature does not verify under its registered key",
			 s.principal);
	} else {
		roles = json_object_get(p, "roles");
		json_array_foreach(roles, i, r) has_role |= strcmp(json_string_value(r), s.role) == 0;
		rc = has_role ? 0 : bad(e->index, "statement by %s under role %s, which it does not hold", s.principal, s.role);
	}
	custos_verifier_free(v);
	custos_note_dispose(&n);
	if (rc)
		return rc;
	a->checked++;
	return 0;
}

static int audit_token(audit *a, const custos_store_event *e, json_t *payload)
{
	const char *note = json_string_value(json_object_get(payload, "token"));
	const char *id = json_string_value(json_object_get(payload, "authorization"));
	custos_note n;
	custos_authorization t;
	int rc;
	if (!note || !id)
		return bad(e->index, "authorization.issued: payload without its token");
	if (custos_note_parse(&n, note, strlen(note)))
		return bad(e->index, "authorisation %s: not a signed note", id);
	rc = custos_note_verify(&n, a->log_key);
	if (rc) {
		custos_note_dispose(&n);
		return bad(e->index, "authorisation %s: not signed by the log's key", id);
	}
	rc = custos_authorization_parse(&t, n.text, n.text_len);
	custos_note_dispose(&n);
	if (rc)
		return bad(e->index, "authorisation %s: %s", id, custos_error_last());
	if (strcmp(t.id, id) != 0 || !e->ref || strcmp(t.measure, e->ref) != 0)
		rc = bad(e->index, "authorisation %s: the token names another id or measure (%s)", id, t.id);
	else if (t.log_size && t.log_size != (uint64_t)e->index + 1)
		rc = bad(e->index, "authorisation %s: the token says log size %llu, but its event makes the log %lld long",
			 id, (unsigned long long)t.log_size, (long long)e->index + 1);
	custos_authorization_dispose(&t);
	if (rc)
		return rc;
	a->checked++;
	return 0;
}

int wf_audit_event(void *ctx, const custos_store_event *e)
{
	audit *a = ctx;
	json_t *payload;
	int rc = 0;
	if (strncmp(e->type, "principal.", 10) != 0 && strncmp(e->type, "measure.", 8) != 0 &&
	    strcmp(e->type, "authorization.issued") != 0)
		return 0;
	if (!e->payload[0])
		return 0; /* erased at the end of its retention: the log's own verify vouches for that */
	payload = json_loads(e->payload, 0, NULL);
	if (!payload)
		return bad(e->index, "%s: payload is not JSON", e->type);
	if (strcmp(e->type, "principal.added") == 0) {
		const char *id = json_string_value(json_object_get(payload, "id"));
		if (!id || json_object_get(a->principals, id))
			rc = bad(e->index, "principal.added: missing or repeated id %s", id ? id : "");
		else
			json_object_set(a->principals, id, payload);
	} else if (strcmp(e->type, "principal.revoked") == 0) {
		const char *id = json_string_value(json_object_get(payload, "id"));
		json_t *p = id ? json_object_get(a->principals, id) : NULL;
		if (!p)
			rc = bad(e->index, "principal.revoked: unknown principal %s", id ? id : "");
		else
			json_object_set(p, "revoked_at", json_object_get(payload, "revoked_at"));
	} else if (strcmp(e->type, "authorization.issued") == 0) {
		rc = audit_token(a, e, payload);
	} else if (json_object_get(payload, "statement")) {
		rc = audit_statement(a, e, payload);
	}
	json_decref(payload);
	return rc;
}

int wf_audit_new(wf_audit **out, custos_store *st)
{
	audit *a = calloc(1, sizeof(*a));
	char *vkey = NULL;
	int rc;
	*out = NULL;
	if (!a || !(a->principals = json_object())) {
		free(a);
		return wf_oom();
	}
	a->st = st;
	if ((rc = custos_log_vkey(st, &vkey)) || (rc = custos_verifier_new(&a->log_key, vkey))) {
		free(vkey);
		wf_audit_free(a);
		return rc;
	}
	free(vkey);
	*out = a;
	return 0;
}

uint64_t wf_audit_signatures(const wf_audit *a)
{
	return a->checked;
}

void wf_audit_free(wf_audit *a)
{
	if (!a)
		return;
	custos_verifier_free(a->log_key);
	json_decref(a->principals);
	free(a);
}
