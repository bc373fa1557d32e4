#!/usr/bin/env bash
# Installs what hugemem builds, tests and benchmarks with (Debian 12), unless it is there.
set -euo pipefail
pkgs=(meson ninja-build pkg-config gcc check libhugetlbfs-dev libnuma-dev
      dpdk libdpdk-dev dpdk-dev libbpf-dev libjansson-dev iproute2 python3 util-linux
      libjemalloc-dev libmimalloc-dev libinih-dev clang-14 libclang-rt-14-dev valgrind)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
