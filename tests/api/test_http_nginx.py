"""Issue 15: the smuggling attacks of test_http_framing.py, through a real nginx configured exactly
as docs/deploy.md says (TLS in front, HTTP/1.1 keep-alive to the upstream).

The configuration is read from docs/deploy.md's nginx block, with only the addresses, ports and
certificate paths replaced, so that the documented configuration is the one tested.

Each attack carries, where a desynchronised server would take it for the next request, the start
of a request of the attacker's own: a POST /api/v1/memos with the attacker's cookie, a body
length, and an unfinished last field. A server that ran it would append the next request on that
upstream connection, a victim's, to it and store the victim's draft in the attacker's account.
After each attack a victim, on a client connection of their own, saves a draft: they must get
their own 201, the draft must be theirs, and the attacker must have none at the end.
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import requests
import urllib3

from conftest import ROOT, TIMEOUT
from test_http_framing import doubtful

HOST = "dissent.example.org"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deploy_nginx_block():
    """The nginx configuration of docs/deploy.md, section 3."""
    with open(os.path.join(ROOT, "docs", "deploy.md")) as f:
        text = f.read()
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.S)
    assert len(blocks) >= 1, "docs/deploy.md has no nginx block"
    return blocks[0]


class Nginx:
    """nginx started from docs/deploy.md's block in front of `upstream_port`."""

    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="dissent-nginx-")
        os.chmod(self.dir, 0o755)  # nginx's workers run as an unprivileged user
        self.tls_port, self.plain_port = free_port(), free_port()
        crt, key = os.path.join(self.dir, "dissent.crt"), os.path.join(self.dir, "dissent.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=" + HOST,
                        "-keyout", key, "-out", crt], check=True, capture_output=True, timeout=60)
        block = deploy_nginx_block()
        # only addresses, ports and paths change
        block, n = re.subn(r"server 10\.0\.0\.\d+:8080", "server 127.0.0.1:%d" % upstream_port,
                           block)
        assert n >= 1, block
        block, n = re.subn(r"listen 443 ssl", "listen 127.0.0.1:%d ssl" % self.tls_port, block)
        assert n == 1, block
        block, n = re.subn(r"listen 80;", "listen 127.0.0.1:%d;" % self.plain_port, block)
        assert n == 1, block
        block = block.replace("/etc/ssl/dissent.crt", crt).replace("/etc/ssl/dissent.key", key)
        tmp = os.path.join(self.dir, "tmp")
        os.mkdir(tmp)
        os.chmod(tmp, 0o777)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write("worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log info;\n"
                    "events { worker_connections 256; }\nhttp {\n    access_log off;\n"
                    % (self.dir, self.dir))
            for what in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                f.write("    %s_temp_path %s;\n" % (what, tmp))
            f.write(block + "}\n")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", conf, "-g", "daemon off;"],
                                     stderr=subprocess.PIPE)
        self.url = "https://127.0.0.1:%d" % self.tls_port
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.tls_port), timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx: " + self.proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def raw(self, data, timeout=2.0):
        """Send `data` over TLS on a new client connection; return what comes back until the
        first whole answer (or the connection closes, or `timeout` passes), and the socket, left
        open as an attacker would leave it."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.tls_port),
                                                     timeout=timeout), server_hostname=HOST)
        s.sendall(data)
        got = b""
        try:
            while True:
                head, sep, body = got.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
                    if m and len(body) >= int(m.group(1)):
                        break
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            pass
        return got, s

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def proxied(make_server):
    """A server configured as docs/deploy.md says, behind nginx."""
    srv = make_server(config={"server": {"behind_tls": "true", "origin": "https://" + HOST,
                                         "trust_proxy": "127.0.0.1"}})
    ngx = Nginx(srv.port)
    yield srv, ngx
    ngx.stop()


def through(ngx):
    """A requests session to the server through nginx, as a browser at https://HOST."""
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
    s.verify = False     # the test's own self-signed certificate
    s.headers.update({"Host": HOST, "X-Requested-With": "dissent", "Origin": "https://" + HOST})
    return s


def sign_in(srv, ngx, username, password):
    s = through(ngx)
    r = s.post(ngx.url + "/api/v1/session", json={"username": username, "password": password},
               timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return s


def add_drafter(srv, ngx, admin, name):
    r = admin.post(ngx.url + "/api/v1/users", json={"username": name, "roles": ["staff"]},
                   timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    r = through(ngx).post(ngx.url + "/api/v1/enrol", timeout=TIMEOUT,
                          json={"username": name, "code": r.json()["enrolment"]["code"],
                                "password": "correct horse battery"})
    assert r.status_code == 200, r.text
    return sign_in(srv, ngx, name, "correct horse battery")


def drafts_of(session, ngx):
    """The titles of every draft of the caller's, page after page."""
    titles, after = [], None
    while True:
        r = session.get(ngx.url + "/api/v1/memos", timeout=TIMEOUT,
                        params={"role": "drafter", "limit": 100,
                                **({"after": after} if after else {})})
        assert r.status_code == 200, r.text
        titles += [m["title"] for m in r.json()["memos"]]
        after = r.json().get("next")
        if not after:
            return sorted(titles)


def test_smuggling_through_the_documented_nginx(proxied):
    srv, ngx = proxied
    admin = sign_in(srv, ngx, "admin", srv.admin_password)
    attacker = add_drafter(srv, ngx, admin, "mallory")
    victim = add_drafter(srv, ngx, admin, "victor")
    cookie = "; ".join("%s=%s" % (c.name, c.value) for c in attacker.cookies)
    assert cookie.startswith("__Host-dissent_session="), cookie  # behind TLS, as deployed
    # the attacker's unfinished request: whatever follows it on the upstream connection would
    # become its body
    poison = ("POST /api/v1/memos HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n"
              "X-Requested-With: dissent\r\nOrigin: https://%s\r\n"
              "Content-Type: application/json\r\nContent-Length: 400\r\nX-Ignore: "
              % (HOST, cookie, HOST)).encode()
    attacks = doubtful(poison)
    assert len(attacks) >= 50
    saved = []
    for name, (data, _, _) in sorted(attacks.items()):
        # the attack, with the Host this deployment answers to
        data = data.replace(b"Host: x\r\n", b"Host: %s\r\n" % HOST.encode())
        answer, sock = ngx.raw(data)
        try:
            assert not re.match(rb"HTTP/1\.[01] 2\d\d ", answer) or b"/memos" not in data[:40], \
                (name, answer[:300])
            # the victim, on a connection of their own, while the attacker's stays open
            title = "victim draft after %s" % name
            try:
                r = victim.post(ngx.url + "/api/v1/memos", timeout=TIMEOUT,
                                json={"title": title, "body": "Confidential.\n",
                                      "show_signer_names": True})
            except requests.RequestException as e:
                pytest.fail("%s: the victim got no answer of their own: %s" % (name, e))
            assert r.status_code == 201, (name, r.status_code, r.text[:300])
            assert r.json()["title"] == title, (name, r.text[:300])
            saved.append(title)
        finally:
            sock.close()
    assert drafts_of(victim, ngx) == sorted(saved)
    assert drafts_of(attacker, ngx) == []
    # no memo was created but the victim's
    created = re.findall(r'"method":"POST","route":"/api/v1/memos","status":201', srv.log())
    assert len(created) == len(saved), (len(created), len(saved))
