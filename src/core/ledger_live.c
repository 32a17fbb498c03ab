/*
 * ledger_live.c - the live transparency log, in the database's tile table (one row per tile at
 * its widest), appended to inside the transactions of the changes it records, and its signed
 * checkpoints.
 */
#include "core/ledger.h"

#include "core/channel.h"

#include "store/store.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/proof.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define LEDGER_READER_CACHE 64 /* tiles a reader keeps expanded */

static int db_read(void *ctx, const struct tlog_tile *tile, uint8_t **data, size_t *len)
{
    unsigned width = 0;

    return store_tlog_tile_get(ctx, tile->level, tile->index, data, len, &width);
}

static struct tlog_tile_source source(struct store *st)
{
    return (struct tlog_tile_source){db_read, st};
}

int ledger_append(struct store *st, const char *entry, size_t len, uint64_t *index)
{
    struct tlog_tile_source src = source(st);
    struct tlog_view view = {(const uint8_t *)entry, len};
    struct tlog_update up;
    uint64_t size = 0;
    int rc;

    memset(&up, 0, sizeof(up));
    if ((rc = store_tlog_size(st, &size)) != 0 || (rc = tlog_append(size, &view, 1, &src, &up)))
        goto out;
    for (size_t i = 0; i < up.count && rc == 0; i++)
        rc = store_tlog_tile_put(st, up.tiles[i].tile.level, up.tiles[i].tile.index,
                                 up.tiles[i].tile.width, up.tiles[i].data, up.tiles[i].len);
    if (rc == 0)
        rc = store_tlog_set_size(st, up.new_size);
    if (rc == 0)
        *index = size;
out:
    tlog_update_release(&up);
    return rc;
}

/* The root of the tree of @size entries. */
static int root_at(struct store *st, uint64_t size, uint8_t root[TLOG_HASH_LEN])
{
    struct tlog_tile_source src = source(st);
    struct tlog_tile_reader *r = NULL;
    struct tlog_hash_reader hr;
    int rc;

    if ((rc = tlog_tile_reader_new(&src, LEDGER_READER_CACHE, &r)) != 0)
        return rc;
    hr = tlog_tile_reader_hashes(r);
    rc = tlog_tree_hash(size, &hr, root);
    tlog_tile_reader_free(r);
    return rc;
}

int ledger_root(struct store *st, uint64_t *size, uint8_t root[32])
{
    int rc;

    *size = 0;
    if ((rc = store_tlog_size(st, size)) == 0)
        rc = root_at(st, *size, root);
    if (rc != 0) {
        *size = 0;
        memset(root, 0, 32);
    }
    return rc;
}

int ledger_checkpoint(struct store *st, const struct note_skey *key, const char *origin,
                      int64_t now, char **text, uint64_t *size)
{
    struct tlog_checkpoint cp;
    uint64_t have = 0, cur = 0;
    char *latest = NULL;
    size_t len = 0;
    int rc;

    *text = NULL;
    *size = 0;
    rc = store_tlog_checkpoint_latest(st, &have, &latest);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    if ((rc = store_tlog_size(st, &cur)) != 0)
        goto out;
    if (latest != NULL && have >= cur) {
        *text = latest;
        *size = have;
        return 0;
    }
    /* Tiles only grow by appending, so reading them after a later append still gives the root
     * of the first @cur entries. */
    memset(&cp, 0, sizeof(cp));
    cp.origin = origin;
    cp.origin_len = strlen(origin);
    cp.size = cur;
    if ((rc = root_at(st, cur, cp.root)) != 0 ||
        (rc = tlog_checkpoint_sign(&cp, key, text, &len)) != 0 ||
        (rc = store_tlog_checkpoint_put(st, cur, *text, now)) != 0)
        goto out;
    *size = cur;
out:
    mem_free(latest);
    if (rc != 0) {
        mem_free(*text);
        *text = NULL;
    }
    return rc;
}

int ledger_entry_get(struct store *st, uint64_t index, uint8_t **out, size_t *len)
{
    struct tlog_view entries[TLOG_TILE_WIDTH];
    uint8_t *bundle = NULL;
    size_t blen = 0, n = 0;
    uint64_t size = 0;
    unsigned width = 0;
    int rc;

    *out = NULL;
    *len = 0;
    if ((rc = store_tlog_size(st, &size)) != 0)
        return rc;
    if (index >= size)
        return ERR_NOT_FOUND;
    if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, index / TLOG_TILE_WIDTH, &bundle, &blen,
                                  &width)) != 0)
        return rc;
    if ((rc = tlog_bundle_split(bundle, blen, entries, &n)) == 0) {
        size_t k = index % TLOG_TILE_WIDTH;
        if (k >= n) {
            rc = ERR_CRYPTO;
        } else if ((*out = mem_alloc(entries[k].len + 1)) == NULL) {
            rc = ERR_NOMEM;
        } else {
            memcpy(*out, entries[k].data, entries[k].len);
            *len = entries[k].len;
        }
    }
    mem_free(bundle);
    return rc;
}

