/*
 * memstore.c - tiles in per-level growable arrays, indexed by tile index.
 */
#include "tlog/memstore.h"

#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

/* Tile levels in use by trees up to TLOG_SIZE_MAX (0..7), their hint rows, and the bundles. */
#define TILE_LEVELS 8
#define LEVELS (1 + 2 * TILE_LEVELS)

struct stored_tile {
    uint8_t *data;  /* malloc'd contents, NULL when never stored */
    size_t len;     /* bytes at data */
    unsigned width; /* hashes (entries) held */
};

struct tiles {
    struct stored_tile *v; /* v[index] */
    size_t count;          /* slots in use (highest stored index + 1) */
    size_t cap;            /* slots allocated */
};

struct tlog_memstore {
    struct tiles levels[LEVELS]; /* [0] bundles, [1 + L] level L tiles, [9 + L] hints */
    uint64_t size;               /* tree size */
};

int tlog_memstore_new(struct tlog_memstore **out)
{
    *out = mem_calloc(1, sizeof(**out));
    return *out == NULL ? ERR_NOMEM : 0;
}

void tlog_memstore_free(struct tlog_memstore *ms)
{
    if (ms == NULL)
        return;
    for (size_t l = 0; l < LEVELS; l++) {
        for (size_t i = 0; i < ms->levels[l].count; i++)
            mem_free(ms->levels[l].v[i].data);
        mem_free(ms->levels[l].v);
    }
    mem_free(ms);
}

uint64_t tlog_memstore_size(const struct tlog_memstore *ms)
{
    return ms->size;
}

/* The slot of @level in ms->levels, or -1. */
static int level_slot(int level)
{
    if (level >= TLOG_TILE_ENTRIES && level < TILE_LEVELS)
        return level + 1;
    if (level >= TLOG_TILE_HINTS && level < TLOG_TILE_HINTS + TILE_LEVELS)
        return 1 + TILE_LEVELS + (level - TLOG_TILE_HINTS);
    return -1;
}

/* The stored tile (@level, @index), or NULL. */
static const struct stored_tile *lookup(const struct tlog_memstore *ms, int level, uint64_t index)
{
    const struct tiles *t;
    int slot = level_slot(level);

    if (slot < 0)
        return NULL;
    t = &ms->levels[slot];
    if (index >= t->count || t->v[index].data == NULL)
        return NULL;
    return &t->v[index];
}

int tlog_memstore_get(const struct tlog_memstore *ms, int level, uint64_t index,
                      const uint8_t **data, size_t *len, unsigned *width)
{
    const struct stored_tile *s = lookup(ms, level, index);

    *data = NULL;
    *len = 0;
    *width = 0;
    if (s == NULL)
        return ERR_NOT_FOUND;
    *data = s->data;
    *len = s->len;
    *width = s->width;
    return 0;
}

static int source_read(void *ctx, const struct tlog_tile *tile, uint8_t **data, size_t *len)
{
    const struct stored_tile *s = lookup(ctx, tile->level, tile->index);

    *data = NULL;
    *len = 0;
    if (s == NULL)
        return ERR_NOT_FOUND;
    *data = mem_alloc(s->len);
    if (*data == NULL)
        return ERR_NOMEM;
    memcpy(*data, s->data, s->len);
    *len = s->len;
    return 0;
}

struct tlog_tile_source tlog_memstore_source(struct tlog_memstore *ms)
{
    return (struct tlog_tile_source){source_read, ms};
}

/* Store @td in @ms, taking its buffer. */
static int store_one(struct tlog_memstore *ms, struct tlog_tile_data *td)
{
    struct tiles *t;
    struct stored_tile *s;

    int slot = level_slot(td->tile.level);

    if (slot < 0)
        return ERR_INVALID;
    t = &ms->levels[slot];
    if (td->tile.index >= t->cap) {
        size_t ncap = t->cap ? t->cap : 16;
        struct stored_tile *grown;

        while (ncap <= td->tile.index)
            ncap *= 2;
        grown = mem_realloc(t->v, ncap * sizeof(*grown));
        if (grown == NULL)
            return ERR_NOMEM;
        memset(grown + t->cap, 0, (ncap - t->cap) * sizeof(*grown));
        t->v = grown;
        t->cap = ncap;
    }
    if (td->tile.index >= t->count)
        t->count = (size_t)td->tile.index + 1;
    s = &t->v[td->tile.index];
    mem_free(s->data);
    s->data = td->data;
    s->len = td->len;
    s->width = td->tile.width;
    td->data = NULL;
    return 0;
}

int tlog_memstore_apply(struct tlog_memstore *ms, struct tlog_update *up)
{
    int rc = 0;

    if (up->old_size != ms->size)
        return ERR_CONFLICT;
    for (size_t i = 0; i < up->count; i++) {
        rc = store_one(ms, &up->tiles[i]);
        if (rc != 0)
            return rc;
    }
    ms->size = up->new_size;
    return 0;
}

int tlog_memstore_append(struct tlog_memstore *ms, const struct tlog_view *entries, size_t count,
                         struct tlog_update *up)
{
    struct tlog_tile_source src = tlog_memstore_source(ms);
    struct tlog_update local;
    struct tlog_update *u = up ? up : &local;
    int rc;

    rc = tlog_append(ms->size, entries, count, &src, u);
    if (rc == 0)
        rc = tlog_memstore_apply(ms, u);
    if (u == &local)
        tlog_update_release(u);
    return rc;
}
