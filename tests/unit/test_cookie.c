#include "testutil.h"

#include "http/cookie.h"
#include "util/err.h"

static void get(void **state)
{
    char v[64];

    assert_int_equal(
        http_cookie_get("a=1; dissent_session=tok; b=2", "dissent_session", v, sizeof(v)), 0);
    assert_string_equal(v, "tok");
    assert_int_equal(http_cookie_get("dissent_session=x", "dissent_session", v, sizeof(v)), 0);
    assert_string_equal(v, "x");
    assert_int_equal(http_cookie_get("xdissent_session=x", "dissent_session", v, sizeof(v)),
                     ERR_NOT_FOUND);
    assert_int_equal(http_cookie_get("a=1", "dissent_session", v, sizeof(v)), ERR_NOT_FOUND);
    assert_int_equal(http_cookie_get("s=0123456789", "s", v, 5), ERR_TOO_LARGE);
}

static void set(void **state)
{
    char v[256];

    http_cookie_session(v, sizeof(v), "abc", 60, false);
    assert_string_equal(v, "dissent_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict");
    http_cookie_session(v, sizeof(v), NULL, 60, true);
    assert_string_equal(
        v, "__Host-dissent_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
    http_cookie_session(v, sizeof(v), "abc", 60, true);
    assert_string_equal(
        v, "__Host-dissent_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure");
    assert_string_equal(http_session_cookie_name(true), "__Host-dissent_session");
    assert_string_equal(http_session_cookie_name(false), "dissent_session");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(get), cmocka_unit_test(set)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
