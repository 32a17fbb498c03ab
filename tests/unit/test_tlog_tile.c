/*
 * test_tlog_tile.c - tlog-tiles: path vectors and strict parsing, tile widths, entry bundles,
 * the Tessera test log tile by tile, a 70,000-entry log (full and partial tiles at levels 0-2)
 * with roots, proofs and tampering, and the appender's error paths.
 */
#include "testutil.h"

#include "tlog/memstore.h"
#include "tlog/merkle.h"
#include "tlog/tile.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define PATHS SOURCE_ROOT "/tests/vectors/tile_paths.txt"
#define TESSERA SOURCE_ROOT "/tests/vectors/tessera_testdata_log.json"
#define TESSERA_DIR SOURCE_ROOT "/tests/vectors/tessera-testdata-log"

typedef uint8_t hash_t[HASH_SHA256_LEN];

static uint8_t *file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void hex_hash(const char *hex, uint8_t out[HASH_SHA256_LEN])
{
    assert_int_equal(strlen(hex), 2 * HASH_SHA256_LEN);
    for (size_t i = 0; i < HASH_SHA256_LEN; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* ---- paths ---- */

static void test_path_vectors(void **state)
{
    FILE *f = fopen(PATHS, "r");
    char line[512], path[128], out[TLOG_TILE_PATH_MAX];
    unsigned long long n, w, seq, size;
    int level, counted = 0, gotlog = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        struct tlog_tile t, parsed;

        if (sscanf(line, "tile %d %llu %llu %127s", &level, &n, &w, path) == 4) {
            t = (struct tlog_tile){level, n, w ? (unsigned)w : TLOG_TILE_WIDTH};
        } else if (sscanf(line, "bundle %llu %llu %127s", &n, &w, path) == 3) {
            t = (struct tlog_tile){TLOG_TILE_ENTRIES, n, w ? (unsigned)w : TLOG_TILE_WIDTH};
        } else if (sscanf(line, "entryidx %llu %llu %127s", &seq, &size, path) == 3) {
            assert_int_equal(tlog_tile_for_entry(seq, size, &t), 0);
        } else if (sscanf(line, "gotlog %127s", path) == 1 ||
                   sscanf(line, "gotlog_invalid %127s", path) == 1) {
            /* Go sumdb paths carry a height element: never a C2SP path */
            assert_int_equal(tlog_tile_path_parse(path, strlen(path), &parsed), ERR_INVALID);
            gotlog++;
            continue;
        } else {
            continue;
        }
        assert_int_equal(tlog_tile_path_format(&t, out, sizeof(out)), 0);
        assert_string_equal(out, path);
        assert_int_equal(tlog_tile_path_parse(path, strlen(path), &parsed), 0);
        assert_int_equal(parsed.level, t.level);
        assert_true(parsed.index == t.index);
        assert_int_equal(parsed.width, t.width);
        counted++;
    }
    fclose(f);
    assert_int_equal(counted, 17);
    assert_int_equal(gotlog, 8);
}

static void test_path_strict(void **state)
{
    static const char *bad[] = {"",
                                "tile",
                                "tile/",
                                "tile/0",
                                "tile/0/",
                                "tile/0/00",
                                "tile/0/0000",
                                "tile/0/0",
                                "tile/00/000",
                                "tile/01/000",
                                "tile/64/000",
                                "tile/-1/000",
                                "tile/+1/000",
                                "tile/0/x000/001",
                                "tile/0/x000/x001/002",
                                "tile/0/x001",
                                "tile/0/x001/",
                                "tile/0/X001/000",
                                "tile/0/x01/000",
                                "tile/0/001/",
                                "/tile/0/000",
                                "tile//000",
                                "tile/0//000",
                                "tile/0/000.p/0",
                                "tile/0/000.p/256",
                                "tile/0/000.p/05",
                                "tile/0/000.p/",
                                "tile/0/000.p",
                                "tile/0/000.p/1/",
                                "tile/0/000.p/1x",
                                "tile/0/000.q/1",
                                "tile/0/000?x",
                                "tile/0/ 000",
                                "tile/0/000 ",
                                "tile/entries",
                                "tile/entries/",
                                "tile/entries/0",
                                "tile/entry/000",
                                "tile/data/000",
                                "tile/entries/000.p/255x",
                                "tile/0/x018/x446/x744/x073/x709/x551/616",
                                "tile/0/x100/x000/x000/x000/x000/x000/x000/000",
                                "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
                                "tile/0/000\n",
                                "TILE/0/000",
                                "tile/0/000/..",
                                "tile/0/../000"};
    static const char *good[] = {"tile/0/000",
                                 "tile/63/000",
                                 "tile/63/x999/999.p/255",
                                 "tile/7/000.p/255",
                                 "tile/0/x018/x446/x744/x073/x709/x551/615",
                                 "tile/entries/x018/x446/x744/x073/x709/x551/615",
                                 "tile/entries/x001/000.p/1"};
    struct tlog_tile t;
    char out[TLOG_TILE_PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (tlog_tile_path_parse(bad[i], strlen(bad[i]), &t) != ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(t.width, 0);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (tlog_tile_path_parse(good[i], strlen(good[i]), &t) != 0)
            fail_msg("refused \"%s\"", good[i]);
        assert_int_equal(tlog_tile_path_format(&t, out, sizeof(out)), 0);
        assert_string_equal(out, good[i]);
    }
    /* a path cut short is not the path */
    assert_int_equal(tlog_tile_path_parse("tile/0/000.p/12", 14, &t), 0);
    assert_int_equal(t.width, 1);
    /* the formatter's limits */
    t = (struct tlog_tile){0, 1, TLOG_TILE_WIDTH};
    assert_int_equal(tlog_tile_path_format(&t, out, 5), ERR_TOO_LARGE);
    assert_string_equal(out, "");
    t.width = 0;
    assert_int_equal(tlog_tile_path_format(&t, out, sizeof(out)), ERR_INVALID);
    t = (struct tlog_tile){64, 0, 1};
    assert_int_equal(tlog_tile_path_format(&t, out, sizeof(out)), ERR_INVALID);
    /* every index and width round-trips */
    for (uint64_t n = 1; n < UINT64_MAX / 8; n = n * 7 + 3) {
        struct tlog_tile a = {(int)(n % 3) - 1, n, (unsigned)(n % 256) + 1}, b;

        assert_int_equal(tlog_tile_path_format(&a, out, sizeof(out)), 0);
        assert_int_equal(tlog_tile_path_parse(out, strlen(out), &b), 0);
        assert_true(a.level == b.level && a.index == b.index && a.width == b.width);
    }
}

static void test_tile_widths(void **state)
{
    FILE *f = fopen(PATHS, "r");
    char line[512];
    int seen = 0;

    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        unsigned long long size;
        int off;
        char *p;

        if (sscanf(line, "tiles_for_size %llu%n", &size, &off) != 1)
            continue;
        p = line + off;
        for (;;) {
            unsigned level;
            unsigned long long full;
            unsigned partial;
            int used;

            if (sscanf(p, " %u:%llu+%u%n", &level, &full, &partial, &used) != 3)
                break;
            p += used;
            for (uint64_t i = 0; i < full; i++)
                assert_int_equal(tlog_tile_width((int)level, i, size), TLOG_TILE_WIDTH);
            assert_int_equal(tlog_tile_width((int)level, full, size), partial);
            assert_int_equal(tlog_tile_width((int)level, full + 1, size), 0);
        }
        seen++;
    }
    fclose(f);
    assert_int_equal(seen, 2);
    /* levels past the tree, bundles, and the largest sizes */
    assert_int_equal(tlog_tile_width(3, 0, 70000), 0);
    assert_int_equal(tlog_tile_width(TLOG_TILE_ENTRIES, 273, 70000), 112);
    assert_int_equal(tlog_tile_width(-2, 0, 70000), 0);
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS, 0, 70000), 16); /* hint rows */
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS, 273, 70000), 7);
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS + 1, 1, 70000), 1);
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS + 2, 0, 70000), 0);
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS + 64, 0, 70000), 0);
    assert_int_equal(tlog_tile_width(0, 0, 0), 0);
    assert_int_equal(tlog_tile_width(7, 0, TLOG_SIZE_MAX), 127);
    assert_int_equal(tlog_tile_width(8, 0, TLOG_SIZE_MAX), 0);
    assert_int_equal(tlog_tile_width(0, UINT64_MAX, TLOG_SIZE_MAX), 0);
}

