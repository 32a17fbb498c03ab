/*
 * public.c - GET /public: what the transparency log proves, for anyone, without signing in
 * ([tlog] public; else auditors only, like /log/). One server-rendered page, no script:
 *   - filings per month (a bar chart as accessible SVG, and the same as a table);
 *   - signers per memo; declines and withdrawals;
 *   - the deadlines met: acknowledged and replied on time, late, overdue;
 *   - the checkpoint the figures are of, with its witnesses' cosignatures;
 *   - how to verify all of it (dissent log verify, dissent log monitor);
 * and the figures themselves as a JSON document (<script type="application/json"
 * id="dissent-figures">, exactly what GET /api/v1/stats answers for the same log), which
 * `dissent log monitor` compares with its own recomputation. Everything is computed from the
 * entries of the published checkpoint (api_stats_compute()); text from anywhere is escaped.
 */
#include "api/api.h"

#include "core/cosigning.h"
#include "core/ledger.h"
#include "core/stats.h"
#include "core/workdays.h"
#include "crypto/note.h"
#include "http/static.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX (8u << 20) /* bytes of the page, at most */
#define CHART_W 360         /* a chart's width: a phone's, drawn 1:1 */
#define CHART_ROW 26
#define CHART_LABEL 110
#define CHART_VALUE 56

/* A page being written; @failed once anything did not fit. */
struct page {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put_raw(struct page *g, const char *s, size_t n)
{
    if (g->failed)
        return;
    if (g->len + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 16384;
        char *grown;

        while (cap < g->len + n + 1)
            cap *= 2;
        if (cap > PAGE_MAX || (grown = mem_realloc(g->p, cap)) == NULL) {
            g->failed = true;
            return;
        }
        g->p = grown;
        g->cap = cap;
    }
    memcpy(g->p + g->len, s, n);
    g->len += n;
    g->p[g->len] = '\0';
}

static void put(struct page *g, const char *s)
{
    put_raw(g, s, strlen(s));
}

/* @fmt's expansion, as is: only for numbers and the page's own markup. */
static void putf(struct page *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct page *g, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        g->failed = true;
    else
        put_raw(g, buf, (size_t)n);
}

/* @s escaped for text and attribute values. */
static void put_esc(struct page *g, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            put(g, "&amp;");
            break;
        case '<':
            put(g, "&lt;");
            break;
        case '>':
            put(g, "&gt;");
            break;
        case '"':
            put(g, "&quot;");
            break;
        case '\'':
            put(g, "&#39;");
            break;
        default:
            put_raw(g, &s[i], 1);
        }
    }
}

/* A horizontal bar chart, one row per label, the value written after its bar. */
static void bar_chart(struct page *g, const char *id, const char *title, const char *desc,
                      const char *const *labels, const uint64_t *values, size_t n)
{
    uint64_t max = 1;
    int h = 16 + (int)(n ? n : 1) * CHART_ROW, bar_max = CHART_W - CHART_LABEL - CHART_VALUE - 8;

    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    putf(g,
         "<figure class=\"chart-fig\"><figcaption>%s</figcaption>"
         "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
         "aria-labelledby=\"%st %sd\"><title id=\"%st\">",
         title, CHART_W, h, CHART_W, h, id, id, id);
    put_esc(g, title, strlen(title));
    putf(g, "</title><desc id=\"%sd\">", id);
    put_esc(g, desc, strlen(desc));
    put(g, "</desc>");
    for (size_t i = 0; i < n; i++) {
        int y = 8 + (int)i * CHART_ROW, w = (int)((uint64_t)bar_max * values[i] / max);

        putf(g, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\" fill=\"#1a1a1a\">",
             CHART_LABEL - 6, y + CHART_ROW / 2 + 4);
        put_esc(g, labels[i], strlen(labels[i]));
        putf(g,
             "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#1d3f8f\"/>"
             "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#1a1a1a\">%llu</text>",
             CHART_LABEL, y + 4, w ? w : (values[i] ? 2 : 0), CHART_ROW - 8,
             CHART_LABEL + (w ? w : 0) + 6, y + CHART_ROW / 2 + 4, (unsigned long long)values[i]);
    }
    if (n == 0)
        putf(g,
             "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" "
             "fill=\"#4a4a4a\">No filing yet</text>",
             CHART_W / 2, h / 2 + 4);
    putf(g, "<line x1=\"%d\" y1=\"8\" x2=\"%d\" y2=\"%d\" stroke=\"#1a1a1a\"/></svg></figure>",
         CHART_LABEL, CHART_LABEL, h - 8);
}

