/*
 * jwt.h - OpenID Connect ID tokens: a JSON Web Key Set (RFC 7517) and the check of a signed JWT
 * (RFC 7519, JWS compact serialization, RFC 7515) against it, through OpenSSL: RS256
 * (RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits) and ES256 (ECDSA P-256 with
 * SHA-256, the JOSE r || s signature). Nothing else is accepted: no "none", no HMAC (a public
 * key used as a shared secret), no algorithm the key was not made for.
 *
 * The claims (OpenID Connect Core 1.0, 3.1.3.7): "iss" is the issuer exactly; "aud" is the client
 * id or an array holding it (with several audiences, "azp" must be the client id); "exp" is in
 * the future and "iat" not in it, and "nbf" (when present) passed, each within a small skew; the
 * "nonce" is the one the sign-in sent. A token whose "kid" the set does not hold is
 * ERR_NOT_FOUND: the caller fetches the set again once (a key rotation) and retries.
 *
 * ES256 signatures are malleable (s and n - s both verify, as JOSE allows): a token's text, or
 * its hash, is never a key for replay checks; the nonce and the single-use state of the sign-in
 * are.
 *
 * Thread safe once made: a struct jwks is read-only after jwks_parse().
 */
#ifndef DISSENT_CRYPTO_JWT_H
#define DISSENT_CRYPTO_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN 16384  /* bytes of a token accepted */
#define JWKS_MAX_LEN 65536 /* bytes of a key set accepted */
#define JWKS_MAX_KEYS 32   /* keys of a set used */
#define JWT_SKEW 60        /* seconds of clock difference allowed */

struct json_t;
struct jwks;

/**
 * jwks_parse() - the usable keys of the JWK Set @text (@len bytes): RSA keys and P-256 EC keys
 * meant for signatures ("use" absent or "sig"), each with its "kid" (and "alg", when given, must
 * fit the key). Others are skipped. *@out is the caller's (jwks_free()). ERR_INVALID when the
 * text is not a key set or holds no usable key (@why says so).
 */
int jwks_parse(const char *text, size_t len, struct jwks **out, char *why, size_t whylen);

/** jwks_free() - free @k (NULL is a no-op). */
void jwks_free(struct jwks *k);

/** jwks_count() - how many usable keys @k holds. */
size_t jwks_count(const struct jwks *k);

/* What an ID token must say. */
struct jwt_expect {
    const char *issuer;    /* "iss", exactly */
    const char *client_id; /* in "aud" */
    const char *nonce;     /* "nonce", exactly (NULL: none expected) */
    int64_t now;           /* unix seconds */
};

/**
 * jwt_verify() - check the compact JWS @token (@len bytes) against @keys and @e. On success
 * *@claims receives the payload (json_decref()). ERR_NOT_FOUND when its "kid" is not in @keys;
 * ERR_CRYPTO for a bad signature or a claim that fails (@why says which); ERR_INVALID for a
 * malformed token or a refused algorithm.
 */
int jwt_verify(const char *token, size_t len, const struct jwks *keys, const struct jwt_expect *e,
               struct json_t **claims, char *why, size_t whylen);

#endif
