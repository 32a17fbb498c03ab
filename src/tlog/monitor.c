/*
 * monitor.c - the audit of a tlog-tiles log (tlog/monitor.h), over the fetcher it is given.
 */
#include "tlog/monitor.h"

#include "crypto/hash.h"
#include "tlog/merkle.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MONITOR_READER_CACHE 16 /* tiles the tile reader keeps expanded */

/* One stored tile of the audit cache. */
struct tile_slot {
    uint8_t *data; /* width * 32 bytes, malloc'd; NULL when dropped or never fetched */
    size_t len;    /* bytes of data */
};

/*
 * Tiles fetched during the audit, by level then index. Every tile the root and consistency
 * computations read comes from here: once @sealed, a tile not kept is an error rather than a new
 * fetch, so no hash is ever used that the audit did not check.
 */
struct tile_cache {
    const struct tlog_fetcher *f;                     /* where tiles come from */
    char *err;                                        /* failures (TLOG_MONITOR_ERR_MAX) */
    struct tile_slot *slots[TLOG_TILE_LEVEL_MAX + 1]; /* per level, indexed by tile index */
    size_t nslots[TLOG_TILE_LEVEL_MAX + 1];           /* entries of slots[level] in use */
    size_t cap[TLOG_TILE_LEVEL_MAX + 1];              /* entries allocated */
    bool sealed;                                      /* no more fetching */
};

/*
 * The tile (@level, @index) of width @width from the cache, fetching it (exactly @width hashes)
 * when not sealed and not held. *@data is a view valid while the cache lives.
 */
static int cache_get(struct tile_cache *c, int level, uint64_t index, unsigned width,
                     const uint8_t **data, size_t *len)
{
    char rel[TLOG_TILE_PATH_MAX];
    struct tlog_tile t = {level, index, width};
    struct tile_slot *s;
    uint8_t *got = NULL;
    size_t n = 0;
    int rc;

    if (level < 0 || level > TLOG_TILE_LEVEL_MAX || width == 0 || width > TLOG_TILE_WIDTH)
        return ERR_INVALID;
    if (index < c->nslots[level] && c->slots[level][index].data != NULL &&
        c->slots[level][index].len >= (size_t)width * HASH_SHA256_LEN) {
        *data = c->slots[level][index].data;
        *len = c->slots[level][index].len;
        return 0;
    }
    rc = tlog_tile_path_format(&t, rel, sizeof(rel));
    if (rc != 0)
        return rc;
    if (c->sealed || index > c->nslots[level]) {
        /* the audit fetches in order and keeps what the root needs: a bug if reached */
        err_set(c->err, TLOG_MONITOR_ERR_MAX, "internal error: %s was not audited", rel);
        return ERR_INTERNAL;
    }
    if (index == c->nslots[level] && c->nslots[level] == c->cap[level]) {
        size_t want = c->cap[level] ? c->cap[level] * 2 : 64;
        struct tile_slot *grown = mem_realloc(c->slots[level], want * sizeof(*grown));

        if (grown == NULL)
            return ERR_NOMEM;
        c->slots[level] = grown;
        c->cap[level] = want;
    }
    rc = c->f->get(c->f->ctx, rel, (size_t)width * HASH_SHA256_LEN, &got, &n, c->err);
    if (rc == 0 && n != (size_t)width * HASH_SHA256_LEN) {
        err_set(c->err, TLOG_MONITOR_ERR_MAX, "tile mismatch: %s has %zu bytes, not %u", rel, n,
                width * HASH_SHA256_LEN);
        rc = ERR_INVALID;
    }
    if (rc != 0) {
        mem_free(got);
        return rc;
    }
    if (index == c->nslots[level])
        c->slots[level][c->nslots[level]++] = (struct tile_slot){NULL, 0};
    s = &c->slots[level][index];
    mem_free(s->data);
    s->data = got;
    s->len = n;
    *data = got;
    *len = n;
    return 0;
}

/* Forget tile (@level, @index): the audit has hashed it and nothing will read it again. */
static void cache_drop(struct tile_cache *c, int level, uint64_t index)
{
    if (index < c->nslots[level]) {
        mem_free(c->slots[level][index].data);
        c->slots[level][index] = (struct tile_slot){NULL, 0};
    }
}

static void cache_release(struct tile_cache *c)
{
    for (int level = 0; level <= TLOG_TILE_LEVEL_MAX; level++) {
        for (size_t i = 0; i < c->nslots[level]; i++)
            mem_free(c->slots[level][i].data);
        mem_free(c->slots[level]);
    }
    memset(c, 0, sizeof(*c));
}

/* The tile source over the cache (tile.h): Merkle tiles only; hint rows are never served. */
static int cache_source_read(void *ctx, const struct tlog_tile *tile, uint8_t **data, size_t *len)
{
    struct tile_cache *c = ctx;
    const uint8_t *view;
    size_t n;
    int rc;

    *data = NULL;
    *len = 0;
    if (tile->level < 0 || tile->level > TLOG_TILE_LEVEL_MAX)
        return ERR_NOT_FOUND;
    rc = cache_get(c, tile->level, tile->index, tile->width, &view, &n);
    if (rc != 0)
        return rc;
    *data = mem_alloc(n);
    if (*data == NULL)
        return ERR_NOMEM;
    memcpy(*data, view, n);
    *len = n;
    return 0;
}

