/* audit.c — re-checks the workflow against the log: every signature again, every record against its event. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

typedef struct {
	custos_store *st;
	custos_verifier *log_key;
	json_t *principals; /* id -> principal JSON as the log last had it */
	json_t *statements; /* sha256 hex of a logged statement note -> event index */
	json_t *tokens;	    /* authorisation id -> token */
	json_t *parties;    /* party id -> {"line": its canonical line, "index": the import event that set it} */
	int64_t registry_unknown; /* an import whose parties the log does not hold (older format, erased), or -1 */
	uint64_t checked;
} audit;

static void hex_of(char out[65], const char *s)
{
	uint8_t d[32];
	custos_sha256(d, s, strlen(s));
	custos_hex(out, d, 32);
}

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
	char hex[65];
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
	hex_of(hex, note);
	json_object_set_new(a->statements, hex, json_integer(e->index));
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
	json_object_set_new(a->tokens, id, json_string(note));
	return 0;
}

/* A registry import: the lines it set, replayed into the registry the log holds. */
static int audit_import(audit *a, const custos_store_event *e)
{
	json_t *payload, *lines, *line;
	size_t i;
	int rc = 0;
	if (!e->payload[0]) { /* erased: what it set can no longer be replayed */
		if (a->registry_unknown < 0)
			a->registry_unknown = e->index;
		return 0;
	}
	if (!(payload = json_loads(e->payload, 0, NULL)))
		return bad(e->index, "registry.import: payload is not JSON");
	if (!json_is_array(lines = json_object_get(payload, "parties"))) {
		if (a->registry_unknown < 0) /* written before imports carried their lines */
			a->registry_unknown = e->index;
		json_decref(payload);
		return 0;
	}
	json_array_foreach(lines, i, line)
	{
		json_t *party = json_loads(json_string_value(line) ? json_string_value(line) : "", 0, NULL);
		const char *id = json_string_value(json_object_get(party, "id"));
		if (!id)
			rc = bad(e->index, "registry.import: parties[%zu] is not a party line", i);
		else if (json_object_set_new(a->parties, id,
					     json_pack("{s:O, s:I}", "line", line, "index", (json_int_t)e->index)))
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		json_decref(party);
		if (rc)
			break;
	}
	json_decref(payload);
	return rc;
}

/* The first top-level field in which two party lines differ ("" if they parse to the same). */
static void first_difference(char *out, size_t cap, const char *want, const char *have)
{
	json_t *w = json_loads(want, 0, NULL), *h = json_loads(have, 0, NULL), *v;
	const char *key;
	snprintf(out, cap, "%s", w && h ? "" : "the line");
	json_object_foreach(w, key, v) if (!*out && !json_equal(v, json_object_get(h, key))) snprintf(out, cap, "%s", key);
	json_object_foreach(h, key, v) if (!*out && !json_object_get(w, key)) snprintf(out, cap, "%s", key);
	if (!*out && strcmp(want, have) != 0)
		snprintf(out, cap, "the line's bytes");
	json_decref(w);
	json_decref(h);
}

/* A row of the parties table against the registry the log holds. */
static int audit_party_row(void *ctx, const char *id, const char *line)
{
	audit *a = ctx;
	json_t *want = json_object_get(a->parties, id);
	const char *wline = json_string_value(json_object_get(want, "line"));
	char field[64];
	if (!want)
		return custos_error_set(CUSTOS_EINVALID, "table parties, key %s: no import in the log set it", id);
	first_difference(field, sizeof(field), wline, line);
	if (*field)
		return custos_error_set(CUSTOS_EINVALID, "table parties, key %s, field %s: differs from what event %lld imported",
					id, field, (long long)json_integer_value(json_object_get(want, "index")));
	json_object_set_new(want, "seen", json_true());
	return 0;
}

/* The parties table is the registry the log's imports make: every row, no more, no less, byte for byte. */
static int audit_registry(audit *a)
{
	const char *id;
	json_t *want;
	int rc;
	if (a->registry_unknown >= 0)
		return 0; /* an import before its lines were logged (or erased since): the rows it set cannot be replayed */
	if ((rc = custos_store_party_each(a->st, audit_party_row, a)))
		return rc;
	json_object_foreach(a->parties, id, want) if (!json_object_get(want, "seen")) return custos_error_set(
		CUSTOS_EINVALID, "table parties, key %s: missing (event %lld imported it)", id,
		(long long)json_integer_value(json_object_get(want, "index")));
	return 0;
}

