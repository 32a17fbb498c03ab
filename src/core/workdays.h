/*
 * workdays.h - civil dates, the working-day calendar and its arithmetic (pure, apart from the
 * organisation's time zone). A calendar's holidays come from a jurisdiction's rules
 * (core/holidays.h, the files of calendars/); the US federal ones are also asked directly.
 *
 * A "day" is a day number: days since 1970-01-01 in the proleptic Gregorian calendar, as int64_t.
 * Only days from 1970-01-01 (WORKDAYS_DAY_MIN) to 9999-12-31 (WORKDAYS_DAY_MAX) are valid; every
 * function checks its days and results against that range and answers ERR_INVALID outside it.
 *
 * Working days: Saturday and Sunday never are; neither are the calendar's holidays (its rules'
 * observed days), nor any configured closure day. The US federal calendar (calendars/
 * us-federal.cal, WORKDAYS_FEDERAL) holds the observed US federal holidays (5 U.S.C. 6103, with
 * the observed-day shifts OPM publishes:
 * a holiday on a Saturday is observed on the Friday before, one on a Sunday on the Monday after;
 * New Year's Day on a Saturday is therefore observed on December 31 of the previous year); and
 * neither is any configured closure day.
 *
 * The holidays are New Year's Day (Jan 1), Birthday of Martin Luther King, Jr. (3rd Monday of
 * January), Washington's Birthday (3rd Monday of February), Memorial Day (last Monday of May),
 * Juneteenth National Independence Day (June 19, from 2021 on), Independence Day (July 4),
 * Labor Day (1st Monday of September), Columbus Day (2nd Monday of October), Veterans Day
 * (November 11), Thanksgiving Day (4th Thursday of November) and Christmas Day (December 25).
 * Inauguration Day is a separate switch (WORKDAYS_INAUGURATION): January 20 of every fourth year
 * after 1965 (2029, 2033, ...), a holiday for federal employees in the Washington, DC area
 * (5 U.S.C. 6103(c)); on a Sunday it moves to Monday the 21st, on a Saturday there is none (no
 * in-lieu day, as OPM applies it); when it is also Martin Luther King Jr. Day it is one day off,
 * not two. The current rules
 * are applied to every year; the history before them (no MLK Day before 1986, Veterans Day in
 * October 1971-1977) is not modelled, since the calendar serves present and future deadlines.
 */
#ifndef DISSENT_CORE_WORKDAYS_H
#define DISSENT_CORE_WORKDAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first valid day number: 1970-01-01. */
#define WORKDAYS_DAY_MIN INT64_C(0)
/* The last valid day number: 9999-12-31. */
#define WORKDAYS_DAY_MAX INT64_C(2932896)
/* Bytes needed for an ISO date "YYYY-MM-DD" and its NUL. */
#define WORKDAYS_ISO_SIZE 11
/* Most observed federal holidays one calendar year can hold (11 rules + next New Year's Dec 31). */
#define WORKDAYS_HOLIDAYS_MAX 12
/* Most closure days a calendar (and a closures list in the configuration) may hold. */
#define WORKDAYS_CLOSURES_MAX 1000
/* Longest accepted IANA time zone name, in bytes. */
#define WORKDAYS_TZ_NAME_MAX 128

/* Days of the week, numbered as struct tm's tm_wday. */
enum workdays_weekday {
    WORKDAYS_SUNDAY = 0,
    WORKDAYS_MONDAY = 1,
    WORKDAYS_TUESDAY = 2,
    WORKDAYS_WEDNESDAY = 3,
    WORKDAYS_THURSDAY = 4,
    WORKDAYS_FRIDAY = 5,
    WORKDAYS_SATURDAY = 6,
};

/*
 * An organisation's working-day calendar. Set it up with workdays_calendar_init() and give it
 * back with workdays_calendar_release(); the fields are read-only for everyone else. Once set up
 * only its runtime closures change (workdays_calendar_set_runtime(), one writer at a time): they
 * are an immutable snapshot published atomically, so any number of threads may read the calendar
 * at once, and each reading function sees one snapshot throughout.
 */
/* Most runtime closed days a calendar may hold (closures and the days of ended clock stops). */
#define WORKDAYS_RUNTIME_MAX 10000
/* What a calendar's holidays are (workdays_calendar_init()). */
#define WORKDAYS_FEDERAL 1u      /* the observed US federal holidays (calendars/us-federal.cal) */
#define WORKDAYS_INAUGURATION 2u /* Inauguration Day (5 U.S.C. 6103(c)) */

struct holidays;
struct workdays_runtime; /* a snapshot of the runtime closures (workdays.c) */

