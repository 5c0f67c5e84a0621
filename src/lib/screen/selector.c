/* selector.c — parses and normalises selectors (DESIGN.md §4) into their canonical text and match key. */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "custos/model.h"
#include "custos/selector.h"
#include "screen.h"
#include "util.h"

/* Restrictions an ETSI TS 103 280 type name puts on its value. */
enum {
	F_E164 = 1,      /* E164Number: the '+' may be omitted */
	F_V4 = 2,        /* IPv4Address / IPv4CIDR */
	F_V6 = 4,        /* IPv6Address / IPv6CIDR */
	F_NOPREFIX = 8,  /* ...Address: no /prefix */
	F_PREFIX = 16,   /* ...CIDR: a /prefix is required */
	F_SIPURI = 32    /* SIPURI: the value is the whole URI, "sip:" included */
};

/* Every accepted scheme (compared without regard to case) and what it means. */
static const struct scheme {
	const char *name;
	custos_selector_kind kind;
	int flags;
} schemes[] = {
	{"mailto", CUSTOS_SEL_EMAIL, 0},
	{"domain", CUSTOS_SEL_DOMAIN, 0},
	{"tel", CUSTOS_SEL_TEL, 0},
	{"ip", CUSTOS_SEL_IP, 0},
	{"imsi", CUSTOS_SEL_IMSI, 0},
	{"imei", CUSTOS_SEL_IMEI, 0},
	{"name", CUSTOS_SEL_NAME, 0},
	{"address", CUSTOS_SEL_ADDRESS, 0},
	{"party", CUSTOS_SEL_PARTY, 0},
	{"sip", CUSTOS_SEL_SIP, 0},
	{"nai", CUSTOS_SEL_NAI, 0},
	{"EmailAddress", CUSTOS_SEL_EMAIL, 0},
	{"DomainName", CUSTOS_SEL_DOMAIN, 0},
	{"E164Number", CUSTOS_SEL_TEL, F_E164},
	{"IPv4Address", CUSTOS_SEL_IP, F_V4 | F_NOPREFIX},
	{"IPv4CIDR", CUSTOS_SEL_IP, F_V4 | F_PREFIX},
	{"IPv6Address", CUSTOS_SEL_IP, F_V6 | F_NOPREFIX},
	{"IPv6CIDR", CUSTOS_SEL_IP, F_V6 | F_PREFIX},
	{"SIPURI", CUSTOS_SEL_SIP, F_SIPURI},
};

static const char *const kind_names[CUSTOS_SEL__COUNT] = {
	[CUSTOS_SEL_EMAIL] = "mailto", [CUSTOS_SEL_DOMAIN] = "domain", [CUSTOS_SEL_TEL] = "tel",
	[CUSTOS_SEL_TEL_RANGE] = "tel", [CUSTOS_SEL_IP] = "ip",	      [CUSTOS_SEL_IMSI] = "imsi",
	[CUSTOS_SEL_IMEI] = "imei",	[CUSTOS_SEL_NAME] = "name",   [CUSTOS_SEL_ADDRESS] = "address",
	[CUSTOS_SEL_PARTY] = "party", [CUSTOS_SEL_SIP] = "sip", [CUSTOS_SEL_NAI] = "nai",
};

const char *custos_selector_kind_name(custos_selector_kind kind)
{
	if ((unsigned)kind >= CUSTOS_SEL__COUNT)
		return "?";
	return kind_names[kind];
}

/* The selector as shown in error messages: at most 96 bytes, non-printable bytes escaped. */
typedef struct {
	char s[96 * 4 + 8];
} shown_t;

static void show(shown_t *sh, const char *in, size_t len)
{
	size_t o = 0, lim = len > 96 ? 96 : len;
	int utf8 = custos_utf8_check(in, lim) == lim;
	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)in[i];
		if ((c >= 0x20 && c < 0x7f) || (c >= 0x80 && utf8)) {
			sh->s[o++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";
			sh->s[o++] = '\\';
			sh->s[o++] = 'x';
			sh->s[o++] = hex[c >> 4];
			sh->s[o++] = hex[c & 15];
		}
	}
	if (lim < len) {
		memcpy(sh->s + o, "...", 3);
		o += 3;
	}
	sh->s[o] = '\0';
}

