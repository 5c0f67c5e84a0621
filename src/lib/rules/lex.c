/* lex.c — the lexer of the rules language: words, strings, numbers, punctuation, keywords. */
#include <string.h>

#include "rules_int.h"

static const char *const keywords[] = {
	[TK_RULE] = "rule",	    [TK_END] = "end",	       [TK_CITE] = "cite",     [TK_EXPLAIN] = "explain",
	[TK_WHEN] = "when",	    [TK_FORBID] = "forbid",    [TK_REQUIRE] = "require", [TK_NOTIFY] = "notify",
	[TK_CONDITION] = "condition", [TK_REJECT] = "reject", [TK_SET] = "set",	       [TK_GRACE_DAYS] = "grace_days",
	[TK_NAME_MATCH] = "name_match",
	[TK_AND] = "and",	    [TK_OR] = "or",	       [TK_NOT] = "not",       [TK_IN] = "in",
	[TK_TRUE] = "true",	    [TK_FALSE] = "false",      [TK_NULL] = "null",     [TK_CONFIRM] = "confirm",
};

const char *rules_tok_name(rules_tok_kind k)
{
	switch (k) {
	case TK_EOF:
		return "end of file";
	case TK_WORD:
		return "identifier";
	case TK_STRING:
		return "string";
	case TK_NUMBER:
		return "number";
	case TK_LBRACK:
		return "'['";
	case TK_RBRACK:
		return "']'";
	case TK_LPAREN:
		return "'('";
	case TK_RPAREN:
		return "')'";
	case TK_COMMA:
		return "','";
	case TK_EQ:
		return "'='";
	case TK_NE:
		return "'!='";
	default:
		return (size_t)k < sizeof(keywords) / sizeof(keywords[0]) && keywords[k] ? keywords[k] : "?";
	}
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lex_error(rules_lexer *lx, const char *srcname, uint32_t line, uint32_t col, const char *msg)
{
	return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: %s", srcname, line, col, msg);
}

static void advance(rules_lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
	lx->p++;
}

/* Skips whitespace and '#' comments. */
static void skip_blank(rules_lexer *lx)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
			advance(lx);
		} else if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx);
		} else {
			break;
		}
	}
}

/* Well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}

/*
 * A string literal: '"' then any byte but '"', newline and NUL, or the escapes
 * \" and \\, then '"'. The unescaped value goes to lx->strbuf (at most
 * RULES_MAX_STRING bytes).
 */
static int lex_string(rules_lexer *lx, rules_token *tok, const char *srcname)
{
	size_t n = 0;
	advance(lx); /* opening quote */
	for (;;) {
		char c;
		if (lx->p >= lx->end || *lx->p == '\n')
			return lex_error(lx, srcname, tok->pos.line, tok->pos.col, "unterminated string");
		c = *lx->p;
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c == '\0')
			return lex_error(lx, srcname, lx->line, lx->col, "NUL byte in string");
		if (c == '\\') {
			uint32_t l = lx->line, col = lx->col;
			advance(lx);
			if (lx->p >= lx->end || (*lx->p != '"' && *lx->p != '\\'))
				return lex_error(lx, srcname, l, col, "unknown escape in string (only \\\" and \\\\)");
			c = *lx->p;
		}
		if (n >= RULES_MAX_STRING)
			return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: string longer than %u bytes", srcname,
						tok->pos.line, tok->pos.col, (unsigned)RULES_MAX_STRING);
		lx->strbuf[n++] = c;
		advance(lx);
	}
	lx->strbuf[n] = '\0';
	/* strings reach decisions as JSON unchecked (decide.c): they must be UTF-8 here, once */
	if (!utf8_valid(lx->strbuf, n))
		return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: string is not valid UTF-8", srcname, tok->pos.line,
					tok->pos.col);
	tok->kind = TK_STRING;
	tok->text = lx->strbuf;
	tok->len = n;
	return 0;
}

/*
 * A word: [A-Za-z_][A-Za-z0-9_]* followed by any number of '.' [A-Za-z0-9_]+
 * (attributes and rule ids). An undotted word that is a keyword becomes that
 * keyword's token.
 */
static void lex_word(rules_lexer *lx, rules_token *tok)
{
	const char *start = lx->p;
	tok->dotted = false;
	while (lx->p < lx->end && (is_alpha(*lx->p) || is_digit(*lx->p)))
		advance(lx);
	while (lx->p + 1 < lx->end && lx->p[0] == '.' && (is_alpha(lx->p[1]) || is_digit(lx->p[1]))) {
		tok->dotted = true;
		advance(lx);
		while (lx->p < lx->end && (is_alpha(*lx->p) || is_digit(*lx->p)))
			advance(lx);
	}
	tok->kind = TK_WORD;
	tok->text = start;
	tok->len = (size_t)(lx->p - start);
	if (!tok->dotted) {
		for (size_t k = TK_RULE; k < TK__COUNT; k++) {
			if (strlen(keywords[k]) == tok->len && memcmp(keywords[k], start, tok->len) == 0) {
				tok->kind = (rules_tok_kind)k;
				break;
			}
		}
	}
}

int rules_lex_next(rules_lexer *lx, rules_token *tok, const char *srcname)
{
	char c;
	skip_blank(lx);
	memset(tok, 0, sizeof(*tok));
	tok->pos.src = lx->src;
	tok->pos.line = lx->line;
	tok->pos.col = lx->col;
	if (lx->p >= lx->end) {
		tok->kind = TK_EOF;
		return 0;
	}
	c = *lx->p;
	if (is_alpha(c)) {
		lex_word(lx, tok);
		return 0;
	}
	if (is_digit(c)) {
		long v = 0;
		while (lx->p < lx->end && is_digit(*lx->p)) {
			v = v * 10 + (*lx->p - '0');
			if (v > RULES_MAX_NUMBER)
				return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: number too large (at most %d)",
							srcname, tok->pos.line, tok->pos.col, RULES_MAX_NUMBER);
			advance(lx);
		}
		tok->kind = TK_NUMBER;
		tok->num = v;
		return 0;
	}
	if (c == '"')
		return lex_string(lx, tok, srcname);
	switch (c) {
	case '[':
		tok->kind = TK_LBRACK;
		break;
	case ']':
		tok->kind = TK_RBRACK;
		break;
	case '(':
		tok->kind = TK_LPAREN;
		break;
	case ')':
		tok->kind = TK_RPAREN;
		break;
	case ',':
		tok->kind = TK_COMMA;
		break;
	case '=':
		tok->kind = TK_EQ;
		break;
	case '!':
		if (lx->p + 1 < lx->end && lx->p[1] == '=') {
			advance(lx);
			tok->kind = TK_NE;
			break;
		}
		return lex_error(lx, srcname, tok->pos.line, tok->pos.col, "unexpected '!' (did you mean '!=')");
	default:
		if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
			return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: unexpected character '%c'", srcname,
						tok->pos.line, tok->pos.col, c);
		return custos_error_set(CUSTOS_EINVALID, "%s:%u:%u: unexpected byte 0x%02x", srcname, tok->pos.line,
					tok->pos.col, (unsigned char)c);
	}
	advance(lx);
	return 0;
}
