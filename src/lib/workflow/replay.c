/* replay.c — the log replayed from its first event: every projection checked against it, or rebuilt from it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/log.h"
#include "util/util.h"
#include "workflow/life.h"
#include "workflow/workflow_int.h"

/* The rule sets kept whose text has their hash: what an old rules.loaded event (without its text) loaded. */
static int legacy_rule(void *ctx, const char *key, const char *const *names, const char *const *values, size_t n)
{
	uint8_t digest[32];
	char hash[72];
	(void)names;
	(void)n;
	custos_sha256(digest, values[0], strlen(values[0]));
	custos_sha256_label(hash, digest);
	if (strcmp(hash, key) != 0)
		return 0;
	return json_object_set_new(ctx, key, json_string(values[0])) ? wf_oom() : 0;
}

typedef struct {
	wf_apply *a;
	int64_t events;
} replay_ctx;

static int replay_event(void *vctx, const custos_store_event *e)
{
	replay_ctx *r = vctx;
	int rc = wf_apply_event(r->a, e);
	r->events++;
	if (rc && !strstr(custos_error_last(), "event "))
		custos_error_prefix(rc, "event %lld (%s)", (long long)e->index, e->type);
	return rc;
}

/* Replays every event of `log` into the projections of a->st. */
static int replay(custos_store *log, wf_apply *a, int64_t *events)
{
	replay_ctx r = {a, 0};
	int rc = custos_store_event_each(log, replay_event, &r);
	if (events)
		*events = r.events;
	return rc;
}

/* ---- comparing ------------------------------------------------------------------------------------------ */

typedef struct row {
	char *key;
	char **values;
} row;

typedef struct {
	row *rows;
	size_t n, cap, nfields;
	const char *const *names;
} table;

static int collect(void *ctx, const char *key, const char *const *names, const char *const *values, size_t n)
{
	table *t = ctx;
	row *r;
	int rc;
	if ((rc = custos_array_reserve(&t->rows, &t->cap, t->n, sizeof(*t->rows), 64)))
		return rc;
	r = &t->rows[t->n];
	t->names = names;
	t->nfields = n;
	if (!(r->key = custos_strdup(key)) || !(r->values = calloc(n, sizeof(*r->values)))) {
		free(r->key);
		return wf_oom();
	}
	t->n++;
	for (size_t i = 0; i < n; i++)
		if (!(r->values[i] = custos_strdup(values[i])))
			return wf_oom();
	return 0;
}

static void table_dispose(table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t j = 0; j < t->nfields; j++)
			free(t->rows[i].values[j]);
		free(t->rows[i].values);
		free(t->rows[i].key);
	}
	free(t->rows);
}

/* The first top-level member of two JSON objects that differs, into out; 0 when they are not both objects. */
static int json_member_differs(char *out, size_t cap, const char *want, const char *have)
{
	json_t *w = json_loads(want, 0, NULL), *h = json_loads(have, 0, NULL), *v;
	const char *k;
	int found = 0;
	if (json_is_object(w) && json_is_object(h)) {
		json_object_foreach(w, k, v) if (!found && !json_equal(v, json_object_get(h, k)))
		{
			snprintf(out, cap, "%s", k);
			found = 1;
		}
		json_object_foreach(h, k, v) if (!found && !json_object_get(w, k))
		{
			snprintf(out, cap, "%s", k);
			found = 1;
		}
		if (!found) {
			snprintf(out, cap, "(the order of its members)");
			found = 1;
		}
	}
	json_decref(w);
	json_decref(h);
	return found;
}

typedef struct {
	const char *table;
	const table *want;
	size_t at; /* the next row of want to meet */
	uint64_t checked;
} compare_ctx;

static int differs(const char *tname, const char *key, const char *field, const char *want, const char *have)
{
	char member[128];
	/* a JSON cell names the member that differs ("table parties, key P-1, field valid_to") */
	if (json_member_differs(member, sizeof(member), want, have))
		return custos_error_set(CUSTOS_EINVALID,
					"table %s, key %s, field %s%s%s: differs from what the log's events make of it",
					tname, key, strcmp(tname, "parties") && strcmp(tname, "records") ? field : "",
					strcmp(tname, "parties") && strcmp(tname, "records") ? "." : "", member);
	return custos_error_set(CUSTOS_EINVALID, "table %s, key %s, field %s: differs from what the log's events make of it",
				tname, key, field);
}

