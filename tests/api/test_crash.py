"""Crash safety (issue 8, "Hardening", part 3): concurrent signing and filing against one server,
killed with SIGKILL at random moments 20 times and restarted on the same data (and database).

Client threads each run memos through their whole life up to filing: create, invite two
co-signers, finalize, sign (drafter, then co-signers), file. Every request answered 2xx is
recorded, with the receipt of each filing; a poller keeps every checkpoint /log/checkpoint
publishes. After a random delay (a fixed-seed random.Random; the seed is printed, and
$DISSENT_CRASH_SEED picks another) the server gets SIGKILL in the middle of that traffic. A memo
whose step got no answer is left where it stands.

After every restart: every write acknowledged before the kill is there (read back through the
API); the SQLite file passes `PRAGMA integrity_check` (skipped on PostgreSQL); `dissent audit
verify` passes; `dissent log verify --state` passes, its state file carried from one round to the
next (so each run checks that the log extends the checkpoint the previous one saw); and every
checkpoint seen so far, and every receipt's, is consistent with the current tree, recomputed here
from the entry bundles. At the end, also: the log holds exactly one `filed` entry per memo in
state filed, and every receipt names its own entry at its index.
"""
import base64
import os
import random
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

import requests

from conftest import BIN, PASSWORD, PG_BASE, TIMEOUT, add_users, memo_url
from loghelpers import (caught_up, check_receipt, checkpoint, fetch_entries, leaf_hash, log_vkey, mth,
                        note_verified_by, parse_checkpoint, parse_entry, receipt_of)

KILLS = 20
CLIENTS = 6           # client threads, each with its own drafter and two co-signers
DELAY = (0.15, 0.9)   # seconds of traffic before each kill: uniform in this range
SEED = int(os.environ.get("DISSENT_CRASH_SEED", "20260801"))
ORDER = {"draft": 0, "open": 1, "filed": 2}


