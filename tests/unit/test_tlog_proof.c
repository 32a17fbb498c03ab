/*
 * test_tlog_proof.c - tlog-proof@v1: proofs created from the Tessera log against every one of
 * its checkpoints, round trips, extra data, tampering, strict parsing, and a damaged store.
 */
#include "testutil.h"

#include "crypto/hash.h"
#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "tlog/memstore.h"
#include "tlog/proof.h"
#include "tlog/tile.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define TESSERA SOURCE_ROOT "/tests/vectors/tessera_testdata_log.json"
#define ORIGIN "example.com/log/testdata"

typedef uint8_t hash_t[HASH_SHA256_LEN];

/* The Tessera log rebuilt in memory, its checkpoints and keys. */
struct fixture {
    json_t *root;
    struct tlog_memstore *ms;
    struct tlog_tile_reader *reader;
    struct tlog_hash_reader hr;
    struct note_vkey vk;
    struct note_skey sk;
    hash_t leaves[15];
    const char *cps[16]; /* signed checkpoint at each size */
};

static struct fixture fx;

static int setup(void **state)
{
    json_error_t jerr;
    json_t *e;
    size_t i;
    const char *s;
    struct tlog_view v[15];
    struct tlog_tile_source src;

    (void)state;
    fx.root = json_load_file(TESSERA, 0, &jerr);
    if (fx.root == NULL)
        return -1;
    json_array_foreach(json_object_get(fx.root, "entries"), i, e)
    {
        s = json_string_value(json_object_get(e, "data_ascii"));
        v[i] = (struct tlog_view){(const uint8_t *)s, strlen(s)};
        tlog_leaf_hash(fx.leaves[i], s, strlen(s));
    }
    json_array_foreach(json_object_get(fx.root, "checkpoints"), i, e) fx.cps[i] =
        json_string_value(json_object_get(e, "text"));
    s = json_string_value(json_object_get(fx.root, "log_vkey"));
    if (note_vkey_parse(s, strlen(s), &fx.vk) != 0)
        return -1;
    s = json_string_value(json_object_get(fx.root, "log_skey_go_format"));
    if (note_skey_parse(s, strlen(s), &fx.sk) != 0)
        return -1;
    if (tlog_memstore_new(&fx.ms) != 0 || tlog_memstore_append(fx.ms, v, 15, NULL) != 0)
        return -1;
    src = tlog_memstore_source(fx.ms);
    if (tlog_tile_reader_new(&src, 4, &fx.reader) != 0)
        return -1;
    fx.hr = tlog_tile_reader_hashes(fx.reader);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tlog_tile_reader_free(fx.reader);
    tlog_memstore_free(fx.ms);
    note_skey_clear(&fx.sk);
    json_decref(fx.root);
    return 0;
}

/* Every entry against every checkpoint that holds it: create, parse, verify, round trip. */
static void test_every_proof(void **state)
{
    unsigned made = 0;

    (void)state;
    for (uint64_t size = 1; size <= 15; size++) {
        for (uint64_t i = 0; i < size; i++) {
            struct tlog_proof *p = malloc(sizeof(*p));
            struct tlog_checkpoint cp;
            char *text = NULL, *again = NULL;
            size_t len = 0, alen = 0;

            assert_non_null(p);
            assert_int_equal(tlog_proof_create(fx.cps[size], strlen(fx.cps[size]), i, &fx.hr, NULL,
                                               0, &text, &len),
                             0);
            assert_int_equal(len, strlen(text));
            assert_int_equal(tlog_proof_parse(text, len, p), 0);
            assert_true(p->index == i);
            assert_false(p->has_extra);
            assert_int_equal(p->checkpoint_len, strlen(fx.cps[size]));
            assert_memory_equal(p->checkpoint, fx.cps[size], p->checkpoint_len);
            assert_int_equal(tlog_proof_verify(p, fx.leaves[i], ORIGIN, &fx.vk, &cp, NULL, 0), 0);
            assert_true(cp.size == size);
            /* another entry's leaf does not verify */
            assert_int_equal(
                tlog_proof_verify(p, fx.leaves[(i + 1) % 15], ORIGIN, &fx.vk, &cp, NULL, 0),
                ERR_CRYPTO);
            assert_null(cp.origin);
            assert_int_equal(tlog_proof_format(p, &again, &alen), 0);
            assert_int_equal(alen, len);
            assert_string_equal(again, text);
            free(again);
            free(text);
            free(p);
            made++;
        }
    }
    assert_int_equal(made, 120);
}

