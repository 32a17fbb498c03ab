/*
 * stats_bench - the statistics state (core/stats.h) at a channel's scale, without a server:
 * MEMOS memos filed over years (each acknowledged, most replied to and closed, a tenth still
 * open), fed once, then the time of stats_finish(), which a request pays once per new checkpoint
 * and day, and of the whole feed, which a server pays once after it starts (api/stats.c).
 * Usage: stats_bench [MEMOS]   (default 100000)
 */
#include "core/ledger.h"
#include "core/stats.h"
#include "core/workdays.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct ledger_entry entry(enum ledger_event ev, long i, int64_t day)
{
    struct ledger_entry e;

    uint64_t z = (uint64_t)i * 0x9E3779B97F4A7C15ull; /* a tag looks random, as real ones do */

    memset(&e, 0, sizeof(e));
    e.event = ev;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    memcpy(e.tag, &z, sizeof(z));
    e.day = day;
    e.first = -1;
    e.last = -1;
    return e;
}

int main(int argc, char **argv)
{
    long memos = argc > 1 ? atol(argv[1]) : 100000;
    struct workdays_calendar cal;
    struct stats_state *st = stats_new();
    struct ledger_stats s;
    int64_t start = 19000; /* days since 1970: 2022 */
    double t0, t1, t2, first, best = 1e9;
    long fed = 0;

    if (st == NULL || memos <= 0 || workdays_calendar_init(&cal, WORKDAYS_FEDERAL, NULL, 0) != 0)
        return 1;
    t0 = now_ms();
    for (long i = 0; i < memos; i++) {
        int64_t filed = start + i * 1500 / memos; /* four years of filings */
        struct ledger_entry e = entry(LEDGER_FILED, i, filed);
        e.signers = 1 + (int)(i % 40);
        e.ack_due = filed + 5;
        e.reply_due = filed + 60;
        if (stats_feed(st, &e) != 0)
            return 1;
        fed++;
        e = entry(LEDGER_ACKNOWLEDGED, i, filed + 1 + i % 7);
        e.reply_due = filed + 60;
        if (stats_feed(st, &e) != 0)
            return 1;
        fed++;
        if (i % 10 == 9)
            continue; /* open, waiting on its reply */
        e = entry(LEDGER_REPLIED, i, filed + 20 + i % 50);
        if (stats_feed(st, &e) != 0)
            return 1;
        e = entry(LEDGER_CLOSED, i, filed + 21 + i % 50);
        if (stats_feed(st, &e) != 0)
            return 1;
        fed += 2;
    }
    t1 = now_ms();
    if (stats_finish(st, &cal, start + 1600, &s) != 0)
        return 1;
    first = now_ms() - t1;
    stats_release(&s);
    /* then as a server does: a few entries more (a new checkpoint), the figures again */
    for (int r = 0; r < 5; r++) {
        struct ledger_entry e = entry(LEDGER_FILED, memos + r, start + 1600);
        e.signers = 3;
        e.ack_due = start + 1605;
        e.reply_due = start + 1660;
        if (stats_feed(st, &e) != 0)
            return 1;
        e = entry(LEDGER_CLOSED, r * 10, start + 1600); /* an old memo: an anomaly, closed */
        if (stats_feed(st, &e) != 0)
            return 1;
        t2 = now_ms();
        if (stats_finish(st, &cal, start + 1600 + r, &s) != 0)
            return 1;
        t2 = now_ms() - t2;
        best = t2 < best ? t2 : best;
        if (r == 0)
            printf("figures: %llu entries, open %llu, replied on time %llu, median days to "
                   "reply %.1f\n",
                   (unsigned long long)s.log_size, (unsigned long long)s.open,
                   (unsigned long long)s.replied.on_time, s.to_reply.median);
        stats_release(&s);
    }
    printf("memos %ld, entries %ld: feed %.0f ms (%.2f us/entry); figures: first %.1f ms (every "
           "memo counted), after two entries more %.2f ms (best of 5)\n",
           memos, fed, t1 - t0, (t1 - t0) * 1e3 / fed, first, best);
    stats_free(st);
    workdays_calendar_release(&cal);
    return 0;
}
