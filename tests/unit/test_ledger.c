/*
 * test_ledger.c - log entries (core/ledger.h): the exact text of every event, format/parse round
 * trips, and refusal of everything but the canonical form (reordered, missing, duplicated or
 * extra lines, bad tags, dates, numbers and base64, stray bytes).
 */
#include "testutil.h"

#include "core/ledger.h"
#include "core/workdays.h"
#include "crypto/hash.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>

#define TAG "8c1e0f2a3b4c5d6e7f8091a2b3c4d5e6"
#define COMMIT "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2V7c="

static int64_t day(const char *iso)
{
    int64_t d;

    assert_int_equal(workdays_day_parse(iso, &d), 0);
    return d;
}

/* An entry of event @ev with every field its event has. */
static struct ledger_entry entry_make(enum ledger_event ev)
{
    struct ledger_entry e = {
        .event = ev, .day = -1, .ack_due = -1, .reply_due = -1, .first = -1, .last = -1};
    size_t n = 0;

    for (int i = 0; i < LEDGER_TAG_LEN; i++) {
        unsigned x;

        assert_int_equal(sscanf(TAG + 2 * i, "%2x", &x), 1);
        e.tag[i] = (uint8_t)x;
    }
    e.day = day("2026-11-27");
    if (ev == LEDGER_KEYS_BOUND)
        assert_int_equal(b64_decode(e.binding, 32, &n, COMMIT, strlen(COMMIT), false), 0);
    if (ev == LEDGER_FILED) {
        e.signers = 12;
        assert_int_equal(b64_decode(e.commitment, 32, &n, COMMIT, strlen(COMMIT), false), 0);
    }
    if (ev == LEDGER_FILED || ev == LEDGER_RESCHEDULED)
        e.ack_due = day("2026-12-01");
    if (ev == LEDGER_FILED || ev == LEDGER_ACKNOWLEDGED || ev == LEDGER_EXTENDED ||
        ev == LEDGER_RESCHEDULED || ev == LEDGER_CLARIFICATION)
        e.reply_due = day("2027-01-12");
    if (ledger_event_calendar(ev)) {
        memset(e.tag, 0, sizeof(e.tag));
        e.first = day("2026-12-24");
    }
    if (ledger_event_records(ev)) {
        memset(e.tag, 0, sizeof(e.tag));
        e.count = 3;
    }
    if (ev == LEDGER_AUDIT_HEAD) {
        memset(e.tag, 0, sizeof(e.tag));
        assert_int_equal(b64_decode(e.head, 32, &n, COMMIT, strlen(COMMIT), false), 0);
    }
    if (ev == LEDGER_CHANNEL_CHANGED) {
        memset(e.tag, 0, sizeof(e.tag));
        assert_int_equal(b64_decode(e.settings, 32, &n, COMMIT, strlen(COMMIT), false), 0);
    }
    if (ev == LEDGER_CLOCK_RESUMED)
        e.last = day("2027-01-05");
    if (ev == LEDGER_ESCALATED) {
        e.first = day("2026-11-20");
        e.rung = 2;
    }
    return e;
}