/* A character named in an error message: 'a', or byte 0x07. */
typedef struct {
	char s[16];
} char_t;

static const char *show_char(char_t *c, unsigned char ch)
{
	if (ch > 0x20 && ch < 0x7f)
		snprintf(c->s, sizeof(c->s), "'%c'", ch);
	else if (ch == ' ')
		snprintf(c->s, sizeof(c->s), "space");
	else
		snprintf(c->s, sizeof(c->s), "byte 0x%02x", ch);
	return c->s;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Fills out->text with "<scheme>:<text>" and out->key with the key; CUSTOS_ENOMEM on failure. */
static int finish(custos_selector *out, custos_selector_kind kind, const char *text, size_t tlen, const char *key,
		  size_t klen)
{
	const char *scheme = kind_names[kind];
	size_t sl = strlen(scheme);
	out->kind = kind;
	out->text = malloc(sl + 1 + tlen + 1);
	out->key = custos_strndup(key, klen);
	if (!out->text || !out->key) {
		free(out->text);
		free(out->key);
		out->text = out->key = NULL;
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	memcpy(out->text, scheme, sl);
	out->text[sl] = ':';
	memcpy(out->text + sl + 1, text, tlen);
	out->text[sl + 1 + tlen] = '\0';
	return CUSTOS_OK;
}

/*
 * Normalises a domain into out (at least 256 bytes): one trailing dot
 * dropped, internationalised names converted to their ASCII (A-label) form
 * with UTS #46 non-transitional processing, lower case, then checked as
 * letter-digit-hyphen labels of 1..63 characters, 253 at most in all.
 */
static int domain_norm(char *out, size_t *outlen, const shown_t *sh, const char *d, size_t n)
{
	char tmp[CUSTOS_SELECTOR_MAX + 1];
	size_t label = 0;
	int ascii = 1;
	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: empty domain", sh->s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)d[i] >= 0x80)
			ascii = 0;
	if (!ascii) {
		char *res = NULL;
		int rc;
		size_t rl;
		if (custos_utf8_check(d, n) != n)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid UTF-8 in domain", sh->s);
		if (n > CUSTOS_SELECTOR_MAX)
			return custos_error_set(CUSTOS_EINVALID, "%s: domain too long", sh->s);
		memcpy(tmp, d, n);
		tmp[n] = '\0';
		rc = idn2_to_ascii_8z(tmp, &res, IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid internationalised domain name (%s)", sh->s,
						idn2_strerror(rc));
		rl = strlen(res);
		if (rl > 0 && res[rl - 1] == '.')
			rl--;
		if (rl > 253) {
			idn2_free(res);
			return custos_error_set(CUSTOS_EINVALID, "%s: domain longer than 253 characters", sh->s);
		}
		memcpy(tmp, res, rl);
		idn2_free(res);
		d = tmp;
		n = rl;
		if (n == 0)
			return custos_error_set(CUSTOS_EINVALID, "%s: empty domain", sh->s);
	}
	if (n > 253)
		return custos_error_set(CUSTOS_EINVALID, "%s: domain longer than 253 characters", sh->s);
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? d[i] : '.';
		char_t ct;
		if (c == '.') {
			if (label == 0)
				return custos_error_set(CUSTOS_EINVALID, "%s: empty label in domain", sh->s);
			if (out[i - 1] == '-' || out[i - label] == '-')
				return custos_error_set(CUSTOS_EINVALID, "%s: domain label starts or ends with '-'",
							sh->s);
			label = 0;
		} else {
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-'))
				return custos_error_set(CUSTOS_EINVALID, "%s: invalid character %s in domain", sh->s,
							show_char(&ct, (unsigned char)c));
			if (++label > 63)
				return custos_error_set(CUSTOS_EINVALID, "%s: domain label longer than 63 characters",
							sh->s);
		}
		if (i < n)
			out[i] = c;
	}
	out[n] = '\0';
	*outlen = n;
	return CUSTOS_OK;
}

/*
 * The part of an address before its '@' (an email's local part, a SIP or NAI
 * user part), `n` bytes at v, written to out folded to lower case (ASCII
 * letters only): valid UTF-8, no control character, space or DEL, nor any
 * byte of `forbid`. Errors name `part`, and `of` after it when not NULL
 * ("invalid character ';' in user part of SIP identity").
 */
static int user_part(char *out, const shown_t *sh, const char *v, size_t n, const char *forbid, const char *part,
		     const char *of)
{
	if (custos_utf8_check(v, n) != n)
		return custos_error_set(CUSTOS_EINVALID, "%s: invalid UTF-8 in %s", sh->s, part);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char_t ct;
		if (c <= 0x20 || c == 0x7f || strchr(forbid, c))
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid character %s in %s%s%s", sh->s,
						show_char(&ct, c), part, of ? " of " : "", of ? of : "");
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return CUSTOS_OK;
}

