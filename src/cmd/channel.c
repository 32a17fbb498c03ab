/*
 * channel.c - the channel key, on the server:
 *   dissent channel init OFFICER [--data DIR] [--db URI] [--config FILE]
 *     make the key of each of OFFICER's channels that has none and grant it to OFFICER, an
 *     enrolled officer: the explicit step for a channel whose officers enrolled before it had a
 *     key, or were given the channel since (the first officer's enrolment makes it otherwise,
 *     core/enrol.h). Its private half is sealed to the officer's public key, so no
 *     password is needed, and nobody but that officer can open it.
 *   dissent channel grant USERNAME --as OFFICER --password-stdin [--channel SLUG] ...
 *     an officer who holds a channel's key grants it to another officer of the channel, with
 *     the granting officer's password (read from standard input) to open their keys: the
 *     channel named, else each channel whose key OFFICER holds and USERNAME is an officer of.
 * and the deployment's channels (core/channels.h, docs/channels.md):
 *   dissent channel list
 *     every channel: its number, slug, name, and the settings it has of its own
 *   dissent channel add SLUG [--name NAME] [--set KEY=VALUE ...]
 *   dissent channel set SLUG [--name NAME] [--set KEY=VALUE ...]
 *     a new channel, or a change of one: KEY a [channel] setting, an empty VALUE the
 *     deployment's again; every value is checked as the settings file's are.
 */
#include "cmd/cmd.h"

#include "core/access.h"
#include "core/channels.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* `dissent channel init OFFICER`: 0, or 1 (printed). */
static int channel_init(const struct config *cfg, const char *name)
{
    struct store *st = NULL;
    struct user u;
    uint64_t created = 0;
    int rc = 1, r;

    memset(&u, 0, sizeof(u));
    if (cmd_store_open(cfg, &st) != 0)
        return 1;
    if (!user_username_valid(name) || store_user_get_by_name(st, name, &u) != 0) {
        fprintf(stderr, "dissent: no such user\n");
        goto out;
    }
    if ((r = access_channel_setup(st, &u, time(NULL), &created)) != 0) {
        fprintf(stderr, "dissent: cannot make a channel key: %s\n", err_str(r));
        goto out;
    }
    if (!(u.roles & ROLE_OFFICER) || (u.roles & ROLE_OPERATOR) || !u.has_keys || u.disabled ||
        (u.flags & (STORE_USER_HELD | STORE_USER_REKEY | STORE_USER_TAMPERED))) {
        fprintf(stderr,
                "dissent: %s cannot hold the channel key: it must be an active officer (not also "
                "an administrator or auditor) who has enrolled with a password of their own: "
                "not disabled, not held after a reset, not waiting to choose a new password\n",
                u.username);
        goto out;
    }
    rc = 0;
    for (int64_t c = 1; c <= CHANNELS_MAX; c++) {
        uint8_t pk[32];
        if (!channels_has(u.channels, c))
            continue;
        if (channels_has(created, c))
            printf("channel %lld: made the channel key and granted it to %s\n", (long long)c,
                   u.username);
        else if ((r = trust_channel_pk(st, c, pk)) == 0)
            printf("channel %lld: the channel already has its key: nothing to do (an officer "
                   "who holds it grants it with `dissent channel grant`)\n",
                   (long long)c);
        else {
            fprintf(stderr, "dissent: channel %lld: cannot read its key: %s\n", (long long)c,
                    err_str(r));
            rc = 1;
        }
    }
out:
    wipe(u.pwhash, sizeof(u.pwhash));
    store_close(st);
    return rc;
}

/* `dissent channel list`: 0, or 1 (printed). */
static int channel_list_cmd(const struct config *cfg)
{
    struct store *st = NULL;
    struct channel_row *rows = NULL;
    size_t n = 0;
    int rc;

    if (cmd_store_open(cfg, &st) != 0)
        return 1;
    if ((rc = channels_list(st, &rows, &n)) != 0) {
        fprintf(stderr, "dissent: cannot list the channels: %s\n", err_str(rc));
        store_close(st);
        return 1;
    }
    printf("%-6s %-32s %-32s %s\n", "NUMBER", "SLUG", "NAME", "SETTINGS");
    for (size_t i = 0; i < n; i++)
        printf("%-6lld %-32s %-32s %s\n", (long long)rows[i].id, rows[i].slug,
               rows[i].name[0] ? rows[i].name : "-", rows[i].settings);
    store_channel_list_free(rows, n);
    store_close(st);
    return 0;
}

/* `dissent channel add|set SLUG`: 0, 1 (printed) or 2 (usage). */
static int channels_change(const struct config *cfg, bool add, const char *slug, const char *name,
                           const struct cmd_list *sets)
{
    const char *keys[CMD_LIST_MAX], *values[CMD_LIST_MAX];
    char kbuf[CMD_LIST_MAX][64], err[512] = "";
    struct store *st = NULL;
    struct channel_row r = {0};
    int rc;

    for (int i = 0; i < sets->n; i++) {
        const char *eq = strchr(sets->v[i], '=');
        size_t k = eq ? (size_t)(eq - sets->v[i]) : 0;
        if (eq == NULL || k == 0 || k >= sizeof(kbuf[i])) {
            fprintf(stderr, "dissent: --set takes KEY=VALUE, not \"%s\"\n", sets->v[i]);
            return 2;
        }
        memcpy(kbuf[i], sets->v[i], k);
        kbuf[i][k] = '\0';
        keys[i] = kbuf[i];
        values[i] = eq + 1;
    }
    if (cmd_store_open(cfg, &st) != 0)
        return 1;
    rc = add ? channels_add(st, cfg, slug, name ? name : "", keys, values, (size_t)sets->n,
                            (int64_t)time(NULL), &r, err, sizeof(err))
             : channels_set(st, cfg, slug, name, keys, values, (size_t)sets->n, (int64_t)time(NULL),
                            &r, err, sizeof(err));
    mem_free(r.settings);
    store_close(st);
    if (rc != 0) {
        fprintf(stderr, "dissent: %s\n", err[0] ? err : err_str(rc));
        return 1;
    }
    if (add)
        printf("added channel %lld, %s\n", (long long)r.id, slug);
    else
        printf("changed channel %s\n", slug);
    return 0;
}

