"""The calendar run at runtime (issue 18, part 5; core/calendar.h): administrators close days and
open them again, and stop the clock (tolling) and start it again, over the API. Each change is
audited, written to the transparency log, and moves the running deadlines it touches; none may
launder a deadline already missed. Dates are driven by the debug clock ([debug] clock_start), and
every expected date comes from conftest.py's independent calendar.
"""
import datetime

import pytest
import requests

from conftest import TIMEOUT, add_working_days, assert_error, memo_url
from keyhelpers import open_db
from loghelpers import Desk, caught_up, fetch_entries, parse_entry
from test_stats_api import recompute

DAY = datetime.date
NY = "America/New_York"
CAL = "/api/v1/calendar"


def days(a, b):
    """The dates a..b, both included."""
    return {a + datetime.timedelta(days=i) for i in range((b - a).days + 1)}


def memo(d, who, mid):
    r = d.s[who].get(memo_url(d.srv, mid), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def dues(m):
    k = m["deadlines"]
    return (k["acknowledge"]["due"], k["reply"]["due"], k["reply"].get("max"))


def iso(*ds):
    return tuple(x.isoformat() if x is not None else None for x in ds)


def change(d, method, path, json=None, status=200, who="admin"):
    r = d.s[who].request(method, d.url + CAL + path, json=json, timeout=TIMEOUT)
    assert r.status_code == status, (method, path, r.status_code, r.text)
    return r.json() if r.content else None


def calendar(d, who="admin"):
    r = d.s[who].get(d.url + CAL, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def log_entries(d):
    """The log's entries, parsed, once a checkpoint covers them all."""
    _, _, size, _ = caught_up(d.srv, d.s["aud"])
    return [parse_entry(e) for e in fetch_entries(d.url, size)]


def stats(d):
    caught_up(d.srv, d.s["aud"])
    r = d.s["aud"].get(d.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def audited(d):
    """The statistics, checked against a recomputation from the log's entries alone."""
    s = stats(d)
    _, _, size, _ = caught_up(d.srv, d.s["aud"])
    entries = fetch_entries(d.url, size)
    assert len(entries) == s["log_size"]
    want = recompute(entries, DAY.fromisoformat(s["today"]))
    assert s == want, "API %s\nrecomputed %s" % (s, want)
    return s


def test_a_closure_moves_the_running_deadlines_and_is_taken_back(make_server):
    # Monday 28 September 2026, 11:00 in New York
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    filed, storm = DAY(2026, 9, 28), DAY(2026, 9, 29)
    mid, _ = d.file()
    before = iso(DAY(2026, 9, 30), add_working_days(filed, 30), add_working_days(filed, 60))
    assert dues(memo(d, "dan", mid)) == before
    # everyone signed in reads the calendar; only an administrator changes it
    for who in ("dan", "off", "pat", "aud", "admin"):
        cal = calendar(d, who)
        assert cal["today"] == "2026-09-28" and cal["timezone"] == NY
        assert cal["holidays"] == "us-federal" and cal["closures"] == []
        assert cal["clock_stopped"] is None and cal["stops"] == []
    for who in ("dan", "off", "pat", "aud"):
        r = d.s[who].post(d.url + CAL + "/closures", json={"day": "2026-09-29", "reason": "x"},
                          timeout=TIMEOUT)
        assert_error(r, 403)
    assert requests.get(d.url + CAL, timeout=TIMEOUT).status_code == 401

    n = len(log_entries(d))
    got = change(d, "POST", "/closures", {"day": "2026-09-29", "reason": "Storm: offices shut"},
                 status=201)
    assert got["day"] == "2026-09-29" and got["reason"] == "Storm: offices shut"
    assert got["moved"] == 1 and got["removed_at"] is None
    closed = {storm}
    after = iso(DAY(2026, 10, 1), add_working_days(filed, 30, closed),
                add_working_days(filed, 60, closed))
    m = memo(d, "dan", mid)
    assert dues(m) == after
    assert m["timeline"][-1]["event"] == "rescheduled" and "by" not in m["timeline"][-1]
    assert memo(d, "off", mid)["deadlines"] == m["deadlines"]
    # the log: the closure, then the memo's new due dates (no reason, no name)
    new = log_entries(d)[n:]
    assert [e["event"] for e in new] == ["closure-added", "rescheduled"], new
    assert new[0] == {"event": "closure-added", "date": "2026-09-28", "closed": "2026-09-29"}
    assert new[1]["ack-due"] == after[0] and new[1]["reply-due"] == after[1]
    assert calendar(d, "dan")["closures"][0]["day"] == "2026-09-29"

    # what cannot be closed: a past day, a weekend, a holiday, a day closed already
    for day, status, code in (("2026-09-27", 422, "invalid_field"), ("2026-10-03", 409, "wrong_state"),
                              ("2026-10-12", 409, "wrong_state"),  # Columbus Day
                              ("2026-09-29", 409, "wrong_state")):
        r = d.s["admin"].post(d.url + CAL + "/closures", json={"day": day, "reason": "Again"},
                              timeout=TIMEOUT)
        assert_error(r, status, code)
    for body, field in (({"day": "2026-10-01"}, "reason"), ({"reason": "No day"}, "day"),
                        ({"day": "2026-10-01", "reason": ""}, "reason"),
                        ({"day": "2026-10-01", "reason": "x" * 201}, "reason"),
                        ({"day": "2026-10-01", "reason": "two\nlines"}, "reason"),
                        ({"day": "1 October", "reason": "Bad date"}, "day"),
                        ({"day": "2026-02-30", "reason": "Bad date"}, "day"),
                        ({"day": 20261001, "reason": "Bad date"}, "day")):
        r = d.s["admin"].post(d.url + CAL + "/closures", json=body, timeout=TIMEOUT)
        assert_error(r, 422, field=field)
    r = d.s["admin"].post(d.url + CAL + "/closures",
                          json={"day": "2026-10-01", "reason": "x", "extra": 1}, timeout=TIMEOUT)
    assert_error(r, 422, field="extra")
    assert dues(memo(d, "dan", mid)) == after  # nothing refused moved anything

    # a closure of today is allowed (it changes nothing here: the filing day is not counted),
    # and stands: only a later day's closure is taken back
    today = change(d, "POST", "/closures", {"day": "2026-09-28", "reason": "Early closing"},
                   status=201)
    assert today["moved"] == 0
    r = d.s["admin"].delete(d.url + CAL + "/closures/%d" % today["id"], timeout=TIMEOUT)
    assert_error(r, 409, "wrong_state")
    for bad in ("999", "abc", "0", "-1"):
        r = d.s["admin"].delete(d.url + CAL + "/closures/" + bad, timeout=TIMEOUT)
        assert_error(r, 404)
    r = d.s["off"].delete(d.url + CAL + "/closures/%d" % got["id"], timeout=TIMEOUT)
    assert_error(r, 403)

    # taking the storm closure back moves the deadlines back
    back = change(d, "DELETE", "/closures/%d" % got["id"])
    assert back["moved"] == 1 and back["removed_at"] is not None
    assert dues(memo(d, "dan", mid)) == before
    r = d.s["admin"].delete(d.url + CAL + "/closures/%d" % got["id"], timeout=TIMEOUT)
    assert_error(r, 404)
    assert [e["event"] for e in log_entries(d)[-2:]] == ["closure-removed", "rescheduled"]

    # the closure survives a restart: a memo filed after it counts around it
    change(d, "POST", "/closures", {"day": "2026-09-30", "reason": "Storm again"}, status=201)
    d.set_clock("2026-09-28T16:00:00")
    assert [c["day"] for c in calendar(d)["closures"] if c["removed_at"] is None] == \
        ["2026-09-28", "2026-09-30"]
    mid2, _ = d.file("Second")
    assert dues(memo(d, "dan", mid2))[0] == "2026-10-01"
    audited(d)
    # every change is in the channel's audit chain, which still verifies
    with open_db(d.srv) as c:
        actions = [r[0] for r in c.execute(
            "SELECT action FROM audit WHERE memo_id = 0 ORDER BY id").fetchall()]
    assert actions == ["closure_added", "closure_added", "closure_removed", "closure_added"]


def test_a_late_deadline_is_not_laundered_by_a_closure(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid, _ = d.file()
    # Friday 2 October: the acknowledgement was due on Wednesday 30 September
    d.set_clock("2026-10-02T15:00:00")
    m = memo(d, "off", mid)
    assert m["deadlines"]["acknowledge"]["overdue"] is True
    got = change(d, "POST", "/closures", {"day": "2026-10-02", "reason": "Closed today"},
                 status=201)
    assert got["moved"] == 1  # the reply, still running
    m = memo(d, "off", mid)
    ack = m["deadlines"]["acknowledge"]
    assert ack["due"] == "2026-09-30" and ack["overdue"] is True
    assert m["deadlines"]["reply"]["due"] == add_working_days(
        DAY(2026, 9, 28), 30, {DAY(2026, 10, 2)}).isoformat()
    # acknowledged now, it is late, as the statistics recomputed from the log say too
    d.post("off", mid, "acknowledge")
    s = audited(d)
    assert s["on_time"]["acknowledged"]["late"] == 1


def test_a_clock_stop_across_a_month_end(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    filed = DAY(2026, 9, 28)
    m1, _ = d.file("Before the lapse")
    before = iso(DAY(2026, 9, 30), add_working_days(filed, 30), add_working_days(filed, 60))
    # a stop from tomorrow: nothing moves while it runs
    stop = change(d, "POST", "/stops", {"from": "2026-09-29", "reason": "Funding lapse"},
                  status=201)
    assert stop["from"] == "2026-09-29" and stop["until"] is None and stop["moved"] == 0
    assert calendar(d, "dan")["clock_stopped"]["id"] == stop["id"]
    assert dues(memo(d, "dan", m1)) == before
    # one stop at a time; no closure inside it; no stop from a past day
    r = d.s["admin"].post(d.url + CAL + "/stops", json={"reason": "Another"}, timeout=TIMEOUT)
    assert_error(r, 409, "wrong_state")
    r = d.s["admin"].post(d.url + CAL + "/closures", json={"day": "2026-10-01", "reason": "x"},
                          timeout=TIMEOUT)
    assert_error(r, 409, "wrong_state")
    r = d.s["admin"].post(d.url + CAL + "/stops/%d/end" % stop["id"],
                          json={"until": "2026-09-28"}, timeout=TIMEOUT)
    assert_error(r, 422, field="until")  # before its first day
    r = d.s["off"].post(d.url + CAL + "/stops/%d/end" % stop["id"], json={}, timeout=TIMEOUT)
    assert_error(r, 403)

    # Monday 5 October: the acknowledgement was due on 30 September, but the clock stopped
    d.set_clock("2026-10-05T15:00:00")
    k = memo(d, "off", m1)["deadlines"]["acknowledge"]
    assert k["due"] == "2026-09-30" and k["overdue"] is False and k["paused"] is True
    assert k["working_days_left"] == 2  # what it had left when the clock stopped
    dl = d.s["off"].get(d.url + "/api/v1/deadlines", timeout=TIMEOUT).json()
    assert dl["overdue"] == [] and len(dl["due"]) == 1
    s = audited(d)
    assert s["overdue"] == 0 and s["paused"] == 1 and s["clock_stopped_from"] == "2026-09-29"
    assert s["on_time"]["acknowledged"]["overdue"] == 0
    # a memo filed during the stop gets its deadlines as usual, paused too
    m2, _ = d.file("During the lapse")
    during = dues(memo(d, "dan", m2))
    assert during[0] == "2026-10-07"
    r = d.s["admin"].post(d.url + CAL + "/stops/%d/end" % stop["id"],
                          json={"until": "2026-10-03"}, timeout=TIMEOUT)
    assert_error(r, 422, field="until")  # before yesterday

    # the lapse ended yesterday, Sunday 4 October: its days are closed, the paused deadline
    # keeps the two working days it had left
    n = len(log_entries(d))
    end = change(d, "POST", "/stops/%d/end" % stop["id"], {"until": "2026-10-04"})
    assert end["until"] == "2026-10-04" and end["moved"] == 1
    lapse = days(DAY(2026, 9, 29), DAY(2026, 10, 4))
    assert dues(memo(d, "dan", m1)) == iso(DAY(2026, 10, 6), add_working_days(filed, 30, lapse),
                                           add_working_days(filed, 60, lapse))
    assert dues(memo(d, "dan", m2)) == during  # counted from its filing, after the lapse
    k = memo(d, "off", m1)["deadlines"]["acknowledge"]
    assert k["paused"] is False and k["overdue"] is False and k["working_days_left"] == 1
    new = log_entries(d)[n:]
    assert [e["event"] for e in new] == ["clock-resumed", "rescheduled"], new
    assert new[0] == {"event": "clock-resumed", "date": "2026-10-05", "from": "2026-09-29",
                      "until": "2026-10-04"}
    assert new[1]["ack-due"] == "2026-10-06"
    # an outside verifier honours the move (the deadline was paused, not missed)
    s = audited(d)
    assert s["anomalies"] == 0 and s["clock_stopped_from"] is None and s["paused"] == 0
    r = d.s["admin"].post(d.url + CAL + "/stops/%d/end" % stop["id"], json={}, timeout=TIMEOUT)
    assert_error(r, 409, "wrong_state")
    cal = calendar(d, "pat")
    assert cal["clock_stopped"] is None and cal["stops"][0]["until"] == "2026-10-04"
    # acknowledged on the new due day: on time
    d.set_clock("2026-10-06T15:00:00")
    d.post("off", m1, "acknowledge")
    s = audited(d)
    assert s["on_time"]["acknowledged"]["on_time"] == 1 and s["on_time"]["acknowledged"]["late"] == 0


def test_a_forged_calendar_row_stops_the_start(make_server):
    d = Desk(make_server, clock="2026-09-28T15:00:00")
    change(d, "POST", "/closures", {"day": "2026-09-30", "reason": "Storm"}, status=201)
    d.srv.stop()
    with open_db(d.srv, readonly=False) as c:
        c.execute("UPDATE calendar SET first_day = first_day + 1, last_day = last_day + 1")
        c.commit()
    with pytest.raises(RuntimeError):
        d.srv.restart()
    assert "calendar row" in d.srv.log() and "integrity" in d.srv.log()


def test_an_answer_while_the_clock_is_stopped_is_on_time(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    m1, _ = d.file("Acknowledged during the lapse")
    m2, _ = d.file("Withdrawn during the lapse")
    stop = change(d, "POST", "/stops", {"from": "2026-09-29", "reason": "Lapse"}, status=201)
    # Monday 5 October: both acknowledgements (due 30 September) are paused
    d.set_clock("2026-10-05T15:00:00")
    d.post("off", m1, "acknowledge")
    k = memo(d, "off", m1)["deadlines"]["acknowledge"]
    assert k["done_on"] == "2026-10-05" and k["on_time"] is True
    d.post("dan", m2, "withdraw")
    k = memo(d, "dan", m2)["deadlines"]["acknowledge"]
    assert k["stopped"] == "withdrawn" and k["missed"] is False
    s = audited(d)
    assert s["on_time"]["acknowledged"] == {"on_time": 1, "late": 0, "overdue": 0, "share": 1.0}
    assert s["paused"] == 1  # m1 now waits on its reply, paused too
    change(d, "POST", "/stops/%d/end" % stop["id"], {"until": "2026-10-05"})
    assert audited(d)["anomalies"] == 0


def test_a_due_day_on_a_weekend_lands_on_a_working_day(make_server):
    """An extension may end on any day: a Saturday due day counts as its Friday, moves one working
    day on when the Friday is closed, and back to the Friday (never earlier) when it opens
    again."""
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    mid, _ = d.file()
    d.post("off", mid, "acknowledge")
    d.post("off", mid, "extend", {"until": "2026-12-05", "reason": "A Saturday"})
    assert dues(memo(d, "dan", mid))[1] == "2026-12-05"
    fri = change(d, "POST", "/closures", {"day": "2026-12-04", "reason": "Storm"}, status=201)
    assert fri["moved"] == 1
    moved = dues(memo(d, "dan", mid))[1]
    assert moved == "2026-12-07", moved
    back = change(d, "DELETE", "/closures/%d" % fri["id"])
    assert back["moved"] == 1
    assert dues(memo(d, "dan", mid))[1] == "2026-12-04"
    assert audited(d)["anomalies"] == 0