/*
 * mailto:local@domain. The whole address is folded to lower case, local part
 * included. RFC 5321 lets a server treat local parts case-sensitively, but
 * almost none do, and for screening matching more protects more: a measure
 * against "Ambassador@x" must not slip past a registry holding "ambassador@x".
 */
static int parse_email(custos_selector *out, const shown_t *sh, const char *v, size_t n)
{
	char buf[64 + 1 + 256];
	const char *at = memchr(v, '@', n);
	size_t ll, dl;
	int rc;
	if (!at)
		return custos_error_set(CUSTOS_EINVALID, "%s: missing '@' in email address", sh->s);
	ll = (size_t)(at - v);
	if (ll == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: empty local part in email address", sh->s);
	if (ll > 64)
		return custos_error_set(CUSTOS_EINVALID, "%s: local part longer than 64 bytes", sh->s);
	if ((rc = user_part(buf, sh, v, ll, "", "local part", NULL)))
		return rc;
	buf[ll] = '@';
	if (memchr(at + 1, '@', n - ll - 1))
		return custos_error_set(CUSTOS_EINVALID, "%s: more than one '@' in email address", sh->s);
	rc = domain_norm(buf + ll + 1, &dl, sh, at + 1, n - ll - 1);
	if (rc)
		return rc;
	return finish(out, CUSTOS_SEL_EMAIL, buf, ll + 1 + dl, buf, ll + 1 + dl);
}

static int parse_domain(custos_selector *out, const shown_t *sh, const char *v, size_t n)
{
	char buf[256];
	size_t dl;
	int rc = domain_norm(buf, &dl, sh, v, n);
	if (rc)
		return rc;
	return finish(out, CUSTOS_SEL_DOMAIN, buf, dl, buf, dl);
}

/*
 * tel: an E.164 number, '+' and 1..15 digits; the visual separators of RFC
 * 3966 ('-', '.', '(', ')', space) are dropped. A final '*' makes a range of
 * every number beginning with the digits before it.
 */
static int parse_tel(custos_selector *out, const shown_t *sh, const char *v, size_t n, int flags)
{
	char buf[1 + 15 + 1];
	size_t nd = 0;
	int plus = 0, range = 0;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		char_t ct;
		if (range)
			return custos_error_set(CUSTOS_EINVALID, "%s: '*' must be the last character of a number range",
						sh->s);
		if (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ')
			continue;
		if (c == '+') {
			if (plus || nd)
				return custos_error_set(CUSTOS_EINVALID, "%s: misplaced '+' in phone number", sh->s);
			plus = 1;
		} else if (c == '*') {
			range = 1;
		} else if (is_digit(c)) {
			if (nd == 15)
				return custos_error_set(CUSTOS_EINVALID, "%s: more than 15 digits in phone number",
							sh->s);
			buf[1 + nd++] = c;
		} else {
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid character %s in phone number", sh->s,
						show_char(&ct, (unsigned char)c));
		}
	}
	if (!plus && !(flags & F_E164))
		return custos_error_set(CUSTOS_EINVALID, "%s: phone number must start with '+' (E.164)", sh->s);
	if (nd == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: no digits in phone number", sh->s);
	if (buf[1] == '0')
		return custos_error_set(CUSTOS_EINVALID, "%s: country code cannot start with 0", sh->s);
	buf[0] = '+';
	if (range) {
		buf[1 + nd] = '*';
		return finish(out, CUSTOS_SEL_TEL_RANGE, buf, nd + 2, buf, nd + 1);
	}
	return finish(out, CUSTOS_SEL_TEL, buf, nd + 1, buf, nd + 1);
}

/*
 * ip: an IPv4 or IPv6 address with an optional /prefix. Host bits set
 * below the prefix are cleared rather than refused (192.0.2.7/24 is read as
 * 192.0.2.0/24): lenient on input, one canonical form out. IPv4 is kept as
 * ::ffff:a.b.c.d so one 128-bit comparison serves both families.
 */
static int parse_ip(custos_selector *out, const shown_t *sh, const char *v, size_t n, int flags)
{
	char addr[64], text[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(v, '/', n);
	size_t al = slash ? (size_t)(slash - v) : n;
	int v6 = memchr(v, ':', al) != NULL;
	unsigned prefix, max = v6 ? 128 : 32;
	uint8_t ip[16];
	size_t tl;
	int rc;
	if ((flags & F_V4) && v6)
		return custos_error_set(CUSTOS_EINVALID, "%s: expected an IPv4 address", sh->s);
	if ((flags & F_V6) && !v6)
		return custos_error_set(CUSTOS_EINVALID, "%s: expected an IPv6 address", sh->s);
	if ((flags & F_NOPREFIX) && slash)
		return custos_error_set(CUSTOS_EINVALID, "%s: an address takes no /prefix", sh->s);
	if ((flags & F_PREFIX) && !slash)
		return custos_error_set(CUSTOS_EINVALID, "%s: missing /prefix", sh->s);
	if (al == 0 || al >= sizeof(addr))
		return custos_error_set(CUSTOS_EINVALID, "%s: invalid IP address", sh->s);
	memcpy(addr, v, al);
	addr[al] = '\0';
	memset(ip, 0, sizeof(ip));
	if (v6) {
		if (inet_pton(AF_INET6, addr, ip) != 1)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid IPv6 address", sh->s);
	} else {
		ip[10] = ip[11] = 0xff;
		if (inet_pton(AF_INET, addr, ip + 12) != 1)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid IPv4 address", sh->s);
	}
	prefix = max;
	if (slash) {
		size_t pl = n - al - 1;
		if (pl == 0 || pl > 3)
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid prefix length", sh->s);
		prefix = 0;
		for (size_t i = 0; i < pl; i++) {
			if (!is_digit(slash[1 + i]))
				return custos_error_set(CUSTOS_EINVALID, "%s: invalid prefix length", sh->s);
			prefix = prefix * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (prefix > max)
			return custos_error_set(CUSTOS_EINVALID, "%s: prefix length %u exceeds %u", sh->s, prefix, max);
	}
	if (!v6)
		prefix += 96;
	for (unsigned b = prefix; b < 128; b++)
		ip[b >> 3] &= (uint8_t) ~(0x80u >> (b & 7));
	if (!inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? ip : ip + 12, text, sizeof(text)))
		return custos_error_set(CUSTOS_ERROR, "%s: cannot format IP address", sh->s);
	tl = strlen(text);
	if (prefix < 128) {
		int w = snprintf(text + tl, sizeof(text) - tl, "/%u", v6 ? prefix : prefix - 96);
		tl += (size_t)w;
	}
	rc = finish(out, CUSTOS_SEL_IP, text, tl, text, tl);
	if (rc)
		return rc;
	memcpy(out->ip, ip, 16);
	out->prefix = (uint8_t)prefix;
	out->is_v4 = (uint8_t)!v6;
	return CUSTOS_OK;
}

static int only_digits(const shown_t *sh, const char *v, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		char_t ct;
		if (!is_digit(v[i]))
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid character %s in %s", sh->s,
						show_char(&ct, (unsigned char)v[i]), what);
	}
	return CUSTOS_OK;
}

