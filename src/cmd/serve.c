/*
 * serve.c - `dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--db URI]
 *            [--workers N]`.
 */
#include "cmd/cmd.h"

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
#include "util/log.h"

#include <stdio.h>
#include <time.h>

static const char synopsis[] =
    "dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--db URI] [--workers N]";

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
    if (config_origin_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        return 1;
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
    if (created) {
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

    api_handler(&as, &handler);
    rc = server_run(&cfg, &handler);
    cosigning_stop(witnesses);
    records_stop(records);
    runner_stop(directory);
    mailer_stop(mailer);
    if (cfg.mail_enabled)
        smtp_global_cleanup();
    channel_release(&ch);
    return rc == 0 ? 0 : 1;
}
