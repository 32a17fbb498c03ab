/*
 * tile.h - C2SP tlog-tiles (c2sp.org/tlog-tiles): tile and entry-bundle paths, tile contents,
 * entry bundles, appending to a tiled log, and proofs served from tiles.
 *
 * A tile at level L (0..63) and index N holds up to 256 consecutive hashes of tree level 8L:
 * the hashes of nodes (8L, 256N) .. (8L, 256N + 255). Level 0 tiles hold leaf hashes; a hash in a
 * level L + 1 tile is the Merkle tree hash of a *full* level L tile. A full tile is exactly 256
 * hashes (8,192 bytes); the rightmost tile of each level may be *partial* (width 1..255). A tile
 * of width W is always the first W hashes of every wider version of the same tile, so storing
 * only the widest version of each (level, index) is enough to serve every older width.
 *
 * An entry bundle (level TLOG_TILE_ENTRIES below) holds the entries of the level 0 tile with the
 * same index, each as a big-endian uint16 length then that many bytes; partial bundles follow
 * the same prefix rule.
 *
 * Paths (relative to the log prefix): tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>], where
 * N is written in groups of three digits, all but the last prefixed "x" (1234067 is
 * x001/x234/067, 5 is 005) and ".p/<W>" marks a partial tile of width W.
 *
 * Hint rows (this project's, never served): for each tile (L, N) the appender also emits a row
 * at level TLOG_TILE_HINTS + L, index N, holding the roots of the tile's complete 16-hash blocks
 * (nodes of tree level 8L + 4; width = tile width / 16, at most 16 hashes). They let a proof
 * take a node from a tile in at most 22 hashes instead of up to 247. Levels 64 and above are
 * not valid in a tlog-tiles path, so tlog_tile_path_parse() can never name one. A store may
 * drop them: readers and the appender then compute what they need from the tile itself.
 *
 * Appending (tlog_append()) is stateless: it reads the right-edge partial tiles it extends from
 * a tile source and returns every tile, hint row and bundle that changed, which the caller writes
 * back (replacing the stored version of each (level, index)) in the same transaction as the new
 * tree size. Nothing is cached between calls, so a rolled-back transaction leaves nothing stale.
 *
 * Functions are thread safe unless stated; a struct tlog_tile_reader belongs to one thread at
 * a time.
 */
#ifndef DISSENT_TLOG_TILE_H
#define DISSENT_TLOG_TILE_H

#include "tlog/merkle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLOG_TILE_HEIGHT 8                                       /* tree levels per tile level */
#define TLOG_TILE_WIDTH 256                                      /* hashes in a full tile */
#define TLOG_TILE_BYTES (TLOG_TILE_WIDTH * HASH_SHA256_LEN)      /* bytes of a full tile: 8,192 */
#define TLOG_TILE_LEVEL_MAX 63                                   /* highest level a path may name */
#define TLOG_TILE_ENTRIES (-1)                                   /* the "level" of entry bundles */
#define TLOG_ENTRY_MAX 65535                                     /* longest entry (uint16 length) */
#define TLOG_BUNDLE_MAX (TLOG_TILE_WIDTH * (2 + TLOG_ENTRY_MAX)) /* longest bundle, bytes */
#define TLOG_TILE_PATH_MAX 64      /* path buffer size, NUL included */
#define TLOG_APPEND_MAX (1u << 24) /* most entries per tlog_append() */
#define TLOG_TILE_HINTS 64         /* level of the hint rows of level 0 tiles */
#define TLOG_HINT_SPAN 16          /* tile hashes under one hint */
#define TLOG_HINT_BYTES (TLOG_TILE_WIDTH / TLOG_HINT_SPAN * HASH_SHA256_LEN) /* a full hint row */

/* Which tile: a Merkle tile (level 0..63), an entry bundle (level TLOG_TILE_ENTRIES) or a hint
   row (TLOG_TILE_HINTS + the level of its tiles). */
struct tlog_tile {
    int level;      /* 0..TLOG_TILE_LEVEL_MAX, TLOG_TILE_ENTRIES, or TLOG_TILE_HINTS + 0..63 */
    uint64_t index; /* N: position of the tile within its level */
    unsigned width; /* 1..TLOG_TILE_WIDTH; TLOG_TILE_WIDTH is a full tile */
};

