/*
 * cosigning.c - submitting checkpoints to the channel's witnesses (core/cosigning.h).
 */
#include "core/cosigning.h"

#include "core/channel.h"
#include "core/ledger.h"
#include "core/runner.h"
#include "store/store.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "tlog/merkle.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ANSWER_MAX 8192 /* bytes of a witness's answer */
#define PASSES 3        /* submissions per witness and round (a 409 teaches the size to use) */

/* One witness as the submitting thread keeps it. */
struct wit {
    struct cosigner c;
    uint64_t known; /* the size it said it cosigned last (0: unknown, or none) */
    int64_t next;   /* not asked again before (monotonic seconds) */
    int fails;      /* consecutive failures, for the backoff */
    struct cosigner_status s;
    /* one attempt, on its own thread */
    char *body;
    size_t body_len;
    struct fetch_resp resp;
    int rc;
    char err[160];
    bool asked;
};

struct cosigning {
    const struct channel *ch;
    const char *origin;
    struct note_vkey log_key;
    struct wit w[COSIGNING_MAX];
    size_t n;
};

/* The status that /readyz reads, copied out of the thread's own under @mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct cosigner_status shown[COSIGNING_MAX];
static size_t nshown;
static struct runner *active;

static int64_t mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

const char *cosigner_state_name(enum cosigner_state s)
{
    switch (s) {
    case COSIGNER_OK:
        return "ok";
    case COSIGNER_UNREACHABLE:
        return "unreachable";
    case COSIGNER_REFUSED:
        return "refused";
    case COSIGNER_MISCONFIGURED:
        return "misconfigured";
    case COSIGNER_UNKNOWN:
        break;
    }
    return "unknown";
}

int cosigning_parse(const char *v, struct cosigner *out, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    if (v == NULL)
        return 0;
    for (const char *p = v; *p;) {
        size_t k = strcspn(p, ","), ul;
        const char *s = p, *e = p + k, *sp, *key;
        struct cosigner *c;

        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        p += k + (p[k] == ',');
        if (s == e)
            continue;
        if (*n == COSIGNING_MAX) {
            err_set(err, errlen, "[tlog] witnesses: at most %d", COSIGNING_MAX);
            return ERR_INVALID;
        }
        c = &out[*n];
        memset(c, 0, sizeof(*c));
        sp = memchr(s, ' ', (size_t)(e - s));
        if (sp == NULL) {
            err_set(err, errlen, "[tlog] witnesses: each is \"URL VKEY\"");
            return ERR_INVALID;
        }
        ul = (size_t)(sp - s);
        while (ul > 0 && s[ul - 1] == '/')
            ul--;
        if (ul + sizeof("/add-checkpoint") > sizeof(c->url)) {
            err_set(err, errlen, "[tlog] witnesses: a URL is too long");
            return ERR_INVALID;
        }
        memcpy(c->url, s, ul);
        c->url[ul] = '\0';
        for (key = sp; key < e && *key == ' '; key++)
            ;
        if (!fetch_url_allowed(c->url)) {
            err_set(err, errlen,
                    "[tlog] witnesses: %s is refused (https, or http to this machine only)",
                    c->url);
            return ERR_INVALID;
        }
        if (note_vkey_parse_type(key, (size_t)(e - key), NOTE_TYPE_COSIGNATURE, &c->key) != 0) {
            err_set(err, errlen,
                    "[tlog] witnesses: %.*s is not a witness's key (name+id+base64 of type 0x04, "
                    "as `dissent witness key` prints it)",
                    (int)(e - key), key);
            return ERR_INVALID;
        }
        for (size_t i = 0; i < *n; i++) {
            if (strcmp(out[i].key.name, c->key.name) == 0) {
                err_set(err, errlen, "[tlog] witnesses: %s is listed twice", c->key.name);
                return ERR_INVALID;
            }
        }
        (*n)++;
    }
    return 0;
}

int cosigning_check(const struct config *cfg, char *err, size_t errlen)
{
    struct cosigner *c = mem_calloc(COSIGNING_MAX, sizeof(*c));
    size_t n = 0;
    int rc;

    if (c == NULL)
        return ERR_NOMEM;
    rc = cosigning_parse(cfg->log_witnesses, c, &n, err, errlen);
    mem_free(c);
    if (rc != 0)
        return rc;
    if ((size_t)cfg->log_quorum > n) {
        err_set(err, errlen, "[tlog] witness_quorum is %d, but only %zu witnesses are listed",
                cfg->log_quorum, n);
        return ERR_INVALID;
    }
    return 0;
}

int cosigning_quorum(const struct config *cfg)
{
    struct cosigner *c = mem_calloc(COSIGNING_MAX, sizeof(*c));
    size_t n = 0;

    if (c == NULL || cosigning_parse(cfg->log_witnesses, c, &n, NULL, 0) != 0)
        n = 0;
    mem_free(c);
    if (n == 0)
        return 0;
    return cfg->log_quorum > 0 ? cfg->log_quorum : (int)(n / 2 + 1);
}

/* The HTTP part of one attempt, on a thread of its own. */
static void *ask(void *arg)
{
    struct wit *w = arg;
    char url[FETCH_URL_MAX + 32];

    snprintf(url, sizeof(url), "%s/add-checkpoint", w->c.url);
    w->rc = fetch_post(url, NULL, "text/plain; charset=utf-8", w->body, w->body_len, ANSWER_MAX,
                       &w->resp, w->err, sizeof(w->err));
    return NULL;
}

