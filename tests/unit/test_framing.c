#include "testutil.h"

#include "http/framing.h"

#include <string.h>

/* framing_check() on the fields @f (name, value pairs, NULL-terminated), HTTP/1.@minor. */
static int check(int minor, bool body_read, const char *const *f)
{
    struct framing_field fields[16];
    struct framing_req r = {.major = 1, .minor = minor, .body_read = body_read, .fields = fields};
    char why[128] = "";
    int status;

    for (size_t i = 0; f[2 * i] != NULL; i++) {
        fields[i].name = f[2 * i];
        fields[i].value = f[2 * i + 1];
        r.nfields++;
    }
    status = framing_check(&r, why, sizeof(why));
    assert_true(status == 0 ? why[0] == '\0' : why[0] != '\0');
    return status;
}

#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void sound_requests(void **state)
{
    (void)state;
    assert_int_equal(check(1, false, FIELDS("Host", "x")), 0);
    assert_int_equal(check(1, true, FIELDS("Host", "a.example:8080", "Content-Length", "12")), 0);
    assert_int_equal(check(1, true, FIELDS("Host", "[::1]:80", "Transfer-Encoding", "Chunked")), 0);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "Content-Length", "000")), 0);
    assert_int_equal(check(0, false, FIELDS("X-A", "tab\tinside")), 0); /* 1.0: no Host needed */
    assert_int_equal(check(1, false, FIELDS("host", "x", "cookie", "a=1; b=2")), 0);
}

static void refused(void **state)
{
    struct framing_req v = {.major = 1, .minor = 2};
    char why[64];

    (void)state;
    assert_int_equal(framing_check(&v, why, sizeof(why)), 505);
    v.major = 2;
    v.minor = 0;
    assert_int_equal(framing_check(&v, why, sizeof(why)), 505);
    /* Content-Length: twice (even equal), signed, spaced, a list, too long */
    assert_int_equal(
        check(1, true, FIELDS("Host", "x", "Content-Length", "1", "Content-Length", "1")), 400);
    for (const char *const *cl = FIELDS("+1", " 1", "1,1", "0x1", "", "1234567890123456789"); *cl;
         cl++)
        assert_int_equal(check(1, true, FIELDS("Host", "x", "Content-Length", *cl)), 400);
    /* transfer codings */
    assert_int_equal(check(1, true, FIELDS("Host", "x", "Transfer-Encoding", "xchunked")), 501);
    assert_int_equal(check(1, true, FIELDS("Host", "x", "Transfer-Encoding", "gzip, chunked")),
                     501);
    assert_int_equal(
        check(1, true, FIELDS("Host", "x", "Transfer-Encoding", "chunked", "Content-Length", "3")),
        400);
    assert_int_equal(check(0, true, FIELDS("Transfer-Encoding", "chunked")), 400);
    /* bodies where evhttp reads none */
    assert_int_equal(check(1, false, FIELDS("Host", "x", "Content-Length", "5")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "Transfer-Encoding", "chunked")), 400);
    /* names and values */
    assert_int_equal(check(1, false, FIELDS("Host", "x", "Transfer-Encoding ", "chunked")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "X@A", "1")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "", "1")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "X-A", "a\rb")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "x", "X-A", "a\x7f")), 400);
    /* Host */
    assert_int_equal(check(1, false, FIELDS("X-A", "1")), 400);
    assert_int_equal(check(1, false, FIELDS("Host", "a", "Host", "a")), 400);
    for (const char *const *h = FIELDS("", "a b", "a/b", "a:", "a:1x", "a:123456", "[::1", "[]",
                                       "[::1]x", ":80", "a@b");
         *h; h++)
        assert_int_equal(check(1, false, FIELDS("Host", *h)), 400);
    /* Cookie */
    assert_int_equal(check(1, false, FIELDS("Host", "x", "Cookie", "a=1", "Cookie", "b=2")), 400);
}

static void tokens(void **state)
{
    (void)state;
    assert_true(framing_token("Content-Length"));
    assert_true(framing_token("x!#$%&'*+-.^_`|~9"));
    assert_false(framing_token(""));
    assert_false(framing_token(NULL));
    assert_false(framing_token("a b"));
    assert_false(framing_token("a:b"));
    assert_false(framing_token("a\xc3\xa9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sound_requests),
        cmocka_unit_test(refused),
        cmocka_unit_test(tokens),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
