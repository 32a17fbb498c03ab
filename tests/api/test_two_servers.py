"""Two `dissent serve` processes on one PostgreSQL database and one data directory (issue 7,
"Several servers on one database"); runs only with $DISSENT_TEST_PG_URI_BASE set.

Memos are drafted, finalized, signed by their drafter and co-signers, and filed in parallel
through both servers (each request goes to one server in turn, as a round-robin proxy would send
it; a session made on one server is used on the other). Midway one server is killed with SIGKILL;
requests that fail to connect are retried on the survivor, as the proxy would. Afterwards every
write that got a 2xx answer is present (memos, signatures, states), the log has exactly one entry
per filing (no gap, no duplicate), `dissent log verify` passes against the survivor, and every
checkpoint seen on either server (polled during the run, and in each filing's receipt) is
consistent with the final one.

Scale: the issue's figures, 200 memos with 4 co-signers each (1,000 signatures), about 10 s on a
2-core machine.
"""
import base64
import os
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import (BIN, PASSWORD, PG_BASE, TIMEOUT, Server, add_users, parallel, pg_create_db,
                      pg_drop_db)
from loghelpers import (caught_up, checkpoint, fetch_entries, leaf_hash, log_vkey, mth, note_verified_by,
                        parse_checkpoint, parse_entry, receipt_of)

pytestmark = pytest.mark.skipif(not PG_BASE, reason="needs $DISSENT_TEST_PG_URI_BASE")

MEMOS = 200
COSIGNERS = 4  # per memo; with the drafter, 5 signatures a memo: 1,000
DRAFTERS = 12
STAFF = 24     # co-signers are drawn from these, in turn
WORKERS = 8    # client threads


class Cluster:
    """Two servers on one database and one data directory; `alive` the ones still running."""

    def __init__(self, db):
        self.a = Server(db=db, workers=2)
        try:
            self.b = Server(data=self.a.data, db=db, workers=2)
        except Exception:
            self.a.cleanup()
            raise
        self.b.admin_password = self.a.admin_password
        self.servers = [self.a, self.b]
        self.killed = None
        self.turn = 0
        self.lock = threading.Lock()

    def alive(self):
        return [s for s in self.servers if s is not self.killed]

    def pick(self):
        with self.lock:
            self.turn += 1
            live = self.alive()
            return live[self.turn % len(live)]

    def request(self, s, method, path, **kw):
        """Send on the next server in turn; on a connection failure (the killed server) retry on
        the survivor. Returns (response, the server that answered)."""
        srv = self.pick()
        for _ in range(3):
            try:
                return s.request(method, srv.url + path, timeout=TIMEOUT, **kw), srv
            except requests.ConnectionError:
                srv = self.a  # the survivor
        raise AssertionError("no server answered %s %s" % (method, path))

    def kill_b(self):
        with self.lock:
            self.b.proc.send_signal(signal.SIGKILL)
            self.b.proc.wait()
            self.killed = self.b

    def cleanup(self):
        problems = []
        for s in self.servers:
            problems += s.cleanup()
        return problems


@pytest.fixture
def cluster():
    name, uri = pg_create_db()
    c = None
    try:
        c = Cluster(uri)
        yield c
    finally:
        problems = c.cleanup() if c else []
        pg_drop_db(name)
    assert not problems, "\n".join(problems)


