/*
 * monitor.c - `dissent log monitor`: watch a channel's public log and what the channel says of it,
 * and raise the alarm when they disagree.
 *
 *   dissent log monitor URL --vkey VKEY --state FILE [--witness WVKEY ... [--quorum K]]
 *                       [--config FILE] [--mail ADDRESS] [--interval SECONDS] [--once]
 *                       [--timeout SECONDS]
 *
 * URL is the channel's address (https://dissent.example). Every round (every --interval seconds,
 * 300 by default; one round with --once):
 *   1. the log at URL/log/ is audited as `dissent log verify` audits it: the checkpoint's signature
 *      by VKEY, its consistency with the one saved in FILE by the last round (then saved), every
 *      tile and entry bundle, and --quorum valid cosignatures of the --witness keys;
 *   2. every entry is read (a non-canonical one is an alarm), and the statistics are recomputed
 *      from the entries alone (core/stats.h, the rules of docs/formats.md);
 *   3. they are compared with what URL/api/v1/stats claims, figure by figure: of the checkpoint
 *      just verified (its size exactly), on the organisation's day;
 *   4. and with the figures URL/public embeds (its <script id="dissent-figures"> document), when
 *      the channel publishes that page.
 * The figures in working days need the channel's calendar: they are compared only with --config
 * (the channel's settings file: its [channel] calendar, closures and preset), and the log's own
 * closures. Anything that does not agree is an alarm: a line "ALARM: ..." on standard error, an
 * email to --mail through --config's [mail] settings, and exit status 1. A round that cannot
 * reach the channel (no answer, 429 or 5xx) is said ("unreachable") and tried again at the next
 * round; --unreachable rounds in a row (3 by default) are an alarm, since a channel that only
 * stalls its monitors must not keep them quiet (with --once it exits 1: a log that could not be
 * checked was not checked). Exit status 0 (--once and all agreed, or stopped by SIGTERM or
 * SIGINT), 1 (an alarm, or --once unreachable), 2 (usage).
 */
#include "cmd/cmd.h"

#include "api/api.h"
#include "core/channel.h"
#include "core/ledger.h"
#include "core/stats.h"
#include "core/workdays.h"
#include "smtp/smtp.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define MONITOR_INTERVAL_DEFAULT 300  /* seconds between rounds */
#define MONITOR_STATS_MAX (4u << 20)  /* bytes of /api/v1/stats */
#define MONITOR_PUBLIC_MAX (4u << 20) /* bytes of /public */
#define FIGURES_OPEN "<script type=\"application/json\" id=\"dissent-figures\">"
#define FIGURES_CLOSE "</script>"

static const char synopsis[] =
    "dissent log monitor URL --vkey VKEY --state FILE [--witness WVKEY ... [--quorum K]]\n"
    "                        [--config FILE] [--mail ADDRESS] [--interval SECONDS] [--once]\n"
    "                        [--unreachable N] [--timeout SECONDS]\n"
    "Audit the channel's log at URL/log/ every round, recompute its statistics from the\n"
    "entries and compare them with URL/api/v1/stats and URL/public; any disagreement is an\n"
    "alarm (a line, an email with --mail, exit status 1).";

/* The figures that need the channel's calendar (working days): compared only with --config. */
static const char *const calendar_figures[] = {"working_days_to_acknowledge",
                                               "working_days_to_reply", "working_days_to_close",
                                               "extensions", NULL};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* The entries of one audit, parsed. */
struct entries {
    struct ledger_entry *e;
    size_t n, cap;
    uint64_t bad; /* the first entry that does not parse, + 1 (0: none) */
};

static int on_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct entries *x = ctx;
    struct ledger_entry e;

    if (ledger_entry_parse((const char *)data, len, &e) != 0) {
        if (x->bad == 0)
            x->bad = index + 1;
        memset(&e, 0, sizeof(e));
        e.event = LEDGER_AUDIT_HEAD; /* kept in its place, counted in no figure */
        e.day = e.ack_due = e.reply_due = e.first = e.last = -1;
    }
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 1024;
        struct ledger_entry *grown;

        if (cap > STATS_ENTRIES_MAX || (grown = mem_realloc(x->e, cap * sizeof(*grown))) == NULL)
            return ERR_NOMEM;
        x->e = grown;
        x->cap = cap;
    }
    x->e[x->n++] = e;
    return 0;
}