/* ---- bundles ---- */

static void test_bundles(void **state)
{
    uint8_t b[3 + 2 + 2 + 300] = {0, 1, 'a', 0, 0, 1, 44};
    struct tlog_view v[TLOG_TILE_WIDTH];
    hash_t tile[3];
    size_t n;
    uint8_t *many;

    (void)state;
    memset(b + 7, 'z', 300);
    assert_int_equal(tlog_bundle_split(b, sizeof(b), v, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].len, 1);
    assert_int_equal(v[1].len, 0);
    assert_int_equal(v[2].len, 300);
    for (size_t i = 0; i < 3; i++)
        tlog_leaf_hash(tile[i], v[i].data, v[i].len);
    assert_int_equal(tlog_bundle_verify(b, sizeof(b), (uint8_t *)tile, sizeof(tile)), 0);
    /* a changed entry byte, a changed hash, a missing hash */
    b[sizeof(b) - 1] ^= 1;
    assert_int_equal(tlog_bundle_verify(b, sizeof(b), (uint8_t *)tile, sizeof(tile)), ERR_CRYPTO);
    b[sizeof(b) - 1] ^= 1;
    tile[1][0] ^= 1;
    assert_int_equal(tlog_bundle_verify(b, sizeof(b), (uint8_t *)tile, sizeof(tile)), ERR_CRYPTO);
    tile[1][0] ^= 1;
    assert_int_equal(tlog_bundle_verify(b, sizeof(b), (uint8_t *)tile, 2 * HASH_SHA256_LEN),
                     ERR_INVALID);
    /* malformed: truncated, a dangling length byte, empty */
    assert_int_equal(tlog_bundle_split(b, sizeof(b) - 1, v, &n), ERR_INVALID);
    assert_int_equal(n, 0);
    assert_int_equal(tlog_bundle_split(b, 1, v, &n), ERR_INVALID);
    assert_int_equal(tlog_bundle_split(b, 0, v, &n), ERR_INVALID);
    assert_int_equal(tlog_bundle_split(b, 3 + 1, v, &n), ERR_INVALID);
    /* 256 entries fit, 257 do not */
    many = calloc(257, 2);
    assert_non_null(many);
    assert_int_equal(tlog_bundle_split(many, 256 * 2, v, &n), 0);
    assert_int_equal(n, 256);
    assert_int_equal(tlog_bundle_split(many, 257 * 2, v, &n), ERR_INVALID);
    free(many);
}

