"""Issue 4: passwords, recovery keys and an administrator's reset (DESIGN.md, "Cryptography";
docs/security.md).

- the recovery key is shown once, at the account's enrolment (core/enrol.h), never at sign-in;
- changing one's password (POST /api/v1/me/password) keeps the keys: old memos stay readable;
  it replaces the recovery key (issue 14: whoever saw the old one keeps no way in);
- POST /api/v1/recovery resets the password with the recovery key, keeps the keys and replaces
  the key (the used one stops working); a wrong key is 401 and throttled like a sign-in;
- an administrator's reset (POST /api/v1/users/{u}/reset) revokes the account's keys and issues
  an enrolment code: the user re-enrols with a password of their own; memos shared before are
  403 `no_key` with a message saying why, new memos are readable, and the re-enrolment shows a
  new recovery key.
"""
import re

from conftest import (PASSWORD, TIMEOUT, assert_error, login_raw, memo_url, session_from)
from keyhelpers import (RECOVERY_KEY, assert_no_key, call, create_memo, first_login, get_memo,
                        marker)

NEW_PASSWORD = "a brand new passphrase"
ME_PASSWORD = "/api/v1/me/password"
RECOVERY = "/api/v1/recovery"


def post(srv, path, body, session=None):
    s = session or srv.session()
    return s.post(srv.url + path, json=body, timeout=TIMEOUT)


def shared_pair(srv, admin, drafter, cosigner):
    """`drafter` and `cosigner` (staff, new, signed in once); a draft by the drafter and a draft
    by the cosigner that invites the drafter. Returns (sessions, recovery keys, {id: title})."""
    srv.add_user(admin, drafter, ["staff"])
    srv.add_user(admin, cosigner, ["staff"])
    sd, kd = first_login(srv, drafter)
    sc, kc = first_login(srv, cosigner)
    own, other = "own " + marker(), "shared " + marker()
    m1 = create_memo(srv, sd, own, "Body of %s\n" % own)
    m2 = create_memo(srv, sc, other, "Body of %s\n" % other)
    call(sc, "POST", memo_url(srv, m2, "invitations"), {"usernames": [drafter]})
    return (sd, sc), (kd, kc), {m1: own, m2: other}


def assert_reads(srv, s, titles):
    for mid, title in titles.items():
        v = get_memo(srv, s, mid)
        assert v["title"] == title, v
        assert v["body"] == "Body of %s\n" % title, v


# ---- the recovery key is shown once ----

def test_recovery_key_shown_only_at_enrolment(server, admin):
    created = server.add_user(admin, "rosa", ["staff"])
    assert RECOVERY_KEY.match(created["recovery_key"])
    s, key = first_login(server, "rosa")
    r = login_raw(server.url, "rosa", PASSWORD)
    assert r.status_code == 200, r.text
    assert "recovery_key" not in r.json() and "recovery_notice" not in r.json(), r.json()
    me = call(s, "GET", server.url + "/api/v1/me").json()
    assert me.get("has_recovery_key") is True, me
    assert re.match(r"^\d{4}-\d\d-\d\dT", me.get("recovery_key_issued_at", "")), me
    assert key not in call(s, "GET", server.url + "/api/v1/me").text


# ---- changing one's own password ----

