/* parse.c — recursive-descent parser and type checker: sources in, a compiled rule set out. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

typedef struct parser {
	custos_ruleset *rs;
	const custos_rules_source *srcs;
	size_t nsrc;
	rules_lexer lx;
	rules_token tok;
	int depth;
	bool reads_party; /* the rule being parsed reads a party.* attribute */
	rules_strtab rule_ids, set_names, minimise_names;
	rules_effect *effects; /* scratch for the rule being parsed */
	size_t neffects, capeffects;
	char strbuf[RULES_MAX_STRING + 1];
} parser;

/* ---- errors ---------------------------------------------------------------- */

static int perr(parser *P, rules_pos pos, const char *fmt, ...) CUSTOS_PRINTF(3, 4);
static int perr(parser *P, rules_pos pos, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: %s", P->srcs[pos.src].name, pos.line, pos.col, msg);
}

/* A short description of a token for "expected X, found Y". */
static const char *tok_desc(const rules_token *t, char *buf, size_t n)
{
	switch (t->kind) {
	case TK_WORD:
		snprintf(buf, n, "'%.*s'", (int)(t->len > 64 ? 64 : t->len), t->text);
		break;
	case TK_NUMBER:
		snprintf(buf, n, "number %ld", t->num);
		break;
	case TK_STRING:
		snprintf(buf, n, "a string");
		break;
	case TK_EOF:
		snprintf(buf, n, "end of file");
		break;
	default:
		snprintf(buf, n, "%s%s%s", t->kind >= TK_RULE ? "'" : "", rules_tok_name(t->kind),
			 t->kind >= TK_RULE ? "'" : "");
		break;
	}
	return buf;
}

static int expected(parser *P, const char *what)
{
	char b[96];
	return perr(P, P->tok.pos, "expected %s, found %s", what, tok_desc(&P->tok, b, sizeof(b)));
}

static int next(parser *P)
{
	return rules_lex_next(&P->lx, &P->tok, P->srcs[P->lx.src].name);
}

static int expect(parser *P, rules_tok_kind k, const char *what)
{
	if (P->tok.kind != k)
		return expected(P, what);
	return next(P);
}

/* ---- vocabulary of the enum types ---------------------------------------------- */

/* Code of `name` in the vocabulary of type t (enum types only), or -1. */
static int enum_lookup(rules_type t, const char *name)
{
	int rc = -1;
	switch (t) {
	case RT_KIND: {
		custos_kind v;
		rc = custos_kind_from_name(&v, name) ? -1 : (int)v;
		break;
	}
	case RT_SCOPE: {
		custos_scope v;
		rc = custos_scope_from_name(&v, name) || v == CUSTOS_SCOPE_NONE ? -1 : (int)v;
		break;
	}
	case RT_FRAMEWORK: {
		custos_framework v;
		rc = custos_framework_from_name(&v, name) ? -1 : (int)v;
		break;
	}
	case RT_BASIS: {
		custos_transfer_basis v;
		rc = custos_transfer_basis_from_name(&v, name) || v == CUSTOS_BASIS_NONE ? -1 : (int)v;
		break;
	}
	case RT_CATEGORY: {
		custos_category v;
		rc = custos_category_from_name(&v, name) ? -1 : (int)v;
		break;
	}
	case RT_STATUS: {
		custos_status v;
		rc = custos_status_from_name(&v, name) ? -1 : (int)v;
		break;
	}
	case RT_PLACE: {
		custos_place v;
		rc = custos_place_from_name(&v, name) ? -1 : (int)v;
		break;
	}
	case RT_BAG: {
		custos_bag v;
		rc = custos_bag_from_name(&v, name) || v == CUSTOS_BAG_NONE ? -1 : (int)v;
		break;
	}
	default:
		break;
	}
	return rc;
}

