/*
 * api.c - the route table and the checks every request passes before its handler:
 * route and method, CSRF, session, roles, body.
 */
#include "api/api.h"
#include "core/channels.h"

#include "core/lang.h"
#include "core/oidc.h"
#include "core/workflow.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "http/cookie.h"
#include "http/json.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"
#include "util/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANY 0u
#define ADMIN ROLE_ADMIN
#define STAFF ROLE_STAFF
#define OFFICER ROLE_OFFICER
#define HEAD ROLE_HEAD
#define READERS (ROLE_STAFF | ROLE_OFFICER | ROLE_PRINCIPAL)
#define VISIBLE (WF_DRAFTER | WF_INVITED | WF_PRINCIPAL | WF_OFFICER)
#define SIGNERS (WF_DRAFTER | WF_INVITED)
#define M "/api/v1/memos/{id}"

/*
 * The one table: method, pattern, handler, roles allowed, flags, the relations to the route's
 * memo that are allowed, and the query parameters it reads. A memo the caller cannot see at all is
 * 404; a visible memo with a relation the route does not allow is 403. Auditors and admins hold
 * none of the READERS roles and so get 403 on every content route, whatever the memo.
 */
static const struct api_route routes[] = {
    {API_GET, "/healthz", api_health, ANY, API_R_PUBLIC, 0, NULL},
    {API_GET, "/readyz", api_ready, ANY, API_R_PUBLIC, 0, NULL},
    /* Prometheus text for the operator's monitoring: a bearer token, no session */
    {API_GET, "/metrics", api_metrics, ANY, API_R_PUBLIC | API_R_METRICS, 0, NULL},
    {API_POST, "/api/v1/session", api_session_create, ANY, API_R_PUBLIC | API_R_SLOW | API_R_JSON,
     0, NULL},
    {API_DELETE, "/api/v1/session", api_session_delete, ANY, API_R_PUBLIC, 0, NULL},
    {API_GET, "/api/v1/me", api_me, ANY, API_R_2FA_SETUP | API_R_REKEY, 0, NULL},
    {API_PATCH, "/api/v1/me", api_me_patch, ANY, API_R_JSON | API_R_2FA_SETUP | API_R_REKEY, 0,
     NULL},
    /* TOTP: enrolment stays open to an account whose role requires it (API_R_2FA_SETUP) */
    {API_POST, "/api/v1/me/totp", api_totp_enrol, ANY,
     API_R_SLOW | API_R_JSON_OPT | API_R_2FA_SETUP, 0, NULL},
    /* t: the web interface's cache-buster (a new enrolment is a new image), read by no one */
    {API_GET, "/api/v1/me/totp/qr.svg", api_totp_qr, ANY, API_R_2FA_SETUP, 0, "t"},
    {API_POST, "/api/v1/me/totp/confirm", api_totp_confirm, ANY, API_R_JSON | API_R_2FA_SETUP, 0,
     NULL},
    {API_POST, "/api/v1/me/totp/recovery-codes", api_totp_recovery_codes, ANY, API_R_JSON, 0, NULL},
    {API_DELETE, "/api/v1/me/totp", api_totp_disable, ANY, API_R_JSON, 0, NULL},
    /* passkeys (core/passkey.h): registered as a second factor, which a role may require */
    {API_POST, "/api/v1/me/passkeys/options", api_passkey_options, ANY, API_R_2FA_SETUP, 0, NULL},
    {API_POST, "/api/v1/me/passkeys", api_passkey_register, ANY,
     API_R_SLOW | API_R_JSON | API_R_2FA_SETUP, 0, NULL},
    {API_GET, "/api/v1/me/passkeys", api_passkey_list, ANY, API_R_2FA_SETUP, 0, NULL},
    {API_DELETE, "/api/v1/me/passkeys/{id}", api_passkey_delete, ANY, API_R_SLOW | API_R_JSON, 0,
     NULL},
    {API_POST, "/api/v1/session/passkey", api_passkey_signin_options, ANY, API_R_PUBLIC, 0, NULL},
    /* single sign-on through the OpenID provider (api/sso.c); the callback is the provider's
     * redirect back, with what RFC 6749 and RFC 9207 put in its query */
    {API_GET, "/api/v1/sso", api_sso_get, ANY, API_R_PUBLIC, 0, NULL},
    {API_POST, "/api/v1/sso/start", api_sso_start, ANY, API_R_PUBLIC | API_R_SLOW, 0, NULL},
    {API_GET, "/api/v1/sso/callback", api_sso_callback, ANY, API_R_PUBLIC | API_R_SLOW, 0,
     "code state error error_description error_uri iss session_state scope"},
    {API_GET, "/api/v1/users", api_users_list, ADMIN, 0, 0, "after limit"},
    {API_POST, "/api/v1/users", api_users_create, ADMIN, API_R_JSON, 0, NULL},
    {API_PATCH, "/api/v1/users/{username}", api_users_patch, ADMIN, API_R_JSON, 0, NULL},
    {API_POST, "/api/v1/users/{username}/reset", api_users_reset, ADMIN, 0, 0, NULL},
    {API_GET, "/api/v1/users/search", api_users_search, STAFF | OFFICER, 0, 0, "q role"},
    {API_GET, "/api/v1/users/{username}/key", api_users_key, ANY, 0, 0, NULL},
    {API_GET, "/api/v1/memos", api_memos_list, READERS, 0, 0,
     "state role deadline limit after q from to assigned approval"},
    {API_POST, "/api/v1/memos", api_memos_create, STAFF, API_R_JSON, 0, NULL},
    {API_GET, M, api_memos_get, READERS, 0, VISIBLE, NULL},
    {API_PATCH, M, api_memos_patch, STAFF, API_R_JSON, WF_DRAFTER, NULL},
    {API_DELETE, M, api_memos_delete, STAFF, API_R_NOKEY, WF_DRAFTER, NULL},
    {API_POST, M "/finalize", api_memos_action, STAFF, 0, WF_DRAFTER, NULL},
    {API_POST, M "/reopen", api_memos_reopen, STAFF, API_R_JSON_OPT, WF_DRAFTER, NULL},
    {API_POST, M "/file", api_memos_action, STAFF, 0, WF_DRAFTER, NULL},
    {API_POST, M "/withdraw", api_memos_action, STAFF, 0, WF_DRAFTER, NULL},
    {API_POST, M "/invitations", api_memos_invite, STAFF, API_R_JSON, WF_DRAFTER, NULL},
    {API_POST, M "/reshare", api_memos_reshare, STAFF, API_R_JSON, SIGNERS, NULL},
    {API_DELETE, M "/invitations/me", api_memos_decline_invitation, STAFF, 0, WF_INVITED, NULL},
    /* on the pool: many signers wait on one group commit together (core/workflow.c) */
    {API_POST, M "/signatures", api_memos_sign, STAFF, API_R_SLOW, SIGNERS, NULL},
    {API_DELETE, M "/signatures/me", api_memos_unsign, STAFF, API_R_NOKEY, SIGNERS, NULL},
    {API_POST, M "/acknowledge", api_memos_action, OFFICER, 0, WF_OFFICER, NULL},
    {API_POST, M "/decline", api_memos_decline, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/distribution", api_memos_distribute, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/assignment", api_memos_assign, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/extend", api_memos_extend, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/reply", api_memos_reply, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/interim", api_memos_interim, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/close", api_memos_action, OFFICER, 0, WF_OFFICER, NULL},
    /* the officers' side of the reply: notes, drafts, clearance, the head's approval
     * (core/review.h) */
    {API_POST, M "/notes", api_memos_note, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_PUT, M "/reply-draft", api_memos_review_save, OFFICER, API_R_JSON, WF_OFFICER, NULL},
    {API_POST, M "/reply-draft/clearance", api_memos_review_ask, OFFICER, API_R_JSON, WF_OFFICER,
     NULL},
    {API_POST, M "/reply-draft/clear", api_memos_review_step, OFFICER, 0, WF_OFFICER, NULL},
    {API_POST, M "/reply-draft/submit", api_memos_review_step, OFFICER, 0, WF_OFFICER, NULL},
    {API_POST, M "/reply-draft/return", api_memos_review_return, HEAD, API_R_JSON, WF_OFFICER,
     NULL},
    {API_POST, M "/reply-draft/approve", api_memos_review_approve, HEAD, API_R_JSON, WF_OFFICER,
     NULL},
    /* the drafter's turn after the reply (core/workflow.h) */
    {API_POST, M "/accept", api_memos_action, STAFF, 0, WF_DRAFTER, NULL},
    {API_POST, M "/clarify", api_memos_clarify, STAFF, API_R_JSON, WF_DRAFTER, NULL},
    /* new facts after the answer: a new memo, linked (core/workflow.h) */
    {API_POST, M "/addendum", api_memos_addendum, STAFF, API_R_JSON, WF_DRAFTER, NULL},
    /* a draft's files (api/attach.c): added and sent in parts by the drafter, read by all */
    {API_POST, M "/attachments", api_att_create, STAFF, API_R_JSON, WF_DRAFTER, NULL},
    {API_GET, M "/attachments/{att}", api_att_get, READERS, 0, VISIBLE, NULL},
    {API_PUT, M "/attachments/{att}", api_att_part, STAFF, API_R_RAW | API_R_SLOW, WF_DRAFTER,
     "offset"},
    {API_DELETE, M "/attachments/{att}", api_att_delete, STAFF, 0, WF_DRAFTER, NULL},
    {API_GET, M "/attachments/{att}/content", api_att_download, READERS, 0, VISIBLE, NULL},
    /* the record copy, as PDF (api/record.c): laid out on the pool */
    {API_GET, M "/record.pdf", api_memos_record, READERS, API_R_SLOW, VISIBLE, NULL},
    {API_GET, M "/comments", api_comments_list, READERS, 0, VISIBLE, NULL},
    {API_POST, M "/comments", api_comments_create, READERS, API_R_JSON, VISIBLE, NULL},
    {API_GET, M "/bundle", api_memos_bundle, STAFF | OFFICER, 0, SIGNERS | WF_OFFICER, NULL},
    {API_GET, "/api/v1/deadlines", api_deadlines, OFFICER, 0, 0, "limit after next deadline"},
    {API_GET, M "/audit", api_memos_audit, STAFF | OFFICER, API_R_NOKEY, WF_DRAFTER | WF_OFFICER,
     "after limit"},
    {API_GET, M "/receipt", api_memos_receipt, STAFF | OFFICER, API_R_NOKEY,
     WF_DRAFTER | WF_OFFICER, NULL},
    /* on the pool: the first request after a start reads the log (api/stats.c) */
    {API_GET, "/api/v1/stats", api_stats, ROLE_AUDITOR, API_R_LOG | API_R_SLOW, 0, "channel"},
    {API_GET, "/log/checkpoint", api_log_checkpoint, ROLE_AUDITOR, API_R_LOG, 0, NULL},
    /* what the log proves, as a page for anyone (api/public.c) */
    {API_GET, "/public", api_public, ROLE_AUDITOR, API_R_LOG | API_R_SLOW, 0, "lang channel"},
    {API_GET, "/log/{*path}", api_log_tile, ROLE_AUDITOR, API_R_LOG, 0, NULL},
    {API_GET, "/api/v1/channel/key", api_channel_key, ANY, 0, 0, NULL},
    {API_GET, "/api/v1/channel", api_channel_status, OFFICER, 0, 0, NULL},
    {API_POST, "/api/v1/channel/grants", api_channel_grant, OFFICER, API_R_JSON, 0, NULL},
    {API_GET, "/api/v1/channel/resets", api_channel_resets, OFFICER, 0, 0, NULL},
    {API_POST, "/api/v1/channel/resets/{username}/confirm", api_channel_reset_confirm, OFFICER,
     API_R_JSON, 0, NULL},
    {API_POST, "/api/v1/me/password", api_me_password, ANY, API_R_SLOW | API_R_JSON | API_R_REKEY,
     0, NULL},
    {API_POST, "/api/v1/recovery", api_recovery, ANY, API_R_PUBLIC | API_R_SLOW | API_R_JSON, 0,
     NULL},
    {API_POST, "/api/v1/enrol", api_enrol, ANY, API_R_PUBLIC | API_R_SLOW | API_R_JSON, 0, NULL},
    {API_POST, "/api/v1/preview", api_preview, READERS, API_R_JSON, 0, NULL},
    {API_GET, "/api/v1/outbox", api_outbox_list, ADMIN, 0, 0, "after limit"},
    /* the deployment's channels (core/channels.h): listed to all, managed by administrators */
    {API_GET, "/api/v1/channels", api_channels_list, ANY, 0, 0, NULL},
    {API_POST, "/api/v1/channels", api_channels_create, ADMIN, API_R_SLOW | API_R_JSON, 0, NULL},
    {API_PATCH, "/api/v1/channels/{slug}", api_channels_patch, ADMIN, API_R_SLOW | API_R_JSON, 0,
     NULL},
    /* the calendar run at runtime (core/calendar.h): read by all, changed by administrators */
    {API_GET, "/api/v1/calendar", api_calendar_get, ANY, 0, 0, NULL},
    /* on the pool: a change may move the deadlines of every running memo */
    {API_POST, "/api/v1/calendar/closures", api_calendar_closure_add, ADMIN,
     API_R_SLOW | API_R_JSON, 0, NULL},
    {API_DELETE, "/api/v1/calendar/closures/{id}", api_calendar_closure_remove, ADMIN, API_R_SLOW,
     0, NULL},
    {API_POST, "/api/v1/calendar/stops", api_calendar_stop_start, ADMIN, API_R_SLOW | API_R_JSON, 0,
     NULL},
    {API_POST, "/api/v1/calendar/stops/{id}/end", api_calendar_stop_end, ADMIN,
     API_R_SLOW | API_R_JSON_OPT, 0, NULL},
    /* the records officer's (api/records.c): legal holds and the retention schedule */
    {API_GET, "/api/v1/records/holds", api_records_holds, ROLE_RECORDS, 0, 0, NULL},
    {API_POST, "/api/v1/records/holds", api_records_hold, ROLE_RECORDS, API_R_SLOW | API_R_JSON, 0,
     NULL},
    {API_POST, "/api/v1/records/holds/{id}/lift", api_records_lift, ROLE_RECORDS,
     API_R_SLOW | API_R_JSON, 0, NULL},
    {API_GET, "/api/v1/records/schedule", api_records_schedule, ROLE_RECORDS, API_R_SLOW, 0, NULL},
    {API_GET, "/api/v1/me/notifications", api_me_notifications, ANY, 0, 0, NULL},
    {API_PATCH, "/api/v1/me/notifications", api_me_notifications_patch, ANY, API_R_JSON, 0, NULL},
    {API_GET, "/", api_web_index, ANY, API_R_PUBLIC, 0, "*"},
    {API_GET, "/assets/{*path}", api_web_asset, ANY, API_R_PUBLIC, 0, "*"},
};

