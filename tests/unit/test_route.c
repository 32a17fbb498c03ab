#include "testutil.h"

#include "http/route.h"
#include "util/err.h"

static void literal_and_params(void **state)
{
    struct route_params p;

    assert_true(http_route_match("/healthz", "/healthz", &p));
    assert_int_equal(p.count, 0);
    assert_false(http_route_match("/healthz", "/healthz/", &p));
    assert_false(http_route_match("/healthz", "/health", &p));
    assert_true(http_route_match("/api/v1/users/{username}", "/api/v1/users/alice", &p));
    assert_int_equal(p.count, 1);
    assert_string_equal(http_route_param(&p, "username"), "alice");
    assert_null(http_route_param(&p, "user"));
    assert_false(http_route_match("/api/v1/users/{username}", "/api/v1/users/", &p));
    assert_false(http_route_match("/api/v1/users/{username}", "/api/v1/users/a/b", &p));
    assert_true(http_route_match("/m/{id}/c/{cid}", "/m/12/c/x9", &p));
    assert_string_equal(http_route_param(&p, "id"), "12");
    assert_string_equal(http_route_param(&p, "cid"), "x9");
}

static void long_segment_never_matches(void **state)
{
    char path[600];

    memcpy(path, "/u/", 3);
    memset(path + 3, 'a', 400);
    path[403] = '\0';
    assert_false(http_route_match("/u/{name}", path, NULL));
}

static void query(void **state)
{
    char v[16];

    assert_int_equal(http_query_get("a=1&limit=20&x", "limit", v, sizeof(v)), 0);
    assert_string_equal(v, "20");
    assert_int_equal(http_query_get("a=1&x", "x", v, sizeof(v)), 0);
    assert_string_equal(v, "");
    assert_int_equal(http_query_get("after=a%2Eb+c", "after", v, sizeof(v)), 0);
    assert_string_equal(v, "a.b c");
    assert_int_equal(http_query_get("a=1", "b", v, sizeof(v)), ERR_NOT_FOUND);
    assert_int_equal(http_query_get(NULL, "b", v, sizeof(v)), ERR_NOT_FOUND);
    assert_int_equal(http_query_get("a=%zz", "a", v, sizeof(v)), ERR_INVALID);
    assert_int_equal(http_query_get("a=%2", "a", v, sizeof(v)), ERR_INVALID);
    assert_int_equal(http_query_get("a=%00", "a", v, sizeof(v)), ERR_INVALID);
    assert_int_equal(http_query_get("a=0123456789abcdefg", "a", v, sizeof(v)), ERR_TOO_LARGE);
    assert_int_equal(http_query_get("ab=1&a=2", "a", v, sizeof(v)), 0);
    assert_string_equal(v, "2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literal_and_params),
        cmocka_unit_test(long_segment_never_matches),
        cmocka_unit_test(query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
