"""Issue 19, part 1: passkeys over the API, against a software authenticator written here from the
WebAuthn Level 2 specification (Ed25519 by PyNaCl, CBOR by Debian's python3-cbor2; ES256 is
covered by tests/unit/test_webauthn.c).

Registration needs the password again and a challenge issued to the account; sign-in takes a
passkey as the second factor after the password, or alone where [security] passwordless allows and
its PRF output unlocks the account's keys. Refused: another origin, another RP, no user
verification, a replayed answer, a cloned authenticator (the counter going back), another
account's passkey. A role may require a passkey (require_2fa "officer:passkey"). An
administrator's reset deletes an account's passkeys.
"""
import base64
import hashlib
import hmac
import json
import os
import struct

import cbor2
import pytest
from nacl.signing import SigningKey

from conftest import PASSWORD, TIMEOUT, adopt_as_is, assert_error, memo_url
from keyhelpers import call, create_memo, open_db, user_ids

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Authenticator:
    """One Ed25519 credential, with a counter and a PRF (HMAC over the salt)."""

    def __init__(self):
        self.sk = SigningKey.generate()
        self.cred = os.urandom(16)
        self.count = 0
        self.secret = os.urandom(32)

    def prf(self, salt):
        return hmac.new(self.secret, salt, hashlib.sha256).digest()

    def authdata(self, rp_id, flags, attested=False):
        ad = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.count)
        if attested:
            cose = cbor2.dumps({1: 1, 3: -8, -1: 6, -2: bytes(self.sk.verify_key)})
            ad += b"\0" * 16 + struct.pack(">H", len(self.cred)) + self.cred + cose
        return ad

    def create(self, options, origin, flags=UP | UV | AT, rp_id=None):
        pk = options["publicKey"]
        cdj = json.dumps({"type": "webauthn.create", "challenge": pk["challenge"],
                          "origin": origin, "crossOrigin": False}).encode()
        att = cbor2.dumps({"fmt": "none", "attStmt": {},
                           "authData": self.authdata(rp_id or pk["rp"]["id"], flags, True)})
        return {"client_data_json": b64u(cdj), "attestation_object": b64u(att)}

    def get(self, options, origin, flags=UP | UV, rp_id=None, salt=None, count=None, ext=None):
        self.count = self.count + 1 if count is None else count
        pk = options["publicKey"]
        cdj = json.dumps({"type": "webauthn.get", "challenge": pk["challenge"],
                          "origin": origin}).encode()
        ad = self.authdata(rp_id or pk["rpId"], flags | (0x80 if ext else 0))
        if ext:
            ad += cbor2.dumps(ext)  # extension outputs, signed with the rest
        sig = self.sk.sign(ad + hashlib.sha256(cdj).digest()).signature
        out = {"id": b64u(self.cred), "client_data_json": b64u(cdj),
               "authenticator_data": b64u(ad), "signature": b64u(sig)}
        if salt is not None:
            out["prf"] = b64u(self.prf(salt))
        return out


def register(srv, s, authn, name="Laptop", prf=True, password=PASSWORD, status=201, confirm=None,
             **kw):
    """Register @authn for the session @s; @confirm, a passkey the account has already, answers
    for its second factor."""
    opts = call(s, "POST", srv.url + "/api/v1/me/passkeys/options").json()
    body = {"name": name, "password": password, **authn.create(opts, srv.url, **kw)}
    if confirm is not None:
        body["passkey"] = confirm.get(signin_options(srv), srv.url)
    if prf:
        salt = unb64u(opts["prf_salt"])
        body["prf"] = b64u(authn.prf(salt))
        body["prf_salt"] = opts["prf_salt"]
    r = s.post(srv.url + "/api/v1/me/passkeys", json=body, timeout=TIMEOUT)
    assert r.status_code == status, r.text
    return r, opts


def signin_options(srv, s=None):
    s = s or srv.session()
    return call(s, "POST", srv.url + "/api/v1/session/passkey").json()


def signin(srv, body, status):
    s = srv.session()
    r = s.post(srv.url + "/api/v1/session", json=body, timeout=TIMEOUT)
    assert r.status_code == status, r.text
    return s, r


@pytest.fixture
def desk(make_server):
    srv = make_server(config={"security": {"passwordless": "true"}})
    admin = srv.admin()
    for n, roles in (("ann", ["staff"]), ("bob", ["staff"]), ("olga", ["officer"])):
        srv.add_user(admin, n, roles)
    return srv, admin


