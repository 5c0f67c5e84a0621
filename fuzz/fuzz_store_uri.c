/* fuzz_store_uri.c — libFuzzer target: a store URI shown without its password, and a server store's default key path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/log.h"
#include "custos/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *in, const char *out)
{
	fprintf(stderr, "fuzz_store_uri: %s\n  in:  %s\n  out: %s\n", what, in, out);
	abort();
}

/*
 * Whatever the text: the shown URI fits its buffer (NUL-terminated, any
 * capacity), a password= word at a word's start is followed by *** in it,
 * and a URI's user:secret@ shows ***; a server store's key path is a file
 * name of [A-Za-z0-9._-] that is not empty, "." or "..".
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), out[512], small[16], *key = NULL;
	const char *p, *scheme;
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	custos_store_uri_shown(in, out, sizeof(out));
	if (memchr(out, '\0', sizeof(out)) == NULL)
		fail("not terminated", in, "");
	custos_store_uri_shown(in, small, 1 + (size ? data[0] % sizeof(small) : 0));
	if (memchr(small, '\0', sizeof(small)) == NULL)
		fail("not terminated in a small buffer", in, "");
	if (strlen(out) < sizeof(out) - 1) { /* shown whole: its passwords are hidden */
		for (p = strstr(out, "password="); p; p = strstr(p + 1, "password="))
			if ((p == out || strchr("?& ", p[-1])) && strncmp(p + 9, "***", 3) != 0)
				fail("a password shown", in, out);
		/* (a password= word may hide the user's secret first, and with it the '@': then the rule above holds) */
		if ((scheme = strstr(in, "://")) && strchr(scheme + 3, '@') && !strstr(in, "password=")) {
			const char *at = strchr(scheme + 3, '@'), *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
			if (colon && !strstr(out, ":***@"))
				fail("a URI's password shown", in, out);
		}
	}
	if ((strstr(in, "://") || (strchr(in, '=') && !strchr(in, '/'))) && custos_log_default_key_path(&key, in) == 0) {
		const char *name = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
		size_t n = strlen(name) - strlen(".log-key");
		if (strlen(name) <= strlen(".log-key") || strcmp(name + n, ".log-key") != 0)
			fail("key path not NAME.log-key", in, key);
		if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") < n ||
		    strspn(name, ".") == n)
			fail("key file name outside [A-Za-z0-9._-], or only dots", in, key);
	}
	free(key);
	free(in);
	return 0;
}