/* Writes "a, b, c" — the names an enum type accepts — into buf. */
static const char *enum_expected(rules_type t, char *buf, size_t n)
{
	size_t used = 0;
	int count = 0;
	const char *name;
	buf[0] = '\0';
	for (int i = 0; i < 64; i++) {
		switch (t) {
		case RT_KIND:
			name = i < CUSTOS_KIND__COUNT ? custos_kind_name((custos_kind)i) : NULL;
			break;
		case RT_SCOPE:
			name = i < CUSTOS_SCOPE__COUNT ? custos_scope_name((custos_scope)i) : NULL;
			break;
		case RT_FRAMEWORK:
			name = i < CUSTOS_FW__COUNT ? custos_framework_name((custos_framework)i) : NULL;
			break;
		case RT_BASIS:
			name = i < CUSTOS_BASIS__COUNT ? custos_transfer_basis_name((custos_transfer_basis)i) : NULL;
			break;
		case RT_CATEGORY:
			name = i < CUSTOS_CAT__COUNT ? custos_category_name((custos_category)i) : NULL;
			break;
		case RT_STATUS:
			name = i < CUSTOS_STATUS__COUNT ? custos_status_name((custos_status)i) : NULL;
			break;
		case RT_PLACE:
			name = i < CUSTOS_PLACE__COUNT ? custos_place_name((custos_place)i) : NULL;
			break;
		case RT_BAG:
			name = i < CUSTOS_BAG__COUNT ? custos_bag_name((custos_bag)i) : NULL;
			break;
		default:
			name = NULL;
		}
		if (!name)
			break;
		if (enum_lookup(t, name) < 0) /* "none" of scope and transfer_basis */
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", count++ ? ", " : "", name);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

static const char *role_expected(char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < CUSTOS_ROLE__COUNT; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", custos_role_name((custos_role)i));
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* ---- values ---------------------------------------------------------------------- */

static int parse_attr_word(parser *P, int *attr)
{
	if (P->tok.kind != TK_WORD)
		return expected(P, "an attribute (measure.* or party.*)");
	*attr = rules_attr_lookup(P->tok.text, P->tok.len);
	if (*attr < 0)
		return perr(P, P->tok.pos, "unknown attribute '%.*s'", (int)(P->tok.len > 64 ? 64 : P->tok.len),
			    P->tok.text);
	return next(P);
}

/* value := attr | IDENT | STRING | NUMBER | 'true' | 'false' | 'null' */
static int parse_value(parser *P, rules_value *v)
{
	memset(v, 0, sizeof(*v));
	v->pos = P->tok.pos;
	switch (P->tok.kind) {
	case TK_WORD:
		if (P->tok.dotted) {
			v->kind = RV_ATTR;
			return parse_attr_word(P, &v->attr);
		}
		v->kind = RV_IDENT;
		break;
	case TK_STRING:
		v->kind = RV_STRING;
		break;
	case TK_NUMBER:
		v->kind = RV_NUMBER;
		v->num = P->tok.num;
		return next(P);
	case TK_TRUE:
		v->kind = RV_TRUE;
		return next(P);
	case TK_FALSE:
		v->kind = RV_FALSE;
		return next(P);
	case TK_NULL:
		v->kind = RV_NULL;
		return next(P);
	default:
		return expected(P, "a value");
	}
	if (!(v->text = rules_strndup(&P->rs->arena, P->tok.text, P->tok.len)))
		return CUSTOS_ENOMEM;
	return next(P);
}

/* One date of a dated member: a STRING "YYYY-MM-DD" after 'from' or 'to'. */
static int parse_date(parser *P, custos_date *out, const char *what)
{
	int rc;
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind != TK_STRING || custos_date_parse(out, P->tok.text))
		return perr(P, P->tok.pos, "expected a date \"YYYY-MM-DD\" after '%s'", what);
	return next(P);
}

/*
 * A member's dates: value [ 'from' DATE ] [ 'to' DATE ] — the days it is a
 * member (both inclusive), for lists of countries that change over time
 * (EU membership, adequacy decisions).
 */
static int parse_dates(parser *P, rules_value *v)
{
	rules_pos at = P->tok.pos;
	int rc;
	v->from = v->to = CUSTOS_DATE_NONE;
	if (P->tok.kind == TK_WORD && !P->tok.dotted && P->tok.len == 4 && memcmp(P->tok.text, "from", 4) == 0) {
		v->dated = true;
		if ((rc = parse_date(P, &v->from, "from")))
			return rc;
	}
	if (P->tok.kind == TK_WORD && !P->tok.dotted && P->tok.len == 2 && memcmp(P->tok.text, "to", 2) == 0) {
		v->dated = true;
		if ((rc = parse_date(P, &v->to, "to")))
			return rc;
	}
	if (v->dated && v->from != CUSTOS_DATE_NONE && v->to != CUSTOS_DATE_NONE && v->to < v->from)
		return perr(P, at, "'to' is before 'from'");
	return 0;
}

/* list := '[' [ value { ',' value } ] ']' — the values go to the arena. */
static int parse_list(parser *P, rules_value **out, size_t *nout)
{
	rules_value tmp[64], *vals = tmp, *big = NULL;
	size_t n = 0, cap = 64;
	int rc;
	if ((rc = expect(P, TK_LBRACK, "'['")))
		return rc;
	if (P->tok.kind != TK_RBRACK) {
		for (;;) {
			if (n == cap) {
				if (n >= RULES_MAX_LIST) {
					rc = perr(P, P->tok.pos, "list longer than %d values", RULES_MAX_LIST);
					goto out;
				}
				rules_value *p = realloc(big, cap * 2 * sizeof(*p));
				if (!p) {
					rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
					goto out;
				}
				if (!big)
					memcpy(p, tmp, n * sizeof(*p));
				big = vals = p;
				cap *= 2;
			}
			if ((rc = parse_value(P, &vals[n])) || (rc = parse_dates(P, &vals[n])))
				goto out;
			n++;
			if (P->tok.kind != TK_COMMA)
				break;
			if ((rc = next(P)))
				goto out;
		}
	}
	if ((rc = expect(P, TK_RBRACK, "',' or ']'")))
		goto out;
	*nout = n;
	*out = rules_alloc(&P->rs->arena, n * sizeof(**out));
	if (!*out) {
		rc = CUSTOS_ENOMEM;
		goto out;
	}
	if (n)
		memcpy(*out, vals, n * sizeof(**out));
out:
	free(big);
	return rc;
}

/* ---- type checking ------------------------------------------------------------------ */

static int32_t country_code(const char *s)
{
	return ((int32_t)(unsigned char)s[0] << 8) | (unsigned char)s[1];
}

/*
 * Checks that value v may be compared with attribute `attr` and compiles it
 * to a run-time constant. `setname`/`use` name the set the value came from
 * and where it is used, for the message.
 */
static int check_value(parser *P, int attr, const rules_value *v, rules_rt *out, const char *setname,
		       rules_pos use)
{
	rules_type t = rules_attrs[attr].type;
	const char *an = rules_attrs[attr].name, *tn = rules_type_name(t);
	char ctx[256] = "", exp[512];
	if (setname)
		snprintf(ctx, sizeof(ctx), " (in set '%s', used with %s at %s:%u:%u)", setname, an,
			 P->srcs[use.src].name, use.line, use.col);
	out->s = NULL;
	switch (v->kind) {
	case RV_NULL:
		return 0;
	case RV_ATTR:
		if (rules_attrs[v->attr].type != t)
			return perr(P, v->pos, "cannot compare %s (%s) with %s (%s)%s", an, tn, rules_attrs[v->attr].name,
				    rules_type_name(rules_attrs[v->attr].type), ctx);
		if (v->attr >= RA__MEASURE_COUNT)
			P->reads_party = true;
		return 0;
	case RV_IDENT:
		switch (t) {
		case RT_COUNTRY:
			if (custos_country_valid(v->text)) {
				out->i = country_code(v->text);
				return 0;
			}
			if (strlen(v->text) == 2)
				return perr(P, v->pos, "malformed country '%s' (expected two upper-case letters)%s", v->text,
					    ctx);
			return perr(P, v->pos, "cannot compare %s (country) with %s (expected a country: two upper-case letters)%s",
				    an, v->text, ctx);
		case RT_STRING:
			return perr(P, v->pos, "cannot compare %s (string) with %s (write strings in double quotes)%s", an,
				    v->text, ctx);
		case RT_BOOL:
			return perr(P, v->pos, "cannot compare %s (bool) with %s (expected true or false)%s", an, v->text,
				    ctx);
		default:
			out->i = enum_lookup(t, v->text);
			if (out->i < 0)
				return perr(P, v->pos, "unknown %s '%s' (expected one of %s)%s", tn, v->text,
					    enum_expected(t, exp, sizeof(exp)), ctx);
			return 0;
		}
	case RV_STRING:
		if (t == RT_STRING) {
			out->s = v->text;
			return 0;
		}
		if (t == RT_COUNTRY) {
			if (custos_country_valid(v->text)) {
				out->i = country_code(v->text);
				return 0;
			}
			return perr(P, v->pos, "malformed country \"%.64s\" (expected two upper-case letters)%s", v->text,
				    ctx);
		}
		return perr(P, v->pos, "cannot compare %s (%s) with \"%.64s\"%s", an, tn, v->text, ctx);
	case RV_NUMBER:
		return perr(P, v->pos, "cannot compare %s (%s) with %ld (no attribute is a number)%s", an, tn, v->num, ctx);
	case RV_TRUE:
	case RV_FALSE:
		if (t != RT_BOOL)
			return perr(P, v->pos, "cannot compare %s (%s) with %s%s", an, tn,
				    v->kind == RV_TRUE ? "true" : "false", ctx);
		out->i = v->kind == RV_TRUE;
		return 0;
	}
	return perr(P, v->pos, "internal: bad value");
}

/* Compiles the membership list of `attr in [...]` (type-checking every value). */
static int compile_member(parser *P, rules_node *n)
{
	rules_member *m = &n->member;
	rules_arena *a = &P->rs->arena;
	size_t cnt = n->nlist ? n->nlist : 1;
	int rc;
	if (!(m->ints = rules_alloc(a, cnt * sizeof(*m->ints))) || !(m->strs = rules_alloc(a, cnt * sizeof(*m->strs))) ||
	    !(m->attrs = rules_alloc(a, cnt * sizeof(*m->attrs))))
		return CUSTOS_ENOMEM;
	rules_type t = rules_attrs[n->attr].type;
	for (size_t i = 0; i < n->nlist; i++) {
		const rules_value *v = &n->list[i];
		rules_rt c;
		if ((rc = check_value(P, n->attr, v, &c, n->set_name, n->pos)))
			return rc;
		if (v->dated && (t != RT_COUNTRY || (v->kind != RV_IDENT && v->kind != RV_STRING)))
			return perr(P, v->pos, "only a country may carry dates (from, to)");
		if (v->dated && !m->int_from) {
			if (!(m->int_from = rules_alloc(a, cnt * sizeof(*m->int_from))) ||
			    !(m->int_to = rules_alloc(a, cnt * sizeof(*m->int_to))))
				return CUSTOS_ENOMEM;
			for (size_t k = 0; k < cnt; k++)
				m->int_from[k] = m->int_to[k] = CUSTOS_DATE_NONE;
		}
		if (v->dated) {
			m->int_from[m->nints] = v->from;
			m->int_to[m->nints] = v->to;
		}
		if (v->kind == RV_NULL)
			m->has_null = true;
		else if (v->kind == RV_ATTR)
			m->attrs[m->nattrs++] = v->attr;
		else if (t == RT_STRING)
			m->strs[m->nstrs++] = c.s;
		else if (t == RT_COUNTRY)
			m->ints[m->nints++] = c.i;
		else
			m->mask |= (uint64_t)1 << c.i;
	}
	return 0;
}

/* ---- expressions ------------------------------------------------------------------------ */

static int parse_expr(parser *P, rules_node **out);

static rules_node *new_node(parser *P, rules_node_op op, rules_pos pos)
{
	rules_node *n = rules_alloc(&P->rs->arena, sizeof(*n));
	if (n) {
		n->op = op;
		n->pos = pos;
	}
	return n;
}

/* Turns a sibling chain into the kids array of an and/or node. */
static int set_kids(parser *P, rules_node *n, rules_node *first, size_t count)
{
	if (!(n->kids = rules_alloc(&P->rs->arena, count * sizeof(*n->kids))))
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < count; i++, first = first->next)
		n->kids[i] = first;
	n->nkids = count;
	return 0;
}

/* Is there a `set NAME` after the current position (for "used before definition")? */
static bool set_defined_later(parser *P, const char *name, size_t len)
{
	rules_lexer lx = P->lx;
	rules_token t;
	bool after_set = false;
	for (;;) {
		if (rules_lex_next(&lx, &t, "") || t.kind == TK_EOF) {
			if (lx.src + 1 >= P->nsrc)
				return false;
			lx.src++;
			lx.p = P->srcs[lx.src].text;
			lx.end = lx.p + P->srcs[lx.src].len;
			lx.line = lx.col = 1;
			after_set = false;
			continue;
		}
		if (after_set && t.kind == TK_WORD && t.len == len && memcmp(t.text, name, len) == 0)
			return true;
		after_set = t.kind == TK_SET;
	}
}

/* test := attr | attr ('='|'!=') value | attr ['not'] 'in' (list | IDENT) */
static int parse_test(parser *P, rules_node **out)
{
	rules_pos pos = P->tok.pos;
	rules_node *n;
	int attr, rc;
	if ((rc = parse_attr_word(P, &attr)))
		return rc;
	if (attr >= RA__MEASURE_COUNT)
		P->reads_party = true;
	if (!(n = new_node(P, RN_TRUTH, pos)))
		return CUSTOS_ENOMEM;
	n->attr = attr;
	*out = n;
	switch (P->tok.kind) {
	case TK_EQ:
	case TK_NE:
		n->op = P->tok.kind == TK_EQ ? RN_EQ : RN_NE;
		if ((rc = next(P)) || (rc = parse_value(P, &n->rhs)))
			return rc;
		return check_value(P, attr, &n->rhs, &n->rhs_const, NULL, pos);
	case TK_NOT:
		if ((rc = next(P)))
			return rc;
		if (P->tok.kind != TK_IN)
			return expected(P, "'in' after 'not'");
		n->op = RN_NOTIN;
		break;
	case TK_IN:
		n->op = RN_IN;
		break;
	default:
		return 0;
	}
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind == TK_LBRACK) {
		if ((rc = parse_list(P, &n->list, &n->nlist)))
			return rc;
	} else if (P->tok.kind == TK_WORD && !P->tok.dotted) {
		size_t i = rules_strtab_get(&P->set_names, P->tok.text, P->tok.len);
		if (i == (size_t)-1) {
			int l = (int)(P->tok.len > 64 ? 64 : P->tok.len);
			if (set_defined_later(P, P->tok.text, P->tok.len))
				return perr(P, P->tok.pos, "set '%.*s' used before definition", l, P->tok.text);
			return perr(P, P->tok.pos, "unknown set '%.*s'", l, P->tok.text);
		}
		n->set_name = P->rs->sets[i].name;
		n->list = P->rs->sets[i].vals;
		n->nlist = P->rs->sets[i].nvals;
		if ((rc = next(P)))
			return rc;
	} else {
		return expected(P, "a list '[...]' or a set name after 'in'");
	}
	return compile_member(P, n);
}