/* One deadline's figures, as a sentence and a row of the table. */
static void on_time_row(struct page *g, const char *what, const struct stats_on_time *t)
{
    uint64_t total = t->on_time + t->late + t->overdue;

    putf(g, "<tr><th scope=\"row\">%s</th><td>%llu</td><td>%llu</td><td>%llu</td><td>", what,
         (unsigned long long)t->on_time, (unsigned long long)t->late,
         (unsigned long long)t->overdue);
    if (total == 0)
        put(g, "&mdash;");
    else
        putf(g, "%.0f%%", 100.0 * (double)t->on_time / (double)total);
    put(g, "</td></tr>");
}

/* "YYYY-MM" of the months from the first filing to @today's, with their counts. */
static size_t months_of(const struct ledger_stats *s, char (*labels)[8], uint64_t *values,
                        size_t max)
{
    int y, m, ly, lm, md;
    size_t n = 0, k = 0;

    if (s->nmonths == 0 || workdays_day_to_date(s->today, &ly, &lm, &md) != 0)
        return 0;
    y = s->months[0].year;
    m = s->months[0].month;
    if (s->months[s->nmonths - 1].year * 12 + s->months[s->nmonths - 1].month > ly * 12 + lm) {
        ly = s->months[s->nmonths - 1].year;
        lm = s->months[s->nmonths - 1].month;
    }
    while ((y < ly || (y == ly && m <= lm)) && n < max) {
        snprintf(labels[n], 8, "%04d-%02d", y, m);
        values[n] = 0;
        if (k < s->nmonths && s->months[k].year == y && s->months[k].month == m)
            values[n] = s->months[k++].count;
        n++;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return n;
}

/* The checkpoint served, and who cosigned it. */
static void checkpoint_section(struct page *g, struct api_env *env, const char *cp)
{
    struct cosigner *w = mem_calloc(COSIGNING_MAX, sizeof(*w));
    struct note_vkey keys[COSIGNING_MAX];
    uint64_t times[COSIGNING_MAX] = {0};
    size_t n = 0, count = 0;

    put(g, "<section aria-labelledby=\"cp\"><h2 id=\"cp\">The checkpoint these figures are of</h2>"
           "<p>A checkpoint is the log's signed statement of its size and root hash. Every "
           "figure above is computed from the entries it covers.</p><pre class=\"note\">");
    if (cp != NULL)
        put_esc(g, cp, strlen(cp));
    else
        put(g, "(no checkpoint published yet)");
    put(g, "</pre>");
    if (w != NULL && cosigning_parse(env->cfg->log_witnesses, w, &n, NULL, 0) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++)
            keys[i] = w[i].key;
        if (cp == NULL || tlog_cosig_verify(cp, strlen(cp), keys, n, times, &count, NULL, 0) != 0)
            count = 0;
        putf(g,
             "<p>Independent witnesses cosign each checkpoint once they have checked that it "
             "extends every one they saw before. This one carries %zu of the %zu witnesses' "
             "cosignatures; %d are required before a checkpoint is published.</p><ul>",
             count, n, env->ch->log_quorum);
        for (size_t i = 0; i < n; i++) {
            put(g, "<li>");
            put_esc(g, keys[i].name, keys[i].name_len);
            if (times[i] != 0) {
                char when[32];
                time_t t = (time_t)times[i];
                struct tm tm;

                gmtime_r(&t, &tm);
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
                putf(g, ": cosigned at %s", when);
            } else {
                put(g, ": no cosignature on this checkpoint");
            }
            put(g, "</li>");
        }
        put(g, "</ul>");
    }
    mem_free(w);
    put(g, "</section>");
}

