#!/usr/bin/env bash
# Reading a filed memo: wrk against `dissent serve` on GET /api/v1/memos/{id} as an officer of
# its channel (the route loads the memo, its channel's rules, the officer's channel key and the
# memo's key, and decrypts it). Prints the throughput and latency. Usage:
#   bench/memo.sh [SECONDS] [CONNECTIONS]
# DISSENT_BIN=PATH measures another build of the server (an older commit's, for a comparison);
# SECOND_CHANNEL=1 files the memo to a second channel (its own key and rules).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-32}"
threads=2
bin="${DISSENT_BIN:-build/dissent}"

if [ -z "${DISSENT_BIN:-}" ]; then
    scripts/setup.sh bench
    scripts/build.sh release
fi

work=$(mktemp -d /tmp/dissent-bench-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/dissent.ini" <<INI
[security]
require_2fa = none
[channel]
reply_approval = false
INI
"$bin" serve --config "$work/dissent.ini" --data "$work/var" --listen 127.0.0.1:0 \
    >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/out")
adminpw=$(sed -n 's/^ *password: //p' "$work/out")

# every call: the JSON answer on stdout; a session's cookie kept in a jar per user
call() { # USER METHOD PATH [BODY]
    curl -sf -b "$work/$1.jar" -c "$work/$1.jar" -X "$2" -H 'X-Requested-With: dissent' \
        -H 'Content-Type: application/json' ${4:+-d "$4"} "$base$3"
}
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }
pw='correct horse battery staple'
call admin POST /api/v1/session "{\"username\":\"admin\",\"password\":\"$adminpw\"}" >/dev/null
channel=
if [ -n "${SECOND_CHANNEL:-}" ]; then
    call admin POST /api/v1/channels '{"slug":"two"}' >/dev/null
    channel=',"channels":["two"]'
fi
for u in dora:staff olga:officer; do
    name=${u%%:*} role=${u#*:}
    extra=""; [ "$role" = officer ] && extra=$channel
    code=$(call admin POST /api/v1/users \
        "{\"username\":\"$name\",\"roles\":[\"$role\"]$extra}" | field '["enrolment"]["code"]')
    call "$name" POST /api/v1/enrol \
        "{\"username\":\"$name\",\"code\":\"$code\",\"password\":\"$pw\"}" >/dev/null
    call "$name" POST /api/v1/session "{\"username\":\"$name\",\"password\":\"$pw\"}" >/dev/null
done
body='{"title":"A benchmark memo","body":"Its text, read again and again.\n"'
[ -n "${SECOND_CHANNEL:-}" ] && body="$body,\"channel\":\"two\""
id=$(call dora POST /api/v1/memos "$body}" | field '["id"]')
for step in finalize signatures file; do call dora POST "/api/v1/memos/$id/$step" >/dev/null; done
call olga GET "/api/v1/memos/$id" | field '["title"]' >/dev/null
cookie=$(awk '$6 == "dissent_session" {print $6 "=" $7}' "$work/olga.jar")

echo "machine: $(nproc) cores, $(uname -r); server: $bin ($("$bin" version | head -n 1))"
number=1
[ -n "${SECOND_CHANNEL:-}" ] && number=2
echo "wrk: $threads threads, $conns connections, ${secs}s; GET /api/v1/memos/{id} as its officer" \
    "(channel $number)"
wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -H "Cookie: $cookie" \
    -H 'X-Requested-With: dissent' "$base/api/v1/memos/$id" |
    awk '/Requests\/sec/ {print "requests/s: " $2} /^ +50%/ {print "p50: " $2} /^ +99%/ {print "p99: " $2}'
