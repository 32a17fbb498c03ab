"""The memo state machine over HTTP: every action route that DESIGN.md does not allow in a state
answers 409 `wrong_state` naming the current state (and changes nothing); the rule-based 409s
(co-signer before the drafter, the drafter's own signature, filing unsigned, signing twice); and
reopening, which voids every signature.

One server and a memo in each state are shared by the module (fixture `world`); each test that
changes a memo makes its own.
"""
import pytest

from conftest import (TIMEOUT, Server, add_users, assert_error, assert_memo_shape,
                      assert_wrong_state, login_all, memo_url)
from test_verify_cli import verify_doc

STATES = ["draft", "open", "filed", "acknowledged", "replied", "closed", "declined", "withdrawn"]

# action: (actor, method, path suffix, JSON body)
ACTIONS = {
    "edit": ("dan", "PATCH", "", {"title": "Edited title"}),
    "finalize": ("dan", "POST", "finalize", None),
    "reopen": ("dan", "POST", "reopen", None),
    "file": ("dan", "POST", "file", None),
    "withdraw": ("dan", "POST", "withdraw", None),
    "invite": ("dan", "POST", "invitations", {"usernames": ["cos2"]}),
    "decline_invitation": ("cos", "DELETE", "invitations/me", None),
    "sign_drafter": ("dan", "POST", "signatures", None),
    "sign_cosigner": ("cos", "POST", "signatures", None),
    "unsign": ("cos", "DELETE", "signatures/me", None),
    "acknowledge": ("off", "POST", "acknowledge", None),
    "decline": ("off", "POST", "decline", {"reason": "out of scope", "referral": "grievance"}),
    "distribute": ("off", "POST", "distribution", {"usernames": ["pat2"]}),
    "extend": ("off", "POST", "extend", {"until": "2099-01-01", "reason": "more time"}),
    "reply": ("off", "POST", "reply", {"body": "our reply"}),
    "close": ("off", "POST", "close", None),
    "accept": ("dan", "POST", "accept", None),
    "clarify": ("dan", "POST", "clarify", {"question": "What about the budget?"}),
    "addendum": ("dan", "POST", "addendum", {"body": "New facts."}),
    "comment": ("dan", "POST", "comments", {"body": "a comment"}),
    "delete": ("dan", "DELETE", "", None),
    "assign": ("off", "POST", "assignment", {"username": "off"}),
    "interim": ("off", "POST", "interim", {"body": "We are consulting."}),
    "note": ("off", "POST", "notes", {"body": "An internal note."}),
}
OFFICER_ACTIONS = {a for a, spec in ACTIONS.items() if spec[0] == "off"}

# DESIGN.md's life cycle: what each state allows (a co-signer may decline an invitation until
# the memo is filed; the thread stays open until the memo is final).
ALLOWED = {
    "draft": {"edit", "finalize", "invite", "decline_invitation", "comment", "delete"},
    "open": {"reopen", "invite", "decline_invitation", "sign_drafter", "sign_cosigner", "unsign",
             "file", "comment", "delete"},
    "filed": {"acknowledge", "decline", "withdraw", "comment", "assign", "note"},
    "acknowledged": {"distribute", "extend", "reply", "withdraw", "comment", "assign", "interim",
                     "note"},
    # the officers close only once the drafter's window has ended (test_reply_window.py)
    "replied": {"distribute", "accept", "clarify", "comment", "assign", "note"},
    "closed": {"addendum"},  # a new memo: the closed one stays as it is
    "declined": set(),
    "withdrawn": set(),
}


