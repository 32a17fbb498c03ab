#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh [release|asan]
#   release -> build/       (debugoptimized)
#   asan    -> build-asan/  (AddressSanitizer + UndefinedBehaviorSanitizer, no recovery)
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
release)
    dir=build
    [ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=debugoptimized >/dev/null
    ;;
asan)
    dir=build-asan
    [ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=debug \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all >/dev/null
    ;;
*) echo "usage: $0 release|asan" >&2; exit 2 ;;
esac
ninja -C "$dir" >/dev/null
