/*
 * cmd.h - the subcommands of the one `dissent` binary, one file each, and what they share.
 *
 * Each cmd_*() takes the arguments after its own name (argv[0] is the subcommand name) and
 * returns the process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef DISSENT_CMD_CMD_H
#define DISSENT_CMD_CMD_H

#include "crypto/note.h"
#include "store/store.h"
#include "tlog/monitor.h"
#include "util/config.h"

int cmd_serve(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_channel(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_directory(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_records(int argc, char **argv);
int cmd_witness(int argc, char **argv);
int cmd_backup(int argc, char **argv);      /* cmd/backup.c */
int cmd_restore(int argc, char **argv);     /* cmd/backup.c */
int cmd_log_monitor(int argc, char **argv); /* `dissent log monitor` (cmd/monitor.c) */

/*
 * The one option parser of the subcommands. A command declares its options in a table, ended by
 * a row whose @name is NULL; cmd_parse() reads them (GNU long options: --name VALUE,
 * --name=VALUE, --flag), and makes the --help text from the same table.
 */
#define CMD_LIST_MAX 64 /* most values of an option that may be repeated */

/* The values of an option that may be given several times, in order. */
struct cmd_list {
    const char *v[CMD_LIST_MAX];
    int n;
};

struct cmd_opt {
    const char *name;      /* the long option, without "--" */
    const char *arg;       /* its argument's name in the usage ("DIR"), or NULL for a flag */
    const char *help;      /* one line for --help */
    const char **value;    /* receives the argument (options with @arg) */
    bool *flag;            /* set true when given (flags) */
    struct cmd_list *list; /* instead of @value: the option may be repeated (CMD_LIST_MAX) */
};

/* The options of every command that opens the store: --config, --data, --db. */
struct cmd_store_args {
    const char *config, *data, *db;
};
#define CMD_STORE_OPTS(a)                                                                           \
    {"config", "FILE", "the settings file (docs/config.md)", &(a)->config, NULL, NULL},             \
        {"data", "DIR", "the data directory (keys, pin, SQLite database)", &(a)->data, NULL, NULL}, \
    {                                                                                               \
        "db", "URI", "the database, when not SQLite in the data directory", &(a)->db, NULL, NULL    \
    }

/**
 * cmd_parse() - read the options of @argv[@first..@argc) against @opts. What is left (the
 * positional arguments, in order) goes to *@rest, *@nrest of them. --help (or -h) prints "usage:
 * @synopsis" and every option on standard output and returns 1 (the caller exits 0); an unknown
 * option, a missing argument or a repeated one prints the same on standard error and returns 2
 * (the caller exits 2). 0 otherwise. There are no short options but -h: any other word that
 * begins with '-' (but "-", standard input) is refused, so a positional one comes after "--".
 * A long option may not be abbreviated, nor given twice (but one with a @list). @argv is reordered
 * as getopt does (the positional arguments first, every slot kept); nothing is global, so a command
 * may run several times in one process, each with its own argv.
 */
int cmd_parse(const char *synopsis, const struct cmd_opt *opts, int argc, char **argv, int first,
              char ***rest, int *nrest);

/**
 * cmd_config_load() - defaults, then --config FILE if @path is not NULL. Prints errors.
 * Returns 0 or ERR_INVALID.
 */
int cmd_config_load(struct config *cfg, const char *path);

/**
 * cmd_config_for_store() - cmd_config_load(@config), then --data @data and --db @db over it
 * (either may be NULL). Prints errors. Returns 0, 1 (the file) or 2 (a bad value): the exit code.
 */
int cmd_config_for_store(struct config *cfg, const char *config, const char *data, const char *db);

/**
 * cmd_store_open() - create the data directory (mode 0700) if missing and open the database:
 * [server] db (--db URI) when set, else SQLite in the data directory. The data directory is
 * created either way: the server's keys live there (servers sharing a PostgreSQL database share
 * one data directory for them). The process takes the organisation's time zone ([channel]
 * timezone), which dates what the command writes.
 * Prints errors. Returns 0, ERR_INVALID (the time zone), ERR_IO (the data directory), ERR_DB
 * (the database) or ERR_INTEGRITY (its keys or its pin); the caller closes *@st with
 * store_close().
 */
int cmd_store_open(const struct config *cfg, struct store **st);

/**
 * cmd_store_adopt() - cmd_store_open(), but adopting the database as it is (core/trust.h:
 * trust_adopt()) instead of checking it against the data directory's pin: `dissent trust adopt`.
 */
int cmd_store_adopt(const struct config *cfg, struct store **st, bool replace_pin);

struct archive;

/**
 * cmd_tar_file() - begin a regular file of @size bytes in the tar @a (libarchive), named @top
 * followed by @path, with mode @perm and time @mtime (unix seconds); its bytes follow with
 * archive_write_data(). 0, ERR_NOMEM, or ERR_IO with libarchive's reason printed after
 * "dissent @who: ".
 */
