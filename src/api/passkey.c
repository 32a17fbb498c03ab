/*
 * passkey.c - passkeys over HTTP (core/passkey.h): the options a browser hands to
 * navigator.credentials.create() and .get(), registration, the list and deletion, and the
 * passkey's part of a sign-in (api_passkey_assertion(), used by POST /api/v1/session).
 *
 * Binary WebAuthn values travel as unpadded base64url strings, as the browser's
 * PublicKeyCredential JSON has them.
 */
#include "api/api.h"

#include "core/passkey.h"
#include "core/session.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PASSKEY_TIMEOUT_MS 120000 /* what the browser is told to wait for the user */

int api_passkey_rp(struct api_env *env, const struct api_req *req, struct passkey_rp *rp)
{
    char own[600];

    return api_own_origin(env, req, own, sizeof(own)) == 0 ? passkey_rp_init(rp, own) : ERR_INVALID;
}

/* @bin as an unpadded base64url JSON string. */
static json_t *b64url(const uint8_t *bin, size_t len)
{
    char out[2 * STORE_PASSKEY_ID_MAX];

    if (b64_encoded_len(len, true) > sizeof(out))
        return json_null();
    b64_encode(out, sizeof(out), bin, len, true);
    return json_string(out);
}

/* The base64url string @key of @o into @out (1..@cap bytes): 0, or a 422 naming it. */
static int b64_field(struct api_resp *resp, json_t *o, const char *key, bool required, uint8_t *out,
                     size_t cap, size_t *len, bool *present)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);

    *len = 0;
    if (present != NULL)
        *present = v != NULL && !json_is_null(v);
    if ((v == NULL || json_is_null(v)) && !required)
        return 0;
    if (s == NULL || b64_decode(out, cap, len, s, strlen(s), true) != 0 || *len == 0) {
        api_error_field(resp, key, "%s must be base64url (unpadded) of 1 to %zu bytes", key, cap);
        return ERR_INVALID;
    }
    return 0;
}

/*
 * The PRF extension's input: one for every passkey. The authenticator keys its PRF per
 * credential, so the outputs differ all the same; and a sign-in that names no account (no
 * allowCredentials) can ask every passkey the browser offers with it.
 */
static void prf_salt(uint8_t salt[STORE_PASSKEY_SALT_LEN])
{
    static const char label[] = "dissent passkey prf salt v1";

    hash_sha256(salt, label, sizeof(label) - 1);
}

/* The account's WebAuthn user handle: stable, and no name in it. */
static json_t *user_handle(const struct user *u)
{
    uint8_t h[HASH_SHA256_LEN];
    char in[USERNAME_MAX + 32];

    snprintf(in, sizeof(in), "dissent user handle %lld", (long long)u->id);
    hash_sha256(h, in, strlen(in));
    return b64url(h, 16);
}

/* The caller's password, checked like a sign-in's (throttled): 0, or the answer is set. */
static int password_again(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *pw;
    int rc;

    if (api_get_string(resp, req->json, "password", true, 1024, &pw) != 0)
        return ERR_INVALID;
    rc = session_password_check(env->st, &env->policy, &req->user, pw, strlen(pw), req->addr,
                                req->now, &resp->retry_after);
    if (rc == ERR_RATE)
        api_error(resp, 429, "rate_limited", "too many failed attempts; try again later");
    else if (rc == ERR_UNAUTH)
        api_error_field(resp, "password", "that is not your password");
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    return rc;
}

/*
 * Adding or deleting a passkey, once the account has a second factor (TOTP on, or a passkey),
 * needs it too: an answer of one of its passkeys ("passkey", from the sign-in options) or a TOTP
 * "code". Whoever holds a session and the password, and nothing more, cannot add or remove a
 * way in. 0, or the answer is set.
 */
