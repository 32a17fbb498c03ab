"""Behind a reverse proxy: the sign-in throttle counts the client address from X-Forwarded-For,
but only when the TCP peer is listed in [server] trust_proxy."""
import subprocess

import requests

from conftest import BIN, TIMEOUT

H = {"X-Requested-With": "dissent"}


def fail_login(url, name, xff):
    return requests.post(url + "/api/v1/session", json={"username": name, "password": "wrong-pass"},
                         headers={**H, "X-Forwarded-For": xff}, timeout=TIMEOUT)


def test_trusted_proxy_throttles_per_forwarded_client(make_server):
    srv = make_server(config={"server": {"trust_proxy": "127.0.0.1, ::1"}})
    for i in range(20):  # an address's allowance: four times a username's 5
        assert fail_login(srv.url, "user%d" % i, "203.0.113.7").status_code == 401
    # the same client, whatever username: throttled
    assert fail_login(srv.url, "someone", "203.0.113.7").status_code == 429
    # another client behind the same proxy is not; only the last hop counts
    assert fail_login(srv.url, "someone", "203.0.113.7, 198.51.100.9").status_code == 401


def test_untrusted_peer_forwarded_for_is_ignored(server):
    # without trust_proxy every request comes from 127.0.0.1, whatever it claims
    for i in range(20):
        assert fail_login(server.url, "user%d" % i, "203.0.113.%d" % i).status_code == 401
    assert fail_login(server.url, "someone", "198.51.100.1").status_code == 429


def test_trust_proxy_must_be_ip_literals(tmp_path):
    cfg = tmp_path / "bad.ini"
    cfg.write_text("[server]\ntrust_proxy = proxy.example\n")
    r = subprocess.run([BIN, "serve", "--config", str(cfg), "--data", str(tmp_path / "var"),
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "trust_proxy" in r.stderr
