/*
 * test_tlog_merkle.c - RFC 6962 hashing and proofs: the reference tree, the certificate
 * transparency vectors, the transparency-dev probes, every proof of every small tree, the edge
 * cases the project chose, and trees near the largest size.
 */
#include "testutil.h"

#include "tlog/merkle.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define REFTREE SOURCE_ROOT "/tests/vectors/rfc6962_reference_tree.txt"
#define CTGO SOURCE_ROOT "/tests/vectors/ctgo_merkle_verifier_vectors.txt"
#define INCL_PROBES SOURCE_ROOT "/tests/vectors/transparency-dev-merkle-inclusion-probes.json"
#define CONS_PROBES SOURCE_ROOT "/tests/vectors/transparency-dev-merkle-consistency-probes.json"

typedef uint8_t hash_t[HASH_SHA256_LEN];

/* Decode hex @hex into @out (at most @cap bytes); returns the byte count. */
static size_t hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    assert_int_equal(strlen(hex) % 2, 0);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void hex_hash(const char *hex, uint8_t out[HASH_SHA256_LEN])
{
    assert_int_equal(hex_decode(hex, out, HASH_SHA256_LEN), HASH_SHA256_LEN);
}

/* ---- an in-memory tree holding every complete node, as a hash reader ---- */

struct tree {
    hash_t *levels[64]; /* levels[l][i] = node (l, i) */
    uint64_t count[64]; /* complete nodes per level */
    unsigned nlevels;
    unsigned reads; /* read() calls */
};

static void tree_init(struct tree *t, const hash_t *leaves, uint64_t n)
{
    memset(t, 0, sizeof(*t));
    t->levels[0] = malloc((n ? n : 1) * sizeof(hash_t));
    assert_non_null(t->levels[0]);
    memcpy(t->levels[0], leaves, n * sizeof(hash_t));
    t->count[0] = n;
    t->nlevels = 1;
    for (unsigned l = 1; t->count[l - 1] >= 2; l++) {
        t->count[l] = t->count[l - 1] / 2;
        t->levels[l] = malloc(t->count[l] * sizeof(hash_t));
        assert_non_null(t->levels[l]);
        for (uint64_t i = 0; i < t->count[l]; i++)
            tlog_node_hash(t->levels[l][i], t->levels[l - 1][2 * i], t->levels[l - 1][2 * i + 1]);
        t->nlevels = l + 1;
    }
}

static void tree_release(struct tree *t)
{
    for (unsigned l = 0; l < t->nlevels; l++)
        free(t->levels[l]);
}

static int tree_read(void *ctx, const struct tlog_node *nodes, size_t count, hash_t *hashes)
{
    struct tree *t = ctx;

    t->reads++;
    assert_true(count >= 1 && count <= TLOG_READ_MAX);
    for (size_t i = 0; i < count; i++) {
        assert_true(nodes[i].level < t->nlevels);
        assert_true(nodes[i].index < t->count[nodes[i].level]);
        memcpy(hashes[i], t->levels[nodes[i].level][nodes[i].index], HASH_SHA256_LEN);
    }
    return 0;
}

static struct tlog_hash_reader tree_reader(struct tree *t)
{
    return (struct tlog_hash_reader){tree_read, t};
}

/* Leaf hashes of the 8-leaf reference tree of RFC 6962 (from the vector file). */
static void reference_leaves(hash_t leaves[8])
{
    FILE *f = fopen(REFTREE, "r");
    char line[512], input[128], hex[80];
    unsigned idx;
    int seen = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "leaf %u %127s %79s", &idx, input, hex) == 3) {
            uint8_t data[64];
            size_t n = strcmp(input, "(empty)") == 0 ? 0 : hex_decode(input, data, sizeof(data));
            hash_t h;

            assert_true(idx < 8);
            hex_hash(hex, leaves[idx]);
            tlog_leaf_hash(h, data, n);
            assert_memory_equal(h, leaves[idx], HASH_SHA256_LEN);
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, 8);
}

