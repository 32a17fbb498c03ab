#include "util/config.h"

#include "util/err.h"
#include "util/msg.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* ---- the settings: one table (docs/config.md lists the same, checked by test_config.c) ---- */

static bool is_url(const char *v)
{
    return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0;
}

static int s_listen(struct config *c, const char *v)
{
    return str_parse_hostport(v, c->listen_host, sizeof(c->listen_host), &c->listen_port);
}

static int s_data(struct config *c, const char *v)
{
    return *v != '\0' ? set_str(c->data_dir, sizeof(c->data_dir), v) : ERR_INVALID;
}

/* the keys stay in the data directory whatever the database */
static int s_db(struct config *c, const char *v)
{
    return (strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0 ||
            (strncmp(v, "sqlite:", 7) == 0 && v[7] != '\0'))
               ? set_str(c->db, sizeof(c->db), v)
               : ERR_INVALID;
}

static int s_trust_proxy(struct config *c, const char *v)
{
    return ip_list_valid(v) ? set_str(c->trust_proxy, sizeof(c->trust_proxy), v) : ERR_INVALID;
}

static int s_origin(struct config *c, const char *v)
{
    return is_url(v) ? set_str(c->origin, sizeof(c->origin), v) : ERR_INVALID;
}

/* A record copy's banner: one line of text, no control character, at most 127 bytes. */
static int s_marking(struct config *c, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return ERR_INVALID;
    if (!str_utf8_valid(v, strlen(v)))
        return ERR_INVALID;
    return set_str(c->records_marking, sizeof(c->records_marking), v);
}

/* Markings to refuse: comma-separated, each 1..63 bytes of UTF-8 without control characters;
 * at most 32. Set (even empty: none) overrides the preset's list. */
/* 32 to 256 printable ASCII characters, no space: a secret a scraper sends as a bearer token */
static int s_metrics_token(struct config *c, const char *v)
{
    size_t n = strlen(v);

    if (n < 32 || n > 256)
        return ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= ' ' || v[i] > '~')
            return ERR_INVALID;
    return set_str(c->metrics_token, sizeof(c->metrics_token), v);
}

/* "URL VKEY" pairs, comma-separated: their form only (core/cosigning.h reads the keys). A
 * line holds at most 200 bytes (inih), so the setting may be given again, or continued on indented
 * lines: each adds its witnesses to those before. */
