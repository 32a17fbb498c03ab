/*
 * attach.c - files attached to a memo (attach.h).
 */
#include "core/attach.h"

#include "core/content.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file's sealed details: header | SHA-256 | size (8, big-endian) | type "\n" name. */
#define META_FIXED (STREAM_HEADER_LEN + HASH_SHA256_LEN + 8)
#define META_MAX (META_FIXED + MEMO_FILE_TYPE_MAX + 1 + MEMO_FILE_NAME_MAX)

/* Where the sealed details and the upload's state live (core/content.h). */
static struct content_place meta_place(const char *id)
{
    return (struct content_place){.field = "file", .kind = id};
}

static struct content_place state_place(const char *id, int64_t received)
{
    return (struct content_place){.field = "upload", .kind = id, .at = received};
}

/*
 * The key of file @id's stream: keyed BLAKE2b-256 under the memo key of
 * "dissent-file-key/1 " MEMO " " ID, so that each file has a key of its own (wipe it after use).
 */
static void file_key(const uint8_t *mkey, const char *memo, const char *id,
                     uint8_t out[STREAM_KEY_LEN])
{
    char label[80];
    int n = snprintf(label, sizeof(label), "dissent-file-key/1 %s %s", memo, id);

    /* (a memo id and a file id always fit: 19 + 24 + 1 + 16 bytes) */
    hash_keyed(out, label, n > 0 && (size_t)n < sizeof(label) ? (size_t)n : 0, mkey);
}

/* The associated data of each message of file @id of memo @memo. */
static size_t chunk_ad(char *out, size_t len, const char *memo, const char *id)
{
    int n = snprintf(out, len, "dissent-file/1 %s %s", memo, id);

    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Open row @a's details into @info (and the stream's @header, may be NULL). */
static int open_meta(const uint8_t *mkey, const struct memo *m, const struct store_attachment *a,
                     struct attach_info *info, uint8_t header[STREAM_HEADER_LEN])
{
    struct content_place at = meta_place(a->public_id);
    char *text = NULL;
    const char *nl;
    size_t len = 0, tl;
    int rc;

    memset(info, 0, sizeof(*info));
    rc = content_open(mkey, m->public_id, &at, a->meta, a->meta_len, &text, &len, NULL);
    if (rc == ERR_NOMEM)
        return rc;
    if (rc != 0 || text == NULL || len < META_FIXED + 3 || len > META_MAX ||
        (nl = memchr(text + META_FIXED, '\n', len - META_FIXED)) == NULL)
        goto bad;
    tl = (size_t)(nl - (text + META_FIXED));
    if (tl > MEMO_FILE_TYPE_MAX || len - META_FIXED - tl - 1 > MEMO_FILE_NAME_MAX)
        goto bad;
    str_copy(info->id, sizeof(info->id), a->public_id);
    memcpy(info->file.sha256, text + STREAM_HEADER_LEN, HASH_SHA256_LEN);
    info->file.size = get_u64((const uint8_t *)text + STREAM_HEADER_LEN + HASH_SHA256_LEN);
    memcpy(info->file.type, text + META_FIXED, tl);
    memcpy(info->file.name, nl + 1, len - META_FIXED - tl - 1);
    if (header != NULL)
        memcpy(header, text, STREAM_HEADER_LEN);
    info->received = a->received;
    info->complete = a->complete;
    /* the row's clear columns must say what the sealed details say */
    if (info->file.size != (uint64_t)a->size || a->received < 0 || a->received > a->size ||
        (a->complete && a->received != a->size) || memo_file_type_check(info->file.type) != 0 ||
        memo_file_name_check(info->file.name, strlen(info->file.name)) != 0)
        goto bad;
    wipe(text, len);
    mem_free(text);
    return 0;
bad:
    if (text != NULL) {
        wipe(text, len);
        mem_free(text);
    }
    memset(info, 0, sizeof(*info));
    log_error("integrity: a file of memo %s does not open as Dissent sealed it, or its row "
              "does not match it: it was changed outside Dissent",
              m->public_id);
    return ERR_INTEGRITY;
}

/*
 * The digest the memo row keeps of its file list (under its MAC): SHA-256 over each file's
 * public id and the SHA-256 of its sealed details, in order; @rows[@skip] left out (-1: none),
 * @extra (may be NULL) added last. *@any tells whether the list has a file at all.
 */
