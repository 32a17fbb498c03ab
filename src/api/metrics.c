/*
 * metrics.c - GET /metrics: the Prometheus text format (version 0.0.4) for the operator's
 * monitoring, behind the [metrics] token (API_R_METRICS):
 *  - this process's requests by method, route pattern and status, with their latency
 *    (a histogram), sign-ins by outcome, signatures committed and the group commits' sizes,
 *    failed database statements, and its memory (util/metrics.h);
 *  - the channel's as the database holds it: the outbox by status, the log's size and the age of
 *    its newest checkpoint, the one published with the witness quorum and the lag between them;
 *  - each witness as this server last found it (core/cosigning.h).
 * No name of a person, no memo id, no path: a route is its pattern, a witness its key's name.
 */
#include "api/api.h"

#include "core/cosigning.h"
#include "core/ledger.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define METRICS_MAX (4u << 20) /* bytes of the answer: every series at its largest fits */

struct text {
    char *p;
    size_t len, cap;
    bool failed;
};

static void addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->p != NULL && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 4096;
        char *grown;

        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        if (cap > METRICS_MAX || (grown = mem_realloc(t->p, cap)) == NULL) {
            t->failed = true;
            return;
        }
        t->p = grown;
        t->cap = cap;
    }
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void label(char *out, size_t cap, const char *v)
{
    size_t o = 0;

    for (; *v && o + 3 < cap; v++) {
        if (*v == '\\' || *v == '"') {
            out[o++] = '\\';
            out[o++] = *v;
        } else if (*v == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *v;
        }
    }
    out[o] = '\0';
}

/* "0.0025" for a bucket's bound: the shortest text that reads back the same */
static void bound(char *out, size_t cap, double v)
{
    snprintf(out, cap, "%g", v);
}

/* The requests' histogram, series by series (only those seen). */
static void request_metrics(struct text *t)
{
    struct metrics_series *ss = mem_calloc(METRICS_SERIES_MAX + 1, sizeof(*ss));
    char route[2 * METRICS_ROUTE_MAX + 1], method[17], le[32];
    size_t n;

    if (ss == NULL) {
        t->failed = true;
        return;
    }
    n = metrics_requests(ss, METRICS_SERIES_MAX + 1);
    addf(t, "# HELP dissent_http_request_duration_seconds Requests answered, by method, route "
            "pattern and status, and the time from their arrival to the answer.\n"
            "# TYPE dissent_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < n; i++) {
        const struct metrics_series *x = &ss[i];
        label(route, sizeof(route), x->route);
        label(method, sizeof(method), x->method);
        for (size_t b = 0; b < METRICS_BUCKETS; b++) {
            bound(le, sizeof(le), metrics_latency_bounds[b]);
            addf(t,
                 "dissent_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                 "status=\"%d\",le=\"%s\"} %llu\n",
                 method, route, x->status, le, (unsigned long long)x->buckets[b]);
        }
        addf(t,
             "dissent_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
             "status=\"%d\",le=\"+Inf\"} %llu\n"
             "dissent_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\","
             "status=\"%d\"} %.6f\n"
             "dissent_http_request_duration_seconds_count{method=\"%s\",route=\"%s\","
             "status=\"%d\"} %llu\n",
             method, route, x->status, (unsigned long long)x->count, method, route, x->status,
             (double)x->sum_us / 1e6, method, route, x->status, (unsigned long long)x->count);
    }
    mem_free(ss);
}

