"""Production export (`dissent export`, cmd/export.c) and its offline check
(`dissent verify EXPORT.tar --vkey LOGVKEY`): per memo the bundle, the receipt, the record copy
and the attached files, with a manifest of their SHA-256s signed with the log key. The archive is
read here with Python's tarfile, independently of libarchive, and then tampered with."""
import hashlib
import io
import os
import subprocess
import tarfile

import pytest

from conftest import BIN, PASSWORD, TIMEOUT, assert_error, memo_url
from loghelpers import caught_up, log_vkey, receipt_of
from test_attachments import upload

CHUNK = 64 * 1024


@pytest.fixture
def desk(make_server, tmp_path):
    srv = make_server()
    admin = srv.admin()
    for name, roles in (("dana", ["staff"]), ("olga", ["officer"]), ("otto", ["officer"])):
        srv.add_user(admin, name, roles, password=PASSWORD)
    s = {n: srv.login(n, PASSWORD) for n in ("dana", "olga", "otto")}
    memos, files = [], {}
    for i in range(2):
        mid = s["dana"].post(memo_url(srv), json={"title": "Memo %d" % i, "body": "Text %d.\n" % i},
                             timeout=TIMEOUT).json()["id"]
        data = os.urandom(CHUNK + 100 * i)
        # (the second file is named as a memo's bundle is: only its place tells them apart)
        upload(srv, s["dana"], mid, "annex %d.bin" % i if i == 0 else "bundle.json", data)
        files[mid] = data
        for step in ("finalize", "signatures", "file"):
            assert s["dana"].post(memo_url(srv, mid, step), timeout=TIMEOUT).status_code < 300
        memos.append(mid)
    draft = s["dana"].post(memo_url(srv), json={"title": "Draft", "body": "x"},
                           timeout=TIMEOUT).json()["id"]
    for mid in memos:
        receipt_of(srv, s["dana"], mid)
    return srv, s, memos, files, draft, tmp_path


def export(srv, out, *args, password=PASSWORD, who="olga"):
    return srv.cli("export", "--as", who, "--password-stdin", "--out", str(out), *args,
                   stdin=password + "\n")


def verify(path, vkey):
    return subprocess.run([BIN, "verify", str(path), "--vkey", vkey], capture_output=True,
                          text=True, timeout=60)


def rewrite(src, dst, change):
    """Copy the tar @src to @dst, each member's bytes through change(name, data) (None: drop)."""
    with tarfile.open(src) as a, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as b:
        for m in a.getmembers():
            data = a.extractfile(m).read() if m.isfile() else None
            if m.isfile():
                data = change(m.name, data)
                if data is None:
                    continue
                m.size = len(data)
            b.addfile(m, io.BytesIO(data) if data is not None else None)


def test_an_export_holds_every_memo_whole_and_verifies_offline(desk):
    srv, s, memos, files, draft, tmp = desk
    out = tmp / "production.tar"
    r = export(srv, out, "--memo", *memos)
    assert r.returncode == 0, r.stderr
    assert "exported 2 memos" in r.stdout
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    with tarfile.open(out) as t:
        names = sorted(t.getnames())
        for mid in memos:
            for part in ("bundle.json", "receipt.json", "record.pdf"):
                assert "dissent-export/%s/%s" % (mid, part) in names, names
            got = t.extractfile("dissent-export/%s/files/%s"
                                % (mid, "annex 0.bin" if mid == memos[0] else "bundle.json"))
            got = got.read()
            assert got == files[mid]
        manifest = t.extractfile("dissent-export/MANIFEST").read().decode()
    # the manifest: a signed note over each file's SHA-256, size and path
    text = manifest[:manifest.rindex("\n\n") + 1]
    assert text.startswith("dissent-export/v1\norigin dissent.invalid/log\nexported ")
    assert "\nmemos 2\n" in text
    assert text.count("\nfile ") == 8, text
    vkey = log_vkey(srv)
    r = verify(out, vkey)
    assert r.returncode == 0, r.stderr
    assert "OK: export of 2 memos from dissent.invalid/log" in r.stdout
    assert "2 bundles, 2 receipts and 2 attached files check out" in r.stdout
    # the export is on record: audited per memo, and one entry in the log with its count
    records = s["dana"].get(memo_url(srv, memos[0], "audit"), timeout=TIMEOUT).json()["records"]
    assert "exported" in [x["action"] for x in records]
    caught_up(srv)
    stats = requests_get(srv, "/api/v1/stats")
    assert stats["records"]["exported"] == 2, stats["records"]
    # the same memos by their filing days
    out2 = tmp / "period.tar"
    day = s["dana"].get(memo_url(srv, memos[0]), timeout=TIMEOUT).json()["filed_on"]
    r = export(srv, out2, "--filed-between", day, day)
    assert r.returncode == 0 and "exported 2 memos" in r.stdout, r.stderr
    assert verify(out2, vkey).returncode == 0


