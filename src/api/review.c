/*
 * review.c - the officers' side of a reply over HTTP (core/review.h): internal notes, the reply's
 * drafts, their clearance, the head's approval; and the memo view's "internal" section, which
 * only officers get.
 */
#include "api/api.h"
#include "core/access.h"
#include "core/memo.h"
#include "core/review.h"
#include "core/workflow.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/err.h"

#include <string.h>

/* {"by", "at"} of an entry, with its text under @key when it has one. */
static json_t *entry_json(const struct review_entry *e, const char *key)
{
    json_t *o = json_pack("{s:s, s:I}", "by", e->username, "at", (json_int_t)e->at);

    if (key != NULL)
        json_object_set_new(o, key, e->text ? json_stringn(e->text, e->text_len) : json_null());
    return o;
}

json_t *api_review_json(struct api_env *env, struct api_req *req, const struct memo *m,
                        struct api_review_flags *f, int *rc)
{
    const struct user *me = &req->user;
    bool head = (me->roles & ROLE_HEAD) != 0;
    uint8_t nkey[ACCESS_KEY_LEN];
    char why[256];
    bool has_key = false;
    struct review r;
    json_t *o, *notes, *hist, *cl;

    *rc = access_notes_key(&req->kr, m, false, nkey, why, sizeof(why));
    if (*rc == 0)
        has_key = true;
    else if (*rc != ERR_NOT_FOUND)
        return NULL;
    *rc = review_load(env->st, m, has_key ? nkey : NULL, &r);
    wipe(nkey, sizeof(nkey));
    if (*rc == 0 && !has_key && r.n > 0 && (*rc = review_keyless(env->st, m)) != 0)
        review_release(&r);
    if (*rc != 0)
        return NULL;
    memset(f, 0, sizeof(*f));
    f->edit = r.assignee != 0 && (r.assignee == me->id || head);
    f->ask = f->edit;
    for (size_t i = 0; i < r.nclearers; i++)
        if (r.clearers[i].user_id == me->id) {
            f->edit = r.assignee != 0;
            f->clear = r.draft != NULL && !r.sent && !r.clearers[i].cleared;
        }
    f->submit = r.assignee == me->id && r.draft != NULL && !r.sent && r.submitted == NULL;
    f->decide = r.submitted != NULL;
    /* four eyes: a head approves neither what they submitted nor a version they wrote */
    f->own = r.submitted != NULL &&
             (r.submitted->actor_id == me->id || (r.draft != NULL && r.draft->actor_id == me->id));
    notes = json_array();
    hist = json_array();
    cl = json_array();
    for (size_t i = 0; i < r.n; i++) {
        const struct review_entry *e = &r.entries[i];
        if (strcmp(e->kind, "note") == 0) {
            json_array_append_new(notes, entry_json(e, "body"));
            continue;
        }
        /* a version's text is the draft's; a clearance's and a submission's, its stamp */
        bool bare = strcmp(e->kind, "reply_draft") == 0 || strcmp(e->kind, "cleared") == 0 ||
                    strcmp(e->kind, "submitted") == 0;
        json_t *h = entry_json(e, bare ? NULL : "detail");
        json_object_set_new(h, "event", json_string(e->kind));
        json_array_append_new(hist, h);
    }
    for (size_t i = 0; i < r.nclearers; i++)
        json_array_append_new(cl, json_pack("{s:s, s:s, s:b}", "username", r.clearers[i].username,
                                            "display_name", r.clearers[i].display_name, "cleared",
                                            r.clearers[i].cleared));
    o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "notes", notes, "reply_draft",
                  r.draft ? entry_json(r.draft, "body") : json_null(), "clearers", cl, "submitted",
                  r.submitted ? entry_json(r.submitted, NULL) : json_null(), "returned",
                  r.returned ? entry_json(r.returned, "reason") : json_null(), "history", hist,
                  "approval_required",
                  channel_reply_approval(req->ch != NULL ? req->ch->cfg : env->cfg));
    if (o != NULL && r.draft != NULL) {
        json_t *d = json_object_get(o, "reply_draft");
        char b64[48];
        json_object_set_new(d, "sent", json_boolean(r.sent));
        /* what a head's approval names: the version they read (review_approve()) */
        json_object_set_new(d, "version", json_integer((json_int_t)r.draft->id));
        b64_encode(b64, sizeof(b64), r.digest, sizeof(r.digest), false);
        json_object_set_new(d, "digest", r.stamp[0] ? json_string(b64) : json_null());
    }
    review_release(&r);
    if (o == NULL)
        *rc = ERR_NOMEM;
    return o;
}

void api_memos_note(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"body", NULL};
    const char *body;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "body", true, REVIEW_NOTE_MAX, &body) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, review_note(&c, &req->kr, &req->memo, body), err, 201);
}

void api_memos_review_save(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"body", NULL};
    const char *body;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "body", true, MEMO_REPLY_MAX, &body) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, review_save(&c, &req->kr, &req->memo, body, strlen(body)), err,
                     200);
}

void api_memos_review_ask(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"usernames", NULL};
    json_t *arr = json_object_get(req->json, "usernames"), *v;
    const char *names[20];
    char err[256];
    struct wf_ctx c;
    size_t i;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > sizeof(names) / sizeof(names[0])) {
        api_error_field(resp, "usernames", "usernames must be an array of 1 to %zu officers",
                        sizeof(names) / sizeof(names[0]));
        return;
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > USERNAME_MAX) {
            api_error_field(resp, "usernames", "usernames must be an array of usernames");
            return;
        }
        names[i] = json_string_value(v);
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp,
                     review_ask(&c, &req->kr, &req->memo, names, json_array_size(arr)), err, 200);
}

void api_memos_review_step(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *slash = strrchr(req->path, '/');
    char err[256];
    struct wf_ctx c;
    int rc;

    api_wf_init(&c, env, req, err, sizeof(err));
    if (slash != NULL && strcmp(slash, "/clear") == 0)
        rc = review_clear(&c, &req->kr, &req->memo);
    else
        rc = review_submit(&c, &req->kr, &req->memo);
    api_after_action(env, req, resp, rc, err, 200);
}

void api_memos_review_return(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"reason", NULL};
    const char *reason;
    char err[256];
    struct wf_ctx c;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "reason", true, MEMO_REASON_MAX, &reason) != 0)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    api_after_action(env, req, resp, review_return(&c, &req->kr, &req->memo, reason), err, 200);
}

void api_memos_review_approve(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"version", "digest", NULL};
    const struct user_keys *k = NULL;
    json_t *v = json_object_get(req->json, "version");
    const char *d64 = NULL;
    uint8_t digest[32];
    size_t dlen = 0;
    char err[256];
    struct wf_ctx c;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        api_error_field(resp, "version",
                        "version: the reply draft's version you read (its \"version\" in the "
                        "memo's internal section)");
        return;
    }
    if (api_get_string(resp, req->json, "digest", true, 64, &d64) != 0)
        return;
    if (b64_decode(digest, sizeof(digest), &dlen, d64, strlen(d64), false) != 0 ||
        dlen != sizeof(digest)) {
        api_error_field(resp, "digest",
                        "digest: the reply draft's digest you read (base64 of 32 bytes)");
        return;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    if ((rc = keyring_user_keys(&req->kr, &k, err, sizeof(err))) == 0)
        rc = review_approve(&c, &req->kr, &req->memo, k, (int64_t)json_integer_value(v), digest);
    api_after_action(env, req, resp, rc, err, 200);
}
