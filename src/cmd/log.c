/*
 * log.c - `dissent log build|key`: the transparency log without the server.
 *
 *   dissent log build --origin ORIGIN --key KEYFILE --entries FILE --out DIR [--each]
 *   dissent log key [--data DIR] [--config FILE]
 *
 * build turns a list of entries (one per line of FILE, the "\n" not part of the entry; "-" reads
 * standard input) and a signer key (KEYFILE: "PRIVATE+KEY+name+id+base64", the Go note format)
 * into a static tlog-tiles log in DIR: DIR/checkpoint, DIR/tile/<L>/<N>[.p/<W>] and
 * DIR/tile/entries/<N>[.p/<W>]. By default the entries are appended in one batch and only the
 * final tiles are written; --each appends them one at a time and keeps every intermediate
 * partial tile and bundle, as a log that published a checkpoint after each entry would. DIR
 * must be missing or empty. The files are public: directories 0755, files 0644.
 *
 * key prints the verifier key of the server's log key, DATA/log.skey. It never creates one.
 *
 *   dissent log verify URL --vkey VKEY [--state FILE] [--timeout SECONDS]
 *                      [--witness WVKEY ... [--quorum K]]
 *
 * verify audits a tlog-tiles log over HTTP(S) with libcurl, as a monitor would (the audit itself,
 * what it fetches and checks, is tlog/monitor.h; this command fetches, keeps the state and
 * prints). With --state FILE it first loads the checkpoint a previous run saved there (if the
 * file exists; it must verify with VKEY) and hands it to the audit, which requires the log to
 * extend it; then it saves the new checkpoint there (temporary file, mode 0600, renamed over).
 * Only http:// and https:// are spoken, redirects included, and the whole run has a deadline.
 * Exit status 0 (verified), 1 (FAILED: reason), 2 (usage).
 */
#include "cmd/cmd.h"

#include "crypto/hash.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "tlog/memstore.h"
#include "tlog/merkle.h"
#include "tlog/monitor.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define KEYFILE_MAX 4096             /* longest key file accepted, bytes */
#define ENTRIES_FILE_MAX (1ul << 30) /* longest entries file accepted, bytes */
#define ENTRIES_MAX (1ul << 26)      /* most entries in one build */
#define LOG_KEY_FILE "log.skey"      /* the server's log key, in its data directory */

static const char synopsis[] =
    "dissent log build --origin ORIGIN --key KEYFILE --entries FILE --out DIR\n"
    "                         [--each]\n"
    "       dissent log key [--data DIR] [--config FILE]\n"
    "       dissent log verify URL --vkey VKEY [--state FILE] [--timeout SECONDS]\n"
    "                          [--witness VKEY ... [--quorum K]]\n"
    "build: write a C2SP tlog-tiles log (checkpoint, tiles, entry bundles) to DIR\n"
    "       from FILE (one entry per line, '-' for standard input) signed with KEYFILE\n"
    "       (PRIVATE+KEY+... note signer key); --each appends one entry at a time and\n"
    "       keeps every intermediate partial tile.\n"
    "key:   print the verifier key of the server's log key (DIR/" LOG_KEY_FILE ").\n"
    "verify: fetch the log at URL (http:// or https://: URL/checkpoint, URL/tile/...),\n"
    "       check the checkpoint's signature by VKEY (the key, or a file holding it),\n"
    "       every entry bundle against its tile, every tile against the level below,\n"
    "       and the root; with --state, that the log extends the checkpoint saved in\n"
    "       FILE by the last run, then save the new one there. With --witness, the\n"
    "       checkpoint must carry valid cosignatures (c2sp.org/tlog-cosignature) of K\n"
    "       of the witnesses given (default: all of them). Whole run limited to\n"
    "       SECONDS (default 300).";

static void usage(FILE *f)
{
    fprintf(f, "usage: %s\n", synopsis);
}