/* imsi: MCC + MNC + MSIN, normally 15 digits; 6..15 accepted. */
static int parse_imsi(custos_selector *out, const shown_t *sh, const char *v, size_t n)
{
	int rc = only_digits(sh, v, n, "IMSI");
	if (rc)
		return rc;
	if (n < 6 || n > 15)
		return custos_error_set(CUSTOS_EINVALID, "%s: an IMSI has 6 to 15 digits, not %zu", sh->s, n);
	return finish(out, CUSTOS_SEL_IMSI, v, n, v, n);
}

/* The Luhn check digit of the 14 digits of an IMEI body. */
static char luhn_digit(const char *d)
{
	unsigned sum = 0;
	for (int i = 0; i < 14; i++) {
		unsigned x = (unsigned)(d[i] - '0');
		if (i & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/* imei: 15 digits ending in a Luhn check digit; 14 digits get theirs appended. */
static int parse_imei(custos_selector *out, const shown_t *sh, const char *v, size_t n)
{
	char buf[15];
	int rc = only_digits(sh, v, n, "IMEI");
	if (rc)
		return rc;
	if (n != 14 && n != 15)
		return custos_error_set(CUSTOS_EINVALID, "%s: an IMEI has 15 digits (or 14 without the check digit), not %zu",
					sh->s, n);
	memcpy(buf, v, 14);
	buf[14] = luhn_digit(v);
	if (n == 15 && v[14] != buf[14])
		return custos_error_set(CUSTOS_EINVALID, "%s: IMEI check digit %c is wrong (expected %c)", sh->s, v[14],
					buf[14]);
	return finish(out, CUSTOS_SEL_IMEI, buf, 15, buf, 15);
}

/* Computes a parsed name's word hashes (custos_selector.names), sized to its words. */
static int name_words(custos_selector *out)
{
	custos_name_words w;
	custos_name_words_of(&w, out->key);
	out->names = malloc(custos_name_words_size(w.n ? w.n : 1));
	if (!out->names) {
		custos_selector_dispose(out);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	memcpy(out->names, &w, custos_name_words_size(w.n));
	return CUSTOS_OK;
}

/*
 * name: and address: keep their display form (ASCII whitespace runs
 * collapsed to one space) as text, and the fold of fold.c as key.
 */
static int parse_text(custos_selector *out, const shown_t *sh, const char *v, size_t n, custos_selector_kind kind)
{
	const char *what = kind == CUSTOS_SEL_NAME ? "name" : "address";
	char disp[CUSTOS_SELECTOR_MAX + 1], key[2 * CUSTOS_SELECTOR_MAX + 1];
	size_t bad = custos_utf8_check(v, n), dl = 0, kl;
	if (bad != n)
		return custos_error_set(CUSTOS_EINVALID, "%s: invalid UTF-8 at byte %zu of the %s", sh->s, bad, what);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && !is_ws((char)c)) || c == 0x7f ||
		    (c == 0xC2 && i + 1 < n && (unsigned char)v[i + 1] < 0xA0))
			return custos_error_set(CUSTOS_EINVALID, "%s: control character in the %s", sh->s, what);
		if (is_ws((char)c)) {
			if (dl && disp[dl - 1] != ' ')
				disp[dl++] = ' ';
		} else {
			disp[dl++] = (char)c;
		}
	}
	while (dl && disp[dl - 1] == ' ')
		dl--;
	if (kind == CUSTOS_SEL_NAME) {
		/*
		 * A name's key is its Latin form (names.c), '^' first when it is
		 * written in an abjad, and ";born=YYYY-MM-DD" last when the
		 * selector ends with a date of birth.
		 */
		const char *born = NULL;
		size_t nl = dl;
		int abjad = 0, rc;
		if (dl >= 16 && memcmp(disp + dl - 16, ";born=", 6) == 0) {
			char date[11];
			custos_date d;
			memcpy(date, disp + dl - 10, 10);
			date[10] = '\0';
			if (custos_date_parse(&d, date))
				return custos_error_set(CUSTOS_EINVALID, "%s: born=%s is not a date YYYY-MM-DD", sh->s, date);
			born = disp + dl - 16;
			nl = dl - 16;
			while (nl && disp[nl - 1] == ' ')
				nl--;
			memmove(disp + nl, born, 16);
			born = disp + nl;
			dl = nl + 16;
		}
		rc = custos_name_latin(key + 1, sizeof(key) - 18, &kl, &abjad, disp, nl);
		if (rc)
			return custos_error_prefix(rc, "%s", sh->s);
		if (kl == 0)
			return custos_error_set(CUSTOS_EINVALID, "%s: the name has no letters to match", sh->s);
		if (born) {
			memcpy(key + 1 + kl, born, 16);
			kl += 16;
		}
		key[0] = '^';
		if ((rc = abjad ? finish(out, kind, disp, dl, key, kl + 1) : finish(out, kind, disp, dl, key + 1, kl)))
			return rc;
		return name_words(out);
	}
	kl = custos_fold(key, disp, dl, kind == CUSTOS_SEL_ADDRESS);
	if (kl == (size_t)-1)
		return custos_error_set(CUSTOS_EINVALID, "%s: invalid UTF-8 in the %s", sh->s, what);
	if (kl == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: the %s has nothing to match (only punctuation)", sh->s,
					what);
	return finish(out, kind, disp, dl, key, kl);
}

/* party: a registry id, [A-Za-z0-9._-]{1,64}, compared case-sensitively. */
static int parse_party(custos_selector *out, const shown_t *sh, const char *v, size_t n)
{
	if (n > 64)
		return custos_error_set(CUSTOS_EINVALID, "%s: party id longer than 64 characters", sh->s);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		char_t ct;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' ||
		      c == '-'))
			return custos_error_set(CUSTOS_EINVALID, "%s: invalid character %s in party id", sh->s,
						show_char(&ct, (unsigned char)c));
	}
	return finish(out, CUSTOS_SEL_PARTY, v, n, v, n);
}

