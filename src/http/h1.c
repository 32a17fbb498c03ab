#include "http/h1.h"

#include "http/framing.h"
#include "util/mem.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ARENA_MIN 1024             /* first allocation of a request's arena */
#define ARENA_KEEP 4096            /* kept between requests; a larger one is freed */
#define BODY_KEEP 4096             /* the same for the body */
#define PARSER_HEAD_MAX (2u << 20) /* http-parser's own head limit: above ours (at most 1 MiB) */
#define H1_CHUNK_LINE_MAX 1024     /* bytes of a chunk size line, extension included */

/* Refuse the stream (the first reason given stands); -1 for the parser's callbacks. */
__attribute__((format(printf, 4, 5))) static int refuse(struct h1 *h, int status, const char *code,
                                                        const char *fmt, ...)
{
    va_list ap;

    if (h->status != 0)
        return -1;
    h->status = status;
    h->code = code;
    va_start(ap, fmt);
    vsnprintf(h->why, sizeof(h->why), fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(struct h1 *h)
{
    return refuse(h, 503, "out_of_memory", "out of memory");
}

static int too_large(struct h1 *h)
{
    return refuse(h, 413, "too_large", "the body is over the limit of %zu bytes", h->max_body);
}

/* Room for @n more bytes in the arena (which the head limit bounds). */
static int reserve(struct h1 *h, size_t n)
{
    size_t cap = h->arena_cap ? h->arena_cap : ARENA_MIN;
    char *a;

    if (h->arena_len + n <= h->arena_cap)
        return 0;
    while (cap < h->arena_len + n)
        cap *= 2;
    if ((a = mem_realloc(h->arena, cap)) == NULL)
        return nomem(h);
    h->arena = a;
    h->arena_cap = cap;
    return 0;
}

/* Append @n bytes to the arena. */
static int put(struct h1 *h, const char *s, size_t n)
{
    if (reserve(h, n) != 0)
        return -1;
    memcpy(h->arena + h->arena_len, s, n);
    h->arena_len += n;
    return 0;
}

static int put_nul(struct h1 *h)
{
    return put(h, "", 1);
}

/* End the value being read: without its trailing whitespace (OWS, RFC 9110 5.5). */
static int end_value(struct h1 *h)
{
    size_t start = h->at[h->nfields - 1].value;

    while (h->arena_len > start &&
           (h->arena[h->arena_len - 1] == ' ' || h->arena[h->arena_len - 1] == '\t'))
        h->arena_len--;
    return put_nul(h);
}

static struct h1 *of(http_parser *p)
{
    return p->data;
}

static int on_url(http_parser *p, const char *s, size_t n)
{
    struct h1 *h = of(p);

    if (h->target_len + n > H1_TARGET_MAX)
        return refuse(h, 414, "uri_too_long", "the request target is over %d bytes", H1_TARGET_MAX);
    if (put(h, s, n) != 0)
        return -1;
    h->target_len += n;
    return 0;
}

/* The target ends where the first field (or the end of the head) begins. */
static int close_target(struct h1 *h)
{
    if (h->arena_len != h->target_len)
        return 0;
    return put_nul(h);
}

static int on_field(http_parser *p, const char *s, size_t n)
{
    struct h1 *h = of(p);

    if (h->head_done)
        return refuse(h, 400, "bad_framing", "trailer fields are not accepted");
    if (h->last != 1) {
        if (h->last == 2 ? end_value(h) != 0 : close_target(h) != 0)
            return -1;
        if (h->nfields == H1_FIELDS_MAX)
            return refuse(h, 431, "headers_too_large", "more than %d header fields", H1_FIELDS_MAX);
        h->at[h->nfields].name = h->arena_len;
        h->at[h->nfields].value = 0;
        h->nfields++;
        h->last = 1;
    }
    return put(h, s, n);
}

static int on_value(http_parser *p, const char *s, size_t n)
{
    struct h1 *h = of(p);

    if (h->head_done)
        return refuse(h, 400, "bad_framing", "trailer fields are not accepted");
    if (h->last == 1) {
        if (put_nul(h) != 0)
            return -1;
        h->at[h->nfields - 1].value = h->arena_len;
        h->last = 2;
    }
    return put(h, s, n);
}

static enum h1_method method_of(const http_parser *p, bool *known)
{
    *known = true;
    switch ((enum http_method)p->method) {
    case HTTP_GET:
        return H1_GET;
    case HTTP_HEAD:
        return H1_HEAD_M;
    case HTTP_POST:
        return H1_POST;
    case HTTP_PUT:
        return H1_PUT;
    case HTTP_PATCH:
        return H1_PATCH;
    case HTTP_DELETE:
        return H1_DELETE;
    case HTTP_OPTIONS:
        return H1_OPTIONS;
    default:
        *known = false;
        return H1_GET;
    }
}

/* Copy @n bytes at arena offset @off as a new string; its offset in *@out. */
static int put_string(struct h1 *h, size_t off, size_t n, size_t *out)
{
    *out = h->arena_len;
    if (reserve(h, n + 1) != 0) /* first: the source lies in the arena */
        return -1;
    memmove(h->arena + h->arena_len, h->arena + off, n);
    h->arena_len += n;
    return put_nul(h);
}

/*
 * Split the target: origin-form (/path?query), absolute-form (http://authority/path?query, whose
 * authority then stands for Host, RFC 9112 3.2.2) or, for OPTIONS, "*". Offsets into the arena
 * go to *@path, *@query (0: none) and *@host (0: none).
 */
static int split_target(struct h1 *h, size_t *path, size_t *query, size_t *host)
{
    struct http_parser_url u;
    size_t pathlen;

    *path = *query = *host = 0;
    if (h->target_len == 1 && h->arena[0] == '*' && h->method == H1_OPTIONS)
        return put_string(h, 0, 1, path);
    http_parser_url_init(&u);
    if (h->target_len == 0 || http_parser_parse_url(h->arena, h->target_len, 0, &u) != 0)
        return refuse(h, 400, "bad_framing", "the request target is not a URI path or URL");
    if ((u.field_set & (1 << UF_FRAGMENT)) || (u.field_set & (1 << UF_USERINFO)))
        return refuse(h, 400, "bad_framing", "the request target has a fragment or user info");
    if (u.field_set & (1 << UF_SCHEMA)) {
        /* the authority: from after "//" to the path, query or end */
        const char *a = memchr(h->arena, '/', h->target_len);
        size_t start, end;
        if (a == NULL || a + 1 >= h->arena + h->target_len || a[1] != '/')
            return refuse(h, 400, "bad_framing", "the request target is not a URI path or URL");
        start = (size_t)(a - h->arena) + 2;
        end = start;
        while (end < h->target_len && h->arena[end] != '/' && h->arena[end] != '?')
            end++;
        if (put_string(h, start, end - start, host) != 0)
            return -1;
        if (!framing_host_ok(h->arena + *host))
            return refuse(h, 400, "bad_framing", "the target's authority is not a host");
    } else if (h->arena[0] != '/') {
        return refuse(h, 400, "bad_framing", "the request target is not a URI path or URL");
    }
    pathlen = (u.field_set & (1 << UF_PATH)) ? u.field_data[UF_PATH].len : 0;
    if (pathlen == 0) {
        *path = h->arena_len;
        if (put(h, "/", 1) != 0 || put_nul(h) != 0)
            return -1;
    } else if (put_string(h, u.field_data[UF_PATH].off, pathlen, path) != 0) {
        return -1;
    }
    if ((u.field_set & (1 << UF_QUERY)) &&
        put_string(h, u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len, query) != 0)
        return -1;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct h1 *h = of(p);
    struct framing_field fields[H1_FIELDS_MAX];
    struct framing_req fr = {.major = p->http_major, .minor = p->http_minor, .fields = fields};
    size_t path, query, host;
    const char *expect;
    bool known;
    char why[128] = "";
    int status;

    if (close_target(h) != 0)
        return -1;
    if (h->last == 1) { /* a name with no value callback: empty value */
        if (put_nul(h) != 0)
            return -1;
        h->at[h->nfields - 1].value = h->arena_len;
        h->last = 2;
    }
    if (h->last == 2 && end_value(h) != 0)
        return -1;
    h->head_done = true;
    if (p->flags & F_CHUNKED) {
        h->kind = L_SIZE; /* the first chunk's size line */
    } else {
        h->line_mode = false;
    }
    h->method = method_of(p, &known);
    if (!known)
        return refuse(h, 501, "not_implemented", "the method %s is not implemented",
                      http_method_str((enum http_method)p->method));
    /* the framing rules (http/framing.h) on what was read */
    for (size_t i = 0; i < h->nfields; i++) {
        fields[i].name = h->arena + h->at[i].name;
        fields[i].value = h->arena + h->at[i].value;
    }
    fr.nfields = h->nfields;
    fr.body_read = h->method != H1_HEAD_M;
    if ((status = framing_check(&fr, why, sizeof(why))) != 0)
        return refuse(h, status,
                      status == 505   ? "http_version_not_supported"
                      : status == 501 ? "not_implemented"
                                      : "bad_framing",
                      "%s", why);
    /* what framing.c read as "chunked" must be what the parser took for it */
    if (h1_header(h, "Transfer-Encoding") != NULL && !(p->flags & F_CHUNKED))
        return refuse(h, 501, "not_implemented", "the only transfer coding understood is chunked");
    if (split_target(h, &path, &query, &host) != 0)
        return -1;
    h->path = h->arena + path;
    h->query = query ? h->arena + query : NULL;
    h->host = host ? h->arena + host : NULL;
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX &&
        p->content_length > h->max_body)
        return too_large(h);
    if ((expect = h1_header(h, "Expect")) != NULL) {
        if (strcasecmp(expect, "100-continue") != 0)
            return refuse(h, 417, "expectation_failed", "the only expectation met is 100-continue");
        h->want_continue =
            p->http_minor == 1 &&
            ((p->flags & F_CHUNKED) || (p->content_length != ULLONG_MAX && p->content_length > 0));
    }
    return 0;
}

static int on_body(http_parser *p, const char *s, size_t n)
{
    struct h1 *h = of(p);

    if (n > h->max_body - h->body_len)
        return too_large(h);
    if (h->body_len + n > h->body_cap) {
        size_t cap = h->body_cap ? h->body_cap : 4096;
        char *b;
        /* a declared length is known in full: one allocation */
        if (!(p->flags & F_CHUNKED) && h->body_cap == 0 && p->content_length != ULLONG_MAX)
            cap = (size_t)p->content_length + n;
        while (cap < h->body_len + n)
            cap *= 2;
        if (cap > h->max_body)
            cap = h->max_body;
        if ((b = mem_realloc(h->body, cap)) == NULL)
            return nomem(h);
        h->body = b;
        h->body_cap = cap;
    }
    memcpy(h->body + h->body_len, s, n);
    h->body_len += n;
    return 0;
}

/* A chunk's size line was read: its data comes next, fed whole, and then a CRLF; or, for the
 * last chunk, the (empty) trailer section. */
static int on_chunk_header(http_parser *p)
{
    struct h1 *h = of(p);

    if (p->content_length > h->max_body - h->body_len)
        return too_large(h);
    if (p->content_length == 0) {
        h->kind = L_EMPTY;
        h->trailer = true;
    } else {
        h->line_mode = false;
        h->chunk_left = p->content_length;
    }
    http_parser_pause(p, 1);
    return 0;
}

/*
 * Whether the connection may carry another request, from the Connection fields as read here (a
 * comma-separated token list in any number of fields; "close" anywhere wins, RFC 9112 9.3) and
 * from http-parser's own view (which misses "close<TAB>", say): either one's close closes.
 */
static bool keep_alive(struct h1 *h)
{
    bool close = false, keep = false;

    for (size_t i = 0; i < h->nfields; i++) {
        const char *v = h->arena + h->at[i].value;
        if (strcasecmp(h->arena + h->at[i].name, "Connection") != 0)
            continue;
        while (*v != '\0') {
            size_t n;
            v += strspn(v, " \t,");
            n = strcspn(v, ",");
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            if (n == 5 && strncasecmp(v, "close", 5) == 0)
                close = true;
            else if (n == 10 && strncasecmp(v, "keep-alive", 10) == 0)
                keep = true;
            v += strcspn(v, ",");
        }
    }
    if (close || !http_should_keep_alive(&h->p))
        return false;
    return h->p.http_minor == 1 || keep;
}

static int on_message_complete(http_parser *p)
{
    struct h1 *h = of(p);

    h->complete = true;
    h->keep_alive = keep_alive(h);
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_field,
    .on_header_value = on_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};

static void parser_limit(void)
{
    http_parser_set_max_header_size(PARSER_HEAD_MAX);
}

void h1_init(struct h1 *h, size_t max_head, size_t max_body)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, parser_limit); /* a global of the library's */
    memset(h, 0, sizeof(*h));
    h->max_head = max_head;
    h->max_body = max_body;
    http_parser_init(&h->p, HTTP_REQUEST);
    h->p.data = h;
    h1_next(h);
}