class Record:
    """Every write the server acknowledged (2xx), and every checkpoint it published."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created = {}       # memo id -> (drafter, co-signers)
        self.invited = set()    # memo ids
        self.finalized = set()
        self.signed = set()     # (memo id, username)
        self.filed = {}         # memo id -> receipt
        self.notes = set()      # checkpoint notes seen
        self.requests = 0       # requests sent
        self.acked = 0          # ... answered 2xx
        self.unexpected = []    # non-2xx answers (none expected)
        self.new = set()        # memo ids touched since the last check

    def count(self, ok):
        with self.lock:
            self.requests += 1
            self.acked += ok


def client(base, rec, k, sess, stop):
    """Run memos to filing on the server at `base` (this round's, as the port changes with each
    start) until `stop` or the first request that gets no answer."""
    url = base + "/api/v1/memos"
    drafter, cos = "d%d" % k, ["c%da" % k, "c%db" % k]
    n = 0
    try:
        while not stop.is_set():
            n += 1
            d = sess[drafter]
            r = d.post(url, json={"title": "Memo %d.%d" % (k, n),
                                            "body": "Text %d of client %d.\n" % (n, k)},
                       timeout=TIMEOUT)
            rec.count(r.status_code == 201)
            if r.status_code != 201:
                rec.unexpected.append(("create", r.status_code, r.text))
                return
            mid = r.json()["id"]
            with rec.lock:
                rec.created[mid] = (drafter, cos)
                rec.new.add(mid)
            steps = [(d, "invitations", {"usernames": cos}, 200, "invited"),
                     (d, "finalize", None, 200, "finalized"),
                     (d, "signatures", None, 201, drafter)]
            steps += [(sess[c], "signatures", None, 201, c) for c in cos]
            steps.append((d, "file", None, 200, "filed"))
            for s, suffix, body, want, what in steps:
                r = s.post("%s/%s/%s" % (url, mid, suffix), json=body, timeout=TIMEOUT)
                rec.count(r.status_code == want)
                if r.status_code != want:
                    rec.unexpected.append((suffix, r.status_code, r.text))
                    return
                with rec.lock:
                    if what == "invited":
                        rec.invited.add(mid)
                    elif what == "finalized":
                        rec.finalized.add(mid)
                    elif what == "filed":
                        rec.filed[mid] = r.json()["receipt"]  # None until a checkpoint
                    else:
                        rec.signed.add((mid, what))
    except requests.RequestException:
        rec.count(False)  # the kill: this request has no answer, and the memo stops here


def poller(base, rec, stop):
    while not stop.is_set():
        try:
            r = requests.get(base + "/log/checkpoint", timeout=TIMEOUT)
        except requests.RequestException:
            return
        if r.status_code == 200:
            with rec.lock:
                rec.notes.add(r.text)
        time.sleep(0.03)


def login_all(srv, names):
    return {n: srv.login(n, PASSWORD) for n in names}


def check_memos(srv, rec, sess, mids):
    """Each memo of `mids` holds every acknowledged write; returns {id: state}."""
    states = {}
    for mid in mids:
        drafter, cos = rec.created[mid]
        r = sess[drafter].get(memo_url(srv, mid), timeout=TIMEOUT)
        assert r.status_code == 200, (mid, r.status_code, r.text)
        m = r.json()
        states[mid] = m["state"]
        want = ("filed" if mid in rec.filed else "open" if mid in rec.finalized else "draft")
        assert ORDER[m["state"]] >= ORDER[want], (mid, want, m["state"])
        signers = {s["username"] for s in m.get("signers") or []}
        acked = {u for (x, u) in rec.signed if x == mid}
        assert acked <= signers, (mid, "acknowledged signatures lost", acked - signers)
        if mid in rec.invited:
            assert {i["username"] for i in m.get("invitations") or []} >= set(cos), m
        if mid in rec.filed:
            assert m["signer_count"] == 3, m
    return states


def check_log(srv, rec, vkey, state_file):
    """The log verifies and extends every checkpoint seen; returns (entries, size)."""
    p = subprocess.run([BIN, "log", "verify", srv.url + "/log", "--vkey", vkey,
                        "--state", state_file], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    note, _, size, root = caught_up(srv)  # the scheduled checkpoint of every entry
    entries = fetch_entries(srv.url, size)
    leaves = [leaf_hash(e) for e in entries]
    assert mth(leaves) == root
    with rec.lock:
        notes = set(rec.notes) | {rc["proof"].split("\n\n", 1)[1] for rc in rec.filed.values()
                                  if rc is not None}
    for n in notes:
        assert note_verified_by(n, vkey), n
        _, n_size, n_root = parse_checkpoint(n)
        assert n_size <= size, "a checkpoint of %d entries was published, now %d" % (n_size, size)
        assert mth(leaves[:n_size]) == n_root, "the checkpoint of %d entries forks" % n_size
    with rec.lock:
        rec.notes.add(note)
    return entries, size


def check_store(srv):
    """The database's integrity check (SQLite) and the read audit's hash chain."""
    if not PG_BASE:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.data, "dissent.db"), uri=True,
                             timeout=30)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            db.close()
    p = srv.cli("audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr


def kill_and_restart(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    assert srv.proc.returncode == -signal.SIGKILL
    srv.proc.stdout.close()
    srv._start("ab")


def test_sigkill_during_signing_and_filing_loses_no_acknowledged_write(server, admin):
    t0 = time.time()
    rng = random.Random(SEED)
    print("crash test seed: %d (set DISSENT_CRASH_SEED to change)" % SEED)
    srv = server
    names = []
    for k in range(CLIENTS):
        names += ["d%d" % k, "c%da" % k, "c%db" % k]
    add_users(srv, admin, names, ["staff"])
    srv.add_user(admin, "off", ["officer"])
    srv.login("off", PASSWORD)  # (the officer's enrolment made the channel key)
    vkey = log_vkey(srv)
    rec = Record()
    delays = []
    with tempfile.TemporaryDirectory() as tmp:
        state_file = os.path.join(tmp, "state")
        for rnd in range(KILLS):
            sess = login_all(srv, names)
            stop = threading.Event()
            threads = [threading.Thread(target=client, args=(srv.url, rec, k, sess, stop))
                       for k in range(CLIENTS)]
            threads.append(threading.Thread(target=poller, args=(srv.url, rec, stop)))
            for t in threads:
                t.start()
            delay = rng.uniform(*DELAY)
            delays.append(delay)
            time.sleep(delay)
            kill_and_restart(srv)
            stop.set()
            for t in threads:
                t.join(timeout=30)
                assert not t.is_alive()
            assert not rec.unexpected, rec.unexpected

            # what the crash must not have lost
            sess = login_all(srv, names)
            with rec.lock:
                touched, rec.new = rec.new, set()
            check_memos(srv, rec, sess, touched)
            check_store(srv)
            check_log(srv, rec, vkey, state_file)

        # the end: everything, once more, and the log against the memos
        sess = login_all(srv, names)
        states = check_memos(srv, rec, sess, list(rec.created))
        entries, size = check_log(srv, rec, vkey, state_file)
        filed = {m for m, s in states.items() if s == "filed"}
        # besides the filings, the officers' accounts: role and channel-key entries
        fields = [f for f in (parse_entry(e) for e in entries) if "memo" in f]
        assert all(f["event"] == "filed" for f in fields)
        assert len({f["memo"] for f in fields}) == len(fields), "a memo filed twice"
        assert len(fields) == len(filed), ("filings logged", len(fields), "memos filed",
                                           len(filed))
        for mid, rc in rec.filed.items():
            if rc is None:  # filed before the checkpoint that covers it: the drafter asks later
                rc = rec.filed[mid] = receipt_of(srv, sess[rec.created[mid][0]], mid)
            check_receipt(rc, vkey)
            assert entries[rc["index"]] == base64.b64decode(rc["entry"]), mid
    assert len(rec.filed) >= KILLS, "too little was filed to test anything"
    print("crash: %d kills survived (delays %.2f-%.2f s); %d requests, %d acknowledged; "
          "%d memos created, %d filed (%d with receipts), %d signatures acknowledged; "
          "%d checkpoints seen; %.1f s"
          % (KILLS, min(delays), max(delays), rec.requests, rec.acked, len(rec.created),
             len(filed), len(rec.filed), len(rec.signed), len(rec.notes), time.time() - t0))
