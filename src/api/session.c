/*
 * session.c - POST /api/v1/session (log in), DELETE /api/v1/session (log out), GET /api/v1/me,
 * POST /api/v1/me/password (change one's own password, keeping one's keys) and
 * POST /api/v1/recovery (reset a password with the recovery key, keeping one's keys) and
 * POST /api/v1/enrol (a new account's, or a reset one's, first password and keys).
 */
#include "api/api.h"

#include "core/channel.h"

#include "core/access.h"
#include "core/enrol.h"
#include "core/lang.h"
#include "core/oidc.h"
#include "core/reset.h"
#include "core/totp.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "http/cookie.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"

#include <stdio.h>
#include <string.h>

/*
 * The account this browser's single sign-on ticket names (core/oidc.h) into @su: the ticket
 * taken (*@expires set, to put it back with oidc_ticket_restore() when what came with it is
 * refused) or, with @expires NULL, only looked at; @username, when given, must be its name.
 * 0, or the error it answered (401 sso_expired when there is no live ticket).
 */
static int sso_account(struct api_env *env, struct api_req *req, struct api_resp *resp,
                       const char *username, char ticket[OIDC_TOKEN_LEN + 1], int64_t *expires,
                       struct user *su)
{
    int64_t uid = 0;
    int rc = ERR_NOT_FOUND;

    memset(su, 0, sizeof(*su));
    if (oidc_enabled(env->cfg) && api_sso_ticket(env, req, ticket) == 0)
        rc = expires != NULL ? oidc_ticket_take(env->st, ticket, req->now, &uid, expires)
                             : oidc_ticket_peek(env->st, ticket, req->now, &uid);
    if (rc == 0)
        rc = store_user_get_by_id(env->st, uid, su);
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 401, "sso_expired",
                  "the sign-in through your organisation expired or was used: sign in with "
                  "your organisation again");
        return rc;
    }
    if (rc == 0 && username != NULL && strcmp(username, su->username) != 0) {
        if (expires != NULL)
            oidc_ticket_restore(env->st, ticket, uid, *expires, req->now);
        api_error_field(resp, "username", "your organisation signed you in as %s", su->username);
        rc = ERR_INVALID;
    } else if (rc != 0) {
        api_error_rc(resp, rc, NULL);
    }
    wipe(su->pwhash, sizeof(su->pwhash));
    return rc;
}