static int factor_again(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    json_t *pkv = json_object_get(req->json, "passkey");
    struct api_passkey_answer *pk = NULL;
    struct passkey_row row;
    struct user_totp t;
    char why[200] = "";
    bool totp_on;
    size_t npk = 0;
    int rc;

    if ((rc = passkey_count(env->st, req->user.id, &npk)) != 0 ||
        ((rc = store_totp_get(env->st, req->user.id, &t)) != 0 && rc != ERR_NOT_FOUND)) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    totp_on = rc == 0 && t.enabled;
    wipe(&t, sizeof(t));
    if (npk == 0 && !totp_on)
        return 0;
    if (pkv != NULL && npk > 0) {
        if ((pk = mem_alloc(sizeof(*pk))) == NULL) {
            api_error_rc(resp, ERR_NOMEM, NULL);
            return ERR_NOMEM;
        }
        if ((rc = api_passkey_assertion(env, req, resp, pkv, pk)) == 0) {
            rc = passkey_verify(env->st, &pk->rp, &pk->a, req->user.id, req->now, &row, why,
                                sizeof(why));
            if (rc == ERR_CRYPTO || rc == ERR_NOT_FOUND || rc == ERR_INVALID || rc == ERR_CONFLICT)
                api_error(resp, 422, "passkey_refused", "%s", why[0] ? why : "the passkey failed");
            else if (rc != 0)
                api_error_rc(resp, rc, NULL);
        }
        wipe(&row, sizeof(row));
        wipe(pk, sizeof(*pk));
        mem_free(pk);
        return rc;
    }
    if (totp_on && json_object_get(req->json, "code") != NULL) {
        if ((rc = api_totp_check_code(env, req, resp, false, &t)) != 0)
            return rc;
        if ((rc = store_totp_update(env->st, &t)) != 0)
            api_error_rc(resp, rc == ERR_CONFLICT ? ERR_BUSY : rc, NULL);
        wipe(&t, sizeof(t));
        return rc;
    }
    if (npk > 0 && totp_on)
        api_error(resp, 403, "second_factor_required",
                  "confirm with one of your passkeys or the code from your authenticator app: "
                  "your account has a second factor already");
    else if (npk > 0)
        api_error(resp, 403, "second_factor_required",
                  "confirm with one of your passkeys: your account has a second factor already");
    else
        api_error(resp, 403, "second_factor_required",
                  "confirm with the code from your authenticator app: your account has a second "
                  "factor already");
    return ERR_FORBIDDEN;
}

void api_passkey_options(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    uint8_t challenge[WEBAUTHN_CHALLENGE_LEN], salt[STORE_PASSKEY_SALT_LEN];
    struct passkey_row *rows = NULL;
    struct passkey_rp rp;
    json_t *exclude;
    size_t n = 0;
    int rc;

    if (api_passkey_rp(env, req, &rp) != 0) {
        api_error(resp, 500, "no_origin", "the server has no origin to register passkeys for");
        return;
    }
    if ((rc = store_passkey_list(env->st, req->user.id, &rows, &n)) != 0 ||
        (rc = passkey_challenge(env->st, STORE_CHALLENGE_REGISTER, req->user.id, req->now,
                                challenge)) != 0) {
        mem_free(rows);
        api_error_rc(resp, rc, NULL);
        return;
    }
    prf_salt(salt);
    exclude = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(exclude, json_pack("{s:s, s:o}", "type", "public-key", "id",
                                                 b64url(rows[i].cred_id, rows[i].cred_id_len)));
    wipe(rows, n * sizeof(*rows));
    mem_free(rows);
    api_ok(resp, 200,
           json_pack("{s:{s:o, s:{s:s, s:s}, s:{s:o, s:s, s:s}, s:[{s:s, s:i}, {s:s, s:i}],"
                     " s:i, s:s, s:{s:s, s:s}, s:o, s:{s:{s:{s:o}}}}, s:o}",
                     "publicKey", "challenge", b64url(challenge, sizeof(challenge)), "rp", "id",
                     rp.rp_id, "name", "Dissent", "user", "id", user_handle(&req->user), "name",
                     req->user.username, "displayName",
                     req->user.display_name[0] ? req->user.display_name : req->user.username,
                     "pubKeyCredParams", "type", "public-key", "alg", WEBAUTHN_EDDSA, "type",
                     "public-key", "alg", WEBAUTHN_ES256, "timeout", PASSKEY_TIMEOUT_MS,
                     "attestation", "none", "authenticatorSelection", "residentKey", "required",
                     "userVerification", "required", "excludeCredentials", exclude, "extensions",
                     "prf", "eval", "first", b64url(salt, sizeof(salt)), "prf_salt",
                     b64url(salt, sizeof(salt))));
}

