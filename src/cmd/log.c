/*
 * log.c - `dissent log build|key`: the transparency log without the server.
 *
 *   dissent log build --origin ORIGIN --key KEYFILE --entries FILE --out DIR [--each]
 *   dissent log key [--data DIR] [--config FILE]
 *
 * build turns a list of entries (one per line of FILE, the "\n" not part of the entry; "-" reads
 * standard input) and a signer key (KEYFILE: "PRIVATE+KEY+name+id+base64", the Go note format)
 * into a static tlog-tiles log in DIR: DIR/checkpoint, DIR/tile/<L>/<N>[.p/<W>] and
 * DIR/tile/entries/<N>[.p/<W>]. By default the entries are appended in one batch and only the
 * final tiles are written; --each appends them one at a time and keeps every intermediate
 * partial tile and bundle, as a log that published a checkpoint after each entry would. DIR
 * must be missing or empty. The files are public: directories 0755, files 0644.
 *
 * key prints the verifier key of the server's log key, DATA/log.skey. It never creates one.
 *
 *   dissent log verify URL --vkey VKEY [--state FILE] [--timeout SECONDS]
 *                      [--witness WVKEY ... [--quorum K]]
 *
 * verify audits a tlog-tiles log over HTTP(S) with libcurl, as a monitor would (the audit itself,
 * what it fetches and checks, is tlog/monitor.h; this command fetches, keeps the state and
 * prints). With --state FILE it first loads the checkpoint a previous run saved there (if the
 * file exists; it must verify with VKEY) and hands it to the audit, which requires the log to
 * extend it; then it saves the new checkpoint there (temporary file, mode 0600, renamed over).
 * Only http:// and https:// are spoken, redirects included, and the whole run has a deadline.
 * Exit status 0 (verified), 1 (FAILED: reason), 2 (usage).
 */
#include "cmd/cmd.h"

#include "crypto/hash.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/cosig.h"
#include "tlog/memstore.h"
#include "tlog/merkle.h"
#include "tlog/monitor.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define KEYFILE_MAX 4096             /* longest key file accepted, bytes */
#define ENTRIES_FILE_MAX (1ul << 30) /* longest entries file accepted, bytes */
#define ENTRIES_MAX (1ul << 26)      /* most entries in one build */
#define LOG_KEY_FILE "log.skey"      /* the server's log key, in its data directory */

static const char synopsis[] =
    "dissent log build --origin ORIGIN --key KEYFILE --entries FILE --out DIR\n"
    "                         [--each]\n"
    "       dissent log key [--data DIR] [--config FILE]\n"
    "       dissent log verify URL --vkey VKEY [--state FILE] [--timeout SECONDS]\n"
    "                          [--witness VKEY ... [--quorum K]]\n"
    "       dissent log monitor URL --vkey VKEY --state FILE [--witness VKEY ...] ...\n"
    "build: write a C2SP tlog-tiles log (checkpoint, tiles, entry bundles) to DIR\n"
    "       from FILE (one entry per line, '-' for standard input) signed with KEYFILE\n"
    "       (PRIVATE+KEY+... note signer key); --each appends one entry at a time and\n"
    "       keeps every intermediate partial tile.\n"
    "key:   print the verifier key of the server's log key (DIR/" LOG_KEY_FILE ").\n"
    "verify: fetch the log at URL (http:// or https://: URL/checkpoint, URL/tile/...),\n"
    "       check the checkpoint's signature by VKEY (the key, or a file holding it),\n"
    "       every entry bundle against its tile, every tile against the level below,\n"
    "       and the root; with --state, that the log extends the checkpoint saved in\n"
    "       FILE by the last run, then save the new one there. With --witness, the\n"
    "       checkpoint must carry valid cosignatures (c2sp.org/tlog-cosignature) of K\n"
    "       of the witnesses given (default: all of them). Whole run limited to\n"
    "       SECONDS (default 300).\n"
    "monitor: verify the channel at URL every round, recompute its statistics from\n"
    "       the entries and compare them with what it claims (dissent log monitor --help).";

static void usage(FILE *f)
{
    fprintf(f, "usage: %s\n", synopsis);
}

/* Read and parse the signer key file @path (one line, a final newline allowed). */
static int key_load(const char *path, struct note_skey *key)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = cmd_file_read(path, KEYFILE_MAX, &text, &len);
    if (rc != 0) {
        fprintf(stderr, "dissent log: %s: %s\n", path,
                rc == ERR_NOT_FOUND ? "no such file" : err_str(rc));
        goto out;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    rc = note_skey_parse(text, len, key);
    if (rc != 0)
        fprintf(stderr, "dissent log: %s: not a note signer key (PRIVATE+KEY+name+id+base64)\n",
                path);
out:
    if (text != NULL) {
        wipe(text, len);
        mem_free(text);
    }
    return rc;
}

