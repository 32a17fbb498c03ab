/*
 * sign_load.c - the measured phase of bench/sign.sh: every signer whose session cookie is in
 * COOKIES sends one POST /api/v1/memos/{id}/signatures, over CONNECTIONS keep-alive HTTP/1.1
 * connections opened (and each answered once on GET /healthz) before the clock starts.
 *
 * Usage: sign_load HOST PORT MEMO_ID COOKIES CONNECTIONS
 *   HOST is a numeric IPv4 address; COOKIES holds one "dissent_session=..." a line, one per
 *   signer, so each signer is sent exactly once and no request can be a repeat.
 *
 * One thread and poll(): the client should cost the two shared cores as little as possible.
 * Each connection carries one request at a time (no pipelining); when a response is complete the
 * connection takes the next unsent signer. Prints the rate, a count per status and latency
 * percentiles, and the first response that was not 201. Exit status: 0 when every request was
 * answered 201, 2 when some were not, 1 on usage or setup errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIGNERS_MAX 100000
#define CONNS_MAX 10000
#define COOKIE_MAX 512    /* bytes of one cookie line */
#define REQ_MAX 1024      /* bytes of one request */
#define RESP_MAX 65536    /* bytes of one response, headers and body */
#define STATUS_SLOTS 600  /* statuses 0..599; 0 means "no response" */
#define SHOW_MAX 600      /* bytes of the first failing response echoed to stderr */
#define POLL_TIMEOUT 1000 /* ms */
#define STALL_LIMIT 30    /* idle poll timeouts before giving up */

/* One keep-alive connection. */
struct conn {
    int fd;               /* the socket, -1 once closed */
    long signer;          /* index of the request in flight, -1 when idle */
    char out[REQ_MAX];    /* the request being sent */
    size_t out_len;       /* its length */
    size_t out_off;       /* bytes sent so far */
    char in[RESP_MAX];    /* the response read so far */
    size_t in_len;        /* bytes in @in */
    struct timespec sent; /* when the request's first byte went out */
};

/* The run: what to send and what came back. */
struct load {
    const char *host;          /* numeric IPv4 */
    int port;                  /* server port */
    const char *memo;          /* memo id */
    char **cookies;            /* one per signer */
    long n;                    /* signers */
    long next;                 /* first signer not yet sent */
    long done;                 /* responses (or failures) recorded */
    double *lat;               /* latency of each signer's request, seconds */
    long status[STATUS_SLOTS]; /* responses per status */
    bool shown;                /* a failing response was echoed */
};

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Read the cookie file: one non-empty line per signer. 0 or -1 (message printed). */
static int cookies_read(const char *path, struct load *ld)
{
    char line[COOKIE_MAX + 2];
    FILE *f = fopen(path, "r");
    int rc = -1;

    if (f == NULL) {
        fprintf(stderr, "sign_load: %s: %s\n", path, strerror(errno));
        return -1;
    }
    ld->cookies = calloc(SIGNERS_MAX, sizeof(*ld->cookies));
    if (ld->cookies == NULL)
        goto out;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strcspn(line, "\r\n");

        if (len == 0)
            continue;
        if (len > COOKIE_MAX || ld->n == SIGNERS_MAX) {
            fprintf(stderr, "sign_load: %s: line too long or too many lines\n", path);
            goto out;
        }
        line[len] = '\0';
        if ((ld->cookies[ld->n] = strdup(line)) == NULL)
            goto out;
        ld->n++;
    }
    rc = ld->n > 0 ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "sign_load: %s holds no cookie\n", path);
out:
    fclose(f);
    return rc;
}

