"""Issue 23: an account's language (core/lang.h), kept with the account and given back by
GET /api/v1/me, changed with PATCH /api/v1/me; the web interface's list of languages is the
server's."""
import json
import os
import re
import subprocess
import sys

import requests

from conftest import PASSWORD, ROOT, TIMEOUT, sqlite_only

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


def catalog(code):
    """The server's catalog of @code (messages/CODE.json): English format -> translation."""
    with open(os.path.join(ROOT, "messages", code + ".json"), encoding="utf-8") as f:
        return json.load(f)


def test_api_messages_follow_accept_language_then_the_account(make_server):
    """An error's message is in the language the request asks for (Accept-Language), else the
    account's, else English; its code and field never change."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "hana", ["staff"])
    english = "email is not a valid address"

    # the field's check answers the same way for everyone: use one an admin can provoke
    def bad_email(session, headers=None):
        r = session.patch(srv.url + "/api/v1/users/hana", json={"email": "not an address"},
                          headers=headers or {}, timeout=TIMEOUT)
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid_field" and err["field"] == "email", err
        return err["message"]

    assert bad_email(admin) == english
    for code in ("fr", "de", "es", "ar"):
        assert bad_email(admin, {"Accept-Language": code}) == catalog(code)[english]
    # regional tags, qualities, languages Dissent does not speak
    assert bad_email(admin, {"Accept-Language": "de-AT, en;q=0.5"}) == catalog("de")[english]
    assert bad_email(admin, {"Accept-Language": "ja, es;q=0.4, fr;q=0.6"}) == catalog("fr")[english]
    assert bad_email(admin, {"Accept-Language": "ja, zh"}) == english
    # the account's language, when the request names none
    patch(admin, srv, {"language": "ar"})
    assert bad_email(admin) == catalog("ar")[english]
    # ... and the request's wins over it: the web interface asks for English (api.js)
    assert bad_email(admin, {"Accept-Language": "en"}) == english
    assert bad_email(admin, {"Accept-Language": "es"}) == catalog("es")[english]
    # before any session: the header's language
    anon = requests.Session()
    anon.headers["X-Requested-With"] = "dissent"
    r = anon.post(srv.url + "/api/v1/session", json={"username": "hana", "password": "wrong"},
                  headers={"Accept-Language": "fr"}, timeout=TIMEOUT)
    assert r.status_code == 401, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_credentials", err
    r2 = anon.post(srv.url + "/api/v1/session", json={"username": "hana", "password": "wrong"},
                   timeout=TIMEOUT)
    assert r2.json()["error"]["code"] == "invalid_credentials"
    assert err["message"] == catalog("fr")[r2.json()["error"]["message"]], (err, r2.text)
    # a plural's form follows the count in each language's rule (CLDR): see test_msg.c


def test_every_server_message_has_every_translation():
    """scripts/messages.py: each catalog of messages has a translation of every message of the
    source, none other, each converting the same arguments (a test that fails when a message is
    added without its translations)."""
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "messages.py"), "check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.match(r"ok: \d{3,} messages, 4 catalogs", r.stdout), r.stdout


@sqlite_only
def test_migration_28_keeps_the_language_chosen_before(make_server):
    """The account's language moved from notify_prefs to its own row (migration 28): a choice
    made before is kept."""
    from keyhelpers import open_db
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "ines", ["staff"])
    s = srv.login("ines", PASSWORD)
    patch(s, srv, {"language": "es"})
    assert srv.stop() == 0
    with open_db(srv, readonly=False) as c:  # as version 27 kept it
        c.execute("INSERT INTO notify_prefs (user_id, off, language) SELECT id, 0, language"
                  " FROM users WHERE username = 'ines'"
                  " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language")
        c.execute("ALTER TABLE users DROP COLUMN language")
        c.execute("ALTER TABLE channels DROP COLUMN version")  # and migration 30's
        c.execute("PRAGMA user_version = 27")
        c.commit()
    srv.proc.stdout.close()
    srv._start("ab")
    s = srv.login("ines", PASSWORD)
    assert s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()["language"] == "es"
    # and the messages follow it, with no header naming another
    r = s.patch(srv.url + "/api/v1/me", json={"language": "xx"}, timeout=TIMEOUT)
    assert r.json()["error"]["message"] != s.patch(
        srv.url + "/api/v1/me", json={"language": "xx"}, headers={"Accept-Language": "en"},
        timeout=TIMEOUT).json()["error"]["message"]
