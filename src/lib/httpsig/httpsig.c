/* httpsig.c — RFC 9421 HTTP Message Signatures with Ed25519 over RFC 8941 structured fields, and a replay cache. */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "custos/httpsig.h"
#include "util/util.h"

/* ---- RFC 8941 structured fields: just enough for two dictionaries -------- */

enum { SF_INT, SF_DEC, SF_STR, SF_TOKEN, SF_BYTES, SF_BOOL };

/* A bare item; strings and byte sequences point into the field (escapes kept). */
typedef struct sf_item {
	int type;
	const char *p;
	size_t n;
	int64_t i;
} sf_item;

typedef struct sf_param {
	char key[64];
	sf_item v;
} sf_param;

#define SF_PARAMS_MAX 8
#define SF_MEMBERS_MAX 8

/* A dictionary member: an item or an inner list, each with parameters. */
typedef struct sf_member {
	char key[64];
	int inner;
	sf_item item;
	sf_item items[CUSTOS_HTTPSIG_COMPONENTS_MAX];
	size_t nitems;
	int item_params; /* some inner-list item carried parameters */
	sf_param params[SF_PARAMS_MAX];
	size_t nparams;
} sf_member;

typedef struct sf_dict {
	sf_member m[SF_MEMBERS_MAX];
	size_t n;
} sf_dict;

static void sf_sp(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static void sf_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ) */
static int sf_key(const char **p, char *out, size_t cap, const char *field)
{
	const char *s = *p;
	size_t n = 0;
	if (!((*s >= 'a' && *s <= 'z') || *s == '*'))
		return custos_error_set(CUSTOS_EINVALID, "%s: expected a key at '%.16s'", field, s);
	while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.' ||
	       *s == '*') {
		if (n + 1 >= cap)
			return custos_error_set(CUSTOS_EINVALID, "%s: key longer than %zu characters", field, cap - 1);
		out[n++] = *s++;
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

/*
 * Decodes an RFC 8941 byte sequence's base64. RFC 8941 §4.2.7 asks parsers
 * not to fail on missing '=' padding, so up to two trailing '=' are taken
 * off and the padding restored before the strict decoder runs (which still
 * refuses any other character and non-canonical trailing bits).
 */
static int b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t n)
{
	char padded[128];
	size_t pad = 0;
	while (n > 0 && in[n - 1] == '=' && pad < 3)
		n--, pad++;
	if (pad > 2 || n % 4 == 1 || n + 4 > sizeof(padded))
		return CUSTOS_EINVALID;
	memcpy(padded, in, n);
	while (n % 4)
		padded[n++] = '=';
	return custos_b64_decode(out, cap, outlen, padded, n) ? CUSTOS_EINVALID : 0;
}

