/*
 * test_deadline.c - deadline presets, due days, maxima and extensions.
 */
#include "testutil.h"

#include <string.h>

#include "core/deadline.h"
#include "core/workdays.h"
#include "util/err.h"

static int64_t day_of(const char *iso)
{
    int64_t day = -1;

    assert_int_equal(workdays_day_parse(iso, &day), 0);
    return day;
}

/* Fails unless @got is the literal date @want. */
static void check_day(int64_t got, const char *want, const char *what)
{
    if (got != day_of(want)) {
        char iso[WORKDAYS_ISO_SIZE];

        workdays_day_format(got, iso, sizeof(iso));
        fail_msg("%s: got %s, expected %s", what, iso, want);
    }
}

static int setup_calendar(void **state)
{
    static struct workdays_calendar cal;

    if (workdays_calendar_init(&cal, true, NULL, 0) != 0)
        return -1;
    *state = &cal;
    return 0;
}

static int teardown_calendar(void **state)
{
    workdays_calendar_release(*state);
    return 0;
}

static void test_presets(void **state)
{
    struct deadline_policy p;

    assert_int_equal(deadline_policy_from_preset("state-dept", &p), 0);
    assert_int_equal(p.ack.unit, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(p.ack.count, 2);
    assert_int_equal(p.reply.unit, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(p.reply.count, 30);
    assert_int_equal(p.reply_max.unit, DEADLINE_UNIT_WORKING_DAYS);
    assert_int_equal(p.reply_max.count, 60);
    assert_int_equal(p.reply_from, DEADLINE_BASE_FILING);
    assert_int_equal(deadline_policy_check(&p, NULL, 0), 0);

    assert_int_equal(deadline_policy_from_preset("eu-directive", &p), 0);
    assert_int_equal(p.ack.unit, DEADLINE_UNIT_CALENDAR_DAYS);
    assert_int_equal(p.ack.count, 7);
    assert_int_equal(p.reply.unit, DEADLINE_UNIT_MONTHS);
    assert_int_equal(p.reply.count, 3);
    /* an internal channel: three months, no extension (Directive 2019/1937, Art. 9(1)(f)) */
    assert_int_equal(p.reply_max.unit, DEADLINE_UNIT_MONTHS);
    assert_int_equal(p.reply_max.count, 3);
    assert_int_equal(p.reply_from, DEADLINE_BASE_ACK);
    assert_int_equal(deadline_policy_check(&p, NULL, 0), 0);
}

static void test_preset_unknown(void **state)
{
    struct deadline_policy p, before;

    memset(&p, 0x5a, sizeof(p));
    before = p;
    assert_int_equal(deadline_policy_from_preset("State-Dept", &p), ERR_INVALID);
    assert_int_equal(deadline_policy_from_preset("state-dept ", &p), ERR_INVALID);
    assert_int_equal(deadline_policy_from_preset("", &p), ERR_INVALID);
    assert_int_equal(deadline_policy_from_preset("eu", &p), ERR_INVALID);
    assert_int_equal(deadline_policy_from_preset(NULL, &p), ERR_INVALID);
    assert_memory_equal(&p, &before, sizeof(p));
}

static void test_state_dept(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_policy p;
    int64_t due = -1;

    assert_int_equal(deadline_policy_from_preset("state-dept", &p), 0);

    /* Thursday before Independence Day. */
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-07-03"), &due), 0);
    check_day(due, "2025-07-08", "ack");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-08-15", "reply");
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-09-29", "max"); /* over Labor Day */

    /* The acknowledgement day does not matter when the clock counts from filing. */
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), day_of("2025-07-07"), &due),
                     0);
    check_day(due, "2025-08-15", "reply after ack");

    /* Filed on a Friday. */
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-06-06"), &due), 0);
    check_day(due, "2025-06-10", "ack from Friday");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-06-06"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-07-22", "reply from Friday"); /* over Juneteenth and July 4 */
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-06-06"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-09-03", "max from Friday");

    /* Across Thanksgiving, Christmas, New Year and MLK Day. */
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-11-20"), &due), 0);
    check_day(due, "2025-11-24", "ack in November");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-11-20"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2026-01-06", "reply over the holidays");
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-11-20"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2026-02-19", "max over the holidays");

    /* Christmas and New Year both observed on Fridays in December 2021. */
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2021-12-22"), &due), 0);
    check_day(due, "2021-12-27", "ack at Christmas 2021");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2021-12-22"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2022-02-07", "reply at Christmas 2021");
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2021-12-22"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2022-03-22", "max at Christmas 2021");
}

