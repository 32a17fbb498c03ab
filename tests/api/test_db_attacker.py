"""The database attacker (issue 16): someone who can write the database (the SQLite file, or the
PostgreSQL role) but cannot read the key files (log.skey, channel.skey, channel.pin) or the
server's memory. Each test stops the server, edits the database as that person would, starts
the server again, and shows the attack refused or detected, with nothing decrypted and the
failure in the server's log.

Runs on SQLite, and on PostgreSQL when DISSENT_TEST_PG_URI_BASE is set (keyhelpers.open_db()).
"""
import base64
import hashlib
import os
import secrets
import subprocess
import time

import pytest

from conftest import (PASSWORD, TIMEOUT, adopt_as_is, assert_error, login_raw,
                      memo_url, sqlite_only, with_cookie)
from keyhelpers import (audit_actor, audit_records, call, create_memo, filed_memo, marker, open_db, user_ids,
                        user_ref, user_refs)

nacl = pytest.importorskip("nacl.public")

SEALED = 80  # a crypto_box_seal of a 32-byte key; its integrity MAC (32 bytes) follows


def tamper(srv, *edits):
    """Stop the server, run each (sql, params) on its database, start it again."""
    srv.stop()
    with open_db(srv, readonly=False) as c:
        for sql, params in edits:
            c.execute(sql, params)
        c.commit()
    srv.restart()


def rows(srv, sql, params=()):
    with open_db(srv) as c:
        return c.execute(sql, params).fetchall()


def refused(r):
    """The integrity refusal: 500, code "integrity", no content in the answer."""
    assert_error(r, 500, "integrity")


def integrity_logged(srv, what):
    log = srv.log()
    assert "integrity: " in log and what in log, log[-3000:]


def attacker_pair():
    sk = nacl.PrivateKey.generate()
    return sk, sk.public_key.encode()


def opens_with(sk, sealed):
    """Whether the attacker's key opens `sealed` (a stored envelope: the seal, then the MAC)."""
    try:
        nacl.SealedBox(sk).decrypt(bytes(sealed[:SEALED]))
        return True
    except Exception:
        return False


def officers_and_staff(srv, admin):
    srv.add_user(admin, "anna", ["officer"])
    srv.add_user(admin, "dave", ["staff"])
    srv.add_user(admin, "eve", ["staff"])
    a = srv.login("anna", PASSWORD)  # (her enrolment made the channel key, sealed to her)
    d = srv.login("dave", PASSWORD)
    return a, d


def test_a_swapped_channel_key_seals_nothing_to_it(make_server):
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m1 = filed_memo(srv, d, "Filed before " + marker(), "Body.\n")
    m2 = create_memo(srv, d, "Filed after " + marker(), "Body.\n")
    call(d, "POST", memo_url(srv, m2, "finalize"))
    call(d, "POST", memo_url(srv, m2, "signatures"), status=201)
    with open_db(srv) as c:
        ids = user_ids(c, ["anna"])
        anna_pk = c.execute("SELECT box_pk FROM users WHERE id = ?", (ids["anna"],)).fetchone()[0]
    sk, pk = attacker_pair()
    # a sealed box anyone can make; no MAC after it, for the attacker has no key to make one
    forged = nacl.SealedBox(nacl.PublicKey(anna_pk)).encrypt(sk.encode())
    # the attacker's channel key, "granted" to anna so that everything keeps working for her
    tamper(srv, ("UPDATE channel_key SET pk = ?", (pk,)),
           ("UPDATE channel_grants SET sealed = ? WHERE user_id = ?", (forged, ids["anna"])))
    a = srv.login("anna", PASSWORD)
    d = srv.login("dave", PASSWORD)
    # the channel key as the officers see it: not the pinned one, refused
    refused(a.get(srv.url + "/api/v1/channel", timeout=TIMEOUT))
    integrity_logged(srv, "channel key is not the pinned one")
    # filing would seal the memo key to the channel key: refused, nothing sealed
    refused(d.post(memo_url(srv, m2, "file"), timeout=TIMEOUT))
    assert call(d, "GET", memo_url(srv, m2)).json()["state"] == "open"  # not filed
    # the officer's forged grant opens nothing either
    refused(a.get(memo_url(srv, m1), timeout=TIMEOUT))
    integrity_logged(srv, "channel grant of")
    for (sealed,) in rows(srv, "SELECT sealed FROM memo_keys WHERE user_id = 0"):
        assert not opens_with(sk, sealed)
    # the real key back in the row, the forged grant kept: still refused (the grant's MAC)
    pinned = open(os.path.join(srv.data, "channel.pin")).read().split("\n")[1].split(" ")[1]
    tamper(srv, ("UPDATE channel_key SET pk = ?", (base64.b64decode(pinned),)))
    a = srv.login("anna", PASSWORD)
    refused(a.get(memo_url(srv, m1), timeout=TIMEOUT))


def test_a_deleted_channel_key_is_not_made_again(make_server):
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = create_memo(srv, d, "A memo", "Body.\n")
    call(d, "POST", memo_url(srv, m, "finalize"))
    call(d, "POST", memo_url(srv, m, "signatures"), status=201)
    # with the row and the grants gone, a new officer's enrolment, or `dissent channel init`,
    # would make a new key: the attacker would then wait for a key whose grant they could replace
    tamper(srv, ("DELETE FROM channel_grants", ()), ("DELETE FROM channel_key", ()))
    a = srv.login("anna", PASSWORD)
    srv.add_user(admin, "otto", ["officer"])
    res = srv.cli("channel", "init", "anna")
    assert res.returncode == 1, res.stdout + res.stderr
    assert rows(srv, "SELECT count(*) FROM channel_key")[0][0] == 0
    # filing is refused as what it is: the pinned key is gone from the database
    refused(d.post(memo_url(srv, m, "file"), timeout=TIMEOUT))
    assert call(d, "GET", memo_url(srv, m)).json()["state"] == "open"
    refused(a.get(srv.url + "/api/v1/channel", timeout=TIMEOUT))
    integrity_logged(srv, "deleted outside Dissent")


def test_a_swapped_user_key_gets_no_memo(make_server):
    srv = make_server(config={"channel": {"principals": "pia"}})
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    srv.add_user(admin, "pia", ["principal"])
    secret = marker()
    m = filed_memo(srv, d, "Filed " + secret, "Body.\n")
    sk, pk = attacker_pair()
    tamper(srv, ("UPDATE users SET box_pk = ? WHERE username = 'pia'", (pk,)))
    a = srv.login("anna", PASSWORD)
    # acknowledging distributes the memo to pia: her row fails its check, nothing is sealed
    refused(a.post(memo_url(srv, m, "acknowledge"), timeout=TIMEOUT))
    integrity_logged(srv, "account")
    with open_db(srv) as c:
        pia = user_ids(c, ["pia"])["pia"]
        keys = c.execute("SELECT sealed FROM memo_keys WHERE user_id IN (?, ?)",
                         (pia, user_ref(srv, pia))).fetchall()
    assert not any(opens_with(sk, s) for (s,) in keys)
    assert call(a, "GET", memo_url(srv, m)).json()["state"] == "filed"
    # the account itself cannot sign in
    refused(login_raw(srv.url, "pia", PASSWORD))


def test_a_forged_envelope_is_refused_and_nothing_is_encrypted_to_it(make_server):
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = create_memo(srv, d, "Draft " + marker(), "Body.\n")
    with open_db(srv) as c:
        dave = user_ids(c, ["dave"])["dave"]
        dave_pk = c.execute("SELECT box_pk FROM users WHERE id = ?", (dave,)).fetchone()[0]
        before = c.execute("SELECT title, body FROM memos").fetchall()
    # a memo key of the attacker's, sealed to dave: his next edit would be encrypted under it
    key = secrets.token_bytes(32)
    forged = nacl.SealedBox(nacl.PublicKey(dave_pk)).encrypt(key)
    tamper(srv, ("UPDATE memo_keys SET sealed = ? WHERE user_id = ?", (forged, user_ref(srv, dave))))
    d = srv.login("dave", PASSWORD)
    refused(d.get(memo_url(srv, m), timeout=TIMEOUT))
    refused(d.patch(memo_url(srv, m), json={"title": "Edited", "version": 1}, timeout=TIMEOUT))
    integrity_logged(srv, "memo key envelope of memo")
    assert rows(srv, "SELECT title, body FROM memos") == before
    # an envelope moved from another account is refused as well (the MAC binds account and memo)
    e = srv.login("eve", PASSWORD)
    m2 = create_memo(srv, e, "Eve's", "Body.\n")
    with open_db(srv) as c:
        eve = user_ids(c, ["eve"])["eve"]
        mid2 = c.execute("SELECT memo_id FROM memo_keys WHERE user_id = ?",
                         (user_ref(srv, eve),)).fetchone()[0]
    tamper(srv, ("INSERT INTO memo_keys (memo_id, user_id, sealed, at) SELECT memo_id, ?, sealed,"
                 " at FROM memo_keys WHERE user_id = ? AND memo_id = ?",
                 (user_ref(srv, dave), user_ref(srv, eve), mid2)))
    d = srv.login("dave", PASSWORD)
    r = d.get(memo_url(srv, m2), timeout=TIMEOUT)
    assert r.status_code in (404, 500), r.text  # not his memo: never its content
    assert "Eve's" not in r.text