static int sf_bare_item(const char **p, sf_item *it, const char *field)
{
	const char *s = *p;
	memset(it, 0, sizeof(*it));
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		int neg = *s == '-', digits = 0, dot = 0;
		const char *start = s;
		int64_t v = 0;
		if (neg)
			s++;
		while ((*s >= '0' && *s <= '9') || (*s == '.' && !dot)) {
			if (*s == '.') {
				dot = 1;
				s++;
				continue;
			}
			if (++digits > 15)
				return custos_error_set(CUSTOS_EINVALID, "%s: number longer than 15 digits", field);
			v = v * 10 + (*s++ - '0');
		}
		if (!digits || s[-1] == '.')
			return custos_error_set(CUSTOS_EINVALID, "%s: malformed number at '%.16s'", field, start);
		it->type = dot ? SF_DEC : SF_INT;
		it->i = neg ? -v : v;
		it->p = start;
		it->n = (size_t)(s - start);
	} else if (*s == '"') {
		it->type = SF_STR;
		it->p = ++s;
		for (;;) {
			if (*s == '\\') {
				if (s[1] != '"' && s[1] != '\\')
					return custos_error_set(CUSTOS_EINVALID, "%s: bad escape in a string", field);
				s += 2;
			} else if (*s == '"') {
				break;
			} else if (*s < 0x20 || *s == 0x7f) {
				return custos_error_set(CUSTOS_EINVALID, "%s: unterminated string or control character",
							field);
			} else {
				s++;
			}
		}
		it->n = (size_t)(s - it->p);
		s++;
	} else if (*s == ':') {
		it->type = SF_BYTES;
		it->p = ++s;
		while (custos_b64_char((unsigned char)*s) >= 0 || *s == '=')
			s++;
		if (*s != ':')
			return custos_error_set(CUSTOS_EINVALID, "%s: malformed byte sequence", field);
		it->n = (size_t)(s - it->p);
		s++;
	} else if (*s == '?') {
		if (s[1] != '0' && s[1] != '1')
			return custos_error_set(CUSTOS_EINVALID, "%s: malformed boolean", field);
		it->type = SF_BOOL;
		it->i = s[1] == '1';
		s += 2;
	} else if (isalpha((unsigned char)*s) || *s == '*') {
		it->type = SF_TOKEN;
		it->p = s;
		while (isalnum((unsigned char)*s) || (*s && strchr("!#$%&'*+-.^_`|~:/", *s)))
			s++;
		it->n = (size_t)(s - it->p);
	} else {
		return custos_error_set(CUSTOS_EINVALID, "%s: expected a value at '%.16s'", field, s);
	}
	*p = s;
	return 0;
}

/* parameters = *( ";" *SP key [ "=" bare-item ] ) */
static int sf_params(const char **p, sf_param *params, size_t *n, const char *field)
{
	int rc;
	*n = 0;
	while (**p == ';') {
		sf_param tmp, *pa = *n < SF_PARAMS_MAX ? &params[*n] : &tmp;
		(*p)++;
		sf_sp(p);
		if ((rc = sf_key(p, pa->key, sizeof(pa->key), field)))
			return rc;
		if (**p == '=') {
			(*p)++;
			if ((rc = sf_bare_item(p, &pa->v, field)))
				return rc;
		} else {
			pa->v = (sf_item){SF_BOOL, NULL, 0, 1};
		}
		if (*n >= SF_PARAMS_MAX)
			return custos_error_set(CUSTOS_EINVALID, "%s: more than %d parameters", field, SF_PARAMS_MAX);
		for (size_t k = 0; k < *n; k++)
			if (strcmp(params[k].key, pa->key) == 0)
				return custos_error_set(CUSTOS_EINVALID, "%s: parameter '%s' given twice", field, pa->key);
		(*n)++;
	}
	return 0;
}

static int sf_member_value(const char **p, sf_member *m, const char *field)
{
	sf_param ignored[SF_PARAMS_MAX];
	size_t nignored;
	int rc;
	if (**p != '(') {
		if ((rc = sf_bare_item(p, &m->item, field)))
			return rc;
		return sf_params(p, m->params, &m->nparams, field);
	}
	m->inner = 1;
	(*p)++;
	for (;;) {
		sf_sp(p);
		if (**p == ')') {
			(*p)++;
			break;
		}
		if (m->nitems >= CUSTOS_HTTPSIG_COMPONENTS_MAX)
			return custos_error_set(CUSTOS_EINVALID, "%s: more than %d items in a list", field,
						CUSTOS_HTTPSIG_COMPONENTS_MAX);
		if ((rc = sf_bare_item(p, &m->items[m->nitems++], field)) ||
		    (rc = sf_params(p, ignored, &nignored, field)))
			return rc;
		if (nignored)
			m->item_params = 1;
		if (**p != ' ' && **p != ')')
			return custos_error_set(CUSTOS_EINVALID, "%s: expected ' ' or ')' in a list", field);
	}
	return sf_params(p, m->params, &m->nparams, field);
}

