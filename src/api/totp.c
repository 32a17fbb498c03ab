/*
 * totp.c - TOTP two-factor sign-in for the signed-in user (core/totp.h):
 *   POST   /api/v1/me/totp                 [{"password"}]: start enrolment: secret and otpauth URI
 *                                           (the password is needed once the session is older
 *                                           than TOTP_REAUTH_WINDOW)
 *   GET    /api/v1/me/totp/qr.svg          the pending enrolment's URI as a QR code (SVG)
 *   POST   /api/v1/me/totp/confirm         {"code"}: turn it on; answers the recovery codes once
 *   POST   /api/v1/me/totp/recovery-codes  {"code"}: new recovery codes (the old ones stop working)
 *   DELETE /api/v1/me/totp                 {"code" or "recovery_code"}: turn it off
 * Codes sent to the last two are throttled like sign-ins (a stolen session cannot guess them).
 */
#include "api/api.h"

#include "core/totp.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_MAX 64 /* longest code text looked at (a recovery code with spaces) */
#define QR_MODULE 4 /* SVG units per QR module */
#define QR_QUIET 4  /* modules of quiet zone around the code */

int api_totp_needed(struct api_env *env, const struct api_req *req, bool *needed)
{
    bool passkey = false;

    return api_factor_needed(env, req, needed, &passkey);
}

int api_factor_needed(struct api_env *env, const struct api_req *req, bool *needed, bool *passkey)
{
    struct user_totp t;
    size_t npk = 0;
    int rc;

    *needed = *passkey = false;
    if (env->ch == NULL || (req->user.roles & env->ch->require_2fa) == 0)
        return 0;
    /* on every request of such a role: TOTP on settles it without reading the passkeys */
    if (!(req->user.roles & env->ch->require_passkey)) {
        bool on;
        rc = store_totp_get(env->st, req->user.id, &t);
        on = rc == 0 && t.enabled;
        wipe(&t, sizeof(t));
        if (on)
            return 0;
        if (rc != 0 && rc != ERR_NOT_FOUND)
            return rc;
    }
    if ((rc = passkey_count(env->st, req->user.id, &npk)) != 0)
        return rc;
    *needed = npk == 0;
    *passkey = npk == 0 && (req->user.roles & env->ch->require_passkey) != 0;
    return 0;
}

/* The caller's private keys from the session, or a 403 when it holds none. */
static int session_keys(struct api_req *req, struct api_resp *resp, const struct user_keys **k)
{
    char why[128] = "";
    int rc = keyring_user_keys(&req->kr, k, why, sizeof(why));

    if (rc == ERR_FORBIDDEN)
        api_error(resp, 403, "no_key", "%s", why);
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    return rc;
}

/* The recovery codes as a JSON array. */
static json_t *codes_json(char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1])
{
    json_t *a = json_array();

    for (int i = 0; i < STORE_TOTP_CODES && a != NULL; i++)
        json_array_append_new(a, json_string(codes[i]));
    return a;
}

/* Seconds after sign-in during which a session may start enrolment without the password. */
#define TOTP_REAUTH_WINDOW 600

static const char codes_notice[] = "Write these recovery codes down now: they are shown only once. "
                                   "Each one signs you in once in place of a code from your app.";