static void test_state_dept_closures(void **state)
{
    /* A Monday closure inside the window, and one on a Saturday that changes nothing. */
    const int64_t closures[] = {day_of("2025-07-21"), day_of("2025-07-26")};
    struct workdays_calendar cal;
    struct deadline_policy p;
    int64_t due = -1;

    assert_int_equal(workdays_calendar_init(&cal, true, closures, 2), 0);
    assert_int_equal(deadline_policy_from_preset("state-dept", &p), 0);
    assert_int_equal(deadline_reply_due(&p, &cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due),
                     0);
    check_day(due, "2025-08-18", "reply with a closure");
    workdays_calendar_release(&cal);
}

static void test_eu_directive(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_policy p;
    int64_t filed = day_of("2025-01-31");
    int64_t due = -1;

    assert_int_equal(deadline_policy_from_preset("eu-directive", &p), 0);
    p.reply_max = (struct deadline_span){DEADLINE_UNIT_MONTHS, 6}; /* an external channel's */

    /* Seven calendar days, weekends and holidays included, not moved off a weekend. */
    assert_int_equal(deadline_ack_due(&p, cal, filed, &due), 0);
    check_day(due, "2025-02-07", "ack");
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-06-28"), &due), 0);
    check_day(due, "2025-07-05", "ack on a Saturday"); /* July 4 does not count */

    /* Acknowledged on time: three months from the acknowledgement. */
    assert_int_equal(deadline_reply_due(&p, cal, filed, day_of("2025-02-03"), &due), 0);
    check_day(due, "2025-05-03", "reply after ack");
    assert_int_equal(deadline_reply_max(&p, cal, filed, day_of("2025-02-03"), &due), 0);
    check_day(due, "2025-08-03", "max after ack");

    /* Acknowledged on the filing day itself. */
    assert_int_equal(deadline_reply_due(&p, cal, filed, filed, &due), 0);
    check_day(due, "2025-04-30", "reply after same-day ack"); /* Jan 31 + 3 months, clamped */

    /* Not acknowledged yet: from the acknowledgement due day. */
    assert_int_equal(deadline_reply_due(&p, cal, filed, DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-05-07", "reply before ack");
    assert_int_equal(deadline_reply_max(&p, cal, filed, DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-08-07", "max before ack");

    /* Acknowledged late: still from the acknowledgement due day. */
    assert_int_equal(deadline_reply_due(&p, cal, filed, day_of("2025-02-20"), &due), 0);
    check_day(due, "2025-05-07", "reply after late ack");

    /* Month-end clamping: acknowledged Nov 30, reply due Feb 28, maximum May 30. */
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-11-23"), day_of("2025-11-30"), &due),
                     0);
    check_day(due, "2026-02-28", "reply clamped");
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-11-23"), day_of("2025-11-30"), &due),
                     0);
    check_day(due, "2026-05-30", "max clamped");
}

static void test_bad_days(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_policy p;
    int64_t due = 77;

    assert_int_equal(deadline_policy_from_preset("eu-directive", &p), 0);
    /* Acknowledged before it was filed. */
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-01-31"), day_of("2025-01-30"), &due),
                     ERR_INVALID);
    assert_int_equal(deadline_reply_due(&p, cal, -5, DEADLINE_DAY_NONE, &due), ERR_INVALID);
    assert_int_equal(deadline_reply_max(&p, cal, WORKDAYS_DAY_MAX + 1, DEADLINE_DAY_NONE, &due),
                     ERR_INVALID);
    assert_int_equal(deadline_ack_due(&p, cal, -1, &due), ERR_INVALID);
    /* Past the end of the calendar. */
    assert_int_equal(deadline_reply_due(&p, cal, day_of("9999-11-01"), DEADLINE_DAY_NONE, &due),
                     ERR_INVALID);
    assert_int_equal(due, 77);
}

static void test_extension_state_dept(void **state)
{
    const struct workdays_calendar *cal = *state;
    int64_t filed = day_of("2025-07-03");
    int64_t due = day_of("2025-08-15");
    int64_t max = day_of("2025-09-29");
    struct deadline_policy p;
    char err[160] = "";

    assert_int_equal(deadline_policy_from_preset("state-dept", &p), 0);
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, due, due + 3, err, sizeof(err)),
        0);
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, due, max, err, sizeof(err)), 0);

    /* One day past the maximum. */
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, due, max + 1, err, sizeof(err)),
        ERR_INVALID);
    assert_non_null(strstr(err, "past the maximum 2025-09-29"));

    /* Not later than the current due day. */
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, due, due, err, sizeof(err)),
        ERR_INVALID);
    assert_non_null(strstr(err, "later than 2025-08-15"));
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, due, due - 1, NULL, 0),
        ERR_INVALID);

    /* A second extension after a first one. */
    assert_int_equal(deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE,
                                              day_of("2025-09-01"), day_of("2025-09-15"), err,
                                              sizeof(err)),
                     0);
    assert_int_equal(deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE,
                                              day_of("2025-09-15"), day_of("2025-09-10"), err,
                                              sizeof(err)),
                     ERR_INVALID);

    /* Out-of-range days. */
    assert_int_equal(
        deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE, -10, -2, err, sizeof(err)),
        ERR_INVALID);
}

