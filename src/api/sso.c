/*
 * sso.c - single sign-on over HTTP (core/oidc.h): GET /api/v1/sso (whether it is on, and the
 * sign-in waiting in this browser), POST /api/v1/sso/start (the provider's authorization URL),
 * GET /api/v1/sso/callback (the provider's redirect back, answered with a redirect into the web
 * interface). The session itself comes from POST /api/v1/session {"sso": true, ...}, an account
 * without keys enrols with POST /api/v1/enrol {"sso": true, ...} (api/session.c).
 *
 * The browser holds one cookie for it all (http/cookie.h http_cookie_sso()): "s." and the state
 * while the provider has the browser, then "t." and the ticket until the keys are opened.
 */
#include "api/api.h"

#include "core/oidc.h"
#include "core/passkey.h"
#include "crypto/random.h"
#include "http/cookie.h"
#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>

#define CALLBACK_PATH "/api/v1/sso/callback"

/* This server's callback URL, as registered at the provider. */
static int redirect_uri(const struct api_env *env, const struct api_req *req, char *out, size_t len)
{
    char own[600];

    if (api_own_origin(env, req, own, sizeof(own)) != 0)
        return ERR_INVALID;
    return snprintf(out, len, "%s%s", own, CALLBACK_PATH) < (int)len ? 0 : ERR_INVALID;
}

/* The value after @prefix ("s." or "t.") of this browser's single sign-on cookie into @out. */
static bool sso_cookie(const struct api_env *env, const struct api_req *req, const char *prefix,
                       char out[OIDC_TOKEN_LEN + 1])
{
    char v[OIDC_TOKEN_LEN + 8];

    out[0] = '\0';
    if (req->cookie == NULL ||
        http_cookie_get(req->cookie, http_sso_cookie_name(env->cfg->behind_tls), v, sizeof(v)) != 0)
        return false;
    if (strncmp(v, prefix, 2) != 0 || strlen(v + 2) != OIDC_TOKEN_LEN)
        return false;
    memcpy(out, v + 2, OIDC_TOKEN_LEN + 1);
    return true;
}

int api_sso_ticket(struct api_env *env, struct api_req *req, char ticket[OIDC_TOKEN_LEN + 1])
{
    return sso_cookie(env, req, "t.", ticket) ? 0 : ERR_NOT_FOUND;
}

void api_sso_get(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char ticket[OIDC_TOKEN_LEN + 1];
    json_t *o = json_pack("{s:b, s:b}", "enabled", oidc_enabled(env->cfg), "passwords",
                          !oidc_enabled(env->cfg) || env->cfg->oidc_passwords);
    int64_t uid = 0;
    struct user u;
    int rc;

    json_object_set_new(o, "pending", json_null());
    /* a sign-in the provider vouched for, waiting for the keys to be opened */
    if (oidc_enabled(env->cfg) && sso_cookie(env, req, "t.", ticket) &&
        oidc_ticket_peek(env->st, ticket, req->now, &uid) == 0 &&
        (rc = store_user_get_by_id(env->st, uid, &u)) == 0) {
        size_t npk = 0;
        if (passkey_count(env->st, u.id, &npk) != 0)
            npk = 0;
        json_object_set_new(o, "pending",
                            json_pack("{s:s, s:s, s:b, s:b}", "username", u.username,
                                      "display_name", u.display_name, "enrol", !u.has_keys,
                                      "passkeys", npk > 0));
        wipe(u.pwhash, sizeof(u.pwhash));
    }
    api_ok(resp, 200, o);
}

