#!/usr/bin/env bash
# Co-signing throughput: 1,000 signers whose sessions are already open each sign one memo, all at
# once (POST /api/v1/memos/{id}/signatures: key unwrapped, note signed and verified, row committed
# with SQLite synchronous=FULL, 201). Prints signatures/s beside a raw libsodium Ed25519
# sign+verify loop on one core measured in the same run, and their ratio.
# Usage: bench/sign.sh [ROUNDS] ["CONNECTIONS..."]   (defaults 3 and "64 1000")
# Each round is a fresh memo signed by the same 1,000 signers, over keep-alive connections opened
# beforehand (64 shared, or 1,000: one per signer); each figure is the median round.
# DISSENT_BIN=path benchmarks another binary (default build/dissent); DISSENT_WORKERS=N sets
# `serve --workers` (default: the config's, one per core). Each round also prints the servers'
# CPU time per signature (user + system, from /proc). PERF=FILE records `perf record -g` of the
# servers during the timed part of every round only (for profiling, not for the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
conns="${2:-64 1000}"
signers=1000
target=5000 # issue 22: one server on SQLite; two on PostgreSQL, 2,000 (below)
PY=/usr/bin/python3 # Debian's python3 with python3-requests, whatever else is on PATH

scripts/setup.sh bench
scripts/build.sh release

work=$(mktemp -d /tmp/dissent-bench-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"; echo "work: $work"
}
trap cleanup EXIT

# Setup is not measured: cheap Argon2id so 1,001 accounts and sign-ins take seconds, and a
# sign-in throttle that the setup's burst of sign-ins from one address cannot trip.
cat >"$work/dissent.ini" <<CONF
[security]
argon2_ops = 1
argon2_mem_kib = 8
login_max_failures = 1000
require_2fa = none
${BENCH_CONF:-}
CONF
serve=("${DISSENT_BIN:-build/dissent}" serve --config "$work/dissent.ini" --data "$work/var"
    --listen 127.0.0.1:0)
[ -z "${DISSENT_WORKERS:-}" ] || serve+=(--workers "$DISSENT_WORKERS")
# DISSENT_PG=1: two servers sharing one PostgreSQL database (a durable throwaway cluster,
# scripts/pg.sh with fsync on) and one data directory; the signers are split between them.
servers=1
if [ -n "${DISSENT_PG:-}" ]; then
    scripts/setup.sh test
    scripts/pg.sh stop >/dev/null 2>&1 || true
    pgbase=$(PG_FSYNC=on scripts/pg.sh start)
    trap 'cleanup; scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT
    psql -X -q "$pgbase/postgres" -c "DROP DATABASE IF EXISTS dissent_bench" \
        -c "CREATE DATABASE dissent_bench" >/dev/null
    serve+=(--db "$pgbase/dissent_bench")
    servers=2
    target=2000
fi
ports=()
for i in $(seq "$servers"); do
    "${serve[@]}" >"$work/out$i" 2>"$work/log$i" &
    pids+=($!)
    for _ in $(seq 100); do grep -q "listening on" "$work/out$i" 2>/dev/null && break; sleep 0.1; done
    ports+=("$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out$i")")
done
port=${ports[0]}
pw=$(sed -n 's/^ *password: //p' "$work/out1")
[ -n "$port" ] && [ -n "$pw" ] || { echo "server did not start:" >&2; cat "$work/log1" >&2; exit 1; }
base="http://127.0.0.1:$port"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "setup: $signers signers and a drafter, each signed in (not measured)"
$PY bench/sign_load.py users "$base" "$pw" "$signers" "$work"

# The raw floor, in the same run: one core, no HTTP, no database.
build/bench/sign_raw 20000 | tee "$work/raw.txt"
raw=$(sed -n 's/.* \([0-9]*\) pairs\/s$/\1/p' "$work/raw.txt")

# The servers' CPU time so far, in clock ticks (utime + stime of /proc/PID/stat).
cpu_ticks() {
    local t=0 p f
    for p in "${pids[@]}"; do
        f=$(sed 's/.*) //' "/proc/$p/stat")
        t=$((t + $(echo "$f" | cut -d' ' -f12) + $(echo "$f" | cut -d' ' -f13)))
    done
    echo "$t"
}