/* How to check it all. */
static void verify_section(struct page *g, struct api_env *env, const struct api_req *req)
{
    struct cosigner *w = mem_calloc(COSIGNING_MAX, sizeof(*w));
    char vkey[NOTE_VKEY_MAX] = "", wkey[NOTE_VKEY_MAX];
    struct note_vkey vk;
    const char *origin = env->cfg->origin;
    size_t n = 0;

    note_skey_vkey(env->ch->log_key, &vk);
    note_vkey_format(&vk, vkey, sizeof(vkey));
    put(g, "<section aria-labelledby=\"check\"><h2 id=\"check\">Check it yourself</h2>"
           "<p>You need not trust this page. With <code>dissent</code> installed (or any "
           "implementation of the public specifications), fetch the log and recompute every "
           "figure: docs/formats.md gives the exact rule for each.</p><pre class=\"cmd\">"
           "dissent log verify ");
    /* the configured origin only: a Host header would be written into a page caches keep */
    if (origin[0] != '\0')
        put_esc(g, origin, strlen(origin));
    else
        put(g, "https://THIS-CHANNEL");
    put(g, "/log --vkey ");
    put_esc(g, vkey, strlen(vkey));
    if (w != NULL && cosigning_parse(env->cfg->log_witnesses, w, &n, NULL, 0) == 0) {
        for (size_t i = 0; i < n; i++) {
            note_vkey_format(&w[i].key, wkey, sizeof(wkey));
            put(g, " \\\n    --witness ");
            put_esc(g, wkey, strlen(wkey));
        }
        if (n > 0)
            putf(g, " --quorum %d", env->ch->log_quorum);
    }
    put(g, "</pre><p><code>dissent log monitor</code> does the same every few minutes, and "
           "compares the figures this page and <code>/api/v1/stats</code> show with what the "
           "log's entries give: it raises an alarm at the first difference.</p>"
           "<p>The log's key is <code>");
    put_esc(g, vkey, strlen(vkey));
    put(g, "</code>: compare it with the one the channel publishes elsewhere.</p></section>");
    mem_free(w);
}

