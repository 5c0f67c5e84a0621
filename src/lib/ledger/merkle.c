/* merkle.c — RFC 6962 / RFC 9162 Merkle tree: hashing, roots and proofs from stored subtrees, verification, builder. */

/*
 * The one-shot SHA256() of OpenSSL 3 fetches the algorithm on every call
 * (about 4x slower for a 65-byte node); the SHA256_CTX functions are
 * deprecated but remain the fastest path to the CPU's SHA extensions.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "custos/merkle.h"
#include "util.h"

void custos_merkle_leaf_hash(custos_hash *out, const void *data, size_t len)
{
	static const uint8_t prefix = 0x00;
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, &prefix, 1);
	if (len)
		SHA256_Update(&c, data, len);
	SHA256_Final(out->b, &c);
}

void custos_merkle_node_hash(custos_hash *out, const custos_hash *left, const custos_hash *right)
{
	uint8_t buf[1 + 2 * CUSTOS_HASH_SIZE];
	SHA256_CTX c;
	buf[0] = 0x01;
	memcpy(buf + 1, left->b, CUSTOS_HASH_SIZE);
	memcpy(buf + 1 + CUSTOS_HASH_SIZE, right->b, CUSTOS_HASH_SIZE);
	SHA256_Init(&c);
	SHA256_Update(&c, buf, sizeof(buf));
	SHA256_Final(out->b, &c);
}

void custos_merkle_empty_root(custos_hash *out)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Final(out->b, &c);
}

/* The largest power of two strictly below n (n >= 2), as its exponent. */
static unsigned split_level(uint64_t n)
{
	return 63u - (unsigned)__builtin_clzll(n - 1);
}

static int read_node(custos_hash_reader rd, void *ctx, unsigned level, uint64_t index, custos_hash *out)
{
	int rc = rd(ctx, level, index, out);
	if (rc)
		return custos_error_prefix(rc, "merkle: reading node (level %u, index %llu)", level,
					   (unsigned long long)index);
	return 0;
}

/*
 * MTH(D[begin:end]) for a range that the RFC 6962 recursion can produce:
 * begin is a multiple of the smallest power of two >= end - begin. The range
 * is the run of complete subtrees given by the bits of its length, largest
 * first; the root folds them from the right: node(c0, node(c1, ... ck)).
 * One read per set bit.
 */
static int range_hash_read(custos_hash *out, uint64_t begin, uint64_t end, custos_hash_reader rd, void *ctx)
{
	uint64_t n = end - begin, pos = end;
	int first = 1, rc;
	for (unsigned l = 0; l < 64 && (n >> l); l++) {
		custos_hash part;
		if (!((n >> l) & 1))
			continue;
		pos -= (uint64_t)1 << l;
		if ((rc = read_node(rd, ctx, l, pos >> l, &part)))
			return rc;
		if (first)
			*out = part;
		else
			custos_merkle_node_hash(out, &part, out);
		first = 0;
	}
	return 0;
}

/* The hash of [begin, end): from the caller's memo of the right edge when it ends there, else read and hashed. */
static int range_hash_memo(custos_hash *out, uint64_t begin, uint64_t end, custos_hash_reader rd, void *ctx,
			   custos_merkle_edge *edge)
{
	int rc;
	if (!edge || end != edge->size || end - begin <= 1 || !((end - begin) & (end - begin - 1)))
		return range_hash_read(out, begin, end, rd, ctx); /* a complete subtree is one node: nothing to keep */
	for (unsigned i = 0; i < edge->n; i++)
		if (edge->begin[i] == begin) {
			*out = edge->hash[i];
			return 0;
		}
	if ((rc = range_hash_read(out, begin, end, rd, ctx)))
		return rc;
	if (edge->n < sizeof(edge->begin) / sizeof(edge->begin[0])) {
		edge->begin[edge->n] = begin;
		edge->hash[edge->n++] = *out;
	}
	return 0;
}

int custos_merkle_root(custos_hash *out, uint64_t size, custos_hash_reader rd, void *ctx)
{
	if (size == 0) {
		custos_merkle_empty_root(out);
		return 0;
	}
	return range_hash_read(out, 0, size, rd, ctx);
}

/* Copies the first n hashes of stack[], in reverse order, into a malloc'd array (never NULL). */
static int emit_reversed(custos_hash **out, size_t *n, const custos_hash *stack, size_t count, const custos_hash *first)
{
	size_t total = count + (first != NULL), j = 0;
	custos_hash *v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return custos_error_set(CUSTOS_ENOMEM, "merkle: out of memory for a proof of %zu hashes", total);
	if (first)
		v[j++] = *first;
	for (size_t i = count; i > 0; i--)
		v[j++] = stack[i - 1];
	*out = v;
	*n = total;
	return 0;
}

