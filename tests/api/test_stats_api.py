"""GET /api/v1/stats over a hand-counted scenario (docs/api.md "Statistics", docs/formats.md
"Recomputing the statistics").

The server's clock is placed with [debug] clock_start and moved forward by restarts, so that
filings, acknowledgements and replies fall on known days of the organisation's calendar
(America/New_York, US federal holidays). Every expected figure below is counted by hand; each is
also recomputed in Python from the log's entries alone (fetched from /log/ and checked against the
signed checkpoint), as an auditor would.

The scenario (2026; Friday 3 July is the observed Independence Day):

| memo | filed (signers)      | then                                                           |
|------|----------------------|----------------------------------------------------------------|
| M1   | Thu 2 Jul (3)        | ack Mon 6 Jul (1 wd, on time); extended to Fri 28 Aug;         |
|      |                      | replied Tue 1 Sep (42 wd, late after the extension); closed    |
| M2   | Thu 2 Jul (1)        | declined Mon 6 Jul (1 wd, on time)                             |
| M3   | Thu 2 Jul (2)        | withdrawn Mon 6 Jul                                            |
| M6   | Thu 2 Jul (1)        | ack Mon 6 Jul (1 wd); extended to Fri 4 Sep; replied Tue 1 Sep |
|      |                      | (42 wd, on time thanks to the extension)                       |
| M4   | Mon 6 Jul (1)        | never acknowledged: overdue after Wed 8 Jul; its reply (due    |
|      |                      | Mon 17 Aug) overdue too after that day                         |
| M5   | Thu 6 Aug (4)        | ack Tue 11 Aug (3 wd, late: due Mon 10 Aug); replied the same  |
|      |                      | day (3 wd, on time)                                            |
"""
import base64
import datetime
import re
import statistics

import requests

from conftest import (PASSWORD, TIMEOUT, count_working_days, federal_holidays, is_working_day)
from conftest import count_working_days as count_wd
from loghelpers import (ACCOUNT_EVENTS, RECORDS_EVENTS, Desk, caught_up, checkpoint, fetch_entries, leaf_hash, mth, note_verified_by,
                        parse_entry, run_cli, wait_size)

NY = "America/New_York"
DAY = datetime.date
STATS_KEYS = ["today", "log_size", "filings_per_month", "signers_per_memo",
              "working_days_to_acknowledge", "working_days_to_reply", "working_days_to_close",
              "extensions", "on_time", "declined", "withdrawn", "open", "overdue", "anomalies",
              "accounts", "clock_stopped_from", "paused", "clarifications", "escalations",
              "records"]