/* A non-owning view of bytes (an entry). */
struct tlog_view {
    const uint8_t *data; /* may be NULL when len is 0 */
    size_t len;
};

/* One tile, hint row or bundle to store, owned by the struct tlog_update that holds it. */
struct tlog_tile_data {
    struct tlog_tile tile; /* which tile, and its width after the append */
    uint8_t *data;         /* its full contents (malloc'd): width hashes, or the whole bundle */
    size_t len;            /* bytes at data */
};

/* What tlog_append() produced: everything to write back, and the sizes it went between. */
struct tlog_update {
    uint64_t old_size;            /* tree size before */
    uint64_t new_size;            /* tree size after */
    struct tlog_tile_data *tiles; /* what changed, malloc'd (any order) */
    size_t count;                 /* entries of tiles */
};

/*
 * struct tlog_tile_source - where tiles are read from (the server: its tile table).
 *
 * read() returns the stored contents of tile (@tile->level, @tile->index) holding at least
 * @tile->width hashes (entries, for a bundle): the widest version stored, which for a
 * consistent log is at least that wide. Proofs keep the prefix they need; tlog_append() wants
 * exactly @tile->width and answers ERR_CONFLICT to a wider tile. On success *@data is a
 * malloc'd buffer the caller frees and *@len its size (a tile: a multiple of 32 bytes, at most
 * TLOG_TILE_BYTES; a hint row: at most TLOG_HINT_BYTES; a bundle: at most TLOG_BUNDLE_MAX).
 * It returns 0, ERR_NOT_FOUND when no version of that tile is stored, or another negative
 * code (ERR_DB, ERR_NOMEM, ...), which is passed back to the caller of the tlog function.
 * Malformed or too narrow contents are reported as ERR_INVALID by the caller.
 */
struct tlog_tile_source {
    int (*read)(void *ctx, const struct tlog_tile *tile, uint8_t **data, size_t *len);
    void *ctx;
};

/**
 * tlog_tile_path_format() - the path of @t ("tile/0/x001/x234/067.p/5", no leading slash) into
 * @out, NUL-terminated. @outlen of TLOG_TILE_PATH_MAX always suffices.
 *
 * Returns 0, ERR_INVALID (level or width out of range), or ERR_TOO_LARGE
 * (@out too small; it then holds "").
 */
int tlog_tile_path_format(const struct tlog_tile *t, char *out, size_t outlen);

/**
 * tlog_tile_path_parse() - parse a tile or bundle path @path[0..@len) (relative, no leading
 * slash, no query), accepting only the canonical encoding that tlog_tile_path_format() writes:
 * a level 0..63 or "entries" with no leading zeros, three-digit groups all but the last
 * prefixed "x" and no leading zero group, an optional ".p/<W>" with W in 1..255 and no leading
 * zeros, nothing else; N at most 2^64 - 1. Whether the tile exists is the caller's question
 * (tlog_tile_width()). Meant for untrusted request paths: longer than TLOG_TILE_PATH_MAX - 1
 * bytes is refused unread.
 * @out: receives the tile (zeroed on failure); width TLOG_TILE_WIDTH for a full tile.
 *
 * Returns 0, or ERR_INVALID.
 */
int tlog_tile_path_parse(const char *path, size_t len, struct tlog_tile *out);

/**
 * tlog_tile_width() - how many hashes (entries, for level TLOG_TILE_ENTRIES; hints, for a hint
 * level) tile (@level, @index) holds in the tree of @size leaves: 0 when it does not exist yet,
 * TLOG_TILE_WIDTH when it is full (16 for a full hint row). A server serves a request for width W
 * of that tile when 0 < W <= this value, answering with the first W hashes (entries) of what it
 * stores.
 */
unsigned tlog_tile_width(int level, uint64_t index, uint64_t size);

/**
 * tlog_tile_for_entry() - the entry bundle holding entry @entry in the tree of @size leaves,
 * with the width it has at that size.
 *
 * Returns 0, or ERR_INVALID when @entry >= @size (@out is then zeroed).
 */
int tlog_tile_for_entry(uint64_t entry, uint64_t size, struct tlog_tile *out);

/**
 * tlog_bundle_split() - the entries of the bundle @data[0..@len): @entries (room for
 * TLOG_TILE_WIDTH views into @data) and *@count. The bundle must hold 1..256 well-formed entries
 * and nothing after the last.
 *
 * Returns 0, or ERR_INVALID (then *@count is 0).
 */
