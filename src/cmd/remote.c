/*
 * remote.c - a transparency log checked over HTTP(S) (cmd/cmd.h: cmd_log_check()), shared by
 * `dissent log verify`, `dissent log monitor` and `dissent audit verify --log`: libcurl fetches
 * what tlog/monitor.h audits, with a deadline on the whole run, a size limit on every answer,
 * redirects followed within http and https only; then the witnesses' cosignatures are counted.
 */
#include "cmd/cmd.h"

#include "crypto/hash.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define VERIFY_CONNECT_TIMEOUT_MS 10000 /* to open one connection */
#define VERIFY_REDIRECTS_MAX 5          /* redirects followed per request */

/* The HTTP side: one libcurl handle (connections are reused) and the run's deadline. */
struct remote {
    CURL *curl;                /* the handle */
    char base[VERIFY_URL_MAX]; /* the log's URL, ending in "/" */
    int64_t deadline_ms;       /* CLOCK_MONOTONIC milliseconds when the run must end */
    uint64_t requests;         /* requests made */
    char *err;                 /* where failures are described (VERIFY_ERR_MAX bytes) */
    long status;               /* the last answer's HTTP status, 0 when none came */
    bool unanswered;           /* the last request got no answer (connection, timeout) */
    /* the caller's entry callback (cmd_log_check.entry) and its context */
    int (*entry_fn)(void *ctx, uint64_t index, const uint8_t *data, size_t len);
    void *entry_ctx;
};

/* A response body being received, refused past @cap bytes. */
struct body {
    uint8_t *data; /* malloc'd */
    size_t len;    /* bytes received */
    size_t alloc;  /* bytes allocated */
    size_t cap;    /* most bytes accepted */
    bool over;     /* the server sent more than @cap */
};

static int64_t clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl's write callback: append to the struct body, refusing more than its cap. */
static size_t body_write(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    struct body *b = ctx;
    size_t n = size * nmemb;

    if (n > b->cap - b->len) {
        b->over = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    if (b->len + n > b->alloc) {
        size_t want = b->alloc ? b->alloc : 16384;
        uint8_t *grown;

        while (want < b->len + n)
            want *= 2;
        if (want > b->cap)
            want = b->cap;
        grown = mem_realloc(b->data, want ? want : 1);
        if (grown == NULL)
            return 0;
        b->data = grown;
        b->alloc = want;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    return n;
}

/*
 * Set up @r for the log at @url (http:// or https:// only, checked by the caller), with a
 * deadline @timeout_s seconds from now. Returns 0, ERR_TOO_LARGE (URL) or ERR_NOMEM.
 */
static int remote_init(struct remote *r, const char *url, long timeout_s, char *err)
{
    size_t len = strlen(url);
    int n;

    memset(r, 0, sizeof(*r));
    r->err = err;
    n = snprintf(r->base, sizeof(r->base), "%s%s", url, len > 0 && url[len - 1] == '/' ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof(r->base) - TLOG_TILE_PATH_MAX)
        return ERR_TOO_LARGE;
    r->deadline_ms = clock_ms() + (int64_t)timeout_s * 1000;
    r->curl = curl_easy_init();
    if (r->curl == NULL)
        return ERR_NOMEM;
    if (curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_MAXREDIRS, (long)VERIFY_REDIRECTS_MAX) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)VERIFY_CONNECT_TIMEOUT_MS) !=
            CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "dissent-log-verify") != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, body_write) != CURLE_OK)
        return ERR_NOMEM;
    return 0;
}

static void remote_release(struct remote *r)
{
    if (r->curl != NULL)
        curl_easy_cleanup(r->curl);
    r->curl = NULL;
}

/*
 * GET @rel (relative to the log's URL): a 200 response of at most @cap bytes into *@out
 * (malloc'd, caller frees) and *@outlen. Anything else is described in r->err.
 * Returns 0, ERR_IO (transport error, timeout, another status) or ERR_TOO_LARGE.
 */