static void failed(struct wit *w, enum cosigner_state state, int64_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void failed(struct wit *w, enum cosigner_state state, int64_t now, const char *fmt, ...)
{
    va_list ap;
    int64_t wait;

    va_start(ap, fmt);
    vsnprintf(w->s.error, sizeof(w->s.error), fmt, ap);
    va_end(ap);
    if (w->s.state != state || state == COSIGNER_REFUSED)
        log_warn("witness %s: %s", w->c.key.name, w->s.error);
    w->s.state = state;
    w->s.failures++;
    w->fails++;
    wait = (int64_t)1 << (w->fails < 9 ? w->fails : 9);
    w->next = now + (wait < COSIGNING_BACKOFF_MAX ? wait : COSIGNING_BACKOFF_MAX);
}

/*
 * @text (the stored checkpoint) rebuilt from what verifies only: its note text, the log's own
 * signature line (once), and the cosignature lines of the configured witnesses that verify. A
 * line a database writer (or a witness) added that does not verify would make every verifier
 * refuse the note; a line of an unknown key would only weigh it down. ERR_CRYPTO when the log's
 * own signature is not there.
 */
static int clean(struct cosigning *cs, const char *text, char **out, size_t *outlen, size_t *count)
{
    struct note n = {0};
    struct note_vkey keys[COSIGNING_MAX];
    char *buf = NULL, *merged = NULL;
    size_t off, total, c = 0;
    bool log_line = false;
    int rc;

    *out = NULL;
    *count = 0;
    if ((rc = note_parse(text, strlen(text), &n, NULL, 0)) != 0)
        return rc;
    total = n.text_len + 2;
    for (size_t i = 0; i < n.nsigs; i++)
        total += n.sigs[i].line_len + 1;
    if ((buf = mem_alloc(total + 1)) == NULL) {
        note_release(&n);
        return ERR_NOMEM;
    }
    memcpy(buf, n.text, n.text_len);
    off = n.text_len;
    buf[off++] = '\n';
    for (size_t i = 0; i < n.nsigs; i++) {
        const struct note_sig *s = &n.sigs[i];

        if (!log_line && s->id == cs->log_key.id && s->name_len == cs->log_key.name_len &&
            memcmp(s->name, cs->log_key.name, s->name_len) == 0) {
            /* the log's own line, once, when it verifies */
            memcpy(buf + off, s->line, s->line_len);
            buf[off + s->line_len] = '\n';
            buf[off + s->line_len + 1] = '\0';
            if (note_open(buf, off + s->line_len + 1, &cs->log_key, 1, NULL, NULL, NULL, 0) == 0) {
                off += s->line_len + 1;
                log_line = true;
            }
        }
    }
    buf[off] = '\0';
    if (!log_line) {
        note_release(&n);
        mem_free(buf);
        return ERR_CRYPTO; /* not a checkpoint the log signed: nothing to submit or keep */
    }
    /* then each witness line alone, kept when it verifies */
    for (size_t k = 0; k < cs->n; k++)
        keys[k] = cs->w[k].c.key;
    for (size_t i = 0; i < n.nsigs; i++) {
        const struct note_sig *s = &n.sigs[i];
        char line[TLOG_COSIG_LINE_MAX + 1];
        size_t got = 0, mlen = 0;

        if (s->line_len + 2 > sizeof(line) || !s->timestamped)
            continue;
        memcpy(line, s->line, s->line_len);
        line[s->line_len] = '\n';
        if (tlog_cosig_merge(buf, off, line, s->line_len + 1, &merged, &mlen) != 0)
            continue;
        if (tlog_cosig_verify(merged, mlen, keys, cs->n, NULL, &got, NULL, 0) == 0 && got > c) {
            mem_free(buf);
            buf = merged;
            off = mlen;
            c = got;
        } else {
            mem_free(merged);
        }
        merged = NULL;
    }
    note_release(&n);
    *out = buf;
    *outlen = off;
    *count = c;
    return 0;
}

/*
 * @text with the first line of the witness's answer @body[0..@blen) that is a cosignature by @key
 * and verifies; every other line (another key's, a forged one naming another witness, junk) is
 * left out, as c2sp.org/tlog-witness wants of a client. 0 and *@out, or ERR_NOT_FOUND.
 */
static int own_line(const char *text, size_t len, const char *body, size_t blen,
                    const struct note_vkey *key, char **out, size_t *outlen)
{
    const char *p = body, *end = body + blen;

    *out = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl != NULL ? (size_t)(nl - p) + 1 : 0, got = 0;
        char *merged = NULL, line[TLOG_COSIG_LINE_MAX];

        if (nl == NULL)
            break;
        if (l < sizeof(line)) {
            memcpy(line, p, l);
            if (tlog_cosig_merge(text, len, line, l, &merged, outlen) == 0 &&
                tlog_cosig_verify(merged, *outlen, key, 1, NULL, &got, NULL, 0) == 0 && got == 1) {
                *out = merged;
                return 0;
            }
            mem_free(merged);
        }
        p = nl + 1;
    }
    *outlen = 0;
    return ERR_NOT_FOUND;
}

