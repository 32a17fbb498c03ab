"""HTTP-level behaviour: error shape, routing (404/405), content type, JSON parsing limits, body and
header limits, authentication (401) and authorization (403), and that bad input changes nothing."""
import json

import requests

from conftest import (TIMEOUT, assert_error, get_user, raw_status, with_cookie)

CSRF = {"X-Requested-With": "dissent"}


def post_login_body(server, data, content_type="application/json"):
    headers = dict(CSRF)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(server.url + "/api/v1/session", data=data, headers=headers,
                         timeout=TIMEOUT)


# ---- routing ----

def test_unknown_route_is_404_json(server, admin):
    for path in ["/nope", "/api/v1/nope", "/api/v1/users/alice/extra", "/api/v2/me",
                 "/healthz/", "/api/v1/users/"]:  # "/" is the web interface (test_web.py)
        r = requests.get(server.url + path, timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        # also when signed in, and for unsafe methods
        assert_error(admin.get(server.url + path, timeout=TIMEOUT), 404, "not_found")
        assert_error(admin.post(server.url + path, json={}, timeout=TIMEOUT), 404, "not_found")


def allow_set(r):
    return {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}


def test_wrong_method_is_405_with_allow(server, admin):
    cases = [
        ("PUT", "/api/v1/users", {"GET", "HEAD", "POST"}),
        ("DELETE", "/api/v1/users", {"GET", "HEAD", "POST"}),
        ("GET", "/api/v1/session", {"POST", "DELETE"}),
        ("PATCH", "/api/v1/session", {"POST", "DELETE"}),
        ("POST", "/healthz", {"GET", "HEAD"}),
        ("DELETE", "/readyz", {"GET", "HEAD"}),
        ("POST", "/api/v1/me", {"GET", "HEAD", "PATCH"}),
        ("GET", "/api/v1/users/alice", {"PATCH"}),
        ("DELETE", "/api/v1/users/alice", {"PATCH"}),
    ]
    for method, path, allowed in cases:
        for client in (requests, admin):
            r = client.request(method, server.url + path, headers=CSRF, timeout=TIMEOUT)
            assert_error(r, 405, "method_not_allowed")
            assert allow_set(r) == allowed, (method, path, r.headers.get("Allow"))


def test_head_is_get_without_body(server):
    r = requests.head(server.url + "/healthz", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.content == b""


def test_security_headers_on_every_response(server, admin):
    for r in [requests.get(server.url + "/healthz", timeout=TIMEOUT),
              requests.get(server.url + "/nope", timeout=TIMEOUT),
              admin.get(server.url + "/api/v1/me", timeout=TIMEOUT)]:
        assert r.headers.get("Cache-Control") == "no-store"
        assert r.headers.get("X-Content-Type-Options") == "nosniff"


# ---- request bodies ----

def test_non_json_content_type_is_415(server, admin):
    body = json.dumps({"username": "admin", "password": server.admin_password})
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
               "application/jsonp", "text/json", None]:
        r = post_login_body(server, body, ct)
        assert_error(r, 415, "unsupported_media_type")
        assert "Set-Cookie" not in r.headers
    # the same on an admin route
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   data=json.dumps({"username": "alice", "roles": ["staff"]}),
                   headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")
    assert get_user(server, admin, "alice") is None
    # JSON with parameters and in any case is accepted
    for ct in ["application/json; charset=utf-8", "Application/JSON"]:
        r = post_login_body(server, body, ct)
        assert r.status_code == 200, (ct, r.text)


def test_malformed_json_is_400(server):
    for body in ['{"username": "admin", "password": ', "{", "not json", '{"a" 1}',
                 '{"username": "admin",}', "{'username': 'admin'}", '{"a":1} trailing',
                 b'{"username": "\xff\xfe", "password": "x"}',
                 '{"username": "ad\\u0000min", "password": "x"}']:
        assert_error(post_login_body(server, body), 400, "malformed_json")


def test_empty_body_on_json_route_is_400(server):
    assert_error(post_login_body(server, ""), 400, "malformed_json")


def test_json_not_an_object_is_400(server):
    for body in ["[]", '["admin", "pw"]', '"admin"', "1", "null", "true"]:
        assert_error(post_login_body(server, body), 400, "malformed_json")


def test_duplicate_keys_are_400(server, admin):
    body = '{"username": "admin", "username": "admin", "password": "%s"}' % server.admin_password
    r = post_login_body(server, body)
    assert_error(r, 400, "malformed_json")
    assert "Set-Cookie" not in r.headers
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   data='{"username": "alice", "roles": ["staff"], "roles": ["admin"],'
                        ' "password": "correct horse battery"}',
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")
    assert get_user(server, admin, "alice") is None


def nested(depth):
    """A JSON value of exactly `depth` nested arrays."""
    return "[" * depth + "]" * depth


def test_json_nested_too_deep_is_400(server):
    # depth 17 in all (object + 16 arrays) is refused before anything else
    body = '{"username": "admin", "password": "x", "extra": %s}' % nested(16)
    assert_error(post_login_body(server, body), 400, "malformed_json")
    body = '{"x": %s}' % nested(1000)
    assert_error(post_login_body(server, body), 400, "malformed_json")
    # depth 16 in all parses; then the unknown field is named
    body = '{"username": "admin", "password": "x", "extra": %s}' % nested(15)
    assert_error(post_login_body(server, body), 422, "invalid_field", "extra")
    # brackets inside strings do not count as nesting
    body = json.dumps({"username": "[" * 40 + "{" * 40, "password": "]]]]]}}}}}"})
    r = post_login_body(server, body)
    assert r.status_code in (401, 422), r.text
    assert r.json()["error"]["code"] != "malformed_json"


def test_missing_invalid_unknown_field_is_422_naming_it(server, admin):
    pw = server.admin_password
    cases = [
        ({"username": "admin"}, "password"),
        ({"password": pw}, "username"),
        ({}, None),
        ({"username": 5, "password": pw}, "username"),
        ({"username": "admin", "password": None}, "password"),
        ({"username": "admin", "password": ["x"]}, "password"),
        ({"username": "admin", "password": pw, "remember": True}, "remember"),
        ({"username": "a" * 65, "password": pw}, "username"),
    ]
    for body, field in cases:
        r = requests.post(server.url + "/api/v1/session", json=body, headers=CSRF,
                          timeout=TIMEOUT)
        err = assert_error(r, 422, "invalid_field")
        if field:
            assert err.get("field") == field, (body, err)
        else:
            assert err.get("field") in ("username", "password"), (body, err)
        assert "Set-Cookie" not in r.headers
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "alice", "roles": ["staff"], "is_admin": True})
    assert_error(r, 422, "invalid_field", "is_admin")
    assert get_user(server, admin, "alice") is None


