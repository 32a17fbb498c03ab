/*
 * test_clocks.c - a memo's deadlines on a day (core/clocks.h): running, overdue, met on time or
 * late, stopped by a decline or a withdrawal, and the list filter built on them. The calendar
 * has US federal holidays; times are read in UTC.
 */
#include "testutil.h"

#include "core/clocks.h"
#include "core/memo.h"
#include "core/workdays.h"
#include "util/err.h"

#include <time.h>

static struct workdays_calendar cal;

static int64_t day(const char *iso)
{
    int64_t d = -1;

    assert_int_equal(workdays_day_parse(iso, &d), 0);
    return d;
}

/* Noon UTC on @iso, as unix seconds. */
static int64_t noon(const char *iso)
{
    return day(iso) * 86400 + 12 * 3600;
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return workdays_calendar_init(&cal, true, NULL, 0);
}

static int teardown(void **state)
{
    (void)state;
    workdays_calendar_release(&cal);
    return 0;
}

/* Filed Thu 2025-07-03: acknowledgement due Tue 07-08 (07-04 is a holiday), reply due 08-15. */
static struct memo filed_memo(void)
{
    struct memo m;

    memset(&m, 0, sizeof(m));
    m.state = MEMO_FILED;
    m.filed_day = day("2025-07-03");
    m.ack_due = day("2025-07-08");
    m.reply_due = day("2025-08-15");
    m.reply_max = day("2025-09-29");
    m.ack_day = m.replied_day = m.closed_day = STORE_DAY_NONE;
    m.updated_at = noon("2025-07-03");
    return m;
}

static void test_not_filed(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.state = MEMO_OPEN;
    m.filed_day = m.ack_due = m.reply_due = m.reply_max = STORE_DAY_NONE;
    c.started = true;
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-03"), &c), 0);
    assert_false(c.started);
    assert_null(clocks_waiting(&c));
    assert_false(clocks_filter_match(&c, CLOCKS_WAITING));
    assert_true(clocks_filter_match(&c, CLOCKS_ANY));
}

static void test_filed_runs_then_overdue(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-03"), &c), 0);
    assert_true(c.started);
    assert_int_equal(c.waits, CLOCK_ACK);
    assert_ptr_equal(clocks_waiting(&c), &c.ack);
    assert_int_equal(c.ack.status, CLOCK_RUNNING);
    assert_int_equal(c.ack.left, 2);
    assert_false(c.ack.overdue);
    assert_int_equal(c.ack.done, DEADLINE_DAY_NONE);
    assert_int_equal(c.ack.max, DEADLINE_DAY_NONE);
    assert_int_equal(c.reply.status, CLOCK_RUNNING);
    assert_int_equal(c.reply.max, day("2025-09-29"));
    assert_true(clocks_filter_match(&c, CLOCKS_WAITING));
    assert_true(clocks_filter_match(&c, CLOCKS_DUE_SOON));
    assert_false(clocks_filter_match(&c, CLOCKS_OVERDUE));
    /* the due day itself: 0 left, not overdue */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-08"), &c), 0);
    assert_int_equal(c.ack.left, 0);
    assert_false(c.ack.overdue);
    assert_true(clocks_filter_match(&c, CLOCKS_DUE_SOON));
    /* the day after */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-09"), &c), 0);
    assert_int_equal(c.ack.left, -1);
    assert_true(c.ack.overdue);
    assert_true(clocks_filter_match(&c, CLOCKS_OVERDUE));
    assert_false(clocks_filter_match(&c, CLOCKS_DUE_SOON));
    assert_true(clocks_filter_match(&c, CLOCKS_WAITING));
}

static void test_soon_is_two_working_days(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.ack_due = day("2025-07-10"); /* Thursday */
    /* Mon 07-07: three working days left */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-07"), &c), 0);
    assert_int_equal(c.ack.left, 3);
    assert_false(clocks_filter_match(&c, CLOCKS_DUE_SOON));
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-07-08"), &c), 0);
    assert_int_equal(c.ack.left, 2);
    assert_true(clocks_filter_match(&c, CLOCKS_DUE_SOON));
}

static void test_acknowledged_waits_on_the_reply(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.state = MEMO_ACKNOWLEDGED;
    m.ack_day = day("2025-07-09"); /* a day late */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-08-18"), &c), 0);
    assert_int_equal(c.ack.status, CLOCK_MET);
    assert_int_equal(c.ack.done, day("2025-07-09"));
    assert_false(c.ack.on_time);
    assert_false(c.ack.overdue);
    assert_int_equal(c.waits, CLOCK_REPLY);
    assert_int_equal(c.reply.status, CLOCK_RUNNING);
    assert_true(c.reply.overdue);
    assert_true(clocks_filter_match(&c, CLOCKS_OVERDUE));
}

