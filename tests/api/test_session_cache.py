"""The read cache of sessions, accounts and two-factor rows (store.c) never outlives a change:
a sign-out, a disabled account, changed accounts, another process's change (the CLI), at once on
SQLite (data_version); on PostgreSQL, where the cache is off for now, at once too.
Each check hits the cache first (the same request repeated on every worker), then changes the
row elsewhere."""
import subprocess
import time

import requests

from conftest import BIN, PASSWORD, PG_BASE, Server, TIMEOUT

WARM = 8  # requests that fill every worker's cache (2 workers, keep-alive off)


def me(srv, cookies):
    """GET /api/v1/me on a new connection each time (so each worker answers some)."""
    r = requests.get(srv.url + "/api/v1/me", cookies=cookies, timeout=TIMEOUT,
                     headers={"Connection": "close"})
    return r.status_code, (r.json() if r.status_code == 200 else None)


def warm(srv, cookies):
    for _ in range(WARM):
        code, _ = me(srv, cookies)
        assert code == 200


def gone(srv, cookies, within=0.0):
    """Every one of WARM requests refused, the first within @within seconds."""
    deadline = time.time() + within
    while True:
        codes = [me(srv, cookies)[0] for _ in range(WARM)]
        if all(c == 401 for c in codes) or time.time() >= deadline:
            return codes
        time.sleep(0.02)


def test_a_change_empties_every_workers_cache(make_server):
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "cora", ["staff"])
    s = srv.login("cora", PASSWORD)
    cookies = s.cookies.get_dict()
    warm(srv, cookies)
    # new roles, by the administrator on another connection: seen at once
    r = admin.patch(srv.url + "/api/v1/users/cora", json={"display_name": "Cora Changed"},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    for _ in range(WARM):
        code, body = me(srv, cookies)
        assert code == 200 and body["display_name"] == "Cora Changed", body
    # signed out on one connection: refused on every other at once
    warm(srv, cookies)
    other = requests.Session()
    other.cookies.update(cookies)
    other.headers["X-Requested-With"] = "dissent"
    assert other.delete(srv.url + "/api/v1/session", timeout=TIMEOUT).status_code in (200, 204)
    assert gone(srv, cookies) == [401] * WARM
    # another process (the CLI) disables the account: refused at once
    s = srv.login("cora", PASSWORD)
    cookies = s.cookies.get_dict()
    warm(srv, cookies)
    r = subprocess.run([BIN, "user", "disable", "cora", "--config", srv.config, "--data",
                        srv.data, *srv.db_args()], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert gone(srv, cookies) == [401] * WARM


def test_two_servers_forget_a_signed_out_session(make_server):
    """On PostgreSQL, two servers on one database: a sign-out on one is refused by the other."""
    if not PG_BASE:
        return  # one database of several servers: PostgreSQL only (test_two_servers.py)
    a = make_server()
    b = make_server(data=a.data, db=a.db)
    admin = a.admin()
    a.add_user(admin, "dana", ["staff"])
    s = a.login("dana", PASSWORD)
    cookies = s.cookies.get_dict()
    warm(a, cookies)
    warm(b, cookies)
    assert s.delete(a.url + "/api/v1/session", timeout=TIMEOUT).status_code in (200, 204)
    assert gone(a, cookies) == [401] * WARM
    assert gone(b, cookies) == [401] * WARM


def test_the_kept_answer_to_me_follows_what_it_shows(make_server):
    """GET /api/v1/me is answered from what the worker kept (api/session.c) only while nothing
    changed: a two-factor enrolment begun is in the very next answer of every worker, and so is
    an account's new name changed by another session."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "elsa", ["staff"])
    s = srv.login("elsa", PASSWORD)
    cookies = s.cookies.get_dict()
    warm(srv, cookies)
    before = [me(srv, cookies)[1] for _ in range(WARM)]
    assert all(b["totp"] == {"enabled": False, "pending": False, "required": False,
                             "recovery_codes_left": 0} for b in before), before
    assert all(b == before[0] for b in before)  # the kept answer is the one made
    r = s.post(srv.url + "/api/v1/me/totp", json={"password": PASSWORD}, timeout=TIMEOUT)
    assert r.status_code in (200, 201), r.text
    for _ in range(WARM):
        code, body = me(srv, cookies)
        assert code == 200 and body["totp"]["pending"] is True, body
    r = admin.patch(srv.url + "/api/v1/users/elsa", json={"display_name": "Elsa Renamed"},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    for _ in range(WARM):
        code, body = me(srv, cookies)
        assert code == 200 and body["display_name"] == "Elsa Renamed", body


def test_kept_answers_to_me_are_never_another_sessions(make_server):
    """Sessions of two accounts, several each, share the worker's eight slots: each answer is
    its own session's account, whichever slot held what before."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "fay", ["staff"])
    srv.add_user(admin, "gil", ["staff"])
    jars = [(name, srv.login(name, PASSWORD).cookies.get_dict())
            for name in ("fay", "gil") for _ in range(6)]
    keep = requests.Session()  # one connection: one worker's slots, again and again
    seen = {}
    for _ in range(4):
        for name, cookies in jars:
            r = keep.get(srv.url + "/api/v1/me", cookies=cookies, timeout=TIMEOUT)
            assert r.status_code == 200 and r.json()["username"] == name, (name, r.text)
            seen.setdefault(cookies["dissent_session"], set()).add(
                r.json()["session"]["lifetime_ends_at"])
    # each session's own expiry, one value for each: no answer came from another slot's session
    assert len(seen) == 12 and all(len(v) == 1 for v in seen.values()), seen