void h1_release(struct h1 *h)
{
    mem_free(h->arena);
    mem_free(h->body);
    h->arena = h->body = NULL;
    h->arena_cap = h->body_cap = 0;
}

void h1_next(struct h1 *h)
{
    if (h->body != NULL)
        sodium_memzero(h->body, h->body_len);
    if (h->arena != NULL)
        sodium_memzero(h->arena, h->arena_len);
    /* an idle connection keeps no large buffer of a past request */
    if (h->body_cap > BODY_KEEP) {
        mem_free(h->body);
        h->body = NULL;
        h->body_cap = 0;
    }
    if (h->arena_cap > ARENA_KEEP) {
        mem_free(h->arena);
        h->arena = NULL;
        h->arena_cap = 0;
    }
    h->arena_len = h->target_len = h->nfields = h->body_len = h->head_bytes = 0;
    h->last = 0;
    h->path = h->query = h->host = NULL;
    h->line_mode = h->line_start = h->request_line = true;
    h->kind = L_HEAD;
    h->trailer = false;
    h->chunk_left = 0;
    h->spaces = h->version = h->ext = 0;
    h->line_len = 0;
    h->prev = 0;
    h->head_done = h->complete = h->want_continue = h->told = h->keep_alive = false;
    http_parser_pause(&h->p, 0);
}