static json_t *passkey_json(const struct passkey_row *r)
{
    return json_pack("{s:I, s:s, s:s, s:b, s:I, s:o}", "id", (json_int_t)r->id, "name", r->name,
                     "algorithm", r->alg == WEBAUTHN_ES256 ? "ES256" : "EdDSA", "unlocks_keys",
                     r->has_prf, "created_at", (json_int_t)r->created_at, "last_used_at",
                     r->last_used_at ? json_integer(r->last_used_at) : json_null());
}

void api_passkey_register(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"name",
                                         "client_data_json",
                                         "attestation_object",
                                         "prf",
                                         "prf_salt",
                                         "password",
                                         "passkey",
                                         "code",
                                         NULL};
    uint8_t *att = NULL, prf[PASSKEY_PRF_LEN], salt[STORE_PASSKEY_SALT_LEN];
    char *cdj = NULL, why[256] = "";
    const struct user_keys *k = NULL;
    struct passkey_registration reg = {0};
    struct passkey_row row;
    struct passkey_rp rp;
    size_t cdj_len = 0, att_len = 0, prf_len = 0, salt_len = 0;
    bool has_prf = false;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "name", true, STORE_PASSKEY_NAME_MAX, &reg.name) != 0)
        return;
    if ((cdj = mem_alloc(WEBAUTHN_CLIENT_DATA_MAX + 1)) == NULL ||
        (att = mem_alloc(WEBAUTHN_ATTOBJ_MAX)) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    if (b64_field(resp, req->json, "client_data_json", true, (uint8_t *)cdj,
                  WEBAUTHN_CLIENT_DATA_MAX, &cdj_len, NULL) != 0 ||
        b64_field(resp, req->json, "attestation_object", true, att, WEBAUTHN_ATTOBJ_MAX, &att_len,
                  NULL) != 0 ||
        b64_field(resp, req->json, "prf", false, prf, sizeof(prf), &prf_len, &has_prf) != 0 ||
        b64_field(resp, req->json, "prf_salt", has_prf, salt, sizeof(salt), &salt_len, NULL) != 0)
        goto out;
    if (has_prf && (prf_len != sizeof(prf) || salt_len != sizeof(salt))) {
        api_error_field(resp, "prf", "prf and prf_salt are 32 bytes each");
        goto out;
    }
    if (has_prf) {
        uint8_t want[STORE_PASSKEY_SALT_LEN];
        prf_salt(want);
        if (sodium_memcmp(want, salt, sizeof(want)) != 0) {
            api_error_field(resp, "prf_salt", "prf_salt is not the one the options gave");
            goto out;
        }
    }
    /* whoever holds a session alone does not add a way in: the password first, and the second
     * factor the account has already */
    if (password_again(env, req, resp) != 0 || factor_again(env, req, resp) != 0)
        goto out;
    if (api_passkey_rp(env, req, &rp) != 0) {
        api_error(resp, 500, "no_origin", "the server has no origin to register passkeys for");
        goto out;
    }
    if (has_prf && (rc = keyring_user_keys(&req->kr, &k, why, sizeof(why))) != 0) {
        api_error(resp, 403, "no_key", "%s", why);
        goto out;
    }
    cdj[cdj_len] = '\0';
    reg.client_data = cdj;
    reg.client_data_len = cdj_len;
    reg.attestation = att;
    reg.attestation_len = att_len;
    reg.prf = has_prf ? prf : NULL;
    reg.prf_salt = has_prf ? salt : NULL;
    rc = passkey_register(env->st, &rp, &req->user, k, &reg, req->now, &row, why, sizeof(why));
    if (rc == ERR_CRYPTO)
        api_error(resp, 422, "passkey_refused", "%s", why);
    else if (rc == ERR_EXISTS)
        api_error(resp, 409, "exists", "%s", why);
    else if (rc == ERR_TOO_LARGE)
        api_error(resp, 409, "too_many", "%s", why);
    else if (rc == ERR_INVALID)
        api_error_field(resp, strncmp(why, "name", 4) == 0 ? "name" : "client_data_json", "%s",
                        why);
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    else
        api_ok(resp, 201, passkey_json(&row));
    wipe(&row, sizeof(row));
out:
    wipe(prf, sizeof(prf));
    mem_free(cdj);
    mem_free(att);
}