static int s_witnesses(struct config *c, const char *v)
{
    size_t have = strlen(c->log_witnesses), n = strlen(v);

    for (const char *p = v; *p;) {
        size_t k = strcspn(p, ",");
        const char *s = p, *e = p + k, *sp;

        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if (s == e)
            return ERR_INVALID;
        sp = memchr(s, ' ', (size_t)(e - s));
        if (sp == NULL || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
            return ERR_INVALID;
        for (const char *q = s; q < e; q++)
            if ((unsigned char)*q <= 0x20 && q != sp && !(q > sp && *q == ' '))
                return ERR_INVALID;
        p += k + (p[k] == ',');
    }
    if (n == 0)
        return 0;
    if (have + 2 + n >= sizeof(c->log_witnesses))
        return ERR_INVALID;
    if (have > 0) {
        memcpy(c->log_witnesses + have, ", ", 2);
        have += 2;
    }
    memcpy(c->log_witnesses + have, v, n + 1);
    return 0;
}

static int s_refuse(struct config *c, const char *v)
{
    size_t n = 0;

    if (!str_utf8_valid(v, strlen(v)))
        return ERR_INVALID;
    for (const char *p = v; *p;) {
        size_t k = strcspn(p, ",");
        const char *s = p, *e = p + k;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if (e - s > 63)
            return ERR_INVALID;
        for (const char *q = s; q < e; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7F)
                return ERR_INVALID;
        n += e > s;
        p += k + (p[k] == ',');
    }
    if (n > 32)
        return ERR_INVALID;
    c->records_refuse_set = true;
    return set_str(c->records_refuse, sizeof(c->records_refuse), v);
}

static int s_argon2_mem(struct config *c, const char *v)
{
    int64_t x;

    if (str_parse_i64(v, 8, 4 * 1024 * 1024, &x) != 0)
        return ERR_INVALID;
    c->argon2_mem = (uint64_t)x * 1024;
    return 0;
}

static int s_argon2_ops(struct config *c, const char *v)
{
    int64_t x;

    if (str_parse_i64(v, 1, 64, &x) != 0)
        return ERR_INVALID;
    c->argon2_ops = (uint64_t)x;
    return 0;
}

/* A switch whose default is the preset's: "" (-1), or a bool (1, 0). */
static int tristate(signed char *field, const char *v)
{
    bool b = false;

    if (*v == '\0') {
        *field = -1;
        return 0;
    }
    if (str_parse_bool(v, &b) != 0)
        return ERR_INVALID;
    *field = b ? 1 : 0;
    return 0;
}

static int s_federal(struct config *c, const char *v)
{
    return tristate(&c->federal_holidays, v);
}

static int s_inauguration(struct config *c, const char *v)
{
    return tristate(&c->inauguration_day, v);
}

static int s_filers(struct config *c, const char *v)
{
    if (strcmp(v, "all") != 0 && strcmp(v, "members") != 0)
        return ERR_INVALID;
    c->filers_members = strcmp(v, "members") == 0;
    return 0;
}

static int s_reply_approval(struct config *c, const char *v)
{
    return tristate(&c->reply_approval, v);
}

/* An absolute path, one line: a file named in the settings is never taken relative to wherever
 * the server happened to start. */
static int set_abs_path(char *dst, size_t size, const char *v)
{
    if (v[0] != '/' || strpbrk(v, "\r\n") != NULL)
        return ERR_INVALID;
    return set_str(dst, size, v);
}

static int s_log_file(struct config *c, const char *v)
{
    return set_abs_path(c->log_file, sizeof(c->log_file), v);
}

static int s_tls_cert(struct config *c, const char *v)
{
    return set_abs_path(c->tls_cert, sizeof(c->tls_cert), v);
}

static int s_tls_key(struct config *c, const char *v)
{
    return set_abs_path(c->tls_key, sizeof(c->tls_key), v);
}

static int s_log_level(struct config *c, const char *v)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcasecmp(v, levels[i].name) == 0) {
            c->log_level = levels[i].level;
            return 0;
        }
    return ERR_INVALID;
}

static int s_log_origin(struct config *c, const char *v)
{
    return (*v != '\0' && strchr(v, '+') == NULL && strchr(v, ' ') == NULL)
               ? set_str(c->log_origin, sizeof(c->log_origin), v)
               : ERR_INVALID;
}

static int s_mail_host(struct config *c, const char *v)
{
    return (*v != '\0' && strpbrk(v, " /\r\n") == NULL)
               ? set_str(c->mail_host, sizeof(c->mail_host), v)
               : ERR_INVALID;
}

static int s_starttls(struct config *c, const char *v)
{
    static const char *const names[] = {[MAIL_TLS_AUTO] = "auto",
                                        [MAIL_TLS_ALWAYS] = "always",
                                        [MAIL_TLS_NEVER] = "never",
                                        [MAIL_TLS_IMPLICIT] = "implicit"};

    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (strcmp(v, names[i]) == 0) {
            c->mail_starttls = i;
            return 0;
        }
    return ERR_INVALID;
}

static int s_mail_language(struct config *c, const char *v)
{
    return msg_known(v) ? set_str(c->mail_language, sizeof(c->mail_language), v) : ERR_INVALID;
}

static int s_mail_username(struct config *c, const char *v)
{
    return strpbrk(v, "\r\n") == NULL ? set_str(c->mail_username, sizeof(c->mail_username), v)
                                      : ERR_INVALID;
}

static int s_password_file(struct config *c, const char *v)
{
    return read_password_file(v, c->mail_password, sizeof(c->mail_password));
}