/* The expected text of entry_make(@ev). */
static void text_make(enum ledger_event ev, char *out, size_t cap)
{
    bool cal = ledger_event_calendar(ev) || ledger_event_records(ev) || ev == LEDGER_AUDIT_HEAD ||
               ev == LEDGER_CHANNEL_CHANGED;
    int n = snprintf(
        out, cap, "dissent-log/v1\nevent %s\n%s%sdate 2026-11-27\n%s%s%s%s%s%s%s%s",
        ledger_event_name(ev),
        cal                        ? ""
        : ledger_event_account(ev) ? "account "
                                   : "memo ",
        cal ? "" : TAG "\n",
        ev == LEDGER_CLOSURE_ADDED || ev == LEDGER_CLOSURE_REMOVED ? "closed 2026-12-24\n"
        : ev == LEDGER_ESCALATED                                   ? "missed 2026-11-20\nrung 2\n"
                                                                   : "",
        ev == LEDGER_CLOCK_STOPPED || ev == LEDGER_CLOCK_RESUMED ? "from 2026-12-24\n" : "",
        ev == LEDGER_CLOCK_RESUMED ? "until 2027-01-05\n"
        : ledger_event_records(ev) ? "count 3\n"
                                   : "",
        ev == LEDGER_AUDIT_HEAD ? "head " COMMIT "\n" : "",
        ev == LEDGER_CHANNEL_CHANGED ? "settings " COMMIT "\n" : "",
        ev == LEDGER_KEYS_BOUND ? "binding " COMMIT "\n" : "",
        ev == LEDGER_FILED         ? "signers 12\ncommitment " COMMIT "\nack-due 2026-12-01\n"
        : ev == LEDGER_RESCHEDULED ? "ack-due 2026-12-01\n"
                                   : "",
        ev == LEDGER_FILED || ev == LEDGER_ACKNOWLEDGED || ev == LEDGER_EXTENDED ||
                ev == LEDGER_RESCHEDULED || ev == LEDGER_CLARIFICATION
            ? "reply-due 2027-01-12\n"
            : "");

    assert_true(n > 0 && (size_t)n < cap);
}

static void expect_invalid(const char *text)
{
    struct ledger_entry e;

    if (ledger_entry_parse(text, strlen(text), &e) != ERR_INVALID)
        fail_msg("accepted a non-canonical entry:\n%s", text);
}

