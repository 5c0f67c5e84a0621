/* fuzz_registry.c — libFuzzer target: a registry line decodes safely, and its encoding is a fixed point. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Decodes the bytes as one line. When they decode, encode(decode(encode(p)))
 * must equal encode(p) byte for byte (the export -> import -> export
 * guarantee); anything else aborts.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_party p, q;
	char *a = NULL, *b = NULL;

	if (custos_party_decode(&p, (const char *)data, size))
		return 0;
	if (custos_party_encode(&a, &p)) {
		fprintf(stderr, "encode failed after decode: %s\n", custos_error_last());
		abort();
	}
	if (custos_party_decode(&q, a, strlen(a))) {
		fprintf(stderr, "canonical line does not decode: %s\n%s\n", custos_error_last(), a);
		abort();
	}
	if (custos_party_encode(&b, &q) || strcmp(a, b) != 0) {
		fprintf(stderr, "not a fixed point:\n%s\n%s\n", a, b ? b : custos_error_last());
		abort();
	}
	if (q.nselectors != p.nselectors || strcmp(q.id, p.id) != 0 || q.category != p.category ||
	    q.valid_from != p.valid_from || q.valid_to != p.valid_to) {
		fprintf(stderr, "decoded fields differ after a round trip:\n%s\n", a);
		abort();
	}
	free(a);
	free(b);
	custos_party_dispose(&p);
	custos_party_dispose(&q);
	return 0;
}
