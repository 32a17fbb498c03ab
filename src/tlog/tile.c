/*
 * tile.c - tlog-tiles paths, bundles, the stateless appender and the tile-backed hash reader.
 */
#include "tlog/tile.h"

#include "util/err.h"

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
    uint64_t have = level_count(level, size);

    if (level < TLOG_TILE_ENTRIES || level > TLOG_TILE_LEVEL_MAX || index > (have >> 8))
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

/* Whether tile (@level, @index) starts inside the largest tree: index * 256^(level+1) < 2^63. */
static bool tile_in_range(int level, uint64_t index)
{
    unsigned shift = ((unsigned)(level < 0 ? 0 : level) + 1) * TLOG_TILE_HEIGHT;

    if (shift >= 63)
        return index == 0;
    return index < ((uint64_t)1 << (63 - shift));
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
        t->width > TLOG_TILE_WIDTH || !tile_in_range(t->level, t->index))
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
    uint8_t h[TLOG_HASH_LEN];
    int rc = 0;

    entries = malloc(TLOG_TILE_WIDTH * sizeof(*entries));
    if (entries == NULL)
        return ERR_NOMEM;
    rc = tlog_bundle_split(bundle, blen, entries, &count);
    if (rc != 0)
        goto out;
    if (tlen != count * TLOG_HASH_LEN) {
        rc = ERR_INVALID;
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        tlog_leaf_hash(h, entries[i].data, entries[i].len);
        if (memcmp(h, tile + i * TLOG_HASH_LEN, TLOG_HASH_LEN) != 0) {
            rc = ERR_CRYPTO;
            goto out;
        }
    }
out:
    free(entries);
    return rc;
}

void tlog_update_release(struct tlog_update *up)
{
    if (up == NULL)
        return;
    for (size_t i = 0; i < up->count; i++)
        free(up->tiles[i].data);
    free(up->tiles);
    memset(up, 0, sizeof(*up));
}

