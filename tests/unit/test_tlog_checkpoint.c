/*
 * test_tlog_checkpoint.c - tlog-checkpoint: the Tessera checkpoints reproduced byte for byte,
 * real sum.golang.org and sigsum checkpoints, strict parsing, formatting limits, and opening
 * signed checkpoints (wrong key, tampering, another origin, cosignatures).
 */
#include "testutil.h"

#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define TESSERA SOURCE_ROOT "/tests/vectors/tessera_testdata_log.json"
#define NOTES SOURCE_ROOT "/tests/vectors/signed_notes_and_checkpoints.json"

#define EM_DASH "\xe2\x80\x94"

static void hex_hash(const char *hex, uint8_t out[HASH_SHA256_LEN])
{
    assert_int_equal(strlen(hex), 2 * HASH_SHA256_LEN);
    for (size_t i = 0; i < HASH_SHA256_LEN; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static json_t *json_file(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);

    if (root == NULL)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return root;
}

static void tessera_keys(json_t *root, struct note_skey *sk, struct note_vkey *vk)
{
    const char *s = json_string_value(json_object_get(root, "log_skey_go_format"));
    const char *v = json_string_value(json_object_get(root, "log_vkey"));

    assert_int_equal(note_skey_parse(s, strlen(s), sk), 0);
    assert_int_equal(note_vkey_parse(v, strlen(v), vk), 0);
}

/* Every Tessera checkpoint opens, parses to the published size and root, and signing the
   parsed fields with the published key gives the same bytes. */
static void test_tessera_checkpoints(void **state)
{
    json_t *root = json_file(TESSERA), *c;
    struct note_skey sk;
    struct note_vkey vk;
    size_t i;

    (void)state;
    tessera_keys(root, &sk, &vk);
    json_array_foreach(json_object_get(root, "checkpoints"), i, c)
    {
        const char *text = json_string_value(json_object_get(c, "text"));
        struct tlog_checkpoint cp;
        uint8_t want[HASH_SHA256_LEN];
        char *again = NULL, *body = NULL;
        size_t len = 0, blen = 0;

        assert_int_equal(
            tlog_checkpoint_open(text, strlen(text), "example.com/log/testdata", &vk, &cp, NULL, 0),
            0);
        assert_true(cp.size == (uint64_t)json_integer_value(json_object_get(c, "tree_size")));
        hex_hash(json_string_value(json_object_get(c, "root_hex")), want);
        assert_memory_equal(cp.root, want, HASH_SHA256_LEN);
        assert_int_equal(cp.ext_len, 0);
        assert_null(cp.ext);
        /* NULL origin: the key's name, which is the origin here */
        assert_int_equal(tlog_checkpoint_open(text, strlen(text), NULL, &vk, &cp, NULL, 0), 0);
        assert_int_equal(tlog_checkpoint_format(&cp, &body, &blen), 0);
        assert_memory_equal(body, text, blen);
        assert_int_equal(tlog_checkpoint_sign(&cp, &sk, &again, &len), 0);
        assert_int_equal(len, strlen(text));
        assert_string_equal(again, text);
        free(again);
        free(body);
    }
    assert_int_equal(i, 16);
    note_skey_clear(&sk);
    json_decref(root);
}

/* Checkpoints of other logs: the origin is not the key name for sum.golang.org. */
static void test_foreign_checkpoints(void **state)
{
    json_t *root = json_file(NOTES), *v;
    size_t i;
    int seen = 0;

    (void)state;
    json_array_foreach(json_object_get(root, "vectors"), i, v)
    {
        const char *note = json_string_value(json_object_get(v, "note"));
        const char *vkey = json_string_value(json_array_get(json_object_get(v, "vkeys"), 0));
        const char *nl = strchr(note, '\n');
        struct note_vkey key;
        struct tlog_checkpoint cp;
        char origin[300];

        if (strncmp(note, "go.sum database tree\n", 21) != 0 &&
            strncmp(note, "sigsum.org/", 11) != 0)
            continue;
        assert_int_equal(note_vkey_parse(vkey, strlen(vkey), &key), 0);
        assert_non_null(nl);
        assert_true((size_t)(nl - note) < sizeof(origin));
        memcpy(origin, note, (size_t)(nl - note));
        origin[nl - note] = '\0';
        assert_int_equal(tlog_checkpoint_open(note, strlen(note), origin, &key, &cp, NULL, 0), 0);
        assert_true(cp.size > 0);
        assert_int_equal(cp.origin_len, strlen(origin));
        if (strcmp(origin, key.name) != 0) {
            char err[200] = "";

            /* NULL asks for the key's name as the origin */
            assert_int_equal(
                tlog_checkpoint_open(note, strlen(note), NULL, &key, &cp, err, sizeof(err)),
                ERR_INVALID);
            assert_non_null(strstr(err, "origin"));
        }
        seen++;
    }
    assert_int_equal(seen, 5);
    json_decref(root);
}

static void test_parse_strict(void **state)
{
    static const char *bad[] = {
        "",
        "o\n",
        "o\n1\n",
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=",    /* no final newline */
        "\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",   /* empty origin */
        "o\n01\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n", /* leading zero */
        "o\n+1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\n-1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\n 1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\n\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\n9223372036854775808\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n", /* 2^63 */
        "o\n99999999999999999999\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs\n",  /* no padding */
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383ct=\n", /* padding bits */
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja_1nk427v383cs=\n", /* URL alphabet */
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383c=\n",  /* 31 bytes-ish */
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs==\n",
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n\n", /* empty extension */
        "o\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\next\n\n",
        "o\r\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n", /* control char */
        "o\n1\r\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "o\xff\n1\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n", /* not UTF-8 */
    };
    struct tlog_checkpoint cp;
    char *big;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tlog_checkpoint_parse(bad[i], strlen(bad[i]), &cp) != ERR_INVALID)
            fail_msg("accepted bad[%zu]", i);
        assert_null(cp.origin);
    }
    /* the largest size, extension lines, a long origin */
    {
        const char *t = "o\n9223372036854775807\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n"
                        "ext one\next two\n";

        assert_int_equal(tlog_checkpoint_parse(t, strlen(t), &cp), 0);
        assert_true(cp.size == TLOG_SIZE_MAX);
        assert_int_equal(cp.ext_len, 16);
        assert_memory_equal(cp.ext, "ext one\next two\n", 16);
    }
    big = malloc(TLOG_CHECKPOINT_TEXT_MAX + 100);
    assert_non_null(big);
    memset(big, 'a', TLOG_ORIGIN_MAX + 1);
    memcpy(big + TLOG_ORIGIN_MAX + 1, "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", 48);
    assert_int_equal(tlog_checkpoint_parse(big + 1, TLOG_ORIGIN_MAX + 48, &cp), 0);
    assert_int_equal(cp.origin_len, TLOG_ORIGIN_MAX);
    assert_true(cp.size == 0);
    assert_int_equal(tlog_checkpoint_parse(big, TLOG_ORIGIN_MAX + 49, &cp), ERR_INVALID);
    assert_int_equal(tlog_checkpoint_parse(big, TLOG_CHECKPOINT_TEXT_MAX + 1, &cp), ERR_TOO_LARGE);
    free(big);
}

