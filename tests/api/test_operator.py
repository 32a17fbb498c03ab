"""Issue 14: the operator is an adversary. Each test plays an attack an administrator (or whoever
holds the database) could try against an earlier version, and shows that it now fails:

- the first-sign-in recovery-key capture (an admin signing in first as a new account);
- the TOTP-off plus recovery chain;
- reset-then-read (a reset is a re-enrolment: the admin never learns a password);
- admin + officer on one account;
- the Argon2id cost change that turned the right password into a 500;
- an offline copy of the database taken before an account re-keyed (accounts made under an
  administrator's password): nothing drafted afterwards opens with it;
- old wrapped keys lingering in SQLite's write-ahead log.

docs/security.md, "What the operator can and cannot do", names each test.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

from loghelpers import caught_up
from conftest import (BIN, PASSWORD, adopt_as_is, TIMEOUT, assert_error, login_raw, memo_url, sqlite_only)
from keyhelpers import (assert_no_key, call, create_memo, data_files, filed_memo, get_memo, user_ref,
                        marker)

ENROL = "/api/v1/enrol"


def create(srv, admin, name, roles):
    """An account made by the admin (not enrolled); its enrolment code."""
    r = admin.post(srv.url + "/api/v1/users", json={"username": name, "roles": roles},
                   timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["enrolment"]["code"]


def set_cost(srv, ops, mem_kib):
    """Rewrite the stopped server's [security] Argon2id cost in its configuration file."""
    with open(srv.config) as f:
        lines = f.read().splitlines()
    out = [line for line in lines if not line.startswith(("argon2_ops", "argon2_mem_kib"))]
    i = out.index("[security]")
    out[i + 1:i + 1] = ["argon2_ops = %d" % ops, "argon2_mem_kib = %d" % mem_kib]
    with open(srv.config, "w") as f:
        f.write("\n".join(out) + "\n")


def db_row(srv, sql, params=()):
    """One row from a copy of the live database (its file and write-ahead log): a connection to
    the live file could checkpoint it when closed, and hide what a test looks for."""
    tmp = tempfile.mkdtemp(prefix="dissent-dbcopy-")
    try:
        for name in ("dissent.db", "dissent.db-wal"):
            src = os.path.join(srv.data, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(tmp, name))
        conn = sqlite3.connect(os.path.join(tmp, "dissent.db"))
        try:
            return conn.execute(sql, params).fetchone()
        finally:
            conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the first sign-in ----

def test_no_admin_can_sign_in_first_as_a_new_account(server, admin):
    """The account is born without a password: there is nothing for the admin to sign in with,
    and the recovery key appears only in the enrolment answer, to whoever holds the code."""
    code = create(server, admin, "olga", ["officer"])
    for pw in (PASSWORD, "", code):
        assert_error(login_raw(server.url, "olga", pw), 401, "invalid_credentials")
    enrolled = server.enrol("olga", code, "olga's own passphrase")
    assert enrolled["recovery_key"]
    # the code is spent: nobody enrols with it again
    r = server.session().post(server.url + ENROL, timeout=TIMEOUT,
                              json={"username": "olga", "code": code, "password": PASSWORD})
    assert_error(r, 401, "invalid_enrolment_code")
    # sign-ins never show a recovery key any more
    r = login_raw(server.url, "olga", "olga's own passphrase")
    assert r.status_code == 200 and "recovery_key" not in r.json(), r.text


