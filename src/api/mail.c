/*
 * mail.c - email over HTTP: the admins' view of the outbox (status only: never an email's
 * content, kind or recipient, which would tell who drafted or co-signed what) and each user's
 * choice of optional notifications (docs/api.md, "Email").
 */
#include "api/api.h"

#include "core/notify.h"
#include "http/route.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <string.h>

#define OUTBOX_PAGE_DEFAULT 50
#define OUTBOX_PAGE_MAX 200

static const char *status_name(int status)
{
    switch (status) {
    case STORE_OUTBOX_SENT:
        return "sent";
    case STORE_OUTBOX_FAILED:
        return "failed";
    default:
        return "pending";
    }
}

/* A time for JSON: ISO 8601, or null for 0. */
static json_t *time_json(int64_t t)
{
    char iso[21];

    if (t <= 0)
        return json_null();
    api_iso_time(iso, t);
    return json_string(iso);
}

void api_outbox_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char buf[24];
    int64_t after = 0, limit = OUTBOX_PAGE_DEFAULT;
    struct outbox_item *items = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    rc = http_query_get(req->query, "after", buf, sizeof(buf));
    if (rc == 0 && str_parse_i64(buf, 1, INT64_MAX, &after) != 0)
        rc = ERR_INVALID;
    if (rc != 0 && rc != ERR_NOT_FOUND) {
        api_error_field(resp, "after", "after must be an outbox id");
        return;
    }
    rc = http_query_get(req->query, "limit", buf, sizeof(buf));
    if (rc == 0 && str_parse_i64(buf, 1, OUTBOX_PAGE_MAX, &limit) != 0)
        rc = ERR_INVALID;
    if (rc != 0 && rc != ERR_NOT_FOUND) {
        api_error_field(resp, "limit", "limit must be 1 to %d", OUTBOX_PAGE_MAX);
        return;
    }
    if ((rc = store_outbox_list(env->st, after, (int)limit, &items, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct outbox_item *it = &items[i];
        json_array_append_new(
            arr,
            json_pack("{s:I, s:s, s:i, s:o, s:o, s:o}", "id", (json_int_t)it->id, "status",
                      status_name(it->status), "attempts", it->attempts, "next_attempt_at",
                      it->status == STORE_OUTBOX_PENDING ? time_json(it->next_at) : json_null(),
                      "created_at", time_json(it->created_at), "sent_at", time_json(it->sent_at)));
    }
    api_ok(resp, 200,
           json_pack("{s:o, s:o}", "outbox", arr, "next",
                     n == (size_t)limit ? json_integer(items[n - 1].id) : json_null()));
    store_outbox_list_free(items, n);
}

/* The caller's notifications: each kind their roles can receive, whether it is on. */
static void prefs_reply(struct api_resp *resp, const struct user *u, unsigned off)
{
    unsigned kinds = notify_kinds_for(u->roles);
    json_t *arr = json_array();

    for (unsigned bit = 1; bit <= NOTIFY_ALL; bit <<= 1) {
        if (!(kinds & bit))
            continue;
        json_array_append_new(arr, json_pack("{s:s, s:b, s:b}", "kind", notify_kind_name(bit),
                                             "mandatory", (bit & NOTIFY_MANDATORY) != 0, "on",
                                             (off & bit) == 0));
    }
    api_ok(resp, 200, json_pack("{s:o}", "notifications", arr));
}

void api_me_notifications(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    unsigned off = 0;
    int rc = store_notify_prefs_get(env->st, req->user.id, &off);

    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    prefs_reply(resp, &req->user, off);
}

void api_me_notifications_patch(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    unsigned kinds = notify_kinds_for(req->user.roles), off = 0;
    const char *key;
    json_t *v;
    int rc;

    if ((rc = store_notify_prefs_get(env->st, req->user.id, &off)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    json_object_foreach(req->json, key, v)
    {
        unsigned bit = notify_kind_parse(key);
        if (bit == 0 || !(kinds & bit)) {
            api_error_field(resp, key, "no such notification for your roles");
            return;
        }
        if (!json_is_boolean(v)) {
            api_error_field(resp, key, "%s must be true or false", key);
            return;
        }
        if ((bit & NOTIFY_MANDATORY) && !json_is_true(v)) {
            api_error_field(resp, key, "%s notifications cannot be turned off", key);
            return;
        }
        if (json_is_true(v))
            off &= ~bit;
        else
            off |= bit;
    }
    if ((rc = store_notify_prefs_set(env->st, req->user.id, off)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    prefs_reply(resp, &req->user, off);
}
