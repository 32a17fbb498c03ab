#!/usr/bin/python3
"""Attached files (issue 20): upload and download throughput, and the server's memory meanwhile.

One `dissent serve` (SQLite in a temporary data directory, or PostgreSQL with
DISSENT_TEST_PG_URI_BASE set) on loopback; a drafter uploads files of 1, 5 and 25 MiB in the
server's parts (its default body limit, 1 MiB: one request each, over one keep-alive
connection, as the web interface does), then downloads each (streamed, read in 64 KiB pieces).
Each file is uploaded and downloaded three times (a new file each time); the median is printed.

While each transfer runs, the server's resident memory (VmRSS of /proc/PID/status) is sampled
every 5 ms; printed: its value before the first transfer and its peak during each size's
transfers, so that one sees whether the memory grows with the file. Usage:
bench/attachments.py (prints a table in MB/s and MiB).
"""
import hashlib
import os
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
if "DISSENT_BIN" not in os.environ:
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh"), "bench"], check=True)
    subprocess.run([os.path.join(ROOT, "scripts", "build.sh"), "release"], check=True, cwd=ROOT)

from conftest import Server, memo_url  # noqa: E402

SIZES = (1, 5, 25)  # MiB
RUNS = 3


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Peak:
    """The peak VmRSS of @pid while the block runs, sampled every 5 ms."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.005)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, rss_kib(self.pid))


def main():
    srv = Server(config={"records": {"file_max": str(25 << 20)}})
    try:
        admin = srv.admin()
        srv.add_user(admin, "dana", ["staff"])
        s = srv.login("dana", "correct horse battery")
        mid = s.post(memo_url(srv), json={"title": "Bench", "body": "Files."}, timeout=60).json()["id"]
        pid = srv.proc.pid
        base = rss_kib(pid)
        rows = []
        for mib in SIZES:
            up, down, peak_up, peak_down = [], [], 0, 0
            for run in range(RUNS):
                data = os.urandom(mib << 20)
                a = s.post(memo_url(srv, mid, "attachments"), timeout=60, json={
                    "name": "f%d-%d.bin" % (mib, run), "type": "application/octet-stream",
                    "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}).json()
                step = a["part_size"]
                with Peak(pid) as p:
                    t0 = time.perf_counter()
                    for off in range(0, len(data), step):
                        r = s.put(memo_url(srv, mid, "attachments/%s?offset=%d" % (a["id"], off)),
                                  data=data[off:off + step], timeout=60,
                                  headers={"Content-Type": "application/octet-stream"})
                        assert r.status_code == 200, r.text
                    up.append(len(data) / (time.perf_counter() - t0) / 1e6)
                peak_up = max(peak_up, p.peak)
                assert r.json()["complete"]
                with Peak(pid) as p:
                    t0 = time.perf_counter()
                    h = hashlib.sha256()
                    with s.get(memo_url(srv, mid, "attachments/%s/content" % a["id"]), stream=True,
                               timeout=60) as r:
                        assert r.status_code == 200, r.text
                        for piece in r.iter_content(65536):
                            h.update(piece)
                    down.append(len(data) / (time.perf_counter() - t0) / 1e6)
                peak_down = max(peak_down, p.peak)
                assert h.hexdigest() == a["sha256"], "the download is not the file"
            rows.append((mib, statistics.median(up), statistics.median(down), peak_up, peak_down))
    finally:
        srv.stop()
    print("server RSS before the first transfer: %.1f MiB" % (base / 1024))
    print("| file | upload | download | peak RSS, uploads | peak RSS, downloads |")
    print("|---|---|---|---|---|")
    for mib, up, down, pu, pd in rows:
        print("| %d MiB | %.0f MB/s | %.0f MB/s | %.1f MiB | %.1f MiB |"
              % (mib, up, down, pu / 1024, pd / 1024))


if __name__ == "__main__":
    main()