static int sf_dict_parse(sf_dict *d, const char *text, const char *field)
{
	const char *p = text;
	int rc;
	if (strlen(text) > CUSTOS_HTTPSIG_FIELD_MAX)
		return custos_error_set(CUSTOS_EINVALID, "%s: longer than %d bytes", field, CUSTOS_HTTPSIG_FIELD_MAX);
	memset(d, 0, sizeof(*d));
	sf_sp(&p);
	while (*p) {
		sf_member *m;
		if (d->n >= SF_MEMBERS_MAX)
			return custos_error_set(CUSTOS_EINVALID, "%s: more than %d members", field, SF_MEMBERS_MAX);
		m = &d->m[d->n];
		if ((rc = sf_key(&p, m->key, sizeof(m->key), field)))
			return rc;
		if (*p == '=') {
			p++;
			if ((rc = sf_member_value(&p, m, field)))
				return rc;
		} else {
			m->item = (sf_item){SF_BOOL, NULL, 0, 1};
			if ((rc = sf_params(&p, m->params, &m->nparams, field)))
				return rc;
		}
		for (size_t k = 0; k < d->n; k++)
			if (strcmp(d->m[k].key, m->key) == 0)
				return custos_error_set(CUSTOS_EINVALID, "%s: label '%s' given twice", field, m->key);
		d->n++;
		sf_ows(&p);
		if (!*p)
			break;
		if (*p != ',')
			return custos_error_set(CUSTOS_EINVALID, "%s: expected ',' at '%.16s'", field, p);
		p++;
		sf_ows(&p);
		if (!*p)
			return custos_error_set(CUSTOS_EINVALID, "%s: trailing ','", field);
	}
	if (d->n == 0)
		return custos_error_set(CUSTOS_EINVALID, "%s: empty", field);
	return 0;
}

