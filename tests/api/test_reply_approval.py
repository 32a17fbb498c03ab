"""Issue 18, part 1: the officers' side of the reply under the state-dept default, where the
channel's head approves every reply.

The case officer drafts the reply (saved versions, sealed under the memo's officers' key), asks
other officers to clear it, and submits the cleared version; the head returns it with a reason or
approves it, which sends it: the reply's signed note then carries the head's signature beside the
channel's. Internal notes are the officers' own. The drafter, co-signers and principals never see
any of it, nor can they open it from the database with the memo key they hold. An extension beyond
the ordinary reply period is the head's to grant. A head finds what awaits them (approval=me).
"""
import base64
import sqlite3

import pytest
from nacl.signing import VerifyKey

from conftest import PASSWORD, TIMEOUT, Server, assert_error, assert_wrong_state, memo_url, \
    sqlite_only
from keyhelpers import call, filed_memo, get_memo, user_ref

# the preset's own setting: empty means "the preset's" (state-dept: on)
DEFAULT = {"channel": {"reply_approval": ""}, "mail": {}}


@pytest.fixture(scope="module")
def desk():
    srv = Server(config=DEFAULT)
    try:
        admin = srv.admin()
        srv.add_user(admin, "olga", ["officer"])  # the first officer: she holds the channel key
        for name, roles in (("dan", ["staff"]), ("cos", ["staff"]), ("otto", ["officer"]),
                            ("cleo", ["officer"]), ("hedy", ["officer", "head"]),
                            ("hugo", ["officer", "head"]), ("pia", ["principal"])):
            srv.add_user(admin, name, roles)
        s = {n: srv.login(n, PASSWORD)
             for n in ("olga", "dan", "cos", "otto", "cleo", "hedy", "hugo", "pia")}
        for who in ("otto", "cleo", "hedy", "hugo"):
            call(s["olga"], "POST", srv.url + "/api/v1/channel/grants", {"username": who}, 201)
        yield srv, s
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def post(desk, who, mid, suffix, body=None, status=200):
    srv, s = desk
    r = s[who].post(memo_url(srv, mid, suffix), json=body, timeout=TIMEOUT)
    if status is not None:
        assert r.status_code == status, r.text
    return r


def save(desk, who, mid, text, status=200):
    srv, s = desk
    r = s[who].put(memo_url(srv, mid, "reply-draft"), json={"body": text}, timeout=TIMEOUT)
    if status is not None:
        assert r.status_code == status, r.text
    return r


def read_version(desk, who, mid):
    """The reply draft's version and digest as @who reads them in the memo's internal section."""
    srv, s = desk
    d = get_memo(srv, s[who], mid)["internal"]["reply_draft"] or {}
    return {"version": d.get("version") or 1, "digest": d.get("digest") or "A" * 43 + "="}


def approve(desk, who, mid, status=200, seen=None):
    """@who approves the version they read (or @seen: {"version", "digest"})."""
    return post(desk, who, mid, "reply-draft/approve", seen or read_version(desk, who, mid),
                status)


def acked(desk, title, assignee="otto"):
    srv, s = desk
    mid = filed_memo(srv, s["dan"], title, cosigners={"cos": s["cos"]})
    call(s["olga"], "POST", memo_url(srv, mid, "acknowledge"))
    call(s["olga"], "POST", memo_url(srv, mid, "distribution"), {"usernames": ["pia"]})
    if assignee:
        call(s["olga"], "POST", memo_url(srv, mid, "assignment"), {"username": assignee})
    return mid


def test_the_head_role_goes_with_the_officer_role(desk):
    srv, s = desk
    admin = srv.login("admin", srv.admin_password)
    r = admin.post(srv.url + "/api/v1/users", json={"username": "solo", "roles": ["head"]},
                   timeout=TIMEOUT)
    assert_error(r, 422, field="roles")
    r = admin.post(srv.url + "/api/v1/users", json={"username": "solo",
                                                    "roles": ["admin", "head", "officer"]},
                   timeout=TIMEOUT)
    assert_error(r, 422, "roles_combined")
    me = call(s["hedy"], "GET", srv.url + "/api/v1/me").json()
    assert set(me["roles"]) == {"officer", "head"}