void api_session_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "password", "totp", "recovery_code",
                                         "passkey",  "sso",      NULL};
    char recovery[USER_RECOVERY_TEXT_LEN + 1], ticket[OIDC_TOKEN_LEN + 1] = "";
    const char *username = NULL, *password = NULL;
    struct session_factor f = {0};
    struct session_signin in = {.factor = &f, .recovery = recovery};
    struct api_passkey_answer *pk = NULL;
    const struct user *u = &in.user;
    json_t *body, *pkv = json_object_get(req->json, "passkey"),
                  *ssov = json_object_get(req->json, "sso");
    bool sso = json_is_true(ssov);
    bool alone = pkv != NULL && json_object_get(req->json, "password") == NULL &&
                 (sso || json_object_get(req->json, "username") == NULL);
    struct user su;
    int64_t expires = 0;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (ssov != NULL && !json_is_boolean(ssov)) {
        api_error_field(resp, "sso", "sso must be true or false");
        return;
    }
    if (api_get_string(resp, req->json, "username", !alone && !sso, USERNAME_MAX, &username) != 0 ||
        api_get_string(resp, req->json, "password", !alone, 1024, &password) != 0 ||
        api_get_string(resp, req->json, "totp", false, 64, &f.totp) != 0 ||
        api_get_string(resp, req->json, "recovery_code", false, 64, &f.recovery_code) != 0)
        return;
    if (sso && !oidc_enabled(env->cfg)) {
        api_error(resp, 404, "sso_off", "single sign-on is not set up here");
        return;
    }
    if (alone && !sso && !env->cfg->passwordless) {
        api_error_field(resp, "password",
                        "a passkey alone does not sign in here: give your username and password "
                        "too");
        return;
    }
    if (pkv != NULL) {
        if ((pk = mem_alloc(sizeof(*pk))) == NULL) {
            api_error_rc(resp, ERR_NOMEM, NULL);
            return;
        }
        if (api_passkey_assertion(env, req, resp, pkv, pk) != 0) {
            wipe(pk, sizeof(*pk));
            mem_free(pk);
            return;
        }
        f.passkey = &pk->a;
        f.rp = &pk->rp;
    }
    /* the account the provider vouched for, from this browser's ticket: taken only now that
     * the request is known to be well formed, and put back below when what came with it is
     * refused */
    if (sso && sso_account(env, req, resp, username, ticket, &expires, &su) != 0) {
        if (pk != NULL) {
            wipe(pk, sizeof(*pk));
            mem_free(pk);
        }
        return;
    }
    if (sso) {
        in.sso_user = su.id;
        username = alone ? NULL : su.username;
    }
    in.username = username;
    in.pw = password;
    in.pwlen = password ? strlen(password) : 0;
    in.addr = req->addr;
    in.now = req->now;
    rc = session_login(env->st, &env->policy, &in);
    if (pk != NULL) {
        wipe(pk, sizeof(*pk));
        mem_free(pk);
    }
    if (rc != 0 && sso) /* another try with the passphrase, a code or a passkey */
        oidc_ticket_restore(env->st, ticket, in.sso_user, expires, req->now);
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_SSO_REQUIRED) {
        api_error(resp, 401, "sso_required",
                  "this account signs in through your organisation: use \"Sign in with your "
                  "organisation\"");
        return;
    }
    /* counted for /metrics: how many, never whose */
    metrics_signin(rc == 0          ? METRICS_SIGNIN_OK
                   : rc == ERR_RATE ? METRICS_SIGNIN_THROTTLED
                                    : METRICS_SIGNIN_FAILED);
    if (rc == ERR_RATE) {
        resp->retry_after = in.retry_after;
        api_error(resp, 429, "rate_limited", "too many failed sign-ins; try again later");
        return;
    }
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_PASSKEY_REQUIRED) {
        api_error(resp, 401, "passkey_required", "%s",
                  f.has_totp ? "your role signs in with a passkey: use it (an authenticator "
                               "app's code is not enough)"
                             : "use your passkey to sign in");
        return;
    }
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_PASSKEY_INVALID) {
        api_error(resp, 401, "passkey_invalid", "the passkey was refused: %s",
                  f.why[0] ? f.why : "it is not one of this account's");
        return;
    }
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_PASSKEY_NO_KEYS) {
        api_error(resp, 401, "passkey_cannot_unlock",
                  "this passkey cannot unlock your keys: sign in with your password and the "
                  "passkey");
        return;
    }
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_REQUIRED) {
        api_error(resp, 401, "totp_required",
                  "enter the code from your authenticator app (or a recovery code)");
        return;
    }
    if (rc == ERR_UNAUTH && f.result == SESSION_FACTOR_INVALID) {
        api_error(resp, 401, "totp_invalid", "that code is wrong or was already used");
        return;
    }
    if (rc == ERR_UNAUTH && sso) {
        api_error(resp, 401, "invalid_credentials", "wrong key passphrase");
        return;
    }
    if (rc == ERR_UNAUTH) {
        api_error(resp, 401, "invalid_credentials", "wrong username or password");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), in.token,
                        env->cfg->session_lifetime, env->cfg->behind_tls);
    body = json_pack("{s:o}", "user", api_user_json(u));
    if (recovery[0] != '\0') {
        json_object_set_new(body, "recovery_key", json_string(recovery));
        json_object_set_new(body, "recovery_notice",
                            json_string("Write this recovery key down now: it is shown only "
                                        "once. With it you can reset your password without "
                                        "losing access to your memos."));
    }
    if (f.used_recovery) {
        json_object_set_new(body, "recovery_codes_left", json_integer(f.recovery_left));
        json_object_set_new(body, "recovery_codes_notice",
                            json_string("A recovery code was used and no longer works. Make new "
                                        "ones (POST /api/v1/me/totp/recovery-codes) when few "
                                        "are left."));
    }
    wipe(recovery, sizeof(recovery));
    wipe(&in, sizeof(in)); /* the token, the account's row */
    api_ok(resp, 200, body);
}

