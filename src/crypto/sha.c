#include "crypto/sha.h"

#include <openssl/evp.h>
#include <sodium.h>

/* OpenSSL's SHA-256 (the processor's SHA instructions, as hash_sha256() uses); false when it
 * failed, and then libsodium's gives the same digest. Its context is wiped when freed. */
static bool gather_openssl(uint8_t out[HASH_SHA256_LEN], const struct sha256_part *parts,
                           size_t count)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;

    for (size_t i = 0; ok && i < count; i++)
        ok = EVP_DigestUpdate(c, parts[i].data, parts[i].len) == 1;
    ok = ok && EVP_DigestFinal_ex(c, out, &n) == 1 && n == HASH_SHA256_LEN;
    EVP_MD_CTX_free(c);
    return ok;
}

void sha256_gather(uint8_t out[HASH_SHA256_LEN], const struct sha256_part *parts, size_t count)
{
    crypto_hash_sha256_state st;

    if (gather_openssl(out, parts, count))
        return;
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
