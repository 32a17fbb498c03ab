/*
 * serve.c - `dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--db URI]
 *            [--workers N]`.
 *
 * SIGHUP (http/server.h) comes back here (reload()): the settings file is read again and, when
 * it is valid as a whole, what can change while serving is applied (reloadable[] below: the
 * TLS files, the log's level and file, the mail transport); every other key whose value differs
 * from the file read at start is named in a warning ("restart to apply it"). The log file is
 * opened again whatever the file says (logrotate). A file with an error changes nothing.
 */
#include "cmd/cmd.h"

#include "core/housekeeping.h"
#include "core/calendar.h"
#include "core/workflow.h"
#include "core/channel.h"
#include "core/cosigning.h"
#include "core/ledger.h"
#include "core/directory.h"
#include "core/records.h"
#include "core/runner.h"
#include "core/mailer.h"
#include "core/oidc.h"
#include "core/user.h"
#include "crypto/random.h"
#include "api/serve.h"
#include "http/server.h"
#include "net/fetch.h"
#include "smtp/smtp.h"
#include "util/err.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIRST_ADMIN_FILE "first-admin-password" /* under systemd (below) */

static const char synopsis[] =
    "dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--db URI] [--workers N]";

/*
 * The settings SIGHUP applies. Not here, and why:
 *  - [channel] closures and the calendar: a changed closure moves deadlines, which must be
 *    logged and audited: the administrators' calendar (POST /api/v1/calendar/closures) does
 *    that without a restart;
 *  - [mail] enabled, base_url and the escalation settings: read by the request threads and the
 *    sender at start;
 *  - the rest (addresses, database, keys, the log's origin, sign-in) need the server started
 *    again: every thread reads them unguarded.
 */
static const char *const reloadable[] = {
    "tls.cert",           "tls.key",
    "log.level",          "log.file",
    "mail.host",          "mail.port",
    "mail.starttls",      "mail.ca_file",
    "mail.username",      "mail.password",
    "mail.password_file", "mail.from",
    "mail.timeout",       "mail.poll_interval",
    "mail.scan_interval", "mail.backoff_base",
    "mail.backoff_max",   "mail.max_attempts",
    "mail.batch",
};

