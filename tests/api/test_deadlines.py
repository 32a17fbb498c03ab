"""Deadlines on working days: the clocks that filing starts, across weekends, US federal holidays
(with observed-day shifts), configured closures and the organisation's time zone; the
eu-directive preset; working_days_left; and GET /api/v1/deadlines (officers only).

Each server starts its clock at a chosen instant ([debug] clock_start), so a memo filed right
away is filed on a known day. The expected dates come from the independent calendar in
conftest.py. An overdue memo is made by restarting a server with its clock a week later.
"""
import datetime
import re

from conftest import (PASSWORD, TIMEOUT, add_working_days, assert_error, assert_memo_shape,
                      assert_wrong_state, count_working_days, memo_url, unix)

NY = "America/New_York"
DAY = datetime.date


class Desk:
    """A server with a drafter (dan), an officer (off) and one of every other role."""

    def __init__(self, make_server, channel=None, clock=None):
        config = {"channel": dict(channel or {})}
        if clock is not None:
            config["debug"] = {"clock_start": str(unix(clock))}
        self.srv = make_server(config=config)
        self.admin = self.srv.admin()
        for name, roles in (("dan", ["staff"]), ("off", ["officer"]), ("pat", ["principal"]),
                            ("aud", ["auditor"])):
            self.srv.add_user(self.admin, name, roles)
        self.login()

    def login(self):
        self.s = {n: self.srv.login(n, PASSWORD) for n in ("dan", "off", "pat", "aud")}
        self.s["admin"] = self.srv.admin()

    def post(self, who, mid, suffix, json=None, status=200):
        r = self.s[who].post(memo_url(self.srv, mid, suffix), json=json, timeout=TIMEOUT)
        assert r.status_code == status, (suffix, r.text)
        return r.json()

    def get(self, who, mid):
        r = self.s[who].get(memo_url(self.srv, mid), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return assert_memo_shape(r.json())

    def draft(self, title="A memo"):
        r = self.s["dan"].post(memo_url(self.srv), json={"title": title, "body": "Text.\n"},
                               timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def filed(self, title="A memo"):
        """A memo filed now: returns the memo as the filing answered it."""
        mid = self.draft(title)
        self.post("dan", mid, "finalize")
        self.post("dan", mid, "signatures", status=201)
        return assert_memo_shape(self.post("dan", mid, "file"))

    def deadlines(self, who="off"):
        r = self.s[who].get(self.srv.url + "/api/v1/deadlines", timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()

    def set_clock(self, iso):
        """Restart the server with its clock starting at `iso` (same data and config)."""
        with open(self.srv.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^clock_start = .*$", "clock_start = %d" % unix(iso), text)
        assert n == 1, text
        with open(self.srv.config, "w") as f:
            f.write(text)
        assert self.srv.restart() == 0
        self.login()


def check_clocks(m, filed, ack_due, reply_due, reply_max, today=None):
    today = today or filed
    assert m["state"] == "filed"
    assert m["filed_on"] == filed.isoformat()
    ack, reply = m["deadlines"]["acknowledge"], m["deadlines"]["reply"]
    assert ack["due"] == ack_due.isoformat(), m["deadlines"]
    assert reply["due"] == reply_due.isoformat(), m["deadlines"]
    assert reply["max"] == reply_max.isoformat(), m["deadlines"]
    assert ack["done_on"] is None and reply["done_on"] is None
    assert ack["overdue"] is False and reply["overdue"] is False
    return ack, reply


# ---- state-dept preset, US federal holidays ----

def test_filed_before_july_4th(make_server):
    """Thursday 2025-07-03: Friday is Independence Day, then the weekend; acknowledgement is
    due Tuesday, the reply on the 30th working day."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    m = desk.filed()
    ack, reply = check_clocks(m, filed, DAY(2025, 7, 8), add_working_days(filed, 30),
                              add_working_days(filed, 60))
    assert add_working_days(filed, 30) == DAY(2025, 8, 15)
    assert ack["working_days_left"] == 2
    assert reply["working_days_left"] == 30
    # the drafter and the officer see the same clocks
    assert desk.get("off", m["id"])["deadlines"] == m["deadlines"]


def test_filed_friday_before_thanksgiving_week(make_server):
    """Friday 2025-11-21, 22:00 in New York (already Saturday in UTC): filed on the Friday,
    acknowledgement due Tuesday 2025-11-25; the reply clock crosses Thanksgiving, Christmas
    and New Year's Day."""
    desk = Desk(make_server, {"timezone": NY}, "2025-11-22T03:00:00")
    filed = DAY(2025, 11, 21)
    m = desk.filed()
    reply_due = add_working_days(filed, 30)
    assert reply_due == DAY(2026, 1, 7)
    ack, reply = check_clocks(m, filed, DAY(2025, 11, 25), reply_due,
                              add_working_days(filed, 60))
    assert ack["working_days_left"] == 2
    assert reply["working_days_left"] == 30


def test_time_zone_decides_the_filing_day(make_server):
    """Monday 2025-07-07 23:30 in New York is Tuesday in UTC."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-08T03:30:00")
    m = desk.filed()
    check_clocks(m, DAY(2025, 7, 7), DAY(2025, 7, 9), add_working_days(DAY(2025, 7, 7), 30),
                 add_working_days(DAY(2025, 7, 7), 60))
    desk_utc = Desk(make_server, {"timezone": "UTC"}, "2025-07-08T03:30:00")
    m = desk_utc.filed()
    check_clocks(m, DAY(2025, 7, 8), DAY(2025, 7, 10), add_working_days(DAY(2025, 7, 8), 30),
                 add_working_days(DAY(2025, 7, 8), 60))


def test_configured_closures_push_the_due_dates(make_server):
    closures = {DAY(2025, 7, 7), DAY(2025, 7, 21)}
    desk = Desk(make_server, {"timezone": NY, "closures": "2025-07-07, 2025-07-21"},
                "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    m = desk.filed()
    ack, reply = check_clocks(m, filed, DAY(2025, 7, 9), add_working_days(filed, 30, closures),
                              add_working_days(filed, 60, closures))
    assert add_working_days(filed, 30, closures) == DAY(2025, 8, 19)
    assert ack["working_days_left"] == 2 and reply["working_days_left"] == 30


def test_without_federal_holidays(make_server):
    desk = Desk(make_server, {"timezone": NY, "federal_holidays": "false"},
                "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    m = desk.filed()
    check_clocks(m, filed, DAY(2025, 7, 7), add_working_days(filed, 30, federal=False),
                 add_working_days(filed, 60, federal=False))


def test_overrides_of_the_preset(make_server):
    desk = Desk(make_server, {"timezone": NY, "ack": "5 working-days", "reply": "10 days",
                              "reply_max": "2 months"}, "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    m = desk.filed()
    check_clocks(m, filed, add_working_days(filed, 5), DAY(2025, 7, 13), DAY(2025, 9, 3))


# ---- eu-directive preset ----

def test_eu_directive_preset(make_server):
    """An internal channel (Directive 2019/1937, Art. 9(1)(f)): acknowledge within 7 calendar
    days; reply 3 months after the acknowledgement (counted from the acknowledgement due date
    until it happens), with no extension; no US federal holiday is a holiday."""
    desk = Desk(make_server, {"preset": "eu-directive", "timezone": NY}, "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    m = desk.filed()
    ack, reply = check_clocks(m, filed, DAY(2025, 7, 10), DAY(2025, 10, 10), DAY(2025, 10, 10))
    # July 4 is a working day here: five of them to the 10th
    assert ack["working_days_left"] == count_working_days(filed, DAY(2025, 7, 10),
                                                          federal=False) == 5
    m = assert_memo_shape(desk.post("off", m["id"], "acknowledge"))
    reply = m["deadlines"]["reply"]
    assert m["deadlines"]["acknowledge"]["done_on"] == "2025-07-03"
    assert m["deadlines"]["acknowledge"]["on_time"] is True
    assert reply["due"] == "2025-10-03" and reply["max"] == "2025-10-03"
    assert reply["working_days_left"] == count_working_days(filed, DAY(2025, 10, 3),
                                                            federal=False)
    # no extension at all, and the memo offers none
    assert "extend" not in desk.get("off", m["id"])["actions"]
    r = desk.s["off"].post(memo_url(desk.srv, m["id"], "extend"), timeout=TIMEOUT,
                           json={"until": "2025-10-04", "reason": "complex case"})
    assert_error(r, 422, "invalid_field", field="until")
    # an external channel configures the six months of Art. 11
    desk = Desk(make_server, {"preset": "eu-directive", "timezone": NY, "reply_max": "6 months"},
                "2025-07-03T15:00:00")
    m = desk.post("off", desk.filed()["id"], "acknowledge")
    assert m["deadlines"]["reply"]["max"] == "2026-01-03"
    assert "extend" in desk.get("off", m["id"])["actions"]
    m = desk.post("off", m["id"], "extend", {"until": "2026-01-03", "reason": "complex case"})
    assert m["deadlines"]["reply"]["due"] == "2026-01-03"


# ---- the calendar the preset implies ----

def test_inauguration_day_is_no_working_day(make_server):
    """Wednesday 2033-01-19 under state-dept: Thursday is Inauguration Day (5 U.S.C. 6103(c)),
    so the acknowledgement is due Monday 2033-01-24; switched off, Friday the 21st."""
    inauguration = {DAY(2033, 1, 20)}
    filed = DAY(2033, 1, 19)
    desk = Desk(make_server, {"timezone": NY}, "2033-01-19T15:00:00")
    check_clocks(desk.filed(), filed, DAY(2033, 1, 24),
                 add_working_days(filed, 30, closures=inauguration),
                 add_working_days(filed, 60, closures=inauguration))
    desk = Desk(make_server, {"timezone": NY, "inauguration_day": "false"}, "2033-01-19T15:00:00")
    check_clocks(desk.filed(), filed, DAY(2033, 1, 21), add_working_days(filed, 30),
                 add_working_days(filed, 60))


def test_an_interim_answer_does_not_stop_the_clock(make_server):
    """Issue 18, part 1: an officer may send a holding answer to an acknowledged memo; the
    drafter reads it in the timeline; the reply's deadline runs on, and the memo is still
    acknowledged (not replied). Only once acknowledged, never empty, at most 2000 bytes."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-07T15:00:00")
    m = desk.filed()
    mid = m["id"]
    r = desk.s["off"].post(memo_url(desk.srv, mid, "interim"), json={"body": "Soon."},
                           timeout=TIMEOUT)
    assert_wrong_state(r, "filed")
    desk.post("off", mid, "acknowledge")
    before = desk.get("dan", mid)["deadlines"]["reply"]
    for body, field in (({"body": ""}, "body"), ({"body": "   "}, "body"),
                        ({"body": "x" * 2001}, "body"), ({}, "body")):
        r = desk.s["off"].post(memo_url(desk.srv, mid, "interim"), json=body, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", field=field)
    after = desk.post("off", mid, "interim", {"body": "We are consulting the bureau."})
    assert after["state"] == "acknowledged"
    m = desk.get("dan", mid)
    assert m["deadlines"]["reply"] == before, (before, m["deadlines"]["reply"])
    assert m["deadlines"]["reply"]["done_on"] is None
    assert m["timeline"][-1]["event"] == "interim"
    assert m["timeline"][-1]["detail"] == "We are consulting the bureau."
    assert "interim" in desk.get("off", mid)["actions"]
    desk.post("off", mid, "reply", {"body": "Our answer."})
    assert "interim" not in desk.get("off", mid)["actions"]


def easter(year):
    """Easter Sunday by Gauss's algorithm (a formulation other than the server's)."""
    a, b, c, k = year % 19, year % 4, year % 7, year // 100
    p, q = (13 + 8 * k) // 25, k // 4
    m, n = (15 - p + k - q) % 30, (4 + k - q) % 7
    d = (19 * a + m) % 30
    e = (2 * b + 4 * c + 6 * d + n) % 7
    if d == 29 and e == 6:
        return DAY(year, 4, 19)
    if d == 28 and e == 6 and (11 * m + 11) % 30 < 19:
        return DAY(year, 4, 18)
    return DAY(year, 3, 22) + datetime.timedelta(days=d + e)


def german_holidays(years):
    out = set()
    for y in years:
        e = easter(y)
        out |= {DAY(y, 1, 1), DAY(y, 5, 1), DAY(y, 10, 3), DAY(y, 12, 25), DAY(y, 12, 26)}
        out |= {e + datetime.timedelta(days=k) for k in (-2, 1, 39, 50)}
    return out


def test_a_member_states_calendar(make_server):
    """[channel] calendar = de under state-dept's working-day spans: filed Wednesday 2025-04-16,
    Good Friday and Easter Monday are no working days, so the acknowledgement is due Tuesday the
    22nd; the reply's 30 working days skip Ascension and Whit Monday too (the expected dates from
    an independent reckoning of Easter)."""
    assert [easter(y) for y in (2024, 2025, 2026, 2038)] == [
        DAY(2024, 3, 31), DAY(2025, 4, 20), DAY(2026, 4, 5), DAY(2038, 4, 25)]
    de = german_holidays([2025])
    filed = DAY(2025, 4, 16)
    desk = Desk(make_server, {"timezone": "Europe/Berlin", "calendar": "de",
                              "inauguration_day": "false"}, "2025-04-16T10:00:00")
    check_clocks(desk.filed(), filed, DAY(2025, 4, 22),
                 add_working_days(filed, 30, closures=de, federal=False),
                 add_working_days(filed, 60, closures=de, federal=False))
    assert add_working_days(filed, 30, closures=de, federal=False) == DAY(2025, 6, 3)


def test_inauguration_day_on_a_saturday_gives_no_day(make_server):
    """2029-01-20 is a Saturday: no day in lieu, Friday the 19th is a working day."""
    filed = DAY(2029, 1, 18)
    desk = Desk(make_server, {"timezone": NY}, "2029-01-18T15:00:00")
    # a Thursday filing: Friday the 19th, then Monday the 22nd
    check_clocks(desk.filed(), filed, DAY(2029, 1, 22), add_working_days(filed, 30),
                 add_working_days(filed, 60))


def test_state_dept_counts_days_in_washington(make_server):
    """With no timezone set, state-dept's is America/New_York: 2025-07-08 03:30 UTC is still
    Monday the 7th in Washington, and the memo is filed on the Monday."""
    desk = Desk(make_server, {"timezone": ""}, "2025-07-08T03:30:00")
    m = desk.filed()
    check_clocks(m, DAY(2025, 7, 7), DAY(2025, 7, 9), add_working_days(DAY(2025, 7, 7), 30),
                 add_working_days(DAY(2025, 7, 7), 60))
    me = desk.s["dan"].get(desk.srv.url + "/api/v1/me", timeout=TIMEOUT).json()
    assert me["timezone"] == NY


# ---- GET /api/v1/deadlines and overdue memos ----

def test_deadlines_report_and_overdue(make_server):
    desk = Desk(make_server, {"timezone": NY}, "2025-07-03T15:00:00")
    filed = DAY(2025, 7, 3)
    waiting = desk.filed("waits for acknowledgement")["id"]
    acked = desk.filed("acknowledged")["id"]
    desk.post("off", acked, "acknowledge")
    replied = desk.filed("replied")["id"]
    desk.post("off", replied, "acknowledge")
    desk.post("off", replied, "reply", {"body": "answer"})
    draft = desk.draft("a draft")

    for who in ("dan", "pat", "aud", "admin"):
        r = desk.s[who].get(desk.srv.url + "/api/v1/deadlines", timeout=TIMEOUT)
        assert_error(r, 403, "forbidden")

    d = desk.deadlines()
    assert d["today"] == "2025-07-03"
    assert d["overdue"] == []
    due = {m["id"]: m for m in d["due"]}
    assert set(due) == {waiting, acked}, "replied memos and drafts are not listed"
    assert draft not in due and replied not in due
    assert due[waiting]["next_action"] == "acknowledge" and due[waiting]["due"] == "2025-07-08"
    assert due[acked]["next_action"] == "reply"
    assert due[acked]["due"] == add_working_days(filed, 30).isoformat()
    for m in due.values():
        assert_memo_shape(m)

    # a week later the unacknowledged memo is overdue; the reply is still due
    desk.set_clock("2025-07-10T15:00:00")
    today = DAY(2025, 7, 10)
    d = desk.deadlines()
    assert d["today"] == today.isoformat()
    assert [m["id"] for m in d["overdue"]] == [waiting]
    assert d["overdue"][0]["due"] == "2025-07-08"
    assert d["overdue"][0]["next_action"] == "acknowledge"
    assert [m["id"] for m in d["due"]] == [acked]

    m = desk.get("off", waiting)
    ack = m["deadlines"]["acknowledge"]
    assert ack["overdue"] is True
    assert ack["working_days_left"] == count_working_days(today, DAY(2025, 7, 8)) == -2
    m = desk.get("dan", acked)
    assert m["deadlines"]["reply"]["overdue"] is False
    assert m["deadlines"]["reply"]["working_days_left"] == \
        count_working_days(today, add_working_days(filed, 30))

    # acknowledged late: done, not on time, and off the report
    m = assert_memo_shape(desk.post("off", waiting, "acknowledge"))
    assert m["deadlines"]["acknowledge"]["done_on"] == today.isoformat()
    assert m["deadlines"]["acknowledge"]["on_time"] is False
    d = desk.deadlines()
    assert d["overdue"] == []
    assert {m["id"] for m in d["due"]} == {waiting, acked}


# ---- deadlines that cannot be laundered ----

def test_a_late_reply_cannot_be_extended_into_an_on_time_one(make_server):
    """Issue 18's laundering: a reply already late, a retroactive extension, then the reply. An
    extension is granted until the due date (on the day itself too), never after it: 409
    deadline_passed, no "extend" offered, and the reply counts late."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-03T15:00:00")
    late = desk.post("off", desk.filed("late")["id"], "acknowledge")
    timely = desk.post("off", desk.filed("extended in time")["id"], "acknowledge")
    due = late["deadlines"]["reply"]["due"]
    assert due == add_working_days(DAY(2025, 7, 3), 30).isoformat() == "2025-08-15"

    desk.set_clock("2025-08-15T15:00:00")  # the due day: still in time
    assert "extend" in desk.get("off", timely["id"])["actions"]
    m = desk.post("off", timely["id"], "extend", {"until": "2025-09-05", "reason": "in time"})
    assert m["deadlines"]["reply"]["due"] == "2025-09-05"

    desk.set_clock("2025-08-18T15:00:00")  # the Monday after: late
    m = desk.get("off", late["id"])
    assert m["deadlines"]["reply"]["overdue"] is True
    assert "extend" not in m["actions"]
    r = desk.s["off"].post(memo_url(desk.srv, late["id"], "extend"), timeout=TIMEOUT,
                           json={"until": "2025-09-30", "reason": "retroactively"})
    err = assert_error(r, 409, "deadline_passed")
    assert "2025-08-15" in err["message"], err
    m = desk.post("off", late["id"], "reply", {"body": "a late answer"})
    assert m["deadlines"]["reply"]["due"] == "2025-08-15"
    assert m["deadlines"]["reply"]["on_time"] is False
    # the one extended in time is still in time
    assert desk.get("off", timely["id"])["deadlines"]["reply"]["overdue"] is False


def test_a_late_decline_shows_late(make_server):
    """A decline answers the memo on its own day: declined after the acknowledgement's due date,
    the acknowledgement is met late (done on the decline's day, not its due date), and the reply
    no longer applies."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-03T15:00:00")
    mid = desk.filed()["id"]
    desk.set_clock("2025-07-10T15:00:00")  # due Tuesday the 8th; declined Thursday the 10th
    m = desk.post("off", mid, "decline", {"reason": "out of scope", "referral": "grievance"})
    ack = m["deadlines"]["acknowledge"]
    assert ack["due"] == "2025-07-08" and ack["done_on"] == "2025-07-10", ack
    assert ack["on_time"] is False
    assert m["deadlines"]["reply"]["stopped"] == "declined"
    # and so it stays, read later
    desk.set_clock("2025-07-21T15:00:00")
    assert desk.get("dan", mid)["deadlines"]["acknowledge"] == ack


def test_deadlines_come_in_pages_in_queue_order_with_counts(make_server):
    """GET /api/v1/deadlines pages the queue (limit, after = the last id of a page, next) in the
    order the web shows it: the due date waited on, then the filing day, then the oldest. Its
    counts cover every memo waiting, whatever the page and the filters."""
    desk = Desk(make_server, {"timezone": NY}, "2025-07-03T15:00:00")
    early = [desk.filed("early %d" % i)["id"] for i in range(3)]
    acked = desk.filed("acknowledged")["id"]
    desk.post("off", acked, "acknowledge")
    desk.set_clock("2025-07-07T15:00:00")
    late = [desk.filed("late %d" % i)["id"] for i in range(2)]
    desk.post("off", early[0], "acknowledge")
    draft = desk.draft("a draft")
    desk.set_clock("2025-07-09T15:00:00")

    whole = desk.deadlines()
    order = [m["id"] for m in whole["overdue"] + whole["due"]]
    assert sorted(order) == sorted(early + late + [acked]) and whole["next"] is None
    keys = [(m["due"], m["filed_on"]) for m in whole["overdue"] + whole["due"]]
    assert keys == sorted(keys), keys
    assert [m["id"] for m in whole["overdue"]] == early[1:], "filed on the 3rd, due the 8th"
    assert all(m["due"] > "2025-07-08" for m in whole["due"])
    items = whole["overdue"] + whole["due"]
    ack = [m for m in items if m["next_action"] == "acknowledge"]
    assert whole["counts"] == {
        "waiting": 6, "overdue": 2, "acknowledge": len(ack), "acknowledge_overdue": 2,
        "reply": 6 - len(ack), "reply_overdue": 0, "recused": 0}

    # two at a time, each page after the last id of the one before: the same order, whole
    seen, after, pages = [], None, 0
    while True:
        url = desk.srv.url + "/api/v1/deadlines?limit=2" + ("&after=" + after if after else "")
        r = desk.s["off"].get(url, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        page = r.json()
        ids = [m["id"] for m in page["overdue"] + page["due"]]
        assert len(ids) <= 2 and page["counts"] == whole["counts"] and page["total"] == 6
        seen += ids
        pages += 1
        if page["next"] is None:
            break
        # the cursor is the page's last place in the queue: its due date and the memo's id
        assert page["next"].endswith("." + ids[-1]), page["next"]
        after = page["next"]
    assert seen == order and pages == 3

    # limit=0: the counts alone, no memo listed (no title opened or audited)
    r = desk.s["off"].get(desk.srv.url + "/api/v1/deadlines?limit=0", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["due"] == [] and r.json()["overdue"] == [] and r.json()["next"] is None
    assert r.json()["counts"] == whole["counts"] and r.json()["total"] == 6

    # the filters narrow the page, never the counts
    for query, keep in (("next=acknowledge", lambda m: m["next_action"] == "acknowledge"),
                        ("next=reply", lambda m: m["next_action"] == "reply"),
                        ("deadline=overdue", lambda m: m["id"] in early[1:])):
        r = desk.s["off"].get(desk.srv.url + "/api/v1/deadlines?" + query, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        got = r.json()
        assert [m["id"] for m in got["overdue"] + got["due"]] == \
            [m["id"] for m in items if keep(m)], query
        assert got["counts"] == whole["counts"]
        assert got["total"] == len([m for m in items if keep(m)])

    # the last memo of a page answered before the next page is asked for: the next page starts
    # where the first ended, nothing skipped (the cursor is a place, not the memo)
    r = desk.s["off"].get(desk.srv.url + "/api/v1/deadlines?limit=2&next=acknowledge",
                          timeout=TIMEOUT)
    first = r.json()
    acks = [m["id"] for m in items if m["next_action"] == "acknowledge"]
    assert [m["id"] for m in first["overdue"] + first["due"]] == acks[:2]
    desk.post("off", acks[1], "acknowledge")
    r = desk.s["off"].get(desk.srv.url + "/api/v1/deadlines?limit=2&next=acknowledge&after=" +
                          first["next"], timeout=TIMEOUT)
    assert [m["id"] for m in r.json()["overdue"] + r.json()["due"]] == acks[2:4], r.text

    for query, field in (("limit=-1", "limit"), ("limit=201", "limit"), ("limit=x", "limit"),
                         ("next=close", "next"), ("deadline=never", "deadline"),
                         ("after=nothing", "after"), ("after=%s" % ("0" * 24), "after"),
                         ("after=%s" % draft, "after"), ("after=1.2.3", "after"),
                         ("after=1.2.3.%s" % draft[:-1], "after"),
                         ("after=x.2.3.%s" % draft, "after")):
        r = desk.s["off"].get(desk.srv.url + "/api/v1/deadlines?" + query, timeout=TIMEOUT)
        assert_error(r, 422, field=field)
