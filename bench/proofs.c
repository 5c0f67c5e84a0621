/* proofs.c — benchmark: inclusion and consistency proofs at 1 M leaves, and tree rebuild speed against plain SHA-256. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/error.h"
#include "custos/merkle.h"

#include "bench.h"

#define LEAVES ((uint64_t)1 << 20)
#define NPROOFS 1000000

#define rnd bench_rand
#define now bench_now
static void die(const char *what)
{
	bench_die("bench/proofs", what);
}

/* Every complete subtree hash, one array per level: what the store keeps. */
static custos_hash *levels[21];

static int read_node(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	(void)ctx;
	*out = levels[level][index];
	return 0;
}

static void fill_leaf(uint8_t *p, size_t len, uint64_t i)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
	for (size_t j = 0; j < len; j += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + j, &x, len - j < 8 ? len - j : 8);
	}
}

/*
 * What `verify` does: every leaf hash from its bytes and every node through
 * the builder, against one SHA-256 over the same bytes; prints the ratio.
 */
static void rebuild(size_t leaf_len)
{
	uint8_t *data = malloc(LEAVES * leaf_len), digest[32];
	custos_merkle_builder b;
	custos_merkle_node out[65];
	custos_hash leaf, root;
	SHA256_CTX c;
	size_t n;
	double t0, t_tree, t_plain, mb = (double)(LEAVES * leaf_len) / 1e6;
	if (!data)
		die("out of memory");
	for (uint64_t i = 0; i < LEAVES; i++)
		fill_leaf(data + i * leaf_len, leaf_len, i);
	/* Best of three for each, interleaved, so both see the same machine. */
	t_tree = t_plain = 1e9;
	for (int round = 0; round < 3; round++) {
		t0 = now();
		SHA256_Init(&c);
		SHA256_Update(&c, data, LEAVES * leaf_len);
		SHA256_Final(digest, &c);
		if (now() - t0 < t_plain)
			t_plain = now() - t0;
		t0 = now();
		custos_merkle_builder_init(&b, 0, NULL, NULL);
		for (uint64_t i = 0; i < LEAVES; i++) {
			custos_merkle_leaf_hash(&leaf, data + i * leaf_len, leaf_len);
			custos_merkle_builder_append(&b, &leaf, out, &n);
		}
		custos_merkle_builder_root(&b, &root);
		if (now() - t0 < t_tree)
			t_tree = now() - t0;
	}
	printf("tree rebuild (%zu-byte leaves): %.0f MB/s = %.2f of plain SHA-256 at %.0f MB/s (target >= 0.5)\n",
	       leaf_len, mb / t_tree, t_plain / t_tree, mb / t_plain);
	free(data);
	(void)digest;
}

/* One prove-and-verify case, with the roots it needs computed ahead of the timing. */
typedef struct vcase {
	uint64_t size, index, old;
	custos_hash root, old_root;
} vcase;

int main(void)
{
	custos_merkle_builder b;
	custos_merkle_node out[65];
	custos_hash root, *proof;
	vcase *cases;
	size_t n, total = 0;
	double t0, t;
	uint64_t checks = 0;
	uint8_t(*leafdata)[64];

	for (unsigned l = 0; l <= 20; l++)
		if (!(levels[l] = malloc((LEAVES >> l) * sizeof(custos_hash))))
			die("out of memory");
	cases = malloc(NPROOFS / 10 * sizeof(*cases));
	leafdata = malloc(LEAVES * sizeof(*leafdata));
	if (!cases || !leafdata)
		die("out of memory");
	for (uint64_t i = 0; i < LEAVES; i++)
		fill_leaf(leafdata[i], sizeof(leafdata[i]), i);
	custos_merkle_builder_init(&b, 0, NULL, NULL);
	t0 = now();
	for (uint64_t i = 0; i < LEAVES; i++) {
		custos_hash leaf;
		custos_merkle_leaf_hash(&leaf, leafdata[i], sizeof(leafdata[i]));
		custos_merkle_builder_append(&b, &leaf, out, &n);
		for (size_t k = 0; k < n; k++)
			levels[out[k].level][out[k].index] = out[k].hash;
	}
	t = now() - t0;
	printf("builder: %.2f M appends/s (1,048,576 64-byte leaves, leaf hash and every node stored)\n",
	       (double)LEAVES / t / 1e6);
	free(leafdata);

	t0 = now();
	for (int i = 0; i < NPROOFS; i++) {
		uint64_t size = 1 + rnd() % LEAVES, index = rnd() % size;
		if (custos_merkle_prove_inclusion(&proof, &n, index, size, read_node, NULL))
			die("inclusion");
		total += n;
		free(proof);
	}
	t = now() - t0;
	printf("inclusion proof: %.2f µs (target < 10 µs; random sizes, %.1f hashes each)\n", t / NPROOFS * 1e6,
	       (double)total / NPROOFS);

	total = 0;
	t0 = now();
	for (int i = 0; i < NPROOFS; i++) {
		uint64_t size = 1 + rnd() % LEAVES, old = 1 + rnd() % size;
		if (custos_merkle_prove_consistency(&proof, &n, old, size, read_node, NULL))
			die("consistency");
		total += n;
		free(proof);
	}
	t = now() - t0;
	printf("consistency proof: %.2f µs (target < 10 µs; random sizes, %.1f hashes each)\n", t / NPROOFS * 1e6,
	       (double)total / NPROOFS);

	for (int i = 0; i < NPROOFS / 10; i++) {
		vcase *c = &cases[i];
		c->size = 1 + rnd() % LEAVES;
		c->index = rnd() % c->size;
		c->old = 1 + rnd() % c->size;
		if (custos_merkle_root(&c->root, c->size, read_node, NULL) ||
		    custos_merkle_root(&c->old_root, c->old, read_node, NULL))
			die("root");
	}
	t0 = now();
	for (int i = 0; i < NPROOFS / 10; i++) {
		const vcase *c = &cases[i];
		if (custos_merkle_prove_inclusion(&proof, &n, c->index, c->size, read_node, NULL))
			die("inclusion");
		if (custos_merkle_verify_inclusion(&levels[0][c->index], c->index, c->size, proof, n, &c->root))
			die("verify inclusion");
		free(proof);
		if (custos_merkle_prove_consistency(&proof, &n, c->old, c->size, read_node, NULL))
			die("consistency");
		if (custos_merkle_verify_consistency(c->old, c->size, &c->old_root, &c->root, proof, n))
			die("verify consistency");
		free(proof);
		checks += 2;
	}
	t = now() - t0;
	printf("prove + verify: %.2f µs per proof (%llu inclusion and consistency proofs, all verified)\n",
	       t / (double)checks * 1e6, (unsigned long long)checks);

	t0 = now();
	for (int i = 0; i < NPROOFS; i++)
		if (custos_merkle_root(&root, 1 + rnd() % LEAVES, read_node, NULL))
			die("root");
	t = now() - t0;
	printf("tree head: %.2f µs (random sizes)\n", t / NPROOFS * 1e6);

	/* A custos leaf record is about 170 bytes; larger leaves amortise the node hashes. */
	rebuild(170);
	rebuild(256);
	rebuild(1024);
	for (unsigned l = 0; l <= 20; l++)
		free(levels[l]);
	free(cases);
	return 0;
}
