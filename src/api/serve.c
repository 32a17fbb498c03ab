#include "api/serve.h"

#include "api/api.h"
#include "core/stats.h"
#include "core/trust.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <string.h>
#include <time.h>

_Static_assert(HTTP_HEADER_MAX == API_HEADER_MAX, "header values fit both ways");

/* One request: the API's view of it, and the rendered JSON answer. */
struct exchange {
    struct api_req req;
    struct api_resp resp;
    char *rendered; /* the JSON body and a newline, or NULL */
};

static int thread_init(void *arg, void **ctx)
{
    const struct api_serve *s = arg;
    struct api_env *env = mem_calloc(1, sizeof(*env));
    struct store *st = NULL;
    char err[256] = "";

    *ctx = NULL;
    if (env == NULL)
        return ERR_NOMEM;
    if (store_open(s->store_uri, &st, err, sizeof(err)) != 0) {
        log_error("thread: %s", err);
        mem_free(env);
        return ERR_DB;
    }
    if (trust_attach(st, s->ch->key, s->ch->log_key, s->cfg->data_dir) != 0) {
        store_close(st);
        mem_free(env);
        return ERR_NOMEM;
    }
    api_env_init(env, st, s->cfg, s->ch);
    *ctx = env;
    return 0;
}

static void thread_free(void *ctx)
{
    struct api_env *env = ctx;

    if (env == NULL)
        return;
    api_env_release(env);
    store_close(env->st);
    mem_free(env);
}

static enum api_method method_of(enum http_req_method m)
{
    static const enum api_method map[] = {
        [HTTP_REQ_GET] = API_GET,        [HTTP_REQ_POST] = API_POST,     [HTTP_REQ_PUT] = API_PUT,
        [HTTP_REQ_PATCH] = API_PATCH,    [HTTP_REQ_DELETE] = API_DELETE, [HTTP_REQ_HEAD] = API_HEAD,
        [HTTP_REQ_OPTIONS] = API_OPTIONS};

    return (unsigned)m < sizeof(map) / sizeof(map[0]) ? map[m] : API_OPTIONS;
}

static void from_http(const struct http_request *rq, struct api_req *req)
{
    req->method = method_of(rq->method);
    req->method_name = rq->method_name;
    req->path = rq->path;
    req->query = rq->query;
    req->body = rq->body;
    req->body_len = rq->body_len;
    req->content_type = rq->content_type;
    req->cookie = rq->cookie;
    req->requested_with = rq->requested_with;
    req->origin = rq->origin;
    req->host = rq->host;
    req->if_match = rq->if_match;
    req->authorization = rq->authorization;
    req->accept_language = rq->accept_language;
    str_copy(req->addr, sizeof(req->addr), rq->addr);
    req->now = rq->now;
}

/* @x's answer, rendered for the server: a file as it is, JSON as text and a newline. */
static void to_http(struct exchange *x, struct http_response *rs)
{
    const struct api_resp *r = &x->resp;

    rs->status = r->status;
    rs->route = r->route != NULL ? r->route : "-";
    rs->cache_control = r->cache_control;
    rs->vary = r->vary;
    str_copy(rs->set_cookie, sizeof(rs->set_cookie), r->set_cookie);
    str_copy(rs->allow, sizeof(rs->allow), r->allow);
    str_copy(rs->location, sizeof(rs->location), r->location);
    str_copy(rs->etag, sizeof(rs->etag), r->etag);
    rs->retry_after = r->retry_after;
    rs->conditional = false;
    rs->body = NULL;
    rs->body_len = 0;
    rs->content_type = NULL;
    rs->disposition = r->disposition;
    rs->stream = r->stream && r->more != NULL && r->status == 200;
    rs->stream_len = r->stream_len;
    if (rs->stream) {
        rs->content_type = r->content_type;
    } else if (r->raw != NULL) {
        rs->body = r->raw;
        rs->body_len = r->raw_len;
        rs->content_type = r->content_type;
        rs->conditional = true; /* the web interface's files */
    } else if (r->body != NULL) {
        size_t k;
        rs->content_type = "application/json; charset=utf-8";
        if ((x->rendered = api_json_text(r->body, &k)) != NULL) {
            rs->body = (uint8_t *)x->rendered;
            rs->body_len = k;
        }
    }
}

static bool prepare(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs)
{
    struct exchange *x = ex;

    struct api_env *env = ctx;
    enum api_next next;

    from_http(rq, &x->req);
    store_cache_request(env->st, true); /* one look at what changed, for the whole request */
    next = api_prepare(ctx, &x->req, &x->resp);
    store_cache_request(env->st, false);
    if (next != API_DONE)
        return false;
    to_http(x, rs);
    return true;
}

static void run(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs)
{
    struct exchange *x = ex;

    api_run(ctx, &x->req, &x->resp);
    to_http(x, rs);
}

static void refuse(void *ex, struct http_response *rs, int status, const char *code,
                   const char *why)
{
    struct exchange *x = ex;

    json_decref(x->resp.body);
    x->resp.body = NULL;
    mem_free(x->rendered);
    x->rendered = NULL;
    api_error(&x->resp, status, code, "%s", why);
    if (x->resp.route == NULL)
        x->resp.route = "-";
    to_http(x, rs);
}

static void release(void *ex, struct http_response *rs)
{
    struct exchange *x = ex;

    api_req_release(&x->req);
    api_resp_release(&x->resp);
    mem_free(x->rendered);
    x->rendered = NULL;
    rs->body = NULL;
}

static int more(void *ctx, void *ex, uint8_t *buf, size_t cap, size_t *n)
{
    struct exchange *x = ex;

    return x->resp.more(ctx, x->resp.stream_arg, buf, cap, n);
}

void api_tick(struct api_env *env, int64_t now)
{
    housekeeping_tick(&env->hk, env->st, env->cfg, env->ch, now);
}

/* Once after the start, on the pool: the statistics' state is built from the whole log here
 * (api/stats.c), not by the first request that asks for them. */
static void warm(void *ctx)
{
    struct api_env *env = ctx;
    struct ledger_stats s;
    struct timespec t0, t1;
    int rc;

    if (env == NULL || env->ch == NULL)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = api_stats_compute(env, channel_now(env->ch), 0, &s)) != 0) {
        log_warn("statistics: cannot compute them at the start (%s): the first request tries "
                 "again",
                 err_str(rc));
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("statistics: the %llu published log entries counted at the start in %lld ms",
             (unsigned long long)s.log_size,
             (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
    stats_release(&s);
}

static void tick(void *ctx)
{
    struct api_env *env = ctx;

    api_tick(env, env->ch != NULL ? channel_now(env->ch) : (int64_t)time(NULL));
}

void api_handler(const struct api_serve *s, struct http_handler *out)
{
    *out = (struct http_handler){.arg = (void *)s,
                                 .exchange_size = sizeof(struct exchange),
                                 .thread_init = thread_init,
                                 .thread_free = thread_free,
                                 .prepare = prepare,
                                 .run = run,
                                 .error = refuse,
                                 .release = release,
                                 .more = more,
                                 .tick = tick,
                                 .warm = warm};
}