/* The shape of the text, on one example worked by hand. */
static void test_text_shape(void **state)
{
    char *text = NULL;
    size_t len = 0;
    const char *want_head = "c2sp.org/tlog-proof@v1\nindex 0\n";
    const char *cp = fx.cps[2];
    char leaf1[64];

    (void)state;
    assert_int_equal(tlog_proof_create(cp, strlen(cp), 0, &fx.hr, NULL, 0, &text, &len), 0);
    /* size 2: the proof of leaf 0 is leaf 1's hash */
    b64_encode(leaf1, sizeof(leaf1), fx.leaves[1], HASH_SHA256_LEN, false);
    assert_memory_equal(text, want_head, strlen(want_head));
    assert_memory_equal(text + strlen(want_head), leaf1, 44);
    assert_memory_equal(text + strlen(want_head) + 44, "\n\n", 2);
    assert_string_equal(text + strlen(want_head) + 46, cp);
    free(text);
}

static void test_extra(void **state)
{
    const uint8_t extra[] = "receipt salt and more";
    struct tlog_proof *p = malloc(sizeof(*p));
    char *text = NULL;
    size_t len = 0;
    uint8_t *big = calloc(1, TLOG_PROOF_EXTRA_MAX + 1);

    (void)state;
    assert_non_null(p);
    assert_non_null(big);
    assert_int_equal(tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 9, &fx.hr, extra,
                                       sizeof(extra), &text, &len),
                     0);
    assert_non_null(strstr(text, "\nextra cmVjZWlwdCBzYWx0IGFuZCBtb3JlAA==\nindex 9\n"));
    assert_int_equal(tlog_proof_parse(text, len, p), 0);
    assert_true(p->has_extra);
    assert_int_equal(p->extra_len, sizeof(extra));
    assert_memory_equal(p->extra, extra, sizeof(extra));
    assert_int_equal(tlog_proof_verify(p, fx.leaves[9], ORIGIN, &fx.vk, NULL, NULL, 0), 0);
    free(text);
    /* empty extra data: "extra " and nothing */
    assert_int_equal(
        tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 9, &fx.hr, extra, 0, &text, &len), 0);
    assert_non_null(strstr(text, "\nextra \nindex 9\n"));
    assert_int_equal(tlog_proof_parse(text, len, p), 0);
    assert_true(p->has_extra);
    assert_int_equal(p->extra_len, 0);
    free(text);
    /* the largest extra passes, one more byte does not */
    assert_int_equal(tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 9, &fx.hr, big,
                                       TLOG_PROOF_EXTRA_MAX, &text, &len),
                     0);
    assert_int_equal(tlog_proof_parse(text, len, p), 0);
    assert_int_equal(p->extra_len, TLOG_PROOF_EXTRA_MAX);
    free(text);
    assert_int_equal(tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 9, &fx.hr, big,
                                       TLOG_PROOF_EXTRA_MAX + 1, &text, &len),
                     ERR_INVALID);
    assert_null(text);
    free(big);
    free(p);
}