void api_session_delete(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    int rc;

    char logout[2048] = "", own[600];

    if (req->authed && (rc = session_logout(env->st, req->token)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), NULL, 0, env->cfg->behind_tls);
    /* an account linked to the provider: where the provider ends its own session too
     * (RP-initiated logout), the interface goes there next */
    if (req->authed && (req->user.flags & STORE_USER_SSO) && oidc_enabled(env->cfg) &&
        api_own_origin(env, req, own, sizeof(own)) == 0) {
        size_t n = strlen(own);
        if (n + 2 < sizeof(own)) {
            own[n] = '/';
            own[n + 1] = '\0';
        }
        oidc_logout_url(env->cfg, own, logout, sizeof(logout));
    }
    if (logout[0] != '\0')
        api_ok(resp, 200, json_pack("{s:s}", "logout_url", logout));
    else
        api_ok(resp, 204, NULL);
}

/* Whether @u's two-factor sign-in is on, pending confirmation, required of it: into *@out. */
static int me_totp(struct api_env *env, const struct user *u, json_t **out)
{
    bool required = env->ch != NULL && (u->roles & env->ch->require_2fa) != 0;
    struct user_totp t;
    int rc = store_totp_get(env->st, u->id, &t);

    *out = NULL;
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    *out = json_pack("{s:b, s:b, s:b, s:i}", "enabled", rc == 0 && t.enabled, "pending",
                     rc == 0 && !t.enabled, "required", required, "recovery_codes_left",
                     rc == 0 && t.enabled ? totp_recovery_left(&t) : 0);
    wipe(&t, sizeof(t));
    return 0;
}

/* The markings finalize refuses (core/channel.h), for the editor's warning as one types. */
static json_t *markings_json(const struct config *cfg)
{
    char list[CHANNEL_MARKINGS_MAX][64];
    size_t n = channel_markings(cfg, list);
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(list[i]));
    return arr;
}

static json_t *me_json(struct api_env *env, struct api_req *req, struct api_resp *resp);

/*
 * GET /api/v1/me: made from the session, the account, its two-factor row, its passkeys and the
 * settings, all of which the store's read cache covers (or which do not change while serving).
 * So the answer is kept under the store's stamp and served again as long as the stamp holds
 * (struct api_me_cache): any write of this process, or another process's commit seen, moves it.
 */
