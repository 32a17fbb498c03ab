/*
 * hash.h - SHA-256 (OpenSSL's, libsodium's as the fallback), constant-time comparison and
 * base64, over libsodium.
 * All functions are thread safe once random_init() has run.
 */
#ifndef DISSENT_CRYPTO_HASH_H
#define DISSENT_CRYPTO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one size of a SHA-256 hash, whatever it hashes: a tree node, a memo's digest, a session
 * token's or an enrolment code's hash (every module names it so). */
#define HASH_SHA256_LEN 32

/** hash_sha256() - @out = SHA-256(@data[0..@len)). */
void hash_sha256(uint8_t out[HASH_SHA256_LEN], const void *data, size_t len);

#define HASH_KEYED_LEN 32
#define HASH_KEY_LEN 32

/** hash_keyed() - @out = BLAKE2b-256 of @data[0..@len) keyed with @key (a MAC). */
void hash_keyed(uint8_t out[HASH_KEYED_LEN], const void *data, size_t len,
                const uint8_t key[HASH_KEY_LEN]);

/** hash_equal() - constant-time comparison of two @len-byte buffers; true when equal. */
__attribute__((warn_unused_result)) bool hash_equal(const void *a, const void *b, size_t len);

/**
 * b64_encode() - standard (padded) or URL-safe unpadded base64 of @bin into @out.
 * @out must hold b64_encoded_len(@len) bytes including the terminating NUL.
 */
void b64_encode(char *out, size_t outlen, const uint8_t *bin, size_t len, bool urlsafe);

/** b64_encoded_len() - bytes b64_encode() needs for @len input bytes, NUL included. */
size_t b64_encoded_len(size_t len, bool urlsafe);

/**
 * b64_decode() - decode @in (standard padded, or URL-safe unpadded) into @out of @outcap bytes.
 * Returns 0 and sets *@outlen, or ERR_INVALID (bad characters, trailing data, too long).
 */
int b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
               bool urlsafe);

#endif