#define REQUEST_LINE "the request line is not method, target and version separated by single spaces"

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether byte @c, at the start of a line of @h's kind, is allowed; *@why if not. */
static bool line_first_ok(struct h1 *h, unsigned char c, const char **why)
{
    switch (h->kind) {
    case L_HEAD:
        if ((c == ' ' || c == '\t') && !h->request_line) {
            *why = "a folded header line (obs-fold)";
            return false;
        }
        return true;
    case L_SIZE:
        if (!is_hex(c)) {
            *why = "a chunk size is not hex digits";
            return false;
        }
        h->ext = 0;
        return true;
    default:
        if (c != '\r') {
            *why = h->trailer ? "trailer fields are not accepted"
                              : "a chunk's data is not followed by CRLF";
            return false;
        }
        return true;
    }
}

/* Whether byte @c, inside a line (not its CR or LF), is allowed; *@why if not. */
static bool line_byte_ok(struct h1 *h, unsigned char c, const char **why)
{
    if (h->kind == L_SIZE) {
        /* 1*HEXDIG [ *WSP ";" extension ] (the extension is ignored), within a bound */
        if (h->line_len >= H1_CHUNK_LINE_MAX) {
            *why = "a chunk size line is too long";
            return false;
        }
        if (h->ext == 0 && is_hex(c))
            return true;
        if (h->ext < 2 && (c == ' ' || c == '\t')) {
            h->ext = 1;
            return true;
        }
        if (h->ext < 2 && c == ';') {
            h->ext = 2;
            return true;
        }
        if (h->ext == 2 && (c >= 0x20 || c == '\t') && c != 0x7f)
            return true;
        *why = h->ext < 2 ? "a chunk size is not hex digits"
                          : "a chunk extension holds a control character";
        return false;
    }
    if (h->kind != L_HEAD || !h->request_line)
        return true;
    if (c == '\t') {
        *why = "a tab in the request line";
        return false;
    }
    if (c != ' ' && (c < 0x21 || c >= 0x7f)) {
        *why = "a control or non-ASCII byte in the request line";
        return false;
    }
    if (c == ' ' && (h->prev == ' ' || ++h->spaces > 2)) {
        *why = REQUEST_LINE;
        return false;
    }
    if (c != ' ' && h->spaces == 2 && h->version < 5) {
        if (c != (unsigned char)"HTTP/"[h->version]) {
            *why = "the version is not HTTP/1.x";
            return false;
        }
        h->version++;
    }
    return true;
}

