/*
 * backup.c - `dissent backup --out FILE` and `dissent restore FILE --data DIR [--db URI]`.
 *
 * A backup is one tar archive, taken while the servers run:
 *
 *   dissent-backup/manifest.json      {"format": "dissent-backup/1", "created", "database":
 *                                      "sqlite" | "postgresql", "files": [{"path", "size",
 *                                      "sha256"}, ...]} (first, so a restore checks as it reads)
 *   dissent-backup/files/NAME         each file of the data directory: the keys (channel.skey,
 *                                      log.skey), the channel pin, the log's and the records'
 *                                      signed state, ...
 *   dissent-backup/database/dissent.db       SQLite: the online backup API's copy, or
 *   dissent-backup/database/dissent.pgdump   PostgreSQL: pg_dump's custom format
 *
 * The data directory's files are read first, the database after: the database is then at least
 * as new as the log's state file beside it (log.state), which is how a server accepts them (a
 * database older than log.state is a rollback, and stops the log). Either copy is one
 * transaction's view of the database: every write acknowledged before the backup began is in
 * it.
 *
 * A restore goes into a directory that does not exist or is empty (and, for PostgreSQL, into an
 * empty database): every file is checked against the manifest's size and SHA-256 as it is
 * written, into a temporary directory beside DIR that takes DIR's place only when all of it is
 * there. Nothing half-restored is ever left under DIR's name.
 *
 * The archive holds the keys and the database: as confidential as the data directory (mode
 * 0600). It holds no readable memo: content keys are sealed to their readers (security.md).
 */
#include "cmd/cmd.h"

#include "crypto/random.h"
#include "crypto/sha.h"
#include "util/err.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define BACKUP_FORMAT "dissent-backup/1"
#define BACKUP_TOP "dissent-backup/"
#define BACKUP_FILES_MAX 256              /* files of the data directory */
#define BACKUP_FILE_MAX (16u << 20)       /* bytes of one of them */
#define BACKUP_MANIFEST_MAX (1u << 20)    /* bytes of the manifest */
#define BACKUP_DB_MAX (UINT64_C(1) << 44) /* bytes of the database's copy (16 TiB) */
#define BACKUP_NAME_MAX 128               /* bytes of a file's name */
#define BACKUP_CHUNK (256 * 1024)

static const char backup_synopsis[] = "dissent backup --out FILE [--config FILE] [--data DIR] "
                                      "[--db URI]";
static const char restore_synopsis[] = "dissent restore FILE --data DIR [--db URI]";

/* A name of the data directory that goes into a backup: a plain name, not the database's own
 * files, a lock or a temporary file. */
static bool backed_up(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n >= BACKUP_NAME_MAX || name[0] == '.' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n)
        return false;
    if (strncmp(name, "dissent.db", 10) == 0 || strcmp(name, "first-admin-password") == 0)
        return false; /* the database goes apart; a password is never backed up */
    if (n > 5 && strcmp(name + n - 5, ".lock") == 0)
        return false;
    return strstr(name, ".tmp") == NULL;
}

/* One file of the data directory, read whole. */
struct bfile {
    char name[BACKUP_NAME_MAX];
    char *data;
    size_t len;
    char sha[2 * 32 + 1];
};

static void sha_hex(char out[65], const void *p, size_t n)
{
    struct sha256_ctx c;
    uint8_t d[32];

    sha256_init(&c);
    sha256_update(&c, p, n);
    sha256_final(&c, d);
    str_hex(out, 65, d, 32);
}

