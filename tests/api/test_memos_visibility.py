"""Who sees which memo: per role and per relation (DESIGN.md, "Roles" and "Memo life cycle").

- staff see the memos they drafted or were invited to, nothing else (404);
- principals see only memos distributed to them;
- officers see every filed memo (whatever came after) but never drafts or open memos;
- auditors and admins get 403 on every content route, whatever the memo;
- an invisible memo and a memo that does not exist give the same 404 body;
- only staff draft and sign;
- with show_signer_names false, principals see the count but no names; officers see names;
- the comment thread is shared by drafter, co-signers, officers and principals.
"""
import pytest

from conftest import (TIMEOUT, Server, add_users, assert_error, login_all, memo_url)

MISSING = "0123456789abcdef01234567"
CONTENT_ROUTES = [("GET", ""), ("GET", "comments"), ("POST", "comments"), ("GET", "bundle")]


class Cast:
    def __init__(self, srv):
        self.srv = srv
        admin = srv.admin()
        add_users(srv, admin, ["dana", "colin", "dora", "oscar"], ["staff"])
        srv.add_user(admin, "olga", ["officer"])
        add_users(srv, admin, ["priya", "pablo"], ["principal"])
        srv.add_user(admin, "audrey", ["auditor"])
        self.s = login_all(srv, ["dana", "colin", "dora", "oscar", "olga", "priya", "pablo",
                                 "audrey"])
        self.s["admin"] = admin

    def url(self, mid=None, suffix=""):
        return memo_url(self.srv, mid, suffix)

    def ok(self, who, method, mid, suffix="", json=None, status=200):
        r = self.s[who].request(method, self.url(mid, suffix), json=json, timeout=TIMEOUT)
        assert r.status_code == status, (who, method, suffix, r.text)
        return r

    def memo(self, drafter, state, cosigners=(), show_names=True, principals=()):
        r = self.s[drafter].post(self.url(), timeout=TIMEOUT, json={
            "title": "A memo, %s" % state, "body": "Body.\n",
            "show_signer_names": show_names})
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        if cosigners:
            self.ok(drafter, "POST", mid, "invitations", {"usernames": list(cosigners)})
        if state == "draft":
            return mid
        self.ok(drafter, "POST", mid, "finalize")
        self.ok(drafter, "POST", mid, "signatures", status=201)
        for c in cosigners:
            self.ok(c, "POST", mid, "signatures", status=201)
        if state == "open":
            return mid
        self.ok(drafter, "POST", mid, "file")
        if state == "filed":
            return mid
        self.ok("olga", "POST", mid, "acknowledge")
        if principals:
            self.ok("olga", "POST", mid, "distribution", {"usernames": list(principals)})
        if state == "replied":
            self.ok("olga", "POST", mid, "reply", {"body": "Our answer."})
        return mid


