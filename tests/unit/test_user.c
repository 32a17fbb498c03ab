#include "testutil.h"

#include "core/user.h"
#include "crypto/password.h"
#include "util/err.h"

static const struct pw_params fast = {1, 8192};

static void roles(void **state)
{
    unsigned r = 0;

    assert_int_equal(user_roles_parse("staff", &r), 0);
    assert_int_equal(r, ROLE_STAFF);
    assert_int_equal(user_roles_parse("staff,officer,admin", &r), 0);
    assert_int_equal(r, ROLE_STAFF | ROLE_OFFICER | ROLE_ADMIN);
    assert_int_equal(user_roles_parse("staff,staff", &r), ERR_INVALID);
    assert_int_equal(user_roles_parse("staff,", &r), ERR_INVALID);
    assert_int_equal(user_roles_parse("", &r), ERR_INVALID);
    assert_int_equal(user_roles_parse("root", &r), ERR_INVALID);
    assert_int_equal(user_roles_parse("Staff", &r), ERR_INVALID);
    assert_string_equal(user_role_name(ROLE_AUDITOR), "auditor");
    assert_null(user_role_name(ROLE_STAFF | ROLE_ADMIN));
}

static void field_rules(void **state)
{
    char name[70];

    assert_true(user_username_valid("a"));
    assert_true(user_username_valid("j.doe_2-x"));
    assert_false(user_username_valid(""));
    assert_false(user_username_valid("Alice"));
    assert_false(user_username_valid("a b"));
    assert_false(user_username_valid("a/b"));
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_true(user_username_valid(name));
    name[64] = 'a';
    name[65] = '\0';
    assert_false(user_username_valid(name));

    assert_true(user_display_name_valid("Zo\xc3\xab Smith"));
    assert_false(user_display_name_valid("two\nlines"));
    assert_false(user_display_name_valid("\xff"));
    assert_true(user_email_valid(""));
    assert_true(user_email_valid("a@b.example"));
    assert_false(user_email_valid("a@"));
    assert_false(user_email_valid("@b"));
    assert_false(user_email_valid("a b@c"));
    assert_false(user_email_valid("a@b@c"));
    /* the one rule (str_email_valid()): what cannot go in a header is no account's address */
    assert_false(user_email_valid("a<b>@c.example"));
    assert_false(user_email_valid("\"a\"@c.example"));
    assert_false(user_email_valid("a@c.example,b@c.example"));
    assert_true(user_password_valid("12345678", 8));
    assert_false(user_password_valid("1234567", 7));
}

static void create_and_disable(void **state)
{
    char dir[64], err[128] = "";
    struct store *st = testutil_store(dir);
    struct user u, got;
    struct session s = {.user_id = 0, .created_at = 1, .last_seen = 1};

    assert_int_equal(user_create_enrolled(st, &fast, "alice", ROLE_STAFF, "Alice", "a@x.example",
                                          "password1", 9, 1000, &u, err, sizeof(err)),
                     0);
    assert_true(u.id > 0);
    assert_int_equal(u.version, 1);
    assert_int_equal(store_user_get_by_name(st, "alice", &got), 0);
    assert_string_equal(got.display_name, "Alice");
    assert_int_equal(password_verify(got.pwhash, "password1", 9), 0);

    assert_int_equal(user_create_enrolled(st, &fast, "alice", ROLE_STAFF, "", "", "password1", 9,
                                          1000, NULL, err, sizeof(err)),
                     ERR_EXISTS);
    assert_non_null(strstr(err, "username"));
    assert_int_equal(user_create_enrolled(st, &fast, "Bob", ROLE_STAFF, "", "", "password1", 9,
                                          1000, NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(user_create_enrolled(st, &fast, "bob", 0, "", "", "password1", 9, 1000, NULL,
                                          err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "roles"));
    assert_int_equal(user_create_enrolled(st, &fast, "bob", ROLE_STAFF, "", "", "short", 5, 1000,
                                          NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "password"));
    assert_int_equal(store_user_get_by_name(st, "bob", &got), ERR_NOT_FOUND);

    s.user_id = u.id;
    memset(s.hash, 7, sizeof(s.hash));
    assert_int_equal(store_session_create(st, &s), 0);
    assert_int_equal(user_disable(st, "alice", 2000), 0);
    assert_int_equal(store_user_get_by_name(st, "alice", &got), 0);
    assert_true(got.disabled);
    assert_int_equal(got.version, 2);
    assert_int_equal(store_session_get(st, s.hash, &s), ERR_NOT_FOUND);
    assert_int_equal(user_disable(st, "nobody", 2000), ERR_NOT_FOUND);
    store_close(st);
    testutil_rmdir(dir);
}

static void first_admin_once(void **state)
{
    char dir[64], pw[32];
    struct store *st = testutil_store(dir);
    struct user got;
    bool created = false;

    assert_int_equal(user_ensure_admin(st, &fast, 5, pw, sizeof(pw), &created), 0);
    assert_true(created);
    assert_int_equal(strlen(pw), 20);
    assert_int_equal(store_user_get_by_name(st, "admin", &got), 0);
    assert_int_equal(got.roles, ROLE_ADMIN);
    assert_int_equal(password_verify(got.pwhash, pw, strlen(pw)), 0);
    assert_int_equal(user_ensure_admin(st, &fast, 5, pw, sizeof(pw), &created), 0);
    assert_false(created);
    store_close(st);
    testutil_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roles),
        cmocka_unit_test(field_rules),
        cmocka_unit_test(create_and_disable),
        cmocka_unit_test(first_admin_once),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
