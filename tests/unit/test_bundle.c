/*
 * test_bundle.c - memo bundles: a valid bundle made with fresh keys, every tampering the
 * verifier must catch (each with its own fault), the JSON shape and the limits.
 */
#include "testutil.h"

#include "core/bundle.h"
#include "core/memo.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>

#define NSIG 3
#define ID "0123456789abcdef01234567"
#define OTHER_ID "fedcba9876543210fedcba98"
#define TITLE "On the policy"
#define BODY "We dissent.\r\nFirst reason.\r\n"

/* A valid three-signer bundle and everything it was made from. */
struct fixture {
    char *text;                          /* canonical text */
    size_t text_len;                     /* bytes of text */
    uint8_t digest[HASH_SHA256_LEN];     /* its digest */
    char b64[MEMO_DIGEST_B64_LEN + 1];   /* base64 of digest */
    struct note_skey sk[NSIG];           /* the signers' keys */
    char vkey[NSIG][NOTE_VKEY_MAX];      /* their vkeys */
    char *note[NSIG];                    /* their co-signature notes */
    struct bundle_str signers[NSIG + 1]; /* views for b (one spare slot) */
    struct bundle_str sigs[NSIG + 1];    /* views for b */
    struct bundle_str vkeys[NSIG + 1];   /* views for b */
    char *scratch[8];                    /* strings a test made; freed with the fixture */
    size_t nscratch;                     /* used entries of scratch */
    struct bundle b;                     /* the bundle under test */
};

static const char *const names[NSIG] = {"alice", "bob", "carol.d-x_9"};

static struct bundle_str view(const char *s)
{
    struct bundle_str v = {s, strlen(s)};

    return v;
}

/* Keep @s for freeing with the fixture and return it. */
static char *keep(struct fixture *f, char *s)
{
    assert_non_null(s);
    assert_true(f->nscratch < sizeof(f->scratch) / sizeof(f->scratch[0]));
    f->scratch[f->nscratch++] = s;
    return s;
}

/* The co-signature note over (@id, @digest, @signer) by @key (malloc'd). */
static char *cosign(const char *id, const uint8_t digest[HASH_SHA256_LEN], const char *signer,
                    const struct note_skey *key)
{
    char text[MEMO_COSIGN_TEXT_MAX];
    char *note = NULL;
    size_t len = 0;

    assert_int_equal(memo_cosign_text(id, digest, signer, text, sizeof(text)), 0);
    assert_int_equal(note_sign(text, strlen(text), key, &note, &len), 0);
    return note;
}

static void fixture_make(struct fixture *f)
{
    struct note_vkey vk;

    memset(f, 0, sizeof(*f));
    assert_int_equal(
        memo_canonical_text(ID, TITLE, strlen(TITLE), BODY, strlen(BODY), &f->text, &f->text_len),
        0);
    memo_digest(f->text, f->text_len, f->digest);
    memo_digest_b64(f->digest, f->b64);
    for (size_t i = 0; i < NSIG; i++) {
        assert_int_equal(note_skey_generate(names[i], strlen(names[i]), &f->sk[i]), 0);
        note_skey_vkey(&f->sk[i], &vk);
        assert_int_equal(note_vkey_format(&vk, f->vkey[i], sizeof(f->vkey[i])), 0);
        f->note[i] = cosign(ID, f->digest, names[i], &f->sk[i]);
        f->signers[i] = view(names[i]);
        f->sigs[i] = view(f->note[i]);
        f->vkeys[i] = view(f->vkey[i]);
    }
    f->b.format = view(BUNDLE_FORMAT_TAG);
    f->b.memo_id = view(ID);
    f->b.text.s = f->text;
    f->b.text.len = f->text_len;
    f->b.digest = view(f->b64);
    f->b.signers = f->signers;
    f->b.nsigners = NSIG;
    f->b.signatures = f->sigs;
    f->b.nsignatures = NSIG;
    f->b.vkeys = f->vkeys;
    f->b.nvkeys = NSIG;
}

static void fixture_free(struct fixture *f)
{
    free(f->text);
    for (size_t i = 0; i < NSIG; i++) {
        note_skey_clear(&f->sk[i]);
        free(f->note[i]);
    }
    for (size_t i = 0; i < f->nscratch; i++)
        free(f->scratch[i]);
}

