/*
 * test_fetch.c - which URLs the server's own requests may go to (net/fetch.h): https anywhere,
 * http only to this machine, never with credentials, a fragment, blanks or beyond the length
 * limit; and the form encoding of OAuth client credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/fetch.h"
#include "util/mem.h"

#include <string.h>

static void urls(void **state)
{
    static const char *const good[] = {
        "https://idp.example/realms/x/.well-known/openid-configuration",
        "https://login.microsoftonline.com/tenant/v2.0",
        "http://127.0.0.1:8080/jwks",
        "http://127.1.2.3/x",
        "http://localhost:9000/",
        "http://[::1]:9000/token",
        "HTTPS://IDP.EXAMPLE/",
    };
    static const char *const bad[] = {
        "http://idp.example/",          /* plain http to another machine */
        "http://10.0.0.1/",             /* ... even a private one */
        "http://[::2]/",                /* ... or another IPv6 address */
        "http://localhost.example/",    /* a name that only starts like it */
        "ftp://idp.example/",           /* another scheme */
        "file:///etc/passwd",           /* no host */
        "https://user:pw@idp.example/", /* credentials in the URL */
        "https://idp.example/#frag",    /* a fragment */
        "https://idp.example/a b",      /* a blank */
        "/relative/path",               /* not absolute */
        "",
    };
    char big[FETCH_URL_MAX + 64];

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(fetch_url_allowed(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(fetch_url_allowed(bad[i]));
    assert_false(fetch_url_allowed(NULL));
    memcpy(big, "https://idp.example/", 20);
    memset(big + 20, 'a', sizeof(big) - 21);
    big[sizeof(big) - 1] = '\0';
    assert_false(fetch_url_allowed(big));
}

static void escape(void **state)
{
    char *e = fetch_escape("a b+c/d:é~._-");

    (void)state;
    assert_non_null(e);
    assert_string_equal(e, "a%20b%2Bc%2Fd%3A%C3%A9~._-");
    mem_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls),
        cmocka_unit_test(escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
