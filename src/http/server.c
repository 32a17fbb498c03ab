#include "http/server.h"

#include "http/conn.h"
#include "http/pool.h"
#include "http/tls.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define ACCEPT_PAUSE 1 /* seconds a worker stops accepting after accept() fails (EMFILE) */

struct server;

/* One event-loop thread. */
struct worker {
    struct server *srv;         /* owner */
    int index;                  /* 0..n-1 */
    pthread_t thread;           /* its thread */
    struct event_base *base;    /* its loop */
    struct evconnlistener *lev; /* its listening socket */
    struct conn *conns;         /* its open connections */
    struct conn_limits limits;  /* theirs */
    void *ctx;                  /* the handler's context for this thread */
    int inflight;               /* requests received but not yet answered (loop thread) */
    bool stopping;              /* no longer accepting */
    struct event *purge;        /* periodic work (worker 0) */
    struct event *resume;       /* accepting again after a pause (accept_error_cb) */
};

struct server {
    const struct config *cfg;         /* settings */
    const struct http_handler *h;     /* what answers */
    const struct server_hooks *hooks; /* SIGHUP's part beyond ours, or NULL */
    int nworkers;
    struct worker *workers;
    struct pool *pool;   /* slow work */
    struct tls *tls;     /* HTTPS ([tls]), or NULL */
    char tls_cert[1024]; /* the files it was read from, read again on SIGHUP */
    char tls_key[1024];
    struct event_base *main; /* the signals' loop */
    struct pool_job warm;    /* the handler's warm(), once at the start */
    bool warm_done;          /* its done() ran (and freed its event) */
};

/* One request in flight. */
struct call {
    struct pool_job job; /* must be first: the pool hands it back */
    struct worker *w;    /* the loop it arrived on */
    struct conn *conn;   /* the connection to answer on */
    const struct h1 *h;  /* the request as read (valid until the answer) */
    struct http_request rq;
    struct http_response rs;
    struct timespec start; /* arrival, for the log line */
    void *ex;              /* the handler's state for this request (allocated after the call) */
    uint8_t *buf;          /* a streamed body's piece (STREAM_PIECE bytes), or NULL */
    size_t n;              /* its bytes */
    int more_rc;           /* what the handler's more() said */
};

#define STREAM_PIECE (64 * 1024) /* bytes a streamed body is asked for at a time */

static int64_t micros_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* An answer given: its log line and its count (util/metrics.h), by route pattern only. */
static void answered(const struct call *c, int status)
{
    const char *route = c->rs.route ? c->rs.route : "-";
    int64_t us = micros_since(&c->start);

    log_request(c->rq.method_name, route, status, us);
    metrics_request(c->rq.method_name, route, status, us);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    if (!w->stopping && w->lev != NULL)
        evconnlistener_enable(w->lev);
}

/*
 * accept() failed other than transiently: out of descriptors (EMFILE, ENFILE) or memory. The
 * pending connection stays queued and the socket readable, so libevent would call accept() again
 * at once, for ever, at full CPU. Stop accepting on this worker for a moment instead; the
 * connections already open are served meanwhile, and idle ones time out and free descriptors.
 */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    struct worker *w = arg;
    struct timeval pause = {ACCEPT_PAUSE, 0};
    int err = EVUTIL_SOCKET_ERROR();

    if (w->resume == NULL)
        return;
    log_warn("accept: %s; worker %d stops accepting for %d s", strerror(err), w->index,
             ACCEPT_PAUSE);
    evconnlistener_disable(lev);
    evtimer_add(w->resume, &pause);
}

static void call_free(struct call *c)
{
    c->w->srv->h->release(c->ex, &c->rs);
    if (c->buf != NULL) {
        explicit_bzero(c->buf, STREAM_PIECE); /* a file's plaintext */
        mem_free(c->buf);
    }
    mem_free(c);
}

static void stream_done(struct pool_job *job);

static void stream_run(struct pool_job *job, void *tls)
{
    struct call *c = (struct call *)job;

    c->n = 0;
    c->more_rc = c->w->srv->h->more(tls, c->ex, c->buf, STREAM_PIECE, &c->n);
}

/* Ask the handler for a streamed body's next piece, on the pool. Loop thread. */
static void stream_pump(struct call *c)
{
    c->job.run = stream_run;
    c->job.done = stream_done;
    if (pool_submit(c->w->srv->pool, c->w->base, &c->job) != 0) {
        conn_stream_abort(c->conn);
        call_free(c);
    }
}

