/*
 * helpers.c - what every handler shares to read a request and build its response: the one table
 * from error codes to HTTP statuses, error and success answers, reading JSON fields, query
 * parameters and If-Match, and the JSON of an account. (It was reply.c, a name the domain uses
 * for the channel's answer to a memo.)
 */
#include "api/api.h"

#include "core/channels.h"
#include "core/memo.h"
#include "core/user.h"

#include "util/err.h"
#include "util/msg.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one mapping from project error codes to HTTP, with the message an answer carries when the
 * code alone is known (in the request's language: util/msg.h). */
static const struct {
    int rc;
    int status;
    const char *code;
    const char *message;
} err_map[] = {
    {ERR_INVALID, 422, "invalid_field", M_("the request is not valid")},
    {ERR_NOT_FOUND, 404, "not_found", M_("not found")},
    {ERR_EXISTS, 409, "exists", M_("it exists already")},
    {ERR_CONFLICT, 412, "version_mismatch", M_("it changed meanwhile: read it again")},
    {ERR_FORBIDDEN, 403, "forbidden", M_("not allowed")},
    {ERR_UNAUTH, 401, "unauthorized", M_("sign in first")},
    {ERR_TOO_LARGE, 413, "too_large", M_("too large")},
    {ERR_STATE, 409, "wrong_state", M_("not allowed in this state")},
    {ERR_RATE, 429, "rate_limited", M_("too many requests: try again later")},
    {ERR_BUSY, 503, "busy", M_("the server is busy: try again in a moment")},
    {ERR_DB, 503, "database_unavailable", M_("the database is unavailable: try again later")},
    {ERR_NOMEM, 503, "out_of_memory", M_("the server is out of memory: try again later")},
    {ERR_NO_KEYS, 409, "not_enrolled", M_("this account has not enrolled yet")},
    {ERR_HELD, 409, "confirmation_required",
     M_("this account awaits the officers' confirmation after a reset")},
    {ERR_INTEGRITY, 500, "integrity", M_("a record failed its integrity check")},
    {ERR_PASSED, 409, "deadline_passed", M_("too late: the deadline has passed")},
};

static void set_error(struct api_resp *resp, int status, const char *code, const char *field,
                      const char *msg)
{
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);

    if (e != NULL && field != NULL)
        json_object_set_new(e, "field", json_string(field));
    json_decref(resp->body);
    resp->body = e ? json_pack("{s:o}", "error", e) : NULL;
    resp->status = status;
    mem_free(resp->raw); /* an answer made already (api_ok_text()) is no error's body */
    resp->raw = NULL;
    resp->raw_len = 0;
}

void api_error(struct api_resp *resp, int status, const char *code, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), tr(fmt), ap);
    va_end(ap);
    set_error(resp, status, code, NULL, text);
}

void api_error_field(struct api_resp *resp, const char *field, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), tr(fmt), ap);
    va_end(ap);
    set_error(resp, 422, "invalid_field", field, text);
}

void api_error_rc(struct api_resp *resp, int rc, const char *message)
{
    if (rc == ERR_INTEGRITY && message == NULL)
        message = M_("the database holds a record that fails its integrity check: it was changed "
                     "outside Dissent, and nothing was done with it (the server's log says which)");
    for (size_t i = 0; i < sizeof(err_map) / sizeof(err_map[0]); i++) {
        if (err_map[i].rc == rc) {
            set_error(resp, err_map[i].status, err_map[i].code, NULL,
                      tr(message ? message : err_map[i].message));
            return;
        }
    }
    set_error(resp, 500, "internal", NULL, tr("internal error"));
}

void api_ok(struct api_resp *resp, int status, json_t *body)
{
    /* a body that could not be built (json_pack() out of memory) is the one out-of-memory
     * answer, never a success without its body */
    if (body == NULL && status != 204) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    json_decref(resp->body);
    resp->status = status;
    resp->body = body;
}

char *api_json_text(const json_t *body, size_t *len)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)), *out = NULL;

    *len = 0;
    if (text == NULL)
        return NULL;
    size_t k = strlen(text);
    if ((out = mem_alloc(k + 2)) != NULL) {
        memcpy(out, text, k);
        out[k] = '\n';
        out[k + 1] = '\0';
        *len = k + 1;
    }
    mem_free(text);
    return out;
}

void api_ok_text(struct api_resp *resp, int status, const char *text, size_t len)
{
    uint8_t *copy = mem_alloc(len > 0 ? len : 1);

    if (copy == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    memcpy(copy, text, len);
    json_decref(resp->body);
    resp->body = NULL;
    mem_free(resp->raw);
    resp->status = status;
    resp->raw = copy;
    resp->raw_len = len;
    resp->content_type = "application/json; charset=utf-8";
}

void api_iso_time(char out[21], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *api_user_json(const struct user *u)
{
    char created[21];
    json_t *roles = json_array(), *o;

    for (unsigned bit = 1; bit & ROLE_ALL; bit <<= 1)
        if (u->roles & bit)
            json_array_append_new(roles, json_string(user_role_name(bit)));
    api_iso_time(created, u->created_at);
    o = json_pack("{s:s, s:s, s:s, s:o, s:b, s:I, s:s}", "username", u->username, "display_name",
                  u->display_name, "email", u->email, "roles", roles, "disabled", u->disabled,
                  "version", (json_int_t)u->version, "created_at", created);
    /* an account enrols with a code before it can sign in (core/enrol.h) */
    json_object_set_new(o, "enrolled", json_boolean(u->has_keys));
    /* the channels its officer, head and principal roles are of, by number (core/channels.h) */
    json_t *chans = json_array();
    for (int64_t ch = 1; ch <= CHANNELS_MAX; ch++)
        if (channels_has(u->channels ? u->channels : 1, ch))
            json_array_append_new(chans, json_integer((json_int_t)ch));
    json_object_set_new(o, "channels", chans);
    if (u->has_enrol) {
        char expires[21];
        api_iso_time(expires, u->enrol_expires);
        json_object_set_new(o, "enrolment_expires_at", json_string(expires));
    }
    return o;
}

int api_fields_allowed(struct api_resp *resp, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a != NULL; a++)
            if (strcmp(*a, key) == 0)
                ok = true;
        if (!ok) {
            api_error_field(resp, key, "unknown field");
            return ERR_INVALID;
        }
    }
    return 0;
}

