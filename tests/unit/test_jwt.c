/*
 * test_jwt.c - ID tokens (crypto/jwt.h) signed here with OpenSSL, RS256 and ES256, as an issuer
 * would: a good token, and each way one must be refused (another audience, expired, not yet
 * valid, a changed byte, another key, a swapped nonce, an unknown kid, "none" and HS256, an
 * algorithm that does not fit the key, malformed ones); and key sets that hold nothing usable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define ERR_STATE openssl_err_state /* OpenSSL's type of that name: unused here */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#undef ERR_STATE

#include "crypto/hash.h"
#include "crypto/jwt.h"
#include "crypto/random.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISS "https://idp.example"
#define AUD "dissent"
#define NOW 1790000000

static EVP_PKEY *rsa, *ec, *other;
static char jwks_text[4096];

static void b64u(const uint8_t *b, size_t n, char *out, size_t cap)
{
    b64_encode(out, cap, b, n, true);
}

static void bn_b64u(const BIGNUM *bn, size_t pad, char *out, size_t cap)
{
    uint8_t buf[512];
    int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);

    assert_true(n > 0);
    b64u(buf, (size_t)n, out, cap);
}

static int setup(void **state)
{
    BIGNUM *n = NULL, *e = NULL;
    uint8_t pub[65];
    size_t len = 0;
    char sn[600], se[16], sx[64], sy[64];

    (void)state;
    if (random_init() != 0)
        return -1;
    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (rsa == NULL || ec == NULL || other == NULL ||
        EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
        EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &len) != 1 ||
        len != 65)
        return -1;
    bn_b64u(n, 0, sn, sizeof(sn));
    bn_b64u(e, 0, se, sizeof(se));
    b64u(pub + 1, 32, sx, sizeof(sx));
    b64u(pub + 33, 32, sy, sizeof(sy));
    snprintf(jwks_text, sizeof(jwks_text),
             "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r1\",\"use\":\"sig\",\"alg\":\"RS256\","
             "\"n\":\"%s\",\"e\":\"%s\"},{\"kty\":\"EC\",\"kid\":\"e1\",\"crv\":\"P-256\","
             "\"x\":\"%s\",\"y\":\"%s\"},{\"kty\":\"oct\",\"kid\":\"h1\",\"k\":\"c2VjcmV0\"},"
             "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"%s\",\"e\":\"%s\"}]}",
             sn, se, sx, sy, sn, se);
    BN_free(n);
    BN_free(e);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(other);
    return 0;
}

/* header.payload.signature, signed by @key with @alg ("RS256", "ES256"; any other: no
 * signature is made, an empty one is sent). */
static void make(char *out, size_t cap, const char *alg, const char *kid, EVP_PKEY *key,
                 const char *payload)
{
    char hdr[256], h64[512], p64[2048], s64[1024];
    uint8_t sig[512];
    size_t sl = sizeof(sig);

    if (kid != NULL)
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid);
    else
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    b64u((const uint8_t *)hdr, strlen(hdr), h64, sizeof(h64));
    b64u((const uint8_t *)payload, strlen(payload), p64, sizeof(p64));
    snprintf(out, cap, "%s.%s", h64, p64);
    s64[0] = '\0';
    if (strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
        assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)out, strlen(out)), 1);
        EVP_MD_CTX_free(md);
        if (strcmp(alg, "ES256") == 0) { /* DER to JOSE's r || s */
            const uint8_t *p = sig;
            ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)sl);
            uint8_t rs[64];
            assert_non_null(s);
            BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, 32);
            BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + 32, 32);
            ECDSA_SIG_free(s);
            memcpy(sig, rs, 64);
            sl = 64;
        }
        b64u(sig, sl, s64, sizeof(s64));
    }
    snprintf(out + strlen(out), cap - strlen(out), ".%s", s64);
}

