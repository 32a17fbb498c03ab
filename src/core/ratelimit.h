/*
 * ratelimit.h - the failed-login throttle policy (pure).
 *
 * After @max failures for one key (a username, or an address) within @window seconds, further
 * attempts are refused until the oldest counted failure leaves the window.
 */
#ifndef DISSENT_CORE_RATELIMIT_H
#define DISSENT_CORE_RATELIMIT_H

#include <stdint.h>

/**
 * ratelimit_retry_after() - seconds the caller must wait (>= 1), or 0 when an attempt is allowed.
 * @count: failures inside the window; @oldest: time of the oldest of them (unix seconds).
 */
int64_t ratelimit_retry_after(int count, int64_t oldest, int max, int window, int64_t now);

#endif