static int enter(parser *P, rules_pos pos)
{
	if (++P->depth > RULES_MAX_DEPTH)
		return perr(P, pos, "expression nested deeper than %d levels", RULES_MAX_DEPTH);
	return 0;
}

/* unary := 'not' unary | '(' expr ')' | test */
static int parse_unary(parser *P, rules_node **out)
{
	rules_pos pos = P->tok.pos;
	int rc;
	if (P->tok.kind == TK_NOT) {
		rules_node *n;
		if ((rc = enter(P, pos)) || (rc = next(P)))
			return rc;
		if (!(n = new_node(P, RN_NOT, pos)) || !(n->kids = rules_alloc(&P->rs->arena, sizeof(*n->kids))))
			return CUSTOS_ENOMEM;
		n->nkids = 1;
		if ((rc = parse_unary(P, &n->kids[0])))
			return rc;
		P->depth--;
		*out = n;
		return 0;
	}
	if (P->tok.kind == TK_LPAREN) {
		if ((rc = enter(P, pos)) || (rc = next(P)) || (rc = parse_expr(P, out)) ||
		    (rc = expect(P, TK_RPAREN, "')'")))
			return rc;
		P->depth--;
		return 0;
	}
	return parse_test(P, out);
}

/* A chain `x OP x OP x` (OP = and/or) as one n-ary node; a single x is returned as is. */
static int parse_chain(parser *P, rules_node **out, rules_tok_kind op, int (*sub)(parser *, rules_node **))
{
	rules_pos pos = P->tok.pos;
	rules_node *first, *last, *n;
	size_t count = 1;
	int rc;
	if ((rc = sub(P, &first)))
		return rc;
	last = first;
	while (P->tok.kind == op) {
		if ((rc = next(P)) || (rc = sub(P, &last->next)))
			return rc;
		last = last->next;
		count++;
	}
	if (count == 1) {
		*out = first;
		return 0;
	}
	if (!(n = new_node(P, op == TK_AND ? RN_AND : RN_OR, pos)))
		return CUSTOS_ENOMEM;
	*out = n;
	return set_kids(P, n, first, count);
}

