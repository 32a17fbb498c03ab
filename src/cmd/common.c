#include "cmd/cmd.h"

#include "core/channel.h"
#include "core/trust.h"
#include "core/workdays.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cmd_config_load(struct config *cfg, const char *path)
{
    char err[512] = "";

    config_defaults(cfg);
    if (path != NULL && config_load_file(cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: config: %s\n", err);
        return ERR_INVALID;
    }
    return 0;
}

int cmd_config_for_store(struct config *cfg, const char *config, const char *data, const char *db)
{
    char err[512] = "";

    if (cmd_config_load(cfg, config) != 0)
        return 1;
    if ((data && config_set(cfg, "server", "data", data, err, sizeof(err)) != 0) ||
        (db && config_set(cfg, "server", "db", db, err, sizeof(err)) != 0)) {
        fprintf(stderr, "dissent: %s\n", err);
        return 2;
    }
    return 0;
}

int cmd_tar_file(struct archive *a, const char *top, const char *path, uint64_t size, int perm,
                 int64_t mtime, const char *who)
{
    struct archive_entry *e = archive_entry_new();
    char full[1024];
    int rc = 0;

    if (e == NULL)
        return ERR_NOMEM;
    snprintf(full, sizeof(full), "%s%s", top, path);
    archive_entry_set_pathname_utf8(e, full);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, (mode_t)perm);
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK) {
        fprintf(stderr, "dissent %s: %s\n", who, archive_error_string(a));
        rc = ERR_IO;
    }
    archive_entry_free(e);
    return rc;
}

void cmd_store_uri(const struct config *cfg, char *out, size_t len)
{
    snprintf(out, len, "%s", cfg->db[0] != '\0' ? cfg->db : cfg->data_dir);
}

static int store_open_trusted(const struct config *cfg, struct store **st, bool adopt,
                              bool replace_pin)
{
    char err[512] = "", uri[1100];
    struct note_skey *key = NULL, *lkey = NULL;
    struct stat sb;

    *st = NULL;
    /* the organisation's time zone dates what a command writes (log entries: core/ledger.h) */
    if (workdays_tz_set(channel_zone(cfg), err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: [channel] timezone: %s\n", err);
        return ERR_INVALID;
    }
    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "dissent: cannot create data directory %s: %s\n", cfg->data_dir,
                strerror(errno));
        return ERR_IO;
    }
    if (stat(cfg->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "dissent: %s is not a directory\n", cfg->data_dir);
        return ERR_IO;
    }
    cmd_store_uri(cfg, uri, sizeof(uri));
    if (store_open(uri, st, err, sizeof(err)) != 0) {
        /* err never holds the URI: a PostgreSQL one may carry a password */
        fprintf(stderr, "dissent: %s\n", err[0] ? err : "cannot open the database");
        return ERR_DB;
    }
    /* what the database cannot change: its integrity keys and the channel pin (core/trust.h) */
    if (channel_signer_load(&key, cfg->data_dir, CHANNEL_KEY_FILE, CHANNEL_KEY_NAME, err,
                            sizeof(err)) != 0 ||
        channel_signer_load(&lkey, cfg->data_dir, CHANNEL_LOG_KEY_FILE, cfg->log_origin, err,
                            sizeof(err)) != 0 ||
        (adopt ? (trust_attach(*st, key, lkey, cfg->data_dir) != 0 ||
                  trust_adopt(*st, lkey, cfg->data_dir, (int64_t)time(NULL), replace_pin, err,
                              sizeof(err)) != 0)
               : trust_open(*st, key, lkey, cfg->data_dir, (int64_t)time(NULL), err, sizeof(err)) !=
                     0)) {
        fprintf(stderr, "dissent: %s\n", err[0] ? err : "cannot open the database's trust");
        keys_secure_free(key);
        keys_secure_free(lkey);
        store_close(*st);
        *st = NULL;
        return ERR_INTEGRITY;
    }
    keys_secure_free(key);
    keys_secure_free(lkey);
    return 0;
}

int cmd_store_open(const struct config *cfg, struct store **st)
{
    return store_open_trusted(cfg, st, false, false);
}

int cmd_store_adopt(const struct config *cfg, struct store **st, bool replace_pin)
{
    return store_open_trusted(cfg, st, true, replace_pin);
}