/* ---- the Tessera log, one append at a time ---- */

static void test_tessera_tiles(void **state)
{
    json_error_t jerr;
    json_t *root = json_load_file(TESSERA, 0, &jerr), *e, *cps;
    struct tlog_memstore *ms = NULL;
    struct tlog_tile_reader *reader = NULL;
    struct tlog_tile_source src;
    struct tlog_hash_reader hr;
    size_t i;

    (void)state;
    assert_non_null(root);
    assert_int_equal(tlog_memstore_new(&ms), 0);
    src = tlog_memstore_source(ms);
    assert_int_equal(tlog_tile_reader_new(&src, 4, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    cps = json_object_get(root, "checkpoints");
    json_array_foreach(json_object_get(root, "entries"), i, e)
    {
        const char *data = json_string_value(json_object_get(e, "data_ascii"));
        struct tlog_view v = {(const uint8_t *)data, strlen(data)};
        struct tlog_update up;
        char path[256];
        uint8_t *want;
        size_t wlen;
        hash_t got_root, want_root;

        assert_int_equal(tlog_append(i, &v, 1, &src, &up), 0);
        /* one append writes one level 0 tile and one bundle, both partial */
        assert_int_equal(up.count, 2);
        assert_true(up.old_size == i && up.new_size == i + 1);
        for (size_t k = 0; k < up.count; k++) {
            struct tlog_tile *t = &up.tiles[k].tile;
            char rel[TLOG_TILE_PATH_MAX];

            assert_int_equal(t->width, i + 1);
            assert_int_equal(tlog_tile_path_format(t, rel, sizeof(rel)), 0);
            snprintf(path, sizeof(path), "%s/%s", TESSERA_DIR, rel);
            want = file_slurp(path, &wlen);
            assert_int_equal(up.tiles[k].len, wlen);
            assert_memory_equal(up.tiles[k].data, want, wlen);
            free(want);
        }
        assert_int_equal(tlog_memstore_apply(ms, &up), 0);
        tlog_update_release(&up);
        assert_int_equal(tlog_tree_hash(i + 1, &hr, got_root), 0);
        hex_hash(json_string_value(json_object_get(json_array_get(cps, i + 1), "root_hex")),
                 want_root);
        assert_memory_equal(got_root, want_root, HASH_SHA256_LEN);
    }
    assert_int_equal(i, 15);
    tlog_tile_reader_free(reader);
    tlog_memstore_free(ms);
    json_decref(root);
}

/* ---- a 70,000-entry log ---- */

#define BIG 70000

struct big_log {
    struct tlog_memstore *ms; /* built in uneven batches */
    hash_t *leaves;           /* every leaf hash */
    char (*text)[16];         /* every entry */
};

static struct big_log big;

static void entry_of(uint64_t i, struct tlog_view *v)
{
    v->data = (const uint8_t *)big.text[i];
    v->len = strlen(big.text[i]);
}

static int big_setup(void **state)
{
    struct tlog_view *views;
    uint64_t done = 0, step = 0;

    (void)state;
    big.leaves = malloc(BIG * sizeof(hash_t));
    big.text = malloc(BIG * sizeof(*big.text));
    views = malloc(BIG * sizeof(*views));
    if (big.leaves == NULL || big.text == NULL || views == NULL)
        return -1;
    for (uint64_t i = 0; i < BIG; i++) {
        snprintf(big.text[i], sizeof(big.text[i]), "entry %llu", (unsigned long long)i);
        entry_of(i, &views[i]);
        tlog_leaf_hash(big.leaves[i], views[i].data, views[i].len);
    }
    if (tlog_memstore_new(&big.ms) != 0)
        return -1;
    /* batches of 1, 2, 3, ... 300 entries, then one large one: every tile boundary case */
    while (done < 20000) {
        uint64_t n = step % 300 + 1;

        if (tlog_memstore_append(big.ms, views + done, n, NULL) != 0)
            return -1;
        done += n;
        step++;
    }
    if (tlog_memstore_append(big.ms, views + done, BIG - done, NULL) != 0)
        return -1;
    free(views);
    return 0;
}

static int big_teardown(void **state)
{
    (void)state;
    tlog_memstore_free(big.ms);
    free(big.leaves);
    free(big.text);
    return 0;
}

static void test_big_shape(void **state)
{
    const uint8_t *data;
    size_t len;
    unsigned width;

    (void)state;
    assert_true(tlog_memstore_size(big.ms) == BIG);
    /* 273 full level 0 tiles and one of width 112; level 1: one full, one of width 17;
       level 2: one of width 1; no level 3 */
    for (uint64_t i = 0; i < 273; i++) {
        assert_int_equal(tlog_memstore_get(big.ms, 0, i, &data, &len, &width), 0);
        assert_int_equal(width, 256);
        assert_int_equal(len, TLOG_TILE_BYTES);
        assert_memory_equal(data, big.leaves[i * 256], TLOG_TILE_BYTES);
        assert_int_equal(tlog_memstore_get(big.ms, TLOG_TILE_ENTRIES, i, &data, &len, &width), 0);
        assert_int_equal(width, 256);
    }
    assert_int_equal(tlog_memstore_get(big.ms, 0, 273, &data, &len, &width), 0);
    assert_int_equal(width, 112);
    assert_memory_equal(data, big.leaves[273 * 256], 112 * HASH_SHA256_LEN);
    assert_int_equal(tlog_memstore_get(big.ms, 0, 274, &data, &len, &width), ERR_NOT_FOUND);
    assert_int_equal(tlog_memstore_get(big.ms, 1, 0, &data, &len, &width), 0);
    assert_int_equal(width, 256);
    /* a level 1 hash is the root of a full level 0 tile */
    for (uint64_t i = 0; i < 256; i += 51) {
        hash_t h;

        assert_int_equal(tlog_leaves_hash((const hash_t *)big.leaves + i * 256, 256, h), 0);
        assert_memory_equal(data + i * HASH_SHA256_LEN, h, HASH_SHA256_LEN);
    }
    assert_int_equal(tlog_memstore_get(big.ms, 1, 1, &data, &len, &width), 0);
    assert_int_equal(width, 17);
    assert_int_equal(tlog_memstore_get(big.ms, 2, 0, &data, &len, &width), 0);
    assert_int_equal(width, 1);
    {
        hash_t h;

        assert_int_equal(tlog_leaves_hash((const hash_t *)big.leaves, 65536, h), 0);
        assert_memory_equal(data, h, HASH_SHA256_LEN);
    }
    assert_int_equal(tlog_memstore_get(big.ms, 3, 0, &data, &len, &width), ERR_NOT_FOUND);
    /* hint rows: the roots of each tile's 16-hash blocks, complete blocks only */
    for (int level = 0; level <= 2; level++) {
        for (uint64_t i = 0; tlog_tile_width(level, i, BIG) > 0; i++) {
            const uint8_t *tile, *hints;
            size_t tlen, hlen;
            unsigned tw, hw;

            assert_int_equal(tlog_memstore_get(big.ms, level, i, &tile, &tlen, &tw), 0);
            if (tw < TLOG_HINT_SPAN) {
                assert_int_equal(
                    tlog_memstore_get(big.ms, TLOG_TILE_HINTS + level, i, &hints, &hlen, &hw),
                    ERR_NOT_FOUND);
                continue;
            }
            assert_int_equal(
                tlog_memstore_get(big.ms, TLOG_TILE_HINTS + level, i, &hints, &hlen, &hw), 0);
            assert_int_equal(hw, tw / TLOG_HINT_SPAN);
            assert_int_equal(hlen, hw * HASH_SHA256_LEN);
            for (unsigned j = 0; j < hw; j++) {
                hash_t h;

                assert_int_equal(
                    tlog_leaves_hash((const hash_t *)tile + j * TLOG_HINT_SPAN, TLOG_HINT_SPAN, h),
                    0);
                assert_memory_equal(hints + j * HASH_SHA256_LEN, h, HASH_SHA256_LEN);
            }
        }
    }
    assert_int_equal(tlog_tile_width(TLOG_TILE_HINTS, 273, BIG), 7);
    /* the bundles hash to the level 0 tiles */
    for (uint64_t i = 0; i <= 273; i++) {
        const uint8_t *tile;
        size_t tlen;

        assert_int_equal(tlog_memstore_get(big.ms, TLOG_TILE_ENTRIES, i, &data, &len, &width), 0);
        assert_int_equal(tlog_memstore_get(big.ms, 0, i, &tile, &tlen, &width), 0);
        assert_int_equal(tlog_bundle_verify(data, len, tile, tlen), 0);
    }
}

/* A memstore source that hides the hint rows, as a store that never kept them. */
static int hintless_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    struct tlog_tile_source src = tlog_memstore_source(ctx);

    *data = NULL;
    *len = 0;
    if (t->level >= TLOG_TILE_HINTS)
        return ERR_NOT_FOUND;
    return src.read(src.ctx, t, data, len);
}

/* The same log in one batch, and one entry at a time, stores the same bytes, also when the
   store hides its hint rows from the appender (which then recomputes them from the tiles). */
static void test_big_batching_invariant(void **state)
{
    struct tlog_memstore *one = NULL, *each = NULL;
    struct tlog_view *views = malloc(BIG * sizeof(*views));
    const uint64_t each_n = 66000; /* past a level 1 tile, keeps the test quick */

    (void)state;
    assert_non_null(views);
    for (uint64_t i = 0; i < BIG; i++)
        entry_of(i, &views[i]);
    assert_int_equal(tlog_memstore_new(&one), 0);
    assert_int_equal(tlog_memstore_new(&each), 0);
    assert_int_equal(tlog_memstore_append(one, views, each_n, NULL), 0);
    for (uint64_t i = 0; i < each_n; i++) {
        struct tlog_tile_source hintless = {hintless_read, each};
        struct tlog_update up;

        if (i % 2 == 0) {
            assert_int_equal(tlog_memstore_append(each, views + i, 1, NULL), 0);
            continue;
        }
        assert_int_equal(tlog_append(i, views + i, 1, &hintless, &up), 0);
        assert_int_equal(tlog_memstore_apply(each, &up), 0);
        tlog_update_release(&up);
    }
    for (int level = TLOG_TILE_ENTRIES; level <= TLOG_TILE_HINTS + 2; level++) {
        if (level == 3)
            level = TLOG_TILE_HINTS;
        for (uint64_t i = 0; tlog_tile_width(level, i, each_n) > 0; i++) {
            const uint8_t *a, *b;
            size_t alen, blen;
            unsigned aw, bw;

            assert_int_equal(tlog_memstore_get(one, level, i, &a, &alen, &aw), 0);
            assert_int_equal(tlog_memstore_get(each, level, i, &b, &blen, &bw), 0);
            assert_int_equal(aw, tlog_tile_width(level, i, each_n));
            assert_int_equal(aw, bw);
            assert_int_equal(alen, blen);
            assert_memory_equal(a, b, alen);
        }
    }
    tlog_memstore_free(one);
    tlog_memstore_free(each);
    free(views);
}

/* Sizes to check: tile boundaries at every level, and a spread in between. */
static size_t big_sizes(uint64_t *out, size_t cap)
{
    static const uint64_t fixed[] = {1,     2,    3,     255,   256,   257,   511,   512,
                                     513,   4096, 65535, 65536, 65537, 65792, 69888, 69999,
                                     70000, 8191, 8192,  8193,  40000, 12345, 33333};
    size_t n = 0;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && n < cap; i++)
        out[n++] = fixed[i];
    for (uint64_t s = 977; s < BIG && n < cap; s += 2311)
        out[n++] = s;
    return n;
}