/* Read and parse the signer key file @path (one line, a final newline allowed). */
static int key_load(const char *path, struct note_skey *key)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = cmd_file_read(path, KEYFILE_MAX, &text, &len);
    if (rc != 0) {
        fprintf(stderr, "dissent log: %s: %s\n", path,
                rc == ERR_NOT_FOUND ? "no such file" : err_str(rc));
        goto out;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    rc = note_skey_parse(text, len, key);
    if (rc != 0)
        fprintf(stderr, "dissent log: %s: not a note signer key (PRIVATE+KEY+name+id+base64)\n",
                path);
out:
    if (text != NULL) {
        wipe(text, len);
        mem_free(text);
    }
    return rc;
}

/* Split @buf[0..@len) into lines: *@views (malloc'd) and *@count. A last line without "\n" is
   an entry too; an empty file has none. */
static int entries_split(const char *buf, size_t len, struct tlog_view **views, size_t *count)
{
    struct tlog_view *v = NULL;
    size_t n = 0, start = 0;

    *views = NULL;
    *count = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    if (len > 0 && buf[len - 1] != '\n')
        n++;
    if (n > ENTRIES_MAX)
        return ERR_TOO_LARGE;
    v = mem_alloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return ERR_NOMEM;
    n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len ? i > start : buf[i] == '\n') {
            v[n].data = (const uint8_t *)buf + start;
            v[n].len = i - start;
            if (v[n].len > TLOG_ENTRY_MAX) {
                mem_free(v);
                return ERR_TOO_LARGE;
            }
            n++;
            start = i + 1;
        }
    }
    *views = v;
    *count = n;
    return 0;
}

/* Create @dir (0755) if missing; refuse it unless it is an empty directory. */
static int outdir_prepare(const char *dir)
{
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (mkdir(dir, 0755) == 0)
        return chmod(dir, 0755) == 0 ? 0 : ERR_IO;
    if (errno != EEXIST)
        return ERR_IO;
    d = opendir(dir);
    if (d == NULL)
        return ERR_IO;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = ERR_EXISTS;
            break;
        }
    }
    closedir(d);
    return rc;
}

/* Write @data[0..@len) to @dir/@rel (mode 0644), creating the directories of @rel (0755). */
static int file_write(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    size_t base;
    int fd = -1, rc = 0, n;

    n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ERR_TOO_LARGE;
    base = strlen(dir) + 1;
    for (char *p = path + base; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0755) == 0) {
            if (chmod(path, 0755) != 0)
                rc = ERR_IO;
        } else if (errno != EEXIST) {
            rc = ERR_IO;
        }
        *p = '/';
        if (rc != 0)
            return rc;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ERR_IO;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = ERR_IO;
            goto out;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0)
        rc = ERR_IO;
out:
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    return rc;
}

/* Write one tile or bundle under @dir at its path. */
static int tile_write(const char *dir, const struct tlog_tile *t, const uint8_t *data, size_t len)
{
    char rel[TLOG_TILE_PATH_MAX];
    int rc;

    rc = tlog_tile_path_format(t, rel, sizeof(rel));
    if (rc == 0)
        rc = file_write(dir, rel, data, len);
    if (rc != 0)
        fprintf(stderr, "dissent log build: cannot write %s/%s: %s\n", dir, rel, err_str(rc));
    return rc;
}

