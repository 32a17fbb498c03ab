/*
 * test_note.c - C2SP signed notes and vkeys/skeys: the published vectors, round trips,
 * tampering and malformed keys.
 */
#include "testutil.h"

#include "crypto/hash.h"
#include "crypto/note.h"
#include "util/err.h"
#include "util/mem.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>

#define VECTORS SOURCE_ROOT "/tests/vectors/signed_notes_and_checkpoints.json"
#define TESSERA SOURCE_ROOT "/tests/vectors/tessera_testdata_log.json"
#define TESSERA_DIR SOURCE_ROOT "/tests/vectors/tessera-testdata-log"

#define EM_DASH "\xe2\x80\x94"

/* Decode exactly @cap bytes of hex. */
static void hex_to_bin(const char *hex, uint8_t *out, size_t cap)
{
    assert_int_equal(strlen(hex), cap * 2);
    for (size_t i = 0; i < cap; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* Read a whole file into a malloc'd NUL-terminated buffer. */
static char *file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static json_t *vectors_load(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);

    if (root == NULL)
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    return root;
}

/* A fresh key named @name. */
static void key_make(const char *name, struct note_skey *sk, struct note_vkey *vk)
{
    assert_int_equal(note_skey_generate(name, strlen(name), sk), 0);
    note_skey_vkey(sk, vk);
}

/* note_open() on a NUL-terminated message. */
static int open_str(const char *msg, const struct note_vkey *keys, size_t nkeys, bool *verified)
{
    return note_open(msg, strlen(msg), keys, nkeys, verified, NULL, NULL, 0);
}

/* Replace the first occurrence of @from in @s (in place, same length). */
static void patch(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);

    assert_non_null(p);
    assert_int_equal(strlen(from), strlen(to));
    memcpy(p, to, strlen(to));
}

static int setup(void **state)
{
    (void)state;
    return random_init();
}

/* ---- vectors ---------------------------------------------------------------------------- */

static void test_vectors(void **state)
{
    json_t *root = vectors_load(VECTORS);
    json_t *vecs = json_object_get(root, "vectors");
    size_t idx, nvalid = 0, ninvalid = 0, nresigned = 0;
    json_t *v;

    (void)state;
    assert_true(json_array_size(vecs) >= 10);
    json_array_foreach(vecs, idx, v)
    {
        const char *msg = json_string_value(json_object_get(v, "note"));
        const char *expect = json_string_value(json_object_get(v, "expect"));
        json_t *jkeys = json_object_get(v, "vkeys");
        const char *seed_hex = json_string_value(json_object_get(v, "private_seed_hex"));
        const char *pub_hex = json_string_value(json_object_get(v, "public_key_hex"));
        json_t *skeys = json_object_get(v, "signer_keys_go_format");
        size_t nkeys = json_array_size(jkeys), text_len = 99, k;
        struct note_vkey *keys = calloc(nkeys, sizeof(*keys));
        bool *verified = calloc(nkeys, sizeof(*verified));
        char buf[NOTE_VKEY_MAX];
        json_t *jk;
        int rc;

        assert_non_null(msg);
        assert_non_null(expect);
        assert_non_null(keys);
        assert_non_null(verified);
        json_array_foreach(jkeys, k, jk)
        {
            const char *s = json_string_value(jk);

            assert_int_equal(note_vkey_parse(s, strlen(s), &keys[k]), 0);
            assert_int_equal(note_vkey_format(&keys[k], buf, sizeof(buf)), 0);
            assert_string_equal(buf, s);
        }

        rc = note_open(msg, strlen(msg), keys, nkeys, verified, &text_len, NULL, 0);
        if (strcmp(expect, "valid") == 0) {
            nvalid++;
            assert_int_equal(rc, 0);
            for (k = 0; k < nkeys; k++)
                assert_true(verified[k]);
            assert_true(text_len > 0 && msg[text_len - 1] == '\n' && msg[text_len] == '\n');
            /* Each key alone verifies too: the other signatures become unknown ones. */
            for (k = 0; k < nkeys; k++)
                assert_int_equal(note_open(msg, strlen(msg), &keys[k], 1, NULL, NULL, NULL, 0), 0);
        } else {
            ninvalid++;
            assert_string_equal(expect, "invalid");
            assert_true(rc < 0);
            assert_int_equal(text_len, 0);
            for (k = 0; k < nkeys; k++)
                assert_false(verified[k]);
        }

        if (pub_hex != NULL) {
            uint8_t pub[NOTE_PUBKEY_LEN];

            hex_to_bin(pub_hex, pub, sizeof(pub));
            assert_memory_equal(pub, keys[0].pub, sizeof(pub));
            assert_int_equal(note_key_id(keys[0].name, keys[0].name_len, pub), keys[0].id);
        }
        if (seed_hex != NULL) {
            uint8_t seed[NOTE_SEED_LEN];
            struct note_skey sk;
            struct note_vkey vk;
            char *out = NULL;
            size_t outlen = 0;

            hex_to_bin(seed_hex, seed, sizeof(seed));
            assert_int_equal(note_skey_from_seed(keys[0].name, keys[0].name_len, seed, &sk), 0);
            note_skey_vkey(&sk, &vk);
            assert_memory_equal(&vk, &keys[0], sizeof(vk));
            /* Ed25519 is deterministic: re-signing reproduces the vector byte for byte. */
            assert_int_equal(note_sign(msg, text_len, &sk, &out, &outlen), 0);
            assert_int_equal(outlen, strlen(msg));
            assert_string_equal(out, msg);
            free(out);
            note_skey_clear(&sk);
            nresigned++;
        }
        json_array_foreach(skeys, k, jk)
        {
            const char *s = json_string_value(jk);
            char sbuf[NOTE_SKEY_MAX];
            struct note_skey sk;
            struct note_vkey vk;

            assert_int_equal(note_skey_parse(s, strlen(s), &sk), 0);
            note_skey_vkey(&sk, &vk);
            assert_memory_equal(&vk, &keys[0], sizeof(vk));
            assert_int_equal(note_skey_format(&sk, sbuf, sizeof(sbuf)), 0);
            assert_string_equal(sbuf, s);
            note_skey_clear(&sk);
        }
        free(keys);
        free(verified);
    }
    assert_true(nvalid >= 8);
    assert_int_equal(ninvalid, 2);
    assert_int_equal(nresigned, 2);
    json_decref(root);
}

