"""Issue 19, part 2: single sign-on through OpenID Connect, against a real OpenID provider
(npm's oidc-provider, run by tests/browser/oidc-provider.mjs on a free loopback port) driven
as a browser would: this server's start, the provider's own sign-in page, the redirect back.

Covered: a good sign-in (authorization code with PKCE, state and nonce; the ID token checked
against the provider's key set, RS256 and ES256); enrolment with a key passphrase the provider
never sees, then the passphrase (and only it) opening the keys; accounts made, linked, refused
(another subject, an operator, no account, a bad username, a disabled one); roles from groups,
logged; a linked account refused a password-only sign-in; sign-out with the provider's logout
URL; and every refusal of a token: another audience, expired, a bad signature, a swapped nonce,
an unknown key, then that key rotated in. Plus the state: another browser's, replayed, or the
provider's error.
"""
import json
import os
import re
import socket
import subprocess
import time
from urllib.parse import parse_qs, urljoin, urlparse

import pytest

from conftest import PASSWORD, TIMEOUT, assert_error
from keyhelpers import call
from loghelpers import caught_up, fetch_entries, parse_entry

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "..", "browser")
SECRET = "client secret of the tests"
PASSPHRASE = "my own key passphrase"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    """tests/browser/oidc-provider.mjs, started and stopped by the test."""

    def __init__(self, port, redirect_uri, post_logout_uri, alg="RS256"):
        self.proc = subprocess.Popen(
            ["node", "oidc-provider.mjs", "--port", str(port), "--client-id", "dissent",
             "--client-secret", SECRET, "--redirect-uri", redirect_uri, "--post-logout-uri",
             post_logout_uri, "--alg", alg],
            cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError("the OpenID provider did not start")
        self.issuer = json.loads(line)["issuer"]

    def control(self, what, body):
        import requests
        r = requests.post(self.issuer + "/__test/" + what, json=body, timeout=TIMEOUT)
        assert r.status_code == 200, r.text

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.proc.stdout.close()


def desk_config(port, tmp_path, **oidc):
    secret = tmp_path / "client-secret"
    secret.write_text(SECRET + "\n")
    conf = {"issuer": "http://127.0.0.1:%d" % port, "client_id": "dissent",
            "client_secret_file": str(secret), "roles_claim": "groups",
            "role_officer": "officers", "role_head": "heads", "role_principal": "principals",
            "create_accounts": "true", "username_domain": "example.org"}
    conf.update(oidc)
    return {"oidc": conf}


def with_provider(make_server, tmp_path, alg="RS256", security=None, **oidc):
    """A server set for a provider on a free port, and that provider started. The port is
    free when chosen, but the suites run side by side: one taken meanwhile (the provider exits
    at once) is tried again on another, with another server."""
    for attempt in range(3):
        port = free_port()
        conf = desk_config(port, tmp_path, **oidc)
        if security:
            conf["security"] = security
        srv = make_server(config=conf)
        try:
            return srv, Provider(port, srv.url + "/api/v1/sso/callback", srv.url + "/", alg=alg)
        except RuntimeError:
            srv.stop()
            if attempt == 2:
                raise


@pytest.fixture
def sso(make_server, tmp_path):
    srv, op = with_provider(make_server, tmp_path)
    yield srv, op
    op.stop()


def provider_signin(srv, b, login, follow_web=False):
    """Browser @b signs in at the provider as @login (its sign-in page, when it asks); returns
    where this server's callback sends the browser ("/#/sso" or "/#/sso?error=CODE")."""
    r = call(b, "POST", srv.url + "/api/v1/sso/start")
    url = r.json()["url"]
    q = parse_qs(urlparse(url).query)
    assert q["response_type"] == ["code"] and q["code_challenge_method"] == ["S256"]
    assert q["client_id"] == ["dissent"] and "openid" in q["scope"][0].split()
    assert len(q["state"][0]) == 43 and len(q["nonce"][0]) == 43
    for _ in range(12):
        r = b.get(url, allow_redirects=False, timeout=TIMEOUT)
        if r.status_code in (302, 303):
            url = urljoin(url, r.headers["Location"])
            if url.startswith(srv.url + "/api/v1/sso/callback"):
                r = b.get(url, allow_redirects=False, timeout=TIMEOUT)
                assert r.status_code == 303, r.text
                return r.headers["Location"]
            continue
        assert r.status_code == 200, r.text
        form = re.search(r'action="([^"]+)"', r.text)
        assert form and 'name="login"' in r.text, r.text[:500]
        r = b.post(urljoin(url, form.group(1)), allow_redirects=False, timeout=TIMEOUT,
                   data={"prompt": "login", "login": login, "password": "anything"})
        assert r.status_code in (302, 303), r.text
        url = urljoin(url, r.headers["Location"])
    raise AssertionError("the sign-in never came back")


def pending(srv, b):
    return call(b, "GET", srv.url + "/api/v1/sso").json()["pending"]


def browser(srv):
    return srv.session()


def enrol_and_sign_in(srv, b, passphrase=PASSPHRASE):
    r = call(b, "POST", srv.url + "/api/v1/enrol", {"sso": True, "password": passphrase})
    assert r.json()["recovery_key"]
    return call(b, "POST", srv.url + "/api/v1/session", {"sso": True, "password": passphrase})


def test_sign_in_enrol_then_the_passphrase_opens_the_keys(sso):
    srv, op = sso
    op.control("accounts", {"alice": {"name": "Alice Example", "email": "alice@example.org"}})
    b = browser(srv)
    assert call(b, "GET", srv.url + "/api/v1/sso").json() == {
        "enabled": True, "passwords": False, "pending": None}
    assert provider_signin(srv, b, "alice") == "/#/sso"
    assert pending(srv, b) == {"username": "alice", "display_name": "Alice Example",
                               "enrol": True, "passkeys": False}
    # the account was made pending enrolment: no session yet, no keys
    assert_error(b.get(srv.url + "/api/v1/me", timeout=TIMEOUT), 401)
    enrol_and_sign_in(srv, b)
    me = call(b, "GET", srv.url + "/api/v1/me").json()
    assert me["username"] == "alice" and me["roles"] == ["staff"] and me["sso"] is True
    assert me["display_name"] == "Alice Example" and me["email"] == "alice@example.org"
    # the ticket was spent
    assert_error(b.post(srv.url + "/api/v1/session", json={"sso": True, "password": PASSPHRASE},
                        timeout=TIMEOUT), 401, "sso_expired")
    # a linked account never signs in with its password alone
    assert_error(srv.session().post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
        "username": "alice", "password": PASSPHRASE}), 401, "sso_required")
    # sign-out, with the provider's own (RP-initiated logout)
    r = b.delete(srv.url + "/api/v1/session", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    out = urlparse(r.json()["logout_url"])
    assert out.scheme + "://" + out.netloc == op.issuer and out.path == "/session/end"
    assert parse_qs(out.query) == {"client_id": ["dissent"],
                                   "post_logout_redirect_uri": [srv.url + "/"]}
    # again: the provider remembers the person; the passphrase opens the keys, a wrong one
    # does not, and the ticket survives a wrong try
    assert provider_signin(srv, b, "alice") == "/#/sso"
    assert pending(srv, b)["enrol"] is False
    assert_error(b.post(srv.url + "/api/v1/session", json={"sso": True, "password": "wrong one!"},
                        timeout=TIMEOUT), 401, "invalid_credentials")
    assert_error(b.post(srv.url + "/api/v1/enrol", json={"sso": True, "password": PASSPHRASE},
                        timeout=TIMEOUT), 409, "enrolled")
    r = call(b, "POST", srv.url + "/api/v1/session", {"sso": True, "password": PASSPHRASE})
    assert r.json()["user"]["username"] == "alice"


def test_groups_give_roles_and_the_log_says_so(sso):
    srv, op = sso
    op.control("accounts", {"olga": {"groups": ["officers"]},
                            "hana": {"groups": ["heads"]},
                            "gina": {"preferred_username": "Gina.B@Example.ORG"},
                            "otto": {"preferred_username": "otto@other.example"}})
    # an organisation's principal names: its domain dropped, another domain refused
    g = browser(srv)
    assert provider_signin(srv, g, "gina") == "/#/sso"
    assert pending(srv, g)["username"] == "gina.b"
    assert provider_signin(srv, browser(srv), "otto") == "/#/sso?error=sso_username"
    b = browser(srv)
    assert provider_signin(srv, b, "olga") == "/#/sso"
    enrol_and_sign_in(srv, b)
    assert sorted(call(b, "GET", srv.url + "/api/v1/me").json()["roles"]) == ["officer", "staff"]
    # a head without the officers' group cannot be made: refused, clearly
    h = browser(srv)
    assert provider_signin(srv, h, "hana") == "/#/sso?error=sso_roles"
    # groups change at the provider: the next sign-in follows them, and the log says so
    op.control("accounts", {"olga": {"groups": ["officers", "heads"]}})
    b2 = browser(srv)
    assert provider_signin(srv, b2, "olga") == "/#/sso"
    call(b2, "POST", srv.url + "/api/v1/session", {"sso": True, "password": PASSPHRASE})
    assert sorted(call(b2, "GET", srv.url + "/api/v1/me").json()["roles"]) == [
        "head", "officer", "staff"]
    # an account an administrator made, not linked yet, whose groups give it more: linked and
    # given the roles at its first sign-in through the provider, in one transaction
    admin = srv.admin()
    srv.add_user(admin, "erin", ["staff"])
    op.control("accounts", {"erin": {"groups": ["officers"]}})
    e = browser(srv)
    assert provider_signin(srv, e, "erin") == "/#/sso"
    call(e, "POST", srv.url + "/api/v1/session", {"sso": True, "password": PASSWORD})
    me = call(e, "GET", srv.url + "/api/v1/me").json()
    assert sorted(me["roles"]) == ["officer", "staff"] and me["sso"] is True
    _, _, size, _ = caught_up(srv)
    events = [parse_entry(e)["event"] for e in fetch_entries(srv.url, size)]
    assert events.count("officer-added") == 2 and events.count("head-added") == 1


def test_account_mapping_refusals(make_server, tmp_path):
    srv, op = with_provider(make_server, tmp_path, create_accounts="false")
    try:
        admin = srv.admin()
        srv.add_user(admin, "carol", ["staff"])
        srv.add_user(admin, "dora", ["staff"])
        op.control("accounts", {"carol": {}, "mallory": {"preferred_username": "carol"},
                                "nobody": {}, "root": {"preferred_username": "admin"},
                                "bad": {"preferred_username": "Not a name!"}, "dora": {}})
        # an existing account is linked at its first sign-in, and keeps its keys
        b = browser(srv)
        assert provider_signin(srv, b, "carol") == "/#/sso"
        assert pending(srv, b)["enrol"] is False
        call(b, "POST", srv.url + "/api/v1/session", {"sso": True, "password": PASSWORD})
        assert_error(srv.session().post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
            "username": "carol", "password": PASSWORD}), 401, "sso_required")
        # another person whose username claim says carol: refused
        assert provider_signin(srv, browser(srv), "mallory") == "/#/sso?error=sso_conflict"
        # an operator's account is never linked without allow_admin
        assert provider_signin(srv, browser(srv), "root") == "/#/sso?error=sso_conflict"
        # nobody here, and no accounts made
        assert provider_signin(srv, browser(srv), "nobody") == "/#/sso?error=sso_no_account"
        assert provider_signin(srv, browser(srv), "bad") == "/#/sso?error=sso_username"
        # a disabled account
        call(admin, "PATCH", srv.url + "/api/v1/users/dora", {"disabled": True})
        assert provider_signin(srv, browser(srv), "dora") == "/#/sso?error=sso_disabled"
        # the admin still signs in with a password (never linked)
        assert srv.login("admin", srv.admin_password)
        log = srv.log()
        assert "linked to another person" in log and "no account nobody" in log
        assert SECRET not in log
    finally:
        op.stop()


