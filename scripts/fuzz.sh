#!/usr/bin/env bash
# Fuzzes the two request decoders with libFuzzer under AddressSanitizer and
# UndefinedBehaviorSanitizer, each from a copy of its seed corpus:
#   tests/fuzz/fuzz_telemetry.c    telemetry requests, corpus tests/fuzz/corpus
#                                  (two thirds of the time)
#   tests/fuzz/fuzz_service_msg.c  service ring messages, tests/fuzz/corpus_service
#                                  (one third)
# Fails on any crash, leak, undefined behaviour or wrongly accepted input; the
# input that caused it is kept in build-fuzz/fuzz-artifacts/<target>/.
#   scripts/fuzz.sh [SECONDS]   (default 60, in all)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 3 ]; then
	echo "usage: scripts/fuzz.sh [SECONDS]   (3 or more)" >&2
	exit 2
fi
command -v clang-14 >/dev/null || { echo "fuzz.sh: clang-14 is missing: bash scripts/deps.sh" >&2; exit 1; }

dir=build-fuzz
if [ -f "$dir/build.ninja" ]; then
	meson configure "$dir" -Dfuzz=true
else
	CC=clang-14 meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$dir" tests/fuzz_telemetry tests/fuzz_service_msg

work=$(mktemp -d "${TMPDIR:-/tmp}/hm-fuzz-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# fuzz TARGET CORPUS SECONDS MAX_LEN
fuzz() {
	local target=$1 corpus=$2 time=$3 max_len=$4 status=0
	local artifacts=$dir/fuzz-artifacts/$target

	rm -rf "$artifacts"
	mkdir -p "$artifacts" "$work/$target"
	cp -r "$corpus"/. "$work/$target/"
	# A target's runtime directory goes under $TMPDIR: here, so that a crash leaves nothing.
	TMPDIR=$work "$dir/tests/$target" -max_total_time="$time" -max_len="$max_len" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$work/$target" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "fuzz.sh: $target failed (exit $status); replay with $dir/tests/$target FILE:" >&2
		for f in "$artifacts"/*; do
			[ -f "$f" ] || continue
			echo "--- $f" >&2
			od -An -c "$f" | head -20 >&2
		done
		exit 1
	fi
	echo "fuzz.sh: $target: $time s of fuzzing, no failure ($(find "$work/$target" -type f | wc -l) inputs in the corpus)"
}

fuzz fuzz_telemetry tests/fuzz/corpus $((secs * 2 / 3)) 4096
fuzz fuzz_service_msg tests/fuzz/corpus_service $((secs - secs * 2 / 3)) 128
