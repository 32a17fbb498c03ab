/*
 * serve.c - the witness as the HTTP server's handler (witness/serve.h): the routes of
 * c2sp.org/tlog-witness over witness/witness.h.
 *
 *   POST /add-checkpoint               add-checkpoint (the submission prefix is the root)
 *   GET  /<origin hash>/checkpoint     the latest checkpoint cosigned for that log
 *   GET  /                             the witness's verifier key, one line
 *
 * Cosigning writes a file durably, so POST runs on a pool thread, and so does the monitoring GET
 * (it waits for a write in progress); the rest answers at once.
 */
#include "witness/serve.h"

#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HASH_HEX 64

struct exchange {
    struct witness_answer a;
};

static int thread_init(void *arg, void **ctx)
{
    *ctx = arg;
    return 0;
}

static void thread_free(void *ctx)
{
    (void)ctx;
}

static void to_http(struct exchange *x, const char *route, struct http_response *rs)
{
    rs->status = x->a.status;
    rs->route = route;
    rs->body = (uint8_t *)x->a.body;
    rs->body_len = x->a.len;
    rs->content_type = x->a.content_type;
    rs->cache_control = "no-store";
}

static void text(struct exchange *x, int status, const char *body)
{
    size_t n = strlen(body);

    x->a.status = status;
    x->a.content_type = "text/plain; charset=utf-8";
    if ((x->a.body = mem_alloc(n + 1)) != NULL) {
        memcpy(x->a.body, body, n + 1);
        x->a.len = n;
    }
}

/* "/<64 lowercase hex>/checkpoint": the hash into @hash. */
static bool checkpoint_path(const char *path, char hash[HASH_HEX + 1])
{
    if (strlen(path) != 1 + HASH_HEX + 11 || path[0] != '/' ||
        strcmp(path + 1 + HASH_HEX, "/checkpoint") != 0)
        return false;
    for (int i = 0; i < HASH_HEX; i++) {
        char c = path[1 + i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        hash[i] = c;
    }
    hash[HASH_HEX] = '\0';
    return true;
}

static bool prepare(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs)
{
    struct witness_serve *s = ctx;
    struct exchange *x = ex;
    char hash[HASH_HEX + 1];
    bool get = rq->method == HTTP_REQ_GET || rq->method == HTTP_REQ_HEAD;

    if (strcmp(rq->path, "/add-checkpoint") == 0) {
        if (rq->method == HTTP_REQ_POST)
            return false; /* run() */
        text(x, 405, "POST only\n");
        snprintf(rs->allow, sizeof(rs->allow), "POST");
        to_http(x, "/add-checkpoint", rs);
        return true;
    }
    if (strcmp(rq->path, "/") == 0 && get) {
        char line[NOTE_VKEY_MAX + 1];
        size_t n;

        witness_vkey(s->w, line, sizeof(line) - 1);
        n = strlen(line);
        line[n] = '\n';
        line[n + 1] = '\0';
        text(x, 200, line);
        to_http(x, "/", rs);
        return true;
    }
    if (checkpoint_path(rq->path, hash) && get)
        return false; /* run(): it waits for a write in progress, never on the event loop */
    text(x, 404, "not found\n");
    to_http(x, "-", rs);
    return true;
}

static void run(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs)
{
    struct witness_serve *s = ctx;
    struct exchange *x = ex;
    char hash[HASH_HEX + 1];

    if (rq->method != HTTP_REQ_POST && checkpoint_path(rq->path, hash)) {
        if (witness_checkpoint(s->w, hash, &x->a) != 0) {
            witness_answer_release(&x->a);
            text(x, 500, "out of memory\n");
        }
        to_http(x, "/{origin}/checkpoint", rs);
        return;
    }
    if (witness_add(s->w, rq->body != NULL ? rq->body : "", rq->body_len, (int64_t)time(NULL),
                    &x->a) != 0) {
        witness_answer_release(&x->a);
        text(x, 500, "out of memory\n");
    }
    to_http(x, "/add-checkpoint", rs);
}

static void refuse(void *ex, struct http_response *rs, int status, const char *code,
                   const char *why)
{
    struct exchange *x = ex;
    char buf[256];

    witness_answer_release(&x->a);
    snprintf(buf, sizeof(buf), "%s: %s\n", code, why);
    text(x, status, buf);
    to_http(x, "-", rs);
}

static void release(void *ex, struct http_response *rs)
{
    struct exchange *x = ex;

    witness_answer_release(&x->a);
    rs->body = NULL;
}

void witness_handler(struct witness_serve *s, struct http_handler *out)
{
    *out = (struct http_handler){.arg = s,
                                 .exchange_size = sizeof(struct exchange),
                                 .thread_init = thread_init,
                                 .thread_free = thread_free,
                                 .prepare = prepare,
                                 .run = run,
                                 .error = refuse,
                                 .release = release};
}
