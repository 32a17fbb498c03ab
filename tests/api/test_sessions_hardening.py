"""Issue 8, "Hardening": sessions.

- session fixation: a cookie planted before sign-in is never adopted; sign-in always issues a
  fresh token and the planted value stays worthless (or stays the planter's own session);
- logout really ends the session: the old token gets 401 on every authenticated route of the
  table, on fresh connections spread over the workers;
- a password change (own, admin reset, recovery, `dissent user passwd`) and disabling an account
  (admin API or `dissent user disable`) end every session of that account for good: enabling
  it again revives none; a role taken away applies to live sessions at once.
"""
import json
import subprocess

import requests

from conftest import (BIN, COOKIE, PASSWORD, TIMEOUT, assert_error, get_user, login_raw,
                      session_token, with_cookie)

WORKERS = 4
# the log routes need a session too (else they are public)
PRIVATE_LOG = {"tlog": {"public": "false"}}


def me(srv, token):
    """GET /api/v1/me with `token` on a new connection."""
    return requests.get(srv.url + "/api/v1/me", headers=with_cookie(token), timeout=TIMEOUT)


def token_for(srv, username, password=PASSWORD, cookie=None):
    """Sign in (optionally presenting a planted cookie) and return the issued token."""
    headers = {"X-Requested-With": "dissent"}
    if cookie is not None:
        headers["Cookie"] = "%s=%s" % (COOKIE, cookie)
    r = requests.post(srv.url + "/api/v1/session", headers=headers, timeout=TIMEOUT,
                      json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return session_token(r)


def authenticated_requests(srv):
    """(method, path) for every route of the table that needs a session, with its parameters
    filled in (a memo that does not exist will do: the session is checked first). The server
    must run with PRIVATE_LOG."""
    out = subprocess.run([BIN, "routes", "--json"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    reqs = []
    for r in json.loads(out.stdout)["routes"]:
        if "public" in r["flags"]:
            continue
        path = (r["pattern"].replace("{id}", "0123456789abcdef01234567")
                .replace("{username}", "admin").replace("{*path}", "checkpoint"))
        reqs.append((r["method"], path, "json" in r["flags"]))
    assert len(reqs) >= 30, reqs
    return reqs


def assert_dead(srv, token, reqs=None):
    """`token` gets 401 on every authenticated route (each on a new connection, so that the
    kernel spreads them over the workers)."""
    for method, path, takes_json in reqs or [("GET", "/api/v1/me", False)]:
        r = requests.request(method, srv.url + path, headers=with_cookie(token),
                             json={} if takes_json else None, timeout=TIMEOUT)
        assert_error(r, 401, "unauthorized")
        assert "Set-Cookie" not in r.headers or "Max-Age=0" in r.headers["Set-Cookie"]


def patch_user(srv, admin, username, body):
    r = admin.patch(srv.url + "/api/v1/users/" + username, json=body, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


# ---- session fixation ----

def test_login_does_not_adopt_a_planted_cookie(make_server):
    srv = make_server(workers=WORKERS)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff"])
    srv.add_user(admin, "mal", ["staff"])
    planted = "A" * 43  # well-formed, chosen by the attacker
    issued = token_for(srv, "vic", cookie=planted)
    assert issued != planted
    assert_error(me(srv, planted), 401, "unauthorized")
    assert me(srv, issued).json()["username"] == "vic"

    # the attacker plants their own live session: the victim's sign-in replaces it, and the
    # planted token stays the attacker's, never the victim's
    mal = token_for(srv, "mal")
    issued = token_for(srv, "vic", cookie=mal)
    assert issued != mal
    assert me(srv, mal).json()["username"] == "mal"
    assert me(srv, issued).json()["username"] == "vic"

    # every sign-in is a new token, even over a live session of the same account
    again = token_for(srv, "vic", cookie=issued)
    assert again != issued
    assert {me(srv, again).json()["username"], me(srv, issued).json()["username"]} == {"vic"}


def test_a_token_is_only_ever_valid_as_issued(server, admin):
    server.add_user(admin, "vic", ["staff"])
    token = token_for(server, "vic")
    for variant in (token.upper() if token.upper() != token else token.lower(), token[:-1],
                    token + "A", " " + token, token[1:] + token[0]):
        if variant == token:
            continue
        assert_error(me(server, variant), 401, "unauthorized")
    assert me(server, token).status_code == 200


# ---- logout ----

def test_logout_ends_the_session_on_every_route_and_worker(make_server):
    srv = make_server(workers=WORKERS, config=PRIVATE_LOG)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff", "officer", "principal"])
    reqs = authenticated_requests(srv)
    token = token_for(srv, "vic")
    other = token_for(srv, "vic")
    # alive on many connections first (so that every worker has served it)
    for _ in range(2 * WORKERS):
        assert me(srv, token).status_code == 200
    r = requests.delete(srv.url + "/api/v1/session", headers=with_cookie(token), timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    assert "Max-Age=0" in r.headers.get("Set-Cookie", ""), r.headers
    assert_dead(srv, token, reqs * 2)
    # logging out again with the dead token changes nothing; the other session lives on
    r = requests.delete(srv.url + "/api/v1/session", headers=with_cookie(token), timeout=TIMEOUT)
    assert r.status_code == 204
    assert me(srv, other).json()["username"] == "vic"


def test_logout_needs_the_csrf_header(server, admin):
    server.add_user(admin, "vic", ["staff"])
    token = token_for(server, "vic")
    r = requests.delete(server.url + "/api/v1/session", headers=with_cookie(token, csrf=False),
                        timeout=TIMEOUT)
    assert_error(r, 403, "csrf")
    assert me(server, token).status_code == 200


# ---- password changes and disabled accounts end sessions ----

def test_own_password_change_ends_every_session(make_server):
    srv = make_server(workers=WORKERS, config=PRIVATE_LOG)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff"])
    reqs = authenticated_requests(srv)
    a, b = token_for(srv, "vic"), token_for(srv, "vic")
    r = requests.post(srv.url + "/api/v1/me/password", headers=with_cookie(a), timeout=TIMEOUT,
                      json={"current_password": PASSWORD, "new_password": "another password"})
    assert r.status_code == 200, r.text
    assert_dead(srv, a, reqs)
    assert_dead(srv, b, reqs)
    assert login_raw(srv.url, "vic", PASSWORD).status_code == 401
    assert me(srv, token_for(srv, "vic", "another password")).status_code == 200


def test_admin_reset_ends_every_session(server, admin):
    server.add_user(admin, "vic", ["staff"])
    a, b = token_for(server, "vic"), token_for(server, "vic")
    r = admin.post(server.url + "/api/v1/users/vic/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert_dead(server, a)
    assert_dead(server, b)
    server.enrol("vic", r.json()["enrolment"]["code"], "reset password 1")
    assert me(server, token_for(server, "vic", "reset password 1")).status_code == 200


def test_admin_disable_ends_sessions_for_good(make_server):
    srv = make_server(workers=WORKERS, config=PRIVATE_LOG)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff"])
    reqs = authenticated_requests(srv)
    a, b = token_for(srv, "vic"), token_for(srv, "vic")
    patch_user(srv, admin, "vic", {"disabled": True})
    assert_dead(srv, a, reqs)
    assert login_raw(srv.url, "vic", PASSWORD).status_code == 401
    # enabling the account again revives no old session
    patch_user(srv, admin, "vic", {"disabled": False})
    assert_dead(srv, a)
    assert_dead(srv, b)
    assert me(srv, token_for(srv, "vic")).status_code == 200


def test_cli_disable_and_passwd_end_sessions_of_a_running_server(server, admin):
    server.add_user(admin, "vic", ["staff"])
    server.add_user(admin, "val", ["auditor"])  # `passwd` is for operator accounts
    vic, val = token_for(server, "vic"), token_for(server, "val")
    r = server.cli("user", "disable", "vic")
    assert r.returncode == 0, r.stderr
    assert_dead(server, vic)
    patch_user(server, admin, "vic", {"disabled": False})
    assert_dead(server, vic)

    assert me(server, val).status_code == 200
    r = server.cli("user", "passwd", "val", "--password-stdin", stdin="cli password 1\n")
    assert r.returncode == 0, r.stderr
    assert_dead(server, val)
    assert me(server, token_for(server, "val", "cli password 1")).status_code == 200


def test_recovery_ends_every_session(server, admin):
    server.add_user(admin, "vic", ["staff"])
    r = login_raw(server.url, "vic", PASSWORD)
    assert r.status_code == 200, r.text
    key, first = server.recovery_keys["vic"], session_token(r)
    second = token_for(server, "vic")
    r = requests.post(server.url + "/api/v1/recovery", headers={"X-Requested-With": "dissent"},
                      json={"username": "vic", "recovery_key": key,
                            "new_password": "recovered password"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert_dead(server, first)
    assert_dead(server, second)


def test_a_role_taken_away_applies_to_live_sessions(make_server):
    srv = make_server(workers=WORKERS)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff", "officer"])
    srv.add_user(admin, "olive", ["officer"])
    token = token_for(srv, "vic")  # the first officer to enrol: vic holds the channel key
    # another holder, so that vic's officer role may go (the channel key stays held)
    r = requests.post(srv.url + "/api/v1/channel/grants", headers=with_cookie(token),
                      json={"username": "olive"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    r = requests.get(srv.url + "/api/v1/deadlines", headers=with_cookie(token), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    patch_user(srv, admin, "vic", {"roles": ["staff"]})
    for _ in range(2 * WORKERS):
        r = requests.get(srv.url + "/api/v1/deadlines", headers=with_cookie(token),
                         timeout=TIMEOUT)
        assert_error(r, 403, "forbidden")
    assert me(srv, token).json()["roles"] == ["staff"]
    assert get_user(srv, admin, "vic")["roles"] == ["staff"]