/*
 * Keep @text's cosignatures on the checkpoint of @size: merged with the row as it is now (a
 * server that led before may have added some meanwhile), then rebuilt from what verifies.
 */
static int keep(struct cosigning *cs, struct store *st, uint64_t size, const char *text,
                const struct note_vkey *keys)
{
    char *now = NULL, *row = NULL, *merged = NULL, *clean_text = NULL;
    const char *sigs = strstr(text, "\n\n");
    size_t rlen = 0, mlen = 0, clen = 0, count = 0;
    int cosigs = 0, rc;

    if (sigs == NULL)
        return ERR_INVALID;
    sigs += 2;
    if ((rc = store_tlog_checkpoint_get(st, size, &now, &cosigs)) != 0)
        return rc;
    /* the row cleaned first: junk a database writer put there cannot make the merge too large */
    if ((rc = clean(cs, now, &row, &rlen, &count)) == 0 &&
        (rc = tlog_cosig_merge(row, rlen, sigs, strlen(sigs), &merged, &mlen)) == 0 &&
        (rc = clean(cs, merged, &clean_text, &clen, &count)) == 0 &&
        (rc = tlog_cosig_verify(clean_text, clen, keys, cs->n, NULL, &count, NULL, 0)) == 0)
        rc = store_tlog_checkpoint_cosign(st, size, clean_text, (int)count);
    mem_free(now);
    mem_free(row);
    mem_free(merged);
    mem_free(clean_text);
    return rc;
}