/* This process's counters and memory, and the database's counts. */
static int process_metrics(struct text *t, struct api_env *env, int64_t now, bool db)
{
    static const char *const outcome[] = {"ok", "failed", "throttled"};
    static const char *const status[] = {"pending", "sent", "failed"};
    struct metrics_counters mc;
    struct store_ops_figures of;
    int rc;

    request_metrics(t);
    metrics_counters(&mc);
    addf(t, "# HELP dissent_signins_total Sign-in attempts by outcome (refused: a wrong password, "
            "code or passkey; throttled: too many failures).\n"
            "# TYPE dissent_signins_total counter\n");
    for (size_t i = 0; i < 3; i++)
        addf(t, "dissent_signins_total{result=\"%s\"} %llu\n", outcome[i],
             (unsigned long long)mc.signins[i]);
    addf(t,
         "# HELP dissent_signatures_committed_total Signatures committed (group commits).\n"
         "# TYPE dissent_signatures_committed_total counter\n"
         "dissent_signatures_committed_total %llu\n"
         "# HELP dissent_signatures_failed_total Signatures whose commit failed.\n"
         "# TYPE dissent_signatures_failed_total counter\n"
         "dissent_signatures_failed_total %llu\n"
         "# HELP dissent_sign_batch_size Signatures per group commit.\n"
         "# TYPE dissent_sign_batch_size histogram\n",
         (unsigned long long)mc.signatures, (unsigned long long)mc.sign_failures);
    for (size_t b = 0; b < METRICS_BATCH_BUCKETS; b++)
        addf(t, "dissent_sign_batch_size_bucket{le=\"%u\"} %llu\n", 1u << b,
             (unsigned long long)mc.batch_buckets[b]);
    addf(t,
         "dissent_sign_batch_size_bucket{le=\"+Inf\"} %llu\n"
         "dissent_sign_batch_size_sum %llu\ndissent_sign_batch_size_count %llu\n",
         (unsigned long long)mc.batches, (unsigned long long)mc.batch_sum,
         (unsigned long long)mc.batches);
    addf(t,
         "# HELP dissent_db_errors_total Database statements that failed in this process.\n"
         "# TYPE dissent_db_errors_total counter\ndissent_db_errors_total %llu\n",
         (unsigned long long)mc.db_errors);
    addf(t,
         "# HELP dissent_process_resident_memory_bytes Resident memory of this process.\n"
         "# TYPE dissent_process_resident_memory_bytes gauge\n"
         "dissent_process_resident_memory_bytes %llu\n"
         "# HELP dissent_heap_blocks Heap blocks this process's code holds now.\n"
         "# TYPE dissent_heap_blocks gauge\ndissent_heap_blocks %ld\n",
         (unsigned long long)metrics_rss(), mem_live());
    rc = db ? store_ops_figures(env->st, &of) : ERR_DB;
    addf(t,
         "# HELP dissent_db_up Whether the database answered this scrape (1) or not (0).\n"
         "# TYPE dissent_db_up gauge\ndissent_db_up %d\n",
         rc == 0);
    if (rc != 0)
        return rc;
    addf(t, "# HELP dissent_outbox_emails Emails in the outbox by status.\n"
            "# TYPE dissent_outbox_emails gauge\n");
    for (size_t i = 0; i < 3; i++)
        addf(t, "dissent_outbox_emails{status=\"%s\"} %lld\n", status[i], (long long)of.outbox[i]);
    addf(t,
         "# HELP dissent_log_checkpoint_age_seconds Time since the newest checkpoint was "
         "signed (-1: none yet).\n# TYPE dissent_log_checkpoint_age_seconds gauge\n"
         "dissent_log_checkpoint_age_seconds %lld\n",
         of.checkpoint_at > 0 ? (long long)(now - of.checkpoint_at) : -1LL);
    return 0;
}