static void test_extension_eu(void **state)
{
    const struct workdays_calendar *cal = *state;
    int64_t filed = day_of("2025-01-31");
    int64_t acked = day_of("2025-02-03");
    struct deadline_policy p;
    char err[160] = "";

    assert_int_equal(deadline_policy_from_preset("eu-directive", &p), 0);
    /* the preset allows none: the maximum is the due date itself */
    assert_int_equal(deadline_extension_check(&p, cal, filed, acked, day_of("2025-05-03"),
                                              day_of("2025-05-04"), err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "2025-05-03"));
    /* an external channel's six months (Art. 11), configured */
    p.reply_max = (struct deadline_span){DEADLINE_UNIT_MONTHS, 6};
    assert_int_equal(deadline_extension_check(&p, cal, filed, acked, day_of("2025-05-03"),
                                              day_of("2025-08-03"), err, sizeof(err)),
                     0);
    assert_int_equal(deadline_extension_check(&p, cal, filed, acked, day_of("2025-05-03"),
                                              day_of("2025-08-04"), err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "2025-08-03"));
    /* Without an acknowledgement the limit counts from the acknowledgement due day. */
    assert_int_equal(deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE,
                                              day_of("2025-05-07"), day_of("2025-08-07"), err,
                                              sizeof(err)),
                     0);
    assert_int_equal(deadline_extension_check(&p, cal, filed, DEADLINE_DAY_NONE,
                                              day_of("2025-05-07"), day_of("2025-08-08"), err,
                                              sizeof(err)),
                     ERR_INVALID);
}

static void test_overrides(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_policy p;
    int64_t due = -1;

    /* State Department clock, but replies counted from the acknowledgement. */
    assert_int_equal(deadline_policy_from_preset("state-dept", &p), 0);
    p.ack.count = 5;
    p.reply.count = 10;
    p.reply_max.count = 20;
    p.reply_from = DEADLINE_BASE_ACK;
    assert_int_equal(deadline_policy_check(&p, NULL, 0), 0);
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-07-03"), &due), 0);
    check_day(due, "2025-07-11", "ack 5");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), day_of("2025-07-07"), &due),
                     0);
    check_day(due, "2025-07-21", "reply 10 from ack");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-07-25", "reply 10 from ack due");
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-07-03"), day_of("2025-07-07"), &due),
                     0);
    check_day(due, "2025-08-04", "max 20 from ack");

    /* Mixed units: reply in calendar days from filing, maximum in months. */
    p.ack = (struct deadline_span){DEADLINE_UNIT_CALENDAR_DAYS, 0};
    p.reply = (struct deadline_span){DEADLINE_UNIT_CALENDAR_DAYS, 45};
    p.reply_max = (struct deadline_span){DEADLINE_UNIT_MONTHS, 1};
    p.reply_from = DEADLINE_BASE_FILING;
    assert_int_equal(deadline_policy_check(&p, NULL, 0), 0);
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-07-03"), &due), 0);
    check_day(due, "2025-07-03", "ack 0");
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-08-17", "reply 45 days");
    /* One month would end before the reply is due: the maximum never undercuts it. */
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due), 0);
    check_day(due, "2025-08-17", "max clamped to the due day");
}