const struct api_route *api_routes(size_t *count)
{
    *count = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

bool api_route_allows(unsigned method, const char *pattern, unsigned roles, unsigned rel)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct api_route *r = &routes[i];
        if (!(r->methods & method) || strcmp(r->pattern, pattern) != 0)
            continue;
        /* as dispatch checks them: the roles, then the relation to the memo */
        return (r->roles == ANY || (roles & r->roles) != 0) && (r->rel == 0 || (rel & r->rel) != 0);
    }
    return false;
}

void api_env_init(struct api_env *env, struct store *st, const struct config *cfg,
                  const struct channel *ch)
{
    memset(env, 0, sizeof(*env));
    env->st = st;
    env->cfg = cfg;
    env->ch = ch;
    env->pw.ops = cfg->argon2_ops;
    env->pw.mem = cfg->argon2_mem;
    env->policy.idle = cfg->session_idle;
    env->policy.lifetime = cfg->session_lifetime;
    env->policy.max_failures = cfg->login_max_failures;
    env->policy.window = cfg->login_window;
    env->policy.pw = env->pw;
    env->policy.passwordless = cfg->passwordless;
    /* without [oidc], an account linked before signs in with its password */
    env->policy.sso_passwords = !oidc_enabled(cfg) || cfg->oidc_passwords;
    env->policy.require_passkey = ch != NULL ? ch->require_passkey : 0;
}

