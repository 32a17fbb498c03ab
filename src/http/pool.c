#include "http/pool.h"

#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct pool {
    pthread_mutex_t mu;    /* guards everything below */
    pthread_cond_t cv;     /* signalled when a job arrives or the pool stops */
    struct pool_job *head; /* FIFO of queued jobs */
    struct pool_job *tail;
    bool stopping; /* no new jobs; threads exit when the queue is empty */
    int nthreads;  /* threads started */
    pthread_t *threads;
    int (*tls_init)(void *arg, void **tls);
    void (*tls_free)(void *tls, void *arg);
    void *arg;
    int init_failed; /* a thread's tls_init failed */
    int ready;       /* threads that finished tls_init */
};

static void job_done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct pool_job *job = arg;
    struct event *ev = job->ev;

    job->done(job);
    event_free(ev);
}

static void *pool_main(void *arg)
{
    struct pool *p = arg;
    void *tls = NULL;
    int rc = p->tls_init ? p->tls_init(p->arg, &tls) : 0;

    pthread_mutex_lock(&p->mu);
    if (rc != 0)
        p->init_failed = 1;
    p->ready++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (rc != 0)
        return NULL;

    for (;;) {
        struct pool_job *job;
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        job = p->head;
        if (job == NULL) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        job->run(job, tls);
        event_active(job->ev, EV_READ, 0);
    }
    if (p->tls_free)
        p->tls_free(tls, p->arg);
    return NULL;
}

struct pool *pool_new(int nthreads, int (*tls_init)(void *arg, void **tls),
                      void (*tls_free)(void *tls, void *arg), void *arg)
{
    struct pool *p = mem_calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->tls_init = tls_init;
    p->tls_free = tls_free;
    p->arg = arg;
    p->threads = mem_calloc((size_t)nthreads, sizeof(*p->threads));
    if (p->threads == NULL) {
        pool_free(p);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, pool_main, p) != 0)
            break;
        p->nthreads++;
    }
    pthread_mutex_lock(&p->mu);
    while (p->ready < p->nthreads)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    if (p->nthreads < nthreads || p->init_failed) {
        log_error("pool: could not start %d threads", nthreads);
        pool_free(p);
        return NULL;
    }
    return p;
}

int pool_submit(struct pool *p, struct event_base *base, struct pool_job *job)
{
    job->ev = event_new(base, -1, 0, job_done_cb, job);
    if (job->ev == NULL)
        return ERR_NOMEM;
    job->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        event_free(job->ev);
        job->ev = NULL;
        return ERR_BUSY;
    }
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void pool_free(struct pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    mem_free(p->threads);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    mem_free(p);
}