static int s_mail_from(struct config *c, const char *v)
{
    return str_email_valid(v) ? set_str(c->mail_from, sizeof(c->mail_from), v) : ERR_INVALID;
}

static int s_escalation(struct config *c, const char *v)
{
    return (*v == '\0' || str_email_valid(v))
               ? set_str(c->mail_escalation, sizeof(c->mail_escalation), v)
               : ERR_INVALID;
}

static int s_client_secret_file(struct config *c, const char *v)
{
    return read_password_file(v, c->oidc_client_secret, sizeof(c->oidc_client_secret));
}

static int s_bind_password_file(struct config *c, const char *v)
{
    return read_password_file(v, c->dir_bind_password, sizeof(c->dir_bind_password));
}

static int s_base_url(struct config *c, const char *v)
{
    return (is_url(v) && strpbrk(v, " \r\n\"<>#?") == NULL)
               ? set_str(c->mail_base_url, sizeof(c->mail_base_url), v)
               : ERR_INVALID;
}

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define INT(sec, key, f, lo, hi, def)                                                              \
    {                                                                                              \
        sec, key, CONFIG_INT, FIELD(f), lo, hi, def, NULL                                          \
    }
#define I64(sec, key, f, lo, hi, def)                                                              \
    {                                                                                              \
        sec, key, CONFIG_I64, FIELD(f), lo, hi, def, NULL                                          \
    }
#define BOOL(sec, key, f, def)                                                                     \
    {                                                                                              \
        sec, key, CONFIG_BOOL, FIELD(f), 0, 0, def, NULL                                           \
    }
#define STR(sec, key, f, def)                                                                      \
    {                                                                                              \
        sec, key, CONFIG_STR, FIELD(f), 0, 0, def, NULL                                            \
    }
#define FN(sec, key, fn, def)                                                                      \
    {                                                                                              \
        sec, key, CONFIG_FN, 0, 0, 0, 0, def, fn                                                   \
    }

/* Every setting, in docs/config.md's order, with its default as the text a file would hold
 * (config_defaults() applies them through the same checks). */
