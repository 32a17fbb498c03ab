/*
 * seal.h - encrypting memo content and sealing keys to readers (libsodium).
 *
 * Content: XChaCha20-Poly1305 under a 32-byte key with a random nonce; the stored form is
 * nonce (24) || ciphertext || tag (16). Associated data binds a ciphertext to its memo and field,
 * so it cannot be moved to another memo or field unnoticed.
 * Keys to readers: crypto_box_seal (X25519 + XSalsa20-Poly1305, anonymous sender), 48 bytes of
 * overhead.
 */
#ifndef DISSENT_CRYPTO_SEAL_H
#define DISSENT_CRYPTO_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_LEN 32
#define SEAL_PUB_LEN 32
#define SEAL_SEC_LEN 32
#define SEAL_BOX_OVERHEAD 48 /* crypto_box_SEALBYTES */
#define SEAL_SEALED_KEY_LEN (SEAL_KEY_LEN + SEAL_BOX_OVERHEAD)
#define SEAL_AEAD_OVERHEAD (24 + 16) /* nonce and tag */

/** seal_key_new() - a fresh random 32-byte key into @key. */
void seal_key_new(uint8_t key[SEAL_KEY_LEN]);

/** seal_keypair_new() - a fresh X25519 key pair. */
void seal_keypair_new(uint8_t pk[SEAL_PUB_LEN], uint8_t sk[SEAL_SEC_LEN]);

/** seal_keypair_matches() - whether @sk is the secret half of @pk (constant time). */
bool seal_keypair_matches(const uint8_t pk[SEAL_PUB_LEN], const uint8_t sk[SEAL_SEC_LEN]);

/** seal_to() - seal the 32-byte @key to the holder of @pk into @out. */
void seal_to(uint8_t out[SEAL_SEALED_KEY_LEN], const uint8_t key[SEAL_KEY_LEN],
             const uint8_t pk[SEAL_PUB_LEN]);

/**
 * seal_open() - open a key sealed to (@pk, @sk) into @key.
 * Returns 0 or ERR_CRYPTO (not sealed to this key pair, or tampered); @key is zeroed then.
 */
__attribute__((warn_unused_result)) int seal_open(uint8_t key[SEAL_KEY_LEN],
                                                  const uint8_t in[SEAL_SEALED_KEY_LEN],
                                                  const uint8_t pk[SEAL_PUB_LEN],
                                                  const uint8_t sk[SEAL_SEC_LEN]);

/**
 * seal_encrypt() - encrypt @len bytes of @msg under @key with associated data @ad (a string).
 * Returns 0 and a malloc'd buffer in *@out of *@outlen = @len + SEAL_AEAD_OVERHEAD bytes (caller
 * frees), or ERR_NOMEM.
 */
int seal_encrypt(const uint8_t key[SEAL_KEY_LEN], const char *ad, const void *msg, size_t len,
                 uint8_t **out, size_t *outlen);

/**
 * seal_decrypt() - decrypt @len bytes of @in. Returns 0 and a malloc'd NUL-terminated plaintext
 * in *@out of *@outlen bytes (caller frees; wipe it first when it is sensitive), ERR_CRYPTO (wrong
 * key, other @ad, tampered, too short) or ERR_NOMEM.
 */
__attribute__((warn_unused_result)) int seal_decrypt(const uint8_t key[SEAL_KEY_LEN],
                                                     const char *ad, const uint8_t *in, size_t len,
                                                     char **out, size_t *outlen);

/** seal_derive() - a 32-byte key from @len bytes of high-entropy @secret and a @context label. */
void seal_derive(uint8_t out[SEAL_KEY_LEN], const void *secret, size_t len, const char *context);

#endif
