"""Filing receipts from the live server (docs/formats.md "Receipt", docs/api.md "Transparency
log"): the receipt that filing answers and GET /api/v1/memos/{id}/receipt, checked in Python from
the log's vkey (`dissent log key`); `dissent verify RECEIPT --vkey [--text]` accepting it and
refusing every kind of tampering; and the memo bundle carrying the receipt, checked as a whole by
`dissent verify BUNDLE --vkey`.

One server is shared by the module (fixture `desk`); every test files its own memos.
"""
import base64
import hashlib
import json

import nacl.signing
import pytest

from conftest import TIMEOUT, Server, assert_error, assert_wrong_state, memo_url
from loghelpers import (Desk, RECEIPT_KEYS, check_receipt, checkpoint, fetch_entries, make_vkey,
                        receipt_of,
                        parse_checkpoint, parse_proof, parse_vkey, run_cli, wait_size, write)

ORIGIN = "receipts.dissent.test/log"


@pytest.fixture(scope="module")
def desk():
    started = []

    def make(**kw):
        s = Server(**kw)
        started.append(s)
        return s

    d = Desk(make, config={"tlog": {"origin": ORIGIN}})
    # a few entries first, so that receipts carry non-trivial inclusion proofs
    for _ in range(3):
        d.file()
    yield d
    problems = []
    for s in started:
        problems += s.cleanup()
    assert not problems, "\n".join(problems)


def b64(b):
    return base64.b64encode(b).decode()


def ordered(text):
    """The member names of a JSON object text, in order."""
    return [k for k, _ in json.loads(text, object_pairs_hook=list)]


def verify(*args, stdin=None):
    return run_cli("verify", *args, stdin=stdin)


@pytest.fixture
def filed(desk, tmp_path):
    """A memo filed with two co-signers: (id, filing answer, bundle, paths of the receipt, the
    vkey file and the canonical text)."""
    mid, m = desk.file("Receipts: policy Q", "Body of Q.\r\nSecond line.\n\n", ("bob", "cat"))
    r = desk.call("dan", "GET", mid, "bundle")
    bundle = r.json()
    paths = {
        "receipt": write(tmp_path / "receipt.json", json.dumps(m["receipt"])),
        "vkey": write(tmp_path / "log.vkey", desk.vkey + "\n"),
        "text": write(tmp_path / "memo.txt", bundle["canonical_text"].encode("utf-8")),
    }
    return mid, m, bundle, paths


# ---- the receipt that filing answers ---------------------------------------------------------


def test_filing_answers_a_receipt(desk, filed):
    mid, m, bundle, _ = filed
    assert m["state"] == "filed"
    rc = m["receipt"]
    assert isinstance(rc, dict) and list(rc) == RECEIPT_KEYS, rc
    fields, size = check_receipt(rc, desk.vkey, m["digest"])
    # the filing's checkpoint already covers the entry ("at once when a filing needs a receipt")
    assert size > rc["index"]
    assert rc["index"] >= 3
    assert parse_proof(rc["proof"])[1], "a log of more than one entry needs a non-empty proof"
    # the entry's fields are the filing's
    assert fields["date"] == m["filed_on"]
    assert fields["signers"] == "3" and m["signer_count"] == 3
    assert fields["ack-due"] == m["deadlines"]["acknowledge"]["due"]
    assert fields["reply-due"] == m["deadlines"]["reply"]["due"]
    assert fields["memo"] != mid and mid not in fields["memo"]
    # the digest is the memo's, SHA-256 of the canonical text
    assert rc["digest"] == bundle["digest"] == m["digest"]
    assert b64(hashlib.sha256(bundle["canonical_text"].encode()).digest()) == rc["digest"]
    # the entry is the log's entry at that index
    entries = fetch_entries(desk.url, size)
    assert entries[rc["index"]] == base64.b64decode(rc["entry"])


def test_receipt_route_gives_a_fresh_proof(desk, filed):
    mid, m, _, _ = filed
    first = m["receipt"]
    r = desk.call("dan", "GET", mid, "receipt")
    assert r.headers["Content-Type"].startswith("application/json")
    assert ordered(r.text) == RECEIPT_KEYS
    assert "\n" not in r.text.rstrip("\n") and '": ' not in r.text and '", "' not in r.text, \
        "the server writes the receipt without white space: %r" % r.text[:200]
    rc = r.json()
    _, size1 = check_receipt(rc, desk.vkey, m["digest"])
    for k in ("format", "entry", "salt", "digest", "index"):
        assert rc[k] == first[k], k

    # more entries: the next receipt proves inclusion in a larger checkpoint
    desk.post("off", mid, "acknowledge")
    desk.file()
    assert wait_size(desk.url, size1 + 2) is not None
    rc2 = desk.call("dan", "GET", mid, "receipt").json()
    _, size2 = check_receipt(rc2, desk.vkey, m["digest"])
    assert size2 >= size1 + 2, (size1, size2)
    for k in ("format", "entry", "salt", "digest", "index"):
        assert rc2[k] == first[k], k
    assert rc2["proof"] != rc["proof"]
    # officers may fetch it too, and get the same receipt
    rc3 = desk.call("off", "GET", mid, "receipt").json()
    assert rc3["entry"] == first["entry"] and rc3["salt"] == first["salt"]
    check_receipt(rc3, desk.vkey, m["digest"])


