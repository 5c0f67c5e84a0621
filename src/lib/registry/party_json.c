/* party_json.c — decodes and encodes one registry entry (a JSON Lines line, DESIGN.md §4). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "custos/registry.h"
#include "util/util.h"

/* The fields of an entry, in canonical order. */
static const char *const party_fields[] = {
	"id",	    "category", "name",	   "sending_state",	"nationality", "permanent_resident",
	"valid_from", "valid_to", "mission", "country_of_origin", "waiver",	   "selectors",
	"aliases",    "born",
};
#define NFIELDS (sizeof(party_fields) / sizeof(party_fields[0]))

static int is_id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static int wrong_type(const char *field, const char *expected, const json_t *v)
{
	return custos_error_set(CUSTOS_EINVALID, "%s: expected %s, got %s", field, expected, json_kind(v));
}

static int decode_id(custos_party *p, const json_t *v)
{
	const char *s;
	size_t n;
	if (!v)
		return custos_error_set(CUSTOS_EINVALID, "id: required field missing");
	if (!json_is_string(v))
		return wrong_type("id", "a string", v);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n < 1 || n > 64)
		return custos_error_set(CUSTOS_EINVALID, "id: must be 1 to 64 characters long");
	for (size_t i = 0; i < n; i++)
		if (!is_id_char((unsigned char)s[i]))
			return custos_error_set(CUSTOS_EINVALID, "id: '%s' may hold only A-Z a-z 0-9 . _ -", s);
	return (p->id = custos_strndup(s, n)) ? 0 : CUSTOS_ENOMEM;
}

static int decode_category(custos_party *p, const json_t *v)
{
	if (!v)
		return custos_error_set(CUSTOS_EINVALID, "category: required field missing");
	if (!json_is_string(v))
		return wrong_type("category", "a string", v);
	if (custos_category_from_name(&p->category, json_string_value(v)))
		return custos_error_set(CUSTOS_EINVALID, "category: unknown category '%s'", json_string_value(v));
	return 0;
}

/* A string or null; an empty string is refused (it would read as "given"). */
static int decode_text(char **out, const char *field, const json_t *v)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong_type(field, "a string or null", v);
	if (json_string_length(v) == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: must not be empty (use null)", field);
	return (*out = custos_strndup(json_string_value(v), json_string_length(v))) ? 0 : CUSTOS_ENOMEM;
}

static int decode_country(char out[3], const char *field, const json_t *v)
{
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong_type(field, "an ISO 3166 alpha-2 code or null", v);
	if (!custos_country_valid(json_string_value(v)))
		return custos_error_set(CUSTOS_EINVALID, "%s: '%s' is not an ISO 3166 alpha-2 code (two upper-case letters)",
					field, json_string_value(v));
	memcpy(out, json_string_value(v), 3);
	return 0;
}

static int decode_date(custos_date *out, const char *field, const json_t *v)
{
	*out = CUSTOS_DATE_NONE;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong_type(field, "a date YYYY-MM-DD or null", v);
	if (custos_date_parse(out, json_string_value(v))) {
		*out = CUSTOS_DATE_NONE;
		return custos_error_set(CUSTOS_EINVALID, "%s: '%s' is not a date YYYY-MM-DD", field,
					json_string_value(v));
	}
	return 0;
}

static int same_selector(const custos_selector *a, const custos_selector *b)
{
	const char *ka = a->key ? a->key : a->text, *kb = b->key ? b->key : b->text;
	return a->kind == b->kind && ka && kb && strcmp(ka, kb) == 0;
}

/* Parses each selector; a selector equal to an earlier one after normalisation is dropped. */
static int decode_selectors(custos_party *p, const json_t *v)
{
	size_t n, i;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return wrong_type("selectors", "an array of strings", v);
	n = json_array_size(v);
	if (n == 0)
		return 0;
	p->selectors = calloc(n, sizeof(*p->selectors));
	if (!p->selectors)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		custos_selector *sel = &p->selectors[p->nselectors];
		int rc, dup = 0;
		if (!json_is_string(e))
			return custos_error_set(CUSTOS_EINVALID, "selectors[%zu]: expected a string, got %s", i,
						json_kind(e));
		memset(sel, 0, sizeof(*sel));
		if ((rc = custos_selector_parse(sel, json_string_value(e), json_string_length(e))))
			return custos_error_prefix(rc, "selectors[%zu]", i);
		for (size_t j = 0; j < p->nselectors && !dup; j++)
			dup = same_selector(&p->selectors[j], sel);
		if (dup)
			custos_selector_dispose(sel);
		else
			p->nselectors++;
	}
	return 0;
}

