/*
 * test_workdays.c - civil dates, federal holidays, working-day arithmetic, closures, time zone.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/workdays.h"
#include "util/err.h"

/* The day number of a literal ISO date; fails the test on a bad literal. */
static int64_t day_of(const char *iso)
{
    int64_t day = -1;

    assert_int_equal(workdays_day_parse(iso, &day), 0);
    return day;
}

/* One observed holiday as OPM publishes it. */
struct holiday_row {
    const char *date; /* observed day, YYYY-MM-DD */
    int wday;         /* its day of the week */
    const char *name; /* the holiday observed */
};

/* One year's observed holidays, in date order. */
struct holiday_year {
    int year;
    size_t n;
    struct holiday_row rows[WORKDAYS_HOLIDAYS_MAX];
};

#define NY "New Year's Day"
#define MLK "Birthday of Martin Luther King, Jr."
#define WASH "Washington's Birthday"
#define MEM "Memorial Day"
#define JUNE "Juneteenth National Independence Day"
#define IND "Independence Day"
#define LAB "Labor Day"
#define COL "Columbus Day"
#define VET "Veterans Day"
#define THX "Thanksgiving Day"
#define XMAS "Christmas Day"

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

/*
 * The observed federal holidays of 2020-2030 as OPM's holiday tables list them (Inauguration Day
 * excluded), written out by hand: shifted days are the Friday before or the Monday after, and a
 * Saturday January 1 moves into the previous December (2022 and 2028 have no New Year's Day of
 * their own; 2021 and 2027 have two).
 */
static const struct holiday_year opm[] = {
    {2020,
     10,
     {{"2020-01-01", WED, NY},
      {"2020-01-20", MON, MLK},
      {"2020-02-17", MON, WASH},
      {"2020-05-25", MON, MEM},
      {"2020-07-03", FRI, IND},
      {"2020-09-07", MON, LAB},
      {"2020-10-12", MON, COL},
      {"2020-11-11", WED, VET},
      {"2020-11-26", THU, THX},
      {"2020-12-25", FRI, XMAS}}},
    {2021,
     12,
     {{"2021-01-01", FRI, NY},
      {"2021-01-18", MON, MLK},
      {"2021-02-15", MON, WASH},
      {"2021-05-31", MON, MEM},
      {"2021-06-18", FRI, JUNE},
      {"2021-07-05", MON, IND},
      {"2021-09-06", MON, LAB},
      {"2021-10-11", MON, COL},
      {"2021-11-11", THU, VET},
      {"2021-11-25", THU, THX},
      {"2021-12-24", FRI, XMAS},
      {"2021-12-31", FRI, NY}}},
    {2022,
     10,
     {{"2022-01-17", MON, MLK},
      {"2022-02-21", MON, WASH},
      {"2022-05-30", MON, MEM},
      {"2022-06-20", MON, JUNE},
      {"2022-07-04", MON, IND},
      {"2022-09-05", MON, LAB},
      {"2022-10-10", MON, COL},
      {"2022-11-11", FRI, VET},
      {"2022-11-24", THU, THX},
      {"2022-12-26", MON, XMAS}}},
    {2023,
     11,
     {{"2023-01-02", MON, NY},
      {"2023-01-16", MON, MLK},
      {"2023-02-20", MON, WASH},
      {"2023-05-29", MON, MEM},
      {"2023-06-19", MON, JUNE},
      {"2023-07-04", TUE, IND},
      {"2023-09-04", MON, LAB},
      {"2023-10-09", MON, COL},
      {"2023-11-10", FRI, VET},
      {"2023-11-23", THU, THX},
      {"2023-12-25", MON, XMAS}}},
    {2024,
     11,
     {{"2024-01-01", MON, NY},
      {"2024-01-15", MON, MLK},
      {"2024-02-19", MON, WASH},
      {"2024-05-27", MON, MEM},
      {"2024-06-19", WED, JUNE},
      {"2024-07-04", THU, IND},
      {"2024-09-02", MON, LAB},
      {"2024-10-14", MON, COL},
      {"2024-11-11", MON, VET},
      {"2024-11-28", THU, THX},
      {"2024-12-25", WED, XMAS}}},
    {2025,
     11,
     {{"2025-01-01", WED, NY},
      {"2025-01-20", MON, MLK},
      {"2025-02-17", MON, WASH},
      {"2025-05-26", MON, MEM},
      {"2025-06-19", THU, JUNE},
      {"2025-07-04", FRI, IND},
      {"2025-09-01", MON, LAB},
      {"2025-10-13", MON, COL},
      {"2025-11-11", TUE, VET},
      {"2025-11-27", THU, THX},
      {"2025-12-25", THU, XMAS}}},
    {2026,
     11,
     {{"2026-01-01", THU, NY},
      {"2026-01-19", MON, MLK},
      {"2026-02-16", MON, WASH},
      {"2026-05-25", MON, MEM},
      {"2026-06-19", FRI, JUNE},
      {"2026-07-03", FRI, IND},
      {"2026-09-07", MON, LAB},
      {"2026-10-12", MON, COL},
      {"2026-11-11", WED, VET},
      {"2026-11-26", THU, THX},
      {"2026-12-25", FRI, XMAS}}},
    {2027,
     12,
     {{"2027-01-01", FRI, NY},
      {"2027-01-18", MON, MLK},
      {"2027-02-15", MON, WASH},
      {"2027-05-31", MON, MEM},
      {"2027-06-18", FRI, JUNE},
      {"2027-07-05", MON, IND},
      {"2027-09-06", MON, LAB},
      {"2027-10-11", MON, COL},
      {"2027-11-11", THU, VET},
      {"2027-11-25", THU, THX},
      {"2027-12-24", FRI, XMAS},
      {"2027-12-31", FRI, NY}}},
    {2028,
     10,
     {{"2028-01-17", MON, MLK},
      {"2028-02-21", MON, WASH},
      {"2028-05-29", MON, MEM},
      {"2028-06-19", MON, JUNE},
      {"2028-07-04", TUE, IND},
      {"2028-09-04", MON, LAB},
      {"2028-10-09", MON, COL},
      {"2028-11-10", FRI, VET},
      {"2028-11-23", THU, THX},
      {"2028-12-25", MON, XMAS}}},
    {2029,
     11,
     {{"2029-01-01", MON, NY},
      {"2029-01-15", MON, MLK},
      {"2029-02-19", MON, WASH},
      {"2029-05-28", MON, MEM},
      {"2029-06-19", TUE, JUNE},
      {"2029-07-04", WED, IND},
      {"2029-09-03", MON, LAB},
      {"2029-10-08", MON, COL},
      {"2029-11-12", MON, VET},
      {"2029-11-22", THU, THX},
      {"2029-12-25", TUE, XMAS}}},
    {2030,
     11,
     {{"2030-01-01", TUE, NY},
      {"2030-01-21", MON, MLK},
      {"2030-02-18", MON, WASH},
      {"2030-05-27", MON, MEM},
      {"2030-06-19", WED, JUNE},
      {"2030-07-04", THU, IND},
      {"2030-09-02", MON, LAB},
      {"2030-10-14", MON, COL},
      {"2030-11-11", MON, VET},
      {"2030-11-28", THU, THX},
      {"2030-12-25", WED, XMAS}}},
};