static void list_digest(const struct store_attachment *rows, size_t n, ptrdiff_t skip,
                        const struct store_attachment *extra, uint8_t out[HASH_SHA256_LEN],
                        bool *any)
{
    struct sha256_ctx sha;
    uint8_t h[HASH_SHA256_LEN];

    *any = false;
    sha256_init(&sha);
    sha256_update(&sha, "dissent-files/1", 15);
    for (size_t i = 0; i <= n; i++) {
        const struct store_attachment *a = i < n ? &rows[i] : extra;
        if (a == NULL || (i < n && (ptrdiff_t)i == skip))
            continue;
        hash_sha256(h, a->meta, a->meta_len);
        sha256_update(&sha, a->public_id, STORE_ATT_ID_LEN);
        sha256_update(&sha, h, sizeof(h));
        *any = true;
    }
    sha256_final(&sha, out);
}

/* Whether @rows are the list the digest @files (@has) vouches for. */
static bool list_matches(bool has, const uint8_t files[HASH_SHA256_LEN],
                         const struct store_attachment *rows, size_t n)
{
    uint8_t d[HASH_SHA256_LEN];
    bool any = false;

    list_digest(rows, n, -1, NULL, d, &any);
    return any == has && (!any || hash_equal(d, files, sizeof(d)));
}

#define LIST_TRIES 4 /* reads of a list that another request keeps changing */

/*
 * @m's file rows, as its row vouches for them. The memo row and the rows are read by separate
 * statements: when they disagree, the memo is read again, and a memo that changed meanwhile (a
 * file added or removed by another request) is tried again against its new digest. Only a
 * disagreement at one and the same version is ERR_INTEGRITY (logged). For a @writer, whose
 * change rests on @m as it read it, a memo that changed meanwhile is ERR_CONFLICT. A memo
 * without files is read too: a row put there outside Dissent is then found (a download by id
 * relies on it, attach_reader_open()).
 */
static int rows_of(struct store *st, const struct memo *m, bool writer,
                   struct store_attachment **rows, size_t *n)
{
    struct memo cur;
    bool has = m->has_files, reread = false;
    uint8_t files[HASH_SHA256_LEN];
    int64_t version = m->version;
    int rc;

    memcpy(files, m->files, sizeof(files));
    for (int i = 0; i < LIST_TRIES; i++) {
        if ((rc = store_att_list(st, m->id, rows, n)) != 0)
            return rc;
        if (list_matches(has, files, *rows, *n) && !(reread && writer))
            return 0;
        store_att_list_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        if (reread && writer)
            return ERR_CONFLICT;
        if ((rc = store_memo_get(st, m->public_id, &cur)) != 0)
            return rc == ERR_NOT_FOUND ? ERR_CONFLICT : rc;
        reread = reread || cur.version != m->version;
        if (cur.version == version) { /* the same version, and still another list */
            store_memo_release(&cur);
            log_error("integrity: the files of memo %s are not the list its row vouches for: "
                      "they were changed outside Dissent",
                      m->public_id);
            return ERR_INTEGRITY;
        }
        version = cur.version;
        has = cur.has_files;
        memcpy(files, cur.files, sizeof(files));
        store_memo_release(&cur);
    }
    return ERR_CONFLICT; /* changing faster than it can be read */
}

/* Set @m's list digest for its rows as they will be: without @rows[@skip], with @extra. */
static int list_set(struct store *st, struct memo *m, ptrdiff_t skip_id,
                    const struct store_attachment *extra)
{
    struct store_attachment *rows = NULL;
    ptrdiff_t skip = -1;
    size_t n = 0;
    int rc;

    if ((rc = rows_of(st, m, true, &rows, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == skip_id)
            skip = (ptrdiff_t)i;
    list_digest(rows, n, skip, extra, m->files, &m->has_files);
    store_att_list_free(rows, n);
    return 0;
}

int attach_list(struct store *st, const uint8_t *mkey, const struct memo *m,
                struct attach_info **out, size_t *n)
{
    struct store_attachment *rows = NULL;
    struct attach_info *all = NULL;
    size_t k = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = rows_of(st, m, false, &rows, &k)) != 0)
        return rc;
    if (k > 0 && (all = mem_calloc(k, sizeof(*all))) == NULL)
        rc = ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = open_meta(mkey, m, &rows[i], &all[i], NULL);
    store_att_list_free(rows, k);
    if (rc != 0) {
        mem_free(all);
        return rc;
    }
    *out = all;
    *n = k;
    return 0;
}