static int sha_file(const char *path, char out[65], uint64_t *size)
{
    struct sha256_ctx c;
    uint8_t d[32];
    char *buf = mem_alloc(BACKUP_CHUNK);
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *size = 0;
    if (fd < 0 || buf == NULL) {
        if (fd >= 0)
            close(fd);
        mem_free(buf);
        return ERR_IO;
    }
    sha256_init(&c);
    while ((n = read(fd, buf, BACKUP_CHUNK)) > 0) {
        sha256_update(&c, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    close(fd);
    mem_free(buf);
    if (n < 0)
        return ERR_IO;
    sha256_final(&c, d);
    str_hex(out, 65, d, 32);
    return 0;
}

/* The data directory's files, each read whole, in name order. */
static int read_files(const char *dir, struct bfile **out, size_t *count)
{
    struct dirent **names = NULL;
    struct bfile *fs = NULL;
    size_t n = 0;
    int k, rc = 0;

    *out = NULL;
    *count = 0;
    if ((k = scandir(dir, &names, NULL, alphasort)) < 0) {
        fprintf(stderr, "dissent backup: cannot read %s: %s\n", dir, strerror(errno));
        return ERR_IO;
    }
    if ((fs = mem_calloc(BACKUP_FILES_MAX, sizeof(*fs))) == NULL)
        rc = ERR_NOMEM;
    for (int i = 0; i < k; i++) {
        char path[2048];
        struct stat sb;

        if (rc == 0 && backed_up(names[i]->d_name)) {
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) { /* a symlinked key too */
                if (n == BACKUP_FILES_MAX) {
                    fprintf(stderr, "dissent backup: more than %d files in %s\n", BACKUP_FILES_MAX,
                            dir);
                    rc = ERR_TOO_LARGE;
                } else if ((rc = file_read(path, BACKUP_FILE_MAX, &fs[n].data, &fs[n].len)) != 0) {
                    fprintf(stderr, "dissent backup: cannot read %s (%s)\n", path, err_str(rc));
                } else {
                    /* backed_up() took only names shorter than BACKUP_NAME_MAX */
                    memcpy(fs[n].name, names[i]->d_name, strlen(names[i]->d_name) + 1);
                    sha_hex(fs[n].sha, fs[n].data, fs[n].len);
                    n++;
                }
            }
        }
        free(names[i]); /* scandir()'s, libc's own */
    }
    free(names);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            mem_free(fs[i].data);
        mem_free(fs);
        return rc;
    }
    *out = fs;
    *count = n;
    return 0;
}

/* Run @argv (a PostgreSQL client program), with PGPASSWORD=@pw when the URI had a password
 * (else the environment as it is, PGPASSWORD or ~/.pgpass included); 0 when it exits 0. */
static int run_pg(char *const argv[], const char *pw)
{
    size_t n = 0;
    char **env, *pwvar = NULL;
    pid_t pid;
    int status = 0, rc;

    while (environ[n] != NULL)
        n++;
    if ((env = mem_calloc(n + 2, sizeof(*env))) == NULL)
        return ERR_NOMEM;
    n = 0;
    for (char **e = environ; *e != NULL; e++)
        if (pw[0] == '\0' || strncmp(*e, "PGPASSWORD=", 11) != 0)
            env[n++] = *e;
    if (pw[0] != '\0') {
        size_t len = strlen(pw) + 12;
        if ((pwvar = mem_alloc(len)) == NULL) {
            mem_free(env);
            return ERR_NOMEM;
        }
        snprintf(pwvar, len, "PGPASSWORD=%s", pw);
        env[n++] = pwvar;
    }
    rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, env);
    mem_free(pwvar); /* wiped */
    mem_free(env);
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot run %s: %s (postgresql-client)\n", argv[0], strerror(rc));
        return ERR_IO;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ERR_IO;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "dissent: %s failed (exit %d)\n", argv[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return ERR_IO;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char copy[2048];
    int fd, rc;

    snprintf(copy, sizeof(copy), "%s", path);
    if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return ERR_IO;
    rc = fsync(fd) == 0 ? 0 : ERR_IO;
    close(fd);
    return rc;
}

static int add_entry(struct archive *a, const char *path, uint64_t size)
{
    return cmd_tar_file(a, BACKUP_TOP, path, size, 0600, time(NULL), "backup");
}

static int add_bytes(struct archive *a, const char *path, const void *p, size_t n)
{
    int rc = add_entry(a, path, n);

    if (rc == 0 && n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n) {
        fprintf(stderr, "dissent backup: %s\n", archive_error_string(a));
        rc = ERR_IO;
    }
    return rc;
}

