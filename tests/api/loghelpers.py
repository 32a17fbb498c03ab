"""Helpers shared by the issue 5 ("Transparency log") tests: test_log_live.py, test_receipts.py
and test_stats_api.py.

An independent reader of what the server publishes, written from docs/formats.md and the C2SP
specifications with hashlib, base64 and PyNaCl only: vkeys and signed notes, checkpoints, tile
paths, entry bundles, RFC 6962 tree hashes and inclusion proofs (RFC 9162 2.1.3.2), log entries,
receipts. Import with `from loghelpers import ...`.
"""
import base64
import datetime
import hashlib
import os
import re
import subprocess
import time

import nacl.exceptions
import nacl.signing
import requests

from conftest import BIN, PASSWORD, TIMEOUT, memo_url, unix

EM_DASH = "\u2014"
MEMO_EVENTS = ("filed", "acknowledged", "declined", "distributed", "extended", "replied",
               "closed", "withdrawn", "rescheduled", "clarification", "escalated")
# events about an account (a reset, a role, the channel key), named by the account's tag
ACCOUNT_EVENTS = ("reset", "reset-confirmed", "officer-added", "officer-removed",
                  "principal-added", "principal-removed", "channel-granted", "channel-revoked",
                  "keys-bound", "head-added", "head-removed")
# events about the calendar run at runtime: no tag line at all
CALENDAR_EVENTS = ("closure-added", "closure-removed", "clock-stopped", "clock-resumed")
# records events (exports, legal holds, crypto-shredding): no tag line, how many memos
RECORDS_EVENTS = ("exported", "held", "released", "shredded")
# the read audit's head, anchored at every filing and on a schedule: no tag, no memo
AUDIT_EVENTS = ("audit-head",)
# a channel's settings set (docs/channels.md): no tag, the channel line (2 and later), their hash
CHANNEL_EVENTS = ("channel-changed",)
EVENTS = (MEMO_EVENTS + ACCOUNT_EVENTS + CALENDAR_EVENTS + RECORDS_EVENTS + AUDIT_EVENTS +
          CHANNEL_EVENTS)
TAG = re.compile(r"^[0-9a-f]{32}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
B64_32 = re.compile(r"^[A-Za-z0-9+/]{43}=$")


# ---- keys, notes, checkpoints ---------------------------------------------------------------

def key_id(name, pub):
    """The C2SP signed-note key ID of an Ed25519 key: 4 bytes."""
    return hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]


def parse_vkey(vkey):
    """(name, key ID bytes, 32-byte public key) of a vkey; asserts the key ID matches."""
    name, kid, rest = vkey.strip().split("+", 2)
    raw = base64.b64decode(rest, validate=True)
    assert len(raw) == 33 and raw[0] == 1, vkey
    pub = raw[1:]
    assert key_id(name, pub).hex() == kid, "vkey key ID does not match: %r" % vkey
    return name, bytes.fromhex(kid), pub


def make_vkey(name, pub):
    return "%s+%s+%s" % (name, key_id(name, pub).hex(),
                         base64.b64encode(b"\x01" + pub).decode())


def split_note(note):
    """(text, [(name, sigbytes)]) of a signed note (str); the text ends in LF."""
    i = note.rindex("\n\n")
    text, sigs = note[:i + 1], note[i + 2:]
    assert sigs.endswith("\n"), repr(note)
    lines = []
    for line in sigs[:-1].split("\n"):
        assert line.startswith(EM_DASH + " "), repr(line)
        name, b64 = line[2:].split(" ")
        lines.append((name, base64.b64decode(b64, validate=True)))
    return text, lines


def note_verified_by(note, vkey):
    """True when `note` carries a valid signature by `vkey` (lines by other keys ignored)."""
    name, kid, pub = parse_vkey(vkey)
    text, sigs = split_note(note)
    vk = nacl.signing.VerifyKey(pub)
    for n, sig in sigs:
        if n == name and sig[:4] == kid and len(sig) == 68:
            try:
                vk.verify(text.encode(), sig[4:])
                return True
            except nacl.exceptions.BadSignatureError:
                return False
    return False


def parse_checkpoint(note):
    """(origin, size, root bytes) of a checkpoint note (signature not checked)."""
    text, _ = split_note(note)
    lines = text[:-1].split("\n")
    assert len(lines) >= 3, repr(note)
    assert re.match(r"^(0|[1-9][0-9]*)$", lines[1]), repr(note)
    root = base64.b64decode(lines[2], validate=True)
    assert len(root) == 32, repr(note)
    return lines[0], int(lines[1]), root


