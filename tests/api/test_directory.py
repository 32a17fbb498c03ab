"""Issue 19, part 3: accounts kept in step with an LDAP directory (`dissent directory sync`, and
the server's own sync), against a real slapd (tests/api/slapd.py) over StartTLS.

Covered: people added (accounts made, pending enrolment, roles from groups), changed (names,
emails), moved between groups (roles, logged), removed (disabled: sessions end; the last holder
of the channel key kept), a dry run, an unreachable directory and one whose certificate does not
verify (nothing changes, a clear error), and a directory that suddenly returns no one (refused
over max_disable, unless forced). Operators' accounts are never touched.
"""
import time

import pytest

from conftest import PASSWORD, TIMEOUT, assert_error
from keyhelpers import call
from loghelpers import caught_up, fetch_entries, parse_entry
from slapd import Slapd


@pytest.fixture
def directory():
    d = Slapd()
    yield d
    d.stop()


def sync(srv, *args):
    return srv.cli("directory", "sync", *args)


def users(srv, admin):
    return {u["username"]: u for u in call(admin, "GET", srv.url + "/api/v1/users").json()["users"]}


def test_people_added_changed_moved_and_removed(make_server, directory, tmp_path):
    d = directory
    d.person("alice", "Alice Example", "alice@example.org")
    d.person("bob", "Bob Example")
    d.person("olga", "Olga Officer")
    d.group("officers", ["bob", "olga"])
    d.group("heads", [])
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), role_officer="officers",
                                      role_head="heads"))
    admin = srv.admin()
    # olga was an officer here before the directory: the first officer, she holds the key
    srv.add_user(admin, "olga", ["officer"])
    srv.add_user(admin, "local", ["staff"])  # never in the directory: never touched
    s_olga = srv.login("olga", PASSWORD)
    # a dry run says what would change, and changes nothing
    r = sync(srv, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "create alice (staff), pending enrolment" in r.stdout
    assert "create bob (staff, officer), pending enrolment" in r.stdout
    assert "update olga: kept from now on; display name" in r.stdout
    assert "roles olga: officer -> staff, officer" in r.stdout
    assert "dry run (nothing changed): 3 people" in r.stdout
    assert set(users(srv, admin)) == {"admin", "olga", "local"}
    # the sync
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    u = users(srv, admin)
    assert u["alice"]["display_name"] == "Alice Example" and u["alice"]["email"] == \
        "alice@example.org" and u["alice"]["roles"] == ["staff"] and not u["alice"]["enrolled"]
    assert sorted(u["bob"]["roles"]) == ["officer", "staff"]
    assert u["olga"]["display_name"] == "Olga Officer"
    # the accounts it kept still sign in with their own passwords (their rows were written
    # back whole)
    assert call(srv.login("olga", PASSWORD), "GET", srv.url + "/api/v1/me").json()[
        "display_name"] == "Olga Officer"
    # nothing more to do: a second sync changes nothing
    r = sync(srv)
    assert "0 created, 0 updated, 0 role changes, 0 disabled" in r.stdout, r.stdout
    # a changed name and email; bob leaves the officers, alice joins them and the heads
    d.modify("dn: %s\nchangetype: modify\nreplace: cn\ncn: Alice Renamed\n-\nreplace: mail\n"
             "mail: alice.r@example.org\n" % d.dn("alice"))
    d.set_members("officers", ["alice", "olga"])
    d.set_members("heads", ["alice"])
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    assert "update alice: display name, email" in r.stdout
    assert "roles alice: staff -> staff, officer, head" in r.stdout
    assert "roles bob: staff, officer -> staff" in r.stdout
    u = users(srv, admin)
    assert u["alice"]["display_name"] == "Alice Renamed"
    assert sorted(u["alice"]["roles"]) == ["head", "officer", "staff"]
    assert u["bob"]["roles"] == ["staff"]
    # the log says so, by tag: officer and head roles added and removed
    _, _, size, _ = caught_up(srv)
    events = [parse_entry(e)["event"] for e in fetch_entries(srv.url, size)]
    assert events.count("head-added") == 1 and events.count("officer-removed") == 1
    # bob leaves: disabled. olga leaves too, but holds the channel key alone: kept, and said
    d.delete(d.dn("bob"))
    d.set_members("officers", ["alice"])
    d.delete(d.dn("olga"))
    # (olga will be kept, so only bob's departure counts against max_disable: one is allowed)
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    assert "disable bob: no longer in the directory" in r.stdout
    assert "keep olga: no longer in the directory, but the last officer holding the channel " \
        "key" in r.stdout
    u = users(srv, admin)
    assert u["bob"]["disabled"] is True and u["olga"]["disabled"] is False
    assert u["local"]["disabled"] is False and u["admin"]["disabled"] is False
    assert call(s_olga, "GET", srv.url + "/api/v1/me").json()["username"] == "olga"


def test_a_removed_persons_session_ends(make_server, directory, tmp_path):
    d = directory
    d.person("carl", "Carl Staff")
    d.person("dora", "Dora Staff")
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), max_disable="50"))
    admin = srv.admin()
    srv.add_user(admin, "carl", ["staff"])
    s = srv.login("carl", PASSWORD)
    assert sync(srv).returncode == 0
    d.delete(d.dn("carl"))
    r = sync(srv)
    assert r.returncode == 0 and "disable carl" in r.stdout, r.stdout + r.stderr
    assert_error(s.get(srv.url + "/api/v1/me", timeout=TIMEOUT), 401)
    assert_error(srv.session().post(srv.url + "/api/v1/session", timeout=TIMEOUT, json={
        "username": "carl", "password": PASSWORD}), 401, "invalid_credentials")
    # dora's account was made by the directory, without a code: an administrator gives her one,
    # and as nothing was ever shared with her account, she is not held for confirmation
    r = admin.post(srv.url + "/api/v1/users/dora/reset", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    srv.enrol("dora", r.json()["enrolment"]["code"])
    me = call(srv.login("dora", PASSWORD), "GET", srv.url + "/api/v1/me").json()
    assert me["reset"] is None and me["display_name"] == "Dora Staff"


def test_a_directory_that_suddenly_returns_no_one_is_refused(make_server, directory, tmp_path):
    d = directory
    for uid in ("p1", "p2", "p3"):
        d.person(uid, "Person " + uid)
    srv = make_server(config=d.config(str(tmp_path / "bind-pw")))
    admin = srv.admin()
    assert sync(srv).returncode == 0
    assert {"p1", "p2", "p3"} <= set(users(srv, admin))
    for uid in ("p1", "p2", "p3"):
        d.delete(d.dn(uid))
    r = sync(srv)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "of the 3 accounts it keeps, 3 would be disabled" in r.stderr
    assert "nothing changed" in r.stderr
    assert not any(u["disabled"] for u in users(srv, admin).values())
    r = sync(srv, "--force")
    assert r.returncode == 0 and r.stdout.count("disable p") == 3, r.stdout


def test_an_unreachable_or_unverified_directory_changes_nothing(make_server, directory,
                                                                tmp_path):
    d = directory
    d.person("erin", "Erin Staff")
    pw = str(tmp_path / "bind-pw")
    # nobody listens there
    closed = d.config(pw)
    closed["directory"]["url"] = "ldap://127.0.0.1:%d" % __import__("slapd").free_port()
    srv = make_server(config=closed)
    r = sync(srv)
    assert r.returncode == 1 and "the directory ldap://127.0.0.1" in r.stderr, r.stderr
    assert "Can't contact LDAP server" in r.stderr or "StartTLS" in r.stderr, r.stderr
    assert "erin" not in users(srv, srv.admin())
    # a certificate another authority signed: StartTLS fails, nothing is read
    other = make_server(config=d.config(pw, ca_file=d.other_ca))
    r = sync(other)
    assert r.returncode == 1 and "StartTLS" in r.stderr, r.stderr
    assert "erin" not in users(other, other.admin())
    # a wrong bind password
    bad = make_server(config=d.config(pw))
    with open(pw, "w") as f:
        f.write("not the password\n")
    r = sync(bad)
    assert r.returncode == 1 and "Invalid credentials" in r.stderr, r.stderr
    assert "not the password" not in r.stderr + r.stdout


def test_operators_are_never_touched_and_bad_entries_are_skipped(make_server, directory,
                                                                 tmp_path):
    d = directory
    d.person("admin", "Not The Admin")
    d.person("Fine.Name", "Fine")
    d.ldif("dn: cn=No Uid,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\ncn: No Uid\n"
           "sn: Uid\n")
    d.person("bad name!", "Bad")
    srv = make_server(config=d.config(str(tmp_path / "bind-pw")))
    admin = srv.admin()
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    assert "skip admin: an operator's account is never the directory's" in r.stdout
    assert "no usable username" in r.stdout and "is not a username here" in r.stdout
    u = users(srv, admin)
    assert u["admin"]["display_name"] != "Not The Admin" and u["admin"]["roles"] == ["admin"]
    assert "fine.name" in u


def test_the_server_syncs_by_itself(make_server, directory, tmp_path):
    d = directory
    d.person("fred", "Fred Staff")
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), interval="1"))
    admin = srv.admin()
    deadline = time.time() + 20
    while "fred" not in users(srv, admin):
        assert time.time() < deadline, "the server did not sync: " + srv.log()[-2000:]
        time.sleep(0.2)
    # the account is committed before its line is logged: the line follows within the deadline
    while "directory: create fred (staff), pending enrolment" not in srv.log():
        assert time.time() < deadline, "the sync was not logged: " + srv.log()[-2000:]
        time.sleep(0.05)


