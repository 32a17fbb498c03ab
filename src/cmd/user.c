/*
 * user.c - `dissent user add|list|disable|reset|passwd`, working on the database directly.
 *
 *   dissent user add USERNAME --role ROLE[,ROLE...] [--display-name NAME] [--email E]
 *                    [--data DIR] [--db URI] [--config FILE]
 *   dissent user list [--data DIR] [--db URI] [--config FILE]
 *   dissent user disable USERNAME [--data DIR] [--db URI] [--config FILE]
 *   dissent user reset USERNAME [--data DIR] [--db URI] [--config FILE]
 *   dissent user passwd USERNAME --password-stdin [--data DIR] [--db URI] [--config FILE]
 *
 * `add` and `reset` print a one-time enrolment code (core/enrol.h): the user chooses their own
 * password with it. `passwd` is only for admin and auditor accounts, which hold no content (a
 * lost administrator password).
 */
#include "cmd/cmd.h"

#include "core/channel.h"
#include "core/enrol.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char synopsis[] =
    "dissent user add USERNAME --role ROLE[,ROLE...] [--display-name NAME]\n"
    "                        [--email E] [--data DIR] [--db URI] [--config FILE]\n"
    "       dissent user list [--data DIR] [--db URI] [--config FILE]\n"
    "       dissent user disable USERNAME [--data DIR] [--db URI] [--config FILE]\n"
    "       dissent user reset USERNAME [--data DIR] [--db URI] [--config FILE]\n"
    "       dissent user passwd USERNAME --password-stdin [--data DIR] [--db URI] [--config FILE]\n"
    "roles: staff, officer, principal, auditor, admin, head (head goes with officer;\n"
    "admin and auditor are not combined with the others)";

static void usage(void)
{
    fprintf(stderr, "usage: %s\n", synopsis);
}

/* The lines that hand an enrolment code over. */
static void print_code(const struct user *u, const char *code)
{
    char expires[32];
    time_t t = (time_t)u->enrol_expires;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(expires, sizeof(expires), "%Y-%m-%d %H:%M UTC", &tm);
    printf("enrolment code: %s\n"
           "valid until:    %s\n"
           "Give the code to %s alone: with it they choose their own password at /#/enrol,\n"
           "and their keys are created then. It is shown only this once.\n",
           code, expires, u->username);
}

/* Read a password from stdin: everything up to EOF or the first newline. */
static int read_password(char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int ch;

    while ((ch = getchar()) != EOF && ch != '\n') {
        if (n + 1 >= cap)
            return ERR_TOO_LARGE;
        buf[n++] = (char)ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    *len = n;
    return 0;
}

struct user_opts {
    struct cmd_store_args sa;
    const char *roles, *display_name, *email;
    bool password_stdin;
    char **rest; /* the positional arguments (the username), @nrest of them */
    int nrest;
};

/* The options of every `dissent user` command, and the configuration they name. 0; as
 * cmd_parse(), 1 after --help (exit 0) and 2 on a usage or configuration error (printed). */
static int parse(int argc, char **argv, struct user_opts *o, struct config *cfg)
{
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&o->sa),
        {"role", "ROLE[,ROLE...]", "the account's roles", &o->roles, NULL, NULL},
        {"roles", "ROLE[,ROLE...]", "the same", &o->roles, NULL, NULL},
        {"display-name", "NAME", "the name shown for the account", &o->display_name, NULL, NULL},
        {"email", "E", "the account's address (notifications)", &o->email, NULL, NULL},
        {"password-stdin", NULL, "read a password from standard input (passwd)", NULL,
         &o->password_stdin, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char err[256] = "";
    int rc;

    memset(o, 0, sizeof(*o));
    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &o->rest, &o->nrest)) != 0)
        return rc;
    if (cmd_config_load(cfg, o->sa.config) != 0)
        return 2;
    if ((o->sa.data && config_set(cfg, "server", "data", o->sa.data, err, sizeof(err)) != 0) ||
        (o->sa.db && config_set(cfg, "server", "db", o->sa.db, err, sizeof(err)) != 0)) {
        fprintf(stderr, "dissent: %s\n", err);
        return 2;
    }
    return 0;
}

