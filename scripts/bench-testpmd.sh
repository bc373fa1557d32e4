#!/usr/bin/env bash
# testpmd's forwarding rate with its mbufs from DPDK's ring_mp_mc ops and from the hugemem
# ops, same vdevs, same duration, in one run (needs a build with DPDK and 64 free 2 MiB
# hugepages for hugememd; DPDK itself runs --no-huge, --no-pci: no NIC is touched).
#   scripts/bench-testpmd.sh [SECONDS [ROUNDS]]   (default 5 s a run, 3 rounds; BUILD=dir)
#
# Rows: net_null ports allocate an mbuf for every packet they receive and free it on
# transmit, so the mempool is on the forwarding path: through DPDK's per-lcore cache
# (testpmd's default 250), and with --mbcache=0 straight through the ops. net_ring ports
# loop a fixed set of mbufs (--tx-first), the pool off the path: a control.
# The rate of a run is the mean of both ports' Rx-pps from --stats-period 1, less the
# first two samples; the two ops take turns, ROUNDS runs each, and the table gives each
# one's median (the machine may be shared: the spread of the rounds is printed too).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
build=${BUILD:-build}
plugin=$PWD/$build/src/drivers/dpdk/librte_mempool_hugemem.so
testpmd=$(command -v dpdk-testpmd) || { echo "bench-testpmd: no dpdk-testpmd (apt-get install dpdk)"; exit 1; }
[ -f "$plugin" ] || { echo "bench-testpmd: no $plugin: build with DPDK first"; exit 1; }
prefix=hmbench$$
# DPDK refuses a plugin below a world-writable directory (a clone in /tmp): use a copy.
safe=
d=$(dirname "$plugin")
while [ "$d" != / ]; do
	[ -n "$(find "$d" -maxdepth 0 -perm -o+w)" ] && { safe=$(mktemp -d /run/hmbench.XXXXXX); break; }
	d=$(dirname "$d")
done
if [ -n "$safe" ]; then
	cp "$plugin" "$safe/" && plugin=$safe/$(basename "$plugin")
fi
# DPDK's own memory: on 2 MiB hugepages by default, as hugemem's, so that both pools'
# mbufs have the same TLB reach; DPDK_MEM="--no-huge -m 256" for anonymous 4 KiB pages.
dpdk_mem=${DPDK_MEM:--m 256}

"$build/apps/hugememd" -l 0 -m 128 --file-prefix "$prefix" --service-mode idle \
	--log-level error >/dev/null 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true; [ -z "$safe" ] || rm -rf "$safe"' EXIT
for _ in $(seq 100); do
	"$build/apps/hugememctl" -f "$prefix" status >/dev/null 2>&1 && break
	kill -0 $daemon 2>/dev/null || { echo "bench-testpmd: hugememd did not start"; exit 1; }
	sleep 0.1
done

# Mean Mpps of one testpmd run: ops vdev mbcache [testpmd options].
rate() {
	local ops=$1 vdev=$2 cache=$3
	shift 3
	# testpmd ends by the SIGINT of timeout: its status says nothing.
	{ HUGEMEM_PREFIX=$prefix HUGEMEM_LOG_LEVEL=error timeout -s INT $((secs + 3)) \
		"$testpmd" -d "$plugin" --mbuf-pool-ops-name "$ops" $dpdk_mem --no-pci \
		--file-prefix "$prefix-dpdk" -l 0-1 --log-level lib.eal:error \
		--vdev "${vdev}0" --vdev "${vdev}1" -- --forward-mode=io --stats-period 1 \
		--total-num-mbufs 8192 --mbcache="$cache" "$@" 2>&1 </dev/null || true; } |
		awk '/Rx-pps:/ { v[n++] = $2 }
		     END { s = 0; k = 0
		           for (i = 4; i + 1 < n; i += 2) { s += v[i] + v[i + 1]; k++ }
		           if (k == 0) { print "-"; exit }
		           printf "%.2f", s / k / 1e6 }'
}

median() { tr ' ' '\n' | grep -v '^-*$' | sort -g | awk '{ v[n++] = $1 } END { if (n == 0) print "-"; else printf "%.2f", n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'; }

printf '%-9s %-11s %16s %13s %13s   %s\n' vdev "mbuf cache" "ring_mp_mc Mpps" "hugemem Mpps" "hugemem/ring" "rounds (ring | hugemem)"
for row in "net_null 250" "net_null 0" "net_ring 250 --tx-first"; do
	set -- $row
	rs="" hs=""
	for _ in $(seq "$rounds"); do
		rs="$rs $(rate ring_mp_mc "$@")"
		hs="$hs $(rate hugemem "$@")"
	done
	ring=$(echo $rs | median)
	huge=$(echo $hs | median)
	ratio=$(awk -v a="$huge" -v b="$ring" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }')
	printf '%-9s %-11s %16s %13s %13s   %s |%s\n' "$1" "$2" "$ring" "$huge" "$ratio" "$rs" "$hs"
done
