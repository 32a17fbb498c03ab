"""Facts the web interface shows, kept true by the API (docs/api.md):

- a co-signer who declined the invitation can no longer sign (409 wrong_state), and the memo
  says so (`my_signature.status` "declined");
- the deadlines of declined and withdrawn memos: the decline meets the acknowledgement on its
  own day (on time or not), a deadline not met before the memo ended is `stopped` (never
  overdue); a replied memo's reply has no `max`; the same in lists; neither is in
  GET /api/v1/deadlines; the statistics count overdue deadlines against the on-time share;
- GET /api/v1/memos?deadline=overdue|soon|waiting, paged by the last memo examined, reading
  (and auditing) only the titles it shows;
- GET /api/v1/me tells when the session ends;
- a new memo hides signer names from principals unless the drafter shows them.

Dates: the organisation is in New York; 2026, with Friday 3 July the observed Independence Day.
"""
import datetime
import re

import requests

from conftest import (TIMEOUT, add_working_days, assert_error, assert_memo_shape,
                      assert_wrong_state, count_working_days, memo_url, unix)
from loghelpers import Desk

# no drafter's window: a replied memo stays replied across the clock's jumps (its own tests:
# test_reply_window.py)
NY = {"channel": {"timezone": "America/New_York", "accept_window": "0"}}
DAY = datetime.date


def get(d, who, mid):
    r = d.call(who, "GET", mid)
    return assert_memo_shape(r.json())


