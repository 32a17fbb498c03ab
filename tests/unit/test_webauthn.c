/*
 * test_webauthn.c - the Relying Party's checks (crypto/webauthn.h) against a software
 * authenticator written here from the WebAuthn Level 2 specification: authenticator data laid
 * out by hand, COSE keys and the attestation object encoded with libcbor, Ed25519 signatures by
 * libsodium and ES256 (DER) signatures by OpenSSL. Every check is shown to refuse what it must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define ERR_STATE openssl_err_state /* OpenSSL's type of that name: unused here */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#undef ERR_STATE

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/webauthn.h"
#include "util/err.h"

#include <cbor.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RP "dissent.test"
#define ORIGIN "https://dissent.test"

/* A software authenticator holding one credential. */
struct authn {
    int alg;
    uint8_t id[16];
    uint8_t ed_pk[32], ed_sk[64]; /* EdDSA */
    EVP_PKEY *ec;                 /* ES256 */
    uint8_t x[32], y[32];
    uint32_t count;
};

static void authn_init(struct authn *a, int alg)
{
    memset(a, 0, sizeof(*a));
    a->alg = alg;
    random_bytes(a->id, sizeof(a->id));
    if (alg == WEBAUTHN_EDDSA) {
        crypto_sign_keypair(a->ed_pk, a->ed_sk);
    } else {
        uint8_t pub[65];
        size_t n = 0;
        a->ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(a->ec);
        assert_int_equal(
            EVP_PKEY_get_octet_string_param(a->ec, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n),
            1);
        assert_int_equal(n, 65);
        memcpy(a->x, pub + 1, 32);
        memcpy(a->y, pub + 33, 32);
    }
}

static void authn_free(struct authn *a)
{
    EVP_PKEY_free(a->ec);
}

/* Append @item's CBOR encoding to @buf at *@len. */
static void put_cbor(cbor_item_t *item, uint8_t *buf, size_t cap, size_t *len)
{
    unsigned char *out = NULL;
    size_t size = 0, n = cbor_serialize_alloc(item, &out, &size);

    assert_true(n > 0 && *len + n <= cap);
    memcpy(buf + *len, out, n);
    *len += n;
    free(out);
    cbor_decref(&item);
}

static void map_add(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
    assert_true(cbor_map_add(map, (struct cbor_pair){.key = cbor_move(k), .value = cbor_move(v)}));
}

static cbor_item_t *cose_key(const struct authn *a)
{
    cbor_item_t *m = cbor_new_definite_map(5);

    if (a->alg == WEBAUTHN_EDDSA) {
        map_add(m, cbor_build_uint8(1), cbor_build_uint8(1));   /* kty: OKP */
        map_add(m, cbor_build_uint8(3), cbor_build_negint8(7)); /* alg: -8 */
        map_add(m, cbor_build_negint8(0), cbor_build_uint8(6)); /* crv: Ed25519 */
        map_add(m, cbor_build_negint8(1), cbor_build_bytestring(a->ed_pk, 32));
    } else {
        map_add(m, cbor_build_uint8(1), cbor_build_uint8(2));   /* kty: EC2 */
        map_add(m, cbor_build_uint8(3), cbor_build_negint8(6)); /* alg: -7 */
        map_add(m, cbor_build_negint8(0), cbor_build_uint8(1)); /* crv: P-256 */
        map_add(m, cbor_build_negint8(1), cbor_build_bytestring(a->x, 32));
        map_add(m, cbor_build_negint8(2), cbor_build_bytestring(a->y, 32));
    }
    return m;
}

/* Authenticator data for @rp with @flags and the counter; with the credential when AT is set. */
static size_t authdata(const struct authn *a, const char *rp, uint8_t flags, uint8_t *out,
                       size_t cap)
{
    size_t n = 0;

    hash_sha256(out, rp, strlen(rp));
    n = 32;
    out[n++] = flags;
    out[n++] = (uint8_t)(a->count >> 24);
    out[n++] = (uint8_t)(a->count >> 16);
    out[n++] = (uint8_t)(a->count >> 8);
    out[n++] = (uint8_t)a->count;
    if (flags & WEBAUTHN_AT) {
        memset(out + n, 0, 16); /* AAGUID */
        n += 16;
        out[n++] = 0;
        out[n++] = (uint8_t)sizeof(a->id);
        memcpy(out + n, a->id, sizeof(a->id));
        n += sizeof(a->id);
        put_cbor(cose_key(a), out, cap, &n);
    }
    return n;
}

