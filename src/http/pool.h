/*
 * pool.h - a fixed set of threads for slow work (Argon2id), so event loops never block on it.
 *
 * A job's run() executes on a pool thread; its done() is then scheduled on the event base the job
 * was submitted from (via a libevent event activated across threads) and runs there.
 * Each pool thread owns one value made by the init callback (a database connection), passed to
 * run() as @tls.
 */
#ifndef DISSENT_HTTP_POOL_H
#define DISSENT_HTTP_POOL_H

#include <stddef.h>

struct event_base;
struct pool;

struct pool_job {
    void (*run)(struct pool_job *job, void *tls); /* on a pool thread */
    void (*done)(struct pool_job *job);           /* on the submitting event loop */
    struct event *ev;                             /* set by pool_submit() */
    struct pool_job *next;                        /* queue link, owned by the pool */
};

/**
 * pool_new() - start @nthreads threads; each calls @tls_init(@arg, &tls) first (non-zero fails
 * the whole start) and @tls_free(tls, @arg) when the pool stops. Returns NULL on failure.
 */
struct pool *pool_new(int nthreads, int (*tls_init)(void *arg, void **tls),
                      void (*tls_free)(void *tls, void *arg), void *arg);

/**
 * pool_submit() - queue @job; done() will run on @base. The job memory must stay valid until
 * done() returns. Returns 0 or ERR_NOMEM / ERR_BUSY (the pool is stopping).
 */
int pool_submit(struct pool *p, struct event_base *base, struct pool_job *job);

/** pool_free() - finish queued jobs, join the threads, free. NULL is a no-op. */
void pool_free(struct pool *p);

#endif
