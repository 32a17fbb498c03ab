#include "util/config.h"

#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"

#include <arpa/inet.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    str_copy(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->listen_port = 8080;
    str_copy(cfg->data_dir, sizeof(cfg->data_dir), "./var");
    cfg->max_body = 1024 * 1024;
    cfg->max_headers = 16 * 1024;
    cfg->timeout = 30;
    cfg->shutdown_grace = 10;
    cfg->session_idle = 30 * 60;
    cfg->session_lifetime = 12 * 60 * 60;
    cfg->login_max_failures = 5;
    cfg->login_window = 15 * 60;
    cfg->argon2_ops = 2;                   /* libsodium's OPSLIMIT_INTERACTIVE */
    cfg->argon2_mem = 64ull * 1024 * 1024; /* libsodium's MEMLIMIT_INTERACTIVE */
    cfg->enrolment_ttl = 7 * 86400;
    cfg->reset_confirmations = 2;
    cfg->log_level = LOG_INFO;
    str_copy(cfg->preset, sizeof(cfg->preset), "state-dept");
    str_copy(cfg->timezone, sizeof(cfg->timezone), "UTC");
    cfg->federal_holidays = true;
    str_copy(cfg->log_origin, sizeof(cfg->log_origin), "dissent.invalid/log");
    cfg->log_public = true;
    cfg->log_interval = 60;
    cfg->mail_port = 587;
    cfg->mail_starttls = MAIL_TLS_AUTO;
    cfg->mail_poll = 10;
    cfg->mail_scan = 60;
    cfg->mail_backoff_base = 60;
    cfg->mail_backoff_max = 3600;
    cfg->mail_max_attempts = 20;
    cfg->mail_batch = 50;
    cfg->mail_timeout = 30;
}

/* Whether @v is a list of IP literals separated by commas and spaces (possibly empty). */
static bool ip_list_valid(const char *v)
{
    unsigned char bin[16];
    char one[64];

    while (*v != '\0') {
        size_t k;
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == '\0')
            break;
        k = strcspn(v, ", ");
        if (k >= sizeof(one))
            return false;
        memcpy(one, v, k);
        one[k] = '\0';
        if (inet_pton(AF_INET, one, bin) != 1 && inet_pton(AF_INET6, one, bin) != 1)
            return false;
        v += k;
    }
    return true;
}

/* A string setting: copied when it fits, ERR_INVALID otherwise. */
static int set_str(char *dst, size_t len, const char *v)
{
    return str_copy(dst, len, v) == 0 ? 0 : ERR_INVALID;
}

static int set_int(int *dst, const char *v, int64_t min, int64_t max)
{
    int64_t x;

    if (str_parse_i64(v, min, max, &x) != 0)
        return ERR_INVALID;
    *dst = (int)x;
    return 0;
}

/* The password in the first line of the file at @path (trailing newline dropped). */
static int read_password_file(const char *path, char *dst, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    size_t n;
    int rc = ERR_INVALID;

    if (f == NULL)
        return ERR_INVALID;
    if (fgets(line, sizeof(line), f) != NULL) {
        n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n > 0)
            rc = str_copy(dst, len, line) == 0 ? 0 : ERR_INVALID;
    }
    explicit_bzero(line, sizeof(line));
    fclose(f);
    return rc;
}

