/*
 * main.c - the one `dissent` binary: dispatch to a subcommand (src/cmd/, one file each).
 */
#include "cmd/cmd.h"
#include "crypto/random.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent COMMAND [ARGS]\n"
               "commands:\n"
               "  serve      run the HTTP server\n"
               "  user       add, list or disable accounts\n"
               "  verify     check a memo bundle offline (dissent verify BUNDLE.json)\n"
               "  version    print the version\n"
               "Run 'dissent COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    /* Every file we create (database, WAL, keys) is private to the service account. */
    umask(077);
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
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
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
