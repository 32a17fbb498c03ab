#include "core/user.h"

#include "core/access.h"
#include "core/channels.h"
#include "core/enrol.h"
#include "core/ledger.h"
#include "core/trust.h"

#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[ROLE_COUNT] = {"staff", "officer", "principal", "auditor",
                                                   "admin", "head",    "records"};

const char *user_role_name(unsigned bit)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (bit == (1u << i))
            return role_names[i];
    return NULL;
}

int user_roles_parse(const char *csv, unsigned *out)
{
    unsigned roles = 0;
    const char *p = csv;

    *out = 0;
    if (csv == NULL || *csv == '\0')
        return ERR_INVALID;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        unsigned bit = 0;
        for (int i = 0; i < ROLE_COUNT; i++)
            if (strlen(role_names[i]) == n && memcmp(role_names[i], p, n) == 0)
                bit = 1u << i;
        if (bit == 0 || (roles & bit) != 0)
            return ERR_INVALID;
        roles |= bit;
        if (comma == NULL)
            break;
        p = comma + 1;
        if (*p == '\0')
            return ERR_INVALID;
    }
    *out = roles;
    return 0;
}

bool user_username_valid(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool user_display_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n > DISPLAY_NAME_MAX || !str_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

bool user_email_valid(const char *s)
{
    _Static_assert(EMAIL_MAX == 254, "str_email_valid()'s limit");
    return *s == '\0' || str_email_valid(s);
}

bool user_password_valid(const char *pw, size_t len)
{
    return len >= PASSWORD_MIN_LEN && len <= PASSWORD_MAX_LEN && str_utf8_valid(pw, len);
}

_Static_assert(KEYS_WRAPPED_LEN == STORE_WRAPPED_LEN, "wrapped key sizes agree");
_Static_assert(KEYS_SALT_LEN == STORE_SALT_LEN, "salt sizes agree");

int user_keys_seal(struct user *u, const struct user_keys *k, const struct pw_params *pp,
                   const char *pw, size_t pwlen)
{
    uint8_t kek[KEYS_KEK_LEN];
    int rc;

    random_bytes(u->key_salt, sizeof(u->key_salt));
    if ((rc = keys_kek_password(kek, pw, pwlen, u->key_salt, pp->ops, pp->mem)) != 0)
        goto out;
    keys_wrap(k, kek, u->username, u->keys_wrapped);
    memcpy(u->sign_pk, k->sign_pk, sizeof(u->sign_pk));
    memcpy(u->box_pk, k->box_pk, sizeof(u->box_pk));
    u->key_ops = (int64_t)pp->ops;
    u->key_mem = (int64_t)pp->mem;
    u->has_keys = true;
out:
    wipe(kek, sizeof(kek));
    return rc;
}

int user_keys_open(const struct user *u, const struct pw_params *pp, const char *pw, size_t pwlen,
                   struct user_keys *k)
{
    uint8_t kek[KEYS_KEK_LEN];
    int rc;

    if (!u->has_keys)
        return ERR_NOT_FOUND;
    /* the cost the keys were wrapped with; rows older than that column used the configured one */
    if (u->key_ops > USER_KEY_OPS_MAX || u->key_mem > USER_KEY_MEM_MAX)
        return ERR_CRYPTO; /* not a cost this server ever writes: an edited row */
    if (u->key_ops > 0 && u->key_mem > 0)
        rc = keys_kek_password(kek, pw, pwlen, u->key_salt, (uint64_t)u->key_ops,
                               (uint64_t)u->key_mem);
    else
        rc = keys_kek_password(kek, pw, pwlen, u->key_salt, pp->ops, pp->mem);
    if (rc != 0)
        goto out;
    rc = keys_unwrap(k, kek, u->username, u->keys_wrapped);
out:
    wipe(kek, sizeof(kek));
    return rc;
}

/* Fresh key pairs sealed under @pw into @u. SLOW. */
static int new_keys(struct user *u, const struct pw_params *pp, const char *pw, size_t pwlen)
{
    struct user_keys *k = keys_new();
    int rc;

    if (k == NULL)
        return ERR_NOMEM;
    keys_generate(k);
    rc = user_keys_seal(u, k, pp, pw, pwlen);
    keys_free(k);
    return rc;
}

bool user_keys_outdated(const struct user *u, const struct pw_params *pp)
{
    /* only ever upwards: lowering the configured cost must not let sign-ins re-wrap every key
     * more cheaply for whoever copies the database */
    if (!u->has_keys)
        return false;
    if (u->key_ops <= 0 || u->key_mem <= 0)
        return true; /* older rows: record the cost */
    return (int64_t)pp->ops >= u->key_ops && (int64_t)pp->mem >= u->key_mem &&
           ((int64_t)pp->ops > u->key_ops || (int64_t)pp->mem > u->key_mem);
}

void user_recovery_issue(struct user *u, const struct user_keys *k, int64_t now,
                         char text[USER_RECOVERY_TEXT_LEN + 1])
{
    uint8_t raw[32], kek[SEAL_KEY_LEN];

    random_bytes(raw, sizeof(raw));
    str_hex_groups(text, raw, sizeof(raw));
    seal_derive(kek, raw, sizeof(raw), "dissent recovery v1");
    keys_wrap(k, kek, u->username, u->recovery_wrapped);
    u->has_recovery = true;
    u->recovery_at = now;
    wipe(raw, sizeof(raw));
    wipe(kek, sizeof(kek));
}

int user_recovery_open(const struct user *u, const char *text, struct user_keys *k)
{
    uint8_t raw[32], kek[SEAL_KEY_LEN] = {0};
    int rc = ERR_CRYPTO;

    if (!u->has_recovery)
        return ERR_NOT_FOUND;
    if (!str_hex_groups_parse(text, raw, sizeof(raw)))
        goto out;
    seal_derive(kek, raw, sizeof(raw), "dissent recovery v1");
    rc = keys_unwrap(k, kek, u->username, u->recovery_wrapped);
out:
    wipe(raw, sizeof(raw));
    wipe(kek, sizeof(kek));
    return rc;
}

int user_change_password(struct user *u, const struct user_keys *k, const struct pw_params *pp,
                         const char *pw, size_t pwlen, int64_t now,
                         char recovery[USER_RECOVERY_TEXT_LEN + 1])
{
    int rc;

    if (!user_password_valid(pw, pwlen))
        return ERR_INVALID;
    if ((rc = password_hash(u->pwhash, pw, pwlen, pp->ops, pp->mem)) != 0 ||
        (rc = user_keys_seal(u, k, pp, pw, pwlen)) != 0)
        return rc;
    /* whoever saw the old recovery key (or the old password) must not keep a way in */
    user_recovery_issue(u, k, now, recovery);
    return 0;
}

bool user_roles_valid(unsigned roles)
{
    if (roles == 0 || (roles & ~ROLE_ALL) != 0)
        return false;
    /* the head is an officer with more to answer for, never a role of its own */
    if ((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER))
        return false;
    return !((roles & ROLE_OPERATOR) && (roles & ROLE_CONTENT));
}

int user_prepare(struct user *u, const char *username, unsigned roles, const char *display_name,
                 const char *email, int64_t now, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    if (!user_username_valid(username)) {
        err_set(err, errlen, "username: 1-64 characters of a-z 0-9 . _ -");
        return ERR_INVALID;
    }
    if (roles == 0 || (roles & ~ROLE_ALL) != 0) {
        err_set(err, errlen,
                "roles: at least one of staff, officer, principal, auditor, admin, head, records");
        return ERR_INVALID;
    }
    if ((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER)) {
        err_set(err, errlen, "roles: the head is an officer too (roles officer and head)");
        return ERR_INVALID;
    }
    if (!user_roles_valid(roles)) {
        err_set(err, errlen,
                "roles: admin and auditor cannot be combined with staff, officer or "
                "principal");
        return ERR_FORBIDDEN;
    }
    if (!user_display_name_valid(display_name)) {
        err_set(err, errlen, "display_name: at most 128 bytes of UTF-8 text, one line");
        return ERR_INVALID;
    }
    if (!user_email_valid(email)) {
        err_set(err, errlen, "email: not a valid address");
        return ERR_INVALID;
    }
    str_copy(u->username, sizeof(u->username), username);
    str_copy(u->display_name, sizeof(u->display_name), display_name);
    str_copy(u->email, sizeof(u->email), email);
    u->roles = roles;
    u->created_at = now;
    random_bytes(u->log_tag, sizeof(u->log_tag));
    u->has_log_tag = true;
    return 0;
}

int user_roles_log(struct store *st, const struct user *u, unsigned before, unsigned after,
                   int64_t now)
{
    return user_channel_roles_log(st, u, before, u->channels, after, u->channels, now);
}

int user_channel_roles_log(struct store *st, const struct user *u, unsigned roles_before,
                           uint64_t channels_before, unsigned roles_after, uint64_t channels_after,
                           int64_t now)
{
    static const struct {
        unsigned role;
        enum ledger_event added, removed;
    } logged[] = {
        {ROLE_OFFICER, LEDGER_OFFICER_ADDED, LEDGER_OFFICER_REMOVED},
        {ROLE_PRINCIPAL, LEDGER_PRINCIPAL_ADDED, LEDGER_PRINCIPAL_REMOVED},
        {ROLE_HEAD, LEDGER_HEAD_ADDED, LEDGER_HEAD_REMOVED},
    };
    /* (an account of no channel: channel 1's, as every account before channels) */
    uint64_t cb = channels_before != 0 ? channels_before : 1,
             ca = channels_after != 0 ? channels_after : 1;
    int rc;

    /* a role is of each of the account's channels: one entry per role and channel gained or
     * lost, channel 2 and later named (channel 1's as they always were) */
    for (int64_t c = 1; c <= CHANNELS_MAX; c++)
        for (size_t i = 0; i < sizeof(logged) / sizeof(logged[0]); i++) {
            bool had = (roles_before & logged[i].role) && channels_has(cb, c),
                 has = (roles_after & logged[i].role) && channels_has(ca, c);
            if (had != has && (rc = ledger_channel_event(
                                   st, u, has ? logged[i].added : logged[i].removed, c, now)) != 0)
                return rc;
        }
    return 0;
}

int user_create_logged(struct store *st, struct user *u, int64_t now)
{
    int64_t least = 0;
    int rc;

    /* never an id given before, even when the database would give it again (its newest
     * accounts deleted outside Dissent): what rows still name by it would become the new
     * account's (core/trust.h). Read before the transaction: the pin's lock is never taken
     * under the database's */
    if ((rc = trust_account_least(st, &least)) != 0 || (rc = store_begin(st)) != 0)
        return rc;
    u->id = least;
    if ((!u->has_keys || (rc = trust_bind(st, u, now)) == 0) &&
        (rc = store_user_create(st, u)) == 0 &&
        (rc = user_channel_roles_log(st, u, 0, u->channels, u->roles, u->channels, now)) == 0)
        rc = u->id >= least ? store_commit(st) : ERR_INTEGRITY;
    if (rc != 0) {
        store_rollback(st);
        return rc;
    }
    trust_account_settle(st, u->id);
    return 0;
}

int user_create_enrolled(struct store *st, const struct pw_params *pp, const char *username,
                         unsigned roles, const char *display_name, const char *email,
                         const char *pw, size_t pwlen, int64_t now, struct user *out, char *err,
                         size_t errlen)
{
    struct user u;
    int rc;

    if ((rc = user_prepare(&u, username, roles, display_name, email, now, err, errlen)) != 0)
        return rc;
    if (!user_password_valid(pw, pwlen)) {
        err_set(err, errlen, "password: 8 to 1024 bytes of UTF-8");
        return ERR_INVALID;
    }
    if ((rc = password_hash(u.pwhash, pw, pwlen, pp->ops, pp->mem)) != 0 ||
        (rc = new_keys(&u, pp, pw, pwlen)) != 0)
        goto out;
    rc = user_create_logged(st, &u, now);
    if (rc == ERR_EXISTS)
        err_set(err, errlen, "username: already taken");
    if (rc == 0 && out != NULL)
        *out = u;
out:
    wipe(u.pwhash, sizeof(u.pwhash));
    wipe(u.keys_wrapped, sizeof(u.keys_wrapped));
    return rc;
}

int user_disable(struct store *st, const char *username, int64_t now)
{
    struct user u;
    uint64_t sole = 0;
    int rc;

    /* one transaction (writers are serialised): two disables at once cannot both pass the
     * last-holder check */
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_user_get_by_name(st, username, &u)) != 0)
        goto fail;
    if (!u.disabled) {
        /* the last active holder of a channel's key stays: filed memos need one */
        if ((rc = enrol_sole_holder(st, &u, UINT64_MAX, &sole)) != 0)
            goto fail;
        if (sole != 0) {
            rc = ERR_STATE;
            goto fail;
        }
        u.disabled = true;
        u.updated_at = now;
        if ((rc = store_user_update(st, &u)) != 0)
            goto fail;
    }
    if ((rc = store_session_delete_user(st, u.id)) != 0 || (rc = store_commit(st)) != 0)
        goto fail;
    wipe(u.pwhash, sizeof(u.pwhash));
    return 0;
