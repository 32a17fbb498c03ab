"""Witnesses (issue 21, part 1): `dissent witness serve` against c2sp.org/tlog-witness, its state
across crashes, and the channel server submitting its checkpoints to three witnesses (one down, one
shown a forked log), with `dissent log verify --witness ... --quorum K` on the result.

Cosignatures are checked by a verifier written here from c2sp.org/tlog-cosignature alone
(hashlib, base64, PyNaCl); consistency proofs are made here from RFC 9162 2.1.4.
"""
import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import nacl.signing
import pytest
import requests

from conftest import BIN, TIMEOUT, needs_faults
from loghelpers import (EM_DASH, leaf_hash, log_vkey, mth, node_hash, parse_checkpoint,
                        parse_vkey, split_note)

EMPTY_ROOT = hashlib.sha256(b"").digest()


# ---- the spec, written out ------------------------------------------------------------------

def cosigner_key(vkey):
    """(name, key ID, public key) of a witness's vkey: signature type 0x04, and the key ID
    SHA-256(name || "\\n" || 0x04 || key)[:4] (c2sp.org/tlog-cosignature)."""
    name, kid, rest = vkey.strip().split("+", 2)
    raw = base64.b64decode(rest, validate=True)
    assert len(raw) == 33 and raw[0] == 4, vkey
    pub = raw[1:]
    assert hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4].hex() == kid, vkey
    return name, bytes.fromhex(kid), pub


def cosignatures(note, vkey):
    """The timestamps of the cosignature lines by `vkey` on `note`; raises on one that does not
    verify (a malformed note, as the signed-note spec has it)."""
    name, kid, pub = cosigner_key(vkey)
    text, sigs = split_note(note)
    found = []
    for n, blob in sigs:
        if n != name or blob[:4] != kid:
            continue
        assert len(blob) == 4 + 8 + 64, len(blob)
        ts = int.from_bytes(blob[4:12], "big")
        assert 0 < ts < 2 ** 63
        msg = b"cosignature/v1\ntime %d\n" % ts + text.encode()
        nacl.signing.VerifyKey(pub).verify(msg, blob[12:])
        found.append(ts)
    return found


def consistency_proof(m, leaves):
    """RFC 9162 2.1.4.1 PROOF(m, D[n])."""
    def subproof(m, d, b):
        n = len(d)
        if m == n:
            return [] if b else [mth(d)]
        k = 1
        while k * 2 < n:
            k *= 2
        if m <= k:
            return subproof(m, d[:k], b) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]
    return subproof(m, leaves, True)


class LogKey:
    """A log's Ed25519 note key (signature type 0x01)."""

    def __init__(self, name, seed):
        self.name = name
        self.sk = nacl.signing.SigningKey(seed)
        pub = self.sk.verify_key.encode()
        self.kid = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.kid.hex(), base64.b64encode(b"\x01" + pub).decode())

    @classmethod
    def from_skey_file(cls, path):
        text = open(path).read().strip()
        prefix, key, name, kid, b64 = text.split("+", 4)
        assert (prefix, key) == ("PRIVATE", "KEY")
        raw = base64.b64decode(b64)
        assert raw[0] == 1
        k = cls(name, raw[1:])
        assert k.kid.hex() == kid
        return k

    def checkpoint(self, size, root):
        text = "%s\n%d\n%s\n" % (self.name, size, base64.b64encode(root).decode())
        sig = self.sk.sign(text.encode()).signature
        return text + "\n" + "%s %s %s\n" % (EM_DASH, self.name,
                                              base64.b64encode(self.kid + sig).decode())


def body(old, proof, note):
    return ("old %d\n" % old + "".join(base64.b64encode(h).decode() + "\n" for h in proof) +
            "\n" + note).encode()


