/*
 * attach.h - files attached to a memo (its annexes: source cables, data).
 *
 * A drafter adds files to a draft. Each file is encrypted under the memo's key as a stream of
 * messages of ATTACH_CHUNK bytes (crypto/stream.h: libsodium's crypto_secretstream), each
 * message bound to the memo and the file, the last one marked final. It arrives in parts, each
 * one request of at most the server's body limit: a part's bytes are encrypted and stored as
 * they come, the stream's state stored sealed under the memo key between parts, so an
 * interrupted upload resumes where the database says it stopped, on any server. Nothing larger
 * than one part is ever held in memory, reading included (attach_reader_next()).
 *
 * A file's name, media type, size and SHA-256 (declared when it is added, checked when its last
 * part arrives) are sealed under the memo key, bound to the file; and they are part of the
 * memo's canonical text (dissent-memo/v2, core/memo.h), so the digest, the co-signatures, the
 * filing receipt and `dissent verify` cover them. A database writer who removes, reorders,
 * swaps or alters a file of a finalized memo makes its text another text: an integrity error.
 *
 * Adding and removing a file are draft edits (finalize freezes the list, reopen thaws it):
 * each is a timeline event with the file's name (sealed), and moves the memo's version, so a
 * finalize that raced it fails instead of freezing a list it did not see.
 */
#ifndef DISSENT_CORE_ATTACH_H
#define DISSENT_CORE_ATTACH_H

#include "core/memo.h"
#include "core/workflow.h"
#include "crypto/sha.h"
#include "crypto/stream.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTACH_CHUNK (64 * 1024) /* bytes of a file per stream message */

/* [records] limits (util/config.h). */
struct attach_limits {
    int64_t file_max; /* bytes of one file */
    int64_t memo_max; /* bytes of all of a memo's files together */
};

/* A file as its readers see it. */
struct attach_info {
    char id[STORE_ATT_ID_LEN + 1]; /* its public id */
    struct memo_file file;         /* name, type, declared size and SHA-256 */
    int64_t received;              /* bytes stored so far */
    bool complete;                 /* all of them, checked */
};

/**
 * attach_list() - @m's files in order, opened with @mkey: a malloc'd array (caller frees) of
 * *@n. A file whose sealed details do not open, or do not match its row, is ERR_INTEGRITY
 * (logged).
 */
int attach_list(struct store *st, const uint8_t *mkey, const struct memo *m,
                struct attach_info **out, size_t *n);

/**
 * attach_files() - @m's files as the canonical text lists them (malloc'd, NULL for none), and
 * how many are still incomplete in *@incomplete (may be NULL). Errors as attach_list().
 */
int attach_files(struct store *st, const uint8_t *mkey, const struct memo *m,
                 struct memo_file **out, size_t *n, size_t *incomplete);

/**
 * attach_begin() - the drafter (@c->actor) adds a file to the draft @m: @name, media @type,
 * @size bytes whose SHA-256 is @sha256. Its bytes follow with attach_part(); an empty file is
 * complete at once. *@out describes it. ERR_STATE unless @m is a draft; ERR_INVALID (with
 * @c->err) for a bad name or type, a name the memo has already, or MEMO_FILES_MAX files;
 * ERR_TOO_LARGE (with @c->err) over @lim; ERR_CONFLICT when the memo changed meanwhile.
 */
int attach_begin(struct wf_ctx *c, struct memo *m, const struct attach_limits *lim,
                 const char *name, const char *type, int64_t size,
                 const uint8_t sha256[HASH_SHA256_LEN], struct attach_info *out);

/**
 * attach_part() - the next @len bytes of file @id of the draft @m, which start at byte
 * @offset. A part other than the last is a whole number of ATTACH_CHUNKs. The part that
 * completes the file has the whole file checked against its declared SHA-256.
 * *@out is the file afterwards (its received bytes also on ERR_CONFLICT).
 * Returns 0; ERR_NOT_FOUND; ERR_STATE (the memo is no draft, or the file is complete);
 * ERR_CONFLICT when @offset is not where the file stands (another part came first: resume from
 * out->received); ERR_INVALID (with @c->err) for a bad part size, or when the finished file is
 * not the one declared: the file is then removed, to be added again; ERR_INTEGRITY.
 */
int attach_part(struct wf_ctx *c, struct memo *m, const char *id, int64_t offset,
                const uint8_t *data, size_t len, struct attach_info *out);

/** attach_delete() - remove file @id from the draft @m. ERR_NOT_FOUND, ERR_STATE. */
int attach_delete(struct wf_ctx *c, struct memo *m, const char *id);

/** attach_get() - file @id of @m, opened with @mkey. ERR_NOT_FOUND, ERR_INTEGRITY. */
int attach_get(struct store *st, const uint8_t *mkey, const struct memo *m, const char *id,
               struct attach_info *out);

/* Reading a complete file chunk by chunk. */
struct attach_reader {
    int64_t att_id;
    int64_t seq, chunks;
    uint64_t size, done;
    uint8_t state[STREAM_STATE_LEN];
    struct sha256_ctx sha;
    uint8_t want[HASH_SHA256_LEN];
    char ad[96];
    size_t adlen;
    bool ended;
};

/**
 * attach_reader_open() - start reading the complete file @id of @m (its details in *@info,
 * may be NULL). ERR_NOT_FOUND; ERR_STATE while it is incomplete; ERR_INTEGRITY.
 */
int attach_reader_open(struct store *st, const uint8_t *mkey, const struct memo *m, const char *id,
                       struct attach_reader *r, struct attach_info *info);

/**
 * attach_reader_next() - the next chunk's bytes into @buf (@cap at least ATTACH_CHUNK), their
 * count in *@n; 0 with *@n 0 after the last. Before the last bytes are given, the whole file's
 * length and SHA-256 are checked: ERR_INTEGRITY (logged) when a chunk does not open, is
 * missing, or the file is not the one declared.
 */
int attach_reader_next(struct store *st, struct attach_reader *r, uint8_t *buf, size_t cap,
                       size_t *n);

/** attach_reader_close() - wipe @r. */
void attach_reader_close(struct attach_reader *r);

#endif