/* Split @buf[0..@len) into lines: *@views (malloc'd) and *@count. A last line without "\n" is
   an entry too; an empty file has none. */
static int entries_split(const char *buf, size_t len, struct tlog_view **views, size_t *count)
{
    struct tlog_view *v = NULL;
    size_t n = 0, start = 0;

    *views = NULL;
    *count = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    if (len > 0 && buf[len - 1] != '\n')
        n++;
    if (n > ENTRIES_MAX)
        return ERR_TOO_LARGE;
    v = mem_alloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return ERR_NOMEM;
    n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len ? i > start : buf[i] == '\n') {
            v[n].data = (const uint8_t *)buf + start;
            v[n].len = i - start;
            if (v[n].len > TLOG_ENTRY_MAX) {
                mem_free(v);
                return ERR_TOO_LARGE;
            }
            n++;
            start = i + 1;
        }
    }
    *views = v;
    *count = n;
    return 0;
}

/* Create @dir (0755) if missing; refuse it unless it is an empty directory. */
static int outdir_prepare(const char *dir)
{
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (mkdir(dir, 0755) == 0)
        return chmod(dir, 0755) == 0 ? 0 : ERR_IO;
    if (errno != EEXIST)
        return ERR_IO;
    d = opendir(dir);
    if (d == NULL)
        return ERR_IO;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = ERR_EXISTS;
            break;
        }
    }
    closedir(d);
    return rc;
}

/* Write @data[0..@len) to @dir/@rel (mode 0644), creating the directories of @rel (0755). */
static int file_write(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    size_t base;
    int fd = -1, rc = 0, n;

    n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ERR_TOO_LARGE;
    base = strlen(dir) + 1;
    for (char *p = path + base; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(path, 0755) == 0) {
            if (chmod(path, 0755) != 0)
                rc = ERR_IO;
        } else if (errno != EEXIST) {
            rc = ERR_IO;
        }
        *p = '/';
        if (rc != 0)
            return rc;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ERR_IO;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = ERR_IO;
            goto out;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0)
        rc = ERR_IO;
out:
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    return rc;
}

/* Write one tile or bundle under @dir at its path. */
static int tile_write(const char *dir, const struct tlog_tile *t, const uint8_t *data, size_t len)
{
    char rel[TLOG_TILE_PATH_MAX];
    int rc;

    rc = tlog_tile_path_format(t, rel, sizeof(rel));
    if (rc == 0)
        rc = file_write(dir, rel, data, len);
    if (rc != 0)
        fprintf(stderr, "dissent log build: cannot write %s/%s: %s\n", dir, rel, err_str(rc));
    return rc;
}

