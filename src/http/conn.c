#include "http/conn.h"

#include "http/tls.h"

#include "util/mem.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Answers queued beyond this many bytes stop the reading of further pipelined requests until the
 * client has taken them (else a client that sends and never reads would grow them without end). */
#define OUT_MAX (64 * 1024)
#define LINGER_SECS 2           /* after our close: how long the client's late bytes are drained */
#define LINGER_MAX (256 * 1024) /* and how many */

struct conn {
    struct bufferevent *bev;
    struct event *deadline; /* the request deadline */
    struct h1 h;
    const struct conn_limits *lim;
    const struct conn_ops *ops;
    void *arg;
    char peer[64];
    int unfinished;       /* answers queued whose finished() is still owed */
    bool reading;         /* a request's first byte arrived; the deadline runs */
    bool handshaking;     /* a TLS handshake under way: the deadline runs (conn_new) */
    bool busy;            /* a request was handed out and not answered yet */
    bool closing;         /* close once the output is written */
    bool eof;             /* the peer will send nothing more */
    bool dead;            /* failed while busy: freed by conn_reply() */
    bool processing;      /* inside process() */
    bool lingering;       /* closed for writing, draining what the client still sends */
    size_t drained;       /* bytes drained so, while lingering */
    bool streaming;       /* an answer's body is being written by conn_stream_write() */
    bool keep;            /* that answer keeps the connection open */
    uint64_t left;        /* bytes of its body still owed */
    void (*room)(void *); /* called once when the output drains, or the connection fails */
    void *room_arg;
    struct conn **list, *next, *prev;
};

static void answered(struct conn *c, bool keep);
static bool put_head(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                     uint64_t len, bool bodiless, bool *keep);

static void destroy(struct conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        *c->list = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    for (; c->unfinished > 0; c->unfinished--)
        c->ops->finished(c->arg);
    if (c->busy)
        c->ops->finished(c->arg);
    h1_release(&c->h);
    if (c->deadline != NULL)
        event_free(c->deadline);
    bufferevent_free(c->bev);
    mem_free(c);
}

/* Throw away what the client has sent and we have not read. */
static void drop_input(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);

    evbuffer_drain(in, evbuffer_get_length(in));
}

static void linger_read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    c->drained += evbuffer_get_length(in);
    evbuffer_drain(in, evbuffer_get_length(in));
    if (c->drained > LINGER_MAX)
        destroy(c);
}

static void linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
    destroy(arg); /* the client closed too, or took too long */
}

/*
 * Close once nothing is owed: no request out, nothing left to write; true when the connection is
 * closed (or closing) and must not be used further. Unless the client has closed its side, ours
 * is shut for writing first and what the client still sends is drained for a moment: closing a
 * socket with unread bytes would send a reset, which can destroy our last answer in transit
 * (a refusal sent before the body it refuses was read, say).
 */
static bool close_if_done(struct conn *c)
{
    int fd;
    struct timeval tv = {LINGER_SECS, 0};

    if (c->lingering)
        return true;
    if (!c->closing || c->busy || evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
        return false;
    fd = (int)bufferevent_getfd(c->bev);
    /* over TLS, its close_notify goes before the TCP FIN (the output is empty: nothing of the
     * answer is behind it) */
    if (!c->eof)
        tls_close_notify(c->bev);
    if (c->eof || fd < 0 || shutdown(fd, SHUT_WR) != 0) {
        destroy(c);
        return true;
    }
    c->lingering = true;
    h1_release(&c->h); /* nothing of the last request is kept meanwhile */
    event_del(c->deadline);
    evtimer_add(c->deadline, &tv); /* once: bytes arriving do not extend it (deadline_cb) */
    drop_input(c);
    bufferevent_setcb(c->bev, linger_read_cb, NULL, linger_event_cb, c);
    bufferevent_set_timeouts(c->bev, &tv, NULL);
    bufferevent_enable(c->bev, EV_READ);
    return true;
}

static void stop_deadline(struct conn *c)
{
    c->reading = false;
    event_del(c->deadline);
}

/*
 * The answers queued are written by the loop (EV_WRITE, then write_cb() delivers them), on its
 * next turn, with the other connections' answers of this turn: measured against writing each one
 * at once with evbuffer_write() (which needs the output's frozen front thawed), this is about a
 * tenth faster under load on two cores (docs/benchmarks.md). With nothing left to write (an answer
 * that could not be queued), its answers are delivered now, and the connection may close. A body
 * being streamed is the stream's own (write_cb()'s room).
 */
static void write_out(struct conn *c)
{
    if (c->streaming)
        return;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0) {
        bufferevent_enable(c->bev, EV_WRITE);
        return;
    }
    for (; c->unfinished > 0; c->unfinished--)
        c->ops->finished(c->arg);
}