/* bundle_check() must fail with @rc and @want, with a message. */
static enum bundle_fault expect_fault(const struct bundle *b, int rc, enum bundle_fault want)
{
    enum bundle_fault fault = BUNDLE_FAULT_COUNT;
    char err[512] = "";
    int got = bundle_check(b, &fault, err, sizeof(err));

    if (got != rc || fault != want)
        fail_msg("got rc %d fault %s (%s), want rc %d fault %s", got, bundle_fault_name(fault), err,
                 rc, bundle_fault_name(want));
    assert_true(strlen(err) > 0);
    return fault;
}

/* Flip one bit of the Ed25519 signature (not the key ID) in the last line of @note. */
static char *signature_flip(const char *note)
{
    size_t len = strlen(note), n = 0;
    const char *sp = note + len - 1;
    uint8_t blob[4 + NOTE_SIG_LEN];
    char *out = strdup(note);
    char b64[128];

    assert_non_null(out);
    while (sp > note && *sp != ' ')
        sp--;
    assert_int_equal(
        b64_decode(blob, sizeof(blob), &n, sp + 1, (size_t)(note + len - 1 - (sp + 1)), false), 0);
    assert_int_equal(n, sizeof(blob));
    blob[4 + 10] ^= 0x01;
    b64_encode(b64, sizeof(b64), blob, sizeof(blob), false);
    assert_int_equal(strlen(b64), (size_t)(note + len - 1 - (sp + 1)));
    memcpy(out + (sp + 1 - note), b64, strlen(b64));
    return out;
}

/* ---- the valid bundle ------------------------------------------------------------------- */

static void test_valid(void **state)
{
    struct fixture f;
    enum bundle_fault fault = BUNDLE_FAULT_COUNT;
    char err[256] = "x";

    (void)state;
    fixture_make(&f);
    assert_int_equal(bundle_check(&f.b, &fault, err, sizeof(err)), 0);
    assert_int_equal(fault, BUNDLE_OK);
    assert_int_equal(bundle_check(&f.b, NULL, NULL, 0), 0);
    fixture_free(&f);
}

static void test_encode_parse_roundtrip(void **state)
{
    struct fixture f;
    struct bundle p;
    enum bundle_fault fault = BUNDLE_FAULT_COUNT;
    char err[256] = "";
    char *doc = NULL;
    size_t len = 0;

    (void)state;
    fixture_make(&f);
    assert_int_equal(bundle_encode(&f.b, &doc, &len), 0);
    assert_int_equal(len, strlen(doc));
    assert_non_null(strstr(doc, "{\"format\":\"dissent-bundle/v1\",\"memo_id\":\"" ID "\","));
    assert_int_equal(bundle_parse(doc, len, &p, &fault, err, sizeof(err)), 0);
    assert_int_equal(fault, BUNDLE_OK);
    assert_int_equal(p.nsigners, NSIG);
    assert_int_equal(p.nsignatures, NSIG);
    assert_int_equal(p.nvkeys, NSIG);
    assert_false(p.has_receipt);
    assert_int_equal(p.text.len, f.text_len);
    assert_memory_equal(p.text.s, f.text, f.text_len);
    for (size_t i = 0; i < NSIG; i++) {
        assert_int_equal(p.signers[i].len, strlen(names[i]));
        assert_memory_equal(p.signers[i].s, names[i], strlen(names[i]));
        assert_string_equal(p.signatures[i].s, f.note[i]);
        assert_string_equal(p.vkeys[i].s, f.vkey[i]);
    }
    assert_int_equal(bundle_check(&p, &fault, err, sizeof(err)), 0);
    bundle_release(&p);
    bundle_release(&p);
    bundle_release(NULL);
    free(doc);
    fixture_free(&f);
}

/* Signature lines by keys the bundle does not name are ignored, as the spec says. */
static void test_foreign_signature_ignored(void **state)
{
    struct fixture f;
    struct note_skey other;
    char *both = NULL;
    size_t len = 0;

    (void)state;
    fixture_make(&f);
    assert_int_equal(note_skey_generate("witness", 7, &other), 0);
    assert_int_equal(note_sign_add(f.note[1], strlen(f.note[1]), &other, &both, &len), 0);
    f.sigs[1] = view(keep(&f, both));
    assert_int_equal(bundle_check(&f.b, NULL, NULL, 0), 0);
    note_skey_clear(&other);
    fixture_free(&f);
}

/* ---- the seven tamperings, each with its own fault --------------------------------------- */

