"""Files attached to a memo (core/attach.h, api/attach.c): uploaded in parts, encrypted as a
stream under the memo's key, listed in the canonical text (dissent-memo/v2), downloaded as
attachments.

Each test drives the real server over HTTP; the canonical text is rebuilt independently
(test_verify_cli.canonical_text, from docs/formats.md) and `dissent verify --attachments` checks
files against a bundle.
"""
import hashlib
import json
import os
import subprocess
import tempfile

import pytest
import requests

from conftest import BIN, TIMEOUT, assert_error, assert_wrong_state, memo_url
from keyhelpers import open_db
from test_verify_cli import canonical_text, digest_b64

CHUNK = 64 * 1024
TITLE = "On the cable policy"
BODY = "We dissent; the annexes show why.\n"


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def people(server, admin):
    for name, roles in (("dana", ["staff"]), ("carl", ["staff"]), ("olga", ["officer"]),
                        ("eve", ["staff"])):
        server.add_user(admin, name, roles)
    return {n: server.login(n, "correct horse battery") for n in ("dana", "carl", "olga", "eve")}


def new_memo(srv, s):
    r = s.post(memo_url(srv), json={"title": TITLE, "body": BODY}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def add(srv, s, mid, name, data, kind="application/octet-stream", digest=None):
    return s.post(memo_url(srv, mid, "attachments"), timeout=TIMEOUT, json={
        "name": name, "type": kind, "size": len(data), "sha256": digest or sha(data)})


def put(srv, s, mid, aid, offset, data, ctype="application/octet-stream"):
    return s.put(memo_url(srv, mid, "attachments/%s?offset=%d" % (aid, offset)), data=data,
                 headers={"Content-Type": ctype}, timeout=TIMEOUT)


def upload(srv, s, mid, name, data, kind="application/octet-stream"):
    """Add a file and send it in the parts the server asks for; its final description."""
    r = add(srv, s, mid, name, data, kind)
    assert r.status_code == 201, r.text
    a = r.json()
    step = a["part_size"]
    assert step > 0 and step % CHUNK == 0, a
    off = 0
    while off < len(data):
        r = put(srv, s, mid, a["id"], off, data[off:off + step])
        assert r.status_code == 200, r.text
        a = r.json()
        off += step
    assert a["complete"] and a["received"] == len(data), a
    return a


def download(srv, s, mid, aid):
    return s.get(memo_url(srv, mid, "attachments/%s/content" % aid), timeout=TIMEOUT)


def test_a_file_goes_up_in_parts_and_comes_back_whole(server, people):
    d = people["dana"]
    mid = new_memo(server, d)
    data = os.urandom(2 * 1024 * 1024 + 12345)  # three parts of the default 1 MiB limit
    a = upload(server, d, mid, "Cable 42 \u2014 r\u00e9sum\u00e9.pdf", data, "application/pdf")
    assert a["name"] == "Cable 42 \u2014 r\u00e9sum\u00e9.pdf" and a["type"] == "application/pdf"
    assert a["size"] == len(data) and a["sha256"] == sha(data) and a["part_size"] == 1 << 20

    m = d.get(memo_url(server, mid), timeout=TIMEOUT).json()
    assert [x["id"] for x in m["attachments"]] == [a["id"]], m["attachments"]
    assert m["attachments"][0]["sha256"] == sha(data)

    r = download(server, d, mid, a["id"])
    assert r.status_code == 200, r.text
    assert r.content == data
    h = r.headers
    assert h["Content-Type"] == "application/octet-stream"
    assert h["Content-Length"] == str(len(data))
    assert h["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in h["Content-Security-Policy"] and "default-src 'none'" in \
        h["Content-Security-Policy"]
    disp = h["Content-Disposition"]
    assert disp.startswith('attachment; filename="Cable 42 _') and disp.endswith(
        "filename*=UTF-8''Cable%2042%20%E2%80%94%20r%C3%A9sum%C3%A9.pdf"), disp
    # an empty file is complete at once, and downloads as nothing
    r = add(server, d, mid, "empty.txt", b"", "text/plain")
    assert r.status_code == 201 and r.json()["complete"], r.text
    r = download(server, d, mid, r.json()["id"])
    assert r.status_code == 200 and r.content == b"", r.text
    # the timeline says what was added
    kinds = [e["event"] for e in d.get(memo_url(server, mid), timeout=TIMEOUT).json()["timeline"]]
    assert kinds.count("attached") == 2, kinds


def test_an_interrupted_upload_resumes_where_the_server_stands(server, people):
    d = people["dana"]
    mid = new_memo(server, d)
    data = os.urandom(5 * CHUNK + 999)
    a = add(server, d, mid, "data.csv", data, "text/csv").json()
    url = memo_url(server, mid, "attachments/" + a["id"])
    assert put(server, d, mid, a["id"], 0, data[:2 * CHUNK]).json()["received"] == 2 * CHUNK
    # the answer was lost: the client sends the same part again, and is told where things stand
    r = put(server, d, mid, a["id"], 0, data[:2 * CHUNK])
    assert_error(r, 409, "offset_mismatch")
    assert r.json()["error"]["received"] == 2 * CHUNK
    # a part from too far on, the same
    r = put(server, d, mid, a["id"], 4 * CHUNK, data[4 * CHUNK:])
    assert_error(r, 409, "offset_mismatch")
    # the client asks, and goes on from there
    got = d.get(url, timeout=TIMEOUT).json()
    assert got["received"] == 2 * CHUNK and not got["complete"], got
    r = d.get(memo_url(server, mid), timeout=TIMEOUT).json()["attachments"][0]
    assert r["received"] == 2 * CHUNK and not r["complete"]
    # an incomplete file cannot be downloaded, nor the memo finalized
    assert_error(download(server, d, mid, a["id"]), 409, "incomplete")
    r = d.post(memo_url(server, mid, "finalize"), timeout=TIMEOUT)
    assert_wrong_state(r, "draft")
    assert "uploaded" in r.json()["error"]["message"]
    assert put(server, d, mid, a["id"], 2 * CHUNK, data[2 * CHUNK:]).json()["complete"]
    assert download(server, d, mid, a["id"]).content == data
    # a complete file takes no more
    assert_wrong_state(put(server, d, mid, a["id"], len(data), b"x"), "draft")


def test_bad_files_and_parts_are_refused_clearly(make_server):
    srv = make_server(config={"records": {"file_max": str(4 * CHUNK),
                                          "memo_files_max": str(6 * CHUNK)}})
    admin = srv.admin()
    srv.add_user(admin, "dana", ["staff"])
    d = srv.login("dana", "correct horse battery")
    mid = new_memo(srv, d)
    ok = os.urandom(3 * CHUNK)
    for name in ("a/b", "..", ".", " lead", "trail ", "x\u202egpj.exe", "tab\tname", "",
                 "n" * 256):
        assert_error(add(srv, d, mid, name, ok), 422, field="name")
    for kind in ("pdf", "Application/PDF", "text/plain; charset=utf-8", "a/", "/b"):
        assert_error(add(srv, d, mid, "f", ok, kind), 422, field="type")
    assert_error(add(srv, d, mid, "f", ok, digest="00" * 31), 422, field="sha256")
    assert_error(add(srv, d, mid, "f", ok, digest="AB" * 32), 422, field="sha256")
    r = d.post(memo_url(srv, mid, "attachments"), json={"name": "f", "type": "text/plain",
                                                         "size": -1, "sha256": sha(b"")},
               timeout=TIMEOUT)
    assert_error(r, 422, field="size")
    assert_error(add(srv, d, mid, "big", os.urandom(4 * CHUNK + 1)), 413, "too_large")
    a = add(srv, d, mid, "f.bin", ok).json()
    assert_error(add(srv, d, mid, "f.bin", ok), 422, field="name")  # a name twice
    assert_error(add(srv, d, mid, "g.bin", os.urandom(3 * CHUNK + 1)), 413, "too_large")
    # parts: the media type, a size that is no whole number of chunks, more than declared
    assert_error(put(srv, d, mid, a["id"], 0, ok[:CHUNK], "application/json"), 415,
                 "unsupported_media_type")
    assert_error(put(srv, d, mid, a["id"], 0, ok[:CHUNK + 1]), 422)
    assert_error(put(srv, d, mid, a["id"], 0, ok + b"x"), 422)
    r = d.put(memo_url(srv, mid, "attachments/%s" % a["id"]), data=ok,
              headers={"Content-Type": "application/octet-stream"}, timeout=TIMEOUT)
    assert_error(r, 422, field="offset")
    assert_error(put(srv, d, mid, "0" * 16, 0, ok), 404, "not_found")
    assert_error(put(srv, d, mid, "zz", 0, ok), 404, "not_found")
    # bytes that are not the file declared: refused at the last part, and the file is gone
    r = add(srv, d, mid, "liar.bin", ok, digest=sha(b"something else"))
    lie = r.json()["id"]
    assert put(srv, d, mid, lie, 0, ok[:CHUNK]).status_code == 200
    r = put(srv, d, mid, lie, CHUNK, ok[CHUNK:])
    assert_error(r, 422)
    assert r.json()["error"]["field"] == "sha256"
    assert_error(d.get(memo_url(srv, mid, "attachments/" + lie), timeout=TIMEOUT), 404)
    assert [x["name"] for x in d.get(memo_url(srv, mid), timeout=TIMEOUT).json()["attachments"]] \
        == ["f.bin"]
    # deleted files are gone; a delete twice is a 404
    assert d.delete(memo_url(srv, mid, "attachments/" + a["id"]), timeout=TIMEOUT) \
        .status_code == 204
    assert_error(d.delete(memo_url(srv, mid, "attachments/" + a["id"]), timeout=TIMEOUT), 404)


def test_files_are_signed_frozen_and_verified(server, people, tmp_path):
    d, c, o, e = people["dana"], people["carl"], people["olga"], people["eve"]
    mid = new_memo(server, d)
    files = [("annex A.pdf", "application/pdf", os.urandom(3 * CHUNK + 7)),
             ("\u062a\u0642\u0631\u064a\u0631.txt", "text/plain", "\u0646\u0635\n".encode())]
    for name, kind, data in files:
        upload(server, d, mid, name, data, kind)
    url = memo_url(server, mid)
    assert d.post(url + "/invitations", json={"usernames": ["carl"]},
                  timeout=TIMEOUT).status_code == 200
    # a co-signer reads the files but cannot add or remove them; a stranger sees nothing
    aid = d.get(url, timeout=TIMEOUT).json()["attachments"][0]["id"]
    assert download(server, c, mid, aid).content == files[0][2]
    assert_error(add(server, c, mid, "mine.txt", b"x"), 403)
    assert_error(c.delete(url + "/attachments/" + aid, timeout=TIMEOUT), 403)
    assert_error(download(server, e, mid, aid), 404)
    r = d.post(url + "/finalize", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    # frozen: nothing added or removed
    assert_wrong_state(add(server, d, mid, "late.txt", b"late"), "open")
    assert_wrong_state(d.delete(url + "/attachments/" + aid, timeout=TIMEOUT), "open")
    # the digest covers the files: the canonical text, rebuilt here, is v2
    canon = canonical_text(mid, TITLE, BODY, files)
    assert r.json()["digest"] == digest_b64(canon)
    assert d.post(url + "/signatures", timeout=TIMEOUT).status_code == 201
    assert c.post(url + "/signatures", timeout=TIMEOUT).status_code == 201
    bundle = d.get(url + "/bundle", timeout=TIMEOUT).json()
    assert bundle["canonical_text"].encode() == canon
    bpath = tmp_path / "bundle.json"
    bpath.write_text(json.dumps(bundle))
    run = lambda *a: subprocess.run([BIN, "verify", str(bpath), *a], capture_output=True,
                                    text=True, timeout=60)
    r = run()
    assert r.returncode == 0 and "2 attached files, not checked" in r.stdout, r.stdout
    adir = tmp_path / "files"
    adir.mkdir()
    for name, _, data in files:
        (adir / name).write_bytes(data)
    r = run("--attachments", str(adir))
    assert r.returncode == 0, r.stderr
    assert "OK: 2 attached files match" in r.stdout, r.stdout
    (adir / files[0][0]).write_bytes(files[0][2][:-1] + bytes([files[0][2][-1] ^ 1]))
    r = run("--attachments", str(adir))
    assert r.returncode == 1 and "attachment differs" in r.stderr, r.stderr
    os.unlink(adir / files[0][0])
    r = run("--attachments", str(adir))
    assert r.returncode == 1 and "attachment missing" in r.stderr, r.stderr
    # filed: the officer reads the files; the read audit names each download
    assert d.post(url + "/file", timeout=TIMEOUT).status_code == 200
    assert download(server, o, mid, aid).content == files[0][2]
    audit = d.get(url + "/audit", timeout=TIMEOUT).json()
    reads = [x for x in audit["records"] if x["action"] == "read_file"]
    assert len(reads) >= 2, audit


def test_reopen_thaws_the_files_and_a_new_finalize_covers_the_change(server, people):
    d = people["dana"]
    mid = new_memo(server, d)
    url = memo_url(server, mid)
    one = os.urandom(100)
    upload(server, d, mid, "one.bin", one)
    first = d.post(url + "/finalize", timeout=TIMEOUT).json()["digest"]
    assert d.post(url + "/reopen", json={"reason": "a second annex"},
                  timeout=TIMEOUT).status_code == 200
    two = os.urandom(200)
    upload(server, d, mid, "two.bin", two)
    aid = [x["id"] for x in d.get(url, timeout=TIMEOUT).json()["attachments"]
           if x["name"] == "one.bin"][0]
    assert d.delete(url + "/attachments/" + aid, timeout=TIMEOUT).status_code == 204
    second = d.post(url + "/finalize", timeout=TIMEOUT).json()["digest"]
    assert second != first
    assert second == digest_b64(canonical_text(mid, TITLE, BODY,
                                               [("two.bin", "application/octet-stream", two)]))
    # the memo without files is v1 again, byte for byte as before
    assert d.post(url + "/reopen", json={}, timeout=TIMEOUT).status_code == 200
    aid = d.get(url, timeout=TIMEOUT).json()["attachments"][0]["id"]
    assert d.delete(url + "/attachments/" + aid, timeout=TIMEOUT).status_code == 204
    third = d.post(url + "/finalize", timeout=TIMEOUT).json()["digest"]
    assert third == digest_b64(canonical_text(mid, TITLE, BODY))


def sql(srv, statement, args=()):
    """Run one statement on the server's database, as a database writer would (SQLite's WAL
    lets the running server see it; PostgreSQL through psql)."""
    with open_db(srv, readonly=False) as db:
        rows = db.execute(statement, args).fetchall()
        db.commit()
        return rows


def removed_and_put_back(server, d, mid, name):
    """A file uploaded to draft `mid`, removed through the API, and its rows put back by a
    database writer: (the file as uploaded, its attachments row)."""
    f = upload(server, d, mid, name, b"planted")
    att = sql(server, "SELECT id, memo_id, public_id, position, size, received, chunks, complete,"
                      " meta, created_at FROM attachments WHERE public_id = ?", (f["id"],))[0]
    chunks = sql(server, "SELECT att_id, seq, data FROM attachment_chunks WHERE att_id = ?",
                 (att[0],))
    url = memo_url(server, mid)
    assert d.delete(url + "/attachments/" + f["id"], timeout=TIMEOUT).status_code == 204
    sql(server, "INSERT INTO attachments (id, memo_id, public_id, position, size, received,"
                " chunks, complete, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        tuple(bytes(x) if isinstance(x, (bytes, memoryview)) else x for x in att))
    for row in chunks:
        sql(server, "INSERT INTO attachment_chunks (att_id, seq, data) VALUES (?, ?, ?)",
            (row[0], row[1], bytes(row[2])))
    return f, att


def test_a_database_writer_cannot_swap_or_alter_a_file(server, people):
    d = people["dana"]
    mid = new_memo(server, d)
    url = memo_url(server, mid)
    data = os.urandom(2 * CHUNK + 5)
    a = upload(server, d, mid, "a.bin", data)
    b = upload(server, d, mid, "b.bin", os.urandom(2 * CHUNK + 5))
    # a flipped byte in a stored chunk: the download stops short, never gives altered bytes
    rows = sql(server, "SELECT c.att_id, c.seq, c.data FROM attachment_chunks c JOIN attachments"
                       " a ON a.id = c.att_id WHERE a.public_id = ? ORDER BY c.seq", (a["id"],))
    att_id, seq, blob = rows[1][0], rows[1][1], bytes(rows[1][2])
    bad = blob[:100] + bytes([blob[100] ^ 1]) + blob[101:]
    sql(server, "UPDATE attachment_chunks SET data = ? WHERE att_id = ? AND seq = ?",
        (bad, att_id, seq))
    try:
        r = download(server, d, mid, a["id"])
        got = r.content
        assert int(r.headers["Content-Length"]) == len(data)
    except requests.exceptions.ChunkedEncodingError:
        got = b""
    # cut short at the altered chunk: what came is the file's first chunk, as it was
    assert len(got) < len(data) and data.startswith(got), len(got)
    assert "integrity" in server.log()
    sql(server, "UPDATE attachment_chunks SET data = ? WHERE att_id = ? AND seq = ?",
        (blob, att_id, seq))
    assert download(server, d, mid, a["id"]).content == data
    # a draft's file removed through the API, and its rows put back by the writer: the memo's
    # row vouches for the list it has (under its MAC), so the draft's view and its finalize fail
    c, att = removed_and_put_back(server, d, mid, "c.bin")
    assert_error(d.get(url, timeout=TIMEOUT), 500, "integrity")
    assert_error(d.post(url + "/finalize", timeout=TIMEOUT), 500, "integrity")
    assert_error(download(server, d, mid, c["id"]), 500, "integrity")
    sql(server, "DELETE FROM attachment_chunks WHERE att_id = ?", (att[0],))
    sql(server, "DELETE FROM attachments WHERE id = ?", (att[0],))
    assert d.get(url, timeout=TIMEOUT).status_code == 200
    # the same on a memo whose row vouches for no file at all: its only file put back
    lone = new_memo(server, d)
    lone_url = memo_url(server, lone)
    f, _ = removed_and_put_back(server, d, lone, "f.bin")
    assert_error(download(server, d, lone, f["id"]), 500, "integrity")
    assert_error(d.get(lone_url, timeout=TIMEOUT), 500, "integrity")
    assert_error(d.post(lone_url + "/finalize", timeout=TIMEOUT), 500, "integrity")
    # finalized, then the rows of the two files swapped places: the memo's text is another one
    assert d.post(url + "/finalize", timeout=TIMEOUT).status_code == 200
    sql(server, "UPDATE attachments SET position = -position WHERE public_id IN (?, ?)",
        (a["id"], b["id"]))
    sql(server, "UPDATE attachments SET position = 3 - (0 - position) WHERE position < 0")
    assert_error(d.get(url, timeout=TIMEOUT), 500, "integrity")
    assert_error(download(server, d, mid, a["id"]), 500, "integrity")


def test_the_spillage_guard_refuses_classification_markings_at_finalize(make_server):
    """[records] refuse_markings: on in the state-dept preset (the tests' default), off in
    eu-directive, and a list of one's own; the title, the text and the files' names."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "dana", ["staff"])
    d = srv.login("dana", "correct horse battery")
    me = d.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()
    assert "SECRET//" in me["refuse_markings"] and "(S)" in me["refuse_markings"], me
    cases = [("title", "Cable SECRET//NOFORN summary", "Text.\n", None),
             ("body", "On the cable", "Para one.\n\n(S) The ambassador said.\n", None),
             ("attachments", "On the cable", "Text.\n", "TOP SECRET cable.pdf")]
    for field, title, body, fname in cases:
        mid = d.post(memo_url(srv), json={"title": title, "body": body},
                     timeout=TIMEOUT).json()["id"]
        if fname:
            upload(srv, d, mid, fname, b"x")
        r = d.post(memo_url(srv, mid, "finalize"), timeout=TIMEOUT)
        assert_error(r, 422, field=field)
        assert "classification marking" in r.json()["error"]["message"], r.text
        assert d.get(memo_url(srv, mid), timeout=TIMEOUT).json()["state"] == "draft"
    # lower case is prose, not a marking
    mid = d.post(memo_url(srv), json={"title": "Applicant(s)", "body": "not secret// at all\n"},
                 timeout=TIMEOUT).json()["id"]
    assert d.post(memo_url(srv, mid, "finalize"), timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("records,preset,refused", [
    ({"refuse_markings": ""}, "state-dept", False),
    ({}, "eu-directive", False),
    ({"refuse_markings": "EYES ONLY, [RESTRICTED]"}, "eu-directive", True)])
def test_the_spillage_guard_follows_the_settings(make_server, records, preset, refused):
    srv = make_server(config={"records": records, "channel": {"preset": preset}})
    admin = srv.admin()
    srv.add_user(admin, "dana", ["staff"])
    d = srv.login("dana", "correct horse battery")
    body = "SECRET// [RESTRICTED] (S)\n"
    mid = d.post(memo_url(srv), json={"title": "T", "body": body}, timeout=TIMEOUT).json()["id"]
    r = d.post(memo_url(srv, mid, "finalize"), timeout=TIMEOUT)
    if refused:
        assert_error(r, 422, field="body")
        assert '"[RESTRICTED]"' in r.json()["error"]["message"]
    else:
        assert r.status_code == 200, r.text


def test_files_changing_while_the_memo_is_read_are_no_integrity_error(server, people):
    """The memo row and its file rows are read by two statements: a file added or removed by
    another request in between is a change to read again, never an integrity error."""
    import threading
    d = people["dana"]
    mid = new_memo(server, d)
    url = memo_url(server, mid)
    stop, bad = threading.Event(), []

    def churn():
        s = server.login("dana", "correct horse battery")
        i = 0
        while not stop.is_set():
            r = add(server, s, mid, "f%d.txt" % i, b"")
            if r.status_code == 201:
                s.delete(url + "/attachments/" + r.json()["id"], timeout=TIMEOUT)
            i += 1

    def read():
        s = server.login("dana", "correct horse battery")
        while not stop.is_set():
            r = s.get(url, timeout=TIMEOUT)
            if r.status_code >= 500:
                bad.append(r.text)

    threads = [threading.Thread(target=churn)] + [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    import time
    time.sleep(3)
    stop.set()
    for t in threads:
        t.join()
    assert not bad, bad[:3]
    assert "integrity" not in server.log()
