"""HTTPS in the server ([tls] cert, key), SIGHUP's reload and systemd's notifications.

A private certificate authority is made here (python3-cryptography); the server's certificates
are issued by it for 127.0.0.1. Clients: requests (urllib3), Python's ssl module, and curl.
"""
import datetime
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import Server, BIN

DAY = datetime.timedelta(days=1)


class CA:
    """A certificate authority of the test's own, issuing server certificates for 127.0.0.1."""

    def __init__(self, directory):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Dissent test CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - DAY).not_valid_after(now + 30 * DAY)
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.path = os.path.join(directory, "ca.pem")
        with open(self.path, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, name, cn="127.0.0.1", start=-1, days=30):
        """A key and a certificate chain for @cn (and 127.0.0.1), valid from @start days from
        now for @days days; written as NAME.crt (certificate, then the CA's) and NAME.key."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        import ipaddress
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + start * DAY).not_valid_after(now + (start + days) * DAY)
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                    critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        crt, kp = os.path.join(self.dir, name + ".crt"), os.path.join(self.dir, name + ".key")
        with open(crt, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))
        with open(kp, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        os.chmod(kp, 0o600)
        return crt, kp, cert


@pytest.fixture
def ca(tmp_path):
    return CA(str(tmp_path))


def tls_server(ca, name="live", **kw):
    crt, key, cert = ca.issue(name)
    srv = Server(config={"tls": {"cert": crt, "key": key}}, **kw)
    srv.session_verify = ca.path
    return srv, cert


def peer_cert(port, ca_path, version=None):
    """The certificate the server presents on a new connection (DER), and the TLS version."""
    ctx = ssl.create_default_context(cafile=ca_path)
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.getpeercert(binary_form=True), t.version()


def wait_log(srv, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        log = srv.log()
        if text in log:
            return log
        time.sleep(0.05)
    raise AssertionError("no %r in the log:\n%s" % (text, srv.log()[-3000:]))


def test_https_serves_with_hsts_and_host_cookies(ca):
    srv, cert = tls_server(ca)
    try:
        assert srv.url.startswith("https://")
        # plain HTTP on the TLS port gets no answer
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("http://127.0.0.1:%d/healthz" % srv.port, timeout=5)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(srv.url + "/healthz", timeout=5)  # not trusted without the CA
        s = requests.Session()
        s.trust_env = False  # REQUESTS_CA_BUNDLE would take the place of s.verify
        s.verify = ca.path
        for _ in range(3):  # keep-alive: one connection, several requests
            r = s.get(srv.url + "/healthz", timeout=5)
            assert r.status_code == 200
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        pw = srv.admin_password
        r = s.post(srv.url + "/api/v1/session", json={"username": "admin", "password": pw},
                   headers={"Origin": srv.url, "X-Requested-With": "dissent"}, timeout=30)
        assert r.status_code in (200, 201), r.text
        cookie = r.headers["Set-Cookie"]
        assert cookie.startswith("__Host-dissent_session=") and "Secure" in cookie, cookie
        der, _ = peer_cert(srv.port, ca.path)
        assert der == cert.public_bytes(serialization.Encoding.DER)
        # curl, as an operator's monitoring would
        out = subprocess.run(["curl", "-sS", "--cacert", ca.path, "-o", "/dev/null", "-w",
                              "%{http_code} %{ssl_verify_result}", srv.url + "/healthz"],
                             capture_output=True, text=True, timeout=20)
        assert out.stdout == "200 0", (out.stdout, out.stderr)
    finally:
        assert srv.cleanup() == []


def test_only_tls_1_2_and_1_3(ca):
    srv, _ = tls_server(ca)
    try:
        for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            _, got = peer_cert(srv.port, ca.path, v)
            assert got == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[v]
        # TLS 1.1 and 1.0: refused (curl says so whatever its own library's floor)
        for flag in ("--tls-max", ):
            out = subprocess.run(["curl", "-sS", "--cacert", ca.path, "--tlsv1.0", flag, "1.1",
                                  srv.url + "/healthz"], capture_output=True, text=True, timeout=20)
            assert out.returncode != 0, out.stdout
        # a weak TLS 1.2 suite (no forward secrecy) is not offered
        ctx = ssl.create_default_context(cafile=ca.path)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-GCM-SHA256")
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
            with pytest.raises(ssl.SSLError):
                ctx.wrap_socket(s, server_hostname="127.0.0.1")
        # the server goes on serving after those refusals
        assert requests.get(srv.url + "/healthz", verify=ca.path, timeout=5).status_code == 200
    finally:
        assert srv.cleanup() == []


@pytest.mark.parametrize("case", ["expired", "not-yet", "wrong-key", "missing", "garbage",
                                  "cert-only"])
def test_a_bad_certificate_stops_the_start(ca, case, tmp_path):
    if case == "expired":
        crt, key, _ = ca.issue("old", start=-10, days=5)
        said = "expired"
    elif case == "not-yet":
        crt, key, _ = ca.issue("early", start=2, days=5)
        said = "not valid before"
    elif case == "wrong-key":
        crt, _, _ = ca.issue("a")
        _, key, _ = ca.issue("b")
        said = "not the key of"
    elif case == "missing":
        crt, key = str(tmp_path / "none.crt"), str(tmp_path / "none.key")
        said = "tls.cert"
    elif case == "garbage":
        crt, key = str(tmp_path / "junk.crt"), str(tmp_path / "junk.key")
        for p in (crt, key):
            with open(p, "w") as f:
                f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        said = "tls.cert"
    else:
        crt, _, _ = ca.issue("lone")
        key = None
        said = "tls.cert and tls.key go together"
    cfg = os.path.join(str(tmp_path), "bad.ini")
    with open(cfg, "w") as f:
        f.write("[tls]\ncert = %s\n" % crt + ("key = %s\n" % key if key else ""))
    r = subprocess.run([BIN, "serve", "--config", cfg, "--data", str(tmp_path / "var"),
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert said in r.stderr, r.stderr
    assert "listening" not in r.stdout
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr


def test_reload_swaps_the_certificate_without_dropping_a_connection(ca):
    srv, first = tls_server(ca)
    try:
        crt = srv_cfg(srv)["cert"]
        key = srv_cfg(srv)["key"]
        ctx = ssl.create_default_context(cafile=ca.path)
        old = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        old = ctx.wrap_socket(old, server_hostname="127.0.0.1")
        assert http_get(old) == 200
        # renewal, as certbot's deploy hook does it: the new files in place, then a reload
        ncrt, nkey, second = ca.issue("renewed")
        shutil.copy(ncrt, crt)
        shutil.copy(nkey, key)
        srv.proc.send_signal(signal.SIGHUP)
        wait_log(srv, "reload: TLS certificate")
        der, _ = peer_cert(srv.port, ca.path)
        assert der == second.public_bytes(serialization.Encoding.DER)
        assert der != first.public_bytes(serialization.Encoding.DER)
        # the connection made before the reload goes on, with its certificate
        assert old.getpeercert(binary_form=True) == first.public_bytes(serialization.Encoding.DER)
        assert http_get(old) == 200
        old.close()
        # a renewal that went wrong (an expired certificate, then junk): the one in use stays
        bcrt, bkey, _ = ca.issue("stale", start=-10, days=5)
        shutil.copy(bcrt, crt)
        shutil.copy(bkey, key)
        srv.proc.send_signal(signal.SIGHUP)
        log = wait_log(srv, "still serving the certificate")
        assert "expired" in log
        with open(crt, "w") as f:
            f.write("junk\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while srv.log().count("still serving the certificate") < 2 and time.time() < deadline:
            time.sleep(0.05)
        assert srv.log().count("still serving the certificate") == 2
        der, _ = peer_cert(srv.port, ca.path)
        assert der == second.public_bytes(serialization.Encoding.DER)
        assert requests.get(srv.url + "/healthz", verify=ca.path, timeout=5).status_code == 200
    finally:
        assert srv.cleanup() == []


def srv_cfg(srv):
    """The [tls] section of @srv's settings file."""
    out, section = {}, None
    with open(srv.config) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "tls" and "=" in line:
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def http_get(tls_sock, path="/healthz"):
    """One keep-alive GET on an open TLS socket; the status."""
    tls_sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = tls_sock.recv(4096)
        assert chunk, "the connection closed"
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, v = line.split(b":", 1)
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        rest += tls_sock.recv(4096)
    assert b"connection: close" not in head.lower()
    return int(head.split(b" ")[1])