static void test_big_roots_and_proofs(void **state)
{
    struct tlog_tile_source src = tlog_memstore_source(big.ms);
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    uint64_t sizes[64];
    hash_t roots[64], proof[TLOG_PROOF_MAX];
    size_t ns = big_sizes(sizes, 64), n;
    unsigned incl = 0, cons = 0;

    (void)state;
    assert_int_equal(tlog_tile_reader_new(&src, 16, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    /* the root of every size, from tiles, equals the root from the leaves */
    for (size_t a = 0; a < ns; a++) {
        hash_t want;

        assert_int_equal(tlog_tree_hash(sizes[a], &hr, roots[a]), 0);
        assert_int_equal(tlog_leaves_hash((const hash_t *)big.leaves, sizes[a], want), 0);
        assert_memory_equal(roots[a], want, HASH_SHA256_LEN);
    }
    /* inclusion: a sample of indexes in every size */
    for (size_t a = 0; a < ns; a++) {
        uint64_t s = sizes[a];

        for (uint64_t i = 0; i < s; i += 1 + s / 40 + i % 7) {
            assert_int_equal(tlog_inclusion_prove(s, i, &hr, proof, &n), 0);
            assert_int_equal(
                tlog_inclusion_verify(s, i, big.leaves[i], (const hash_t *)proof, n, roots[a]), 0);
            incl++;
        }
        assert_int_equal(tlog_inclusion_prove(s, s - 1, &hr, proof, &n), 0);
        assert_int_equal(
            tlog_inclusion_verify(s, s - 1, big.leaves[s - 1], (const hash_t *)proof, n, roots[a]),
            0);
        incl++;
    }
    /* consistency between every pair of sizes */
    for (size_t a = 0; a < ns; a++) {
        for (size_t b = 0; b < ns; b++) {
            if (sizes[a] > sizes[b])
                continue;
            assert_int_equal(tlog_consistency_prove(sizes[a], sizes[b], &hr, proof, &n), 0);
            assert_int_equal(tlog_consistency_verify(sizes[a], sizes[b], roots[a], roots[b],
                                                     (const hash_t *)proof, n),
                             0);
            cons++;
        }
    }
    assert_true(incl > 500);
    assert_true(cons > 1000);
    tlog_tile_reader_free(reader);
    /* the same through a store without hint rows: every node computed from the tiles */
    {
        struct tlog_tile_source hintless = {hintless_read, big.ms};
        hash_t r;

        assert_int_equal(tlog_tile_reader_new(&hintless, 16, &reader), 0);
        hr = tlog_tile_reader_hashes(reader);
        for (size_t a = 0; a < ns; a++) {
            uint64_t s = sizes[a], i = (s * 7) / 9;

            assert_int_equal(tlog_tree_hash(s, &hr, r), 0);
            assert_memory_equal(r, roots[a], HASH_SHA256_LEN);
            assert_int_equal(tlog_inclusion_prove(s, i, &hr, proof, &n), 0);
            assert_int_equal(
                tlog_inclusion_verify(s, i, big.leaves[i], (const hash_t *)proof, n, roots[a]), 0);
            if (a > 0 && sizes[a - 1] <= s) {
                assert_int_equal(tlog_consistency_prove(sizes[a - 1], s, &hr, proof, &n), 0);
                assert_int_equal(tlog_consistency_verify(sizes[a - 1], s, roots[a - 1], roots[a],
                                                         (const hash_t *)proof, n),
                                 0);
            }
        }
        tlog_tile_reader_free(reader);
    }
}

/* A source over the big log that flips one byte of one tile. */
struct tamper {
    int level;
    uint64_t index;
    size_t offset;
    unsigned reads;
    bool no_hints; /* answer ERR_NOT_FOUND for hint rows, as a store without them */
};

static int tamper_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    struct tamper *tp = ctx;
    struct tlog_tile_source src = tlog_memstore_source(big.ms);
    int rc = src.read(src.ctx, t, data, len);

    tp->reads++;
    if (tp->no_hints && t->level >= TLOG_TILE_HINTS) {
        free(*data);
        *data = NULL;
        *len = 0;
        return ERR_NOT_FOUND;
    }
    if (rc == 0 && t->level == tp->level && t->index == tp->index && tp->offset < *len)
        (*data)[tp->offset] ^= 0x01;
    return rc;
}

/* Prove leaf @i in the full log through a reader over @tp; 0 when it verifies. */
static int tampered_proof(struct tamper *tp, uint64_t i, const uint8_t root[HASH_SHA256_LEN])
{
    struct tlog_tile_source src = {tamper_read, tp};
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    hash_t proof[TLOG_PROOF_MAX];
    size_t n;
    int rc;

    assert_int_equal(tlog_tile_reader_new(&src, 8, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    assert_int_equal(tlog_inclusion_prove(BIG, i, &hr, proof, &n), 0);
    rc = tlog_inclusion_verify(BIG, i, big.leaves[i], (const hash_t *)proof, n, root);
    tlog_tile_reader_free(reader);
    return rc;
}

/* Read leaf @i's hash through a reader over @tp and verify it at @i; 0 when it verifies. */
static int tampered_leaf(struct tamper *tp, uint64_t i, const uint8_t root[HASH_SHA256_LEN])
{
    struct tlog_tile_source src = {tamper_read, tp};
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    struct tlog_node node = {0, i};
    hash_t proof[TLOG_PROOF_MAX], leaf;
    size_t n;
    int rc;

    assert_int_equal(tlog_tile_reader_new(&src, 8, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    assert_int_equal(hr.read(hr.ctx, &node, 1, &leaf), 0);
    assert_int_equal(tlog_inclusion_prove(BIG, i, &hr, proof, &n), 0);
    rc = tlog_inclusion_verify(BIG, i, leaf, (const hash_t *)proof, n, root);
    tlog_tile_reader_free(reader);
    return rc;
}

/* A source whose hint rows are cut to one hash. */
static int short_hints_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    int rc = tamper_read(ctx, t, data, len);

    if (rc == 0 && t->level >= TLOG_TILE_HINTS)
        *len = HASH_SHA256_LEN;
    return rc;
}

static void test_big_tampering(void **state)
{
    struct tlog_tile_source good = tlog_memstore_source(big.ms);
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    hash_t root, bad_root;
    struct tamper tp;

    (void)state;
    assert_int_equal(tlog_tile_reader_new(&good, 8, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    assert_int_equal(tlog_tree_hash(BIG, &hr, root), 0);
    tlog_tile_reader_free(reader);

    /* a level 0 hash (leaf 17 of tile 5, in its block 1): the tampered hash does not verify as
       that leaf; the proofs that use it fail (leaf 16, its sibling); the leaf's own proof does
       not contain it and holds; proofs from other blocks take block 1 from the hint row and
       hold too, unless the store has no hints and the block is computed from the tile */
    tp = (struct tamper){0, 5, 17 * HASH_SHA256_LEN + 3, 0, false};
    assert_int_equal(tampered_leaf(&tp, 5 * 256 + 17, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 16, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 17, root), 0);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 200, root), 0);
    assert_int_equal(tampered_proof(&tp, 9000, root), 0); /* another tile: untouched */
    tp.no_hints = true;
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 200, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 3, root), ERR_CRYPTO);
    /* a hint (block 1 of tile 5): proofs from the blocks that see it as a sibling fail */
    tp = (struct tamper){TLOG_TILE_HINTS, 5, 1 * HASH_SHA256_LEN + 9, 0, false};
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 3, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 200, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 5 * 256 + 17, root), 0);
    /* and a malformed hint row is an error, not a silent fallback */
    tp = (struct tamper){TLOG_TILE_HINTS, 5, 0, 0, false};
    {
        struct tlog_tile_source src = {short_hints_read, &tp};
        hash_t proof[TLOG_PROOF_MAX];
        size_t n;

        assert_int_equal(tlog_tile_reader_new(&src, 8, &reader), 0);
        hr = tlog_tile_reader_hashes(reader);
        assert_int_equal(tlog_inclusion_prove(BIG, 5 * 256 + 200, &hr, proof, &n), ERR_INVALID);
        tlog_tile_reader_free(reader);
    }
    /* a level 1 hash (the root of level 0 tile 40): leaves in tiles 41 and 44 (same block of
       the level 1 tile) see it in a sibling; tile 200 takes that block from a hint */
    tp = (struct tamper){1, 0, 40 * HASH_SHA256_LEN, 0, false};
    assert_int_equal(tampered_proof(&tp, 41 * 256 + 7, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 44 * 256 + 1, root), ERR_CRYPTO);
    assert_int_equal(tampered_proof(&tp, 200 * 256, root), 0);
    /* the level 2 hash: every leaf past 65536, and the root itself */
    tp = (struct tamper){2, 0, 31, 0, false};
    assert_int_equal(tampered_proof(&tp, 69999, root), ERR_CRYPTO);
    {
        struct tlog_tile_source src = {tamper_read, &tp};

        assert_int_equal(tlog_tile_reader_new(&src, 8, &reader), 0);
        hr = tlog_tile_reader_hashes(reader);
        assert_int_equal(tlog_tree_hash(BIG, &hr, bad_root), 0);
        assert_memory_not_equal(bad_root, root, HASH_SHA256_LEN);
        tlog_tile_reader_free(reader);
    }
    /* the partial level 0 tile at the right edge: the root changes too */
    tp = (struct tamper){0, 273, 100 * HASH_SHA256_LEN + 31, 0, false};
    assert_int_equal(tampered_proof(&tp, 69999, root), ERR_CRYPTO);
    /* a bundle byte: the bundle no longer matches its tile */
    {
        const uint8_t *b, *t;
        size_t blen, tlen;
        unsigned w;
        uint8_t *copy;

        assert_int_equal(tlog_memstore_get(big.ms, TLOG_TILE_ENTRIES, 100, &b, &blen, &w), 0);
        assert_int_equal(tlog_memstore_get(big.ms, 0, 100, &t, &tlen, &w), 0);
        copy = malloc(blen);
        assert_non_null(copy);
        memcpy(copy, b, blen);
        copy[blen / 2] ^= 0x20;
        assert_int_not_equal(tlog_bundle_verify(copy, blen, t, tlen), 0);
        free(copy);
    }
}

