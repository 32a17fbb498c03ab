/*
 * mem.h - the one allocation wrapper.
 *
 * Every heap allocation of our own code goes through these functions (banned.h makes the libc
 * calls compile errors inside src/), and mem_install() routes jansson's and SQLite's allocators
 * and keys_secure_alloc() through the same counter. That gives tests two handles:
 *
 *  - fault injection: mem_fault_at(n) makes the n-th allocation from now fail (once), so a test
 *    can walk n = 1, 2, ... over a request and check that every failure gives a clean error;
 *  - leak counting: mem_live() is the number of blocks handed out by mem_*() (and secure
 *    blocks) and not yet freed.
 *
 * Both are process-wide and thread safe; when no fault is armed the cost is one relaxed atomic
 * load per allocation plus the live counter.
 *
 * Memory that other libraries allocate with their own malloc (cmark's output, libpq's
 * PQunescapeBytea, ...) is still freed with their free function or plain free(), never with
 * mem_free(): mem_free() is only for what mem_*() (or jansson, after mem_install()) returned.
 *
 * The one ownership wording of every header in src/: "malloc'd" (or "the caller frees") means
 * allocated by mem_alloc() and friends, released with mem_free() (which wipes it); memory that
 * must be released otherwise names its function ("sodium_malloc'd": keys_secure_free(); a
 * list: its *_list_free()).
 */
#ifndef DISSENT_UTIL_MEM_H
#define DISSENT_UTIL_MEM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/** mem_alloc() - like malloc(), but never asks for 0 bytes; NULL on failure. */
void *mem_alloc(size_t n);

/** mem_calloc() - like calloc() (overflow checked, never 0 bytes); NULL on failure. */
void *mem_calloc(size_t count, size_t size);

/**
 * mem_realloc() - like realloc(); on failure returns NULL and leaves @p as it was. A NULL @p
 * allocates.
 */
void *mem_realloc(void *p, size_t n);

/**
 * mem_grow() - room for one more element in the array @p of *@cap elements of @size bytes, @n
 * of them used: @p itself while there is room, else a block twice as large (@first elements the
 * first time) holding the same elements, *@cap updated. NULL when out of memory (or the size
 * overflows): @p and *@cap as they were.
 */
void *mem_grow(void *p, size_t *cap, size_t n, size_t size, size_t first);

/** mem_strdup() - a copy of @s; NULL on failure. */
char *mem_strdup(const char *s);

/** mem_strndup() - a copy of at most @n bytes of @s, NUL-terminated; NULL on failure. */
char *mem_strndup(const char *s, size_t n);

/** mem_free() - free what mem_*() returned; NULL is a no-op. */
void mem_free(void *p);

/**
 * mem_install() - make jansson and SQLite allocate through the wrapper. Call once at process
 * start, before either library is used (main() and test harnesses do).
 */
void mem_install(void);

/**
 * mem_fail_now() - count one allocation attempt; true when it is the one armed to fail. For
 * allocators outside this file (keys_secure_alloc()).
 */
bool mem_fail_now(void);

/**
 * mem_failures() - how many mem_*() allocations (jansson's included) this thread has been
 * refused so far, real or injected; SQLite's and secure blocks are not counted (SQLite
 * reports its own, or recovers). For callers of libraries that report an allocation failure as
 * something else (jansson calls it a syntax error): compare before and after.
 */
unsigned long mem_failures(void);

/**
 * mem_json_loadb() - json_loadb() that tells a refused allocation from bad input: jansson
 * reports most of its allocation failures as syntax errors. Returns the value (a new
 * reference), or NULL with *@nomem true when an allocation was refused (then @err says nothing
 * useful) and false when the text is bad (@err says why).
 */
json_t *mem_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err, bool *nomem);

/** mem_track() - add @delta to the live-block count (secure blocks allocated elsewhere). */
void mem_track(long delta);

/* Test hooks. */

/**
 * mem_fault_at() - arm the @n-th allocation attempt from now to fail (n >= 1), once, resetting
 * the attempt counter and mem_fault_fired(); 0 disarms and keeps both for inspection.
 */
void mem_fault_at(long n);

/** mem_fault_hook() - call @fn (or nothing, for NULL) at the moment the armed failure fires. */
void mem_fault_hook(void (*fn)(void));

/** mem_fault_fired() - true once the armed failure has happened. */
bool mem_fault_fired(void);

/** mem_attempts() - allocation attempts counted while armed since the last arming. */
long mem_attempts(void);

/** mem_live() - blocks allocated through the wrapper and not yet freed. */
long mem_live(void);

#endif
