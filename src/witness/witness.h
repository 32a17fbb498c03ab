/*
 * witness.h - a transparency log witness (c2sp.org/tlog-witness): it keeps, per log it is told
 * to watch, the latest checkpoint it cosigned, and cosigns a new checkpoint only when it is
 * consistent with that one. Two checkpoints it cosigned for one log are therefore always
 * consistent: a log that shows one history to some and another to others cannot have both
 * cosigned by the same witness.
 *
 * The data directory holds
 *   witness.skey        the witness's cosigner key (crypto/note.h, type 0x04), mode 0600
 *   witness.lock        held (flock) while a witness runs: one process per directory
 *   state/<hash>        per log, the latest checkpoint cosigned: the log's signed note with the
 *                       log's signature lines and this witness's cosignature. <hash> is the
 *                       lowercase hex SHA-256 of the log's origin (as the monitoring URL has it).
 * A state file is replaced whole and durably (util/file.h) before the cosignature is answered,
 * under one lock with the consistency check, so a crash at any moment leaves either the old or
 * the new checkpoint, and never a cosignature that was answered without being kept.
 *
 * A log is known by its verifier key (a type 0x01 vkey); its origin is the key's name. Thread safe.
 */
#ifndef DISSENT_WITNESS_WITNESS_H
#define DISSENT_WITNESS_WITNESS_H

#include "crypto/note.h"

#include <stddef.h>
#include <stdint.h>

#define WITNESS_KEY_FILE "witness.skey"
#define WITNESS_LOGS_MAX 64 /* logs one witness watches */

struct witness;

/* An answer of the witness: an HTTP status, a body (malloc'd, mem_free()) and its type. */
struct witness_answer {
    int status;
    char *body;
    size_t len;
    const char *content_type;
};

/**
 * witness_open() - the witness of the data directory @dir (which holds witness.skey; state/ is
 * made), watching the logs @logs[0..@nlogs). Each log's state file, if any, must verify under the
 * log's key and this witness's key. The directory is locked for the witness's lifetime.
 * @err: a human message on failure (@errlen bytes).
 *
 * Returns 0 and *@out, ERR_INVALID (no or a bad key file, a bad log key, two logs of one origin),
 * ERR_BUSY (another witness holds the directory), ERR_INTEGRITY (a state file that does not
 * verify), ERR_IO or ERR_NOMEM.
 */
int witness_open(const char *dir, const struct note_vkey *logs, size_t nlogs, struct witness **out,
                 char *err, size_t errlen);

/** witness_close() - release @w and its lock; NULL is a no-op. */
void witness_close(struct witness *w);

/** witness_vkey() - the witness's verifier key (type 0x04) into @out (NOTE_VKEY_MAX bytes). */
void witness_vkey(const struct witness *w, char *out, size_t outlen);

/**
 * witness_add() - the add-checkpoint call: the request body @body[0..@len) answered in @a, as
 * c2sp.org/tlog-witness says: 200 and a cosignature line; 400 (malformed, or an old size over the
 * checkpoint's); 403 (no valid signature by the log's key); 404 (an unknown origin); 409 and the
 * size last cosigned (text/x.tlog.size) when the old size is not it; 422 (the proof does not
 * verify, a proof given from size 0, another root at the same size, or a size 0 with a root not
 * the empty tree's); 500 (the new state could not be kept: nothing was cosigned). @now is the
 * cosignature's time (POSIX seconds). Returns 0, or ERR_NOMEM.
 */
int witness_add(struct witness *w, const char *body, size_t len, int64_t now,
                struct witness_answer *a);

/**
 * witness_checkpoint() - the monitoring call: the latest checkpoint cosigned for the log whose
 * origin's SHA-256 is the lowercase hex @origin_hash, into @a (200), or 404.
 * Returns 0, or ERR_NOMEM.
 */
int witness_checkpoint(struct witness *w, const char *origin_hash, struct witness_answer *a);

/** witness_answer_release() - free @a's body. */
void witness_answer_release(struct witness_answer *a);

/**
 * witness_key_create() - make @dir/witness.skey for a new witness named @name (mode 0600), or
 * keep the one there. Prints nothing. Returns 0, ERR_INVALID (a bad name, or a key file that does
 * not parse) or ERR_IO; @vkey (NOTE_VKEY_MAX bytes) receives the verifier key.
 */
int witness_key_create(const char *dir, const char *name, char *vkey, size_t vkeylen, char *err,
                       size_t errlen);

#endif
