/*
 * witness.c - a transparency log witness (witness/witness.h).
 */
#include "witness/witness.h"

#include "crypto/hash.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "tlog/merkle.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"
#include "crypto/random.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096  /* bytes of witness.skey */
#define STATE_DIR "state"  /* per log, the latest checkpoint cosigned */
#define ORIGIN_HASH_HEX 64 /* hex digits of an origin's SHA-256 */
#define SIZE_TYPE "text/x.tlog.size"
#define TEXT_TYPE "text/plain; charset=utf-8"

/* One log the witness watches, and what it cosigned last. */
struct wlog {
    struct note_vkey key;           /* the log's key; its name is the origin */
    char hash[ORIGIN_HASH_HEX + 1]; /* hex SHA-256 of the origin */
    uint64_t size;                  /* size last cosigned (0: none) */
    uint8_t root[HASH_SHA256_LEN];  /* its root */
    char *note;                     /* the state file's note, NULL when none */
    size_t note_len;
};

struct witness {
    char *dir;
    char state_dir[1100];
    int lock_fd;
    struct note_skey key;
    struct note_vkey vkey;
    struct wlog *logs;
    size_t nlogs;
    pthread_mutex_t mu; /* the check and the write of a state file are one step */
};

static void origin_hash(const char *origin, size_t len, char out[ORIGIN_HASH_HEX + 1])
{
    uint8_t h[HASH_SHA256_LEN];

    hash_sha256(h, origin, len);
    str_hex(out, ORIGIN_HASH_HEX + 1, h, sizeof(h));
}

static int key_load(const char *dir, struct note_skey *key, char *err, size_t errlen)
{
    char path[1100], *text = NULL;
    size_t len = 0;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, WITNESS_KEY_FILE);
    if ((rc = file_read(path, KEY_FILE_MAX, &text, &len)) != 0) {
        err_set(err, errlen, "%s: %s (make one with `dissent witness key`)", path,
                rc == ERR_NOT_FOUND ? "no such file" : "cannot be read");
        return rc == ERR_NOT_FOUND ? ERR_INVALID : rc;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    rc = note_skey_parse_type(text, len, NOTE_TYPE_COSIGNATURE, key);
    if (rc != 0)
        err_set(err, errlen, "%s is not a witness key (PRIVATE+KEY+name+id+base64, type 0x04)",
                path);
    mem_free(text);
    return rc == 0 ? 0 : ERR_INVALID;
}

int witness_key_create(const char *dir, const char *name, char *vkey, size_t vkeylen, char *err,
                       size_t errlen)
{
    struct note_skey key;
    struct note_vkey vk;
    char path[1100], text[NOTE_SKEY_MAX + 1];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", dir, WITNESS_KEY_FILE);
    if (access(path, F_OK) == 0) {
        if ((rc = key_load(dir, &key, err, errlen)) != 0)
            return rc;
    } else {
        if (name == NULL ||
            note_skey_generate_type(name, strlen(name), NOTE_TYPE_COSIGNATURE, &key) != 0) {
            err_set(err, errlen,
                    "a witness needs a name (--name): a schema-less URL such as "
                    "witness.example.org/w1, without spaces or '+'");
            return ERR_INVALID;
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            err_set(err, errlen, "%s: cannot be made", dir);
            note_skey_clear(&key);
            return ERR_IO;
        }
        rc = note_skey_format(&key, text, sizeof(text) - 1);
        if (rc == 0) {
            size_t n = strlen(text);

            text[n++] = '\n';
            rc = file_replace(dir, WITNESS_KEY_FILE, text, n, "the witness key");
        }
        wipe(text, sizeof(text));
        if (rc != 0) {
            err_set(err, errlen, "%s: cannot be written", path);
            note_skey_clear(&key);
            return ERR_IO;
        }
    }
    note_skey_vkey(&key, &vk);
    note_skey_clear(&key);
    return note_vkey_format(&vk, vkey, vkeylen);
}

/* Remove the temporary files a crash in the middle of a write left in @dir ("." names ending in
 * ".tmp"): the state files themselves are whole, old or new. Under the directory's lock. */
