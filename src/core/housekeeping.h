/*
 * housekeeping.h - the server's periodic work, in one place. Once a second (the HTTP server's
 * tick, on its first event-loop thread) housekeeping_tick():
 *
 *  - takes or keeps the lead among the servers sharing the database (store_leader()): only the
 *    leading server does the rest, and another takes over within seconds if it dies;
 *  - renews the email sender's lease (core/mailer.h: only the leader sends);
 *  - signs a checkpoint of the transparency log every [tlog] checkpoint_interval seconds, never
 *    on demand (core/ledger.h: what is signed is checked first; a stopped log signs nothing);
 *  - every HOUSEKEEPING_SWEEP_EVERY seconds, deletes expired sessions;
 *  - every HOUSEKEEPING_WINDOWS_EVERY seconds, closes the replied memos whose drafter's window
 *    to accept or ask for clarification has ended (workflow_close_windows()), and records the
 *    escalation rungs reached in the log (workflow_escalations());
 *  - renews the lead of the threads of the directory's sync and the retention schedule
 *    (core/runner.h: runner_lead()).
 * Every server, leading or not, also reads the runtime calendar again every
 * CALENDAR_RELOAD_EVERY seconds (core/calendar.h), so that a change made on another server
 * reaches its deadlines; and with [server] require_sync_standby, checks every
 * HOUSEKEEPING_STANDBY_EVERY seconds that its database still has a synchronous standby
 * (housekeeping_standby_check(): an error in the log while not).
 *
 * Failures are logged and retried at the next tick; nothing is returned.
 */
#ifndef DISSENT_CORE_HOUSEKEEPING_H
#define DISSENT_CORE_HOUSEKEEPING_H

#include "core/channel.h"
#include "store/store.h"
#include "util/config.h"

#include <stdint.h>

#define HOUSEKEEPING_SWEEP_EVERY 600  /* seconds between sweeps of expired sessions */
#define HOUSEKEEPING_WINDOWS_EVERY 60 /* seconds between closings of ended windows */

/* The state of one thread's periodic work (each server has one ticking thread). */
struct housekeeping {
    int64_t last_sign;      /* when a checkpoint was last due */
    int64_t last_anchor_at; /* when the read audit was last anchored in the log (0: not yet) */
    uint64_t last_size;     /* the size it had (a new one wakes the witnesses: core/cosigning.h) */
    int64_t last_sweep;     /* when sessions were last swept */
    int64_t last_calendar;  /* when the runtime calendar was last read */
    int64_t last_windows;   /* when ended windows were last closed */
    int64_t last_standby;   /* when the synchronous standby was last checked */
};

/**
 * housekeeping_standby_check() - with [server] require_sync_standby, whether the PostgreSQL
 * server @st writes to keeps every commit on a synchronous standby before it answers: it is a
 * primary, synchronous_commit is on (or remote_write, remote_apply), synchronous_standby_names
 * names one, and one streams as sync or quorum. 0 when so; else ERR_STATE and @err says what to
 * change (ERR_INVALID: not PostgreSQL; ERR_DB: the query failed).
 */
int housekeeping_standby_check(struct store *st, char *err, size_t errlen);

/**
 * housekeeping_standbys_judge() - the judgment of housekeeping_standby_check() on what the
 * database said (@s, from store_pg_standbys() or store_pg_standbys_at()): 0, or ERR_STATE with
 * @err. It sees whether one standby is synchronous: a primary that waits for more than one
 * (FIRST 2 (...), ANY 2 (...)) is not counted.
 */
int housekeeping_standbys_judge(const struct store_standbys *s, char *err, size_t errlen);

#define HOUSEKEEPING_STANDBY_EVERY 60 /* seconds between checks of the standby, when required */

/**
 * housekeeping_tick() - the periodic work due at @now on @st (this thread's connection); @ch
 * may be NULL (no log keys: nothing is signed).
 */
void housekeeping_tick(struct housekeeping *hk, struct store *st, const struct config *cfg,
                       const struct channel *ch, int64_t now);

#endif
