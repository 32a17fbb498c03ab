"""GET /metrics as an operator's Prometheus reads it: parsed by the Prometheus project's own text
parser (Debian's python3-prometheus-client), with the figures an operator watches and nothing
that names a person or a memo."""
import concurrent.futures
import math
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import TIMEOUT, login_raw
from keyhelpers import filed_memo
from test_db_attacker import officers_and_staff, PASSWORD

TOKEN = "m" * 40


def scrape(srv):
    r = requests.get(srv.url + "/metrics", headers={"Authorization": "Bearer " + TOKEN},
                     timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    return r.text, families


def samples(families, family, suffix=""):
    """[(labels, value)] of @family's samples named family+suffix."""
    return [(s.labels, s.value) for s in families[family].samples if s.name == family + suffix]


def one(families, family, suffix="", **labels):
    got = [v for lab, v in samples(families, family, suffix)
           if all(lab.get(k) == v2 for k, v2 in labels.items())]
    assert len(got) == 1, (family, suffix, labels, samples(families, family, suffix))
    return got[0]


def test_the_operators_figures_parse_and_name_nobody(make_server):
    srv = make_server(config={"metrics": {"token": TOKEN},
                              "security": {"login_max_failures": "2"}})
    admin = srv.admin()
    a, d = officers_and_staff(srv, admin)
    e = srv.login("eve", PASSWORD)
    mid = filed_memo(srv, d, "A memo about metrics", "Body.\n", cosigners={"eve": e})
    for _ in range(3):
        assert requests.get(srv.url + "/healthz", timeout=TIMEOUT).status_code == 200
    assert requests.get(srv.url + "/api/v1/memos/zzzz", timeout=TIMEOUT).status_code == 401
    # sign-ins: refused twice, then throttled
    for _ in range(2):
        assert login_raw(srv.url, "nobody-here", "wrong").status_code == 401
    assert login_raw(srv.url, "nobody-here", "wrong").status_code == 429
    text, f = scrape(srv)

    # requests by route pattern and status, with their latency
    h = "dissent_http_request_duration_seconds"
    assert f[h].type == "histogram"
    assert one(f, h, "_count", method="GET", route="/healthz", status="200") >= 3
    routes = {lab["route"] for lab, _ in samples(f, h, "_count")}
    assert "/api/v1/memos/{id}" in routes and "/api/v1/session" in routes, routes
    for lab, count in samples(f, h, "_count"):
        buckets = sorted(((float(l2["le"]), v) for l2, v in samples(f, h, "_bucket")
                          if all(l2[k] == lab[k] for k in ("method", "route", "status"))))
        assert buckets[-1][0] == math.inf and buckets[-1][1] == count, (lab, buckets)
        assert all(x[1] <= y[1] for x, y in zip(buckets, buckets[1:])), buckets
    assert one(f, h, "_count", method="POST", route="/api/v1/session", status="429") == 1
    # sign-ins by outcome
    assert one(f, "dissent_signins", "_total", result="ok") >= 4
    assert one(f, "dissent_signins", "_total", result="failed") == 2
    assert one(f, "dissent_signins", "_total", result="throttled") == 1
    # the two signatures, committed in group commits
    assert one(f, "dissent_signatures_committed", "_total") == 2
    assert one(f, "dissent_signatures_failed", "_total") == 0
    assert one(f, "dissent_sign_batch_size", "_count") >= 1
    assert one(f, "dissent_sign_batch_size", "_sum") == 2
    # the database, the outbox, the log, memory
    assert one(f, "dissent_db_errors", "_total") == 0
    assert one(f, "dissent_outbox_emails", status="pending") == 0
    assert 0 <= one(f, "dissent_log_checkpoint_age_seconds") < 3600
    # the filing's entries, once the next checkpoint (one a second here) covers them
    deadline = time.time() + 10
    while one(f, "dissent_log_size") < 2 and time.time() < deadline:
        time.sleep(0.2)
        text, f = scrape(srv)
    assert one(f, "dissent_log_size") >= 2
    assert one(f, "dissent_process_resident_memory_bytes") > 1 << 20
    assert one(f, "dissent_heap_blocks") > 0
    # no name, no memo id, no concrete path
    for secret in (mid, "zzzz", "dave", "eve", "anna", "nobody-here", "A memo about metrics"):
        assert secret not in text, secret


def test_requests_counted_from_many_threads(make_server):
    """Counts are exact under concurrency (atomic adds; series made once)."""
    srv = make_server(config={"metrics": {"token": TOKEN}})
    _, before = scrape(srv)
    n0 = one(before, "dissent_http_request_duration_seconds", "_count", method="GET",
             route="/healthz", status="200") if any(
        lab.get("route") == "/healthz" for lab, _ in
        samples(before, "dissent_http_request_duration_seconds", "_count")) else 0

    def hit(_):
        with requests.Session() as s:
            for _ in range(50):
                assert s.get(srv.url + "/healthz", timeout=TIMEOUT).status_code == 200

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(hit, range(8)))
    _, after = scrape(srv)
    assert one(after, "dissent_http_request_duration_seconds", "_count", method="GET",
               route="/healthz", status="200") == n0 + 400
