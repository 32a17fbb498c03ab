"""The embedded web interface (issue 6): GET / and /assets/VERSION/PATH with their headers, and
the CommonMark preview route it uses (POST /api/v1/preview, cmark in safe mode)."""
import re

import requests

from conftest import TIMEOUT, assert_error

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


def test_index_and_versioned_assets(server):
    r = requests.get(server.url + "/", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in r.text and "style=" not in r.text
    etag = r.headers["ETag"]
    r2 = requests.get(server.url + "/", headers={"If-None-Match": etag}, timeout=TIMEOUT)
    assert r2.status_code == 304 and r2.content == b""
    for path in re.findall(r'"(/assets/[0-9a-f]{16}/[^"]+)"', r.text):
        a = requests.get(server.url + path, timeout=TIMEOUT)
        assert a.status_code == 200, path
        assert a.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert a.headers["ETag"].startswith('"')
        assert a.headers["Content-Security-Policy"] == CSP
    js = re.search(r'"(/assets/[0-9a-f]{16}/js/app\.js)"', r.text).group(1)
    assert requests.get(server.url + js, timeout=TIMEOUT).headers["Content-Type"].startswith(
        "text/javascript")
    # an unknown version still answers the current file, but revalidated
    old = requests.get(server.url + "/assets/0000000000000000/app.css", timeout=TIMEOUT)
    assert old.status_code == 200 and old.headers["Cache-Control"] == "no-cache"


def test_missing_assets_are_404_json(server):
    for path in ["/assets/nope.js", "/assets/x/../../etc/passwd", "/assets/" + "a" * 300]:
        assert_error(requests.get(server.url + path, timeout=TIMEOUT), 404)


def test_json_answers_carry_the_csp_too(server):
    r = requests.get(server.url + "/healthz", timeout=TIMEOUT)
    assert r.headers["Content-Security-Policy"] == CSP


def test_preview_renders_commonmark_safely(server, admin):
    server.add_user(admin, "wanda", ["staff"])
    s = server.login("wanda", "correct horse battery")
    r = s.post(server.url + "/api/v1/preview", timeout=TIMEOUT, json={
        "body": "# Title\n\n**bold** <script>alert(1)</script>\n\n[x](javascript:alert(1))\n"})
    assert r.status_code == 200, r.text
    html = r.json()["html"]
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert_error(s.post(server.url + "/api/v1/preview", json={}, timeout=TIMEOUT), 422,
                 "invalid_field", "body")
    assert_error(s.post(server.url + "/api/v1/preview", json={"body": "x", "y": 1},
                        timeout=TIMEOUT), 422, "invalid_field")
    assert_error(admin.post(server.url + "/api/v1/preview", json={"body": "x"}, timeout=TIMEOUT),
                 403, "forbidden")
    assert_error(requests.post(server.url + "/api/v1/preview", json={"body": "x"},
                               headers={"X-Requested-With": "dissent"}, timeout=TIMEOUT), 401)