static void test_format(void **state)
{
    struct tlog_checkpoint cp = {"example.com/log", 15, 42, {0}, NULL, 0};
    char *out = NULL, origin[TLOG_ORIGIN_MAX + 2];
    size_t len = 0;
    struct tlog_checkpoint back;

    (void)state;
    memset(cp.root, 0xab, HASH_SHA256_LEN);
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), 0);
    assert_string_equal(out, "example.com/log\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n");
    assert_int_equal(len, strlen(out));
    assert_int_equal(tlog_checkpoint_parse(out, len, &back), 0);
    assert_true(back.size == 42);
    free(out);
    /* extension lines are kept verbatim */
    cp.ext = "a\nb c\n";
    cp.ext_len = 6;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), 0);
    assert_int_equal(tlog_checkpoint_parse(out, len, &back), 0);
    assert_int_equal(back.ext_len, 6);
    free(out);
    /* refused: a bad extension block, a multi-line or empty or long origin, a huge size */
    cp.ext = "a\n\n";
    cp.ext_len = 3;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    assert_null(out);
    cp.ext = "a";
    cp.ext_len = 1;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    cp.ext = NULL;
    cp.ext_len = 0;
    cp.origin = "evil\n999";
    cp.origin_len = 8;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    cp.origin_len = 0;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    memset(origin, 'o', sizeof(origin));
    cp.origin = origin;
    cp.origin_len = TLOG_ORIGIN_MAX + 1;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    cp.origin_len = TLOG_ORIGIN_MAX;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), 0);
    free(out);
    cp.origin = "tab\tbed";
    cp.origin_len = 7;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
    cp.origin = "o";
    cp.origin_len = 1;
    cp.size = TLOG_SIZE_MAX + 1;
    assert_int_equal(tlog_checkpoint_format(&cp, &out, &len), ERR_INVALID);
}