/*
 * aliases: other spellings of the party's name (an array of non-empty
 * strings, each a valid name selector once "name:" is put before it). A
 * spelling repeated exactly is dropped; an empty array is as good as none.
 */
static int decode_aliases(custos_party *p, const json_t *v)
{
	size_t n;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return wrong_type("aliases", "an array of strings", v);
	n = json_array_size(v);
	if (n == 0)
		return 0;
	if (n > 64)
		return custos_error_set(CUSTOS_EINVALID, "aliases: at most 64 spellings, not %zu", n);
	p->aliases = calloc(n, sizeof(*p->aliases));
	if (!p->aliases)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		char sel_text[CUSTOS_SELECTOR_MAX + 8];
		custos_selector sel;
		size_t len;
		int rc, dup = 0;
		if (!json_is_string(e))
			return custos_error_set(CUSTOS_EINVALID, "aliases[%zu]: expected a string, got %s", i, json_kind(e));
		len = json_string_length(e);
		if (len == 0 || len > CUSTOS_SELECTOR_MAX - 5)
			return custos_error_set(CUSTOS_EINVALID, "aliases[%zu]: must be 1 to %d bytes", i,
						CUSTOS_SELECTOR_MAX - 5);
		memcpy(sel_text, "name:", 5);
		memcpy(sel_text + 5, json_string_value(e), len);
		if ((rc = custos_selector_parse(&sel, sel_text, len + 5)))
			return custos_error_prefix(rc, "aliases[%zu]", i);
		dup = strcmp(sel.text + 5, json_string_value(e)) != 0;
		custos_selector_dispose(&sel);
		if (dup)
			return custos_error_set(CUSTOS_EINVALID, "aliases[%zu]: write the name with single spaces and no "
						"space at either end", i);
		for (size_t j = 0; j < p->naliases && !dup; j++)
			dup = strcmp(p->aliases[j], json_string_value(e)) == 0;
		if (dup)
			continue;
		if (!(p->aliases[p->naliases] = custos_strndup(json_string_value(e), len)))
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		p->naliases++;
	}
	return 0;
}

static int decode_born(custos_party *p, const json_t *v)
{
	custos_date d;
	int rc = decode_date(&d, "born", v);
	if (rc || d == CUSTOS_DATE_NONE)
		return rc;
	custos_date_format(p->born, d);
	return 0;
}

static int decode_fields(custos_party *p, json_t *obj)
{
	const char *key;
	json_t *v, *resident;
	int rc;

	json_object_foreach(obj, key, v)
	{
		size_t i;
		for (i = 0; i < NFIELDS; i++)
			if (strcmp(key, party_fields[i]) == 0)
				break;
		if (i == NFIELDS)
			return custos_error_set(CUSTOS_EINVALID, "unknown field '%s'", key);
	}
	if ((rc = decode_id(p, json_object_get(obj, "id"))) ||
	    (rc = decode_category(p, json_object_get(obj, "category"))) ||
	    (rc = decode_text(&p->name, "name", json_object_get(obj, "name"))) ||
	    (rc = decode_country(p->sending_state, "sending_state", json_object_get(obj, "sending_state"))) ||
	    (rc = decode_country(p->nationality, "nationality", json_object_get(obj, "nationality"))))
		return rc;
	resident = json_object_get(obj, "permanent_resident");
	if (resident && !json_is_null(resident) && !json_is_boolean(resident))
		return wrong_type("permanent_resident", "true or false", resident);
	p->permanent_resident = json_is_true(resident);
	if ((rc = decode_date(&p->valid_from, "valid_from", json_object_get(obj, "valid_from"))) ||
	    (rc = decode_date(&p->valid_to, "valid_to", json_object_get(obj, "valid_to"))))
		return rc;
	if (p->valid_from != CUSTOS_DATE_NONE && p->valid_to != CUSTOS_DATE_NONE && p->valid_to < p->valid_from) {
		char from[11], to[11];
		custos_date_format(from, p->valid_from);
		custos_date_format(to, p->valid_to);
		return custos_error_set(CUSTOS_EINVALID, "valid_to: %s is before valid_from %s", to, from);
	}
	if ((rc = decode_text(&p->mission, "mission", json_object_get(obj, "mission"))) ||
	    (rc = decode_country(p->country_of_origin, "country_of_origin", json_object_get(obj, "country_of_origin"))) ||
	    (rc = decode_text(&p->waiver, "waiver", json_object_get(obj, "waiver"))) ||
	    (rc = decode_selectors(p, json_object_get(obj, "selectors"))) ||
	    (rc = decode_aliases(p, json_object_get(obj, "aliases"))) || (rc = decode_born(p, json_object_get(obj, "born"))))
		return rc;
	return 0;
}

