#include "testutil.h"

#include "http/h1.h"
#include "util/mem.h"

#include <string.h>

#define MAX_HEAD 1024
#define MAX_BODY 64

/* Feed @s to a fresh reader in pieces of @step bytes (0: whole) until an event other than
 * H1_MORE (and H1_HEAD); *@used gets the bytes taken in all. */
static enum h1_event feed(struct h1 *h, const char *s, size_t step, size_t *used)
{
    size_t len = strlen(s), off = 0;
    enum h1_event ev = H1_MORE;

    h1_init(h, MAX_HEAD, MAX_BODY);
    while (off < len) {
        size_t piece = step == 0 || len - off < step ? len - off : step, k = 0;
        ev = h1_feed(h, s + off, piece, &k);
        off += k;
        if (ev == H1_REQUEST || ev == H1_REFUSED)
            break;
    }
    *used = off;
    return ev;
}

/* The status @s is refused with, in every cut (0 when it is not refused). */
static int refused(const char *s)
{
    int status = -1;

    for (size_t step = 0; step < 8; step++) {
        struct h1 h;
        size_t used;
        int got = feed(&h, s, step, &used) == H1_REFUSED ? h1_status(&h) : 0;
        if (got != 0)
            assert_true(h1_why(&h)[0] != '\0');
        h1_release(&h);
        if (status >= 0)
            assert_int_equal(got, status); /* the cut changes nothing */
        status = got;
    }
    return status;
}

static void a_request_and_its_parts(void **state)
{
    static const char req[] = "POST /a/b%20c?x=1&y=%41 HTTP/1.1\r\nHost: example.org:8080\r\n"
                              "Content-Length: 5\r\nX-Empty:\r\nx-case: v  \r\n\r\nhelloGET";
    struct h1 h;
    size_t used, len;

    (void)state;
    for (size_t step = 0; step < 6; step++) {
        assert_int_equal(feed(&h, req, step, &used), H1_REQUEST);
        assert_int_equal(used, strlen(req) - 3); /* "GET" is the next request's */
        assert_int_equal(h1_method(&h), H1_POST);
        assert_string_equal(h1_method_name(&h), "POST");
        assert_string_equal(h1_path(&h), "/a/b%20c");
        assert_string_equal(h1_query(&h), "x=1&y=%41");
        assert_string_equal(h1_host(&h), "example.org:8080");
        assert_string_equal(h1_header(&h, "x-empty"), "");
        assert_string_equal(h1_header(&h, "X-CASE"), "v"); /* trailing whitespace is not value */
        assert_null(h1_header(&h, "Cookie"));
        assert_memory_equal(h1_body(&h, &len), "hello", 5);
        assert_int_equal(len, 5);
        assert_true(h1_keep_alive(&h));
        assert_int_equal(h1_minor(&h), 1);
        h1_release(&h);
    }
}

