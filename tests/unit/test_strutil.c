#include "testutil.h"

#include "util/err.h"
#include "util/strutil.h"

static void copy_fits_and_truncates(void **state)
{
    char buf[6];

    assert_int_equal(str_copy(buf, sizeof(buf), "hello"), 0);
    assert_string_equal(buf, "hello");
    assert_int_equal(str_copy(buf, sizeof(buf), "hello!"), ERR_TOO_LARGE);
    assert_string_equal(buf, "hello");
    assert_int_equal(str_copy(buf, 0, "x"), ERR_TOO_LARGE);
}

static void parse_i64_limits(void **state)
{
    int64_t v = 7;

    assert_int_equal(str_parse_i64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(str_parse_i64("-1", 0, 100, &v), ERR_INVALID);
    assert_int_equal(str_parse_i64("101", 0, 100, &v), ERR_INVALID);
    assert_int_equal(str_parse_i64("4x", 0, 100, &v), ERR_INVALID);
    assert_int_equal(str_parse_i64("", 0, 100, &v), ERR_INVALID);
    assert_int_equal(str_parse_i64("99999999999999999999", 0, INT64_MAX, &v), ERR_INVALID);
    assert_int_equal(v, 42);
}

static void parse_bool(void **state)
{
    bool b = false;

    assert_int_equal(str_parse_bool("yes", &b), 0);
    assert_true(b);
    assert_int_equal(str_parse_bool("OFF", &b), 0);
    assert_false(b);
    assert_int_equal(str_parse_bool("maybe", &b), ERR_INVALID);
}

static void parse_hostport(void **state)
{
    char host[64];
    int port = -1;

    assert_int_equal(str_parse_hostport("127.0.0.1:8080", host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(str_parse_hostport("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(str_parse_hostport("localhost", host, sizeof(host), &port), ERR_INVALID);
    assert_int_equal(str_parse_hostport(":80", host, sizeof(host), &port), ERR_INVALID);
    assert_int_equal(str_parse_hostport("h:65536", host, sizeof(host), &port), ERR_INVALID);
    assert_int_equal(str_parse_hostport("[::1]80", host, sizeof(host), &port), ERR_INVALID);
}

static void utf8(void **state)
{
    assert_true(str_utf8_valid("plain", 5));
    assert_true(str_utf8_valid("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", 14));
    assert_false(str_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(str_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(str_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(str_utf8_valid("\xf4\x90\x80\x80", 4)); /* beyond U+10FFFF */
    assert_false(str_utf8_valid("a\0b", 3));             /* NUL */
    assert_false(str_utf8_valid("\xff", 1));
}

/* Folding for a search: ASCII and Latin-1 capitals, in place, lengths kept; matches start on a
 * character, never inside one. */
static void fold_and_contains(void **state)
{
    char s[] = "R\xC3\x89SUM\xC3\x89 \xC3\x97 \xC3\x9E Zz \xCE\x91"; /* RÉSUMÉ × Þ Zz Α */
    const char *want = "r\xC3\xA9sum\xC3\xA9 \xC3\x97 \xC3\xBE zz \xCE\x91";
    char tail[] = "A\xC3";

    (void)state;
    str_fold(s, strlen(s));
    assert_string_equal(s, want);
    str_fold(tail, strlen(tail)); /* a lead byte at the end is left alone */
    assert_string_equal(tail, "a\xC3");
    assert_true(str_contains(s, strlen(s), "sum\xC3\xA9", 5));
    assert_true(str_contains(s, strlen(s), "", 0));
    assert_false(str_contains(s, strlen(s), "SUM", 3));
    assert_false(str_contains("ab", 2, "abc", 3));
    /* the continuation byte 0xA9 of "é" is no start of a match */
    assert_false(str_contains("\xC3\xA9", 2, "\xA9", 1));
    assert_true(str_contains("x\xC3\xA9", 3, "\xC3\xA9", 2));
    assert_true(str_blank(""));
    assert_true(str_blank(" \t\r\n"));
    assert_false(str_blank("  x "));
}

static void hex_groups_round_trip(void **state)
{
    const uint8_t raw[8] = {0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0xff};
    uint8_t back[8];
    char text[2 * 8 + 8 / 4];

    str_hex_groups(text, raw, sizeof(raw));
    assert_string_equal(text, "0a1b2c3d-4e5f60ff");
    assert_true(str_hex_groups_parse(text, back, sizeof(back)));
    assert_memory_equal(back, raw, sizeof(raw));
    /* dashes, spaces and case do not matter */
    assert_true(str_hex_groups_parse(" 0A1B 2C3D4e5F-60-FF", back, sizeof(back)));
    assert_memory_equal(back, raw, sizeof(raw));
    /* too short, too long, not hex */
    assert_false(str_hex_groups_parse("0a1b2c3d-4e5f60f", back, sizeof(back)));
    assert_false(str_hex_groups_parse("0a1b2c3d-4e5f60ff0", back, sizeof(back)));
    assert_false(str_hex_groups_parse("0a1b2c3d-4e5f60fg", back, sizeof(back)));
    assert_false(str_hex_groups_parse("", back, sizeof(back)));
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_fits_and_truncates), cmocka_unit_test(hex_groups_round_trip),
        cmocka_unit_test(parse_i64_limits),        cmocka_unit_test(parse_bool),
        cmocka_unit_test(parse_hostport),          cmocka_unit_test(utf8),
        cmocka_unit_test(fold_and_contains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
