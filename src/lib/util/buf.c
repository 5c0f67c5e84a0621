/* buf.c — growable byte buffers with a ceiling, and growable arrays. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void custos_buf_init(custos_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

int custos_buf_reserve(custos_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;
	if (extra > b->max || b->len > b->max - extra)
		return custos_error_set(CUSTOS_ELIMIT, "more than %zu bytes", b->max);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->ptr, cap);
	if (!p)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int custos_buf_append(custos_buf *b, const void *data, size_t n)
{
	int rc = custos_buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int custos_buf_puts(custos_buf *b, const char *s)
{
	return custos_buf_append(b, s, strlen(s));
}

int custos_buf_printf(custos_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return custos_error_set(CUSTOS_ERROR, "bad format");
	if ((rc = custos_buf_reserve(b, (size_t)n)))
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *custos_buf_detach(custos_buf *b)
{
	char *p;
	if (!b->ptr && custos_buf_append(b, "", 0))
		return NULL;
	p = b->ptr;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

/* The two-character escape of a byte jansson abbreviates, or 0. */
static char json_short_escape(unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
		return (char)c;
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/* Whether none of 8 bytes needs escaping (no control, '"' or '\\'): the bit tricks are exact for "any byte". */
static int json_plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t quote = x ^ (ones * '"'), bslash = x ^ (ones * '\\');
	uint64_t control = (x - ones * 0x20) & ~x & high;
	quote = (quote - ones) & ~quote & high;
	bslash = (bslash - ones) & ~bslash & high;
	return !(control | quote | bslash);
}

/* Appends the escape of one byte that needs it: \" \\ \b \f \n \r \t, or \u00XX. */
static int json_escape(custos_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6] = {'\\', json_short_escape(c), '0', '0', hex[c >> 4], hex[c & 15]};
	if (esc[1])
		return custos_buf_append(b, esc, 2);
	esc[1] = 'u';
	return custos_buf_append(b, esc, 6);
}

int custos_buf_json_string(custos_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, run = 0;
	int rc;
	if ((rc = custos_buf_reserve(b, len + 2)) || (rc = custos_buf_append(b, "\"", 1)))
		return rc;
	while (i < len) {
		uint64_t x;
		if (len - i >= 8) {
			memcpy(&x, p + i, 8);
			if (json_plain8(x)) {
				i += 8;
				continue;
			}
		}
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\') {
			i++;
			continue;
		}
		if ((rc = custos_buf_append(b, p + run, i - run)) || (rc = json_escape(b, p[i])))
			return rc;
		run = ++i;
	}
	if ((rc = custos_buf_append(b, p + run, len - run)))
		return rc;
	return custos_buf_append(b, "\"", 1);
}

void custos_buf_dispose(custos_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int custos_array_reserve(void *arrayp, size_t *cap, size_t n, size_t size, size_t first)
{
	void *old, *grown;
	size_t ncap;
	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	if (ncap <= n)
		ncap = n + 1;
	if (ncap > SIZE_MAX / size)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	memcpy(&old, arrayp, sizeof(old));
	grown = realloc(old, ncap * size);
	if (!grown)
		return custos_error_set(CUSTOS_ENOMEM, "out of memory");
	memcpy(arrayp, &grown, sizeof(grown));
	*cap = ncap;
	return 0;
}
