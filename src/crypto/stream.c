/*
 * stream.c - crypto_secretstream with its state kept as bytes (stream.h).
 */
#include "crypto/stream.h"

#include "util/err.h"

#include <sodium.h>
#include <string.h>

typedef crypto_secretstream_xchacha20poly1305_state stream_state;

_Static_assert(sizeof(stream_state) == STREAM_STATE_LEN, "the state's size as stored");
_Static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == STREAM_HEADER_LEN, "header");
_Static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == STREAM_ABYTES, "overhead");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == STREAM_KEY_LEN, "key");

void stream_push_init(const uint8_t key[STREAM_KEY_LEN], uint8_t header[STREAM_HEADER_LEN],
                      uint8_t state[STREAM_STATE_LEN])
{
    stream_state s;

    crypto_secretstream_xchacha20poly1305_init_push(&s, header, key);
    memcpy(state, &s, sizeof(s));
    sodium_memzero(&s, sizeof(s));
}

int stream_push(uint8_t state[STREAM_STATE_LEN], const uint8_t *in, size_t len, const void *ad,
                size_t adlen, bool final, uint8_t *out)
{
    stream_state s;
    int rc;

    memcpy(&s, state, sizeof(s));
    rc = crypto_secretstream_xchacha20poly1305_push(
        &s, out, NULL, in, len, ad, adlen,
        final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
              : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    if (rc == 0)
        memcpy(state, &s, sizeof(s));
    sodium_memzero(&s, sizeof(s));
    return rc == 0 ? 0 : ERR_CRYPTO;
}

int stream_pull_init(const uint8_t key[STREAM_KEY_LEN], const uint8_t header[STREAM_HEADER_LEN],
                     uint8_t state[STREAM_STATE_LEN])
{
    stream_state s;
    int rc = crypto_secretstream_xchacha20poly1305_init_pull(&s, header, key);

    if (rc == 0)
        memcpy(state, &s, sizeof(s));
    sodium_memzero(&s, sizeof(s));
    return rc == 0 ? 0 : ERR_CRYPTO;
}

int stream_pull(uint8_t state[STREAM_STATE_LEN], const uint8_t *in, size_t len, const void *ad,
                size_t adlen, uint8_t *out, bool *final)
{
    stream_state s;
    unsigned char tag = 0;
    int rc;

    *final = false;
    if (len < STREAM_ABYTES)
        return ERR_CRYPTO;
    memcpy(&s, state, sizeof(s));
    rc = crypto_secretstream_xchacha20poly1305_pull(&s, out, NULL, &tag, in, len, ad, adlen);
    if (rc == 0) {
        memcpy(state, &s, sizeof(s));
        *final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    }
    sodium_memzero(&s, sizeof(s));
    return rc == 0 ? 0 : ERR_CRYPTO;
}