void api_me(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct api_me_cache *slot = &env->me[req->session.hash[0] % API_ME_SLOTS];
    uint64_t stamp = 0;
    bool keep = store_cache_stamp(env->st, &stamp);
    unsigned long refused = mem_failures();
    size_t len;
    char *text;
    json_t *o;

    if (keep && slot->text != NULL && slot->stamp == stamp &&
        hash_equal(slot->session, req->session.hash, sizeof(slot->session))) {
        api_ok_text(resp, 200, slot->text, slot->len);
        return;
    }
    if ((o = me_json(env, req, resp)) == NULL)
        return;
    if (!keep) {
        api_ok(resp, 200, o);
        return;
    }
    text = api_json_text(o, &len);
    json_decref(o);
    /* a part jansson could not make is left out silently: such an answer is never kept (and
     * the request answers out of memory: api.c's refuse_partial()) */
    if (text == NULL || mem_failures() != refused) {
        mem_free(text);
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    api_ok_text(resp, 200, text, len);
    mem_free(slot->text);
    memcpy(slot->session, req->session.hash, sizeof(slot->session));
    slot->stamp = stamp;
    slot->text = text;
    slot->len = len;
}

/* PATCH /api/v1/me: the account's own settings; for now its language ({"language": "fr"}, or
 * null for none: the browser's). */
void api_me_patch(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const allowed[] = {"language", NULL};
    json_t *v = json_object_get(req->json, "language");
    const char *code = "";
    int rc;

    if (!json_is_object(req->json)) {
        api_error(resp, 400, "malformed_json", "the body must be a JSON object");
        return;
    }
    if (api_fields_allowed(resp, req->json, allowed) != 0)
        return;
    if (v == NULL) {
        api_error_field(resp, "language", "language is required (a code, or null)");
        return;
    }
    if (!json_is_null(v)) {
        if (!json_is_string(v) || lang_find(json_string_value(v)) == NULL) {
            char codes[128] = "";
            size_t n;
            const struct lang *l = lang_list(&n);
            for (size_t i = 0, k = 0; i < n && k < sizeof(codes); i++)
                k += (size_t)snprintf(codes + k, sizeof(codes) - k, "%s%s", i ? ", " : "",
                                      l[i].code);
            api_error_field(resp, "language", "language must be one of %s, or null", codes);
            return;
        }
        code = json_string_value(v);
    }
    if ((rc = store_language_set(env->st, req->user.id, code)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    /* the answer is the account as it now is (the language is in its row) */
    str_copy(req->user.language, sizeof(req->user.language), code);
    req->user.version++;
    api_me(env, req, resp);
}

/* The answer as JSON, or NULL with the error in @resp. */
static json_t *me_json(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    json_t *o = api_user_json(&req->user), *totp;
    int rc;

    if ((rc = me_totp(env, &req->user, &totp)) != 0) {
        json_decref(o);
        api_error_rc(resp, rc, NULL);
        return NULL;
    }
    {
        /* the passkeys: how many, and whether the role must use one (core/passkey.h) */
        size_t npk = 0;
        if ((rc = passkey_count(env->st, req->user.id, &npk)) != 0) {
            json_decref(o);
            json_decref(totp);
            api_error_rc(resp, rc, NULL);
            return NULL;
        }
        json_object_set_new(
            o, "passkeys",
            json_pack("{s:I, s:b, s:b}", "count", (json_int_t)npk, "required",
                      env->ch != NULL && (req->user.roles & env->ch->require_passkey) != 0,
                      "passwordless", env->cfg->passwordless));
    }
    json_object_set_new(o, "has_recovery_key", json_boolean(req->user.has_recovery));
    /* linked to the organisation's OpenID provider: it signs in there (core/oidc.h) */
    json_object_set_new(o, "sso", json_boolean((req->user.flags & STORE_USER_SSO) != 0));
    /* keys an administrator's password wrapped: a new password (and new keys) first */
    json_object_set_new(o, "rekey_required",
                        json_boolean((req->user.flags & STORE_USER_REKEY) != 0));
    if (req->user.has_recovery && req->user.recovery_at > 0) {
        char at[21];
        api_iso_time(at, req->user.recovery_at);
        json_object_set_new(o, "recovery_key_issued_at", json_string(at));
    }
    /* an administrator's reset is told to its user, and where the officers' confirmation
     * stands (core/reset.h); null when never reset */
    if (req->user.reset_at > 0) {
        char at[21], fp[RESET_FINGERPRINT_LEN + 1];
        api_iso_time(at, req->user.reset_at);
        reset_fingerprint(&req->user, fp);
        json_object_set_new(
            o, "reset",
            json_pack("{s:s, s:b, s:b, s:i, s:i, s:s}", "at", at, "pending",
                      (req->user.flags & STORE_USER_RESET) != 0, "held",
                      (req->user.flags & STORE_USER_HELD) != 0, "confirmations",
                      (req->user.flags & STORE_USER_HELD) && req->user.confirm_by ? 1 : 0,
                      "confirmations_required", reset_required(&req->user), "fingerprint", fp));
    } else {
        json_object_set_new(o, "reset", json_null());
    }
    json_object_set_new(o, "totp", totp);
    /* the language chosen for the interface and emails (core/lang.h), null for none */
    json_object_set_new(o, "language",
                        lang_find(req->user.language) ? json_string(req->user.language)
                                                      : json_null());
    /* the organisation's zone, for showing times as its dates are shown */
    json_object_set_new(o, "timezone", json_string(channel_zone(env->cfg)));
    json_object_set_new(o, "refuse_markings", markings_json(env->cfg));
    /* when this session ends unless used again, so that the interface can warn before */
    json_object_set_new(o, "session",
                        json_pack("{s:I, s:I, s:I}", "expires_at",
                                  (json_int_t)session_expires_at(&req->session, &env->policy),
                                  "idle_timeout", (json_int_t)env->policy.idle, "lifetime_ends_at",
                                  (json_int_t)(req->session.created_at + env->policy.lifetime)));
    if (o == NULL) /* a part that could not be made (out of memory) */
        api_error_rc(resp, ERR_NOMEM, NULL);
    return o;
}

/* End every session of @u and clear the caller's cookie. */
static int sign_out_everywhere(struct api_env *env, const struct user *u, struct api_resp *resp)
{
    http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), NULL, 0, env->cfg->behind_tls);
    return store_session_delete_user(env->st, u->id);
}

int api_password_check(struct api_env *env, struct api_req *req, struct api_resp *resp,
                       const char *pw, const char *field)
{
    int64_t retry = 0;
    int rc = session_password_check(env->st, &env->policy, &req->user, pw, strlen(pw), req->addr,
                                    req->now, &retry);

    if (rc == ERR_RATE) {
        resp->retry_after = retry;
        api_error(resp, 429, "rate_limited", "too many failed attempts; try again later");
    } else if (rc == ERR_UNAUTH) {
        api_error_field(resp, field, "%s is wrong", field);
    } else if (rc != 0) {
        api_error_rc(resp, rc, NULL);
    }
    return rc;
}

void api_me_password(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"current_password", "new_password", NULL};
    char recovery[USER_RECOVERY_TEXT_LEN + 1] = "";
    const char *cur, *pw;
    struct user u = req->user;
    struct user_keys *k = NULL;
    bool rekeyed = false;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "current_password", true, 1024, &cur) != 0 ||
        api_get_string(resp, req->json, "new_password", true, 1024, &pw) != 0)
        return;
    if (!user_password_valid(pw, strlen(pw))) {
        api_error_field(resp, "new_password", "new_password must be 8 to 1024 bytes");
        return;
    }
    if (api_password_check(env, req, resp, cur, "current_password") != 0)
        return;
    if ((k = keys_new()) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    rc = user_keys_open(&u, &env->pw, cur, strlen(cur), k);
    /* the account and the end of its sessions in one transaction (core/enrol.h) */
    if (rc == 0)
        rc = enrol_change_password(env->st, &env->pw, &u, k, pw, strlen(pw), req->now, recovery,
                                   &rekeyed);
    keys_free(k);
    if (rc == 0)
        http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), NULL, 0,
                            env->cfg->behind_tls);
    wipe(u.pwhash, sizeof(u.pwhash));
    if (rc != 0) {
        wipe(recovery, sizeof(recovery));
        api_error_rc(resp, rc == ERR_CONFLICT ? ERR_BUSY : rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:s, s:b, s:b, s:s}", "message",
                     rekeyed ? "password changed, and your account has new keys that only your "
                               "password opens; sign in again. Write down your new recovery key."
                             : "password changed; your keys were kept; sign in again. Your old "
                               "recovery key no longer works: write down the new one.",
                     "keys_kept", !rekeyed, "keys_renewed", rekeyed, "recovery_key", recovery));
    wipe(recovery, sizeof(recovery));
}