int custos_party_decode(custos_party *out, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *obj = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->valid_from = out->valid_to = CUSTOS_DATE_NONE;
	if (len > CUSTOS_REGISTRY_LINE_MAX)
		return custos_error_set(CUSTOS_ELIMIT, "line longer than %d bytes", CUSTOS_REGISTRY_LINE_MAX);
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!obj) {
		if (jerr.line <= 1)
			rc = custos_error_set(CUSTOS_EINVALID, "invalid JSON at column %d: %s", jerr.column, jerr.text);
		else
			rc = custos_error_set(CUSTOS_EINVALID, "invalid JSON at line %d, column %d: %s", jerr.line,
					      jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(obj)) {
		rc = custos_error_set(CUSTOS_EINVALID, "expected one JSON object, got %s", json_kind(obj));
		goto out;
	}
	rc = decode_fields(out, obj);
out:
	json_decref(obj);
	if (rc)
		custos_party_dispose(out);
	return rc;
}

/* Adds `key` to obj; a NULL value (from a failed json_* constructor) is an error. */
static int put(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v))
		return custos_error_set(CUSTOS_EINVALID, "cannot encode field '%s' (not valid UTF-8?)", key);
	return 0;
}

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *country_or_null(const char c[3])
{
	return c[0] ? json_stringn(c, strnlen(c, 2)) : json_null();
}

static json_t *date_or_null(custos_date d)
{
	char buf[11];
	if (d == CUSTOS_DATE_NONE)
		return json_null();
	custos_date_format(buf, d);
	return json_string(buf);
}

int custos_party_encode(char **out, const custos_party *p)
{
	json_t *obj = NULL, *sels = NULL;
	const char *cat;
	int rc;

	*out = NULL;
	if (!p->id)
		return custos_error_set(CUSTOS_EINVALID, "id: required field missing");
	cat = custos_category_name(p->category);
	if (!cat || (unsigned)p->category >= CUSTOS_CAT__COUNT)
		return custos_error_set(CUSTOS_EINVALID, "category: unknown category %d", (int)p->category);
	obj = json_object();
	sels = json_array();
	if (!obj || !sels) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->nselectors; i++) {
		json_t *s = p->selectors[i].text ? json_string(p->selectors[i].text) : NULL;
		if (!s || json_array_append_new(sels, s)) {
			rc = custos_error_set(CUSTOS_EINVALID, "selectors[%zu]: cannot encode", i);
			goto out;
		}
	}
	if ((rc = put(obj, "id", json_string(p->id))) || (rc = put(obj, "category", json_string(cat))) ||
	    (rc = put(obj, "name", text_or_null(p->name))) ||
	    (rc = put(obj, "sending_state", country_or_null(p->sending_state))) ||
	    (rc = put(obj, "nationality", country_or_null(p->nationality))) ||
	    (rc = put(obj, "permanent_resident", json_boolean(p->permanent_resident))) ||
	    (rc = put(obj, "valid_from", date_or_null(p->valid_from))) ||
	    (rc = put(obj, "valid_to", date_or_null(p->valid_to))) ||
	    (rc = put(obj, "mission", text_or_null(p->mission))) ||
	    (rc = put(obj, "country_of_origin", country_or_null(p->country_of_origin))) ||
	    (rc = put(obj, "waiver", text_or_null(p->waiver))))
		goto out;
	rc = put(obj, "selectors", sels);
	sels = NULL; /* owned by obj now, even on failure */
	if (rc)
		goto out;
	/* aliases and born are written only when given: every line of a registry without them stays as it was */
	if (p->naliases) {
		json_t *al = json_array();
		for (size_t i = 0; al && i < p->naliases; i++)
			if (json_array_append_new(al, json_string(p->aliases[i]))) {
				json_decref(al);
				al = NULL;
			}
		if ((rc = put(obj, "aliases", al)))
			goto out;
	}
	if (p->born[0] && (rc = put(obj, "born", json_string(p->born))))
		goto out;
	*out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
out:
	json_decref(sels);
	json_decref(obj);
	return rc;
}
