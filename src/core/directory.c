#include "core/directory.h"

#include "core/access.h"
#include "core/channel.h"
#include "core/channels.h"
#include "core/enrol.h"
#include "core/runner.h"
#include "core/trust.h"
#include "crypto/random.h"
#include "core/user.h"
#include "net/ldap.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <ctype.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define USERS_PAGE 200
#define DN_MAX 1024

/* A person, as the directory lists them. */
struct person {
    char dn[DN_MAX];
    char username[USERNAME_MAX + 1];
    char display[DISPLAY_NAME_MAX + 1];
    char email[EMAIL_MAX + 1];
    unsigned roles;
    uint64_t channels; /* the channels whose directory_group lists them (core/channels.h) */
    bool matched;      /* an account of theirs was found */
    bool dup;          /* another entry has the same username: neither is used */
};

struct people {
    struct person *p;
    size_t n, cap;
    struct directory_report *rep;
};

bool directory_enabled(const struct config *cfg)
{
    return cfg->dir_url[0] != '\0';
}

int directory_check(const struct config *cfg, char *err, size_t errlen)
{
    if (!directory_enabled(cfg))
        return 0;
    if (!netldap_url_allowed(cfg->dir_url, cfg->dir_starttls)) {
        err_set(err, errlen,
                "[directory] url must be ldaps://HOST or ldap://HOST (with "
                "starttls; without it only to this machine)");
        return ERR_INVALID;
    }
    if (cfg->dir_base_dn[0] == '\0') {
        err_set(err, errlen, "[directory] base_dn is needed with url");
        return ERR_INVALID;
    }
    /* a DN with an empty password is an unauthenticated bind (RFC 4513, 5.1.2), which some
     * servers take for an anonymous one */
    if (cfg->dir_bind_dn[0] != '\0' && cfg->dir_bind_password[0] == '\0') {
        err_set(err, errlen,
                "[directory] bind_dn needs bind_password_file (a file whose first "
                "line is the password)");
        return ERR_INVALID;
    }
    if (cfg->dir_username_attr[0] == '\0' || cfg->dir_member_attr[0] == '\0' ||
        cfg->dir_filter[0] == '\0' || cfg->dir_group_filter[0] == '\0') {
        err_set(err, errlen, "[directory] the attributes and filters must not be empty");
        return ERR_INVALID;
    }
    if (cfg->dir_role_head[0] != '\0' && cfg->dir_role_officer[0] == '\0') {
        err_set(err, errlen, "[directory] role_head needs role_officer: the head is an officer");
        return ERR_INVALID;
    }
    return 0;
}

static void say(struct directory_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct directory_report *rep, const char *fmt, ...)
{
    char line[600];
    va_list ap;

    if (rep->line == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    rep->line(rep->arg, line);
}

/* "officer, staff" for @roles. */
static void role_list(unsigned roles, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (unsigned bit = 1; bit != 0 && used < len; bit <<= 1) {
        const char *name = (roles & bit) ? user_role_name(bit) : NULL;
        if (name != NULL)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", name);
    }
    if (out[0] == '\0')
        snprintf(out, len, "no role");
}

static const char *first(char *const *v)
{
    return v != NULL && v[0] != NULL ? v[0] : "";
}

/* One person entry: attributes username, display name, email. */
static int on_person(void *arg, const char *dn, char *const *const *values)
{
    struct people *pp = arg;
    const char *uid = first(values[0]);
    struct person *p;
    size_t n = strlen(uid);

    if (n == 0 || n > USERNAME_MAX || strlen(dn) >= DN_MAX) {
        pp->rep->skipped++;
        say(pp->rep, "skip %.200s: no usable username", dn);
        return 0;
    }
    if (pp->n == pp->cap) {
        size_t cap = pp->cap ? pp->cap * 2 : 64;
        struct person *q = mem_realloc(pp->p, cap * sizeof(*q));
        if (q == NULL)
            return ERR_NOMEM;
        pp->p = q;
        pp->cap = cap;
    }
    p = &pp->p[pp->n];
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i <= n; i++)
        p->username[i] = (char)tolower((unsigned char)uid[i]);
    if (!user_username_valid(p->username)) {
        pp->rep->skipped++;
        say(pp->rep, "skip %.200s: \"%.64s\" is not a username here", dn, uid);
        return 0;
    }
    for (size_t i = 0; i < pp->n; i++)
        if (strcmp(pp->p[i].username, p->username) == 0) {
            /* which one is the person? neither is used: the directory must say */
            pp->rep->skipped++;
            if (!pp->p[i].dup)
                pp->rep->skipped++;
            pp->p[i].dup = true;
            say(pp->rep, "skip %.200s and %.200s: the username %s is listed twice", dn, pp->p[i].dn,
                p->username);
            return 0;
        }
    str_copy(p->dn, sizeof(p->dn), dn);
    if (str_copy(p->display, sizeof(p->display), first(values[1])) != 0 ||
        !user_display_name_valid(p->display))
        p->display[0] = '\0';
    if (str_copy(p->email, sizeof(p->email), first(values[2])) != 0 || !user_email_valid(p->email))
        p->email[0] = '\0';
    pp->n++;
    return 0;
}