@pytest.fixture(scope="module")
def cast():
    srv = Server()
    try:
        c = Cast(srv)
        c.m = {
            "draft": c.memo("dana", "draft", ["colin"]),
            "open": c.memo("dana", "open", ["colin"]),
            "filed": c.memo("dana", "filed", ["colin"]),
            "acked": c.memo("dana", "acknowledged", ["colin"], principals=["priya"]),
            "hidden": c.memo("dana", "replied", ["colin"], show_names=False,
                             principals=["priya"]),
            "dora_draft": c.memo("dora", "draft"),
            "dora_filed": c.memo("dora", "filed"),
        }
        c.missing = c.s["dana"].get(c.url(MISSING), timeout=TIMEOUT)
        yield c
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def listed(cast, who, **params):
    r = cast.s[who].get(cast.url(), params=params, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return {m["id"] for m in r.json()["memos"]}


def ids(cast, *keys):
    return {cast.m[k] for k in keys}


def assert_invisible(cast, who, mid):
    """`who` gets exactly the answer of a memo that does not exist, on every content route:
    404 (principals may not fetch bundles at all: 403 for every memo, existing or not)."""
    assert_error(cast.missing, 404, "not_found")
    for method, suffix in CONTENT_ROUTES:
        body = {"body": "hello"} if method == "POST" else None
        r = cast.s[who].request(method, cast.url(mid, suffix), json=body, timeout=TIMEOUT)
        if suffix == "bundle" and who in ("priya", "pablo"):
            assert_error(r, 403, "forbidden")
        else:
            assert_error(r, 404, "not_found")
        if suffix == "":
            assert r.json() == cast.missing.json(), (who, mid)
        miss = cast.s[who].request(method, cast.url(MISSING, suffix), json=body, timeout=TIMEOUT)
        assert (r.status_code, r.json()) == (miss.status_code, miss.json()), (who, method, suffix)


# ---- staff ----

def test_staff_list_exactly_what_they_drafted_or_were_invited_to(cast):
    mine = ids(cast, "draft", "open", "filed", "acked", "hidden")
    assert listed(cast, "dana") == mine
    assert listed(cast, "colin") == mine  # invited to each, drafts included
    assert listed(cast, "dora") == ids(cast, "dora_draft", "dora_filed")
    assert listed(cast, "oscar") == set()
    assert listed(cast, "dana", role="drafter") == mine
    assert listed(cast, "dana", role="invited") == set()
    assert listed(cast, "colin", role="invited") == mine
    assert listed(cast, "colin", state="draft") == ids(cast, "draft")


def test_staff_see_their_memos(cast):
    for who in ("dana", "colin"):
        for key in ("draft", "open", "filed", "acked", "hidden"):
            r = cast.s[who].get(cast.url(cast.m[key]), timeout=TIMEOUT)
            assert r.status_code == 200, (who, key, r.text)
    r = cast.s["colin"].get(cast.url(cast.m["draft"]), timeout=TIMEOUT)
    assert r.json()["relation"] == {"drafter": False, "invited": True, "principal": False,
                                    "officer": False, "recused": False}


def test_staff_get_404_for_others_memos(cast):
    for key in ("draft", "open", "filed", "acked", "hidden"):
        assert_invisible(cast, "oscar", cast.m[key])
        assert_invisible(cast, "dora", cast.m[key])
    for key in ("dora_draft", "dora_filed"):
        assert_invisible(cast, "dana", cast.m[key])
        assert_invisible(cast, "colin", cast.m[key])


def test_malformed_id_is_the_same_404(cast):
    for bad in ("xyz", "0123456789ABCDEF01234567", "0" * 25):
        r = cast.s["dana"].get(cast.url(bad), timeout=TIMEOUT)
        assert_error(r, 404, "not_found")
        assert r.json() == cast.missing.json()


def test_visible_memo_with_the_wrong_relation_is_403(cast):
    """A co-signer sees the memo but may not act as its drafter."""
    mid = cast.m["draft"]
    r = cast.s["colin"].post(cast.url(mid, "finalize"), timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    r = cast.s["colin"].post(cast.url(mid, "invitations"), json={"usernames": ["oscar"]},
                             timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    r = cast.s["colin"].patch(cast.url(mid), json={"title": "mine now"},
                              headers={"If-Match": '"1"'}, timeout=TIMEOUT)
    assert r.status_code in (403,), r.text


# ---- principals ----

def test_principals_see_only_memos_distributed_to_them(cast):
    assert listed(cast, "priya") == ids(cast, "acked", "hidden")
    assert listed(cast, "pablo") == set()
    for key in ("acked", "hidden"):
        r = cast.s["priya"].get(cast.url(cast.m[key]), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["relation"]["principal"] is True
    for key in ("draft", "open", "filed", "dora_draft", "dora_filed"):
        assert_invisible(cast, "priya", cast.m[key])
    for key in cast.m:
        assert_invisible(cast, "pablo", cast.m[key])


# ---- officers ----

def test_officers_see_every_filed_memo_but_no_draft_or_open_one(cast):
    assert listed(cast, "olga") == ids(cast, "filed", "acked", "hidden", "dora_filed")
    assert listed(cast, "olga", state="draft") == set()
    assert listed(cast, "olga", state="open") == set()
    for key in ("filed", "acked", "hidden", "dora_filed"):
        r = cast.s["olga"].get(cast.url(cast.m[key]), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert r.json()["relation"]["officer"] is True
    for key in ("draft", "open", "dora_draft"):
        assert_invisible(cast, "olga", cast.m[key])


# ---- auditors and admins ----

@pytest.mark.parametrize("who", ["audrey", "admin"])
def test_auditors_and_admins_get_403_on_content(cast, who):
    s = cast.s[who]
    assert_error(s.get(cast.url(), timeout=TIMEOUT), 403, "forbidden")
    for mid in list(cast.m.values()) + [MISSING]:
        for method, suffix in CONTENT_ROUTES:
            body = {"body": "hello"} if method == "POST" else None
            r = s.request(method, cast.url(mid, suffix), json=body, timeout=TIMEOUT)
            assert_error(r, 403, "forbidden")
    assert_error(s.post(cast.url(), json={"title": "t", "body": "b"}, timeout=TIMEOUT), 403,
                 "forbidden")


# ---- who may draft and sign ----

@pytest.mark.parametrize("who", ["olga", "priya", "audrey", "admin"])
def test_only_staff_may_draft(cast, who):
    r = cast.s[who].post(cast.url(), json={"title": "t", "body": "b"}, timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")


def test_only_staff_may_sign(cast):
    r = cast.s["olga"].post(cast.url(cast.m["filed"], "signatures"), timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    r = cast.s["priya"].post(cast.url(cast.m["acked"], "signatures"), timeout=TIMEOUT)
    assert_error(r, 403, "forbidden")
    # a staff member who is not invited cannot even see the open memo
    assert_error(cast.s["oscar"].post(cast.url(cast.m["open"], "signatures"), timeout=TIMEOUT),
                 404, "not_found")


# ---- signer names ----

def test_hidden_names_principal_sees_only_the_count(cast):
    mid = cast.m["hidden"]
    r = cast.s["priya"].get(cast.url(mid), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["show_signer_names"] is False
    assert m["signers"] is None and m["drafter"] is None
    assert m["signer_count"] == 2
    assert all("by" not in e for e in m["timeline"]), m["timeline"]
    for name in ("dana", "colin"):
        assert name not in r.text, name
    # the list entry carries no names either
    r = cast.s["priya"].get(cast.url(), timeout=TIMEOUT)
    entry = [x for x in r.json()["memos"] if x["id"] == mid][0]
    assert entry["signer_count"] == 2
    assert "dana" not in repr(entry) and "colin" not in repr(entry)


def test_hidden_names_officers_and_signers_still_see_names(cast):
    mid = cast.m["hidden"]
    for who in ("olga", "dana", "colin"):
        m = cast.s[who].get(cast.url(mid), timeout=TIMEOUT).json()
        assert m["drafter"]["username"] == "dana", who
        assert [s["username"] for s in m["signers"]] == ["dana", "colin"], who
        assert m["signer_count"] == 2


def test_shown_names_principal_sees_them(cast):
    m = cast.s["priya"].get(cast.url(cast.m["acked"]), timeout=TIMEOUT).json()
    assert m["drafter"]["username"] == "dana"
    assert [s["username"] for s in m["signers"]] == ["dana", "colin"]


# ---- comments ----

def test_comment_thread_between_signers_officers_and_principals(cast):
    mid = cast.m["acked"]
    posted = []
    for who in ("dana", "colin", "olga", "priya"):
        r = cast.s[who].post(cast.url(mid, "comments"), json={"body": "from " + who},
                             timeout=TIMEOUT)
        assert r.status_code == 201, (who, r.text)
        c = r.json()
        assert c["author"] == who and c["body"] == "from " + who
        posted.append(c)
    for who in ("dana", "colin", "olga", "priya"):
        r = cast.s[who].get(cast.url(mid, "comments"), timeout=TIMEOUT)
        assert r.status_code == 200, (who, r.text)
        got = [(c["author"], c["body"]) for c in r.json()["comments"]]
        assert got == [(c["author"], c["body"]) for c in posted], who
    for who in ("oscar", "dora", "pablo"):
        for method in ("GET", "POST"):
            r = cast.s[who].request(method, cast.url(mid, "comments"), timeout=TIMEOUT,
                                    json={"body": "let me in"} if method == "POST" else None)
            assert_error(r, 404, "not_found")
    # nothing the outsiders tried was stored
    r = cast.s["dana"].get(cast.url(mid, "comments"), timeout=TIMEOUT)
    assert len(r.json()["comments"]) == 4


def test_comments_before_filing_stay_among_drafter_and_cosigners(cast):
    mid = cast.m["open"]
    for who in ("dana", "colin"):
        r = cast.s[who].post(cast.url(mid, "comments"), json={"body": "hi " + who},
                             timeout=TIMEOUT)
        assert r.status_code == 201, r.text
    r = cast.s["colin"].get(cast.url(mid, "comments"), timeout=TIMEOUT)
    assert [c["author"] for c in r.json()["comments"]] == ["dana", "colin"]
    for who in ("olga", "priya", "oscar"):
        assert_error(cast.s[who].get(cast.url(mid, "comments"), timeout=TIMEOUT), 404,
                     "not_found")


def test_hidden_names_comment_authors_stay_anonymous_to_principals(cast):
    """With show_signer_names false, a principal reading the thread must not learn who signed:
    neither the drafter's nor a co-signer's comments carry their username. Officers' and the
    principal's own comments may."""
    mid = cast.m["hidden"]
    for who in ("dana", "colin", "olga", "priya"):
        r = cast.s[who].post(cast.url(mid, "comments"), json={"body": "note by " + who},
                             timeout=TIMEOUT)
        assert r.status_code == 201, r.text
    r = cast.s["olga"].get(cast.url(mid, "comments"), timeout=TIMEOUT)
    assert [c["author"] for c in r.json()["comments"]] == ["dana", "colin", "olga", "priya"]
    r = cast.s["priya"].get(cast.url(mid, "comments"), timeout=TIMEOUT)
    authors = {c["body"]: c["author"] for c in r.json()["comments"]}
    assert authors["note by priya"] == "priya"
    assert authors["note by dana"] is None, authors
    assert authors["note by colin"] is None, authors
