"""Retention, legal holds and crypto-shredding (core/records.h, api/records.c, cmd/records.c).

The clock is driven past the schedule with [debug] clock_start, in a second configuration the
CLI sweep runs with. After the sweep, every file of the data directory (SQLite) or the database's
relation files (PostgreSQL) are searched byte for byte for what the shredded memo left in the
database before: each sealed copy of its key, its texts' and its file's ciphertext, and the
plaintext; a held memo survives; the log still verifies and counts the holds and shreds; a hold
deleted behind Dissent's back stops every shred."""
import contextlib
import os
import re
import subprocess
import time

import requests

from conftest import (BIN, PASSWORD, PG_BASE, TIMEOUT, assert_error, memo_url, psql, unix)
from keyhelpers import open_db
from loghelpers import caught_up, log_vkey, run_cli
from test_attachments import upload

T0 = unix("2030-01-07T15:00:00")  # a Monday
DAY = 86400
CONFIG = {"records": {"retain_closed": "30", "retain_withdrawn": "10", "retain_drafts": "60"},
          "channel": {"accept_window": "0"}, "debug": {"clock_start": str(T0)}}
SECRET = "Plaintext-%s" % os.urandom(6).hex()


def at_clock(srv, t, tmp_path):
    """A copy of the server's configuration whose clock starts at @t."""
    text = open(srv.config).read()
    text = re.sub(r"clock_start = \d+", "clock_start = %d" % t, text)
    path = tmp_path / ("clock-%d.ini" % t)
    path.write_text(text)
    return str(path)


def sweep(srv, config, *extra):
    return subprocess.run([BIN, "records", "sweep", *extra, "--data", srv.data, *srv.db_args(),
                           "--config", config], capture_output=True, text=True, timeout=120)


def filed_memo(srv, s, title, body, data=None, close=True):
    d, o = s["dana"], s["olga"]
    mid = d.post(memo_url(srv), json={"title": title, "body": body}, timeout=TIMEOUT).json()["id"]
    if data is not None:
        upload(srv, d, mid, "annex.bin", data)
    for step in ("finalize", "signatures", "file"):
        assert d.post(memo_url(srv, mid, step), timeout=TIMEOUT).status_code < 300
    if close:
        for step, body in (("acknowledge", None), ("reply", {"body": "Our answer."}),
                           ("close", None)):
            r = o.post(memo_url(srv, mid, step), json=body, timeout=TIMEOUT)
            assert r.status_code == 200, r.text
    return mid


def leftovers(srv, mid):
    """What the database holds of memo @mid that must not survive its shredding: its sealed key
    copies, its title and body ciphertext, and a slice of each file chunk's ciphertext."""
    with contextlib.closing(open_db(srv)) as db:
        internal = db.execute("SELECT id FROM memos WHERE public_id = ?", (mid,)).fetchone()[0]
        keys = [bytes(r[0]) for r in db.execute("SELECT sealed FROM memo_keys WHERE memo_id = ?",
                                                (internal,)).fetchall()]
        texts = [bytes(x) for x in db.execute("SELECT title, body FROM memos WHERE id = ?",
                                              (internal,)).fetchone()]
        chunks = [bytes(r[0]) for r in db.execute(
            "SELECT c.data FROM attachment_chunks c JOIN attachments a ON a.id = c.att_id"
            " WHERE a.memo_id = ?", (internal,)).fetchall()]
    assert len(keys) >= 2 and chunks, (keys, chunks)
    # PostgreSQL frees the space of deleted rows for reuse (VACUUM) without rewriting the tables
    # of texts and files: their ciphertext may linger there until it is overwritten, and is what
    # crypto-shredding leaves, ciphertext under a key destroyed everywhere (the table of key
    # copies is rewritten). SQLite zeroes it (secure_delete), and is searched for it.
    return keys + ([] if PG_BASE else [t[40:72] for t in texts] + [c[1000:1032] for c in chunks])