static void pipelined_requests_and_keep_alive(void **state)
{
    static const char two[] = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /2 HTTP/1.0\r\n\r\n";
    struct h1 h;
    size_t used, first = strlen("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"), k;

    (void)state;
    assert_int_equal(feed(&h, two, 0, &used), H1_REQUEST);
    assert_int_equal(used, first);
    assert_string_equal(h1_path(&h), "/1");
    h1_next(&h);
    assert_int_equal(h1_feed(&h, two + first, strlen(two) - first, &k), H1_REQUEST);
    assert_int_equal(k, strlen(two) - first);
    assert_string_equal(h1_path(&h), "/2");
    assert_false(h1_keep_alive(&h)); /* HTTP/1.0 without keep-alive */
    assert_null(h1_host(&h));
    h1_release(&h);
    assert_int_equal(feed(&h, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, &used),
                     H1_REQUEST);
    assert_true(h1_keep_alive(&h));
    h1_release(&h);
    assert_int_equal(feed(&h, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &used),
                     H1_REQUEST);
    assert_false(h1_keep_alive(&h));
    h1_release(&h);
    assert_int_equal(feed(&h, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\t\r\n\r\n", 0, &used),
                     H1_REQUEST);
    assert_false(h1_keep_alive(&h)); /* http-parser alone keeps this one alive */
    h1_release(&h);
    assert_int_equal(feed(&h, "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0, &used),
                     H1_REQUEST);
    assert_false(h1_keep_alive(&h));
    h1_release(&h);
}

static void chunked_bodies(void **state)
{
    static const char req[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5;a=b\r\nhello\r\n1 \t;c\r\n!\r\n0\r\n\r\n";
    struct h1 h;
    size_t used, len;

    (void)state;
    for (size_t step = 0; step < 6; step++) {
        assert_int_equal(feed(&h, req, step, &used), H1_REQUEST);
        assert_int_equal(used, strlen(req));
        assert_memory_equal(h1_body(&h, &len), "hello!", 6);
        assert_int_equal(len, 6);
        h1_release(&h);
    }
}

static void continue_is_asked_once_the_head_is_checked(void **state)
{
    static const char head[] = "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                               "Content-Length: 2\r\n\r\n";
    struct h1 h;
    size_t used;

    (void)state;
    h1_init(&h, MAX_HEAD, MAX_BODY);
    assert_int_equal(h1_feed(&h, head, strlen(head), &used), H1_HEAD);
    assert_int_equal(used, strlen(head));
    assert_true(h1_wants_continue(&h));
    assert_int_equal(h1_feed(&h, "ok", 2, &used), H1_REQUEST);
    assert_int_equal(used, 2);
    h1_release(&h);
    /* no body to come: no 100 */
    assert_int_equal(
        feed(&h, "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", 0, &used),
        H1_REQUEST);
    assert_false(h1_wants_continue(&h));
    h1_release(&h);
}

static void targets(void **state)
{
    struct h1 h;
    size_t used;

    (void)state;
    assert_int_equal(feed(&h, "GET http://a.example:81/p?q HTTP/1.1\r\nHost: b\r\n\r\n", 0, &used),
                     H1_REQUEST);
    assert_string_equal(h1_host(&h), "a.example:81"); /* RFC 9112 3.2.2 */
    assert_string_equal(h1_path(&h), "/p");
    assert_string_equal(h1_query(&h), "q");
    h1_release(&h);
    assert_int_equal(feed(&h, "OPTIONS * HTTP/1.1\r\nHost: b\r\n\r\n", 0, &used), H1_REQUEST);
    assert_string_equal(h1_path(&h), "*");
    h1_release(&h);
    assert_int_equal(refused("GET * HTTP/1.1\r\nHost: b\r\n\r\n"), 400);
    assert_int_equal(refused("GET /#f HTTP/1.1\r\nHost: b\r\n\r\n"), 400);
    assert_int_equal(refused("GET http://u@a/ HTTP/1.1\r\nHost: b\r\n\r\n"), 400);
    assert_int_equal(refused("GET http://a b/ HTTP/1.1\r\nHost: b\r\n\r\n"), 400);
}

static void what_is_refused(void **state)
{
    char big[MAX_HEAD + 64];

    (void)state;
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(refused("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    /* lines */
    assert_int_equal(refused("GET / HTTP/1.1\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\n\n"), 400);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\n\r "), 400);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n"), 400);
    assert_int_equal(refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET / HXXP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET /a\fb HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET /\x80 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
    assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nA: a\x01\r\n\r\n"), 400);
    /* versions and methods */
    assert_int_equal(refused("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 505);
    assert_int_equal(refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    assert_int_equal(refused("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    assert_int_equal(refused("get / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    /* lengths and codings */
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n"), 413);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                             "Content-Length: 1\r\n\r\na"),
                     400);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "41\r\n"),
                     413);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "1\r\nab\r\n0\r\n\r\n"),
                     400);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "1 x\r\na\r\n0\r\n\r\n"),
                     400);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "0\r\nA: b\r\n\r\n"),
                     400);
    assert_int_equal(refused("HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na"), 400);
    assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\n\r\n"), 417);
    /* sizes */
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET / HTTP/1.1\r\nHost: x\r\nA: ", 28);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(refused(big), 431);
}

static void nothing_is_read_after_a_refusal(void **state)
{
    struct h1 h;
    size_t used;

    (void)state;
    assert_int_equal(feed(&h, "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 0, &used), H1_REFUSED);
    assert_int_equal(h1_feed(&h, "GET / HTTP/1.1\r\n\r\n", 18, &used), H1_REFUSED);
    assert_int_equal(used, 0);
    assert_string_equal(h1_code(&h), "http_version_not_supported");
    h1_release(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_request_and_its_parts),
        cmocka_unit_test(pipelined_requests_and_keep_alive),
        cmocka_unit_test(chunked_bodies),
        cmocka_unit_test(continue_is_asked_once_the_head_is_checked),
        cmocka_unit_test(targets),
        cmocka_unit_test(what_is_refused),
        cmocka_unit_test(nothing_is_read_after_a_refusal),
    };

    mem_install();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
