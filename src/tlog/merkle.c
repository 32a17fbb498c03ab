/*
 * merkle.c - RFC 6962 hashing and RFC 9162 proofs.
 *
 * Proof generation works on leaf ranges: every hash in a proof is the Merkle tree hash of a
 * range [lo, hi) of leaves that starts on a multiple of a power of two at least hi - lo, so
 * the range splits into at most 63 complete nodes (one per set bit of hi - lo) whose right fold
 * is the range's hash. A proof is first planned as ranges, the nodes of all ranges are read in
 * one batch, then each range is folded.
 */
#include "tlog/merkle.h"

#include "crypto/hash.h"
#include "crypto/sha.h"
#include "util/err.h"

#include <stdbool.h>
#include <string.h>

/* A range of leaves [lo, hi) whose hash is one proof element. */
struct range {
    uint64_t lo, hi;
};

void tlog_leaf_hash(uint8_t out[HASH_SHA256_LEN], const void *data, size_t len)
{
    static const uint8_t prefix = 0x00;
    const struct sha256_part parts[2] = {{&prefix, 1}, {data, len}};

    sha256_gather(out, parts, 2);
}

void tlog_node_hash(uint8_t out[HASH_SHA256_LEN], const uint8_t left[HASH_SHA256_LEN],
                    const uint8_t right[HASH_SHA256_LEN])
{
    /* One contiguous buffer: a single hash call is measurably faster than three updates. */
    uint8_t buf[1 + 2 * HASH_SHA256_LEN];

    buf[0] = 0x01;
    memcpy(buf + 1, left, HASH_SHA256_LEN);
    memcpy(buf + 1 + HASH_SHA256_LEN, right, HASH_SHA256_LEN);
    hash_sha256(out, buf, sizeof(buf));
}

/* The largest power of two strictly below @n (@n >= 2): where RFC 6962 splits a tree. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* Number of bits needed to write @x (0 for 0). */
static unsigned bit_len(uint64_t x)
{
    return x == 0 ? 0 : 64 - (unsigned)__builtin_clzll(x);
}

/*
 * Append to @out the complete nodes covering @rg, left to right; returns how many (at most 63).
 * @rg.lo must be a multiple of every power of two not above @rg.hi - @rg.lo.
 */
static size_t range_nodes(struct range rg, struct tlog_node *out)
{
    uint64_t pos = rg.lo, len = rg.hi - rg.lo;
    size_t n = 0;

    for (int b = 63; b >= 0; b--) {
        if ((len >> b) & 1) {
            out[n].level = (unsigned)b;
            out[n].index = pos >> b;
            n++;
            pos += (uint64_t)1 << b;
        }
    }
    return n;
}

/* @out = the right fold of @hashes[0..@n), @n >= 1: the hash of the range they cover. */
static void fold_right(const uint8_t (*hashes)[HASH_SHA256_LEN], size_t n,
                       uint8_t out[HASH_SHA256_LEN])
{
    uint8_t h[HASH_SHA256_LEN];

    memcpy(h, hashes[n - 1], HASH_SHA256_LEN);
    for (size_t i = n - 1; i-- > 0;)
        tlog_node_hash(h, hashes[i], h);
    memcpy(out, h, HASH_SHA256_LEN);
}

/*
 * Read the nodes of @ranges[0..@n) in one batch and fold each range into @out[i].
 * At most one range of a proof is not a single node, so the batch stays within TLOG_READ_MAX.
 */
static int ranges_hash(const struct range *ranges, size_t n, const struct tlog_hash_reader *r,
                       uint8_t (*out)[HASH_SHA256_LEN])
{
    struct tlog_node nodes[TLOG_READ_MAX + 64];
    uint8_t hashes[TLOG_READ_MAX + 64][HASH_SHA256_LEN];
    size_t start[TLOG_PROOF_MAX + 1], total = 0;
    int rc = 0;

    if (n > TLOG_PROOF_MAX)
        return ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        start[i] = total;
        total += range_nodes(ranges[i], nodes + total);
        if (total > TLOG_READ_MAX)
            return ERR_INTERNAL;
    }
    start[n] = total;
    if (total == 0)
        return 0;
    rc = r->read(r->ctx, nodes, total, hashes);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        fold_right(hashes + start[i], start[i + 1] - start[i], out[i]);
