#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>
#include <time.h>

static _Atomic int min_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, (int)level);
}

int log_open_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    fflush(stderr);
    /* one atomic step: a line written meanwhile goes to the old file or the new one, whole */
    if (fd != STDERR_FILENO && dup2(fd, STDERR_FILENO) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (fd != STDERR_FILENO)
        close(fd);
    return 0;
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

/* Write @len bytes to standard error whole (a short write is resumed). */
static void write_all(const char *buf, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t w = write(STDERR_FILENO, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

/*
 * The request lines of a thread that batches them (log_batch()): kept here and written together
 * by log_flush(), which its event loop calls each time it has run what was ready, so a line is
 * out before the loop waits again. Written whole lines only, and before any other line of the
 * same thread, so the order of one thread's lines is kept.
 */
#define BATCH_MAX 4096 /* PIPE_BUF: one write(2) to a pipe (a container's log) stays whole */
static _Thread_local bool batching;
static _Thread_local size_t batch_len;
static _Thread_local char batch[BATCH_MAX];

void log_batch(bool on)
{
    log_flush();
    batching = on;
}

void log_flush(void)
{
    if (batch_len > 0)
        write_all(batch, batch_len);
    batch_len = 0;
}

/*
 * One whole line to standard error in one write(2): no stdio lock for the workers to queue on
 * (stderr's FILE is locked around every fprintf), and a line is never interleaved with another
 * thread's. @n is what snprintf() said: a line cut short still ends with its newline.
 */
static void line_out(char *buf, size_t cap, int n)
{
    size_t len;

    if (n < 0)
        return;
    len = (size_t)n < cap ? (size_t)n : cap - 1;
    if ((size_t)n >= cap)
        buf[len - 1] = '\n';
    log_flush(); /* this thread's batched lines first */
    write_all(buf, len);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char raw[1024], esc[2048], ts[64], buf[2200];
    va_list ap;

    if ((int)level < atomic_load(&min_level))
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    json_escape(esc, sizeof(esc), raw);
    timestamp(ts, sizeof(ts));
    line_out(buf, sizeof(buf),
             snprintf(buf, sizeof(buf), "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts,
                      level_name(level), esc));
}

void log_request(const char *method, const char *route, int status, int64_t micros)
{
    char ts[64], r[512], buf[800];
    int n;

    if (LOG_INFO < atomic_load(&min_level))
        return;
    timestamp(ts, sizeof(ts));
    json_escape(r, sizeof(r), route);
    n = snprintf(buf, sizeof(buf),
                 "{\"ts\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"method\":"
                 "\"%s\",\"route\":\"%s\",\"status\":%d,\"us\":%lld}\n",
                 ts, method, r, status, (long long)micros);
    if (!batching || n < 0 || (size_t)n >= sizeof(buf)) {
        line_out(buf, sizeof(buf), n);
        return;
    }
    if (batch_len + (size_t)n > sizeof(batch))
        log_flush();
    memcpy(batch + batch_len, buf, (size_t)n);
    batch_len += (size_t)n;
}
