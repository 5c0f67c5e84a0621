/* yaml.c — OpenLI's running-intercept file read with libyaml, every error with its file and line. */
/*
 * The entries of its ipintercepts, voipintercepts and emailintercepts sequences. libyaml's events are gathered into a small tree (aliases refused, depth and size
 * bounded), then the tree is read strictly where custos relies on it; every error names the file and line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "custos/openli.h"
#include "util/util.h"

#define DEPTH_MAX 32
#define NODES_MAX (1u << 22)
#define INTERCEPTS_MAX 100000

enum { Y_SCALAR, Y_SEQ, Y_MAP };

typedef struct ynode {
	int type;
	int plain_empty; /* a plain scalar with nothing in it: YAML's null ("key:" alone) */
	unsigned line;	 /* 1-based */
	char *value;	 /* a scalar's text */
	struct ynode **kids; /* a sequence's items; a mapping's keys and values, alternating */
	size_t n, cap;
} ynode;

typedef struct {
	const char *source;
	size_t nodes;
	int rc;
} ctx_t;

static void ynode_free(ynode *y)
{
	if (!y)
		return;
	for (size_t i = 0; i < y->n; i++)
		ynode_free(y->kids[i]);
	free(y->kids);
	free(y->value);
	free(y);
}

static int fail(ctx_t *c, unsigned line, const char *fmt, ...) CUSTOS_PRINTF(3, 4);
static int fail(ctx_t *c, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (c->rc) /* the first error is the one reported */
		return c->rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->rc = custos_error_set(CUSTOS_EINVALID, "%s:%u: %s", c->source, line, msg);
	return c->rc;
}

static int add_kid(ctx_t *c, ynode *parent, ynode *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		ynode **grown = realloc(parent->kids, cap * sizeof(*grown));
		if (!grown) {
			ynode_free(kid);
			return c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		}
		parent->kids = grown;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

/* The document as a tree; *root NULL for an empty stream. */
static int load(ctx_t *c, const char *text, size_t len, ynode **root)
{
	yaml_parser_t p;
	yaml_event_t ev;
	ynode *stack[DEPTH_MAX + 1];
	size_t depth = 0;
	int docs = 0, done = 0;
	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && !c->rc) {
		ynode *y = NULL;
		unsigned line;
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.context && p.context_mark.line != p.problem_mark.line)
				fail(c, (unsigned)p.problem_mark.line + 1, "not YAML: %s %s begun on line %u",
				     p.problem ? p.problem : "malformed", p.context, (unsigned)p.context_mark.line + 1);
			else
				fail(c, (unsigned)p.problem_mark.line + 1, "not YAML: %s%s%s", p.problem ? p.problem : "malformed",
				     p.context ? " " : "", p.context ? p.context : "");
			break;
		}
		line = (unsigned)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				fail(c, line, "more than one YAML document");
			break;
		case YAML_ALIAS_EVENT:
			fail(c, line, "an alias (*%s): the running-intercept file has none, and custos reads none",
			     ev.data.alias.anchor ? (const char *)ev.data.alias.anchor : "");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++c->nodes > NODES_MAX) {
				fail(c, line, "more than %u YAML nodes", NODES_MAX);
				break;
			}
			if (!(y = calloc(1, sizeof(*y)))) {
				c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
				break;
			}
			y->line = line;
			if (ev.type == YAML_SCALAR_EVENT) {
				y->type = Y_SCALAR;
				if (!(y->value = custos_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length))) {
					free(y);
					c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
					break;
				}
				y->plain_empty = ev.data.scalar.length == 0 && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				if (strlen(y->value) != ev.data.scalar.length) {
					ynode_free(y);
					fail(c, line, "a NUL character in a value");
					break;
				}
			} else {
				y->type = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			}
			if (depth == 0) {
				if (*root) {
					ynode_free(y);
					fail(c, line, "more than one YAML document");
					break;
				}
				*root = y;
			} else if (add_kid(c, stack[depth - 1], y)) {
				break;
			}
			if (y->type != Y_SCALAR) {
				if (depth == DEPTH_MAX) {
					fail(c, line, "nested deeper than %d levels", DEPTH_MAX);
					break;
				}
				stack[depth++] = y;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (c->rc) {
		ynode_free(*root);
		*root = NULL;
	}
	return c->rc;
}

