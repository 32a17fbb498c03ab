/*
 * calendar.c - the calendar run at runtime (see calendar.h for the rules).
 *
 * A change runs in two passes inside its transaction: the first reads every running deadline it
 * touches and counts, in the calendar as it was, what each has left; the new days are then
 * published to the channel's calendar, and the second pass works out each new due day in it and
 * writes the memo. When anything fails, the transaction rolls back and the calendar is read
 * again from the table, so it never holds a change the database does not.
 */
#include "core/calendar.h"

#include "core/audit.h"
#include "core/ledger.h"
#include "core/memo.h"
#include "core/workflow.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PAGE 100 /* memos read at once */

/* One writer of the runtime snapshot at a time in this process. */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

/* The runtime days of @rows (closures in force, the days of ended stops) and the running stop. */
static int days_of(const struct calendar_row *rows, size_t n, int64_t **days, size_t *ndays,
                   int64_t *stop_from)
{
    size_t count = 0, k = 0;
    int64_t *out;

    *days = NULL;
    *ndays = 0;
    *stop_from = -1;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].removed_at != 0)
            continue;
        if (rows[i].kind == STORE_CAL_CLOSURE)
            count++;
        else if (rows[i].kind == STORE_CAL_STOP && rows[i].last >= rows[i].first)
            count += (size_t)(rows[i].last - rows[i].first + 1);
    }
    if (count > WORKDAYS_RUNTIME_MAX)
        return ERR_TOO_LARGE;
    if ((out = mem_alloc((count ? count : 1) * sizeof(*out))) == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct calendar_row *r = &rows[i];
        if (r->removed_at != 0)
            continue;
        if (r->kind == STORE_CAL_CLOSURE)
            out[k++] = r->first;
        else if (r->kind == STORE_CAL_STOP && r->last >= r->first)
            for (int64_t d = r->first; d <= r->last; d++)
                out[k++] = d;
        else if (r->kind == STORE_CAL_STOP && r->last < 0)
            *stop_from = r->first;
    }
    *days = out;
    *ndays = k;
    return 0;
}

/* Publish @rows as @ch's runtime calendar (the writer lock held). */
static int publish(struct channel *ch, const struct calendar_row *rows, size_t n)
{
    int64_t *days = NULL, stop_from = -1;
    size_t nd = 0;
    int rc = days_of(rows, n, &days, &nd, &stop_from);

    if (rc == 0)
        rc = workdays_calendar_set_runtime(&ch->calendar, days, nd, stop_from);
    mem_free(days);
    return rc;
}

/* Read the table and publish it (the writer lock held). */
static int reload_locked(struct store *st, struct channel *ch)
{
    struct calendar_row *rows = NULL;
    size_t n = 0;
    int rc = store_calendar_list(st, &rows, &n);

    if (rc == 0)
        rc = publish(ch, rows, n);
    mem_free(rows);
    return rc;
}

int calendar_reload(struct store *st, struct channel *ch)
{
    int rc;

    /* a change under way publishes its own result */
    if (pthread_mutex_trylock(&writer) != 0)
        return 0;
    rc = reload_locked(st, ch);
    pthread_mutex_unlock(&writer);
    return rc;
}

/* ---- moving the deadlines ---- */

/* What a change does to the calendar's days, for the move. */
struct change {
    int64_t first;      /* S: the first changed day */
    int64_t stop_last;  /* a stop that ends: its last day; else -1 */
    const char *detail; /* for the server log */
};

/* One deadline of one memo, between the two passes. */
struct slot {
    bool moves;    /* due on or after S */
    int64_t from;  /* C = max(B, S - 1) */
    int64_t left;  /* working days from C to the old due day (working-day spans) */
    int64_t shift; /* calendar days added (calendar-day spans, a stop only) */
};

/* A memo found in the first pass. */
struct pending {
    char id[STORE_MEMO_ID_LEN + 1];
    struct slot ack, reply, max;
};

