"""Fixtures for the black-box API tests.

Each test that asks for `server` gets a real `dissent serve` process on a free loopback port with
a fresh data directory; `make_server` starts more, with extra config. The binary comes from
$DISSENT_BIN (default: build/dissent). Everything is stopped and removed afterwards.

With $DISSENT_TEST_PG_URI_BASE set (a PostgreSQL URI without a database, as printed by
`scripts/pg.sh start`), every server gets its own fresh database on that cluster (created with
psql, passed with --db, dropped at cleanup) instead of SQLite in its data directory; tests that
look inside the SQLite file are skipped (`sqlite_only`).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests
import requests.adapters

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("DISSENT_BIN", os.path.join(ROOT, "build", "dissent"))
# the sanitized build's leak check knows what a library keeps for the process's life
# (tests/lsan.supp: fontconfig's caches, which the record copy's typesetting fills)
os.environ.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp"))
# Argon2id at its minimum cost keeps the suite fast; one test runs with the defaults.
FAST = {"security": {"argon2_ops": "1", "argon2_mem_kib": "8"},
        # few pool threads: each holds a database connection, and PostgreSQL test databases
        # are created and dropped per server
        "server": {"pool_threads": "2"}}
# Every test server: two-factor sign-in is not required of any role (the state-dept preset
# requires it of officers, principals and admins; tests/api/test_totp.py turns that on).
# Checkpoints are signed every second (the default is a minute): receipts wait for the next one.
# the tests compute dates in UTC: the server's zone is pinned to it unless a test sets another
# (state-dept's own default is America/New_York).
# Officers send replies themselves: the state-dept preset has the channel's head approve each
# one (tests/api/test_reply_approval.py and the browser's 10-workflow run that default).
BASE = {"security": {"require_2fa": "none"}, "tlog": {"checkpoint_interval": "1"},
        "channel": {"timezone": "UTC", "reply_approval": "false"}}
TIMEOUT = 10
# Reports that the sanitizer build (scripts/build.sh asan) writes to stderr.
PG_BASE = os.environ.get("DISSENT_TEST_PG_URI_BASE", "").rstrip("/")
# Tests that open the SQLite file itself (dissent.db) do not apply to PostgreSQL.
sqlite_only = pytest.mark.skipif(bool(PG_BASE), reason="looks inside the SQLite database file")
# Tests that make the server lie or crash on purpose need the fault switches (util/fault.h), which
# only the sanitizer tree compiles in (scripts/build.sh asan): `dissent version` says so.
try:
    FAULTS = "fault switches" in subprocess.run([BIN, "version"], capture_output=True,
                                                text=True, timeout=60).stdout
except OSError:
    FAULTS = False  # no binary yet: every test says so when it starts a server
needs_faults = pytest.mark.skipif(not FAULTS, reason="the fault switches are not compiled in "
                                                     "(scripts/build.sh asan has them)")


def psql(sql, db="postgres"):
    """Run SQL on the test cluster ($DISSENT_TEST_PG_URI_BASE) as its superuser; return stdout."""
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        PG_BASE + "/" + db, "-c", sql], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("psql: " + r.stderr)
    return r.stdout


def pg_create_db():
    """A fresh empty database on the test cluster; returns (name, uri)."""
    name = "dissent_" + uuid.uuid4().hex[:16]
    psql("CREATE DATABASE %s" % name)
    return name, PG_BASE + "/" + name


def pg_drop_db(name):
    psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer")


class Server:
    def __init__(self, config=None, fast=True, workers=2, data=None, db=None, preexec_fn=None,
                 env=None):
        """@data: another data directory to use (shared keys); @db: a database URI to use
        instead of a fresh one (several servers on one PostgreSQL database); @preexec_fn: run in
        the child before `dissent serve` starts (to set its resource limits, say); @env: more
        environment variables for it."""
        self.preexec_fn = preexec_fn
        self.env = dict(os.environ, **env) if env else None
        self.dir = tempfile.mkdtemp(prefix="dissent-api-")
        self.data = data or os.path.join(self.dir, "var")
        self.db = db
        self.own_db = None  # the database this server created and drops at cleanup
        if self.db is None and PG_BASE:
            self.own_db, self.db = pg_create_db()
        sections = {}
        for src in [BASE] + ([FAST] if fast else []) + [config or {}]:
            for sec, kv in src.items():
                sections.setdefault(sec, {}).update(kv)
        self.config = os.path.join(self.dir, "dissent.ini")
        with open(self.config, "w") as f:
            for sec, kv in sections.items():
                f.write("[%s]\n" % sec)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.workers = workers
        self.admin_password = None
        self.recovery_keys = {}  # username -> the recovery key its enrolment showed
        self.stderr = None
        self.proc = None
        try:
            self._start("wb")
        except Exception:
            if self.stderr is not None:
                self.stderr.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.own_db:
                pg_drop_db(self.own_db)
            raise

    def db_args(self):
        """The --db flag this server runs with, if any."""
        return ["--db", self.db] if self.db else []

    def _start(self, mode):
        """Start `dissent serve` on this server's config and data dir; parse its stdout."""
        if self.stderr is not None:
            self.stderr.close()
        self.stderr = open(self.stderr_path, mode)
        self.proc = subprocess.Popen(
            [BIN, "serve", "--config", self.config, "--data", self.data, *self.db_args(),
             "--listen", "127.0.0.1:0", "--workers", str(self.workers)],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True, preexec_fn=self.preexec_fn,
            env=self.env)
        self.port = None
        self.printed_password = None  # the admin password this start printed, if any
        self.stdout_text = ""         # what this start printed before "listening on"
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.stdout_text += line
            m = re.match(r"\s*password: (\S+)", line)
            if m:
                self.printed_password = m.group(1)
                if self.admin_password is None:
                    self.admin_password = m.group(1)
            m = re.match(r"listening on (https?)://127\.0\.0\.1:(\d+)", line)
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                break
        if self.port is None:
            self.stop()
            raise RuntimeError("server did not start: " + self.log())
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def restart(self):
        """Stop the server (SIGTERM) and start it again on the same data dir and config.
        Returns the exit code of the stopped process; the new one may get another port."""
        rc = self.stop()
        self.proc.stdout.close()
        self._start("ab")
        return rc

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        """Stop the server and return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        """Stop, remove the files, and return a list of problems seen: a sanitizer report or
        a crash in the server's log (the sanitizer build aborts on the first one)."""
        self.stop()
        log = self.log()
        self.proc.stdout.close()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.own_db:
            pg_drop_db(self.own_db)
            self.own_db = None
        problems = []
        for marker in SANITIZER_MARKERS:
            if marker in log:
                problems.append("server log has %r:\n%s" % (marker, log[-4000:]))
                break
        return problems

    def session(self):
        """A requests.Session that sends the CSRF header on every request."""
        s = requests.Session()
        s.headers["X-Requested-With"] = "dissent"
        return s

    def login(self, username, password):
        s = self.session()
        r = s.post(self.url + "/api/v1/session",
                   json={"username": username, "password": password}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return s

    def admin(self):
        return self.login("admin", self.admin_password)

    def add_user(self, admin, username, roles, password="correct horse battery", **extra):
        """Create an account through the admin API, then enrol it with its one-time code and
        `password`, as its user would (core/enrol.h). The created user object, with the
        enrolment's recovery key under "recovery_key"."""
        body = {"username": username, "roles": roles}
        body.update(extra)
        r = admin.post(self.url + "/api/v1/users", json=body, timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        return self.enrol_created(r.json(), password)

    def enrol_created(self, created, password):
        """Enrol the account `created` (POST /api/v1/users's answer) with `password`; the
        answer updated to the enrolled account, with the enrolment's "recovery_key" (also kept
        in self.recovery_keys)."""
        enrolled = self.enrol(created["username"], created["enrolment"]["code"], password)
        created.update(version=enrolled["user"]["version"], enrolled=True,
                       recovery_key=enrolled["recovery_key"])
        self.recovery_keys[created["username"]] = enrolled["recovery_key"]
        return created

    def enrol(self, username, code, password="correct horse battery"):
        """POST /api/v1/enrol: its answer (the account, and the recovery key shown once)."""
        r = self.session().post(self.url + "/api/v1/enrol", timeout=TIMEOUT,
                                json={"username": username, "code": code, "password": password})
        assert r.status_code == 200, r.text
        return r.json()

    def raw(self, data, timeout=5.0):
        """Send raw bytes on a new connection; return everything the server sends back until it
        closes the connection, stops sending for `timeout` seconds, or resets."""
        return raw_exchange(self.port, data, timeout)

    def cli(self, *args, stdin=None):
        """Run `dissent ARGS --data DIR [--db URI] --config FILE` against this server's data."""
        return subprocess.run([BIN, *args, "--data", self.data, *self.db_args(),
                               "--config", self.config],
                              input=stdin, capture_output=True, text=True, timeout=60)


def raw_exchange(port, data, timeout=5.0):
    """Raw HTTP over a socket: send `data`, read until close/timeout/reset."""
    out = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return out


def raw_status(response):
    """The status code of a raw HTTP response, or None if there was none."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(m.group(1)) if m else None


@pytest.fixture
def make_server():
    started = []

    def make(**kw):
        s = Server(**kw)
        started.append(s)
        return s

    yield make
    problems = []
    for s in started:
        problems += s.cleanup()
    assert not problems, "\n".join(problems)


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def admin(server):
    return server.admin()


# ---- helpers shared by the test modules (import them with `from conftest import ...`) ----

def adopt_as_is(srv):
    """Adopt the stopped server's database as it is now, knowingly (`dissent trust adopt`,
    core/trust.h): for tests that play a trusted migration by editing the database, which would
    otherwise be refused as tampering."""
    r = srv.cli("trust", "adopt")
    assert r.returncode == 0, r.stdout + r.stderr


SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
COOKIE = "dissent_session"


def assert_error(r, status, code=None, field=None):
    """Assert `r` is an error response of the documented shape:
    {"error": {"code": "snake_case", "message": "text"[, "field": ...]}} with `status`."""
    assert r.status_code == status, "want %d, got %d: %s" % (status, r.status_code, r.text)
    ct = r.headers.get("Content-Type", "")
    assert ct.startswith("application/json"), "error Content-Type is %r: %s" % (ct, r.text)
    body = r.json()
    assert isinstance(body, dict) and list(body.keys()) == ["error"], body
    err = body["error"]
    assert isinstance(err, dict), body
    assert isinstance(err.get("code"), str) and SNAKE.match(err["code"]), body
    assert isinstance(err.get("message"), str) and err["message"].strip(), body
    # (409 offset_mismatch says where a file's upload stands: docs/api.md, "Attachments")
    assert set(err) <= {"code", "message", "field"} | (
        {"received"} if err.get("code") == "offset_mismatch" else set()), body
    if code is not None:
        assert err["code"] == code, body
    if field is not None:
        assert err.get("field") == field, body
    return err


def session_token(r):
    """The dissent_session token a login response set (from its Set-Cookie header)."""
    m = re.search(COOKIE + r"=([^;]*)", r.headers.get("Set-Cookie", ""))
    assert m, "no %s cookie in %r" % (COOKIE, r.headers.get("Set-Cookie"))
    return m.group(1)


def with_cookie(token, csrf=True):
    """Headers that present `token` explicitly (bypassing the client cookie jar, which would
    itself drop expired or cleared cookies)."""
    h = {"Cookie": "%s=%s" % (COOKIE, token)}
    if csrf:
        h["X-Requested-With"] = "dissent"
    return h


def login_raw(url, username, password, session=None, **kw):
    """POST /api/v1/session and return the response, whatever it is."""
    s = session or requests
    headers = {"X-Requested-With": "dissent"}
    return s.post(url + "/api/v1/session", json={"username": username, "password": password},
                  headers=headers, timeout=TIMEOUT, **kw)


def get_user(srv, admin, username):
    """The user object from GET /api/v1/users (paging through), or None."""
    after = ""
    while True:
        r = admin.get(srv.url + "/api/v1/users", params={"limit": 200, "after": after},
                      timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        body = r.json()
        for u in body["users"]:
            if u["username"] == username:
                return u
        if not body["next"]:
            return None
        after = body["next"]


class _SourceAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source, **kw):
        self._source = source
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self._source, 0)
        return super().init_poolmanager(*a, **kw)


def session_from(source_ip):
    """A CSRF-ready requests.Session whose connections come from `source_ip` (a loopback
    address such as 127.0.0.7), so per-address limits can be told apart."""
    s = requests.Session()
    s.headers["X-Requested-With"] = "dissent"
    s.mount("http://", _SourceAdapter(source_ip))
    return s


# ---- memo helpers (tests/api/test_memos_*.py, test_deadlines.py) ----

PASSWORD = "correct horse battery"
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def memo_url(srv, memo_id=None, suffix=""):
    """/api/v1/memos[/{id}[/suffix]] on `srv`."""
    url = srv.url + "/api/v1/memos"
    if memo_id is not None:
        url += "/" + memo_id
    if suffix:
        url += "/" + suffix
    return url


def parallel(fn, items, workers=8):
    """[fn(x) for x in items] on a pool of `workers` threads (results in order; the first
    exception is raised)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def add_users(srv, admin, names, roles, workers=8):
    """Create every user of `names` with `roles` through the admin API, in parallel; each
    thread uses its own session carrying the admin's cookie."""
    import threading
    local = threading.local()
    cookies = admin.cookies.get_dict()

    def one(name):
        if not hasattr(local, "s"):
            local.s = srv.session()
            local.s.cookies.update(cookies)
        r = local.s.post(srv.url + "/api/v1/users", timeout=TIMEOUT,
                         json={"username": name, "roles": roles})
        assert r.status_code == 201, r.text
        return srv.enrol_created(r.json(), PASSWORD)
    return parallel(one, list(names), workers)


def login_all(srv, names, workers=8):
    """{name: logged-in session} for every name, logging in in parallel."""
    sessions = parallel(lambda n: srv.login(n, PASSWORD), list(names), workers)
    return dict(zip(names, sessions))


def assert_wrong_state(r, state):
    """A 409 wrong_state error that names the memo's current `state`."""
    assert r.status_code == 409, "want 409, got %d: %s" % (r.status_code, r.text)
    body = r.json()
    err = body.get("error") if isinstance(body, dict) else None
    assert isinstance(err, dict), body
    assert err.get("code") == "wrong_state", body
    assert err.get("state") == state, body
    assert isinstance(err.get("message"), str) and err["message"], body
    return err


def assert_memo_shape(m):
    """What every memo response carries: state, signer_count and deadlines with ISO dates."""
    assert isinstance(m, dict), m
    assert isinstance(m.get("state"), str), m
    assert isinstance(m.get("signer_count"), int) and m["signer_count"] >= 0, m
    assert "deadlines" in m, m
    d = m["deadlines"]
    if m["state"] in ("draft", "open"):
        assert d is None, m
    else:
        assert isinstance(d, dict) and set(d) == {"acknowledge", "reply"}, d
        for kind in ("acknowledge", "reply"):
            v = d[kind]
            if v is None:
                continue
            assert ISO_DAY.match(v["due"]), v
            assert v["done_on"] is None or ISO_DAY.match(v["done_on"]), v
            if "max" in v:
                assert ISO_DAY.match(v["max"]), v
    return m


# An independent working-day calendar (5 U.S.C. 6103 with OPM's observed-day shifts), to check
# the server's deadlines against.

def _nth_weekday(year, month, weekday, n):
    """The n-th (1-based; -1 = last) `weekday` (Monday = 0) of a month."""
    import datetime
    if n > 0:
        d = datetime.date(year, month, 1)
        d += datetime.timedelta(days=(weekday - d.weekday()) % 7)
        return d + datetime.timedelta(weeks=n - 1)
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    d = nxt - datetime.timedelta(days=1)
    return d - datetime.timedelta(days=(d.weekday() - weekday) % 7)


def federal_holidays(year):
    """The observed US federal holidays that fall in `year` (a set of datetime.date)."""
    import datetime

    def observed(d):
        if d.weekday() == 5:
            return d - datetime.timedelta(days=1)
        if d.weekday() == 6:
            return d + datetime.timedelta(days=1)
        return d

    out = set()
    for y in (year, year + 1):
        days = [datetime.date(y, 1, 1), _nth_weekday(y, 1, 0, 3), _nth_weekday(y, 2, 0, 3),
                _nth_weekday(y, 5, 0, -1), datetime.date(y, 7, 4), _nth_weekday(y, 9, 0, 1),
                _nth_weekday(y, 10, 0, 2), datetime.date(y, 11, 11), _nth_weekday(y, 11, 3, 4),
                datetime.date(y, 12, 25)]
        if y >= 2021:
            days.append(datetime.date(y, 6, 19))
        out |= {observed(d) for d in days}
    return {d for d in out if d.year == year}


def is_working_day(d, closures=(), federal=True):
    return d.weekday() < 5 and d not in closures and not (federal and d in federal_holidays(d.year))


def add_working_days(d, n, closures=(), federal=True):
    """The n-th working day strictly after date `d` (n >= 1)."""
    import datetime
    while n > 0:
        d += datetime.timedelta(days=1)
        if is_working_day(d, closures, federal):
            n -= 1
    return d


def count_working_days(frm, to, closures=(), federal=True):
    """Working days strictly after `frm` up to and including `to`; negative when to < frm."""
    import datetime
    if to < frm:
        return -count_working_days(to, frm, closures, federal)
    n, d = 0, frm
    while d < to:
        d += datetime.timedelta(days=1)
        n += is_working_day(d, closures, federal)
    return n


def unix(iso):
    """Unix seconds of an ISO 8601 UTC time 'YYYY-MM-DDTHH:MM:SS'."""
    import calendar
    import datetime
    return calendar.timegm(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S").timetuple())