int api_get_string(struct api_resp *resp, json_t *obj, const char *key, bool required, size_t max,
                   const char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL) {
        if (!required)
            return 0;
        api_error_field(resp, key, "%s is required", key);
        return ERR_INVALID;
    }
    if (!json_is_string(v)) {
        api_error_field(resp, key, "%s must be a string", key);
        return ERR_INVALID;
    }
    if (json_string_length(v) > max) {
        api_error_field(resp, key, "%s is longer than %zu bytes", key, max);
        return ERR_INVALID;
    }
    *out = json_string_value(v);
    return 0;
}

int api_query(struct api_req *req, struct api_resp *resp, const char *key, char *out, size_t outlen)
{
    int rc = http_query_get(req->query, key, out, outlen);

    if (rc == 0)
        return 0;
    out[0] = '\0';
    if (rc == ERR_NOT_FOUND)
        return ERR_NOT_FOUND;
    api_error_field(resp, key, "%s: at most %zu bytes, percent-encoded, without NUL", key,
                    outlen - 1);
    return ERR_INVALID;
}

int api_body_user(struct api_env *env, struct api_req *req, struct api_resp *resp, struct user *u)
{
    static const char *const fields[] = {"username", NULL};
    const char *name;
    int rc;

    memset(u, 0, sizeof(*u));
    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &name) != 0)
        return ERR_INVALID;
    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, u) : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND)
        api_error_field(resp, "username", "no such user");
    else if (rc != 0)
        api_error_rc(resp, rc, NULL);
    return rc;
}

int api_if_match(const char *h, int64_t *v)
{
    char buf[32];
    size_t n;

    if (h == NULL)
        return ERR_NOT_FOUND;
    n = strlen(h);
    if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
        if (n - 2 >= sizeof(buf))
            return ERR_INVALID;
        memcpy(buf, h + 1, n - 2);
        buf[n - 2] = '\0';
    } else if (str_copy(buf, sizeof(buf), h) != 0) {
        return ERR_INVALID;
    }
    return str_parse_i64(buf, 1, INT64_MAX, v) == 0 ? 0 : ERR_INVALID;
}

void api_error_state(struct api_resp *resp, const char *msg, int state)
{
    json_t *e;

    api_error(resp, 409, "wrong_state", "%s", msg);
    e = json_object_get(resp->body, "error");
    if (e != NULL)
        json_object_set_new(e, "state", json_string(memo_state_name((enum memo_state)state)));
}

void api_error_wf(struct api_resp *resp, int rc, const char *msg, const struct memo *m)
{
    const char *text = (msg && msg[0]) ? msg : NULL;

    switch (rc) {
    case ERR_STATE:
    case ERR_CONFLICT:
        api_error_state(resp, text ? text : tr("not allowed in this state"), m->state);
        break;
    case ERR_EXISTS:
        api_error(resp, 409, "exists", "%s", text ? text : tr("already done"));
        break;
    case ERR_NO_KEYS:
        api_error(resp, 409, "not_enrolled", "%s",
                  text ? text
                       : tr("this person has not enrolled yet: nothing can be shared with "
                            "them"));
        break;
    case ERR_HELD:
        api_error(resp, 409, "confirmation_required", "%s",
                  text ? text
                       : tr("this account was reset by an administrator: nothing is shared "
                            "with it until officers confirm it"));
        break;
    case ERR_INVALID: {
        /* messages are "field: what" */
        char field[32] = "body";
        const char *colon = text ? strchr(text, ':') : NULL;
        if (colon && (size_t)(colon - text) < sizeof(field)) {
            memcpy(field, text, (size_t)(colon - text));
            field[colon - text] = '\0';
        }
        api_error_field(resp, field, "%s", text ? text : tr("invalid"));
        break;
    }
    default:
        api_error_rc(resp, rc, text);
    }
}

int api_start_throttle(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char key[80];
    int64_t newest = 0;
    int rc, count = 0;

    snprintf(key, sizeof(key), "c:%.64s", req->addr);
    if ((rc = store_login_failure_count(env->st, key, req->now - 60, &count, &newest)) == 0 &&
        count >= API_STARTS_PER_MINUTE) {
        resp->retry_after = newest + 60 - req->now > 0 ? newest + 60 - req->now : 1;
        api_error(resp, 429, "rate_limited", "too many sign-ins started; wait a minute");
        return ERR_RATE;
    }
    if (rc == 0)
        rc = store_login_failure_add(env->st, key, req->now);
    if (rc != 0)
        api_error_rc(resp, rc, NULL);
    return rc;
}
