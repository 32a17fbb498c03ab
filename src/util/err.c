#include "util/err.h"

#include "util/msg.h"

#include <stdarg.h>
#include <stdio.h>

const char *err_str(int rc)
{
    switch (rc) {
    case ERR_OK:
        return "ok";
    case ERR_NOMEM:
        return "out_of_memory";
    case ERR_INVALID:
        return "invalid";
    case ERR_NOT_FOUND:
        return "not_found";
    case ERR_EXISTS:
        return "exists";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_FORBIDDEN:
        return "forbidden";
    case ERR_UNAUTH:
        return "unauthorized";
    case ERR_IO:
        return "io_error";
    case ERR_DB:
        return "database_error";
    case ERR_CRYPTO:
        return "crypto_error";
    case ERR_TOO_LARGE:
        return "too_large";
    case ERR_STATE:
        return "wrong_state";
    case ERR_RATE:
        return "rate_limited";
    case ERR_BUSY:
        return "busy";
    case ERR_NO_KEYS:
        return "not_enrolled";
    case ERR_HELD:
        return "confirmation_required";
    case ERR_INTEGRITY:
        return "integrity";
    case ERR_PASSED:
        return "deadline_passed";
    default:
        return "internal";
    }
}

void err_set(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (buf == NULL || len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, len, tr(fmt), ap);
    va_end(ap);
}