static void claims(char *out, size_t cap, const char *aud, long exp, long iat, const char *nonce)
{
    snprintf(out, cap,
             "{\"iss\":\"" ISS "\",\"sub\":\"u-42\",\"aud\":%s,\"exp\":%ld,\"iat\":%ld,"
             "\"nonce\":\"%s\",\"preferred_username\":\"alice\"}",
             aud, exp, iat, nonce);
}

static int check(struct jwks *k, const char *tok, const char *nonce)
{
    struct jwt_expect e = {.issuer = ISS, .client_id = AUD, .nonce = nonce, .now = NOW};
    json_t *c = NULL;
    char why[256] = "";
    int rc = jwt_verify(tok, strlen(tok), k, &e, &c, why, sizeof(why));

    if (rc == 0) {
        assert_string_equal(json_string_value(json_object_get(c, "preferred_username")), "alice");
        json_decref(c);
    } else {
        assert_null(c);
        assert_true(why[0] != '\0');
    }
    return rc;
}

static void test_good_tokens(void **state)
{
    struct jwks *k = NULL;
    char why[128], p[1024], t[4096];

    (void)state;
    assert_int_equal(jwks_parse(jwks_text, strlen(jwks_text), &k, why, sizeof(why)), 0);
    assert_int_equal(jwks_count(k), 2); /* the HMAC and encryption keys are skipped */
    claims(p, sizeof(p), "\"" AUD "\"", NOW + 300, NOW - 5, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), 0);
    make(t, sizeof(t), "ES256", "e1", ec, p);
    assert_int_equal(check(k, t, "n0nce"), 0);
    /* an array of audiences with us, and azp naming us */
    snprintf(p, sizeof(p),
             "{\"iss\":\"" ISS "\",\"aud\":[\"x\",\"" AUD "\"],\"azp\":\"" AUD "\",\"exp\":%d,"
             "\"iat\":%d,\"nonce\":\"n0nce\",\"preferred_username\":\"alice\"}",
             NOW + 60, NOW);
    make(t, sizeof(t), "ES256", "e1", ec, p);
    assert_int_equal(check(k, t, "n0nce"), 0);
    /* a small clock difference is allowed */
    claims(p, sizeof(p), "\"" AUD "\"", NOW - JWT_SKEW + 5, NOW + JWT_SKEW - 5, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), 0);
    jwks_free(k);
}

static void test_refused_tokens(void **state)
{
    struct jwks *k = NULL;
    char why[128], p[1024], t[4096];

    (void)state;
    assert_int_equal(jwks_parse(jwks_text, strlen(jwks_text), &k, why, sizeof(why)), 0);
    /* claims */
    claims(p, sizeof(p), "\"someone-else\"", NOW + 300, NOW, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO);
    snprintf(p, sizeof(p),
             "{\"iss\":\"" ISS "\",\"aud\":[\"x\",\"" AUD "\"],\"exp\":%d,\"iat\":%d,"
             "\"nonce\":\"n0nce\"}",
             NOW + 60, NOW); /* several audiences, no azp */
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO);
    claims(p, sizeof(p), "\"" AUD "\"", NOW - JWT_SKEW - 1, NOW - 600, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO); /* expired */
    claims(p, sizeof(p), "\"" AUD "\"", NOW + 900, NOW + 600, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO); /* issued in the future */
    claims(p, sizeof(p), "\"" AUD "\"", NOW + 300, NOW, "n0nce");
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "another"), ERR_CRYPTO); /* a swapped nonce */
    snprintf(p, sizeof(p),
             "{\"iss\":\"https://evil.example\",\"aud\":\"" AUD "\",\"exp\":%d,"
             "\"iat\":%d,\"nonce\":\"n0nce\"}",
             NOW + 60, NOW);
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO); /* another issuer */
    /* signatures and keys */
    claims(p, sizeof(p), "\"" AUD "\"", NOW + 300, NOW, "n0nce");
    make(t, sizeof(t), "ES256", "e1", other, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO); /* another key, our kid */
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    t[strlen(t) - 5] ^= 1; /* a changed byte of the signature */
    assert_true(check(k, t, "n0nce") == ERR_CRYPTO || check(k, t, "n0nce") == ERR_INVALID);
    make(t, sizeof(t), "ES256", "nope", ec, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_NOT_FOUND); /* a rotated key: fetch again */
    make(t, sizeof(t), "RS256", "e1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_INVALID); /* RS256 with the EC key's kid */
    make(t, sizeof(t), "none", "r1", NULL, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_INVALID);
    make(t, sizeof(t), "HS256", "h1", NULL, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_INVALID);
    /* an authorized party that is not us, even with us as the only audience */
    snprintf(p, sizeof(p),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"azp\":\"evil\",\"exp\":%d,"
             "\"iat\":%d,\"nonce\":\"n0nce\"}",
             NOW + 60, NOW);
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO);
    /* times far outside any clock */
    snprintf(p, sizeof(p),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":9223372036854775807,"
             "\"iat\":%d,\"nonce\":\"n0nce\"}",
             NOW);
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO);
    snprintf(p, sizeof(p),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1e300,\"iat\":%d,"
             "\"nonce\":\"n0nce\"}",
             NOW);
    make(t, sizeof(t), "RS256", "r1", rsa, p);
    assert_int_equal(check(k, t, "n0nce"), ERR_CRYPTO);
    /* malformed */
    assert_int_equal(check(k, "abc", "n0nce"), ERR_INVALID);
    assert_int_equal(check(k, "a.b.c.d", "n0nce"), ERR_INVALID);
    assert_int_equal(check(k, "!!.??.**", "n0nce"), ERR_INVALID);
    jwks_free(k);
}

