/*
 * h1.h - reading HTTP/1.1 requests out of a connection's byte stream, strictly (RFC 9112).
 *
 * The bytes go through Node.js's http-parser (Debian's libhttp-parser, a parser built for exactly
 * this and fuzzed for a decade), and around it through the rules where that parser, as Debian
 * builds it, is lenient, so that nothing whose framing a front proxy could read differently is
 * ever handled (request smuggling, RFC 9112 section 11.2):
 *
 *   - every line of the head and of a chunked body ends in CRLF (no bare LF, no CR alone), no
 *     line is folded (obs-fold), and the request line is method, target and "HTTP/" version
 *     separated by single spaces;
 *   - chunk sizes are hex digits only (an extension after ";" is accepted and ignored), chunk
 *     data is followed by exactly CRLF, and the trailer section is empty;
 *   - field names are tokens, values hold no control character but tab (NUL included);
 *   - then http/framing.h: the version, Content-Length and Transfer-Encoding, Host, Cookie, and
 *     no body on HEAD or TRACE;
 *   - limits: the head (request line and fields) within max_head bytes (431), the target within
 *     H1_TARGET_MAX (414), at most H1_FIELDS_MAX fields, the body within max_body (413, refused
 *     from its declared length before any of it is read).
 *
 * Every byte fed is attributed either to exactly one request (the bytes h1_feed() reports used up
 * to and including the one that completed it) or to a refusal, after which nothing more is read:
 * the caller answers the refusal with Connection: close and closes.
 *
 * No I/O; memory from util/mem.h (wiped when freed: bodies hold memo text).
 */
#ifndef DISSENT_HTTP_H1_H
#define DISSENT_HTTP_H1_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#define H1_TARGET_MAX 8192 /* bytes of a request target (414 beyond) */
#define H1_FIELDS_MAX 256  /* header fields of a request */

/* What h1_feed() found. */
enum h1_event {
    H1_MORE,    /* all bytes taken; the request is not complete yet */
    H1_HEAD,    /* the head is complete and checked, its body not yet (h1_continue()) */
    H1_REQUEST, /* a request is complete: read it, answer it, then h1_next() */
    H1_REFUSED, /* the stream is refused here: answer h1_status() and close */
};

/* The methods this server speaks; any other is refused with 501. */
enum h1_method { H1_GET, H1_HEAD_M, H1_POST, H1_PUT, H1_PATCH, H1_DELETE, H1_OPTIONS };

/* One request being read. Fields are private but for the accessors below. */
struct h1 {
    http_parser p;
    size_t max_head, max_body; /* limits */

    /* the request */
    char *arena; /* target, then name\0value\0 per field */
    size_t arena_len, arena_cap;
    size_t target_len; /* the target is arena[0 .. target_len) */
    struct {
        size_t name, value; /* offsets in arena; value 0 = not started */
    } at[H1_FIELDS_MAX];
    size_t nfields;
    int last; /* 0 nothing yet, 1 in a name, 2 in a value (the parser's callbacks) */
    char *body;
    size_t body_len, body_cap;
    char *path, *query, *host; /* the split target (in arena; query may be NULL) */

    /* the stream's state */
    size_t head_bytes;                     /* of this request's head, so far */
    bool line_mode;                        /* feeding line by line (all but a body's data) */
    enum { L_HEAD, L_SIZE, L_EMPTY } kind; /* the line: of the head, a chunk size, a bare CRLF */
    bool trailer;                          /* the L_EMPTY line is the (empty) trailer section */
    bool line_start;                       /* the next byte begins a line */
    bool request_line;                     /* the line being read is the request line */
    int spaces;                            /* SPs seen on the request line */
    int version;                           /* bytes of "HTTP/" matched after its second space */
    int ext;                       /* chunk size line: 0 digits, 1 whitespace, 2 extension */
    size_t line_len;               /* bytes of the current line so far */
    unsigned char prev;            /* the last byte of the line fed, 0 at a line's start */
    unsigned long long chunk_left; /* bytes of the current chunk's data still to come */
    bool head_done, complete, want_continue, told, keep_alive;
    enum h1_method method;

    /* a refusal */
    int status;
    const char *code;
    char why[128];
};

/** h1_init() - ready @h for a connection's first request. */
void h1_init(struct h1 *h, size_t max_head, size_t max_body);

/** h1_release() - free (and wipe) what @h holds. */
void h1_release(struct h1 *h);

/**
 * h1_feed() - give @h the next @len bytes of the stream. *@used receives how many it took: all
 * of them with H1_MORE; up to the end of the head with H1_HEAD; up to the last byte of the request
 * with H1_REQUEST (the rest belongs to the next request: feed it after h1_next()); up to where the
 * stream went wrong with H1_REFUSED. After H1_REFUSED every call refuses again.
 */
enum h1_event h1_feed(struct h1 *h, const char *data, size_t len, size_t *used);

/** h1_next() - forget the request just answered; the next one begins with the next byte. */
void h1_next(struct h1 *h);

/* The request, once H1_HEAD or H1_REQUEST was returned. */
enum h1_method h1_method(const struct h1 *h);
const char *h1_method_name(const struct h1 *h);
const char *h1_path(const struct h1 *h);  /* the target's path ("/" at least), raw */
const char *h1_query(const struct h1 *h); /* the raw query, or NULL */
const char *h1_host(const struct h1 *h);  /* Host, or the authority of an absolute target */
/** h1_header() - the value of field @name (case-insensitive), or NULL; the first if repeated. */
const char *h1_header(const struct h1 *h, const char *name);
const char *h1_body(const struct h1 *h, size_t *len); /* NULL when empty */
int h1_minor(const struct h1 *h);                     /* 0 or 1 */
bool h1_keep_alive(const struct h1 *h);               /* the connection may carry another */
bool h1_wants_continue(const struct h1 *h);           /* Expect: 100-continue, body to come */

/* The refusal, once H1_REFUSED was returned: the status (400, 413, 414, 417, 431, 501, 505, or
 * 503 when out of memory), an error code for the API's error form, and one sentence (no request
 * bytes in it but a method name http-parser knows). */
int h1_status(const struct h1 *h);
const char *h1_code(const struct h1 *h);
const char *h1_why(const struct h1 *h);

#endif