static int user_add(int argc, char **argv)
{
    struct user_opts o;
    int prc;
    struct config cfg;
    struct store *st = NULL;
    struct user u;
    char code[ENROL_CODE_TEXT_LEN + 1] = "", err[256] = "";
    unsigned roles = 0;
    const char *name;
    int rc = 1;

    if ((prc = parse(argc, argv, &o, &cfg)) != 0 || o.nrest != 1) {
        if (prc != 1)
            usage();
        return prc == 1 ? 0 : 2;
    }
    name = o.rest[0];
    if (o.roles == NULL || user_roles_parse(o.roles, &roles) != 0) {
        fprintf(stderr, "dissent: --role needs a comma-separated list of staff, officer, "
                        "principal, auditor, admin, head\n");
        return 2;
    }
    if (o.password_stdin) {
        fprintf(stderr, "dissent: an administrator does not choose a user's password: the new "
                        "account gets an enrolment code, and the user chooses their own\n");
        return 2;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    if (enrol_create(st, name, roles, 0, o.display_name ? o.display_name : "",
                     o.email ? o.email : "", time(NULL), cfg.enrolment_ttl, &u, code, err,
                     sizeof(err)) != 0) {
        fprintf(stderr, "dissent: cannot add user: %s\n", err[0] ? err : "database error");
        goto out;
    }
    printf("added %s\n", u.username);
    print_code(&u, code);
    rc = 0;
out:
    wipe(code, sizeof(code));
    store_close(st);
    return rc;
}

/* @roles as "staff,officer" into @out. */
static void roles_text(unsigned roles, char *out, size_t len)
{
    size_t n = 0;

    out[0] = '\0';
    for (unsigned bit = 1; bit & ROLE_ALL; bit <<= 1)
        if ((roles & bit) && n < len)
            n += (size_t)snprintf(out + n, len - n, "%s%s", n > 0 ? "," : "", user_role_name(bit));
}

static int user_list(int argc, char **argv)
{
    struct user_opts o;
    int prc;
    struct config cfg;
    struct store *st = NULL;
    char after[USERNAME_MAX + 1] = "";
    int rc = 1;

    if ((prc = parse(argc, argv, &o, &cfg)) != 0 || o.nrest != 0) {
        if (prc != 1)
            usage();
        return prc == 1 ? 0 : 2;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    printf("%-24s %-32s %-10s %s\n", "USERNAME", "ROLES", "STATUS", "DISPLAY NAME");
    for (;;) {
        struct user *users = NULL;
        size_t n = 0;
        if (store_user_list(st, after, 200, &users, &n) != 0) {
            fprintf(stderr, "dissent: cannot list users\n");
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            char roles[96];
            roles_text(users[i].roles, roles, sizeof(roles));
            printf("%-24s %-32s %-10s %s\n", users[i].username, roles,
                   users[i].disabled ? "disabled" : "active", users[i].display_name);
        }
        if (n > 0)
            memcpy(after, users[n - 1].username, sizeof(after));
        mem_free(users);
        if (n < 200)
            break;
    }
    rc = 0;
out:
    store_close(st);
    return rc;
}

static int user_disable_cmd(int argc, char **argv)
{
    struct user_opts o;
    int prc;
    struct config cfg;
    struct store *st = NULL;
    int rc;

    if ((prc = parse(argc, argv, &o, &cfg)) != 0 || o.nrest != 1) {
        if (prc != 1)
            usage();
        return prc == 1 ? 0 : 2;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    rc = user_disable(st, o.rest[0], time(NULL));
    store_close(st);
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "dissent: no such user: %s\n", o.rest[0]);
        return 1;
    }
    if (rc == ERR_STATE) {
        fprintf(stderr,
                "dissent: %s is the last active officer holding the channel key: grant "
                "it to another officer first\n",
                o.rest[0]);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot disable %s\n", o.rest[0]);
        return 1;
    }
    printf("disabled %s\n", o.rest[0]);
    return 0;
}

/* A re-enrolment: keys, sessions and second factor revoked, a new code printed. */
static int user_reset_cmd(int argc, char **argv)
{
    struct user_opts o;
    int prc;
    struct config cfg;
    struct channel ch;
    struct store *st = NULL;
    char code[ENROL_CODE_TEXT_LEN + 1] = "", err[256];
    struct user u;
    int rc;

    memset(&ch, 0, sizeof(ch));
    if ((prc = parse(argc, argv, &o, &cfg)) != 0 || o.nrest != 1) {
        if (prc != 1)
            usage();
        return prc == 1 ? 0 : 2;
    }
    /* the channel: its time zone dates the log entry, its key MACs the email's dedupe key */
    if (channel_init(&ch, &cfg, cfg.data_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent: %s\n", err);
        return 1;
    }
    if (cmd_store_open(&cfg, &st) != 0) {
        channel_release(&ch);
        return 1;
    }
    rc = enrol_reset(st, &ch, o.rest[0], channel_now(&ch), &u, code);
    store_close(st);
    channel_release(&ch);
    if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "dissent: no such user: %s\n", o.rest[0]);
    else if (rc == ERR_FORBIDDEN)
        fprintf(stderr, "dissent: %s is an admin or auditor account: use `dissent user passwd`\n",
                o.rest[0]);
    else if (rc == ERR_STATE)
        fprintf(stderr,
                "dissent: %s is the last active officer holding the channel key: grant "
                "it to another officer first\n",
                o.rest[0]);
    else if (rc != 0)
        fprintf(stderr, "dissent: cannot reset %s\n", o.rest[0]);
    if (rc != 0)
        return 1;
    printf("reset %s: its password, keys, recovery key, sessions and two-factor sign-in were "
           "revoked\n",
           u.username);
    print_code(&u, code);
    wipe(code, sizeof(code));
    return 0;
}

/* A new password for an admin or auditor account (a lost administrator password): they hold no
 * content, so their keys are simply replaced. Sessions and the second factor end. */
static int user_passwd(int argc, char **argv)
{
    struct user_opts o;
    int prc;
    struct config cfg;
    struct store *st = NULL;
    struct pw_params pp;
    struct user_keys *k = NULL;
    struct user u;
    char pw[PASSWORD_MAX_LEN + 2];
    size_t pwlen = 0;
    int rc = 1;

    memset(&u, 0, sizeof(u));
    if ((prc = parse(argc, argv, &o, &cfg)) != 0 || o.nrest != 1) {
        if (prc != 1)
            usage();
        return prc == 1 ? 0 : 2;
    }
    if (!o.password_stdin) {
        fprintf(stderr, "dissent: --password-stdin is required\n");
        return 2;
    }
    if (read_password(pw, sizeof(pw), &pwlen) != 0 || !user_password_valid(pw, pwlen)) {
        fprintf(stderr, "dissent: the password must be 8 to %d bytes of UTF-8\n", PASSWORD_MAX_LEN);
        goto out;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    if (store_user_get_by_name(st, o.rest[0], &u) != 0) {
        fprintf(stderr, "dissent: no such user: %s\n", o.rest[0]);
        goto out;
    }
    if (!(u.roles & ROLE_OPERATOR) || (u.roles & ROLE_CONTENT)) {
        fprintf(stderr,
                "dissent: %s may hold content: nobody but its user chooses its password; "
                "use `dissent user reset` (the user enrols again)\n",
                o.rest[0]);
        goto out;
    }
    pp.ops = cfg.argon2_ops;
    pp.mem = cfg.argon2_mem;
    u.updated_at = time(NULL);
    u.has_recovery = false;      /* the next sign-in shows a new one */
    u.flags &= ~STORE_USER_TOTP; /* its TOTP row goes below, in the same transaction */
    u.has_enrol = false;
    if ((k = keys_new()) == NULL)
        goto out;
    keys_generate(k);
    if (password_hash(u.pwhash, pw, pwlen, pp.ops, pp.mem) != 0 ||
        user_keys_seal(&u, k, &pp, pw, pwlen) != 0 || store_begin(st) != 0) {
        fprintf(stderr, "dissent: cannot change the password of %s\n", o.rest[0]);
        goto out;
    }
    if (trust_bind(st, &u, u.updated_at) != 0 || store_user_update(st, &u) != 0 ||
        store_session_delete_user(st, u.id) != 0 || store_totp_delete(st, u.id) != 0 ||
        store_commit(st) != 0) {
        store_rollback(st);
        fprintf(stderr, "dissent: cannot change the password of %s\n", o.rest[0]);
        goto out;
    }
    store_scrub(st);
    printf("password changed for %s; its sessions ended and two-factor sign-in (TOTP), if it "
           "was on, is off\n",
           u.username);
    rc = 0;
out:
    keys_free(k);
    wipe(pw, sizeof(pw));
    wipe(u.pwhash, sizeof(u.pwhash));
    store_close(st);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "add") == 0)
        return user_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return user_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "disable") == 0)
        return user_disable_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "reset") == 0)
        return user_reset_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "passwd") == 0)
        return user_passwd(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", synopsis);
        return 0;
    }
    usage();
    return 2;
}