/* ---- the tile reader's cache ---- */

static int counting_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    struct tamper *tp = ctx;
    struct tlog_tile_source src = tlog_memstore_source(big.ms);

    tp->reads++;
    return src.read(src.ctx, t, data, len);
}

static void test_reader_cache(void **state)
{
    struct tamper count = {-5, 0, 0, 0, false};
    struct tlog_tile_source src = {counting_read, &count};
    struct tlog_tile_reader *reader = NULL;
    struct tlog_hash_reader hr;
    hash_t a[TLOG_PROOF_MAX], b[TLOG_PROOF_MAX];
    size_t na, nb;
    unsigned first;

    (void)state;
    assert_int_equal(tlog_tile_reader_new(&src, 8, &reader), 0);
    hr = tlog_tile_reader_hashes(reader);
    assert_int_equal(tlog_inclusion_prove(BIG, 12345, &hr, a, &na), 0);
    first = count.reads;
    /* a level 0, a level 1 and a level 2 tile, and the right edge */
    assert_true(first >= 3 && first <= 8);
    assert_int_equal(tlog_inclusion_prove(BIG, 12345, &hr, b, &nb), 0);
    assert_int_equal(count.reads, first);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * HASH_SHA256_LEN);
    /* an older size reuses the wider cached tiles */
    assert_int_equal(tlog_inclusion_prove(BIG - 5, 12345, &hr, b, &nb), 0);
    assert_int_equal(count.reads, first);
    tlog_tile_reader_free(reader);
}