/* The two invalid vectors fail for the reasons the vectors give. */
static void test_vectors_reasons(void **state)
{
    json_t *root = vectors_load(VECTORS);
    json_t *vecs = json_object_get(root, "vectors");
    int codes[2], n = 0;
    size_t idx;
    json_t *v;

    (void)state;
    json_array_foreach(vecs, idx, v)
    {
        const char *msg = json_string_value(json_object_get(v, "note"));
        const char *vk = json_string_value(json_array_get(json_object_get(v, "vkeys"), 0));
        struct note_vkey key;

        if (strcmp(json_string_value(json_object_get(v, "expect")), "invalid") != 0)
            continue;
        assert_int_equal(note_vkey_parse(vk, strlen(vk), &key), 0);
        assert_true(n < 2);
        codes[n++] = open_str(msg, &key, 1, NULL);
    }
    assert_int_equal(n, 2);
    assert_int_equal(codes[0], ERR_CRYPTO);    /* corrupted signature from a known key */
    assert_int_equal(codes[1], ERR_NOT_FOUND); /* only an unknown key signed */
    json_decref(root);
}

/* The tessera test log: every checkpoint verifies and re-signs byte for byte with its skey. */
static void test_tessera_checkpoints(void **state)
{
    json_t *root = vectors_load(TESSERA);
    const char *vks = json_string_value(json_object_get(root, "log_vkey"));
    const char *sks = json_string_value(json_object_get(root, "log_skey_go_format"));
    const char *seed_hex = json_string_value(json_object_get(root, "log_private_seed_hex"));
    uint8_t seed[NOTE_SEED_LEN];
    struct note_skey sk, sk2;
    struct note_vkey vk, vk2;

    (void)state;
    assert_int_equal(note_vkey_parse(vks, strlen(vks), &vk), 0);
    assert_int_equal(note_skey_parse(sks, strlen(sks), &sk), 0);
    note_skey_vkey(&sk, &vk2);
    assert_memory_equal(&vk, &vk2, sizeof(vk));
    hex_to_bin(seed_hex, seed, sizeof(seed));
    assert_int_equal(note_skey_from_seed(vk.name, vk.name_len, seed, &sk2), 0);
    assert_memory_equal(&sk, &sk2, sizeof(sk));

    for (int size = 0; size <= 15; size++) {
        char path[512];
        size_t len, text_len = 0, outlen = 0;
        char *msg, *out = NULL;
        bool ok = false;

        snprintf(path, sizeof(path), "%s/checkpoint.%d", TESSERA_DIR, size);
        msg = file_slurp(path, &len);
        assert_int_equal(note_open(msg, len, &vk, 1, &ok, &text_len, NULL, 0), 0);
        assert_true(ok);
        assert_int_equal(note_sign(msg, text_len, &sk, &out, &outlen), 0);
        assert_int_equal(outlen, len);
        assert_memory_equal(out, msg, len);
        free(out);
        free(msg);
    }
    note_skey_clear(&sk);
    note_skey_clear(&sk2);
    json_decref(root);
}

/* ---- names, texts, key IDs ----------------------------------------------------------------- */

