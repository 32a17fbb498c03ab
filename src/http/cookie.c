#include "http/cookie.h"

#include "util/err.h"

#include <stdio.h>
#include <string.h>

int http_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = header;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        const char *end;
        size_t vlen;
        while (*p == ' ' || *p == '\t')
            p++;
        end = strchr(p, ';');
        if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            const char *v = p + nlen + 1;
            vlen = end ? (size_t)(end - v) : strlen(v);
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= outlen)
                return ERR_TOO_LARGE;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end ? end + 1 : NULL;
    }
    return ERR_NOT_FOUND;
}

const char *http_session_cookie_name(bool secure)
{
    return secure ? HTTP_SESSION_COOKIE_TLS : HTTP_SESSION_COOKIE;
}

void http_cookie_session(char *out, size_t outlen, const char *token, int max_age, bool secure)
{
    snprintf(out, outlen, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             http_session_cookie_name(secure), token ? token : "", token ? max_age : 0,
             secure ? "; Secure" : "");
}

const char *http_sso_cookie_name(bool secure)
{
    return secure ? HTTP_SSO_COOKIE_TLS : HTTP_SSO_COOKIE;
}

void http_cookie_sso(char *out, size_t outlen, const char *value, int max_age, bool secure)
{
    snprintf(out, outlen, "%s=%s; Path=/api/v1/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             http_sso_cookie_name(secure), value ? value : "", value ? max_age : 0,
             secure ? "; Secure" : "");
}