static const struct config_setting settings[] = {
    FN("server", "listen", s_listen, "127.0.0.1:8080"),
    FN("server", "data", s_data, "./var"),
    FN("server", "db", s_db, NULL),
    INT("server", "workers", workers, 0, 256, "0"),
    INT("server", "pool_threads", pool_threads, 0, 256, "0"),
    I64("server", "max_body", max_body, 1024, 64ll * 1024 * 1024, "1048576"),
    I64("server", "max_headers", max_headers, 1024, 1024 * 1024, "16384"),
    INT("server", "timeout", timeout, 1, 3600, "30"),
    INT("server", "shutdown_grace", shutdown_grace, 0, 600, "10"),
    BOOL("server", "behind_tls", behind_tls, "false"),
    BOOL("server", "require_sync_standby", require_sync_standby, "false"),
    FN("server", "trust_proxy", s_trust_proxy, NULL),
    FN("server", "origin", s_origin, NULL),
    FN("tls", "cert", s_tls_cert, NULL),
    FN("tls", "key", s_tls_key, NULL),
    INT("session", "idle_timeout", session_idle, 10, 30 * 86400, "1800"),
    INT("session", "lifetime", session_lifetime, 10, 90 * 86400, "43200"),
    INT("security", "login_max_failures", login_max_failures, 1, 1000, "5"),
    INT("security", "login_window", login_window, 1, 86400, "900"),
    FN("security", "argon2_ops", s_argon2_ops, "2"),         /* OPSLIMIT_INTERACTIVE */
    FN("security", "argon2_mem_kib", s_argon2_mem, "65536"), /* MEMLIMIT_INTERACTIVE */
    INT("security", "enrolment_ttl", enrolment_ttl, 600, 90 * 86400, "604800"),
    INT("security", "reset_confirmations", reset_confirmations, 0, 2, "2"),
    STR("security", "require_2fa", require_2fa, NULL),
    BOOL("security", "passwordless", passwordless, "false"),
    FN("log", "level", s_log_level, "info"),
    FN("log", "file", s_log_file, NULL),
    STR("channel", "preset", preset, "state-dept"),
    STR("channel", "ack", ack, NULL),
    STR("channel", "reply", reply, NULL),
    STR("channel", "reply_max", reply_max, NULL),
    STR("channel", "reply_from", reply_from, NULL),
    STR("channel", "timezone", timezone, NULL),
    STR("channel", "calendar", calendar, NULL),
    FN("channel", "federal_holidays", s_federal, ""),
    FN("channel", "inauguration_day", s_inauguration, ""),
    STR("channel", "closures", closures, NULL),
    STR("channel", "principals", principals, NULL),
    INT("channel", "accept_window", accept_window, 0, 260, "10"),
    INT("channel", "clarify_days", clarify_days, 1, 260, "10"),
    FN("channel", "reply_approval", s_reply_approval, ""),
    FN("channel", "filers", s_filers, "all"),
    STR("channel", "agency_head", agency_head, NULL),
    BOOL("channel", "author_head", author_head, "false"),
    STR("channel", "directory_group", directory_group, NULL),
    FN("tlog", "origin", s_log_origin, "dissent.invalid/log"),
    BOOL("tlog", "public", log_public, "true"),
    INT("tlog", "checkpoint_interval", log_interval, 1, 3600, "60"),
    FN("tlog", "witnesses", s_witnesses, NULL),
    INT("tlog", "audit_anchor_interval", log_audit_anchor, 1, 86400, "3600"),
    INT("tlog", "witness_quorum", log_quorum, 0, 16, "0"),
    FN("metrics", "token", s_metrics_token, NULL),
    BOOL("mail", "enabled", mail_enabled, "false"),
    FN("mail", "host", s_mail_host, NULL),
    INT("mail", "port", mail_port, 1, 65535, "587"),
    FN("mail", "starttls", s_starttls, "auto"),
    STR("mail", "ca_file", mail_ca_file, NULL),
    FN("mail", "username", s_mail_username, NULL),
    STR("mail", "password", mail_password, NULL),
    FN("mail", "password_file", s_password_file, NULL),
    FN("mail", "from", s_mail_from, NULL),
    FN("mail", "escalation", s_escalation, NULL),
    INT("mail", "escalate_principals", mail_escalate_principals, 0, 60, "5"),
    INT("mail", "escalation_repeat", mail_escalation_repeat, 0, 60, "5"),
    INT("mail", "neutral_delay", mail_neutral_delay, 0, 86400, "900"),
    FN("mail", "language", s_mail_language, "en"),
    FN("mail", "base_url", s_base_url, NULL),
    INT("mail", "poll_interval", mail_poll, 1, 3600, "10"),
    INT("mail", "scan_interval", mail_scan, 1, 86400, "60"),
    INT("mail", "backoff_base", mail_backoff_base, 1, 86400, "60"),
    INT("mail", "backoff_max", mail_backoff_max, 1, 7 * 86400, "3600"),
    INT("mail", "max_attempts", mail_max_attempts, 1, 1000, "20"),
    INT("mail", "batch", mail_batch, 1, 1000, "50"),
    INT("mail", "timeout", mail_timeout, 1, 600, "30"),
    STR("oidc", "issuer", oidc_issuer, NULL),
    STR("oidc", "client_id", oidc_client_id, NULL),
    FN("oidc", "client_secret_file", s_client_secret_file, NULL),
    STR("oidc", "scopes", oidc_scopes, "openid profile email"),
    STR("oidc", "username_claim", oidc_username_claim, "preferred_username"),
    STR("oidc", "username_domain", oidc_username_domain, NULL),
    STR("oidc", "roles_claim", oidc_roles_claim, NULL),
    STR("oidc", "role_staff", oidc_role_staff, "*"),
    STR("oidc", "role_officer", oidc_role_officer, NULL),
    STR("oidc", "role_head", oidc_role_head, NULL),
    STR("oidc", "role_principal", oidc_role_principal, NULL),
    STR("oidc", "role_auditor", oidc_role_auditor, NULL),
    STR("oidc", "role_admin", oidc_role_admin, NULL),
    BOOL("oidc", "allow_admin", oidc_allow_admin, "false"),
    BOOL("oidc", "create_accounts", oidc_create_accounts, "false"),
    BOOL("oidc", "passwords", oidc_passwords, "false"),
    STR("oidc", "ca_file", oidc_ca_file, NULL),
    STR("directory", "url", dir_url, NULL),
    BOOL("directory", "starttls", dir_starttls, "true"),
    STR("directory", "ca_file", dir_ca_file, NULL),
    STR("directory", "bind_dn", dir_bind_dn, NULL),
    FN("directory", "bind_password_file", s_bind_password_file, NULL),
    STR("directory", "base_dn", dir_base_dn, NULL),
    STR("directory", "filter", dir_filter, "(objectClass=inetOrgPerson)"),
    STR("directory", "username_attribute", dir_username_attr, "uid"),
    STR("directory", "name_attribute", dir_name_attr, "cn"),
    STR("directory", "email_attribute", dir_email_attr, "mail"),
    STR("directory", "group_base_dn", dir_group_base_dn, NULL),
    STR("directory", "group_filter", dir_group_filter, "(objectClass=groupOfNames)"),
    STR("directory", "member_attribute", dir_member_attr, "member"),
    STR("directory", "role_staff", dir_role_staff, "*"),
    STR("directory", "role_officer", dir_role_officer, NULL),
    STR("directory", "role_head", dir_role_head, NULL),
    STR("directory", "role_principal", dir_role_principal, NULL),
    INT("directory", "interval", dir_interval, 0, 7 * 86400, "3600"),
    INT("directory", "max_disable", dir_max_disable, 0, 100, "10"),
    FN("records", "marking", s_marking, NULL),
    FN("records", "refuse_markings", s_refuse, NULL),
    I64("records", "file_max", records_file_max, 0, INT64_C(1) << 40, "26214400"),
    I64("records", "memo_files_max", records_memo_max, 0, INT64_C(1) << 42, "104857600"),
    I64("records", "retain_closed", retain_closed, 0, 100 * 366, "0"),
    I64("records", "retain_declined", retain_declined, 0, 100 * 366, "0"),
    I64("records", "retain_withdrawn", retain_withdrawn, 0, 100 * 366, "0"),
    I64("records", "retain_drafts", retain_drafts, 0, 100 * 366, "0"),
    I64("debug", "clock_start", clock_start, 1, INT64_C(253402300799), NULL),
};