/* Replace the first occurrence of @from in @text by @to, into @out. */
static void replace(const char *text, const char *from, const char *to, char *out, size_t cap)
{
    const char *p = strstr(text, from);
    int n;

    assert_non_null(p);
    n = snprintf(out, cap, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
    assert_true(n > 0 && (size_t)n < cap);
}

static void test_event_names(void **state)
{
    static const char *const names[] = {
        "filed",           "acknowledged",      "declined",        "distributed",
        "extended",        "replied",           "closed",          "withdrawn",
        "reset",           "reset-confirmed",   "officer-added",   "officer-removed",
        "principal-added", "principal-removed", "channel-granted", "channel-revoked",
        "keys-bound",      "head-added",        "head-removed",    "rescheduled",
        "clarification",   "escalated",         "closure-added",   "closure-removed",
        "clock-stopped",   "clock-resumed",     "exported",        "held",
        "released",        "shredded",          "audit-head",      "channel-changed"};
    enum ledger_event ev;

    (void)state;
    for (int i = 0; i < LEDGER_EVENT_COUNT; i++) {
        assert_string_equal(ledger_event_name((enum ledger_event)i), names[i]);
        assert_int_equal(ledger_event_parse(names[i], &ev), 0);
        assert_int_equal(ev, i);
    }
    assert_null(ledger_event_name(LEDGER_EVENT_COUNT));
    assert_null(ledger_event_name((enum ledger_event) - 1));
    assert_int_equal(ledger_event_parse("Filed", &ev), ERR_INVALID);
    assert_int_equal(ledger_event_parse("", &ev), ERR_INVALID);
    assert_int_equal(ledger_event_parse("filed ", &ev), ERR_INVALID);
    assert_int_equal(sizeof(names) / sizeof(names[0]), LEDGER_EVENT_COUNT);
    for (int i = 0; i < LEDGER_EVENT_COUNT; i++) {
        assert_int_equal(ledger_event_account((enum ledger_event)i),
                         i >= LEDGER_RESET && i <= LEDGER_HEAD_REMOVED);
        assert_int_equal(ledger_event_calendar((enum ledger_event)i),
                         i >= LEDGER_CLOSURE_ADDED && i <= LEDGER_CLOCK_RESUMED);
        assert_int_equal(ledger_event_records((enum ledger_event)i),
                         i >= LEDGER_EXPORTED && i <= LEDGER_SHREDDED);
    }
}

/* A calendar event has no tag line, its own day lines only, and a stop ends on or after it
 * began. */
static void test_calendar_lines(void **state)
{
    char text[LEDGER_ENTRY_MAX], bad[LEDGER_ENTRY_MAX];
    struct ledger_entry e = entry_make(LEDGER_CLOCK_RESUMED);
    size_t len = 0;

    (void)state;
    text_make(LEDGER_CLOSURE_ADDED, text, sizeof(text));
    replace(text, "date ", "memo " TAG "\ndate ", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "closed 2026-12-24\n", "", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "closed ", "from ", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "closed 2026-12-24\n", "closed 2026-12-24\nuntil 2026-12-25\n", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_CLOCK_STOPPED, text, sizeof(text));
    replace(text, "from 2026-12-24\n", "from 2026-12-24\nuntil 2026-12-25\n", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_CLOCK_RESUMED, text, sizeof(text));
    replace(text, "until 2027-01-05\n", "", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "until 2027-01-05", "until 2026-12-23", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "until 2027-01-05", "until 2026-12-24", bad, sizeof(bad));
    assert_int_equal(ledger_entry_parse(bad, strlen(bad), &e), 0); /* a one-day stop */
    assert_int_equal(e.first, e.last);
    e.last = e.first - 1;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    /* an escalation has a missed day and a rung of 1 or 2, nothing else has them */
    text_make(LEDGER_ESCALATED, text, sizeof(text));
    replace(text, "rung 2", "rung 3", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "rung 2", "rung 02", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "rung 2\n", "", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_CLOSED, text, sizeof(text));
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nrung 1\n", bad, sizeof(bad));
    expect_invalid(bad);
    /* a memo event carries no calendar line */
    text_make(LEDGER_RESCHEDULED, text, sizeof(text));
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nclosed 2026-12-24\n", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "ack-due 2026-12-01\n", "", bad, sizeof(bad));
    expect_invalid(bad);
}

/* An audit-head entry has no tag and a 32-byte head, nothing else (not the record count). */
static void test_audit_head_lines(void **state)
{
    char text[LEDGER_ENTRY_MAX], bad[LEDGER_ENTRY_MAX];
    struct ledger_entry e = entry_make(LEDGER_AUDIT_HEAD);
    size_t len = 0;

    (void)state;
    assert_int_equal(ledger_entry_format(&e, text, &len), 0);
    text[len] = '\0';
    replace(text, "head ", "records 1234\nhead ", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "head ", "head AAAA", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "date", "memo " TAG "\ndate", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "head " COMMIT "\n", "", bad, sizeof(bad));
    expect_invalid(bad);
}

/* A memo event names a memo and an account event an account: the other line is refused. */
static void test_account_line(void **state)
{
    char text[LEDGER_ENTRY_MAX], bad[LEDGER_ENTRY_MAX];

    (void)state;
    text_make(LEDGER_RESET, text, sizeof(text));
    replace(text, "account ", "memo ", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_CLOSED, text, sizeof(text));
    replace(text, "memo ", "account ", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_CHANNEL_GRANTED, text, sizeof(text));
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nreply-due 2027-01-12\n", bad, sizeof(bad));
    expect_invalid(bad);
    /* keys-bound carries exactly one binding, and no other event has one */
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nbinding " COMMIT "\n", bad, sizeof(bad));
    expect_invalid(bad);
    text_make(LEDGER_KEYS_BOUND, text, sizeof(text));
    replace(text, "binding " COMMIT "\n", "", bad, sizeof(bad));
    expect_invalid(bad);
    replace(text, "binding " COMMIT "\n", "binding AAAA\n", bad, sizeof(bad));
    expect_invalid(bad);
}

/* Every event: the exact text, parse gives the fields back, format(parse(x)) == x. */
static void test_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < LEDGER_EVENT_COUNT; i++) {
        struct ledger_entry e = entry_make((enum ledger_event)i), back;
        char text[LEDGER_ENTRY_MAX], want[LEDGER_ENTRY_MAX], again[LEDGER_ENTRY_MAX];
        size_t len = 0, len2 = 0;

        text_make((enum ledger_event)i, want, sizeof(want));
        assert_int_equal(ledger_entry_format(&e, text, &len), 0);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(text, want, len);
        assert_int_equal(ledger_entry_parse(text, len, &back), 0);
        assert_int_equal(back.event, e.event);
        assert_memory_equal(back.tag, e.tag, LEDGER_TAG_LEN);
        assert_int_equal(back.day, e.day);
        assert_int_equal(back.signers, e.signers);
        assert_int_equal(back.ack_due, e.ack_due);
        assert_int_equal(back.reply_due, e.reply_due);
        assert_int_equal(back.first, e.first);
        assert_int_equal(back.last, e.last);
        assert_int_equal(back.rung, e.rung);
        if (i == LEDGER_FILED)
            assert_memory_equal(back.commitment, e.commitment, 32);
        assert_memory_equal(back.head, e.head, 32);
        assert_int_equal(ledger_entry_format(&back, again, &len2), 0);
        assert_int_equal(len2, len);
        assert_memory_equal(again, text, len);
    }
}

