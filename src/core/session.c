#include "core/session.h"

#include "core/passkey.h"
#include "core/ratelimit.h"
#include "core/totp.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/strutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

bool session_expired(const struct session *s, const struct session_policy *p, int64_t now)
{
    return now - s->last_seen >= p->idle || now - s->created_at >= p->lifetime;
}

int64_t session_touch_every(const struct session_policy *p)
{
    int64_t every = p->idle / 4;

    if (every > SESSION_TOUCH_EVERY)
        every = SESSION_TOUCH_EVERY;
    return every < 1 ? 1 : every;
}

int64_t session_expires_at(const struct session *s, const struct session_policy *p)
{
    int64_t idle_end = s->last_seen + p->idle, hard_end = s->created_at + p->lifetime;

    return idle_end < hard_end ? idle_end : hard_end;
}

int session_token_hash(const char *token, uint8_t hash[HASH_SHA256_LEN])
{
    if (strlen(token) != SESSION_TOKEN_LEN)
        return ERR_INVALID;
    for (const char *c = token; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return ERR_INVALID;
    hash_sha256(hash, token, SESSION_TOKEN_LEN);
    return 0;
}

/*
 * Open @u's private keys with the password into *@out (Argon2id: slow, so outside any
 * transaction). When they were wrapped with a cheaper Argon2id cost than the configured one,
 * @u's key fields receive a new wrap at that cost in memory and *@resealed says so.
 */
static int session_keys_unlock(const struct session_policy *p, struct user *u, const char *pw,
                               size_t pwlen, struct user_keys **out, bool *resealed)
{
    struct user_keys *k = keys_new();
    int rc;

    *out = NULL;
    *resealed = false;
    if (k == NULL)
        return ERR_NOMEM;
    if ((rc = user_keys_open(u, &p->pw, pw, pwlen, k)) == 0 && user_keys_outdated(u, &p->pw)) {
        rc = user_keys_seal(u, k, &p->pw, pw, pwlen);
        *resealed = true;
    }
    if (rc != 0) {
        keys_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/*
 * Inside the sign-in's transaction: store the re-sealed keys (@changed), issue the recovery key
 * on the first sign-in, and wrap the keys again under the token's KEK into @s.
 */
static int session_keys_seal(struct store *st, struct user *u, const struct user_keys *k,
                             bool changed, const char *token, struct session *s, char *recovery)
{
    uint8_t kek[KEYS_KEK_LEN];
    int rc;

    /* The first sign-in (of the first administrator, or an account older than enrolment)
     * issues a recovery key. */
    if (!u->has_recovery && recovery != NULL) {
        user_recovery_issue(u, k, s->created_at, recovery);
        changed = true;
    }
    if (changed) {
        u->updated_at = s->created_at;
        rc = store_user_update(st, u);
        if (rc != 0) {
            /* a simultaneous sign-in changed the account first: this one fails, that one shows
             * what it issued */
            wipe(recovery, USER_RECOVERY_TEXT_LEN + 1);
            return rc == ERR_CONFLICT ? ERR_BUSY : rc;
        }
    }
    keys_kek_token(kek, token, SESSION_TOKEN_LEN);
    keys_wrap(k, kek, u->username, s->keys_wrapped);
    wipe(kek, sizeof(kek));
    s->has_keys = true;
    return 0;
}

int session_keys_open(const struct session *s, const char *token, const struct user *u,
                      struct user_keys **out)
{
    struct user_keys *k;
    uint8_t kek[KEYS_KEK_LEN];
    int rc;

    *out = NULL;
    if (!s->has_keys)
        return ERR_NOT_FOUND;
    if ((k = keys_new()) == NULL)
        return ERR_NOMEM;
    keys_kek_token(kek, token, strlen(token));
    rc = keys_unwrap_known(k, kek, u->username, s->keys_wrapped, u->has_keys ? u->sign_pk : NULL,
                           u->has_keys ? u->box_pk : NULL);
    wipe(kek, sizeof(kek));
    if (rc != 0) {
        keys_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/* The throttle keys of a username and an address. */
static void throttle_keys(const char *username, const char *addr, char *ukey, size_t ulen,
                          char *akey, size_t alen)
{
    snprintf(ukey, ulen, "u:%.64s", username);
    snprintf(akey, alen, "a:%.64s", addr);
}

/* The wait @key's failures call for (@free of them without one), into *@wait if longer. */
static int key_wait(struct store *st, const struct session_policy *p, const char *key, int free,
                    int64_t now, int64_t *wait)
{
    int64_t newest = 0, w;
    int count = 0, rc;

    if ((rc = store_login_failure_count(st, key, now - p->window, &count, &newest)) != 0)
        return rc;
    w = ratelimit_retry_after(count, newest, free, p->window, now);
    if (w > *wait)
        *wait = w;
    return 0;
}

int session_attempt(struct store *st, const struct session_policy *p, const char *username,
                    const char *addr, int64_t now, int64_t *retry_after)
{
    char ukey[8 + USERNAME_MAX], akey[80];
    int rc;

    *retry_after = 0;
    throttle_keys(username, addr, ukey, sizeof(ukey), akey, sizeof(akey));
    /* one writer at a time (store_begin() serialises them): counted and reserved together */
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = key_wait(st, p, ukey, p->max_failures, now, retry_after)) != 0 ||
        (rc = key_wait(st, p, akey, p->max_failures * SESSION_ADDRESS_FACTOR, now, retry_after)) !=
            0)
        goto fail;
    if (*retry_after > 0) {
        rc = ERR_RATE;
        goto fail;
    }
    if ((rc = store_login_failure_add(st, ukey, now)) != 0 ||
        (rc = store_login_failure_add(st, akey, now)) != 0 || (rc = store_commit(st)) != 0)
        goto fail;
    return 0;
fail:
    store_rollback(st);
    return rc;
}

int session_attempt_ok(struct store *st, const char *username, const char *addr, int64_t now)
{
    char ukey[8 + USERNAME_MAX], akey[80];
    int rc;

    throttle_keys(username, addr, ukey, sizeof(ukey), akey, sizeof(akey));
    if ((rc = store_login_failure_clear(st, ukey)) != 0)
        return rc;
    return store_login_failure_take(st, akey, now);
}

int session_password_check(struct store *st, const struct session_policy *p, const struct user *u,
                           const char *pw, size_t pwlen, const char *addr, int64_t now,
                           int64_t *retry_after)
{
    int rc;

    if ((rc = session_attempt(st, p, u->username, addr, now, retry_after)) != 0)
        return rc;
    if (password_verify(u->pwhash, pw, pwlen) != 0)
        return ERR_UNAUTH; /* the reserved attempt stays counted */
    return session_attempt_ok(st, u->username, addr, now);
}

/*
 * Check the second factor @f against @t, the account's enabled factor: with @k NULL only whether
 * a code was sent at all (before the slow key unlock), else the code itself, recorded in @t.
 * ERR_UNAUTH (with @f->result saying why) when it fails.
 */
static int session_factor_check(struct user_totp *t, const struct user_keys *k,
                                struct session_factor *f, int64_t now)
{
    if (f->totp == NULL && f->recovery_code == NULL) {
        f->result = SESSION_FACTOR_REQUIRED;
        return ERR_UNAUTH;
    }
    if (k == NULL)
        return 0;
    if (totp_verify(t, k, f->totp, f->totp == NULL ? f->recovery_code : NULL, now) != 0) {
        f->result = SESSION_FACTOR_INVALID;
        return ERR_UNAUTH;
    }
    f->result = SESSION_FACTOR_OK;
    f->used_recovery = f->totp == NULL;
    f->recovery_left = totp_recovery_left(t);
    return 0;
}

/* The throttle's name for a passkey alone: its credential id, as hex (at most 32 bytes of it). */
static void passkey_throttle_name(const struct passkey_assertion *a, char *out, size_t len)
{
    size_t n = a->cred_id_len < 32 ? a->cred_id_len : 32;

    snprintf(out, len, "passkey:");
    if (a->cred_id != NULL)
        sodium_bin2hex(out + 8, len - 8, a->cred_id, n);
}

/* A passkey alone (@in->pw NULL): the account its answer belongs to, and its keys. */
static int passkey_alone(struct store *st, const struct session_policy *p,
                         struct session_signin *in, struct session_factor *f, struct user_keys **k)
{
    struct passkey_row row;
    int rc;

    rc = passkey_verify(st, f->rp, f->passkey, 0, in->now, &row, f->why, sizeof(f->why));
    if (rc == ERR_CRYPTO || rc == ERR_NOT_FOUND || rc == ERR_INVALID || rc == ERR_CONFLICT) {
        f->result = SESSION_FACTOR_PASSKEY_INVALID;
        return ERR_UNAUTH;
    }
    if (rc != 0)
        return rc;
    rc = store_user_get_by_id(st, row.user_id, &in->user);
    if (rc == 0 && (in->user.disabled || !in->user.has_keys))
        rc = ERR_UNAUTH;
    if (rc == 0 && (rc = passkey_unwrap(&row, &in->user, f->passkey->prf, k)) != 0) {
        f->result = SESSION_FACTOR_PASSKEY_NO_KEYS;
        rc = ERR_UNAUTH;
    }
    if (rc == ERR_NOT_FOUND)
        rc = ERR_UNAUTH;
    if (rc == 0) {
        f->result = SESSION_FACTOR_OK;
        f->used_passkey = true;
        f->has_passkeys = true;
    }
    wipe(&row, sizeof(row));
    (void)p;
    return rc;
}

/*
 * After the right password: the second factor @f, for @user with TOTP row @t (*@has_totp on
 * entry: it is enabled). A passkey's answer is checked here (its own transaction); a TOTP code
 * only for its presence (the code itself once the keys are open). *@has_totp is false when a
 * passkey was used instead.
 */
static int second_factor(struct store *st, const struct session_policy *p, struct user *user,
                         struct user_totp *t, struct session_factor *f, bool *has_totp, int64_t now)
{
    struct passkey_row row;
    size_t npk = 0;
    int rc;

    if ((rc = passkey_count(st, user->id, &npk)) != 0)
        return rc;
    f->has_totp = *has_totp;
    f->has_passkeys = npk > 0;
    if (f->passkey != NULL && npk > 0) {
        rc = passkey_verify(st, f->rp, f->passkey, user->id, now, &row, f->why, sizeof(f->why));
        wipe(&row, sizeof(row));
        if (rc == ERR_CRYPTO || rc == ERR_NOT_FOUND || rc == ERR_INVALID || rc == ERR_CONFLICT) {
            f->result = SESSION_FACTOR_PASSKEY_INVALID;
            return ERR_UNAUTH;
        }
        if (rc != 0)
            return rc;
        f->result = SESSION_FACTOR_OK;
        f->used_passkey = true;
        *has_totp = false; /* no code to record */
        return 0;
    }
    /* a role that must use a passkey, or an account whose only factor is one */
    if (npk > 0 && ((user->roles & p->require_passkey) || !*has_totp)) {
        f->result =
            f->passkey != NULL ? SESSION_FACTOR_PASSKEY_INVALID : SESSION_FACTOR_PASSKEY_REQUIRED;
        return ERR_UNAUTH;
    }
    if (*has_totp)
        return session_factor_check(t, NULL, f, now);
    return 0;
}

int session_login(struct store *st, const struct session_policy *p, struct session_signin *in)
{
    struct session_factor none = {0}, *f = in->factor != NULL ? in->factor : &none;
    const char *username = in->username, *pw = in->pw, *addr = in->addr;
    size_t pwlen = in->pwlen;
    int64_t now = in->now, *retry_after = &in->retry_after;
    char *token = in->token, *recovery = in->recovery, throttle[8 + 2 * 32 + 1];
    struct user *user = &in->user;
    struct user_keys *k = NULL;
    struct user_totp t;
    bool has_totp = false, resealed = false, alone = pw == NULL;
    uint8_t raw[32];
    struct session s;
    int rc;

    in->retry_after = 0;
    f->result = SESSION_FACTOR_NONE;
    f->used_recovery = false;
    f->recovery_left = 0;
    f->has_totp = f->has_passkeys = f->used_passkey = false;
    f->why[0] = '\0';
    memset(&t, 0, sizeof(t));
    memset(user, 0, sizeof(*user));
    token[0] = '\0';
    if (recovery != NULL)
        recovery[0] = '\0';
    if (alone) {
        /* a passkey alone: where allowed (or after the provider vouched for the account), and
         * throttled by its credential and the address */
        if ((!p->passwordless && in->sso_user == 0) || f->passkey == NULL || f->rp == NULL)
            return ERR_INVALID;
        passkey_throttle_name(f->passkey, throttle, sizeof(throttle));
        username = throttle;
        recovery = NULL; /* the first sign-in's recovery key needs the password's keys */
    }
    if ((rc = session_attempt(st, p, username, addr, now, retry_after)) != 0)
        return rc;

    if (alone) {
        if ((rc = passkey_alone(st, p, in, f, &k)) == ERR_UNAUTH)
            goto refused;
        if (rc != 0)
            goto fail;
        if (in->sso_user != 0 && user->id != in->sso_user) {
            f->result = SESSION_FACTOR_PASSKEY_INVALID;
            str_copy(f->why, sizeof(f->why), "the passkey is another account's");
            goto refused;
        }
        /* an account linked to the provider goes through it, a passkey alone included */
        if (in->sso_user == 0 && (user->flags & STORE_USER_SSO) && !p->sso_passwords) {
            f->result = SESSION_FACTOR_SSO_REQUIRED;
            goto refused;
        }
    } else {
        rc = store_user_get_by_name(st, username, user);
        if (rc == ERR_NOT_FOUND) {
            password_dummy_verify(p->pw.ops, p->pw.mem);
            rc = ERR_UNAUTH;
        } else if (rc == 0 && !user->has_keys) {
            /* not enrolled yet (or reset): no password opens it, and it takes as long to say so */
            password_dummy_verify(p->pw.ops, p->pw.mem);
            rc = ERR_UNAUTH;
        } else if (rc == 0) {
            rc = password_verify(user->pwhash, pw, pwlen);
            if (rc == 0 && user->disabled)
                rc = ERR_UNAUTH;
        }
        if (rc == ERR_UNAUTH) {
            memset(user, 0, sizeof(*user));
            return ERR_UNAUTH; /* the reserved attempt stays counted */
        }
        if (rc != 0)
            goto fail;
        if (in->sso_user != 0 && user->id != in->sso_user) {
            rc = ERR_INTERNAL; /* the caller names the account the ticket gave */
            goto fail;
        }
        /* the password was right: only now may the answer depend on the account's ways in */
        if (in->sso_user == 0 && (user->flags & STORE_USER_SSO) && !p->sso_passwords) {
            f->result = SESSION_FACTOR_SSO_REQUIRED;
            goto refused;
        }
        rc = store_totp_get(st, user->id, &t);
        if (rc == 0 && t.enabled)
            has_totp = true;
        else if (rc != 0 && rc != ERR_NOT_FOUND)
            goto fail;
        if ((rc = second_factor(st, p, user, &t, f, &has_totp, now)) == ERR_UNAUTH)
            goto refused;
        if (rc != 0)
            goto fail;
    }

    random_bytes(raw, sizeof(raw));
    b64_encode(token, SESSION_TOKEN_LEN + 1, raw, sizeof(raw), true);
    wipe(raw, sizeof(raw));
    memset(&s, 0, sizeof(s));
    hash_sha256(s.hash, token, SESSION_TOKEN_LEN);
    s.user_id = user->id;
    memcpy(s.user_tag, user->log_tag, sizeof(s.user_tag));
    s.created_at = now;
    s.last_seen = now;
    if (!alone && (rc = session_keys_unlock(p, user, pw, pwlen, &k, &resealed)) != 0)
        goto fail;
    if (has_totp && (rc = session_factor_check(&t, k, f, now)) != 0)
        goto refused;
    /* keys, recovery key, the code's use, session and throttle reset land together or not at
     * all: a recovery key stored for a sign-in that then failed would never be shown */
    if ((rc = store_begin(st)) != 0)
        goto fail;
    if ((has_totp && (rc = store_totp_update(st, &t)) != 0) ||
        (rc = session_keys_seal(st, user, k, resealed, token, &s, recovery)) != 0 ||
        (rc = store_session_create(st, &s)) != 0 ||
        (rc = session_attempt_ok(st, username, addr, now)) != 0 || (rc = store_commit(st)) != 0) {
        store_rollback(st);
        if (rc == ERR_CONFLICT && has_totp) {
            /* a simultaneous sign-in used the same code first */
            f->result = SESSION_FACTOR_INVALID;
            goto refused;
        }
        goto fail;
    }
    if (resealed)
        store_scrub(st); /* the superseded wrap leaves the disk */
    keys_free(k);
    wipe(&t, sizeof(t));
    return 0;
refused:
    /* a missing or wrong second factor counts like a wrong password */
    keys_free(k);
    wipe(&t, sizeof(t));
    wipe(token, SESSION_TOKEN_LEN + 1);
    if (recovery != NULL)
        wipe(recovery, USER_RECOVERY_TEXT_LEN + 1);
    memset(user, 0, sizeof(*user));
    return ERR_UNAUTH; /* the reserved attempt stays counted */
fail:
    wipe(&t, sizeof(t));
    keys_free(k);
    if (recovery != NULL)
        wipe(recovery, USER_RECOVERY_TEXT_LEN + 1);
    wipe(token, SESSION_TOKEN_LEN + 1);
    memset(user, 0, sizeof(*user));
    return rc;
}

int session_lookup(struct store *st, const struct session_policy *p, const char *token, int64_t now,
                   struct session *s, struct user *user)
{
    uint8_t hash[HASH_SHA256_LEN];
    int rc;

    memset(user, 0, sizeof(*user));
    if (session_token_hash(token, hash) != 0) {
        memset(s, 0, sizeof(*s));
        return ERR_UNAUTH;
    }
    rc = store_session_get(st, hash, s);
    if (rc == ERR_NOT_FOUND)
        return ERR_UNAUTH;
    if (rc != 0)
        return rc;
    if (session_expired(s, p, now)) {
        store_session_delete(st, hash);
        return ERR_UNAUTH;
    }
    rc = store_user_get_by_id(st, s->user_id, user);
    /* an account reset meanwhile has no keys: no session of it lives on */
    if (rc == ERR_NOT_FOUND || (rc == 0 && (user->disabled || !user->has_keys))) {
        memset(user, 0, sizeof(*user));
        return ERR_UNAUTH;
    }
    /* the session row is its owner's (its MAC binds the owner's log tag) */
    if (rc == 0 && (rc = store_session_bound(st, s, user)) != 0) {
        memset(user, 0, sizeof(*user));
        memset(s, 0, sizeof(*s));
    }
    if (rc != 0)
        return rc;
    if (now - s->last_seen >= session_touch_every(p)) {
        if ((rc = store_session_touch(st, hash, now)) != 0)
            return rc;
        s->last_seen = now;
    }
    return 0;
}

int session_logout(struct store *st, const char *token)
{
    uint8_t hash[HASH_SHA256_LEN];

    if (session_token_hash(token, hash) != 0)
        return 0;
    return store_session_delete(st, hash);
}