static int compare_row(void *vctx, const char *key, const char *const *names, const char *const *values, size_t n)
{
	compare_ctx *c = vctx;
	const table *w = c->want;
	if (c->at < w->n && strcmp(w->rows[c->at].key, key) < 0)
		return custos_error_set(CUSTOS_EINVALID, "table %s, key %s: missing (the log's events make it)", c->table,
					w->rows[c->at].key);
	if (c->at >= w->n || strcmp(w->rows[c->at].key, key) > 0)
		return custos_error_set(CUSTOS_EINVALID, "table %s, key %s: no event of the log makes it", c->table, key);
	for (size_t i = 0; i < n; i++)
		if (strcmp(w->rows[c->at].values[i], values[i]) != 0)
			return differs(c->table, key, names[i], w->rows[c->at].values[i], values[i]);
	c->at++;
	c->checked++;
	return 0;
}

/* Every row of every projection of `st` against the replay's (`want`), in key order. */
static int compare(custos_store *st, custos_store *want, int skip_parties, uint64_t *checked)
{
	int rc = 0;
	for (size_t i = 0; !rc && custos_store_projections[i]; i++) {
		const char *name = custos_store_projections[i];
		table t = {0};
		compare_ctx c = {name, &t, 0, 0};
		if (skip_parties && strcmp(name, "parties") == 0)
			continue; /* an import older than its lines in the log: the registry cannot be told (docs/LOG.md) */
		if (!(rc = custos_store_projection_each(want, name, collect, &t)) &&
		    !(rc = custos_store_projection_each(st, name, compare_row, &c)) && c.at < t.n)
			rc = custos_error_set(CUSTOS_EINVALID, "table %s, key %s: missing (the log's events make it)", name,
					      t.rows[c.at].key);
		*checked += c.checked;
		table_dispose(&t);
	}
	return rc;
}

/* Each event of the one scan: audited, then applied to the replay's projections. */
typedef struct {
	wf_audit *audit;
	wf_apply *apply;
	int64_t failed; /* the event the pass stopped at, or -1 */
} verify_ctx;

static int verify_event(void *vctx, const custos_store_event *e)
{
	verify_ctx *v = vctx;
	int rc = wf_audit_event(v->audit, e);
	if (!rc && (rc = wf_apply_event(v->apply, e)) && !strstr(custos_error_last(), "event "))
		custos_error_prefix(rc, "event %lld (%s)", (long long)e->index, e->type);
	if (rc)
		v->failed = e->index;
	return rc;
}

int custos_workflow_verify(custos_store *st, uint64_t *events, uint64_t *signatures, uint64_t *rows)
{
	custos_store *scratch = NULL;
	json_t *legacy = json_object();
	wf_apply a = {NULL, 0, 0, legacy, calloc(1, sizeof(wf_life))};
	verify_ctx v = {NULL, &a, -1};
	int rc, began = 0;
	*events = *signatures = *rows = 0;
	if (!legacy || !a.last) {
		json_decref(legacy);
		free(a.last);
		return wf_oom();
	}
	/* one snapshot for all of it */
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin_read(st)))
			goto out;
		began = 1;
	}
	/* the replay's projections, in a store of its own in memory, never committed */
	if ((rc = custos_store_open(&scratch, ":memory:", 1)) || (rc = custos_store_begin(scratch)) ||
	    (rc = wf_audit_new(&v.audit, st)))
		goto out;
	a.st = scratch;
	if ((rc = custos_store_projection_each(st, "rulesets", legacy_rule, legacy)))
		goto out;
	rc = custos_log_verify_each(st, events, verify_event, &v);
	/* the signatures checked meanwhile: a failure before the one the pass stopped at (or any) comes first */
	{
		int64_t bad = -1;
		char keep[640];
		snprintf(keep, sizeof(keep), "%s", custos_error_last());
		if (wf_audit_finish(v.audit, &bad) && (!rc || (v.failed >= 0 && bad < v.failed)))
			rc = CUSTOS_EINVALID; /* its message is set */
		else if (rc)
			custos_error_set(rc, "%s", keep);
	}
	if (rc)
		goto out;
	*signatures = wf_audit_signatures(v.audit);
	rc = compare(st, scratch, a.legacy, rows);
