/*
 * stream.h - a file encrypted as a stream of messages: libsodium's crypto_secretstream
 * (XChaCha20-Poly1305), with the state kept as bytes between messages, so that an upload in
 * parts can be continued by another request, or another server, once the state is stored
 * sealed (core/attach.h).
 *
 * Each message is authenticated with its own associated data, in order (the stream's counter:
 * messages cannot be reordered, dropped or repeated unnoticed), and the last one carries the
 * FINAL tag, so a stream cut short is told apart from a whole one.
 *
 * The state holds a key derived from the stream's key: wipe it (wipe()) after use.
 */
#ifndef DISSENT_CRYPTO_STREAM_H
#define DISSENT_CRYPTO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_KEY_LEN 32
#define STREAM_HEADER_LEN 24 /* written once, before the first message */
#define STREAM_ABYTES 17     /* a message's ciphertext is this much longer than its text */
#define STREAM_STATE_LEN 52  /* the state between messages, as bytes */

/**
 * stream_push_init() - a new stream under @key: its header into @header and the state into
 * @state.
 */
void stream_push_init(const uint8_t key[STREAM_KEY_LEN], uint8_t header[STREAM_HEADER_LEN],
                      uint8_t state[STREAM_STATE_LEN]);

/**
 * stream_push() - encrypt the next message, @len bytes of @in, bound to @ad (@adlen bytes),
 * into @out (@len + STREAM_ABYTES bytes), FINAL when @final; @state moves on. 0 or ERR_CRYPTO.
 */
int stream_push(uint8_t state[STREAM_STATE_LEN], const uint8_t *in, size_t len, const void *ad,
                size_t adlen, bool final, uint8_t *out);

/**
 * stream_pull_init() - the state to read a stream of @key from its @header. 0 or ERR_CRYPTO
 * (a bad header).
 */
int stream_pull_init(const uint8_t key[STREAM_KEY_LEN], const uint8_t header[STREAM_HEADER_LEN],
                     uint8_t state[STREAM_STATE_LEN]);

/**
 * stream_pull() - decrypt the next message, @len bytes of @in (at least STREAM_ABYTES), bound
 * to @ad, into @out (@len - STREAM_ABYTES bytes); *@final tells whether it was the last.
 * 0 or ERR_CRYPTO (forged, out of order, another stream's, or other associated data).
 */
int stream_pull(uint8_t state[STREAM_STATE_LEN], const uint8_t *in, size_t len, const void *ad,
                size_t adlen, uint8_t *out, bool *final);

#endif
