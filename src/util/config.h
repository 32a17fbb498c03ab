/*
 * config.h - server settings: defaults, an INI file (--config FILE), then command-line flags.
 *
 * The INI file has sections [server], [tls], [session], [security], [log], [channel], [tlog],
 * [mail] and [debug]. Every key is one row of one table in config.c (config_settings(): its
 * section, type, range and default, applied by config_defaults() through the same checks as a
 * file's value); docs/config.md lists the same rows with their limits and meaning. Unknown sections
 * or keys are errors, so a typo never silently falls back to a default.
 */
#ifndef DISSENT_UTIL_CONFIG_H
#define DISSENT_UTIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config {
    char listen_host[256];     /* address to bind, default 127.0.0.1 */
    int listen_port;           /* port, default 8080; 0 picks a free port */
    char data_dir[1024];       /* SQLite database and key files, default ./var */
    char db[1024];             /* database URI ("postgresql://..."); empty: SQLite in data_dir */
    int workers;               /* event-loop threads; 0 means one per core */
    int pool_threads;          /* threads for slow work (hashing, signing); 0: four per core */
    int64_t max_body;          /* request body limit in bytes, default 1 MiB */
    int64_t max_headers;       /* request header block limit in bytes, default 16 KiB */
    int timeout;               /* seconds a connection may take to send a request or idle */
    int shutdown_grace;        /* seconds in-flight requests get after SIGTERM */
    bool behind_tls;           /* a TLS proxy fronts us: cookies get Secure, origin is https */
    bool require_sync_standby; /* PostgreSQL: refuse to start, and log an error every minute,
                                  unless a synchronous standby is attached (core/housekeeping.h) */
    char trust_proxy[512];     /* peers (IP literals, comma-separated) whose X-Forwarded-For names
                                  the client; "" trusts none */
    char origin[512];          /* public origin ("https://dissent.example"); empty: from Host */
    int session_idle;          /* seconds of inactivity before a session expires */
    int session_lifetime;      /* absolute session lifetime in seconds */
    int login_max_failures;    /* failed logins per username or address within the window */
    int login_window;          /* seconds of the failed-login window */
    uint64_t argon2_ops;       /* Argon2id opslimit */
    uint64_t argon2_mem;       /* Argon2id memlimit in bytes */
    int enrolment_ttl;         /* seconds an enrolment code works, default 7 days */
    int reset_confirmations;   /* officers who confirm an account re-enrolled after a reset before
                                  anything is shared with it (core/reset.h): 0-2, default 2 */
    char require_2fa[128];
    bool passwordless; /* a passkey that unlocks the account's keys signs in alone */ /* roles that
                              must sign in with TOTP ("officer, admin", "none");
                              "" = the [channel] preset's default */
    int log_level;       /* enum log_level */
    char log_file[1024]; /* [log] file: lines go there (appended) instead of standard error, the
                            file opened again on SIGHUP (logrotate); "": standard error */
    /* [tls] HTTPS in the server itself (http/tls.h): the certificate chain and its key, PEM
     * files read again on SIGHUP; both or neither. Set, they imply behind_tls */
    char tls_cert[1024];
    char tls_key[1024];
    /* [channel]: checked by channel_init() (core/channel.h) */
    char preset[32];     /* deadline preset: "state-dept" or "eu-directive" */
    char ack[32];        /* override: "N working-days", "N days" or "N months"; "" = preset */
    char reply[32];      /* override, as ack */
    char reply_max[32];  /* override, as ack */
    char reply_from[32]; /* override: "filing" or "acknowledgement"; "" = preset */
    char timezone[128];  /* IANA zone of the organisation; "" the preset's (channel_zone()) */
    /* the holiday calendar: a shipped one ("us-federal", "ie", "de", "fr", "nl"), "none", or the
     * path of a calendar file (core/holidays.h); "" the preset's (channel_calendar()) */
    char calendar[256];
    /* the older switch calendar replaces: 1 us-federal, 0 none, -1 unset */
    signed char federal_holidays;
    /* Inauguration Day (5 U.S.C. 6103(c)) is not a working day: 1 yes, 0 no, -1 the preset's */
    signed char inauguration_day;
    char closures[8192];   /* comma-separated YYYY-MM-DD closure dates */
    char principals[8192]; /* comma-separated usernames every acknowledged memo goes to */
    int accept_window;     /* working days the drafter has after a reply (0: none) */
    int clarify_days;      /* working days to answer a clarification request */
    /* replies are sent only once the channel's head approves them: 1 yes, 0 no, -1 the
     * preset's (channel_reply_approval()) */
    signed char reply_approval;
    bool filers_members;  /* [channel] filers: only the staff of the channel may file to it */
    char agency_head[65]; /* [channel] agency_head: the principal heading the organisation the
                             channel belongs to ("" none: docs/channels.md) */
    bool author_head;     /* [channel] author_head: a memo filed here by staff of other channels
                             also goes to those channels' agency_head */
    char directory_group[512]; /* [channel] directory_group: the directory group (cn or DN)
                                  whose members are of the channel (core/directory.h) */
    /* [tlog] */
    char log_origin[256];     /* the transparency log's origin line (its key is named after it) */
    bool log_public;          /* /log/ and /api/v1/stats are public (default), else auditors only */
    int log_interval;         /* seconds between scheduled checkpoints (core/ledger.h) */
    char log_witnesses[4096]; /* "URL VKEY, URL VKEY": the witnesses (core/cosigning.h) */
    int log_quorum;           /* cosignatures a checkpoint needs to be published; 0: a majority */
    int log_audit_anchor;     /* seconds between anchors of the read audit in the log */
    /* [metrics] */
    char metrics_token[257]; /* the bearer token of GET /metrics; "": no /metrics */
    /* [mail]: email notifications (core/notify.h, core/mailer.h); checked by mailer_check() */
    bool mail_enabled;         /* queue and send notifications (default false) */
    char mail_host[256];       /* SMTP server */
    int mail_port;             /* default 587 */
    int mail_starttls;         /* MAIL_TLS_AUTO (default), _ALWAYS, _NEVER, _IMPLICIT (smtps) */
    char mail_username[256];   /* SMTP AUTH user; "" = no authentication */
    char mail_password[256];   /* SMTP AUTH password (or read from password_file); never logged */
    char mail_ca_file[1024];   /* CA bundle to verify the server with; "" = the system's */
    char mail_from[255];       /* envelope and From: address */
    char mail_escalation[255]; /* also receives every escalation; "" = officers only */
    int mail_escalate_principals; /* working days late before [channel] principals are told */
    int mail_escalation_repeat;   /* working days between repeats of an escalation; 0: once */
    int mail_neutral_delay;       /* seconds within which a neutral email leaves, at random */
    char mail_language[8];        /* emails' language for accounts that chose none ("en") */
    char mail_base_url[512];      /* the web interface, for links ("https://dissent.example") */
    int mail_poll;                /* seconds between looks at the outbox */
    int mail_scan;                /* seconds between scans for reminders and escalations */
    int mail_backoff_base;        /* seconds before the first retry; doubles each time */
    int mail_backoff_max;         /* longest wait between retries */
    int mail_max_attempts;        /* failed attempts before an email is marked failed */
    int mail_batch;               /* emails sent per look at the outbox */
    int mail_timeout;             /* seconds one SMTP conversation may take */
    /* [oidc]: single sign-on through an OpenID provider (core/oidc.h); checked by oidc_check() */
    char oidc_issuer[512];          /* the provider's issuer URL; "" = no single sign-on */
    char oidc_client_id[256];       /* this server's client id there */
    char oidc_client_secret[512];   /* read from client_secret_file; never logged */
    char oidc_scopes[256];          /* asked for, "openid" among them */
    char oidc_username_claim[64];   /* the ID token's claim that names the local username */
    char oidc_username_domain[256]; /* "@DOMAIN" dropped from that claim's value; "" keeps it */
    char oidc_roles_claim[64];     /* the claim listing the person's groups; "" = roles are local */
    char oidc_role_staff[256];     /* the group whose members get the role ("*": everyone) */
    char oidc_role_officer[256];   /* ... */
    char oidc_role_head[256];      /* ... */
    char oidc_role_principal[256]; /* ... */
    char oidc_role_auditor[256];   /* ... (only with allow_admin) */
    char oidc_role_admin[256];     /* ... (only with allow_admin) */
    bool oidc_allow_admin;         /* the provider's groups may grant admin and auditor */
    bool oidc_create_accounts;     /* a person the provider vouches for gets an account */
    bool oidc_passwords;           /* linked accounts may still sign in with a password alone */
    char oidc_ca_file[1024];       /* CA bundle for the provider; "" = the system's */
    /* [directory]: accounts kept in step with an LDAP directory (core/directory.h); checked by
     * directory_check() */
    char dir_url[512];            /* ldaps://... or ldap://... ; "" = no directory */
    bool dir_starttls;            /* with ldap://: StartTLS first (plain only to this machine) */
    char dir_ca_file[1024];       /* CA bundle for the directory; "" = the system's */
    char dir_bind_dn[512];        /* the DN Dissent binds as */
    char dir_bind_password[256];  /* read from bind_password_file; never logged */
    char dir_base_dn[512];        /* where people are */
    char dir_filter[512];         /* which entries are people */
    char dir_username_attr[64];   /* the attribute that is the local username */
    char dir_name_attr[64];       /* ... the display name */
    char dir_email_attr[64];      /* ... the email address */
    char dir_group_base_dn[512];  /* where groups are; "" = base_dn */
    char dir_group_filter[512];   /* which entries are groups */
    char dir_member_attr[64];     /* a group's attribute listing its members' DNs */
    char dir_role_staff[512];     /* the group (cn or DN) whose members get the role; "*" all */
    char dir_role_officer[512];   /* ... */
    char dir_role_head[512];      /* ... */
    char dir_role_principal[512]; /* ... */
    int dir_interval;             /* seconds between the server's own syncs; 0 = never */
    int dir_max_disable;          /* percent of managed accounts one sync may disable */
    char records_marking[128];    /* the banner of a record copy, or "" */
    char records_refuse[2560];    /* markings finalize refuses, comma-separated (core/channel.h) */
    bool records_refuse_set;      /* ... given in the file (else the preset's) */
    int64_t records_file_max;     /* bytes of one attached file */
    int64_t retain_closed;        /* days a closed memo is kept (0: for ever; core/records.h) */
    int64_t retain_declined;      /* ... a declined one */
    int64_t retain_withdrawn;     /* ... a withdrawn one */
    int64_t retain_drafts;        /* ... a draft (or unfiled memo) left untouched */
    int64_t records_memo_max;     /* bytes of one memo's attached files together */
    /* [debug] */
    int64_t clock_start; /* when set (unix seconds), the server's clock starts there */
};