static void test_day_anchors(void **state)
{
    int64_t day = -1;
    int y = 0, m = 0, d = 0;

    assert_int_equal(workdays_day_from_date(1970, 1, 1, &day), 0);
    assert_int_equal(day, 0);
    assert_int_equal(workdays_day_from_date(2000, 2, 29, &day), 0);
    assert_int_equal(day, 11016);
    assert_int_equal(workdays_day_from_date(2024, 12, 31, &day), 0);
    assert_int_equal(day, 20088);
    assert_int_equal(workdays_day_from_date(2025, 7, 4, &day), 0);
    assert_int_equal(day, 20273);
    assert_int_equal(workdays_day_from_date(9999, 12, 31, &day), 0);
    assert_int_equal(day, WORKDAYS_DAY_MAX);

    assert_int_equal(workdays_day_to_date(20273, &y, &m, &d), 0);
    assert_int_equal(y, 2025);
    assert_int_equal(m, 7);
    assert_int_equal(d, 4);
    assert_int_equal(workdays_day_to_date(WORKDAYS_DAY_MAX, &y, &m, &d), 0);
    assert_int_equal(y, 9999);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);

    assert_int_equal(workdays_day_weekday(0), WORKDAYS_THURSDAY);
    assert_int_equal(workdays_day_weekday(20273), WORKDAYS_FRIDAY);
    assert_int_equal(workdays_day_weekday(11016), WORKDAYS_TUESDAY);
    assert_int_equal(workdays_day_weekday(-1), WORKDAYS_WEDNESDAY);
    assert_int_equal(workdays_day_weekday(-7), WORKDAYS_THURSDAY);
}