/* ---- reading the intercepts -------------------------------------------------------------------------- */

static int is_null(const ynode *y)
{
	return !y || (y->type == Y_SCALAR && (y->plain_empty || strcmp(y->value, "~") == 0 ||
					      strcmp(y->value, "null") == 0 || strcmp(y->value, "Null") == 0 ||
					      strcmp(y->value, "NULL") == 0));
}

static int get_text(ctx_t *c, char **out, const ynode *v, const char *where, const char *field)
{
	if (is_null(v))
		return 0;
	if (v->type != Y_SCALAR)
		return fail(c, v->line, "%s%s: expected a value, not a %s", where, field, v->type == Y_SEQ ? "list" : "mapping");
	free(*out);
	return (*out = custos_strdup(v->value)) ? 0 : (c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory"));
}

static int get_int(ctx_t *c, int64_t *out, const ynode *v, const char *where, const char *field)
{
	const char *s;
	int64_t x = 0;
	size_t i;
	if (is_null(v))
		return 0;
	if (v->type != Y_SCALAR)
		return fail(c, v->line, "%s%s: expected an integer", where, field);
	s = v->value;
	i = s[0] == '-' || s[0] == '+';
	if (!s[i] || strlen(s) > 19)
		return fail(c, v->line, "%s%s: '%.40s' is not an integer", where, field, s);
	for (; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return fail(c, v->line, "%s%s: '%.40s' is not an integer", where, field, s);
		x = x * 10 + (s[i] - '0');
	}
	*out = s[0] == '-' ? -x : x;
	return 0;
}

/* A list of mappings (or nothing); each is passed to fn with its index. */
typedef int (*item_fn)(ctx_t *c, custos_openli_intercept *ic, const ynode *m, const char *where);

static int each_item(ctx_t *c, custos_openli_intercept *ic, const ynode *v, const char *where, const char *field,
		     int maps, item_fn fn)
{
	if (is_null(v))
		return 0;
	if (v->type != Y_SEQ)
		return fail(c, v->line, "%s%s: expected a list", where, field);
	for (size_t i = 0; i < v->n; i++) {
		char at[128];
		snprintf(at, sizeof(at), "%s%s[%zu]", where, field, i);
		if (maps && v->kids[i]->type != Y_MAP)
			return fail(c, v->kids[i]->line, "%s: expected a mapping", at);
		if (!maps && v->kids[i]->type != Y_SCALAR)
			return fail(c, v->kids[i]->line, "%s: expected a value", at);
		if (fn && fn(c, ic, v->kids[i], at))
			return c->rc;
	}
	return 0;
}

/*
 * The value of key `key` in mapping m (NULL: absent). OpenLI's parser
 * (configparser_provisioner.c) compares keys without regard to case and reads
 * a few under a second name: `alias` (NULL: none) is read as `key`. The key
 * given twice, or under both names, is an error: which would OpenLI read?
 */
static const ynode *member_as(ctx_t *c, const ynode *m, const char *key, const char *alias, const char *where)
{
	const ynode *found = NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const ynode *k = m->kids[i];
		if (k->type == Y_SCALAR && (strcasecmp(k->value, key) == 0 || (alias && strcasecmp(k->value, alias) == 0))) {
			if (found) {
				fail(c, k->line, "%s: '%s' is given twice", where, key);
				return NULL;
			}
			found = m->kids[i + 1];
		}
	}
	return found;
}

static const ynode *member(ctx_t *c, const ynode *m, const char *key, const char *where)
{
	return member_as(c, m, key, NULL, where);
}

static int check_keys(ctx_t *c, const ynode *m, const char *where)
{
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const ynode *k = m->kids[i];
		if (k->type != Y_SCALAR)
			return fail(c, k->line, "%s: a key that is not a plain value", where);
		for (size_t j = 0; j < i; j += 2)
			if (strcasecmp(m->kids[j]->value, k->value) == 0)
				return fail(c, k->line, "%s: '%.40s' is given twice", where, k->value);
	}
	return 0;
}

/*
 * One key of a target's mapping: its name (and the second name OpenLI reads it under, or NULL), whether it is
 * required, and where its value goes: a string (text) or an integer (num). A required key is a string.
 */
