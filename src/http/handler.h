/*
 * handler.h - what the HTTP server (http/server.h) asks of the application it serves, and the
 * request and response it hands over. The server knows sockets, framing, limits, threads and
 * the headers every answer carries; it knows nothing of routes, sessions, JSON or the database.
 * src/cmd/serve.c gives it the API's handler (api/serve.h).
 *
 * Threads: the server runs N event-loop threads and a pool of worker threads. Each of them gets
 * its own context from @thread_init (a database connection, say) and frees it with
 * @thread_free. A request is first given to @prepare on its loop thread; when that does not
 * answer it, @run answers it on a pool thread, with the pool thread's context. @tick runs once
 * a second on the first loop thread.
 *
 * Per request the server allocates @exchange_size zeroed bytes, the handler's own state for that
 * request (passed to every call about it), and calls @release once the answer is sent.
 */
#ifndef DISSENT_HTTP_HANDLER_H
#define DISSENT_HTTP_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_req_method {
    HTTP_REQ_GET,
    HTTP_REQ_POST,
    HTTP_REQ_PUT,
    HTTP_REQ_PATCH,
    HTTP_REQ_DELETE,
    HTTP_REQ_HEAD,
    HTTP_REQ_OPTIONS
};

#define HTTP_HEADER_MAX 320 /* a Set-Cookie or Location value, NUL included */

/* One request as read; every pointer is valid until @release. */
struct http_request {
    enum http_req_method method;
    const char *method_name; /* "GET", ... for the log */
    const char *path;        /* without the query */
    const char *query;       /* raw query string, or NULL */
    const char *body;        /* body bytes, or NULL when empty */
    size_t body_len;
    const char *content_type; /* header values, NULL when absent */
    const char *cookie;
    const char *requested_with;
    const char *origin;
    const char *host;
    const char *if_match;
    const char *authorization;   /* only /metrics reads it (a bearer token) */
    const char *accept_language; /* the language of the API's messages (util/msg.h) */
    char addr[64];               /* the client's address ([server] trust_proxy applied) */
    int64_t now;                 /* unix seconds at arrival */
};

/* One answer. The server adds Date, Content-Length, Connection and its security headers. */
struct http_response {
    int status;
    const char *route;                /* what the log names (a route pattern), "-" when none */
    uint8_t *body;                    /* owned by the handler (freed in @release), or NULL */
    size_t body_len;                  /* bytes of @body */
    const char *content_type;         /* of @body */
    const char *cache_control;        /* NULL: "no-store" */
    const char *vary;                 /* Vary (what a cache must key the answer by), or NULL */
    bool conditional;                 /* a matching If-None-Match answers 304 (cached files) */
    char set_cookie[HTTP_HEADER_MAX]; /* header values, "" for none */
    char allow[64];
    char location[HTTP_HEADER_MAX];
    char etag[32];
    int64_t retry_after; /* seconds for Retry-After, 0 for none */
    /* A file to download: said as an attachment (Content-Disposition, a value the handler owns
     * until @release), and sandboxed should a browser open it all the same (its own
     * Content-Security-Policy: nothing runs, nothing loads). */
    const char *disposition;
    /* A body made piece by piece on the pool (a large file): @stream_len bytes in all, each
     * piece from the handler's @more; @body is then unused. Only for a 200. */
    bool stream;
    uint64_t stream_len;
};

struct http_handler {
    void *arg; /* given to @thread_init */
    size_t exchange_size;
    /* 0 and *@ctx, or an error code (the server then does not start, or the pool thread
     * fails its jobs) */
    int (*thread_init)(void *arg, void **ctx);
    void (*thread_free)(void *ctx);
    /* true when @rs is the answer; false: call @run on a pool thread */
    bool (*prepare)(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs);
    void (*run)(void *ctx, const struct http_request *rq, void *ex, struct http_response *rs);
    /* an answer the server gives itself (a request the framing refused, a shutdown), in the
     * application's error form */
    void (*error)(void *ex, struct http_response *rs, int status, const char *code,
                  const char *why);
    void (*release)(void *ex, struct http_response *rs);
    /* the next piece of a streamed body (http_response.stream), on a pool thread with that
     * thread's context: up to @cap bytes into @buf, their count in *@n (more than 0 until the
     * body is complete); non-zero fails it (the connection closes with the body cut short) */
    int (*more)(void *ctx, void *ex, uint8_t *buf, size_t cap, size_t *n);
    void (*tick)(void *ctx);
    /* once, after the server starts serving, on a pool thread with that thread's context: work
     * the first request would otherwise pay (api/serve.c: the statistics' state); or NULL */
    void (*warm)(void *ctx);
};

#endif
