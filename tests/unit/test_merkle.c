/* test_merkle.c — known answers and exhaustive checks for the Merkle tree, its proofs, the builder and tlog tiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "custos/error.h"
#include "custos/merkle.h"
#include "custos/tiles.h"

/* ---- helpers ---------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static custos_hash H(const char *hex)
{
	custos_hash h;
	assert_int_equal(strlen(hex), 64);
	for (int i = 0; i < 32; i++)
		h.b[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return h;
}

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return n;
}

static void assert_hash_equal(const custos_hash *a, const custos_hash *b)
{
	assert_memory_equal(a->b, b->b, CUSTOS_HASH_SIZE);
}

static int hash_eq(const custos_hash *a, const custos_hash *b)
{
	return memcmp(a->b, b->b, CUSTOS_HASH_SIZE) == 0;
}

/*
 * An in-memory store of every complete subtree hash, filled from the
 * builder's output. `limit` is the size of the tree being read: the reader
 * fails the test if asked for a subtree that is not complete in it, and
 * counts its reads.
 */
typedef struct table {
	custos_hash *lv[64];
	uint64_t cap[64];
	uint64_t cnt[64];
	uint64_t limit;
	unsigned reads;
	custos_merkle_builder b;
} table;

static void table_init(table *t, uint64_t max)
{
	memset(t, 0, sizeof(*t));
	for (unsigned l = 0; l < 64 && (max >> l); l++) {
		t->cap[l] = max >> l;
		t->lv[l] = calloc(t->cap[l], sizeof(custos_hash));
		assert_non_null(t->lv[l]);
	}
	assert_int_equal(custos_merkle_builder_init(&t->b, 0, NULL, NULL), 0);
}

static void table_free(table *t)
{
	for (unsigned l = 0; l < 64; l++)
		free(t->lv[l]);
}

/* Appends a leaf through the builder; checks the nodes it emits come in order and exactly once. */
static void table_append(table *t, const custos_hash *leaf)
{
	custos_merkle_node nodes[65];
	size_t n;
	custos_merkle_builder_append(&t->b, leaf, nodes, &n);
	assert_true(n >= 1);
	assert_int_equal(nodes[0].level, 0);
	for (size_t i = 0; i < n; i++) {
		unsigned l = nodes[i].level;
		assert_int_equal(l, i);
		assert_true(nodes[i].index < t->cap[l]);
		assert_int_equal(nodes[i].index, t->cnt[l]);
		t->lv[l][nodes[i].index] = nodes[i].hash;
		t->cnt[l]++;
	}
}

static int table_read(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	table *t = ctx;
	t->reads++;
	if (level >= 64 || ((index + 1) << level) > t->limit || index >= t->cnt[level]) {
		fail_msg("reader asked for an incomplete or unknown subtree (level %u, index %llu, tree size %llu)",
			 level, (unsigned long long)index, (unsigned long long)t->limit);
		return CUSTOS_ENOTFOUND;
	}
	*out = t->lv[level][index];
	return 0;
}

/* ---- the direct recursive definitions of RFC 6962 §2.1 ------------------------ */

#define REF_MAX 600
#include "merkle_ref.h"

/* ---- known answers ---------------------------------------------------------------- */