void api_passkey_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct passkey_row *rows = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    if ((rc = store_passkey_list(env->st, req->user.id, &rows, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, passkey_json(&rows[i]));
    wipe(rows, n * sizeof(*rows));
    mem_free(rows);
    api_ok(resp, 200, json_pack("{s:o}", "passkeys", arr));
}

void api_passkey_delete(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"password", "passkey", "code", NULL};
    const char *id_s = http_route_param(&req->params, "id");
    int64_t id = 0;
    int rc;

    if (id_s == NULL || str_parse_i64(id_s, 1, INT64_MAX, &id) != 0) {
        api_error(resp, 404, "passkey_not_found", "you have no passkey of that id");
        return;
    }
    if (api_fields_allowed(resp, req->json, fields) != 0 || password_again(env, req, resp) != 0 ||
        factor_again(env, req, resp) != 0)
        return;
    rc = store_passkey_delete(env->st, req->user.id, id);
    if (rc == ERR_NOT_FOUND)
        api_error(resp, 404, "passkey_not_found", "you have no passkey of that id");
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    else
        api_ok(resp, 204, NULL);
}

void api_passkey_signin_options(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    uint8_t challenge[WEBAUTHN_CHALLENGE_LEN], salt[STORE_PASSKEY_SALT_LEN];
    struct passkey_rp rp;
    int rc;

    if (api_passkey_rp(env, req, &rp) != 0) {
        api_error(resp, 500, "no_origin", "the server has no origin for passkeys");
        return;
    }
    if (api_start_throttle(env, req, resp) != 0)
        return;
    if ((rc = passkey_challenge(env->st, STORE_CHALLENGE_SIGNIN, 0, req->now, challenge)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    prf_salt(salt);
    /* no allowCredentials: the browser offers the passkeys it holds for this RP (they are
     * discoverable), and the answer says nothing of which usernames have passkeys */
    api_ok(resp, 200,
           json_pack("{s:{s:o, s:s, s:i, s:s, s:[], s:{s:{s:{s:o}}}}, s:b}", "publicKey",
                     "challenge", b64url(challenge, sizeof(challenge)), "rpId", rp.rp_id, "timeout",
                     PASSKEY_TIMEOUT_MS, "userVerification", "required", "allowCredentials",
                     "extensions", "prf", "eval", "first", b64url(salt, sizeof(salt)),
                     "passwordless", env->cfg->passwordless));
}

int api_passkey_assertion(struct api_env *env, struct api_req *req, struct api_resp *resp,
                          json_t *o, struct api_passkey_answer *out)
{
    static const char *const fields[] = {
        "id", "client_data_json", "authenticator_data", "signature", "prf", "user_handle", NULL};
    bool has_prf = false;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(o)) {
        api_error_field(resp, "passkey", "passkey must be an object");
        return ERR_INVALID;
    }
    if (api_fields_allowed(resp, o, fields) != 0 ||
        b64_field(resp, o, "id", true, out->cred_id, sizeof(out->cred_id), &out->a.cred_id_len,
                  NULL) != 0 ||
        b64_field(resp, o, "client_data_json", true, (uint8_t *)out->client_data,
                  sizeof(out->client_data) - 1, &out->a.client_data_len, NULL) != 0 ||
        b64_field(resp, o, "authenticator_data", true, out->auth_data, sizeof(out->auth_data),
                  &out->a.auth_data_len, NULL) != 0 ||
        b64_field(resp, o, "signature", true, out->sig, sizeof(out->sig), &out->a.sig_len, NULL) !=
            0 ||
        b64_field(resp, o, "prf", false, out->prf, sizeof(out->prf), &n, &has_prf) != 0)
        return ERR_INVALID;
    if (has_prf && n != sizeof(out->prf)) {
        api_error_field(resp, "prf", "prf is 32 bytes");
        return ERR_INVALID;
    }
    if (api_passkey_rp(env, req, &out->rp) != 0) {
        api_error(resp, 500, "no_origin", "the server has no origin for passkeys");
        return ERR_INVALID;
    }
    out->client_data[out->a.client_data_len] = '\0';
    out->a.cred_id = out->cred_id;
    out->a.client_data = out->client_data;
    out->a.auth_data = out->auth_data;
    out->a.sig = out->sig;
    out->a.prf = has_prf ? out->prf : NULL;
    return 0;
}