def test_body_on_a_bodiless_route_is_400(server, admin):
    r = admin.get(server.url + "/api/v1/me", data="{}", timeout=TIMEOUT,
                  headers={"Content-Type": "application/json"})
    assert_error(r, 400, "unexpected_body")


# ---- size limits ----

def test_declared_content_length_over_default_limit_is_413(server):
    # Only the headers: the server must refuse without waiting for 10 MB.
    req = ("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "X-Requested-With: dissent\r\nContent-Type: application/json\r\n"
           "Content-Length: 10000000\r\n\r\n" % server.port).encode()
    resp = server.raw(req, timeout=5)
    assert raw_status(resp) == 413, resp[:200]


def test_body_over_configured_limit_is_413(make_server):
    srv = make_server(config={"server": {"max_body": "1024"}})
    url = srv.url + "/api/v1/session"

    def login_with_padding(n):
        body = json.dumps({"username": "admin", "password": "p" * n})
        return body, requests.post(url, data=body, timeout=TIMEOUT,
                                   headers={"X-Requested-With": "dissent",
                                            "Content-Type": "application/json"})

    body, r = login_with_padding(987)  # exactly the limit: parsed and answered (wrong password)
    assert len(body) == 1024
    assert_error(r, 401, "invalid_credentials")
    body, r = login_with_padding(1000)  # a little over
    assert 1024 < len(body) < 1100
    assert r.status_code == 413, r.text
    # headers only, declared just over the limit
    req = ("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "X-Requested-With: dissent\r\nContent-Type: application/json\r\n"
           "Content-Length: 1025\r\n\r\n" % srv.port).encode()
    assert raw_status(srv.raw(req)) == 413
    # chunked: no declared length, the body grows past the limit
    chunk = b"200\r\n" + b" " * 512 + b"\r\n"
    req = ("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
           "X-Requested-With: dissent\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % srv.port).encode() + chunk * 3 + b"0\r\n\r\n"
    assert raw_status(srv.raw(req)) == 413
    # the server is still fine afterwards
    assert requests.get(srv.url + "/healthz", timeout=TIMEOUT).status_code == 200


def test_headers_over_configured_limit_are_refused(make_server):
    srv = make_server(config={"server": {"max_headers": "1024"}})

    def get_with_header(n):
        req = ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Pad: %s\r\n"
               "Connection: close\r\n\r\n" % (srv.port, "x" * n)).encode()
        return raw_status(srv.raw(req))

    assert get_with_header(300) == 200
    status = get_with_header(4000)
    assert status != 200 and (status is None or 400 <= status < 500), status
    # many small headers adding up over the limit
    req = ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % srv.port
           + "".join("X-H%d: %s\r\n" % (i, "y" * 40) for i in range(60))
           + "Connection: close\r\n\r\n").encode()
    status = raw_status(srv.raw(req))
    assert status != 200 and (status is None or 400 <= status < 500), status
    assert requests.get(srv.url + "/healthz", timeout=TIMEOUT).status_code == 200


