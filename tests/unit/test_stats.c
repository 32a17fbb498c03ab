/*
 * test_stats.c - statistics from log entries alone (core/stats.h): a hand-counted scenario of
 * eight memos written as literal entries, over a calendar with US federal holidays
 * (Thanksgiving, Christmas, New Year's Day, MLK Day, Washington's Birthday) and one closure
 * (2026-12-24); the same log on a weekends-only calendar; overdue boundaries; anomalies; limits.
 *
 * The scenario (today 2027-03-01, a Monday):
 *   B  filed Mon 11-02 (1 signer, ack due 11-05), declined Mon 11-09: 5 working days, late
 *   C  filed Tue 11-10 (7), withdrawn 11-12
 *   G  filed Mon 11-16 (6, due 11-19), acknowledged 11-17 (1 day, on time), reply due 12-15,
 *      replied Fri 12-18 (23 working days: Thanksgiving excluded; late), closed 12-21
 *   A  filed Wed 11-25 (3, due 12-02), acknowledged Mon 11-30: 2 working days (Thanksgiving
 *      Thu 11-26 and the weekend excluded; on time), reply due 2027-01-12, replied Fri 01-08:
 *      28 working days (Thanksgiving, the 12-24 closure, Christmas, New Year's Day excluded;
 *      on time), closed 01-11
 *   D  filed Tue 12-01 (2, due 12-03), acknowledged Thu 12-03 (2 days, on the due day),
 *      reply due 01-14, extended on 12-20 to 02-26, replied Fri 02-19: 53 working days (on time
 *      thanks to the extension), still open
 *   E  filed Mon 12-07 (5, due 12-10), never acknowledged: open and overdue (both its
 *      acknowledgement and its reply, due 01-20)
 *   F  filed Mon 2027-01-04 (4, due 01-07), acknowledged Mon 01-11 (5 days, late), reply due
 *      02-22, not replied: open and overdue (its reply)
 *   H  filed Mon 02-01 (10, due 02-04), acknowledged Thu 02-04 (3 days, on the due day), reply
 *      due 03-16: open, not overdue
 *   and three anomalies: an entry for an unknown memo, a second "filed" for A, and an entry
 *   for B dated before B was filed.
 */
#include "testutil.h"

#include "core/ledger.h"
#include "core/stats.h"
#include "core/workdays.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#define TA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TC "cccccccccccccccccccccccccccccccc"
#define TD "dddddddddddddddddddddddddddddddd"
#define TE "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define TF "ffffffffffffffffffffffffffffffff"
#define TG "00000000000000000000000000000009"
#define TH "0123456789abcdef0123456789abcdef"
#define TZ "99999999999999999999999999999999"
#define COMMIT "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2V7c="

#define HEAD(ev, tag, date) "dissent-log/v1\nevent " ev "\nmemo " tag "\ndate " date "\n"
#define FILED(tag, date, signers, ack, reply)                                                      \
    HEAD("filed", tag, date)                                                                       \
    "signers " signers "\ncommitment " COMMIT "\nack-due " ack "\nreply-due " reply "\n"
#define ACKED(tag, date, reply) HEAD("acknowledged", tag, date) "reply-due " reply "\n"
#define EXTENDED(tag, date, reply) HEAD("extended", tag, date) "reply-due " reply "\n"

/* The scenario's log, in log order. */
static const char *const log_entries[] = {
    FILED(TB, "2026-11-02", "1", "2026-11-05", "2026-12-14"),
    HEAD("replied", TB, "2026-11-01"), /* anomaly: before B was filed */
    HEAD("declined", TB, "2026-11-09"),
    FILED(TC, "2026-11-10", "7", "2026-11-13", "2026-12-22"),
    HEAD("withdrawn", TC, "2026-11-12"),
    FILED(TG, "2026-11-16", "6", "2026-11-19", "2026-12-15"),
    ACKED(TG, "2026-11-17", "2026-12-15"),
    FILED(TA, "2026-11-25", "3", "2026-12-02", "2027-01-12"),
    ACKED(TZ, "2026-11-27", "2027-01-12"), /* anomaly: no such memo */
    ACKED(TA, "2026-11-30", "2027-01-12"),
    HEAD("distributed", TA, "2026-11-30"),
    FILED(TD, "2026-12-01", "2", "2026-12-03", "2027-01-14"),
    FILED(TA, "2026-12-02", "9", "2026-12-07", "2027-01-19"), /* anomaly: filed twice */
    ACKED(TD, "2026-12-03", "2027-01-14"),
    FILED(TE, "2026-12-07", "5", "2026-12-10", "2027-01-20"),
    HEAD("replied", TG, "2026-12-18"),
    EXTENDED(TD, "2026-12-20", "2027-02-26"),
    HEAD("closed", TG, "2026-12-21"),
    FILED(TF, "2027-01-04", "4", "2027-01-07", "2027-02-16"),
    HEAD("replied", TA, "2027-01-08"),
    ACKED(TF, "2027-01-11", "2027-02-22"),
    HEAD("closed", TA, "2027-01-11"),
    FILED(TH, "2027-02-01", "10", "2027-02-04", "2027-03-16"),
    ACKED(TH, "2027-02-04", "2027-03-16"),
    HEAD("replied", TD, "2027-02-19"),
};
#define NLOG (sizeof(log_entries) / sizeof(log_entries[0]))