static const char *const ct_leaves[8] = {"",	     "00",	 "10",		     "2021",
					 "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};

static const char *const ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_table(table *t, custos_hash leaves[8])
{
	table_init(t, 8);
	for (int i = 0; i < 8; i++) {
		uint8_t buf[16];
		size_t n = unhex(buf, ct_leaves[i]);
		custos_merkle_leaf_hash(&leaves[i], buf, n);
		table_append(t, &leaves[i]);
	}
}

static void test_hash_vectors(void **state)
{
	custos_hash h, want;
	(void)state;
	custos_merkle_empty_root(&h);
	want = H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_hash_equal(&h, &want);
	custos_merkle_leaf_hash(&h, "", 0);
	want = H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	assert_hash_equal(&h, &want);
	custos_merkle_leaf_hash(&h, "L123456", 7);
	want = H("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
	assert_hash_equal(&h, &want);
}

static void test_ct_roots(void **state)
{
	table t;
	custos_hash leaves[8], root, want;
	custos_merkle_builder b;
	(void)state;
	custos_merkle_builder_root(&(custos_merkle_builder){0}, &root);
	want = H(ct_roots[0]);
	assert_hash_equal(&root, &want);
	assert_int_equal(custos_merkle_root(&root, 0, table_read, NULL), 0);
	assert_hash_equal(&root, &want);

	table_init(&t, 8);
	for (int i = 0; i < 8; i++) {
		uint8_t buf[16];
		size_t n = unhex(buf, ct_leaves[i]);
		custos_merkle_leaf_hash(&leaves[i], buf, n);
		table_append(&t, &leaves[i]);
		want = H(ct_roots[i + 1]);
		custos_merkle_builder_root(&t.b, &root);
		assert_hash_equal(&root, &want);
	}
	for (uint64_t n = 1; n <= 8; n++) {
		want = H(ct_roots[n]);
		t.limit = n;
		assert_int_equal(custos_merkle_root(&root, n, table_read, &t), 0);
		assert_hash_equal(&root, &want);
		/* A builder resumed from the stored right edge has the same root and continues alike. */
		assert_int_equal(custos_merkle_builder_init(&b, n, table_read, &t), 0);
		custos_merkle_builder_root(&b, &root);
		assert_hash_equal(&root, &want);
		for (uint64_t i = n; i < 8; i++) {
			custos_merkle_node nodes[65];
			size_t k;
			custos_merkle_builder_append(&b, &leaves[i], nodes, &k);
			for (size_t j = 0; j < k; j++)
				assert_hash_equal(&nodes[j].hash, &t.lv[nodes[j].level][nodes[j].index]);
		}
		custos_merkle_builder_root(&b, &root);
		want = H(ct_roots[8]);
		assert_hash_equal(&root, &want);
	}
	table_free(&t);
}

static void test_ct_inclusion(void **state)
{
	static const struct {
		uint64_t index, size;
		size_t n;
		const char *proof[3];
	} v[] = {
		{0, 1, 0, {NULL}},
		{0, 2, 1, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
		{1, 2, 1, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
		{2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{1,
		 5,
		 3,
		 {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{0,
		 8,
		 3,
		 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{5,
		 8,
		 3,
		 {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	};
	table t;
	custos_hash leaves[8];
	(void)state;
	ct_table(&t, leaves);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		custos_hash *proof, root = H(ct_roots[v[i].size]);
		size_t n;
		t.limit = v[i].size;
		assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, v[i].index, v[i].size, table_read, &t), 0);
		assert_int_equal(n, v[i].n);
		for (size_t j = 0; j < n; j++) {
			custos_hash want = H(v[i].proof[j]);
			assert_hash_equal(&proof[j], &want);
		}
		assert_int_equal(custos_merkle_verify_inclusion(&leaves[v[i].index], v[i].index, v[i].size, proof, n, &root),
				 0);
		free(proof);
	}
	table_free(&t);
}

static void test_ct_consistency(void **state)
{
	static const struct {
		uint64_t old_size, new_size;
		size_t n;
		const char *proof[3];
	} v[] = {
		{1, 1, 0, {NULL}},
		{1,
		 8,
		 3,
		 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6,
		 8,
		 3,
		 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2,
		 5,
		 2,
		 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	};
	table t;
	custos_hash leaves[8];
	(void)state;
	ct_table(&t, leaves);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		custos_hash *proof, r1 = H(ct_roots[v[i].old_size]), r2 = H(ct_roots[v[i].new_size]);
		size_t n;
		t.limit = v[i].new_size;
		assert_int_equal(
			custos_merkle_prove_consistency(&proof, &n, v[i].old_size, v[i].new_size, table_read, &t), 0);
		assert_int_equal(n, v[i].n);
		for (size_t j = 0; j < n; j++) {
			custos_hash want = H(v[i].proof[j]);
			assert_hash_equal(&proof[j], &want);
		}
		assert_int_equal(custos_merkle_verify_consistency(v[i].old_size, v[i].new_size, &r1, &r2, proof, n), 0);
		free(proof);
	}
	table_free(&t);
}

/*
 * Roots of larger trees whose leaf i holds the two bytes i & 0xff, i >> 8
 * (transparency-dev/merkle compact range golden values, hex of their base64).
 */
static void test_golden_roots(void **state)
{
	static const struct {
		uint64_t size;
		const char *root;
	} v[] = {
		{10, "56358c3d260db42b8236517f44b9d0cba1dcc1293a0888a97f19be85eb6d03ee"},
		{15, "8f84ae9589a8705bb175eca9d76c5708880ae8f7a405cc730088f8cdb4333442"},
		{16, "73ee1473a04230e65ffefdcd64ad64a935097be6c1a05b4e84ff8fdd26b22911"},
		{100, "75487d8581fcf29d023281e476bd700b6b336e170b01739e8d6a48348a282946"},
		{255, "4a676cb8a52a8a8777457da3c85d8ce899db744e10b93c308a97c0a30238fe2d"},
		{256, "a85234b7fb59d4c74e620c8fa4fcc7162655c3cea4a12717cbdab7154e5c6ac0"},
		{1000, "457ae06fcc47779e58e3c15b7e8b49c026d5f362b1db62d97c46e604602fc254"},
		{4095, "71644575084f7239fd5b205713faf57f4e1e8f1226e65be0e340c4a510554b4c"},
		{4096, "eae53fa617c78359ff1a4b184fa4cef5a37c11ab8c0822519777482b41c3b363"},
		{10000, "55971abfae45f61687551937c2b7b66b116805744d79487fd5df5de4541fc488"},
		{65535, "88fb9560984fe92104e20505a7ca9b69f776ad8bfd61308362a0310a3f0774b3"},
	};
	table t;
	size_t next = 0;
	(void)state;
	table_init(&t, 65535);
	for (uint64_t i = 0; i < 65535; i++) {
		uint8_t data[2] = {(uint8_t)(i & 0xff), (uint8_t)(i >> 8)};
		custos_hash leaf, root, want;
		custos_merkle_leaf_hash(&leaf, data, 2);
		table_append(&t, &leaf);
		if (next < sizeof(v) / sizeof(v[0]) && v[next].size == i + 1) {
			want = H(v[next].root);
			custos_merkle_builder_root(&t.b, &root);
			assert_hash_equal(&root, &want);
			next++;
		}
	}
	assert_int_equal(next, sizeof(v) / sizeof(v[0]));
	t.limit = 65535;
	for (size_t i = 0; i < next; i++) {
		custos_hash root, want = H(v[i].root);
		t.reads = 0;
		assert_int_equal(custos_merkle_root(&root, v[i].size, table_read, &t), 0);
		assert_hash_equal(&root, &want);
		assert_true(t.reads <= 16);
	}
	table_free(&t);
}

/* ---- every size and index up to 300, against the recursive definitions ------------------ */

#define EX_MAX 300

static unsigned log2_ceil(uint64_t n)
{
	unsigned l = 0;
	while (((uint64_t)1 << l) < n)
		l++;
	return l;
}

/* A proof that verifies must be exactly the proof the definition gives for these arguments. */
static void check_inclusion_oracle(table *t, const custos_hash *leaves, const custos_hash *proof, size_t n,
				   uint64_t index, uint64_t size, const custos_hash *leaf)
{
	plist want;
	custos_hash root;
	int ok;
	if (size == 0 || size > REF_MAX) {
		assert_int_equal(custos_merkle_verify_inclusion(leaf, index, size, proof, n, leaf), CUSTOS_EINVALID);
		return;
	}
	root = ref_mth(0, size);
	ok = custos_merkle_verify_inclusion(leaf, index, size, proof, n, &root) == 0;
	want.n = 0;
	if (index < size)
		ref_path(&want, index, 0, size);
	if (index >= size || !hash_eq(leaf, &leaves[index]) || want.n != n ||
	    (n && memcmp(want.h, proof, n * sizeof(*proof)) != 0))
		assert_false(ok);
	else
		assert_true(ok);
}

static void check_consistency_oracle(const custos_hash *proof, size_t n, uint64_t m, uint64_t size,
				     const custos_hash *r1, const custos_hash *r2)
{
	plist want;
	int ok = custos_merkle_verify_consistency(m, size, r1, r2, proof, n) == 0;
	if (m > size || size > REF_MAX) {
		assert_false(ok);
		return;
	}
	ref_proof(&want, m, size);
	custos_hash t1 = ref_mth(0, m), t2 = ref_mth(0, size);
	if (!hash_eq(r1, &t1) || !hash_eq(r2, &t2) || want.n != n ||
	    (n && memcmp(want.h, proof, n * sizeof(*proof)) != 0))
		assert_false(ok);
	else
		assert_true(ok);
}

static void test_exhaustive(void **state)
{
	static custos_hash leaves[REF_MAX], mut[82];
	table t;
	(void)state;
	table_init(&t, REF_MAX);
	for (uint64_t i = 0; i < REF_MAX; i++) {
		uint8_t data[10] = {(uint8_t)i, (uint8_t)(i >> 8)};
		for (int j = 2; j < 10; j++)
			data[j] = (uint8_t)(i * 7 + (uint64_t)j);
		custos_merkle_leaf_hash(&leaves[i], data, 2 + i % 9);
		table_append(&t, &leaves[i]);
	}
	ref_reset(leaves);
	/* Every stored node is the MTH of its range. */
	for (unsigned l = 0; l < 64 && t.cap[l]; l++)
		for (uint64_t i = 0; i < t.cnt[l]; i++) {
			custos_hash want = ref_mth(i << l, (i + 1) << l);
			assert_hash_equal(&t.lv[l][i], &want);
		}
	for (uint64_t size = 1; size <= EX_MAX; size++) {
		custos_hash root, want = ref_mth(0, size);
		unsigned bound = 2 * log2_ceil(size) + 2;
		t.limit = size;
		assert_int_equal(custos_merkle_root(&root, size, table_read, &t), 0);
		assert_hash_equal(&root, &want);

		for (uint64_t index = 0; index < size; index++) {
			custos_hash *proof;
			size_t n;
			plist ref;
			ref.n = 0;
			ref_path(&ref, index, 0, size);
			t.reads = 0;
			assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, index, size, table_read, &t), 0);
			assert_true(t.reads <= bound);
			assert_int_equal(n, ref.n);
			if (n)
				assert_memory_equal(proof, ref.h, n * sizeof(*proof));
			assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, proof, n, &want), 0);

			/* Each hash with one bit flipped. */
			for (size_t j = 0; j < n; j++) {
				memcpy(mut, proof, n * sizeof(*proof));
				mut[j].b[(j * 5 + index) % 32] ^= (uint8_t)(1u << (j % 8));
				assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, mut, n, &want),
						 CUSTOS_EINVALID);
			}
			/* Truncated, extended at either end, a hash inserted. */
			if (n)
				assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, proof, n - 1, &want),
						 CUSTOS_EINVALID);
			memcpy(mut, proof, n * sizeof(*proof));
			mut[n] = want;
			assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, mut, n + 1, &want),
					 CUSTOS_EINVALID);
			mut[0] = want;
			memcpy(mut + 1, proof, n * sizeof(*proof));
			assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, mut, n + 1, &want),
					 CUSTOS_EINVALID);
			/* Wrong leaf, wrong root. */
			if (size > 1) {
				assert_int_equal(custos_merkle_verify_inclusion(&leaves[(index + 1) % size], index, size, proof,
										n, &want),
						 CUSTOS_EINVALID);
				custos_hash other = ref_mth(0, size - 1);
				assert_int_equal(custos_merkle_verify_inclusion(&leaves[index], index, size, proof, n, &other),
						 CUSTOS_EINVALID);
			}
			/* Wrong index or size: accepted only where the proof is the right one for them. */
			const uint64_t idx[] = {index - 1, index + 1, index ^ 1, index ^ 2, size, UINT64_MAX};
			for (size_t j = 0; j < sizeof(idx) / sizeof(idx[0]); j++)
				check_inclusion_oracle(&t, leaves, proof, n, idx[j], size,
						       idx[j] < REF_MAX ? &leaves[idx[j]] : &leaves[index]);
			const uint64_t sz[] = {size - 1, size + 1, size * 2, size / 2, 0, UINT64_MAX};
			for (size_t j = 0; j < sizeof(sz) / sizeof(sz[0]); j++)
				check_inclusion_oracle(&t, leaves, proof, n, index, sz[j], &leaves[index]);
			free(proof);
		}

		for (uint64_t m = 0; m <= size; m++) {
			custos_hash *proof, r1 = ref_mth(0, m);
			size_t n;
			plist ref;
			ref_proof(&ref, m, size);
			t.reads = 0;
			assert_int_equal(custos_merkle_prove_consistency(&proof, &n, m, size, table_read, &t), 0);
			assert_true(t.reads <= bound + 1);
			assert_int_equal(n, ref.n);
			if (n)
				assert_memory_equal(proof, ref.h, n * sizeof(*proof));
			assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &want, proof, n), 0);

			for (size_t j = 0; j < n; j++) {
				memcpy(mut, proof, n * sizeof(*proof));
				mut[j].b[(j * 3 + m) % 32] ^= (uint8_t)(0x80u >> (j % 8));
				assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &want, mut, n), CUSTOS_EINVALID);
			}
			if (n)
				assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &want, proof, n - 1),
						 CUSTOS_EINVALID);
			memcpy(mut, proof, n * sizeof(*proof));
			mut[n] = want;
			assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &want, mut, n + 1), CUSTOS_EINVALID);
			mut[0] = r1;
			memcpy(mut + 1, proof, n * sizeof(*proof));
			assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &want, mut, n + 1), CUSTOS_EINVALID);
			/* Swapped or wrong roots (any tree is consistent with the empty one). */
			if (m > 0 && m < size) {
				assert_int_equal(custos_merkle_verify_consistency(m, size, &want, &r1, proof, n), CUSTOS_EINVALID);
				custos_hash other = ref_mth(0, size - 1);
				if (size - 1 != m)
					assert_int_equal(custos_merkle_verify_consistency(m, size, &r1, &other, proof, n),
							 CUSTOS_EINVALID);
			}
			/* Other sizes, with their true roots: accepted only if the proof is theirs. */
			const uint64_t ms[] = {m - 1, m + 1, m * 2, m / 2, size + 1};
			for (size_t j = 0; j < sizeof(ms) / sizeof(ms[0]); j++)
				if (ms[j] <= REF_MAX) {
					custos_hash a = ref_mth(0, ms[j]);
					check_consistency_oracle(proof, n, ms[j], size, &a, &want);
				} else {
					check_consistency_oracle(proof, n, ms[j], size, &r1, &want);
				}
			const uint64_t ns[] = {size - 1, size + 1, size * 2, m};
			for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
				if (ns[j] > REF_MAX)
					continue;
				custos_hash b2 = ref_mth(0, ns[j]);
				check_consistency_oracle(proof, n, m, ns[j], &r1, &b2);
			}
			free(proof);
		}
	}
	table_free(&t);
}