void api_env_release(struct api_env *env)
{
    for (size_t i = 0; i < API_ME_SLOTS; i++)
        mem_free(env->me[i].text); /* (wiped as it is freed: util/mem.h) */
    memset(env->me, 0, sizeof(env->me));
}

const char *api_method_name(unsigned m)
{
    switch (m) {
    case API_GET:
        return "GET";
    case API_POST:
        return "POST";
    case API_PUT:
        return "PUT";
    case API_PATCH:
        return "PATCH";
    case API_DELETE:
        return "DELETE";
    default:
        return "";
    }
}

/* Find the route; on failure set 404 or 405 (with Allow). */
static const struct api_route *match(struct api_req *req, struct api_resp *resp)
{
    unsigned allowed = 0;
    enum api_method m = req->method == API_HEAD ? API_GET : req->method;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!http_route_match(routes[i].pattern, req->path, &req->params))
            continue;
        if (routes[i].methods & m)
            return &routes[i];
        allowed |= routes[i].methods;
        resp->route = routes[i].pattern;
    }
    if (allowed == 0) {
        api_error(resp, 404, "not_found", "no such resource");
        return NULL;
    }
    resp->allow[0] = '\0';
    for (unsigned bit = API_GET; bit <= API_DELETE; bit <<= 1) {
        if (!(allowed & bit))
            continue;
        if (resp->allow[0] != '\0')
            str_copy(resp->allow + strlen(resp->allow), sizeof(resp->allow) - strlen(resp->allow),
                     ", ");
        str_copy(resp->allow + strlen(resp->allow), sizeof(resp->allow) - strlen(resp->allow),
                 api_method_name(bit));
        if (bit == API_GET)
            str_copy(resp->allow + strlen(resp->allow), sizeof(resp->allow) - strlen(resp->allow),
                     ", HEAD");
    }
    api_error(resp, 405, "method_not_allowed", "method not allowed here");
    return NULL;
}

