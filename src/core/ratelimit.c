#include "core/ratelimit.h"

int64_t ratelimit_retry_after(int count, int64_t newest, int free, int window, int64_t now)
{
    int64_t delay = RATELIMIT_FIRST_DELAY, wait;

    if (count < free)
        return 0;
    for (int k = free; k < count && delay < window; k++)
        delay *= 2;
    if (delay > window)
        delay = window;
    wait = newest + delay - now;
    return wait > 0 ? wait : 0;
}
