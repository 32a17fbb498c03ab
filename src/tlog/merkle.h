/*
 * merkle.h - RFC 6962 / RFC 9162 Merkle trees: hashing, roots, inclusion and consistency
 * proofs (generation and verification), SHA-256 throughout.
 *
 * Terms. A tree of size n holds leaves 0..n-1. The node at (level, index) is the root of the
 * perfect subtree over leaves [index * 2^level, (index + 1) * 2^level); level 0 nodes are leaf
 * hashes. A node is *complete* in a tree of size n when its last leaf is below n; only complete
 * nodes are ever stored, and the hash of a complete node never changes as the log grows. The
 * root of a tree of any size is a fold of at most 63 complete nodes (one per set bit of n).
 *
 * Proof generation reads stored nodes through a *hash reader* (struct tlog_hash_reader): the
 * server backs it with tiles (tile.h: tlog_tile_reader), tests may back it with an array. The
 * proof functions ask for every node they need in one batch, then combine them.
 *
 * Edge cases (the project's rules, checked by the transparency-dev/merkle probes):
 *   - Tree sizes are at most TLOG_SIZE_MAX (2^63 - 1, so a size fits SQLite's signed 64-bit
 *     integers); a proof has at most TLOG_PROOF_MAX hashes.
 *   - The empty tree's root is SHA-256("") (RFC 6962 MTH({})); it has no inclusion proofs.
 *   - Consistency from size 0 is refused, for every new size including 0, by both the prover
 *     and the verifier (ERR_INVALID): every tree extends the empty tree, so such a proof says
 *     nothing, and a client holding no checkpoint simply trusts its first one.
 *   - Consistency between equal sizes (> 0) is the empty proof; it verifies exactly when the two
 *     roots are equal.
 *   - Inclusion needs index < size; a tree of size 1 proves its only leaf with the empty proof.
 *
 * Every function is thread safe (no global state); a hash reader is used only by the calling
 * thread for the duration of the call.
 */
#ifndef DISSENT_TLOG_MERKLE_H
#define DISSENT_TLOG_MERKLE_H

#include "crypto/hash.h"

#include <stddef.h>
#include <stdint.h>

#define TLOG_SIZE_MAX ((uint64_t)INT64_MAX) /* largest tree size accepted */
#define TLOG_PROOF_MAX 64                   /* most hashes in a proof */
#define TLOG_READ_MAX (2 * TLOG_PROOF_MAX)  /* most nodes in one hash reader batch */

/* A node of the tree: the perfect subtree over leaves [index << level, (index + 1) << level). */
struct tlog_node {
    unsigned level; /* 0 (a leaf hash) .. 62 */
    uint64_t index; /* position among the nodes of that level, from the left */
};

/*
 * struct tlog_hash_reader - where proof generation gets stored node hashes.
 *
 * read() fills @hashes[k] with the hash of @nodes[k] for every k < @count
 * (1 <= @count <= TLOG_READ_MAX). Every node asked for is complete in the tree being proved, so
 * the reader may serve it from any version of the log at least that large. It returns 0, or a
 * negative code from util/err.h (ERR_NOT_FOUND for a node it does not hold, ERR_DB, ERR_NOMEM,
 * ...) which the proof function returns unchanged; @hashes is then ignored.
 * read() must not call back into the function using it. @ctx is passed through untouched.
 */
struct tlog_hash_reader {
    int (*read)(void *ctx, const struct tlog_node *nodes, size_t count,
                uint8_t (*hashes)[HASH_SHA256_LEN]);
    void *ctx;
};

/** tlog_leaf_hash() - @out = SHA-256(0x00 || @data[0..@len)), the RFC 6962 leaf hash. */
void tlog_leaf_hash(uint8_t out[HASH_SHA256_LEN], const void *data, size_t len);

/** tlog_node_hash() - @out = SHA-256(0x01 || @left || @right); @out may alias either input. */
void tlog_node_hash(uint8_t out[HASH_SHA256_LEN], const uint8_t left[HASH_SHA256_LEN],
                    const uint8_t right[HASH_SHA256_LEN]);