# ---- authentication and authorization ----

def test_no_session_is_401(server):
    for method, path in [("GET", "/api/v1/me"), ("GET", "/api/v1/users"),
                         ("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/admin")]:
        r = requests.request(method, server.url + path, headers=CSRF, timeout=TIMEOUT,
                             json={"username": "x", "roles": ["staff"], "password": "y" * 10})
        assert_error(r, 401, "unauthorized")
    # garbage, wrongly sized and well-formed but unknown tokens are all just "no session"
    for token in ["", "garbage", "x" * 43, "A" * 43, "A" * 44, "%00", "a;b"]:
        r = requests.get(server.url + "/api/v1/me", headers=with_cookie(token),
                         timeout=TIMEOUT)
        assert_error(r, 401, "unauthorized")


def test_role_not_allowed_is_403(server, admin):
    for role in ["staff", "officer", "principal", "auditor"]:
        server.add_user(admin, "u-" + role, [role])
    for role in ["staff", "officer", "principal", "auditor"]:
        s = server.login("u-" + role, "correct horse battery")
        assert s.get(server.url + "/api/v1/me", timeout=TIMEOUT).status_code == 200
        assert_error(s.get(server.url + "/api/v1/users", timeout=TIMEOUT), 403, "forbidden")
        r = s.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "sneaky", "roles": ["admin"],
                         "password": "correct horse battery"})
        assert_error(r, 403, "forbidden")
        r = s.patch(server.url + "/api/v1/users/u-" + role, timeout=TIMEOUT,
                    json={"roles": ["admin"]})
        assert_error(r, 403, "forbidden")
    assert get_user(server, admin, "sneaky") is None
    for role in ["staff", "officer", "principal", "auditor"]:
        assert get_user(server, admin, "u-" + role)["roles"] == [role]


# ---- bad input changes nothing ----

def test_failed_patch_leaves_user_unchanged(server, admin):
    server.add_user(admin, "alice", ["staff"], display_name="Alice", email="alice@example.org")
    before = get_user(server, admin, "alice")
    url = server.url + "/api/v1/users/alice"
    bad = [
        {"display_name": "Changed", "roles": ["wizard"]},
        {"display_name": "Changed", "email": "not-an-email"},
        {"roles": ["officer"], "disabled": "yes"},
        {"email": "new@example.org", "password": "short"},
        {"display_name": "Changed", "unknown": 1},
        {"display_name": "line\nbreak"},
        {"roles": []},
    ]
    for body in bad:
        r = admin.patch(url, json=body, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field")
        assert get_user(server, admin, "alice") == before, body
    # malformed and stale-version requests change nothing either
    r = admin.patch(url, data='{"display_name": "Changed"', timeout=TIMEOUT,
                    headers={"Content-Type": "application/json"})
    assert_error(r, 400, "malformed_json")
    r = admin.patch(url, json={"display_name": "Changed"}, timeout=TIMEOUT,
                    headers={"If-Match": '"%d"' % (before["version"] + 5)})
    assert_error(r, 412, "version_mismatch")
    assert get_user(server, admin, "alice") == before
    # the old password still works (the failed password change did not happen)
    server.login("alice", "correct horse battery")


def test_invalid_create_creates_nothing(server, admin):
    url = server.url + "/api/v1/users"
    good = {"username": "bob", "roles": ["staff"]}
    for patch in [{"roles": ["wizard"]}, {"password": "short"}, {"email": "bob"},
                  {"display_name": "a\tb"}, {"roles": "staff"}, {"extra": 1}]:
        body = dict(good)
        body.update(patch)
        assert_error(admin.post(url, json=body, timeout=TIMEOUT), 422, "invalid_field")
        assert get_user(server, admin, "bob") is None
    # a rejected create never leaves a usable account behind
    r = requests.post(server.url + "/api/v1/session", headers=CSRF, timeout=TIMEOUT,
                      json={"username": "bob", "password": "short"})
    assert_error(r, 401, "invalid_credentials")
    r = admin.post(url, json=good, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    code = r.json()["enrolment"]["code"]
    # a duplicate does not overwrite the first account
    dup = dict(good, roles=["admin"])
    assert_error(admin.post(url, json=dup, timeout=TIMEOUT), 409, "exists")
    assert get_user(server, admin, "bob")["roles"] == ["staff"]
    server.enrol("bob", code, "correct horse battery")
    server.login("bob", "correct horse battery")
