/*
 * clocks.c - a memo's deadlines on a day (see clocks.h for the rules).
 */
#include "core/clocks.h"

#include "core/channel.h"
#include "core/memo.h"
#include "util/err.h"

#include <string.h>

/* A deadline met on @done. */
static void met(struct clock *k, int64_t due, int64_t done)
{
    memset(k, 0, sizeof(*k));
    k->status = CLOCK_MET;
    k->due = due;
    k->done = done;
    k->on_time = done <= due;
    k->max = DEADLINE_DAY_NONE;
}

/* A deadline that no longer applies: the memo ended (@why) on @end before it was met. */
static void stopped(struct clock *k, int64_t due, enum clock_status why, int64_t end)
{
    memset(k, 0, sizeof(*k));
    k->status = why;
    k->due = due;
    k->missed = end > due;
    k->done = DEADLINE_DAY_NONE;
    k->max = DEADLINE_DAY_NONE;
}

bool clocks_paused(const struct workdays_calendar *cal, int64_t due, int64_t today)
{
    int64_t from = workdays_calendar_stop_from(cal);

    return from >= 0 && from <= today && due >= from;
}

/* A deadline still to be met, read on @today (@filed: the memo's filing day). */
static int running(struct clock *k, const struct workdays_calendar *cal, int64_t due, int64_t max,
                   int64_t filed, int64_t today)
{
    int64_t from = workdays_calendar_stop_from(cal);

    memset(k, 0, sizeof(*k));
    k->status = CLOCK_RUNNING;
    k->due = due;
    k->done = DEADLINE_DAY_NONE;
    k->max = max;
    if (clocks_paused(cal, due, today)) {
        /* what it had left when the clock stopped (or when the memo was filed, during the stop) */
        k->paused = true;
        return workdays_calendar_count(cal, filed > from - 1 ? filed : from - 1, due, &k->left);
    }
    k->overdue = today > due;
    return workdays_calendar_count(cal, today, due, &k->left);
}

/*
 * One deadline: met when @done is set, stopped when the memo ended (state @state, on day @end)
 * without it, running otherwise.
 */
static int one(struct clock *k, const struct workdays_calendar *cal, int state, int64_t end,
               int64_t due, int64_t done, int64_t max, int64_t filed, int64_t today)
{
    if (done >= 0) {
        met(k, due, done);
        return 0;
    }
    if (state == MEMO_DECLINED || state == MEMO_WITHDRAWN) {
        stopped(k, due, state == MEMO_DECLINED ? CLOCK_STOPPED_DECLINED : CLOCK_STOPPED_WITHDRAWN,
                end);
        return 0;
    }
    return running(k, cal, due, max, filed, today);
}

int clocks_of_memo(const struct workdays_calendar *cal, const struct memo *m, int64_t today,
                   struct memo_clocks *out)
{
    int64_t ack_done = m->ack_day, end = DEADLINE_DAY_NONE;
    int rc;

    memset(out, 0, sizeof(*out));
    if (m->filed_day < 0 || m->ack_due < 0 || m->reply_due < 0)
        return 0;
    /* the day it ended: a final state, whose row is not written again (clocks.h) */
    if (m->state == MEMO_DECLINED || m->state == MEMO_WITHDRAWN)
        end = channel_today(m->updated_at);
    /* a decline answers the memo: it meets the acknowledgement on its own day (clocks.h) */
    if (m->state == MEMO_DECLINED && ack_done < 0)
        ack_done = end;
    if ((rc = one(&out->ack, cal, m->state, end, m->ack_due, ack_done, DEADLINE_DAY_NONE,
                  m->filed_day, today)) != 0 ||
        (rc = one(&out->reply, cal, m->state, end, m->reply_due, m->replied_day, m->reply_max,
                  m->filed_day, today)) != 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->started = true;
    if (m->state == MEMO_FILED)
        out->waits = CLOCK_ACK;
    else if (m->state == MEMO_ACKNOWLEDGED)
        out->waits = CLOCK_REPLY;
    return 0;
}

const struct clock *clocks_waiting(const struct memo_clocks *c)
{
    switch (c->waits) {
    case CLOCK_ACK:
        return &c->ack;
    case CLOCK_REPLY:
        return &c->reply;
    default:
        return NULL;
    }
}

const char *clocks_stop_name(enum clock_status s)
{
    switch (s) {
    case CLOCK_STOPPED_DECLINED:
        return "declined";
    case CLOCK_STOPPED_WITHDRAWN:
        return "withdrawn";
    default:
        return NULL;
    }
}

int clocks_filter_parse(const char *s, enum clocks_filter *f)
{
    static const struct {
        const char *name;
        enum clocks_filter f;
    } names[] = {
        {"waiting", CLOCKS_WAITING},
        {"overdue", CLOCKS_OVERDUE},
        {"soon", CLOCKS_DUE_SOON},
    };

    for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    }
    return ERR_INVALID;
}

bool clocks_filter_match(const struct memo_clocks *c, enum clocks_filter f)
{
    const struct clock *w = clocks_waiting(c);

    switch (f) {
    case CLOCKS_ANY:
        return true;
    case CLOCKS_WAITING:
        return w != NULL;
    case CLOCKS_OVERDUE:
        return w != NULL && w->overdue;
    case CLOCKS_DUE_SOON:
        return w != NULL && !w->overdue && !w->paused && w->left <= CLOCKS_SOON_WORKING_DAYS;
    }
    return false;
}
