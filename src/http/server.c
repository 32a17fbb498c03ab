#include "http/server.h"

#include "api/api.h"
#include "http/framing.h"
#include "http/pool.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PURGE_EVERY 600 /* seconds between sweeps of expired sessions */
#define ACCEPT_PAUSE 1  /* seconds a worker stops accepting after accept() fails (EMFILE) */
#define MAX_FDS 1048576 /* connections with a descriptor above this get no request deadline */

struct server;
struct conn_watch;

/* One event-loop thread. */
struct worker {
    struct server *srv;               /* owner */
    int index;                        /* 0..n-1 */
    pthread_t thread;                 /* its thread */
    struct event_base *base;          /* its loop */
    struct evhttp *http;              /* its HTTP server */
    struct evhttp_bound_socket *sock; /* its listening socket */
    int fd;                           /* the socket before evhttp owns it */
    struct store *st;                 /* its database connection */
    struct api_env env;               /* handler context */
    int inflight;                     /* requests received but not yet answered (loop thread) */
    bool stopping;                    /* no longer accepting */
    struct event *purge;              /* periodic session sweep (worker 0) */
    struct event *resume;             /* accepting again after a pause (accept_error) */
};

struct server {
    const struct config *cfg; /* settings */
    const char *store_uri;    /* database */
    const struct channel *ch; /* deadlines, calendar, channel key, clock */
    int nworkers;
    struct worker *workers;
    struct pool *pool; /* slow work */
    /* The request deadline of each open connection, by descriptor (a descriptor belongs to one
     * worker at a time; the kernel orders its close before its reuse by another). */
    _Atomic(struct conn_watch *) *watch;
    int nwatch; /* entries in watch */
};

/*
 * The request deadline of one connection. libevent's own timeout ([server] timeout) only limits
 * the time between two reads, so a client sending one byte every few seconds would hold its
 * connection for as long as it likes (slowloris). This one limits the time from the first byte
 * of a request to its last: past it, while no request of the connection is being handled, the
 * connection is dropped as libevent drops an idle one.
 */
struct conn_watch {
    struct worker *w;                /* the loop the connection lives on */
    struct bufferevent *bev;         /* the connection's buffers and socket */
    int fd;                          /* its descriptor, the key in srv->watch; -1 until known */
    struct evbuffer_cb_entry *in_cb; /* watches bytes arriving */
    struct event *attach;            /* runs once the connection exists (conn_attach_cb) */
    struct event *timer;             /* the deadline */
    struct timespec since;           /* first byte of the request being read */
    bool reading;                    /* a request has begun and not been dispatched yet */
    bool busy;                       /* a request of this connection is being handled */
    bool in_timer, closed;           /* the deadline is dropping it / libevent closed it */
};

/* One request in flight. */
struct call {
    struct pool_job job;         /* must be first: the pool hands it back */
    struct worker *w;            /* the loop it arrived on */
    struct evhttp_request *ereq; /* libevent's request */
    struct api_req req;
    struct api_resp resp;
    struct timespec start; /* arrival, for the log line */
    char *path;            /* owned copies of the URI parts */
    char *query;
};

static int64_t micros_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* The deadline of the connection @ereq arrived on, or NULL (none, or the client is gone). */
static struct conn_watch *watch_of(struct worker *w, struct evhttp_request *ereq)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(ereq);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    int fd = bev ? (int)bufferevent_getfd(bev) : -1;
    struct conn_watch *cw;

    if (fd < 0 || fd >= w->srv->nwatch)
        return NULL;
    cw = atomic_load_explicit(&w->srv->watch[fd], memory_order_relaxed);
    return cw != NULL && cw->bev == bev ? cw : NULL;
}

static void conn_watch_free(struct conn_watch *cw)
{
    if (cw->attach)
        event_free(cw->attach);
    if (cw->timer)
        event_free(cw->timer);
    mem_free(cw);
}

