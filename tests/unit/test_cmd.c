/*
 * test_cmd.c - the one option parser of the subcommands (cmd/cmd.h cmd_parse()).
 */
#include "testutil.h"

#include "cmd/cmd.h"

#include <stdio.h>

struct parsed {
    struct cmd_store_args sa;
    const char *limit;
    bool force;
    struct cmd_list keys;
};

static int parse(struct parsed *p, int argc, char **argv, char ***rest, int *nrest)
{
    const struct cmd_opt opts[] = {CMD_STORE_OPTS(&p->sa),
                                   {"limit", "N", "how many", &p->limit, NULL, NULL},
                                   {"force", NULL, "do it anyway", NULL, &p->force, NULL},
                                   {"key", "K", "a key (repeat)", NULL, NULL, &p->keys},
                                   {NULL, NULL, NULL, NULL, NULL, NULL}};

    memset(p, 0, sizeof(*p));
    return cmd_parse("dissent thing [OPTIONS] NAME", opts, argc, argv, 1, rest, nrest);
}

static void options_and_positionals(void **state)
{
    char *argv[] = {"thing",   "--data", "/d", "first",           "--limit=5",
                    "--force", "second", "--", "--not-an-option", NULL};
    struct parsed p;
    char **rest = NULL;
    int nrest = 0;

    (void)state;
    assert_int_equal(parse(&p, 9, argv, &rest, &nrest), 0);
    assert_string_equal(p.sa.data, "/d");
    assert_null(p.sa.config);
    assert_null(p.sa.db);
    assert_string_equal(p.limit, "5");
    assert_true(p.force);
    assert_int_equal(nrest, 3);
    assert_string_equal(rest[0], "first");
    assert_string_equal(rest[1], "second");
    assert_string_equal(rest[2], "--not-an-option");
    /* reordered, never overwritten: every word is still there */
    const char *want[] = {"thing",   "--data", "/d", "first",          "--limit=5",
                          "--force", "second", "--", "--not-an-option"};
    for (size_t i = 0; i < 9; i++) {
        bool found = false;
        for (size_t j = 0; j < 9; j++)
            found = found || strcmp(argv[j], want[i]) == 0;
        assert_true(found);
    }
}

static void a_list_option_repeats(void **state)
{
    char *argv[] = {"thing", "--key", "a", "x", "--key=b", "--key", "c", NULL},
         *missing[] = {"thing", "--key", "a", "--key", NULL};
    char *many[CMD_LIST_MAX + 3];
    struct parsed p;
    char **rest = NULL;
    int nrest = 0;

    (void)state;
    assert_int_equal(parse(&p, 7, argv, &rest, &nrest), 0);
    assert_int_equal(p.keys.n, 3);
    assert_string_equal(p.keys.v[0], "a");
    assert_string_equal(p.keys.v[1], "b");
    assert_string_equal(p.keys.v[2], "c");
    assert_int_equal(nrest, 1);
    assert_string_equal(rest[0], "x");
    assert_int_equal(parse(&p, 4, missing, &rest, &nrest), 2);
    /* at most CMD_LIST_MAX values */
    many[0] = "thing";
    for (int i = 1; i <= CMD_LIST_MAX + 1; i++)
        many[i] = "--key=v";
    many[CMD_LIST_MAX + 2] = NULL;
    assert_int_equal(parse(&p, CMD_LIST_MAX + 1, many, &rest, &nrest), 0);
    assert_int_equal(p.keys.n, CMD_LIST_MAX);
    assert_int_equal(parse(&p, CMD_LIST_MAX + 2, many, &rest, &nrest), 2);
}

static void refusals_and_help(void **state)
{
    char *unknown[] = {"thing", "--nope", NULL}, *missing[] = {"thing", "--data", NULL},
         *twice[] = {"thing", "--db", "a", "--db=b", NULL},
         *flag_value[] = {"thing", "--force=yes", NULL}, *help[] = {"thing", "x", "--help", NULL},
         *short_opt[] = {"thing", "-x", NULL}, *abbrev[] = {"thing", "--lim", "3", NULL},
         *dash[] = {"thing", "-", NULL};
    struct parsed p;
    char **rest = NULL;
    int nrest = 0;

    (void)state;
    assert_int_equal(parse(&p, 2, unknown, &rest, &nrest), 2);
    assert_int_equal(parse(&p, 2, missing, &rest, &nrest), 2);
    assert_int_equal(parse(&p, 4, twice, &rest, &nrest), 2);
    assert_int_equal(parse(&p, 2, flag_value, &rest, &nrest), 2);
    assert_int_equal(parse(&p, 3, help, &rest, &nrest), 1);
    assert_int_equal(parse(&p, 2, short_opt, &rest, &nrest), 2); /* no short options */
    assert_int_equal(parse(&p, 3, abbrev, &rest, &nrest), 2);    /* nor abbreviations */
    assert_int_equal(parse(&p, 2, dash, &rest, &nrest), 0);      /* "-": standard input */
    assert_int_equal(nrest, 1);
    assert_string_equal(rest[0], "-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_and_positionals),
        cmocka_unit_test(refusals_and_help),
        cmocka_unit_test(a_list_option_repeats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
