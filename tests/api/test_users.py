"""The users API (admin only): list with pagination, create, update with If-Match."""
import re

import requests

from conftest import TIMEOUT, assert_error, get_user, login_raw, session_token, with_cookie

PW = "correct horse battery"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
USER_KEYS = {"username", "display_name", "email", "roles", "disabled", "version", "created_at",
             "enrolled"}
CODE = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){3}$")


def assert_public_user(u):
    assert isinstance(u, dict), u
    assert USER_KEYS <= set(u), u
    for k in u:
        assert "pass" not in k.lower() and "hash" not in k.lower(), u
    assert "$argon2" not in repr(u)
    assert isinstance(u["version"], int) and u["version"] >= 1
    assert isinstance(u["disabled"], bool)
    assert isinstance(u["roles"], list) and u["roles"]
    assert ISO.match(u["created_at"]), u


# ---- create ----

def test_create_user(server, admin):
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "alice", "roles": ["officer", "staff"],
                         "display_name": "Alice Example", "email": "alice@example.org"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Location") == "/api/v1/users/alice" or \
        r.headers.get("Location") == server.url + "/api/v1/users/alice"
    assert r.headers.get("Content-Type", "").startswith("application/json")
    u = r.json()
    assert_public_user(u)
    assert u["username"] == "alice"
    assert sorted(u["roles"]) == ["officer", "staff"]
    assert u["display_name"] == "Alice Example"
    assert u["email"] == "alice@example.org"
    assert u["disabled"] is False
    # created without keys or password, with a one-time enrolment code (128 bits) shown once
    assert u["enrolled"] is False
    code = u.pop("enrolment")["code"]
    assert CODE.match(code), code
    assert ISO.match(u["enrolment_expires_at"]), u
    assert r.headers.get("ETag", "").strip('"') == str(u["version"])
    # the account is listed as created, without the code, and cannot sign in before enrolling
    assert get_user(server, admin, "alice") == u
    assert code not in admin.get(server.url + "/api/v1/users", timeout=TIMEOUT).text
    assert_error(login_raw(server.url, "alice", PW), 401, "invalid_credentials")
    assert_error(login_raw(server.url, "alice", ""), 401, "invalid_credentials")
    enrolled = server.enrol("alice", code, PW)
    assert enrolled["user"]["enrolled"] is True
    assert "enrolment_expires_at" not in enrolled["user"]
    s = server.login("alice", PW)
    assert sorted(s.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()["roles"]) == \
        ["officer", "staff"]


def test_create_minimal_user_defaults(server, admin):
    u = server.add_user(admin, "bob", ["auditor"])
    assert u["display_name"] == "" and u["email"] == "" and u["disabled"] is False
    assert u["roles"] == ["auditor"]
    u = server.add_user(admin, "a" * 64, ["staff"])  # the longest valid name
    assert u["username"] == "a" * 64
    u = server.add_user(admin, "x.y_z-9", ["staff", "officer", "principal"])
    assert sorted(u["roles"]) == sorted(["staff", "officer", "principal"])
    u = server.add_user(admin, "opsy", ["admin", "auditor"])
    assert sorted(u["roles"]) == sorted(["admin", "auditor"])
    server.add_user(admin, "eight", ["staff"], password="12345678")  # the shortest password
    server.login("eight", "12345678")


def test_duplicate_username_is_409(server, admin):
    server.add_user(admin, "carol", ["staff"])
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "carol", "roles": ["admin"]})
    assert_error(r, 409, "exists")
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "admin", "roles": ["staff"]})
    assert_error(r, 409, "exists")
    assert get_user(server, admin, "carol")["roles"] == ["staff"]
    server.login("carol", PW)
    server.login("admin", server.admin_password)


def test_invalid_username_is_422(server, admin):
    for name in ["Alice", "ALICE", "a" * 65, "", "has space", " lead", "trail ", "a/b",
                 "é", "a@b", "tab\there", "new\nline", 42, None, ["alice"]]:
        r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                       json={"username": name, "roles": ["staff"]})
        assert_error(r, 422, "invalid_field", "username")
    users = admin.get(server.url + "/api/v1/users", timeout=TIMEOUT).json()["users"]
    assert [u["username"] for u in users] == ["admin"]
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"roles": ["staff"]})
    assert_error(r, 422, "invalid_field", "username")


def test_invalid_roles_is_422(server, admin):
    for roles in [[], ["wizard"], ["Staff"], "staff", ["staff", "staff"], [1], [None],
                  ["staff", "wizard"], {"staff": True}, None, "staff,officer"]:
        r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                       json={"username": "dave", "roles": roles})
        assert_error(r, 422, "invalid_field", "roles")
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "dave"})
    assert_error(r, 422, "invalid_field", "roles")
    assert get_user(server, admin, "dave") is None


