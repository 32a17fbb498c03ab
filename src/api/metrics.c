/*
 * metrics.c - GET /metrics: the Prometheus text format (version 0.0.4) for the operator's
 * monitoring, behind the [metrics] token (API_R_METRICS). For now the transparency log and its
 * witnesses: the newest checkpoint, the one published with the witness quorum and the lag between
 * them, and each witness as this server last found it (core/cosigning.h). No name of a person, no
 * memo id: a witness is named by its public key name.
 */
#include "api/api.h"

#include "core/cosigning.h"
#include "core/ledger.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define METRICS_MAX (256u << 10)

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

    (void)req;
    if ((rc = store_tlog_checkpoint_latest(env->st, &newest, &cp)) != 0 && rc != ERR_NOT_FOUND) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    mem_free(cp);
    cp = NULL;
    rc = quorum > 0 ? store_tlog_checkpoint_witnessed(env->st, quorum, &published, &cp)
                    : ledger_checkpoint_public(env->st, 0, &cp, &published);
    mem_free(cp);
    if (rc == ERR_NOT_FOUND)
        published = 0;
    else if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    addf(&t,
         "# HELP dissent_log_size Entries of the newest signed checkpoint.\n"
         "# TYPE dissent_log_size gauge\ndissent_log_size %llu\n",
         (unsigned long long)newest);
    addf(&t,
         "# HELP dissent_log_published_size Entries of the newest checkpoint published with the "
         "witness quorum (the newest signed one without witnesses).\n"
         "# TYPE dissent_log_published_size gauge\ndissent_log_published_size %llu\n",
         (unsigned long long)published);
    addf(&t,
         "# HELP dissent_log_witness_lag Entries signed but not yet published for want of "
         "cosignatures.\n# TYPE dissent_log_witness_lag gauge\ndissent_log_witness_lag %llu\n",
         (unsigned long long)(newest - published));
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
