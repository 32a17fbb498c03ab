/*
 * test_holidays.c - the calendar files' rule language (core/holidays.h): every shipped calendar
 * against the holidays its jurisdiction published for given years, Easter, the weekend rules,
 * every refusal with its line, a calendar file of one's own, and working days over such a
 * calendar, stepped day by day across the set-up's cached years and beyond.
 */
#include "testutil.h"

#include "core/holidays.h"
#include "core/workdays.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t day_of(const char *iso)
{
    int64_t d = -1;
    assert_int_equal(workdays_day_parse(iso, &d), 0);
    return d;
}

/* The holidays of @id in @year, as "YYYY-MM-DD Name" lines joined by ", ". */
static void year_of(const char *id, int year, char *out, size_t size)
{
    struct holidays h;
    struct holidays_day d[HOLIDAYS_YEAR_MAX];
    char err[256], iso[WORKDAYS_ISO_SIZE];
    size_t n, used = 0;

    assert_int_equal(holidays_named(id, &h, err, sizeof(err)), 0);
    n = holidays_year(&h, year, d);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(workdays_day_format(d[i].day, iso, sizeof(iso)), 0);
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", iso);
        assert_true(used < size);
    }
}

static void check_year(const char *id, int year, const char *want)
{
    char got[2048];

    year_of(id, year, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s %d:\n got  %s\n want %s", id, year, got, want);
}

/* The shipped calendars against their jurisdictions' published lists. */
static void shipped_calendars(void **state)
{
    (void)state;
    /* OPM's 2025 and 2027 tables (New Year's Day 2028 on a Saturday: 2027-12-31) */
    check_year("us-federal", 2025,
               "2025-01-01, 2025-01-20, 2025-02-17, 2025-05-26, 2025-06-19, 2025-07-04, "
               "2025-09-01, 2025-10-13, 2025-11-11, 2025-11-27, 2025-12-25");
    check_year("us-federal", 2027,
               "2027-01-01, 2027-01-18, 2027-02-15, 2027-05-31, 2027-06-18, 2027-07-05, "
               "2027-09-06, 2027-10-11, 2027-11-11, 2027-11-25, 2027-12-24, 2027-12-31");
    /* Ireland: St Brigid's Day the first Monday (2025, 2026) or 1 February on a Friday (2030);
     * the fixed days on a weekend on the next free weekday: 2022's New Year's Day (Saturday) on
     * Monday 3 January, 2027's Christmas (Saturday) and St Stephen's (Sunday) on 27 and 28 */
    check_year("ie", 2025,
               "2025-01-01, 2025-02-03, 2025-03-17, 2025-04-21, 2025-05-05, 2025-06-02, "
               "2025-08-04, 2025-10-27, 2025-12-25, 2025-12-26");
    check_year("ie", 2026,
               "2026-01-01, 2026-02-02, 2026-03-17, 2026-04-06, 2026-05-04, 2026-06-01, "
               "2026-08-03, 2026-10-26, 2026-12-25, 2026-12-28");
    check_year("ie", 2027,
               "2027-01-01, 2027-02-01, 2027-03-17, 2027-03-29, 2027-05-03, 2027-06-07, "
               "2027-08-02, 2027-10-25, 2027-12-27, 2027-12-28");
    check_year("ie", 2030,
               "2030-01-01, 2030-02-01, 2030-03-18, 2030-04-22, 2030-05-06, 2030-06-03, "
               "2030-08-05, 2030-10-28, 2030-12-25, 2030-12-26");
    check_year("ie", 2022,
               "2022-01-03, 2022-03-17, 2022-04-18, 2022-05-02, 2022-06-06, 2022-08-01, "
               "2022-10-31, 2022-12-26, 2022-12-27");
    /* Germany 2025: Good Friday 18 April, Easter Monday 21, Ascension 29 May, Whit Monday 9 June */
    check_year("de", 2025,
               "2025-01-01, 2025-04-18, 2025-04-21, 2025-05-01, 2025-05-29, 2025-06-09, "
               "2025-10-03, 2025-12-25, 2025-12-26");
    /* France 2026: weekend days stay holidays (1 November, a Sunday) */
    check_year("fr", 2026,
               "2026-01-01, 2026-04-06, 2026-05-01, 2026-05-08, 2026-05-14, 2026-05-25, "
               "2026-07-14, 2026-08-15, 2026-11-01, 2026-11-11, 2026-12-25");
    /* the Netherlands 2025: King's Day on Saturday the 26th (the 27th a Sunday) */
    check_year("nl", 2025,
               "2025-01-01, 2025-04-21, 2025-04-26, 2025-05-05, 2025-05-29, 2025-06-09, "
               "2025-12-25, 2025-12-26");
    check_year("nl", 2026,
               "2026-01-01, 2026-04-06, 2026-04-27, 2026-05-05, 2026-05-14, 2026-05-25, "
               "2026-12-25, 2026-12-26");
}

static void easter(void **state)
{
    static const char *const known[] = {"2008-03-23", "2024-03-31", "2025-04-20", "2026-04-05",
                                        "2038-04-25", "2285-03-22", "1970-03-29", "9999-03-28"};
    char iso[WORKDAYS_ISO_SIZE];

    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        int year = atoi(known[i]);
        assert_int_equal(workdays_day_format(holidays_easter(year), iso, sizeof(iso)), 0);
        assert_string_equal(iso, known[i]);
    }
}

