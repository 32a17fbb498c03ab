"""`dissent verify BUNDLE.json` against bundles built here, independently of the C code.

The helpers below implement docs/formats.md from scratch (canonical text, digest, co-signature
text, C2SP signed notes and vkeys) with only hashlib, base64 and PyNaCl, so these tests also check
that the document is enough to write a compatible implementation. The worked example of
docs/formats.md is reproduced byte for byte.
"""
import base64
import hashlib
import json
import os
import subprocess
import tempfile

import nacl.signing
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("DISSENT_BIN", os.path.join(ROOT, "build", "dissent"))
TIMEOUT = 60
EM_DASH = "\u2014"
MAX_SIZE = 16 * 1024 * 1024

# ---- an independent implementation of docs/formats.md ---------------------------------------


def b64(data):
    """Standard base64 with padding (RFC 4648 section 4)."""
    return base64.b64encode(data).decode("ascii")


def canonical_text(memo_id, title, body, files=()):
    """The canonical text, as UTF-8 bytes; `files` lists (name, media type, bytes) in order:
    with any, the text is dissent-memo/v2."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    body = body.rstrip("\n") + "\n"
    lines = "".join("file %s %d %s %s\n" % (b64(hashlib.sha256(data).digest()), len(data), kind,
                                             name) for name, kind, data in files)
    text = ("dissent-memo/%s\n" % ("v2" if files else "v1") + "id " + memo_id + "\n" + "title "
            + title + "\n" + lines + "\n" + body)
    return text.encode("utf-8")


def digest_b64(canon):
    return b64(hashlib.sha256(canon).digest())


def cosign_text(memo_id, digest, signer):
    return ("dissent-cosignature/v1\n" + "memo " + memo_id + "\n" + "digest " + digest + "\n"
            + "signer " + signer + "\n")


def reply_text(memo_id, memo_digest, reply_digest):
    return ("dissent-reply/v1\n" + "memo " + memo_id + "\n" + "digest " + memo_digest + "\n"
            + "reply " + reply_digest + "\n")


class Key:
    """An Ed25519 signed-note key (c2sp.org/signed-note)."""

    def __init__(self, name, seed=None):
        self.name = name
        self.sk = nacl.signing.SigningKey(seed if seed is not None else os.urandom(32))
        self.pub = bytes(self.sk.verify_key)
        self.key_id = hashlib.sha256(name.encode("utf-8") + b"\n" + b"\x01" + self.pub).digest()[:4]
        self.vkey = name + "+" + self.key_id.hex() + "+" + b64(b"\x01" + self.pub)
        self.skey = ("PRIVATE+KEY+" + name + "+" + self.key_id.hex() + "+"
                     + b64(b"\x01" + bytes(self.sk)))

    def sign(self, text):
        """A signed note: the text, a blank line, one signature line."""
        sig = self.sk.sign(text.encode("utf-8")).signature
        return text + "\n" + EM_DASH + " " + self.name + " " + b64(self.key_id + sig) + "\n"


def make_bundle(memo_id, title, body, keys):
    canon = canonical_text(memo_id, title, body)
    digest = digest_b64(canon)
    return {
        "format": "dissent-bundle/v1",
        "memo_id": memo_id,
        "canonical_text": canon.decode("utf-8"),
        "digest": digest,
        "signers": [k.name for k in keys],
        "signatures": [k.sign(cosign_text(memo_id, digest, k.name)) for k in keys],
        "vkeys": [k.vkey for k in keys],
    }


# ---- running the binary ------------------------------------------------------------------------


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, timeout=TIMEOUT)


def verify_doc(doc):
    """`dissent verify` on @doc (a dict, str or bytes) written to a temporary file."""
    if isinstance(doc, dict):
        doc = json.dumps(doc, ensure_ascii=False)
    if isinstance(doc, str):
        doc = doc.encode("utf-8")
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(doc)
        f.flush()
        return run("verify", f.name)


def expect_failure(doc, phrase):
    r = verify_doc(doc)
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 1, (r.returncode, r.stdout, err)
    assert r.stdout == b""
    assert err.startswith("FAILED: "), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert phrase in err, err
    return err


MEMO_ID = "0123456789abcdef01234567"
OTHER_ID = "fedcba9876543210fedcba98"
TITLE = "R\u00e9sum\u00e9 of the policy"
BODY = "First line.\r\nSecond line.\r\n\r\n"


@pytest.fixture(scope="module")
def keys():
    return [Key("alice"), Key("bob"), Key("carol")]


@pytest.fixture
def bundle(keys):
    return make_bundle(MEMO_ID, TITLE, BODY, keys)


# ---- the worked example of docs/formats.md -------------------------------------------------

# RFC 8032 section 7.1, tests 1 and 2: the seeds the example uses.
ALICE_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
BOB_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")


def formats_md():
    with open(os.path.join(ROOT, "docs", "formats.md"), encoding="utf-8") as f:
        return f.read()


def test_formats_md_example():
    """Every literal of the worked example is reproduced by this implementation."""
    doc = formats_md()
    alice, bob = Key("alice", ALICE_SEED), Key("bob", BOB_SEED)
    assert alice.pub.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    canon = canonical_text(MEMO_ID, TITLE, BODY)
    digest = digest_b64(canon)
    assert digest == "P8eMa98MRkuNVHts0XQFDVwRcxJttRvF/q6ILLB20AE="
    note = alice.sign(cosign_text(MEMO_ID, digest, "alice"))
    reply = reply_text(MEMO_ID, digest, digest_b64(b"reply text\n"))
    for literal in (alice.vkey, alice.skey, bob.vkey, digest, alice.key_id.hex(),
                    note.split("\n")[-2], reply.split("\n")[-2]):
        assert literal in doc, literal
    # the example bundle in the document verifies, and is what this code builds
    start = doc.index("```json\n") + len("```json\n")
    example = json.loads(doc[start:doc.index("```", start)])
    assert example == make_bundle(MEMO_ID, TITLE, BODY, [alice, bob])
    r = verify_doc(doc[start:doc.index("```", start)])
    assert r.returncode == 0, r.stderr


V2_FILES = [("annex A.txt", "text/plain", b"Annex A.\n"),
            ("donn\u00e9es.csv", "text/csv", b"a,b\n1,2\n")]


def test_formats_md_v2_example(tmp_path):
    """The version-2 example (a memo with files) of docs/formats.md, byte for byte; a bundle of
    it verifies, with its files and without them, and refuses a file that is not the one
    listed."""
    doc = formats_md()
    canon = canonical_text(MEMO_ID, TITLE, BODY, V2_FILES)
    assert len(canon) == 248
    assert canon.decode() in doc
    assert hashlib.sha256(canon).hexdigest() in doc
    assert digest_b64(canon) == "ueS5jbVFoEx0kmqW4KvN0sLbJy8oPrzI/uCIMJ5uPKE=" and \
        digest_b64(canon) in doc
    for _, _, data in V2_FILES:
        assert hashlib.sha256(data).hexdigest() in doc
    alice = Key("alice", ALICE_SEED)
    bundle = make_bundle(MEMO_ID, TITLE, BODY, [alice])
    bundle["canonical_text"] = canon.decode("utf-8")
    bundle["digest"] = digest_b64(canon)
    bundle["signatures"] = [alice.sign(cosign_text(MEMO_ID, bundle["digest"], "alice"))]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    r = run("verify", str(path))
    assert r.returncode == 0 and b"2 attached files, not checked" in r.stdout, r
    for name, _, data in V2_FILES:
        (tmp_path / name).write_bytes(data)
    r = run("verify", str(path), "--attachments", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "OK: 2 attached files match the memo's list: \"annex A.txt\", \"donn\u00e9es.csv\"" \
        in r.stdout.decode(), r.stdout
    (tmp_path / "annex A.txt").write_bytes(b"Annex B.\n")
    r = run("verify", str(path), "--attachments", str(tmp_path))
    assert r.returncode == 1 and r.stdout == b"" and b"attachment differs" in r.stderr, r
    # a v2 text without a file line, a name twice, or a file line in a v1 text: not canonical
    text = canon.decode()
    lines = text.split("\n")
    for bad in ("\n".join(lines[:3] + lines[5:]),
                "\n".join(lines[:4] + [lines[3]] + lines[4:]),
                text.replace("dissent-memo/v2", "dissent-memo/v1"),
                text.replace(" 9 text/plain", " 09 text/plain"),
                text.replace("text/plain", "Text/Plain"),
                text.replace("annex A.txt", "annex\u202eA.txt")):
            b = dict(bundle, canonical_text=bad, digest=digest_b64(bad.encode()))
            expect_failure(b, "not canonical")


# ---- success -----------------------------------------------------------------------------------


def test_valid_bundle(bundle):
    r = verify_doc(bundle)
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    assert r.stdout.decode() == ("OK: memo %s, digest %s, 3 valid signatures (alice, bob, carol)\n"
                                 % (MEMO_ID, bundle["digest"]))


def test_single_signer_and_stdin(keys):
    doc = json.dumps(make_bundle(MEMO_ID, "t", "", keys[:1]))
    r = run("verify", "-", stdin=doc.encode())
    assert r.returncode == 0, r.stderr
    assert "1 valid signature (alice)" in r.stdout.decode()


def test_receipt_is_ignored(bundle):
    bundle["receipt"] = {"defined": "later"}
    r = verify_doc(bundle)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("OK: ")
    assert "receipt was not checked" in out


def test_foreign_signature_line_is_ignored(bundle, keys):
    witness = Key("witness")
    note = bundle["signatures"][1]
    text = note[:note.index("\n\n") + 1]
    sig = witness.sign(text)
    bundle["signatures"][1] = note + sig[sig.index(EM_DASH):]
    assert verify_doc(bundle).returncode == 0


def test_body_variants_agree(keys):
    """CRLF, CR and trailing newlines are normalised the same way on both sides."""
    for body in ["", "\n", "a", "a\r\r\n", "\n\nlead\n\n\n", "tab\there\r", "caf\u00e9 \U0001F600"]:
        r = verify_doc(make_bundle(MEMO_ID, "T\u00eftle", body, keys[:2]))
        assert r.returncode == 0, (body, r.stderr)


# ---- tampering ---------------------------------------------------------------------------------


def flip_signature_bit(note):
    head, line = note[:-1].rsplit("\n", 1)
    prefix, sig = line.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(sig))
    blob[4 + 10] ^= 1
    return head + "\n" + prefix + " " + b64(bytes(blob)) + "\n"


def test_edited_text(bundle):
    bundle["canonical_text"] = bundle["canonical_text"].replace("First", "Firsu")
    expect_failure(bundle, "edited text")


def test_flipped_signature(bundle):
    bundle["signatures"][1] = flip_signature_bit(bundle["signatures"][1])
    expect_failure(bundle, "altered signature")


def test_dropped_signature(bundle):
    del bundle["signatures"][2]
    expect_failure(bundle, "signature missing")


def test_swapped_vkeys(bundle):
    v = bundle["vkeys"]
    v[0], v[1] = v[1], v[0]
    expect_failure(bundle, "key does not match")


def test_replaced_vkey(bundle):
    bundle["vkeys"][1] = Key("bob").vkey
    expect_failure(bundle, "wrong key")


def test_changed_digest(bundle):
    bundle["digest"] = digest_b64(b"another text")
    expect_failure(bundle, "altered digest")


def test_cosign_other_memo(bundle, keys):
    bundle["signatures"][2] = keys[2].sign(cosign_text(OTHER_ID, bundle["digest"], "carol"))
    expect_failure(bundle, "co-signs memo " + OTHER_ID)


def test_edited_text_with_new_digest(bundle):
    canon = canonical_text(MEMO_ID, TITLE, "We agree.")
    bundle["canonical_text"] = canon.decode()
    bundle["digest"] = digest_b64(canon)
    expect_failure(bundle, "co-signs digest")


def test_cosign_other_signer(bundle, keys):
    bundle["signatures"][1] = keys[1].sign(cosign_text(MEMO_ID, bundle["digest"], "alice"))
    expect_failure(bundle, "names signer alice")


def test_signed_by_stranger(bundle):
    bundle["signatures"][0] = Key("alice").sign(cosign_text(MEMO_ID, bundle["digest"], "alice"))
    expect_failure(bundle, "wrong key")


def test_duplicate_signer(bundle):
    for k in ("signers", "signatures", "vkeys"):
        bundle[k][2] = bundle[k][0]
    expect_failure(bundle, "duplicate signer")


def test_extra_items(bundle):
    bundle["signatures"].append(bundle["signatures"][0])
    expect_failure(bundle, "extra item")


def test_extra_member(bundle):
    bundle["comment"] = "hi"
    expect_failure(bundle, "extra item")


def test_wrong_format(bundle):
    bundle["format"] = "dissent-bundle/v2"
    expect_failure(bundle, "wrong format")


def test_not_canonical(bundle):
    bundle["canonical_text"] = bundle["canonical_text"].replace("\n", "\r\n")
    expect_failure(bundle, "not canonical")


def test_memo_id_mismatch(bundle):
    bundle["memo_id"] = OTHER_ID
    expect_failure(bundle, "memo id mismatch")


def test_malformed_vkey(bundle):
    bundle["vkeys"][0] = "alice+00000000+AQ=="
    expect_failure(bundle, "key does not match")


def test_no_signers(bundle):
    for k in ("signers", "signatures", "vkeys"):
        bundle[k] = []
    expect_failure(bundle, "no signers")


def test_not_json():
    expect_failure(b"{\"format\": ", "malformed")
    expect_failure(b"[]", "malformed")


def test_duplicate_json_member(bundle):
    doc = json.dumps(bundle)
    expect_failure(doc[:-1] + ', "digest": "x"}', "malformed")


def test_too_large(bundle):
    doc = json.dumps(bundle).encode()
    expect_failure(doc + b" " * (MAX_SIZE + 1 - len(doc)), "too large")
    # exactly at the limit is read (and verifies)
    r = verify_doc(doc + b" " * (MAX_SIZE - len(doc)))
    assert r.returncode == 0, r.stderr


def test_too_many_signers(bundle):
    bundle["signers"] = ["u%d" % i for i in range(10001)]
    expect_failure(bundle, "too large")


# ---- usage -------------------------------------------------------------------------------------


def test_usage_errors():
    for args in (["verify"], ["verify", "a.json", "b.json"], ["verify", "--bogus"]):
        r = run(*args)
        assert r.returncode == 2, args
        assert b"usage: dissent verify BUNDLE.json" in r.stderr
    r = run("verify", "--help")
    assert r.returncode == 0 and b"usage: dissent verify" in r.stdout


def test_missing_file():
    r = run("verify", "/nonexistent/bundle.json")
    assert r.returncode == 1
    assert r.stderr.startswith(b"FAILED: cannot open")


def test_listed_in_main_usage():
    r = run("help")
    assert b"verify" in r.stdout