out:
    return rc;
}

int tlog_leaves_hash(const uint8_t (*leaves)[HASH_SHA256_LEN], uint64_t count,
                     uint8_t out[HASH_SHA256_LEN])
{
    /* stack[d] holds the root of a perfect subtree; sizes strictly decrease up the stack */
    uint8_t stack[64][HASH_SHA256_LEN];
    size_t depth = 0;

    if (count > TLOG_SIZE_MAX) {
        memset(out, 0, HASH_SHA256_LEN);
        return ERR_INVALID;
    }
    if (count == 0) {
        hash_sha256(out, "", 0);
        return 0;
    }
    for (uint64_t i = 0; i < count; i++) {
        memcpy(stack[depth++], leaves[i], HASH_SHA256_LEN);
        /* each trailing 1 bit of i closes one perfect subtree */
        for (uint64_t j = i; j & 1; j >>= 1) {
            depth--;
            tlog_node_hash(stack[depth - 1], stack[depth - 1], stack[depth]);
        }
    }
    fold_right((const uint8_t(*)[HASH_SHA256_LEN])stack, depth, out);
    return 0;
}

int tlog_tree_hash(uint64_t size, const struct tlog_hash_reader *r, uint8_t out[HASH_SHA256_LEN])
{
    struct range all = {0, size};
    int rc = 0;

    if (size > TLOG_SIZE_MAX) {
        rc = ERR_INVALID;
        goto out;
    }
    if (size == 0) {
        hash_sha256(out, "", 0);
        return 0;
    }
    rc = ranges_hash(&all, 1, r, (uint8_t(*)[HASH_SHA256_LEN])out);
out:
    if (rc != 0)
        memset(out, 0, HASH_SHA256_LEN);
    return rc;
}

/* Reverse @ranges[0..@n) in place: plans are built from the root down, proofs go bottom up. */
static void ranges_reverse(struct range *ranges, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        struct range t = ranges[i];

        ranges[i] = ranges[n - 1 - i];
        ranges[n - 1 - i] = t;
    }
}

int tlog_inclusion_prove(uint64_t size, uint64_t index, const struct tlog_hash_reader *r,
                         uint8_t (*proof)[HASH_SHA256_LEN], size_t *len)
{
    struct range plan[TLOG_PROOF_MAX];
    uint64_t lo = 0, hi = size;
    size_t n = 0;
    int rc = 0;

    *len = 0;
    if (size > TLOG_SIZE_MAX || index >= size)
        return ERR_INVALID;
    /* RFC 6962 PATH(m, D[lo:hi]): descend towards the leaf, recording the other side */
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);

        if (index < lo + k) {
            plan[n++] = (struct range){lo + k, hi};
            hi = lo + k;
        } else {
            plan[n++] = (struct range){lo, lo + k};
            lo += k;
        }
    }
    ranges_reverse(plan, n);
    rc = ranges_hash(plan, n, r, proof);
    if (rc == 0)
        *len = n;
    return rc;
}

int tlog_consistency_prove(uint64_t old_size, uint64_t new_size, const struct tlog_hash_reader *r,
                           uint8_t (*proof)[HASH_SHA256_LEN], size_t *len)
{
    struct range plan[TLOG_PROOF_MAX];
    uint64_t lo = 0, hi = new_size;
    bool whole = true; /* RFC 6962's b: the window is still the old tree's own subtree */
    size_t n = 0;
    int rc = 0;

    *len = 0;
    if (old_size == 0 || old_size > new_size || new_size > TLOG_SIZE_MAX)
        return ERR_INVALID;
    /* RFC 6962 SUBPROOF(m, D[lo:hi], b), with the old size kept absolute: lo < old <= hi */
    for (;;) {
        uint64_t k;

        if (old_size == hi) {
            if (!whole)
                plan[n++] = (struct range){lo, hi};
            break;
        }
        k = split_point(hi - lo);
        if (old_size <= lo + k) {
            plan[n++] = (struct range){lo + k, hi};
            hi = lo + k;
        } else {
            plan[n++] = (struct range){lo, lo + k};
            lo += k;
            whole = false;
        }
    }
    ranges_reverse(plan, n);
    rc = ranges_hash(plan, n, r, proof);
    if (rc == 0)
        *len = n;
    return rc;
}