static void stream_room(void *arg)
{
    stream_pump(arg);
}

/* A piece made: send it, then ask for the next, or wait for the client, or finish. */
static void stream_done(struct pool_job *job)
{
    struct call *c = (struct call *)job;

    if (c->more_rc != 0 || c->n == 0 || c->n > STREAM_PIECE) {
        log_warn("%s %s: the body could not be made whole; the connection is closed",
                 c->rq.method_name, c->rs.route ? c->rs.route : "-");
        conn_stream_abort(c->conn);
        call_free(c);
        return;
    }
    switch (conn_stream_write(c->conn, c->buf, c->n, stream_room, c)) {
    case CONN_STREAM_MORE:
        stream_pump(c);
        return;
    case CONN_STREAM_WAIT:
        return; /* stream_room() goes on */
    default:
        call_free(c); /* complete, or the connection failed */
    }
}

/* One request fewer in flight; a stopping worker exits when none is left. */
static void request_done(void *arg)
{
    struct worker *w = arg;

    w->inflight--;
    if (w->stopping && w->inflight == 0)
        event_base_loopexit(w->base, NULL);
}

#define HEADERS_MAX 14 /* fields of an answer, besides Date, Content-Length and Connection */

/* Render @c's response, send it, log it, free the call. Loop thread. */
static void call_finish(struct call *c, bool close)
{
    struct worker *w = c->w;
    struct conn_header h[HEADERS_MAX];
    size_t n = 0, len = 0;
    const struct http_response *rs = &c->rs;
    const void *body = NULL;
    int status = rs->status;
    char retry[24];

    /* A matching If-None-Match on a cacheable answer (the web interface's files): 304, no body.
     * Our ETags are single strong tags, so a substring test covers lists and W/ prefixes. */
    if (status == 200 && rs->conditional && rs->body != NULL && rs->etag[0] != '\0') {
        const char *inm = h1_header(c->h, "If-None-Match");
        if (inm != NULL && strstr(inm, rs->etag) != NULL)
            status = 304;
    }
    h[n++] =
        (struct conn_header){"Cache-Control", rs->cache_control ? rs->cache_control : "no-store"};
    if (rs->vary != NULL)
        h[n++] = (struct conn_header){"Vary", rs->vary};
    h[n++] = (struct conn_header){"X-Content-Type-Options", "nosniff"};
    h[n++] = (struct conn_header){"Referrer-Policy", "no-referrer"};
    /* behind TLS, browsers are told never to come back over plain HTTP */
    if (w->srv->cfg->behind_tls)
        h[n++] = (struct conn_header){"Strict-Transport-Security", "max-age=63072000"};
    /* Every answer, the web interface's included: scripts and styles from our own origin only
     * (no inline ones), never framed, no <base>, forms post only to us. */
    if (rs->disposition != NULL) {
        /* a file to download, never a page of ours: nothing in it may run or load */
        h[n++] = (struct conn_header){"Content-Disposition", rs->disposition};
        h[n++] = (struct conn_header){"Content-Security-Policy",
                                      "default-src 'none'; sandbox; frame-ancestors 'none'"};
    } else {
        h[n++] = (struct conn_header){
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"};
    }
    h[n++] = (struct conn_header){"Set-Cookie", rs->set_cookie};
    h[n++] = (struct conn_header){"Allow", rs->allow};
    h[n++] = (struct conn_header){"Location", rs->location};
    h[n++] = (struct conn_header){"ETag", rs->etag};
    if (rs->retry_after > 0) {
        snprintf(retry, sizeof(retry), "%lld", (long long)rs->retry_after);
        h[n++] = (struct conn_header){"Retry-After", retry};
    }
    if (rs->content_type != NULL && status != 304)
        h[n++] = (struct conn_header){"Content-Type", rs->content_type};
    if (rs->stream && status == 200 && w->srv->h->more != NULL) {
        answered(c, status);
        if (!conn_reply_stream(c->conn, status, h, n, rs->stream_len, close)) {
            call_free(c);
            return;
        }
        if ((c->buf = mem_alloc(STREAM_PIECE)) == NULL) {
            conn_stream_abort(c->conn);
            call_free(c);
            return;
        }
        stream_pump(c);
        return;
    }
    if (status != 304 && rs->body != NULL) {
        body = rs->body;
        len = rs->body_len;
    }
    conn_reply(c->conn, status, h, n, body, len, close);
    answered(c, status);
    call_free(c);
}

static void slow_run(struct pool_job *job, void *tls)
{
    struct call *c = (struct call *)job;

    c->w->srv->h->run(tls, &c->rq, c->ex, &c->rs);
}

static void slow_done(struct pool_job *job)
{
    call_finish((struct call *)job, false);
}

static enum http_req_method method_of(enum h1_method m, const char **name)
{
    switch (m) {
    case H1_GET:
        *name = "GET";
        return HTTP_REQ_GET;
    case H1_POST:
        *name = "POST";
        return HTTP_REQ_POST;
    case H1_PUT:
        *name = "PUT";
        return HTTP_REQ_PUT;
    case H1_PATCH:
        *name = "PATCH";
        return HTTP_REQ_PATCH;
    case H1_DELETE:
        *name = "DELETE";
        return HTTP_REQ_DELETE;
    case H1_HEAD_M:
        *name = "HEAD";
        return HTTP_REQ_HEAD;
    default:
        *name = "OPTIONS";
        return HTTP_REQ_OPTIONS;
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
static void peer_address(const struct config *cfg, const char *peer, const struct h1 *h, char *out,
                         size_t len)
{
    const char *xff;
    char last[64];
    unsigned char bin[16];

    snprintf(out, len, "%s", peer);
    if (cfg->trust_proxy[0] == '\0' || !listed(cfg->trust_proxy, peer))
        return;
    if ((xff = h1_header(h, "X-Forwarded-For")) == NULL)
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

/* A request read by http/conn.h (or refused by its framing checks, http/h1.h). */
static void on_request(struct conn *conn, const struct h1 *h, void *arg)
{
    struct worker *w = arg;
    const struct http_handler *hd = w->srv->h;
    size_t body_len, size = (sizeof(struct call) + 15) / 16 * 16;
    struct call *c = mem_calloc(1, size + hd->exchange_size);

    w->inflight++;
    if (c == NULL) {
        conn_reply(conn, 503, NULL, 0, NULL, 0, true);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->w = w;
    c->conn = conn;
    c->h = h;
    c->ex = (char *)c + size;
    if (h1_status(h) != 0) {
        /* refused: answered, and nothing more on this connection (what follows may be a
         * smuggled request) */
        c->rq.method_name = "-";
        hd->error(c->ex, &c->rs, h1_status(h), h1_code(h), h1_why(h));
        call_finish(c, true);
        return;
    }
    c->rq.method = method_of(h1_method(h), &c->rq.method_name);
    c->rq.path = h1_path(h);
    c->rq.query = h1_query(h);
    c->rq.body = h1_body(h, &body_len);
    c->rq.body_len = body_len;
    c->rq.content_type = h1_header(h, "Content-Type");
    c->rq.cookie = h1_header(h, "Cookie");
    c->rq.requested_with = h1_header(h, "X-Requested-With");
    c->rq.origin = h1_header(h, "Origin");
    c->rq.host = h1_host(h);
    c->rq.if_match = h1_header(h, "If-Match");
    c->rq.authorization = h1_header(h, "Authorization");
    c->rq.accept_language = h1_header(h, "Accept-Language");
    c->rq.now = time(NULL);
    peer_address(w->srv->cfg, conn_peer(conn), h, c->rq.addr, sizeof(c->rq.addr));

    if (hd->prepare(w->ctx, &c->rq, c->ex, &c->rs)) {
        call_finish(c, false);
        return;
    }
    c->job.run = slow_run;
    c->job.done = slow_done;
    if (pool_submit(w->srv->pool, w->base, &c->job) != 0) {
        hd->error(c->ex, &c->rs, 503, "busy", "the server is shutting down");
        call_finish(c, true);
    }
}

static const struct conn_ops conn_ops = {.request = on_request, .finished = request_done};

/* A new connection on @w's socket. */
static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct worker *w = arg;
    struct bufferevent *bev;
    char peer[INET6_ADDRSTRLEN] = "unknown";
    int one = 1;

    /* an answer leaves in pieces of 16 KiB (libevent's single write): without this, Nagle's
     * algorithm holds the last piece of a larger one until the client's delayed ACK, 40 ms
     * later on Linux (a 30 KB entry bundle answered 1,460 times a second instead of 30,000) */
    if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, peer, sizeof(peer));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof(peer));
    if (w->srv->tls != NULL) {
        /* the handshake runs on the loop like any read; the connection's timeouts bound it */
        if ((bev = tls_bufferevent(w->srv->tls, w->base, fd)) == NULL)
            return;
    } else {
        bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (bev == NULL) {
            evutil_closesocket(fd);
            return;
        }
    }
    conn_new(bev, peer, &w->limits, &conn_ops, w, &w->conns); /* frees bev on failure */
}

/* Once a second on worker 0: the handler's periodic work. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    if (w->srv->h->tick != NULL)
        w->srv->h->tick(w->ctx);
}

/*
 * A worker's loop, one turn at a time: after each turn (what epoll said was ready, run), the
 * turn's request lines are written together (log_batch()), not one write(2) per request.
 */
/* The handler's warm() (http/handler.h), once on the pool. */
static void warm_run(struct pool_job *job, void *tls)
{
    struct server *srv = (struct server *)((char *)job - offsetof(struct server, warm));

    srv->h->warm(tls);
}

static void warm_done(struct pool_job *job)
{
    struct server *srv = (struct server *)((char *)job - offsetof(struct server, warm));

    srv->warm_done = true;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    log_batch(true);
    while (event_base_loop(w->base, EVLOOP_ONCE) == 0) {
        log_flush();
        if (event_base_got_exit(w->base) || event_base_got_break(w->base))
            break;
    }
    log_batch(false);
    return NULL;
}

/* Runs on the worker's own loop: stop accepting, exit once idle. */
static void worker_stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval grace = {w->srv->cfg->shutdown_grace, 0};

    w->stopping = true;
    if (w->lev != NULL) {
        evconnlistener_free(w->lev);
        w->lev = NULL;
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
    sd_notify(0, "STOPPING=1");
    for (int i = 0; i < srv->nworkers; i++)
        event_base_once(srv->workers[i].base, -1, EV_TIMEOUT, worker_stop_cb, &srv->workers[i],
                        NULL);
    if (srv->main != NULL)
        event_base_loopbreak(srv->main);
}

/*
 * SIGHUP: the owner's part (hooks: the settings file read again, what may change applied, the
 * log file opened again), then the certificate and its key read again. Requests keep being
 * served throughout: a connection already open keeps its TLS session.
 */
static void reload_cb(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    char err[512] = "", about[512];

    sd_notify(0, "RELOADING=1");
    log_info("SIGHUP: reloading");
    if (srv->hooks != NULL && srv->hooks->reload != NULL)
        srv->hooks->reload(srv->hooks->arg, srv->tls_cert, sizeof(srv->tls_cert), srv->tls_key,
                           sizeof(srv->tls_key));
    if (srv->tls != NULL) {
        if (tls_reload(srv->tls, srv->tls_cert, srv->tls_key, err, sizeof(err)) == 0) {
            tls_describe(srv->tls, about, sizeof(about));
            log_info("reload: TLS certificate %s", about);
        } else {
            tls_describe(srv->tls, about, sizeof(about));
            log_error("reload: %s; still serving the certificate %s", err, about);
        }
    }
    sd_notify(0, "READY=1");
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

    return srv->h->thread_init(srv->h->arg, tls);
}

static void pool_tls_free(void *tls, void *arg)
{
    struct server *srv = arg;

    srv->h->thread_free(tls);
}

/*
 * A worker's event base. With epoll's change list, the changes one turn makes to a descriptor's
 * interest are applied together before the next wait: a connection's reading turned off while a
 * request is answered and on again after it (http/conn.c) costs no epoll_ctl(2) at all. (Its
 * known limit, descriptors that are dup(2)s of one another, does not arise: each connection's
 * socket is its own.)
 */
static struct event_base *worker_base(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *b;

    if (ec == NULL)
        return NULL;
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    b = event_base_new_with_config(ec);
    event_config_free(ec);
    return b;
}

static int worker_setup(struct server *srv, struct worker *w, int port, int *bound)
{
    const struct config *cfg = srv->cfg;
    int fd, rc;

    w->srv = srv;
    w->limits = (struct conn_limits){.max_head = (size_t)cfg->max_headers,
                                     .max_body = (size_t)cfg->max_body,
                                     .timeout = cfg->timeout};
    if ((rc = srv->h->thread_init(srv->h->arg, &w->ctx)) != 0)
        return rc;
    if ((w->base = worker_base()) == NULL)
        return ERR_NOMEM;
    if ((fd = listen_on(cfg->listen_host, port, bound)) < 0)
        return ERR_IO;
    w->lev = evconnlistener_new(w->base, accept_cb, w,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (w->lev == NULL) {
        close(fd);
        return ERR_IO;
    }
    evconnlistener_set_error_cb(w->lev, accept_error_cb);
    w->resume = evtimer_new(w->base, resume_cb, w);
    if (w->resume == NULL)
        return ERR_NOMEM;
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
    conn_close_all(&w->conns);
    if (w->lev)
        evconnlistener_free(w->lev);
    if (w->purge)
        event_free(w->purge);
    if (w->resume)
        event_free(w->resume);
    if (w->base)
        event_base_free(w->base);
    if (w->ctx != NULL)
        w->srv->h->thread_free(w->ctx);
    w->ctx = NULL;
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

int server_run(const struct config *cfg, const struct http_handler *h,
               const struct server_hooks *hooks)
{
    struct server srv = {.cfg = cfg, .h = h, .hooks = hooks};
    struct event_base *main_base = NULL;
    struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL;
    int port = cfg->listen_port, rc = 0, started = 0;
    char err[512] = "", about[512];

    if (evthread_use_pthreads() != 0)
        return ERR_INTERNAL;
    signal(SIGPIPE, SIG_IGN);
    if (cfg->tls_cert[0] != '\0') {
        snprintf(srv.tls_cert, sizeof(srv.tls_cert), "%s", cfg->tls_cert);
        snprintf(srv.tls_key, sizeof(srv.tls_key), "%s", cfg->tls_key);
        if ((rc = tls_new(srv.tls_cert, srv.tls_key, &srv.tls, err, sizeof(err))) != 0) {
            log_error("%s", err);
            fprintf(stderr, "dissent: %s\n", err);
            return rc;
        }
        tls_describe(srv.tls, about, sizeof(about));
        log_info("TLS: certificate %s", about);
    }
    raise_nofile();
    srv.nworkers = cfg->workers > 0 ? cfg->workers : ncores();
    srv.workers = mem_calloc((size_t)srv.nworkers, sizeof(*srv.workers));
    if (srv.workers == NULL) {
        tls_free(srv.tls);
        return ERR_NOMEM;
    }
    /* Four per core, at least 16: most of the pool's threads wait (on a group commit, which
     * commits as many signatures as there are waiting, or on the database), and Argon2id has a
     * gate of its own (crypto/password.h), so a small machine needs more than its cores. */
    srv.pool = pool_new(cfg->pool_threads > 0 ? cfg->pool_threads
                        : 4 * ncores() > 16   ? 4 * ncores()
                                              : 16,
                        pool_tls_init, pool_tls_free, &srv);
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
    sighup = evsignal_new(main_base, SIGHUP, reload_cb, &srv);
    if (!sigterm || !sigint || !sighup || event_add(sigterm, NULL) != 0 ||
        event_add(sigint, NULL) != 0 || event_add(sighup, NULL) != 0) {
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
    if (rc == 0 && srv.h->warm != NULL) {
        srv.warm = (struct pool_job){.run = warm_run, .done = warm_done};
        (void)pool_submit(srv.pool, main_base, &srv.warm); /* (nothing lost if it cannot) */
    }
    if (rc == 0) {
        log_info("serving with %d workers", srv.nworkers);
        printf("listening on %s://%s:%d\n", srv.tls != NULL ? "https" : "http", cfg->listen_host,
               port);
        fflush(stdout);
        sd_notifyf(0, "READY=1\nSTATUS=serving on port %d%s\nMAINPID=%lu", port,
                   srv.tls != NULL ? " (HTTPS)" : "", (unsigned long)getpid());
        /* Blocks until SIGTERM or SIGINT has told every worker to stop; SIGHUP reloads. */
        srv.main = main_base;
        event_base_dispatch(main_base);
    } else {
        signal_cb(SIGTERM, 0, &srv);
    }
    for (int i = 0; i < started; i++)
        pthread_join(srv.workers[i].thread, NULL);
out:
    pool_free(srv.pool);
    /* warm() not done when the loop stopped (a stop soon after the start): its event is ours */
    if (srv.warm.ev != NULL && !srv.warm_done)
        event_free(srv.warm.ev);
    for (int i = 0; i < srv.nworkers; i++)
        worker_release(&srv.workers[i]);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (sighup)
        event_free(sighup);
    if (main_base)
        event_base_free(main_base);
    mem_free(srv.workers);
    tls_free(srv.tls);
    if (rc == 0)
        log_info("stopped cleanly");
    return rc;
}