/* Read requests out of what has arrived, until one is handed out or the bytes run out; then
 * have the answers written (write_out()). */
static void process(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer *out = bufferevent_get_output(c->bev);

    if (c->processing)
        return;
    c->processing = true;
    while (!c->busy && !c->closing && evbuffer_get_length(in) > 0 &&
           evbuffer_get_length(out) <= OUT_MAX) {
        struct evbuffer_iovec v;
        size_t used = 0;
        enum h1_event ev;

        if (!c->reading) {
            struct timeval tv = {c->lim->timeout, 0};
            c->reading = true;
            event_add(c->deadline, &tv);
        }
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
            break;
        ev = h1_feed(&c->h, v.iov_base, v.iov_len, &used);
        evbuffer_drain(in, used);
        if (ev == H1_MORE)
            continue;
        if (ev == H1_HEAD) {
            bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
            continue;
        }
        /* a request, or a refusal: nothing more is read until it is answered (an answer
         * made at once leaves the reading on: turning it off and on again would cost an
         * epoll_ctl(2) per request, even through the change list) */
        stop_deadline(c);
        c->busy = true;
        if (ev == H1_REFUSED)
            drop_input(c);
        c->ops->request(c, &c->h, c->arg);
        if (c->busy)
            bufferevent_disable(c->bev, EV_READ);
    }
    write_out(c);
    c->processing = false;
    if (c->busy)
        return;
    if (c->eof)
        c->closing = true; /* half a request, or none, and nothing more will come */
    if (close_if_done(c) || c->closing)
        return;
    if (evbuffer_get_length(out) > OUT_MAX)
        bufferevent_disable(c->bev, EV_READ); /* until the client takes its answers (write_cb) */
    else
        bufferevent_enable(c->bev, EV_READ);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    process(arg);
}

/* The output is written out: the answers in it are delivered. */
static void write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;

    if (c->streaming && c->room != NULL) {
        void (*room)(void *) = c->room;
        c->room = NULL;
        room(c->room_arg); /* (may end the answer, or the connection: nothing after this) */
        return;
    }
    for (; c->unfinished > 0; c->unfinished--)
        c->ops->finished(c->arg);
    /* the next answers turn the writing on again (write_out()); a TLS connection's stays on */
    if (!tls_is(bev) && !c->streaming)
        bufferevent_disable(bev, EV_WRITE);
    if (!close_if_done(c) && !c->busy && !c->closing)
        process(c); /* pipelined requests waiting for room (OUT_MAX) */
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;

    if (what == BEV_EVENT_CONNECTED) { /* a TLS handshake done: the request follows */
        c->handshaking = false;
        if (!c->reading)
            event_del(c->deadline);
        return;
    }
    if ((what & BEV_EVENT_EOF) && !(what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))) {
        /* the peer closed its side: answer what it sent, then close */
        c->eof = true;
        if (!c->busy) {
            c->closing = true;
            close_if_done(c);
        }
        return;
    }
    /* an error, an idle read, a stalled write */
    if (c->busy) {
        c->dead = true;
        bufferevent_disable(bev, EV_READ | EV_WRITE);
        if (c->streaming && c->room != NULL) {
            void (*room)(void *) = c->room;
            c->room = NULL;
            room(c->room_arg); /* its next write fails, and frees the connection */
        }
        return;
    }
    destroy(c);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    if (c->lingering) {
        destroy(c); /* the client had its moment to stop sending */
        return;
    }
    if (c->handshaking) {
        destroy(c); /* a TLS handshake is bound like a request: slow ones hold nothing */
        return;
    }
    if (c->busy || !c->reading)
        return;
    destroy(c); /* the request did not arrive in time: no answer, as for an idle one */
}

