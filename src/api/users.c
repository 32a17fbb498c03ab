/*
 * users.c - account administration: GET|POST /api/v1/users, PATCH /api/v1/users/{username}.
 * Admin only (enforced by the route table).
 */
#include "api/api.h"

#include "core/access.h"
#include "core/channels.h"
#include "core/enrol.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USERS_PAGE_DEFAULT 50
#define USERS_PAGE_MAX 200

void api_users_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char after[USERNAME_MAX + 1] = "", lim[16];
    int64_t limit = USERS_PAGE_DEFAULT;
    struct user *users = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    rc = http_query_get(req->query, "after", after, sizeof(after));
    if (rc != 0 && rc != ERR_NOT_FOUND) {
        api_error_field(resp, "after", "after must be a username");
        return;
    }
    rc = http_query_get(req->query, "limit", lim, sizeof(lim));
    if (rc == 0 && str_parse_i64(lim, 1, USERS_PAGE_MAX, &limit) != 0)
        rc = ERR_INVALID;
    if (rc != 0 && rc != ERR_NOT_FOUND) {
        api_error_field(resp, "limit", "limit must be 1 to %d", USERS_PAGE_MAX);
        return;
    }
    if ((rc = store_user_list(env->st, after, (int)limit, &users, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, api_user_json(&users[i]));
    api_ok(resp, 200,
           json_pack("{s:o, s:o}", "users", arr, "next",
                     n == (size_t)limit ? json_string(users[n - 1].username) : json_null()));
    mem_free(users);
}

/* The "roles" array into a bit set; 422 on anything else. */
static int roles_from_json(struct api_resp *resp, json_t *v, unsigned *out)
{
    size_t i;
    json_t *item;

    *out = 0;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > ROLE_COUNT)
        goto bad;
    json_array_foreach(v, i, item)
    {
        unsigned bit = 0;
        if (!json_is_string(item) || user_roles_parse(json_string_value(item), &bit) != 0 ||
            (*out & bit) != 0 || (bit & (bit - 1)) != 0)
            goto bad;
        *out |= bit;
    }
    return 0;
bad:
    api_error_field(resp, "roles",
                    "roles must be a non-empty array of distinct names among staff, officer, "
                    "principal, auditor, admin, head, records");
    return ERR_INVALID;
}

/* Whether @roles is a set no account may hold (answered: 422). */
static bool roles_refused(struct api_resp *resp, unsigned roles)
{
    if ((roles & ROLE_HEAD) && !(roles & ROLE_OFFICER)) {
        api_error_field(resp, "roles", "the head is an officer too: give both officer and head");
        return true;
    }
    if (!user_roles_valid(roles)) {
        api_error(resp, 422, "roles_combined",
                  "admin and auditor cannot be combined with staff, officer, principal or head: "
                  "those who run the system must not hold its content");
        return true;
    }
    return false;
}

static int optional_texts(struct api_resp *resp, json_t *body, const char **display,
                          const char **email)
{
    if (api_get_string(resp, body, "display_name", false, DISPLAY_NAME_MAX, display) != 0 ||
        api_get_string(resp, body, "email", false, EMAIL_MAX, email) != 0)
        return ERR_INVALID;
    if (*display && !user_display_name_valid(*display)) {
        api_error_field(resp, "display_name", "display_name must be one line of text");
        return ERR_INVALID;
    }
    if (*email && !user_email_valid(*email)) {
        api_error_field(resp, "email", "email is not a valid address");
        return ERR_INVALID;
    }
    return 0;
}

/* The "enrolment" member of an answer that carries a new code. */
static json_t *enrolment_json(const struct user *u, const char *code)
{
    char expires[21];

    api_iso_time(expires, u->enrol_expires);
    return json_pack("{s:s, s:s, s:s}", "code", code, "expires_at", expires, "notice",
                     "Give this code to the person alone (it is shown once). With it they choose "
                     "their own password at /#/enrol; their keys are created then, and nobody "
                     "else ever holds them.");
}

static int channels_from_json(struct api_env *env, struct api_resp *resp, json_t *v, uint64_t *out);

