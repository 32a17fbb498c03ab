/*
 * health.c - GET /healthz (the process answers) and GET /readyz (the database answers).
 */
#include "api/api.h"

void api_health(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    api_ok(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void api_ready(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    if (store_ping(env->st) != 0) {
        api_error(resp, 503, "not_ready", "the database does not answer");
        return;
    }
    api_ok(resp, 200, json_pack("{s:s}", "status", "ready"));
}
