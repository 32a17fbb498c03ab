/*
 * outbox.c - `dissent outbox [--limit N] [--data DIR] [--db URI] [--config FILE]`: the email
 * outbox's newest rows, status only (as GET /api/v1/outbox): never a kind, a recipient, a
 * subject, a body or an address.
 *
 *   ID  STATUS  ATTEMPTS  NEXT-ATTEMPT  CREATED  SENT
 *
 * Times are UTC (ISO 8601), "-" when unset.
 */
#include "cmd/cmd.h"

#include "util/err.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define OUTBOX_LIMIT_MAX 10000

/* @t as "YYYY-MM-DDTHH:MM:SSZ", or "-" when 0. */
static const char *when(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
        return "-";
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static const char *status_name(int status)
{
    return status == STORE_OUTBOX_SENT     ? "sent"
           : status == STORE_OUTBOX_FAILED ? "failed"
                                           : "pending";
}

int cmd_outbox(int argc, char **argv)
{
    static const char synopsis[] =
        "dissent outbox [--limit N] [--data DIR] [--db URI] [--config FILE]";
    struct cmd_store_args sa = {0};
    const char *limit_arg = NULL;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"limit", "N", "the newest N rows (1 to 10000, default 100)", &limit_arg, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char t1[24], t2[24], t3[24], **rest = NULL;
    struct outbox_item *items = NULL;
    struct config cfg;
    struct store *st = NULL;
    int64_t limit = 100;
    size_t n = 0;
    int nrest = 0, rc;

    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (limit_arg != NULL && str_parse_i64(limit_arg, 1, OUTBOX_LIMIT_MAX, &limit) != 0) {
        fprintf(stderr, "dissent: --limit must be 1 to %d\n", OUTBOX_LIMIT_MAX);
        return 2;
    }
    if ((rc = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return rc;
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    rc = store_outbox_list(st, 0, (int)limit, &items, &n);
    store_close(st);
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot read the outbox\n");
        return 1;
    }
    /* status only: an email's kind and recipient would tell who drafted or co-signed what */
    printf("%-8s %-8s %-8s %-20s %-20s %s\n", "ID", "STATUS", "ATTEMPTS", "NEXT-ATTEMPT", "CREATED",
           "SENT");
    for (size_t i = 0; i < n; i++) {
        const struct outbox_item *it = &items[i];
        printf("%-8lld %-8s %-8d %-20s %-20s %s\n", (long long)it->id, status_name(it->status),
               it->attempts,
               it->status == STORE_OUTBOX_PENDING ? when(it->next_at, t1, sizeof(t1)) : "-",
               when(it->created_at, t2, sizeof(t2)), when(it->sent_at, t3, sizeof(t3)));
    }
    store_outbox_list_free(items, n);
    return 0;
}