/*
 * The right edge's memo (custos_merkle_edge) changes no proof: every
 * inclusion and consistency proof of every size up to EX_MAX, made with one
 * memo carried from proof to proof (and from size to size, which resets
 * it), equals the proof made without, and the memo saves reads.
 */
static void test_edge_memo(void **state)
{
	static custos_hash leaves[REF_MAX];
	custos_merkle_edge edge;
	table t;
	unsigned long with = 0, without = 0;
	(void)state;
	memset(&edge, 0, sizeof(edge));
	table_init(&t, REF_MAX);
	for (uint64_t i = 0; i < REF_MAX; i++) {
		uint8_t data[3] = {(uint8_t)i, (uint8_t)(i >> 8), 7};
		custos_merkle_leaf_hash(&leaves[i], data, sizeof(data));
		table_append(&t, &leaves[i]);
	}
	for (uint64_t size = 1; size <= EX_MAX; size++) {
		t.limit = size;
		for (int pass = 0; pass < 2; pass++) /* the second pass finds the memo filled */
			for (uint64_t i = 0; i < size; i++) {
				custos_hash *a, *b;
				size_t na, nb;
				t.reads = 0;
				assert_int_equal(custos_merkle_prove_inclusion(&a, &na, i, size, table_read, &t), 0);
				without += t.reads;
				t.reads = 0;
				assert_int_equal(custos_merkle_prove_inclusion_edge(&b, &nb, i, size, table_read, &t, &edge), 0);
				with += t.reads;
				assert_int_equal(na, nb);
				if (na)
					assert_memory_equal(a, b, na * sizeof(*a));
				free(a);
				free(b);
				assert_int_equal(custos_merkle_prove_consistency(&a, &na, i + 1, size, table_read, &t), 0);
				assert_int_equal(custos_merkle_prove_consistency_edge(&b, &nb, i + 1, size, table_read, &t, &edge),
						 0);
				assert_int_equal(na, nb);
				if (na)
					assert_memory_equal(a, b, na * sizeof(*a));
				free(a);
				free(b);
			}
	}
	assert_true(with < without);
	table_free(&t);
}

