/*
 * trust.c - `dissent trust adopt [--data DIR] [--db URI] [--config FILE]`, the server stopped:
 * adopt the database as it is now (core/trust.h): every row gets its integrity MAC under the key
 * of this data directory's channel.skey, every account's keys are bound, the channel key the
 * database holds is pinned in channel.pin, and the log is adopted when there is no log.state.
 * For an operator who holds the key files and changed the database on purpose, or who moved a
 * database to a data directory that never held it. Every session ends. When a pin exists and
 * the database holds another channel key, nothing is adopted without --replace-pin.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

int cmd_trust(int argc, char **argv)
{
    static const char synopsis[] =
        "dissent trust adopt [--data DIR] [--db URI] [--config FILE] [--replace-pin]";
    struct cmd_store_args sa = {0};
    bool replace_pin = false;
    const struct cmd_opt opts[] = {CMD_STORE_OPTS(&sa),
                                   {"replace-pin", NULL,
                                    "pin the database's channel key even if another one is pinned",
                                    NULL, &replace_pin, NULL},
                                   {NULL, NULL, NULL, NULL, NULL, NULL}};
    char **rest = NULL;
    struct config cfg;
    struct store *st = NULL;
    int nrest = 0, rc;

    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 1 || strcmp(rest[0], "adopt") != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((rc = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return rc;
    if (cmd_store_adopt(&cfg, &st, replace_pin) != 0)
        return 1;
    store_close(st);
    printf("adopted the database as it is: its rows carry this data directory's integrity MACs, "
           "its channel key is pinned, and every session ended\n");
    return 0;
}
