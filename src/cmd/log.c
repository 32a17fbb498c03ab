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
 */
#include "cmd/cmd.h"

#include "crypto/note.h"
#include "crypto/random.h"
#include "tlog/checkpoint.h"
#include "tlog/memstore.h"
#include "tlog/tile.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAX 4096             /* longest key file accepted, bytes */
#define ENTRIES_FILE_MAX (1ul << 30) /* longest entries file accepted, bytes */
#define ENTRIES_MAX (1ul << 26)      /* most entries in one build */
#define LOG_KEY_FILE "log.skey"      /* the server's log key, in its data directory */

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent log build --origin ORIGIN --key KEYFILE --entries FILE --out DIR\n"
               "                         [--each]\n"
               "       dissent log key [--data DIR] [--config FILE]\n"
               "build: write a C2SP tlog-tiles log (checkpoint, tiles, entry bundles) to DIR\n"
               "       from FILE (one entry per line, '-' for standard input) signed with KEYFILE\n"
               "       (PRIVATE+KEY+... note signer key); --each appends one entry at a time and\n"
               "       keeps every intermediate partial tile.\n"
               "key:   print the verifier key of the server's log key (DIR/" LOG_KEY_FILE ").\n");
}

/*
 * Read all of @path ("-": standard input) into a malloc'd buffer, refusing more than @cap
 * bytes. Returns 0, ERR_NOT_FOUND (no such file), ERR_IO, ERR_TOO_LARGE or ERR_NOMEM.
 */
static int file_read(const char *path, size_t cap, char **out, size_t *outlen)
{
    FILE *f = NULL;
    char *buf = NULL, *grown;
    size_t len = 0, size = 0, n;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        rc = errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
        goto out;
    }
    for (;;) {
        if (len == size) {
            /* one byte past the cap tells "exactly cap" from "more than cap" */
            size_t want = size == 0 ? 4096 : size * 2;

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
    if (buf != NULL) {
        wipe(buf, size);
        free(buf);
    }
    if (f != NULL && f != stdin)
        fclose(f);
    return rc;
}

/* Read and parse the signer key file @path (one line, a final newline allowed). */
static int key_load(const char *path, struct note_skey *key)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = file_read(path, KEYFILE_MAX, &text, &len);
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
        free(text);
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
    v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return ERR_NOMEM;
    n = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len ? i > start : buf[i] == '\n') {
            v[n].data = (const uint8_t *)buf + start;
            v[n].len = i - start;
            if (v[n].len > TLOG_ENTRY_MAX) {
                free(v);
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
    free(signed_cp);
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
    rc = file_read(o->entries, ENTRIES_FILE_MAX, &buf, &len);
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
    free(views);
    free(buf);
    free(signed_cp);
    return rc;
}

static int log_build(int argc, char **argv)
{
    static const struct option opts[] = {{"origin", required_argument, NULL, 'o'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"entries", required_argument, NULL, 'e'},
                                         {"out", required_argument, NULL, 'd'},
                                         {"each", no_argument, NULL, 'E'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct build_opts o = {0};
    int c;

    optind = 0; /* glibc: a full reset, so the command can run twice in one process */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.origin = optarg;
            break;
        case 'k':
            o.key = optarg;
            break;
        case 'e':
            o.entries = optarg;
            break;
        case 'd':
            o.out = optarg;
            break;
        case 'E':
            o.each = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !o.origin || !o.key || !o.entries || !o.out) {
        usage(stderr);
        return 2;
    }
    return build_run(&o) == 0 ? 0 : 1;
}

static int log_key(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *data = NULL, *config = NULL;
    struct config cfg;
    struct note_skey key = {0};
    struct note_vkey vkey;
    char path[PATH_MAX], vtext[NOTE_VKEY_MAX], err[256] = "";
    int c, n, rc = 1;

    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "dissent log: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