def test_every_bad_token_is_refused_then_a_rotation_is_followed(sso):
    srv, op = sso
    for mode in ("aud", "expired", "badsig", "nonce", "newkey"):
        op.control("mode", {"mode": mode})
        assert provider_signin(srv, browser(srv), "eve") == "/#/sso?error=sso_token", mode
    log = srv.log()
    for why in ("issued for another client", "has expired", "signature does not verify",
                "nonce is not this sign-in's"):
        assert why in log, why
    assert "does not hold, even fetched again" in log
    # the provider rotates its key: the unknown key is fetched once, and signs in
    op.control("mode", {"mode": "rotate"})
    b = browser(srv)
    assert provider_signin(srv, b, "eve") == "/#/sso"
    assert pending(srv, b)["username"] == "eve"


def test_the_state_is_this_browsers_and_single_use(sso):
    srv, op = sso
    b = browser(srv)
    r = call(b, "POST", srv.url + "/api/v1/sso/start")
    state = parse_qs(urlparse(r.json()["url"]).query)["state"][0]
    # another browser (no cookie) brings the callback: refused before the provider is asked
    r = browser(srv).get(srv.url + "/api/v1/sso/callback?code=x&state=" + state,
                         allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303 and r.headers["Location"] == "/#/sso?error=sso_state"
    # a callback naming another issuer (RFC 9207)
    r = b.get(srv.url + "/api/v1/sso/callback?code=x&iss=https://evil.example&state=" + state,
              allow_redirects=False, timeout=TIMEOUT)
    assert r.headers["Location"] == "/#/sso?error=sso_state"
    # the provider's error (the person cancelled) is told as such
    r = b.get(srv.url + "/api/v1/sso/callback?error=access_denied&state=" + state,
              allow_redirects=False, timeout=TIMEOUT)
    assert r.headers["Location"] == "/#/sso?error=sso_denied"
    # that state is spent: a replay is refused
    r = b.get(srv.url + "/api/v1/sso/callback?code=x&state=" + state, allow_redirects=False,
              timeout=TIMEOUT)
    assert r.headers["Location"] == "/#/sso?error=sso_state"
    # sso in a sign-in without a ticket
    assert_error(browser(srv).post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
        "sso": True, "password": "x" * 8}), 401, "sso_expired")
    assert_error(b.post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
        "sso": "yes", "password": "x" * 8}), 422, field="sso")


