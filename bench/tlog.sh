#!/usr/bin/env bash
# The transparency log standalone, at a million entries (no server, no database):
#   1. bench/tlog_bench: append rate (one entry per tlog_append() call, as the server appends,
#      and batches of 1,000), checkpoint root and signing, inclusion-proof latency (random and
#      recent entries, cold reader and 64-tile cache), receipts, consistency proofs.
#   2. `dissent log build` end to end: a 1,000,000-line entries file to checkpoint, tiles and
#      bundles on disk.
#   3. the live server's log over HTTP (wrk): a full tile, a partial bundle, the checkpoint, and
#      the public page of figures (GET /public).
# Usage: bench/tlog.sh [ENTRIES] [PROOFS]   (defaults 1000000 and 2000)
#        TLOG_HTTP_ONLY=1 bench/tlog.sh     (part 3 alone)
set -euo pipefail
cd "$(dirname "$0")/.."
entries="${1:-1000000}"
proofs="${2:-2000}"

scripts/setup.sh run
scripts/build.sh release

work=$(mktemp -d /tmp/dissent-bench-tlog-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"; echo "work: $work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
if [ -z "${TLOG_HTTP_ONLY:-}" ]; then
echo "== library (tiles in memory) =="
build/bench/tlog_bench "$entries" "$proofs"

echo "== dissent log build =="
# Entries of about the size of a memo event; the key is the published Tessera test key.
awk -v n="$entries" 'BEGIN { for (i = 0; i < n; i++)
    printf "{\"event\":\"filed\",\"tag\":\"%016x\",\"date\":\"2025-%02d-%02d\",\"signers\":%d}\n",
        i * 2654435761 % 4294967296, i % 12 + 1, i % 28 + 1, i % 40 + 1 }' >"$work/entries"
echo "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg" \
    >"$work/key"
start=$(date +%s.%N)
build/dissent log build --origin bench.example/log --key "$work/key" --entries "$work/entries" \
    --out "$work/log"
end=$(date +%s.%N)
files=$(find "$work/log" -type f | wc -l)
bytes=$(du -sb "$work/log" | cut -f1)
awk -v n="$entries" -v s="$start" -v e="$end" -v f="$files" -v b="$bytes" 'BEGIN {
    printf "log build: %d entries in %.2f s, %.0f entries/s, %d files, %.1f MB\n",
        n, e - s, n / (e - s), f, b / 1e6 }'
head -2 "$work/log/checkpoint" | tail -1 | sed 's/^/checkpoint size: /'
fi

echo "== tiles over HTTP (dissent serve, SQLite) =="
# A live log of 256 entries (one full tile at level 0), filled through the API, then wrk on a
# full tile, a partial entry bundle and the checkpoint, 2 threads and 64 connections each.
scripts/setup.sh bench
secs="${TLOG_HTTP_SECONDS:-10}"
cat >"$work/dissent.ini" <<CONF
[security]
argon2_ops = 1
argon2_mem_kib = 8
require_2fa = none
[channel]
reply_approval = false
[tlog]
checkpoint_interval = 1
CONF
build/dissent serve --config "$work/dissent.ini" --data "$work/var" --listen 127.0.0.1:0 \
    >"$work/out" 2>"$work/log.txt" &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; echo "work: $work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")
pw=$(sed -n 's/^ *password: //p' "$work/out")
size=$(/usr/bin/python3 bench/tlog_http.py "http://127.0.0.1:$port" "$pw" 64)
echo "live log size: $size"
for path in log/tile/0/000 "log/tile/entries/000" "log/tile/entries/000.p/100" \
    log/checkpoint public; do
    rate=$(wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$port/$path" |
        awk '/Requests\/sec/ {print $2}')
    printf "GET /%-28s %10.0f requests/s\n" "$path" "$rate"
done
