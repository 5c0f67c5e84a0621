/* import.c — the registry in the store: all-or-nothing JSON Lines import, export, load, show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custos/registry.h"
#include "util/util.h"

/* Ceiling of an export (and of the bytes hashed for registry_hash). */
#define EXPORT_MAX ((size_t)1 << 31)

/* One decoded line of an import. */
typedef struct import_entry {
	custos_party party;
	size_t line; /* 1-based line number in the file */
	char *canonical;
} import_entry;

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int cmp_entry_id(const void *a, const void *b)
{
	const import_entry *x = *(const import_entry *const *)a, *y = *(const import_entry *const *)b;
	int c = strcmp(x->party.id, y->party.id);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Finds the first line (in file order) whose id an earlier line already
 * used, among entries[0..n). Returns it and sets *first to the earlier one,
 * or NULL when every id is distinct.
 */
static const import_entry *find_duplicate(import_entry *entries, size_t n, const import_entry **first, int *rc)
{
	const import_entry **by_id, *dup = NULL;
	*rc = 0;
	if (n < 2)
		return NULL;
	by_id = malloc(n * sizeof(*by_id));
	if (!by_id) {
		*rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		by_id[i] = &entries[i];
	qsort(by_id, n, sizeof(*by_id), cmp_entry_id);
	for (size_t i = 1, start = 0; i < n; i++) {
		if (strcmp(by_id[i]->party.id, by_id[start]->party.id) != 0) {
			start = i;
			continue;
		}
		/* by_id[start] is the first line with this id; by_id[i] repeats it. */
		if (!dup || by_id[i]->line < dup->line) {
			dup = by_id[i];
			*first = by_id[start];
		}
	}
	free(by_id);
	return dup;
}

static void entries_free(import_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		custos_party_dispose(&entries[i].party);
		free(entries[i].canonical);
	}
	free(entries);
}

/*
 * Parses every non-blank line into entries. On the first bad line it stops
 * and reports it, unless an earlier line already repeated an id, which is
 * then the first bad line.
 */
static int parse_lines(import_entry **out, size_t *nout, const char *text, size_t len, const char *source)
{
	import_entry *entries = NULL;
	const import_entry *dup;
	const import_entry *first = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	char *bad_msg = NULL;
	const char *p = text, *end = text + len;
	int rc = 0, bad_rc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n_line = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n_line > CUSTOS_REGISTRY_LINE_MAX) {
			bad_rc = custos_error_set(CUSTOS_ELIMIT, "%s:%zu: line longer than %d bytes", source, lineno,
						  CUSTOS_REGISTRY_LINE_MAX);
		} else if (!is_blank(p, n_line)) {
			if ((rc = custos_array_reserve(&entries, &cap, n, sizeof(*entries), 64)))
				goto out;
			memset(&entries[n], 0, sizeof(entries[n]));
			entries[n].line = lineno;
			if ((bad_rc = custos_party_decode(&entries[n].party, p, n_line)))
				custos_error_prefix(bad_rc, "%s:%zu", source, lineno);
			else
				n++;
		}
		if (bad_rc) {
			if (!(bad_msg = custos_strdup(custos_error_last()))) {
				rc = CUSTOS_ENOMEM;
				goto out;
			}
			break;
		}
		p = nl ? nl + 1 : end;
	}
	dup = find_duplicate(entries, n, &first, &rc);
	if (rc)
		goto out;
	if (dup) {
		rc = custos_error_set(CUSTOS_EINVALID, "%s:%zu: id: '%s' is also the id of line %zu", source, dup->line,
				      dup->party.id, first->line);
		goto out;
	}
	if (bad_rc) {
		rc = custos_error_set(bad_rc, "%s", bad_msg);
		goto out;
	}
	*out = entries;
	*nout = n;
	entries = NULL;
	n = 0;
out:
	free(bad_msg);
	entries_free(entries, n);
	return rc;
}

static int export_row(void *ctx, const char *id, const char *line)
{
	custos_buf *b = ctx;
	int rc;
	if ((rc = custos_buf_puts(b, line)) || (rc = custos_buf_append(b, "\n", 1)))
		return custos_error_prefix(rc, "registry export");
	return 0;
}

int custos_registry_export(custos_store *st, char **out, size_t *len)
{
	custos_buf b;
	int rc;
	*out = NULL;
	if (len)
		*len = 0;
	custos_buf_init(&b, EXPORT_MAX);
	if ((rc = custos_store_party_each(st, export_row, &b)))
		goto out;
	if (len)
		*len = b.len;
	if (!(*out = custos_buf_detach(&b)))
		rc = CUSTOS_ENOMEM;
out:
	custos_buf_dispose(&b);
	return rc;
}

int custos_registry_store_hash(custos_store *st, char out[72])
{
	uint8_t digest[32];
	char *text = NULL;
	size_t len = 0;
	int rc;
	if ((rc = custos_registry_export(st, &text, &len)))
		return rc;
	custos_sha256(digest, text, len);
	custos_sha256_label(out, digest);
	free(text);
	return 0;
}

/* The collisions of the imported names with other parties' in the registry as stored now (NULL: none). */
static int import_collisions(char **out, custos_store *st, const import_entry *entries, size_t n)
{
	custos_registry *reg = NULL;
	const char **ids = malloc((n ? n : 1) * sizeof(*ids));
	int rc;
	*out = NULL;
	if (!ids)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		ids[i] = entries[i].party.id;
	if (!(rc = custos_registry_load(st, &reg)))
		rc = custos_registry_name_collisions(out, reg, ids, n);
	custos_registry_free(reg);
	free(ids);
	return rc;
}