static void tmp_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1400];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);

        if (e->d_name[0] != '.' || n < 5 || strcmp(e->d_name + n - 4, ".tmp") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) == 0)
            log_info("witness: removed %s, left by a write that did not finish", path);
    }
    closedir(d);
}

/* Read and check the state file of @l: the log's signature and the witness's cosignature. */
static int state_load(struct witness *w, struct wlog *l, char *err, size_t errlen)
{
    char path[1300], *text = NULL;
    struct tlog_checkpoint cp;
    size_t len = 0, count = 0;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", w->state_dir, l->hash);
    if ((rc = file_read(path, TLOG_CHECKPOINT_MAX, &text, &len)) == ERR_NOT_FOUND)
        return 0;
    if (rc != 0) {
        err_set(err, errlen, "%s cannot be read", path);
        return rc == ERR_TOO_LARGE ? ERR_INTEGRITY : rc;
    }
    if (tlog_checkpoint_open(text, len, l->key.name, &l->key, &cp, NULL, 0) != 0 ||
        tlog_cosig_verify(text, len, &w->vkey, 1, NULL, &count, NULL, 0) != 0 || count != 1) {
        err_set(err, errlen, "%s is not a checkpoint of %s cosigned by this witness", path,
                l->key.name);
        mem_free(text);
        return ERR_INTEGRITY;
    }
    l->size = cp.size;
    memcpy(l->root, cp.root, HASH_SHA256_LEN);
    l->note = text;
    l->note_len = len;
    return 0;
}

int witness_open(const char *dir, const struct note_vkey *logs, size_t nlogs, struct witness **out,
                 char *err, size_t errlen)
{
    struct witness *w;
    char path[1100];
    int rc = 0;

    *out = NULL;
    if (nlogs == 0 || nlogs > WITNESS_LOGS_MAX) {
        err_set(err, errlen, "a witness watches 1 to %d logs (--log VKEY)", WITNESS_LOGS_MAX);
        return ERR_INVALID;
    }
    if ((w = mem_calloc(1, sizeof(*w))) == NULL ||
        (w->logs = mem_calloc(nlogs, sizeof(*w->logs))) == NULL ||
        (w->dir = mem_strdup(dir)) == NULL) {
        if (w != NULL)
            mem_free(w->logs);
        mem_free(w);
        return ERR_NOMEM;
    }
    w->lock_fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    w->nlogs = nlogs;
    snprintf(w->state_dir, sizeof(w->state_dir), "%s/%s", dir, STATE_DIR);
    snprintf(path, sizeof(path), "%s/witness.lock", dir);
    if ((w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        err_set(err, errlen, "%s cannot be opened", path);
        rc = ERR_IO;
        goto out;
    }
    if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        err_set(err, errlen, "another witness runs on %s", dir);
        rc = ERR_BUSY;
        goto out;
    }
    if ((rc = key_load(dir, &w->key, err, errlen)) != 0)
        goto out;
    note_skey_vkey(&w->key, &w->vkey);
    if (mkdir(w->state_dir, 0700) != 0 && errno != EEXIST) {
        err_set(err, errlen, "%s cannot be made", w->state_dir);
        rc = ERR_IO;
        goto out;
    }
    tmp_sweep(w->state_dir);
    for (size_t i = 0; i < nlogs; i++) {
        struct wlog *l = &w->logs[i];

        if (logs[i].type != NOTE_TYPE_ED25519 && logs[i].type != 0) {
            err_set(err, errlen, "log key %zu is not a log's key (type 0x01)", i + 1);
            rc = ERR_INVALID;
            goto out;
        }
        l->key = logs[i];
        origin_hash(l->key.name, l->key.name_len, l->hash);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(w->logs[j].key.name, l->key.name) == 0) {
                err_set(err, errlen, "two log keys for the origin %s", l->key.name);
                rc = ERR_INVALID;
                goto out;
            }
        }
        if ((rc = state_load(w, l, err, errlen)) != 0)
            goto out;
    }
    *out = w;
    w = NULL;
out:
    witness_close(w);
    return rc;
}

