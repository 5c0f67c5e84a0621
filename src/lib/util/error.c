/* error.c — the per-thread error message behind custos_error_last(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static _Thread_local char error_msg[2048];

const char *custos_error_last(void)
{
	return error_msg;
}

void custos_error_clear(void)
{
	error_msg[0] = '\0';
}

int custos_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_msg, sizeof(error_msg), fmt, ap);
	va_end(ap);
	return code;
}

int custos_error_prefix(int code, const char *fmt, ...)
{
	char prefix[512];
	size_t plen, olen = strlen(error_msg);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix) + 2; /* "prefix: " */
	if (olen > sizeof(error_msg) - 1 - plen)
		olen = sizeof(error_msg) - 1 - plen; /* the tail of a very long message is cut */
	memmove(error_msg + plen, error_msg, olen);
	memcpy(error_msg, prefix, plen - 2);
	error_msg[plen - 2] = ':';
	error_msg[plen - 1] = ' ';
	error_msg[plen + olen] = '\0';
	return code;
}

char *custos_strdup(const char *s)
{
	return custos_strndup(s, strlen(s));
}

char *custos_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p) {
		custos_error_set(CUSTOS_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
