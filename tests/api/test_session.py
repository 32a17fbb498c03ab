"""Sessions: login cookie, logout, /me, credential errors, CSRF, login rate limiting, expiry,
disabled accounts."""
import re
import time

import requests

from conftest import (COOKIE, TIMEOUT, assert_error, login_raw, session_from, session_token,
                      with_cookie)

PW = "correct horse battery"


def cookie_attrs(set_cookie):
    """('name', 'value', {attr_lower: value_or_True}) of one Set-Cookie header."""
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name, value, attrs


def me(server, token):
    return requests.get(server.url + "/api/v1/me", headers=with_cookie(token), timeout=TIMEOUT)


# ---- login, cookie, /me, logout ----

def test_login_sets_strict_httponly_cookie(server):
    r = login_raw(server.url, "admin", server.admin_password)
    assert r.status_code == 200, r.text
    assert len(r.raw.headers.getlist("Set-Cookie")) == 1
    name, value, attrs = cookie_attrs(r.headers["Set-Cookie"])
    assert name == COOKIE
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), value
    assert attrs.get("httponly") is True
    assert str(attrs.get("samesite", "")).lower() == "strict"
    assert attrs.get("path") == "/"
    assert "secure" not in attrs
    assert "domain" not in attrs
    user = r.json()["user"]
    assert user["username"] == "admin" and user["roles"] == ["admin"]
    assert not any("pass" in k or "hash" in k for k in user)
    assert server.admin_password not in r.text
    # the cookie alone authenticates
    r = me(server, value)
    assert r.status_code == 200 and r.json()["username"] == "admin"
    # each login is a new session with a new token
    assert session_token(login_raw(server.url, "admin", server.admin_password)) != value


def test_cookie_is_secure_behind_tls(make_server):
    srv = make_server(config={"server": {"behind_tls": "true"}})
    r = login_raw(srv.url, "admin", srv.admin_password)
    assert r.status_code == 200, r.text
    name, value, attrs = cookie_attrs(r.headers["Set-Cookie"])
    # the __Host- prefix: browsers take it only Secure, for Path=/ and without a Domain
    assert name == "__Host-" + COOKIE and attrs.get("secure") is True
    assert attrs.get("httponly") is True and attrs.get("path") == "/"
    assert "domain" not in attrs
    assert str(attrs.get("samesite", "")).lower() == "strict"
    # HSTS on every answer behind TLS
    assert r.headers.get("Strict-Transport-Security") == "max-age=63072000"
    tls_cookie = {"Cookie": "__Host-%s=%s" % (COOKIE, value), "X-Requested-With": "dissent"}
    assert requests.get(srv.url + "/api/v1/me", headers=tls_cookie,
                        timeout=TIMEOUT).status_code == 200
    # the plain name is not the session behind TLS
    assert requests.get(srv.url + "/api/v1/me", headers=with_cookie(value),
                        timeout=TIMEOUT).status_code == 401
    # logging out clears it with the same attributes
    r = requests.delete(srv.url + "/api/v1/session", headers=tls_cookie, timeout=TIMEOUT)
    assert r.status_code == 204
    name, _, attrs = cookie_attrs(r.headers["Set-Cookie"])
    assert name == "__Host-" + COOKIE and attrs.get("secure") is True
    assert requests.get(srv.url + "/api/v1/me", headers=tls_cookie,
                        timeout=TIMEOUT).status_code == 401


def test_no_hsts_and_plain_cookie_without_tls(server):
    r = login_raw(server.url, "admin", server.admin_password)
    assert "Strict-Transport-Security" not in r.headers
    assert cookie_attrs(r.headers["Set-Cookie"])[0] == COOKIE


