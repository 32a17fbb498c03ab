/*
 * records.c - the records officer's routes (core/records.h): legal holds and the retention
 * schedule. Ids, states, days and the holds' reasons only: no title, no text, no name of a
 * drafter or signer ever reaches this role.
 *
 *   GET  /api/v1/records/holds                  every hold, placed and lifted
 *   POST /api/v1/records/holds                  {"memo","reason"} or {"from","to","reason"}
 *   POST /api/v1/records/holds/{id}/lift        {"reason"}
 *   GET  /api/v1/records/schedule               the dry run: what is shredded when, what is held,
 *                                               and the tombstones of what was
 */
#include "api/api.h"

#include "core/channel.h"
#include "core/memo.h"
#include "core/records.h"
#include "core/workdays.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_MAX 1000 /* memos listed by one schedule answer */
#define TOMBSTONES_MAX 200

static json_t *day_json(int64_t d)
{
    char s[WORKDAYS_ISO_SIZE];

    if (d < 0 || workdays_day_format(d, s, sizeof(s)) != 0)
        return json_null();
    return json_string(s);
}

static json_t *who_json(struct api_env *env, int64_t id)
{
    struct user u;

    if (id == 0 || store_user_get_by_id(env->st, id, &u) != 0)
        return json_null();
    return json_string(u.username); /* a records officer's own name: an operator's */
}

static json_t *hold_json(struct api_env *env, const struct store_hold *h)
{
    json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:s, s:o, s:I, s:b}", "id", (json_int_t)h->id,
                          "memo", h->memo[0] ? json_string(h->memo) : json_null(), "from",
                          day_json(h->from_day), "to", day_json(h->to_day), "reason", h->reason,
                          "placed_by", who_json(env, h->placed_by), "placed_at",
                          (json_int_t)h->placed_at, "tampered", h->tampered);

    if (h->lifted_at != 0)
        json_object_set_new(o, "lifted",
                            json_pack("{s:o, s:I, s:s}", "by", who_json(env, h->lifted_by), "at",
                                      (json_int_t)h->lifted_at, "reason", h->lift_reason));
    else
        json_object_set_new(o, "lifted", json_null());
    return o;
}

void api_records_holds(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct store_hold *holds = NULL;
    size_t n = 0;
    json_t *arr;
    int rc;

    if ((rc = store_hold_list(env->st, &holds, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = n; i-- > 0;) /* newest first */
        json_array_append_new(arr, hold_json(env, &holds[i]));
    mem_free(holds);
    api_ok(resp, 200, json_pack("{s:o}", "holds", arr));
}

/* A day member of the body: 0, ERR_NOT_FOUND when absent, or ERR_INVALID (answered). */
static int body_day(struct api_req *req, struct api_resp *resp, const char *key, int64_t *day)
{
    json_t *v = json_object_get(req->json, key);

    if (v == NULL)
        return ERR_NOT_FOUND;
    if (!json_is_string(v) || workdays_day_parse(json_string_value(v), day) != 0) {
        api_error_field(resp, key, "%s: a date YYYY-MM-DD", key);
        return ERR_INVALID;
    }
    return 0;
}

void api_records_hold(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"memo", "from", "to", "reason", NULL};
    json_t *memo = json_object_get(req->json, "memo");
    const char *reason = json_string_value(json_object_get(req->json, "reason"));
    struct store_hold h;
    int64_t from = -1, to = -1;
    size_t covered = 0;
    char err[256] = "";
    int rf, rt, rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (reason == NULL) {
        api_error_field(resp, "reason", "reason: why the memos are held (a case, a request)");
        return;
    }
    if ((rf = body_day(req, resp, "from", &from)) == ERR_INVALID ||
        (rt = body_day(req, resp, "to", &to)) == ERR_INVALID)
        return;
    if ((memo != NULL) == (rf == 0 || rt == 0) || (memo == NULL && (rf != 0 || rt != 0))) {
        api_error_field(resp, memo ? "from" : "memo",
                        "memo: one memo's id, or from and to: a range of days, not both");
        return;
    }
    if (memo != NULL && !json_is_string(memo)) {
        api_error_field(resp, "memo", "memo: a memo id");
        return;
    }
    rc = records_hold(env->st, &req->user, memo ? json_string_value(memo) : NULL, from, to, reason,
                      req->now, &h, &covered, err, sizeof(err));
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "no such memo");
        return;
    }
    if (rc == ERR_INVALID) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, err[0] ? err : NULL);
        return;
    }
    api_ok(resp, 201,
           json_pack("{s:o, s:I}", "hold", hold_json(env, &h), "covered", (json_int_t)covered));
}

void api_records_lift(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"reason", NULL};
    const char *id = http_route_param(&req->params, "id");
    const char *reason = json_string_value(json_object_get(req->json, "reason"));
    struct store_hold h;
    int64_t n = 0;
    size_t released = 0;
    char err[256] = "";
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (id == NULL || str_parse_i64(id, 1, INT64_MAX, &n) != 0) {
        api_error(resp, 404, "not_found", "no such hold");
        return;
    }
    if (reason == NULL) {
        api_error_field(resp, "reason", "reason: why the hold is lifted");
        return;
    }
    rc = records_lift(env->st, &req->user, n, reason, req->now, &h, &released, err, sizeof(err));
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "no such hold");
        return;
    }
    if (rc == ERR_STATE) {
        api_error(resp, 409, "lifted", "%s", err);
        return;
    }
    if (rc == ERR_INVALID) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, err[0] ? err : NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:o, s:I}", "hold", hold_json(env, &h), "released", (json_int_t)released));
}

void api_records_schedule(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct records_item *items = NULL;
    struct store_tombstone *tombs = NULL;
    size_t n = 0, nt = 0, listed = 0, held = 0, due = 0;
    int64_t today = channel_today(req->now);
    json_t *arr, *gone;
    int rc;

    if ((rc = records_schedule(env->st, env->cfg, req->now, &items, &n)) != 0 ||
        (rc = store_tombstone_list(env->st, TOMBSTONES_MAX, &tombs, &nt)) != 0) {
        mem_free(items);
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct records_item *it = &items[i];
        held += it->held;
        due += it->due >= 0 && it->due <= today && !it->held;
        if ((it->due < 0 && !it->held) || listed == SCHEDULE_MAX)
            continue;
        listed++;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:b}", "id", it->id,
                                             "state", memo_state_name((enum memo_state)it->state),
                                             "day", day_json(it->day), "final", day_json(it->final),
                                             "due", day_json(it->due), "held", it->held, "tampered",
                                             it->tampered));
    }
    gone = json_array();
    for (size_t i = 0; i < nt; i++)
        json_array_append_new(gone, json_pack("{s:s, s:s, s:o, s:I}", "id", tombs[i].public_id,
                                              "state", memo_state_name(tombs[i].state), "final",
                                              day_json(tombs[i].final_at), "shredded_at",
                                              (json_int_t)tombs[i].shredded_at));
    mem_free(items);
    mem_free(tombs);
    api_ok(resp, 200,
           json_pack("{s:o, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:o, s:o}", "today",
                     day_json(today), "retention", "closed", (json_int_t)env->cfg->retain_closed,
                     "declined", (json_int_t)env->cfg->retain_declined, "withdrawn",
                     (json_int_t)env->cfg->retain_withdrawn, "drafts",
                     (json_int_t)env->cfg->retain_drafts, "memos", (json_int_t)n, "held",
                     (json_int_t)held, "due_now", (json_int_t)due, "scheduled", arr, "shredded",
                     gone));
}
