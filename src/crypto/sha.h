/*
 * sha.h - SHA-256 over several non-contiguous pieces (OpenSSL's, libsodium's as the fallback;
 * a file read piece by piece: libsodium's).
 *
 * The transparency log hashes a one-byte domain prefix followed by data (RFC 6962 leaves
 * and nodes); hashing the pieces in place avoids copying entries of up to 64 KiB into a
 * temporary buffer. Thread safe once random_init() has run; no global state.
 */
#ifndef DISSENT_CRYPTO_SHA_H
#define DISSENT_CRYPTO_SHA_H

#include "crypto/hash.h"

#include <stddef.h>
#include <stdint.h>

/* One piece of input: a non-owning view. */
struct sha256_part {
    const void *data; /* may be NULL when len is 0 */
    size_t len;       /* bytes at data */
};

/**
 * sha256_gather() - @out = SHA-256(@parts[0] || @parts[1] || ... || @parts[@count - 1]).
 * @count may be 0 (the hash of the empty string). No allocation; cannot fail.
 */
void sha256_gather(uint8_t out[HASH_SHA256_LEN], const struct sha256_part *parts, size_t count);

/* SHA-256 of input given piece by piece (a file read chunk by chunk). */
struct sha256_ctx {
    _Alignas(8) uint8_t state[104]; /* libsodium's crypto_hash_sha256_state */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/** sha256_final() - the digest of everything given; @c is wiped. */
void sha256_final(struct sha256_ctx *c, uint8_t out[HASH_SHA256_LEN]);

#endif
