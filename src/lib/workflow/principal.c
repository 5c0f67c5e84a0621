/* principal.c — the principals who sign approvals: registered, listed, revoked, each an event. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/model.h"
#include "custos/principal.h"
#include "util/util.h"
#include "workflow/workflow_int.h"

#define KIND "principal"

/* ---- roles -------------------------------------------------------------------------------- */

static const char *const extra_roles[] = {"registrar", "requester"};

int custos_principal_role_valid(const char *role)
{
	custos_role r;
	if (!role)
		return 0;
	if (custos_role_from_name(&r, role) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(extra_roles) / sizeof(extra_roles[0]); i++)
		if (strcmp(role, extra_roles[i]) == 0)
			return 1;
	return 0;
}

const char *custos_principal_roles_list(void)
{
	static _Thread_local char list[512];
	if (!list[0]) {
		custos_buf b;
		custos_buf_init(&b, sizeof(list) - 1);
		for (int r = 0; r < CUSTOS_ROLE__COUNT; r++)
			custos_buf_printf(&b, "%s%s", r ? ", " : "", custos_role_name((custos_role)r));
		for (size_t i = 0; i < sizeof(extra_roles) / sizeof(extra_roles[0]); i++)
			custos_buf_printf(&b, ", %s", extra_roles[i]);
		if (b.ptr)
			memcpy(list, b.ptr, b.len < sizeof(list) - 1 ? b.len : sizeof(list) - 1);
		custos_buf_dispose(&b);
	}
	return list;
}

int custos_principal_has_role(const custos_principal *p, const char *role)
{
	for (size_t i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], role) == 0)
			return 1;
	return 0;
}

/* ---- the record ----------------------------------------------------------------------------- */

void custos_principal_dispose(custos_principal *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->name);
	free(p->authority);
	for (size_t i = 0; i < p->nroles; i++)
		free(p->roles[i]);
	free(p->roles);
	free(p->pubkey);
	free(p->added_at);
	free(p->revoked_at);
	memset(p, 0, sizeof(*p));
}

static int id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A one-line text field: non-empty, at most `max` bytes, no control characters. */
static int text_valid(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Checks every field of a principal to be registered; the message names the field. */
static int principal_check(const custos_principal *p)
{
	custos_verifier *v = NULL;
	int rc;
	if (!id_valid(p->id))
		return custos_error_set(CUSTOS_EINVALID, "id: '%s' is not 1-64 of A-Z a-z 0-9 . _ -", p->id ? p->id : "");
	if (!text_valid(p->name, 200))
		return custos_error_set(CUSTOS_EINVALID, "name: required, one line of at most 200 bytes");
	if (!id_valid(p->authority))
		return custos_error_set(CUSTOS_EINVALID, "authority: '%s' is not 1-64 of A-Z a-z 0-9 . _ -",
					p->authority ? p->authority : "");
	if (p->nroles == 0)
		return custos_error_set(CUSTOS_EINVALID, "roles: at least one role is required (%s)",
					custos_principal_roles_list());
	for (size_t i = 0; i < p->nroles; i++) {
		if (!custos_principal_role_valid(p->roles[i]))
			return custos_error_set(CUSTOS_EINVALID, "roles: unknown role '%s' (one of %s)", p->roles[i],
						custos_principal_roles_list());
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->roles[i], p->roles[j]) == 0)
				return custos_error_set(CUSTOS_EINVALID, "roles: '%s' given twice", p->roles[i]);
	}
	if (!p->pubkey)
		return custos_error_set(CUSTOS_EINVALID, "pubkey: required (a signed-note verifier key name+hash+base64)");
	if ((rc = custos_verifier_new(&v, p->pubkey)))
		return custos_error_prefix(CUSTOS_EINVALID, "pubkey: not a signed-note verifier key (name+hash+base64)");
	rc = custos_verifier_type(v) == 0x01
		     ? 0
		     : custos_error_set(CUSTOS_EINVALID, "pubkey: a witness (cosignature) key, not an Ed25519 signing key");
	custos_verifier_free(v);
	return rc;
}