void custos_ip_mask(uint64_t mask[2], unsigned prefix)
{
	uint8_t b[16];
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		b[i] = bits >= 8 ? 0xFF : (uint8_t)(0xFF00u >> bits);
	}
	memcpy(&mask[0], b, 8);
	memcpy(&mask[1], b + 8, 8);
}

void custos_selector_rehash(custos_selector *sel)
{
	if (sel->kind == CUSTOS_SEL_IP) {
		uint64_t m[2], w[2];
		unsigned prefix = sel->prefix > 128 ? 128 : sel->prefix;
		custos_ip_mask(m, prefix);
		memcpy(w, sel->ip, 16);
		sel->hash = custos_ip_hash(w[0] & m[0], w[1] & m[1], prefix);
		sel->keylen = sel->key ? (uint32_t)strlen(sel->key) : 0;
	} else if (sel->key) {
		sel->keylen = (uint32_t)strlen(sel->key);
		sel->hash = custos_key_hash((unsigned)sel->kind, sel->key, sel->keylen);
	} else {
		sel->keylen = 0;
		sel->hash = 0;
	}
}

/*
 * sip:user@realm (a SIP identity, RFC 3261's user part and host) and
 * nai:user[@realm] (a network access identifier, RFC 7542: the user name an
 * AAA server sees, which an IP intercept names). The realm is a domain,
 * normalised as one (IDN to ASCII, lower case); a SIP identity must have one,
 * an NAI need not. The user part is folded to lower case, as an email's
 * local part is: SIP and RADIUS servers mostly compare them so, and for
 * screening matching more protects more. URI parameters and headers
 * (';', '?') are refused rather than dropped: a selector names one identity.
 */