static void test_reference_tree(void **state)
{
    FILE *f = fopen(REFTREE, "r");
    char line[512], hex[80];
    hash_t leaves[8], got, want;
    unsigned a, b;
    int nodes = 0, roots = 0;

    (void)state;
    reference_leaves(leaves);
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "node %u %u %79s", &a, &b, hex) == 3) {
            /* node (level a, index b) = root of leaves [b << a, (b + 1) << a) */
            hex_hash(hex, want);
            assert_int_equal(tlog_leaves_hash((const hash_t *)leaves + ((uint64_t)b << a),
                                              (uint64_t)1 << a, got),
                             0);
            assert_memory_equal(got, want, HASH_SHA256_LEN);
            nodes++;
        } else if (sscanf(line, "root %u %79s", &a, hex) == 2) {
            struct tree t;
            struct tlog_hash_reader r;

            hex_hash(hex, want);
            assert_int_equal(tlog_leaves_hash((const hash_t *)leaves, a, got), 0);
            assert_memory_equal(got, want, HASH_SHA256_LEN);
            /* the same root from stored nodes */
            tree_init(&t, (const hash_t *)leaves, a);
            r = tree_reader(&t);
            assert_int_equal(tlog_tree_hash(a, &r, got), 0);
            assert_memory_equal(got, want, HASH_SHA256_LEN);
            tree_release(&t);
            roots++;
        }
    }
    fclose(f);
    assert_int_equal(nodes, 7);
    assert_int_equal(roots, 9);
}

/* Parse "h1,h2,..." or "-" into @proof; returns the count. */
static size_t proof_list(const char *s, hash_t proof[TLOG_PROOF_MAX])
{
    size_t n = 0;

    if (strcmp(s, "-") == 0)
        return 0;
    while (*s) {
        char hex[65];

        assert_true(n < TLOG_PROOF_MAX);
        memcpy(hex, s, 64);
        hex[64] = '\0';
        hex_hash(hex, proof[n++]);
        s += 64;
        if (*s == ',')
            s++;
    }
    return n;
}

static void test_ctgo_vectors(void **state)
{
    FILE *f = fopen(CTGO, "r");
    char line[2048], input[128], lh[80], r1[80], r2[80], list[1024];
    hash_t leaves[8], proof[TLOG_PROOF_MAX], made[TLOG_PROOF_MAX], leaf, root, old_root;
    unsigned long long a, b;
    int incl = 0, cons = 0;

    (void)state;
    reference_leaves(leaves);
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        struct tree t;
        struct tlog_hash_reader r;
        size_t n, m;

        if (sscanf(line, "inclusion %llu %llu %127s %79s %79s %1023s", &a, &b, input, lh, r1,
                   list) == 6) {
            hex_hash(lh, leaf);
            hex_hash(r1, root);
            n = proof_list(list, proof);
            assert_int_equal(tlog_inclusion_verify(b, a, leaf, (const hash_t *)proof, n, root), 0);
            /* generation reproduces the published proof exactly */
            tree_init(&t, (const hash_t *)leaves, b);
            r = tree_reader(&t);
            assert_int_equal(tlog_inclusion_prove(b, a, &r, made, &m), 0);
            assert_int_equal(m, n);
            assert_memory_equal(made, proof, n * HASH_SHA256_LEN);
            tree_release(&t);
            /* and every single-bit change is caught */
            for (size_t i = 0; i < n; i++) {
                proof[i][i % HASH_SHA256_LEN] ^= 0x01;
                assert_int_equal(tlog_inclusion_verify(b, a, leaf, (const hash_t *)proof, n, root),
                                 ERR_CRYPTO);
                proof[i][i % HASH_SHA256_LEN] ^= 0x01;
            }
            incl++;
        } else if (sscanf(line, "consistency %llu %llu %79s %79s %1023s", &a, &b, r1, r2, list) ==
                   5) {
            hex_hash(r1, old_root);
            hex_hash(r2, root);
            n = proof_list(list, proof);
            assert_int_equal(
                tlog_consistency_verify(a, b, old_root, root, (const hash_t *)proof, n), 0);
            tree_init(&t, (const hash_t *)leaves, b);
            r = tree_reader(&t);
            assert_int_equal(tlog_consistency_prove(a, b, &r, made, &m), 0);
            assert_int_equal(m, n);
            assert_memory_equal(made, proof, n * HASH_SHA256_LEN);
            tree_release(&t);
            cons++;
        }
    }
    fclose(f);
    assert_int_equal(incl, 5);
    assert_int_equal(cons, 5);
}

