#include "crypto/hash.h"

/* OpenSSL's type ERR_STATE would clash with util/err.h's code of that name: renamed, unused */
#define ERR_STATE openssl_err_state
#include <openssl/evp.h>
#undef ERR_STATE

#include "util/err.h"

#include <sodium.h>

_Static_assert(HASH_SHA256_LEN == crypto_hash_sha256_BYTES, "the one SHA-256 size is libsodium's");
_Static_assert(HASH_KEYED_LEN >= crypto_generichash_BYTES_MIN &&
                   HASH_KEYED_LEN <= crypto_generichash_BYTES_MAX,
               "a keyed hash BLAKE2b can make");
_Static_assert(HASH_KEY_LEN >= crypto_generichash_KEYBYTES_MIN &&
                   HASH_KEY_LEN <= crypto_generichash_KEYBYTES_MAX,
               "a key BLAKE2b takes");

void hash_keyed(uint8_t out[HASH_KEYED_LEN], const void *data, size_t len,
                const uint8_t key[HASH_KEY_LEN])
{
    crypto_generichash(out, HASH_KEYED_LEN, data, len, key, HASH_KEY_LEN);
}

/* OpenSSL's SHA-256 uses the processor's SHA instructions where it has them (four times
 * libsodium's portable code on a 4 KiB memo body here); libsodium's, which gives the same
 * digest, is the fallback should OpenSSL fail (out of memory). */
void hash_sha256(uint8_t out[HASH_SHA256_LEN], const void *data, size_t len)
{
    unsigned int n = 0;

    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != HASH_SHA256_LEN)
        crypto_hash_sha256(out, data, len);
}

bool hash_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}

static int variant(bool urlsafe)
{
    return urlsafe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
}

size_t b64_encoded_len(size_t len, bool urlsafe)
{
    return sodium_base64_encoded_len(len, variant(urlsafe));
}

void b64_encode(char *out, size_t outlen, const uint8_t *bin, size_t len, bool urlsafe)
{
    sodium_bin2base64(out, outlen, bin, len, variant(urlsafe));
}

int b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen,
               bool urlsafe)
{
    const char *end = NULL;

    if (sodium_base642bin(out, outcap, in, inlen, NULL, outlen, &end, variant(urlsafe)) != 0)
        return ERR_INVALID;
    if (end != in + inlen)
        return ERR_INVALID;
    return 0;
}