static size_t attestation(const uint8_t *ad, size_t ad_len, uint8_t *out, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(3);
    size_t n = 0;

    map_add(m, cbor_build_string("fmt"), cbor_build_string("none"));
    map_add(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
    map_add(m, cbor_build_string("authData"), cbor_build_bytestring(ad, ad_len));
    put_cbor(m, out, cap, &n);
    return n;
}

static void client_data(char *out, size_t cap, const char *type, const uint8_t *challenge,
                        const char *origin, const char *extra)
{
    char b64[64];

    sodium_bin2base64(b64, sizeof(b64), challenge, WEBAUTHN_CHALLENGE_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, cap, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s}", type, b64,
             origin, extra);
}

/* The authenticator's signature over @ad || SHA-256(@cdj). */
static size_t sign(const struct authn *a, const uint8_t *ad, size_t ad_len, const char *cdj,
                   uint8_t *sig, size_t cap)
{
    uint8_t msg[1024];
    size_t n = ad_len + 32;

    assert_true(n <= sizeof(msg));
    memcpy(msg, ad, ad_len);
    hash_sha256(msg + ad_len, cdj, strlen(cdj));
    if (a->alg == WEBAUTHN_EDDSA) {
        crypto_sign_detached(sig, NULL, msg, n, a->ed_sk);
        return 64;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t len = cap;
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, a->ec), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &len, msg, n), 1);
    EVP_MD_CTX_free(ctx);
    return len;
}

static uint8_t challenge[WEBAUTHN_CHALLENGE_LEN];
static const struct webauthn_expect expect = {
    .challenge = challenge, .origin = ORIGIN, .rp_id = RP, .require_uv = true};

/* Register @a's credential with @flags, @cdj and @rp; the result of webauthn_register(). */
static int do_register(struct authn *a, const char *rp, uint8_t flags, const char *cdj,
                       struct webauthn_cred *out)
{
    uint8_t ad[512], att[1024];
    size_t ad_len = authdata(a, rp, flags, ad, sizeof(ad));
    size_t att_len = attestation(ad, ad_len, att, sizeof(att));
    char why[256] = "";
    int rc = webauthn_register(cdj, strlen(cdj), att, att_len, &expect, out, why, sizeof(why));

    if (rc != 0)
        assert_true(why[0] != '\0');
    return rc;
}

static void test_register(void **state)
{
    const uint8_t ok = WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_AT;
    char cdj[512];

    (void)state;
    random_bytes(challenge, sizeof(challenge));
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, ",\"crossOrigin\":false");
    for (int alg = WEBAUTHN_EDDSA; alg <= WEBAUTHN_ES256; alg++) {
        struct webauthn_cred c;
        struct authn a;
        authn_init(&a, alg);
        a.count = 7;
        assert_int_equal(do_register(&a, RP, ok, cdj, &c), 0);
        assert_int_equal(c.alg, alg);
        assert_int_equal(c.id_len, sizeof(a.id));
        assert_memory_equal(c.id, a.id, sizeof(a.id));
        assert_int_equal(c.sign_count, 7);
        assert_int_equal(c.pk_len, alg == WEBAUTHN_EDDSA ? 32 : 64);
        assert_memory_equal(c.pk, alg == WEBAUTHN_EDDSA ? a.ed_pk : a.x, 32);
        /* every check refuses */
        assert_int_equal(do_register(&a, "evil.test", ok, cdj, &c), ERR_CRYPTO);
        assert_int_equal(do_register(&a, RP, WEBAUTHN_UV | WEBAUTHN_AT, cdj, &c), ERR_CRYPTO);
        assert_int_equal(do_register(&a, RP, WEBAUTHN_UP | WEBAUTHN_AT, cdj, &c), ERR_CRYPTO);
        assert_int_equal(do_register(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV, cdj, &c), ERR_INVALID);
        authn_free(&a);
    }
}

