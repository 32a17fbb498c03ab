#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh [release|asan]
#   release -> build/       (debugoptimized)
#   asan    -> build-asan/  (AddressSanitizer + UndefinedBehaviorSanitizer, no recovery, and the
#                            tests' fault switches: util/fault.h)
# Quiet when all goes well; on failure the tool's output is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
release)
    dir=build
    args=(--buildtype=debugoptimized)
    ;;
asan)
    dir=build-asan
    args=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
          -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all
          -Dfaults=true)
    ;;
*) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" "${args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build: meson setup $dir failed" >&2
    exit 1
fi
# a sanitizer tree configured before the fault switches' option existed gets it now
if [ "$kind" = asan ] && ! meson introspect "$dir" --buildoptions 2>/dev/null |
        /usr/bin/python3 -c 'import json, sys
sys.exit(0 if any(o["name"] == "faults" and o["value"] for o in json.load(sys.stdin)) else 1)'; then
    if ! meson setup --reconfigure "$dir" "${args[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        echo "build: meson setup --reconfigure $dir failed" >&2
        exit 1
    fi
fi
if ! ninja -C "$dir" >"$log" 2>&1; then
    grep -v '^\[' "$log" >&2 || cat "$log" >&2
    echo "build: ninja -C $dir failed" >&2
    exit 1
fi