/* The channels' groups (their directory_group, core/channels.h), by channel number. */
struct chgroups {
    char name[CHANNELS_MAX + 1][sizeof(((struct config *)0)->directory_group)];
    char slug[CHANNELS_MAX + 1][STORE_CHANNEL_SLUG_MAX + 1];
    uint64_t wanted; /* the channels with a group: their people are the directory's to say */
};

/* The role a group gives, by [directory] role_*, and the channel, by a channel's
 * directory_group: matched by cn or by DN, in any case. */
struct groups {
    const struct config *cfg;
    const struct chgroups *cg;
    struct people *pp;
    unsigned found;   /* the roles whose group was found */
    uint64_t chfound; /* the channels whose group was found */
};

static bool names(const char *want, const char *dn, char *const *cn)
{
    if (want[0] == '\0' || strcmp(want, "*") == 0)
        return false;
    if (strcasecmp(want, dn) == 0)
        return true;
    for (size_t i = 0; cn != NULL && cn[i] != NULL; i++)
        if (strcasecmp(want, cn[i]) == 0)
            return true;
    return false;
}

static int on_group(void *arg, const char *dn, char *const *const *values)
{
    struct groups *g = arg;
    const struct config *c = g->cfg;
    unsigned role = 0;

    if (names(c->dir_role_staff, dn, values[0]))
        role |= ROLE_STAFF;
    if (names(c->dir_role_officer, dn, values[0]))
        role |= ROLE_OFFICER;
    if (names(c->dir_role_head, dn, values[0]))
        role |= ROLE_HEAD;
    if (names(c->dir_role_principal, dn, values[0]))
        role |= ROLE_PRINCIPAL;
    g->found |= role;
    uint64_t chans = 0;
    for (int64_t ch = 1; ch <= CHANNELS_MAX; ch++)
        if (channels_has(g->cg->wanted, ch) && names(g->cg->name[ch], dn, values[0]))
            chans |= UINT64_C(1) << (ch - 1);
    g->chfound |= chans;
    for (size_t i = 0; (role != 0 || chans != 0) && values[1] != NULL && values[1][i] != NULL; i++)
        for (size_t k = 0; k < g->pp->n; k++)
            if (strcasecmp(g->pp->p[k].dn, values[1][i]) == 0) {
                g->pp->p[k].roles |= role;
                g->pp->p[k].channels |= chans;
            }
    return 0;
}

/* The channels' directory groups into @cg (those with one in cg->wanted). */
static int channel_groups(struct store *st, const struct config *cfg, struct chgroups *cg)
{
    struct channel_row *rows = NULL;
    size_t n = 0;
    int rc = channels_list(st, &rows, &n);

    memset(cg, 0, sizeof(*cg));
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t id = rows[i].id;
        if (id < 1 || id > CHANNELS_MAX)
            continue;
        rc = channels_own(&rows[i], cfg, "directory_group", cg->name[id], sizeof(cg->name[id]));
        str_copy(cg->slug[id], sizeof(cg->slug[id]), rows[i].slug);
        if (rc == 0 && cg->name[id][0] != '\0')
            cg->wanted |= UINT64_C(1) << (id - 1);
    }
    store_channel_list_free(rows, n);
    return rc;
}

/* @channels as the channels' slugs, for the report. */
static void channel_list(const struct chgroups *cg, uint64_t channels, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (int64_t ch = 1; ch <= CHANNELS_MAX && used < len; ch++)
        if (channels_has(channels, ch))
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                                     cg->slug[ch][0] ? cg->slug[ch] : "?");
}

/* The channels the directory gives @p: its groups', else channel 1. */
static uint64_t channels_given(const struct person *p)
{
    return p->channels != 0 ? p->channels : 1;
}