/* An issuer of one key need not name it; with several, a token without a kid is refused. */
static void test_keys_without_kid(void **state)
{
    struct jwks *k = NULL;
    char why[128], p[1024], t[4096], set[4096], *at;

    (void)state;
    /* the EC key alone, its kid taken out */
    at = strstr(jwks_text, "{\"kty\":\"EC\"");
    assert_non_null(at);
    snprintf(set, sizeof(set), "{\"keys\":[%.*s]}", (int)(strchr(at, '}') - at + 1), at);
    at = strstr(set, "\"kid\":\"e1\",");
    memmove(at, at + 11, strlen(at + 11) + 1);
    assert_int_equal(jwks_parse(set, strlen(set), &k, why, sizeof(why)), 0);
    claims(p, sizeof(p), "\"" AUD "\"", NOW + 300, NOW, "n0nce");
    make(t, sizeof(t), "ES256", NULL, ec, p);
    assert_int_equal(check(k, t, "n0nce"), 0);
    jwks_free(k);
    /* the full set: one EC key among others serves a token without a kid; two do not */
    assert_int_equal(jwks_parse(jwks_text, strlen(jwks_text), &k, why, sizeof(why)), 0);
    assert_int_equal(check(k, t, "n0nce"), 0);
    jwks_free(k);
    snprintf(set, sizeof(set), "%s", jwks_text);
    at = strstr(set, "{\"kty\":\"EC\"");
    {
        char ecjson[512];
        snprintf(ecjson, sizeof(ecjson), "%.*s", (int)(strchr(at, '}') - at + 1), at);
        snprintf(set + strlen(set) - 2, sizeof(set) - strlen(set) + 2, ",%s]}", ecjson);
    }
    assert_int_equal(jwks_parse(set, strlen(set), &k, why, sizeof(why)), 0);
    assert_int_equal(check(k, t, "n0nce"), ERR_INVALID);
    jwks_free(k);
}

static void test_key_sets(void **state)
{
    struct jwks *k = NULL;
    char why[128];
    static const char *const bad[] = {
        "",
        "[]",
        "{\"keys\":{}}",
        "{\"keys\":[]}",
        "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"off\",\"crv\":\"P-256\","
        "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"p384\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]"
        "}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jwks_parse(bad[i], strlen(bad[i]), &k, why, sizeof(why)), ERR_INVALID);
        assert_null(k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_tokens),
        cmocka_unit_test(test_refused_tokens),
        cmocka_unit_test(test_keys_without_kid),
        cmocka_unit_test(test_key_sets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