void witness_close(struct witness *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->nlogs; i++)
        mem_free(w->logs[i].note);
    mem_free(w->logs);
    note_skey_clear(&w->key);
    if (w->lock_fd >= 0)
        close(w->lock_fd); /* the lock goes with it */
    pthread_mutex_destroy(&w->mu);
    mem_free(w->dir);
    mem_free(w);
}

void witness_vkey(const struct witness *w, char *out, size_t outlen)
{
    if (note_vkey_format(&w->vkey, out, outlen) != 0 && outlen > 0)
        out[0] = '\0';
}

static int answer(struct witness_answer *a, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int answer(struct witness_answer *a, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    char buf[TLOG_COSIG_LINE_MAX + 64];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        n = 0;
    a->status = status;
    a->content_type = type;
    a->len = (size_t)n;
    if ((a->body = mem_alloc(a->len + 1)) == NULL)
        return ERR_NOMEM;
    memcpy(a->body, buf, a->len + 1);
    return 0;
}

/* The note to keep: the checkpoint's text, the log's own signature lines, @line. */
static int keep_note(const struct note *n, const struct wlog *l, const char *line, char **out,
                     size_t *outlen)
{
    size_t cap = n->text_len + 1 + strlen(line) + 1, off;
    char *buf;

    for (size_t i = 0; i < n->nsigs; i++)
        cap += n->sigs[i].line_len + 1;
    if ((buf = mem_alloc(cap)) == NULL)
        return ERR_NOMEM;
    memcpy(buf, n->text, n->text_len);
    off = n->text_len;
    buf[off++] = '\n';
    /* the log's signature once (note_verify() checked every line of its key), then ours: a
     * request repeating the log's line cannot make the state file grow */
    for (size_t i = 0; i < n->nsigs; i++) {
        const struct note_sig *s = &n->sigs[i];

        if (s->id != l->key.id || s->name_len != l->key.name_len ||
            memcmp(s->name, l->key.name, s->name_len) != 0)
            continue;
        memcpy(buf + off, s->line, s->line_len);
        off += s->line_len;
        buf[off++] = '\n';
        break;
    }
    memcpy(buf + off, line, strlen(line));
    off += strlen(line);
    buf[off] = '\0';
    *out = buf;
    *outlen = off;
    return 0;
}

/* Keep @note as @l's state durably. The fault switch "witness-kill-mid-write" dies (SIGKILL) with
 * half of it written to a temporary file: what a crash in the middle of the write leaves. */
static int state_write(struct witness *w, const struct wlog *l, const char *note, size_t len)
{
    if (fault_on("witness-kill-mid-write")) {
        char path[1400];
        int fd;

        snprintf(path, sizeof(path), "%s/.%s.tmp", w->state_dir, l->hash);
        if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
            if (write(fd, note, len / 2) < 0)
                log_warn("witness: the fault switch's write failed");
            fsync(fd);
        }
        raise(SIGKILL);
    }
    return file_replace(w->state_dir, l->hash, note, len, "the witness's state");
}

int witness_add(struct witness *w, const char *body, size_t len, int64_t now,
                struct witness_answer *a)
{
    static const uint8_t empty[HASH_SHA256_LEN] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                                   0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                                   0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                                   0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    struct tlog_add_request rq;
    struct tlog_checkpoint cp;
    struct note n = {0};
    struct wlog *l = NULL;
    char line[TLOG_COSIG_LINE_MAX], *keep = NULL;
    size_t keep_len = 0;
    bool ok = false;
    int rc;