static struct ledger_entry entries[NLOG];

static int64_t day(const char *iso)
{
    int64_t d;

    assert_int_equal(workdays_day_parse(iso, &d), 0);
    return d;
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < NLOG; i++) {
        if (ledger_entry_parse(log_entries[i], strlen(log_entries[i]), &entries[i]) != 0) {
            fprintf(stderr, "entry %zu does not parse\n", i);
            return -1;
        }
    }
    return 0;
}

/* The calendar of the scenario: federal holidays and one closure. */
static void calendar_make(struct workdays_calendar *cal, bool federal)
{
    int64_t closure = day("2026-12-24");

    assert_int_equal(workdays_calendar_init(cal, federal, &closure, federal ? 1 : 0), 0);
}

/* @a and @b are the same figures (their months compared by content). */
static void assert_same_stats(struct ledger_stats *a, struct ledger_stats *b)
{
    assert_int_equal(a->nmonths, b->nmonths);
    if (a->nmonths > 0)
        assert_memory_equal(a->months, b->months, a->nmonths * sizeof(*a->months));
    struct stats_month *am = a->months, *bm = b->months;
    a->months = b->months = NULL;
    assert_memory_equal(a, b, sizeof(*a));
    a->months = am;
    b->months = bm;
}

static void assert_summary(const struct stats_summary *s, uint64_t count, double mean,
                           double median, int64_t max)
{
    assert_int_equal(s->count, count);
    assert_true(s->mean > mean - 1e-9 && s->mean < mean + 1e-9);
    assert_true(s->median > median - 1e-9 && s->median < median + 1e-9);
    assert_int_equal(s->max, max);
}

static void test_scenario(void **state)
{
    struct workdays_calendar cal;
    struct ledger_stats s;

    (void)state;
    calendar_make(&cal, true);
    assert_int_equal(stats_compute(entries, NLOG, &cal, day("2027-03-01"), &s), 0);
    assert_int_equal(s.today, day("2027-03-01"));
    assert_int_equal(s.log_size, 25);
    /* filings per month: B C G A | D E | F | H (A's second filing is not counted) */
    assert_int_equal(s.nmonths, 4);
    assert_int_equal(s.months[0].year, 2026);
    assert_int_equal(s.months[0].month, 11);
    assert_int_equal(s.months[0].count, 4);
    assert_int_equal(s.months[1].year, 2026);
    assert_int_equal(s.months[1].month, 12);
    assert_int_equal(s.months[1].count, 2);
    assert_int_equal(s.months[2].year, 2027);
    assert_int_equal(s.months[2].month, 1);
    assert_int_equal(s.months[2].count, 1);
    assert_int_equal(s.months[3].year, 2027);
    assert_int_equal(s.months[3].month, 2);
    assert_int_equal(s.months[3].count, 1);
    /* signers 1 2 3 4 5 6 7 10 */
    assert_summary(&s.signers, 8, 4.75, 4.5, 10);
    /* to acknowledge (declines included): G 1, A 2, D 2, H 3, B 5, F 5 */
    assert_summary(&s.to_ack, 6, 3.0, 2.5, 5);
    /* to reply: G 23, A 28, D 53 */
    assert_summary(&s.to_reply, 3, 104.0 / 3, 28, 53);
    /* on time: G A D H acknowledged in time, B F late; A D replied in time, G late */
    assert_int_equal(s.acked.on_time, 4);
    assert_int_equal(s.acked.late, 2);
    assert_int_equal(s.replied.on_time, 2);
    assert_int_equal(s.replied.late, 1);
    /* not met and past due: E's acknowledgement (12-10); E's reply (01-20) and F's (02-22);
       C was withdrawn before its clocks ran out, B's reply stopped with the decline */
    assert_int_equal(s.acked.overdue, 1);
    assert_int_equal(s.replied.overdue, 2);
    /* open: D E F H; overdue: E (never acknowledged), F (reply due 02-22) */
    assert_int_equal(s.open, 4);
    assert_int_equal(s.overdue, 2);
    assert_int_equal(s.anomalies, 3);
    /* B declined, C withdrawn; D extended once, by 29 working days (01-14 to 02-26, past MLK Day
       and Washington's Birthday); closed: G after 24 working days, A after 29 */
    assert_int_equal(s.declined, 1);
    assert_int_equal(s.withdrawn, 1);
    assert_summary(&s.extensions, 1, 29, 29, 29);
    assert_summary(&s.to_close, 2, 26.5, 26.5, 29);
    stats_release(&s);
    assert_null(s.months);
    stats_release(&s);
    stats_release(NULL);
    workdays_calendar_release(&cal);
}