/* Check the entry bundle of level 0 tile @index (width @width) against that tile. */
static int bundle_audit(struct tile_cache *c, uint64_t index, unsigned width, const uint8_t *tile,
                        size_t tlen, uint64_t *bundles)
{
    struct tlog_tile t = {TLOG_TILE_ENTRIES, index, width};
    char rel[TLOG_TILE_PATH_MAX];
    uint8_t *bundle = NULL;
    size_t blen = 0;
    int rc;

    rc = tlog_tile_path_format(&t, rel, sizeof(rel));
    if (rc == 0)
        rc =
            c->f->get(c->f->ctx, rel, (size_t)width * (2 + TLOG_ENTRY_MAX), &bundle, &blen, c->err);
    if (rc != 0)
        goto out;
    if (tlog_bundle_verify(bundle, blen, tile, tlen) != 0) {
        err_set(c->err, TLOG_MONITOR_ERR_MAX,
                "bundle mismatch: %s does not match its level 0 tile (malformed, another width, "
                "or an entry whose hash is not the tile's)",
                rel);
        rc = ERR_CRYPTO;
        goto out;
    }
    if (c->f->entry != NULL) {
        struct tlog_view *v = mem_calloc(TLOG_TILE_WIDTH, sizeof(*v));
        size_t n = 0;

        if (v == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        rc = tlog_bundle_split(bundle, blen, v, &n);
        for (size_t k = 0; rc == 0 && k < n; k++)
            rc = c->f->entry(c->f->ctx, index * TLOG_TILE_WIDTH + k, v[k].data, v[k].len);
        mem_free(v);
        if (rc != 0)
            goto out;
    }
    (*bundles)++;
out:
    mem_free(bundle);
    return rc;
}

/* Make room for hash @i in the growable array *@arr of *@cap hashes. */
static int hashes_reserve(uint8_t (**arr)[HASH_SHA256_LEN], size_t *cap, uint64_t i)
{
    uint8_t(*grown)[HASH_SHA256_LEN];
    size_t want = *cap ? *cap : 64;

    if (i < *cap)
        return 0;
    while (want <= i)
        want *= 2;
    grown = mem_realloc(*arr, want * HASH_SHA256_LEN);
    if (grown == NULL)
        return ERR_NOMEM;
    *arr = grown;
    *cap = want;
    return 0;
}

/*
 * Audit every tile of the log of @size entries: each bundle against its level 0 tile, and each
 * tile of level L > 0 against the hashes of the full tiles of level L - 1 below it. Full level 0
 * tiles are dropped once hashed except tile @keep0 (the one the consistency check needs). The
 * hashes of full tiles are kept in arrays grown as tiles arrive, so a checkpoint claiming a huge
 * size costs memory only for what the server actually sends.
 */
static int tiles_audit(struct tile_cache *c, uint64_t size, uint64_t keep0, uint64_t *tiles,
                       uint64_t *bundles)
{
    uint8_t(*below)[HASH_SHA256_LEN] = NULL, (*here)[HASH_SHA256_LEN] = NULL;
    size_t here_cap = 0;
    int rc = 0;

    for (int level = 0; level <= TLOG_TILE_LEVEL_MAX; level++) {
        uint64_t nodes = size >> (TLOG_TILE_HEIGHT * level); /* complete nodes on this level */
        uint64_t ntiles = (nodes + TLOG_TILE_WIDTH - 1) / TLOG_TILE_WIDTH;

        if (level > 0 && nodes == 0)
            break;
        for (uint64_t i = 0; i < ntiles; i++) {
            unsigned width = tlog_tile_width(level, i, size);
            const uint8_t *data;
            size_t len;

            rc = cache_get(c, level, i, width, &data, &len);
            if (rc != 0)
                goto out;
            (*tiles)++;
            if (level == 0) {
                rc = bundle_audit(c, i, width, data, len, bundles);
                if (rc != 0)
                    goto out;
            } else if (memcmp(data, below[i * TLOG_TILE_WIDTH], len) != 0) {
                struct tlog_tile t = {level, i, width};
                char rel[TLOG_TILE_PATH_MAX];

                tlog_tile_path_format(&t, rel, sizeof(rel));
                err_set(c->err, TLOG_MONITOR_ERR_MAX,
                        "tile mismatch: %s does not hold the hashes of the level %d tiles "
                        "below it",
                        rel, level - 1);
                rc = ERR_CRYPTO;
                goto out;
            }
            if (width == TLOG_TILE_WIDTH) {
                rc = hashes_reserve(&here, &here_cap, i);
                if (rc == 0)
                    rc = tlog_leaves_hash((const uint8_t(*)[HASH_SHA256_LEN])data, TLOG_TILE_WIDTH,
                                          here[i]);
                if (rc != 0)
                    goto out;
                if (level == 0 && i != keep0)
                    cache_drop(c, level, i);
            }
        }
        /* level + 1 has exactly as many hashes as this level has full tiles: all in here */
        mem_free(below);
        below = here;
        here = NULL;
        here_cap = 0;
    }
out:
    if (rc == ERR_NOMEM && c->err[0] == '\0')
        err_set(c->err, TLOG_MONITOR_ERR_MAX, "out of memory");
    mem_free(below);
    mem_free(here);
    return rc;
}

int tlog_monitor_audit(const struct tlog_fetcher *f, const struct note_vkey *key, const char *old,
                       size_t old_len, struct tlog_monitor_result *out, char *err)
{
    struct tile_cache cache = {.f = f, .err = err};
    struct tlog_tile_reader *reader = NULL;
    struct tlog_checkpoint cp = {0}, prev = {0};
    struct tlog_tile_source src = {cache_source_read, &cache};
    struct tlog_hash_reader hr;
    uint8_t *cptext = NULL, root[HASH_SHA256_LEN];
    char why[256] = "", b64[64];
    size_t cplen = 0;
    uint64_t tiles = 0, bundles = 0, keep0 = UINT64_MAX;
    int rc;

    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    if (old != NULL) {
        rc = tlog_checkpoint_open(old, old_len, NULL, key, &prev, why, sizeof(why));
        if (rc != 0) {
            err_set(err, TLOG_MONITOR_ERR_MAX,
                    "bad state: the saved checkpoint is not one signed by the log key (%s)",
                    why[0] ? why : err_str(rc));
            goto out;
        }
        if (prev.size % TLOG_TILE_WIDTH != 0)
            keep0 = prev.size / TLOG_TILE_WIDTH;
    }
    rc = f->get(f->ctx, "checkpoint", TLOG_CHECKPOINT_MAX, &cptext, &cplen, err);
    if (rc != 0)
        goto out;
    rc = tlog_checkpoint_open((const char *)cptext, cplen, NULL, key, &cp, why, sizeof(why));
    if (rc != 0) {
        if (rc == ERR_NOT_FOUND || rc == ERR_CRYPTO)
            err_set(err, TLOG_MONITOR_ERR_MAX,
                    "bad signature: the checkpoint does not verify with %s: %s", key->name,
                    rc == ERR_NOT_FOUND ? "no signature by this key" : "the signature is invalid");
        else
            err_set(err, TLOG_MONITOR_ERR_MAX, "bad checkpoint: %s", why[0] ? why : err_str(rc));
        goto out;
    }
    if (cp.size > TLOG_MONITOR_SIZE_MAX) {
        err_set(err, TLOG_MONITOR_ERR_MAX,
                "log too large: the checkpoint claims %llu entries, at most %llu are audited",
                (unsigned long long)cp.size, (unsigned long long)TLOG_MONITOR_SIZE_MAX);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (old != NULL && cp.size < prev.size) {
        err_set(err, TLOG_MONITOR_ERR_MAX,
                "inconsistent with the saved state: the log has %llu entries, the saved "
                "checkpoint %llu",
                (unsigned long long)cp.size, (unsigned long long)prev.size);
        rc = ERR_CRYPTO;
        goto out;
    }
    rc = tiles_audit(&cache, cp.size, keep0, &tiles, &bundles);
    if (rc != 0)
        goto out;
    cache.sealed = true;
    rc = tlog_tile_reader_new(&src, MONITOR_READER_CACHE, &reader);
    if (rc != 0)
        goto out;
    hr = tlog_tile_reader_hashes(reader);
    rc = tlog_tree_hash(cp.size, &hr, root);
    if (rc != 0)
        goto out;
    if (!hash_equal(root, cp.root, HASH_SHA256_LEN)) {
        b64_encode(b64, sizeof(b64), root, HASH_SHA256_LEN, false);
        err_set(err, TLOG_MONITOR_ERR_MAX,
                "root mismatch: the tiles give root %s for %llu entries, not the checkpoint's", b64,
                (unsigned long long)cp.size);
        rc = ERR_CRYPTO;
        goto out;
    }
    if (old != NULL) {
        rc = tlog_tree_hash(prev.size, &hr, root);
        if (rc != 0)
            goto out;
        if (!hash_equal(root, prev.root, HASH_SHA256_LEN)) {
            err_set(err, TLOG_MONITOR_ERR_MAX,
                    "inconsistent with the saved state: the first %llu entries of the log have "
                    "another root than the saved checkpoint",
                    (unsigned long long)prev.size);
            rc = ERR_CRYPTO;
            goto out;
        }
    }
    out->text = (char *)cptext;
    out->len = cplen;
    out->cp = cp;
    out->tiles = tiles;
    out->bundles = bundles;
    cptext = NULL;
out:
    tlog_tile_reader_free(reader);
    cache_release(&cache);
    mem_free(cptext);
    return rc;
}

void tlog_monitor_result_release(struct tlog_monitor_result *r)
{
    mem_free(r->text);
    memset(r, 0, sizeof(*r));
}
