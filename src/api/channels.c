/*
 * channels.c - the deployment's channels (core/channels.h, docs/channels.md):
 *   GET /api/v1/channels                 every channel: its number, slug and name, for every
 *                                        signed-in user (the public page lists them too); an
 *                                        administrator also sees each one's own settings
 *   POST /api/v1/channels                {slug, name?, settings?}: a new channel (administrators)
 *   PATCH /api/v1/channels/{slug}        {name?, settings?}: a change of one (administrators);
 *                                        a setting given "" is the deployment's again
 * A setting is one of the [channel] section's (channels_settings_keys()), checked as the
 * settings file's are, and the channel they make with it.
 */
#include "api/api.h"

#include "core/channels.h"
#include "core/user.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <string.h>

static json_t *row_json(const struct channel_row *r, bool settings)
{
    char at[21] = "";
    json_t *o, *s;

    if (r->created_at > 0)
        api_iso_time(at, r->created_at);
    o = json_pack("{s:I, s:s, s:s}", "number", (json_int_t)r->id, "slug", r->slug, "name", r->name);
    if (o == NULL || !settings)
        return o;
    s = json_loads(r->settings ? r->settings : "{}", 0, NULL);
    if (s == NULL || json_object_set_new(o, "settings", s) != 0 ||
        json_object_set_new(o, "created_at", r->created_at ? json_string(at) : json_null()) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void api_channels_list(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct channel_row *rows = NULL;
    bool admin = (req->user.roles & ROLE_ADMIN) != 0;
    json_t *arr;
    size_t n = 0;
    int rc;

    if ((rc = channels_list(env->st, &rows, &n)) != 0) {
        api_error_rc(resp, rc, "cannot read the channels");
        return;
    }
    if ((arr = json_array()) != NULL) {
        for (size_t i = 0; i < n; i++) {
            json_t *o = row_json(&rows[i], admin);
            bool may = false;
            /* for staff: whether they may file to it (the new memo form offers those) */
            if (o != NULL && (req->user.roles & ROLE_STAFF) &&
                (channels_may_file(env->cfg, &rows[i], &req->user, &may) != 0 ||
                 json_object_set_new(o, "may_file", json_boolean(may)) != 0)) {
                json_decref(o);
                o = NULL;
            }
            if (o == NULL || json_array_append_new(arr, o) != 0) {
                json_decref(arr);
                arr = NULL;
                break;
            }
        }
    }
    store_channel_list_free(rows, n);
    api_ok(resp, 200, arr ? json_pack("{s:o}", "channels", arr) : NULL);
}

/* The {"settings": {KEY: VALUE}} of the body as two lists (pointing into the body). */
static int body_settings(struct api_resp *resp, json_t *body, const char **keys,
                         const char **values, size_t max, size_t *n)
{
    json_t *s = json_object_get(body, "settings"), *v;
    const char *k;

    *n = 0;
    if (s == NULL)
        return 0;
    if (!json_is_object(s)) {
        api_error_field(resp, "settings", "settings: an object of settings and their values");
        return ERR_INVALID;
    }
    json_object_foreach(s, k, v)
    {
        if (!channels_setting_known(k)) {
            api_error_field(resp, "settings", "settings: %.64s is not a channel setting", k);
            return ERR_INVALID;
        }
        if (!json_is_string(v) || json_string_length(v) > STORE_CHANNEL_SETTINGS_MAX) {
            api_error_field(resp, "settings", "settings: %.64s must be text", k);
            return ERR_INVALID;
        }
        if (*n >= max) {
            api_error_field(resp, "settings", "settings: too many");
            return ERR_INVALID;
        }
        keys[*n] = k;
        values[(*n)++] = json_string_value(v);
    }
    return 0;
}

/* The answer to a change: the channel as stored (made before the commit: nothing is read again
 * after it), its settings freed. */
static void answer(struct api_resp *resp, int status, struct channel_row *r)
{
    api_ok(resp, status, row_json(r, true));
    mem_free(r->settings);
    r->settings = NULL;
}

/* A core failure: the field its message names (slug, name, settings), else the code's. */
static void failed(struct api_resp *resp, int rc, const char *err)
{
    static const char *const fields[] = {"slug", "name", "settings"};

    if (rc == ERR_INVALID || rc == ERR_EXISTS) {
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            size_t len = strlen(fields[i]);
            if (strncmp(err, fields[i], len) == 0 && err[len] == ':') {
                if (rc == ERR_EXISTS)
                    api_error(resp, 409, "exists", "%s", err);
                else
                    api_error_field(resp, fields[i], "%s", err);
                return;
            }
        }
        if (rc == ERR_INVALID) { /* a setting's value, or the channel they make */
            api_error_field(resp, "settings", "%s", err);
            return;
        }
    }
    api_error_rc(resp, rc, err[0] ? err : NULL);
}

void api_channels_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"slug", "name", "settings", NULL};
    const char *slug, *name, *keys[32], *values[32];
    struct channel_row made = {0};
    char err[512] = "";
    size_t n = 0;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "slug", true, STORE_CHANNEL_SLUG_MAX, &slug) != 0 ||
        api_get_string(resp, req->json, "name", false, STORE_CHANNEL_NAME_MAX, &name) != 0 ||
        body_settings(resp, req->json, keys, values, 32, &n) != 0)
        return;
    if ((rc = channels_add(env->st, env->cfg, slug, name ? name : "", keys, values, n, req->now,
                           &made, err, sizeof(err))) != 0) {
        failed(resp, rc, err);
        return;
    }
    answer(resp, 201, &made);
}

void api_channels_patch(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"name", "settings", NULL};
    const char *slug = http_route_param(&req->params, "slug"), *name, *keys[32], *values[32];
    struct channel_row changed = {0};
    char err[512] = "";
    size_t n = 0;
    int rc;

    if (slug == NULL || !channels_slug_valid(slug)) {
        api_error(resp, 404, "not_found", "no such channel");
        return;
    }
    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "name", false, STORE_CHANNEL_NAME_MAX, &name) != 0 ||
        body_settings(resp, req->json, keys, values, 32, &n) != 0)
        return;
    if (name == NULL && n == 0) {
        api_error_field(resp, "name", "name or settings: give at least one");
        return;
    }
    if ((rc = channels_set(env->st, env->cfg, slug, name, keys, values, n, req->now, &changed, err,
                           sizeof(err))) != 0) {
        if (rc == ERR_NOT_FOUND)
            api_error(resp, 404, "not_found", "no such channel");
        else
            failed(resp, rc, err);
        return;
    }
    answer(resp, 200, &changed);
}
