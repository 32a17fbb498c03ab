"""Helpers shared by the issue 4 ("Confidentiality") tests: test_confidentiality.py,
test_recovery.py, test_channel_access.py and test_audit.py.

Import with `from keyhelpers import ...` (pytest puts this directory on sys.path, as it does for
conftest).
"""
import base64
import csv
csv.field_size_limit(1 << 30)  # a file chunk as hex is longer than the default 128 KiB
import hashlib
import io
import os
import re
import secrets
import sqlite3
import string
import subprocess

from conftest import PASSWORD, TIMEOUT, assert_error, login_raw, memo_url

RECOVERY_KEY = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{8}){7}$")
ALPHABET = string.ascii_letters + string.digits


def marker(n=24):
    """A random token of `n` letters and digits, unlikely to occur anywhere by chance."""
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def call(s, method, url, json=None, status=200, **kw):
    """Send a request with session `s` and assert its status; returns the response."""
    r = s.request(method, url, json=json, timeout=TIMEOUT, **kw)
    assert r.status_code == status, "%s %s: want %d, got %d: %s" % (
        method, url, status, r.status_code, r.text)
    return r


def create_memo(srv, drafter, title="A memo", body="Body.\n", show_names=True):
    """POST /api/v1/memos as `drafter`; returns the new memo's id."""
    r = call(drafter, "POST", memo_url(srv), {"title": title, "body": body,
                                                "show_signer_names": show_names}, 201)
    return r.json()["id"]


def filed_memo(srv, drafter, title="A memo", body="Body.\n", cosigners=()):
    """A memo drafted, finalized, signed (drafter first, then each session of `cosigners`, a
    {name: session} dict) and filed; returns its id. Needs the channel key (an officer must have
    signed in once)."""
    mid = create_memo(srv, drafter, title, body)
    if cosigners:
        call(drafter, "POST", memo_url(srv, mid, "invitations"),
             {"usernames": list(cosigners)})
    call(drafter, "POST", memo_url(srv, mid, "finalize"))
    call(drafter, "POST", memo_url(srv, mid, "signatures"), status=201)
    for s in dict(cosigners).values():
        call(s, "POST", memo_url(srv, mid, "signatures"), status=201)
    call(drafter, "POST", memo_url(srv, mid, "file"))
    return mid


def get_memo(srv, s, mid):
    """GET the memo as `s`, asserting 200; returns the JSON."""
    return call(s, "GET", memo_url(srv, mid)).json()


def assert_no_key(r, *phrases):
    """A 403 `no_key` error whose message explains why and contains every phrase of `phrases`
    (case-insensitive)."""
    err = assert_error(r, 403, "no_key")
    msg = err["message"].lower()
    for p in phrases:
        assert p.lower() in msg, "message %r does not say %r" % (err["message"], p)
    return err


def first_login(srv, username, password=PASSWORD):
    """The first sign-in of an account enrolled by srv.add_user(): asserts it shows no recovery
    key (its enrolment did, to the user alone); returns (session, that recovery key)."""
    s = srv.session()
    r = login_raw(srv.url, username, password, session=s)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "recovery_key" not in body, "sign-in of %s shows a recovery key: %s" % (username, body)
    key = srv.recovery_keys[username]
    assert isinstance(key, str) and RECOVERY_KEY.match(key), key
    return s, key


def audit_records(srv, s, mid):
    """Every record of GET /api/v1/memos/{id}/audit as `s` (paging through)."""
    out, after = [], None
    while True:
        params = {"after": after} if after is not None else {}
        r = call(s, "GET", memo_url(srv, mid, "audit"), params=params)
        body = r.json()
        assert set(body) == {"records", "next"}, body
        out += body["records"]
        if body["next"] is None:
            return out
        after = body["next"]


def data_files(srv):
    """{path relative to the data dir: bytes} of every file under the server's data dir; on
    PostgreSQL also "pg_dump" (the whole database, bytea escaped so that plaintext shows)."""
    out = {}
    if srv.db and not srv.db.startswith("sqlite:"):
        r = subprocess.run(["pg_dump", "--no-owner", srv.db], capture_output=True, timeout=60,
                           env=dict(os.environ, PGOPTIONS="-c bytea_output=escape"))
        assert r.returncode == 0, r.stderr
        out["pg_dump"] = r.stdout
    for root, _dirs, files in os.walk(srv.data):
        for f in files:
            p = os.path.join(root, f)
            try:
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, srv.data)] = fh.read()
            except FileNotFoundError:  # a -wal or -shm removed meanwhile
                pass
    return out


