"""Issue 23, several channels in one deployment (docs/channels.md), its first part: the channels
themselves. Channel 1 is the deployment's own, made by the migrations; more are added and
changed with `dissent channel add|list|set` and the administrators' API, every setting checked as
the settings file's are; each row carries an integrity MAC, so a database writer can neither
change a channel's settings nor make one."""
import json
import os

import requests

from conftest import PASSWORD, TIMEOUT, assert_error
from keyhelpers import open_db


def channels(s, srv, status=200):
    r = s.get(srv.url + "/api/v1/channels", timeout=TIMEOUT)
    assert r.status_code == status, r.text
    return r.json()["channels"] if status == 200 else r


def file_memo(srv, drafter, title, channel=None):
    """A memo @title drafted, finalized, signed and filed by the session @drafter to @channel
    (a slug; None or "main": channel 1); its id."""
    from keyhelpers import call, memo_url
    body = {"title": title, "body": "Body.\n"}
    if channel not in (None, "main"):
        body["channel"] = channel
    mid = call(drafter, "POST", memo_url(srv), body, 201).json()["id"]
    for step, status in (("finalize", 200), ("signatures", 201), ("file", 200)):
        call(drafter, "POST", memo_url(srv, mid, step), status=status)
    return mid


def test_an_existing_deployment_is_channel_1(make_server):
    srv = make_server()
    admin = srv.admin()
    got = channels(admin, srv)
    assert got == [{"number": 1, "slug": "main", "name": "", "settings": {},
                    "created_at": None}], got
    # every memo is channel 1's
    srv.add_user(admin, "dana", ["staff"])
    s = srv.login("dana", PASSWORD)
    r = s.post(srv.url + "/api/v1/memos", json={"title": "T", "body": "B"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert srv.stop() == 0
    with open_db(srv) as db:
        assert [tuple(x) for x in db.execute("SELECT channel_id FROM memos").fetchall()] == [(1,)]


def test_the_command_line_adds_lists_and_changes_channels(make_server):
    srv = make_server()
    assert srv.stop() == 0
    p = srv.cli("channel", "add", "agency-x", "--name", "Agency X",
                "--set", "timezone=Europe/Paris", "--set", "ack=3 working-days")
    assert p.returncode == 0 and p.stdout.strip() == "added channel 2, agency-x", p.stdout + p.stderr
    for args, says in (
            (("add", "agency-x"), "exists already"),
            (("add", "Agency"), "slug:"),
            (("add", "-x"), "unknown option"),
            (("add", "x-y_z"), "slug:"),
            (("add", "x" * 33), "slug:"),
            (("add", "y", "--set", "timezone=Mars/Base"), "Mars/Base"),
            (("add", "y", "--set", "colour=blue"), "colour is not a channel setting"),
            (("add", "y", "--set", "ack=soon"), "working-days"),
            (("add", "y", "--set", "preset=nato"), "preset"),
            (("add", "y", "--set", "calendar=atlantis"), "calendar"),
            (("add", "y", "--set", "timezone"), "KEY=VALUE"),
            (("add", "y", "--name", "two\nlines"), "name:"),
            (("set", "nope", "--name", "N"), "no channel nope")):
        p = srv.cli("channel", *args)
        assert p.returncode in (1, 2) and says in p.stderr, (args, p.returncode, p.stderr)
    # usage
    for args in (("list", "extra"), ("set", "agency-x"), ("add",), ("list", "--name", "x")):
        assert srv.cli("channel", *args).returncode == 2, args
    # a change: a setting back to the deployment's, another set, the name
    p = srv.cli("channel", "set", "agency-x", "--set", "ack=", "--set", "calendar=fr",
                "--name", "Agency X (Paris)")
    assert p.returncode == 0, p.stderr
    p = srv.cli("channel", "list")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["NUMBER", "SLUG", "NAME", "SETTINGS"]
    assert lines[1].split() == ["1", "main", "-", "{}"], lines
    assert lines[2].startswith("2") and "agency-x" in lines[2] and "Agency X (Paris)" in lines[2]
    assert lines[2].endswith('{"calendar":"fr","timezone":"Europe/Paris"}'), lines[2]
    # channel 1's own settings too (over [channel]'s)
    assert srv.cli("channel", "set", "main", "--set", "calendar=de").returncode == 0
    srv._start("ab")
    got = channels(srv.admin(), srv)
    assert [(c["number"], c["slug"], c["settings"]) for c in got] == [
        (1, "main", {"calendar": "de"}),
        (2, "agency-x", {"calendar": "fr", "timezone": "Europe/Paris"})], got


def test_administrators_manage_channels_and_everyone_sees_them(make_server):
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "sam", ["staff"])
    sam = srv.login("sam", PASSWORD)
    r = admin.post(srv.url + "/api/v1/channels", json={
        "slug": "sub-a", "name": "Sub-agency A",
        "settings": {"preset": "eu-directive", "timezone": "Europe/Dublin", "calendar": "ie"}},
        timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["number"] == 2 and c["slug"] == "sub-a" and c["name"] == "Sub-agency A"
    assert c["settings"] == {"preset": "eu-directive", "timezone": "Europe/Dublin",
                             "calendar": "ie"}
    assert c["created_at"].endswith("Z")
    # staff see the channels, not their settings; they cannot change them
    assert channels(sam, srv) == [
        {"number": 1, "slug": "main", "name": "", "may_file": True},
        {"number": 2, "slug": "sub-a", "name": "Sub-agency A", "may_file": True}]
    r = sam.post(srv.url + "/api/v1/channels", json={"slug": "mine"}, timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    r = sam.patch(srv.url + "/api/v1/channels/sub-a", json={"name": "x"}, timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    anon = requests.Session()
    anon.headers["X-Requested-With"] = "dissent"
    assert anon.get(srv.url + "/api/v1/channels", timeout=TIMEOUT).status_code == 401
    # a change
    r = admin.patch(srv.url + "/api/v1/channels/sub-a", json={
        "name": "Sub-agency A (Dublin)", "settings": {"calendar": "", "ack": "5 working-days"}},
        timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["settings"] == {"preset": "eu-directive", "timezone": "Europe/Dublin",
                                    "ack": "5 working-days"}
    assert r.json()["name"] == "Sub-agency A (Dublin)"
    # refusals, each naming what is wrong, and changing nothing
    before = channels(admin, srv)
    for body, status, code, field in (
            ({"slug": "sub-a"}, 409, "exists", None),
            ({"slug": "Sub B"}, 422, "invalid_field", "slug"),
            ({"slug": ""}, 422, "invalid_field", "slug"),
            ({"name": "no slug"}, 422, "invalid_field", "slug"),
            ({"slug": "b", "name": "a\tb"}, 422, "invalid_field", "name"),
            ({"slug": "b", "name": "x" * 129}, 422, "invalid_field", "name"),
            ({"slug": "b", "settings": {"timezone": "Nowhere/Land"}}, 422, "invalid_field",
             "settings"),
            ({"slug": "b", "settings": {"ack": 3}}, 422, "invalid_field", "settings"),
            ({"slug": "b", "settings": {"log_origin": "x"}}, 422, "invalid_field", "settings"),
            ({"slug": "b", "settings": ["ack"]}, 422, "invalid_field", "settings"),
            ({"slug": "b", "settings": {"reply_from": "lunch"}}, 422, "invalid_field",
             "settings"),
            ({"slug": "b", "settings": {"principals": "not a name!"}}, 422, "invalid_field",
             "settings"),
            ({"slug": "b", "colour": "blue"}, 422, "invalid_field", None)):
        r = admin.post(srv.url + "/api/v1/channels", json=body, timeout=TIMEOUT)
        assert_error(r, status, code, field=field)
    for slug, body, status, field in (
            ("nope", {"name": "N"}, 404, None),
            ("NOPE", {"name": "N"}, 404, None),
            ("sub-a", {}, 422, "name"),
            ("sub-a", {"slug": "other"}, 422, None),
            ("sub-a", {"settings": {"preset": "nato"}}, 422, "settings")):
        r = admin.patch(srv.url + "/api/v1/channels/" + slug, json=body, timeout=TIMEOUT)
        assert r.status_code == status, (slug, body, r.text)
        if field:
            assert r.json()["error"]["field"] == field, r.text
    assert channels(admin, srv) == before


def test_a_database_writer_cannot_change_or_make_a_channel(make_server):
    srv = make_server()
    admin = srv.admin()
    r = admin.post(srv.url + "/api/v1/channels", json={"slug": "two", "settings": {
        "ack": "5 working-days"}}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert srv.stop() == 0
    for sql in ("UPDATE channels SET settings = '{\"ack\":\"60 working-days\"}' WHERE id = 2",
                "UPDATE channels SET settings = '{\"ack\":\"60 working-days\"}' WHERE id = 1",
                "INSERT INTO channels (id, slug, name, settings, created_at) VALUES "
                "(3, 'fake', '', '{}', 0)"):
        with open_db(srv, readonly=False) as db:
            db.execute(sql)
            db.commit()
        srv._start("ab")
        r = srv.admin().get(srv.url + "/api/v1/channels", timeout=TIMEOUT)
        assert_error(r, 500, "integrity")
        assert srv.stop() == 0
        p = srv.cli("channel", "list")
        assert p.returncode == 1 and "integrity" in p.stderr, p.stdout + p.stderr
        with open_db(srv, readonly=False) as db:  # put it back for the next
            db.execute("DELETE FROM channels WHERE id = 3")
            db.execute("UPDATE channels SET settings = '{}' WHERE id = 1")
            db.execute("UPDATE channels SET settings = '{\"ack\":\"5 working-days\"}' WHERE id = 2")
            db.commit()
    # rows that carried a valid MAC once, put back: an earlier version of a channel's settings,
    # row 1 as the migration made it, a channel deleted (its number pinned, core/trust.h)
    srv._start("ab")
    admin = srv.admin()
    with open_db(srv) as db:
        old = db.execute("SELECT * FROM channels WHERE id = 2").fetchone()
        seed = db.execute("SELECT * FROM channels WHERE id = 1").fetchone()
    assert old[-1] == 1 and seed[-1] == 0, (old, seed)  # the versions: made, and the migration's
    for slug in ("two", "main"):
        r = admin.patch(srv.url + "/api/v1/channels/" + slug, json={"settings": {
            "ack": "20 working-days"}}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    assert "channel 2 row 2" in open(os.path.join(srv.data, "channel.pin")).read()
    assert srv.stop() == 0
    with open_db(srv) as db:
        now = {r[0]: r for r in db.execute("SELECT * FROM channels")}
    def put_row(db, r):
        # (through psql an empty text and a NULL read alike: the name is never NULL, the seed's
        # MAC is)
        cols = "id, slug, name, settings, created_at, mac, version"
        name, mac = r[2] if r[2] is not None else "", r[5] if r[5] else None
        if mac is None:
            db.execute("INSERT INTO channels (%s) VALUES (?, ?, ?, ?, ?, NULL, ?)" % cols,
                       (r[0], r[1], name, r[3], r[4], r[6]))
        else:
            db.execute("INSERT INTO channels (%s) VALUES (?, ?, ?, ?, ?, ?, ?)" % cols,
                       (r[0], r[1], name, r[3], r[4], mac, r[6]))

    for put_back in ((old,), (seed,), ()):
        with open_db(srv, readonly=False) as db:
            db.execute("DELETE FROM channels WHERE id = ?", (put_back[0][0] if put_back else 2,))
            for r in put_back:
                put_row(db, r)
            db.commit()
        srv._start("ab")
        assert_error(srv.admin().get(srv.url + "/api/v1/channels", timeout=TIMEOUT), 500,
                     "integrity")
        assert srv.stop() == 0
        with open_db(srv, readonly=False) as db:  # the rows as they were, for the next
            db.execute("DELETE FROM channels")
            for r in now.values():
                put_row(db, r)
            db.commit()
    srv._start("ab")
    assert srv.admin().get(srv.url + "/api/v1/channels", timeout=TIMEOUT).status_code == 200


def test_an_officer_of_one_channel_sees_nothing_of_another(make_server):
    """A memo is filed to a channel; the officers and principals of another channel are
    strangers to it: not found, not in their lists, not distributable to them."""
    from keyhelpers import call, create_memo, memo_url
    srv = make_server()
    admin = srv.admin()
    r = admin.post(srv.url + "/api/v1/channels", json={"slug": "agency-x"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    for name, roles in (("dan", ["staff"]), ("ann", ["officer"]), ("pam", ["principal"]),
                        ("pia", ["principal"])):
        srv.add_user(admin, name, roles)
    r = admin.patch(srv.url + "/api/v1/users/pia", json={"channels": ["agency-x"]},
                    timeout=TIMEOUT)  # of agency-x alone
    assert r.status_code == 200 and r.json()["channels"] == [2], r.text
    # made of a channel at once, too: bea's enrolment makes agency-x's own key, sealed to her
    assert srv.add_user(admin, "bea", ["officer"], channels=["agency-x"])["channels"] == [2]
    r = admin.post(srv.url + "/api/v1/users", json={"username": "xo", "roles": ["officer"],
                                                    "channels": ["agency-x"]}, timeout=TIMEOUT)
    assert r.status_code == 201 and r.json()["channels"] == [2], r.text
    srv.enrol_created(r.json(), PASSWORD)
    r = admin.post(srv.url + "/api/v1/users", json={"username": "xp", "roles": ["officer"],
                                                    "channels": ["nope"]}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="channels")
    r = admin.patch(srv.url + "/api/v1/users/pam", json={"channels": ["nope"]}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="channels")
    r = admin.patch(srv.url + "/api/v1/users/pam", json={"channels": []}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="channels")
    s = {n: srv.login(n, PASSWORD) for n in ("dan", "ann", "bea", "pam", "pia", "xo")}
    # a key per channel: each officer holds their own channel's, never the other's
    for who, slug in (("ann", "main"), ("bea", "agency-x")):
        st = call(s[who], "GET", srv.url + "/api/v1/channel").json()
        assert st["granted"] and [c["slug"] for c in st["channels"]] == [slug], st
    r = s["ann"].post(srv.url + "/api/v1/channel/grants", json={"username": "bea"},
                      timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="username")  # not an officer of main
    r = s["ann"].post(srv.url + "/api/v1/channel/grants",
                      json={"username": "xo", "channel": "agency-x"}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="channel")  # not ann's channel: none such
    # xo enrolled after agency-x had its key: bea grants it
    st = call(s["xo"], "GET", srv.url + "/api/v1/channel").json()
    assert st["has_key"] and not st["granted"], st
    r = call(s["bea"], "POST", srv.url + "/api/v1/channel/grants", {"username": "xo"}, 201)
    assert r.json()["channels"] == ["agency-x"], r.text
    with open_db(srv) as db:
        keys = db.execute("SELECT id, pk FROM channel_key ORDER BY id").fetchall()
        grants = sorted(db.execute("SELECT u.username, g.channel_id FROM channel_grants g"
                                   " JOIN users u ON u.id = g.user_id").fetchall())
    assert [k[0] for k in keys] == [1, 2] and keys[0][1] != keys[1][1], keys
    assert grants == [("ann", 1), ("bea", 2), ("xo", 2)], grants

    def filed(channel):
        return file_memo(srv, s["dan"], "To " + channel, channel)

    m1, m2 = filed("main"), filed("agency-x")
    r = s["dan"].post(memo_url(srv), json={"title": "T", "body": "B", "channel": "nope"},
                      timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="channel")
    assert call(s["dan"], "GET", memo_url(srv, m1)).json()["channel"] == 1
    assert call(s["dan"], "GET", memo_url(srv, m2)).json()["channel"] == 2

    def inbox(who):
        r = call(s[who], "GET", srv.url + "/api/v1/memos?role=officer")
        return {m["id"] for m in r.json()["memos"]}

    assert inbox("ann") == {m1} and inbox("bea") == {m2}
    for who, mine, other in (("ann", m1, m2), ("bea", m2, m1)):
        assert call(s[who], "GET", memo_url(srv, mine)).json()["relation"]["officer"] is True
        assert_error(s[who].get(memo_url(srv, other), timeout=TIMEOUT), 404, "not_found")
        r = s[who].post(memo_url(srv, other, "acknowledge"), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
    call(s["bea"], "POST", memo_url(srv, m2, "acknowledge"))
    # a principal of another channel is none of this memo's
    r = s["bea"].post(memo_url(srv, m2, "distribution"), json={"usernames": ["pam"]},
                      timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="usernames")
    call(s["bea"], "POST", memo_url(srv, m2, "distribution"), {"usernames": ["pia"]})
    assert call(s["pia"], "GET", memo_url(srv, m2)).json()["relation"]["principal"] is True
    assert_error(s["pam"].get(memo_url(srv, m2), timeout=TIMEOUT), 404, "not_found")
    # a principal, or an officer assigned the case, moved off the channel reads it no longer
    call(s["bea"], "POST", memo_url(srv, m2, "assignment"), {"username": "bea",
                                                             "reason": "Mine."})
    mine = call(s["bea"], "GET", srv.url + "/api/v1/memos?assigned=me").json()["memos"]
    assert [m["id"] for m in mine] == [m2]
    for name in ("pia", "bea"):
        call(admin, "PATCH", srv.url + "/api/v1/users/" + name, {"channels": ["main"]})
        assert_error(s[name].get(memo_url(srv, m2), timeout=TIMEOUT), 404, "not_found")
    assert call(s["bea"], "GET", srv.url + "/api/v1/memos?assigned=me").json()["memos"] == []
    # a database writer cannot move a memo to another channel: the memo's MAC covers it
    assert srv.stop() == 0
    with open_db(srv, readonly=False) as db:
        db.execute("UPDATE memos SET channel_id = 1 WHERE public_id = '%s'" % m2)
        db.commit()
    srv._start("ab")
    ann = srv.login("ann", PASSWORD)
    assert_error(ann.get(memo_url(srv, m2), timeout=TIMEOUT), 500, "integrity")


def test_the_log_names_a_memos_channel_and_the_figures_are_per_channel(make_server):
    """A memo of channel 2 has every log entry name it ("channel 2" after the event); channel
    1's entries are as they always were. /api/v1/stats and /public give the deployment's figures
    and, with ?channel=, one channel's, recomputable from the entries."""
    import re as _re
    from keyhelpers import call, memo_url
    from loghelpers import caught_up, fetch_entries, parse_entry
    srv = make_server()
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels", {"slug": "sub", "name": "Sub & Co"}, 201)
    for name, roles in (("dan", ["staff"]), ("ann", ["officer"]), ("aud", ["auditor"])):
        srv.add_user(admin, name, roles,
                 **({"channels": ["main", "sub"]} if name == "ann" else {}))
    s = {n: srv.login(n, PASSWORD) for n in ("dan", "ann", "aud")}

    def filed(channel, title):
        return file_memo(srv, s["dan"], title, channel)

    a = filed(None, "One")
    b = filed("sub", "Two")
    c = filed("sub", "Three")
    call(s["ann"], "POST", memo_url(srv, b, "acknowledge"))
    call(s["ann"], "POST", memo_url(srv, c, "decline"), {"reason": "Out of scope.",
                                                          "referral": "grievance"})
    _, _, size, _ = caught_up(srv, s["aud"])
    entries = [parse_entry(e) for e in fetch_entries(srv.url, size)]
    memo_entries = [e for e in entries if "memo" in e]
    by_channel = {}
    for e in memo_entries:
        by_channel.setdefault(e.get("channel", "1"), []).append(e["event"])
    assert by_channel == {"1": ["filed"], "2": ["filed", "filed", "acknowledged", "declined"]}, \
        by_channel
    # of the other entries, only sub's making, ann's officer role in sub and the grant of sub's
    # key to her (her enrolment made it) name their channel; her role in main is as it always
    # was
    named = [(e["event"], e["channel"]) for e in entries if "memo" not in e and "channel" in e]
    assert named == [("channel-changed", "2"), ("officer-added", "2"),
                     ("channel-granted", "2")], named
    # sub's rules as made (no settings of its own), by their hash
    import base64 as _b64, hashlib as _hl
    changed = [e for e in entries if e["event"] == "channel-changed"]
    assert changed[0]["settings"] == _b64.b64encode(_hl.sha256(b"{}").digest()).decode(), changed
    assert [e for e in entries if e["event"] == "officer-added"][0].get("channel") is None
    assert [e for e in entries if e["event"] == "channel-granted"][0].get("channel") is None

    def stats(q=""):
        r = s["aud"].get(srv.url + "/api/v1/stats" + q, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()

    total, one, two = stats(), stats("?channel=main"), stats("?channel=sub")
    assert total["signers_per_memo"]["count"] == 3 and total["declined"] == 1
    assert one["signers_per_memo"]["count"] == 1 and one["declined"] == 0
    assert two["signers_per_memo"]["count"] == 2 and two["declined"] == 1
    # (a decline before the acknowledgement's due date answers it on time, as an
    # acknowledgement does: formats.md)
    assert two["on_time"]["acknowledged"]["on_time"] == 2
    assert one["on_time"]["acknowledged"]["on_time"] == 0
    assert total["on_time"]["acknowledged"]["on_time"] == 2
    assert_error(s["aud"].get(srv.url + "/api/v1/stats?channel=nope", timeout=TIMEOUT), 422,
                 "invalid_field", field="channel")
    # the public page: every channel's figures and each one's, its name escaped
    r = requests.get(srv.url + "/public", params={"channel": "sub"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    page = r.text
    figures = json.loads(_re.search(r'id="dissent-figures">(.*?)</script>', page, _re.S).group(1))
    assert figures == two
    assert "Sub &amp; Co" in page and "Sub & Co<" not in page
    assert 'href="?lang=en&amp;channel=sub" aria-current="page"' in page
    assert '<strong>2</strong> memos filed in all' in page
    r = requests.get(srv.url + "/public", timeout=TIMEOUT)
    assert "<strong>3</strong> memos filed in all" in r.text
    assert 'href="?lang=en" aria-current="page">All channels<' in r.text
    assert requests.get(srv.url + "/public", params={"channel": "x" * 40},
                        timeout=TIMEOUT).status_code == 422
    # ann holds both channels' keys, each its own grant: a database writer who puts her grant of
    # main in sub's place gets nothing opened (the grant's MAC names its channel)
    assert srv.stop() == 0
    with open_db(srv, readonly=False) as db:
        (uid,) = db.execute("SELECT id FROM users WHERE username = 'ann'").fetchone()
        assert db.execute("SELECT channel_id FROM channel_grants WHERE user_id = ?"
                          " ORDER BY channel_id", (uid,)).fetchall() == [(1,), (2,)]
        db.execute("DELETE FROM channel_grants WHERE user_id = ? AND channel_id = 2", (uid,))
        db.execute("INSERT INTO channel_grants (user_id, channel_id, sealed, granted_by, at)"
                   " SELECT user_id, 2, sealed, granted_by, at FROM channel_grants"
                   " WHERE user_id = ? AND channel_id = 1", (uid,))
        db.commit()
    srv._start("ab")
    ann = srv.login("ann", PASSWORD)
    assert_error(ann.get(memo_url(srv, b), timeout=TIMEOUT), 500, "integrity")


def test_a_channel_may_take_memos_from_its_members_only(make_server):
    """filers = members: only the staff whose account is of the channel file to it (the others
    are told no, and the list of channels says which they may file to)."""
    from keyhelpers import call, memo_url
    srv = make_server()
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "closed", "settings": {"filers": "members"}}, 201)
    r = admin.post(srv.url + "/api/v1/channels", json={"slug": "bad", "settings": {
        "filers": "everyone"}}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="settings")
    for name in ("dan", "mia"):
        srv.add_user(admin, name, ["staff"])
    call(admin, "PATCH", srv.url + "/api/v1/users/mia", {"channels": ["main", "closed"]})
    dan, mia = srv.login("dan", PASSWORD), srv.login("mia", PASSWORD)
    body = {"title": "T", "body": "B", "channel": "closed"}
    r = dan.post(memo_url(srv), json=body, timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    assert call(mia, "POST", memo_url(srv), body, 201).json()["channel"] == 2
    assert [(c["slug"], c["may_file"]) for c in channels(dan, srv)] == [("main", True),
                                                                       ("closed", False)]
    assert [(c["slug"], c["may_file"]) for c in channels(mia, srv)] == [("main", True),
                                                                       ("closed", True)]
    # channel 1 too: as the settings file says, or as its own setting says
    call(admin, "PATCH", srv.url + "/api/v1/channels/main", {"settings": {"filers": "members"}})
    call(admin, "PATCH", srv.url + "/api/v1/users/dan", {"channels": ["closed"]})
    r = dan.post(memo_url(srv), json={"title": "T", "body": "B"}, timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    dan = srv.login("dan", PASSWORD)
    assert call(dan, "POST", memo_url(srv), body, 201).json()["channel"] == 2
    # checked again at filing: a drafter who left the channel meanwhile does not file to it
    mid = call(dan, "POST", memo_url(srv), body, 201).json()["id"]
    call(dan, "POST", memo_url(srv, mid, "finalize"))
    call(dan, "POST", memo_url(srv, mid, "signatures"), status=201)
    call(admin, "PATCH", srv.url + "/api/v1/users/dan", {"channels": ["main"]})
    assert_error(dan.post(memo_url(srv, mid, "file"), timeout=TIMEOUT), 403, "forbidden")


def add_working_days(day, n):
    """@day (an ISO date) plus @n working days, Monday to Friday (calendar "none")."""
    import datetime
    d = datetime.date.fromisoformat(day)
    while n > 0:
        d += datetime.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d.isoformat()


def test_each_channel_runs_by_its_own_settings(make_server):
    """A channel's own settings are in effect for its memos: its deadlines, its principals, its
    reply approval; another channel's memos keep the deployment's. A change of a channel's
    settings rules the next memo filed to it."""
    from keyhelpers import call, memo_url
    srv = make_server(config={"channel": {"ack": "3 working-days", "reply": "4 working-days",
                                          "reply_from": "filing", "calendar": "none"}})
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "slow", "settings": {"ack": "6 working-days", "reply": "8 working-days",
                                       "principals": "pia", "reply_approval": "true"}}, 201)
    srv.add_user(admin, "dan", ["staff"])
    srv.add_user(admin, "ann", ["officer"], channels=["main", "slow"])
    srv.add_user(admin, "pia", ["principal"], channels=["main", "slow"])
    s = {n: srv.login(n, PASSWORD) for n in ("dan", "ann", "pia")}

    def filed(channel):
        mid = file_memo(srv, s["dan"], "To " + channel, channel)
        return call(s["ann"], "GET", memo_url(srv, mid)).json()

    main, slow = filed("main"), filed("slow")
    day = main["filed_on"]
    assert slow["filed_on"] == day
    # the deployment's deadlines for main's memo, the channel's own for slow's
    assert main["deadlines"]["acknowledge"]["due"] == add_working_days(day, 3), main["deadlines"]
    assert main["deadlines"]["reply"]["due"] == add_working_days(day, 4), main["deadlines"]
    assert slow["deadlines"]["acknowledge"]["due"] == add_working_days(day, 6), slow["deadlines"]
    assert slow["deadlines"]["reply"]["due"] == add_working_days(day, 8), slow["deadlines"]
    # the reply approval: the deployment's is off, slow's on
    assert main["internal"]["approval_required"] is False
    assert slow["internal"]["approval_required"] is True
    # slow's principals: pia is sent its memo at the acknowledgement, not main's
    for m in (main, slow):
        call(s["ann"], "POST", memo_url(srv, m["id"], "acknowledge"))
    assert call(s["pia"], "GET", memo_url(srv, slow["id"])).json()["relation"]["principal"]
    assert_error(s["pia"].get(memo_url(srv, main["id"]), timeout=TIMEOUT), 404, "not_found")
    # a change of slow's settings rules its next memo, and is in the public log with the hash of
    # the settings; the one filed before keeps its dates
    call(admin, "PATCH", srv.url + "/api/v1/channels/slow", {"settings": {"ack": "2 working-days"}})
    import base64 as _b64, hashlib as _hl
    from loghelpers import caught_up, fetch_entries, parse_entry
    srv.add_user(admin, "aud", ["auditor"])
    _, _, size, _ = caught_up(srv, srv.login("aud", PASSWORD))
    changed = [e for e in map(parse_entry, fetch_entries(srv.url, size))
               if e["event"] == "channel-changed"]
    with open_db(srv) as db:
        stored = db.execute("SELECT settings FROM channels WHERE id = 2").fetchone()[0]
    assert [e.get("channel") for e in changed] == ["2", "2"], changed
    assert changed[-1]["settings"] == _b64.b64encode(
        _hl.sha256(stored.encode()).digest()).decode(), (changed, stored)
    again = filed("slow")
    assert again["deadlines"]["acknowledge"]["due"] == add_working_days(again["filed_on"], 2)
    assert call(s["ann"], "GET", memo_url(srv, slow["id"])).json()["deadlines"]["reply"]["due"] \
        == add_working_days(day, 8)


def test_another_agencys_author_is_heard_by_that_agencys_head(make_server):
    """DESIGN's rule (docs/channels.md): with author_head on, a memo filed to a channel by staff
    of another channel goes at its acknowledgement to that channel's agency_head too, who reads
    it though a principal of the other channel; the channel's own staff's memos do not, nor
    another channel's without author_head."""
    from keyhelpers import call, memo_url
    srv = make_server()
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "agency-x", "settings": {"agency_head": "hx"}}, 201)
    call(admin, "PATCH", srv.url + "/api/v1/channels/main",
         {"settings": {"author_head": "true", "agency_head": "hm"}})
    r = admin.patch(srv.url + "/api/v1/channels/main", json={"settings": {
        "agency_head": "not a name"}}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="settings")
    srv.add_user(admin, "dan", ["staff"])
    srv.add_user(admin, "sx", ["staff"], channels=["agency-x"])
    srv.add_user(admin, "ann", ["officer"])
    srv.add_user(admin, "bea", ["officer"], channels=["agency-x"])
    srv.add_user(admin, "hx", ["principal"], channels=["agency-x"])
    srv.add_user(admin, "hm", ["principal"])
    s = {n: srv.login(n, PASSWORD) for n in ("dan", "sx", "ann", "bea", "hx", "hm")}

    def filed(who, channel=None):
        return file_memo(srv, s[who], "By " + who, channel)

    theirs, ours, there = filed("sx"), filed("dan"), filed("dan", "agency-x")
    for mid in (theirs, ours):
        call(s["ann"], "POST", memo_url(srv, mid, "acknowledge"))
    call(s["bea"], "POST", memo_url(srv, there, "acknowledge"))
    # agency-x's head hears of its staff's memo to main, and reads it
    m = call(s["hx"], "GET", memo_url(srv, theirs)).json()
    assert m["relation"]["principal"] is True and m["title"] == "By sx", m["relation"]
    assert [e.get("detail") for e in m["timeline"] if e["event"] == "distributed"] == \
        ["the author's agency head"], m["timeline"]
    listed = call(s["hx"], "GET", srv.url + "/api/v1/memos?role=principal").json()["memos"]
    assert [x["id"] for x in listed] == [theirs], listed
    # not of main's own staff's memo; main's head not of a memo to agency-x (no author_head)
    assert_error(s["hx"].get(memo_url(srv, ours), timeout=TIMEOUT), 404, "not_found")
    assert_error(s["hm"].get(memo_url(srv, there), timeout=TIMEOUT), 404, "not_found")
    assert_error(s["hm"].get(memo_url(srv, theirs), timeout=TIMEOUT), 404, "not_found")


def test_each_channel_counts_its_days_in_its_own_zone(make_server):
    """A channel's time zone is its memos': a memo filed at noon UTC on a Monday is filed on
    Tuesday in a channel on Kiribati's Line Islands time (UTC+14), and its log entry says so;
    the deployment's channel (UTC here) says Monday. Server time is the debug clock."""
    import calendar as _cal
    from keyhelpers import call, memo_url
    from loghelpers import caught_up, fetch_entries, parse_entry
    noon = _cal.timegm((2026, 12, 7, 12, 0, 0))  # a Monday
    srv = make_server(config={"debug": {"clock_start": str(noon)},
                              "channel": {"calendar": "none"}})
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "far", "settings": {"timezone": "Pacific/Kiritimati"}}, 201)
    srv.add_user(admin, "dan", ["staff"])
    srv.add_user(admin, "ann", ["officer"], channels=["main", "far"])
    srv.add_user(admin, "aud", ["auditor"])
    s = {n: srv.login(n, PASSWORD) for n in ("dan", "ann", "aud")}

    def filed(channel):
        mid = file_memo(srv, s["dan"], "To " + channel, channel)
        return call(s["ann"], "GET", memo_url(srv, mid)).json()

    main, far = filed("main"), filed("far")
    assert main["filed_on"] == "2026-12-07", main["filed_on"]
    assert far["filed_on"] == "2026-12-08", far["filed_on"]
    _, _, size, _ = caught_up(srv, s["aud"])
    days = {(e.get("channel", "1"), e["event"]): e["date"]
            for e in map(parse_entry, fetch_entries(srv.url, size)) if "memo" in e}
    assert days == {("1", "filed"): "2026-12-07", ("2", "filed"): "2026-12-08"}, days
    # a zone that does not exist is refused as the settings file's would be
    r = admin.patch(srv.url + "/api/v1/channels/far", json={"settings": {
        "timezone": "Mars/Olympus_Mons"}}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="settings")


def test_a_drafts_channel_changes_until_it_is_filed(make_server):
    """PATCH /api/v1/memos/{id} "channel": a draft moves to another channel its drafter may
    file to, and is filed there; not to one it may not, nor once finalized."""
    from keyhelpers import call, memo_url
    srv = make_server()
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels", {"slug": "two"}, 201)
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "closed", "settings": {"filers": "members"}}, 201)
    srv.add_user(admin, "dan", ["staff"])
    srv.add_user(admin, "bea", ["officer"], channels=["two"])
    dan, bea = srv.login("dan", PASSWORD), srv.login("bea", PASSWORD)
    m = call(dan, "POST", memo_url(srv), {"title": "Moving", "body": "Body.\n"}, 201).json()
    assert m["channel"] == 1
    def patch(body, version):
        return dan.patch(memo_url(srv, m["id"]), json=body, timeout=TIMEOUT,
                         headers={"If-Match": '"%d"' % version})

    r = patch({"channel": "two"}, m["version"])
    assert r.status_code == 200 and r.json()["channel"] == 2 and r.json()["title"] == "Moving", \
        r.text
    version = r.json()["version"]
    assert_error(patch({"channel": "closed"}, version), 403, "forbidden")
    assert_error(patch({"channel": "nope"}, version), 422, "invalid_field", field="channel")
    assert call(dan, "GET", memo_url(srv, m["id"])).json()["channel"] == 2
    version = call(dan, "POST", memo_url(srv, m["id"], "finalize")).json()["version"]
    r = patch({"channel": "main"}, version)
    assert r.status_code == 409, r.text
    for step, status in (("signatures", 201), ("file", 200)):
        call(dan, "POST", memo_url(srv, m["id"], step), status=status)
    # filed to channel two: its officer reads it
    assert call(bea, "GET", memo_url(srv, m["id"])).json()["title"] == "Moving"


def test_the_command_line_grants_one_channels_key(make_server):
    """dissent channel init makes each of an officer's channels' keys that has none; dissent
    channel grant --channel SLUG grants that one, and only one the granter holds."""
    from keyhelpers import call
    srv = make_server()
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels", {"slug": "x"}, 201)
    srv.add_user(admin, "ann", ["officer"])  # main's key, made at her enrolment
    srv.add_user(admin, "ola", ["officer"])
    for name in ("ann", "ola"):  # then of both channels; x has no key yet
        call(admin, "PATCH", srv.url + "/api/v1/users/" + name, {"channels": ["main", "x"]})
    p = srv.cli("channel", "init", "ann")
    assert p.returncode == 0, p.stderr
    assert "channel 1: the channel already has its key" in p.stdout, p.stdout
    assert "channel 2: made the channel key and granted it to ann" in p.stdout, p.stdout

    def grant(*extra):
        return srv.cli("channel", "grant", "ola", "--as", "ann", "--password-stdin", *extra,
                       stdin=PASSWORD + "\n")

    p = grant("--channel", "x")
    assert p.returncode == 0 and "granted access to channel 2 to ola" in p.stdout, p.stderr
    st = call(srv.login("ola", PASSWORD), "GET", srv.url + "/api/v1/channel").json()
    assert [(c["slug"], c["granted"]) for c in st["channels"]] == [("main", False), ("x", True)]
    p = grant("--channel", "nope")
    assert p.returncode == 1 and "no channel nope" in p.stderr, p.stderr
    p = grant()  # each channel in common: main's too now
    assert p.returncode == 0 and "granted access to channel 1 to ola" in p.stdout, p.stderr