static bool is_reloadable(const char *section, const char *key)
{
    char name[128];

    snprintf(name, sizeof(name), "%s.%s", section, key);
    for (size_t i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
        if (strcmp(reloadable[i], name) == 0)
            return true;
    return false;
}

/* What reload() needs: the file, its keys at start, the overrides, the mail sender. */
struct reload_state {
    const char *path;         /* --config, or NULL (then only the log file is opened again) */
    struct config_file start; /* its keys when the server started */
    bool started;             /* @start was read (else no key is named as needing a restart) */
    const char *listen, *data, *db, *workers; /* the command line's overrides */
    const struct config *cfg;                 /* the settings the server started with */
    char log_file[1024]; /* the file the log goes to now, "" for standard error */
    struct mailer *mailer;
};

/* Settings as a restart would read them: the defaults, the file, the command line. */
static int reload_read(struct reload_state *r, struct config *next, char *err, size_t errlen)
{
    int rc;

    config_defaults(next);
    if ((rc = config_load_file(next, r->path, err, errlen)) != 0)
        return rc;
    if ((r->listen && config_set(next, "server", "listen", r->listen, err, errlen) != 0) ||
        (r->data && config_set(next, "server", "data", r->data, err, errlen) != 0) ||
        (r->db && config_set(next, "server", "db", r->db, err, errlen) != 0) ||
        (r->workers && config_set(next, "server", "workers", r->workers, err, errlen) != 0))
        return ERR_INVALID;
    if ((next->tls_cert[0] == '\0') != (next->tls_key[0] == '\0')) {
        err_set(err, errlen, "tls.cert and tls.key go together");
        return ERR_INVALID;
    }
    return mailer_check(next, err, errlen);
}

/* The log to the file it names now (again, after logrotate moved it). */
static void reopen_log(struct reload_state *r)
{
    char err[1200];

    if (r->log_file[0] != '\0' && log_open_file(r->log_file, err, sizeof(err)) != 0)
        log_error("reload: cannot open the log file %s; the log goes on where it went", err);
}

static void reload(void *arg, char *cert, size_t certlen, char *key, size_t keylen)
{
    struct reload_state *r = arg;
    struct config_file now = {0};
    struct config *next = NULL;
    char err[512] = "";
    size_t n = 0, restart = 0;
    const struct config_setting *set = config_settings(&n);

    if (r->path == NULL) {
        reopen_log(r);
        log_info("reload: no settings file (--config): the log file was opened again");
        return;
    }
    if ((next = mem_alloc(sizeof(*next))) == NULL) {
        log_error("reload: out of memory; nothing changed");
        reopen_log(r);
        return;
    }
    if (config_file_read(r->path, &now, err, sizeof(err)) != 0 ||
        reload_read(r, next, err, sizeof(err)) != 0) {
        log_error("reload: %s; nothing of the file was applied", err);
        reopen_log(r);
        goto out;
    }
    /* the log first, so that what follows lands where it now goes: its file (opened again even
     * when unchanged: logrotate), and its level */
    bool kept = strcmp(next->log_file, r->log_file) != 0 && next->log_file[0] == '\0';
    if (!kept)
        snprintf(r->log_file, sizeof(r->log_file), "%s", next->log_file);
    reopen_log(r);
    log_set_level((enum log_level)next->log_level);
    if (kept)
        log_warn("reload: [log] file removed: the log stays in %s until a restart", r->log_file);
    for (size_t i = 0; r->started && i < n; i++) {
        if (!config_file_changed(&r->start, &now, set[i].section, set[i].key) ||
            is_reloadable(set[i].section, set[i].key))
            continue;
        log_warn("reload: [%s] %s changed in %s: restart to apply it", set[i].section, set[i].key,
                 r->path);
        restart++;
    }
    /* TLS: other files, or the same files renewed (read by the server after this) */
    if ((next->tls_cert[0] != '\0') != (r->cfg->tls_cert[0] != '\0')) {
        log_warn("reload: HTTPS turned %s in %s: restart to apply it",
                 next->tls_cert[0] != '\0' ? "on" : "off", r->path);
        restart++;
    } else if (next->tls_cert[0] != '\0') {
        snprintf(cert, certlen, "%s", next->tls_cert);
        snprintf(key, keylen, "%s", next->tls_key);
    }
    /* mail: the transport, from the next batch on */
    if (r->mailer != NULL && !next->mail_enabled) {
        log_warn("reload: [mail] enabled changed: restart to apply it");
        restart++;
    } else if (r->mailer != NULL && mailer_reload(r->mailer, next) != 0)
        log_error("reload: out of memory: the mail settings were not applied");
    log_msg(restart > 0 ? LOG_WARN : LOG_INFO, "reload: done (%zu setting%s a restart)", restart,
            restart == 1 ? " needs" : "s need");
out:
    config_file_free(&now);
    mem_free(next);
}

int cmd_serve(int argc, char **argv)
{
    struct cmd_store_args sa = {0};
    const char *listen = NULL, *workers = NULL;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"listen", "HOST:PORT", "where to listen ([server] listen)", &listen, NULL, NULL},
        {"workers", "N", "event-loop threads ([server] workers)", &workers, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    const char *config_path, *data, *db;
    struct config cfg;
    struct store *st = NULL;
    struct pw_params pp;
    struct channel ch;
    struct mailer *mailer = NULL;
    struct runner *directory = NULL, *records = NULL, *witnesses = NULL;
    char admin_pw[32], err[256] = "", uri[1100], **rest = NULL;
    bool created = false;
    int nrest = 0, rc;

    /* a SIGHUP (logrotate) while starting or stopping must not end the process: ignored until
     * the server's loop handles it (libevent puts this back when it lets go of it) */
    signal(SIGHUP, SIG_IGN);
    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    config_path = sa.config;
    data = sa.data;
    db = sa.db;
    if (cmd_config_load(&cfg, config_path) != 0)
        return 1;
    if ((listen && config_set(&cfg, "server", "listen", listen, err, sizeof(err)) != 0) ||
        (data && config_set(&cfg, "server", "data", data, err, sizeof(err)) != 0) ||
        (db && config_set(&cfg, "server", "db", db, err, sizeof(err)) != 0) ||
        (workers && config_set(&cfg, "server", "workers", workers, err, sizeof(err)) != 0)) {
        fprintf(stderr, "dissent: %s\n", err);
        return 2;
    }
    log_set_level((enum log_level)cfg.log_level);
    if ((cfg.tls_cert[0] == '\0') != (cfg.tls_key[0] == '\0')) {
        fprintf(stderr, "dissent: tls.cert and tls.key go together: set both or neither\n");
        return 1;
    }
    if (cfg.tls_cert[0] != '\0')
        cfg.behind_tls = true; /* HTTPS here: __Host- cookies, HSTS, an https origin */
    if (cfg.log_file[0] != '\0' && log_open_file(cfg.log_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: log.file: %s\n", err);
        return 1;
    }
    if (config_origin_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        return 1;
    }
    /* a deployment that needs a synchronous standby does not start without one: writes it
     * acknowledged would be lost with the primary (core/housekeeping.h). Asked before the
     * store opens: a migration's commit would wait for the missing standby without a word */
    if (cfg.require_sync_standby) {
        struct store_standbys sb;
        int sr = store_pg_standbys_at(cfg.db, &sb, err, sizeof(err));
        if (sr == ERR_INVALID)
            err_set(err, sizeof(err), "it needs PostgreSQL ([server] db)");
        if (sr != 0 || housekeeping_standbys_judge(&sb, err, sizeof(err)) != 0) {
            fprintf(stderr, "dissent: [server] require_sync_standby: %s\n", err);
            return 1;
        }
    }
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    /* Settings first: a bad [channel] must fail before the admin password is shown. */
    if (mailer_check(&cfg, err, sizeof(err)) != 0 || oidc_check(&cfg, err, sizeof(err)) != 0 ||
        directory_check(&cfg, err, sizeof(err)) != 0 ||
        cosigning_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        store_close(st);
        return 1;
    }
    if ((oidc_enabled(&cfg) || cosigning_quorum(&cfg) > 0) && fetch_init() != 0) {
        fprintf(stderr, "dissent: cannot initialise libcurl\n");
        store_close(st);
        return 1;
    }
    if (channel_init(&ch, &cfg, cfg.data_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        store_close(st);
        return 1;
    }
    pp.ops = cfg.argon2_ops;
    pp.mem = cfg.argon2_mem;
    /* the closures and clock stops set at runtime (core/calendar.h), before the first request
     * computes a deadline; a table that fails its integrity check stops the start */
    if ((rc = calendar_reload(st, &ch)) != 0) {
        fprintf(stderr, "dissent: cannot read the runtime calendar (%s)\n", err_str(rc));
        store_close(st);
        channel_release(&ch);
        return 1;
    }
    rc = user_ensure_admin(st, &pp, time(NULL), admin_pw, sizeof(admin_pw), &created);
    /* the periodic work on memos that fell due while no server ran, before the first request
     * and the checkpoint below (housekeeping repeats it every minute): replied memos whose
     * drafter's window ended close, and the escalation rungs reached are logged */
    if (rc == 0) {
        size_t n = 0;
        if (workflow_close_windows(st, &ch, channel_now(&ch), &n) != 0 ||
            workflow_escalations(st, &ch, channel_now(&ch), &n) != 0)
            log_warn("the memos due at start could not all be handled; housekeeping retries");
    }
    /* a checkpoint of the log as it is, before the first request: later ones follow the
     * schedule ([tlog] checkpoint_interval); a stopped log is logged and served as such */
    if (rc == 0) {
        uint64_t size = 0;
        int sr = ledger_sign(st, ch.log_key, ch.log_origin, channel_now(&ch), &size);
        if (sr != 0 && sr != ERR_INTEGRITY)
            log_warn("could not sign a checkpoint at start (%s)", err_str(sr));
    }
    store_close(st);
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot create the first admin account\n");
        channel_release(&ch);
        return 1;
    }
    if (created && getenv("NOTIFY_SOCKET") != NULL) {
        /* under systemd standard output is the journal, kept and read by more than the
         * administrator: the password goes in a file only the service's user reads */
        char line[64];
        int n = snprintf(line, sizeof(line), "%s\n", admin_pw);
        if (file_replace(cfg.data_dir, FIRST_ADMIN_FILE, line, (size_t)n, "first admin") != 0) {
            wipe(line, sizeof(line));
            wipe(admin_pw, sizeof(admin_pw));
            fprintf(stderr, "dissent: cannot write %s/%s\n", cfg.data_dir, FIRST_ADMIN_FILE);
            channel_release(&ch);
            return 1;
        }
        wipe(line, sizeof(line));
        printf("First start: created the account \"admin\"; its password is in %s/%s (read "
               "it, sign in, set another, then delete the file).\n",
               cfg.data_dir, FIRST_ADMIN_FILE);
        fflush(stdout);
    } else if (created) {
        printf("First start: created the account \"admin\".\n"
               "  username: admin\n"
               "  password: %s\n"
               "This password is shown once: keep it, or set another with\n"
               "  dissent user passwd admin --password-stdin --data %s\n"
               "Sign in at http://%s:%d/ (the web interface) or through the API (README.md).\n",
               admin_pw, cfg.data_dir, cfg.listen_host, cfg.listen_port);
        fflush(stdout);
    }
    wipe(admin_pw, sizeof(admin_pw));
    if (cfg.clock_start > 0)
        log_warn("[debug] clock_start is set: the server's clock is shifted by %lld s",
                 (long long)ch.clock_offset);
    cmd_store_uri(&cfg, uri, sizeof(uri));
    /* libcurl's global start is not thread safe: before any thread */
    if (cfg.mail_enabled &&
        (smtp_global_init() != 0 || mailer_start(&cfg, uri, &ch, smtp_send, &mailer) != 0)) {
        fprintf(stderr, "dissent: cannot start the mail sender\n");
        channel_release(&ch);
        return 1;
    }
    if (directory_start(&cfg, uri, &ch, &directory) != 0) {
        fprintf(stderr, "dissent: cannot start the directory's sync\n");
        mailer_stop(mailer);
        channel_release(&ch);
        return 1;
    }
    if (records_start(&cfg, uri, &ch, &records) != 0) {
        fprintf(stderr, "dissent: cannot start the retention schedule\n");
        runner_stop(directory);
        mailer_stop(mailer);
        channel_release(&ch);
        return 1;
    }
    if (cosigning_start(&cfg, uri, &ch, &witnesses) != 0) {
        fprintf(stderr, "dissent: cannot start the witnesses' submissions\n");
        records_stop(records);
        runner_stop(directory);
        mailer_stop(mailer);
        channel_release(&ch);
        return 1;
    }
    struct api_serve as = {.cfg = &cfg, .store_uri = uri, .ch = &ch};
    struct http_handler handler;
    struct reload_state rs = {.path = config_path,
                              .listen = listen,
                              .data = data,
                              .db = db,
                              .workers = workers,
                              .cfg = &cfg,
                              .mailer = mailer};
    struct server_hooks hooks = {.reload = reload, .arg = &rs};

    snprintf(rs.log_file, sizeof(rs.log_file), "%s", cfg.log_file);
    if (config_path != NULL && config_file_read(config_path, &rs.start, err, sizeof(err)) != 0)
        log_warn("%s: SIGHUP will name no setting as needing a restart", err);
    else
        rs.started = config_path != NULL;
    api_handler(&as, &handler);
    rc = server_run(&cfg, &handler, &hooks);
    config_file_free(&rs.start);
    cosigning_stop(witnesses);
    records_stop(records);
    runner_stop(directory);
    mailer_stop(mailer);
    if (cfg.mail_enabled)
        smtp_global_cleanup();
    channel_release(&ch);
    return rc == 0 ? 0 : 1;
}
