#include "http/route.h"

#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool http_route_match(const char *pattern, const char *path, struct route_params *params)
{
    const char *p = pattern, *s = path;
    struct route_params local;

    if (params == NULL)
        params = &local;
    params->count = 0;
    while (*p != '\0') {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            /* "{*name}" takes the rest of the path, slashes included */
            size_t n = p[1] == '*' ? strlen(s) : strcspn(s, "/");
            if (close == NULL || n == 0 || n >= ROUTE_PARAM_MAX ||
                params->count == ROUTE_MAX_PARAMS)
                return false;
            params->names[params->count] = p + 1 + (p[1] == '*');
            params->name_lens[params->count] = (size_t)(close - p - 1 - (p[1] == '*'));
            memcpy(params->values[params->count], s, n);
            params->values[params->count][n] = '\0';
            params->count++;
            p = close + 1;
            s += n;
        } else {
            if (*p != *s)
                return false;
            p++;
            s++;
        }
    }
    return *s == '\0';
}

const char *http_route_param(const struct route_params *params, const char *name)
{
    size_t n = strlen(name);

    for (int i = 0; i < params->count; i++)
        if (params->name_lens[i] == n && memcmp(params->names[i], name, n) == 0)
            return params->values[i];
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_query_get(const char *query, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    const char *p = query;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        const char *end = amp ? amp : p + strlen(p);
        if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t o = 0;
            for (const char *c = p + klen + 1; c < end; c++) {
                int ch = (unsigned char)*c;
                if (ch == '+') {
                    ch = ' ';
                } else if (ch == '%') {
                    int hi, lo;
                    if (end - c < 3)
                        return ERR_INVALID;
                    hi = hexval(c[1]);
                    lo = hexval(c[2]);
                    if (hi < 0 || lo < 0)
                        return ERR_INVALID;
                    ch = hi * 16 + lo;
                    c += 2;
                }
                if (ch == 0)
                    return ERR_INVALID;
                if (o + 1 >= outlen)
                    return ERR_TOO_LARGE;
                out[o++] = (char)ch;
            }
            out[o] = '\0';
            return 0;
        }
        if ((size_t)(end - p) == klen && strncmp(p, key, klen) == 0)
            return 0; /* "key" with no '=' is an empty value */
        p = amp ? amp + 1 : NULL;
    }
    return ERR_NOT_FOUND;
}

/* Whether the @n bytes at @k are one of the space-separated names of @list. */
static bool listed_key(const char *list, const char *k, size_t n)
{
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, k, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

/* Whether the value from @s ("=..." or empty) to @end is well %-encoded, without a NUL. */
static bool value_ok(const char *s, const char *end)
{
    for (; s < end; s++) {
        if (*s != '%')
            continue;
        if (end - s < 3 || hexval(s[1]) < 0 || hexval(s[2]) < 0 ||
            hexval(s[1]) * 16 + hexval(s[2]) == 0)
            return false;
        s += 2;
    }
    return true;
}

int http_query_check(const char *query, const char *allowed, char *key, size_t keylen)
{
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        size_t n = strcspn(p, "=&");
        bool twice = false;

        if (n > (size_t)(end - p))
            n = (size_t)(end - p);
        if (end > p) {
            /* an earlier pair with the same key */
            for (const char *q = query; q < p;) {
                const char *qa = strchr(q, '&');
                size_t m = strcspn(q, "=&");
                if (m == n && strncmp(q, p, n) == 0)
                    twice = true;
                q = qa ? qa + 1 : p;
            }
            if (twice || !listed_key(allowed, p, n) || !value_ok(p + n, end)) {
                size_t ok = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789_-.");
                if (n > 0 && ok >= n && n < keylen)
                    snprintf(key, keylen, "%.*s", (int)n, p);
                else
                    snprintf(key, keylen, "query");
                return ERR_INVALID;
            }
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}