class Poller(threading.Thread):
    """Polls /log/checkpoint on both servers until stopped; keeps every distinct note seen."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.notes = set()
        self.stop = threading.Event()
        self.polls = 0

    def run(self):
        while not self.stop.is_set():
            for srv in self.cluster.servers:
                try:
                    r = requests.get(srv.url + "/log/checkpoint", timeout=TIMEOUT)
                except requests.ConnectionError:
                    continue
                if r.status_code == 200:
                    self.notes.add(r.text)
                    self.polls += 1
            time.sleep(0.02)


def test_two_servers_share_one_database_and_survive_a_kill(cluster):
    t0 = time.time()
    a, b = cluster.a, cluster.b
    admin_a = a.admin()
    admin_b = b.admin()  # the admin signs in on either server
    drafters = ["d%02d" % i for i in range(DRAFTERS)]
    staff = ["s%02d" % i for i in range(STAFF)]
    add_users(a, admin_a, drafters[:DRAFTERS // 2] + staff[:STAFF // 2], ["staff"])
    add_users(b, admin_b, drafters[DRAFTERS // 2:] + staff[STAFF // 2:], ["staff"])
    b.add_user(admin_b, "off", ["officer"])
    b.add_user(admin_b, "aud", ["auditor"])
    # sessions made on one server are used on both (cookies are per host, not per port)
    names = drafters + staff + ["off", "aud"]
    sess = dict(zip(names, parallel(
        lambda i_n: (a if i_n[0] % 2 else b).login(i_n[1], PASSWORD), list(enumerate(names)))))
    for n in ("off", "aud"):
        for srv in (a, b):
            r = sess[n].get(srv.url + "/api/v1/me", timeout=TIMEOUT)
            assert r.status_code == 200, r.text
    vkey = log_vkey(a)
    assert log_vkey(b) == vkey

    acked = {"created": {}, "signed": set(), "filed": {}, "finalized": set()}
    errors = []
    rec_lock = threading.Lock()
    done = {"n": 0}
    poller = Poller(cluster)
    poller.start()

    def one(i):
        """Draft, invite, finalize, sign (drafter, then co-signers), file memo i."""
        drafter = drafters[i % DRAFTERS]
        cos = [staff[(i * COSIGNERS + k) % STAFF] for k in range(COSIGNERS)]
        d = sess[drafter]
        r, _ = cluster.request(d, "POST", "/api/v1/memos",
                               json={"title": "Memo %d" % i, "body": "Text of memo %d.\n" % i})
        if r.status_code != 201:
            with rec_lock:
                errors.append(("create", i, r.status_code, r.text))
            return
        mid = r.json()["id"]
        with rec_lock:
            acked["created"][mid] = (i, drafter)
        steps = [(d, "invitations", {"usernames": cos}, (200,), None),
                 (d, "finalize", None, (200,), "finalized"),
                 (d, "signatures", None, (201,), drafter)]
        steps += [(sess[c], "signatures", None, (201,), c) for c in cos]
        steps.append((d, "file", None, (200,), "filed"))
        for s, suffix, body, ok, what in steps:
            r, _ = cluster.request(s, "POST", "/api/v1/memos/%s/%s" % (mid, suffix), json=body)
            if r.status_code in ok:
                with rec_lock:
                    if what == "filed":  # its receipt comes with the next checkpoint
                        acked["filed"][mid] = dict(r.json(), drafter_session=s)
                    elif what == "finalized":
                        acked["finalized"].add(mid)
                    elif what is not None:
                        acked["signed"].add((mid, what))
                continue
            # a retry after the kill may find its first attempt committed (the answer lost):
            # not acknowledged, so not recorded, and the memo is left where it stands
            with rec_lock:
                errors.append((suffix, i, r.status_code, r.text))
            return
        with rec_lock:
            done["n"] += 1
            if done["n"] == MEMOS // 2 and cluster.killed is None:
                cluster.kill_b()

    parallel(one, list(range(MEMOS)), WORKERS)
    assert cluster.killed is b
    assert b.proc.returncode == -signal.SIGKILL
    # only the requests caught by the kill may have failed, and only a handful
    assert len(errors) <= WORKERS, errors

    # every acknowledged write is present, read through the survivor
    off = sess["off"]
    for mid, (i, drafter) in acked["created"].items():
        r = sess[drafter].get(a.url + "/api/v1/memos/" + mid, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        m = r.json()
        signers = {s["username"] for s in m.get("signers") or []}
        want = {who for (x, who) in acked["signed"] if x == mid}
        assert want <= signers, (mid, want - signers)
        assert m["signer_count"] >= len(want)
        if mid in acked["filed"]:
            assert m["state"] == "filed", m
            assert m["signer_count"] == COSIGNERS + 1, m
        elif mid in acked["finalized"]:
            assert m["state"] in ("open", "filed"), m
    assert len(acked["filed"]) >= MEMOS - WORKERS
    signatures = len(acked["signed"])

    # the filed memos as the officer sees them (through the survivor)
    filed, params = set(), {"state": "filed", "limit": 100}
    while True:
        r = off.get(a.url + "/api/v1/memos", params=params, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        body = r.json()
        filed |= {m["id"] for m in body["memos"]}
        if not body["next"]:
            break
        params["after"] = body["next"]
    assert set(acked["filed"]) <= filed

    # the log: one entry per filing, no gap, no duplicate; a checkpoint over all of it (the
    # statistics count what a checkpoint covers)
    caught_up(a, timeout=15)
    r = sess["aud"].get(a.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    size = r.json()["log_size"]
    # besides one entry per filing (and the read audit's anchor after each), the accounts'
    # entries (the officer's role and channel key)
    accounts = sum(r.json()["accounts"].values())
    assert accounts >= 2 and size == 2 * len(filed) + accounts, (size, len(filed), accounts)
    deadline = time.time() + 15
    while True:
        note, _, cp_size, root = checkpoint(a.url)
        if cp_size == size or time.time() > deadline:
            break
        time.sleep(0.1)
    assert cp_size == size, (cp_size, size)
    poller.stop.set()
    poller.join()
    poller.notes.add(note)
    entries = fetch_entries(a.url, size)
    assert len(set(entries)) == size, "duplicate entries in the log"
    # besides the filings, the officers' accounts: role and channel-key entries
    fields = [f for f in (parse_entry(e) for e in entries) if "memo" in f]
    assert all(f["event"] == "filed" for f in fields)
    assert len({f["memo"] for f in fields}) == len(fields) == len(filed), "a memo filed twice"
    leaves = [leaf_hash(e) for e in entries]
    assert mth(leaves) == root

    # every filing's receipt names its own entry, at its index
    for mid, ans in acked["filed"].items():
        rc = ans["receipt"] or receipt_of(a, ans["drafter_session"], mid)
        entry = base64.b64decode(rc["entry"])
        assert entries[rc["index"]] == entry, mid
        poller.notes.add(rc["proof"].split("\n\n", 1)[1])

    # every checkpoint seen is signed by the shared key and consistent with the final one
    sizes = set()
    for n in poller.notes:
        assert note_verified_by(n, vkey), n
        _, n_size, n_root = parse_checkpoint(n)
        assert n_size <= size
        assert mth(leaves[:n_size]) == n_root, "checkpoint of %d entries forks the log" % n_size
        sizes.add(n_size)
    assert len(sizes) >= 3, sizes

    # the CLI audits the survivor end to end, from the oldest non-empty and a middle
    # checkpoint seen as saved state (it checks the consistency proofs itself)
    seen = sorted((parse_checkpoint(n)[1], n) for n in poller.notes if parse_checkpoint(n)[1])
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state")
        for _, n in (seen[0], seen[len(seen) // 2]):
            with open(state, "w") as f:
                f.write(n)
            p = subprocess.run([BIN, "log", "verify", a.url + "/log", "--vkey", vkey,
                                "--state", state], capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stdout + p.stderr
        with open(state) as f:
            assert f.read() == note

    # the killed server comes back on the same database and data directory and sees it all
    b._start("ab")
    cluster.killed = None
    r = sess["aud"].get(b.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["log_size"] == size
    print("two servers: %d memos created, %d filed, %d signatures acknowledged, "
          "%d checkpoints seen (%d sizes), %d errors at the kill, %.1f s"
          % (len(acked["created"]), len(acked["filed"]), signatures, len(poller.notes),
             len(sizes), len(errors), time.time() - t0))
