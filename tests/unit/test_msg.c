/*
 * util/msg.h: the server's messages in their reader's language (issue 23): the catalogs'
 * lookups, the thread's language chosen at its first message, Accept-Language, and CLDR's
 * plural rules held against ICU's (node's Intl.PluralRules).
 */
#include "testutil.h"

#include "util/err.h"
#include "util/msg.h"

#include <stdio.h>
#include <string.h>

static bool known(const char *code)
{
    return msg_known(code);
}

static void accept_language(void **state)
{
    char out[8];

    assert_int_equal(msg_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", known, out,
                                         sizeof(out)),
                     0);
    assert_string_equal(out, "fr");
    /* by quality, not order; the first of equal qualities */
    assert_int_equal(msg_accept_language("en;q=0.2, ar;q=0.9, de;q=0.9", known, out, sizeof(out)),
                     0);
    assert_string_equal(out, "ar");
    /* a language Dissent does not speak is passed over; case does not matter */
    assert_int_equal(msg_accept_language("ja, ES-419;Q=0.5", known, out, sizeof(out)), 0);
    assert_string_equal(out, "es");
    /* q=0 means "not this one" */
    assert_int_equal(msg_accept_language("fr;q=0, de;q=0.001", known, out, sizeof(out)), 0);
    assert_string_equal(out, "de");
    /* nothing usable */
    assert_int_equal(msg_accept_language("ja, zh;q=0.5, *", known, out, sizeof(out)),
                     ERR_NOT_FOUND);
    assert_int_equal(msg_accept_language(NULL, known, out, sizeof(out)), ERR_NOT_FOUND);
    assert_int_equal(msg_accept_language("", known, out, sizeof(out)), ERR_NOT_FOUND);
    /* malformed ranges are skipped, not fatal */
    assert_int_equal(
        msg_accept_language("fr;q=2, fr;x=1, de;q=0.5x, es ;q=0.3", known, out, sizeof(out)), 0);
    assert_string_equal(out, "es");
    assert_int_equal(msg_accept_language("francais, deutschland", known, out, sizeof(out)),
                     ERR_NOT_FOUND);
    /* over 1,024 bytes: not read at all */
    char big[1100];
    memset(big, ' ', sizeof(big) - 4);
    memcpy(big + sizeof(big) - 4, ",fr", 4);
    assert_int_equal(msg_accept_language(big, known, out, sizeof(out)), ERR_NOT_FOUND);
    /* only the first 32 ranges are read */
    char many[400];
    for (int i = 0; i < 40; i++)
        memcpy(many + 3 * i, "ja,", 3);
    memcpy(many + 120, "fr", 3);
    assert_int_equal(msg_accept_language(many, known, out, sizeof(out)), ERR_NOT_FOUND);
}

static void catalogs(void **state)
{
    const char *e = "email is not a valid address";

    assert_true(msg_known("en") && msg_known("fr") && msg_known("de") && msg_known("es") &&
                msg_known("ar"));
    assert_false(msg_known("ja") || msg_known("") || msg_known(NULL) || msg_known("EN"));
    /* English and unknown languages give the English itself */
    assert_ptr_equal(msg_in("en", e), e);
    assert_ptr_equal(msg_in("ja", e), e);
    assert_ptr_equal(msg_in(NULL, e), e);
    /* every catalog has them, in its own words, a field's name kept where it leads */
    const char *codes[] = {"fr", "de", "es", "ar"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_not_equal(msg_in(codes[i], e), e);
        const char *t = msg_in(codes[i], "usernames: 1 to %d names");
        assert_string_not_equal(t, "usernames: 1 to %d names");
        assert_int_equal(strncmp(t, "usernames: ", 11), 0);
    }
    /* a format no catalog knows (made at run time) is itself */
    assert_string_equal(msg_in("fr", "no such message %d"), "no such message %d");
    /* the English table is sorted, for bsearch */
    for (unsigned i = 1; i < msg_count; i++)
        assert_true(strcmp(msg_english[i - 1], msg_english[i]) < 0);
}

static int choose_fr(void *arg, char *out, size_t len, bool *final)
{
    (*(int *)arg)++;
    snprintf(out, len, "fr");
    *final = true;
    return 0;
}

