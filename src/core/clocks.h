/*
 * clocks.h - a filed memo's two deadlines (acknowledge, reply) as its readers see them on a day:
 * due, met (when and whether on time), still running (working days left, overdue), or stopped
 * because the memo ended before the deadline was met. One reading for the memo views, the
 * lists, the list's `deadline` filter and GET /api/v1/deadlines, so they never disagree.
 *
 * The rules, per the memo's state:
 *   filed         acknowledge runs; reply runs (with its maximum); the channel waits on the
 *                 acknowledgement.
 *   acknowledged  acknowledge met on the acknowledgement day; reply runs; waits on the reply.
 *   replied,      both met (the reply on the reply day); nothing waits; the reply has no
 *   closed        maximum any more.
 *   declined      acknowledge met by the decline, on the day of the decline (a decline answers
 *                 the memo, as the transparency log's statistics count it); the reply stopped.
 *   withdrawn     each deadline met before the withdrawal stays met; the others stopped.
 * A stopped deadline no longer applies: it is neither met, nor running, nor overdue; but when
 * the memo ended after its due day, it was missed first (@missed), and stays counted as late:
 * a withdrawal or a decline cannot turn a missed deadline into one that never was.
 *
 * The day a memo was declined or withdrawn is the organisation's local day of its last update:
 * both states are final (core/memo.c allows no action there), so the transition is the last
 * write of the memo's row, and its updated_at is the moment of the decline or withdrawal (the
 * same moment whose day the log entry carries).
 *
 * Pure apart from the process time zone (core/channel.h), and thread safe.
 */
#ifndef DISSENT_CORE_CLOCKS_H
#define DISSENT_CORE_CLOCKS_H

#include "core/deadline.h"
#include "core/workdays.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* "Due soon": a running deadline at most this many working days ahead (and not overdue). */
#define CLOCKS_SOON_WORKING_DAYS 2

/* What became of one deadline. */
enum clock_status {
    CLOCK_RUNNING = 0,       /* not met yet, still applies */
    CLOCK_MET,               /* met on clock.done */
    CLOCK_STOPPED_DECLINED,  /* no longer applies: the memo was declined before it was met */
    CLOCK_STOPPED_WITHDRAWN, /* no longer applies: the memo was withdrawn before it was met */
};

/* Which deadline the channel owes next. */
enum clock_which {
    CLOCK_NONE = 0, /* none: not filed yet, answered, or ended */
    CLOCK_ACK,      /* the acknowledgement (the memo is filed) */
    CLOCK_REPLY,    /* the reply (the memo is acknowledged) */
};

/* One deadline of a memo, as of clocks_of_memo()'s @today. */
struct clock {
    enum clock_status status; /* see above */
    int64_t due;              /* the due day in force (day number) */
    int64_t done;             /* CLOCK_MET: the day it was met; else DEADLINE_DAY_NONE */
    bool on_time;             /* CLOCK_MET and @done <= @due */
    int64_t left;             /* CLOCK_RUNNING: working days after today up to @due (negative
                                 when overdue; workdays_calendar_count()); else 0 */
    bool overdue;             /* CLOCK_RUNNING and today > @due, and not paused */
    bool paused;              /* CLOCK_RUNNING and paused by a running clock stop
                                 (clocks_paused()); @left is then what it had left when the
                                 clock stopped */
    bool missed;              /* stopped, on a day after @due: it was missed before it stopped */
    int64_t max;              /* the reply while running: the latest day an extension may
                                 reach; else DEADLINE_DAY_NONE */
};

/* Both deadlines of a memo. */
struct memo_clocks {
    bool started;            /* the memo was filed; when false nothing below is set */
    struct clock ack, reply; /* the two deadlines */
    enum clock_which waits;  /* the deadline the memo waits on (running) */
};

/**
 * clocks_paused() - whether a deadline due on @due is paused on @today by @cal's running clock
 * stop (core/calendar.h): the stop has begun (its first day is @today or before) and @due is not
 * before its first day. A paused deadline is neither overdue nor due soon, and is not reminded
 * of; its due day moves when the stop ends.
 */
bool clocks_paused(const struct workdays_calendar *cal, int64_t due, int64_t today);

/**
 * clocks_of_memo() - read @m's deadlines on day @today with the calendar @cal.
 * @cal: the organisation's working days (only read).
 * @m: the memo (only read).
 * @today: the organisation's local day (channel_today()).
 * @out: receives the reading; zeroed (started false) for a memo never filed.
 *
 * Returns 0, or ERR_INVALID when a day lies out of the calendar's range (then *@out is zeroed).
 */
int clocks_of_memo(const struct workdays_calendar *cal, const struct memo *m, int64_t today,
                   struct memo_clocks *out);

/**
 * clocks_waiting() - the running deadline @c waits on, or NULL when the memo waits on none.
 * The pointer is into @c.
 */
const struct clock *clocks_waiting(const struct memo_clocks *c);

/** clocks_stop_name() - "declined" or "withdrawn" for a stopped deadline, else NULL. */
const char *clocks_stop_name(enum clock_status s);

/* The `deadline` filter of a memo list. */
enum clocks_filter {
    CLOCKS_ANY = 0,  /* no filter */
    CLOCKS_WAITING,  /* "waiting": the memo waits on the channel (filed or acknowledged) */
    CLOCKS_OVERDUE,  /* "overdue": waiting, and the deadline it waits on is past */
    CLOCKS_DUE_SOON, /* "soon": waiting, not overdue, due within CLOCKS_SOON_WORKING_DAYS */
};

/** clocks_filter_parse() - "waiting", "overdue" or "soon" into *@f; 0 or ERR_INVALID. */
int clocks_filter_parse(const char *s, enum clocks_filter *f);

/** clocks_filter_match() - whether a memo whose reading is @c passes @f. */
bool clocks_filter_match(const struct memo_clocks *c, enum clocks_filter f);

#endif