const struct config_setting *config_settings(size_t *count)
{
    *count = sizeof(settings) / sizeof(settings[0]);
    return settings;
}

/* Apply @v to @s's field of @cfg through its checks. */
static int setting_apply(struct config *cfg, const struct config_setting *s, const char *v)
{
    char *field = (char *)cfg + s->offset;
    int64_t x;

    switch (s->kind) {
    case CONFIG_INT:
        if (str_parse_i64(v, s->min, s->max, &x) != 0)
            return ERR_INVALID;
        *(int *)(void *)field = (int)x;
        return 0;
    case CONFIG_I64:
        return str_parse_i64(v, s->min, s->max, (int64_t *)(void *)field);
    case CONFIG_BOOL:
        return str_parse_bool(v, (bool *)(void *)field);
    case CONFIG_STR:
        return set_str(field, s->size, v);
    case CONFIG_FN:
        return s->set(cfg, v);
    }
    return ERR_INVALID;
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (settings[i].def != NULL && setting_apply(cfg, &settings[i], settings[i].def) != 0)
            log_error("config: the default of %s.%s does not pass its own check (a bug)",
                      settings[i].section, settings[i].key);
}

int config_set(struct config *cfg, const char *section, const char *key, const char *v, char *err,
               size_t errlen)
{
    bool known_section = false;

    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const struct config_setting *s = &settings[i];
        if (strcmp(s->section, section) != 0)
            continue;
        known_section = true;
        if (strcmp(s->key, key) != 0)
            continue;
        if (setting_apply(cfg, s, v) == 0)
            return 0;
        err_set(err, errlen, "invalid value for %s.%s", section, key);
        return ERR_INVALID;
    }
    if (!known_section)
        err_set(err, errlen, "unknown section [%s]", section);
    else
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

