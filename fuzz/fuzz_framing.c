/*
 * fuzz_framing.c - HTTP/1.1 framing: arbitrary byte streams through the real request reader
 * (http/h1.h) and the real connection (http/conn.h) on an in-process connection (a libevent
 * bufferevent pair), whose owner answers every request at once.
 *
 * Input: the first byte sets how the rest arrives (in pieces of that many bytes; 0: at once); the
 * rest is what a client sends on one connection.
 *
 * Invariants, else abort():
 *   - every byte is attributed to exactly one request, or to the refusal, or is the incomplete
 *     tail, or comes after a request that closes the connection: the requests' spans are
 *     contiguous and non-empty, and they add up;
 *   - after a refusal, nothing more is read: every later feed refuses again and takes nothing;
 *   - the events do not depend on how the bytes were cut: fed at once, fed in pieces, the
 *     same requests (same spans, methods, paths, bodies) and the same refusal;
 *   - the connection answers exactly the requests the reader found, plus one answer for a
 *     refusal, in order, and nothing after a refusal or a closing request; 100 Continue only
 *     where the reader asked for it.
 */
#include "fuzz.h"

#include "http/conn.h"
#include "http/h1.h"
#include "util/mem.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>

#define MAX_HEAD 2048
#define MAX_BODY 4096
#define MAX_EVENTS 64

struct outcome {
    size_t n;                    /* requests */
    size_t end[MAX_EVENTS];      /* end offset of each request's span */
    uint64_t digest[MAX_EVENTS]; /* of each request's method, path, query and body */
    int refused;                 /* the refusal's status, or 0 */
    size_t continues;            /* 100 Continue asked */
    bool closed;                 /* a request closed the connection */
};

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t digest(const struct h1 *h)
{
    uint64_t d = 14695981039346656037ull;
    size_t len;
    const char *body = h1_body(h, &len), *q = h1_query(h);
    int m = (int)h1_method(h);

    d = mix(d, &m, sizeof(m));
    d = mix(d, h1_path(h), strlen(h1_path(h)));
    d = mix(d, q ? q : "", q ? strlen(q) + 1 : 0);
    return mix(d, body ? body : "", len);
}

/* The reader alone, the stream cut in pieces of @step bytes (0: whole). */
static void read_all(const uint8_t *data, size_t size, size_t step, struct outcome *o)
{
    struct h1 h;
    size_t off = 0, start = 0;

    memset(o, 0, sizeof(*o));
    h1_init(&h, MAX_HEAD, MAX_BODY);
    while (off < size && o->n < MAX_EVENTS) {
        size_t piece = step == 0 || size - off < step ? size - off : step, used = 0;
        enum h1_event ev = h1_feed(&h, (const char *)data + off, piece, &used);

        if (used > piece)
            abort();
        off += used;
        if (ev == H1_MORE) {
            if (used != piece)
                abort();
            continue;
        }
        if (ev == H1_HEAD) {
            if (!h1_wants_continue(&h))
                abort();
            o->continues++;
            continue;
        }
        if (ev == H1_REFUSED) {
            size_t again = 1;
            o->refused = h1_status(&h);
            if (o->refused < 400 || o->refused > 599 || h1_why(&h)[0] == '\0')
                abort();
            /* nothing more is ever read */
            if (h1_feed(&h, "GET / HTTP/1.1\r\n", 16, &again) != H1_REFUSED || again != 0)
                abort();
            break;
        }
        /* a request: its span is what came since the last one, and not empty */
        if (off <= start || h1_status(&h) != 0)
            abort();
        o->end[o->n] = off;
        o->digest[o->n] = digest(&h);
        o->n++;
        start = off;
        if (!h1_keep_alive(&h)) {
            o->closed = true;
            break;
        }
        h1_next(&h);
    }
    h1_release(&h);
}

/* --- the same bytes through a connection --- */

struct owner {
    size_t requests, refusals, finished;
    bool after_end; /* a request came after a refusal or a closing request */
    bool ended;
};

static void on_request(struct conn *c, const struct h1 *h, void *arg)
{
    struct owner *o = arg;
    static const struct conn_header hdrs[] = {{"Content-Type", "text/plain"}};

    if (o->ended)
        o->after_end = true;
    if (h1_status(h) != 0) {
        o->refusals++;
        o->ended = true;
        conn_reply(c, h1_status(h), hdrs, 1, "no\n", 3, true);
        return;
    }
    o->requests++;
    if (!h1_keep_alive(h))
        o->ended = true;
    conn_reply(c, 200, hdrs, 1, "ok\n", 3, false);
}

static void on_finished(void *arg)
{
    ((struct owner *)arg)->finished++;
}

static const struct conn_ops ops = {.request = on_request, .finished = on_finished};

static struct event_base *base;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    mem_install();
    base = event_base_new();
    return base == NULL;
}

/* Count "HTTP/1.1 " status lines in @out: the 100s, and the others. */
static void count_answers(struct evbuffer *out, size_t *hundreds, size_t *finals)
{
    size_t len = evbuffer_get_length(out);
    char *s = malloc(len + 1);

    if (s == NULL)
        abort();
    evbuffer_remove(out, s, len);
    s[len] = '\0';
    *hundreds = *finals = 0;
    for (char *p = s; (p = strstr(p, "HTTP/1.1 ")) != NULL; p += 9) {
        if (strncmp(p + 9, "100 ", 4) == 0)
            (*hundreds)++;
        else
            (*finals)++;
    }
    free(s);
}

static void through_conn(const uint8_t *data, size_t size, size_t step, const struct outcome *o)
{
    static const struct conn_limits lim = {MAX_HEAD, MAX_BODY, 30};
    struct bufferevent *pair[2];
    struct conn *list = NULL;
    struct owner own = {0};
    size_t hundreds, finals;
    struct evbuffer *got = evbuffer_new();

    if (got == NULL || bufferevent_pair_new(base, 0, pair) != 0)
        abort();
    if (conn_new(pair[0], "fuzz", &lim, &ops, &own, &list) == NULL)
        abort();
    bufferevent_enable(pair[1], EV_READ | EV_WRITE);
    for (size_t off = 0; off < size;) {
        size_t piece = step == 0 || size - off < step ? size - off : step;
        bufferevent_write(pair[1], data + off, piece);
        off += piece;
        event_base_loop(base, EVLOOP_NONBLOCK);
        evbuffer_add_buffer(got, bufferevent_get_input(pair[1]));
    }
    for (int i = 0; i < 4; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        evbuffer_add_buffer(got, bufferevent_get_input(pair[1]));
    }
    count_answers(got, &hundreds, &finals);
    if (own.after_end || own.requests != o->n || own.refusals != (o->refused ? 1u : 0u))
        abort();
    if (finals != own.requests + own.refusals || hundreds != o->continues)
        abort();
    conn_close_all(&list);
    if (own.finished != own.requests + own.refusals)
        abort();
    bufferevent_free(pair[1]);
    evbuffer_free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome whole, cut;
    size_t step;

    if (size < 1)
        return 0;
    step = data[0];
    data++;
    size--;
    read_all(data, size, 0, &whole);
    read_all(data, size, step, &cut);
    if (whole.n != cut.n || whole.refused != cut.refused || whole.closed != cut.closed ||
        memcmp(whole.end, cut.end, whole.n * sizeof(whole.end[0])) != 0 ||
        memcmp(whole.digest, cut.digest, whole.n * sizeof(whole.digest[0])) != 0)
        abort();
    if (whole.n < MAX_EVENTS)
        through_conn(data, size, step, &cut);
    return 0;
}
