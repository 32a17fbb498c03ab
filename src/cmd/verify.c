/*
 * verify.c - `dissent verify BUNDLE.json`: check a memo bundle offline (core/bundle.h).
 *
 *   dissent verify BUNDLE.json     ("-" reads standard input)
 *
 * Prints "OK: memo ID, digest B64, N valid signatures (alice, bob)" and exits 0, or prints
 * "FAILED: reason" on stderr and exits 1; usage errors exit 2. Needs no server, no database
 * and no configuration.
 */
#include "cmd/cmd.h"

#include "core/bundle.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent verify BUNDLE.json\n"
               "Check a memo bundle offline: its canonical text, digest and every co-signature.\n"
               "BUNDLE.json may be '-' for standard input. Exit status: 0 valid, 1 not valid,\n"
               "2 usage error.\n");
}

/*
 * Read all of @f into a malloc'd buffer, refusing more than @cap bytes. Returns 0, ERR_IO,
 * ERR_TOO_LARGE or ERR_NOMEM.
 */
static int file_read(FILE *f, size_t cap, char **out, size_t *outlen)
{
    char *buf = NULL, *grown;
    size_t len = 0, size = 0, n;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    for (;;) {
        if (len == size) {
            /* one byte past the cap tells "exactly cap" from "more than cap" */
            size_t want = size == 0 ? 64 * 1024 : size * 2;

            if (size > cap) {
                rc = ERR_TOO_LARGE;
                goto out;
            }
            if (want > cap + 1)
                want = cap + 1;
            grown = realloc(buf, want);
            if (grown == NULL) {
                rc = ERR_NOMEM;
                goto out;
            }
            buf = grown;
            size = want;
        }
        n = fread(buf + len, 1, size - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = ERR_IO;
        goto out;
    }
    if (len > cap) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    *out = buf;
    *outlen = len;
    buf = NULL;
out:
    free(buf);
    return rc;
}

/* Print the success line: memo, digest and every signer in order. */
static void report_ok(const struct bundle *b)
{
    printf("OK: memo %.*s, digest %.*s, %zu valid signature%s (", (int)b->memo_id.len, b->memo_id.s,
           (int)b->digest.len, b->digest.s, b->nsigners, b->nsigners == 1 ? "" : "s");
    for (size_t i = 0; i < b->nsigners; i++)
        printf("%s%.*s", i == 0 ? "" : ", ", (int)b->signers[i].len, b->signers[i].s);
    printf(")\n");
    if (b->has_receipt)
        printf("note: the bundle's receipt was not checked (not supported by this version)\n");
}

int cmd_verify(int argc, char **argv)
{
    struct bundle b = {0};
    enum bundle_fault fault = BUNDLE_OK;
    char err[1024] = "";
    const char *path;
    char *doc = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int rc, status = 1;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        usage(stderr);
        return 2;
    }
    path = argv[1];
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "FAILED: cannot open %s: %s\n", path, strerror(errno));
        goto out;
    }
    rc = file_read(f, BUNDLE_MAX_SIZE, &doc, &len);
    if (rc == ERR_TOO_LARGE) {
        fprintf(stderr, "FAILED: bundle too large: more than %u bytes\n", BUNDLE_MAX_SIZE);
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "FAILED: cannot read %s: %s\n", path, err_str(rc));
        goto out;
    }
    rc = bundle_parse(doc, len, &b, &fault, err, sizeof(err));
    if (rc == 0)
        rc = bundle_check(&b, &fault, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "FAILED: %s\n", err[0] ? err : err_str(rc));
        goto out;
    }
    report_ok(&b);
    status = 0;
out:
    if (f != NULL && f != stdin)
        fclose(f);
    bundle_release(&b);
    free(doc);
    return status;
}
