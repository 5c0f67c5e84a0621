/* fuzz_token.c — libFuzzer target: authorisation tokens, principals' statements and revocation lists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/lifecycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_token: %s (%s)\n", what, custos_error_last());
	abort();
}

/*
 * The input is tried as a token text, a statement text and a signed token
 * (verified with a fixed key, with itself as a revocation list). Whatever is
 * accepted formats back to exactly the input; whatever is refused says why.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_authorization a;
	custos_statement s;
	char *text = malloc(size + 1), *again = NULL;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (custos_authorization_parse(&a, text, size) == 0) {
		if (custos_authorization_format(&again, &a))
			fail("format of a parsed token");
		/* the text may carry a different but equivalent date spelling only if it parsed: none exists */
		if (strlen(again) != size || memcmp(again, text, size) != 0)
			fail("token does not format back to its text");
		free(again);
		again = NULL;
		custos_authorization_dispose(&a);
	} else if (!*custos_error_last()) {
		fail("token refused without a message");
	}

	if (custos_statement_parse(&s, text, size) == 0) {
		if (custos_statement_format(&again, &s))
			fail("format of a parsed statement");
		if (strlen(again) != size || memcmp(again, text, size) != 0)
			fail("statement does not format back to its text");
		free(again);
		again = NULL;
	} else if (!*custos_error_last()) {
		fail("statement refused without a message");
	}

	if (custos_authorization_verify(&a, text, size, PETER_VKEY, text, size, 20000) == 0)
		custos_authorization_dispose(&a);
	else if (!*custos_error_last())
		fail("verify refused without a message");
	{
		/* with a maximum age for the list, and a result that must say why revocation went unchecked */
		custos_token_checks c = {PETER_VKEY, text, size, 20000, 3600};
		custos_revocation_check rev;
		if (custos_authorization_check(&a, &rev, text, size, &c) == 0) {
			if (!rev.checked && !rev.unchecked[0])
				fail("revocation unchecked without a reason");
			custos_authorization_dispose(&a);
		} else if (!*custos_error_last()) {
			fail("check refused without a message");
		}
	}
	(void)PETER_SKEY;
	free(text);
	return 0;
}