int custos_principal_encode(char **out, const custos_principal *p)
{
	json_t *o = json_object(), *roles = json_array();
	for (size_t i = 0; i < p->nroles; i++)
		json_array_append_new(roles, json_string(p->roles[i]));
	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "authority", json_string(p->authority));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "pubkey", json_string(p->pubkey));
	json_object_set_new(o, "added_at", p->added_at ? json_string(p->added_at) : json_null());
	json_object_set_new(o, "revoked_at", p->revoked_at ? json_string(p->revoked_at) : json_null());
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *out ? 0 : custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

static int take_string(char **out, json_t *o, const char *key, int nullable)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if ((!v || json_is_null(v)) && nullable)
		return 0;
	if (!json_is_string(v))
		return custos_error_set(CUSTOS_EINVALID, "principal: %s: expected a string", key);
	*out = custos_strdup(json_string_value(v));
	return *out ? 0 : custos_error_set(CUSTOS_ENOMEM, "out of memory");
}

int custos_principal_decode(custos_principal *out, const char *json)
{
	static const char *const keys[] = {"id", "name", "authority", "roles", "pubkey", "added_at", "revoked_at"};
	json_error_t err;
	json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &err), *roles;
	const char *key;
	json_t *val;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!json_is_object(o)) {
		json_decref(o);
		return custos_error_set(CUSTOS_EINVALID, "principal: not a JSON object (%s)", err.text);
	}
	json_object_foreach(o, key, val)
	{
		size_t i;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[i]) != 0; i++)
			;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			rc = custos_error_set(CUSTOS_EINVALID, "principal: unknown field '%s'", key);
			goto out;
		}
	}
	if ((rc = take_string(&out->id, o, "id", 0)) || (rc = take_string(&out->name, o, "name", 0)) ||
	    (rc = take_string(&out->authority, o, "authority", 0)) || (rc = take_string(&out->pubkey, o, "pubkey", 0)) ||
	    (rc = take_string(&out->added_at, o, "added_at", 1)) ||
	    (rc = take_string(&out->revoked_at, o, "revoked_at", 1)))
		goto out;
	roles = json_object_get(o, "roles");
	if (!json_is_array(roles)) {
		rc = custos_error_set(CUSTOS_EINVALID, "principal: roles: expected an array of role names");
		goto out;
	}
	out->roles = calloc(json_array_size(roles) + 1, sizeof(*out->roles));
	if (!out->roles) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(roles); i++) {
		json_t *r = json_array_get(roles, i);
		if (!json_is_string(r)) {
			rc = custos_error_set(CUSTOS_EINVALID, "principal: roles[%zu]: expected a string", i);
			goto out;
		}
		if (!(out->roles[out->nroles++] = custos_strdup(json_string_value(r)))) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	json_decref(o);
	if (rc)
		custos_principal_dispose(out);
	return rc;
}

/* ---- the store ------------------------------------------------------------------------------ */

int custos_principal_get(custos_store *st, const char *id, custos_principal *out)
{
	char *body = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = custos_store_record_get(st, KIND, id, &body))) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_error_set(rc, "no principal '%s'", id);
		return rc;
	}
	rc = custos_principal_decode(out, body);
	free(body);
	return rc;
}

typedef struct {
	custos_principal_fn fn;
	void *ctx;
} each_ctx;

static int each_row(void *vctx, const char *id, const char *body)
{
	each_ctx *c = vctx;
	custos_principal p;
	int rc = custos_principal_decode(&p, body);
	if (rc)
		return custos_error_prefix(rc, "stored principal '%s'", id);
	rc = c->fn(c->ctx, &p);
	custos_principal_dispose(&p);
	return rc;
}

int custos_principal_each(custos_store *st, custos_principal_fn fn, void *ctx)
{
	each_ctx c = {fn, ctx};
	return custos_store_record_each(st, KIND, NULL, each_row, &c);
}

typedef struct {
	const char *vkey;
	custos_principal *out;
	int found;
} key_ctx;

