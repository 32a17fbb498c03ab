"""Issue 18, part 6: GET /api/v1/memos searches the titles the caller can read (q=), and filters
by the memo's day (from=, to=: its filing day once filed, else the day it was created), with the
state filter and paging as before.

The titles are opened on the server for the caller only (never indexed): a title compared and
not shown is no read in the audit; a title shown is. Case is ignored for ASCII and Latin-1
letters ("RÉSUMÉ" finds "résumé"). Days come from the debug clock (test_deadlines.Desk).
"""
from conftest import TIMEOUT, assert_error, memo_url
from keyhelpers import audit_records
from test_deadlines import Desk


def search(desk, who="dan", status=200, **params):
    r = desk.s[who].get(memo_url(desk.srv), params=params, timeout=TIMEOUT)
    if status != 200:
        return r
    assert r.status_code == 200, r.text
    return r.json()


def titles(desk, who="dan", **params):
    return sorted(m["title"] for m in search(desk, who, **params)["memos"])


def test_search_titles_days_states_paging_and_the_audit(make_server):
    desk = Desk(make_server, {"timezone": "UTC"}, "2025-03-03T15:00:00")
    desk.draft("Visa policy R\u00c9SUM\u00c9")
    travel = desk.filed("Travel costs hidden")["id"]
    desk.set_clock("2025-03-10T15:00:00")
    desk.draft("R\u00e9sum\u00e9 of the travel rules")
    budget = desk.filed("Budget cuts")["id"]

    # words in any case, accented capitals included
    assert titles(desk, q="r\u00e9sum\u00e9") == ["R\u00e9sum\u00e9 of the travel rules",
                                                "Visa policy R\u00c9SUM\u00c9"]
    assert titles(desk, q="TRAVEL") == ["R\u00e9sum\u00e9 of the travel rules",
                                        "Travel costs hidden"]
    assert titles(desk, q="nothing like it") == []
    # the memo's day: filed on the 3rd; the other created on the 10th and not filed
    assert titles(desk, q="travel", **{"from": "2025-03-05"}) == [
        "R\u00e9sum\u00e9 of the travel rules"]
    assert titles(desk, q="travel", to="2025-03-05") == ["Travel costs hidden"]
    assert titles(desk, **{"from": "2025-03-10", "to": "2025-03-10"}) == [
        "Budget cuts", "R\u00e9sum\u00e9 of the travel rules"]
    assert titles(desk, q="travel", state="filed") == ["Travel costs hidden"]
    # an empty search box is no search
    assert len(search(desk, q="")["memos"]) == 4
    # paging through the matches
    first = search(desk, q="travel", limit=1)
    assert len(first["memos"]) == 1 and first["next"], first
    second = search(desk, q="travel", limit=1, after=first["next"])
    assert len(second["memos"]) == 1, second
    seen = {first["memos"][0]["title"], second["memos"][0]["title"]}
    assert seen == {"R\u00e9sum\u00e9 of the travel rules", "Travel costs hidden"}
    if second["next"]:
        assert search(desk, q="travel", limit=1, after=second["next"])["memos"] == []

    # an officer finds filed memos only
    assert titles(desk, "off", q="budget") == ["Budget cuts"]
    assert titles(desk, "off", q="r\u00e9sum\u00e9") == []

    # only the titles shown are reads in the audit
    before_travel = audit_records(desk.srv, desk.s["dan"], travel)
    before_budget = audit_records(desk.srv, desk.s["dan"], budget)
    assert titles(desk, q="budget") == ["Budget cuts"]
    after_travel = audit_records(desk.srv, desk.s["dan"], travel)
    after_budget = audit_records(desk.srv, desk.s["dan"], budget)
    assert len(after_travel) == len(before_travel), after_travel[len(before_travel):]
    new = after_budget[len(before_budget):]
    assert [(r["by"], r["action"]) for r in new] == [("dan", "read_title")], new


def test_search_refuses_what_is_no_search(make_server):
    desk = Desk(make_server, {"timezone": "UTC"}, "2025-03-03T15:00:00")
    desk.draft("Anything")
    for params, field in (({"q": "two\nlines"}, "q"), ({"q": "   "}, "q"),
                          ({"q": "x" * 201}, "q"), ({"q": "tab\there"}, "q"),
                          ({"from": "2025-02-30"}, "from"), ({"to": "03/03/2025"}, "to"),
                          ({"from": "2025-03-04", "to": "2025-03-03"}, "to")):
        assert_error(search(desk, status=422, **params), 422, "invalid_field", field)
    assert titles(desk, q="x" * 200) == []
    assert titles(desk, q="anything") == ["Anything"]


def test_a_search_examines_at_most_1000_memos_per_request(make_server):
    """No request opens every title: a search examines at most 1000 memos and then answers with
    what it found and the cursor of the last one examined; asking on finds the rest."""
    from conftest import parallel
    desk = Desk(make_server, {"timezone": "UTC"}, "2025-03-03T15:00:00")
    desk.draft("The needle")  # the oldest: examined last (lists are newest first)
    parallel(lambda i: desk.draft("Hay %04d" % i), range(1001))
    first = search(desk, q="needle", limit=50)
    assert first["memos"] == [] and first["next"], first
    second = search(desk, q="needle", limit=50, after=first["next"])
    assert [m["title"] for m in second["memos"]] == ["The needle"], second
    assert second["next"] is None
    assert len(search(desk, q="hay", limit=200)["memos"]) == 200