/* Weekends only: Thanksgiving, Christmas, New Year's Day, MLK Day, Washington's Birthday and
   the closure become working days. */
/* Account entries (a reset, roles, the channel key) interleaved with the scenario's: they are
 * counted by event, and every memo figure stays what it was. Even one whose tag equals a memo's
 * is no anomaly and touches no memo. */
static void test_account_entries(void **state)
{
    static const char *const accounts[] = {
        "dissent-log/v1\nevent officer-added\naccount " TB "\ndate 2026-10-01\n",
        "dissent-log/v1\nevent channel-granted\naccount " TB "\ndate 2026-10-01\n",
        "dissent-log/v1\nevent reset\naccount " TZ "\ndate 2026-11-03\n",
        "dissent-log/v1\nevent reset\naccount " TZ "\ndate 2026-11-20\n",
        "dissent-log/v1\nevent reset-confirmed\naccount " TA "\ndate 2026-12-01\n",
    };
    struct ledger_entry *mixed = calloc(NLOG + 5, sizeof(*mixed));
    struct workdays_calendar cal;
    struct ledger_stats plain, s;
    size_t n = 0;

    (void)state;
    assert_non_null(mixed);
    for (size_t i = 0; i < NLOG; i++) {
        if (i < 5)
            assert_int_equal(ledger_entry_parse(accounts[i], strlen(accounts[i]), &mixed[n++]), 0);
        mixed[n++] = entries[i];
    }
    calendar_make(&cal, true);
    assert_int_equal(stats_compute(entries, NLOG, &cal, day("2027-03-01"), &plain), 0);
    assert_int_equal(stats_compute(mixed, n, &cal, day("2027-03-01"), &s), 0);
    assert_int_equal(s.log_size, plain.log_size + 5);
    assert_int_equal(s.anomalies, plain.anomalies);
    assert_int_equal(s.open, plain.open);
    assert_int_equal(s.overdue, plain.overdue);
    assert_int_equal(s.nmonths, plain.nmonths);
    assert_int_equal(s.acked.on_time, plain.acked.on_time);
    assert_int_equal(s.replied.late, plain.replied.late);
    assert_int_equal(s.signers.count, plain.signers.count);
    assert_int_equal(s.accounts[LEDGER_RESET - LEDGER_RESET], 2);
    assert_int_equal(s.accounts[LEDGER_RESET_CONFIRMED - LEDGER_RESET], 1);
    assert_int_equal(s.accounts[LEDGER_OFFICER_ADDED - LEDGER_RESET], 1);
    assert_int_equal(s.accounts[LEDGER_CHANNEL_GRANTED - LEDGER_RESET], 1);
    assert_int_equal(s.accounts[LEDGER_CHANNEL_REVOKED - LEDGER_RESET], 0);
    for (int e = LEDGER_RESET; e <= LEDGER_ACCOUNT_LAST; e++)
        assert_int_equal(plain.accounts[e - LEDGER_RESET], 0);
    stats_release(&plain);
    stats_release(&s);
    workdays_calendar_release(&cal);
    free(mixed);
}

#define CAL(ev, date, line) "dissent-log/v1\nevent " ev "\ndate " date "\n" line
#define RESCHEDULED(tag, date, ack, reply)                                                         \
    HEAD("rescheduled", tag, date) "ack-due " ack "\nreply-due " reply "\n"

/* Stats of the entries @text[0..@n) on a weekends-only calendar, judged on @today. */
static void stats_of(const char *const *text, size_t n, const char *today, struct ledger_stats *s)
{
    struct workdays_calendar cal;
    struct ledger_entry *e = calloc(n, sizeof(*e));

    assert_non_null(e);
    for (size_t i = 0; i < n; i++)
        if (ledger_entry_parse(text[i], strlen(text[i]), &e[i]) != 0)
            fail_msg("entry %zu does not parse:\n%s", i, text[i]);
    assert_int_equal(workdays_calendar_init(&cal, 0, NULL, 0), 0);
    assert_int_equal(stats_compute(e, n, &cal, day(today), s), 0);
    workdays_calendar_release(&cal);
    free(e);
}