static bool unsafe(enum api_method m)
{
    return m == API_POST || m == API_PUT || m == API_PATCH || m == API_DELETE;
}

/*
 * CSRF: unsafe requests must carry "X-Requested-With: dissent" (a header no form or simple
 * cross-site request can set) and, when the browser sends Origin, come from our own origin.
 */
int api_own_origin(const struct api_env *env, const struct api_req *req, char *out, size_t len)
{
    if (env->cfg->origin[0] != '\0')
        return snprintf(out, len, "%s", env->cfg->origin) < (int)len ? 0 : ERR_INVALID;
    if (req->host == NULL)
        return ERR_INVALID;
    return snprintf(out, len, "%s://%s", env->cfg->behind_tls ? "https" : "http", req->host) <
                   (int)len
               ? 0
               : ERR_INVALID;
}

/*
 * An API_R_METRICS route: 404 while no [metrics] token is set (nothing to scrape), 401 unless the
 * request says "Authorization: Bearer TOKEN" with it. The two are compared as SHA-256 digests in
 * constant time, so neither the token nor its length leaks through timing.
 */
static bool metrics_allowed(const struct api_env *env, const struct api_req *req,
                            struct api_resp *resp)
{
    const char *t = env->cfg->metrics_token, *h = req->authorization;
    uint8_t want[HASH_SHA256_LEN], got[HASH_SHA256_LEN];
    bool ok;

