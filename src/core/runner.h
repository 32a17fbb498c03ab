/*
 * runner.h - the leading server's periodic work on a thread of its own, away from the event
 * loops: the directory's sync (core/directory.h) and the retention schedule (core/records.h).
 *
 * A runner has a database connection of its own, under the integrity key. It wakes soon after
 * the start (RUNNER_LEAD_SECONDS + 1), then every interval; it does its work only while this
 * server leads (runner_lead(), renewed by housekeeping_tick() each second), and when it finds
 * another server leading it looks again in a moment rather than an interval later.
 */
#ifndef DISSENT_CORE_RUNNER_H
#define DISSENT_CORE_RUNNER_H

#include "store/store.h"

#include <stdbool.h>

#define RUNNER_LEAD_SECONDS 3 /* a lead renewed each second holds this long */

struct channel;
struct runner;

/* The work: on the runner's own connection @st, with the @arg given to runner_start(). */
typedef void (*runner_fn)(struct store *st, void *arg);

/**
 * runner_start() - a thread on a connection of its own to @uri (its integrity key from @ch and
 * @data_dir) that runs @fn(@arg) every @interval seconds while this server leads. @name is for
 * the log. 0 with *@out, or ERR_INTERNAL / ERR_NOMEM (logged).
 */
int runner_start(const char *uri, const struct channel *ch, const char *data_dir, int interval,
                 runner_fn fn, void *arg, const char *name, struct runner **out);

/** runner_stop() - stop the thread (work in progress ends first) and free; NULL no-op. */
void runner_stop(struct runner *r);

/** runner_arg() - the @arg given to runner_start(). */
void *runner_arg(const struct runner *r);

/** runner_wake() - run the work now rather than at the next interval (if this server leads). */
void runner_wake(struct runner *r);

/** runner_lead() - this server leads the periodic work for the next few seconds; thread safe. */
void runner_lead(void);

#endif