/* The limits of each field round-trip too. */
static void test_round_trip_edges(void **state)
{
    struct ledger_entry e = entry_make(LEDGER_FILED), back;
    char text[LEDGER_ENTRY_MAX];
    size_t len = 0;

    (void)state;
    e.signers = 1;
    e.day = WORKDAYS_DAY_MIN;
    e.ack_due = WORKDAYS_DAY_MAX;
    e.reply_due = WORKDAYS_DAY_MAX;
    memset(e.tag, 0, LEDGER_TAG_LEN);
    memset(e.commitment, 0xff, 32);
    assert_int_equal(ledger_entry_format(&e, text, &len), 0);
    assert_non_null(strstr(text, "memo 00000000000000000000000000000000\ndate 1970-01-01\n"));
    assert_non_null(strstr(text, "signers 1\n"));
    assert_non_null(strstr(text, "reply-due 9999-12-31\n"));
    assert_int_equal(ledger_entry_parse(text, len, &back), 0);
    assert_int_equal(back.day, WORKDAYS_DAY_MIN);
    assert_int_equal(back.reply_due, WORKDAYS_DAY_MAX);
    e.signers = 1000000;
    assert_int_equal(ledger_entry_format(&e, text, &len), 0);
    assert_int_equal(ledger_entry_parse(text, len, &back), 0);
    assert_int_equal(back.signers, 1000000);
}

/* Formatting refuses entries missing a field their event needs. */
static void test_format_errors(void **state)
{
    struct ledger_entry e;
    char text[LEDGER_ENTRY_MAX];
    size_t len = 99;

    (void)state;
    e = entry_make(LEDGER_FILED);
    e.signers = 0;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    assert_int_equal(len, 0);
    e = entry_make(LEDGER_FILED);
    e.ack_due = -1;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    e = entry_make(LEDGER_EXTENDED);
    e.reply_due = -1;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    e = entry_make(LEDGER_CLOSED);
    e.day = -1;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    e.day = WORKDAYS_DAY_MAX + 1;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
    e = entry_make(LEDGER_CLOSED);
    e.event = LEDGER_EVENT_COUNT;
    assert_int_equal(ledger_entry_format(&e, text, &len), ERR_INVALID);
}