/* One round: the newest checkpoint to every witness that has not cosigned it. */
static void round_run(struct store *st, void *arg)
{
    struct cosigning *cs = arg;
    struct note_vkey keys[COSIGNING_MAX];
    uint64_t times[COSIGNING_MAX], size = 0;
    char *stored = NULL, *text = NULL;
    size_t len = 0, count = 0;
    int cosigs = 0, rc;
    int64_t now = mono(), wall = (int64_t)time(NULL);
    bool changed = false;

    if ((rc = store_tlog_checkpoint_latest(st, &size, &stored)) != 0) {
        if (rc != ERR_NOT_FOUND)
            log_warn("witnesses: cannot read the newest checkpoint (%s)", err_str(rc));
        return;
    }
    mem_free(stored);
    stored = NULL;
    if ((rc = store_tlog_checkpoint_get(st, size, &stored, &cosigs)) != 0 ||
        (rc = clean(cs, stored, &text, &len, &count)) != 0) {
        log_warn("witnesses: cannot read the checkpoint of size %" PRIu64 " (%s)", size,
                 err_str(rc));
        goto out;
    }
    changed = strcmp(text, stored) != 0 || (int)count != cosigs;
    for (size_t k = 0; k < cs->n; k++)
        keys[k] = cs->w[k].c.key;
    if (tlog_cosig_verify(text, len, keys, cs->n, times, &count, NULL, 0) != 0)
        goto out;
    for (int pass = 0; pass < PASSES; pass++) {
        pthread_t th[COSIGNING_MAX];
        bool started[COSIGNING_MAX] = {false}, any = false;

        /* what to send: the proof from the size each witness cosigned last */
        for (size_t k = 0; k < cs->n; k++) {
            struct wit *w = &cs->w[k];
            uint8_t proof[TLOG_PROOF_MAX][HASH_SHA256_LEN];
            size_t np = 0;

            w->asked = false;
            if (times[k] != 0) {
                if (w->s.state != COSIGNER_OK) {
                    w->s.state = COSIGNER_OK;
                    w->s.error[0] = '\0';
                }
                w->s.size = size;
                w->known = size;
                continue;
            }
            if (w->next > now)
                continue;
            if (w->known > size) {
                failed(w, COSIGNER_REFUSED, now,
                       "it cosigned a tree of %" PRIu64 " entries, larger than the log's %" PRIu64
                       ": the log was rolled back, or it was shown another one",
                       w->known, size);
                w->s.refusals++;
                continue;
            }
            if (w->known > 0 && w->known < size &&
                (rc = ledger_consistency(st, w->known, size, proof, &np)) != 0) {
                failed(w, COSIGNER_UNREACHABLE, now, "no consistency proof from %" PRIu64 " (%s)",
                       w->known, err_str(rc));
                continue;
            }
            mem_free(w->body);
            w->body = NULL;
            if (tlog_add_request_format(w->known, (const uint8_t(*)[HASH_SHA256_LEN])proof, np,
                                        text, len, &w->body, &w->body_len) != 0)
                continue;
            w->asked = true;
            any = true;
        }
        if (!any)
            break;
        for (size_t k = 0; k < cs->n; k++) {
            if (cs->w[k].asked)
                started[k] = pthread_create(&th[k], NULL, ask, &cs->w[k]) == 0;
            if (cs->w[k].asked && !started[k])
                ask(&cs->w[k]); /* no thread to be had: ask from here */
        }
        for (size_t k = 0; k < cs->n; k++)
            if (started[k])
                pthread_join(th[k], NULL);
        any = false; /* another pass only for a witness that taught its size (409) */
        now = mono();
        wall = (int64_t)time(NULL);
        for (size_t k = 0; k < cs->n; k++) {
            struct wit *w = &cs->w[k];
            struct fetch_resp *r = &w->resp;
            char *merged = NULL;
            size_t mlen = 0, got = 0;
            uint64_t t[1] = {0}, told = 0;

            if (!w->asked)
                continue;
            if (w->rc != 0) {
                failed(w, COSIGNER_UNREACHABLE, now, "no answer: %s", w->err);
            } else if (r->status == 200) {
                if (own_line(text, len, r->body, r->len, &w->c.key, &merged, &mlen) == 0 &&
                    tlog_cosig_verify(merged, mlen, &w->c.key, 1, t, &got, NULL, 0) == 0 &&
                    got == 1) {
                    mem_free(text);
                    text = merged;
                    len = mlen;
                    merged = NULL;
                    times[k] = t[0];
                    w->known = size;
                    w->s.size = size;
                    w->s.last_ok = wall;
                    w->s.state = COSIGNER_OK;
                    w->s.error[0] = '\0';
                    w->fails = 0;
                    w->next = 0;
                    changed = true;
                } else {
                    failed(w, COSIGNER_MISCONFIGURED, now,
                           "answered no cosignature that verifies under its key");
                }
                mem_free(merged);
            } else if (r->status == 409 &&
                       tlog_decimal_parse(
                           r->body, r->len > 0 && r->body[r->len - 1] == '\n' ? r->len - 1 : r->len,
                           &told) == 0 &&
                       told != w->known) {
                w->known = told; /* it cosigned before (another run): from there */
                w->s.size = told;
                any = true;
            } else if (r->status == 422) {
                failed(w, COSIGNER_REFUSED, now,
                       "refuses the checkpoint of %" PRIu64
                       " entries: not consistent with the tree of %" PRIu64
                       " it cosigned (a split view of the log, or a rollback)",
                       size, w->known);
                w->s.refusals++;
            } else if (r->status == 403 || r->status == 404) {
                failed(w, COSIGNER_MISCONFIGURED, now,
                       "answers %ld: it does not know this log's key (give it `dissent log key`)",
                       r->status);
            } else {
                failed(w, COSIGNER_UNREACHABLE, now, "answers %ld", r->status);
            }
            fetch_release(r);
            mem_free(w->body);
            w->body = NULL;
        }
        if (!any)
            break;
    }
    if (changed && (rc = keep(cs, st, size, text, keys)) != 0)
        log_warn("witnesses: cannot keep the cosignatures (%s)", err_str(rc));
out:
    pthread_mutex_lock(&mu);
    for (size_t k = 0; k < cs->n; k++)
        shown[k] = cs->w[k].s;
    nshown = cs->n;
    pthread_mutex_unlock(&mu);
    mem_free(stored);
    mem_free(text);
}

