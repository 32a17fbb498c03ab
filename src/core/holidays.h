/*
 * holidays.h - a jurisdiction's public holidays as data: the rule language of the calendar files
 * under calendars/ (one file per jurisdiction, embedded into the binary at build time), and the
 * days those rules give in a year.
 *
 * A calendar file is UTF-8 text, one item per line; a line whose first character other than a
 * space is '#' is a comment, and blank lines are ignored. Header lines come first:
 *
 *     title: Ireland: public holidays
 *     source: Organisation of Working Time Act 1997, Schedule 2, as amended
 *
 * Then one rule per line, three fields separated by '|':
 *
 *     WHEN | NAME | OPTIONS
 *
 * WHEN is one of
 *     MM-DD                     a fixed date                                  12-25
 *     MM WDAY#N                 the N-th (1..5) weekday of the month          01 mon#3
 *     MM WDAY#last              the last weekday of the month                 05 mon#last
 *     easter[+-N]               Easter Sunday (Gregorian) plus N days         easter+1
 *     MM-DD if WDAY else WHEN   the date when it falls on WDAY, else WHEN     02-01 if fri else 02
 * mon#1 with WDAY one of mon tue wed thu fri sat sun. NAME is the holiday's name (1..63 bytes, no
 * '|'). OPTIONS, separated by spaces, may be empty: from=YYYY, until=YYYY     the years the rule
 * applies in (both included) sat=N, sun=N              a holiday falling on a Saturday (Sunday) is
 * observed N days later (N may be negative: sat=-1 is the Friday before) weekend=next a holiday
 * falling on a weekend is observed on the next weekday that is not already a holiday (Christmas Day
 * on a Saturday and St Stephen's Day on the Sunday: Monday and Tuesday)
 *
 * A day given by two rules is one holiday (the first rule's name). Observed days may cross a
 * year's end (New Year's Day on a Saturday observed on December 31): holidays_year() gives the
 * days falling within the year asked, whichever year's rule made them.
 */
#ifndef DISSENT_CORE_HOLIDAYS_H
#define DISSENT_CORE_HOLIDAYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOLIDAYS_RULES_MAX 32   /* rules a calendar may hold */
#define HOLIDAYS_NAME_MAX 64    /* bytes of a holiday's name, NUL included */
#define HOLIDAYS_TEXT_MAX 16384 /* bytes of a calendar file */
#define HOLIDAYS_ID_MAX 32      /* bytes of a calendar's id ("us-federal"), NUL included */
#define HOLIDAYS_YEAR_MAX 48    /* holidays one year can hold (its rules, and shifts into it) */

enum holidays_when {
    HOLIDAYS_FIXED = 0,
    HOLIDAYS_NTH,
    HOLIDAYS_LAST,
    HOLIDAYS_EASTER,
};

/* One date rule: a fixed date, a weekday of a month, or Easter plus an offset. */
struct holidays_date {
    enum holidays_when when;
    int month, mday; /* HOLIDAYS_FIXED */
    int wday, nth;   /* HOLIDAYS_NTH (nth 1..5), HOLIDAYS_LAST; month too */
    int offset;      /* HOLIDAYS_EASTER */
};

struct holidays_rule {
    struct holidays_date date;
    bool conditional; /* date when it falls on if_wday, else other */
    int if_wday;      /* enum workdays_weekday */
    struct holidays_date other;
    int from, until;   /* years; 0 when unbounded */
    int sat, sun;      /* observed shift of a Saturday, a Sunday (days) */
    bool weekend_next; /* weekend=next */
    char name[HOLIDAYS_NAME_MAX];
};

/* A parsed calendar. */
struct holidays {
    char id[HOLIDAYS_ID_MAX]; /* "us-federal", or the file it came from */
    char title[128];
    char source[256];
    size_t n;
    struct holidays_rule rules[HOLIDAYS_RULES_MAX];
};

/* One observed holiday. */
struct holidays_day {
    int64_t day;      /* a day number (workdays.h) */
    const char *name; /* the rule's name, borrowed from the calendar */
};

/**
 * holidays_parse() - the calendar in @text (@len bytes, at most HOLIDAYS_TEXT_MAX) into @out.
 * Returns 0, or ERR_INVALID with a message naming the line and what is wrong in @err.
 */
int holidays_parse(const char *text, size_t len, struct holidays *out, char *err, size_t errlen);

/**
 * holidays_named() - the calendar shipped as calendars/@id.cal ("us-federal", "ie", "de", "fr",
 * "nl"), parsed into @out. ERR_NOT_FOUND for another id (with the ids shipped in @err);
 * ERR_INVALID when the shipped text does not parse (a build error, caught by the unit tests).
 */
int holidays_named(const char *id, struct holidays *out, char *err, size_t errlen);

/**
 * holidays_load() - a calendar named by the configuration: a shipped id, or the path of a
 * calendar file (anything containing '/'), read and parsed into @out. 0, ERR_NOT_FOUND,
 * ERR_INVALID, ERR_TOO_LARGE (a file over HOLIDAYS_TEXT_MAX), ERR_IO; a message in @err.
 */
int holidays_load(const char *name, struct holidays *out, char *err, size_t errlen);

/** holidays_ids() - the shipped calendars' ids, comma-separated, for messages and docs. */
const char *holidays_ids(void);

/**
 * holidays_year() - the observed holidays of @h falling within calendar year @year (1970..9999),
 * ascending and without duplicates, into @out (room for HOLIDAYS_YEAR_MAX). Returns how many.
 * Weekend days a rule without a shift falls on are included (they are holidays; the working-day
 * arithmetic skips weekends anyway).
 */
size_t holidays_year(const struct holidays *h, int year,
                     struct holidays_day out[HOLIDAYS_YEAR_MAX]);

/** holidays_easter() - the day number of Easter Sunday (Gregorian) of @year (1970..9999). */
int64_t holidays_easter(int year);

#endif