/* The first pass for one deadline due on @due, of span unit @unit, based on @base. */
static int plan(const struct change *ch, const struct workdays_calendar *cal,
                enum deadline_unit unit, int64_t base, int64_t due, struct slot *s)
{
    memset(s, 0, sizeof(*s));
    if (due < ch->first)
        return 0;
    s->from = base > ch->first - 1 ? base : ch->first - 1;
    if (unit == DEADLINE_UNIT_WORKING_DAYS) {
        s->moves = true;
        return workdays_calendar_count(cal, s->from, due, &s->left);
    }
    if (ch->stop_last >= 0) {
        int64_t start = s->from + 1 > ch->first ? s->from + 1 : ch->first;
        s->shift = ch->stop_last >= start ? ch->stop_last - start + 1 : 0;
        s->moves = s->shift > 0;
    }
    return 0;
}

/* The second pass: @due's new value in the new calendar. */
static int apply(const struct workdays_calendar *cal, enum deadline_unit unit, const struct slot *s,
                 int64_t *due)
{
    if (!s->moves)
        return 0;
    if (unit == DEADLINE_UNIT_WORKING_DAYS)
        return workdays_calendar_add(cal, s->from, s->left, due);
    return workdays_day_add_days(*due, s->shift, due);
}

/* The first pass over one memo: false in *@touched when no deadline of it moves. */
static int plan_memo(const struct change *chg, const struct channel *ch, const struct memo *m,
                     struct pending *p, bool *touched)
{
    const struct deadline_policy *pol = &ch->policy;
    int64_t base = 0;
    int rc;

    *touched = false;
    memset(p, 0, sizeof(*p));
    memcpy(p->id, m->public_id, sizeof(p->id));
    if (m->state == MEMO_FILED &&
        (rc = plan(chg, &ch->calendar, pol->ack.unit, m->filed_day, m->ack_due, &p->ack)) != 0)
        return rc;
    if ((rc = deadline_reply_base(pol, &ch->calendar, m->filed_day,
                                  m->state == MEMO_FILED ? DEADLINE_DAY_NONE : m->ack_day,
                                  &base)) != 0 ||
        (rc = plan(chg, &ch->calendar, pol->reply.unit, base, m->reply_due, &p->reply)) != 0 ||
        (rc = plan(chg, &ch->calendar, pol->reply_max.unit, base, m->reply_max, &p->max)) != 0)
        return rc;
    *touched = p->ack.moves || p->reply.moves || p->max.moves;
    return 0;
}

/* The first pass: every running memo the change touches, into *@out. */
static int plan_all(struct calendar_ctx *c, const struct change *chg, struct pending **out,
                    size_t *count)
{
    struct memo_filter f = {.all_from = MEMO_FILED, .state = -1, .limit = PAGE};
    struct pending *arr = NULL;
    size_t n = 0, cap = 0, got = 0;
    struct memo *ms = NULL;
    int rc = 0;

    do {
        if ((rc = store_memo_list(c->st, &f, &ms, &got)) != 0)
            break;
        for (size_t i = 0; i < got && rc == 0; i++) {
            bool touched = false;
            if (ms[i].state != MEMO_FILED && ms[i].state != MEMO_ACKNOWLEDGED)
                continue;
            if (n == cap) {
                size_t want = cap ? 2 * cap : 16;
                struct pending *grown = mem_realloc(arr, want * sizeof(*arr));
                if (grown == NULL) {
                    rc = ERR_NOMEM;
                    break;
                }
                arr = grown;
                cap = want;
            }
            if ((rc = plan_memo(chg, c->ch, &ms[i], &arr[n], &touched)) == 0 && touched)
                n++;
        }
        if (got > 0)
            f.after = ms[got - 1].id;
        store_memo_list_free(ms, got);
        ms = NULL;
    } while (rc == 0 && got == PAGE);
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

/* The second pass over one memo, in the new calendar. */
static int move_memo(struct calendar_ctx *c, const struct pending *p)
{
    const struct deadline_policy *pol = &c->ch->policy;
    struct wf_ctx wf = {.st = c->st, .ch = c->ch, .actor = c->actor, .now = c->now};
    int64_t ack, reply, max;
    struct memo m;
    int rc;

    if ((rc = store_memo_get(c->st, p->id, &m)) != 0)
        return rc;
    ack = m.ack_due;
    reply = m.reply_due;
    max = m.reply_max;
    if ((rc = apply(&c->ch->calendar, pol->ack.unit, &p->ack, &ack)) == 0 &&
        (rc = apply(&c->ch->calendar, pol->reply.unit, &p->reply, &reply)) == 0 &&
        (rc = apply(&c->ch->calendar, pol->reply_max.unit, &p->max, &max)) == 0 &&
        (ack != m.ack_due || reply != m.reply_due || max != m.reply_max)) {
        m.ack_due = ack;
        m.reply_due = reply;
        m.reply_max = max > reply ? max : reply;
        if ((rc = workflow_rescheduled(&wf, &m)) == 0)
            c->moved++;
    }
    store_memo_release(&m);
    return rc;
}

/* The calendar event's log entry. */
static int log_calendar(struct calendar_ctx *c, enum ledger_event e, int64_t first, int64_t last)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    memset(&le, 0, sizeof(le));
    le.event = e;
    le.day = channel_today(c->now);
    le.ack_due = le.reply_due = -1;
    le.first = first;
    le.last = last;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(c->st, text, len, &index);
}

