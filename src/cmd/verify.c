/*
 * verify.c - `dissent verify FILE`: check a memo bundle (core/bundle.h) or a filing receipt
 * (core/receipt.h) offline.
 *
 *   dissent verify BUNDLE.json [--vkey VKEY] [--attachments DIR]
 *   dissent verify RECEIPT.json --vkey VKEY [--text MEMO.txt]
 *   dissent verify EXPORT.tar --vkey VKEY
 *
 * FILE may be "-" (standard input). Which of the two it is comes from its "format" member. VKEY
 * is the log's verifier key, or the path of a file holding it. A bundle prints "OK: memo ID,
 * digest B64, N valid signatures (alice, bob)"; with --vkey, a receipt inside the bundle is
 * checked against the bundle's text too. A receipt prints "OK: receipt for memo tag T, filed on
 * DATE, entry N of a log of size S (origin O)"; --text checks that the memo's canonical text is
 * the one committed to. --attachments checks the files a memo's text lists (dissent-memo/v2)
 * against the files of those names in DIR: their sizes and SHA-256s. An export (cmd/export.c, a
 * tar archive) is checked whole: its manifest's signature by the log key, every file against the
 * manifest, every bundle, every receipt against its bundle's text, every attached file against
 * its bundle's list. Failures print "FAILED:
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
#include "util/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#define TEXT_MAX (BUNDLE_MAX_SIZE) /* longest memo text accepted by --text, bytes */

static const char synopsis[] =
    "dissent verify BUNDLE.json [--vkey VKEY] [--attachments DIR]\n"
    "       dissent verify EXPORT.tar --vkey VKEY\n"
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

/* ---- an export (cmd/export.c) ---- */

#define EXPORT_TOP "dissent-export/"
#define EXPORT_FILES_MAX 2000000
#define EXPORT_DOC_MAX BUNDLE_MAX_SIZE
#define EXPORT_MANIFEST_MAX ((size_t)512 * 1024 * 1024)

/* One file of the archive: its path under EXPORT_TOP, size, SHA-256, and the text of a bundle,
 * receipt or manifest. */
struct xfile {
    char *path;
    uint64_t size;
    uint8_t sha[HASH_SHA256_LEN];
    char *doc;
    size_t doclen;
    bool listed;
};

static int xfile_cmp(const void *a, const void *b)
{
    return strcmp(((const struct xfile *)a)->path, ((const struct xfile *)b)->path);
}

static struct xfile *xfind(struct xfile *v, size_t n, const char *path)
{
    struct xfile key = {.path = (char *)path};

    return bsearch(&key, v, n, sizeof(*v), xfile_cmp);
}

/* Whether @path is a memo's document ID "/" @name (not a file under ID/files/). */
static bool memo_doc(const char *path, const char *name)
{
    char id[MEMO_ID_LEN + 1];

    if (strlen(path) != MEMO_ID_LEN + 1 + strlen(name) || path[MEMO_ID_LEN] != '/' ||
        strcmp(path + MEMO_ID_LEN + 1, name) != 0)
        return false;
    memcpy(id, path, MEMO_ID_LEN);
    id[MEMO_ID_LEN] = '\0';
    return memo_id_valid(id);
}

/* Whether @path is a file an export holds as a document (kept whole, not only hashed). */
static bool is_doc(const char *path)
{
    return strcmp(path, "MANIFEST") == 0 || memo_doc(path, "bundle.json") ||
           memo_doc(path, "receipt.json");
}

