/* merkle_ref.h — the direct recursive definitions of RFC 6962 §2.1 (MTH, PATH, SUBPROOF, PROOF), for tests to check against. */
#ifndef CUSTOS_TEST_MERKLE_REF_H
#define CUSTOS_TEST_MERKLE_REF_H

/*
 * Included by one test file each, after cmocka and custos/merkle.h, with
 * REF_MAX (the most leaves a tree may have) defined. ref_reset(leaves) points
 * the definitions at a tree's leaf hashes and forgets every memoised subtree.
 */
#ifndef REF_MAX
#error "define REF_MAX before including merkle_ref.h"
#endif

static const custos_hash *ref_leaves;
static custos_hash (*ref_memo)[REF_MAX + 1];
static uint8_t (*ref_known)[REF_MAX + 1];

static inline void ref_reset(const custos_hash *leaves)
{
	ref_leaves = leaves;
	if (!ref_memo) {
		ref_memo = calloc(REF_MAX + 1, sizeof(*ref_memo));
		ref_known = calloc(REF_MAX + 1, sizeof(*ref_known));
		assert_non_null(ref_memo);
		assert_non_null(ref_known);
	}
	memset(ref_known, 0, (REF_MAX + 1) * sizeof(*ref_known));
}

static inline uint64_t largest_pow2_below(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH(D[b:e]), memoised (it is a pure function of the range). */
static inline custos_hash ref_mth(uint64_t b, uint64_t e)
{
	custos_hash h;
	if (e - b == 0) {
		custos_merkle_empty_root(&h);
		return h;
	}
	if (e - b == 1)
		return ref_leaves[b];
	if (ref_known[b][e])
		return ref_memo[b][e];
	uint64_t k = largest_pow2_below(e - b);
	custos_hash l = ref_mth(b, b + k), r = ref_mth(b + k, e);
	custos_merkle_node_hash(&h, &l, &r);
	ref_memo[b][e] = h;
	ref_known[b][e] = 1;
	return h;
}

typedef struct plist {
	custos_hash h[80];
	size_t n;
} plist;

static inline void push(plist *p, custos_hash h)
{
	assert_true(p->n < 80);
	p->h[p->n++] = h;
}

/* PATH(m, D[b:e]) */
static inline void ref_path(plist *p, uint64_t m, uint64_t b, uint64_t e)
{
	if (e - b <= 1)
		return;
	uint64_t k = largest_pow2_below(e - b);
	if (m - b < k) {
		ref_path(p, m, b, b + k);
		push(p, ref_mth(b + k, e));
	} else {
		ref_path(p, m, b + k, e);
		push(p, ref_mth(b, b + k));
	}
}

/* SUBPROOF(m, D[b:e], flag) */
static inline void ref_subproof(plist *p, uint64_t m, uint64_t b, uint64_t e, int flag)
{
	uint64_t n = e - b;
	if (m == n) {
		if (!flag)
			push(p, ref_mth(b, e));
		return;
	}
	uint64_t k = largest_pow2_below(n);
	if (m <= k) {
		ref_subproof(p, m, b, b + k, flag);
		push(p, ref_mth(b + k, e));
	} else {
		ref_subproof(p, m - k, b + k, e, 0);
		push(p, ref_mth(b, b + k));
	}
}

/* PROOF(m, D[0:n]); empty for m == 0 and m == n. */
static inline void ref_proof(plist *p, uint64_t m, uint64_t n)
{
	p->n = 0;
	if (m > 0 && m < n)
		ref_subproof(p, m, 0, n, 1);
}

#endif
