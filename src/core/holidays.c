/*
 * holidays.c - the calendar files' rule language and the holidays it gives in a year.
 */
#include "core/holidays.h"

#include "core/workdays.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The shipped calendars, generated from the .cal files of calendars/ (embed_calendars.py). */
struct holidays_text {
    const char *id;
    const char *text;
    size_t len;
};
extern const struct holidays_text holidays_texts[];
extern const size_t holidays_texts_count;
extern const char holidays_ids_str[];

static const char *const wdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int wday_parse(const char *s, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && memcmp(s, wdays[i], 3) == 0)
            return i;
    return -1;
}

/* A whole decimal number of @len bytes at @s within [@min, @max] into *@out. */
static bool number(const char *s, size_t len, int min, int max, int *out)
{
    char buf[8];
    int64_t v;

    if (len == 0 || len >= sizeof(buf))
        return false;
    for (size_t i = 0; i < len; i++) /* digits only: no sign, no space */
        if (s[i] < '0' || s[i] > '9')
            return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (str_parse_i64(buf, min, max, &v) != 0)
        return false;
    *out = (int)v;
    return true;
}

/* The longest day of month @m in any year (February: 29). */
static int month_max(int m)
{
    static const int len[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return len[m - 1];
}

/* "MM-DD" at @s (exactly 5 bytes). */
static bool fixed_parse(const char *s, size_t len, struct holidays_date *d)
{
    if (len != 5 || s[2] != '-' || !number(s, 2, 1, 12, &d->month) ||
        !number(s + 3, 2, 1, 31, &d->mday) || d->mday > month_max(d->month))
        return false;
    d->when = HOLIDAYS_FIXED;
    return true;
}

/* One date form (not the conditional) of @len bytes at @s. */
static bool date_parse(const char *s, size_t len, struct holidays_date *d)
{
    const char *sp, *hash;

    memset(d, 0, sizeof(*d));
    if (len >= 6 && memcmp(s, "easter", 6) == 0) {
        d->when = HOLIDAYS_EASTER;
        if (len == 6)
            return true;
        if (s[6] != '+' && s[6] != '-')
            return false;
        if (!number(s + 7, len - 7, 1, 100, &d->offset))
            return false;
        if (s[6] == '-')
            d->offset = -d->offset;
        return true;
    }
    if (fixed_parse(s, len, d))
        return true;
    /* "MM WDAY#N" or "MM WDAY#last" */
    if (len < 8 || s[2] != ' ' || !number(s, 2, 1, 12, &d->month))
        return false;
    sp = s + 3;
    hash = memchr(sp, '#', len - 3);
    if (hash == NULL || (d->wday = wday_parse(sp, (size_t)(hash - sp))) < 0)
        return false;
    hash++;
    if ((size_t)(s + len - hash) == 4 && memcmp(hash, "last", 4) == 0) {
        d->when = HOLIDAYS_LAST;
        return true;
    }
    d->when = HOLIDAYS_NTH;
    return number(hash, (size_t)(s + len - hash), 1, 5, &d->nth);
}

/* WHEN: a date form, or "MM-DD if WDAY else WHEN". */
static bool when_parse(const char *s, size_t len, struct holidays_rule *r)
{
    if (len > 13 && memcmp(s + 5, " if ", 4) == 0) {
        const char *rest = s + 9;
        size_t left = len - 9;
        if (!fixed_parse(s, 5, &r->date) || left < 10 || rest[3] != ' ' ||
            memcmp(rest + 4, "else ", 5) != 0 || (r->if_wday = wday_parse(rest, 3)) < 0 ||
            !date_parse(rest + 9, left - 9, &r->other))
            return false;
        r->conditional = true;
        return true;
    }
    return date_parse(s, len, &r->date);
}

/* One option "key=value" of @len bytes at @s. */
static bool option_parse(const char *s, size_t len, struct holidays_rule *r)
{
    const char *eq = memchr(s, '=', len);
    size_t klen, vlen;
    const char *v;

    if (eq == NULL)
        return false;
    klen = (size_t)(eq - s);
    v = eq + 1;
    vlen = len - klen - 1;
    if (klen == 4 && memcmp(s, "from", 4) == 0)
        return number(v, vlen, 1970, 9999, &r->from);
    if (klen == 5 && memcmp(s, "until", 5) == 0)
        return number(v, vlen, 1970, 9999, &r->until);
    if (klen == 7 && memcmp(s, "weekend", 7) == 0 && vlen == 4 && memcmp(v, "next", 4) == 0)
        return (r->weekend_next = true);
    if (klen == 3 && (memcmp(s, "sat", 3) == 0 || memcmp(s, "sun", 3) == 0)) {
        int n;
        bool neg = vlen > 0 && v[0] == '-';
        if (vlen > 0 && (v[0] == '+' || v[0] == '-')) {
            v++;
            vlen--;
        }
        if (!number(v, vlen, 0, 7, &n))
            return false;
        *(s[1] == 'a' ? &r->sat : &r->sun) = neg ? -n : n;
        return true;
    }
    return false;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
        (*len)--;
}

/* A header "key: value" into @dst (@size bytes); false when @line is not that header. */
static bool header(const char *line, size_t len, const char *key, char *dst, size_t size, bool *bad)
{
    size_t k = strlen(key);
    const char *v;
    size_t vlen;

    if (len <= k || memcmp(line, key, k) != 0 || line[k] != ':')
        return false;
    v = line + k + 1;
    vlen = len - k - 1;
    trim(&v, &vlen);
    *bad = vlen == 0 || vlen >= size;
    if (!*bad) {
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
    }
    return true;
}

/* One rule line into @r; false with the reason in @why. */
static bool rule_parse(const char *line, size_t len, struct holidays_rule *r, const char **why)
{
    const char *bar1 = memchr(line, '|', len), *bar2, *f;
    size_t flen;

    memset(r, 0, sizeof(*r));
    if (bar1 == NULL) {
        *why = "a rule is WHEN | NAME | OPTIONS";
        return false;
    }
    f = line;
    flen = (size_t)(bar1 - line);
    trim(&f, &flen);
    if (!when_parse(f, flen, r)) {
        *why = "WHEN is MM-DD, MM WDAY#N, MM WDAY#last, easter+N or MM-DD if WDAY else WHEN";
        return false;
    }
    f = bar1 + 1;
    bar2 = memchr(f, '|', (size_t)(line + len - f));
    flen = bar2 ? (size_t)(bar2 - f) : (size_t)(line + len - f);
    trim(&f, &flen);
    if (flen == 0 || flen >= sizeof(r->name) || !str_utf8_valid(f, flen)) {
        *why = "NAME is 1 to 63 bytes of text";
        return false;
    }
    memcpy(r->name, f, flen);
    r->name[flen] = '\0';
    if (bar2 == NULL)
        return true;
    f = bar2 + 1;
    flen = (size_t)(line + len - f);
    while (flen > 0) {
        const char *end;
        size_t olen;
        trim(&f, &flen);
        if (flen == 0)
            break;
        end = memchr(f, ' ', flen);
        olen = end ? (size_t)(end - f) : flen;
        if (!option_parse(f, olen, r)) {
            *why = "OPTIONS are from=YYYY, until=YYYY, sat=N, sun=N or weekend=next";
            return false;
        }
        f += olen;
        flen -= olen;
    }
    if (r->from && r->until && r->until < r->from) {
        *why = "until is before from";
        return false;
    }
    if (r->weekend_next && (r->sat || r->sun)) {
        *why = "weekend=next and sat=/sun= exclude each other";
        return false;
    }
    return true;
}

int holidays_parse(const char *text, size_t len, struct holidays *out, char *err, size_t errlen)
{
    size_t off = 0;
    int lineno = 0;

    memset(out, 0, sizeof(*out));
    if (len > HOLIDAYS_TEXT_MAX) {
        err_set(err, errlen, "a calendar is at most %d bytes", HOLIDAYS_TEXT_MAX);
        return ERR_TOO_LARGE;
    }
    if (!str_utf8_valid(text, len)) {
        err_set(err, errlen, "a calendar is UTF-8 text");
        return ERR_INVALID;
    }
    while (off < len) {
        const char *line = text + off, *nl = memchr(line, '\n', len - off);
        size_t llen = nl ? (size_t)(nl - line) : len - off;
        const char *why = NULL;
        bool bad = false;

        off += llen + (nl ? 1 : 0);
        lineno++;
        trim(&line, &llen);
        if (llen == 0 || line[0] == '#')
            continue;
        if (header(line, llen, "title", out->title, sizeof(out->title), &bad) ||
            header(line, llen, "source", out->source, sizeof(out->source), &bad)) {
            if (bad || out->n > 0) {
                err_set(err, errlen,
                        "line %d: a header comes before the rules, with a value "
                        "(title: up to 127 bytes, source: up to 255)",
                        lineno);
                return ERR_INVALID;
            }
            continue;
        }
        if (out->n == HOLIDAYS_RULES_MAX) {
            err_set(err, errlen, "line %d: at most %d rules", lineno, HOLIDAYS_RULES_MAX);
            return ERR_INVALID;
        }
        if (!rule_parse(line, llen, &out->rules[out->n], &why)) {
            err_set(err, errlen, "line %d: %s", lineno, why);
            return ERR_INVALID;
        }
        out->n++;
    }
    if (out->title[0] == '\0') {
        err_set(err, errlen, "a calendar names itself in a title: line");
        return ERR_INVALID;
    }
    return 0;
}

const char *holidays_ids(void)
{
    return holidays_ids_str;
}

int holidays_named(const char *id, struct holidays *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < holidays_texts_count; i++) {
        if (strcmp(holidays_texts[i].id, id) != 0)
            continue;
        if (holidays_parse(holidays_texts[i].text, holidays_texts[i].len, out, err, errlen) != 0)
            return ERR_INVALID;
        str_copy(out->id, sizeof(out->id), id);
        return 0;
    }
    err_set(err, errlen, "no calendar \"%s\" (shipped: %s; or the path of a calendar file)", id,
            holidays_ids_str);
    return ERR_NOT_FOUND;
}

