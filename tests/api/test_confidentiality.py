"""Issue 4, confidentiality: no plaintext at rest, no keys for admins and auditors, and access
that survives a restart (DESIGN.md, "Cryptography"; docs/security.md).

One server (fixture `world`) runs two whole life cycles with random markers in every content
field: memo 1 (title, body, comments, a reopen reason, an extension reason, the reply, closed)
and memo 2 (declined with a reason). While it runs, and again after a clean stop, no file of the
data directory (database, WAL, shared memory, key files) may contain any marker, nor may the
server's log. Admins and auditors get 403 on every content route, and the database holds no
memo key or channel grant for them. Then the server restarts on the same data and everyone reads
their memos again.
"""
import pytest

from conftest import (PASSWORD, TIMEOUT, Server, add_users, assert_error, login_all, memo_url)
from keyhelpers import (call, create_memo, data_files, find_markers, get_memo, marker, open_db, user_refs,
                        user_ids)

PEOPLE_STAFF = ["dana", "colin"]
# admin and auditor are never combined with a content role (the combinations are refused:
# test_roles_that_hold_content_never_join_admin_or_auditor)
ADMINISH = {"sam": ["admin"], "paula": ["auditor"], "oscar": ["admin"], "audrey": ["auditor"]}


def content_routes(mid):
    """(method, path, json) of every route that reads or writes memo content."""
    m = "/api/v1/memos/" + mid
    return [
        ("GET", "/api/v1/memos", None),
        ("POST", "/api/v1/memos", {"title": "t", "body": "b\n"}),
        ("GET", "/api/v1/deadlines", None),
        ("GET", m, None),
        ("PATCH", m, {"title": "t"}),
        ("GET", m + "/comments", None),
        ("POST", m + "/comments", {"body": "c"}),
        ("GET", m + "/bundle", None),
        ("GET", m + "/audit", None),
        ("POST", m + "/acknowledge", None),
        ("POST", m + "/decline", {"reason": "r", "referral": "eeo"}),
        ("POST", m + "/extend", {"until": "2030-01-01", "reason": "r"}),
        ("POST", m + "/reply", {"body": "r"}),
        ("POST", m + "/distribution", {"usernames": ["priya"]}),
        ("POST", m + "/close", None),
        ("POST", m + "/finalize", None),
        ("POST", m + "/signatures", None),
    ]


class World:
    pass


