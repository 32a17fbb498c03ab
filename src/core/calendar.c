/*
 * calendar.c - the calendar run at runtime (see calendar.h for the rules).
 *
 * A change runs inside one write transaction (which serialises it with every other writer, on
 * every server): it reads the table again and publishes it (so it checks and counts against the
 * calendar as it is, not as this server last read it), checks the change, then runs in two
 * passes: the first reads every running deadline it touches and counts, in the calendar as it
 * was, what each has left; the new days are then published, and the second pass works out each
 * new due day in them and writes the memo. When anything fails, the transaction rolls back and
 * the rows read at its start are published again, so the calendar never keeps a change the
 * database does not (other threads may see the new days for the moments before a commit that
 * fails).
 */
#include "core/calendar.h"

#include "core/audit.h"
#include "core/channels.h"
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
    int64_t first;     /* S: the first changed day */
    int64_t stop_last; /* a stop that ends: its last day; else -1 */
};

/* One deadline of one memo, between the two passes. */
struct slot {
    bool moves;    /* due on or after S, and something to move */
    int64_t from;  /* C = max(B, S - 1) */
    int64_t left;  /* working days from C to W, the last working day on or before the due day
                      (an extension may end on any day): working-day spans */
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
    int64_t w = due;
    int rc;

    memset(s, 0, sizeof(*s));
    if (due < ch->first)
        return 0;
    s->from = base > ch->first - 1 ? base : ch->first - 1;
    if (unit == DEADLINE_UNIT_WORKING_DAYS) {
        /* counted to the last working day on or before it: a due day that is no working day
         * (an extension to a Saturday) counts as that working day, and lands on its new one */
        while (w > s->from && !workdays_calendar_is_working(cal, w))
            w--;
        if (w <= s->from)
            return 0; /* no working day of it lies after C: nothing the change touches */
        s->moves = true;
        return (rc = workdays_calendar_count(cal, s->from, w, &s->left)) != 0 ? rc : 0;
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
    /* the reply's base: the filing, or the acknowledgement (its day when on time, else the
     * acknowledgement's due day in force) */
    base = m->filed_day;
    if (pol->reply_from == DEADLINE_BASE_ACK)
        base = m->state == MEMO_FILED || m->ack_day > m->ack_due ? m->ack_due : m->ack_day;
    if ((rc = plan(chg, &ch->calendar, pol->reply.unit, base, m->reply_due, &p->reply)) != 0)
        return rc;
    /* the latest extension moves with the reply only: a reply already late stays late, and its
     * maximum no longer matters */
    if (p->reply.moves &&
        (rc = plan(chg, &ch->calendar, pol->reply_max.unit, base, m->reply_max, &p->max)) != 0)
        return rc;
    *touched = p->ack.moves || p->reply.moves;
    return 0;
}

/* The first pass's state: the running memos the change touches so far. */
struct plan_pass {
    const struct change *chg;
    struct store *st;
    const struct channel *ch; /* the deployment's: each memo is planned by its channel's rules */
    struct pending *arr;
    size_t n, cap;
};

static int plan_one(void *arg, const struct memo *m)
{
    struct plan_pass *p = arg;
    bool touched = false;
    int rc;

    if (p->n == p->cap) {
        size_t want = p->cap ? 2 * p->cap : 16;
        struct pending *grown = mem_realloc(p->arr, want * sizeof(*p->arr));
        if (grown == NULL)
            return ERR_NOMEM;
        p->arr = grown;
        p->cap = want;
    }
    const struct channel *mine = NULL;
    if ((rc = channel_of(p->ch, p->st, m->channel_id, &mine)) == 0 &&
        (rc = plan_memo(p->chg, mine, m, &p->arr[p->n], &touched)) == 0 && touched)
        p->n++;
    return rc;
}

/* The first pass: every running memo the change touches, into *@out. */
static int plan_all(struct calendar_ctx *c, const struct change *chg, struct pending **out,
                    size_t *count)
{
    struct plan_pass p = {.chg = chg, .st = c->st, .ch = c->ch};
    int rc = workflow_each_waiting(c->st, plan_one, &p);

    *out = NULL;
    *count = 0;
    if (rc != 0) {
        mem_free(p.arr);
        return rc;
    }
    *out = p.arr;
    *count = p.n;
    return 0;
}

/* The second pass over one memo, in the new calendar. */
static int move_memo(struct calendar_ctx *c, const struct pending *p)
{
    const struct channel *ch = NULL;
    int64_t ack, reply, max;
    struct memo m;
    int rc;

    if ((rc = store_memo_get(c->st, p->id, &m)) != 0)
        return rc;
    /* by the rules of the memo's channel, as the first pass planned it */
    if ((rc = channel_of(c->ch, c->st, m.channel_id, &ch)) != 0) {
        store_memo_release(&m);
        return rc;
    }
    const struct deadline_policy *pol = &ch->policy;
    const struct workdays_calendar *cal = &ch->calendar;
    struct wf_ctx wf = {.st = c->st, .ch = ch, .actor = c->actor, .now = c->now};
    ack = m.ack_due;
    reply = m.reply_due;
    max = m.reply_max;
    if ((rc = apply(cal, pol->ack.unit, &p->ack, &ack)) != 0 ||
        (rc = apply(cal, pol->reply.unit, &p->reply, &reply)) != 0 ||
        (rc = apply(cal, pol->reply_max.unit, &p->max, &max)) != 0)
        goto out;
    /* a reply still counted from the acknowledgement's due day counts from its new one */
    if (m.state == MEMO_FILED && pol->reply_from == DEADLINE_BASE_ACK && ack != m.ack_due &&
        ((rc = deadline_span_apply(&pol->reply, cal, ack, &reply)) != 0 ||
         (rc = deadline_span_apply(&pol->reply_max, cal, ack, &max)) != 0))
        goto out;
    if (ack != m.ack_due || reply != m.reply_due) {
        m.ack_due = ack;
        m.reply_due = reply;
        m.reply_max = max > reply ? max : reply;
        if ((rc = workflow_rescheduled(&wf, &m)) == 0)
            c->moved++;
    }
out:
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

/* ---- one change ---- */

/* What a change's check decided: the row to write and how, and what it moves. */
struct plan {
    struct calendar_row row;
    bool insert;        /* a new row (else an update of row.id) */
    const char *action; /* the audit record's action */
    enum ledger_event event;
    struct change chg;
    char detail[64]; /* for the server log */
};

/* A change's check, against the table's @rows as the transaction reads them: 0 with @p filled,
 * or the error (its message set). */
typedef int (*check_fn)(struct calendar_ctx *c, const struct calendar_row *rows, size_t n,
                        const void *arg, struct plan *p);

/*
 * Run one change (calendar.c's comment): the writer lock, the transaction, the table read and
 * published, @check, the row with its audit record and log entry, the deadlines moved.
 * *@out receives the row written.
 */
static int run(struct calendar_ctx *c, check_fn check, const void *arg, struct calendar_row *out)
{
    struct calendar_row *before = NULL, *after = NULL;
    struct pending *pend = NULL;
    size_t nb = 0, na = 0, npend = 0;
    struct plan p;
    int rc;

    memset(&p, 0, sizeof(p));
    c->moved = 0;
    pthread_mutex_lock(&writer);
    if ((rc = store_begin(c->st)) != 0)
        goto unlock;
    if ((rc = store_calendar_list(c->st, &before, &nb)) != 0 ||
        (rc = publish(c->ch, before, nb)) != 0 || (rc = check(c, before, nb, arg, &p)) != 0 ||
        (rc = plan_all(c, &p.chg, &pend, &npend)) != 0)
        goto fail;
    if ((rc = p.insert ? store_calendar_add(c->st, &p.row)
                       : store_calendar_update(c->st, &p.row)) != 0 ||
        (rc = audit_append(c->st, 0, c->actor->id, p.action, c->now)) != 0 ||
        (rc = log_calendar(c, p.event, p.row.first,
                           p.event == LEDGER_CLOCK_RESUMED ? p.row.last : -1)) != 0 ||
        (rc = store_calendar_list(c->st, &after, &na)) != 0)
        goto fail;
    /* the new days, for the second pass and for everyone after it */
    if ((rc = publish(c->ch, after, na)) != 0)
        goto fail;
    for (size_t i = 0; i < npend && rc == 0; i++)
        rc = move_memo(c, &pend[i]);
    if (rc != 0 || (rc = store_commit(c->st)) != 0)
        goto fail;
    log_info("calendar: %s (%s); the deadlines of %zu memos moved", p.action, p.detail, c->moved);
    if (out != NULL)
        *out = p.row;
    goto unlock;
fail:
    store_rollback(c->st);
    c->moved = 0;
    /* the days as they were: what the transaction read, else the table again */
    if ((before == NULL && nb == 0 ? reload_locked(c->st, c->ch) : publish(c->ch, before, nb)) != 0)
        log_error("calendar: the calendar could not be put back after a failed change");
unlock:
    pthread_mutex_unlock(&writer);
    mem_free(before);
    mem_free(after);
    mem_free(pend);
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

/* The running stop of @rows, or NULL. */
static const struct calendar_row *running_stop(const struct calendar_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].kind == STORE_CAL_STOP && rows[i].removed_at == 0 && rows[i].last < 0)
            return &rows[i];
    return NULL;
}

static const struct calendar_row *row_find(const struct calendar_row *rows, size_t n, int64_t id,
                                           int kind)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id && rows[i].kind == kind)
            return &rows[i];
    return NULL;
}

