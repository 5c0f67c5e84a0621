/* preview.c — a registry import tried in a transaction that is rolled back: its diff and the measures it would suspend. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "custos/lifecycle.h"
#include "custos/registry.h"
#include "custos/store.h"
#include "util/util.h"

/* The export's canonical lines (one party each, sorted by id) as {id: party}. */
static json_t *by_id(const char *text, size_t len)
{
	json_t *map = json_object();
	size_t i = 0;
	while (map && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		json_t *p = json_loadb(text + i, n, 0, NULL);
		const char *id = json_string_value(json_object_get(p, "id"));
		if (!p || !id || json_object_set_new(map, id, p)) {
			json_decref(p);
			json_decref(map);
			return NULL;
		}
		i += n + 1;
	}
	return map;
}

/* The import's report (one JSON object a line) as an array. */
static json_t *lines(const char *text)
{
	json_t *a = json_array();
	const char *s = text ? text : "";
	while (a && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		json_t *o = n ? json_loadb(s, n, 0, NULL) : NULL;
		if (n && (!o || json_array_append_new(a, o))) {
			json_decref(a);
			return NULL;
		}
		s += n + (nl != NULL);
	}
	return a;
}

static json_t *diff(json_t *before, json_t *after, json_int_t *unchanged)
{
	json_t *added = json_array(), *changed = json_array(), *removed = json_array(), *v, *out;
	const char *id;
	*unchanged = 0;
	json_object_foreach(after, id, v)
	{
		json_t *old = json_object_get(before, id);
		if (!old)
			json_array_append(added, v);
		else if (!json_equal(old, v))
			json_array_append_new(changed, json_pack("{s:s,s:O,s:O}", "id", id, "before", old, "after", v));
		else
			(*unchanged)++;
	}
	json_object_foreach(before, id, v) if (!json_object_get(after, id)) json_array_append(removed, v);
	out = json_pack("{s:o,s:o,s:o}", "added", added, "changed", changed, "removed", removed);
	return out;
}

int custos_registry_import_preview(custos_store *st, const char *text, size_t len, const char *source,
				   const char *actor, char **json)
{
	char *old = NULL, *new = NULL, *report = NULL, hb[72], ha[72];
	size_t oldn = 0, newn = 0, count = 0;
	json_t *before = NULL, *after = NULL, *out = NULL, *suspended = NULL;
	json_int_t unchanged = 0;
	int rc;
	*json = NULL;
	if ((rc = custos_store_begin(st)))
		return rc;
	if (!(rc = custos_registry_export(st, &old, &oldn)) && !(rc = custos_registry_store_hash(st, hb)) &&
	    !(rc = custos_registry_import_rescreen(st, text, len, source, actor, &count, &report)) &&
	    !(rc = custos_registry_export(st, &new, &newn)))
		rc = custos_registry_store_hash(st, ha);
	/* nothing of it stays: the events, the parties and the suspensions go with the transaction */
	custos_store_rollback(st);
	if (!rc) {
		before = by_id(old, oldn);
		after = by_id(new, newn);
		suspended = lines(report);
		if (!before || !after || !suspended || !(out = diff(before, after, &unchanged)) ||
		    json_object_set_new(out, "count", json_integer((json_int_t)count)) ||
		    json_object_set_new(out, "unchanged", json_integer(unchanged)) ||
		    json_object_set_new(out, "registry_hash", json_pack("{s:s,s:s}", "before", hb, "after", ha)) ||
		    json_object_set(out, "suspended", suspended) ||
		    !(*json = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS)))
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	json_decref(before);
	json_decref(after);
	json_decref(suspended);
	json_decref(out);
	free(old);
	free(new);
	free(report);
	return rc;
}
