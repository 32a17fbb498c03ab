/*
 * stats.c - statistics from the log's entries (see stats.h for the rules).
 *
 * One pass over the entries keeps one record per filed memo, found by tag in an open-addressing
 * table (tags are random, so their first bytes hash well). The figures are made from the records
 * (stats_finish()): what each memo adds to the samples and counts that need no "today" is kept
 * (struct stats_part) in histograms of the values (struct hist, whose medians need no sort of
 * every sample), and only the records changed since the last figures are counted again, so
 * that making them again after a few new entries costs those entries and the open memos, not
 * the history. A different calendar counts every record again (its working days are others).
 */
#include "core/stats.h"

#include "util/err.h"
#include "util/mem.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * What one memo adds to the figures that need no "today" (as stats_finish() counted it, in the
 * calendar of that moment): subtracted and added again when the memo changes.
 */
struct stats_part {
    bool counted;                             /* in the histograms and counts now */
    bool ack, reply, closed;                  /* samples it has: a response, a reply, a close */
    int64_t ack_days, reply_days, close_days; /* working days from the filing to each */
    bool ack_on_time, reply_on_time;          /* against the due dates */
    bool ack_missed, reply_missed;            /* missed before a decline or withdrawal stopped it */
    bool declined, withdrawn;                 /* how it ended, if so */
};

/* What the log says about one memo so far. */
struct stats_memo {
    uint8_t tag[LEDGER_TAG_LEN]; /* the memo's tag */
    int64_t filed;               /* filing day */
    int64_t ack_due;             /* acknowledgement due day */
    int64_t reply_due;           /* the reply-due in force */
    int64_t response;            /* first acknowledged-or-declined day, -1 when none */
    int64_t reply;               /* first replied day, -1 when none */
    bool reply_on_time;          /* reply <= the reply-due in force before it, or paused */
    bool ack_paused;             /* the response came while a clock stop paused ack-due */
    bool stop_paused_ack;        /* it ended (declined, withdrawn) while a stop paused ack-due */
    bool stop_paused_reply;      /* ... or the reply-due in force */
    bool clarifying;             /* a clarification was asked and not answered yet */
    int64_t esc_missed;          /* the missed due day the escalation entries so far name */
    unsigned esc_rungs;          /* its rungs logged: bit 0 rung 1, bit 1 rung 2 */
    bool acknowledged;           /* an acknowledged or extended entry was seen */
    bool ended;                  /* closed, declined or withdrawn */
    int64_t stopped;             /* the day it was declined or withdrawn, -1 when not */
    int64_t closed;              /* the day of its "closed" entry, -1 when none */
    enum ledger_event end;       /* the entry that ended it (closed, declined, withdrawn) */
    int signers;                 /* co-signatures at filing */
    struct stats_part part;      /* what it adds to the figures (stats_finish()) */
    bool dirty;                  /* changed since: counted again at the next figures */
    bool listed;                 /* in the list of open memos (struct stats_fold) */
};

/* The memo table: @cap slots (a power of two), each NULL or a record of @memos. */
struct stats_table {
    struct stats_memo *memos; /* records, in filing order */
    size_t count;             /* records used */
    size_t room;              /* records allocated (grown as memos are filed) */
    size_t *slots;            /* open addressing by tag: a record's index + 1, 0 for none */
    size_t cap;               /* slots (a power of two, at least twice @count) */
    int64_t stop_from;        /* the clock stop running, or the last one ended: its first day */
    int64_t resumed_on;       /* the date of the clock-resumed entry that ended it, or -1 */
    bool stop_running;        /* a clock-stopped entry without a clock-resumed after it */
    int64_t block_day;        /* the date of the calendar entry that the entries since (all of them
                                 rescheduled) follow; -1 when another entry came between */
};

/* Whether a rescheduled entry dated @day may move a deadline due on @due (stats.h). */
static bool may_move(const struct stats_table *t, int64_t day, int64_t due)
{
    return day <= due || (t->resumed_on == day && t->stop_from >= 0 && due >= t->stop_from);
}

/* Whether a deadline due on @due is paused on @day by the running clock stop (stats.h). */
static bool paused_on(const struct stats_table *t, int64_t day, int64_t due)
{
    return t->stop_running && t->stop_from <= day && due >= t->stop_from;
}

