/*
 * channel.c - the channel's keys: GET /api/v1/channel/key (the public signing key as a C2SP
 * vkey, to check the notes that bind replies to memos), GET /api/v1/channel (whether the
 * encryption key exists and the caller holds it) and POST /api/v1/channel/grants (an officer who
 * holds it grants it to another officer).
 */
#include "api/api.h"

#include "core/access.h"
#include "crypto/note.h"
#include "util/err.h"

void api_channel_key(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char vkey[NOTE_VKEY_MAX];
    struct note_vkey k;

    note_skey_vkey(env->ch->key, &k);
    if (note_vkey_format(&k, vkey, sizeof(vkey)) != 0) {
        api_error(resp, 500, "internal", "cannot encode the channel key");
        return;
    }
    api_ok(resp, 200, json_pack("{s:s, s:s}", "name", k.name, "vkey", vkey));
}

void api_channel_status(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    uint8_t pk[STORE_PUB_LEN];
    bool granted = false;
    int rc = store_channel_key_get(env->st, pk);

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
    static const char *const fields[] = {"username", NULL};
    const char *name;
    char why[256] = "";
    struct user to;
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &name) != 0)
        return;
    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, &to) : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND) {
        api_error_field(resp, "username", "no such user");
        return;
    }
    if (rc == 0)
        rc = access_channel_grant(&req->kr, &to, req->now, why, sizeof(why));
    if (rc == ERR_INVALID) {
        api_error_field(resp, "username", "%s", why);
        return;
    }
    if (rc == ERR_FORBIDDEN) {
        api_error(resp, 403, "no_key", "%s", why);
        return;
    }
    if (rc == ERR_NO_KEYS) {
        api_error(resp, 409, "not_enrolled", "%s", why);
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 201, json_pack("{s:s, s:b}", "username", to.username, "granted", 1));
}
