/*
 * verify.c - `dissent verify FILE`: check a memo bundle (core/bundle.h) or a filing receipt
 * (core/receipt.h) offline.
 *
 *   dissent verify BUNDLE.json [--vkey VKEY]
 *   dissent verify RECEIPT.json --vkey VKEY [--text MEMO.txt]
 *
 * FILE may be "-" (standard input). Which of the two it is comes from its "format" member. VKEY
 * is the log's verifier key, or the path of a file holding it. A bundle prints "OK: memo ID,
 * digest B64, N valid signatures (alice, bob)"; with --vkey, a receipt inside the bundle is
 * checked against the bundle's text too. A receipt prints "OK: receipt for memo tag T, filed on
 * DATE, entry N of a log of size S (origin O)"; --text checks that the memo's canonical text is
 * the one committed to. Failures print "FAILED: reason" on stderr and exit 1; usage errors exit
 * 2. Needs no server, no database and no configuration.
 */
#include "cmd/cmd.h"

#include "core/bundle.h"
#include "core/receipt.h"
#include "core/workdays.h"
#include "crypto/note.h"
#include "util/err.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define TEXT_MAX (BUNDLE_MAX_SIZE) /* longest memo text accepted by --text, bytes */

static const char synopsis[] =
    "dissent verify BUNDLE.json [--vkey VKEY]\n"
    "       dissent verify RECEIPT.json --vkey VKEY [--text MEMO.txt]\n"
    "Check offline a memo bundle (its canonical text, digest and every co-signature)\n"
    "or a filing receipt (its inclusion in the transparency log whose verifier key is\n"
    "VKEY, given as the key itself or a file holding it). --text checks that\n"
    "MEMO.txt, the memo's canonical text exactly as in its bundle, is the text the\n"
    "receipt commits to; with --vkey, a receipt inside a bundle is checked too.\n"
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

/*
 * Check the bundle @doc[0..@len); with @key, also the receipt it carries (if any) against the
 * bundle's own canonical text. Returns the exit status.
 */
static int bundle_run(const char *doc, size_t len, const struct note_vkey *key)
{
    struct bundle b = {0};
    struct receipt_result res;
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
    bundle_report(&b, checked);
    if (checked)
        receipt_report(&res);
    status = 0;
out:
    mem_free(rdoc);
    bundle_release(&b);
    return status;
}

int cmd_verify(int argc, char **argv)
{
    const char *vkey_arg = NULL, *text_path = NULL, *path;
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &vkey_arg, NULL},
        {"text", "MEMO.txt", "the memo's canonical text a receipt commits to", &text_path, NULL},
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
        status = bundle_run(doc, len, vkey_arg != NULL ? &key : NULL);
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