static int parse_conj(parser *P, rules_node **out)
{
	return parse_chain(P, out, TK_AND, parse_unary);
}

static int parse_expr(parser *P, rules_node **out)
{
	return parse_chain(P, out, TK_OR, parse_conj);
}

/* ---- top level ----------------------------------------------------------------------------- */

static int add_effect(parser *P, rules_effect e)
{
	int rc = custos_array_reserve(&P->effects, &P->capeffects, P->neffects, sizeof(*P->effects), 16);
	if (rc)
		return rc;
	P->effects[P->neffects++] = e;
	return 0;
}

static int parse_roles(parser *P, custos_effect kind, const char *rule)
{
	int rc;
	for (;;) {
		custos_role role;
		char name[72], exp[512];
		if (P->tok.kind != TK_WORD || P->tok.dotted)
			return expected(P, "a role");
		snprintf(name, sizeof(name), "%.*s", (int)(P->tok.len > 64 ? 64 : P->tok.len), P->tok.text);
		if (P->tok.len > 64 || custos_role_from_name(&role, name))
			return perr(P, P->tok.pos, "unknown role '%s' (expected one of %s)", name,
				    role_expected(exp, sizeof(exp)));
		for (size_t i = 0; i < P->neffects; i++)
			if (P->effects[i].kind == kind && P->effects[i].role == role)
				return perr(P, P->tok.pos, "role '%s' listed twice in rule '%s'", name, rule);
		if ((rc = add_effect(P, (rules_effect){.kind = kind, .role = role})) || (rc = next(P)))
			return rc;
		if (P->tok.kind != TK_COMMA)
			return 0;
		if ((rc = next(P)))
			return rc;
	}
}