/* Reordered lines, for every pair of adjacent lines of every event. */
static void test_reordered(void **state)
{
    (void)state;
    for (int ev = 0; ev < LEDGER_EVENT_COUNT; ev++) {
        char text[LEDGER_ENTRY_MAX], *lines[10], *save = NULL, *l;
        size_t n = 0;

        text_make((enum ledger_event)ev, text, sizeof(text));
        for (l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
            lines[n++] = l;
        for (size_t i = 0; i + 1 < n; i++) {
            char out[LEDGER_ENTRY_MAX];
            size_t o = 0;

            for (size_t j = 0; j < n; j++) {
                size_t k = j == i ? i + 1 : j == i + 1 ? i : j;

                o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", lines[k]);
            }
            expect_invalid(out);
        }
    }
}

/* Missing, duplicated and extra lines. */
static void test_missing_extra(void **state)
{
    char text[LEDGER_ENTRY_MAX], out[LEDGER_ENTRY_MAX + 64];
    static const char *const filed_lines[] = {"dissent-log/v1\n",     "event filed\n",
                                              "memo " TAG "\n",       "date 2026-11-27\n",
                                              "signers 12\n",         "commitment " COMMIT "\n",
                                              "ack-due 2026-12-01\n", "reply-due 2027-01-12\n"};

    (void)state;
    /* each line of a filed entry, removed */
    text_make(LEDGER_FILED, text, sizeof(text));
    for (size_t i = 0; i < 8; i++) {
        replace(text, filed_lines[i], "", out, sizeof(out));
        expect_invalid(out);
        /* and doubled */
        char twice[128];

        snprintf(twice, sizeof(twice), "%s%s", filed_lines[i], filed_lines[i]);
        replace(text, filed_lines[i], twice, out, sizeof(out));
        expect_invalid(out);
    }
    /* fields of another event */
    text_make(LEDGER_CLOSED, text, sizeof(text));
    snprintf(out, sizeof(out), "%sreply-due 2027-01-12\n", text);
    expect_invalid(out);
    snprintf(out, sizeof(out), "%ssigners 3\n", text);
    expect_invalid(out);
    text_make(LEDGER_ACKNOWLEDGED, text, sizeof(text));
    replace(text, "reply-due", "ack-due", out, sizeof(out));
    expect_invalid(out);
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nsigners 3\n", out, sizeof(out));
    expect_invalid(out);
    text_make(LEDGER_EXTENDED, text, sizeof(text));
    replace(text, "reply-due 2027-01-12\n", "", out, sizeof(out));
    expect_invalid(out);
    /* an unknown key, an unknown header, a key without value */
    text_make(LEDGER_REPLIED, text, sizeof(text));
    snprintf(out, sizeof(out), "%snote hello\n", text);
    expect_invalid(out);
    replace(text, "dissent-log/v1", "dissent-log/v2", out, sizeof(out));
    expect_invalid(out);
    replace(text, "event replied", "event", out, sizeof(out));
    expect_invalid(out);
    replace(text, "event replied", "event sent", out, sizeof(out));
    expect_invalid(out);
    replace(text, "event replied", "event Replied", out, sizeof(out));
    expect_invalid(out);
}

static void test_bad_tag(void **state)
{
    static const char *const tags[] = {
        "8C1E0F2A3B4C5D6E7F8091A2B3C4D5E6",  /* upper case */
        "8c1e0f2a3b4c5d6e7f8091a2b3c4d5e",   /* 31 digits */
        "8c1e0f2a3b4c5d6e7f8091a2b3c4d5e60", /* 33 digits */
        "8c1e0f2a3b4c5d6e7f8091a2b3c4d5eg",  /* not hex */
        " c1e0f2a3b4c5d6e7f8091a2b3c4d5e6",  /* a space */
        "+c1e0f2a3b4c5d6e7f8091a2b3c4d5e6",  /* a sign */
        "",
    };
    char text[LEDGER_ENTRY_MAX], out[LEDGER_ENTRY_MAX];

    (void)state;
    text_make(LEDGER_DISTRIBUTED, text, sizeof(text));
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        replace(text, TAG, tags[i], out, sizeof(out));
        expect_invalid(out);
    }
}