/* A calendar entry: the clock stop's state; *@valid false when it breaks the rules (stats.h). */
static void calendar_apply(struct stats_table *t, const struct ledger_entry *e, bool *valid)
{
    switch (e->event) {
    case LEDGER_CLOCK_STOPPED:
        *valid = !t->stop_running && e->first >= e->day;
        if (*valid) {
            t->stop_from = e->first;
            t->stop_running = true;
            t->resumed_on = -1;
        }
        break;
    case LEDGER_CLOCK_RESUMED:
        *valid = t->stop_running && e->first == t->stop_from && e->last >= e->day - 1;
        if (*valid) {
            t->stop_running = false;
            t->resumed_on = e->day;
        }
        break;
    case LEDGER_CLOSURE_ADDED:
        *valid = e->first >= e->day;
        break;
    default: /* closure-removed */
        *valid = e->first > e->day;
        break;
    }
}

static size_t tag_hash(const uint8_t tag[LEDGER_TAG_LEN])
{
    uint64_t h = 0;

    for (int i = 0; i < 8; i++)
        h = (h << 8) | tag[i];
    return (size_t)h;
}

/* The slot of @tag: the record's, or the empty one where it would go. */
static size_t *table_slot(const struct stats_table *t, const uint8_t tag[LEDGER_TAG_LEN])
{
    size_t i;

    if (t->cap == 0) /* no memo yet */
        return NULL;
    i = tag_hash(tag) & (t->cap - 1);

    while (t->slots[i] != 0 && memcmp(t->memos[t->slots[i] - 1].tag, tag, LEDGER_TAG_LEN) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

/* Room for one more record, and slots at least twice the records (rehashed when grown). */
static int table_grow(struct stats_table *t)
{
    struct stats_memo *m = mem_grow(t->memos, &t->room, t->count, sizeof(*m), 64);

    if (m == NULL)
        return ERR_NOMEM;
    t->memos = m;
    if (2 * (t->count + 1) > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 128, *old = t->slots, oldcap = t->cap;
        if ((t->slots = mem_calloc(cap, sizeof(*t->slots))) == NULL) {
            t->slots = old;
            return ERR_NOMEM;
        }
        t->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i] != 0)
                *table_slot(t, t->memos[old[i] - 1].tag) = old[i];
        mem_free(old);
    }
    return 0;
}

/* Count a filing in @year-@month: the months are kept sorted. */
static int month_add(struct ledger_stats *s, size_t *cap, int year, int month)
{
    size_t i = s->nmonths;

    while (i > 0 && (s->months[i - 1].year > year ||
                     (s->months[i - 1].year == year && s->months[i - 1].month > month)))
        i--;
    if (i > 0 && s->months[i - 1].year == year && s->months[i - 1].month == month) {
        s->months[i - 1].count++;
        return 0;
    }
    if (s->nmonths == *cap) {
        size_t want = *cap ? *cap * 2 : 16;
        struct stats_month *grown = mem_realloc(s->months, want * sizeof(*grown));

        if (grown == NULL)
            return ERR_NOMEM;
        s->months = grown;
        *cap = want;
    }
    memmove(&s->months[i + 1], &s->months[i], (s->nmonths - i) * sizeof(*s->months));
    s->months[i] = (struct stats_month){year, month, 1};
    s->nmonths++;
    return 0;
}

/* An extension honoured: from the due date it replaced to the new one (its length in working
 * days is counted when the figures are made, in the calendar of that moment). */
struct stats_ext {
    int64_t from, to;
};

/*
 * A multiset of whole numbers: how many samples have each value, in an open-addressing table
 * (a value's slot, or the empty one where it would go). Values stay once seen (their count may
 * drop to 0): the distinct values of working days and signers are few.
 */
#define HIST_EMPTY INT64_MIN

struct hist {
    int64_t *val;  /* HIST_EMPTY for an empty slot */
    uint64_t *cnt; /* samples of that value */
    size_t cap;    /* slots, a power of two, 0 before the first value */
    size_t used;   /* values */
};

static size_t hist_slot(const struct hist *h, int64_t v)
{
    uint64_t x = (uint64_t)v * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(x >> 32) & (h->cap - 1);

    while (h->val[i] != HIST_EMPTY && h->val[i] != v)
        i = (i + 1) & (h->cap - 1);
    return i;
}

