#!/usr/bin/python3
"""The measured part of bench/scale.sh, against `dissent serve` (PID) at BASE_URL over a data
directory bench/fill made (its accounts: olga, the officer; aud, the auditor; drafter00..19;
password "password-1").

  scale.py BASE_URL PID ROUNDS

Prints one line per figure: the median and slowest of ROUNDS requests (after one not counted,
unless the first is the figure), and the server's resident memory (VmRSS) and its peak (VmHWM)
after each group. Debian's python3 with python3-requests.
"""
import statistics
import sys
import time

import requests

HDR = {"X-Requested-With": "dissent"}
TIMEOUT = 600


def memory(pid):
    """(VmRSS, VmHWM) of the process, in MiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    return out["VmRSS"], out["VmHWM"]


def signed_in(base, name):
    s = requests.Session()
    s.headers.update(HDR)
    r = s.post(base + "/api/v1/session", json={"username": name, "password": "password-1"},
               timeout=TIMEOUT)
    assert r.status_code == 200, (name, r.status_code, r.text)
    return s


def timed(s, url):
    t = time.perf_counter()
    r = s.get(url, timeout=TIMEOUT)
    ms = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return ms, r


def figure(pid, name, s, url, rounds, first=False):
    """Time GET url ROUNDS times; the first is reported apart when @first."""
    ms, r = timed(s, url)
    if first:
        rss, hwm = memory(pid)
        print("%-58s %9.1f ms (first)  RSS %6.1f MiB  peak %6.1f MiB  %8d bytes" % (
            name, ms, rss, hwm, len(r.content)))
    times = [timed(s, url)[0] for _ in range(rounds)]
    rss, hwm = memory(pid)
    print("%-58s %9.1f ms median %8.1f max  RSS %6.1f MiB  peak %6.1f MiB  %8d bytes" % (
        name, statistics.median(times), max(times), rss, hwm, len(r.content)))
    sys.stdout.flush()
    return r


def main():
    base, pid, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rss, hwm = memory(pid)
    print("%-58s %9s    %8s       RSS %6.1f MiB  peak %6.1f MiB" % (
        "idle, after the start", "", "", rss, hwm))
    off, aud, dan = signed_in(base, "olga"), signed_in(base, "aud"), signed_in(base, "drafter00")

    # the officer's inbox: the queue's counts, its first and second pages, all filed memos
    r = figure(pid, "GET /api/v1/deadlines?limit=0 (the counts)", off,
               base + "/api/v1/deadlines?limit=0", rounds)
    counts = r.json()["counts"]
    r = figure(pid, "GET /api/v1/deadlines?limit=25 (queue, page 1)", off,
               base + "/api/v1/deadlines?limit=25", rounds)
    nxt = r.json()["next"]
    if nxt:
        figure(pid, "GET /api/v1/deadlines?limit=25&after= (page 2)", off,
               base + "/api/v1/deadlines?limit=25&after=" + nxt, rounds)
    r = figure(pid, "GET /api/v1/memos?role=officer&limit=25 (all filed)", off,
               base + "/api/v1/memos?role=officer&limit=25", rounds)
    newest = r.json()["memos"][0]["id"]
    r = figure(pid, "GET /api/v1/memos?role=drafter&limit=25 (a drafter's)", dan,
               base + "/api/v1/memos?role=drafter&limit=25", rounds)
    # the drafter's oldest memo: their list walked to its end
    oldest, after = None, ""
    while True:
        walk = dan.get(base + "/api/v1/memos?role=drafter&limit=200" + after,
                       timeout=TIMEOUT).json()
        if walk["memos"]:
            oldest = walk["memos"][-1]["id"]
        if not walk["next"]:
            break
        after = "&after=" + walk["next"]

    # the statistics: counted once after the start (on the pool), then kept per checkpoint
    figure(pid, "GET /api/v1/stats", aud, base + "/api/v1/stats", rounds, first=True)
    figure(pid, "GET /public", aud, base + "/public", rounds, first=True)

    # inclusion proofs: a filing receipt of the newest memo and of the oldest
    figure(pid, "GET .../receipt (newest memo: proof in the last tile)", off,
           base + "/api/v1/memos/%s/receipt" % newest, rounds)
    if oldest:
        figure(pid, "GET .../receipt (oldest memo: proof across the tree)", dan,
               base + "/api/v1/memos/%s/receipt" % oldest, rounds)
    figure(pid, "GET /api/v1/me", off, base + "/api/v1/me", rounds)
    print("queue counts: %s" % counts)


if __name__ == "__main__":
    main()
