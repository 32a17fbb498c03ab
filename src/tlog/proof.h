/*
 * proof.h - C2SP tlog-proof@v1 (c2sp.org/tlog-proof): an offline-verifiable proof that an entry
 * is in a log, as text:
 *
 *   c2sp.org/tlog-proof@v1
 *   extra <base64>          optional, opaque, NOT authenticated by anything
 *   index <decimal>         zero-based, no leading zeros
 *   <base64 hash>           zero or more: the inclusion proof, leaf's sibling first
 *   (empty line)
 *   <signed checkpoint>     verbatim, cosignatures included
 *
 * Every line ends in "\n"; base64 is standard and padded, and only its canonical form is
 * accepted. Verifying needs the leaf hash (the caller hashes the entry it expects, RFC 6962
 * leaf hash), the log's origin and its verifier key.
 *
 * A parsed struct tlog_proof holds the index, hashes and extra data by value and a view of the
 * checkpoint: keep the proof text alive and unchanged while the struct is in use. All functions
 * are thread safe.
 */
#ifndef DISSENT_TLOG_PROOF_H
#define DISSENT_TLOG_PROOF_H

#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLOG_PROOF_EXTRA_MAX 1024       /* most bytes of extra data (decoded) */
#define TLOG_PROOF_TEXT_MAX (32 * 1024) /* longest proof text accepted or produced */

/* A tlog-proof's fields. */
struct tlog_proof {
    uint64_t index;                                  /* the entry's index */
    uint8_t hashes[TLOG_PROOF_MAX][HASH_SHA256_LEN]; /* the inclusion proof */
    size_t nhashes;                                  /* hashes used */
    bool has_extra;                                  /* whether an "extra" line is present */
    uint8_t extra[TLOG_PROOF_EXTRA_MAX];             /* its decoded bytes */
    size_t extra_len;                                /* bytes of extra (may be 0 with has_extra) */
    const char *checkpoint;                          /* the signed checkpoint (view) */
    size_t checkpoint_len;                           /* bytes of checkpoint */
};

/**
 * tlog_proof_format() - the text of @p.
 * @out: receives a malloc'd NUL-terminated text (caller frees with mem_free()); NULL on failure.
 * @outlen: receives strlen(*@out) (0 on failure).
 *
 * Returns 0, ERR_INVALID (too many hashes or extra bytes, an index over TLOG_SIZE_MAX, an empty
 * checkpoint or one not ending in "\n"), ERR_TOO_LARGE (over TLOG_PROOF_TEXT_MAX), or ERR_NOMEM.
 */
int tlog_proof_format(const struct tlog_proof *p, char **out, size_t *outlen);

/**
 * tlog_proof_parse() - parse the proof text @text[0..@len) (at most TLOG_PROOF_TEXT_MAX bytes),
 * checking its form only; the checkpoint is not opened.
 * @out: receives the fields (zeroed on failure).
 *
 * Returns 0, ERR_TOO_LARGE, or ERR_INVALID.
 */
int tlog_proof_parse(const char *text, size_t len, struct tlog_proof *out);

/**
 * tlog_proof_verify() - check a parsed proof: its checkpoint is signed by @key and has origin
 * @origin (NULL: the key's name), see tlog_checkpoint_open(), and the inclusion proof leads
 * from @leaf at @p->index to that checkpoint's root.
 * @cp: optional; receives the verified checkpoint (views into @p's text; zeroed on failure).
 * @err: optional buffer for a human message (@errlen bytes).
 *
 * Returns 0; any error of tlog_checkpoint_open(); ERR_INVALID (index not below the checkpoint's
 * size, or a proof of the wrong length); ERR_CRYPTO (the proof does not lead to the root).
 */
__attribute__((warn_unused_result)) int
tlog_proof_verify(const struct tlog_proof *p, const uint8_t leaf[HASH_SHA256_LEN],
                  const char *origin, const struct note_vkey *key, struct tlog_checkpoint *cp,
                  char *err, size_t errlen);

/**
 * tlog_proof_create() - the server's side: the proof text for entry @index against the signed
 * checkpoint @checkpoint[0..@cplen) (the log's own, so its signature is not checked; its text
 * must parse and its size exceed @index), with the inclusion proof and the leaf hash read
 * through @r. The proof is verified against the checkpoint's root before it is returned, so a
 * damaged store cannot hand out a proof that fails.
 * @extra: optional extra data (@extra_len bytes, at most TLOG_PROOF_EXTRA_MAX); NULL for none.
 * @out, @outlen: as for tlog_proof_format().
 *
 * Returns 0, ERR_INVALID (malformed checkpoint, @index out of range, extra too long),
 * ERR_CRYPTO (the stored hashes do not match the checkpoint), ERR_TOO_LARGE, ERR_NOMEM, or the
 * reader's error.
 */
int tlog_proof_create(const char *checkpoint, size_t cplen, uint64_t index,
                      const struct tlog_hash_reader *r, const uint8_t *extra, size_t extra_len,
                      char **out, size_t *outlen);

#endif
