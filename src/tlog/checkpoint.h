/*
 * checkpoint.h - C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the signed tree head.
 *
 * The note text is three or more lines, each ending in "\n":
 *   <origin>            the log's identity, 1..TLOG_ORIGIN_MAX bytes
 *   <size>              decimal, no leading zeros ("0" for the empty tree), <= TLOG_SIZE_MAX
 *   <root>              standard padded base64 of the 32-byte root hash (canonical form only)
 *   [<extension line>]  zero or more non-empty lines, opaque (the project writes none)
 * and the whole text obeys note_text_check() (valid UTF-8, no control character but "\n").
 * Signed checkpoints are signed notes (crypto/note.h) whose key name SHOULD equal the origin.
 *
 * A parsed struct tlog_checkpoint is a non-owning view into the text it was parsed from: keep
 * that text alive and unchanged while the struct is in use. All functions are thread safe.
 */
#ifndef DISSENT_TLOG_CHECKPOINT_H
#define DISSENT_TLOG_CHECKPOINT_H

#include "crypto/note.h"
#include "tlog/merkle.h"

#include <stddef.h>
#include <stdint.h>

#define TLOG_ORIGIN_MAX 256           /* longest origin line, bytes */
#define TLOG_CHECKPOINT_TEXT_MAX 4096 /* longest checkpoint text (unsigned), bytes */
#define TLOG_CHECKPOINT_MAX 16384     /* longest signed checkpoint accepted, bytes */
#define HASH_B64_LEN 44               /* padded base64 of a 32-byte hash, no NUL */

/* A checkpoint's fields. */
struct tlog_checkpoint {
    const char *origin;            /* origin line without "\n" (view) */
    size_t origin_len;             /* bytes of origin */
    uint64_t size;                 /* tree size */
    uint8_t root[HASH_SHA256_LEN]; /* root hash at that size */
    const char *ext;               /* extension lines, each ending in "\n" (view); NULL if none */
    size_t ext_len;                /* bytes of ext, 0 if none */
};

/**
 * tlog_checkpoint_format() - the note text of @c.
 * @out: receives a malloc'd NUL-terminated text (caller frees with mem_free()); NULL on failure.
 * @outlen: receives strlen(*@out) (0 on failure).
 *
 * Returns 0, ERR_INVALID (an empty, too long or multi-line origin, a size over TLOG_SIZE_MAX,
 * extension lines that are not non-empty "\n"-terminated lines, or a text that note_text_check()
 * refuses), ERR_TOO_LARGE (over TLOG_CHECKPOINT_TEXT_MAX), or ERR_NOMEM.
 */
int tlog_checkpoint_format(const struct tlog_checkpoint *c, char **out, size_t *outlen);

/**
 * tlog_checkpoint_parse() - parse the checkpoint text @text[0..@len) (the note text, signatures
 * excluded; what note_open() verified). Strict: exactly the form above.
 * @out: receives views into @text (zeroed on failure).
 *
 * Returns 0, ERR_TOO_LARGE (over TLOG_CHECKPOINT_TEXT_MAX), or ERR_INVALID.
 */
int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out);

/**
 * tlog_checkpoint_sign() - format @c and sign it with @key as a signed note (one signature).
 * @out, @outlen: as for tlog_checkpoint_format(); the signed checkpoint.
 *
 * Returns 0, or any error of tlog_checkpoint_format() and note_sign().
 */
int tlog_checkpoint_sign(const struct tlog_checkpoint *c, const struct note_skey *key, char **out,
                         size_t *outlen);

/**
 * tlog_checkpoint_open() - verify the signed checkpoint @msg[0..@len) (at most
 * TLOG_CHECKPOINT_MAX bytes) with the log key @key, parse its text, and check that its origin
 * is @origin (NUL-terminated; NULL means "the key's name"). Signatures by other keys
 * (witness cosignatures) are ignored, as the note spec requires.
 * @out: receives views into @msg (zeroed on failure).
 * @err: optional buffer for a human message (@errlen bytes).
 *
 * Returns 0; ERR_TOO_LARGE; ERR_INVALID (malformed note or checkpoint, or another origin);
 * ERR_NOT_FOUND (@key did not sign it); or ERR_CRYPTO (@key's signature is invalid).
 */
__attribute__((warn_unused_result)) int
tlog_checkpoint_open(const char *msg, size_t len, const char *origin, const struct note_vkey *key,
                     struct tlog_checkpoint *out, char *err, size_t errlen);

/**
 * tlog_decimal_parse() - the canonical decimal @s[0..@len) ("0", or digits without a leading
 * zero) into *@v, at most TLOG_SIZE_MAX. 0 or ERR_INVALID.
 */
int tlog_decimal_parse(const char *s, size_t len, uint64_t *v);

/**
 * tlog_hash_b64_parse() - the canonical padded standard base64 of a 32-byte hash @s[0..@len)
 * (zero padding bits) into @out. 0 or ERR_INVALID.
 */
int tlog_hash_b64_parse(const char *s, size_t len, uint8_t out[HASH_SHA256_LEN]);

#endif