/* Write every tile and bundle of @ms, at its final width, under @dir. */
static int tiles_write_all(const char *dir, const struct tlog_memstore *ms)
{
    uint64_t size = tlog_memstore_size(ms);
    int rc = 0;

    for (int level = TLOG_TILE_ENTRIES; level < 8; level++) {
        for (uint64_t i = 0; tlog_tile_width(level, i, size) > 0; i++) {
            struct tlog_tile t = {level, i, tlog_tile_width(level, i, size)};
            const uint8_t *data;
            size_t len;
            unsigned width;

            rc = tlog_memstore_get(ms, level, i, &data, &len, &width);
            if (rc == 0 && width != t.width)
                rc = ERR_INTERNAL;
            if (rc == 0)
                rc = tile_write(dir, &t, data, len);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* Append @v[0..@n) to @ms one entry at a time, writing every update's tiles under @dir. */
static int append_each(const char *dir, struct tlog_memstore *ms, const struct tlog_view *v,
                       size_t n)
{
    struct tlog_tile_source src = tlog_memstore_source(ms);
    struct tlog_update up = {0};
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = tlog_append(tlog_memstore_size(ms), &v[i], 1, &src, &up);
        if (rc != 0)
            fprintf(stderr, "dissent log build: cannot append: %s\n", err_str(rc));
        for (size_t j = 0; rc == 0 && j < up.count; j++) {
            /* hint rows are the server's; a static log has tiles and bundles only */
            if (up.tiles[j].tile.level < TLOG_TILE_HINTS)
                rc = tile_write(dir, &up.tiles[j].tile, up.tiles[j].data, up.tiles[j].len);
        }
        if (rc == 0)
            rc = tlog_memstore_apply(ms, &up);
        tlog_update_release(&up);
    }
    return rc;
}

struct build_opts {
    const char *origin, *key, *entries, *out;
    bool each;
};

static int build_run(const struct build_opts *o)
{
    struct note_skey key = {0};
    struct tlog_memstore *ms = NULL;
    struct tlog_tile_reader *reader = NULL;
    struct tlog_view *views = NULL;
    struct tlog_checkpoint cp = {0};
    struct tlog_tile_source src;
    struct tlog_hash_reader hr;
    char *buf = NULL, *signed_cp = NULL;
    size_t len = 0, count = 0, cplen = 0;
    int rc;

    /* refuse a bad origin before writing anything */
    cp.origin = o->origin;
    cp.origin_len = strlen(o->origin);
    rc = tlog_checkpoint_format(&cp, &signed_cp, &cplen);
    mem_free(signed_cp);
    signed_cp = NULL;
    if (rc != 0) {
        fprintf(stderr,
                "dissent log build: bad origin (1 to %d bytes of UTF-8, no control "
                "characters)\n",
                TLOG_ORIGIN_MAX);
        goto out;
    }
    rc = key_load(o->key, &key);
    if (rc != 0)
        goto out;
    rc = cmd_file_read(o->entries, ENTRIES_FILE_MAX, &buf, &len);
    if (rc == 0)
        rc = entries_split(buf, len, &views, &count);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: %s: %s\n", o->entries,
                rc == ERR_TOO_LARGE   ? "too large (an entry over 65535 bytes, or too many)"
                : rc == ERR_NOT_FOUND ? "no such file"
                                      : err_str(rc));
        goto out;
    }
    rc = outdir_prepare(o->out);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: %s: %s\n", o->out,
                rc == ERR_EXISTS ? "not empty" : "cannot create the directory");
        goto out;
    }
    rc = tlog_memstore_new(&ms);
    if (rc != 0)
        goto out;
    if (o->each) {
        rc = append_each(o->out, ms, views, count);
    } else {
        for (size_t off = 0; rc == 0 && off < count; off += TLOG_APPEND_MAX) {
            size_t n = count - off < TLOG_APPEND_MAX ? count - off : TLOG_APPEND_MAX;

            rc = tlog_memstore_append(ms, views + off, n, NULL);
        }
        if (rc != 0)
            fprintf(stderr, "dissent log build: cannot append: %s\n", err_str(rc));
        else
            rc = tiles_write_all(o->out, ms);
    }
    if (rc != 0)
        goto out;
    /* the checkpoint last: a reader never sees one whose tiles are missing */
    src = tlog_memstore_source(ms);
    rc = tlog_tile_reader_new(&src, 16, &reader);
    if (rc != 0)
        goto out;
    hr = tlog_tile_reader_hashes(reader);
    cp.size = tlog_memstore_size(ms);
    rc = tlog_tree_hash(cp.size, &hr, cp.root);
    if (rc == 0)
        rc = tlog_checkpoint_sign(&cp, &key, &signed_cp, &cplen);
    if (rc != 0) {
        fprintf(stderr, "dissent log build: cannot sign the checkpoint: %s\n", err_str(rc));
        goto out;
    }
    rc = file_write(o->out, "checkpoint", signed_cp, cplen);
    if (rc != 0)
        fprintf(stderr, "dissent log build: cannot write %s/checkpoint\n", o->out);
out:
    note_skey_clear(&key);
    tlog_tile_reader_free(reader);
    tlog_memstore_free(ms);
    mem_free(views);
    mem_free(buf);
    mem_free(signed_cp);
    return rc;
}

