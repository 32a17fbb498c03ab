/*
 * tile.c - tlog-tiles paths, bundles, the stateless appender and the tile-backed hash reader.
 */
#include "tlog/tile.h"

#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* Hashes at tree level 8 * @level in a tree of @size leaves (levels past 7 hold none). */
static uint64_t level_count(int level, uint64_t size)
{
    unsigned shift;

    if (level < 0)
        level = 0;
    shift = (unsigned)level * TLOG_TILE_HEIGHT;
    return shift >= 64 ? 0 : size >> shift;
}

unsigned tlog_tile_width(int level, uint64_t index, uint64_t size)
{
    uint64_t have;

    if (level >= TLOG_TILE_HINTS && level <= TLOG_TILE_HINTS + TLOG_TILE_LEVEL_MAX)
        return tlog_tile_width(level - TLOG_TILE_HINTS, index, size) / TLOG_HINT_SPAN;
    if (level < TLOG_TILE_ENTRIES || level > TLOG_TILE_LEVEL_MAX)
        return 0;
    have = level_count(level, size);
    if (index > (have >> 8))
        return 0;
    have -= index << 8;
    return have >= TLOG_TILE_WIDTH ? TLOG_TILE_WIDTH : (unsigned)have;
}

int tlog_tile_for_entry(uint64_t entry, uint64_t size, struct tlog_tile *out)
{
    memset(out, 0, sizeof(*out));
    if (entry >= size)
        return ERR_INVALID;
    out->level = TLOG_TILE_ENTRIES;
    out->index = entry >> 8;
    out->width = tlog_tile_width(TLOG_TILE_ENTRIES, out->index, size);
    return 0;
}

int tlog_tile_path_format(const struct tlog_tile *t, char *out, size_t outlen)
{
    char buf[TLOG_TILE_PATH_MAX], *p = buf, *end = buf + sizeof(buf);
    unsigned groups[8];
    size_t ngroups = 0;
    uint64_t n = t->index;
    int w;

    if (outlen > 0)
        out[0] = '\0';
    if (t->level < TLOG_TILE_ENTRIES || t->level > TLOG_TILE_LEVEL_MAX || t->width == 0 ||
        t->width > TLOG_TILE_WIDTH)
        return ERR_INVALID;
    do {
        groups[ngroups++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n > 0);
    if (t->level == TLOG_TILE_ENTRIES)
        w = snprintf(p, (size_t)(end - p), "tile/entries/");
    else
        w = snprintf(p, (size_t)(end - p), "tile/%d/", t->level);
    p += w;
    while (ngroups > 1) {
        w = snprintf(p, (size_t)(end - p), "x%03u/", groups[--ngroups]);
        p += w;
    }
    w = snprintf(p, (size_t)(end - p), "%03u", groups[0]);
    p += w;
    if (t->width < TLOG_TILE_WIDTH) {
        w = snprintf(p, (size_t)(end - p), ".p/%u", t->width);
        p += w;
    }
    /* the worst case is 53 bytes: "tile/entries/" + 6 "xddd/" + "ddd" + ".p/255" + NUL */
    if ((size_t)(p - buf) + 1 > outlen)
        return ERR_TOO_LARGE;
    memcpy(out, buf, (size_t)(p - buf) + 1);
    return 0;
}

/* Parse the decimal digits at @s[0..@len) (1..3 of them) into *@v. */
static int digits(const char *s, size_t len, unsigned *v)
{
    *v = 0;
    if (len == 0 || len > 3)
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 0;
}

int tlog_tile_path_parse(const char *path, size_t len, struct tlog_tile *out)
{
    char canon[TLOG_TILE_PATH_MAX];
    struct tlog_tile t = {0};
    const char *p = path, *end = path + len, *slash;
    unsigned v;
    int rc = ERR_INVALID;

    memset(out, 0, sizeof(*out));
    if (len < 5 || len >= TLOG_TILE_PATH_MAX || memcmp(p, "tile/", 5) != 0)
        goto out;
    p += 5;
    slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL)
        goto out;
    if (slash - p == 7 && memcmp(p, "entries", 7) == 0) {
        t.level = TLOG_TILE_ENTRIES;
    } else {
        if (digits(p, (size_t)(slash - p), &v) != 0 || v > TLOG_TILE_LEVEL_MAX)
            goto out;
        t.level = (int)v;
    }
    p = slash + 1;
    /* "xddd/" groups, then the last "ddd" */
    for (;;) {
        if (p < end && *p == 'x') {
            if (end - p < 5 || p[4] != '/' || digits(p + 1, 3, &v) != 0)
                goto out;
            if (t.index > (UINT64_MAX - v) / 1000)
                goto out;
            t.index = t.index * 1000 + v;
            p += 5;
            continue;
        }
        if (end - p < 3 || digits(p, 3, &v) != 0 || t.index > (UINT64_MAX - v) / 1000)
            goto out;
        t.index = t.index * 1000 + v;
        p += 3;
        break;
    }
    t.width = TLOG_TILE_WIDTH;
    if (p < end) {
        if (end - p < 4 || memcmp(p, ".p/", 3) != 0 || digits(p + 3, (size_t)(end - p - 3), &v))
            goto out;
        if (v == 0 || v >= TLOG_TILE_WIDTH)
            goto out;
        t.width = v;
    }
    /* one encoding per tile: leading zeros anywhere make the round trip differ */
    if (tlog_tile_path_format(&t, canon, sizeof(canon)) != 0 || strlen(canon) != len ||
        memcmp(canon, path, len) != 0)
        goto out;
    *out = t;
    rc = 0;
out:
    return rc;
}