/*
 * PATH(m, D[0:n]) of RFC 6962 §2.1.1, walked from the root down. At each
 * level the sibling of the side holding the leaf is pushed; the left sibling
 * is always a complete subtree (one read), the right one may be the
 * incomplete right edge (one read per set bit of its size, at most once: a
 * step to the left enters a complete subtree). The pushes come out root
 * first, so the proof is the stack reversed.
 */
int custos_merkle_prove_inclusion(custos_hash **out, size_t *n, uint64_t index, uint64_t size, custos_hash_reader rd,
				  void *ctx)
{
	return custos_merkle_prove_inclusion_edge(out, n, index, size, rd, ctx, NULL);
}

/* The edge memo is for one tree size: another size starts it afresh. */
static void edge_for(custos_merkle_edge *edge, uint64_t size)
{
	if (edge && edge->size != size) {
		edge->size = size;
		edge->n = 0;
	}
}

int custos_merkle_prove_inclusion_edge(custos_hash **out, size_t *n, uint64_t index, uint64_t size,
				       custos_hash_reader rd, void *ctx, custos_merkle_edge *edge)
{
	custos_hash stack[64];
	size_t depth = 0;
	uint64_t begin = 0, end = size;
	int rc;
	*out = NULL;
	*n = 0;
	if (index >= size)
		return custos_error_set(CUSTOS_EINVALID, "merkle: leaf index %llu is not in a tree of size %llu",
					(unsigned long long)index, (unsigned long long)size);
	edge_for(edge, size);
	while (end - begin > 1) {
		unsigned l = split_level(end - begin);
		uint64_t mid = begin + ((uint64_t)1 << l);
		if (index < mid) {
			if ((rc = range_hash_memo(&stack[depth], mid, end, rd, ctx, edge)))
				return rc;
			end = mid;
		} else {
			if ((rc = read_node(rd, ctx, l, begin >> l, &stack[depth])))
				return rc;
			begin = mid;
		}
		depth++;
	}
	return emit_reversed(out, n, stack, depth, NULL);
}

/*
 * PROOF(m, D[0:n]) of RFC 6962 §2.1.2 as a loop over SUBPROOF(m, D[b:e],
 * flag): each level pushes the hash that the recursion appends after its
 * inner call, so the proof is the base case's hash (if any) followed by the
 * pushes in reverse order.
 */
int custos_merkle_prove_consistency(custos_hash **out, size_t *n, uint64_t old_size, uint64_t new_size,
				    custos_hash_reader rd, void *ctx)
{
	return custos_merkle_prove_consistency_edge(out, n, old_size, new_size, rd, ctx, NULL);
}

int custos_merkle_prove_consistency_edge(custos_hash **out, size_t *n, uint64_t old_size, uint64_t new_size,
					 custos_hash_reader rd, void *ctx, custos_merkle_edge *edge)
{
	custos_hash stack[64], base;
	size_t depth = 0;
	uint64_t begin = 0, end = new_size, m = old_size;
	int whole = 1, rc;
	*out = NULL;
	*n = 0;
	if (old_size > new_size)
		return custos_error_set(CUSTOS_EINVALID, "merkle: old tree size %llu is larger than new size %llu",
					(unsigned long long)old_size, (unsigned long long)new_size);
	if (old_size == 0 || old_size == new_size)
		return emit_reversed(out, n, NULL, 0, NULL);
	edge_for(edge, new_size);
	while (m != end - begin) {
		unsigned l = split_level(end - begin);
		uint64_t k = (uint64_t)1 << l, mid = begin + k;
		if (m <= k) {
			if ((rc = range_hash_memo(&stack[depth], mid, end, rd, ctx, edge)))
				return rc;
			end = mid;
		} else {
			if ((rc = read_node(rd, ctx, l, begin >> l, &stack[depth])))
				return rc;
			m -= k;
			begin = mid;
			whole = 0;
		}
		depth++;
	}
	if (whole)
		return emit_reversed(out, n, stack, depth, NULL);
	if ((rc = range_hash_memo(&base, begin, end, rd, ctx, edge)))
		return rc;
	return emit_reversed(out, n, stack, depth, &base);
}

static int bad_proof(const char *what)
{
	return custos_error_set(CUSTOS_EINVALID, "merkle: %s", what);
}

