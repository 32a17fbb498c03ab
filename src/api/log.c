/*
 * log.c - the transparency log over HTTP (c2sp.org/tlog-tiles): GET /log/checkpoint and
 * GET /log/tile/..., public unless [tlog] public = false (then auditors only); filing receipts
 * (GET /api/v1/memos/{id}/receipt). Checkpoints are signed on a schedule by the periodic work
 * (core/housekeeping.h), never on demand.
 */
#include "api/api.h"

#include "core/ledger.h"
#include "core/receipt.h"
#include "crypto/note.h"
#include "tlog/checkpoint.h"
#include "tlog/tile.h"
#include "util/err.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A test's server that lies about its checkpoint (util/fault.h; compiled out of release builds):
 * "checkpoint-fork" serves a checkpoint of the same size but another root, validly signed with
 * the log's key (a split view); "checkpoint-strip-cosigs" serves it without its witnesses'
 * cosignatures. @text is replaced (and freed); on any failure it is served as it is.
 */
static char *lie(struct api_env *env, char *text)
{
    struct tlog_checkpoint cp;
    struct note_vkey vk;
    char *out = NULL;
    size_t len = 0;

    note_skey_vkey(env->ch->log_key, &vk);
    if (tlog_checkpoint_open(text, strlen(text), NULL, &vk, &cp, NULL, 0) != 0)
        return text;
    if (fault_on("checkpoint-fork"))
        cp.root[0] ^= 1;
    if (tlog_checkpoint_sign(&cp, env->ch->log_key, &out, &len) != 0)
        return text;
    mem_free(text);
    return out;
}

void api_log_checkpoint(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char *text = NULL;
    uint64_t size = 0;
    int rc =
        ledger_checkpoint_public(env->st, env->ch != NULL ? env->ch->log_quorum : 0, &text, &size);

    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if (env->ch != NULL && (fault_on("checkpoint-fork") || fault_on("checkpoint-strip-cosigs")))
        text = lie(env, text);
    resp->status = 200;
    resp->raw = (uint8_t *)text;
    resp->raw_len = strlen(text);
    resp->content_type = "text/plain; charset=utf-8";
    resp->cache_control = "no-cache";
}

/*
 * Full tiles and bundles never change once served (they are within a signed tree), so the
 * process keeps the most recently asked TILE_CACHE_SLOTS of them (at most 64 KiB + 512 B per
 * slot for a bundle, 8 KiB for a hash tile) and answers those without the database. A tile the
 * database would now give otherwise was changed outside Dissent: the one kept is the right one.
 */
#define TILE_CACHE_SLOTS 32

static struct tile_slot {
    char path[TLOG_TILE_PATH_MAX];
    uint8_t *data;
    size_t len;
    uint64_t used; /* the clock at the last hit: the least recent goes first */
} tile_cache[TILE_CACHE_SLOTS];
static uint64_t tile_clock;
static pthread_mutex_t tile_mu = PTHREAD_MUTEX_INITIALIZER;

/* A copy of the kept tile @path into *@out, or false. */
static bool tile_cached(const char *path, uint8_t **out, size_t *len)
{
    bool hit = false;

    pthread_mutex_lock(&tile_mu);
    for (int i = 0; i < TILE_CACHE_SLOTS && !hit; i++) {
        struct tile_slot *s = &tile_cache[i];

        if (s->data == NULL || strcmp(s->path, path) != 0)
            continue;
        hit = true;
        if ((*out = mem_alloc(s->len)) == NULL) {
            hit = false;
            break;
        }
        memcpy(*out, s->data, s->len);
        *len = s->len;
        s->used = ++tile_clock;
    }
    pthread_mutex_unlock(&tile_mu);
    return hit;
}