/*
 * Apply a change: write @row (insert when @insert, else update) with its audit record @action
 * and log entry @e, then move the deadlines @chg touches, all in one transaction; the calendar
 * holds the change afterwards, or, when anything failed, what the table holds.
 */
static int commit_change(struct calendar_ctx *c, struct calendar_row *row, bool insert,
                         const char *action, enum ledger_event e, const struct change *chg)
{
    struct calendar_row *rows = NULL;
    struct pending *pend = NULL;
    size_t n = 0, npend = 0;
    int rc;

    c->moved = 0;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    if ((rc = plan_all(c, chg, &pend, &npend)) != 0)
        goto fail;
    if ((rc = insert ? store_calendar_add(c->st, row) : store_calendar_update(c->st, row)) != 0 ||
        (rc = audit_append(c->st, 0, c->actor->id, action, c->now)) != 0 ||
        (rc = log_calendar(c, e, row->first, e == LEDGER_CLOCK_RESUMED ? row->last : -1)) != 0 ||
        (rc = store_calendar_list(c->st, &rows, &n)) != 0)
        goto fail;
    /* the new days, for the second pass and for everyone after it */
    if ((rc = publish(c->ch, rows, n)) != 0)
        goto fail;
    for (size_t i = 0; i < npend && rc == 0; i++)
        rc = move_memo(c, &pend[i]);
    if (rc != 0 || (rc = store_commit(c->st)) != 0)
        goto fail;
    log_info("calendar: %s (%s); the deadlines of %zu memos moved", action, chg->detail, c->moved);
    goto out;
fail:
    store_rollback(c->st);
    c->moved = 0;
    if (reload_locked(c->st, c->ch) != 0)
        log_error("calendar: the calendar could not be read again after a failed change");
out:
    mem_free(pend);
    mem_free(rows);
    return rc;
}

/* ---- the four changes ---- */

static int check_reason(struct calendar_ctx *c, const char *reason)
{
    size_t len = reason ? strlen(reason) : 0;

    if (len == 0 || len > CALENDAR_REASON_MAX || !str_utf8_valid(reason, len) ||
        memo_title_check(reason, len) != 0) {
        err_set(c->err, c->errlen,
                "reason: one line of 1 to %d bytes of text, no control characters",
                CALENDAR_REASON_MAX);
        return ERR_INVALID;
    }
    return 0;
}

/* The table's rows, for the checks. */
static int rows_get(struct calendar_ctx *c, struct calendar_row **rows, size_t *n)
{
    return store_calendar_list(c->st, rows, n);
}