/* Every refusal names its line and what is wrong. */
static void refusals(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"01-01 | No title |\n", "title:"},
        {"title: T\n13-01 | Month 13 |\n", "line 2: WHEN"},
        {"title: T\n02-30 | No such day |\n", "line 2: WHEN"},
        {"title: T\n01 mon#6 | Sixth Monday |\n", "line 2: WHEN"},
        {"title: T\n01 xyz#1 | No weekday |\n", "line 2: WHEN"},
        {"title: T\neaster+101 | Too far |\n", "line 2: WHEN"},
        {"title: T\n02-01 if fri | No else |\n", "line 2: WHEN"},
        {"title: T\n01-01\n", "line 2: a rule is"},
        {"title: T\n01-01 |  |\n", "line 2: NAME"},
        {"title: T\n# a comment\n01-01 | N | sat=+8\n", "line 3: OPTIONS"},
        {"title: T\n01-01 | N | colour=red\n", "line 2: OPTIONS"},
        {"title: T\n01-01 | N | from=2030 until=2020\n", "line 2: until"},
        {"title: T\n01-01 | N | weekend=next sun=+1\n", "line 2: weekend=next"},
        {"title: T\n01-01 | N |\nsource: late\n", "line 3: a header"},
        {"title:\n", "line 1: a header"},
        {"title: T\n\xff\n", "UTF-8"},
        {"title: T\n+1-25 | Signed month |\n", "line 2: WHEN"},
        {"title: T\neaster+ 1 | Spaced |\n", "line 2: WHEN"},
        {"title: T\n01-01 | N | from=+2000\n", "line 2: OPTIONS"},
    };
    struct holidays h;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(holidays_parse(bad[i].text, strlen(bad[i].text), &h, err, sizeof(err)),
                         ERR_INVALID);
        if (strstr(err, bad[i].want) == NULL)
            fail_msg("%zu: %s: want \"%s\"", i, err, bad[i].want);
    }
    {
        char many[4096];
        size_t used = (size_t)snprintf(many, sizeof(many), "title: T\n");
        for (int k = 0; k <= HOLIDAYS_RULES_MAX; k++)
            used +=
                (size_t)snprintf(many + used, sizeof(many) - used, "easter+%d | D%d |\n", k + 1, k);
        assert_int_equal(holidays_parse(many, used, &h, err, sizeof(err)), ERR_INVALID);
        assert_non_null(strstr(err, "at most"));
    }
    assert_int_equal(holidays_named("xx", &h, err, sizeof(err)), ERR_NOT_FOUND);
    assert_non_null(strstr(err, "us-federal"));
    assert_non_null(strstr(holidays_ids(), "nl"));
}