static int remote_get(struct remote *r, const char *rel, size_t cap, uint8_t **out, size_t *outlen)
{
    char url[VERIFY_URL_MAX + TLOG_TILE_PATH_MAX];
    struct body b = {.cap = cap};
    int64_t left = r->deadline_ms - clock_ms();
    long status = 0;
    CURLcode cc;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    r->status = 0;
    r->unanswered = false;
    snprintf(url, sizeof(url), "%s%s", r->base, rel);
    if (left <= 0) {
        err_set(r->err, VERIFY_ERR_MAX, "timed out before GET %s", url);
        r->unanswered = true;
        return ERR_IO;
    }
    r->requests++;
    if (curl_easy_setopt(r->curl, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, (long)left) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap) != CURLE_OK) {
        err_set(r->err, VERIFY_ERR_MAX, "HTTP error: GET %s: cannot set up the request", url);
        rc = ERR_IO;
        goto out;
    }
    cc = curl_easy_perform(r->curl);
    if (b.over || cc == CURLE_FILESIZE_EXCEEDED) {
        err_set(r->err, VERIFY_ERR_MAX, "HTTP error: GET %s: response over %zu bytes", url, cap);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (cc != CURLE_OK) {
        err_set(r->err, VERIFY_ERR_MAX, "HTTP error: GET %s: %s", url,
                cc == CURLE_OPERATION_TIMEDOUT ? "timed out" : curl_easy_strerror(cc));
        r->unanswered = true;
        rc = ERR_IO;
        goto out;
    }
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    r->status = status;
    if (status != 200) {
        err_set(r->err, VERIFY_ERR_MAX, "HTTP error: GET %s: status %ld", url, status);
        rc = ERR_IO;
        goto out;
    }
    if (b.data == NULL && (b.data = mem_alloc(1)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    *out = b.data;
    *outlen = b.len;
    b.data = NULL;
out:
    mem_free(b.data);
    return rc;
}

/* Write @text[0..@len) to @path atomically: a temporary file (0600) beside it, then rename. */
static int state_save(const char *path, const char *text, size_t len)
{
    char tmp[PATH_MAX];
    int fd = -1, n, rc = 0;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return ERR_TOO_LARGE;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    if (fchmod(fd, 0600) != 0)
        rc = ERR_IO;
    for (size_t off = 0; rc == 0 && off < len;) {
        ssize_t w = write(fd, text + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = ERR_IO;
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = ERR_IO;
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ERR_IO;
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* Whether @url is an http:// or https:// URL without white space or control characters. */
bool cmd_log_url_acceptable(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return false;
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    }
    return strlen(url) < VERIFY_URL_MAX - TLOG_TILE_PATH_MAX;
}

/* The caller's entry callback, given its own context back. */
static int remote_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct remote *r = ctx;

    return r->entry_fn(r->entry_ctx, index, data, len);
}

int cmd_http_get(const char *url, size_t cap, long timeout_s, char **out, size_t *len, long *status,
                 bool *unanswered, char *err)
{
    struct remote r;
    uint8_t *data = NULL;
    int rc;

    *out = NULL;
    *len = 0;
    *status = 0;
    *unanswered = false;
    if ((rc = remote_init(&r, "", timeout_s, err)) != 0) {
        err_set(err, VERIFY_ERR_MAX, "cannot set up the HTTP client: %s", err_str(rc));
        remote_release(&r);
        return rc;
    }
    r.base[0] = '\0'; /* @url whole */
    rc = remote_get(&r, url, cap, &data, len);
    *status = r.status;
    *unanswered = r.unanswered;
    remote_release(&r);
    if (rc != 0)
        return rc;
    /* a NUL after the bytes, for the parsers */
    if ((*out = mem_alloc(*len + 1)) == NULL) {
        mem_free(data);
        return ERR_NOMEM;
    }
    memcpy(*out, data, *len);
    (*out)[*len] = '\0';
    mem_free(data);
    return 0;
}

/* The fetcher of the audit (tlog/monitor.h) over @ctx, a struct remote. */
static int remote_fetch(void *ctx, const char *rel, size_t cap, uint8_t **out, size_t *len,
                        char *err)
{
    struct remote *r = ctx;

    r->err = err;
    return remote_get(r, rel, cap, out, len);
}

int cmd_log_check(const struct cmd_log_check *o, struct cmd_log_result *out, char *err)
{
    struct remote r = {0};
    struct tlog_fetcher f = {remote_fetch, &r, o->entry != NULL ? remote_entry : NULL};
    struct tlog_checkpoint old = {0};
    char *oldtext = NULL, why[256] = "";
    size_t oldlen = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (o->state != NULL) {
        rc = cmd_file_read(o->state, TLOG_CHECKPOINT_MAX, &oldtext, &oldlen);
        if (rc == 0) {
            rc = tlog_checkpoint_open(oldtext, oldlen, NULL, &o->key, &old, why, sizeof(why));
            if (rc != 0) {
                err_set(err, VERIFY_ERR_MAX,
                        "bad state: %s is not a checkpoint signed by the log key (%s)", o->state,
                        why[0] ? why : err_str(rc));
                goto out;
            }
            out->had_old = true;
            out->old_size = old.size;
        } else if (rc != ERR_NOT_FOUND) {
            err_set(err, VERIFY_ERR_MAX, "bad state: cannot read %s: %s", o->state, err_str(rc));
            goto out;
        } else if (o->state_given) {
            err_set(err, VERIFY_ERR_MAX,
                    "bad state: %s does not exist (a checkpoint a monitor saved is needed)",
                    o->state);
            goto out;
        }
    }
    rc = remote_init(&r, o->url, o->timeout, err);
    if (rc != 0) {
        err_set(err, VERIFY_ERR_MAX, "cannot set up the HTTP client: %s", err_str(rc));
        goto out;
    }
    r.entry_fn = o->entry;
    r.entry_ctx = o->ctx;
    rc = tlog_monitor_audit(&f, &o->key, out->had_old ? oldtext : NULL, oldlen, &out->audit, err);
    if (rc != 0)
        goto out;
    if (o->nwitnesses > 0) {
        rc = tlog_cosig_verify(out->audit.text, out->audit.len, o->witnesses, o->nwitnesses,
                               out->times, &out->cosigned, why, sizeof(why));
        if (rc != 0) {
            err_set(err, VERIFY_ERR_MAX, "the checkpoint's cosignatures: %s", why);
            goto out;
        }
        if (out->cosigned < o->quorum) {
            err_set(err, VERIFY_ERR_MAX,
                    "the checkpoint of %llu entries carries %zu valid cosignature%s of the %zu "
                    "witnesses given, fewer than the %zu required (--quorum)",
                    (unsigned long long)out->audit.cp.size, out->cosigned,
                    out->cosigned == 1 ? "" : "s", o->nwitnesses, o->quorum);
            rc = ERR_CRYPTO;
            goto out;
        }
    }
    if (o->state != NULL && !o->state_given &&
        (rc = state_save(o->state, out->audit.text, out->audit.len)) != 0) {
        err_set(err, VERIFY_ERR_MAX, "cannot save the state to %s: %s", o->state, err_str(rc));
        goto out;
    }
out:
    if (rc != 0) {
        cmd_log_result_release(out);
        out->http_status = r.status; /* what the failing request was answered, 0: nothing */
        out->unanswered = r.unanswered;
    }
    remote_release(&r);
    mem_free(oldtext);
    return rc;
}

void cmd_log_result_release(struct cmd_log_result *r)
{
    tlog_monitor_result_release(&r->audit);
    memset(r, 0, sizeof(*r));
}

int cmd_log_check_setup(struct cmd_log_check *o, const char *what, const char *url,
                        const char *vkey, const struct cmd_list *witnesses, const char *quorum,
                        const char *timeout)
{
    int64_t t;

    memset(o, 0, sizeof(*o));
    o->timeout = VERIFY_TIMEOUT_DEFAULT;
    o->url = url;
    if (!cmd_log_url_acceptable(url)) {
        fprintf(stderr,
                "%s: %s: only http:// and https:// URLs, without spaces, shorter than %d bytes\n",
                what, url, VERIFY_URL_MAX - TLOG_TILE_PATH_MAX);
        return 2;
    }
    if (vkey == NULL || cmd_vkey_load(vkey, &o->key) != 0) {
        fprintf(stderr, "%s: --vkey: not a verifier key, nor a file holding one\n", what);
        return 2;
    }
    for (int i = 0; witnesses != NULL && i < witnesses->n; i++) {
        if (cmd_vkey_load_type(witnesses->v[i], NOTE_TYPE_COSIGNATURE, &o->witnesses[i]) != 0) {
            fprintf(stderr,
                    "%s: --witness %s: not a witness's verifier key (type 0x04), nor a file "
                    "holding one\n",
                    what, witnesses->v[i]);
            return 2;
        }
        o->nwitnesses++;
    }
    o->quorum = o->nwitnesses;
    if (quorum != NULL) {
        if (str_parse_i64(quorum, 0, (int64_t)o->nwitnesses, &t) != 0) {
            fprintf(stderr, "%s: --quorum: 0 to %zu (the witnesses given)\n", what, o->nwitnesses);
            return 2;
        }
        o->quorum = (size_t)t;
    }
    if (timeout != NULL) {
        if (str_parse_i64(timeout, 1, VERIFY_TIMEOUT_MAX, &t) != 0) {
            fprintf(stderr, "%s: --timeout: 1 to %d seconds\n", what, VERIFY_TIMEOUT_MAX);
            return 2;
        }
        o->timeout = (long)t;
    }
    return 0;
}