/* @v's count moved by @delta (+1 or -1). 0 or ERR_NOMEM (@h unchanged). */
static int hist_add(struct hist *h, int64_t v, int delta)
{
    size_t i = h->cap > 0 ? hist_slot(h, v) : 0;

    if (h->cap == 0 || (h->val[i] == HIST_EMPTY && 2 * (h->used + 1) > h->cap)) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        int64_t *val = mem_alloc(cap * sizeof(*val));
        uint64_t *cnt = mem_calloc(cap, sizeof(*cnt));
        struct hist g = {val, cnt, cap, h->used};
        if (val == NULL || cnt == NULL) {
            mem_free(val);
            mem_free(cnt);
            return ERR_NOMEM;
        }
        for (size_t k = 0; k < cap; k++)
            val[k] = HIST_EMPTY;
        for (size_t k = 0; k < h->cap; k++)
            if (h->val[k] != HIST_EMPTY) {
                size_t j = hist_slot(&g, h->val[k]);
                val[j] = h->val[k];
                cnt[j] = h->cnt[k];
            }
        mem_free(h->val);
        mem_free(h->cnt);
        *h = g;
    }
    i = hist_slot(h, v);
    if (h->val[i] == HIST_EMPTY) {
        h->val[i] = v;
        h->used++;
    }
    h->cnt[i] = delta > 0 ? h->cnt[i] + 1 : h->cnt[i] - 1;
    return 0;
}

static void hist_clear(struct hist *h)
{
    mem_free(h->val);
    mem_free(h->cnt);
    memset(h, 0, sizeof(*h));
}

struct hist_pair {
    int64_t v;
    uint64_t n;
};

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = ((const struct hist_pair *)a)->v, y = ((const struct hist_pair *)b)->v;

    return (x > y) - (x < y);
}

/* The @k-th smallest sample (from 0) of the sorted @p[0..@n). */
static int64_t kth(const struct hist_pair *p, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++) {
        if (k < p[i].n)
            return p[i].v;
        k -= p[i].n;
    }
    return 0;
}

/* Summarise @h's samples, as summarise() does a list of them. 0 or ERR_NOMEM. */
static int hist_summarise(const struct hist *h, struct stats_summary *out)
{
    struct hist_pair *p;
    size_t n = 0;
    uint64_t count = 0;
    double sum = 0;

    memset(out, 0, sizeof(*out));
    if (h->used == 0)
        return 0;
    if ((p = mem_alloc(h->used * sizeof(*p))) == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < h->cap; i++)
        if (h->val[i] != HIST_EMPTY && h->cnt[i] > 0)
            p[n++] = (struct hist_pair){h->val[i], h->cnt[i]};
    qsort(p, n, sizeof(*p), cmp_pair);
    for (size_t i = 0; i < n; i++) {
        count += p[i].n;
        sum += (double)p[i].v * (double)p[i].n; /* whole numbers far below 2^53: exact */
    }
    if (count > 0) {
        out->count = count;
        out->mean = sum / (double)count;
        out->median = count % 2
                          ? (double)kth(p, n, count / 2)
                          : ((double)kth(p, n, count / 2 - 1) + (double)kth(p, n, count / 2)) / 2;
        out->max = p[n - 1].v;
    }
    mem_free(p);
    return 0;
}

/*
 * What stats_finish() keeps between two calls: the parts of every memo counted (the samples in
 * histograms, the counts in @done), the extensions counted, the memos changed since (@dirty) and
 * those still open (@open, whose figures depend on the day), all in the calendar @cal with the
 * runtime snapshot @runtime. Another calendar counts everything again.
 */
struct stats_fold {
    bool valid;
    const struct workdays_calendar *cal;
    const void *runtime;
    struct hist sig, ack, rep, clo, ext;
    struct ledger_stats done; /* only acked/replied on_time and late, declined, withdrawn */
    size_t ext_done;          /* extensions counted */
    size_t *dirty;            /* memos (indexes) changed since the last figures */
    size_t ndirty, dirtycap;
    size_t *open; /* memos open at the last figures, and those filed since */
    size_t nopen, opencap;
};

/*
 * What the entries fed so far leave: the table of memos, the figures that need no "today"
 * (struct ledger_stats's phase one), and the extensions. Fed one entry at a time
 * (stats_feed()), in log order; stats_finish() makes the figures of a day from it, as often as
 * asked, without changing it.
 */
