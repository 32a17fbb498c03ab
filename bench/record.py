#!/usr/bin/python3
"""How long the server takes to make a memo's record copy (issue 20): GET .../record.pdf, its
own request time (the "us" of its log line), for a filed memo with a short text and for one
with the largest text a memo may have (200 KiB of CommonMark: headings, lists, emphasis, links,
an Arabic and a Greek paragraph), each with three attached files, acknowledged and replied.
One `dissent serve` on SQLite. Usage: bench/record.py [N] (default 30 of each).
"""
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
if "DISSENT_BIN" not in os.environ:
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh"), "bench"], check=True)
    subprocess.run([os.path.join(ROOT, "scripts", "build.sh"), "release"], check=True, cwd=ROOT)

from conftest import PASSWORD, Server, memo_url  # noqa: E402
from passkey import show, timings  # noqa: E402

PARA = ("## Section {n}\n\nWe **dissent** from the policy, for the reasons in [the cable]"
        "(https://example.org/c/{n}); *see* annex {n}.\n\n- first point\n- second point\n\n"
        "\u0646\u0639\u062a\u0631\u0636 \u0639\u0644\u0649 \u0647\u0630\u0647 \u0627\u0644\u0633"
        "\u064a\u0627\u0633\u0629\n\n\u0394\u03b9\u03b1\u03c6\u03c9\u03bd\u03bf\u03cd\u03bc\u03b5"
        "\n\n")


def memo(srv, s, body):
    d, o = s["dana"], s["olga"]
    mid = d.post(memo_url(srv), json={"title": "Bench", "body": body}, timeout=60).json()["id"]
    for i in range(3):
        data = os.urandom(1000)
        a = d.post(memo_url(srv, mid, "attachments"), timeout=60, json={
            "name": "annex %d.bin" % i, "type": "application/octet-stream", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}).json()
        d.put(memo_url(srv, mid, "attachments/%s?offset=0" % a["id"]), data=data, timeout=60,
              headers={"Content-Type": "application/octet-stream"})
    for step in ("finalize", "signatures", "file"):
        assert d.post(memo_url(srv, mid, step), timeout=60).status_code < 300
    assert o.post(memo_url(srv, mid, "acknowledge"), timeout=60).status_code == 200
    assert o.post(memo_url(srv, mid, "reply"), json={"body": "Our *answer*."},
                  timeout=60).status_code == 200
    return mid


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    srv = Server()
    try:
        admin = srv.admin()
        for name, roles in (("dana", ["staff"]), ("olga", ["officer"])):
            srv.add_user(admin, name, roles, password=PASSWORD)
        s = {x: srv.login(x, PASSWORD) for x in ("dana", "olga")}
        big = ""
        i = 0
        while len((big + PARA.format(n=i)).encode()) < 200 * 1024:
            big += PARA.format(n=i)
            i += 1
        short, large = memo(srv, s, PARA.format(n=0)), memo(srv, s, big)
        pages = {}
        for mid in (short, large):
            for _ in range(n):
                r = s["olga"].get(memo_url(srv, mid, "record.pdf"), timeout=120)
                assert r.status_code == 200
            with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                f.write(r.content)
                f.flush()
                info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
            pages[mid] = (len(r.content), [x.split()[-1] for x in info.splitlines()
                                           if x.startswith("Pages:")][0])
    finally:
        srv.stop()
    xs = timings(srv.stderr_path, "/api/v1/memos/{id}/record.pdf", 0)
    show("record.pdf, short text (%d bytes, %s pages)" % pages[short], xs[1:n])
    show("record.pdf, 200 KiB text (%d bytes, %s pages)" % pages[large], xs[n + 1:])


if __name__ == "__main__":
    main()