def test_draft_clear_submit_return_approve(desk):
    srv, s = desk
    mid = acked(desk, "Approval memo")
    m = get_memo(srv, s["otto"], mid)
    assert m["internal"]["approval_required"] is True
    assert "reply" not in m["actions"] and "reply-draft" in m["actions"]
    # the officer cannot send it alone
    r = post(desk, "otto", mid, "reply", {"body": "Alone."}, None)
    assert_wrong_state(r, "acknowledged")
    assert "approves every reply" in r.json()["error"]["message"]
    # nothing to submit yet; a draft by someone not on the case is refused
    assert_wrong_state(post(desk, "otto", mid, "reply-draft/submit", None, None), "acknowledged")
    assert_error(save(desk, "cleo", mid, "Not mine.", None), 403)
    m = save(desk, "otto", mid, "We thank you. **Draft one.**").json()
    assert m["internal"]["reply_draft"]["body"] == "We thank you. **Draft one.**"
    assert m["internal"]["reply_draft"]["by"] == "otto"
    # clearance: cleo is asked; she may edit, then clears
    for bad in ({"usernames": ["otto"]}, {"usernames": ["dan"]}, {"usernames": ["ghost"]},
                {"usernames": []}, {"usernames": ["cleo", "cleo"]}, {"names": ["cleo"]}):
        assert_error(post(desk, "otto", mid, "reply-draft/clearance", bad, None), 422)
    assert_error(post(desk, "cleo", mid, "reply-draft/clearance", {"usernames": ["olga"]},
                      None), 403)
    m = post(desk, "otto", mid, "reply-draft/clearance", {"usernames": ["cleo"]}).json()
    assert m["internal"]["clearers"] == [{"username": "cleo", "display_name": "",
                                          "cleared": False}]
    assert "clear" in get_memo(srv, s["cleo"], mid)["actions"]
    r = post(desk, "otto", mid, "reply-draft/submit", None, None)
    assert_wrong_state(r, "acknowledged")
    assert "not yet cleared by cleo" in r.json()["error"]["message"]
    m = save(desk, "cleo", mid, "We thank you. **Draft two.**").json()
    assert m["internal"]["reply_draft"]["by"] == "cleo"
    m = post(desk, "cleo", mid, "reply-draft/clear").json()
    assert m["internal"]["clearers"][0]["cleared"] is True
    assert_error(post(desk, "cleo", mid, "reply-draft/clear", None, None), 409, "exists")
    assert_error(post(desk, "olga", mid, "reply-draft/clear", None, None), 403)
    # a new version needs clearing again
    save(desk, "otto", mid, "We thank you. **Draft three.**")
    assert get_memo(srv, s["otto"], mid)["internal"]["clearers"][0]["cleared"] is False
    post(desk, "cleo", mid, "reply-draft/clear")
    # only the case officer submits; then the heads are asked
    assert_error(post(desk, "cleo", mid, "reply-draft/submit", None, None), 403)
    m = post(desk, "otto", mid, "reply-draft/submit").json()
    assert m["internal"]["submitted"]["by"] == "otto" and "submit" not in m["actions"]
    assert_error(post(desk, "otto", mid, "reply-draft/submit", None, None), 409, "exists")
    waiting = call(s["hedy"], "GET", srv.url + "/api/v1/memos?approval=me").json()["memos"]
    assert mid in [x["id"] for x in waiting]
    assert_error(call(s["otto"], "GET", srv.url + "/api/v1/memos?approval=me", status=422), 422,
                 field="approval")
    # officers other than the head cannot decide
    assert_error(approve(desk, "otto", mid, None), 403)
    assert_error(post(desk, "otto", mid, "reply-draft/return", {"reason": "x"}, None), 403)
    # the head returns it with a reason: the case officer edits and submits again
    assert_error(post(desk, "hedy", mid, "reply-draft/return", {}, None), 422, field="reason")
    m = post(desk, "hedy", mid, "reply-draft/return", {"reason": "Name the costs."}).json()
    assert m["internal"]["returned"] == {**m["internal"]["returned"], "by": "hedy",
                                         "reason": "Name the costs."}
    assert m["internal"]["submitted"] is None
    assert mid not in [x["id"] for x in call(s["hedy"], "GET",
                                             srv.url + "/api/v1/memos?approval=me").json()["memos"]]
    assert_wrong_state(approve(desk, "hedy", mid, None), "acknowledged")
    final = "We thank you. The costs are **$4m**; we will revise Policy X."
    save(desk, "otto", mid, final)
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    m = approve(desk, "hedy", mid).json()
    assert m["state"] == "replied"
    assert m["reply"]["body"] == final
    assert m["reply"]["approved_by"]["username"] == "hedy"
    # the drafter sees the reply, its note with both signatures, and who approved it
    d = get_memo(srv, s["dan"], mid)
    assert d["reply"]["body"] == final and d["reply"]["approved_by"]["username"] == "hedy"
    assert [e["event"] for e in d["timeline"]][-2:] == ["replied", "approved"]
    note = d["reply"]["note"]
    head_key = call(s["dan"], "GET", srv.url + "/api/v1/users/hedy/key").json()
    check_note(note, d["reply"]["approved_by"]["vkey"], final, mid)
    assert d["reply"]["approved_by"]["vkey"] in head_key.values(), head_key