/* Length of the first @want entries of the bundle @data[0..@len) into *@plen. */
static int bundle_prefix(const uint8_t *data, size_t len, size_t want, size_t *plen)
{
    size_t off = 0;

    for (size_t i = 0; i < want; i++) {
        size_t n;

        if (len - off < 2)
            return ERR_INVALID;
        n = (size_t)data[off] << 8 | data[off + 1];
        if (len - off - 2 < n)
            return ERR_INVALID;
        off += 2 + n;
    }
    *plen = off;
    return 0;
}

int tlog_bundle_split(const uint8_t *data, size_t len, struct tlog_view *entries, size_t *count)
{
    size_t off = 0, n = 0;

    *count = 0;
    if (len > TLOG_BUNDLE_MAX)
        return ERR_INVALID;
    while (off < len) {
        size_t elen;

        if (n == TLOG_TILE_WIDTH || len - off < 2)
            return ERR_INVALID;
        elen = (size_t)data[off] << 8 | data[off + 1];
        if (len - off - 2 < elen)
            return ERR_INVALID;
        entries[n].data = data + off + 2;
        entries[n].len = elen;
        n++;
        off += 2 + elen;
    }
    if (n == 0)
        return ERR_INVALID;
    *count = n;
    return 0;
}

int tlog_bundle_verify(const uint8_t *bundle, size_t blen, const uint8_t *tile, size_t tlen)
{
    struct tlog_view *entries = NULL;
    size_t count = 0;
    uint8_t h[HASH_SHA256_LEN];
    int rc = 0;

    entries = mem_alloc(TLOG_TILE_WIDTH * sizeof(*entries));
    if (entries == NULL)
        return ERR_NOMEM;
    rc = tlog_bundle_split(bundle, blen, entries, &count);
    if (rc != 0)
        goto out;
    if (tlen != count * HASH_SHA256_LEN) {
        rc = ERR_INVALID;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        tlog_leaf_hash(h, entries[i].data, entries[i].len);
        if (memcmp(h, tile + i * HASH_SHA256_LEN, HASH_SHA256_LEN) != 0) {
            rc = ERR_CRYPTO;
            goto out;
        }
    }
out:
    mem_free(entries);
    return rc;
}

