#!/usr/bin/python3
"""The unmeasured parts of bench/sign.sh, against a running `dissent serve` at BASE_URL.

  sign_load.py users BASE_URL ADMIN_PASSWORD N DIR
      create the drafter and N signers (staff), sign each in, and write DIR/drafter.cookie and
      DIR/cookies (one `dissent_session=...` a line, signer 1 first)
  sign_load.py memo BASE_URL DIR N
      as the drafter: create a memo, invite the N signers, finalize it and sign it first; print
      the memo id
  sign_load.py check BASE_URL DIR MEMO_ID EXPECTED
      as the drafter: fail unless the memo's signer_count is EXPECTED and every signature in the
      bundle is there

Debian's python3 with python3-requests; nothing here is timed.
"""
import concurrent.futures
import os
import sys
import threading

import requests
import requests.adapters

HDR = {"X-Requested-With": "dissent"}
PASSWORD = "bench-password-not-secret"
THREADS = 8
TIMEOUT = 60

_local = threading.local()


def signer_name(i):
    return "signer%04d" % i


def session():
    """A requests.Session per thread (keep-alive, no retries)."""
    s = getattr(_local, "s", None)
    if s is None:
        s = requests.Session()
        s.mount("http://", requests.adapters.HTTPAdapter(max_retries=0))
        _local.s = s
    return s


def call(method, url, want, cookie=None, **kw):
    """Send one request; raise unless the status is @want. Returns the response."""
    headers = dict(HDR)
    if cookie:
        headers["Cookie"] = cookie
    r = session().request(method, url, headers=headers, timeout=TIMEOUT, **kw)
    if r.status_code != want:
        raise SystemExit("%s %s: %d (wanted %d): %s" % (method, url, r.status_code, want,
                                                        r.text[:300]))
    return r


def login(base, username, password):
    """Sign in; return the `dissent_session=...` cookie pair."""
    r = call("POST", base + "/api/v1/session", 200,
             json={"username": username, "password": password})
    token = r.cookies.get("dissent_session")
    if not token:
        raise SystemExit("sign-in of %s set no dissent_session cookie" % username)
    session().cookies.clear()  # every later call names its own cookie
    return "dissent_session=" + token


def parallel(fn, items):
    with concurrent.futures.ThreadPoolExecutor(THREADS) as ex:
        return list(ex.map(fn, items))


def cmd_users(base, admin_pw, n, outdir):
    admin = login(base, "admin", admin_pw)
    names = ["drafter"] + [signer_name(i) for i in range(1, n + 1)]

    def create(name):
        # an account is born without a password; its user enrols with the one-time code
        r = call("POST", base + "/api/v1/users", 201, cookie=admin,
                 json={"username": name, "roles": ["staff"]})
        call("POST", base + "/api/v1/enrol", 200,
             json={"username": name, "code": r.json()["enrolment"]["code"],
                   "password": PASSWORD})

    def signin(name):
        return login(base, name, PASSWORD)

    parallel(create, names)
    cookies = parallel(signin, names)
    with open(os.path.join(outdir, "drafter.cookie"), "w") as f:
        f.write(cookies[0] + "\n")
    with open(os.path.join(outdir, "cookies"), "w") as f:
        f.write("".join(c + "\n" for c in cookies[1:]))


def drafter_cookie(outdir):
    with open(os.path.join(outdir, "drafter.cookie")) as f:
        return f.read().strip()


def cmd_memo(base, outdir, n):
    d = drafter_cookie(outdir)
    body = ("We, the undersigned, ask that the decision be reconsidered before it takes "
            "effect.\n\nThe reasons are set out below.\n" * 20)
    r = call("POST", base + "/api/v1/memos", 201, cookie=d,
             json={"title": "Benchmark: a memo a thousand people sign", "body": body})
    mid = r.json()["id"]
    m = base + "/api/v1/memos/" + mid
    names = [signer_name(i) for i in range(1, n + 1)]
    for k in range(0, n, 1000):
        call("POST", m + "/invitations", 200, cookie=d, json={"usernames": names[k:k + 1000]})
    call("POST", m + "/finalize", 200, cookie=d)
    call("POST", m + "/signatures", 201, cookie=d)
    print(mid)


def cmd_check(base, outdir, mid, expected):
    d = drafter_cookie(outdir)
    m = call("GET", base + "/api/v1/memos/" + mid, 200, cookie=d).json()
    if m["signer_count"] != expected:
        raise SystemExit("memo %s: signer_count %d, expected %d" % (mid, m["signer_count"],
                                                                    expected))
    b = call("GET", base + "/api/v1/memos/" + mid + "/bundle", 200, cookie=d).json()
    if len(b["signatures"]) != expected or len(set(b["signers"])) != expected:
        raise SystemExit("memo %s: bundle holds %d signatures by %d signers, expected %d" %
                         (mid, len(b["signatures"]), len(set(b["signers"])), expected))


def main(argv):
    if len(argv) == 6 and argv[1] == "users":
        cmd_users(argv[2], argv[3], int(argv[4]), argv[5])
    elif len(argv) == 5 and argv[1] == "memo":
        cmd_memo(argv[2], argv[3], int(argv[4]))
    elif len(argv) == 6 and argv[1] == "check":
        cmd_check(argv[2], argv[3], argv[4], int(argv[5]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
