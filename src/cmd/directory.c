/*
 * directory.c - `dissent directory sync [--dry-run] [--force]`: bring the accounts in step with
 * the LDAP directory of [directory] (core/directory.h), once, printing each change:
 *
 *   create alice (staff), pending enrolment
 *   update bob: display name, email
 *   roles carol: staff -> officer, staff
 *   disable dave: no longer in the directory
 *   keep erin: no longer in the directory, but the last officer holding the channel key
 *
 * and a summary. --dry-run changes nothing and prints what would change. Exit status: 0 done,
 * 1 the directory cannot be read (nothing changed) or another failure, 2 usage, 3 refused: it
 * would disable more than [directory] max_disable percent of the accounts it keeps (nothing
 * changed; --force does it anyway).
 */
#include "cmd/cmd.h"

#include "core/directory.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void print_line(void *arg, const char *text)
{
    fprintf(arg, "%s\n", text);
}

int cmd_directory(int argc, char **argv)
{
    static const char synopsis[] = "dissent directory sync [--dry-run] [--force] [--config FILE] "
                                   "[--data DIR] [--db URI]";
    struct cmd_store_args sa = {0};
    bool dry = false, force = false;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"dry-run", NULL, "print what would change, and change nothing", NULL, &dry, NULL},
        {"force", NULL, "disable accounts even over [directory] max_disable", NULL, &force, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct directory_report rep = {.line = print_line, .arg = stdout};
    char err[700], **rest = NULL;
    struct config cfg;
    struct store *st = NULL;
    int nrest = 0, rc;

    if (argc < 2 || strcmp(argv[1], "sync") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            printf("usage: %s\n", synopsis);
            return 0;
        }
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((rc = cmd_parse(synopsis, opts, argc, argv, 2, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((rc = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return rc;
    if (!directory_enabled(&cfg)) {
        fprintf(stderr, "dissent: no directory: set [directory] url (docs/config.md)\n");
        return 1;
    }
    if (directory_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        return 1;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    err[0] = '\0';
    rc = directory_sync(st, &cfg, dry, force, (int64_t)time(NULL), &rep, err, sizeof(err));
    store_close(st);
    if (rc == ERR_STATE) {
        fprintf(stderr, "dissent: refused: %s\n", err);
        return 3;
    }
    if (rc != 0) {
        fprintf(stderr, "dissent: %s\n", err[0] ? err : err_str(rc));
        return 1;
    }
    printf("%s%d people in the directory: %d created, %d updated, %d role changes, %d "
           "disabled, %d kept as they were, %d entries skipped\n",
           dry ? "dry run (nothing changed): " : "", rep.people, rep.created, rep.updated,
           rep.roles, rep.disabled, rep.kept, rep.skipped);
    return 0;
}
