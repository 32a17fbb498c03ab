"""Issue 23: an account's language (core/lang.h), kept with the account and given back by
GET /api/v1/me, changed with PATCH /api/v1/me; the web interface's list of languages is the
server's."""
import os
import re

import requests

from conftest import PASSWORD, ROOT, TIMEOUT

LANGUAGES = ["en", "fr", "de", "es", "ar"]


def patch(s, srv, body, status=200):
    r = s.patch(srv.url + "/api/v1/me", json=body, timeout=TIMEOUT)
    assert r.status_code == status, r.text
    return r.json()


def test_a_language_is_kept_with_the_account(make_server):
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "fleur", ["staff"])
    s = srv.login("fleur", PASSWORD)
    assert s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] is None
    for code in LANGUAGES:
        assert patch(s, srv, {"language": code})["language"] == code
        # the answer to /me kept by the worker follows at once (api/session.c)
        assert s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] == code
    # kept with the account: another session sees it, and the other accounts keep theirs
    assert patch(s, srv, {"language": "ar"})["language"] == "ar"
    again = srv.login("fleur", PASSWORD)
    assert again.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] == "ar"
    assert admin.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] is None
    # none: the browser's languages decide again
    assert patch(s, srv, {"language": None})["language"] is None
    assert again.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] is None
    srv.restart()
    s = srv.login("fleur", PASSWORD)
    assert patch(s, srv, {"language": "de"})["language"] == "de"
    srv.restart()
    s = srv.login("fleur", PASSWORD)
    assert s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] == "de"


def test_a_bad_language_is_refused_and_changes_nothing(make_server):
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "gus", ["staff"])
    s = srv.login("gus", PASSWORD)
    patch(s, srv, {"language": "es"})
    for body in ({"language": "xx"}, {"language": "FR"}, {"language": "fr-CA"},
                 {"language": ""}, {"language": 5}, {"language": ["fr"]}, {},
                 {"language": "fr", "theme": "dark"}):
        r = s.patch(srv.url + "/api/v1/me", json=body, timeout=TIMEOUT)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["error"]
        assert err["field"] in ("language", "theme"), err
        if err["field"] == "language" and "language" in body:
            assert "en, fr, de, es, ar" in err["message"], err
    for raw in (b"[]", b'"fr"', b"{"):
        r = s.patch(srv.url + "/api/v1/me", data=raw, timeout=TIMEOUT,
                    headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422), (raw, r.text)
    assert s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] == "es"
    # signed out, nothing
    anon = requests.Session()
    anon.headers["X-Requested-With"] = "dissent"
    r = anon.patch(srv.url + "/api/v1/me", json={"language": "fr"}, timeout=TIMEOUT)
    assert r.status_code == 401


def test_the_language_is_set_before_two_factor_sign_in_is(make_server):
    """An account that must set up two-factor sign-in first can choose the language of the
    page that sets it up."""
    srv = make_server(config={"security": {"require_2fa": "officer"}})
    admin = srv.admin()
    srv.add_user(admin, "olaf", ["officer"])
    s = srv.login("olaf", PASSWORD)
    r = s.get(srv.url + "/api/v1/memos", timeout=TIMEOUT)
    assert r.status_code == 403 and r.json()["error"]["code"] == "totp_enrolment_required"
    assert patch(s, srv, {"language": "fr"})["language"] == "fr"


def test_the_web_lists_the_servers_languages():
    """web/js/i18n.js offers exactly the languages of src/core/lang.c, in the same order, with a
    catalog for each."""
    with open(os.path.join(ROOT, "src", "core", "lang.c"), encoding="utf-8") as f:
        server = re.findall(r'\{"([a-z]{2,3})", "[^"]+", (?:true|false)\}', f.read())
    with open(os.path.join(ROOT, "web", "js", "i18n.js"), encoding="utf-8") as f:
        web = re.findall(r"\{ code: '([a-z]{2,3})'", f.read())
    assert server == LANGUAGES and web == server, (server, web)
    for code in server:
        assert os.path.isfile(os.path.join(ROOT, "web", "i18n", code + ".json")), code
