/*
 * fuzz_tile_path.c - the tlog-tiles side of /log/{*path} and of `dissent log verify`
 * (tlog/tile.c, core/ledger.c): the input as a tile or bundle path (canonical encoding only,
 * so formatting what parsed gives the input back), as an entry bundle, and as a log entry
 * (canonical too).
 */
#include "fuzz.h"

#include "core/ledger.h"
#include "tlog/tile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static void path(const uint8_t *data, size_t size)
{
    static const uint64_t sizes[] = {0, 1, 255, 256, 257, 70000, UINT64_C(1) << 40, UINT64_MAX};
    char *p = fuzz_cstr(data, size), back[TLOG_TILE_PATH_MAX];
    struct tlog_tile t;

    if (tlog_tile_path_parse(p, size, &t) == 0) {
        if (tlog_tile_path_format(&t, back, sizeof(back)) != 0 || strlen(back) != size ||
            memcmp(back, p, size) != 0)
            abort();
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            if (tlog_tile_width(t.level, t.index, sizes[i]) > TLOG_TILE_WIDTH)
                abort();
    }
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlog_view entries[TLOG_TILE_WIDTH];
    struct ledger_entry e;
    size_t n = 0;

    path(data, size);
    if (tlog_bundle_split(data, size, entries, &n) == 0) {
        if (n < 1 || n > TLOG_TILE_WIDTH)
            abort();
        for (size_t i = 0; i < n; i++)
            if (entries[i].data < data || entries[i].data + entries[i].len > data + size)
                abort();
    }
    if (ledger_entry_parse((const char *)data, size, &e) == 0) {
        char back[LEDGER_ENTRY_MAX];
        size_t len = 0;
        if (ledger_entry_format(&e, back, &len) != 0 || len != size || memcmp(back, data, size))
            abort();
    }
    return 0;
}