static void test_name_check(void **state)
{
    static const char *good[] = {
        "a",      "example.com/foo", "PeterNeumann", "caf\xc3\xa9", "\xe2\x80\x94",
        "x\x7fy", "sum.golang.org"};
    static const char *bad[] = {"",
                                "a+b",
                                "+",
                                "a b",
                                "a\tb",
                                "a\nb",
                                "a\x01"
                                "b",
                                "a\xc2\xa0"
                                "b", /* U+00A0 NO-BREAK SPACE */
                                "a\xc2\x85"
                                "b", /* U+0085 NEXT LINE */
                                "a\xe2\x80\x80"
                                "b", /* U+2000 EN QUAD */
                                "a\xe2\x80\xa8"
                                "b", /* U+2028 LINE SEPARATOR */
                                "a\xe3\x80\x80"
                                "b", /* U+3000 IDEOGRAPHIC SPACE */
                                "a\xe1\x9a\x80"
                                "b", /* U+1680 OGHAM SPACE MARK */
                                "\xff",
                                "\xc0\xaf",          /* overlong '/' */
                                "\xed\xa0\x80",      /* surrogate */
                                "\xe2\x80",          /* truncated */
                                "\xf4\x90\x80\x80"}; /* beyond U+10FFFF */
    char longname[NOTE_NAME_MAX + 2];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(note_name_check(good[i], strlen(good[i])), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(note_name_check(bad[i], strlen(bad[i])), ERR_INVALID);
    assert_int_equal(note_name_check("a\0b", 3), ERR_INVALID);
    memset(longname, 'n', sizeof(longname));
    assert_int_equal(note_name_check(longname, NOTE_NAME_MAX), 0);
    assert_int_equal(note_name_check(longname, NOTE_NAME_MAX + 1), ERR_INVALID);
}

static void test_text_check(void **state)
{
    static const char *good[] = {
        "a\n",          "\n", "a\n\nb\n", "a\n\n", "\n\n\n", "caf\xc3\xa9\n", EM_DASH " x AAAA\n",
        "del \x7f ok\n"};
    static const char *bad[] = {"",           "a",         "a\n\nb", "a\r\n",
                                "a\tb\n",     "\x1b[0m\n", "\xff\n", "\xed\xa0\x80\n",
                                "\xc0\xaf\n", "\xe2\x80\n"};
    char *big;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(note_text_check(good[i], strlen(good[i])), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(note_text_check(bad[i], strlen(bad[i])), ERR_INVALID);
    assert_int_equal(note_text_check("a\0\n", 3), ERR_INVALID);
    big = malloc(NOTE_MAX_SIZE + 1);
    assert_non_null(big);
    memset(big, 'x', NOTE_MAX_SIZE + 1);
    big[NOTE_MAX_SIZE] = '\n';
    assert_int_equal(note_text_check(big, NOTE_MAX_SIZE + 1), ERR_TOO_LARGE);
    big[NOTE_MAX_SIZE - 1] = '\n';
    assert_int_equal(note_text_check(big, NOTE_MAX_SIZE), 0);
    free(big);
}

static void test_key_id(void **state)
{
    uint8_t pub[NOTE_PUBKEY_LEN];

    (void)state;
    hex_to_bin("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6", pub,
               sizeof(pub));
    assert_int_equal(note_key_id("PeterNeumann", 12, pub), 0xc74f20a3u);
    assert_int_not_equal(note_key_id("PeterNeumanN", 12, pub), 0xc74f20a3u);
}

/* ---- vkeys and skeys ---------------------------------------------------------------------- */

static void test_vkey_roundtrip(void **state)
{
    struct note_skey sk;
    struct note_vkey vk, parsed, built;
    char buf[NOTE_VKEY_MAX], small[20];
    char longname[NOTE_NAME_MAX + 1];
    const char *sumdb = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

    (void)state;
    key_make("example.com/dissent", &sk, &vk);
    assert_int_equal(note_vkey_format(&vk, buf, sizeof(buf)), 0);
    assert_int_equal(strncmp(buf, "example.com/dissent+", 20), 0);
    assert_int_equal(note_vkey_parse(buf, strlen(buf), &parsed), 0);
    assert_memory_equal(&parsed, &vk, sizeof(vk));
    assert_int_equal(note_vkey_init(vk.name, vk.name_len, vk.pub, &built), 0);
    assert_memory_equal(&built, &vk, sizeof(vk));
    assert_int_equal(note_vkey_format(&vk, small, sizeof(small)), ERR_TOO_LARGE);
    assert_string_equal(small, "");
    assert_int_equal(note_vkey_init("bad name", 8, vk.pub, &built), ERR_INVALID);

    /* The longest name still fits NOTE_VKEY_MAX. */
    memset(longname, 'n', NOTE_NAME_MAX);
    longname[NOTE_NAME_MAX] = '\0';
    assert_int_equal(note_vkey_init(longname, NOTE_NAME_MAX, vk.pub, &built), 0);
    assert_int_equal(note_vkey_format(&built, buf, sizeof(buf)), 0);
    assert_int_equal(strlen(buf), NOTE_VKEY_MAX - 1);
    assert_int_equal(note_vkey_parse(buf, strlen(buf), &parsed), 0);
    assert_memory_equal(&parsed, &built, sizeof(built));

    /* The sumdb key's base64 holds '+'; only the first two split. Upper-case hex is read. */
    assert_int_equal(note_vkey_parse(sumdb, strlen(sumdb), &parsed), 0);
    assert_string_equal(parsed.name, "sum.golang.org");
    assert_int_equal(parsed.id, 0x033de0aeu);
    assert_int_equal(
        note_vkey_parse("sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                        strlen(sumdb), &built),
        0);
    assert_memory_equal(&parsed, &built, sizeof(built));
    note_skey_clear(&sk);
}

static void test_vkey_reject(void **state)
{
    static const char *bad[] = {
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",              /* empty name */
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* wrong id */
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   /* short id */
        "PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* long id */
        "PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* not hex */
        "PeterNeumann+-74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* sign */
        "peterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  /* other name */
        "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* '+' in name */
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* space */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",   /* bad base64 */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=", /* bad padding */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",  /* URL-safe */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ", /* trailing */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy",         /* too short */
        "PeterNeumann+c74f20a3+AQ==",                                             /* type only */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", /* 34 bytes */
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",     /* type 0x02 */
    };
    const char *good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    struct note_vkey vk;
    uint8_t blob[33], digest[HASH_SHA256_LEN], hb[64];
    char buf[NOTE_VKEY_MAX], b64[64];
    size_t n;

    (void)state;
    assert_int_equal(note_vkey_parse(good, strlen(good), &vk), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&vk, 0xAA, sizeof(vk));
        assert_int_equal(note_vkey_parse(bad[i], strlen(bad[i]), &vk), ERR_INVALID);
        assert_int_equal(vk.name_len, 0); /* zeroed on failure */
        assert_int_equal(vk.id, 0);
    }
    /* The string is taken by length, not up to a NUL. */
    assert_int_equal(note_vkey_parse(good, strlen(good) - 1, &vk), ERR_INVALID);

    /* Type byte 0x02 with a key ID computed correctly for it is still refused. */
    assert_int_equal(b64_decode(blob, sizeof(blob), &n, good + 22, strlen(good) - 22, false), 0);
    assert_int_equal(n, 33);
    blob[0] = 0x02;
    memcpy(hb, "PeterNeumann\n", 13);
    memcpy(hb + 13, blob, 33);
    hash_sha256(digest, hb, 46);
    b64_encode(b64, sizeof(b64), blob, 33, false);
    snprintf(buf, sizeof(buf), "PeterNeumann+%02x%02x%02x%02x+%s", digest[0], digest[1], digest[2],
             digest[3], b64);
    assert_int_equal(note_vkey_parse(buf, strlen(buf), &vk), ERR_INVALID);
}

static void test_skey_roundtrip(void **state)
{
    struct note_skey sk, parsed, again;
    struct note_vkey vk, vk2;
    char buf[NOTE_SKEY_MAX], vbuf[NOTE_VKEY_MAX], small[40];
    uint8_t secret[NOTE_SECRETKEY_LEN];

    (void)state;
    key_make("log.example/dissent", &sk, &vk);
    assert_int_equal(note_skey_format(&sk, buf, sizeof(buf)), 0);
    assert_int_equal(strncmp(buf, "PRIVATE+KEY+log.example/dissent+", 32), 0);
    assert_int_equal(note_skey_parse(buf, strlen(buf), &parsed), 0);
    assert_memory_equal(&parsed, &sk, sizeof(sk));
    note_skey_vkey(&parsed, &vk2);
    assert_memory_equal(&vk2, &vk, sizeof(vk));
    /* The vkey is the skey minus "PRIVATE+KEY+" and with the public key for the seed. */
    assert_int_equal(note_vkey_format(&vk, vbuf, sizeof(vbuf)), 0);
    assert_int_equal(strncmp(vbuf, buf + 12, vk.name_len + 10), 0);
    assert_int_equal(note_skey_format(&sk, small, sizeof(small)), ERR_TOO_LARGE);
    assert_string_equal(small, "");

    /* From a libsodium-style 64-byte secret key; an altered public half is refused. */
    memcpy(secret, sk.sk, sizeof(secret));
    assert_int_equal(note_skey_from_secret(sk.name, sk.name_len, secret, &again), 0);
    assert_memory_equal(&again, &sk, sizeof(sk));
    secret[63] ^= 1;
    assert_int_equal(note_skey_from_secret(sk.name, sk.name_len, secret, &again), ERR_INVALID);
    assert_int_equal(again.name_len, 0);
    assert_int_equal(note_skey_from_secret("a b", 3, sk.sk, &again), ERR_INVALID);

    /* From the key pair as stored, without re-deriving: the same key; a public half other than
     * the given one, or a bad name, refused. A seed that does not match is not caught here, but
     * every signature it makes fails under the public key (what workflow.c checks). */
    memcpy(secret, sk.sk, sizeof(secret));
    assert_int_equal(note_skey_from_keypair(sk.name, sk.name_len, secret, vk.pub, &again), 0);
    assert_memory_equal(&again, &sk, sizeof(sk));
    assert_int_equal(note_skey_from_keypair("a b", 3, secret, vk.pub, &again), ERR_INVALID);
    assert_int_equal(again.name_len, 0);
    secret[63] ^= 1;
    assert_int_equal(note_skey_from_keypair(sk.name, sk.name_len, secret, vk.pub, &again),
                     ERR_INVALID);
    secret[63] ^= 1;
    secret[0] ^= 1; /* another seed, the same public half */
    assert_int_equal(note_skey_from_keypair(sk.name, sk.name_len, secret, vk.pub, &again), 0);
    {
        char *note = NULL;
        size_t note_len = 0, text_len = 0;
        bool ok = true;
        assert_int_equal(note_sign("a text\n", 7, &again, &note, &note_len), 0);
        assert_int_equal(note_open(note, note_len, &vk, 1, &ok, &text_len, NULL, 0), ERR_CRYPTO);
        assert_false(ok);
        mem_free(note);
    }
    sodium_memzero(secret, sizeof(secret));

    /* Two generated keys differ. */
    assert_int_equal(note_skey_generate("log.example/dissent", 19, &again), 0);
    assert_memory_not_equal(again.sk, sk.sk, sizeof(sk.sk));

    note_skey_clear(&sk);
    note_skey_clear(&parsed);
    note_skey_clear(&again);
    for (size_t i = 0; i < sizeof(sk); i++)
        assert_int_equal(((unsigned char *)&sk)[i], 0);
    note_skey_clear(NULL);
}

static void test_skey_reject(void **state)
{
    static const char *bad[] = {
        "",
        "PRIVATE+KEY+",
        "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", /* no prefix */
        "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEYS+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+EnochRoot+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHK",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFzAA==",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF!",
        "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    };
    const char *good =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    struct note_skey sk;

    (void)state;
    assert_int_equal(note_skey_parse(good, strlen(good), &sk), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&sk, 0xAA, sizeof(sk));
        assert_int_equal(note_skey_parse(bad[i], strlen(bad[i]), &sk), ERR_INVALID);
        for (size_t b = 0; b < sizeof(sk); b++)
            assert_int_equal(((unsigned char *)&sk)[b], 0);
    }
    /* A vkey is not an skey, and an skey is not a vkey. */
    {
        struct note_vkey vk;

        assert_int_equal(note_vkey_parse(good, strlen(good), &vk), ERR_INVALID);
    }
}

/* ---- signing and verifying ------------------------------------------------------------------ */

static void test_sign_roundtrip(void **state)
{
    static const char *texts[] = {"hello\n",
                                  "\n",
                                  "a\n\nb\n",
                                  "ends blank\n\n",
                                  "\n\n\n",
                                  "looks like a sig\n\n" EM_DASH " x AAAAAAAA\n",
                                  "unicode caf\xc3\xa9 \xe2\x80\x94 ok\n"};
    struct note_skey sk;
    struct note_vkey vk;

    (void)state;
    key_make("example.com/signer", &sk, &vk);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        const char *t = texts[i];
        size_t tl = strlen(t), outlen = 0, text_len = 0;
        char *out = NULL;
        bool ok = false;
        struct note n;

        assert_int_equal(note_sign(t, tl, &sk, &out, &outlen), 0);
        assert_int_equal(strlen(out), outlen);
        assert_memory_equal(out, t, tl);
        assert_int_equal(out[tl], '\n');
        assert_int_equal(strncmp(out + tl + 1, EM_DASH " example.com/signer ", 23), 0);
        assert_int_equal(outlen, tl + 1 + 4 + 18 + 1 + 92 + 1);
        assert_int_equal(note_open(out, outlen, &vk, 1, &ok, &text_len, NULL, 0), 0);
        assert_true(ok);
        assert_int_equal(text_len, tl);

        assert_int_equal(note_parse(out, outlen, &n, NULL, 0), 0);
        assert_ptr_equal(n.text, out);
        assert_int_equal(n.text_len, tl);
        assert_int_equal(n.nsigs, 1);
        assert_int_equal(n.sigs[0].name_len, 18);
        assert_memory_equal(n.sigs[0].name, "example.com/signer", 18);
        assert_int_equal(n.sigs[0].id, vk.id);
        assert_int_equal(n.sigs[0].sig_len, NOTE_SIG_LEN);
        assert_int_equal(n.sigs[0].line_len, outlen - tl - 2);
        assert_int_equal(note_verify(&n, &vk, 1, NULL, NULL, 0), 0);
        note_release(&n);
        note_release(&n);
        free(out);
    }
    note_skey_clear(&sk);
}

static void test_sign_reject(void **state)
{
    struct note_skey sk;
    struct note_vkey vk;
    char *out = (char *)1, *big;
    size_t outlen = 7;

    (void)state;
    key_make("signer", &sk, &vk);
    assert_int_equal(note_sign("no newline", 10, &sk, &out, &outlen), ERR_INVALID);
    assert_null(out);
    assert_int_equal(outlen, 0);
    assert_int_equal(note_sign("", 0, &sk, &out, &outlen), ERR_INVALID);
    assert_int_equal(note_sign("tab\there\n", 9, &sk, &out, &outlen), ERR_INVALID);
    assert_int_equal(note_sign("cr\r\n", 4, &sk, &out, &outlen), ERR_INVALID);
    assert_int_equal(note_sign("\xff\n", 2, &sk, &out, &outlen), ERR_INVALID);
    assert_null(out);

    /* A key struct with a bad name cannot sign. */
    memcpy(sk.name, "bad name", 9);
    sk.name_len = 8;
    assert_int_equal(note_sign("text\n", 5, &sk, &out, &outlen), ERR_INVALID);
    memcpy(sk.name, "signer", 7);
    sk.name_len = 6;

    /* The text fits but the signed note would not. */
    big = malloc(NOTE_MAX_SIZE);
    assert_non_null(big);
    memset(big, 'x', NOTE_MAX_SIZE);
    big[NOTE_MAX_SIZE - 1] = '\n';
    assert_int_equal(note_sign(big, NOTE_MAX_SIZE, &sk, &out, &outlen), ERR_TOO_LARGE);
    assert_null(out);
    free(big);
    note_skey_clear(&sk);
}

/* Signing twice with the same key gives the same bytes; a second key can add its signature. */
static void test_sign_add(void **state)
{
    struct note_skey a, b;
    struct note_vkey keys[3];
    char *one = NULL, *two = NULL, *again = NULL, *three = NULL, *bonly = NULL;
    size_t l1, l2, l3, lagain, lb, text_len;
    bool ok[3];
    struct note n;

    (void)state;
    key_make("a.example/one", &a, &keys[0]);
    key_make("b.example/two", &b, &keys[1]);
    assert_int_equal(note_sign("memo\n", 5, &a, &one, &l1), 0);
    assert_int_equal(note_sign_add(one, l1, &b, &two, &l2), 0);
    assert_int_equal(l2, l1 + 4 + 13 + 1 + 92 + 1);
    assert_memory_equal(two, one, l1);
    assert_int_equal(note_open(two, l2, keys, 2, ok, &text_len, NULL, 0), 0);
    assert_true(ok[0] && ok[1]);
    assert_int_equal(text_len, 5);

    /* Re-adding a's signature moves it last; nothing is duplicated. */
    assert_int_equal(note_sign_add(two, l2, &a, &again, &lagain), 0);
    assert_int_equal(lagain, l2);
    assert_int_equal(note_parse(again, lagain, &n, NULL, 0), 0);
    assert_int_equal(n.nsigs, 2);
    assert_int_equal(n.sigs[0].id, keys[1].id);
    assert_int_equal(n.sigs[1].id, keys[0].id);
    note_release(&n);
    assert_int_equal(note_open(again, lagain, keys, 2, ok, NULL, NULL, 0), 0);
    assert_true(ok[0] && ok[1]);

    /* Re-adding the only signer's signature is idempotent (Ed25519 is deterministic). */
    assert_int_equal(note_sign("memo\n", 5, &b, &bonly, &lb), 0);
    assert_int_equal(note_sign_add(bonly, lb, &b, &three, &l3), 0);
    assert_int_equal(l3, lb);
    assert_memory_equal(three, bonly, lb);

    /* Only a known: a's verified flag is the one set, b's line is ignored. */
    keys[2] = keys[1];
    keys[2].id ^= 1; /* b's name with another ID: an unknown key */
    assert_int_equal(
        note_open(two, l2, (struct note_vkey[]){keys[0], keys[2]}, 2, ok, NULL, NULL, 0), 0);
    assert_true(ok[0]);
    assert_false(ok[1]);

    /* Adding to a malformed note fails. */
    free(three);
    three = NULL;
    assert_int_equal(note_sign_add("memo\n", 5, &a, &three, &l3), ERR_INVALID);
    assert_null(three);

    free(one);
    free(two);
    free(again);
    free(bonly);
    note_skey_clear(&a);
    note_skey_clear(&b);
}

/* Multi-signer: the x/mod two-signature vector plus PeterNeumann re-added. */
static void test_sign_add_vector(void **state)
{
    const char *text = "If you think cryptography is the answer to your problem,\n"
                       "then you don't know what your problem is.\n";
    const char *peter = EM_DASH " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
                                "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const char *enoch = EM_DASH " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+"
                                "vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
    const char *skey =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    char both[1024], expect[1024], *out = NULL;
    size_t outlen;
    struct note_skey sk;

    (void)state;
    snprintf(both, sizeof(both), "%s\n%s%s", text, peter, enoch);
    snprintf(expect, sizeof(expect), "%s\n%s%s", text, enoch, peter);
    assert_int_equal(note_skey_parse(skey, strlen(skey), &sk), 0);
    assert_int_equal(note_sign_add(both, strlen(both), &sk, &out, &outlen), 0);
    assert_string_equal(out, expect);
    free(out);
    note_skey_clear(&sk);
}

/* A fixture note for the tampering cases: signed by "t.example/k", text "line one\nline two\n". */
struct fixture {
    struct note_skey sk;
    struct note_vkey vk;
    char *msg;
    size_t len;
};

static void fixture_make(struct fixture *f)
{
    key_make("t.example/k", &f->sk, &f->vk);
    assert_int_equal(note_sign("line one\nline two\n", 18, &f->sk, &f->msg, &f->len), 0);
    assert_int_equal(open_str(f->msg, &f->vk, 1, NULL), 0);
}

static void fixture_free(struct fixture *f)
{
    free(f->msg);
    note_skey_clear(&f->sk);
}

/* Where the base64 of the fixture's signature starts. */
static char *fixture_b64(struct fixture *f)
{
    char *p = strstr(f->msg, EM_DASH " t.example/k ");

    assert_non_null(p);
    return p + 4 + 11 + 1;
}

static void test_tamper_text(void **state)
{
    struct fixture f;
    bool ok = true;
    char err[128] = "";

    (void)state;
    fixture_make(&f);
    patch(f.msg, "line one", "line 0ne");
    assert_int_equal(note_open(f.msg, f.len, &f.vk, 1, &ok, NULL, err, sizeof(err)), ERR_CRYPTO);
    assert_false(ok);
    assert_true(strlen(err) > 0);
    patch(f.msg, "line 0ne", "line one");
    /* Text truncated (a line removed) also fails. */
    assert_int_equal(open_str(f.msg + 9, &f.vk, 1, NULL), ERR_CRYPTO);
    fixture_free(&f);
}

static void test_tamper_signature(void **state)
{
    struct fixture f;
    uint8_t blob[68];
    char *b64;
    size_t n;

    (void)state;
    fixture_make(&f);
    b64 = fixture_b64(&f);
    assert_int_equal(b64_decode(blob, sizeof(blob), &n, b64, 92, false), 0);
    assert_int_equal(n, 68);

    for (size_t byte = 4; byte < 68; byte += 9) {
        blob[byte] ^= 0x01;
        b64_encode(b64, 93, blob, 68, false);
        b64[92] = '\n';
        assert_int_equal(open_str(f.msg, &f.vk, 1, NULL), ERR_CRYPTO);
        blob[byte] ^= 0x01;
    }
    b64_encode(b64, 93, blob, 68, false);
    b64[92] = '\n';
    assert_int_equal(open_str(f.msg, &f.vk, 1, NULL), 0);

    /* Key ID changed: the line no longer names a known key, so nothing verifies. */
    blob[0] ^= 0x80;
    b64_encode(b64, 93, blob, 68, false);
    b64[92] = '\n';
    assert_int_equal(open_str(f.msg, &f.vk, 1, NULL), ERR_NOT_FOUND);
    fixture_free(&f);
}

static void test_wrong_key(void **state)
{
    struct fixture f;
    struct note_skey other;
    struct note_vkey ovk, same_name;

    (void)state;
    fixture_make(&f);
    /* Another key under the same name has another ID: unknown, ignored, nothing verifies. */
    key_make("t.example/k", &other, &ovk);
    assert_int_equal(open_str(f.msg, &ovk, 1, NULL), ERR_NOT_FOUND);
    /* The right ID and name but a different public key (an ID collision): a bad signature. */
    same_name = f.vk;
    memcpy(same_name.pub, ovk.pub, sizeof(same_name.pub));
    assert_int_equal(open_str(f.msg, &same_name, 1, NULL), ERR_CRYPTO);
    /* No keys at all. */
    assert_int_equal(open_str(f.msg, NULL, 0, NULL), ERR_NOT_FOUND);
    /* Ambiguous key set. */
    assert_int_equal(open_str(f.msg, (struct note_vkey[]){f.vk, f.vk}, 2, NULL), ERR_INVALID);
    note_skey_clear(&other);
    fixture_free(&f);
}

/* Build text + "\n" + the fixture's signature line with @edit applied, and expect @rc. */
static void expect_open(const char *msg, const struct note_vkey *vk, int rc)
{
    bool ok = true;
    size_t text_len = 5;

    assert_int_equal(note_open(msg, strlen(msg), vk, 1, &ok, &text_len, NULL, 0), rc);
    assert_false(ok);
    assert_int_equal(text_len, 0);
}

static void test_malformed(void **state)
{
    struct fixture f;
    char *m, *line;
    size_t text_len = 18, line_len;

    (void)state;
    fixture_make(&f);
    line = f.msg + text_len + 1;
    line_len = f.len - text_len - 1;
    m = malloc(f.len + 64);
    assert_non_null(m);

    /* Missing final newline. */
    memcpy(m, f.msg, f.len - 1);
    m[f.len - 1] = '\0';
    expect_open(m, &f.vk, ERR_INVALID);

    /* No blank line before the signatures. */
    memcpy(m, f.msg, text_len);
    memcpy(m + text_len, line, line_len + 1);
    expect_open(m, &f.vk, ERR_INVALID);

    /* Hyphen or en dash instead of the em dash, or no space after it. */
    memcpy(m, f.msg, f.len + 1);
    patch(m, EM_DASH " ", "--- ");
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    patch(m, EM_DASH, "\xe2\x80\x93");
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    patch(m, EM_DASH " ", EM_DASH "_");
    expect_open(m, &f.vk, ERR_INVALID);

    /* Bad base64: a stray character, URL-safe alphabet, a missing pad, nothing at all. */
    memcpy(m, f.msg, f.len + 1);
    m[f.len - 5] = '!';
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    m[f.len - 2] = '\n'; /* '=' padding dropped */
    m[f.len - 1] = '\0';
    expect_open(m, &f.vk, ERR_INVALID);
    snprintf(m, f.len + 64, "line one\nline two\n\n" EM_DASH " t.example/k \n");
    expect_open(m, &f.vk, ERR_INVALID);
    snprintf(m, f.len + 64, "line one\nline two\n\n" EM_DASH " t.example/k\n");
    expect_open(m, &f.vk, ERR_INVALID);
    snprintf(m, f.len + 64, "line one\nline two\n\n" EM_DASH " t.example/k AAAAAA==\n");
    expect_open(m, &f.vk, ERR_INVALID); /* 4 bytes: a key ID and no signature */
    snprintf(m, f.len + 64, "line one\nline two\n\n" EM_DASH "  AAAAAAA=\n");
    expect_open(m, &f.vk, ERR_INVALID); /* empty name */
    snprintf(m, f.len + 64, "line one\nline two\n\n" EM_DASH " a+b AAAAAAA=\n");
    expect_open(m, &f.vk, ERR_INVALID); /* '+' in name */

    /* Two spaces between name and signature. */
    memcpy(m, f.msg, f.len + 1);
    m[fixture_b64(&f) - f.msg] = ' ';
    expect_open(m, &f.vk, ERR_INVALID);

    /* Non-UTF-8 in the text, in the name, a control character, CRLF line ends. */
    memcpy(m, f.msg, f.len + 1);
    m[2] = '\xff';
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    m[3] = '\xc3'; /* lead byte followed by ASCII */
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    m[4] = '\t';
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    m[7] = '\r';
    expect_open(m, &f.vk, ERR_INVALID);
    memcpy(m, f.msg, f.len + 1);
    patch(m, "t.example/k", "t.exampl\xe9/k");
    expect_open(m, &f.vk, ERR_INVALID);
    /* An embedded NUL is a control character. */
    memcpy(m, f.msg, f.len + 1);
    m[3] = '\0';
    assert_int_equal(note_open(m, f.len, &f.vk, 1, NULL, NULL, NULL, 0), ERR_INVALID);

    /* A blank line after the signatures, and an empty signature block. */
    memcpy(m, f.msg, f.len + 1);
    m[f.len] = '\n';
    m[f.len + 1] = '\0';
    expect_open(m, &f.vk, ERR_INVALID);
    expect_open("line one\n\n", &f.vk, ERR_INVALID);
    expect_open("", &f.vk, ERR_INVALID);
    expect_open("\n", &f.vk, ERR_INVALID);
    expect_open("\n\n", &f.vk, ERR_INVALID);

    /* A text line after the signatures. */
    memcpy(m, f.msg, f.len + 1);
    memcpy(m + f.len, "more\n", 6);
    expect_open(m, &f.vk, ERR_INVALID);

    free(m);
    fixture_free(&f);
}

/* An unknown key's lines are skipped whatever their signature length; known lines all count. */
static void test_unknown_and_duplicates(void **state)
{
    struct fixture f;
    char *m, *line;
    size_t mlen, text_len = 18, line_len;
    char unk[600];
    bool ok;

    (void)state;
    fixture_make(&f);
    line = f.msg + text_len + 1;
    line_len = f.len - text_len - 1;
    m = malloc(f.len * 3 + sizeof(unk));
    assert_non_null(m);

    /* An unknown key with a 300-byte signature (as a post-quantum scheme might have). */
    {
        uint8_t blob[304];
        char b64[512];

        memset(blob, 0x5A, sizeof(blob));
        b64_encode(b64, sizeof(b64), blob, sizeof(blob), false);
        snprintf(unk, sizeof(unk), EM_DASH " pq.example/w %s\n", b64);
    }
    mlen = (size_t)snprintf(m, f.len * 3 + sizeof(unk), "%.*s%s%.*s", (int)(text_len + 1), f.msg,
                            unk, (int)line_len, line);
    ok = false;
    assert_int_equal(note_open(m, mlen, &f.vk, 1, &ok, NULL, NULL, 0), 0);
    assert_true(ok);

    /* The same valid line twice is fine. */
    mlen = (size_t)snprintf(m, f.len * 3 + sizeof(unk), "%s%.*s", f.msg, (int)line_len, line);
    assert_int_equal(note_open(m, mlen, &f.vk, 1, &ok, NULL, NULL, 0), 0);

    /* A second line by the known key with a bad signature fails the note (x/mod skips it). */
    m[mlen - 10] = m[mlen - 10] == 'A' ? 'B' : 'A';
    assert_int_equal(note_open(m, mlen, &f.vk, 1, &ok, NULL, NULL, 0), ERR_CRYPTO);
    assert_false(ok);

    /* A known name and ID with a signature of the wrong length is a bad signature. */
    {
        uint8_t blob[4 + 63];
        char b64[128];

        memset(blob, 0, sizeof(blob));
        blob[0] = (uint8_t)(f.vk.id >> 24);
        blob[1] = (uint8_t)(f.vk.id >> 16);
        blob[2] = (uint8_t)(f.vk.id >> 8);
        blob[3] = (uint8_t)f.vk.id;
        b64_encode(b64, sizeof(b64), blob, sizeof(blob), false);
        mlen = (size_t)snprintf(m, f.len * 3 + sizeof(unk), "%s" EM_DASH " t.example/k %s\n", f.msg,
                                b64);
        assert_int_equal(note_open(m, mlen, &f.vk, 1, &ok, NULL, NULL, 0), ERR_CRYPTO);
    }
    free(m);
    fixture_free(&f);
}

/* NOTE_MAX_SIGS lines are accepted, one more is refused; the size cap holds. */
static void test_limits(void **state)
{
    struct fixture f;
    char *m, *line, *big;
    size_t text_len = 18, line_len, off;
    struct note n;
    char err[128] = "";

    (void)state;
    fixture_make(&f);
    line = f.msg + text_len + 1;
    line_len = f.len - text_len - 1;
    m = malloc(text_len + 1 + (NOTE_MAX_SIGS + 1) * line_len + 1);
    assert_non_null(m);
    memcpy(m, f.msg, text_len + 1);
    off = text_len + 1;
    for (int i = 0; i < NOTE_MAX_SIGS; i++) {
        memcpy(m + off, line, line_len);
        off += line_len;
    }
    assert_int_equal(note_parse(m, off, &n, NULL, 0), 0);
    assert_int_equal(n.nsigs, NOTE_MAX_SIGS);
    note_release(&n);
    assert_int_equal(note_open(m, off, &f.vk, 1, NULL, NULL, NULL, 0), 0);
    memcpy(m + off, line, line_len);
    off += line_len;
    assert_int_equal(note_parse(m, off, &n, err, sizeof(err)), ERR_TOO_LARGE);
    assert_null(n.sigs);
    assert_int_equal(n.nsigs, 0);
    assert_true(strlen(err) > 0);
    assert_int_equal(note_open(m, off, &f.vk, 1, NULL, NULL, NULL, 0), ERR_TOO_LARGE);
    free(m);

    /* One byte over the size cap. */
    big = malloc(NOTE_MAX_SIZE + 1);
    assert_non_null(big);
    memset(big, 'x', NOTE_MAX_SIZE + 1);
    memcpy(big + NOTE_MAX_SIZE + 1 - f.len, f.msg, f.len);
    assert_int_equal(note_open(big, NOTE_MAX_SIZE + 1, &f.vk, 1, NULL, NULL, NULL, 0),
                     ERR_TOO_LARGE);
    free(big);

    /* note_sign_add refuses to go past NOTE_MAX_SIGS lines. */
    {
        struct note_skey other;
        struct note_vkey ovk;
        char *out = NULL;
        size_t outlen = 0;

        key_make("other", &other, &ovk);
        m = malloc(text_len + 1 + NOTE_MAX_SIGS * line_len + 1);
        assert_non_null(m);
        memcpy(m, f.msg, text_len + 1);
        off = text_len + 1;
        for (int i = 0; i < NOTE_MAX_SIGS; i++) {
            memcpy(m + off, line, line_len);
            off += line_len;
        }
        assert_int_equal(note_sign_add(m, off, &other, &out, &outlen), ERR_TOO_LARGE);
        assert_null(out);
        /* Re-signing with the key already present replaces its lines instead. */
        assert_int_equal(note_sign_add(m, off, &f.sk, &out, &outlen), 0);
        assert_string_equal(out, f.msg);
        free(out);
        free(m);
        note_skey_clear(&other);
    }
    fixture_free(&f);
}

static void test_verify_args(void **state)
{
    bool ok[2] = {true, true};

    (void)state;
    assert_int_equal(note_verify(NULL, NULL, 0, NULL, NULL, 0), ERR_INVALID);
    {
        struct note empty = {0};

        assert_int_equal(note_verify(&empty, NULL, 2, ok, NULL, 0), ERR_INVALID);
        assert_false(ok[0] || ok[1]);
    }
    note_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_vectors_reasons),
        cmocka_unit_test(test_tessera_checkpoints),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_text_check),
        cmocka_unit_test(test_key_id),
        cmocka_unit_test(test_vkey_roundtrip),
        cmocka_unit_test(test_vkey_reject),
        cmocka_unit_test(test_skey_roundtrip),
        cmocka_unit_test(test_skey_reject),
        cmocka_unit_test(test_sign_roundtrip),
        cmocka_unit_test(test_sign_reject),
        cmocka_unit_test(test_sign_add),
        cmocka_unit_test(test_sign_add_vector),
        cmocka_unit_test(test_tamper_text),
        cmocka_unit_test(test_tamper_signature),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unknown_and_duplicates),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_verify_args),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
