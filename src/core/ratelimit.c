#include "core/ratelimit.h"

int64_t ratelimit_retry_after(int count, int64_t oldest, int max, int window, int64_t now)
{
    int64_t wait;

    if (count < max)
        return 0;
    wait = oldest + window - now;
    return wait < 1 ? 1 : wait;
}