/* libevent closes the connection: forget its deadline. Runs before the buffers are freed. */
static void conn_closed_cb(struct evhttp_connection *conn, void *arg)
{
    struct conn_watch *cw = arg;

    if (cw->in_cb != NULL)
        evbuffer_remove_cb_entry(bufferevent_get_input(cw->bev), cw->in_cb);
    cw->in_cb = NULL;
    if (cw->fd >= 0)
        atomic_store_explicit(&cw->w->srv->watch[cw->fd], NULL, memory_order_relaxed);
    cw->closed = true;
    if (!cw->in_timer)
        conn_watch_free(cw);
}

/* Bytes arrived: the first ones of a request start its deadline. */
static void conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn_watch *cw = arg;
    struct timeval tv = {cw->w->srv->cfg->timeout, 0};

    if (info->n_added == 0 || cw->reading)
        return;
    cw->reading = true;
    clock_gettime(CLOCK_MONOTONIC, &cw->since);
    if (!evtimer_pending(cw->timer, NULL))
        evtimer_add(cw->timer, &tv);
}

/* The deadline: drop the connection if its request is still not all there. */
static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn_watch *cw = arg;
    int64_t left = (int64_t)cw->w->srv->cfg->timeout * 1000000 - micros_since(&cw->since);
    bufferevent_event_cb drop = NULL;
    void *conn = NULL;

    if (!cw->reading)
        return;
    if (left > 0 || cw->busy) {
        struct timeval tv = {left > 0 ? left / 1000000 : cw->w->srv->cfg->timeout,
                             left > 0 ? left % 1000000 : 0};
        evtimer_add(cw->timer, &tv);
        return;
    }
    /* What libevent itself does when its read timeout fires: its connection's event callback
     * with a read timeout, which closes the connection without an answer. */
    bufferevent_getcb(cw->bev, NULL, NULL, &drop, &conn);
    if (drop == NULL)
        return;
    log_msg(LOG_DEBUG, "connection %d: request not received within %d s, closed", (int)cw->fd,
            cw->w->srv->cfg->timeout);
    cw->in_timer = true;
    drop(cw->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, conn);
    cw->in_timer = false;
    if (cw->closed)
        conn_watch_free(cw);
}

/* Runs in the loop pass that accepted the connection, once libevent has made it. */
static void conn_attach_cb(evutil_socket_t unused, short what, void *arg)
{
    struct conn_watch *cw = arg;
    struct bufferevent *bev = cw->bev;
    bufferevent_data_cb readcb = NULL;
    void *conn = NULL;
    int fd = (int)bufferevent_getfd(bev);

    bufferevent_getcb(bev, &readcb, NULL, NULL, &conn);
    if (readcb == NULL || conn == NULL || fd < 0 || fd >= cw->w->srv->nwatch) {
        /* already closed (libevent clears the callbacks), or beyond the table */
        bufferevent_decref(bev);
        conn_watch_free(cw);
        return;
    }
    cw->in_cb = evbuffer_add_cb(bufferevent_get_input(bev), conn_input_cb, cw);
    if (cw->in_cb == NULL) {
        bufferevent_decref(bev);
        conn_watch_free(cw);
        return;
    }
    cw->fd = fd;
    atomic_store_explicit(&cw->w->srv->watch[fd], cw, memory_order_relaxed);
    evhttp_connection_set_closecb(conn, conn_closed_cb, cw);
    bufferevent_decref(bev);
}

/*
 * libevent asks for the buffers of each new connection (evhttp_set_bevcb) before it makes the
 * connection itself; its deadline is attached just after (conn_attach_cb). The reference taken
 * here keeps the buffers, and the socket, until then even if libevent gives up on them at once.
 */
static struct bufferevent *conn_new_cb(struct event_base *base, void *arg)
{
    struct worker *w = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn_watch *cw = bev ? mem_calloc(1, sizeof(*cw)) : NULL;

    if (cw == NULL)
        return bev; /* NULL: libevent makes its own buffers, without a deadline */
    cw->w = w;
    cw->bev = bev;
    cw->fd = -1;
    cw->timer = evtimer_new(base, conn_deadline_cb, cw);
    cw->attach = event_new(base, -1, 0, conn_attach_cb, cw);
    if (cw->timer == NULL || cw->attach == NULL) {
        conn_watch_free(cw);
        return bev;
    }
    bufferevent_incref(bev);
    event_active(cw->attach, EV_TIMEOUT, 0);
    return bev;
}