static void test_day_rejects(void **state)
{
    int64_t day = 42;
    int y = 7, m = 7, d = 7;

    assert_int_equal(workdays_day_from_date(1969, 12, 31, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(10000, 1, 1, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2025, 2, 29, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2100, 2, 29, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2024, 2, 30, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2025, 4, 31, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2025, 13, 1, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2025, 0, 1, &day), ERR_INVALID);
    assert_int_equal(workdays_day_from_date(2025, 1, 0, &day), ERR_INVALID);
    assert_int_equal(day, 42);
    assert_int_equal(workdays_day_from_date(2000, 2, 29, &day), 0);

    assert_int_equal(workdays_day_to_date(-1, &y, &m, &d), ERR_INVALID);
    assert_int_equal(workdays_day_to_date(WORKDAYS_DAY_MAX + 1, &y, &m, &d), ERR_INVALID);
    assert_int_equal(workdays_day_to_date(INT64_MIN, &y, &m, &d), ERR_INVALID);
    assert_int_equal(y, 7);
}

/* Every valid day converts to a date one day after the previous day's, and back. */
static void test_day_every_day(void **state)
{
    int py = 1969, pm = 12, pd = 31;
    int64_t day, back;
    int y, m, d;

    for (day = WORKDAYS_DAY_MIN; day <= WORKDAYS_DAY_MAX; day++) {
        assert_int_equal(workdays_day_to_date(day, &y, &m, &d), 0);
        if (d == pd + 1) {
            assert_int_equal(y, py);
            assert_int_equal(m, pm);
        } else {
            assert_int_equal(d, 1);
            assert_true(pd >= 28);
            if (m == 1) {
                assert_int_equal(pm, 12);
                assert_int_equal(y, py + 1);
            } else {
                assert_int_equal(m, pm + 1);
                assert_int_equal(y, py);
            }
        }
        if (m == 2 && d == 29)
            assert_true((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
        assert_int_equal(workdays_day_from_date(y, m, d, &back), 0);
        assert_int_equal(back, day);
        py = y;
        pm = m;
        pd = d;
    }
    assert_int_equal(py, 9999);
}

static void test_day_parse(void **state)
{
    static const char *const bad[] = {
        "2025-02-30",   "2025-2-3",    "20250203",   "2025-02-03x",
        "2025-02-03 ",  " 2025-02-03", "2025-02-3",  "2025/02/03",
        "1969-12-31",   "2023-02-29",  "",           "2025-13-01",
        "2025-00-10",   "2025-01-00",  "+025-02-03", "2025-0a-03",
        "2025-02-03\n", "10000-01-01", "2025--2-03", "2025-02-+3",
    };
    int64_t day = 99;
    size_t i;

    assert_int_equal(workdays_day_parse("2025-02-03", &day), 0);
    assert_int_equal(day, 20122);
    assert_int_equal(workdays_day_parse("2024-02-29", &day), 0);
    assert_int_equal(workdays_day_parse("1970-01-01", &day), 0);
    assert_int_equal(day, 0);
    assert_int_equal(workdays_day_parse("9999-12-31", &day), 0);
    assert_int_equal(day, WORKDAYS_DAY_MAX);

    day = 99;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (workdays_day_parse(bad[i], &day) != ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(workdays_day_parse(NULL, &day), ERR_INVALID);
    assert_int_equal(day, 99);
}

static void test_day_format(void **state)
{
    char buf[WORKDAYS_ISO_SIZE];
    char small[10] = "xxxxxxxxx";
    int64_t day;

    assert_int_equal(workdays_day_format(20273, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2025-07-04");
    assert_int_equal(workdays_day_format(0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1970-01-01");
    assert_int_equal(workdays_day_format(WORKDAYS_DAY_MAX, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "9999-12-31");
    assert_int_equal(workdays_day_format(20273, small, sizeof(small)), ERR_TOO_LARGE);
    assert_string_equal(small, "");
    assert_int_equal(workdays_day_format(-1, buf, sizeof(buf)), ERR_INVALID);
    assert_string_equal(buf, "");

    for (day = 0; day <= WORKDAYS_DAY_MAX; day += 997) {
        int64_t back = -1;

        assert_int_equal(workdays_day_format(day, buf, sizeof(buf)), 0);
        assert_int_equal(workdays_day_parse(buf, &back), 0);
        assert_int_equal(back, day);
    }
}

static void test_add_days(void **state)
{
    int64_t out = 7;

    assert_int_equal(workdays_day_add_days(day_of("2025-02-27"), 2, &out), 0);
    assert_int_equal(out, day_of("2025-03-01"));
    assert_int_equal(workdays_day_add_days(day_of("2024-02-27"), 2, &out), 0);
    assert_int_equal(out, day_of("2024-02-29"));
    assert_int_equal(workdays_day_add_days(day_of("2025-01-01"), -1, &out), 0);
    assert_int_equal(out, day_of("2024-12-31"));
    assert_int_equal(workdays_day_add_days(day_of("2025-01-31"), 7, &out), 0);
    assert_int_equal(out, day_of("2025-02-07"));

    out = 7;
    assert_int_equal(workdays_day_add_days(0, -1, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_days(WORKDAYS_DAY_MAX, 1, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_days(0, INT64_MAX, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_days(WORKDAYS_DAY_MAX, INT64_MIN, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_days(-5, 10, &out), ERR_INVALID);
    assert_int_equal(out, 7);
}

static void test_add_months(void **state)
{
    static const struct {
        const char *from;
        int n;
        const char *to;
    } cases[] = {
        {"2025-01-31", 1, "2025-02-28"},   {"2024-01-31", 1, "2024-02-29"},
        {"2025-03-31", -1, "2025-02-28"},  {"2025-08-31", 1, "2025-09-30"},
        {"2025-12-15", 1, "2026-01-15"},   {"2025-11-30", 3, "2026-02-28"},
        {"2024-02-29", 12, "2025-02-28"},  {"2025-02-07", 3, "2025-05-07"},
        {"2025-02-07", 6, "2025-08-07"},   {"2025-05-31", 6, "2025-11-30"},
        {"2025-01-15", -13, "2023-12-15"}, {"2025-01-15", 0, "2025-01-15"},
        {"2000-01-31", 1, "2000-02-29"},   {"2100-01-31", 1, "2100-02-28"},
    };
    int64_t out = 7;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(workdays_day_add_months(day_of(cases[i].from), cases[i].n, &out), 0);
        if (out != day_of(cases[i].to))
            fail_msg("%s %+d months", cases[i].from, cases[i].n);
    }
    out = 7;
    assert_int_equal(workdays_day_add_months(day_of("9999-12-01"), 1, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_months(day_of("1970-01-31"), -1, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_months(0, 2147483647, &out), ERR_INVALID);
    assert_int_equal(workdays_day_add_months(-1, 1, &out), ERR_INVALID);
    assert_int_equal(out, 7);
}

/* Inauguration Day, 5 U.S.C. 6103(c): the 20th of January every fourth year after 1965, the
 * 21st when the 20th is a Sunday, none on a Saturday; one day off when it is also MLK Day. */
static void test_inauguration_day(void **state)
{
    struct workdays_calendar both, fed, inaug, none;
    int64_t day = 0, n = -1, closure;

    (void)state;
    assert_int_equal(workdays_inauguration_day(2029, &day), ERR_NOT_FOUND); /* a Saturday */
    assert_int_equal(workdays_inauguration_day(2033, &day), 0);
    assert_int_equal(day, day_of("2033-01-20")); /* a Thursday */
    assert_int_equal(workdays_inauguration_day(2037, &day), 0);
    assert_int_equal(day, day_of("2037-01-20")); /* a Tuesday */
    assert_int_equal(workdays_inauguration_day(2041, &day), 0);
    assert_int_equal(day, day_of("2041-01-21")); /* the 20th is a Sunday */
    assert_int_equal(workdays_inauguration_day(2030, &day), ERR_NOT_FOUND);
    assert_int_equal(workdays_inauguration_day(1969 - 4, &day), ERR_INVALID);

    closure = day_of("2033-01-20");
    assert_int_equal(
        workdays_calendar_init(&both, WORKDAYS_FEDERAL | WORKDAYS_INAUGURATION, &closure, 1), 0);
    assert_int_equal(workdays_calendar_init(&fed, WORKDAYS_FEDERAL, NULL, 0), 0);
    assert_int_equal(workdays_calendar_init(&inaug, WORKDAYS_INAUGURATION, NULL, 0), 0);
    assert_int_equal(workdays_calendar_init(&none, 0, NULL, 0), 0);
    assert_false(workdays_calendar_is_working(&inaug, day_of("2033-01-20")));
    assert_true(workdays_calendar_is_working(&fed, day_of("2033-01-20")));
    assert_true(workdays_calendar_is_working(&inaug, day_of("2029-01-19"))); /* no Friday off */
    assert_false(workdays_calendar_is_working(&inaug, day_of("2041-01-21")));
    /* a Wednesday filing, two working days: Friday, or Monday past Inauguration Day */
    assert_int_equal(workdays_calendar_add(&fed, day_of("2033-01-19"), 2, &day), 0);
    assert_int_equal(day, day_of("2033-01-21"));
    assert_int_equal(workdays_calendar_add(&none, day_of("2033-01-19"), 2, &day), 0);
    assert_int_equal(day, day_of("2033-01-21"));
    assert_int_equal(workdays_calendar_add(&inaug, day_of("2033-01-19"), 2, &day), 0);
    assert_int_equal(day, day_of("2033-01-24"));
    /* counted once when a closure or MLK Day falls on it too */
    assert_int_equal(workdays_calendar_count(&both, day_of("2033-01-19"), day_of("2033-01-21"), &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(workdays_calendar_count(&both, day_of("2025-01-17"), day_of("2025-01-21"), &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(
        workdays_calendar_count(&inaug, day_of("2025-01-17"), day_of("2025-01-21"), &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(workdays_calendar_count(&none, day_of("2025-01-17"), day_of("2025-01-21"), &n),
                     0);
    assert_int_equal(n, 2);
    /* and the count agrees with stepping, across four inaugurations */
    assert_int_equal(workdays_calendar_count(&both, day_of("2028-12-01"), day_of("2041-02-01"), &n),
                     0);
    assert_int_equal(workdays_calendar_add(&both, day_of("2028-12-01"), n, &day), 0);
    assert_true(day <= day_of("2041-02-01") && workdays_calendar_is_working(&both, day));
    workdays_calendar_release(&both);
    workdays_calendar_release(&fed);
    workdays_calendar_release(&inaug);
    workdays_calendar_release(&none);
}

static void test_federal_holidays_2020_2030(void **state)
{
    size_t i, j, n;

    assert_int_equal(sizeof(opm) / sizeof(opm[0]), 11);
    for (i = 0; i < sizeof(opm) / sizeof(opm[0]); i++) {
        const struct holiday_year *hy = &opm[i];
        int64_t list[WORKDAYS_HOLIDAYS_MAX];
        int64_t first, last, day;
        size_t seen = 0;

        assert_int_equal(hy->year, 2020 + (int)i);

        /* The published list, entry by entry: date, weekday, name. */
        assert_int_equal(workdays_holiday_list(hy->year, list, &n), 0);
        if (n != hy->n)
            fail_msg("%d: %zu holidays, expected %zu", hy->year, n, hy->n);
        for (j = 0; j < hy->n; j++) {
            const char *name = NULL;

            day = day_of(hy->rows[j].date);
            if (list[j] != day)
                fail_msg("%d: holiday %zu is not %s", hy->year, j, hy->rows[j].date);
            assert_int_equal(workdays_day_weekday(day), hy->rows[j].wday);
            if (!workdays_holiday_is_federal(day, &name))
                fail_msg("%s is not a holiday", hy->rows[j].date);
            assert_non_null(name);
            assert_string_equal(name, hy->rows[j].name);
        }

        /* Every day of the year: a holiday exactly when it is in the table. */
        assert_int_equal(workdays_day_from_date(hy->year, 1, 1, &first), 0);
        assert_int_equal(workdays_day_from_date(hy->year, 12, 31, &last), 0);
        for (day = first; day <= last; day++) {
            const char *name = "untouched";
            bool listed = false;
            bool is;

            for (j = 0; j < hy->n; j++)
                listed = listed || day_of(hy->rows[j].date) == day;
            is = workdays_holiday_is_federal(day, &name);
            if (is != listed) {
                char iso[WORKDAYS_ISO_SIZE];

                workdays_day_format(day, iso, sizeof(iso));
                fail_msg("%s: holiday %d, table %d", iso, is, listed);
            }
            if (!is)
                assert_string_equal(name, "untouched");
            seen += is;
        }
        assert_int_equal(seen, hy->n);
    }
}

static void test_holiday_edges(void **state)
{
    int64_t list[WORKDAYS_HOLIDAYS_MAX];
    size_t n = 5;

    /* Actual dates that are only observed on another day, and Juneteenth before 2021. */
    assert_false(workdays_holiday_is_federal(day_of("2022-01-01"), NULL));
    assert_false(workdays_holiday_is_federal(day_of("2021-07-04"), NULL));
    assert_false(workdays_holiday_is_federal(day_of("2020-06-19"), NULL));
    assert_false(workdays_holiday_is_federal(day_of("2021-01-20"), NULL)); /* Inauguration */
    assert_false(workdays_holiday_is_federal(-1, NULL));
    assert_false(workdays_holiday_is_federal(WORKDAYS_DAY_MAX + 1, NULL));
    assert_true(workdays_holiday_is_federal(day_of("2021-06-18"), NULL));

    assert_int_equal(workdays_holiday_list(1969, list, &n), ERR_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(workdays_holiday_list(10000, list, &n), ERR_INVALID);
    assert_int_equal(workdays_holiday_list(9999, list, &n), 0);
    assert_int_equal(workdays_holiday_list(1970, list, &n), 0);
    assert_int_equal(n, 10);
}

static void test_calendar_is_working(void **state)
{
    const int64_t closures[] = {day_of("2025-12-24"), day_of("2025-12-26")};
    struct workdays_calendar fed, plain;

    assert_int_equal(workdays_calendar_init(&fed, true, closures, 2), 0);
    assert_int_equal(workdays_calendar_init(&plain, false, NULL, 0), 0);

    assert_true(workdays_calendar_is_working(&fed, day_of("2025-07-03")));
    assert_false(workdays_calendar_is_working(&fed, day_of("2025-07-04")));
    assert_true(workdays_calendar_is_working(&plain, day_of("2025-07-04")));
    assert_false(workdays_calendar_is_working(&fed, day_of("2025-07-05")));
    assert_false(workdays_calendar_is_working(&plain, day_of("2025-07-06")));
    assert_false(workdays_calendar_is_working(&fed, day_of("2025-12-24")));
    assert_true(workdays_calendar_is_working(&plain, day_of("2025-12-24")));
    assert_false(workdays_calendar_is_working(&fed, day_of("2025-12-25")));
    assert_false(workdays_calendar_is_working(&fed, day_of("2025-12-26")));
    assert_true(workdays_calendar_is_working(&fed, day_of("2025-12-29")));
    assert_false(workdays_calendar_is_working(&fed, -1));

    workdays_calendar_release(&fed);
    assert_null(fed.closures);
    assert_true(workdays_calendar_is_working(&fed, day_of("2025-12-24")));
    workdays_calendar_release(&fed);
    workdays_calendar_release(&plain);
    workdays_calendar_release(NULL);
}

static void test_calendar_init(void **state)
{
    const int64_t messy[] = {day_of("2025-12-26"), day_of("2025-06-09"), day_of("2025-12-26"),
                             day_of("2025-06-09"), day_of("2025-01-02")};
    const int64_t bad[] = {day_of("2025-06-09"), -3};
    int64_t *many;
    struct workdays_calendar cal;
    size_t i;

    assert_int_equal(workdays_calendar_init(&cal, true, messy, 5), 0);
    assert_true(cal.hol != NULL);
    assert_int_equal(cal.nclosures, 3);
    assert_int_equal(cal.closures[0], day_of("2025-01-02"));
    assert_int_equal(cal.closures[1], day_of("2025-06-09"));
    assert_int_equal(cal.closures[2], day_of("2025-12-26"));
    workdays_calendar_release(&cal);

    assert_int_equal(workdays_calendar_init(&cal, true, bad, 2), ERR_INVALID);
    assert_true(cal.hol == NULL);
    assert_null(cal.closures);
    assert_int_equal(cal.nclosures, 0);
    workdays_calendar_release(&cal);

    many = calloc(WORKDAYS_CLOSURES_MAX + 1, sizeof(*many));
    assert_non_null(many);
    for (i = 0; i <= WORKDAYS_CLOSURES_MAX; i++)
        many[i] = 30000 + (int64_t)i; /* 2052-02-20 onwards */
    assert_int_equal(workdays_calendar_init(&cal, true, many, WORKDAYS_CLOSURES_MAX + 1),
                     ERR_TOO_LARGE);
    assert_int_equal(workdays_calendar_init(&cal, true, many, WORKDAYS_CLOSURES_MAX), 0);
    assert_int_equal(cal.nclosures, WORKDAYS_CLOSURES_MAX);
    free(many);                                              /* the calendar holds its own copy */
    assert_false(workdays_calendar_is_working(&cal, 30994)); /* Tue 2054-11-10, closed */
    assert_false(workdays_calendar_is_working(&cal, 30000)); /* Tue 2052-02-20, closed */
    assert_true(workdays_calendar_is_working(&cal, day_of("2025-06-09")));
    workdays_calendar_release(&cal);
}

/* Adds @n working days to @from and checks the result is @to. */
static void check_add(const struct workdays_calendar *cal, const char *from, int64_t n,
                      const char *to)
{
    int64_t out = -1;

    assert_int_equal(workdays_calendar_add(cal, day_of(from), n, &out), 0);
    if (out != day_of(to)) {
        char got[WORKDAYS_ISO_SIZE];

        workdays_day_format(out, got, sizeof(got));
        fail_msg("%s %+lld working days: got %s, expected %s", from, (long long)n, got, to);
    }
}

static void test_add_across_weekend(void **state)
{
    struct workdays_calendar cal;
    int64_t out = 7;

    assert_int_equal(workdays_calendar_init(&cal, true, NULL, 0), 0);
    check_add(&cal, "2025-06-06", 2, "2025-06-10");  /* Fri + 2 = Tue */
    check_add(&cal, "2025-06-06", 1, "2025-06-09");  /* Fri + 1 = Mon */
    check_add(&cal, "2025-06-07", 1, "2025-06-09");  /* Sat + 1 = Mon */
    check_add(&cal, "2025-06-08", 2, "2025-06-10");  /* Sun + 2 = Tue */
    check_add(&cal, "2025-06-09", 5, "2025-06-16");  /* Mon + 5 = next Mon */
    check_add(&cal, "2025-06-07", 0, "2025-06-07");  /* zero: unchanged */
    check_add(&cal, "2025-06-09", -1, "2025-06-06"); /* Mon - 1 = Fri */
    check_add(&cal, "2025-06-10", -2, "2025-06-06");
    assert_int_equal(workdays_calendar_add(&cal, 0, -1, &out), ERR_INVALID);
    assert_int_equal(workdays_calendar_add(&cal, WORKDAYS_DAY_MAX, 1, &out), ERR_INVALID);
    assert_int_equal(workdays_calendar_add(&cal, -1, 1, &out), ERR_INVALID);
    assert_int_equal(out, 7);
    workdays_calendar_release(&cal);
}

static void test_add_across_holiday(void **state)
{
    struct workdays_calendar fed, plain;

    assert_int_equal(workdays_calendar_init(&fed, true, NULL, 0), 0);
    assert_int_equal(workdays_calendar_init(&plain, false, NULL, 0), 0);
    check_add(&fed, "2025-07-03", 2, "2025-07-08"); /* Thu; Fri Jul 4 is a holiday */
    check_add(&plain, "2025-07-03", 2, "2025-07-07");
    check_add(&fed, "2025-07-08", -2, "2025-07-03");
    check_add(&fed, "2021-12-23", 1, "2021-12-27"); /* Christmas observed Fri Dec 24 */
    check_add(&fed, "2021-12-23", 4, "2021-12-30");
    check_add(&fed, "2021-12-23", 5, "2022-01-03"); /* New Year observed Fri Dec 31 */
    check_add(&fed, "2025-11-26", 1, "2025-11-28"); /* over Thanksgiving */
    check_add(&fed, "2025-01-17", 1, "2025-01-21"); /* over MLK Day */
    check_add(&fed, "2025-07-03", 30, "2025-08-15");
    check_add(&fed, "2025-07-03", 60, "2025-09-29");
    workdays_calendar_release(&fed);
    workdays_calendar_release(&plain);
}

static void test_add_across_closure(void **state)
{
    /* A Monday closure, one on a Saturday and one on a holiday (both change nothing). */
    const int64_t closures[] = {day_of("2025-06-09"), day_of("2025-06-14"), day_of("2025-07-04")};
    struct workdays_calendar cal;

    assert_int_equal(workdays_calendar_init(&cal, true, closures, 3), 0);
    check_add(&cal, "2025-06-06", 2, "2025-06-11"); /* Fri; Mon closed: Tue, Wed */
    check_add(&cal, "2025-06-06", 1, "2025-06-10");
    check_add(&cal, "2025-06-12", 2, "2025-06-16"); /* the Saturday closure is moot */
    check_add(&cal, "2025-07-03", 2, "2025-07-08");
    check_add(&cal, "2025-06-10", -1, "2025-06-06");
    workdays_calendar_release(&cal);
}

/* Counts from @from to @to and checks the result is @n. */
static void check_count(const struct workdays_calendar *cal, const char *from, const char *to,
                        int64_t n);

/* Runtime closed days join the configured ones; a new snapshot replaces the old one whole. */
static void test_runtime_closures(void **state)
{
    const int64_t config[] = {day_of("2025-06-09")};
    /* a duplicate of the configured closure, a Saturday, a Monday twice, a Wednesday */
    const int64_t runtime[] = {day_of("2025-06-09"), day_of("2025-06-14"), day_of("2025-06-16"),
                               day_of("2025-06-16"), day_of("2025-06-18")};
    struct workdays_calendar cal;
    int64_t big[WORKDAYS_RUNTIME_MAX + 1];

    (void)state;
    assert_int_equal(workdays_calendar_init(&cal, true, config, 1), 0);
    assert_int_equal(workdays_calendar_stop_from(&cal), -1);
    check_count(&cal, "2025-06-06", "2025-06-20", 8); /* Juneteenth on the 19th */
    assert_int_equal(workdays_calendar_set_runtime(&cal, runtime, 5, day_of("2025-07-01")), 0);
    assert_int_equal(workdays_calendar_stop_from(&cal), day_of("2025-07-01"));
    assert_false(workdays_calendar_is_working(&cal, day_of("2025-06-16")));
    assert_false(workdays_calendar_is_working(&cal, day_of("2025-06-18")));
    assert_true(workdays_calendar_is_working(&cal, day_of("2025-06-17")));
    assert_true(workdays_calendar_is_runtime_closed(&cal, day_of("2025-06-16")));
    assert_false(workdays_calendar_is_runtime_closed(&cal, day_of("2025-06-17")));
    /* the open stop's days stay working days for the arithmetic */
    assert_true(workdays_calendar_is_working(&cal, day_of("2025-07-01")));
    /* a day closed twice (configured and at runtime) is taken away once */
    check_count(&cal, "2025-06-06", "2025-06-20", 6);
    check_count(&cal, "2025-06-20", "2025-06-06", -6);
    check_add(&cal, "2025-06-13", 2, "2025-06-20"); /* Fri; Mon and Wed closed: Tue, Fri */
    check_add(&cal, "2025-06-20", -2, "2025-06-13");
    /* the same days again publish nothing: nothing is retired */
    assert_int_equal(workdays_calendar_set_runtime(&cal, runtime, 5, day_of("2025-07-01")), 0);
    assert_null(cal.retired);
    /* a new snapshot replaces the whole set */
    assert_int_equal(workdays_calendar_set_runtime(&cal, &runtime[4], 1, -1), 0);
    assert_true(workdays_calendar_is_working(&cal, day_of("2025-06-16")));
    assert_false(workdays_calendar_is_working(&cal, day_of("2025-06-18")));
    assert_int_equal(workdays_calendar_stop_from(&cal), -1);
    check_count(&cal, "2025-06-06", "2025-06-20", 7);
    /* bad input changes nothing */
    for (size_t i = 0; i < WORKDAYS_RUNTIME_MAX + 1; i++)
        big[i] = day_of("2025-06-16");
    assert_int_equal(workdays_calendar_set_runtime(&cal, big, WORKDAYS_RUNTIME_MAX + 1, -1),
                     ERR_TOO_LARGE);
    big[0] = WORKDAYS_DAY_MAX + 1;
    assert_int_equal(workdays_calendar_set_runtime(&cal, big, 1, -1), ERR_INVALID);
    assert_int_equal(workdays_calendar_set_runtime(&cal, NULL, 0, -5), ERR_INVALID);
    check_count(&cal, "2025-06-06", "2025-06-20", 7);
    assert_int_equal(workdays_calendar_set_runtime(&cal, NULL, 0, -1), 0);
    check_count(&cal, "2025-06-06", "2025-06-20", 8);
    workdays_calendar_release(&cal);
}

static void check_count(const struct workdays_calendar *cal, const char *from, const char *to,
                        int64_t n)
{
    int64_t out = 12345;

    assert_int_equal(workdays_calendar_count(cal, day_of(from), day_of(to), &out), 0);
    if (out != n)
        fail_msg("%s..%s: %lld working days, expected %lld", from, to, (long long)out,
                 (long long)n);
}

static void test_count_between(void **state)
{
    const int64_t closures[] = {day_of("2025-06-09")};
    struct workdays_calendar cal;
    int64_t out = 5;

    assert_int_equal(workdays_calendar_init(&cal, true, closures, 1), 0);
    check_count(&cal, "2025-07-03", "2025-07-08", 2);
    check_count(&cal, "2025-07-08", "2025-07-03", -2);
    check_count(&cal, "2025-07-03", "2025-07-03", 0);
    check_count(&cal, "2025-07-04", "2025-07-05", 0);  /* holiday to Saturday */
    check_count(&cal, "2025-07-05", "2025-07-07", 1);  /* Saturday to Monday */
    check_count(&cal, "2025-07-07", "2025-07-05", -1); /* overdue by one working day */
    check_count(&cal, "2025-06-06", "2025-06-11", 2);  /* over the closure */
    check_count(&cal, "2025-06-11", "2025-06-06", -2);
    /* 2025: 260 weekdays after Jan 1, 10 holidays after Jan 1, one closure. */
    check_count(&cal, "2025-01-01", "2025-12-31", 249);
    check_count(&cal, "2025-12-31", "2025-01-01", -249);
    check_count(&cal, "2021-12-23", "2022-01-03", 5);
    assert_int_equal(workdays_calendar_count(&cal, -1, 5, &out), ERR_INVALID);
    assert_int_equal(workdays_calendar_count(&cal, 5, WORKDAYS_DAY_MAX + 1, &out), ERR_INVALID);
    assert_int_equal(out, 5);
    assert_int_equal(workdays_calendar_count(&cal, 0, WORKDAYS_DAY_MAX, &out), 0);
    assert_true(out > 2000000 && out < 2100000);
    workdays_calendar_release(&cal);
}

/* The fast count agrees with day-by-day counting, and add and count invert each other. */
static void test_count_matches_naive(void **state)
{
    const int64_t closures[] = {day_of("2024-12-30"), day_of("2025-06-09"), day_of("2025-06-14"),
                                day_of("2025-07-04"), day_of("2026-03-03"), day_of("2027-12-30")};
    struct workdays_calendar cals[2];
    unsigned seed = 12345;
    int64_t start = day_of("2019-12-01");
    int c, k;

    assert_int_equal(workdays_calendar_init(&cals[0], true, closures, 6), 0);
    assert_int_equal(workdays_calendar_init(&cals[1], false, closures, 6), 0);
    for (c = 0; c < 2; c++) {
        for (k = 0; k < 2000; k++) {
            int64_t a, b, d, naive = 0, fast = 0, end = -1;

            seed = seed * 1103515245u + 12345u;
            a = start + (seed >> 8) % 4200;
            seed = seed * 1103515245u + 12345u;
            b = a + (seed >> 8) % 800;
            for (d = a + 1; d <= b; d++)
                naive += workdays_calendar_is_working(&cals[c], d);
            assert_int_equal(workdays_calendar_count(&cals[c], a, b, &fast), 0);
            assert_int_equal(fast, naive);
            assert_int_equal(workdays_calendar_count(&cals[c], b, a, &fast), 0);
            assert_int_equal(fast, -naive);
            if (naive > 0) {
                assert_int_equal(workdays_calendar_add(&cals[c], a, naive, &end), 0);
                assert_true(end <= b);
                assert_true(workdays_calendar_is_working(&cals[c], end));
                assert_int_equal(workdays_calendar_count(&cals[c], a, end, &fast), 0);
                assert_int_equal(fast, naive);
            }
        }
    }
    workdays_calendar_release(&cals[0]);
    workdays_calendar_release(&cals[1]);
}

static void test_closures_parse(void **state)
{
    char err[160] = "";
    int64_t dummy = 0;
    int64_t *days = &dummy; /* must be overwritten */
    size_t n = 9;

    assert_int_equal(workdays_closures_parse(" 2025-12-24 ,2025-12-26\t,\n2025-01-02", &days, &n,
                                             err, sizeof(err)),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(days[0], day_of("2025-12-24"));
    assert_int_equal(days[1], day_of("2025-12-26"));
    assert_int_equal(days[2], day_of("2025-01-02"));
    free(days);

    assert_int_equal(workdays_closures_parse("2025-06-09", &days, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(days[0], day_of("2025-06-09"));
    free(days);

    assert_int_equal(workdays_closures_parse("", &days, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(days);
    assert_int_equal(workdays_closures_parse("  \t ", &days, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(days);

    assert_int_equal(
        workdays_closures_parse("2025-12-24, 2025-02-30 ,2025-12-26", &days, &n, err, sizeof(err)),
        ERR_INVALID);
    assert_null(days);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "item 2"));
    assert_non_null(strstr(err, "\"2025-02-30\""));

    assert_int_equal(workdays_closures_parse("2025-12-24,,2025-12-26", &days, &n, err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "item 2 is empty"));
    assert_int_equal(workdays_closures_parse("2025-12-24,", &days, &n, err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "item 2 is empty"));
    assert_int_equal(workdays_closures_parse("2025-12-24 2025-12-26", &days, &n, err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "item 1"));
    assert_int_equal(workdays_closures_parse("2025-1-2", &days, &n, NULL, 0), ERR_INVALID);
    assert_int_equal(workdays_closures_parse("2025-01-02,christmas-eve-and-the-whole-week-after",
                                             &days, &n, err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "item 2 \"christmas-eve-and-the-whole-week..."));
    assert_null(days);
}

static void test_closures_parse_cap(void **state)
{
    const size_t item = 12; /* "YYYY-MM-DD, " */
    char *s = malloc((WORKDAYS_CLOSURES_MAX + 1) * item + 1);
    char err[160] = "";
    int64_t *days = NULL;
    size_t i, n = 0, len = 0;

    assert_non_null(s);
    for (i = 0; i < WORKDAYS_CLOSURES_MAX; i++) {
        assert_int_equal(workdays_day_format(20000 + (int64_t)i, s + len, 11), 0);
        len += 10;
        if (i + 1 < WORKDAYS_CLOSURES_MAX) {
            memcpy(s + len, ", ", 3);
            len += 2;
        }
    }
    assert_int_equal(workdays_closures_parse(s, &days, &n, err, sizeof(err)), 0);
    assert_int_equal(n, WORKDAYS_CLOSURES_MAX);
    assert_int_equal(days[999], 20999);
    free(days);

    memcpy(s + len, ",2025-01-02", 12);
    assert_int_equal(workdays_closures_parse(s, &days, &n, err, sizeof(err)), ERR_TOO_LARGE);
    assert_null(days);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "at most 1000"));
    free(s);
}

static void test_tz_validate(void **state)
{
    static const char *const malformed[] = {
        "../etc/passwd",
        "/etc/passwd",
        "",
        "America/New York",
        "America//New_York",
        "America/New_York/",
        "-UTC",
        "America/../UTC",
        "UTC;rm",
        ":UTC",
        "zone.tab",
    };
    char err[200] = "";
    char longname[WORKDAYS_TZ_NAME_MAX + 2];
    size_t i;

    assert_int_equal(workdays_tz_validate("America/New_York", err, sizeof(err)), 0);
    assert_int_equal(workdays_tz_validate("UTC", err, sizeof(err)), 0);
    assert_int_equal(workdays_tz_validate("Europe/Berlin", NULL, 0), 0);
    assert_int_equal(workdays_tz_validate("Etc/GMT+5", NULL, 0), 0);

    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        if (workdays_tz_validate(malformed[i], err, sizeof(err)) != ERR_INVALID)
            fail_msg("accepted \"%s\"", malformed[i]);
    }
    assert_int_equal(workdays_tz_validate(NULL, err, sizeof(err)), ERR_INVALID);
    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(workdays_tz_validate(longname, err, sizeof(err)), ERR_INVALID);

    assert_int_equal(workdays_tz_validate("Not/AZone", err, sizeof(err)), ERR_NOT_FOUND);
    assert_non_null(strstr(err, "Not/AZone"));
    assert_int_equal(workdays_tz_validate("America", err, sizeof(err)), ERR_NOT_FOUND);
}

/* Sets the zone and checks the local days of some unix times against literal dates. */
static void check_local_day(int64_t t, const char *iso)
{
    int64_t day = -1;

    assert_int_equal(workdays_day_from_unix(t, &day), 0);
    if (day != day_of(iso))
        fail_msg("%lld in TZ=%s is not %s", (long long)t, getenv("TZ"), iso);
}

static void test_tz_local_day(void **state)
{
    char err[200] = "";

    assert_int_equal(workdays_tz_set("America/New_York", err, sizeof(err)), 0);
    assert_string_equal(getenv("TZ"), "America/New_York");
    check_local_day(1751601599, "2025-07-03"); /* 2025-07-04T03:59:59Z = 23:59:59 EDT */
    check_local_day(1751601600, "2025-07-04"); /* 2025-07-04T04:00:00Z = 00:00:00 EDT */
    check_local_day(1736917199, "2025-01-14"); /* 2025-01-15T04:59:59Z = 23:59:59 EST */
    check_local_day(1736917200, "2025-01-15"); /* 2025-01-15T05:00:00Z = 00:00:00 EST */

    assert_int_equal(workdays_tz_set("Not/AZone", err, sizeof(err)), ERR_NOT_FOUND);
    assert_int_equal(workdays_tz_set("../etc/passwd", err, sizeof(err)), ERR_INVALID);
    assert_string_equal(getenv("TZ"), "America/New_York");
    check_local_day(1751601599, "2025-07-03");

    assert_int_equal(workdays_tz_set("Asia/Tokyo", err, sizeof(err)), 0);
    check_local_day(1751554799, "2025-07-03"); /* 2025-07-03T14:59:59Z = 23:59:59 JST */
    check_local_day(1751554800, "2025-07-04"); /* 2025-07-03T15:00:00Z = 00:00:00 JST */

    assert_int_equal(workdays_tz_set("UTC", err, sizeof(err)), 0);
    check_local_day(1751601599, "2025-07-04");
    check_local_day(0, "1970-01-01");
    check_local_day(86399, "1970-01-01");
    check_local_day(86400, "1970-01-02");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_anchors),
        cmocka_unit_test(test_day_rejects),
        cmocka_unit_test(test_day_every_day),
        cmocka_unit_test(test_day_parse),
        cmocka_unit_test(test_day_format),
        cmocka_unit_test(test_add_days),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_federal_holidays_2020_2030),
        cmocka_unit_test(test_inauguration_day),
        cmocka_unit_test(test_holiday_edges),
        cmocka_unit_test(test_calendar_is_working),
        cmocka_unit_test(test_calendar_init),
        cmocka_unit_test(test_add_across_weekend),
        cmocka_unit_test(test_add_across_holiday),
        cmocka_unit_test(test_add_across_closure),
        cmocka_unit_test(test_count_between),
        cmocka_unit_test(test_count_matches_naive),
        cmocka_unit_test(test_closures_parse),
        cmocka_unit_test(test_closures_parse_cap),
        cmocka_unit_test(test_tz_validate),
        cmocka_unit_test(test_runtime_closures),
        cmocka_unit_test(test_tz_local_day),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