static int audit_event(void *ctx, const custos_store_event *e)
{
	audit *a = ctx;
	json_t *payload;
	int rc = 0;
	if (strcmp(e->type, "registry.import") == 0)
		return audit_import(a, e);
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

/* ---- the records against the log ---------------------------------------------------------------- */

static int bad_record(const char *kind, const char *id, const char *what)
{
	return custos_error_set(CUSTOS_EINVALID, "record %s %s: %s", kind, id, what);
}

static int audit_statement_record(void *ctx, const char *id, const char *body)
{
	audit *a = ctx;
	json_t *rec = json_loads(body, 0, NULL), *at;
	char hex[65];
	int rc = 0;
	const char *note = json_string_value(json_object_get(rec, "statement"));
	if (!note) {
		rc = bad_record("statement", id, "does not parse");
	} else {
		hex_of(hex, note);
		at = json_object_get(a->statements, hex);
		if (!at)
			rc = bad_record("statement", id, "is not a signed statement of the log (inserted without its key?)");
		else if (!json_equal(at, json_object_get(rec, "index")))
			rc = bad_record("statement", id, "points at another event than the one that logged it");
	}
	json_decref(rec);
	return rc;
}

static int audit_token_record(void *ctx, const char *id, const char *body)
{
	audit *a = ctx;
	json_t *rec = json_loads(body, 0, NULL);
	const char *logged = json_string_value(json_object_get(a->tokens, id));
	int rc = 0;
	if (!rec || !logged || strcmp(logged, wf_jstr(rec, "token")) != 0)
		rc = bad_record("authorization", id, "is not the token the log issued");
	json_decref(rec);
	return rc;
}

static int audit_principal_record(void *ctx, const char *id, const char *body)
{
	audit *a = ctx;
	json_t *rec = json_loads(body, 0, NULL), *p = json_object_get(a->principals, id);
	int rc = 0;
	if (!rec || !p)
		rc = bad_record("principal", id, "was never registered in the log");
	else if (!json_equal(json_object_get(rec, "pubkey"), json_object_get(p, "pubkey")) ||
		 !json_equal(json_object_get(rec, "roles"), json_object_get(p, "roles")))
		rc = bad_record("principal", id, "key or roles differ from what the log registered");
	else if (json_is_null(json_object_get(rec, "revoked_at")) != !json_is_string(json_object_get(p, "revoked_at")))
		rc = bad_record("principal", id, "revocation differs from the log");
	json_decref(rec);
	return rc;
}

/*
 * The asserted facts of a life are those of its round's decision as logged
 * (none dropped, none changed), and an approval's signed statement lists
 * every fact its role confirmed: so no protection was lifted on the
 * requester's word alone. A confirmed fact needs its role's approval.
 */
static int audit_assertions(audit *a, const char *id, const json_t *life, const json_t *ap, const custos_statement *s)
{
	const json_t *as = json_object_get(life, "assertions"), *x;
	const char *want = strcmp(wf_jstr(ap, "state"), "approved") == 0 ? "confirmed" : "refused";
	char line[CUSTOS_CONFIRM_LINE], what[CUSTOS_CONFIRM_LINE + 128];
	size_t i;
	(void)a;
	if (strcmp(want, "confirmed") == 0 && (x = wf_assertion_unlisted(as, s))) {
		wf_assertion_line(line, sizeof(line), x);
		snprintf(what, sizeof(what), "%s approved without confirming the asserted fact '%s'", s->role, line);
		return bad_record("life", id, what);
	}
	json_array_foreach(as, i, x)
	{
		if (strcmp(wf_jstr(x, "confirm_by"), s->role) != 0 || strcmp(wf_jstr(x, "state"), want) == 0)
			continue;
		wf_assertion_line(line, sizeof(line), x);
		snprintf(what, sizeof(what), "asserted fact '%s' is %s, but %s %s", line, wf_jstr(x, "state"), s->role,
			 wf_jstr(ap, "state"));
		return bad_record("life", id, what);
	}
	return 0;
}

/* The life's asserted facts against the decision its round logged. */
static int audit_life_decision(audit *a, const char *id, const json_t *life)
{
	const json_t *have = json_object_get(life, "assertions"), *want, *x, *y;
	json_t *d = NULL;
	custos_store_event e;
	size_t i;
	int rc = 0;
	if (!json_is_integer(json_object_get(life, "decision_index")))
		return 0;
	if (custos_store_event_get(a->st, json_integer_value(json_object_get(life, "decision_index")), &e))
		return bad_record("life", id, "points at a decision the log does not hold");
	if (e.payload[0] && (strcmp(e.type, "measure.decided") == 0 || strcmp(e.type, "measure.extension_decided") == 0 ||
			     strcmp(e.type, "measure.rescreened") == 0) &&
	    !(d = json_loads(e.payload, 0, NULL)))
		rc = bad_record("life", id, "its decision does not parse");
	custos_store_event_dispose(&e);
	if (rc || !d)
		return rc; /* a sealed decision: nothing to compare */
	want = json_object_get(d, "assertions");
	if (json_array_size(want) != json_array_size(have))
		rc = bad_record("life", id, "its asserted facts are not those of its decision");
	json_array_foreach(want, i, x)
	{
		char l1[CUSTOS_CONFIRM_LINE], l2[CUSTOS_CONFIRM_LINE];
		if (rc)
			break;
		y = json_array_get(have, i);
		wf_assertion_line(l1, sizeof(l1), x);
		wf_assertion_line(l2, sizeof(l2), y);
		if (strcmp(l1, l2) != 0 || strcmp(wf_jstr(x, "confirm_by"), wf_jstr(y, "confirm_by")) != 0)
			rc = bad_record("life", id, "its asserted facts are not those of its decision");
	}
	json_decref(d);
	return rc;
}

/* Every signed approval of a life must point at a logged statement by that principal for that role. */
static int audit_life_record(void *ctx, const char *id, const char *body)
{
	audit *a = ctx;
	json_t *life = json_loads(body, 0, NULL), *ap;
	size_t i;
	int rc = 0;
	if (!life)
		return bad_record("life", id, "does not parse");
	if ((rc = audit_life_decision(a, id, life))) {
		json_decref(life);
		return rc;
	}
	json_array_foreach(json_object_get(life, "approvals"), i, ap)
	{
		const char *sid = json_string_value(json_object_get(ap, "statement"));
		char *sbody = NULL;
		json_t *srec = NULL;
		custos_note n;
		custos_statement s;
		char what[256];
		if (strcmp(wf_jstr(ap, "state"), "pending") == 0)
			continue;
		snprintf(what, sizeof(what), "approval of %s is %s without a signed statement", wf_jstr(ap, "role"),
			 wf_jstr(ap, "state"));
		if (!sid || custos_store_record_get(a->st, WF_STATEMENT, sid, &sbody)) {
			rc = bad_record("life", id, what);
			break;
		}
		srec = json_loads(sbody, 0, NULL);
		free(sbody);
		{
			const char *note = srec ? json_string_value(json_object_get(srec, "statement")) : NULL;
			int ok = note && custos_note_parse(&n, note, strlen(note)) == 0;
			if (ok) {
				ok = custos_statement_parse(&s, n.text, n.text_len) == 0 && strcmp(s.measure, id) == 0 &&
				     strcmp(s.role, wf_jstr(ap, "role")) == 0 &&
				     strcmp(s.principal, wf_jstr(ap, "principal")) == 0;
				custos_note_dispose(&n);
			}
			if (!ok)
				rc = bad_record("life", id, what);
			else
				rc = audit_assertions(a, id, life, ap, &s);
		}
		json_decref(srec);
		if (rc)
			break;
	}
	json_decref(life);
	return rc;
}

int custos_workflow_audit(custos_store *st, uint64_t *checked)
{
	audit a = {st, NULL, json_object(), json_object(), json_object(), json_object(), -1, 0};
	char *vkey = NULL;
	int rc, began = 0;
	*checked = 0;
	if (!a.principals || !a.statements || !a.tokens || !a.parties) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin_read(st)))
			goto out;
		began = 1;
	}
	if ((rc = custos_log_vkey(st, &vkey)) || (rc = custos_verifier_new(&a.log_key, vkey)) ||
	    (rc = custos_store_event_each(st, audit_event, &a)) ||
	    (rc = custos_store_record_each(st, "principal", NULL, audit_principal_record, &a)) ||
	    (rc = custos_store_record_each(st, WF_STATEMENT, NULL, audit_statement_record, &a)) ||
	    (rc = custos_store_record_each(st, WF_AUTHORIZATION, NULL, audit_token_record, &a)) ||
	    (rc = custos_store_record_each(st, WF_LIFE, NULL, audit_life_record, &a)) || (rc = audit_registry(&a)))
		goto out;
	*checked = a.checked;
out:
	if (began)
		custos_store_rollback(st);
	custos_verifier_free(a.log_key);
	free(vkey);
	json_decref(a.principals);
	json_decref(a.statements);
	json_decref(a.tokens);
	json_decref(a.parties);
	return rc;
}