static void test_tamper_distinct(void **state)
{
    enum bundle_fault seen[7];
    struct fixture f;
    struct note_skey impostor;
    struct note_vkey vk;
    char vkey[NOTE_VKEY_MAX];
    uint8_t other[HASH_SHA256_LEN];
    char other_b64[MEMO_DIGEST_B64_LEN + 1];
    char *text;
    struct bundle_str tmp;
    size_t k = 0;

    (void)state;
    /* 1. one character of the text edited */
    fixture_make(&f);
    text = keep(&f, strdup(f.text));
    *strstr(text, "First") = 'f';
    f.b.text.s = text;
    seen[k++] = expect_fault(&f.b, ERR_CRYPTO, BUNDLE_TEXT_EDITED);
    fixture_free(&f);

    /* 2. one bit of a signature flipped */
    fixture_make(&f);
    f.sigs[1] = view(keep(&f, signature_flip(f.note[1])));
    seen[k++] = expect_fault(&f.b, ERR_CRYPTO, BUNDLE_SIGNATURE_INVALID);
    fixture_free(&f);

    /* 3. a signature dropped (the middle one: the rest shift up) */
    fixture_make(&f);
    f.sigs[1] = f.sigs[2];
    f.b.nsignatures = NSIG - 1;
    seen[k++] = expect_fault(&f.b, ERR_INVALID, BUNDLE_SIGNATURE_MISSING);
    fixture_free(&f);

    /* 4. two vkeys swapped */
    fixture_make(&f);
    tmp = f.vkeys[0];
    f.vkeys[0] = f.vkeys[1];
    f.vkeys[1] = tmp;
    seen[k++] = expect_fault(&f.b, ERR_INVALID, BUNDLE_KEY_MISMATCH);
    fixture_free(&f);

    /* 5. a vkey replaced by another key under the same name */
    fixture_make(&f);
    assert_int_equal(note_skey_generate("bob", 3, &impostor), 0);
    note_skey_vkey(&impostor, &vk);
    assert_int_equal(note_vkey_format(&vk, vkey, sizeof(vkey)), 0);
    f.vkeys[1] = view(vkey);
    seen[k++] = expect_fault(&f.b, ERR_CRYPTO, BUNDLE_WRONG_KEY);
    fixture_free(&f);

    /* 6. the digest member changed */
    fixture_make(&f);
    memo_digest("something else", 14, other);
    memo_digest_b64(other, other_b64);
    f.b.digest = view(other_b64);
    seen[k++] = expect_fault(&f.b, ERR_CRYPTO, BUNDLE_DIGEST_ALTERED);
    fixture_free(&f);

    /* 7. a co-signature (validly signed) over another memo id */
    fixture_make(&f);
    f.sigs[2] = view(keep(&f, cosign(OTHER_ID, f.digest, names[2], &f.sk[2])));
    seen[k++] = expect_fault(&f.b, ERR_INVALID, BUNDLE_COSIGN_MEMO);
    fixture_free(&f);

    for (size_t i = 0; i < k; i++) {
        for (size_t j = i + 1; j < k; j++)
            assert_int_not_equal(seen[i], seen[j]);
    }
    note_skey_clear(&impostor);
}

/* ---- more ways to be wrong ----------------------------------------------------------------- */