    if (t[0] == '\0') {
        api_error(resp, 404, "not_found", "no such route");
        return false;
    }
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
        api_error(resp, 401, "unauthorized", "send the [metrics] token: Authorization: Bearer");
        return false;
    }
    hash_sha256(want, t, strlen(t));
    hash_sha256(got, h + 7, strlen(h + 7));
    ok = hash_equal(want, got, sizeof(want));
    if (!ok)
        api_error(resp, 401, "unauthorized", "the [metrics] token is wrong");
    return ok;
}

static bool csrf_ok(const struct api_env *env, const struct api_req *req)
{
    char own[600];

    if (req->requested_with == NULL || strcasecmp(req->requested_with, "dissent") != 0)
        return false;
    if (req->origin == NULL)
        return true;
    return api_own_origin(env, req, own, sizeof(own)) == 0 && strcmp(req->origin, own) == 0;
}

/* Look up the session from the cookie; leaves req->authed false when there is none. */
static int authenticate(struct api_env *env, struct api_req *req)
{
    int rc;

    if (req->cookie == NULL ||
        http_cookie_get(req->cookie, http_session_cookie_name(env->cfg->behind_tls), req->token,
                        sizeof(req->token)) != 0)
        return 0;
    rc = session_lookup(env->st, &env->policy, req->token, req->now, &req->session, &req->user);
    if (rc == 0) {
        req->authed = true;
        keyring_init(&req->kr, env->st, &req->user, &req->session, req->token);
    }
    return rc == ERR_UNAUTH ? 0 : rc;
}

