/*
 * channel.c - GET /api/v1/channel/key: the channel's public signing key as a C2SP vkey, to check
 * the signed notes that bind replies to memos.
 */
#include "api/api.h"

#include "crypto/note.h"

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
