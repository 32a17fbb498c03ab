/*
 * calendar.c - the calendar run at runtime (core/calendar.h): GET /api/v1/calendar (the channel's
 * calendar as every signed-in user may read it: its holidays' name, the configured closures, the
 * closures and clock stops set at runtime, the running stop), and the administrator's changes:
 * POST /api/v1/calendar/closures {day, reason}, DELETE /api/v1/calendar/closures/{id},
 * POST /api/v1/calendar/stops {from?, reason} and POST /api/v1/calendar/stops/{id}/end {until?}.
 * Each change answers the row and how many memos' deadlines moved.
 */
#include "api/api.h"

#include "core/calendar.h"
#include "core/channel.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>

static json_t *day_or_null(int64_t d)
{
    char iso[WORKDAYS_ISO_SIZE];

    if (d < 0 || workdays_day_format(d, iso, sizeof(iso)) != 0)
        return json_null();
    return json_string(iso);
}

static json_t *row_json(const struct calendar_row *r)
{
    char at[21], removed[21];
    json_t *o;

    api_iso_time(at, r->created_at);
    if (r->removed_at != 0)
        api_iso_time(removed, r->removed_at);
    if (r->kind == STORE_CAL_CLOSURE)
        o = json_pack("{s:I, s:o, s:s, s:s}", "id", (json_int_t)r->id, "day", day_or_null(r->first),
                      "reason", r->reason, "created_at", at);
    else
        o = json_pack("{s:I, s:o, s:o, s:s, s:s}", "id", (json_int_t)r->id, "from",
                      day_or_null(r->first), "until", day_or_null(r->last), "reason", r->reason,
                      "created_at", at);
    if (o != NULL)
        json_object_set_new(o, "removed_at", r->removed_at ? json_string(removed) : json_null());
    return o;
}

/* The holiday calendar's name: a shipped id or "none"; a file's name without its directory
 * (the server's paths are nobody's business) or its ".cal". */
static void holidays_name(const struct config *cfg, char *out, size_t len)
{
    const char *name = channel_calendar(cfg), *slash = strrchr(name, '/');
    size_t n;

    name = slash ? slash + 1 : name;
    n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".cal") == 0)
        n -= 4;
    snprintf(out, len, "%.*s", (int)n, name);
}

void api_calendar_get(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char holidays[128];
    const struct workdays_calendar *cal = &env->ch->calendar;
    json_t *closures = json_array(), *stops = json_array(), *configured = json_array(), *body;
    json_t *running = json_null();
    struct calendar_row *rows = NULL;
    size_t n = 0;
    int rc = store_calendar_list(env->st, &rows, &n);

    if (rc != 0) {
        api_error_rc(resp, rc, "cannot read the calendar");
        goto out;
    }
    holidays_name(env->cfg, holidays, sizeof(holidays));
    for (size_t i = 0; i < cal->nclosures; i++)
        json_array_append_new(configured, day_or_null(cal->closures[i]));
    for (size_t i = 0; i < n; i++) {
        json_t *o = row_json(&rows[i]);
        if (rows[i].kind == STORE_CAL_STOP && rows[i].last < 0 && rows[i].removed_at == 0) {
            json_decref(running);
            running = json_incref(o);
        }
        json_array_append_new(rows[i].kind == STORE_CAL_CLOSURE ? closures : stops, o);
    }
    body = json_pack("{s:o, s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "today",
                     day_or_null(channel_today(req->now)), "timezone", channel_zone(env->cfg),
                     "holidays", holidays, "inauguration_day", channel_inauguration(env->cfg),
                     "configured_closures", configured, "closures", closures, "stops", stops,
                     "clock_stopped", running);
    configured = closures = stops = running = NULL;
    if (body == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        goto out;
    }
    api_ok(resp, 200, body);
out:
    json_decref(configured);
    json_decref(closures);
    json_decref(stops);
    json_decref(running);
    mem_free(rows);
}

/* A core failure: a field named by the message's "field:" prefix, else the code's answer. */
static void calendar_error(struct api_resp *resp, int rc, const char *err)
{
    static const char *const fields[] = {"day", "reason", "from", "until"};

    if (rc == ERR_INVALID) {
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            size_t len = strlen(fields[i]);
            if (strncmp(err, fields[i], len) == 0 && err[len] == ':') {
                api_error_field(resp, fields[i], "%s", err);
                return;
            }
        }
    }
    api_error_rc(resp, rc, err[0] ? err : NULL);
}

