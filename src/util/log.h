/*
 * log.h - structured log lines (one JSON object per line) on stderr, or in a file.
 *
 * Nothing passed here may contain a password, a token or memo content: the request line carries
 * only the method, the route *pattern* (never the concrete path), the status and the duration.
 * All functions are thread safe (each line is written whole with one write(2)).
 */
#ifndef DISSENT_UTIL_LOG_H
#define DISSENT_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

#include <stddef.h>

/** log_set_level() - drop lines below @level (default LOG_INFO); any thread, any time. */
void log_set_level(enum log_level level);

/**
 * log_open_file() - from now on append the lines to the file at @path (created 0600) instead of
 * whatever standard error was: the file is opened and put in standard error's place (dup2), so
 * whatever else writes there follows. Called again (SIGHUP) it opens the file anew, which is
 * what logrotate expects after moving it. 0, or -1 with the reason in @err (nothing changed).
 */
int log_open_file(const char *path, char *err, size_t errlen);

/** log_msg() - one line {"ts","level","msg"}; @fmt's expansion is JSON-escaped. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/**
 * log_request() - the one line per HTTP request.
 * @method: "GET", "POST", ...
 * @route: the matched route pattern ("/api/v1/users/{username}"), or "-" when none matched.
 * @status: HTTP status sent.
 * @micros: time from the request's arrival to the reply, in microseconds.
 */
void log_request(const char *method, const char *route, int status, int64_t micros);

/**
 * log_batch() - from now on (@on), this thread's request lines are kept (up to 4 KiB, PIPE_BUF) and
 * written together by log_flush(), or before any other line of this thread: an event loop
 * turns each request's write(2) into one per turn of the loop. Off writes what is kept.
 */
void log_batch(bool on);

/** log_flush() - write this thread's kept request lines now (log_batch()). */
void log_flush(void);

#endif
