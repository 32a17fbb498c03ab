"""Issue 4: the hash-chained read audit.

- every read of memo content leaves a record: GET memo ("read"), GET comments ("read_comments"),
  GET bundle ("read_bundle"), and each memo whose title a list shows ("read_title");
- the drafter (and officers) see a memo's records at GET /api/v1/memos/{id}/audit; principals,
  co-signers, admins and auditors get 403, unrelated staff 404;
- `dissent audit verify` checks the chain: intact passes, an altered or deleted row fails.
"""
import base64
import hashlib
import os
import time

import nacl.bindings
import pytest

import subprocess

from conftest import BIN, PASSWORD, TIMEOUT, Server, assert_error, login_all, memo_url
from keyhelpers import audit_records, call, filed_memo, open_db

MISSING = "0123456789abcdef01234567"


class Cast:
    pass


@pytest.fixture(scope="module")
def cast():
    srv = Server()
    try:
        c = Cast()
        c.srv = srv
        admin = srv.admin()
        for name, roles in (("olga", ["officer"]), ("dana", ["staff"]), ("colin", ["staff"]),
                            ("sam", ["staff"]), ("priya", ["principal"]),
                            ("audrey", ["auditor"]), ("otto", ["officer"])):
            srv.add_user(admin, name, roles)
        c.s = login_all(srv, ["olga", "dana", "colin", "sam", "priya", "audrey"])
        c.s["admin"] = admin
        # otto signs in after olga: an officer without the channel key
        c.s["otto"] = srv.login("otto", PASSWORD)
        d, o = c.s["dana"], c.s["olga"]
        c.mid = filed_memo(srv, d, "Audited", "Body.\n", cosigners={"colin": c.s["colin"]})
        call(o, "POST", memo_url(srv, c.mid, "acknowledge"))
        call(o, "POST", memo_url(srv, c.mid, "distribution"), {"usernames": ["priya"]})
        call(d, "POST", memo_url(srv, c.mid, "comments"), {"body": "a comment"}, 201)
        c.mid2 = filed_memo(srv, d, "Second", "Body.\n")
        yield c
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def records(cast, mid=None, who="dana"):
    return audit_records(cast.srv, cast.s[who], mid or cast.mid)


def delta(cast, before, mid=None):
    """The (by, action) pairs recorded since `before` (a list of records)."""
    after = records(cast, mid)
    assert after[:len(before)] == before, "earlier audit records changed"
    return [(r["by"], r["action"]) for r in after[len(before):]]


def test_record_shape(cast):
    recs = records(cast)
    assert recs, "no audit records at all"
    ids = [r["id"] for r in recs]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    for r in recs:
        assert set(r) == {"id", "by", "action", "at"}, r
        assert isinstance(r["id"], int) and isinstance(r["at"], int), r
        assert isinstance(r["by"], str) and isinstance(r["action"], str), r
    assert ("dana", "filed") in [(r["by"], r["action"]) for r in recs]


def test_officer_reads_show_in_the_drafters_audit(cast):
    srv, o = cast.srv, cast.s["olga"]
    before = records(cast)
    call(o, "GET", memo_url(srv, cast.mid))
    call(o, "GET", memo_url(srv, cast.mid, "comments"))
    call(o, "GET", memo_url(srv, cast.mid, "bundle"))
    assert delta(cast, before) == [("olga", "read"), ("olga", "read_comments"),
                                   ("olga", "read_bundle")]
    # officers see the same records
    assert records(cast, who="olga") == records(cast)


@pytest.mark.parametrize("who,path,action", [
    ("dana", "", "read"),
    ("colin", "", "read"),
    ("priya", "", "read"),
    ("olga", "", "read"),
    ("dana", "comments", "read_comments"),
    ("colin", "comments", "read_comments"),
    ("priya", "comments", "read_comments"),
    ("dana", "bundle", "read_bundle"),
    ("colin", "bundle", "read_bundle"),
    ("olga", "bundle", "read_bundle"),
])
def test_every_content_read_is_recorded(cast, who, path, action):
    before = records(cast)
    call(cast.s[who], "GET", memo_url(cast.srv, cast.mid, path))
    assert delta(cast, before) == [(who, action)]


