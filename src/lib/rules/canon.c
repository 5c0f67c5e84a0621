/* canon.c — the canonical text of a rule set (what its hash covers), see docs/RULES.md. */
#include <string.h>

#include "rules_int.h"

/* Appends a string literal with '"' and '\' escaped. */
static int put_string(custos_buf *b, const char *s)
{
	int rc = custos_buf_puts(b, "\"");
	for (const char *p = s; !rc && *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = custos_buf_append(b, "\\", 1);
		if (!rc)
			rc = custos_buf_append(b, p, 1);
	}
	return rc ? rc : custos_buf_puts(b, "\"");
}

static int put_value(custos_buf *b, const rules_value *v)
{
	switch (v->kind) {
	case RV_ATTR:
		return custos_buf_puts(b, rules_attrs[v->attr].name);
	case RV_IDENT:
		return custos_buf_puts(b, v->text);
	case RV_STRING:
		return put_string(b, v->text);
	case RV_NUMBER:
		return custos_buf_printf(b, "%ld", v->num);
	case RV_TRUE:
		return custos_buf_puts(b, "true");
	case RV_FALSE:
		return custos_buf_puts(b, "false");
	case RV_NULL:
		return custos_buf_puts(b, "null");
	}
	return CUSTOS_ERROR;
}

static int put_list(custos_buf *b, const rules_value *vals, size_t n)
{
	int rc = custos_buf_puts(b, "[");
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = custos_buf_puts(b, ", ");
		if (!rc)
			rc = put_value(b, &vals[i]);
		if (!rc && vals[i].dated && vals[i].from != CUSTOS_DATE_NONE) {
			char d[11];
			custos_date_format(d, vals[i].from);
			rc = custos_buf_printf(b, " from \"%s\"", d);
		}
		if (!rc && vals[i].dated && vals[i].to != CUSTOS_DATE_NONE) {
			char d[11];
			custos_date_format(d, vals[i].to);
			rc = custos_buf_printf(b, " to \"%s\"", d);
		}
	}
	return rc ? rc : custos_buf_puts(b, "]");
}

static int prec(const rules_node *n)
{
	return n->op == RN_OR ? 1 : n->op == RN_AND ? 2 : n->op == RN_NOT ? 3 : 4;
}

/*
 * Prints an expression with the fewest parentheses that keep its tree:
 * a child is parenthesised only when it binds more loosely than the
 * context needs (`or` inside `and`, `and`/`or` inside `not`). Nested
 * chains of the same operator print flat; they re-parse to the same text.
 */
static int put_expr(custos_buf *b, const rules_node *n, int min_prec)
{
	int rc = 0;
	bool paren = prec(n) < min_prec;
	if (paren && (rc = custos_buf_puts(b, "(")))
		return rc;
	switch (n->op) {
	case RN_OR:
	case RN_AND:
		for (size_t i = 0; !rc && i < n->nkids; i++) {
			if (i)
				rc = custos_buf_puts(b, n->op == RN_OR ? " or " : " and ");
			if (!rc)
				rc = put_expr(b, n->kids[i], n->op == RN_OR ? 1 : 2);
		}
		break;
	case RN_NOT:
		if (!(rc = custos_buf_puts(b, "not ")))
			rc = put_expr(b, n->kids[0], 3);
		break;
	case RN_TRUTH:
		rc = custos_buf_puts(b, rules_attrs[n->attr].name);
		break;
	case RN_EQ:
	case RN_NE:
		if (!(rc = custos_buf_printf(b, "%s %s ", rules_attrs[n->attr].name, n->op == RN_EQ ? "=" : "!=")))
			rc = put_value(b, &n->rhs);
		break;
	case RN_IN:
	case RN_NOTIN:
		rc = custos_buf_printf(b, "%s %s ", rules_attrs[n->attr].name, n->op == RN_IN ? "in" : "not in");
		if (!rc)
			rc = n->set_name ? custos_buf_puts(b, n->set_name) : put_list(b, n->list, n->nlist);
		break;
	}
	if (!rc && paren)
		rc = custos_buf_puts(b, ")");
	return rc;
}

