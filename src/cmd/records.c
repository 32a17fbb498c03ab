/*
 * records.c - `dissent records sweep [--dry-run]`: run the retention schedule now
 * (core/records.h), as the leading server does every hour; with --dry-run, list what it would
 * shred and when, and what a legal hold keeps, and change nothing.
 */
#include "cmd/cmd.h"

#include "core/channel.h"
#include "core/memo.h"
#include "core/records.h"
#include "core/workdays.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

static const char synopsis[] =
    "dissent records sweep [--dry-run] [--data DIR] [--db URI] [--config FILE]\n"
    "Crypto-shred the memos whose retention ([records] retain_*) has ended and that no legal\n"
    "hold covers. --dry-run lists every memo the schedule keeps an eye on (when it is due,\n"
    "whether it is held) and changes nothing.";

int cmd_records(int argc, char **argv)
{
    struct cmd_store_args sa = {0};
    bool dry = false;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"dry-run", NULL, "list what would be shredded and when; change nothing", NULL, &dry, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct config cfg;
    struct channel ch;
    struct store *st = NULL;
    struct records_item *items = NULL;
    char **rest = NULL, err[256], day[WORKDAYS_ISO_SIZE], due[WORKDAYS_ISO_SIZE];
    size_t n = 0, shredded = 0, listed = 0;
    int64_t now, today;
    int nrest = 0, c, rc = 1;

    memset(&ch, 0, sizeof(ch));
    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 1 || strcmp(rest[0], "sweep") != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((c = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return c;
    if (channel_init(&ch, &cfg, cfg.data_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent records: %s\n", err);
        return 1;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    now = channel_now(&ch);
    today = channel_today(now);
    if (!dry) {
        if ((c = records_sweep(st, &cfg, now, &shredded)) != 0) {
            fprintf(stderr, "dissent records: %s\n",
                    c == ERR_INTEGRITY ? "the legal holds, the log or a memo fail their checks "
                                         "(changed outside Dissent; the reason is logged above): "
                                         "nothing was shredded"
                                       : err_str(c));
            goto out;
        }
        printf("shredded %zu memo%s\n", shredded, shredded == 1 ? "" : "s");
        rc = 0;
        goto out;
    }
    if ((c = records_schedule(st, &cfg, now, &items, &n)) != 0) {
        fprintf(stderr, "dissent records: %s\n", err_str(c));
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct records_item *it = &items[i];
        if (it->due < 0 && !it->held)
            continue;
        workdays_day_format(it->final, day, sizeof(day));
        if (it->due >= 0)
            workdays_day_format(it->due, due, sizeof(due));
        printf("%s %-9s final %s, %s%s%s%s\n", it->id, memo_state_name((enum memo_state)it->state),
               day,
               it->due < 0        ? "kept"
               : it->due <= today ? "due now ("
                                  : "due ",
               it->due < 0 ? "" : due, it->due >= 0 && it->due <= today ? ")" : "",
               it->held ? ", held: kept while the hold lasts" : "");
        listed++;
    }
    printf("%zu of %zu memos in the schedule; nothing was changed (dry run)\n", listed, n);
    rc = 0;
out:
    mem_free(items);
    store_close(st);
    channel_release(&ch);
    return rc;
}