def test_receipt_route_access(desk):
    mid, _ = desk.file(cosigners=("bob",))
    # an invited co-signer, a principal, an auditor and an admin hold no relation it needs
    for who in ("bob", "pat", "aud", "admin"):
        r = desk.s[who].get(memo_url(desk.srv, mid, "receipt"), timeout=TIMEOUT)
        assert r.status_code in (403, 404), (who, r.status_code, r.text)
        assert_error(r, r.status_code)
    for who in ("bob", "aud", "admin"):
        r = desk.s[who].get(memo_url(desk.srv, mid, "receipt"), timeout=TIMEOUT)
        assert_error(r, 403)
    # a staff member with no relation: 404, as for a memo that does not exist
    assert_error(desk.s["eve"].get(memo_url(desk.srv, mid, "receipt"), timeout=TIMEOUT), 404)
    assert_error(desk.s["dan"].get(memo_url(desk.srv, "0" * 24, "receipt"), timeout=TIMEOUT),
                 404)
    # no session
    assert_error(desk.srv.session().get(memo_url(desk.srv, mid, "receipt"), timeout=TIMEOUT),
                 401)
    # before filing: 409 with the state
    draft = desk.draft()
    assert_wrong_state(desk.call("dan", "GET", draft, "receipt", status=409), "draft")
    opened = desk.signed()
    assert_wrong_state(desk.call("dan", "GET", opened, "receipt", status=409), "open")


def test_receipt_survives_later_states(desk):
    """A withdrawn memo's filing stays provable."""
    mid, m = desk.file()
    desk.post("dan", mid, "withdraw")
    rc = desk.call("dan", "GET", mid, "receipt").json()
    assert rc["entry"] == m["receipt"]["entry"]
    check_receipt(rc, desk.vkey, m["digest"])


# ---- dissent verify RECEIPT ------------------------------------------------------------------


def test_verify_cli_accepts_the_receipt(desk, filed, tmp_path):
    mid, m, _, p = filed
    rc = m["receipt"]
    fields, size = check_receipt(rc, desk.vkey)
    want = ("OK: receipt for memo tag %s, filed on %s, entry %d of a log of size %d "
            "(origin %s)" % (fields["memo"], fields["date"], rc["index"], size, ORIGIN))
    # the vkey given as text and as a file
    for vkey in (desk.vkey, p["vkey"]):
        code, out, err = verify(p["receipt"], "--vkey", vkey)
        assert code == 0, err
        assert out.splitlines()[0] == want, out
        assert len(out.splitlines()) >= 2, "no note that the text was not checked: %r" % out
    # with the text, byte for byte the bundle's canonical text
    code, out, err = verify(p["receipt"], "--vkey", desk.vkey, "--text", p["text"])
    assert code == 0, err
    assert out.splitlines()[0] == want, out
    # the receipt from standard input
    code, out, err = verify("-", "--vkey", desk.vkey, "--text", p["text"],
                            stdin=json.dumps(rc))
    assert code == 0, err
    # member order and white space do not matter
    doc = json.dumps({k: rc[k] for k in reversed(list(rc))}, indent=2, ensure_ascii=True)
    code, out, err = verify(write(tmp_path / "pretty.json", doc), "--vkey", desk.vkey,
                            "--text", p["text"])
    assert code == 0, err
    # and the one from GET .../receipt
    path = write(tmp_path / "fresh.json", desk.call("dan", "GET", mid, "receipt").text)
    code, out, err = verify(path, "--vkey", desk.vkey, "--text", p["text"])
    assert code == 0, err


def tampered_entry(rc):
    e = base64.b64decode(rc["entry"]).decode()
    # move the date by one day (a canonical entry still)
    import re
    d = re.search(r"\ndate (\d{4}-\d{2}-)(\d{2})\n", e)
    day = int(d.group(2))
    e = e.replace(d.group(0), "\ndate %s%02d\n" % (d.group(1), day + 1 if day < 28 else day - 1))
    return b64(e.encode())


def flip_b64(s, byte=0):
    raw = bytearray(base64.b64decode(s))
    raw[byte] ^= 1
    return b64(bytes(raw))