struct conn *conn_new(struct bufferevent *bev, const char *peer, const struct conn_limits *lim,
                      const struct conn_ops *ops, void *arg, struct conn **list)
{
    struct conn *c = mem_calloc(1, sizeof(*c));
    struct timeval tv = {lim->timeout, 0};

    if (c == NULL ||
        (c->deadline = evtimer_new(bufferevent_get_base(bev), deadline_cb, c)) == NULL) {
        mem_free(c);
        bufferevent_free(bev);
        return NULL;
    }
    c->bev = bev;
    c->lim = lim;
    c->ops = ops;
    c->arg = arg;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    h1_init(&c->h, lim->max_head, lim->max_body);
    c->list = list;
    c->next = *list;
    if (*list != NULL)
        (*list)->prev = c;
    *list = c;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ);
    if (tls_is(bev)) { /* the handshake, from its first byte to its last, within the timeout */
        c->handshaking = true;
        evtimer_add(c->deadline, &tv);
    }
    return c;
}

const char *conn_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

/* The answer to the request handed out is queued whole: keep the connection for the next one,
 * or close it once written. */
static void answered(struct conn *c, bool keep)
{
    c->busy = false;
    c->unfinished++;
    if (!keep) {
        c->closing = true;
        drop_input(c);
        h1_release(&c->h);
    } else {
        h1_next(&c->h);
    }
    /* written once process() hands them to the loop, now or when the one under way ends */
    if (!c->processing)
        process(c);
}

void conn_reply(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                const void *body, size_t len, bool close)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    bool refused = h1_status(&c->h) != 0;
    /* (a client that closed its side after pipelining gets every answer: process() closes once
     * no whole request is left) */
    bool keep = !close && !refused && h1_keep_alive(&c->h);
    bool bodiless = status == 204 || status == 304 || (status >= 100 && status < 200);
    /* (a head refused before it was read was not a HEAD request of ours) */
    bool head = c->h.head_done && h1_method(&c->h) == H1_HEAD_M;
    int bad = 0;

    if (!c->busy || c->streaming)
        return;
    if (c->dead) {
        c->busy = false;
        c->ops->finished(c->arg);
        destroy(c);
        return;
    }
    bad |= !put_head(c, status, hdrs, nhdrs, len, bodiless, &keep);
    if (!bad && !bodiless && len > 0 && !head)
        bad |= evbuffer_add(out, body, len);
    /* an answer not written whole (out of memory) ends the connection: whatever follows could
     * be read as the rest of it */
    if (bad)
        keep = false;
    answered(c, keep);
}

/* The Date field's value, made again only when the second changes (per thread). */
static const char *http_date(void)
{
    static _Thread_local time_t made = -1;
    static _Thread_local char date[40];
    time_t now = time(NULL);
    struct tm tm;

    if (now != made) {
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        made = now;
    }
    return date;
}

/* A head's bytes, as snprintf() counts them: what does not fit in @cap is counted, not written. */
struct head {
    char *buf;
    size_t cap, len;
};

static void put(struct head *h, const char *s, size_t n)
{
    if (h->len < h->cap)
        memcpy(h->buf + h->len, s, n < h->cap - h->len ? n : h->cap - h->len);
    h->len += n;
}

static void puts0(struct head *h, const char *s)
{
    put(h, s, strlen(s));
}

