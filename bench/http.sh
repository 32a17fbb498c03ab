#!/usr/bin/env bash
# HTTP throughput: wrk against `dissent serve` (GET /healthz, and an authenticated
# GET /api/v1/me) and, with the same wrk settings, against nginx answering `return 200` on loopback.
# Prints each throughput and its ratio to nginx. Usage: bench/http.sh [SECONDS] [CONNECTIONS]
# DISSENT_BIN=PATH measures another build of the server (an older commit's, for a comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-64}"
threads=2

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

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- dissent ---
"${DISSENT_BIN:-build/dissent}" serve --data "$work/var" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")
pw=$(sed -n 's/^ *password: //p' "$work/out")
cookie=$(curl -s -D - -o /dev/null -H 'X-Requested-With: dissent' -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$pw\"}" "http://127.0.0.1:$port/api/v1/session" |
    sed -n 's/^Set-Cookie: \(dissent_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
curl -sf -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/me" >/dev/null

# --- nginx: a static 200 ---
nport=$(free_port)
mkdir -p "$work/nginx/html"
chmod 755 "$work" "$work/nginx" "$work/nginx/html"  # nginx workers run as www-data
echo '{"status":"ok"}' >"$work/nginx/html/index.json"
chmod 644 "$work/nginx/html/index.json"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server {
        listen 127.0.0.1:$nport;
        root $work/nginx/html;
        # the stronger anchor (issue 22): nginx answering from its configuration, no file
        location = / { default_type application/json; return 200 '{"status":"ok"}\n'; }
    }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nport/" >/dev/null && break; sleep 0.1; done

rate() { # URL [header]
    local args=(-t"$threads" -c"$conns" -d"${secs}s" --latency)
    [ $# -gt 1 ] && args+=(-H "$2")
    wrk "${args[@]}" "$1" | tee -a "$work/wrk.txt" | awk '/Requests\/sec/ {print $2}'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "wrk: $threads threads, $conns connections, ${secs}s per target"
n=$(rate "http://127.0.0.1:$nport/")
h=$(rate "http://127.0.0.1:$port/healthz")
m=$(rate "http://127.0.0.1:$port/api/v1/me" "Cookie: $cookie")
printf "%-34s %12s %8s\n" target "requests/s" "x nginx"
printf "%-34s %12.0f %8.2f\n" "nginx static 200" "$n" 1
printf "%-34s %12.0f %8.2f\n" "dissent GET /healthz" "$h" "$(echo "$h / $n" | bc -l)"
printf "%-34s %12.0f %8.2f\n" "dissent GET /api/v1/me (session)" "$m" "$(echo "$m / $n" | bc -l)"
if grep -q "Non-2xx" "$work/wrk.txt"; then
    echo "WARNING: some responses were not 2xx:"; grep "Non-2xx" "$work/wrk.txt"
fi