def test_es256_tokens(make_server, tmp_path):
    srv, op = with_provider(make_server, tmp_path, alg="ES256")
    try:
        b = browser(srv)
        assert provider_signin(srv, b, "frank") == "/#/sso"
        enrol_and_sign_in(srv, b)
        assert call(b, "GET", srv.url + "/api/v1/me").json()["username"] == "frank"
    finally:
        op.stop()


def test_an_unreachable_provider_and_sso_off(make_server, tmp_path):
    port = free_port()  # nobody listens there
    srv = make_server(config=desk_config(port, tmp_path))
    assert_error(srv.session().post(srv.url + "/api/v1/sso/start", timeout=TIMEOUT), 502,
                 "sso_provider")
    plain = make_server()
    assert call(plain.session(), "GET", plain.url + "/api/v1/sso").json() == {
        "enabled": False, "passwords": True, "pending": None}
    assert_error(plain.session().post(plain.url + "/api/v1/sso/start", timeout=TIMEOUT), 404,
                 "sso_off")


def test_bad_settings_refuse_to_start(tmp_path):
    from conftest import BIN
    secret = tmp_path / "s"
    secret.write_text("x\n")
    for oidc, words in (
            ({"issuer": "http://idp.example", "client_id": "a",
              "client_secret_file": str(secret)}, "https"),
            ({"issuer": "https://idp.example", "client_secret_file": str(secret)}, "client_id"),
            ({"issuer": "https://idp.example", "client_id": "a"}, "client_secret_file"),
            ({"issuer": "https://idp.example", "client_id": "a", "client_secret_file": str(secret),
              "role_admin": "admins"}, "allow_admin"),
            ({"issuer": "https://idp.example", "client_id": "a", "client_secret_file": str(secret),
              "scopes": "profile"}, "openid")):
        ini = tmp_path / "d.ini"
        ini.write_text("[oidc]\n" + "".join("%s = %s\n" % kv for kv in oidc.items()))
        r = subprocess.run([BIN, "serve", "--config", str(ini), "--data", str(tmp_path / "v"),
                            "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0 and words in r.stderr, (oidc, r.stderr)


def test_a_passkey_with_prf_opens_the_memos_after_the_provider(sso):
    """After the provider vouched for the person, a passkey of theirs that unlocks the keys
    opens the session alone (whatever [security] passwordless says); another account's passkey
    does not, and the ticket survives that try."""
    from test_passkeys import Authenticator, register, signin_options, unb64u
    srv, op = sso
    b = browser(srv)
    assert provider_signin(srv, b, "pat") == "/#/sso"
    enrol_and_sign_in(srv, b)
    a = Authenticator()
    register(srv, b, a, password=PASSPHRASE)
    # someone else's passkey, registered on a local account
    admin = srv.admin()
    srv.add_user(admin, "quinn", ["staff"])
    other = Authenticator()
    register(srv, srv.login("quinn", PASSWORD), other)
    b2 = browser(srv)
    assert provider_signin(srv, b2, "pat") == "/#/sso"
    assert pending(srv, b2)["passkeys"] is True
    opts = signin_options(srv, b2)
    salt = unb64u(opts["publicKey"]["extensions"]["prf"]["eval"]["first"])
    r = b2.post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
        "sso": True, "passkey": other.get(opts, srv.url, salt=salt)})
    assert_error(r, 401, "passkey_invalid")
    opts = signin_options(srv, b2)
    r = call(b2, "POST", srv.url + "/api/v1/session",
             {"sso": True, "passkey": a.get(opts, srv.url, salt=salt)})
    assert r.json()["user"]["username"] == "pat"
    # with its keys: a memo made now opens
    from keyhelpers import create_memo
    from conftest import memo_url
    mid = create_memo(srv, b2, "Made after a passkey")
    assert call(b2, "GET", memo_url(srv, mid)).json()["title"] == "Made after a passkey"


