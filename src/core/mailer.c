/*
 * mailer.c - the outbox sender (core/mailer.h): a thread, each message composed here and handed
 * to the transport it was given (smtp/smtp.h), retries with backoff.
 */
#include "core/mailer.h"

#include "core/notify.h"
#include "core/trust.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LEAD_SECONDS 3 /* a lead renewed by housekeeping_tick() (each second) holds this long */

struct mailer {
    const struct config *cfg; /* [mail] (the thread's own reading: the caller's, or @own) */
    struct config *own;       /* settings given by mailer_reload() and taken up; owned */
    struct config *pending;   /* settings given by mailer_reload(), not yet taken up; owned */
    const struct channel *ch; /* the clock and the working-day calendar */
    mailer_transport send;    /* one SMTP conversation (smtp_send()) */
    struct store *st;         /* the thread's own connection */
    pthread_t thread;         /* the sender */
    pthread_mutex_t mu;       /* guards stop and pending */
    pthread_cond_t cv;        /* signalled by mailer_stop() */
    bool stop;                /* the thread must end */
    int64_t last_scan;        /* channel time of the last notify_deadlines() */
};

/* Until when (monotonic seconds) this server leads; 0: it does not. */
static _Atomic int64_t lead_until;

static int64_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

void mailer_lead(void)
{
    atomic_store(&lead_until, mono_now() + LEAD_SECONDS);
}

int mailer_check(const struct config *cfg, char *err, size_t errlen)
{
    if (!cfg->mail_enabled)
        return 0;
    if (cfg->mail_host[0] == '\0' || cfg->mail_from[0] == '\0' || cfg->mail_base_url[0] == '\0') {
        err_set(err, errlen, "[mail] enabled needs host, from and base_url");
        return ERR_INVALID;
    }
    if (cfg->mail_backoff_base > cfg->mail_backoff_max) {
        err_set(err, errlen, "[mail] backoff_base must not exceed backoff_max");
        return ERR_INVALID;
    }
    return 0;
}

/* Whether @s is safe in a header line: printable, no CR or LF. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

/*
 * @subject as a header's value: as it is when it is ASCII, else RFC 2047 encoded words
 * ("=?UTF-8?B?...?="), folded so that no line is over 76 characters ("Subject: " and the first
 * word on the first line), each cut between UTF-8 characters when it can be (bytes that are not
 * UTF-8 are encoded all the same: never an empty word). @out holds 4 * strlen(@subject) + 64
 * bytes; 0, or ERR_TOO_LARGE when it does not (no half-written header is used).
 */
static int subject_header(const char *subject, char *out, size_t cap)
{
    size_t n = strlen(subject), k = 0;
    bool ascii = true;

    for (size_t i = 0; i < n; i++)
        ascii = ascii && (unsigned char)subject[i] < 0x80;
    if (ascii)
        return str_copy(out, cap, subject) == 0 ? 0 : ERR_TOO_LARGE;
    out[0] = '\0';
    for (size_t i = 0; i < n;) {
        /* 39 bytes make 52 of base64 after "Subject: =?UTF-8?B?" (73 in all), 45 make 60 after
         * a folding space (73) */
        size_t most = k == 0 ? 39 : 45, take = n - i < most ? n - i : most, cut = take;
        while (cut > 0 && i + cut < n && ((unsigned char)subject[i + cut] & 0xC0) == 0x80)
            cut--;
        if (cut > 0)
            take = cut;
        char b64[64];
        b64_encode(b64, sizeof(b64), (const uint8_t *)subject + i, take, false);
        int w = snprintf(out + k, cap - k, "%s=?UTF-8?B?%s?=", k ? "\r\n " : "", b64);
        if (w < 0 || (size_t)w >= cap - k)
            return ERR_TOO_LARGE;
        k += (size_t)w;
        i += take;
    }
    return 0;
}

