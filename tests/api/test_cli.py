"""The `dissent user` CLI, working on the same data directory as a running server."""
import requests

from conftest import TIMEOUT, assert_error, get_user, login_raw, session_token, with_cookie

PW = "cli password 123"


def list_rows(server):
    """`dissent user list` as {username: whole line}."""
    r = server.cli("user", "list")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines()[1:]:
        if line.strip():
            rows[line.split()[0]] = line
    return rows


def test_user_add_then_login(server, admin):
    r = server.cli("user", "add", "alice", "--role", "staff,officer", "--display-name",
                   "Alice Cli", "--email", "alice@example.org", "--password-stdin",
                   stdin=PW + "\n")
    assert r.returncode == 0, r.stderr
    assert "alice" in r.stdout
    assert PW not in r.stdout and PW not in r.stderr
    s = server.login("alice", PW)
    me = s.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()
    assert me["username"] == "alice"
    assert sorted(me["roles"]) == ["officer", "staff"]
    assert me["display_name"] == "Alice Cli"
    assert me["email"] == "alice@example.org"
    u = get_user(server, admin, "alice")
    assert u is not None and u["disabled"] is False
    # the trailing newline is not part of the password
    assert_error(login_raw(server.url, "alice", PW + "\n"), 401, "invalid_credentials")


def test_user_add_password_without_newline(server):
    r = server.cli("user", "add", "bob", "--role", "auditor", "--password-stdin", stdin=PW)
    assert r.returncode == 0, r.stderr
    assert login_raw(server.url, "bob", PW).status_code == 200


def test_user_list_shows_users(server, admin):
    r = server.cli("user", "add", "carol", "--role", "staff,officer", "--display-name",
                   "Carol Listed", "--password-stdin", stdin=PW + "\n")
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
    assert "$argon2" not in out.stdout and PW not in out.stdout


def test_user_disable_blocks_login(server, admin):
    r = server.cli("user", "add", "erin", "--role", "staff", "--password-stdin", stdin=PW)
    assert r.returncode == 0, r.stderr
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
    for roles in ["wizard", "staff,wizard", "", "Staff", "staff,,officer", "staff,staff"]:
        r = server.cli("user", "add", "frank", "--role", roles, "--password-stdin", stdin=PW)
        assert r.returncode != 0, roles
        assert "role" in r.stderr.lower(), r.stderr
    r = server.cli("user", "add", "frank", "--password-stdin", stdin=PW)  # no --role at all
    assert r.returncode != 0
    assert "role" in r.stderr.lower()
    assert get_user(server, admin, "frank") is None


def test_missing_password_stdin_fails(server, admin):
    r = server.cli("user", "add", "gina", "--role", "staff", stdin=PW)
    assert r.returncode != 0
    assert "--password-stdin" in r.stderr
    assert get_user(server, admin, "gina") is None


def test_invalid_username_fails(server, admin):
    for name in ["Bad", "has space", "a" * 65, "x/y", ""]:
        r = server.cli("user", "add", name, "--role", "staff", "--password-stdin", stdin=PW)
        assert r.returncode != 0, name
        assert "username" in r.stderr.lower(), r.stderr
    users = admin.get(server.url + "/api/v1/users", timeout=TIMEOUT).json()["users"]
    assert [u["username"] for u in users] == ["admin"]


def test_short_password_and_duplicate_fail(server, admin):
    r = server.cli("user", "add", "hank", "--role", "staff", "--password-stdin", stdin="short\n")
    assert r.returncode != 0
    assert "password" in r.stderr.lower()
    assert get_user(server, admin, "hank") is None
    r = server.cli("user", "add", "admin", "--role", "staff", "--password-stdin", stdin=PW)
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