void tlog_update_release(struct tlog_update *up)
{
    if (up == NULL)
        return;
    for (size_t i = 0; i < up->count; i++)
        mem_free(up->tiles[i].data);
    mem_free(up->tiles);
    memset(up, 0, sizeof(*up));
}

/* Add a tile to @up, taking @data (freed on failure too). */
static int update_add(struct tlog_update *up, size_t *cap, int level, uint64_t index,
                      unsigned width, uint8_t *data, size_t len)
{
    if (up->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct tlog_tile_data *grown = mem_realloc(up->tiles, ncap * sizeof(*grown));

        if (grown == NULL) {
            mem_free(data);
            return ERR_NOMEM;
        }
        up->tiles = grown;
        *cap = ncap;
    }
    up->tiles[up->count].tile = (struct tlog_tile){level, index, width};
    up->tiles[up->count].data = data;
    up->tiles[up->count].len = len;
    up->count++;
    return 0;
}

/*
 * Read the right-edge tile (@level, @index) of @width hashes (entries) from @src into *@buf, a
 * malloc'd buffer with room for @room more bytes after them; *@len is its length. A stored tile
 * wider than @width means the log grew past the size the caller holds: ERR_CONFLICT, so that a
 * stale size can never overwrite entries.
 */
static int edge_read(const struct tlog_tile_source *src, int level, uint64_t index, unsigned width,
                     size_t room, uint8_t **buf, size_t *len)
{
    struct tlog_tile t = {level, index, width};
    uint8_t *data = NULL, *grown;
    size_t dlen = 0, plen = 0;
    int rc;

    *buf = NULL;
    *len = 0;
    rc = src->read(src->ctx, &t, &data, &dlen);
    if (rc != 0)
        goto out;
    if (level == TLOG_TILE_ENTRIES) {
        rc = dlen > TLOG_BUNDLE_MAX ? ERR_INVALID : bundle_prefix(data, dlen, width, &plen);
        if (rc == 0 && plen != dlen)
            rc = ERR_CONFLICT;
    } else {
        size_t max = level >= TLOG_TILE_HINTS ? TLOG_HINT_BYTES : TLOG_TILE_BYTES;

        plen = (size_t)width * HASH_SHA256_LEN;
        rc = (dlen % HASH_SHA256_LEN != 0 || dlen < plen || dlen > max) ? ERR_INVALID : 0;
        if (rc == 0 && dlen != plen)
            rc = ERR_CONFLICT;
    }
    if (rc != 0)
        goto out;
    grown = mem_realloc(data, plen + room);
    if (grown == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    *buf = grown;
    *len = plen;
    data = NULL;
out:
    mem_free(data);
    return rc;
}

/*
 * The hint row of the level @level tile @index (@tile: its first @width hashes), which held
 * @old_width hashes before this append: the stored hints for the old blocks, read from @src (or
 * recomputed from @tile when the store keeps none), then one per newly completed block. Adds
 * the row to @up when it grew, and then fills *@hints with all of them (room for 16); a full
 * tile always grows its row.
 */
static int hints_update(const struct tlog_tile_source *src, int level, uint64_t index,
                        const uint8_t *tile, unsigned old_width, unsigned width,
                        struct tlog_update *up, size_t *cap, uint8_t (*hints)[HASH_SHA256_LEN])
{
    const uint8_t(*h)[HASH_SHA256_LEN] = (const uint8_t(*)[HASH_SHA256_LEN])tile;
    unsigned have = old_width / TLOG_HINT_SPAN, want = width / TLOG_HINT_SPAN, from = 0;
    uint8_t *row = NULL;
    size_t len = 0;
    int rc = 0;

    /* most appends complete no block: nothing to read or write */
    if (want == have)
        return 0;
    if (have > 0) {
        rc = edge_read(src, TLOG_TILE_HINTS + level, index, have, TLOG_HINT_BYTES, &row, &len);
        if (rc == 0)
            memcpy(hints, row, len);
        else if (rc != ERR_NOT_FOUND)
            goto out;
        from = rc == 0 ? have : 0;
        rc = 0;
        mem_free(row);
        row = NULL;
    }
    for (unsigned j = from; j < want; j++) {
        rc = tlog_leaves_hash(h + j * TLOG_HINT_SPAN, TLOG_HINT_SPAN, hints[j]);
        if (rc != 0)
            goto out;
    }
    row = mem_alloc((size_t)want * HASH_SHA256_LEN);
    if (row == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(row, hints, (size_t)want * HASH_SHA256_LEN);
    rc = update_add(up, cap, TLOG_TILE_HINTS + level, index, want, row,
                    (size_t)want * HASH_SHA256_LEN);
    row = NULL;
out:
    mem_free(row);
    return rc;
}

/*
 * Append the @n hashes @hashes to tile level @level, which holds @have hashes. Completed full
 * tiles are hashed into *@up_hashes (malloc'd, *@nup of them) for the level above.
 */
static int level_append(int level, uint64_t have, const uint8_t (*hashes)[HASH_SHA256_LEN],
                        uint64_t n, const struct tlog_tile_source *src, struct tlog_update *up,
                        size_t *cap, uint8_t (**up_hashes)[HASH_SHA256_LEN], uint64_t *nup)
{
    uint8_t hints[TLOG_TILE_WIDTH / TLOG_HINT_SPAN][HASH_SHA256_LEN];
    uint8_t(*ups)[HASH_SHA256_LEN] = NULL;
    uint8_t *tile = NULL;
    uint64_t done = 0, count = 0;
    int rc = 0;

    *up_hashes = NULL;
    *nup = 0;
    /* each completed tile is one hash above: at most n / 256 + 1 of them */
    ups = mem_alloc((size_t)(n / TLOG_TILE_WIDTH + 1) * HASH_SHA256_LEN);
    if (ups == NULL)
        return ERR_NOMEM;
    while (done < n) {
        uint64_t index = (have + done) >> 8;
        unsigned width = (unsigned)((have + done) & 0xff), old_width = width, take;
        size_t len = 0;

        if (width > 0) {
            rc = edge_read(src, level, index, width,
                           TLOG_TILE_BYTES - (size_t)width * HASH_SHA256_LEN, &tile, &len);
            if (rc != 0)
                goto out;
        } else {
            tile = mem_alloc(TLOG_TILE_BYTES);
            if (tile == NULL) {
                rc = ERR_NOMEM;
                goto out;
            }
        }
        take = TLOG_TILE_WIDTH - width;
        if (take > n - done)
            take = (unsigned)(n - done);
        memcpy(tile + len, hashes[done], (size_t)take * HASH_SHA256_LEN);
        done += take;
        width += take;
        rc = hints_update(src, level, index, tile, old_width, width, up, cap, hints);
        if (rc != 0)
            goto out;
        if (width == TLOG_TILE_WIDTH) {
            /* the tile's root from its 16 hints: 15 hashes */
            rc = tlog_leaves_hash((const uint8_t(*)[HASH_SHA256_LEN])hints,
                                  TLOG_TILE_WIDTH / TLOG_HINT_SPAN, ups[count]);
            if (rc != 0)
                goto out;
            count++;
        }
        rc = update_add(up, cap, level, index, width, tile, (size_t)width * HASH_SHA256_LEN);
        tile = NULL;
        if (rc != 0)
            goto out;
    }
    *up_hashes = ups;
    *nup = count;
    ups = NULL;
out:
    mem_free(tile);
    mem_free(ups);
    return rc;
}

/* Append @entries[0..@n) to the bundles of a log of @have leaves. */
static int bundles_append(uint64_t have, const struct tlog_view *entries, size_t n,
                          const struct tlog_tile_source *src, struct tlog_update *up, size_t *cap)
{
    uint8_t *bundle = NULL;
    size_t done = 0;
    int rc = 0;

    while (done < n) {
        uint64_t index = (have + done) >> 8;
        unsigned width = (unsigned)((have + done) & 0xff), take;
        size_t len = 0, need = 0;

        take = TLOG_TILE_WIDTH - width;
        if (take > n - done)
            take = (unsigned)(n - done);
        for (size_t i = done; i < done + take; i++)
            need += 2 + entries[i].len;
        if (width > 0) {
            rc = edge_read(src, TLOG_TILE_ENTRIES, index, width, need, &bundle, &len);
        } else {
            bundle = mem_alloc(need);
            rc = bundle == NULL ? ERR_NOMEM : 0;
        }
        if (rc != 0)
            goto out;
        for (size_t i = done; i < done + take; i++) {
            bundle[len] = (uint8_t)(entries[i].len >> 8);
            bundle[len + 1] = (uint8_t)entries[i].len;
            if (entries[i].len > 0)
                memcpy(bundle + len + 2, entries[i].data, entries[i].len);
            len += 2 + entries[i].len;
        }
        done += take;
        width += take;
        rc = update_add(up, cap, TLOG_TILE_ENTRIES, index, width, bundle, len);
        bundle = NULL;
        if (rc != 0)
            goto out;
    }
out:
    mem_free(bundle);
    return rc;
}

int tlog_append(uint64_t size, const struct tlog_view *entries, size_t count,
                const struct tlog_tile_source *src, struct tlog_update *out)
{
    uint8_t(*hashes)[HASH_SHA256_LEN] = NULL, (*next)[HASH_SHA256_LEN] = NULL;
    uint64_t n = count, have = size, nnext = 0;
    size_t cap = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->old_size = size;
    out->new_size = size;
    if (size > TLOG_SIZE_MAX || count > TLOG_APPEND_MAX || count > TLOG_SIZE_MAX - size)
        return ERR_INVALID;
    for (size_t i = 0; i < count; i++) {
        if (entries[i].len > TLOG_ENTRY_MAX)
            return ERR_INVALID;
    }
    if (count == 0)
        return 0;
    rc = bundles_append(size, entries, count, src, out, &cap);
    if (rc != 0)
        goto out;
    hashes = mem_alloc(count * HASH_SHA256_LEN);
    if (hashes == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        tlog_leaf_hash(hashes[i], entries[i].data, entries[i].len);
    /* level by level: the full tiles completed at one level are the new hashes of the next */
    for (int level = 0; n > 0; level++) {
        rc = level_append(level, have, (const uint8_t(*)[HASH_SHA256_LEN])hashes, n, src, out, &cap,
                          &next, &nnext);
        if (rc != 0)
            goto out;
        mem_free(hashes);
        hashes = next;
        next = NULL;
        n = nnext;
        have >>= TLOG_TILE_HEIGHT;
    }
    out->new_size = size + count;
out:
    mem_free(hashes);
    if (rc != 0)
        tlog_update_release(out);
    return rc;
}

/* ---- the tile-backed hash reader ---- */

/*
 * A cached tile keeps its hashes (sub-level 0) and the interior nodes computed so far: node
 * (8L + k, ...) of the tile at sub-level k, at SUB_OFFSET(k). Sub-levels 1..3 are computed one
 * 16-hash block at a time (14 hashes), as proofs need them; sub-level 4 comes from the stored
 * hint row (or, without one, from every block); sub-levels 5..7 from sub-level 4 (15 hashes).
 */
#define SUB_OFFSET(k) (2 * TLOG_TILE_WIDTH - (2 * TLOG_TILE_WIDTH >> (k)))
#define EXPANDED_NODES (2 * TLOG_TILE_WIDTH - 1)
#define HINT_SUB 4 /* the sub-level hints hold: 16 = 2^4 hashes each */

struct cached_tile {
    int level;                         /* tile level, -1 for an empty slot */
    uint64_t index;                    /* tile index */
    unsigned width;                    /* hashes held */
    uint32_t blocks;                   /* bit b: sub-levels 1..3 of block b computed */
    unsigned upper;                    /* sub-levels 4..upper computed (upper < 4: none) */
    uint64_t used;                     /* LRU stamp */
    uint8_t (*nodes)[HASH_SHA256_LEN]; /* EXPANDED_NODES hashes; allocated on first use */
};

struct tlog_tile_reader {
    struct tlog_tile_source src; /* where tiles come from */
    struct cached_tile *cache;   /* cap slots */
    size_t cap;                  /* slots in cache */
    uint64_t clock;              /* LRU stamp source */
};

int tlog_tile_reader_new(const struct tlog_tile_source *src, size_t cache_tiles,
                         struct tlog_tile_reader **out)
{
    struct tlog_tile_reader *r;

    *out = NULL;
    if (cache_tiles < 4)
        cache_tiles = 4;
    r = mem_calloc(1, sizeof(*r));
    if (r == NULL)
        return ERR_NOMEM;
    r->cache = mem_calloc(cache_tiles, sizeof(*r->cache));
    if (r->cache == NULL) {
        mem_free(r);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < cache_tiles; i++)
        r->cache[i].level = -1;
    r->src = *src;
    r->cap = cache_tiles;
    *out = r;
    return 0;
}

void tlog_tile_reader_free(struct tlog_tile_reader *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->cap; i++)
        mem_free(r->cache[i].nodes);
    mem_free(r->cache);
    mem_free(r);
}

/* Fetch tile (@level, @index) with at least @width hashes into a cache slot. */
static int reader_fetch(struct tlog_tile_reader *r, int level, uint64_t index, unsigned width,
                        struct cached_tile **slot)
{
    struct tlog_tile t = {level, index, width};
    struct cached_tile *c = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;

    rc = r->src.read(r->src.ctx, &t, &data, &len);
    if (rc != 0)
        goto out;
    if (len % HASH_SHA256_LEN != 0 || len < (size_t)width * HASH_SHA256_LEN ||
        len > TLOG_TILE_BYTES) {
        rc = ERR_INVALID;
        goto out;
    }
    /* the same tile's slot if cached (narrower), else the least recently used (empty first) */
    for (size_t i = 0; i < r->cap; i++) {
        struct cached_tile *s = &r->cache[i];

        if (s->level == level && s->index == index) {
            c = s;
            break;
        }
        if (c == NULL || s->used < c->used)
            c = s;
    }
    if (c->nodes == NULL) {
        c->nodes = mem_alloc(EXPANDED_NODES * HASH_SHA256_LEN);
        if (c->nodes == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
    }
    c->level = level;
    c->index = index;
    c->width = (unsigned)(len / HASH_SHA256_LEN);
    c->blocks = 0;
    c->upper = HINT_SUB - 1;
    memcpy(c->nodes, data, len);
    *slot = c;
out:
    mem_free(data);
    return rc;
}

/* Compute sub-levels 1..3 of block @b of @c (its complete nodes only). */
static void block_expand(struct cached_tile *c, unsigned b)
{
    if (c->blocks & (1u << b))
        return;
    for (unsigned k = 1; k < HINT_SUB; k++) {
        uint8_t(*below)[HASH_SHA256_LEN] = c->nodes + SUB_OFFSET(k - 1);
        uint8_t(*here)[HASH_SHA256_LEN] = c->nodes + SUB_OFFSET(k);
        unsigned first = b << (HINT_SUB - k), end = (b + 1) << (HINT_SUB - k);

        if (end > c->width >> k)
            end = c->width >> k;
        for (unsigned j = first; j < end; j++)
            tlog_node_hash(here[j], below[2 * j], below[2 * j + 1]);
    }
    c->blocks |= 1u << b;
}

/*
 * Make sub-levels 4..@k of @c available: sub-level 4 from the hint row when the source has one,
 * else from every block; then each level above from the one below.
 */
static int upper_expand(struct tlog_tile_reader *r, struct cached_tile *c, unsigned k)
{
    uint8_t(*sub4)[HASH_SHA256_LEN] = c->nodes + SUB_OFFSET(HINT_SUB);
    unsigned nh = c->width / TLOG_HINT_SPAN;
    int rc = 0;

    if (c->upper < HINT_SUB && nh > 0) {
        struct tlog_tile t = {TLOG_TILE_HINTS + c->level, c->index, nh};
        uint8_t *data = NULL;
        size_t len = 0;

        rc = r->src.read(r->src.ctx, &t, &data, &len);
        if (rc == 0) {
            if (len % HASH_SHA256_LEN != 0 || len < (size_t)nh * HASH_SHA256_LEN ||
                len > TLOG_HINT_BYTES)
                rc = ERR_INVALID;
            else
                memcpy(sub4, data, (size_t)nh * HASH_SHA256_LEN);
        } else if (rc == ERR_NOT_FOUND) {
            /* a store without hints: every block, 15 hashes each */
            rc = 0;
            for (unsigned b = 0; b < nh; b++) {
                block_expand(c, b);
                tlog_node_hash(sub4[b], c->nodes[SUB_OFFSET(HINT_SUB - 1) + 2 * b],
                               c->nodes[SUB_OFFSET(HINT_SUB - 1) + 2 * b + 1]);
            }
        }
        mem_free(data);
        if (rc != 0)
            return rc;
    }
    if (c->upper < HINT_SUB)
        c->upper = HINT_SUB;
    for (; c->upper < k; c->upper++) {
        uint8_t(*below)[HASH_SHA256_LEN] = c->nodes + SUB_OFFSET(c->upper);
        uint8_t(*here)[HASH_SHA256_LEN] = c->nodes + SUB_OFFSET(c->upper + 1);

        for (unsigned j = 0; j < (c->width >> (c->upper + 1)); j++)
            tlog_node_hash(here[j], below[2 * j], below[2 * j + 1]);
    }
    return 0;
}

/* Find a cached tile (@level, @index) holding at least @need hashes, or NULL. */
static struct cached_tile *reader_lookup(struct tlog_tile_reader *r, int level, uint64_t index,
                                         unsigned need)
{
    for (size_t j = 0; j < r->cap; j++) {
        struct cached_tile *s = &r->cache[j];

        if (s->level == level && s->index == index && s->width >= need)
            return s;
    }
    return NULL;
}

static int reader_read(void *ctx, const struct tlog_node *nodes, size_t count,
                       uint8_t (*hashes)[HASH_SHA256_LEN])
{
    struct tlog_tile_reader *r = ctx;
    int rc = 0;

    for (size_t i = 0; i < count; i++) {
        /* node (8L + k, i) is 2^k hashes of tile (L, i >> (8 - k)) */
        unsigned k = nodes[i].level % TLOG_TILE_HEIGHT, pos, need;
        int level = (int)(nodes[i].level / TLOG_TILE_HEIGHT);
        uint64_t tile = nodes[i].index >> (TLOG_TILE_HEIGHT - k);
        struct cached_tile *c;

        if (nodes[i].level > 62) {
            rc = ERR_INVALID;
            goto out;
        }
        pos = (unsigned)(nodes[i].index & ((1u << (TLOG_TILE_HEIGHT - k)) - 1));
        need = (pos + 1) << k;
        c = reader_lookup(r, level, tile, need);
        if (c == NULL) {
            rc = reader_fetch(r, level, tile, need, &c);
            if (rc != 0)
                goto out;
        }
        c->used = ++r->clock;
        if (k >= HINT_SUB) {
            rc = upper_expand(r, c, k);
            if (rc != 0)
                goto out;
        } else if (k > 0) {
            block_expand(c, (pos << k) / TLOG_HINT_SPAN);
        }
        memcpy(hashes[i], c->nodes[SUB_OFFSET(k) + pos], HASH_SHA256_LEN);
    }
out:
    return rc;
}

struct tlog_hash_reader tlog_tile_reader_hashes(struct tlog_tile_reader *r)
{
    return (struct tlog_hash_reader){reader_read, r};
}