void api_public(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct ledger_stats s = {0};
    struct page g = {0};
    char(*labels)[8] = NULL, today[WORKDAYS_ISO_SIZE], *cp = NULL, *figures = NULL;
    const char **lp = NULL;
    uint64_t *values = NULL, published = 0;
    size_t nm = 0;
    json_t *doc = NULL;
    int rc;

    if ((rc = api_stats_compute(env, req->now, &s)) != 0) {
        api_error_rc(resp, rc, "cannot compute the statistics");
        return;
    }
    if ((rc = ledger_checkpoint_public(env->st, env->ch->log_quorum, &cp, &published)) != 0 &&
        rc != ERR_NOT_FOUND) {
        api_error_rc(resp, rc, NULL);
        goto out;
    }
    if ((doc = api_stats_json(&s)) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    if (fault_on("public-lie")) /* a test's server whose page lies (util/fault.h) */
        json_object_set_new(doc, "withdrawn", json_integer((json_int_t)s.withdrawn + 1));
    figures = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    labels = mem_calloc(1200, sizeof(*labels));
    values = mem_calloc(1200, sizeof(*values));
    lp = mem_calloc(1200, sizeof(*lp));
    if (figures == NULL || labels == NULL || values == NULL || lp == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    nm = months_of(&s, labels, values, 1200);
    for (size_t i = 0; i < nm; i++)
        lp[i] = labels[i];
    workdays_day_format(s.today, today, sizeof(today));
    put(&g, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>The dissent channel in figures</title>");
    putf(&g,
         "<link rel=\"icon\" href=\"/assets/%s/icon.svg\" type=\"image/svg+xml\">"
         "<link rel=\"stylesheet\" href=\"/assets/%s/app.css\"></head>",
         http_static_version(), http_static_version());
    put(&g, "<body class=\"public\"><main id=\"main\"><h1>The dissent channel in figures</h1>");
    putf(&g,
         "<p class=\"lead\">Computed on %s from the channel's public transparency log: %llu "
         "entr%s, covered by the checkpoint below. The log records every filing, "
         "acknowledgement, reply and decision by date, never a name, a title or a word of a "
         "memo.</p>",
         today, (unsigned long long)s.log_size, s.log_size == 1 ? "y" : "ies");
    put(&g, "<section aria-labelledby=\"filings\"><h2 id=\"filings\">Memos filed</h2>");
    putf(&g, "<p><strong>%llu</strong> memo%s filed in all.</p>",
         (unsigned long long)s.signers.count, s.signers.count == 1 ? "" : "s");
    bar_chart(&g, "fm", "Filings per month",
              "Memos filed in each month, from the first filing to this month.", lp, values, nm);
    put(&g, "<details><summary>The same as a table</summary><table><thead><tr><th "
            "scope=\"col\">Month</th><th scope=\"col\">Filed</th></tr></thead><tbody>");
    for (size_t i = 0; i < nm; i++)
        putf(&g, "<tr><td>%s</td><td>%llu</td></tr>", labels[i], (unsigned long long)values[i]);
    put(&g, "</tbody></table></details></section>");
    put(&g, "<section aria-labelledby=\"signers\"><h2 id=\"signers\">Signers per memo</h2>");
    if (s.signers.count == 0)
        put(&g, "<p>No memo filed yet.</p>");
    else
        putf(&g,
             "<dl class=\"figures\"><dt>Mean</dt><dd>%.2f</dd><dt>Median</dt><dd>%.2f</dd>"
             "<dt>Most</dt><dd>%llu</dd></dl>",
             s.signers.mean, s.signers.median, (unsigned long long)s.signers.max);
    put(&g, "</section>");
    putf(&g,
         "<section aria-labelledby=\"ends\"><h2 id=\"ends\">Declined and withdrawn</h2>"
         "<dl class=\"figures\"><dt>Declined by the channel</dt><dd>%llu</dd>"
         "<dt>Withdrawn by their drafters</dt><dd>%llu</dd><dt>Still open</dt><dd>%llu</dd>"
         "<dt>Overdue now</dt><dd>%llu</dd></dl></section>",
         (unsigned long long)s.declined, (unsigned long long)s.withdrawn,
         (unsigned long long)s.open, (unsigned long long)s.overdue);
    put(&g, "<section aria-labelledby=\"deadlines\"><h2 id=\"deadlines\">Deadlines met</h2>"
            "<p>Each memo must be acknowledged, then answered, within deadlines counted in "
            "working days. Overdue deadlines count as missed.</p><div class=\"scroll-x\" "
            "tabindex=\"0\" role=\"region\" aria-label=\"Deadlines met, as a table\">"
            "<table><thead><tr><th scope=\"col\">Deadline</th><th scope=\"col\">On time</th>"
            "<th scope=\"col\">Late</th><th scope=\"col\">Overdue</th><th "
            "scope=\"col\">Share</th></tr></thead><tbody>");
    on_time_row(&g, "Acknowledged", &s.acked);
    on_time_row(&g, "Replied", &s.replied);
    put(&g, "</tbody></table></div>");
    {
        const char *const l2[] = {"Acknowledged", "Replied"};
        uint64_t v2[] = {s.acked.on_time, s.replied.on_time};

        bar_chart(&g, "ot", "Deadlines met on time",
                  "How many acknowledgements and replies came on time.", l2, v2, 2);
    }
    put(&g, "</section>");
    checkpoint_section(&g, env, cp);
    verify_section(&g, env, req);
    /* the figures, for machines: '<' escaped so that nothing closes the element early */
    put(&g, "<script type=\"application/json\" id=\"dissent-figures\">");
    for (const char *p = figures; *p; p++) {
        if (*p == '<')
            put(&g, "\\u003c");
        else
            put_raw(&g, p, 1);
    }
    put(&g, "</script></main></body></html>\n");
    if (g.failed) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    resp->status = 200;
    resp->raw = (uint8_t *)g.p;
    resp->raw_len = g.len;
    g.p = NULL;
    resp->content_type = "text/html; charset=utf-8";
    /* shared caches may keep the page when the log is public; else it is an auditor's */
    resp->cache_control = env->ch->log_public ? "public, max-age=60" : "private, max-age=60";
out:
    mem_free(g.p);
    mem_free(cp);
    mem_free(figures);
    mem_free(labels);
    mem_free(values);
    mem_free(lp);
    json_decref(doc);
    stats_release(&s);
}