void api_users_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "roles",    "display_name",
                                         "email",    "channels", NULL};
    char code[ENROL_CODE_TEXT_LEN + 1], err[160] = "";
    const char *username, *display, *email;
    uint64_t channels = 0;
    unsigned roles;
    struct user u;
    json_t *body;
    int rc;

    if (json_object_get(req->json, "password") != NULL) {
        api_error_field(resp, "password",
                        "an administrator cannot choose a user's password: the account is "
                        "created with an enrolment code, and the user chooses their own");
        return;
    }
    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &username) != 0)
        return;
    if (!user_username_valid(username)) {
        api_error_field(resp, "username", "username must be 1-64 characters of a-z 0-9 . _ -");
        return;
    }
    if (json_object_get(req->json, "roles") == NULL) {
        api_error_field(resp, "roles", "roles is required");
        return;
    }
    if (roles_from_json(resp, json_object_get(req->json, "roles"), &roles) != 0 ||
        optional_texts(resp, req->json, &display, &email) != 0)
        return;
    if (roles_refused(resp, roles))
        return;
    if (json_object_get(req->json, "channels") != NULL &&
        channels_from_json(env, resp, json_object_get(req->json, "channels"), &channels) != 0)
        return;
    rc =
        enrol_create(env->st, username, roles, channels, display ? display : "", email ? email : "",
                     req->now, env->cfg->enrolment_ttl, &u, code, err, sizeof(err));
    if (rc == ERR_EXISTS) {
        api_error(resp, 409, "exists", "that username is taken");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(resp->location, sizeof(resp->location), "/api/v1/users/%s", u.username);
    snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", (long long)u.version);
    body = api_user_json(&u);
    json_object_set_new(body, "enrolment", enrolment_json(&u, code));
    wipe(code, sizeof(code));
    api_ok(resp, 201, body);
}

static void last_holder_error(struct api_resp *resp)
{
    api_error(resp, 409, "last_channel_holder",
              "this is the last active officer holding the channel key: grant it to another "
              "officer first, or filed memos would become unreadable");
}

/* The "channels" array (1 to 64 slugs of channels: where the account's officer, head and
 * principal roles apply) into a set; 422 naming "channels" on anything else. */