def test_origin_is_required_off_loopback(tmp_path):
    """Without [server] origin the expected Origin comes from the Host header, which a
    DNS-rebinding page controls: the server refuses to start unless it listens on loopback."""
    import subprocess
    from conftest import BIN
    for listen in ("0.0.0.0:0", "[::]:0", "192.0.2.10:0"):
        r = subprocess.run([BIN, "serve", "--data", str(tmp_path / "var"), "--listen", listen],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "[server] origin" in r.stderr, (listen, r.stderr)
    assert not (tmp_path / "var").exists() or not any((tmp_path / "var").iterdir())


def test_me_returns_username_and_roles(server, admin):
    server.add_user(admin, "carol", ["staff", "officer"], display_name="Carol C",
                    email="carol@example.org")
    s = server.login("carol", PW)
    r = s.get(server.url + "/api/v1/me", timeout=TIMEOUT)
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "carol"
    assert sorted(body["roles"]) == ["officer", "staff"]
    assert body["display_name"] == "Carol C"
    assert body["email"] == "carol@example.org"
    # nothing of the password (the passkeys' summary is a count and two switches)
    assert not any(("pass" in k and k != "passkeys") or "hash" in k for k in body)
    assert set(body["passkeys"]) == {"count", "required", "passwordless"}
    assert admin.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()["username"] == "admin"


def test_logout_ends_session_and_clears_cookie(server, admin):
    server.add_user(admin, "dave", ["staff"])
    r1 = login_raw(server.url, "dave", PW)
    r2 = login_raw(server.url, "dave", PW)
    t1, t2 = session_token(r1), session_token(r2)
    assert me(server, t1).status_code == 200
    r = requests.delete(server.url + "/api/v1/session", headers=with_cookie(t1),
                        timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    name, value, attrs = cookie_attrs(r.headers["Set-Cookie"])
    assert name == COOKIE and value == ""
    assert attrs.get("max-age") == "0" or "expires" in attrs
    assert attrs.get("path") == "/"
    # the old cookie is dead, on every route
    assert_error(me(server, t1), 401, "unauthorized")
    # another session of the same user lives on
    assert me(server, t2).status_code == 200
    # a requests.Session logs out and then has no session
    s = server.login("dave", PW)
    assert s.delete(server.url + "/api/v1/session", timeout=TIMEOUT).status_code == 204
    assert_error(s.get(server.url + "/api/v1/me", timeout=TIMEOUT), 401, "unauthorized")
    # logging out without a session is harmless
    r = requests.delete(server.url + "/api/v1/session", headers={"X-Requested-With": "dissent"},
                        timeout=TIMEOUT)
    assert r.status_code == 204


def test_wrong_password_and_unknown_user_look_the_same(server):
    wrong = login_raw(server.url, "admin", "not the password")
    unknown = login_raw(server.url, "nobody-here", "not the password")
    for r in (wrong, unknown):
        assert_error(r, 401, "invalid_credentials")
        assert "Set-Cookie" not in r.headers
    assert wrong.json() == unknown.json()
    # case matters: usernames are lower case, "Admin" is not "admin"
    assert_error(login_raw(server.url, "Admin", server.admin_password), 401,
                 "invalid_credentials")
    assert login_raw(server.url, "admin", server.admin_password).status_code == 200


# ---- CSRF ----

def test_csrf_header_required_for_cookie_authenticated_unsafe_requests(server, admin):
    token = session_token(login_raw(server.url, "admin", server.admin_password))
    cookie_only = with_cookie(token, csrf=False)
    body = {"username": "eve", "roles": ["staff"], "password": PW}
    for headers in [cookie_only, dict(cookie_only, **{"X-Requested-With": "XMLHttpRequest"}),
                    dict(cookie_only, **{"X-Requested-With": ""})]:
        r = requests.post(server.url + "/api/v1/users", json=body, headers=headers,
                          timeout=TIMEOUT)
        assert_error(r, 403, "csrf")
    server.add_user(admin, "frank", ["staff"])
    r = requests.patch(server.url + "/api/v1/users/frank", json={"roles": ["admin"]},
                       headers=cookie_only, timeout=TIMEOUT)
    assert_error(r, 403, "csrf")
    r = requests.delete(server.url + "/api/v1/session", headers=cookie_only, timeout=TIMEOUT)
    assert_error(r, 403, "csrf")
    # nothing happened: no user, no role change, session alive
    users = {u["username"]: u for u in
             admin.get(server.url + "/api/v1/users", timeout=TIMEOUT).json()["users"]}
    assert "eve" not in users and users["frank"]["roles"] == ["staff"]
    assert me(server, token).status_code == 200
    # safe requests need no header
    assert requests.get(server.url + "/api/v1/me", headers=cookie_only,
                        timeout=TIMEOUT).status_code == 200
    # the login itself is also protected
    r = requests.post(server.url + "/api/v1/session", timeout=TIMEOUT,
                      json={"username": "admin", "password": server.admin_password})
    assert_error(r, 403, "csrf")
    assert "Set-Cookie" not in r.headers


def test_csrf_origin_must_match(server, admin):
    token = session_token(login_raw(server.url, "admin", server.admin_password))
    url = server.url + "/api/v1/users"
    own = "http://127.0.0.1:%d" % server.port
    for origin in ["http://evil.example", "https://127.0.0.1:%d" % server.port,
                   "http://127.0.0.1:%d" % (server.port + 1), "http://localhost:%d" % server.port,
                   "null", own + ".evil.example", own + "/"]:
        r = requests.post(url, headers=dict(with_cookie(token), Origin=origin), timeout=TIMEOUT,
                          json={"username": "mallory", "roles": ["admin"]})
        assert_error(r, 403, "csrf")
    assert "mallory" not in [u["username"] for u in
                             admin.get(url, timeout=TIMEOUT).json()["users"]]
    r = requests.post(url, headers=dict(with_cookie(token), Origin=own), timeout=TIMEOUT,
                      json={"username": "grace", "roles": ["staff"]})
    assert r.status_code == 201, r.text
    r = requests.delete(server.url + "/api/v1/session", timeout=TIMEOUT,
                        headers=dict(with_cookie(token), Origin="http://evil.example"))
    assert_error(r, 403, "csrf")
    assert me(server, token).status_code == 200


def test_csrf_configured_origin(make_server):
    srv = make_server(config={"server": {"origin": "https://dissent.example"}})
    own_host = "http://127.0.0.1:%d" % srv.port
    r = requests.post(srv.url + "/api/v1/session", timeout=TIMEOUT,
                      headers={"X-Requested-With": "dissent", "Origin": own_host},
                      json={"username": "admin", "password": srv.admin_password})
    assert_error(r, 403, "csrf")
    r = requests.post(srv.url + "/api/v1/session", timeout=TIMEOUT,
                      headers={"X-Requested-With": "dissent", "Origin": "https://dissent.example"},
                      json={"username": "admin", "password": srv.admin_password})
    assert r.status_code == 200, r.text


# ---- rate limiting ----

def assert_rate_limited(r):
    assert_error(r, 429, "rate_limited")
    ra = r.headers.get("Retry-After")
    assert ra is not None and re.fullmatch(r"\d+", ra), ra
    assert 0 < int(ra) <= 15 * 60
    assert "Set-Cookie" not in r.headers


def test_login_rate_limit_per_username(server, admin):
    server.add_user(admin, "henry", ["staff"])
    server.add_user(admin, "irene", ["staff"])
    # five failures for one username, each from a different address
    for i in range(5):
        r = login_raw(server.url, "henry", "wrong password %d" % i,
                      session=session_from("127.0.0.%d" % (10 + i)))
        assert_error(r, 401, "invalid_credentials")
    # the next attempt, even with the right password and from a fresh address, is refused
    assert_rate_limited(login_raw(server.url, "henry", PW, session=session_from("127.0.0.20")))
    assert_rate_limited(login_raw(server.url, "henry", PW))
    # other accounts are unaffected
    assert login_raw(server.url, "irene", PW,
                     session=session_from("127.0.0.10")).status_code == 200


def test_login_rate_limit_per_address(server, admin):
    server.add_user(admin, "jack", ["staff"])
    attacker = session_from("127.0.0.30")
    # an address has four times a username's allowance (5): an office behind one proxy
    for i in range(20):
        r = login_raw(server.url, "guess%d" % i, "wrong password", session=attacker)
        assert_error(r, 401, "invalid_credentials")
    # that address may not try anyone now, not even with a right password
    assert_rate_limited(login_raw(server.url, "jack", PW, session=attacker))
    assert_rate_limited(login_raw(server.url, "admin", server.admin_password, session=attacker))
    # the account itself is not locked for others
    assert login_raw(server.url, "jack", PW, session=session_from("127.0.0.31")).status_code == 200


def test_under_the_limit_logins_work(server, admin):
    server.add_user(admin, "kate", ["staff"])
    src = session_from("127.0.0.40")
    for i in range(4):
        assert_error(login_raw(server.url, "kate", "nope %d" % i, session=src), 401,
                     "invalid_credentials")
    assert login_raw(server.url, "kate", PW, session=src).status_code == 200


# ---- expiry (the one slow test) ----

def test_idle_timeout_and_absolute_lifetime(make_server):
    idle = make_server(config={"session": {"idle_timeout": "10"}})
    life = make_server(config={"session": {"lifetime": "10"}})
    t_idle = session_token(login_raw(idle.url, "admin", idle.admin_password))
    t_life = session_token(login_raw(life.url, "admin", life.admin_password))
    start = time.monotonic()
    assert me(life, t_life).status_code == 200
    time.sleep(5)
    # still alive mid-way; the lifetime session is kept busy. (The idle session is left alone:
    # a use now would move its end, see tests/api/test_session_end.py.)
    assert me(life, t_life).status_code == 200
    # the Set-Cookie Max-Age follows the absolute lifetime
    r = login_raw(life.url, "admin", life.admin_password)
    assert cookie_attrs(r.headers["Set-Cookie"])[2].get("max-age") == "10"
    time.sleep(max(0, 11.2 - (time.monotonic() - start)))
    assert_error(me(idle, t_idle), 401, "unauthorized")
    assert_error(me(life, t_life), 401, "unauthorized")
    # a fresh login works again
    assert login_raw(idle.url, "admin", idle.admin_password).status_code == 200


# ---- disabled accounts ----

def test_disabled_user_session_ends_and_login_fails(server, admin):
    server.add_user(admin, "liam", ["staff"])
    token = session_token(login_raw(server.url, "liam", PW))
    assert me(server, token).status_code == 200
    r = admin.patch(server.url + "/api/v1/users/liam", json={"disabled": True}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert_error(me(server, token), 401, "unauthorized")
    r = login_raw(server.url, "liam", PW)
    assert_error(r, 401, "invalid_credentials")
    assert "Set-Cookie" not in r.headers
    # enabling again allows a new login, but the old session stays dead
    r = admin.patch(server.url + "/api/v1/users/liam", json={"disabled": False}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["disabled"] is False
    assert login_raw(server.url, "liam", PW).status_code == 200
    assert_error(me(server, token), 401, "unauthorized")
