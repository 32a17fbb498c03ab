/*
 * err.h - the one project-wide error enum.
 *
 * Every function that can fail returns int: 0 on success or one of these negative codes.
 * Only api/ maps them to HTTP statuses (api/helpers.c holds that table).
 */
#ifndef DISSENT_UTIL_ERR_H
#define DISSENT_UTIL_ERR_H

#include <stddef.h>

enum err {
    ERR_OK = 0,
    ERR_NOMEM = -1,      /* allocation failed */
    ERR_INVALID = -2,    /* bad input (a field, a flag, a file) */
    ERR_NOT_FOUND = -3,  /* no such object, or not visible to the caller */
    ERR_EXISTS = -4,     /* unique key already taken */
    ERR_CONFLICT = -5,   /* optimistic concurrency: version mismatch */
    ERR_FORBIDDEN = -6,  /* authenticated but not allowed */
    ERR_UNAUTH = -7,     /* no valid session or bad credentials */
    ERR_IO = -8,         /* file or socket I/O */
    ERR_DB = -9,         /* the database failed */
    ERR_CRYPTO = -10,    /* a cryptographic operation failed */
    ERR_TOO_LARGE = -11, /* input over its size limit */
    ERR_STATE = -12,     /* illegal state transition */
    ERR_RATE = -13,      /* rate limited */
    ERR_BUSY = -14,      /* resource busy, try again */
    ERR_INTERNAL = -15,  /* a bug or an impossible condition */
    ERR_NO_KEYS = -16,   /* the account has not enrolled (core/enrol.h): nothing is sealed to it */
    ERR_HELD = -17, /* re-enrolled after a reset, not yet confirmed by officers (core/reset.h) */
    ERR_INTEGRITY = -18, /* the database returned a row that fails its integrity check (a MAC,
                            a pinned key, a binding): it was altered outside the server */
    ERR_PASSED = -19,    /* too late: the deadline the request concerns has passed */
};

/**
 * err_str() - a short stable name for an error code ("not_found", ...).
 * @rc: 0 or an enum err value.
 *
 * Returns a static string; unknown codes give "internal". Thread safe.
 */
const char *err_str(int rc);

/**
 * err_set() - write a formatted human message into an optional error buffer.
 * @buf: destination, may be NULL (then nothing is written).
 * @len: size of @buf in bytes.
 * @fmt: printf format.
 *
 * Messages never contain secrets or memo content; callers keep that rule. @fmt is written in
 * the language of the thread's request (util/msg.h): English outside one.
 */
void err_set(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