static int channels_from_json(struct api_env *env, struct api_resp *resp, json_t *v, uint64_t *out)
{
    struct channel_row *rows = NULL;
    size_t n = 0, i;
    json_t *item;
    uint64_t set = 0;
    int rc;

    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > CHANNELS_MAX) {
        api_error_field(resp, "channels", "channels: an array of 1 to %d channels' short names",
                        CHANNELS_MAX);
        return ERR_INVALID;
    }
    if ((rc = channels_list(env->st, &rows, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return rc;
    }
    json_array_foreach(v, i, item)
    {
        const struct channel_row *r =
            json_is_string(item) ? channels_find(rows, n, json_string_value(item)) : NULL;
        if (r == NULL || r->id < 1 || r->id > CHANNELS_MAX) {
            api_error_field(resp, "channels", "channels: no channel %.32s",
                            json_is_string(item) ? json_string_value(item) : "(not a name)");
            rc = ERR_INVALID;
            break;
        }
        set |= (uint64_t)1 << (r->id - 1);
    }
    store_channel_list_free(rows, n);
    if (rc == 0)
        *out = set;
    return rc;
}

void api_users_patch(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"roles", "display_name", "email", "disabled",
                                         "totp",  "channels",     NULL};
    const char *name = http_route_param(&req->params, "username");
    const char *display, *email;
    json_t *roles_v, *disabled_v, *totp_v, *body;
    bool end_sessions = false, totp_reset = false, drop_grant = false;
    int64_t want = 0;
    uint64_t channels_before, sole = 0;
    unsigned roles_before;
    struct user u;
    int m, rc;

    if (json_object_get(req->json, "password") != NULL) {
        api_error_field(resp, "password",
                        "an administrator cannot set a password: reset the account "
                        "(POST /api/v1/users/{username}/reset), and the user enrols again with "
                        "the code");
        return;
    }
    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        optional_texts(resp, req->json, &display, &email) != 0)
        return;
    m = api_if_match(req->if_match, &want);
    if (m == ERR_INVALID) {
        api_error(resp, 400, "bad_if_match", "If-Match must be the version number");
        return;
    }
    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, &u) : ERR_NOT_FOUND;
    if (rc != 0) {
        api_error_rc(resp, rc, rc == ERR_NOT_FOUND ? "no such user" : NULL);
        return;
    }
    if (m == 0 && want != u.version) {
        api_error(resp, 412, "version_mismatch", "the account changed: current version is %lld",
                  (long long)u.version);
        return;
    }
    roles_before = u.roles;
    channels_before = u.channels;
    if ((roles_v = json_object_get(req->json, "roles")) != NULL) {
        unsigned roles;
        if (roles_from_json(resp, roles_v, &roles) != 0)
            return;
        if (roles_refused(resp, roles))
            return;
        if ((u.roles & ROLE_OPERATOR) != (roles & ROLE_OPERATOR) &&
            ((u.roles | roles) & ROLE_CONTENT)) {
            api_error(resp, 422, "roles_combined",
                      "an account cannot move between running the system (admin, auditor) and "
                      "holding its content (staff, officer, principal): create a new account");
            return;
        }
        if (u.id == req->user.id && !(roles & ROLE_ADMIN)) {
            api_error_field(resp, "roles", "you cannot remove your own admin role");
            return;
        }
        if ((u.roles & ROLE_OFFICER) && !(roles & ROLE_OFFICER))
            drop_grant = true;
        u.roles = roles;
    }
    if (json_object_get(req->json, "channels") != NULL &&
        channels_from_json(env, resp, json_object_get(req->json, "channels"), &u.channels) != 0)
        return;
    if ((disabled_v = json_object_get(req->json, "disabled")) != NULL) {
        if (!json_is_boolean(disabled_v)) {
            api_error_field(resp, "disabled", "disabled must be true or false");
            return;
        }
        if (json_is_true(disabled_v) && u.id == req->user.id) {
            api_error_field(resp, "disabled", "you cannot disable your own account");
            return;
        }
        if (json_is_true(disabled_v) && !u.disabled)
            end_sessions = true;
        u.disabled = json_is_true(disabled_v);
    }
    /* "totp": false turns the account's two-factor sign-in off (a lost phone); turning it on is
     * the user's own act. It opens nothing: the password and the keys stay the user's own. */
    if ((totp_v = json_object_get(req->json, "totp")) != NULL) {
        if (!json_is_false(totp_v)) {
            api_error_field(resp, "totp", "totp can only be set to false (turn it off)");
            return;
        }
        totp_reset = true;
        u.flags &= ~STORE_USER_TOTP; /* (store_totp_delete() would, with a second update) */
    }
    if (display)
        str_copy(u.display_name, sizeof(u.display_name), display);
    if (email)
        str_copy(u.email, sizeof(u.email), email);
    u.updated_at = req->now;
    /* the channels whose grant goes: every one when the account stops being an officer, those
     * it is no longer an officer of otherwise */
    uint64_t leaving = drop_grant ? UINT64_MAX : channels_before & ~u.channels;
    /* One transaction: the account, its sessions, the grants it loses, and the log entries of
     * its officer and principal roles and of the grants. */
    if ((rc = store_begin(env->st)) == 0) {
        /* taking the officer role or a channel away, or disabling, must leave an active holder
         * of each channel's key */
        if ((leaving != 0 || end_sessions) &&
            (rc = enrol_sole_holder(env->st, &u, end_sessions ? UINT64_MAX : leaving, &sole)) ==
                0 &&
            sole != 0)
            rc = ERR_STATE;
        if (rc == 0)
            rc = store_user_update(env->st, &u);
        if (rc == 0)
            rc = user_channel_roles_log(env->st, &u, roles_before, channels_before, u.roles,
                                        u.channels, req->now);
        if (rc == 0 && end_sessions)
            rc = store_session_delete_user(env->st, u.id);
        if (rc == 0 && totp_reset)
            rc = store_totp_delete(env->st, u.id);
        for (int64_t c = 1; c <= CHANNELS_MAX && rc == 0; c++)
            if (channels_has(leaving, c))
                rc = access_channel_revoke(env->st, &u, c, req->now);
        if (rc == 0)
            rc = store_commit(env->st);
        if (rc != 0)
            store_rollback(env->st);
    }

    wipe(u.pwhash, sizeof(u.pwhash));
    if (rc == ERR_STATE) {
        last_holder_error(resp);
        return;
    }
    if (rc == ERR_CONFLICT) {
        api_error(resp, 412, "version_mismatch", "the account changed meanwhile; reload it");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", (long long)u.version);
    body = api_user_json(&u);
    if (totp_reset)
        json_object_set_new(body, "totp_reset", json_true());
    api_ok(resp, 200, body);
}