/*
 * The lexical rules http-parser leaves out (it is built without HTTP_PARSER_STRICT), on @n
 * bytes of a line or of the start of one: CRLF line ends (no bare LF, no CR alone), then per
 * kind of line those of line_first_ok() and line_byte_ok(). Returns the index of the first byte
 * that breaks one, with the rule in *@why, or @n when none does.
 */
static size_t lines_scan(struct h1 *h, const unsigned char *s, size_t n, const char **why)
{
    *why = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (h->line_start) {
            h->line_start = false;
            h->line_len = 0;
            if (!line_first_ok(h, c, why))
                return i;
        }
        if (h->prev == '\r' && c != '\n') {
            *why = "a CR not followed by LF";
            return i;
        }
        if (c == '\n') {
            if (h->prev != '\r') {
                *why = "a line ends in a bare LF";
                return i;
            }
            if (h->kind == L_HEAD && h->request_line && h->line_len > 1) {
                /* (not an empty line before the request line, which is ignored) */
                if (h->spaces != 2 || h->version != 5) {
                    *why = REQUEST_LINE;
                    return i;
                }
                h->request_line = false;
            }
            if (h->kind == L_EMPTY && !h->trailer)
                h->kind = L_SIZE; /* the next chunk's size */
            h->line_start = true;
            h->prev = 0;
            continue;
        }
        if (c != '\r' && !line_byte_ok(h, c, why))
            return i;
        h->line_len++;
        h->prev = c;
    }
    return n;
}