int attach_files(struct store *st, const uint8_t *mkey, const struct memo *m,
                 struct memo_file **out, size_t *n, size_t *incomplete)
{
    struct attach_info *all = NULL;
    struct memo_file *files = NULL;
    size_t k = 0, open = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (incomplete != NULL)
        *incomplete = 0;
    if ((rc = attach_list(st, mkey, m, &all, &k)) != 0)
        return rc;
    if (k > 0 && (files = mem_calloc(k, sizeof(*files))) == NULL) {
        mem_free(all);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < k; i++) {
        files[i] = all[i].file;
        open += !all[i].complete;
    }
    mem_free(all);
    *out = files;
    *n = k;
    if (incomplete != NULL)
        *incomplete = open;
    return 0;
}

int attach_get(struct store *st, const uint8_t *mkey, const struct memo *m, const char *id,
               struct attach_info *out)
{
    struct store_attachment a;
    int rc;

    memset(out, 0, sizeof(*out));
    if (id == NULL || strlen(id) != STORE_ATT_ID_LEN)
        return ERR_NOT_FOUND;
    if ((rc = store_att_get(st, m->id, id, &a)) != 0)
        return rc;
    rc = open_meta(mkey, m, &a, out, NULL);
    store_att_release(&a);
    return rc;
}

/* The draft's key and state: what every change needs. */
static int may_edit(struct wf_ctx *c, const struct memo *m)
{
    int rc;

    if ((rc = workflow_allowed(c, m, MEMO_EDIT)) != 0)
        return rc;
    if (c->mkey == NULL) {
        err_set(c->err, c->errlen, "this needs the memo's key");
        return ERR_FORBIDDEN;
    }
    return 0;
}

/* In the caller's transaction: @m is still a draft (a finalize may have come first). */
static int still_draft(struct wf_ctx *c, const struct memo *m)
{
    struct memo now;
    int rc = store_memo_get(c->st, m->public_id, &now);

    if (rc != 0)
        return rc;
    if (now.state != MEMO_DRAFT) {
        err_set(c->err, c->errlen, "the memo is no longer a draft");
        rc = ERR_STATE;
    }
    store_memo_release(&now);
    return rc;
}

/* Seal the stream's @state as it stands after @received bytes into @a->stream. */
static int seal_state(struct wf_ctx *c, const struct memo *m, struct store_attachment *a,
                      const uint8_t state[STREAM_STATE_LEN])
{
    struct content_place at = state_place(a->public_id, a->received);

    mem_free(a->stream);
    a->stream = NULL;
    a->stream_len = 0;
    return content_seal(c->mkey, m->public_id, &at, 0, state, STREAM_STATE_LEN, &a->stream,
                        &a->stream_len);
}

/* What begin() adds in the memo's transaction. */
struct adding {
    struct store_attachment *a;
    const uint8_t *chunk; /* an empty file's one message, or NULL */
    size_t chunk_len;
};

static int add_row(struct wf_ctx *c, struct memo *m, void *arg)
{
    struct adding *ad = arg;
    int rc = store_att_add(c->st, ad->a);

    if (rc == 0 && ad->chunk != NULL)
        rc = store_chunk_put(c->st, ad->a->id, 0, ad->chunk, ad->chunk_len);
    if (rc == ERR_EXISTS)
        rc = ERR_CONFLICT;
    return rc;
}

