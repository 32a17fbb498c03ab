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
#include "core/lang.h"
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
#include "util/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX (8u << 20) /* bytes of the page, at most */
#define CHART_W 360         /* a chart's width: a phone's, drawn 1:1 */
#define CHART_ROW 26
#define CHART_LABEL 110
#define CHART_VALUE 56

/* A page being written, in the language @lang; @failed once anything did not fit. */
struct page {
    char *p;
    size_t len, cap;
    bool failed;
    const char *lang; /* core/lang.h's code */
    bool rtl;         /* written right to left: the charts are mirrored */
    const char *slug; /* the channel the figures are of (?channel=), or NULL for every one */
};

/* @english in the page's language (util/msg.h; scripts/messages.py collects these). */
static const char *pub_tr(const struct page *g, const char *english) __attribute__((format_arg(2)));
static const char *pub_tr(const struct page *g, const char *english)
{
    return msg_in(g->lang, english);
}

/* x measured from the chart's start: from its left, or its right in a right-to-left page. */
static int cx(const struct page *g, int x)
{
    return g->rtl ? CHART_W - x : x;
}

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
         "direction=\"%s\" aria-labelledby=\"%st %sd\"><title id=\"%st\">",
         title, CHART_W, h, CHART_W, h, g->rtl ? "rtl" : "ltr", id, id, id);
    put_esc(g, title, strlen(title));
    putf(g, "</title><desc id=\"%sd\">", id);
    put_esc(g, desc, strlen(desc));
    put(g, "</desc>");
    for (size_t i = 0; i < n; i++) {
        int y = 8 + (int)i * CHART_ROW, w = (int)((uint64_t)bar_max * values[i] / max);

        int bw = w ? w : (values[i] ? 2 : 0);
        /* text-anchor start and end follow the text's direction (the svg's): mirrored x only */
        putf(g, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\" fill=\"#1a1a1a\">",
             cx(g, CHART_LABEL - 6), y + CHART_ROW / 2 + 4);
        put_esc(g, labels[i], strlen(labels[i]));
        putf(g,
             "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#1d3f8f\"/>"
             "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#1a1a1a\">%llu</text>",
             g->rtl ? CHART_W - CHART_LABEL - bw : CHART_LABEL, y + 4, bw, CHART_ROW - 8,
             cx(g, CHART_LABEL + (w ? w : 0) + 6), y + CHART_ROW / 2 + 4,
             (unsigned long long)values[i]);
    }
    if (n == 0)
        putf(g,
             "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\" "
             "fill=\"#4a4a4a\">%s</text>",
             CHART_W / 2, h / 2 + 4, pub_tr(g, "No filing yet"));
    putf(g, "<line x1=\"%d\" y1=\"8\" x2=\"%d\" y2=\"%d\" stroke=\"#1a1a1a\"/></svg></figure>",
         cx(g, CHART_LABEL), cx(g, CHART_LABEL), h - 8);
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

    putf(g,
         "<section aria-labelledby=\"cp\"><h2 id=\"cp\">%s</h2><p>%s</p><pre class=\"note\" "
         "dir=\"ltr\">",
         pub_tr(g, "The checkpoint these figures are of"),
         pub_tr(g, "A checkpoint is the log's signed statement of its size and root hash. Every "
                   "figure above is computed from the entries it covers."));
    if (cp != NULL)
        put_esc(g, cp, strlen(cp));
    else
        put(g, pub_tr(g, "(no checkpoint published yet)"));
    put(g, "</pre>");
    if (w != NULL && cosigning_parse(env->cfg->log_witnesses, w, &n, NULL, 0) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++)
            keys[i] = w[i].key;
        if (cp == NULL || tlog_cosig_verify(cp, strlen(cp), keys, n, times, &count, NULL, 0) != 0)
            count = 0;
        put(g, "<p>");
        putf(g,
             pub_tr(g, "Independent witnesses cosign each checkpoint once they have checked that "
                       "it extends every one they saw before. This one carries %zu of the %zu "
                       "witnesses' cosignatures; %d are required before a checkpoint is "
                       "published."),
             count, n, env->ch->log_quorum);
        put(g, "</p><ul>");
        for (size_t i = 0; i < n; i++) {
            put(g, "<li>");
            put_esc(g, keys[i].name, keys[i].name_len);
            if (times[i] != 0) {
                char when[32];
                time_t t = (time_t)times[i];
                struct tm tm;

                gmtime_r(&t, &tm);
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
                putf(g, pub_tr(g, ": cosigned at %s"), when);
            } else {
                put(g, pub_tr(g, ": no cosignature on this checkpoint"));
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
    putf(g, "<section aria-labelledby=\"check\"><h2 id=\"check\">%s</h2><p>",
         pub_tr(g, "Check it yourself"));
    /* the sentences name the command in <code>: their markup is the page's, in the catalogs */
    put(g, pub_tr(g, "You need not trust this page. With <code>dissent</code> installed (or any "
                     "implementation of the public specifications), fetch the log and recompute "
                     "every figure: docs/formats.md gives the exact rule for each."));
    put(g, "</p><pre class=\"cmd\" dir=\"ltr\">dissent log verify ");
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
    put(g, "</pre><p>");
    put(g, pub_tr(g, "<code>dissent log monitor</code> does the same every few minutes, and "
                     "compares the figures this page and <code>/api/v1/stats</code> show with "
                     "what the log's entries give: it raises an alarm at the first difference."));
    put(g, "</p><p>");
    /* the key is written by the page, escaped; the sentence around it is the catalog's */
    {
        const char *sentence = pub_tr(g, "The log's key is %s: compare it with the one the "
                                         "channel publishes elsewhere.");
        const char *at = strstr(sentence, "%s"), *at1 = strstr(sentence, "%1$s");
        size_t skip = 2;
        if (at == NULL && at1 != NULL) {
            at = at1;
            skip = 4;
        }
        put_raw(g, sentence, at ? (size_t)(at - sentence) : strlen(sentence));
        if (at != NULL) {
            put(g, "<code dir=\"ltr\">");
            put_esc(g, vkey, strlen(vkey));
            put(g, "</code>");
            put(g, at + skip);
        }
    }
    put(g, "</p></section>");
    mem_free(w);
}

static bool known(const char *code)
{
    return lang_find(code) != NULL;
}

/* The page in each language: links to ?lang=CODE, each name in its own language. */
static void languages_nav(struct page *g)
{
    size_t n = 0;
    const struct lang *all = lang_list(&n);

    putf(g, "<nav class=\"languages\" aria-label=\"%s\"><ul>", pub_tr(g, "Languages"));
    for (size_t i = 0; i < n; i++) {
        bool here = strcmp(all[i].code, g->lang) == 0;
        /* the same figures (the same channel's) in another language; a slug is [a-z0-9-] */
        putf(g, "<li><a href=\"?lang=%s%s%s\" lang=\"%s\" hreflang=\"%s\"%s>", all[i].code,
             g->slug ? "&amp;channel=" : "", g->slug ? g->slug : "", all[i].code, all[i].code,
             here ? " aria-current=\"page\"" : "");
        put_esc(g, all[i].name, strlen(all[i].name));
        put(g, "</a></li>");
    }
    put(g, "</ul></nav>");
}

/* With several channels, the figures of each and of all: links to ?channel=SLUG (in the page's
 * language), each channel by its name (escaped) or its slug. */
static void channels_nav(struct page *g, const struct channel_row *rows, size_t n)
{
    if (n < 2)
        return;
    putf(g, "<nav class=\"channels\" aria-label=\"%s\"><ul><li><a href=\"?lang=%s\"%s>%s</a></li>",
         pub_tr(g, "Channels"), g->lang, g->slug ? "" : " aria-current=\"page\"",
         pub_tr(g, "All channels"));
    for (size_t i = 0; i < n; i++) {
        bool here = g->slug != NULL && strcmp(g->slug, rows[i].slug) == 0;
        putf(g, "<li><a href=\"?lang=%s&amp;channel=%s\"%s>", g->lang, rows[i].slug,
             here ? " aria-current=\"page\"" : "");
        if (rows[i].name[0] != '\0')
            put_esc(g, rows[i].name, strlen(rows[i].name));
        else
            put(g, rows[i].slug);
        put(g, "</a></li>");
    }
    put(g, "</ul></nav>");
}

void api_public(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct ledger_stats s = {0};
    struct page g = {0};
    const struct lang *lang = NULL;
    struct channel_row *chans = NULL;
    const struct channel_row *chan = NULL;
    size_t nchans = 0;
    char(*labels)[8] = NULL, today[WORKDAYS_ISO_SIZE], *cp = NULL, *figures = NULL;
    const char **lp = NULL;
    uint64_t *values = NULL, published = 0;
    size_t nm = 0;
    json_t *doc = NULL;
    int rc;

    /* the language: ?lang=, else the browser's (Accept-Language, so caches keep one answer
     * per language: Vary), else English */
    char code[LANG_CODE_MAX] = "";
    if ((rc = api_query(req, resp, "lang", code, sizeof(code))) == ERR_INVALID)
        return;
    if (rc == 0 && (lang = lang_find(code)) == NULL) {
        api_error_field(resp, "lang", "lang: one of en, fr, de, es, ar");
        return;
    }
    if (rc == ERR_NOT_FOUND) {
        resp->vary = "Accept-Language";
        if (msg_accept_language(req->accept_language, known, code, sizeof(code)) == 0)
            lang = lang_find(code);
    }
    if (lang == NULL)
        lang = lang_find("en");
    /* the figures of one channel (?channel=SLUG), or of all */
    int64_t channel = 0;
    if (api_stats_channel(env, req, resp, &channel) != 0)
        return;
    if ((rc = channels_list(env->st, &chans, &nchans)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    for (size_t i = 0; i < nchans; i++)
        if (chans[i].id == channel)
            chan = &chans[i];
    g.slug = chan ? chan->slug : NULL;
    if ((rc = api_stats_compute(env, req->now, channel, &s)) != 0) {
        api_error_rc(resp, rc, "cannot compute the statistics");
        goto out;
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
    g.lang = lang->code;
    g.rtl = lang->rtl;
    putf(&g,
         "<!doctype html><html lang=\"%s\" dir=\"%s\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>%s</title>",
         lang->code, lang->rtl ? "rtl" : "ltr", pub_tr(&g, "The dissent channel in figures"));
    putf(&g,
         "<link rel=\"icon\" href=\"/assets/%s/icon.svg\" type=\"image/svg+xml\">"
         "<link rel=\"stylesheet\" href=\"/assets/%s/app.css\"></head>",
         http_static_version(), http_static_version());
    put(&g, "<body class=\"public\">");
    languages_nav(&g);
    channels_nav(&g, chans, nchans);
    putf(&g, "<main id=\"main\"><h1>%s</h1>", pub_tr(&g, "The dissent channel in figures"));
    if (chan != NULL) {
        putf(&g, "<p class=\"lead\"><strong>%s</strong> ", pub_tr(&g, "Channel:"));
        if (chan->name[0] != '\0')
            put_esc(&g, chan->name, strlen(chan->name));
        else
            put(&g, chan->slug);
        put(&g, "</p>");
    }
    put(&g, "<p class=\"lead\">");
    putf(&g,
         msg_in_n(g.lang, s.log_size,
                  "Computed on %s from the channel's public transparency log: %llu entry, covered "
                  "by the checkpoint below. The log records every filing, acknowledgement, reply "
                  "and decision by date, never a name, a title or a word of a memo.",
                  "Computed on %s from the channel's public transparency log: %llu entries, "
                  "covered by the checkpoint below. The log records every filing, "
                  "acknowledgement, reply and decision by date, never a name, a title or a word "
                  "of a memo."),
         today, (unsigned long long)s.log_size);
    put(&g, "</p>");
    putf(&g, "<section aria-labelledby=\"filings\"><h2 id=\"filings\">%s</h2><p>",
         pub_tr(&g, "Memos filed"));
    putf(&g,
         msg_in_n(g.lang, s.signers.count, "<strong>%llu</strong> memo filed in all.",
                  "<strong>%llu</strong> memos filed in all."),
         (unsigned long long)s.signers.count);
    put(&g, "</p>");
    bar_chart(&g, "fm", pub_tr(&g, "Filings per month"),
              pub_tr(&g, "Memos filed in each month, from the first filing to this month."), lp,
              values, nm);
    putf(&g,
         "<details><summary>%s</summary><table><thead><tr><th scope=\"col\">%s</th><th "
         "scope=\"col\">%s</th></tr></thead><tbody>",
         pub_tr(&g, "The same as a table"), pub_tr(&g, "Month"), pub_tr(&g, "Filed"));
    for (size_t i = 0; i < nm; i++)
        putf(&g, "<tr><td>%s</td><td>%llu</td></tr>", labels[i], (unsigned long long)values[i]);
    put(&g, "</tbody></table></details></section>");
    putf(&g, "<section aria-labelledby=\"signers\"><h2 id=\"signers\">%s</h2>",
         pub_tr(&g, "Signers per memo"));
    if (s.signers.count == 0)
        putf(&g, "<p>%s</p>", pub_tr(&g, "No memo filed yet."));
    else
        putf(&g,
             "<dl class=\"figures\"><dt>%s</dt><dd>%.2f</dd><dt>%s</dt><dd>%.2f</dd>"
             "<dt>%s</dt><dd>%llu</dd></dl>",
             pub_tr(&g, "Mean"), s.signers.mean, pub_tr(&g, "Median"), s.signers.median,
             pub_tr(&g, "Most"), (unsigned long long)s.signers.max);
    put(&g, "</section>");
    putf(&g,
         "<section aria-labelledby=\"ends\"><h2 id=\"ends\">%s</h2>"
         "<dl class=\"figures\"><dt>%s</dt><dd>%llu</dd><dt>%s</dt><dd>%llu</dd><dt>%s</dt>"
         "<dd>%llu</dd><dt>%s</dt><dd>%llu</dd></dl></section>",
         pub_tr(&g, "Declined and withdrawn"), pub_tr(&g, "Declined by the channel"),
         (unsigned long long)s.declined, pub_tr(&g, "Withdrawn by their drafters"),
         (unsigned long long)s.withdrawn, pub_tr(&g, "Still open"), (unsigned long long)s.open,
         pub_tr(&g, "Overdue now"), (unsigned long long)s.overdue);
    putf(&g,
         "<section aria-labelledby=\"deadlines\"><h2 id=\"deadlines\">%s</h2><p>%s</p>"
         "<div class=\"scroll-x\" tabindex=\"0\" role=\"region\" aria-label=\"%s\">"
         "<table><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
         "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
         "</thead><tbody>",
         pub_tr(&g, "Deadlines met"),
         pub_tr(&g, "Each memo must be acknowledged, then answered, within deadlines counted in "
                    "working days. Overdue deadlines count as missed."),
         pub_tr(&g, "Deadlines met, as a table"), pub_tr(&g, "Deadline"), pub_tr(&g, "On time"),
         pub_tr(&g, "Late"), pub_tr(&g, "Overdue"), pub_tr(&g, "Share"));
    on_time_row(&g, pub_tr(&g, "Acknowledged"), &s.acked);
    on_time_row(&g, pub_tr(&g, "Replied"), &s.replied);
    put(&g, "</tbody></table></div>");
    {
        const char *const l2[] = {pub_tr(&g, "Acknowledged"), pub_tr(&g, "Replied")};
        uint64_t v2[] = {s.acked.on_time, s.replied.on_time};

        bar_chart(&g, "ot", pub_tr(&g, "Deadlines met on time"),
                  pub_tr(&g, "How many acknowledgements and replies came on time."), l2, v2, 2);
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
    store_channel_list_free(chans, nchans);
}
