#!/usr/bin/env python3
"""Fill a running server's transparency log through the API (bench/tlog.sh, untimed):
MEMOS memos each go filed -> acknowledged -> replied -> closed (the drafter accepts), five log entries apiece (the
filing anchors the read audit too). The server must send replies without the head's approval
([channel] reply_approval = false).
Usage: tlog_http.py URL ADMIN_PASSWORD MEMOS"""
import sys
import time

import requests

url, admin_pw, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
H = {"X-Requested-With": "dissent"}


def login(name, pw):
    s = requests.Session()
    s.headers.update(H)
    r = s.post(url + "/api/v1/session", json={"username": name, "password": pw}, timeout=30)
    r.raise_for_status()
    return s


admin = login("admin", admin_pw)
for name, role in (("drafter", "staff"), ("officer", "officer")):
    r = admin.post(url + "/api/v1/users", json={"username": name, "roles": [role]}, timeout=30)
    r.raise_for_status()
    # the account's user enrols with the one-time code and chooses the password
    e = requests.post(url + "/api/v1/enrol", headers=H, timeout=30, json={
        "username": name, "code": r.json()["enrolment"]["code"], "password": "bench-password"})
    e.raise_for_status()
officer = login("officer", "bench-password")  # creates the channel key
drafter = login("drafter", "bench-password")
for i in range(count):
    r = drafter.post(url + "/api/v1/memos", json={"title": "memo %d" % i, "body": "text"})
    r.raise_for_status()
    m = url + "/api/v1/memos/" + r.json()["id"]
    for s, action, body in ((drafter, "/finalize", None), (drafter, "/signatures", None),
                            (drafter, "/file", None), (officer, "/acknowledge", None),
                            (officer, "/reply", {"body": "answer"}), (drafter, "/accept", None)):
        r = s.post(m + action, json=body) if body else s.post(m + action)
        r.raise_for_status()
# the next scheduled checkpoint covers it all (one a second here)
for _ in range(100):
    size = int(requests.get(url + "/log/checkpoint", timeout=30).text.split("\n")[1])
    if size >= 5 * count:
        break
    time.sleep(0.1)
print(size)