void api_recovery(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "recovery_key", "new_password", NULL};
    char token[SESSION_TOKEN_LEN + 1], recovery[USER_RECOVERY_TEXT_LEN + 1] = "";
    const char *name, *rkey, *pw;
    struct user_keys *k = NULL;
    struct user u;
    int64_t retry = 0;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &name) != 0 ||
        api_get_string(resp, req->json, "recovery_key", true, 128, &rkey) != 0 ||
        api_get_string(resp, req->json, "new_password", true, 1024, &pw) != 0)
        return;
    if (!user_password_valid(pw, strlen(pw))) {
        api_error_field(resp, "new_password", "new_password must be 8 to 1024 bytes");
        return;
    }
    /* Throttled and answered like a sign-in: a wrong key counts as a failed attempt. */
    rc = session_attempt(env->st, &env->policy, name, req->addr, req->now, &retry);
    if (rc == ERR_RATE) {
        resp->retry_after = retry;
        api_error(resp, 429, "rate_limited", "too many failed attempts; try again later");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if ((k = keys_new()) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, &u) : ERR_NOT_FOUND;
    if (rc == 0 && !u.disabled)
        rc = user_recovery_open(&u, rkey, k);
    else if (rc == 0)
        rc = ERR_CRYPTO;
    if (rc == ERR_NOT_FOUND || rc == ERR_CRYPTO) {
        keys_free(k); /* the reserved attempt stays counted */
        api_error(resp, 401, "invalid_recovery_key", "wrong username or recovery key");
        return;
    }
    if (rc == 0) /* a used recovery key is replaced */
        rc = user_change_password(&u, k, &env->pw, pw, strlen(pw), req->now, recovery);
    keys_free(k);
    if (rc == 0) {
        u.updated_at = req->now;
        rc = store_user_update(env->st, &u);
    }
    if (rc == 0)
        rc = sign_out_everywhere(env, &u, resp);
    if (rc == 0)
        rc = session_attempt_ok(env->st, u.username, req->addr, req->now);
    if (rc == 0)
        store_scrub(env->st);
    wipe(u.pwhash, sizeof(u.pwhash));
    wipe(token, sizeof(token));
    if (rc != 0) {
        wipe(recovery, sizeof(recovery));
        api_error_rc(resp, rc == ERR_CONFLICT ? ERR_BUSY : rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:s, s:b, s:s}", "message",
                     "password reset with the recovery key; your keys were kept. The old "
                     "recovery key no longer works: write down the new one.",
                     "keys_kept", 1, "recovery_key", recovery));
    wipe(recovery, sizeof(recovery));
}

