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

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr, "usage: dissent trust adopt [--data DIR] [--db URI] [--config FILE] "
                    "[--replace-pin]\n");
}

int cmd_trust(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"db", required_argument, NULL, 'D'},
                                         {"replace-pin", no_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    bool replace_pin = false;
    const char *config = NULL, *data = NULL, *db = NULL;
    struct config cfg;
    struct store *st = NULL;
    int c, rc;

    if (argc < 2 || strcmp(argv[1], "adopt") != 0) {
        usage();
        return 2;
    }
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c')
            config = optarg;
        else if (c == 'd')
            data = optarg;
        else if (c == 'D')
            db = optarg;
        else if (c == 'r')
            replace_pin = true;
        else {
            usage();
            return 2;
        }
    }
    if (optind != argc) {
        usage();
        return 2;
    }
    if ((rc = cmd_config_for_store(&cfg, config, data, db)) != 0)
        return rc;
    if (cmd_store_adopt(&cfg, &st, replace_pin) != 0)
        return 1;
    store_close(st);
    printf("adopted the database as it is: its rows carry this data directory's integrity MACs, "
           "its channel key is pinned, and every session ended\n");
    return 0;
}