/* Effects in source order; consecutive require (notify) roles share one line. */
static int put_effects(custos_buf *b, const rules_rule *r)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < r->neffects; i++) {
		const rules_effect *e = &r->effects[i];
		switch (e->kind) {
		case CUSTOS_EFFECT_FORBID:
			rc = custos_buf_puts(b, "  forbid\n");
			break;
		case CUSTOS_EFFECT_REJECT:
			rc = custos_buf_puts(b, "  reject\n");
			break;
		case CUSTOS_EFFECT_REQUIRE:
		case CUSTOS_EFFECT_NOTIFY:
			rc = custos_buf_printf(b, "  %s %s", e->kind == CUSTOS_EFFECT_REQUIRE ? "require" : "notify",
					       custos_role_name(e->role));
			while (!rc && i + 1 < r->neffects && r->effects[i + 1].kind == e->kind)
				rc = custos_buf_printf(b, ", %s", custos_role_name(r->effects[++i].role));
			if (!rc)
				rc = custos_buf_puts(b, "\n");
			break;
		case CUSTOS_EFFECT_CONDITION:
			if (e->minimise)
				rc = custos_buf_printf(b, "  condition minimise %s\n", e->minimise);
			else
				rc = custos_buf_printf(b, "  condition max_days %d\n", e->max_days);
			break;
		default:
			rc = CUSTOS_ERROR;
		}
	}
	for (size_t i = 0; !rc && i < r->nconfirms; i++)
		rc = custos_buf_printf(b, "  confirm %s%s by %s\n", r->confirms[i].negated ? "not " : "",
				       rules_attrs[r->confirms[i].attr].name, custos_role_name(r->confirms[i].role));
	return rc;
}

int rules_canonicalise(custos_ruleset *rs)
{
	custos_buf b;
	uint8_t digest[32];
	int rc;

	custos_buf_init(&b, RULES_MAX_CANON);
	rc = custos_buf_printf(&b, "grace_days %d\n", rs->grace_days);
	if (!rc && rs->name_min_words) /* a rule set without it keeps its hash */
		rc = custos_buf_printf(&b, "name_match min_words %u min_score %u\n", rs->name_min_words,
				       rs->name_min_score);
	for (size_t i = 0; !rc && i < rs->nsets; i++) {
		rc = custos_buf_printf(&b, "\nset %s = ", rs->sets[i].name);
		if (!rc)
			rc = put_list(&b, rs->sets[i].vals, rs->sets[i].nvals);
		if (!rc)
			rc = custos_buf_puts(&b, "\n");
	}
	for (size_t i = 0; !rc && i < rs->nrules; i++) {
		const rules_rule *r = &rs->rules[i];
		rc = custos_buf_printf(&b, "\nrule %s\n  cite ", r->id);
		if (!rc)
			rc = put_string(&b, r->cite);
		if (!rc)
			rc = custos_buf_puts(&b, "\n  explain ");
		if (!rc)
			rc = put_string(&b, r->explain);
		if (!rc)
			rc = custos_buf_puts(&b, "\n");
		if (!rc && r->when) {
			rc = custos_buf_puts(&b, "  when ");
			if (!rc)
				rc = put_expr(&b, r->when, 0);
			if (!rc)
				rc = custos_buf_puts(&b, "\n");
		}
		if (!rc)
			rc = put_effects(&b, r);
		if (!rc)
			rc = custos_buf_puts(&b, "end\n");
	}
	if (rc) {
		custos_buf_dispose(&b);
		if (rc == CUSTOS_ELIMIT)
			return custos_error_set(CUSTOS_EINVALID, "rule set: canonical form larger than %u bytes",
						(unsigned)RULES_MAX_CANON);
		return rc;
	}
	rs->canonical_len = b.len;
	if (!(rs->canonical = custos_buf_detach(&b)))
		return CUSTOS_ENOMEM;
	custos_sha256(digest, rs->canonical, rs->canonical_len);
	custos_sha256_label(rs->hash, digest);
	return 0;
}