/* A new row of @kind from @first, with @reason. */
static void new_row(struct calendar_ctx *c, struct plan *p, int kind, int64_t first, int64_t last,
                    const char *reason)
{
    p->insert = true;
    p->row.kind = kind;
    p->row.first = first;
    p->row.last = last;
    str_copy(p->row.reason, sizeof(p->row.reason), reason);
    p->row.created_at = c->now;
}

struct day_reason {
    int64_t day;
    const char *reason;
};

static int check_closure_add(struct calendar_ctx *c, const struct calendar_row *rows, size_t n,
                             const void *arg, struct plan *p)
{
    const struct day_reason *a = arg;
    int64_t today = channel_today(c->now);
    const struct calendar_row *stop = running_stop(rows, n);
    char iso[WORKDAYS_ISO_SIZE];
    size_t ahead = 0;

    workdays_day_format(a->day, iso, sizeof(iso));
    /* the closures still ahead: a cap on what an administrator may set up at once */
    for (size_t i = 0; i < n; i++)
        ahead +=
            rows[i].kind == STORE_CAL_CLOSURE && rows[i].removed_at == 0 && rows[i].first >= today;
    if (stop != NULL && a->day >= stop->first) {
        err_set(c->err, c->errlen, "the clock is stopped: %s falls inside the running clock stop",
                iso);
        return ERR_STATE;
    }
    if (!workdays_calendar_is_working(&c->ch->calendar, a->day)) {
        err_set(c->err, c->errlen,
                "%s is not a working day already (a weekend, a holiday or a closed day)", iso);
        return ERR_STATE;
    }
    if (ahead >= CALENDAR_CLOSURES_MAX) {
        err_set(c->err, c->errlen, "at most %d closures ahead at once", CALENDAR_CLOSURES_MAX);
        return ERR_TOO_LARGE;
    }
    new_row(c, p, STORE_CAL_CLOSURE, a->day, a->day, a->reason);
    p->action = "closure_added";
    p->event = LEDGER_CLOSURE_ADDED;
    p->chg = (struct change){.first = a->day, .stop_last = -1};
    snprintf(p->detail, sizeof(p->detail), "closed %s", iso);
    return 0;
}