def test_password_change_keeps_access(server, admin):
    (sd, _sc), _keys, titles = shared_pair(server, admin, "dora", "carl")
    # a wrong current password, a too short new one: 422, nothing changed
    r = post(server, ME_PASSWORD, {"current_password": "not my password",
                                   "new_password": NEW_PASSWORD}, sd)
    assert_error(r, 422, field="current_password")
    r = post(server, ME_PASSWORD, {"current_password": PASSWORD, "new_password": "short"}, sd)
    assert_error(r, 422, field="new_password")
    assert login_raw(server.url, "dora", PASSWORD).status_code == 200
    assert_reads(server, sd, titles)

    r = post(server, ME_PASSWORD, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, sd)
    assert r.status_code == 200, r.text
    assert r.json().get("keys_kept") is True, r.json()
    # every session ended, the old password fails, the new one works and reads the old memos
    assert_error(sd.get(memo_url(server), timeout=TIMEOUT), 401)
    assert_error(login_raw(server.url, "dora", PASSWORD, session=session_from("127.0.0.51")),
                 401, "invalid_credentials")
    r = login_raw(server.url, "dora", NEW_PASSWORD)
    assert r.status_code == 200, r.text
    assert "recovery_key" not in r.json(), "a password change must not issue a recovery key"
    s = server.login("dora", NEW_PASSWORD)
    assert_reads(server, s, titles)


