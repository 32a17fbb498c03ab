"""The whole memo life cycle through the API, with 100 co-signers.

A drafter writes a draft, edits it under If-Match, finalizes it, invites 100 staff members and
signs first; the 100 sign (on a thread pool), one withdraws and signs again; the drafter files;
an officer acknowledges (the configured principal receives it), distributes it to a second
principal, extends the reply deadline, replies and closes. The bundle of the closed memo lists
the 101 signers and `dissent verify` accepts it and refuses every tampering. Signatures and the
reply binding are also checked here in Python against the published vkeys, independently of the
server's own code.

The life cycle runs once per module (fixture `flow`); the tests look at what it recorded.
"""
import base64
import datetime
import hashlib
import json

import nacl.exceptions
import nacl.signing
import pytest

from conftest import (TIMEOUT, Server, add_users, add_working_days, assert_error,
                      assert_memo_shape, login_all, memo_url, parallel, unix)
from loghelpers import caught_up, receipt_of
from test_verify_cli import (EM_DASH, Key, canonical_text, cosign_text, digest_b64,
                             expect_failure, flip_signature_bit, reply_text, verify_doc)

N_COSIGNERS = 100
FILED = datetime.date(2025, 7, 3)  # a Thursday; July 4 is a Friday holiday
CLOCK = unix("2025-07-03T15:00:00")
TITLE = "Dissent on the visa policy \u2014 r\u00e9sum\u00e9"
BODY_V1 = "First draft.\r\n"
BODY = "We dissent.\r\nSecond paragraph, caf\u00e9.\r\n\r\n"
REPLY = "We have considered the memo and will revise the policy.\n"
COSIGNERS = ["s%03d" % i for i in range(N_COSIGNERS)]


# ---- an independent signed-note verifier (c2sp.org/signed-note, Ed25519 only) -------------

def parse_vkey(vkey):
    """(name, key id bytes, 32-byte public key) of a vkey, checking its key id."""
    name, key_id, blob = vkey.split("+", 2)
    raw = base64.b64decode(blob, validate=True)
    assert len(raw) == 33 and raw[0] == 1, vkey
    pub = raw[1:]
    want = hashlib.sha256(name.encode() + b"\n\x01" + pub).digest()[:4]
    assert bytes.fromhex(key_id) == want, "key id of %r does not match its key" % vkey
    return name, want, pub


def note_text(note):
    """The signed text of a note (up to and including the LF before the blank line)."""
    return note[:note.rindex("\n\n") + 1]


def verify_note(note, vkey):
    """Whether `note` carries a valid signature by `vkey`; returns the signed text."""
    name, key_id, pub = parse_vkey(vkey)
    text = note_text(note)
    sig_lines = note[len(text) + 1:].split("\n")
    assert sig_lines[-1] == "", note
    for line in sig_lines[:-1]:
        assert line.startswith(EM_DASH + " "), line
        who, blob = line[2:].rsplit(" ", 1)
        raw = base64.b64decode(blob, validate=True)
        if who != name or raw[:4] != key_id:
            continue
        nacl.signing.VerifyKey(pub).verify(text.encode("utf-8"), raw[4:])
        return text
    raise AssertionError("no signature line by %s in %r" % (name, note))


# ---- the life cycle --------------------------------------------------------------------------

class Flow:
    """What the life cycle did: the server, sessions, memo id and every response by step."""

    def __init__(self, srv):
        self.srv = srv
        self.r = {}
        self.memo_steps = []  # names of the steps that answered with a memo

    def record(self, step, r, memo=True):
        self.r[step] = r
        if memo:
            self.memo_steps.append(step)
        return r