int attach_begin(struct wf_ctx *c, struct memo *m, const struct attach_limits *lim,
                 const char *name, const char *type, int64_t size,
                 const uint8_t sha256[HASH_SHA256_LEN], struct attach_info *out)
{
    struct attach_info *all = NULL;
    struct store_attachment a;
    struct adding ad = {.a = &a};
    struct content_place at;
    uint8_t raw[STORE_ATT_ID_LEN / 2], header[STREAM_HEADER_LEN], state[STREAM_STATE_LEN];
    uint8_t meta[META_MAX], empty_ct[STREAM_ABYTES], empty_sha[HASH_SHA256_LEN];
    uint8_t fkey[STREAM_KEY_LEN];
    size_t k = 0, mlen, tl, nl;
    int64_t total = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&a, 0, sizeof(a));
    if ((rc = may_edit(c, m)) != 0)
        return rc;
    nl = name ? strlen(name) : 0;
    if (memo_file_name_check(name, nl) != 0) {
        err_set(c->err, c->errlen,
                "name: 1 to %d bytes of text, no control characters, no / or \\, no direction "
                "overrides, no spaces first or last, not . or ..",
                MEMO_FILE_NAME_MAX);
        return ERR_INVALID;
    }
    if (type == NULL || memo_file_type_check(type) != 0) {
        err_set(c->err, c->errlen,
                "type: a media type such as application/pdf, lowercase, "
                "without parameters");
        return ERR_INVALID;
    }
    if (size < 0 || size > lim->file_max) {
        err_set(c->err, c->errlen, "size: a file is at most %lld bytes here",
                (long long)lim->file_max);
        return size < 0 ? ERR_INVALID : ERR_TOO_LARGE;
    }
    if ((rc = attach_list(c->st, c->mkey, m, &all, &k)) != 0)
        return rc;
    for (size_t i = 0; i < k; i++) {
        total += (int64_t)all[i].file.size;
        if (strcmp(all[i].file.name, name) == 0)
            rc = ERR_EXISTS;
    }
    mem_free(all);
    if (rc == ERR_EXISTS) {
        err_set(c->err, c->errlen, "name: the memo has a file of that name already");
        return ERR_INVALID;
    }
    if (k >= MEMO_FILES_MAX) {
        err_set(c->err, c->errlen, "a memo has at most %d files", MEMO_FILES_MAX);
        return ERR_INVALID;
    }
    if (total + size > lim->memo_max) {
        err_set(c->err, c->errlen, "size: a memo's files are at most %lld bytes together here",
                (long long)lim->memo_max);
        return ERR_TOO_LARGE;
    }

    random_bytes(raw, sizeof(raw));
    str_hex(a.public_id, sizeof(a.public_id), raw, sizeof(raw));
    a.memo_id = m->id;
    a.size = size;
    a.created_at = c->now;
    file_key(c->mkey, m->public_id, a.public_id, fkey);
    stream_push_init(fkey, header, state);
    wipe(fkey, sizeof(fkey));
    tl = strlen(type);
    memcpy(meta, header, STREAM_HEADER_LEN);
    memcpy(meta + STREAM_HEADER_LEN, sha256, HASH_SHA256_LEN);
    put_u64(meta + STREAM_HEADER_LEN + HASH_SHA256_LEN, (uint64_t)size);
    memcpy(meta + META_FIXED, type, tl);
    meta[META_FIXED + tl] = '\n';
    memcpy(meta + META_FIXED + tl + 1, name, nl);
    mlen = META_FIXED + tl + 1 + nl;
    at = meta_place(a.public_id);
    if ((rc = content_seal(c->mkey, m->public_id, &at, 0, meta, mlen, &a.meta, &a.meta_len)) != 0)
        goto out;
    if (size == 0) {
        /* an empty file: one empty final message, checked now */
        char adt[96];
        size_t adlen = chunk_ad(adt, sizeof(adt), m->public_id, a.public_id);
        hash_sha256(empty_sha, "", 0);
        if (!hash_equal(empty_sha, sha256, HASH_SHA256_LEN)) {
            err_set(c->err, c->errlen, "sha256: that is not the SHA-256 of an empty file");
            rc = ERR_INVALID;
            goto out;
        }
        if ((rc = stream_push(state, NULL, 0, adt, adlen, true, empty_ct)) != 0)
            goto out;
        ad.chunk = empty_ct;
        ad.chunk_len = sizeof(empty_ct);
        a.chunks = 1;
        a.complete = true;
    } else if ((rc = seal_state(c, m, &a, state)) != 0) {
        goto out;
    }
    if ((rc = list_set(c->st, m, -1, &a)) != 0 ||
        (rc = workflow_save_with(c, m, "attached", name, add_row, &ad)) != 0)
        goto out;
    rc = open_meta(c->mkey, m, &a, out, NULL);
out:
    wipe(state, sizeof(state));
    wipe(meta, sizeof(meta));
    store_att_release(&a);
    return rc;
}