int cmd_channel(int argc, char **argv)
{
    static const char synopsis[] =
        "dissent channel init OFFICER | grant USERNAME --as OFFICER --password-stdin "
        "[--channel SLUG] | list | "
        "add SLUG [--name NAME] [--set KEY=VALUE ...] | set SLUG [--name NAME] "
        "[--set KEY=VALUE ...]  [--data DIR] [--db URI] [--config FILE]";
    struct cmd_store_args sa = {0};
    const char *as = NULL, *name = NULL, *slug = NULL;
    struct cmd_list sets = {.n = 0};
    bool pw_stdin = false;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"name", "NAME", "a channel's name, as staff and the public page see it", &name, NULL,
         NULL},
        {"set", "KEY=VALUE", "one of a channel's settings (a [channel] setting; repeat it)", NULL,
         NULL, &sets},
        {"as", "OFFICER", "the officer who holds the channel key and grants it", &as, NULL, NULL},
        {"channel", "SLUG", "the channel whose key is granted (default: each one in common)", &slug,
         NULL, NULL},
        {"password-stdin", NULL, "read that officer's password from standard input", NULL,
         &pw_stdin, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char pw[PASSWORD_MAX_LEN + 2], why[256] = "", **rest = NULL;
    struct config cfg;
    struct store *st = NULL;
    struct user granter, to;
    struct user_keys *k = NULL;
    struct keyring kr;
    size_t n = 0;
    int nrest = 0, c, rc = 1;

    memset(&kr, 0, sizeof(kr));
    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest >= 1 && (strcmp(rest[0], "list") == 0 || strcmp(rest[0], "add") == 0 ||
                       strcmp(rest[0], "set") == 0)) {
        bool list = strcmp(rest[0], "list") == 0, add = strcmp(rest[0], "add") == 0;
        if (as != NULL || pw_stdin || slug != NULL || nrest != (list ? 1 : 2) ||
            (list && (name != NULL || sets.n > 0)) ||
            (!list && !add && name == NULL && sets.n == 0)) {
            fprintf(stderr, "usage: %s\n", synopsis);
            return 2;
        }
        if ((c = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
            return c;
        return list ? channel_list_cmd(&cfg) : channels_change(&cfg, add, rest[1], name, &sets);
    }
    if (name != NULL || sets.n > 0) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (nrest == 2 && strcmp(rest[0], "init") == 0 && as == NULL && !pw_stdin && slug == NULL) {
        if ((c = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
            return c;
        return channel_init(&cfg, rest[1]);
    }
    if (nrest != 2 || strcmp(rest[0], "grant") != 0 || as == NULL || !pw_stdin) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if ((c = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return c; /* (rc stays 1, the failure, until the grant is done) */
    if (fgets(pw, sizeof(pw), stdin) == NULL)
        pw[0] = '\0';
    n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    if (store_user_get_by_name(st, as, &granter) != 0 ||
        store_user_get_by_name(st, rest[1], &to) != 0) {
        fprintf(stderr, "dissent: no such user\n");
        goto out;
    }
    if (password_verify(granter.pwhash, pw, n) != 0 || (k = keys_new()) == NULL) {
        fprintf(stderr, "dissent: wrong password for %s\n", as);
        goto out;
    }
    {
        struct pw_params pp = {cfg.argon2_ops, cfg.argon2_mem};
        if (user_keys_open(&granter, &pp, pw, n, k) != 0) {
            fprintf(stderr, "dissent: cannot open the keys of %s\n", as);
            goto out;
        }
    }
    keyring_init(&kr, st, &granter, NULL, NULL);
    kr.keys = k;
    uint64_t want = 0;
    if (slug != NULL) {
        struct channel_row r;
        memset(&r, 0, sizeof(r));
        if (!channels_slug_valid(slug) || channels_get(st, slug, 0, &r) != 0) {
            fprintf(stderr, "dissent: no channel %s\n", slug);
            goto out;
        }
        mem_free(r.settings);
        want = UINT64_C(1) << (r.id - 1);
    } else if (access_channel_grants(st, granter.id, &want) != 0) {
        fprintf(stderr, "dissent: cannot read the grants of %s\n", granter.username);
        goto out;
    } else if ((want &= granter.channels & to.channels) == 0) {
        /* nothing in common: the granter's first channel's grant gives the reason (no key
         * held, or the account not an officer of it) */
        want = granter.channels != 0 ? granter.channels & ~(granter.channels - 1) : 1;
    }
    for (int64_t ch = 1; ch <= CHANNELS_MAX; ch++) {
        if (!channels_has(want, ch))
            continue;
        if (access_channel_grant(&kr, &to, ch, time(NULL), why, sizeof(why)) != 0) {
            fprintf(stderr, "dissent: cannot grant the key of channel %lld: %s\n", (long long)ch,
                    why[0] ? why : "database error");
            goto out;
        }
        printf("granted access to channel %lld to %s\n", (long long)ch, to.username);
    }
    rc = 0;
out:
    keyring_release(&kr);
    keys_free(k);
    wipe(pw, sizeof(pw));
    store_close(st);
    return rc;
}
