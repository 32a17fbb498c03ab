#include "crypto/keys.h"

#include "crypto/password.h"

#include "util/err.h"
#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct user_keys *keys_new(void)
{
    return keys_secure_alloc(sizeof(struct user_keys));
}

void keys_free(struct user_keys *k)
{
    keys_secure_free(k);
}

/*
 * Secret buffers come from sodium_malloc (guard pages, mlock, MADV_DONTDUMP). Mapping and
 * unmapping those pages on every request costs far more than the cryptography (and cross-CPU
 * TLB shootdowns on a VM), so small blocks are kept, wiped, for reuse. The cache is the
 * process's, not a thread's: a request's key is often made on one thread and released on
 * another, and a burst holds more than a few at once (each of 64 signers waiting on a group
 * commit holds two), so a small per-thread cache was empty when asked and full when given back.
 * Each block keeps its own guard pages; each starts with a header naming its class, so a free
 * knows whether to cache it. At most POOL_MAX blocks are kept: about 4 KiB locked each.
 */
#define POOL_BLOCK 512 /* usable bytes of a cached block */
#define POOL_MAX 256   /* cached blocks, for the whole process */
#define POOL_HEAD 16   /* header before the usable bytes: keeps them 16-byte aligned */
#define POOL_MAGIC UINT64_C(0x6b657973706f6f6c)

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *pool[POOL_MAX];
static int pool_count;

/* A cached block, wiped when it was freed, or NULL. */
static uint8_t *pool_take(void)
{
    uint8_t *base = NULL;

    pthread_mutex_lock(&pool_mu);
    if (pool_count > 0)
        base = pool[--pool_count];
    pthread_mutex_unlock(&pool_mu);
    return base;
}

/* Keeps @base for reuse; false when the cache is full. */
static bool pool_give(uint8_t *base)
{
    bool kept = false;

    pthread_mutex_lock(&pool_mu);
    if (pool_count < POOL_MAX) {
        pool[pool_count++] = base;
        kept = true;
    }
    pthread_mutex_unlock(&pool_mu);
    return kept;
}

void *keys_secure_alloc(size_t len)
{
    size_t size = len <= POOL_BLOCK ? POOL_BLOCK : len;
    uint64_t head[2];
    uint8_t *base = NULL;

    if (size > SIZE_MAX - POOL_HEAD || mem_fail_now())
        return NULL;
    if (size == POOL_BLOCK)
        base = pool_take();
    if (base == NULL) {
        base = sodium_malloc(POOL_HEAD + size);
        if (base == NULL)
            return NULL;
        head[0] = POOL_MAGIC;
        head[1] = size;
        memcpy(base, head, sizeof(head));
    }
    sodium_memzero(base + POOL_HEAD, size);
    mem_track(1);
    return base + POOL_HEAD;
}

void keys_secure_free(void *p)
{
    uint8_t *base;
    uint64_t head[2];

    if (p == NULL)
        return;
    mem_track(-1);
    base = (uint8_t *)p - POOL_HEAD;
    memcpy(head, base, sizeof(head));
    sodium_memzero(p, head[1]);
    if (head[0] != POOL_MAGIC || head[1] != POOL_BLOCK || !pool_give(base))
        sodium_free(base);
}

void keys_generate(struct user_keys *k)
{
    crypto_sign_keypair(k->sign_pk, k->sign_sk);
    crypto_box_keypair(k->box_pk, k->box_sk);
}

int keys_kek_password(uint8_t kek[KEYS_KEK_LEN], const char *pw, size_t pwlen,
                      const uint8_t salt[KEYS_SALT_LEN], uint64_t ops, uint64_t mem)
{
    int rc;

    password_gate_enter(); /* no more Argon2id at once than the gate lets through */
    rc = crypto_pwhash(kek, KEYS_KEK_LEN, pw, pwlen, salt, ops, (size_t)mem,
                       crypto_pwhash_ALG_ARGON2ID13);
    password_gate_leave();
    return rc != 0 ? ERR_NOMEM : 0;
}

void keys_kek_token(uint8_t kek[KEYS_KEK_LEN], const char *token, size_t len)
{
    static const uint8_t context[32] = "dissent session key wrapping v1";

    crypto_generichash(kek, KEYS_KEK_LEN, (const uint8_t *)token, len, context, sizeof(context));
}

void keys_kek_prf(uint8_t kek[KEYS_KEK_LEN], const uint8_t *prf, size_t len)
{
    static const uint8_t context[32] = "dissent passkey prf wrapping v1";

    crypto_generichash(kek, KEYS_KEK_LEN, prf, len, context, sizeof(context));
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
    return keys_unwrap_known(k, kek, ad, in, NULL, NULL);
}

int keys_unwrap_known(struct user_keys *k, const uint8_t kek[KEYS_KEK_LEN], const char *ad,
                      const uint8_t in[KEYS_WRAPPED_LEN], const uint8_t *sign_pk,
                      const uint8_t *box_pk)
{
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->sign_sk, NULL, NULL, in + KEYS_NONCE_LEN,
                                                   KEYS_WRAPPED_LEN - KEYS_NONCE_LEN,
                                                   (const uint8_t *)ad, strlen(ad), in, kek) != 0) {
        sodium_memzero(k, sizeof(*k));
        return ERR_CRYPTO;
    }
    if (sign_pk != NULL)
        memcpy(k->sign_pk, sign_pk, KEYS_PUB_LEN);
    else
        crypto_sign_ed25519_sk_to_pk(k->sign_pk, k->sign_sk);
    if (box_pk != NULL)
        memcpy(k->box_pk, box_pk, KEYS_PUB_LEN);
    else if (crypto_scalarmult_base(k->box_pk, k->box_sk) != 0) {
        sodium_memzero(k, sizeof(*k));
        return ERR_CRYPTO;
    }
    return 0;
}

/* keys_wrap() encrypts sign_sk and box_sk as one contiguous message. */
_Static_assert(offsetof(struct user_keys, box_sk) == KEYS_SIGN_SK_LEN, "box_sk follows sign_sk");