int cmd_vkey_load(const char *arg, struct note_vkey *key)
{
    return cmd_vkey_load_type(arg, NOTE_TYPE_ED25519, key);
}

int cmd_vkey_load_type(const char *arg, uint8_t type, struct note_vkey *key)
{
    char text[NOTE_VKEY_MAX + 8];
    size_t len;
    FILE *f;

    if (note_vkey_parse_type(arg, strlen(arg), type, key) == 0)
        return 0;
    if ((f = fopen(arg, "rb")) == NULL)
        return ERR_INVALID;
    len = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (len == sizeof(text))
        return ERR_INVALID;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    return note_vkey_parse_type(text, len, type, key) == 0 ? 0 : ERR_INVALID;
}

int cmd_file_read(const char *path, size_t cap, char **out, size_t *outlen)
{
    return file_read(path, cap, out, outlen);
}

static void cmd_usage(FILE *f, const char *synopsis, const struct cmd_opt *opts)
{
    fprintf(f, "usage: %s\n", synopsis);
    for (const struct cmd_opt *o = opts; o->name != NULL; o++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
}

int cmd_parse(const char *synopsis, const struct cmd_opt *opts, int argc, char **argv, int first,
              char ***rest, int *nrest)
{
    int kept = first;

    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *eq;
        const struct cmd_opt *o;
        size_t n;

        if (strcmp(a, "--") == 0) {
            /* the rest is positional: "--" and the options before it move after it */
            int tail = argc - (i + 1);
            char *dashes = argv[i];
            if (tail > 0) {
                char **moved = mem_alloc((size_t)(i - kept + 1) * sizeof(*argv));
                if (moved == NULL) {
                    fprintf(stderr, "dissent: out of memory\n");
                    return 2;
                }
                memcpy(moved, &argv[kept], (size_t)(i - kept) * sizeof(*argv));
                memmove(&argv[kept], &argv[i + 1], (size_t)tail * sizeof(*argv));
                memcpy(&argv[kept + tail], moved, (size_t)(i - kept) * sizeof(*argv));
                argv[kept + tail + (i - kept)] = dashes;
                mem_free(moved);
                kept += tail;
            }
            break;
        }
        if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && strcmp(a, "-h") != 0) {
            /* no short options: a name that begins with '-' comes after "--" */
            fprintf(stderr, "dissent: unknown option %s\n", a);
            goto usage;
        }
        if (strcmp(a, "-h") != 0 && (strncmp(a, "--", 2) != 0 || a[2] == '\0')) {
            /* positional ("-" included: standard input): moved before the options read so
             * far, every slot kept (argv is reordered, as getopt does, never overwritten) */
            char *p = argv[i];
            memmove(&argv[kept + 1], &argv[kept], (size_t)(i - kept) * sizeof(*argv));
            argv[kept++] = p;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cmd_usage(stdout, synopsis, opts);
            return 1;
        }
        eq = strchr(a + 2, '=');
        n = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
        for (o = opts; o->name != NULL; o++)
            if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0)
                break;
        if (o->name == NULL) {
            fprintf(stderr, "dissent: unknown option %s\n", a);
            goto usage;
        }
        if (o->arg == NULL) {
            if (eq != NULL) {
                fprintf(stderr, "dissent: --%s takes no value\n", o->name);
                goto usage;
            }
            *o->flag = true;
            continue;
        }
        if (o->list != NULL) {
            if (o->list->n == CMD_LIST_MAX) {
                fprintf(stderr, "dissent: --%s given more than %d times\n", o->name, CMD_LIST_MAX);
                goto usage;
            }
            if (eq != NULL) {
                o->list->v[o->list->n++] = eq + 1;
                continue;
            }
            if (i + 1 < argc) {
                o->list->v[o->list->n++] = argv[++i];
                continue;
            }
            fprintf(stderr, "dissent: --%s needs %s\n", o->name, o->arg);
            goto usage;
        }
        if (*o->value != NULL) {
            fprintf(stderr, "dissent: --%s given twice\n", o->name);
            goto usage;
        }
        if (eq != NULL) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            fprintf(stderr, "dissent: --%s needs %s\n", o->name, o->arg);
            goto usage;
        }
    }
    *rest = argv + first;
    *nrest = kept - first;
    return 0;
usage:
    cmd_usage(stderr, synopsis, opts);
    return 2;
}