/* This thread's worker (set in worker_main), for libevent callbacks that carry no argument of
 * ours. */
static _Thread_local struct worker *this_worker;

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    if (!w->stopping && w->sock != NULL)
        evconnlistener_enable(evhttp_bound_socket_get_listener(w->sock));
}

/*
 * accept() failed other than transiently: out of descriptors (EMFILE, ENFILE) or memory. The
 * pending connection stays queued and the socket readable, so libevent would call accept() again
 * at once, for ever, at full CPU. Stop accepting on this worker for a moment instead; the
 * connections already open are served meanwhile, and idle ones time out and free descriptors.
 */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    struct worker *w = this_worker;
    struct timeval pause = {ACCEPT_PAUSE, 0};
    int err = EVUTIL_SOCKET_ERROR();

    if (w == NULL || w->resume == NULL)
        return;
    log_warn("accept: %s; worker %d stops accepting for %d s", strerror(err), w->index,
             ACCEPT_PAUSE);
    evconnlistener_disable(lev);
    evtimer_add(w->resume, &pause);
}

static void add_header(struct evkeyvalq *h, const char *k, const char *v)
{
    if (v != NULL && v[0] != '\0')
        evhttp_add_header(h, k, v);
}

static void call_free(struct call *c)
{
    api_req_release(&c->req);
    api_resp_release(&c->resp);
    mem_free(c->path);
    mem_free(c->query);
    mem_free(c);
}

/* One request fewer in flight; a stopping worker exits when none is left. */
static void request_done(struct worker *w)
{
    w->inflight--;
    if (w->stopping && w->inflight == 0)
        event_base_loopexit(w->base, NULL);
}

/* Render @c's response, send it, log it, free the call. Loop thread. */
static void call_finish(struct call *c)
{
    struct worker *w = c->w;
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->ereq);
    struct evbuffer *buf = evbuffer_new();
    struct conn_watch *cw;
    char retry[24];
    bool gone;

    /* A matching If-None-Match on a cacheable answer (the web interface's files): 304, no body.
     * Our ETags are single strong tags, so a substring test covers lists and W/ prefixes. */
    if (c->resp.status == 200 && c->resp.raw != NULL && c->resp.etag[0] != '\0') {
        const char *inm =
            evhttp_find_header(evhttp_request_get_input_headers(c->ereq), "If-None-Match");
        if (inm != NULL && strstr(inm, c->resp.etag) != NULL) {
            c->resp.status = 304;
            mem_free(c->resp.raw);
            c->resp.raw = NULL;
        }
    }
    add_header(h, "Cache-Control", c->resp.cache_control ? c->resp.cache_control : "no-store");
    add_header(h, "X-Content-Type-Options", "nosniff");
    add_header(h, "Referrer-Policy", "no-referrer");
    /* behind TLS, browsers are told never to come back over plain HTTP */
    if (w->srv->cfg->behind_tls)
        add_header(h, "Strict-Transport-Security", "max-age=63072000");
    /* Every answer, the web interface's included: scripts and styles from our own origin only
     * (no inline ones), never framed, no <base>, forms post only to us. */
    add_header(h, "Content-Security-Policy",
               "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    add_header(h, "Set-Cookie", c->resp.set_cookie);
    add_header(h, "Allow", c->resp.allow);
    add_header(h, "Location", c->resp.location);
    add_header(h, "ETag", c->resp.etag);
    if (c->resp.retry_after > 0) {
        snprintf(retry, sizeof(retry), "%lld", (long long)c->resp.retry_after);
        add_header(h, "Retry-After", retry);
    }
    if (c->resp.raw != NULL && buf != NULL) {
        add_header(h, "Content-Type", c->resp.content_type);
        evbuffer_add(buf, c->resp.raw, c->resp.raw_len);
    } else if (c->resp.body != NULL && buf != NULL) {
        char *text = json_dumps(c->resp.body, JSON_COMPACT | JSON_REAL_PRECISION(10));
        add_header(h, "Content-Type", "application/json; charset=utf-8");
        if (text != NULL) {
            evbuffer_add(buf, text, strlen(text));
            evbuffer_add(buf, "\n", 1);
            mem_free(text);
        }
    }
    /* With the client gone, libevent frees the request without completing it. */
    gone = evhttp_request_get_connection(c->ereq) == NULL;
    if ((cw = watch_of(w, c->ereq)) != NULL)
        cw->busy = false;
    evhttp_send_reply(c->ereq, c->resp.status, NULL, buf);
    if (buf)
        evbuffer_free(buf);
    log_request(c->req.method_name, c->resp.route, c->resp.status, micros_since(&c->start));
    call_free(c);
    if (gone)
        request_done(w);
}