    memset(a, 0, sizeof(*a));
    if (tlog_add_request_parse(body, len, &rq) != 0 || rq.checkpoint_len > TLOG_CHECKPOINT_MAX ||
        note_parse(rq.checkpoint, rq.checkpoint_len, &n, NULL, 0) != 0 ||
        tlog_checkpoint_parse(n.text, n.text_len, &cp) != 0) {
        note_release(&n);
        return answer(a, 400, TEXT_TYPE, "malformed add-checkpoint request\n");
    }
    for (size_t i = 0; i < w->nlogs && l == NULL; i++) {
        if (w->logs[i].key.name_len == cp.origin_len &&
            memcmp(w->logs[i].key.name, cp.origin, cp.origin_len) == 0)
            l = &w->logs[i];
    }
    if (l == NULL) {
        note_release(&n);
        return answer(a, 404, TEXT_TYPE, "unknown log\n");
    }
    if (note_verify(&n, &l->key, 1, NULL, NULL, 0) != 0) {
        note_release(&n);
        return answer(a, 403, TEXT_TYPE, "no valid signature by the log's key\n");
    }
    if (rq.old_size > cp.size) {
        note_release(&n);
        return answer(a, 400, TEXT_TYPE, "old size over the checkpoint's\n");
    }
    pthread_mutex_lock(&w->mu);
    if (rq.old_size != l->size) {
        rc = answer(a, 409, SIZE_TYPE, "%" PRIu64 "\n", l->size);
        goto out;
    }
    if (cp.size == 0 && !hash_equal(cp.root, empty, HASH_SHA256_LEN)) {
        rc = answer(a, 422, TEXT_TYPE, "a size 0 checkpoint has the empty tree's root\n");
        goto out;
    }
    if (rq.old_size == 0) {
        ok = rq.nproof == 0;
    } else if (rq.old_size == cp.size) {
        ok = rq.nproof == 0 && hash_equal(cp.root, l->root, HASH_SHA256_LEN);
    } else {
        ok = tlog_consistency_verify(rq.old_size, cp.size, l->root, cp.root,
                                     (const uint8_t(*)[HASH_SHA256_LEN])rq.proof, rq.nproof) == 0;
    }
    if (!ok) {
        log_warn("witness: refused a checkpoint of %s at size %" PRIu64
                 ": not consistent with size %" PRIu64 ", cosigned before",
                 l->key.name, cp.size, l->size);
        rc = answer(a, 422, TEXT_TYPE, "not consistent with the checkpoint cosigned before\n");
        goto out;
    }
    if (now <= 0 ||
        tlog_cosign(n.text, n.text_len, &w->key, (uint64_t)now, line, sizeof(line)) != 0 ||
        keep_note(&n, l, line, &keep, &keep_len) != 0 || keep_len > TLOG_CHECKPOINT_MAX) {
        rc = answer(a, 500, TEXT_TYPE, "cannot cosign\n");
        goto out;
    }
    if (l->note != NULL && rq.old_size == cp.size) {
        /* the checkpoint it holds, again: a new cosignature, nothing new to keep (and no durable
         * write that a replay could make for free) */
        rc = answer(a, 200, TEXT_TYPE, "%s", line);
        goto out;
    }
    if (state_write(w, l, keep, keep_len) != 0) {
        rc = answer(a, 500, TEXT_TYPE, "cannot keep the new checkpoint\n");
        goto out;
    }
    /* kept: from now on this is the checkpoint every later one must extend */
    mem_free(l->note);
    l->note = keep;
    l->note_len = keep_len;
    keep = NULL;
    l->size = cp.size;
    memcpy(l->root, cp.root, HASH_SHA256_LEN);
    rc = answer(a, 200, TEXT_TYPE, "%s", line);
out:
    pthread_mutex_unlock(&w->mu);
    mem_free(keep);
    note_release(&n);
    return rc;
}

int witness_checkpoint(struct witness *w, const char *hash, struct witness_answer *a)
{
    int rc = 0;

    memset(a, 0, sizeof(*a));
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nlogs; i++) {
        struct wlog *l = &w->logs[i];

        if (strcmp(l->hash, hash) != 0 || l->note == NULL)
            continue;
        a->status = 200;
        a->content_type = TEXT_TYPE;
        if ((a->body = mem_alloc(l->note_len + 1)) == NULL) {
            rc = ERR_NOMEM;
        } else {
            memcpy(a->body, l->note, l->note_len);
            a->body[l->note_len] = '\0';
            a->len = l->note_len;
        }
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    pthread_mutex_unlock(&w->mu);
    return answer(a, 404, TEXT_TYPE, "no checkpoint cosigned for that log\n");
}

void witness_answer_release(struct witness_answer *a)
{
    if (a == NULL)
        return;
    mem_free(a->body);
    memset(a, 0, sizeof(*a));
}
