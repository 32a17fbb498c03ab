#!/usr/bin/python3
"""How long a single sign-on takes on the server (issue 19): the server's own request timings
(the "us" of each request's log line), for
  - POST /api/v1/sso/start (discovery cached: a state stored, the authorization URL made),
  - GET /api/v1/sso/callback (the state checked, the code exchanged at the provider's token
    endpoint over loopback HTTP, the ID token verified against the cached key set, the account
    found, a ticket stored): the provider's own answer time is inside it,
  - POST /api/v1/session {"sso": true, "password"} (the ticket spent, Argon2id at the default
    cost twice, as every password sign-in).
Against one `dissent serve` on SQLite and the tests' OpenID provider (npm's oidc-provider,
tests/browser/oidc-provider.mjs), both started here. Usage: bench/oidc.py [N] (default 100).
Prints the median and the 90th percentile of each, in milliseconds.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
if "DISSENT_BIN" not in os.environ:
    subprocess.run([os.path.join(ROOT, "scripts", "setup.sh"), "bench"], check=True)
    subprocess.run([os.path.join(ROOT, "scripts", "build.sh"), "release"], check=True, cwd=ROOT)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], check=True,
                   cwd=os.path.join(ROOT, "tests", "browser"))

from conftest import Server  # noqa: E402
from passkey import show, timings  # noqa: E402
from test_oidc import PASSPHRASE, Provider, desk_config, free_port, provider_signin  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    port = free_port()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="dissent-bench-oidc-"))
    config = desk_config(port, tmp)
    config["security"] = {"login_max_failures": "1000"}
    # each sign-in from its own (forwarded) address: the start throttle allows 30 a minute each
    config["server"] = {"trust_proxy": "127.0.0.1"}
    srv = Server(config=config, fast=False)
    op = Provider(port, srv.url + "/api/v1/sso/callback", srv.url + "/")
    try:
        b = srv.session()
        assert provider_signin(srv, b, "bench") == "/#/sso"
        b.post(srv.url + "/api/v1/enrol", json={"sso": True, "password": PASSPHRASE}, timeout=30)
        for i in range(n):
            b = srv.session()
            b.headers["X-Forwarded-For"] = "10.9.%d.%d" % (i // 250, i % 250 + 1)
            # (the provider's session is a new browser's each time: its sign-in page too)
            assert provider_signin(srv, b, "bench") == "/#/sso"
            r = b.post(srv.url + "/api/v1/session", json={"sso": True, "password": PASSPHRASE},
                       timeout=30)
            assert r.status_code == 200, r.text
    finally:
        op.stop()
        srv.stop()
    log = srv.stderr_path
    show("POST /api/v1/sso/start", timings(log, "/api/v1/sso/start", 1))
    show("GET /api/v1/sso/callback (303)", timings(log, "/api/v1/sso/callback", 1, status=303))
    show("POST /api/v1/session, sso and passphrase", timings(log, "/api/v1/session", 0))
    srv.cleanup()


if __name__ == "__main__":
    main()