def requests_get(srv, path):
    import requests
    r = requests.get(srv.url + path, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_tampered_export_fails_its_check(desk):
    srv, s, memos, files, draft, tmp = desk
    out = tmp / "production.tar"
    assert export(srv, out, "--memo", *memos).returncode == 0
    vkey = log_vkey(srv)
    cases = {
        "file altered": lambda n, d: d[:-1] + bytes([d[-1] ^ 1]) if n.endswith("record.pdf") else d,
        "file missing": lambda n, d: None if n.endswith("annex 0.bin") else d,
        "not signed by the log key given": lambda n, d: d.replace(b"memos 2", b"memos 3")
        if n.endswith("MANIFEST") else d,
        "file not in the manifest": lambda n, d: d,
    }
    for want, change in cases.items():
        bad = tmp / "bad.tar"
        rewrite(out, bad, change)
        if want == "file not in the manifest":
            with tarfile.open(bad, "a", format=tarfile.PAX_FORMAT) as t:
                info = tarfile.TarInfo("dissent-export/%s/extra.txt" % memos[0])
                info.size = 5
                t.addfile(info, io.BytesIO(b"extra"))
        r = verify(bad, vkey)
        assert r.returncode == 1 and want in r.stderr, (want, r.stderr)
    # another log's key
    other = "other+01020304+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
    r = verify(out, other)
    assert r.returncode != 0
    r = subprocess.run([BIN, "verify", str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--vkey" in r.stderr


def test_only_an_officer_with_the_key_exports_filed_memos(desk):
    srv, s, memos, files, draft, tmp = desk
    out = tmp / "x.tar"
    r = export(srv, out, "--memo", memos[0], password="wrong password")
    assert r.returncode == 1 and "wrong password" in r.stderr
    r = export(srv, out, "--memo", memos[0], who="dana")
    assert r.returncode == 1 and "not an active officer" in r.stderr
    # otto has not been granted the channel key
    r = export(srv, out, "--memo", memos[0], who="otto")
    assert r.returncode == 1 and "channel" in r.stderr, r.stderr
    r = export(srv, out, "--memo", draft)
    assert r.returncode == 1 and "not filed" in r.stderr
    r = export(srv, out, "--memo", "0" * 24)
    assert r.returncode == 1 and "no such memo" in r.stderr
    r = export(srv, out, "--memo", "nope")
    assert r.returncode == 2
    r = export(srv, out, "--filed-between", "2026-02-30", "2026-03-01")
    assert r.returncode == 2
    assert not out.exists() and not [p for p in os.listdir(tmp) if ".part-" in p]


def test_a_period_leaves_out_the_memos_the_officer_is_recused_from(desk):
    srv, s, memos, files, draft, tmp = desk
    admin = srv.admin()
    srv.add_user(admin, "omar", ["staff", "officer"], password=PASSWORD)
    omar = srv.login("omar", PASSWORD)
    assert s["olga"].post(srv.url + "/api/v1/channel/grants", json={"username": "omar"},
                          timeout=TIMEOUT).status_code == 201
    own = omar.post(memo_url(srv), json={"title": "Mine", "body": "x\n"},
                    timeout=TIMEOUT).json()["id"]
    for step in ("finalize", "signatures", "file"):
        assert omar.post(memo_url(srv, own, step), timeout=TIMEOUT).status_code < 300
    receipt_of(srv, omar, own)
    day = s["dana"].get(memo_url(srv, memos[0]), timeout=TIMEOUT).json()["filed_on"]
    r = export(srv, tmp / "omar.tar", "--filed-between", day, day, who="omar")
    assert r.returncode == 0, r.stderr
    assert "exported 2 memos" in r.stdout and "1 memo filed then is left out" in r.stderr, r
    with tarfile.open(tmp / "omar.tar") as t:
        assert not [n for n in t.getnames() if own in n]
    r = export(srv, tmp / "olga.tar", "--filed-between", day, day)
    assert r.returncode == 0 and "exported 3 memos" in r.stdout, r
    assert verify(tmp / "olga.tar", log_vkey(srv)).returncode == 0
    r = export(srv, tmp / "x.tar", "--memo", memos[0], memos[0])
    assert r.returncode == 2 and "named twice" in r.stderr


def test_a_period_is_the_officers_channels_alone(desk):
    """An officer of another channel (docs/channels.md) exports that channel's memos of a period,
    and neither exports nor is told of the first channel's."""
    srv, s, memos, files, draft, tmp = desk
    admin = srv.admin()
    r = admin.post(srv.url + "/api/v1/channels", json={"slug": "x"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    srv.add_user(admin, "xena", ["officer"], password=PASSWORD, channels=["x"])
    mid = s["dana"].post(memo_url(srv), json={"title": "To x", "body": "x\n", "channel": "x"},
                         timeout=TIMEOUT).json()["id"]
    for step in ("finalize", "signatures", "file"):
        assert s["dana"].post(memo_url(srv, mid, step), timeout=TIMEOUT).status_code < 300
    receipt_of(srv, s["dana"], mid)
    day = s["dana"].get(memo_url(srv, mid), timeout=TIMEOUT).json()["filed_on"]
    r = export(srv, tmp / "xena.tar", "--filed-between", day, day, who="xena")
    assert r.returncode == 0 and "exported 1 memo" in r.stdout, r
    assert "left out" not in r.stderr, r.stderr
    with tarfile.open(tmp / "xena.tar") as t:
        names = t.getnames()
    assert any(mid in n for n in names) and not any(m in n for m in memos for n in names), names
    r = export(srv, tmp / "olga.tar", "--filed-between", day, day)
    assert r.returncode == 0 and "exported 2 memos" in r.stdout and "left out" not in r.stderr, r