typedef struct {
	const char *key, *alias;
	int required;
	char **text;
	int64_t *num;
} field_t;

/*
 * A target's mapping m, the (*count)th entry of its list, read by its table of n fields: the keys checked, the
 * entry counted (so that what it holds is disposed with the rest on an error), each field read, then the required
 * ones checked.
 */
static int read_target(ctx_t *c, const ynode *m, const char *where, size_t *count, const field_t *f, size_t n)
{
	char at[160];
	snprintf(at, sizeof(at), "%s.", where);
	if (check_keys(c, m, where))
		return c->rc;
	(*count)++;
	for (size_t i = 0; i < n; i++) {
		const ynode *v = member_as(c, m, f[i].key, f[i].alias, where);
		if (f[i].text ? get_text(c, f[i].text, v, at, f[i].key) : get_int(c, f[i].num, v, at, f[i].key))
			return c->rc;
	}
	for (size_t i = 0; i < n; i++)
		if (f[i].required && !*f[i].text)
			return fail(c, m->line, "%s.%s: required", where, f[i].key);
	return c->rc;
}

static int on_staticip(ctx_t *c, custos_openli_intercept *ic, const ynode *m, const char *where)
{
	custos_openli_iprange *r = &ic->staticips[ic->nstaticips];
	const field_t f[] = {{"iprange", NULL, 1, &r->iprange, NULL}, {"sessionid", NULL, 0, NULL, &r->sessionid}};
	r->sessionid = -1;
	return read_target(c, m, where, &ic->nstaticips, f, sizeof(f) / sizeof(f[0]));
}

static int on_sip(ctx_t *c, custos_openli_intercept *ic, const ynode *m, const char *where)
{
	custos_openli_sip *t = &ic->siptargets[ic->nsiptargets];
	const field_t f[] = {{"username", NULL, 1, &t->username, NULL}, {"realm", NULL, 0, &t->realm, NULL}};
	return read_target(c, m, where, &ic->nsiptargets, f, sizeof(f) / sizeof(f[0]));
}

static int on_address(ctx_t *c, custos_openli_intercept *ic, const ynode *m, const char *where)
{
	const field_t f[] = {{"address", "targetID", 1, &ic->addresses[ic->naddresses], NULL}};
	return read_target(c, m, where, &ic->naddresses, f, sizeof(f) / sizeof(f[0]));
}

/* Room for the entries of a list before each_item fills them. */
static int room(ctx_t *c, void **arr, size_t size, const ynode *v)
{
	size_t n = v && v->type == Y_SEQ ? v->n : 0;
	if (!(*arr = calloc(n + 1, size)))
		return c->rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
	return 0;
}

static int read_intercept(ctx_t *c, custos_openli_intercept *ic, custos_openli_kind kind, const ynode *m,
			  const char *where)
{
	char at[96];
	const ynode *v;
	memset(ic, 0, sizeof(*ic));
	ic->kind = kind;
	ic->line = m->line;
	ic->mediator = -1;
	snprintf(at, sizeof(at), "%s.", where);
	if (check_keys(c, m, where) || get_text(c, &ic->liid, member(c, m, "liid", where), at, "liid") ||
	    get_text(c, &ic->agencyid, member(c, m, "agencyid", where), at, "agencyid") ||
	    get_text(c, &ic->authcc, member(c, m, "authcountrycode", where), at, "authcountrycode") ||
	    get_text(c, &ic->delivcc, member(c, m, "deliverycountrycode", where), at, "deliverycountrycode") ||
	    get_int(c, &ic->mediator, member(c, m, "mediator", where), at, "mediator") ||
	    get_int(c, &ic->starttime, member(c, m, "starttime", where), at, "starttime") ||
	    get_int(c, &ic->endtime, member(c, m, "endtime", where), at, "endtime"))
		return c->rc;
	if (!ic->liid || !ic->liid[0])
		return fail(c, m->line, "%sliid: required", at);
	v = member(c, m, "xids", where);
	if (each_item(c, ic, v, at, "xids", 0, NULL))
		return c->rc;
	ic->nxids = v && v->type == Y_SEQ ? v->n : 0;
	ic->nxids += !is_null(member(c, m, "xid", where));
	if (kind == CUSTOS_OPENLI_IP) {
		if (get_text(c, &ic->user, member(c, m, "user", where), at, "user") ||
		    get_text(c, &ic->accesstype, member(c, m, "accesstype", where), at, "accesstype") ||
		    get_text(c, &ic->mobileident, member(c, m, "mobileident", where), at, "mobileident") ||
		    get_text(c, &ic->radiusident, member(c, m, "radiusident", where), at, "radiusident"))
			return c->rc;
		ic->nvendmirror = !is_null(member_as(c, m, "vendmirrorid", "alushimid", where));
		v = member(c, m, "udpsinks", where);
		if (each_item(c, ic, v, at, "udpsinks", 1, NULL))
			return c->rc;
		ic->nudpsinks = v && v->type == Y_SEQ ? v->n : 0;
		v = member(c, m, "staticips", where);
		if (room(c, (void **)&ic->staticips, sizeof(*ic->staticips), v) ||
		    each_item(c, ic, v, at, "staticips", 1, on_staticip))
			return c->rc;
	} else if (kind == CUSTOS_OPENLI_VOIP) {
		v = member(c, m, "siptargets", where);
		if (room(c, (void **)&ic->siptargets, sizeof(*ic->siptargets), v) ||
		    each_item(c, ic, v, at, "siptargets", 1, on_sip))
			return c->rc;
	} else {
		v = member(c, m, "targets", where);
		if (room(c, (void **)&ic->addresses, sizeof(*ic->addresses), v) ||
		    each_item(c, ic, v, at, "targets", 1, on_address))
			return c->rc;
	}
	return c->rc;
}