static int parse_body(struct api_req *req, struct api_resp *resp)
{
    char msg[128];
    int rc;

    if (req->body_len == 0) {
        api_error(resp, 400, "malformed_json", "a JSON object body is required");
        return ERR_INVALID;
    }
    if (!http_json_is_json_type(req->content_type)) {
        api_error(resp, 415, "unsupported_media_type", "Content-Type must be application/json");
        return ERR_INVALID;
    }
    if ((rc = http_json_parse(req->body, req->body_len, &req->json, msg, sizeof(msg))) != 0) {
        if (rc == ERR_NOMEM)
            api_error_rc(resp, rc, NULL);
        else
            api_error(resp, 400, "malformed_json", "%s", msg);
        return rc;
    }
    return 0;
}

/* Open the memo's content key for the caller; 403 saying why when they cannot. */
int api_memo_key(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char why[256] = "";
    int rc;

    if (req->mkey == NULL && (req->mkey = keys_secure_alloc(ACCESS_KEY_LEN)) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return ERR_NOMEM;
    }
    rc = access_memo_key(&req->kr, &req->memo, req->mkey, why, sizeof(why));
    if (rc == ERR_FORBIDDEN) {
        api_error(resp, 403, "no_key", "%s", why);
        return rc;
    }
    if (rc != 0)
        api_error_rc(resp, rc, NULL);
    return rc;
}

/*
 * Load the route's {id} memo and the caller's relation to it: 404 when it does not exist or the
 * caller cannot see it (the same answer, so existence does not leak), 403 when the caller sees it
 * but the route needs another relation.
 */
