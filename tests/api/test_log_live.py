"""The live transparency log (docs/api.md "Transparency log", docs/formats.md "Log entries",
DESIGN.md "Transparency log"): /log/checkpoint and /log/tile/... as the server serves them while
memos move, read by the independent code in loghelpers.py.

- the checkpoint is a signed note by the log key (`dissent log key`), origin = [tlog] origin;
- tiles and entry bundles: content type, partial and full tiles, cache headers, 404s;
- one entry per memo event, exactly the fields of the format, nothing that names a person, a
  title, a text or an id; the memo tag is stable per memo and unrelated to the memo id;
- nothing else appends: illegal transitions, invitations, signatures, comments, edits;
- a new entry is covered by a signed checkpoint within about a second;
- `dissent log verify URL --state FILE` after each event: every two checkpoints are consistent;
- [tlog] public = false: auditors only; otherwise no session needed;
- the log key: `dissent log key`, log.skey mode 0600, a key made for another origin.

The server of the module fixture `live` is shared by the tests that only add to its log.
"""
import base64
import datetime
import hashlib
import os
import re
import subprocess
import time

import nacl.signing
import pytest
import requests

from conftest import (BIN, PASSWORD, TIMEOUT, Server, assert_error, assert_wrong_state,
                      memo_url, parallel, raw_status)
from keyhelpers import marker, open_db
from loghelpers import (Desk, EM_DASH, check_receipt, checkpoint, fetch_entries, fetch_tile,
                        receipt_of,
                        leaf_hash, log_vkey, mode, mth, node_hash, note_verified_by,
                        parse_bundle, parse_checkpoint, parse_entry, parse_vkey, run_cli,
                        tile_path, wait_size)

ORIGIN = "live.dissent.test/log"
TITLE_MARK = marker()
BODY_MARK = marker()
NAME_MARK = marker()