int tlog_inclusion_verify(uint64_t size, uint64_t index, const uint8_t leaf[HASH_SHA256_LEN],
                          const uint8_t (*proof)[HASH_SHA256_LEN], size_t len,
                          const uint8_t root[HASH_SHA256_LEN])
{
    uint8_t h[HASH_SHA256_LEN];
    uint64_t fn = index, sn;
    unsigned inner;

    if (size > TLOG_SIZE_MAX || index >= size || len > TLOG_PROOF_MAX)
        return ERR_INVALID;
    sn = size - 1;
    /* the path has one hash per level below the point where index and size-1 part, plus one
       per left sibling above it */
    inner = bit_len(index ^ sn);
    if (len != inner + (unsigned)__builtin_popcountll(index >> inner))
        return ERR_INVALID;
    memcpy(h, leaf, HASH_SHA256_LEN);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return ERR_INVALID;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(h, proof[i], h);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_node_hash(h, h, proof[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return ERR_INVALID;
    return hash_equal(h, root, HASH_SHA256_LEN) ? 0 : ERR_CRYPTO;
}

int tlog_consistency_verify(uint64_t old_size, uint64_t new_size,
                            const uint8_t old_root[HASH_SHA256_LEN],
                            const uint8_t new_root[HASH_SHA256_LEN],
                            const uint8_t (*proof)[HASH_SHA256_LEN], size_t len)
{
    uint8_t fr[HASH_SHA256_LEN], sr[HASH_SHA256_LEN];
    uint64_t fn, sn;
    unsigned inner, border, shift;
    size_t i, want;
    bool seeded; /* the old root is the first path element (old size a power of two) */

    if (old_size == 0 || old_size > new_size || new_size > TLOG_SIZE_MAX || len > TLOG_PROOF_MAX)
        return ERR_INVALID;
    if (old_size == new_size) {
        if (len != 0)
            return ERR_INVALID;
        return hash_equal(old_root, new_root, HASH_SHA256_LEN) ? 0 : ERR_CRYPTO;
    }
    /* expected length: the inclusion path of leaf old-1 in the new tree, minus the levels
       inside the old tree's last perfect subtree, plus that subtree's root unless it is the
       whole old tree */
    inner = bit_len((old_size - 1) ^ (new_size - 1));
    border = (unsigned)__builtin_popcountll((old_size - 1) >> inner);
    shift = (unsigned)__builtin_ctzll(old_size);
    seeded = old_size == (uint64_t)1 << shift;
    want = (seeded ? 0 : 1) + (inner - shift) + border;
    if (len != want)
        return ERR_INVALID;

    /* RFC 9162 section 2.1.4.2, with the old root prepended when the old size is 2^k */
    fn = old_size - 1;
    sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, seeded ? old_root : proof[0], HASH_SHA256_LEN);
    memcpy(sr, fr, HASH_SHA256_LEN);
    for (i = seeded ? 0 : 1; i < len; i++) {
        if (sn == 0)
            return ERR_INVALID;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(fr, proof[i], fr);
            tlog_node_hash(sr, proof[i], sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_node_hash(sr, sr, proof[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return ERR_INVALID;
    if (!hash_equal(fr, old_root, HASH_SHA256_LEN) || !hash_equal(sr, new_root, HASH_SHA256_LEN))
        return ERR_CRYPTO;
    return 0;
}