static void test_client_data_checks(void **state)
{
    const uint8_t ok = WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_AT;
    uint8_t other[WEBAUTHN_CHALLENGE_LEN];
    struct webauthn_cred c;
    struct authn a;
    char cdj[512];

    (void)state;
    random_bytes(challenge, sizeof(challenge));
    random_bytes(other, sizeof(other));
    authn_init(&a, WEBAUTHN_EDDSA);
    client_data(cdj, sizeof(cdj), "webauthn.create", other, ORIGIN, "");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_CRYPTO);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, "https://evil.test", "");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_CRYPTO);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN ":8443", "");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_CRYPTO);
    client_data(cdj, sizeof(cdj), "webauthn.get", challenge, ORIGIN, "");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_CRYPTO);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, ",\"crossOrigin\":true");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_CRYPTO);
    assert_int_equal(do_register(&a, RP, ok, "{\"type\":", &c), ERR_INVALID);
    /* the same key twice in the JSON is refused, not resolved one way */
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN,
                ",\"origin\":\"https://evil.test\"");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), ERR_INVALID);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, "");
    assert_int_equal(do_register(&a, RP, ok, cdj, &c), 0);
    authn_free(&a);
}

static void test_attestation_object_is_parsed_strictly(void **state)
{
    uint8_t ad[512], att[1024], junk[1030];
    struct webauthn_cred c;
    struct authn a;
    char cdj[512], why[256];
    size_t ad_len, att_len;

    (void)state;
    random_bytes(challenge, sizeof(challenge));
    authn_init(&a, WEBAUTHN_EDDSA);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, "");
    ad_len = authdata(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_AT, ad, sizeof(ad));
    att_len = attestation(ad, ad_len, att, sizeof(att));
    /* trailing bytes, a truncated object, nothing */
    memcpy(junk, att, att_len);
    junk[att_len] = 0;
    assert_int_equal(
        webauthn_register(cdj, strlen(cdj), junk, att_len + 1, &expect, &c, why, sizeof(why)),
        ERR_INVALID);
    assert_int_equal(
        webauthn_register(cdj, strlen(cdj), att, att_len - 3, &expect, &c, why, sizeof(why)),
        ERR_INVALID);
    assert_int_equal(webauthn_register(cdj, strlen(cdj), att, 0, &expect, &c, why, sizeof(why)),
                     ERR_INVALID);
    /* authenticator data cut inside the COSE key */
    att_len = attestation(ad, ad_len - 5, att, sizeof(att));
    assert_int_equal(
        webauthn_register(cdj, strlen(cdj), att, att_len, &expect, &c, why, sizeof(why)),
        ERR_INVALID);
    authn_free(&a);
}