int holidays_load(const char *name, struct holidays *out, char *err, size_t errlen)
{
    char *text;
    ssize_t got;
    size_t len = 0;
    int fd, rc;

    if (strchr(name, '/') == NULL)
        return holidays_named(name, out, err, errlen);
    if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
        err_set(err, errlen, "calendar %s: %s", name, strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    if ((text = mem_alloc(HOLIDAYS_TEXT_MAX + 1)) == NULL) {
        close(fd);
        return ERR_NOMEM;
    }
    while ((got = read(fd, text + len, HOLIDAYS_TEXT_MAX + 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    if (got < 0) {
        err_set(err, errlen, "calendar %s: %s", name, strerror(errno));
        mem_free(text);
        return ERR_IO;
    }
    rc = holidays_parse(text, len, out, err, errlen);
    mem_free(text);
    if (rc == 0)
        str_copy(out->id, sizeof(out->id), strrchr(name, '/') + 1);
    return rc;
}

int64_t holidays_easter(int year)
{
    /* the anonymous Gregorian algorithm (Meeus, Jones, Butcher) */
    int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, mday = (h + l - 7 * m + 114) % 31 + 1;
    int64_t day = -1;

    workdays_day_from_date(year, month, mday, &day);
    return day;
}

/* The day @d gives in @year, or -1 when it gives none (February 29 in another year). */
static int64_t date_in(const struct holidays_date *d, int year)
{
    int64_t day = -1, first;

    switch (d->when) {
    case HOLIDAYS_FIXED:
        workdays_day_from_date(year, d->month, d->mday, &day);
        return day;
    case HOLIDAYS_EASTER:
        day = holidays_easter(year);
        return day < 0 ? -1 : day + d->offset;
    case HOLIDAYS_NTH:
        if (workdays_day_from_date(year, d->month, 1, &first) != 0)
            return -1;
        day = first + (d->wday - workdays_day_weekday(first) + 7) % 7 + 7 * (d->nth - 1);
        /* a fifth weekday the month does not have gives none */
        return workdays_day_from_date(year, d->month, 1, &first) == 0 &&
                       workdays_day_add_months(first, 1, &first) == 0 && day >= first
                   ? -1
                   : day;
    case HOLIDAYS_LAST:
        if (workdays_day_from_date(year, d->month, 1, &first) != 0 ||
            workdays_day_add_months(first, 1, &first) != 0)
            return -1;
        day = first - 1;
        return day - (workdays_day_weekday(day) - d->wday + 7) % 7;
    }
    return -1;
}

/* A holiday as the rules give it, before the year's days are picked. */
struct raw {
    int64_t day;
    const char *name;
    bool next;  /* weekend=next and on a weekend: still to move */
    size_t seq; /* the order the rules gave it: the first name of a day wins */
};

static int raw_order(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;

    if (x->day != y->day)
        return (x->day > y->day) - (x->day < y->day);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static bool weekend(int64_t day)
{
    int w = workdays_day_weekday(day);
    return w == WORKDAYS_SATURDAY || w == WORKDAYS_SUNDAY;
}

static bool taken(const struct raw *r, size_t n, int64_t day)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].day == day)
            return true;
    return false;
}

size_t holidays_year(const struct holidays *h, int year, struct holidays_day out[HOLIDAYS_YEAR_MAX])
{
    struct raw all[3 * HOLIDAYS_RULES_MAX];
    size_t n = 0, k = 0;

    /* the rules of the year before and after too: their observed days may fall in @year */
    for (int y = year - 1; y <= year + 1; y++) {
        if (y < 1970 || y > 9999)
            continue;
        for (size_t i = 0; i < h->n; i++) {
            const struct holidays_rule *r = &h->rules[i];
            int64_t day;
            if ((r->from && y < r->from) || (r->until && y > r->until))
                continue;
            day = date_in(&r->date, y);
            if (r->conditional && day >= 0 && workdays_day_weekday(day) != r->if_wday)
                day = date_in(&r->other, y);
            if (day < 0)
                continue;
            if (workdays_day_weekday(day) == WORKDAYS_SATURDAY)
                day += r->sat;
            else if (workdays_day_weekday(day) == WORKDAYS_SUNDAY)
                day += r->sun;
            all[n] = (struct raw){day, r->name, r->weekend_next && weekend(day), n};
            n++;
        }
    }
    qsort(all, n, sizeof(all[0]), raw_order);
    /* weekend=next, in date order: the next weekday no holiday holds yet (Christmas Day on a
     * Saturday takes Monday, St Stephen's Day on the Sunday then Tuesday) */
    for (size_t i = 0; i < n; i++) {
        int64_t day = all[i].day;
        if (!all[i].next)
            continue;
        do
            day++;
        while (weekend(day) || taken(all, n, day));
        all[i].day = day;
        all[i].next = false;
    }
    qsort(all, n, sizeof(all[0]), raw_order);
    for (size_t i = 0; i < n && k < HOLIDAYS_YEAR_MAX; i++) {
        int y, m, d;
        if (workdays_day_to_date(all[i].day, &y, &m, &d) != 0 || y != year)
            continue;
        if (k > 0 && out[k - 1].day == all[i].day)
            continue;
        out[k++] = (struct holidays_day){all[i].day, all[i].name};
    }
    return k;
}
