/* store.c — the public store interface: picks a backend from the URI and dispatches to its vtable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/util.h"

struct custos_store {
	const custos_store_ops *ops;
	void *impl;
};

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *custos_store_default_uri(const char *flag)
{
	const char *env;
	if (flag)
		return flag;
	env = getenv("CUSTOS_STORE");
	if (env && *env)
		return env;
	return "./custos.db";
}

int custos_store_open(custos_store **out, const char *uri, int create)
{
	const custos_store_ops *ops = &custos_store_sqlite_ops;
	custos_store *st = NULL;
	int rc;

	*out = NULL;
	if (!uri || !*uri)
		return custos_error_set(CUSTOS_EINVALID, "no store given");
	if (has_prefix(uri, "postgresql://") || has_prefix(uri, "postgres://"))
		return custos_error_set(CUSTOS_EINVALID, "PostgreSQL store not built yet: %s", uri);
	st = calloc(1, sizeof(*st));
	if (!st)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	st->ops = ops;
	if ((rc = ops->open(&st->impl, uri, create))) {
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void custos_store_close(custos_store *st)
{
	if (!st)
		return;
	st->ops->close(st->impl);
	free(st);
}

/*
 * The current time as RFC 3339 UTC with seconds ("2026-11-24T09:30:00Z"), or
 * $CUSTOS_NOW when set, so that tests and golden runs are reproducible.
 */
static int store_now(char out[21])
{
	const char *env = getenv("CUSTOS_NOW");
	time_t t;
	struct tm tm;
	if (env && *env) {
		static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
		size_t i;
		for (i = 0; env[i] && shape[i]; i++) {
			int ok = shape[i] == 'd' ? (env[i] >= '0' && env[i] <= '9') : env[i] == shape[i];
			if (!ok)
				break;
		}
		if (env[i] || shape[i])
			return custos_error_set(CUSTOS_EINVALID, "CUSTOS_NOW '%s' is not YYYY-MM-DDTHH:MM:SSZ", env);
		memcpy(out, env, 21);
		return 0;
	}
	t = time(NULL);
	if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return custos_error_set(CUSTOS_ERROR, "cannot format the current time");
	return 0;
}

int custos_store_begin(custos_store *st)
{
	return st->ops->begin(st->impl);
}

int custos_store_commit(custos_store *st)
{
	return st->ops->commit(st->impl);
}

int custos_store_rollback(custos_store *st)
{
	return st->ops->rollback(st->impl);
}

int custos_store_schema_version(custos_store *st)
{
	return st->ops->schema_version(st->impl);
}

int custos_store_meta_get(custos_store *st, const char *key, char **out)
{
	*out = NULL;
	return st->ops->meta_get(st->impl, key, out);
}

int custos_store_meta_set(custos_store *st, const char *key, const char *value)
{
	if (!key || !value)
		return custos_error_set(CUSTOS_EINVALID, "meta: key and value are required");
	return st->ops->meta_set(st->impl, key, value);
}

int custos_store_party_put(custos_store *st, const char *id, const char *line)
{
	if (!id || !line)
		return custos_error_set(CUSTOS_EINVALID, "party: id and line are required");
	return st->ops->party_put(st->impl, id, line);
}

int custos_store_party_get(custos_store *st, const char *id, char **line)
{
	*line = NULL;
	return st->ops->party_get(st->impl, id, line);
}

int custos_store_party_each(custos_store *st, custos_store_row_fn fn, void *ctx)
{
	return st->ops->party_each(st->impl, fn, ctx);
}

int64_t custos_store_party_count(custos_store *st)
{
	return st->ops->party_count(st->impl);
}

int custos_store_rules_put(custos_store *st, const char *hash, const char *canonical)
{
	char now[21];
	int rc;
	if (!hash || !canonical)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash and text are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->rules_put(st->impl, hash, canonical, now);
}

int custos_store_rules_get(custos_store *st, const char *hash, char **canonical)
{
	if (!hash)
		return custos_error_set(CUSTOS_EINVALID, "rules: hash is required");
	return st->ops->rules_get(st->impl, hash, canonical);
}

int custos_store_measure_insert(custos_store *st, char **id_out, const char *measure, const char *decision,
				const char *state)
{
	char now[21];
	int rc;
	*id_out = NULL;
	if (!measure || !decision || !state)
		return custos_error_set(CUSTOS_EINVALID, "measure: measure, decision and state are required");
	if ((rc = store_now(now)))
		return rc;
	return st->ops->measure_insert(st->impl, id_out, measure, decision, state, now);
}

int custos_store_measure_update_decision(custos_store *st, const char *id, const char *decision)
{
	if (!id || !decision)
		return custos_error_set(CUSTOS_EINVALID, "measure: id and decision are required");
	return st->ops->measure_update_decision(st->impl, id, decision);
}

int custos_store_measure_set_state(custos_store *st, const char *id, const char *state)
{
	if (!id || !state)
		return custos_error_set(CUSTOS_EINVALID, "measure: id and state are required");
	return st->ops->measure_set_state(st->impl, id, state);
}

int custos_store_measure_get(custos_store *st, custos_store_measure *out, const char *id)
{
	memset(out, 0, sizeof(*out));
	return st->ops->measure_get(st->impl, out, id);
}

int custos_store_measure_each(custos_store *st, custos_store_measure_fn fn, void *ctx)
{
	return st->ops->measure_each(st->impl, fn, ctx);
}

void custos_store_measure_dispose(custos_store_measure *m)
{
	if (!m)
		return;
	free(m->id);
	free(m->measure);
	free(m->decision);
	free(m->state);
	free(m->filed_at);
	memset(m, 0, sizeof(*m));
}

/*
 * Appends one event: the time is now (or $CUSTOS_NOW), and the payload's
 * SHA-256 is stored beside it as "sha256:<hex>".
 */
int custos_store_event_append(custos_store *st, const char *type, const char *actor, const char *ref,
			      const char *payload, int64_t *index_out)
{
	char now[21], hash[72];
	uint8_t digest[32];
	int64_t idx = -1;
	int rc;
	if (index_out)
		*index_out = -1;
	if (!type || !*type || !payload)
		return custos_error_set(CUSTOS_EINVALID, "event: type and payload are required");
	if ((rc = store_now(now)))
		return rc;
	custos_sha256(digest, payload, strlen(payload));
	custos_sha256_label(hash, digest);
	if ((rc = st->ops->event_append(st->impl, type, now, actor, ref, payload, hash, &idx)))
		return rc;
	if (index_out)
		*index_out = idx;
	return 0;
}

int custos_store_event_each(custos_store *st, custos_store_event_fn fn, void *ctx)
{
	return st->ops->event_each(st->impl, fn, ctx);
}

int64_t custos_store_event_count(custos_store *st)
{
	return st->ops->event_count(st->impl);
}
