"""`dissent log verify URL --vkey VKEY [--state FILE]` against static logs served over HTTP.

Each log is written by `dissent log build` (signed with the Tessera test key from
tests/vectors/) into a directory served by Python's http.server on a random loopback port. The
tests check a clean audit, consistency with the saved state across growth, and that every kind of
damage is named: an inconsistent rewrite, a shrunken log, a tampered tile, bundle or checkpoint,
a wrong key, HTTP errors, size limits and the total timeout.
"""
import base64
import hashlib
import http.server
import json
import os
import shutil
import stat
import struct
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("DISSENT_BIN", os.path.join(ROOT, "build", "dissent"))
VECTORS = os.path.join(ROOT, "tests", "vectors", "tessera_testdata_log.json")
TIMEOUT = 60

with open(VECTORS) as _f:
    _TESSERA = json.load(_f)
ORIGIN = _TESSERA["log_origin"]
VKEY = _TESSERA["log_vkey"]
SKEY = _TESSERA["log_skey_go_format"]


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the fixture's directory; /slow/... answers after a long pause; /huge/checkpoint
    is an endless-looking body."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/slow/"):
            time.sleep(3)
        if self.path == "/huge/checkpoint":
            body = b"x" * (64 * 1024)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.startswith("/slow/"):
            self.path = self.path[len("/slow"):]
        return super().do_GET()


@pytest.fixture(scope="module")
def site():
    """A temporary directory served over HTTP: (directory, base URL)."""
    root = tempfile.mkdtemp(prefix="dissent-logv-")

    def handler(*args, **kwargs):
        return Handler(*args, directory=root, **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def keyfile():
    """The log's signer key as a file, outside the served directory."""
    fd, path = tempfile.mkstemp(prefix="dissent-logv-", suffix=".skey")
    with os.fdopen(fd, "w") as f:
        f.write(SKEY + "\n")
    yield path
    os.unlink(path)


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, timeout=TIMEOUT)


def build(site, keyfile, name, entries):
    """Build a log of @entries (bytes, no newlines) under the site as @name; its URL."""
    root, base = site
    path = os.path.join(root, name + ".entries")
    with open(path, "wb") as f:
        f.write(b"".join(e + b"\n" for e in entries))
    r = run("log", "build", "--origin", ORIGIN, "--key", keyfile, "--entries", path, "--out",
            os.path.join(root, name))
    assert r.returncode == 0, r.stderr
    os.unlink(path)
    return base + "/" + name + "/"


def copy(site, src, dst):
    shutil.copytree(os.path.join(site[0], src), os.path.join(site[0], dst))
    return site[1] + "/" + dst + "/"


def entries(n, prefix=b"entry"):
    return [b"%s %d" % (prefix, i) for i in range(n)]


def verify(url, *extra, vkey=VKEY):
    r = run("log", "verify", url, "--vkey", vkey, *extra)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 1]))


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


# ---- a clean audit, then growth under saved state -----------------------------------------


def test_verify_and_grow(site, keyfile, tmp_path):
    state = str(tmp_path / "state")
    url = build(site, keyfile, "grow300", entries(300))
    code, out, err = verify(url, "--state", state)
    assert code == 0, err
    assert out.startswith("OK: log %s, 300 entries, root " % ORIGIN)
    assert "3 tiles and 2 entry bundles verified" in out
    assert "no saved state" in out
    with open(os.path.join(site[0], "grow300", "checkpoint"), "rb") as f:
        cp300 = f.read()
    with open(state, "rb") as f:
        assert f.read() == cp300
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert [p for p in os.listdir(tmp_path) if p != "state"] == []  # no temporary left

    # the same log again, then a longer one from a superset of the entries
    assert verify(url, "--state", state)[0] == 0
    url = build(site, keyfile, "grow70k", entries(70000))
    code, out, err = verify(url, "--state", state)
    assert code == 0, err
    assert "70000 entries" in out
    assert "consistent with the saved checkpoint of 300 entries" in out
    with open(os.path.join(site[0], "grow70k", "checkpoint"), "rb") as f:
        assert open(state, "rb").read() == f.read()

    # without --state nothing is compared or written; a vkey may come from a file
    vk = tmp_path / "log.vkey"
    vk.write_text(VKEY + "\n")
    code, out, err = verify(url, vkey=str(vk))
    assert code == 0, err
    assert "saved" not in out


