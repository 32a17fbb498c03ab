/*
 * verify.c - `dissent verify FILE`: check a memo bundle (core/bundle.h) or a filing receipt
 * (core/receipt.h) offline.
 *
 *   dissent verify BUNDLE.json [--vkey VKEY] [--attachments DIR]
 *   dissent verify RECEIPT.json --vkey VKEY [--text MEMO.txt]
 *
 * FILE may be "-" (standard input). Which of the two it is comes from its "format" member. VKEY
 * is the log's verifier key, or the path of a file holding it. A bundle prints "OK: memo ID,
 * digest B64, N valid signatures (alice, bob)"; with --vkey, a receipt inside the bundle is
 * checked against the bundle's text too. A receipt prints "OK: receipt for memo tag T, filed on
 * DATE, entry N of a log of size S (origin O)"; --text checks that the memo's canonical text is
 * the one committed to. --attachments checks the files a memo's text lists (dissent-memo/v2)
 * against the files of those names in DIR: their sizes and SHA-256s. Failures print "FAILED:
 * reason" on stderr and exit 1; usage errors exit
 * 2. Needs no server, no database and no configuration.
 */
#include "cmd/cmd.h"

#include "core/bundle.h"
#include "core/memo.h"
#include "crypto/hash.h"
#include "crypto/sha.h"
#include "core/receipt.h"
#include "core/workdays.h"
#include "crypto/note.h"
#include "util/err.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define TEXT_MAX (BUNDLE_MAX_SIZE) /* longest memo text accepted by --text, bytes */

static const char synopsis[] =
    "dissent verify BUNDLE.json [--vkey VKEY] [--attachments DIR]\n"
    "       dissent verify RECEIPT.json --vkey VKEY [--text MEMO.txt]\n"
    "Check offline a memo bundle (its canonical text, digest and every co-signature)\n"
    "or a filing receipt (its inclusion in the transparency log whose verifier key is\n"
    "VKEY, given as the key itself or a file holding it). --text checks that\n"
    "MEMO.txt, the memo's canonical text exactly as in its bundle, is the text the\n"
    "receipt commits to; with --vkey, a receipt inside a bundle is checked too.\n"
    "--attachments checks the files the memo's text lists against the files of\n"
    "those names in DIR (size and SHA-256).\n"
    "The file may be '-' for standard input. Exit status: 0 valid, 1 not valid,\n"
    "2 usage error.";

/* Read the file @path ("-": standard input) into *@out, printing why it failed. */
static int path_read(const char *path, size_t cap, const char *what, char **out, size_t *len)
{
    int rc = cmd_file_read(path, cap, out, len);

    if (rc == ERR_TOO_LARGE)
        fprintf(stderr, "FAILED: %s too large: more than %zu bytes\n", what, cap);
    else if (rc == ERR_NOT_FOUND || rc == ERR_IO)
        fprintf(stderr, "FAILED: cannot open %s: %s\n", path, strerror(errno));
    else if (rc != 0)
        fprintf(stderr, "FAILED: cannot read %s: %s\n", path, err_str(rc));
    return rc;
}

/*
 * The verifier key @arg: the vkey itself, or else the path of a file holding it (one line, a
 * final newline allowed). Returns 0 or ERR_INVALID (with a message printed).
 */

/* Whether @doc[0..@len) is a JSON object whose "format" is the receipt's tag. */
static bool doc_is_receipt(const char *doc, size_t len)
{
    json_t *root = json_loadb(doc, len, 0, NULL);
    const char *format = json_string_value(json_object_get(root, "format"));
    bool yes = format != NULL && strcmp(format, RECEIPT_FORMAT_TAG) == 0;

    json_decref(root);
    return yes;
}

/* Print the receipt's success line. */
static void receipt_report(const struct receipt_result *res)
{
    char tag[2 * LEDGER_TAG_LEN + 1], day[WORKDAYS_ISO_SIZE];

    for (size_t i = 0; i < LEDGER_TAG_LEN; i++)
        snprintf(tag + 2 * i, 3, "%02x", res->entry.tag[i]);
    if (workdays_day_format(res->entry.day, day, sizeof(day)) != 0)
        snprintf(day, sizeof(day), "?");
    printf("OK: receipt for memo tag %s, filed on %s, entry %llu of a log of size %llu "
           "(origin %s)\n",
           tag, day, (unsigned long long)res->index, (unsigned long long)res->log_size,
           res->origin);
}

