"""Issue 15: RFC 9112 framing checked before any handler runs (src/http/h1.h, http/framing.h).

Each request below leaves its framing in doubt, so that a proxy in front and this server could
disagree on where it ends. It is answered with the status the RFC asks for and Connection:
close, and nothing after it on the connection runs: each one carries a second request behind it
(a GET /healthz that would answer 200), and exactly one answer comes back before the server
closes the connection.
"""
import re

import pytest

SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def answers(raw):
    """The status lines of every response in `raw`."""
    return re.findall(rb"^HTTP/1\.[01] (\d{3}) ", raw, re.M)


def refused(server, data, status, code):
    """`data` gets one answer, `status` with the error `code` (None: libevent's own refusal,
    before any of ours) and Connection: close, and the connection closes without a second
    answer."""
    raw = server.raw(data, timeout=5.0)
    got = answers(raw)
    assert got == [str(status).encode()], (data, raw[:600])
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nconnection: close" in head, raw[:600]
    if code is not None and not data.startswith(b"HEAD "):  # a HEAD answer has no body
        assert b'"code":"%s"' % code.encode() in raw, raw[:600]


def body_behind(head, body=SMUGGLED):
    """A request head (without its final CRLF CRLF) announcing len(body) bytes, then the body."""
    return head + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body


# The classic smuggling matrix (PortSwigger's classes, RFC 9112 section 11.2) and the places
# where a lenient parser reads bytes otherwise than a strict proxy would.
LOGIN = b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def chunked(size_line, data=None, after=b"\r\n0\r\n\r\n"):
    """A chunked login whose one chunk has the size line `size_line`."""
    data = SMUGGLED if data is None else data
    return LOGIN + b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n" + data + after


_body_behind, _chunked = body_behind, chunked


