/*
 * health.c - GET /healthz (the process answers) and GET /readyz (the database answers).
 */
#include "api/api.h"

#include "core/cosigning.h"
#include "core/ledger.h"
#include "util/mem.h"
#include "util/err.h"

void api_health(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    api_ok(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/*
 * The log's witnessing, for whoever watches readiness: the newest checkpoint, the one published
 * (with [tlog] witness_quorum cosignatures), the lag between them, and each witness as the
 * leading server last found it (core/cosigning.h; another server shows "unknown"). A lag is not
 * a reason to stop serving: filing goes on, and the status stays ready.
 */
static json_t *log_details(struct api_env *env)
{
    struct cosigner_status ws[COSIGNING_MAX];
    uint64_t newest = 0, published = 0;
    char *text = NULL;
    int quorum = env->ch != NULL ? env->ch->log_quorum : 0;
    size_t n = cosigning_status(ws, COSIGNING_MAX);
    json_t *o, *arr = json_array();

    if (store_tlog_checkpoint_latest(env->st, &newest, &text) == 0) {
        mem_free(text);
        text = NULL;
        /* what was published with the quorum: not the newest a lack of witnesses falls back to */
        if ((quorum > 0 ? store_tlog_checkpoint_witnessed(env->st, quorum, &published, &text)
                        : ledger_checkpoint_public(env->st, 0, &text, &published)) != 0)
            published = 0;
        mem_free(text);
    }
    for (size_t i = 0; i < n && arr != NULL; i++)
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s?}", "name", ws[i].name, "state",
                      cosigner_state_name(ws[i].state), "size", (json_int_t)ws[i].size, "last_ok",
                      (json_int_t)ws[i].last_ok, "refusals", (json_int_t)ws[i].refusals, "failures",
                      (json_int_t)ws[i].failures, "error", ws[i].error[0] ? ws[i].error : NULL));
    o = json_pack("{s:I, s:I, s:I, s:i, s:o}", "checkpoint", (json_int_t)newest, "published",
                  (json_int_t)published, "lag", (json_int_t)(newest - published), "quorum", quorum,
                  "witnesses", arr != NULL ? arr : json_array());
    return o != NULL ? o : json_object();
}

void api_ready(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    char why[256] = "";
    int rc;

    if (store_ping(env->st) != 0) {
        api_error(resp, 503, "not_ready", "the database does not answer");
        return;
    }
    /* a log the database altered is stopped: say so to whoever watches readiness */
    /* never waits on the event loop for a signer holding the log's lock (it checks too) */
    if ((rc = ledger_check(env->st, true, why, sizeof(why))) == ERR_INTEGRITY) {
        api_error(resp, 503, "log_stopped",
                  "the transparency log is stopped, no checkpoint is signed: %s", why);
        return;
    }
    if (rc != 0) {
        api_error(resp, 503, "not_ready", "the transparency log cannot be checked");
        return;
    }
    api_ok(resp, 200, json_pack("{s:s, s:o}", "status", "ready", "log", log_details(env)));
}