/* Keep a copy of the full tile @path (best effort: out of memory keeps nothing). */
static void tile_keep(const char *path, const uint8_t *data, size_t len)
{
    struct tile_slot *old = &tile_cache[0];
    uint8_t *copy;

    if (strlen(path) >= sizeof(old->path) || (copy = mem_alloc(len)) == NULL)
        return;
    memcpy(copy, data, len);
    pthread_mutex_lock(&tile_mu);
    for (int i = 0; i < TILE_CACHE_SLOTS; i++) {
        if (tile_cache[i].data != NULL && strcmp(tile_cache[i].path, path) == 0) {
            old = NULL; /* another thread kept it meanwhile */
            break;
        }
        if (tile_cache[i].used < old->used)
            old = &tile_cache[i];
    }
    if (old != NULL) {
        mem_free(old->data);
        snprintf(old->path, sizeof(old->path), "%s", path);
        old->data = copy;
        old->len = len;
        old->used = ++tile_clock;
        copy = NULL;
    }
    pthread_mutex_unlock(&tile_mu);
    mem_free(copy);
}

void api_log_tile(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *path = http_route_param(&req->params, "path");
    uint8_t *data = NULL;
    size_t len = 0;
    bool full = false;
    int rc;

    if (tile_cached(path, &data, &len)) {
        full = true;
        rc = 0;
    } else if ((rc = ledger_tile(env->st, path, &data, &len, &full)) == 0 && full) {
        tile_keep(path, data, len);
    }

    if (rc == ERR_INVALID || rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "no such tile");
        return;
    }
    if (rc != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    resp->status = 200;
    resp->raw = data;
    resp->raw_len = len;
    resp->content_type = "application/octet-stream";
    /* full tiles never change; a partial tile of a given width never changes either, but
     * clients ask for the newest width through the checkpoint, so keep those short */
    resp->cache_control = full ? "public, max-age=31536000, immutable" : "public, max-age=60";
}

json_t *api_receipt_json(struct api_env *env, const struct memo *m, int64_t now, int *rc)
{
    char *cp = NULL, *proof = NULL, *doc = NULL;
    uint8_t *entry = NULL;
    size_t elen = 0, plen = 0, dlen = 0;
    uint64_t size = 0;
    json_error_t je;
    json_t *o = NULL;

    *rc = 0;
    if (!m->has_log || m->log_index < 0) {
        *rc = ERR_NOT_FOUND;
        return NULL;
    }
    if ((*rc = ledger_entry_get(env->st, (uint64_t)m->log_index, &entry, &elen)) != 0)
        goto out;
    if ((*rc = ledger_checkpoint(env->st, &cp, &size)) == ERR_NOT_FOUND)
        *rc = 0; /* none signed yet */
    if (*rc != 0)
        goto out;
    if (size <= (uint64_t)m->log_index) {
        *rc = ERR_BUSY; /* in the log, not yet in a signed checkpoint */
        goto out;
    }
    if ((*rc = ledger_proof(env->st, cp, (uint64_t)m->log_index, &proof, &plen)) != 0 ||
        (*rc = receipt_encode(entry, elen, m->log_salt, m->digest, (uint64_t)m->log_index, proof,
                              plen, &doc, &dlen)) != 0)
        goto out;
    if ((o = json_loadb(doc, dlen, 0, &je)) == NULL)
        *rc = ERR_INTERNAL;
out:
    mem_free(entry);
    mem_free(cp);
    mem_free(proof);
    mem_free(doc);
    return o;
}

void api_receipt_pending(struct api_env *env, struct api_resp *resp)
{
    api_error(resp, 409, "receipt_pending",
              "the filing is in the log; its receipt is ready once the next checkpoint is signed "
              "(every %d seconds): ask again then",
              env->cfg->log_interval);
    json_object_set_new(json_object_get(resp->body, "error"), "retry_after",
                        json_integer(env->cfg->log_interval));
}

void api_memos_receipt(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    int rc;
    json_t *o = api_receipt_json(env, &req->memo, req->now, &rc);

    if (o == NULL) {
        if (rc == ERR_NOT_FOUND)
            api_error_state(resp, "the memo has not been filed", req->memo.state);
        else if (rc == ERR_BUSY)
            api_receipt_pending(env, resp);
        else
            api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200, o);
}