def tamper_proof_hash(proof):
    lines = proof.split("\n")
    i = 2 if not lines[1].startswith("extra") else 3
    lines[i] = flip_b64(lines[i])
    return "\n".join(lines)


def tamper_proof_index(proof):
    lines = proof.split("\n")
    n = int(lines[1].split(" ")[1])
    lines[1] = "index %d" % (n + 1)
    return "\n".join(lines)


def tamper_root(proof):
    head, cp = proof.split("\n\n", 1)
    lines = cp.split("\n")
    lines[2] = flip_b64(lines[2])
    return head + "\n\n" + "\n".join(lines)


def tamper_signature(proof):
    head, sig = proof.rsplit(" ", 1)
    return head + " " + flip_b64(sig.rstrip("\n"), 10) + "\n"


TAMPER = {
    "entry": (lambda rc: {**rc, "entry": tampered_entry(rc)}, "not included"),
    "salt": (lambda rc: {**rc, "salt": flip_b64(rc["salt"])}, "commitment mismatch"),
    "digest": (lambda rc: {**rc, "digest": flip_b64(rc["digest"], 31)}, "commitment mismatch"),
    "index": (lambda rc: {**rc, "index": rc["index"] + 1}, "index mismatch"),
    "index_zero": (lambda rc: {**rc, "index": 0}, "index mismatch"),
    "proof_hash": (lambda rc: {**rc, "proof": tamper_proof_hash(rc["proof"])}, "not included"),
    "proof_index": (lambda rc: {**rc, "proof": tamper_proof_index(rc["proof"])}, None),
    "proof_root": (lambda rc: {**rc, "proof": tamper_root(rc["proof"])}, "bad signature"),
    "proof_signature": (lambda rc: {**rc, "proof": tamper_signature(rc["proof"])},
                        "bad signature"),
    "extra_member": (lambda rc: {**rc, "memo_id": "0" * 24}, "extra item"),
    "format": (lambda rc: {**rc, "format": "dissent-receipt/v2"}, "wrong format"),
}


def test_verify_cli_refuses_tampering(desk, filed, tmp_path):
    _, m, _, p = filed
    rc = m["receipt"]
    failures = []
    for name, (fn, reason) in TAMPER.items():
        bad = fn(dict(rc))
        path = write(tmp_path / ("%s.json" % name), json.dumps(bad))
        # (a document of another format is not taken for a receipt: no --text for it)
        text = [] if name == "format" else ["--text", p["text"]]
        code, out, err = verify(path, "--vkey", desk.vkey, *text)
        if code != 1 or not err.startswith("FAILED: ") or (reason and reason not in err):
            failures.append("%s: exit %d, stdout %r, stderr %r (want exit 1, FAILED: %s)" % (
                name, code, out, err, reason or "..."))
    assert not failures, "\n".join(failures)


def test_verify_cli_refuses_wrong_vkey(desk, filed, tmp_path):
    _, m, _, p = filed
    # the same name with another key; another name with the log's key
    other = nacl.signing.SigningKey.generate().verify_key.encode()
    name, _, pub = parse_vkey(desk.vkey)
    for vkey in (make_vkey(name, other), make_vkey("other.test/log", pub),
                 make_vkey("other.test/log", other)):
        code, out, err = verify(p["receipt"], "--vkey", vkey, "--text", p["text"])
        assert code == 1, (vkey, out, err)
        assert err.startswith("FAILED: ") and "wrong key" in err, err
    # a vkey whose key ID does not match its key: a usage error
    bad = desk.vkey.split("+")
    bad[1] = "%08x" % (int(bad[1], 16) ^ 1)
    code, out, err = verify(p["receipt"], "--vkey", "+".join(bad))
    assert code == 2, (out, err)
    # no --vkey for a receipt: a usage error
    code, out, err = verify(p["receipt"])
    assert code == 2, (out, err)


def test_verify_cli_refuses_another_text(desk, filed, tmp_path):
    _, m, bundle, p = filed
    text = bundle["canonical_text"].encode()
    variants = {
        "last byte": text[:-1] + b"X",
        "extra LF": text + b"\n",
        "one byte less": text[:-1],
        "CRLF": text.replace(b"\n", b"\r\n", 1),
        "first byte": b"D" + text[1:],
    }
    for name, t in variants.items():
        path = write(tmp_path / "text", t)
        code, out, err = verify(p["receipt"], "--vkey", desk.vkey, "--text", path)
        assert code == 1, (name, out, err)
        assert err.startswith("FAILED: ") and "text mismatch" in err, (name, err)
    # another memo's text
    _, m2 = desk.file("Another memo", "Other.\n")
    path = write(tmp_path / "other.json", json.dumps(m2["receipt"]))
    code, out, err = verify(path, "--vkey", desk.vkey, "--text", p["text"])
    assert code == 1 and "text mismatch" in err, (out, err)


