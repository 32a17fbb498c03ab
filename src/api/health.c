/*
 * health.c - GET /healthz (the process answers) and GET /readyz (the database answers).
 */
#include "api/api.h"

#include "core/ledger.h"
#include "util/err.h"

void api_health(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    api_ok(resp, 200, json_pack("{s:s}", "status", "ok"));
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
    api_ok(resp, 200, json_pack("{s:s}", "status", "ready"));
}