int cmd_tar_file(struct archive *a, const char *top, const char *path, uint64_t size, int perm,
                 int64_t mtime, const char *who);

/** cmd_store_uri() - the store URI for @cfg into @out: [server] db, else the data directory. */
void cmd_store_uri(const struct config *cfg, char *out, size_t len);

/* ---- a transparency log checked over HTTP (cmd/remote.c) ---- */

#define VERIFY_URL_MAX 2048                 /* longest log URL accepted, bytes */
#define VERIFY_TIMEOUT_DEFAULT 300          /* seconds for a whole run, by default */
#define VERIFY_TIMEOUT_MAX 86400            /* longest --timeout accepted, seconds */
#define VERIFY_ERR_MAX TLOG_MONITOR_ERR_MAX /* bytes of a failure message */

/* What to check: the log at @url under @key, extending the checkpoint saved in @state (NULL:
 * none; the new one is saved there), cosigned by @quorum of the @witnesses. */
struct cmd_log_check {
    const char *url;
    struct note_vkey key;
    const char *state;
    struct note_vkey witnesses[CMD_LIST_MAX];
    size_t nwitnesses;
    size_t quorum;
    long timeout;     /* seconds for the whole run */
    bool state_given; /* @state is another's (a monitor's): it must exist, and is not saved */
    /* optional: each entry, in order (tlog/monitor.h's entry callback), with @ctx */
    int (*entry)(void *ctx, uint64_t index, const uint8_t *data, size_t len);
    void *ctx;
};

/* What a check that passed found. */
struct cmd_log_result {
    struct tlog_monitor_result audit; /* the checkpoint (text, parsed), tiles and bundles */
    bool had_old;                     /* a saved checkpoint was there ... */
    uint64_t old_size;                /* ... of this size */
    uint64_t times[CMD_LIST_MAX];     /* each witness's cosignature time, 0 when none */
    size_t cosigned;                  /* witnesses that cosigned */
    long http_status; /* after a failure: the last request's HTTP status, 0 when none came */
    bool unanswered;  /* ... and whether it got no answer at all (connection, timeout) */
};

/** cmd_log_url_acceptable() - an http:// or https:// URL without white space, not too long. */
bool cmd_log_url_acceptable(const char *url);

/**
 * cmd_log_check() - audit the log as @c says (libcurl must be initialised). 0 and *@out
 * (release it with cmd_log_result_release()), or an error with the reason in @err
 * (VERIFY_ERR_MAX bytes).
 */
int cmd_log_check(const struct cmd_log_check *c, struct cmd_log_result *out, char *err);

/**
 * cmd_http_get() - GET @url (http or https), a 200 of at most @cap bytes within @timeout_s
 * seconds, into *@out (malloc'd, NUL-terminated) and *@len; *@status the HTTP status answered (0
 * when none came), *@unanswered whether none came. 0, or ERR_IO / ERR_TOO_LARGE / ERR_NOMEM with
 * the reason in @err (VERIFY_ERR_MAX bytes).
 */
int cmd_http_get(const char *url, size_t cap, long timeout_s, char **out, size_t *len, long *status,
                 bool *unanswered, char *err);

/** cmd_log_result_release() - free what cmd_log_check() gave. */
void cmd_log_result_release(struct cmd_log_result *r);

/**
 * cmd_log_check_setup() - @o from a command's arguments: the log's @url, its @vkey (the key or a
 * file), the --witness keys @witnesses (NULL: none), --quorum @quorum (default: all of them) and
 * --timeout @timeout (seconds; default VERIFY_TIMEOUT_DEFAULT), any of them NULL. 0, or 2 with
 * the problem said on standard error under @what (the command's name).
 */
int cmd_log_check_setup(struct cmd_log_check *o, const char *what, const char *url,
                        const char *vkey, const struct cmd_list *witnesses, const char *quorum,
                        const char *timeout);

/**
 * cmd_file_read() - the whole file @path ("-": standard input), at most @cap bytes, into a
 * malloc'd buffer *@out (NUL not added; the caller frees). Returns 0, ERR_NOT_FOUND (no such
 * file), ERR_IO (errno tells), ERR_TOO_LARGE or ERR_NOMEM.
 */
int cmd_file_read(const char *path, size_t cap, char **out, size_t *outlen);

struct note_vkey;

/**
 * cmd_vkey_load() - a --vkey argument: the vkey text itself, or a file holding it (one line).
 * Returns 0 or ERR_INVALID.
 */
int cmd_vkey_load(const char *arg, struct note_vkey *key);

/** cmd_vkey_load_type() - as cmd_vkey_load() for a key of signature type @type (0x04: a
 *  witness's). */
int cmd_vkey_load_type(const char *arg, uint8_t type, struct note_vkey *key);

#endif