static void test_bad_arguments(void **state)
{
	table t;
	custos_hash leaves[8], *proof = NULL, root;
	size_t n = 99;
	(void)state;
	ct_table(&t, leaves);
	t.limit = 8;
	assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, 8, 8, table_read, &t), CUSTOS_EINVALID);
	assert_null(proof);
	assert_int_equal(n, 0);
	assert_true(strstr(custos_error_last(), "leaf index 8") != NULL);
	assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, 0, 0, table_read, &t), CUSTOS_EINVALID);
	assert_int_equal(custos_merkle_prove_consistency(&proof, &n, 5, 4, table_read, &t), CUSTOS_EINVALID);
	assert_null(proof);
	root = H(ct_roots[4]);
	assert_int_equal(custos_merkle_verify_consistency(5, 4, &root, &root, NULL, 0), CUSTOS_EINVALID);
	assert_int_equal(custos_merkle_verify_inclusion(&leaves[0], 0, 0, NULL, 0, &root), CUSTOS_EINVALID);
	/* Size 0: only the empty root, only an empty proof. */
	custos_hash empty = H(ct_roots[0]);
	assert_int_equal(custos_merkle_verify_consistency(0, 4, &empty, &root, NULL, 0), 0);
	assert_int_equal(custos_merkle_verify_consistency(0, 4, &root, &root, NULL, 0), CUSTOS_EINVALID);
	assert_int_equal(custos_merkle_verify_consistency(0, 4, &empty, &root, &root, 1), CUSTOS_EINVALID);
	assert_int_equal(custos_merkle_verify_consistency(0, 0, &empty, &empty, NULL, 0), 0);
	assert_int_equal(custos_merkle_verify_consistency(4, 4, &root, &root, NULL, 0), 0);
	assert_int_equal(custos_merkle_verify_consistency(4, 4, &root, &empty, NULL, 0), CUSTOS_EINVALID);
	table_free(&t);
}