static int parse_identity(custos_selector *out, const shown_t *sh, const char *v, size_t n, custos_selector_kind kind)
{
	char buf[128 + 1 + 256];
	const char *what = kind == CUSTOS_SEL_SIP ? "SIP identity" : "network access identifier";
	const char *at = memchr(v, '@', n);
	size_t ul = at ? (size_t)(at - v) : n, dl = 0;
	int rc;
	if (ul == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: empty user part in %s", sh->s, what);
	if (ul > 128)
		return custos_error_set(CUSTOS_EINVALID, "%s: user part longer than 128 bytes", sh->s);
	if (!at && kind == CUSTOS_SEL_SIP)
		return custos_error_set(CUSTOS_EINVALID, "%s: a SIP identity needs its realm (sip:user@realm)", sh->s);
	if ((rc = user_part(buf, sh, v, ul, ";?:", "user part", what)))
		return rc;
	if (at) {
		if (memchr(at + 1, '@', n - ul - 1))
			return custos_error_set(CUSTOS_EINVALID, "%s: more than one '@' in %s", sh->s, what);
		buf[ul] = '@';
		if ((rc = domain_norm(buf + ul + 1, &dl, sh, at + 1, n - ul - 1)))
			return rc;
		dl++;
	}
	return finish(out, kind, buf, ul + dl, buf, ul + dl);
}

static int parse_value(custos_selector *out, const char *in, size_t len)
{
	shown_t sh;
	const char *colon, *v;
	const struct scheme *sc = NULL;
	size_t sl, n;
	memset(out, 0, sizeof(*out));
	if (!in)
		return custos_error_set(CUSTOS_EINVALID, "missing selector");
	show(&sh, in, len);
	if (len > CUSTOS_SELECTOR_MAX)
		return custos_error_set(CUSTOS_EINVALID, "%s: selector longer than %d bytes", sh.s, CUSTOS_SELECTOR_MAX);
	if (len == 0)
		return custos_error_set(CUSTOS_EINVALID, "empty selector");
	if (memchr(in, '\0', len))
		return custos_error_set(CUSTOS_EINVALID, "%s: NUL byte in selector", sh.s);
	colon = memchr(in, ':', len);
	if (!colon)
		return custos_error_set(CUSTOS_EINVALID,
					"%s: selector has no type (expected mailto:, domain:, tel:, ip:, imsi:, imei:, "
					"name:, address:, party:, sip: or nai:)",
					sh.s);
	sl = (size_t)(colon - in);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == sl && strncasecmp(schemes[i].name, in, sl) == 0) {
			sc = &schemes[i];
			break;
		}
	}
	if (!sc) {
		shown_t name;
		show(&name, in, sl);
		return custos_error_set(CUSTOS_EINVALID, "%s: unknown selector type '%s'", sh.s, name.s);
	}
	v = colon + 1;
	n = len - sl - 1;
	while (n && is_ws(*v)) {
		v++;
		n--;
	}
	while (n && is_ws(v[n - 1]))
		n--;
	if (n == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: empty %s selector", sh.s, kind_names[sc->kind]);
	switch (sc->kind) {
	case CUSTOS_SEL_EMAIL:
		return parse_email(out, &sh, v, n);
	case CUSTOS_SEL_DOMAIN:
		return parse_domain(out, &sh, v, n);
	case CUSTOS_SEL_TEL:
		return parse_tel(out, &sh, v, n, sc->flags);
	case CUSTOS_SEL_IP:
		return parse_ip(out, &sh, v, n, sc->flags);
	case CUSTOS_SEL_IMSI:
		return parse_imsi(out, &sh, v, n);
	case CUSTOS_SEL_IMEI:
		return parse_imei(out, &sh, v, n);
	case CUSTOS_SEL_NAME:
	case CUSTOS_SEL_ADDRESS:
		return parse_text(out, &sh, v, n, sc->kind);
	case CUSTOS_SEL_PARTY:
		return parse_party(out, &sh, v, n);
	case CUSTOS_SEL_SIP:
		if ((sc->flags & F_SIPURI) && n > 4 && strncasecmp(v, "sip:", 4) == 0) {
			v += 4;
			n -= 4;
		}
		return parse_identity(out, &sh, v, n, CUSTOS_SEL_SIP);
	case CUSTOS_SEL_NAI:
		return parse_identity(out, &sh, v, n, CUSTOS_SEL_NAI);
	default:
		return custos_error_set(CUSTOS_ERROR, "%s: unhandled selector kind", sh.s);
	}
}

int custos_selector_parse(custos_selector *out, const char *in, size_t len)
{
	int rc = parse_value(out, in, len);
	if (rc == CUSTOS_OK)
		custos_selector_rehash(out);
	return rc;
}

void custos_selector_dispose(custos_selector *sel)
{
	if (!sel)
		return;
	free(sel->text);
	free(sel->key);
	free(sel->names);
	memset(sel, 0, sizeof(*sel));
}

int custos_selector_copy(custos_selector *out, const custos_selector *src)
{
	*out = *src;
	out->text = src->text ? custos_strdup(src->text) : NULL;
	out->key = src->key ? custos_strdup(src->key) : NULL;
	out->names = NULL;
	if (src->names && (out->names = malloc(custos_name_words_size(src->names->n ? src->names->n : 1))))
		memcpy(out->names, src->names, custos_name_words_size(src->names->n));
	if ((src->text && !out->text) || (src->key && !out->key) || (src->names && !out->names)) {
		free(out->text);
		free(out->key);
		free(out->names);
		memset(out, 0, sizeof(*out));
		return CUSTOS_ENOMEM;
	}
	return CUSTOS_OK;
}