/* Read every regular file of the tar at @path into @v (sorted by path). Prints why it fails. */
static int archive_load(const char *path, struct xfile **out, size_t *nout)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    struct xfile *v = NULL;
    size_t n = 0, cap = 0;
    static uint8_t buf[1 << 16];
    int rc = 1, r;

    *out = NULL;
    *nout = 0;
    if (a == NULL || archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        fprintf(stderr, "FAILED: cannot read %s: %s\n", path, a ? archive_error_string(a) : "");
        goto out;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname_utf8(e);
        struct sha256_ctx sha;
        struct xfile *f;
        la_ssize_t k;

        if (archive_entry_filetype(e) == AE_IFDIR)
            continue;
        if (name == NULL || archive_entry_filetype(e) != AE_IFREG ||
            strncmp(name, EXPORT_TOP, strlen(EXPORT_TOP)) != 0 ||
            name[strlen(EXPORT_TOP)] == '\0') {
            fprintf(stderr, "FAILED: not an export of Dissent's: the archive holds \"%s\"\n",
                    name ? name : "(a name that is not UTF-8)");
            goto out;
        }
        if (n == EXPORT_FILES_MAX) {
            fprintf(stderr, "FAILED: more than %d files\n", EXPORT_FILES_MAX);
            goto out;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 256;
            void *p = mem_realloc(v, nc * sizeof(*v));
            if (p == NULL)
                goto nomem;
            v = p;
            cap = nc;
        }
        f = &v[n++];
        memset(f, 0, sizeof(*f));
        if ((f->path = mem_strdup(name + strlen(EXPORT_TOP))) == NULL)
            goto nomem;
        sha256_init(&sha);
        while ((k = archive_read_data(a, buf, sizeof(buf))) > 0) {
            sha256_update(&sha, buf, (size_t)k);
            if (is_doc(f->path)) {
                /* the manifest of a large export is larger than any memo's document */
                size_t limit =
                    strcmp(f->path, "MANIFEST") == 0 ? EXPORT_MANIFEST_MAX : (size_t)EXPORT_DOC_MAX;
                char *p;
                if (f->doclen + (size_t)k > limit) {
                    fprintf(stderr, "FAILED: %s is larger than %zu bytes\n", f->path, limit);
                    goto out;
                }
                if ((p = mem_realloc(f->doc, f->doclen + (size_t)k + 1)) == NULL)
                    goto nomem;
                f->doc = p;
                memcpy(f->doc + f->doclen, buf, (size_t)k);
                f->doclen += (size_t)k;
                f->doc[f->doclen] = '\0';
            }
            f->size += (uint64_t)k;
        }
        sha256_final(&sha, f->sha);
        if (k < 0) {
            fprintf(stderr, "FAILED: cannot read %s: %s\n", name, archive_error_string(a));
            goto out;
        }
    }
    if (r != ARCHIVE_EOF) {
        fprintf(stderr, "FAILED: cannot read %s: %s\n", path, archive_error_string(a));
        goto out;
    }
    qsort(v, n, sizeof(*v), xfile_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i].path, v[i - 1].path) == 0) {
            fprintf(stderr, "FAILED: the archive holds %s twice\n", v[i].path);
            goto out;
        }
    *out = v;
    *nout = n;
    v = NULL;
    n = 0;
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "FAILED: out of memory\n");
out:
    for (size_t i = 0; i < n; i++) {
        mem_free(v[i].path);
        mem_free(v[i].doc);
    }
    mem_free(v);
    if (a != NULL)
        archive_read_free(a);
    return rc;
}