/* Replace the first occurrence of @from in @text with @to (same length or shorter). */
static char *edited(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out = malloc(strlen(text) + strlen(to) + 1);

    assert_non_null(at);
    assert_non_null(out);
    memcpy(out, text, (size_t)(at - text));
    memcpy(out + (at - text), to, strlen(to));
    memcpy(out + (at - text) + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
    return out;
}

/* Parse and verify @text for leaf @i; the first error. */
static int check(const char *text, uint64_t i)
{
    struct tlog_proof *p = malloc(sizeof(*p));
    int rc;

    assert_non_null(p);
    rc = tlog_proof_parse(text, strlen(text), p);
    if (rc == 0)
        rc = tlog_proof_verify(p, fx.leaves[i], ORIGIN, &fx.vk, NULL, NULL, 0);
    free(p);
    return rc;
}

static void test_tampering(void **state)
{
    char *text = NULL, *bad, line[64], *second;
    size_t len = 0;
    struct note_skey other;
    struct note_vkey other_vk;
    struct tlog_proof *p = malloc(sizeof(*p));

    (void)state;
    assert_non_null(p);
    assert_int_equal(
        tlog_proof_create(fx.cps[13], strlen(fx.cps[13]), 6, &fx.hr, NULL, 0, &text, &len), 0);
    assert_int_equal(check(text, 6), 0);
    /* another index: same length, wrong path (or another length) */
    bad = edited(text, "index 6\n", "index 7\n");
    assert_int_equal(check(bad, 6), ERR_CRYPTO);
    free(bad);
    bad = edited(text, "index 6\n", "index 12\n");
    assert_int_equal(check(bad, 6), ERR_INVALID);
    free(bad);
    bad = edited(text, "index 6\n", "index 13\n");
    assert_int_equal(check(bad, 6), ERR_INVALID);
    free(bad);
    /* a changed hash, a dropped hash */
    second = strchr(strstr(text, "index 6\n") + 8, '\n') + 1;
    memcpy(line, second, 44);
    line[44] = '\0';
    {
        char changed[45];

        memcpy(changed, line, 45);
        changed[10] = changed[10] == 'A' ? 'B' : 'A';
        bad = edited(text, line, changed);
        assert_int_equal(check(bad, 6), ERR_CRYPTO);
        free(bad);
    }
    {
        char with_nl[46];

        memcpy(with_nl, line, 44);
        memcpy(with_nl + 44, "\n", 2);
        bad = edited(text, with_nl, "");
        assert_int_equal(check(bad, 6), ERR_INVALID);
        free(bad);
    }
    /* the checkpoint: another size line, another root */
    bad = edited(text, "\n13\n", "\n14\n");
    assert_int_equal(check(bad, 6), ERR_CRYPTO);
    free(bad);
    bad = edited(text, "av0kLH0V", "av0kLH0W");
    assert_int_equal(check(bad, 6), ERR_CRYPTO);
    free(bad);
    /* a proof for the wrong log, key or origin */
    assert_int_equal(tlog_proof_parse(text, len, p), 0);
    assert_int_equal(note_skey_generate(ORIGIN, strlen(ORIGIN), &other), 0);
    note_skey_vkey(&other, &other_vk);
    assert_int_equal(tlog_proof_verify(p, fx.leaves[6], ORIGIN, &other_vk, NULL, NULL, 0),
                     ERR_NOT_FOUND);
    assert_int_equal(tlog_proof_verify(p, fx.leaves[6], "example.com/other", &fx.vk, NULL, NULL, 0),
                     ERR_INVALID);
    /* a checkpoint the log never signed, with a valid-looking proof for it */
    {
        struct tlog_checkpoint cp = {ORIGIN, strlen(ORIGIN), 13, {0}, NULL, 0};
        char *forged = NULL, *t2;
        size_t flen = 0;

        assert_int_equal(tlog_checkpoint_sign(&cp, &other, &forged, &flen), 0);
        t2 = edited(text, fx.cps[13], forged);
        assert_int_equal(check(t2, 6), ERR_NOT_FOUND);
        free(t2);
        free(forged);
    }
    note_skey_clear(&other);
    free(p);
    free(text);
}

static void test_parse_strict(void **state)
{
    char *text = NULL;
    size_t len = 0;
    struct tlog_proof *p = malloc(sizeof(*p));
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"c2sp.org/tlog-proof@v1\n", "c2sp.org/tlog-proof@v2\n"},
        {"c2sp.org/tlog-proof@v1\n", "c2sp.org/tlog-proof@v1\r\n"},
        {"c2sp.org/tlog-proof@v1\n", ""},
        {"index 4\n", "index 04\n"},
        {"index 4\n", "index -4\n"},
        {"index 4\n", "index +4\n"},
        {"index 4\n", "index  4\n"},
        {"index 4\n", "index\n"},
        {"index 4\n", "index 9223372036854775808\n"},
        {"index 4\n", "index 4\r\n"},
        {"index 4\n", "extra !!\nindex 4\n"},
        {"index 4\n", "extra YQ\nindex 4\n"},   /* unpadded */
        {"index 4\n", "extra YR==\nindex 4\n"}, /* padding bits */
        {"index 4\n", "idx 4\n"},
        {"index 4\n", "index 4\nextra YQ==\n"}, /* extra after index */
        {"=\n\n", "\n\n"},                      /* a hash without its padding */
        {"=\n\n", "=\n"},                       /* no empty line */
    };

    (void)state;
    assert_non_null(p);
    assert_int_equal(
        tlog_proof_create(fx.cps[11], strlen(fx.cps[11]), 4, &fx.hr, NULL, 0, &text, &len), 0);
    assert_int_equal(tlog_proof_parse(text, len, p), 0);
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char *bad = edited(text, edits[i].from, edits[i].to);

        if (tlog_proof_parse(bad, strlen(bad), p) != ERR_INVALID)
            fail_msg("accepted edit %zu", i);
        assert_int_equal(p->nhashes, 0);
        free(bad);
    }
    /* truncated anywhere: refused by the parser or by the checkpoint */
    for (size_t cut = 0; cut < len; cut++) {
        int rc = tlog_proof_parse(text, cut, p);

        if (rc == 0)
            rc = tlog_proof_verify(p, fx.leaves[4], ORIGIN, &fx.vk, NULL, NULL, 0);
        assert_int_not_equal(rc, 0);
    }
    /* too many hashes, too long */
    {
        size_t head = strlen("c2sp.org/tlog-proof@v1\nindex 4\n"), cap = 200 * 45 + len;
        char *many = malloc(cap), *w = many;

        assert_non_null(many);
        memcpy(w, text, head);
        w += head;
        for (int i = 0; i < TLOG_PROOF_MAX + 1; i++) {
            memcpy(w, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", 45);
            w += 45;
        }
        *w++ = '\n';
        memcpy(w, fx.cps[11], strlen(fx.cps[11]));
        w += strlen(fx.cps[11]);
        assert_int_equal(tlog_proof_parse(many, (size_t)(w - many), p), ERR_INVALID);
        assert_int_equal(tlog_proof_parse(many, TLOG_PROOF_TEXT_MAX + 1, p), ERR_TOO_LARGE);
        free(many);
    }
    free(text);
    free(p);
}