/*
 * Calendar entries (core/calendar.h): a dishonest log cannot launder a late answer with a stop
 * that never started, a move outside a calendar change, or a stop begun in the past; an honest
 * one pauses a deadline, and an answer made while it is paused is on time.
 */
static void test_calendar_entries(void **state)
{
    /* filed Tue 09-01, acknowledgement due Thu 09-03 */
    static const char *const forged[] = {
        FILED(TA, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        /* a resumption of a stop that never started, then a move after the due date */
        CAL("clock-resumed", "2026-09-20", "from 2026-09-02\nuntil 2026-09-19\n"),
        RESCHEDULED(TA, "2026-09-20", "2026-09-25", "2026-10-30"),
        /* a move with no calendar change before it */
        HEAD("distributed", TA, "2026-09-20"),
        RESCHEDULED(TA, "2026-09-20", "2026-09-25", "2026-10-30"),
        /* a stop that starts in the past, to hide the overdue reply */
        CAL("clock-stopped", "2026-10-20", "from 2026-09-02\n"),
        ACKED(TA, "2026-09-21", "2026-10-13"),
    };
    static const char *const honest[] = {
        FILED(TA, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        FILED(TB, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        FILED(TC, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        CAL("clock-stopped", "2026-09-02", "from 2026-09-02\n"),
        ACKED(TA, "2026-09-10", "2026-10-20"), /* paused: on time */
        HEAD("withdrawn", TB, "2026-09-11"),   /* paused: not missed */
        /* a second stop while one runs is no stop */
        CAL("clock-stopped", "2026-09-12", "from 2026-09-12\n"),
    };
    static const char *const resumed[] = {
        FILED(TA, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        CAL("clock-stopped", "2026-09-02", "from 2026-09-02\n"),
        CAL("clock-resumed", "2026-09-14", "from 2026-09-02\nuntil 2026-09-13\n"),
        RESCHEDULED(TA, "2026-09-14", "2026-09-16", "2026-10-23"),
        ACKED(TA, "2026-09-16", "2026-10-23"), /* on the moved due day */
        /* a closure of a past day, and one taken back for today, are no calendar change */
        CAL("closure-added", "2026-09-17", "closed 2026-09-16\n"),
        CAL("closure-removed", "2026-09-17", "closed 2026-09-17\n"),
    };
    struct ledger_stats s;

    (void)state;
    stats_of(forged, sizeof(forged) / sizeof(forged[0]), "2026-10-21", &s);
    assert_int_equal(s.acked.on_time, 0);
    assert_int_equal(s.acked.late, 1);
    assert_int_equal(s.anomalies, 4);
    assert_int_equal(s.stopped_from, -1);
    assert_int_equal(s.replied.overdue, 1); /* due 10-13, not paused by the forged stop */
    stats_release(&s);

    stats_of(honest, sizeof(honest) / sizeof(honest[0]), "2026-09-14", &s);
    assert_int_equal(s.acked.on_time, 1);
    assert_int_equal(s.acked.late, 0);
    assert_int_equal(s.acked.overdue, 0); /* C's acknowledgement is paused */
    assert_int_equal(s.replied.late, 0);  /* B withdrew while paused */
    assert_int_equal(s.withdrawn, 1);
    assert_int_equal(s.anomalies, 1);
    assert_int_equal(s.stopped_from, day("2026-09-02"));
    assert_int_equal(s.paused, 2); /* A's reply and C's acknowledgement */
    assert_int_equal(s.overdue, 0);
    stats_release(&s);

    stats_of(resumed, sizeof(resumed) / sizeof(resumed[0]), "2026-09-17", &s);
    assert_int_equal(s.acked.on_time, 1);
    assert_int_equal(s.acked.late, 0);
    assert_int_equal(s.anomalies, 2);
    assert_int_equal(s.stopped_from, -1);
    stats_release(&s);
}

#define CLARIFY(tag, date, reply) HEAD("clarification", tag, date) "reply-due " reply "\n"

/*
 * Clarifications (core/workflow.h): each answered on time or late against its own due date, an
 * unanswered one overdue; the entries a dishonest log could use to launder are anomalies: a
 * second clarification before an answer (a later due date), an extension after the reply, a
 * clarification due before its own date.
 */
static void test_clarifications(void **state)
{
    static const char *const text[] = {
        FILED(TA, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        FILED(TB, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        FILED(TC, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        ACKED(TA, "2026-09-02", "2026-10-13"),
        ACKED(TB, "2026-09-02", "2026-10-13"),
        ACKED(TC, "2026-09-02", "2026-10-13"),
        HEAD("replied", TA, "2026-09-10"),
        HEAD("replied", TB, "2026-09-10"),
        HEAD("replied", TC, "2026-09-10"),
        CLARIFY(TA, "2026-09-11", "2026-09-25"),
        HEAD("replied", TA, "2026-09-24"), /* on time */
        CLARIFY(TB, "2026-09-11", "2026-09-25"),
        CLARIFY(TB, "2026-09-28", "2026-10-12"),  /* anomaly: B's is not answered yet */
        EXTENDED(TB, "2026-09-20", "2026-09-30"), /* anomaly: after the reply */
        HEAD("replied", TB, "2026-09-29"),        /* late against 09-25 */
        CLARIFY(TC, "2026-09-11", "2026-09-10"),  /* anomaly: due before its date */
        CLARIFY(TC, "2026-09-14", "2026-09-28"),  /* not answered: overdue on 10-01 */
        CLARIFY(TZ, "2026-09-14", "2026-09-28"),  /* anomaly: unknown memo */
        HEAD("closed", TA, "2026-09-30"),
        CLARIFY(TA, "2026-09-30", "2026-10-14"), /* anomaly: ended */
    };
    struct ledger_stats s;

    (void)state;
    stats_of(text, sizeof(text) / sizeof(text[0]), "2026-10-01", &s);
    assert_int_equal(s.clarifications, 3);
    assert_int_equal(s.clarified.on_time, 1);
    assert_int_equal(s.clarified.late, 1);
    assert_int_equal(s.clarified.overdue, 1);
    assert_int_equal(s.anomalies, 5);
    assert_int_equal(s.replied.on_time, 3); /* the first replies */
    assert_int_equal(s.extensions.count, 0);
    assert_int_equal(s.overdue, 1); /* C */
    stats_release(&s);
}

#define ESCALATED(tag, date, missed, rung)                                                         \
    HEAD("escalated", tag, date) "missed " missed "\nrung " rung "\n"

/* Escalation entries count only as the ladder climbs: a rung of the deadline the memo waits
 * on, after it was missed, each once, the principals' after the officers'; and an ending entry
 * cannot hide what is still owed. */
static void test_escalation_entries(void **state)
{
    static const char *const text[] = {
        FILED(TA, "2026-09-01", "1", "2026-09-03", "2026-10-13"),
        ESCALATED(TA, "2026-09-04", "2026-09-03", "2"), /* anomaly: rung 2 first */
        ESCALATED(TA, "2026-09-04", "2026-09-03", "1"),
        ESCALATED(TA, "2026-09-05", "2026-09-03", "1"), /* anomaly: twice */
        ESCALATED(TA, "2026-09-04", "2026-09-04", "1"), /* anomaly: not the due day */
        ESCALATED(TA, "2026-09-11", "2026-09-03", "2"),
        ACKED(TA, "2026-09-14", "2026-10-13"),
        ESCALATED(TA, "2026-09-15", "2026-09-03", "1"), /* anomaly: answered already */
        HEAD("replied", TA, "2026-09-16"),
        CLARIFY(TA, "2026-09-17", "2026-10-01"),
        HEAD("closed", TA, "2026-09-18"),   /* anomaly: it waits on a clarification */
        HEAD("declined", TA, "2026-09-18"), /* anomaly: likewise */
        ESCALATED(TA, "2026-10-02", "2026-10-01", "1"),
        HEAD("withdrawn", TA, "2026-10-05"), /* the clarification was missed: late */
        HEAD("replied", TA, "2026-10-06"),   /* anomaly: after the end */
    };
    struct ledger_stats s;

    (void)state;
    stats_of(text, sizeof(text) / sizeof(text[0]), "2026-10-07", &s);
    assert_int_equal(s.escalated[0], 2);
    assert_int_equal(s.escalated[1], 1);
    assert_int_equal(s.anomalies, 7);
    assert_int_equal(s.clarified.late, 1);
    assert_int_equal(s.clarified.on_time, 0);
    assert_int_equal(s.withdrawn, 1);
    assert_int_equal(s.declined, 0);
    stats_release(&s);
}

static void test_weekends_only(void **state)
{
    struct workdays_calendar cal;
    struct ledger_stats s;

    (void)state;
    calendar_make(&cal, false);
    assert_int_equal(stats_compute(entries, NLOG, &cal, day("2027-03-01"), &s), 0);
    /* A: Thu 11-26, Fri 11-27, Mon 11-30 = 3 -> 1 2 3 3 5 5 */
    assert_summary(&s.to_ack, 6, 19.0 / 6, 3, 5);
    /* G 23 + 1, A 28 + 4, D 53 + 5 */
    assert_summary(&s.to_reply, 3, 114.0 / 3, 32, 58);
    /* the rest does not depend on the calendar */
    assert_summary(&s.signers, 8, 4.75, 4.5, 10);
    assert_int_equal(s.acked.on_time, 4);
    assert_int_equal(s.open, 4);
    assert_int_equal(s.overdue, 2);
    stats_release(&s);
    workdays_calendar_release(&cal);
}

/*
 * Overdue is "today > due": the log up to E's filing (15 entries), judged on several days.
 * Memos overdue, and the deadlines overdue: acknowledgements and replies (E's reply clock runs
 * while its acknowledgement is overdue).
 */
static void test_overdue_boundaries(void **state)
{
    static const struct {
        const char *today;
        uint64_t overdue, acks, replies;
    } cases[] = {
        {"2026-12-09", 0, 0, 0}, /* G waits for its reply (12-15), E for its acknowledgement */
        {"2026-12-10", 0, 0, 0}, /* E's due day */
        {"2026-12-11", 1, 1, 0}, /* E late */
        {"2026-12-15", 1, 1, 0}, /* G's reply due day */
        {"2026-12-16", 2, 1, 1}, /* G late too */
        {"2027-01-12", 2, 1, 1}, /* A's reply due day */
        {"2027-01-13", 3, 1, 2}, /* A late */
        {"2027-01-15", 4, 1, 3}, /* D's reply was due 01-14 (extended later, in entries not read) */
        {"2027-01-21", 4, 1, 4}, /* E's reply was due 01-20: a second deadline of the same memo */
    };
    struct workdays_calendar cal;
    struct ledger_stats s;

    (void)state;
    calendar_make(&cal, true);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(stats_compute(entries, 15, &cal, day(cases[i].today), &s), 0);
        assert_int_equal(s.log_size, 15);
        assert_int_equal(s.open, 4); /* G A D E */
        if (s.overdue != cases[i].overdue || s.acked.overdue != cases[i].acks ||
            s.replied.overdue != cases[i].replies)
            fail_msg("on %s: %llu/%llu/%llu overdue, wanted %llu/%llu/%llu", cases[i].today,
                     (unsigned long long)s.overdue, (unsigned long long)s.acked.overdue,
                     (unsigned long long)s.replied.overdue, (unsigned long long)cases[i].overdue,
                     (unsigned long long)cases[i].acks, (unsigned long long)cases[i].replies);
        assert_int_equal(s.anomalies, 3);
        stats_release(&s);
    }
    workdays_calendar_release(&cal);
}

/* No entries; only anomalies; one filing; the limits. */
static void test_edges(void **state)
{
    struct workdays_calendar cal;
    struct ledger_stats s;

    (void)state;
    calendar_make(&cal, true);
    assert_int_equal(stats_compute(NULL, 0, &cal, day("2027-03-01"), &s), 0);
    assert_int_equal(s.log_size, 0);
    assert_int_equal(s.nmonths, 0);
    assert_int_equal(s.signers.count, 0);
    assert_int_equal(s.to_ack.count, 0);
    assert_int_equal(s.open + s.overdue + s.anomalies, 0);
    assert_int_equal(s.acked.overdue + s.replied.overdue, 0);
    stats_release(&s);
    /* entries 1, 8 (B's early reply, the unknown memo) alone are anomalies */
    {
        struct ledger_entry two[2] = {entries[1], entries[8]};

        assert_int_equal(stats_compute(two, 2, &cal, day("2027-03-01"), &s), 0);
        assert_int_equal(s.anomalies, 2);
        assert_int_equal(s.open, 0);
        stats_release(&s);
    }
    /* one filing, acknowledged the same day: 0 working days */
    {
        struct ledger_entry one[2] = {entries[7], entries[9]};

        one[1].day = one[0].day;
        assert_int_equal(stats_compute(one, 2, &cal, day("2026-11-25"), &s), 0);
        assert_summary(&s.signers, 1, 3, 3, 3);
        assert_summary(&s.to_ack, 1, 0, 0, 0);
        assert_int_equal(s.acked.on_time, 1);
        assert_int_equal(s.open, 1);
        assert_int_equal(s.overdue, 0);
        stats_release(&s);
    }
    /* an extension dated after the due date in force moves nothing: the reply stays late, and
     * the entry is an anomaly (the server grants none; a log that holds one was not its) */
    {
        static const char *const text[] = {
            FILED(TA, "2026-11-25", "3", "2026-12-02", "2027-01-12"),
            ACKED(TA, "2026-11-30", "2027-01-12"),
            EXTENDED(TA, "2027-01-13", "2027-02-26"),
            HEAD("replied", TA, "2027-01-14"),
        };
        struct ledger_entry four[4];

        for (size_t i = 0; i < 4; i++)
            assert_int_equal(ledger_entry_parse(text[i], strlen(text[i]), &four[i]), 0);
        assert_int_equal(stats_compute(four, 4, &cal, day("2027-03-01"), &s), 0);
        assert_int_equal(s.anomalies, 1);
        assert_int_equal(s.replied.on_time, 0);
        assert_int_equal(s.replied.late, 1);
        stats_release(&s);
        /* on the due day itself it is granted, and the reply is on time */
        assert_int_equal(ledger_entry_parse(EXTENDED(TA, "2027-01-12", "2027-02-26"),
                                            strlen(EXTENDED(TA, "2027-01-12", "2027-02-26")),
                                            &four[2]),
                         0);
        assert_int_equal(stats_compute(four, 4, &cal, day("2027-03-01"), &s), 0);
        assert_int_equal(s.anomalies, 0);
        assert_int_equal(s.replied.on_time, 1);
        stats_release(&s);
    }
    /* a day out of range, too many entries */
    s.open = 99;
    assert_int_equal(stats_compute(entries, NLOG, &cal, WORKDAYS_DAY_MAX + 1, &s), ERR_INVALID);
    assert_int_equal(s.open, 0);
    assert_int_equal(stats_compute(entries, NLOG, &cal, -1, &s), ERR_INVALID);
    assert_int_equal(stats_compute(NULL, (size_t)STATS_ENTRIES_MAX + 1, &cal, 0, &s),
                     ERR_TOO_LARGE);
    {
        struct ledger_entry bad = entries[0];

        bad.day = -5;
        assert_int_equal(stats_compute(&bad, 1, &cal, day("2027-03-01"), &s), ERR_INVALID);
        assert_null(s.months);
    }
    workdays_calendar_release(&cal);
}

/* A long random log of a few hundred memos, fed in runs of random length: after each run the
 * figures kept up (only the memos changed counted again) are those of a fresh count of the same
 * prefix, whichever day they are judged on and however the calendar changed meanwhile. */
static void test_incremental_random(void **state)
{
    enum { MEMOS = 300, MAX = 4000 };
    static const enum ledger_event events[] = {
        LEDGER_ACKNOWLEDGED, LEDGER_DECLINED,  LEDGER_EXTENDED,      LEDGER_REPLIED,
        LEDGER_CLOSED,       LEDGER_WITHDRAWN, LEDGER_CLARIFICATION, LEDGER_FILED};
    struct ledger_entry *log = calloc(MAX, sizeof(*log));
    struct workdays_calendar cal;
    struct stats_state *st = stats_new();
    uint64_t seed = 0x5eed;
    int64_t base = day("2026-10-01");
    size_t n = 0, fed = 0;

    (void)state;
    assert_non_null(log);
    assert_non_null(st);
    calendar_make(&cal, true);
#define RND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, (seed >> 33))
    while (n < MAX) {
        struct ledger_entry *e = &log[n];
        uint64_t memo = RND() % MEMOS;
        int64_t d = base + (int64_t)(n / 20); /* days go on as the log grows */
        *e = entries[0];
        memset(e->tag, 0, LEDGER_TAG_LEN);
        memcpy(e->tag, &memo, sizeof(memo));
        e->tag[15] = (uint8_t)(memo * 37);
        e->day = d;
        e->signers = 0;
        e->first = e->last = -1;
        e->event = n < MEMOS || RND() % 10 == 0 ? LEDGER_FILED : events[RND() % 8];
        if (e->event == LEDGER_FILED) {
            uint64_t m = n < MEMOS ? n : memo;
            memset(e->tag, 0, LEDGER_TAG_LEN);
            memcpy(e->tag, &m, sizeof(m));
            e->tag[15] = (uint8_t)(m * 37);
            e->signers = 1 + (int)(RND() % 30);
            e->ack_due = d + (int64_t)(RND() % 12);
            e->reply_due = d + 10 + (int64_t)(RND() % 60);
        } else {
            e->reply_due = d + (int64_t)(RND() % 50) - 5;
        }
        n++;
    }
    while (fed < MAX) {
        size_t run = 1 + RND() % 200;
        struct ledger_stats a, b;
        for (; run > 0 && fed < MAX; run--)
            assert_int_equal(stats_feed(st, &log[fed++]), 0);
        if (RND() % 5 == 0) {
            int64_t closed[] = {base + (int64_t)(RND() % 200), base + (int64_t)(RND() % 200)};
            assert_int_equal(workdays_calendar_set_runtime(&cal, closed, 2, -1), 0);
        }
        int64_t today = base + (int64_t)(fed / 20) + (int64_t)(RND() % 40);
        assert_int_equal(stats_compute(log, fed, &cal, today, &a), 0);
        assert_int_equal(stats_finish(st, &cal, today, &b), 0);
        assert_true(b.signers.count > 0);
        assert_same_stats(&a, &b);
        stats_release(&a);
        stats_release(&b);
    }
#undef RND
    stats_free(st);
    workdays_calendar_release(&cal);
    free(log);
}

/* Many memos: every one found again by its tag (the table's probing). */
/* Fed one entry at a time (core/stats.h's state, as a server keeps it), the figures after every
 * prefix are those stats_compute() makes of that prefix, and finishing twice changes nothing. */
static void test_incremental(void **state)
{
    struct workdays_calendar cal;
    struct stats_state *st = stats_new();

    (void)state;
    assert_non_null(st);
    calendar_make(&cal, true);
    for (size_t n = 0; n <= NLOG; n++) {
        struct ledger_stats a, b, c;
        if (n == NLOG / 2) {
            /* the calendar changes on the way (closed days set at runtime: a clock stop's, say):
             * the kept counts are counted again, in the new calendar */
            int64_t closed[] = {day("2026-11-10"), day("2026-11-11"), day("2027-01-05")};
            assert_int_equal(workdays_calendar_set_runtime(&cal, closed, 3, -1), 0);
        }
        if (n > 0)
            assert_int_equal(stats_feed(st, &entries[n - 1]), 0);
        assert_int_equal(stats_fed(st), n);
        assert_int_equal(stats_compute(entries, n, &cal, day("2027-03-01"), &a), 0);
        assert_int_equal(stats_finish(st, &cal, day("2027-03-01"), &b), 0);
        assert_int_equal(stats_finish(st, &cal, day("2027-03-01"), &c), 0);
        assert_int_equal(a.nmonths, b.nmonths);
        assert_int_equal(c.nmonths, b.nmonths);
        if (a.nmonths > 0) {
            assert_memory_equal(a.months, b.months, a.nmonths * sizeof(*a.months));
            assert_memory_equal(c.months, b.months, c.nmonths * sizeof(*c.months));
        }
        struct stats_month *am = a.months, *bm = b.months, *cm = c.months;
        a.months = b.months = c.months = NULL;
        assert_memory_equal(&a, &b, sizeof(a));
        assert_memory_equal(&c, &b, sizeof(c));
        a.months = am;
        b.months = bm;
        c.months = cm;
        stats_release(&a);
        stats_release(&b);
        stats_release(&c);
    }
    stats_free(st);
    workdays_calendar_release(&cal);
}

static void test_many(void **state)
{
    enum { N = 3000 };
    struct ledger_entry *e = calloc(2 * N, sizeof(*e));
    struct workdays_calendar cal;
    struct ledger_stats s;

    (void)state;
    assert_non_null(e);
    calendar_make(&cal, true);
    for (int i = 0; i < N; i++) {
        struct ledger_entry *f = &e[i], *a = &e[N + i];

        *f = entries[0];
        /* tags sharing their first bytes, so that they collide in the table */
        memset(f->tag, 0x42, LEDGER_TAG_LEN);
        f->tag[14] = (uint8_t)(i >> 8);
        f->tag[15] = (uint8_t)i;
        f->signers = 1 + i % 5;
        *a = entries[2]; /* declined 11-09 */
        memcpy(a->tag, f->tag, LEDGER_TAG_LEN);
    }
    assert_int_equal(stats_compute(e, 2 * N, &cal, day("2027-03-01"), &s), 0);
    assert_int_equal(s.anomalies, 0);
    assert_int_equal(s.open, 0);
    assert_summary(&s.signers, N, 3, 3, 5);
    assert_summary(&s.to_ack, N, 5, 5, 5);
    assert_int_equal(s.acked.late, N);
    assert_int_equal(s.acked.overdue + s.replied.overdue, 0); /* declined: the reply stopped */
    assert_int_equal(s.nmonths, 1);
    assert_int_equal(s.months[0].count, N);
    stats_release(&s);
    workdays_calendar_release(&cal);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario),
        cmocka_unit_test(test_account_entries),
        cmocka_unit_test(test_weekends_only),
        cmocka_unit_test(test_overdue_boundaries),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_incremental_random),
        cmocka_unit_test(test_calendar_entries),
        cmocka_unit_test(test_clarifications),
        cmocka_unit_test(test_escalation_entries),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
