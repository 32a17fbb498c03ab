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
