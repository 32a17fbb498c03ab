/*
 * stats.h - the channel's statistics, computed from the transparency log's entries alone (no
 * database, no memo content), so that an auditor holding the tiles recomputes every figure with
 * the rules below and docs/formats.md.
 *
 * Entries are read in log order. A memo is known from its "filed" entry on; an entry for a tag
 * not filed before it (or a second "filed" for a tag, or an entry dated before its memo's
 * filing) is ignored and counted as an anomaly. For each memo:
 *   - filed day, signers, ack-due and the reply-due in force (from "filed", then replaced by
 *     each "acknowledged" and "extended" entry's reply-due);
 *   - the response: the first "acknowledged" or "declined" entry; working days to acknowledge
 *     = workdays_calendar_count(filed, response); on time when response <= ack-due;
 *   - the reply: the first "replied" entry; working days to reply = count(filed, reply); on time
 *     when reply <= the reply-due in force just before it;
 *   - each "extended" entry dated on or before the reply-due in force moves it (one dated after
 *     it is an anomaly: an extension is granted until the due date, never after); its length
 *     is the working days from the due date it replaces to the new one;
 *   - a "clarification" entry (a memo replied to, not ended, not waiting on an earlier
 *     clarification, its reply-due not before its date) counts in "clarifications" and makes
 *     the memo wait on a reply again, due on its reply-due (the first reply's figures stay);
 *     the next "replied" entry answers it, on time or late in "clarified" (a pause counts on
 *     time); an open memo still waiting past that date is overdue (in "overdue" and
 *     "clarified"), and one withdrawn after it is late; any other clarification entry is an
 *     anomaly, and so is an "extended" entry after the first reply; a "rescheduled" entry moves
 *     the reply-due of a memo waiting on a clarification as it does an unanswered reply's;
 *   - an "escalated" entry counts by its rung in "escalations" (rung 1: officers and head, rung 2:
 *     principals); one dated on or before its missed day, or before the filing, is an anomaly;
 *   - the end: the first "closed", "declined" or "withdrawn" entry; working days to close =
 *     count(filed, closed) for a memo that ended by "closed";
 *   - open until a "closed", "declined" or "withdrawn" entry; overdue when open, not replied,
 *     and either not acknowledged (no "acknowledged" or "extended" entry) and today > ack-due,
 *     or acknowledged (or extended) and today > the reply-due in force.
 *   - each deadline not met yet of an open memo is overdue once today is past its due date:
 *     the acknowledgement when there is no response and today > ack-due; the reply when there
 *     is no reply and today > the reply-due in force (acknowledged or not). A deadline of a
 *     memo that ended (declined, withdrawn) without meeting it no longer counts.
 *   - calendar entries (core/calendar.h) must keep their rules, else they are anomalies and
 *     ignored: "closure-added" closes its date or a later day, "closure-removed" a later day;
 *     "clock-stopped" starts on its date or later, while no stop runs; "clock-resumed" ends the
 *     running stop (the same "from"), with "until" no earlier than the day before its date;
 *   - a "rescheduled" entry counts only in the unbroken run of rescheduled entries right after a
 *     (valid) closure-added, closure-removed or clock-resumed entry of its date; it replaces the
 *     ack-due when the memo has no response yet, and the reply-due in force when it has no reply
 *     yet, each only when the entry is dated on or before that due date, or when it follows a
 *     "clock-resumed" entry of its date whose stop began on or before that due date (the deadline
 *     was paused, not missed); an entry that moves neither is an anomaly;
 *   - while a clock stop runs (a valid "clock-stopped" entry not followed by a valid
 *     "clock-resumed"), from its first day on, a deadline due on or after that day is paused: not
 *     overdue; a response, reply, decline or withdrawal dated while it pauses a deadline meets
 *     that deadline on time (or does not miss it).
 * Account events (reset, officer-added, ...: ledger_event_account()) concern no memo: they are
 * counted per event in "accounts" and are no anomaly; calendar events (closure-added, ...:
 * ledger_event_calendar()) neither: they set the clock stop above, and their days are working
 * days no more in @cal (the caller's calendar holds them: core/calendar.h).
 * Means and medians are of whole working days; the median of an even number of values is the
 * mean of the two middle ones.
 *
 * Pure and thread safe; @cal is only read.
 */
#ifndef DISSENT_CORE_STATS_H
#define DISSENT_CORE_STATS_H

#include "core/ledger.h"
#include "core/workdays.h"

#include <stddef.h>
#include <stdint.h>

#define STATS_ENTRIES_MAX (1u << 26) /* most entries stats_compute() accepts */

/* Filings in one calendar month. */
struct stats_month {
    int year;       /* 1970..9999 */
    int month;      /* 1..12 */
    uint64_t count; /* memos filed that month (by the filed entry's date) */
};

/* A summary of whole-number samples. With count 0 the other fields are 0 and meaningless. */
struct stats_summary {
    uint64_t count; /* samples */
    double mean;    /* their mean */
    double median;  /* their median (mean of the middle two for an even count) */
    int64_t max;    /* the largest */
};

/* Deadlines met and missed. */
struct stats_on_time {
    uint64_t on_time; /* met on or before the due date */
    uint64_t late;    /* met after it */
    uint64_t overdue; /* not met, the memo still open, and today is past the due date */
};