static int match_key(void *vctx, const custos_principal *p)
{
	key_ctx *k = vctx;
	custos_principal copy;
	char *json = NULL;
	int rc;
	if (p->revoked_at || strcmp(p->pubkey, k->vkey) != 0)
		return 0;
	/* copy through the codec: the callback's principal is disposed after it returns */
	if ((rc = custos_principal_encode(&json, p)) || (rc = custos_principal_decode(&copy, json))) {
		free(json);
		return rc;
	}
	free(json);
	*k->out = copy;
	k->found = 1;
	return 1; /* stop */
}

int custos_principal_by_key(custos_store *st, const char *vkey, custos_principal *out)
{
	key_ctx k = {vkey, out, 0};
	int rc;
	memset(out, 0, sizeof(*out));
	rc = custos_principal_each(st, match_key, &k);
	if (k.found)
		return 0;
	if (rc)
		return rc;
	return custos_error_set(CUSTOS_ENOTFOUND, "no active principal holds the key %s", vkey);
}

/* Appends the event, in the caller's transaction; the record is what the event makes of it (project.c). */
static int principal_store(custos_store *st, const custos_principal *p, const char *event, const char *payload,
			   const char *actor)
{
	char *body = NULL;
	int rc;
	if ((rc = custos_principal_encode(&body, p)))
		return rc;
	rc = wf_append(st, event, actor, p->id, payload ? payload : body, NULL, NULL);
	free(body);
	return rc;
}

int custos_principal_add(custos_store *st, const custos_principal *p, const char *actor)
{
	custos_principal rec = *p, other;
	char now[21];
	int rc;
	if ((rc = principal_check(p)) || (rc = custos_time_now(now)))
		return rc;
	rec.added_at = now;
	rec.revoked_at = NULL;
	if ((rc = custos_store_begin(st)))
		return rc;
	rc = custos_principal_get(st, p->id, &other);
	if (rc == 0) {
		rc = custos_error_set(CUSTOS_EEXISTS, "id: principal '%s' already exists%s (ids are never reused)", p->id,
				      other.revoked_at ? " (revoked)" : "");
		custos_principal_dispose(&other);
		goto out;
	}
	if (rc != CUSTOS_ENOTFOUND)
		goto out;
	rc = custos_principal_by_key(st, p->pubkey, &other);
	if (rc == 0) {
		rc = custos_error_set(CUSTOS_EEXISTS, "pubkey: already held by principal '%s'", other.id);
		custos_principal_dispose(&other);
		goto out;
	}
	if (rc != CUSTOS_ENOTFOUND)
		goto out;
	if ((rc = principal_store(st, &rec, "principal.added", NULL, actor)))
		goto out;
	return custos_store_commit(st);
out:
	custos_store_rollback(st);
	return rc;
}

int custos_principal_revoke(custos_store *st, const char *id, const char *reason, const char *actor)
{
	custos_principal p;
	char now[21], *payload = NULL;
	json_t *o;
	int rc;
	if (reason && !text_valid(reason, CUSTOS_REASON_MAX))
		return custos_error_set(CUSTOS_EINVALID, "reason: one line of at most %d bytes", CUSTOS_REASON_MAX);
	if ((rc = custos_time_now(now)) || (rc = custos_store_begin(st)))
		return rc;
	if ((rc = custos_principal_get(st, id, &p)))
		goto out;
	if (p.revoked_at) {
		rc = custos_error_set(CUSTOS_EINVALID, "principal '%s' was already revoked at %s", id, p.revoked_at);
		custos_principal_dispose(&p);
		goto out;
	}
	p.revoked_at = custos_strdup(now);
	o = json_pack("{s:s, s:s, s:s?}", "id", id, "revoked_at", now, "reason", reason);
	payload = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!p.revoked_at || !payload)
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	else
		rc = principal_store(st, &p, "principal.revoked", payload, actor);
	custos_principal_dispose(&p);
	free(payload);
	if (rc)
		goto out;
	return custos_store_commit(st);
out:
	custos_store_rollback(st);
	return rc;
}