static void test_text_faults(void **state)
{
    struct fixture f;
    char *text = NULL, *edited = NULL;
    size_t len = 0;
    uint8_t d[HASH_SHA256_LEN];
    char b64[MEMO_DIGEST_B64_LEN + 1];

    (void)state;
    /* edited text with a digest recomputed to match: the co-signatures name the old one */
    fixture_make(&f);
    assert_int_equal(memo_canonical_text(ID, TITLE, strlen(TITLE), "We agree.", 9, &text, &len), 0);
    keep(&f, text);
    memo_digest(text, len, d);
    memo_digest_b64(d, b64);
    f.b.text.s = text;
    f.b.text.len = len;
    f.b.digest = view(b64);
    expect_fault(&f.b, ERR_INVALID, BUNDLE_COSIGN_DIGEST);
    fixture_free(&f);

    /* both text and digest member edited apart: reported as an edited text */
    fixture_make(&f);
    edited = keep(&f, strdup(f.text));
    *strstr(edited, "reason") = 'R';
    f.b.text.s = edited;
    memo_digest("x", 1, d);
    memo_digest_b64(d, b64);
    f.b.digest = view(b64);
    expect_fault(&f.b, ERR_CRYPTO, BUNDLE_TEXT_EDITED);
    fixture_free(&f);

    /* not canonical: CRLF left in, two final newlines, no final newline */
    fixture_make(&f);
    edited = keep(&f, strdup(f.text));
    edited[f.text_len - 1] = '\r';
    f.b.text.s = edited;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NOT_CANONICAL);
    f.b.text.s = f.text;
    f.b.text.len = f.text_len - 1;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NOT_CANONICAL);
    f.b.text = view("");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NOT_CANONICAL);
    fixture_free(&f);

    /* the id line names another memo than memo_id */
    fixture_make(&f);
    f.b.memo_id = view(OTHER_ID);
    expect_fault(&f.b, ERR_INVALID, BUNDLE_ID_MISMATCH);
    fixture_free(&f);

    /* memo_id and digest syntax */
    fixture_make(&f);
    f.b.memo_id = view("0123456789ABCDEF01234567");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_MALFORMED);
    f.b.memo_id = view("0123");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_MALFORMED);
    f.b.memo_id = view(ID);
    memcpy(b64, f.b64, sizeof(b64));
    b64[MEMO_DIGEST_B64_LEN - 1] = 'A'; /* drop the padding */
    f.b.digest = view(b64);
    expect_fault(&f.b, ERR_INVALID, BUNDLE_MALFORMED);
    f.b.digest = view("");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_MALFORMED);
    memcpy(b64, f.b64, sizeof(b64));
    b64[MEMO_DIGEST_B64_LEN - 2] ^= 1; /* non-zero padding bits, or another value */
    f.b.digest = view(b64);
    {
        enum bundle_fault fault;

        assert_int_not_equal(bundle_check(&f.b, &fault, NULL, 0), 0);
    }
    fixture_free(&f);

    /* another format tag */
    fixture_make(&f);
    f.b.format = view("dissent-bundle/v2");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_WRONG_FORMAT);
    fixture_free(&f);
}

static void test_signer_faults(void **state)
{
    struct fixture f;

    (void)state;
    fixture_make(&f);
    f.b.nsigners = f.b.nsignatures = f.b.nvkeys = 0;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NO_SIGNERS);
    fixture_free(&f);

    fixture_make(&f);
    f.signers[1] = view("Bob");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_BAD_SIGNER);
    f.signers[1] = view("");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_BAD_SIGNER);
    f.signers[1].s = "bob\0x";
    f.signers[1].len = 5;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_BAD_SIGNER);
    f.signers[1] = view("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_BAD_SIGNER);
    fixture_free(&f);

    /* the same signer twice, with the signature and vkey repeated too */
    fixture_make(&f);
    f.signers[2] = f.signers[0];
    f.sigs[2] = f.sigs[0];
    f.vkeys[2] = f.vkeys[0];
    expect_fault(&f.b, ERR_INVALID, BUNDLE_DUPLICATE_SIGNER);
    fixture_free(&f);

    /* extra items */
    fixture_make(&f);
    f.sigs[NSIG] = f.sigs[0];
    f.b.nsignatures = NSIG + 1;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_EXTRA_SIGNATURE);
    fixture_free(&f);
    fixture_make(&f);
    f.vkeys[NSIG] = f.vkeys[0];
    f.b.nvkeys = NSIG + 1;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_EXTRA_KEY);
    fixture_free(&f);
    fixture_make(&f);
    f.b.nvkeys = NSIG - 1;
    expect_fault(&f.b, ERR_INVALID, BUNDLE_KEY_MISSING);
    fixture_free(&f);
}

