#include "testutil.h"

#include "http/json.h"
#include "util/err.h"

static int parse(const char *s, json_t **out)
{
    char err[128];
    return http_json_parse(s, strlen(s), out, err, sizeof(err));
}

static void content_type(void **state)
{
    assert_true(http_json_is_json_type("application/json"));
    assert_true(http_json_is_json_type("Application/JSON; charset=utf-8"));
    assert_false(http_json_is_json_type("application/jsonx"));
    assert_false(http_json_is_json_type("text/plain"));
    assert_false(http_json_is_json_type(NULL));
}

static void objects_only(void **state)
{
    json_t *v = NULL;

    assert_int_equal(parse("{\"a\":[1,2,{\"b\":null}]}", &v), 0);
    assert_true(json_is_object(v));
    json_decref(v);
    assert_int_equal(parse("[1]", &v), ERR_INVALID);
    assert_null(v);
    assert_int_equal(parse("\"x\"", &v), ERR_INVALID);
    assert_int_equal(parse("{", &v), ERR_INVALID);
    assert_int_equal(parse("{\"a\":1,\"a\":2}", &v), ERR_INVALID);
    assert_int_equal(parse("{\"a\":\"\\u0000\"}", &v), ERR_INVALID);
    assert_int_equal(parse("{\"a\":\"\xff\"}", &v), ERR_INVALID);
}

/* {"a":[[...]]} with @n arrays, so the whole text nests n + 1 levels. */
static void nested(char *out, int n)
{
    size_t o = 0;

    memcpy(out, "{\"a\":", 5);
    o = 5;
    for (int i = 0; i < n; i++)
        out[o++] = '[';
    for (int i = 0; i < n; i++)
        out[o++] = ']';
    out[o++] = '}';
    out[o] = '\0';
}

static void depth_limit(void **state)
{
    char text[128];
    json_t *v = NULL;

    nested(text, HTTP_JSON_MAX_DEPTH - 1);
    assert_int_equal(parse(text, &v), 0);
    json_decref(v);
    nested(text, HTTP_JSON_MAX_DEPTH);
    assert_int_equal(parse(text, &v), ERR_INVALID);
    assert_null(v);
    /* brackets inside strings do not count */
    assert_int_equal(parse("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", &v), 0);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(content_type),
        cmocka_unit_test(objects_only),
        cmocka_unit_test(depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