# One set of rounds per connection count; each round is a fresh memo and all 1,000 signers.
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
rows=()
met=yes
for c in $conns; do
    rates=()
    for r in $(seq "$rounds"); do
        memo=$($PY bench/sign_load.py memo "$base" "$work" "$signers")
        echo "round $r: memo $memo, drafter signed; $signers signers over $c connections"
        status=0
        cpu0=$(cpu_ticks)
        read -r _ u0 n0 s0 i0 w0 q0 sq0 _ </proc/stat
        perf_pid=
        if [ -n "${PERF:-}" ]; then
            perf record -q ${PERF_ARGS:--g} -o "$PERF.$c.$r" -p "$(IFS=,; echo "${pids[*]}")" &
            perf_pid=$!
            sleep 0.5
        fi
        if [ "$servers" -eq 1 ]; then
            build/bench/sign_load 127.0.0.1 "$port" "$memo" "$work/cookies" "$c" \
                >"$work/load-$c-$r.txt" || status=$?
        else
            # half the signers (and connections) on each server, at the same time; the rate
            # is all signatures over the time until the last answer
            split -n l/2 -d "$work/cookies" "$work/cookies."
            start=$(date +%s.%N)
            build/bench/sign_load 127.0.0.1 "${ports[0]}" "$memo" "$work/cookies.00" \
                $((c / 2)) >"$work/load-$c-$r.a" &
            a=$!
            build/bench/sign_load 127.0.0.1 "${ports[1]}" "$memo" "$work/cookies.01" \
                $((c - c / 2)) >"$work/load-$c-$r.b" || status=$?
            wait "$a" || status=$?
            end=$(date +%s.%N)
            cat "$work/load-$c-$r.a" "$work/load-$c-$r.b" >"$work/load-$c-$r.txt"
            awk -v n="$signers" -v s="$start" -v e="$end" 'BEGIN {
                printf "both servers: %d signatures in %.3f s, %d requests/s\n", n, e - s,
                    n / (e - s) }' >>"$work/load-$c-$r.txt"
        fi
        [ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
        cpu1=$(cpu_ticks)
        read -r _ u1 n1 s1 i1 w1 q1 sq1 _ </proc/stat
        awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" -v n="$signers" \
            -v busy=$(((u1 + n1 + s1 + q1 + sq1) - (u0 + n0 + s0 + q0 + sq0))) \
            -v idle=$(((i1 + w1) - (i0 + w0))) 'BEGIN {
            printf "server CPU: %.0f us per signature (user + system, all servers);", \
                (b - a) / hz * 1e6 / n
            printf " the machine %.0f%% busy\n", 100 * busy / (busy + idle + 1e-9) }' \
            >>"$work/load-$c-$r.txt"
        cat "$work/load-$c-$r.txt"
        if [ "$status" -ne 0 ]; then
            echo "FAIL: round $r: not every signature was answered 201" >&2
            exit 1
        fi
        $PY bench/sign_load.py check "$base" "$work" "$memo" $((signers + 1))
        echo "round $r: signer_count $((signers + 1)) and the bundle checked"
        rates+=("$(sed -n 's/.* \([0-9]*\) requests\/s$/\1/p' "$work/load-$c-$r.txt" | tail -n 1)")
    done
    m=$(printf '%s\n' "${rates[@]}" | median)
    [ "$m" -ge "$target" ] || met=no
    rows+=("$c|$m|${rates[*]}")
done

echo
printf "%-46s %10s %7s  %s\n" "" "per second" "x raw" "rounds"
printf "%-46s %10.0f %7.2f\n" "libsodium Ed25519 sign+verify, 1 core" "$raw" 1
for row in "${rows[@]}"; do
    IFS='|' read -r c m all <<<"$row"
    printf "%-46s %10.0f %7.2f  %s\n" "dissent signatures, $c connections (median)" "$m" \
        "$(echo "$m / $raw" | bc -l)" "$all"
done
if [ "$met" = yes ]; then
    echo "target >= $target signatures/s: met"
else
    echo "target >= $target signatures/s: NOT met"
fi