struct stats_state {
    struct stats_table t;
    struct ledger_stats acc; /* months (owned), accounts, records, escalations, anomalies, ... */
    size_t mcap;             /* months allocated */
    struct stats_ext *ext;
    size_t next, extcap;
    uint64_t fed;           /* entries fed */
    int64_t channel;        /* only this channel's memo events (0: every channel's) */
    struct stats_fold fold; /* stats_finish()'s counts, kept */
    bool fold_failed;       /* a memo could not be listed as changed: count everything again */
};

static int list_add(size_t **list, size_t *n, size_t *cap, size_t i);
static void fold_reset(struct stats_state *st);

/* Apply one entry to the table; *@anomaly is set when it is ignored. */
static int entry_apply(struct stats_state *st, const struct ledger_entry *e, bool *anomaly)
{
    struct stats_table *t = &st->t;
    struct ledger_stats *s = &st->acc;
    size_t *slot = table_slot(t, e->tag);
    struct stats_memo *m = slot != NULL && *slot ? &t->memos[*slot - 1] : NULL;
    int year, month, mday, rc;

    *anomaly = false;
    if (e->day < WORKDAYS_DAY_MIN || e->day > WORKDAYS_DAY_MAX)
        return ERR_INVALID;
    /* the read audit's anchors concern no memo (and never part a calendar entry from the
     * rescheduled entries it made) */
    if (e->event == LEDGER_AUDIT_HEAD) {
        s->audit_heads++;
        return 0;
    }
    if (e->event == LEDGER_CHANNEL_CHANGED) /* a channel's rules set: in the log, in no figure */
        return 0;
    /* rescheduled entries count only right after the calendar entry that made them */
    if (e->event != LEDGER_RESCHEDULED)
        t->block_day = -1;
    if (ledger_event_account(e->event)) {
        s->accounts[e->event - LEDGER_RESET]++;
        return 0;
    }
    if (ledger_event_records(e->event)) {
        s->records[e->event - LEDGER_EXPORTED] += e->count;
        return 0;
    }
    if (ledger_event_calendar(e->event)) {
        bool valid = false;
        calendar_apply(t, e, &valid);
        *anomaly = !valid;
        if (valid && e->event != LEDGER_CLOCK_STOPPED)
            t->block_day = e->day;
        return 0;
    }
    if (e->event == LEDGER_FILED) {
        if (m != NULL) {
            *anomaly = true;
            return 0;
        }
        rc = workdays_day_to_date(e->day, &year, &month, &mday);
        if (rc == 0)
            rc = table_grow(t);
        if (rc == 0)
            rc = month_add(s, &st->mcap, year, month);
        if (rc != 0)
            return rc;
        slot = table_slot(t, e->tag); /* the slots may have been made again */
        m = &t->memos[t->count++];
        *m = (struct stats_memo){.filed = e->day,
                                 .ack_due = e->ack_due,
                                 .reply_due = e->reply_due,
                                 .response = -1,
                                 .reply = -1,
                                 .stopped = -1,
                                 .closed = -1,
                                 .esc_missed = -1,
                                 .signers = e->signers};
        memcpy(m->tag, e->tag, LEDGER_TAG_LEN);
        *slot = t->count; /* its index + 1 */
        return 0;
    }
    if (m == NULL || e->day < m->filed) {
        *anomaly = true;
        return 0;
    }
    /* nothing answers or declines a memo that ended, or one waiting on a clarification */
    if ((e->event == LEDGER_REPLIED && m->ended) ||
        (e->event == LEDGER_DECLINED && m->clarifying)) {
        *anomaly = true;
        return 0;
    }
    switch (e->event) {
    case LEDGER_ACKNOWLEDGED:
    case LEDGER_DECLINED:
        if (m->response < 0) {
            m->response = e->day;
            m->ack_paused = paused_on(t, e->day, m->ack_due);
        }
        if (e->event == LEDGER_DECLINED) {
            if (!m->ended) {
                m->stopped = e->day;
                m->end = LEDGER_DECLINED;
                m->stop_paused_ack = paused_on(t, e->day, m->ack_due);
                m->stop_paused_reply = paused_on(t, e->day, m->reply_due);
            }
            m->ended = true;
        } else {
            m->acknowledged = true;
            m->reply_due = e->reply_due;
        }
        break;
    case LEDGER_EXTENDED:
        /* an extension is granted until the due date in force, never after (core/workflow.h):
         * a later one would launder a late reply, so it moves nothing and is an anomaly */
        /* ... and only before the reply (the reply to a clarification has none) */
        if (e->day > m->reply_due || m->reply >= 0) {
            *anomaly = true;
            return 0;
        }
        struct stats_ext *x = mem_grow(st->ext, &st->extcap, st->next, sizeof(*x), 64);
        if (x == NULL)
            return ERR_NOMEM;
        st->ext = x;
        st->ext[st->next++] = (struct stats_ext){m->reply_due, e->reply_due};
        m->acknowledged = true;
        m->reply_due = e->reply_due;
        break;
    case LEDGER_RESCHEDULED: {
        bool block = t->block_day == e->day;
        bool ack = block && m->response < 0 && may_move(t, e->day, m->ack_due);
        bool reply = block && (m->reply < 0 || m->clarifying) && may_move(t, e->day, m->reply_due);
        if (ack)
            m->ack_due = e->ack_due;
        if (reply)
            m->reply_due = e->reply_due;
        *anomaly = !ack && !reply;
        break;
    }
    case LEDGER_ESCALATED: {
        /* a rung of the deadline the memo waits on, reached after it was missed: each rung once,
         * the second after the first */
        int64_t waits = m->response < 0 ? m->ack_due : m->reply_due;
        bool waiting = !m->ended && (m->reply < 0 || m->clarifying);
        unsigned bits = m->esc_missed == e->first ? m->esc_rungs : 0;
        if (!waiting || e->first != waits || e->day <= e->first || (bits & (1u << (e->rung - 1))) ||
            (e->rung == 2 && !(bits & 1u))) {
            *anomaly = true;
            return 0;
        }
        m->esc_missed = e->first;
        m->esc_rungs = bits | (1u << (e->rung - 1));
        s->escalated[e->rung - 1]++;
        break;
    }
    case LEDGER_CLARIFICATION:
        /* the reply step again, due on its own date: the first reply's figures stay */
        if (m->reply < 0 || m->ended || m->clarifying || e->reply_due < e->day) {
            *anomaly = true;
            return 0;
        }
        s->clarifications++;
        m->clarifying = true;
        m->reply_due = e->reply_due;
        break;
    case LEDGER_REPLIED:
        /* the answer to a clarification, against its own due date */
        if (m->clarifying) {
            if (e->day <= m->reply_due || paused_on(t, e->day, m->reply_due))
                s->clarified.on_time++;
            else
                s->clarified.late++;
        }
        m->clarifying = false;
        if (m->reply < 0) {
            m->reply = e->day;
            m->reply_on_time = e->day <= m->reply_due || paused_on(t, e->day, m->reply_due);
        }
        break;
    case LEDGER_WITHDRAWN:
        if (!m->ended && m->clarifying && e->day > m->reply_due &&
            !paused_on(t, e->day, m->reply_due))
            s->clarified.late++; /* missed before the memo ended */
        if (!m->ended) {
            m->stopped = e->day;
            m->end = LEDGER_WITHDRAWN;
            m->stop_paused_ack = paused_on(t, e->day, m->ack_due);
            m->stop_paused_reply = paused_on(t, e->day, m->reply_due);
        }
        m->ended = true;
        m->clarifying = false; /* counted late above when it was missed */
        break;
    case LEDGER_CLOSED:
        /* a memo closes once replied (the server closes no other): closing one still waiting
         * on a reply or a clarification would hide it, so it is an anomaly */
        if (m->reply < 0 || m->clarifying) {
            *anomaly = true;
            return 0;
        }
        if (!m->ended) {
            m->closed = e->day;
            m->end = LEDGER_CLOSED;
        }
        m->ended = true;
        break;
    default: /* distributed: nothing to count */
        break;
    }
    return 0;
}

