"""Email notifications through a real SMTP server on loopback (aiosmtpd, in this process).

A whole life cycle (invite, file, acknowledge, distribute, extend, reply, close) sends exactly
the expected emails to the expected addresses, none of which carries the memo's title, text,
reply or anyone's name; reminders and escalations follow the channel's clock, moved forward by
restarting the server with a later [debug] clock_start; an SMTP outage, and a restart of the
server meanwhile, delay emails but lose or duplicate none; the outbox's admin view shows status
only; users turn optional notifications off (GET/PATCH /api/v1/me/notifications).
"""
import datetime
import json
import email
import email.policy
import re
import shutil
import socket
import threading
import time

import pytest

import os
import signal
import subprocess
import tempfile

from conftest import PASSWORD, PG_BASE, TIMEOUT, assert_error, memo_url, unix

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

TITLE = "Objection QXTITLE to the quarterly plan"
BODY = "The plan QXBODY harms the mission.\n"
REPLY = "Thank you QXREPLY for the memo.\n"
SECRETS = ("QXTITLE", "QXBODY", "QXREPLY", "quarterly plan", "harms the mission",
           "Dana Drafter", "Colin Cosigner", "Olga Officer", "Otto Officer", "Pia Principal",
           "consulting QXREASON", "QXREASON")
MONDAY = "2025-07-07T15:00:00"  # a Monday with no holiday near it
ESCALATION = "escalation@example.org"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server on 127.0.0.1:port that keeps every message it accepts."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []  # (envelope recipients, email.message.Message)
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def start(self, **smtp):
        """Listen; `smtp` goes to aiosmtpd's SMTP (tls_context, authenticator, ...)."""
        self.controller = aiosmtpd_controller.Controller(self, hostname="127.0.0.1",
                                                         port=self.port, **smtp)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count(self):
        with self.lock:
            return len(self.messages)

    def wait(self, n, timeout=30, settle=3.0):
        """Wait for `n` messages, then `settle` seconds more to catch any extra one."""
        deadline = time.time() + timeout
        while self.count() < n and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(settle)
        with self.lock:
            got = list(self.messages)
        assert len(got) == n, "want %d messages, got %d: %s" % (
            n, len(got), [(r, m["Subject"]) for r, m in got])
        return got

    def take(self):
        with self.lock:
            got, self.messages = self.messages, []
        return got


@pytest.fixture
def sink():
    s = Sink()
    s.start()
    yield s
    s.stop()


def mail_config(port, clock=MONDAY, **extra):
    mail = {"enabled": "true", "host": "127.0.0.1", "port": str(port), "starttls": "auto",
            "from": "dissent@example.org", "escalation": ESCALATION,
            "base_url": "https://dissent.example/", "poll_interval": "1", "scan_interval": "1",
            "backoff_base": "1", "backoff_max": "2", "timeout": "5", "neutral_delay": "0"}
    mail.update(extra)
    return {"mail": mail, "debug": {"clock_start": str(unix(clock))}}