def run_flow(srv):
    f = Flow(srv)
    admin = srv.admin()
    srv.add_user(admin, "drafter", ["staff"])
    srv.add_user(admin, "officer", ["officer"])
    srv.add_user(admin, "pat", ["principal"])
    srv.add_user(admin, "pat2", ["principal"])
    add_users(srv, admin, COSIGNERS, ["staff"])
    f.s = login_all(srv, ["drafter", "officer", "pat", "pat2"] + COSIGNERS)
    d, off = f.s["drafter"], f.s["officer"]

    # draft and edit under If-Match
    r = f.record("create", d.post(memo_url(srv), json={"title": TITLE, "body": BODY_V1},
                                  timeout=TIMEOUT))
    assert r.status_code == 201, r.text
    f.id = mid = r.json()["id"]
    url = memo_url(srv, mid)
    f.r["patch_no_if_match"] = d.patch(url, json={"body": BODY}, timeout=TIMEOUT)
    r = f.record("patch", d.patch(url, json={"body": BODY}, headers={"If-Match": '"1"'},
                                  timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.r["patch_stale"] = d.patch(url, json={"body": "lost update"}, headers={"If-Match": '"1"'},
                                 timeout=TIMEOUT)
    f.record("get_after_edits", d.get(url, timeout=TIMEOUT))

    # invitations, finalize, the drafter signs first, then the 100
    r = f.record("invite", d.post(url + "/invitations", json={"usernames": COSIGNERS},
                                  timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    r = f.record("finalize", d.post(url + "/finalize", timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    r = f.record("sign_drafter", d.post(url + "/signatures", timeout=TIMEOUT), memo=False)
    assert r.status_code == 201, r.text
    f.cosign = dict(zip(COSIGNERS, parallel(
        lambda n: f.s[n].post(url + "/signatures", timeout=TIMEOUT), COSIGNERS)))
    f.record("get_after_signing", d.get(url, timeout=TIMEOUT))

    # one withdraws a signature, which leaves the memo; invited again, signs again
    who = COSIGNERS[17]
    f.r["unsign"] = f.s[who].delete(url + "/signatures/me", timeout=TIMEOUT)
    f.record("get_after_unsign", d.get(url, timeout=TIMEOUT))
    f.r["unsigner_view"] = f.s[who].get(url, timeout=TIMEOUT)
    f.record("reinvite", d.post(url + "/invitations", json={"usernames": [who]},
                                timeout=TIMEOUT))
    f.record("reinvited_view", f.s[who].get(url, timeout=TIMEOUT))
    f.r["resign"] = f.s[who].post(url + "/signatures", timeout=TIMEOUT)
    f.record("get_after_resign", d.get(url, timeout=TIMEOUT))

    # file, acknowledge (auto-distribution to the configured principal), distribute
    r = f.record("file", d.post(url + "/file", timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.record("pat_before_ack", f.s["pat"].get(url, timeout=TIMEOUT), memo=False)
    r = f.record("acknowledge", off.post(url + "/acknowledge", timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.record("pat_after_ack", f.s["pat"].get(url, timeout=TIMEOUT))
    f.record("pat2_before_distribution", f.s["pat2"].get(url, timeout=TIMEOUT), memo=False)
    r = f.record("distribute", off.post(url + "/distribution", json={"usernames": ["pat2"]},
                                        timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.record("pat2_after_distribution", f.s["pat2"].get(url, timeout=TIMEOUT))

    # extend: within the maximum, then past it
    reply_dl = r.json()["deadlines"]["reply"]
    f.reply_due_before = reply_dl["due"]
    f.reply_max = reply_dl["max"]
    maxday = datetime.date.fromisoformat(f.reply_max)
    f.until = (datetime.date.fromisoformat(f.reply_due_before)
               + datetime.timedelta(days=14)).isoformat()
    f.r["extend_past_max"] = off.post(url + "/extend", timeout=TIMEOUT, json={
        "until": (maxday + datetime.timedelta(days=1)).isoformat(), "reason": "too far"})
    f.r["extend_not_later"] = off.post(url + "/extend", timeout=TIMEOUT, json={
        "until": f.reply_due_before, "reason": "not later"})
    r = f.record("extend", off.post(url + "/extend", timeout=TIMEOUT, json={
        "until": f.until, "reason": "consulting the regional bureaus"}))
    assert r.status_code == 200, r.text
    f.r["extend_to_max"] = off.post(url + "/extend", timeout=TIMEOUT, json={
        "until": f.reply_max, "reason": "one more round"})
    if f.r["extend_to_max"].status_code == 200:
        f.memo_steps.append("extend_to_max")

    # reply and close
    r = f.record("reply", off.post(url + "/reply", json={"body": REPLY}, timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.record("drafter_sees_reply", d.get(url, timeout=TIMEOUT))
    r = f.record("close", off.post(url + "/close", timeout=TIMEOUT))
    assert r.status_code == 200, r.text
    f.record("officer_after_close", off.get(url, timeout=TIMEOUT))

    # what anyone can check offline: once the scheduled checkpoint covers every entry, so both
    # bundles carry the same receipt (one fetched before it and one after would differ)
    caught_up(srv, timeout=30.0)
    f.receipt = receipt_of(srv, d, mid)
    f.r["bundle"] = d.get(url + "/bundle", timeout=TIMEOUT)
    f.r["bundle_officer"] = off.get(url + "/bundle", timeout=TIMEOUT)
    f.r["channel_key"] = f.s[COSIGNERS[0]].get(srv.url + "/api/v1/channel/key", timeout=TIMEOUT)
    f.r["key_unknown"] = f.s["pat"].get(srv.url + "/api/v1/users/nobody/key", timeout=TIMEOUT)
    f.keys = {n: f.s["pat"].get(srv.url + "/api/v1/users/%s/key" % n, timeout=TIMEOUT)
              for n in ("drafter", COSIGNERS[0], COSIGNERS[99])}
    return f


@pytest.fixture(scope="module")
def flow():
    srv = Server(config={"channel": {"principals": "pat", "timezone": "America/New_York",
                                     "accept_window": "0"},
                         "debug": {"clock_start": str(CLOCK)}})
    try:
        yield run_flow(srv)
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


# ---- the tests ---------------------------------------------------------------------------------

EXPECTED_STATE = {
    "create": ("draft", 0), "patch": ("draft", 0), "get_after_edits": ("draft", 0),
    "invite": ("draft", 0), "finalize": ("open", 0), "get_after_signing": ("open", 101),
    "get_after_unsign": ("open", 100), "reinvite": ("open", 100),
    "reinvited_view": ("open", 100),
    "get_after_resign": ("open", 101), "file": ("filed", 101),
    "acknowledge": ("acknowledged", 101), "pat_after_ack": ("acknowledged", 101),
    "distribute": ("acknowledged", 101), "pat2_after_distribution": ("acknowledged", 101),
    "extend": ("acknowledged", 101), "extend_to_max": ("acknowledged", 101),
    "reply": ("replied", 101), "drafter_sees_reply": ("replied", 101),
    "close": ("closed", 101), "officer_after_close": ("closed", 101),
}


def test_every_memo_response_shows_state_deadlines_and_signer_count(flow):
    for step in flow.memo_steps:
        r = flow.r[step]
        assert r.status_code in (200, 201), (step, r.text)
        m = assert_memo_shape(r.json())
        assert m["id"] == flow.id, step
        assert (m["state"], m["signer_count"]) == EXPECTED_STATE[step], (step, m)
        assert r.headers.get("ETag", "").strip('"') == str(m["version"]), step


def test_create_and_edit_with_if_match(flow):
    m = flow.r["create"].json()
    assert m["version"] == 1 and m["title"] == TITLE and m["body"] == BODY_V1
    assert m["digest"] is None and m["deadlines"] is None and m["signers"] == []
    assert flow.r["create"].headers["Location"].endswith("/api/v1/memos/" + flow.id)
    assert_error(flow.r["patch_no_if_match"], 428, "precondition_required")
    m = flow.r["patch"].json()
    assert m["version"] == 2 and m["body"] == BODY
    assert_error(flow.r["patch_stale"], 412, "version_mismatch")
    m = flow.r["get_after_edits"].json()
    assert m["body"] == BODY and m["version"] == 2, "the stale edit must not be stored"


def test_finalize_freezes_the_digest(flow):
    m = flow.r["finalize"].json()
    assert m["digest"] == digest_b64(canonical_text(flow.id, TITLE, BODY))
    assert len(m["invitations"]) == N_COSIGNERS
    assert {i["username"] for i in m["invitations"]} == set(COSIGNERS)
    assert all(i["status"] == "invited" for i in m["invitations"])


def test_hundred_cosigners_sign(flow):
    r = flow.r["sign_drafter"]
    assert r.json()["signer"] == "drafter" and r.json()["signer_count"] == 1
    for name, r in flow.cosign.items():
        assert r.status_code == 201, (name, r.text)
        body = r.json()
        assert body["memo_id"] == flow.id and body["signer"] == name
        assert note_text(body["note"]) == cosign_text(flow.id, flow.r["finalize"].json()["digest"],
                                                      name)
    m = flow.r["get_after_signing"].json()
    assert m["signer_count"] == 101
    assert [s["username"] for s in m["signers"]][0] == "drafter"
    assert {s["username"] for s in m["signers"]} == {"drafter", *COSIGNERS}
    assert all(i["status"] == "signed" for i in m["invitations"])


def test_concurrent_signature_responses_count_correctly(flow):
    """Each 201 of the 100 concurrent signatures reports the count including that signature:
    together they are exactly 2..101 (the drafter's was 1)."""
    counts = sorted(r.json()["signer_count"] for r in flow.cosign.values())
    dup = sorted({c for c in counts if counts.count(c) > 1})
    assert counts == list(range(2, 102)), "duplicated counts %s, missing %s" % (
        dup, sorted(set(range(2, 102)) - set(counts)))


def test_withdraw_and_sign_again(flow):
    who = COSIGNERS[17]
    assert flow.r["unsign"].status_code == 204, flow.r["unsign"].text
    m = flow.r["get_after_unsign"].json()
    assert who not in {s["username"] for s in m["signers"]}
    # withdrawing left the memo, as declining does
    assert {i["username"]: i["status"] for i in m["invitations"]}[who] == "declined"
    assert flow.r["unsigner_view"].status_code == 404
    assert flow.r["reinvited_view"].json()["my_signature"]["status"] == "none"
    r = flow.r["resign"]
    assert r.status_code == 201, r.text
    assert r.json()["signer_count"] == 101
    assert who in {s["username"] for s in flow.r["get_after_resign"].json()["signers"]}


def test_the_stored_signer_count_is_the_count_of_valid_signatures(flow):
    """Each memo's count of valid signatures is kept in its row by triggers (migration 23), so
    that reading a memo does not count its signatures: after 100 signatures at once, a withdrawal
    and a second signature it equals the count, and what the API answers."""
    from keyhelpers import open_db
    with open_db(flow.srv) as db:
        rows = db.execute("SELECT m.public_id, m.signers, (SELECT count(*) FROM signatures s"
                          " WHERE s.memo_id = m.id AND s.voided_at = 0) FROM memos m").fetchall()
    assert rows and all(int(kept) == int(counted) for _, kept, counted in rows), rows
    mid = flow.r["create"].json()["id"]
    assert {r[0]: int(r[1]) for r in rows}[mid] == 101 == flow.r["close"].json()["signer_count"]


def test_filing_starts_the_clocks(flow):
    m = flow.r["file"].json()
    assert m["filed_on"] == FILED.isoformat()
    ack, reply = m["deadlines"]["acknowledge"], m["deadlines"]["reply"]
    # Thursday 2025-07-03: Friday July 4 is a holiday, then the weekend
    assert ack["due"] == "2025-07-08" == add_working_days(FILED, 2).isoformat()
    assert ack["done_on"] is None and ack["overdue"] is False and ack["working_days_left"] == 2
    assert reply["due"] == add_working_days(FILED, 30).isoformat()
    assert reply["max"] == add_working_days(FILED, 60).isoformat()
    assert reply["working_days_left"] == 30
    assert m["timeline"][-1]["event"] == "filed"


def test_acknowledge_and_distribute(flow):
    assert_error(flow.r["pat_before_ack"], 404, "not_found")
    m = flow.r["acknowledge"].json()
    assert m["acknowledged_on"] == FILED.isoformat()
    assert m["deadlines"]["acknowledge"]["done_on"] == FILED.isoformat()
    assert m["deadlines"]["acknowledge"]["on_time"] is True
    assert m["distributed_to"] == ["pat"]
    assert flow.r["pat_after_ack"].json()["relation"]["principal"] is True
    assert_error(flow.r["pat2_before_distribution"], 404, "not_found")
    assert sorted(flow.r["distribute"].json()["distributed_to"]) == ["pat", "pat2"]
    assert flow.r["pat2_after_distribution"].json()["body"] == BODY


def test_extend(flow):
    err = assert_error(flow.r["extend_past_max"], 422, "invalid_field", field="until")
    assert flow.reply_max in err["message"]
    assert_error(flow.r["extend_not_later"], 422, "invalid_field", field="until")
    m = flow.r["extend"].json()
    assert m["deadlines"]["reply"]["due"] == flow.until
    assert m["deadlines"]["reply"]["max"] == flow.reply_max
    ev = [e for e in m["timeline"] if e["event"] == "extended"]
    assert len(ev) == 1 and "consulting the regional bureaus" in ev[0]["detail"]
    assert flow.until in ev[0]["detail"]
    # the maximum itself is a valid extension
    r = flow.r["extend_to_max"]
    assert r.status_code == 200, r.text
    assert r.json()["deadlines"]["reply"]["due"] == flow.reply_max


def test_reply_carries_the_channels_signed_note(flow):
    m = flow.r["reply"].json()
    assert m["replied_on"] == FILED.isoformat()
    assert m["reply"]["body"] == REPLY
    assert m["deadlines"]["reply"]["done_on"] == FILED.isoformat()
    assert m["deadlines"]["reply"]["on_time"] is True
    r = flow.r["channel_key"]
    assert r.status_code == 200, r.text
    text = verify_note(m["reply"]["note"], r.json()["vkey"])
    assert text == reply_text(flow.id, m["digest"], digest_b64(REPLY.encode()))
    # the drafter sees the same reply and note
    assert flow.r["drafter_sees_reply"].json()["reply"] == m["reply"]


def test_close(flow):
    m = flow.r["close"].json()
    assert m["closed_on"] == FILED.isoformat()
    assert [e["event"] for e in m["timeline"]][-1] == "closed"


def test_user_key_verifies_cosignatures(flow):
    digest = flow.r["finalize"].json()["digest"]
    notes = {"drafter": flow.r["sign_drafter"].json()["note"]}
    notes.update({n: flow.cosign[n].json()["note"] for n in (COSIGNERS[0], COSIGNERS[99])})
    for name, r in flow.keys.items():
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["username"] == name
        vkey = body["vkey"]
        assert vkey.startswith(name + "+")
        vname, key_id, _ = parse_vkey(vkey)
        assert vname == name and len(vkey.split("+", 2)[1]) == 8
        assert verify_note(notes[name], vkey) == cosign_text(flow.id, digest, name)
    assert_error(flow.r["key_unknown"], 404, "not_found")
    # a note does not verify under another user's key, nor when its text is changed
    with pytest.raises(AssertionError):
        verify_note(notes["drafter"], flow.keys[COSIGNERS[0]].json()["vkey"])
    forged = notes[COSIGNERS[0]].replace("signer " + COSIGNERS[0], "signer " + COSIGNERS[1])
    with pytest.raises(nacl.exceptions.BadSignatureError):
        verify_note(forged, flow.keys[COSIGNERS[0]].json()["vkey"])


@pytest.fixture
def bundle(flow):
    r = flow.r["bundle"]
    assert r.status_code == 200, r.text
    return r.json()


def test_bundle_lists_101_signers_drafter_first(flow, bundle):
    assert bundle["format"] == "dissent-bundle/v1"
    assert bundle["memo_id"] == flow.id
    assert bundle["canonical_text"] == canonical_text(flow.id, TITLE, BODY).decode()
    assert bundle["digest"] == flow.r["finalize"].json()["digest"]
    assert len(bundle["signers"]) == 101 == len(bundle["signatures"]) == len(bundle["vkeys"])
    assert bundle["signers"][0] == "drafter"
    assert sorted(bundle["signers"][1:]) == COSIGNERS
    for name in flow.keys:
        i = bundle["signers"].index(name)
        assert bundle["vkeys"][i] == flow.keys[name].json()["vkey"]
    # the filing receipt, covered by then, is in the bundle
    assert bundle["receipt"] == flow.receipt
    # the officer gets the same bundle
    assert flow.r["bundle_officer"].status_code == 200
    assert flow.r["bundle_officer"].json() == bundle


def test_dissent_verify_accepts_the_bundle(flow, bundle):
    r = verify_doc(bundle)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("OK: memo %s, digest %s, 101 valid signatures (drafter, "
                          % (flow.id, bundle["digest"])), out
    # the raw bytes the server sent verify too
    r = verify_doc(flow.r["bundle"].content)
    assert r.returncode == 0, r.stderr


def _edit_text(b):
    b["canonical_text"] = b["canonical_text"].replace("We dissent.", "We agree.")


def _alter_signature(b):
    b["signatures"][42] = flip_signature_bit(b["signatures"][42])


def _drop_signature(b):
    del b["signatures"][77]


def _other_key(b):
    b["vkeys"][5] = Key(b["signers"][5]).vkey  # same name, another key


def _other_users_key(b):
    b["vkeys"][5] = b["vkeys"][6]


def _change_digest(b):
    b["digest"] = digest_b64(b"another text")


@pytest.mark.parametrize("tamper, phrase", [
    (_edit_text, "edited text"),
    (_alter_signature, "altered signature"),
    (_drop_signature, "signature missing"),
    (_other_key, "wrong key"),
    (_other_users_key, "key does not match"),
    (_change_digest, "altered digest"),
], ids=["edited-text", "altered-signature", "missing-signature", "replaced-vkey",
        "other-users-vkey", "changed-digest"])
def test_dissent_verify_rejects_tampering(bundle, tamper, phrase):
    doc = json.loads(json.dumps(bundle))
    tamper(doc)
    expect_failure(doc, phrase)
