/*
 * The API's gatekeeping, driven by the one route table: every route is tried by every role and
 * without a session, and must answer 401/403 exactly as its table row says.
 */
#include "testutil.h"

#include "api/api.h"
#include "util/err.h"

#include <stdio.h>
#include <time.h>

static char dir[64];
static struct store *st;
static struct config cfg;
static struct channel ch;
static struct api_env env;

/* one account per role, named after it; the head is an officer too */
static const unsigned role_bits[ROLE_COUNT] = {ROLE_STAFF,   ROLE_OFFICER, ROLE_PRINCIPAL,
                                               ROLE_AUDITOR, ROLE_ADMIN,   ROLE_OFFICER | ROLE_HEAD,
                                               ROLE_RECORDS};
static const char *const role_users[ROLE_COUNT] = {"staff", "officer", "principal", "auditor",
                                                   "admin", "head",    "records"};

static int setup(void **state)
{
    st = testutil_store(dir);
    config_defaults(&cfg);
    snprintf(cfg.timezone, sizeof(cfg.timezone), "UTC"); /* the times below are UTC's */
    cfg.argon2_ops = 1;
    cfg.argon2_mem = 8192;
    /* no role needs TOTP here (the state-dept preset would ask it of officers and admins) */
    snprintf(cfg.require_2fa, sizeof(cfg.require_2fa), "none");
    if (channel_init(&ch, &cfg, dir, NULL, 0) != 0)
        return -1;
    api_env_init(&env, st, &cfg, &ch);
    for (int i = 0; i < ROLE_COUNT; i++) {
        const char *name = role_users[i];
        if (user_create_enrolled(st, &env.pw, name, role_bits[i], "", "", "password-1", 10, 1, NULL,
                                 NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    api_env_release(&env);
    channel_release(&ch);
    store_close(st);
    testutil_rmdir(dir);
    return 0;
}

/* A fresh session cookie for @username. */
static void cookie_for(const char *username, char *cookie, size_t len)
{
    /* the API runs on the channel's clock, which is the real one here */
    struct session_signin in = {.username = username,
                                .pw = "password-1",
                                .pwlen = 10,
                                .addr = "127.0.0.1",
                                .now = channel_now(&ch)};

    assert_int_equal(session_login(st, &env.policy, &in), 0);
    snprintf(cookie, len, "dissent_session=%s", in.token);
}

/* Run one request through prepare (and run, when slow); returns the status. */
static int call(struct api_req *req, struct api_resp *resp)
{
    snprintf(req->addr, sizeof(req->addr), "127.0.0.1");
    if (req->method_name == NULL)
        req->method_name = "GET";
    if (api_prepare(&env, req, resp) == API_SLOW)
        api_run(&env, req, resp);
    return resp->status;
}

static void fill_path(const char *pattern, char *out, size_t len)
{
    size_t o = 0;

    for (const char *p = pattern; *p && o + 8 < len; p++) {
        if (*p == '{') {
            /* a user that exists; a memo id that is well formed but does not */
            o += (size_t)snprintf(out + o, len - o, "%s",
                                  p[1] == 'i' ? "000000000000000000000000" : "admin");
            p = strchr(p, '}');
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void table_is_well_formed(void **state)
{
    size_t n;
    const struct api_route *r = api_routes(&n);

    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(r[i].methods != 0 && (r[i].methods & (r[i].methods - 1)) == 0);
        assert_int_equal(r[i].pattern[0], '/');
        assert_non_null(r[i].handler);
        assert_int_equal(r[i].roles & ~ROLE_ALL, 0);
        for (size_t j = 0; j < i; j++)
            assert_false(r[i].methods == r[j].methods && strcmp(r[i].pattern, r[j].pattern) == 0);
    }
}

static void every_route_enforces_its_roles(void **state)
{
    size_t n;
    const struct api_route *r = api_routes(&n);

    for (size_t i = 0; i < n; i++) {
        char path[256];
        fill_path(r[i].pattern, path, sizeof(path));
        for (int k = -1; k < ROLE_COUNT; k++) {
            struct api_req req = {0};
            struct api_resp resp = {0};
            char cookie[128];
            int status;

            req.method = (enum api_method)r[i].methods;
            req.path = path;
            req.requested_with = "dissent";
            if (r[i].flags & API_R_JSON) {
                req.body = "{}";
                req.body_len = 2;
                req.content_type = "application/json";
            }
            if (r[i].flags & API_R_RAW) { /* a file's part */
                req.body = "x";
                req.body_len = 1;
                req.content_type = "application/octet-stream";
            }
            if (k >= 0) {
                cookie_for(role_users[k], cookie, sizeof(cookie));
                req.cookie = cookie;
            }
            status = call(&req, &resp);
            /* the log's routes are public while [tlog] public is on (the default) */
            bool pub = (r[i].flags & API_R_PUBLIC) || ((r[i].flags & API_R_LOG) && ch.log_public);
            if (k < 0) {
                if (pub)
                    assert_int_not_equal(status, 401);
                else
                    assert_int_equal(status, 401);
            } else if (!pub && r[i].roles != 0 && !(r[i].roles & role_bits[k])) {
                assert_int_equal(status, 403);
            } else if (r[i].rel != 0) {
                /* allowed by role, and the memo does not exist: 404, never 401/403 */
                assert_int_equal(status, 404);
            } else {
                if (status == 401 || status == 403)
                    fail_msg("%s %s as %s: %d", req.method == API_GET ? "GET" : "write",
                             r[i].pattern, role_users[k], status);
            }
            api_req_release(&req);
            api_resp_release(&resp);
        }
    }
}

static const char *error_code(struct api_resp *resp)
{
    return json_string_value(json_object_get(json_object_get(resp->body, "error"), "code"));
}

static void not_found_and_method(void **state)
{
    struct api_req req = {.method = API_GET, .path = "/api/v1/nope"};
    struct api_resp resp = {0};

    assert_int_equal(call(&req, &resp), 404);
    assert_string_equal(error_code(&resp), "not_found");
    api_resp_release(&resp);

    req.method = API_PUT;
    req.path = "/api/v1/users";
    assert_int_equal(call(&req, &resp), 405);
    assert_string_equal(resp.allow, "GET, HEAD, POST");
    assert_string_equal(error_code(&resp), "method_not_allowed");
    api_resp_release(&resp);
}

static void csrf_and_bodies(void **state)
{
    struct api_req req = {0};
    struct api_resp resp = {0};
    char cookie[128];

    cookie_for("admin", cookie, sizeof(cookie));
    req.method = API_POST;
    req.path = "/api/v1/users";
    req.cookie = cookie;
    req.body = "{}";
    req.body_len = 2;
    req.content_type = "application/json";
    assert_int_equal(call(&req, &resp), 403);
    assert_string_equal(error_code(&resp), "csrf");
    api_resp_release(&resp);

    req.requested_with = "dissent";
    req.origin = "http://evil.example";
    req.host = "127.0.0.1:8080";
    assert_int_equal(call(&req, &resp), 403);
    api_resp_release(&resp);

    req.origin = "http://127.0.0.1:8080";
    assert_int_equal(call(&req, &resp), 422); /* past the gate: the empty body is invalid */
    assert_string_equal(error_code(&resp), "invalid_field");
    api_req_release(&req);
    api_resp_release(&resp);

    req.content_type = "text/plain";
    assert_int_equal(call(&req, &resp), 415);
    api_resp_release(&resp);

    req.content_type = "application/json";
    req.body = "{\"a\":";
    req.body_len = 5;
    assert_int_equal(call(&req, &resp), 400);
    assert_string_equal(error_code(&resp), "malformed_json");
    api_resp_release(&resp);

    req.method = API_GET;
    req.path = "/api/v1/me";
    assert_int_equal(call(&req, &resp), 400);
    api_req_release(&req);
    api_resp_release(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_well_formed),
        cmocka_unit_test(every_route_enforces_its_roles),
        cmocka_unit_test(not_found_and_method),
        cmocka_unit_test(csrf_and_bodies),
    };
    if (random_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