/*
 * Parse and check the receipt document @doc[0..@len) with @key and, when @text is not NULL,
 * the memo text @text[0..@text_len). Prints "FAILED: ..." (with @prefix before the reason) on
 * failure. Returns 0 or an error code.
 */
static int receipt_run(const char *doc, size_t len, const struct note_vkey *key, const char *text,
                       size_t text_len, const char *prefix, struct receipt_result *res)
{
    struct receipt r = {0};
    char err[1024] = "";
    int rc;

    rc = receipt_parse(doc, len, &r, NULL, err, sizeof(err));
    if (rc == 0)
        rc = receipt_check(&r, key, text, text_len, res, NULL, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "FAILED: %s%s\n", prefix, err[0] ? err : err_str(rc));
    receipt_release(&r);
    return rc;
}

/* Print the bundle's success line: memo, digest and every signer in order. */
static void bundle_report(const struct bundle *b, bool receipt_checked)
{
    printf("OK: memo %.*s, digest %.*s, %zu valid signature%s (", (int)b->memo_id.len, b->memo_id.s,
           (int)b->digest.len, b->digest.s, b->nsigners, b->nsigners == 1 ? "" : "s");
    for (size_t i = 0; i < b->nsigners; i++)
        printf("%s%.*s", i == 0 ? "" : ", ", (int)b->signers[i].len, b->signers[i].s);
    printf(")\n");
    if (b->has_receipt && !receipt_checked)
        printf("note: the bundle's receipt was not checked (give --vkey with the log's "
               "verifier key)\n");
}

/* The SHA-256 and size of the regular file @name in the directory @dirfd. 0, or errno's code
 * (ENOENT: none; EINVAL: not a regular file). */
static int file_digest(int dirfd, const char *name, uint8_t out[HASH_SHA256_LEN], uint64_t *size)
{
    static uint8_t buf[1 << 16];
    struct sha256_ctx sha;
    struct stat sb;
    ssize_t n;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err = 0;

    *size = 0;
    if (fd < 0)
        return errno;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return EINVAL;
    }
    sha256_init(&sha);
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        sha256_update(&sha, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    sha256_final(&sha, out);
    close(fd);
    return err;
}

/* After the bundle's own lines: what was found of its files (files_run()). */
static void files_report(const struct memo_file *files, size_t n, const char *dir)
{
    if (dir == NULL) {
        if (n > 0)
            printf("note: the memo lists %zu attached file%s, not checked (give --attachments "
                   "DIR with them)\n",
                   n, n == 1 ? "" : "s");
        return;
    }
    printf("OK: %zu attached file%s match%s the memo's list", n, n == 1 ? "" : "s",
           n == 1 ? "es" : "");
    for (size_t i = 0; i < n; i++)
        printf("%s\"%s\"", i == 0 ? ": " : ", ", files[i].name);
    printf("\n");
}

/*
 * The files the bundle's text lists (*@files, *@n: the caller frees), checked against those of
 * the same names in @dir (NULL: not checked). Prints why on failure; 0 when all match.
 */
static int files_run(const struct bundle *b, const char *dir, struct memo_file **out, size_t *nout)
{
    struct memo_file *files = NULL;
    size_t n = 0;
    int dirfd = -1, status = 0;

    *out = NULL;
    *nout = 0;
    if (memo_canonical_list(b->text.s, b->text.len, &files, &n) != 0) {
        fprintf(stderr, "FAILED: the memo's list of files does not parse\n");
        return 1;
    }
    *out = files;
    *nout = n;
    if (dir == NULL)
        return 0;
    if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "FAILED: cannot open %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < n && status == 0; i++) {
        uint8_t got[HASH_SHA256_LEN];
        uint64_t size = 0;
        int e = file_digest(dirfd, files[i].name, got, &size);
        if (e == ENOENT) {
            fprintf(stderr, "FAILED: attachment missing: %s has no file \"%s\"\n", dir,
                    files[i].name);
            status = 1;
        } else if (e != 0) {
            fprintf(stderr, "FAILED: cannot read attachment \"%s\": %s\n", files[i].name,
                    e == EINVAL ? "not a regular file" : strerror(e));
            status = 1;
        } else if (size != files[i].size || !hash_equal(got, files[i].sha256, sizeof(got))) {
            fprintf(stderr,
                    "FAILED: attachment differs: \"%s\" is not the file the memo lists "
                    "(%llu bytes, the memo says %llu%s)\n",
                    files[i].name, (unsigned long long)size, (unsigned long long)files[i].size,
                    size == files[i].size ? ", and another SHA-256" : "");
            status = 1;
        }
    }
    close(dirfd);
    return status;
}

