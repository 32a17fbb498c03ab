"""dissent backup and dissent restore, while the server signs: taken during concurrent signing,
restored into a new data directory (and, on PostgreSQL, a new database) and served on another
port. Every write acknowledged before the backup began is there; the restored log verifies and
is a prefix of the live one; the content opens for its readers."""
import os
import subprocess
import tarfile
import threading
import time

import pytest

from conftest import (BIN, PASSWORD, PG_BASE, Server, add_users, login_all, memo_url,
                      pg_create_db, pg_drop_db)
from keyhelpers import call, create_memo
from test_db_attacker import officers_and_staff


def cli(*args, timeout=120):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def log_verify(url, vkey, state):
    r = cli("log", "verify", url + "/log", "--vkey", vkey, "--state", state)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def test_a_backup_during_signing_restores_every_acknowledged_write(make_server, tmp_path):
    srv = make_server(config={"tlog": {"checkpoint_interval": "1"}})
    admin = srv.admin()
    officer, _ = officers_and_staff(srv, admin)
    names = ["drafter%d" % i for i in range(6)]
    add_users(srv, admin, names, ["staff"])
    sessions = login_all(srv, names)
    acked, lock, stop = [], threading.Lock(), threading.Event()

    def work(name):
        s, n = sessions[name], 0
        while not stop.is_set():
            n += 1
            title, body = "%s memo %d" % (name, n), "Text %d of %s.\n" % (n, name)
            mid = create_memo(srv, s, title, body)
            with lock:
                acked.append((time.monotonic(), name, mid, body, "draft"))
            call(s, "POST", memo_url(srv, mid, "finalize"))
            call(s, "POST", memo_url(srv, mid, "signatures"), status=201)
            with lock:
                acked.append((time.monotonic(), name, mid, body, "signed"))
            call(s, "POST", memo_url(srv, mid, "file"))
            with lock:
                acked.append((time.monotonic(), name, mid, body, "filed"))

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    try:
        deadline = time.time() + 60
        while len([a for a in acked if a[4] == "filed"]) < 12 and time.time() < deadline:
            time.sleep(0.05)
        out = str(tmp_path / "backup.tar")
        started = time.monotonic()
        r = cli("backup", "--config", srv.config, "--data", srv.data, *srv.db_args(),
                "--out", out)
        assert r.returncode == 0, (r.stdout, r.stderr)
        time.sleep(0.3)  # signing goes on after the backup too
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    before = [a for a in acked if a[0] < started]
    after = [a for a in acked if a[0] >= started]
    assert len(before) >= 36 and after, (len(before), len(after))
    assert os.stat(out).st_mode & 0o777 == 0o600
    with tarfile.open(out) as tar:
        got = tar.getnames()
    assert got[0] == "dissent-backup/manifest.json"
    assert "dissent-backup/files/channel.skey" in got and "dissent-backup/files/log.state" in got
    assert ("dissent-backup/database/dissent.pgdump" if PG_BASE else
            "dissent-backup/database/dissent.db") in got

    # the restore: a new data directory (and database), another port
    data = str(tmp_path / "restored")
    new_db = pg_create_db() if PG_BASE else None
    try:
        r = cli("restore", out, "--data", data, *(["--db", new_db[1]] if new_db else []))
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert os.stat(data).st_mode & 0o777 == 0o700
        again = Server(data=data, db=new_db[1] if new_db else None)
        try:
            assert again.port != srv.port
            # every acknowledged write, as far as it was acknowledged, opened by its reader
            newest = {}
            for _, name, mid, body, step in before:
                rank = ["draft", "signed", "filed"].index(step)
                if rank >= newest.get(mid, (None, None, -1))[2]:
                    newest[mid] = (name, body, rank)
            restored = login_all(again, names)
            for mid, (name, body, rank) in newest.items():
                m = call(restored[name], "GET", memo_url(again, mid)).json()
                assert m["body"] == body, (mid, m["body"])
                if rank >= 1:
                    assert m["signer_count"] >= 1 and m["my_signature"], m
                if rank == 2:
                    assert m["state"] != "draft" and m["state"] != "finalized", (mid, m["state"])
            # an officer opens a filed one too (the channel key, sealed to her, came back)
            filed = [mid for mid, (_, _, rank) in newest.items() if rank == 2]
            o = again.login("anna", PASSWORD)
            m = call(o, "GET", memo_url(again, filed[0])).json()
            assert m["body"] == newest[filed[0]][1]
            # the restored log verifies, and the live one extends it
            vkey = cli("log", "key", "--config", srv.config, "--data", srv.data).stdout.strip()
            state = str(tmp_path / "restored.state")
            log_verify(again.url, vkey, state)
            with open(state) as f:
                restored_size = int(f.read().split("\n")[1])
            # the live server's next checkpoint (one a second) covers what was restored
            deadline = time.time() + 20
            while True:
                r = cli("log", "verify", srv.url + "/log", "--vkey", vkey, "--state", state)
                if r.returncode == 0 or time.time() > deadline:
                    break
                assert "the saved checkpoint %d" % restored_size in r.stderr, r.stderr
                time.sleep(0.2)
            assert r.returncode == 0, (r.stdout, r.stderr)
            # the read audit's chain too
            r = cli("audit", "verify", "--config", again.config, "--data", data,
                    *again.db_args())
        finally:
            problems = again.cleanup()
        assert not problems, problems
        assert r.returncode == 0, (r.stdout, r.stderr)
    finally:
        if new_db:
            pg_drop_db(new_db[0])


def test_restore_refuses_what_it_should(make_server, tmp_path):
    srv = make_server()
    srv.admin()
    out = str(tmp_path / "b.tar")
    r = cli("backup", "--config", srv.config, "--data", srv.data, *srv.db_args(), "--out", out)
    assert r.returncode == 0, r.stderr
    # never over an existing file
    r = cli("backup", "--config", srv.config, "--data", srv.data, *srv.db_args(), "--out", out)
    assert r.returncode == 1 and "exists" in r.stderr
    # not into a directory that holds anything
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    r = cli("restore", out, "--data", str(busy))
    assert r.returncode == 1 and "not empty" in r.stderr
    # a damaged archive: one byte of a key file changed; nothing is left behind
    with open(out, "rb") as f:
        raw = bytearray(f.read())
    at = raw.index(b"PRIVATE+KEY+")
    raw[at + 20] ^= 1
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(raw))
    target = tmp_path / "target"
    db = pg_create_db() if PG_BASE else None
    try:
        r = cli("restore", str(bad), "--data", str(target), *(["--db", db[1]] if db else []))
    finally:
        if db:
            pg_drop_db(db[0])
    assert r.returncode == 1 and "SHA-256" in r.stderr, r.stderr
    assert not target.exists()
    assert not [p for p in os.listdir(tmp_path) if "restore-" in p]
    # not a backup at all
    junk = tmp_path / "junk.tar"
    with tarfile.open(junk, "w") as tar:
        tar.add(srv.config, arcname="dissent.ini")
    r = cli("restore", str(junk), "--data", str(target))
    assert r.returncode == 1 and "not a dissent backup" in r.stderr
    # the backend must match
    if PG_BASE:
        r = cli("restore", out, "--data", str(target))
        assert r.returncode == 1 and "--db" in r.stderr
    else:
        r = cli("restore", out, "--data", str(target), "--db", "postgresql://x@127.0.0.1/y")
        assert r.returncode == 1 and "SQLite" in r.stderr
    # usage
    assert cli("restore", out).returncode == 2
    assert cli("backup", "--data", srv.data).returncode == 2
