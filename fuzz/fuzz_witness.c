/* fuzz_witness.c — libFuzzer target: add-checkpoint request parsing, its round trip, and the witness checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/merkle.h"
#include "custos/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define WITNESS_SKEY "PRIVATE+KEY+witness.example/w1+2abcfaf2+AX/h3E75CpgIcz5/tctRPQtGajS6i/iqbo7lGOdLLNcC"

static custos_signer *witness;
static custos_verifier *log_v;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_witness: %s (%s)\n", what, custos_error_last());
	abort();
}

/*
 * A request that parses formats back to the same bytes; add-checkpoint on
 * it, against an empty state and against a state at the request's old size
 * (so the consistency proof is checked), answers with a status from the
 * spec, and a cosignature exactly when it says OK.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_witness_request r;
	custos_witness_state st[2], next;
	char *out = NULL;
	int rc;
	if (!witness && (custos_signer_new(&witness, WITNESS_SKEY) || custos_verifier_new(&log_v, PETER_VKEY)))
		fail("fixed keys");
	rc = custos_witness_request_parse(&r, (const char *)data, size);
	if (rc) {
		if (rc != CUSTOS_EINVALID && rc != CUSTOS_ELIMIT)
			fail("unexpected error code");
		if (r.checkpoint || r.proof)
			fail("rejected request left data");
		return 0;
	}
	if (r.nproof > 63)
		fail("more than 63 proof lines accepted");
	if (custos_witness_request_format(&out, &r))
		fail("accepted request does not format");
	if (strlen(out) != size || memcmp(out, data, size) != 0)
		fail("format(parse(x)) differs from x");
	free(out);
	st[0].size = 0;
	custos_merkle_empty_root(&st[0].root);
	st[1].size = r.old_size;
	custos_merkle_leaf_hash(&st[1].root, "leaf 0", 6);
	for (int i = 0; i < 2; i++) {
		char *cosig = NULL;
		rc = custos_witness_add_checkpoint(&cosig, &next, &st[i], &r, "PeterNeumann", log_v, witness, 1);
		if (rc == CUSTOS_WITNESS_OK) {
			if (!cosig || strncmp(cosig, "\xe2\x80\x94 witness.example/w1 ", 23) != 0)
				fail("OK without a cosignature line");
		} else if (rc != CUSTOS_WITNESS_UNKNOWN_LOG && rc != CUSTOS_WITNESS_BAD_SIGNATURE &&
			   rc != CUSTOS_WITNESS_CONFLICT && rc != CUSTOS_WITNESS_BAD_PROOF &&
			   rc != CUSTOS_WITNESS_BAD_REQUEST) {
			fail("unexpected add-checkpoint status");
		} else if (cosig) {
			fail("a cosignature with a failure");
		}
		free(cosig);
	}
	custos_witness_request_dispose(&r);
	return 0;
}