def database_files(srv):
    """Every file the database keeps: the SQLite data directory, or this database's relation
    files in the PostgreSQL cluster (its WAL and backups keep old pages until they are recycled
    or expire: docs/records.md)."""
    if PG_BASE:
        name = srv.db.rsplit("/", 1)[1]
        top = psql("SHOW data_directory").strip()
        oid = psql("SELECT oid FROM pg_database WHERE datname = '%s'" % name).strip()
        root = os.path.join(top, "base", oid)
    else:
        root = srv.data
    for d, _, names in os.walk(root):
        for n in names:
            yield os.path.join(d, n)


def assert_gone(srv, needles):
    for path in database_files(srv):
        with open(path, "rb") as f:
            blob = f.read()
        for i, needle in enumerate(needles):
            assert needle not in blob, "needle %d of the shredded memo is still in %s" % (i, path)


def test_the_schedule_shreds_what_is_due_and_keeps_what_is_held(make_server, tmp_path):
    srv = make_server(config=CONFIG)
    admin = srv.admin()
    for name, roles in (("dana", ["staff"]), ("olga", ["officer"]), ("rita", ["records"])):
        srv.add_user(admin, name, roles, password=PASSWORD)
    s = {n: srv.login(n, PASSWORD) for n in ("dana", "olga", "rita")}
    r = s["rita"]
    data = os.urandom(3 * 65536 + 1000) + SECRET.encode()
    a = filed_memo(srv, s, "Memo A", "Text A " + SECRET + "\n", data)
    b = filed_memo(srv, s, "Memo B", "Text B, held.\n", os.urandom(70000))
    c = filed_memo(srv, s, "Memo C", "Text C.\n", close=False)
    assert s["dana"].post(memo_url(srv, c, "withdraw"), timeout=TIMEOUT).status_code == 200
    draft = s["dana"].post(memo_url(srv), json={"title": "Draft D", "body": "x"},
                           timeout=TIMEOUT).json()["id"]

    # the records officer sees ids, states and days; no title, text or drafter
    assert_error(r.get(memo_url(srv, a), timeout=TIMEOUT), 403, "forbidden")
    sched = r.get(srv.url + "/api/v1/records/schedule", timeout=TIMEOUT).json()
    assert sched["today"] == "2030-01-07" and sched["retention"]["closed"] == 30
    due = {m["id"]: m["due"] for m in sched["scheduled"]}
    assert due == {a: "2030-02-06", b: "2030-02-06", c: "2030-01-17", draft: "2030-03-08"}, due
    text = str(sched)
    assert "Memo A" not in text and "dana" not in text and SECRET not in text

    # a hold on B, with a reason; and one on a range of days that holds nothing yet
    bad = r.post(srv.url + "/api/v1/records/holds", json={"memo": b}, timeout=TIMEOUT)
    assert_error(bad, 422, field="reason")
    bad = r.post(srv.url + "/api/v1/records/holds",
                 json={"memo": b, "from": "2030-01-01", "to": "2030-01-02", "reason": "x"},
                 timeout=TIMEOUT)
    assert_error(bad, 422)
    assert_error(r.post(srv.url + "/api/v1/records/holds", json={"memo": "0" * 24, "reason": "x"},
                        timeout=TIMEOUT), 404)
    h = r.post(srv.url + "/api/v1/records/holds",
               json={"memo": b, "reason": "Smith v. Department, discovery request 7"},
               timeout=TIMEOUT)
    assert h.status_code == 201, h.text
    assert h.json()["covered"] == 1
    hold = h.json()["hold"]["id"]
    h2 = r.post(srv.url + "/api/v1/records/holds",
                json={"from": "2031-01-01", "to": "2031-12-31", "reason": "Audit of 2031"},
                timeout=TIMEOUT)
    assert h2.status_code == 201 and h2.json()["covered"] == 0, h2.text
    assert_error(s["dana"].post(srv.url + "/api/v1/records/holds",
                                json={"memo": b, "reason": "x"}, timeout=TIMEOUT), 403)
    audit = s["dana"].get(memo_url(srv, b, "audit"), timeout=TIMEOUT).json()["records"]
    assert "held" in [x["action"] for x in audit]

    needles = leftovers(srv, a) + [SECRET.encode(), data[:64]]
    later = at_clock(srv, T0 + 40 * DAY, tmp_path)
    # the dry run says what would go, and changes nothing
    out = sweep(srv, later, "--dry-run")
    assert out.returncode == 0, out.stderr
    assert re.search(r"%s closed +final 2030-01-07, due now \(2030-02-06\)" % a, out.stdout), \
        out.stdout
    assert re.search(r"%s withdrawn final 2030-01-07, due now" % c, out.stdout), out.stdout
    assert re.search(r"%s closed .*held: kept while the hold lasts" % b, out.stdout), out.stdout
    assert re.search(r"%s draft +final 2030-01-07, due 2030-03-08" % draft, out.stdout), \
        out.stdout
    assert s["dana"].get(memo_url(srv, a), timeout=TIMEOUT).status_code == 200

    # the sweep, with the server stopped: A and C go, B is held, D is not due
    srv.stop()
    out = sweep(srv, later)
    assert out.returncode == 0 and "shredded 2 memos" in out.stdout, out.stdout + out.stderr
    assert_gone(srv, needles)
    srv.restart()
    s = {n: srv.login(n, PASSWORD) for n in ("dana", "olga", "rita")}
    for gone in (a, c):
        assert_error(s["dana"].get(memo_url(srv, gone), timeout=TIMEOUT), 404)
    got = s["dana"].get(memo_url(srv, b), timeout=TIMEOUT)
    assert got.status_code == 200 and got.json()["body"] == "Text B, held.\n"
    sched = s["rita"].get(srv.url + "/api/v1/records/schedule", timeout=TIMEOUT).json()
    assert {x["id"]: x["state"] for x in sched["shredded"]} == {a: "closed", c: "withdrawn"}

    # the log still verifies, and counts the holds and the shreds (no names, no ids)
    caught_up(srv)
    code, o, e = run_cli("log", "verify", srv.url + "/log", "--vkey", log_vkey(srv))
    assert code == 0, o + e
    stats = requests.get(srv.url + "/api/v1/stats", timeout=TIMEOUT).json()["records"]
    assert stats == {"exported": 0, "held": 1, "released": 0, "shredded": 2}, stats

    # a hold changed behind its MAC is marked, and holds everything (nothing is shredded)
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        db.execute("UPDATE holds SET reason = 'Changed' WHERE id = ?", (h2.json()["hold"]["id"],))
        db.commit()
    holds = s["rita"].get(srv.url + "/api/v1/records/holds", timeout=TIMEOUT).json()["holds"]
    assert [x["tampered"] for x in holds] == [True, False], holds
    out = sweep(srv, at_clock(srv, T0 + 70 * DAY, tmp_path))
    assert out.returncode == 1 and "nothing was shredded" in out.stderr, out.stderr
    assert "legal hold %d was changed outside Dissent" % h2.json()["hold"]["id"] in out.stderr
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        db.execute("UPDATE holds SET reason = 'Audit of 2031' WHERE id = ?",
                   (h2.json()["hold"]["id"],))
        db.commit()

    # a hold deleted behind Dissent's back stops every shred
    with contextlib.closing(open_db(srv)) as db:
        row = db.execute("SELECT id, memo, from_day, to_day, reason, placed_by, placed_at, mac"
                         " FROM holds WHERE id = ?", (hold,)).fetchone()
    srv.stop()
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        db.execute("DELETE FROM holds WHERE id = ?", (hold,))
        db.commit()
    out = sweep(srv, at_clock(srv, T0 + 70 * DAY, tmp_path))
    # the count of holds placed is kept beside the keys, where the writer cannot lower it (had
    # the hold's log entry been cut too, before a checkpoint signed it, this alone would see it)
    assert open(os.path.join(srv.data, "records.state")).read() == \
        "dissent-records/v1\nholds 2\n"
    assert out.returncode == 1 and "holds were deleted outside Dissent" in out.stderr, out.stderr
    # ... and so does cutting the log's last entries (the hold's, say) to match: the log is
    # checked against its signed state first
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        db.execute("UPDATE tlog_state SET size = size - 1")
        db.commit()
    out = sweep(srv, at_clock(srv, T0 + 70 * DAY, tmp_path))
    assert out.returncode == 1 and "transparency log fails its checks" in out.stderr, out.stderr
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        db.execute("UPDATE tlog_state SET size = size + 1")
        db.execute("INSERT INTO holds (id, memo, from_day, to_day, reason, placed_by, placed_at,"
                   " mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        db.commit()
    srv.restart()
    r = srv.login("rita", PASSWORD)

    # lifted, B goes at the server's own next run of the schedule (its first tick)
    lift = r.post(srv.url + "/api/v1/records/holds/%d/lift" % hold, json={"reason": "Case closed"},
                  timeout=TIMEOUT)
    assert lift.status_code == 200 and lift.json()["released"] == 1, lift.text
    assert_error(r.post(srv.url + "/api/v1/records/holds/%d/lift" % hold,
                        json={"reason": "again"}, timeout=TIMEOUT), 409, "lifted")
    srv.stop()
    text = open(srv.config).read()
    open(srv.config, "w").write(re.sub(r"clock_start = \d+", "clock_start = %d" % (T0 + 70 * DAY),
                                       text))
    srv.restart()
    d = srv.login("dana", PASSWORD)
    end = time.time() + 10
    while d.get(memo_url(srv, b), timeout=TIMEOUT).status_code != 404:
        assert time.time() < end, "the server's schedule did not shred the released memo"
        time.sleep(0.2)
    # the draft's 60 days are up too
    assert_error(d.get(memo_url(srv, draft), timeout=TIMEOUT), 404)
    caught_up(srv)
    stats = requests.get(srv.url + "/api/v1/stats", timeout=TIMEOUT).json()["records"]
    assert stats["released"] == 1 and stats["shredded"] == 4, stats



MEMO_COLS = ("public_id, drafter_id, state, title, body, digest, show_names, version, created_at,"
             " updated_at, filed_day, ack_day, ack_due, reply_due, reply_max, replied_day,"
             " closed_day, reason, reply, reply_note, log_tag, log_salt, log_index, mac, drafter,"
             " files")


def test_a_filed_memo_rolled_back_to_its_draft_row_is_not_shredded(make_server, tmp_path):
    """A database writer puts back the row a filed memo had as a draft (its MAC still valid):
    the schedule would take it for an abandoned draft; its audit shows it filed, and it stays."""
    srv = make_server(config=CONFIG)
    admin = srv.admin()
    srv.add_user(admin, "dana", ["staff"], password=PASSWORD)
    srv.add_user(admin, "olga", ["officer"], password=PASSWORD)
    d = srv.login("dana", PASSWORD)
    mid = d.post(memo_url(srv), json={"title": "T", "body": "x"}, timeout=TIMEOUT).json()["id"]
    with contextlib.closing(open_db(srv)) as db:
        old = db.execute("SELECT " + MEMO_COLS + " FROM memos WHERE public_id = ?",
                         (mid,)).fetchone()
    for step in ("finalize", "signatures", "file"):
        assert d.post(memo_url(srv, mid, step), timeout=TIMEOUT).status_code < 300
    srv.stop()
    with contextlib.closing(open_db(srv, readonly=False)) as db:
        sets = ", ".join("%s = ?" % c.strip() for c in MEMO_COLS.split(","))
        db.execute("UPDATE memos SET " + sets + " WHERE public_id = ?",
                   tuple(bytes(x) if isinstance(x, (bytes, memoryview)) else x for x in old)
                   + (mid,))
        db.commit()
    out = sweep(srv, at_clock(srv, T0 + 90 * DAY, tmp_path))
    assert out.returncode == 0 and "shredded 0 memos" in out.stdout, out.stdout + out.stderr
    # (psql's text round trip of the copied row does not give back every blob exactly, so on
    # PostgreSQL the row may fail its MAC first: kept all the same)
    assert "its audit shows it filed" in out.stderr or \
        (PG_BASE and "changed outside Dissent" in out.stderr), out.stderr
