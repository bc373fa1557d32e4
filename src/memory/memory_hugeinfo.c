/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hugepage discovery: which page sizes the kernel offers (libhugetlbfs),
 * where each is mounted (libhugetlbfs, or --huge-dir), and how many pages
 * are free on each NUMA node (sysfs).
 *
 * A page size with no hugetlbfs mount is kept with an empty mount path: an
 * --in-memory primary maps such pages through memfd_create(MFD_HUGETLB) and
 * needs no mount; everybody else skips it.
 */

#include <dirent.h>
#include <errno.h>
#include <hugetlbfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "memory_pvt.h"

#define MEM "memory"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

unsigned int
hm_numa_node_count(void)
{
	char path[64];
	unsigned int n;

	for (n = 0; n < HM_MAX_NUMA_NODES; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%u", n);
		if (access(path, F_OK) != 0)
			break;
	}
	return n == 0 ? 1 : n;
}

static long
read_sysfs_ulong(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long v;
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%lu", &v);
	fclose(f);
	return ok == 1 ? (long)v : -1;
}

static void
count_pages(struct hm_hugepage_size *hs, unsigned int nb_nodes)
{
	char path[PATH_MAX];
	unsigned long kb = hs->page_sz >> 10;
	long free_total, resv, v;
	unsigned int n;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
	free_total = read_sysfs_ulong(path);
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/resv_hugepages", kb);
	resv = read_sysfs_ulong(path);
	if (free_total < 0)
		free_total = 0;
	if (resv > 0)
		free_total = free_total > resv ? free_total - resv : 0;

	for (n = 0; n < nb_nodes; n++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%u/hugepages/hugepages-%lukB/free_hugepages",
			 n, kb);
		v = read_sysfs_ulong(path);
		if (v < 0 && n == 0)
			v = free_total; /* no per-node files: one node */
		if (v < 0)
			v = 0;
		/* Reserved pages are counted free per node; never offer more than the total. */
		hs->free_per_node[n] = (uint32_t)(v < free_total ? v : free_total);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%u/hugepages/hugepages-%lukB/nr_hugepages",
			 n, kb);
		v = read_sysfs_ulong(path);
		hs->nr_per_node[n] = v < 0 ? 0 : (uint32_t)v;
	}
}

static int
huge_dir_page_size(const char *dir, uint64_t *page_sz)
{
	struct statfs sfs;

	if (statfs(dir, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type != HUGETLBFS_MAGIC)
		return -ENOTSUP;
	*page_sz = (uint64_t)sfs.f_bsize;
	return 0;
}

int
hm_hugepage_info_get(const struct hm_eal_config *cfg, struct hm_hugepage_info *info)
{
	long sizes[HM_MAX_PAGE_SIZES];
	uint64_t dir_sz = 0;
	int n, i, j, ret;

	memset(info, 0, sizeof(*info));
	info->nb_nodes = hm_numa_node_count();
	if (cfg->huge_dir[0] != '\0') {
		ret = huge_dir_page_size(cfg->huge_dir, &dir_sz);
		if (ret < 0) {
			HM_LOG(ERR, MEM, "--huge-dir %s: %s", cfg->huge_dir,
			       ret == -ENOTSUP ? "not a hugetlbfs mount" : strerror(-ret));
			return -EINVAL;
		}
	}
	n = gethugepagesizes(sizes, HM_MAX_PAGE_SIZES);
	if (n <= 0) {
		HM_LOG(ERR, MEM,
		       "the kernel offers no hugepage sizes (is CONFIG_HUGETLBFS set?); use "
		       "--no-huge to run on anonymous memory");
		return -ENOTSUP;
	}
	/* Largest first: the allocation plan takes big pages before small ones. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (sizes[j] > sizes[i]) {
				long t = sizes[i];
				sizes[i] = sizes[j];
				sizes[j] = t;
			}
	for (i = 0; i < n; i++) {
		struct hm_hugepage_size *hs = &info->sizes[info->nb_sizes];
		const char *mnt;

		if (dir_sz != 0 && (uint64_t)sizes[i] != dir_sz)
			continue;
		/* The VA<->IOVA tables work in 2 MiB granules: smaller pages (arm64's 64 KiB) are
		 * not used. */
		if ((uint64_t)sizes[i] < (1ULL << HM_IOVA_GRANULE_SHIFT))
			continue;
		hs->page_sz = (uint64_t)sizes[i];
		if (dir_sz != 0)
			mnt = cfg->huge_dir;
		else
			mnt = hugetlbfs_find_path_for_size(sizes[i]);
		if (mnt != NULL)
			snprintf(hs->mount, sizeof(hs->mount), "%s", mnt);
		count_pages(hs, info->nb_nodes);
		info->nb_sizes++;
	}
	if (info->nb_sizes == 0) {
		HM_LOG(ERR, MEM, "no usable hugepage size (2 MiB or larger)%s%s",
		       dir_sz != 0 ? " at --huge-dir " : "", dir_sz != 0 ? cfg->huge_dir : "");
		return -ENOTSUP;
	}
	return 0;
}