/* Write every tile and bundle of @ms, at its final width, under @dir. */
static int tiles_write_all(const char *dir, const struct tlog_memstore *ms)
{
    uint64_t size = tlog_memstore_size(ms);
    int rc = 0;

    for (int level = TLOG_TILE_ENTRIES; level < 8; level++) {
        for (uint64_t i = 0; tlog_tile_width(level, i, size) > 0; i++) {
            struct tlog_tile t = {level, i, tlog_tile_width(level, i, size)};
            const uint8_t *data;
            size_t len;
            unsigned width;

            rc = tlog_memstore_get(ms, level, i, &data, &len, &width);
            if (rc == 0 && width != t.width)
                rc = ERR_INTERNAL;
            if (rc == 0)
                rc = tile_write(dir, &t, data, len);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Append @v[0..@n) to @ms one entry at a time, writing every update's tiles under @dir. */
static int append_each(const char *dir, struct tlog_memstore *ms, const struct tlog_view *v,
                       size_t n)
{
    struct tlog_tile_source src = tlog_memstore_source(ms);
    struct tlog_update up = {0};
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = tlog_append(tlog_memstore_size(ms), &v[i], 1, &src, &up);
        if (rc != 0)
            fprintf(stderr, "dissent log build: cannot append: %s\n", err_str(rc));
        for (size_t j = 0; rc == 0 && j < up.count; j++) {
            /* hint rows are the server's; a static log has tiles and bundles only */
            if (up.tiles[j].tile.level < TLOG_TILE_HINTS)
                rc = tile_write(dir, &up.tiles[j].tile, up.tiles[j].data, up.tiles[j].len);
        }
        if (rc == 0)
            rc = tlog_memstore_apply(ms, &up);
        tlog_update_release(&up);
    }
    return rc;
}

struct build_opts {
    const char *origin, *key, *entries, *out;
    bool each;
};

static int build_run(const struct build_opts *o)
{
    struct note_skey key = {0};
    struct tlog_memstore *ms = NULL;
    struct tlog_tile_reader *reader = NULL;
    struct tlog_view *views = NULL;
    struct tlog_checkpoint cp = {0};
    struct tlog_tile_source src;
    struct tlog_hash_reader hr;
    char *buf = NULL, *signed_cp = NULL;
    size_t len = 0, count = 0, cplen = 0;
    int rc;

    /* refuse a bad origin before writing anything */
    cp.origin = o->origin;
    cp.origin_len = strlen(o->origin);
    rc = tlog_checkpoint_format(&cp, &signed_cp, &cplen);
    mem_free(signed_cp);
    signed_cp = NULL;
    if (rc != 0) {
        fprintf(stderr,
                "dissent log build: bad origin (1 to %d bytes of UTF-8, no control "
                "characters)\n",
                TLOG_ORIGIN_MAX);
        goto out;
    }
    rc = key_load(o->key, &key);
    if (rc != 0)
        goto out;
    rc = cmd_file_read(o->entries, ENTRIES_FILE_MAX, &buf, &len);
    if (rc == 0)
        rc = entries_split(buf, len, &views, &count);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: %s: %s\n", o->entries,
                rc == ERR_TOO_LARGE   ? "too large (an entry over 65535 bytes, or too many)"
                : rc == ERR_NOT_FOUND ? "no such file"
                                      : err_str(rc));
        goto out;
    }
    rc = outdir_prepare(o->out);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: %s: %s\n", o->out,
                rc == ERR_EXISTS ? "not empty" : "cannot create the directory");
        goto out;
    }
    rc = tlog_memstore_new(&ms);
    if (rc != 0)
        goto out;
    if (o->each) {
        rc = append_each(o->out, ms, views, count);
    } else {
        for (size_t off = 0; rc == 0 && off < count; off += TLOG_APPEND_MAX) {
            size_t n = count - off < TLOG_APPEND_MAX ? count - off : TLOG_APPEND_MAX;

            rc = tlog_memstore_append(ms, views + off, n, NULL);
        }
        if (rc != 0)
            fprintf(stderr, "dissent log build: cannot append: %s\n", err_str(rc));
        else
            rc = tiles_write_all(o->out, ms);
    }
    if (rc != 0)
        goto out;
    /* the checkpoint last: a reader never sees one whose tiles are missing */
    src = tlog_memstore_source(ms);
    rc = tlog_tile_reader_new(&src, 16, &reader);
    if (rc != 0)
        goto out;
    hr = tlog_tile_reader_hashes(reader);
    cp.size = tlog_memstore_size(ms);
    rc = tlog_tree_hash(cp.size, &hr, cp.root);
    if (rc == 0)
        rc = tlog_checkpoint_sign(&cp, &key, &signed_cp, &cplen);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: cannot sign the checkpoint: %s\n", err_str(rc));
        goto out;
    }
    rc = file_write(o->out, "checkpoint", signed_cp, cplen);
    if (rc != 0)
        fprintf(stderr, "dissent log build: cannot write %s/checkpoint\n", o->out);