def build(srv):
    w = World()
    w.srv = srv
    w.m = {k: marker() for k in ("title", "body", "draft_title", "comment_cosigner",
                                 "comment_officer", "comment_principal", "reopen_reason",
                                 "extension_reason", "reply", "title2", "body2",
                                 "decline_reason")}
    m = w.m
    admin = srv.admin()
    add_users(srv, admin, PEOPLE_STAFF, ["staff"])
    # a positive control: display names are not content and are stored as they are
    w.control = marker()
    call(admin, "PATCH", srv.url + "/api/v1/users/dana", {"display_name": w.control})
    srv.add_user(admin, "olga", ["officer"])
    srv.add_user(admin, "priya", ["principal"])
    for name, roles in ADMINISH.items():
        srv.add_user(admin, name, roles)
    w.s = login_all(srv, ["olga", "dana", "colin", "priya"])  # olga first: the channel key
    w.s["admin"] = admin
    for name in ADMINISH:
        w.s[name] = srv.login(name, PASSWORD)
    d, c, o, p = (w.s[n] for n in ("dana", "colin", "olga", "priya"))

    # memo 1: the whole life cycle, to closed
    r = call(d, "POST", memo_url(srv), {"title": m["draft_title"], "body": "draft\n"}, 201)
    w.mid = mid = r.json()["id"]
    url = memo_url(srv, mid)
    call(d, "PATCH", url, {"title": m["title"], "body": "Body: %s\n" % m["body"]},
         headers={"If-Match": '"%d"' % r.json()["version"]})
    w.invite_adminish = d.post(url + "/invitations", json={"usernames": ["sam"]},
                               timeout=TIMEOUT)
    w.invite_auditor = d.post(url + "/invitations", json={"usernames": ["audrey"]},
                              timeout=TIMEOUT)
    call(d, "POST", url + "/invitations", {"usernames": ["colin"]})
    call(c, "POST", url + "/comments", {"body": "co-signer: " + m["comment_cosigner"]}, 201)
    call(d, "POST", url + "/finalize")
    call(d, "POST", url + "/signatures", status=201)
    call(c, "POST", url + "/signatures", status=201)
    call(d, "POST", url + "/reopen", {"reason": "reopened: " + m["reopen_reason"]})
    call(d, "POST", url + "/finalize")
    call(d, "POST", url + "/signatures", status=201)
    call(c, "POST", url + "/signatures", status=201)
    call(d, "POST", url + "/file")
    call(o, "POST", url + "/acknowledge")
    w.distribute_adminish = o.post(url + "/distribution", json={"usernames": ["paula"]},
                                   timeout=TIMEOUT)
    r = call(o, "POST", url + "/distribution", {"usernames": ["priya"]})
    reply_dl = r.json()["deadlines"]["reply"]
    call(o, "POST", url + "/extend", {"until": reply_dl["max"],
                                      "reason": "extended: " + m["extension_reason"]})
    call(o, "POST", url + "/comments", {"body": "officer: " + m["comment_officer"]}, 201)
    call(p, "POST", url + "/comments", {"body": "principal: " + m["comment_principal"]}, 201)
    call(o, "POST", url + "/reply", {"body": "Reply: %s\n" % m["reply"]})
    call(d, "POST", url + "/accept")

    # memo 2: declined with a reason
    r = call(d, "POST", memo_url(srv), {"title": m["title2"], "body": m["body2"] + "\n"}, 201)
    w.mid2 = mid2 = r.json()["id"]
    url2 = memo_url(srv, mid2)
    call(d, "POST", url2 + "/finalize")
    call(d, "POST", url2 + "/signatures", status=201)
    call(d, "POST", url2 + "/file")
    call(o, "POST", url2 + "/decline", {"reason": "declined: " + m["decline_reason"],
                                          "referral": "other", "referral_note": "elsewhere"})

    # everyone reads (the content must come back decrypted)
    w.views = {n: get_memo(srv, w.s[n], mid) for n in ("dana", "colin", "olga", "priya")}
    w.view2 = {n: get_memo(srv, w.s[n], mid2) for n in ("dana", "olga")}
    w.comments = call(d, "GET", url + "/comments").json()
    w.bundle = call(o, "GET", url + "/bundle").json()
    w.lists = {n: call(w.s[n], "GET", memo_url(srv)).json() for n in ("dana", "olga", "priya")}

    # admins and auditors on every content route
    w.adminish = {}
    for who in ("admin", "audrey"):
        for memo in (mid, mid2):
            for method, path, body in content_routes(memo):
                r = w.s[who].request(method, srv.url + path, json=body, timeout=TIMEOUT)
                w.adminish[(who, method, path)] = r
    w.staff_admin_draft = w.s["sam"].post(memo_url(srv), json={"title": "t", "body": "b\n"},
                                          timeout=TIMEOUT)

    w.files_running = data_files(srv)
    w.stop_rc = srv.stop()
    w.files_stopped = data_files(srv)
    w.log = srv.log()
    with open_db(srv) as conn:
        w.ids = user_ids(conn, ["admin", "audrey", "sam", "paula", "oscar", "dana", "olga"])
        w.memo_key_users = [r[0] for r in conn.execute("SELECT user_id FROM memo_keys")]
        w.refs = user_refs(srv, w.ids)  # memo keys are held by pseudonym (store.h, "Who")
        w.grant_users = [r[0] for r in conn.execute("SELECT user_id FROM channel_grants")]
        w.tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()

    # restart on the same data dir: everyone signs in again and reads
    srv.restart()
    w.after_restart = {}
    for n in ("dana", "colin", "olga", "priya"):
        s = srv.login(n, PASSWORD)
        w.after_restart[n] = (s.get(memo_url(srv, mid), timeout=TIMEOUT),
                              s.get(memo_url(srv, mid, "comments"), timeout=TIMEOUT))
    s = srv.login("dana", PASSWORD)
    w.after_restart_list = s.get(memo_url(srv), timeout=TIMEOUT)
    w.after_restart_mid2 = s.get(memo_url(srv, mid2), timeout=TIMEOUT)
    return w