/* Runs once libevent has written a reply completely: only then may a stopping loop exit. */
static void on_complete(struct evhttp_request *ereq, void *arg)
{
    request_done(arg);
}

static void slow_run(struct pool_job *job, void *tls)
{
    struct call *c = (struct call *)job;
    struct api_env *env = tls;

    api_run(env, &c->req, &c->resp);
}

static void slow_done(struct pool_job *job)
{
    call_finish((struct call *)job);
}

static enum api_method method_of(enum evhttp_cmd_type t, const char **name)
{
    switch (t) {
    case EVHTTP_REQ_GET:
        *name = "GET";
        return API_GET;
    case EVHTTP_REQ_POST:
        *name = "POST";
        return API_POST;
    case EVHTTP_REQ_PUT:
        *name = "PUT";
        return API_PUT;
    case EVHTTP_REQ_PATCH:
        *name = "PATCH";
        return API_PATCH;
    case EVHTTP_REQ_DELETE:
        *name = "DELETE";
        return API_DELETE;
    case EVHTTP_REQ_HEAD:
        *name = "HEAD";
        return API_HEAD;
    default:
        *name = "OPTIONS";
        return API_OPTIONS;
    }
}

/* Whether @addr is one of the comma-separated IP literals of @list. */
static bool listed(const char *list, const char *addr)
{
    size_t n = strlen(addr);

    for (const char *p = list; *p != '\0';) {
        size_t k;
        while (*p == ' ' || *p == ',')
            p++;
        k = strcspn(p, ", ");
        if (k == n && k > 0 && strncmp(p, addr, n) == 0)
            return true;
        p += k;
    }
    return false;
}

/*
 * The client's address: the TCP peer, or, when that peer is a trusted proxy ([server]
 * trust_proxy), the last address of X-Forwarded-For (the one the proxy itself appended; earlier
 * ones are the client's word). Only a well-formed IP literal is taken.
 */
static void peer_address(const struct config *cfg, struct evhttp_request *ereq, char *out,
                         size_t len)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(ereq);
    const char *xff;
    char *addr = NULL, last[64];
    ev_uint16_t port = 0;
    unsigned char bin[16];

    out[0] = '\0';
    if (conn != NULL)
        evhttp_connection_get_peer(conn, &addr, &port);
    snprintf(out, len, "%s", addr ? addr : "unknown");
    if (addr == NULL || cfg->trust_proxy[0] == '\0' || !listed(cfg->trust_proxy, addr))
        return;
    xff = evhttp_find_header(evhttp_request_get_input_headers(ereq), "X-Forwarded-For");
    if (xff == NULL)
        return;
    xff = strrchr(xff, ',') ? strrchr(xff, ',') + 1 : xff;
    while (*xff == ' ')
        xff++;
    if (snprintf(last, sizeof(last), "%s", xff) >= (int)sizeof(last))
        return;
    last[strcspn(last, " ")] = '\0';
    if (inet_pton(AF_INET, last, bin) == 1 || inet_pton(AF_INET6, last, bin) == 1)
        snprintf(out, len, "%s", last);
}

#define FIELDS_MAX 256 /* header fields a request may have */

