#include "core/enrol.h"

#include "core/access.h"
#include "core/channel.h"
#include "core/ledger.h"
#include "core/notify.h"
#include "core/trust.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

_Static_assert(SEAL_SEALED_KEY_LEN == STORE_SEALED_LEN, "sealed key sizes agree");

static void code_hash(uint8_t out[HASH_SHA256_LEN], const uint8_t raw[ENROL_CODE_BYTES])
{
    hash_sha256(out, raw, ENROL_CODE_BYTES);
}

void enrol_code_issue(struct user *u, int64_t now, int64_t ttl, char code[ENROL_CODE_TEXT_LEN + 1])
{
    uint8_t raw[ENROL_CODE_BYTES];

    random_bytes(raw, sizeof(raw));
    str_hex_groups(code, raw, sizeof(raw));
    code_hash(u->enrol_hash, raw);
    u->has_enrol = true;
    u->enrol_expires = now + ttl;
    wipe(raw, sizeof(raw));
}

bool enrol_code_matches(const struct user *u, const char *code, int64_t now)
{
    uint8_t raw[ENROL_CODE_BYTES], h[HASH_SHA256_LEN];
    bool ok;

    if (!str_hex_groups_parse(code, raw, sizeof(raw))) {
        wipe(raw, sizeof(raw));
        return false;
    }
    code_hash(h, raw);
    wipe(raw, sizeof(raw));
    ok = sodium_memcmp(h, u->enrol_hash, sizeof(h)) == 0;
    return ok && u->has_enrol && now < u->enrol_expires;
}

int enrol_create(struct store *st, const char *username, unsigned roles, uint64_t channels,
                 const char *display_name, const char *email, int64_t now, int64_t ttl,
                 struct user *out, char code[ENROL_CODE_TEXT_LEN + 1], char *err, size_t errlen)
{
    struct user u;
    int rc;

    code[0] = '\0';
    if ((rc = user_prepare(&u, username, roles, display_name, email, now, err, errlen)) != 0)
        return rc;
    u.channels = channels; /* 0: channel 1 (store_user_create()) */
    enrol_code_issue(&u, now, ttl, code);
    rc = user_create_logged(st, &u, now);
    if (rc == ERR_EXISTS)
        err_set(err, errlen, "username: already taken");
    if (rc != 0) {
        wipe(code, ENROL_CODE_TEXT_LEN + 1);
        return rc;
    }
    if (out != NULL)
        *out = u;
    return 0;
}

