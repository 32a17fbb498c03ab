#!/usr/bin/env bash
# Memory and time at scale: a data directory filled with a channel's history (bench/fill: MEMOS
# memos filed over two years, all but RUNNING answered after CYCLES rounds of clarification,
# about 6 + 2 x CYCLES log entries each), then one server on it: the time from start to
# /readyz, its resident memory idle and after each request, and the time of the officer's
# inbox (the queue's counts and pages, the list of filed memos), a drafter's list, the
# statistics (counted once after the start, on the pool) and /public (the first request, then the
# kept figures), inclusion
# proofs (filing receipts of the newest and the oldest memo) and /me.
# Usage: bench/scale.sh [MEMOS] [RUNNING] [CYCLES] [ROUNDS]   (defaults 100000 1000 2 20)
# The data directory goes under /dev/shm when it can (the fill's million transactions do not
# wait on a disk; the figures are the server's, reading from the page cache either way).
# KEEP=1 keeps it; DATA=DIR measures a directory filled before instead of filling one.
set -euo pipefail
cd "$(dirname "$0")/.."
memos="${1:-100000}"
running="${2:-1000}"
cycles="${3:-2}"
rounds="${4:-20}"
PY=/usr/bin/python3 # Debian's python3 with python3-requests, whatever else is on PATH

scripts/setup.sh bench
scripts/build.sh release

base=/tmp
[ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/dissent-scale-XXXXXX")
pid=
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
data="${DATA:-}"
if [ -z "$data" ]; then
    data="$work/var"
    mkdir -m 700 "$data"
    echo "fill: $memos memos ($running waiting), $cycles clarification rounds each"
    start=$(date +%s.%N)
    build/bench/fill "$data" "$memos" "$running" "$cycles" 2>"$work/fill.log" | tee "$work/fill.out"
    end=$(date +%s.%N)
    grep -v '"level":"info"' "$work/fill.log" | tail -n 3 >&2 || true
    awk -v s="$start" -v e="$end" 'BEGIN { printf "fill: %.0f s\n", e - s }'
fi
du -sh "$data" | awk '{print "data directory: " $1}'

# the accounts keep the fill's cheap Argon2id; the server's clock is the real one
cat >"$work/dissent.ini" <<CONF
[server]
listen = 127.0.0.1:0
[security]
argon2_ops = 1
argon2_mem_kib = 8192
require_2fa = none
login_max_failures = 1000
[channel]
timezone = UTC
accept_window = 30
reply_approval = off
CONF
t0=$(date +%s.%N)
build/dissent serve --config "$work/dissent.ini" --data "$data" >"$work/out" 2>"$work/log" &
pid=$!
port=
for _ in $(seq 600); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$port" ] && curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.05
done
t1=$(date +%s.%N)
[ -n "$port" ] || { echo "server did not start:" >&2; cat "$work/log" >&2; exit 1; }
awk -v s="$t0" -v e="$t1" 'BEGIN { printf "start to /readyz: %.0f ms (polled every 50 ms)\n", (e - s) * 1000 }'
# the statistics are counted on the pool once the server serves (api/serve.c's warm()): its line
for _ in $(seq 2400); do
    grep -q 'statistics: ' "$work/log" && break
    sleep 0.05
done
sed -n 's/.*"msg":"\(statistics: [^"]*\)".*/\1/p' "$work/log" | head -n 1
awk '/VmRSS|VmHWM/ {printf "%s %.1f MiB  ", $1, $2 / 1024} END {print "(after it)"}' "/proc/$pid/status"
$PY bench/scale.py "http://127.0.0.1:$port" "$pid" "$rounds"
grep '"level":"error"' "$work/log" | head -n 5 >&2 || true