int ledger_proof(struct store *st, const char *checkpoint, uint64_t index, char **out,
                 size_t *outlen)
{
    struct tlog_tile_source src = source(st);
    struct tlog_tile_reader *r = NULL;
    struct tlog_hash_reader hr;
    int rc;

    *out = NULL;
    *outlen = 0;
    if ((rc = tlog_tile_reader_new(&src, LEDGER_READER_CACHE, &r)) != 0)
        return rc;
    hr = tlog_tile_reader_hashes(r);
    rc = tlog_proof_create(checkpoint, strlen(checkpoint), index, &hr, NULL, 0, out, outlen);
    tlog_tile_reader_free(r);
    return rc;
}

int ledger_tile(struct store *st, const char *path, uint8_t **out, size_t *len, bool *full)
{
    struct tlog_view entries[TLOG_TILE_WIDTH];
    struct tlog_tile t;
    uint8_t *data = NULL;
    size_t dlen = 0, n = 0, cut = 0;
    uint64_t size = 0;
    unsigned stored = 0, max;
    int rc;

    *out = NULL;
    *len = 0;
    *full = false;
    if (tlog_tile_path_parse(path, strlen(path), &t) != 0)
        return ERR_INVALID;
    if ((rc = store_tlog_size(st, &size)) != 0)
        return rc;
    max = tlog_tile_width(t.level, t.index, size);
    if (t.width == 0 || t.width > max)
        return ERR_NOT_FOUND;
    if ((rc = store_tlog_tile_get(st, t.level, t.index, &data, &dlen, &stored)) != 0)
        return rc;
    if (stored < t.width) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (t.level == TLOG_TILE_ENTRIES) {
        if ((rc = tlog_bundle_split(data, dlen, entries, &n)) != 0 || n < t.width) {
            rc = ERR_CRYPTO;
            goto out;
        }
        cut = (size_t)(entries[t.width - 1].data + entries[t.width - 1].len - data);
    } else {
        cut = (size_t)t.width * TLOG_HASH_LEN;
        if (cut > dlen) {
            rc = ERR_CRYPTO;
            goto out;
        }
    }
    *out = data;
    *len = cut;
    *full = t.width == TLOG_TILE_WIDTH;
    data = NULL;
out:
    mem_free(data);
    return rc;
}

int ledger_entries_load(struct store *st, struct ledger_entry **out, size_t *count)
{
    struct ledger_entry *arr = NULL;
    uint64_t size = 0;
    size_t n = 0;
    int rc;

    *out = NULL;
    *count = 0;
    if ((rc = store_tlog_size(st, &size)) != 0)
        return rc;
    if (size == 0)
        return 0;
    if (size > SIZE_MAX / sizeof(*arr) || (arr = mem_calloc((size_t)size, sizeof(*arr))) == NULL)
        return ERR_NOMEM;
    for (uint64_t tile = 0; n < size && rc == 0; tile++) {
        struct tlog_view entries[TLOG_TILE_WIDTH];
        uint8_t *bundle = NULL;
        size_t blen = 0, m = 0;
        unsigned width = 0;
        if ((rc = store_tlog_tile_get(st, TLOG_TILE_ENTRIES, tile, &bundle, &blen, &width)) != 0)
            break;
        if ((rc = tlog_bundle_split(bundle, blen, entries, &m)) == 0) {
            for (size_t k = 0; k < m && n < size && rc == 0; k++, n++)
                if (ledger_entry_parse((const char *)entries[k].data, entries[k].len, &arr[n]) != 0)
                    rc = ERR_CRYPTO;
        }
        mem_free(bundle);
    }
    if (rc != 0) {
        mem_free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

int ledger_account_event(struct store *st, const struct user *u, enum ledger_event e, int64_t now)
{
    char text[LEDGER_ENTRY_MAX];
    struct ledger_entry le;
    uint64_t index;
    size_t len = 0;
    int rc;

    if (!ledger_event_account(e))
        return ERR_INVALID;
    if (!u->has_log_tag)
        return ERR_INTERNAL;
    memset(&le, 0, sizeof(le));
    le.event = e;
    memcpy(le.tag, u->log_tag, sizeof(le.tag));
    le.day = channel_today(now);
    le.ack_due = le.reply_due = -1;
    if ((rc = ledger_entry_format(&le, text, &len)) != 0)
        return rc;
    return ledger_append(st, text, len, &index);
}
