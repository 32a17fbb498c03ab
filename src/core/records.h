/*
 * records.h - retention, legal holds and crypto-shredding: what the records officer and the
 * schedule do (docs/records.md).
 *
 * [records] keeps each final state for a number of days (closed, declined, withdrawn; and
 * drafts, or finalized memos never filed, left untouched that long: abandoned), 0 meaning for
 * ever, the default. When a memo's time comes, and no legal hold covers it, it is
 * crypto-shredded: every sealed copy of its key, its texts, signatures, comments, timeline and
 * files are deleted in one transaction, its tombstone (id, final state, dates) kept, the read
 * audit records it, the transparency log counts it (`shredded`), and the database's files are
 * compacted (store_compact()): what was deleted is not left in them.
 *
 * A legal hold is placed by a records officer (ROLE_RECORDS, who holds no key and sees no text
 * or name: ids, states and dates only) on one memo or on the memos of a range of days (the
 * filing day of a filed memo, else the day it was created), with a reason; lifting it takes a
 * reason too. Each is audited on every memo it covers and counted in the log (`held`,
 * `released`). A held memo is never shredded.
 *
 * Against a database writer: hold rows are MAC'd (a changed one holds everything), and before
 * shredding the log is checked against its signed state (ledger_check(): entries cut from it
 * stop everything) and the holds are counted against its `held` and `released` entries, which
 * the writer cannot forge or remove: a hold deleted outside Dissent stops every shred (logged).
 * How many holds were ever placed is also kept beside the key files (records.state), which the
 * database writer cannot lower: a hold deleted together with its log entry, cut before a
 * checkpoint signed it, is caught there. Each batch re-reads the holds and the memos in its
 * write transaction: a hold placed while a sweep runs keeps what it covers. A draft or unfiled
 * memo is shredded as abandoned only if the log never saw it filed (a row rolled back to its
 * draft is not mistaken for an abandoned one).
 */
#ifndef DISSENT_CORE_RECORDS_H
#define DISSENT_CORE_RECORDS_H

#include "store/store.h"
#include "util/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORDS_BATCH 50 /* memos shredded in one transaction (one log entry each batch) */

/* One memo in the retention schedule. Days are day numbers (core/workdays.h). */
struct records_item {
    char id[STORE_MEMO_ID_LEN + 1];
    int64_t internal;
    int state;       /* enum memo_state */
    int64_t day;     /* the day shown: filed, else created */
    int64_t created; /* the days a hold by range looks at: created ... */
    int64_t filed;   /* ... and filed (-1 before filing): either in range holds it */
    int64_t final;   /* the day its retention counts from, or -1 (not in a final state) */
    int64_t due;     /* the day it is shredded on, or -1 (kept for ever, or not final) */
    bool held;       /* a hold covers it */
    bool tampered;   /* its row fails its MAC: never shredded */
};

/**
 * records_schedule() - every memo with its place in the schedule, ordered by due day (the
 * unscheduled last), as of @now. *@out is malloc'd (mem_free()).
 */
int records_schedule(struct store *st, const struct config *cfg, int64_t now,
                     struct records_item **out, size_t *count);

/**
 * records_hold() - @actor (a records officer) places a hold on memo @memo (a public id), or,
 * with @memo NULL, on the memos of days @from..@to; @reason 1..2000 bytes. *@out is the hold,
 * *@covered how many memos it covers now. ERR_INVALID (with @err), ERR_NOT_FOUND (no such
 * memo), ERR_FORBIDDEN (not a records officer).
 */
int records_hold(struct store *st, const struct user *actor, const char *memo, int64_t from,
                 int64_t to, const char *reason, int64_t now, struct store_hold *out,
                 size_t *covered, char *err, size_t errlen);

/** records_lift() - lift hold @id with @reason. ERR_NOT_FOUND, ERR_STATE (lifted already). */
int records_lift(struct store *st, const struct user *actor, int64_t id, const char *reason,
                 int64_t now, struct store_hold *out, size_t *covered, char *err, size_t errlen);

/**
 * records_sweep() - shred every memo due at @now that no hold covers; *@shredded how many.
 * ERR_INTEGRITY (logged, nothing shredded) when the holds do not agree with the log.
 */
int records_sweep(struct store *st, const struct config *cfg, int64_t now, size_t *shredded);

/*
 * The server's own schedule: a runner (core/runner.h, a thread of its own, so that neither the
 * sweep nor the compaction after it holds an event loop) that runs records_sweep() soon after
 * the start and then every RECORDS_EVERY seconds, while this server leads.
 */
#define RECORDS_EVERY 3600
struct runner;
struct channel;

/** records_start() - start it when a retention is set (else *@out NULL, 0). @cfg and @ch must
 *  outlive it. */
int records_start(const struct config *cfg, const char *uri, const struct channel *ch,
                  struct runner **out);
/** records_stop() - stop it (a sweep in progress ends after its batch); NULL no-op. */
void records_stop(struct runner *r);

/** records_hold_covers() - whether @h covers a memo of public id @id created on day @created
 *  and filed on day @filed (-1: not filed). */
bool records_hold_covers(const struct store_hold *h, const char *id, int64_t created,
                         int64_t filed);

#endif
