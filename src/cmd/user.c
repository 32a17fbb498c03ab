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

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(void)
{
    fprintf(stderr, "usage: dissent user add USERNAME --role ROLE[,ROLE...] [--display-name NAME]\n"
                    "                        [--email E] [--data DIR] [--db URI] [--config FILE]\n"
                    "       dissent user list [--data DIR] [--db URI] [--config FILE]\n"
                    "       dissent user disable USERNAME [--data DIR] [--db URI] [--config FILE]\n"
                    "       dissent user reset USERNAME [--data DIR] [--db URI] [--config FILE]\n"
                    "       dissent user passwd USERNAME --password-stdin [--data DIR] [--db URI] "
                    "[--config FILE]\n"
                    "roles: staff, officer, principal, auditor, admin (admin and auditor are not\n"
                    "combined with the others)\n");
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
    const char *config, *data, *db, *roles, *display_name, *email;
    bool password_stdin;
};

static int parse(int argc, char **argv, struct user_opts *o, struct config *cfg)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"data", required_argument, NULL, 'd'},
                                         {"role", required_argument, NULL, 'r'},
                                         {"roles", required_argument, NULL, 'r'},
                                         {"display-name", required_argument, NULL, 'n'},
                                         {"email", required_argument, NULL, 'e'},
                                         {"password-stdin", no_argument, NULL, 'p'},
                                         {"db", required_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    char err[256] = "";
    int c;

    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'd':
            o->data = optarg;
            break;
        case 'D':
            o->db = optarg;
            break;
        case 'r':
            o->roles = optarg;
            break;
        case 'n':
            o->display_name = optarg;
            break;
        case 'e':
            o->email = optarg;
            break;
        case 'p':
            o->password_stdin = true;
            break;
        default:
            return -1;
        }
    }
    if (cmd_config_load(cfg, o->config) != 0)
        return -1;
    if ((o->data && config_set(cfg, "server", "data", o->data, err, sizeof(err)) != 0) ||
        (o->db && config_set(cfg, "server", "db", o->db, err, sizeof(err)) != 0)) {
        fprintf(stderr, "dissent: %s\n", err);
        return -1;
    }
    return 0;
}

static int user_add(int argc, char **argv)
{
    struct user_opts o;
    struct config cfg;
    struct store *st = NULL;
    struct user u;
    char code[ENROL_CODE_TEXT_LEN + 1] = "", err[256] = "";
    unsigned roles = 0;
    const char *name;
    int rc = 1;

    if (parse(argc, argv, &o, &cfg) != 0 || optind != argc - 1) {
        usage();
        return 2;
    }
    name = argv[optind];
    if (o.roles == NULL || user_roles_parse(o.roles, &roles) != 0) {
        fprintf(stderr, "dissent: --role needs a comma-separated list of staff, officer, "
                        "principal, auditor, admin\n");
        return 2;
    }
    if (o.password_stdin) {
        fprintf(stderr, "dissent: an administrator does not choose a user's password: the new "
                        "account gets an enrolment code, and the user chooses their own\n");
        return 2;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    if (enrol_create(st, name, roles, o.display_name ? o.display_name : "", o.email ? o.email : "",
                     time(NULL), cfg.enrolment_ttl, &u, code, err, sizeof(err)) != 0) {
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

static void print_roles(unsigned roles)
{
    bool first = true;

    for (unsigned bit = 1; bit <= ROLE_ADMIN; bit <<= 1) {
        if (roles & bit) {
            printf("%s%s", first ? "" : ",", user_role_name(bit));
            first = false;
        }
    }
}

static int user_list(int argc, char **argv)
{
    struct user_opts o;
    struct config cfg;
    struct store *st = NULL;
    char after[USERNAME_MAX + 1] = "";
    int rc = 1;

    if (parse(argc, argv, &o, &cfg) != 0 || optind != argc) {
        usage();
        return 2;
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
            printf("%-24s ", users[i].username);
            print_roles(users[i].roles);
            printf("%*s %-10s %s\n", 0, "", users[i].disabled ? "disabled" : "active",
                   users[i].display_name);
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
    struct config cfg;
    struct store *st = NULL;
    int rc;

    if (parse(argc, argv, &o, &cfg) != 0 || optind != argc - 1) {
        usage();
        return 2;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        return 1;
    rc = user_disable(st, argv[optind], time(NULL));
    store_close(st);
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "dissent: no such user: %s\n", argv[optind]);
        return 1;
    }
    if (rc == ERR_STATE) {
        fprintf(stderr,
                "dissent: %s is the last active officer holding the channel key: grant "
                "it to another officer first\n",
                argv[optind]);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot disable %s\n", argv[optind]);
        return 1;
    }
    printf("disabled %s\n", argv[optind]);
    return 0;
}

/* A re-enrolment: keys, sessions and second factor revoked, a new code printed. */
static int user_reset_cmd(int argc, char **argv)
{
    struct user_opts o;
    struct config cfg;
    struct channel ch;
    struct store *st = NULL;
    char code[ENROL_CODE_TEXT_LEN + 1] = "", err[256];
    struct user u;
    int rc;

    memset(&ch, 0, sizeof(ch));
    if (parse(argc, argv, &o, &cfg) != 0 || optind != argc - 1) {
        usage();
        return 2;
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
    rc = enrol_reset(st, &ch, argv[optind], channel_now(&ch), &u, code);
    store_close(st);
    channel_release(&ch);
    if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "dissent: no such user: %s\n", argv[optind]);
    else if (rc == ERR_FORBIDDEN)
        fprintf(stderr, "dissent: %s is an admin or auditor account: use `dissent user passwd`\n",
                argv[optind]);
    else if (rc == ERR_STATE)
        fprintf(stderr,
                "dissent: %s is the last active officer holding the channel key: grant "
                "it to another officer first\n",
                argv[optind]);
    else if (rc != 0)
        fprintf(stderr, "dissent: cannot reset %s\n", argv[optind]);
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
    struct config cfg;
    struct store *st = NULL;
    struct pw_params pp;
    struct user_keys *k = NULL;
    struct user u;
    char pw[PASSWORD_MAX_LEN + 2];
    size_t pwlen = 0;
    int rc = 1;

    memset(&u, 0, sizeof(u));
    if (parse(argc, argv, &o, &cfg) != 0 || optind != argc - 1) {
        usage();
        return 2;
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
    if (store_user_get_by_name(st, argv[optind], &u) != 0) {
        fprintf(stderr, "dissent: no such user: %s\n", argv[optind]);
        goto out;
    }
    if (!(u.roles & ROLE_OPERATOR) || (u.roles & ROLE_CONTENT)) {
        fprintf(stderr,
                "dissent: %s may hold content: nobody but its user chooses its password; "
                "use `dissent user reset` (the user enrols again)\n",
                argv[optind]);
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
        fprintf(stderr, "dissent: cannot change the password of %s\n", argv[optind]);
        goto out;
    }
    if (trust_bind(st, &u, u.updated_at) != 0 || store_user_update(st, &u) != 0 ||
        store_session_delete_user(st, u.id) != 0 || store_totp_delete(st, u.id) != 0 ||
        store_commit(st) != 0) {
        store_rollback(st);
        fprintf(stderr, "dissent: cannot change the password of %s\n", argv[optind]);
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
    usage();
    return 2;
}
