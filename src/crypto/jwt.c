#include "crypto/jwt.h"

/* OpenSSL's type ERR_STATE would clash with util/err.h's code of that name: renamed, unused */
#define ERR_STATE openssl_err_state
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#undef ERR_STATE

#include "crypto/hash.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <jansson.h>
#include <string.h>

#define KID_MAX 128

struct jwk {
    char kid[KID_MAX + 1];
    bool ec; /* ES256; else RS256 */
    EVP_PKEY *pkey;
};

struct jwks {
    struct jwk keys[JWKS_MAX_KEYS];
    size_t n;
};

void jwks_free(struct jwks *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n; i++)
        EVP_PKEY_free(k->keys[i].pkey);
    mem_free(k);
}

size_t jwks_count(const struct jwks *k)
{
    return k ? k->n : 0;
}

/* The base64url member @name of @o into @out (1..@cap bytes). */
static int b64_member(json_t *o, const char *name, uint8_t *out, size_t cap, size_t *len)
{
    const char *s = json_string_value(json_object_get(o, name));

    *len = 0;
    if (s == NULL || b64_decode(out, cap, len, s, strlen(s), true) != 0 || *len == 0)
        return ERR_INVALID;
    return 0;
}

/* A public key from OpenSSL's parameters for @type ("RSA", "EC"). */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL), *check = NULL;
    EVP_PKEY *pkey = NULL;

    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    /* a point off the curve, or an RSA key of nonsense, is no key */
    if (pkey != NULL && ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
                         EVP_PKEY_public_check(check) != 1)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_key(json_t *o)
{
    uint8_t n[1024], e[16];
    size_t nl = 0, el = 0;
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *bn = NULL, *be = NULL;
    EVP_PKEY *pkey = NULL;

    if (b64_member(o, "n", n, sizeof(n), &nl) != 0 || b64_member(o, "e", e, sizeof(e), &el) != 0)
        return NULL;
    if ((bn = BN_bin2bn(n, (int)nl, NULL)) == NULL || (be = BN_bin2bn(e, (int)el, NULL)) == NULL ||
        (bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
        goto out;
    pkey = from_params("RSA", bld);
    if (pkey != NULL && (EVP_PKEY_get_bits(pkey) < 2048 || EVP_PKEY_get_bits(pkey) > 8192)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *o)
{
    uint8_t x[33], y[33], pub[65];
    size_t xl = 0, yl = 0;
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pkey = NULL;
    const char *crv = json_string_value(json_object_get(o, "crv"));

    if (crv == NULL || strcmp(crv, "P-256") != 0 || b64_member(o, "x", x, sizeof(x), &xl) != 0 ||
        b64_member(o, "y", y, sizeof(y), &yl) != 0 || xl != 32 || yl != 32)
        return NULL;
    pub[0] = 0x04;
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    if ((bld = OSSL_PARAM_BLD_new()) == NULL)
        return NULL;
    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) == 1)
        pkey = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

int jwks_parse(const char *text, size_t len, struct jwks **out, char *why, size_t whylen)
{
    json_error_t jerr;
    json_t *root, *arr, *o;
    struct jwks *k;
    size_t i;

    *out = NULL;
    if (text == NULL || len == 0 || len > JWKS_MAX_LEN ||
        (root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
        err_set(why, whylen, "the key set is not JSON of at most %d bytes", JWKS_MAX_LEN);
        return ERR_INVALID;
    }
    arr = json_object_get(root, "keys");
    if (!json_is_array(arr)) {
        json_decref(root);
        err_set(why, whylen, "the key set has no \"keys\" array");
        return ERR_INVALID;
    }
    if ((k = mem_calloc(1, sizeof(*k))) == NULL) {
        json_decref(root);
        return ERR_NOMEM;
    }
    json_array_foreach(arr, i, o)
    {
        const char *kty = json_string_value(json_object_get(o, "kty"));
        const char *kid = json_string_value(json_object_get(o, "kid"));
        const char *use = json_string_value(json_object_get(o, "use"));
        const char *alg = json_string_value(json_object_get(o, "alg"));
        struct jwk *key;
        /* a kid may be absent: an issuer of one key need not name it (OIDC Core 10.1) */
        if (k->n == JWKS_MAX_KEYS || kty == NULL || (kid != NULL && strlen(kid) > KID_MAX) ||
            (use != NULL && strcmp(use, "sig") != 0))
            continue;
        key = &k->keys[k->n];
        if (strcmp(kty, "RSA") == 0 && (alg == NULL || strcmp(alg, "RS256") == 0))
            key->pkey = rsa_key(o);
        else if (strcmp(kty, "EC") == 0 && (alg == NULL || strcmp(alg, "ES256") == 0)) {
            key->pkey = ec_key(o);
            key->ec = true;
        }
        if (key->pkey == NULL) {
            memset(key, 0, sizeof(*key));
            continue;
        }
        str_copy(key->kid, sizeof(key->kid), kid ? kid : "");
        k->n++;
    }
    json_decref(root);
    if (k->n == 0) {
        jwks_free(k);
        err_set(why, whylen, "the key set holds no RS256 or ES256 signing key");
        return ERR_INVALID;
    }
    *out = k;
    return 0;
}

/* The JOSE ES256 signature r || s (64 bytes) as DER, for OpenSSL: malloc'd into *@der. */
static int es256_der(const uint8_t *sig, size_t len, unsigned char **der, size_t *der_len)
{
    ECDSA_SIG *s = NULL;
    BIGNUM *r = NULL, *ss = NULL;
    int n;

    *der = NULL;
    if (len != 64 || (s = ECDSA_SIG_new()) == NULL)
        return ERR_INVALID;
    r = BN_bin2bn(sig, 32, NULL);
    ss = BN_bin2bn(sig + 32, 32, NULL);
    if (r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1) {
        BN_free(r);
        BN_free(ss);
        ECDSA_SIG_free(s);
        return ERR_INVALID;
    }
    n = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    if (n <= 0)
        return ERR_INVALID;
    *der_len = (size_t)n;
    return 0;
}

/* A numeric claim as whole seconds, or -1 when absent; ERR_INVALID when not a number. */
static int time_claim(json_t *c, const char *name, int64_t *out)
{
    json_t *v = json_object_get(c, name);

    *out = -1;
    if (v == NULL)
        return 0;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else if (json_is_real(v) && json_real_value(v) > -1e15 && json_real_value(v) < 1e15)
        *out = (int64_t)json_real_value(v);
    else
        return ERR_INVALID;
    /* far outside any clock: refused, and the comparisons below cannot overflow */
    if (*out < -((int64_t)1 << 50) || *out > ((int64_t)1 << 50))
        return ERR_INVALID;
    return 0;
}

/* The claims of OpenID Connect Core 3.1.3.7 (see the header). */
static int check_claims(json_t *c, const struct jwt_expect *e, char *why, size_t whylen)
{
    const char *iss = json_string_value(json_object_get(c, "iss"));
    const char *nonce = json_string_value(json_object_get(c, "nonce"));
    const char *azp = json_string_value(json_object_get(c, "azp"));
    json_t *aud = json_object_get(c, "aud"), *v;
    int64_t exp, iat, nbf;
    bool ours = false;
    size_t i;

    if (iss == NULL || strcmp(iss, e->issuer) != 0) {
        err_set(why, whylen, "the token's issuer is not %.200s", e->issuer);
        return ERR_CRYPTO;
    }
    if (json_is_string(aud))
        ours = strcmp(json_string_value(aud), e->client_id) == 0;
    else if (json_is_array(aud)) {
        json_array_foreach(aud, i, v) if (json_is_string(v) &&
                                          strcmp(json_string_value(v), e->client_id) == 0) ours =
            true;
        if (ours && json_array_size(aud) > 1 && azp == NULL)
            ours = false;
    }
    /* an authorized party, when named, is this client (OIDC Core 3.1.3.7, 4 and 5) */
    if (azp != NULL && strcmp(azp, e->client_id) != 0)
        ours = false;
    if (!ours) {
        err_set(why, whylen, "the token was issued for another client");
        return ERR_CRYPTO;
    }
    if (time_claim(c, "exp", &exp) != 0 || time_claim(c, "iat", &iat) != 0 ||
        time_claim(c, "nbf", &nbf) != 0 || exp < 0 || iat < 0) {
        err_set(why, whylen, "the token's times (exp, iat, nbf) are missing or not numbers");
        return ERR_CRYPTO;
    }
    if (exp <= e->now - JWT_SKEW) {
        err_set(why, whylen, "the token has expired");
        return ERR_CRYPTO;
    }
    if (iat > e->now + JWT_SKEW || (nbf >= 0 && nbf > e->now + JWT_SKEW)) {
        err_set(why, whylen, "the token is not valid yet (the clocks differ?)");
        return ERR_CRYPTO;
    }
    if (e->nonce != NULL && (nonce == NULL || strcmp(nonce, e->nonce) != 0)) {
        err_set(why, whylen, "the token's nonce is not this sign-in's");
        return ERR_CRYPTO;
    }
    return 0;
}

int jwt_verify(const char *token, size_t len, const struct jwks *keys, const struct jwt_expect *e,
               struct json_t **claims, char *why, size_t whylen)
{
    const char *dot1, *dot2;
    uint8_t *buf = NULL, sig[1024];
    unsigned char *der = NULL;
    size_t hl = 0, pl = 0, sl = 0, der_len = 0;
    const struct jwk *key = NULL;
    json_t *hdr = NULL, *payload = NULL;
    EVP_MD_CTX *md = NULL;
    const char *alg, *kid;
    bool ec_alg, twice = false;
    json_error_t jerr;
    int rc = ERR_INVALID;

    *claims = NULL;
    if (token == NULL || len == 0 || len > JWT_MAX_LEN || memchr(token, '\0', len) != NULL ||
        (dot1 = memchr(token, '.', len)) == NULL ||
        (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))) == NULL ||
        memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
        err_set(why, whylen, "not a signed JWT (three base64url parts)");
        return ERR_INVALID;
    }
    if ((buf = mem_alloc(len)) == NULL) {
        err_set(why, whylen, "out of memory");
        return ERR_NOMEM;
    }
    if (b64_decode(buf, len, &hl, token, (size_t)(dot1 - token), true) != 0 ||
        (hdr = json_loadb((const char *)buf, hl, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
        !json_is_object(hdr)) {
        err_set(why, whylen, "the token's header is not JSON");
        goto out;
    }
    alg = json_string_value(json_object_get(hdr, "alg"));
    kid = json_string_value(json_object_get(hdr, "kid"));
    if (alg == NULL || (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0) ||
        json_object_get(hdr, "crit") != NULL) {
        err_set(why, whylen, "the token's algorithm is not RS256 or ES256");
        goto out;
    }
    /* the key of that kid and of the algorithm's type; without a kid, the only such key */
    ec_alg = strcmp(alg, "ES256") == 0;
    for (size_t i = 0; i < keys->n; i++) {
        const struct jwk *j = &keys->keys[i];
        if (j->ec != ec_alg || (kid != NULL && strcmp(j->kid, kid) != 0))
            continue;
        if (key != NULL)
            twice = true;
        else
            key = j;
    }
    if (twice) {
        err_set(why, whylen, "the issuer's key set has several keys the token could name");
        goto out;
    }
    if (kid == NULL && key == NULL) {
        err_set(why, whylen, "the token names no key (kid) and the set has none for it");
        goto out;
    }
    if (key == NULL) {
        bool other = false;
        for (size_t i = 0; i < keys->n; i++)
            other = other || strcmp(keys->keys[i].kid, kid) == 0;
        if (other) {
            err_set(why, whylen, "the token's algorithm does not fit its key");
            goto out;
        }
        err_set(why, whylen, "the token's key (kid) is not in the issuer's key set");
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (b64_decode(sig, sizeof(sig), &sl, dot2 + 1, len - (size_t)(dot2 + 1 - token), true) != 0 ||
        sl == 0) {
        err_set(why, whylen, "the token's signature is not base64url");
        goto out;
    }
    if (key->ec && es256_der(sig, sl, &der, &der_len) != 0) {
        rc = ERR_INVALID;
        err_set(why, whylen, "an ES256 signature is 64 bytes");
        goto out;
    }
    rc = ERR_CRYPTO;
    if ((md = EVP_MD_CTX_new()) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
        EVP_DigestVerify(md, key->ec ? der : sig, key->ec ? der_len : sl,
                         (const unsigned char *)token, (size_t)(dot2 - token)) != 1) {
        err_set(why, whylen, "the token's signature does not verify");
        goto out;
    }
    if (b64_decode(buf, len, &pl, dot1 + 1, (size_t)(dot2 - dot1 - 1), true) != 0 ||
        (payload = json_loadb((const char *)buf, pl, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
        !json_is_object(payload)) {
        err_set(why, whylen, "the token's claims are not JSON");
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = check_claims(payload, e, why, whylen)) != 0)
        goto out;
    *claims = payload;
    payload = NULL;
out:
    ERR_clear_error(); /* nothing of this token's failure stays in the thread's OpenSSL queue */
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    json_decref(hdr);
    json_decref(payload);
    mem_free(buf);
    return rc;
}