out:
    note_skey_clear(&key);
    tlog_tile_reader_free(reader);
    tlog_memstore_free(ms);
    mem_free(views);
    mem_free(buf);
    mem_free(signed_cp);
    return rc;
}

static int log_build(int argc, char **argv)
{
    struct build_opts o = {0};
    const struct cmd_opt opts[] = {
        {"origin", "ORIGIN", "the log's origin line (the key's name)", &o.origin, NULL, NULL},
        {"key", "KEYFILE", "the signer key (PRIVATE+KEY+...)", &o.key, NULL, NULL},
        {"entries", "FILE", "one entry per line ('-': standard input)", &o.entries, NULL, NULL},
        {"out", "DIR", "a missing or empty directory for the log", &o.out, NULL, NULL},
        {"each", NULL, "append one entry at a time, keeping every partial tile", NULL, &o.each,
         NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char **rest = NULL;
    int nrest = 0, c;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 0 || !o.origin || !o.key || !o.entries || !o.out) {
        usage(stderr);
        return 2;
    }
    return build_run(&o) == 0 ? 0 : 1;
}

static int log_key(int argc, char **argv)
{
    const char *data = NULL, *config = NULL;
    const struct cmd_opt opts[] = {
        {"data", "DIR", "the data directory holding " LOG_KEY_FILE, &data, NULL, NULL},
        {"config", "FILE", "the settings file (docs/config.md)", &config, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct config cfg;
    struct note_skey key = {0};
    struct note_vkey vkey;
    char path[PATH_MAX], vtext[NOTE_VKEY_MAX], err[256] = "", **rest = NULL;
    int nrest = 0, c, n, rc = 1;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 0) {
        usage(stderr);
        return 2;
    }
    if (cmd_config_load(&cfg, config) != 0)
        return 1;
    if (data && config_set(&cfg, "server", "data", data, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent log key: %s\n", err);
        return 2;
    }
    n = snprintf(path, sizeof(path), "%s/%s", cfg.data_dir, LOG_KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "dissent log key: data directory path too long\n");
        return 1;
    }
    if (key_load(path, &key) != 0)
        goto out;
    note_skey_vkey(&key, &vkey);
    if (note_vkey_format(&vkey, vtext, sizeof(vtext)) != 0) {
        fprintf(stderr, "dissent log key: cannot encode the verifier key\n");
        goto out;
    }
    printf("%s\n", vtext);
    rc = 0;
out:
    note_skey_clear(&key);
    return rc;
}

/* ---- verify: audit a log over HTTP ------------------------------------------------------- */

#define VERIFY_URL_MAX 2048                 /* longest log URL accepted, bytes */
#define VERIFY_TIMEOUT_DEFAULT 300          /* seconds for the whole run, by default */
#define VERIFY_TIMEOUT_MAX 86400            /* longest --timeout accepted, seconds */
#define VERIFY_CONNECT_TIMEOUT_MS 10000     /* to open one connection */
#define VERIFY_REDIRECTS_MAX 5              /* redirects followed per request */
#define VERIFY_ERR_MAX TLOG_MONITOR_ERR_MAX /* bytes of a failure message */

/* The HTTP side: one libcurl handle (connections are reused) and the run's deadline. */
struct remote {
    CURL *curl;                /* the handle */
    char base[VERIFY_URL_MAX]; /* the log's URL, ending in "/" */
    int64_t deadline_ms;       /* CLOCK_MONOTONIC milliseconds when the run must end */
    uint64_t requests;         /* requests made */
    char *err;                 /* where failures are described (VERIFY_ERR_MAX bytes) */
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
    snprintf(url, sizeof(url), "%s%s", r->base, rel);
    if (left <= 0) {
        err_set(r->err, VERIFY_ERR_MAX, "timed out before GET %s", url);
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
        rc = ERR_IO;
        goto out;
    }
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
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

/*
 * The verifier key @arg: the vkey itself, or else the path of a file holding it (one line, a
 * final newline allowed). Returns 0 or ERR_INVALID.
 */

struct verify_opts {
    const char *url, *vkey, *state;
    long timeout;
    struct note_vkey witnesses[CMD_LIST_MAX]; /* --witness: cosigner keys (type 0x04) */
    size_t nwitnesses;
    size_t quorum; /* cosignatures required of them */
};

/* Whether @url is an http:// or https:// URL without white space or control characters. */
static bool url_acceptable(const char *url)
{
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return false;
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    }
    return strlen(url) < VERIFY_URL_MAX - TLOG_TILE_PATH_MAX;
}

/* The fetcher of the audit (tlog/monitor.h) over @ctx, a struct remote. */
static int remote_fetch(void *ctx, const char *rel, size_t cap, uint8_t **out, size_t *len,
                        char *err)
{
    struct remote *r = ctx;

    r->err = err;
    return remote_get(r, rel, cap, out, len);
}

/* The verification itself (tlog/monitor.h over HTTP); the reason for a failure goes to @err. */
static int verify_run(const struct verify_opts *o, const struct note_vkey *key, char *err)
{
    struct remote r = {0};
    struct tlog_fetcher f = {remote_fetch, &r};
    struct tlog_monitor_result res = {0};
    struct tlog_checkpoint old = {0};
    char *oldtext = NULL, why[256] = "", b64[64];
    uint64_t times[CMD_LIST_MAX] = {0};
    size_t oldlen = 0;
    bool have_old = false;
    int rc;

    if (o->state != NULL) {
        rc = cmd_file_read(o->state, TLOG_CHECKPOINT_MAX, &oldtext, &oldlen);
        if (rc == 0) {
            rc = tlog_checkpoint_open(oldtext, oldlen, NULL, key, &old, why, sizeof(why));
            if (rc != 0) {
                err_set(err, VERIFY_ERR_MAX,
                        "bad state: %s is not a checkpoint signed by the log key (%s)", o->state,
                        why[0] ? why : err_str(rc));
                goto out;
            }
            have_old = true;
        } else if (rc != ERR_NOT_FOUND) {
            err_set(err, VERIFY_ERR_MAX, "bad state: cannot read %s: %s", o->state, err_str(rc));
            goto out;
        }
    }
    rc = remote_init(&r, o->url, o->timeout, err);
    if (rc != 0) {
        err_set(err, VERIFY_ERR_MAX, "cannot set up the HTTP client: %s", err_str(rc));
        goto out;
    }
    rc = tlog_monitor_audit(&f, key, have_old ? oldtext : NULL, oldlen, &res, err);
    if (rc != 0)
        goto out;
    if (o->nwitnesses > 0) {
        size_t count = 0;

        rc = tlog_cosig_verify(res.text, res.len, o->witnesses, o->nwitnesses, times, &count, why,
                               sizeof(why));
        if (rc != 0) {
            err_set(err, VERIFY_ERR_MAX, "the checkpoint's cosignatures: %s", why);
            goto out;
        }
        if (count < o->quorum) {
            err_set(err, VERIFY_ERR_MAX,
                    "the checkpoint of %llu entries carries %zu valid cosignature%s of the %zu "
                    "witnesses given, fewer than the %zu required (--quorum)",
                    (unsigned long long)res.cp.size, count, count == 1 ? "" : "s", o->nwitnesses,
                    o->quorum);
            rc = ERR_CRYPTO;
            goto out;
        }
    }
    if (o->state != NULL && (rc = state_save(o->state, res.text, res.len)) != 0) {
        err_set(err, VERIFY_ERR_MAX, "cannot save the state to %s: %s", o->state, err_str(rc));
        goto out;
    }
    b64_encode(b64, sizeof(b64), res.cp.root, HASH_SHA256_LEN, false);
    printf("OK: log %.*s, %llu entries, root %s: signature, %llu tiles and %llu entry bundles "
           "verified\n",
           (int)res.cp.origin_len, res.cp.origin, (unsigned long long)res.cp.size, b64,
           (unsigned long long)res.tiles, (unsigned long long)res.bundles);
    for (size_t i = 0; i < o->nwitnesses; i++) {
        if (times[i] != 0)
            printf("cosigned by %s at %llu\n", o->witnesses[i].name, (unsigned long long)times[i]);
    }
    if (o->nwitnesses > 0)
        printf("quorum: %zu of %zu witnesses required\n", o->quorum, o->nwitnesses);
    if (have_old)
        printf("consistent with the saved checkpoint of %llu entries; %s updated\n",
               (unsigned long long)old.size, o->state);
    else if (o->state != NULL)
        printf("no saved state: %s created\n", o->state);
out:
    tlog_monitor_result_release(&res);
    remote_release(&r);
    mem_free(oldtext);
    return rc;
}

static int log_verify(int argc, char **argv)
{
    static struct verify_opts o;
    const char *timeout = NULL, *quorum = NULL;
    struct cmd_list witnesses = {0};
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &o.vkey, NULL, NULL},
        {"witness", "VKEY", "a witness's key (repeat): its cosignature counts", NULL, NULL,
         &witnesses},
        {"quorum", "K", "cosignatures required of the witnesses (default: all)", &quorum, NULL,
         NULL},
        {"state", "FILE", "the checkpoint of the last run: the log must extend it", &o.state, NULL,
         NULL},
        {"timeout", "SECONDS", "the whole run's limit (default 300)", &timeout, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct note_vkey key;
    char err[VERIFY_ERR_MAX] = "", **rest = NULL;
    int64_t t;
    int nrest = 0, c, rc;

    memset(&o, 0, sizeof(o));
    o.timeout = VERIFY_TIMEOUT_DEFAULT;
    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    for (int i = 0; i < witnesses.n; i++) {
        if (cmd_vkey_load_type(witnesses.v[i], NOTE_TYPE_COSIGNATURE, &o.witnesses[i]) != 0) {
            fprintf(stderr,
                    "dissent log verify: --witness %s: not a witness's verifier key (type 0x04), "
                    "nor a file holding one\n",
                    witnesses.v[i]);
            return 2;
        }
    }
    o.nwitnesses = (size_t)witnesses.n;
    o.quorum = o.nwitnesses;
    if (quorum != NULL) {
        if (str_parse_i64(quorum, 0, (int64_t)o.nwitnesses, &t) != 0) {
            fprintf(stderr, "dissent log verify: --quorum: 0 to %zu (the witnesses given)\n",
                    o.nwitnesses);
            return 2;
        }
        o.quorum = (size_t)t;
    }
    if (timeout != NULL) {
        if (str_parse_i64(timeout, 1, VERIFY_TIMEOUT_MAX, &t) != 0) {
            fprintf(stderr, "dissent log verify: --timeout: 1 to %d seconds\n", VERIFY_TIMEOUT_MAX);
            return 2;
        }
        o.timeout = (long)t;
    }
    if (nrest != 1 || o.vkey == NULL) {
        usage(stderr);
        return 2;
    }
    o.url = rest[0];

    if (!url_acceptable(o.url)) {
        fprintf(stderr,
                "dissent log verify: %s: only http:// and https:// URLs, without spaces, "
                "shorter than %d bytes\n",
                o.url, VERIFY_URL_MAX - TLOG_TILE_PATH_MAX);
        return 2;
    }
    if (cmd_vkey_load(o.vkey, &key) != 0) {
        fprintf(stderr, "dissent log verify: --vkey: not a verifier key, nor a file holding one\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "FAILED: cannot initialise libcurl\n");
        return 1;
    }
    rc = verify_run(&o, &key, err);
    curl_global_cleanup();
    if (rc != 0) {
        fprintf(stderr, "FAILED: %s\n", err[0] ? err : err_str(rc));
        return 1;
    }
    return 0;
}

int cmd_log(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "build") == 0)
        return log_build(argc - 1, argv + 1);
    if (strcmp(argv[1], "key") == 0)
        return log_key(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return log_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dissent log: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
