#!/usr/bin/env bash
# Sets up a fresh machine, builds hugemem, starts hugememd on config/hugemem.conf in the
# background and shows it serving by attaching the example secondary.
# Stop it with: kill $(cat build/hugememd.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "start.sh: run as root (hugepages, mounts, pagemap PFNs)"; exit 1; }
bash scripts/deps.sh
bash scripts/hugepages.sh 1024 2
[ -f build/build.ninja ] || meson setup build
ninja -C build
if [ -f build/hugememd.pid ] && kill -0 "$(cat build/hugememd.pid)" 2>/dev/null; then
	echo "start.sh: hugememd already runs (pid $(cat build/hugememd.pid))"
else
	build/apps/hugememd --config config/hugemem.conf >build/hugememd.log 2>&1 &
	echo $! >build/hugememd.pid
	for _ in $(seq 1 300); do
		grep -q 'serving' build/hugememd.log && break
		kill -0 "$(cat build/hugememd.pid)" 2>/dev/null || { cat build/hugememd.log; exit 1; }
		sleep 0.1
	done
	cat build/hugememd.log
fi
# The example secondary: another lcore, the prefix the primary reports.
prefix=$(sed -n '/^hugememd: prefix /{s/^hugememd: prefix \([^,]*\),.*/\1/p;q}' build/hugememd.log)
build/apps/hugemem-attach -l 1 --file-prefix "${prefix:-hugemem}"
echo "start.sh: hugememd serves as pid $(cat build/hugememd.pid); stop it with: kill \$(cat build/hugememd.pid)"
