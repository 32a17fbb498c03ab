"""The escalation ladder as public facts (issue 18, part 4): when a memo's deadline has passed,
the leading server logs each rung the first time it is reached, emails or not: rung 1 the
working day after the due day (the officers and the channel's head), rung 2 [mail]
escalate_principals working days later (the principals). A deadline a clock stop pauses is not
escalated. Dates are driven by the debug clock.
"""
from conftest import TIMEOUT
from loghelpers import Desk
from test_calendar import audited, log_entries, memo

NY = "America/New_York"


def escalations(d, tag=None):
    return [e for e in log_entries(d) if e["event"] == "escalated" and
            (tag is None or e["memo"] == tag)]


def test_each_rung_is_logged_once(make_server):
    # Monday 28 September 2026: the acknowledgement is due Wednesday 30 September
    d = Desk(make_server, config={"channel": {"timezone": NY, "principals": "pat"}},
             clock="2026-09-28T15:00:00")
    mid, f = d.file()
    tag = [e for e in log_entries(d) if e["event"] == "filed"][-1]["memo"]
    assert escalations(d) == []
    # Thursday 1 October: one working day late, the first rung
    d.set_clock("2026-10-01T15:00:00")
    assert escalations(d) == [{"event": "escalated", "memo": tag, "date": "2026-10-01",
                               "missed": "2026-09-30", "rung": "1"}]
    m = memo(d, "dan", mid)
    assert m["timeline"][-1]["event"] == "escalated:ack:2026-09-30:1"
    assert "by" not in m["timeline"][-1]
    # a restart the same day, or the next, adds nothing
    d.set_clock("2026-10-02T15:00:00")
    assert len(escalations(d)) == 1
    # Friday 9 October: five working days after the first rung, the principals' rung
    d.set_clock("2026-10-09T15:00:00")
    got = escalations(d)
    assert [(e["rung"], e["date"]) for e in got] == [("1", "2026-10-01"), ("2", "2026-10-09")]
    s = audited(d)
    assert s["escalations"] == {"officers": 1, "principals": 1} and s["anomalies"] == 0
    # acknowledged late, then the reply's own ladder when it is missed in turn
    d.post("off", mid, "acknowledge")
    assert len(escalations(d)) == 2


def test_no_principals_no_second_rung(make_server):
    """Without configured principals there is nobody to escalate to after the officers: the
    log records the first rung only."""
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    d.file()
    d.set_clock("2026-10-20T15:00:00")
    assert [e["rung"] for e in escalations(d)] == ["1"]


def test_a_paused_deadline_is_not_escalated(make_server):
    d = Desk(make_server, config={"channel": {"timezone": NY}}, clock="2026-09-28T15:00:00")
    d.file()
    r = d.s["admin"].post(d.url + "/api/v1/calendar/stops",
                          json={"from": "2026-09-29", "reason": "Lapse"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    d.set_clock("2026-10-13T15:00:00")
    assert escalations(d) == []
    assert audited(d)["escalations"] == {"officers": 0, "principals": 0}