def test_sighup_reopens_the_log_file_and_names_what_needs_a_restart(tmp_path):
    logfile = str(tmp_path / "dissent.log")
    srv = Server(config={"log": {"file": logfile}})
    try:
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
        with open(logfile) as f:
            assert '"event":"request"' in f.read()
        # logrotate: the file moved away, then SIGHUP
        os.rename(logfile, logfile + ".1")
        text = open(srv.config).read()
        text = text.replace("[log]\n", "[log]\nlevel = warn\n")
        text = text.replace("[server]\n", "[server]\nmax_body = 2048000\n")
        with open(srv.config, "w") as f:
            f.write(text)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        new = ""
        while "reload: done" not in new and time.time() < deadline:
            time.sleep(0.05)
            new = open(logfile).read() if os.path.exists(logfile) else ""
        assert "[server] max_body changed" in new and "restart to apply it" in new, new
        assert "reload: done (1 setting needs" in new, new
        # level = warn applied: a request's info line no longer appears
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
        time.sleep(0.2)
        with open(logfile) as f:
            assert '"event":"request"' not in f.read()
        # the rotated file has the lines from before and none after
        with open(logfile + ".1") as f:
            rotated = f.read()
        assert "reload: done" not in rotated
        # a file with an error changes nothing (and still opens the log again)
        with open(srv.config, "a") as f:
            f.write("[server]\nno_such_key = 1\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "nothing of the file was applied" not in open(logfile).read() and \
                time.time() < deadline:
            time.sleep(0.05)
        assert "no_such_key" in open(logfile).read()
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
    finally:
        assert srv.stop() == 0
        with open(logfile) as f:
            assert "Sanitizer" not in f.read()
        assert srv.cleanup() == []


def test_systemd_notifications(tmp_path):
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    srv = Server(env={"NOTIFY_SOCKET": path})
    try:
        first = sock.recv(4096).decode()
        assert "READY=1" in first and "MAINPID=%d" % srv.proc.pid in first, first
        # under systemd the first admin password goes in a file, not in the journal
        assert "password:" not in srv.stdout_text and srv.admin_password is None
        path = os.path.join(srv.data, "first-admin-password")
        assert "is in %s" % path in srv.stdout_text, srv.stdout_text
        assert os.stat(path).st_mode & 0o777 == 0o600
        pw = open(path).read().strip()
        r = requests.post(srv.url + "/api/v1/session", json={"username": "admin", "password": pw},
                          headers={"X-Requested-With": "dissent"}, timeout=30)
        assert r.status_code == 200, r.text
        srv.proc.send_signal(signal.SIGHUP)
        got = [sock.recv(4096).decode() for _ in range(2)]
        assert got == ["RELOADING=1", "READY=1"], got
        srv.proc.send_signal(signal.SIGTERM)
        assert sock.recv(4096).decode() == "STOPPING=1"
        assert srv.proc.wait(timeout=30) == 0
    finally:
        sock.close()
        assert srv.cleanup() == []


def test_a_slow_handshake_is_cut_at_the_timeout(ca):
    """A TLS handshake trickled in a byte at a time holds the connection no longer than
    [server] timeout, as a slow request does (slowloris)."""
    crt, key, _ = ca.issue("slow")
    srv = Server(config={"tls": {"cert": crt, "key": key}, "server": {"timeout": "2"}})
    try:
        ctx = ssl.create_default_context(cafile=ca.path)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, out, server_hostname="127.0.0.1")
        with pytest.raises(ssl.SSLWantReadError):
            obj.do_handshake()
        hello = out.read()
        assert len(hello) > 100
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        start, closed = time.time(), None
        for b in hello:
            try:
                s.sendall(bytes([b]))
            except OSError:
                closed = time.time() - start
                break
            s.settimeout(0.4)
            try:
                if s.recv(1) == b"":
                    closed = time.time() - start
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = time.time() - start
                break
            if time.time() - start > 8:
                break
        s.close()
        assert closed is not None and closed < 5, closed
        # the server goes on serving
        assert requests.get(srv.url + "/healthz", verify=ca.path, timeout=5).status_code == 200
    finally:
        assert srv.cleanup() == []