@pytest.fixture(scope="module")
def live():
    started = []

    def make(**kw):
        s = Server(**kw)
        started.append(s)
        return s

    d = Desk(make, config={"tlog": {"origin": ORIGIN}, "channel": {"principals": "pat"}})
    d.srv.add_user(d.admin, "pia", ["principal"])
    for name in ("dan", "bob", "off"):
        r = d.admin.patch(d.url + "/api/v1/users/" + name,
                          json={"display_name": "%s %s" % (name.title(), NAME_MARK)},
                          timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    d.s["pia"] = d.srv.login("pia", PASSWORD)
    yield d
    problems = []
    for s in started:
        problems += s.cleanup()
    assert not problems, "\n".join(problems)


def get(url, session=None):
    return (session or requests).get(url, timeout=TIMEOUT)


def settle(desk):
    """Wait until the checkpoint covers every entry; (note, size, root)."""
    n = desk.log_size()
    note = wait_size(desk.url, n)
    assert note is not None, "no checkpoint of size %d within 2.5 s" % n
    _, size, root = parse_checkpoint(note)
    assert size == n, (size, n)
    return note, size, root


# ---- the checkpoint --------------------------------------------------------------------------


def test_checkpoint_is_signed_by_the_log_key(live):
    live.file()
    note, size, root = settle(live)
    r = get(live.url + "/log/checkpoint")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers.get("Cache-Control") == "no-cache"
    assert r.content == note.encode()

    # the vkey: named after the origin, its key ID = SHA-256(name || 0x0A || 0x01 || key)[:4]
    name, kid, rest = live.vkey.split("+", 2)
    assert name == ORIGIN
    raw = base64.b64decode(rest)
    assert raw[0] == 1 and len(raw) == 33
    pub = raw[1:]
    assert hashlib.sha256(name.encode() + b"\x0a\x01" + pub).digest()[:4].hex() == kid

    # body: origin, size, base64 root; then an empty line and "— name base64(keyid||sig)"
    text, sigs = note.split("\n\n")
    lines = text.split("\n")
    assert lines[0] == ORIGIN
    assert lines[1] == str(size) and size >= 1
    assert base64.b64decode(lines[2]) == root
    sig_lines = sigs.rstrip("\n").split("\n")
    mine = [l for l in sig_lines if l.startswith(EM_DASH + " " + ORIGIN + " ")]
    assert len(mine) == 1, note
    blob = base64.b64decode(mine[0].split(" ")[2], validate=True)
    assert len(blob) == 68 and blob[:4].hex() == kid
    nacl.signing.VerifyKey(pub).verify((text + "\n").encode(), blob[4:])
    # the root is the RFC 6962 root of the entries
    entries = fetch_entries(live.url, size)
    assert mth([leaf_hash(e) for e in entries]) == root


def test_first_log(make_server, tmp_path):
    """A new channel's log holds one entry: the keys of the first administrator, born at the
    first start (keys-bound, core/trust.h)."""
    srv = make_server(config={"tlog": {"origin": "empty.dissent.test/log"}})
    vkey = log_vkey(srv)
    note, origin, size, root = checkpoint(srv.url)
    assert (origin, size) == ("empty.dissent.test/log", 1)
    (entry,) = fetch_entries(srv.url, 1)
    assert parse_entry(entry)["event"] == "keys-bound"
    assert root == leaf_hash(entry)
    assert note_verified_by(note, vkey)
    for p in ("tile/0/000.p/2", "tile/entries/000.p/2", "tile/0/000", "tile/entries/000"):
        assert get(srv.url + "/log/" + p).status_code == 404, p
    state = str(tmp_path / "state")
    code, out, err = run_cli("log", "verify", srv.url + "/log", "--vkey", vkey, "--state", state)
    assert code == 0, err
    with open(state) as f:
        assert f.read() == note


# ---- tiles and bundles -----------------------------------------------------------------------


MALFORMED = ["tile/0/0", "tile/0/00", "tile/0/0000", "tile/0/00a", "tile/0/000.p/",
             "tile/0/000.p/0", "tile/0/000.p/01", "tile/0/000.p/256", "tile/0/000.p/-1",
             "tile/0/000.p/1x", "tile/0/000.p/1/", "tile/0/000/", "tile/0/x000/000",
             "tile/0/x001", "tile/-1/000.p/1", "tile/a/000.p/1", "tile/00/000.p/1",
             "tile/64/000.p/1", "tile/0", "tile/", "tile", "tile/entries", "tile/entries/",
             "tile/entries/0", "tile/entries/000.p/0", "tile/entries/000.p/abc",
             "tile/data/000.p/1", "tile/0/000.q/1", "tile/0/000.p", "checkpoint/x",
             "tile/0/000.p/1.", "tile/0/+01.p/1", "tile/0/000.p/+1", "tile/0/000.p/1%00",
             "tile/0//000.p/1", "tile//0/000.p/1", "tile/0/000.p//1"]


def test_partial_tiles(live):
    live.file()
    live.file()
    _, size, root = settle(live)
    assert 2 <= size < 256

    r = get(live.url + "/log/" + tile_path(0, 0, size))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/octet-stream"
    cc = r.headers.get("Cache-Control", "")
    assert "max-age=60" in cc and "immutable" not in cc, cc
    assert len(r.content) == 32 * size
    hashes = [r.content[i:i + 32] for i in range(0, len(r.content), 32)]

    b = get(live.url + "/log/" + tile_path("entries", 0, size))
    assert b.status_code == 200, b.text
    assert b.headers["Content-Type"] == "application/octet-stream"
    cc = b.headers.get("Cache-Control", "")
    assert "max-age=60" in cc and "immutable" not in cc, cc
    entries = parse_bundle(b.content)
    assert len(entries) == size
    assert [leaf_hash(e) for e in entries] == hashes
    assert mth(hashes) == root
    for e in entries:
        parse_entry(e)

    # a smaller width of the current partial tile, if served, is a prefix
    r = get(live.url + "/log/" + tile_path(0, 0, size - 1))
    if r.status_code == 200:
        assert r.content == b"".join(hashes[:-1])
    else:
        assert r.status_code == 404

    # beyond the tree: 404
    for p in (tile_path(0, 0, size + 1), tile_path("entries", 0, size + 1), tile_path(0, 0),
              tile_path("entries", 0), tile_path(0, 1, 1), tile_path("entries", 1, 1),
              tile_path(1, 0, 1), tile_path(2, 0, 1), tile_path(0, 0, 255),
              tile_path(0, 1000, 1)):
        r = get(live.url + "/log/" + p)
        assert r.status_code == 404, (p, r.status_code)


def test_malformed_tile_paths_are_404(live):
    live.file()
    settle(live)
    bad = []
    for p in MALFORMED:
        r = get(live.url + "/log/" + p)
        if r.status_code != 404:
            bad.append("%s: %d" % (p, r.status_code))
    # dot segments, sent as such (requests would resolve them)
    for p in ("tile/0/../0/000.p/1", "tile/./0/000.p/1", "tile/entries/../0/000.p/1"):
        out = live.srv.raw(("GET /log/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            % p).encode(), timeout=2)
        if raw_status(out) not in (400, 404):
            bad.append("%s: %s" % (p, raw_status(out)))
    assert not bad, "malformed tile paths not answered 404: " + ", ".join(bad)


def test_full_tiles(make_server, tmp_path):
    """More than 256 entries, made cheaply: one day's extensions at a time on four memos (a
    channel whose reply is due a day after filing and may be extended for a year)."""
    d = Desk(make_server, config={"tlog": {"origin": "full.dissent.test/log"},
                                  "channel": {"preset": "eu-directive", "reply": "1 days",
                                              "reply_max": "12 months", "reply_from": "filing"}},
             clock="2026-03-02T12:00:00")
    mids = []
    for _ in range(4):
        mid, _ = d.file()
        d.post("off", mid, "acknowledge")
        mids.append(mid)
    cookies = d.s["off"].cookies.get_dict()

    def extend(mid):
        s = d.srv.session()
        s.cookies.update(cookies)
        due = datetime.date.fromisoformat(
            s.get(memo_url(d.srv, mid), timeout=TIMEOUT).json()["deadlines"]["reply"]["due"])
        for _ in range(63):
            due += datetime.timedelta(days=1)
            r = s.post(memo_url(d.srv, mid, "extend"), timeout=TIMEOUT,
                       json={"until": due.isoformat(), "reason": "more time"})
            assert r.status_code == 200, r.text

    parallel(extend, mids, 4)
    _, size, root = settle(d)
    # 4 filings (each with the read audit's anchor) and acknowledgements, 63 extensions each
    assert size == d.BASE + 4 * 3 + 4 * 63 == 275

    full = get(d.url + "/log/tile/0/000")
    assert full.status_code == 200
    assert full.headers["Content-Type"] == "application/octet-stream"
    assert full.headers.get("Cache-Control") == "public, max-age=31536000, immutable"
    assert len(full.content) == 8192
    bundle = get(d.url + "/log/tile/entries/000")
    assert bundle.status_code == 200
    assert bundle.headers["Content-Type"] == "application/octet-stream"
    assert bundle.headers.get("Cache-Control") == "public, max-age=31536000, immutable"
    entries = parse_bundle(bundle.content)
    assert len(entries) == 256
    assert b"".join(leaf_hash(e) for e in entries) == full.content

    rest = fetch_tile(d.url, 0, 1, size - 256)
    r = get(d.url + "/log/" + tile_path(0, 1, size - 256))
    assert "immutable" not in r.headers.get("Cache-Control", "")
    more = parse_bundle(get(d.url + "/log/" + tile_path("entries", 1, size - 256)).content)
    assert [leaf_hash(e) for e in more] == rest
    # level 1: one hash, the root of the full level 0 tile
    l1 = fetch_tile(d.url, 1, 0, 1)
    level0 = [full.content[i:i + 32] for i in range(0, 8192, 32)]
    assert l1 == [mth(level0)]
    assert node_hash(l1[0], mth(rest)) == root
    # a partial width of a full tile, if served, is a prefix of it (tlog-tiles lets servers
    # keep or drop them)
    r = get(d.url + "/log/tile/0/000.p/255")
    assert r.status_code in (200, 404)
    if r.status_code == 200:
        assert r.content == full.content[:255 * 32]
    # beyond the tree, or a width that is no partial width
    for p in ("tile/0/001", "tile/1/000", "tile/1/000.p/2", "tile/entries/001",
              "tile/0/000.p/256", "tile/0/001.p/%d" % (size - 255), "tile/2/000.p/1"):
        assert get(d.url + "/log/" + p).status_code == 404, p
    code, out, err = run_cli("log", "verify", d.url + "/log", "--vkey", d.vkey)
    assert code == 0, err
    assert "275 entries" in out, out
    # every extension is an entry with its new reply due date
    for e in entries + more:
        parse_entry(e)


# ---- entries ---------------------------------------------------------------------------------


class Tracker:
    """Runs actions and checks that each appends exactly the expected entries."""

    def __init__(self, desk):
        self.desk = desk
        self.start = desk.log_size()
        self.n = self.start
        self.expect = []  # (event, memo id)

    def do(self, events, fn, *a, **kw):
        # a filing anchors the read audit's head right after its entry (docs/formats.md)
        events = [x for ev in events for x in ([ev, ("audit-head", None)]
                                               if ev[0] == "filed" else [ev])]
        out = fn(*a, **kw)
        if isinstance(out, dict) and "receipt_after" in out and out.get("receipt") is None:
            # a filing: its receipt comes with the next scheduled checkpoint
            out["receipt"] = receipt_of(self.desk.srv, self.desk.s[a[0]], a[1])
        n = self.desk.log_size()
        assert n == self.n + len(events), "%s appended %d entries, expected %d (%s)" % (
            " ".join(str(x) for x in a[:4]), n - self.n, len(events), events)
        self.n = n
        self.expect += events
        return out

    def entries(self):
        note, size, _ = settle(self.desk)
        assert size == self.n
        return fetch_entries(self.desk.url, size)[self.start:]


def test_one_entry_per_event(live):
    d = live
    t = Tracker(d)
    title = "Title %s" % TITLE_MARK
    body = "Body %s\n" % BODY_MARK
    a = d.signed(title, body, ("bob",))
    fa = t.do([("filed", a)], d.post, "dan", a, "file")
    t.do([("acknowledged", a), ("distributed", a)], d.post, "off", a, "acknowledge")
    t.do([("distributed", a)], d.post, "off", a, "distribution", {"usernames": ["pia"]})
    ma = d.call("off", "GET", a).json()
    until = (datetime.date.fromisoformat(ma["deadlines"]["reply"]["due"]) +
             datetime.timedelta(days=7)).isoformat()
    t.do([("extended", a)], d.post, "off", a, "extend", {"until": until, "reason": "busy"})
    t.do([("replied", a)], d.post, "off", a, "reply", {"body": "Reply %s" % BODY_MARK})
    t.do([("closed", a)], d.post, "dan", a, "accept")
    ma = d.call("off", "GET", a).json()

    b = d.signed(title, body)
    fb = t.do([("filed", b)], d.post, "dan", b, "file")
    t.do([("declined", b)], d.post, "off", b, "decline", {"reason": "out of scope", "referral": "eeo"})
    c = d.signed(title, body, ("bob", "cat"))
    fc = t.do([("filed", c)], d.post, "dan", c, "file")
    t.do([("acknowledged", c), ("distributed", c)], d.post, "off", c, "acknowledge")
    t.do([("withdrawn", c)], d.post, "dan", c, "withdraw")
    e = d.signed(title, body)
    fe = t.do([("filed", e)], d.post, "dan", e, "file")
    t.do([("withdrawn", e)], d.post, "dan", e, "withdraw")

    entries = t.entries()
    parsed = [parse_entry(x) for x in entries]
    assert [(p["event"], None) for p in parsed] == [(ev, None) for ev, _ in t.expect]
    tags = {}
    for p, (ev, mid) in zip(parsed, t.expect):
        if mid is None:  # the audit's anchors name no memo
            assert "memo" not in p
            continue
        tags.setdefault(mid, set()).add(p["memo"])
    # one tag per memo, distinct between memos, unrelated to the memo id
    assert all(len(v) == 1 for v in tags.values()), tags
    tag = {mid: v.pop() for mid, v in tags.items()}
    assert len(set(tag.values())) == 4, tag
    for mid, tg in tag.items():
        assert_unrelated(tg, mid)

    def one(mid, ev):
        return [p for p, (e2, m2) in zip(parsed, t.expect) if m2 == mid and e2 == ev]

    # the filing entries are the receipts' entries, with the filing's figures
    for mid, filing, signers in ((a, fa, 2), (b, fb, 1), (c, fc, 3), (e, fe, 1)):
        (p,) = one(mid, "filed")
        fields, _ = check_receipt(filing["receipt"], d.vkey, filing["digest"])
        assert fields == p
        assert p["signers"] == str(signers)
        assert p["date"] == filing["filed_on"]
        assert p["ack-due"] == filing["deadlines"]["acknowledge"]["due"]
        assert p["reply-due"] == filing["deadlines"]["reply"]["due"]
    (p,) = one(a, "acknowledged")
    assert p["date"] == ma["acknowledged_on"]
    assert p["reply-due"] == fa["deadlines"]["reply"]["due"]  # state-dept: from filing
    (p,) = one(a, "extended")
    assert p["reply-due"] == until == ma["deadlines"]["reply"]["due"]
    (p,) = one(a, "replied")
    assert p["date"] == ma["replied_on"]
    (p,) = one(a, "closed")
    assert p["date"] == ma["closed_on"]
    today = fa["filed_on"]
    assert all(p["date"] == today for p in parsed)

    # nothing in them names a person, a title, a text or an id
    names = ["dan", "bob", "cat", "off", "pat", "pia", "admin"]
    for raw in entries:
        text = raw.decode()
        for mark in (TITLE_MARK, BODY_MARK, NAME_MARK, "Title", "Body", "Reply"):
            assert mark not in text, text
        for mid in (a, b, c, e):
            assert mid not in text, text
        tokens = set(re.split(r"[ \n]", text))
        assert not tokens & set(names), text
    # nor do the tiles or the checkpoint
    blob = get(d.url + "/log/checkpoint").content
    for mid in (a, b, c, e):
        assert mid.encode() not in blob


def test_reply_due_dates_follow_the_acknowledgement(make_server):
    """With the eu-directive preset the reply clock runs from the acknowledgement: the filed
    entry carries the reply due date counted from the acknowledgement's due date, the
    acknowledged entry the one counted from the acknowledgement itself."""
    d = Desk(make_server, config={"channel": {"preset": "eu-directive"}},
             clock="2026-03-02T12:00:00")
    mid, f = d.file()
    filed = parse_entry(base64.b64decode(f["receipt"]["entry"]))
    assert (filed["date"], filed["ack-due"], filed["reply-due"]) == (
        "2026-03-02", "2026-03-09", "2026-06-09")
    assert filed["reply-due"] == f["deadlines"]["reply"]["due"]
    d.post("off", mid, "acknowledge")
    m = d.call("off", "GET", mid).json()
    assert m["deadlines"]["reply"]["due"] == "2026-06-02"
    _, size, _ = settle(d)
    ack = parse_entry(fetch_entries(d.url, size)[-1])
    assert ack == {"event": "acknowledged", "memo": filed["memo"], "date": "2026-03-02",
                   "reply-due": "2026-06-02"}


def assert_unrelated(tag, mid):
    """The tag is not the memo id nor an obvious function of it or of a small number."""
    assert tag != mid and mid not in tag and tag[:24] != mid
    raw = bytes.fromhex(mid)
    for h in (hashlib.sha256, hashlib.md5, hashlib.sha1, hashlib.blake2b):
        for src in (mid.encode(), raw):
            assert h(src).hexdigest()[:32] != tag
    assert int(tag, 16) > 2 ** 64, "tag %s looks like a counter" % tag


def test_tags_are_random_per_memo(live):
    """Two memos with the same title, body and signers filed the same day get unrelated tags;
    the tag stays the memo's through all its entries."""
    d = live
    t = Tracker(d)
    x = d.signed("Same", "Same.\n")
    y = d.signed("Same", "Same.\n")
    fx = t.do([("filed", x)], d.post, "dan", x, "file")
    fy = t.do([("filed", y)], d.post, "dan", y, "file")
    tx = parse_entry(base64.b64decode(fx["receipt"]["entry"]))
    ty = parse_entry(base64.b64decode(fy["receipt"]["entry"]))
    assert tx["memo"] != ty["memo"]
    assert tx["commitment"] != ty["commitment"], "the salt must differ between memos"
    assert fx["receipt"]["salt"] != fy["receipt"]["salt"]
    t.do([("acknowledged", x), ("distributed", x)], d.post, "off", x, "acknowledge")
    t.do([("withdrawn", x)], d.post, "dan", x, "withdraw")
    parsed = [parse_entry(e) for e in t.entries()]
    assert [p["memo"] for p in parsed if "memo" in p] == [tx["memo"], ty["memo"], tx["memo"],
                                                          tx["memo"], tx["memo"]]


def test_silent_actions_and_illegal_transitions_append_nothing(live):
    d = live
    t = Tracker(d)
    nothing = []

    def patch(mid, body, version):
        r = d.s["dan"].patch(memo_url(d.srv, mid), json=body, timeout=TIMEOUT,
                             headers={"If-Match": '"%d"' % version})
        assert r.status_code == 200, r.text
        return r.json()

    mid = t.do(nothing, d.draft, "Silent", "Draft.\n")
    t.do(nothing, patch, mid, {"title": "Silent, edited"}, 1)
    t.do(nothing, d.post, "dan", mid, "comments", {"body": "a note"}, 201)
    t.do(nothing, d.post, "dan", mid, "invitations", {"usernames": ["bob", "cat", "eve"]})
    t.do(nothing, d.post, "dan", mid, "finalize")
    t.do(nothing, d.call, "dan", "POST", mid, "file", None, 409)  # not signed by the drafter
    t.do(nothing, d.post, "dan", mid, "reopen", {"reason": "typo"})
    t.do(nothing, patch, mid, {"body": "Draft, again.\n"}, d.call("dan", "GET", mid).json()["version"])
    t.do(nothing, d.post, "dan", mid, "finalize")
    t.do(nothing, d.post, "dan", mid, "signatures", None, 201)
    t.do(nothing, d.post, "bob", mid, "signatures", None, 201)
    t.do(nothing, d.post, "cat", mid, "signatures", None, 201)
    t.do(nothing, d.call, "cat", "DELETE", mid, "signatures/me", None, 204)
    t.do(nothing, d.call, "eve", "DELETE", mid, "invitations/me", None, 204)
    # illegal in open: acknowledge is not even visible to the officer yet
    t.do(nothing, d.call, "dan", "POST", mid, "withdraw", None, 409)
    t.do(nothing, d.call, "dan", "POST", mid, "finalize", None, 409)
    f = t.do([("filed", mid)], d.post, "dan", mid, "file")
    assert f["signer_count"] == 2
    assert parse_entry(base64.b64decode(f["receipt"]["entry"]))["signers"] == "2"

    def wrong(who, suffix, state, body=None):
        assert_wrong_state(d.call(who, "POST", mid, suffix, body, 409), state)

    # filed: comments by drafter and officer, reads, and every illegal action
    t.do(nothing, d.post, "off", mid, "comments", {"body": "officer note"}, 201)
    t.do(nothing, d.post, "dan", mid, "comments", {"body": "drafter note"}, 201)
    t.do(nothing, d.call, "dan", "GET", mid, "bundle")
    t.do(nothing, d.call, "dan", "GET", mid, "receipt")
    t.do(nothing, d.call, "off", "GET", mid, "audit")
    for who, suffix, body in (("dan", "file", None), ("dan", "finalize", None),
                              ("dan", "reopen", None), ("off", "close", None),
                              ("off", "reply", {"body": "too early"}),
                              ("off", "distribution", {"usernames": ["pia"]}),
                              ("off", "extend", {"until": "2099-01-01", "reason": "r"})):
        t.do(nothing, wrong, who, suffix, "filed", body)
    t.do(nothing, d.call, "off", "POST", mid, "decline", {}, 422)  # no reason
    t.do([("acknowledged", mid), ("distributed", mid)], d.post, "off", mid, "acknowledge")
    for who, suffix, body in (("off", "acknowledge", None), ("off", "decline", {"reason": "r", "referral": "eeo"}),
                              ("off", "close", None), ("dan", "file", None)):
        t.do(nothing, wrong, who, suffix, "acknowledged", body)
    # an extension past the maximum is 422 and appends nothing either
    t.do(nothing, d.call, "off", "POST", mid, "extend",
             {"until": "2999-01-01", "reason": "forever"}, 422)
    t.do(nothing, d.post, "pat", mid, "comments", {"body": "principal note"}, 201)
    t.do([("withdrawn", mid)], d.post, "dan", mid, "withdraw")
    for who, suffix, body in (("dan", "withdraw", None), ("off", "acknowledge", None),
                              ("off", "reply", {"body": "late"}), ("off", "close", None),
                              ("off", "extend", {"until": "2099-01-01", "reason": "r"})):
        t.do(nothing, wrong, who, suffix, "withdrawn", body)
    # the checkpoint agrees once it catches up, a second later at most
    time.sleep(1.2)
    _, _, size, _ = checkpoint(d.url)
    assert size == t.n
    assert [parse_entry(e)["event"] for e in t.entries()] == [ev for ev, _ in t.expect]


# ---- checkpoints follow appends ----------------------------------------------------------------


def test_checkpoint_signed_within_a_second(live):
    d = live
    mid, f = d.file()
    size0 = parse_checkpoint(f["receipt"]["proof"].split("\n\n", 1)[1])[1]
    settle(d)
    _, _, size0, _ = checkpoint(d.url)
    d.post("off", mid, "acknowledge")  # two entries: acknowledged, distributed
    t0 = time.time()
    note = None
    while time.time() - t0 < 2.0:
        note, _, size, _ = checkpoint(d.url)
        if size >= size0 + 2:
            break
        time.sleep(0.05)
    elapsed = time.time() - t0
    assert size >= size0 + 2, "checkpoint size still %d after %.2f s (want %d)" % (
        size, elapsed, size0 + 2)
    assert note_verified_by(note, d.vkey)

    # and without asking: GET /log/checkpoint signs a checkpoint when the newest is stale, so
    # polling it cannot tell whether the server signs by itself; look at the checkpoints it
    # stored (tlog_checkpoints in dissent.db) after an append, with no request meanwhile: the
    # schedule is one a second, and three suites share two cores beside it (hence up to 3 s)
    d.post("off", mid, "distribution", {"usernames": ["pia"]})
    t0 = time.time()
    while True:
        time.sleep(0.1)
        conn = open_db(d.srv)
        try:
            stored, text = conn.execute(
                "SELECT size, text FROM tlog_checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        finally:
            conn.close()
        if stored == size0 + 3 or time.time() - t0 > 3.0:
            break
    assert stored == size0 + 3, "newest stored checkpoint has size %d %.1f s after the append " \
        "of entry %d" % (stored, time.time() - t0, size0 + 3)
    assert note_verified_by(text, d.vkey)
    note, _, size2, _ = checkpoint(d.url)
    assert size2 == size0 + 3 and note == text, (size0, size2)


def test_log_verify_after_each_event(make_server, tmp_path):
    """`dissent log verify URL --vkey VKEY --state FILE` after each event: exit 0 every time
    (every two checkpoints consistent), and the state file holds the newest checkpoint."""
    d = Desk(make_server, config={"tlog": {"origin": "monitor.dissent.test/log"}})
    state = str(tmp_path / "state")
    runs = [0]

    def verify_now(expect):
        note = wait_size(d.url, expect)
        assert note is not None, "no checkpoint of size %d" % expect
        url = d.url + ("/log" if runs[0] % 2 == 0 else "/log/")
        runs[0] += 1
        code, out, err = run_cli("log", "verify", url, "--vkey", d.vkey, "--state", state)
        assert code == 0, "after %d entries: %s%s" % (expect, out, err)
        assert out.startswith("OK: log monitor.dissent.test/log, %d entries" % expect), out
        with open(state) as f:
            assert f.read() == note
        assert mode(state) == 0o600
        assert sorted(os.listdir(tmp_path)) == ["state"]

    verify_now(d.BASE)
    a, _ = d.file(cosigners=("bob",))
    verify_now(d.BASE + 2)  # the filing and the read audit's anchor
    b, _ = d.file()
    verify_now(d.BASE + 4)
    d.post("off", a, "acknowledge")
    verify_now(d.BASE + 5)
    due = d.call("off", "GET", a).json()["deadlines"]["reply"]["due"]
    until = (datetime.date.fromisoformat(due) + datetime.timedelta(days=3)).isoformat()
    d.post("off", a, "extend", {"until": until, "reason": "more time"})
    verify_now(d.BASE + 6)
    d.post("off", b, "decline", {"reason": "out of scope", "referral": "eeo"})
    verify_now(d.BASE + 7)
    d.post("off", a, "reply", {"body": "Our answer."})
    d.post("dan", a, "accept")
    verify_now(d.BASE + 9)
    # the saved state against a stranger's key fails and keeps the state
    with open(state) as f:
        before = f.read()
    other = nacl.signing.SigningKey.generate().verify_key.encode()
    from loghelpers import make_vkey
    code, out, err = run_cli("log", "verify", d.url + "/log", "--vkey",
                             make_vkey("monitor.dissent.test/log", other), "--state", state)
    assert code == 1 and err.startswith("FAILED: "), (out, err)
    with open(state) as f:
        assert f.read() == before


# ---- who may read the log ----------------------------------------------------------------------


LOG_ROUTES = ["/log/checkpoint", "/log/tile/0/000.p/1", "/log/tile/entries/000.p/1",
              "/api/v1/stats"]


def test_public_log_needs_no_session(live):
    live.file()
    settle(live)
    for path in LOG_ROUTES:
        r = get(live.url + path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        for who in ("dan", "off", "pat", "aud", "admin"):
            r = get(live.url + path, live.s[who])
            assert r.status_code == 200, (who, path, r.status_code)


def test_private_log_is_for_auditors(make_server):
    d = Desk(make_server, config={"tlog": {"public": "false",
                                           "origin": "private.dissent.test/log"}})
    d.file()
    failures = []
    for path in LOG_ROUTES + ["/log/tile/0/000.p/99"]:
        r = get(d.url + path)
        if r.status_code != 401:
            failures.append("%s without a session: %d (want 401)" % (path, r.status_code))
        else:
            assert_error(r, 401, "unauthorized")
        for who in ("dan", "off", "pat", "admin"):
            r = get(d.url + path, d.s[who])
            if r.status_code != 403:
                failures.append("%s as %s: %d (want 403)" % (path, who, r.status_code))
            else:
                assert_error(r, 403, "forbidden")
        r = get(d.url + path, d.s["aud"])
        want = 404 if path.endswith(".p/99") else 200
        if r.status_code != want:
            failures.append("%s as auditor: %d (want %d)" % (path, r.status_code, want))
    assert not failures, "\n".join(failures)
    note = get(d.url + "/log/checkpoint", d.s["aud"]).text
    assert note_verified_by(note, d.vkey)
    # a monitor without a session is refused
    code, out, err = run_cli("log", "verify", d.url + "/log", "--vkey", d.vkey)
    assert code == 1 and "HTTP error" in err and "401" in err, (out, err)
    # the receipt still verifies offline with the vkey
    mid, f = d.file()
    check_receipt(f["receipt"], d.vkey, f["digest"])


# ---- the log key -------------------------------------------------------------------------------


def test_log_key(make_server):
    origin = "keys.dissent.test/log"
    d = Desk(make_server, config={"tlog": {"origin": origin}})
    d.file()
    vkey = d.vkey
    name, kid, pub = parse_vkey(vkey)
    assert name == origin
    note, _, _ = settle(d)
    assert note_verified_by(note, vkey)

    # --data alone is enough (the key file names itself)
    r = subprocess.run([BIN, "log", "key", "--data", d.srv.data], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == vkey

    skey = os.path.join(d.srv.data, "log.skey")
    assert mode(skey) == 0o600
    with open(skey) as f:
        text = f.read().strip()
    parts = text.split("+", 4)
    assert parts[:4] == ["PRIVATE", "KEY", origin, kid.hex()], parts[:4]
    raw = base64.b64decode(parts[4])
    assert raw[0] == 1 and len(raw) == 33
    assert nacl.signing.SigningKey(raw[1:]).verify_key.encode() == pub

    # another origin than the key was made for: the server refuses to start, and says why
    assert d.srv.stop() == 0
    with open(d.srv.config) as f:
        cfg = f.read()
    with open(d.srv.config, "w") as f:
        f.write(cfg.replace("origin = " + origin, "origin = other.dissent.test/log"))
    p = subprocess.Popen([BIN, "serve", "--config", d.srv.config, "--data", d.srv.data,
                          *d.srv.db_args(), "--listen", "127.0.0.1:0", "--workers", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail("the server started with another origin than its log key's: %r" % out)
    assert p.returncode != 0, out
    # the message names the key's origin and the configured one
    assert "other.dissent.test/log" in err and origin in err and "log.skey" in err, err
    # back to the right origin: same key, the log goes on
    with open(d.srv.config, "w") as f:
        f.write(cfg)
    d.srv.proc.stdout.close()
    d.srv._start("ab")
    assert log_vkey(d.srv) == vkey
    note = get(d.srv.url + "/log/checkpoint").text
    assert note_verified_by(note, vkey)
    assert parse_checkpoint(note)[1] == d.BASE + 2  # the filing and its anchor