# ---- Merkle tree (RFC 6962 / RFC 9162) -------------------------------------------------------

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """The Merkle tree hash of a list of leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def inclusion_root(index, size, leaf, proof):
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2), or None if it cannot."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# ---- tiles and bundles -----------------------------------------------------------------------

def tile_index(n):
    """The path form of a tile index: 3-digit groups, all but the last prefixed with x."""
    groups = []
    while True:
        groups.insert(0, "%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def tile_path(level, n, width=256):
    p = "tile/%s/%s" % (level, tile_index(n))
    return p if width == 256 else p + ".p/%d" % width


def parse_bundle(data):
    """The entries of an entry bundle: big-endian 16-bit length, then the bytes."""
    out, i = [], 0
    while i < len(data):
        assert i + 2 <= len(data), "truncated bundle"
        n = int.from_bytes(data[i:i + 2], "big")
        assert i + 2 + n <= len(data), "truncated bundle"
        out.append(data[i + 2:i + 2 + n])
        i += 2 + n
    return out


def fetch_entries(base, size, session=None):
    """Every entry of the log at `base` (the server URL) up to `size`, from the entry bundles."""
    s = session or requests
    out = []
    for n in range((size + 255) // 256):
        w = min(256, size - 256 * n)
        r = s.get(base + "/log/" + tile_path("entries", n, w), timeout=TIMEOUT)
        assert r.status_code == 200, (n, w, r.status_code, r.text)
        got = parse_bundle(r.content)
        assert len(got) == w, (n, w, len(got))
        out += got
    return out


def fetch_tile(base, level, n, width, session=None):
    s = session or requests
    r = s.get(base + "/log/" + tile_path(level, n, width), timeout=TIMEOUT)
    assert r.status_code == 200, (level, n, width, r.status_code, r.text)
    assert len(r.content) == 32 * width, (level, n, width, len(r.content))
    return [r.content[i:i + 32] for i in range(0, len(r.content), 32)]


def checkpoint(base, session=None):
    """(note text, origin, size, root) of the server's current checkpoint."""
    s = session or requests
    r = s.get(base + "/log/checkpoint", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    origin, size, root = parse_checkpoint(r.text)
    return r.text, origin, size, root


def receipt_of(srv, s, mid, timeout=5.0):
    """The filing receipt of `mid`, as `s` gets it from GET .../receipt once the next scheduled
    checkpoint covers the filing (409 receipt_pending until then)."""
    end = time.time() + timeout
    while True:
        r = s.get(memo_url(srv, mid, "receipt"), timeout=TIMEOUT)
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 409 and r.json()["error"]["code"] == "receipt_pending", r.text
        assert r.json()["error"]["retry_after"] >= 1
        assert time.time() < end, "no receipt within %.1f s" % timeout
        time.sleep(0.2)


def db_log_size(srv):
    """Entries the server's database holds, signed or not (read from the database itself)."""
    from keyhelpers import open_db
    with open_db(srv) as c:
        return c.execute("SELECT size FROM tlog_state").fetchone()[0]


def caught_up(srv, session=None, timeout=5.0):
    """Wait for the scheduled checkpoint that covers every entry the database holds (tests sign
    every second, [tlog] checkpoint_interval); its (note, origin, size, root)."""
    n = db_log_size(srv)
    note = wait_size(srv.url, n, timeout, session)
    assert note is not None, "no checkpoint of size %d within %.1f s" % (n, timeout)
    return (note,) + parse_checkpoint(note)


def wait_size(base, size, timeout=2.5, session=None):
    """Poll /log/checkpoint until its size is at least `size`; the note, or None on timeout."""
    end = time.time() + timeout
    while True:
        note, _, n, _ = checkpoint(base, session)
        if n >= size:
            return note
        if time.time() > end:
            return None
        time.sleep(0.05)


# ---- entries ---------------------------------------------------------------------------------

FIELDS = {
    "filed": ["event", "memo", "date", "signers", "commitment", "ack-due", "reply-due"],
    "acknowledged": ["event", "memo", "date", "reply-due"],
    "extended": ["event", "memo", "date", "reply-due"],
    "keys-bound": ["event", "account", "date", "binding"],
    "rescheduled": ["event", "memo", "date", "ack-due", "reply-due"],
    "clarification": ["event", "memo", "date", "reply-due"],
    "escalated": ["event", "memo", "date", "missed", "rung"],
    "closure-added": ["event", "date", "closed"],
    "closure-removed": ["event", "date", "closed"],
    "clock-stopped": ["event", "date", "from"],
    "clock-resumed": ["event", "date", "from", "until"],
    "exported": ["event", "date", "count"],
    "held": ["event", "date", "count"],
    "released": ["event", "date", "count"],
    "shredded": ["event", "date", "count"],
    "audit-head": ["event", "date", "head"],
    "channel-changed": ["event", "date", "settings"],
}


def parse_entry(raw):
    """The fields of a canonical log entry (dict, in order), asserting the exact format."""
    assert isinstance(raw, bytes) and len(raw) <= 512, raw
    text = raw.decode("ascii")
    assert text.endswith("\n") and "\r" not in text and "\n\n" not in text, repr(text)
    lines = text[:-1].split("\n")
    assert lines[0] == "dissent-log/v1", repr(text)
    fields = {}
    for line in lines[1:]:
        k, v = line.split(" ", 1)
        assert k not in fields and v and " " not in v, repr(text)
        fields[k] = v
    ev = fields.get("event")
    assert ev in EVENTS, repr(text)
    subject = "account" if ev in ACCOUNT_EVENTS else "memo"
    order = list(fields)
    # a memo event of channel 2..64 names it right after the event (docs/channels.md), as do a
    # grant or revocation of that channel's key and a role of it gained or lost; channel 1's
    # never do, nor any other event
    if "channel" in fields:
        assert order[1] == "channel", repr(text)
        assert ev not in (CALENDAR_EVENTS + RECORDS_EVENTS + AUDIT_EVENTS) and (
            ev not in ACCOUNT_EVENTS or ev in ("channel-granted", "channel-revoked",
                                               "officer-added", "officer-removed",
                                               "principal-added", "principal-removed",
                                               "head-added", "head-removed")), repr(text)
        assert re.match(r"^[1-9][0-9]?$", fields["channel"]), repr(text)
        assert 2 <= int(fields["channel"]) <= 64, repr(text)
        order.remove("channel")
    assert order == FIELDS.get(ev, ["event", subject, "date"]), repr(text)
    if ev not in CALENDAR_EVENTS + RECORDS_EVENTS + AUDIT_EVENTS + CHANNEL_EVENTS:
        assert TAG.match(fields[subject]), repr(text)
    if "count" in fields:
        assert re.match(r"^(0|[1-9][0-9]*)$", fields["count"]), repr(text)
        assert 0 <= int(fields["count"]) <= 1000000
    if "rung" in fields:
        assert fields["rung"] in ("1", "2"), repr(text)
    for k in ("date", "ack-due", "reply-due", "closed", "from", "until", "missed"):
        if k in fields:
            assert DATE.match(fields[k]), repr(text)
            datetime.date.fromisoformat(fields[k])
    if "signers" in fields:
        assert re.match(r"^[1-9][0-9]*$", fields["signers"]), repr(text)
        assert 1 <= int(fields["signers"]) <= 1000000
    for k in ("commitment", "binding", "head", "settings"):
        if k in fields:
            c = fields[k]
            assert B64_32.match(c) and base64.b64encode(base64.b64decode(c)).decode() == c, \
                repr(text)
    # formatting the parsed fields again gives the same bytes
    assert ("dissent-log/v1\n" + "".join("%s %s\n" % kv for kv in fields.items())).encode() == raw
    return fields


# ---- receipts --------------------------------------------------------------------------------

RECEIPT_KEYS = ["format", "entry", "salt", "digest", "index", "proof"]


def parse_proof(proof):
    """(index, [hashes], checkpoint note) of a c2sp.org/tlog-proof@v1 text."""
    head, cp = proof.split("\n\n", 1)
    lines = head.split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1", repr(proof)
    i = 1
    if lines[i].startswith("extra "):
        i += 1
    m = re.match(r"^index (0|[1-9][0-9]*)$", lines[i])
    assert m, repr(proof)
    hashes = [base64.b64decode(h, validate=True) for h in lines[i + 1:]]
    assert all(len(h) == 32 for h in hashes), repr(proof)
    return int(m.group(1)), hashes, cp


def check_receipt(rc, vkey, digest_b64=None):
    """Check a receipt like `dissent verify --vkey` does, in Python; returns the entry's fields
    and the checkpoint's size."""
    assert list(rc) == RECEIPT_KEYS, list(rc)
    assert rc["format"] == "dissent-receipt/v1"
    entry = base64.b64decode(rc["entry"], validate=True)
    salt = base64.b64decode(rc["salt"], validate=True)
    digest = base64.b64decode(rc["digest"], validate=True)
    assert len(salt) == 32 and len(digest) == 32
    assert isinstance(rc["index"], int) and rc["index"] >= 0
    index, hashes, cp = parse_proof(rc["proof"])
    assert index == rc["index"]
    assert note_verified_by(cp, vkey), cp
    origin, size, root = parse_checkpoint(cp)
    assert origin == parse_vkey(vkey)[0]
    assert inclusion_root(index, size, leaf_hash(entry), hashes) == root
    fields = parse_entry(entry)
    assert fields["event"] == "filed"
    assert base64.b64decode(fields["commitment"]) == hashlib.sha256(salt + digest).digest()
    if digest_b64 is not None:
        assert rc["digest"] == digest_b64
    return fields, size


# ---- the CLI ---------------------------------------------------------------------------------

def run_cli(*args, stdin=None):
    """Run `dissent ARGS`; (exit code, stdout, stderr) as text."""
    r = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def log_vkey(srv):
    """The log's vkey as `dissent log key --data DIR` prints it."""
    r = subprocess.run([BIN, "log", "key", "--data", srv.data, "--config", srv.config],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().split("\n")
    assert len(lines) == 1, r.stdout
    return lines[0]


# ---- a channel desk: users, memos, the clock --------------------------------------------------

class Desk:
    """A server with a drafter `dan`, co-signers `bob`, `cat`, `eve`, an officer `off`, a principal
    `pat` and an auditor `aud`, all signed in (the officer's enrolment created the channel key)."""

    NAMES = (("dan", ["staff"]), ("bob", ["staff"]), ("cat", ["staff"]), ("eve", ["staff"]),
             ("off", ["officer"]), ("pat", ["principal"]), ("aud", ["auditor"]))
    # the log's entries before any memo: the accounts' (off: officer-added and channel-granted
    # at its enrolment; pat: principal-added; keys-bound for each of the seven and for the
    # first admin, when their keys were born)
    BASE = 11

    def __init__(self, make_server, config=None, clock=None):
        config = {k: dict(v) for k, v in (config or {}).items()}
        if clock is not None:
            config.setdefault("debug", {})["clock_start"] = str(unix(clock))
        self.srv = make_server(config=config)
        self.admin = self.srv.admin()
        for name, roles in self.NAMES:
            self.srv.add_user(self.admin, name, roles)
        self.login()
        self.vkey = log_vkey(self.srv)

    def login(self):
        self.s = {n: self.srv.login(n, PASSWORD) for n, _ in self.NAMES}
        self.s["admin"] = self.srv.admin()

    @property
    def url(self):
        return self.srv.url

    def call(self, who, method, mid, suffix="", json=None, status=200):
        r = self.s[who].request(method, memo_url(self.srv, mid, suffix), json=json,
                                timeout=TIMEOUT)
        assert r.status_code == status, "%s %s %s: want %d, got %d: %s" % (
            who, method, suffix, status, r.status_code, r.text)
        return r

    def post(self, who, mid, suffix, json=None, status=200):
        r = self.call(who, "POST", mid, suffix, json, status)
        return r.json() if r.content else None

    def draft(self, title="A memo", body="Text.\n"):
        r = self.s["dan"].post(memo_url(self.srv), json={"title": title, "body": body},
                               timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def signed(self, title="A memo", body="Text.\n", cosigners=()):
        """A memo finalized and signed by dan then each of `cosigners`; its id."""
        mid = self.draft(title, body)
        if cosigners:
            self.post("dan", mid, "invitations", {"usernames": list(cosigners)})
        self.post("dan", mid, "finalize")
        self.post("dan", mid, "signatures", status=201)
        for c in cosigners:
            self.post(c, mid, "signatures", status=201)
        return mid

    def file(self, title="A memo", body="Text.\n", cosigners=()):
        """A memo filed now: (id, the filing's answer, with the receipt the drafter gets once
        the next checkpoint covers it)."""
        mid = self.signed(title, body, cosigners)
        ans = self.post("dan", mid, "file")
        if ans["receipt"] is None:
            assert ans["receipt_after"] >= 1, ans
            ans["receipt"] = receipt_of(self.srv, self.s["dan"], mid)
        return mid, ans

    def log_size(self):
        """Entries in the database's log, signed or not (no waiting for a checkpoint)."""
        return db_log_size(self.srv)

    def set_clock(self, iso):
        """Restart the server with its clock starting at `iso` (same data and config)."""
        with open(self.srv.config) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^clock_start = .*$", "clock_start = %d" % unix(iso), text)
        assert n == 1, text
        with open(self.srv.config, "w") as f:
            f.write(text)
        assert self.srv.restart() == 0
        self.login()


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return str(path)


def mode(path):
    import stat
    return stat.S_IMODE(os.stat(path).st_mode)
