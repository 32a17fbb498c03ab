"""Finding colleagues by name (GET /api/v1/users/search) and the organisation's time zone on
/api/v1/me, which the web interface uses to show times."""
from conftest import TIMEOUT


def test_search_by_username_prefix_and_display_name(server, admin):
    server.add_user(admin, "alice.smith", ["staff"], display_name="Alice Smith")
    server.add_user(admin, "bob", ["staff"], display_name="Robert Alison")
    server.add_user(admin, "pia", ["principal"], display_name="Pia Alder")
    server.add_user(admin, "olga", ["officer"], display_name="Olga")
    gone = server.add_user(admin, "alf", ["staff"], display_name="Alf")
    r = admin.patch(server.url + "/api/v1/users/alf", json={"disabled": True}, timeout=TIMEOUT)
    assert r.status_code == 200 and gone["username"] == "alf"

    s = server.login("bob", "correct horse battery")
    r = s.get(server.url + "/api/v1/users/search", params={"q": "al", "role": "staff"},
              timeout=TIMEOUT)
    assert r.status_code == 200
    names = [u["username"] for u in r.json()["users"]]
    # username prefix, display-name substring, staff only, disabled accounts left out
    assert names == ["alice.smith", "bob"]
    assert r.json()["users"][0] == {"username": "alice.smith", "display_name": "Alice Smith"}
    r = s.get(server.url + "/api/v1/users/search", params={"q": "AL", "role": "principal"},
              timeout=TIMEOUT)
    assert [u["username"] for u in r.json()["users"]] == ["pia"]
    r = s.get(server.url + "/api/v1/users/search", params={"q": "zz"}, timeout=TIMEOUT)
    assert r.json()["users"] == []


def test_search_validates_and_is_for_staff_and_officers(server, admin):
    server.add_user(admin, "sam", ["staff"])
    server.add_user(admin, "aud", ["auditor"])
    s = server.login("sam", "correct horse battery")
    for params, field in (({"q": "a"}, "q"), ({}, "q"), ({"q": "sa", "role": "boss"}, "role"),
                          ({"q": "sa", "role": "staff,officer"}, "role")):
        r = s.get(server.url + "/api/v1/users/search", params=params, timeout=TIMEOUT)
        assert r.status_code == 422 and r.json()["error"]["field"] == field
    a = server.login("aud", "correct horse battery")
    assert a.get(server.url + "/api/v1/users/search", params={"q": "sa"},
                 timeout=TIMEOUT).status_code == 403
    assert admin.get(server.url + "/api/v1/users/search", params={"q": "sa"},
                     timeout=TIMEOUT).status_code == 403


def test_me_tells_the_organisation_time_zone(make_server):
    srv = make_server(config={"channel": {"timezone": "America/New_York"}})
    me = srv.admin().get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()
    assert me["timezone"] == "America/New_York"