def check_note(note, vkey, reply, mid):
    """The reply's signed note carries a valid signature by @vkey over the dissent-reply text."""
    text, sigs = note.split("\n\n", 1)
    name, keyid, raw = vkey.split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(raw)
    assert raw[0] == 1
    lines = [ln for ln in sigs.splitlines() if ln.startswith("\u2014 " + name + " ")]
    assert len(lines) == 1, sigs
    blob = base64.b64decode(lines[0].split(" ")[2])
    assert blob[:4].hex() == keyid
    VerifyKey(raw[1:]).verify((text + "\n").encode(), blob[4:])
    assert ("memo " + mid) in text
    assert len(sigs.splitlines()) == 2, sigs  # the channel's and the head's


def test_approval_needs_every_clearance_and_another_author(desk):
    """A clearance asked for after the submission holds the approval until it is given; a head
    approves neither a version they wrote nor one sent already (after a clarification, a new
    version is submitted)."""
    srv, s = desk
    mid = acked(desk, "Late clearance memo")
    save(desk, "otto", mid, "First words.")
    post(desk, "otto", mid, "reply-draft/submit")
    post(desk, "otto", mid, "reply-draft/clearance", {"usernames": ["cleo"]})
    r = approve(desk, "hedy", mid, None)
    assert_wrong_state(r, "acknowledged")
    assert "not yet cleared by cleo" in r.json()["error"]["message"]
    assert "approve" in get_memo(srv, s["hedy"], mid)["actions"]  # it waits on cleo
    # hugo, a head, writes the next version: he cannot approve it, hedy can
    save(desk, "hugo", mid, "Hugo's words.")
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    assert "approve" not in get_memo(srv, s["hugo"], mid)["actions"]
    r = approve(desk, "hugo", mid, None)
    assert_wrong_state(r, "acknowledged")
    assert "four eyes" in r.json()["error"]["message"]
    m = approve(desk, "hedy", mid).json()
    assert m["reply"]["body"] == "Hugo's words." and m["reply"]["approved_by"]["username"] == "hedy"
    # the drafter asks for clarification: the version sent is not submitted again
    post(desk, "dan", mid, "clarify", {"question": "Which costs?"})
    m = get_memo(srv, s["otto"], mid)
    assert m["internal"]["reply_draft"]["sent"] is True and "submit" not in m["actions"]
    assert_wrong_state(post(desk, "otto", mid, "reply-draft/submit", None, None), "acknowledged")
    save(desk, "otto", mid, "The costs are $4m.")
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    m = approve(desk, "hugo", mid).json()
    assert m["reply"]["body"] == "The costs are $4m."
    assert m["reply"]["approved_by"]["username"] == "hugo"


