/*
 * mem.c - the allocation wrapper: counting, fault injection, and the jansson and SQLite hooks.
 *
 * Every block of ours (and jansson's) is wiped before it goes back to the C library
 * (mem_free(), and mem_realloc(), which never leaves the old block behind unwiped): decrypted
 * titles and texts, request bodies, tokens and JSON answers pass through these blocks, and a
 * freed block would otherwise keep them until reused. SQLite's blocks are not wiped: its page
 * cache holds what the database file holds (ciphertext, and the metadata stored in the clear),
 * and wiping them cost a quarter of the throughput of GET /api/v1/me (docs/benchmarks.md).
 */
#include "util/mem.h"

#include <jansson.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_long armed;    /* the attempt number that fails, 0 when none */
static atomic_long attempts; /* attempts since the last mem_fault_at() */
static atomic_bool fired;
/* blocks live, counted in shards so that threads allocating at once do not fight over one cache
 * line (a block freed by another thread moves the count between shards: the sum is exact) */
#define LIVE_SHARDS 16
static struct {
    atomic_long n;
    char pad[64 - sizeof(atomic_long)];
} live[LIVE_SHARDS] __attribute__((aligned(64)));
static atomic_uint next_shard;
static _Thread_local int my_shard = -1;
static void (*_Atomic on_fault)(void);       /* test hook, called as the fault fires */
static _Thread_local unsigned long failures; /* allocations this thread was refused */

bool mem_fail_now(void)
{
    long at = atomic_load_explicit(&armed, memory_order_relaxed);

    if (at == 0)
        return false;
    if (atomic_fetch_add(&attempts, 1) + 1 != at)
        return false;
    atomic_store(&fired, true);
    if (on_fault != NULL)
        on_fault();
    return true;
}

unsigned long mem_failures(void)
{
    return failures;
}

json_t *mem_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err, bool *nomem)
{
    unsigned long refused = failures;
    json_t *v = json_loadb(buf, len, flags, err);

    *nomem = v == NULL && failures != refused;
    return v;
}

void mem_track(long delta)
{
    if (my_shard < 0)
        my_shard =
            (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % LIVE_SHARDS);
    atomic_fetch_add_explicit(&live[my_shard].n, delta, memory_order_relaxed);
}

void *mem_alloc(size_t n)
{
    void *p;

    if (mem_fail_now()) {
        failures++;
        return NULL;
    }
    p = (malloc)(n ? n : 1);
    if (p != NULL)
        mem_track(1);
    else
        failures++;
    return p;
}

void *mem_calloc(size_t count, size_t size)
{
    void *p;

    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    if (mem_fail_now()) {
        failures++;
        return NULL;
    }
    p = (calloc)(count ? count : 1, size ? size : 1);
    if (p != NULL)
        mem_track(1);
    else
        failures++;
    return p;
}

void *mem_grow(void *p, size_t *cap, size_t n, size_t size, size_t first)
{
    size_t want;
    void *q;

    if (n < *cap && p != NULL)
        return p;
    want = *cap ? *cap * 2 : (first ? first : 1);
    if (want < *cap || size == 0 || want > SIZE_MAX / size ||
        (q = mem_realloc(p, want * size)) == NULL)
        return NULL;
    *cap = want;
    return q;
}

void *mem_realloc(void *p, size_t n)
{
    void *q;

    if (p == NULL)
        return mem_alloc(n);
    if (mem_fail_now()) {
        failures++;
        return NULL;
    }
    /* never a realloc() that could leave the old contents in a freed block: a new block, the
     * old one copied, wiped and freed */
    {
        size_t old = malloc_usable_size(p), want = n ? n : 1;
        if ((q = (malloc)(want)) == NULL) {
            failures++;
            return NULL;
        }
        memcpy(q, p, old < want ? old : want);
        explicit_bzero(p, old);
        (free)(p);
    }
    return q;
}

char *mem_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *c = mem_alloc(len + 1);

    if (c == NULL)
        return NULL;
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, SIZE_MAX);
}

void mem_free(void *p)
{
    if (p == NULL)
        return;
    mem_track(-1);
    explicit_bzero(p, malloc_usable_size(p));
    (free)(p);
}

/*
 * SQLite's allocator needs the size of a block: keep it in a 16-byte header. SQLite's blocks
 * take part in fault injection but not in mem_live(): its page cache legitimately outlives a
 * request.
 */
#define SQL_HEAD 16

static void *sql_malloc(int n)
{
    uint8_t *b;

    if (n <= 0 || mem_fail_now())
        return NULL;
    if ((b = (malloc)((size_t)n + SQL_HEAD)) == NULL)
        return NULL;
    memcpy(b, &n, sizeof(n));
    return b + SQL_HEAD;
}

static void sql_free(void *p)
{
    if (p != NULL)
        (free)((uint8_t *)p - SQL_HEAD);
}

static int sql_size(void *p)
{
    int n = 0;

    if (p != NULL)
        memcpy(&n, (uint8_t *)p - SQL_HEAD, sizeof(n));
    return n;
}

static void *sql_realloc(void *p, int n)
{
    uint8_t *b;

    if (n <= 0 || mem_fail_now())
        return NULL;
    if ((b = (realloc)((uint8_t *)p - SQL_HEAD, (size_t)n + SQL_HEAD)) == NULL)
        return NULL;
    memcpy(b, &n, sizeof(n));
    return b + SQL_HEAD;
}

static int sql_roundup(int n)
{
    return (n + 7) & ~7;
}

static int sql_init(void *unused)
{
    return SQLITE_OK;
}

static void sql_shutdown(void *unused)
{
}

static void *json_alloc(size_t n)
{
    return mem_alloc(n);
}

void mem_install(void)
{
    static const sqlite3_mem_methods methods = {
        sql_malloc, sql_free, sql_realloc, sql_size, sql_roundup, sql_init, sql_shutdown, NULL,
    };

    json_set_alloc_funcs(json_alloc, mem_free);
    sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
    /* no memory statistics: SQLite would take one process-wide mutex around every allocation
     * of every connection to keep them (the workers queued on it) */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void mem_fault_at(long n)
{
    if (n <= 0) {
        atomic_store(&armed, 0);
        return;
    }
    atomic_store(&attempts, 0);
    atomic_store(&fired, false);
    atomic_store(&armed, n);
}

void mem_fault_hook(void (*fn)(void))
{
    on_fault = fn;
}

bool mem_fault_fired(void)
{
    return atomic_load(&fired);
}

long mem_attempts(void)
{
    return atomic_load(&attempts);
}

long mem_live(void)
{
    long n = 0;

    for (int i = 0; i < LIVE_SHARDS; i++)
        n += atomic_load(&live[i].n);
    return n;
}