struct stats_state *stats_new_channel(int64_t channel)
{
    struct stats_state *st = stats_new();

    if (st != NULL)
        st->channel = channel;
    return st;
}

struct stats_state *stats_new(void)
{
    struct stats_state *st = mem_calloc(1, sizeof(*st));

    if (st != NULL) {
        st->t.stop_from = st->t.resumed_on = st->t.block_day = -1;
        st->acc.stopped_from = -1;
    }
    return st;
}

void stats_free(struct stats_state *st)
{
    if (st == NULL)
        return;
    fold_reset(st); /* (its histograms) */
    mem_free(st->t.memos);
    mem_free(st->t.slots);
    mem_free(st->ext);
    stats_release(&st->acc);
    mem_free(st->fold.dirty);
    mem_free(st->fold.open);
    mem_free(st);
}

uint64_t stats_fed(const struct stats_state *st)
{
    return st->fed;
}

int stats_feed(struct stats_state *st, const struct ledger_entry *e)
{
    bool anomaly;
    int rc;

    if (st->fed >= STATS_ENTRIES_MAX)
        return ERR_TOO_LARGE;
    /* another channel's memo event: not this state's to count, but fed (the log's position) */
    if (st->channel > 0 && !ledger_event_account(e->event) && !ledger_event_calendar(e->event) &&
        !ledger_event_records(e->event) && e->event != LEDGER_AUDIT_HEAD &&
        e->event != LEDGER_CHANNEL_CHANGED && (e->channel > 1 ? e->channel : 1) != st->channel) {
        st->fed++;
        return 0;
    }
    if ((rc = entry_apply(st, e, &anomaly)) != 0)
        return rc;
    st->acc.anomalies += anomaly;
    st->fed++;
    /* the memo it is about (if any) is counted again at the next figures; none are kept yet
     * before the first (they count every memo) */
    if (st->fold.valid && !st->fold_failed) {
        size_t *slot = table_slot(&st->t, e->tag);
        struct stats_memo *m = slot != NULL && *slot ? &st->t.memos[*slot - 1] : NULL;
        if (m != NULL && !m->dirty) {
            if (list_add(&st->fold.dirty, &st->fold.ndirty, &st->fold.dirtycap, *slot - 1) != 0)
                st->fold_failed = true; /* (the next figures count every memo) */
            m->dirty = true;
        }
    }
    return 0;
}

