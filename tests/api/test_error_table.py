"""docs/api.md's table of error codes against the source (issue 17): every (status, code) the
server can answer is in the table, and every row of the table is one the server can answer.
Read from the source, not from a running server: the pairs are the literal ones in api_error(),
the one mapping table (api/helpers.c err_map), the HTTP layer's refusals (http/h1.c refuse(),
and the server's own through its handler's error()) and the answers the API builds itself
(set_error()). Out of memory is one answer everywhere: 503 out_of_memory."""
import glob
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def documented():
    """{(status, code)} of the table under **Errors.** in docs/api.md."""
    text = read("docs/api.md")
    start = text.index("**Errors.**")
    table = text[start:text.index("\n\n", text.index("| status | code | when |", start))]
    pairs = set()
    for line in table.splitlines():
        m = re.match(r"\| (\d{3}) \| ([^|]+) \|", line)
        if m:
            for code in re.findall(r"`([a-z_]+)`", m.group(2)):
                pairs.add((int(m.group(1)), code))
    return pairs


def answered():
    """{(status, code)} the source can answer, with where each was found."""
    found = {}
    patterns = [
        (sorted(glob.glob(os.path.join(ROOT, "src/api/*.c"))),
         r'\bapi_error\(\s*[^,;]+,\s*(\d{3}),\s*"([a-z_]+)"'),
        ([os.path.join(ROOT, "src/api/helpers.c")], r'\{ERR_[A-Z_]+,\s*(\d{3}),\s*"([a-z_]+)"[,}]'),
        ([os.path.join(ROOT, "src/api/helpers.c")], r'\bset_error\(\s*resp,\s*(\d{3}),\s*"([a-z_]+)"'),
        ([os.path.join(ROOT, "src/http/h1.c")], r'\brefuse\(\s*h,\s*(\d{3}),\s*"([a-z_]+)"'),
        ([os.path.join(ROOT, "src/http/server.c")], r'->error\([^,]+,\s*[^,]+,\s*(\d{3}),\s*"([a-z_]+)"'),
    ]
    for files, pattern in patterns:
        for path in files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for m in re.finditer(pattern, text, re.S):
                found.setdefault((int(m.group(1)), m.group(2)), os.path.relpath(path, ROOT))
    return found


def test_every_error_the_server_answers_is_documented_and_every_documented_one_answered():
    docs, src = documented(), answered()
    assert len(docs) >= 30 and len(src) >= 30, (len(docs), len(src))
    undocumented = {p: where for p, where in src.items() if p not in docs}
    unanswered = docs - set(src)
    assert not undocumented, "answered by the source, missing from docs/api.md: %r" % undocumented
    assert not unanswered, "in docs/api.md, answered nowhere in the source: %r" % unanswered


def test_the_table_reader_sees_a_missing_row():
    """The comparison can fail: a pair the source answers and the table lacks is reported."""
    docs = documented()
    some = next(iter(answered()))
    assert some in docs
    assert some not in docs - {some}