static void test_assert(void **state)
{
    (void)state;
    for (int alg = WEBAUTHN_EDDSA; alg <= WEBAUTHN_ES256; alg++) {
        uint8_t ad[128], sig[128];
        struct webauthn_cred c;
        struct authn a, b;
        char cdj[512], why[256];
        uint32_t count = 0;
        uint8_t flags = 0;
        size_t ad_len, sig_len;

        random_bytes(challenge, sizeof(challenge));
        authn_init(&a, alg);
        authn_init(&b, alg);
        client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, "");
        assert_int_equal(do_register(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_AT, cdj, &c), 0);
        random_bytes(challenge, sizeof(challenge));
        client_data(cdj, sizeof(cdj), "webauthn.get", challenge, ORIGIN, "");
        a.count = 9;
        ad_len = authdata(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_BE, ad, sizeof(ad));
        sig_len = sign(&a, ad, ad_len, cdj, sig, sizeof(sig));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         0);
        assert_int_equal(count, 9);
        assert_true(flags & WEBAUTHN_BE);
        /* another authenticator's signature, a changed byte, another key */
        uint8_t bad[128];
        size_t bad_len = sign(&b, ad, ad_len, cdj, bad, sizeof(bad));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, bad, bad_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         ERR_CRYPTO);
        ad[34] ^= 1; /* the counter: signed data */
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         ERR_CRYPTO);
        ad[34] ^= 1;
        /* the client data of another challenge (a replay of an older assertion) */
        uint8_t keep[WEBAUTHN_CHALLENGE_LEN];
        memcpy(keep, challenge, sizeof(keep));
        random_bytes(challenge, sizeof(challenge));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         ERR_CRYPTO);
        memcpy(challenge, keep, sizeof(keep));
        /* no user verification where it is required; another RP */
        ad_len = authdata(&a, RP, WEBAUTHN_UP, ad, sizeof(ad));
        sig_len = sign(&a, ad, ad_len, cdj, sig, sizeof(sig));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         ERR_CRYPTO);
        ad_len = authdata(&a, "evil.test", WEBAUTHN_UP | WEBAUTHN_UV, ad, sizeof(ad));
        sig_len = sign(&a, ad, ad_len, cdj, sig, sizeof(sig));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         ERR_CRYPTO);
        authn_free(&a);
        authn_free(&b);
    }
}

/* A security key answers the PRF request with an "hmac-secret" output in its signed data (the
 * ED flag): verified all the same; extension data announced but absent is malformed. */
static void test_assert_with_extensions(void **state)
{
    uint8_t ad[256], sig[128];
    struct webauthn_cred c;
    struct authn a;
    char cdj[512], why[256];
    uint32_t count = 0;
    uint8_t flags = 0, out[32] = {7};
    size_t ad_len, sig_len;

    (void)state;
    random_bytes(challenge, sizeof(challenge));
    authn_init(&a, WEBAUTHN_ES256);
    client_data(cdj, sizeof(cdj), "webauthn.create", challenge, ORIGIN, "");
    assert_int_equal(do_register(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_AT, cdj, &c), 0);
    random_bytes(challenge, sizeof(challenge));
    client_data(cdj, sizeof(cdj), "webauthn.get", challenge, ORIGIN, "");
    a.count = 3;
    for (int with = 0; with < 3; with++) {
        ad_len = authdata(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_ED, ad, sizeof(ad));
        cbor_item_t *m = cbor_new_definite_map(2);
        if (with == 0)
            map_add(m, cbor_build_string("hmac-secret"), cbor_build_bytestring(out, 32));
        if (with == 1)
            map_add(m, cbor_build_string("credBlob"), cbor_build_bytestring(out, 16));
        if (with == 2)
            map_add(m, cbor_build_string("somethingNew"), cbor_build_uint8(1));
        put_cbor(m, ad, sizeof(ad), &ad_len);
        sig_len = sign(&a, ad, ad_len, cdj, sig, sizeof(sig));
        assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                         c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                         0);
        assert_int_equal(count, 3);
    }
    ad_len = authdata(&a, RP, WEBAUTHN_UP | WEBAUTHN_UV | WEBAUTHN_ED, ad, sizeof(ad));
    sig_len = sign(&a, ad, ad_len, cdj, sig, sizeof(sig));
    assert_int_equal(webauthn_assert(cdj, strlen(cdj), ad, ad_len, sig, sig_len, &expect, c.alg,
                                     c.pk, c.pk_len, &count, &flags, why, sizeof(why)),
                     ERR_INVALID);
    authn_free(&a);
}

static void test_counter(void **state)
{
    (void)state;
    assert_true(webauthn_counter_ok(0, 0));
    assert_true(webauthn_counter_ok(0, 1));
    assert_true(webauthn_counter_ok(5, 6));
    assert_false(webauthn_counter_ok(5, 5));
    assert_false(webauthn_counter_ok(5, 4));
    assert_false(webauthn_counter_ok(5, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_client_data_checks),
        cmocka_unit_test(test_attestation_object_is_parsed_strictly),
        cmocka_unit_test(test_assert),
        cmocka_unit_test(test_assert_with_extensions),
        cmocka_unit_test(test_counter),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
