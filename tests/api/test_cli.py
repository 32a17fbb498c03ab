"""The `dissent user` CLI, working on the same data directory as a running server."""
import re

import requests

from conftest import TIMEOUT, assert_error, get_user, login_raw, session_token, with_cookie

PW = "cli password 123"
CODE = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){3}$")


def list_rows(server):
    """`dissent user list` as {username: whole line}."""
    r = server.cli("user", "list")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        if line.strip():
            rows[line.split()[0]] = line
    return rows


def cli_add(server, name, *args):
    """`dissent user add NAME ARGS...`: the result and the enrolment code it printed."""
    r = server.cli("user", "add", name, *args)
    m = re.search(r"enrolment code: (\S+)", r.stdout)
    return r, (m.group(1) if m else None)


def test_user_add_then_enrol_then_login(server, admin):
    r, code = cli_add(server, "alice", "--role", "staff,officer", "--display-name", "Alice Cli",
                      "--email", "alice@example.org")
    assert r.returncode == 0, r.stderr
    assert "alice" in r.stdout and "valid until" in r.stdout, r.stdout
    assert CODE.match(code), r.stdout
    # no password before enrolment
    assert_error(login_raw(server.url, "alice", PW), 401, "invalid_credentials")
    u = get_user(server, admin, "alice")
    assert u is not None and u["disabled"] is False and u["enrolled"] is False
    server.enrol("alice", code, PW)
    s = server.login("alice", PW)
    me = s.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()
    assert me["username"] == "alice"
    assert sorted(me["roles"]) == ["officer", "staff"]
    assert me["display_name"] == "Alice Cli"
    assert me["email"] == "alice@example.org"
    assert get_user(server, admin, "alice")["enrolled"] is True


def test_an_administrator_never_chooses_a_password(server, admin):
    r = server.cli("user", "add", "bob", "--role", "staff", "--password-stdin", stdin=PW)
    assert r.returncode != 0
    assert "enrolment code" in r.stderr, r.stderr
    assert get_user(server, admin, "bob") is None
    # passwd is for operator accounts only; content accounts are reset (re-enrolled)
    server.add_user(admin, "bea", ["staff"])
    r = server.cli("user", "passwd", "bea", "--password-stdin", stdin="admin chosen 1\n")
    assert r.returncode != 0 and "reset" in r.stderr, r.stderr
    assert_error(login_raw(server.url, "bea", "admin chosen 1"), 401, "invalid_credentials")


def test_user_reset_prints_a_new_code(server, admin):
    server.add_user(admin, "rae", ["staff"])
    t = session_token(login_raw(server.url, "rae", "correct horse battery"))
    r = server.cli("user", "reset", "rae")
    assert r.returncode == 0, r.stderr
    code = re.search(r"enrolment code: (\S+)", r.stdout).group(1)
    r = requests.get(server.url + "/api/v1/me", headers=with_cookie(t), timeout=TIMEOUT)
    assert_error(r, 401, "unauthorized")
    assert_error(login_raw(server.url, "rae", "correct horse battery"), 401)
    server.enrol("rae", code, PW)
    assert login_raw(server.url, "rae", PW).status_code == 200
    r = server.cli("user", "reset", "nobody")
    assert r.returncode != 0 and "nobody" in r.stderr


def test_user_list_shows_users(server, admin):
    r, _ = cli_add(server, "carol", "--role", "staff,officer", "--display-name", "Carol Listed")
    assert r.returncode == 0, r.stderr
    server.add_user(admin, "dave", ["principal"])  # created over the API
    rows = list_rows(server)
    assert set(rows) == {"admin", "carol", "dave"}
    assert "staff" in rows["carol"] and "officer" in rows["carol"]
    assert "Carol Listed" in rows["carol"]
    assert "principal" in rows["dave"]
    assert "admin" in rows["admin"]
    assert "disabled" not in rows["carol"]
    out = server.cli("user", "list")
    assert "$argon2" not in out.stdout


def test_user_disable_blocks_login(server, admin):
    server.add_user(admin, "erin", ["staff"], password=PW)
    token = session_token(login_raw(server.url, "erin", PW))
    r = server.cli("user", "disable", "erin")
    assert r.returncode == 0, r.stderr
    assert_error(login_raw(server.url, "erin", PW), 401, "invalid_credentials")
    r = requests.get(server.url + "/api/v1/me", headers=with_cookie(token), timeout=TIMEOUT)
    assert_error(r, 401, "unauthorized")
    assert get_user(server, admin, "erin")["disabled"] is True
    assert "disabled" in list_rows(server)["erin"]
    # unknown users cannot be disabled
    r = server.cli("user", "disable", "nobody")
    assert r.returncode != 0
    assert "nobody" in r.stderr


def test_bad_role_fails(server, admin):
    for roles in ["wizard", "staff,wizard", "", "Staff", "staff,,officer", "staff,staff",
                  "staff,admin", "officer,auditor"]:
        r, _ = cli_add(server, "frank", "--role", roles)
        assert r.returncode != 0, roles
        assert "role" in r.stderr.lower(), r.stderr
    r, _ = cli_add(server, "frank")  # no --role at all
    assert r.returncode != 0
    assert "role" in r.stderr.lower()
    assert get_user(server, admin, "frank") is None


def test_invalid_username_fails(server, admin):
    for name in ["Bad", "has space", "a" * 65, "x/y", ""]:
        r, _ = cli_add(server, name, "--role", "staff")
        assert r.returncode != 0, name
        assert "username" in r.stderr.lower(), r.stderr
    users = admin.get(server.url + "/api/v1/users", timeout=TIMEOUT).json()["users"]
    assert [u["username"] for u in users] == ["admin"]


def test_duplicate_fails(server, admin):
    r, _ = cli_add(server, "admin", "--role", "staff")
    assert r.returncode != 0
    assert get_user(server, admin, "admin")["roles"] == ["admin"]
    assert login_raw(server.url, "admin", server.admin_password).status_code == 200


def test_usage_errors(server):
    for args in [("user",), ("user", "frobnicate"), ("user", "add"),
                 ("user", "list", "extra"), ("user", "add", "a", "b", "--role", "staff",
                                             "--password-stdin")]:
        r = server.cli(*args, stdin=PW)
        assert r.returncode != 0, args
        assert "usage" in r.stderr.lower(), (args, r.stderr)
    for args in [("user", "reset"), ("user", "reset", "a", "b")]:
        r = server.cli(*args)
        assert r.returncode != 0 and "usage" in r.stderr.lower(), (args, r.stderr)