class Desk:
    """A server with mail on: a drafter, a co-signer, two officers with addresses and one
    without, a principal, an auditor."""

    USERS = (("dan", ["staff"], "Dana Drafter", "dan@example.org"),
             ("cos", ["staff"], "Colin Cosigner", "cos@example.org"),
             ("olga", ["officer"], "Olga Officer", "olga@example.org"),
             ("otto", ["officer"], "Otto Officer", "otto@example.org"),
             ("onil", ["officer"], "No Mail Officer", ""),
             ("pia", ["principal"], "Pia Principal", "pia@example.org"))

    def __init__(self, make_server, port, clock=MONDAY, channel=None, **extra):
        self.config = mail_config(port, clock, **extra)
        # the officers close at once (no drafter's window): the life cycle's emails as before;
        # test_reply_window.py has the drafter's turn
        self.config["channel"] = {"accept_window": "0", **dict(channel or {})}
        self.srv = make_server(config=self.config)
        self.admin = self.srv.admin()
        for name, roles, display, addr in self.USERS:
            self.srv.add_user(self.admin, name, roles, display_name=display, email=addr)
        self.login()

    def login(self):
        self.s = {n: self.srv.login(n, PASSWORD) for n, _, _, _ in self.USERS}
        self.s["admin"] = self.srv.admin()

    def post(self, who, mid, suffix, json=None, status=200):
        r = self.s[who].post(memo_url(self.srv, mid, suffix), json=json, timeout=TIMEOUT)
        assert r.status_code == status, (suffix, r.text)
        return r.json() if r.content else None

    def filed(self, invite=False):
        r = self.s["dan"].post(memo_url(self.srv), json={"title": TITLE, "body": BODY},
                               timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        if invite:
            self.post("dan", mid, "invitations", {"usernames": ["cos"]})
        self.post("dan", mid, "finalize")
        self.post("dan", mid, "signatures", status=201)
        if invite:
            self.post("cos", mid, "signatures", status=201)
        return mid, self.post("dan", mid, "file")

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

    def outbox(self):
        r = self.s["admin"].get(self.srv.url + "/api/v1/outbox", params={"limit": 200},
                                timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()["outbox"]


NEUTRAL = "Dissent: you have a new notification"


def summary(messages):
    """Sorted (recipient, kind) pairs, the kind read from the subject: the officers' kinds
    (filed, reminder, escalation) say what happened; every other email is the same neutral
    "notification", which tells the mail system nothing of who drafted or co-signed what."""
    kinds = [("was filed", "filed"), ("reminder", "reminder"), ("overdue", "escalation"),
             ("was withdrawn", "withdrawn"), ("was assigned to you", "assigned"),
             ("answered the reply", "response"), ("needs you", "review"),
             (NEUTRAL, "notification")]
    out = []
    for rcpts, msg in messages:
        assert len(rcpts) == 1, rcpts
        subject = msg["Subject"]
        kind = [k for pat, k in kinds if pat in subject]
        assert len(kind) == 1, subject
        assert msg["To"] == "<%s>" % rcpts[0] or msg["To"] == rcpts[0], (msg["To"], rcpts)
        out.append((rcpts[0], kind[0]))
    return sorted(out)


def check_content(messages, mid):
    """No secret in any message; an officer's names the memo and links to it, any other says
    nothing but that there is a notification (no memo id, no event, no date); each has a unique
    Message-ID."""
    ids = set()
    for _, msg in messages:
        raw = msg.as_string()
        for secret in SECRETS:
            assert secret not in raw, (secret, raw)
        body = msg.get_content()
        if msg["Subject"] == NEUTRAL:
            assert mid not in raw and "Memo:" not in body and " by:" not in body, raw
            assert "https://dissent.example/\r\n" in body or "https://dissent.example/\n" in body, body
            for word in ("acknowledged", "reply", "closed", "invited", "co-sign", "distributed",
                         "extended"):
                assert word not in body.lower() and word not in msg["Subject"].lower(), raw
        else:
            assert mid in msg["Subject"] and "Memo: %s" % mid in body, raw
            assert "https://dissent.example/#/memo/%s" % mid in body, body
        assert msg["From"] == "Dissent <dissent@example.org>", msg["From"]
        assert msg["Auto-Submitted"] == "auto-generated"
        ids.add(msg["Message-ID"])
    assert len(ids) == len(messages), "Message-IDs repeat"


def test_life_cycle_sends_exactly_the_expected_emails(make_server, sink):
    t0 = time.time()
    d = Desk(make_server, sink.port)
    mid, m = d.filed(invite=True)
    ack_due = m["deadlines"]["acknowledge"]["due"]
    d.post("olga", mid, "acknowledge")
    d.post("olga", mid, "distribution", {"usernames": ["pia"]})
    r = d.s["olga"].get(memo_url(d.srv, mid), timeout=TIMEOUT)
    reply_due = datetime.date.fromisoformat(r.json()["deadlines"]["reply"]["due"])
    until = (reply_due + datetime.timedelta(days=7)).isoformat()
    d.post("olga", mid, "extend", {"until": until, "reason": "consulting QXREASON"})
    d.post("olga", mid, "reply", {"body": REPLY})
    d.post("olga", mid, "close")

    msgs = sink.wait(12)
    assert summary(msgs) == sorted([
        ("cos@example.org", "notification"),  # invited
        ("dan@example.org", "notification"),  # cos signed
        ("olga@example.org", "filed"), ("otto@example.org", "filed"),
        ("cos@example.org", "notification"),  # filed, to the co-signer
        ("cos@example.org", "notification"),  # replied, to the co-signer
        ("cos@example.org", "notification"),  # closed, to the co-signer
        ("dan@example.org", "notification"),  # acknowledged
        ("pia@example.org", "notification"),  # distributed
        ("dan@example.org", "notification"),  # extended
        ("dan@example.org", "notification"),  # replied
        ("dan@example.org", "notification"),  # closed
    ])
    check_content(msgs, mid)
    by_kind = {summary([x])[0][1]: x[1] for x in msgs}
    assert "Acknowledge by: %s" % ack_due in by_kind["filed"].get_content()
    assert until not in "".join(m.as_string() for _, m in msgs)
    # the admin view: status only, no kind, no recipient
    box = d.outbox()
    assert len(box) == 12 and all(b["status"] == "sent" and b["attempts"] == 0 for b in box), box
    for b in box:
        assert set(b) == {"id", "status", "attempts", "next_attempt_at", "created_at",
                          "sent_at"}, b
        assert b["sent_at"] is not None and b["next_attempt_at"] is None
    for who in ("cos", "dan", "pia", "olga", "otto"):
        assert who not in json.dumps(box)
    # the same from the command line: status only, no kind, no address, no subject
    r = d.srv.cli("outbox")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "STATUS"], lines
    assert len(lines) == 13 and all(line.split()[1] == "sent" for line in lines[1:]), lines
    assert "@" not in r.stdout and mid not in r.stdout and "Dissent:" not in r.stdout
    for word in ("invited", "acknowledged", "distributed", "cos", "dan", "pia"):
        assert word not in r.stdout, word
    print("life cycle: %.1f s" % (time.time() - t0))


def prev_working_day(iso):
    import conftest
    d = datetime.date.fromisoformat(iso) - datetime.timedelta(days=1)
    while not conftest.is_working_day(d):
        d -= datetime.timedelta(days=1)
    return d


def test_reminders_and_escalations_follow_the_clock(make_server, sink):
    d = Desk(make_server, sink.port)
    mid, m = d.filed()
    ack_due = m["deadlines"]["acknowledge"]["due"]
    filed = sink.wait(2)
    assert summary(filed) == [("olga@example.org", "filed"), ("otto@example.org", "filed")]
    sink.take()

    # one working day before the deadline: a reminder to each officer with an address
    d.set_clock("%sT09:00:00" % prev_working_day(ack_due).isoformat())
    rem = sink.wait(2)
    assert summary(rem) == [("olga@example.org", "reminder"), ("otto@example.org", "reminder")]
    check_content(rem, mid)
    assert "Acknowledge by: %s" % ack_due in rem[0][1].get_content()
    sink.take()

    # the deadline day itself: the reminder is not sent twice
    d.set_clock("%sT09:00:00" % ack_due)
    sink.wait(0, timeout=0, settle=4)

    # the day after: an escalation to the officers and to the escalation address, once
    after = datetime.date.fromisoformat(ack_due) + datetime.timedelta(days=1)
    d.set_clock("%sT09:00:00" % after.isoformat())
    esc = sink.wait(4)
    assert summary(esc) == [("dan@example.org", "notification"),  # the channel is late
                            (ESCALATION, "escalation"), ("olga@example.org", "escalation"),
                            ("otto@example.org", "escalation")]
    check_content(esc, mid)
    sink.take()
    d.set_clock("%sT10:00:00" % after.isoformat())
    sink.wait(0, timeout=0, settle=4)

    # acknowledged: the reply deadline gets its own reminder; the drafter hears of it
    d.post("olga", mid, "acknowledge")
    r = d.s["olga"].get(memo_url(d.srv, mid), timeout=TIMEOUT)
    reply_due = r.json()["deadlines"]["reply"]["due"]
    assert summary(sink.wait(1)) == [("dan@example.org", "notification")]
    sink.take()
    d.set_clock("%sT09:00:00" % prev_working_day(reply_due).isoformat())
    rem = sink.wait(2)
    assert summary(rem) == [("olga@example.org", "reminder"), ("otto@example.org", "reminder")]
    assert "Reply by: %s" % reply_due in rem[0][1].get_content()


def test_the_escalation_ladder(make_server, sink):
    """Issue 18, part 4: a deadline passed climbs a ladder, each rung sent again every
    escalation_repeat working days until the memo moves on: the officers, the head's address and
    the drafter (told the channel is late) from the day after; the [channel] principals
    escalate_principals working days after that. Filed Monday 2025-07-07, acknowledgement due
    Wednesday the 9th."""
    d = Desk(make_server, sink.port, channel={"principals": "pia", "timezone": "UTC"},
             escalation_repeat="5", escalate_principals="3")
    mid, m = d.filed()
    assert m["deadlines"]["acknowledge"]["due"] == "2025-07-09"
    sink.wait(2)
    sink.take()
    first = [("dan@example.org", "notification"), (ESCALATION, "escalation"),
             ("olga@example.org", "escalation"), ("otto@example.org", "escalation")]
    # 1 working day late (Thursday): rung 2, round 0
    d.set_clock("2025-07-10T09:00:00")
    esc = sink.wait(4)
    assert summary(esc) == first
    check_content(esc, mid)
    sink.take()
    # 3 working days late: nothing new (the principals wait for 3 after the first escalation)
    d.set_clock("2025-07-14T09:00:00")
    sink.wait(0, timeout=0, settle=3)
    # 4 working days late (Tuesday 15th): the principals, once
    d.set_clock("2025-07-15T09:00:00")
    esc = sink.wait(1)
    assert summary(esc) == [("pia@example.org", "escalation")]
    check_content(esc, mid)
    assert "Acknowledgement was due: 2025-07-09" in esc[0][1].get_content()
    sink.take()
    # 6 working days late (Thursday 17th): rung 2 again, round 1
    d.set_clock("2025-07-17T09:00:00")
    assert summary(sink.wait(4)) == first
    sink.take()
    # 9 working days late (Tuesday 22nd): the principals' second round
    d.set_clock("2025-07-22T09:00:00")
    assert summary(sink.wait(1)) == [("pia@example.org", "escalation")]
    sink.take()
    # acknowledged (and distributed to the configured principal): the ladder stops
    d.post("olga", mid, "acknowledge")
    assert summary(sink.wait(2)) == [("dan@example.org", "notification"),
                                     ("pia@example.org", "notification")]
    sink.take()
    d.set_clock("2025-07-24T09:00:00")
    sink.wait(0, timeout=0, settle=3)


def test_an_account_reset_hears_nothing_of_its_old_memos(make_server, sink):
    """Whoever an administrator reset (and whoever enrolls in its place) is no longer part of the
    memos made before (core/reset.h): no comment, no progress of a memo it signed reaches that
    address. Officers who cannot read the thread (otto: no channel key) get no comment either."""
    d = Desk(make_server, sink.port)
    mid, _ = d.filed(invite=True)
    sink.wait(5)
    sink.take()
    r = d.s["admin"].post(d.srv.url + "/api/v1/users/cos/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    reset = sink.wait(1)  # the reset's own email
    assert reset[0][0] == ["cos@example.org"], reset
    assert reset[0][1]["Subject"] == "Dissent: your account was reset"
    sink.take()
    d.post("olga", mid, "comments", {"body": "A question QXBODY"}, status=201)
    d.post("olga", mid, "decline", {"reason": "QXREASON", "referral": "grievance"})
    msgs = sink.wait(2)
    assert summary(msgs) == [("dan@example.org", "notification")] * 2, summary(msgs)


def test_neutral_emails_leave_at_a_random_moment(make_server, sink):
    """With [mail] neutral_delay, the officers' email naming a filed memo leaves at once, and the
    neutral ones of the same event (the drafter told a co-signer signed, the co-signer told the
    memo was filed) at random moments within the delay: their times do not tie their readers to
    the memo."""
    d = Desk(make_server, sink.port, neutral_delay="3600")
    mid, _ = d.filed(invite=True)
    msgs = sink.wait(2)
    assert summary(msgs) == [("olga@example.org", "filed"), ("otto@example.org", "filed")]
    box = d.outbox()
    pending = [b for b in box if b["status"] == "pending"]
    assert len(box) == 5 and len(pending) == 3, box  # invited, signed, filed: neutral
    def at(iso):
        return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))

    for b in pending:
        wait = (at(b["next_attempt_at"]) - at(b["created_at"])).total_seconds()
        assert 1 <= wait <= 3600, b
    # three draws from an hour: the same second for all three is (almost) never
    assert len({b["next_attempt_at"] for b in pending}) > 1, pending