@pytest.fixture(scope="module")
def world():
    srv = Server()
    try:
        yield build(srv)
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


# ---- the content really is there, decrypted, for its readers ----

def test_readers_see_the_plaintext(world):
    m = world.m
    for who, v in world.views.items():
        assert v["title"] == m["title"], (who, v["title"])
        assert m["body"] in v["body"], (who, v["body"])
        assert m["reply"] in v["reply"]["body"], (who, v["reply"])
    texts = [c["body"] for c in world.comments["comments"]]
    for k in ("comment_cosigner", "comment_officer", "comment_principal"):
        assert any(m[k] in t for t in texts), (k, texts)
    details = [e.get("detail") or "" for e in world.views["olga"]["timeline"]]
    assert any(m["extension_reason"] in d for d in details), details
    assert any(m["reopen_reason"] in d for d in details), details
    for who, v in world.view2.items():
        assert v["title"] == m["title2"] and m["body2"] in v["body"], v
        assert m["decline_reason"] in (v["decline_reason"] or ""), v
    assert m["title"] in world.bundle["canonical_text"]


def test_lists_show_decrypted_titles(world):
    for who, body in world.lists.items():
        titles = {x["id"]: x["title"] for x in body["memos"]}
        assert titles.get(world.mid) == world.m["title"], (who, titles)


# ---- no plaintext at rest ----

def test_expected_files_were_read(world):
    names = set(world.files_running)
    if "pg_dump" in names:
        assert "pg_dump" in world.files_stopped, sorted(world.files_stopped)
        return
    assert "dissent.db" in names, names
    assert "dissent.db-wal" in names, "no WAL while running: %s" % sorted(names)
    assert any(n.endswith("-shm") for n in names), names


def test_the_scan_finds_plaintext_that_is_there(world):
    """The control marker (a display name, stored in clear) is found, so the scan works."""
    ctl = {"control": world.control}
    assert find_markers(world.files_running, ctl), "the scan misses plaintext while running"
    assert find_markers(world.files_stopped, ctl), "the scan misses plaintext after the stop"


def test_no_marker_in_any_file_while_running(world):
    hits = find_markers(world.files_running, world.m)
    assert not hits, "plaintext found at rest while running: %s" % hits


def test_no_marker_in_any_file_after_a_clean_stop(world):
    assert world.stop_rc == 0
    assert world.files_stopped, "the data dir is empty after the stop"
    hits = find_markers(world.files_stopped, world.m)
    assert not hits, "plaintext found at rest after the stop: %s" % hits


def test_no_marker_in_the_log(world):
    hits = [k for k, v in world.m.items() if v in world.log]
    assert not hits, "the server log carries content: %s" % hits


# ---- admins and auditors ----

def test_admin_and_auditor_get_403_on_every_content_route(world):
    wrong = {k: (r.status_code, r.text) for k, r in world.adminish.items()
             if r.status_code != 403}
    assert not wrong, wrong
    for r in world.adminish.values():
        assert_error(r, 403)
        assert world.m["title"] not in r.text and world.m["title2"] not in r.text


def test_an_admin_cannot_draft(world):
    assert_error(world.staff_admin_draft, 403)


def test_inviting_or_distributing_to_admin_or_auditor_is_422(world):
    err = assert_error(world.invite_adminish, 422)
    assert "sam" in err["message"], err
    assert_error(world.invite_auditor, 422)
    err = assert_error(world.distribute_adminish, 422)
    assert "paula" in err["message"], err