def doubtful(smuggled=SMUGGLED):
    """Every request whose framing is in doubt, each with `smuggled` behind it (the bytes that a
    desynchronised reader would run as the next request): name -> (bytes, status, code). The
    status and code are this server's answer (code None: not pinned)."""
    SMUGGLED = smuggled  # the cases below read as the bytes they are
    N = b"%x" % len(SMUGGLED)

    def body_behind(head, body=SMUGGLED):
        return _body_behind(head, body)

    def chunked(size_line, data=SMUGGLED, after=b"\r\n0\r\n\r\n"):
        return _chunked(size_line, data, after)

    cases = {
        # CL.0: evhttp never reads a body for HEAD (nor TRACE): its bytes would be the next request
        "head_with_body": (body_behind(b"HEAD /healthz HTTP/1.1\r\nHost: x"), 400, "bad_framing"),
        "trace_with_body": (body_behind(b"TRACE /healthz HTTP/1.1\r\nHost: x"), 501,
                            "not_implemented"),
        "head_chunked": (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        # two Content-Lengths, the first shorter: the rest would run as a request
        "two_content_lengths": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                                b"Content-Length: %d\r\n\r\n{}" % (2 + len(SMUGGLED)) + SMUGGLED,
                                400, "bad_framing"),
        "content_length_plus": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n"
                                b"\r\n{}" + SMUGGLED, 400, "bad_framing"),
        # TE.CL with an obfuscated Transfer-Encoding: a space before the colon
        "te_space_colon": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                           b"Transfer-Encoding : chunked\r\n\r\n%x\r\n" % len(SMUGGLED) + SMUGGLED
                           + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        # codings other than chunked: no body for evhttp, so the body would run
        "te_xchunked": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked"
                        b"\r\n\r\n" + SMUGGLED, 501, "not_implemented"),
        "te_identity": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity"
                        b"\r\n\r\n" + SMUGGLED, 501, "not_implemented"),
        "te_twice": (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400, "bad_framing"),
        # Host: missing, twice, malformed
        "no_host": (b"GET /healthz HTTP/1.1\r\n\r\n" + SMUGGLED, 400, "bad_framing"),
        "two_hosts": (b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SMUGGLED, 400,
                      "bad_framing"),
        "bad_host": (b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n" + SMUGGLED, 400, "bad_framing"),
        "bad_host_port": (b"GET /healthz HTTP/1.1\r\nHost: a:8x\r\n\r\n" + SMUGGLED, 400,
                          "bad_framing"),
        # a version this server does not speak
        "http_1_2": (b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n" + SMUGGLED, 505,
                     "http_version_not_supported"),
        # field names that are not tokens, a control character in a value
        "name_not_token": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX@A: 1\r\n\r\n" + SMUGGLED, 400,
                           "bad_framing"),
        "value_control": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n" + SMUGGLED, 400,
                          "bad_framing"),
        # which of two Cookie fields names the session would be a guess
        "two_cookies": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n"
                        + SMUGGLED, 400, "bad_framing"),
    }
    cases.update({
        # CL.TE and TE.CL: both fields, in either order
        "cl_te": (LOGIN + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + N + b"\r\n" + SMUGGLED + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        "te_cl": (LOGIN + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                  + N + b"\r\n" + SMUGGLED + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        # TE.TE: an obfuscated second or only Transfer-Encoding
        "te_te_second_bogus": (LOGIN + b"Transfer-Encoding: chunked\r\nTransfer-encoding: x\r\n"
                               b"\r\n0\r\n\r\n" + SMUGGLED, 400, None),
        "te_vertical_tab": (LOGIN + b"Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                            400, None),
        "te_chunked_gzip": (LOGIN + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + SMUGGLED,
                            501, "not_implemented"),
        "te_bare_lf": (LOGIN + b"X-A: 1\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                       400, "bad_framing"),
        "te_folded": (LOGIN + b"X-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                      400, "bad_framing"),
        # chunk sizes are hex digits only; data is followed by CRLF; a trailer must be empty
        "chunk_0x": (chunked(b"0x" + N), 400, "bad_framing"),
        "chunk_plus": (chunked(b"+" + N), 400, "bad_framing"),
        "chunk_space": (chunked(b" " + N), 400, "bad_framing"),
        "chunk_bare_lf": (LOGIN + b"Transfer-Encoding: chunked\r\n\r\n" + N + b"\n" + SMUGGLED
                          + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        "chunk_no_crlf_after_data": (chunked(N, after=b"0\r\n\r\n"), 400, "bad_framing"),
        "chunk_last_bare_lf": (chunked(b"0", data=b"", after=b"\n") + SMUGGLED, 400, "bad_framing"),
        "chunk_trailer_field": (chunked(b"0", data=b"", after=b"Cookie: x=1\r\n\r\n") + SMUGGLED, 400,
                                "bad_framing"),
        "chunk_negative": (chunked(b"-1"), 400, "bad_framing"),
        # where http-parser, as Debian builds it (not strict), would take any two bytes for CRLF
        "chunk_data_then_xy": (chunked(N, after=b"XY0\r\n\r\n"), 400, "bad_framing"),
        "chunk_size_cr_x": (LOGIN + b"Transfer-Encoding: chunked\r\n\r\n" + N + b"\rX" + SMUGGLED
                            + b"\r\n0\r\n\r\n", 400, "bad_framing"),
        "chunk_ext_no_semicolon": (chunked(N + b" x"), 400, "bad_framing"),
        "head_ends_cr_x": (LOGIN + b"Content-Length: %d\r\n\r " % len(SMUGGLED) + SMUGGLED, 400,
                           "bad_framing"),
        "version_hxxp": (b"GET /healthz HXXP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400,
                         "bad_framing"),
        "chunk_huge": (chunked(b"f" * 20), 413, None),
        # lines: bare LF ends, folding, NUL, the request line's spaces
        "bare_lf_head": (b"GET /healthz HTTP/1.1\nHost: x\n\n" + SMUGGLED, 400, "bad_framing"),
        "bare_lf_request_line": (b"GET /healthz HTTP/1.1\nHost: x\r\n\r\n" + SMUGGLED, 400,
                                 "bad_framing"),
        "obs_fold": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n" + SMUGGLED, 400,
                     "bad_framing"),
        "nul_in_value": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" + SMUGGLED, 400,
                         "bad_framing"),
        "cr_in_value": (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n" + SMUGGLED, 400,
                        "bad_framing"),
        "double_space": (b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400,
                         "bad_framing"),
        "tab_request_line": (b"GET\t/healthz HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400, None),
        "space_in_target": (b"GET /health z HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400, None),
        "form_feed_in_target": (b"GET /health\x0cz HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400,
                                "bad_framing"),
        "high_byte_in_target": (b"GET /health\xe9 HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400,
                                "bad_framing"),
        "te_chunked_tab": (LOGIN + b"Transfer-Encoding: chunked\t\r\n\r\n0\r\n\r\n" + SMUGGLED,
                           501, "not_implemented"),
        # versions
        "http_1_257": (b"GET /healthz HTTP/1.257\r\nHost: x\r\n\r\n" + SMUGGLED, 505,
                       "http_version_not_supported"),
        "http_2_0": (b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n" + SMUGGLED, 505,
                     "http_version_not_supported"),
        "http_0_9": (b"GET /healthz\r\n\r\n" + SMUGGLED, 400, "bad_framing"),
        # methods this server does not implement
        "connect": (b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n" + SMUGGLED, 501,
                    "not_implemented"),
        "lowercase_method": (b"get /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 501,
                             "not_implemented"),
        # limits: a long target, an expectation other than 100-continue, a fragment
        "long_target": (b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 414,
                        "uri_too_long"),
        "expect_other": (body_behind(LOGIN + b"Expect: 200-ok", b"{}") + SMUGGLED, 417,
                         "expectation_failed"),
        "fragment": (b"GET /healthz#x HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, 400, "bad_framing"),
    })
    return cases


CASES = doubtful()


@pytest.mark.parametrize("case", sorted(CASES))
def test_doubtful_framing_is_refused_and_closed(server, case):
    data, status, code = CASES[case]
    refused(server, data, status, code)


def test_a_body_on_other_methods_is_read_as_a_body(server):
    """GET and DELETE bodies are read (and refused by the API on routes that take none): their
    bytes never run as a request."""
    for method, path in ((b"GET", b"/healthz"), (b"DELETE", b"/api/v1/session")):
        raw = server.raw(body_behind(method + b" " + path + b" HTTP/1.1\r\nHost: x\r\n"
                                     b"X-Requested-With: dissent\r\nConnection: close"))
        assert answers(raw) == [b"400"] and b"unexpected_body" in raw, (method, raw[:600])


def test_sound_requests_still_pass(server):
    """What the rules must not break: pipelining, a chunked body, HTTP/1.0 without Host, a zero
    Content-Length on GET, ports and IP literals in Host."""
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED
                     + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answers(raw) == [b"200", b"200", b"200"], raw[:600]
    body = b'{"username":"nobody","password":"wrong password"}'
    raw = server.raw(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nX-Requested-With: dissent\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body
                     + b"\r\n0\r\n\r\n")
    assert answers(raw) == [b"401"], raw[:600]
    # a chunk extension is accepted and ignored
    raw = server.raw(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nX-Requested-With: dissent\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n%x ;name=value\r\n" % len(body) + body
                     + b"\r\n0\r\n\r\n")
    assert answers(raw) == [b"401"], raw[:600]
    # an empty line before a request is ignored (RFC 9112 2.2); absolute-form is accepted
    raw = server.raw(b"\r\nGET http://x/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answers(raw) == [b"200"], raw[:600]
    # Expect: 100-continue gets its 100 once the head passed, then the answer
    raw = server.raw(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nX-Requested-With: dissent\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert answers(raw) == [b"100", b"401"], raw[:600]
    for head in (b"GET /healthz HTTP/1.0\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 0\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: dissent.example\r\n"):
        raw = server.raw(head + b"Connection: close\r\n\r\n")
        assert answers(raw) == [b"200"], (head, raw[:600])


def test_malformed_queries_are_refused_never_dropped(server, admin):
    """A filter too long or badly %-encoded is a 422 naming it, not a list without the filter."""
    server.add_user(admin, "sam", ["staff"])
    s = server.login("sam", "correct horse battery")
    long = "x" * 300
    for query, field in (("state=" + long, "state"), ("state=%zz", "state"),
                         ("role=" + long, "role"), ("role=dr%00after", "role"),
                         ("after=" + long, "after"), ("after=%4", "after")):
        r = s.get(server.url + "/api/v1/memos?" + query, timeout=10)
        assert r.status_code == 422, (query, r.status_code, r.text)
        assert r.json()["error"]["field"] == field, (query, r.text)
    r = s.get(server.url + "/api/v1/users/search?q=sa&role=" + long, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["field"] == "role", r.text
    r = s.get(server.url + "/api/v1/users/search?q=sa&role=%ZZ", timeout=10)
    assert r.status_code == 422 and r.json()["error"]["field"] == "role", r.text
    # well-formed ones still work
    assert s.get(server.url + "/api/v1/memos?state=draft&role=drafter", timeout=10).status_code \
        == 200


@pytest.mark.parametrize("head", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\t\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: te, close\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: te\r\nConnection: close\r\n",
    b"GET /healthz HTTP/1.0\r\nConnection: keep-alive, close\r\n",
    b"GET /healthz HTTP/1.0\r\n",
])
def test_close_in_any_spelling_closes(server, head):
    """"close" anywhere in the Connection fields (or HTTP/1.0 without keep-alive) ends the
    connection after the answer: the request behind it never runs (RFC 9112 9.3, 9.6)."""
    raw = server.raw(head + b"\r\n" + SMUGGLED)
    assert answers(raw) == [b"200"], (head, raw[:600])
    assert b"\r\nconnection: close" in raw.split(b"\r\n\r\n", 1)[0].lower(), raw[:600]


def test_a_refused_head_request_gets_no_body(server):
    """A HEAD answer has no body, a refusal included: its bytes would be read as the next
    answer by whoever reads them (RFC 9110 9.3.2)."""
    raw = server.raw(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert answers(raw) == [b"400"], raw[:600]
    assert int(re.search(rb"\r\ncontent-length: (\d+)", head, re.I).group(1)) > 0
    assert rest == b"", raw[:600]


def test_a_client_that_closes_its_side_after_pipelining_gets_every_answer(server):
    """Three requests, the first one slow (a sign-in, on the thread pool), then the client shuts
    its side: all three are answered, in order, and then the connection closes."""
    import socket
    body = b'{"username":"nobody","password":"wrong password"}'
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"X-Requested-With: dissent\r\nContent-Length: %d\r\n\r\n" % len(body) + body
              + SMUGGLED + SMUGGLED)
    s.shutdown(socket.SHUT_WR)
    raw = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    s.close()
    assert answers(raw) == [b"401", b"200", b"200"], raw[:900]
