/*
 * audit.c - `dissent audit verify [--data DIR] [--db URI] [--config FILE]`: walk the read audit's
 * hash chain over the whole database; exit 0 when intact, 1 naming the first broken record.
 */
#include "cmd/cmd.h"

#include "core/audit.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

int cmd_audit(int argc, char **argv)
{
    static const char synopsis[] = "dissent audit verify [--data DIR] [--db URI] [--config FILE]";
    struct cmd_store_args sa = {0};
    const struct cmd_opt opts[] = {CMD_STORE_OPTS(&sa), {NULL, NULL, NULL, NULL, NULL, NULL}};
    char err[256] = "", **rest = NULL;
    struct config cfg;
    struct store *st = NULL;
    int64_t count = 0;
    int nrest = 0, rc;

    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 1 || strcmp(rest[0], "verify") != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((rc = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
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
