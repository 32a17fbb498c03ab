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
#include "core/channels.h"
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

/* The channels an account's officer role is of (an account of no channel: channel 1's). */
static uint64_t officer_channels(const struct user *u)
{
    return u->channels != 0 ? u->channels : 1;
}

void api_channel_status(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct channel_row *rows = NULL;
    uint64_t mine = officer_channels(&req->user), granted = 0, keyed = 0, listed = 0;
    size_t n = 0;
    json_t *items;
    int rc = channels_list(env->st, &rows, &n);

    /* each of the officer's channels: whether it has a key (the pinned one), then whether they
     * hold it */
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t pk[STORE_PUB_LEN];
        if (!channels_has(mine, rows[i].id))
            continue;
        int k = trust_channel_pk(env->st, rows[i].id, pk);
        if (k != 0 && k != ERR_NOT_FOUND)
            rc = k;
        listed |= UINT64_C(1) << (rows[i].id - 1);
        if (k == 0)
            keyed |= UINT64_C(1) << (rows[i].id - 1);
    }
    if (rc == 0)
        rc = access_channel_grants(env->st, req->user.id, &granted);
    items = rc == 0 ? json_array() : NULL;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (channels_has(listed, rows[i].id))
            json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:b, s:b}", "channel",
                                                   (json_int_t)rows[i].id, "slug", rows[i].slug,
                                                   "name", rows[i].name, "has_key",
                                                   channels_has(keyed, rows[i].id), "granted",
                                                   channels_has(keyed & granted, rows[i].id)));
    store_channel_list_free(rows, n);
    if (rc != 0) {
        json_decref(items);
        api_error_rc(resp, rc, NULL);
        return;
    }
    /* the whole: every one of the officer's channels has a key, and they hold each */
    api_ok(resp, 200,
           json_pack("{s:b, s:b, s:o}", "has_key", listed != 0 && keyed == listed, "granted",
                     listed != 0 && (granted & keyed) == listed, "channels", items));
}

void api_channel_grant(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"username", "channel", NULL};
    struct channel_row ch;
    const char *name, *slug = NULL;
    char why[256] = "";
    uint64_t mine = 0, want;
    struct user to;
    json_t *slugs;
    int rc;

    memset(&ch, 0, sizeof(ch));
    if (api_fields_allowed(resp, req->json, fields) != 0 ||
        api_get_string(resp, req->json, "username", true, USERNAME_MAX, &name) != 0 ||
        api_get_string(resp, req->json, "channel", false, STORE_CHANNEL_SLUG_MAX, &slug) != 0)
        return;
    rc = user_username_valid(name) ? store_user_get_by_name(env->st, name, &to) : ERR_NOT_FOUND;
    if (rc == ERR_NOT_FOUND) {
        api_error_field(resp, "username", "no such user");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    wipe(to.pwhash, sizeof(to.pwhash));
    /* one channel when named (the granter's own), else each channel the granter holds the key
     * of and the account is an officer of */
    if (slug != NULL) {
        rc = channels_slug_valid(slug) ? channels_get(env->st, slug, 0, &ch) : ERR_NOT_FOUND;
        mem_free(ch.settings);
        if (rc == 0 && !channels_has(officer_channels(&req->user), ch.id))
            rc = ERR_NOT_FOUND; /* another channel's: as if there were none */
        if (rc == ERR_NOT_FOUND) {
            api_error_field(resp, "channel", "channel: no channel %.32s", slug);
            return;
        }
        if (rc != 0) {
            api_error_rc(resp, rc, NULL);
            return;
        }
        want = UINT64_C(1) << (ch.id - 1);
    } else {
        if ((rc = access_channel_grants(env->st, req->user.id, &mine)) != 0) {
            api_error_rc(resp, rc, NULL);
            return;
        }
        want = mine & officer_channels(&req->user) & officer_channels(&to);
        if (want == 0) {
            /* nothing in common: one channel's grant gives the reason (not an officer of it,
             * or no key held) */
            want = officer_channels(&req->user) & ~(officer_channels(&req->user) - 1);
        }
    }
    /* the channels' slugs, read once, for the answer */
    struct channel_row *rows = NULL;
    size_t nrows = 0;
    if ((rc = channels_list(env->st, &rows, &nrows)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    slugs = json_array();
    for (size_t i = 0; i < nrows && rc == 0; i++) {
        if (!channels_has(want, rows[i].id))
            continue;
        if ((rc = access_channel_grant(&req->kr, &to, rows[i].id, req->now, why, sizeof(why))) == 0)
            json_array_append_new(slugs, json_string(rows[i].slug));
    }
    store_channel_list_free(rows, nrows);
    if (rc != 0)
        json_decref(slugs);
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
    api_ok(resp, 201,
           json_pack("{s:s, s:b, s:o}", "username", to.username, "granted", 1, "channels", slugs));
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
    int rc = access_channel_granted(env->st, 0, req->user.id, &granted);

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
    if (rc == ERR_STATE) { /* another channel's account, still held: its own officers first */
        api_error(resp, 403, "other_channel", "%s", why);
        return;
    }
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