/*
 * Read file @a of @m from its first chunk, checking every message, the final tag, the length
 * and the SHA-256 @want. 0 or ERR_INTEGRITY; ERR_NOMEM, ERR_DB.
 */
static int check_whole(struct store *st, const uint8_t *mkey, const struct memo *m,
                       const struct store_attachment *a, const uint8_t header[STREAM_HEADER_LEN],
                       const uint8_t want[HASH_SHA256_LEN])
{
    uint8_t state[STREAM_STATE_LEN], got[HASH_SHA256_LEN], *ct = NULL, *pt;
    struct sha256_ctx sha;
    char ad[96];
    size_t adlen = chunk_ad(ad, sizeof(ad), m->public_id, a->public_id), len = 0;
    uint64_t total = 0;
    bool final = false;
    int rc;

    if ((pt = mem_alloc(ATTACH_CHUNK)) == NULL)
        return ERR_NOMEM;
    sha256_init(&sha);
    {
        uint8_t fkey[STREAM_KEY_LEN];
        file_key(mkey, m->public_id, a->public_id, fkey);
        if ((rc = stream_pull_init(fkey, header, state)) != 0)
            rc = ERR_INTEGRITY;
        wipe(fkey, sizeof(fkey));
    }
    for (int64_t seq = 0; rc == 0 && seq < a->chunks; seq++) {
        if ((rc = store_chunk_get(st, a->id, seq, &ct, &len)) != 0) {
            if (rc == ERR_NOT_FOUND)
                rc = ERR_INTEGRITY;
            break;
        }
        if (len < STREAM_ABYTES || len - STREAM_ABYTES > ATTACH_CHUNK || final ||
            stream_pull(state, ct, len, ad, adlen, pt, &final) != 0)
            rc = ERR_INTEGRITY;
        else {
            sha256_update(&sha, pt, len - STREAM_ABYTES);
            total += len - STREAM_ABYTES;
        }
        mem_free(ct);
        ct = NULL;
    }
    sha256_final(&sha, got);
    if (rc == 0 && (!final || total != (uint64_t)a->size))
        rc = ERR_INTEGRITY;
    if (rc == 0 && !hash_equal(got, want, HASH_SHA256_LEN))
        rc = ERR_INVALID; /* whole and as stored, but not the file declared */
    wipe(pt, ATTACH_CHUNK);
    mem_free(pt);
    wipe(state, sizeof(state));
    return rc;
}

/* What part() writes in one transaction. */
struct writing {
    struct store_attachment *a;
    int64_t was;
    const uint8_t *data;
    size_t len;
    uint8_t *state;
    const char *ad;
    size_t adlen;
};

static int write_part(struct wf_ctx *c, const struct memo *m, struct writing *w)
{
    uint8_t *ct = mem_alloc(ATTACH_CHUNK + STREAM_ABYTES);
    size_t at = 0;
    int rc = ct ? 0 : ERR_NOMEM;

    while (rc == 0 && at < w->len) {
        size_t n = w->len - at < ATTACH_CHUNK ? w->len - at : ATTACH_CHUNK;
        bool final = w->a->received + (int64_t)n == w->a->size;
        if ((rc = stream_push(w->state, w->data + at, n, w->ad, w->adlen, final, ct)) != 0 ||
            (rc = store_chunk_put(c->st, w->a->id, w->a->chunks, ct, n + STREAM_ABYTES)) != 0)
            break;
        w->a->chunks++;
        w->a->received += (int64_t)n;
        at += n;
    }
    if (ct != NULL) {
        wipe(ct, ATTACH_CHUNK + STREAM_ABYTES);
        mem_free(ct);
    }
    if (rc == ERR_EXISTS)
        rc = ERR_CONFLICT; /* another request wrote these chunks first */
    if (rc == 0) {
        if (w->a->received == w->a->size) {
            w->a->complete = true;
            mem_free(w->a->stream);
            w->a->stream = NULL;
            w->a->stream_len = 0;
        } else {
            rc = seal_state(c, m, w->a, w->state);
        }
    }
    return rc == 0 ? store_att_update(c->st, w->a, w->was) : rc;
}