static int choose_later(void *arg, char *out, size_t len, bool *final)
{
    int *calls = arg;
    (*calls)++;
    /* provisional (English) at the first question, German from the second on */
    snprintf(out, len, "%s", *calls == 1 ? "" : "de");
    *final = *calls > 1;
    return 0;
}

static void thread_language(void **state)
{
    const char *e = "email is not a valid address";
    char buf[256];
    int calls = 0;

    /* English unless told */
    assert_ptr_equal(tr(e), e);
    /* no message, no question */
    msg_thread_chooser(choose_fr, &calls);
    assert_int_equal(calls, 0);
    err_set(buf, sizeof(buf), "email is not a valid address");
    assert_string_equal(buf, msg_in("fr", e));
    assert_ptr_equal(tr(e), msg_in("fr", e));
    assert_int_equal(calls, 1); /* asked once */
    msg_thread_chooser(NULL, NULL);
    assert_ptr_equal(tr(e), e);

    calls = 0;
    msg_thread_chooser(choose_later, &calls);
    assert_ptr_equal(tr(e), e);
    assert_ptr_equal(tr(e), msg_in("de", e));
    assert_ptr_equal(tr(e), msg_in("de", e));
    assert_int_equal(calls, 2);
    msg_thread_chooser(NULL, NULL);
}

static void plural_messages(void **state)
{
#define one "%zu file is still being uploaded: finish it or remove it before finalizing"
#define other "%zu files are still being uploaded: finish them or remove them before finalizing"
    char buf[256];

    assert_ptr_equal(msg_in_n("en", 1, one, other), one);
    assert_ptr_equal(msg_in_n("en", 0, one, other), other);
    assert_ptr_equal(msg_in_n("en", 2, one, other), other);
    /* Arabic has a form for each of 0, 1, 2, 3-10, 11-99 and 100 */
    const char *ar[6];
    unsigned long long ns[6] = {0, 1, 2, 3, 11, 100};
    for (int i = 0; i < 6; i++) {
        ar[i] = msg_in_n("ar", ns[i], one, other);
        assert_ptr_not_equal(ar[i], one);
        assert_ptr_not_equal(ar[i], other);
        snprintf(buf, sizeof(buf), msg_in_n("ar", ns[i], one, other), (size_t)ns[i]);
        char num[24];
        snprintf(num, sizeof(num), "%llu", ns[i]);
        assert_non_null(strstr(buf, num));
        /* one, two, few, many and other each have their own form (zero may be other's) */
        for (int j = 1; j < i; j++)
            assert_string_not_equal(ar[i], ar[j]);
    }
    /* French: 0 and 1 are singular */
    assert_ptr_equal(msg_in_n("fr", 0, one, other), msg_in_n("fr", 1, one, other));
    assert_ptr_not_equal(msg_in_n("fr", 2, one, other), msg_in_n("fr", 1, one, other));
#undef one
#undef other
}

/* CLDR's rules against ICU's, through node: every n in 0..1100 and some large ones. */
static void plural_rules_match_icu(void **state)
{
    static const char *const codes[] = {"en", "fr", "de", "es", "ar"};
    char cmd[1024], line[64];
    unsigned long long big[] = {1000000, 2000000, 1000001, 100000000, 1000100, 3000000000ULL};

    for (size_t c = 0; c < 5; c++) {
        snprintf(cmd, sizeof(cmd),
                 "node -e 'const p = new Intl.PluralRules(\"%s\"); "
                 "for (let n = 0; n <= 1100; n++) console.log(p.select(n)); "
                 "for (const n of [1000000, 2000000, 1000001, 100000000, 1000100, 3000000000]) "
                 "console.log(p.select(n));'",
                 codes[c]);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        unsigned long long n = 0;
        unsigned count = 0;
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            unsigned long long v = n <= 1100 ? n : big[n - 1101];
            if (strcmp(msg_plural_name(msg_plural(codes[c], v)), line) != 0)
                fail_msg("%s: %llu is %s for ICU, %s here", codes[c], v, line,
                         msg_plural_name(msg_plural(codes[c], v)));
            n++;
            count++;
        }
        assert_int_equal(pclose(f), 0);
        assert_int_equal(count, 1101 + 6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_language),        cmocka_unit_test(catalogs),
        cmocka_unit_test(thread_language),        cmocka_unit_test(plural_messages),
        cmocka_unit_test(plural_rules_match_icu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
