"""A real LDAP directory for the tests: Debian's slapd, with a throwaway configuration, database
and certificate authority under build/ (removed at stop), listening on a free loopback port and
speaking StartTLS with a certificate for 127.0.0.1. Entries are added and changed with Debian's
ldap-utils, as an administrator would.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUFFIX = "dc=example,dc=org"
ROOTDN = "cn=admin," + SUFFIX
ROOTPW = "directory-admin-secret"
READER = "cn=reader," + SUFFIX  # a plain account that may read (slapd's default access)
READERPW = "reader-secret"
SCHEMA = "/etc/ldap/schema"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=30, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s: %s%s" % (args[0], r.stdout, r.stderr))
    return r.stdout


class Slapd:
    def __init__(self, sizelimit=None):
        """@sizelimit: the most entries a search by anyone but the administrator returns."""
        base = os.path.join(ROOT, "build")
        os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="slapd-", dir=base)
        self._certs()
        os.mkdir(os.path.join(self.dir, "db"))
        conf = os.path.join(self.dir, "slapd.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "include %s/core.schema" % SCHEMA,
                "include %s/cosine.schema" % SCHEMA,
                "include %s/inetorgperson.schema" % SCHEMA,
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "pidfile %s/slapd.pid" % self.dir,
                "sizelimit %s" % (sizelimit or "unlimited"),
                "TLSCACertificateFile %s/ca.pem" % self.dir,
                "TLSCertificateFile %s/server.pem" % self.dir,
                "TLSCertificateKeyFile %s/server.key" % self.dir,
                "database mdb",
                "maxsize 10485760",
                'suffix "%s"' % SUFFIX,
                'rootdn "%s"' % ROOTDN,
                "rootpw %s" % ROOTPW,
                "directory %s/db" % self.dir,
                ""]))
        self.port = free_port()
        self.url = "ldap://127.0.0.1:%d" % self.port
        self.log = open(os.path.join(self.dir, "slapd.log"), "w")
        self.proc = subprocess.Popen(
            ["/usr/sbin/slapd", "-f", conf, "-h", self.url + "/", "-d", "0"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("slapd did not start")
                time.sleep(0.05)
        self.ldif("dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\n"
                  "dc: example\n\n"
                  "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n"
                  "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n"
                  "dn: cn=reader,%s\nobjectClass: person\ncn: reader\nsn: reader\n"
                  "userPassword: %s\n"
                  % (SUFFIX, SUFFIX, SUFFIX, SUFFIX, READERPW))

    def _certs(self):
        d = self.dir
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        run(["openssl", "req", "-x509", *ec, "-keyout", d + "/ca.key", "-out", d + "/ca.pem",
             "-days", "2", "-subj", "/CN=Dissent tests CA"])
        run(["openssl", "req", *ec, "-keyout", d + "/server.key", "-out", d + "/server.csr",
             "-subj", "/CN=127.0.0.1"])
        with open(d + "/san.ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run(["openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem",
             "-CAkey", d + "/ca.key", "-CAcreateserial", "-out", d + "/server.pem", "-days", "2",
             "-extfile", d + "/san.ext"])
        # another authority, which did not sign the server's certificate
        run(["openssl", "req", "-x509", *ec, "-keyout", d + "/other.key", "-out",
             d + "/other-ca.pem", "-days", "2", "-subj", "/CN=Another CA"])
        self.ca = d + "/ca.pem"
        self.other_ca = d + "/other-ca.pem"

    def _tool(self, tool, text):
        env = dict(os.environ, LDAPTLS_CACERT=self.ca)
        return run([tool, "-x", "-ZZ", "-H", self.url, "-D", ROOTDN, "-w", ROOTPW], input=text,
                   env=env)

    def ldif(self, text):
        """Add the entries of @text (LDIF)."""
        self._tool("ldapadd", text)

    def modify(self, text):
        self._tool("ldapmodify", text)

    def delete(self, dn):
        self._tool("ldapdelete", dn + "\n")

    def person(self, uid, cn, mail=None):
        self.ldif("dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n"
                  "%s" % (uid, SUFFIX, uid, cn, cn.split()[-1],
                          "mail: %s\n" % mail if mail else ""))

    def group(self, cn, uids):
        members = "".join("member: %s\n" % self.dn(u) for u in uids) or \
            "member: cn=nobody,%s\n" % SUFFIX
        self.ldif("dn: cn=%s,ou=groups,%s\nobjectClass: groupOfNames\ncn: %s\n%s"
                  % (cn, SUFFIX, cn, members))

    def set_members(self, cn, uids):
        lines = "".join("member: %s\n" % self.dn(u) for u in uids) or \
            "member: cn=nobody,%s\n" % SUFFIX
        self.modify("dn: cn=%s,ou=groups,%s\nchangetype: modify\nreplace: member\n%s"
                    % (cn, SUFFIX, lines))

    def dn(self, uid):
        return "uid=%s,ou=people,%s" % (uid, SUFFIX)

    def config(self, password_file, **extra):
        """[directory] for a server reading this directory."""
        with open(password_file, "w") as f:
            f.write(ROOTPW + "\n")
        conf = {"url": self.url, "ca_file": self.ca, "bind_dn": ROOTDN,
                "bind_password_file": password_file, "base_dn": "ou=people," + SUFFIX,
                "group_base_dn": "ou=groups," + SUFFIX, "interval": "0"}
        conf.update(extra)
        return {"directory": conf}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