int custos_openli_read_yaml(custos_openli_intercept **list, size_t *n, const char *text, size_t len,
			    const char *source)
{
	ctx_t c = {source ? source : "-", 0, 0};
	ynode *root = NULL;
	custos_openli_intercept *out = NULL;
	size_t count = 0, cap = 0;
	*list = NULL;
	*n = 0;
	if (load(&c, text, len, &root))
		return c.rc;
	if (is_null(root)) {
		ynode_free(root);
		return 0;
	}
	if (root->type != Y_MAP) {
		fail(&c, root->line, "expected a mapping (ipintercepts:, voipintercepts:, emailintercepts:, ...)");
		goto out;
	}
	if (check_keys(&c, root, "the file"))
		goto out;
	for (size_t i = 0; i + 1 < root->n && !c.rc; i += 2) {
		const char *name = root->kids[i]->value;
		int kind = -1;
		const ynode *seq = root->kids[i + 1];
		for (int k = 0; k < CUSTOS_OPENLI__KINDS; k++) { /* "ipintercepts", ..., in any case, as OpenLI reads them */
			const char *kn = custos_openli_kind_name((custos_openli_kind)k);
			if (strlen(name) == strlen(kn) + 1 && strncasecmp(name, kn, strlen(kn)) == 0 &&
			    (name[strlen(kn)] == 's' || name[strlen(kn)] == 'S'))
				kind = k;
		}
		if (kind < 0)
			continue; /* agencies, sipservers, radiusservers, options, ...: not custos' business */
		if (is_null(seq))
			continue;
		if (seq->type != Y_SEQ) {
			fail(&c, seq->line, "%s: expected a list of intercepts", root->kids[i]->value);
			break;
		}
		for (size_t j = 0; j < seq->n && !c.rc; j++) {
			char where[64];
			snprintf(where, sizeof(where), "%s[%zu]", root->kids[i]->value, j);
			if (seq->kids[j]->type != Y_MAP) {
				fail(&c, seq->kids[j]->line, "%s: expected a mapping (an intercept)", where);
				break;
			}
			if (count == INTERCEPTS_MAX) {
				fail(&c, seq->kids[j]->line, "more than %d intercepts", INTERCEPTS_MAX);
				break;
			}
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				custos_openli_intercept *grown = realloc(out, ncap * sizeof(*grown));
				if (!grown) {
					c.rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
					break;
				}
				out = grown;
				cap = ncap;
			}
			read_intercept(&c, &out[count], (custos_openli_kind)kind, seq->kids[j], where);
			count++; /* disposed with the rest on an error */
		}
	}
out:
	ynode_free(root);
	if (c.rc) {
		custos_openli_intercepts_free(out, count);
		return c.rc;
	}
	*list = out;
	*n = count;
	return 0;
}