static void test_replied_has_no_maximum(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.state = MEMO_CLOSED;
    m.ack_day = day("2025-07-07");
    m.replied_day = day("2025-08-01");
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_int_equal(c.reply.status, CLOCK_MET);
    assert_true(c.reply.on_time);
    assert_int_equal(c.reply.max, DEADLINE_DAY_NONE);
    assert_false(c.reply.overdue);
    assert_int_equal(c.waits, CLOCK_NONE);
    assert_false(clocks_filter_match(&c, CLOCKS_WAITING));
}

static void test_declined_meets_the_acknowledgement(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.state = MEMO_DECLINED;
    m.updated_at = noon("2025-07-09"); /* declined a day late */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_int_equal(c.ack.status, CLOCK_MET);
    assert_int_equal(c.ack.done, day("2025-07-09"));
    assert_false(c.ack.on_time);
    assert_int_equal(c.reply.status, CLOCK_STOPPED_DECLINED);
    assert_string_equal(clocks_stop_name(c.reply.status), "declined");
    assert_int_equal(c.reply.done, DEADLINE_DAY_NONE);
    assert_false(c.reply.overdue);
    assert_int_equal(c.reply.left, 0);
    assert_int_equal(c.reply.max, DEADLINE_DAY_NONE);
    assert_int_equal(c.waits, CLOCK_NONE);
    assert_false(clocks_filter_match(&c, CLOCKS_WAITING));
    /* on the due day: on time */
    m.updated_at = noon("2025-07-08");
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_true(c.ack.on_time);
}

static void test_withdrawn_stops_what_was_not_met(void **state)
{
    struct memo m = filed_memo();
    struct memo_clocks c;

    (void)state;
    m.state = MEMO_WITHDRAWN;
    m.updated_at = noon("2025-07-15"); /* after the acknowledgement was overdue */
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_int_equal(c.ack.status, CLOCK_STOPPED_WITHDRAWN);
    assert_string_equal(clocks_stop_name(c.ack.status), "withdrawn");
    assert_false(c.ack.overdue);
    assert_true(c.ack.missed); /* withdrawn after it was due: missed first */
    assert_int_equal(c.reply.status, CLOCK_STOPPED_WITHDRAWN);
    assert_false(c.reply.overdue);
    assert_false(c.reply.missed);
    assert_int_equal(c.waits, CLOCK_NONE);
    assert_false(clocks_filter_match(&c, CLOCKS_OVERDUE));
    /* withdrawn on the due day: not missed */
    m.updated_at = noon("2025-07-08");
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_false(c.ack.missed);
    /* acknowledged before the withdrawal: that stays met */
    m.ack_day = day("2025-07-07");
    assert_int_equal(clocks_of_memo(&cal, &m, day("2025-12-01"), &c), 0);
    assert_int_equal(c.ack.status, CLOCK_MET);
    assert_true(c.ack.on_time);
    assert_int_equal(c.reply.status, CLOCK_STOPPED_WITHDRAWN);
    assert_null(clocks_stop_name(c.ack.status));
}

static void test_filter_names(void **state)
{
    enum clocks_filter f = CLOCKS_ANY;

    (void)state;
    assert_int_equal(clocks_filter_parse("waiting", &f), 0);
    assert_int_equal(f, CLOCKS_WAITING);
    assert_int_equal(clocks_filter_parse("overdue", &f), 0);
    assert_int_equal(f, CLOCKS_OVERDUE);
    assert_int_equal(clocks_filter_parse("soon", &f), 0);
    assert_int_equal(f, CLOCKS_DUE_SOON);
    assert_int_equal(clocks_filter_parse("Soon", &f), ERR_INVALID);
    assert_int_equal(clocks_filter_parse("", &f), ERR_INVALID);
    assert_int_equal(clocks_filter_parse(NULL, &f), ERR_INVALID);
    assert_int_equal(f, CLOCKS_DUE_SOON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_filed),
        cmocka_unit_test(test_filed_runs_then_overdue),
        cmocka_unit_test(test_soon_is_two_working_days),
        cmocka_unit_test(test_acknowledged_waits_on_the_reply),
        cmocka_unit_test(test_replied_has_no_maximum),
        cmocka_unit_test(test_declined_meets_the_acknowledgement),
        cmocka_unit_test(test_withdrawn_stops_what_was_not_met),
        cmocka_unit_test(test_filter_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