/* ---- appender errors ---- */

static int missing_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    (void)ctx;
    (void)t;
    *data = NULL;
    *len = 0;
    return ERR_NOT_FOUND;
}

/* Returns a tile of 33 bytes, or a bundle with a bad length. */
static int malformed_read(void *ctx, const struct tlog_tile *t, uint8_t **data, size_t *len)
{
    (void)ctx;
    *len = t->level == TLOG_TILE_ENTRIES ? 3 : 33;
    *data = calloc(1, *len);
    (*data)[0] = 0xff;
    return 0;
}

static void test_append_errors(void **state)
{
    struct tlog_tile_source missing = {missing_read, NULL}, malformed = {malformed_read, NULL};
    struct tlog_memstore *ms = NULL;
    struct tlog_update up;
    uint8_t *longest = calloc(1, TLOG_ENTRY_MAX + 1);
    struct tlog_view v = {longest, TLOG_ENTRY_MAX + 1}, ok = {(const uint8_t *)"x", 1};
    struct tlog_tile_source src;

    (void)state;
    assert_non_null(longest);
    /* an entry over 65535 bytes; the longest allowed is fine */
    assert_int_equal(tlog_append(0, &v, 1, &missing, &up), ERR_INVALID);
    assert_int_equal(up.count, 0);
    v.len = TLOG_ENTRY_MAX;
    assert_int_equal(tlog_append(0, &v, 1, &missing, &up), 0);
    assert_int_equal(up.count, 2);
    tlog_update_release(&up);
    /* nothing to append: nothing read, nothing written */
    assert_int_equal(tlog_append(5, &ok, 0, &missing, &up), 0);
    assert_int_equal(up.count, 0);
    assert_true(up.old_size == 5 && up.new_size == 5);
    /* sizes past the maximum */
    assert_int_equal(tlog_append(TLOG_SIZE_MAX, &ok, 1, &missing, &up), ERR_INVALID);
    /* the right edge missing or malformed */
    assert_int_equal(tlog_append(5, &ok, 1, &missing, &up), ERR_NOT_FOUND);
    assert_int_equal(up.count, 0);
    assert_int_equal(tlog_append(5, &ok, 1, &malformed, &up), ERR_INVALID);
    assert_int_equal(tlog_append(256, &ok, 1, &missing, &up), 0); /* a new tile: nothing read */
    tlog_update_release(&up);
    /* a store refuses an update made for another size */
    assert_int_equal(tlog_memstore_new(&ms), 0);
    src = tlog_memstore_source(ms);
    assert_int_equal(tlog_append(0, &ok, 1, &src, &up), 0);
    assert_int_equal(tlog_memstore_apply(ms, &up), 0);
    tlog_update_release(&up);
    assert_int_equal(tlog_append(0, &ok, 1, &src, &up), 0);
    assert_int_equal(tlog_memstore_apply(ms, &up), ERR_CONFLICT);
    tlog_update_release(&up);
    /* and an append from a stale size never reaches the store: the tiles it would extend are
       wider than that size says */
    for (int i = 0; i < 40; i++)
        assert_int_equal(tlog_memstore_append(ms, &ok, 1, NULL), 0);
    assert_int_equal(tlog_append(20, &ok, 1, &src, &up), ERR_CONFLICT);
    assert_int_equal(up.count, 0);
    assert_int_equal(tlog_append(16, &ok, 1, &src, &up), ERR_CONFLICT);
    assert_int_equal(tlog_append(41, &ok, 1, &src, &up), 0);
    tlog_update_release(&up);
    tlog_memstore_free(ms);
    free(longest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_vectors),
        cmocka_unit_test(test_path_strict),
        cmocka_unit_test(test_tile_widths),
        cmocka_unit_test(test_bundles),
        cmocka_unit_test(test_tessera_tiles),
        cmocka_unit_test(test_append_errors),
        cmocka_unit_test(test_big_shape),
        cmocka_unit_test(test_big_batching_invariant),
        cmocka_unit_test(test_big_roots_and_proofs),
        cmocka_unit_test(test_big_tampering),
        cmocka_unit_test(test_reader_cache),
    };

    if (random_init() != 0)
        return 1;
    /* one group (one TAP plan); its setup builds the 70,000-entry log the big tests share */
    return cmocka_run_group_tests(tests, big_setup, big_teardown);
}