static void test_open_failures(void **state)
{
    json_t *root = json_file(TESSERA);
    const char *text = json_string_value(
        json_object_get(json_array_get(json_object_get(root, "checkpoints"), 7), "text"));
    struct note_skey sk, other_sk;
    struct note_vkey vk, other_vk;
    struct tlog_checkpoint cp;
    char *copy = strdup(text), *cosigned = NULL, *p, err[256];
    size_t len = strlen(text), clen = 0;

    (void)state;
    tessera_keys(root, &sk, &vk);
    assert_int_equal(note_skey_generate("witness.example", 15, &other_sk), 0);
    note_skey_vkey(&other_sk, &other_vk);
    /* another key did not sign it */
    assert_int_equal(tlog_checkpoint_open(text, len, NULL, &other_vk, &cp, err, sizeof(err)),
                     ERR_NOT_FOUND);
    assert_null(cp.origin);
    /* another origin */
    assert_int_equal(tlog_checkpoint_open(text, len, "example.com/other", &vk, &cp, NULL, 0),
                     ERR_INVALID);
    /* a changed size or root breaks the signature */
    p = strchr(copy, '\n') + 1;
    *p = '8';
    assert_int_equal(tlog_checkpoint_open(copy, len, NULL, &vk, &cp, NULL, 0), ERR_CRYPTO);
    *p = '7';
    p = strchr(p, '\n') + 5;
    *p ^= 0x01;
    assert_int_equal(tlog_checkpoint_open(copy, len, NULL, &vk, &cp, NULL, 0), ERR_CRYPTO);
    *p ^= 0x01;
    assert_int_equal(tlog_checkpoint_open(copy, len, NULL, &vk, &cp, NULL, 0), 0);
    /* a witness cosignature is ignored by the log key and checked by its own */
    assert_int_equal(note_sign_add(text, len, &other_sk, &cosigned, &clen), 0);
    assert_int_equal(tlog_checkpoint_open(cosigned, clen, NULL, &vk, &cp, NULL, 0), 0);
    assert_true(cp.size == 7);
    assert_int_equal(
        tlog_checkpoint_open(cosigned, clen, "example.com/log/testdata", &other_vk, &cp, NULL, 0),
        0);
    /* a well-signed note that is not a checkpoint */
    {
        char *signed_note = NULL;
        size_t slen = 0;

        assert_int_equal(
            note_sign("example.com/log/testdata\nseven\nroot\n", 36, &sk, &signed_note, &slen), 0);
        assert_int_equal(tlog_checkpoint_open(signed_note, slen, NULL, &vk, &cp, NULL, 0),
                         ERR_INVALID);
        free(signed_note);
    }
    /* over the size limit */
    assert_int_equal(tlog_checkpoint_open(text, TLOG_CHECKPOINT_MAX + 1, NULL, &vk, &cp, NULL, 0),
                     ERR_TOO_LARGE);
    free(cosigned);
    free(copy);
    note_skey_clear(&sk);
    note_skey_clear(&other_sk);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tessera_checkpoints), cmocka_unit_test(test_foreign_checkpoints),
        cmocka_unit_test(test_parse_strict),        cmocka_unit_test(test_format),
        cmocka_unit_test(test_open_failures),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