static void test_key_and_note_faults(void **state)
{
    struct fixture f;
    struct note_skey stranger;
    char vkey[NOTE_VKEY_MAX];
    char *bad;

    (void)state;
    /* a malformed vkey, and one with a bad key ID */
    fixture_make(&f);
    f.vkeys[0] = view("alice+zz+AQ==");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_KEY_MISMATCH);
    memcpy(vkey, f.vkey[0], sizeof(vkey));
    vkey[6] = vkey[6] == '0' ? '1' : '0';
    f.vkeys[0] = view(vkey);
    expect_fault(&f.b, ERR_INVALID, BUNDLE_KEY_MISMATCH);
    fixture_free(&f);

    /* a signature that is no signed note */
    fixture_make(&f);
    f.sigs[0] = view("just some text\n");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NOTE_MALFORMED);
    f.sigs[0] = view("");
    expect_fault(&f.b, ERR_INVALID, BUNDLE_NOTE_MALFORMED);
    fixture_free(&f);

    /* a note signed by a stranger only */
    fixture_make(&f);
    assert_int_equal(note_skey_generate("mallory", 7, &stranger), 0);
    f.sigs[0] = view(keep(&f, cosign(ID, f.digest, names[0], &stranger)));
    expect_fault(&f.b, ERR_CRYPTO, BUNDLE_WRONG_KEY);
    note_skey_clear(&stranger);
    fixture_free(&f);

    /* a note whose text was edited after signing */
    fixture_make(&f);
    bad = keep(&f, strdup(f.note[0]));
    *strstr(bad, "signer alice") = 'S';
    f.sigs[0] = view(bad);
    expect_fault(&f.b, ERR_CRYPTO, BUNDLE_SIGNATURE_INVALID);
    fixture_free(&f);

    /* validly signed, but not a co-signature text */
    fixture_make(&f);
    {
        char *note = NULL;
        size_t len = 0;

        assert_int_equal(note_sign("I agree.\n", 9, &f.sk[1], &note, &len), 0);
        f.sigs[1] = view(keep(&f, note));
    }
    expect_fault(&f.b, ERR_INVALID, BUNDLE_COSIGN_MALFORMED);
    fixture_free(&f);

    /* bob signs a co-signature naming alice */
    fixture_make(&f);
    f.sigs[1] = view(keep(&f, cosign(ID, f.digest, names[0], &f.sk[1])));
    expect_fault(&f.b, ERR_INVALID, BUNDLE_COSIGN_SIGNER);
    fixture_free(&f);
}

/* ---- JSON shape and limits ------------------------------------------------------------------ */

/* bundle_parse() on a NUL-terminated document must fail with @rc and @want. */
static void expect_parse(const char *doc, int rc, enum bundle_fault want)
{
    struct bundle b;
    enum bundle_fault fault = BUNDLE_FAULT_COUNT;
    char err[256] = "";
    int got = bundle_parse(doc, strlen(doc), &b, &fault, err, sizeof(err));

    if (got != rc || fault != want)
        fail_msg("parse %.60s: got rc %d fault %s (%s)", doc, got, bundle_fault_name(fault), err);
    assert_true(rc == 0 || strlen(err) > 0);
    assert_null(b.root);
    assert_null(b.signers);
}

#define F "\"format\":\"dissent-bundle/v1\""
#define REST                                                                                       \
    "\"memo_id\":\"" ID "\",\"canonical_text\":\"t\",\"digest\":\"d\",\"signers\":[\"a\"],"        \
    "\"signatures\":[\"s\"],\"vkeys\":[\"v\"]"

