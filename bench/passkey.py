#!/usr/bin/python3
"""How long a passkey sign-in takes on the server (issue 19): the server's own request timings
(the "us" of each request's log line), not the client's, for
  - POST /api/v1/session with a passkey alone (passwordless: the PRF output unwraps the keys),
  - POST /api/v1/session with the password and a passkey (Argon2id at the default cost twice,
    as every password sign-in),
  - POST /api/v1/session/passkey (the sign-in options: a challenge stored).
Against one `dissent serve` on SQLite started here (DISSENT_BIN; without it, the release tree is
installed and built first, as every bench script does, and build/dissent runs), with the
software authenticator of tests/api/test_passkeys.py. Usage: bench/passkey.py [N] (default 200).
Prints the median and the 90th percentile of each, in milliseconds.
"""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
if "DISSENT_BIN" not in os.environ:
    # as every bench script: what it needs installed, and the release tree built
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh"), "bench"], check=True)
    subprocess.run([os.path.join(ROOT, "scripts", "build.sh"), "release"], check=True, cwd=ROOT)

from conftest import PASSWORD, Server  # noqa: E402
from test_passkeys import Authenticator, register, signin_options, unb64u  # noqa: E402


def timings(path, route, skip, status=200):
    """The "us" of each logged request to @route that answered @status, after the first @skip."""
    out = []
    with open(path) as f:
        for line in f:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if d.get("event") == "request" and d.get("route") == route and \
                    d.get("status") == status:
                out.append(d["us"] / 1000.0)
    return out[skip:]


def show(name, xs):
    xs = sorted(xs)
    p90 = xs[int(len(xs) * 0.9) - 1]
    print("%-48s n=%4d  median %7.2f ms  p90 %7.2f ms" % (name, len(xs), statistics.median(xs), p90))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    # the default Argon2id cost (the password sign-ins measure it); the throttle out of the way
    srv = Server(config={"security": {"passwordless": "true", "login_max_failures": "1000"}},
                 fast=False)
    try:
        admin = srv.admin()
        srv.add_user(admin, "ann", ["staff"])
        s = srv.login("ann", PASSWORD)
        a = Authenticator()
        register(srv, s, a)
        before_opts = len(timings(srv.stderr_path, "/api/v1/session/passkey", 0))
        before = len(timings(srv.stderr_path, "/api/v1/session", 0))
        salt = None
        for _ in range(n):
            opts = signin_options(srv)
            salt = salt or unb64u(opts["publicKey"]["extensions"]["prf"]["eval"]["first"])
            r = srv.session().post(srv.url + "/api/v1/session",
                                   json={"passkey": a.get(opts, srv.url, salt=salt)}, timeout=30)
            assert r.status_code == 200, r.text
        alone = timings(srv.stderr_path, "/api/v1/session", before)
        mid = before + len(alone)
        for _ in range(max(10, n // 10)):
            body = {"username": "ann", "password": PASSWORD,
                    "passkey": a.get(signin_options(srv), srv.url)}
            r = srv.session().post(srv.url + "/api/v1/session", json=body, timeout=30)
            assert r.status_code == 200, r.text
        both = timings(srv.stderr_path, "/api/v1/session", mid)
        opts = timings(srv.stderr_path, "/api/v1/session/passkey", before_opts)
        show("POST /api/v1/session/passkey (options)", opts)
        show("POST /api/v1/session, a passkey alone", alone)
        show("POST /api/v1/session, password and passkey", both)
    finally:
        problems = srv.cleanup()
        if problems:
            print("\n".join(problems))


if __name__ == "__main__":
    main()