@pytest.mark.parametrize("who", ["dana", "colin", "priya", "olga"])
def test_listing_records_a_title_read_per_memo(cast, who):
    srv = cast.srv
    b1, b2 = records(cast), records(cast, cast.mid2)
    listed = call(cast.s[who], "GET", memo_url(srv)).json()["memos"]
    ids = {m["id"] for m in listed}
    assert cast.mid in ids, listed
    assert delta(cast, b1) == [(who, "read_title")]
    if cast.mid2 in ids:
        assert delta(cast, b2, cast.mid2) == [(who, "read_title")]
    else:
        assert delta(cast, b2, cast.mid2) == []


def test_deadlines_record_title_reads(cast):
    before = records(cast)
    body = call(cast.s["olga"], "GET", cast.srv.url + "/api/v1/deadlines").json()
    listed = [m["id"] for m in body["due"] + body["overdue"]]
    assert cast.mid in listed, body
    assert delta(cast, before) == [("olga", "read_title")]


def test_failed_reads_record_nothing(cast):
    """An officer without the channel key gets 403 and reads nothing: no record."""
    srv = cast.srv
    before = records(cast)
    r = cast.s["otto"].get(memo_url(srv, cast.mid), timeout=TIMEOUT)
    assert_error(r, 403, "no_key")
    listed = call(cast.s["otto"], "GET", memo_url(srv)).json()["memos"]
    assert all(m["title"] is None for m in listed), listed
    assert delta(cast, before) == []
    # and the audit route itself is not a content read
    records(cast)
    assert delta(cast, before) == []


@pytest.mark.parametrize("who,status", [
    ("priya", 403), ("colin", 403), ("sam", 404), ("admin", 403), ("audrey", 403)])
def test_audit_route_is_for_the_drafter_and_officers(cast, who, status):
    r = cast.s[who].get(memo_url(cast.srv, cast.mid, "audit"), timeout=TIMEOUT)
    assert_error(r, status)
    assert "records" not in r.text


def test_audit_route_missing_memo_and_anonymous(cast):
    srv = cast.srv
    assert_error(cast.s["dana"].get(memo_url(srv, MISSING, "audit"), timeout=TIMEOUT), 404)
    assert_error(srv.session().get(memo_url(srv, cast.mid, "audit"), timeout=TIMEOUT), 401)


def test_audit_paging(cast):
    all_recs = records(cast)
    r = call(cast.s["dana"], "GET", memo_url(cast.srv, cast.mid, "audit"),
             params={"limit": 2})
    body = r.json()
    assert body["records"] == all_recs[:2] and body["next"] == all_recs[1]["id"], body
    assert_error(cast.s["dana"].get(memo_url(cast.srv, cast.mid, "audit"),
                                    params={"limit": 0}, timeout=TIMEOUT), 422)


# ---- dissent audit verify ----

def verify(srv):
    return srv.cli("audit", "verify")


def assert_verify_ok(srv):
    r = verify(srv)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "OK" in r.stdout, r.stdout
    return r


def assert_verify_fails(srv, what):
    r = verify(srv)
    assert r.returncode == 1, "%s went unnoticed: %r %r" % (what, r.stdout, r.stderr)
    assert "FAILED" in r.stderr, (r.stdout, r.stderr)
    assert "OK" not in r.stdout, r.stdout
    return r