/* The answer to a change: the row and the memos moved. */
static void changed(struct api_resp *resp, int status, const struct calendar_row *row, size_t moved)
{
    json_t *o = row_json(row);

    if (o == NULL || json_object_set_new(o, "moved", json_integer((json_int_t)moved)) != 0) {
        json_decref(o);
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    api_ok(resp, status, o);
}

/* The optional or required day @key of the body into *@day (@dflt when absent and optional). */
static int body_day(struct api_resp *resp, json_t *obj, const char *key, bool required,
                    int64_t dflt, int64_t *day)
{
    const char *s = NULL;

    if (api_get_string(resp, obj, key, required, 10, &s) != 0)
        return ERR_INVALID;
    if (s == NULL) {
        *day = dflt;
        return 0;
    }
    if (workdays_day_parse(s, day) != 0) {
        api_error_field(resp, key, "%s must be a date YYYY-MM-DD", key);
        return ERR_INVALID;
    }
    return 0;
}

/* The {id} of the path: a positive decimal. */
static int path_id(struct api_req *req, struct api_resp *resp, int64_t *id)
{
    const char *s = http_route_param(&req->params, "id");

    if (s == NULL || str_parse_i64(s, 1, INT64_MAX, id) != 0) {
        api_error(resp, 404, "not_found", "no such calendar entry");
        return ERR_NOT_FOUND;
    }
    return 0;
}

static void ctx_init(struct calendar_ctx *c, struct api_env *env, struct api_req *req, char *err,
                     size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->st = env->st;
    /* the calendar's runtime snapshot is the one part of the channel that changes (published
     * atomically: core/workdays.h) */
    c->ch = (struct channel *)env->ch;
    c->actor = &req->user;
    c->now = req->now;
    c->err = err;
    c->errlen = errlen;
    err[0] = '\0';
}

void api_calendar_closure_add(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"day", "reason", NULL};
    struct calendar_row row;
    struct calendar_ctx c;
    const char *reason;
    char err[256];
    int64_t day;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        body_day(resp, req->json, "day", true, -1, &day) != 0 ||
        api_get_string(resp, req->json, "reason", true, CALENDAR_REASON_MAX, &reason) != 0)
        return;
    ctx_init(&c, env, req, err, sizeof(err));
    if ((rc = calendar_closure_add(&c, day, reason, &row)) != 0)
        calendar_error(resp, rc, err);
    else
        changed(resp, 201, &row, c.moved);
}

void api_calendar_closure_remove(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct calendar_row row;
    struct calendar_ctx c;
    char err[256];
    int64_t id;
    int rc;

    if (path_id(req, resp, &id) != 0)
        return;
    ctx_init(&c, env, req, err, sizeof(err));
    if ((rc = calendar_closure_remove(&c, id, &row)) != 0)
        calendar_error(resp, rc, err);
    else
        changed(resp, 200, &row, c.moved);
}

void api_calendar_stop_start(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"from", "reason", NULL};
    struct calendar_row row;
    struct calendar_ctx c;
    const char *reason;
    char err[256];
    int64_t from;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        body_day(resp, req->json, "from", false, channel_today(req->now), &from) != 0 ||
        api_get_string(resp, req->json, "reason", true, CALENDAR_REASON_MAX, &reason) != 0)
        return;
    ctx_init(&c, env, req, err, sizeof(err));
    if ((rc = calendar_stop_start(&c, from, reason, &row)) != 0)
        calendar_error(resp, rc, err);
    else
        changed(resp, 201, &row, c.moved);
}

void api_calendar_stop_end(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"until", NULL};
    struct calendar_row row;
    struct calendar_ctx c;
    char err[256];
    int64_t id, until;
    int rc;

    if (path_id(req, resp, &id) != 0 ||
        (req->json != NULL && api_fields_allowed(resp, req->json, fields) != 0) ||
        body_day(resp, req->json, "until", false, channel_today(req->now), &until) != 0)
        return;
    ctx_init(&c, env, req, err, sizeof(err));
    if ((rc = calendar_stop_end(&c, id, until, &row)) != 0)
        calendar_error(resp, rc, err);
    else
        changed(resp, 200, &row, c.moved);
}
