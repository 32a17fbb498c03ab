/*
 * metrics.h - the process's counters for GET /metrics (api/metrics.c writes them out in the
 * Prometheus text format). Counted where things happen, cheaply and from any thread:
 *
 *  - every HTTP request by method, route *pattern* and status (never a concrete path: no memo id,
 *    no user name), with its latency in a histogram (http/server.c);
 *  - sign-ins: accepted, refused, throttled (api/session.c);
 *  - signatures committed and the size of each group commit (core/workflow.c);
 *  - database statements that failed (store/sql.c).
 *
 * A series is made the first time its labels are seen (under a lock), then only counted (atomic
 * adds, no lock); at most METRICS_SERIES_MAX of them, more are counted in one overflow series
 * (route "other"). Counters only grow until the process ends, as Prometheus expects.
 */
#ifndef DISSENT_UTIL_METRICS_H
#define DISSENT_UTIL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_SERIES_MAX 1024 /* method × route × status series */
#define METRICS_ROUTE_MAX 96    /* bytes of a route pattern kept (longer ones are cut) */
#define METRICS_BUCKETS 12      /* latency buckets, +Inf aside */
#define METRICS_BATCH_BUCKETS 8 /* group-commit sizes 1, 2, 4, ... 128, +Inf aside */

/* The latency buckets' upper bounds, seconds, ascending. */
extern const double metrics_latency_bounds[METRICS_BUCKETS];

/* One request series as read by metrics_requests(). */
struct metrics_series {
    char method[8];
    char route[METRICS_ROUTE_MAX];
    int status;
    uint64_t count;
    uint64_t sum_us;                   /* the latencies' sum, microseconds */
    uint64_t buckets[METRICS_BUCKETS]; /* requests at or under each bound (cumulative) */
};

enum metrics_signin { METRICS_SIGNIN_OK, METRICS_SIGNIN_FAILED, METRICS_SIGNIN_THROTTLED };

/* The plain counters, as read by metrics_counters(). */
struct metrics_counters {
    uint64_t signins[3];                           /* by enum metrics_signin */
    uint64_t signatures;                           /* committed */
    uint64_t sign_failures;                        /* signatures whose commit failed */
    uint64_t batches;                              /* group commits */
    uint64_t batch_sum;                            /* signatures in them */
    uint64_t batch_buckets[METRICS_BATCH_BUCKETS]; /* batches of at most 2^i (cumulative) */
    uint64_t db_errors;                            /* failed statements */
};

/** metrics_request() - count one answered request (@route the pattern, "-" when none). */
void metrics_request(const char *method, const char *route, int status, int64_t micros);

/** metrics_signin() - count one sign-in attempt's outcome. */
void metrics_signin(enum metrics_signin r);

/** metrics_sign_batch() - one group commit of @n signatures, @ok of them committed. */
void metrics_sign_batch(size_t n, size_t ok);

/** metrics_db_error() - one failed database statement. */
void metrics_db_error(void);

/**
 * metrics_requests() - up to @cap request series into @out (a snapshot: each series' figures are
 * read one by one while others may be counting); returns how many.
 */
size_t metrics_requests(struct metrics_series *out, size_t cap);

/** metrics_counters() - the plain counters now. */
void metrics_counters(struct metrics_counters *out);

/** metrics_rss() - the process's resident memory in bytes (/proc/self/statm), 0 if unknown. */
uint64_t metrics_rss(void);

#endif