static int log_build(int argc, char **argv)
{
    struct build_opts o = {0};
    const struct cmd_opt opts[] = {
        {"origin", "ORIGIN", "the log's origin line (the key's name)", &o.origin, NULL, NULL},
        {"key", "KEYFILE", "the signer key (PRIVATE+KEY+...)", &o.key, NULL, NULL},
        {"entries", "FILE", "one entry per line ('-': standard input)", &o.entries, NULL, NULL},
        {"out", "DIR", "a missing or empty directory for the log", &o.out, NULL, NULL},
        {"each", NULL, "append one entry at a time, keeping every partial tile", NULL, &o.each,
         NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char **rest = NULL;
    int nrest = 0, c;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 0 || !o.origin || !o.key || !o.entries || !o.out) {
        usage(stderr);
        return 2;
    }
    return build_run(&o) == 0 ? 0 : 1;
}

static int log_key(int argc, char **argv)
{
    const char *data = NULL, *config = NULL;
    const struct cmd_opt opts[] = {
        {"data", "DIR", "the data directory holding " LOG_KEY_FILE, &data, NULL, NULL},
        {"config", "FILE", "the settings file (docs/config.md)", &config, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct config cfg;
    struct note_skey key = {0};
    struct note_vkey vkey;
    char path[PATH_MAX], vtext[NOTE_VKEY_MAX], err[256] = "", **rest = NULL;
    int nrest = 0, c, n, rc = 1;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 0) {
        usage(stderr);
        return 2;
    }
    if (cmd_config_load(&cfg, config) != 0)
        return 1;
    if (data && config_set(&cfg, "server", "data", data, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent log key: %s\n", err);
        return 2;
    }
    n = snprintf(path, sizeof(path), "%s/%s", cfg.data_dir, LOG_KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "dissent log key: data directory path too long\n");
        return 1;
    }
    if (key_load(path, &key) != 0)
        goto out;
    note_skey_vkey(&key, &vkey);
    if (note_vkey_format(&vkey, vtext, sizeof(vtext)) != 0) {
        fprintf(stderr, "dissent log key: cannot encode the verifier key\n");
        goto out;
    }
    printf("%s\n", vtext);
    rc = 0;
out:
    note_skey_clear(&key);
    return rc;
}

/* ---- verify: audit a log over HTTP (cmd/remote.c) ----------------------------------------- */

/* Audit the log as @o says and print what was found. */
static int verify_run(const struct cmd_log_check *o, char *err)
{
    struct cmd_log_result res;
    char b64[64];
    int rc = cmd_log_check(o, &res, err);

    if (rc != 0)
        return rc;
    b64_encode(b64, sizeof(b64), res.audit.cp.root, HASH_SHA256_LEN, false);
    printf("OK: log %.*s, %llu entries, root %s: signature, %llu tiles and %llu entry bundles "
           "verified\n",
           (int)res.audit.cp.origin_len, res.audit.cp.origin, (unsigned long long)res.audit.cp.size,
           b64, (unsigned long long)res.audit.tiles, (unsigned long long)res.audit.bundles);
    for (size_t i = 0; i < o->nwitnesses; i++) {
        if (res.times[i] != 0)
            printf("cosigned by %s at %llu\n", o->witnesses[i].name,
                   (unsigned long long)res.times[i]);
    }
    if (o->nwitnesses > 0)
        printf("quorum: %zu of %zu witnesses required\n", o->quorum, o->nwitnesses);
    if (res.had_old)
        printf("consistent with the saved checkpoint of %llu entries; %s updated\n",
               (unsigned long long)res.old_size, o->state);
    else if (o->state != NULL)
        printf("no saved state: %s created\n", o->state);
    cmd_log_result_release(&res);
    return 0;
}

static int log_verify(int argc, char **argv)
{
    static struct cmd_log_check o;
    const char *timeout = NULL, *quorum = NULL, *vkey = NULL, *state = NULL;
    struct cmd_list witnesses = {0};
    const struct cmd_opt opts[] = {
        {"vkey", "VKEY", "the log's verifier key, or a file holding it", &vkey, NULL, NULL},
        {"witness", "VKEY", "a witness's key (repeat): its cosignature counts", NULL, NULL,
         &witnesses},
        {"quorum", "K", "cosignatures required of the witnesses (default: all)", &quorum, NULL,
         NULL},
        {"state", "FILE", "the checkpoint of the last run: the log must extend it", &state, NULL,
         NULL},
        {"timeout", "SECONDS", "the whole run's limit (default 300)", &timeout, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char err[VERIFY_ERR_MAX] = "", **rest = NULL;
    int nrest = 0, c, rc;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 1 || vkey == NULL) {
        usage(stderr);
        return 2;
    }
    if (cmd_log_check_setup(&o, "dissent log verify", rest[0], vkey, &witnesses, quorum, timeout) !=
        0)
        return 2;
    o.state = state;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "FAILED: cannot initialise libcurl\n");
        return 1;
    }
    rc = verify_run(&o, err);
    curl_global_cleanup();
    if (rc != 0) {
        fprintf(stderr, "FAILED: %s\n", err[0] ? err : err_str(rc));
        return 1;
    }
    return 0;
}

int cmd_log(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "build") == 0)
        return log_build(argc - 1, argv + 1);
    if (strcmp(argv[1], "key") == 0)
        return log_key(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return log_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "monitor") == 0)
        return cmd_log_monitor(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dissent log: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