/* Whether roles come from groups: a role other than staff-for-all is mapped. */
static bool roles_managed(const struct config *c)
{
    return (c->dir_role_staff[0] != '\0' && strcmp(c->dir_role_staff, "*") != 0) ||
           c->dir_role_officer[0] != '\0' || c->dir_role_head[0] != '\0' ||
           c->dir_role_principal[0] != '\0';
}

/* Read the people and their groups' roles and channels into @pp. */
static int read_directory(const struct config *cfg, const struct chgroups *cg, struct people *pp,
                          char *err, size_t errlen)
{
    const char *pattrs[] = {cfg->dir_username_attr, cfg->dir_name_attr, cfg->dir_email_attr, NULL};
    const char *gattrs[] = {"cn", cfg->dir_member_attr, NULL};
    struct netldap_params np = {.url = cfg->dir_url,
                                .starttls = cfg->dir_starttls,
                                .ca_file = cfg->dir_ca_file,
                                .bind_dn = cfg->dir_bind_dn,
                                .password = cfg->dir_bind_password};
    struct groups g = {.cfg = cfg, .cg = cg, .pp = pp};
    struct netldap *c = NULL;
    char e[400];
    int rc;

    if ((rc = netldap_open(&np, &c, e, sizeof(e))) != 0) {
        err_set(err, errlen, "the directory %s: %s", cfg->dir_url, e);
        return rc == ERR_NOMEM ? rc : ERR_IO;
    }
    rc = netldap_search(c, cfg->dir_base_dn, cfg->dir_filter, pattrs, on_person, pp, e, sizeof(e));
    if (rc == 0 && (roles_managed(cfg) || cg->wanted != 0))
        rc =
            netldap_search(c, cfg->dir_group_base_dn[0] ? cfg->dir_group_base_dn : cfg->dir_base_dn,
                           cfg->dir_group_filter, gattrs, on_group, &g, e, sizeof(e));
    netldap_close(c);
    if (rc != 0) {
        err_set(err, errlen, "the directory %s: %s", cfg->dir_url, e);
        return rc == ERR_NOMEM ? rc : ERR_IO;
    }
    /* a mapped group that is not there (a typo, or groups the bind cannot see) would take its
     * role from everyone: nothing is decided on that */
    {
        const struct {
            unsigned role;
            const char *group;
        } mapped[] = {{ROLE_STAFF, cfg->dir_role_staff},
                      {ROLE_OFFICER, cfg->dir_role_officer},
                      {ROLE_HEAD, cfg->dir_role_head},
                      {ROLE_PRINCIPAL, cfg->dir_role_principal}};
        for (size_t i = 0; i < sizeof(mapped) / sizeof(mapped[0]); i++)
            if (mapped[i].group[0] != '\0' && strcmp(mapped[i].group, "*") != 0 &&
                !(g.found & mapped[i].role)) {
                err_set(err, errlen, "the directory %s: no group %.200s under %.200s (with %.200s)",
                        cfg->dir_url, mapped[i].group,
                        cfg->dir_group_base_dn[0] ? cfg->dir_group_base_dn : cfg->dir_base_dn,
                        cfg->dir_group_filter);
                return ERR_IO;
            }
    }
    /* a channel's group that is not there would take everyone off the channel: the same */
    for (int64_t ch = 1; ch <= CHANNELS_MAX; ch++)
        if (channels_has(cg->wanted & ~g.chfound, ch)) {
            err_set(err, errlen,
                    "the directory %s: no group %.200s (channel %.32s's directory_group) under "
                    "%.200s (with %.200s)",
                    cfg->dir_url, cg->name[ch], cg->slug[ch],
                    cfg->dir_group_base_dn[0] ? cfg->dir_group_base_dn : cfg->dir_base_dn,
                    cfg->dir_group_filter);
            return ERR_IO;
        }
    if (strcmp(cfg->dir_role_staff, "*") == 0)
        for (size_t i = 0; i < pp->n; i++)
            pp->p[i].roles |= ROLE_STAFF;
    return 0;
}