/*
 * A probe value as a 32-byte hash. The API takes SHA-256 hashes only: the parsers that feed it
 * (checkpoints, tlog-proof text) refuse any other length. transparency-dev/merkle refuses a leaf
 * hash of the wrong length and compares roots and proof hashes as plain byte strings; to keep
 * that meaning, a root or proof value that is not 32 bytes ("don't care 1") is replaced by a
 * domain-separated SHA-256 of itself (equal values stay equal, different ones stay different,
 * none equals a real node hash), and a leaf hash that is not 32 bytes makes the probe fail.
 * Returns false for a leaf hash of the wrong length.
 */
static bool probe_hash(json_t *v, uint8_t out[HASH_SHA256_LEN], bool is_leaf)
{
    uint8_t buf[64 + 16] = "not-a-sha256-hash";
    size_t n = 0, prefix = 17;

    if (v != NULL && !json_is_null(v)) {
        assert_true(json_is_string(v));
        n = hex_decode(json_string_value(v), buf + prefix, sizeof(buf) - prefix);
    }
    if (n == HASH_SHA256_LEN) {
        memcpy(out, buf + prefix, HASH_SHA256_LEN);
        return true;
    }
    if (is_leaf)
        return false;
    tlog_leaf_hash(out, buf, prefix + n);
    return true;
}

static size_t probe_proof(json_t *v, hash_t proof[TLOG_PROOF_MAX])
{
    size_t i;
    json_t *h;

    if (v == NULL || json_is_null(v))
        return 0;
    assert_true(json_is_array(v));
    json_array_foreach(v, i, h)
    {
        assert_true(i < TLOG_PROOF_MAX);
        probe_hash(h, proof[i], false);
    }
    return json_array_size(v);
}

/*
 * The probes hold sizes and indexes up to 2^64 - 1, past jansson's json_int_t: they are read as
 * reals, exact for the small values, and the one huge value (2^64 - 1) is mapped back.
 */
static json_t *json_file(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);

    if (root == NULL)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return root;
}

static uint64_t probe_u64(json_t *v)
{
    double d = json_real_value(v);

    assert_true(json_is_real(v) && d >= 0);
    return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

static void test_inclusion_probes(void **state)
{
    json_t *root = json_file(INCL_PROBES), *p;
    size_t i, valid = 0;

    (void)state;
    json_array_foreach(json_object_get(root, "probes"), i, p)
    {
        hash_t leaf, rt, proof[TLOG_PROOF_MAX];
        size_t n = probe_proof(json_object_get(p, "proof_hex"), proof);
        uint64_t idx = probe_u64(json_object_get(p, "leafIdx"));
        uint64_t size = probe_u64(json_object_get(p, "treeSize"));
        bool want_err = json_is_true(json_object_get(p, "wantErr"));
        int rc;

        probe_hash(json_object_get(p, "root_hex"), rt, false);
        if (probe_hash(json_object_get(p, "leafHash_hex"), leaf, true))
            rc = tlog_inclusion_verify(size, idx, leaf, (const hash_t *)proof, n, rt);
        else
            rc = ERR_INVALID;
        if (want_err != (rc != 0))
            fail_msg("%s: rc %d", json_string_value(json_object_get(p, "file")), rc);
        valid += !want_err;
    }
    assert_int_equal(i, 98);
    assert_int_equal(valid, 6);
    json_decref(root);
}

static void test_consistency_probes(void **state)
{
    json_t *root = json_file(CONS_PROBES), *p;
    size_t i, valid = 0;

    (void)state;
    json_array_foreach(json_object_get(root, "probes"), i, p)
    {
        hash_t r1, r2, proof[TLOG_PROOF_MAX];
        size_t n = probe_proof(json_object_get(p, "proof_hex"), proof);
        uint64_t s1 = probe_u64(json_object_get(p, "size1"));
        uint64_t s2 = probe_u64(json_object_get(p, "size2"));
        bool want_err = json_is_true(json_object_get(p, "wantErr"));
        int rc;

        probe_hash(json_object_get(p, "root1_hex"), r1, false);
        probe_hash(json_object_get(p, "root2_hex"), r2, false);
        rc = tlog_consistency_verify(s1, s2, r1, r2, (const hash_t *)proof, n);
        if (want_err != (rc != 0))
            fail_msg("%s: rc %d", json_string_value(json_object_get(p, "file")), rc);
        valid += !want_err;
    }
    assert_int_equal(i, 98);
    assert_int_equal(valid, 6);
    json_decref(root);
}

/* Leaf i of the synthetic trees: the leaf hash of "leaf <i>". */
static void synthetic_leaves(hash_t *leaves, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "leaf %llu", (unsigned long long)i);

        tlog_leaf_hash(leaves[i], buf, (size_t)len);
    }
}