/* The manifest's lines checked against the files, each file found listed once. */
static int manifest_check(const char *text, size_t len, struct xfile *v, size_t n, char origin[256],
                          char when[64], size_t *memos)
{
    const char *p = text, *end = text + len;
    int64_t count = 0;
    char line[1024];
    int field = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = (size_t)(nl - p);
        if (nl == NULL || k >= sizeof(line))
            return 1;
        memcpy(line, p, k);
        line[k] = '\0';
        p = nl + 1;
        if (field == 0 && strcmp(line, "dissent-export/v1") != 0)
            return 1;
        if (field == 1 &&
            (strncmp(line, "origin ", 7) != 0 || snprintf(origin, 256, "%s", line + 7) >= 256))
            return 1;
        if (field == 2 &&
            (strncmp(line, "exported ", 9) != 0 || snprintf(when, 64, "%s", line + 9) >= 64))
            return 1;
        if (field == 3 &&
            (strncmp(line, "memos ", 6) != 0 || str_parse_i64(line + 6, 1, 1000000, &count) != 0))
            return 1;
        if (field >= 4) {
            char b64[48], *sp, *sp2;
            uint8_t sha[HASH_SHA256_LEN];
            size_t got = 0;
            int64_t size;
            struct xfile *f;

            if (strncmp(line, "file ", 5) != 0 || (sp = strchr(line + 5, ' ')) == NULL ||
                (sp2 = strchr(sp + 1, ' ')) == NULL || sp - (line + 5) != MEMO_DIGEST_B64_LEN)
                return 1;
            memcpy(b64, line + 5, MEMO_DIGEST_B64_LEN);
            b64[MEMO_DIGEST_B64_LEN] = '\0';
            *sp2 = '\0';
            if (b64_decode(sha, sizeof(sha), &got, b64, MEMO_DIGEST_B64_LEN, false) != 0 ||
                got != HASH_SHA256_LEN || str_parse_i64(sp + 1, 0, INT64_MAX, &size) != 0)
                return 1;
            if ((f = xfind(v, n, sp2 + 1)) == NULL) {
                fprintf(stderr, "FAILED: file missing: the manifest lists %s\n", sp2 + 1);
                return 2;
            }
            if (f->listed || strcmp(f->path, "MANIFEST") == 0)
                return 1;
            if ((uint64_t)size != f->size || !hash_equal(sha, f->sha, sizeof(sha))) {
                fprintf(stderr, "FAILED: file altered: %s is not the file the manifest lists\n",
                        f->path);
                return 2;
            }
            f->listed = true;
        }
        field++;
    }
    if (field < 4)
        return 1;
    *memos = (size_t)count;
    return 0;
}

