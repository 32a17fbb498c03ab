#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build (plain and sanitizer builds), and run
# every test suite. The last line is "N passed, N failed"; the exit status is non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test || exit 1
scripts/build.sh release || exit 1
scripts/build.sh asan || exit 1

out=build/test-results
rm -rf "$out"
mkdir -p "$out"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
PY=/usr/bin/python3   # Debian's python3 with python3-pytest, whatever else is on PATH

# 1. formatting, as one test; and the layers' one-way rule (docs/architecture.md), as another
mapfile -t cfiles < <(find src tests bench fuzz -name '*.[ch]' -not -path 'tests/vectors/*' | sort)
if clang-format --dry-run --Werror "${cfiles[@]}" >"$out/format.log" 2>&1; then
    echo "ok 1 - clang-format" >"$out/format.tap"
else
    cat "$out/format.log"
    echo "not ok 1 - clang-format" >"$out/format.tap"
fi
if $PY tests/layers.py >>"$out/format.log" 2>&1; then
    echo "ok 2 - include layers (tests/layers.py)" >>"$out/format.tap"
else
    cat "$out/format.log"
    echo "not ok 2 - include layers (tests/layers.py)" >>"$out/format.tap"
fi

# 2. unit tests, plain and sanitized (cmocka prints TAP)
for b in build build-asan; do
    meson test -C "$b" --suite unit --print-errorlogs >"$out/unit-$b.log" 2>&1
    cp "$b/meson-logs/testlog.json" "$out/unit-$b.json"
    grep -E "^ *[0-9]+/[0-9]+ " "$out/unit-$b.log"
done

# 2b. short fuzz runs: every libFuzzer target (fuzz/) for a few seconds on its committed corpus,
#     in a clang build of its own (build-fuzz); one TAP line per target. The corpora themselves
#     were already replayed above as unit tests (fuzz_replay_*) in both builds.
n=0
fuzz/run.sh 12 >"$out/fuzz.log" 2>&1
while IFS= read -r line; do
    case "$line" in
    *": "*" executions") n=$((n + 1)); echo "ok $n - fuzz $line" ;;
    *": CRASHED "*) n=$((n + 1)); echo "not ok $n - fuzz $line" ;;
    esac
done <"$out/fuzz.log" >"$out/fuzz.tap"
[ "$n" -gt 0 ] || { cat "$out/fuzz.log"; echo "not ok 1 - fuzz: fuzz/run.sh ran nothing" >"$out/fuzz.tap"; }
cat "$out/fuzz.tap"

# 2c. the Debian package: built from a copy of the tree, lintian, its man pages, its sandboxed
#     unit (systemd-analyze), and an install, a start, a removal and a purge in a throwaway root
#     (tests/package/check.sh; the .deb and the logs in build/package)
tests/package/check.sh build/package >"$out/package.tap" 2>"$out/package.log"
grep -E "^(not )?ok " "$out/package.tap" | sed 's/^/package: /'

# 3. browser tests of the web interface, in the background while the API suites run (they
#    mostly wait: for codes, timeouts, pages): playwright-core (npm, tests/browser/package.json)
#    driving Debian's Chromium against the plain build; screenshots in build/browser-screenshots/.
#    npm runs only when node_modules is missing or older than the lock file, so this works
#    offline once installed.
if [ ! -d tests/browser/node_modules/playwright-core ] ||
   [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
        echo "browser: npm ci failed (offline?); using whatever is installed" >&2
fi
# 3a. ESLint (npm, flat config tests/browser/eslint.config.mjs) over the web interface's modules,
#     as a third line of format.tap
if tests/browser/node_modules/.bin/eslint -c tests/browser/eslint.config.mjs web/js \
    >>"$out/format.log" 2>&1; then
    echo "ok 3 - eslint web/js" >>"$out/format.tap"
else
    cat "$out/format.log"
    echo "not ok 3 - eslint web/js" >>"$out/format.tap"
fi
DISSENT_BIN="$PWD/build/dissent" node tests/browser/run.mjs --tap "$out/browser.tap" \
    --screenshots build/browser-screenshots >"$out/browser.log" 2>&1 &
browser_pid=$!

# 4. (in the background, beside 3b's sanitized run: both mostly wait on their servers) the same
#    store contract and the whole API suite again on PostgreSQL (plain build only), on a
#    throwaway cluster under build/pg (scripts/pg.sh): each test of test_store gets its own
#    database ("{n}"), each API test server its own (tests/api/conftest.py)
pg_suite() {
    local pg_base
    if pg_base=$(scripts/pg.sh start 2>"$out/pg.log"); then
        for i in $(seq 1 20); do
            psql -X -q "$pg_base/postgres" -c "DROP DATABASE IF EXISTS dissent_store_$i" \
                -c "CREATE DATABASE dissent_store_$i" >>"$out/pg.log" 2>&1
        done
        DISSENT_TEST_STORE="$pg_base/dissent_store_{n}" CMOCKA_MESSAGE_OUTPUT=TAP \
            build/tests/unit/test_store >"$out/unit-store-pg.tap" 2>>"$out/pg.log"
        grep -E "^(not )?ok " "$out/unit-store-pg.tap" | sed 's/^/store on PostgreSQL: /'
        DISSENT_BIN="$PWD/build/dissent" DISSENT_TEST_PG_URI_BASE="$pg_base" \
            $PY -m pytest -q -p no:cacheprovider tests/api --junitxml="$out/api-build-pg.xml" 2>&1 |
            tail -n 30
        scripts/pg.sh stop
    else
        cat "$out/pg.log"
        echo "not ok 1 - PostgreSQL test cluster (scripts/pg.sh start)" >"$out/pg-cluster.tap"
    fi
}

# 3b. black-box API tests against the real binary, plain and sanitized, side by side with 4
#     (the three suites mostly wait on their servers: run together, they take the time of the
#     longest rather than the sum)
DISSENT_BIN="$PWD/build/dissent" $PY -m pytest -q -p no:cacheprovider tests/api \
    --junitxml="$out/api-build.xml" >"$out/api-plain.log" 2>&1 &
plain_pid=$!
pg_suite >"$out/pg-suite.log" 2>&1 &
pg_pid=$!
DISSENT_BIN="$PWD/build-asan/dissent" $PY -m pytest -q -p no:cacheprovider tests/api \
    --junitxml="$out/api-build-asan.xml" 2>&1 | tail -n 30
wait "$plain_pid"
tail -n 30 "$out/api-plain.log"

wait "$browser_pid"
# every failed step with its diagnostics first (the tail alone may not reach them), then the end
awk '/^not ok/ { p = 1; print; next } /^  #/ { if (p) print; next } { p = 0 }' "$out/browser.log" | head -n 150
tail -n 20 "$out/browser.log"
wait "$pg_pid"
cat "$out/pg-suite.log"

# 5. PostgreSQL failover under signing load (tests/failover/): a primary and a synchronous
#    standby of their own, two servers on a multi-host URI, the primary SIGKILLed and the standby
#    promoted (once, on the plain build; after the PostgreSQL suite, whose clusters' owner it
#    shares)
DISSENT_BIN="$PWD/build/dissent" $PY -m pytest -q -p no:cacheprovider tests/failover \
    --junitxml="$out/failover.xml" 2>&1 | tail -n 5

$PY tests/summarize.py "$out"