struct workdays_calendar {
    struct holidays *hol; /* the holiday rules (core/holidays.h); owned (a copy); NULL: none */
    bool inauguration;    /* Inauguration Day is not a working day either */
    /* the weekdays the holidays close in the years 1970-2100, ascending, worked out at set-up
     * (later years are worked out when asked); owned */
    int64_t *holidays;
    size_t nholidays;
    int64_t *closures; /* closure days, sorted ascending, no duplicates; owned (a copy) */
    size_t nclosures;  /* number of entries in @closures */
    /* the closed days set at runtime (core/calendar.h); NULL: none. Read with an atomic load */
    const struct workdays_runtime *_Atomic runtime;
    struct workdays_runtime *retired; /* snapshots replaced since, freed at release (readers may
                                         still hold one; they are few: one per calendar change) */
    /* the calendar whose runtime closed days this one reads instead of its own (a channel's
     * own holidays over the deployment's runtime closures and clock stops, core/channels.h);
     * NULL: its own. It must outlive this one; workdays_calendar_set_runtime() refuses a
     * calendar that shares another's */
    const struct workdays_calendar *shares;
};

/**
 * workdays_day_from_date() - the day number of a civil date.
 * @year: 1970..9999.
 * @month: 1..12.
 * @mday: 1..the month's length (February 29 only in leap years).
 * @day: out: the day number.
 *
 * Returns 0, or ERR_INVALID for a date that does not exist or lies outside the valid range
 * (then *@day is unchanged). Thread safe.
 */
int workdays_day_from_date(int year, int month, int mday, int64_t *day);

/**
 * workdays_day_to_date() - the civil date of a day number.
 * @day: WORKDAYS_DAY_MIN..WORKDAYS_DAY_MAX.
 * @year: out: 1970..9999.
 * @month: out: 1..12.
 * @mday: out: 1..31.
 *
 * Returns 0, or ERR_INVALID when @day is out of range (then the outputs are unchanged).
 * Thread safe.
 */
int workdays_day_to_date(int64_t day, int *year, int *month, int *mday);

/**
 * workdays_day_weekday() - the day of the week of @day (any int64_t), an enum workdays_weekday.
 * Thread safe.
 */
int workdays_day_weekday(int64_t day);

/**
 * workdays_day_parse() - parse a strict ISO date "YYYY-MM-DD".
 * @s: NUL-terminated; exactly ten characters, four-digit year 1970..9999, two-digit month and
 *     day, hyphens between, nothing before or after (no whitespace either).
 * @day: out: the day number.
 *
 * Returns 0, or ERR_INVALID for any other form or a date that does not exist (then *@day is
 * unchanged). Thread safe.
 */
int workdays_day_parse(const char *s, int64_t *day);

/**
 * workdays_day_format() - write @day as "YYYY-MM-DD" into @buf.
 * @day: a valid day number.
 * @buf: destination of @len bytes; WORKDAYS_ISO_SIZE is enough.
 * @len: size of @buf.
 *
 * Returns 0, ERR_INVALID when @day is out of range, or ERR_TOO_LARGE when @len is below
 * WORKDAYS_ISO_SIZE (in both cases @buf holds "" when @len > 0). Thread safe.
 */
int workdays_day_format(int64_t day, char *buf, size_t len);

/**
 * workdays_day_add_days() - @day plus @n calendar days (@n may be negative).
 *
 * Returns 0 and sets *@out, or ERR_INVALID when @day or the result is out of range (then *@out
 * is unchanged). Thread safe.
 */
int workdays_day_add_days(int64_t day, int64_t n, int64_t *out);

/**
 * workdays_day_add_months() - @day plus @n calendar months (@n may be negative).
 *
 * The day of the month is kept, clamped to the last day of the target month: 2025-01-31 plus one
 * month is 2025-02-28, 2024-01-31 plus one month is 2024-02-29.
 * Returns 0 and sets *@out, or ERR_INVALID when @day or the result is out of range (then *@out
 * is unchanged). Thread safe.
 */
int workdays_day_add_months(int64_t day, int n, int64_t *out);

/**
 * workdays_holiday_is_federal() - whether @day is an observed US federal holiday.
 * @day: any day number; days outside the valid range are never holidays.
 * @name: optional out (may be NULL): the holiday's official name, a static string, set only when
 *        the answer is true. For a shifted day it is the holiday observed ("Independence Day" on
 *        Friday 2026-07-03; "New Year's Day" on Friday 2021-12-31).
 *
 * Observed days always fall on Monday..Friday. Thread safe.
 */
bool workdays_holiday_is_federal(int64_t day, const char **name);

