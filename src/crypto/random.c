#include "crypto/random.h"

#include "util/err.h"

#include <sodium.h>

int random_init(void)
{
    return sodium_init() < 0 ? ERR_CRYPTO : 0;
}

void random_bytes(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

void random_password(char *out, size_t len)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    for (size_t i = 0; i + 1 < len; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[len - 1] = '\0';
}

void wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}