def test_a_return_racing_the_approval_never_sends_what_was_returned(desk):
    """One head returns the submission while another approves it, at the same moment: never
    both. The approval reads the review again inside the reply's transaction."""
    import threading
    srv, s = desk
    both = []
    for i in range(15):
        mid = acked(desk, "Race memo %d" % i)
        save(desk, "otto", mid, "Words %d." % i)
        post(desk, "otto", mid, "reply-draft/submit")
        seen = read_version(desk, "hedy", mid)
        out = {}
        go = threading.Barrier(2)

        def run(who, suffix, body):
            go.wait()
            out[who] = post(desk, who, mid, suffix, body, None).status_code

        t = [threading.Thread(target=run, args=("hedy", "reply-draft/approve", seen)),
             threading.Thread(target=run, args=("hugo", "reply-draft/return", {"reason": "No."}))]
        for x in t:
            x.start()
        for x in t:
            x.join()
        m = get_memo(srv, s["otto"], mid)
        if out["hedy"] == 200 and out["hugo"] == 200:
            both.append(mid)
        # whatever won, the memo says so consistently
        assert (m["state"] == "replied") == (out["hedy"] == 200), (out, m["state"])
        assert (m["internal"]["returned"] is not None and m["state"] == "acknowledged") == \
            (out["hugo"] == 200 and out["hedy"] != 200), (out, m["internal"]["returned"])
    assert not both, both


def test_four_eyes_and_the_others_never_see_it(desk):
    srv, s = desk
    mid = acked(desk, "Four eyes memo", assignee="hedy")
    save(desk, "hedy", mid, "The head's own words.")
    post(desk, "hedy", mid, "notes", {"body": "Check with the legal office first."}, 201)
    post(desk, "hedy", mid, "reply-draft/submit")
    # she cannot approve her own submission; another head can
    m = get_memo(srv, s["hedy"], mid)
    assert "approve" not in m["actions"] and "return" in m["actions"]
    r = approve(desk, "hedy", mid, None)
    assert_wrong_state(r, "acknowledged")
    assert "four eyes" in r.json()["error"]["message"]
    assert mid not in [x["id"] for x in call(s["hedy"], "GET",
                                             srv.url + "/api/v1/memos?approval=me").json()["memos"]]
    assert mid in [x["id"] for x in call(s["hugo"], "GET",
                                         srv.url + "/api/v1/memos?approval=me").json()["memos"]]
    # officers see the notes; the drafter, a co-signer and a principal see no trace
    m = get_memo(srv, s["olga"], mid)
    assert [n["body"] for n in m["internal"]["notes"]] == ["Check with the legal office first."]
    for who in ("dan", "cos", "pia"):
        v = get_memo(srv, s[who], mid)
        assert "internal" not in v
        kinds = {e["event"] for e in v["timeline"]}
        assert not kinds & {"note", "reply_draft", "submitted", "cleared", "returned",
                            "clearance_requested"}, kinds
        assert "legal office" not in str(v) and "own words" not in str(v)
    # notes are officers' only, and not before filing nor after the end
    assert_error(post(desk, "dan", mid, "notes", {"body": "hi"}, None), 403)
    assert_error(post(desk, "olga", mid, "notes", {"body": "  "}, None), 422, field="body")
    approve(desk, "hugo", mid)
    m = get_memo(srv, s["dan"], mid)
    assert m["reply"]["approved_by"]["username"] == "hugo"


def event_rows(srv, mid, kind):
    db = sqlite3.connect(srv.data + "/dissent.db")
    try:
        return [r[0] for r in db.execute(
            "SELECT e.id FROM memo_events e JOIN memos m ON m.id = e.memo_id"
            " WHERE m.public_id = ? AND e.kind = ? ORDER BY e.id", (mid, kind))]
    finally:
        db.close()


def move_last(srv, event_id, copy=False):
    """A database writer moves (or copies) event @event_id after every other event."""
    db = sqlite3.connect(srv.data + "/dissent.db")
    try:
        top = db.execute("SELECT max(id) FROM memo_events").fetchone()[0]
        if copy:
            cols = [r[1] for r in db.execute("PRAGMA table_info(memo_events)") if r[1] != "id"]
            db.execute("INSERT INTO memo_events (id, %s) SELECT ?, %s FROM memo_events"
                       " WHERE id = ?" % (", ".join(cols), ", ".join(cols)), (top + 1, event_id))
        else:
            db.execute("UPDATE memo_events SET id = ? WHERE id = ?", (top + 1, event_id))
        db.commit()
    finally:
        db.close()