def leaves(prefix, n):
    return [leaf_hash(("%s %d" % (prefix, i)).encode()) for i in range(n)]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Witness:
    """`dissent witness serve` on its own directory, witnessing the logs given by vkey."""

    def __init__(self, logs, name="witness.test/w1", port=0, env=None):
        self.dir = tempfile.mkdtemp(prefix="dissent-witness-")
        self.data = os.path.join(self.dir, "w")
        r = subprocess.run([BIN, "witness", "key", "--data", self.data, "--name", name],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, r.stderr
        self.vkey = r.stdout.strip()
        self.name = name
        self.logs = logs
        self.proc = None
        self.start(port, env)

    def start(self, port=0, env=None):
        self.stderr = open(os.path.join(self.dir, "stderr.log"), "ab")
        args = [BIN, "witness", "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % port]
        for v in self.logs:
            args += ["--log", v]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline()
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        assert m, "witness did not start: %r %s" % (line, self.log())
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def log(self):
        if not self.stderr.closed:
            self.stderr.flush()
        with open(os.path.join(self.dir, "stderr.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=TIMEOUT)
        if self.proc is not None:
            self.proc.stdout.close()
        self.proc = None
        self.stderr.close()

    def add(self, old, proof, note):
        return requests.post(self.url + "/add-checkpoint", data=body(old, proof, note),
                             timeout=TIMEOUT)

    def latest(self, origin):
        h = hashlib.sha256(origin.encode()).hexdigest()
        return requests.get("%s/%s/checkpoint" % (self.url, h), timeout=TIMEOUT)

    def cleanup(self):
        self.stop()
        log = self.log() if os.path.exists(os.path.join(self.dir, "stderr.log")) else ""
        shutil.rmtree(self.dir, ignore_errors=True)
        # the sanitizer build's reports (a leak, a bad access) fail the test that ran it
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]


@pytest.fixture
def witnesses():
    made = []

    def make(*a, **kw):
        w = Witness(*a, **kw)
        made.append(w)
        return w
    yield make
    for w in made:
        w.cleanup()


# ---- the witness alone ----------------------------------------------------------------------

def test_add_checkpoint_as_the_spec_says(witnesses):
    log = LogKey("example.test/log", b"\x07" * 32)
    other = LogKey("example.test/other", b"\x08" * 32)
    w = witnesses([log.vkey, other.vkey])
    d = leaves("entry", 9)

    r = requests.get(w.url + "/", timeout=TIMEOUT)
    assert r.status_code == 200 and r.text.strip() == w.vkey
    # malformed requests: 400
    for bad in [b"", b"old 01\n\n" + log.checkpoint(5, mth(d[:5])).encode(),
                b"old 0\nnot-base64\n\n" + log.checkpoint(5, mth(d[:5])).encode(),
                b"old 0\n\nexample.test/log\n5\n"]:
        r = requests.post(w.url + "/add-checkpoint", data=bad, timeout=TIMEOUT)
        assert r.status_code == 400, (bad, r.status_code, r.text)
    # an unknown origin: 404
    stranger = LogKey("example.test/stranger", b"\x09" * 32)
    assert w.add(0, [], stranger.checkpoint(5, mth(d[:5]))).status_code == 404
    # the log's origin, signed by another key: 403; a bad signature by the log's key: 403
    impostor = LogKey("example.test/log", b"\x0a" * 32)
    assert w.add(0, [], impostor.checkpoint(5, mth(d[:5]))).status_code == 403
    good = log.checkpoint(5, mth(d[:5]))
    text, sigs = split_note(good)
    blob = bytearray(sigs[0][1])
    blob[10] ^= 1
    forged = text + "\n%s %s %s\n" % (EM_DASH, log.name, base64.b64encode(bytes(blob)).decode())
    assert w.add(0, [], forged).status_code == 403
    # an old size over the checkpoint's: 400
    assert w.add(6, [], good).status_code == 400
    # a proof from size 0: 422
    assert w.add(0, [mth(d[:1])], good).status_code == 422
    # nothing was cosigned yet
    assert w.latest(log.name).status_code == 404

    before = int(time.time())
    r = w.add(0, [], good)
    assert r.status_code == 200, r.text
    assert r.text.startswith(EM_DASH + " " + w.name + " ") and r.text.endswith("\n")
    times = cosignatures(good + r.text, w.vkey)
    assert len(times) == 1 and before - 1 <= times[0] <= time.time() + 1
    # and under the log's own key it is still the log's checkpoint
    assert parse_checkpoint(good + r.text)[1] == 5

    # a stale old size: 409 with the size cosigned, as text/x.tlog.size
    r = w.add(0, [], log.checkpoint(9, mth(d)))
    assert r.status_code == 409 and r.text == "5\n"
    assert r.headers["Content-Type"] == "text/x.tlog.size"
    # a wrong proof: 422; the right one: 200
    proof = consistency_proof(5, d)
    wrong = [proof[0][::-1]] + proof[1:]
    assert w.add(5, wrong, log.checkpoint(9, mth(d))).status_code == 422
    fork = leaves("fork", 9)
    assert w.add(5, consistency_proof(5, fork), log.checkpoint(9, mth(fork))).status_code == 422
    r = w.add(5, proof, log.checkpoint(9, mth(d)))
    assert r.status_code == 200, r.text
    assert len(cosignatures(log.checkpoint(9, mth(d)) + r.text, w.vkey)) == 1
    # the same size again: the same root cosigns, another root does not
    assert w.add(9, [], log.checkpoint(9, mth(fork))).status_code == 422
    assert w.add(9, [], log.checkpoint(9, mth(d))).status_code == 200
    # a size 0 checkpoint needs the empty tree's root
    assert w.add(0, [], other.checkpoint(0, mth(d[:1]))).status_code == 422
    assert w.add(0, [], other.checkpoint(0, EMPTY_ROOT)).status_code == 200

    # the monitoring call: the log's signature and the cosignature, as cosigned last
    r = w.latest(log.name)
    assert r.status_code == 200
    assert parse_checkpoint(r.text)[1:] == (9, mth(d))
    _, sigs = split_note(r.text)
    assert [n for n, _ in sigs] == [log.name, w.name]
    assert len(cosignatures(r.text, w.vkey)) == 1
    assert requests.get(w.url + "/" + "0" * 64 + "/checkpoint", timeout=TIMEOUT).status_code == 404
    assert requests.get(w.url + "/add-checkpoint", timeout=TIMEOUT).status_code == 405

    # the checkpoint it holds, replayed with the log's line repeated: cosigned again, and the state
    # keeps the log's line once (a replay cannot grow the file past what a start reads back)
    held = log.checkpoint(9, mth(d))
    text, sigs = split_note(held)
    line = "%s %s %s\n" % (EM_DASH, log.name, base64.b64encode(sigs[0][1]).decode())
    r = w.add(9, [], text + "\n" + line * 100)
    assert r.status_code == 200, r.text
    state_file = os.path.join(w.data, "state", hashlib.sha256(log.name.encode()).hexdigest())
    assert open(state_file).read().count(EM_DASH + " " + log.name + " ") == 1
    assert w.add(9, [], text + "\n" + line * 400).status_code == 400  # over a checkpoint's size
    # the state survives a restart: the next submission must start from 9
    w.stop()
    w.start()
    r = w.add(0, [], log.checkpoint(9, mth(d)))
    assert r.status_code == 409 and r.text == "9\n"
    assert parse_checkpoint(w.latest(log.name).text)[1] == 9
    # one witness per directory
    r = subprocess.run([BIN, "witness", "serve", "--data", w.data, "--log", log.vkey, "--listen",
                        "127.0.0.1:0"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 1 and "another witness" in r.stderr


@needs_faults
def test_a_crash_mid_write_keeps_the_old_state(witnesses):
    """Killed in the middle of writing its state (the fault switch: half a temporary file, then
    SIGKILL): the state is the old one, the submission got no cosignature, and the next start
    clears the half-written file away."""
    log = LogKey("example.test/log", b"\x07" * 32)
    w = witnesses([log.vkey])
    d = leaves("entry", 8)
    assert w.add(0, [], log.checkpoint(3, mth(d[:3]))).status_code == 200
    w.stop()
    w.start(env={"DISSENT_FAULTS": "witness-kill-mid-write"})
    with pytest.raises(requests.exceptions.ConnectionError):
        w.add(3, consistency_proof(3, d[:7]), log.checkpoint(7, mth(d[:7])))
    assert w.proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
    w.proc.stdout.close()
    w.stderr.close()
    assert any(n.endswith(".tmp") for n in os.listdir(os.path.join(w.data, "state")))
    w.start()
    assert not any(n.endswith(".tmp") for n in os.listdir(os.path.join(w.data, "state")))
    r = w.add(0, [], log.checkpoint(3, mth(d[:3])))
    assert r.status_code == 409 and r.text == "3\n"
    # and what it never answered for, it may still cosign: another tree of 7 extending 3
    other = d[:3] + leaves("other", 4)
    assert w.add(3, consistency_proof(3, other), log.checkpoint(7, mth(other))).status_code == 200


def test_a_crash_never_forgets_a_cosignature(witnesses):
    """SIGKILL at any moment: every cosignature answered was kept first, so after a restart the
    witness never accepts a tree inconsistent with one it answered for."""
    log = LogKey("example.test/log", b"\x07" * 32)
    w = witnesses([log.vkey])
    d = leaves("entry", 400)
    assert w.add(0, [], log.checkpoint(3, mth(d[:3]))).status_code == 200

    # real kills at random moments, while checkpoints arrive one after another
    answered = []  # sizes a cosignature was answered for
    stop = threading.Event()

    def submit():
        size = 3
        while not stop.is_set() and size < len(d):
            new = size + 1
            try:
                r = requests.post(w.url + "/add-checkpoint",
                                  data=body(size, consistency_proof(size, d[:new]),
                                            log.checkpoint(new, mth(d[:new]))), timeout=2)
            except requests.exceptions.RequestException:
                time.sleep(0.01)
                continue
            if r.status_code == 200:
                answered.append(new)
                size = new
            elif r.status_code == 409:
                size = int(r.text)  # the witness kept more than it answered: go on from there

    for _ in range(6):
        stop.clear()
        t = threading.Thread(target=submit)
        t.start()
        time.sleep(0.15 + 0.05 * _)
        w.proc.send_signal(signal.SIGKILL)
        w.proc.wait(timeout=TIMEOUT)
        stop.set()
        t.join(timeout=TIMEOUT)
        w.proc.stdout.close()
        w.stderr.close()
        w.start(port=w.port)
        r = w.add(0, [], log.checkpoint(1, mth(d[:1])))
        assert r.status_code == 409
        kept = int(r.text)
        # never less than a size it answered for
        assert answered and kept >= max(answered), (kept, max(answered))
        # and a fork of what it answered is refused
        fork = leaves("fork", kept + 1)
        assert w.add(kept, consistency_proof(kept, fork),
                     log.checkpoint(kept + 1, mth(fork))).status_code == 422
    assert len(answered) > 20, len(answered)


# ---- the channel and its witnesses ----------------------------------------------------------

def witnessed_note(srv, vkeys, want, timeout=30.0):
    """Poll /log/checkpoint until it carries cosignatures by every vkey of `want`; the note."""
    end = time.time() + timeout
    while True:
        r = requests.get(srv.url + "/log/checkpoint", timeout=TIMEOUT)
        assert r.status_code in (200, 404), r.text  # 404: none published yet
        got = {v for v in vkeys if r.status_code == 200 and cosignatures(r.text, v)}
        if set(want) <= got:
            return r.text
        assert time.time() < end, "cosigned by %d of %d wanted: %s" % (
            len(got & set(want)), len(want), srv.log()[-3000:])
        time.sleep(0.2)


def ready_witnesses(srv):
    r = requests.get(srv.url + "/readyz", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["log"], {w["name"]: w for w in r.json()["log"]["witnesses"]}


def wait_for(cond, what, timeout=30.0):
    end = time.time() + timeout
    while not cond():
        assert time.time() < end, "timed out waiting for " + what
        time.sleep(0.2)


METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"


def configure(srv, witnesses_line, quorum):
    """Give the server witnesses (and a [metrics] token) and restart it: the first witness on
    the setting's line, the others on indented lines that continue it (an INI line holds at
    most 200 bytes)."""
    first, *rest = [w.strip() for w in witnesses_line.split(",")]
    with open(srv.config, "a") as f:
        f.write("[tlog]\nwitnesses = %s\n" % first)
        for w in rest:
            f.write("  %s\n" % w)
        f.write("witness_quorum = %d\n[metrics]\ntoken = %s\n" % (quorum, METRICS_TOKEN))
    srv.restart()


def metrics(srv, token=METRICS_TOKEN):
    """GET /metrics with the bearer token: {(name, labels): value} of the Prometheus text."""
    r = requests.get(srv.url + "/metrics", timeout=TIMEOUT,
                     headers={"Authorization": "Bearer " + token} if token else {})
    if r.status_code != 200:
        return r.status_code
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    out = {}
    for line in r.text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) dissent_\w+ ", line), line
            continue
        m = re.match(r'^(dissent_\w+)(\{[^}]*\})? (-?[0-9]+(?:\.[0-9]+)?)$', line)
        assert m, line
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def verify_cli(srv, vkey, wkeys, quorum):
    r = subprocess.run([BIN, "log", "verify", srv.url + "/log", "--vkey", vkey] +
                       [a for v in wkeys for a in ("--witness", v)] +
                       ["--quorum", str(quorum), "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def grow(srv, admin, name):
    """Append to the log: a new officer is an account event."""
    srv.add_user(admin, name, ["officer"])


def test_three_witnesses_one_down_one_forked(server, admin, witnesses):
    """w1 cosigns; w2 is down (then comes up); w3 was shown a fork of the log first and refuses,
    which the server reports. Filing goes on throughout, and verifiers hold the server to K of 3."""
    vkey = log_vkey(server)
    w1 = witnesses([vkey], name="witness.test/w1")
    w3 = witnesses([vkey], name="witness.test/w3")
    # w3 first cosigns a forked history: a checkpoint of size 1 signed with the log's own key
    # (what an operator splitting the view would make), whose one entry is not the log's
    forger = LogKey.from_skey_file(os.path.join(server.data, "log.skey"))
    assert forger.vkey == vkey
    r = w3.add(0, [], forger.checkpoint(1, leaf_hash(b"a forked entry")))
    assert r.status_code == 200, r.text
    # w2's key exists, but nothing listens where the server is told it is
    w2_dir = tempfile.mkdtemp(prefix="dissent-witness-")
    r = subprocess.run([BIN, "witness", "key", "--data", os.path.join(w2_dir, "w"), "--name",
                        "witness.test/w2"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    w2_vkey = r.stdout.strip()
    w2_port = free_port()
    keys = [w1.vkey, w2_vkey, w3.vkey]
    configure(server, "%s %s, http://127.0.0.1:%d %s, %s %s" % (
        w1.url, w1.vkey, w2_port, w2_vkey, w3.url, w3.vkey), 1)

    note = witnessed_note(server, keys, [w1.vkey])
    assert cosignatures(note, w2_vkey) == [] and cosignatures(note, w3.vkey) == []
    wait_for(lambda: ready_witnesses(server)[1]["witness.test/w3"]["state"] == "refused",
             "w3 to refuse")
    log, ws = ready_witnesses(server)
    assert ws["witness.test/w1"]["state"] == "ok"
    assert ws["witness.test/w2"]["state"] == "unreachable"
    assert ws["witness.test/w3"]["refusals"] >= 1
    assert "not consistent" in ws["witness.test/w3"]["error"]
    assert log["quorum"] == 1 and log["lag"] == 0
    assert "witness witness.test/w3: refuses the checkpoint" in server.log()
    assert ws["witness.test/w1"]["error"] is None and ws["witness.test/w1"]["last_ok"] > 0

    # the log grows (consistency proofs from the size w1 cosigned) while w2 is down
    size = parse_checkpoint(note)[1]
    admin = server.admin()
    grow(server, admin, "officer1")
    note = witnessed_note(server, keys, [w1.vkey])
    wait_for(lambda: parse_checkpoint(witnessed_note(server, keys, [w1.vkey]))[1] > size,
             "a larger cosigned checkpoint")
    rc, out, err = verify_cli(server, vkey, keys, 2)
    assert rc == 1 and "fewer than the 2 required" in err, (out, err)
    rc, out, err = verify_cli(server, vkey, keys, 1)
    assert rc == 0, err
    assert "cosigned by witness.test/w1" in out and "witness.test/w3" not in out

    # w2 comes up where the server looks for it: the server asks again and it cosigns
    w2 = Witness.__new__(Witness)
    w2.dir, w2.data, w2.vkey, w2.name, w2.logs = w2_dir, os.path.join(w2_dir, "w"), w2_vkey, \
        "witness.test/w2", [vkey]
    w2.proc = None
    w2.start(port=w2_port)
    try:
        grow(server, admin, "officer2")
        note = witnessed_note(server, keys, [w1.vkey, w2_vkey], timeout=60)
        rc, out, err = verify_cli(server, vkey, keys, 2)
        assert rc == 0, err
        assert "cosigned by witness.test/w2" in out
        rc, out, err = verify_cli(server, vkey, keys, 3)
        assert rc == 1 and "2 valid cosignatures of the 3 witnesses" in err
        assert ready_witnesses(server)[1]["witness.test/w2"]["state"] == "ok"
        assert ready_witnesses(server)[1]["witness.test/w3"]["state"] == "refused"
        # w3 never cosigned the real log: it still holds only the fork
        r = w3.latest(parse_checkpoint(note)[0])
        assert parse_checkpoint(r.text)[1:] == (1, leaf_hash(b"a forked entry"))
    finally:
        w2.cleanup()


def test_publication_waits_for_the_quorum(server, admin, witnesses):
    """With a quorum of 2, /log/checkpoint serves the newest checkpoint two witnesses cosigned;
    while one is away the newest one waits, and /readyz says by how much."""
    vkey = log_vkey(server)
    w1 = witnesses([vkey], name="witness.test/w1")
    w2 = witnesses([vkey], name="witness.test/w2")
    keys = [w1.vkey, w2.vkey]
    configure(server, "%s %s, %s %s" % (w1.url, w1.vkey, w2.url, w2.vkey), 2)
    note = witnessed_note(server, keys, keys)
    published = parse_checkpoint(note)[1]
    log, _ = ready_witnesses(server)
    assert log["published"] == published and log["lag"] == 0

    w2.stop()
    admin = server.admin()
    grow(server, admin, "officer1")
    wait_for(lambda: ready_witnesses(server)[0]["checkpoint"] > published, "a newer checkpoint")
    time.sleep(1.5)  # more checkpoints come and go: none of them is published
    r = requests.get(server.url + "/log/checkpoint", timeout=TIMEOUT)
    assert parse_checkpoint(r.text)[1] == published
    assert len(cosignatures(r.text, w1.vkey)) == 1 and len(cosignatures(r.text, w2.vkey)) == 1
    log, ws = ready_witnesses(server)
    assert log["lag"] == log["checkpoint"] - published > 0
    assert ws["witness.test/w2"]["state"] == "unreachable"
    assert ws["witness.test/w1"]["state"] == "ok"
    # and in the metrics, behind their token
    assert metrics(server, None) == 401 and metrics(server, "wrong" * 8) == 401
    m = metrics(server)
    assert m[("dissent_log_published_size", "")] == published
    assert m[("dissent_log_witness_lag", "")] >= log["lag"] > 0
    assert m[("dissent_log_witness_quorum", "")] == 2
    assert m[("dissent_witness_state", '{witness="witness.test/w2",state="unreachable"}')] == 1
    assert m[("dissent_witness_state", '{witness="witness.test/w2",state="ok"}')] == 0
    assert m[("dissent_witness_state", '{witness="witness.test/w1",state="ok"}')] == 1
    assert m[("dissent_witness_failures_total", '{witness="witness.test/w2"}')] >= 1
    assert m[("dissent_witness_last_cosigned_seconds", '{witness="witness.test/w1"}')] > 0
    # receipts do not wait for witnesses: filing goes on (account events here)
    grow(server, admin, "officer2")
    assert ready_witnesses(server)[0]["published"] == published


def test_metrics_need_their_token(server):
    """No [metrics] token: no /metrics at all. The log's gauges without witnesses."""
    assert metrics(server) == 404
    with open(server.config, "a") as f:
        f.write("[metrics]\ntoken = %s\n" % METRICS_TOKEN)
    server.restart()
    m = metrics(server)
    assert m[("dissent_log_witness_quorum", "")] == 0 and m[("dissent_log_witness_lag", "")] == 0
    assert not any(k[0].startswith("dissent_witness_") for k in m)
    with open(server.config, "a") as f:
        f.write("[metrics]\ntoken = short\n")
    with pytest.raises(RuntimeError, match="metrics.token"):
        server.restart()


def test_witness_settings_are_checked(make_server):
    for bad in ["http://127.0.0.1:1", "ftp://x.example k", "http://127.0.0.1:1 not-a-key",
                "http://example.org:1 w+00000000+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]:
        with pytest.raises(RuntimeError) as e:
            make_server(config={"tlog": {"witnesses": bad}})
        assert "witness" in str(e.value), str(e.value)
    w = "http://127.0.0.1:1 " + subprocess.run(
        [BIN, "witness", "key", "--data", tempfile.mkdtemp() + "/w", "--name", "w.test/a"],
        capture_output=True, text=True, timeout=TIMEOUT).stdout.strip()
    with pytest.raises(RuntimeError) as e:
        make_server(config={"tlog": {"witnesses": w, "witness_quorum": "2"}})
    assert "witness_quorum" in str(e.value)


class FakeWitness:
    """A witness written here from the spec, that answers its own valid cosignature and, after
    it, lines it has no business adding: a forged one naming another witness, one of a key the
    log does not know, and junk."""

    def __init__(self, name, forge_as):
        import http.server
        self.name = name
        self.sk = nacl.signing.SigningKey(hashlib.sha256(name.encode()).digest())
        pub = self.sk.verify_key.encode()
        self.kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.kid.hex(), base64.b64encode(b"\x04" + pub).decode())
        fname, fkid, _ = cosigner_key(forge_as)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                cp = body.split("\n\n", 1)[1]
                text = cp[:cp.index("\n\n") + 1]
                ts = int(time.time())
                sig = outer.sk.sign(b"cosignature/v1\ntime %d\n" % ts + text.encode()).signature
                own = base64.b64encode(outer.kid + ts.to_bytes(8, "big") + sig).decode()
                forged = base64.b64encode(fkid + ts.to_bytes(8, "big") + bytes(64)).decode()
                stranger = base64.b64encode(b"\x01\x02\x03\x04" + ts.to_bytes(8, "big") +
                                            bytes(64)).decode()
                # its own line last: what comes before it must not stop it being taken
                out = ("%s %s %s\n%s junk.example %s\n%s %s AAAA\n%s %s %s\n" % (
                    EM_DASH, fname, forged, EM_DASH, stranger, EM_DASH, "junk.example",
                    EM_DASH, outer.name, own)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_witness_adds_nothing_but_its_own_cosignature(server, admin, witnesses):
    vkey = log_vkey(server)
    w1 = witnesses([vkey], name="witness.test/w1")
    fake = FakeWitness("witness.test/fake", w1.vkey)
    try:
        configure(server, "%s %s, %s %s" % (w1.url, w1.vkey, fake.url, fake.vkey), 2)
        note = witnessed_note(server, [w1.vkey, fake.vkey], [w1.vkey, fake.vkey])
        # the forged line naming w1, the stranger's and the junk were all left out: every line
        # is the log's, w1's or the fake's own, once each
        _, sigs = split_note(note)
        assert sorted(n for n, _ in sigs) == sorted([parse_checkpoint(note)[0], w1.name,
                                                     fake.name]), sigs
        assert len(cosignatures(note, w1.vkey)) == 1 and len(cosignatures(note, fake.vkey)) == 1
        rc, out, err = verify_cli(server, vkey, [w1.vkey, fake.vkey], 2)
        assert rc == 0, err
    finally:
        fake.stop()