def test_a_refused_sign_in_links_nothing_and_a_missing_groups_claim_decides_nothing(sso):
    """Every check comes before the link: another person whose username claim names a disabled
    account is refused and leaves no link behind, so the account's own person signs in once it
    is enabled again. A token without the groups claim changes no role (it is not "no
    groups")."""
    srv, op = sso
    admin = srv.admin()
    srv.add_user(admin, "dan", ["staff"])
    call(admin, "PATCH", srv.url + "/api/v1/users/dan", {"disabled": True})
    op.control("accounts", {"mallory": {"preferred_username": "dan"},
                            "oscar": {"groups": ["officers"]},
                            "nog": {"groups": None}})
    assert provider_signin(srv, browser(srv), "mallory") == "/#/sso?error=sso_disabled"
    call(admin, "PATCH", srv.url + "/api/v1/users/dan", {"disabled": False})
    b = browser(srv)
    assert provider_signin(srv, b, "dan") == "/#/sso"
    assert pending(srv, b)["username"] == "dan"
    assert provider_signin(srv, browser(srv), "mallory") == "/#/sso?error=sso_conflict"
    # an officer whose next token carries no groups claim stays an officer, and is refused
    o = browser(srv)
    assert provider_signin(srv, o, "oscar") == "/#/sso"
    enrol_and_sign_in(srv, o)
    op.control("accounts", {"oscar": {"groups": None}})
    assert provider_signin(srv, browser(srv), "oscar") == "/#/sso?error=sso_roles"
    roles = {u["username"]: u["roles"]
             for u in call(admin, "GET", srv.url + "/api/v1/users").json()["users"]}
    assert "officer" in roles["oscar"]
    assert "the ID token has no groups claim: oscar's roles cannot be known" in srv.log()
    # a new person without the claim gets what everyone gets, and no more
    n = browser(srv)
    assert provider_signin(srv, n, "nog") == "/#/sso"
    enrol_and_sign_in(srv, n)
    assert call(n, "GET", srv.url + "/api/v1/me").json()["roles"] == ["staff"]