/* The running stop of @rows, or NULL. */
static const struct calendar_row *running_stop(const struct calendar_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].kind == STORE_CAL_STOP && rows[i].removed_at == 0 && rows[i].last < 0)
            return &rows[i];
    return NULL;
}

int calendar_closure_add(struct calendar_ctx *c, int64_t day, const char *reason,
                         struct calendar_row *out)
{
    int64_t today = channel_today(c->now);
    struct calendar_row *rows = NULL, row = {0};
    const struct calendar_row *stop;
    char iso[WORKDAYS_ISO_SIZE], detail[64];
    size_t n = 0, live = 0;
    int rc;

    if ((rc = check_reason(c, reason)) != 0)
        return rc;
    if (day < today) {
        err_set(c->err, c->errlen, "day: today or a later day (a past day is history)");
        return ERR_INVALID;
    }
    pthread_mutex_lock(&writer);
    if ((rc = rows_get(c, &rows, &n)) != 0)
        goto out;
    workdays_day_format(day, iso, sizeof(iso));
    for (size_t i = 0; i < n; i++)
        live += rows[i].kind == STORE_CAL_CLOSURE && rows[i].removed_at == 0;
    if ((stop = running_stop(rows, n)) != NULL && day >= stop->first) {
        err_set(c->err, c->errlen, "the clock is stopped: %s falls inside the running clock stop",
                iso);
        rc = ERR_STATE;
    } else if (!workdays_calendar_is_working(&c->ch->calendar, day)) {
        err_set(c->err, c->errlen,
                "%s is not a working day already (a weekend, a holiday or a closed day)", iso);
        rc = ERR_STATE;
    } else if (live >= CALENDAR_CLOSURES_MAX) {
        err_set(c->err, c->errlen, "at most %d closures at once", CALENDAR_CLOSURES_MAX);
        rc = ERR_TOO_LARGE;
    }
    if (rc != 0)
        goto out;
    row.kind = STORE_CAL_CLOSURE;
    row.first = row.last = day;
    str_copy(row.reason, sizeof(row.reason), reason);
    row.created_at = c->now;
    snprintf(detail, sizeof(detail), "closed %s", iso);
    rc = commit_change(c, &row, true, "closure_added", LEDGER_CLOSURE_ADDED,
                       &(struct change){.first = day, .stop_last = -1, .detail = detail});
    if (rc == 0 && out != NULL)
        *out = row;
out:
    pthread_mutex_unlock(&writer);
    mem_free(rows);
    return rc;
}

static const struct calendar_row *row_find(const struct calendar_row *rows, size_t n, int64_t id,
                                           int kind)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id && rows[i].kind == kind)
            return &rows[i];
    return NULL;
}

int calendar_closure_remove(struct calendar_ctx *c, int64_t id, struct calendar_row *out)
{
    int64_t today = channel_today(c->now);
    struct calendar_row *rows = NULL, row;
    const struct calendar_row *r;
    char iso[WORKDAYS_ISO_SIZE], detail[64];
    size_t n = 0;
    int rc;

    pthread_mutex_lock(&writer);
    if ((rc = rows_get(c, &rows, &n)) != 0)
        goto out;
    if ((r = row_find(rows, n, id, STORE_CAL_CLOSURE)) == NULL || r->removed_at != 0) {
        err_set(c->err, c->errlen, "no such closure");
        rc = ERR_NOT_FOUND;
        goto out;
    }
    workdays_day_format(r->first, iso, sizeof(iso));
    if (r->first <= today) {
        err_set(c->err, c->errlen,
                "the closure of %s stands: only a closure of a later day than today is taken "
                "back",
                iso);
        rc = ERR_STATE;
        goto out;
    }
    row = *r;
    row.removed_at = c->now;
    snprintf(detail, sizeof(detail), "open again %s", iso);
    rc = commit_change(c, &row, false, "closure_removed", LEDGER_CLOSURE_REMOVED,
                       &(struct change){.first = row.first, .stop_last = -1, .detail = detail});
    if (rc == 0 && out != NULL)
        *out = row;
out:
    pthread_mutex_unlock(&writer);
    mem_free(rows);
    return rc;
}

