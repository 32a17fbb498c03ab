"""A session's end as the web interface sees it (issue 13, "drafting that cannot lose text"):
GET /api/v1/me says when the session ends, and a session in use never ends for want of a
recorded use, however short `[session] idle_timeout` is (the server records a use at most every
quarter of the idle timeout, at most every 60 s)."""
import time

from conftest import TIMEOUT

IDLE = 12


def test_a_session_in_use_outlives_its_idle_timeout_and_ends_once_unused(make_server):
    srv = make_server(config={"session": {"idle_timeout": str(IDLE)}})
    s = srv.admin()
    start = time.time()
    me = s.get(srv.url + "/api/v1/me", timeout=TIMEOUT).json()
    sess = me["session"]
    assert sess["idle_timeout"] == IDLE, sess
    assert start - 2 <= sess["expires_at"] - IDLE <= time.time() + 1, sess
    assert sess["lifetime_ends_at"] >= sess["expires_at"], sess
    # one request every 3 s for twice the idle timeout: never signed out
    while time.time() - start < 2 * IDLE:
        time.sleep(3)
        r = s.get(srv.url + "/api/v1/me", timeout=TIMEOUT)
        assert r.status_code == 200, "signed out after %.1f s of use: %s" % (time.time() - start, r.text)
    # what the last answer said: the end lies at most a quarter of the timeout before now + idle
    last = r.json()["session"]["expires_at"]
    assert time.time() + IDLE - IDLE / 4 - 1.5 <= last <= time.time() + IDLE + 1, (last, time.time())
    # then unused: gone once the idle timeout has passed
    time.sleep(max(0, last - time.time()) + 1.2)
    r = s.get(srv.url + "/api/v1/me", timeout=TIMEOUT)
    assert r.status_code == 401, r.text
