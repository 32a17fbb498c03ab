/*
 * session.c - POST /api/v1/session (log in), DELETE /api/v1/session (log out), GET /api/v1/me.
 */
#include "api/api.h"

#include "crypto/random.h"
#include "http/cookie.h"
#include "util/err.h"

#include <string.h>

void api_session_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "password", NULL};
    char token[SESSION_TOKEN_LEN + 1];
    const char *username, *password;
    struct user u;
    int64_t retry = 0;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &username) != 0 ||
        api_get_string(resp, req->json, "password", true, 1024, &password) != 0)
        return;
    rc = session_login(env->st, &env->policy, username, password, strlen(password), req->addr,
                       req->now, token, &u, &retry);
    if (rc == ERR_RATE) {
        resp->retry_after = retry;
        api_error(resp, 429, "rate_limited", "too many failed sign-ins; try again later");
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
    http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), token,
                        env->cfg->session_lifetime, env->cfg->behind_tls);
    wipe(token, sizeof(token));
    api_ok(resp, 200, json_pack("{s:o}", "user", api_user_json(&u)));
}

void api_session_delete(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    int rc;

    if (req->authed && (rc = session_logout(env->st, req->token)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    http_cookie_session(resp->set_cookie, sizeof(resp->set_cookie), NULL, 0, env->cfg->behind_tls);
    api_ok(resp, 204, NULL);
}

void api_me(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    api_ok(resp, 200, api_user_json(&req->user));
}
