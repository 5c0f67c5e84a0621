/* custos/merkle.h — RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification. */
#ifndef CUSTOS_MERKLE_H
#define CUSTOS_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define CUSTOS_HASH_SIZE 32

typedef struct custos_hash {
	uint8_t b[CUSTOS_HASH_SIZE];
} custos_hash;

/* SHA-256(0x00 || data): the hash of a leaf. */
void custos_merkle_leaf_hash(custos_hash *out, const void *data, size_t len);
/* SHA-256(0x01 || left || right): the hash of an interior node. */
void custos_merkle_node_hash(custos_hash *out, const custos_hash *left, const custos_hash *right);
/* SHA-256 of nothing: the root of the empty tree. */
void custos_merkle_empty_root(custos_hash *out);

/*
 * Where proofs read stored hashes from: the hash of the complete subtree of
 * 2^level leaves starting at leaf index * 2^level (level 0: a leaf hash).
 * Only subtrees that are complete in the tree being read are ever asked for.
 * Returns 0 or a custos error code (and message).
 */
typedef int (*custos_hash_reader)(void *ctx, unsigned level, uint64_t index, custos_hash *out);

/*
 * The root of the tree of the first `size` leaves, from O(log size) stored
 * subtree hashes (the tree is split into its complete subtrees, largest first).
 */
int custos_merkle_root(custos_hash *out, uint64_t size, custos_hash_reader rd, void *ctx);

/*
 * Inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162
 * §2.1.3.1): *out is malloc'd, *n hashes, leaf sibling first. O(log size) reads.
 */
/*
 * The hashes of the ranges [begin, size) at the right edge of one tree
 * size: every proof in a tree whose size is not a power of two hashes some
 * of them again from their complete subtrees. A committed tree's never
 * change, so a caller proving many times in one (the store's handle) keeps
 * them here between proofs; zero it to start, it resets itself when the
 * size changes.
 */
typedef struct custos_merkle_edge {
	uint64_t size;
	unsigned n;
	uint64_t begin[64];
	custos_hash hash[64];
} custos_merkle_edge;

int custos_merkle_prove_inclusion(custos_hash **out, size_t *n, uint64_t index, uint64_t size, custos_hash_reader rd,
				  void *ctx);

/* Consistency proof between tree sizes old_size <= new_size (RFC 9162 §2.1.4.1). */
/* The same, with the right edge's hashes kept in `edge` (NULL: none kept) for a committed tree. */
int custos_merkle_prove_inclusion_edge(custos_hash **out, size_t *n, uint64_t index, uint64_t size,
				       custos_hash_reader rd, void *ctx, custos_merkle_edge *edge);
int custos_merkle_prove_consistency_edge(custos_hash **out, size_t *n, uint64_t old_size, uint64_t new_size,
					 custos_hash_reader rd, void *ctx, custos_merkle_edge *edge);
int custos_merkle_prove_consistency(custos_hash **out, size_t *n, uint64_t old_size, uint64_t new_size,
				    custos_hash_reader rd, void *ctx);

/* RFC 9162 §2.1.3.2: 0 if the proof shows leaf_hash at index in the tree with root; else CUSTOS_EINVALID. */
int custos_merkle_verify_inclusion(const custos_hash *leaf_hash, uint64_t index, uint64_t size,
				   const custos_hash *proof, size_t n, const custos_hash *root);

/* RFC 9162 §2.1.4.2: 0 if the proof shows the old tree is a prefix of the new; else CUSTOS_EINVALID. */
int custos_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const custos_hash *old_root,
				     const custos_hash *new_root, const custos_hash *proof, size_t n);

/*
 * An append-only builder that keeps only the right edge of the tree
 * (O(log n) hashes): each append returns the complete subtree hashes it
 * finished, for the caller to store, so that the store holds every complete
 * subtree hash and proofs need no pass over the log.
 */
typedef struct custos_merkle_builder {
	uint64_t size;
	custos_hash edge[64]; /* edge[l]: the pending complete subtree at level l, if bit l of size is set */
} custos_merkle_builder;

/* Starts from an empty tree, or from `size` leaves whose right edge is read through rd. */
int custos_merkle_builder_init(custos_merkle_builder *b, uint64_t size, custos_hash_reader rd, void *ctx);

/* A complete subtree the append finished: store it as (level, index, hash). */
typedef struct custos_merkle_node {
	unsigned level;
	uint64_t index;
	custos_hash hash;
} custos_merkle_node;

/*
 * Appends one leaf hash; writes to out[0..*n) the nodes it completed (the
 * leaf itself at level 0 first, then each parent it closed; at most 64).
 */
void custos_merkle_builder_append(custos_merkle_builder *b, const custos_hash *leaf, custos_merkle_node out[65],
				  size_t *n);

/* The current root (empty-tree hash when size is 0). */
void custos_merkle_builder_root(const custos_merkle_builder *b, custos_hash *out);

#endif
