#!/usr/bin/env bash
# Fuzzes the telemetry request decoder (tests/fuzz/fuzz_telemetry.c) with libFuzzer under
# AddressSanitizer and UndefinedBehaviorSanitizer, starting from a copy of the seed corpus
# tests/fuzz/corpus. Fails on any crash, leak, undefined behaviour or malformed reply; the
# input that caused it is kept in build-fuzz/fuzz-artifacts/.
#   scripts/fuzz.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
	echo "usage: scripts/fuzz.sh [SECONDS]" >&2
	exit 2
fi
command -v clang-14 >/dev/null || { echo "fuzz.sh: clang-14 is missing: bash scripts/deps.sh" >&2; exit 1; }

dir=build-fuzz
if [ -f "$dir/build.ninja" ]; then
	meson configure "$dir" -Dfuzz=true
else
	CC=clang-14 meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$dir" tests/fuzz_telemetry

work=$(mktemp -d "${TMPDIR:-/tmp}/hm-fuzz-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r tests/fuzz/corpus "$work/corpus"
artifacts=$dir/fuzz-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
# The target's runtime directory goes under $TMPDIR: here, so that a crash leaves nothing.
TMPDIR=$work "$dir/tests/fuzz_telemetry" -max_total_time="$secs" -max_len=4096 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" || status=$?
if [ "$status" -ne 0 ]; then
	echo "fuzz.sh: fuzz_telemetry failed (exit $status); replay with $dir/tests/fuzz_telemetry FILE:" >&2
	for f in "$artifacts"/*; do
		[ -f "$f" ] || continue
		echo "--- $f" >&2
		od -An -c "$f" | head -20 >&2
	done
	exit 1
fi
echo "fuzz.sh: $secs s of fuzzing, no failure ($(find "$work/corpus" -type f | wc -l) inputs in the corpus)"