struct monitor {
    struct cmd_log_check lc;
    char base[VERIFY_URL_MAX];        /* the channel's URL, without a final "/" */
    char log_url[VERIFY_URL_MAX + 8]; /* base + "/log/" */
    const char *mail;                 /* --mail, or NULL */
    bool have_config;                 /* --config given: the calendar figures are compared */
    struct config cfg;                /* its settings (the defaults without it) */
    uint64_t verified;                /* the size verified by the last round */
    int away;                         /* rounds in a row that could not reach the channel */
    int away_max;                     /* --unreachable: that many rounds are an alarm */
};

/* Say the alarm, email it, and return 1. */
static int alarm_raise(struct monitor *m, const char *what)
{
    char msg[8192], err[256] = "", date[64];
    time_t t = time(NULL);
    struct tm tm;
    int n;

    fprintf(stderr, "ALARM: %s: %s\n", m->base, what);
    fflush(stderr);
    if (m->mail == NULL)
        return 1;
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    n = snprintf(msg, sizeof(msg),
                 "From: <%s>\r\nTo: <%s>\r\nSubject: Dissent log monitor: ALARM for %s\r\n"
                 "Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "\r\nThe log monitor of %s raised an alarm:\r\n\r\n%s\r\n\r\n"
                 "The channel's log or its statistics do not agree with what it claims. Check it "
                 "with `dissent log verify` and tell the channel's overseers.\r\n",
                 m->cfg.mail_from, m->mail, m->base, date, m->base, what);
    if (n < 0 || (size_t)n >= sizeof(msg) ||
        smtp_send(&m->cfg, m->cfg.mail_from, m->mail, msg, (size_t)n, err, sizeof(err)) != 0)
        fprintf(stderr, "dissent log monitor: the alarm email could not be sent: %s\n",
                err[0] ? err : "too long");
    else
        fprintf(stderr, "dissent log monitor: the alarm was emailed to %s\n", m->mail);
    return 1;
}

static bool calendar_figure(const char *key)
{
    for (int i = 0; calendar_figures[i] != NULL; i++)
        if (strcmp(key, calendar_figures[i]) == 0)
            return true;
    return false;
}

/*
 * Compare the document @claim (from @where) with @ours, figure by figure: every key of either
 * (but the calendar's figures without --config). The first disagreement goes to @why.
 */
static bool figures_agree(const struct monitor *m, json_t *ours, json_t *claim, const char *where,
                          char *why, size_t whylen)
{
    const char *key;
    json_t *v;

    if (!json_is_object(claim)) {
        err_set(why, whylen, "%s is not a statistics document", where);
        return false;
    }
    json_object_foreach(ours, key, v)
    {
        json_t *c = json_object_get(claim, key);
        char *a, *b;

        if (!m->have_config && calendar_figure(key))
            continue;
        if (c != NULL && json_equal(v, c))
            continue;
        a = json_dumps(v,
                       JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
        b = c ? json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
                                  JSON_REAL_PRECISION(10))
              : NULL;
        err_set(why, whylen, "%s claims %s = %.300s, the log's entries give %.300s", where, key,
                b ? b : "(nothing)", a ? a : "?");
        mem_free(a);
        mem_free(b);
        return false;
    }
    json_object_foreach(claim, key, v)
    {
        if (json_object_get(ours, key) == NULL) {
            err_set(why, whylen, "%s claims a figure %s that no rule makes", where, key);
            return false;
        }
    }
    return true;
}

/* The statistics of the first @size entries, judged on @today, as the server renders them. */
static json_t *recompute(const struct monitor *m, const struct entries *x, size_t size,
                         int64_t today, char *why, size_t whylen)
{
    struct workdays_calendar cal;
    struct ledger_stats s = {0};
    char err[256] = "";
    json_t *doc = NULL;
    int rc;

    if ((rc = channel_calendar_init(&cal, &m->cfg, err, sizeof(err))) != 0) {
        err_set(why, whylen, "the channel's calendar: %s", err);
        return NULL;
    }
    if ((rc = stats_log_closures(x->e, size, &cal)) != 0 ||
        (rc = stats_compute(x->e, size, &cal, today, &s)) != 0)
        err_set(why, whylen, "the statistics cannot be computed from the entries (%s)",
                err_str(rc));
    else if ((doc = api_stats_json(&s)) == NULL)
        err_set(why, whylen, "out of memory");
    stats_release(&s);
    workdays_calendar_release(&cal);
    return doc;
}

