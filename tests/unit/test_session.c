#include "testutil.h"

#include "core/ratelimit.h"
#include "core/session.h"
#include "util/err.h"

static const struct session_policy policy = {
    .idle = 100, .lifetime = 1000, .max_failures = 3, .window = 60, .pw = {1, 8192}};

/* session_login() with its inputs and outputs spread out, as these tests read best. */
static int login(struct store *st, const struct session_policy *p, const char *username,
                 const char *pw, size_t pwlen, const char *addr, int64_t now,
                 char token[SESSION_TOKEN_LEN + 1], struct user *user, int64_t *retry_after,
                 char *recovery)
{
    struct session_signin in = {.username = username,
                                .pw = pw,
                                .pwlen = pwlen,
                                .addr = addr,
                                .now = now,
                                .recovery = recovery};
    int rc = session_login(st, p, &in);

    memcpy(token, in.token, sizeof(in.token));
    *user = in.user;
    *retry_after = in.retry_after;
    return rc;
}

static void expiry_is_pure(void **state)
{
    struct session s = {.created_at = 0, .last_seen = 500};

    assert_false(session_expired(&s, &policy, 599));
    assert_true(session_expired(&s, &policy, 600));
    s.last_seen = 950;
    assert_false(session_expired(&s, &policy, 999));
    assert_true(session_expired(&s, &policy, 1000));
}

/* The moment session_expired() starts to hold, if the session is not used again. */
static void expiry_moment(void **state)
{
    struct session s = {.created_at = 0, .last_seen = 500};

    /* the idle limit comes first */
    assert_int_equal(session_expires_at(&s, &policy), 500 + policy.idle);
    assert_false(session_expired(&s, &policy, session_expires_at(&s, &policy) - 1));
    assert_true(session_expired(&s, &policy, session_expires_at(&s, &policy)));
    /* then the lifetime */
    s.last_seen = 950;
    assert_int_equal(session_expires_at(&s, &policy), policy.lifetime);
    assert_false(session_expired(&s, &policy, session_expires_at(&s, &policy) - 1));
    assert_true(session_expired(&s, &policy, session_expires_at(&s, &policy)));
}

/* A session's use is written often enough that it never ends while in use, even when the
 * idle timeout is shorter than SESSION_TOUCH_EVERY. */
static void touch_interval(void **state)
{
    struct session_policy p = policy;

    p.idle = 1800;
    assert_int_equal(session_touch_every(&p), SESSION_TOUCH_EVERY);
    p.idle = 12;
    assert_int_equal(session_touch_every(&p), 3);
    p.idle = 2;
    assert_int_equal(session_touch_every(&p), 1);
    p.idle = 0;
    assert_int_equal(session_touch_every(&p), 1);
    (void)state;
}

static void ratelimit_policy(void **state)
{
    /* free attempts; then 30 s after the newest failure, doubling, at most the window */
    assert_int_equal(ratelimit_retry_after(2, 100, 3, 900, 101), 0);
    assert_int_equal(ratelimit_retry_after(3, 100, 3, 900, 110), 20);
    assert_int_equal(ratelimit_retry_after(3, 100, 3, 900, 130), 0); /* the wait is over */
    assert_int_equal(ratelimit_retry_after(4, 100, 3, 900, 100), 60);
    assert_int_equal(ratelimit_retry_after(6, 100, 3, 900, 100), 240);
    assert_int_equal(ratelimit_retry_after(9, 100, 3, 900, 100), 900);
    assert_int_equal(ratelimit_retry_after(500, 100, 3, 900, 100), 900);
    assert_int_equal(ratelimit_retry_after(9, 100, 3, 60, 130), 30); /* capped at the window */
    assert_int_equal(ratelimit_retry_after(9, 100, 3, 20, 110), 10);
}