def test_totp_off_plus_recovery_opens_nothing(server, admin):
    """The old chain: turn the officer's TOTP off, reset the password with the recovery key
    captured at the first sign-in, read every filed memo. The admin never saw a recovery key
    nor a password, so turning TOTP off leaves nothing to sign in with."""
    code = create(server, admin, "olga", ["officer"])
    key = server.enrol("olga", code, "olga's own passphrase")["recovery_key"]
    server.add_user(admin, "dave", ["staff"])
    server.login("olga", "olga's own passphrase")  # the channel key
    mid = filed_memo(server, server.login("dave", PASSWORD), "Filed " + marker(), "Body.\n")
    r = admin.patch(server.url + "/api/v1/users/olga", json={"totp": False}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    # what the admin holds: the enrolment code, its own password
    for guess in (code, "0" * 64, server.admin_password):
        r = server.session().post(server.url + "/api/v1/recovery", timeout=TIMEOUT, json={
            "username": "olga", "recovery_key": guess, "new_password": "admin's choice 1"})
        assert_error(r, 401, "invalid_recovery_key")
    assert_error(login_raw(server.url, "olga", "admin's choice 1"), 401)
    # the real user still gets in, and reads
    s = server.login("olga", "olga's own passphrase")
    assert get_memo(server, s, mid)["body"] == "Body.\n"
    assert key  # shown once, to the user


def test_reset_then_read(server, admin):
    """An admin resets an officer and enrols in their place with the new code: the account it
    gets holds no key, so no filed memo, draft or channel key opens; and the officer, locked out,
    finds out."""
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "otto", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    a = server.login("anna", PASSWORD)
    server.login("otto", PASSWORD)
    assert call(a, "POST", server.url + "/api/v1/channel/grants", {"username": "otto"},
                201).status_code == 201
    d = server.login("dave", PASSWORD)
    secret = marker()
    mid = filed_memo(server, d, "Filed " + secret, "Body " + secret + "\n")
    r = admin.post(server.url + "/api/v1/users/otto/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    server.enrol("otto", r.json()["enrolment"]["code"], "the admin's password")
    fake = server.login("otto", "the admin's password")
    r = fake.get(memo_url(server, mid), timeout=TIMEOUT)
    assert_error(r, 403, "recused")  # as from every memo of before the reset
    assert secret not in r.text
    listed = call(fake, "GET", memo_url(server)).text
    assert secret not in listed
    r = fake.post(server.url + "/api/v1/channel/grants", json={"username": "anna"},
                  timeout=TIMEOUT)
    assert_no_key(r)
    # the real otto's password no longer signs in: the takeover cannot stay unnoticed
    assert_error(login_raw(server.url, "otto", PASSWORD), 401, "invalid_credentials")


def test_admin_cannot_become_an_officer(server, admin):
    for roles in (["admin", "officer"], ["admin", "staff"], ["admin", "principal"]):
        r = admin.patch(server.url + "/api/v1/users/admin", json={"roles": roles},
                        timeout=TIMEOUT)
        assert_error(r, 422, "roles_combined")
    r = admin.post(server.url + "/api/v1/users", timeout=TIMEOUT,
                   json={"username": "ops2", "roles": ["admin", "officer"]})
    assert_error(r, 422, "roles_combined")
    assert call(admin, "GET", server.url + "/api/v1/me").json()["roles"] == ["admin"]


def test_last_channel_holder_cannot_be_removed(server, admin):
    """Taking the officer role from (or disabling, or resetting) the last active holder of the
    channel key would leave every filed memo sealed to a key nobody holds."""
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "otto", ["officer"])
    server.login("anna", PASSWORD)  # the first officer: the only holder
    server.login("otto", PASSWORD)
    url = server.url + "/api/v1/users/anna"
    assert_error(admin.patch(url, json={"roles": ["staff"]}, timeout=TIMEOUT), 409,
                 "last_channel_holder")
    assert_error(admin.patch(url, json={"disabled": True}, timeout=TIMEOUT), 409,
                 "last_channel_holder")
    assert_error(admin.post(url + "/reset", timeout=TIMEOUT), 409, "last_channel_holder")
    # nor on the server's command line
    for cmd in (("user", "disable", "anna"), ("user", "reset", "anna")):
        r = server.cli(*cmd)
        assert r.returncode != 0 and "last active officer" in r.stderr, (cmd, r.stderr)
    # otto is an officer, but does not hold the key: he can go
    r = admin.patch(server.url + "/api/v1/users/otto", json={"roles": ["staff"]},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text


def test_nothing_is_sealed_to_an_account_before_it_enrols(server, admin):
    server.add_user(admin, "dave", ["staff"])
    server.add_user(admin, "anna", ["officer"])
    create(server, admin, "newbie", ["staff"])
    create(server, admin, "newoff", ["officer"])
    create(server, admin, "newpat", ["principal"])
    d, a = server.login("dave", PASSWORD), server.login("anna", PASSWORD)
    mid = create_memo(server, d, "Draft", "Body.\n")
    r = d.post(memo_url(server, mid, "invitations"), json={"usernames": ["newbie"]},
               timeout=TIMEOUT)
    err = assert_error(r, 409, "not_enrolled")
    assert "newbie" in err["message"] and "enrolled" in err["message"], err
    r = a.post(server.url + "/api/v1/channel/grants", json={"username": "newoff"},
               timeout=TIMEOUT)
    assert_error(r, 409, "not_enrolled")
    fid = filed_memo(server, d, "Filed", "Body.\n")
    call(a, "POST", memo_url(server, fid, "acknowledge"))
    r = a.post(memo_url(server, fid, "distribution"), json={"usernames": ["newpat"]},
               timeout=TIMEOUT)
    assert_error(r, 409, "not_enrolled")


# ---- the cost of the password's key ----

def test_argon2_cost_change_keeps_every_password_working(make_server):
    """The keys' wrapping cost is stored with them: changing [security] argon2_* (or a CLI run
    without the server's --config) once turned the right password into a 500."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "dave", ["staff"])
    s = srv.login("dave", PASSWORD)
    mid = create_memo(srv, s, "Cost", "Body.\n")
    srv.stop()
    set_cost(srv, 2, 16)
    srv.restart()
    s = srv.login("dave", PASSWORD)  # unwrapped with the old cost, re-wrapped with the new
    assert get_memo(srv, s, mid)["title"] == "Cost"
    if not srv.db:
        ops, mem = db_row(srv, "SELECT key_ops, key_mem FROM users WHERE username = 'dave'")
        assert (ops, mem) == (2, 16 * 1024), (ops, mem)
    srv.stop()
    set_cost(srv, 1, 8)
    srv.restart()
    assert get_memo(srv, srv.login("dave", PASSWORD), mid)["title"] == "Cost"
    if not srv.db:
        # a lower configured cost never re-wraps a key more cheaply
        ops, mem = db_row(srv, "SELECT key_ops, key_mem FROM users WHERE username = 'dave'")
        assert (ops, mem) == (2, 16 * 1024), (ops, mem)
    # the CLI with its own defaults (no --config) sets an admin's password the server opens
    r = subprocess.run([BIN, "user", "passwd", "admin", "--password-stdin", "--data", srv.data,
                        *srv.db_args()], input="cli admin password\n", capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert login_raw(srv.url, "admin", "cli admin password").status_code == 200


# ---- accounts made before enrolment: new keys at the next sign-in ----

@sqlite_only
def test_offline_copy_before_the_rekey_opens_nothing_drafted_after(make_server):
    """An account whose keys an administrator's password wrapped (every account before
    enrolment existed) must choose a new password at its next sign-in, and gets new key pairs
    sealed under it, with everything sealed to it re-sealed. A copy of the database taken before,
    with the old password, opens the old keys; it opens no memo drafted after the re-key, and
    the old password opens nothing in the live database."""
    nacl = pytest.importorskip("nacl.public")
    from nacl import bindings, pwhash
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "dora", ["staff"])
    s = srv.login("dora", PASSWORD)
    old_title = "Before " + marker()
    m1 = create_memo(srv, s, old_title, "Old body.\n")
    srv.stop()
    # what the migration does to every such account
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    conn.execute("UPDATE users SET flags = flags | 1 WHERE username = 'dora'")
    conn.commit()
    conn.close()
    adopt_as_is(srv)  # a migration is trusted: it is not the database attacker
    copy = srv.data + ".copy"
    shutil.copytree(srv.data, copy)
    srv.restart()
    try:
        r = login_raw(srv.url, "dora", PASSWORD)
        assert r.status_code == 200, r.text
        s2 = srv.session()
        s2.cookies.update(r.cookies)
        # nothing but a new password until the account has new keys
        assert_error(s2.get(memo_url(srv, m1), timeout=TIMEOUT), 403, "password_change_required")
        assert call(s2, "GET", srv.url + "/api/v1/me").json()["rekey_required"] is True
        r = s2.post(srv.url + "/api/v1/me/password", timeout=TIMEOUT,
                    json={"current_password": PASSWORD, "new_password": "dora's own passphrase"})
        assert r.status_code == 200, r.text
        assert r.json()["keys_renewed"] is True and r.json()["recovery_key"]
        # every session ended, the one from before the migration included
        assert_error(s.get(memo_url(srv, m1), timeout=TIMEOUT), 401)
        assert_error(s2.get(memo_url(srv, m1), timeout=TIMEOUT), 401)
        s = srv.login("dora", "dora's own passphrase")
        assert call(s, "GET", srv.url + "/api/v1/me").json()["rekey_required"] is False
        assert get_memo(srv, s, m1)["title"] == old_title  # re-sealed, still readable
        m2 = create_memo(srv, s, "After " + marker(), "New body.\n")
        srv.stop()

        def old_box_key():
            c = sqlite3.connect(os.path.join(copy, "dissent.db"))
            salt, wrapped, ops, mem = c.execute(
                "SELECT key_salt, keys_wrapped, key_ops, key_mem FROM users "
                "WHERE username = 'dora'").fetchone()
            c.close()
            kek = pwhash.argon2id.kdf(32, PASSWORD.encode(), salt, opslimit=ops, memlimit=mem)
            plain = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
                wrapped[24:], b"dora", wrapped[:24], kek)
            return plain[64:96]  # after the Ed25519 secret key: the X25519 one

        sk = nacl.PrivateKey(old_box_key())
        # the administrator's password opens nothing in the live database any more
        c = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
        salt, wrapped, ops, mem = c.execute(
            "SELECT key_salt, keys_wrapped, key_ops, key_mem FROM users "
            "WHERE username = 'dora'").fetchone()
        c.close()
        kek = pwhash.argon2id.kdf(32, PASSWORD.encode(), salt, opslimit=ops, memlimit=mem)
        with pytest.raises(Exception):
            bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(wrapped[24:], b"dora",
                                                                wrapped[:24], kek)
        now = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
        uid = now.execute("SELECT id FROM users WHERE username = 'dora'").fetchone()[0]
        ids = dict(now.execute("SELECT public_id, id FROM memos").fetchall())
        # memo keys are held by pseudonym (store.h, "Who")
        sealed = dict(now.execute("SELECT memo_id, sealed FROM memo_keys WHERE user_id = ?",
                                  (user_ref(srv, uid),)).fetchall())
        flags = now.execute("SELECT flags FROM users WHERE id = ?", (uid,)).fetchone()[0]
        now.close()
        assert flags & 1 == 0, "the re-key is recorded"
        # the copy's old key opens the old memo key as it was sealed then...
        c = sqlite3.connect(os.path.join(copy, "dissent.db"))
        old_sealed = c.execute("SELECT sealed FROM memo_keys WHERE memo_id = ? AND user_id = ?",
                               (ids[m1], user_ref(srv, uid))).fetchone()[0]
        c.close()
        assert len(nacl.SealedBox(sk).decrypt(old_sealed[:80])) == 32
        # ...but nothing sealed to the account now: neither the new memo nor the re-sealed one
        for mid in (m1, m2):
            with pytest.raises(Exception):
                nacl.SealedBox(sk).decrypt(sealed[ids[mid]][:80])
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def old_box_key(data, name, password=PASSWORD):
    """The X25519 secret key of `name`'s wrapped keys in the database of `data`, opened with
    `password` as an offline attacker would."""
    from nacl import bindings, pwhash
    c = sqlite3.connect(os.path.join(data, "dissent.db"))
    salt, wrapped, ops, mem = c.execute(
        "SELECT key_salt, keys_wrapped, key_ops, key_mem FROM users WHERE username = ?",
        (name,)).fetchone()
    c.close()
    kek = pwhash.argon2id.kdf(32, password.encode(), salt, opslimit=ops, memlimit=mem)
    plain = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(wrapped[24:], name.encode(),
                                                                wrapped[:24], kek)
    return plain[64:96]


@sqlite_only
def test_a_legacy_holder_rekey_rotates_the_channel_key(make_server):
    """An officer whose keys an administrator's password wrapped held the channel key: whoever
    knew that password could keep the channel's private key. Their re-key makes a new channel
    key pair: what is filed afterwards does not open with the old one, every filed memo stays
    readable, the other holders get the new key, and a holder still waiting to re-key loses
    the grant (logged). So does the re-keyed officer (whoever re-keyed may be the
    administrator, who knew the password first): another officer grants it again."""
    nacl = pytest.importorskip("nacl.public")
    srv = make_server()
    admin = srv.admin()
    for n in ("anna", "otto", "ora"):
        srv.add_user(admin, n, ["officer"])
    srv.add_user(admin, "dave", ["staff"])
    a = srv.login("anna", PASSWORD)  # creates the channel key
    for n in ("otto", "ora"):
        srv.login(n, PASSWORD)
        call(a, "POST", srv.url + "/api/v1/channel/grants", {"username": n}, 201)
    d = srv.login("dave", PASSWORD)
    m1 = filed_memo(srv, d, "Before the re-key", "Body.\n")
    # the officers' key of a memo is sealed to the channel key too: it is re-sealed with it
    call(a, "POST", memo_url(srv, m1, "notes"), {"body": "Sealed to the old key"}, 201)
    srv.stop()
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    conn.execute("UPDATE users SET flags = flags | 1 WHERE username IN ('anna', 'ora')")
    conn.commit()
    anna_id = conn.execute("SELECT id FROM users WHERE username = 'anna'").fetchone()[0]
    grant = conn.execute("SELECT sealed FROM channel_grants WHERE user_id = ?",
                         (anna_id,)).fetchone()[0]
    old_pk = conn.execute("SELECT pk FROM channel_key").fetchone()[0]
    conn.close()
    adopt_as_is(srv)
    grant = grant[:80]  # the sealed key; its integrity MAC follows
    # what the administrator who knew anna's password could take
    old_sk = nacl.SealedBox(nacl.PrivateKey(old_box_key(srv.data, "anna"))).decrypt(grant)
    assert nacl.PrivateKey(old_sk).public_key.encode() == old_pk
    srv.restart()
    s = srv.session()
    s.cookies.update(login_raw(srv.url, "anna", PASSWORD).cookies)
    r = call(s, "POST", srv.url + "/api/v1/me/password",
             {"current_password": PASSWORD, "new_password": "anna's own passphrase"})
    assert r.json()["keys_renewed"] is True
    a = srv.login("anna", "anna's own passphrase")
    d = srv.login("dave", PASSWORD)
    m2 = filed_memo(srv, d, "After the re-key", "Body.\n")
    o = srv.login("otto", PASSWORD)
    assert_no_key(a.get(memo_url(srv, m1), timeout=TIMEOUT))
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    holders = {n for (n,) in conn.execute(
        "SELECT u.username FROM channel_grants g JOIN users u ON u.id = g.user_id")}
    conn.close()
    assert holders == {"otto"}
    call(o, "POST", srv.url + "/api/v1/channel/grants", {"username": "anna"}, 201)
    for who in (a, o):
        assert get_memo(srv, who, m1)["title"] == "Before the re-key"
        assert get_memo(srv, who, m2)["title"] == "After the re-key"
        assert [n["body"] for n in get_memo(srv, who, m1)["internal"]["notes"]] == [
            "Sealed to the old key"]
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    new_pk = conn.execute("SELECT pk FROM channel_key").fetchone()[0]
    ids = dict(conn.execute("SELECT public_id, id FROM memos").fetchall())
    channel = dict(conn.execute("SELECT memo_id, sealed FROM memo_keys WHERE user_id = 0"))
    holders = {n for (n,) in conn.execute(
        "SELECT u.username FROM channel_grants g JOIN users u ON u.id = g.user_id")}
    conn.close()
    assert new_pk != old_pk
    # the old channel key opens nothing the channel holds now, old or new
    for mid in (m1, m2):
        with pytest.raises(Exception):
            nacl.SealedBox(nacl.PrivateKey(old_sk)).decrypt(channel[ids[mid]][:80])
    assert holders == {"anna", "otto"}
    # ora's and anna's revocations are in the log (the statistics count what a checkpoint covers)
    caught_up(srv)
    st = call(srv.session(), "GET", srv.url + "/api/v1/stats").json()
    assert st["accounts"]["channel-revoked"] == 2 and st["accounts"]["channel-granted"] == 4


@sqlite_only
def test_old_wrapped_keys_leave_the_disk(server, admin):
    """After a password change, a reset and a re-enrolment, the superseded wrapped keys are in
    no file of the data directory (secure_delete, and the WAL truncated)."""
    server.add_user(admin, "wes", ["staff"])
    first = db_row(server, "SELECT keys_wrapped FROM users WHERE username = 'wes'")[0]
    s = server.login("wes", PASSWORD)
    call(s, "POST", server.url + "/api/v1/me/password",
         {"current_password": PASSWORD, "new_password": "second passphrase"})
    second = db_row(server, "SELECT keys_wrapped FROM users WHERE username = 'wes'")[0]
    assert first != second
    r = admin.post(server.url + "/api/v1/users/wes/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    server.enrol("wes", r.json()["enrolment"]["code"], "third passphrase")
    found = [(name, f) for name, blob in (("first", first), ("second", second))
             for f, data in data_files(server).items() if blob in data]
    assert not found, "superseded wrapped keys still on disk: %s" % found


# ---- names stay with those who need them ----

def test_outbox_names_nobody(make_server):
    """The admin's outbox view, and the outbox rows a database reader sees, carry no event kind,
    no memo id and no name for the emails that go to a drafter, a co-signer or a principal; the
    rows do not say to which account or address either (the email is sealed by the server)."""
    import socket
    with socket.socket() as s:  # a closed port: the emails wait in the outbox
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = make_server(config={"mail": {
        "enabled": "true", "host": "127.0.0.1", "port": str(port), "from": "d@example.org",
        "base_url": "https://dissent.example/", "backoff_base": "3600"}})
    admin = srv.admin()
    for name, roles in (("dan", ["staff"]), ("cos", ["staff"])):
        srv.add_user(admin, name, roles, email=name + "@example.org")
    d = srv.login("dan", PASSWORD)
    mid = create_memo(srv, d, "Draft", "Body.\n")
    call(d, "POST", memo_url(srv, mid, "invitations"), {"usernames": ["cos"]})
    box = call(admin, "GET", srv.url + "/api/v1/outbox").json()["outbox"]
    assert len(box) == 1, box
    assert set(box[0]) == {"id", "status", "attempts", "next_attempt_at", "created_at",
                           "sent_at"}, box
    if srv.db:
        return
    srv.stop()
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    rows = conn.execute("SELECT kind, dedupe, subject, body, user_id, rcpt FROM outbox").fetchall()
    cos = conn.execute("SELECT id FROM users WHERE username = 'cos'").fetchone()[0]
    conn.close()
    assert len(rows) == 1
    kind, dedupe, subject, body, user_id, rcpt = rows[0]
    assert kind == "notification", kind
    assert re.fullmatch(r"[0-9a-f]{64}", dedupe), dedupe
    assert (user_id, rcpt, subject) == (0, "", ""), rows
    assert body.startswith("sealed:") and "example.org" not in body and "Dissent" not in body
    assert cos != 0
    for text in (subject, body):
        assert mid not in text and "invit" not in text.lower() and "co-sign" not in text, text


# ---- the throttle ----

def test_parallel_wrong_passwords_are_all_counted(make_server):
    """Each attempt is counted before its password is checked: of 30 wrong passwords sent at
    once, exactly the free allowance (5) is checked, and the rest wait (429)."""
    from conftest import parallel
    srv = make_server(workers=4)
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff"])
    rs = parallel(lambda i: login_raw(srv.url, "vic", "wrong password %d" % i), range(30), 30)
    codes = sorted(r.status_code for r in rs)
    assert codes.count(401) == 5 and codes.count(429) == 25, codes


def test_the_right_password_is_never_locked_out(make_server):
    """Wrong passwords slow the account down; they do not lock its owner out: once the wait
    after the newest failure is over, the right password gets in."""
    srv = make_server(config={"debug": {"clock_start": "1780000000"}})
    admin = srv.admin()
    srv.add_user(admin, "vic", ["staff"])
    for i in range(5):
        assert_error(login_raw(srv.url, "vic", "guess %d" % i), 401, "invalid_credentials")
    r = login_raw(srv.url, "vic", PASSWORD)
    assert_error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["Retry-After"]) <= 30
    # 40 seconds later on the server's clock (restarted with the clock moved on)
    srv.stop()
    with open(srv.config) as f:
        text = f.read().replace("clock_start = 1780000000", "clock_start = 1780000040")
    with open(srv.config, "w") as f:
        f.write(text)
    srv.restart()
    assert login_raw(srv.url, "vic", PASSWORD).status_code == 200


def test_every_password_check_is_throttled(server, admin):
    """The password of a password change and of a TOTP set-up is throttled like a sign-in."""
    server.add_user(admin, "vic", ["staff"])
    s = server.login("vic", PASSWORD)
    for i in range(5):
        r = s.post(server.url + "/api/v1/me/password", timeout=TIMEOUT,
                   json={"current_password": "guess %d" % i, "new_password": "new passphrase"})
        assert_error(r, 422, field="current_password")
    r = s.post(server.url + "/api/v1/me/password", timeout=TIMEOUT,
               json={"current_password": PASSWORD, "new_password": "new passphrase"})
    assert_error(r, 429, "rate_limited")
    r = s.post(server.url + "/api/v1/me/totp", json={"password": "guess"}, timeout=TIMEOUT)
    assert_error(r, 429, "rate_limited")
    assert_error(login_raw(server.url, "vic", PASSWORD), 429, "rate_limited")


# ---- recusal ----

def test_an_officer_never_handles_a_memo_they_drafted_or_were_asked_to_sign(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "sol", ["staff", "officer"])   # drafts
    server.add_user(admin, "ivo", ["staff", "officer"])   # invited, signs
    server.add_user(admin, "dex", ["staff", "officer"])   # invited, declines
    a = server.login("anna", PASSWORD)  # the channel key
    sol, ivo, dex = (server.login(n, PASSWORD) for n in ("sol", "ivo", "dex"))
    for n in ("sol", "ivo", "dex"):
        call(a, "POST", server.url + "/api/v1/channel/grants", {"username": n}, 201)
    mid = create_memo(server, sol, "Mine", "Body.\n")
    call(sol, "POST", memo_url(server, mid, "invitations"), {"usernames": ["ivo", "dex"]})
    call(sol, "POST", memo_url(server, mid, "finalize"))
    call(sol, "POST", memo_url(server, mid, "signatures"), status=201)
    call(ivo, "POST", memo_url(server, mid, "signatures"), status=201)
    call(dex, "DELETE", memo_url(server, mid, "invitations/me"), status=204)
    call(sol, "POST", memo_url(server, mid, "file"))
    actions = [("acknowledge", None), ("decline", {"reason": "mine", "referral": "grievance"}),
               ("distribution", {"usernames": ["anna"]}), ("reply", {"body": "ok"}),
               ("close", None), ("extend", {"until": "2099-01-01", "reason": "r"})]
    for who, s in (("sol", sol), ("ivo", ivo), ("dex", dex)):
        for action, body in actions:
            r = s.post(memo_url(server, mid, action), json=body, timeout=TIMEOUT)
            assert_error(r, 403, "recused")
        listed = {m["id"]: m for m in call(s, "GET", memo_url(server)).json()["memos"]}
        assert listed[mid].get("recused") is True, (who, listed[mid])
    # the drafter still reads it as its drafter, and is told they are recused
    m = get_memo(server, sol, mid)
    assert m["relation"]["recused"] is True and m["relation"]["officer"] is False, m["relation"]
    # another officer handles it
    call(a, "POST", memo_url(server, mid, "acknowledge"))
    listed = {m["id"]: m for m in call(a, "GET", memo_url(server)).json()["memos"]}
    assert "recused" not in listed[mid], listed[mid]


# ---- officers without the channel key ----

def test_an_officer_without_the_channel_key_sees_no_reader_names(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "otto", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    a = server.login("anna", PASSWORD)  # the channel key
    o = server.login("otto", PASSWORD)
    mid = filed_memo(server, server.login("dave", PASSWORD), "Filed", "Body.\n")
    r = o.get(memo_url(server, mid, "audit"), timeout=TIMEOUT)
    assert_no_key(r)
    assert "dave" not in r.text
    records = call(a, "GET", memo_url(server, mid, "audit")).json()
    assert "dave" in json_text(records)
    call(a, "POST", server.url + "/api/v1/channel/grants", {"username": "otto"}, 201)
    assert "dave" in json_text(call(o, "GET", memo_url(server, mid, "audit")).json())


def json_text(v):
    import json
    return json.dumps(v)


@sqlite_only
def test_filing_waits_while_no_active_officer_holds_the_channel_key(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "dave", ["staff"])
    server.login("anna", PASSWORD)
    d = server.login("dave", PASSWORD)
    mid = create_memo(server, d, "Waiting", "Body.\n")
    call(d, "POST", memo_url(server, mid, "finalize"))
    call(d, "POST", memo_url(server, mid, "signatures"), status=201)
    server.stop()
    conn = sqlite3.connect(os.path.join(server.data, "dissent.db"))
    conn.execute("DELETE FROM channel_grants")  # the key is held by nobody (a damaged database)
    conn.commit()
    conn.close()
    server.restart()
    d = server.login("dave", PASSWORD)
    r = d.post(memo_url(server, mid, "file"), timeout=TIMEOUT)
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "wrong_state" and err["state"] == "open", err
    assert "no active officer holds the channel key" in err["message"], err


@sqlite_only
def test_channel_init_seals_nothing_to_keys_an_administrator_knew(make_server):
    """`dissent channel init` seals the new channel key to an officer's public key with no
    password: never to an account whose keys an administrator's password still wraps (a legacy
    account waiting to re-key), whose grant that administrator could open."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "olga", ["staff"])
    r = admin.patch(srv.url + "/api/v1/users/olga", json={"roles": ["officer"]}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    srv.stop()
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    conn.execute("UPDATE users SET flags = flags | 1 WHERE username = 'olga'")  # REKEY
    conn.commit()
    conn.close()
    adopt_as_is(srv)
    res = srv.cli("channel", "init", "olga")
    assert res.returncode == 1 and "cannot hold the channel key" in res.stderr, res.stderr
    conn = sqlite3.connect(os.path.join(srv.data, "dissent.db"))
    assert conn.execute("SELECT count(*) FROM channel_key").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM channel_grants").fetchone()[0] == 0
    conn.close()