/* Whether a failed request (@unanswered: no answer came; else its @status) says the channel is
 * away rather than lying. */
static bool away(int rc, bool unanswered, long status)
{
    return rc == ERR_IO && (unanswered || status == 429 || status >= 500);
}

/*
 * Whether @day is the organisation's day now: with --config (its time zone) the day at this
 * moment, or ten minutes either side (clocks differ); without, a day either side, since the zone
 * is not known.
 */
static bool is_today(const struct monitor *m, int64_t day)
{
    int64_t now = (int64_t)time(NULL), d;
    int slack = m->have_config ? 600 : 86400 + 600;

    for (int64_t t = now - slack; t <= now + slack; t += 300)
        if (workdays_day_from_unix(t, &d) == 0 && d == day)
            return true;
    return false;
}

/* The figures /public embeds, or NULL with @why ("" when the page is not published); *@away
 * when the channel did not answer. */
static json_t *public_figures(const struct monitor *m, bool *gone, char *why, size_t whylen)
{
    char url[VERIFY_URL_MAX + 16], err[VERIFY_ERR_MAX] = "", *page = NULL;
    const char *a, *b;
    json_error_t je;
    json_t *doc = NULL;
    size_t len = 0;
    long status = 0;
    bool unanswered = false;
    int rc;

    why[0] = '\0';
    *gone = false;
    snprintf(url, sizeof(url), "%s/public", m->base);
    if ((rc = cmd_http_get(url, MONITOR_PUBLIC_MAX, m->lc.timeout, &page, &len, &status,
                           &unanswered, err)) != 0) {
        *gone = away(rc, unanswered, status);
        if (status != 404)
            err_set(why, whylen, "%s", err);
        return NULL;
    }
    if ((a = strstr(page, FIGURES_OPEN)) == NULL ||
        (b = strstr(a + strlen(FIGURES_OPEN), FIGURES_CLOSE)) == NULL) {
        err_set(why, whylen, "%s embeds no figures (%s)", url, FIGURES_OPEN);
    } else {
        a += strlen(FIGURES_OPEN);
        if ((doc = json_loadb(a, (size_t)(b - a), JSON_REJECT_DUPLICATES, &je)) == NULL)
            err_set(why, whylen, "%s embeds figures that do not parse: %s", url, je.text);
    }
    mem_free(page);
    return doc;
}

#define ATTEMPTS 3 /* audits a round makes when checkpoints are published meanwhile */