static int failing_read(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	(void)ctx;
	(void)level;
	(void)index;
	(void)out;
	return CUSTOS_ENOTFOUND;
}

static void test_reader_errors(void **state)
{
	custos_hash *proof = NULL, root;
	custos_merkle_builder b;
	size_t n;
	(void)state;
	assert_int_equal(custos_merkle_root(&root, 5, failing_read, NULL), CUSTOS_ENOTFOUND);
	assert_true(strstr(custos_error_last(), "level 0, index 4") != NULL);
	assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, 1, 5, failing_read, NULL), CUSTOS_ENOTFOUND);
	assert_null(proof);
	assert_int_equal(custos_merkle_prove_consistency(&proof, &n, 3, 5, failing_read, NULL), CUSTOS_ENOTFOUND);
	assert_null(proof);
	assert_int_equal(custos_merkle_builder_init(&b, 5, failing_read, NULL), CUSTOS_ENOTFOUND);
}

/*
 * A reader over a huge virtual tree whose leaves all have the same hash, so
 * that the complete subtree at level l is the same P(l) everywhere and the
 * tree is consistent without storing it.
 */
static int virtual_read(void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	unsigned *reads = ctx;
	(void)index;
	(*reads)++;
	custos_merkle_leaf_hash(out, "same", 4);
	for (unsigned l = 0; l < level; l++)
		custos_merkle_node_hash(out, out, out);
	return 0;
}

