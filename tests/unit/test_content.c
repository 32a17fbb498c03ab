/*
 * Content fields bound to their place, framed and padded (core/content.c).
 */
#include "testutil.h"

#include "core/content.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID "0123456789abcdef01234567"

static const struct content_place title = {.field = "title"};
static const struct content_place body = {.field = "body"};
static const struct content_place bob_comment = {.field = "comment", .who = 7, .at = 1000};

/* Whether @ct opens at (@id, @place); the text and version when it does. */
static int try_open(const uint8_t *key, const char *id, const struct content_place *place,
                    const uint8_t *ct, size_t n, char **out, uint64_t *version)
{
    size_t len = 0;

    *out = NULL;
    return content_open(key, id, place, ct, n, out, &len, version);
}

static void round_trip_and_version(void **state)
{
    uint8_t key[CONTENT_KEY_LEN], *ct = NULL;
    size_t n = 0, len = 0;
    uint64_t v = 0;
    char *pt = NULL;

    seal_key_new(key);
    assert_int_equal(content_seal(key, ID, &title, 42, "A title", 7, &ct, &n), 0);
    assert_int_equal(content_open(key, ID, &title, ct, n, &pt, &len, &v), 0);
    assert_int_equal(len, 7);
    assert_string_equal(pt, "A title");
    assert_int_equal(v, 42);
    free(pt);
    /* an empty text too */
    free(ct);
    assert_int_equal(content_seal(key, ID, &body, 3, "", 0, &ct, &n), 0);
    assert_int_equal(content_open(key, ID, &body, ct, n, &pt, &len, &v), 0);
    assert_int_equal(len, 0);
    assert_string_equal(pt, "");
    assert_int_equal(v, 3);
    free(pt);
    free(ct);
    /* NULL in: nothing */
    assert_int_equal(content_open(key, ID, &body, NULL, 0, &pt, &len, &v), 0);
    assert_null(pt);
}

static void bound_to_place(void **state)
{
    uint8_t key[CONTENT_KEY_LEN], other[CONTENT_KEY_LEN], *ct = NULL;
    struct content_place alice = bob_comment, later = bob_comment, ev = bob_comment;
    size_t n = 0;
    char *pt = NULL;

    seal_key_new(key);
    seal_key_new(other);
    alice.who = 8;
    later.at = 1001;
    ev.field = "event";
    ev.kind = "extended";
    assert_int_equal(content_seal(key, ID, &bob_comment, 0, "Bob's point", 11, &ct, &n), 0);
    assert_int_equal(try_open(key, ID, &bob_comment, ct, n, &pt, NULL), 0);
    assert_string_equal(pt, "Bob's point");
    free(pt);
    /* another author, time, field, memo or key: refused */
    assert_int_equal(try_open(key, ID, &alice, ct, n, &pt, NULL), ERR_CRYPTO);
    assert_int_equal(try_open(key, ID, &later, ct, n, &pt, NULL), ERR_CRYPTO);
    assert_int_equal(try_open(key, ID, &ev, ct, n, &pt, NULL), ERR_CRYPTO);
    assert_int_equal(try_open(key, "fedcba9876543210fedcba98", &bob_comment, ct, n, &pt, NULL),
                     ERR_CRYPTO);
    assert_int_equal(try_open(other, ID, &bob_comment, ct, n, &pt, NULL), ERR_CRYPTO);
    /* a flipped byte: refused */
    ct[n / 2] ^= 1;
    assert_int_equal(try_open(key, ID, &bob_comment, ct, n, &pt, NULL), ERR_CRYPTO);
    assert_null(pt);
    free(ct);
    /* an event's kind is bound: an "invited" detail cannot pass for an "extended" one */
    ev.kind = "invited";
    assert_int_equal(content_seal(key, ID, &ev, 0, "3", 1, &ct, &n), 0);
    ev.kind = "extended";
    assert_int_equal(try_open(key, ID, &ev, ct, n, &pt, NULL), ERR_CRYPTO);
    free(ct);
}

static void padded_to_buckets(void **state)
{
    uint8_t key[CONTENT_KEY_LEN], *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char big[3000];

    seal_key_new(key);
    assert_int_equal(content_padded(0), CONTENT_PAD_MIN);
    assert_int_equal(content_padded(CONTENT_PAD_MIN - 12), CONTENT_PAD_MIN);
    assert_int_equal(content_padded(CONTENT_PAD_MIN - 11), 2 * CONTENT_PAD_MIN);
    assert_int_equal(content_padded(200u * 1024u), 256u * 1024u);
    /* one byte and 200 bytes: the same stored size */
    assert_int_equal(content_seal(key, ID, &body, 1, "x", 1, &a, &na), 0);
    memset(big, 'y', sizeof(big));
    assert_int_equal(content_seal(key, ID, &body, 1, big, 200, &b, &nb), 0);
    assert_int_equal(na, nb);
    assert_int_equal(na, CONTENT_PAD_MIN + SEAL_AEAD_OVERHEAD);
    free(b);
    assert_int_equal(content_seal(key, ID, &body, 1, big, sizeof(big), &b, &nb), 0);
    assert_int_equal(nb, 4096 + SEAL_AEAD_OVERHEAD);
    free(a);
    free(b);
}

/* A text of the older format (associated data "<id>/<field>", no frame) still opens, as
 * version 0, at its memo and field only. */
static void older_format(void **state)
{
    uint8_t key[CONTENT_KEY_LEN], *ct = NULL;
    size_t n = 0, len = 0;
    uint64_t v = 9;
    char *pt = NULL;

    seal_key_new(key);
    assert_int_equal(seal_encrypt(key, ID "/title", "Old title", 9, &ct, &n), 0);
    assert_int_equal(content_open(key, ID, &title, ct, n, &pt, &len, &v), 0);
    assert_string_equal(pt, "Old title");
    assert_int_equal(len, 9);
    assert_int_equal(v, 0);
    free(pt);
    assert_int_equal(try_open(key, ID, &body, ct, n, &pt, NULL), ERR_CRYPTO);
    free(ct);
}

static void text_columns(void **state)
{
    struct content_place ext = {.field = "event", .kind = "extended", .who = 3, .at = 99};
    uint8_t key[CONTENT_KEY_LEN];
    char *enc = NULL, *dec = NULL;

    seal_key_new(key);
    assert_int_equal(
        content_seal_text(key, ID, &ext, "until 2026-01-01: because ReasonMarker", &enc), 0);
    assert_int_equal(strncmp(enc, "enc:", 4), 0);
    /* a word long enough that base64 never spells it by chance ("why" once did) */
    assert_null(strstr(enc, "ReasonMarker"));
    assert_int_equal(content_open_text(key, ID, &ext, enc, &dec), 0);
    assert_string_equal(dec, "until 2026-01-01: because ReasonMarker");
    free(dec);
    ext.at = 100;
    assert_int_equal(content_open_text(key, ID, &ext, enc, &dec), ERR_CRYPTO);
    /* no clear text passes for the memo's own: the fallback is gone */
    assert_int_equal(content_open_text(key, ID, &ext, "until 2030-01-01: forged", &dec),
                     ERR_CRYPTO);
    assert_int_equal(content_open_text(key, ID, &ext, "enc:!!!", &dec), ERR_CRYPTO);
    assert_null(dec);
    free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_version), cmocka_unit_test(bound_to_place),
        cmocka_unit_test(padded_to_buckets),      cmocka_unit_test(older_format),
        cmocka_unit_test(text_columns),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