def test_database_holds_no_key_for_admins_or_auditors(world):
    assert {"memo_keys", "channel_grants"} <= world.tables, world.tables
    # sanity: the readers' keys are there
    assert world.refs["dana"] in world.memo_key_users
    assert world.ids["olga"] in world.grant_users
    assert 0 in world.memo_key_users, "no memo key sealed to the channel"
    for name in ("admin", "audrey", "sam", "paula", "oscar"):
        uid = world.ids[name]
        assert world.refs[name] not in world.memo_key_users, "memo_keys has a row for %s" % name
        assert uid not in world.memo_key_users
        assert uid not in world.grant_users, "channel_grants has a row for %s" % name


# ---- restart ----

def test_everyone_reads_after_a_restart(world):
    for who, (r, rc) in world.after_restart.items():
        assert r.status_code == 200, (who, r.text)
        v = r.json()
        assert v["title"] == world.m["title"], (who, v)
        assert world.m["body"] in v["body"], (who, v)
        assert world.m["reply"] in v["reply"]["body"], (who, v)
        assert rc.status_code == 200, (who, rc.text)
        texts = [c["body"] for c in rc.json()["comments"]]
        assert any(world.m["comment_cosigner"] in t for t in texts), (who, texts)
    r = world.after_restart_list
    assert r.status_code == 200, r.text
    titles = {x["id"]: x["title"] for x in r.json()["memos"]}
    assert titles.get(world.mid) == world.m["title"], titles
    assert titles.get(world.mid2) == world.m["title2"], titles
    r = world.after_restart_mid2
    assert r.status_code == 200 and world.m["decline_reason"] in r.json()["decline_reason"], r.text


def test_roles_that_hold_content_never_join_admin_or_auditor(make_server):
    """Admin and auditor (who run or watch the system) are never combined with staff, officer
    or principal (who hold content): refused at creation and on PATCH, with no key left to an
    operator account either way."""
    srv = make_server()
    admin = srv.admin()
    for name, roles in (("olga", ["officer"]), ("dana", ["staff"]), ("otis", ["officer"])):
        srv.add_user(admin, name, roles)
    o, d = srv.login("olga", PASSWORD), srv.login("dana", PASSWORD)
    srv.login("otis", PASSWORD)
    call(o, "POST", srv.url + "/api/v1/channel/grants", {"username": "otis"}, 201)
    mid = create_memo(srv, d, "Promoted", "Body.\n")
    call(d, "POST", memo_url(srv, mid, "finalize"))
    call(d, "POST", memo_url(srv, mid, "signatures"), status=201)
    call(d, "POST", memo_url(srv, mid, "file"))
    for roles in (["staff", "admin"], ["officer", "auditor"], ["principal", "admin"],
                  ["staff", "officer", "principal", "auditor", "admin"]):
        r = admin.post(srv.url + "/api/v1/users", json={"username": "combo", "roles": roles},
                       timeout=TIMEOUT)
        assert_error(r, 422, "roles_combined")
    # an admin may not give itself (or anyone) a content role, nor the reverse
    changes = {"dana": ["staff", "admin"], "olga": ["officer", "auditor"],
               "otis": ["admin"], "admin": ["admin", "officer"]}
    for n, roles in changes.items():
        r = admin.patch(srv.url + "/api/v1/users/" + n, json={"roles": roles}, timeout=TIMEOUT)
        assert_error(r, 422, "roles_combined")
    users = {u["username"]: u["roles"]
             for u in call(admin, "GET", srv.url + "/api/v1/users").json()["users"]}
    assert users["dana"] == ["staff"] and users["otis"] == ["officer"], users
    assert users["admin"] == ["admin"], users
    assert "combo" not in users
    # the same rule holds for the command line
    r = srv.cli("user", "add", "combo", "--role", "staff,admin")
    assert r.returncode != 0 and "cannot be combined" in r.stderr, r.stderr