def test_empty_log(site, keyfile, tmp_path):
    state = str(tmp_path / "state")
    url = build(site, keyfile, "empty", [])
    code, out, err = verify(url, "--state", state)
    assert code == 0, err
    assert "0 entries" in out
    url = build(site, keyfile, "after-empty", entries(5))
    assert verify(url, "--state", state)[0] == 0


def test_inconsistent_same_size(site, keyfile, tmp_path):
    state = str(tmp_path / "state")
    url = build(site, keyfile, "orig700", entries(700))
    assert verify(url, "--state", state)[0] == 0
    saved = open(state, "rb").read()
    url = build(site, keyfile, "other700", entries(700, b"other"))
    code, out, err = verify(url, "--state", state)
    assert code == 1
    assert err.startswith("FAILED: inconsistent with the saved state: the first 700 entries")
    assert open(state, "rb").read() == saved  # not overwritten
    # a rewrite hidden in a longer log is caught too (the old size inside a full tile)
    url = build(site, keyfile, "rewrite900", entries(650) + entries(250, b"other"))
    code, out, err = verify(url, "--state", state)
    assert code == 1 and "inconsistent" in err


def test_shrunk(site, keyfile, tmp_path):
    state = str(tmp_path / "state")
    assert verify(build(site, keyfile, "big20", entries(20)), "--state", state)[0] == 0
    code, out, err = verify(build(site, keyfile, "small10", entries(10)), "--state", state)
    assert code == 1
    assert "inconsistent with the saved state: the log has 10 entries, the saved checkpoint 20" \
        in err


def test_bad_state_file(site, keyfile, tmp_path):
    state = tmp_path / "state"
    state.write_text("not a checkpoint\n")
    code, out, err = verify(build(site, keyfile, "st5", entries(5)), "--state", str(state))
    assert code == 1 and err.startswith("FAILED: bad state:")


# ---- tampering ---------------------------------------------------------------------------


def test_tampered_tile(site, keyfile):
    build(site, keyfile, "clean600", entries(600))
    url = copy(site, "clean600", "badtile")
    flip(os.path.join(site[0], "badtile", "tile", "0", "001"), 100)
    code, out, err = verify(url)
    assert code == 1
    assert err.startswith("FAILED: bundle mismatch: tile/entries/001")


def test_tampered_bundle(site, keyfile):
    build(site, keyfile, "clean600b", entries(600))
    url = copy(site, "clean600b", "badbundle")
    flip(os.path.join(site[0], "badbundle", "tile", "entries", "002.p", "88"), 10)
    code, out, err = verify(url)
    assert code == 1
    assert err.startswith("FAILED: bundle mismatch: tile/entries/002.p/88")


def test_tampered_upper_tile(site, keyfile):
    build(site, keyfile, "clean600c", entries(600))
    url = copy(site, "clean600c", "badupper")
    flip(os.path.join(site[0], "badupper", "tile", "1", "000.p", "2"), 40)
    code, out, err = verify(url)
    assert code == 1
    assert err.startswith("FAILED: tile mismatch: tile/1/000.p/2")


def test_rewritten_entry_with_matching_tile(site, keyfile):
    """A bundle and tile changed together agree with each other but not with the root."""
    build(site, keyfile, "clean5", entries(5))
    url = copy(site, "clean5", "rewritten5")
    es = entries(5)
    es[2] = b"entry X"
    with open(os.path.join(site[0], "rewritten5", "tile", "entries", "000.p", "5"), "wb") as f:
        f.write(b"".join(struct.pack(">H", len(e)) + e for e in es))
    with open(os.path.join(site[0], "rewritten5", "tile", "0", "000.p", "5"), "wb") as f:
        f.write(b"".join(leaf_hash(e) for e in es))
    code, out, err = verify(url)
    assert code == 1
    assert err.startswith("FAILED: root mismatch")