def test_an_administrator_never_chooses_a_password(server, admin):
    url = server.url + "/api/v1/users"
    for pw in (PW, "", None):
        r = admin.post(url, json={"username": "erin", "roles": ["staff"], "password": pw},
                       timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", "password")
    assert get_user(server, admin, "erin") is None
    server.add_user(admin, "erin", ["staff"])
    r = admin.patch(url + "/erin", json={"password": "a password the admin knows"},
                    timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", "password")
    server.login("erin", PW)


def test_invalid_email_display_name_is_422(server, admin):
    url = server.url + "/api/v1/users"
    base = {"username": "erin", "roles": ["staff"]}
    for patch, field in [({"email": "not-an-address"}, "email"),
                         ({"email": "a@b@c"}, "email"),
                         ({"email": "with space@example.org"}, "email"),
                         ({"display_name": "two\nlines"}, "display_name"),
                         ({"display_name": "x" * 129}, "display_name"),
                         ({"display_name": 7}, "display_name"),
                         ({"extra": "field"}, "extra")]:
        body = dict(base)
        body.update(patch)
        assert_error(admin.post(url, json=body, timeout=TIMEOUT), 422, "invalid_field", field)
    assert get_user(server, admin, "erin") is None


# ---- list ----

def test_list_users_paginates(server, admin):
    names = ["u%02d" % i for i in range(7)]
    for n in reversed(names):
        server.add_user(admin, n, ["staff"])
    everyone = sorted(names + ["admin"])
    r = admin.get(server.url + "/api/v1/users", timeout=TIMEOUT)
    assert r.status_code == 200
    body = r.json()
    assert [u["username"] for u in body["users"]] == everyone
    assert body["next"] is None
    for u in body["users"]:
        assert_public_user(u)
    assert PW not in r.text
    for limit in (1, 3, 8):
        seen, after, pages = [], None, 0
        while True:
            params = {"limit": limit}
            if after is not None:
                params["after"] = after
            r = admin.get(server.url + "/api/v1/users", params=params, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["users"]) <= limit
            seen += [u["username"] for u in page["users"]]
            pages += 1
            assert pages <= len(everyone) + 2
            if page["next"] is None:
                break
            after = page["next"]
        assert seen == everyone, limit
    # the first page of two
    page = admin.get(server.url + "/api/v1/users", params={"limit": 2}, timeout=TIMEOUT).json()
    assert [u["username"] for u in page["users"]] == ["admin", "u00"]
    assert isinstance(page["next"], str) and page["next"]
    page = admin.get(server.url + "/api/v1/users", params={"limit": 2, "after": page["next"]},
                     timeout=TIMEOUT).json()
    assert [u["username"] for u in page["users"]] == ["u01", "u02"]
    # past the end
    page = admin.get(server.url + "/api/v1/users", params={"after": "zzz"},
                     timeout=TIMEOUT).json()
    assert page == {"users": [], "next": None}


def test_list_users_bad_limit_is_422(server, admin):
    for limit in ["0", "-1", "201", "abc", "", "1.5"]:
        r = admin.get(server.url + "/api/v1/users", params={"limit": limit}, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", "limit")
    r = admin.get(server.url + "/api/v1/users", params={"after": "a" * 100}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", "after")
    assert admin.get(server.url + "/api/v1/users", params={"limit": "200"},
                     timeout=TIMEOUT).status_code == 200


# ---- update ----

def test_patch_updates_fields(server, admin):
    created = server.add_user(admin, "frank", ["staff"])
    url = server.url + "/api/v1/users/frank"
    r = admin.patch(url, timeout=TIMEOUT,
                    json={"roles": ["officer", "principal"], "display_name": "Frank F",
                          "email": "frank@example.org"})
    assert r.status_code == 200, r.text
    u = r.json()
    assert_public_user(u)
    assert sorted(u["roles"]) == ["officer", "principal"]
    assert u["display_name"] == "Frank F" and u["email"] == "frank@example.org"
    assert u["version"] > created["version"]
    assert r.headers.get("ETag", "").strip('"') == str(u["version"])
    assert get_user(server, admin, "frank") == u
    s = server.login("frank", PW)
    assert sorted(s.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()["roles"]) == \
        ["officer", "principal"]
    # clearing optional texts
    r = admin.patch(url, json={"display_name": "", "email": ""}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["display_name"] == "" and r.json()["email"] == ""
    # frank enrolled as staff: the channel key is made for him on the server, the explicit step
    # (`dissent channel init`); he holds it alone: disabling him, or taking his officer role,
    # would leave filed memos unreadable
    res = server.cli("channel", "init", "frank")
    assert res.returncode == 0, res.stdout + res.stderr
    assert_error(admin.patch(url, json={"disabled": True}, timeout=TIMEOUT), 409,
                 "last_channel_holder")
    assert_error(admin.patch(url, json={"roles": ["principal"]}, timeout=TIMEOUT), 409,
                 "last_channel_holder")
    assert get_user(server, admin, "frank")["disabled"] is False
    # disabled round trip
    server.add_user(admin, "fred", ["staff"])
    url = server.url + "/api/v1/users/fred"
    r = admin.patch(url, json={"disabled": True}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert get_user(server, admin, "fred")["disabled"] is True
    r = admin.patch(url, json={"disabled": False}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["disabled"] is False


def test_patch_if_match(server, admin):
    created = server.add_user(admin, "gina", ["staff"])
    url = server.url + "/api/v1/users/gina"
    v1 = created["version"]
    r = admin.patch(url, json={"display_name": "Gina"}, headers={"If-Match": '"%d"' % v1},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    v2 = r.json()["version"]
    assert v2 > v1
    # the stale version is refused and nothing changes
    r = admin.patch(url, json={"display_name": "Stale"}, headers={"If-Match": '"%d"' % v1},
                    timeout=TIMEOUT)
    assert_error(r, 412, "version_mismatch")
    assert get_user(server, admin, "gina")["display_name"] == "Gina"
    r = admin.patch(url, json={"display_name": "Future"},
                    headers={"If-Match": '"%d"' % (v2 + 1)}, timeout=TIMEOUT)
    assert_error(r, 412, "version_mismatch")
    # the current version (quoted as the ETag, or bare) is accepted
    r = admin.patch(url, json={"display_name": "Gina 2"}, headers={"If-Match": str(v2)},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    etag = r.headers["ETag"]
    r = admin.patch(url, json={"display_name": "Gina 3"}, headers={"If-Match": etag},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert get_user(server, admin, "gina")["display_name"] == "Gina 3"
    # a malformed If-Match is an error, not ignored
    r = admin.patch(url, json={"display_name": "Bad"}, headers={"If-Match": "banana"},
                    timeout=TIMEOUT)
    assert_error(r, 400, "bad_if_match")
    assert get_user(server, admin, "gina")["display_name"] == "Gina 3"


def test_patch_unknown_user_is_404(server, admin):
    for name in ["nobody", "Nobody", "a" * 65, "x%20y"]:
        r = admin.patch(server.url + "/api/v1/users/" + name, json={"display_name": "X"},
                        timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
    assert get_user(server, admin, "nobody") is None


def test_admin_cannot_disable_self_or_drop_own_admin(server, admin):
    url = server.url + "/api/v1/users/admin"
    before = get_user(server, admin, "admin")
    r = admin.patch(url, json={"disabled": True}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", "disabled")
    for roles in [["auditor"]]:
        r = admin.patch(url, json={"roles": roles}, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", "roles")
    for roles in [["staff"], ["officer", "auditor"], ["admin", "officer"]]:
        r = admin.patch(url, json={"roles": roles}, timeout=TIMEOUT)
        assert_error(r, 422, "roles_combined")
    assert get_user(server, admin, "admin") == before
    assert admin.get(server.url + "/api/v1/me", timeout=TIMEOUT).status_code == 200
    # adding roles while keeping admin is fine
    r = admin.patch(url, json={"roles": ["admin", "auditor"]}, timeout=TIMEOUT)
    assert r.status_code == 200 and sorted(r.json()["roles"]) == ["admin", "auditor"]
    # another admin may disable this one
    server.add_user(admin, "root2", ["admin"])
    other = server.login("root2", PW)
    r = other.patch(url, json={"disabled": True}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert_error(admin.get(server.url + "/api/v1/me", timeout=TIMEOUT), 401, "unauthorized")


def test_reset_is_a_re_enrolment(server, admin):
    """An administrator's reset revokes the account's password and sessions and issues a new
    enrolment code: the administrator never learns a password that signs in."""
    created = server.add_user(admin, "hank", ["staff"])
    t1 = session_token(login_raw(server.url, "hank", PW))
    t2 = session_token(login_raw(server.url, "hank", PW))
    other = session_token(login_raw(server.url, "admin", server.admin_password))
    r = admin.post(server.url + "/api/v1/users/hank/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["enrolled"] is False and u["version"] > created["version"]
    code = u["enrolment"]["code"]
    assert CODE.match(code)
    for t in (t1, t2):
        r = requests.get(server.url + "/api/v1/me", headers=with_cookie(t), timeout=TIMEOUT)
        assert_error(r, 401, "unauthorized")
    # other users' sessions are untouched
    assert requests.get(server.url + "/api/v1/me", headers=with_cookie(other),
                        timeout=TIMEOUT).status_code == 200
    assert_error(login_raw(server.url, "hank", PW), 401, "invalid_credentials")
    # the code issued at creation no longer works; the new one does, once
    new_pw = "a whole new passphrase"
    r = server.session().post(server.url + "/api/v1/enrol", timeout=TIMEOUT,
                              json={"username": "hank", "code": created["enrolment"]["code"],
                                    "password": new_pw})
    assert_error(r, 401, "invalid_enrolment_code")
    server.enrol("hank", code, new_pw)
    r = server.session().post(server.url + "/api/v1/enrol", timeout=TIMEOUT,
                              json={"username": "hank", "code": code, "password": PW})
    assert_error(r, 401, "invalid_enrolment_code")
    assert login_raw(server.url, "hank", new_pw).status_code == 200
    # operator accounts are not re-enrolled (`dissent user passwd` on the server)
    server.add_user(admin, "ops", ["auditor"])
    assert_error(admin.post(server.url + "/api/v1/users/ops/reset", timeout=TIMEOUT), 409,
                 "operator_account")
    assert_error(admin.post(server.url + "/api/v1/users/nobody/reset", timeout=TIMEOUT), 404)