static void login_lookup_logout(void **state)
{
    char dir[64], token[SESSION_TOKEN_LEN + 1], token2[SESSION_TOKEN_LEN + 1];
    struct store *st = testutil_store(dir);
    struct user u, who;
    struct session s;
    int64_t retry = 0;

    assert_int_equal(user_create_enrolled(st, &policy.pw, "carol", ROLE_OFFICER, "", "",
                                          "password-1", 10, 0, &u, NULL, 0),
                     0);
    assert_int_equal(
        login(st, &policy, "carol", "password-1", 10, "1.2.3.4", 10, token, &who, &retry, NULL), 0);
    assert_int_equal(strlen(token), SESSION_TOKEN_LEN);
    assert_int_equal(who.id, u.id);
    assert_int_equal(
        login(st, &policy, "carol", "password-1", 10, "1.2.3.4", 10, token2, &who, &retry, NULL),
        0);
    assert_string_not_equal(token, token2);

    assert_int_equal(session_lookup(st, &policy, token, 50, &s, &who), 0);
    assert_string_equal(who.username, "carol");
    /* touched at 50 is below SESSION_TOUCH_EVERY: idle counts from 10 */
    assert_int_equal(session_lookup(st, &policy, token, 109, &s, &who), 0);
    assert_int_equal(s.last_seen, 109);
    assert_int_equal(session_lookup(st, &policy, token, 208, &s, &who), 0);
    assert_int_equal(session_lookup(st, &policy, token, 400, &s, &who), ERR_UNAUTH);
    /* expired sessions are deleted */
    assert_int_equal(session_lookup(st, &policy, token, 208, &s, &who), ERR_UNAUTH);

    assert_int_equal(session_lookup(st, &policy, "short", 20, &s, &who), ERR_UNAUTH);
    assert_int_equal(session_logout(st, token2), 0);
    assert_int_equal(session_lookup(st, &policy, token2, 20, &s, &who), ERR_UNAUTH);
    store_close(st);
    testutil_rmdir(dir);
}

static void failures_throttle(void **state)
{
    char dir[64], token[SESSION_TOKEN_LEN + 1];
    struct store *st = testutil_store(dir);
    struct user who;
    int64_t retry = 0;

    assert_int_equal(user_create_enrolled(st, &policy.pw, "dan", ROLE_STAFF, "", "", "password-1",
                                          10, 0, NULL, NULL, 0),
                     0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(st, &policy, "dan", "wrong-pass", 10, "9.9.9.9", 100 + i, token,
                               &who, &retry, NULL),
                         ERR_UNAUTH);
    /* the next attempt waits 30 s after the newest failure, even with the right password */
    assert_int_equal(
        login(st, &policy, "dan", "password-1", 10, "8.8.8.8", 110, token, &who, &retry, NULL),
        ERR_RATE);
    assert_int_equal(retry, 22);
    /* the address has four times the allowance: other accounts behind it are not held up */
    assert_int_equal(
        login(st, &policy, "eve", "x-password", 10, "9.9.9.9", 110, token, &who, &retry, NULL),
        ERR_UNAUTH);
    /* once the wait is over, the right password gets in (no lock-out), and clears the count */
    assert_int_equal(
        login(st, &policy, "dan", "password-1", 10, "8.8.8.8", 132, token, &who, &retry, NULL), 0);
    assert_int_equal(
        login(st, &policy, "dan", "wrong-pass", 10, "8.8.8.8", 133, token, &who, &retry, NULL),
        ERR_UNAUTH);
    /* a wrong one after the wait doubles it */
    for (int i = 0; i < 2; i++)
        assert_int_equal(login(st, &policy, "dan", "wrong-pass", 10, "8.8.8.8", 134 + i, token,
                               &who, &retry, NULL),
                         ERR_UNAUTH);
    assert_int_equal(
        login(st, &policy, "dan", "password-1", 10, "8.8.8.8", 165, token, &who, &retry, NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(st, &policy, "dan", "wrong-pass", 10, "8.8.8.8", 170 + i, token,
                               &who, &retry, NULL),
                         ERR_UNAUTH);
    assert_int_equal(
        login(st, &policy, "dan", "wrong-pass", 10, "8.8.8.8", 202, token, &who, &retry, NULL),
        ERR_UNAUTH);
    assert_int_equal(
        login(st, &policy, "dan", "password-1", 10, "8.8.8.8", 203, token, &who, &retry, NULL),
        ERR_RATE);
    assert_int_equal(retry, 59); /* 60 s after the failure at 202 (the window caps it) */
    /* the address: twelve failures free, then it waits too */
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof(name), "eve%d", i);
        assert_int_equal(login(st, &policy, name, "x-password", 10, "9.9.9.9", 111 + i, token, &who,
                               &retry, NULL),
                         ERR_UNAUTH);
    }
    assert_int_equal(
        login(st, &policy, "fay", "x-password", 10, "9.9.9.9", 121, token, &who, &retry, NULL),
        ERR_RATE);
    /* unknown users fail like wrong passwords */
    assert_int_equal(
        login(st, &policy, "nobody", "password-1", 10, "7.7.7.7", 161, token, &who, &retry, NULL),
        ERR_UNAUTH);
    store_close(st);
    testutil_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expiry_is_pure),      cmocka_unit_test(expiry_moment),
        cmocka_unit_test(touch_interval),      cmocka_unit_test(ratelimit_policy),
        cmocka_unit_test(login_lookup_logout), cmocka_unit_test(failures_throttle),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