def test_a_rewritten_account_cannot_sign_in(make_server):
    """Setting a known password hash and clearing the key columns made sign-in create new keys:
    the attacker then signed as someone else. Copying one's own hash and keys is refused too."""
    srv = make_server()
    admin = srv.admin()
    officers_and_staff(srv, admin)
    tamper(srv, ("UPDATE users SET pwhash = (SELECT pwhash FROM users WHERE username = 'eve'),"
                 " sign_pk = NULL, box_pk = NULL, key_salt = NULL, keys_wrapped = NULL"
                 " WHERE username = 'dave'", ()))
    refused(login_raw(srv.url, "dave", PASSWORD))
    integrity_logged(srv, "account")
    cols = "pwhash, sign_pk, box_pk, key_salt, keys_wrapped, key_ops, key_mem"
    with open_db(srv) as c:
        eve = c.execute("SELECT %s FROM users WHERE username = 'eve'" % cols).fetchone()
    sets = ", ".join("%s = ?" % col for col in cols.split(", "))
    tamper(srv, ("UPDATE users SET %s WHERE username = 'dave'" % sets, tuple(eve)))
    refused(login_raw(srv.url, "dave", PASSWORD))
    # the real user is not locked out of anything else, and the other accounts work
    assert login_raw(srv.url, "eve", PASSWORD).status_code == 200


def test_turning_two_factor_off_in_the_database_is_refused(make_server):
    srv = make_server()
    admin = srv.admin()
    officers_and_staff(srv, admin)
    d = srv.login("dave", PASSWORD)
    r = call(d, "POST", srv.url + "/api/v1/me/totp", {"password": PASSWORD})
    secret = r.json()["secret"]
    now = int(time.time())
    code = subprocess.run(["oathtool", "--totp", "-b", secret, "--now", "@%d" % now],
                          capture_output=True, text=True, check=True).stdout.strip()
    call(d, "POST", srv.url + "/api/v1/me/totp/confirm", {"code": code})
    assert_error(login_raw(srv.url, "dave", PASSWORD), 401, "totp_required")
    tamper(srv, ("UPDATE user_totp SET enabled = 0", ()))
    refused(login_raw(srv.url, "dave", PASSWORD))
    integrity_logged(srv, "two-factor (TOTP) row of account")
    # nor by deleting the row: the account's own row (under its MAC) says the factor is on
    tamper(srv, ("DELETE FROM user_totp", ()))
    refused(login_raw(srv.url, "dave", PASSWORD))
    integrity_logged(srv, "is missing while the account says it is on")


def test_a_forged_session_row_signs_nobody_in(make_server):
    srv = make_server()
    admin = srv.admin()
    officers_and_staff(srv, admin)
    token = secrets.token_urlsafe(32)
    now = int(time.time())
    with open_db(srv) as c:
        dave = user_ids(c, ["dave"])["dave"]
    tamper(srv, ("INSERT INTO sessions (hash, user_id, created_at, last_seen) VALUES (?,?,?,?)",
                 (hashlib.sha256(token.encode()).digest(), dave, now, now)))
    s = srv.session()
    s.headers.update(with_cookie(token))
    r = s.get(srv.url + "/api/v1/me", timeout=TIMEOUT)
    assert r.status_code in (401, 500), r.text
    assert "dave" not in r.text
    integrity_logged(srv, "session of account")


def test_an_older_database_is_adopted_once_then_checked(make_server):
    """The first start of a version that checks adopts the database as it is (every row gets
    its MAC, the channel key is pinned, every session ends); from then on it is checked."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = filed_memo(srv, d, "Filed " + marker(), "Body.\n")
    # what an older version left: no MACs (and envelopes without them), no bindings, no MAC
    # tiles, neither pin nor log state
    srv.stop()
    with open_db(srv, readonly=False) as c:
        c.execute("UPDATE users SET mac = NULL, key_binding = ''", ())
        c.execute("UPDATE sessions SET mac = NULL", ())
        c.execute("UPDATE user_totp SET mac = NULL", ())
        c.execute("DELETE FROM tlog_tiles WHERE level = -2", ())
        for (memo_id, user_id, sealed) in c.execute(
                "SELECT memo_id, user_id, sealed FROM memo_keys", ()).fetchall():
            c.execute("UPDATE memo_keys SET sealed = ? WHERE memo_id = ? AND user_id = ?",
                      (bytes(sealed[:SEALED]), memo_id, user_id))
        for (uid, sealed) in c.execute("SELECT user_id, sealed FROM channel_grants",
                                       ()).fetchall():
            c.execute("UPDATE channel_grants SET sealed = ? WHERE user_id = ?",
                      (bytes(sealed[:SEALED]), uid))
        c.commit()
    for name in ("channel.pin", "log.state"):
        os.remove(os.path.join(srv.data, name))
    srv.restart()
    assert "adopted the database as it is" in srv.log()
    assert "adopted the log as the database holds it" in srv.log()
    assert_error(a.get(memo_url(srv, m), timeout=TIMEOUT), 401)  # sessions ended
    a = srv.login("anna", PASSWORD)
    assert call(a, "GET", memo_url(srv, m)).json()["state"] == "filed"
    assert os.path.exists(os.path.join(srv.data, "channel.pin"))
    assert all(len(s) == SEALED + 32 for (s,) in rows(srv, "SELECT sealed FROM memo_keys"))
    # the log goes on, checked: every account's keys bound again, a checkpoint over it all
    from loghelpers import caught_up, fetch_entries, parse_entry
    size = caught_up(srv)[2]
    assert sum(parse_entry(e)["event"] == "keys-bound" for e in fetch_entries(srv.url, size)) == 8
    # once adopted, the same edit is refused
    tamper(srv, ("UPDATE users SET mac = NULL WHERE username = 'anna'", ()))
    refused(login_raw(srv.url, "anna", PASSWORD))


def test_a_data_directory_without_the_pin_is_refused(make_server):
    """A database whose rows carry MACs was written with a pin: a server or command pointed at
    another data directory (or one whose pin was lost) must not adopt it silently under another
    key, which would make the channel unreadable; adopting it is a deliberate command."""
    srv = make_server()
    admin = srv.admin()
    officers_and_staff(srv, admin)
    srv.stop()
    os.remove(os.path.join(srv.data, "channel.pin"))
    r = srv.cli("audit", "verify")
    assert r.returncode != 0 and "dissent trust adopt" in r.stderr, r.stdout + r.stderr
    assert not os.path.exists(os.path.join(srv.data, "channel.pin"))
    srv.proc.stdout.close()
    with pytest.raises(RuntimeError, match="dissent trust adopt"):
        srv._start("ab")  # the server refuses to start
    adopt_as_is(srv)  # the operator, knowingly
    srv.proc.stdout.close()
    srv._start("ab")
    assert login_raw(srv.url, "anna", PASSWORD).status_code == 200


def undo_channels(c):
    """A database as it was before the channels (migrations 26 and 27), the account's
    language in its row (28), a key per channel (29) and channel rows' versions (30)."""
    c.execute("CREATE TABLE ck (id INTEGER PRIMARY KEY CHECK (id = 1), pk BLOB NOT NULL,"
              " created_by INTEGER NOT NULL REFERENCES users(id), at INTEGER NOT NULL) STRICT")
    c.execute("INSERT INTO ck SELECT id, pk, created_by, at FROM channel_key")
    c.execute("DROP TABLE channel_key")
    c.execute("ALTER TABLE ck RENAME TO channel_key")
    c.execute("CREATE TABLE cg (user_id INTEGER PRIMARY KEY REFERENCES users(id),"
              " sealed BLOB NOT NULL, granted_by INTEGER NOT NULL REFERENCES users(id),"
              " at INTEGER NOT NULL) STRICT")
    c.execute("INSERT INTO cg SELECT user_id, sealed, granted_by, at FROM channel_grants")
    c.execute("DROP TABLE channel_grants")
    c.execute("ALTER TABLE cg RENAME TO channel_grants")
    c.execute("DROP TABLE channels")
    c.execute("ALTER TABLE memos DROP COLUMN channel_id")
    c.execute("ALTER TABLE users DROP COLUMN channels")
    c.execute("ALTER TABLE users DROP COLUMN language")