int calendar_closure_add(struct calendar_ctx *c, int64_t day, const char *reason,
                         struct calendar_row *out)
{
    struct day_reason a = {day, reason};
    int rc;

    if ((rc = check_reason(c, reason)) != 0)
        return rc;
    if (day < channel_today(c->now)) {
        err_set(c->err, c->errlen, "day: today or a later day (a past day is history)");
        return ERR_INVALID;
    }
    return run(c, check_closure_add, &a, out);
}

static int check_closure_remove(struct calendar_ctx *c, const struct calendar_row *rows, size_t n,
                                const void *arg, struct plan *p)
{
    const struct calendar_row *r = row_find(rows, n, *(const int64_t *)arg, STORE_CAL_CLOSURE);
    char iso[WORKDAYS_ISO_SIZE];

    if (r == NULL || r->removed_at != 0) {
        err_set(c->err, c->errlen, "no such closure");
        return ERR_NOT_FOUND;
    }
    workdays_day_format(r->first, iso, sizeof(iso));
    if (r->first <= channel_today(c->now)) {
        err_set(c->err, c->errlen,
                "the closure of %s stands: only a closure of a later day than today is taken "
                "back",
                iso);
        return ERR_STATE;
    }
    p->row = *r;
    p->row.removed_at = c->now;
    p->action = "closure_removed";
    p->event = LEDGER_CLOSURE_REMOVED;
    p->chg = (struct change){.first = r->first, .stop_last = -1};
    snprintf(p->detail, sizeof(p->detail), "open again %s", iso);
    return 0;
}