/* Proofs near 2^63 leaves stay O(log n) and verify against the root from the same reader. */
static void test_huge_tree(void **state)
{
	const uint64_t size = ((uint64_t)1 << 63) + 12345, index = size - 3, old = size - 77777;
	custos_hash *proof, root, old_root, leaf;
	unsigned reads = 0;
	size_t n;
	(void)state;
	assert_int_equal(custos_merkle_root(&root, size, virtual_read, &reads), 0);
	assert_int_equal(custos_merkle_root(&old_root, old, virtual_read, &reads), 0);
	virtual_read(&reads, 0, index, &leaf);
	reads = 0;
	assert_int_equal(custos_merkle_prove_inclusion(&proof, &n, index, size, virtual_read, &reads), 0);
	assert_true(reads <= 130);
	assert_int_equal(custos_merkle_verify_inclusion(&leaf, index, size, proof, n, &root), 0);
	free(proof);
	reads = 0;
	assert_int_equal(custos_merkle_prove_consistency(&proof, &n, old, size, virtual_read, &reads), 0);
	assert_true(reads <= 130);
	assert_int_equal(custos_merkle_verify_consistency(old, size, &old_root, &root, proof, n), 0);
	free(proof);
}

/* ---- tiles ------------------------------------------------------------------------ */