@sqlite_only
def test_a_dangling_reference_stops_a_migration_and_says_where(make_server):
    """A migration that makes a table again turns foreign keys off meanwhile, so its DROP does
    not cascade; every reference is checked before it commits. A row whose reference does not
    hold (written with the sqlite3 shell, whose foreign keys are off) stops it, named, with
    nothing changed (here migration 13 is run again over a database marked 12)."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    create_memo(srv, d, "A memo", "Body.\n")
    srv.stop()
    with open_db(srv, readonly=False) as c:
        c.execute("INSERT INTO comments (memo_id, body, at) VALUES (999999, x'00', 0)")
        # as migration 12 left it: no signature-count triggers yet (migration 23)
        for t in ("insert", "delete", "update"):
            c.execute(f"DROP TRIGGER signatures_count_{t}")
        c.execute("ALTER TABLE notify_prefs DROP COLUMN language")  # nor migration 25's column
        undo_channels(c)
        c.execute("PRAGMA user_version = 12")
        c.commit()
    srv.proc.stdout.close()
    with pytest.raises(RuntimeError, match="references do not hold, the first in table comments"):
        srv._start("ab")
    with open_db(srv) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 12
        assert c.execute("SELECT count(*) FROM memos WHERE drafter IS NOT NULL").fetchone()[0] == 1


@sqlite_only
def test_migration_23_counts_the_signatures_already_there(make_server):
    """Migration 23 keeps each memo's count of valid signatures in its row: over a database of
    version 22 (no column, no triggers) it fills the counts from the signatures there, and the
    triggers keep them from then on."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    two = filed_memo(srv, d, "Two signers", "Body.\n", cosigners={"eve": e})
    one = create_memo(srv, d, "One signer", "Body.\n")
    call(d, "POST", memo_url(srv, one, "finalize"))
    call(d, "POST", memo_url(srv, one, "signatures"), status=201)
    srv.stop()
    with open_db(srv, readonly=False) as c:
        for t in ("insert", "delete", "update"):
            c.execute(f"DROP TRIGGER signatures_count_{t}")
        c.execute("ALTER TABLE memos DROP COLUMN signers")
        c.execute("ALTER TABLE notify_prefs DROP COLUMN language")  # migration 25's
        undo_channels(c)
        c.execute("PRAGMA user_version = 22")
        c.commit()
    srv.proc.stdout.close()
    srv._start("ab")
    with open_db(srv) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 30  # the newest migration
        kept = dict(c.execute("SELECT public_id, signers FROM memos").fetchall())
        # the officer's grant became channel 1's (migration 29)
        assert c.execute("SELECT channel_id FROM channel_grants").fetchall() == [(1,)]
    assert kept == {two: 2, one: 1}, kept
    # and still opens the filed memo
    officer = srv.login("anna", PASSWORD)
    assert call(officer, "GET", memo_url(srv, two)).json()["title"] == "Two signers"
    d = srv.login("dave", PASSWORD)
    assert call(d, "GET", memo_url(srv, two)).json()["signer_count"] == 2
    call(d, "POST", memo_url(srv, one, "reopen"))  # voids: the trigger counts it
    with open_db(srv) as c:
        assert dict(c.execute("SELECT public_id, signers FROM memos").fetchall())[one] == 0


def test_every_key_pair_is_bound_and_logged(make_server):
    """Every account's public keys are bound to its log tag by a note the channel's binder key
    signs (published at /api/v1/channel/key), and every binding's hash is in the public log as a
    keys-bound entry: a key change is visible and counted, by tag, never by name."""
    from loghelpers import caught_up, fetch_entries, note_verified_by, parse_entry
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "dave", ["staff"])
    d = srv.login("dave", PASSWORD)
    vkey = call(d, "GET", srv.url + "/api/v1/channel/key").json()["binding_vkey"]
    assert vkey.startswith("dissent-key-binding+")

    def binding():
        with open_db(srv) as c:
            return c.execute("SELECT key_binding, log_tag, sign_pk, box_pk FROM users"
                             " WHERE username = 'dave'").fetchone()

    def bound_entries(tag):
        size = caught_up(srv)[2]
        return [f for f in map(parse_entry, fetch_entries(srv.url, size))
                if f["event"] == "keys-bound" and f["account"] == tag.hex()]

    note, tag, sign_pk, box_pk = binding()
    assert note_verified_by(note, vkey)
    assert note.split("\n\n")[0] + "\n" == (
        "dissent-key-binding/v1\naccount %s\nsign %s\nbox %s\n" % (
            tag.hex(), base64.b64encode(sign_pk).decode(), base64.b64encode(box_pk).decode()))
    (first,) = bound_entries(tag)
    assert first["binding"] == base64.b64encode(hashlib.sha256(note.encode()).digest()).decode()
    # new keys (a reset, then a new enrolment): a new binding, a second entry
    r = admin.post(srv.url + "/api/v1/users/dave/reset", timeout=TIMEOUT)
    srv.enrol("dave", r.json()["enrolment"]["code"], "dave's new passphrase")
    note2, tag2, _, _ = binding()
    assert tag2 == tag and note2 != note and note_verified_by(note2, vkey)
    assert [e["binding"] for e in bound_entries(tag)] == [first["binding"], base64.b64encode(
        hashlib.sha256(note2.encode()).digest()).decode()]
    stats = call(srv.session(), "GET", srv.url + "/api/v1/stats").json()
    assert stats["accounts"]["keys-bound"] == 3  # the first admin's, and dave's two
    # a binding moved from another account (here: the admin's) does not bind dave's keys
    with open_db(srv) as c:
        admin_note = c.execute(
            "SELECT key_binding FROM users WHERE username = 'admin'").fetchone()[0]
    tamper(srv, ("UPDATE users SET key_binding = ? WHERE username = 'dave'", (admin_note,)))
    refused(login_raw(srv.url, "dave", "dave's new passphrase"))


# ---- the transparency log ----------------------------------------------------------------------

def log_rows(c, level, idx):
    row = c.execute("SELECT width, data FROM tlog_tiles WHERE level = ? AND idx = ?",
                    (level, idx)).fetchone()
    return (row[0], bytes(row[1])) if row else (0, b"")