def test_bad_settings_refuse_to_start(tmp_path):
    import subprocess
    from conftest import BIN
    for conf, words in (
            ({"url": "ldap://ldap.example", "starttls": "false", "base_dn": "dc=x"}, "url"),
            ({"url": "http://ldap.example", "base_dn": "dc=x"}, "url"),
            ({"url": "ldaps://ldap.example"}, "base_dn"),
            ({"url": "ldaps://ldap.example", "base_dn": "dc=x", "role_head": "h"}, "role_head"),
            ({"url": "ldaps://ldap.example", "base_dn": "dc=x", "bind_dn": "cn=r"},
             "bind_password_file")):
        ini = tmp_path / "d.ini"
        ini.write_text("[directory]\n" + "".join("%s = %s\n" % kv for kv in conf.items()))
        r = subprocess.run([BIN, "serve", "--config", str(ini), "--data", str(tmp_path / "v"),
                            "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode != 0 and words in r.stderr, (conf, r.stderr)


def test_groups_that_vanish_or_empty_take_no_roles(make_server, directory, tmp_path):
    """A mapped group the sync cannot find (a typo, or groups the bind cannot see) changes
    nothing; an emptied group taking its role from many at once is refused like departures."""
    d = directory
    for uid in ("o1", "o2", "o3"):
        d.person(uid, "Officer " + uid)
    d.group("officers", ["o1", "o2", "o3"])
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), role_officer="officers"))
    admin = srv.admin()
    assert sync(srv).returncode == 0
    assert all("officer" in users(srv, admin)[u]["roles"] for u in ("o1", "o2", "o3"))
    d.delete("cn=officers,ou=groups,dc=example,dc=org")
    r = sync(srv)
    assert r.returncode == 1 and "no group officers under ou=groups" in r.stderr, r.stderr
    d.group("officers", [])
    r = sync(srv)
    assert r.returncode == 3 and "0 would be disabled and 3 lose a role" in r.stderr, r.stderr
    assert all("officer" in users(srv, admin)[u]["roles"] for u in ("o1", "o2", "o3"))
    # one at a time is always allowed
    d.set_members("officers", ["o1", "o2"])
    r = sync(srv)
    assert r.returncode == 0 and "roles o3: staff, officer -> staff" in r.stdout, r.stdout