def test_password_change_needs_a_session(server):
    r = post(server, ME_PASSWORD, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert_error(r, 401)


# ---- the recovery key ----

def test_recovery_resets_the_password_and_keeps_access(server, admin):
    (sd, _sc), (key1, key_other), titles = shared_pair(server, admin, "rita", "ravi")
    # another account's key does not open this one
    r = post(server, RECOVERY, {"username": "rita", "recovery_key": key_other,
                                "new_password": NEW_PASSWORD})
    assert_error(r, 401, "invalid_recovery_key")

    r = post(server, RECOVERY, {"username": "rita", "recovery_key": key1,
                                "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("keys_kept") is True, body
    key2 = body.get("recovery_key")
    assert isinstance(key2, str) and RECOVERY_KEY.match(key2), body
    assert key2 != key1
    # sessions ended; the old password fails; the new one reads the old memos
    assert_error(sd.get(memo_url(server), timeout=TIMEOUT), 401)
    assert_error(login_raw(server.url, "rita", PASSWORD, session=session_from("127.0.0.52")),
                 401, "invalid_credentials")
    s = server.login("rita", NEW_PASSWORD)
    assert_reads(server, s, titles)

    # the used key no longer works; the new one does, once more keeping access
    r = post(server, RECOVERY, {"username": "rita", "recovery_key": key1,
                                "new_password": "yet another passphrase"},
             session_from("127.0.0.53"))
    assert_error(r, 401, "invalid_recovery_key")
    assert login_raw(server.url, "rita", NEW_PASSWORD).status_code == 200
    r = post(server, RECOVERY, {"username": "rita", "recovery_key": key2,
                                "new_password": "yet another passphrase"})
    assert r.status_code == 200, r.text
    key3 = r.json()["recovery_key"]
    assert key3 not in (key1, key2)
    s = server.login("rita", "yet another passphrase")
    assert_reads(server, s, titles)


def test_wrong_recovery_key_is_401_like_an_unknown_user(server, admin):
    server.add_user(admin, "uma", ["staff"])
    first_login(server, "uma")
    bad = "00000000-" * 7 + "00000000"
    r1 = post(server, RECOVERY, {"username": "uma", "recovery_key": bad,
                                 "new_password": NEW_PASSWORD}, session_from("127.0.0.61"))
    r2 = post(server, RECOVERY, {"username": "nobody", "recovery_key": bad,
                                 "new_password": NEW_PASSWORD}, session_from("127.0.0.62"))
    r3 = post(server, RECOVERY, {"username": "uma", "recovery_key": "not a key",
                                 "new_password": NEW_PASSWORD}, session_from("127.0.0.63"))
    for r in (r1, r2, r3):
        assert_error(r, 401, "invalid_recovery_key")
    assert r1.json() == r2.json() == r3.json()
    assert "Set-Cookie" not in r1.headers, r1.headers
    # the password is unchanged
    assert login_raw(server.url, "uma", PASSWORD).status_code == 200


def assert_rate_limited(r):
    assert_error(r, 429, "rate_limited")
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and int(ra) > 0, ra


def test_wrong_recovery_keys_are_throttled_per_username(make_server):
    srv = make_server(config={"security": {"login_max_failures": "3"}})
    admin = srv.admin()
    srv.add_user(admin, "vera", ["staff"])
    _s, key = first_login(srv, "vera")
    bad = "11111111-" * 7 + "11111111"
    for i in range(3):
        r = post(srv, RECOVERY, {"username": "vera", "recovery_key": bad,
                                 "new_password": NEW_PASSWORD}, session_from("127.0.0.%d" % (70 + i)))
        assert_error(r, 401, "invalid_recovery_key")
    # the next try is refused, even with the right key and from a fresh address
    r = post(srv, RECOVERY, {"username": "vera", "recovery_key": key,
                             "new_password": NEW_PASSWORD}, session_from("127.0.0.80"))
    assert_rate_limited(r)
    # and the failures count for sign-ins as well: they share the throttle
    assert_rate_limited(login_raw(srv.url, "vera", PASSWORD, session=session_from("127.0.0.81")))


def test_successful_recovery_clears_failures_like_a_sign_in(make_server):
    """Throttled like logins: a successful sign-in clears the username's failures, and so must
    a successful recovery (the user just proved they hold the key)."""
    srv = make_server(config={"security": {"login_max_failures": "3"}})
    admin = srv.admin()
    srv.add_user(admin, "lena", ["staff"])
    srv.add_user(admin, "lars", ["staff"])
    _s, key = first_login(srv, "lena")
    bad = "33333333-" * 7 + "33333333"
    # the reference: two failed sign-ins, a good one, a typo, a good one
    for i in range(2):
        assert_error(login_raw(srv.url, "lars", "typo %d" % i,
                               session=session_from("127.0.0.%d" % (100 + i))), 401)
    assert login_raw(srv.url, "lars", PASSWORD, session=session_from("127.0.0.102")) \
        .status_code == 200
    assert_error(login_raw(srv.url, "lars", "typo", session=session_from("127.0.0.103")), 401)
    assert login_raw(srv.url, "lars", PASSWORD, session=session_from("127.0.0.104")) \
        .status_code == 200
    # the same with recovery: two wrong keys, the right key, a typo, a good sign-in
    for i in range(2):
        assert_error(post(srv, RECOVERY, {"username": "lena", "recovery_key": bad,
                                          "new_password": NEW_PASSWORD},
                          session_from("127.0.0.%d" % (110 + i))), 401, "invalid_recovery_key")
    r = post(srv, RECOVERY, {"username": "lena", "recovery_key": key,
                             "new_password": NEW_PASSWORD}, session_from("127.0.0.112"))
    assert r.status_code == 200, r.text
    assert_error(login_raw(srv.url, "lena", "typo", session=session_from("127.0.0.113")), 401)
    r = login_raw(srv.url, "lena", NEW_PASSWORD, session=session_from("127.0.0.114"))
    assert r.status_code == 200, "after a successful recovery and one typo, the right " \
        "password is refused: %d %s" % (r.status_code, r.text)


def test_wrong_recovery_keys_are_throttled_per_address(make_server):
    srv = make_server(config={"security": {"login_max_failures": "3"}})
    admin = srv.admin()
    srv.add_user(admin, "walt", ["staff"])
    first_login(srv, "walt")
    attacker = session_from("127.0.0.90")
    bad = "22222222-" * 7 + "22222222"
    # an address has four times a username's allowance (an office behind one proxy)
    for i in range(12):
        r = post(srv, RECOVERY, {"username": "guess%d" % i, "recovery_key": bad,
                                 "new_password": NEW_PASSWORD}, attacker)
        assert_error(r, 401, "invalid_recovery_key")
    assert_rate_limited(post(srv, RECOVERY, {"username": "walt", "recovery_key": bad,
                                             "new_password": NEW_PASSWORD}, attacker))
    assert_rate_limited(login_raw(srv.url, "walt", PASSWORD, session=attacker))
    # the account itself is not locked for others
    assert login_raw(srv.url, "walt", PASSWORD, session=session_from("127.0.0.91")).status_code \
        == 200


def test_recovery_validates_its_fields(server, admin):
    server.add_user(admin, "xena", ["staff"])
    _s, key = first_login(server, "xena")
    r = post(server, RECOVERY, {"username": "xena", "recovery_key": key, "new_password": "short"})
    assert_error(r, 422, field="new_password")
    r = post(server, RECOVERY, {"username": "xena", "recovery_key": key})
    assert_error(r, 422)
    r = post(server, RECOVERY, {"username": "xena", "recovery_key": key,
                                "new_password": NEW_PASSWORD, "extra": 1})
    assert_error(r, 422)
    # none of these spent the key
    r = post(server, RECOVERY, {"username": "xena", "recovery_key": key,
                                "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text


# ---- an administrator's reset ----

def test_admin_reset_loses_old_content_but_not_new(make_server):
    # with the officers' confirmation after a reset turned off: test_reset.py covers it
    server = make_server(config={"security": {"reset_confirmations": "0"}})
    admin = server.admin()
    (sd, sc), (key1, _kc), titles = shared_pair(server, admin, "nina", "ned")
    r = admin.post(server.url + "/api/v1/users/nina/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["enrolled"] is False and isinstance(body.get("notice"), str), body
    code = body["enrolment"]["code"]
    # the reset ended the sessions and the old password
    assert_error(sd.get(memo_url(server), timeout=TIMEOUT), 401)
    assert_error(login_raw(server.url, "nina", PASSWORD, session=session_from("127.0.0.54")),
                 401, "invalid_credentials")
    # the old recovery key opens nothing any more
    r = post(server, RECOVERY, {"username": "nina", "recovery_key": key1,
                                "new_password": "another passphrase"}, session_from("127.0.0.56"))
    assert_error(r, 401, "invalid_recovery_key")

    # nina re-enrols with a password of her own; the re-enrolment shows a new recovery key
    key2 = server.enrol("nina", code, NEW_PASSWORD)["recovery_key"]
    assert key2 != key1
    s, _ = first_login(server, "nina", NEW_PASSWORD)
    # memos from before: not hers until an officer has dealt with the reset (404), her own and
    # the one she was invited to
    for mid in titles:
        r = s.get(memo_url(server, mid), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        for t in titles.values():
            assert t not in r.text
    # a memo made after the reset is readable
    title = "after " + marker()
    mid = create_memo(server, s, title, "Body of %s\n" % title)
    assert_reads(server, s, {mid: title})
    # and one shared after the reset too
    m3title = "shared again " + marker()
    m3 = create_memo(server, sc, m3title, "Body of %s\n" % m3title)
    call(sc, "POST", memo_url(server, m3, "invitations"), {"usernames": ["nina"]})
    assert_reads(server, s, {m3: m3title})
    # the co-signer keeps reading the memo nina can no longer open
    assert_reads(server, sc, {m: t for m, t in titles.items() if t.startswith("shared ")})

    # the recovery key from before the reset no longer works; the new one does
    r = post(server, RECOVERY, {"username": "nina", "recovery_key": key1,
                                "new_password": "another passphrase"}, session_from("127.0.0.55"))
    assert_error(r, 401, "invalid_recovery_key")
    r = post(server, RECOVERY, {"username": "nina", "recovery_key": key2,
                                "new_password": "another passphrase"})
    assert r.status_code == 200, r.text
    s = server.login("nina", "another passphrase")
    assert_reads(server, s, {mid: title, m3: m3title})


def test_admin_patch_without_password_keeps_keys(server, admin):
    (sd, _sc), _keys, titles = shared_pair(server, admin, "otto", "olaf")
    r = admin.patch(server.url + "/api/v1/users/otto", json={"display_name": "Otto"},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert "keys_reset" not in r.json() and "warning" not in r.json(), r.json()
    assert_reads(server, sd, titles)


# ---- secrets stay out of the log and the data dir ----

def test_recovery_keys_and_passwords_are_not_stored_or_logged(server, admin):
    from keyhelpers import data_files, find_markers
    server.add_user(admin, "yuri", ["staff"])
    _s, key1 = first_login(server, "yuri")
    r = post(server, RECOVERY, {"username": "yuri", "recovery_key": key1,
                                "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    key2 = r.json()["recovery_key"]
    s = server.login("yuri", NEW_PASSWORD)
    r = post(server, ME_PASSWORD, {"current_password": NEW_PASSWORD,
                                   "new_password": "third passphrase"}, s)
    assert r.status_code == 200, r.text
    secrets_ = {"key1": key1, "key1_hex": key1.replace("-", ""), "key2": key2,
                "key2_hex": key2.replace("-", ""), "new_password": NEW_PASSWORD,
                "third_password": "third passphrase"}
    assert not find_markers(data_files(server), secrets_), "secrets at rest while running"
    assert server.stop() == 0
    assert not find_markers(data_files(server), secrets_), "secrets at rest after the stop"
    log = server.log()
    assert not [k for k, v in secrets_.items() if v in log], "secrets in the log"


def test_password_change_replaces_the_recovery_key(server, admin):
    """A password change re-wraps the account's keys and replaces the recovery key: whoever saw
    the old key (or the old password) keeps no way in, and the new key keeps access."""
    (sd, _sc), (key, _kc), titles = shared_pair(server, admin, "zoe", "zack")
    r = post(server, ME_PASSWORD, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, sd)
    assert r.status_code == 200, r.text
    key2 = r.json()["recovery_key"]
    assert RECOVERY_KEY.match(key2) and key2 != key
    r = post(server, RECOVERY, {"username": "zoe", "recovery_key": key,
                                "new_password": "third passphrase"})
    assert_error(r, 401, "invalid_recovery_key")
    r = post(server, RECOVERY, {"username": "zoe", "recovery_key": key2,
                                "new_password": "third passphrase"})
    assert r.status_code == 200, r.text
    assert_reads(server, server.login("zoe", "third passphrase"), titles)


def test_concurrent_enrolments_with_one_code_let_exactly_one_through(make_server):
    """The same code sent many times at once (several tabs, a retry, an attacker racing the
    user): exactly one enrolment succeeds, and the recovery key it shows works."""
    from conftest import parallel
    # the spent code's retries count as failed attempts: keep the throttle out of the way
    srv = make_server(workers=4, config={"security": {"login_max_failures": "100"}})
    admin = srv.admin()
    problems = []
    for i in range(8):
        name = "par%d" % i
        r = admin.post(srv.url + "/api/v1/users", json={"username": name, "roles": ["staff"]},
                       timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        code = r.json()["enrolment"]["code"]
        rs = parallel(lambda j: srv.session().post(
            srv.url + "/api/v1/enrol", timeout=TIMEOUT,
            json={"username": name, "code": code, "password": "pass word %d" % j}), range(6), 6)
        ok = [(j, r) for j, r in enumerate(rs) if r.status_code == 200]
        bad = [r.text for r in rs if r.status_code not in (200, 401)]
        if len(ok) != 1 or bad:
            problems.append("%s: %d enrolments succeeded; others: %s" % (name, len(ok), bad))
            continue
        j, r = ok[0]
        assert login_raw(srv.url, name, "pass word %d" % j).status_code == 200
        r = post(srv, RECOVERY, {"username": name, "recovery_key": r.json()["recovery_key"],
                                 "new_password": NEW_PASSWORD})
        if r.status_code != 200:
            problems.append("%s: the key shown does not work: %s" % (name, r.text))
    assert not problems, "\n".join(problems)