/* RFC 9162 §2.1.3.2, step for step. */
int custos_merkle_verify_inclusion(const custos_hash *leaf_hash, uint64_t index, uint64_t size,
				   const custos_hash *proof, size_t n, const custos_hash *root)
{
	uint64_t fn = index, sn;
	custos_hash r = *leaf_hash;
	if (index >= size)
		return bad_proof("inclusion proof: leaf index is not below the tree size");
	sn = size - 1;
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return bad_proof("inclusion proof has too many hashes");
		if ((fn & 1) || fn == sn) {
			custos_merkle_node_hash(&r, &proof[i], &r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			custos_merkle_node_hash(&r, &r, &proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return bad_proof("inclusion proof has too few hashes");
	if (memcmp(r.b, root->b, CUSTOS_HASH_SIZE) != 0)
		return bad_proof("inclusion proof does not lead to the root");
	return 0;
}

/*
 * RFC 9162 §2.1.4.2. When old_size is a power of two the old root is the
 * proof's implicit first element (the algorithm's "prepend first_hash");
 * it is read from old_root instead of copying the proof. Sizes 0 and
 * old == new are decided before: their proofs are empty.
 */
int custos_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const custos_hash *old_root,
				     const custos_hash *new_root, const custos_hash *proof, size_t n)
{
	uint64_t fn, sn;
	custos_hash fr, sr;
	size_t i;
	int pow2;
	if (old_size > new_size)
		return bad_proof("consistency proof: old tree size is larger than the new");
	if (old_size == 0 || old_size == new_size) {
		custos_hash empty;
		if (n != 0)
			return bad_proof("consistency proof should be empty for these sizes");
		if (old_size == 0) {
			custos_merkle_empty_root(&empty);
			if (memcmp(old_root->b, empty.b, CUSTOS_HASH_SIZE) != 0)
				return bad_proof("consistency proof: old root is not the empty tree's");
			return 0;
		}
		if (memcmp(old_root->b, new_root->b, CUSTOS_HASH_SIZE) != 0)
			return bad_proof("consistency proof: same size, different roots");
		return 0;
	}
	if (n == 0)
		return bad_proof("consistency proof is empty");
	pow2 = (old_size & (old_size - 1)) == 0;
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	fr = sr = pow2 ? *old_root : proof[0];
	for (i = pow2 ? 0 : 1; i < n; i++) {
		const custos_hash *c = &proof[i];
		if (sn == 0)
			return bad_proof("consistency proof has too many hashes");
		if ((fn & 1) || fn == sn) {
			custos_merkle_node_hash(&fr, c, &fr);
			custos_merkle_node_hash(&sr, c, &sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			custos_merkle_node_hash(&sr, &sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return bad_proof("consistency proof has too few hashes");
	if (memcmp(fr.b, old_root->b, CUSTOS_HASH_SIZE) != 0)
		return bad_proof("consistency proof does not lead to the old root");
	if (memcmp(sr.b, new_root->b, CUSTOS_HASH_SIZE) != 0)
		return bad_proof("consistency proof does not lead to the new root");
	return 0;
}

/*
 * The right edge of a tree of `size` leaves is one complete subtree per set
 * bit l of size: the last 2^l leaves before the larger ones, i.e. index
 * (size >> l) - 1 at level l.
 */
int custos_merkle_builder_init(custos_merkle_builder *b, uint64_t size, custos_hash_reader rd, void *ctx)
{
	int rc;
	memset(b, 0, sizeof(*b));
	for (unsigned l = 0; l < 64; l++) {
		if (!((size >> l) & 1))
			continue;
		if ((rc = read_node(rd, ctx, l, (size >> l) - 1, &b->edge[l])))
			return rc;
	}
	b->size = size;
	return 0;
}

void custos_merkle_builder_append(custos_merkle_builder *b, const custos_hash *leaf, custos_merkle_node out[65],
				  size_t *n)
{
	uint64_t old = b->size, size = old + 1;
	custos_hash h = *leaf;
	unsigned l = 0;
	size_t k = 0;
	out[k].level = 0;
	out[k].index = old;
	out[k++].hash = h;
	while (l < 64 && ((old >> l) & 1)) {
		custos_merkle_node_hash(&h, &b->edge[l], &h);
		l++;
		out[k].level = l;
		out[k].index = (size >> l) - 1;
		out[k++].hash = h;
	}
	if (l < 64)
		b->edge[l] = h;
	b->size = size;
	*n = k;
}

void custos_merkle_builder_root(const custos_merkle_builder *b, custos_hash *out)
{
	int first = 1;
	if (b->size == 0) {
		custos_merkle_empty_root(out);
		return;
	}
	for (unsigned l = 0; l < 64; l++) {
		if (!((b->size >> l) & 1))
			continue;
		if (first)
			*out = b->edge[l];
		else
			custos_merkle_node_hash(out, &b->edge[l], out);
		first = 0;
	}
}