int attach_part(struct wf_ctx *c, struct memo *m, const char *id, int64_t offset,
                const uint8_t *data, size_t len, struct attach_info *out)
{
    struct store_attachment a;
    struct content_place at;
    struct writing w = {.a = &a, .data = data, .len = len};
    uint8_t header[STREAM_HEADER_LEN], state[STREAM_STATE_LEN];
    char ad[96], *st_text = NULL;
    size_t st_len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&a, 0, sizeof(a));
    if ((rc = may_edit(c, m)) != 0)
        return rc;
    if (id == NULL || strlen(id) != STORE_ATT_ID_LEN)
        return ERR_NOT_FOUND;
    if ((rc = store_begin(c->st)) != 0)
        return rc;
    /* the memo as it stands in this transaction: still a draft? */
    if ((rc = still_draft(c, m)) != 0 || (rc = store_att_get(c->st, m->id, id, &a)) != 0 ||
        (rc = open_meta(c->mkey, m, &a, out, header)) != 0)
        goto fail;
    if (a.complete) {
        err_set(c->err, c->errlen, "the file is complete");
        rc = ERR_STATE;
        goto fail;
    }
    if (offset != a.received) {
        err_set(c->err, c->errlen, "the file stands at byte %lld: send the part that starts there",
                (long long)a.received);
        rc = ERR_CONFLICT;
        goto fail;
    }
    if (len == 0 || (int64_t)len > a.size - a.received ||
        (a.received + (int64_t)len < a.size && len % ATTACH_CHUNK != 0)) {
        err_set(c->err, c->errlen,
                "body: a part is 1 to %lld bytes, and a whole number of %d-byte chunks unless "
                "it is the last",
                (long long)(a.size - a.received), ATTACH_CHUNK);
        rc = ERR_INVALID;
        goto fail;
    }
    at = state_place(a.public_id, a.received);
    rc = content_open(c->mkey, m->public_id, &at, a.stream, a.stream_len, &st_text, &st_len, NULL);
    if (rc != 0 || st_text == NULL || st_len != STREAM_STATE_LEN) {
        log_error("integrity: the upload state of a file of memo %s does not open: it was "
                  "changed outside Dissent",
                  m->public_id);
        rc = rc == ERR_NOMEM ? rc : ERR_INTEGRITY;
        goto fail;
    }
    memcpy(state, st_text, STREAM_STATE_LEN);
    w.was = a.received;
    w.state = state;
    w.ad = ad;
    w.adlen = chunk_ad(ad, sizeof(ad), m->public_id, a.public_id);
    if ((rc = write_part(c, m, &w)) != 0)
        goto fail;
    if (a.complete) {
        rc = check_whole(c->st, c->mkey, m, &a, header, out->file.sha256);
        if (rc == ERR_INVALID) {
            /* the bytes are not the file declared: none of them is kept, and the file goes as
             * any removed one does (the timeline says so, the memo's version moves on) */
            store_rollback(c->st);
            if (attach_delete(c, m, id) != 0) {
                log_warn("a file of memo %s that failed its check could not be removed",
                         m->public_id);
                err_set(c->err, c->errlen,
                        "sha256: the file's bytes do not have the SHA-256 declared; remove it "
                        "and add it again");
            } else {
                err_set(c->err, c->errlen,
                        "sha256: the file's bytes do not have the SHA-256 declared: it was "
                        "removed; add it again");
            }
            rc = ERR_INVALID;
            goto out;
        }
        if (rc != 0)
            goto fail;
    }
    if ((rc = store_commit(c->st)) != 0)
        goto out;
    out->received = a.received;
    out->complete = a.complete;
    goto out;
fail:
    store_rollback(c->st);
out:
    if (rc == ERR_CONFLICT && out->id[0] != '\0')
        out->received = a.received;
    if (st_text != NULL) {
        wipe(st_text, st_len);
        mem_free(st_text);
    }
    wipe(state, sizeof(state));
    store_att_release(&a);
    return rc;
}

static int drop_row(struct wf_ctx *c, struct memo *m, void *arg)
{
    return store_att_delete(c->st, *(int64_t *)arg);
}

