/*
 * monitor.h - auditing a tlog-tiles log as a monitor does, over whatever fetches its files
 * (src/cmd/log.c gives it HTTP through libcurl; a test can give it a directory).
 *
 * The audit fetches the checkpoint and checks its signature by the log key (the origin must be
 * the key's name), then fetches every entry bundle and every tile at the checkpoint's size,
 * checks each bundle against its level 0 tile (tlog_bundle_verify()) and each tile of level
 * L > 0 against the hashes of the full level L - 1 tiles below it, and recomputes the root with
 * tlog_tree_hash() over a tile reader whose source is the audited tiles only. Given the
 * checkpoint a previous audit kept, it also requires the new size to be at least the old one
 * and the tree hash at the old size, recomputed from the new tiles, to be the old root.
 *
 * Every fetch has a size limit (a checkpoint: TLOG_CHECKPOINT_MAX; a tile: exactly its width
 * times 32 bytes; a bundle: its width times 65,537), and a log over TLOG_MONITOR_SIZE_MAX
 * entries is refused. The hashes of full tiles are kept in arrays grown as tiles arrive, so a
 * checkpoint claiming a huge size costs memory only for what the server actually sends.
 */
#ifndef DISSENT_TLOG_MONITOR_H
#define DISSENT_TLOG_MONITOR_H

#include "crypto/note.h"
#include "tlog/checkpoint.h"

#include <stddef.h>
#include <stdint.h>

#define TLOG_MONITOR_SIZE_MAX (UINT64_C(1) << 40) /* largest log audited, entries */
#define TLOG_MONITOR_ERR_MAX 512                  /* bytes of a failure message */

/*
 * How the audit gets the log's files: @get fetches @rel ("checkpoint", "tile/0/000", ...,
 * relative to the log's root), at most @cap bytes, into *@out (malloc'd) and *@len. Anything
 * but the whole file is an error described in @err (TLOG_MONITOR_ERR_MAX bytes): ERR_IO, or
 * ERR_TOO_LARGE past @cap.
 */
struct tlog_fetcher {
    int (*get)(void *ctx, const char *rel, size_t cap, uint8_t **out, size_t *len, char *err);
    void *ctx;
    /* Optional: each entry of the log, in order, once its bundle matched its tile (@index from
     * 0; a view valid during the call). The audit's verdict comes after the last one: use what
     * was delivered only when tlog_monitor_audit() returns 0. Non-zero stops the audit with it. */
    int (*entry)(void *ctx, uint64_t index, const uint8_t *data, size_t len);
};

/* What an audit that passed found. */
struct tlog_monitor_result {
    char *text;                /* the checkpoint as fetched (malloc'd): what to keep next */
    size_t len;                /* bytes of @text */
    struct tlog_checkpoint cp; /* @text parsed (views into it) */
    uint64_t tiles, bundles;   /* tiles and entry bundles checked */
};

/**
 * tlog_monitor_audit() - audit the log @f fetches, signed by @key; @old (NULL for none, else
 * @old_len bytes) is the checkpoint a previous audit kept. 0 and *@out (release it with
 * tlog_monitor_result_release()), or an error with the reason in @err (TLOG_MONITOR_ERR_MAX
 * bytes): ERR_CRYPTO (a signature, a tile, a bundle, a root or the old checkpoint does not
 * match), ERR_TOO_LARGE, ERR_IO (a fetch), ERR_NOMEM, ERR_INVALID.
 */
int tlog_monitor_audit(const struct tlog_fetcher *f, const struct note_vkey *key, const char *old,
                       size_t old_len, struct tlog_monitor_result *out, char *err);

/** tlog_monitor_result_release() - free what tlog_monitor_audit() gave. */
void tlog_monitor_result_release(struct tlog_monitor_result *r);

#endif