static int add_file(struct archive *a, const char *path, const char *src, uint64_t size)
{
    char *buf;
    ssize_t n;
    uint64_t left = size;
    int fd, rc = add_entry(a, path, size);

    if (rc != 0)
        return rc;
    if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
        return ERR_IO;
    if ((buf = mem_alloc(BACKUP_CHUNK)) == NULL) {
        close(fd);
        return ERR_NOMEM;
    }
    while (left > 0 && (n = read(fd, buf, BACKUP_CHUNK)) > 0) {
        if ((uint64_t)n > left || archive_write_data(a, buf, (size_t)n) != n) {
            rc = ERR_IO;
            break;
        }
        left -= (uint64_t)n;
    }
    close(fd);
    mem_free(buf);
    return rc == 0 && left == 0 ? 0 : ERR_IO;
}

int cmd_backup(int argc, char **argv)
{
    struct cmd_store_args sa = {0};
    const char *out = NULL;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"out", "FILE", "the archive to write (must not exist)", &out, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct config cfg;
    struct bfile *fs = NULL;
    size_t nfs = 0;
    char uri[1100], dbpath[2048], tmpdir[2048], tmpdb[2100], tmpout[2100], err[512] = "";
    char dbsha[65], conninfo[2048], pw[256];
    uint64_t dbsize = 0;
    bool pg;
    json_t *man = NULL, *list;
    char *mtext = NULL, created[32];
    struct archive *a = NULL;
    struct stat sb;
    time_t now = time(NULL);
    struct tm tm;
    int fd = -1, rc = 1, nrest = 0;
    char **rest = NULL;

    tmpdir[0] = tmpout[0] = '\0';
    if ((rc = cmd_parse(backup_synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    rc = 1;
    if (nrest != 0 || out == NULL) {
        fprintf(stderr, "usage: %s\n", backup_synopsis);
        return 2;
    }
    if (cmd_config_load(&cfg, sa.config) != 0 ||
        (sa.data && config_set(&cfg, "server", "data", sa.data, err, sizeof(err)) != 0) ||
        (sa.db && config_set(&cfg, "server", "db", sa.db, err, sizeof(err)) != 0)) {
        if (err[0])
            fprintf(stderr, "dissent backup: %s\n", err);
        return 2;
    }
    if (lstat(out, &sb) == 0) {
        fprintf(stderr, "dissent backup: %s exists: the archive is a new file\n", out);
        return 1;
    }
    cmd_store_uri(&cfg, uri, sizeof(uri));
    pg = store_sqlite_path(uri, dbpath, sizeof(dbpath)) != 0;
    if (pg && strstr(uri, "://") != NULL && strncmp(uri, "postgres", 8) != 0) {
        fprintf(stderr, "dissent backup: unsupported database URI\n");
        return 1;
    }
    /* 1. the files beside the keys, before the database (see the top of this file) */
    if (read_files(cfg.data_dir, &fs, &nfs) != 0)
        return 1;
    {
        bool skey = false, lkey = false;
        for (size_t i = 0; i < nfs; i++) {
            skey = skey || strcmp(fs[i].name, "channel.skey") == 0;
            lkey = lkey || strcmp(fs[i].name, "log.skey") == 0;
        }
        if (!skey || !lkey) {
            fprintf(stderr,
                    "dissent backup: %s has no %s: is it the data directory (started "
                    "once)?\n",
                    cfg.data_dir, skey ? "log.skey" : "channel.skey");
            goto out;
        }
    }
    /* 2. the database, into a directory of our own beside the archive */
    snprintf(tmpdir, sizeof(tmpdir), "%s.tmp-XXXXXX", out);
    if (mkdtemp(tmpdir) == NULL) {
        fprintf(stderr, "dissent backup: cannot create %s: %s\n", tmpdir, strerror(errno));
        tmpdir[0] = '\0';
        goto out;
    }
    snprintf(tmpdb, sizeof(tmpdb), "%s/%s", tmpdir, pg ? "dissent.pgdump" : "dissent.db");
    if (pg) {
        char file_arg[2200], db_arg[2100];
        if (store_pg_client_conninfo(uri, conninfo, sizeof(conninfo), pw, sizeof(pw)) != 0) {
            fprintf(stderr, "dissent backup: the database URI cannot be read\n");
            goto out;
        }
        snprintf(file_arg, sizeof(file_arg), "--file=%s", tmpdb);
        snprintf(db_arg, sizeof(db_arg), "--dbname=%s", conninfo);
        char *args[] = {
            "pg_dump", "--format=custom", "--no-owner", "--no-privileges", file_arg, db_arg, NULL};
        int pr = run_pg(args, pw);
        wipe(pw, sizeof(pw));
        if (pr != 0)
            goto out;
    } else if (store_sqlite_snapshot(dbpath, tmpdb, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent backup: %s\n", err);
        goto out;
    }
    if (sha_file(tmpdb, dbsha, &dbsize) != 0 || dbsize > BACKUP_DB_MAX) {
        fprintf(stderr, "dissent backup: cannot read the database's copy\n");
        goto out;
    }
    /* 3. the manifest, then every file, into OUT.tmp; renamed to OUT once whole and synced */
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    man = json_pack("{s:s,s:s,s:s,s:[]}", "format", BACKUP_FORMAT, "created", created, "database",
                    pg ? "postgresql" : "sqlite", "files");
    list = man ? json_object_get(man, "files") : NULL;
    bool listed = list != NULL;
    for (size_t i = 0; listed && i < nfs; i++) {
        char path[BACKUP_NAME_MAX + 8];
        snprintf(path, sizeof(path), "files/%s", fs[i].name);
        listed =
            json_array_append_new(list, json_pack("{s:s,s:I,s:s}", "path", path, "size",
                                                  (json_int_t)fs[i].len, "sha256", fs[i].sha)) == 0;
    }
    listed = listed && json_array_append_new(
                           list, json_pack("{s:s,s:I,s:s}", "path",
                                           pg ? "database/dissent.pgdump" : "database/dissent.db",
                                           "size", (json_int_t)dbsize, "sha256", dbsha)) == 0;
    if (!listed || (mtext = json_dumps(man, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
        fprintf(stderr, "dissent backup: out of memory\n");
        goto out;
    }
    snprintf(tmpout, sizeof(tmpout), "%s/archive.tar", tmpdir);
    if ((fd = open(tmpout, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
        (a = archive_write_new()) == NULL || archive_write_set_format_pax_restricted(a) != 0 ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        fprintf(stderr, "dissent backup: cannot write %s\n", out);
        goto out;
    }
    if (add_bytes(a, "manifest.json", mtext, strlen(mtext)) != 0)
        goto out;
    for (size_t i = 0; i < nfs; i++) {
        char path[BACKUP_NAME_MAX + 8];
        snprintf(path, sizeof(path), "files/%s", fs[i].name);
        if (add_bytes(a, path, fs[i].data, fs[i].len) != 0)
            goto out;
    }
    if (add_file(a, pg ? "database/dissent.pgdump" : "database/dissent.db", tmpdb, dbsize) != 0) {
        fprintf(stderr, "dissent backup: cannot copy the database into the archive\n");
        goto out;
    }
    if (archive_write_close(a) != ARCHIVE_OK || fsync(fd) != 0) {
        fprintf(stderr, "dissent backup: cannot write %s\n", out);
        goto out;
    }
    if (link(tmpout, out) != 0 || fsync_dir_of(out) != 0) { /* link: never over a file */
        fprintf(stderr, "dissent backup: cannot create %s: %s\n", out, strerror(errno));
        goto out;
    }
    printf("backup: %s (%zu files of %s, the %s database: %llu bytes)\n", out, nfs, cfg.data_dir,
           pg ? "PostgreSQL" : "SQLite", (unsigned long long)dbsize);
    rc = 0;
out:
    if (a != NULL)
        archive_write_free(a);
    if (fd >= 0)
        close(fd);
    if (tmpout[0])
        unlink(tmpout);
    if (tmpdir[0]) {
        unlink(tmpdb);
        rmdir(tmpdir);
    }
    json_decref(man);
    mem_free(mtext);
    for (size_t i = 0; i < nfs; i++)
        mem_free(fs[i].data); /* wiped: keys */
    mem_free(fs);
    return rc;
}

/* ---- restore ---- */

/* A path of the manifest: "files/NAME" with a name a backup takes, or the database's. */
static bool manifest_path_ok(const char *p, const char *database)
{
    if (strncmp(p, "files/", 6) == 0)
        return backed_up(p + 6);
    return strcmp(p, strcmp(database, "sqlite") == 0 ? "database/dissent.db"
                                                     : "database/dissent.pgdump") == 0;
}

/* Remove @dir and the plain files in it (a restore that did not finish). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[2300];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* An entry's bytes into @path (new, 0600), checked against @size and @sha. */
static int extract(struct archive *a, const char *path, uint64_t size, const char *sha)
{
    struct sha256_ctx c;
    uint8_t d[32];
    char got[65];
    const void *buf;
    size_t n;
    la_int64_t off;
    uint64_t total = 0;
    int r, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0)
        return ERR_IO;
    sha256_init(&c);
    while ((r = archive_read_data_block(a, &buf, &n, &off)) == ARCHIVE_OK) {
        if ((uint64_t)off != total || total + n > size) {
            close(fd);
            return ERR_INVALID;
        }
        sha256_update(&c, buf, n);
        for (size_t w = 0; w < n;) {
            ssize_t k = write(fd, (const char *)buf + w, n - w);
            if (k < 0) {
                close(fd);
                return ERR_IO;
            }
            w += (size_t)k;
        }
        total += n;
    }
    if (r != ARCHIVE_EOF || fsync(fd) != 0) {
        close(fd);
        return r != ARCHIVE_EOF ? ERR_INVALID : ERR_IO;
    }
    close(fd);
    sha256_final(&c, d);
    str_hex(got, sizeof(got), d, 32);
    return total == size && strcmp(got, sha) == 0 ? 0 : ERR_INTEGRITY;
}

/* DIR may be restored into: absent, or an empty directory. */
static int target_ok(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return errno == ENOENT ? 0 : ERR_IO;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n == 0 ? 0 : ERR_EXISTS;
}

int cmd_restore(int argc, char **argv)
{
    const char *data = NULL, *db = NULL;
    const struct cmd_opt opts[] = {
        {"data", "DIR", "the data directory to make (absent or empty)", &data, NULL, NULL},
        {"db", "URI", "PostgreSQL: the empty database to restore into", &db, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct archive *a = NULL;
    struct archive_entry *e;
    json_t *man = NULL, *list;
    json_error_t jerr;
    char tmp[2048] = "", dump[2400] = "", target[1800], *mtext = NULL, **rest = NULL;
    char parent[1800], base[1800];
    const char *database;
    bool *seen = NULL;
    size_t nlist = 0, done = 0;
    int rc, nrest = 0, r;

    if ((rc = cmd_parse(restore_synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 1 || data == NULL || data[0] == '\0') {
        fprintf(stderr, "usage: %s\n", restore_synopsis);
        return 2;
    }
    if (db != NULL && strncmp(db, "postgresql://", 13) != 0 &&
        strncmp(db, "postgres://", 11) != 0) {
        fprintf(stderr, "dissent restore: --db takes a PostgreSQL URI (SQLite goes in --data)\n");
        return 2;
    }
    /* DIR without trailing slashes: its temporary sibling must be beside it, not inside */
    size_t dl = strlen(data);
    while (dl > 1 && data[dl - 1] == '/')
        dl--;
    if (dl >= sizeof(target) || (dl == 1 && data[0] == '/')) {
        fprintf(stderr, "dissent restore: --data %s cannot be restored into\n", data);
        return 2;
    }
    memcpy(target, data, dl);
    target[dl] = '\0';
    data = target;
    if ((rc = target_ok(data)) != 0) {
        fprintf(stderr, "dissent restore: %s %s\n", data,
                rc == ERR_EXISTS ? "is not empty: a restore goes into a new directory"
                                 : "cannot be read");
        return 1;
    }
    rc = 1;
    if ((a = archive_read_new()) == NULL || archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open_filename(a, rest[0], BACKUP_CHUNK) != ARCHIVE_OK) {
        fprintf(stderr, "dissent restore: cannot read %s: %s\n", rest[0],
                a ? archive_error_string(a) : "out of memory");
        goto out;
    }
    /* the manifest first */
    if (archive_read_next_header(a, &e) != ARCHIVE_OK ||
        strcmp(archive_entry_pathname(e), BACKUP_TOP "manifest.json") != 0 ||
        archive_entry_size(e) <= 0 || archive_entry_size(e) > (la_int64_t)BACKUP_MANIFEST_MAX) {
        fprintf(stderr, "dissent restore: %s is not a dissent backup (no manifest first)\n",
                rest[0]);
        goto out;
    }
    size_t mlen = (size_t)archive_entry_size(e);
    if ((mtext = mem_alloc(mlen + 1)) == NULL ||
        archive_read_data(a, mtext, mlen) != (la_ssize_t)mlen) {
        fprintf(stderr, "dissent restore: cannot read the manifest\n");
        goto out;
    }
    mtext[mlen] = '\0';
    man = json_loadb(mtext, mlen, JSON_REJECT_DUPLICATES, &jerr);
    list = man ? json_object_get(man, "files") : NULL;
    database = man ? json_string_value(json_object_get(man, "database")) : NULL;
    if (!json_is_array(list) || database == NULL ||
        !json_is_string(json_object_get(man, "format")) ||
        strcmp(json_string_value(json_object_get(man, "format")), BACKUP_FORMAT) != 0 ||
        (strcmp(database, "sqlite") != 0 && strcmp(database, "postgresql") != 0) ||
        (nlist = json_array_size(list)) == 0 || nlist > BACKUP_FILES_MAX + 1) {
        fprintf(stderr, "dissent restore: the manifest is not a %s one\n", BACKUP_FORMAT);
        goto out;
    }
    for (size_t i = 0; i < nlist; i++) {
        json_t *f = json_array_get(list, i);
        const char *p = json_string_value(json_object_get(f, "path"));
        const char *h = json_string_value(json_object_get(f, "sha256"));
        json_t *z = json_object_get(f, "size");
        if (p == NULL || h == NULL || strlen(h) != 64 || !json_is_integer(z) ||
            json_integer_value(z) < 0 || !manifest_path_ok(p, database)) {
            fprintf(stderr, "dissent restore: the manifest's entry %zu is not valid\n", i + 1);
            goto out;
        }
    }
    {
        size_t ndb = 0, nkeys = 0;
        for (size_t i = 0; i < nlist; i++) {
            const char *p = json_string_value(json_object_get(json_array_get(list, i), "path"));
            ndb += strncmp(p, "database/", 9) == 0;
            nkeys += strcmp(p, "files/channel.skey") == 0 || strcmp(p, "files/log.skey") == 0;
        }
        if (ndb != 1 || nkeys != 2) {
            fprintf(stderr, "dissent restore: the manifest lacks the database or the keys\n");
            goto out;
        }
    }
    if (strcmp(database, "postgresql") == 0 && db == NULL) {
        fprintf(stderr, "dissent restore: this backup holds a PostgreSQL database: give the "
                        "empty database to restore it into with --db URI\n");
        goto out;
    }
    if (strcmp(database, "sqlite") == 0 && db != NULL) {
        fprintf(stderr, "dissent restore: this backup holds a SQLite database: restore it with "
                        "--data alone (then dissent migrate, for PostgreSQL)\n");
        goto out;
    }
    /* everything into a directory of our own beside DIR */
    snprintf(parent, sizeof(parent), "%s", data);
    snprintf(base, sizeof(base), "%s", data);
    snprintf(tmp, sizeof(tmp), "%s/.%s.restore-XXXXXX", dirname(parent), basename(base));
    if (mkdtemp(tmp) == NULL) {
        fprintf(stderr, "dissent restore: cannot create %s: %s\n", tmp, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    if ((seen = mem_calloc(nlist, sizeof(*seen))) == NULL)
        goto out;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        size_t i;
        char path[2300];

        if (name == NULL || strncmp(name, BACKUP_TOP, strlen(BACKUP_TOP)) != 0)
            goto bad_entry;
        name += strlen(BACKUP_TOP);
        for (i = 0; i < nlist; i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "path")), name) ==
                0)
                break;
        if (i == nlist || seen[i] || archive_entry_filetype(e) != AE_IFREG)
            goto bad_entry;
        seen[i] = true;
        json_t *f = json_array_get(list, i);
        if (strncmp(name, "files/", 6) == 0)
            snprintf(path, sizeof(path), "%s/%s", tmp, name + 6);
        else if (strcmp(database, "sqlite") == 0)
            snprintf(path, sizeof(path), "%s/dissent.db", tmp);
        else
            snprintf(path, sizeof(path), "%s/.dissent.pgdump", tmp);
        if (strcmp(database, "postgresql") == 0 && strncmp(name, "database/", 9) == 0)
            snprintf(dump, sizeof(dump), "%s", path);
        if ((rc = extract(a, path, (uint64_t)json_integer_value(json_object_get(f, "size")),
                          json_string_value(json_object_get(f, "sha256")))) != 0) {
            fprintf(stderr, "dissent restore: %s: %s\n", name,
                    rc == ERR_INTEGRITY ? "its size or SHA-256 is not the manifest's"
                    : rc == ERR_INVALID ? "damaged in the archive"
                                        : "cannot be written");
            rc = 1;
            goto out;
        }
        done++;
        continue;
    bad_entry:
        fprintf(stderr, "dissent restore: %s is not in the manifest, or is there twice\n",
                archive_entry_pathname(e));
        rc = 1;
        goto out;
    }
    rc = 1;
    if (r != ARCHIVE_EOF || done != nlist) {
        fprintf(stderr, "dissent restore: the archive %s\n",
                r != ARCHIVE_EOF ? "is damaged" : "lacks files its manifest lists");
        goto out;
    }
    if (target_ok(data) != 0) { /* made meanwhile: before the database is written */
        fprintf(stderr, "dissent restore: %s is no longer empty; nothing was restored\n", data);
        goto out;
    }
    if (dump[0] != '\0') {
        char conninfo[2048], pw[256], db_arg[2100];
        if (store_pg_client_conninfo(db, conninfo, sizeof(conninfo), pw, sizeof(pw)) != 0) {
            fprintf(stderr, "dissent restore: the database URI cannot be read\n");
            goto out;
        }
        snprintf(db_arg, sizeof(db_arg), "--dbname=%s", conninfo);
        char *args[] = {"pg_restore",
                        "--exit-on-error",
                        "--single-transaction",
                        "--no-owner",
                        "--no-privileges",
                        db_arg,
                        dump,
                        NULL};
        int pr = run_pg(args, pw);
        wipe(pw, sizeof(pw));
        unlink(dump);
        if (pr != 0) {
            fprintf(stderr, "dissent restore: pg_restore refused the dump (is the database "
                            "empty?); nothing was restored\n");
            goto out;
        }
    }
    /* whole: DIR's name now */
    if ((target_ok(data) == 0 && rmdir(data) != 0 && errno != ENOENT) || rename(tmp, data) != 0 ||
        fsync_dir_of(data) != 0) {
        fprintf(stderr, "dissent restore: cannot move the restored files to %s: %s\n", data,
                strerror(errno));
        if (dump[0] != '\0') { /* the database is restored already: its files must not go */
            fprintf(stderr,
                    "dissent restore: the database was restored; its data directory's "
                    "files are in %s: move that directory to %s\n",
                    tmp, data);
            tmp[0] = '\0';
        }
        goto out;
    }
    tmp[0] = '\0';
    printf("restore: %s (%zu files, the %s database) from %s\n", data, nlist - 1,
           strcmp(database, "sqlite") == 0 ? "SQLite" : "PostgreSQL", rest[0]);
    rc = 0;
out:
    if (tmp[0] != '\0')
        remove_tree(tmp);
    if (a != NULL)
        archive_read_free(a);
    json_decref(man);
    mem_free(mtext);
    mem_free(seen);
    return rc;
}
