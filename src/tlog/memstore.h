/*
 * memstore.h - a tiled log held in memory: the tile source that `dissent log build`, the tests
 * and the benchmark append to. It keeps the widest version of every tile, hint row and bundle, as
 * the server's tile table does, and serves reads through the struct tlog_tile_source interface.
 *
 * Not thread safe: one thread at a time per store.
 */
#ifndef DISSENT_TLOG_MEMSTORE_H
#define DISSENT_TLOG_MEMSTORE_H

#include "tlog/tile.h"

#include <stddef.h>
#include <stdint.h>

struct tlog_memstore;

/**
 * tlog_memstore_new() - an empty in-memory log (size 0).
 * @out: receives the store; free it with tlog_memstore_free().
 *
 * Returns 0, or ERR_NOMEM.
 */
int tlog_memstore_new(struct tlog_memstore **out);

/** tlog_memstore_free() - free @ms and every tile in it (NULL is a no-op). */
void tlog_memstore_free(struct tlog_memstore *ms);

/** tlog_memstore_size() - the tree size of @ms. */
uint64_t tlog_memstore_size(const struct tlog_memstore *ms);

/**
 * tlog_memstore_source() - the tile source view of @ms (valid while @ms lives). Its read()
 * returns a malloc'd copy of the stored tile, ERR_NOT_FOUND for a tile never stored, or
 * ERR_NOMEM.
 */
struct tlog_tile_source tlog_memstore_source(struct tlog_memstore *ms);

/**
 * tlog_memstore_apply() - store the tiles of @up, replacing older versions, and move the size to
 * @up->new_size. The tiles' buffers are taken over (set to NULL in @up); @up still needs
 * tlog_update_release().
 *
 * Returns 0, ERR_CONFLICT when @up->old_size is not the store's size (nothing changes), or
 * ERR_NOMEM (the size is then unchanged but some tiles may be stored: discard the store).
 */
int tlog_memstore_apply(struct tlog_memstore *ms, struct tlog_update *up);

/**
 * tlog_memstore_append() - tlog_append() the entries @entries[0..@count) to @ms and apply the
 * result. @up: optional; receives the update (with its tile buffers taken, see
 * tlog_memstore_apply()) for callers who want to know what changed; release it with
 * tlog_update_release().
 *
 * Returns 0, or any error of tlog_append() and tlog_memstore_apply().
 */
int tlog_memstore_append(struct tlog_memstore *ms, const struct tlog_view *entries, size_t count,
                         struct tlog_update *up);

/**
 * tlog_memstore_get() - a view of the stored version of tile (@level, @index): *@data stays
 * valid until the next change to @ms; *@width is its width.
 *
 * Returns 0, or ERR_NOT_FOUND.
 */
int tlog_memstore_get(const struct tlog_memstore *ms, int level, uint64_t index,
                      const uint8_t **data, size_t *len, unsigned *width);

#endif
