/*
 * test_tlog_build.c - `dissent log build` reproduces the Tessera test log byte for byte (every
 * checkpoint, tile and bundle), one-at-a-time and batch builds agree, bad input is refused,
 * and `dissent log key` prints the log key's verifier key.
 */
#include "testutil.h"

#include "cmd/cmd.h"
#include "crypto/note.h"
#include "tlog/monitor.h"
#include "util/err.h"
#include "util/mem.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define TESSERA SOURCE_ROOT "/tests/vectors/tessera_testdata_log.json"
#define TESSERA_DIR SOURCE_ROOT "/tests/vectors/tessera-testdata-log"
#define ORIGIN "example.com/log/testdata"

static char tmp[64];           /* this run's scratch directory */
static json_t *tessera;        /* the vector file */
static char keyfile[128];      /* the Tessera signer key, as a file */
static char entries_file[128]; /* the 15 entries, one per line */

static uint8_t *file_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* snprintf() that must not truncate. */
#define FMT(buf, ...) assert_true((size_t)snprintf(buf, sizeof(buf), __VA_ARGS__) < sizeof(buf))

static void file_put(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void assert_same_file(const char *a, const char *b)
{
    size_t alen, blen;
    uint8_t *x = file_slurp(a, &alen), *y = file_slurp(b, &blen);

    if (alen != blen || memcmp(x, y, alen) != 0)
        fail_msg("%s and %s differ", a, b);
    free(x);
    free(y);
}

/* Write the first @n Tessera entries to @path, one per line (the last without "\n" if
   @no_final_newline). */
static void entries_write(const char *path, size_t n, bool no_final_newline)
{
    json_t *entries = json_object_get(tessera, "entries");
    char buf[512];
    size_t len = 0;

    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(
            buf + len, sizeof(buf) - len, "%s\n",
            json_string_value(json_object_get(json_array_get(entries, i), "data_ascii")));
    if (no_final_newline && len > 0)
        len--;
    file_put(path, buf, len);
}

/* Run `dissent log ARG... NULL` in-process; its exit status. */
static int run(const char *first, ...)
{
    char *argv[16];
    int argc = 0;
    const char *a = first;
    va_list ap;

    argv[argc++] = (char *)"log";
    va_start(ap, first);
    while (a != NULL) {
        assert_true(argc < 15);
        argv[argc++] = (char *)a;
        a = va_arg(ap, const char *);
    }
    va_end(ap);
    argv[argc] = NULL;
    return cmd_log(argc, argv);
}

#define BUILD(entries, out, ...)                                                                   \
    run("build", "--origin", ORIGIN, "--key", keyfile, "--entries", entries, "--out", out,         \
        __VA_ARGS__)

/* Collect the regular files under @dir/@rel into @list (relative paths), recursively. */
static void files_list(const char *dir, const char *rel, char list[][96], size_t *n, size_t cap)
{
    char path[512];
    DIR *d;
    struct dirent *de;

    FMT(path, "%s/%s", dir, rel);
    d = opendir(path);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char sub[96], full[600];
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        FMT(sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        FMT(full, "%s/%s", dir, sub);
        assert_int_equal(stat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            files_list(dir, sub, list, n, cap);
        } else {
            assert_true(*n < cap);
            memcpy(list[(*n)++], sub, sizeof(sub));
        }
    }
    closedir(d);
}

static bool listed(char list[][96], size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], name) == 0)
            return true;
    }
    return false;
}

static int setup(void **state)
{
    json_error_t jerr;
    const char *skey;

    (void)state;
    tessera = json_load_file(TESSERA, 0, &jerr);
    if (tessera == NULL)
        return -1;
    memcpy(tmp, "/tmp/dissent-tlog-XXXXXX", 25);
    if (mkdtemp(tmp) == NULL)
        return -1;
    FMT(keyfile, "%s/key", tmp);
    FMT(entries_file, "%s/entries", tmp);
    skey = json_string_value(json_object_get(tessera, "log_skey_go_format"));
    {
        char line[256];
        int n = snprintf(line, sizeof(line), "%s\n", skey);

        file_put(keyfile, line, (size_t)n);
    }
    entries_write(entries_file, 15, false);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testutil_rmdir(tmp);
    json_decref(tessera);
    return 0;
}