/* Append memo @i to the list @*list (@*n used, @*cap allocated). 0 or ERR_NOMEM. */
static int list_add(size_t **list, size_t *n, size_t *cap, size_t i)
{
    size_t *grown = mem_grow(*list, cap, *n, sizeof(**list), 64);

    if (grown == NULL)
        return ERR_NOMEM;
    *list = grown;
    (*list)[(*n)++] = i;
    return 0;
}

/* Add (@sign 1) or take away (-1) what @p of a memo with @signers adds to @f. */
static int part_apply(struct stats_fold *f, const struct stats_part *p, int signers, int sign)
{
    struct ledger_stats *d = &f->done;
    uint64_t one = sign > 0 ? 1 : (uint64_t)-1; /* (unsigned: a count taken back wraps back) */
    int rc = hist_add(&f->sig, signers, sign);

    if (rc == 0 && p->ack)
        rc = hist_add(&f->ack, p->ack_days, sign);
    if (rc == 0 && p->reply)
        rc = hist_add(&f->rep, p->reply_days, sign);
    if (rc == 0 && p->closed)
        rc = hist_add(&f->clo, p->close_days, sign);
    if (rc != 0)
        return rc;
    if (p->ack)
        *(p->ack_on_time ? &d->acked.on_time : &d->acked.late) += one;
    if (p->reply)
        *(p->reply_on_time ? &d->replied.on_time : &d->replied.late) += one;
    /* a deadline missed before a decline or withdrawal stopped it stays missed: late */
    if (p->ack_missed)
        d->acked.late += one;
    if (p->reply_missed)
        d->replied.late += one;
    d->declined += p->declined ? one : 0;
    d->withdrawn += p->withdrawn ? one : 0;
    return 0;
}

/* Count memo @i again in @cal: its old part taken away, its part now added; listed as open
 * when it is. 0, ERR_INVALID (a day out of range) or ERR_NOMEM (@st's counts are then not to be
 * trusted: the caller counts everything again next time). */