def test_tampered_checkpoint_signature(site, keyfile):
    build(site, keyfile, "clean7", entries(7))
    url = copy(site, "clean7", "badsig")
    path = os.path.join(site[0], "badsig", "checkpoint")
    text = open(path, "rb").read()
    sig_line = text.rstrip(b"\n").split(b"\n")[-1]
    name, b64 = sig_line.rsplit(b" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1  # the signature, not the key ID
    with open(path, "wb") as f:
        f.write(text[:-len(sig_line) - 1] + name + b" " + base64.b64encode(bytes(raw)) + b"\n")
    code, out, err = verify(url)
    assert code == 1
    assert err.startswith("FAILED: bad signature")
    assert "invalid" in err


def test_wrong_key(site, keyfile):
    url = build(site, keyfile, "wrongkey", entries(3))
    import nacl.signing

    pub = bytes(nacl.signing.SigningKey(b"\x07" * 32).verify_key)
    kid = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + pub).digest()[:4].hex()
    other = "%s+%s+%s" % (ORIGIN, kid, base64.b64encode(b"\x01" + pub).decode())
    code, out, err = verify(url, vkey=other)
    assert code == 1
    assert err.startswith("FAILED: bad signature") and "no signature by this key" in err


# ---- HTTP and limits ---------------------------------------------------------------------


def test_http_errors(site, keyfile):
    base = site[1]
    code, out, err = verify(base + "/nothing-here/")
    assert code == 1
    assert err.startswith("FAILED: HTTP error: GET %s/nothing-here/checkpoint: status 404" % base)
    # a missing bundle
    build(site, keyfile, "clean9", entries(9))
    url = copy(site, "clean9", "nobundle")
    os.unlink(os.path.join(site[0], "nobundle", "tile", "entries", "000.p", "9"))
    code, out, err = verify(url)
    assert code == 1
    assert "HTTP error: GET %stile/entries/000.p/9: status 404" % url in err
    # nobody listening
    code, out, err = verify("http://127.0.0.1:1/")
    assert code == 1 and err.startswith("FAILED: HTTP error")


def test_size_limit(site):
    code, out, err = verify(site[1] + "/huge/")
    assert code == 1
    assert "response over 16384 bytes" in err


def test_oversized_tile(site, keyfile):
    build(site, keyfile, "clean4", entries(4))
    url = copy(site, "clean4", "bigtile")
    with open(os.path.join(site[0], "bigtile", "tile", "0", "000.p", "4"), "ab") as f:
        f.write(b"\0" * 32)
    code, out, err = verify(url)
    assert code == 1
    assert "response over 128 bytes" in err


def test_timeout(site, keyfile):
    build(site, keyfile, "slowlog", entries(3))
    start = time.monotonic()
    code, out, err = verify(site[1] + "/slow/slowlog/", "--timeout", "1")
    assert code == 1
    assert "timed out" in err
    assert time.monotonic() - start < 2.9


def test_usage(tmp_path):
    for args in (["log", "verify"], ["log", "verify", "http://127.0.0.1:9/"],
                 ["log", "verify", "--vkey", VKEY], ["log", "verify", "a", "b", "--vkey", VKEY],
                 ["log", "verify", "http://127.0.0.1:9/", "--vkey", VKEY, "--timeout", "0"]):
        r = run(*args)
        assert r.returncode == 2, args
    for url in ("ftp://127.0.0.1/log/", "file:///etc/", "127.0.0.1/log/", "http://a b/"):
        r = run("log", "verify", url, "--vkey", VKEY)
        assert r.returncode == 2, url
        assert b"only http:// and https://" in r.stderr
    r = run("log", "verify", "http://127.0.0.1:9/", "--vkey", "nonsense")
    assert r.returncode == 2 and b"--vkey" in r.stderr
    r = run("log", "--help")
    assert r.returncode == 0 and b"dissent log verify URL --vkey VKEY" in r.stdout
