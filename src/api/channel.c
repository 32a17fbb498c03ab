/*
 * channel.c - the channel's keys: GET /api/v1/channel/key (the public signing key as a C2SP
 * vkey, to check the notes that bind replies to memos), GET /api/v1/channel (whether the
 * encryption key exists and the caller holds it) and POST /api/v1/channel/grants (an officer who
 * holds it grants it to another officer), and what follows an administrator's reset
 * (core/reset.h): GET /api/v1/channel/resets lists the accounts waiting, and
 * POST /api/v1/channel/resets/{username}/confirm is one officer's confirmation, the one that
 * completes the count re-sharing the account's filed memos.
 */
#include "api/api.h"

#include "core/access.h"
#include "core/reset.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/note.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

void api_channel_key(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char vkey[NOTE_VKEY_MAX], bvkey[NOTE_VKEY_MAX];
    struct note_vkey k, b;

    note_skey_vkey(env->ch->key, &k);
    if (note_vkey_format(&k, vkey, sizeof(vkey)) != 0 || trust_binder_vkey(env->ch->key, &b) != 0 ||
        note_vkey_format(&b, bvkey, sizeof(bvkey)) != 0) {
        api_error(resp, 500, "internal", "cannot encode the channel key");
        return;
    }
    /* binding_vkey verifies the notes binding accounts' public keys (core/trust.h) */
    api_ok(resp, 200,
           json_pack("{s:s, s:s, s:s}", "name", k.name, "vkey", vkey, "binding_vkey", bvkey));
}

void api_channel_status(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    uint8_t pk[STORE_PUB_LEN];
    bool granted = false;
    int rc = trust_channel_pk(env->st, pk);

    if (rc != 0 && rc != ERR_NOT_FOUND) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if (rc == 0 && (rc = access_channel_granted(env->st, req->user.id, &granted)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200, json_pack("{s:b, s:b}", "has_key", rc == 0, "granted", granted));
}

void api_channel_grant(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char why[256] = "";
    struct user to;
    int rc = api_body_user(env, req, resp, &to);

    if (rc != 0)
        return;
    rc = access_channel_grant(&req->kr, &to, req->now, why, sizeof(why));
    if (rc == ERR_INVALID) {
        api_error_field(resp, "username", "%s", why);
        return;
    }
    if (rc == ERR_FORBIDDEN) {
        api_error(resp, 403, "no_key", "%s", why);
        return;
    }
    if (rc == ERR_NO_KEYS || rc == ERR_HELD) {
        api_error_rc(resp, rc, why); /* 409 not_enrolled, 409 confirmation_required */
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 201, json_pack("{s:s, s:b}", "username", to.username, "granted", 1));
}

/*
 * One account of the re-share list, as the officers see it: who, since when, where it stands.
 * How many filed memos it is part of tells who dissents: only for holders of the channel key
 * (@granted), who read those memos' names anyway.
 */
static json_t *reset_json(struct api_env *env, const struct reset_account *a, bool granted)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:b, s:o, s:i}", "username", a->u.username,
                          "display_name", a->u.display_name, "reset_at", (json_int_t)a->u.reset_at,
                          "enrolled", a->enrolled, "held", a->held, "to_reshare",
                          granted ? json_integer((json_int_t)a->to_reshare) : json_null(),
                          "confirmations_required", a->required);
    struct user first;

    if (o != NULL && a->first_officer != 0 &&
        store_user_get_by_id(env->st, a->first_officer, &first) == 0) {
        json_object_set_new(o, "confirmed_by", json_string(first.username));
        wipe(&first, sizeof(first));
    } else if (o != NULL) {
        json_object_set_new(o, "confirmed_by", json_null());
    }
    return o;
}

void api_channel_resets(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct reset_account *as = NULL;
    bool granted = false;
    size_t n = 0;
    json_t *items;
    int rc = access_channel_granted(env->st, req->user.id, &granted);

    if (rc == 0)
        rc = reset_list(env->st, req->user.channels ? req->user.channels : 1, &as, &n);
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, reset_json(env, &as[i], granted));
    mem_free(as);
    api_ok(resp, 200, json_pack("{s:o}", "items", items));
}

void api_channel_reset_confirm(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"fingerprint", NULL};
    const char *name = http_route_param(&req->params, "username"), *text;
    uint8_t fp[RESET_FINGERPRINT_BYTES];
    char why[256] = "";
    size_t shared = 0;
    struct user u;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "fingerprint", true, 64, &text) != 0)
        return;
    if (!str_hex_groups_parse(text, fp, sizeof(fp))) {
        api_error_field(resp, "fingerprint",
                        "fingerprint: the %d hex digits the person reads from their screen",
                        2 * RESET_FINGERPRINT_BYTES);
        return;
    }
    rc = reset_confirm(&req->kr, name, fp, req->now, &u, &shared, why, sizeof(why));
    if (rc == ERR_CRYPTO) {
        api_error(resp, 409, "fingerprint_mismatch", "%s", why);
        return;
    }
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "%s", why);
        return;
    }
    if (rc == ERR_INVALID) {
        api_error(resp, 409, "nothing_to_confirm", "%s", why);
        return;
    }
    if (rc == ERR_FORBIDDEN) {
        api_error(resp, 403, "no_key", "%s", why);
        return;
    }
    if (rc == ERR_EXISTS) {
        api_error(resp, 409, "already_confirmed", "%s", why);
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, why[0] ? why : NULL);
        return;
    }
    api_ok(resp, 200,
           json_pack("{s:s, s:b, s:b, s:I}", "username", u.username, "held",
                     (u.flags & STORE_USER_HELD) != 0, "reset", (u.flags & STORE_USER_RESET) != 0,
                     "reshared", (json_int_t)shared));
    wipe(&u, sizeof(u));
}