fail:
    store_rollback(st);
    wipe(u.pwhash, sizeof(u.pwhash));
    return rc;
}

int user_search(struct store *st, const char *q, unsigned role, int limit, struct user **out,
                size_t *count)
{
    char after[USERNAME_MAX + 1] = "";
    struct user *found;
    size_t n = 0, qlen = strlen(q);
    int rc = 0;

    *out = NULL;
    *count = 0;
    if (limit <= 0 || limit > USER_SEARCH_MAX)
        limit = USER_SEARCH_MAX;
    if ((found = mem_calloc((size_t)limit, sizeof(*found))) == NULL)
        return ERR_NOMEM;
    while (n < (size_t)limit) {
        struct user *page = NULL;
        size_t got = 0;
        if ((rc = store_user_list(st, after, 200, &page, &got)) != 0)
            break;
        for (size_t i = 0; i < got && n < (size_t)limit; i++) {
            const struct user *u = &page[i];
            if (u->disabled || (role != 0 && !(u->roles & role)))
                continue;
            if (strncasecmp(u->username, q, qlen) == 0 || strcasestr(u->display_name, q) != NULL)
                found[n++] = *u;
        }
        if (got > 0)
            memcpy(after, page[got - 1].username, sizeof(after));
        mem_free(page);
        if (got < 200)
            break;
    }
    for (size_t i = 0; i < n; i++)
        wipe(found[i].pwhash, sizeof(found[i].pwhash));
    if (rc != 0) {
        mem_free(found);
        return rc;
    }
    *out = found;
    *count = n;
    return 0;
}

int user_ensure_admin(struct store *st, const struct pw_params *pp, int64_t now, char *pw,
                      size_t pwlen, bool *created)
{
    int64_t n = 0;
    int rc;

    *created = false;
    if ((rc = store_user_count(st, &n)) != 0 || n > 0)
        return rc;
    if (pwlen < 21)
        return ERR_INVALID;
    random_password(pw, 21);
    rc = user_create_enrolled(st, pp, "admin", ROLE_ADMIN, "Administrator", "", pw, strlen(pw), now,
                              NULL, NULL, 0);
    if (rc == 0)
        *created = true;
    else if (rc == ERR_EXISTS)
        rc = 0; /* another process created it first */
    return rc;
}