/* The status for a parser error. */
static void parser_refusal(struct h1 *h, enum http_errno e)
{
    switch (e) {
    case HPE_INVALID_VERSION:
        refuse(h, 505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are spoken here");
        break;
    case HPE_INVALID_TRANSFER_ENCODING:
        refuse(h, 501, "not_implemented", "the only transfer coding understood is chunked");
        break;
    case HPE_INVALID_METHOD:
        refuse(h, 501, "not_implemented", "the method is not implemented");
        break;
    case HPE_HEADER_OVERFLOW:
        refuse(h, 431, "headers_too_large", "the request head is over the limit");
        break;
    case HPE_INVALID_CONTENT_LENGTH:
        if (h->head_done) /* a chunk size past 64 bits */
            too_large(h);
        else
            refuse(h, 400, "bad_framing", "Content-Length must appear once, as digits only");
        break;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
        refuse(h, 400, "bad_framing", "Content-Length repeated, or beside Transfer-Encoding");
        break;
    case HPE_INVALID_CHUNK_SIZE:
        refuse(h, 400, "bad_framing", "a chunk size is not hex digits and a CRLF");
        break;
    default:
        refuse(h, 400, "bad_framing", "%s", http_errno_description(e));
    }
}

enum h1_event h1_feed(struct h1 *h, const char *data, size_t len, size_t *used)
{
    size_t off = 0;

    *used = 0;
    if (h->status != 0)
        return H1_REFUSED;
    if (h->complete)
        return H1_REQUEST;
    /*
     * Whichever rule the stream breaks first, at the earliest byte, is the one refused: the
     * parser is fed only up to a byte that breaks a lexical rule, and never past the head's
     * limit; so how the bytes were cut into pieces changes nothing (fuzz/fuzz_framing.c).
     */
    while (off < len) {
        size_t n = len - off, k, bad;
        bool over = false, chunk_data = !h->line_mode && h->chunk_left > 0;
        const char *lexical = NULL;
        enum http_errno e;

        if (h->line_mode) {
            const char *lf = memchr(data + off, '\n', n);
            if (lf != NULL)
                n = (size_t)(lf - (data + off)) + 1;
        } else if (chunk_data && n > h->chunk_left) {
            n = (size_t)h->chunk_left; /* a chunk's data, and not a byte more */
        }
        if (!h->head_done) {
            if (n > h->max_head - h->head_bytes) {
                n = h->max_head - h->head_bytes;
                over = true;
            }
            h->head_bytes += n;
        }
        if (h->line_mode &&
            (bad = lines_scan(h, (const unsigned char *)data + off, n, &lexical)) < n) {
            n = bad;
            over = false;
        }
        /* (never 0 bytes: to http-parser that is the end of the stream) */
        k = n > 0 ? http_parser_execute(&h->p, &settings, data + off, n) : 0;
        off += k;
        if (chunk_data && (h->chunk_left -= k) == 0) {
            h->line_mode = h->line_start = true; /* the CRLF after a chunk's data */
            h->kind = L_EMPTY;
            h->prev = 0;
        }
        e = HTTP_PARSER_ERRNO(&h->p);
        if (h->status != 0)
            break;
        if (lexical != NULL && (e == HPE_OK || (e == HPE_PAUSED && !h->complete))) {
            refuse(h, 400, "bad_framing", "%s", lexical);
            break;
        }
        if (e == HPE_PAUSED) {
            if (h->complete) {
                *used = off;
                return H1_REQUEST;
            }
            http_parser_pause(&h->p, 0); /* a chunk's size was read (on_chunk_header) */
            continue;
        }
        if (e != HPE_OK) {
            parser_refusal(h, e);
            break;
        }
        if (over) {
            refuse(h, 431, "headers_too_large", "the request head is over %zu bytes", h->max_head);
            break;
        }
        if (h->want_continue && !h->told) {
            h->told = true;
            *used = off;
            return H1_HEAD;
        }
    }
    *used = off;
    return h->status != 0 ? H1_REFUSED : H1_MORE;
}

enum h1_method h1_method(const struct h1 *h)
{
    return h->method;
}

const char *h1_method_name(const struct h1 *h)
{
    return http_method_str((enum http_method)h->p.method);
}

const char *h1_path(const struct h1 *h)
{
    return h->path ? h->path : "/";
}

const char *h1_query(const struct h1 *h)
{
    return h->query;
}

const char *h1_host(const struct h1 *h)
{
    return h->host ? h->host : h1_header(h, "Host");
}

const char *h1_header(const struct h1 *h, const char *name)
{
    if (!h->head_done)
        return NULL;
    for (size_t i = 0; i < h->nfields; i++)
        if (strcasecmp(h->arena + h->at[i].name, name) == 0)
            return h->arena + h->at[i].value;
    return NULL;
}

const char *h1_body(const struct h1 *h, size_t *len)
{
    *len = h->body_len;
    return h->body_len ? h->body : NULL;
}

int h1_minor(const struct h1 *h)
{
    return h->p.http_minor;
}

bool h1_keep_alive(const struct h1 *h)
{
    return h->keep_alive;
}

bool h1_wants_continue(const struct h1 *h)
{
    return h->want_continue;
}

int h1_status(const struct h1 *h)
{
    return h->status;
}

const char *h1_code(const struct h1 *h)
{
    return h->code ? h->code : "bad_framing";
}

const char *h1_why(const struct h1 *h)
{
    return h->why;
}