def write(srv, sql, *args):
    conn = open_db(srv, readonly=False)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def test_audit_verify_detects_tampering(server, admin):
    srv = server
    for name, roles in (("olga", ["officer"]), ("dana", ["staff"])):
        srv.add_user(admin, name, roles)
    o, d = srv.login("olga", PASSWORD), srv.login("dana", PASSWORD)
    mid = filed_memo(srv, d, "Tamper", "Body.\n")
    for _ in range(3):
        call(o, "GET", memo_url(srv, mid))
    call(o, "GET", memo_url(srv, mid, "comments"))
    assert srv.stop() == 0
    r = assert_verify_ok(srv)

    conn = open_db(srv)
    rows = conn.execute("SELECT id, memo_id, actor_id, action, at, hash, actor FROM audit "
                        "ORDER BY id").fetchall()
    conn.close()
    assert len(rows) >= 6, rows
    assert str(len(rows)) in r.stdout, r.stdout
    middle = rows[len(rows) // 2]
    rid, _memo, actor_id, action, at, _hash, actor = middle
    # the actor is sealed by the server (store.h, "Who"): the id column names nobody
    assert actor_id == 0 and len(actor) == 48, middle
    other = next(row for row in rows if row[0] != rid and row[1] == middle[1])

    # an altered action
    write(srv, "UPDATE audit SET action = ? WHERE id = ?", "read_title", rid)
    err = assert_verify_fails(srv, "an altered action")
    assert str(rid) in err.stderr, err.stderr
    write(srv, "UPDATE audit SET action = ? WHERE id = ?", action, rid)
    assert_verify_ok(srv)

    # an altered actor (another record's sealed actor, which is bound to its own record), an
    # altered time
    write(srv, "UPDATE audit SET actor = ? WHERE id = ?", other[6], rid)
    assert_verify_fails(srv, "an altered actor")
    write(srv, "UPDATE audit SET actor = ? WHERE id = ?", actor, rid)
    write(srv, "UPDATE audit SET at = ? WHERE id = ?", at - 3600, rid)
    assert_verify_fails(srv, "an altered time")
    write(srv, "UPDATE audit SET at = ? WHERE id = ?", at, rid)
    assert_verify_ok(srv)

    # a deleted middle row
    write(srv, "DELETE FROM audit WHERE id = ?", rid)
    assert_verify_fails(srv, "a deleted row")
    write(srv, "INSERT INTO audit (id, memo_id, actor_id, action, at, hash, actor) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)", *middle)
    assert_verify_ok(srv)

    # an altered memo, an altered stored hash
    write(srv, "UPDATE audit SET memo_id = memo_id + 1 WHERE id = ?", rid)
    assert_verify_fails(srv, "an altered memo id")
    write(srv, "UPDATE audit SET memo_id = ? WHERE id = ?", middle[1], rid)
    write(srv, "UPDATE audit SET hash = zeroblob(32) WHERE id = ?", rid)
    assert_verify_fails(srv, "an altered hash")
    write(srv, "UPDATE audit SET hash = ? WHERE id = ?", middle[5], rid)
    assert_verify_ok(srv)

    # a deleted row with the later ones renumbered to close the gap
    write(srv, "DELETE FROM audit WHERE id = ?", rows[1][0])
    # one row at a time, in order: PostgreSQL checks the key after each row, not per statement
    for later in [r[0] for r in rows if r[0] > rows[1][0]]:
        write(srv, "UPDATE audit SET id = id - 1 WHERE id = ?", later)
    assert_verify_fails(srv, "a deleted row with the rest renumbered")


def test_audit_verify_on_a_fresh_database(server):
    assert server.stop() == 0
    assert_verify_ok(server)


def test_audit_verify_while_running(server, admin):
    server.add_user(admin, "olga", ["officer"])
    server.add_user(admin, "dana", ["staff"])
    server.login("olga", PASSWORD)
    d = server.login("dana", PASSWORD)
    filed_memo(server, d, "Live", "Body.\n")
    assert_verify_ok(server)


def test_audit_verify_usage(server):
    r = server.cli("audit")
    assert r.returncode == 2, (r.stdout, r.stderr)
    r = server.cli("audit", "frobnicate")
    assert r.returncode == 2, (r.stdout, r.stderr)


def test_the_chain_is_keyed_so_neither_forged_nor_guessed(server, admin):
    """The chain's hash is keyed by the server (a key derived from channel.skey): whoever writes
    the database can neither re-make the chain over an edited record with SHA-256, nor try the
    few account ids against a stored hash to learn a sealed actor."""
    import hashlib
    srv = server
    for name, roles in (("oona", ["officer"]), ("dina", ["staff"])):
        srv.add_user(admin, name, roles)
    o, d = srv.login("oona", PASSWORD), srv.login("dina", PASSWORD)
    mid = filed_memo(srv, d, "Keyed", "Body.\n")
    call(o, "GET", memo_url(srv, mid))
    assert srv.stop() == 0
    assert_verify_ok(srv)
    conn = open_db(srv)
    rows = conn.execute("SELECT id, memo_id, action, at, hash FROM audit ORDER BY id").fetchall()
    users = [u for (u,) in conn.execute("SELECT id FROM users").fetchall()]
    conn.close()

    def unkeyed(prev, rid, memo, actor, action, at):
        text = "dissent-audit/v1\n%s\n%d\n%d\n%d\n%s\n%d\n" % (prev.hex(), rid, memo, actor,
                                                                action, at)
        return hashlib.sha256(text.encode()).digest()

    # no account id gives the stored hash back, under either label
    prev = bytes(32)
    for rid, memo, action, at, h in rows:
        for actor in users + [0]:
            for label in ("v1", "v2"):
                text = ("dissent-audit/%s\n%s\n%d\n%d\n%d\n%s\n%d\n"
                        % (label, prev.hex(), rid, memo, actor, action, at))
                assert hashlib.sha256(text.encode()).digest() != bytes(h), (rid, actor)
        prev = bytes(h)
    # an edited action with the chain re-made by SHA-256 from there: still refused
    rid = rows[len(rows) // 2][0]
    prev = bytes(rows[len(rows) // 2 - 1][4]) if len(rows) > 1 else bytes(32)
    for r_id, memo, action, at, _h in rows[len(rows) // 2:]:
        if r_id == rid:
            action = "read_title"
        h = unkeyed(prev, r_id, memo, 0, action, at)
        write(srv, "UPDATE audit SET action = ?, hash = ? WHERE id = ?", action, h, r_id)
        prev = h
    assert_verify_fails(srv, "a chain re-made without the key")


# ---- the chain anchored in the transparency log (issue 21) ----

def _anchors(srv):
    """The heads of the audit-head entries the public log holds."""
    from loghelpers import caught_up, fetch_entries
    _, _, size, _ = caught_up(srv)  # the next checkpoint covers what the database holds
    out = []
    for raw in fetch_entries(srv.url, size):
        lines = raw.decode().split("\n")
        if "event audit-head" in lines:
            kv = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
            assert set(kv) == {"event", "date", "head"}, lines  # not how many records
            out.append(base64.b64decode(kv["head"]))
    return out


def _audit_keys(srv):
    from keyhelpers import _integrity_key
    return _integrity_key(srv, "dissent-who"), _integrity_key(srv, "dissent-audit")


def _open_actor(kwho, memo, row, action, sealed):
    ad = ("dissent-who/1 audit %d %d -" % (memo, row)).encode()  # no kind for an audit row
    pt = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(bytes(sealed[24:]), ad,
                                                                 bytes(sealed[:24]), kwho)
    return int.from_bytes(pt, "big", signed=True)


def _seal_actor(kwho, memo, row, action, uid):
    ad = ("dissent-who/1 audit %d %d -" % (memo, row)).encode()  # no kind for an audit row
    nonce = os.urandom(24)
    return nonce + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        uid.to_bytes(8, "big", signed=True), ad, nonce, kwho)


def _chain(kaudit, prev, rid, memo, actor, action, at):
    text = "dissent-audit/v2\n%s\n%d\n%d\n%d\n%s\n%d\n" % (prev.hex(), rid, memo, actor, action, at)
    return hashlib.blake2b(text.encode(), key=kaudit, digest_size=32).digest()


def test_anchors_catch_a_chain_made_again(make_server):
    """The operator holds the database and the keys: they delete one officer's reads, renumber
    the rest, seal their actors again and make the whole keyed chain again, which the chain alone
    cannot tell. The heads the log anchored can."""
    from keyhelpers import user_ids
    from loghelpers import log_vkey
    srv = make_server(config={"tlog": {"audit_anchor_interval": "1"}})
    admin = srv.admin()
    for name, roles in (("olga", ["officer"]), ("otto", ["officer"]), ("dana", ["staff"])):
        srv.add_user(admin, name, roles)
    o, t, d = (srv.login(n, PASSWORD) for n in ("olga", "otto", "dana"))
    call(o, "POST", srv.url + "/api/v1/channel/grants", {"username": "otto"}, 201)
    mid = filed_memo(srv, d, "Anchored", "Body.\n")
    at_filing = _anchors(srv)
    assert at_filing, "the filing anchors the audit"
    for _ in range(3):
        call(t, "GET", memo_url(srv, mid))
    call(o, "GET", memo_url(srv, mid))
    with open_db(srv) as conn:
        last = conn.execute("SELECT max(id) FROM audit").fetchone()[0]

    def later_heads():
        with open_db(srv) as conn:
            return {bytes(h) for (h,) in conn.execute("SELECT hash FROM audit WHERE id >= ?",
                                                      (last,)).fetchall()}
    # a periodic anchor covers the reads (every second here; an hour by default): its head is
    # a record's after them (each periodic anchor records itself first, so no head repeats)
    deadline = time.time() + 20
    while not later_heads() & set(_anchors(srv)):
        assert time.time() < deadline, "no anchor after the reads"
        time.sleep(0.3)
    heads = _anchors(srv)
    assert len(heads) == len(set(heads)), "an anchor's head repeats another's"
    vkey = log_vkey(srv)
    # a log checked against its own key alone is one the key's holder can make again: a saved
    # checkpoint (or witnesses) is needed
    r = srv.cli("audit", "verify", "--log", srv.url + "/log", "--vkey", vkey)
    assert r.returncode == 2 and "--state" in r.stderr, r.stderr
    state = os.path.join(srv.dir, "log.state.monitor")
    # a state that is not there is no trust at all: refused
    r = srv.cli("audit", "verify", "--log", srv.url + "/log", "--vkey", vkey, "--state", state)
    assert r.returncode == 1 and "does not exist" in r.stderr, r.stderr
    # a monitor's saved checkpoint (here one run of dissent log verify --state)
    r = subprocess.run([BIN, "log", "verify", srv.url + "/log", "--vkey", vkey, "--state", state],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    saved = open(state).read()
    r = srv.cli("audit", "verify", "--log", srv.url + "/log", "--vkey", vkey, "--state", state)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert open(state).read() == saved  # the monitor's file is not moved
    assert "anchors in the public log checked" in r.stdout or "anchor in the public" in r.stdout
    assert srv.stop() == 0
    r = assert_verify_ok(srv)
    assert "in the server's log checked" in r.stdout, r.stdout

    # the attack: otto's reads out, the chain made again with the keys
    kwho, kaudit = _audit_keys(srv)
    with open_db(srv) as conn:
        otto = user_ids(conn, ["otto"])["otto"]
        rows = conn.execute("SELECT id, memo_id, action, at, actor FROM audit ORDER BY id").fetchall()
    recs = [(rid, memo, action, at, _open_actor(kwho, memo, rid, action, sealed))
            for rid, memo, action, at, sealed in rows]
    kept = [x for x in recs if not (x[4] == otto and x[2] == "read")]
    assert len(recs) - len(kept) == 3
    write(srv, "DELETE FROM audit")
    prev = bytes(32)
    for n, (_rid, memo, action, at, actor) in enumerate(kept, start=1):
        h = _chain(kaudit, prev, n, memo, actor, action, at)
        write(srv, "INSERT INTO audit (id, memo_id, actor_id, action, at, hash, actor) "
              "VALUES (?, ?, 0, ?, ?, ?, ?)", n, memo, action, at, h,
              _seal_actor(kwho, memo, n, action, actor))
        prev = h
    r = assert_verify_fails(srv, "a chain made again after deleting reads")
    # the chain itself is intact (what `dissent audit verify` checked before anchors): only an
    # anchor tells
    assert "anchored" in r.stderr and "does not chain" not in r.stderr, r.stderr
    # the public log says the same, with the server up again
    srv.restart()
    r = srv.cli("audit", "verify", "--log", srv.url + "/log", "--vkey", vkey, "--state", state)
    assert r.returncode == 1 and "anchored" in r.stderr, (r.stdout, r.stderr)
    # usage: --vkey without --log, --log without --vkey
    assert srv.cli("audit", "verify", "--vkey", vkey).returncode == 2
    assert srv.cli("audit", "verify", "--log", srv.url + "/log").returncode == 2