int attach_delete(struct wf_ctx *c, struct memo *m, const char *id)
{
    struct attach_info info;
    struct store_attachment a;
    int rc;

    if ((rc = may_edit(c, m)) != 0)
        return rc;
    if (id == NULL || strlen(id) != STORE_ATT_ID_LEN)
        return ERR_NOT_FOUND;
    if ((rc = store_att_get(c->st, m->id, id, &a)) != 0)
        return rc;
    if ((rc = open_meta(c->mkey, m, &a, &info, NULL)) == 0 &&
        (rc = list_set(c->st, m, (ptrdiff_t)a.id, NULL)) == 0)
        rc = workflow_save_with(c, m, "detached", info.file.name, drop_row, &a.id);
    store_att_release(&a);
    return rc;
}

int attach_reader_open(struct store *st, const uint8_t *mkey, const struct memo *m, const char *id,
                       struct attach_reader *r, struct attach_info *info)
{
    struct store_attachment a;
    struct attach_info mine;
    uint8_t header[STREAM_HEADER_LEN];
    int rc;

    memset(r, 0, sizeof(*r));
    if (info == NULL)
        info = &mine;
    if (id == NULL || strlen(id) != STORE_ATT_ID_LEN)
        return ERR_NOT_FOUND;
    if ((rc = store_att_get(st, m->id, id, &a)) != 0)
        return rc;
    {
        /* a file is read only when its memo's list vouches for it */
        struct store_attachment *rows = NULL;
        size_t n = 0;
        rc = rows_of(st, m, false, &rows, &n);
        store_att_list_free(rows, n);
        if (rc != 0)
            goto out;
    }
    if ((rc = open_meta(mkey, m, &a, info, header)) != 0)
        goto out;
    if (!a.complete) {
        rc = ERR_STATE;
        goto out;
    }
    r->att_id = a.id;
    r->chunks = a.chunks;
    r->size = (uint64_t)a.size;
    memcpy(r->want, info->file.sha256, sizeof(r->want));
    r->adlen = chunk_ad(r->ad, sizeof(r->ad), m->public_id, a.public_id);
    sha256_init(&r->sha);
    {
        uint8_t fkey[STREAM_KEY_LEN];
        file_key(mkey, m->public_id, a.public_id, fkey);
        if (stream_pull_init(fkey, header, r->state) != 0)
            rc = ERR_INTEGRITY;
        wipe(fkey, sizeof(fkey));
    }
out:
    store_att_release(&a);
    if (rc != 0)
        attach_reader_close(r);
    return rc;
}

int attach_reader_next(struct store *st, struct attach_reader *r, uint8_t *buf, size_t cap,
                       size_t *n)
{
    uint8_t *ct = NULL, got[HASH_SHA256_LEN];
    size_t len = 0;
    bool final = false;
    int rc;

    *n = 0;
    if (r->ended)
        return 0;
    if (cap < ATTACH_CHUNK || r->seq >= r->chunks)
        return ERR_INTEGRITY;
    if ((rc = store_chunk_get(st, r->att_id, r->seq, &ct, &len)) == ERR_NOT_FOUND) {
        /* the draft's file removed, or the memo shredded, while it was read (or a chunk deleted
         * outside Dissent): the download stops short */
        log_warn("a file's chunk is gone while it was read: the download stops short");
        return ERR_NOT_FOUND;
    }
    if (rc != 0)
        return rc;
    if (len < STREAM_ABYTES || len - STREAM_ABYTES > ATTACH_CHUNK ||
        stream_pull(r->state, ct, len, r->ad, r->adlen, buf, &final) != 0)
        rc = ERR_INTEGRITY;
    mem_free(ct);
    if (rc != 0)
        goto bad;
    len -= STREAM_ABYTES;
    r->seq++;
    r->done += len;
    sha256_update(&r->sha, buf, len);
    if (final != (r->seq == r->chunks) || r->done > r->size)
        goto bad;
    if (final) {
        /* the last bytes go out only once the whole file is the one declared */
        sha256_final(&r->sha, got);
        if (r->done != r->size || !hash_equal(got, r->want, sizeof(got)))
            goto bad;
        r->ended = true;
    }
    *n = len;
    return 0;
bad:
    wipe(buf, ATTACH_CHUNK);
    log_error("integrity: a file's stored bytes do not open as Dissent sealed them, or are not "
              "the file declared: they were changed outside Dissent");
    return ERR_INTEGRITY;
}

void attach_reader_close(struct attach_reader *r)
{
    wipe(r, sizeof(*r));
}