def test_a_partial_answer_is_not_the_directory(make_server, tmp_path):
    """A directory that returns only part of its people (a size limit) is not read as if the
    rest had left: the sync fails, nothing changed."""
    from slapd import READER, READERPW
    d = Slapd(sizelimit=3)
    try:
        for uid in ("a1", "a2", "a3", "a4", "a5"):
            d.person(uid, "Person " + uid)
        pw = str(tmp_path / "bind-pw")
        conf = d.config(pw, bind_dn=READER)
        with open(pw, "w") as f:
            f.write(READERPW + "\n")
        srv = make_server(config=conf)
        r = sync(srv)
        assert r.returncode == 1 and "a partial answer is not used" in r.stderr, \
            r.stdout + r.stderr
        assert not {"a1", "a2", "a3"} & set(users(srv, srv.admin()))
    finally:
        d.stop()


def test_roles_taken_at_adoption_count_too(make_server, directory, tmp_path):
    """The first sync over existing accounts counts the roles it would take at adoption: a
    member attribute that matches no one would otherwise strip every officer at once."""
    d = directory
    for uid in ("o1", "o2", "o3"):
        d.person(uid, "Officer " + uid)
    d.group("officers", [])  # found, but no member matches
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), role_officer="officers"))
    admin = srv.admin()
    for uid in ("o1", "o2", "o3"):  # o1, the first officer, holds the channel key
        srv.add_user(admin, uid, ["officer"])
    r = sync(srv)
    assert r.returncode == 3 and "0 would be disabled and 2 lose a role" in r.stderr, r.stderr
    assert all(users(srv, admin)[u]["roles"] == ["officer"] for u in ("o1", "o2", "o3"))