void api_totp_enrol(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"password", NULL};
    uint8_t secret[TOTP_SECRET_LEN];
    char b32[TOTP_SECRET_B32_LEN + 1], uri[TOTP_URI_MAX];
    const char *pw = NULL;
    int rc;

    if (req->json != NULL && (api_fields_allowed(resp, req->json, fields) != 0 ||
                              api_get_string(resp, req->json, "password", false, 1024, &pw) != 0))
        return;
    /*
     * A session alone (a forgotten browser, say) cannot bind the account to someone's phone:
     * past the first minutes after sign-in, enrolment needs the current password again.
     */
    if (pw == NULL && req->now - req->session.created_at > TOTP_REAUTH_WINDOW) {
        api_error(resp, 403, "password_required",
                  "this session signed in over %d minutes ago: send your current password "
                  "(\"password\") to start enrolment",
                  TOTP_REAUTH_WINDOW / 60);
        return;
    }
    if (pw != NULL && api_password_check(env, req, resp, pw, "password") != 0)
        return;
    rc = totp_enrol(env->st, &req->user, req->now, secret);
    if (rc == ERR_EXISTS) {
        api_error(resp, 409, "totp_enabled",
                  "two-factor sign-in is already on: turn it off first to enrol again");
        return;
    }
    if (rc == ERR_NOT_FOUND) {
        api_error_rc(resp, ERR_NO_KEYS, "the account has no keys yet: sign in again first");
        return;
    }
    if (rc == 0)
        rc = totp_base32(secret, b32);
    wipe(secret, sizeof(secret));
    if (rc == 0)
        rc = totp_uri(req->user.username, b32, uri);
    if (rc != 0) {
        wipe(b32, sizeof(b32));
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "secret", b32, "uri", uri, "qr",
                     "/api/v1/me/totp/qr.svg", "algorithm", "SHA1", "digits", TOTP_DIGITS, "period",
                     TOTP_STEP, "next", "POST /api/v1/me/totp/confirm with a first code"));
    wipe(b32, sizeof(b32));
    wipe(uri, sizeof(uri));
}

/* @qr as an SVG document (one path of dark modules) in a mem_alloc'd string; NULL if none. */
static char *qr_svg(const QRcode *qr, size_t *len)
{
    int side = qr->width + 2 * QR_QUIET;
    size_t cap = 512 + (size_t)qr->width * (size_t)qr->width * 24, n = 0;
    char *out = mem_alloc(cap);
    int k;

    if (out == NULL)
        return NULL;
    k = snprintf(out, cap,
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                 "height=\"%d\" shape-rendering=\"crispEdges\"><rect width=\"100%%\" "
                 "height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                 side, side, side * QR_MODULE, side * QR_MODULE);
    n = (size_t)k;
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & 1) {
                k = snprintf(out + n, cap - n, "M%d %dh1v1h-1z", x + QR_QUIET, y + QR_QUIET);
                n += (size_t)k;
            }
    k = snprintf(out + n, cap - n, "\"/></svg>\n");
    n += (size_t)k;
    *len = n;
    return out;
}

void api_totp_qr(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const struct user_keys *k;
    uint8_t secret[TOTP_SECRET_LEN];
    char b32[TOTP_SECRET_B32_LEN + 1] = "", uri[TOTP_URI_MAX] = "";
    struct user_totp t;
    QRcode *qr = NULL;
    size_t len = 0;
    int rc;

    rc = store_totp_get(env->st, req->user.id, &t);
    if (rc == ERR_NOT_FOUND || (rc == 0 && t.enabled)) {
        api_error(resp, 404, "not_found", "no two-factor enrolment is pending");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if (session_keys(req, resp, &k) != 0)
        return;
    rc = totp_secret_open(&t, k, secret) == 0 ? 0 : ERR_CRYPTO;
    if (rc == 0)
        rc = totp_base32(secret, b32);
    if (rc == 0)
        rc = totp_uri(req->user.username, b32, uri);
    wipe(secret, sizeof(secret));
    wipe(b32, sizeof(b32));
    if (rc == 0 && (qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
        rc = ERR_NOMEM;
    wipe(uri, sizeof(uri));
    if (rc == 0 && (resp->raw = (uint8_t *)qr_svg(qr, &len)) == NULL)
        rc = ERR_NOMEM;
    if (qr != NULL) {
        /* the modules spell the secret */
        wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
        QRcode_free(qr);
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    resp->raw_len = len;
    resp->status = 200;
    resp->content_type = "image/svg+xml";
}

void api_totp_confirm(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"code", NULL};
    char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1];
    const struct user_keys *k;
    const char *code;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "code", true, CODE_MAX, &code) != 0 ||
        session_keys(req, resp, &k) != 0)
        return;
    rc = totp_confirm(env->st, &req->user, k, code, req->now, codes);
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 409, "totp_not_started", "start with POST /api/v1/me/totp");
        return;
    }
    if (rc == ERR_STATE) {
        api_error(resp, 409, "totp_enabled", "two-factor sign-in is already on");
        return;
    }
    if (rc == ERR_CRYPTO || rc == ERR_CONFLICT) {
        api_error(resp, 422, "totp_invalid", "that code is wrong or was already used");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:b, s:o, s:s}", "enabled", 1, "recovery_codes", codes_json(codes),
                     "recovery_notice", codes_notice));
    wipe(codes, sizeof(codes));
}

