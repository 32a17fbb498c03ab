"""`dissent migrate --from sqlite:PATH --to postgresql://...` (issue 7): a channel lived on SQLite
(users with keys, memos filed with co-signers, an acknowledgement, comments, reads in the audit
chain, the transparency log), copied to an empty PostgreSQL database, then served from there with
the same data directory (the same keys). Runs only with $DISSENT_TEST_PG_URI_BASE set.
"""
import json
import os
import subprocess

import pytest

from conftest import BIN, PASSWORD, PG_BASE, TIMEOUT, add_users, memo_url, pg_create_db, pg_drop_db
from keyhelpers import call, filed_memo
from loghelpers import (caught_up, check_receipt, checkpoint, fetch_entries, leaf_hash, log_vkey,
                        mth, receipt_of)

pytestmark = pytest.mark.skipif(not PG_BASE, reason="needs $DISSENT_TEST_PG_URI_BASE")


def migrate(src, dst):
    return subprocess.run([BIN, "migrate", "--from", src, "--to", dst], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def target():
    name, uri = pg_create_db()
    yield uri
    pg_drop_db(name)


def test_migrate_sqlite_to_postgresql(make_server, target, tmp_path):
    data = str(tmp_path / "var")
    sqlite_uri = "sqlite:" + os.path.join(data, "dissent.db")
    old = make_server(data=data, db=sqlite_uri)
    admin = old.admin()
    add_users(old, admin, ["dan", "bob", "cat"], ["staff"])
    old.add_user(admin, "off", ["officer"])
    old.add_user(admin, "aud", ["auditor"])
    s = {n: old.login(n, PASSWORD) for n in ("dan", "bob", "cat", "off", "aud")}
    r = s["dan"].patch(old.url + "/api/v1/me", json={"language": "ar"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    # channel 1 edited (its row's version under its MAC, pinned: migration 30) and a second one
    call(admin, "PATCH", old.url + "/api/v1/channels/main", {"name": "Main channel"})
    call(admin, "POST", old.url + "/api/v1/channels", {"slug": "two", "settings": {
        "ack": "5 working-days"}}, 201)
    texts = {}
    receipts = {}
    for i in range(5):
        title, body = "Memo %d" % i, "The text of memo %d, encrypted at rest.\n" % i
        mid = filed_memo(old, s["dan"], title, body, cosigners={"bob": s["bob"], "cat": s["cat"]})
        texts[mid] = (title, body)
        receipts[mid] = receipt_of(old, s["dan"], mid)  # once the next checkpoint covers it
    first = next(iter(texts))
    call(s["off"], "POST", memo_url(old, first, "acknowledge"))
    call(s["dan"], "POST", memo_url(old, first, "comments"), {"body": "A comment.\n"}, 201)
    for mid in texts:  # officer reads: records in the audit chain
        call(s["off"], "GET", memo_url(old, mid))
    _, _, old_size, old_root = caught_up(old)  # a checkpoint of every entry
    vkey = log_vkey(old)
    assert old.stop() == 0

    # an empty target is filled, and the copy checked
    r = migrate(sqlite_uri, target)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK: migrated and checked" in r.stdout, r.stdout
    assert "MISMATCH" not in r.stdout
    for table in ("users", "memos", "signatures", "tlog_tiles", "audit", "memo_keys"):
        assert table in r.stdout, r.stdout

    # a server on PostgreSQL with the same data directory (the keys) serves the same channel
    new = make_server(data=data, db=target)
    assert "password:" not in new.stdout_text  # the admin exists: no new password printed
    new.admin_password = old.admin_password
    assert log_vkey(new) == vkey
    t = {n: new.login(n, PASSWORD) for n in ("dan", "bob", "off", "aud")}
    new.admin()
    for mid, (title, body) in texts.items():
        for who in ("dan", "bob", "off"):
            m = call(t[who], "GET", memo_url(new, mid)).json()
            assert m["title"] == title and m["body"] == body, m
            assert m["signer_count"] == 3, m
    assert call(t["dan"], "GET", memo_url(new, first)).json()["state"] == "acknowledged"
    chans = call(t["dan"], "GET", new.url + "/api/v1/channels").json()["channels"]
    assert [(c["slug"], c["name"]) for c in chans] == [("main", "Main channel"), ("two", "")], chans
    # every column came across, the account's language (migration 25) included
    assert call(t["dan"], "GET", new.url + "/api/v1/me").json()["language"] == "ar"
    assert call(t["bob"], "GET", new.url + "/api/v1/me").json()["language"] is None

    # the log: same size and root, every receipt still verifies (in Python and with the CLI)
    _, _, size, root = checkpoint(new.url)
    assert (size, root) == (old_size, old_root)
    entries = fetch_entries(new.url, size)
    assert mth([leaf_hash(e) for e in entries]) == root
    for mid, rc in receipts.items():
        check_receipt(rc, vkey)
        path = tmp_path / ("receipt-%s.json" % mid)
        path.write_text(json.dumps(rc))
        p = subprocess.run([BIN, "verify", str(path), "--vkey", vkey], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        fresh = call(t["dan"], "GET", memo_url(new, mid, "receipt")).json()
        check_receipt(fresh, vkey)

    # the read audit's chain came across intact
    p = new.cli("audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("OK: "), p.stdout

    # new rows get fresh ids after the copied ones (the id sequences were moved past them)
    mid = filed_memo(new, t["dan"], "After the move", "Filed on PostgreSQL.\n",
                     cosigners={"bob": t["bob"]})
    assert call(t["off"], "GET", memo_url(new, mid)).json()["title"] == "After the move"
    new.add_user(new.admin(), "zed", ["staff"])
    caught_up(new, t["aud"])  # the statistics count what a checkpoint covers
    r = t["aud"].get(new.url + "/api/v1/stats", timeout=TIMEOUT)
    # the filing and the read audit's anchor that follows it, and zed's keys born at the
    # enrolment (keys-bound)
    assert r.status_code == 200 and r.json()["log_size"] == size + 3, r.text
    p = new.cli("audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr

    # migrating into the now non-empty target is refused, and changes nothing
    r = migrate(sqlite_uri, target)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not empty" in r.stderr, r.stderr
    r = t["aud"].get(new.url + "/api/v1/stats", timeout=TIMEOUT)
    assert r.json()["log_size"] == size + 3


def test_migrate_usage_and_bad_source(target, tmp_path):
    r = subprocess.run([BIN, "migrate", "--from", "sqlite:x"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr
    r = migrate(target, target)
    assert r.returncode == 2, r.stderr
    r = migrate("mysql://nowhere", target)
    assert r.returncode == 1 and "source" in r.stderr, r.stderr