def listing(d, who, **params):
    r = d.s[who].get(memo_url(d.srv), params=params, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


# ---- declined invitations ----

def test_a_declined_invitation_cannot_sign(make_server):
    d = Desk(make_server)
    mid = d.draft("Declined")
    d.post("dan", mid, "invitations", {"usernames": ["bob", "cat", "eve"]})
    # eve declines while it is a draft, bob once it is open, cat after signing
    d.call("eve", "DELETE", mid, "invitations/me", status=204)
    d.post("dan", mid, "finalize")
    d.post("dan", mid, "signatures", status=201)
    d.post("cat", mid, "signatures", status=201)
    for who in ("bob", "cat"):
        r = d.call(who, "DELETE", mid, "invitations/me", status=204)
        assert r.text == "", "a decline answers with no copy of the memo"
    for who in ("bob", "cat", "eve"):
        # declining leaves the memo: it is no longer there for them, to sign or to read
        r = d.s[who].post(memo_url(d.srv, mid, "signatures"), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        assert_error(d.s[who].get(memo_url(d.srv, mid), timeout=TIMEOUT), 404, "not_found")
        assert mid not in [m["id"] for m in listing(d, who)["memos"]], who
    m = get(d, "dan", mid)
    assert m["signer_count"] == 1 and [s["username"] for s in m["signers"]] == ["dan"]
    assert {i["username"]: i["status"] for i in m["invitations"]} == {
        "bob": "declined", "cat": "declined", "eve": "declined"}
    # until the drafter invites them again: a new invitation shares the memo anew
    d.post("dan", mid, "invitations", {"usernames": ["bob"]})
    assert get(d, "bob", mid)["my_signature"]["status"] == "none"
    d.post("bob", mid, "signatures", status=201)
    assert get(d, "dan", mid)["signer_count"] == 2
    assert_error(d.s["cat"].get(memo_url(d.srv, mid), timeout=TIMEOUT), 404, "not_found")
    # an invitee who did not decline still signs
    mid2 = d.draft("Not declined")
    d.post("dan", mid2, "invitations", {"usernames": ["bob"]})
    d.post("dan", mid2, "finalize")
    d.post("dan", mid2, "signatures", status=201)
    assert get(d, "bob", mid2)["my_signature"]["status"] == "none"
    d.post("bob", mid2, "signatures", status=201)
    assert get(d, "bob", mid2)["my_signature"]["status"] == "signed"


# ---- deadlines of memos that ended ----

def test_deadlines_of_declined_withdrawn_and_replied_memos(make_server):
    # Mon 6 July, 10:00 in New York: acknowledgement due Wed 8 July, reply due Mon 17 August
    d = Desk(make_server, config=NY, clock="2026-07-06T14:00:00")
    ids = {}
    for name in ("declined_on_time", "declined_late", "withdrawn_unacked", "withdrawn_acked",
                 "replied", "waiting"):
        ids[name], f = d.file(name)
        assert f["deadlines"]["acknowledge"]["due"] == "2026-07-08"
        assert f["deadlines"]["reply"]["due"] == "2026-08-17"
        assert f["deadlines"]["reply"]["stopped"] is None
    d.set_clock("2026-07-07T14:00:00")
    d.post("off", ids["declined_on_time"], "decline", {"reason": "out of scope", "referral": "grievance"})
    d.post("off", ids["withdrawn_acked"], "acknowledge")
    d.post("off", ids["replied"], "acknowledge")
    # Fri 10 July: after the acknowledgement was due
    d.set_clock("2026-07-10T14:00:00")
    d.post("off", ids["declined_late"], "decline", {"reason": "out of scope", "referral": "grievance"})
    d.post("dan", ids["withdrawn_unacked"], "withdraw")
    d.post("dan", ids["withdrawn_acked"], "withdraw")
    m = d.post("off", ids["replied"], "reply", {"body": "Our answer."})
    assert "max" not in m["deadlines"]["reply"], m["deadlines"]
    # Tue 1 September: every due date of July and August has passed
    d.set_clock("2026-09-01T14:00:00")
    today = DAY(2026, 9, 1)

    stopped = {"due": "2026-08-17", "done_on": None, "working_days_left": None,
               "overdue": False, "missed": False}
    want = {
        "declined_on_time": {
            "acknowledge": {"due": "2026-07-08", "done_on": "2026-07-07",
                            "working_days_left": None, "on_time": True, "stopped": None},
            "reply": dict(stopped, stopped="declined")},
        "declined_late": {
            "acknowledge": {"due": "2026-07-08", "done_on": "2026-07-10",
                            "working_days_left": None, "on_time": False, "stopped": None},
            "reply": dict(stopped, stopped="declined")},
        "withdrawn_unacked": {
            # withdrawn on 10 July, after the acknowledgement was due: missed first
            "acknowledge": {"due": "2026-07-08", "done_on": None, "working_days_left": None,
                            "overdue": False, "stopped": "withdrawn", "missed": True},
            "reply": dict(stopped, stopped="withdrawn")},
        "withdrawn_acked": {
            "acknowledge": {"due": "2026-07-08", "done_on": "2026-07-07",
                            "working_days_left": None, "on_time": True, "stopped": None},
            "reply": dict(stopped, stopped="withdrawn")},
        "replied": {
            "acknowledge": {"due": "2026-07-08", "done_on": "2026-07-07",
                            "working_days_left": None, "on_time": True, "stopped": None},
            "reply": {"due": "2026-08-17", "done_on": "2026-07-10", "working_days_left": None,
                      "on_time": True, "stopped": None}},
        "waiting": {
            "acknowledge": {"due": "2026-07-08", "done_on": None, "overdue": True,
                            "working_days_left": count_working_days(today, DAY(2026, 7, 8)),
                            "stopped": None, "paused": False},
            "reply": {"due": "2026-08-17", "done_on": None, "overdue": True,
                      "working_days_left": count_working_days(today, DAY(2026, 8, 17)),
                      "stopped": None, "paused": False,
                      "max": add_working_days(DAY(2026, 7, 6), 60).isoformat()}},
    }
    summaries = {m["id"]: m for m in listing(d, "dan")["memos"]}
    officer = {m["id"]: m for m in listing(d, "off")["memos"]}
    for name, mid in ids.items():
        for who in ("dan", "off"):
            assert get(d, who, mid)["deadlines"] == want[name], (name, who)
        assert summaries[mid]["deadlines"] == want[name], name
        assert officer[mid]["deadlines"] == want[name], name

    # only the memo still waiting is on the officers' report
    r = d.s["off"].get(d.url + "/api/v1/deadlines", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["due"] == []
    assert [m["id"] for m in report["overdue"]] == [ids["waiting"]]

    # the statistics: the missed deadlines of the waiting memo count against the share, and so
    # does the acknowledgement missed before the withdrawal (a withdrawal launders nothing)
    r = d.s["aud"].get(d.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["on_time"] == {
        "acknowledged": {"on_time": 3, "late": 2, "overdue": 1, "share": 0.5},
        "replied": {"on_time": 1, "late": 0, "overdue": 1, "share": 0.5},
        "clarified": {"on_time": 0, "late": 0, "overdue": 0, "share": None}}
    assert (s["open"], s["overdue"]) == (2, 1)  # replied (not closed) and waiting; waiting


# ---- the deadline filter ----

def test_list_filtered_by_deadline_pages_and_audits_only_what_it_shows(make_server):
    # Wed 1 July: acknowledgement due Mon 6 July (Friday 3 July is a holiday)
    d = Desk(make_server, config=NY, clock="2026-07-01T14:00:00")
    m = {}
    m["O1"], f = d.file("O1")
    assert f["deadlines"]["acknowledge"]["due"] == "2026-07-06"
    m["X1"], _ = d.file("X1")
    d.post("off", m["X1"], "acknowledge")
    d.post("off", m["X1"], "reply", {"body": "Answered."})
    m["O2"], _ = d.file("O2")
    m["W1"], _ = d.file("W1")
    d.post("off", m["W1"], "acknowledge")
    m["X2"], _ = d.file("X2")
    d.post("off", m["X2"], "decline", {"reason": "out of scope", "referral": "grievance"})
    m["O3"], _ = d.file("O3")
    # Thu 9 July: the three unacknowledged memos are overdue; two filed today are due Mon 13
    d.set_clock("2026-07-09T14:00:00")
    m["S1"], f = d.file("S1")
    assert f["deadlines"]["acknowledge"]["due"] == "2026-07-13"
    assert f["deadlines"]["acknowledge"]["working_days_left"] == 2
    m["X3"] = d.draft("X3")
    m["S2"], _ = d.file("S2")

    def walk(who, deadline, limit, **extra):
        pages, after = [], None
        while True:
            params = dict(extra, deadline=deadline, limit=limit)
            if after:
                params["after"] = after
            page = listing(d, who, **params)
            assert len(page["memos"]) <= limit
            pages.append([x["id"] for x in page["memos"]])
            after = page["next"]
            if after is None:
                return pages
            assert len(pages) < 20

    name = {v: k for k, v in m.items()}

    def names(pages):
        return [[name[i] for i in p] for p in pages]

    # the officer's first list: only the overdue memos' titles are read
    page = listing(d, "off", deadline="overdue")
    assert [x["id"] for x in page["memos"]] == [m["O3"], m["O2"], m["O1"]]
    assert [x["title"] for x in page["memos"]] == ["O3", "O2", "O1"]
    assert page["next"] is None
    for key in m:
        if key == "X3":
            continue
        recs = d.call("dan", "GET", m[key], "audit").json()["records"]
        titles = [x for x in recs if x["by"] == "off" and x["action"] == "read_title"]
        assert len(titles) == (1 if key.startswith("O") else 0), (key, recs)

    for who in ("off", "dan"):
        assert names(walk(who, "overdue", 1)) == [["O3"], ["O2"], ["O1"]]
        # a full page does not know whether more match: the last page may be empty
        assert names(walk(who, "soon", 1)) == [["S2"], ["S1"], []]
        assert names(walk(who, "waiting", 2)) == [["S2", "S1"], ["O3", "W1"], ["O2", "O1"]]
        assert names(walk(who, "waiting", 200)) == [["S2", "S1", "O3", "W1", "O2", "O1"]]
        assert names(walk(who, "overdue", 5, state="filed")) == [["O3", "O2", "O1"]]
        assert names(walk(who, "waiting", 5, state="acknowledged")) == [["W1"]]
        assert names(walk(who, "overdue", 5, state="closed")) == [[]]
    # a page that fills up names the last memo examined; the next one starts after it
    page = listing(d, "dan", deadline="overdue", limit=2)
    assert [name[x["id"]] for x in page["memos"]] == ["O3", "O2"]
    assert page["next"] == m["O2"]
    # without the filter nothing changed: every memo, drafts included for the drafter
    assert names(walk("dan", None, 4)) == [["S2", "X3", "S1", "O3"], ["X2", "W1", "O2", "X1"],
                                           ["O1"]]
    for bad in ("late", "", "OVERDUE", "x" * 40):
        r = d.s["off"].get(memo_url(d.srv), params={"deadline": bad}, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", field="deadline")


# ---- the session's end ----

def test_me_tells_when_the_session_ends(make_server):
    start = "2026-07-01T14:00:00"
    d = Desk(make_server, config={"session": {"idle_timeout": "600", "lifetime": "1200"}},
             clock=start)
    t0 = unix(start)
    s = d.s["dan"]

    def me_session():
        r = s.get(d.url + "/api/v1/me", timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()["session"]

    def restart_at(offset):
        """Restart the server with its clock `offset` seconds after t0 (the session stays)."""
        with open(d.srv.config) as f:
            text = f.read()
        with open(d.srv.config, "w") as f:
            f.write(re.sub(r"(?m)^clock_start = .*$", "clock_start = %d" % (t0 + offset), text))
        assert d.srv.restart() == 0

    first = me_session()
    assert first["idle_timeout"] == 600
    # signed in a few seconds after the server's clock started at t0
    signed_in = first["lifetime_ends_at"] - 1200
    assert t0 <= signed_in <= t0 + 60, first
    assert first["expires_at"] == signed_in + 600, first
    # eight minutes later, any request extends the idle timer
    restart_at(480)
    later = me_session()
    assert later["lifetime_ends_at"] == first["lifetime_ends_at"]
    assert later["idle_timeout"] == 600
    assert t0 + 480 + 600 <= later["expires_at"] <= t0 + 480 + 600 + 60, later
    # sixteen minutes in, the lifetime ends before the idle timer would
    restart_at(960)
    last = me_session()
    assert last["expires_at"] == last["lifetime_ends_at"] == first["lifetime_ends_at"], last
    assert_error(requests.get(d.url + "/api/v1/me", timeout=TIMEOUT), 401, "unauthorized")


# ---- signer names ----

def test_new_memos_hide_signer_names_from_principals(make_server):
    d = Desk(make_server)
    r = d.s["dan"].post(memo_url(d.srv), json={"title": "Quiet", "body": "Text.\n"},
                        timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    assert r.json()["show_signer_names"] is False
    mid = r.json()["id"]
    d.post("dan", mid, "invitations", {"usernames": ["bob", "cat"]})
    d.post("dan", mid, "finalize")
    for who in ("dan", "bob", "cat"):
        d.post(who, mid, "signatures", status=201)
    # cat comments, then withdraws (and so leaves the memo)
    d.post("cat", mid, "comments", {"body": "note by cat"}, status=201)
    d.call("cat", "DELETE", mid, "signatures/me", status=204)
    d.post("dan", mid, "file")
    d.post("off", mid, "acknowledge")
    d.post("off", mid, "distribution", {"usernames": ["pat"]})
    for who in ("dan", "bob", "off", "pat"):
        d.post(who, mid, "comments", {"body": "note by " + who}, status=201)

    r = d.call("pat", "GET", mid)
    m = r.json()
    assert m["show_signer_names"] is False and m["signer_count"] == 2
    assert m["signers"] is None and m["drafter"] is None
    assert all("by" not in e for e in m["timeline"]), m["timeline"]
    for word in ("dan", "bob", "cat"):
        assert word not in r.text, word
    r = d.call("pat", "GET", mid, "comments")
    authors = {c["body"]: c["author"] for c in r.json()["comments"]}
    assert authors == {"note by dan": None, "note by bob": None, "note by cat": None,
                       "note by off": "off", "note by pat": "pat"}, authors
    for word in ("dan", "bob", "cat"):
        assert word not in r.text.replace("note by " + word, ""), word
    r = d.s["pat"].get(memo_url(d.srv), timeout=TIMEOUT)
    for word in ("dan", "bob", "cat"):
        assert word not in r.text, word
    # officers and the signers still see the names
    for who in ("off", "dan", "bob"):
        m = get(d, who, mid)
        assert m["drafter"]["username"] == "dan", who
        assert [s["username"] for s in m["signers"]] == ["dan", "bob"], who