/* [mail] starttls */
enum { MAIL_TLS_AUTO, MAIL_TLS_ALWAYS, MAIL_TLS_NEVER, MAIL_TLS_IMPLICIT };

/* One setting of the one table (config.c): where it goes in struct config, how it is read. */
enum config_kind {
    CONFIG_INT,  /* an int in [@min, @max] */
    CONFIG_I64,  /* an int64_t in [@min, @max] */
    CONFIG_BOOL, /* true/false, yes/no, on/off, 1/0 */
    CONFIG_STR,  /* a string that fits the field */
    CONFIG_FN,   /* checked and stored by @set (an address, a URL, a level, ...) */
};
struct config_setting {
    const char *section, *key;
    enum config_kind kind;
    size_t offset, size; /* the field in struct config (not for CONFIG_FN) */
    int64_t min, max;    /* CONFIG_INT, CONFIG_I64 */
    const char *def;     /* the default as a file would write it; NULL: empty, zero or false */
    int (*set)(struct config *cfg, const char *v); /* CONFIG_FN: 0 or ERR_INVALID */
};

/**
 * config_settings() - every setting, in docs/config.md's order (a unit test holds the two
 * together); *@count receives how many.
 */
const struct config_setting *config_settings(size_t *count);

/**
 * config_origin_check() - 0 when the expected Origin of writes is safe to take from the
 * request's Host header, or is configured: [server] origin may stay empty only while the server
 * listens on a loopback address (127.0.0.0/8, ::1, localhost). Elsewhere a Host-derived origin
 * lets a DNS-rebinding page pass the CSRF check: ERR_INVALID with the reason in @err.
 */
