#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite.
#   scripts/test.sh             build in build/ and run every Check suite
#   scripts/test.sh --sanitize  the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/test.sh --tsan      the same under ThreadSanitizer (shared range moved into its
#                               application memory)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root (hugepages, mounts, pagemap PFNs)"; exit 1; }
bash scripts/deps.sh
bash scripts/hugepages.sh 1024 2

dir=build
opts=(-Dwerror=true)
if [ "${1:-}" = "--sanitize" ]; then
	dir=build-sanitize
	opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
elif [ "${1:-}" = "--tsan" ]; then
	dir=build-tsan
	opts+=(-Db_sanitize=thread -Db_lundef=false -Dbase_virtaddr=0x4000000000)
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
fi
[ -f "$dir/build.ninja" ] || meson setup "$dir" "${opts[@]}"
ninja -C "$dir"
meson test -C "$dir" -v --print-errorlogs