/*
 * RFC 9112 framing (http/framing.h), checked before anything else looks at the request. 0, or
 * the status to answer with @why; the caller closes the connection after answering, so that no
 * byte after a refused request is ever taken for another one.
 */
static int framing_of(struct evhttp_request *ereq, char *why, size_t whylen)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(ereq);
    struct framing_field fields[FIELDS_MAX];
    struct framing_req fr = {.major = ereq->major, .minor = ereq->minor, .fields = fields};
    struct evkeyval *kv;

    for (kv = in->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
        if (fr.nfields == FIELDS_MAX) {
            snprintf(why, whylen, "more than %d header fields", FIELDS_MAX);
            return 400;
        }
        fields[fr.nfields].name = kv->key;
        fields[fr.nfields].value = kv->value;
        fr.nfields++;
    }
    /* evhttp reads no body for these two (evhttp_method_may_have_body): HEAD and TRACE */
    switch (evhttp_request_get_command(ereq)) {
    case EVHTTP_REQ_HEAD:
    case EVHTTP_REQ_TRACE:
        fr.body_read = false;
        break;
    default:
        fr.body_read = true;
    }
    return framing_check(&fr, why, whylen);
}

static void on_request(struct evhttp_request *ereq, void *arg)
{
    struct worker *w = arg;
    struct call *c = mem_calloc(1, sizeof(*c));
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ereq);
    struct evkeyvalq *in = evhttp_request_get_input_headers(ereq);
    struct evbuffer *body = evhttp_request_get_input_buffer(ereq);
    struct conn_watch *cw = watch_of(w, ereq);
    const char *p, *q;

    if (cw != NULL) {
        cw->reading = false; /* all of it arrived */
        cw->busy = true;
    }
    if (c == NULL) {
        evhttp_send_error(ereq, 503, NULL);
        return;
    }
    w->inflight++;
    evhttp_request_set_on_complete_cb(ereq, on_complete, w);
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->w = w;
    c->ereq = ereq;
    c->req.method = method_of(evhttp_request_get_command(ereq), &c->req.method_name);
    {
        char why[128] = "";
        int status = framing_of(ereq, why, sizeof(why));
        if (status != 0) {
            c->resp.route = "-";
            api_error(&c->resp, status,
                      status == 505   ? "http_version_not_supported"
                      : status == 501 ? "not_implemented"
                                      : "bad_framing",
                      "%s", why);
            /* and nothing more on this connection: what follows may be a smuggled request */
            evhttp_add_header(evhttp_request_get_output_headers(ereq), "Connection", "close");
            /* evhttp answers in the request's version: never in one we do not speak */
            ereq->major = 1;
            ereq->minor = 1;
            call_finish(c);
            return;
        }
    }
    p = uri ? evhttp_uri_get_path(uri) : NULL;
    q = uri ? evhttp_uri_get_query(uri) : NULL;
    c->path = mem_strdup(p && *p ? p : "/");
    c->query = q ? mem_strdup(q) : NULL;
    if (c->path == NULL || (q && c->query == NULL)) {
        c->resp.route = "-";
        api_error(&c->resp, 503, "busy", "out of memory");
        call_finish(c);
        return;
    }
    c->req.path = c->path;
    c->req.query = c->query;
    c->req.body_len = evbuffer_get_length(body);
    c->req.body = c->req.body_len ? (const char *)evbuffer_pullup(body, -1) : NULL;
    c->req.content_type = evhttp_find_header(in, "Content-Type");
    c->req.cookie = evhttp_find_header(in, "Cookie");
    c->req.requested_with = evhttp_find_header(in, "X-Requested-With");
    c->req.origin = evhttp_find_header(in, "Origin");
    c->req.host = evhttp_find_header(in, "Host");
    c->req.if_match = evhttp_find_header(in, "If-Match");
    c->req.now = time(NULL);
    peer_address(w->srv->cfg, ereq, c->req.addr, sizeof(c->req.addr));

    if (api_prepare(&w->env, &c->req, &c->resp) == API_DONE) {
        call_finish(c);
        return;
    }
    c->job.run = slow_run;
    c->job.done = slow_done;
    if (pool_submit(w->srv->pool, w->base, &c->job) != 0) {
        api_error(&c->resp, 503, "busy", "the server is shutting down");
        call_finish(c);
    }
}

