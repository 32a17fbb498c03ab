/*
 * web.c - the web interface, embedded at build time (http/static.h): GET / answers index.html
 * and GET /assets/{*path} the rest. index.html names its assets as /assets/VERSION/PATH, where
 * VERSION is a hash over every asset, so those answers never change and are cached for a year;
 * index.html itself is revalidated every time (ETag, 304 in http/server.c).
 */
#include "api/api.h"

#include "http/static.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMMUTABLE "public, max-age=31536000, immutable"

/* Answer @a with @cache_control; the bytes are copied because resp->raw is owned. */
static void serve(struct api_resp *resp, const struct http_static_asset *a,
                  const char *cache_control)
{
    if ((resp->raw = mem_alloc(a->len > 0 ? a->len : 1)) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    memcpy(resp->raw, a->data, a->len);
    resp->raw_len = a->len;
    resp->status = 200;
    resp->content_type = a->content_type;
    resp->cache_control = cache_control;
    snprintf(resp->etag, sizeof(resp->etag), "%s", a->etag);
}

void api_web_index(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const struct http_static_asset *a = http_static_find("index.html");

    if (a == NULL) {
        api_error(resp, 404, "not_found", "the web interface is not built in");
        return;
    }
    serve(resp, a, "no-cache");
}

void api_web_asset(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *path = http_route_param(&req->params, "path");
    const char *version = http_static_version();
    size_t vlen = strlen(version);
    const struct http_static_asset *a;

    if (path == NULL) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (strncmp(path, version, vlen) == 0 && path[vlen] == '/') {
        if ((a = http_static_find(path + vlen + 1)) != NULL) {
            serve(resp, a, IMMUTABLE);
            return;
        }
    } else {
        /* an unversioned name, or a page loaded before an upgrade asking for an older version:
         * answer the current file, revalidated on every use */
        const char *slash = strchr(path, '/');
        if ((a = http_static_find(path)) != NULL ||
            (slash != NULL && (a = http_static_find(slash + 1)) != NULL)) {
            serve(resp, a, "no-cache");
            return;
        }
    }
    api_error(resp, 404, "not_found", "no such file");
}