/* One batch: the checkpoint and the final partial tile and bundle, nothing else. */
static void test_build_batch(void **state)
{
    char out[128], list[8][96], a[256], b[256];
    size_t n = 0;
    struct stat st;

    (void)state;
    FMT(out, "%s/batch", tmp);
    assert_int_equal(BUILD(entries_file, out, NULL), 0);
    files_list(out, "", list, &n, 8);
    assert_int_equal(n, 3);
    static const char *want[] = {"checkpoint", "tile/0/000.p/15", "tile/entries/000.p/15"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(listed(list, n, want[i]));
        FMT(a, "%s/%s", out, want[i]);
        FMT(b, "%s/%s", TESSERA_DIR, want[i]);
        assert_same_file(a, b);
    }
    /* a public log: world-readable files and directories */
    FMT(a, "%s/checkpoint", out);
    assert_int_equal(stat(a, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    FMT(a, "%s/tile/entries", out);
    assert_int_equal(stat(a, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
}

/* One entry at a time: the whole Tessera tile tree, every partial width, byte for byte. */
static void test_build_each(void **state)
{
    char out[128], mine[64][96], theirs[64][96], a[256], b[256];
    size_t nm = 0, nt = 0;

    (void)state;
    FMT(out, "%s/each", tmp);
    assert_int_equal(BUILD(entries_file, out, "--each", NULL), 0);
    files_list(out, "", mine, &nm, 64);
    files_list(TESSERA_DIR, "tile", theirs, &nt, 64);
    assert_int_equal(nt, 30);
    assert_int_equal(nm, nt + 1);
    assert_true(listed(mine, nm, "checkpoint"));
    for (size_t i = 0; i < nt; i++) {
        assert_true(listed(mine, nm, theirs[i]));
        FMT(a, "%s/%s", out, theirs[i]);
        FMT(b, "%s/%s", TESSERA_DIR, theirs[i]);
        assert_same_file(a, b);
    }
    FMT(a, "%s/checkpoint", out);
    assert_same_file(a, TESSERA_DIR "/checkpoint");
}

/* Every prefix of the entries: checkpoint.N and the tiles of width N. */
static void test_build_every_size(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 15; n++) {
        char out[128], ent[128], a[256], b[256];

        FMT(out, "%s/size%zu", tmp, n);
        FMT(ent, "%s/entries%zu", tmp, n);
        entries_write(ent, n, n % 2 == 1); /* odd sizes: no newline after the last entry */
        assert_int_equal(BUILD(ent, out, NULL), 0);
        FMT(a, "%s/checkpoint", out);
        FMT(b, "%s/checkpoint.%zu", TESSERA_DIR, n);
        assert_same_file(a, b);
        if (n > 0) {
            FMT(a, "%s/tile/0/000.p/%zu", out, n);
            FMT(b, "%s/tile/0/000.p/%zu", TESSERA_DIR, n);
            assert_same_file(a, b);
            FMT(a, "%s/tile/entries/000.p/%zu", out, n);
            FMT(b, "%s/tile/entries/000.p/%zu", TESSERA_DIR, n);
            assert_same_file(a, b);
        } else {
            FMT(a, "%s/tile", out);
            assert_int_equal(access(a, F_OK), -1);
        }
    }
}

/* 600 entries (two full tiles and a partial one, a level 1 tile of width 2): the batch build's
   files all appear, identical, in the one-at-a-time build, which only adds older partials. */
static void test_build_each_equals_batch(void **state)
{
    char ent[128], out1[128], out2[128], a[256], b[256];
    char(*l1)[96] = malloc(8 * sizeof(*l1)), (*l2)[96] = malloc(2000 * sizeof(*l2));
    size_t n1 = 0, n2 = 0;
    FILE *f;

    (void)state;
    assert_non_null(l1);
    assert_non_null(l2);
    FMT(ent, "%s/entries600", tmp);
    f = fopen(ent, "w");
    assert_non_null(f);
    for (int i = 0; i < 600; i++)
        fprintf(f, "%s%d\n", i % 7 ? "" : "memo event ", i * 31);
    fprintf(f, "\n"); /* an empty entry is an entry */
    assert_int_equal(fclose(f), 0);
    FMT(out1, "%s/b600", tmp);
    FMT(out2, "%s/e600", tmp);
    assert_int_equal(BUILD(ent, out1, NULL), 0);
    assert_int_equal(BUILD(ent, out2, "--each", NULL), 0);
    files_list(out1, "", l1, &n1, 8);
    files_list(out2, "", l2, &n2, 2000);
    /* checkpoint, level 0: 000 001 002.p/89, level 1: 000.p/2, bundles: the same three */
    assert_int_equal(n1, 8);
    assert_true(listed(l1, n1, "tile/0/002.p/89"));
    assert_true(listed(l1, n1, "tile/1/000.p/2"));
    assert_true(listed(l1, n1, "tile/entries/001"));
    for (size_t i = 0; i < n1; i++) {
        FMT(a, "%s/%s", out1, l1[i]);
        FMT(b, "%s/%s", out2, l1[i]);
        assert_same_file(a, b);
    }
    for (size_t i = 0; i < n2; i++)
        assert_true(listed(l1, n1, l2[i]) || strstr(l2[i], ".p/") != NULL);
    /* 601 entries (the last one empty): every width of tiles 0, 1 and 2 of level 0 and of the
       bundles, widths 1 and 2 of the level 1 tile, and the checkpoint */
    assert_int_equal(n2, 1 + 2 * (256 + 256 + 89) + 2);
    free(l1);
    free(l2);
}

static void test_build_errors(void **state)
{
    char out[128], bad[128], big[128], path[256];
    uint8_t *longline;

    (void)state;
    FMT(out, "%s/errors", tmp);
    /* a non-empty output directory */
    assert_int_equal(mkdir(out, 0700), 0);
    FMT(path, "%s/stale", out);
    file_put(path, "x", 1);
    assert_int_equal(BUILD(entries_file, out, NULL), 1);
    assert_int_equal(unlink(path), 0);
    /* a missing or malformed key; missing entries */
    FMT(bad, "%s/nokey", tmp);
    assert_int_equal(run("build", "--origin", ORIGIN, "--key", bad, "--entries", entries_file,
                         "--out", out, NULL),
                     1);
    file_put(bad, "PRIVATE+KEY+nonsense\n", 21);
    assert_int_equal(run("build", "--origin", ORIGIN, "--key", bad, "--entries", entries_file,
                         "--out", out, NULL),
                     1);
    FMT(path, "%s/none", tmp);
    assert_int_equal(BUILD(path, out, NULL), 1);
    /* an entry over 65535 bytes */
    FMT(big, "%s/bigentry", tmp);
    longline = malloc(70000);
    assert_non_null(longline);
    memset(longline, 'a', 70000);
    file_put(big, longline, 70000);
    free(longline);
    assert_int_equal(BUILD(big, out, NULL), 1);
    /* a bad origin (a newline would forge lines) */
    assert_int_equal(run("build", "--origin", "", "--key", keyfile, "--entries", entries_file,
                         "--out", out, NULL),
                     1);
    /* usage errors */
    assert_int_equal(run("build", "--origin", ORIGIN, "--key", keyfile, NULL), 2);
    assert_int_equal(BUILD(entries_file, out, "--bogus", NULL), 2);
    assert_int_equal(BUILD(entries_file, out, "extra-arg", NULL), 2);
    assert_int_equal(run("frobnicate", NULL), 2);
    assert_int_equal(run(NULL), 2);
    /* nothing was left behind but the empty directory */
    {
        char list[4][96];
        size_t n = 0;

        files_list(out, "", list, &n, 4);
        assert_int_equal(n, 0);
    }
}

/* Run `dissent log key --data @dir` capturing standard output into @out. */
static int run_key(const char *dir, char *out, size_t cap)
{
    char cap_path[128];
    int saved, fd, rc;
    size_t n;
    uint8_t *got;

    FMT(cap_path, "%s/stdout", tmp);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_true(dup2(fd, STDOUT_FILENO) >= 0);
    close(fd);
    rc = run("key", "--data", dir, NULL);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    got = file_slurp(cap_path, &n);
    assert_true(n < cap);
    memcpy(out, got, n + 1);
    free(got);
    return rc;
}

static void test_log_key(void **state)
{
    char data[128], path[256], out[512], want[300];
    const char *skey = json_string_value(json_object_get(tessera, "log_skey_go_format"));

    (void)state;
    FMT(data, "%s/data", tmp);
    assert_int_equal(mkdir(data, 0700), 0);
    /* no key: an error, and no key is made */
    assert_int_equal(run_key(data, out, sizeof(out)), 1);
    assert_string_equal(out, "");
    FMT(path, "%s/log.skey", data);
    assert_int_equal(access(path, F_OK), -1);
    /* the key: its vkey, one line */
    file_put(path, skey, strlen(skey));
    assert_int_equal(run_key(data, out, sizeof(out)), 0);
    FMT(want, "%s\n", json_string_value(json_object_get(tessera, "log_vkey")));
    assert_string_equal(out, want);
    /* a damaged key */
    file_put(path, "PRIVATE+KEY+x+00000000+AAAA\n", 28);
    assert_int_equal(run_key(data, out, sizeof(out)), 1);
    assert_string_equal(out, "");
}

/* The audit's fetcher over a directory holding a static log (tlog/monitor.h). */
static int dir_get(void *ctx, const char *rel, size_t cap, uint8_t **out, size_t *len, char *err)
{
    char path[256];
    FILE *f;
    long n;

    *out = NULL;
    *len = 0;
    snprintf(path, sizeof(path), "%s/%s", (const char *)ctx, rel);
    if ((f = fopen(path, "rb")) == NULL) {
        snprintf(err, TLOG_MONITOR_ERR_MAX, "no %s", rel);
        return ERR_IO;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || (size_t)n > cap) {
        fclose(f);
        snprintf(err, TLOG_MONITOR_ERR_MAX, "%s over %zu bytes", rel, cap);
        return ERR_TOO_LARGE;
    }
    *out = mem_alloc((size_t)n + 1);
    assert_non_null(*out);
    assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return 0;
}

static int audit(const char *dir, const char *old, struct tlog_monitor_result *r, char *err)
{
    const char *vk = json_string_value(json_object_get(tessera, "log_vkey"));
    struct tlog_fetcher f = {dir_get, (void *)dir, NULL};
    struct note_vkey key;

    assert_int_equal(note_vkey_parse(vk, strlen(vk), &key), 0);
    return tlog_monitor_audit(&f, &key, old, old ? strlen(old) : 0, r, err);
}

/* The monitor's audit (tlog/monitor.h) over the Tessera log as published, over a prefix kept from
 * before, over a damaged copy, and over another log signed by the same key. */
static void test_monitor(void **state)
{
    json_t *cps = json_object_get(tessera, "checkpoints");
    const char *at10 = json_string_value(json_object_get(json_array_get(cps, 10), "text"));
    char out[128], other[128], path[192], err[TLOG_MONITOR_ERR_MAX];
    struct tlog_monitor_result r;
    uint8_t *bundle;
    size_t blen;

    (void)state;
    assert_int_equal(json_integer_value(json_object_get(json_array_get(cps, 10), "tree_size")), 10);
    assert_int_equal(audit(TESSERA_DIR, NULL, &r, err), 0);
    assert_int_equal(r.cp.size, 15);
    assert_int_equal(r.tiles, 1);
    assert_int_equal(r.bundles, 1);
    tlog_monitor_result_release(&r);
    /* it extends what a monitor kept at 10 entries */
    assert_int_equal(audit(TESSERA_DIR, at10, &r, err), 0);
    tlog_monitor_result_release(&r);
    /* one byte of an entry changed: its bundle no longer matches the tile */
    FMT(out, "%s/damaged", tmp);
    assert_int_equal(BUILD(entries_file, out, NULL), 0);
    FMT(path, "%s/tile/entries/000.p/15", out);
    bundle = file_slurp(path, &blen);
    bundle[blen - 1] ^= 1;
    file_put(path, bundle, blen);
    free(bundle);
    assert_int_equal(audit(out, NULL, &r, err), ERR_CRYPTO);
    assert_non_null(strstr(err, "bundle mismatch"));
    /* another log under the same key: consistent with itself, not with the kept checkpoint */
    FMT(other, "%s/other", tmp);
    FMT(path, "%s/other-entries", tmp);
    file_put(path, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n", 24);
    assert_int_equal(BUILD(path, other, NULL), 0);
    assert_int_equal(audit(other, NULL, &r, err), 0);
    assert_int_equal(r.cp.size, 12);
    tlog_monitor_result_release(&r);
    assert_int_equal(audit(other, at10, &r, err), ERR_CRYPTO);
    assert_non_null(strstr(err, "inconsistent with the saved state"));
    /* a file over its limit is refused, not read */
    FMT(path, "%s/tile/0/000.p/12", other);
    file_put(path,
             "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
             "5678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
             "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
             "5678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
             "012345678901234567890123456789012345678901234567890123456789",
             400);
    assert_int_equal(audit(other, NULL, &r, err), ERR_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_batch),      cmocka_unit_test(test_build_each),
        cmocka_unit_test(test_build_every_size), cmocka_unit_test(test_build_each_equals_batch),
        cmocka_unit_test(test_build_errors),     cmocka_unit_test(test_log_key),
        cmocka_unit_test(test_monitor),
    };

    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
