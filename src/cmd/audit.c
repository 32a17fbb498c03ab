/*
 * audit.c - `dissent audit verify [--data DIR] [--db URI] [--config FILE]`: walk the read audit's
 * hash chain over the whole database; exit 0 when intact, 1 naming the first broken record.
 */
#include "cmd/cmd.h"

#include "core/audit.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr, "usage: dissent audit verify [--data DIR] [--db URI] [--config FILE]\n");
}

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"db", required_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL, *data = NULL, *db = NULL;
    char err[256] = "";
    struct config cfg;
    struct store *st = NULL;
    int64_t count = 0;
    int c, rc;

    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
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
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    rc = audit_verify(st, &count, err, sizeof(err));
    store_close(st);
    if (rc == ERR_CRYPTO) {
        fprintf(stderr, "FAILED: the audit chain is broken: %s\n", err);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot read the audit records\n");
        return 1;
    }
    printf("OK: %lld audit records, chain intact\n", (long long)count);
    return 0;
}