static void make_head(struct head *h, const struct conn *c, int status,
                      const struct conn_header *hdrs, size_t nhdrs, uint64_t len, bool bodiless,
                      bool keep)
{
    char num[48];

    snprintf(num, sizeof(num), "HTTP/1.1 %03d ", status % 1000);
    puts0(h, num);
    puts0(h, conn_reason(status));
    puts0(h, "\r\nDate: ");
    puts0(h, http_date());
    put(h, "\r\n", 2);
    for (size_t i = 0; i < nhdrs; i++) /* never a line break of a value's own */
        if (hdrs[i].value != NULL && hdrs[i].value[0] != '\0' && !strpbrk(hdrs[i].value, "\r\n")) {
            puts0(h, hdrs[i].name);
            put(h, ": ", 2);
            puts0(h, hdrs[i].value);
            put(h, "\r\n", 2);
        }
    if (!bodiless) {
        snprintf(num, sizeof(num), "Content-Length: %llu\r\n", (unsigned long long)len);
        puts0(h, num);
    }
    if (!keep)
        puts0(h, "Connection: close\r\n");
    else if (h1_minor(&c->h) == 0)
        puts0(h, "Connection: keep-alive\r\n");
    put(h, "\r\n", 2);
}

/*
 * The head of an answer (status line, @hdrs, Content-Length @len unless bodiless, Connection),
 * made in one buffer (on the stack when it fits, as nearly all do) and queued with one copy;
 * *@keep is updated. false when it could not be queued whole.
 */
static bool put_head(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                     uint64_t len, bool bodiless, bool *keep)
{
    char stack[2048];
    struct head h = {stack, sizeof(stack), 0};
    bool ok;

    make_head(&h, c, status, hdrs, nhdrs, len, bodiless, *keep);
    if (h.len > h.cap) { /* a long Content-Disposition, say */
        size_t need = h.len;
        if ((h.buf = mem_alloc(need)) == NULL) {
            *keep = false;
            return false;
        }
        h = (struct head){h.buf, need, 0};
        make_head(&h, c, status, hdrs, nhdrs, len, bodiless, *keep);
    }
    /* (the second pass is as long as the first: the Date is always 29 bytes; were it not, the
     * head would be cut short and refused rather than overrun) */
    ok = h.len <= h.cap && evbuffer_add(bufferevent_get_output(c->bev), h.buf, h.len) == 0;
    if (h.buf != stack)
        mem_free(h.buf);
    if (!ok)
        *keep = false;
    return ok;
}

bool conn_reply_stream(struct conn *c, int status, const struct conn_header *hdrs, size_t nhdrs,
                       uint64_t len, bool close)
{
    bool keep = !close && h1_status(&c->h) == 0 && h1_keep_alive(&c->h);
    bool head = c->h.head_done && h1_method(&c->h) == H1_HEAD_M;

    if (!c->busy || c->streaming)
        return false;
    if (c->dead) {
        c->busy = false;
        c->ops->finished(c->arg);
        destroy(c);
        return false;
    }
    if (!put_head(c, status, hdrs, nhdrs, len, false, &keep) || head || len == 0) {
        answered(c, keep);
        return false;
    }
    c->streaming = true;
    c->keep = keep;
    c->left = len;
    bufferevent_enable(c->bev, EV_WRITE);
    return true;
}

int conn_stream_write(struct conn *c, const void *data, size_t n, void (*room)(void *), void *arg)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);

    if (c->dead || !c->streaming) {
        conn_stream_abort(c);
        return CONN_STREAM_FAILED;
    }
    if (n > c->left || (n > 0 && evbuffer_add(out, data, n) != 0)) {
        conn_stream_abort(c);
        return CONN_STREAM_FAILED;
    }
    c->left -= n;
    if (c->left == 0) {
        c->streaming = false;
        answered(c, c->keep);
        return CONN_STREAM_DONE;
    }
    if (evbuffer_get_length(out) < CONN_STREAM_AHEAD)
        return CONN_STREAM_MORE;
    c->room = room;
    c->room_arg = arg;
    return CONN_STREAM_WAIT;
}

void conn_stream_abort(struct conn *c)
{
    c->streaming = false;
    c->room = NULL;
    if (c->dead) {
        c->busy = false;
        c->ops->finished(c->arg);
        destroy(c);
        return;
    }
    /* the body falls short of its Content-Length: the client sees the answer cut off, and
     * nothing after it is read on this connection */
    answered(c, false);
}

const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

void conn_close_all(struct conn **list)
{
    while (*list != NULL)
        destroy(*list);
}
