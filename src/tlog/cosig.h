/*
 * cosig.h - witness cosignatures of checkpoints (c2sp.org/tlog-cosignature, the Ed25519 v1
 * type) and the messages of the witness protocol's add-checkpoint call (c2sp.org/tlog-witness).
 *
 * A cosignature is one more signature line on a signed checkpoint:
 *   "— " <witness name> " " base64(key ID || u64 timestamp || Ed25519 signature) "\n"
 * where the key ID is the first 4 bytes of SHA-256(name || "\n" || 0x04 || public key)
 * (crypto/note.h: NOTE_TYPE_COSIGNATURE keys) and the signature covers
 *   "cosignature/v1\n" "time " <timestamp in decimal> "\n" <the checkpoint's note text>
 * (its three or more lines, final "\n" included, no signature line). The timestamp, POSIX seconds,
 * is never 0 and below 2^63. A cosignature says: at that time, this was the largest checkpoint of
 * its log the witness had seen, and it was consistent with every one it had seen before.
 *
 * An add-checkpoint request body is
 *   "old " <size> "\n"               the size the witness cosigned last (decimal, "0" if none)
 *   <base64 hash> "\n"               0..63 lines: the consistency proof from old to the new size
 *   "\n"
 *   <signed checkpoint>              the log's signed note, other signatures allowed
 * and the answer to a good one is 200 with one or more cosignature lines. Functions are thread
 * safe.
 */
#ifndef DISSENT_TLOG_COSIG_H
#define DISSENT_TLOG_COSIG_H

#include "crypto/hash.h"
#include "crypto/note.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLOG_COSIG_PROOF_MAX 63 /* most proof lines in an add-checkpoint request */
/* bytes of a cosignature line, "\n" and NUL included: dash, name, space, base64 of 76 bytes */
#define TLOG_COSIG_LINE_MAX (4 + NOTE_NAME_MAX + 1 + 104 + 2)
#define TLOG_COSIG_TIME_MAX ((uint64_t)INT64_MAX) /* latest timestamp accepted */
/* longest add-checkpoint request accepted: the old size, the proof, a checkpoint */
#define TLOG_ADD_REQUEST_MAX (32 + TLOG_COSIG_PROOF_MAX * 45 + 1 + 16384)

/**
 * tlog_cosign() - the cosignature line by @key (a NOTE_TYPE_COSIGNATURE key) over the checkpoint
 * note text @text[0..@len) (note_text_check()) at @timestamp (1..TLOG_COSIG_TIME_MAX), into @line
 * (@linelen bytes; TLOG_COSIG_LINE_MAX always suffices), NUL-terminated, "\n" included.
 *
 * Returns 0, ERR_INVALID (a key of another type, a bad name, text or time), ERR_TOO_LARGE (@line
 * too small), or ERR_CRYPTO.
 */
int tlog_cosign(const char *text, size_t len, const struct note_skey *key, uint64_t timestamp,
                char *line, size_t linelen);

/**
 * tlog_cosig_verify() - the cosignatures on the signed note @msg[0..@len) by the witness keys
 * @keys[0..@nkeys) (NOTE_TYPE_COSIGNATURE keys). Lines of unknown keys, the log's own included,
 * are ignored. A line whose name and key ID are a known witness's but whose signature (or
 * timestamp: 0, or over TLOG_COSIG_TIME_MAX) fails is an error, as c2sp.org/signed-note wants.
 * @times: optional, @nkeys entries: [i] receives the timestamp of @keys[i]'s cosignature, 0 when
 *         it has none.
 * @count: receives how many of the keys cosigned (0 on failure).
 * @err: optional buffer for a human message (@errlen bytes).
 *
 * Returns 0 (whatever @count is), ERR_INVALID (a malformed note, or two keys sharing a name and
 * key ID), ERR_TOO_LARGE, ERR_CRYPTO (a bad cosignature from a known key) or ERR_NOMEM.
 */
__attribute__((warn_unused_result)) int tlog_cosig_verify(const char *msg, size_t len,
                                                          const struct note_vkey *keys,
                                                          size_t nkeys, uint64_t *times,
                                                          size_t *count, char *err, size_t errlen);

/**
 * tlog_cosig_merge() - the signed note @msg[0..@len) with the cosignature lines @lines[0..@llen)
 * (each "— name base64\n") added after its own, a line already there (same text) not twice.
 * @out: a malloc'd NUL-terminated note (mem_free()); *@outlen its length.
 *
 * Returns 0, ERR_INVALID (@msg is not a signed note, or @lines are not signature lines),
 * ERR_TOO_LARGE (over NOTE_MAX_SIZE or NOTE_MAX_SIGS) or ERR_NOMEM. Nothing is verified here.
 */
int tlog_cosig_merge(const char *msg, size_t len, const char *lines, size_t llen, char **out,
                     size_t *outlen);

/* An add-checkpoint request, parsed: views into the body it came from. */
struct tlog_add_request {
    uint64_t old_size;                                    /* the "old" line */
    uint8_t proof[TLOG_COSIG_PROOF_MAX][HASH_SHA256_LEN]; /* the proof lines, decoded */
    size_t nproof;                                        /* how many */
    const char *checkpoint;                               /* the signed checkpoint (view) */
    size_t checkpoint_len;                                /* its bytes */
};

/**
 * tlog_add_request_format() - the body of an add-checkpoint request from @old_size, the proof
 * @proof[0..@nproof) (at most TLOG_COSIG_PROOF_MAX) and the signed checkpoint @cp[0..@cplen).
 * @out: malloc'd, NUL-terminated (mem_free()); *@outlen its length.
 *
 * Returns 0, ERR_INVALID, ERR_TOO_LARGE or ERR_NOMEM.
 */
int tlog_add_request_format(uint64_t old_size, const uint8_t (*proof)[HASH_SHA256_LEN],
                            size_t nproof, const char *cp, size_t cplen, char **out,
                            size_t *outlen);

/**
 * tlog_add_request_parse() - parse the request body @body[0..@len) (at most
 * TLOG_ADD_REQUEST_MAX): exactly the form above (a decimal without leading zeros, at most
 * TLOG_SIZE_MAX; canonical padded base64 of 32 bytes per proof line). The checkpoint is not
 * checked here. @out holds views into @body.
 *
 * Returns 0, ERR_TOO_LARGE, or ERR_INVALID.
 */
int tlog_add_request_parse(const char *body, size_t len, struct tlog_add_request *out);

#endif
