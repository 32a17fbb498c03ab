/*
 * calendar.h - the calendar run at runtime: administrators close a day or open it again (a
 * closure ordered for a storm, a day of mourning) and stop the clock and start it again (tolling,
 * for a funding lapse), over the API and without a restart.
 *
 * Each change is, in one transaction:
 *  - a row of the store's calendar table (store_calendar_add(): MAC'd, so whoever writes the
 *    database cannot add a closure or stretch a stop);
 *  - an audit record of the channel (memo 0) naming the administrator;
 *  - a transparency-log entry (core/ledger.h): closure-added, closure-removed, clock-stopped or
 *    clock-resumed, with its days and no reason (entries carry no text);
 *  - the running deadlines it touches moved, each moved memo with a `rescheduled` log entry
 *    (its acknowledgement and reply due dates from then on) and a timeline event.
 * The channel's calendar (struct channel's, core/workdays.h's runtime snapshot) then holds the
 * new days; every server reloads the table every CALENDAR_RELOAD_EVERY seconds
 * (calendar_reload(), from housekeeping), and the server that made the change at once.
 *
 * The rules, so that no change launders a deadline already missed:
 *  - a closure is for today or a later day, and that day must be a working day now (a weekend,
 *    a holiday or a day closed already is refused); only a closure of a later day is taken back
 *    (today's and past ones stay: deadlines counted over them are history);
 *  - one clock stop at a time; it starts today or later, after every earlier stop's last day,
 *    and no closure may fall inside it while it runs. While it runs, a deadline due on or after
 *    its first day is paused (clocks.h): neither running down nor overdue, and an answer made
 *    meanwhile meets it on time (core/workflow.c sets its due day to the answer's). It ends on a
 *    day from its first day on and from yesterday on, at most CALENDAR_STOP_DAYS_MAX days after
 *    its start unless that is already past (then today at the latest); its days become closed
 *    days;
 *  - a deadline due before the first changed day never moves, so a late one stays late.
 *
 * How a deadline moves (the acknowledgement's while the memo is filed, the reply's and its
 * maximum while filed or acknowledged). Let S be the first changed day (the closure's day, the
 * stop's first day) and B the deadline's base (the filing day; for the reply, deadline.h's
 * reply base). A deadline due before S is left alone. Otherwise, with C = max(B, S - 1):
 *  - a span counted in working days keeps the working days it had left after C: its new due day
 *    is the N-th working day after C in the new calendar, N the working days from C to the old
 *    due day in the old calendar. A closure adds one day, taking it back removes one, a stop adds
 *    its working days (those after C, for a memo filed during the stop). A due day that is no
 *    working day (an extension to a Saturday) counts as the working day before it, and so lands
 *    on a working day; one with no working day of its own after C does not move;
 *  - a span counted in calendar days or months is moved by a clock stop only: by the stop's days
 *    after C. A closure does not change a count of calendar days.
 * While a stop runs nothing moves: its length is not known. Memos filed during it get their
 * deadlines as usual, moved when it ends like every other.
 *
 * Errors: ERR_INVALID (a field, the message beginning with its name: a day before today, an end
 * out of range), ERR_STATE (not a working day, a stop already running or ended, a closure
 * inside a running stop, a closure of today or earlier taken back), ERR_NOT_FOUND,
 * ERR_TOO_LARGE (more than CALENDAR_CLOSURES_MAX closures ahead), store errors. Messages go to
 * @err.
 */
#ifndef DISSENT_CORE_CALENDAR_H
#define DISSENT_CORE_CALENDAR_H

#include "core/channel.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

#define CALENDAR_REASON_MAX STORE_CAL_REASON_MAX /* bytes of a reason */
#define CALENDAR_CLOSURES_MAX 1000               /* closures of today or later at once */
#define CALENDAR_STOP_DAYS_MAX 366               /* days of one clock stop */
#define CALENDAR_RELOAD_EVERY 30                 /* seconds between reloads of the table */

/* One administrator's change. */
struct calendar_ctx {
    struct store *st;         /* this thread's connection */
    struct channel *ch;       /* its calendar's runtime snapshot is replaced */
    const struct user *actor; /* the administrator */
    int64_t now;              /* unix seconds on the channel's clock */
    char *err;                /* message for the caller, may be NULL */
    size_t errlen;
    size_t moved; /* out: memos whose deadlines moved */
};

/**
 * calendar_reload() - read the calendar table into @ch's calendar (its runtime snapshot).
 * Returns 0 (also, doing nothing, while a change is under way in this process: it publishes its
 * own result) or a store error (ERR_INTEGRITY for a row whose MAC fails: the calendar is then
 * left as it was, and the failure logged).
 */
int calendar_reload(struct store *st, struct channel *ch);

/** calendar_closure_add() - close @day; *@out receives the row. */
int calendar_closure_add(struct calendar_ctx *c, int64_t day, const char *reason,
                         struct calendar_row *out);

/** calendar_closure_remove() - take back the closure of row @id; *@out receives the row. */
int calendar_closure_remove(struct calendar_ctx *c, int64_t id, struct calendar_row *out);

/** calendar_stop_start() - stop the clock from @from on; *@out receives the row. */
int calendar_stop_start(struct calendar_ctx *c, int64_t from, const char *reason,
                        struct calendar_row *out);

/** calendar_stop_end() - end the running stop of row @id on @until (its last stopped day). */
int calendar_stop_end(struct calendar_ctx *c, int64_t id, int64_t until, struct calendar_row *out);

#endif
