/*
 * conn.h - one HTTP/1.1 connection on a libevent bufferevent.
 *
 * Requests are read with http/h1.h, one at a time: each is handed to the owner, which answers it
 * with conn_reply(), at once or later from the same loop thread; reading stops meanwhile, so
 * pipelined requests wait in the buffer and are answered in order. After the answer the next
 * request is read from the bytes already there. Also here:
 *
 *   - keep-alive (HTTP/1.1 by default, HTTP/1.0 when asked) and Connection: close;
 *   - 100 Continue for a request that expects it, once its head passed every check;
 *   - a refused request (h1_status() set) is answered and the connection closed: no byte after
 *     it is ever read as a request;
 *   - the request deadline: from the first byte of a request to its last, at most
 *     limits.timeout seconds, else the connection is dropped without an answer (a client
 *     sending one byte every few seconds cannot hold it: slowloris); the same time bounds an
 *     idle keep-alive connection and a write that makes no progress.
 *
 * Knows nothing of what a request means: that is the owner's (http/server.c).
 */
#ifndef DISSENT_HTTP_CONN_H
#define DISSENT_HTTP_CONN_H

#include "http/h1.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct conn;

/* What a connection tells its owner. */
struct conn_ops {
    /* A request is complete, or refused (h1_status(h) != 0): answer it with conn_reply(). @h
     * stays valid, and unchanged, until then. */
    void (*request)(struct conn *c, const struct h1 *h, void *arg);
    /* The answer to one request() has been written out, or the connection failed first: once
     * per request(). */
    void (*finished)(void *arg);
};

struct conn_limits {
    size_t max_head; /* request line and fields, bytes */
    size_t max_body; /* body, bytes */
    int timeout;     /* seconds: a request's arrival, an idle connection, a stalled write */
};

/* One header field of an answer. */
struct conn_header {
    const char *name, *value;
};

/**
 * conn_new() - serve the accepted connection @bev (owned from now on; freed with the connection)
 * from @peer (an address, for the owner). The connection links itself into *@list, which the
 * owner keeps to close what is left (conn_close_all()). NULL when out of memory (@bev is then
 * freed).
 */
struct conn *conn_new(struct bufferevent *bev, const char *peer, const struct conn_limits *lim,
                      const struct conn_ops *ops, void *arg, struct conn **list);

/**
 * conn_reply() - answer the request last handed out: @status, the fields @hdrs (Date,
 * Content-Length and Connection are added here), and @body (@len bytes, copied; not sent for HEAD,
 * 204 and 304). @close closes the connection after it; a refused request always does. On a
 * connection that failed meanwhile this only frees it.
 */
void conn_reply(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                const void *body, size_t len, bool close);

/*
 * A body made piece by piece (a file read from the database): conn_reply_stream() sends the head
 * with Content-Length @len, then conn_stream_write() queues the body's bytes in order. The
 * connection stays with this answer until all @len bytes are queued, or conn_stream_abort().
 */
#define CONN_STREAM_AHEAD (256 * 1024) /* queued bytes beyond which a writer waits for room */
enum { CONN_STREAM_FAILED = -1, CONN_STREAM_DONE = 0, CONN_STREAM_MORE = 1, CONN_STREAM_WAIT = 2 };

/**
 * conn_reply_stream() - answer the request last handed out with @status, @hdrs and a body of
 * @len bytes to follow. true: write it with conn_stream_write(). false: the answer is complete
 * already (a HEAD request, @len 0, an answer that could not be queued) or the connection failed
 * meanwhile (it is freed); write nothing more.
 */
bool conn_reply_stream(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                       uint64_t len, bool close);

/**
 * conn_stream_write() - queue the body's next @n bytes (copied). Returns CONN_STREAM_DONE (that
 * was the last byte: the answer is complete), CONN_STREAM_MORE (write the next bytes now),
 * CONN_STREAM_WAIT (the client is behind: @room(@arg) is called once, from the loop, when the
 * output has drained or the connection failed; write then), or CONN_STREAM_FAILED (the
 * connection failed, or more than @len bytes: it is closed and must not be used again).
 */
int conn_stream_write(struct conn *c, const void *data, size_t n, void (*room)(void *), void *arg);

/**
 * conn_stream_abort() - the rest of the body cannot be made: the connection closes after what
 * is queued (the client sees the body cut short of its Content-Length). Do not use it again.
 */
void conn_stream_abort(struct conn *c);

/** conn_peer() - the peer address given to conn_new(). */
const char *conn_peer(const struct conn *c);

/** conn_close_all() - free every connection of @list at once (the loop has stopped). */
void conn_close_all(struct conn **list);

/** conn_reason() - the reason phrase of @status ("" when unknown). */
const char *conn_reason(int status);

#endif
