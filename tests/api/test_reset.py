"""Issue 14: what follows an administrator's reset, and the log entries of accounts.

A reset revokes an account's keys and gives the administrator a new enrolment code, so the
administrator could enrol in the user's place. These tests show that:

- every reset, officer or principal role change and channel-key grant or revocation is a
  transparency-log entry naming the account by a tag, never by name, and counted in the public
  statistics;
- the user is told by email at once, and by /api/v1/me at the next sign-in;
- until two officers (holding the channel key, neither the account itself) confirm the
  re-enrolled account, nothing is sealed to it: invitations, channel grants, draft re-shares and
  distributions wait (409 confirmation_required);
- the confirmation that completes the count re-shares the account's filed memos, audited; a draft
  is re-shared by one of its current readers.
"""
import json
import re

from conftest import PASSWORD, TIMEOUT, assert_error, assert_wrong_state, memo_url
from keyhelpers import assert_no_key, call, create_memo, filed_memo, get_memo, marker
from loghelpers import caught_up, checkpoint, fetch_entries, parse_entry
from test_mail import Sink, mail_config

RESETS = "/api/v1/channel/resets"


def log_fields(srv, session=None):
    """Every entry of the server's log, parsed (once the next checkpoint covers them all)."""
    _, _, size, _ = caught_up(srv, session)
    return [parse_entry(e) for e in fetch_entries(srv.url, size, session)]


def account_events(srv):
    """(event, account tag) of every account entry, in log order."""
    return [(f["event"], f["account"]) for f in log_fields(srv) if "account" in f]


