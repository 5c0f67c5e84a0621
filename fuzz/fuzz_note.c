/* fuzz_note.c — libFuzzer target: the signed-note parser, its re-serialisation, and verification with fixed keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static custos_signer *peter;
static custos_verifier *peter_v, *peter_cosig;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_note: %s (%s)\n", what, custos_error_last());
	abort();
}

static void setup(void)
{
	if (peter)
		return;
	if (custos_signer_new(&peter, PETER_SKEY) || custos_verifier_new(&peter_v, PETER_VKEY) ||
	    custos_cosignature_verifier_new(&peter_cosig, PETER_VKEY))
		fail("fixed keys");
}

/*
 * A rejected note leaves nothing behind and a message. An accepted one
 * re-serialises to exactly the input (every line is kept, base64 is
 * canonical), verifies or not without crashing, and its text, signed
 * again, parses back to the same text and verifies.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_note n, again;
	char *out = NULL, *signed_msg = NULL;
	uint64_t ts;
	int rc;
	setup();
	rc = custos_note_parse(&n, (const char *)data, size);
	if (rc) {
		if (rc != CUSTOS_EINVALID && rc != CUSTOS_ELIMIT)
			fail("unexpected error code");
		if (n.text || n.sigs || n.nsigs)
			fail("rejected note left data");
		if (!custos_error_last()[0])
			fail("rejected note without a message");
		return 0;
	}
	if (n.nsigs == 0 || n.nsigs > 100 || n.text_len == 0 || n.text[n.text_len - 1] != '\n')
		fail("accepted note breaks its invariants");
	if (custos_note_format(&out, &n))
		fail("accepted note does not format");
	if (strlen(out) != size || memcmp(out, data, size) != 0)
		fail("parse then format is not the identity");
	rc = custos_note_verify(&n, peter_v);
	if (rc != 0 && rc != CUSTOS_EINVALID)
		fail("verify: unexpected error code");
	rc = custos_cosignature_verify(&n, peter_cosig, &ts);
	if (rc != 0 && rc != CUSTOS_EINVALID)
		fail("cosignature verify: unexpected error code");
	if (custos_note_sign(&signed_msg, n.text, n.text_len, &peter, 1) == 0) {
		if (custos_note_parse(&again, signed_msg, strlen(signed_msg)))
			fail("a signed note does not parse");
		if (again.text_len != n.text_len || memcmp(again.text, n.text, n.text_len) != 0)
			fail("a signed note's text changed");
		if (custos_note_verify(&again, peter_v))
			fail("a signed note does not verify");
		custos_note_dispose(&again);
	}
	free(signed_msg);
	free(out);
	custos_note_dispose(&n);
	return 0;
}