static int recount(struct stats_state *st, const struct workdays_calendar *cal, size_t i)
{
    struct stats_fold *f = &st->fold;
    struct stats_memo *m = &st->t.memos[i];
    struct stats_part p = {.counted = true};
    int rc = 0;

    if (m->response >= 0) {
        p.ack = true;
        p.ack_on_time = m->response <= m->ack_due || m->ack_paused;
        rc = workdays_calendar_count(cal, m->filed, m->response, &p.ack_days);
    }
    if (rc == 0 && m->reply >= 0) {
        p.reply = true;
        p.reply_on_time = m->reply_on_time;
        rc = workdays_calendar_count(cal, m->filed, m->reply, &p.reply_days);
    }
    if (rc == 0 && m->closed >= 0) {
        p.closed = true;
        rc = workdays_calendar_count(cal, m->filed, m->closed, &p.close_days);
    }
    if (rc != 0)
        return rc;
    p.declined = m->end == LEDGER_DECLINED;
    p.withdrawn = m->end == LEDGER_WITHDRAWN;
    p.ack_missed =
        m->stopped >= 0 && m->response < 0 && m->stopped > m->ack_due && !m->stop_paused_ack;
    p.reply_missed =
        m->stopped >= 0 && m->reply < 0 && m->stopped > m->reply_due && !m->stop_paused_reply;
    if (m->part.counted && (rc = part_apply(f, &m->part, m->signers, -1)) != 0)
        return rc;
    m->part.counted = false;
    if ((rc = part_apply(f, &p, m->signers, 1)) != 0)
        return rc;
    m->part = p;
    m->dirty = false;
    if (!m->ended && !m->listed) {
        if ((rc = list_add(&f->open, &f->nopen, &f->opencap, i)) != 0)
            return rc;
        m->listed = true;
    }
    return 0;
}

/* Forget every count: the next figures count every memo again. */
static void fold_reset(struct stats_state *st)
{
    struct stats_fold *f = &st->fold;

    hist_clear(&f->sig);
    hist_clear(&f->ack);
    hist_clear(&f->rep);
    hist_clear(&f->clo);
    hist_clear(&f->ext);
    memset(&f->done, 0, sizeof(f->done));
    f->ext_done = 0;
    f->ndirty = 0;
    f->nopen = 0;
    f->valid = false;
    st->fold_failed = false;
    for (size_t i = 0; i < st->t.count; i++) {
        st->t.memos[i].part.counted = false;
        st->t.memos[i].dirty = false;
        st->t.memos[i].listed = false;
    }
}

/* Bring @st's counts up to date in @cal: every memo counted again when the calendar is another
 * (or the counts were left unsure), else only the memos changed since; then the extensions. */
static int fold_update(struct stats_state *st, const struct workdays_calendar *cal)
{
    struct stats_fold *f = &st->fold;
    const void *runtime = atomic_load(&cal->runtime);
    int rc = 0;

    if (!f->valid || f->cal != cal || f->runtime != runtime || st->fold_failed) {
        fold_reset(st);
        f->cal = cal;
        f->runtime = runtime;
        for (size_t i = 0; i < st->t.count && rc == 0; i++)
            rc = recount(st, cal, i);
    } else {
        for (size_t k = 0; k < f->ndirty && rc == 0; k++)
            rc = recount(st, cal, f->dirty[k]);
    }
    f->ndirty = 0;
    for (; rc == 0 && f->ext_done < st->next; f->ext_done++) {
        int64_t days;
        const struct stats_ext *x = &st->ext[f->ext_done];
        if ((rc = workdays_calendar_count(cal, x->from, x->to, &days)) == 0)
            rc = hist_add(&f->ext, days, 1);
    }
    f->valid = rc == 0;
    return rc;
}

int stats_finish(struct stats_state *st, const struct workdays_calendar *cal, int64_t today,
                 struct ledger_stats *out)
{
    struct stats_table *t = &st->t;
    struct stats_fold *f = &st->fold;
    const struct ledger_stats *d = &f->done;
    bool stop = t->stop_running && t->stop_from <= today;
    size_t kept = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (today < WORKDAYS_DAY_MIN || today > WORKDAYS_DAY_MAX)
        return ERR_INVALID;
    if ((rc = fold_update(st, cal)) != 0)
        return rc;
    /* the figures of the entries themselves, then those of the day */
    *out = st->acc;
    out->months = NULL;
    if (st->acc.nmonths > 0) {
        if ((out->months = mem_alloc(st->acc.nmonths * sizeof(*out->months))) == NULL) {
            memset(out, 0, sizeof(*out));
            return ERR_NOMEM;
        }
        memcpy(out->months, st->acc.months, st->acc.nmonths * sizeof(*out->months));
    }
    out->today = today;
    out->log_size = st->fed;
    out->stopped_from = -1;
    out->acked.on_time = d->acked.on_time;
    out->acked.late = d->acked.late;
    out->replied.on_time = d->replied.on_time;
    out->replied.late = d->replied.late;
    out->declined = d->declined;
    out->withdrawn = d->withdrawn;
    /* the open memos (those that ended since leave the list) */
    for (size_t k = 0; k < f->nopen; k++) {
        struct stats_memo *m = &t->memos[f->open[k]];
        if (m->ended) {
            m->listed = false;
            continue;
        }
        f->open[kept++] = f->open[k];
        /* a running clock stop pauses what is due from its first day on */
        bool ack_over = today > m->ack_due && !(stop && m->ack_due >= t->stop_from);
        bool reply_over = today > m->reply_due && !(stop && m->reply_due >= t->stop_from);
        bool waits_ack = m->response < 0, waits_reply = m->reply < 0;
        out->open++;
        if ((waits_reply && (m->acknowledged ? reply_over : ack_over)) ||
            (m->clarifying && reply_over))
            out->overdue++;
        if (m->clarifying && reply_over)
            out->clarified.overdue++;
        if (waits_ack && ack_over)
            out->acked.overdue++;
        if (waits_reply && reply_over)
            out->replied.overdue++;
        if (stop && (waits_reply || m->clarifying) &&
            (m->acknowledged ? m->reply_due : m->ack_due) >= t->stop_from)
            out->paused++;
    }
    f->nopen = kept;
    if (t->stop_running)
        out->stopped_from = t->stop_from;
    if ((rc = hist_summarise(&f->sig, &out->signers)) == 0 &&
        (rc = hist_summarise(&f->ack, &out->to_ack)) == 0 &&
        (rc = hist_summarise(&f->rep, &out->to_reply)) == 0 &&
        (rc = hist_summarise(&f->clo, &out->to_close)) == 0)
        rc = hist_summarise(&f->ext, &out->extensions);
    if (rc != 0)
        stats_release(out);
    return rc;
}

