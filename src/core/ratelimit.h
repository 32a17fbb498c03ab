/*
 * ratelimit.h - the failed-attempt throttle policy (pure).
 *
 * A key (a username, or an address) has @free attempts that fail without delay within the
 * window; after that, each further attempt waits after the newest failure, 30 seconds at first
 * and twice as long after each failure, at most @window seconds. So guessing slows to a crawl,
 * and the right password still gets in once the wait is over: a throttle that locked the account
 * for the whole window would let anyone lock anyone out.
 */
#ifndef DISSENT_CORE_RATELIMIT_H
#define DISSENT_CORE_RATELIMIT_H

#include <stdint.h>

#define RATELIMIT_FIRST_DELAY 30 /* seconds, after the free attempts */

/**
 * ratelimit_retry_after() - seconds the caller must wait (>= 1), or 0 when an attempt is allowed.
 * @count: failures inside the window; @newest: time of the newest of them (unix seconds).
 */
int64_t ratelimit_retry_after(int count, int64_t newest, int free, int window, int64_t now);

#endif
