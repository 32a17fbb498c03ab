/*
 * framing.h - the RFC 9112 framing rules a request must meet before any handler runs.
 *
 * http/h1.h reads the bytes and calls this on the head it read, before the body; a refusal is
 * answered with Connection: close, so that nothing after the refused request on that connection
 * is read. Refused is whatever leaves the request's framing in doubt, where a front proxy and this
 * server could disagree on where a request ends (request smuggling, RFC 9112 section 11.2):
 *
 *   - a version other than HTTP/1.0 and HTTP/1.1 (505);
 *   - a field name that is not a token (whitespace before the colon included), a value with a
 *     control character other than tab (400);
 *   - more than one Content-Length, or one that is not 1*DIGIT (400);
 *   - Transfer-Encoding other than exactly one "chunked" (501), or beside Content-Length, or in
 *     an HTTP/1.0 request (400, RFC 9112 6.1);
 *   - a body on HEAD (a proxy, or a client, that reads none would take its bytes for the next
 *     request, CL.0): any Transfer-Encoding, or a Content-Length above 0 (400); other methods
 *     read theirs, and the API refuses one where the route takes none;
 *   - a missing (HTTP/1.1), repeated or malformed Host (400);
 *   - more than one Cookie field (400: which one names the session would be a guess).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef DISSENT_HTTP_FRAMING_H
#define DISSENT_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

/* One header field as parsed. */
struct framing_field {
    const char *name;
    const char *value;
};

/* What framing_check() looks at. */
struct framing_req {
    int major, minor;                   /* the HTTP version */
    bool body_read;                     /* the method may have a body (all but HEAD) */
    const struct framing_field *fields; /* in arrival order */
    size_t nfields;
};

/**
 * framing_check() - 0 when @r may be handled; else the status to answer (400, 501 or 505), with
 * the reason in @why (one sentence, no request bytes in it beyond a field's name).
 */
int framing_check(const struct framing_req *r, char *why, size_t whylen);

/** framing_token() - @s is a non-empty RFC 9110 token (a field name). */
bool framing_token(const char *s);

/** framing_host_ok() - @s is a host name, IPv4 or [IPv6] literal, with an optional :port. */
bool framing_host_ok(const char *s);

#endif