/* Copies a string item, unescaped, into out; CUSTOS_EINVALID if it does not fit. */
static int sf_string_copy(char *out, size_t cap, const sf_item *it)
{
	size_t o = 0;
	for (size_t k = 0; k < it->n; k++) {
		char c = it->p[k];
		if (c == '\\')
			c = it->p[++k];
		if (o + 1 >= cap)
			return CUSTOS_EINVALID;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* ---- signatures ------------------------------------------------------------ */

static int append_quoted(custos_buf *b, const char *s)
{
	int rc = custos_buf_puts(b, "\"");
	for (; !rc && *s; s++)
		rc = (*s == '"' || *s == '\\') ? custos_buf_printf(b, "\\%c", *s) : custos_buf_append(b, s, 1);
	return rc ? rc : custos_buf_puts(b, "\"");
}

/* The canonical inner list with its parameters, in the order they were given. */
static int serialise_params(custos_httpsig_params *out, const sf_member *m)
{
	custos_buf b;
	int rc;
	custos_buf_init(&b, sizeof(out->params) - 1);
	rc = custos_buf_puts(&b, "(");
	for (size_t k = 0; !rc && k < out->ncomponents; k++) {
		if (k)
			rc = custos_buf_puts(&b, " ");
		if (!rc)
			rc = append_quoted(&b, out->components[k]);
	}
	if (!rc)
		rc = custos_buf_puts(&b, ")");
	for (size_t k = 0; !rc && k < m->nparams; k++) {
		const sf_param *pa = &m->params[k];
		if (pa->v.type == SF_INT) {
			rc = custos_buf_printf(&b, ";%s=%" PRId64, pa->key, pa->v.i);
		} else {
			char s[256];
			sf_string_copy(s, sizeof(s), &pa->v);
			rc = custos_buf_printf(&b, ";%s=", pa->key);
			if (!rc)
				rc = append_quoted(&b, s);
		}
	}
	if (!rc)
		memcpy(out->params, b.ptr, b.len + 1);
	custos_buf_dispose(&b);
	return rc ? custos_error_set(CUSTOS_EINVALID, "Signature-Input: signature parameters too long") : 0;
}

static int params_from_member(custos_httpsig_params *out, const sf_member *m)
{
	const char *F = "Signature-Input";
	if (!m->inner)
		return custos_error_set(CUSTOS_EINVALID, "%s: %s: expected a list of components", F, m->key);
	if (m->item_params)
		return custos_error_set(CUSTOS_EINVALID, "%s: %s: component parameters are not supported", F, m->key);
	for (size_t k = 0; k < m->nitems; k++) {
		const sf_item *it = &m->items[k];
		char *c = out->components[k];
		if (it->type != SF_STR || sf_string_copy(c, sizeof(out->components[k]), it))
			return custos_error_set(CUSTOS_EINVALID, "%s: %s: component %zu is not a string of at most 63 "
						"characters", F, m->key, k + 1);
		for (const char *s = c; *s; s++)
			if (*s < 0x21 || *s > 0x7e || (*s >= 'A' && *s <= 'Z'))
				return custos_error_set(CUSTOS_EINVALID, "%s: %s: component '%s' is not lower-case",
							F, m->key, c);
		for (size_t j = 0; j < k; j++)
			if (strcmp(out->components[j], c) == 0)
				return custos_error_set(CUSTOS_EINVALID, "%s: %s: component '%s' given twice", F,
							m->key, c);
	}
	out->ncomponents = m->nitems;
	for (size_t k = 0; k < m->nparams; k++) {
		const sf_param *pa = &m->params[k];
		int64_t *num = strcmp(pa->key, "created") == 0 ? &out->created
			       : strcmp(pa->key, "expires") == 0 ? &out->expires
								 : NULL;
		char *str = strcmp(pa->key, "keyid") == 0 ? out->keyid
			    : strcmp(pa->key, "alg") == 0 ? out->alg
			    : strcmp(pa->key, "nonce") == 0 ? out->nonce
			    : strcmp(pa->key, "tag") == 0 ? out->tag
							  : NULL;
		size_t cap = str == out->keyid ? sizeof(out->keyid) : str == out->alg ? sizeof(out->alg) : 128;
		if (num) {
			if (pa->v.type != SF_INT || pa->v.i < 0)
				return custos_error_set(CUSTOS_EINVALID, "%s: %s: %s: expected a non-negative integer",
							F, m->key, pa->key);
			*num = pa->v.i;
		} else if (str) {
			if (pa->v.type != SF_STR || sf_string_copy(str, cap, &pa->v))
				return custos_error_set(CUSTOS_EINVALID, "%s: %s: %s: expected a string of at most %zu "
							"characters", F, m->key, pa->key, cap - 1);
		} else {
			return custos_error_set(CUSTOS_EINVALID, "%s: %s: unknown parameter '%s'", F, m->key, pa->key);
		}
	}
	return serialise_params(out, m);
}

int custos_httpsig_parse(custos_httpsig_params *out, const char *signature_input, const char *signature,
			 const char *label)
{
	sf_dict *in = NULL, *sig = NULL;
	const sf_member *mi = NULL, *ms = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->created = out->expires = -1;
	if (!signature_input || !signature)
		return custos_error_set(CUSTOS_EINVALID, "%s: missing", signature_input ? "Signature" : "Signature-Input");
	in = malloc(sizeof(*in));
	sig = malloc(sizeof(*sig));
	if (!in || !sig) {
		rc = custos_error_set(CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = sf_dict_parse(in, signature_input, "Signature-Input")) ||
	    (rc = sf_dict_parse(sig, signature, "Signature")))
		goto out;
	for (size_t k = 0; k < in->n && !mi; k++) {
		if (label && strcmp(in->m[k].key, label) != 0)
			continue;
		for (size_t j = 0; j < sig->n; j++)
			if (strcmp(sig->m[j].key, in->m[k].key) == 0) {
				mi = &in->m[k];
				ms = &sig->m[j];
			}
		if (label && !mi) {
			rc = custos_error_set(CUSTOS_EINVALID, "Signature: no signature labelled '%s'", label);
			goto out;
		}
	}
	if (!mi) {
		rc = custos_error_set(CUSTOS_EINVALID, label ? "Signature-Input: no signature labelled '%s'"
							     : "Signature: no label that Signature-Input has%s",
				      label ? label : "");
		goto out;
	}
	snprintf(out->label, sizeof(out->label), "%s", mi->key);
	if (ms->inner || ms->item.type != SF_BYTES ||
	    b64_decode(out->signature, sizeof(out->signature), &n, ms->item.p, ms->item.n) || n != 64) {
		rc = custos_error_set(CUSTOS_EINVALID, "Signature: %s: expected a byte sequence of 64 bytes (Ed25519)",
				      ms->key);
		goto out;
	}
	rc = params_from_member(out, mi);
out:
	free(in);
	free(sig);
	return rc;
}

static int base_line(custos_buf *b, const char *name, const char *value)
{
	int rc = custos_buf_printf(b, "\"%s\": ", name);
	const char *end;
	if (rc)
		return rc;
	/* a header field value without its leading and trailing whitespace */
	while (*value == ' ' || *value == '\t')
		value++;
	end = value + strlen(value);
	while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((rc = custos_buf_append(b, value, (size_t)(end - value))))
		return rc;
	return custos_buf_puts(b, "\n");
}

int custos_httpsig_base(char **out, size_t *len, const custos_httpsig_params *p, const custos_httpsig_message *m)
{
	custos_buf b;
	int rc = 0;
	*out = NULL;
	custos_buf_init(&b, 64 * 1024);
	for (size_t k = 0; !rc && k < p->ncomponents; k++) {
		const char *c = p->components[k];
		const char *path = m->path && *m->path ? m->path : "/";
		custos_buf v;
		custos_buf_init(&v, 16 * 1024);
		if (strcmp(c, "@method") == 0) {
			rc = custos_buf_puts(&v, m->method ? m->method : "");
		} else if (strcmp(c, "@authority") == 0 || strcmp(c, "@scheme") == 0) {
			const char *s = c[1] == 'a' ? m->authority : m->scheme;
			if (!s)
				rc = custos_error_set(CUSTOS_EINVALID, "Signature-Input: %s: the request has none", c);
			for (; !rc && *s; s++) {
				char l = (char)tolower((unsigned char)*s);
				rc = custos_buf_append(&v, &l, 1);
			}
		} else if (strcmp(c, "@path") == 0) {
			rc = custos_buf_puts(&v, path);
		} else if (strcmp(c, "@query") == 0) {
			rc = custos_buf_printf(&v, "?%s", m->query ? m->query : "");
		} else if (strcmp(c, "@request-target") == 0) {
			rc = custos_buf_printf(&v, "%s%s%s", path, m->query ? "?" : "", m->query ? m->query : "");
		} else if (strcmp(c, "@target-uri") == 0) {
			if (!m->scheme || !m->authority)
				rc = custos_error_set(CUSTOS_EINVALID, "Signature-Input: @target-uri: no scheme or host");
			else
				rc = custos_buf_printf(&v, "%s://%s%s%s%s", m->scheme, m->authority, path,
						       m->query ? "?" : "", m->query ? m->query : "");
		} else if (c[0] == '@') {
			rc = custos_error_set(CUSTOS_EINVALID, "Signature-Input: component '%s' is not supported", c);
		} else {
			const char *f = m->field ? m->field(m->field_ctx, c) : NULL;
			if (!f)
				rc = custos_error_set(CUSTOS_EINVALID,
						      "Signature-Input: covered field '%s' is not in the request", c);
			else
				rc = custos_buf_puts(&v, f);
		}
		if (!rc)
			rc = base_line(&b, c, v.ptr ? v.ptr : "");
		custos_buf_dispose(&v);
	}
	if (!rc)
		rc = custos_buf_printf(&b, "\"@signature-params\": %s", p->params);
	if (rc) {
		custos_buf_dispose(&b);
		return rc == CUSTOS_ELIMIT ? custos_error_set(rc, "signature base longer than 64 KiB") : rc;
	}
	*len = b.len;
	*out = custos_buf_detach(&b);
	return 0;
}

void custos_httpsig_content_digest(char out[CUSTOS_HTTPSIG_DIGEST_SIZE], const void *body, size_t len)
{
	uint8_t d[32];
	custos_sha256(d, body, len);
	memcpy(out, "sha-256=:", 9);
	custos_b64_encode(out + 9, d, 32); /* 44 characters and a NUL */
	memcpy(out + 53, ":", 2);
}

int custos_httpsig_digest_check(const char *field, const void *body, size_t len)
{
	sf_dict *d;
	uint8_t want[32], got[32];
	size_t n = 0;
	int rc, found = 0;
	if (!field)
		return custos_error_set(CUSTOS_EINVALID, "Content-Digest: missing");
	if (!(d = malloc(sizeof(*d))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = sf_dict_parse(d, field, "Content-Digest")))
		goto out;
	custos_sha256(want, body, len);
	for (size_t k = 0; k < d->n && !found; k++) {
		const sf_member *m = &d->m[k];
		if (strcmp(m->key, "sha-256") != 0)
			continue;
		found = 1;
		if (m->inner || m->item.type != SF_BYTES || b64_decode(got, sizeof(got), &n, m->item.p, m->item.n) ||
		    n != 32)
			rc = custos_error_set(CUSTOS_EINVALID, "Content-Digest: sha-256: expected 32 bytes");
		else if (memcmp(got, want, 32) != 0)
			rc = custos_error_set(CUSTOS_EINVALID, "Content-Digest: sha-256 does not match the content");
	}
	if (!found)
		rc = custos_error_set(CUSTOS_EINVALID, "Content-Digest: no sha-256 member");
out:
	free(d);
	return rc;
}

/* ---- replay cache ------------------------------------------------------------ */

#define REPLAY_PROBE 32

typedef struct replay_slot {
	uint8_t sig[16];
	int64_t until; /* 0: empty */
} replay_slot;

struct custos_httpsig_replay {
	pthread_mutex_t lock;
	size_t mask;
	replay_slot *slots;
};

int custos_httpsig_replay_new(custos_httpsig_replay **out, size_t capacity)
{
	custos_httpsig_replay *r;
	size_t cap = 64;
	while (cap < capacity && cap < ((size_t)1 << 24))
		cap <<= 1;
	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))) || !(r->slots = calloc(cap, sizeof(*r->slots)))) {
		free(r);
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	}
	r->mask = cap - 1;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void custos_httpsig_replay_free(custos_httpsig_replay *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

/*
 * Open addressing keyed by the signature's first bytes (an Ed25519
 * signature is as good as random): a signature probes at most REPLAY_PROBE
 * slots, taking the first empty or expired one.
 */
int custos_httpsig_replay_check(custos_httpsig_replay *r, const uint8_t sig[64], int64_t now, int64_t until)
{
	uint64_t h;
	replay_slot *free_slot = NULL;
	int rc = 0;
	memcpy(&h, sig, sizeof(h));
	pthread_mutex_lock(&r->lock);
	for (size_t k = 0; k < REPLAY_PROBE; k++) {
		replay_slot *s = &r->slots[(h + k) & r->mask];
		int live = s->until > now;
		if (live && memcmp(s->sig, sig, sizeof(s->sig)) == 0) {
			rc = custos_error_set(CUSTOS_EEXISTS, "Signature: replayed (this signature was accepted before)");
			goto out;
		}
		if (!live && !free_slot)
			free_slot = s;
	}
	if (!free_slot) {
		rc = custos_error_set(CUSTOS_ELIMIT, "too many recent signatures; retry later");
		goto out;
	}
	memcpy(free_slot->sig, sig, sizeof(free_slot->sig));
	free_slot->until = until > now ? until : now + 1;
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- verification and signing -------------------------------------------------- */

static int covers(const custos_httpsig_params *p, const char *c)
{
	for (size_t k = 0; k < p->ncomponents; k++)
		if (strcmp(p->components[k], c) == 0)
			return 1;
	return 0;
}

static int fail(custos_httpsig_failure *why, custos_httpsig_failure f, int rc)
{
	*why = f;
	return rc;
}

int custos_httpsig_verify(custos_httpsig_signer *out, custos_httpsig_failure *why, const custos_httpsig_message *m,
			  const char *signature_input, const char *signature, const custos_httpsig_policy *pol,
			  custos_httpsig_lookup lookup, void *lookup_ctx, custos_httpsig_replay *replay)
{
	custos_httpsig_params *p;
	uint8_t pub[32];
	char *base = NULL;
	size_t blen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	*why = CUSTOS_HTTPSIG_OK;
	if (!signature_input || !signature)
		return fail(why, CUSTOS_HTTPSIG_MISSING,
			    custos_error_set(CUSTOS_EINVALID, "%s: missing (requests must be signed, RFC 9421)",
					     signature_input ? "Signature" : "Signature-Input"));
	if (!(p = malloc(sizeof(*p))))
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if ((rc = custos_httpsig_parse(p, signature_input, signature, NULL))) {
		rc = fail(why, CUSTOS_HTTPSIG_MALFORMED, rc);
		goto out;
	}
	{
		const char *need = !covers(p, "@method")					? "@method"
				   : !covers(p, "@authority") && !covers(p, "@target-uri")	? "@authority"
				   : !covers(p, "@path") && !covers(p, "@target-uri")		? "@path"
				   : m->query && !covers(p, "@query") && !covers(p, "@target-uri") ? "@query"
				   : pol->body_len && !covers(p, "content-digest")		? "content-digest"
				   : NULL;
		if (need) {
			rc = fail(why, CUSTOS_HTTPSIG_UNCOVERED,
				  custos_error_set(CUSTOS_EINVALID, "Signature-Input: %s: must cover %s", p->label, need));
			goto out;
		}
	}
	if (p->created < 0 || !p->keyid[0] || (p->alg[0] && strcmp(p->alg, "ed25519") != 0)) {
		rc = fail(why, CUSTOS_HTTPSIG_UNCOVERED,
			  custos_error_set(CUSTOS_EINVALID, "Signature-Input: %s: %s", p->label,
					   p->created < 0 ? "created: required"
					   : !p->keyid[0] ? "keyid: required"
							  : "alg: only \"ed25519\" is accepted"));
		goto out;
	}
	if (p->created > pol->now + pol->max_skew || p->created < pol->now - pol->max_age ||
	    (p->expires >= 0 && p->expires <= pol->now)) {
		rc = fail(why, CUSTOS_HTTPSIG_STALE,
			  custos_error_set(CUSTOS_EINVALID, "Signature-Input: %s: %s", p->label,
					   p->expires >= 0 && p->expires <= pol->now ? "expires: the signature has expired"
					   : p->created > pol->now ? "created: in the future"
								   : "created: too old (stale signature)"));
		goto out;
	}
	/* a covered digest is checked against the content even when there is none: a signed request replayed
	 * without its content must not pass as an empty one */
	if ((pol->body_len || covers(p, "content-digest")) && (rc = custos_httpsig_digest_check(m->field ? m->field(m->field_ctx, "content-digest") : NULL,
								 pol->body, pol->body_len))) {
		rc = fail(why, CUSTOS_HTTPSIG_BAD_DIGEST, rc);
		goto out;
	}
	rc = lookup ? lookup(lookup_ctx, p->keyid, pub, out->roles, sizeof(out->roles)) : CUSTOS_ENOTFOUND;
	if (rc) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_error_set(rc, "Signature-Input: %s: keyid: unknown key '%s'", p->label, p->keyid);
		rc = fail(why, CUSTOS_HTTPSIG_UNKNOWN_KEY, rc);
		goto out;
	}
	if ((rc = custos_httpsig_base(&base, &blen, p, m))) {
		rc = fail(why, CUSTOS_HTTPSIG_MALFORMED, rc);
		goto out;
	}
	if (custos_ed25519_verify(pub, p->signature, base, blen)) {
		rc = fail(why, CUSTOS_HTTPSIG_BAD_SIGNATURE,
			  custos_error_set(CUSTOS_EINVALID, "Signature: %s: does not verify with key '%s'", p->label,
					   p->keyid));
		goto out;
	}
	if (replay && (rc = custos_httpsig_replay_check(replay, p->signature, pol->now,
							 p->created + pol->max_age + pol->max_skew + 1))) {
		if (rc == CUSTOS_EEXISTS)
			rc = CUSTOS_EINVALID;
		rc = fail(why, CUSTOS_HTTPSIG_REPLAYED, rc);
		goto out;
	}
	snprintf(out->keyid, sizeof(out->keyid), "%s", p->keyid);
	{
		uint8_t h[32];
		custos_sha256(h, p->signature, sizeof(p->signature));
		custos_sha256_label(out->request_key, h);
	}
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	free(base);
	free(p);
	return rc;
}

int custos_httpsig_sign(char **signature_input, char **signature, const custos_httpsig_message *m, const char *label,
			const char *const *components, size_t ncomponents, int64_t created, const char *keyid,
			const char *alg, const uint8_t seed[32])
{
	custos_httpsig_params *p = calloc(1, sizeof(*p));
	custos_buf in, sig;
	char *base = NULL, b64[96];
	uint8_t sk[64], pub[32];
	size_t blen = 0;
	int rc = 0;

	*signature_input = *signature = NULL;
	custos_buf_init(&in, 8192);
	custos_buf_init(&sig, 256);
	if (!p)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	if (ncomponents > CUSTOS_HTTPSIG_COMPONENTS_MAX) {
		rc = custos_error_set(CUSTOS_EINVALID, "more than %d components", CUSTOS_HTTPSIG_COMPONENTS_MAX);
		goto out;
	}
	/* Build the field value, then parse it back: one code path decides what is signed. */
	rc = custos_buf_printf(&in, "%s=(", label);
	for (size_t i = 0; !rc && i < ncomponents; i++)
		rc = custos_buf_printf(&in, "%s\"%s\"", i ? " " : "", components[i]);
	if (!rc)
		rc = custos_buf_printf(&in, ");created=%" PRId64 ";keyid=", created);
	if (!rc)
		rc = append_quoted(&in, keyid);
	if (!rc && alg && !(rc = custos_buf_puts(&in, ";alg=")))
		rc = append_quoted(&in, alg);
	/* a placeholder signature lets the parser run; the real one replaces it */
	memset(p->signature, 0, sizeof(p->signature));
	custos_b64_encode(b64, p->signature, 64);
	if (!rc)
		rc = custos_buf_printf(&sig, "%s=:%s:", label, b64);
	if (rc || (rc = custos_httpsig_parse(p, in.ptr, sig.ptr, label)) ||
	    (rc = custos_httpsig_base(&base, &blen, p, m)))
		goto out;
	if ((rc = custos_ed25519_keypair(sk, pub, seed)) || (rc = custos_ed25519_sign(p->signature, sk, base, blen)))
		goto out;
	custos_b64_encode(b64, p->signature, 64);
	sig.len = 0;
	if ((rc = custos_buf_printf(&sig, "%s=:%s:", label, b64)))
		goto out;
	*signature_input = custos_buf_detach(&in);
	*signature = custos_buf_detach(&sig);
out:
	custos_wipe(sk, sizeof(sk));
	custos_buf_dispose(&in);
	custos_buf_dispose(&sig);
	free(base);
	free(p);
	return rc;
}