def test_the_assigned_officer_is_told_and_reminded(make_server, sink):
    """Issue 18, parts 1 and 4: the officer a memo is assigned to is told (the officers' email,
    naming the memo), and the ladder's first rung, the reminder, goes to them alone."""
    d = Desk(make_server, sink.port)
    r = d.s["olga"].post(d.srv.url + "/api/v1/channel/grants", json={"username": "otto"},
                         timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    mid, m = d.filed()
    sink.wait(2)
    sink.take()
    d.post("olga", mid, "assignment", {"username": "otto"})
    msgs = sink.wait(1)
    assert summary(msgs) == [("otto@example.org", "assigned")]
    check_content(msgs, mid)
    sink.take()
    d.post("otto", mid, "assignment", {"username": "olga", "reason": "QXREASON away"})
    assert summary(sink.wait(1)) == [("olga@example.org", "assigned")]
    sink.take()
    d.set_clock("%sT09:00:00" % prev_working_day(m["deadlines"]["acknowledge"]["due"]).isoformat())
    rem = sink.wait(1)
    assert summary(rem) == [("olga@example.org", "reminder")]


def test_the_replys_review_tells_who_it_needs(make_server, sink):
    """Issue 18, part 1, under the default where the head approves replies: an officer asked to
    clear the draft is told, then every head when it is submitted (not the submitting head),
    then the case officer when a head returns it; the drafter hears of the reply only when a
    head approves it, and no email says a word of the draft, the note or the reason."""
    class HeadDesk(Desk):
        USERS = Desk.USERS + (("hedy", ["officer", "head"], "Hedy Head", "hedy@example.org"),)

    d = HeadDesk(make_server, sink.port, channel={"reply_approval": ""})
    for who in ("otto", "hedy"):
        r = d.s["olga"].post(d.srv.url + "/api/v1/channel/grants", json={"username": who},
                             timeout=TIMEOUT)
        assert r.status_code == 201, r.text
    mid, _ = d.filed()
    d.post("olga", mid, "acknowledge")
    d.post("olga", mid, "assignment", {"username": "olga"})
    sink.wait(4)  # filed, to the three officers with an address; acknowledged, to the drafter
    sink.take()
    r = d.s["olga"].put(memo_url(d.srv, mid, "reply-draft"), json={"body": "QXDRAFT text"},
                        timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    d.post("olga", mid, "notes", {"body": "QXNOTE internal"}, status=201)
    d.post("olga", mid, "reply-draft/clearance", {"usernames": ["otto"]})
    msgs = sink.wait(1)
    assert summary(msgs) == [("otto@example.org", "review")]
    check_content(msgs, mid)
    sink.take()
    d.post("otto", mid, "reply-draft/clear")
    d.post("olga", mid, "reply-draft/submit")
    msgs = sink.wait(1)
    assert summary(msgs) == [("hedy@example.org", "review")]
    sink.take()
    d.post("hedy", mid, "reply-draft/return", {"reason": "QXREASON costs"})
    assert summary(sink.wait(1)) == [("olga@example.org", "review")]
    sink.take()
    d.post("olga", mid, "reply-draft/submit")
    sink.wait(1)
    sink.take()
    draft = d.s["hedy"].get(memo_url(d.srv, mid), timeout=TIMEOUT).json()["internal"][
        "reply_draft"]
    d.post("hedy", mid, "reply-draft/approve",
           {"version": draft["version"], "digest": draft["digest"]})
    msgs = sink.wait(1)
    assert summary(msgs) == [("dan@example.org", "notification")]
    for _, msg in msgs:
        text = msg.as_string()
        assert "QXDRAFT" not in text and "QXNOTE" not in text and "QXREASON" not in text


def test_smtp_outage_and_restart_delay_but_lose_nothing(make_server):
    port = free_port()
    sink = Sink(port)  # not started: the SMTP server is down
    d = Desk(make_server, port)
    mid, _ = d.filed(invite=True)
    d.post("olga", mid, "acknowledge")
    d.post("olga", mid, "distribution", {"usernames": ["pia"]})
    # 7 emails queued; let them fail a few times
    deadline = time.time() + 20
    while time.time() < deadline:
        box = d.outbox()
        if len(box) == 7 and all(b["attempts"] >= 2 for b in box):
            break
        time.sleep(0.5)
    assert len(box) == 7 and all(b["status"] == "pending" and b["attempts"] >= 2
                                 and b["next_attempt_at"] for b in box), box
    # the server restarts while they wait; then the SMTP server comes back
    assert d.srv.restart() == 0
    d.login()
    sink.start()
    try:
        msgs = sink.wait(7, settle=4)
    finally:
        sink.stop()
    assert summary(msgs) == sorted([
        ("cos@example.org", "notification"), ("olga@example.org", "filed"),
        ("otto@example.org", "filed"), ("dan@example.org", "notification"),
        ("pia@example.org", "notification"),
        ("dan@example.org", "notification"),  # cos signed
        ("cos@example.org", "notification")])  # filed, to the co-signer
    check_content(msgs, mid)
    assert all(b["status"] == "sent" for b in d.outbox())
    assert "SMTP" in d.srv.log() and "QXTITLE" not in d.srv.log()


def test_failed_after_max_attempts(make_server):
    port = free_port()
    d = Desk(make_server, port, max_attempts="2")
    d.filed()
    deadline = time.time() + 20
    while time.time() < deadline:
        box = d.outbox()
        if box and all(b["status"] == "failed" for b in box):
            break
        time.sleep(0.5)
    assert len(box) == 2 and all(b["status"] == "failed" and b["attempts"] == 2
                                 for b in box), box


def test_optional_notifications_can_be_turned_off(make_server, sink):
    d = Desk(make_server, sink.port)
    url = d.srv.url + "/api/v1/me/notifications"
    r = d.s["dan"].get(url, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    kinds = {n["kind"]: n for n in r.json()["notifications"]}
    assert set(kinds) == {"acknowledged", "extended", "replied", "closed", "invited", "comment",
                          "signature", "voided", "progress", "declined", "late", "interim"}
    assert all(n["on"] and not n["mandatory"] for n in kinds.values())
    r = d.s["olga"].get(url, timeout=TIMEOUT)
    kinds = {n["kind"]: n for n in r.json()["notifications"]}
    assert set(kinds) == {"filed", "reminder", "escalation", "withdrawn", "comment", "assigned",
                          "response", "review"}
    assert kinds["filed"]["mandatory"] and kinds["escalation"]["mandatory"]
    assert not kinds["reminder"]["mandatory"]
    assert_error(d.s["olga"].patch(url, json={"filed": False}, timeout=TIMEOUT), 422,
                 field="filed")
    assert_error(d.s["dan"].patch(url, json={"filed": False}, timeout=TIMEOUT), 422,
                 field="filed")
    assert_error(d.s["dan"].patch(url, json={"closed": "no"}, timeout=TIMEOUT), 422,
                 field="closed")
    assert_error(d.s["dan"].patch(url, json={"nonsense": True}, timeout=TIMEOUT), 422)
    r = d.s["dan"].patch(url, json={"acknowledged": False, "closed": False}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    on = {n["kind"]: n["on"] for n in r.json()["notifications"]}
    assert on == {"acknowledged": False, "extended": True, "replied": True, "closed": False,
                  "invited": True, "comment": True, "signature": True, "voided": True,
                  "progress": True, "declined": True, "late": True, "interim": True}
    r = d.s["otto"].patch(url, json={"filed": True}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text

    mid, _ = d.filed()
    d.post("olga", mid, "acknowledge")
    d.post("olga", mid, "reply", {"body": REPLY})
    d.post("olga", mid, "close")
    msgs = sink.wait(3)
    # dan turned acknowledged and closed off: the reply's notification alone reaches him
    assert summary(msgs) == [("dan@example.org", "notification"), ("olga@example.org", "filed"),
                             ("otto@example.org", "filed")]


def test_the_drafters_answer_to_the_reply_is_told(make_server, sink):
    """Issue 18, part 2: a clarification request and an acceptance go to the officers (naming
    the memo, never the question) and, neutrally, to the co-signers; not to the drafter."""
    d = Desk(make_server, sink.port, channel={"accept_window": "10"})
    mid, _ = d.filed(invite=True)
    d.post("olga", mid, "acknowledge")
    d.post("olga", mid, "reply", {"body": REPLY})
    sink.wait(8, settle=1.0)  # invited, signed, filed, acknowledged, replied
    sink.take()
    d.post("dan", mid, "clarify", {"question": "What of QXQUESTION?"})
    msgs = sink.wait(3)
    assert summary(msgs) == [("cos@example.org", "notification"), ("olga@example.org", "response"),
                             ("otto@example.org", "response")]
    for _, msg in msgs:
        assert "QXQUESTION" not in msg.as_string()
    sink.take()
    d.post("olga", mid, "reply", {"body": REPLY})
    sink.wait(2, settle=1.0)
    sink.take()
    d.post("dan", mid, "accept")
    assert summary(sink.wait(3)) == [("cos@example.org", "notification"),
                                     ("olga@example.org", "response"),
                                     ("otto@example.org", "response")]
    sink.take()
    # an addendum: nobody hears of the draft; once filed, the officers of the filing and the
    # original's co-signer of the addendum
    add = d.post("dan", mid, "addendum", {"body": "New facts."}, status=201)["id"]
    d.post("dan", add, "finalize")
    d.post("dan", add, "signatures", status=201)
    d.post("dan", add, "file")
    assert summary(sink.wait(3)) == [("cos@example.org", "notification"),
                                     ("olga@example.org", "filed"), ("otto@example.org", "filed")]


def test_every_event_is_told_to_whom_it_concerns(make_server, sink):
    """Issue 18, part 4: comments to everyone who reads the thread but the author; signatures,
    declined invitations and withdrawn signatures to the drafter; voided signatures to each
    co-signer; filing, declining and withdrawing to the co-signers; a decline to the drafter; a
    withdrawal to the officers. Neutral to everyone but the officers, and never a secret."""
    d = Desk(make_server, sink.port)
    d.srv.add_user(d.admin, "cara", ["staff"], display_name="Cara Cosigner",
                   email="cara@example.org")
    d.s["cara"] = d.srv.login("cara", PASSWORD)
    r = d.s["dan"].post(memo_url(d.srv), json={"title": TITLE, "body": BODY}, timeout=TIMEOUT)
    mid = r.json()["id"]
    d.post("dan", mid, "invitations", {"usernames": ["cos", "cara"]})
    d.post("dan", mid, "comments", {"body": "A note QXBODY"}, status=201)
    d.post("dan", mid, "finalize")
    d.post("dan", mid, "signatures", status=201)
    d.post("cos", mid, "signatures", status=201)
    r = d.s["cara"].delete(memo_url(d.srv, mid, "invitations/me"), timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    msgs = sink.wait(6)
    assert summary(msgs) == sorted([
        ("cos@example.org", "notification"), ("cara@example.org", "notification"),  # invited
        ("cos@example.org", "notification"), ("cara@example.org", "notification"),  # comment
        ("dan@example.org", "notification"),  # cos signed
        ("dan@example.org", "notification"),  # cara declined
    ])
    check_content(msgs, mid)
    sink.take()
    d.post("dan", mid, "reopen", {"reason": "rewording QXREASON"})
    d.post("dan", mid, "finalize")
    d.post("dan", mid, "signatures", status=201)
    d.post("cos", mid, "signatures", status=201)
    d.post("dan", mid, "file")
    d.post("cos", mid, "comments", {"body": "Filed QXBODY"}, status=201)
    d.post("olga", mid, "decline", {"reason": "Out of scope QXREASON", "referral": "grievance"})
    msgs = sink.wait(9)
    assert summary(msgs) == sorted([
        ("cos@example.org", "notification"),  # voided by the reopening
        ("dan@example.org", "notification"),  # cos signed again
        ("olga@example.org", "filed"), ("otto@example.org", "filed"),
        ("cos@example.org", "notification"),  # filed
        # cos's comment: cara left, otto cannot read the thread (no channel key)
        ("dan@example.org", "notification"), ("olga@example.org", "notification"),
        ("dan@example.org", "notification"),  # declined
        ("cos@example.org", "notification"),  # declined, to the co-signer
    ])
    check_content(msgs, mid)
    sink.take()
    mid2, _ = d.filed(invite=True)
    sink.wait(5)  # cos invited, cos signed, two officers, cos filed
    sink.take()
    d.post("dan", mid2, "withdraw")
    r = d.s["cos"].delete(memo_url(d.srv, mid2, "signatures/me"), timeout=TIMEOUT)
    assert r.status_code == 409, r.text  # too late once filed: nothing told
    msgs = sink.wait(3)
    assert summary(msgs) == sorted([("olga@example.org", "withdrawn"),
                                    ("otto@example.org", "withdrawn"),
                                    ("cos@example.org", "notification")])
    check_content(msgs, mid2)


def test_outbox_is_for_admins_only(make_server, sink):
    d = Desk(make_server, sink.port)
    for who in ("dan", "olga", "pia"):
        assert_error(d.s[who].get(d.srv.url + "/api/v1/outbox", timeout=TIMEOUT), 403)
    r = d.s["admin"].get(d.srv.url + "/api/v1/outbox", params={"limit": 0}, timeout=TIMEOUT)
    assert_error(r, 422, field="limit")


def test_mail_settings_are_checked(make_server):
    for bad in ({"mail": {"enabled": "true"}},
                {"mail": {"enabled": "true", "host": "127.0.0.1", "from": "x@example.org"}},
                {"mail": {"from": "a@b.c\r\nBcc: evil@example.org"}},
                {"mail": {"from": "Dissent <a@example.org>"}},
                {"mail": {"escalation": "not-an-address"}},
                {"mail": {"starttls": "sometimes"}},
                {"mail": {"base_url": "ftp://x"}},
                {"mail": {"colour": "blue"}}):
        with pytest.raises(RuntimeError):
            make_server(config=bad)


def test_mail_off_by_default_queues_nothing(make_server):
    srv = make_server()
    admin = srv.admin()
    r = admin.get(srv.url + "/api/v1/outbox", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == {"outbox": [], "next": None}, r.text


def self_signed(directory):
    """A certificate for 127.0.0.1 and its key (PEM files in `directory`)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_starttls_and_authentication(make_server):
    """starttls = always with a private CA (ca_file) and SMTP AUTH (password_file): the emails
    arrive over TLS, authenticated; the password is never logged. A server that does not offer
    STARTTLS gets nothing under `always`."""
    import ssl
    from aiosmtpd.smtp import AuthResult

    tmp = tempfile.mkdtemp(prefix="dissent-tls-")
    cert, key = self_signed(tmp)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    secret = "s3cret-QXPASSWORD"
    pwfile = os.path.join(tmp, "smtp-password")
    with open(pwfile, "w") as f:
        f.write(secret + "\n")
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"dissent" and auth_data.password == secret.encode()
        logins.append((mechanism, ok, session.ssl is not None))
        return AuthResult(success=ok)

    sink = Sink()
    sink.start(tls_context=ctx, require_starttls=True, authenticator=authenticator,
               auth_required=True)
    try:
        d = Desk(make_server, sink.port, starttls="always", ca_file=cert, username="dissent",
                 password_file=pwfile)
        mid, _ = d.filed()
        msgs = sink.wait(2)
        assert summary(msgs) == [("olga@example.org", "filed"), ("otto@example.org", "filed")]
        assert logins and all(ok and tls for _, ok, tls in logins), logins
        assert secret not in d.srv.log()
    finally:
        sink.stop()

    # credentials against a server without STARTTLS: nothing is sent in the clear, with
    # starttls = auto as well (a username makes auto require STARTTLS)
    plain = Sink()
    plain.start()
    try:
        d2 = Desk(make_server, plain.port, starttls="auto", ca_file=cert, username="dissent",
                  password_file=pwfile)
        d2.filed()
        deadline = time.time() + 15
        while time.time() < deadline:
            box = d2.outbox()
            if box and all(b["attempts"] >= 1 for b in box):
                break
            time.sleep(0.5)
        assert box and all(b["status"] == "pending" and b["attempts"] >= 1 for b in box), box
        assert plain.count() == 0
        assert secret not in d2.srv.log()
    finally:
        plain.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(not PG_BASE, reason="needs $DISSENT_TEST_PG_URI_BASE")
def test_two_servers_send_each_email_once(make_server, sink):
    """Two servers on one PostgreSQL database: events through both, each email sent once; with
    SMTP down, the leader killed (SIGKILL) and SMTP back, the survivor sends the rest, once."""
    d = Desk(make_server, sink.port)
    a = d.srv
    b = make_server(config=d.config, data=a.data, db=a.db)
    b.admin_password = a.admin_password
    try:
        mid, _ = d.filed(invite=True)  # through a
        # the rest through b, with the same sessions
        for who, suffix, body in (("olga", "acknowledge", None),
                                  ("olga", "distribution", {"usernames": ["pia"]})):
            r = d.s[who].post(memo_url(b, mid, suffix), json=body, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
        msgs = sink.wait(7)
        assert summary(msgs) == sorted([
            ("cos@example.org", "notification"), ("olga@example.org", "filed"),
            ("otto@example.org", "filed"), ("dan@example.org", "notification"),
            ("pia@example.org", "notification"),
            ("dan@example.org", "notification"),  # cos signed
            ("cos@example.org", "notification")])  # filed, to the co-signer
        sink.take()

        port = sink.port
        sink.stop()
        r = d.s["olga"].post(memo_url(b, mid, "reply"), json={"body": REPLY}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        r = d.s["olga"].post(memo_url(a, mid, "close"), json=None, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        time.sleep(3)  # a failed attempt or two
        a.stop(signal.SIGKILL)
        sink.port = port
        sink.start()
        msgs = sink.wait(4, settle=5)
        # the reply and the closing, each to the drafter and the co-signer
        assert summary(msgs) == sorted([("dan@example.org", "notification")] * 2 +
                                       [("cos@example.org", "notification")] * 2)
    finally:
        b.stop()


def test_sighup_moves_the_mail_to_another_server(make_server, sink):
    """The mail transport is reloaded on SIGHUP (dissent.ini(5)): the next emails go to the
    server the file names now, none to the old one; the server goes on serving meanwhile."""
    d = Desk(make_server, sink.port)
    d.filed()
    first = sink.wait(2, settle=0.5)  # the two officers with an address hear of the filing
    assert sorted(r[0] for r, _ in first) == ["olga@example.org", "otto@example.org"]
    other = Sink()
    other.start()
    try:
        with open(d.srv.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^port = %d$" % sink.port, "port = %d" % other.port, text)
        assert n == 1, text
        with open(d.srv.config, "w") as f:
            f.write(text)
        d.srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reload: done (0 settings need a restart)" not in d.srv.log():
            assert time.time() < deadline, d.srv.log()[-2000:]
            time.sleep(0.05)
        d.filed()
        got = other.wait(2, settle=1.0)
        assert sorted(r[0] for r, _ in got) == ["olga@example.org", "otto@example.org"]
        assert sink.count() == 2  # nothing more to the old one
    finally:
        other.stop()


def test_emails_are_in_their_recipients_language(make_server, sink):
    """Each email is written in its recipient's language: the account's choice, else [mail]
    language; a subject that is not ASCII travels as RFC 2047 encoded words. The memo's id and
    links are the same in every language, and a neutral email stays neutral in each."""
    d = Desk(make_server, sink.port, language="es")
    for who, code in (("olga", "de"), ("dan", "ar"), ("cos", "fr")):
        r = d.s[who].patch(d.srv.url + "/api/v1/me", json={"language": code}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    cat = {}
    for code in ("fr", "de", "es", "ar"):
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "messages",
                               code + ".json"), encoding="utf-8") as f:
            cat[code] = json.load(f)
    mid, m = d.filed(invite=True)
    # neutral: cos invited, dan told cos signed, cos told of the filing; olga and otto: filed
    msgs = sink.wait(5)
    got = {rcpts[0]: msg for rcpts, msg in msgs}
    assert sorted(r[0] for r, _ in msgs) == sorted(["cos@example.org"] * 2 + [
        "dan@example.org", "olga@example.org", "otto@example.org"])
    filed = "Dissent: memo %s was filed"
    assert got["olga@example.org"]["Subject"] == cat["de"][filed].replace("%s", mid)
    assert got["otto@example.org"]["Subject"] == cat["es"][filed].replace("%s", mid)
    neutral = "Dissent: you have a new notification"
    assert got["cos@example.org"]["Subject"] == cat["fr"][neutral]
    assert got["dan@example.org"]["Subject"] == cat["ar"][neutral]
    for rcpt, msg in got.items():
        raw = msg.as_string()
        subject_line = [ln for ln in raw.split("\n") if ln.startswith("Subject:")][0]
        assert "=?UTF-8?B?" in subject_line or subject_line.isascii(), subject_line
        assert all(line.isascii() for line in raw.split("\n\n", 1)[0].split("\n")), raw
    body = got["olga@example.org"].get_content()
    assert cat["de"]["Memo: %s"].replace("%s", mid) in body, body
    assert "https://dissent.example/#/memo/%s" % mid in body
    ack = m["deadlines"]["acknowledge"]["due"]
    assert cat["de"]["Acknowledge by: %s"].replace("%s", ack) in body, body
    assert cat["es"]["Acknowledge by: %s"].replace("%s", ack) in got["otto@example.org"].get_content()
    # neutral in every language: no memo id, no event
    for rcpt in ("cos@example.org", "dan@example.org"):
        text = got[rcpt].as_string() + got[rcpt].get_content()
        assert mid not in text and TITLE not in text
    assert cat["ar"]["This message says nothing more on purpose: who is written to, and why, "
                      "is confidential."] in got["dan@example.org"].get_content()


def test_the_mail_language_is_checked(make_server):
    for bad in ("xx", "FR", "fr-CA", ""):
        with pytest.raises(RuntimeError):
            make_server(config=mail_config(free_port(), language=bad))