/* One round: 0 (all agrees), 1 (alarm raised), or -1 (unreachable, said). */
static int round_run(struct monitor *m)
{
    struct entries x = {0};
    struct cmd_log_result res = {0};
    char err[VERIFY_ERR_MAX] = "", why[1024] = "", url[VERIFY_URL_MAX + 32], *body = NULL;
    json_t *claim = NULL, *ours = NULL, *pub = NULL, *ps = NULL, *pt = NULL;
    json_error_t je;
    int64_t today = 0, claimed = 0, pday = 0;
    uint64_t floor = m->verified;
    size_t len = 0, size;
    long status = 0;
    bool gone = false, unanswered = false, first = true;
    int rc, out = 1;

    /* audit, then the statistics, then the page: a checkpoint published while that goes on
     * makes them newer than the audit, and the round audits again (a few times at most) */
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        cmd_log_result_release(&res);
        mem_free(x.e);
        memset(&x, 0, sizeof(x));
        json_decref(claim);
        json_decref(pub);
        claim = pub = NULL;
        mem_free(body);
        body = NULL;
        m->lc.entry = on_entry;
        m->lc.ctx = &x;
        if ((rc = cmd_log_check(&m->lc, &res, err)) != 0) {
            if (away(rc, res.unanswered, res.http_status)) {
                fprintf(stderr, "dissent log monitor: unreachable: %s\n", err);
                out = -1;
                goto done;
            }
            err_set(why, sizeof(why), "the log: %s", err);
            goto alarm;
        }
        /* the page may come from a cache: no older than what was verified before this round
         * (the last round's, or the state file's as it was) */
        if (first && res.old_size > floor)
            floor = res.old_size;
        first = false;
        if (x.bad != 0) {
            err_set(why, sizeof(why), "the log: entry %llu is not a valid entry",
                    (unsigned long long)(x.bad - 1));
            goto alarm;
        }
        snprintf(url, sizeof(url), "%s/api/v1/stats", m->base);
        if ((rc = cmd_http_get(url, MONITOR_STATS_MAX, m->lc.timeout, &body, &len, &status,
                               &unanswered, err)) != 0) {
            if (away(rc, unanswered, status)) {
                fprintf(stderr, "dissent log monitor: unreachable: %s\n", err);
                out = -1;
                goto done;
            }
            err_set(why, sizeof(why), "the statistics: %s", err);
            goto alarm;
        }
        if ((claim = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
            !json_is_integer(json_object_get(claim, "log_size")) ||
            !json_is_string(json_object_get(claim, "today")) ||
            workdays_day_parse(json_string_value(json_object_get(claim, "today")), &today) != 0) {
            err_set(why, sizeof(why), "%s is not a statistics document", url);
            goto alarm;
        }
        claimed = json_integer_value(json_object_get(claim, "log_size"));
        if (claimed >= 0 && (uint64_t)claimed > res.audit.cp.size)
            continue; /* newer than the audit: again */
        pub = public_figures(m, &gone, why, sizeof(why));
        if (gone) {
            fprintf(stderr, "dissent log monitor: unreachable: %s\n", why);
            out = -1;
            goto done;
        }
        if (pub == NULL && why[0] != '\0')
            goto alarm;
        ps = pub != NULL ? json_object_get(pub, "log_size") : NULL;
        if (ps != NULL && json_is_integer(ps) && json_integer_value(ps) >= 0 &&
            (uint64_t)json_integer_value(ps) > res.audit.cp.size)
            continue; /* the page is newer than the audit: again */
        break;
    }
    /* the statistics are of the checkpoint just audited, never of an older one: they are made of
     * the published checkpoint's entries, fetched after it */
    if (claimed < 0 || (uint64_t)claimed != res.audit.cp.size) {
        err_set(why, sizeof(why),
                "the statistics are of %lld entries, but the published checkpoint has %llu%s",
                (long long)claimed, (unsigned long long)res.audit.cp.size,
                claimed >= 0 && (uint64_t)claimed < res.audit.cp.size
                    ? ": recent entries are left out"
                    : "");
        goto alarm;
    }
    if (!is_today(m, today)) {
        err_set(why, sizeof(why), "the statistics are judged on %s, not on today",
                json_string_value(json_object_get(claim, "today")));
        goto alarm;
    }
    size = (size_t)claimed;
    if ((ours = recompute(m, &x, size, today, why, sizeof(why))) == NULL)
        goto alarm;
    if (!figures_agree(m, ours, claim, "/api/v1/stats", why, sizeof(why)))
        goto alarm;
    if (pub != NULL) {
        pt = json_object_get(pub, "today");
        if (!json_is_integer(ps) || !json_is_string(pt) ||
            workdays_day_parse(json_string_value(pt), &pday) != 0 || json_integer_value(ps) < 0 ||
            (uint64_t)json_integer_value(ps) > res.audit.cp.size ||
            (uint64_t)json_integer_value(ps) < floor || !is_today(m, pday)) {
            err_set(why, sizeof(why),
                    "/public's figures are not of this log (%lld entries; %llu to %llu "
                    "verified), or not of today",
                    json_is_integer(ps) ? (long long)json_integer_value(ps) : -1LL,
                    (unsigned long long)floor, (unsigned long long)res.audit.cp.size);
            goto alarm;
        }
        if ((size_t)json_integer_value(ps) != size || pday != today) {
            json_decref(ours);
            if ((ours = recompute(m, &x, (size_t)json_integer_value(ps), pday, why, sizeof(why))) ==
                NULL)
                goto alarm;
        }
        if (!figures_agree(m, ours, pub, "/public", why, sizeof(why)))
            goto alarm;
    }
    m->verified = res.audit.cp.size;
    m->away = 0;
    printf("OK: %s: %llu entries verified; the statistics of %lld entries agree%s%s\n", m->base,
           (unsigned long long)res.audit.cp.size, (long long)claimed,
           pub != NULL ? ", and /public's" : "",
           m->have_config ? "" : " (working days not compared: no --config)");
    if (m->lc.nwitnesses)
        printf("   cosignatures: %zu of %zu witnesses, %zu required\n", res.cosigned,
               m->lc.nwitnesses, m->lc.quorum);
    fflush(stdout);
    out = 0;
    goto done;
alarm:
    out = alarm_raise(m, why);
done:
    json_decref(claim);
    json_decref(ours);
    json_decref(pub);
    mem_free(body);
    mem_free(x.e);
    cmd_log_result_release(&res);
    return out;
}