static int parse_condition(parser *P)
{
	rules_effect e = {.kind = CUSTOS_EFFECT_CONDITION};
	int rc;
	if (P->tok.kind == TK_WORD && P->tok.len == 8 && memcmp(P->tok.text, "max_days", 8) == 0) {
		if ((rc = next(P)))
			return rc;
		if (P->tok.kind != TK_NUMBER)
			return expected(P, "a number of days after 'max_days'");
		if (P->tok.num < 1)
			return perr(P, P->tok.pos, "max_days must be at least 1");
		e.max_days = (int)P->tok.num;
	} else if (P->tok.kind == TK_WORD && P->tok.len == 8 && memcmp(P->tok.text, "minimise", 8) == 0) {
		if ((rc = next(P)))
			return rc;
		if (P->tok.kind != TK_WORD || P->tok.dotted)
			return expected(P, "what to minimise (an identifier) after 'minimise'");
		size_t i = rules_strtab_get(&P->minimise_names, P->tok.text, P->tok.len);
		custos_ruleset *rs = P->rs;
		if (i == (size_t)-1) {
			char *s = rules_strndup(&rs->arena, P->tok.text, P->tok.len);
			if (!s)
				return CUSTOS_ENOMEM;
			if (rs->nminimise == rs->capminimise) {
				size_t cap = rs->capminimise ? rs->capminimise * 2 : 8;
				const char **p = realloc(rs->minimise, cap * sizeof(*p));
				if (!p)
					return custos_error_set(CUSTOS_ENOMEM, "out of memory");
				rs->minimise = p;
				rs->capminimise = cap;
			}
			i = rs->nminimise;
			rs->minimise[rs->nminimise++] = s;
			if ((rc = rules_strtab_put(&P->minimise_names, s, P->tok.len, i)))
				return rc;
		}
		e.minimise = rs->minimise[i];
	} else if (P->tok.kind == TK_WORD) {
		return perr(P, P->tok.pos, "unknown condition '%.*s' (expected max_days or minimise)",
			    (int)(P->tok.len > 64 ? 64 : P->tok.len), P->tok.text);
	} else {
		return expected(P, "'max_days' or 'minimise' after 'condition'");
	}
	if ((rc = add_effect(P, e)))
		return rc;
	return next(P);
}

/*
 * confirm := 'confirm' [ 'not' ] attr 'by' ROLE — the rule's findings rest
 * on the requester's word for attr (a bool or string: a flag), or with
 * 'not' on its word that a bool flag (a ground of refusal) does not apply,
 * which ROLE must confirm in its signed approval. ROLE must be one the rule
 * requires.
 */