/*
 * Check the TOTP (or, when @allow_recovery, a recovery) code in the request body against the
 * caller's enabled factor, throttled like a sign-in. On success @t holds the row with the code
 * used up (not yet stored); otherwise the response is set.
 */
int api_totp_check_code(struct api_env *env, struct api_req *req, struct api_resp *resp,
                        bool allow_recovery, struct user_totp *t)
{
    const char *code = NULL, *recovery = NULL;
    const struct user_keys *k;
    int64_t retry = 0;
    int rc;

    if (api_get_string(resp, req->json, "code", !allow_recovery, CODE_MAX, &code) != 0 ||
        (allow_recovery &&
         api_get_string(resp, req->json, "recovery_code", false, CODE_MAX, &recovery) != 0))
        return ERR_INVALID;
    if (code == NULL && recovery == NULL) {
        api_error_field(resp, "code", "code (or recovery_code) is required");
        return ERR_INVALID;
    }
    rc = store_totp_get(env->st, req->user.id, t);
    if (rc == ERR_NOT_FOUND || (rc == 0 && !t->enabled)) {
        api_error(resp, 409, "totp_not_enabled", "two-factor sign-in is not on");
        return ERR_STATE;
    }
    if (rc == 0)
        rc =
            session_attempt(env->st, &env->policy, req->user.username, req->addr, req->now, &retry);
    if (rc == ERR_RATE) {
        resp->retry_after = retry;
        api_error(resp, 429, "rate_limited", "too many wrong codes; try again later");
        return rc;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    if ((rc = session_keys(req, resp, &k)) != 0)
        return rc;
    if (totp_verify(t, k, code, code == NULL ? recovery : NULL, req->now) != 0) {
        /* the reserved attempt stays counted */
        api_error(resp, 422, "totp_invalid", "that code is wrong or was already used");
        return ERR_CRYPTO;
    }
    if ((rc = session_attempt_ok(env->st, req->user.username, req->addr, req->now)) != 0) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    return 0;
}

void api_totp_recovery_codes(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"code", NULL};
    char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1];
    struct user_totp t;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_totp_check_code(env, req, resp, false, &t))
        return;
    totp_recovery_issue(&t, codes);
    rc = store_totp_update(env->st, &t);
    wipe(&t, sizeof(t));
    if (rc == ERR_CONFLICT) {
        wipe(codes, sizeof(codes));
        api_error(resp, 422, "totp_invalid", "that code is wrong or was already used");
        return;
    }
    if (rc != 0) {
        wipe(codes, sizeof(codes));
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:o, s:s}", "recovery_codes", codes_json(codes), "recovery_notice",
                     codes_notice));
    wipe(codes, sizeof(codes));
}

void api_totp_disable(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"code", "recovery_code", NULL};
    struct user_totp t;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (env->ch != NULL && (req->user.roles & env->ch->require_2fa) != 0) {
        api_error(resp, 403, "totp_required", "your role requires two-factor sign-in");
        return;
    }
    if (api_totp_check_code(env, req, resp, true, &t) != 0)
        return;
    /* the code is used up first, so that it cannot also serve elsewhere meanwhile */
    rc = store_totp_update(env->st, &t);
    wipe(&t, sizeof(t));
    if (rc == 0)
        rc = store_totp_delete(env->st, req->user.id);
    if (rc == ERR_CONFLICT) {
        api_error(resp, 422, "totp_invalid", "that code is wrong or was already used");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200, json_pack("{s:b}", "enabled", 0));
}
