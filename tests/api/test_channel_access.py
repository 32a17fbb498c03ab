"""Issue 4: the channel key (DESIGN.md, "Cryptography").

Filed memos are sealed to the channel key, whose private half is sealed to every officer who
holds it. The first officer's enrolment creates it (before that, filing is 409; a channel whose
officers enrolled before it had a key gets it from `dissent channel init OFFICER`); an officer who
joins later reads filed memos only once an officer who holds it grants it, through
POST /api/v1/channel/grants or `dissent channel grant USER --as OFFICER --password-stdin`.
"""
import pytest

from conftest import PASSWORD, TIMEOUT, Server, assert_error, assert_wrong_state, memo_url
from keyhelpers import assert_no_key, call, create_memo, filed_memo, get_memo, marker

CHANNEL = "/api/v1/channel"
GRANTS = "/api/v1/channel/grants"


def channel_status(srv, s):
    r = call(s, "GET", srv.url + CHANNEL)
    body = r.json()
    assert set(body) == {"has_key", "granted", "channels"}, body
    # one channel here: the whole is its own
    assert [(c["channel"], c["slug"]) for c in body["channels"]] == [(1, "main")], body
    assert body["channels"][0]["has_key"] == body["has_key"], body
    assert body["channels"][0]["granted"] == body["granted"], body
    return {k: body[k] for k in ("has_key", "granted")}


def grant(srv, s, username):
    return s.post(srv.url + GRANTS, json={"username": username}, timeout=TIMEOUT)


def cli_grant(srv, to, granter="anna", password=PASSWORD):
    return srv.cli("channel", "grant", to, "--as", granter, "--password-stdin",
                   stdin=password + "\n")


# ---- the channel key comes with the first officer's enrolment ----

def test_filing_waits_for_the_first_officer(server, admin):
    server.add_user(admin, "dave", ["staff"])
    d = server.login("dave", PASSWORD)
    mid = create_memo(server, d, "Early", "Too early.\n")
    call(d, "POST", memo_url(server, mid, "finalize"))
    call(d, "POST", memo_url(server, mid, "signatures"), status=201)
    r = d.post(memo_url(server, mid, "file"), timeout=TIMEOUT)
    err = assert_wrong_state(r, "open")
    assert "officer" in err["message"], err
    assert get_memo(server, d, mid)["state"] == "open"

    # the officer's enrolment makes the key: filing works before she ever signs in
    server.add_user(admin, "anna", ["officer"])
    assert call(d, "POST", memo_url(server, mid, "file")).json()["state"] == "filed"
    a = server.login("anna", PASSWORD)
    assert channel_status(server, a) == {"has_key": True, "granted": True}
    assert get_memo(server, a, mid)["title"] == "Early"