/* What stats_compute() found. Release with stats_release(). */
struct ledger_stats {
    int64_t today;                   /* the day "open" and "overdue" are judged on */
    uint64_t log_size;               /* entries read */
    struct stats_month *months;      /* filings per month, ascending, only months with filings;
                                        malloc'd (owned) */
    size_t nmonths;                  /* entries of months */
    struct stats_summary signers;    /* signers per filed memo */
    struct stats_summary to_ack;     /* working days from filing to the first response */
    struct stats_summary to_reply;   /* working days from filing to the first reply */
    struct stats_on_time acked;      /* first responses against ack-due; overdue responses */
    struct stats_on_time replied;    /* first replies against the reply-due in force; overdue
                                        replies */
    struct stats_summary to_close;   /* working days from filing to "closed" */
    struct stats_summary extensions; /* each extension's length in working days */
    uint64_t declined;               /* memos ended by a decline */
    uint64_t withdrawn;              /* memos ended by a withdrawal */
    uint64_t open;                   /* memos filed and not closed, declined or withdrawn */
    uint64_t overdue;                /* open memos past the deadline they are waiting on */
    uint64_t anomalies;              /* entries ignored (see above) */
    uint64_t accounts[LEDGER_ACCOUNT_COUNT]; /* account events, by event from LEDGER_RESET on */
    uint64_t records[LEDGER_RECORDS_COUNT];  /* memos exported, held, released
                                                                and shredded (their counts) */
    uint64_t audit_heads;           /* audit-head entries: the read audit anchored (core/audit.h) */
    int64_t stopped_from;           /* the running clock stop's first day, or -1 */
    uint64_t paused;                /* open memos whose deadline it pauses */
    uint64_t clarifications;        /* clarification requests by drafters */
    struct stats_on_time clarified; /* answers to them against their own due dates */
    uint64_t escalated[2];          /* escalation entries, rung 1 and rung 2 */
};

/**
 * stats_compute() - the statistics of the log whose entries are @entries[0..@n) in log order,
 * working days counted in @cal, judged on day @today.
 * @out: receives the figures (zeroed on failure); release with stats_release().
 *
 * Returns 0, ERR_INVALID (@today out of range, an entry's day out of range), ERR_TOO_LARGE (@n
 * over STATS_ENTRIES_MAX) or ERR_NOMEM.
 */
int stats_compute(const struct ledger_entry *entries, size_t n, const struct workdays_calendar *cal,
                  int64_t today, struct ledger_stats *out);

/*
 * The same figures, kept up as the log grows: a state fed the entries in log order, once each
 * (stats_feed()), from which stats_finish() makes the figures of any day, as often as asked. A
 * server keeps one and feeds it what each new checkpoint adds (api/stats.c), so that no request
 * reads the whole log again; the figures are those stats_compute() makes of the same entries
 * (the extensions' lengths are counted in the calendar given to stats_finish()).
 */
struct stats_state;

/** stats_new() - an empty state (no entry fed), or NULL when out of memory. */
struct stats_state *stats_new(void);

/**
 * stats_new_channel() - an empty state of channel @channel's figures (docs/channels.md): it
 * counts the memo events of that channel only (an entry without a channel line is channel
 * 1's), and every other event (accounts, calendar, records, the read audit's anchors) as the
 * deployment's. @channel 0: every channel, as stats_new(). NULL when out of memory.
 */
struct stats_state *stats_new_channel(int64_t channel);

/** stats_feed() - the next entry of the log. 0, ERR_INVALID (its day out of range: the state
 *  must not be fed further), ERR_TOO_LARGE (STATS_ENTRIES_MAX fed) or ERR_NOMEM. */
int stats_feed(struct stats_state *st, const struct ledger_entry *e);

/** stats_fed() - how many entries @st was fed. */
uint64_t stats_fed(const struct stats_state *st);

/**
 * stats_finish() - the figures of what @st was fed, working days counted in @cal, judged on day
 * @today, into @out (release with stats_release()). What each memo adds is kept in @st, so the
 * next call in the same calendar (the same object, its runtime closures unchanged) counts only
 * the memos changed since, the new extensions and the memos still open: its cost grows with
 * those and with the distinct values of the samples, not with the history. Another calendar
 * counts every memo again. The figures are the same either way. Not thread safe on one @st.
 */
int stats_finish(struct stats_state *st, const struct workdays_calendar *cal, int64_t today,
                 struct ledger_stats *out);

/** stats_free() - release @st (NULL is a no-op). */
void stats_free(struct stats_state *st);

/**
 * stats_log_closures() - the closed days the log's calendar entries @entries[0..@n) leave in
 * force (each closure-added day not taken back by a later closure-removed, and the days of each
 * clock-resumed entry), set on @cal as its runtime closures (workdays_calendar_set_runtime(), with
 * no open stop: stats_compute() follows the stop itself): the calendar a reader of the log holds
 * beside the channel's settings. 0, ERR_INVALID, ERR_TOO_LARGE or ERR_NOMEM.
 */
int stats_log_closures(const struct ledger_entry *entries, size_t n, struct workdays_calendar *cal);

/** stats_release() - free what stats_compute() put into @s and zero it (NULL is a no-op). */
void stats_release(struct ledger_stats *s);

#endif
