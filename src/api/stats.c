/*
 * stats.c - GET /api/v1/stats: the channel's statistics, computed from the transparency log's
 * entries alone (core/stats.h), so that anyone holding the tiles can recompute every figure
 * (docs/formats.md). The JSON shape is documented in docs/api.md, "Statistics".
 */
#include "api/api.h"

#include "core/channels.h"

#include "core/ledger.h"
#include "core/stats.h"
#include "core/workdays.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* @x (>= 0, and far below 2^53) rounded half up to @digits decimals, for readable output. */
static double round_to(double x, int digits)
{
    double scale = 1;

    while (digits-- > 0)
        scale *= 10;
    return (double)(int64_t)(x * scale + 0.5) / scale;
}

/* {"count", "mean", "median", "max"}; the last three null when there are no samples. */
static json_t *summary_json(const struct stats_summary *s)
{
    if (s->count == 0)
        return json_pack("{s:I, s:n, s:n, s:n}", "count", (json_int_t)0, "mean", "median", "max");
    return json_pack("{s:I, s:f, s:f, s:I}", "count", (json_int_t)s->count, "mean",
                     round_to(s->mean, 2), "median", round_to(s->median, 2), "max",
                     (json_int_t)s->max);
}

/*
 * {"on_time", "late", "overdue", "share"}: share of the deadlines due so far that were met on
 * time, the overdue ones counting as missed; null when nothing was due.
 */
static json_t *on_time_json(const struct stats_on_time *t)
{
    uint64_t total = t->on_time + t->late + t->overdue;

    return json_pack("{s:I, s:I, s:I, s:o}", "on_time", (json_int_t)t->on_time, "late",
                     (json_int_t)t->late, "overdue", (json_int_t)t->overdue, "share",
                     total ? json_real(round_to((double)t->on_time / (double)total, 4))
                           : json_null());
}

json_t *api_stats_json(const struct ledger_stats *s)
{
    char today[WORKDAYS_ISO_SIZE], ym[16], stop[WORKDAYS_ISO_SIZE];
    json_t *months = json_object(), *accounts, *escalations, *records;

    if (months == NULL || workdays_day_format(s->today, today, sizeof(today)) != 0) {
        json_decref(months);
        return NULL;
    }
    for (size_t i = 0; i < s->nmonths; i++) {
        snprintf(ym, sizeof(ym), "%04d-%02d", s->months[i].year, s->months[i].month);
        if (json_object_set_new(months, ym, json_integer((json_int_t)s->months[i].count)) != 0) {
            json_decref(months);
            return NULL;
        }
    }
    accounts = json_object();
    for (int e = LEDGER_RESET; accounts != NULL && e <= LEDGER_ACCOUNT_LAST; e++)
        json_object_set_new(accounts, ledger_event_name((enum ledger_event)e),
                            json_integer((json_int_t)s->accounts[e - LEDGER_RESET]));
    if (accounts == NULL) {
        json_decref(months);
        return NULL;
    }
    if (s->stopped_from >= 0)
        workdays_day_format(s->stopped_from, stop, sizeof(stop));
    escalations = json_pack("{s:I, s:I}", "officers", (json_int_t)s->escalated[0], "principals",
                            (json_int_t)s->escalated[1]);
    records = json_object();
    for (int e = LEDGER_EXPORTED; records != NULL && e <= LEDGER_SHREDDED; e++)
        json_object_set_new(records, ledger_event_name((enum ledger_event)e),
                            json_integer((json_int_t)s->records[e - LEDGER_EXPORTED]));
    return json_pack(
        "{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:I, s:I, s:I, s:I, "
        "s:I, s:o, s:o, s:I, s:I, s:o, s:o}",
        "today", today, "log_size", (json_int_t)s->log_size, "filings_per_month", months,
        "signers_per_memo", summary_json(&s->signers), "working_days_to_acknowledge",
        summary_json(&s->to_ack), "working_days_to_reply", summary_json(&s->to_reply),
        "working_days_to_close", summary_json(&s->to_close), "extensions",
        summary_json(&s->extensions), "on_time", "acknowledged", on_time_json(&s->acked), "replied",
        on_time_json(&s->replied), "clarified", on_time_json(&s->clarified), "declined",
        (json_int_t)s->declined, "withdrawn", (json_int_t)s->withdrawn, "open", (json_int_t)s->open,
        "overdue", (json_int_t)s->overdue, "anomalies", (json_int_t)s->anomalies, "accounts",
        accounts, "clock_stopped_from", s->stopped_from >= 0 ? json_string(stop) : json_null(),
        "paused", (json_int_t)s->paused, "clarifications", (json_int_t)s->clarifications,
        "escalations", escalations, "records", records);
}

