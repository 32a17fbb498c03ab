#include "util/metrics.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const double metrics_latency_bounds[METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

enum { EMPTY = 0, FILLING = 1, READY = 2 };

struct slot {
    _Atomic int state;
    char method[8];
    char route[METRICS_ROUTE_MAX];
    int status;
    _Atomic uint64_t count, sum_us;
    _Atomic uint64_t buckets[METRICS_BUCKETS]; /* per bucket (made cumulative when read) */
};

#define SLOTS (METRICS_SERIES_MAX + METRICS_SERIES_MAX / 2) /* open addressing, never full */

static struct slot slots[SLOTS];
static struct slot overflow = {.state = READY, .method = "-", .route = "other"};
static pthread_mutex_t fill_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t used; /* series made (under fill_mu) */

static _Atomic uint64_t signins[3], signatures, sign_failures, batches, batch_sum, db_errors;
static _Atomic uint64_t batch_buckets[METRICS_BATCH_BUCKETS];

static uint64_t key_hash(const char *method, const char *route, int status)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */

    for (const char *p = method; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = route; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (h ^ (uint64_t)(unsigned)status) * 1099511628211ull;
}

static bool same(const struct slot *s, const char *method, const char *route, int status)
{
    return s->status == status && strncmp(s->method, method, sizeof(s->method) - 1) == 0 &&
           strncmp(s->route, route, sizeof(s->route) - 1) == 0;
}

/* The series of these labels: found, made, or the overflow one. */
static struct slot *series(const char *method, const char *route, int status)
{
    size_t start = (size_t)(key_hash(method, route, status) % SLOTS);
    struct slot *s = NULL;

    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *c = &slots[(start + i) % SLOTS];
        int st;
        while ((st = atomic_load_explicit(&c->state, memory_order_acquire)) == FILLING)
            sched_yield();
        if (st == EMPTY)
            break;
        if (same(c, method, route, status))
            return c;
    }
    pthread_mutex_lock(&fill_mu);
    for (size_t i = 0; i < SLOTS; i++) {
        struct slot *c = &slots[(start + i) % SLOTS];
        if (atomic_load_explicit(&c->state, memory_order_acquire) == EMPTY) {
            if (used < METRICS_SERIES_MAX) {
                atomic_store_explicit(&c->state, FILLING, memory_order_relaxed);
                snprintf(c->method, sizeof(c->method), "%s", method);
                snprintf(c->route, sizeof(c->route), "%s", route);
                c->status = status;
                atomic_store_explicit(&c->state, READY, memory_order_release);
                used++;
                s = c;
            }
            break;
        }
        if (same(c, method, route, status)) { /* made meanwhile by another thread */
            s = c;
            break;
        }
    }
    pthread_mutex_unlock(&fill_mu);
    return s != NULL ? s : &overflow;
}

void metrics_request(const char *method, const char *route, int status, int64_t micros)
{
    struct slot *s = series(method ? method : "-", route ? route : "-", status);
    uint64_t us = micros > 0 ? (uint64_t)micros : 0;
    size_t b = 0;

    while (b < METRICS_BUCKETS && (double)us > metrics_latency_bounds[b] * 1e6)
        b++;
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
    if (b < METRICS_BUCKETS)
        atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
}

void metrics_signin(enum metrics_signin r)
{
    if ((unsigned)r < 3)
        atomic_fetch_add_explicit(&signins[r], 1, memory_order_relaxed);
}

void metrics_sign_batch(size_t n, size_t ok)
{
    size_t b = 0;

    if (n == 0)
        return;
    while (b < METRICS_BATCH_BUCKETS && n > ((size_t)1 << b))
        b++;
    atomic_fetch_add_explicit(&batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&batch_sum, n, memory_order_relaxed);
    if (b < METRICS_BATCH_BUCKETS)
        atomic_fetch_add_explicit(&batch_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&signatures, ok, memory_order_relaxed);
    atomic_fetch_add_explicit(&sign_failures, n - ok, memory_order_relaxed);
}

void metrics_db_error(void)
{
    atomic_fetch_add_explicit(&db_errors, 1, memory_order_relaxed);
}

static void read_slot(struct slot *s, struct metrics_series *o)
{
    uint64_t cum = 0;

    snprintf(o->method, sizeof(o->method), "%s", s->method);
    snprintf(o->route, sizeof(o->route), "%s", s->route);
    o->status = s->status;
    for (size_t b = 0; b < METRICS_BUCKETS; b++) {
        cum += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
        o->buckets[b] = cum;
    }
    o->sum_us = atomic_load_explicit(&s->sum_us, memory_order_relaxed);
    o->count = atomic_load_explicit(&s->count, memory_order_relaxed);
    if (o->count < cum) /* counted between the reads: the +Inf bucket is never below the others */
        o->count = cum;
}

size_t metrics_requests(struct metrics_series *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < SLOTS && n < cap; i++)
        if (atomic_load_explicit(&slots[i].state, memory_order_acquire) == READY)
            read_slot(&slots[i], &out[n++]);
    if (n < cap && atomic_load_explicit(&overflow.count, memory_order_relaxed) > 0)
        read_slot(&overflow, &out[n++]);
    return n;
}

void metrics_counters(struct metrics_counters *out)
{
    uint64_t cum = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < 3; i++)
        out->signins[i] = atomic_load_explicit(&signins[i], memory_order_relaxed);
    out->signatures = atomic_load_explicit(&signatures, memory_order_relaxed);
    out->sign_failures = atomic_load_explicit(&sign_failures, memory_order_relaxed);
    for (size_t b = 0; b < METRICS_BATCH_BUCKETS; b++) {
        cum += atomic_load_explicit(&batch_buckets[b], memory_order_relaxed);
        out->batch_buckets[b] = cum;
    }
    out->batch_sum = atomic_load_explicit(&batch_sum, memory_order_relaxed);
    out->batches = atomic_load_explicit(&batches, memory_order_relaxed);
    if (out->batches < cum)
        out->batches = cum;
    out->db_errors = atomic_load_explicit(&db_errors, memory_order_relaxed);
}

uint64_t metrics_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    long page = sysconf(_SC_PAGESIZE);

    if (f == NULL)
        return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}