void api_users_reset(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *name = http_route_param(&req->params, "username");
    char code[ENROL_CODE_TEXT_LEN + 1];
    struct user u;
    json_t *body;
    int rc;

    rc = enrol_reset(env->st, env->ch, name, req->now, &u, code);
    if (rc == ERR_NOT_FOUND) {
        api_error_rc(resp, rc, "no such user");
        return;
    }
    if (rc == ERR_FORBIDDEN) {
        api_error(resp, 409, "operator_account",
                  "admin and auditor accounts hold no content and are not re-enrolled: on the "
                  "server, `dissent user passwd` sets a new password");
        return;
    }
    if (rc == ERR_STATE) {
        last_holder_error(resp);
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(resp->etag, sizeof(resp->etag), "\"%lld\"", (long long)u.version);
    body = api_user_json(&u);
    json_object_set_new(body, "enrolment", enrolment_json(&u, code));
    json_object_set_new(
        body, "notice",
        json_string("The account's password, keys, recovery key, sessions and two-factor "
                    "sign-in were revoked; the reset is in the transparency log and the user "
                    "is told by email. The user enrols again with the code. Officers then "
                    "confirm the account is theirs and share its filed memos again; drafts "
                    "are shared again by their other readers."));
    wipe(code, sizeof(code));
    api_ok(resp, 200, body);
}

void api_users_key(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *name = http_route_param(&req->params, "username");
    char vkey[NOTE_VKEY_MAX];
    struct note_vkey k;
    struct user u;
    int rc;

    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, &u) : ERR_NOT_FOUND;
    if (rc == 0 && !u.has_keys)
        rc = ERR_NOT_FOUND;
    if (rc != 0) {
        api_error_rc(resp, rc, rc == ERR_NOT_FOUND ? "no such user, or no key yet" : NULL);
        return;
    }
    if (note_vkey_init(u.username, strlen(u.username), u.sign_pk, &k) != 0 ||
        note_vkey_format(&k, vkey, sizeof(vkey)) != 0) {
        api_error_rc(resp, ERR_INTERNAL, NULL);
        return;
    }
    api_ok(resp, 200, json_pack("{s:s, s:s}", "username", u.username, "vkey", vkey));
}

void api_users_search(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char q[65], role_s[16];
    unsigned role = 0;
    struct user *found = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    rc = http_query_get(req->query, "q", q, sizeof(q));
    if (rc != 0 || strlen(q) < 2 || !str_utf8_valid(q, strlen(q))) {
        api_error_field(resp, "q", "q must be 2 to 64 characters of a name or username");
        return;
    }
    if ((rc = api_query(req, resp, "role", role_s, sizeof(role_s))) == ERR_INVALID)
        return;
    if (rc == 0 && (user_roles_parse(role_s, &role) != 0 || (role & (role - 1)) != 0)) {
        api_error_field(resp, "role", "role must be one role name");
        return;
    }
    if ((rc = user_search(env->st, q, role, USER_SEARCH_MAX, &found, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "username", found[i].username,
                                             "display_name", found[i].display_name));
    mem_free(found);
    api_ok(resp, 200, json_pack("{s:o}", "users", arr));
}