out:
	wf_apply_dispose(&a);
	wf_audit_free(v.audit);
	if (scratch)
		custos_store_close(scratch);
	if (began)
		custos_store_rollback(st);
	json_decref(legacy);
	return rc;
}

/* Whether a registry import of the log does not carry its lines (the registry then stays as it is). */
static int legacy_imports(custos_store *st, int *legacy)
{
	int64_t at = 0;
	int rc;
	*legacy = 0;
	while (!*legacy && (rc = custos_store_event_find(st, at, "registry.import", &at)) == 0) {
		custos_store_event e;
		if ((rc = custos_store_event_get(st, at, &e)))
			return rc;
		*legacy = !e.payload[0] || !strstr(e.payload, "\"parties\":");
		custos_store_event_dispose(&e);
		at++;
	}
	return rc == CUSTOS_ENOTFOUND || rc == 0 ? 0 : rc;
}

int wf_rebuild(custos_store *st, int64_t *events)
{
	json_t *legacy = json_object();
	wf_apply a = {st, 0, 0, legacy, calloc(1, sizeof(wf_life))};
	int rc, old_imports = 0;
	if (!legacy || !a.last) {
		json_decref(legacy);
		free(a.last);
		return wf_oom();
	}
	if ((rc = legacy_imports(st, &old_imports)) ||
	    (rc = custos_store_projection_each(st, "rulesets", legacy_rule, legacy)) ||
	    (rc = custos_store_projection_clear(st, old_imports ? CUSTOS_STORE_KEEP_PARTIES : 0)))
		goto out;
	rc = replay(st, &a, events);
out:
	wf_apply_dispose(&a);
	json_decref(legacy);
	return rc;
}

int custos_workflow_rebuild(custos_store *st, int64_t *events)
{
	uint64_t checked = 0;
	int rc;
	*events = 0;
	/* the log first: a projection is rebuilt only from a log that is what it says */
	if ((rc = custos_log_verify(st, &checked)))
		return custos_error_prefix(rc, "the log itself fails verification, nothing rebuilt");
	if ((rc = custos_store_begin(st)))
		return rc;
	if ((rc = wf_rebuild(st, events)))
		return custos_store_abort(st, custos_error_prefix(rc, "rebuild"));
	return custos_store_commit(st);
}

int custos_workflow_erase(custos_store *st, uint64_t index, const char *reason, const char *actor,
			  int64_t *erase_index)
{
	custos_store_event e;
	int64_t n;
	int rc;
	if ((rc = custos_store_begin(st)))
		return rc;
	if ((rc = custos_store_event_get(st, (int64_t)index, &e)))
		return custos_store_abort(st, rc);
	if (strcmp(e.type, "registry.import") == 0 || strcmp(e.type, "rules.loaded") == 0 ||
	    strcmp(e.type, "request.accepted") == 0 || strcmp(e.type, "log.witness_added") == 0 ||
	    strncmp(e.type, "witness.", 8) == 0)
		rc = custos_error_set(CUSTOS_EINVALID,
				      "event %llu is a %s: %s folded from such events, so their payload is kept",
				      (unsigned long long)index, e.type,
				      strcmp(e.type, "request.accepted") == 0 ? "the signed requests already accepted are"
				      : strcmp(e.type, "log.witness_added") == 0 || strncmp(e.type, "witness.", 8) == 0
					      ? "the witnesses' state is"
				      : strcmp(e.type, "rules.loaded") == 0   ? "the rules in force are"
									      : "the registry is");
	custos_store_event_dispose(&e);
	/* the payload goes, and with it what the projections kept of it: they are folded again from the log */
	if (rc || (rc = custos_log_erase(st, index, reason, actor, erase_index)) || (rc = wf_rebuild(st, &n)))
		return custos_store_abort(st, rc);
	return custos_store_commit(st);
}

/* ---- copying a store to another, by its log ------------------------------------------------------------------- */

typedef struct {
	custos_store *from, *to;
	uint64_t checkpoints;
} copy_ctx;

static int copy_event(void *vctx, const custos_store_event *e)
{
	return custos_store_event_copy(((copy_ctx *)vctx)->to, e);
}

static int copy_cosignature(void *vctx, const char *witness, const char *line)
{
	copy_ctx *c = vctx;
	return custos_store_cosignature_put(c->to, c->checkpoints, witness, line);
}