static void test_bad_dates_numbers(void **state)
{
    static const char *const dates[] = {
        "2026-02-29", "2026-13-01",  "2026-11-31",  "1969-12-31", "26-11-27", "2026-1-27",
        "2026/11/27", "2026-11-27 ", " 2026-11-27", "20261127",   ""};
    static const char *const signers[] = {"0",    "012", "-1",  "+12", "1000001",
                                          "12.0", "1e2", " 12", ""};
    char text[LEDGER_ENTRY_MAX], out[LEDGER_ENTRY_MAX], line[64];

    (void)state;
    text_make(LEDGER_FILED, text, sizeof(text));
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        static const char *const keys[] = {"date 2026-11-27", "ack-due 2026-12-01",
                                           "reply-due 2027-01-12"};
        for (size_t k = 0; k < 3; k++) {
            char key[16];

            snprintf(key, sizeof(key), "%.*s", (int)(strchr(keys[k], ' ') - keys[k]), keys[k]);
            snprintf(line, sizeof(line), "%s %s", key, dates[i]);
            replace(text, keys[k], line, out, sizeof(out));
            expect_invalid(out);
        }
    }
    for (size_t i = 0; i < sizeof(signers) / sizeof(signers[0]); i++) {
        snprintf(line, sizeof(line), "signers %s", signers[i]);
        replace(text, "signers 12", line, out, sizeof(out));
        expect_invalid(out);
    }
    /* the commitment: not base64, 31 or 33 bytes, unpadded, non-canonical last character */
    replace(text, COMMIT, "not base64", out, sizeof(out));
    expect_invalid(out);
    replace(text, COMMIT, "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2Vw==", out, sizeof(out));
    expect_invalid(out);
    replace(text, COMMIT, "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2V7cA", out, sizeof(out));
    expect_invalid(out);
    replace(text, COMMIT, "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2V7c", out, sizeof(out));
    expect_invalid(out);
    replace(text, COMMIT, "2ANv5k5kbZ0B0aVKWrt7JHnhB4/y53FwGUT1vSv2V7d=", out, sizeof(out));
    expect_invalid(out);
    replace(text, COMMIT, "2ANv5k5kbZ0B0aVKWrt7JHnhB4_y53FwGUT1vSv2V7c=", out, sizeof(out));
    expect_invalid(out);
}

/* Stray bytes anywhere: trailing junk, blank lines, CR, spaces, NUL, no final LF, too long. */
static void test_trailing_junk(void **state)
{
    char text[LEDGER_ENTRY_MAX], out[LEDGER_ENTRY_MAX + 64];
    struct ledger_entry e;
    size_t len;

    (void)state;
    text_make(LEDGER_WITHDRAWN, text, sizeof(text));
    len = strlen(text);
    assert_int_equal(ledger_entry_parse(text, len, &e), 0);
    snprintf(out, sizeof(out), "%sx", text);
    expect_invalid(out);
    snprintf(out, sizeof(out), "%s\n", text);
    expect_invalid(out);
    snprintf(out, sizeof(out), "%sx\n", text);
    expect_invalid(out);
    snprintf(out, sizeof(out), "\n%s", text);
    expect_invalid(out);
    replace(text, "\n", "\r\n", out, sizeof(out));
    expect_invalid(out);
    replace(text, "event withdrawn", "event  withdrawn", out, sizeof(out));
    expect_invalid(out);
    replace(text, "event withdrawn", "event withdrawn ", out, sizeof(out));
    expect_invalid(out);
    replace(text, "date 2026-11-27\n", "\ndate 2026-11-27\n", out, sizeof(out));
    expect_invalid(out);
    /* no final newline; a NUL inside; the empty entry; over the size limit */
    assert_int_equal(ledger_entry_parse(text, len - 1, &e), ERR_INVALID);
    memcpy(out, text, len);
    out[len - 2] = '\0';
    assert_int_equal(ledger_entry_parse(out, len, &e), ERR_INVALID);
    assert_int_equal(ledger_entry_parse("", 0, &e), ERR_INVALID);
    memset(out, 'a', sizeof(out));
    out[LEDGER_ENTRY_MAX] = '\n';
    assert_int_equal(ledger_entry_parse(out, LEDGER_ENTRY_MAX + 1, &e), ERR_INVALID);
}

/* ledger_commitment() is SHA-256(salt || digest). */
/* A memo event of channel 2 and later names its channel right after the event (docs/channels.md);
 * channel 1's never does, nor any other event. */