static int load_memo(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *id = http_route_param(&req->params, "id");
    int rc;

    if (id == NULL || !memo_id_valid(id)) {
        api_error(resp, 404, "not_found", "no such memo");
        return ERR_NOT_FOUND;
    }
    rc = store_memo_get(env->st, id, &req->memo);
    if (rc == 0) {
        req->has_memo = true;
        rc = workflow_relation(env->st, &req->memo, &req->user, &req->rel);
    }
    if (rc == ERR_NOT_FOUND || (rc == 0 && req->rel == 0)) {
        api_error(resp, 404, "not_found", "no such memo");
        return ERR_NOT_FOUND;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    if ((req->rel & req->route->rel) == 0) {
        if ((req->rel & WF_RECUSED) && (req->route->rel & WF_OFFICER))
            api_error(resp, 403, "recused",
                      "you are recused from this memo (you drafted it or were invited to "
                      "co-sign it, or an administrator reset your account since it was filed): "
                      "another officer handles it");
        else
            api_error(resp, 403, "forbidden", "your relation to this memo does not allow this");
        return ERR_FORBIDDEN;
    }
    /* the rules of the memo's channel: its deadlines, calendar, principals (core/channels.h) */
    if ((rc = api_channel_of(env, req, req->memo.channel_id, &req->ch)) == ERR_INVALID) {
        api_error(resp, 500, "channel_settings",
                  "the settings of this memo's channel no longer make a channel with the "
                  "deployment's: an administrator corrects them (the server's log says which)");
        return rc;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    if (req->route->flags & API_R_NOKEY)
        return 0;
    return api_memo_key(env, req, resp);
}

int api_channel_of(struct api_env *env, struct api_req *req, int64_t id, const struct channel **out)
{
    int rc;

    *out = env->ch;
    if (id < 1 || id > CHANNELS_MAX)
        id = 1; /* (a row made before channels says 1 too) */
    if (req->chs[id] != NULL) {
        *out = req->chs[id];
        return 0;
    }
    if ((rc = channel_of(env->ch, env->st, id, &req->chs[id])) != 0)
        return rc;
    *out = req->chs[id];
    return 0;
}

/*
 * Answer 503 instead of a success when an allocation was refused on this thread since
 * @refused. jansson, for one, drops an object member or array element it cannot allocate
 * without telling its caller: a success answered then could be missing a field.
 */
static void refuse_partial(struct api_resp *resp, unsigned long refused)
{
    if (mem_failures() != refused && resp->status < 400)
        api_error_rc(resp, ERR_NOMEM, NULL);
}

static enum api_next prepare(struct api_env *env, struct api_req *req, struct api_resp *resp);

static bool lang_known(const char *code)
{
    return lang_find(code) != NULL;
}

/*
 * The language of the request's messages (util/msg.h), chosen at its first one: the
 * Accept-Language the request sends (the web interface sends English: errors.js reads the
 * message to choose its own sentence), else its account's choice (PATCH /api/v1/me, kept in the
 * account's row), else English. Before the session is known the choice is provisional: a message
 * written then (a refused session) is in the header's language or English, and the account's is
 * taken at the next one.
 */
static int choose_language(void *arg, char *out, size_t len, bool *final)
{
    struct api_req *req = arg;

    if (msg_accept_language(req->accept_language, lang_known, out, len) == 0) {
        *final = true;
        return 0;
    }
    out[0] = '\0';
    if (!req->authed)
        return 0; /* no session yet: English, and the account's once it is known */
    /* the account's, read with it (no query of its own: the first message may be written
     * anywhere, a transaction included) */
    *final = true;
    if (lang_known(req->user.language))
        str_copy(out, len, req->user.language);
    return 0;
}

enum api_next api_prepare(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    enum api_next next;

    msg_thread_chooser(choose_language, req);
    next = prepare(env, req, resp);
    msg_thread_chooser(NULL, NULL);
    return next;
}

static enum api_next prepare(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    unsigned long refused = mem_failures();
    const struct api_route *r;
    int rc;

    resp->route = "-";
    resp->status = 500;
    if (env->ch != NULL)
        req->now = channel_now(env->ch);
    if ((r = match(req, resp)) == NULL)
        return API_DONE;
    req->route = r;
    resp->route = r->pattern;

    if (unsafe(req->method) && !csrf_ok(env, req)) {
        api_error(resp, 403, "csrf",
                  "cross-site request refused: send X-Requested-With: dissent from our origin");
        return API_DONE;
    }
    if ((rc = authenticate(env, req)) != 0) {
        api_error_rc(resp, rc, "the session store is unavailable");
        return API_DONE;
    }
    if ((r->flags & API_R_METRICS) && !metrics_allowed(env, req, resp))
        return API_DONE;
    if (!(r->flags & API_R_PUBLIC) && !((r->flags & API_R_LOG) && env->ch && env->ch->log_public)) {
        if (!req->authed) {
            api_error(resp, 401, "unauthorized", "sign in first");
            return API_DONE;
        }
        if (r->roles != ANY && (req->user.roles & r->roles) == 0) {
            api_error(resp, 403, "forbidden", "your role does not allow this");
            return API_DONE;
        }
        /* keys an administrator's password wrapped: a new password (and new keys) first */
        if (req->authed && (req->user.flags & STORE_USER_REKEY) &&
            !(r->flags & (API_R_REKEY | API_R_2FA_SETUP))) {
            api_error(resp, 403, "password_change_required",
                      "your keys were made under a password an administrator chose: choose a "
                      "new password first (POST /api/v1/me/password), which gives you new keys");
            return API_DONE;
        }
        if (!(r->flags & (API_R_2FA_SETUP | API_R_REKEY)) && req->authed) {
            bool needed = false, passkey = false;
            if ((rc = api_factor_needed(env, req, &needed, &passkey)) != 0) {
                api_error_rc(resp, rc, NULL);
                return API_DONE;
            }
            if (needed && passkey) {
                api_error(resp, 403, "passkey_enrolment_required",
                          "your role requires a passkey to sign in: register one first "
                          "(POST /api/v1/me/passkeys)");
                return API_DONE;
            }
            if (needed) {
                api_error(resp, 403, "totp_enrolment_required",
                          "your role requires two-factor sign-in: set it up first "
                          "(POST /api/v1/me/totp)");
                return API_DONE;
            }
        }
    }
    if ((r->flags & API_R_JSON) && parse_body(req, resp) != 0)
        return API_DONE;
    if ((r->flags & API_R_JSON_OPT) && req->body_len > 0 && parse_body(req, resp) != 0)
        return API_DONE;
    if ((r->flags & API_R_RAW) &&
        (req->content_type == NULL ||
         strncasecmp(req->content_type, "application/octet-stream", 24) != 0 ||
         (req->content_type[24] != '\0' && req->content_type[24] != ';'))) {
        api_error(resp, 415, "unsupported_media_type",
                  "Content-Type must be application/octet-stream");
        return API_DONE;
    }
    if (!(r->flags & (API_R_JSON | API_R_JSON_OPT | API_R_RAW)) && req->body_len > 0) {
        api_error(resp, 400, "unexpected_body", "this request takes no body");
        return API_DONE;
    }
    if (req->query != NULL && !(r->query != NULL && strcmp(r->query, "*") == 0)) {
        char key[HTTP_QUERY_KEY_MAX];
        if (http_query_check(req->query, r->query ? r->query : "", key, sizeof(key)) != 0) {
            api_error_field(resp, key,
                            "%s is not a query parameter of this route, is given twice, or is "
                            "badly %%-encoded",
                            key);
            return API_DONE;
        }
    }
    if (r->rel != 0 && load_memo(env, req, resp) != 0)
        return API_DONE;
    if (mem_failures() != refused) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return API_DONE;
    }
    if (r->flags & API_R_SLOW)
        return API_SLOW;
    r->handler(env, req, resp);
    refuse_partial(resp, refused);
    return API_DONE;
}

void api_run(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    unsigned long refused = mem_failures();

    /* the keyring was made on the event loop's connection: this thread has its own */
    req->kr.st = env->st;
    msg_thread_chooser(choose_language, req);
    req->route->handler(env, req, resp);
    refuse_partial(resp, refused);
    msg_thread_chooser(NULL, NULL);
}

void api_req_release(struct api_req *req)
{
    json_decref(req->json);
    req->json = NULL;
    if (req->has_memo)
        store_memo_release(&req->memo);
    req->has_memo = false;
    keyring_release(&req->kr);
    keys_secure_free(req->mkey);
    req->mkey = NULL;
    wipe(req->token, sizeof(req->token));
}

void api_resp_release(struct api_resp *resp)
{
    if (resp->stream_free != NULL)
        resp->stream_free(resp->stream_arg);
    resp->stream_free = NULL;
    resp->stream_arg = NULL;
    mem_free(resp->disposition);
    resp->disposition = NULL;
    json_decref(resp->body);
    resp->body = NULL;
    mem_free(resp->raw);
    resp->raw = NULL;
}