@sqlite_only
def test_the_approval_holds_against_a_database_writer(desk):
    """A clearance or a submission names the version it is for: one copied forward after a new
    version counts for nothing. The head approves the version they read, or nothing. The
    reply names the head who approved it only when that head's key signed its note."""
    srv, s = desk
    mid = acked(desk, "Writer memo")
    save(desk, "otto", mid, "Version one.")
    post(desk, "otto", mid, "reply-draft/clearance", {"usernames": ["cleo"]})
    post(desk, "cleo", mid, "reply-draft/clear")
    save(desk, "otto", mid, "Version two, not cleared.")
    move_last(srv, event_rows(srv, mid, "cleared")[0], copy=True)
    m = get_memo(srv, s["otto"], mid)
    assert m["internal"]["clearers"][0]["cleared"] is False
    r = post(desk, "otto", mid, "reply-draft/submit", None, None)
    assert_wrong_state(r, "acknowledged")
    assert "not yet cleared by cleo" in r.json()["error"]["message"]
    # a submission of version one, copied after version two, is no submission
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    seen = read_version(desk, "hedy", mid)
    save(desk, "otto", mid, "Version three.")
    move_last(srv, event_rows(srv, mid, "submitted")[-1], copy=True)
    m = get_memo(srv, s["hedy"], mid)
    assert m["internal"]["submitted"] is None and "approve" not in m["actions"]
    assert_wrong_state(approve(desk, "hedy", mid, None), "acknowledged")
    # the head approves what they read: a newer version, submitted since, is not it
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    r = approve(desk, "hedy", mid, None, seen=seen)
    assert_wrong_state(r, "acknowledged")
    assert "not the one you read" in r.json()["error"]["message"]
    bad = dict(read_version(desk, "hedy", mid), digest=seen["digest"])
    assert_wrong_state(approve(desk, "hedy", mid, None, seen=bad), "acknowledged")
    assert_error(approve(desk, "hedy", mid, None, seen={"version": "7", "digest": "x"}), 422,
                 field="version")
    assert_error(approve(desk, "hedy", mid, None, seen={"version": 7, "digest": "x"}), 422,
                 field="digest")
    m = approve(desk, "hedy", mid).json()
    assert m["reply"]["body"] == "Version three." and m["reply"]["approved_by"]["username"] == "hedy"
    # a clarification, and hugo approves the second reply: hedy's approval moved after it
    # names nobody (her key did not sign this note)
    post(desk, "dan", mid, "clarify", {"question": "Which costs?"})
    save(desk, "otto", mid, "Version four.")
    post(desk, "cleo", mid, "reply-draft/clear")
    post(desk, "otto", mid, "reply-draft/submit")
    assert approve(desk, "hugo", mid).json()["reply"]["approved_by"]["username"] == "hugo"
    move_last(srv, event_rows(srv, mid, "approved")[0])
    assert get_memo(srv, s["dan"], mid)["reply"]["approved_by"] is None
    assert "did not sign its reply" in srv.log()


@sqlite_only
def test_the_memo_key_opens_none_of_it(desk):
    """A reader holding the memo key (the drafter) cannot open the officers' texts: they are
    sealed under another key, which only the channel key opens."""
    srv, s = desk
    mid = acked(desk, "Sealed memo")
    secret = "Internal-only remark 7f3a"
    post(desk, "olga", mid, "notes", {"body": secret}, 201)
    save(desk, "otto", mid, "Draft text 91bc")
    db = sqlite3.connect(srv.data + "/dissent.db")
    try:
        rows = db.execute("SELECT e.kind, e.detail FROM memo_events e JOIN memos m"
                          " ON m.id = e.memo_id WHERE m.public_id = ?", (mid,)).fetchall()
        keys = db.execute("SELECT count(*) FROM memo_keys k JOIN memos m ON m.id = k.memo_id"
                          " WHERE m.public_id = ?", (mid,)).fetchone()[0]
    finally:
        db.close()
    details = {k: d for k, d in rows}
    assert details["note"].startswith("enc:") and details["reply_draft"].startswith("enc:")
    blob = "".join(d or "" for _, d in rows)
    assert secret not in blob and "91bc" not in blob
    # drafter, co-signer, principal, the channel, and the officers' key
    assert keys == 5


