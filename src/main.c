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

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("dissent 0.1.0\n");
#ifdef DISSENT_FAULTS
    printf("fault switches: compiled in (a test build: never serve a channel with it)\n");
#endif
    return 0;
}

/* The commands, git-style: `dissent NAME ARGS`; the usage below is made from this table. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"serve", cmd_serve, "run the HTTP server"},
    {"user", cmd_user, "add, list or disable accounts"},
    {"audit", cmd_audit, "verify the read audit's hash chain"},
    {"trust", cmd_trust, "adopt the database as it is (after a deliberate change)"},
    {"channel", cmd_channel,
     "the deployment's channels (list, add, set); the channel key (init) and its grants (grant)"},
    {"verify", cmd_verify, "check a memo bundle offline (dissent verify BUNDLE.json)"},
    {"log", cmd_log, "build a static transparency log, print the log key, audit a log"},
    {"migrate", cmd_migrate, "copy a channel to another database (SQLite to PostgreSQL)"},
    {"routes", cmd_routes, "print the API's route table (roles, flags, relations)"},
    {"outbox", cmd_outbox, "list the email outbox (status only)"},
    {"directory", cmd_directory, "keep the accounts in step with the LDAP directory (sync)"},
    {"export", cmd_export, "export filed memos for production, signed (tar)"},
    {"records", cmd_records, "run the retention schedule now (sweep [--dry-run])"},
    {"witness", cmd_witness, "run a transparency log witness (key, serve)"},
    {"backup", cmd_backup, "back up the data directory and the database while the server runs"},
    {"restore", cmd_restore, "restore a backup into a new data directory (and database)"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent COMMAND [ARGS]\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "Run 'dissent COMMAND --help' for a command's options.\n");
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
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dissent: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
