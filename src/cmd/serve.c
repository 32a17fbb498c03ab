/*
 * serve.c - `dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] [--db URI]
 *            [--workers N]`.
 */
#include "cmd/cmd.h"

#include "core/channel.h"
#include "core/ledger.h"
#include "core/mailer.h"
#include "core/user.h"
#include "crypto/random.h"
#include "api/serve.h"
#include "http/server.h"
#include "smtp/smtp.h"
#include "util/err.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <time.h>

static void usage(void)
{
    fprintf(stderr, "usage: dissent serve [--config FILE] [--listen HOST:PORT] [--data DIR] "
                    "[--db URI] [--workers N]\n");
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"workers", required_argument, NULL, 'w'},
                                         {"db", required_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *listen = NULL, *data = NULL, *workers = NULL, *db = NULL;
    struct config cfg;
    struct store *st = NULL;
    struct pw_params pp;
    struct channel ch;
    struct mailer *mailer = NULL;
    char admin_pw[32], err[256] = "", uri[1100];
    bool created = false;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'w':
            workers = optarg;
            break;
        case 'D':
            db = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc) {
        usage();
        return 2;
    }
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
    if (mailer_check(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
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
    rc = user_ensure_admin(st, &pp, time(NULL), admin_pw, sizeof(admin_pw), &created);
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
    struct api_serve as = {.cfg = &cfg, .store_uri = uri, .ch = &ch};
    struct http_handler handler;

    api_handler(&as, &handler);
    rc = server_run(&cfg, &handler);
    mailer_stop(mailer);
    if (cfg.mail_enabled)
        smtp_global_cleanup();
    channel_release(&ch);
    return rc == 0 ? 0 : 1;
}