static int parse_confirm(parser *P, rules_confirm *out)
{
	custos_role role;
	char name[72], exp[512];
	rules_pos at = P->tok.pos;
	int rc;
	out->negated = P->tok.kind == TK_NOT;
	if (out->negated && (rc = next(P)))
		return rc;
	at = P->tok.pos;
	if ((rc = parse_attr_word(P, &out->attr)))
		return rc;
	if (rules_attrs[out->attr].type != RT_BOOL && (out->negated || rules_attrs[out->attr].type != RT_STRING))
		return perr(P, at, "confirm reads a flag: %s is a %s, not a bool%s", rules_attrs[out->attr].name,
			    rules_type_name(rules_attrs[out->attr].type), out->negated ? "" : " or string");
	if (out->attr >= RA__MEASURE_COUNT)
		P->reads_party = true;
	out->flag = strchr(rules_attrs[out->attr].name, '.') + 1;
	if (P->tok.kind != TK_WORD || P->tok.len != 2 || memcmp(P->tok.text, "by", 2) != 0)
		return expected(P, "'by' and the confirming role");
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind != TK_WORD || P->tok.dotted)
		return expected(P, "a role");
	snprintf(name, sizeof(name), "%.*s", (int)(P->tok.len > 64 ? 64 : P->tok.len), P->tok.text);
	if (P->tok.len > 64 || custos_role_from_name(&role, name))
		return perr(P, P->tok.pos, "unknown role '%s' (expected one of %s)", name, role_expected(exp, sizeof(exp)));
	out->role = role;
	return next(P);
}

/* Reads a clause's STRING into *out (arena); `what` names the clause for "given twice". */
static int parse_text_clause(parser *P, const char **out, const char *what, const char *rule)
{
	rules_pos pos = P->tok.pos;
	int rc;
	if (*out)
		return perr(P, pos, "'%s' given twice in rule '%s'", what, rule);
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind != TK_STRING)
		return expected(P, "a string");
	if (!(*out = rules_strndup(&P->rs->arena, P->tok.text, P->tok.len)))
		return CUSTOS_ENOMEM;
	return next(P);
}

/* rule := 'rule' RULEID clause+ 'end' */
static int parse_rule(parser *P)
{
	custos_ruleset *rs = P->rs;
	rules_rule r;
	rules_pos pos = P->tok.pos;
	int rc;

	rules_confirm confirms[16];
	rules_pos confirm_pos[16];
	size_t nconfirms = 0;

	memset(&r, 0, sizeof(r));
	r.pos = pos;
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind != TK_WORD)
		return expected(P, "a rule id after 'rule'");
	if (!(r.id = rules_strndup(&rs->arena, P->tok.text, P->tok.len)))
		return CUSTOS_ENOMEM;
	if (rules_strtab_get(&P->rule_ids, r.id, P->tok.len) != (size_t)-1)
		return perr(P, P->tok.pos, "duplicate rule id '%s'", r.id);
	if (rs->nrules >= RULES_MAX_RULES)
		return perr(P, pos, "more than %d rules", RULES_MAX_RULES);
	if ((rc = next(P)))
		return rc;
	P->neffects = 0;
	P->reads_party = false;
	for (bool done = false; !done;) {
		switch (P->tok.kind) {
		case TK_CITE:
			if ((rc = parse_text_clause(P, &r.cite, "cite", r.id)))
				return rc;
			break;
		case TK_EXPLAIN:
			if ((rc = parse_text_clause(P, &r.explain, "explain", r.id)))
				return rc;
			break;
		case TK_WHEN:
			if (r.when)
				return perr(P, P->tok.pos, "'when' given twice in rule '%s'", r.id);
			P->depth = 0;
			if ((rc = next(P)) || (rc = parse_expr(P, &r.when)))
				return rc;
			break;
		case TK_FORBID:
		case TK_REJECT:
			if ((rc = add_effect(P, (rules_effect){.kind = P->tok.kind == TK_FORBID ? CUSTOS_EFFECT_FORBID
												  : CUSTOS_EFFECT_REJECT})) ||
			    (rc = next(P)))
				return rc;
			break;
		case TK_REQUIRE:
		case TK_NOTIFY: {
			custos_effect k = P->tok.kind == TK_REQUIRE ? CUSTOS_EFFECT_REQUIRE : CUSTOS_EFFECT_NOTIFY;
			if ((rc = next(P)) || (rc = parse_roles(P, k, r.id)))
				return rc;
			break;
		}
		case TK_CONDITION:
			if ((rc = next(P)) || (rc = parse_condition(P)))
				return rc;
			break;
		case TK_CONFIRM: {
			rules_pos at = P->tok.pos;
			if (nconfirms == sizeof(confirms) / sizeof(confirms[0]))
				return perr(P, at, "more than %zu confirm clauses in rule '%s'",
					    sizeof(confirms) / sizeof(confirms[0]), r.id);
			if ((rc = next(P)) || (rc = parse_confirm(P, &confirms[nconfirms])))
				return rc;
			confirm_pos[nconfirms++] = at;
			break;
		}
		case TK_END:
			done = true;
			break;
		default: {
			char b[96];
			return perr(P, P->tok.pos,
				    "expected a clause (cite, explain, when, forbid, require, notify, condition, reject, confirm) or "
				    "'end' in rule '%s', found %s",
				    r.id, tok_desc(&P->tok, b, sizeof(b)));
		}
		}
	}
	if (!r.cite)
		return perr(P, pos, "rule '%s' has no cite", r.id);
	if (!r.explain)
		return perr(P, pos, "rule '%s' has no explain", r.id);
	if (!P->neffects)
		return perr(P, pos, "rule '%s' has no effect (forbid, require, notify, condition or reject)", r.id);
	if (!(r.effects = rules_alloc(&rs->arena, P->neffects * sizeof(*r.effects))))
		return CUSTOS_ENOMEM;
	memcpy(r.effects, P->effects, P->neffects * sizeof(*r.effects));
	r.neffects = P->neffects;
	for (size_t i = 0; i < nconfirms; i++) {
		bool required = false;
		for (size_t k = 0; k < r.neffects; k++)
			required |= r.effects[k].kind == CUSTOS_EFFECT_REQUIRE && r.effects[k].role == confirms[i].role;
		if (!required)
			return perr(P, confirm_pos[i], "rule '%s' asks %s to confirm %s but does not require %s", r.id,
				    custos_role_name(confirms[i].role), rules_attrs[confirms[i].attr].name,
				    custos_role_name(confirms[i].role));
		for (size_t k = 0; k < i; k++)
			if (confirms[k].attr == confirms[i].attr)
				return perr(P, confirm_pos[i], "%s confirmed twice in rule '%s'",
					    rules_attrs[confirms[i].attr].name, r.id);
	}
	if (nconfirms) {
		if (!(r.confirms = rules_alloc(&rs->arena, nconfirms * sizeof(*r.confirms))))
			return CUSTOS_ENOMEM;
		memcpy(r.confirms, confirms, nconfirms * sizeof(*r.confirms));
		r.nconfirms = nconfirms;
	}
	r.per_party = P->reads_party;
	r.kinds = rules_feasible(r.when, RA_KIND);
	r.categories = rules_feasible(r.when, RA_P_CATEGORY);
	r.order = rs->items++;
	if (rs->nrules == rs->caprules) {
		size_t cap = rs->caprules ? rs->caprules * 2 : 64;
		rules_rule *p = realloc(rs->rules, cap * sizeof(*p));
		if (!p)
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		rs->rules = p;
		rs->caprules = cap;
	}
	if ((rc = rules_strtab_put(&P->rule_ids, r.id, strlen(r.id), rs->nrules)))
		return rc;
	rs->rules[rs->nrules++] = r;
	return next(P); /* past 'end' */
}

