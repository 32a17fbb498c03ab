/*
 * main.c - the one `dissent` binary: dispatch to a subcommand (src/cmd/, one file each).
 */
#include "cmd/cmd.h"
#include "crypto/random.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent COMMAND [ARGS]\n"
               "commands:\n"
               "  serve      run the HTTP server\n"
               "  user       add, list or disable accounts\n"
               "  audit      verify the read audit's hash chain\n"
               "  trust      adopt the database as it is (after a deliberate change)\n"
               "  channel    grant an officer access to the channel key\n"
               "  verify     check a memo bundle offline (dissent verify BUNDLE.json)\n"
               "  log        build a static transparency log, print the log key\n"
               "  migrate    copy a channel to another database (SQLite to PostgreSQL)\n"
               "  routes     print the API's route table (roles, flags, relations)\n"
               "  outbox     list the email outbox (status only)\n"
               "  version    print the version\n"
               "Run 'dissent COMMAND --help' for a command's options.\n");
}

/*
 * Keys and decrypted content pass through this process's memory: never let it reach a core
 * file. Key buffers are sodium_malloc'd (MADV_DONTDUMP); beyond that, no core dumps at all, and
 * the process is not dumpable (no ptrace by other processes of the same user). The sanitizer
 * build keeps it dumpable because LeakSanitizer stops the process through ptrace.
 */
static void no_core_dumps(void)
{
    struct rlimit none = {0, 0};

    setrlimit(RLIMIT_CORE, &none);
#if !defined(__SANITIZE_ADDRESS__)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int main(int argc, char **argv)
{
    /* Every file we create (database, WAL, keys) is private to the service account. */
    umask(077);
    no_core_dumps();
    mem_install();
    if (random_init() != 0) {
        fprintf(stderr, "dissent: cannot initialise libsodium\n");
        return 1;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "user") == 0)
        return cmd_user(argc - 1, argv + 1);
    if (strcmp(argv[1], "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(argv[1], "trust") == 0)
        return cmd_trust(argc - 1, argv + 1);
    if (strcmp(argv[1], "channel") == 0)
        return cmd_channel(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "log") == 0)
        return cmd_log(argc - 1, argv + 1);
    if (strcmp(argv[1], "migrate") == 0)
        return cmd_migrate(argc - 1, argv + 1);
    if (strcmp(argv[1], "routes") == 0)
        return cmd_routes(argc - 1, argv + 1);
    if (strcmp(argv[1], "outbox") == 0)
        return cmd_outbox(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("dissent 0.1.0\n");
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dissent: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