class World:
    def __init__(self, srv):
        self.srv = srv
        admin = srv.admin()
        add_users(srv, admin, ["dan", "cos", "cos2", "cos3"], ["staff"])
        srv.add_user(admin, "off", ["officer"])
        add_users(srv, admin, ["pat", "pat2"], ["principal"])
        self.s = login_all(srv, ["dan", "cos", "cos2", "cos3", "off", "pat", "pat2"])

    def url(self, mid, suffix=""):
        return memo_url(self.srv, mid, suffix)

    def ok(self, who, method, mid, suffix="", json=None, status=200, **kw):
        r = self.s[who].request(method, self.url(mid, suffix), json=json, timeout=TIMEOUT, **kw)
        assert r.status_code == status, (method, suffix, r.text)
        return r

    def get(self, who, mid):
        return self.ok(who, "GET", mid).json()

    def act(self, action, mid):
        """Try `action` on memo `mid` as its usual actor; return the response."""
        who, method, suffix, body = ACTIONS[action]
        headers = {}
        if method == "PATCH" or action == "delete":
            # the right version, so that only the state can refuse the edit
            headers["If-Match"] = '"%d"' % self.get("dan", mid)["version"]
        return self.s[who].request(method, self.url(mid, suffix), json=body, headers=headers,
                                   timeout=TIMEOUT)

    def memo(self, state, invite=("cos",)):
        """A new memo by dan, with `invite` invited (and signed once open), driven to `state`."""
        r = self.s["dan"].post(self.url(None), json={"title": "A memo in " + state,
                                                      "body": "Text.\n"}, timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        if invite:
            self.ok("dan", "POST", mid, "invitations", {"usernames": list(invite)})
        if state == "draft":
            return mid
        self.ok("dan", "POST", mid, "finalize")
        if state == "open":
            return mid
        self.ok("dan", "POST", mid, "signatures", status=201)
        for who in invite:
            self.ok(who, "POST", mid, "signatures", status=201)
        self.ok("dan", "POST", mid, "file")
        path = {"filed": [], "declined": [("off", "decline", {"reason": "out of scope",
                                                         "referral": "grievance"})],
                "withdrawn": [("dan", "withdraw", None)],
                "acknowledged": [("off", "acknowledge", None)],
                "replied": [("off", "acknowledge", None), ("off", "reply", {"body": "r"})],
                "closed": [("off", "acknowledge", None), ("off", "reply", {"body": "r"}),
                           ("dan", "accept", None)]}[state]
        for who, suffix, body in path:
            self.ok(who, "POST", mid, suffix, body)
        assert self.get("dan", mid)["state"] == state
        return mid


@pytest.fixture(scope="module")
def world():
    srv = Server()
    try:
        w = World(srv)
        w.memos = {state: w.memo(state) for state in STATES}
        # withdrawn from acknowledged as well as from filed
        mid = w.memo("acknowledged")
        w.ok("dan", "POST", mid, "withdraw")
        w.withdrawn_after_ack = mid
        yield w
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def illegal_cases():
    for state in STATES:
        for action in ACTIONS:
            if action in ALLOWED[state]:
                continue
            if state in ("draft", "open") and action in OFFICER_ACTIONS:
                continue  # officers cannot see such a memo: 404, see below
            yield state, action


@pytest.mark.parametrize("state, action", list(illegal_cases()),
                         ids=["%s-%s" % c for c in illegal_cases()])
def test_illegal_transition_is_409_with_the_state(world, state, action):
    mid = world.memos[state]
    before = world.get("dan", mid)
    assert_wrong_state(world.act(action, mid), state)
    after = world.get("dan", mid)
    assert after["state"] == state and after["version"] == before["version"]
    assert after["signer_count"] == before["signer_count"]


def test_final_states_after_withdrawing_an_acknowledged_memo(world):
    mid = world.withdrawn_after_ack
    m = world.get("dan", mid)
    assert m["state"] == "withdrawn"
    assert_memo_shape(m)
    for action in ACTIONS:
        assert_wrong_state(world.act(action, mid), "withdrawn")


@pytest.mark.parametrize("state", ["draft", "open"])
def test_officer_actions_on_unfiled_memos_are_not_found(world, state):
    """Officers never see drafts or open memos, so an officer action on one is the same 404 as
    on a memo that does not exist (a 409 would reveal that the memo exists)."""
    mid = world.memos[state]
    missing = world.s["off"].post(world.url("0" * 24, "acknowledge"), timeout=TIMEOUT)
    assert_error(missing, 404, "not_found")
    for action in sorted(OFFICER_ACTIONS):
        r = world.act(action, mid)
        assert_error(r, 404, "not_found")
        assert r.json() == missing.json(), action
    assert world.get("dan", mid)["state"] == state


def test_decline_records_the_reason_and_stops_the_clocks(world):
    m = assert_memo_shape(world.get("dan", world.memos["declined"]))
    assert m["decline_reason"] == "out of scope"
    # the decline meets the acknowledgement on its day; the reply no longer applies
    reply = m["deadlines"]["reply"]
    assert reply["stopped"] == "declined" and reply["done_on"] is None, reply
    assert reply["overdue"] is False and reply["working_days_left"] is None and "max" not in reply
    assert m["deadlines"]["acknowledge"]["done_on"] is not None
    assert m["deadlines"]["acknowledge"]["stopped"] is None
    assert [e["event"] for e in m["timeline"]][-1] == "declined"


def test_cosigner_cannot_sign_before_the_drafter(world):
    mid = world.memo("open")
    assert_wrong_state(world.act("sign_cosigner", mid), "open")
    assert world.get("dan", mid)["signer_count"] == 0


def test_filing_needs_the_drafters_signature(world):
    mid = world.memo("open")
    assert_wrong_state(world.act("file", mid), "open")
    assert world.get("dan", mid)["state"] == "open"


def test_drafter_cannot_withdraw_their_signature(world):
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    r = world.s["dan"].delete(world.url(mid, "signatures/me"), timeout=TIMEOUT)
    assert_wrong_state(r, "open")
    assert world.get("dan", mid)["signer_count"] == 1


def test_signing_twice_is_exists(world):
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    assert_error(world.act("sign_drafter", mid), 409, "exists")
    world.ok("cos", "POST", mid, "signatures", status=201)
    assert_error(world.act("sign_cosigner", mid), 409, "exists")
    assert world.get("dan", mid)["signer_count"] == 2


def test_withdrawing_a_signature_one_does_not_have(world):
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    assert_wrong_state(world.act("unsign", mid), "open")
    world.ok("cos", "POST", mid, "signatures", status=201)
    world.ok("cos", "DELETE", mid, "signatures/me", status=204)
    # withdrawing left the memo: it is no longer there for cos
    assert_error(world.act("unsign", mid), 404, "not_found")
    assert world.get("dan", mid)["signer_count"] == 1


def test_legal_moves_still_work_after_refusals(world):
    """A memo refused many times moves on normally (the refusals left no trace)."""
    mid = world.memo("filed")
    for action in ("file", "finalize", "close", "reply", "extend", "invite", "accept", "clarify"):
        assert_wrong_state(world.act(action, mid), "filed")
    assert world.act("acknowledge", mid).json()["state"] == "acknowledged"
    assert world.act("reply", mid).json()["state"] == "replied"
    assert_wrong_state(world.act("close", mid), "replied")  # the drafter's window runs
    assert world.act("accept", mid).json()["state"] == "closed"


def test_reopen_voids_every_signature(world):
    w = world
    mid = w.memo("open", invite=("cos", "cos2", "cos3"))
    for who in ("dan", "cos", "cos2"):
        w.ok(who, "POST", mid, "signatures", status=201)
    first = w.get("dan", mid)
    assert first["signer_count"] == 3
    r = w.ok("dan", "POST", mid, "reopen", {"reason": "fix the second paragraph"})
    assert r.json()["state"] == "draft" and r.json()["signers"] == []
    m = w.get("dan", mid)
    assert m["state"] == "draft" and m["signer_count"] == 0 and m["signers"] == []
    # a co-signer sees the signature voided and why
    mine = w.get("cos", mid)["my_signature"]
    assert mine["status"] == "voided", mine
    assert isinstance(mine["reason"], str) and "fix the second paragraph" in mine["reason"]
    # cos3 never signed: nothing to void
    assert w.get("cos3", mid)["my_signature"] == {"status": "none", "reason": None}

    # edit and finalize again: a new digest, still no signature
    version = m["version"]
    w.ok("dan", "PATCH", mid, "", {"body": "Text, corrected.\n"},
         headers={"If-Match": '"%d"' % version})
    m = w.ok("dan", "POST", mid, "finalize").json()
    assert m["state"] == "open" and m["signer_count"] == 0
    assert m["digest"] != first["digest"]
    for who in ("dan", "cos", "cos2"):
        mine = w.get(who, mid)["my_signature"]
        assert mine["status"] == "voided" and mine["reason"], (who, mine)
    # the drafter's voided signature does not count: co-signers still wait for the drafter
    assert_wrong_state(w.act("sign_cosigner", mid), "open")
    assert_wrong_state(w.act("file", mid), "open")

    # everyone can sign again
    assert w.ok("dan", "POST", mid, "signatures", status=201).json()["signer_count"] == 1
    assert w.ok("cos", "POST", mid, "signatures", status=201).json()["signer_count"] == 2
    mine = w.get("cos", mid)["my_signature"]
    assert mine == {"status": "signed", "reason": None}, mine
    assert w.get("cos2", mid)["my_signature"]["status"] == "voided"
    m = w.get("dan", mid)
    assert m["signer_count"] == 2
    assert [s["username"] for s in m["signers"]] == ["dan", "cos"]
    # the bundle holds only the signatures over the new text, and verifies
    b = w.ok("dan", "GET", mid, "bundle").json()
    assert b["signers"] == ["dan", "cos"] and b["digest"] == m["digest"]
    r = verify_doc(b)
    assert r.returncode == 0, r.stderr


def test_reopen_without_a_body(world):
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    m = world.ok("dan", "POST", mid, "reopen").json()
    assert m["state"] == "draft"
    m = world.get("dan", mid)
    assert m["signer_count"] == 0 and m["my_signature"]["status"] == "voided"


def test_reopen_response_counts_no_signer(world):
    """The memo that POST .../reopen answers with has signer_count 0, like a GET right after."""
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    world.ok("cos", "POST", mid, "signatures", status=201)
    m = world.ok("dan", "POST", mid, "reopen").json()
    assert m["signers"] == []
    assert m["signer_count"] == 0, "reopen answered signer_count %d, a GET says %d" % (
        m["signer_count"], world.get("dan", mid)["signer_count"])


def test_signing_many_times_at_once_signs_once(world):
    """One co-signer's signature sent six times at once, with two others': the group commit
    (whose first try on PostgreSQL sends every insert of a batch without waiting, core/workflow.c)
    keeps one, answers the other five 409, and the others sign as if alone."""
    import concurrent.futures
    import threading
    import requests
    w = world
    for _ in range(3):
        mid = w.memo("open", invite=("cos", "cos2", "cos3"))
        w.ok("dan", "POST", mid, "signatures", status=201)
        who = ["cos"] * 6 + ["cos2", "cos3"]
        start = threading.Barrier(len(who))

        def sign(name):
            s = requests.Session()
            s.cookies.update(w.s[name].cookies)
            s.headers.update(w.s[name].headers)
            start.wait(timeout=TIMEOUT)
            return name, s.post(w.url(mid, "signatures"), timeout=TIMEOUT)

        with concurrent.futures.ThreadPoolExecutor(len(who)) as pool:
            answers = list(pool.map(sign, who))
        mine = sorted(r.status_code for n, r in answers if n == "cos")
        assert mine == [201] + [409] * 5, [(n, r.status_code, r.text) for n, r in answers]
        for n, r in answers:
            if r.status_code == 409:
                assert "already signed" in r.json()["error"]["message"], r.text
        assert all(r.status_code == 201 for n, r in answers if n != "cos"), answers
        m = w.get("dan", mid)
        assert m["signer_count"] == 4
        assert sorted(x["username"] for x in m["signers"]) == ["cos", "cos2", "cos3", "dan"]


def test_decline_invitation_removes_the_signature(world):
    mid = world.memo("open", invite=("cos", "cos2"))
    world.ok("dan", "POST", mid, "signatures", status=201)
    world.ok("cos", "POST", mid, "signatures", status=201)
    world.ok("cos", "DELETE", mid, "invitations/me", status=204)
    m = world.get("dan", mid)
    assert m["signer_count"] == 1 and [s["username"] for s in m["signers"]] == ["dan"]
    inv = {i["username"]: i["status"] for i in m["invitations"]}
    assert inv == {"cos": "declined", "cos2": "invited"}
    world.ok("cos", "GET", mid, status=404)  # the decliner left the memo


def test_decline_invitation_answers_nothing_of_the_memo(world):
    """DELETE .../invitations/me answers 204: the decliner gets no last copy of the memo."""
    mid = world.memo("open", invite=("cos", "cos2"))
    world.ok("dan", "POST", mid, "signatures", status=201)
    world.ok("cos", "POST", mid, "signatures", status=201)
    r = world.ok("cos", "DELETE", mid, "invitations/me", status=204)
    assert r.text == ""
    assert world.get("dan", mid)["signer_count"] == 1


# Every action a memo's "actions" may name: (method, path suffix, JSON body), with a body the
# server would take, so that only the state, the route table or the caller's standing refuses.
NAMED = {
    "edit": ("PATCH", "", {"title": "Edited title"}),
    "finalize": ("POST", "finalize", None),
    "invite": ("POST", "invitations", {"usernames": ["cos2"]}),
    "sign": ("POST", "signatures", None),
    "unsign": ("DELETE", "signatures/me", None),
    "decline-invitation": ("DELETE", "invitations/me", None),
    "reshare": ("POST", "reshare", {"username": "cos"}),
    "file": ("POST", "file", None),
    "reopen": ("POST", "reopen", None),
    "withdraw": ("POST", "withdraw", None),
    "acknowledge": ("POST", "acknowledge", None),
    "decline": ("POST", "decline", {"reason": "out of scope", "referral": "grievance"}),
    "distribute": ("POST", "distribution", {"usernames": ["pat2"]}),
    "extend": ("POST", "extend", {"until": "2099-01-01", "reason": "more time"}),
    "reply": ("POST", "reply", {"body": "our reply"}),
    "close": ("POST", "close", None),
    "accept": ("POST", "accept", None),
    "clarify": ("POST", "clarify", {"question": "What about the budget?"}),
    "addendum": ("POST", "addendum", {"body": "New facts."}),
    "comment": ("POST", "comments", {"body": "a comment"}),
    "receipt": ("GET", "receipt", None),
    "delete": ("DELETE", "", None),
    "assign": ("POST", "assignment", {"username": "off"}),
    "interim": ("POST", "interim", {"body": "We are consulting."}),
    "note": ("POST", "notes", {"body": "An internal note."}),
    # the reply's review (test_reply_approval.py): offered only to a memo's case officer, the
    # officers asked to clear it and the head, so never here (nobody is assigned)
    "reply-draft": ("PUT", "reply-draft", {"body": "A draft."}),
    "ask-clearance": ("POST", "reply-draft/clearance", {"usernames": ["off"]}),
    "clear": ("POST", "reply-draft/clear", None),
    "submit": ("POST", "reply-draft/submit", None),
    "return": ("POST", "reply-draft/return", {"reason": "Redo it."}),
    "approve": ("POST", "reply-draft/approve", {"version": 1, "digest": "A" * 43 + "="}),
}
# the test's names (ACTIONS) as the server names them
AS_NAMED = {"sign_drafter": "sign", "sign_cosigner": "sign", "decline_invitation":
            "decline-invitation"}


def try_named(w, who, name, mid):
    method, suffix, body = NAMED[name]
    headers = {}
    if method == "PATCH" or name == "delete":
        headers["If-Match"] = '"%d"' % w.get("dan", mid)["version"]
    return w.s[who].request(method, w.url(mid, suffix), json=body, headers=headers,
                            timeout=TIMEOUT)


@pytest.mark.parametrize("state", STATES)
def test_actions_list_what_the_state_allows_and_nothing_else_is_accepted(world, state):
    """A memo's "actions" are the buttons the web interface draws: for the drafter and the
    officer they are exactly what DESIGN.md's life cycle allows them in each state (a receipt once
    filed); and every action a caller is not offered, they try and are refused, changing
    nothing."""
    w = world
    mid = w.memos[state]
    seen = {}
    for who in ("dan", "cos", "off", "pat"):
        r = w.s[who].get(w.url(mid), timeout=TIMEOUT)
        if r.status_code == 404:
            continue  # an officer before filing, a principal it was not distributed to
        assert r.status_code == 200, r.text
        seen[who] = set(r.json()["actions"])
        assert seen[who] <= set(NAMED), seen[who]
    filed = state not in ("draft", "open")
    receipt = {"receipt"} if filed else set()
    expect_dan = {AS_NAMED.get(a, a) for a in ALLOWED[state] if ACTIONS[a][0] == "dan"}
    assert seen["dan"] == expect_dan | receipt, (state, seen["dan"])
    if filed:
        expect_off = {a for a in ALLOWED[state] if ACTIONS[a][0] == "off" or a == "comment"}
        assert seen["off"] == expect_off | receipt, (state, seen["off"])
    before = w.get("dan", mid)
    for who, offered in seen.items():
        for name in sorted(set(NAMED) - offered):
            r = try_named(w, who, name, mid)
            assert r.status_code >= 400, (state, who, name, r.status_code, r.text)
    after = w.get("dan", mid)
    assert (after["state"], after["version"], after["signer_count"]) == \
        (before["state"], before["version"], before["signer_count"])


def test_actions_follow_each_step_of_a_memo(world):
    """Walking one memo through its life, each step is offered before it is taken, and the
    co-signer's own standing shows: sign until signed, then withdraw the signature."""
    w = world
    r = w.s["dan"].post(w.url(None), json={"title": "Walked", "body": "Text.\n"}, timeout=TIMEOUT)
    mid = r.json()["id"]

    def offered(who):
        return set(w.get(who, mid)["actions"])

    assert {"edit", "finalize", "invite", "comment"} <= offered("dan")
    w.ok("dan", "POST", mid, "invitations", {"usernames": ["cos"]})
    assert offered("cos") == {"decline-invitation", "comment"}
    w.ok("dan", "POST", mid, "finalize")
    assert offered("dan") == {"invite", "sign", "file", "reopen", "comment", "delete"}
    assert offered("cos") == {"sign", "decline-invitation", "comment"}
    w.ok("dan", "POST", mid, "signatures", status=201)
    assert "sign" not in offered("dan") and "unsign" not in offered("dan")
    w.ok("cos", "POST", mid, "signatures", status=201)
    assert offered("cos") == {"unsign", "decline-invitation", "comment"}
    w.ok("dan", "POST", mid, "file")
    assert offered("off") == {"acknowledge", "decline", "comment", "receipt", "assign", "note"}
    assert offered("dan") == {"withdraw", "comment", "receipt"}
    assert offered("cos") == {"comment"}
    w.ok("off", "POST", mid, "acknowledge")
    assert offered("off") == {"distribute", "extend", "reply", "comment", "receipt",
                              "assign", "interim", "note"}
    w.ok("off", "POST", mid, "reply", {"body": "r"})
    assert offered("off") == {"distribute", "comment", "receipt", "assign", "note"}
    assert offered("dan") == {"accept", "clarify", "comment", "receipt"}
    w.ok("dan", "POST", mid, "clarify", {"question": "And the budget?"})
    assert offered("off") == {"distribute", "reply", "comment", "receipt", "assign", "interim",
                              "note"}
    w.ok("off", "POST", mid, "reply", {"body": "r2"})
    w.ok("dan", "POST", mid, "accept")
    assert offered("off") == {"receipt"} and offered("dan") == {"receipt", "addendum"}
    assert offered("cos") == set()


def test_delete_a_draft_needs_the_version_and_leaves_nothing_to_find(world):
    """Issue 18, part 6: the drafter deletes a draft; If-Match is required (428 without, 412 on
    another version); the invitee, the drafter and their lists find nothing afterwards, with the
    answer of a memo that never existed."""
    mid = world.memo("draft")
    m = world.get("dan", mid)
    assert "delete" in m["actions"]
    assert "delete" not in world.get("cos", mid)["actions"]
    r = world.s["dan"].delete(world.url(mid), timeout=TIMEOUT)
    assert_error(r, 428, "precondition_required")
    r = world.s["dan"].delete(world.url(mid), headers={"If-Match": '"%d"' % (m["version"] + 1)},
                              timeout=TIMEOUT)
    assert_error(r, 412, "version_mismatch")
    r = world.s["cos"].delete(world.url(mid), headers={"If-Match": '"%d"' % m["version"]},
                              timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    assert world.get("dan", mid)["version"] == m["version"]
    r = world.s["dan"].delete(world.url(mid), headers={"If-Match": '"%d"' % m["version"]},
                              timeout=TIMEOUT)
    assert r.status_code == 204 and r.content == b"", r.text
    missing = world.s["dan"].get(world.url("0" * 24), timeout=TIMEOUT)
    for who in ("dan", "cos"):
        r = world.s[who].get(world.url(mid), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        assert r.json() == missing.json()
        listed = world.s[who].get(world.url(None), params={"limit": 100}, timeout=TIMEOUT).json()
        assert mid not in [x["id"] for x in listed["memos"]]
    r = world.s["dan"].delete(world.url(mid), headers={"If-Match": '"%d"' % m["version"]},
                              timeout=TIMEOUT)
    assert_error(r, 404, "not_found")


def test_delete_an_open_memo_with_signatures(world):
    """An open memo, signed by the drafter and a co-signer, is deleted: the co-signer loses it
    (their signature goes with it); a new memo is not confused with it."""
    mid = world.memo("open")
    world.ok("dan", "POST", mid, "signatures", status=201)
    world.ok("cos", "POST", mid, "signatures", status=201)
    m = world.get("dan", mid)
    assert m["signer_count"] == 2 and "delete" in m["actions"]
    world.ok("dan", "DELETE", mid, headers={"If-Match": '"%d"' % m["version"]}, status=204)
    assert_error(world.s["cos"].get(world.url(mid), timeout=TIMEOUT), 404, "not_found")
    assert_error(world.s["cos"].get(world.url(mid, "comments"), timeout=TIMEOUT), 404,
                 "not_found")
    new = world.memo("draft")
    assert new != mid
    n = world.get("dan", new)
    assert n["signer_count"] == 0 and n["title"] == "A memo in draft"


@pytest.mark.parametrize("state", ["filed", "closed", "withdrawn"])
def test_a_filed_memo_is_never_deleted(world, state):
    mid = world.memos[state]
    m = world.get("dan", mid)
    assert "delete" not in m["actions"]
    r = world.s["dan"].delete(world.url(mid), headers={"If-Match": '"%d"' % m["version"]},
                              timeout=TIMEOUT)
    assert_wrong_state(r, state)
    assert world.get("dan", mid)["version"] == m["version"]
