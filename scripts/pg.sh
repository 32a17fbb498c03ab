#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on loopback, under build/pg:
#   scripts/pg.sh start    initdb (once) and start it on a free port; print a base URI
#                          (postgresql://dissent@127.0.0.1:PORT) on stdout
#   scripts/pg.sh uri      print the base URI of the running cluster
#   scripts/pg.sh stop     stop it (the files stay; `rm -rf build/pg` forgets them)
# PG_FSYNC=on makes it durable (for benchmarks); the tests run without fsync.
# A database is named by appending /NAME to the base URI; create one with
#   psql "$BASE/postgres" -c 'CREATE DATABASE name'
# PostgreSQL refuses to run as root: as root, the cluster belongs to the system user
# "dissent-test" (created if missing). When that user cannot reach build/ (a checkout under
# /root, which Debian makes private), the cluster lives in /var/tmp/dissent-pg-HASH instead,
# HASH naming the checkout. Trust authentication on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=/usr/lib/postgresql/15/bin
user=dissent-test
dir="$PWD/build/pg"
if [ "$(id -u)" -eq 0 ] && id -u "$user" >/dev/null 2>&1; then
    mkdir -p "$PWD/build"
    # the owner must reach build/pg through every parent directory
    chmod o+x "$PWD" "$PWD/build" 2>/dev/null || true
    if ! runuser -u "$user" -- test -x "$PWD/build" 2>/dev/null; then
        dir="/var/tmp/dissent-pg-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)"
    fi
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

port_file="$dir/port"

case "${1:-}" in
start)
    [ -x "$bin/initdb" ] || { echo "pg.sh: PostgreSQL 15 is not installed" >&2; exit 1; }
    if [ "$(id -u)" -eq 0 ] && ! id -u "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
        exec "$0" start # again, now that the owner exists to choose the directory for
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$user" "$dir"
    fi
    if [ -f "$port_file" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        echo "postgresql://dissent@127.0.0.1:$(cat "$port_file")"
        exit 0
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U dissent --auth=trust -E UTF8 --locale=C \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # fsync=off: a throwaway cluster; the tests kill dissent servers, never PostgreSQL or the
    # machine, so what PostgreSQL acknowledged survives them anyway (and CREATE/DROP DATABASE,
    # once per test server, stay cheap)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=${PG_FSYNC:-off} -c full_page_writes=${PG_FSYNC:-off}" \
        >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    echo "$port" | as_owner tee "$port_file" >/dev/null
    echo "postgresql://dissent@127.0.0.1:$port"
    ;;
uri)
    [ -f "$port_file" ] || { echo "pg.sh: not started" >&2; exit 1; }
    echo "postgresql://dissent@127.0.0.1:$(cat "$port_file")"
    ;;
stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$port_file"
    ;;
*)
    echo "usage: $0 start|uri|stop" >&2
    exit 2
    ;;
esac