struct file_ctx {
    struct config_file *f;
    int rc;
};

/* One line of the file: a new entry, or the next line of a key met before (joined by '\n'). */
static int file_cb(void *user, const char *section, const char *name, const char *value)
{
    struct file_ctx *ctx = user;
    struct config_file *f = ctx->f;
    struct config_entry *e = NULL;
    size_t vlen = strlen(value);

    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->e[i].section, section) == 0 && strcmp(f->e[i].key, name) == 0)
            e = &f->e[i];
    if (e == NULL) {
        if (f->n == CONFIG_FILE_ENTRIES_MAX || strlen(section) >= sizeof(e->section) ||
            strlen(name) >= sizeof(e->key)) {
            ctx->rc = ERR_TOO_LARGE;
            return 0;
        }
        e = &f->e[f->n];
        memset(e, 0, sizeof(*e));
        snprintf(e->section, sizeof(e->section), "%s", section);
        snprintf(e->key, sizeof(e->key), "%s", name);
        if ((e->value = mem_alloc(vlen + 1)) == NULL) {
            ctx->rc = ERR_NOMEM;
            return 0;
        }
        memcpy(e->value, value, vlen + 1);
        f->n++;
        return 1;
    }
    size_t had = strlen(e->value);
    char *grown = mem_alloc(had + 1 + vlen + 1);
    if (grown == NULL || had + 1 + vlen > CONFIG_FILE_VALUE_MAX) {
        mem_free(grown);
        ctx->rc = grown == NULL ? ERR_NOMEM : ERR_TOO_LARGE;
        return 0;
    }
    memcpy(grown, e->value, had);
    grown[had] = '\n';
    memcpy(grown + had + 1, value, vlen + 1);
    mem_free(e->value);
    e->value = grown;
    return 1;
}

int config_file_read(const char *path, struct config_file *out, char *err, size_t errlen)
{
    struct file_ctx ctx = {.f = out};
    int r;

    memset(out, 0, sizeof(*out));
    if ((out->e = mem_calloc(CONFIG_FILE_ENTRIES_MAX, sizeof(*out->e))) == NULL)
        return ERR_NOMEM;
    r = ini_parse(path, file_cb, &ctx);
    if (r == 0 && ctx.rc == 0)
        return 0;
    if (r == -1)
        err_set(err, errlen, "%s: cannot open", path);
    else if (ctx.rc != 0)
        err_set(err, errlen, "%s: %s", path,
                ctx.rc == ERR_NOMEM ? "out of memory"
                                    : "more keys or longer values than a "
                                      "settings file may have");
    else
        err_set(err, errlen, "%s:%d: syntax error", path, r);
    config_file_free(out);
    return r == -1 ? ERR_IO : ctx.rc != 0 ? ctx.rc : ERR_INVALID;
}

void config_file_free(struct config_file *f)
{
    for (size_t i = 0; f->e != NULL && i < f->n; i++)
        mem_free(f->e[i].value);
    mem_free(f->e);
    memset(f, 0, sizeof(*f));
}

const char *config_file_value(const struct config_file *f, const char *section, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->e[i].section, section) == 0 && strcmp(f->e[i].key, key) == 0)
            return f->e[i].value;
    return NULL;
}

bool config_file_changed(const struct config_file *a, const struct config_file *b,
                         const char *section, const char *key)
{
    const char *va = config_file_value(a, section, key), *vb = config_file_value(b, section, key);

    if (va == NULL || vb == NULL)
        return va != vb;
    return strcmp(va, vb) != 0;
}
