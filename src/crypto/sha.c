#include "crypto/sha.h"

#include <sodium.h>

void sha256_gather(uint8_t out[HASH_SHA256_LEN], const struct sha256_part *parts, size_t count)
{
    crypto_hash_sha256_state st;

    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < count; i++)
        crypto_hash_sha256_update(&st, parts[i].data, parts[i].len);
    crypto_hash_sha256_final(&st, out);
    /* Callers may hash secrets (a salt): leave nothing of them on the stack. */
    sodium_memzero(&st, sizeof(st));
}

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(struct sha256_ctx), "sha256_ctx");

void sha256_init(struct sha256_ctx *c)
{
    crypto_hash_sha256_init((crypto_hash_sha256_state *)c->state);
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    crypto_hash_sha256_update((crypto_hash_sha256_state *)c->state, data, len);
}

void sha256_final(struct sha256_ctx *c, uint8_t out[HASH_SHA256_LEN])
{
    crypto_hash_sha256_final((crypto_hash_sha256_state *)c->state, out);
    sodium_memzero(c, sizeof(*c));
}