int calendar_stop_start(struct calendar_ctx *c, int64_t from, const char *reason,
                        struct calendar_row *out)
{
    int64_t today = channel_today(c->now);
    struct calendar_row *rows = NULL, row = {0};
    char iso[WORKDAYS_ISO_SIZE], detail[64];
    size_t n = 0;
    int rc;

    if ((rc = check_reason(c, reason)) != 0)
        return rc;
    if (from < today) {
        err_set(c->err, c->errlen, "from: today or a later day (a past day is history)");
        return ERR_INVALID;
    }
    pthread_mutex_lock(&writer);
    if ((rc = rows_get(c, &rows, &n)) != 0)
        goto out;
    if (running_stop(rows, n) != NULL) {
        err_set(c->err, c->errlen, "the clock is stopped already: end that stop first");
        rc = ERR_STATE;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].kind == STORE_CAL_STOP && rows[i].removed_at == 0 && rows[i].last >= from) {
            workdays_day_format(rows[i].last, iso, sizeof(iso));
            err_set(c->err, c->errlen, "from: after %s, the last day of an earlier clock stop",
                    iso);
            rc = ERR_STATE;
            goto out;
        }
    }
    row.kind = STORE_CAL_STOP;
    row.first = from;
    row.last = -1;
    str_copy(row.reason, sizeof(row.reason), reason);
    row.created_at = c->now;
    workdays_day_format(from, iso, sizeof(iso));
    snprintf(detail, sizeof(detail), "clock stopped from %s", iso);
    /* nothing moves while it runs: the change starts after every due day */
    rc = commit_change(
        c, &row, true, "clock_stopped", LEDGER_CLOCK_STOPPED,
        &(struct change){.first = WORKDAYS_DAY_MAX + 1, .stop_last = -1, .detail = detail});
    if (rc == 0 && out != NULL)
        *out = row;
out:
    pthread_mutex_unlock(&writer);
    mem_free(rows);
    return rc;
}

int calendar_stop_end(struct calendar_ctx *c, int64_t id, int64_t until, struct calendar_row *out)
{
    int64_t today = channel_today(c->now);
    struct calendar_row *rows = NULL, row;
    const struct calendar_row *r;
    char a[WORKDAYS_ISO_SIZE], b[WORKDAYS_ISO_SIZE], detail[64];
    size_t n = 0;
    int rc;

    pthread_mutex_lock(&writer);
    if ((rc = rows_get(c, &rows, &n)) != 0)
        goto out;
    if ((r = row_find(rows, n, id, STORE_CAL_STOP)) == NULL || r->removed_at != 0) {
        err_set(c->err, c->errlen, "no such clock stop");
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (r->last >= 0) {
        err_set(c->err, c->errlen, "that clock stop has ended already");
        rc = ERR_STATE;
        goto out;
    }
    workdays_day_format(r->first, a, sizeof(a));
    if (until < r->first || until < today - 1 || until - r->first + 1 > CALENDAR_STOP_DAYS_MAX) {
        err_set(c->err, c->errlen,
                "until: the stop's last day, from its first day %s on, not before yesterday, "
                "and at most %d days after its start",
                a, CALENDAR_STOP_DAYS_MAX);
        rc = ERR_INVALID;
        goto out;
    }
    row = *r;
    row.last = until;
    workdays_day_format(until, b, sizeof(b));
    snprintf(detail, sizeof(detail), "clock stopped %s to %s", a, b);
    rc = commit_change(c, &row, false, "clock_resumed", LEDGER_CLOCK_RESUMED,
                       &(struct change){.first = row.first, .stop_last = until, .detail = detail});
    if (rc == 0 && out != NULL)
        *out = row;
out:
    pthread_mutex_unlock(&writer);
    mem_free(rows);
    return rc;
}