void api_enrol(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "code", "password", "sso", NULL};
    char recovery[USER_RECOVERY_TEXT_LEN + 1] = "", ticket[OIDC_TOKEN_LEN + 1];
    const char *name, *code, *pw;
    json_t *ssov = json_object_get(req->json, "sso");
    bool sso = json_is_true(ssov);
    struct user u, su;
    int64_t retry = 0;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (ssov != NULL && !json_is_boolean(ssov)) {
        api_error_field(resp, "sso", "sso must be true or false");
        return;
    }
    if (api_get_string(resp, req->json, "username", !sso, USERNAME_MAX, &name) != 0 ||
        api_get_string(resp, req->json, "code", !sso, 128, &code) != 0 ||
        api_get_string(resp, req->json, "password", true, 1024, &pw) != 0)
        return;
    if (sso && code != NULL) {
        api_error_field(resp, "code",
                        "no enrolment code with single sign-on: your organisation "
                        "vouched for you");
        return;
    }
    if (sso) {
        /* the account the provider vouched for (the ticket stays for the sign-in after) */
        if (sso_account(env, req, resp, name, ticket, NULL, &su) != 0)
            return;
        rc = enrol_account_sso(env->st, &env->policy, &su, pw, strlen(pw), req->addr, req->now,
                               &retry, &u, recovery);
    } else {
        rc = enrol_account(env->st, &env->policy, name, code, pw, strlen(pw), req->addr, req->now,
                           &retry, &u, recovery);
    }
    if (rc == ERR_INVALID) {
        api_error_field(resp, "password", "password must be 8 to 1024 bytes");
        return;
    }
    if (rc == ERR_RATE) {
        resp->retry_after = retry;
        api_error(resp, 429, "rate_limited", "too many failed attempts; try again later");
        return;
    }
    if (rc == ERR_UNAUTH && sso) {
        api_error(resp, 409, "enrolled",
                  "this account has its keys already: sign in with your key passphrase");
        return;
    }
    if (rc == ERR_UNAUTH) {
        api_error(resp, 401, "invalid_enrolment_code",
                  "wrong username or enrolment code, or the code has expired or was used: ask "
                  "an administrator for a new one");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:o, s:s, s:s}", "user", api_user_json(&u), "recovery_key", recovery,
                     "recovery_notice",
                     "Write this recovery key down now: it is shown only once. With it you can "
                     "reset your password without losing access to your memos. Now sign in with "
                     "your new password."));
    wipe(recovery, sizeof(recovery));
}
