"""The log monitor (issue 21, part 4): `dissent log monitor` agrees with an honest channel, and
raises the alarm when the channel lies in each way a test's fault switch makes it lie
(util/fault.h, compiled out of release builds): a statistic the entries do not support, a public
page that says otherwise, a forked checkpoint, a checkpoint without its witnesses' cosignatures.
The public page itself (GET /public) is checked here too."""
import html
import json
import os
import re
import subprocess

import pytest
import requests

from conftest import BIN, TIMEOUT, needs_faults
from loghelpers import Desk, caught_up, log_vkey
from test_mail import Sink
from test_witness import Witness, configure, cosignatures, witnessed_note


def monitor(d, state, *extra):
    r = subprocess.run([BIN, "log", "monitor", d.url, "--vkey", d.vkey, "--state", state,
                        "--once", "--timeout", "30", *extra],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def activity(d):
    """Filings, an acknowledgement, a decline and a withdrawal: figures worth comparing."""
    a, _ = d.file("A", cosigners=("bob",))
    b, _ = d.file("B")
    c, _ = d.file("C")
    d.post("off", a, "acknowledge")
    d.post("off", b, "decline", {"reason": "out of scope", "referral": "eeo"})
    d.post("dan", c, "withdraw")
    caught_up(d.srv)


def lying(d, monkeypatch, fault):
    """Restart the channel's server with the fault switch @fault on."""
    monkeypatch.setenv("DISSENT_FAULTS", fault)
    assert d.srv.restart() == 0
    monkeypatch.delenv("DISSENT_FAULTS")
    d.login()


def test_the_public_page(make_server):
    d = Desk(make_server)
    activity(d)
    r = requests.get(d.url + "/public", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    page = r.text
    m = re.search(r'<script type="application/json" id="dissent-figures">(.*?)</script>', page,
                  re.S)
    figures = json.loads(m.group(1))
    # the page's figures are those of /api/v1/stats, for the same log
    assert figures == requests.get(d.url + "/api/v1/stats", timeout=TIMEOUT).json()
    assert figures["signers_per_memo"]["count"] == 3 and figures["declined"] == 1
    assert "<strong>3</strong> memos filed in all" in page
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "dissent log verify" in page and d.vkey in page
    assert "Dana" not in page and ">A<" not in page
    assert '<html lang="en" dir="ltr">' in page and r.headers["Vary"] == "Accept-Language"
    # in every language: ?lang= (one answer per address), else the browser's (Vary), the same
    # figures in each; Arabic right to left, its charts mirrored
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for code in ("fr", "de", "es", "ar"):
        with open(os.path.join(root, "messages", code + ".json"), encoding="utf-8") as f:
            title = html.escape(json.load(f)["The dissent channel in figures"], quote=False)
        for r in (requests.get(d.url + "/public", params={"lang": code}, timeout=TIMEOUT),
                  requests.get(d.url + "/public", headers={"Accept-Language": code + "-XX, en;q=0.5"},
                               timeout=TIMEOUT)):
            assert r.status_code == 200, r.text
            t = r.text
            assert '<html lang="%s" dir="%s">' % (code, "rtl" if code == "ar" else "ltr") in t
            assert "<h1>%s</h1>" % title in t, code
            assert "The dissent channel in figures" not in t, code
            assert json.loads(re.search(r'id="dissent-figures">(.*?)</script>', t, re.S).group(1)) == figures
            assert 'aria-current="page">%s<' % {"fr": "Français", "de": "Deutsch", "es": "Español",
                                                "ar": "العربية"}[code] in t
            assert ('direction="rtl"' in t) == (code == "ar")
        assert "Vary" not in requests.get(d.url + "/public", params={"lang": code},
                                          timeout=TIMEOUT).headers
    for bad in ("xx", "FR", "fr-CA", "", "e" * 40):
        r = requests.get(d.url + "/public", params={"lang": bad}, timeout=TIMEOUT)
        assert r.status_code == 422 and r.json()["error"]["field"] == "lang", (bad, r.text)
    # no sign-in needed; with [tlog] public = false, auditors only, as for /log/
    d2 = Desk(make_server, config={"tlog": {"public": "false"}})
    assert requests.get(d2.url + "/public", timeout=TIMEOUT).status_code == 401


def test_the_monitor_agrees_with_an_honest_channel(make_server, tmp_path):
    d = Desk(make_server)
    state = str(tmp_path / "state")
    rc, out, err = monitor(d, state)
    assert rc == 0, err
    assert out.startswith("OK: %s: " % d.url) and "and /public's" in out, out
    assert "working days not compared" in out
    activity(d)
    # with the channel's settings, the working-day figures are compared too
    rc, out, err = monitor(d, state, "--config", d.srv.config)
    assert rc == 0, err
    assert "working days not compared" not in out, out
    assert os.path.exists(state)


@needs_faults
@pytest.mark.parametrize("fault, said", [
    ("stats-lie", "/api/v1/stats claims declined = 2, the log's entries give 1"),
    ("public-lie", "/public claims withdrawn = 2, the log's entries give 1"),
    ("checkpoint-fork", "the log: "),
])
def test_the_monitor_catches_each_lie(make_server, tmp_path, monkeypatch, fault, said):
    d = Desk(make_server)
    activity(d)
    state = str(tmp_path / "state")
    rc, out, err = monitor(d, state)
    assert rc == 0, err
    lying(d, monkeypatch, fault)
    rc, out, err = monitor(d, state)
    assert rc == 1, (out, err)
    assert "ALARM: %s: " % d.url in err and said in err, err
    assert not out.startswith("OK"), out


@needs_faults
def test_a_checkpoint_without_its_cosignatures_is_an_alarm(make_server, tmp_path, monkeypatch):
    d = Desk(make_server)
    w = Witness([d.vkey], name="witness.test/m1")
    try:
        configure(d.srv, "%s %s" % (w.url, w.vkey), 1)
        d.login()
        activity(d)
        witnessed_note(d.srv, [w.vkey], [w.vkey])
        state = str(tmp_path / "state")
        rc, out, err = monitor(d, state, "--witness", w.vkey)
        assert rc == 0, err
        assert "cosignatures: 1 of 1 witnesses, 1 required" in out, out
        lying(d, monkeypatch, "checkpoint-strip-cosigs")
        note = requests.get(d.url + "/log/checkpoint", timeout=TIMEOUT).text
        assert cosignatures(note, w.vkey) == []
        rc, out, err = monitor(d, state, "--witness", w.vkey)
        assert rc == 1 and "fewer than the 1 required" in err, (out, err)
    finally:
        w.cleanup()


@needs_faults
def test_an_alarm_is_emailed(make_server, tmp_path, monkeypatch):
    sink = Sink()
    sink.start()
    try:
        d = Desk(make_server)
        activity(d)
        cfg = tmp_path / "monitor.ini"
        cfg.write_text("[channel]\ntimezone = UTC\n[mail]\nhost = 127.0.0.1\nport = %d\n"
                       "starttls = never\nfrom = monitor@example.org\n" % sink.port)
        state = str(tmp_path / "state")
        rc, out, err = monitor(d, state, "--config", str(cfg), "--mail", "oig@example.org")
        assert rc == 0, err
        assert sink.count() == 0
        lying(d, monkeypatch, "stats-lie")
        rc, out, err = monitor(d, state, "--config", str(cfg), "--mail", "oig@example.org")
        assert rc == 1 and "emailed to oig@example.org" in err, err
        (rcpts, msg), = sink.wait(1, settle=0.2)
        assert rcpts == ["oig@example.org"]
        assert msg["Subject"] == "Dissent log monitor: ALARM for %s" % d.url
        assert "declined" in msg.get_content()
    finally:
        sink.stop()


def test_monitor_usage(make_server, tmp_path):
    d = Desk(make_server)
    state = str(tmp_path / "state")
    for args in ([], ["--vkey", d.vkey], ["--state", state], ["--vkey", "nope", "--state", state],
                 ["--vkey", d.vkey, "--state", state, "--interval", "0"],
                 ["--vkey", d.vkey, "--state", state, "--mail", "x@example.org"]):
        r = subprocess.run([BIN, "log", "monitor", d.url, *args], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
    # a channel that cannot be reached: said, and not OK
    r = subprocess.run([BIN, "log", "monitor", "http://127.0.0.1:1", "--vkey", d.vkey, "--state",
                        state, "--once", "--timeout", "5"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "unreachable" in r.stderr, r.stderr
    assert "ALARM" not in r.stderr
    # ... and running, a channel that does not answer round after round is an alarm
    r = subprocess.run([BIN, "log", "monitor", "http://127.0.0.1:1", "--vkey", d.vkey, "--state",
                        state, "--interval", "1", "--unreachable", "2", "--timeout", "5"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("unreachable") == 2 and "could not be reached for 2 rounds" in r.stderr