int tlog_bundle_split(const uint8_t *data, size_t len, struct tlog_view *entries, size_t *count);

/**
 * tlog_bundle_verify() - check that the bundle @bundle[0..@blen) and the level 0 tile
 * @tile[0..@tlen) have the same width and that every entry's leaf hash is the tile's hash at
 * the same position. With a tile proved against a checkpoint this authenticates the entries.
 *
 * Returns 0, ERR_INVALID (malformed bundle or tile, widths differ), or ERR_CRYPTO (a hash
 * differs).
 */
__attribute__((warn_unused_result)) int tlog_bundle_verify(const uint8_t *bundle, size_t blen,
                                                           const uint8_t *tile, size_t tlen);

/**
 * tlog_append() - append @entries[0..@count) (each at most TLOG_ENTRY_MAX bytes; @count at most
 * TLOG_APPEND_MAX, 0 allowed) to the tiled log of @size leaves. The partial tiles and bundle on
 * the right edge are read from @src (at most one per level, only those being extended, and
 * their hint rows when a 16-hash block completes). Full tiles completed on the way are hashed
 * into the level above.
 * @out: receives every changed tile, hint row and bundle at its new width, and the old and new
 *       sizes; release it with tlog_update_release() (also on failure, where it is empty).
 *
 * The caller stores each tile of @out, replacing the stored version of the same (level,
 * index), and records the new size, all in one transaction. Appending one entry writes one
 * level 0 tile and one bundle, a hint row every 16 entries, and one tile (and hint row) per
 * level above that a full tile completes.
 *
 * Returns 0, ERR_INVALID (an entry too long, too many entries, size over TLOG_SIZE_MAX,
 * malformed right-edge tiles from @src), ERR_CONFLICT (a right-edge tile from @src is wider
 * than @size implies: the log grew since the caller read its size, nothing may be written),
 * ERR_NOMEM, or the source's error.
 */
int tlog_append(uint64_t size, const struct tlog_view *entries, size_t count,
                const struct tlog_tile_source *src, struct tlog_update *out);

/** tlog_update_release() - free the tiles of @up and zero it (NULL is a no-op). */
void tlog_update_release(struct tlog_update *up);

/* Proofs from tiles: a hash reader over a tile source, with a cache of expanded tiles. */
struct tlog_tile_reader;

/**
 * tlog_tile_reader_new() - a hash reader (merkle.h) that computes any complete node from the
 * tile holding its level: a node at tree level 8L + k (k in 0..7) is the Merkle tree hash of
 * 2^k consecutive hashes of one level L tile, computed from the tile and its hint row (see
 * above; without hints, from the tile alone). Each tile read through @src is kept in an LRU
 * cache of @cache_tiles tiles (at least 4; 16 KiB each, allocated on first use) with the
 * interior nodes computed so far, each at most once: a proof's cache miss on a full tile costs
 * about 22 hashes with hints, 247 without. Entries stay valid forever (tiles only grow at the
 * right, and a node complete in a narrow tile has the same hash in every wider one), so one reader
 * may serve proofs for any tree size and be kept across requests.
 * That holds for committed tiles only: a reader that may have read inside a write transaction
 * which then rolled back must be freed, not kept (give long-lived readers their own read-only
 * connection, or use one reader per transaction).
 * @src: copied; its context must outlive the reader.
 * @out: receives the reader; free it with tlog_tile_reader_free().
 *
 * Returns 0, or ERR_NOMEM. Not thread safe: one thread at a time per reader.
 */
int tlog_tile_reader_new(const struct tlog_tile_source *src, size_t cache_tiles,
                         struct tlog_tile_reader **out);

/** tlog_tile_reader_free() - free @r and its cache (NULL is a no-op). */
void tlog_tile_reader_free(struct tlog_tile_reader *r);

/**
 * tlog_tile_reader_hashes() - the hash reader view of @r, for tlog_tree_hash() and the proof
 * functions. Valid while @r lives. Its read() fails with ERR_INVALID when the source returns a
 * malformed or too narrow tile.
 */
struct tlog_hash_reader tlog_tile_reader_hashes(struct tlog_tile_reader *r);

#endif