/* set := 'set' IDENT '=' list */
static int parse_set(parser *P)
{
	custos_ruleset *rs = P->rs;
	rules_set s;
	int rc;
	memset(&s, 0, sizeof(s));
	if ((rc = next(P)))
		return rc;
	s.pos = P->tok.pos;
	if (P->tok.kind != TK_WORD || P->tok.dotted)
		return expected(P, "a set name after 'set'");
	if (!(s.name = rules_strndup(&rs->arena, P->tok.text, P->tok.len)))
		return CUSTOS_ENOMEM;
	if (rules_strtab_get(&P->set_names, s.name, P->tok.len) != (size_t)-1)
		return perr(P, s.pos, "set '%s' defined twice", s.name);
	if ((rc = next(P)) || (rc = expect(P, TK_EQ, "'='")) || (rc = parse_list(P, &s.vals, &s.nvals)))
		return rc;
	s.order = rs->items++;
	if (rs->nsets == rs->capsets) {
		size_t cap = rs->capsets ? rs->capsets * 2 : 16;
		rules_set *p = realloc(rs->sets, cap * sizeof(*p));
		if (!p)
			return custos_error_set(CUSTOS_ENOMEM, "out of memory");
		rs->sets = p;
		rs->capsets = cap;
	}
	if ((rc = rules_strtab_put(&P->set_names, s.name, strlen(s.name), rs->nsets)))
		return rc;
	rs->sets[rs->nsets++] = s;
	return 0;
}

/* One "WORD NUMBER" setting of name_match, the number within lo..hi. */
static int name_setting(parser *P, const char *word, unsigned lo, unsigned hi, const char *why, unsigned *out)
{
	int rc;
	if (P->tok.kind != TK_WORD || P->tok.len != strlen(word) || memcmp(P->tok.text, word, P->tok.len) != 0) {
		char want[32];
		snprintf(want, sizeof(want), "'%s'", word);
		return expected(P, want);
	}
	if ((rc = next(P)))
		return rc;
	if (P->tok.kind != TK_NUMBER)
		return expected(P, "a number");
	if (P->tok.num < (long)lo || P->tok.num > (long)hi)
		return perr(P, P->tok.pos, "%s must be %u to %u%s", word, lo, hi, why);
	*out = (unsigned)P->tok.num;
	return next(P);
}

/*
 * name_match min_words N min_score S: when a name hits (docs/NAMES.md).
 * min_words is at least 2: a first name or a surname alone never hits.
 */
static int parse_name_match(parser *P)
{
	int rc;
	if (P->rs->name_min_words)
		return perr(P, P->tok.pos, "'name_match' set twice");
	if ((rc = next(P)) ||
	    (rc = name_setting(P, "min_words", 2, 8, " (a first name or a surname alone never hits)",
			       &P->rs->name_min_words)) ||
	    (rc = name_setting(P, "min_score", 1, 100, "", &P->rs->name_min_score)))
		return rc;
	P->rs->items++;
	return 0;
}

