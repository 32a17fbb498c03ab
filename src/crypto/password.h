/*
 * password.h - Argon2id password hashing (libsodium's crypto_pwhash_str).
 *
 * Both calls are slow on purpose (tens of milliseconds, tens of MiB): never call them on an
 * event-loop thread; the HTTP layer runs routes flagged slow on its worker pool. That pool is
 * larger than the cores (its threads mostly wait, on a group commit or the database), so a
 * gate lets only so many Argon2id computations run at once (one per core unless set): more
 * would gain no speed and multiply the memory (64 MiB each by default).
 */
#ifndef DISSENT_CRYPTO_PASSWORD_H
#define DISSENT_CRYPTO_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_LEN 8
#define PASSWORD_MAX_LEN 1024

/**
 * password_hash() - Argon2id hash string of @pw (@len bytes) into @out (PASSWORD_HASH_MAX bytes).
 * @ops, @mem: Argon2id opslimit and memlimit (bytes).
 * Returns 0, or ERR_NOMEM when the memory limit cannot be allocated.
 */
int password_hash(char out[PASSWORD_HASH_MAX], const char *pw, size_t len, uint64_t ops,
                  uint64_t mem);

/**
 * password_verify() - 0 when @pw matches the hash string @stored, ERR_UNAUTH otherwise.
 * Runs in time independent of where the password differs.
 */
__attribute__((warn_unused_result)) int password_verify(const char *stored, const char *pw,
                                                        size_t len);

/**
 * password_dummy_verify() - spend the same time as a real verification against a fixed hash,
 * so that a login for an unknown user takes as long as one for a known user.
 */
void password_dummy_verify(uint64_t ops, uint64_t mem);

/** password_gate_set() - at most @n Argon2id computations at once (0: one per core). */
void password_gate_set(int n);

/**
 * password_gate_enter(), password_gate_leave() - around any Argon2id computation (the calls
 * above take it themselves; keys_kek_password() too): enter waits for a free place.
 */
void password_gate_enter(void);
void password_gate_leave(void);

#endif