int calendar_closure_remove(struct calendar_ctx *c, int64_t id, struct calendar_row *out)
{
    return run(c, check_closure_remove, &id, out);
}

static int check_stop_start(struct calendar_ctx *c, const struct calendar_row *rows, size_t n,
                            const void *arg, struct plan *p)
{
    const struct day_reason *a = arg;
    char iso[WORKDAYS_ISO_SIZE];

    if (running_stop(rows, n) != NULL) {
        err_set(c->err, c->errlen, "the clock is stopped already: end that stop first");
        return ERR_STATE;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].kind == STORE_CAL_STOP && rows[i].removed_at == 0 && rows[i].last >= a->day) {
            workdays_day_format(rows[i].last, iso, sizeof(iso));
            err_set(c->err, c->errlen, "from: after %s, the last day of an earlier clock stop",
                    iso);
            return ERR_STATE;
        }
    }
    new_row(c, p, STORE_CAL_STOP, a->day, -1, a->reason);
    p->action = "clock_stopped";
    p->event = LEDGER_CLOCK_STOPPED;
    /* nothing moves while it runs: the change starts after every due day */
    p->chg = (struct change){.first = WORKDAYS_DAY_MAX + 1, .stop_last = -1};
    workdays_day_format(a->day, iso, sizeof(iso));
    snprintf(p->detail, sizeof(p->detail), "clock stopped from %s", iso);
    return 0;
}

int calendar_stop_start(struct calendar_ctx *c, int64_t from, const char *reason,
                        struct calendar_row *out)
{
    struct day_reason a = {from, reason};
    int rc;

    if ((rc = check_reason(c, reason)) != 0)
        return rc;
    if (from < channel_today(c->now)) {
        err_set(c->err, c->errlen, "from: today or a later day (a past day is history)");
        return ERR_INVALID;
    }
    return run(c, check_stop_start, &a, out);
}

struct id_day {
    int64_t id;
    int64_t day;
};

static int check_stop_end(struct calendar_ctx *c, const struct calendar_row *rows, size_t n,
                          const void *arg, struct plan *p)
{
    const struct id_day *a = arg;
    const struct calendar_row *r = row_find(rows, n, a->id, STORE_CAL_STOP);
    int64_t today = channel_today(c->now), cap;
    char from[WORKDAYS_ISO_SIZE], until[WORKDAYS_ISO_SIZE];

    if (r == NULL || r->removed_at != 0) {
        err_set(c->err, c->errlen, "no such clock stop");
        return ERR_NOT_FOUND;
    }
    if (r->last >= 0) {
        err_set(c->err, c->errlen, "that clock stop has ended already");
        return ERR_STATE;
    }
    workdays_day_format(r->first, from, sizeof(from));
    /* a planned end at most a year after its start; one already past ends where it is */
    cap = r->first + CALENDAR_STOP_DAYS_MAX - 1;
    if (cap < today)
        cap = today;
    if (a->day < r->first || a->day < today - 1 || a->day > cap) {
        err_set(c->err, c->errlen,
                "until: the stop's last day, from its first day %s on, not before yesterday, "
                "and at most %d days after its start (or today)",
                from, CALENDAR_STOP_DAYS_MAX);
        return ERR_INVALID;
    }
    p->row = *r;
    p->row.last = a->day;
    p->action = "clock_resumed";
    p->event = LEDGER_CLOCK_RESUMED;
    p->chg = (struct change){.first = r->first, .stop_last = a->day};
    workdays_day_format(a->day, until, sizeof(until));
    snprintf(p->detail, sizeof(p->detail), "clock stopped %s to %s", from, until);
    return 0;
}

int calendar_stop_end(struct calendar_ctx *c, int64_t id, int64_t until, struct calendar_row *out)
{
    struct id_day a = {id, until};

    return run(c, check_stop_end, &a, out);
}