/**
 * workdays_holiday_list() - the observed US federal holidays falling within calendar year @year.
 * @year: 1970..9999.
 * @days: out: WORKDAYS_HOLIDAYS_MAX entries, filled in ascending order.
 * @n: out: how many were filled (10 to 12: a year loses New Year's Day when January 1 is a
 *     Saturday, and gains the next one's when the next January 1 is).
 *
 * Returns 0, or ERR_INVALID when @year is out of range (then *@n is 0). Thread safe.
 */
int workdays_holiday_list(int year, int64_t days[WORKDAYS_HOLIDAYS_MAX], size_t *n);

/**
 * workdays_calendar_init() - set up @cal.
 * @cal: the calendar to fill; its previous contents are ignored (not freed).
 * @holidays: WORKDAYS_FEDERAL and/or WORKDAYS_INAUGURATION (0: weekends and closures only).
 * @closures: the organisation's closure days in any order, duplicates allowed; may be NULL when
 *            @nclosures is 0. The array is copied (sorted, without duplicates): the caller keeps
 *            ownership of @closures and may free it at once.
 * @nclosures: entries in @closures, at most WORKDAYS_CLOSURES_MAX.
 *
 * Returns 0; ERR_INVALID for a closure day out of range; ERR_TOO_LARGE for more than
 * WORKDAYS_CLOSURES_MAX closures; ERR_NOMEM. On failure @cal is left empty (no closures, no
 * federal holidays) and workdays_calendar_release() on it is harmless.
 */
int workdays_calendar_init(struct workdays_calendar *cal, unsigned holidays,
                           const int64_t *closures, size_t nclosures);

/**
 * workdays_calendar_init_with() - as workdays_calendar_init(), with the holidays of @hol (a
 * parsed calendar, copied; NULL for none) and Inauguration Day when @inauguration.
 */
int workdays_calendar_init_with(struct workdays_calendar *cal, const struct holidays *hol,
                                bool inauguration, const int64_t *closures, size_t nclosures);

/**
 * workdays_calendar_set_runtime() - replace @cal's runtime closed days by @days (any order,
 * duplicates allowed, copied) and its open clock stop by @stop_from (the first day of a clock
 * stop not ended yet, or -1). Readers see the old snapshot or the new one, never a mix; the same
 * days as the current snapshot publish nothing (so that only real changes are retired). One
 * writer at a time (the caller serialises). Returns 0, ERR_INVALID (a day out of range),
 * ERR_TOO_LARGE (more than WORKDAYS_RUNTIME_MAX) or ERR_NOMEM; @cal is unchanged then.
 */
int workdays_calendar_set_runtime(struct workdays_calendar *cal, const int64_t *days, size_t n,
                                  int64_t stop_from);

/**
 * workdays_calendar_stop_from() - the first day of the open clock stop, or -1 when there is none.
 * The days of an open stop stay working days for the arithmetic: the deadlines they touch are
 * moved when it ends, once its length is known (core/calendar.h).
 */
int64_t workdays_calendar_stop_from(const struct workdays_calendar *cal);

/**
 * workdays_calendar_is_runtime_closed() - whether @day is one of the runtime closed days.
 */
bool workdays_calendar_is_runtime_closed(const struct workdays_calendar *cal, int64_t day);

/**
 * workdays_inauguration_day() - the Inauguration Day holiday of @year (its day number in *@day),
 * or ERR_NOT_FOUND when @year has none (not a fourth year after 1965, or January 20 is a
 * Saturday); ERR_INVALID outside the valid years. Thread safe.
 */
int workdays_inauguration_day(int year, int64_t *day);

/**
 * workdays_calendar_release() - free what @cal owns and leave it empty (weekends only).
 * @cal: may be NULL (then nothing happens). Releasing twice is harmless.
 */
void workdays_calendar_release(struct workdays_calendar *cal);

/**
 * workdays_calendar_is_working() - whether @day is a working day in @cal: Monday..Friday, not an
 * holiday of @cal (its rules, Inauguration Day), not a closure. Days outside the valid range
 * are never working days. Thread safe for concurrent readers of @cal.
 */
bool workdays_calendar_is_working(const struct workdays_calendar *cal, int64_t day);

/**
 * workdays_calendar_add() - the @n-th working day strictly after @day.
 * @cal: the calendar.
 * @day: the start day (need not be a working day itself).
 * @n: working days to add. Negative: the |@n|-th working day strictly before @day. Zero: @day
 *     itself, unchanged, whatever it is.
 * @out: out: the result.
 *
 * Filing on Friday with @n = 2 gives Tuesday (Monday being a working day). Returns 0, or
 * ERR_INVALID when @day or the result would lie out of range (then *@out is unchanged).
 * Thread safe for concurrent readers of @cal.
 */