# ---- the bundle carries the receipt ------------------------------------------------------------


def test_bundle_carries_the_receipt(desk, filed, tmp_path):
    mid, m, bundle, p = filed
    assert "receipt" in bundle, sorted(bundle)
    rc = bundle["receipt"]
    check_receipt(rc, desk.vkey, bundle["digest"])
    for k in ("format", "entry", "salt", "digest", "index"):
        assert rc[k] == m["receipt"][k], k

    path = write(tmp_path / "bundle.json", json.dumps(bundle, ensure_ascii=False))
    code, out, err = verify(path, "--vkey", desk.vkey)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("OK: memo %s, digest %s, 3 valid signatures (dan, bob, cat)" % (
        mid, bundle["digest"])), out
    fields, size = check_receipt(rc, desk.vkey)
    assert any(l.startswith("OK: receipt for memo tag %s, filed on %s, entry %d of a log of "
                            "size %d (origin %s)" % (fields["memo"], fields["date"], rc["index"],
                                                     size, ORIGIN)) for l in lines), out
    # without --vkey the signatures are checked and the receipt is said not to be
    code, out, err = verify(path)
    assert code == 0, err
    assert "receipt" in out and "not checked" in out, out

    # a bundle whose receipt was tampered with, or belongs to another memo, fails
    bad = dict(bundle, receipt=dict(rc, salt=flip_b64(rc["salt"])))
    code, out, err = verify(write(tmp_path / "b1.json", json.dumps(bad)), "--vkey", desk.vkey)
    assert code == 1 and "commitment mismatch" in err, (out, err)
    _, m2 = desk.file("A third memo", "Third.\n")
    bad = dict(bundle, receipt=m2["receipt"])
    code, out, err = verify(write(tmp_path / "b2.json", json.dumps(bad)), "--vkey", desk.vkey)
    assert code == 1 and "text mismatch" in err, (out, err)
    # a wrong log key
    other = make_vkey(ORIGIN, nacl.signing.SigningKey.generate().verify_key.encode())
    code, out, err = verify(path, "--vkey", other)
    assert code == 1 and "wrong key" in err, (out, err)


def test_bundle_receipt_for_officers(desk, filed, tmp_path):
    mid, m, _, _ = filed
    r = desk.call("off", "GET", mid, "bundle")
    bundle = r.json()
    check_receipt(bundle["receipt"], desk.vkey, m["digest"])
    code, out, err = verify(write(tmp_path / "b.json", r.text), "--vkey", desk.vkey)
    assert code == 0, err


def test_proof_checkpoint_is_the_servers(desk, filed):
    """The receipt's checkpoint is a checkpoint the server publishes (same origin, signed by the
    same key) and the log at /log/ agrees with its root."""
    mid, m, _, _ = filed
    rc = desk.call("dan", "GET", mid, "receipt").json()
    _, _, cp = parse_proof(rc["proof"])
    origin, size, root = parse_checkpoint(cp)
    note, origin2, size2, _ = checkpoint(desk.url)
    assert origin == origin2 == ORIGIN
    assert size2 >= size
    from loghelpers import leaf_hash, mth
    entries = fetch_entries(desk.url, size)
    assert mth([leaf_hash(e) for e in entries]) == root


def test_concurrent_filings_each_get_a_receipt(desk):
    """Filings racing each other: every one gets a receipt for its own entry (once the next
    scheduled checkpoint covers it), at a distinct index, each proof valid against a checkpoint
    that covers it."""
    from conftest import parallel
    mids = [desk.signed("Race %d" % i, "Body %d.\n" % i) for i in range(8)]
    cookies = desk.s["dan"].cookies.get_dict()

    def file(mid):
        s = desk.srv.session()
        s.cookies.update(cookies)
        r = s.post(memo_url(desk.srv, mid, "file"), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        ans = r.json()
        if ans["receipt"] is None:  # (unless a checkpoint was signed in between)
            assert ans["receipt_after"] == 1, ans
            ans["receipt"] = receipt_of(desk.srv, s, mid)
        return ans

    answers = parallel(file, mids, 8)
    indexes = set()
    tags = set()
    for m in answers:
        fields, size = check_receipt(m["receipt"], desk.vkey, m["digest"])
        assert size > m["receipt"]["index"]
        indexes.add(m["receipt"]["index"])
        tags.add(fields["memo"])
    assert len(indexes) == len(tags) == 8
    note = wait_size(desk.url, max(indexes) + 1)
    _, size, root = parse_checkpoint(note)
    entries = fetch_entries(desk.url, size)
    for m in answers:
        assert entries[m["receipt"]["index"]] == base64.b64decode(m["receipt"]["entry"])