void api_sso_start(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char state[OIDC_TOKEN_LEN + 1], cb[700], url[OIDC_URL_MAX], why[300], v[OIDC_TOKEN_LEN + 3];
    uint8_t key[OIDC_KEY_LEN];
    int rc;

    if (!oidc_enabled(env->cfg) || env->ch == NULL || env->ch->key == NULL) {
        api_error(resp, 404, "sso_off", "single sign-on is not set up here");
        return;
    }
    if (redirect_uri(env, req, cb, sizeof(cb)) != 0) {
        api_error(resp, 500, "no_origin", "the server has no origin for its callback");
        return;
    }
    if (api_start_throttle(env, req, resp) != 0)
        return;
    oidc_key(env->ch->key->sk, sizeof(env->ch->key->sk), key);
    rc = oidc_login_start(env->st, env->cfg, key, cb, req->now, state, url, sizeof(url), why,
                          sizeof(why));
    wipe(key, sizeof(key));
    if (rc == ERR_IO) {
        log_warn("oidc: cannot begin a sign-in: %s", why);
        api_error(resp, 502, "sso_provider",
                  "the organisation's sign-in service cannot be reached: try again later, or "
                  "tell your administrator");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(v, sizeof(v), "s.%s", state);
    http_cookie_sso(resp->set_cookie, sizeof(resp->set_cookie), v, OIDC_STATE_TTL,
                    env->cfg->behind_tls);
    wipe(state, sizeof(state));
    api_ok(resp, 200, json_pack("{s:s}", "url", url));
}

/* The callback's answer: a redirect into the web interface, to its single sign-on page. */
static void back_to_web(struct api_resp *resp, const char *failure)
{
    resp->status = 303;
    resp->body = NULL;
    if (failure == NULL)
        snprintf(resp->location, sizeof(resp->location), "/#/sso");
    else
        snprintf(resp->location, sizeof(resp->location), "/#/sso?error=%s", failure);
}

void api_sso_callback(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char state[OIDC_TOKEN_LEN + 1] = "", cookie[OIDC_TOKEN_LEN + 1], code[2100] = "",
                                error[80] = "", cb[700], why[400] = "", v[OIDC_TOKEN_LEN + 3],
                                iss[sizeof(env->cfg->oidc_issuer)] = "";
    struct oidc_result r;
    uint8_t key[OIDC_KEY_LEN];
    bool has_error;
    int rc;

    if (!oidc_enabled(env->cfg) || env->ch == NULL || env->ch->key == NULL) {
        back_to_web(resp, "sso_off");
        return;
    }
    /* (a parameter too long or malformed is a failed sign-in, told as such, not a 422) */
    if (api_query(req, resp, "state", state, sizeof(state)) == ERR_INVALID ||
        api_query(req, resp, "code", code, sizeof(code)) == ERR_INVALID ||
        api_query(req, resp, "error", error, sizeof(error)) == ERR_INVALID) {
        json_decref(resp->body);
        resp->body = NULL;
        back_to_web(resp, "sso_state");
        return;
    }
    has_error = error[0] != '\0';
    /* RFC 9207: a provider that names itself must be ours (a mix-up is refused) */
    int named = api_query(req, resp, "iss", iss, sizeof(iss));
    json_decref(resp->body); /* (a malformed one answered 422: this answer is the redirect) */
    resp->body = NULL;
    if (named == ERR_INVALID || (named == 0 && strcmp(iss, env->cfg->oidc_issuer) != 0)) {
        log_warn("oidc: a callback from another issuer than [oidc] issuer");
        back_to_web(resp, "sso_state");
        return;
    }
    if (!sso_cookie(env, req, "s.", cookie) || redirect_uri(env, req, cb, sizeof(cb)) != 0) {
        log_warn("oidc: a callback without this browser's sign-in state (no cookie)");
        back_to_web(resp, "sso_state");
        return;
    }
    oidc_key(env->ch->key->sk, sizeof(env->ch->key->sk), key);
    rc = oidc_callback(env->st, env->cfg, key, cb, state, cookie, code, has_error ? error : NULL,
                       req->now, &r, why, sizeof(why));
    wipe(key, sizeof(key));
    explicit_bzero(code, sizeof(code));
    if (rc != 0) {
        log_warn("oidc: sign-in refused (%s): %s", oidc_failure_code(r.failure), why);
        http_cookie_sso(resp->set_cookie, sizeof(resp->set_cookie), NULL, 0, env->cfg->behind_tls);
        back_to_web(resp, oidc_failure_code(r.failure == OIDC_OK ? OIDC_PROVIDER : r.failure));
        return;
    }
    log_info("oidc: %s vouched for by the provider%s%s", r.user.username,
             r.created ? " (account made)" : "", r.linked ? " (linked now)" : "");
    snprintf(v, sizeof(v), "t.%s", r.ticket);
    http_cookie_sso(resp->set_cookie, sizeof(resp->set_cookie), v, OIDC_TICKET_TTL,
                    env->cfg->behind_tls);
    wipe(&r, sizeof(r));
    wipe(v, sizeof(v));
    back_to_web(resp, NULL);
}
