#!/usr/bin/env bash
# Run every libFuzzer target for a while: fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60); TARGETs default to all of fuzz/meson.build's list.
# Builds build-fuzz with clang (-Dfuzz=true: libFuzzer, ASan, UBSan), then runs each target on
# its committed corpus (fuzz/corpus/<name>, read only) plus a scratch corpus
# (build-fuzz/corpus/<name>, where new inputs go), with fuzz/<name>.dict as its dictionary when
# there is one. Crash, leak and timeout inputs land in build-fuzz/crashes/<name>/. Prints one
# line per target, "<name>: N executions" or "<name>: CRASHED ...", and exits non-zero when any
# target failed.
# To add what a run found to the committed corpus (keeping it small):
#   build-fuzz/fuzz/fuzz_<name> -merge=1 fuzz/corpus/<name> build-fuzz/corpus/<name>
set -uo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
dir=build-fuzz
mapfile -t all < <(sed -n "s/^  '\([a-z_]*\)',$/\1/p" fuzz/meson.build)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all[@]}")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ] &&
   ! CC=clang meson setup "$dir" -Dfuzz=true --buildtype=debugoptimized -Db_lundef=false \
        >"$log" 2>&1; then
    cat "$log" >&2
    echo "fuzz: meson setup $dir failed" >&2
    exit 1
fi
if ! ninja -C "$dir" "${targets[@]/#/fuzz/fuzz_}" >"$log" 2>&1; then
    grep -v '^\[' "$log" >&2 || cat "$log" >&2
    echo "fuzz: build failed" >&2
    exit 1
fi

# longest input per target: bodies and documents get room, paths and names little
max_len() {
    case "$1" in
    route | tile_path) echo 1024 ;;
    note | checkpoint | config) echo 8192 ;;
    markdown | json_body) echo 16384 ;;
    *) echo 32768 ;;
    esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$dir/corpus/$t" "$dir/crashes/$t"
    out="$dir/crashes/$t/log.txt"
    dict=()
    [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
    "$dir/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/crashes/$t/" \
        "${dict[@]}" "$dir/corpus/$t" "fuzz/corpus/$t" >"$out" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
    if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
        echo "$t: ${execs} executions"
    else
        failed=1
        what=$(grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY" \
            "$out" || echo "exit status $rc")
        echo "$t: CRASHED after ${execs:-?} executions: $what (see $out)"
    fi
done
exit "$failed"