/**
 * tlog_leaves_hash() - the Merkle tree hash (root) of the tree whose leaf hashes are
 * @leaves[0..@count), computed in O(@count) hashes and O(log @count) stack. @count 0 gives
 * SHA-256(""); @leaves may then be NULL. Used for tile hashes (256 leaves) and in tests.
 *
 * Returns 0, or ERR_INVALID when @count exceeds TLOG_SIZE_MAX.
 */
int tlog_leaves_hash(const uint8_t (*leaves)[HASH_SHA256_LEN], uint64_t count,
                     uint8_t out[HASH_SHA256_LEN]);

/**
 * tlog_tree_hash() - the root of the tree of @size leaves, from at most 63 stored nodes read
 * through @r (none for size 0, whose root is SHA-256("")).
 * @out: receives the root (zeroed on failure).
 *
 * Returns 0, ERR_INVALID (@size over TLOG_SIZE_MAX), or the reader's error.
 */
int tlog_tree_hash(uint64_t size, const struct tlog_hash_reader *r, uint8_t out[HASH_SHA256_LEN]);

/**
 * tlog_inclusion_prove() - the RFC 9162 inclusion proof (audit path) of leaf @index in the tree
 * of @size leaves: sibling hashes from the leaf's sibling up to the root's child.
 * @proof: caller's room for TLOG_PROOF_MAX hashes; receives the proof.
 * @len: receives the number of hashes (0 on failure).
 *
 * Returns 0, ERR_INVALID (@index >= @size, or @size over TLOG_SIZE_MAX), or the reader's error.
 */
int tlog_inclusion_prove(uint64_t size, uint64_t index, const struct tlog_hash_reader *r,
                         uint8_t (*proof)[HASH_SHA256_LEN], size_t *len);

/**
 * tlog_inclusion_verify() - check that @proof[0..@len) proves that the leaf hash @leaf is at
 * @index in the tree of @size leaves with root @root (RFC 9162 section 2.1.3.2).
 *
 * Returns 0 when it does; ERR_INVALID when the request cannot be valid (@index >= @size,
 * @size over TLOG_SIZE_MAX, @len over TLOG_PROOF_MAX or not the length the sizes imply);
 * ERR_CRYPTO when the proof does not lead to @root.
 */
__attribute__((warn_unused_result)) int
tlog_inclusion_verify(uint64_t size, uint64_t index, const uint8_t leaf[HASH_SHA256_LEN],
                      const uint8_t (*proof)[HASH_SHA256_LEN], size_t len,
                      const uint8_t root[HASH_SHA256_LEN]);

/**
 * tlog_consistency_prove() - the RFC 9162 consistency proof that the tree of @old_size leaves
 * is a prefix of the tree of @new_size leaves. Equal sizes give the empty proof.
 * @proof, @len: as for tlog_inclusion_prove().
 *
 * Returns 0, ERR_INVALID (@old_size 0, @old_size > @new_size, or a size over TLOG_SIZE_MAX), or
 * the reader's error.
 */
int tlog_consistency_prove(uint64_t old_size, uint64_t new_size, const struct tlog_hash_reader *r,
                           uint8_t (*proof)[HASH_SHA256_LEN], size_t *len);

/**
 * tlog_consistency_verify() - check that @proof[0..@len) proves that the tree of @old_size leaves
 * with root @old_root is a prefix of the tree of @new_size leaves with root @new_root
 * (RFC 9162 section 2.1.4.2; equal sizes: empty proof and equal roots).
 *
 * Returns 0 when it does; ERR_INVALID when the request cannot be valid (@old_size 0,
 * @old_size > @new_size, a size over TLOG_SIZE_MAX, a proof of the wrong length); ERR_CRYPTO when
 * the proof does not lead to both roots.
 */
__attribute__((warn_unused_result)) int tlog_consistency_verify(
    uint64_t old_size, uint64_t new_size, const uint8_t old_root[HASH_SHA256_LEN],
    const uint8_t new_root[HASH_SHA256_LEN], const uint8_t (*proof)[HASH_SHA256_LEN], size_t len);

#endif