/* Every inclusion and consistency proof of every tree up to 70 leaves, and their tampering. */
static void test_small_trees_exhaustive(void **state)
{
    enum { N = 70 };
    hash_t leaves[N], roots[N + 1], proof[TLOG_PROOF_MAX];
    struct tree t;
    struct tlog_hash_reader r;
    size_t n;
    unsigned checked = 0;

    (void)state;
    synthetic_leaves(leaves, N);
    tree_init(&t, (const hash_t *)leaves, N);
    r = tree_reader(&t);
    for (uint64_t s = 0; s <= N; s++) {
        hash_t via_nodes;

        assert_int_equal(tlog_leaves_hash((const hash_t *)leaves, s, roots[s]), 0);
        assert_int_equal(tlog_tree_hash(s, &r, via_nodes), 0);
        assert_memory_equal(via_nodes, roots[s], HASH_SHA256_LEN);
    }
    for (uint64_t s = 1; s <= N; s++) {
        for (uint64_t i = 0; i < s; i++) {
            unsigned reads = t.reads;

            /* all the nodes of a proof are asked for in one batch */
            assert_int_equal(tlog_inclusion_prove(s, i, &r, proof, &n), 0);
            assert_int_equal(t.reads - reads, n > 0 ? 1 : 0);
            assert_int_equal(
                tlog_inclusion_verify(s, i, leaves[i], (const hash_t *)proof, n, roots[s]), 0);
            /* another leaf, another index, a changed hash, a dropped or an extra hash (a larger
               size may accept the same proof against this root: checkpoints bind the pair) */
            assert_int_not_equal(tlog_inclusion_verify(s, i, leaves[(i + 1) % N],
                                                       (const hash_t *)proof, n, roots[s]),
                                 0);
            if (s > 1)
                assert_int_not_equal(tlog_inclusion_verify(s, (i + 1) % s, leaves[i],
                                                           (const hash_t *)proof, n, roots[s]),
                                     0);
            for (size_t k = 0; k < n; k++) {
                proof[k][31] ^= 0x80;
                assert_int_equal(
                    tlog_inclusion_verify(s, i, leaves[i], (const hash_t *)proof, n, roots[s]),
                    ERR_CRYPTO);
                proof[k][31] ^= 0x80;
            }
            if (n > 0)
                assert_int_equal(
                    tlog_inclusion_verify(s, i, leaves[i], (const hash_t *)proof, n - 1, roots[s]),
                    ERR_INVALID);
            assert_int_equal(
                tlog_inclusion_verify(s, i, leaves[i], (const hash_t *)proof, n + 1, roots[s]),
                ERR_INVALID);
            checked++;
        }
        for (uint64_t m = 1; m <= s; m++) {
            assert_int_equal(tlog_consistency_prove(m, s, &r, proof, &n), 0);
            assert_int_equal(
                tlog_consistency_verify(m, s, roots[m], roots[s], (const hash_t *)proof, n), 0);
            if (m < s) {
                /* a root of another size on either side, or any changed hash, is refused */
                assert_int_not_equal(tlog_consistency_verify(m, s, roots[m == 1 ? s : m - 1],
                                                             roots[s], (const hash_t *)proof, n),
                                     0);
                assert_int_not_equal(
                    tlog_consistency_verify(m, s, roots[m], roots[s - 1], (const hash_t *)proof, n),
                    0);
                for (size_t k = 0; k < n; k++) {
                    proof[k][0] ^= 0x01;
                    assert_int_not_equal(
                        tlog_consistency_verify(m, s, roots[m], roots[s], (const hash_t *)proof, n),
                        0);
                    proof[k][0] ^= 0x01;
                }
                assert_int_equal(
                    tlog_consistency_verify(m, s, roots[m], roots[s], (const hash_t *)proof, n - 1),
                    ERR_INVALID);
            }
            checked++;
        }
    }
    assert_int_equal(checked, 2 * (N * (N + 1) / 2));
    tree_release(&t);
}