void api_metrics(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const enum cosigner_state states[] = {COSIGNER_UNKNOWN, COSIGNER_OK,
                                                 COSIGNER_UNREACHABLE, COSIGNER_REFUSED,
                                                 COSIGNER_MISCONFIGURED};
    struct cosigner_status ws[COSIGNING_MAX];
    uint64_t newest = 0, published = 0;
    struct text t = {0};
    char *cp = NULL, name[2 * NOTE_NAME_MAX + 1];
    int quorum = env->ch != NULL ? env->ch->log_quorum : 0, rc;
    size_t n = cosigning_status(ws, COSIGNING_MAX);

    bool db = true;

    (void)req;
    /* the database's part: left out when it does not answer (dissent_db_up says so); the
     * process's figures are what matter most then */
    if ((rc = store_tlog_checkpoint_latest(env->st, &newest, &cp)) != 0 && rc != ERR_NOT_FOUND)
        db = false;
    mem_free(cp);
    cp = NULL;
    if (db) {
        rc = quorum > 0 ? store_tlog_checkpoint_witnessed(env->st, quorum, &published, &cp)
                        : ledger_checkpoint_public(env->st, 0, &cp, &published);
        mem_free(cp);
        if (rc == ERR_NOT_FOUND)
            published = 0;
        else if (rc != 0)
            db = false;
    }
    if (db) {
        addf(&t,
             "# HELP dissent_log_size Entries of the newest signed checkpoint.\n"
             "# TYPE dissent_log_size gauge\ndissent_log_size %llu\n",
             (unsigned long long)newest);
        addf(&t,
             "# HELP dissent_log_published_size Entries of the newest checkpoint published with "
             "the witness quorum (the newest signed one without witnesses).\n"
             "# TYPE dissent_log_published_size gauge\ndissent_log_published_size %llu\n",
             (unsigned long long)published);
        addf(&t,
             "# HELP dissent_log_witness_lag Entries signed but not yet published for want of "
             "cosignatures.\n# TYPE dissent_log_witness_lag gauge\ndissent_log_witness_lag %llu\n",
             (unsigned long long)(newest - published));
    }
    addf(&t,
         "# HELP dissent_log_witness_quorum Cosignatures a checkpoint needs to be published.\n"
         "# TYPE dissent_log_witness_quorum gauge\ndissent_log_witness_quorum %d\n",
         quorum);
    if (n > 0) {
        addf(&t, "# HELP dissent_witness_state The witness's state as this server last found it "
                 "(1 for the one it is in).\n# TYPE dissent_witness_state gauge\n");
        for (size_t i = 0; i < n; i++) {
            label(name, sizeof(name), ws[i].name);
            for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
                addf(&t, "dissent_witness_state{witness=\"%s\",state=\"%s\"} %d\n", name,
                     cosigner_state_name(states[k]), ws[i].state == states[k]);
        }
        addf(&t, "# HELP dissent_witness_cosigned_size The size the witness cosigned last.\n"
                 "# TYPE dissent_witness_cosigned_size gauge\n");
        for (size_t i = 0; i < n; i++) {
            label(name, sizeof(name), ws[i].name);
            addf(&t, "dissent_witness_cosigned_size{witness=\"%s\"} %llu\n", name,
                 (unsigned long long)ws[i].size);
        }
        addf(&t, "# HELP dissent_witness_last_cosigned_seconds When it last cosigned (Unix "
                 "time; 0: not since this server started).\n"
                 "# TYPE dissent_witness_last_cosigned_seconds gauge\n");
        for (size_t i = 0; i < n; i++) {
            label(name, sizeof(name), ws[i].name);
            addf(&t, "dissent_witness_last_cosigned_seconds{witness=\"%s\"} %lld\n", name,
                 (long long)ws[i].last_ok);
        }
        addf(&t, "# HELP dissent_witness_refusals_total Checkpoints the witness refused as "
                 "inconsistent with what it cosigned.\n"
                 "# TYPE dissent_witness_refusals_total counter\n");
        for (size_t i = 0; i < n; i++) {
            label(name, sizeof(name), ws[i].name);
            addf(&t, "dissent_witness_refusals_total{witness=\"%s\"} %llu\n", name,
                 (unsigned long long)ws[i].refusals);
        }
        addf(&t, "# HELP dissent_witness_failures_total Failed submissions, refusals included.\n"
                 "# TYPE dissent_witness_failures_total counter\n");
        for (size_t i = 0; i < n; i++) {
            label(name, sizeof(name), ws[i].name);
            addf(&t, "dissent_witness_failures_total{witness=\"%s\"} %llu\n", name,
                 (unsigned long long)ws[i].failures);
        }
    }
    process_metrics(&t, env, req->now, db); /* (the database's figures when it answers) */
    if (t.failed || t.p == NULL) {
        mem_free(t.p);
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    resp->status = 200;
    resp->raw = (uint8_t *)t.p;
    resp->raw_len = t.len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
