/*
 * fuzz_route.c - request routing: the path of a request line against every pattern of the real
 * route table (api_routes()), its captured parameters, the query string parser with the keys
 * the handlers read, and the Cookie header parser.
 *
 * Input: the raw request target; the part before the first '?' is the path, the rest the query.
 * The whole input is also read as a Cookie header.
 */
#include "fuzz.h"

#include "api/api.h"
#include "http/cookie.h"
#include "http/route.h"

#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static void query(const char *q)
{
    static const char *const keys[] = {"after", "limit", "q", "role", "state", ""};
    char small[8], big[512];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (http_query_get(q, keys[i], big, sizeof(big)) == 0 && strlen(big) >= sizeof(big))
            abort();
        if (http_query_get(q, keys[i], small, sizeof(small)) == 0 && strlen(small) >= sizeof(small))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"id", "username", "path", "nope"};
    char *target = fuzz_cstr(data, size), *q = strchr(target, '?');
    char token[SESSION_TOKEN_LEN + 1], tiny[4];
    const struct api_route *r;
    size_t n;

    if (q != NULL)
        *q++ = '\0';
    r = api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        struct route_params p;
        if (!http_route_match(r[i].pattern, target, &p))
            continue;
        if (p.count < 0 || p.count > ROUTE_MAX_PARAMS)
            abort();
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            const char *v = http_route_param(&p, names[k]);
            bool rest = strchr(r[i].pattern, '*') != NULL;
            /* a capture is one non-empty segment (or the rest of the path for "{*name}") */
            if (v != NULL && (v[0] == '\0' || strlen(v) >= ROUTE_PARAM_MAX))
                abort();
            if (v != NULL && !rest && strchr(v, '/') != NULL)
                abort();
        }
    }
    query(q);
    query(target);
    http_cookie_get(target, HTTP_SESSION_COOKIE, token, sizeof(token));
    http_cookie_get(target, "a", tiny, sizeof(tiny));
    free(target);
    return 0;
}