int stats_compute(const struct ledger_entry *entries, size_t n, const struct workdays_calendar *cal,
                  int64_t today, struct ledger_stats *out)
{
    struct stats_state *st;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (today < WORKDAYS_DAY_MIN || today > WORKDAYS_DAY_MAX)
        return ERR_INVALID;
    if (n > STATS_ENTRIES_MAX)
        return ERR_TOO_LARGE;
    if ((st = stats_new()) == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = stats_feed(st, &entries[i]);
    if (rc == 0)
        rc = stats_finish(st, cal, today, out);
    stats_free(st);
    return rc;
}

void stats_release(struct ledger_stats *s)
{
    if (s == NULL)
        return;
    mem_free(s->months);
    memset(s, 0, sizeof(*s));
}

/* A growable set of days. */
struct dayset {
    int64_t *d;
    size_t n, cap;
};

static bool dayset_has(const struct dayset *s, int64_t day)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->d[i] == day)
            return true;
    return false;
}

static int dayset_add(struct dayset *s, int64_t day)
{
    if (dayset_has(s, day))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int64_t *grown;

        if (cap > 2 * (size_t)WORKDAYS_RUNTIME_MAX)
            return ERR_TOO_LARGE;
        if ((grown = mem_realloc(s->d, cap * sizeof(*grown))) == NULL)
            return ERR_NOMEM;
        s->d = grown;
        s->cap = cap;
    }
    s->d[s->n++] = day;
    return 0;
}

int stats_log_closures(const struct ledger_entry *entries, size_t n, struct workdays_calendar *cal)
{
    struct dayset closed = {0}, stopped = {0};
    int rc = 0;

    /* the closures in force, and the days of the stops that ended (a closure taken back inside
     * a stop leaves that day closed) */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct ledger_entry *e = &entries[i];

        if (e->event == LEDGER_CLOSURE_ADDED) {
            rc = dayset_add(&closed, e->first);
        } else if (e->event == LEDGER_CLOSURE_REMOVED) {
            for (size_t j = 0; j < closed.n; j++) {
                if (closed.d[j] == e->first) {
                    closed.d[j] = closed.d[--closed.n];
                    break;
                }
            }
        } else if (e->event == LEDGER_CLOCK_RESUMED) {
            if (e->first < 0 || e->last < e->first || e->last - e->first > WORKDAYS_RUNTIME_MAX)
                rc = ERR_INVALID;
            for (int64_t d = e->first; rc == 0 && d <= e->last; d++)
                rc = dayset_add(&stopped, d);
        }
    }
    for (size_t i = 0; rc == 0 && i < closed.n; i++)
        rc = dayset_add(&stopped, closed.d[i]);
    if (rc == 0)
        rc = workdays_calendar_set_runtime(cal, stopped.d, stopped.n, -1);
    mem_free(closed.d);
    mem_free(stopped.d);
    return rc;
}