static void test_tile_paths(void **state)
{
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *want;
	} v[] = {
		{0, 1234067, 256, "tile/0/x001/x234/067"},
		{1, 0, 7, "tile/1/000.p/7"},
		{0, 0, 256, "tile/0/000"},
		{2, 999, 256, "tile/2/999"},
		{0, 1000, 256, "tile/0/x001/000"},
		{3, 1000001, 255, "tile/3/x001/x000/001.p/255"},
		{CUSTOS_TILE_ENTRIES, 1234067, 256, "tile/entries/x001/x234/067"},
		{CUSTOS_TILE_ENTRIES, 0, 5, "tile/entries/000.p/5"},
		{0, UINT64_MAX, 1, "tile/0/x018/x446/x744/x073/x709/x551/615.p/1"},
	};
	char out[128];
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(custos_tile_path(out, sizeof(out), v[i].level, v[i].index, v[i].width), 0);
		assert_string_equal(out, v[i].want);
	}
	assert_int_equal(custos_tile_path(out, sizeof(out), 0, 1, 0), CUSTOS_EINVALID);
	assert_int_equal(custos_tile_path(out, sizeof(out), 0, 1, 257), CUSTOS_EINVALID);
	assert_int_equal(custos_tile_path(out, sizeof(out), -2, 1, 256), CUSTOS_EINVALID);
	assert_int_equal(custos_tile_path(out, sizeof(out), 64, 1, 256), CUSTOS_EINVALID);
	assert_int_equal(custos_tile_path(out, 10, 0, 1, 256), CUSTOS_ELIMIT);
	assert_int_equal(custos_tile_path(out, 11, 0, 1, 256), 0); /* "tile/0/001" and its NUL */
	assert_string_equal(out, "tile/0/001");
}

/* Entry i: i % 41 bytes, each (i + j) & 0xff. */
static uint8_t entry_buf[64];
static int entry_read(void *ctx, uint64_t index, const uint8_t **data, size_t *len)
{
	(void)ctx;
	*len = (size_t)(index % 41);
	for (size_t j = 0; j < *len; j++)
		entry_buf[j] = (uint8_t)(index + j);
	*data = entry_buf;
	return 0;
}

static void entry_leaf(custos_hash *out, uint64_t index)
{
	const uint8_t *data;
	size_t len;
	entry_read(NULL, index, &data, &len);
	custos_merkle_leaf_hash(out, data, len);
}

static uint8_t *slurp(const char *dir, const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	uint8_t *buf = malloc(1 << 20);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (!f) {
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Counts files under path and fails on any leftover temporary file. */
static unsigned count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;
	if (!d)
		return 1;
	while ((e = readdir(d))) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		assert_null(strstr(e->d_name, ".tmp"));
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		n += count_files(sub);
	}
	closedir(d);
	return n;
}

