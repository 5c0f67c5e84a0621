/* fuzz_proof.c — libFuzzer target: the proof verifiers never crash and accept no proof but the true one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custos/error.h"
#include "custos/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LEAVES 64
#define MAX_PROOF 80

/* Every complete subtree hash of a real tree of 64 leaves, from the builder. */
static custos_hash nodes[7][LEAVES];
static custos_hash roots[LEAVES + 1];
static int ready;

static int read_node(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	uint64_t limit = *(const uint64_t *)ctx;
	if (level >= 7 || ((index + 1) << level) > limit) {
		fprintf(stderr, "fuzz_proof: asked for node (%u, %llu) of a tree of %llu\n", level,
			(unsigned long long)index, (unsigned long long)limit);
		abort();
	}
	*out = nodes[level][index];
	return 0;
}

static void setup(void)
{
	custos_merkle_builder b;
	custos_merkle_builder_init(&b, 0, NULL, NULL);
	custos_merkle_builder_root(&b, &roots[0]);
	for (unsigned i = 0; i < LEAVES; i++) {
		const uint8_t leaf[3] = {(uint8_t)i, 0xa5, (uint8_t)(i * 13)};
		custos_merkle_node out[65];
		custos_hash h;
		size_t n;
		custos_merkle_leaf_hash(&h, leaf, 1 + i % 3);
		custos_merkle_builder_append(&b, &h, out, &n);
		for (size_t k = 0; k < n; k++)
			nodes[out[k].level][out[k].index] = out[k].hash;
		custos_merkle_builder_root(&b, &roots[i + 1]);
	}
	ready = 1;
}

static void fail(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "fuzz_proof: %s (%llu, %llu)\n", what, (unsigned long long)a, (unsigned long long)b);
	abort();
}

/* The true proof for (a, b): inclusion of leaf a in size b, or consistency from size a to b. */
static size_t true_proof(custos_hash out[MAX_PROOF], int consistency, uint64_t a, uint64_t b)
{
	custos_hash *p;
	size_t n;
	uint64_t limit = b;
	int rc = consistency ? custos_merkle_prove_consistency(&p, &n, a, b, read_node, &limit)
			     : custos_merkle_prove_inclusion(&p, &n, a, b, read_node, &limit);
	if (rc)
		fail(custos_error_last(), a, b);
	if (n > MAX_PROOF)
		fail("proof too long", a, b);
	memcpy(out, p, n * sizeof(*p));
	free(p);
	return n;
}

static int verify(int consistency, uint64_t a, uint64_t b, const custos_hash *proof, size_t n)
{
	custos_hash leaf;
	if (consistency)
		return custos_merkle_verify_consistency(a, b, &roots[a], &roots[b], proof, n);
	leaf = nodes[0][a < LEAVES ? a : 0];
	return custos_merkle_verify_inclusion(&leaf, a, b, proof, n, &roots[b]);
}

/*
 * Input: flags, size, index (or old size), claimed index, claimed size, then
 * bytes. The candidate proof is built from the true proof of (index, size)
 * by the mode in flags (raw bytes, XOR mask, reshuffling, or unchanged) and
 * verified for the claimed arguments, with the real tree's leaf and roots
 * for them. It may be accepted only if it is byte for byte the true proof of
 * the claimed arguments.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_hash base[MAX_PROOF], cand[MAX_PROOF + 2], want[MAX_PROOF];
	size_t nbase, ncand = 0, nwant;
	const uint8_t *rest;
	size_t nrest;
	int consistency, mode, rc;
	uint64_t s, a, cs, ca;
	if (!ready)
		setup();
	if (size < 5)
		return 0;
	consistency = data[0] & 1;
	mode = (data[0] >> 1) & 3;
	s = (uint64_t)data[1] % LEAVES + 1;
	a = consistency ? (uint64_t)data[2] % (s + 1) : (uint64_t)data[2] % s;
	if (data[0] & 16) { /* anything, even an index past the size or an old size past the new */
		cs = (uint64_t)data[4] % LEAVES + 1;
		ca = (uint64_t)data[3] % (LEAVES + 1);
	} else if (data[0] & 8) {
		cs = (uint64_t)data[4] % LEAVES + 1;
		ca = consistency ? (uint64_t)data[3] % (cs + 1) : (uint64_t)data[3] % cs;
	} else {
		cs = s;
		ca = a;
	}
	rest = data + 5;
	nrest = size - 5;

	nbase = true_proof(base, consistency, a, s);
	if (verify(consistency, a, s, base, nbase) != 0)
		fail("the true proof does not verify", a, s);

	switch (mode) {
	case 0: /* raw hashes from the input */
		ncand = nrest / CUSTOS_HASH_SIZE;
		if (ncand > MAX_PROOF)
			ncand = MAX_PROOF;
		memcpy(cand, rest, ncand * CUSTOS_HASH_SIZE);
		break;
	case 1: /* the true proof XOR the input */
		ncand = nbase;
		memcpy(cand, base, nbase * sizeof(*base));
		for (size_t i = 0; i < nrest && i < nbase * CUSTOS_HASH_SIZE; i++)
			cand[i / CUSTOS_HASH_SIZE].b[i % CUSTOS_HASH_SIZE] ^= rest[i];
		break;
	case 2: /* elements dropped, repeated, swapped or taken from the roots, by the input's bytes */
		for (size_t i = 0; i < nrest && ncand < MAX_PROOF; i++) {
			uint8_t op = rest[i];
			if (op < 0xc0)
				cand[ncand++] = base[op % (nbase ? nbase : 1)];
			else if (op < 0xe0)
				cand[ncand++] = roots[op % (LEAVES + 1)];
			else
				cand[ncand++] = nodes[op % 7][0];
			if (!nbase && op < 0xc0)
				ncand--;
		}
		break;
	default: /* unchanged: only the claimed arguments differ */
		ncand = nbase;
		memcpy(cand, base, nbase * sizeof(*base));
		break;
	}

	rc = verify(consistency, ca, cs, cand, ncand);
	if (rc != 0 && rc != CUSTOS_EINVALID)
		fail("unexpected error code", ca, cs);
	if (rc == 0) {
		if (consistency ? ca > cs : ca >= cs)
			fail("accepted a proof for impossible arguments", ca, cs);
		nwant = true_proof(want, consistency, ca, cs);
		if (nwant != ncand || (ncand && memcmp(want, cand, ncand * sizeof(*want)) != 0))
			fail(consistency ? "accepted a wrong consistency proof" : "accepted a wrong inclusion proof", ca,
			     cs);
	}
	return 0;
}
