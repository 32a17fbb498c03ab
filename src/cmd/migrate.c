/*
 * migrate.c - `dissent migrate --from URI --to URI`: copy a whole channel from one database to
 * another (typically --from sqlite:var/dissent.db --to postgresql://...), every table as is:
 * ids, ciphertext, hashes, signed notes and the log's tiles byte for byte. The keys stay files in
 * the data directory and are not touched.
 *
 * The target must be empty (freshly migrated: no row anywhere, the log of size 0). The copy is one
 * transaction on each side (the source's keeps writers out, so the copy is a consistent snapshot;
 * stop the servers first anyway). Before the target commits, the row count of every table and the
 * log's size and Merkle root, recomputed from the tiles on each side, are compared; on any
 * mismatch the target rolls back and the command fails. Exit 0 copied and checked, 1 refused or
 * failed, 2 usage.
 */
#include "cmd/cmd.h"

#include "core/ledger.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char synopsis[] = "dissent migrate --from sqlite:PATH --to postgresql://...";

/* Where a dump's rows go: the target, and a count of rows written. */
struct copy_ctx {
    struct store *to; /* the target, in its transaction */
    size_t table;     /* the table being copied */
    int64_t rows;     /* rows written so far */
};

static int copy_row(void *ctx, const struct store_value *row, size_t n)
{
    struct copy_ctx *c = ctx;
    int rc = store_table_load(c->to, c->table, row, n);

    if (rc == 0)
        c->rows++;
    return rc;
}

/* 0 when @st holds no channel yet: no row in any table but the log's seeded size, which is 0;
 * else ERR_EXISTS (or ERR_DB), printed. */
static int check_empty(struct store *st)
{
    uint64_t size = 0;
    int64_t rows = 0;

    for (size_t t = 0; t < store_table_count(); t++) {
        if (store_table_seeded(t))
            continue;
        if (store_table_rows(st, t, &rows) != 0) {
            fprintf(stderr, "dissent migrate: cannot count the target's rows\n");
            return ERR_DB;
        }
        if (rows != 0) {
            fprintf(stderr,
                    "dissent migrate: refusing: the target database is not empty (%s has %" PRId64
                    " rows); migrate into a new, empty database\n",
                    store_table_name(t), rows);
            return ERR_EXISTS;
        }
    }
    if (store_tlog_size(st, &size) != 0 || size != 0) {
        fprintf(stderr, "dissent migrate: refusing: the target database already has a log\n");
        return ERR_EXISTS;
    }
    return 0;
}

/* Compare row counts and the log's root on both sides; print them; 0, or ERR_INTEGRITY when they
 * differ (printed), ERR_DB when they cannot be read. */
static int compare(struct store *from, struct store *to)
{
    uint8_t root_from[32], root_to[32];
    uint64_t size_from = 0, size_to = 0;
    int64_t a = 0, b = 0;
    int bad = 0;

    for (size_t t = 0; t < store_table_count(); t++) {
        if (store_table_rows(from, t, &a) != 0 || store_table_rows(to, t, &b) != 0) {
            fprintf(stderr, "dissent migrate: cannot count the rows of %s\n", store_table_name(t));
            return ERR_DB;
        }
        printf("  %-18s %8" PRId64 " rows%s\n", store_table_name(t), b, a == b ? "" : "  MISMATCH");
        if (a != b) {
            fprintf(stderr,
                    "FAILED: %s has %" PRId64 " rows in the source, %" PRId64 " in the target\n",
                    store_table_name(t), a, b);
            bad = 1;
        }
    }
    if (ledger_root(from, &size_from, root_from) != 0 || ledger_root(to, &size_to, root_to) != 0) {
        fprintf(stderr, "FAILED: cannot compute the log's root from the tiles\n");
        return ERR_DB;
    }
    if (size_from != size_to || memcmp(root_from, root_to, 32) != 0) {
        fprintf(stderr,
                "FAILED: the log differs: %" PRIu64 " entries in the source, %" PRIu64
                " in the target, or another root\n",
                size_from, size_to);
        bad = 1;
    } else {
        printf("  log: %" PRIu64 " entries, root ", size_to);
        for (int i = 0; i < 32; i++)
            printf("%02x", root_to[i]);
        printf(" on both sides\n");
    }
    return bad ? ERR_INTEGRITY : 0;
}

int cmd_migrate(int argc, char **argv)
{
    const char *from_uri = NULL, *to_uri = NULL;
    const struct cmd_opt opts[] = {
        {"from", "URI", "the channel's database (sqlite:PATH)", &from_uri, NULL, NULL},
        {"to", "URI", "an empty database to copy it into (postgresql://...)", &to_uri, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct store *from = NULL, *to = NULL;
    bool from_tx = false, to_tx = false;
    char err[512] = "", **rest = NULL;
    int nrest = 0, c, ret = 1;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 0 || from_uri == NULL || to_uri == NULL) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (strcmp(from_uri, to_uri) == 0) {
        fprintf(stderr, "dissent migrate: --from and --to name the same database\n");
        return 2;
    }
    if (store_open(from_uri, &from, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent migrate: source: %s\n", err);
        goto out;
    }
    if (store_open(to_uri, &to, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent migrate: target: %s\n", err);
        goto out;
    }
    if (store_begin(from) != 0) {
        fprintf(stderr, "dissent migrate: cannot lock the source\n");
        goto out;
    }
    from_tx = true;
    if (store_begin(to) != 0) {
        fprintf(stderr, "dissent migrate: cannot start a transaction on the target\n");
        goto out;
    }
    to_tx = true;
    if (check_empty(to) != 0)
        goto out;
    for (size_t t = 0; t < store_table_count(); t++) {
        struct copy_ctx ctx = {to, t, 0};
        int rc = store_table_dump(from, t, copy_row, &ctx);
        if (rc != 0) {
            fprintf(stderr, "dissent migrate: copying %s failed after %" PRId64 " rows (%s)\n",
                    store_table_name(t), ctx.rows, err_str(rc));
            goto out;
        }
    }
    if (store_load_finish(to) != 0) {
        fprintf(stderr, "dissent migrate: cannot advance the target's id sequences\n");
        goto out;
    }
    printf("copied, checking:\n");
    if (compare(from, to) != 0) {
        fprintf(stderr, "dissent migrate: nothing was written to the target\n");
        goto out;
    }
    to_tx = false;
    if (store_commit(to) != 0) {
        fprintf(stderr, "dissent migrate: the target did not commit; nothing was written\n");
        goto out;
    }
    printf("OK: migrated and checked\n");
    ret = 0;
out:
    if (to_tx)
        store_rollback(to);
    if (from_tx)
        store_rollback(from);
    store_close(to);
    store_close(from);
    return ret;
}
