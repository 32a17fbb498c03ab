"""The record copy (GET /api/v1/memos/{id}/record.pdf, api/record.c): a PDF typeset by pango and
cairo, checked by what poppler-utils' `pdftotext` reads back out of it: the banner, the title,
the text rendered from its CommonMark, a right-to-left (Arabic) and a Greek paragraph, the files
with their SHA-256, the signers (or their count), the deadlines, the reply, the digest and the
log entry with its checkpoint."""
import hashlib
import os
import re
import subprocess
import tempfile

import pytest

from conftest import TIMEOUT, assert_error, memo_url
from loghelpers import receipt_of

MARKING = "SENSITIVE BUT UNCLASSIFIED"
TITLE = "On the visa policy \u2014 r\u00e9sum\u00e9"
ARABIC = "\u0646\u0639\u062a\u0631\u0636 \u0639\u0644\u0649 \u0647\u0630\u0647 \u0627\u0644\u0633\u064a\u0627\u0633\u0629"
GREEK = "\u0394\u03b9\u03b1\u03c6\u03c9\u03bd\u03bf\u03cd\u03bc\u03b5 \u03bc\u03b5 \u03c4\u03b7\u03bd \u03c0\u03bf\u03bb\u03b9\u03c4\u03b9\u03ba\u03ae"
BODY = ("# Summary\n\nWe **dissent** from the policy; see [the cable](https://example.org/c).\n\n"
        "- first reason\n- second reason\n\n" + ARABIC + "\n\n" + GREEK + "\n\n"
        "```\ncode line\n```\n")


def pdftext(pdf):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        r = subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"], capture_output=True,
                           timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode("utf-8")


@pytest.fixture
def filed(make_server):
    srv = make_server(config={"records": {"marking": MARKING}})
    admin = srv.admin()
    for name, roles in (("dana", ["staff"]), ("olga", ["officer"]), ("pat", ["principal"])):
        srv.add_user(admin, name, roles)
    s = {n: srv.login(n, "correct horse battery") for n in ("dana", "olga", "pat")}
    d = s["dana"]
    mid = d.post(memo_url(srv), json={"title": TITLE, "body": BODY}, timeout=TIMEOUT).json()["id"]
    data = b"Annex A.\n"
    a = d.post(memo_url(srv, mid, "attachments"), timeout=TIMEOUT, json={
        "name": "annex A.txt", "type": "text/plain", "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest()}).json()
    assert d.put(memo_url(srv, mid, "attachments/%s?offset=0" % a["id"]), data=data, timeout=TIMEOUT,
                 headers={"Content-Type": "application/octet-stream"}).status_code == 200
    url = memo_url(srv, mid)
    for step in ("finalize", "signatures", "file"):
        r = d.post(url + "/" + step, timeout=TIMEOUT)
        assert r.status_code < 300, r.text
    o = s["olga"]
    assert o.post(url + "/acknowledge", timeout=TIMEOUT).status_code == 200
    assert o.post(url + "/distribution", json={"usernames": ["pat"]},
                  timeout=TIMEOUT).status_code == 200
    assert o.post(url + "/reply", json={"body": "We *will* review the policy."},
                  timeout=TIMEOUT).status_code == 200
    return srv, s, mid, a


def test_the_record_copy_says_what_the_memo_says(filed):
    srv, s, mid, a = filed
    receipt = receipt_of(srv, s["dana"], mid)  # a checkpoint covers the filing
    r = s["olga"].get(memo_url(srv, mid, "record.pdf"), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="dissent-memo-%s.pdf"' % mid
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert r.content.startswith(b"%PDF-")
    text = pdftext(r.content)
    flat = re.sub(r"\s+", " ", text)
    memo = s["olga"].get(memo_url(srv, mid), timeout=TIMEOUT).json()
    # the banner on every page, top and bottom
    pages = text.count("\f")
    assert pages >= 1 and text.count(MARKING) == 2 * pages, (pages, text.count(MARKING))
    for want in (TITLE, "Summary", "We dissent from the policy; see the cable <https://example.org/c>",
                 "\u2022 first reason", "\u2022 second reason", GREEK, "code line",
                 "annex A.txt", "SHA-256 " + a["sha256"], "dana", "Acknowledgement:",
                 "Reply:", "on time", "We will review the policy.", memo["digest"],
                 "entry %d of the channel" % receipt["index"],
                 "The newest signed checkpoint of the log, which covers it: dissent.invalid/log"):
        assert want in flat, "%r not in the record copy:\n%s" % (want, text)
    # the right-to-left paragraph comes back in reading order, as real text: pdftotext marks it
    # with direction controls and may space its shaped glyphs differently, so compare its
    # letters without spaces or controls
    letters = re.sub(r"[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    assert "".join(ARABIC.split()) in letters, text
    assert "read_record" in [x["action"] for x in
                             s["dana"].get(memo_url(srv, mid, "audit"),
                                           timeout=TIMEOUT).json()["records"]]


def test_the_names_follow_what_the_reader_may_see(filed):
    srv, s, mid, a = filed
    # the drafter did not show the names to principals: their copy counts the signers only
    r = s["pat"].get(memo_url(srv, mid, "record.pdf"), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    flat = re.sub(r"\s+", " ", pdftext(r.content))
    assert "1 signature; the drafter chose not to show the signers' names." in flat, flat
    assert "dana" not in flat


def test_who_may_not_read_the_memo_gets_no_copy(filed, make_server):
    srv, s, mid, a = filed
    admin = srv.admin()
    assert_error(admin.get(memo_url(srv, mid, "record.pdf"), timeout=TIMEOUT), 403, "forbidden")
    srv.add_user(admin, "eve", ["staff"])
    eve = srv.login("eve", "correct horse battery")
    assert_error(eve.get(memo_url(srv, mid, "record.pdf"), timeout=TIMEOUT), 404, "not_found")


def test_a_deeply_nested_text_is_laid_out_flat_not_recursively(make_server):
    """100,000 nested list markers (200 KB, under the body limit) would nest the layout's calls
    as deep: past a fixed depth the text is laid out flat, and the server stays up."""
    srv = make_server()
    admin = srv.admin()
    srv.add_user(admin, "dana", ["staff"])
    d = srv.login("dana", "correct horse battery")
    # and inputs pango lays out in time that grows faster than their length, cut in pieces:
    # a code block of 100,000 lines, one 200 KB word, 100,000 entities, 50,000 hard breaks
    for body, word in (("- " * 100000 + "deepest\n", "deepest"), ("> " * 100000 + "quoted\n",
                                                                     "quoted"),
                       ("*" * 50000 + "x" + "*" * 50000 + "\n", "x"),
                       ("```\n" + "line\n" * 40000 + "last\n```\n", "last"),
                       ("y" * 200000 + "\n", "yyyy"), ("&#" * 100000 + "z\n", "z"),
                       ("a  \n" * 50000 + "end\n", "end")):
        mid = d.post(memo_url(srv), json={"title": "Deep", "body": body},
                     timeout=TIMEOUT).json()["id"]
        r = d.get(memo_url(srv, mid, "record.pdf"), timeout=20)
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"%PDF-")
        assert word in pdftext(r.content)
    assert srv.proc.poll() is None