/* Check the export at @path with the log's @key. Returns the exit status. */
static int export_run(const char *path, const struct note_vkey *key)
{
    struct xfile *v = NULL, *mf;
    size_t n = 0, memos = 0, bundles = 0, receipts = 0, files = 0, text_len = 0;
    char origin[256] = "", when[64] = "", err[1024] = "";
    int status = 1, rc;

    if (archive_load(path, &v, &n) != 0)
        return 1;
    if ((mf = xfind(v, n, "MANIFEST")) == NULL || mf->doc == NULL) {
        fprintf(stderr, "FAILED: the archive has no MANIFEST\n");
        goto out;
    }
    if (note_open(mf->doc, mf->doclen, key, 1, NULL, &text_len, err, sizeof(err)) != 0) {
        fprintf(stderr, "FAILED: the manifest is not signed by the log key given: %s\n",
                err[0] ? err : "no valid signature");
        goto out;
    }
    rc = manifest_check(mf->doc, text_len, v, n, origin, when, &memos);
    if (rc == 1)
        fprintf(stderr, "FAILED: the manifest is malformed\n");
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!v[i].listed && strcmp(v[i].path, "MANIFEST") != 0) {
            fprintf(stderr, "FAILED: file not in the manifest: %s\n", v[i].path);
            goto out;
        }
    /* each memo: its bundle, its receipt against the bundle's text, its files against it */
    for (size_t i = 0; i < n; i++) {
        struct bundle b = {0};
        struct memo_file *listed = NULL;
        struct receipt_result res;
        char id[MEMO_ID_LEN + 1], want[600];
        size_t nl = 0, nfiles = 0;
        struct xfile *r;

        if (!memo_doc(v[i].path, "bundle.json"))
            continue;
        snprintf(id, sizeof(id), "%.*s", MEMO_ID_LEN, v[i].path);
        err[0] = '\0';
        if (bundle_parse(v[i].doc, v[i].doclen, &b, NULL, err, sizeof(err)) != 0 ||
            bundle_check(&b, NULL, err, sizeof(err)) != 0 ||
            memcmp(b.memo_id.s, id, MEMO_ID_LEN) != 0) {
            fprintf(stderr, "FAILED: memo %s: %s\n", id, err[0] ? err : "another memo's bundle");
            bundle_release(&b);
            goto out;
        }
        bundles++;
        snprintf(want, sizeof(want), "%s/receipt.json", id);
        if ((r = xfind(v, n, want)) != NULL) {
            char prefix[64];
            snprintf(prefix, sizeof(prefix), "memo %s: receipt: ", id);
            if (receipt_run(r->doc, r->doclen, key, b.text.s, b.text.len, prefix, &res) != 0) {
                bundle_release(&b);
                goto out;
            }
            receipts++;
        }
        snprintf(want, sizeof(want), "%s/record.pdf", id);
        if (xfind(v, n, want) == NULL) {
            fprintf(stderr, "FAILED: memo %s: its record copy is missing\n", id);
            bundle_release(&b);
            goto out;
        }
        if (memo_canonical_list(b.text.s, b.text.len, &listed, &nl) != 0) {
            fprintf(stderr, "FAILED: memo %s: its list of files does not parse\n", id);
            bundle_release(&b);
            goto out;
        }
        for (size_t j = 0; j < nl; j++) {
            snprintf(want, sizeof(want), "%s/files/%s", id, listed[j].name);
            if ((r = xfind(v, n, want)) == NULL || r->size != listed[j].size ||
                !hash_equal(r->sha, listed[j].sha256, HASH_SHA256_LEN)) {
                fprintf(stderr, "FAILED: memo %s: attachment %s: \"%s\"\n", id,
                        r ? "differs" : "missing", listed[j].name);
                mem_free(listed);
                bundle_release(&b);
                goto out;
            }
        }
        /* and nothing in its files/ that its text does not list */
        snprintf(want, sizeof(want), "%s/files/", id);
        for (size_t j = 0; j < n; j++)
            nfiles += strncmp(v[j].path, want, strlen(want)) == 0;
        mem_free(listed);
        bundle_release(&b);
        if (nfiles != nl) {
            fprintf(stderr, "FAILED: memo %s: files its text does not list\n", id);
            goto out;
        }
        files += nl;
    }
    if (bundles != memos) {
        fprintf(stderr, "FAILED: the manifest says %zu memos, the archive holds %zu bundles\n",
                memos, bundles);
        goto out;
    }
    printf("OK: export of %zu memo%s from %s, made %s: every file as the log key signed it; "
           "%zu bundle%s, %zu receipt%s and %zu attached file%s check out\n",
           memos, memos == 1 ? "" : "s", origin, when, bundles, bundles == 1 ? "" : "s", receipts,
           receipts == 1 ? "" : "s", files, files == 1 ? "" : "s");
    if (receipts < bundles)
        printf("note: %zu memo%s had no receipt yet when exported\n", bundles - receipts,
               bundles - receipts == 1 ? "" : "s");
    status = 0;
out:
    for (size_t i = 0; i < n; i++) {
        mem_free(v[i].path);
        mem_free(v[i].doc);
    }
    mem_free(v);
    return status;
}

/* Whether the file at @path is a tar archive (POSIX "ustar" magic). */
static bool is_tar(const char *path)
{
    char block[512];
    FILE *f = strcmp(path, "-") == 0 ? NULL : fopen(path, "rb");
    bool yes = false;

    if (f == NULL)
        return false;
    yes =
        fread(block, 1, sizeof(block), f) == sizeof(block) && memcmp(block + 257, "ustar", 5) == 0;
    fclose(f);
    return yes;
}

int cmd_verify(int argc, char **argv)
{
    const char *vkey_arg = NULL, *text_path = NULL, *dir = NULL, *path;
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &vkey_arg, NULL, NULL},
        {"text", "MEMO.txt", "the memo's canonical text a receipt commits to", &text_path, NULL,
         NULL},
        {"attachments", "DIR", "a directory holding the memo's attached files", &dir, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
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
    if (is_tar(path)) {
        if (vkey_arg == NULL || text_path != NULL || dir != NULL) {
            fprintf(stderr, "dissent verify: an export needs --vkey, the log's verifier key, "
                            "and nothing else\n");
            status = 2;
            goto out;
        }
        status = export_run(path, &key);
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