/*
 * The statistics are kept up as the log grows (core/stats.h): one state per process, fed each
 * entry once, as checkpoints publish them, a tile at a time; the figures made of it are kept for
 * the checkpoint, the day and the calendar they were made for. A request costs the entries
 * published since the last one, and the figures once per checkpoint and day, never the whole
 * log again: /api/v1/stats and /public stay cheap however long the channel's history.
 */
/* The deployment's figures ([0]) and each channel's ([N], made when first asked for), each
 * under its own lock: the first request for a channel's figures reads the log from its start,
 * and holds up no other channel's, nor the deployment's */
static pthread_mutex_t stats_mu[CHANNELS_MAX + 1] = {
    [0 ... CHANNELS_MAX] = PTHREAD_MUTEX_INITIALIZER,
};
static struct kept {
    struct stats_state *state;     /* fed the log's first stats_fed() entries */
    struct ledger_stats made;      /* the figures of ... */
    bool made_valid;               /* ... (when valid) */
    uint64_t made_size;            /* this many entries, */
    int64_t made_today;            /* judged on this day, */
    const void *made_calendar;     /* in this calendar (its runtime snapshot) */
    const struct channel *channel; /* the channel the state is of */
} kept[CHANNELS_MAX + 1];

static int feed(void *ctx, const struct ledger_entry *e)
{
    return stats_feed(ctx, e);
}

/* An entry read and checked (its MAC, its form), and not counted. */
static int check_only(void *ctx, const struct ledger_entry *e)
{
    (void)ctx;
    (void)e;
    return 0;
}

/* A copy of @s for the caller (its months apart). */
static int stats_copy(const struct ledger_stats *s, struct ledger_stats *out)
{
    *out = *s;
    out->months = NULL;
    if (s->nmonths > 0) {
        if ((out->months = mem_alloc(s->nmonths * sizeof(*out->months))) == NULL) {
            memset(out, 0, sizeof(*out));
            return ERR_NOMEM;
        }
        memcpy(out->months, s->months, s->nmonths * sizeof(*out->months));
    }
    return 0;
}

