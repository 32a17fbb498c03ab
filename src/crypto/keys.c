#include "crypto/keys.h"

#include "util/err.h"

#include <sodium.h>
#include <stddef.h>
#include <string.h>

struct user_keys *keys_new(void)
{
    struct user_keys *k = sodium_malloc(sizeof(*k));

    if (k != NULL)
        sodium_memzero(k, sizeof(*k));
    return k;
}

void keys_free(struct user_keys *k)
{
    if (k != NULL)
        sodium_free(k); /* wipes */
}

void *keys_secure_alloc(size_t len)
{
    void *p = sodium_malloc(len);

    if (p != NULL)
        sodium_memzero(p, len);
    return p;
}

void keys_secure_free(void *p)
{
    if (p != NULL)
        sodium_free(p);
}

void keys_generate(struct user_keys *k)
{
    crypto_sign_keypair(k->sign_pk, k->sign_sk);
    crypto_box_keypair(k->box_pk, k->box_sk);
}

int keys_kek_password(uint8_t kek[KEYS_KEK_LEN], const char *pw, size_t pwlen,
                      const uint8_t salt[KEYS_SALT_LEN], uint64_t ops, uint64_t mem)
{
    if (crypto_pwhash(kek, KEYS_KEK_LEN, pw, pwlen, salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ERR_NOMEM;
    return 0;
}

void keys_kek_token(uint8_t kek[KEYS_KEK_LEN], const char *token, size_t len)
{
    static const uint8_t context[32] = "dissent session key wrapping v1";

    crypto_generichash(kek, KEYS_KEK_LEN, (const uint8_t *)token, len, context, sizeof(context));
}

void keys_wrap(const struct user_keys *k, const uint8_t kek[KEYS_KEK_LEN], const char *ad,
               uint8_t out[KEYS_WRAPPED_LEN])
{
    uint8_t *nonce = out, *ct = out + KEYS_NONCE_LEN;

    randombytes_buf(nonce, KEYS_NONCE_LEN);
    /* sign_sk and box_sk are adjacent: one message of 96 bytes */
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, k->sign_sk,
                                               KEYS_SIGN_SK_LEN + KEYS_BOX_SK_LEN,
                                               (const uint8_t *)ad, strlen(ad), NULL, nonce, kek);
}

int keys_unwrap(struct user_keys *k, const uint8_t kek[KEYS_KEK_LEN], const char *ad,
                const uint8_t in[KEYS_WRAPPED_LEN])
{
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->sign_sk, NULL, NULL, in + KEYS_NONCE_LEN,
                                                   KEYS_WRAPPED_LEN - KEYS_NONCE_LEN,
                                                   (const uint8_t *)ad, strlen(ad), in, kek) != 0) {
        sodium_memzero(k, sizeof(*k));
        return ERR_CRYPTO;
    }
    crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
    crypto_scalarmult_base(k->box_pk, k->box_sk);
    return 0;
}

/* keys_wrap() encrypts sign_sk and box_sk as one contiguous message. */
_Static_assert(offsetof(struct user_keys, box_sk) == KEYS_SIGN_SK_LEN, "box_sk follows sign_sk");
