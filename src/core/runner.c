/*
 * runner.c - periodic work on threads of its own (runner.h).
 */
#include "core/runner.h"

#include "core/channel.h"
#include "core/trust.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct runner {
    struct store *st;
    int interval;
    runner_fn fn;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool wake; /* runner_wake(): do not wait for the interval */
};

static _Atomic int64_t lead_until;

static int64_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

void runner_lead(void)
{
    atomic_store(&lead_until, mono_now() + RUNNER_LEAD_SECONDS);
}

static void *run(void *arg)
{
    struct runner *r = arg;
    struct timespec ts;
    bool soon = true; /* at the start, and after a wake-up that found another server leading */

    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += soon ? RUNNER_LEAD_SECONDS + 1 : r->interval;
        while (!r->stop && !r->wake && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
            ;
        if (r->stop)
            break;
        r->wake = false;
        pthread_mutex_unlock(&r->mu);
        soon = atomic_load(&lead_until) < mono_now();
        if (!soon)
            r->fn(r->st, r->arg);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int runner_start(const char *uri, const struct channel *ch, const char *data_dir, int interval,
                 runner_fn fn, void *arg, const char *name, struct runner **out)
{
    pthread_condattr_t ca;
    struct runner *r;
    char err[256] = "";

    *out = NULL;
    if ((r = mem_calloc(1, sizeof(*r))) == NULL)
        return ERR_NOMEM;
    r->interval = interval;
    r->fn = fn;
    r->arg = arg;
    if (store_open(uri, &r->st, err, sizeof(err)) != 0) {
        log_error("%s: cannot open the database: %s", name, err);
        mem_free(r);
        return ERR_INTERNAL;
    }
    if (trust_attach(r->st, ch->key, ch->log_key, data_dir) != 0) {
        store_close(r->st);
        mem_free(r);
        return ERR_NOMEM;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        log_error("%s: cannot start its thread", name);
        store_close(r->st);
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        mem_free(r);
        return ERR_INTERNAL;
    }
    *out = r;
    return 0;
}

void *runner_arg(const struct runner *r)
{
    return r->arg;
}

void runner_wake(struct runner *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->wake = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void runner_stop(struct runner *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    store_close(r->st);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    mem_free(r);
}
