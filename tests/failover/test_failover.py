"""PostgreSQL failover under signing load, as docs/deploy.md ("PostgreSQL failover") sets it up:

  - a primary and a synchronous streaming standby (Debian's PostgreSQL 15: pg_basebackup -R,
    synchronous_standby_names), each its own throwaway cluster on loopback;
  - two `dissent serve` on one shared data directory and a multi-host URI
    (host1,host2 ... target_session_attrs=read-write);
  - drafters sign through both servers while the primary is SIGKILLed (the postmaster and every
    backend), then the standby promoted.

Checked: /readyz says 503 during the outage and 200 again after, on both servers, without a
restart; every write acknowledged (before, during or after) is there; the log verifies and
extends every checkpoint either server served before the failover.

Run once by scripts/test.sh (not by each API suite): tests/failover/run.sh.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))
from conftest import BIN, PASSWORD, TIMEOUT, Server, add_users, login_all, memo_url  # noqa: E402

PGBIN = "/usr/lib/postgresql/15/bin"
OWNER = "dissent-test"  # PostgreSQL refuses to run as root (scripts/pg.sh makes this user)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_owner(args, **kw):
    if os.getuid() == 0:
        args = ["runuser", "-u", OWNER, "--"] + args
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


class Cluster:
    def __init__(self, base, name, port):
        self.dir = os.path.join(base, name)
        self.base = base
        self.port = port
        self.log = os.path.join(base, name + ".log")

    def start(self):
        r = as_owner([PGBIN + "/pg_ctl", "-D", self.dir, "-l", self.log, "-w", "-t", "60",
                      "start", "-o", "-h 127.0.0.1 -p %d -k %s" % (self.port, self.base)])
        assert r.returncode == 0, (r.stdout, r.stderr, open(self.log).read()[-2000:])

    def sql(self, query, db="postgres"):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-h", "127.0.0.1", "-p",
                            str(self.port), "-U", "dissent", "-d", db, "-c", query],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (query, r.stderr)
        return r.stdout.strip()

    def kill(self):
        """SIGKILL the postmaster and every process of the cluster: a lost machine."""
        with open(os.path.join(self.dir, "postmaster.pid")) as f:
            pid = int(f.readline())
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        for p in [pid] + children:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self):
        as_owner([PGBIN + "/pg_ctl", "-D", self.dir, "-m", "immediate", "-w", "stop"])


@pytest.fixture
def clusters():
    if os.getuid() == 0:
        try:
            pwd.getpwnam(OWNER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                            "/usr/sbin/nologin", OWNER], check=True)
    base = tempfile.mkdtemp(prefix="dissent-failover-", dir="/var/tmp")
    os.chmod(base, 0o755)
    if os.getuid() == 0:
        shutil.chown(base, OWNER)
    primary = Cluster(base, "primary", free_port())
    standby = Cluster(base, "standby", free_port())
    r = as_owner([PGBIN + "/initdb", "-D", primary.dir, "-U", "dissent", "--auth=trust",
                  "-E", "UTF8", "--locale=C"])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(primary.dir, "postgresql.conf"), "a") as f:
        f.write("wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                "synchronous_standby_names = 'standby1'\nsynchronous_commit = on\n"
                "max_connections = 200\nfsync = off\n")
    primary.start()
    r = as_owner([PGBIN + "/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                  "-U", "dissent", "-D", standby.dir, "-R", "-X", "stream",
                  "-d", "application_name=standby1"])
    assert r.returncode == 0, r.stderr
    standby.start()
    deadline = time.time() + 30
    while primary.sql("SELECT sync_state FROM pg_stat_replication") != "sync":
        assert time.time() < deadline, "the standby never became synchronous"
        time.sleep(0.1)
    primary.sql("CREATE DATABASE dissent")
    yield primary, standby
    for c in (primary, standby):
        c.stop()
    shutil.rmtree(base, ignore_errors=True)


def ready(srv):
    try:
        return requests.get(srv.url + "/readyz", timeout=5).status_code
    except requests.RequestException:
        return 0


def verify(srv, vkey, state):
    return subprocess.run([BIN, "log", "verify", srv.url + "/log", "--vkey", vkey, "--state",
                           state], capture_output=True, text=True, timeout=120)


def test_failover_under_signing_loses_no_acknowledged_write(clusters, tmp_path):
    primary, standby = clusters
    uri = ("postgresql://dissent@127.0.0.1:%d,127.0.0.1:%d/dissent"
           "?target_session_attrs=read-write&connect_timeout=3" % (primary.port, standby.port))
    # the deployment requires the synchronous standby (core/housekeeping.h): it has one
    cfg = {"tlog": {"checkpoint_interval": "1"}, "server": {"require_sync_standby": "true"}}
    a = Server(config=cfg, db=uri)
    b = None
    try:
        b = Server(config=cfg, db=uri, data=a.data)
        admin = a.admin()
        a.add_user(admin, "olga", ["officer"])
        a.login("olga", PASSWORD)  # her enrolment makes the channel key, sealed to her
        names = ["signer%d" % i for i in range(6)]
        add_users(a, admin, names, ["staff"])
        sessions = {}
        for i, (srv, n) in enumerate([(a if i % 2 == 0 else b, n) for i, n in enumerate(names)]):
            sessions[n] = (srv, srv.login(n, PASSWORD))
        acked, lock, stop = [], threading.Lock(), threading.Event()
        failed = [0]

        def post(srv, s, url, status, body=None):
            try:
                r = s.post(url, json=body, timeout=TIMEOUT)
            except requests.RequestException:
                return None
            if r.status_code != status:
                with lock:
                    failed[0] += 1
                return None
            return r

        def work(name):
            srv, s = sessions[name]
            n = 0
            while not stop.is_set():
                n += 1
                body = "Text %d of %s.\n" % (n, name)
                r = post(srv, s, memo_url(srv), 201, {"title": "%s %d" % (name, n), "body": body})
                if r is None:
                    time.sleep(0.05)
                    continue
                mid = r.json()["id"]
                with lock:
                    acked.append((name, mid, body, 0))
                steps = [("finalize", 200), ("signatures", 201), ("file", 200)]
                for rank, (step, status) in enumerate(steps, start=1):
                    if post(srv, s, memo_url(srv, mid, step), status) is None:
                        break
                    with lock:
                        acked.append((name, mid, body, rank))

        threads = [threading.Thread(target=work, args=(n,)) for n in names]
        for t in threads:
            t.start()
        try:
            deadline = time.time() + 60
            while sum(1 for x in acked if x[3] == 3) < 10 and time.time() < deadline:
                time.sleep(0.05)
            # the checkpoints each server serves before the failover
            vkey = subprocess.run([BIN, "log", "key", "--config", a.config, "--data", a.data],
                                  capture_output=True, text=True).stdout.strip()
            states = []
            for srv in (a, b):
                st = str(tmp_path / ("before-%d.state" % srv.port))
                r = verify(srv, vkey, st)
                assert r.returncode == 0, r.stderr
                states.append(st)
            before_kill = len(acked)
            primary.kill()
            # the outage shows on /readyz (both servers), while the standby is not yet promoted
            deadline = time.time() + 30
            seen = {a.port: False, b.port: False}
            while not all(seen.values()) and time.time() < deadline:
                for srv in (a, b):
                    if ready(srv) == 503:
                        seen[srv.port] = True
                time.sleep(0.1)
            assert all(seen.values()), seen
            r = as_owner([PGBIN + "/pg_ctl", "-D", standby.dir, "-w", "promote"])
            assert r.returncode == 0, r.stderr
            # the new primary has no standby of its own yet: commits must not wait for one
            # (docs/deploy.md: attach a new standby, then name it again)
            standby.sql("ALTER SYSTEM SET synchronous_standby_names = ''")
            standby.sql("SELECT pg_reload_conf()")
            # both come back on their own, on the new primary
            deadline = time.time() + 60
            while not all(ready(srv) == 200 for srv in (a, b)):
                assert time.time() < deadline, (ready(a), ready(b), a.log()[-3000:])
                time.sleep(0.2)
            back = len(acked)
            deadline = time.time() + 60
            while len(acked) < back + 12 and time.time() < deadline:
                time.sleep(0.05)
            assert len(acked) >= back + 12, "signing did not resume after the failover"
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        assert before_kill > 0 and failed[0] >= 0
        # every acknowledged write, on the promoted standby, through either server
        newest = {}
        for name, mid, body, rank in acked:
            if rank >= newest.get(mid, (None, None, -1))[2]:
                newest[mid] = (name, body, rank)
        for mid, (name, body, rank) in newest.items():
            srv, s = sessions[name]
            r = s.get(memo_url(srv, mid), timeout=TIMEOUT)
            assert r.status_code == 200, (mid, r.status_code, r.text)
            m = r.json()
            assert m["body"] == body
            if rank >= 2:
                assert m["my_signature"], (mid, rank)
            if rank == 3:
                assert m["state"] not in ("draft", "finalized"), (mid, m["state"])
        # the log verifies and extends every checkpoint served before the failover
        deadline = time.time() + 20
        for st in states:
            while True:
                r = verify(a, vkey, st)
                if r.returncode == 0 or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert r.returncode == 0, (r.stdout, r.stderr)
        assert "pg: connection reset" in a.log() + b.log()
        # the promoted standby commits alone: a server that requires a synchronous standby
        # does not start on it, and says why
        with pytest.raises(RuntimeError, match="synchronous_standby_names is empty"):
            Server(config=cfg, db=uri, data=a.data)
        # a primary whose standby is named but not attached: every commit would wait
        standby.sql("ALTER SYSTEM SET synchronous_standby_names = 'standby9'")
        standby.sql("SELECT pg_reload_conf()")
        with pytest.raises(RuntimeError, match="no synchronous standby is attached"):
            Server(config=cfg, db=uri, data=a.data)
        standby.sql("ALTER SYSTEM SET synchronous_standby_names = ''")
        standby.sql("SELECT pg_reload_conf()")
    finally:
        problems = (b.cleanup() if b else []) + a.cleanup()
    assert not problems, problems
