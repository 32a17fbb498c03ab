"""Issue 8, "Hardening": the authorization matrix.

Every route of the route table, read from the binary itself (`dissent routes --json`), is tried
by every caller: anonymous, and one account per role and relation to the memo (drafter,
co-signer who signed, invited who did not sign, invited who declined, a principal it was distributed to, a principal
it was not, an officer holding the channel key, an officer without it, an auditor, an admin, a
staff member with no relation). Each request carries the CSRF header and a plausible body, and
targets a memo in a state where the route's action is legal, so that authorization, not
validation, decides. Each is also sent with a malformed query (issue 15: a known parameter holding
a NUL, or an unknown one; the web interface's pages read their own and ignore it): after
authorization it is 422 naming the parameter, never a success that dropped it. The status (and
error code) of every cell, and of its malformed-query twin, is compared with the reviewed table
in authz_expected.txt, so that any change in access shows up as a diff; regenerate it
with DISSENT_AUTHZ_UPDATE=1 and review the diff.

Independently of that file, a model of the table's rules (roles, then the relation to the memo:
none is 404, another one is 403) predicts every denial: a 2xx the model denies fails, as does
any denial other than the predicted one. A caller who cannot see a memo gets exactly the answer
of a memo that does not exist; auditors and admins never get a 2xx on a content route; no
denial carries memo content. CSRF: every write route of the table refuses a request without
`X-Requested-With` or from another Origin, with no change of state.
"""
import difflib
import hashlib
import json
import os
import re
import subprocess
import time

import pytest
import requests

from conftest import BIN, COOKIE, PASSWORD, TIMEOUT, Server, add_users, session_token

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "authz_expected.txt")
MISSING = "0123456789abcdef01234567"
MARK = "Zq7Marker"  # in every title, body, comment and reply of the world's memos

# caller -> (username or None, roles)
CALLERS = {
    "anon": (None, ()),
    "drafter": ("dana", ("staff",)),
    "cosigner": ("colin", ("staff",)),
    "invited": ("ivy", ("staff",)),
    "declined": ("dex", ("staff",)),
    "principal": ("priya", ("principal",)),
    "principal_other": ("pablo", ("principal",)),
    "officer": ("olga", ("officer",)),
    "officer_nokey": ("otto", ("officer",)),
    "head": ("hana", ("officer", "head")),
    "auditor": ("audrey", ("auditor",)),
    "records": ("rhea", ("records",)),
    "admin": ("admin", ("admin",)),
    "outsider": ("sam", ("staff",)),
    # the officers, head and principal of a second channel (docs/channels.md): every memo of
    # the world is channel 1's, so to them each is another channel's, as to a stranger
    "officer_x": ("xena", ("officer",)),
    "head_x": ("xavi", ("officer", "head")),
    "principal_x": ("xiu", ("principal",)),
}
SECOND_CHANNEL = ("officer_x", "head_x", "principal_x")
# accounts the requests act on, never callers
HELPERS = {"extra": ["staff"], "lola": ["staff"], "zed": ["staff"], "pia": ["principal"],
           "ozzy": ["officer"], "kim": ["officer"]}

KINDS = ("draft", "open", "filed", "acked", "replied")


def relations(caller, kind):
    """The caller's relations (route-table names) to a world memo of `kind`."""
    filed = kind in ("filed", "acked", "replied")
    return {
        "drafter": {"drafter"},
        "cosigner": {"invited"},
        "invited": {"invited"},
        # declining leaves the memo: its key goes, and it is 404 to the decliner (issue 14)
        "declined": set(),
        "principal": {"principal"} if kind in ("acked", "replied") else set(),
        "officer": {"officer"} if filed else set(),
        "officer_nokey": {"officer"} if filed else set(),
        "head": {"officer"} if filed else set(),
    }.get(caller, set())


def predict(route, caller, kind):
    """The denial the table's rules give, or None when the caller passes them."""
    if "metrics" in route["flags"]:
        # a bearer token, not a session, whoever calls: the matrix's server sets no [metrics]
        # token, so there is nothing to scrape (test_witness.py checks it with one)
        return "404 not_found"
    if "public" in route["flags"]:
        return None
    user, roles = CALLERS[caller]
    if user is None:
        return "401 unauthorized"
    if route["roles"] != ["any"] and not set(roles) & set(route["roles"]):
        return "403 forbidden"
    if route["relations"]:
        rel = relations(caller, kind)
        if not rel:
            return "404 not_found"
        if not rel & set(route["relations"]):
            return "403 forbidden"
    return None


def is_content(route):
    p = route["pattern"]
    return bool(route["relations"]) or p.startswith("/api/v1/memos") or p == "/api/v1/deadlines"