def forge_append(srv, entry):
    """Append `entry` to the stopped server's log as the database attacker can: entry bundle,
    level-0 hash tile and size (the log is small: no upper tile changes). No MAC: no key."""
    from loghelpers import leaf_hash
    with open_db(srv, readonly=False) as c:
        n = c.execute("SELECT size FROM tlog_state").fetchone()[0]
        assert (n + 1) % 256 != 0
        w, bundle = log_rows(c, -1, n // 256)
        w0, hashes = log_rows(c, 0, n // 256)
        assert w == w0 == n % 256
        for level, data in ((-1, bundle + len(entry).to_bytes(2, "big") + entry),
                            (0, hashes + leaf_hash(entry))):
            c.execute("DELETE FROM tlog_tiles WHERE level = ? AND idx = ?", (level, n // 256))
            c.execute("INSERT INTO tlog_tiles (level, idx, width, data) VALUES (?,?,?,?)",
                      (level, n // 256, w + 1, data))
        c.execute("UPDATE tlog_state SET size = ?", (n + 1,))
        c.commit()
    return n


def log_stopped(srv, signed_size, stats):
    """The log is stopped: /readyz says so, no checkpoint past `signed_size`, and the statistics
    are still those of the signed entries (`stats`): the forged one is never counted."""
    from loghelpers import checkpoint
    assert call(srv.session(), "GET", srv.url + "/api/v1/stats").json() == stats
    assert_error(srv.session().get(srv.url + "/readyz", timeout=TIMEOUT), 503, "log_stopped")
    assert checkpoint(srv.url)[2] == signed_size
    assert "the transparency log is stopped" in srv.log()


def test_a_forged_log_entry_is_never_signed_nor_counted(make_server):
    from loghelpers import caught_up, parse_entry, fetch_entries
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = filed_memo(srv, d, "Filed", "Body.\n")
    size = caught_up(srv)[2]
    stats = call(srv.session(), "GET", srv.url + "/api/v1/stats").json()
    # a phantom filing with 1,000 signers, made from a real entry's shape
    filed = [e for e in fetch_entries(srv.url, size) if parse_entry(e)["event"] == "filed"][0]
    phantom = filed.replace(b"signers 1\n", b"signers 1000\n").replace(
        filed.split(b"\n")[2], b"memo " + secrets.token_hex(16).encode())
    srv.stop()
    forge_append(srv, phantom)
    srv.restart()
    log_stopped(srv, size, stats)
    # nothing is appended after it either: events that must be logged wait, loudly
    a = srv.login("anna", PASSWORD)
    refused(a.post(memo_url(srv, m, "acknowledge"), timeout=TIMEOUT))
    assert call(a, "GET", memo_url(srv, m)).json()["state"] == "filed"
    log_stopped(srv, size, stats)
    assert stats["filings_per_month"]  # what was counted before stays what it was
    assert sum(stats["filings_per_month"].values()) == 1


def test_a_rewritten_log_entry_stops_the_log(make_server):
    """Rewriting a signed entry (and its hashes, consistently) made a second checkpoint of the
    same size with another root: now the server never signs a tree that does not extend the
    last one it signed (log.state, beside log.skey)."""
    from loghelpers import caught_up, checkpoint, leaf_hash
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    filed_memo(srv, d, "Filed", "Body.\n")
    note, _, size, root = caught_up(srv)
    srv.stop()
    with open_db(srv, readonly=False) as c:
        w, bundle = log_rows(c, -1, 0)
        w0, hashes = log_rows(c, 0, 0)
        from loghelpers import parse_bundle
        entries = parse_bundle(bundle)
        k = next(i for i, e in enumerate(entries) if b"event filed\n" in e)
        entries[k] = entries[k].replace(b"signers 1\n", b"signers 9\n")
        bundle = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
        hashes = hashes[:32 * k] + leaf_hash(entries[k]) + hashes[32 * (k + 1):]
        for level, data in ((-1, bundle), (0, hashes)):
            c.execute("UPDATE tlog_tiles SET data = ? WHERE level = ? AND idx = 0", (data, level))
        c.execute("DELETE FROM tlog_checkpoints WHERE size = ?", (size,))  # and hide the old one
        c.commit()
    srv.restart()
    refused(srv.session().get(srv.url + "/api/v1/stats", timeout=TIMEOUT))
    assert_error(srv.session().get(srv.url + "/readyz", timeout=TIMEOUT), 503, "log_stopped")
    r = srv.session().get(srv.url + "/log/checkpoint", timeout=TIMEOUT)
    assert r.status_code != 200 or r.text == note or checkpoint(srv.url)[2] < size
    with open_db(srv) as c:
        sizes = [s for (s,) in c.execute("SELECT size FROM tlog_checkpoints").fetchall()]
    assert size not in sizes, "a second checkpoint of the same size was signed"
    assert "rewritten" in srv.log()


# ---- content bound to its version --------------------------------------------------------------

def test_an_earlier_text_put_back_is_neither_shown_nor_signed(make_server):
    """A draft's earlier ciphertext put back after it was finalized: a co-signer would read
    version 1 and sign version 2's digest. The memo row's MAC (over its texts' hashes) refuses
    it; behind it, the text is checked against its digest on every read that shows it and
    before every signature."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    m = create_memo(srv, d, "A memo", "Version one, with a source's name.\n")
    with open_db(srv) as c:
        v1 = c.execute("SELECT body FROM memos").fetchone()[0]
    r = call(d, "PATCH", memo_url(srv, m), {"body": "Version two.\n"},
             headers={"If-Match": '"1"'})
    call(d, "POST", memo_url(srv, m, "invitations"), {"usernames": ["eve"]})
    call(d, "POST", memo_url(srv, m, "finalize"))
    call(d, "POST", memo_url(srv, m, "signatures"), status=201)
    with open_db(srv) as c:
        v2 = c.execute("SELECT body FROM memos").fetchone()[0]
    tamper(srv, ("UPDATE memos SET body = ?", (v1,)))
    e = srv.login("eve", PASSWORD)
    r = e.get(memo_url(srv, m), timeout=TIMEOUT)
    refused(r)
    assert "source" not in r.text
    refused(e.post(memo_url(srv, m, "signatures"), timeout=TIMEOUT))
    refused(e.get(memo_url(srv, m, "bundle"), timeout=TIMEOUT))
    integrity_logged(srv, "fails its integrity check")
    with open_db(srv) as c:
        eve = user_ids(c, ["eve"])["eve"]
        assert c.execute("SELECT count(*) FROM signatures WHERE user_id = ?",
                         (user_ref(srv, eve),)).fetchone()[0] == 0
    # the text back as it was: readable and signable again
    tamper(srv, ("UPDATE memos SET body = ?", (v2,)))
    e = srv.login("eve", PASSWORD)
    assert call(e, "GET", memo_url(srv, m)).json()["body"] == "Version two.\n"
    call(e, "POST", memo_url(srv, m, "signatures"), status=201)


def test_rows_swapped_between_accounts_are_refused(make_server):
    """Sessions, envelopes and relations name accounts by id: an officer's whole row moved under
    the id of an account the attacker holds a session for would hand that session the officer's
    powers. Every account's MAC covers its id."""
    srv = make_server()
    admin = srv.admin()
    officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    cols = ("username, display_name, email, roles, pwhash, disabled, created_at, updated_at,"
            " version, sign_pk, box_pk, key_salt, keys_wrapped, recovery_wrapped, key_ops,"
            " key_mem, enrol_hash, enrol_expires, recovery_at, flags, log_tag, reset_at,"
            " confirm_by, reset_memo, mac, key_binding")
    with open_db(srv) as c:
        ids = user_ids(c, ["eve", "anna"])
        rows_ = {n: c.execute("SELECT %s FROM users WHERE id = ?" % cols, (ids[n],)).fetchone()
                 for n in ids}
    sets = ", ".join("%s = ?" % col.strip() for col in cols.split(","))
    tamper(srv, ("UPDATE users SET username = 'swap-tmp' WHERE id = ?", (ids["eve"],)),
           ("UPDATE users SET %s WHERE id = ?" % sets, tuple(rows_["eve"]) + (ids["anna"],)),
           ("UPDATE users SET %s WHERE id = ?" % sets, tuple(rows_["anna"]) + (ids["eve"],)))
    r = e.get(srv.url + "/api/v1/me", timeout=TIMEOUT)
    refused(r)
    assert "officer" not in r.text
    integrity_logged(srv, "account %d fails" % ids["eve"])


def test_a_signature_row_written_into_the_database_is_not_counted(make_server):
    """The signer count goes into the public log: a signature row the database attacker adds
    (here, the drafter's real row copied under the pseudonym of another member, which the
    attacker reads from memo_members) is checked before it counts, and is not counted."""
    from loghelpers import caught_up, fetch_entries, parse_entry
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = create_memo(srv, d, "A memo", "Body.\n")
    call(d, "POST", memo_url(srv, m, "invitations"), {"usernames": ["eve"]})
    call(d, "POST", memo_url(srv, m, "finalize"))
    call(d, "POST", memo_url(srv, m, "signatures"), status=201)
    with open_db(srv) as c:
        (member,) = c.execute("SELECT user_id FROM memo_members").fetchone()
        assert c.execute("SELECT count(*) FROM signatures").fetchone()[0] == 1
    tamper(srv, ("INSERT INTO signatures (memo_id, user_id, note, vkey, created_at, who)"
                 " SELECT memo_id, ?, note, vkey, created_at, who FROM signatures", (member,)))
    d = srv.login("dave", PASSWORD)
    r = call(d, "POST", memo_url(srv, m, "file"))
    size = caught_up(srv)[2]
    filed = [f for f in map(parse_entry, fetch_entries(srv.url, size)) if f["event"] == "filed"]
    assert [f["signers"] for f in filed] == ["1"], (filed, r.json()["signer_count"])
    integrity_logged(srv, "a signature row of memo")
    assert [s["username"] for s in call(d, "GET", memo_url(srv, m)).json()["signers"]] == \
        ["dave"]


@sqlite_only
def test_a_memo_row_moved_onto_an_envelope_finds_none(make_server):
    """Envelopes are found by the memo's internal id, which the database attacker can change:
    they move a victim's memo row onto the id of a memo of theirs to which they invited the
    victim, so that the victim's next edit would be encrypted under a key they know. The memo
    row's MAC binds its id, and the envelope's MAC the memo's random public id too: the moved
    row is refused."""
    from nacl import bindings, pwhash
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    bait = create_memo(srv, e, "Eve's", "Body.\n")
    call(e, "POST", memo_url(srv, bait, "invitations"), {"usernames": ["dave"]})
    victim = create_memo(srv, d, "Dave's", "Body.\n")
    with open_db(srv) as c:
        ids = user_ids(c, ["dave", "eve"])
        mids = dict(c.execute("SELECT public_id, id FROM memos").fetchall())
        # the attacker opens her own envelope of the bait: she knows its key
        salt, wrapped, ops, mem = c.execute("SELECT key_salt, keys_wrapped, key_ops, key_mem"
                                             " FROM users WHERE username = 'eve'").fetchone()
        # (the tests compute the pseudonyms from channel.skey; the attacker finds them in the
        # rows of the memos they drafted and invited the victim to)
        refs = user_refs(srv, ids)
        sealed = c.execute("SELECT sealed FROM memo_keys WHERE memo_id = ? AND user_id = ?",
                           (mids[bait], refs["eve"])).fetchone()[0]
        envelope = c.execute("SELECT sealed FROM memo_keys WHERE memo_id = ? AND user_id = ?",
                             (mids[bait], refs["dave"])).fetchone()[0]
    kek = pwhash.argon2id.kdf(32, PASSWORD.encode(), salt, opslimit=ops, memlimit=mem)
    sk = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(wrapped[24:], b"eve", wrapped[:24],
                                                            kek)[64:96]
    bait_key = nacl.SealedBox(nacl.PrivateKey(sk)).decrypt(bytes(sealed[:SEALED]))
    b, v = mids[bait], mids[victim]
    # the bait goes, the victim's memo takes its id, with dave's envelope of the bait
    tamper(srv, *[(sql, ()) for sql in (
        "DELETE FROM memo_keys WHERE memo_id IN (%d, %d)" % (b, v),
        "DELETE FROM memo_members WHERE memo_id = %d" % b,
        "DELETE FROM memo_events WHERE memo_id = %d" % b,
        "DELETE FROM comments WHERE memo_id = %d" % b,
        "DELETE FROM audit WHERE memo_id = %d" % b,
        "DELETE FROM memos WHERE id = %d" % b,
        "UPDATE memos SET id = %d WHERE id = %d" % (b, v),
        "UPDATE memo_members SET memo_id = %d WHERE memo_id = %d" % (b, v),
        "UPDATE memo_events SET memo_id = %d WHERE memo_id = %d" % (b, v),
    )], ("INSERT INTO memo_keys (memo_id, user_id, sealed, at) VALUES (?, ?, ?, 0)",
         (b, refs["dave"], envelope)))
    d = srv.login("dave", PASSWORD)
    refused(d.patch(memo_url(srv, victim), json={"title": "The source is Jane"},
                    headers={"If-Match": '"1"'}, timeout=TIMEOUT))
    integrity_logged(srv, "memo %d fails its integrity check" % b)
    with open_db(srv) as c:
        title = c.execute("SELECT title FROM memos WHERE id = ?", (b,)).fetchone()[0]
    with pytest.raises(Exception):  # nothing the attacker's key opens
        bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(title[24:]), (victim + "/title").encode(), bytes(title[:24]), bait_key)


def test_an_account_id_is_never_given_twice(make_server):
    """SQLite gives the highest id again once its row is gone (and a PostgreSQL sequence can be
    set back): the attacker saves their session row, deletes their account, waits for an
    administrator to create one, and puts the session back. The new account never gets the
    deleted one's id (channel.pin records the highest id issued), so nothing the rows name by
    that id becomes its own; and a session's MAC binds its owner's random log tag besides."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "zed", ["staff"])  # the newest account: the highest id
    z = srv.login("zed", PASSWORD)
    token = z.cookies.get("dissent_session")
    with open_db(srv) as c:
        zid = user_ids(c, ["zed"])["zed"]
        row = c.execute("SELECT hash, user_id, created_at, last_seen, keys_wrapped, mac"
                        " FROM sessions WHERE user_id = ?", (zid,)).fetchone()
    assert "accounts %d\n" % zid in open(os.path.join(srv.data, "channel.pin")).read()
    back = ([("DELETE FROM sessions WHERE user_id = ?", (zid,)),
             ("DELETE FROM users WHERE id = ?", (zid,))] +
            ([("SELECT setval(pg_get_serial_sequence('users', 'id'), %d)" % (zid - 1), ())]
             if srv.db else []))
    tamper(srv, *back)
    with open_db(srv) as c:
        assert c.execute("SELECT coalesce(max(id), 0) FROM users").fetchone()[0] < zid
    admin = srv.admin()
    srv.add_user(admin, "root2", ["admin"])
    srv.add_user(admin, "root3", ["staff"])
    with open_db(srv) as c:
        got = user_ids(c, ["root2", "root3"])
    assert got == {"root2": zid + 1, "root3": zid + 2}, (zid, got)  # never the deleted one's
    if srv.db:
        return  # (PostgreSQL's reference from sessions to users keeps the row out)
    tamper(srv, ("INSERT INTO sessions (hash, user_id, created_at, last_seen, keys_wrapped, mac)"
                 " VALUES (?,?,?,?,?,?)", tuple(row)))
    s = srv.session()
    s.headers.update(with_cookie(token))
    r = s.get(srv.url + "/api/v1/me", timeout=TIMEOUT)
    assert r.status_code == 401, r.text
    assert "root2" not in r.text


def test_an_email_written_into_the_outbox_is_never_sent(make_server):
    """The outbox sends what its rows say, from the channel's real sender: a row the database
    attacker writes (a phishing email, or a real one redirected) has no valid MAC, is never sent,
    and is marked failed."""
    from test_mail import Sink, mail_config
    sink = Sink()
    sink.start()
    try:
        srv = make_server(config=mail_config(sink.port))
        admin = srv.admin()
        srv.add_user(admin, "dave", ["staff"], email="dave@example.org")
        srv.stop()
        with open_db(srv, readonly=False) as c:
            c.execute("INSERT INTO outbox (dedupe, kind, user_id, rcpt, subject, body, status,"
                      " attempts, next_at, created_at) VALUES (?,?,?,?,?,?,0,0,0,0)",
                      ("forged-1", "notification", 0, "dave@example.org",
                       "Dissent: enrol again", "Enrol again at https://evil.example/\n"))
            c.commit()
        srv.restart()
        deadline = time.time() + 15
        while time.time() < deadline:
            with open_db(srv) as c:
                status = c.execute("SELECT status FROM outbox WHERE dedupe = 'forged-1'"
                                   ).fetchone()[0]
            if status != 0:
                break
            time.sleep(0.2)
        assert status == 2, status  # failed, never sent
        time.sleep(1.5)  # a poll more
        with sink.lock:
            assert not any("evil.example" in m.as_string() for _, m in sink.messages)
        integrity_logged(srv, "outbox row")
    finally:
        sink.stop()


# ---- content bound to where it belongs (core/content.h) ------------------------------------

def timeline(srv, s, m):
    return {e["event"]: e.get("detail") for e in call(s, "GET", memo_url(srv, m)).json()["timeline"]}


def acknowledged_and_extended(srv, a, d, reason):
    """A filed memo, acknowledged by anna and extended by one day with @reason."""
    m = filed_memo(srv, d, "Extended " + marker(), "Body.\n")
    r = call(a, "POST", memo_url(srv, m, "acknowledge"))
    due = r.json()["deadlines"]["reply"]["due"]
    import datetime
    from conftest import add_working_days
    until = add_working_days(datetime.date.fromisoformat(due), 1).isoformat()
    call(a, "POST", memo_url(srv, m, "extend"), {"until": until, "reason": reason})
    return m, until


def test_a_comment_cannot_be_given_another_author(make_server):
    """Comments shared one associated-data string per memo: swapping two rows' authors (or
    bodies) showed one person's words under another's name. Each is now sealed to its author
    and time."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = filed_memo(srv, d, "Commented " + marker(), "Body.\n")
    call(d, "POST", memo_url(srv, m, "comments"), {"body": "The drafter's comment."}, 201)
    call(a, "POST", memo_url(srv, m, "comments"), {"body": "The officer's comment."}, 201)
    with open_db(srv) as c:
        (i1, au1, b1), (i2, au2, b2) = c.execute(
            "SELECT id, author, body FROM comments ORDER BY id").fetchall()
        ids = user_ids(c, ["anna", "dave"])
    # the authors' sealed ids swapped (both comments of one second, so each opens there)
    tamper(srv, ("UPDATE comments SET author = ? WHERE id = ?", (au2, i1)),
           ("UPDATE comments SET author = ? WHERE id = ?", (au1, i2)))
    a = srv.login("anna", PASSWORD)
    cs = call(a, "GET", memo_url(srv, m, "comments")).json()["comments"]
    assert [c["body"] for c in cs] == [None, None], cs
    assert [c["author"] for c in cs] == [None, None], cs  # nor each other's names
    integrity_logged(srv, "a comment of memo %s does not open where it is stored" % m)
    # an author named in clear, as an older version wrote: nobody, and the text not shown
    tamper(srv, ("UPDATE comments SET author = NULL, author_id = ? WHERE id = ?",
                 (ids["anna"], i1)))
    a = srv.login("anna", PASSWORD)
    cs = call(a, "GET", memo_url(srv, m, "comments")).json()["comments"]
    assert cs[0]["body"] is None and cs[0]["author"] in ("", None), cs
    integrity_logged(srv, "names its actor in clear")
    # the authors back, the bodies swapped instead: the same
    tamper(srv, ("UPDATE comments SET author = ?, author_id = NULL, body = ? WHERE id = ?",
                 (au1, b2, i1)),
           ("UPDATE comments SET author = ?, body = ? WHERE id = ?", (au2, b1, i2)))
    a = srv.login("anna", PASSWORD)
    cs = call(a, "GET", memo_url(srv, m, "comments")).json()["comments"]
    assert [c["body"] for c in cs] == [None, None], cs
    # as written: shown
    tamper(srv, ("UPDATE comments SET body = ? WHERE id = ?", (b1, i1)),
           ("UPDATE comments SET body = ? WHERE id = ?", (b2, i2)))
    a = srv.login("anna", PASSWORD)
    cs = call(a, "GET", memo_url(srv, m, "comments")).json()["comments"]
    assert [c["body"] for c in cs] == ["The drafter's comment.", "The officer's comment."]


def test_a_clear_or_moved_timeline_detail_is_never_shown(make_server):
    """A text without the "enc:" prefix was shown as authentic (a fake extension reason); an
    encrypted detail could be moved to another event. Neither is shown now."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m, until = acknowledged_and_extended(srv, a, d, "Consulting the bureaus.")
    t = timeline(srv, a, m)
    assert t["extended"] == "until %s: Consulting the bureaus." % until
    with open_db(srv) as c:
        ext = c.execute("SELECT id, detail FROM memo_events WHERE kind = 'extended'").fetchone()
        ack = c.execute("SELECT id FROM memo_events WHERE kind = 'acknowledged'").fetchone()[0]
        assert ext[1].startswith("enc:")
        assert all(dt is None or dt.startswith("enc:")
                   for (dt,) in c.execute("SELECT detail FROM memo_events").fetchall())
    forged = "until 2030-01-01: approved by the Secretary"
    tamper(srv, ("UPDATE memo_events SET detail = ? WHERE id = ?", (forged, ext[0])),
           ("UPDATE memo_events SET detail = ? WHERE id = ?", (ext[1], ack)))
    a = srv.login("anna", PASSWORD)
    r = a.get(memo_url(srv, m), timeout=TIMEOUT)
    assert r.status_code == 200 and "Secretary" not in r.text and "bureaus" not in r.text
    t = {e["event"]: e for e in r.json()["timeline"]}
    assert t["extended"]["detail"] is None and t["acknowledged"]["detail"] is None
    integrity_logged(srv, "a event of memo %s does not open where it is stored" % m)


def test_a_title_and_body_of_two_edits_are_refused(make_server):
    """An older title put beside a newer body, in a draft (which has no digest yet): the memo
    row's MAC refuses it; behind it, title and body are written together, of one content
    version, and two versions are an integrity error."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = create_memo(srv, d, "Title one, naming a source", "Body one.\n")
    with open_db(srv) as c:
        t1, b1 = c.execute("SELECT title, body FROM memos").fetchone()
    call(d, "PATCH", memo_url(srv, m), {"body": "Body two.\n"}, headers={"If-Match": '"1"'})
    with open_db(srv) as c:
        t2, b2 = c.execute("SELECT title, body FROM memos").fetchone()
    assert bytes(t2) != bytes(t1)  # the title was written again with the body's version
    tamper(srv, ("UPDATE memos SET title = ?", (t1,)))
    d = srv.login("dave", PASSWORD)
    r = d.get(memo_url(srv, m), timeout=TIMEOUT)
    refused(r)
    assert "source" not in r.text
    integrity_logged(srv, "fails its integrity check")
    # an edit on top of it is refused too, and writes nothing
    refused(d.patch(memo_url(srv, m), json={"body": "Body three.\n"},
                    headers={"If-Match": '"2"'}, timeout=TIMEOUT))
    with open_db(srv) as c:
        assert bytes(c.execute("SELECT body FROM memos").fetchone()[0]) == bytes(b2)
    tamper(srv, ("UPDATE memos SET title = ?", (t2,)))
    d = srv.login("dave", PASSWORD)
    got = call(d, "GET", memo_url(srv, m)).json()
    assert (got["title"], got["body"]) == ("Title one, naming a source", "Body two.\n")


def test_stored_texts_are_padded_to_size_buckets(make_server):
    """A stolen backup tells a text's length only to within a factor of two (at least 256)."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    create_memo(srv, d, "T", "x")
    create_memo(srv, d, "A much longer title of some sixty characters, give or take",
                "y" * 230)
    create_memo(srv, d, "T", "z" * 300)
    with open_db(srv) as c:
        sizes = [(len(t), len(b)) for (t, b) in
                 c.execute("SELECT title, body FROM memos ORDER BY id").fetchall()]
    overhead = 24 + 16  # nonce and tag
    assert sizes == [(256 + overhead, 256 + overhead), (256 + overhead, 256 + overhead),
                     (256 + overhead, 512 + overhead)], sizes


def open_sealed_text(srv, ad, text):
    """A "sealed:" text of the server (integrity.c integ_text_open()), opened as the server
    would: the tests read channel.skey, the database attacker never does."""
    from keyhelpers import _integrity_key
    from nacl import bindings
    assert text.startswith("sealed:"), text
    raw = base64.urlsafe_b64decode(text[7:] + "=" * (-len(text[7:]) % 4))
    return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
        raw[24:], ad.encode(), raw[:24], _integrity_key(srv, "dissent-text")).decode()


def as_an_earlier_version_named_people(srv, c, ids):
    """Put back what a version before pseudonyms wrote (store.h, "Who"): the drafter, members,
    signers and key holders by account id, nobody sealed, signatures' notes and vkeys in clear."""
    by_ref = {user_ref(srv, i): i for i in ids.values()}
    for (mid, ref) in c.execute("SELECT id, drafter_id FROM memos").fetchall():
        c.execute("UPDATE memos SET drafter_id = ?, drafter = NULL WHERE id = ?",
                  (by_ref[ref], mid))
    for (mid, ref) in c.execute("SELECT memo_id, user_id FROM memo_members").fetchall():
        c.execute("UPDATE memo_members SET user_id = ?, who = NULL WHERE memo_id = ? AND "
                  "user_id = ?", (by_ref[ref], mid, ref))
    for (sid, mid, pub, ref, at, note, vkey) in c.execute(
            "SELECT s.id, s.memo_id, m.public_id, s.user_id, s.created_at, s.note, s.vkey"
            " FROM signatures s JOIN memos m ON m.id = s.memo_id").fetchall():
        ad = "dissent-signature/1 %d %s %d %d " % (mid, pub, ref, at)
        c.execute("UPDATE signatures SET user_id = ?, who = NULL, note = ?, vkey = ? "
                  "WHERE id = ?", (by_ref[ref], open_sealed_text(srv, ad + "note", note),
                                   open_sealed_text(srv, ad + "vkey", vkey), sid))
    for (mid, ref) in c.execute("SELECT memo_id, user_id FROM memo_keys WHERE user_id != 0"
                                ).fetchall():
        c.execute("UPDATE memo_keys SET user_id = ? WHERE memo_id = ? AND user_id = ?",
                  (by_ref[ref], mid, ref))


def test_the_database_names_nobody_who_drafted_was_invited_signed_or_holds_a_key(make_server):
    """A stolen database (or its administrator) learns from the rows of a memo neither who
    drafted it, nor who was invited, signed or holds its key: those columns hold pseudonyms
    (keyed by the server), the ids beside them and the signatures' notes and vkeys are sealed."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    m = filed_memo(srv, d, "Filed " + marker(), "Body.\n", cosigners={"eve": e})
    srv.stop()
    with open_db(srv) as c:
        ids = user_ids(c, ["admin", "anna", "dave", "eve"])
        people = [v for (v,) in c.execute(
            "SELECT drafter_id FROM memos UNION ALL SELECT user_id FROM memo_members"
            " UNION ALL SELECT user_id FROM signatures UNION ALL SELECT user_id FROM memo_keys"
            " WHERE user_id != 0").fetchall()]
        texts = [t for row in c.execute("SELECT note, vkey FROM signatures").fetchall()
                 for t in row]
        names = c.execute("SELECT username FROM users").fetchall()
        keys = [k for row in c.execute("SELECT sign_pk, box_pk FROM users").fetchall()
                for k in row if k]
    assert len(people) >= 6 and all(p >= 1 << 62 for p in people), people
    assert not set(people) & set(ids.values())
    assert user_ref(srv, ids["dave"]) in people and user_ref(srv, ids["eve"]) in people
    assert len(texts) == 4 and all(t.startswith("sealed:") for t in texts), texts
    for t in texts:
        # the sealed bytes, not their base64 (where a three-letter name turns up by chance once
        # in a few hundred runs): no name, no key in them
        raw = base64.urlsafe_b64decode(t[7:] + "=" * (-len(t[7:]) % 4))
        assert not any(n.encode() in raw for (n,) in names)
        assert not any(k[:15] in raw for k in keys)
    srv.restart()
    d = srv.login("dave", PASSWORD)
    got = call(d, "GET", memo_url(srv, m)).json()
    assert got["drafter"]["username"] == "dave"
    assert [s["username"] for s in got["signers"]] == ["dave", "eve"]


def test_a_relation_row_written_into_the_database_relates_nobody(make_server):
    """The database attacker reads an account's pseudonym from a memo it was invited to, and
    writes a relation row under it into another memo: to list that memo to a co-signer who was
    never invited, or to recuse an officer from a filed memo (an officer invited to sign a memo
    does not answer it). The row's sealed id is not theirs (none, or one sealed to another
    memo): it relates nobody, and is logged. A row planted before a genuine invitation does not
    hide it either: the invitation seals the row anew."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "anna", ["officer", "staff"])
    srv.add_user(admin, "dave", ["staff"])
    srv.add_user(admin, "eve", ["staff"])
    a = srv.login("anna", PASSWORD)
    d = srv.login("dave", PASSWORD)
    e = srv.login("eve", PASSWORD)
    bait = create_memo(srv, d, "Bait", "Body.\n")
    call(d, "POST", memo_url(srv, bait, "invitations"), {"usernames": ["anna", "eve"]})
    target = filed_memo(srv, d, "Filed " + marker(), "Body.\n")
    later = create_memo(srv, d, "Later", "Body.\n")
    with open_db(srv) as c:
        mids = dict(c.execute("SELECT public_id, id FROM memos").fetchall())
        members = c.execute("SELECT user_id, who FROM memo_members WHERE memo_id = ?",
                            (mids[bait],)).fetchall()
    assert len(members) == 2
    planted = [("INSERT INTO memo_members (memo_id, user_id, relation, at, who) VALUES "
                "(?, ?, 1, 0, ?)", (mids[target], ref, who)) for ref, who in members]
    planted.append(("INSERT INTO memo_members (memo_id, user_id, relation, at, who) VALUES "
                    "(?, ?, 0, 0, ?)", (mids[later], user_ref(srv, user_ids(
                        open_db(srv), ["eve"])["eve"]), None)))
    tamper(srv, *planted)
    a = srv.login("anna", PASSWORD)
    e = srv.login("eve", PASSWORD)
    d = srv.login("dave", PASSWORD)
    # eve is not invited to the filed memo: not listed, not found
    listed = {x["id"] for x in call(e, "GET", srv.url + "/api/v1/memos").json()["memos"]}
    assert target not in listed and bait in listed, listed
    assert_error(e.get(memo_url(srv, target), timeout=TIMEOUT), 404)
    integrity_logged(srv, "member row of memo %d" % mids[target])
    # anna is not recused: she acknowledges it
    call(a, "POST", memo_url(srv, target, "acknowledge"))
    # the row planted before a genuine invitation: the invitation is seen, and opens
    call(d, "POST", memo_url(srv, later, "invitations"), {"usernames": ["eve"]})
    got = call(d, "GET", memo_url(srv, later)).json()
    assert [i["username"] for i in got["invitations"]] == ["eve"], got["invitations"]
    assert call(e, "GET", memo_url(srv, later)).json()["title"] == "Later"


def test_pseudonyms_come_once_to_a_database_converted_before(make_server):
    """A database the previous version converted ("converted 1": actors sealed) still names
    drafters, members, signers and key holders by id, and keeps its emails in clear: the first
    start of this version converts those once ("converted 3"), and everything reads as before."""
    import socket
    with socket.socket() as s:  # a closed port: the email waits in the outbox
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = make_server(config={"mail": {
        "enabled": "true", "host": "127.0.0.1", "port": str(port), "from": "d@example.org",
        "base_url": "https://dissent.example/", "backoff_base": "3600", "poll_interval": "1"}})
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    call(admin, "PATCH", srv.url + "/api/v1/users/eve", {"email": "eve@example.org"})
    e = srv.login("eve", PASSWORD)
    m = filed_memo(srv, d, "Filed " + marker(), "Body.\n", cosigners={"eve": e})
    srv.stop()
    with open_db(srv) as c:
        (sealed,) = c.execute("SELECT body FROM outbox WHERE kind = 'notification' ORDER BY id"
                              " LIMIT 1").fetchone()
        (oid, dedupe) = c.execute("SELECT id, dedupe FROM outbox WHERE body = ?",
                                  (sealed,)).fetchone()
    email = open_sealed_text(srv, "dissent-outbox/1 " + dedupe, sealed)
    uid, rcpt, subject, body = email.split("\n", 3)
    assert rcpt == "eve@example.org" and subject and body, email
    pin = os.path.join(srv.data, "channel.pin")
    text = open(pin).read()
    with open_db(srv, readonly=False) as c:
        as_an_earlier_version_named_people(srv, c, user_ids(c, ["anna", "dave", "eve"]))
        c.execute("UPDATE outbox SET user_id = ?, rcpt = ?, subject = ?, body = ?, attempts = 0,"
                  " next_at = 0, status = 0 WHERE id = ?", (int(uid), rcpt, subject, body, oid))
        c.commit()
    with open(pin, "w") as f:
        f.write(text.replace("converted 3\n", "converted 1\n"))
    srv.restart()
    assert "to pseudonyms" in srv.log()
    assert open(pin).read() == text
    d = srv.login("dave", PASSWORD)
    got = call(d, "GET", memo_url(srv, m)).json()
    assert got["drafter"]["username"] == "dave"
    assert [s["username"] for s in got["signers"]] == ["dave", "eve"]
    srv.stop()
    with open_db(srv) as c:
        row = c.execute("SELECT user_id, rcpt, subject, body FROM outbox WHERE id = ?",
                        (oid,)).fetchone()
        assert c.execute("SELECT count(*) FROM memos WHERE drafter IS NULL OR drafter_id < ?",
                         (1 << 62,)).fetchone()[0] == 0
    assert row[0] == 0 and not row[1] and not row[2], row  # (psql gives "" as None)
    assert open_sealed_text(srv, "dissent-outbox/1 " + dedupe, row[3]) == email
    with open_db(srv, readonly=False) as c:  # due again, never tried since its conversion
        c.execute("UPDATE outbox SET attempts = 0, next_at = 0, status = 0 WHERE id = ?", (oid,))
        c.commit()
    srv.restart()  # the sealed email still passes its MAC: it is tried, not marked failed
    deadline = time.time() + 15
    while time.time() < deadline:
        with open_db(srv) as c:
            status, attempts = c.execute("SELECT status, attempts FROM outbox WHERE id = ?",
                                         (oid,)).fetchone()
        if status != 0 or attempts > 0:
            break
        time.sleep(0.1)
    assert (status, attempts) == (0, 1), (status, attempts)
    assert "outbox row" not in srv.log()


def test_a_database_of_an_earlier_version_is_converted_once_then_checked(make_server):
    """What an earlier pinned version left: actors in clear (read audit, comments, timeline) and
    a few timeline details in clear (an invitation count). The first start seals the actors and
    puts the server's MAC on those details, once (the pin records it); afterwards an actor or a
    detail in clear, or an edited marked detail, is not shown."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = create_memo(srv, d, "Invited " + marker(), "Body.\n")
    call(d, "POST", memo_url(srv, m, "invitations"), {"usernames": ["eve"]})
    call(d, "POST", memo_url(srv, m, "comments"), {"body": "A note to self."}, 201)
    before = [(r["by"], r["action"]) for r in audit_records(srv, d, m)]
    e = srv.login("eve", PASSWORD)
    filed = filed_memo(srv, d, "Filed " + marker(), "Body.\n", cosigners={"eve": e})
    srv.stop()
    pin = os.path.join(srv.data, "channel.pin")
    text = open(pin).read()
    assert text.endswith("converted 3\n"), text
    with open_db(srv, readonly=False) as c:  # as the earlier version wrote them
        dave = user_ids(c, ["dave"])["dave"]
        as_an_earlier_version_named_people(srv, c, user_ids(c, ["anna", "dave", "eve"]))
        c.execute("UPDATE memo_events SET actor = NULL, actor_id = ?", (dave,))
        c.execute("UPDATE memo_events SET detail = '1' WHERE kind = 'invited'", ())
        c.execute("UPDATE comments SET author = NULL, author_id = ?", (dave,))
        # the earlier version's read audit: each actor in clear, and a plain SHA-256 chain
        # (core/audit.c, dissent-audit/v1); the conversion makes this version's keyed chain of
        # the same records again, which is what the log anchored at the filing
        prev = bytes(32)
        for rid, memo, action, at, sealed in c.execute(
                "SELECT id, memo_id, action, at, actor FROM audit ORDER BY id").fetchall():
            actor = audit_actor(srv, memo, rid, sealed)
            chained = "dissent-audit/v1\n%s\n%d\n%d\n%d\n%s\n%d\n" % (
                prev.hex(), rid, memo, actor, action, at)
            prev = hashlib.sha256(chained.encode()).digest()
            c.execute("UPDATE audit SET hash = ?, actor = NULL, actor_id = ? WHERE id = ?",
                      (prev, actor, rid))
        c.commit()
    with open(pin, "w") as f:
        f.write(text[:-len("converted 3\n")])
    srv.restart()
    d = srv.login("dave", PASSWORD)
    got = call(d, "GET", memo_url(srv, filed)).json()
    assert got["drafter"]["username"] == "dave"
    assert [s["username"] for s in got["signers"]] == ["dave", "eve"]
    e = srv.login("eve", PASSWORD)
    assert m in [x["id"] for x in call(e, "GET", srv.url + "/api/v1/memos").json()["memos"]]
    a = srv.login("anna", PASSWORD)
    assert call(a, "GET", memo_url(srv, filed)).json()["title"].startswith("Filed ")
    got = call(d, "GET", memo_url(srv, m)).json()
    t = {e["event"]: e for e in got["timeline"]}
    assert t["invited"]["detail"] == "1" and t["invited"]["by"] == "dave", t
    cs = call(d, "GET", memo_url(srv, m, "comments")).json()["comments"]
    assert [(c["author"], c["body"]) for c in cs] == [("dave", "A note to self.")], cs
    assert [(r["by"], r["action"]) for r in audit_records(srv, d, m)][:len(before)] == before
    assert open(pin).read() == text
    with open_db(srv) as c:
        assert c.execute("SELECT count(*) FROM memo_events WHERE actor_id IS NOT NULL OR "
                         "actor IS NULL").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM audit WHERE actor_id != 0 OR "
                         "actor IS NULL").fetchone()[0] == 0
        marked = c.execute("SELECT detail FROM memo_events WHERE kind = 'invited'").fetchone()[0]
        assert c.execute("SELECT count(*) FROM memo_keys WHERE user_id != 0 AND user_id < ?",
                         (1 << 62,)).fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM memo_members WHERE who IS NULL OR user_id < ?",
                         (1 << 62,)).fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM signatures WHERE who IS NULL OR note NOT LIKE "
                         "'sealed:%'").fetchone()[0] == 0
    assert marked.startswith("mac:") and marked.endswith(":1"), marked
    r = srv.cli("audit", "verify")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "already broken" not in srv.log()
    # once converted: an edited marked detail, a clear detail, an actor in clear
    tamper(srv, ("UPDATE memo_events SET detail = ? WHERE kind = 'invited'",
                 (marked[:-1] + "100",)),
           ("UPDATE memo_events SET detail = '2' WHERE kind = 'created'", ()),
           ("UPDATE memo_events SET actor = NULL, actor_id = ? WHERE kind = 'edited' OR "
            "kind = 'invited'", (dave,)))
    d = srv.login("dave", PASSWORD)
    t = timeline(srv, d, m)
    assert t["invited"] is None and t["created"] is None, t
    integrity_logged(srv, "a clear text of memo")
    integrity_logged(srv, "names its actor in clear")


def test_a_rewritten_memo_row_is_refused_and_not_listed(make_server):
    """A memo row's state, days and digest decide deadlines and who acts: pushing a reply
    deadline back, or setting a filed memo back to open, is refused by the row's MAC; the row is
    not listed either, and the failure is logged."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = filed_memo(srv, d, "Deadline " + marker(), "Body.\n")
    call(a, "POST", memo_url(srv, m, "acknowledge"))
    listed = lambda s: [x["id"] for x in call(s, "GET", memo_url(srv)).json()["memos"]]
    assert m in listed(a)
    with open_db(srv) as c:
        due, state = c.execute("SELECT reply_due, state FROM memos").fetchone()
    for edit in (("UPDATE memos SET reply_due = ? WHERE public_id = ?", (due + 30, m)),
                 ("UPDATE memos SET state = 1 WHERE public_id = ?", (m,)),
                 # past int's range: its low bits are the true state
                 ("UPDATE memos SET state = ? WHERE public_id = ?", (2**32 + state, m))):
        tamper(srv, edit)
        a = srv.login("anna", PASSWORD)
        refused(a.get(memo_url(srv, m), timeout=TIMEOUT))
        assert m not in listed(a)
        integrity_logged(srv, "memo 1 fails its integrity check")
        tamper(srv, ("UPDATE memos SET reply_due = ?, state = ?", (due, state)))
        a = srv.login("anna", PASSWORD)
        assert call(a, "GET", memo_url(srv, m)).json()["state"] == "acknowledged"
        assert m in listed(a)
    # a page is filled past a row that fails: the memos after it are still listed
    older = [filed_memo(srv, d, "Older %d " % i + marker(), "Body.\n") for i in range(3)]
    newest = filed_memo(srv, d, "Newest " + marker(), "Body.\n")
    tamper(srv, ("UPDATE memos SET reply_due = 7 WHERE public_id = ?", (older[2],)))
    a = srv.login("anna", PASSWORD)
    r = call(a, "GET", memo_url(srv) + "?limit=3").json()
    assert [x["id"] for x in r["memos"]] == [newest, older[1], older[0]], r


@sqlite_only
def test_a_trigger_cannot_make_the_server_vouch_for_a_new_memo(make_server):
    """A new memo's MAC is made of what the server wrote, not of the row read back: a trigger
    that changes it on insert (the drafter's names hidden from principals turned to shown) gets
    the row refused, not vouched for. (SQLite only: the same trigger in PostgreSQL needs a
    function, and proves nothing more.)"""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    tamper(srv, ("CREATE TRIGGER shown AFTER INSERT ON memos BEGIN"
                 " UPDATE memos SET show_names = 1, reply_max = 12345 WHERE id = NEW.id; END", ()))
    d = srv.login("dave", PASSWORD)
    r = d.post(memo_url(srv), json={"title": "Names hidden", "body": "Body.\n",
                                    "show_signer_names": False}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    refused(d.get(memo_url(srv, r.json()["id"]), timeout=TIMEOUT))
    integrity_logged(srv, "fails its integrity check")


def test_a_break_in_the_audit_chain_is_said_when_it_is_re_made(make_server):
    """Adoption re-makes the read audit's chain as the database holds it (dissent trust adopt is
    a knowing act); a record changed before it is still named in the server's log."""
    srv = make_server()
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    m = filed_memo(srv, d, "Audited " + marker(), "Body.\n")
    call(a, "GET", memo_url(srv, m))
    srv.stop()
    with open_db(srv, readonly=False) as c:
        rid = c.execute("SELECT max(id) FROM audit").fetchone()[0]
        c.execute("UPDATE audit SET action = 'read_title' WHERE id = ?", (rid,))
        c.commit()
    r = srv.cli("trust", "adopt")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "the read audit's chain was already broken at record %d" % rid in r.stderr, r.stderr
    srv.restart()
    assert srv.cli("audit", "verify").returncode == 0  # re-made as the database held it