int cosigning_start(const struct config *cfg, const char *uri, const struct channel *ch,
                    struct runner **out)
{
    struct cosigner c[COSIGNING_MAX];
    struct cosigning *cs;
    char err[256] = "";
    size_t n = 0;
    int rc;

    *out = NULL;
    if ((rc = cosigning_parse(cfg->log_witnesses, c, &n, err, sizeof(err))) != 0) {
        log_error("%s", err);
        return rc;
    }
    if (n == 0)
        return 0;
    if ((cs = mem_calloc(1, sizeof(*cs))) == NULL)
        return ERR_NOMEM;
    cs->ch = ch;
    note_skey_vkey(ch->log_key, &cs->log_key);
    cs->n = n;
    for (size_t k = 0; k < n; k++) {
        cs->w[k].c = c[k];
        snprintf(cs->w[k].s.name, sizeof(cs->w[k].s.name), "%s", c[k].key.name);
    }
    pthread_mutex_lock(&mu);
    for (size_t k = 0; k < n; k++)
        shown[k] = cs->w[k].s;
    nshown = n;
    pthread_mutex_unlock(&mu);
    if ((rc = runner_start(uri, ch, cfg->data_dir, COSIGNING_INTERVAL, round_run, cs, "witnesses",
                           out)) != 0) {
        mem_free(cs);
        return rc;
    }
    pthread_mutex_lock(&mu);
    active = *out;
    pthread_mutex_unlock(&mu);
    return 0;
}

void cosigning_stop(struct runner *r)
{
    void *arg;

    if (r == NULL)
        return;
    pthread_mutex_lock(&mu);
    active = NULL;
    nshown = 0;
    pthread_mutex_unlock(&mu);
    arg = runner_arg(r);
    runner_stop(r);
    mem_free(arg);
}

void cosigning_wake(void)
{
    pthread_mutex_lock(&mu);
    runner_wake(active);
    pthread_mutex_unlock(&mu);
}

size_t cosigning_status(struct cosigner_status *out, size_t max)
{
    size_t n;

    pthread_mutex_lock(&mu);
    n = nshown < max ? nshown : max;
    memcpy(out, shown, n * sizeof(*out));
    pthread_mutex_unlock(&mu);
    return n;
}