/* Once a second on worker 0: the API's periodic work (checkpoints, session sweeps). */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    api_tick(&w->env, w->env.ch ? channel_now(w->env.ch) : (int64_t)time(NULL));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    this_worker = w;
    event_base_dispatch(w->base);
    return NULL;
}

/* Runs on the worker's own loop: stop accepting, exit once idle. */
static void worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval grace = {w->srv->cfg->shutdown_grace, 0};

    w->stopping = true;
    if (w->sock != NULL) {
        evhttp_del_accept_socket(w->http, w->sock);
        w->sock = NULL;
    }
    if (w->purge != NULL)
        event_del(w->purge);
    if (w->inflight == 0)
        event_base_loopexit(w->base, NULL);
    else
        event_base_loopexit(w->base, &grace);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;

    log_info("signal %d: shutting down", (int)sig);
    for (int i = 0; i < srv->nworkers; i++)
        event_base_once(srv->workers[i].base, -1, EV_TIMEOUT, worker_stop_cb, &srv->workers[i],
                        NULL);
}

/* A listening socket on @host:@port with SO_REUSEPORT; *@bound receives the real port. */
static int listen_on(const char *host, int port, int *bound)
{
    struct addrinfo hints = {0}, *res = NULL;
    char portstr[8];
    int fd = -1, one = 1, rc;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        log_error("listen: cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        log_error("listen: %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static int pool_tls_init(void *arg, void **tls)
{
    struct server *srv = arg;
    struct api_env *env = mem_calloc(1, sizeof(*env));
    struct store *st = NULL;
    char err[256] = "";

    if (env == NULL)
        return ERR_NOMEM;
    if (store_open(srv->store_uri, &st, err, sizeof(err)) != 0) {
        log_error("pool: %s", err);
        mem_free(env);
        return ERR_DB;
    }
    api_env_init(env, st, srv->cfg, srv->ch);
    *tls = env;
    return 0;
}

static void pool_tls_free(void *tls)
{
    struct api_env *env = tls;

    if (env == NULL)
        return;
    store_close(env->st);
    mem_free(env);
}

static int worker_setup(struct server *srv, struct worker *w, int port, int *bound)
{
    const struct config *cfg = srv->cfg;
    char err[256] = "";

    w->srv = srv;
    w->fd = -1;
    if (store_open(srv->store_uri, &w->st, err, sizeof(err)) != 0) {
        log_error("worker: %s", err);
        return ERR_DB;
    }
    api_env_init(&w->env, w->st, cfg, srv->ch);
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (w->http == NULL)
        return ERR_NOMEM;
    evhttp_set_max_headers_size(w->http, cfg->max_headers);
    evhttp_set_max_body_size(w->http, cfg->max_body);
    evhttp_set_timeout(w->http, cfg->timeout);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(w->http, on_request, w);
    evhttp_set_bevcb(w->http, conn_new_cb, w);
    w->fd = listen_on(cfg->listen_host, port, bound);
    if (w->fd < 0)
        return ERR_IO;
    w->sock = evhttp_accept_socket_with_handle(w->http, w->fd);
    if (w->sock == NULL) {
        close(w->fd);
        return ERR_IO;
    }
    w->resume = evtimer_new(w->base, resume_cb, w);
    if (w->resume == NULL)
        return ERR_NOMEM;
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(w->sock), accept_error_cb);
    if (w->index == 0) {
        struct timeval every = {1, 0};
        w->purge = event_new(w->base, -1, EV_PERSIST, tick_cb, w);
        if (w->purge == NULL || event_add(w->purge, &every) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

static void worker_release(struct worker *w)
{
    if (w->purge)
        event_free(w->purge);
    if (w->resume)
        event_free(w->resume);
    if (w->http)
        evhttp_free(w->http);
    if (w->base)
        event_base_free(w->base);
    store_close(w->st);
}

/*
 * Raise the soft limit on open descriptors to the hard one: every connection holds one, and the
 * usual soft default (1024) is soon reached by idle keep-alive and slow clients, after which new
 * connections wait until a descriptor is freed. Returns the limit in force.
 */
static rlim_t raise_nofile(void)
{
    struct rlimit rl;
    rlim_t was;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur >= rl.rlim_max)
        return rl.rlim_cur;
    was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("cannot raise the open files limit from %llu to %llu: %s", (unsigned long long)was,
                 (unsigned long long)rl.rlim_max, strerror(errno));
        return was;
    }
    log_info("open files limit raised from %llu to %llu", (unsigned long long)was,
             (unsigned long long)rl.rlim_max);
    return rl.rlim_cur;
}

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int server_run(const struct config *cfg, const char *store_uri, const struct channel *ch)
{
    struct server srv = {.cfg = cfg, .store_uri = store_uri, .ch = ch};
    struct event_base *main_base = NULL;
    struct event *sigterm = NULL, *sigint = NULL;
    int port = cfg->listen_port, rc = 0, started = 0;
    rlim_t nofile;

    if (evthread_use_pthreads() != 0)
        return ERR_INTERNAL;
    signal(SIGPIPE, SIG_IGN);
    nofile = raise_nofile();
    srv.nwatch = nofile == RLIM_INFINITY || nofile > MAX_FDS ? MAX_FDS : (int)nofile;
    srv.watch = mem_calloc((size_t)srv.nwatch, sizeof(*srv.watch));
    if (srv.watch == NULL)
        return ERR_NOMEM;
    srv.nworkers = cfg->workers > 0 ? cfg->workers : ncores();
    srv.workers = mem_calloc((size_t)srv.nworkers, sizeof(*srv.workers));
    if (srv.workers == NULL) {
        mem_free(srv.watch);
        return ERR_NOMEM;
    }
    srv.pool = pool_new(cfg->pool_threads > 0 ? cfg->pool_threads : 4 * ncores(), pool_tls_init,
                        pool_tls_free, &srv);
    if (srv.pool == NULL) {
        rc = ERR_INTERNAL;
        goto out;
    }
    for (int i = 0; i < srv.nworkers; i++) {
        int bound = 0;
        srv.workers[i].index = i;
        if ((rc = worker_setup(&srv, &srv.workers[i], port, &bound)) != 0)
            goto out;
        port = bound; /* with port 0, the others join the port the first one got */
    }
    main_base = event_base_new();
    if (main_base == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    sigterm = evsignal_new(main_base, SIGTERM, signal_cb, &srv);
    sigint = evsignal_new(main_base, SIGINT, signal_cb, &srv);
    if (!sigterm || !sigint || event_add(sigterm, NULL) != 0 || event_add(sigint, NULL) != 0) {
        rc = ERR_INTERNAL;
        goto out;
    }
    for (; started < srv.nworkers; started++) {
        if (pthread_create(&srv.workers[started].thread, NULL, worker_main,
                           &srv.workers[started]) != 0) {
            rc = ERR_INTERNAL;
            break;
        }
    }
    if (rc == 0) {
        log_info("serving with %d workers", srv.nworkers);
        printf("listening on http://%s:%d\n", cfg->listen_host, port);
        fflush(stdout);
        /* Blocks until a signal arrives and its callback has told every worker to stop. */
        event_base_loop(main_base, EVLOOP_ONCE);
    } else {
        signal_cb(SIGTERM, 0, &srv);
    }
    for (int i = 0; i < started; i++)
        pthread_join(srv.workers[i].thread, NULL);
out:
    pool_free(srv.pool);
    for (int i = 0; i < srv.nworkers; i++)
        worker_release(&srv.workers[i]);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (main_base)
        event_base_free(main_base);
    mem_free(srv.workers);
    mem_free(srv.watch);
    if (rc == 0)
        log_info("stopped cleanly");
    return rc;
}