int workdays_calendar_add(const struct workdays_calendar *cal, int64_t day, int64_t n,
                          int64_t *out);

/**
 * workdays_calendar_count() - the number of working days from @from to @to.
 * @cal: the calendar.
 * @from: the first day (not counted).
 * @to: the last day (counted).
 * @out: out: the count.
 *
 * When @from <= @to, the working days strictly after @from up to and including @to; when
 * @to < @from, minus the working days strictly after @to up to and including @from. So
 * count(today, due) is the number of working days left, negative once overdue, and
 * workdays_calendar_add(cal, d, k) = e with k > 0 implies count(d, e) = k.
 * Returns 0, or ERR_INVALID when a day is out of range (then *@out is unchanged). Runs in time
 * proportional to the years spanned, not the days. Thread safe for concurrent readers of @cal.
 */
int workdays_calendar_count(const struct workdays_calendar *cal, int64_t from, int64_t to,
                            int64_t *out);

/**
 * workdays_closures_parse() - parse a configured closures list.
 * @s: comma-separated ISO dates ("2025-12-24, 2025-12-26"); spaces and tabs (also newlines) are
 *     allowed around each item; an empty or all-blank string is an empty list. Each item must be
 *     a strict "YYYY-MM-DD" date (see workdays_day_parse()); empty items ("a,,b", a trailing
 *     comma) are errors.
 * @days: out: a new array of the days in the order given, which the caller frees with mem_free();
 *        NULL for an empty list.
 * @n: out: the number of days.
 * @err: optional buffer for a human message naming the bad item (its position and text).
 * @errlen: size of @err.
 *
 * Returns 0; ERR_INVALID for a bad item; ERR_TOO_LARGE for more than WORKDAYS_CLOSURES_MAX items;
 * ERR_NOMEM. On failure *@days is NULL and *@n is 0. Thread safe.
 */
int workdays_closures_parse(const char *s, int64_t **days, size_t *n, char *err, size_t errlen);

/**
 * workdays_tz_validate() - check an IANA time zone name ("America/New_York", "UTC").
 * @name: at most WORKDAYS_TZ_NAME_MAX bytes of [A-Za-z0-9/_+-], not starting with '/' or '-',
 *        no "..", no empty path component; it must name a regular TZif file under
 *        /usr/share/zoneinfo (the file is opened and its magic read).
 * @err: optional buffer for a human message.
 * @errlen: size of @err.
 *
 * Returns 0, ERR_INVALID for a malformed name, or ERR_NOT_FOUND when no such zone is installed.
 * Thread safe.
 */
int workdays_tz_validate(const char *name, char *err, size_t errlen);

/**
 * workdays_tz_set() - validate @name (see workdays_tz_validate()) and make it the process's time
 * zone (setenv("TZ") and tzset()).
 * @name: the zone.
 * @err: optional buffer for a human message.
 * @errlen: size of @err.
 *
 * Returns 0, ERR_INVALID, ERR_NOT_FOUND, or ERR_NOMEM (setenv failed); on failure the process's
 * zone is unchanged. NOT thread safe: setenv() races with every getenv() and localtime_r() in
 * other threads, so call it once at start-up, before any thread is created.
 */
int workdays_tz_set(const char *name, char *err, size_t errlen);

struct workdays_zone; /* a time zone of its own (GLib's GTimeZone), beside the process's */

/**
 * workdays_zone_open() - the time zone @name (checked as workdays_tz_validate() checks it), for
 * workdays_day_in_zone(). Thread safe once made. 0, ERR_INVALID (with @err) or ERR_NOMEM.
 */
int workdays_zone_open(const char *name, struct workdays_zone **out, char *err, size_t errlen);

/** workdays_zone_close() - release @z (NULL: nothing). */
void workdays_zone_close(struct workdays_zone *z);

/**
 * workdays_day_in_zone() - the local day number in @z of unix time @t (as
 * workdays_day_from_unix() in the process's zone). Thread safe. 0 or ERR_INVALID.
 */
int workdays_day_in_zone(const struct workdays_zone *z, int64_t t, int64_t *day);

/**
 * workdays_day_from_unix() - the local day number (in the process's time zone) of a unix time.
 * @t: seconds since the epoch.
 * @day: out: the day number of the local civil date at @t.
 *
 * Returns 0, or ERR_INVALID when the local date is out of range or @t not representable (then
 * *@day is unchanged). Thread safe (localtime_r), provided nobody changes TZ meanwhile.
 */
int workdays_day_from_unix(int64_t t, int64_t *day);

#endif