/* One [mail] setting. */
static int set_mail(struct config *cfg, const char *key, const char *v, bool *unknown)
{
    *unknown = false;
    if (strcmp(key, "enabled") == 0)
        return str_parse_bool(v, &cfg->mail_enabled);
    if (strcmp(key, "host") == 0)
        return (*v != '\0' && strpbrk(v, " /\r\n") == NULL)
                   ? set_str(cfg->mail_host, sizeof(cfg->mail_host), v)
                   : ERR_INVALID;
    if (strcmp(key, "port") == 0)
        return set_int(&cfg->mail_port, v, 1, 65535);
    if (strcmp(key, "starttls") == 0) {
        if (strcmp(v, "auto") == 0)
            cfg->mail_starttls = MAIL_TLS_AUTO;
        else if (strcmp(v, "always") == 0)
            cfg->mail_starttls = MAIL_TLS_ALWAYS;
        else if (strcmp(v, "never") == 0)
            cfg->mail_starttls = MAIL_TLS_NEVER;
        else if (strcmp(v, "implicit") == 0)
            cfg->mail_starttls = MAIL_TLS_IMPLICIT;
        else
            return ERR_INVALID;
        return 0;
    }
    if (strcmp(key, "username") == 0)
        return strpbrk(v, "\r\n") == NULL
                   ? set_str(cfg->mail_username, sizeof(cfg->mail_username), v)
                   : ERR_INVALID;
    if (strcmp(key, "password") == 0)
        return set_str(cfg->mail_password, sizeof(cfg->mail_password), v);
    if (strcmp(key, "password_file") == 0)
        return read_password_file(v, cfg->mail_password, sizeof(cfg->mail_password));
    if (strcmp(key, "ca_file") == 0)
        return set_str(cfg->mail_ca_file, sizeof(cfg->mail_ca_file), v);
    if (strcmp(key, "from") == 0)
        return str_email_valid(v) ? set_str(cfg->mail_from, sizeof(cfg->mail_from), v)
                                  : ERR_INVALID;
    if (strcmp(key, "escalation") == 0)
        return (*v == '\0' || str_email_valid(v))
                   ? set_str(cfg->mail_escalation, sizeof(cfg->mail_escalation), v)
                   : ERR_INVALID;
    if (strcmp(key, "base_url") == 0)
        return ((strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) &&
                strpbrk(v, " \r\n\"<>#?") == NULL)
                   ? set_str(cfg->mail_base_url, sizeof(cfg->mail_base_url), v)
                   : ERR_INVALID;
    if (strcmp(key, "poll_interval") == 0)
        return set_int(&cfg->mail_poll, v, 1, 3600);
    if (strcmp(key, "scan_interval") == 0)
        return set_int(&cfg->mail_scan, v, 1, 86400);
    if (strcmp(key, "backoff_base") == 0)
        return set_int(&cfg->mail_backoff_base, v, 1, 86400);
    if (strcmp(key, "backoff_max") == 0)
        return set_int(&cfg->mail_backoff_max, v, 1, 7 * 86400);
    if (strcmp(key, "max_attempts") == 0)
        return set_int(&cfg->mail_max_attempts, v, 1, 1000);
    if (strcmp(key, "batch") == 0)
        return set_int(&cfg->mail_batch, v, 1, 1000);
    if (strcmp(key, "timeout") == 0)
        return set_int(&cfg->mail_timeout, v, 1, 600);
    *unknown = true;
    return ERR_INVALID;
}

int config_origin_check(const struct config *cfg, char *err, size_t errlen)
{
    const char *host = cfg->listen_host;
    struct in_addr a4;
    struct in6_addr a6;

    if (cfg->origin[0] != '\0')
        return 0;
    if (strcmp(host, "localhost") == 0 ||
        (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
        (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)))
        return 0;
    err_set(err, errlen,
            "[server] origin is not set and the server listens on %s, not on loopback: set it "
            "to the public origin browsers use (\"https://dissent.example.org\"), or a page "
            "served under another name (DNS rebinding) could pass the CSRF check",
            host);
    return ERR_INVALID;
}

