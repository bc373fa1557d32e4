#!/usr/bin/env bash
# Reserves hugepages and mounts hugetlbfs for them.
#   hugepages.sh [N2M] [N1G]   at least N2M free 2 MiB pages (default 1024) and, where the
#                              kernel can find them, N1G 1 GiB pages (default 2)
# Mounts: /dev/hugepages (2 MiB) and /dev/hugepages1G (1 GiB), if not mounted yet.
set -euo pipefail
want2m=${1:-1024}
want1g=${2:-2}

reserve() { # size_kb wanted
	local d=/sys/kernel/mm/hugepages/hugepages-$1kB
	[ -d "$d" ] || { echo "hugepages: the kernel has no $1 kB pages"; return 0; }
	local free nr
	free=$(cat "$d/free_hugepages"); nr=$(cat "$d/nr_hugepages")
	if [ "$free" -lt "$2" ]; then
		echo $((nr + $2 - free)) > "$d/nr_hugepages" || true
	fi
	echo "hugepages: $1 kB: $(cat "$d/nr_hugepages") reserved, $(cat "$d/free_hugepages") free"
}

mount_size() { # dir pagesize size_kb
	[ -d "/sys/kernel/mm/hugepages/hugepages-$3kB" ] || return 0
	if ! grep -qs " $1 hugetlbfs " /proc/mounts; then
		mkdir -p "$1"
		mount -t hugetlbfs -o "pagesize=$2" nodev "$1"
	fi
}

reserve 2048 "$want2m"
reserve 1048576 "$want1g"
mount_size /dev/hugepages 2M 2048
mount_size /dev/hugepages1G 1G 1048576