/* An enrolment, proved by @code or (@code NULL) by the OpenID provider vouching for @sso_user. */
static int enrol_proved(struct store *st, const struct session_policy *p, const char *username,
                        const char *code, int64_t sso_user, const char *pw, size_t pwlen,
                        const char *addr, int64_t now, int64_t *retry_after, struct user *out,
                        char recovery[USER_RECOVERY_TEXT_LEN + 1])
{
    struct user_keys *k = NULL;
    struct user u;
    int rc;

    recovery[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (!user_password_valid(pw, pwlen))
        return ERR_INVALID;
    if ((rc = session_attempt(st, p, username, addr, now, retry_after)) != 0)
        return rc;
    rc = user_username_valid(username) ? store_user_get_by_name(st, username, &u) : ERR_NOT_FOUND;
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    /* an account with keys has nothing to enrol (an edited row would say otherwise) */
    if (rc == ERR_NOT_FOUND || u.disabled || u.has_keys ||
        !(code != NULL ? enrol_code_matches(&u, code, now) : sso_user > 0 && u.id == sso_user)) {
        memset(&u, 0, sizeof(u));
        return ERR_UNAUTH; /* the reserved attempt stays counted */
    }
    if ((k = keys_new()) == NULL)
        return ERR_NOMEM;
    keys_generate(k);
    if ((rc = password_hash(u.pwhash, pw, pwlen, p->pw.ops, p->pw.mem)) != 0 ||
        (rc = user_keys_seal(&u, k, &p->pw, pw, pwlen)) != 0)
        goto out;
    user_recovery_issue(&u, k, now, recovery);
    u.has_enrol = false;
    memset(u.enrol_hash, 0, sizeof(u.enrol_hash));
    u.enrol_expires = 0;
    u.flags &= ~STORE_USER_REKEY;
    u.updated_at = now;
    /* the version check makes the code single-use even against a simultaneous enrolment */
    if ((rc = store_begin(st)) != 0)
        goto out;
    if ((rc = trust_bind(st, &u, now)) != 0 || (rc = store_user_update(st, &u)) != 0 ||
        (rc = store_session_delete_user(st, u.id)) != 0 ||
        (rc = store_totp_delete(st, u.id)) != 0 ||
        (rc = session_attempt_ok(st, username, addr, now)) != 0 || (rc = store_commit(st)) != 0)
        store_rollback(st);
    if (rc == ERR_CONFLICT)
        rc = ERR_UNAUTH;
    if (rc == 0) {
        uint64_t created = 0;
        int made;
        store_scrub(st);
        /* the first officer's enrolment makes its channels' keys (access_channel_setup()); when
         * it cannot, the enrolment stands (the account is the user's either way) and the reason
         * is logged: a database that fails its checks gets no new key from anyone */
        if ((made = access_channel_setup(st, &u, now, &created)) != 0)
            log_warn("enrol: a channel key was not made (%s)%s", err_str(made),
                     made == ERR_INTEGRITY ? ""
                                           : "; `dissent channel init OFFICER` makes it later");
        else if (created != 0)
            log_info("enrol: the first officer's enrolment made the key of channels %#llx",
                     (unsigned long long)created);
    }
out:
    keys_free(k);
    if (rc != 0)
        wipe(recovery, USER_RECOVERY_TEXT_LEN + 1);
    else
        *out = u;
    wipe(u.pwhash, sizeof(u.pwhash));
    wipe(out->pwhash, sizeof(out->pwhash)); /* the caller needs no hash */
    return rc;
}

int enrol_account(struct store *st, const struct session_policy *p, const char *username,
                  const char *code, const char *pw, size_t pwlen, const char *addr, int64_t now,
                  int64_t *retry_after, struct user *out, char recovery[USER_RECOVERY_TEXT_LEN + 1])
{
    if (code == NULL) {
        recovery[0] = '\0';
        memset(out, 0, sizeof(*out));
        return ERR_UNAUTH;
    }
    return enrol_proved(st, p, username, code, 0, pw, pwlen, addr, now, retry_after, out, recovery);
}

int enrol_account_sso(struct store *st, const struct session_policy *p, const struct user *u,
                      const char *pw, size_t pwlen, const char *addr, int64_t now,
                      int64_t *retry_after, struct user *out,
                      char recovery[USER_RECOVERY_TEXT_LEN + 1])
{
    return enrol_proved(st, p, u->username, NULL, u->id, pw, pwlen, addr, now, retry_after, out,
                        recovery);
}

int enrol_channel_holders(struct store *st, int64_t except, uint64_t *held)
{
    char after[USERNAME_MAX + 1] = "";
    int rc = 0;

    *held = 0;
    for (;;) {
        struct user *page = NULL;
        size_t got = 0;
        if ((rc = store_user_list(st, after, 200, &page, &got)) != 0)
            return rc;
        for (size_t i = 0; i < got && rc == 0; i++) {
            uint64_t grants = 0;
            if (page[i].id == except || page[i].disabled || !page[i].has_keys ||
                !(page[i].roles & ROLE_OFFICER))
                continue;
            /* a grant of a channel the account is no longer an officer of does not count */
            if ((rc = access_channel_grants(st, page[i].id, &grants)) == 0)
                *held |= grants & page[i].channels;
        }
        if (got > 0)
            memcpy(after, page[got - 1].username, sizeof(after));
        for (size_t i = 0; i < got; i++)
            wipe(page[i].pwhash, sizeof(page[i].pwhash));
        mem_free(page);
        if (rc != 0 || got < 200)
            return rc;
    }
}

int enrol_sole_holder(struct store *st, const struct user *u, uint64_t dropping, uint64_t *sole)
{
    uint64_t mine = 0, others = 0;
    int rc;

    *sole = 0;
    if ((rc = access_channel_grants(st, u->id, &mine)) != 0 || (mine & dropping) == 0)
        return rc;
    if ((rc = enrol_channel_holders(st, u->id, &others)) != 0)
        return rc;
    *sole = mine & dropping & ~others;
    return 0;
}

int enrol_reset(struct store *st, const struct channel *ch, const char *username, int64_t now,
                struct user *out, char code[ENROL_CODE_TEXT_LEN + 1])
{
    const struct config *cfg = ch->cfg;
    struct user u;
    uint64_t sole = 0;
    int rc;

    code[0] = '\0';
    if ((rc = store_begin(st)) != 0)
        return rc;
    rc = user_username_valid(username) ? store_user_get_by_name(st, username, &u) : ERR_NOT_FOUND;
    if (rc == 0 && (u.roles & ROLE_OPERATOR))
        rc = ERR_FORBIDDEN;
    /* the last active holder of any channel's key keeps it */
    if (rc == 0 && !u.disabled && (rc = enrol_sole_holder(st, &u, UINT64_MAX, &sole)) == 0 &&
        sole != 0)
        rc = ERR_STATE;
    if (rc != 0)
        goto fail;
    /* an account that never enrolled (made by an administrator or the directory): nothing was
     * ever sealed to it, so there is nothing to revoke or confirm: a new code, as at its making */
    if (!u.has_keys && u.reset_at == 0 && u.recovery_at == 0 && u.key_binding[0] == '\0') {
        u.updated_at = now;
        enrol_code_issue(&u, now, cfg->enrolment_ttl, code);
        if ((rc = store_user_update(st, &u)) != 0 || (rc = store_commit(st)) != 0)
            goto fail;
        if (out != NULL)
            *out = u;
        return 0;
    }
    memset(u.pwhash, 0, sizeof(u.pwhash));
    u.has_keys = false;
    memset(u.sign_pk, 0, sizeof(u.sign_pk));
    memset(u.box_pk, 0, sizeof(u.box_pk));
    memset(u.key_salt, 0, sizeof(u.key_salt));
    memset(u.keys_wrapped, 0, sizeof(u.keys_wrapped));
    u.key_ops = u.key_mem = 0;
    u.has_recovery = false;
    memset(u.recovery_wrapped, 0, sizeof(u.recovery_wrapped));
    u.recovery_at = 0;
    u.flags =
        (u.flags & ~(STORE_USER_REKEY | STORE_USER_HELD | STORE_USER_HELD2)) | STORE_USER_RESET;
    if (cfg->reset_confirmations > 0)
        u.flags |= STORE_USER_HELD;
    if (cfg->reset_confirmations > 1)
        u.flags |= STORE_USER_HELD2;
    u.confirm_by = 0;
    u.reset_at = now;
    if ((rc = store_memo_last_id(st, &u.reset_memo)) != 0)
        goto fail;
    u.updated_at = now;
    u.flags &= ~(STORE_USER_TOTP | STORE_USER_PASSKEY); /* rows go below, in this transaction */
    enrol_code_issue(&u, now, cfg->enrolment_ttl, code);
    if ((rc = store_user_update(st, &u)) != 0 || (rc = store_session_delete_user(st, u.id)) != 0 ||
        (rc = store_totp_delete(st, u.id)) != 0 || (rc = store_passkey_delete_all(st, u.id)) != 0 ||
        (rc = access_channel_revoke(st, &u, 0, now)) != 0 ||
        (rc = store_user_revoke_keys(st, u.id, STORE_REVOKE_MEMO_KEYS)) != 0 ||
        (rc = ledger_account_event(st, &u, LEDGER_RESET, now)) != 0 ||
        (rc = notify_reset(st, ch, &u, now)) != 0 || (rc = store_commit(st)) != 0)
        goto fail;
    store_scrub(st); /* the revoked wraps leave the disk */
    if (out != NULL)
        *out = u;
    return 0;
fail:
    store_rollback(st);
    wipe(code, ENROL_CODE_TEXT_LEN + 1);
    return rc;
}

int enrol_change_password(struct store *st, const struct pw_params *pp, struct user *u,
                          const struct user_keys *old, const char *pw, size_t pwlen, int64_t now,
                          char recovery[USER_RECOVERY_TEXT_LEN + 1], bool *rekeyed)
{
    struct user_keys *nk = NULL;
    struct user_totp t;
    bool has_totp = false;
    int rc;

    recovery[0] = '\0';
    *rekeyed = (u->flags & STORE_USER_REKEY) != 0;
    memset(&t, 0, sizeof(t));
    if (!*rekeyed) {
        rc = user_change_password(u, old, pp, pw, pwlen, now, recovery);
    } else if (!user_password_valid(pw, pwlen)) {
        rc = ERR_INVALID;
    } else if ((nk = keys_new()) == NULL) {
        rc = ERR_NOMEM;
    } else {
        keys_generate(nk);
        if ((rc = password_hash(u->pwhash, pw, pwlen, pp->ops, pp->mem)) == 0 &&
            (rc = user_keys_seal(u, nk, pp, pw, pwlen)) == 0)
            user_recovery_issue(u, nk, now, recovery);
    }
    if (rc != 0)
        goto out;
    u->flags &= ~STORE_USER_REKEY;
    u->updated_at = now;
    if ((rc = store_begin(st)) != 0)
        goto out;
    if (*rekeyed) {
        /* a TOTP secret, enabled or pending, was sealed to the old keys */
        rc = store_totp_get(st, u->id, &t);
        if (rc == 0)
            has_totp = true;
        else if (rc == ERR_NOT_FOUND)
            rc = 0;
        if (rc == 0)
            rc = enrol_rekey(st, u, old, nk, has_totp ? &t : NULL, now);
        if (rc == 0 && has_totp)
            rc = store_totp_update(st, &t);
        if (rc == 0)
            rc = trust_bind(st, u, now); /* new keys: a new binding, logged */
        /* a passkey's wrap holds the old keys: registered again, it wraps the new ones (the
         * rows go after the account's, which says it has none) */
        u->flags &= ~STORE_USER_PASSKEY;
    }
    if (rc != 0 || (rc = store_user_update(st, u)) != 0 ||
        (*rekeyed && (rc = store_passkey_delete_all(st, u->id)) != 0) ||
        (rc = store_session_delete_user(st, u->id)) != 0 || (rc = store_commit(st)) != 0)
        store_rollback(st);
    if (*rekeyed)
        trust_channel_settle(st); /* the channel key may have been rotated */
    if (rc == 0)
        store_scrub(st); /* the superseded wraps leave the disk */
out:
    keys_free(nk);
    wipe(&t, sizeof(t));
    if (rc != 0)
        wipe(recovery, USER_RECOVERY_TEXT_LEN + 1);
    return rc;
}

/* Open @sealed with @old and seal the key inside to @nk, in place. */
static int reseal(uint8_t sealed[STORE_SEALED_LEN], const struct user_keys *old,
                  const struct user_keys *nk)
{
    uint8_t key[SEAL_KEY_LEN];

    if (seal_open(key, sealed, old->box_pk, old->box_sk) != 0)
        return ERR_CRYPTO;
    seal_to(sealed, key, nk->box_pk);
    wipe(key, sizeof(key));
    return 0;
}

/* Every holder of a grant of @channel but @u: the new key @nsk sealed to those whose keys
 * their user chose (counted in *@kept), the grant revoked (and logged) for accounts still
 * waiting to re-key. */
static int regrant_holders(struct store *st, const struct user *u, int64_t channel,
                           const uint8_t *nsk, int64_t now, int *kept)
{
    char after[USERNAME_MAX + 1] = "";
    uint8_t sealed[STORE_SEALED_LEN];
    struct user *us = NULL;
    size_t count = 0;
    int rc;

    do {
        if ((rc = store_user_list(st, after, 100, &us, &count)) != 0)
            return rc;
        for (size_t i = 0; i < count && rc == 0; i++) {
            struct user *w = &us[i];
            if (w->flags & STORE_USER_TAMPERED)
                continue; /* logged; its grant, if any, stays sealed to the old key */
            if (w->id == u->id || (rc = store_channel_grant_get(st, channel, w->id, sealed)) != 0) {
                rc = rc == ERR_NOT_FOUND ? 0 : rc;
                continue;
            }
            /* the new key goes to the channel's active officers alone: a grant row of anyone
             * else (one a database writer put back, an officer moved off the channel, a held
             * account) is revoked, never sealed to */
            if ((w->flags & (STORE_USER_REKEY | STORE_USER_HELD | STORE_USER_RESET)) ||
                !w->has_keys || w->disabled || !(w->roles & ROLE_OFFICER) ||
                (w->roles & ROLE_OPERATOR) || !channels_has(w->channels, channel)) {
                rc = access_channel_revoke(st, w, channel, now);
            } else if ((rc = trust_bound(st, w)) == 0) {
                seal_to(sealed, nsk, w->box_pk);
                if ((rc = store_channel_grant_put(st, channel, w->id, sealed, u->id, now)) == 0)
                    (*kept)++;
            }
        }
        if (count > 0)
            str_copy(after, sizeof(after), us[count - 1].username);
        for (size_t i = 0; i < count; i++)
            wipe(us[i].pwhash, sizeof(us[i].pwhash));
        mem_free(us);
        us = NULL;
    } while (rc == 0 && count == 100);
    wipe(sealed, sizeof(sealed));
    return rc;
}

/*
 * A holder of @channel's key re-keys from keys an administrator's password wrapped: whoever
 * knew that password could open @grant and keep the channel's private key. So a new key pair
 * replaces it (inside the caller's transaction): every key of the channel's memos sealed to the
 * channel is re-sealed to the new public key, and the new private key is sealed to the other
 * holders; the old one opens nothing filed from now on. Whoever re-keys may be that
 * administrator (the password was theirs to use first): so the re-keyed account's own grant is
 * revoked (logged) and an officer grants it again after checking with its user. Only when no
 * other holder is left is the new key sealed to @nk, for it would otherwise be lost.
 */
static int rotate_channel(struct store *st, const struct user *u, int64_t channel,
                          const uint8_t *grant, const struct user_keys *old,
                          const struct user_keys *nk, int64_t now)
{
    uint8_t opk[SEAL_PUB_LEN], npk[SEAL_PUB_LEN], sealed[STORE_SEALED_LEN], mkey[SEAL_KEY_LEN];
    uint8_t *osk = keys_secure_alloc(SEAL_SEC_LEN), *nsk = keys_secure_alloc(SEAL_SEC_LEN);
    struct memo_key_row *rows = NULL;
    size_t n = 0;
    int rc, kept = 0;

    if (osk == NULL || nsk == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if ((rc = trust_channel_pk(st, channel, opk)) != 0)
        goto out;
    if (seal_open(osk, grant, old->box_pk, old->box_sk) != 0) {
        rc = ERR_CRYPTO;
        goto out;
    }
    seal_keypair_new(npk, nsk);
    /* the memo keys shared with the channel, and the officers' keys (core/access.h) */
    for (int holder = STORE_CHANNEL; holder >= STORE_NOTES && rc == 0; holder--) {
        if ((rc = store_memo_keys_of_channel(st, holder, channel, &rows, &n)) != 0)
            goto out;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (seal_open(mkey, rows[i].sealed, opk, osk) != 0) {
                rc = ERR_CRYPTO;
                break;
            }
            seal_to(sealed, mkey, npk);
            rc = store_memo_key_put(st, rows[i].memo_id, rows[i].public_id, holder, sealed, now);
        }
        mem_free(rows);
        rows = NULL;
    }
    wipe(mkey, sizeof(mkey));
    if (rc != 0 || (rc = trust_channel_pending(st, channel, npk)) != 0 ||
        (rc = store_channel_key_rotate(st, channel, npk, u->id, now)) != 0)
        goto out;
    if ((rc = regrant_holders(st, u, channel, nsk, now, &kept)) != 0)
        goto out;
    if (kept > 0) {
        rc = access_channel_revoke(st, u, channel, now);
    } else {
        seal_to(sealed, nsk, nk->box_pk);
        rc = store_channel_grant_put(st, channel, u->id, sealed, u->id, now);
    }
out:
    wipe(mkey, sizeof(mkey));
    mem_free(rows);
    keys_secure_free(osk);
    keys_secure_free(nsk);
    return rc;
}

int enrol_rekey(struct store *st, const struct user *u, const struct user_keys *old,
                const struct user_keys *nk, struct user_totp *t, int64_t now)
{
    struct memo_key_row *rows = NULL;
    uint8_t grant[STORE_SEALED_LEN];
    uint64_t held = 0;
    size_t n = 0;
    int rc;

    if ((rc = store_memo_keys_of(st, u->id, &rows, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = reseal(rows[i].sealed, old, nk)) == 0)
            rc = store_memo_key_put(st, rows[i].memo_id, rows[i].public_id, u->id, rows[i].sealed,
                                    now);
    }
    mem_free(rows);
    if (rc != 0)
        return rc;
    /* each channel whose key the account holds gets a new one */
    if ((rc = access_channel_grants(st, u->id, &held)) != 0)
        return rc;
    for (int64_t c = 1; c <= CHANNELS_MAX && rc == 0; c++)
        if (channels_has(held, c) && (rc = store_channel_grant_get(st, c, u->id, grant)) == 0)
            rc = rotate_channel(st, u, c, grant, old, nk, now);
    wipe(grant, sizeof(grant));
    if (rc == 0 && t != NULL)
        rc = reseal(t->sealed, old, nk);
    return rc;
}

int enrol_account_set(struct store *st, struct user *u, unsigned roles, bool disabled, int64_t now)
{
    unsigned before = u->roles;
    bool drop = false, was = u->disabled, own = !st->in_txn;
    uint64_t sole = 0;
    int rc = 0;

    if (!user_roles_valid(roles) || ((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER)) ||
        ((u->roles & ROLE_OPERATOR) != (roles & ROLE_OPERATOR) &&
         ((u->roles | roles) & ROLE_CONTENT)))
        return ERR_INVALID;
    if (roles == u->roles && disabled == u->disabled)
        return 0;
    drop = ((u->roles & ROLE_OFFICER) && !(roles & ROLE_OFFICER)) || (disabled && !u->disabled);
    if (own && (rc = store_begin(st)) != 0)
        return rc;
    /* the last active holder of a channel's key keeps it: refused, as an administrator is */
    if (drop && (rc = enrol_sole_holder(st, u, UINT64_MAX, &sole)) == 0 && sole != 0)
        rc = ERR_STATE;
    if (rc == 0) {
        bool ending = disabled && !u->disabled;
        u->roles = roles;
        u->disabled = disabled;
        u->updated_at = now;
        if ((rc = store_user_update(st, u)) == 0 &&
            (rc = user_roles_log(st, u, before, roles, now)) == 0 && ending)
            rc = store_session_delete_user(st, u->id);
        if (rc == 0 && drop)
            rc = access_channel_revoke(st, u, 0, now);
    }
    if (rc == 0 && own)
        rc = store_commit(st);
    if (rc != 0) {
        if (own)
            store_rollback(st);
        u->roles = before; /* the row is as it was (the caller's transaction rolls back) */
        u->disabled = was;
    }
    return rc;
}

int enrol_channels_set(struct store *st, struct user *u, uint64_t channels, int64_t now)
{
    uint64_t before = u->channels, leaving, sole = 0;
    bool own = !st->in_txn;
    int rc = 0;

    if (channels == 0)
        return ERR_INVALID;
    if (channels == (before != 0 ? before : 1))
        return 0;
    leaving = (before != 0 ? before : 1) & ~channels;
    if (own && (rc = store_begin(st)) != 0)
        return rc;
    /* the last active holder of a channel's key keeps the channel, as the role is kept */
    if (leaving != 0 && (rc = enrol_sole_holder(st, u, leaving, &sole)) == 0 && sole != 0)
        rc = ERR_STATE;
    if (rc == 0) {
        u->channels = channels;
        u->updated_at = now;
        if ((rc = store_user_update(st, u)) == 0)
            rc = user_channel_roles_log(st, u, u->roles, before, u->roles, channels, now);
    }
    for (int64_t c = 1; c <= CHANNELS_MAX && rc == 0; c++)
        if (channels_has(leaving, c))
            rc = access_channel_revoke(st, u, c, now);
    if (rc == 0 && own)
        rc = store_commit(st);
    if (rc != 0) {
        if (own)
            store_rollback(st);
        u->channels = before;
    }
    return rc;
}