@sqlite_only
def test_a_deleted_officers_key_is_an_integrity_error(desk):
    """The officers' key's row deleted outside Dissent: every note and draft would be lost
    under a new key made silently. The memo's internal events say a key existed, so the
    officers' view and every step answer 500 integrity, and no new key is made."""
    srv, s = desk
    mid = acked(desk, "Keyless memo")
    post(desk, "olga", mid, "notes", {"body": "Before the deletion."}, 201)
    db = sqlite3.connect(srv.data + "/dissent.db")
    try:
        r = db.execute("DELETE FROM memo_keys WHERE user_id = ? AND memo_id ="
                       " (SELECT id FROM memos WHERE public_id = ?)", (user_ref(srv, -1), mid))
        assert r.rowcount == 1
        db.commit()
    finally:
        db.close()
    assert_error(s["olga"].get(memo_url(srv, mid), timeout=TIMEOUT), 500, "integrity")
    assert_error(post(desk, "olga", mid, "notes", {"body": "After."}, None), 500, "integrity")
    assert_error(save(desk, "otto", mid, "A draft", None), 500, "integrity")
    db = sqlite3.connect(srv.data + "/dissent.db")
    try:
        n = db.execute("SELECT count(*) FROM memo_keys WHERE user_id = ? AND memo_id ="
                       " (SELECT id FROM memos WHERE public_id = ?)",
                       (user_ref(srv, -1), mid)).fetchone()[0]
    finally:
        db.close()
    assert n == 0
    assert "no officers' key" in srv.log()
    # the drafter's view does not depend on it
    assert get_memo(srv, s["dan"], mid)["title"] == "Keyless memo"


def test_extensions_beyond_the_ordinary_period_are_the_heads(desk):
    srv, s = desk
    mid = acked(desk, "Extension memo")
    m = get_memo(srv, s["otto"], mid)
    assert "extend" not in m["actions"]
    until = m["deadlines"]["reply"]["max"]
    r = post(desk, "otto", mid, "extend", {"until": until, "reason": "Budget office"}, None)
    assert_error(r, 403)
    assert "granted by the channel's head" in r.json()["error"]["message"]
    assert "extend" in get_memo(srv, s["hedy"], mid)["actions"]
    m = post(desk, "hedy", mid, "extend", {"until": until, "reason": "Budget office"}).json()
    assert m["deadlines"]["reply"]["due"] == until


def test_without_approval_the_case_officer_sends_it(make_server):
    srv = make_server(config={"channel": {"preset": "eu-directive", "reply_approval": ""}})
    admin = srv.admin()
    srv.add_user(admin, "olga", ["officer"])
    srv.add_user(admin, "dan", ["staff"])
    s = {n: srv.login(n, PASSWORD) for n in ("olga", "dan")}
    mid = filed_memo(srv, s["dan"], "Directive memo")
    call(s["olga"], "POST", memo_url(srv, mid, "acknowledge"))
    call(s["olga"], "POST", memo_url(srv, mid, "assignment"), {"username": "olga"})
    r = s["olga"].put(memo_url(srv, mid, "reply-draft"), json={"body": "Draft."}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["internal"]["approval_required"] is False and "submit" not in m["actions"]
    assert "reply" in m["actions"]
    assert_wrong_state(s["olga"].post(memo_url(srv, mid, "reply-draft/submit"), timeout=TIMEOUT),
                       "acknowledged")
    m = call(s["olga"], "POST", memo_url(srv, mid, "reply"), {"body": "Sent."}).json()
    assert m["state"] == "replied" and m["reply"]["approved_by"] is None