int config_set(struct config *cfg, const char *section, const char *key, const char *v, char *err,
               size_t errlen)
{
    int rc = ERR_INVALID;
    int64_t x;

    if (strcmp(section, "server") == 0) {
        if (strcmp(key, "listen") == 0) {
            rc = str_parse_hostport(v, cfg->listen_host, sizeof(cfg->listen_host),
                                    &cfg->listen_port);
        } else if (strcmp(key, "data") == 0) {
            rc = (*v != '\0') ? str_copy(cfg->data_dir, sizeof(cfg->data_dir), v) : ERR_INVALID;
        } else if (strcmp(key, "db") == 0) {
            /* the keys stay in the data directory whatever the database */
            rc = (strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0 ||
                  (strncmp(v, "sqlite:", 7) == 0 && v[7] != '\0'))
                     ? str_copy(cfg->db, sizeof(cfg->db), v)
                     : ERR_INVALID;
        } else if (strcmp(key, "workers") == 0) {
            rc = set_int(&cfg->workers, v, 0, 256);
        } else if (strcmp(key, "pool_threads") == 0) {
            rc = set_int(&cfg->pool_threads, v, 0, 256);
        } else if (strcmp(key, "max_body") == 0) {
            rc = str_parse_i64(v, 1024, 64ll * 1024 * 1024, &cfg->max_body);
        } else if (strcmp(key, "max_headers") == 0) {
            rc = str_parse_i64(v, 1024, 1024 * 1024, &cfg->max_headers);
        } else if (strcmp(key, "timeout") == 0) {
            rc = set_int(&cfg->timeout, v, 1, 3600);
        } else if (strcmp(key, "shutdown_grace") == 0) {
            rc = set_int(&cfg->shutdown_grace, v, 0, 600);
        } else if (strcmp(key, "trust_proxy") == 0) {
            rc = ip_list_valid(v) ? set_str(cfg->trust_proxy, sizeof(cfg->trust_proxy), v)
                                  : ERR_INVALID;
        } else if (strcmp(key, "behind_tls") == 0) {
            rc = str_parse_bool(v, &cfg->behind_tls);
        } else if (strcmp(key, "origin") == 0) {
            rc = (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
                     ? str_copy(cfg->origin, sizeof(cfg->origin), v)
                     : ERR_INVALID;
        } else {
            goto unknown;
        }
    } else if (strcmp(section, "session") == 0) {
        if (strcmp(key, "idle_timeout") == 0)
            rc = set_int(&cfg->session_idle, v, 10, 30 * 86400);
        else if (strcmp(key, "lifetime") == 0)
            rc = set_int(&cfg->session_lifetime, v, 10, 90 * 86400);
        else
            goto unknown;
    } else if (strcmp(section, "security") == 0) {
        if (strcmp(key, "login_max_failures") == 0) {
            rc = set_int(&cfg->login_max_failures, v, 1, 1000);
        } else if (strcmp(key, "login_window") == 0) {
            rc = set_int(&cfg->login_window, v, 1, 86400);
        } else if (strcmp(key, "argon2_ops") == 0) {
            rc = str_parse_i64(v, 1, 64, &x);
            if (rc == 0)
                cfg->argon2_ops = (uint64_t)x;
        } else if (strcmp(key, "argon2_mem_kib") == 0) {
            rc = str_parse_i64(v, 8, 4 * 1024 * 1024, &x);
            if (rc == 0)
                cfg->argon2_mem = (uint64_t)x * 1024;
        } else if (strcmp(key, "enrolment_ttl") == 0) {
            rc = set_int(&cfg->enrolment_ttl, v, 600, 90 * 86400);
        } else if (strcmp(key, "reset_confirmations") == 0) {
            rc = set_int(&cfg->reset_confirmations, v, 0, 2);
        } else if (strcmp(key, "require_2fa") == 0) {
            rc = set_str(cfg->require_2fa, sizeof(cfg->require_2fa), v);
        } else {
            goto unknown;
        }
    } else if (strcmp(section, "channel") == 0) {
        if (strcmp(key, "preset") == 0)
            rc = set_str(cfg->preset, sizeof(cfg->preset), v);
        else if (strcmp(key, "ack") == 0)
            rc = set_str(cfg->ack, sizeof(cfg->ack), v);
        else if (strcmp(key, "reply") == 0)
            rc = set_str(cfg->reply, sizeof(cfg->reply), v);
        else if (strcmp(key, "reply_max") == 0)
            rc = set_str(cfg->reply_max, sizeof(cfg->reply_max), v);
        else if (strcmp(key, "reply_from") == 0)
            rc = set_str(cfg->reply_from, sizeof(cfg->reply_from), v);
        else if (strcmp(key, "timezone") == 0)
            rc = set_str(cfg->timezone, sizeof(cfg->timezone), v);
        else if (strcmp(key, "federal_holidays") == 0)
            rc = str_parse_bool(v, &cfg->federal_holidays);
        else if (strcmp(key, "closures") == 0)
            rc = set_str(cfg->closures, sizeof(cfg->closures), v);
        else if (strcmp(key, "principals") == 0)
            rc = set_str(cfg->principals, sizeof(cfg->principals), v);
        else
            goto unknown;
    } else if (strcmp(section, "tlog") == 0) {
        if (strcmp(key, "origin") == 0)
            rc = (*v != '\0' && strchr(v, '+') == NULL && strchr(v, ' ') == NULL)
                     ? set_str(cfg->log_origin, sizeof(cfg->log_origin), v)
                     : ERR_INVALID;
        else if (strcmp(key, "public") == 0)
            rc = str_parse_bool(v, &cfg->log_public);
        else if (strcmp(key, "checkpoint_interval") == 0)
            rc = set_int(&cfg->log_interval, v, 1, 3600);
        else
            goto unknown;
    } else if (strcmp(section, "mail") == 0) {
        bool unknown = false;
        rc = set_mail(cfg, key, v, &unknown);
        if (unknown)
            goto unknown;
    } else if (strcmp(section, "debug") == 0) {
        if (strcmp(key, "clock_start") != 0)
            goto unknown;
        rc = str_parse_i64(v, 1, INT64_C(253402300799), &cfg->clock_start);
    } else if (strcmp(section, "log") == 0) {
        if (strcmp(key, "level") != 0)
            goto unknown;
        if (strcasecmp(v, "debug") == 0)
            cfg->log_level = LOG_DEBUG;
        else if (strcasecmp(v, "info") == 0)
            cfg->log_level = LOG_INFO;
        else if (strcasecmp(v, "warn") == 0)
            cfg->log_level = LOG_WARN;
        else if (strcasecmp(v, "error") == 0)
            cfg->log_level = LOG_ERROR;
        else
            goto bad;
        rc = 0;
    } else {
        err_set(err, errlen, "unknown section [%s]", section);
        return ERR_INVALID;
    }
    if (rc == 0)
        return 0;
bad:
    err_set(err, errlen, "invalid value for %s.%s", section, key);
    return ERR_INVALID;
unknown:
    err_set(err, errlen, "unknown setting %s.%s", section, key);
    return ERR_INVALID;
}

struct ini_ctx {
    struct config *cfg;
    char msg[256];
};

/* Debian's inih passes no line number; ini_parse() returns the first failing line instead. */
static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *ctx = user;

    if (ctx->msg[0] != '\0')
        return 0;
    return config_set(ctx->cfg, section, name, value, ctx->msg, sizeof(ctx->msg)) == 0;
}

/* The result of ini_parse*() @r as our return code, with "NAME:LINE: what" in @err. */
static int ini_result(int r, const struct ini_ctx *ctx, const char *name, char *err, size_t errlen)
{
    if (r == -1) {
        err_set(err, errlen, "%s: cannot open", name);
        return ERR_IO;
    }
    if (r == -2) {
        err_set(err, errlen, "%s: out of memory", name);
        return ERR_NOMEM;
    }
    if (r != 0) {
        if (ctx->msg[0] != '\0')
            err_set(err, errlen, "%s:%d: %s", name, r, ctx->msg);
        else
            err_set(err, errlen, "%s:%d: syntax error", name, r);
        return ERR_INVALID;
    }
    return 0;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    struct ini_ctx ctx = {.cfg = cfg};

    return ini_result(ini_parse(path, ini_cb, &ctx), &ctx, path, err, errlen);
}

int config_load_string(struct config *cfg, const char *text, const char *name, char *err,
                       size_t errlen)
{
    struct ini_ctx ctx = {.cfg = cfg};

    return ini_result(ini_parse_string(text, ini_cb, &ctx), &ctx, name, err, errlen);
}
