#include "crypto/password.h"

#include "util/err.h"

#include <sodium.h>
#include <string.h>

int password_hash(char out[PASSWORD_HASH_MAX], const char *pw, size_t len, uint64_t ops,
                  uint64_t mem)
{
    if (crypto_pwhash_str(out, pw, len, ops, (size_t)mem) != 0)
        return ERR_NOMEM;
    return 0;
}

int password_verify(const char *stored, const char *pw, size_t len)
{
    if (crypto_pwhash_str_verify(stored, pw, len) != 0)
        return ERR_UNAUTH;
    return 0;
}

void password_dummy_verify(uint64_t ops, uint64_t mem)
{
    char tmp[PASSWORD_HASH_MAX];

    /* Hashing costs what verifying costs with the same parameters. */
    if (crypto_pwhash_str(tmp, "dummy-password", 14, ops, (size_t)mem) == 0)
        sodium_memzero(tmp, sizeof(tmp));
}