/*
 * Check the bundle @doc[0..@len); with @key, also the receipt it carries (if any) against the
 * bundle's own canonical text. Returns the exit status.
 */
static int bundle_run(const char *doc, size_t len, const struct note_vkey *key, const char *dir)
{
    struct bundle b = {0};
    struct receipt_result res;
    struct memo_file *files = NULL;
    size_t nfiles = 0;
    char err[1024] = "", *rdoc = NULL;
    bool checked = false;
    int rc, status = 1;

    rc = bundle_parse(doc, len, &b, NULL, err, sizeof(err));
    if (rc == 0)
        rc = bundle_check(&b, NULL, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "FAILED: %s\n", err[0] ? err : err_str(rc));
        goto out;
    }
    if (key != NULL && b.has_receipt) {
        /* bundle_parse() kept the document: re-encode the receipt member for receipt_parse() */
        rdoc = json_dumps(json_object_get(b.root, "receipt"), JSON_COMPACT | JSON_ENCODE_ANY);
        if (rdoc == NULL) {
            fprintf(stderr, "FAILED: out of memory\n");
            goto out;
        }
        if (receipt_run(rdoc, strlen(rdoc), key, b.text.s, b.text.len, "receipt: ", &res) != 0)
            goto out;
        checked = true;
    }
    if (files_run(&b, dir, &files, &nfiles) != 0)
        goto out;
    bundle_report(&b, checked);
    if (checked)
        receipt_report(&res);
    files_report(files, nfiles, dir);
    status = 0;
out:
    mem_free(files);
    mem_free(rdoc);
    bundle_release(&b);
    return status;
}

int cmd_verify(int argc, char **argv)
{
    const char *vkey_arg = NULL, *text_path = NULL, *dir = NULL, *path;
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &vkey_arg, NULL},
        {"text", "MEMO.txt", "the memo's canonical text a receipt commits to", &text_path, NULL},
        {"attachments", "DIR", "a directory holding the memo's attached files", &dir, NULL},
        {NULL, NULL, NULL, NULL, NULL}};
    struct note_vkey key;
    struct receipt_result res;
    char *doc = NULL, *text = NULL, **rest = NULL;
    size_t len = 0, text_len = 0;
    int nrest = 0, c, status = 1;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 1) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    path = rest[0];
    if (vkey_arg != NULL && cmd_vkey_load(vkey_arg, &key) != 0) {
        fprintf(stderr, "dissent verify: --vkey: not a verifier key, nor a file holding one\n");
        status = 2;
        goto out;
    }
    if (path_read(path, BUNDLE_MAX_SIZE, "file", &doc, &len) != 0)
        goto out;
    if (!doc_is_receipt(doc, len)) {
        if (text_path != NULL) {
            fprintf(stderr, "dissent verify: --text is for receipts (a bundle holds its text)\n");
            status = 2;
            goto out;
        }
        status = bundle_run(doc, len, vkey_arg != NULL ? &key : NULL, dir);
        goto out;
    }
    if (dir != NULL) {
        fprintf(stderr, "dissent verify: --attachments is for bundles (a receipt holds no "
                        "text)\n");
        status = 2;
        goto out;
    }
    if (vkey_arg == NULL) {
        fprintf(stderr, "dissent verify: a receipt needs --vkey, the log's verifier key\n");
        status = 2;
        goto out;
    }
    if (text_path != NULL && path_read(text_path, TEXT_MAX, "text", &text, &text_len) != 0)
        goto out;
    if (receipt_run(doc, len, &key, text, text_len, "", &res) != 0)
        goto out;
    receipt_report(&res);
    if (text_path == NULL)
        printf("note: the memo text was not checked (give --text with its canonical text)\n");
    status = 0;
out:
    mem_free(doc);
    mem_free(text);
    return status;
}