def test_a_linked_account_goes_through_the_provider_even_with_a_passkey(make_server, tmp_path):
    """Where [security] passwordless lets a passkey alone sign in, an account linked to the
    provider still goes through it: the passkey alone, without the provider, is refused."""
    from test_passkeys import Authenticator, register, signin_options, unb64u
    srv, op = with_provider(make_server, tmp_path, security={"passwordless": "true"})
    try:
        b = browser(srv)
        assert provider_signin(srv, b, "lena") == "/#/sso"
        enrol_and_sign_in(srv, b)
        a = Authenticator()
        register(srv, b, a, password=PASSPHRASE)
        opts = signin_options(srv)
        salt = unb64u(opts["publicKey"]["extensions"]["prf"]["eval"]["first"])
        r = srv.session().post(srv.url + "/api/v1/session", timeout=TIMEOUT,
                               json={"passkey": a.get(opts, srv.url, salt=salt)})
        assert_error(r, 401, "sso_required")
    finally:
        op.stop()


def test_groups_give_channels_too(sso):
    """A channel's directory_group (docs/channels.md) is matched against the provider's groups as
    well: the account's channels are the channels whose group it is in, else channel 1, and the
    next sign-in follows a change at the provider."""
    srv, op = sso
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "x", "settings": {"directory_group": "agency-x"}}, 201)
    op.control("accounts", {"xena": {"groups": ["agency-x"]}})
    b = browser(srv)
    assert provider_signin(srv, b, "xena") == "/#/sso"
    enrol_and_sign_in(srv, b)
    users = {u["username"]: u for u in call(admin, "GET", srv.url + "/api/v1/users").json()["users"]}
    assert users["xena"]["channels"] == [2], users["xena"]
    op.control("accounts", {"xena": {"groups": []}})
    b2 = browser(srv)
    assert provider_signin(srv, b2, "xena") == "/#/sso"
    users = {u["username"]: u for u in call(admin, "GET", srv.url + "/api/v1/users").json()["users"]}
    assert users["xena"]["channels"] == [1], users["xena"]
