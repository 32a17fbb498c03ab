/*
 * random.h - library start-up and randomness.
 */
#ifndef DISSENT_CRYPTO_RANDOM_H
#define DISSENT_CRYPTO_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/** random_init() - initialise libsodium; call once before any thread starts. 0 or ERR_CRYPTO. */
int random_init(void);

/** random_bytes() - fill @buf with @len bytes from the system CSPRNG. Thread safe. */
void random_bytes(void *buf, size_t len);

/**
 * random_password() - a random printable password of @len-1 characters plus NUL in @out
 * (alphabet without look-alike characters). @len must be at least 2.
 */
void random_password(char *out, size_t len);

/** wipe() - zero @len bytes at @p in a way the compiler cannot remove. */
void wipe(void *p, size_t len);

#endif
