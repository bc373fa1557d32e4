#!/usr/bin/env bash
# Instructions per object of the 1-lcore ring and mempool rows of hugemem-bench, hugemem's
# and DPDK's, counted by Valgrind's callgrind: repeatable to the instruction where the
# bench's wall times move by tens of percent. Counts, not speed: the tables time them.
#   scripts/bench-icount.sh [ring,mempool|ring|mempool] [BUILD_DIR]
# Each row runs 1/64 of the bench's iterations; only the timed loops (mp_loop_*,
# ring_loop_*) count, one callgrind dump per row and side (apps/hugemem-bench/bench_icount.c).
set -euo pipefail
cd "$(dirname "$0")/.."
sections=${1:-ring,mempool}
build=${2:-build}
bench=$build/apps/hugemem-bench
[ "$(id -u)" -eq 0 ] || { echo "bench-icount.sh: run as root (hugepages)"; exit 1; }
case $sections in
ring | mempool | ring,mempool | mempool,ring) ;;
*) echo "bench-icount.sh: sections: ring, mempool or ring,mempool, not '$sections'"; exit 2 ;;
esac
bash scripts/deps.sh
command -v valgrind > /dev/null || { echo "bench-icount.sh: valgrind is not installed"; exit 1; }
[ -x "$bench" ] || { echo "bench-icount.sh: no $bench: build first (meson setup $build && ninja -C $build)"; exit 1; }
bash scripts/hugepages.sh 1024 0

out=$(mktemp -d /tmp/hugemem-icount.XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "bench-icount.sh: valgrind --tool=callgrind $bench --sections $sections --icount (a few minutes)"
if ! valgrind --tool=callgrind --toggle-collect='mp_loop_*' --toggle-collect='ring_loop_*' \
	--callgrind-out-file="$out/cg.%p" "$bench" --sections "$sections" --icount \
	> "$out/log" 2>&1; then
	tail -n 30 "$out/log"
	echo "bench-icount.sh: the bench failed under callgrind (its log above)"
	exit 1
fi

# Each dump: "desc: Trigger: Client Request: hugemem-icount SECTION|LIB|ROW|OBJECTS", then
# "summary: INSTRUCTIONS". Rows print in the bench's order, hugemem and DPDK side by side.
# cg.PID.PART: the dumps of each child in the order it made them.
find "$out" -name 'cg.*.*' | sort -V | xargs cat | awk -F'|' '
/^desc: Trigger: Client Request: hugemem-icount / {
	sub(/^desc: Trigger: Client Request: hugemem-icount /, "")
	sec = $1; lib = $2; row = $3; objs = $4
	key = sec "|" row
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	next
}
/^summary: / && objs != "" {
	split($0, f, " ")
	ipo[key, lib] = f[2] / objs
	objs = ""
}
END {
	if (n == 0) { print "bench-icount.sh: no counts in the dumps"; exit 1 }
	printf "\n%-8s %-36s %12s %12s %9s\n", "section", "row", "hugemem", "DPDK", "DPDK/hm"
	printf "%-8s %-36s %12s %12s %9s\n", "", "", "instr/obj", "instr/obj", ""
	for (i = 0; i < n; i++) {
		split(order[i], k, "|")
		h = ipo[order[i], "hugemem"]; d = ipo[order[i], "dpdk"]
		if (h > 0 && d > 0)
			printf "%-8s %-36s %12.1f %12.1f %8.2fx\n", k[1], k[2], h, d, d / h
		else
			printf "%-8s %-36s %12s %12s %9s\n", k[1], k[2], (h > 0 ? sprintf("%.1f", h) : "-"), (d > 0 ? sprintf("%.1f", d) : "-"), "-"
	}
	print "(instructions per object: an enqueue and a dequeue of it, or a get and a put;"
	print " counted by callgrind in the timed loop only, calls the loop makes included)"
}'