/* Add a tile to @up, taking @data (freed on failure too). */
static int update_add(struct tlog_update *up, size_t *cap, int level, uint64_t index,
                      unsigned width, uint8_t *data, size_t len)
{
    if (up->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct tlog_tile_data *grown = realloc(up->tiles, ncap * sizeof(*grown));

        if (grown == NULL) {
            free(data);
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
 * Read the first @width hashes (entries) of the right-edge tile (@level, @index) from @src into
 * *@buf, a malloc'd buffer with room for @room more bytes after them; *@len is their length.
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
    } else {
        plen = (size_t)width * TLOG_HASH_LEN;
        rc = (dlen % TLOG_HASH_LEN != 0 || dlen < plen || dlen > TLOG_TILE_BYTES) ? ERR_INVALID : 0;
    }
    if (rc != 0)
        goto out;
    grown = realloc(data, plen + room);
    if (grown == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    *buf = grown;
    *len = plen;
    data = NULL;
out:
    free(data);
    return rc;
}

/*
 * Append the @n hashes @hashes to tile level @level, which holds @have hashes. Completed full
 * tiles are hashed into *@up_hashes (malloc'd, *@nup of them) for the level above.
 */
static int level_append(int level, uint64_t have, const uint8_t (*hashes)[TLOG_HASH_LEN],
                        uint64_t n, const struct tlog_tile_source *src, struct tlog_update *up,
                        size_t *cap, uint8_t (**up_hashes)[TLOG_HASH_LEN], uint64_t *nup)
{
    uint8_t(*ups)[TLOG_HASH_LEN] = NULL;
    uint8_t *tile = NULL;
    uint64_t done = 0, count = 0;
    int rc = 0;

    *up_hashes = NULL;
    *nup = 0;
    /* each completed tile is one hash above: at most n / 256 + 1 of them */
    ups = malloc((size_t)(n / TLOG_TILE_WIDTH + 1) * TLOG_HASH_LEN);
    if (ups == NULL)
        return ERR_NOMEM;
    while (done < n) {
        uint64_t index = (have + done) >> 8;
        unsigned width = (unsigned)((have + done) & 0xff), take;
        size_t len = 0;

        if (width > 0) {
            rc = edge_read(src, level, index, width,
                           TLOG_TILE_BYTES - (size_t)width * TLOG_HASH_LEN, &tile, &len);
            if (rc != 0)
                goto out;
        } else {
            tile = malloc(TLOG_TILE_BYTES);
            if (tile == NULL) {
                rc = ERR_NOMEM;
                goto out;
            }
        }
        take = TLOG_TILE_WIDTH - width;
        if (take > n - done)
            take = (unsigned)(n - done);
        memcpy(tile + len, hashes[done], (size_t)take * TLOG_HASH_LEN);
        done += take;
        width += take;
        if (width == TLOG_TILE_WIDTH) {
            rc = tlog_leaves_hash((const uint8_t(*)[TLOG_HASH_LEN])tile, TLOG_TILE_WIDTH,
                                  ups[count]);
            if (rc != 0)
                goto out;
            count++;
        }
        rc = update_add(up, cap, level, index, width, tile, (size_t)width * TLOG_HASH_LEN);
        tile = NULL;
        if (rc != 0)
            goto out;
    }
    *up_hashes = ups;
    *nup = count;
    ups = NULL;
out:
    free(tile);
    free(ups);
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
            bundle = malloc(need);
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
    free(bundle);
    return rc;
}

int tlog_append(uint64_t size, const struct tlog_view *entries, size_t count,
                const struct tlog_tile_source *src, struct tlog_update *out)
{
    uint8_t(*hashes)[TLOG_HASH_LEN] = NULL, (*next)[TLOG_HASH_LEN] = NULL;
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
    hashes = malloc(count * TLOG_HASH_LEN);
    if (hashes == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        tlog_leaf_hash(hashes[i], entries[i].data, entries[i].len);
    /* level by level: the full tiles completed at one level are the new hashes of the next */
    for (int level = 0; n > 0; level++) {
        rc = level_append(level, have, (const uint8_t(*)[TLOG_HASH_LEN])hashes, n, src, out, &cap,
                          &next, &nnext);
        if (rc != 0)
            goto out;
        free(hashes);
        hashes = next;
        next = NULL;
        n = nnext;
        have >>= TLOG_TILE_HEIGHT;
    }
    out->new_size = size + count;
out:
    free(hashes);
    if (rc != 0)
        tlog_update_release(out);
    return rc;
}

/* ---- the tile-backed hash reader ---- */

/* Offset of sub-level k (0..7) in an expanded tile: 256 + 128 + ... nodes before it. */
#define SUB_OFFSET(k) (2 * TLOG_TILE_WIDTH - (2 * TLOG_TILE_WIDTH >> (k)))
#define EXPANDED_NODES (2 * TLOG_TILE_WIDTH - 1)

/* One cached tile with all its complete interior nodes. */
struct cached_tile {
    int level;                                    /* tile level, -1 for an empty slot */
    uint64_t index;                               /* tile index */
    unsigned width;                               /* hashes held */
    uint64_t used;                                /* LRU stamp */
    uint8_t nodes[EXPANDED_NODES][TLOG_HASH_LEN]; /* sub-level k at SUB_OFFSET(k) */
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
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return ERR_NOMEM;
    r->cache = malloc(cache_tiles * sizeof(*r->cache));
    if (r->cache == NULL) {
        free(r);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < cache_tiles; i++) {
        r->cache[i].level = -1;
        r->cache[i].used = 0;
    }
    r->src = *src;
    r->cap = cache_tiles;
    *out = r;
    return 0;
}

void tlog_tile_reader_free(struct tlog_tile_reader *r)
{
    if (r == NULL)
        return;
    free(r->cache);
    free(r);
}

/* Fetch tile (@level, @index) with at least @width hashes into a cache slot and expand it. */
static int reader_fetch(struct tlog_tile_reader *r, int level, uint64_t index, unsigned width,
                        struct cached_tile **slot)
{
    struct tlog_tile t = {level, index, width};
    struct cached_tile *c = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    unsigned w;
    int rc;

    rc = r->src.read(r->src.ctx, &t, &data, &len);
    if (rc != 0)
        goto out;
    if (len % TLOG_HASH_LEN != 0 || len < (size_t)width * TLOG_HASH_LEN || len > TLOG_TILE_BYTES) {
        rc = ERR_INVALID;
        goto out;
    }
    w = (unsigned)(len / TLOG_HASH_LEN);
    /* the same tile's slot if cached (narrower), else the least recently used */
    for (size_t i = 0; i < r->cap; i++) {
        struct cached_tile *s = &r->cache[i];

        if (s->level == level && s->index == index) {
            c = s;
            break;
        }
        if (c == NULL || s->used < c->used)
            c = s;
    }
    c->level = level;
    c->index = index;
    c->width = w;
    memcpy(c->nodes, data, len);
    for (unsigned k = 1; k < TLOG_TILE_HEIGHT; k++) {
        uint8_t(*below)[TLOG_HASH_LEN] = c->nodes + SUB_OFFSET(k - 1);
        uint8_t(*here)[TLOG_HASH_LEN] = c->nodes + SUB_OFFSET(k);

        for (unsigned j = 0; j < (w >> k); j++)
            tlog_node_hash(here[j], below[2 * j], below[2 * j + 1]);
    }
    *slot = c;
out:
    free(data);
    return rc;
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
                       uint8_t (*hashes)[TLOG_HASH_LEN])
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
        memcpy(hashes[i], c->nodes[SUB_OFFSET(k) + pos], TLOG_HASH_LEN);
    }
out:
    return rc;
}

struct tlog_hash_reader tlog_tile_reader_hashes(struct tlog_tile_reader *r)
{
    return (struct tlog_hash_reader){reader_read, r};
}