/* Every account, all pages, into *@out (mem_free()). */
static int all_accounts(struct store *st, struct user **out, size_t *count)
{
    char after[USERNAME_MAX + 1] = "";
    struct user *all = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    *count = 0;
    for (;;) {
        struct user *page = NULL, *q;
        size_t got = 0;
        if ((rc = store_user_list(st, after, USERS_PAGE, &page, &got)) != 0)
            break;
        if (got > 0 && (q = mem_realloc(all, (n + got) * sizeof(*all))) == NULL) {
            mem_free(page);
            rc = ERR_NOMEM;
            break;
        }
        if (got > 0) {
            all = q;
            memcpy(all + n, page, got * sizeof(*page));
            n += got;
            str_copy(after, sizeof(after), page[got - 1].username);
        }
        for (size_t i = 0; i < got; i++)
            memset(page[i].pwhash, 0, sizeof(page[i].pwhash));
        mem_free(page);
        if (got < USERS_PAGE)
            break;
    }
    if (rc != 0) {
        mem_free(all);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        memset(all[i].pwhash, 0, sizeof(all[i].pwhash));
    *out = all;
    *count = n;
    return 0;
}

static struct person *person_of(struct people *pp, const char *username)
{
    for (size_t i = 0; i < pp->n; i++)
        if (strcmp(pp->p[i].username, username) == 0)
            return &pp->p[i];
    return NULL;
}

static bool roles_ok(unsigned roles)
{
    return roles != 0 && user_roles_valid(roles) &&
           !((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER));
}

/* Whether @u holds a channel's key that no other active officer of it holds (it keeps its
 * officer role and stays enabled: enrol_account_set()). */
static int sole_holder(struct store *st, const struct user *u, bool *sole)
{
    uint64_t channels = 0;
    int rc = enrol_sole_holder(st, u, UINT64_MAX, &channels);

    *sole = rc == 0 && channels != 0;
    return rc;
}

/* A new account for @p, pending enrolment, kept from now on. */
static int create(struct store *st, const struct chgroups *cg, const struct person *p, int64_t now,
                  struct directory_report *rep, bool dry)
{
    char rl[80], e[160];
    struct user u;
    int rc;

    role_list(p->roles, rl, sizeof(rl));
    if (!roles_ok(p->roles)) {
        rep->kept++;
        say(rep, "skip %s: the groups give %s", p->username,
            p->roles ? "roles that cannot be held together" : "no role");
        return 0;
    }
    if (!dry) {
        if ((rc = user_prepare(&u, p->username, p->roles, p->display, p->email, now, e,
                               sizeof(e))) != 0) {
            rep->kept++;
            say(rep, "skip %s: %s", p->username, e);
            return 0;
        }
        u.flags |= STORE_USER_DIRECTORY;
        if (cg->wanted != 0)
            u.channels = channels_given(p);
        if ((rc = user_create_logged(st, &u, now)) == ERR_EXISTS)
            return 0; /* made meanwhile (another server's sync): the next one keeps it */
        if (rc != 0)
            return rc;
    }
    rep->created++;
    say(rep, "create %s (%s), pending enrolment", p->username, rl);
    return 0;
}

/* @listed's row as it is now, into @u (with its password hash: what is written back is the
 * whole row): ERR_CONFLICT when it changed since it was listed. */
static int reread(struct store *st, const struct user *listed, struct user *u)
{
    int rc = store_user_get_by_id(st, listed->id, u);

    if (rc == 0 && u->version != listed->version)
        rc = ERR_CONFLICT;
    return rc;
}

/* @u's channels in step with @p's groups, when a channel has a directory_group. */
static int follow_channels(struct store *st, const struct chgroups *cg, struct user *u,
                           const struct person *p, int64_t now, struct directory_report *rep,
                           bool dry)
{
    char before[400], after[400];
    uint64_t want = channels_given(p), has = u->channels != 0 ? u->channels : 1;
    int rc;

    if (cg->wanted == 0 || want == has)
        return 0;
    channel_list(cg, has, before, sizeof(before));
    channel_list(cg, want, after, sizeof(after));
    rc = dry ? 0 : enrol_channels_set(st, u, want, now);
    if (rc == ERR_STATE) {
        rep->kept++;
        say(rep, "keep %s (%s): the last officer holding a channel's key", u->username, before);
        return 0;
    }
    if (rc != 0)
        return rc;
    rep->roles++;
    say(rep, "channels %s: %s -> %s", u->username, before, after);
    return 0;
}

/* Bring the account @u (as it is now: reread()) in step with @p. */
static int follow(struct store *st, const struct config *cfg, const struct chgroups *cg,
                  struct user *u, const struct person *p, int64_t now, struct directory_report *rep,
                  bool dry)
{
    char what[80] = "", before[80], after[80];
    bool adopt = !(u->flags & STORE_USER_DIRECTORY),
         name = strcmp(u->display_name, p->display) != 0, mail = strcmp(u->email, p->email) != 0;
    int rc;

    if (adopt || name || mail) {
        snprintf(what, sizeof(what), "%s%s%s%s%s", adopt ? "kept from now on" : "",
                 adopt && (name || mail) ? "; " : "", name ? "display name" : "",
                 name && mail ? ", " : "", mail ? "email" : "");
        if (!dry) {
            u->flags |= STORE_USER_DIRECTORY;
            str_copy(u->display_name, sizeof(u->display_name), p->display);
            str_copy(u->email, sizeof(u->email), p->email);
            u->updated_at = now;
            if ((rc = store_user_update(st, u)) == ERR_CONFLICT) {
                say(rep, "skip %s: changed meanwhile (the next sync sees it)", u->username);
                return 0;
            }
            if (rc != 0)
                return rc;
        }
        rep->updated++;
        say(rep, "update %s: %s", u->username, what);
    }
    if ((rc = follow_channels(st, cg, u, p, now, rep, dry)) != 0)
        return rc;
    if (!roles_managed(cfg) || p->roles == u->roles)
        return 0;
    role_list(u->roles, before, sizeof(before));
    role_list(p->roles, after, sizeof(after));
    if (!roles_ok(p->roles)) {
        rep->kept++;
        say(rep, "keep %s (%s): the groups give %s", u->username, before,
            p->roles ? "roles that cannot be held together" : "no role");
        return 0;
    }
    rc = dry ? 0 : enrol_account_set(st, u, p->roles, u->disabled, now);
    if (rc == ERR_STATE) {
        rep->kept++;
        say(rep, "keep %s (%s): the last officer holding the channel key", u->username, before);
        return 0;
    }
    if (rc == ERR_CONFLICT) {
        say(rep, "skip %s: changed meanwhile (the next sync sees it)", u->username);
        return 0;
    }
    if (rc != 0)
        return rc;
    rep->roles++;
    say(rep, "roles %s: %s -> %s", u->username, before, after);
    return 0;
}

int directory_sync(struct store *st, const struct config *cfg, bool dry_run, bool force,
                   int64_t now, struct directory_report *rep, char *err, size_t errlen)
{
    struct people pp = {.rep = rep};
    struct chgroups *cg = mem_calloc(1, sizeof(*cg));
    struct user *accts = NULL;
    size_t nacct = 0, managed = 0, gone = 0, demoted = 0;
    int rc;

    rep->people = rep->created = rep->updated = rep->roles = rep->disabled = rep->kept =
        rep->skipped = 0;
    if (cg == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if ((rc = channel_groups(st, cfg, cg)) != 0 ||
        (rc = read_directory(cfg, cg, &pp, err, errlen)) != 0)
        goto out;
    rep->people = 0;
    for (size_t i = 0; i < pp.n; i++)
        rep->people += !pp.p[i].dup;
    if ((rc = all_accounts(st, &accts, &nacct)) != 0)
        goto out;
    /* what would be taken away, of the active accounts it keeps or is about to keep: those the
     * directory no longer lists, and those whose groups no longer give a role they hold (what
     * will not happen is not counted: roles that cannot be held, the channel key's last holder) */
    for (size_t i = 0; i < nacct && rc == 0; i++) {
        const struct user *u = &accts[i];
        const struct person *p = person_of(&pp, u->username);
        bool sole = false;
        if ((u->flags & STORE_USER_TAMPERED) || (u->roles & ROLE_OPERATOR) || u->disabled ||
            (!(u->flags & STORE_USER_DIRECTORY) && p == NULL))
            continue;
        managed++;
        if (p != NULL && p->dup)
            continue;
        bool losing =
            p == NULL || (roles_managed(cfg) && roles_ok(p->roles) && (u->roles & ~p->roles) != 0);
        if (!losing)
            continue;
        if ((u->roles & ROLE_OFFICER) && (p == NULL || !(p->roles & ROLE_OFFICER)) &&
            (rc = sole_holder(st, u, &sole)) != 0)
            break;
        if (sole)
            continue;
        if (p == NULL)
            gone++;
        else
            demoted++;
    }
    if (rc != 0)
        goto out;
    /* one at a time is always allowed (a small deployment's departures) */
    if (gone + demoted > 1 && !force &&
        (gone + demoted) * 100 > (size_t)cfg->dir_max_disable * managed) {
        err_set(err, errlen,
                "the directory lists %zu people: of the %zu accounts it keeps, %zu would be "
                "disabled and %zu lose a role, over [directory] max_disable (%d%%); nothing "
                "changed. Check the directory (its base DN, filters, groups and bind), or run "
                "`dissent directory sync --force`",
                pp.n, managed, gone, demoted, cfg->dir_max_disable);
        rc = ERR_STATE;
        goto out;
    }
    for (size_t i = 0; i < nacct && rc == 0; i++) {
        struct user *listed = &accts[i], cur;
        struct person *p = person_of(&pp, listed->username);
        if (listed->flags & STORE_USER_TAMPERED)
            continue;
        if (p != NULL) {
            p->matched = true;
            if (p->dup)
                continue; /* said when read: nothing decided on it */
            if (listed->roles & ROLE_OPERATOR) {
                rep->kept++;
                say(rep, "skip %s: an operator's account is never the directory's",
                    listed->username);
            } else if (!listed->disabled) {
                /* the row as it is now: the listed one holds no password hash to write back */
                if ((rc = reread(st, listed, &cur)) == 0)
                    rc = follow(st, cfg, cg, &cur, p, now, rep, dry_run);
                if (rc == ERR_CONFLICT || rc == ERR_NOT_FOUND) {
                    say(rep, "skip %s: changed meanwhile (the next sync sees it)",
                        listed->username);
                    rc = 0;
                }
                wipe(&cur, sizeof(cur));
            }
            continue;
        }
        if (!(listed->flags & STORE_USER_DIRECTORY) || (listed->roles & ROLE_OPERATOR) ||
            listed->disabled)
            continue;
        struct user *u = &cur;
        if ((rc = reread(st, listed, &cur)) == 0)
            rc = dry_run ? 0 : enrol_account_set(st, u, u->roles, true, now);
        else
            u = listed;
        if (rc == ERR_NOT_FOUND)
            rc = ERR_CONFLICT;
        if (rc == ERR_STATE) {
            rep->kept++;
            say(rep,
                "keep %s: no longer in the directory, but the last officer holding the "
                "channel key (grant it to another officer)",
                u->username);
            rc = 0;
        } else if (rc == ERR_CONFLICT) {
            say(rep, "skip %s: changed meanwhile (the next sync sees it)", u->username);
            rc = 0;
        } else if (rc == 0) {
            rep->disabled++;
            say(rep, "disable %s: no longer in the directory", u->username);
        }
        wipe(&cur, sizeof(cur));
    }
    for (size_t i = 0; i < pp.n && rc == 0; i++)
        if (!pp.p[i].matched && !pp.p[i].dup)
            rc = create(st, cg, &pp.p[i], now, rep, dry_run);
out:
    mem_free(cg);
    if (accts != NULL)
        memset(accts, 0, nacct * sizeof(*accts));
    mem_free(accts);
    mem_free(pp.p);
    return rc;
}

/* ---- the server's own sync ---- */

static void log_line(void *arg, const char *text)
{
    (void)arg;
    log_info("directory: %s", text);
}

/* The leading server's sync (runner.h), on the runner's connection. */
struct dir_job {
    const struct config *cfg;
    const struct channel *ch;
};

static void sync_once(struct store *st, void *arg)
{
    struct dir_job *r = arg;
    struct directory_report rep = {.line = log_line};
    char err[700] = "";
    int rc = directory_sync(st, r->cfg, false, false, channel_now(r->ch), &rep, err, sizeof(err));

    if (rc == ERR_STATE)
        log_error("directory: sync refused: %s", err);
    else if (rc != 0)
        log_warn("directory: sync failed, nothing changed by it: %s", err[0] ? err : err_str(rc));
    else
        log_info("directory: %d people; %d created, %d updated, %d role changes, %d disabled, "
                 "%d kept, %d skipped",
                 rep.people, rep.created, rep.updated, rep.roles, rep.disabled, rep.kept,
                 rep.skipped);
}

int directory_start(const struct config *cfg, const char *uri, const struct channel *ch,
                    struct runner **out)
{
    static struct dir_job job; /* one per process: the server's */
    int rc;

    *out = NULL;
    if (!directory_enabled(cfg) || cfg->dir_interval == 0)
        return 0;
    job.cfg = cfg;
    job.ch = ch;
    if ((rc = runner_start(uri, ch, cfg->data_dir, cfg->dir_interval, sync_once, &job, "directory",
                           out)) != 0)
        return rc;
    log_info("directory: kept in step with %s every %d s", cfg->dir_url, cfg->dir_interval);
    return 0;
}
