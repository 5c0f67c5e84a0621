/* ruleset.c — the rule set object: arena, attribute table, loading from a directory or the binary, accessors. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "rules_int.h"

/* ---- arena ---------------------------------------------------------------- */

struct rules_chunk {
	rules_chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

#define CHUNK_SIZE 65536

void *rules_alloc(rules_arena *a, size_t n)
{
	rules_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			custos_error_set(CUSTOS_ENOMEM, "out of memory");
			return NULL;
		}
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *rules_strndup(rules_arena *a, const char *s, size_t n)
{
	char *p = rules_alloc(a, n + 1);
	if (p && n)
		memcpy(p, s, n);
	return p;
}

void rules_arena_free(rules_arena *a)
{
	rules_chunk *c = a->head;
	while (c) {
		rules_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* ---- string table ----------------------------------------------------------- */

static size_t str_hash(const char *s, size_t len)
{
	size_t h = 1469598103934665603u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

size_t rules_strtab_get(const rules_strtab *t, const char *key, size_t len)
{
	if (!t->cap)
		return (size_t)-1;
	for (size_t i = str_hash(key, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		const struct rules_strtab_slot *s = &t->slots[i];
		if (!s->key)
			return (size_t)-1;
		if (s->len == len && memcmp(s->key, key, len) == 0)
			return s->val;
	}
}

static void strtab_insert(struct rules_strtab_slot *slots, size_t cap, const struct rules_strtab_slot *e)
{
	size_t i = str_hash(e->key, e->len) & (cap - 1);
	while (slots[i].key)
		i = (i + 1) & (cap - 1);
	slots[i] = *e;
}

int rules_strtab_put(rules_strtab *t, const char *key, size_t len, size_t val)
{
	struct rules_strtab_slot e = {key, len, val};
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rules_strtab_slot *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].key)
				strtab_insert(slots, cap, &t->slots[i]);
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	strtab_insert(t->slots, t->cap, &e);
	t->n++;
	return 0;
}

void rules_strtab_free(rules_strtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- attributes ------------------------------------------------------------- */

const rules_attr_def rules_attrs[RA__COUNT] = {
	[RA_KIND] = {"measure.kind", RT_KIND},
	[RA_REQUESTED_MEASURE] = {"measure.requested_measure", RT_KIND},
	[RA_SCOPE] = {"measure.scope", RT_SCOPE},
	[RA_FRAMEWORK] = {"measure.framework", RT_FRAMEWORK},
	[RA_TRANSFER_BASIS] = {"measure.transfer_basis", RT_BASIS},
	[RA_REQUESTING_STATE] = {"measure.requesting_state", RT_COUNTRY},
	[RA_REQUESTED_BY] = {"measure.requested_by", RT_STRING},
	[RA_OFFENCE] = {"measure.offence", RT_STRING},
	[RA_GROUNDS] = {"measure.grounds", RT_STRING},
	[RA_TREATY] = {"measure.treaty", RT_STRING},
	[RA_WAIVER] = {"measure.waiver", RT_STRING},
	[RA_GRAVE_CRIME] = {"measure.grave_crime", RT_BOOL},
	[RA_PERSONAL_INVOLVEMENT] = {"measure.personal_involvement", RT_BOOL},
	[RA_CONCERNS_MANDATE] = {"measure.concerns_mandate", RT_BOOL},
	[RA_POLITICAL_OFFENCE] = {"measure.political_offence", RT_BOOL},
	[RA_POLITICAL_MOTIVATION] = {"measure.political_motivation", RT_BOOL},
	[RA_ESSENTIAL_INTERESTS] = {"measure.essential_interests", RT_BOOL},
	[RA_RECIPROCITY] = {"measure.reciprocity", RT_BOOL},
	[RA_DIPLOMATIC_BAG] = {"measure.diplomatic_bag", RT_BAG},
	[RA_PLACE] = {"measure.place", RT_PLACE},
	[RA_CONCERNS_OFFICIAL_ACTS] = {"measure.concerns_official_acts", RT_BOOL},
	[RA_PREVENTS_GRAVE_THREAT] = {"measure.prevents_grave_threat", RT_BOOL},
	[RA_SUSPECTS_USE_MEANS] = {"measure.suspects_use_means", RT_BOOL},
	[RA_ORIGINATING_STATE] = {"measure.originating_state", RT_COUNTRY},
	[RA_ORIGINATING_AUTHORISATION] = {"measure.originating_authorisation", RT_STRING},
	[RA_P_ID] = {"party.id", RT_STRING},
	[RA_P_MISSION] = {"party.mission", RT_STRING},
	[RA_P_WAIVER] = {"party.waiver", RT_STRING},
	[RA_P_CATEGORY] = {"party.category", RT_CATEGORY},
	[RA_P_STATUS] = {"party.status", RT_STATUS},
	[RA_P_NATIONALITY] = {"party.nationality", RT_COUNTRY},
	[RA_P_SENDING_STATE] = {"party.sending_state", RT_COUNTRY},
	[RA_P_COUNTRY_OF_ORIGIN] = {"party.country_of_origin", RT_COUNTRY},
	[RA_P_PERMANENT_RESIDENT] = {"party.permanent_resident", RT_BOOL},
	[RA_P_CONSENT] = {"party.consent", RT_STRING},
	[RA_PERIOD_FROM] = {"(period from)", RT__COUNT},
	[RA_PERIOD_TO] = {"(period to)", RT__COUNT},
};

const char *rules_type_name(rules_type t)
{
	static const char *const names[RT__COUNT] = {"kind",     "scope",  "framework", "transfer_basis", "category",
						     "status",   "country", "string",   "bool",
						     "place",    "bag"};
	return (size_t)t < RT__COUNT ? names[t] : "?";
}

int rules_attr_lookup(const char *name, size_t len)
{
	for (int i = 0; i < RA__COUNT; i++)
		if (strlen(rules_attrs[i].name) == len && memcmp(rules_attrs[i].name, name, len) == 0)
			return i;
	return -1;
}

/* ---- the public object -------------------------------------------------------- */

void custos_ruleset_free(custos_ruleset *rs)
{
	if (!rs)
		return;
	free(rs->sets);
	free(rs->rules);
	free(rs->minimise);
	free(rs->canonical);
	rules_arena_free(&rs->arena);
	free(rs);
}

const char *custos_rules_hash(const custos_ruleset *rs)
{
	return rs->hash;
}

const char *custos_rules_canonical(const custos_ruleset *rs, size_t *len)
{
	if (len)
		*len = rs->canonical_len;
	return rs->canonical;
}

size_t custos_rules_count(const custos_ruleset *rs)
{
	return rs->nrules;
}

const char *custos_rules_id(const custos_ruleset *rs, size_t i)
{
	return i < rs->nrules ? rs->rules[i].id : NULL;
}

int custos_rules_grace_days(const custos_ruleset *rs)
{
	return rs->grace_days;
}

void custos_rules_name_policy(const custos_ruleset *rs, unsigned *min_words, unsigned *min_score)
{
	*min_words = rs && rs->name_min_words ? rs->name_min_words : 2;
	*min_score = rs && rs->name_min_words ? rs->name_min_score : 75;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_rules_suffix(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

/*
 * Reads every regular "*.rules" file of `dir` (hidden files skipped), sorted
 * by name with strcmp so the order does not depend on the locale, and parses
 * them as one rule set. Messages name the files "DIR/FILE".
 */
int custos_rules_load_dir(custos_ruleset **out, const char *dir)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	custos_rules_source *srcs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	if (!(d = opendir(dir)))
		return custos_error_set(CUSTOS_ENOTFOUND, "%s: cannot open directory", dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !has_rules_suffix(e->d_name))
			continue;
		if ((rc = custos_array_reserve(&names, &cap, n, sizeof(*names), 16)))
			goto out;
		size_t dl = strlen(dir), fl = strlen(e->d_name);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		char *path = malloc(dl + 1 + fl + 1);
		if (!path) {
			rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(path, dir, dl);
		path[dl] = '/';
		memcpy(path + dl + 1, e->d_name, fl + 1);
		names[n++] = path;
	}
	if (n == 0) {
		rc = custos_error_set(CUSTOS_ENOTFOUND, "%s: no *.rules file", dir);
		goto out;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	if (!(srcs = calloc(n, sizeof(*srcs)))) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *text;
		size_t len;
		if ((rc = custos_file_read(&text, &len, names[i], RULES_MAX_SOURCE))) {
			if (rc == CUSTOS_ELIMIT)
				rc = custos_error_set(CUSTOS_EINVALID, "%s: larger than %u bytes", names[i],
						      (unsigned)RULES_MAX_SOURCE);
			goto out;
		}
		srcs[i].name = names[i];
		srcs[i].text = text;
		srcs[i].len = len;
	}
	rc = custos_rules_parse(out, srcs, n);
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (srcs)
			free((char *)srcs[i].text);
		free(names[i]);
	}
	free(srcs);
	free(names);
	return rc;
}

/* The embedded entries named "rules/be/NAME.rules", in table order. */
int custos_rules_load_builtin(custos_ruleset **out)
{
	static const char prefix[] = "rules/be/";
	custos_rules_source *srcs;
	size_t n = 0, k = 0;
	int rc;

	*out = NULL;
	for (const struct custos_embedded *e = custos_embedded_files; e->name; e++)
		n++;
	if (!(srcs = calloc(n ? n : 1, sizeof(*srcs))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	for (const struct custos_embedded *e = custos_embedded_files; e->name; e++) {
		if (strncmp(e->name, prefix, sizeof(prefix) - 1) != 0 || !has_rules_suffix(e->name) ||
		    strchr(e->name + sizeof(prefix) - 1, '/'))
			continue;
		srcs[k].name = e->name;
		srcs[k].text = e->data;
		srcs[k].len = e->len;
		k++;
	}
	if (k == 0) {
		free(srcs);
		return custos_error_set(CUSTOS_ENOTFOUND, "no built-in rules (rules/be/*.rules)");
	}
	rc = custos_rules_parse(out, srcs, k);
	free(srcs);
	return rc;
}