static int copy_checkpoint(void *vctx, uint64_t size, const char *note)
{
	copy_ctx *c = vctx;
	int rc = custos_store_checkpoint_put(c->to, size, note);
	c->checkpoints = size; /* the size the cosignatures below belong to */
	if (!rc)
		rc = custos_store_cosignature_each(c->from, size, copy_cosignature, c);
	return rc;
}

/* Rows a rebuild keeps from before the log carried them (legacy_rule, legacy_imports): copied for it to judge. */
static int copy_ruleset(void *vctx, const char *key, const char *const *names, const char *const *values, size_t n)
{
	(void)names;
	(void)n;
	return custos_store_rules_put(vctx, key, values[0], values[1]);
}

static int copy_party(void *vctx, const char *id, const char *line)
{
	return custos_store_party_put(vctx, id, line);
}

/* The log's settings that no event makes (its origin, its verifier key, where its key lives). */
static int copy_meta(custos_store *from, custos_store *to)
{
	static const char *const keys[] = {"log.origin", "log.vkey", "log.key_path"};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = NULL;
		rc = custos_store_meta_get(from, keys[i], &v);
		if (rc == CUSTOS_ENOTFOUND)
			rc = 0;
		else if (!rc)
			rc = custos_store_meta_set(to, keys[i], v);
		free(v);
	}
	return rc;
}

int custos_workflow_copy(custos_store *from, custos_store *to, uint64_t *events)
{
	copy_ctx c = {from, to, 0};
	uint64_t checked = 0, signatures = 0, rows = 0, n1 = 0, n2 = 0;
	custos_hash r1, r2;
	char *note1 = NULL, *note2 = NULL;
	int64_t replayed = 0, have;
	int rc;
	*events = 0;
	/* the source first: a copy of a log that is not what it says would carry the lie along */
	if ((rc = custos_workflow_verify(from, &checked, &signatures, &rows)))
		return custos_error_prefix(rc, "the store to copy fails verification, nothing copied");
	if ((have = custos_store_event_count(to)) < 0)
		return CUSTOS_ERROR;
	if (have > 0)
		return custos_error_set(CUSTOS_EEXISTS, "the store to copy into holds %lld events already: it must be empty",
					(long long)have);
	if ((rc = custos_store_begin_read(from)))
		return rc;
	if ((rc = custos_store_begin(to))) {
		custos_store_rollback(from);
		return rc;
	}
	/* the log, its checkpoints and their cosignatures as they are; then the projections folded from it */
	if ((rc = copy_meta(from, to)) || (rc = custos_store_event_each(from, copy_event, &c)) ||
	    (rc = custos_store_checkpoint_each(from, copy_checkpoint, &c)) ||
	    (rc = custos_store_projection_each(from, "rulesets", copy_ruleset, to)) ||
	    (rc = custos_store_party_each(from, copy_party, to)) || (rc = wf_rebuild(to, &replayed)) ||
	    (rc = custos_store_commit(to))) {
		custos_store_abort(to, rc);
		custos_store_rollback(from);
		return custos_error_prefix(rc, "copy");
	}
	custos_store_rollback(from);
	/* the copy checked as an auditor would, and its tree and checkpoint byte for byte the source's */
	if ((rc = custos_workflow_verify(to, &checked, &signatures, &rows)))
		return custos_error_prefix(rc, "the copy fails verification");
	if ((rc = custos_log_head(from, &n1, &r1)) || (rc = custos_log_head(to, &n2, &r2)))
		return rc;
	if (n1 != n2 || memcmp(&r1, &r2, sizeof(r1)) != 0)
		return custos_error_set(CUSTOS_ERROR, "copy: the copy's tree (size %llu) is not the source's (size %llu)",
					(unsigned long long)n2, (unsigned long long)n1);
	rc = custos_store_checkpoint_latest(from, &n1, &note1);
	if (!rc)
		rc = custos_store_checkpoint_latest(to, &n2, &note2);
	if (rc == CUSTOS_ENOTFOUND && !note1) /* no checkpoint signed yet: nothing to compare */
		rc = 0;
	else if (!rc && (n1 != n2 || strcmp(note1, note2) != 0))
		rc = custos_error_set(CUSTOS_ERROR, "copy: the copy's latest checkpoint differs from the source's");
	free(note1);
	free(note2);
	*events = (uint64_t)replayed;
	return rc;
}