/* A calendar file of one's own: read from its path, and its rules applied. */
static void own_file(void **state)
{
    static const char text[] = "title: Somewhere\n"
                               "# the first Monday of March, only from 2026\n"
                               "03 mon#1 | Founders' Day | from=2026\n"
                               "05-01 | Labour Day | sun=+1 sat=+2\n"
                               "09 fri#last | Last Friday |\n";
    char dir[] = "/tmp/dissent-holidays-XXXXXX", path[128], err[256];
    struct holidays h;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/somewhere.cal", dir);
    assert_int_equal(holidays_load(path, &h, err, sizeof(err)), ERR_NOT_FOUND);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    assert_int_equal(holidays_load(path, &h, err, sizeof(err)), 0);
    assert_string_equal(h.id, "somewhere.cal");
    assert_string_equal(h.title, "Somewhere");
    assert_int_equal(h.n, 3);
    {
        struct holidays_day d[HOLIDAYS_YEAR_MAX];
        /* 2025: no Founders' Day; 1 May a Thursday; last Friday of September the 26th */
        assert_int_equal(holidays_year(&h, 2025, d), 2);
        assert_int_equal(d[0].day, day_of("2025-05-01"));
        assert_int_equal(d[1].day, day_of("2025-09-26"));
        assert_string_equal(d[1].name, "Last Friday");
        /* 2027: 1 March a Monday; 1 May a Saturday, observed Monday 3 May */
        assert_int_equal(holidays_year(&h, 2027, d), 3);
        assert_int_equal(d[0].day, day_of("2027-03-01"));
        assert_int_equal(d[1].day, day_of("2027-05-03"));
    }
    unlink(path);
    rmdir(dir);
}

/* Working days over a shipped calendar: the counts and sums agree with stepping day by day,
 * across the years the set-up caches (to 2100) and past them. */
static void working_days(void **state)
{
    static const char *const ids[] = {"ie", "de", "nl"};
    struct workdays_calendar cal;
    struct holidays h;
    char err[256];

    (void)state;
    for (size_t c = 0; c < sizeof(ids) / sizeof(ids[0]); c++) {
        int64_t from[] = {day_of("2025-03-01"), day_of("2098-06-01")};
        assert_int_equal(holidays_named(ids[c], &h, err, sizeof(err)), 0);
        assert_int_equal(workdays_calendar_init_with(&cal, &h, false, NULL, 0), 0);
        for (size_t k = 0; k < 2; k++) {
            int64_t stepped = 0, got = 0, out = 0;
            for (int64_t d = from[k] + 1; d <= from[k] + 1600; d++) {
                if (workdays_calendar_is_working(&cal, d))
                    stepped++;
                assert_int_equal(workdays_calendar_count(&cal, from[k], d, &got), 0);
                assert_int_equal(got, stepped);
            }
            assert_int_equal(workdays_calendar_add(&cal, from[k], stepped, &out), 0);
            assert_int_equal(workdays_calendar_count(&cal, from[k], out, &got), 0);
            assert_int_equal(got, stepped);
        }
        workdays_calendar_release(&cal);
    }
    /* Germany 2025: Good Friday and Easter Monday are no working days, the Thursday is */
    assert_int_equal(holidays_named("de", &h, err, sizeof(err)), 0);
    assert_int_equal(workdays_calendar_init_with(&cal, &h, false, NULL, 0), 0);
    assert_true(workdays_calendar_is_working(&cal, day_of("2025-04-17")));
    assert_false(workdays_calendar_is_working(&cal, day_of("2025-04-18")));
    assert_false(workdays_calendar_is_working(&cal, day_of("2025-04-21")));
    {
        int64_t out = 0;
        assert_int_equal(workdays_calendar_add(&cal, day_of("2025-04-17"), 2, &out), 0);
        assert_int_equal(out, day_of("2025-04-23"));
    }
    workdays_calendar_release(&cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shipped_calendars), cmocka_unit_test(easter),
        cmocka_unit_test(refusals),          cmocka_unit_test(own_file),
        cmocka_unit_test(working_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