/* The whole message (headers and body, CRLF lines) into a new buffer *@out. */
static int build_message(const struct config *cfg, const struct outbox_item *it, char **out,
                         size_t *len)
{
    const char *domain = strchr(cfg->mail_from, '@') + 1;
    uint8_t h[32];
    char date[64], msgid[128], hex[17];
    struct tm tm;
    time_t now = time(NULL);
    size_t cap;
    char *buf;
    int n;

    *out = NULL;
    if (!header_safe(it->subject) || !str_email_valid(it->rcpt))
        return ERR_INVALID;
    hash_sha256(h, it->dedupe, strlen(it->dedupe));
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    snprintf(msgid, sizeof(msgid), "<dissent.%lld.%s@%s>", (long long)it->id, hex, domain);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    size_t slen = 4 * strlen(it->subject) + 64;
    char *subject = mem_alloc(slen);
    if (subject == NULL)
        return ERR_NOMEM;
    if (subject_header(it->subject, subject, slen) != 0) {
        mem_free(subject);
        return ERR_INVALID;
    }
    cap = strlen(it->body) + slen + 1024;
    if ((buf = mem_alloc(cap)) == NULL) {
        mem_free(subject);
        return ERR_NOMEM;
    }
    n = snprintf(buf, cap,
                 "Date: %s\r\n"
                 "From: Dissent <%s>\r\n"
                 "To: <%s>\r\n"
                 "Subject: %s\r\n"
                 "Message-ID: %s\r\n"
                 "MIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: 8bit\r\n"
                 "Auto-Submitted: auto-generated\r\n"
                 "\r\n"
                 "%s",
                 date, cfg->mail_from, it->rcpt, subject, msgid, it->body);
    mem_free(subject);
    if (n < 0 || (size_t)n >= cap) {
        mem_free(buf);
        return ERR_INTERNAL;
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}

/* One SMTP conversation delivering @it through @m's transport. 0, ERR_INVALID (a message that
 * cannot be sent: never retried) or the transport's error, with a short reason in @err. */
static int send_item(const struct mailer *m, const struct outbox_item *it, char *err, size_t errlen)
{
    char *msg = NULL;
    size_t len = 0;
    int rc;

    if ((rc = build_message(m->cfg, it, &msg, &len)) != 0) {
        err_set(err, errlen, "cannot build the message");
        return rc == ERR_INVALID ? ERR_INVALID : ERR_IO;
    }
    rc = m->send(m->cfg, m->cfg->mail_from, it->rcpt, msg, len, err, errlen);
    wipe(msg, len);
    mem_free(msg);
    return rc;
}

/* The wait before retry number @attempts (1 = the first failure): base * 2^(attempts-1). */
static int64_t backoff(const struct config *cfg, int attempts)
{
    int64_t d = cfg->mail_backoff_base;

    for (int i = 1; i < attempts && d < cfg->mail_backoff_max; i++)
        d *= 2;
    return d < cfg->mail_backoff_max ? d : cfg->mail_backoff_max;
}

/* Claim, send and record one due item. */
static void deliver(struct mailer *m, const struct outbox_item *it)
{
    const struct config *cfg = m->cfg;
    int64_t now = channel_now(m->ch);
    char err[160] = "";
    int attempts, rc;

    if (store_outbox_claim(m->st, it->id, now, now + 2 * (int64_t)cfg->mail_timeout + 5) != 0)
        return; /* taken by another sender, or the database failed: look again later */
    rc = send_item(m, it, err, sizeof(err));
    now = channel_now(m->ch);
    if (rc == 0) {
        if (store_outbox_finish(m->st, it->id, STORE_OUTBOX_SENT, it->attempts, 0, now) != 0)
            log_error("mail: outbox #%lld was sent but could not be marked; it will be sent "
                      "again after its lease",
                      (long long)it->id);
        else
            log_info("mail: outbox #%lld (%s) sent", (long long)it->id, it->kind);
        return;
    }
    attempts = it->attempts + 1;
    if (rc == ERR_INVALID || attempts >= cfg->mail_max_attempts) {
        log_error("mail: outbox #%lld (%s) failed for good after %d attempt(s): %s",
                  (long long)it->id, it->kind, attempts, err);
        store_outbox_finish(m->st, it->id, STORE_OUTBOX_FAILED, attempts, 0, 0);
        return;
    }
    log_warn("mail: outbox #%lld (%s): attempt %d failed: %s; next in %lld s", (long long)it->id,
             it->kind, attempts, err, (long long)backoff(cfg, attempts));
    store_outbox_finish(m->st, it->id, STORE_OUTBOX_PENDING, attempts, now + backoff(cfg, attempts),
                        0);
}

/* One look: the deadline scan when due, then one batch of due emails. */
static void work(struct mailer *m)
{
    struct outbox_item *items = NULL;
    size_t count = 0;
    int64_t now = channel_now(m->ch);

    if (now - m->last_scan >= m->cfg->mail_scan || now < m->last_scan) {
        if (notify_deadlines(m->st, m->ch, now) != 0)
            log_warn("mail: the deadline scan failed; trying again later");
        else
            m->last_scan = now;
    }
    if (store_outbox_due(m->st, now, m->cfg->mail_batch, &items, &count) != 0) {
        log_warn("mail: cannot read the outbox");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        pthread_mutex_lock(&m->mu);
        bool stop = m->stop;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            break;
        deliver(m, &items[i]);
    }
    store_outbox_list_free(items, count);
}

static void *run(void *arg)
{
    struct mailer *m = arg;
    struct timespec ts;

    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += m->cfg->mail_poll;
        while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
            ;
        if (m->stop)
            break;
        if (m->pending != NULL) { /* SIGHUP's settings, between two batches */
            mem_free(m->own);
            m->own = m->pending;
            m->pending = NULL;
            m->cfg = m->own;
        }
        pthread_mutex_unlock(&m->mu);
        if (atomic_load(&lead_until) >= mono_now())
            work(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

int mailer_start(const struct config *cfg, const char *uri, const struct channel *ch,
                 mailer_transport send, struct mailer **out)
{
    pthread_condattr_t ca;
    struct mailer *m;
    char err[256] = "";

    *out = NULL;
    if (!cfg->mail_enabled)
        return 0;
    if ((m = mem_calloc(1, sizeof(*m))) == NULL)
        return ERR_NOMEM;
    m->cfg = cfg;
    m->ch = ch;
    m->send = send;
    if (store_open(uri, &m->st, err, sizeof(err)) != 0) {
        log_error("mail: cannot open the database: %s", err);
        mem_free(m);
        return ERR_INTERNAL;
    }
    if (trust_attach(m->st, ch->key, ch->log_key, cfg->data_dir) != 0) {
        store_close(m->st);
        mem_free(m);
        return ERR_NOMEM;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        store_close(m->st);
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
        mem_free(m);
        return ERR_INTERNAL;
    }
    log_info("mail: sending through %s:%d every %d s", cfg->mail_host, cfg->mail_port,
             cfg->mail_poll);
    *out = m;
    return 0;
}

int mailer_reload(struct mailer *m, const struct config *cfg)
{
    struct config *copy;

    if (m == NULL)
        return 0;
    if ((copy = mem_alloc(sizeof(*copy))) == NULL)
        return ERR_NOMEM;
    memcpy(copy, cfg, sizeof(*copy));
    pthread_mutex_lock(&m->mu);
    mem_free(m->pending);
    m->pending = copy;
    pthread_mutex_unlock(&m->mu);
    return 0;
}

void mailer_stop(struct mailer *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    mem_free(m->pending);
    mem_free(m->own);
    store_close(m->st);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    mem_free(m);
}
