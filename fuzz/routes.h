/*
 * routes.h - which routes of the API table fuzz_json_body drives (shared with gen_seeds.c,
 * whose seeds name a route by its position in this list): every route that takes a JSON body,
 * and the GET routes that read a query string.
 */
#ifndef DISSENT_FUZZ_ROUTES_H
#define DISSENT_FUZZ_ROUTES_H

#include "api/api.h"

#include <stdbool.h>
#include <string.h>

/* Indices into api_routes() of the fuzzed routes, into @out (room for @max); returns the count. */
static inline size_t fuzz_api_routes(size_t *out, size_t max)
{
    static const char *const query_routes[] = {"/api/v1/users", "/api/v1/users/search",
                                               "/api/v1/memos", "/api/v1/memos/{id}/audit"};
    const struct api_route *r;
    size_t n, count = 0;

    r = api_routes(&n);
    for (size_t i = 0; i < n && count < max; i++) {
        bool q = false;
        for (size_t k = 0; k < sizeof(query_routes) / sizeof(query_routes[0]); k++)
            q |= r[i].methods == API_GET && strcmp(r[i].pattern, query_routes[k]) == 0;
        if (q || (r[i].flags & (API_R_JSON | API_R_JSON_OPT)))
            out[count++] = i;
    }
    return count;
}

#endif