static int parse_source(parser *P)
{
	int rc;
	if ((rc = next(P)))
		return rc;
	while (P->tok.kind != TK_EOF) {
		switch (P->tok.kind) {
		case TK_GRACE_DAYS:
			if (P->rs->grace_set)
				return perr(P, P->tok.pos, "'grace_days' set twice");
			if ((rc = next(P)))
				return rc;
			if (P->tok.kind != TK_NUMBER)
				return expected(P, "a number of days after 'grace_days'");
			P->rs->grace_days = (int)P->tok.num;
			P->rs->grace_set = true;
			P->rs->items++;
			rc = next(P);
			break;
		case TK_NAME_MATCH:
			rc = parse_name_match(P);
			break;
		case TK_SET:
			rc = parse_set(P);
			break;
		case TK_RULE:
			rc = parse_rule(P);
			break;
		default:
			rc = expected(P, "'rule', 'set', 'grace_days' or 'name_match'");
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* For each measure kind, the rules whose `when` can hold for it (the evaluator's loop). */
static int index_by_kind(custos_ruleset *rs)
{
	for (int k = 0; k < CUSTOS_KIND__COUNT; k++) {
		size_t n = 0;
		if (!(rs->by_kind[k] = rules_alloc(&rs->arena, (rs->nrules ? rs->nrules : 1) * sizeof(uint32_t))))
			return CUSTOS_ENOMEM;
		for (size_t i = 0; i < rs->nrules; i++)
			if ((rs->rules[i].kinds >> k) & 1)
				rs->by_kind[k][n++] = (uint32_t)i;
		rs->nby_kind[k] = n;
	}
	return 0;
}

/* Copies a rendered fragment into the arena. */
static const char *arena_text(custos_ruleset *rs, const custos_buf *b)
{
	return rules_strndup(&rs->arena, b->ptr ? b->ptr : "", b->len);
}

/*
 * Renders each effect's finding as decision JSON (custos_finding's
 * json_head and json_tail), so that answering a decision copies these
 * instead of escaping the rule's texts again each time.
 */
static int render_findings(custos_ruleset *rs)
{
	int rc = 0;
	for (size_t i = 0; i < rs->nrules && !rc; i++) {
		rules_rule *r = &rs->rules[i];
		for (size_t k = 0; k < r->neffects && !rc; k++) {
			rules_effect *e = &r->effects[k];
			custos_buf head, tail;
			custos_buf_init(&head, RULES_MAX_SOURCE);
			custos_buf_init(&tail, RULES_MAX_SOURCE);
			if (!(rc = custos_buf_puts(&head, "{\"rule\":")) && !(rc = custos_buf_json_string(&head, r->id)) &&
			    !(rc = custos_buf_puts(&head, ",\"effect\":")))
				rc = custos_buf_json_string(&head, custos_effect_name(e->kind));
			if (!rc && (e->kind == CUSTOS_EFFECT_REQUIRE || e->kind == CUSTOS_EFFECT_NOTIFY) &&
			    !(rc = custos_buf_puts(&head, ",\"role\":")))
				rc = custos_buf_json_string(&head, custos_role_name(e->role));
			if (!rc && e->kind == CUSTOS_EFFECT_CONDITION && e->max_days)
				rc = custos_buf_printf(&head, ",\"max_days\":%d", e->max_days);
			if (!rc && e->kind == CUSTOS_EFFECT_CONDITION && e->minimise &&
			    !(rc = custos_buf_puts(&head, ",\"minimise\":")))
				rc = custos_buf_json_string(&head, e->minimise);
			if (!rc && !(rc = custos_buf_puts(&head, ",\"cite\":")) && !(rc = custos_buf_json_string(&head, r->cite)))
				rc = custos_buf_puts(&head, ",\"party\":");
			if (!rc && !(rc = custos_buf_puts(&tail, ",\"explain\":")) &&
			    !(rc = custos_buf_json_string(&tail, r->explain)))
				rc = custos_buf_puts(&tail, "}");
			if (!rc && (!(e->json_head = arena_text(rs, &head)) || !(e->json_tail = arena_text(rs, &tail))))
				rc = CUSTOS_ENOMEM;
			custos_buf_dispose(&head);
			custos_buf_dispose(&tail);
		}
	}
	return rc;
}

int custos_rules_parse(custos_ruleset **out, const custos_rules_source *src, size_t nsrc)
{
	parser *P;
	custos_ruleset *rs;
	int rc = 0;

	*out = NULL;
	if (!(P = calloc(1, sizeof(*P))) || !(rs = calloc(1, sizeof(*rs)))) {
		free(P);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	P->rs = rs;
	P->srcs = src;
	P->nsrc = nsrc;
	P->lx.strbuf = P->strbuf;
	for (size_t i = 0; i < nsrc && !rc; i++) {
		if (src[i].len > RULES_MAX_SOURCE) {
			rc = custos_error_set(CUSTOS_EINVALID, "%s: larger than %u bytes", src[i].name,
					      (unsigned)RULES_MAX_SOURCE);
			break;
		}
		P->lx.src = (uint32_t)i;
		P->lx.p = src[i].text;
		P->lx.end = src[i].text + src[i].len;
		P->lx.line = P->lx.col = 1;
		rc = parse_source(P);
	}
	if (!rc)
		rc = index_by_kind(rs);
	if (!rc)
		rc = render_findings(rs);
	if (!rc)
		rc = rules_canonicalise(rs);
	rules_strtab_free(&P->rule_ids);
	rules_strtab_free(&P->set_names);
	rules_strtab_free(&P->minimise_names);
	free(P->effects);
	free(P);
	if (rc) {
		if (rc == CUSTOS_ENOMEM)
			custos_error_set(CUSTOS_ENOMEM, "out of memory");
		custos_ruleset_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}