int api_stats_compute(struct api_env *env, int64_t now, int64_t channel, struct ledger_stats *s)
{
    struct kept *k;

    uint64_t published = 0, size = 0;
    const void *calendar = atomic_load(&env->ch->calendar.runtime);
    int64_t today = channel_today(now);
    char *cp = NULL;
    int rc;

    memset(s, 0, sizeof(*s));
    /* the entries of the checkpoint /log/checkpoint serves (with witnesses, the newest one they
     * cosigned): what a monitor holding that checkpoint recomputes */
    rc = ledger_checkpoint_public(env->st, env->ch->log_quorum, &cp, &published);
    mem_free(cp);
    if (rc == ERR_NOT_FOUND) {
        published = 0;
        rc = 0;
    }
    if (rc == 0 && (rc = store_tlog_size(env->st, &size)) == 0 && size < published)
        rc = ERR_INTEGRITY; /* a published checkpoint past the entries the log holds */
    if (rc != 0)
        return rc;
    if (channel < 0 || channel > CHANNELS_MAX)
        return ERR_INVALID;
    k = &kept[channel];
    pthread_mutex_lock(&stats_mu[channel]);
    /* the state is this channel's (a process may make another: the tests' fault injector) */
    if (k->state != NULL && k->channel != env->ch) {
        stats_free(k->state);
        k->state = NULL;
    }
    /* fed past the size this request read: another request saw a newer checkpoint, or the log
     * went back (a database restored under the running server). The published size now says
     * which: newer, it is what /log/checkpoint serves; smaller, the figures start again */
    if (k->state != NULL && stats_fed(k->state) > published) {
        uint64_t now_size = 0;
        cp = NULL;
        rc = ledger_checkpoint_public(env->st, env->ch->log_quorum, &cp, &now_size);
        mem_free(cp);
        if (rc == ERR_NOT_FOUND) {
            now_size = 0;
            rc = 0;
        }
        if (rc == 0 && now_size >= stats_fed(k->state) && now_size <= size) {
            published = now_size;
        } else if (rc == 0) {
            stats_free(k->state);
            k->state = NULL;
        }
    }
    if (rc == 0 && k->state == NULL) {
        k->made_valid = false;
        k->channel = env->ch;
        if ((k->state = stats_new_channel(channel)) == NULL)
            rc = ERR_NOMEM;
    }
    if (rc == 0 && stats_fed(k->state) < published) {
        rc = ledger_entries_walk(env->st, stats_fed(k->state), published, feed, k->state);
        if (rc != 0) { /* fed partly: start again next time rather than trust it */
            stats_free(k->state);
            k->state = NULL;
            k->made_valid = false;
        }
    }
    if (rc == 0 && !(k->made_valid && k->made_size == published && k->made_today == today &&
                     k->made_calendar == calendar)) {
        stats_release(&k->made);
        k->made_valid = false;
        if ((rc = stats_finish(k->state, &env->ch->calendar, today, &k->made)) == 0) {
            k->made_valid = true;
            k->made_size = published;
            k->made_today = today;
            k->made_calendar = calendar;
        }
    }
    /* the entries signed past the published ones (waiting for witnesses) are not counted, but
     * must be Dissent's as well: one rewritten there refuses the figures, as before (a forged
     * entry appended past the signed tree is never read: it stops the log, core/ledger.h) */
    if (rc == 0) {
        uint64_t signed_size = 0;
        if ((rc = ledger_signed_size(env->st, &signed_size)) == 0 && signed_size > published &&
            signed_size <= size)
            rc = ledger_entries_walk(env->st, published, signed_size, check_only, NULL);
    }
    if (rc == 0)
        rc = stats_copy(&k->made, s);
    pthread_mutex_unlock(&stats_mu[channel]);
    if (rc == 0 && fault_on("stats-lie"))
        s->declined++; /* a test's server that lies about a figure (util/fault.h) */
    return rc;
}

int api_stats_channel(struct api_env *env, struct api_req *req, struct api_resp *resp,
                      int64_t *channel)
{
    char slug[STORE_CHANNEL_SLUG_MAX + 1];
    struct channel_row r;
    int rc;

    *channel = 0;
    if ((rc = api_query(req, resp, "channel", slug, sizeof(slug))) == ERR_NOT_FOUND)
        return 0;
    if (rc != 0)
        return rc;
    rc = channels_get(env->st, slug, 0, &r);
    mem_free(r.settings);
    if (rc == 0 && (r.id < 1 || r.id > CHANNELS_MAX))
        rc = ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND)
        api_error_field(resp, "channel", "channel: no channel %.32s", slug);
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    else
        *channel = r.id;
    return rc == ERR_NOT_FOUND ? ERR_INVALID : rc;
}

void api_stats(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct ledger_stats s = {0};
    json_t *body;
    int64_t channel = 0;
    int rc;

    if (api_stats_channel(env, req, resp, &channel) != 0)
        return;
    rc = api_stats_compute(env, req->now, channel, &s);

    if (rc != 0) {
        api_error_rc(resp, rc, "cannot compute the statistics");
        goto out;
    }
    body = api_stats_json(&s);
    if (body == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    api_ok(resp, 200, body);
out:
    stats_release(&s);
}