/* The payload of the "registry.import" event. */
static int import_payload(char **out, const char *source, const import_entry *entries, size_t n, const char *hash,
			  const char *collisions)
{
	json_t *obj = json_object(), *ids = json_array(), *lines = json_array();
	int rc = 0;
	*out = NULL;
	if (!obj || !ids || !lines)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(ids, json_string(entries[i].party.id)) ||
		    json_array_append_new(lines, json_string(entries[i].canonical)))
			goto nomem;
	/* the parties' canonical lines: the registry is a projection of these events (log verify replays them) */
	if (json_object_set_new(obj, "source", json_string(source)) ||
	    json_object_set_new(obj, "count", json_integer((json_int_t)n)) || json_object_set(obj, "ids", ids) ||
	    json_object_set_new(obj, "registry_hash", json_string(hash)) || json_object_set(obj, "parties", lines))
		goto nomem;
	if (collisions && json_object_set_new(obj, "name_collisions", json_loads(collisions, 0, NULL)))
		goto nomem;
	if (!(*out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		goto nomem;
	goto out;
nomem:
	rc = custos_error_set(CUSTOS_ENOMEM, "registry import: cannot build the event (out of memory or bad UTF-8)");
out:
	json_decref(lines);
	json_decref(ids);
	json_decref(obj);
	return rc;
}

int custos_registry_import(custos_store *st, const char *text, size_t len, const char *source_name,
			   const char *actor, size_t *count_out)
{
	import_entry *entries = NULL;
	const char *source = source_name ? source_name : "<input>";
	char hash[72], *payload = NULL, *collisions = NULL;
	size_t n = 0;
	int rc, began = 0;

	if (count_out)
		*count_out = 0;
	if ((rc = parse_lines(&entries, &n, text, len, source)))
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = custos_party_encode(&entries[i].canonical, &entries[i].party))) {
			custos_error_prefix(rc, "%s:%zu", source, entries[i].line);
			goto out;
		}
	/* inside a caller's transaction (re-screening after the import), the caller commits */
	if (!custos_store_in_transaction(st)) {
		if ((rc = custos_store_begin(st)))
			goto out;
		began = 1;
	}
	/*
	 * The lines are put first: the event records the registry's hash and the names that collide once they are in.
	 * Its payload holds exactly these lines and ids, so custos_registry_project, which replays it, puts the same.
	 */
	for (size_t i = 0; i < n; i++)
		if ((rc = custos_store_party_put(st, entries[i].party.id, entries[i].canonical)))
			goto out;
	if ((rc = custos_registry_store_hash(st, hash)) || (rc = import_collisions(&collisions, st, entries, n)) ||
	    (rc = import_payload(&payload, source, entries, n, hash, collisions)) ||
	    (rc = custos_store_event_append(st, "registry.import", actor, NULL, payload, NULL)))
		goto out;
	if (began)
		rc = custos_store_commit(st);
	began = 0;
	if (!rc && count_out)
		*count_out = n;
out:
	if (began)
		custos_store_abort(st, rc);
	free(payload);
	free(collisions);
	entries_free(entries, n);
	return rc;
}

int custos_registry_project(custos_store *st, const char *payload, int *legacy)
{
	json_t *o = payload[0] ? json_loads(payload, 0, NULL) : NULL;
	json_t *ids = json_object_get(o, "ids"), *lines = json_object_get(o, "parties");
	int rc = 0;
	*legacy = 0;
	if (payload[0] && !o)
		return custos_error_set(CUSTOS_EINVALID, "payload is not JSON");
	if (!json_is_array(lines) || json_array_size(lines) != json_array_size(ids)) {
		*legacy = 1; /* erased, or imported before the lines went into the log: its parties cannot be told */
		json_decref(o);
		return 0;
	}
	for (size_t i = 0; !rc && i < json_array_size(lines); i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		const char *line = json_string_value(json_array_get(lines, i));
		rc = id && line ? custos_store_party_put(st, id, line)
				: custos_error_set(CUSTOS_EINVALID, "party %zu: no id or line", i + 1);
	}
	json_decref(o);
	return rc;
}

/* Growable array of decoded parties, filled from the store. */
typedef struct load_ctx {
	custos_party *parties;
	size_t n, cap;
} load_ctx;

static int load_row(void *ctx, const char *id, const char *line)
{
	load_ctx *l = ctx;
	int rc;
	if ((rc = custos_array_reserve(&l->parties, &l->cap, l->n, sizeof(*l->parties), 64)))
		return rc;
	if ((rc = custos_party_decode(&l->parties[l->n], line, strlen(line))))
		return custos_error_prefix(rc, "stored party '%s'", id);
	l->n++;
	return 0;
}

int custos_registry_load(custos_store *st, custos_registry **out)
{
	load_ctx l = {0};
	int rc;
	*out = NULL;
	if ((rc = custos_store_party_each(st, load_row, &l)))
		goto out;
	rc = custos_registry_new(out, l.parties, l.n);
	l.parties = NULL; /* custos_registry_new owns them now, whatever it returned */
	l.n = 0;
out:
	for (size_t i = 0; i < l.n; i++)
		custos_party_dispose(&l.parties[i]);
	free(l.parties);
	return rc;
}

int custos_registry_show(custos_store *st, const char *id, char **line)
{
	int rc = custos_store_party_get(st, id, line);
	if (rc == CUSTOS_ENOTFOUND)
		custos_error_set(rc, "no party '%s'", id);
	return rc;
}
