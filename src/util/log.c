#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    min_level = level;
}

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
        return "info";
    case LOG_WARN:
        return "warn";
    default:
        return "error";
    }
}

/* UTC timestamp with milliseconds, ISO 8601. */
static void timestamp(char *out, size_t len)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/* Copy @in into @out as the inside of a JSON string, truncating at @len. */
static void json_escape(char *out, size_t len, const char *in)
{
    size_t o = 0;

    for (; *in && o + 7 < len; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char raw[1024], esc[2048], ts[64];
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    json_escape(esc, sizeof(esc), raw);
    timestamp(ts, sizeof(ts));
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts, level_name(level),
            esc);
}

void log_request(const char *method, const char *route, int status, int64_t micros)
{
    char ts[64], r[512];

    if (LOG_INFO < min_level)
        return;
    timestamp(ts, sizeof(ts));
    json_escape(r, sizeof(r), route);
    fprintf(stderr,
            "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"method\":\"%s\","
            "\"route\":\"%s\",\"status\":%d,\"us\":%lld}\n",
            ts, method, r, status, (long long)micros);
}
