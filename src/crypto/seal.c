#include "crypto/seal.h"

#include "util/err.h"
#include "util/mem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SEAL_BOX_OVERHEAD == crypto_box_SEALBYTES, "sealed box overhead");
_Static_assert(SEAL_AEAD_OVERHEAD == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                         crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "aead overhead");

void seal_key_new(uint8_t key[SEAL_KEY_LEN])
{
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
}

void seal_keypair_new(uint8_t pk[SEAL_PUB_LEN], uint8_t sk[SEAL_SEC_LEN])
{
    crypto_box_keypair(pk, sk);
}

bool seal_keypair_matches(const uint8_t pk[SEAL_PUB_LEN], const uint8_t sk[SEAL_SEC_LEN])
{
    uint8_t derived[SEAL_PUB_LEN];
    bool ok =
        crypto_scalarmult_base(derived, sk) == 0 && sodium_memcmp(derived, pk, SEAL_PUB_LEN) == 0;

    sodium_memzero(derived, sizeof(derived));
    return ok;
}

void seal_to(uint8_t out[SEAL_SEALED_KEY_LEN], const uint8_t key[SEAL_KEY_LEN],
             const uint8_t pk[SEAL_PUB_LEN])
{
    crypto_box_seal(out, key, SEAL_KEY_LEN, pk);
}

int seal_open(uint8_t key[SEAL_KEY_LEN], const uint8_t in[SEAL_SEALED_KEY_LEN],
              const uint8_t pk[SEAL_PUB_LEN], const uint8_t sk[SEAL_SEC_LEN])
{
    if (crypto_box_seal_open(key, in, SEAL_SEALED_KEY_LEN, pk, sk) != 0) {
        sodium_memzero(key, SEAL_KEY_LEN);
        return ERR_CRYPTO;
    }
    return 0;
}

int seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const char *ad, const void *msg, size_t len,
                 uint8_t **out, size_t *outlen)
{
    uint8_t *buf = mem_alloc(len + SEAL_AEAD_OVERHEAD);

    *out = NULL;
    *outlen = 0;
    if (buf == NULL)
        return ERR_NOMEM;
    randombytes_buf(buf, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                               NULL, msg, len, (const uint8_t *)ad, strlen(ad),
                                               NULL, buf, key);
    *out = buf;
    *outlen = len + SEAL_AEAD_OVERHEAD;
    return 0;
}

int seal_decrypt(const uint8_t key[SEAL_KEY_LEN], const char *ad, const uint8_t *in, size_t len,
                 char **out, size_t *outlen)
{
    size_t n;
    char *buf;

    *out = NULL;
    *outlen = 0;
    if (in == NULL || len < SEAL_AEAD_OVERHEAD)
        return ERR_CRYPTO;
    n = len - SEAL_AEAD_OVERHEAD;
    buf = mem_alloc(n + 1);
    if (buf == NULL)
        return ERR_NOMEM;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (uint8_t *)buf, NULL, NULL, in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, (const uint8_t *)ad, strlen(ad), in,
            key) != 0) {
        mem_free(buf);
        return ERR_CRYPTO;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

void seal_derive(uint8_t out[SEAL_KEY_LEN], const void *secret, size_t len, const char *context)
{
    uint8_t ctx[crypto_generichash_KEYBYTES] = {0};
    size_t n = strlen(context);

    memcpy(ctx, context, n < sizeof(ctx) ? n : sizeof(ctx));
    crypto_generichash(out, SEAL_KEY_LEN, secret, len, ctx, sizeof(ctx));
}
