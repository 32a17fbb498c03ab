#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh [release|asan]
#   release -> build/       (debugoptimized)
#   asan    -> build-asan/  (AddressSanitizer + UndefinedBehaviorSanitizer, no recovery)
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
          -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all)
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
if ! ninja -C "$dir" >"$log" 2>&1; then
    grep -v '^\[' "$log" >&2 || cat "$log" >&2
    echo "build: ninja -C $dir failed" >&2
    exit 1
fi