/* A store whose level 0 tile was damaged cannot hand out a proof. */
static int damaged_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    struct tlog_tile_source src = tlog_memstore_source(ctx);
    int rc = src.read(src.ctx, t, data, len);

    if (rc == 0 && t->level == 0 && *len > 100)
        (*data)[100] ^= 0x04; /* leaf 3's hash */
    return rc;
}

static void test_create_errors(void **state)
{
    struct tlog_tile_source src = {damaged_read, NULL};
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    char *text = NULL;
    size_t len = 7;

    (void)state;
    src.ctx = fx.ms;
    assert_int_equal(tlog_tile_reader_new(&src, 4, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    assert_int_equal(
        tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 2, &hr, NULL, 0, &text, &len),
        ERR_CRYPTO);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_int_equal(
        tlog_proof_create(fx.cps[15], strlen(fx.cps[15]), 3, &hr, NULL, 0, &text, &len),
        ERR_CRYPTO);
    tlog_tile_reader_free(reader);
    /* an index past the checkpoint, a checkpoint that is not one */
    assert_int_equal(
        tlog_proof_create(fx.cps[5], strlen(fx.cps[5]), 5, &fx.hr, NULL, 0, &text, &len),
        ERR_INVALID);
    assert_int_equal(tlog_proof_create("x\n", 2, 0, &fx.hr, NULL, 0, &text, &len), ERR_INVALID);
    assert_int_equal(
        tlog_proof_create(fx.cps[0], strlen(fx.cps[0]), 0, &fx.hr, NULL, 0, &text, &len),
        ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_proof),  cmocka_unit_test(test_text_shape),
        cmocka_unit_test(test_extra),        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_parse_strict), cmocka_unit_test(test_create_errors),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