/* A blocking TCP connection to the server with Nagle off. The fd, or -1. */
static int dial(const struct load *ld)
{
    struct sockaddr_in sa;
    int fd, one = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)ld->port);
    if (inet_pton(AF_INET, ld->host, &sa.sin_addr) != 1) {
        fprintf(stderr, "sign_load: HOST must be a numeric IPv4 address\n");
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        fprintf(stderr, "sign_load: connect %s:%d: %s\n", ld->host, ld->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/*
 * Whether @c->in holds a complete response; if so, its status in *@status and whether the
 * server will close the connection in *@closing. Returns 1 complete, 0 not yet, -1 malformed
 * (no Content-Length, or more bytes than one response).
 */
static int response_parse(const struct conn *c, int *status, bool *closing)
{
    const char *end, *p, *eol;
    size_t head, clen = 0;
    bool has_len = false;

    *status = 0;
    *closing = false;
    end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL)
        return c->in_len >= sizeof(c->in) ? -1 : 0;
    head = (size_t)(end - c->in) + 4;
    if (c->in_len < 12 || memcmp(c->in, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(c->in + 9);
    for (p = (const char *)memchr(c->in, '\n', head) + 1; p < end; p = eol + 1) {
        eol = memchr(p, '\n', (size_t)(end + 2 - p));
        if (eol == NULL)
            break;
        if (strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtoul(p + 15, NULL, 10);
            has_len = true;
        } else if (strncasecmp(p, "Connection:", 11) == 0) {
            const char *v = p + 11;

            while (*v == ' ')
                v++;
            *closing = strncasecmp(v, "close", 5) == 0;
        }
    }
    if (!has_len || head + clen > sizeof(c->in))
        return -1;
    if (c->in_len < head + clen)
        return 0;
    return c->in_len == head + clen ? 1 : -1;
}

/* Write and read one whole request/response on a blocking socket (setup only). 0 or -1. */
static int roundtrip(struct conn *c)
{
    int status = 0;
    bool closing;
    ssize_t r;
    int done;

    while (c->out_off < c->out_len) {
        r = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (r <= 0)
            return -1;
        c->out_off += (size_t)r;
    }
    c->in_len = 0;
    while ((done = response_parse(c, &status, &closing)) == 0) {
        r = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
        if (r <= 0)
            return -1;
        c->in_len += (size_t)r;
    }
    return done == 1 && status == 200 && !closing ? 0 : -1;
}

/* Open @c, prove the server has accepted it with one GET /healthz, and make it non-blocking. */
static int conn_open(struct load *ld, struct conn *c)
{
    int n;

    c->signer = -1;
    if ((c->fd = dial(ld)) < 0)
        return -1;
    n = snprintf(c->out, sizeof(c->out), "GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n\r\n", ld->host,
                 ld->port);
    c->out_len = (size_t)n;
    c->out_off = 0;
    if (roundtrip(c) != 0 || fcntl(c->fd, F_SETFL, O_NONBLOCK) != 0) {
        fprintf(stderr, "sign_load: warm-up GET /healthz failed\n");
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->in_len = 0;
    return 0;
}

/* Give @c the next unsent signer, if any. 0, or -1 when the request does not fit. */
static int conn_next(struct load *ld, struct conn *c)
{
    int n;

    c->signer = -1;
    c->in_len = 0;
    if (ld->next >= ld->n)
        return 0;
    n = snprintf(c->out, sizeof(c->out),
                 "POST /api/v1/memos/%s/signatures HTTP/1.1\r\n"
                 "Host: %s:%d\r\n"
                 "Cookie: %s\r\n"
                 "X-Requested-With: dissent\r\n"
                 "Content-Length: 0\r\n"
                 "\r\n",
                 ld->memo, ld->host, ld->port, ld->cookies[ld->next]);
    if (n < 0 || (size_t)n >= sizeof(c->out))
        return -1;
    c->signer = ld->next++;
    c->out_len = (size_t)n;
    c->out_off = 0;
    clock_gettime(CLOCK_MONOTONIC, &c->sent);
    return 0;
}

/* Record the outcome of @c's request: @status (0 when there was no valid response). */
static void record(struct load *ld, struct conn *c, int status)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ld->lat[c->signer] = seconds_between(&c->sent, &now);
    ld->status[status > 0 && status < STATUS_SLOTS ? status : 0]++;
    ld->done++;
    if (status != 201 && !ld->shown) {
        ld->shown = true;
        fprintf(stderr, "sign_load: signer %ld got %d:\n%.*s\n", c->signer + 1, status,
                (int)(c->in_len < SHOW_MAX ? c->in_len : SHOW_MAX), c->in);
    }
    c->signer = -1;
}

/* The request on @c failed without a usable response: record it, close @c, reopen it. */
static int conn_fail(struct load *ld, struct conn *c)
{
    if (c->signer >= 0)
        record(ld, c, 0);
    close(c->fd);
    c->fd = -1;
    if (ld->next >= ld->n)
        return 0;
    if (conn_open(ld, c) != 0)
        return -1;
    return conn_next(ld, c);
}

/* Progress on @c after poll() said it is ready. 0, or -1 on a fatal error. */
static int conn_step(struct load *ld, struct conn *c, short revents)
{
    int status, done;
    bool closing;
    ssize_t r;

    if (revents & POLLOUT) {
        r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return conn_fail(ld, c);
        if (r > 0)
            c->out_off += (size_t)r;
    }
    if (!(revents & (POLLIN | POLLERR | POLLHUP)))
        return 0;
    r = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (r <= 0)
        return conn_fail(ld, c);
    c->in_len += (size_t)r;
    done = response_parse(c, &status, &closing);
    if (done == 0)
        return 0;
    if (done < 0)
        return conn_fail(ld, c);
    record(ld, c, status);
    if (closing) {
        c->signer = -1;
        return conn_fail(ld, c);
    }
    return conn_next(ld, c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The @p-th percentile (0..100) of the sorted @v[0..@n). */
static double percentile(const double *v, long n, double p)
{
    long i = (long)(p / 100.0 * (double)(n - 1) + 0.5);

    return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

static void report(struct load *ld, int nconns, double secs)
{
    printf("sign_load: %ld requests, %d connections, %.3f s, %.0f requests/s\n", ld->n, nconns,
           secs, (double)ld->n / secs);
    for (int s = 0; s < STATUS_SLOTS; s++) {
        if (ld->status[s] > 0)
            printf("sign_load: status %d: %ld\n", s, ld->status[s]);
    }
    qsort(ld->lat, (size_t)ld->n, sizeof(*ld->lat), cmp_double);
    printf("sign_load: latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
           1e3 * percentile(ld->lat, ld->n, 50), 1e3 * percentile(ld->lat, ld->n, 90),
           1e3 * percentile(ld->lat, ld->n, 99), 1e3 * ld->lat[ld->n - 1]);
}

/* Drive every connection until each signer has an outcome. 0, or -1 on a fatal error. */
static int run(struct load *ld, struct conn *cs, struct pollfd *pf, int nconns)
{
    int stalls = 0;

    for (int i = 0; i < nconns; i++) {
        if (conn_next(ld, &cs[i]) != 0)
            return -1;
    }
    while (ld->done < ld->n) {
        int ready;

        for (int i = 0; i < nconns; i++) {
            pf[i].fd = cs[i].signer >= 0 ? cs[i].fd : -1;
            pf[i].events = (short)(cs[i].out_off < cs[i].out_len ? POLLOUT : POLLIN);
            pf[i].revents = 0;
        }
        ready = poll(pf, (nfds_t)nconns, POLL_TIMEOUT);
        if (ready < 0 && errno != EINTR) {
            perror("sign_load: poll");
            return -1;
        }
        if (ready == 0 && ++stalls >= STALL_LIMIT) {
            fprintf(stderr, "sign_load: no progress for %d s; %ld of %ld answered\n",
                    STALL_LIMIT * POLL_TIMEOUT / 1000, ld->done, ld->n);
            return -1;
        }
        if (ready > 0)
            stalls = 0;
        for (int i = 0; i < nconns && ready > 0; i++) {
            if (pf[i].revents == 0)
                continue;
            ready--;
            if (conn_step(ld, &cs[i], pf[i].revents) != 0)
                return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct load ld;
    struct conn *cs = NULL;
    struct pollfd *pf = NULL;
    struct timespec t0, t1;
    int nconns = 0, rc = 1;

    memset(&ld, 0, sizeof(ld));
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT MEMO_ID COOKIES CONNECTIONS\n", argv[0]);
        return 1;
    }
    ld.host = argv[1];
    ld.port = atoi(argv[2]);
    ld.memo = argv[3];
    nconns = atoi(argv[5]);
    if (ld.port <= 0 || ld.port > 65535 || nconns <= 0 || nconns > CONNS_MAX) {
        fprintf(stderr, "sign_load: PORT 1..65535, CONNECTIONS 1..%d\n", CONNS_MAX);
        return 1;
    }
    if (cookies_read(argv[4], &ld) != 0)
        goto out;
    if (nconns > ld.n)
        nconns = (int)ld.n;
    cs = calloc((size_t)nconns, sizeof(*cs));
    pf = calloc((size_t)nconns, sizeof(*pf));
    ld.lat = calloc((size_t)ld.n, sizeof(*ld.lat));
    if (cs == NULL || pf == NULL || ld.lat == NULL)
        goto out;
    for (int i = 0; i < nconns; i++)
        cs[i].fd = -1;
    for (int i = 0; i < nconns; i++) {
        if (conn_open(&ld, &cs[i]) != 0)
            goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (run(&ld, cs, pf, nconns) != 0)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    report(&ld, nconns, seconds_between(&t0, &t1));
    rc = ld.status[201] == ld.n ? 0 : 2;
out:
    for (int i = 0; cs != NULL && i < nconns; i++) {
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    }
    for (long i = 0; ld.cookies != NULL && i < ld.n; i++)
        free(ld.cookies[i]);
    free(ld.cookies);
    free(ld.lat);
    free(pf);
    free(cs);
    return rc;
}