int cmd_log_monitor(int argc, char **argv)
{
    static struct monitor m;
    const char *vkey = NULL, *state = NULL, *quorum = NULL, *timeout = NULL, *config = NULL,
               *interval = NULL, *unreachable = NULL;
    struct cmd_list witnesses = {0};
    bool once = false;
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &vkey, NULL, NULL},
        {"state", "FILE", "the checkpoint of the last round: the log must extend it", &state, NULL,
         NULL},
        {"witness", "WVKEY", "a witness's key (repeat): its cosignature counts", NULL, NULL,
         &witnesses},
        {"quorum", "K", "cosignatures required of the witnesses (default: all)", &quorum, NULL,
         NULL},
        {"config", "FILE", "the channel's settings: its calendar, and [mail] for --mail", &config,
         NULL, NULL},
        {"mail", "ADDRESS", "email each alarm there (needs --config's [mail])", &m.mail, NULL,
         NULL},
        {"interval", "SECONDS", "between rounds (default 300)", &interval, NULL, NULL},
        {"unreachable", "N", "rounds in a row without an answer before an alarm (default 3)",
         &unreachable, NULL, NULL},
        {"once", NULL, "one round, then exit", NULL, &once, NULL},
        {"timeout", "SECONDS", "each round's limit (default 300)", &timeout, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char **rest = NULL, err[256] = "";
    int64_t every = MONITOR_INTERVAL_DEFAULT;
    int nrest = 0, c, rc = 0;
    size_t n;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 1 || vkey == NULL || state == NULL) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    n = strlen(rest[0]);
    while (n > 0 && rest[0][n - 1] == '/')
        n--;
    if (n + 16 >= sizeof(m.base)) {
        fprintf(stderr, "dissent log monitor: the URL is too long\n");
        return 2;
    }
    memcpy(m.base, rest[0], n);
    m.base[n] = '\0';
    snprintf(m.log_url, sizeof(m.log_url), "%.*s/log/", (int)n, m.base);
    if (cmd_log_check_setup(&m.lc, "dissent log monitor", m.log_url, vkey, &witnesses, quorum,
                            timeout) != 0)
        return 2;
    m.lc.state = state;
    if (interval != NULL && str_parse_i64(interval, 1, 86400, &every) != 0) {
        fprintf(stderr, "dissent log monitor: --interval: 1 to 86400 seconds\n");
        return 2;
    }
    m.away_max = 3;
    if (unreachable != NULL) {
        int64_t v;

        if (str_parse_i64(unreachable, 1, 1000, &v) != 0) {
            fprintf(stderr, "dissent log monitor: --unreachable: 1 to 1000 rounds\n");
            return 2;
        }
        m.away_max = (int)v;
    }
    config_defaults(&m.cfg);
    if (config != NULL) {
        if (config_load_file(&m.cfg, config, err, sizeof(err)) != 0) {
            fprintf(stderr, "dissent log monitor: %s\n", err);
            return 2;
        }
        m.have_config = true;
    }
    if (m.mail != NULL && (config == NULL || m.cfg.mail_host[0] == '\0' ||
                           m.cfg.mail_from[0] == '\0' || !str_email_valid(m.mail))) {
        fprintf(stderr, "dissent log monitor: --mail needs an address and --config with [mail] "
                        "host and from\n");
        return 2;
    }
    if (workdays_tz_set(channel_zone(&m.cfg), err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent log monitor: %s\n", err);
        return 2;
    }
    if (smtp_global_init() != 0) {
        fprintf(stderr, "dissent log monitor: cannot initialise libcurl\n");
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    for (;;) {
        int r = round_run(&m);

        if (r == -1 && !once && ++m.away >= m.away_max) {
            char what[160];

            /* a server that only stalls must not keep the monitor quiet for ever */
            snprintf(what, sizeof(what),
                     "the channel could not be reached for %d rounds in a row (%lld s apart)",
                     m.away, (long long)every);
            r = alarm_raise(&m, what);
        }
        if (r == 1) {
            rc = 1;
            break;
        }
        if (once) {
            rc = r == 0 ? 0 : 1;
            break;
        }
        for (int64_t waited = 0; waited < every && !stopping; waited++) {
            struct timespec one = {1, 0};
            nanosleep(&one, NULL);
        }
        if (stopping)
            break;
    }
    smtp_global_cleanup();
    return rc;
}