def reset(srv, admin, name):
    r = admin.post(srv.url + "/api/v1/users/%s/reset" % name, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["enrolment"]["code"]


def confirm(srv, s, name, fingerprint, status=200):
    """An officer's confirmation, with the fingerprint the person read to them."""
    return call(s, "POST", srv.url + RESETS + "/" + name + "/confirm",
                {"fingerprint": fingerprint}, status=status)


def fingerprint(srv, s):
    """The fingerprint a re-enrolled user reads from their screen (GET /api/v1/me)."""
    fp = call(s, "GET", srv.url + "/api/v1/me").json()["reset"]["fingerprint"]
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{8}$", fp), fp
    return fp


def assert_gone(r):
    assert_error(r, 404, "not_found")


def waiting(srv, s):
    return {a["username"]: a for a in call(s, "GET", srv.url + RESETS).json()["items"]}


def desk(srv, admin):
    """Three officers (anna made the channel key and granted it to otto and olaf) and two staff;
    their sessions."""
    srv.add_user(admin, "anna", ["officer"])
    srv.add_user(admin, "otto", ["officer"])
    srv.add_user(admin, "olaf", ["officer"])
    srv.add_user(admin, "dave", ["staff"])
    srv.add_user(admin, "carl", ["staff"])
    s = {n: srv.login(n, PASSWORD) for n in ("anna", "otto", "olaf", "dave", "carl")}
    for n in ("otto", "olaf"):
        call(s["anna"], "POST", srv.url + "/api/v1/channel/grants", {"username": n}, 201)
    return s


def test_accounts_are_in_the_log_by_tag_never_by_name(server, admin):
    server.add_user(admin, "anna", ["officer"])
    server.add_user(admin, "otto", ["officer"])
    server.add_user(admin, "pia", ["principal"])
    server.add_user(admin, "dave", ["staff"])
    server.add_user(admin, "hana", ["officer", "head"])
    a = server.login("anna", PASSWORD)  # creates the channel key: granted to anna
    server.login("otto", PASSWORD)
    call(a, "POST", server.url + "/api/v1/channel/grants", {"username": "otto"}, 201)
    # a second grant to the same officer renews it and logs nothing new
    call(a, "POST", server.url + "/api/v1/channel/grants", {"username": "otto"}, 201)
    r = admin.patch(server.url + "/api/v1/users/otto", json={"roles": ["officer", "head"]},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    r = admin.patch(server.url + "/api/v1/users/otto", json={"roles": ["staff"]},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    r = admin.patch(server.url + "/api/v1/users/dave", json={"roles": ["staff", "principal"]},
                    timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    reset(server, admin, "pia")
    events = account_events(server)
    tags = {}
    for ev, tag in events:
        tags.setdefault(tag, []).append(ev)
    assert sorted(tags.values()) == sorted([
        ["keys-bound"],                                             # the first admin
        ["officer-added", "keys-bound", "channel-granted"],         # anna
        ["officer-added", "keys-bound", "channel-granted", "head-added", "officer-removed",
         "head-removed", "channel-revoked"],                        # otto
        ["officer-added", "head-added", "keys-bound"],               # hana
        ["principal-added", "keys-bound", "reset"],                 # pia
        ["keys-bound", "principal-added"],                          # dave
    ]), events
    # no name, no internal id: only the tags, which differ per account
    raw = b"".join(fetch_entries(server.url, checkpoint(server.url)[2]))
    for line in raw.split(b"\n"):
        key, _, value = line.partition(b" ")
        for name in (b"anna", b"otto", b"pia", b"dave", b"hana"):
            # a binding is base64, where three letters may come up by chance: as a whole
            assert (value == name if key == b"binding" else name in line) is False, line
    # the public statistics count them, and find no anomaly in them
    st = call(requests_session(server), "GET", server.url + "/api/v1/stats").json()
    assert st["accounts"]["officer-added"] == 3
    assert st["accounts"]["head-added"] == 2 and st["accounts"]["head-removed"] == 1
    assert st["accounts"]["channel-granted"] == 2
    assert st["accounts"]["channel-revoked"] == 1
    assert st["accounts"]["reset"] == 1
    assert st["accounts"]["principal-added"] == 2
    assert st["accounts"]["keys-bound"] == 6  # every key pair born, by an account's tag
    assert st["anomalies"] == 0


def requests_session(srv):
    return srv.session()


def test_a_reset_is_told_by_email_and_at_the_next_sign_in(make_server):
    sink = Sink()
    sink.start()
    try:
        srv = make_server(config=mail_config(sink.port))
        adm = srv.admin()
        srv.add_user(adm, "dave", ["staff"], email="dave@example.org")
        code = reset(srv, adm, "dave")
        got = sink.wait(1)
        assert len(got) == 1, got
        rcpts, msg = got[0]
        assert rcpts == ["dave@example.org"]
        assert msg["Subject"] == "Dissent: your account was reset"
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert "reset your Dissent account" in text and "tell an officer" in text
        # the admin's outbox view says neither what nor to whom
        out = call(adm, "GET", srv.url + "/api/v1/outbox").json()
        assert "dave" not in json.dumps(out) and "reset" not in json.dumps(out)
        srv.enrol("dave", code, "dave's new passphrase")
        d = srv.login("dave", "dave's new passphrase")
        me = call(d, "GET", srv.url + "/api/v1/me").json()
        assert me["reset"]["pending"] is True and me["reset"]["held"] is True
        assert me["reset"]["confirmations"] == 0 and me["reset"]["confirmations_required"] == 2
        assert me["reset"]["at"].endswith("Z")
    finally:
        sink.stop()


def test_two_officers_confirm_then_the_filed_memos_come_back(server, admin):
    s = desk(server, admin)
    secret = marker()
    mid = filed_memo(server, s["dave"], "Filed " + secret, "Body " + secret + "\n",
                     cosigners={"carl": s["carl"]})
    draft = create_memo(server, s["dave"], "Draft " + secret)
    code = reset(server, admin, "dave")
    # before the user enrols again, there is nothing to confirm
    assert waiting(server, s["anna"])["dave"]["enrolled"] is False
    assert_error(confirm(server, s["anna"], "dave", "00000000-00000000", 409), 409,
                 "not_enrolled")
    server.enrol("dave", code, "dave's new passphrase")
    d = server.login("dave", "dave's new passphrase")
    fp = fingerprint(server, d)
    # what the account was part of before the reset is not its own until the officers confirm:
    # not listed, not readable, no audit (who read it), no signing
    for suffix in ("", "audit", "comments", "receipt"):
        assert_gone(d.get(memo_url(server, mid, suffix), timeout=TIMEOUT))
    assert mid not in call(d, "GET", memo_url(server)).text
    assert_gone(d.post(memo_url(server, mid, "comments"), json={"body": "x"}, timeout=TIMEOUT))
    w = waiting(server, s["anna"])["dave"]
    assert w == {"username": "dave", "display_name": w["display_name"], "reset_at": w["reset_at"],
                 "enrolled": True, "held": True, "to_reshare": 1, "confirmations_required": 2,
                 "confirmed_by": None}
    # held: nothing is sealed to the account, by anyone
    other = create_memo(server, s["carl"])
    r = s["carl"].post(memo_url(server, other, "invitations"), json={"usernames": ["dave"]},
                       timeout=TIMEOUT)
    assert_error(r, 409, "confirmation_required")
    # a fingerprint the person did not read is refused
    assert_error(confirm(server, s["anna"], "dave", "0123abcd-0123abcd", 409), 409,
                 "fingerprint_mismatch")
    assert_error(confirm(server, s["anna"], "dave", "not hex", 422), 422, field="fingerprint")
    # the first confirmation records, shares nothing
    r = confirm(server, s["anna"], "dave", fp.upper()).json()
    assert r == {"username": "dave", "held": True, "reset": True, "reshared": 0}
    assert_gone(d.get(memo_url(server, mid), timeout=TIMEOUT))
    assert_error(confirm(server, s["anna"], "dave", fp, 409), 409, "already_confirmed")
    assert waiting(server, s["otto"])["dave"]["confirmed_by"] == "anna"
    # the second one completes: the filed memo is shared again, audited
    r = confirm(server, s["otto"], "dave", fp).json()
    assert r == {"username": "dave", "held": False, "reset": False, "reshared": 1}
    m = get_memo(server, d, mid)
    assert secret in m["title"]
    assert "dave" not in waiting(server, s["anna"])
    audit = call(s["anna"], "GET", memo_url(server, mid, "audit")).json()
    assert any(a["action"] == "reshared" and a["by"] == "otto" for a in audit["records"]), audit
    assert ("reset-confirmed" in [e for e, _ in account_events(server)])
    assert_error(confirm(server, s["olaf"], "dave", fp, 409), 409, "nothing_to_confirm")
    # the draft he wrote alone has no other reader: it stays closed to him
    assert_no_key(d.get(memo_url(server, draft), timeout=TIMEOUT))


def test_who_may_confirm(server, admin):
    s = desk(server, admin)
    server.add_user(admin, "oleg", ["officer"])
    oleg = server.login("oleg", PASSWORD)  # an officer without the channel key
    code = reset(server, admin, "dave")
    server.enrol("dave", code, "dave's new passphrase")
    fp = fingerprint(server, server.login("dave", "dave's new passphrase"))
    assert_error(confirm(server, oleg, "dave", fp, 403), 403, "no_key")
    # how many filed memos the account is part of says who dissents: not to him
    assert waiting(server, oleg)["dave"]["to_reshare"] is None
    assert waiting(server, s["anna"])["dave"]["to_reshare"] == 0
    assert_error(confirm(server, s["carl"], "dave", fp, 403), 403)  # staff: not an officer
    assert_error(confirm(server, s["anna"], "nobody", fp, 404), 404)
    assert_error(confirm(server, s["anna"], "carl", fp, 409), 409, "nothing_to_confirm")
    # enrolled again meanwhile (a second reset): the fingerprint read before no longer fits
    code = reset(server, admin, "dave")
    server.enrol("dave", code, "someone else's passphrase")
    assert_error(confirm(server, s["anna"], "dave", fp, 409), 409, "fingerprint_mismatch")
    # an officer reset and re-enrolled is not their own witness, and gets no grant meanwhile
    code = reset(server, admin, "olaf")
    server.enrol("olaf", code, "olaf's new passphrase")
    olaf = server.login("olaf", "olaf's new passphrase")
    ofp = fingerprint(server, olaf)
    assert_error(confirm(server, olaf, "olaf", ofp, 403), 403, "no_key")
    r = s["anna"].post(server.url + "/api/v1/channel/grants", json={"username": "olaf"},
                       timeout=TIMEOUT)
    assert_error(r, 409, "confirmation_required")
    confirm(server, s["anna"], "olaf", ofp)
    confirm(server, s["otto"], "olaf", ofp)
    call(s["anna"], "POST", server.url + "/api/v1/channel/grants", {"username": "olaf"}, 201)
    assert call(olaf, "GET", server.url + "/api/v1/channel").json()["granted"] is True


def test_a_draft_is_shared_again_by_a_current_reader(server, admin):
    s = desk(server, admin)
    secret = marker()
    draft = create_memo(server, s["dave"], "Draft " + secret, "Body " + secret + "\n")
    call(s["dave"], "POST", memo_url(server, draft, "invitations"), {"usernames": ["carl"]})
    filed = filed_memo(server, s["carl"], "Carl's", "Body.\n", cosigners={"dave": s["dave"]})
    code = reset(server, admin, "dave")
    server.enrol("dave", code, "dave's new passphrase")
    d = server.login("dave", "dave's new passphrase")
    url = memo_url(server, draft, "reshare")
    # held: the co-signer cannot share it yet
    assert_error(s["carl"].post(url, json={"username": "dave"}, timeout=TIMEOUT), 409,
                 "confirmation_required")
    fp = fingerprint(server, d)
    confirm(server, s["anna"], "dave", fp)
    confirm(server, s["otto"], "dave", fp)  # re-shares the filed memo, not the draft
    assert secret not in d.get(memo_url(server, draft), timeout=TIMEOUT).text
    assert get_memo(server, d, filed)["title"] == "Carl's"
    r = call(s["carl"], "POST", url, {"username": "dave"})
    assert r.json()["id"] == draft
    assert secret in get_memo(server, d, draft)["title"]
    events = [e["event"] for e in get_memo(server, d, draft)["timeline"]]
    assert "reshared" in events, events
    # twice, to a stranger, or on a filed memo: refused
    assert_error(s["carl"].post(url, json={"username": "dave"}, timeout=TIMEOUT), 422,
                 field="username")
    assert_error(s["carl"].post(url, json={"username": "anna"}, timeout=TIMEOUT), 422,
                 field="username")
    r = s["carl"].post(memo_url(server, filed, "reshare"), json={"username": "dave"},
                       timeout=TIMEOUT)
    assert_wrong_state(r, "filed")


def test_distribution_waits_for_the_confirmation(make_server):
    srv = make_server(config={"channel": {"principals": "pia"}})
    admin = srv.admin()
    s = desk(srv, admin)
    srv.add_user(admin, "pia", ["principal"])
    code = reset(srv, admin, "pia")
    srv.enrol("pia", code, "pia's new passphrase")
    p = srv.login("pia", "pia's new passphrase")
    secret = marker()
    mid = filed_memo(srv, s["dave"], "Filed " + secret, "Body.\n")
    call(s["anna"], "POST", memo_url(srv, mid, "acknowledge"))
    # the distribution is recorded, the key withheld: the memo is listed, not readable
    assert_no_key(p.get(memo_url(srv, mid), timeout=TIMEOUT))
    assert waiting(srv, s["anna"])["pia"]["to_reshare"] == 1
    fp = fingerprint(srv, p)
    confirm(srv, s["anna"], "pia", fp)
    assert confirm(srv, s["otto"], "pia", fp).json()["reshared"] == 1
    assert secret in get_memo(srv, p, mid)["title"]


def test_no_confirmation_when_configured_off(make_server):
    srv = make_server(config={"security": {"reset_confirmations": "0"}})
    admin = srv.admin()
    s = desk(srv, admin)
    mid = filed_memo(srv, s["dave"], "Filed", "Body.\n")
    code = reset(srv, admin, "dave")
    srv.enrol("dave", code, "dave's new passphrase")
    d = srv.login("dave", "dave's new passphrase")
    assert call(d, "GET", srv.url + "/api/v1/me").json()["reset"]["held"] is False
    # one officer's re-share step is still needed for what the account was part of
    assert_gone(d.get(memo_url(srv, mid), timeout=TIMEOUT))
    assert confirm(srv, s["anna"], "dave", fingerprint(srv, d)).json()["reshared"] == 1
    assert get_memo(srv, d, mid)["title"] == "Filed"


def test_a_withdrawn_signature_leaves_the_memo(server, admin):
    """Withdrawing a signature removes the memo key sealed to the co-signer, as declining does:
    no text, no reply, no names afterwards, unless the drafter invites them again."""
    s = desk(server, admin)
    secret = marker()
    mid = create_memo(server, s["dave"], "Draft " + secret, "Body " + secret + "\n")
    call(s["dave"], "POST", memo_url(server, mid, "invitations"), {"usernames": ["carl"]})
    call(s["dave"], "POST", memo_url(server, mid, "finalize"))
    call(s["dave"], "POST", memo_url(server, mid, "signatures"), status=201)
    call(s["carl"], "POST", memo_url(server, mid, "signatures"), status=201)
    call(s["carl"], "DELETE", memo_url(server, mid, "signatures/me"), status=204)
    for suffix in ("", "comments", "bundle"):
        r = s["carl"].get(memo_url(server, mid, suffix), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        assert secret not in r.text
    listed = call(s["carl"], "GET", memo_url(server)).json()["memos"]
    assert mid not in [m["id"] for m in listed]
    m = get_memo(server, s["dave"], mid)
    assert {i["username"]: i["status"] for i in m["invitations"]} == {"carl": "declined"}
    assert m["signer_count"] == 1
    # invited again, the memo is shared anew
    call(s["dave"], "POST", memo_url(server, mid, "invitations"), {"usernames": ["carl"]})
    assert secret in get_memo(server, s["carl"], mid)["title"]


def test_the_count_is_fixed_at_the_reset(make_server):
    """Lowering [security] reset_confirmations after a reset lets nothing through: the account
    still needs the two confirmations asked for when it was reset."""
    srv = make_server()
    admin = srv.admin()
    s = desk(srv, admin)
    mid = filed_memo(srv, s["dave"], "Filed", "Body.\n")
    code = reset(srv, admin, "dave")
    srv.stop()
    with open(srv.config) as f:
        lines = f.read().splitlines()
    i = lines.index("[security]")
    lines[i + 1:i + 1] = ["reset_confirmations = 0"]
    with open(srv.config, "w") as f:
        f.write("\n".join(lines) + "\n")
    srv.restart()
    srv.enrol("dave", code, "dave's new passphrase")
    d = srv.login("dave", "dave's new passphrase")
    r = call(d, "GET", srv.url + "/api/v1/me").json()["reset"]
    assert r["held"] is True and r["confirmations_required"] == 2
    a, o = srv.login("anna", PASSWORD), srv.login("otto", PASSWORD)
    fp = fingerprint(srv, d)
    assert confirm(srv, a, "dave", fp).json()["held"] is True
    assert_gone(d.get(memo_url(srv, mid), timeout=TIMEOUT))
    assert confirm(srv, o, "dave", fp).json()["reshared"] == 1


def test_a_reset_officer_learns_nothing_from_recusals(server, admin):
    """An officer who also drafts is recused from their own memos. Reset and enrolled again by
    someone else, the account is recused from every memo of before alike: which ones the user
    drafted does not show."""
    s = desk(server, admin)
    server.add_user(admin, "sol", ["staff", "officer"])
    sol = server.login("sol", PASSWORD)
    call(s["anna"], "POST", server.url + "/api/v1/channel/grants", {"username": "sol"}, 201)
    own = filed_memo(server, sol, "Sol's own", "Body.\n")
    other = filed_memo(server, s["dave"], "Dave's", "Body.\n")
    code = reset(server, admin, "sol")
    server.enrol("sol", code, "someone else's passphrase")
    fake = server.login("sol", "someone else's passphrase")
    due = call(fake, "GET", server.url + "/api/v1/deadlines").json()
    marks = {m["id"]: m.get("recused") for m in due["due"] + due["overdue"]}
    assert marks[own] == marks[other] is True, marks
    for mid in (own, other):
        assert_error(fake.get(memo_url(server, mid), timeout=TIMEOUT), 403, "recused")


def test_a_reset_across_channels_is_shared_again_by_each_channels_officers(make_server):
    """An account part of memos in two channels: each channel's officers see only their
    channel's memos to share again, share only those when they confirm (a fingerprint check
    each), and the reset ends with the last channel's."""
    srv = make_server(config={"security": {"reset_confirmations": "1"}})
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels", {"slug": "sub"}, 201)
    s = desk(srv, admin)  # anna, otto, olaf: officers of channel 1
    call(admin, "PATCH", srv.url + "/api/v1/users/otto", {"channels": ["sub"]})
    # sub's own key: made for otto, an officer enrolled before sub had one
    p = srv.cli("channel", "init", "otto")
    assert p.returncode == 0 and "channel 2: made the channel key" in p.stdout, p.stdout + p.stderr
    one = filed_memo(srv, s["dave"], "In main", "Body.\n")
    r = s["dave"].post(memo_url(srv), json={"title": "In sub", "body": "Body.\n",
                                            "channel": "sub"}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    two = r.json()["id"]
    for step, status in (("finalize", 200), ("signatures", 201), ("file", 200)):
        call(s["dave"], "POST", memo_url(srv, two, step), status=status)
    code = reset(srv, admin, "dave")
    srv.enrol("dave", code, "dave's new passphrase")
    d = srv.login("dave", "dave's new passphrase")
    fp = fingerprint(srv, d)
    # each channel's officers count their own channel's memos alone
    assert waiting(srv, s["anna"])["dave"]["to_reshare"] == 1
    assert waiting(srv, s["otto"])["dave"]["to_reshare"] == 1
    # whether the account is dave's is for his own channel's officers to say first: an officer
    # of another channel (one an administrator could make and enrol) cannot end the hold
    r = s["otto"].post(srv.url + "/api/v1/channel/resets/dave/confirm", json={"fingerprint": fp},
                       timeout=TIMEOUT)
    assert r.status_code == 403 and "its own channel" in r.text, r.text
    assert confirm(srv, s["anna"], "dave", fp).json()["reshared"] == 1
    # channel 1's done, the sub channel's waits: still listed for its officers, and for
    # channel 1's with nothing left of theirs
    assert waiting(srv, s["otto"])["dave"]["to_reshare"] == 1
    assert waiting(srv, s["anna"])["dave"]["to_reshare"] == 0
    assert confirm(srv, s["otto"], "dave", fp).json()["reshared"] == 1
    assert "dave" not in waiting(srv, s["anna"])
    assert get_memo(srv, d, one)["title"] == "In main"
    assert get_memo(srv, d, two)["title"] == "In sub"
