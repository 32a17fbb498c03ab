/*
 * workdays.c - civil dates, the calendar's holidays (core/holidays.h) and working-day arithmetic.
 *
 * Date conversions use Howard Hinnant's days_from_civil / civil_from_days algorithms, exact for
 * the proleptic Gregorian calendar; the internal helpers accept a year or two past the public
 * range so that holiday rules can look at the neighbouring years.
 */
#include "core/workdays.h"

#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/holidays.h"
#include "util/err.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>

/* A snapshot of the runtime closed days: never changed once published. */
struct workdays_runtime {
    struct workdays_runtime *next; /* the older retired snapshot (workdays_calendar.retired) */
    int64_t stop_from;             /* the open clock stop's first day, or -1 */
    size_t n;                      /* days, sorted ascending, no duplicates */
    int64_t days[];
};

#define WORKDAYS_YEAR_MIN 1970
#define WORKDAYS_YEAR_MAX 9999
#define WORKDAYS_ZONEINFO "/usr/share/zoneinfo/"

/* The years whose closed weekdays a calendar works out once, at its set-up (workdays.h). */
#define CACHE_FROM 1970
#define CACHE_TO 2100

static int64_t civil_to_days(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void days_to_civil(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_length(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static bool day_valid(int64_t day)
{
    return day >= WORKDAYS_DAY_MIN && day <= WORKDAYS_DAY_MAX;
}

int workdays_day_weekday(int64_t day)
{
    /* 1970-01-01 was a Thursday; day % 7 lies in -6..6, so this never overflows. */
    return (int)((day % 7 + 7 + WORKDAYS_THURSDAY) % 7);
}

int workdays_day_from_date(int year, int month, int mday, int64_t *day)
{
    if (year < WORKDAYS_YEAR_MIN || year > WORKDAYS_YEAR_MAX || month < 1 || month > 12 ||
        mday < 1 || mday > month_length(year, month))
        return ERR_INVALID;
    *day = civil_to_days(year, month, mday);
    return 0;
}

int workdays_day_to_date(int64_t day, int *year, int *month, int *mday)
{
    int64_t y;
    int m, d;

    if (!day_valid(day))
        return ERR_INVALID;
    days_to_civil(day, &y, &m, &d);
    *year = (int)y;
    *month = m;
    *mday = d;
    return 0;
}

/* The value of the two decimal digits at @s, or -1 when they are not both digits. */
static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int workdays_day_parse(const char *s, int64_t *day)
{
    int hi, lo, month, mday;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return ERR_INVALID;
    hi = two_digits(s);
    lo = two_digits(s + 2);
    month = two_digits(s + 5);
    mday = two_digits(s + 8);
    if (hi < 0 || lo < 0 || month < 0 || mday < 0)
        return ERR_INVALID;
    return workdays_day_from_date(hi * 100 + lo, month, mday, day);
}

int workdays_day_format(int64_t day, char *buf, size_t len)
{
    int year, month, mday;
    int rc;

    if (len > 0)
        buf[0] = '\0';
    rc = workdays_day_to_date(day, &year, &month, &mday);
    if (rc < 0)
        goto out;
    if (len < WORKDAYS_ISO_SIZE) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    snprintf(buf, len, "%04d-%02d-%02d", year, month, mday);
out:
    return rc;
}

int workdays_day_add_days(int64_t day, int64_t n, int64_t *out)
{
    /* Both bounds checked before adding, so day + n cannot overflow. */
    if (!day_valid(day) || n > WORKDAYS_DAY_MAX - day || n < WORKDAYS_DAY_MIN - day)
        return ERR_INVALID;
    *out = day + n;
    return 0;
}

int workdays_day_add_months(int64_t day, int n, int64_t *out)
{
    int64_t y, months;
    int m, d, len;

    if (!day_valid(day))
        return ERR_INVALID;
    days_to_civil(day, &y, &m, &d);
    months = y * 12 + (m - 1) + n;
    if (months < (int64_t)WORKDAYS_YEAR_MIN * 12 || months > (int64_t)WORKDAYS_YEAR_MAX * 12 + 11)
        return ERR_INVALID;
    y = months / 12;
    m = (int)(months % 12) + 1;
    len = month_length(y, m);
    *out = civil_to_days(y, m, d > len ? len : d);
    return 0;
}

/* The shipped us-federal calendar, parsed once (workdays_holiday_is_federal()). */
static struct holidays federal;
static bool federal_ok;
static pthread_once_t federal_once = PTHREAD_ONCE_INIT;

static void federal_parse(void)
{
    federal_ok = holidays_named("us-federal", &federal, NULL, 0) == 0;
}

static const struct holidays *us_federal(void)
{
    pthread_once(&federal_once, federal_parse);
    return federal_ok ? &federal : NULL;
}

bool workdays_holiday_is_federal(int64_t day, const char **name)
{
    struct holidays_day h[HOLIDAYS_YEAR_MAX];
    const struct holidays *fed = us_federal();
    int64_t y;
    int m, d;
    size_t i, n;

    if (!day_valid(day) || fed == NULL)
        return false;
    days_to_civil(day, &y, &m, &d);
    n = holidays_year(fed, (int)y, h);
    for (i = 0; i < n; i++) {
        if (h[i].day == day) {
            if (name != NULL)
                *name = h[i].name;
            return true;
        }
    }
    return false;
}

int workdays_holiday_list(int year, int64_t days[WORKDAYS_HOLIDAYS_MAX], size_t *n)
{
    struct holidays_day h[HOLIDAYS_YEAR_MAX];
    const struct holidays *fed = us_federal();
    size_t i, k;

    *n = 0;
    if (year < WORKDAYS_YEAR_MIN || year > WORKDAYS_YEAR_MAX)
        return ERR_INVALID;
    if (fed == NULL)
        return ERR_INTERNAL;
    k = holidays_year(fed, year, h);
    for (i = 0; i < k && i < WORKDAYS_HOLIDAYS_MAX; i++)
        days[i] = h[i].day;
    *n = i;
    return 0;
}

static int day_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

int workdays_inauguration_day(int year, int64_t *day)
{
    int64_t d;

    if (year < WORKDAYS_YEAR_MIN || year > WORKDAYS_YEAR_MAX)
        return ERR_INVALID;
    if (year <= 1965 || (year - 1965) % 4 != 0)
        return ERR_NOT_FOUND;
    d = civil_to_days(year, 1, 20);
    switch (workdays_day_weekday(d)) {
    case WORKDAYS_SATURDAY: /* no day in lieu */
        return ERR_NOT_FOUND;
    case WORKDAYS_SUNDAY: /* the next day (5 U.S.C. 6103(c)) */
        d++;
        break;
    default:
        break;
    }
    *day = d;
    return 0;
}

static bool is_weekend(int64_t day)
{
    int wday = workdays_day_weekday(day);

    return wday == WORKDAYS_SATURDAY || wday == WORKDAYS_SUNDAY;
}

/*
 * The weekdays @cal closes as holidays in calendar year @y (its rules' observed days, and
 * Inauguration Day), ascending and unique, into @out; returns how many.
 */
static size_t closed_in_year(const struct workdays_calendar *cal, int64_t y,
                             int64_t out[HOLIDAYS_YEAR_MAX + 1])
{
    struct holidays_day h[HOLIDAYS_YEAR_MAX];
    size_t n = cal->hol ? holidays_year(cal->hol, (int)y, h) : 0, k = 0;
    int64_t inaug = -1;

    if (cal->inauguration && workdays_inauguration_day((int)y, &inaug) != 0)
        inaug = -1;
    for (size_t i = 0; i <= n; i++) {
        /* Inauguration Day (a weekday) in order among the rules' days, once */
        if (inaug >= 0 && (i == n || h[i].day >= inaug)) {
            if (i == n || h[i].day != inaug)
                out[k++] = inaug;
            inaug = -1;
        }
        if (i < n && !is_weekend(h[i].day))
            out[k++] = h[i].day;
    }
    return k;
}

/* The index of the first of the @n ascending days @a strictly after @day (@n when none is). */
static size_t first_after(const int64_t *a, size_t n, int64_t day)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (a[mid] <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether @day (valid) is a weekday @cal closes as a holiday. */
static bool is_holiday(const struct workdays_calendar *cal, int64_t day)
{
    int64_t days[HOLIDAYS_YEAR_MAX + 1], y;
    size_t n;
    int m, d;

    days_to_civil(day, &y, &m, &d);
    if (y >= CACHE_FROM && y <= CACHE_TO) {
        size_t i = first_after(cal->holidays, cal->nholidays, day - 1);
        return i < cal->nholidays && cal->holidays[i] == day;
    }
    n = closed_in_year(cal, y, days);
    for (size_t i = 0; i < n; i++)
        if (days[i] == day)
            return true;
    return false;
}

int workdays_calendar_init_with(struct workdays_calendar *cal, const struct holidays *hol,
                                bool inauguration, const int64_t *closures, size_t nclosures)
{
    int64_t *copy = NULL, *hdays = NULL;
    struct holidays *own = NULL;
    size_t i, n = 0, nh = 0;
    int rc = 0;

    memset(cal, 0, sizeof(*cal));
    if (nclosures > WORKDAYS_CLOSURES_MAX) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    for (i = 0; i < nclosures; i++) {
        if (!day_valid(closures[i])) {
            rc = ERR_INVALID;
            goto out;
        }
    }
    if (nclosures > 0) {
        copy = mem_alloc(nclosures * sizeof(*copy));
        if (copy == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        memcpy(copy, closures, nclosures * sizeof(*copy));
        qsort(copy, nclosures, sizeof(*copy), day_compare);
        for (i = 0; i < nclosures; i++) {
            if (n == 0 || copy[n - 1] != copy[i])
                copy[n++] = copy[i];
        }
    }
    if (hol != NULL) {
        if ((own = mem_alloc(sizeof(*own))) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        memcpy(own, hol, sizeof(*own));
    }
    cal->hol = own;
    cal->inauguration = inauguration;
    /* the closed weekdays of the years most deadlines fall in, worked out once */
    if (own != NULL || inauguration) {
        size_t cap = (size_t)(CACHE_TO - CACHE_FROM + 1) * (HOLIDAYS_YEAR_MAX + 1);
        if ((hdays = mem_alloc(cap * sizeof(*hdays))) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        for (int64_t y = CACHE_FROM; y <= CACHE_TO; y++)
            nh += closed_in_year(cal, y, hdays + nh);
    }
    cal->holidays = hdays;
    cal->nholidays = nh;
    cal->closures = copy;
    cal->nclosures = n;
    return 0;
out:
    mem_free(copy);
    mem_free(hdays);
    mem_free(own);
    memset(cal, 0, sizeof(*cal));
    return rc;
}

int workdays_calendar_init(struct workdays_calendar *cal, unsigned holidays,
                           const int64_t *closures, size_t nclosures)
{
    const struct holidays *fed = NULL;

    if ((holidays & WORKDAYS_FEDERAL) && (fed = us_federal()) == NULL) {
        memset(cal, 0, sizeof(*cal));
        return ERR_INTERNAL;
    }
    return workdays_calendar_init_with(cal, fed, (holidays & WORKDAYS_INAUGURATION) != 0, closures,
                                       nclosures);
}

void workdays_calendar_release(struct workdays_calendar *cal)
{
    if (cal == NULL)
        return;
    mem_free(cal->closures);
    mem_free(cal->holidays);
    mem_free(cal->hol);
    mem_free((void *)atomic_load(&cal->runtime));
    for (struct workdays_runtime *r = cal->retired, *next; r != NULL; r = next) {
        next = r->next;
        mem_free(r);
    }
    memset(cal, 0, sizeof(*cal));
}

int workdays_calendar_set_runtime(struct workdays_calendar *cal, const int64_t *days, size_t n,
                                  int64_t stop_from)
{
    struct workdays_runtime *r, *old;
    size_t k = 0;

    if (cal->shares != NULL)
        return ERR_INTERNAL; /* its runtime days are the other calendar's */
    if (n > WORKDAYS_RUNTIME_MAX)
        return ERR_TOO_LARGE;
    if (stop_from != -1 && !day_valid(stop_from))
        return ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!day_valid(days[i]))
            return ERR_INVALID;
    if ((r = mem_alloc(sizeof(*r) + (n ? n : 1) * sizeof(int64_t))) == NULL)
        return ERR_NOMEM;
    r->next = NULL;
    r->stop_from = stop_from;
    if (n > 0) {
        memcpy(r->days, days, n * sizeof(int64_t));
        qsort(r->days, n, sizeof(int64_t), day_compare);
    }
    for (size_t i = 0; i < n; i++)
        if (k == 0 || r->days[k - 1] != r->days[i])
            r->days[k++] = r->days[i];
    r->n = k;
    /* the same days again (a periodic reload): nothing to publish, nothing to retire */
    old = (struct workdays_runtime *)atomic_load(&cal->runtime);
    if (old != NULL && old->stop_from == r->stop_from && old->n == r->n &&
        (r->n == 0 || memcmp(old->days, r->days, r->n * sizeof(int64_t)) == 0)) {
        mem_free(r);
        return 0;
    }
    old = (struct workdays_runtime *)atomic_exchange(&cal->runtime, r);
    if (old != NULL) {
        old->next = cal->retired;
        cal->retired = old;
    }
    return 0;
}

static const struct workdays_runtime *runtime_of(const struct workdays_calendar *cal)
{
    if (cal->shares != NULL)
        cal = cal->shares;
    return atomic_load_explicit((const struct workdays_runtime *_Atomic *)&cal->runtime,
                                memory_order_acquire);
}

int64_t workdays_calendar_stop_from(const struct workdays_calendar *cal)
{
    const struct workdays_runtime *r = runtime_of(cal);

    return r != NULL ? r->stop_from : -1;
}

static size_t closure_after(const struct workdays_calendar *cal, int64_t day)
{
    return first_after(cal->closures, cal->nclosures, day);
}

static bool in_list(const int64_t *a, size_t n, int64_t day)
{
    size_t i = first_after(a, n, day - 1);

    return i < n && a[i] == day;
}

static bool is_closure(const struct workdays_calendar *cal, const struct workdays_runtime *r,
                       int64_t day)
{
    return in_list(cal->closures, cal->nclosures, day) ||
           (r != NULL && in_list(r->days, r->n, day));
}

bool workdays_calendar_is_runtime_closed(const struct workdays_calendar *cal, int64_t day)
{
    const struct workdays_runtime *r = runtime_of(cal);

    return r != NULL && in_list(r->days, r->n, day);
}

static bool is_working(const struct workdays_calendar *cal, const struct workdays_runtime *r,
                       int64_t day)
{
    if (!day_valid(day) || is_weekend(day))
        return false;
    return !is_holiday(cal, day) && !is_closure(cal, r, day);
}

bool workdays_calendar_is_working(const struct workdays_calendar *cal, int64_t day)
{
    return is_working(cal, runtime_of(cal), day);
}

int workdays_calendar_add(const struct workdays_calendar *cal, int64_t day, int64_t n, int64_t *out)
{
    const struct workdays_runtime *r = runtime_of(cal);
    int64_t step = n < 0 ? -1 : 1;
    int64_t left = n < 0 ? -n : n;
    int64_t d = day;

    /* Every step moves one day, so the range check also bounds the loop (and any @n). */
    if (!day_valid(day))
        return ERR_INVALID;
    while (left > 0) {
        d += step;
        if (!day_valid(d))
            return ERR_INVALID;
        if (is_working(cal, r, d))
            left--;
    }
    *out = d;
    return 0;
}

/*
 * Monday..Friday among the days up to and including @day, counted from an arbitrary fixed
 * Sunday (1969-12-28); only differences of two values mean anything.
 */
static int64_t weekdays_through(int64_t day)
{
    int64_t k = day + 4 + 1; /* days from that Sunday through @day */
    int64_t rem = k % 7;

    return k / 7 * 5 + (rem == 0 ? 0 : rem - 1);
}

static size_t holiday_after(const struct workdays_calendar *cal, int64_t day)
{
    return first_after(cal->holidays, cal->nholidays, day);
}

/* Working days in (@a, @b] for valid days @a <= @b. */
static int64_t count_forward(const struct workdays_calendar *cal, const struct workdays_runtime *r,
                             int64_t a, int64_t b)
{
    int64_t count = weekdays_through(b) - weekdays_through(a);
    int64_t y, y_end, days[HOLIDAYS_YEAR_MAX + 1];
    int m, d;
    size_t i, n;

    if (a == b)
        return 0;
    /* each closed weekday in range removes one: the cache's by two searches, the rest by year */
    if (cal->hol != NULL || cal->inauguration) {
        days_to_civil(a + 1, &y, &m, &d);
        days_to_civil(b, &y_end, &m, &d);
        for (; y <= y_end; y++) {
            if (y >= CACHE_FROM && y <= CACHE_TO) {
                int64_t end = civil_to_days(CACHE_TO, 12, 31), last = b < end ? b : end;
                count -= (int64_t)(holiday_after(cal, last) - holiday_after(cal, a));
                y = y_end < CACHE_TO ? y_end : CACHE_TO;
                continue;
            }
            n = closed_in_year(cal, y, days);
            for (i = 0; i < n; i++)
                if (days[i] > a && days[i] <= b)
                    count--;
        }
    }
    /* A closure removes a day only when it was still counted: a weekday, not a holiday. */
    for (i = closure_after(cal, a); i < cal->nclosures && cal->closures[i] <= b; i++) {
        if (is_weekend(cal->closures[i]) || is_holiday(cal, cal->closures[i]))
            continue;
        count--;
    }
    /* and a runtime one when no configured closure took it already */
    for (i = r != NULL ? first_after(r->days, r->n, a) : 0;
         r != NULL && i < r->n && r->days[i] <= b; i++) {
        if (is_weekend(r->days[i]) || is_holiday(cal, r->days[i]) ||
            in_list(cal->closures, cal->nclosures, r->days[i]))
            continue;
        count--;
    }
    return count;
}

int workdays_calendar_count(const struct workdays_calendar *cal, int64_t from, int64_t to,
                            int64_t *out)
{
    if (!day_valid(from) || !day_valid(to))
        return ERR_INVALID;
    const struct workdays_runtime *r = runtime_of(cal);

    *out = from <= to ? count_forward(cal, r, from, to) : -count_forward(cal, r, to, from);
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int workdays_closures_parse(const char *s, int64_t **days, size_t *n, char *err, size_t errlen)
{
    int64_t *list = NULL;
    size_t cap = 1, count = 0, len;
    const char *p, *start, *end;
    char item[WORKDAYS_ISO_SIZE];
    int rc = 0;

    *days = NULL;
    *n = 0;
    for (p = s; *p != '\0' && is_blank(*p); p++)
        ;
    if (*p == '\0')
        goto out;
    for (p = s; *p != '\0'; p++)
        cap += *p == ',';
    if (cap > WORKDAYS_CLOSURES_MAX) {
        err_set(err, errlen, "closures: %zu dates, at most %d allowed", cap, WORKDAYS_CLOSURES_MAX);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    list = mem_alloc(cap * sizeof(*list));
    if (list == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    p = s;
    for (;;) {
        start = p;
        while (*p != '\0' && *p != ',')
            p++;
        end = p;
        while (start < end && is_blank(*start))
            start++;
        while (end > start && is_blank(end[-1]))
            end--;
        if (start == end) {
            err_set(err, errlen, "closures: item %zu is empty", count + 1);
            rc = ERR_INVALID;
            goto out;
        }
        len = (size_t)(end - start);
        if (len < sizeof(item)) {
            memcpy(item, start, len);
            item[len] = '\0';
        }
        if (len >= sizeof(item) || workdays_day_parse(item, &list[count]) < 0) {
            err_set(err, errlen,
                    "closures: item %zu \"%.*s%s\" is not a date YYYY-MM-DD (1970-9999)", count + 1,
                    (int)(len > 32 ? 32 : len), start, len > 32 ? "..." : "");
            rc = ERR_INVALID;
            goto out;
        }
        count++;
        if (*p == '\0')
            break;
        p++;
    }
    *days = list;
    *n = count;
    list = NULL;
out:
    mem_free(list);
    return rc;
}

static bool tz_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '+' || c == '-';
}

int workdays_tz_validate(const char *name, char *err, size_t errlen)
{
    char path[sizeof(WORKDAYS_ZONEINFO) + WORKDAYS_TZ_NAME_MAX];
    char magic[4];
    struct stat st;
    size_t i, len;
    int fd = -1;
    int rc = 0;

    len = name == NULL ? 0 : strlen(name);
    if (len == 0 || len > WORKDAYS_TZ_NAME_MAX) {
        err_set(err, errlen, "time zone: name empty or longer than %d bytes", WORKDAYS_TZ_NAME_MAX);
        rc = ERR_INVALID;
        goto out;
    }
    for (i = 0; i < len; i++) {
        if (!tz_char_ok(name[i]))
            break;
    }
    /* '.' is not allowed at all, which rules out ".." too; the explicit check documents it. */
    if (i < len || name[0] == '/' || name[0] == '-' || name[len - 1] == '/' ||
        strstr(name, "//") != NULL || strstr(name, "..") != NULL) {
        err_set(err, errlen,
                "time zone: \"%.64s\" is not an IANA zone name (like America/New_York)", name);
        rc = ERR_INVALID;
        goto out;
    }
    snprintf(path, sizeof(path), "%s%s", WORKDAYS_ZONEINFO, name);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic) ||
        memcmp(magic, "TZif", sizeof(magic)) != 0) {
        err_set(err, errlen, "time zone: \"%s\" is not installed under %s", name,
                WORKDAYS_ZONEINFO);
        rc = ERR_NOT_FOUND;
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int workdays_tz_set(const char *name, char *err, size_t errlen)
{
    int rc;

    rc = workdays_tz_validate(name, err, errlen);
    if (rc < 0)
        goto out;
    if (setenv("TZ", name, 1) != 0) {
        err_set(err, errlen, "time zone: setenv failed");
        rc = ERR_NOMEM;
        goto out;
    }
    tzset();
out:
    return rc;
}

int workdays_day_from_unix(int64_t t, int64_t *day)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL || tm.tm_year > INT32_MAX - 1900)
        return ERR_INVALID;
    return workdays_day_from_date(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, day);
}

/* A zone of its own: GLib's, whose conversions read no process state. */
struct workdays_zone {
    GTimeZone *tz;
};

int workdays_zone_open(const char *name, struct workdays_zone **out, char *err, size_t errlen)
{
    struct workdays_zone *z;

    *out = NULL;
    if (workdays_tz_validate(name, err, errlen) < 0)
        return ERR_INVALID;
    if ((z = mem_calloc(1, sizeof(*z))) == NULL)
        return ERR_NOMEM;
    /* (validated above: a zoneinfo file; GLib reads the same one) */
    if ((z->tz = g_time_zone_new_identifier(name)) == NULL) {
        err_set(err, errlen, "time zone %s cannot be read", name);
        mem_free(z);
        return ERR_INVALID;
    }
    *out = z;
    return 0;
}

void workdays_zone_close(struct workdays_zone *z)
{
    if (z == NULL)
        return;
    g_time_zone_unref(z->tz);
    mem_free(z);
}

int workdays_day_in_zone(const struct workdays_zone *z, int64_t t, int64_t *day)
{
    GDateTime *utc, *local;
    int rc = ERR_INVALID;

    if (z == NULL || (utc = g_date_time_new_from_unix_utc(t)) == NULL)
        return ERR_INVALID;
    if ((local = g_date_time_to_timezone(utc, z->tz)) != NULL) {
        rc = workdays_day_from_date(g_date_time_get_year(local), g_date_time_get_month(local),
                                    g_date_time_get_day_of_month(local), day);
        g_date_time_unref(local);
    }
    g_date_time_unref(utc);
    return rc;
}
