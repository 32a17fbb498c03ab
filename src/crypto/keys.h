/*
 * keys.h - a user's key pairs and how they are kept.
 *
 * Every account has an Ed25519 signing key and an X25519 encryption key. Their private halves
 * are stored only wrapped (XChaCha20-Poly1305) under a key-encryption key (KEK):
 *  - at rest, the KEK is derived with Argon2id from the password and a per-user salt;
 *  - inside a session, they are wrapped again under a KEK derived from the session token, which
 *    only the client holds (the server keeps the token's SHA-256), so the session's copy is
 *    useless without the cookie and every server sharing the database can use it.
 * Unwrapped keys live only in sodium_malloc'd memory (guard pages, mlock, excluded from core
 * dumps) and are wiped when freed.
 */
#ifndef DISSENT_CRYPTO_KEYS_H
#define DISSENT_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_SALT_LEN 16
#define KEYS_KEK_LEN 32
#define KEYS_PUB_LEN 32
#define KEYS_SIGN_SK_LEN 64
#define KEYS_BOX_SK_LEN 32
#define KEYS_NONCE_LEN 24
#define KEYS_TAG_LEN 16
/* nonce || ciphertext(sign_sk || box_sk) || tag */
#define KEYS_WRAPPED_LEN (KEYS_NONCE_LEN + KEYS_SIGN_SK_LEN + KEYS_BOX_SK_LEN + KEYS_TAG_LEN)

/* Both key pairs of one user. Allocate with keys_new(); never copy. */
struct user_keys {
    uint8_t sign_sk[KEYS_SIGN_SK_LEN]; /* Ed25519 secret key (seed || public) */
    uint8_t box_sk[KEYS_BOX_SK_LEN];   /* X25519 secret key */
    uint8_t sign_pk[KEYS_PUB_LEN];     /* Ed25519 public key */
    uint8_t box_pk[KEYS_PUB_LEN];      /* X25519 public key */
};

/** keys_new() - zeroed keys in guarded, unswappable, undumpable memory; NULL when out of it. */
struct user_keys *keys_new(void);

/** keys_free() - wipe and release; NULL is a no-op. */
void keys_free(struct user_keys *k);

/**
 * keys_secure_alloc() - @len zeroed bytes of sodium_malloc'd memory for any secret; NULL if
 * none. Small blocks are recycled (wiped) through a per-thread cache. Thread safe.
 */
void *keys_secure_alloc(size_t len);

/** keys_secure_free() - wipe and release memory from keys_secure_alloc(); NULL is a no-op. */
void keys_secure_free(void *p);

/** keys_generate() - fresh random key pairs into @k. */
void keys_generate(struct user_keys *k);

/**
 * keys_kek_password() - KEK = Argon2id(@pw, @salt) with cost @ops/@mem. SLOW.
 * Returns 0 or ERR_NOMEM.
 */
int keys_kek_password(uint8_t kek[KEYS_KEK_LEN], const char *pw, size_t pwlen,
                      const uint8_t salt[KEYS_SALT_LEN], uint64_t ops, uint64_t mem);

/** keys_kek_token() - KEK = keyed BLAKE2b of the session token (256 random bits: no stretching). */
void keys_kek_token(uint8_t kek[KEYS_KEK_LEN], const char *token, size_t len);

/** keys_kek_prf() - KEK = keyed BLAKE2b of a passkey's PRF output (core/passkey.h): 256 bits
 *  from the authenticator, no stretching, another context than the token's. */
void keys_kek_prf(uint8_t kek[KEYS_KEK_LEN], const uint8_t *prf, size_t len);
/**
 * keys_wrap() - encrypt @k's private halves under @kek, binding @ad (the username) as
 * associated data, into @out.
 */
void keys_wrap(const struct user_keys *k, const uint8_t kek[KEYS_KEK_LEN], const char *ad,
               uint8_t out[KEYS_WRAPPED_LEN]);

/**
 * keys_unwrap() - decrypt @in into @k and recompute the public halves.
 * Returns 0, or ERR_CRYPTO (wrong KEK, other @ad, or tampered); then @k is zeroed.
 */
__attribute__((warn_unused_result)) int keys_unwrap(struct user_keys *k,
                                                    const uint8_t kek[KEYS_KEK_LEN], const char *ad,
                                                    const uint8_t in[KEYS_WRAPPED_LEN]);

/**
 * keys_unwrap_known() - keys_unwrap() when the public halves are already known (from the
 * account's record): they are copied instead of derived, which saves a scalar multiplication on
 * every signing request. NULL for either derives it.
 */
__attribute__((warn_unused_result)) int
keys_unwrap_known(struct user_keys *k, const uint8_t kek[KEYS_KEK_LEN], const char *ad,
                  const uint8_t in[KEYS_WRAPPED_LEN], const uint8_t *sign_pk,
                  const uint8_t *box_pk);

#endif