int config_origin_check(const struct config *cfg, char *err, size_t errlen);

/** config_defaults() - fill @cfg with the built-in defaults. */
void config_defaults(struct config *cfg);

/**
 * config_load_file() - apply the INI file at @path on top of @cfg.
 * Returns 0, ERR_IO (cannot read), ERR_NOMEM or ERR_INVALID (bad syntax, unknown key, value out
 * of range); @err receives "FILE:LINE: what". @cfg may be partly updated on failure; callers exit.
 */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);

/**
 * config_load_string() - as config_load_file(), for the INI text @text (NUL-terminated, read
 * with the same parser); @name stands for the file name in messages. Never ERR_IO.
 */
int config_load_string(struct config *cfg, const char *text, const char *name, char *err,
                       size_t errlen);

/*
 * The keys a settings file sets, as text: what SIGHUP compares with the file read at start, to
 * apply what changed and name what needs a restart (cmd/serve.c). Only the file's form is read
 * here (its values are checked by config_load_file()).
 */
#define CONFIG_FILE_ENTRIES_MAX 512       /* keys of one file */
#define CONFIG_FILE_VALUE_MAX (64 * 1024) /* bytes of one key's value, its lines joined */

struct config_entry {
    char section[32];
    char key[64];
    char *value; /* the lines of a key given on several lines, joined by '\n' */
};

struct config_file {
    struct config_entry *e;
    size_t n;
};

/**
 * config_file_read() - the keys of the INI file at @path into *@out (free it with
 * config_file_free()). ERR_IO (cannot open), ERR_INVALID (its syntax), ERR_TOO_LARGE (over the
 * limits above), ERR_NOMEM; a message in @err.
 */
int config_file_read(const char *path, struct config_file *out, char *err, size_t errlen);

/** config_file_free() - release what config_file_read() filled (also after it failed). */
void config_file_free(struct config_file *f);

/** config_file_value() - @section's @key as @f gives it, or NULL when @f has no such key. */
const char *config_file_value(const struct config_file *f, const char *section, const char *key);

/** config_file_changed() - whether @key of @section differs between @a and @b (set in one only
 * counts as a change). */
bool config_file_changed(const struct config_file *a, const struct config_file *b,
                         const char *section, const char *key);

/**
 * config_set() - apply one "section.key = value" setting (also used for flags).
 * Returns 0 or ERR_INVALID with a message in @err.
 */
int config_set(struct config *cfg, const char *section, const char *key, const char *value,
               char *err, size_t errlen);

#endif
