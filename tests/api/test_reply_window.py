"""The drafter's turn after the reply (issue 18, part 2): within [channel] accept_window working
days (10 by default) the drafter accepts the reply, or asks for clarification, which sends the
memo back to the reply step with its own deadline ([channel] clarify_days, 10); the memo closes
when the drafter accepts or when the window ends (the leading server closes it), and the
officers cannot close it before. Dates are driven by the debug clock; expected dates come from
conftest.py's independent calendar.
"""
import datetime
import time

from conftest import TIMEOUT, add_working_days, assert_error, assert_wrong_state, memo_url
from loghelpers import Desk
from test_calendar import audited, memo
from test_calendar import log_entries as entries

DAY = datetime.date
NY = "America/New_York"


def replied(d, title="A memo"):
    mid, _ = d.file(title)
    d.post("off", mid, "acknowledge")
    d.post("off", mid, "reply", {"body": "Our first answer."})
    return mid


def test_the_drafter_accepts_and_the_officers_wait(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    m = memo(d, "dan", mid)
    until = add_working_days(DAY(2026, 9, 28), 10).isoformat()
    assert m["state"] == "replied" and m["accept_until"] == until
    assert {"accept", "clarify"} <= set(m["actions"])
    assert "close" not in memo(d, "off", mid)["actions"]
    # the officers cannot close it while the drafter's window runs
    r = d.call("off", "POST", mid, "close", status=409)
    assert until in r.json()["error"]["message"]
    # only the drafter answers
    for who in ("bob", "off", "pat"):
        r = d.s[who].post(memo_url(d.srv, mid, "accept"), timeout=TIMEOUT)
        assert r.status_code in (403, 404), (who, r.text)
    n = len(entries(d))
    m = d.post("dan", mid, "accept")
    assert m["state"] == "closed" and m["closed_on"] == "2026-09-28" and m["accept_until"] is None
    assert m["timeline"][-1]["event"] == "accepted" and m["timeline"][-1]["by"] == "dan"
    new = entries(d)[n:]
    assert [e["event"] for e in new] == ["closed"], new
    assert_wrong_state(d.call("dan", "POST", mid, "accept", status=409), "closed")
    s = audited(d)
    assert s["working_days_to_close"]["count"] == 1 and s["clarifications"] == 0


def test_a_clarification_reopens_the_reply_step(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    for body, field in (({}, "question"), ({"question": ""}, "question"),
                        ({"question": "   "}, "question"), ({"question": "x" * 2001}, "question"),
                        ({"question": "ok", "extra": 1}, "extra")):
        r = d.s["dan"].post(memo_url(d.srv, mid, "clarify"), json=body, timeout=TIMEOUT)
        assert_error(r, 422, field=field)
    r = d.s["off"].post(memo_url(d.srv, mid, "clarify"), json={"question": "?"}, timeout=TIMEOUT)
    assert_error(r, 403)
    # Thursday 1 October: the drafter asks
    d.set_clock("2026-10-01T15:00:00")
    n = len(entries(d))
    m = d.post("dan", mid, "clarify", {"question": "Does this cover the regional offices?"})
    due = add_working_days(DAY(2026, 10, 1), 10).isoformat()
    assert m["state"] == "acknowledged" and m["reply"] is None and m["replied_on"] is None
    k = m["deadlines"]["reply"]
    assert k["due"] == due and k["max"] == due and k["done_on"] is None
    kinds = [e["event"] for e in m["timeline"]]
    assert kinds[-3:] == ["clarification", "earlier_reply", "earlier_reply_due"], kinds
    assert m["timeline"][-3]["detail"] == "Does this cover the regional offices?"
    assert m["timeline"][-2]["detail"] == "Our first answer."
    # the first reply stays as it was: on time (28 September, due on the 30th working day)
    first = {"done_on": "2026-09-28", "due": add_working_days(DAY(2026, 9, 28), 30).isoformat(),
             "on_time": True}
    assert m["first_reply"] == first
    # the officers see the question and what they answered before; no extension of it
    o = memo(d, "off", mid)
    assert o["timeline"][-3]["detail"] == "Does this cover the regional offices?"
    assert o["first_reply"] == first
    assert "reply" in o["actions"] and "extend" not in o["actions"]
    r = d.s["off"].post(memo_url(d.srv, mid, "extend"),
                        json={"until": add_working_days(DAY(2026, 10, 1), 12).isoformat(),
                              "reason": "More"}, timeout=TIMEOUT)
    assert_error(r, 422)
    new = entries(d)[n:]
    assert new == [{"event": "clarification", "memo": new[0]["memo"], "date": "2026-10-01",
                    "reply-due": due}], new
    s = audited(d)
    assert s["clarifications"] == 1 and s["overdue"] == 0
    # the answer to it starts a new window
    d.set_clock("2026-10-05T15:00:00")
    m = d.post("off", mid, "reply", {"body": "Yes, every regional office."})
    assert m["state"] == "replied"
    assert memo(d, "dan", mid)["accept_until"] == add_working_days(DAY(2026, 10, 5), 10).isoformat()
    # the first reply's figures stay in the statistics: replied on 28 September, on time
    s = audited(d)
    assert s["working_days_to_reply"]["count"] == 1 and s["on_time"]["replied"]["on_time"] == 1


def test_a_late_first_reply_stays_late_and_a_closure_moves_the_clarification(make_server):
    """A clarification does not turn a late first reply into an on-time one (memo view and
    statistics), and a calendar change moves the clarification's due date in both."""
    d = Desk(make_server, config={"channel": {"timezone": NY, "reply": "2 working-days",
                                              "reply_max": "2 working-days"}},
             clock="2026-09-28T15:00:00")
    mid, _ = d.file()
    d.post("off", mid, "acknowledge")
    # Thursday 1 October: the reply, due Wednesday 30 September, comes a day late
    d.set_clock("2026-10-01T15:00:00")
    d.post("off", mid, "reply", {"body": "Late."})
    m = d.post("dan", mid, "clarify", {"question": "And?"})
    assert m["first_reply"] == {"done_on": "2026-10-01", "due": "2026-09-30", "on_time": False}
    due = add_working_days(DAY(2026, 10, 1), 10)
    assert m["deadlines"]["reply"]["due"] == due.isoformat()
    s = audited(d)
    assert s["on_time"]["replied"]["late"] == 1 and s["clarifications"] == 1
    # a closure inside it moves it by a working day, in the memo and in the statistics
    r = d.s["admin"].post(d.url + "/api/v1/calendar/closures",
                          json={"day": "2026-10-06", "reason": "Storm"}, timeout=TIMEOUT)
    assert r.status_code == 201 and r.json()["moved"] == 1, r.text
    moved = add_working_days(DAY(2026, 10, 1), 10, {DAY(2026, 10, 6)})
    assert memo(d, "dan", mid)["deadlines"]["reply"]["due"] == moved.isoformat()
    d.set_clock(moved.isoformat() + "T15:00:00")
    assert memo(d, "off", mid)["deadlines"]["reply"]["overdue"] is False
    s = audited(d)
    assert s["anomalies"] == 0 and s["overdue"] == 0
    d.post("off", mid, "reply", {"body": "On its moved due day."})
    s = audited(d)
    assert s["on_time"]["clarified"]["on_time"] == 1 and s["on_time"]["replied"]["late"] == 1


def test_an_unanswered_clarification_is_overdue(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    d.post("dan", mid, "clarify", {"question": "What about the budget?"})
    due = add_working_days(DAY(2026, 9, 28), 10)
    d.set_clock((due + datetime.timedelta(days=1)).isoformat() + "T15:00:00")
    assert memo(d, "off", mid)["deadlines"]["reply"]["overdue"] is True
    s = audited(d)
    assert s["overdue"] == 1 and s["on_time"]["replied"]["overdue"] == 0
    assert s["on_time"]["clarified"]["overdue"] == 1


def test_the_window_ends_and_the_memo_closes_by_itself(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    until = add_working_days(DAY(2026, 9, 28), 10)
    # on its last day it is still the drafter's
    d.set_clock(until.isoformat() + "T15:00:00")
    time.sleep(1.5)  # a housekeeping round or more
    assert memo(d, "dan", mid)["state"] == "replied"
    # the day after, the leading server closes it
    d.set_clock((until + datetime.timedelta(days=1)).isoformat() + "T15:00:00")
    end = time.time() + 10
    while memo(d, "dan", mid)["state"] != "closed":
        assert time.time() < end, "not closed by the server"
        time.sleep(0.1)
    m = memo(d, "dan", mid)
    assert m["timeline"][-1]["event"] == "window_closed" and "by" not in m["timeline"][-1]
    assert m["closed_on"] == (until + datetime.timedelta(days=1)).isoformat()
    assert entries(d)[-1]["event"] == "closed"
    assert_wrong_state(d.call("dan", "POST", mid, "clarify", {"question": "Too late?"},
                              status=409), "closed")
    audited(d)


def test_a_clock_stop_holds_the_window(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    until = add_working_days(DAY(2026, 9, 28), 10)
    r = d.s["admin"].post(d.url + "/api/v1/calendar/stops",
                          json={"from": until.isoformat(), "reason": "Lapse"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    d.set_clock((until + datetime.timedelta(days=3)).isoformat() + "T15:00:00")
    time.sleep(1.5)  # a housekeeping round or more
    m = memo(d, "dan", mid)
    assert m["state"] == "replied" and "clarify" in m["actions"]


def test_without_a_window_the_officers_close_at_once(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY, "accept_window": "0"}},
             clock="2026-09-28T15:00:00")
    mid = replied(d)
    m = memo(d, "off", mid)
    assert m["accept_until"] is None and "close" in m["actions"]
    assert d.post("off", mid, "close")["state"] == "closed"


def test_an_addendum_to_a_closed_memo_is_a_new_memo_linked_to_it(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid = replied(d)
    # not before the memo is closed
    assert_wrong_state(d.call("dan", "POST", mid, "addendum", {"body": "New facts."},
                              status=409), "replied")
    d.post("dan", mid, "accept")
    assert "addendum" in memo(d, "dan", mid)["actions"]
    assert "addendum" not in memo(d, "off", mid)["actions"]
    for who in ("off", "pat"):
        r = d.s[who].post(memo_url(d.srv, mid, "addendum"), json={"body": "x"}, timeout=TIMEOUT)
        assert r.status_code in (403, 404), (who, r.text)
    for body, field in (({}, "body"), ({"body": "  \n"}, "body"), ({"body": "x", "extra": 1},
                                                                   "extra")):
        r = d.s["dan"].post(memo_url(d.srv, mid, "addendum"), json=body, timeout=TIMEOUT)
        assert_error(r, 422, field=field)
    r = d.s["dan"].post(memo_url(d.srv, mid, "addendum"),
                        json={"body": "The costs doubled in October."}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    add = r.json()
    assert add["state"] == "draft" and add["id"] != mid
    assert add["title"] == "Addendum to memo %s" % mid
    assert add["body"] == "The costs doubled in October."
    assert add["addendum_of"] == mid and add["deadlines"] is None
    # nobody but the drafter knows of it before it is filed, the original included
    assert memo(d, "dan", mid)["addenda"] == [] and memo(d, "off", mid)["addenda"] == []
    # its own life: signed, filed, its own clocks; the officers see the link once it is filed
    d.post("dan", add["id"], "finalize")
    d.post("dan", add["id"], "signatures", status=201)
    f = d.post("dan", add["id"], "file")
    assert f["deadlines"]["acknowledge"]["due"] == "2026-09-30"
    assert memo(d, "off", add["id"])["addendum_of"] == mid
    assert memo(d, "off", mid)["addenda"] == [add["id"]]
    assert memo(d, "dan", mid)["addenda"] == [add["id"]]
    assert memo(d, "dan", mid)["timeline"][-1]["event"] == "addendum"
    # nothing of the link in the public log: a filing like any other (and the read audit's
    # anchor that follows every filing)
    assert [e["event"] for e in entries(d)[-2:]] == ["filed", "audit-head"]
    # a draft deleted before filing leaves no trace on the original
    r = d.s["dan"].post(memo_url(d.srv, mid, "addendum"), json={"body": "Second thoughts."},
                        timeout=TIMEOUT)
    second = r.json()
    r = d.s["dan"].delete(memo_url(d.srv, second["id"]), timeout=TIMEOUT,
                          headers={"If-Match": '"%d"' % second["version"]})
    assert r.status_code == 204, r.text
    assert memo(d, "dan", mid)["addenda"] == [add["id"]]