def test_register_list_and_second_factor(desk):
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    a = Authenticator()
    # the options: a challenge, this RP, user verification, PRF over a salt
    r, opts = register(srv, s, a)
    pk = opts["publicKey"]
    assert pk["rp"]["id"] == "127.0.0.1" and pk["authenticatorSelection"]["userVerification"] == \
        "required"
    assert {p["alg"] for p in pk["pubKeyCredParams"]} == {-7, -8}
    assert pk["attestation"] == "none" and pk["excludeCredentials"] == []
    made = r.json()
    assert made["name"] == "Laptop" and made["unlocks_keys"] is True
    assert made["algorithm"] == "EdDSA" and made["last_used_at"] is None
    lst = call(s, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"]
    assert [p["id"] for p in lst] == [made["id"]]
    # the next options exclude it
    opts = call(s, "POST", srv.url + "/api/v1/me/passkeys/options").json()
    assert [c["id"] for c in opts["publicKey"]["excludeCredentials"]] == [b64u(a.cred)]
    # the password alone no longer signs in: the passkey is the second factor
    _, r = signin(srv, {"username": "ann", "password": PASSWORD}, 401)
    assert_error(r, 401, "passkey_required")
    body = {"username": "ann", "password": PASSWORD,
            "passkey": a.get(signin_options(srv), srv.url)}
    s2, r = signin(srv, body, 200)
    assert r.json()["user"]["username"] == "ann"
    mid = create_memo(srv, s2, "Made after a passkey sign-in")
    assert call(s2, "GET", memo_url(srv, mid)).json()["title"] == "Made after a passkey sign-in"
    assert call(s2, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"][0][
        "last_used_at"] is not None


def test_every_check_refuses(desk):
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    a, b = Authenticator(), Authenticator()
    register(srv, s, a)
    sb = srv.login("bob", PASSWORD)
    register(srv, sb, b)
    base = {"username": "ann", "password": PASSWORD}

    def refused(passkey, why):
        _, r = signin(srv, {**base, "passkey": passkey}, 401)
        err = assert_error(r, 401, "passkey_invalid")
        assert why in err["message"], err
    refused(a.get(signin_options(srv), "https://evil.example"), "origin")
    refused(a.get(signin_options(srv), srv.url, rp_id="evil.example"), "RP ID")
    refused(a.get(signin_options(srv), srv.url, flags=UP), "not verified")
    # bob's passkey with ann's password
    refused(b.get(signin_options(srv), srv.url), "another account")
    # a replay: the same answer twice (its challenge is spent)
    good = a.get(signin_options(srv), srv.url)
    signin(srv, {**base, "passkey": good}, 200)
    refused(good, "challenge")
    # a clone: the counter goes back
    refused(a.get(signin_options(srv), srv.url, count=1), "counter went back")
    # a signature by another key under ann's credential id
    forged = b.get(signin_options(srv), srv.url)
    forged["id"] = b64u(a.cred)
    refused(forged, "signature")
    # malformed
    _, r = signin(srv, {**base, "passkey": {"id": "!!"}}, 422)
    assert_error(r, 422, field="id")
    # a wrong password never reaches the passkey
    _, r = signin(srv, {"username": "ann", "password": "nope",
                        "passkey": a.get(signin_options(srv), srv.url)}, 401)
    assert_error(r, 401, "invalid_credentials")


def test_registration_refusals(desk):
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    a = Authenticator()
    r, _ = register(srv, s, a, password="wrong", status=422)
    assert_error(r, 422, field="password")
    r, _ = register(srv, s, a, name="", status=422)
    assert_error(r, 422, field="name")
    r, _ = register(srv, s, a, flags=UP | AT, status=422)  # no user verification
    assert_error(r, 422, "passkey_refused")
    # the same challenge twice, and another account's challenge
    opts = call(s, "POST", srv.url + "/api/v1/me/passkeys/options").json()
    body = {"name": "Key", "password": PASSWORD, **a.create(opts, srv.url)}
    assert s.post(srv.url + "/api/v1/me/passkeys", json=body, timeout=TIMEOUT).status_code == 201
    # from now on the account has a second factor: another passkey needs it too
    c = Authenticator()
    r, _ = register(srv, s, c, status=403)
    assert_error(r, 403, "second_factor_required")
    r, _ = register(srv, s, c, confirm=c, status=422)  # not one of the account's passkeys
    assert_error(r, 422, "passkey_refused")
    # the same registration again: its challenge is spent
    body["passkey"] = a.get(signin_options(srv), srv.url)
    r = s.post(srv.url + "/api/v1/me/passkeys", json=body, timeout=TIMEOUT)
    assert_error(r, 422, "passkey_refused")
    sb = srv.login("bob", PASSWORD)
    opts = call(s, "POST", srv.url + "/api/v1/me/passkeys/options").json()
    body = {"name": "Key", "password": PASSWORD, **Authenticator().create(opts, srv.url)}
    assert_error(sb.post(srv.url + "/api/v1/me/passkeys", json=body, timeout=TIMEOUT), 422,
                 "passkey_refused")
    # deleting needs the password too; then the password alone signs in again
    pid = call(s, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"][0]["id"]
    r = s.delete(srv.url + "/api/v1/me/passkeys/%d" % pid, json={"password": "wrong"},
                 timeout=TIMEOUT)
    assert_error(r, 422, field="password")
    r = sb.delete(srv.url + "/api/v1/me/passkeys/%d" % pid, json={"password": PASSWORD},
                  timeout=TIMEOUT)
    assert_error(r, 404, "passkey_not_found")
    r = s.delete(srv.url + "/api/v1/me/passkeys/%d" % pid, json={"password": PASSWORD},
                 timeout=TIMEOUT)
    assert_error(r, 403, "second_factor_required")
    r = s.delete(srv.url + "/api/v1/me/passkeys/%d" % pid,
                 json={"password": PASSWORD, "passkey": a.get(signin_options(srv), srv.url)},
                 timeout=TIMEOUT)
    assert r.status_code == 204, r.text
    assert call(s, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"] == []
    signin(srv, {"username": "ann", "password": PASSWORD}, 200)


def test_a_passkey_alone_unlocks_the_keys(desk):
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    mid = create_memo(srv, s, "Ann's own memo")
    a, plain = Authenticator(), Authenticator()
    register(srv, s, a, prf=True)
    register(srv, s, plain, name="No PRF", prf=False, confirm=a)
    # the PRF output over the salt the options carry opens the keys: the memo reads
    opts = signin_options(srv)
    salt = unb64u(opts["publicKey"]["extensions"]["prf"]["eval"]["first"])
    assert opts["passwordless"] is True
    s2, r = signin(srv, {"passkey": a.get(opts, srv.url, salt=salt)}, 200)
    assert r.json()["user"]["username"] == "ann"
    assert call(s2, "GET", memo_url(srv, mid)).json()["title"] == "Ann's own memo"
    # a wrong PRF output, and a passkey without PRF, do not
    _, r = signin(srv, {"passkey": a.get(signin_options(srv), srv.url, salt=b"x" * 32)}, 401)
    assert_error(r, 401, "passkey_cannot_unlock")
    _, r = signin(srv, {"passkey": plain.get(signin_options(srv), srv.url, salt=salt)}, 401)
    assert_error(r, 401, "passkey_cannot_unlock")
    # nor does a passkey alone that fails its checks
    _, r = signin(srv, {"passkey": a.get(signin_options(srv), "https://evil.example",
                                         salt=salt)}, 401)
    assert_error(r, 401, "passkey_invalid")


def test_passwordless_off_and_roles_that_require_a_passkey(make_server):
    srv = make_server(config={"security": {"require_2fa": "officer:passkey, principal"}})
    admin = srv.admin()
    srv.add_user(admin, "olga", ["officer"])
    s = srv.login("olga", PASSWORD)
    # until she registers one, only her account's set-up routes answer
    assert_error(s.get(srv.url + "/api/v1/memos", timeout=TIMEOUT), 403,
                 "passkey_enrolment_required")
    a = Authenticator()
    register(srv, s, a)
    assert s.get(srv.url + "/api/v1/memos", timeout=TIMEOUT).status_code == 200
    _, r = signin(srv, {"username": "olga", "password": PASSWORD}, 401)
    assert_error(r, 401, "passkey_required")
    signin(srv, {"username": "olga", "password": PASSWORD,
                 "passkey": a.get(signin_options(srv), srv.url)}, 200)
    # a passkey alone is refused where passwordless is off (the default)
    opts = signin_options(srv)
    assert opts["passwordless"] is False
    _, r = signin(srv, {"passkey": a.get(opts, srv.url)}, 422)
    assert_error(r, 422, field="password")


def test_a_reset_deletes_the_passkeys(desk):
    srv, admin = desk
    s = srv.login("bob", PASSWORD)
    register(srv, s, Authenticator())
    r = admin.post(srv.url + "/api/v1/users/bob/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    srv.enrol("bob", r.json()["enrolment"]["code"])
    s = srv.login("bob", PASSWORD)  # no passkey asked for: there is none
    assert call(s, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"] == []


def test_a_security_keys_extension_output_is_signed_data_like_any(desk):
    """A roaming security key answers the PRF request with an "hmac-secret" output inside the
    signed authenticator data: it signs in all the same."""
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    a = Authenticator()
    register(srv, s, a)
    for ext in ({"hmac-secret": os.urandom(32)}, {"credBlob": os.urandom(16)}):
        signin(srv, {"username": "ann", "password": PASSWORD,
                     "passkey": a.get(signin_options(srv), srv.url, ext=ext)}, 200)


def test_sign_in_options_are_throttled_per_address(desk):
    srv, admin = desk
    s = srv.session()
    for _ in range(30):
        assert s.post(srv.url + "/api/v1/session/passkey", timeout=TIMEOUT).status_code == 200
    r = s.post(srv.url + "/api/v1/session/passkey", timeout=TIMEOUT)
    assert_error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) > 0


def test_deleted_passkey_rows_are_caught(desk):
    """The account's row says whether it has passkeys (under its MAC): a database writer who
    deletes its passkey rows, to take the factor away, is caught, and nobody signs in with the
    password alone. Deleting one of two through the API keeps the other asked for; deleting the
    last turns the factor off."""
    srv, admin = desk
    s = srv.login("bob", PASSWORD)
    one, two = Authenticator(), Authenticator()
    first = register(srv, s, one)[0].json()
    register(srv, s, two, name="Key", confirm=one)
    r = s.delete(srv.url + "/api/v1/me/passkeys/%d" % first["id"], timeout=TIMEOUT,
                 json={"password": PASSWORD, "passkey": two.get(signin_options(srv), srv.url)})
    assert r.status_code == 204, r.text
    _, r = signin(srv, {"username": "bob", "password": PASSWORD}, 401)
    assert_error(r, 401, "passkey_required")
    srv.stop()
    with open_db(srv, readonly=False) as c:
        bob = user_ids(c, ["bob"])["bob"]
        c.execute("DELETE FROM passkeys WHERE user_id = ?", (bob,))
        c.commit()
    srv.restart()
    _, r = signin(srv, {"username": "bob", "password": PASSWORD}, 500)
    assert_error(r, 500, "integrity")
    assert "passkey rows" in srv.log()


def test_an_adoption_keeps_passkeys_and_a_rekey_deletes_them(desk):
    """`dissent trust adopt` re-MACs an account's passkey rows and its flag for them: the
    passkey still signs in. A re-key (keys an administrator's password wrapped) deletes them,
    since their wraps hold the old keys; the account's flag goes with them."""
    srv, admin = desk
    s = srv.login("ann", PASSWORD)
    a = Authenticator()
    register(srv, s, a)
    srv.stop()
    with open_db(srv, readonly=False) as c:  # what a migration does to such an account
        c.execute("UPDATE users SET flags = flags | 1 WHERE username = 'ann'")
        c.commit()
    adopt_as_is(srv)
    srv.restart()
    _, r = signin(srv, {"username": "ann", "password": PASSWORD}, 401)
    assert_error(r, 401, "passkey_required")
    s, r = signin(srv, {"username": "ann", "password": PASSWORD,
                        "passkey": a.get(signin_options(srv), srv.url)}, 200)
    assert call(s, "GET", srv.url + "/api/v1/me").json()["rekey_required"] is True
    r = s.post(srv.url + "/api/v1/me/password", timeout=TIMEOUT,
               json={"current_password": PASSWORD, "new_password": "ann's own passphrase"})
    assert r.status_code == 200 and r.json()["keys_renewed"] is True, r.text
    s = srv.login("ann", "ann's own passphrase")  # no passkey asked for: there is none
    assert call(s, "GET", srv.url + "/api/v1/me/passkeys").json()["passkeys"] == []
    assert call(s, "GET", srv.url + "/api/v1/me").json()["passkeys"]["count"] == 0