def stats(desk, who="aud"):
    """The statistics once the scheduled checkpoint covers every entry (they count signed
    entries only)."""
    caught_up(desk.srv, desk.s[who])
    r = desk.s[who].get(desk.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers.get("Cache-Control") == "no-store"
    body = r.json()
    assert sorted(body) == sorted(STATS_KEYS), sorted(body)
    return body


def summary(values):
    if not values:
        return {"count": 0, "mean": None, "median": None, "max": None}
    return {"count": len(values), "mean": round(sum(values) / len(values), 2),
            "median": round(float(statistics.median(values)), 2), "max": max(values)}


def share(on, late, overdue=0):
    return {"on_time": on, "late": late, "overdue": overdue,
            "share": None if on + late + overdue == 0 else round(on / (on + late + overdue), 4)}


def recompute(entries, today):
    """The statistics from the log's entries alone, per docs/formats.md (federal holidays on,
    no configured closures; the closures and clock stops of the log's calendar entries)."""
    memos, anomalies, extensions, clarifications = {}, 0, [], 0
    clarified = {"on_time": 0, "late": 0}
    escalations = {"officers": 0, "principals": 0}
    accounts = {ev: 0 for ev in ACCOUNT_EVENTS}
    records = {ev: 0 for ev in RECORDS_EVENTS}
    closures, stopped = set(), set()
    # the working days of the calendar the log describes: its closures in force and the days of
    # its ended stops (a closure taken back inside a stop leaves the stop's day closed)
    for raw in entries:
        e = parse_entry(raw)
        if e["event"] == "closure-added":
            closures.add(DAY.fromisoformat(e["closed"]))
        elif e["event"] == "closure-removed":
            closures.discard(DAY.fromisoformat(e["closed"]))
        elif e["event"] == "clock-resumed":
            a, b = DAY.fromisoformat(e["from"]), DAY.fromisoformat(e["until"])
            stopped.update(a + datetime.timedelta(days=i) for i in range((b - a).days + 1))
    closed = closures | stopped
    stop = {"from": None, "running": False, "resumed_on": None, "block": None}

    def count_working_days(a, b):
        return count_wd(a, b, closures=closed)

    def may_move(d, due):
        return d <= due or (stop["resumed_on"] == d and stop["from"] is not None and
                            due >= stop["from"])

    def paused(d, due):  # a running stop pauses a deadline due from its first day on
        return stop["running"] and stop["from"] <= d and due >= stop["from"]

    for raw in entries:
        e = parse_entry(raw)
        d = DAY.fromisoformat(e["date"])
        if e["event"] == "audit-head":  # the read audit's anchor: about no memo, set aside
            continue
        if e["event"] != "rescheduled":
            stop["block"] = None
        if "account" in e:  # an account's entry: counted by event, about no memo
            accounts[e["event"]] += 1
            continue
        if "count" in e:  # a records entry: how many memos it concerns, by event
            records[e["event"]] += int(e["count"])
            continue
        if "memo" not in e:  # a calendar entry: its rule, and the clock stop's state
            ev = e["event"]
            first = DAY.fromisoformat(e.get("closed") or e["from"])
            if ev == "clock-stopped":
                valid = not stop["running"] and first >= d
                if valid:
                    stop.update({"from": first, "running": True, "resumed_on": None})
            elif ev == "clock-resumed":
                valid = (stop["running"] and first == stop["from"] and
                         DAY.fromisoformat(e["until"]) >= d - datetime.timedelta(days=1))
                if valid:
                    stop.update({"running": False, "resumed_on": d})
            else:
                valid = first >= d if ev == "closure-added" else first > d
            anomalies += not valid
            if valid and ev != "clock-stopped":
                stop["block"] = d
            continue
        tag, ev = e["memo"], e["event"]
        if ev == "escalated" and tag in memos and d >= memos[tag]["filed"]:
            # a rung of the deadline the memo waits on, after it was missed; each once, the
            # principals' after the officers'
            m, missed, rung = memos[tag], DAY.fromisoformat(e["missed"]), int(e["rung"])
            waits = m["ack_due"] if m["response"] is None else m["reply_due"]
            waiting = not m["ended"] and (m["reply"] is None or m["clarifying"])
            bits = m["esc_rungs"] if m["esc_missed"] == missed else set()
            if (not waiting or missed != waits or d <= missed or rung in bits or
                    (rung == 2 and 1 not in bits)):
                anomalies += 1
            else:
                m["esc_missed"], m["esc_rungs"] = missed, bits | {rung}
                escalations["officers" if rung == 1 else "principals"] += 1
            continue
        if ev == "clarification" and tag in memos and d >= memos[tag]["filed"]:
            m = memos[tag]
            if (m["reply"] is None or m["ended"] or m["clarifying"] or
                    DAY.fromisoformat(e["reply-due"]) < d):
                anomalies += 1
            else:
                clarifications += 1
                m["clarifying"] = True
                m["reply_due"] = DAY.fromisoformat(e["reply-due"])
            continue
        if ev == "rescheduled" and tag in memos and d >= memos[tag]["filed"]:
            m = memos[tag]
            block = stop["block"] == d
            ack = block and m["response"] is None and may_move(d, m["ack_due"])
            rep = (block and (m["reply"] is None or m["clarifying"]) and
                   may_move(d, m["reply_due"]))
            if ack:
                m["ack_due"] = DAY.fromisoformat(e["ack-due"])
            if rep:
                m["reply_due"] = DAY.fromisoformat(e["reply-due"])
            anomalies += not ack and not rep
            continue
        if ev == "filed":
            if tag in memos:
                anomalies += 1
                continue
            memos[tag] = {"filed": d, "signers": int(e["signers"]),
                          "ack_due": DAY.fromisoformat(e["ack-due"]),
                          "reply_due": DAY.fromisoformat(e["reply-due"]), "response": None,
                          "reply": None, "reply_due_then": None, "acked": False,
                          "ended": False, "stopped": None, "end": None, "closed": None,
                          "ack_paused": False, "reply_paused": False,
                          "stop_paused_ack": False, "stop_paused_reply": False,
                          "clarifying": False, "esc_missed": None, "esc_rungs": set()}
            continue
        m = memos.get(tag)
        if m is None or d < m["filed"]:
            anomalies += 1
            continue
        # nothing answers or declines an ended memo, or one waiting on a clarification; only a
        # replied one closes
        if ((ev == "replied" and m["ended"]) or (ev == "declined" and m["clarifying"]) or
                (ev == "closed" and (m["reply"] is None or m["clarifying"]))):
            anomalies += 1
            continue
        if ev == "extended" and (d > m["reply_due"] or m["reply"] is not None):
            anomalies += 1  # granted after the due date (it launders), or after the reply
            continue
        if ev in ("acknowledged", "declined") and m["response"] is None:
            m["response"] = d
            m["ack_paused"] = paused(d, m["ack_due"])
        if ev == "extended":  # its length: working days from the due date it replaces
            extensions.append(count_working_days(m["reply_due"],
                                                 DAY.fromisoformat(e["reply-due"])))
        if ev in ("acknowledged", "extended"):
            m["acked"] = True
            m["reply_due"] = DAY.fromisoformat(e["reply-due"])
        if ev == "replied" and m["clarifying"]:  # the answer to a clarification
            late = d > m["reply_due"] and not paused(d, m["reply_due"])
            clarified["late" if late else "on_time"] += 1
        if ev == "withdrawn" and not m["ended"] and m["clarifying"] and \
                d > m["reply_due"] and not paused(d, m["reply_due"]):
            clarified["late"] += 1
        if ev == "replied":
            m["clarifying"] = False
        if ev == "replied" and m["reply"] is None:
            m["reply"], m["reply_due_then"] = d, m["reply_due"]
            m["reply_paused"] = paused(d, m["reply_due"])
        if ev == "withdrawn":
            m["clarifying"] = False
        if ev in ("declined", "withdrawn") and not m["ended"]:
            m["stopped"] = d
            m["stop_paused_ack"] = paused(d, m["ack_due"])
            m["stop_paused_reply"] = paused(d, m["reply_due"])
        if ev in ("closed", "declined", "withdrawn"):
            if not m["ended"]:
                m["end"] = ev
                m["closed"] = d if ev == "closed" else None
            m["ended"] = True
    ms = list(memos.values())
    months = {}
    for m in ms:
        k = m["filed"].strftime("%Y-%m")
        months[k] = months.get(k, 0) + 1
    acked = [m for m in ms if m["response"] is not None]
    replied = [m for m in ms if m["reply"] is not None]
    opened = [m for m in ms if not m["ended"]]
    running = stop["running"] and stop["from"] <= today

    def over(due):  # past due, and not paused by a running clock stop
        return today > due and not (running and due >= stop["from"])

    overdue = [m for m in opened if (m["reply"] is None and
               ((not m["acked"] and over(m["ack_due"])) or
                (m["acked"] and over(m["reply_due"])))) or
               (m["clarifying"] and over(m["reply_due"]))]
    paused = [m for m in opened if running and (m["reply"] is None or m["clarifying"]) and
              (m["reply_due"] if m["acked"] else m["ack_due"]) >= stop["from"]]
    return {
        "today": today.isoformat(),
        "log_size": len(entries),
        "filings_per_month": dict(sorted(months.items())),
        "signers_per_memo": summary([m["signers"] for m in ms]),
        "working_days_to_acknowledge": summary(
            [count_working_days(m["filed"], m["response"]) for m in acked]),
        "working_days_to_reply": summary(
            [count_working_days(m["filed"], m["reply"]) for m in replied]),
        "working_days_to_close": summary(
            [count_working_days(m["filed"], m["closed"]) for m in ms if m["closed"]]),
        "extensions": summary(extensions),
        "on_time": {
            # a deadline missed before a decline or withdrawal ended the memo is late
            "acknowledged": share(sum(m["response"] <= m["ack_due"] or m["ack_paused"]
                                      for m in acked),
                                  sum(m["response"] > m["ack_due"] and not m["ack_paused"]
                                      for m in acked) +
                                  sum(m["response"] is None and m["stopped"] is not None and
                                      m["stopped"] > m["ack_due"] and not m["stop_paused_ack"]
                                      for m in ms),
                                  sum(m["response"] is None and over(m["ack_due"])
                                      for m in opened)),
            "replied": share(sum(m["reply"] <= m["reply_due_then"] or m["reply_paused"]
                                 for m in replied),
                             sum(m["reply"] > m["reply_due_then"] and not m["reply_paused"]
                                 for m in replied) +
                             sum(m["reply"] is None and m["stopped"] is not None and
                                 m["stopped"] > m["reply_due"] and not m["stop_paused_reply"]
                                 for m in ms),
                             sum(m["reply"] is None and over(m["reply_due"])
                                 for m in opened)),
            "clarified": share(clarified["on_time"], clarified["late"],
                               sum(m["clarifying"] and over(m["reply_due"]) for m in opened)),
        },
        "declined": sum(m["end"] == "declined" for m in ms),
        "withdrawn": sum(m["end"] == "withdrawn" for m in ms),
        "open": len(opened),
        "overdue": len(overdue),
        "anomalies": anomalies,
        "accounts": accounts,
        "clock_stopped_from": stop["from"].isoformat() if stop["running"] else None,
        "paused": len(paused),
        "clarifications": clarifications,
        "escalations": escalations,
        "records": records,
    }


def audit(desk, got, state):
    """Recompute `got` (an API answer) from the signed log, as an auditor would; and monitor the
    log with `dissent log verify --state` (consistent across the server's restarts)."""
    note = wait_size(desk.url, got["log_size"])
    assert note is not None
    assert note_verified_by(note, desk.vkey)
    code, out, err = run_cli("log", "verify", desk.url + "/log", "--vkey", desk.vkey,
                             "--state", state)
    assert code == 0, out + err
    _, _, size, root = checkpoint(desk.url)
    assert size == got["log_size"]
    entries = fetch_entries(desk.url, size)
    assert mth([leaf_hash(e) for e in entries]) == root
    want = recompute(entries, DAY.fromisoformat(got["today"]))
    assert got == want, "API %s\nrecomputed %s" % (got, want)


def test_calendar_of_the_scenario():
    """The hand counts below rest on these facts of the 2026 calendar."""
    assert DAY(2026, 7, 3) in federal_holidays(2026)  # 4 July is a Saturday
    assert DAY(2026, 7, 2).weekday() == 3 and DAY(2026, 9, 1).weekday() == 1
    assert not is_working_day(DAY(2026, 7, 3))
    assert count_working_days(DAY(2026, 7, 2), DAY(2026, 7, 6)) == 1
    assert count_working_days(DAY(2026, 7, 2), DAY(2026, 9, 1)) == 42
    assert count_working_days(DAY(2026, 8, 6), DAY(2026, 8, 11)) == 3


def test_stats_scenario(make_server, tmp_path):
    state = str(tmp_path / "state")
    # Thu 2 July, 22:00 in New York (already 3 July in UTC)
    # no drafter's window: the replied memos stay open across the clock's jumps, as counted below
    d = Desk(make_server, config={"channel": {"timezone": NY, "accept_window": "0"}},
             clock="2026-07-03T02:00:00")
    s = stats(d)
    # no memo yet: the log holds the accounts' entries only (the officer's role and channel key,
    # the principal's role)
    accounts = {ev: 0 for ev in ACCOUNT_EVENTS}
    accounts.update({"officer-added": 1, "channel-granted": 1, "principal-added": 1,
                     "keys-bound": 8})
    assert s == {"today": "2026-07-02", "log_size": d.BASE, "filings_per_month": {},
                 "signers_per_memo": summary([]), "working_days_to_acknowledge": summary([]),
                 "working_days_to_reply": summary([]), "working_days_to_close": summary([]),
                 "extensions": summary([]),
                 "on_time": {"acknowledged": share(0, 0), "replied": share(0, 0),
                             "clarified": share(0, 0)},
                 "declined": 0, "withdrawn": 0, "open": 0, "overdue": 0, "anomalies": 0,
                 "accounts": accounts, "clock_stopped_from": None, "paused": 0,
                 "clarifications": 0,
                 "escalations": {"officers": 0, "principals": 0},
                 "records": {"exported": 0, "held": 0, "released": 0, "shredded": 0}}

    m1, f1 = d.file("M1", cosigners=("bob", "cat"))
    m2, _ = d.file("M2")
    m3, _ = d.file("M3", cosigners=("bob",))
    m6, _ = d.file("M6")
    assert f1["filed_on"] == "2026-07-02"
    # the entry carries the organisation's local date, not the UTC one
    assert parse_entry(base64.b64decode(f1["receipt"]["entry"]))["date"] == "2026-07-02"
    assert f1["deadlines"]["acknowledge"]["due"] == "2026-07-07"
    assert f1["deadlines"]["reply"]["due"] == "2026-08-14"
    assert f1["deadlines"]["reply"]["max"] == "2026-09-28"
    s = stats(d)
    assert s["today"] == "2026-07-02" and s["log_size"] == d.BASE + 4 + 4  # each filing anchors the audit too
    assert s["filings_per_month"] == {"2026-07": 4}
    assert s["signers_per_memo"] == {"count": 4, "mean": 1.75, "median": 1.5, "max": 3}
    assert (s["open"], s["overdue"]) == (4, 0)
    audit(d, s, state)

    # Mon 6 July
    d.set_clock("2026-07-06T14:00:00")
    d.post("off", m1, "acknowledge")
    d.post("off", m2, "decline", {"reason": "out of scope", "referral": "grievance"})
    d.post("dan", m3, "withdraw")
    d.post("off", m6, "acknowledge")
    m4, f4 = d.file("M4")
    assert f4["deadlines"]["acknowledge"]["due"] == "2026-07-08"
    d.post("off", m1, "extend", {"until": "2026-08-28", "reason": "consulting the bureaus"})
    d.post("off", m6, "extend", {"until": "2026-09-04", "reason": "consulting the posts"})
    s = stats(d)
    assert s == {
        "today": "2026-07-06", "log_size": d.BASE + 11 + 5, "filings_per_month": {"2026-07": 5},
        "signers_per_memo": {"count": 5, "mean": 1.6, "median": 1.0, "max": 3},
        "working_days_to_acknowledge": {"count": 3, "mean": 1.0, "median": 1.0, "max": 1},
        "working_days_to_reply": {"count": 0, "mean": None, "median": None, "max": None},
        "working_days_to_close": summary([]),
        # M1 by 10 working days (14 to 28 August), M6 by 15 (to 4 September)
        "extensions": {"count": 2, "mean": 12.5, "median": 12.5, "max": 15},
        "on_time": {"acknowledged": {"on_time": 3, "late": 0, "overdue": 0, "share": 1.0},
                    "replied": {"on_time": 0, "late": 0, "overdue": 0, "share": None},
                    "clarified": share(0, 0)},
        "declined": 1, "withdrawn": 1,  # M2, M3
        "open": 3, "overdue": 0, "anomalies": 0, "accounts": accounts,
        "clock_stopped_from": None, "paused": 0,
                 "clarifications": 0,
                 "escalations": {"officers": 0, "principals": 0},
                 "records": {"exported": 0, "held": 0, "released": 0, "shredded": 0}}
    audit(d, s, state)

    # Thu 9 July: M4 is past its acknowledgement due date (Wed 8 July)
    d.set_clock("2026-07-09T14:00:00")
    s = stats(d)
    # and the server logged the first rung of its escalation (core/workflow.h)
    assert (s["today"], s["open"], s["overdue"], s["log_size"]) == (
        "2026-07-09", 3, 1, d.BASE + 12 + 5)
    assert s["escalations"] == {"officers": 1, "principals": 0}
    # the missed acknowledgement weighs on the share before it is made
    assert s["on_time"] == {"acknowledged": share(3, 0, 1), "replied": share(0, 0, 0),
                            "clarified": share(0, 0)}
    assert s["on_time"]["acknowledged"]["share"] == 0.75
    audit(d, s, state)

    # Thu 6 August: M5, four signers
    d.set_clock("2026-08-06T16:00:00")
    m5, f5 = d.file("M5", cosigners=("bob", "cat", "eve"))
    assert f5["deadlines"]["acknowledge"]["due"] == "2026-08-10"

    # Tue 11 August: M5 acknowledged a day late, and answered at once
    d.set_clock("2026-08-11T16:00:00")
    d.post("off", m5, "acknowledge")
    d.post("off", m5, "reply", {"body": "We have considered your views."})
    s = stats(d)
    # M5's first rung before its late acknowledgement (no principals' rung: the channel has no
    # configured principals)
    assert s["today"] == "2026-08-11" and s["log_size"] == d.BASE + 16 + 6
    assert s["escalations"] == {"officers": 2, "principals": 0}
    assert s["working_days_to_acknowledge"] == {"count": 4, "mean": 1.5, "median": 1.0,
                                                "max": 3}
    # M4's acknowledgement is still missing: overdue
    assert s["on_time"]["acknowledged"] == {"on_time": 3, "late": 1, "overdue": 1,
                                            "share": 0.6}
    assert s["working_days_to_reply"] == {"count": 1, "mean": 3.0, "median": 3.0, "max": 3}
    # M4's reply is due Mon 17 August (30 working days from 6 July): not overdue yet
    assert s["on_time"]["replied"] == {"on_time": 1, "late": 0, "overdue": 0, "share": 1.0}
    assert (s["open"], s["overdue"]) == (4, 1)  # M1, M4, M5, M6; M4
    audit(d, s, state)

    # Tue 1 September: M1 is overdue (extended to Fri 28 August), M6 is not (4 September)
    d.set_clock("2026-09-01T16:00:00")
    s = stats(d)
    assert (s["today"], s["open"], s["overdue"]) == ("2026-09-01", 4, 2)
    d.post("off", m1, "reply", {"body": "Late, but here is our answer."})
    d.post("dan", m1, "accept")  # the drafter accepts: closed
    d.post("off", m6, "reply", {"body": "Within the extended time."})
    s = stats(d)
    assert s == {
        "today": "2026-09-01",
        "log_size": d.BASE + 20 + 6,  # and M1's first rung, its reply due 28 August
        "filings_per_month": {"2026-07": 5, "2026-08": 1},
        "signers_per_memo": {"count": 6, "mean": 2.0, "median": 1.5, "max": 4},
        "working_days_to_acknowledge": {"count": 4, "mean": 1.5, "median": 1.0, "max": 3},
        "working_days_to_reply": {"count": 3, "mean": 29.0, "median": 42.0, "max": 42},
        "working_days_to_close": {"count": 1, "mean": 42.0, "median": 42.0, "max": 42},  # M1
        "extensions": {"count": 2, "mean": 12.5, "median": 12.5, "max": 15},
        # M4: neither acknowledged (due 8 July) nor answered (due 17 August)
        "on_time": {"acknowledged": {"on_time": 3, "late": 1, "overdue": 1, "share": 0.6},
                    "replied": {"on_time": 2, "late": 1, "overdue": 1, "share": 0.5},
                    "clarified": share(0, 0)},
        "declined": 1, "withdrawn": 1,
        "open": 3,  # M4, M5 (replied), M6 (replied)
        "overdue": 1,  # M4
        "anomalies": 0,
        "accounts": accounts,
        "clock_stopped_from": None, "paused": 0, "clarifications": 0,
        "escalations": {"officers": 3, "principals": 0},
        "records": {"exported": 0, "held": 0, "released": 0, "shredded": 0},
    }
    assert list(s["filings_per_month"]) == ["2026-07", "2026-08"]
    audit(d, s, state)

    # the figures are the same for everyone who may see them, and public by default
    anon = requests.get(d.url + "/api/v1/stats", timeout=TIMEOUT)
    assert anon.status_code == 200 and anon.json() == s
    for who in ("dan", "off", "pat", "admin"):
        assert stats(d, who) == s

    # nothing in them names a memo, a person or a title
    text = requests.get(d.url + "/api/v1/stats", timeout=TIMEOUT).text
    for mid in (m1, m2, m3, m4, m5, m6):
        assert mid not in text
    for word in ("dan", "bob", "cat", "eve", "off", "M1", "M5"):
        assert not re.search(r"\b%s\b" % word, text), word


def test_the_statistics_are_counted_at_the_start(make_server):
    """A server counts the published log for its statistics once it serves, on its own: no
    request pays for the whole history (api/serve.c's warm()). Its log says how many entries
    it counted, which is the log size the first answer then gives."""
    import time
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "aud", ["auditor"])
    srv.restart()
    line = None
    deadline = time.time() + 20
    while line is None and time.time() < deadline:
        line = re.findall(r"statistics: the (\d+) published log entries counted at the start",
                          srv.log().split("signal 15")[-1])
        line = line[-1] if line else None
        if line is None:
            time.sleep(0.05)
    assert line is not None, srv.log()[-2000:]
    s = srv.login("aud", PASSWORD)
    r = s.get(srv.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["log_size"] == int(line) > 0