static void check_tiles(uint64_t size)
{
	char dir[] = "/tmp/custos-tiles-XXXXXX", rel[256];
	const char *cp = "example.org/log\n1000\nAAAA\n\n\xe2\x80\x94 example.org/log abcd\n";
	table t;
	custos_merkle_builder b;
	custos_hash root, again;
	unsigned files = 0;
	assert_non_null(mkdtemp(dir));
	table_init(&t, size);
	for (uint64_t i = 0; i < size; i++) {
		custos_hash leaf;
		entry_leaf(&leaf, i);
		table_append(&t, &leaf);
	}
	t.limit = size;
	assert_int_equal(custos_tiles_write(dir, size, table_read, &t, entry_read, NULL, cp), 0);

	/* Hash tiles: level L, tile N, position i holds stored node (8L, 256N + i). */
	for (unsigned level = 0; (size >> (8 * level)) > 0; level++) {
		uint64_t count = size >> (8 * level);
		for (uint64_t n = 0; n * 256 < count; n++) {
			unsigned w = count - n * 256 >= 256 ? 256 : (unsigned)(count - n * 256);
			size_t len;
			uint8_t *data;
			assert_int_equal(custos_tile_path(rel, sizeof(rel), (int)level, n, w), 0);
			data = slurp(dir, rel, &len);
			assert_non_null(data);
			assert_int_equal(len, (size_t)w * 32);
			assert_memory_equal(data, t.lv[8 * level] + n * 256, len);
			free(data);
			files++;
		}
	}
	/* Rebuilding the tree from the level-0 tiles alone gives the root. */
	assert_int_equal(custos_merkle_builder_init(&b, 0, NULL, NULL), 0);
	for (uint64_t n = 0; n * 256 < size; n++) {
		unsigned w = size - n * 256 >= 256 ? 256 : (unsigned)(size - n * 256);
		size_t len;
		uint8_t *data;
		custos_tile_path(rel, sizeof(rel), 0, n, w);
		data = slurp(dir, rel, &len);
		assert_non_null(data);
		for (unsigned i = 0; i < w; i++) {
			custos_merkle_node nodes[65];
			size_t k;
			custos_hash h;
			memcpy(h.b, data + 32 * i, 32);
			custos_merkle_builder_append(&b, &h, nodes, &k);
		}
		free(data);
	}
	custos_merkle_builder_root(&b, &root);
	assert_int_equal(custos_merkle_root(&again, size, table_read, &t), 0);
	assert_hash_equal(&root, &again);

	/* Entry bundles: 2-byte big-endian lengths, then the bytes. */
	for (uint64_t n = 0; n * 256 < size; n++) {
		unsigned w = size - n * 256 >= 256 ? 256 : (unsigned)(size - n * 256);
		size_t len, off = 0;
		uint8_t *data;
		assert_int_equal(custos_tile_path(rel, sizeof(rel), CUSTOS_TILE_ENTRIES, n, w), 0);
		data = slurp(dir, rel, &len);
		assert_non_null(data);
		for (unsigned i = 0; i < w; i++) {
			const uint8_t *want;
			size_t wlen, got;
			entry_read(NULL, n * 256 + i, &want, &wlen);
			assert_true(off + 2 <= len);
			got = (size_t)data[off] << 8 | data[off + 1];
			assert_int_equal(got, wlen);
			assert_true(off + 2 + got <= len);
			assert_memory_equal(data + off + 2, want, wlen);
			off += 2 + got;
		}
		assert_int_equal(off, len);
		free(data);
		files++;
	}
	{
		size_t len;
		uint8_t *data = slurp(dir, "checkpoint", &len);
		assert_non_null(data);
		assert_int_equal(len, strlen(cp));
		assert_memory_equal(data, cp, len);
		free(data);
		files++;
	}
	/* Nothing else was written, no temporary file is left, and a rewrite changes nothing. */
	assert_int_equal(count_files(dir), files);
	{
		struct stat before, after;
		char path[4096];
		assert_int_equal(custos_tile_path(rel, sizeof(rel), 0, 0, size >= 256 ? 256 : (unsigned)size), 0);
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		assert_int_equal(stat(path, &before), 0);
		assert_int_equal(custos_tiles_write(dir, size, table_read, &t, entry_read, NULL, cp), 0);
		assert_int_equal(stat(path, &after), 0);
		assert_int_equal(before.st_ino, after.st_ino);
		assert_int_equal(count_files(dir), files);
	}
	table_free(&t);
	remove_tree(dir);
}

static void test_tiles_1000(void **state)
{
	(void)state;
	check_tiles(1000);
}

static void test_tiles_70000(void **state)
{
	(void)state;
	check_tiles(70000);
}

static void test_tiles_small_and_errors(void **state)
{
	char dir[] = "/tmp/custos-tiles-XXXXXX";
	table t;
	(void)state;
	assert_non_null(mkdtemp(dir));
	table_init(&t, 3);
	for (uint64_t i = 0; i < 3; i++) {
		custos_hash leaf;
		entry_leaf(&leaf, i);
		table_append(&t, &leaf);
	}
	t.limit = 3;
	/* No entries reader and no checkpoint: hash tiles only. */
	assert_int_equal(custos_tiles_write(dir, 3, table_read, &t, NULL, NULL, NULL), 0);
	assert_int_equal(count_files(dir), 1);
	/* An empty tree writes only its checkpoint. */
	remove_tree(dir);
	assert_int_equal(custos_tiles_write(dir, 0, table_read, &t, entry_read, NULL, "cp\n"), 0);
	assert_int_equal(count_files(dir), 1);
	/* A reader's failure is passed on. */
	assert_int_equal(custos_tiles_write(dir, 3, failing_read, NULL, NULL, NULL, NULL), CUSTOS_ENOTFOUND);
	assert_true(strstr(custos_error_last(), "tiles: reading node") != NULL);
	table_free(&t);
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_ct_roots),
		cmocka_unit_test(test_ct_inclusion),
		cmocka_unit_test(test_ct_consistency),
		cmocka_unit_test(test_golden_roots),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_edge_memo),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_huge_tree),
		cmocka_unit_test(test_tile_paths),
		cmocka_unit_test(test_tiles_1000),
		cmocka_unit_test(test_tiles_70000),
		cmocka_unit_test(test_tiles_small_and_errors),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(ref_memo);
	free(ref_known);
	return rc;
}