def test_a_channels_directory_group_says_whose_it_is(make_server, directory, tmp_path):
    """A channel's directory_group (docs/channels.md): its members are of that channel, the
    others of channel 1; a move between groups moves the account, and its grant of the channel
    it leaves goes; the last officer holding a channel's key keeps the channel. A channel's
    group never comes from channel 1's, and a group that is not there changes nothing."""
    d = directory
    d.person("sx", "Staff of X")
    d.person("dan", "Dan Main")
    d.person("ox", "Officer of X")
    d.person("oy", "Officer of X too")
    d.group("agency-x", ["sx", "ox", "oy"])
    d.group("officers", ["ox", "oy"])
    srv = make_server(config=d.config(str(tmp_path / "bind-pw"), role_officer="officers"))
    admin = srv.admin()
    call(admin, "POST", srv.url + "/api/v1/channels",
         {"slug": "x", "settings": {"directory_group": "agency-x"}}, 201)
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    u = users(srv, admin)
    assert {n: u[n]["channels"] for n in ("sx", "dan", "ox", "oy")} == \
        {"sx": [2], "dan": [1], "ox": [2], "oy": [2]}, u
    # ox's enrolment makes channel x's key (an officer of it alone); ox grants it to oy
    for n in ("ox", "oy"):
        r = admin.post(srv.url + "/api/v1/users/%s/reset" % n, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        srv.enrol(n, r.json()["enrolment"]["code"], PASSWORD)
    s_ox = srv.login("ox", PASSWORD)
    call(s_ox, "POST", srv.url + "/api/v1/channel/grants", {"username": "oy"}, 201)
    # sx moves to channel 1; oy leaves channel x and loses its grant; ox, then alone with the
    # key, stays
    d.set_members("agency-x", ["ox"])
    r = sync(srv)
    assert r.returncode == 0, r.stderr
    assert "channels sx: x -> main" in r.stdout and "channels oy: x -> main" in r.stdout, r.stdout
    u = users(srv, admin)
    assert u["sx"]["channels"] == [1] and u["oy"]["channels"] == [1], u
    _, _, size, _ = caught_up(srv, srv.login("oy", PASSWORD))
    entries = list(map(parse_entry, fetch_entries(srv.url, size)))
    revoked = [e for e in entries if e["event"] == "channel-revoked"]
    assert [e.get("channel") for e in revoked] == ["2"], revoked
    # oy's move is logged as roles: an officer of channel x no longer, of channel 1 now
    moved = [(e["event"], e.get("channel")) for e in entries
             if e["event"] in ("officer-added", "officer-removed")]
    assert moved[-2:] == [("officer-added", None), ("officer-removed", "2")], moved
    d.set_members("agency-x", [])
    r = sync(srv)
    assert r.returncode == 0 and "keep ox (x): the last officer holding a channel's key" in \
        r.stdout, r.stdout
    assert users(srv, admin)["ox"]["channels"] == [2]
    # a channel's group that is not there: nothing changes
    d.delete("cn=agency-x,ou=groups,dc=example,dc=org")
    r = sync(srv)
    assert r.returncode == 1 and "no group agency-x (channel x's directory_group)" in r.stderr, \
        r.stderr
