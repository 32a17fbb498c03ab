#include "http/framing.h"

#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 255

bool framing_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";

    if (s == NULL || *s == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z') || (*p != '\0' && strchr(extra, *p) != NULL);
        if (!ok)
            return false;
    }
    return true;
}

/* A field value: visible characters, obs-text, spaces and tabs only (RFC 9110 5.5). */
static bool value_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* 1*DIGIT, at most 18 of them (no sign, no space, no list). */
static bool digits(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* uri-host [ ":" port ] (RFC 9110 7.2): a reg-name or IPv4 address of unreserved characters,
 * percent escapes and sub-delims, or a bracketed IP literal; the port is digits. */
bool framing_host_ok(const char *s)
{
    static const char reg[] = "-._~!$&'()*+,;=%";
    const char *colon;
    size_t n = strlen(s);

    if (n == 0 || n > HOST_MAX)
        return false;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (end == NULL || end == s + 1)
            return false;
        for (const char *p = s + 1; p < end; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
                  (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return false;
        colon = end[1] == '\0' ? NULL : end + 1;
        if (colon != NULL && *colon != ':')
            return false;
    } else {
        colon = strchr(s, ':');
        for (const char *p = s; *p && p != colon; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z') || strchr(reg, *p) != NULL))
                return false;
        if (colon == s)
            return false;
    }
    if (colon != NULL) {
        const char *port = colon + 1;
        if (*port == '\0' || strlen(port) > 5)
            return false;
        for (const char *p = port; *p; p++)
            if (*p < '0' || *p > '9')
                return false;
    }
    return true;
}

int framing_check(const struct framing_req *r, char *why, size_t whylen)
{
    const char *cl = NULL, *te = NULL;
    int ncl = 0, nte = 0, nhost = 0, ncookie = 0;

    if (r->major != 1 || (r->minor != 0 && r->minor != 1)) {
        err_set(why, whylen, "only HTTP/1.0 and HTTP/1.1 are spoken here");
        return 505;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        const struct framing_field *f = &r->fields[i];
        if (!framing_token(f->name)) {
            err_set(why, whylen, "a header field name is not a token");
            return 400;
        }
        if (f->value == NULL || !value_ok(f->value)) {
            err_set(why, whylen, "the value of %.64s holds a control character", f->name);
            return 400;
        }
        if (strcasecmp(f->name, "Content-Length") == 0) {
            ncl++;
            cl = f->value;
        } else if (strcasecmp(f->name, "Transfer-Encoding") == 0) {
            nte++;
            te = f->value;
        } else if (strcasecmp(f->name, "Host") == 0) {
            nhost++;
            if (!framing_host_ok(f->value)) {
                err_set(why, whylen, "Host is not a host name or address with an optional port");
                return 400;
            }
        } else if (strcasecmp(f->name, "Cookie") == 0) {
            ncookie++;
        }
    }
    if (ncl > 1 || (ncl == 1 && !digits(cl))) {
        err_set(why, whylen, "Content-Length must appear once, as digits only");
        return 400;
    }
    if (nte > 1) {
        err_set(why, whylen, "Transfer-Encoding must appear once");
        return 400;
    }
    if (nte == 1 && strcasecmp(te, "chunked") != 0) {
        err_set(why, whylen, "the only transfer coding understood is chunked");
        return 501;
    }
    if (nte == 1 && r->minor == 0) {
        err_set(why, whylen, "Transfer-Encoding in an HTTP/1.0 request");
        return 400;
    }
    if (nte == 1 && ncl == 1) {
        err_set(why, whylen, "Transfer-Encoding and Content-Length together");
        return 400;
    }
    if (!r->body_read && (nte == 1 || (ncl == 1 && strspn(cl, "0") != strlen(cl)))) {
        err_set(why, whylen, "this method takes no body");
        return 400;
    }
    if (nhost > 1 || (nhost == 0 && r->minor == 1)) {
        err_set(why, whylen, "an HTTP/1.1 request needs exactly one Host field");
        return 400;
    }
    if (ncookie > 1) {
        err_set(why, whylen, "more than one Cookie field");
        return 400;
    }
    return 0;
}
