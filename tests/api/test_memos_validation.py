"""Input validation on the memo routes: 422 `invalid_field` naming the field, and nothing stored.

Titles: 1 to 300 code points on one line (docs/formats.md); bodies: at most 200 KiB; invitations
and distributions name existing staff members / principals; decline and extend need a reason;
extend needs a real date. (Invalid UTF-8 cannot arrive inside JSON text, so it is not tried.)
"""
import pytest

from conftest import TIMEOUT, Server, add_users, assert_error, login_all, memo_url

BODY_MAX = 200 * 1024


class Desk:
    def __init__(self, srv):
        self.srv = srv
        admin = srv.admin()
        add_users(srv, admin, ["dan", "cos", "gone"], ["staff"])
        srv.add_user(admin, "off", ["officer"])
        add_users(srv, admin, ["pat", "pat2"], ["principal"])
        r = admin.patch(srv.url + "/api/v1/users/gone", json={"disabled": True},
                        headers={"If-Match": '"2"'}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        self.s = login_all(srv, ["dan", "cos", "off", "pat"])

    def url(self, mid=None, suffix=""):
        return memo_url(self.srv, mid, suffix)

    def post(self, who, mid, suffix, json=None):
        return self.s[who].post(self.url(mid, suffix), json=json, timeout=TIMEOUT)

    def get(self, mid, who="dan"):
        r = self.s[who].get(self.url(mid), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()

    def create(self, **body):
        return self.s["dan"].post(self.url(), json=body, timeout=TIMEOUT)

    def memo(self, state):
        r = self.create(title="Valid", body="Body.\n")
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        steps = [("dan", "finalize"), ("dan", "signatures"), ("dan", "file"),
                 ("off", "acknowledge")]
        n = {"draft": 0, "filed": 3, "acknowledged": 4}[state]
        for who, suffix in steps[:n]:
            assert self.post(who, mid, suffix).status_code in (200, 201)
        return mid


@pytest.fixture(scope="module")
def desk():
    srv = Server()
    try:
        yield Desk(srv)
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def memo_count(desk):
    r = desk.s["dan"].get(desk.url(), timeout=TIMEOUT)
    return len(r.json()["memos"])


# ---- title and body ----

BAD_TITLES = {
    "empty": "",
    "spaces only": "   \u3000",
    "301 multibyte characters": "\u00e9" * 301,
    "301 four-byte characters": "\U0001F600" * 301,
    "newline": "first line\nsecond line",
    "carriage return": "title\r",
    "tab": "a\tb",
    "line separator": "a\u2028b",
    "C1 control": "a\u0085b",
}


@pytest.mark.parametrize("title", list(BAD_TITLES.values()), ids=list(BAD_TITLES))
def test_bad_title_on_create(desk, title):
    before = memo_count(desk)
    assert_error(desk.create(title=title, body="b"), 422, "invalid_field", field="title")
    assert memo_count(desk) == before


def test_title_type_and_presence(desk):
    assert_error(desk.create(body="b"), 422, "invalid_field", field="title")
    assert_error(desk.create(title=5, body="b"), 422, "invalid_field", field="title")
    assert_error(desk.create(title=None, body="b"), 422, "invalid_field", field="title")


def test_longest_titles_are_accepted(desk):
    for title in ("\u00e9" * 300, "\U0001F600" * 300, " leading and trailing "):
        r = desk.create(title=title, body="")
        assert r.status_code == 201, r.text
        assert r.json()["title"] == title


def test_bad_title_on_edit_changes_nothing(desk):
    mid = desk.memo("draft")
    for title in ("", "\u00e9" * 301, "a\nb"):
        r = desk.s["dan"].patch(desk.url(mid), json={"title": title},
                                headers={"If-Match": '"1"'}, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", field="title")
    m = desk.get(mid)
    assert m["title"] == "Valid" and m["version"] == 1


def test_malformed_if_match(desk):
    mid = desk.memo("draft")
    for tag in ("abc", '"v1"', "0", "-1"):
        r = desk.s["dan"].patch(desk.url(mid), json={"title": "x"}, headers={"If-Match": tag},
                                timeout=TIMEOUT)
        assert_error(r, 400, "bad_if_match")
    assert desk.get(mid)["version"] == 1


def test_list_filters_are_checked(desk):
    for params, field in (({"state": "bogus"}, "state"), ({"role": "admin"}, "role"),
                          ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"),
                          ({"after": "nothex"}, "after")):
        r = desk.s["dan"].get(desk.url(), params=params, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", field=field)


def test_body_size_limit(desk):
    r = desk.create(title="max", body="x" * BODY_MAX)
    assert r.status_code == 201, r.text[:200]
    assert len(r.json()["body"]) == BODY_MAX
    before = memo_count(desk)
    assert_error(desk.create(title="over", body="x" * (BODY_MAX + 1)), 422, "invalid_field",
                 field="body")
    # bytes count, not characters: 102,401 two-byte characters are 204,802 bytes
    assert_error(desk.create(title="over", body="\u00e9" * (BODY_MAX // 2 + 1)), 422,
                 "invalid_field", field="body")
    assert memo_count(desk) == before


def test_body_over_limit_on_edit(desk):
    mid = desk.memo("draft")
    r = desk.s["dan"].patch(desk.url(mid), json={"body": "y" * (BODY_MAX + 1)},
                            headers={"If-Match": '"1"'}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="body")
    assert desk.get(mid)["body"] == "Body.\n"


def test_request_over_the_server_limit_is_413(desk):
    """Past the server's 1 MiB request limit the HTTP layer refuses before any field check
    (test_http.py covers that limit; only the status is checked here)."""
    before = memo_count(desk)
    r = desk.create(title="huge", body="z" * (1024 * 1024 + 10))
    assert r.status_code == 413, r.text[:200]
    assert memo_count(desk) == before


def test_body_control_characters(desk):
    assert_error(desk.create(title="t", body="bell\u0007"), 422, "invalid_field", field="body")
    r = desk.create(title="t", body="tab\there\r\nCRLF\n")
    assert r.status_code == 201, r.text


def test_unknown_field(desk):
    assert_error(desk.create(title="t", body="b", author="someone"), 422, "invalid_field",
                 field="author")


# ---- invitations and distribution ----

@pytest.mark.parametrize("names", [
    ["nobody"],
    ["cos", "nobody"],          # one good name does not get stored alone
    ["off"],                    # an officer is not a staff member
    ["cos", "pat"],             # nor is a principal
    ["gone"],                   # a disabled account
    ["dan"],                    # the drafter
    ["Not A Username"],
    [],
    "cos",
    [5],
], ids=["unknown", "good-and-unknown", "officer", "principal", "disabled", "drafter",
        "malformed", "empty", "not-a-list", "not-a-string"])
def test_bad_invitations_store_nothing(desk, names):
    mid = desk.memo("draft")
    r = desk.post("dan", mid, "invitations", {"usernames": names})
    assert_error(r, 422, "invalid_field", field="usernames")
    m = desk.get(mid)
    assert m["invitations"] == [] and m["version"] == 1
    assert [e["event"] for e in m["timeline"]] == ["created"]
    # and the would-be invitee cannot see the memo
    assert_error(desk.s["cos"].get(desk.url(mid), timeout=TIMEOUT), 404, "not_found")


@pytest.mark.parametrize("names", [["nobody"], ["pat2", "nobody"], ["cos"], ["off"]],
                         ids=["unknown", "good-and-unknown", "staff", "officer"])
def test_bad_distribution_stores_nothing(desk, names):
    mid = desk.memo("acknowledged")
    r = desk.post("off", mid, "distribution", {"usernames": names})
    assert_error(r, 422, "invalid_field", field="usernames")
    assert desk.get(mid, "off")["distributed_to"] == []


# ---- decline, extend, reply, comments ----

@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": 7}, {"reason": "x" * 2001}],
                         ids=["missing", "empty", "number", "too-long"])
def test_decline_needs_a_reason(desk, body):
    mid = desk.memo("filed")
    body = dict(body, referral="grievance")
    assert_error(desk.post("off", mid, "decline", body), 422, "invalid_field", field="reason")
    assert desk.get(mid)["state"] == "filed"


@pytest.mark.parametrize("extra, field", [
    ({}, "referral"), ({"referral": "ombudsman"}, "referral"), ({"referral": 3}, "referral"),
    ({"referral": ""}, "referral"), ({"referral": "other"}, "referral_note"),
    ({"referral": "other", "referral_note": ""}, "referral_note"),
    ({"referral": "other", "referral_note": "  \n "}, "referral_note"),
    ({"referral": "eeo", "referral_note": "x" * 2001}, "referral_note"),
    ({"referral": "eeo", "referral_note": 5}, "referral_note"),
    ({"referral": "eeo", "referred": "x"}, None),
], ids=["missing", "unknown", "number", "empty", "other-without-note", "other-empty-note",
        "other-blank-note",
        "note-too-long", "note-number", "unknown-field"])
def test_decline_names_a_referral(desk, extra, field):
    """Issue 18, part 3: a decline says where the memo belongs: the grievance procedure, the
    EEO office, the Inspector General, or elsewhere in a note."""
    mid = desk.memo("filed")
    r = desk.post("off", mid, "decline", dict({"reason": "Not policy."}, **extra))
    assert_error(r, 422, "invalid_field", field=field)
    assert desk.get(mid)["state"] == "filed"


def test_the_referral_is_shown_to_the_memos_readers(desk):
    mid = desk.memo("filed")
    r = desk.post("off", mid, "decline", {"reason": "A personnel matter.",
                                           "referral": "inspector-general",
                                           "referral_note": "Hotline: 1-800-000-0000"})
    assert r.status_code == 200, r.text
    for who in ("dan", "off"):
        m = desk.get(mid, who)
        assert m["state"] == "declined" and m["decline_reason"] == "A personnel matter."
        assert m["referral"] == {"to": "inspector-general", "note": "Hotline: 1-800-000-0000"}, m
    mid2 = desk.memo("filed")
    assert desk.post("off", mid2, "decline", {"reason": "r", "referral": "eeo"}).status_code == 200
    assert desk.get(mid2)["referral"] == {"to": "eeo", "note": None}
    assert desk.get(desk.memo("filed"))["referral"] is None


@pytest.mark.parametrize("until", ["2025-13-01", "2025-02-30", "next week", "", "2025-7-1",
                                   " 2030-01-01", 20300101, None],
                         ids=["month-13", "feb-30", "words", "empty", "short", "space",
                              "number", "null"])
def test_extend_with_a_bad_date(desk, until):
    mid = desk.memo("acknowledged")
    before = desk.get(mid, "off")["deadlines"]
    r = desk.post("off", mid, "extend", {"until": until, "reason": "more time"})
    assert_error(r, 422, "invalid_field", field="until")
    assert desk.get(mid, "off")["deadlines"] == before


def test_extend_needs_until_and_a_reason(desk):
    mid = desk.memo("acknowledged")
    due = desk.get(mid, "off")["deadlines"]["reply"]["due"]
    assert_error(desk.post("off", mid, "extend", {"reason": "more time"}), 422,
                 "invalid_field", field="until")
    assert_error(desk.post("off", mid, "extend", {"until": due}), 422, "invalid_field",
                 field="reason")
    assert_error(desk.post("off", mid, "extend", {"until": due, "reason": ""}), 422,
                 "invalid_field", field="reason")


def test_reply_and_comment_need_text(desk):
    mid = desk.memo("acknowledged")
    for body in ({}, {"body": ""}, {"body": 1}):
        assert_error(desk.post("off", mid, "reply", body), 422, "invalid_field", field="body")
        assert_error(desk.post("dan", mid, "comments", body), 422, "invalid_field",
                     field="body")
    assert desk.get(mid)["state"] == "acknowledged"