static void test_edge_cases(void **state)
{
    hash_t leaves[4], empty, root, proof[TLOG_PROOF_MAX], other;
    struct tree t;
    struct tlog_hash_reader r;
    size_t n = 99;

    (void)state;
    synthetic_leaves(leaves, 4);
    tree_init(&t, (const hash_t *)leaves, 4);
    r = tree_reader(&t);
    /* the empty tree: SHA-256(""), no reads, no inclusion proofs */
    hex_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", empty);
    t.reads = 0;
    assert_int_equal(tlog_tree_hash(0, &r, root), 0);
    assert_memory_equal(root, empty, HASH_SHA256_LEN);
    assert_int_equal(t.reads, 0);
    assert_int_equal(tlog_inclusion_prove(0, 0, &r, proof, &n), ERR_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(tlog_inclusion_verify(0, 0, leaves[0], (const hash_t *)proof, 0, empty),
                     ERR_INVALID);
    /* consistency from 0 is refused, to any size, by prover and verifier */
    assert_int_equal(tlog_consistency_prove(0, 0, &r, proof, &n), ERR_INVALID);
    assert_int_equal(tlog_consistency_prove(0, 4, &r, proof, &n), ERR_INVALID);
    assert_int_equal(tlog_consistency_verify(0, 0, empty, empty, (const hash_t *)proof, 0),
                     ERR_INVALID);
    assert_int_equal(tlog_tree_hash(4, &r, root), 0);
    assert_int_equal(tlog_consistency_verify(0, 4, empty, root, (const hash_t *)proof, 0),
                     ERR_INVALID);
    /* equal sizes: the empty proof, valid exactly when the roots are equal */
    assert_int_equal(tlog_consistency_prove(4, 4, &r, proof, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tlog_consistency_verify(4, 4, root, root, (const hash_t *)proof, 0), 0);
    memcpy(other, root, HASH_SHA256_LEN);
    other[5] ^= 1;
    assert_int_equal(tlog_consistency_verify(4, 4, root, other, (const hash_t *)proof, 0),
                     ERR_CRYPTO);
    assert_int_equal(tlog_consistency_verify(4, 4, root, root, (const hash_t *)proof, 1),
                     ERR_INVALID);
    /* shrinking, indexes past the end, sizes past the maximum */
    assert_int_equal(tlog_consistency_prove(4, 3, &r, proof, &n), ERR_INVALID);
    assert_int_equal(tlog_consistency_verify(4, 3, root, root, (const hash_t *)proof, 1),
                     ERR_INVALID);
    assert_int_equal(tlog_inclusion_prove(4, 4, &r, proof, &n), ERR_INVALID);
    assert_int_equal(tlog_inclusion_verify(4, 4, leaves[0], (const hash_t *)proof, 2, root),
                     ERR_INVALID);
    assert_int_equal(tlog_tree_hash(TLOG_SIZE_MAX + 1, &r, root), ERR_INVALID);
    assert_int_equal(
        tlog_inclusion_verify(TLOG_SIZE_MAX + 1, 0, leaves[0], (const hash_t *)proof, 64, root),
        ERR_INVALID);
    assert_int_equal(
        tlog_inclusion_verify(4, 0, leaves[0], (const hash_t *)proof, TLOG_PROOF_MAX + 1, root),
        ERR_INVALID);
    /* a tree of one leaf proves it with nothing */
    assert_int_equal(tlog_tree_hash(1, &r, root), 0);
    assert_memory_equal(root, leaves[0], HASH_SHA256_LEN);
    assert_int_equal(tlog_inclusion_prove(1, 0, &r, proof, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tlog_inclusion_verify(1, 0, leaves[0], (const hash_t *)proof, 0, root), 0);
    tree_release(&t);
}

/* A reader that fails: its error comes back unchanged and nothing is returned. */
static int failing_read(void *ctx, const struct tlog_node *nodes, size_t count, hash_t *hashes)
{
    (void)ctx;
    (void)nodes;
    (void)count;
    (void)hashes;
    return ERR_DB;
}

static void test_reader_errors(void **state)
{
    struct tlog_hash_reader r = {failing_read, NULL};
    hash_t root, proof[TLOG_PROOF_MAX];
    size_t n = 7;

    (void)state;
    assert_int_equal(tlog_tree_hash(10, &r, root), ERR_DB);
    assert_int_equal(tlog_inclusion_prove(10, 3, &r, proof, &n), ERR_DB);
    assert_int_equal(n, 0);
    assert_int_equal(tlog_consistency_prove(3, 10, &r, proof, &n), ERR_DB);
    assert_int_equal(n, 0);
}

/*
 * Trees near the maximum size: every leaf is the same hash, so node (l, i) has the same hash
 * for all i and a reader can serve any node of a tree of 2^63 - 1 leaves.
 */
static hash_t uniform[64];

static int uniform_read(void *ctx, const struct tlog_node *nodes, size_t count, hash_t *hashes)
{
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        assert_true(nodes[i].level < 63);
        memcpy(hashes[i], uniform[nodes[i].level], HASH_SHA256_LEN);
    }
    return 0;
}

static void test_huge_trees(void **state)
{
    struct tlog_hash_reader r = {uniform_read, NULL};
    const uint64_t sizes[] = {TLOG_SIZE_MAX,           TLOG_SIZE_MAX - 1,     (uint64_t)1 << 62,
                              ((uint64_t)1 << 62) + 1, 0x5555555555555555ull, 1000000007ull};
    hash_t proof[TLOG_PROOF_MAX];
    size_t n;

    (void)state;
    tlog_leaf_hash(uniform[0], "x", 1);
    for (int l = 1; l < 64; l++)
        tlog_node_hash(uniform[l], uniform[l - 1], uniform[l - 1]);
    for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++) {
        uint64_t s = sizes[a];
        hash_t root;
        const uint64_t idx[] = {0, 1, s / 3, s / 2, s - 2, s - 1};

        assert_int_equal(tlog_tree_hash(s, &r, root), 0);
        for (size_t b = 0; b < sizeof(idx) / sizeof(idx[0]); b++) {
            assert_int_equal(tlog_inclusion_prove(s, idx[b], &r, proof, &n), 0);
            assert_true(n <= 63);
            assert_int_equal(
                tlog_inclusion_verify(s, idx[b], uniform[0], (const hash_t *)proof, n, root), 0);
        }
        for (size_t b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++) {
            uint64_t m = sizes[b];
            hash_t old_root;

            if (m > s)
                continue;
            assert_int_equal(tlog_tree_hash(m, &r, old_root), 0);
            assert_int_equal(tlog_consistency_prove(m, s, &r, proof, &n), 0);
            assert_true(n <= TLOG_PROOF_MAX);
            assert_int_equal(
                tlog_consistency_verify(m, s, old_root, root, (const hash_t *)proof, n), 0);
            if (m < s)
                assert_int_equal(
                    tlog_consistency_verify(m, s, old_root, old_root, (const hash_t *)proof, n),
                    ERR_CRYPTO);
        }
    }
    /* 1 -> 2^63 - 1 has the longest consistency proof: 63 hashes */
    assert_int_equal(tlog_consistency_prove(1, TLOG_SIZE_MAX, &r, proof, &n), 0);
    assert_int_equal(n, 63);
    assert_int_equal(tlog_consistency_prove(3, TLOG_SIZE_MAX, &r, proof, &n), 0);
    assert_true(n <= TLOG_PROOF_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_tree),         cmocka_unit_test(test_ctgo_vectors),
        cmocka_unit_test(test_inclusion_probes),       cmocka_unit_test(test_consistency_probes),
        cmocka_unit_test(test_small_trees_exhaustive), cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_reader_errors),          cmocka_unit_test(test_huge_trees),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