def load_routes():
    out = subprocess.run([BIN, "routes", "--json"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["routes"]


class Recipe:
    """How to call one route: the memo kind it targets (None: no memo), a body and query, and
    what a success does to the world."""

    def __init__(self, kind=None, body=None, query=None, path=None, consumes=None,
                 fresh_session=False, relogin_after=False, prepare=None):
        self.kind = kind
        self.body = body              # dict, or callable(world, caller) -> dict
        self.query = query            # dict
        self.path = path              # callable(world) -> path for routes with other params
        self.consumes = consumes      # a 2xx spends the memo (default: writes on a memo)
        self.fresh_session = fresh_session  # the caller uses a second session (logout)
        self.relogin_after = relogin_after  # the request ends the caller's sessions
        self.prepare = prepare        # callable(world, caller, mid) -> extra headers


def if_match(world, caller, mid):
    if mid == MISSING:
        return {"If-Match": '"1"'}
    return {"If-Match": '"%d"' % world.get_memo(mid)["version"]}


def extend_body(world, caller):
    m = world.get_memo(world.current("acked"))
    return {"until": m["deadlines"]["reply"]["max"], "reason": "More time " + MARK}


def recovery_body(world, caller):
    return {"username": "lola", "recovery_key": world.lola_recovery, "new_password": PASSWORD}


def password_body(world, caller):
    pw = world.password(CALLERS[caller][0] or "")
    return {"current_password": pw, "new_password": pw}


def totp_enrol_body(world, caller):
    return {"password": world.password(CALLERS[caller][0] or "")}


def users_create_body(world, caller):
    world.seq += 1
    return {"username": "new%d" % world.seq, "roles": ["staff"]}


def enrol_body(world, caller):
    """An account's own enrolment, with a code made beforehand: public, so every caller may
    (200)."""
    name, code = world.pending.pop()
    return {"username": name, "code": code, "password": PASSWORD}


def future_day(world, ahead=60):
    """A working day some @ahead days ahead, another at each call (a closure of it moves
    nothing already late); clock stops take days far later than closures, so that no closure
    falls inside a running stop."""
    import datetime
    from conftest import is_working_day
    d = datetime.date.today() + datetime.timedelta(days=ahead)
    for _ in range(world.seq + 1):
        d += datetime.timedelta(days=1)
        while not is_working_day(d):
            d += datetime.timedelta(days=1)
    world.seq += 1
    return d.isoformat()


def closure_body(world, caller):
    return {"day": future_day(world), "reason": "Closed " + MARK}


def closure_path(world):
    """A closure made by the administrator, to be taken back."""
    r = world.ok("admin", "POST", "/api/v1/calendar/closures", closure_body(world, "admin"),
                 status=201)
    return "/api/v1/calendar/closures/%d" % r.json()["id"]


def stop_path(world):
    """A clock stop started by the administrator from a day ahead, to be ended."""
    r = world.ok("admin", "GET", "/api/v1/calendar").json()
    if r["clock_stopped"] is None:
        body = {"from": future_day(world, 2000), "reason": "Lapse " + MARK}
        r = {"clock_stopped": world.ok("admin", "POST", "/api/v1/calendar/stops", body,
                                       status=201).json()}
    return "/api/v1/calendar/stops/%d/end" % r["clock_stopped"]["id"]


def stop_end_body(world, caller):
    r = world.ok("admin", "GET", "/api/v1/calendar").json()
    return {"until": r["clock_stopped"]["from"]}


def channel_body(world, caller):
    world.seq += 1
    return {"slug": "c%d" % world.seq, "name": "Channel " + MARK}


def assign_caller(world, caller, mid):
    """The memo's case officer is the caller, when they can be (an officer holding the key)."""
    if caller in ("officer", "head") and mid != MISSING:
        world.raw("POST", "/api/v1/memos/%s/assignment" % mid, world.tokens["officer"],
                  {"username": CALLERS[caller][0], "reason": "Matrix"})
    return {}


def clear_prepare(world, caller, mid):
    """A draft by another case officer, whose clearance the caller is asked for (when the caller
    can be: an officer holding the key)."""
    if caller in ("officer", "head") and mid != MISSING:
        case = "head" if caller == "officer" else "officer"
        m = "/api/v1/memos/" + mid
        world.raw("POST", m + "/assignment", world.tokens["officer"],
                  {"username": CALLERS[case][0], "reason": "Matrix"})
        world.raw("PUT", m + "/reply-draft", world.tokens[case], {"body": "Draft " + MARK})
        world.raw("POST", m + "/reply-draft/clearance", world.tokens[case],
                  {"usernames": [CALLERS[caller][0]]})
    return {}


def att_path(kind, name, suffix=""):
    """The path of the world memo of `kind`'s file `name` (World.build() adds them)."""
    def path(world):
        mid = world.current(kind)
        aid = next(a["id"] for a in world.get_memo(mid)["attachments"] if a["name"] == name)
        return "/api/v1/memos/%s/attachments/%s%s" % (mid, aid, suffix)
    return path


def finish_files(world, caller, mid):
    """The draft's part.bin sent whole, so that it may be finalized (once; later calls are
    refused and change nothing)."""
    if mid != MISSING:
        m = "/api/v1/memos/" + mid
        for a in world.get_memo(mid)["attachments"]:
            if not a["complete"]:
                world.raw("PUT", m + "/attachments/%s?offset=%d" % (a["id"], a["received"]),
                          world.tokens["drafter"], b"\0" * (a["size"] - a["received"]))
    return {}


def hold_path(world):
    """A hold the records officer placed, to be lifted."""
    r = world.ok("records", "POST", "/api/v1/records/holds",
                 {"memo": world.current("open"), "reason": "Hold " + MARK}, status=201)
    return "/api/v1/records/holds/%d/lift" % r.json()["hold"]["id"]


def att_body(world, caller):
    world.seq += 1
    return {"name": "n%d.txt" % world.seq, "type": "text/plain", "size": 1,
            "sha256": hashlib.sha256(b"x").hexdigest()}


M = "/api/v1/memos/{id}"
RECIPES = {
    ("GET", "/healthz"): Recipe(),
    ("GET", "/readyz"): Recipe(),
    ("POST", "/api/v1/session"): Recipe(body={"username": "lola", "password": PASSWORD}),
    ("DELETE", "/api/v1/session"): Recipe(fresh_session=True),
    ("GET", "/api/v1/me"): Recipe(),
    ("PATCH", "/api/v1/me"): Recipe(body={"language": "fr"}),
    ("GET", "/api/v1/users"): Recipe(),
    ("POST", "/api/v1/users"): Recipe(body=users_create_body),
    ("PATCH", "/api/v1/users/{username}"): Recipe(
        path=lambda w: "/api/v1/users/zed", body={"display_name": "Zed Z."}),
    ("POST", "/api/v1/users/{username}/reset"): Recipe(
        path=lambda w: "/api/v1/users/zed/reset"),
    ("GET", "/api/v1/users/search"): Recipe(query={"q": "da"}),
    ("GET", "/api/v1/users/{username}/key"): Recipe(path=lambda w: "/api/v1/users/dana/key"),
    ("GET", "/api/v1/memos"): Recipe(),
    ("POST", "/api/v1/memos"): Recipe(body={"title": "New", "body": "Text.\n"}),
    ("GET", M): Recipe("acked"),
    ("PATCH", M): Recipe("draft", body={"title": "Edited " + MARK}, prepare=if_match,
                         consumes=False),
    ("DELETE", M): Recipe("draft", prepare=if_match),
    ("POST", M + "/finalize"): Recipe("draft", prepare=finish_files),
    ("POST", M + "/reopen"): Recipe("open", body={"reason": "Rewording " + MARK}),
    ("POST", M + "/file"): Recipe("open"),
    ("POST", M + "/withdraw"): Recipe("filed"),
    ("POST", M + "/invitations"): Recipe("draft", body={"usernames": ["extra"]}),
    ("POST", M + "/reshare"): Recipe("draft", body={"username": "dana"}, consumes=False),
    ("DELETE", M + "/invitations/me"): Recipe("open"),
    ("POST", M + "/signatures"): Recipe("open"),
    ("DELETE", M + "/signatures/me"): Recipe("open"),
    ("POST", M + "/acknowledge"): Recipe("filed"),
    ("POST", M + "/decline"): Recipe("filed", body={"reason": "Out of scope " + MARK,
                                                      "referral": "grievance"}),
    ("POST", M + "/distribution"): Recipe("acked", body={"usernames": ["pia"]}),
    ("POST", M + "/assignment"): Recipe("acked", body={"username": "olga"}),
    ("POST", M + "/extend"): Recipe("acked", body=extend_body),
    ("POST", M + "/reply"): Recipe("acked", body={"body": "Our answer " + MARK}),
    ("POST", M + "/interim"): Recipe("acked", body={"body": "Still looking " + MARK}),
    ("POST", M + "/close"): Recipe("replied"),
    # the officers' side of the reply (core/review.h); the world's channel sends replies without
    # the head's approval (tests/api/conftest.py), so submitting and deciding are refused after
    # authorization (409): tests/api/test_reply_approval.py has them succeed
    ("POST", M + "/notes"): Recipe("acked", body={"body": "A note " + MARK}, consumes=False),
    ("PUT", M + "/reply-draft"): Recipe("acked", body={"body": "Draft " + MARK},
                                        prepare=assign_caller, consumes=False),
    ("POST", M + "/reply-draft/clearance"): Recipe("acked", body={"usernames": ["kim"]},
                                                   prepare=assign_caller),
    ("POST", M + "/reply-draft/clear"): Recipe("acked", prepare=clear_prepare),
    ("POST", M + "/reply-draft/submit"): Recipe("acked", prepare=assign_caller),
    ("POST", M + "/reply-draft/return"): Recipe("acked", body={"reason": "Redo " + MARK}),
    ("POST", M + "/reply-draft/approve"): Recipe("acked", body={"version": 1,
                                                                "digest": "A" * 43 + "="}),
    ("POST", M + "/accept"): Recipe("replied"),
    ("POST", M + "/clarify"): Recipe("replied", body={"question": "What about X? " + MARK}),
    # a new draft each time: the closed memo itself is not spent
    ("POST", M + "/addendum"): Recipe("closed", body={"body": "New facts " + MARK},
                                      consumes=False),
    # a draft's files (api/attach.c): each world memo carries annex.txt, a draft also part.bin,
    # whose first part only the drafter may send
    ("POST", M + "/attachments"): Recipe("draft", body=att_body, consumes=False),
    ("GET", M + "/attachments/{att}"): Recipe("acked", path=att_path("acked", "annex.txt")),
    ("PUT", M + "/attachments/{att}"): Recipe("draft", path=att_path("draft", "part.bin"),
                                              body=b"\0" * 65536, query={"offset": "0"}),
    ("DELETE", M + "/attachments/{att}"): Recipe("draft", path=att_path("draft", "annex.txt")),
    ("GET", M + "/attachments/{att}/content"): Recipe(
        "acked", path=att_path("acked", "annex.txt", "/content")),
    ("GET", M + "/record.pdf"): Recipe("acked"),
    ("GET", M + "/comments"): Recipe("acked"),
    ("POST", M + "/comments"): Recipe("acked", body={"body": "A comment " + MARK},
                                      consumes=False),
    ("GET", M + "/bundle"): Recipe("acked"),
    ("GET", "/api/v1/deadlines"): Recipe(),
    ("GET", M + "/audit"): Recipe("acked"),
    ("GET", M + "/receipt"): Recipe("acked"),
    ("GET", "/api/v1/stats"): Recipe(),
    ("GET", "/log/checkpoint"): Recipe(),
    ("GET", "/public"): Recipe(),
    ("GET", "/metrics"): Recipe(),
    ("GET", "/log/{*path}"): Recipe(path=lambda w: "/log/tile/0/000.p/1"),
    ("GET", "/api/v1/channel/key"): Recipe(),
    ("GET", "/api/v1/channel"): Recipe(),
    ("POST", "/api/v1/channel/grants"): Recipe(body={"username": "ozzy"}),
    ("GET", "/api/v1/channel/resets"): Recipe(),
    ("POST", "/api/v1/channel/resets/{username}/confirm"): Recipe(
        path=lambda w: "/api/v1/channel/resets/zed/confirm",
        body={"fingerprint": "00000000-00000000"}),
    ("POST", "/api/v1/me/password"): Recipe(body=password_body, relogin_after=True),
    # TOTP: enrolment starts (200) and its QR code shows; a wrong first code, and turning off
    # or renewing codes without a factor on, are refused by the handler (422, 409), not by
    # authorization
    ("POST", "/api/v1/me/totp"): Recipe(body=totp_enrol_body),
    ("GET", "/api/v1/me/totp/qr.svg"): Recipe(),
    ("POST", "/api/v1/me/totp/confirm"): Recipe(body={"code": "000000"}),
    ("POST", "/api/v1/me/totp/recovery-codes"): Recipe(body={"code": "000000"}),
    ("DELETE", "/api/v1/me/totp"): Recipe(body={"code": "000000"}),
    # passkeys: options for anyone signed in; a registration without a real authenticator's
    # answer is refused by the handler (422), a deletion of a passkey one does not have is 404
    ("POST", "/api/v1/me/passkeys/options"): Recipe(),
    ("POST", "/api/v1/me/passkeys"): Recipe(body=lambda w, c: {
        "name": "Key", "password": w.password(CALLERS[c][0] or ""),
        "client_data_json": "e30", "attestation_object": "oA"}),
    ("GET", "/api/v1/me/passkeys"): Recipe(),
    ("DELETE", "/api/v1/me/passkeys/{id}"): Recipe(
        path=lambda w: "/api/v1/me/passkeys/999999",
        body=lambda w, c: {"password": w.password(CALLERS[c][0] or "")}),
    ("POST", "/api/v1/session/passkey"): Recipe(),
    # single sign-on is off in this world: start answers 404 sso_off, the callback sends the
    # browser back to the web interface (test_oidc.py runs them against a provider)
    ("GET", "/api/v1/sso"): Recipe(),
    ("POST", "/api/v1/sso/start"): Recipe(),
    ("GET", "/api/v1/sso/callback"): Recipe(query={"state": "x", "code": "y"}),
    ("POST", "/api/v1/recovery"): Recipe(body=recovery_body),
    ("POST", "/api/v1/enrol"): Recipe(body=enrol_body),
    ("POST", "/api/v1/preview"): Recipe(body={"body": "*preview*"}),
    ("GET", "/api/v1/outbox"): Recipe(),
    ("GET", "/api/v1/channels"): Recipe(),
    ("POST", "/api/v1/channels"): Recipe(body=channel_body),
    ("PATCH", "/api/v1/channels/{slug}"): Recipe(path=lambda world: "/api/v1/channels/main",
                                                  body={"name": "Main " + MARK}),
    ("GET", "/api/v1/calendar"): Recipe(),
    ("POST", "/api/v1/calendar/closures"): Recipe(body=closure_body),
    ("DELETE", "/api/v1/calendar/closures/{id}"): Recipe(path=closure_path),
    # a stop may start only after every earlier one: the next one starts after the last's end
    ("POST", "/api/v1/calendar/stops"): Recipe(
        body=lambda w, c: {"from": future_day(w, 2000), "reason": "Lapse " + MARK}),
    ("POST", "/api/v1/calendar/stops/{id}/end"): Recipe(path=stop_path, body=stop_end_body),
    # the records officer's: a hold on a draft memo of the world (a new one each time), lifted
    ("GET", "/api/v1/records/holds"): Recipe(),
    ("POST", "/api/v1/records/holds"): Recipe(
        body=lambda w, c: {"memo": w.current("draft"), "reason": "Case " + MARK}),
    ("POST", "/api/v1/records/holds/{id}/lift"): Recipe(path=hold_path,
                                                       body={"reason": "Done " + MARK}),
    ("GET", "/api/v1/records/schedule"): Recipe(),
    ("GET", "/api/v1/me/notifications"): Recipe(),
    ("PATCH", "/api/v1/me/notifications"): Recipe(body={}),
    ("GET", "/"): Recipe(),
    ("GET", "/assets/{*path}"): Recipe(path=lambda w: w.asset),
}


def result_of(r):
    """The class of a response: "200", or "403 no_key" for an error with a JSON code."""
    if 200 <= r.status_code < 400:
        return str(r.status_code)
    try:
        return "%d %s" % (r.status_code, r.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return str(r.status_code)


class World:
    """One server with the callers, helper accounts and memos in every state needed."""

    def __init__(self, srv):
        self.srv = srv
        self.http = requests.Session()
        self.seq = 0
        self.pool = {}       # kind -> memo id not yet spent
        self.all_memos = set()
        admin = srv.admin()
        self.tokens = {"admin": session_token_of(admin)}
        staff = [u for c, (u, r) in CALLERS.items() if r == ("staff",)] + ["extra", "lola",
                                                                             "zed"]
        created = add_users(srv, admin, staff, ["staff"])
        # accounts awaiting enrolment, each with its one-time code (POST /api/v1/enrol)
        self.pending = []
        for i in range(40):
            r = admin.post(srv.url + "/api/v1/users", json={"username": "enr%d" % i,
                                                             "roles": ["staff"]},
                           timeout=TIMEOUT)
            assert r.status_code == 201, r.text
            self.pending.append(("enr%d" % i, r.json()["enrolment"]["code"]))
        for c, (u, roles) in CALLERS.items():
            if u and roles != ("staff",) and u != "admin":
                srv.add_user(admin, u, list(roles), password=PASSWORD)
        for u in ("pia", "ozzy", "kim"):
            srv.add_user(admin, u, HELPERS[u], password=PASSWORD)
        # the second channel, and its people's roles there alone
        r = admin.post(srv.url + "/api/v1/channels", json={"slug": "x", "name": "Second"},
                       timeout=TIMEOUT)
        assert r.status_code == 201, r.text
        for c in SECOND_CHANNEL:
            r = admin.patch(srv.url + "/api/v1/users/" + CALLERS[c][0], json={"channels": ["x"]},
                            timeout=TIMEOUT)
            assert r.status_code == 200 and r.json()["channels"] == [2], r.text
        # olga signs in first: she creates, and so holds, the channel key; otto never gets it
        for c in ("officer",) + tuple(c for c in CALLERS if c not in ("officer", "admin",
                                                                       "anon")):
            self.tokens[c] = self.login(CALLERS[c][0])
        # the head and kim (asked to clear replies) hold the channel key too
        for u in ("hana", "kim"):
            self.ok("officer", "POST", "/api/v1/channel/grants", {"username": u}, status=201)
        # the second channel's officers hold its own key (made on the server for xena, who
        # enrolled before the channel was hers; she grants it to its head): their channel, not
        # a missing key, is what keeps them from the first channel's memos
        p = srv.cli("channel", "init", "xena")
        assert p.returncode == 0 and "channel 2: made the channel key" in p.stdout, p.stderr
        self.ok("officer_x", "POST", "/api/v1/channel/grants", {"username": "xavi"}, status=201)
        # the recovery key was shown once, at enrolment
        self.lola_recovery = next(u["recovery_key"] for u in created if u["username"] == "lola")
        self.asset = re.search(r'(/assets/[^"\']+)', self.raw("GET", "/", None).text).group(1)
        for kind in KINDS:
            self.current(kind)

    def password(self, username):
        return self.srv.admin_password if username == "admin" else PASSWORD

    def login(self, username):
        r = self.raw("POST", "/api/v1/session", None,
                     {"username": username, "password": self.password(username)})
        assert r.status_code == 200, (username, r.text)
        return session_token(r)

    def raw(self, method, path, token, body=None, headers=None, csrf=True, query=None):
        """One request with an explicit cookie (never the client's jar) and CSRF header."""
        h = {}
        if csrf:
            h["X-Requested-With"] = "dissent"
        if token:
            h["Cookie"] = "%s=%s" % (COOKIE, token)
        h.update(headers or {})
        if isinstance(body, bytes):  # a file's part
            h.setdefault("Content-Type", "application/octet-stream")
            r = self.http.request(method, self.srv.url + path, data=body, headers=h,
                                  params=query, timeout=TIMEOUT)
        else:
            r = self.http.request(method, self.srv.url + path, json=body, headers=h,
                                  params=query, timeout=TIMEOUT)
        self.http.cookies.clear()
        return r

    def ok(self, who, method, path, body=None, status=200):
        r = self.raw(method, path, self.tokens[who], body)
        assert r.status_code == status, (who, method, path, r.status_code, r.text)
        return r

    def get_memo(self, mid):
        """The memo as its drafter sees it."""
        return self.ok("drafter", "GET", "/api/v1/memos/" + mid).json()

    def build(self, kind):
        """A fresh memo of `kind`: drafted by dana, colin, ivy and dex invited, dex declined,
        colin signed once open, filed, acknowledged by olga and distributed to priya, replied."""
        m = "/api/v1/memos"
        mid = self.ok("drafter", "POST", m, {"title": "Memo " + MARK, "body": MARK + "\n"},
                      201).json()["id"]
        m += "/" + mid
        self.ok("drafter", "POST", m + "/invitations", {"usernames": ["colin", "ivy", "dex"]})
        self.ok("declined", "DELETE", m + "/invitations/me", status=204)
        self.ok("drafter", "POST", m + "/comments", {"body": "Drafter " + MARK}, 201)
        # a file (complete: "x"), and on a draft one still to be sent (two chunks and a byte)
        for name, size in (("annex.txt", 1),) + ((("part.bin", 131073),) if kind == "draft"
                                                  else ()):
            digest = hashlib.sha256(b"x" if size == 1 else b"\0" * size).hexdigest()
            a = self.ok("drafter", "POST", m + "/attachments", {
                "name": name, "type": "text/plain", "size": size, "sha256": digest}, 201).json()
            if size == 1:
                r = self.raw("PUT", m + "/attachments/%s?offset=0" % a["id"],
                             self.tokens["drafter"], b"x")
                assert r.status_code == 200, r.text
        if kind != "draft":
            self.ok("drafter", "POST", m + "/finalize")
            self.ok("drafter", "POST", m + "/signatures", status=201)
            self.ok("cosigner", "POST", m + "/signatures", status=201)
        if kind in ("filed", "acked", "replied", "closed"):
            self.ok("drafter", "POST", m + "/file")
        if kind in ("acked", "replied", "closed"):
            self.ok("officer", "POST", m + "/acknowledge")
            self.ok("officer", "POST", m + "/distribution", {"usernames": ["priya"]})
        if kind in ("replied", "closed"):
            self.ok("officer", "POST", m + "/reply", {"body": "Reply " + MARK})
        if kind == "closed":
            self.ok("drafter", "POST", m + "/accept")
        self.all_memos.add(mid)
        return mid

    def receipt_ready(self, mid):
        """Wait for the scheduled checkpoint that covers a filing (a second, in tests)."""
        end = time.time() + 5
        while time.time() < end:
            r = self.raw("GET", "/api/v1/memos/%s/receipt" % mid, self.tokens["drafter"])
            if r.status_code != 409 or r.json()["error"]["code"] != "receipt_pending":
                return
            time.sleep(0.2)

    def current(self, kind):
        if kind not in self.pool:
            self.pool[kind] = self.build(kind)
        return self.pool[kind]

    def spend(self, kind):
        self.pool.pop(kind, None)

    def request(self, route, caller, mid=None, csrf=True, headers=None, malformed=False,
                prepare=True):
        """Send the route's request as `caller`; returns (response, memo id, recipe). With
        `malformed`, its query is spoiled (bad_query()) and nothing is expected to change."""
        rec = RECIPES[(route["method"], route["pattern"])]
        token = self.tokens.get(caller)
        if rec.fresh_session and token:
            token = self.login(CALLERS[caller][0])
        if rec.kind and mid is None:
            mid = self.current(rec.kind)
        if route["pattern"].endswith("/receipt") and mid and rec.kind != "draft":
            self.receipt_ready(mid)
        if rec.path:
            path = rec.path(self)
        else:
            path = route["pattern"].replace("{id}", mid or "")
        body = rec.body(self, caller) if callable(rec.body) else rec.body
        h = dict(headers or {})
        if rec.prepare and mid and prepare:
            h.update(rec.prepare(self, caller, mid))
        query = rec.query
        if malformed:
            path, query = path + "?" + bad_query(route, rec), None
        r = self.raw(route["method"], path, token, body, headers=h, csrf=csrf, query=query)
        if malformed:
            return r, mid, rec
        if rec.relogin_after and token and r.status_code < 300:
            self.tokens[caller] = self.login(CALLERS[caller][0])
        if rec.kind and 200 <= r.status_code < 300:
            consumes = rec.consumes if rec.consumes is not None else route["method"] != "GET"
            if consumes and mid == self.pool.get(rec.kind):
                self.spend(rec.kind)
        if rec.body is recovery_body and r.status_code == 200:
            self.lola_recovery = r.json()["recovery_key"]
        return r, mid, rec


def bad_query(route, rec):
    """The route's query, spoiled: its first parameter holding a NUL (%00: a bad escape such as
    %zz, requests would quote as %25zz), or an unknown one."""
    pairs = ["%s=%s" % (k, requests.utils.quote(str(v))) for k, v in (rec.query or {}).items()]
    keys = [k for k in route["query"] if k != "*"]
    if keys:
        pairs = [p for p in pairs if not p.startswith(keys[0] + "=")] + [keys[0] + "=%00"]
    else:
        pairs.append("zz=1")
    return "&".join(pairs)


def session_token_of(s):
    return s.cookies.get(COOKIE)


@pytest.fixture(scope="module")
def world():
    srv = Server(config={"tlog": {"public": "false"}}, workers=2)
    try:
        yield World(srv)
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def expected_line(route, kind, caller, result):
    return "%-6s %-34s %-7s %-15s %s" % (route["method"], route["pattern"], kind or "-", caller,
                                         result)


def read_expected():
    lines = {}
    with open(EXPECTED) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(None, 4)
            assert len(parts) == 5, "bad line in %s: %r" % (EXPECTED, line)
            lines[(parts[0], parts[1], parts[3])] = line
    return lines


def test_matrix(world):
    routes = load_routes()
    keys = [(r["method"], r["pattern"]) for r in routes]
    missing = [k for k in keys if k not in RECIPES]
    assert not missing, "routes without a recipe in test_authz_matrix.py: %s" % missing
    stale = [k for k in RECIPES if k not in keys]
    assert not stale, "recipes for routes the binary no longer has: %s" % stale

    got, failures, missing_answers = [], [], {}
    for route in routes:
        rec = RECIPES[(route["method"], route["pattern"])]
        for caller in CALLERS:
            bad, _, _ = world.request(route, caller, malformed=True)
            r, mid, _ = world.request(route, caller)
            res, bad_res = result_of(r), result_of(bad)
            got.append(expected_line(route, rec.kind, caller, res + " ; ?bad " + bad_res))
            where = "%s %s as %s on a %s memo" % (route["method"], route["pattern"], caller,
                                                  rec.kind)
            if "*" in route["query"]:
                if bad_res != res:
                    failures.append("%s: a query changed the page's answer: %s" % (where, bad_res))
            elif 200 <= bad.status_code < 300:
                failures.append("UNEXPECTED %d with a malformed query: %s" % (bad.status_code,
                                                                            where))
            elif 200 <= r.status_code < 300 and bad_res != "422 invalid_field":
                failures.append("%s: a malformed query got %s, not 422" % (where, bad_res))
            elif 200 <= r.status_code < 300:
                want_field = (route["query"] or ["zz"])[0]
                if bad.json()["error"].get("field") != want_field:
                    failures.append("%s: the 422 names %r, not %r" % (
                        where, bad.json()["error"].get("field"), want_field))
            want = predict(route, caller, rec.kind)
            ok2xx = 200 <= r.status_code < 300
            if want is not None and ok2xx:
                failures.append("UNEXPECTED %d: %s (the table denies: %s)" % (
                    r.status_code, where, want))
            elif want is not None and res != want:
                failures.append("%s: want %s, got %s: %s" % (where, want, res, r.text[:200]))
            elif want is None and res in ("401 unauthorized", "404 not_found",
                                          "403 forbidden", "403 csrf"):
                failures.append("%s: the table allows it, got %s: %s" % (where, res,
                                                                        r.text[:200]))
            if caller in ("auditor", "admin", "records") and is_content(route) and ok2xx:
                failures.append("UNEXPECTED %d on a content route: %s" % (r.status_code, where))
            if not ok2xx and MARK in r.text:
                failures.append("%s: the denial carries memo content: %s" % (where, r.text))
            if rec.kind and not relations(caller, rec.kind):
                # no relation: exactly the answer of a memo that does not exist (404, or the
                # 401 or 403 that comes before looking at the memo)
                miss = missing_answers.get((route["method"], route["pattern"], caller))
                if miss is None:
                    m, _, _ = world.request(route, caller, mid=MISSING)
                    miss = (m.status_code, m.json())
                    missing_answers[(route["method"], route["pattern"], caller)] = miss
                if (r.status_code, r.json()) != miss:
                    failures.append("%s: 404 %r differs from a missing memo's %r" % (
                        where, r.json(), miss))
                if mid in r.text:
                    failures.append("%s: the answer names the memo" % where)

    cells = len(got)
    print("\nauthz matrix: %d routes x %d callers = %d cells" % (len(routes), len(CALLERS), cells))
    assert cells == len(routes) * len(CALLERS)

    header = [
        "# The authorization matrix: every route of `dissent routes` x every caller, the memo",
        "# state the request targets, and the answer (status, and the error code for errors).",
        "# Written by tests/api/test_authz_matrix.py with DISSENT_AUTHZ_UPDATE=1; review diffs.",
        "# Callers: " + ", ".join("%s=%s" % (c, "+".join(r) or "none")
                                  for c, (u, r) in CALLERS.items()),
        "#",
        "# The answer is followed by \"; ?bad\" and the answer with a malformed query.",
        "# method pattern                          memo    caller          answer",
    ]
    text = "\n".join(header + got) + "\n"
    if os.environ.get("DISSENT_AUTHZ_UPDATE"):
        with open(EXPECTED, "w") as f:
            f.write(text)
    assert not failures, "\n".join(failures)
    with open(EXPECTED) as f:
        want_text = f.read()
    if want_text != text:
        diff = "".join(difflib.unified_diff(want_text.splitlines(True), text.splitlines(True),
                                            EXPECTED, "this run"))
        pytest.fail("the authorization matrix changed (review, then regenerate with "
                    "DISSENT_AUTHZ_UPDATE=1):\n" + diff)


# ---- CSRF on every write route of the table ----

def snapshot(world, mid):
    """What a refused write must not change: the memo (as its officer or drafter sees it,
    without the read-only parts), its comments, the accounts, and the grant helper's channel
    access."""
    out = {}
    if mid:
        who = "officer" if world.raw("GET", "/api/v1/memos/" + mid,
                                     world.tokens["officer"]).status_code == 200 else "drafter"
        m = world.ok(who, "GET", "/api/v1/memos/" + mid).json()
        out["memo"] = {k: m.get(k) for k in ("state", "version", "signer_count", "title",
                                              "body", "invitations", "distributed_to",
                                              "signers", "reply", "deadlines", "internal")}
        out["comments"] = world.ok(who, "GET", "/api/v1/memos/%s/comments" % mid).json()
    users = world.ok("admin", "GET", "/api/v1/users").json()
    out["users"] = [(u["username"], u["version"], u["disabled"]) for u in users["users"]]
    return out


def test_csrf_on_every_write_route(world):
    routes = [r for r in load_routes() if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(routes) >= 20, routes
    origin = {"Origin": "http://evil.example"}
    for route in routes:
        rec = RECIPES[(route["method"], route["pattern"])]
        # a caller the table lets through, so that only the CSRF rule can refuse
        caller = next(c for c in list(CALLERS)[1:] + ["anon"]
                      if predict(route, c, rec.kind) is None and c != "officer_nokey")
        mid = world.current(rec.kind) if rec.kind else None
        if rec.prepare and mid:  # once, before: the refused requests below skip it
            rec.prepare(world, caller, mid)
        before = snapshot(world, mid)
        token_before = world.tokens.get(caller)
        for kind, csrf, headers in (("no header", False, None), ("other origin", True, origin),
                                    ("both", False, origin)):
            r, _, _ = world.request(route, caller, mid=mid, csrf=csrf, headers=headers,
                                    prepare=False)
            assert r.status_code == 403, (kind, route, caller, r.status_code, r.text)
            assert r.json()["error"]["code"] == "csrf", (kind, route, r.text)
            assert "Set-Cookie" not in r.headers, (kind, route)
            assert MARK not in r.text
        assert snapshot(world, mid) == before, ("state changed", route)
        if token_before:
            me = world.raw("GET", "/api/v1/me", token_before)
            assert me.status_code == 200, ("the session ended", route, me.text)
        # and the same request with the header passes the CSRF rule
        r, _, _ = world.request(route, caller, mid=mid)
        assert result_of(r) != "403 csrf", (route, r.text)


# ---- other users' objects ----

def test_other_users_memos_are_indistinguishable_from_missing_ones(world):
    """An outsider learns nothing from a memo id: every memo route, every state, answers as
    for a memo that does not exist, and lists never show it."""
    routes = [r for r in load_routes() if r["relations"]]
    for caller in ("outsider", "principal_other"):
        for kind in KINDS:
            mid = world.current(kind)
            for route in routes:
                if predict(route, caller, kind) != "404 not_found":
                    continue
                r, _, _ = world.request(route, caller, mid=mid)
                m, _, _ = world.request(route, caller, mid=MISSING)
                assert (r.status_code, r.json()) == (m.status_code, m.json()), (caller, kind,
                                                                                route)
                assert mid not in r.text and MARK not in r.text
        listed = world.ok(caller, "GET", "/api/v1/memos").json()["memos"]
        assert not {m["id"] for m in listed} & world.all_memos, caller
        assert MARK not in json.dumps(listed)


def test_list_cursor_does_not_reveal_other_users_memos(world):
    """GET /api/v1/memos?after=ID answers the same for a memo the caller cannot see as for
    one that does not exist (else it would confirm the id, and order the caller's memos
    against it)."""
    mid = world.current("draft")
    for caller in ("outsider", "principal_other", "officer"):
        seen = world.raw("GET", "/api/v1/memos", world.tokens[caller],
                         query={"after": mid})
        missing = world.raw("GET", "/api/v1/memos", world.tokens[caller],
                            query={"after": MISSING})
        assert (seen.status_code, seen.json()) == (missing.status_code, missing.json()), (
            caller, seen.text, missing.text)
    # the drafter's own memo is a valid cursor
    r = world.raw("GET", "/api/v1/memos", world.tokens["drafter"], query={"after": mid})
    assert r.status_code == 200, r.text


def test_deadlines_show_no_content_to_an_officer_without_the_key(world):
    world.current("filed")
    r = world.ok("officer_nokey", "GET", "/api/v1/deadlines")
    assert MARK not in r.text
    body = r.json()
    items = body["due"] + body["overdue"]
    assert items and all(m["title"] is None for m in items), body
    assert MARK in world.ok("officer", "GET", "/api/v1/deadlines").text


def test_routes_subcommand_text_matches_json():
    routes = load_routes()
    out = subprocess.run([BIN, "routes"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(routes)
    for line, r in zip(lines, routes):
        fields = line.split()
        assert fields[:2] == [r["method"], r["pattern"]], line
        assert fields[2] == "roles=" + ",".join(r["roles"]), line
        assert fields[3] == "flags=" + (",".join(r["flags"]) or "-"), line
        assert fields[4] == "relations=" + (",".join(r["relations"]) or "-"), line
        assert fields[5] == "query=" + (",".join(r["query"]) or "-"), line
    bad = subprocess.run([BIN, "routes", "--bogus"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "usage" in bad.stderr
