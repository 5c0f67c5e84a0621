/* fuzz_checkpoint.c — libFuzzer target: the checkpoint parser never crashes and format(parse(x)) is x. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_checkpoint: %s (%s)\n", what, custos_error_last());
	abort();
}

/*
 * A strict parser has exactly one accepted spelling per checkpoint, so an
 * accepted input must format back to itself and parse again to the same
 * fields (the fixed point parse(format(parse(x)))).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_checkpoint c, d;
	char *text = NULL;
	int rc = custos_checkpoint_parse(&c, (const char *)data, size);
	if (rc) {
		if (rc != CUSTOS_EINVALID && rc != CUSTOS_ELIMIT)
			fail("unexpected error code");
		if (c.origin || c.extensions)
			fail("rejected checkpoint left data");
		if (!custos_error_last()[0])
			fail("rejected checkpoint without a message");
		return 0;
	}
	if (custos_checkpoint_format(&text, &c))
		fail("accepted checkpoint does not format");
	if (strlen(text) != size || memcmp(text, data, size) != 0)
		fail("format(parse(x)) differs from x");
	if (custos_checkpoint_parse(&d, text, strlen(text)))
		fail("formatted checkpoint does not parse");
	if (strcmp(c.origin, d.origin) != 0 || c.size != d.size || memcmp(c.root.b, d.root.b, 32) != 0 ||
	    c.nextensions != d.nextensions)
		fail("parse(format(parse(x))) differs");
	for (size_t i = 0; i < c.nextensions; i++)
		if (strcmp(c.extensions[i], d.extensions[i]) != 0)
			fail("extension line changed");
	custos_checkpoint_dispose(&d);
	custos_checkpoint_dispose(&c);
	free(text);
	return 0;
}