static void test_policy_check(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_policy good, p;
    char err[160] = "";
    int64_t due = 77;

    assert_int_equal(deadline_policy_from_preset("state-dept", &good), 0);

    p = good;
    p.ack.count = -1;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "ack"));
    assert_int_equal(deadline_ack_due(&p, cal, day_of("2025-07-03"), &due), ERR_INVALID);

    p = good;
    p.reply.count = DEADLINE_WORKING_DAYS_MAX + 1;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "reply"));
    assert_int_equal(deadline_reply_due(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due),
                     ERR_INVALID);

    p = good;
    p.reply_max.count = 29;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "reply_max"));

    p = good;
    p.reply_max.unit = (enum deadline_unit)99;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    assert_int_equal(deadline_reply_max(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE, &due),
                     ERR_INVALID);

    p = good;
    p.reply_from = (enum deadline_base)7;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    assert_int_equal(deadline_extension_check(&p, cal, day_of("2025-07-03"), DEADLINE_DAY_NONE,
                                              day_of("2025-08-15"), day_of("2025-08-20"), err,
                                              sizeof(err)),
                     ERR_INVALID);

    p = good;
    p.ack = (struct deadline_span){DEADLINE_UNIT_MONTHS, DEADLINE_MONTHS_MAX + 1};
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), ERR_INVALID);
    p.ack.count = DEADLINE_MONTHS_MAX;
    assert_int_equal(deadline_policy_check(&p, err, sizeof(err)), 0);
    assert_int_equal(due, 77);
}

static void test_span_apply(void **state)
{
    const struct workdays_calendar *cal = *state;
    struct deadline_span s;
    int64_t out = -1;

    s = (struct deadline_span){DEADLINE_UNIT_WORKING_DAYS, 0};
    assert_int_equal(deadline_span_apply(&s, cal, day_of("2025-07-05"), &out), 0);
    check_day(out, "2025-07-05", "zero working days");
    s = (struct deadline_span){DEADLINE_UNIT_WORKING_DAYS, 1};
    assert_int_equal(deadline_span_apply(&s, cal, day_of("2025-07-03"), &out), 0);
    check_day(out, "2025-07-07", "one working day");
    s = (struct deadline_span){DEADLINE_UNIT_CALENDAR_DAYS, 1};
    assert_int_equal(deadline_span_apply(&s, cal, day_of("2025-07-03"), &out), 0);
    check_day(out, "2025-07-04", "one calendar day");
    s = (struct deadline_span){DEADLINE_UNIT_MONTHS, 1};
    assert_int_equal(deadline_span_apply(&s, cal, day_of("2024-01-31"), &out), 0);
    check_day(out, "2024-02-29", "one month");
    s = (struct deadline_span){DEADLINE_UNIT_MONTHS, -1};
    assert_int_equal(deadline_span_apply(&s, cal, day_of("2024-01-31"), &out), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_preset_unknown),
        cmocka_unit_test(test_state_dept),
        cmocka_unit_test(test_state_dept_closures),
        cmocka_unit_test(test_eu_directive),
        cmocka_unit_test(test_bad_days),
        cmocka_unit_test(test_extension_state_dept),
        cmocka_unit_test(test_extension_eu),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_policy_check),
        cmocka_unit_test(test_span_apply),
    };

    return cmocka_run_group_tests(tests, setup_calendar, teardown_calendar);
}
