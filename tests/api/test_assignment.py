"""Issue 18, part 1, first step: a filed memo is assigned to a case officer, by an officer
(self-assignment too), and reassigned with a reason; the assignee is not recused from the memo
and holds the channel key; officers see who handles it and find their own cases (assigned=me)
and those nobody handles (assigned=none); the timeline says who assigned whom.
"""
import pytest

from conftest import PASSWORD, TIMEOUT, Server, assert_error, assert_wrong_state, memo_url
from keyhelpers import call, filed_memo

ASSIGN = "assignment"


@pytest.fixture(scope="module")
def desk():
    srv = Server()
    try:
        admin = srv.admin()
        srv.add_user(admin, "olga", ["officer"])  # the first officer: she holds the channel key
        for name, roles in (("dan", ["staff"]), ("cos", ["staff"]), ("otto", ["officer"]),
                            ("nora", ["officer"]), ("sol", ["staff", "officer"])):
            srv.add_user(admin, name, roles)
        s = {n: srv.login(n, PASSWORD) for n in ("olga", "dan", "cos", "otto", "nora", "sol")}
        for who in ("otto", "sol"):  # nora never receives the channel key
            call(s["olga"], "POST", srv.url + "/api/v1/channel/grants", {"username": who}, 201)
        yield srv, s
    finally:
        problems = srv.cleanup()
    assert not problems, "\n".join(problems)


def assign(desk, who, mid, body, status=200):
    srv, s = desk
    r = s[who].post(memo_url(srv, mid, ASSIGN), json=body, timeout=TIMEOUT)
    if status is not None:
        assert r.status_code == status, r.text
    return r


def get(desk, who, mid):
    srv, s = desk
    return call(s[who], "GET", memo_url(srv, mid)).json()


def test_assign_then_reassign_with_a_reason(desk):
    srv, s = desk
    mid = filed_memo(srv, s["dan"], "Assigned memo", cosigners={"cos": s["cos"]})
    m = get(desk, "olga", mid)
    assert m["assigned_to"] is None and "assign" in m["actions"]
    assert "assigned_to" not in get(desk, "dan", mid)
    assert "assign" not in get(desk, "dan", mid)["actions"]
    # herself
    m = assign(desk, "olga", mid, {"username": "olga"}).json()
    assert m["assigned_to"]["username"] == "olga"
    assert m["timeline"][-1]["event"] == "assigned" and m["timeline"][-1]["detail"] == "olga"
    # again to her: refused; to otto without a reason: refused, nothing changed
    assert_error(assign(desk, "olga", mid, {"username": "olga"}, None), 422, field="username")
    assert_error(assign(desk, "otto", mid, {"username": "otto"}, None), 422, field="reason")
    assert get(desk, "olga", mid)["assigned_to"]["username"] == "olga"
    m = assign(desk, "otto", mid, {"username": "otto", "reason": "Olga is away"}).json()
    assert m["assigned_to"]["username"] == "otto"
    assert m["timeline"][-1] == {**m["timeline"][-1], "event": "reassigned",
                                 "detail": "otto: Olga is away"}
    # the drafter reads the timeline too (who handles their memo), but no assigned_to field
    assert [e["event"] for e in get(desk, "dan", mid)["timeline"]][-2:] == ["assigned",
                                                                           "reassigned"]
    # still assignable after acknowledgement and the reply; not once closed
    call(s["otto"], "POST", memo_url(srv, mid, "acknowledge"))
    assign(desk, "olga", mid, {"username": "olga", "reason": "Back"})
    call(s["olga"], "POST", memo_url(srv, mid, "reply"), {"body": "Our answer."})
    assign(desk, "otto", mid, {"username": "otto", "reason": "Follow-up"})
    call(s["dan"], "POST", memo_url(srv, mid, "accept"))
    assert_wrong_state(assign(desk, "olga", mid, {"username": "olga", "reason": "x"}, None),
                       "closed")


@pytest.mark.parametrize("body, field", [
    ({}, "username"), ({"username": 5}, "username"), ({"username": "ghost"}, "username"),
    ({"username": "dan"}, "username"),        # not an officer
    ({"username": "sol"}, "username"),        # an officer, but he drafted the memo
    ({"username": "nora"}, "username"),       # an officer without the channel key
    ({"username": "otto", "reason": "x" * 2001}, "reason"),
    ({"username": "otto", "why": "x"}, None),
], ids=["missing", "number", "unknown", "staff", "recused", "no-key", "long-reason", "unknown-field"])
def test_who_may_be_assigned(desk, body, field):
    srv, s = desk
    mid = filed_memo(srv, s["sol"], "Sol's memo")
    assert_error(assign(desk, "olga", mid, body, None), 422, field=field)
    assert get(desk, "olga", mid)["assigned_to"] is None


def test_recused_and_other_roles_cannot_assign(desk):
    srv, s = desk
    mid = filed_memo(srv, s["sol"], "Sol assigns nothing")
    assert_error(assign(desk, "sol", mid, {"username": "olga"}, None), 403, "recused")
    assert_error(assign(desk, "dan", mid, {"username": "olga"}, None), 403, "forbidden")
    assert_error(assign(desk, "nora", mid, {"username": "olga"}, None), 403)


def test_my_cases_and_the_unassigned(desk):
    srv, s = desk
    a = filed_memo(srv, s["dan"], "Otto's case")
    b = filed_memo(srv, s["dan"], "Nobody's case")
    assign(desk, "olga", a, {"username": "otto"})

    def listed(who, assigned):
        r = s[who].get(memo_url(srv), params={"assigned": assigned, "limit": 200},
                       timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["memos"]]

    assert a in listed("otto", "me") and b not in listed("otto", "me")
    assert a not in listed("olga", "me")
    assert b in listed("olga", "none") and a not in listed("olga", "none")
    for bad in ("you", ""):
        r = s["olga"].get(memo_url(srv), params={"assigned": bad}, timeout=TIMEOUT)
        assert_error(r, 422, "invalid_field", field="assigned")
    r = s["dan"].get(memo_url(srv), params={"assigned": "me"}, timeout=TIMEOUT)
    assert_error(r, 422, "invalid_field", field="assigned")