def find_markers(blobs, markers):
    """[(marker name, file name)] for every marker (a {name: text} dict) found in any blob of
    `blobs` (a {file name: bytes} dict), as UTF-8 bytes."""
    hits = []
    for name, text in markers.items():
        needle = text.encode("utf-8")
        for fname, data in blobs.items():
            if needle in data:
                hits.append((name, fname))
    return hits


def db_path(srv):
    return os.path.join(srv.data, "dissent.db")


class PgConn:
    """Just enough of sqlite3.Connection (execute, fetchone, fetchall, iteration, commit,
    close, with) over psql for the tests that read or tamper with the database directly.
    Integers come back as int, bytea as bytes, text as str; "?" parameters are quoted."""

    def __init__(self, uri):
        self.uri = uri

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass

    def commit(self):
        pass

    @staticmethod
    def _literal(v):
        if isinstance(v, (bytes, bytearray)):
            return "'\\x%s'::bytea" % bytes(v).hex()
        if isinstance(v, int):
            return str(v)
        return "'%s'" % str(v).replace("'", "''")

    @staticmethod
    def _value(v):
        if v == "":
            return None
        if re.fullmatch(r"-?\d+", v):
            return int(v)
        if v.startswith("\\x"):
            return bytes.fromhex(v[2:])
        return v

    def execute(self, sql, params=()):
        if sql.strip() == "SELECT name FROM sqlite_master":
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        sql = re.sub(r"zeroblob\((\d+)\)", r"decode(repeat('00', \1), 'hex')", sql)
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        text = parts[0] + "".join(self._literal(p) + rest for p, rest in zip(params, parts[1:]))
        # (on standard input: a file chunk's literal is longer than one argument may be)
        r = subprocess.run(["psql", "-X", "-q", "--csv", "-t", "-v", "ON_ERROR_STOP=1",
                            self.uri], input=text + ";\n", capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        return _Rows([tuple(self._value(v) for v in row)
                      for row in csv.reader(io.StringIO(r.stdout)) if row])


class _Rows(list):
    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


def open_db(srv, readonly=True):
    """The server's database (stop the server first): SQLite, or PostgreSQL through psql."""
    if srv.db and not srv.db.startswith("sqlite:"):
        return PgConn(srv.db)
    if readonly:
        return sqlite3.connect("file:%s?mode=ro" % db_path(srv), uri=True)
    return sqlite3.connect(db_path(srv))


def user_ids(conn, names):
    """{username: users.id} for `names`."""
    out = {}
    for n in names:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (n,)).fetchone()
        assert row is not None, "no user %r in the database" % n
        out[n] = row[0]
    return out


def _integrity_key(srv, label):
    """A key the server derives from channel.skey for `label` (src/store/integrity.c
    integ_derive(): BLAKE2b of the integrity key, keyed by the label padded to 32 bytes). Only the
    tests read channel.skey: the database attacker of test_db_attacker.py never does."""
    text = open(os.path.join(srv.data, "channel.skey")).read().strip()
    raw = base64.b64decode(text.split("+", 4)[4])  # PRIVATE+KEY+<name>+<id>+<base64>
    assert len(raw) == 33 and raw[0] == 1, "channel.skey is not an Ed25519 signer key"
    trust = hashlib.blake2b(b"dissent database integrity key v1", key=raw[1:],
                            digest_size=32).digest()
    ctx = label.encode().ljust(32, b"\0")
    return hashlib.blake2b(trust, key=ctx, digest_size=32).digest()


def audit_actor(srv, memo, rid, sealed):
    """The account id a read-audit record's sealed actor holds (integrity.c integ_who_open(): an
    XChaCha20-Poly1305 seal under the "dissent-who" key, bound to the row). What an operator
    holding the keys can read; the tests use it to play one."""
    import nacl.bindings
    ad = ("dissent-who/1 audit %d %d -" % (memo, rid)).encode()
    pt = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        bytes(sealed[24:]), ad, bytes(sealed[:24]), _integrity_key(srv, "dissent-who"))
    return int.from_bytes(pt, "big", signed=True)


def user_ref(srv, uid):
    """The pseudonym under which the database names account `uid` as a drafter, member, signer
    or key holder (store.h, "Who"; integrity.c integ_ref()); 0 stays 0 (the channel), -1 is
    the officers' key's holder (STORE_NOTES)."""
    if uid == 0:
        return 0
    key = _integrity_key(srv, "dissent-ref")
    h = hashlib.blake2b(b"dissent-ref/1" + uid.to_bytes(8, "big", signed=True), key=key,
                        digest_size=32).digest()
    return (int.from_bytes(h[:8], "big") & ((1 << 62) - 1)) | (1 << 62)


def user_refs(srv, ids):
    """{name: pseudonym} for {name: users.id}."""
    return {n: user_ref(srv, i) for n, i in ids.items()}
