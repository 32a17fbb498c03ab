/*
 * route.h - matching request paths against route patterns such as "/api/v1/users/{username}".
 *
 * A "{name}" segment matches one non-empty path segment (no '/'); a final "{*name}" matches the
 * non-empty rest of the path, slashes included; everything else must match byte for byte. Pure
 * functions, thread safe.
 */
#ifndef DISSENT_HTTP_ROUTE_H
#define DISSENT_HTTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTE_MAX_PARAMS 4
#define ROUTE_PARAM_MAX 256 /* longest captured segment, bytes */

/* Captured path parameters, in pattern order. */
struct route_params {
    int count;                                      /* number captured */
    const char *names[ROUTE_MAX_PARAMS];            /* point into the pattern (not terminated) */
    size_t name_lens[ROUTE_MAX_PARAMS];             /* lengths of names[] */
    char values[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX]; /* NUL-terminated copies of the segments */
};

/**
 * http_route_match() - true when @path matches @pattern; captures go to @params (may be NULL).
 * A segment longer than ROUTE_PARAM_MAX - 1 bytes never matches.
 */
bool http_route_match(const char *pattern, const char *path, struct route_params *params);

/** http_route_param() - the value captured for "{@name}", or NULL. */
const char *http_route_param(const struct route_params *params, const char *name);

/**
 * http_query_get() - the percent-decoded value of @key in the query string @query (may be NULL).
 * Returns 0, ERR_NOT_FOUND, ERR_TOO_LARGE (does not fit @outlen) or ERR_INVALID (bad escape or
 * a decoded NUL).
 */
int http_query_get(const char *query, const char *key, char *out, size_t outlen);

#define HTTP_QUERY_KEY_MAX                                                                         \
    33 /* bytes of a key named in http_query_check()'s answer, NUL included */

/**
 * http_query_check() - every key of @query is one of @allowed (space-separated names), none
 * appears twice, and every value is well %-encoded without a NUL (empty pairs are skipped); what
 * a value means, and its length, are the reader's to check (http_query_get()).
 * Returns 0, or ERR_INVALID with the offending key in @key (as sent when it is a short name of
 * letters, digits, '_', '-' and '.'; else "query").
 */
int http_query_check(const char *query, const char *allowed, char *key, size_t keylen);

#endif