static void test_parse_shape(void **state)
{
    struct bundle b;
    enum bundle_fault fault;

    (void)state;
    /* the shape alone is parsed here; the values are bundle_check()'s business */
    assert_int_equal(
        bundle_parse("{" F "," REST "}", strlen("{" F "," REST "}"), &b, &fault, NULL, 0), 0);
    assert_int_equal(fault, BUNDLE_OK);
    assert_false(b.has_receipt);
    bundle_release(&b);
    assert_int_equal(bundle_parse("{" F "," REST ",\"receipt\":{\"any\":[1,2]}}",
                                  strlen("{" F "," REST ",\"receipt\":{\"any\":[1,2]}}"), &b,
                                  &fault, NULL, 0),
                     0);
    assert_true(b.has_receipt);
    bundle_release(&b);

    expect_parse("", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("not json", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("[" F "]", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("\"str\"", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F "," REST "} trailing", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" REST "}", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{\"format\":1," REST "}", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{\"format\":\"dissent-bundle/v2\"," REST "}", ERR_INVALID, BUNDLE_WRONG_FORMAT);
    expect_parse("{\"format\":\"dissent-bundle/v2\",\"whatever\":1}", ERR_INVALID,
                 BUNDLE_WRONG_FORMAT);
    expect_parse("{" F "," REST ",\"extra\":1}", ERR_INVALID, BUNDLE_UNKNOWN_KEY);
    expect_parse("{" F "," REST ",\"Receipt\":1}", ERR_INVALID, BUNDLE_UNKNOWN_KEY);
    expect_parse("{" F "," REST "," F "}", ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"t\",\"digest\":\"d\","
                 "\"signers\":[\"a\"],\"signatures\":[\"s\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"t\",\"digest\":\"d\","
                 "\"signers\":\"a\",\"signatures\":[\"s\"],\"vkeys\":[\"v\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"t\",\"digest\":\"d\","
                 "\"signers\":[\"a\",2],\"signatures\":[\"s\"],\"vkeys\":[\"v\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":null,\"digest\":\"d\","
                 "\"signers\":[\"a\"],\"signatures\":[\"s\"],\"vkeys\":[\"v\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"a\\u0000b\","
                 "\"digest\":\"d\",\"signers\":[\"a\"],\"signatures\":[\"s\"],\"vkeys\":[\"v\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
    expect_parse("{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"\xc3\","
                 "\"digest\":\"d\",\"signers\":[\"a\"],\"signatures\":[\"s\"],\"vkeys\":[\"v\"]}",
                 ERR_INVALID, BUNDLE_MALFORMED);
}

static void test_parse_limits(void **state)
{
    size_t big = BUNDLE_MAX_SIZE + 1, n = 0;
    char *doc = malloc(big + 1);
    enum bundle_fault fault;
    struct bundle b;
    char err[256];

    (void)state;
    assert_non_null(doc);
    memset(doc, ' ', big);
    doc[big] = '\0';
    assert_int_equal(bundle_parse(doc, big, &b, &fault, err, sizeof(err)), ERR_TOO_LARGE);
    assert_int_equal(fault, BUNDLE_TOO_LARGE);

    /* 10,001 signers: refused before anything is verified */
    n = (size_t)snprintf(doc, big,
                         "{" F ",\"memo_id\":\"" ID "\",\"canonical_text\":\"t\","
                         "\"digest\":\"d\",\"signatures\":[],\"vkeys\":[],"
                         "\"signers\":[");
    for (int i = 0; i <= BUNDLE_MAX_SIGNERS; i++)
        n += (size_t)snprintf(doc + n, big - n, "%s\"a\"", i ? "," : "");
    n += (size_t)snprintf(doc + n, big - n, "]}");
    assert_int_equal(bundle_parse(doc, n, &b, &fault, err, sizeof(err)), ERR_TOO_LARGE);
    assert_int_equal(fault, BUNDLE_TOO_LARGE);
    free(doc);
}

/* BUNDLE_MAX_SIGNERS signers verify; one more is refused. */
static void test_max_signers(void **state)
{
    const size_t n = BUNDLE_MAX_SIGNERS + 1;
    struct bundle_str *signers = calloc(n, sizeof(*signers));
    struct bundle_str *sigs = calloc(n, sizeof(*sigs));
    struct bundle_str *vkeys = calloc(n, sizeof(*vkeys));
    char(*name)[16] = calloc(n, sizeof(*name));
    char(*vkey)[NOTE_VKEY_MAX] = calloc(n, sizeof(*vkey));
    char **notes = calloc(n, sizeof(*notes));
    struct bundle b = {0};
    char *text = NULL;
    size_t text_len = 0;
    uint8_t digest[HASH_SHA256_LEN];
    char b64[MEMO_DIGEST_B64_LEN + 1];
    enum bundle_fault fault;

    (void)state;
    assert_true(signers && sigs && vkeys && name && vkey && notes);
    assert_int_equal(
        memo_canonical_text(ID, TITLE, strlen(TITLE), BODY, strlen(BODY), &text, &text_len), 0);
    memo_digest(text, text_len, digest);
    memo_digest_b64(digest, b64);
    for (size_t i = 0; i < n; i++) {
        struct note_skey sk;
        struct note_vkey vk;

        snprintf(name[i], sizeof(name[i]), "user%zu", i);
        assert_int_equal(note_skey_generate(name[i], strlen(name[i]), &sk), 0);
        note_skey_vkey(&sk, &vk);
        assert_int_equal(note_vkey_format(&vk, vkey[i], sizeof(vkey[i])), 0);
        notes[i] = cosign(ID, digest, name[i], &sk);
        note_skey_clear(&sk);
        signers[i] = view(name[i]);
        sigs[i] = view(notes[i]);
        vkeys[i] = view(vkey[i]);
    }
    b.format = view(BUNDLE_FORMAT_TAG);
    b.memo_id = view(ID);
    b.text.s = text;
    b.text.len = text_len;
    b.digest = view(b64);
    b.signers = signers;
    b.signatures = sigs;
    b.vkeys = vkeys;
    b.nsigners = b.nsignatures = b.nvkeys = BUNDLE_MAX_SIGNERS;
    assert_int_equal(bundle_check(&b, &fault, NULL, 0), 0);
    b.nsigners = b.nsignatures = b.nvkeys = n;
    expect_fault(&b, ERR_TOO_LARGE, BUNDLE_TOO_LARGE);
    for (size_t i = 0; i < n; i++)
        free(notes[i]);
    free(notes);
    free(vkey);
    free(name);
    free(vkeys);
    free(sigs);
    free(signers);
    free(text);
}

static void test_fault_names(void **state)
{
    (void)state;
    assert_string_equal(bundle_fault_name(BUNDLE_OK), "ok");
    assert_string_equal(bundle_fault_name(BUNDLE_TEXT_EDITED), "text_edited");
    assert_string_equal(bundle_fault_name(BUNDLE_SIGNATURE_INVALID), "signature_invalid");
    assert_string_equal(bundle_fault_name(BUNDLE_FAULT_COUNT), "unknown");
    for (int i = 0; i < BUNDLE_FAULT_COUNT; i++) {
        assert_non_null(bundle_fault_name((enum bundle_fault)i));
        for (int j = i + 1; j < BUNDLE_FAULT_COUNT; j++)
            assert_string_not_equal(bundle_fault_name((enum bundle_fault)i),
                                    bundle_fault_name((enum bundle_fault)j));
    }
}

static void test_encode_reject(void **state)
{
    struct fixture f;
    char *doc = (char *)1;
    size_t len = 9;

    (void)state;
    fixture_make(&f);
    f.signers[0].s = "a\0b";
    f.signers[0].len = 3;
    assert_int_equal(bundle_encode(&f.b, &doc, &len), ERR_INVALID);
    assert_null(doc);
    assert_int_equal(len, 0);
    f.signers[0] = view("\xc3");
    assert_int_equal(bundle_encode(&f.b, &doc, &len), ERR_INVALID);
    f.signers[0] = view(names[0]);
    f.b.nsigners = BUNDLE_MAX_SIGNERS + 1;
    assert_int_equal(bundle_encode(&f.b, &doc, &len), ERR_TOO_LARGE);
    fixture_free(&f);
}

/* ---- the worked example of docs/formats.md ----------------------------------------------- */

/* RFC 8032 section 7.1, tests 1 and 2. */
#define ALICE_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define BOB_SEED "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"
#define EX_DIGEST "P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20AE="
#define EX_ALICE_VKEY "alice+d32c1872+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
#define EX_BOB_VKEY "bob+00d7959d+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM"
#define EX_COSIGN(who)                                                                             \
    "dissent-cosignature/v1\nmemo 0123456789abcdef01234567\ndigest " EX_DIGEST "\nsigner " who "\n"
#define EX_COSIGN_JSON(who)                                                                        \
    "dissent-cosignature/v1\\nmemo 0123456789abcdef01234567\\ndigest " EX_DIGEST "\\nsigner " who  \
    "\\n"
#define EX_ALICE_NOTE                                                                              \
    EX_COSIGN("alice")                                                                             \
    "\n\xe2\x80\x94 alice "                                                                        \
    "0ywYcgwPsZVSGoHszvupgsmLXZYM/ANYPZ7MHFDYAMUiJp4txHmlVgDfN/"                                   \
    "Kg0Elu0FpEflRSaY7AuZLx4kdlCFhU4wY=\n"
#define EX_BOB_NOTE                                                                                \
    EX_COSIGN("bob")                                                                               \
    "\n\xe2\x80\x94 bob "                                                                          \
    "ANeVndmL1WTmXTfRR3NyTVjoPUfYae0eMA2Syfdfxnhkr4AgO99C1agSsNlkYaraLnLhb08L6D3"                  \
    "Pv331z9iYZyjjOAM=\n"

#define EX_ALICE_JSON                                                                              \
    EX_COSIGN_JSON("alice")                                                                        \
    "\\n\\u2014 alice 0ywYcgwPsZVSGoHszvupgsmLXZYM/ANYPZ7MHFDYAMUiJp4txHmlVgDfN/"                  \
    "Kg0Elu0FpEflRSaY7AuZLx4kdlCFhU4wY=\\n"
#define EX_BOB_JSON                                                                                \
    EX_COSIGN_JSON("bob")                                                                          \
    "\\n\xe2\x80\x94 bob "                                                                         \
    "ANeVndmL1WTmXTfRR3NyTVjoPUfYae0eMA2Syfdfxnhkr4AgO99C1agSsNlkYaraLnLhb08L6D3"                  \
    "Pv331z9iYZyjjOAM=\\n"

static void seed_key(const char *name, const char *hex, struct note_skey *sk)
{
    uint8_t seed[NOTE_SEED_LEN];

    assert_int_equal(strlen(hex), 2 * NOTE_SEED_LEN);
    for (size_t i = 0; i < NOTE_SEED_LEN; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        seed[i] = (uint8_t)v;
    }
    assert_int_equal(note_skey_from_seed(name, strlen(name), seed, sk), 0);
}

static void test_formats_example(void **state)
{
    /* the example bundle, with the em dash once escaped and once raw */
    static const char doc[] =
        "{\"format\": \"dissent-bundle/v1\", \"memo_id\": \"" ID "\", \"canonical_text\": "
        "\"dissent-memo/v1\\nid " ID "\\ntitle R\xc3\xa9sum\xc3\xa9 of the policy\\n\\nFirst "
        "line.\\nSecond line.\\n\", \"digest\": \"" EX_DIGEST "\", \"signers\": [\"alice\", "
        "\"bob\"], \"signatures\": [\"" EX_ALICE_JSON "\", \"" EX_BOB_JSON "\"], \"vkeys\": "
        "[\"" EX_ALICE_VKEY "\", \"" EX_BOB_VKEY "\"]}";
    static const char body[] = "First line.\r\nSecond line.\r\n\r\n";
    static const char title[] = "R\xc3\xa9sum\xc3\xa9 of the policy";
    struct note_skey alice, bob;
    struct note_vkey vk;
    char vkey[NOTE_VKEY_MAX], skey[NOTE_SKEY_MAX], b64[MEMO_DIGEST_B64_LEN + 1];
    uint8_t digest[HASH_SHA256_LEN];
    char *text = NULL, *note = NULL;
    size_t text_len = 0, note_len = 0;
    struct bundle b;
    enum bundle_fault fault;
    char err[256] = "";

    (void)state;
    seed_key("alice", ALICE_SEED, &alice);
    seed_key("bob", BOB_SEED, &bob);
    assert_int_equal(alice.id, 0xd32c1872u);
    note_skey_vkey(&alice, &vk);
    assert_int_equal(note_vkey_format(&vk, vkey, sizeof(vkey)), 0);
    assert_string_equal(vkey, EX_ALICE_VKEY);
    assert_int_equal(note_skey_format(&alice, skey, sizeof(skey)), 0);
    assert_string_equal(skey, "PRIVATE+KEY+alice+d32c1872+"
                              "AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g");
    note_skey_vkey(&bob, &vk);
    assert_int_equal(note_vkey_format(&vk, vkey, sizeof(vkey)), 0);
    assert_string_equal(vkey, EX_BOB_VKEY);

    assert_int_equal(
        memo_canonical_text(ID, title, strlen(title), body, strlen(body), &text, &text_len), 0);
    assert_int_equal(text_len, 99);
    memo_digest(text, text_len, digest);
    memo_digest_b64(digest, b64);
    assert_string_equal(b64, EX_DIGEST);

    note = cosign(ID, digest, "alice", &alice);
    assert_string_equal(note, EX_ALICE_NOTE);
    free(note);
    note = cosign(ID, digest, "bob", &bob);
    note_len = strlen(note);
    assert_int_equal(note_len, strlen(EX_BOB_NOTE));
    assert_string_equal(note, EX_BOB_NOTE);
    free(note);

    if (bundle_parse(doc, sizeof(doc) - 1, &b, &fault, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    if (bundle_check(&b, &fault, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    bundle_release(&b);
    free(text);
    note_skey_clear(&alice);
    note_skey_clear(&bob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_encode_parse_roundtrip),
        cmocka_unit_test(test_foreign_signature_ignored),
        cmocka_unit_test(test_tamper_distinct),
        cmocka_unit_test(test_text_faults),
        cmocka_unit_test(test_signer_faults),
        cmocka_unit_test(test_key_and_note_faults),
        cmocka_unit_test(test_parse_shape),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_max_signers),
        cmocka_unit_test(test_fault_names),
        cmocka_unit_test(test_encode_reject),
        cmocka_unit_test(test_formats_example),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