def test_signing_in_makes_no_channel_key_and_channel_init_does(server, admin):
    """An officer who enrolled as staff has keys but no channel key was made for her: signing in
    does not make one (nothing happens quietly at sign-in); `dissent channel init` does, once."""
    server.add_user(admin, "dave", ["staff"])
    server.add_user(admin, "olga", ["staff"])
    r = admin.patch(server.url + "/api/v1/users/olga", json={"roles": ["officer"]},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    o = server.login("olga", PASSWORD)
    assert channel_status(server, o) == {"has_key": False, "granted": False}
    d = server.login("dave", PASSWORD)
    mid = create_memo(server, d, "Waiting", "For a key.\n")
    call(d, "POST", memo_url(server, mid, "finalize"))
    call(d, "POST", memo_url(server, mid, "signatures"), status=201)
    assert_wrong_state(d.post(memo_url(server, mid, "file"), timeout=TIMEOUT), "open")

    # not for a staff account, nor an unknown one, nor a disabled officer (she would hold the
    # key alone and answer nothing)
    for who, why in (("dave", "cannot hold the channel key"), ("nobody", "no such user")):
        res = server.cli("channel", "init", who)
        assert res.returncode == 1 and why in res.stderr, (who, res.stderr)
    olga = server.url + "/api/v1/users/olga"
    assert admin.patch(olga, json={"disabled": True}, timeout=TIMEOUT).status_code == 200
    res = server.cli("channel", "init", "olga")
    assert res.returncode == 1 and "cannot hold the channel key" in res.stderr, res.stderr
    assert admin.patch(olga, json={"disabled": False}, timeout=TIMEOUT).status_code == 200
    o = server.login("olga", PASSWORD)
    res = server.cli("channel", "init", "olga")
    assert res.returncode == 0 and "made the channel key and granted it to olga" in res.stdout, \
        res.stdout + res.stderr
    assert channel_status(server, o) == {"has_key": True, "granted": True}
    assert call(d, "POST", memo_url(server, mid, "file")).json()["state"] == "filed"
    assert get_memo(server, o, mid)["title"] == "Waiting"
    # a second init changes nothing
    res = server.cli("channel", "init", "olga")
    assert res.returncode == 0 and "already has its key" in res.stdout, res.stdout
    assert get_memo(server, o, mid)["title"] == "Waiting"


# ---- grants ----

class Cast:
    pass


@pytest.fixture(scope="module")
def cast():
    srv = Server()
    try:
        c = Cast()
        c.srv = srv
        admin = srv.admin()
        srv.add_user(admin, "anna", ["officer"])
        srv.add_user(admin, "dave", ["staff"])
        c.s = {"admin": admin, "anna": srv.login("anna", PASSWORD),
               "dave": srv.login("dave", PASSWORD)}
        c.title = "Channel " + marker()
        c.mid = filed_memo(srv, c.s["dave"], c.title, "Body.\n")
        yield c
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def new_officer(cast, name, roles=("officer",)):
    """An officer created (and signed in) after anna created the channel key."""
    cast.srv.add_user(cast.s["admin"], name, list(roles))
    s = cast.srv.login(name, PASSWORD)
    cast.s[name] = s
    return s


def test_new_officer_reads_only_after_a_grant(cast):
    srv = cast.srv
    b = new_officer(cast, "bert")
    # sees the filed memo exists, cannot open it, and is told why
    r = b.get(memo_url(srv, cast.mid), timeout=TIMEOUT)
    assert_no_key(r, "channel access not yet granted")
    assert cast.title not in r.text
    assert channel_status(srv, b) == {"has_key": True, "granted": False}
    # the list shows the memo without its title
    listed = {m["id"]: m["title"] for m in call(b, "GET", memo_url(srv)).json()["memos"]}
    assert cast.mid in listed and listed[cast.mid] is None, listed
    # nor can he act on it (every officer action needs the key)
    assert_no_key(b.post(memo_url(srv, cast.mid, "comments"), json={"body": "hi"},
                         timeout=TIMEOUT))

    r = grant(srv, cast.s["anna"], "bert")
    assert r.status_code == 201, r.text
    assert r.json() == {"username": "bert", "granted": True, "channels": ["main"]}
    assert channel_status(srv, b) == {"has_key": True, "granted": True}
    assert get_memo(srv, b, cast.mid)["title"] == cast.title
    listed = {m["id"]: m["title"] for m in call(b, "GET", memo_url(srv)).json()["memos"]}
    assert listed[cast.mid] == cast.title
    # and bert, now holding it, can grant in turn
    new_officer(cast, "bess")
    assert grant(srv, b, "bess").status_code == 201
    assert get_memo(srv, cast.s["bess"], cast.mid)["title"] == cast.title


def test_officer_without_a_grant_cannot_grant(cast):
    srv = cast.srv
    g = new_officer(cast, "gina")
    new_officer(cast, "gus")
    r = grant(srv, g, "gus")
    assert_no_key(r, "not yet granted")
    assert channel_status(srv, cast.s["gus"])["granted"] is False
    assert_no_key(cast.s["gus"].get(memo_url(srv, cast.mid), timeout=TIMEOUT))


@pytest.mark.parametrize("name,roles", [
    ("sally", ["staff"]),
    ("percy", ["principal"]),
    ("audra", ["auditor"]),
    ("adam", ["admin"]),
])
def test_grant_to_a_non_officer_is_422(cast, name, roles):
    srv = cast.srv
    srv.add_user(cast.s["admin"], name, roles)
    r = grant(srv, cast.s["anna"], name)
    assert_error(r, 422, field="username")
    if "officer" in roles:
        s = srv.login(name, PASSWORD)
        assert channel_status(srv, s)["granted"] is False


def test_grant_validation(cast):
    srv = cast.srv
    a = cast.s["anna"]
    assert_error(grant(srv, a, "nobody"), 422, field="username")
    assert_error(a.post(srv.url + GRANTS, json={}, timeout=TIMEOUT), 422)
    assert_error(a.post(srv.url + GRANTS, json={"username": "bert", "x": 1}, timeout=TIMEOUT),
                 422)
    # only officers reach the route at all
    assert_error(grant(srv, cast.s["dave"], "anna"), 403)
    assert_error(grant(srv, cast.s["admin"], "anna"), 403)
    assert_error(call(cast.s["dave"], "GET", srv.url + CHANNEL, status=403), 403)
    assert_error(srv.session().post(srv.url + GRANTS, json={"username": "anna"},
                                    timeout=TIMEOUT), 401)


def test_disabled_officer_cannot_be_granted(cast):
    srv = cast.srv
    srv.add_user(cast.s["admin"], "dora", ["officer"])
    call(cast.s["admin"], "PATCH", srv.url + "/api/v1/users/dora", {"disabled": True})
    assert_error(grant(srv, cast.s["anna"], "dora"), 422, field="username")


# ---- the CLI grant ----

def test_cli_grant_while_running(cast):
    srv = cast.srv
    c = new_officer(cast, "cleo")
    assert_no_key(c.get(memo_url(srv, cast.mid), timeout=TIMEOUT))
    # a wrong password grants nothing
    r = cli_grant(srv, "cleo", password="not the password")
    assert r.returncode != 0, r.stdout
    assert_no_key(c.get(memo_url(srv, cast.mid), timeout=TIMEOUT))
    # an officer without the key cannot grant by the CLI either
    new_officer(cast, "cora")
    r = cli_grant(srv, "cleo", granter="cora")
    assert r.returncode != 0, r.stdout
    assert "not yet granted" in r.stderr, r.stderr
    # to a non-officer: refused
    srv.add_user(cast.s["admin"], "stan", ["staff"])
    r = cli_grant(srv, "stan")
    assert r.returncode != 0 and "officer" in r.stderr, (r.stdout, r.stderr)

    r = cli_grant(srv, "cleo")
    assert r.returncode == 0, r.stderr
    assert "cleo" in r.stdout, r.stdout
    assert get_memo(srv, c, cast.mid)["title"] == cast.title
    assert channel_status(srv, c) == {"has_key": True, "granted": True}


def test_cli_grant_while_stopped(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    server.add_user(admin, "carl", ["officer"])
    server.login("anna", PASSWORD)
    d = server.login("dave", PASSWORD)
    mid = filed_memo(server, d, "Stopped", "Body.\n")
    c = server.login("carl", PASSWORD)
    assert_no_key(c.get(memo_url(server, mid), timeout=TIMEOUT), "not yet granted")
    assert server.stop() == 0
    r = cli_grant(server, "carl")
    assert r.returncode == 0, r.stderr
    server.restart()
    c = server.login("carl", PASSWORD)
    assert get_memo(server, c, mid)["title"] == "Stopped"


def test_cli_grant_to_an_admin_is_refused(cast):
    srv = cast.srv
    srv.add_user(cast.s["admin"], "cadmin", ["admin"])
    r = cli_grant(srv, "cadmin")
    assert r.returncode != 0 and "officer" in r.stderr, (r.stdout, r.stderr)


# ---- an officer's keys across password changes and resets ----

def test_officer_keeps_the_channel_across_password_change_and_recovery(server, admin):
    from keyhelpers import first_login
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    a, _key = first_login(server, "anna")
    mid = filed_memo(server, server.login("dave", PASSWORD), "Kept", "Body.\n")
    r = a.post(server.url + "/api/v1/me/password", timeout=TIMEOUT,
               json={"current_password": PASSWORD, "new_password": "anna's new passphrase"})
    assert r.status_code == 200, r.text
    key = r.json()["recovery_key"]  # the change replaced it
    a = server.login("anna", "anna's new passphrase")
    assert get_memo(server, a, mid)["title"] == "Kept"
    r = server.session().post(server.url + "/api/v1/recovery", timeout=TIMEOUT, json={
        "username": "anna", "recovery_key": key, "new_password": "anna's third passphrase"})
    assert r.status_code == 200, r.text
    a = server.login("anna", "anna's third passphrase")
    assert get_memo(server, a, mid)["title"] == "Kept"
    assert channel_status(server, a) == {"has_key": True, "granted": True}


def test_officer_reset_by_an_admin_needs_a_new_grant(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "bert", ["officer"])
    server.add_user(admin, "cora", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    a = server.login("anna", PASSWORD)
    b = server.login("bert", PASSWORD)
    c = server.login("cora", PASSWORD)
    assert grant(server, a, "bert").status_code == 201
    assert grant(server, a, "cora").status_code == 201
    mid = filed_memo(server, server.login("dave", PASSWORD), "Reset", "Body.\n")
    assert get_memo(server, b, mid)["title"] == "Reset"
    r = admin.post(server.url + "/api/v1/users/bert/reset", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["enrolled"] is False, r.text
    server.enrol("bert", r.json()["enrolment"]["code"], "bert's new password")
    b = server.login("bert", "bert's new password")
    # until officers confirm him, he is recused from every memo of before the reset alike
    assert_error(b.get(memo_url(server, mid), timeout=TIMEOUT), 403, "recused")
    # he cannot pass on what he cannot open
    server.add_user(admin, "cleo", ["officer"])
    assert_no_key(grant(server, b, "cleo"))
    # nobody grants it to him again before two other officers confirm the account is his
    assert_error(grant(server, a, "bert"), 409, "confirmation_required")
    fp = b.get(server.url + "/api/v1/me", timeout=TIMEOUT).json()["reset"]["fingerprint"]
    for s in (a, c):
        r = s.post(server.url + "/api/v1/channel/resets/bert/confirm", timeout=TIMEOUT,
                   json={"fingerprint": fp})
        assert r.status_code == 200, r.text
    # granted again, he reads again
    assert grant(server, a, "bert").status_code == 201
    assert get_memo(server, b, mid)["title"] == "Reset"
    assert grant(server, b, "cleo").status_code == 201


def test_concurrent_first_officer_sign_ins_make_one_channel_key(make_server):
    from conftest import add_users, login_raw, parallel
    srv = make_server(workers=4)
    admin = srv.admin()
    names = ["off%d" % i for i in range(8)]
    add_users(srv, admin, names, ["officer"])
    srv.add_user(admin, "dave", ["staff"])
    rs = parallel(lambda n: login_raw(srv.url, n, PASSWORD), names, 8)
    assert [r.status_code for r in rs] == [200] * len(names), [r.text for r in rs]
    sessions = {n: srv.login(n, PASSWORD) for n in names}
    holders = [n for n in names if channel_status(srv, sessions[n])["granted"]]
    assert len(holders) == 1, holders
    mid = filed_memo(srv, srv.login("dave", PASSWORD), "Race", "Body.\n")
    assert get_memo(srv, sessions[holders[0]], mid)["title"] == "Race"