static void test_channel_line(void **state)
{
    char text[LEDGER_ENTRY_MAX + 1], with[LEDGER_ENTRY_MAX + 1], out[LEDGER_ENTRY_MAX];
    struct ledger_entry e;
    size_t len = 0;

    text_make(LEDGER_FILED, text, sizeof(text));
    replace(text, "event filed\n", "event filed\nchannel 7\n", with, sizeof(with));
    assert_int_equal(ledger_entry_parse(with, strlen(with), &e), 0);
    assert_int_equal(e.channel, 7);
    assert_int_equal(ledger_entry_format(&e, out, &len), 0);
    assert_int_equal(len, strlen(with));
    assert_memory_equal(out, with, len);
    /* without the line: channel 1's, as every entry written before */
    assert_int_equal(ledger_entry_parse(text, strlen(text), &e), 0);
    assert_int_equal(e.channel, 0);
    e.channel = 1; /* channel 1 written: no line */
    assert_int_equal(ledger_entry_format(&e, out, &len), 0);
    assert_memory_equal(out, text, len);
    /* only the canonical form: channel 1 named, 65, 0, a leading zero, the line elsewhere */
    const char *bad[] = {"channel 1\n",  "channel 65\n", "channel 0\n",
                         "channel 07\n", "channel x\n",  "channel \n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "event filed\n%s", bad[i]);
        replace(text, "event filed\n", line, with, sizeof(with));
        expect_invalid(with);
    }
    replace(text, "date 2026-11-27\n", "date 2026-11-27\nchannel 7\n", with, sizeof(with));
    expect_invalid(with);
    /* on the account events of a channel's key and roles, round trip */
    const enum ledger_event some[] = {LEDGER_CHANNEL_GRANTED, LEDGER_OFFICER_ADDED,
                                      LEDGER_PRINCIPAL_REMOVED, LEDGER_HEAD_ADDED,
                                      LEDGER_CHANNEL_CHANGED};
    for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
        char ev[64], line[96];
        text_make(some[i], text, sizeof(text));
        snprintf(ev, sizeof(ev), "event %s\n", ledger_event_name(some[i]));
        snprintf(line, sizeof(line), "%schannel 3\n", ev);
        replace(text, ev, line, with, sizeof(with));
        assert_int_equal(ledger_entry_parse(with, strlen(with), &e), 0);
        assert_int_equal(e.channel, 3);
        assert_int_equal(ledger_entry_format(&e, out, &len), 0);
        assert_int_equal(len, strlen(with));
        assert_memory_equal(out, with, len);
    }
    /* never on another account event, a calendar or records event, nor the read audit's
     * anchor */
    const enum ledger_event none[] = {LEDGER_RESET,         LEDGER_KEYS_BOUND, LEDGER_CLOSURE_ADDED,
                                      LEDGER_CLOCK_RESUMED, LEDGER_EXPORTED,   LEDGER_AUDIT_HEAD};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        char ev[64];
        text_make(none[i], text, sizeof(text));
        snprintf(ev, sizeof(ev), "event %s\n", ledger_event_name(none[i]));
        char line[96];
        snprintf(line, sizeof(line), "%schannel 3\n", ev);
        replace(text, ev, line, with, sizeof(with));
        expect_invalid(with);
        assert_int_equal(ledger_entry_parse(text, strlen(text), &e), 0);
        e.channel = 3;
        assert_int_equal(ledger_entry_format(&e, out, &len), ERR_INVALID);
    }
}

static void test_commitment(void **state)
{
    uint8_t salt[LEDGER_SALT_LEN], digest[32], buf[64], want[32], got[32];

    (void)state;
    for (int i = 0; i < 32; i++) {
        salt[i] = (uint8_t)i;
        digest[i] = (uint8_t)(255 - i);
    }
    memcpy(buf, salt, 32);
    memcpy(buf + 32, digest, 32);
    hash_sha256(want, buf, sizeof(buf));
    ledger_commitment(salt, digest, got);
    assert_memory_equal(got, want, 32);
    salt[0] ^= 1;
    ledger_commitment(salt, digest, got);
    assert_memory_not_equal(got, want, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_names),      cmocka_unit_test(test_account_line),
        cmocka_unit_test(test_channel_line),     cmocka_unit_test(test_audit_head_lines),
        cmocka_unit_test(test_calendar_lines),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_edges), cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_reordered),        cmocka_unit_test(test_missing_extra),
        cmocka_unit_test(test_bad_tag),          cmocka_unit_test(test_bad_dates_numbers),
        cmocka_unit_test(test_trailing_junk),    cmocka_unit_test(test_commitment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
