/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memsegs, contiguous runs, and the VA<->IOVA tables.
 *
 * Built once by the primary after the pages are placed (the memseg array is
 * in VA order), read-only afterwards, and read in place by every process
 * because the shared config is mapped at one address everywhere.
 *
 * va2iova: one int64 per 2 MiB granule of the memory range, iova - va, or
 *          HM_IOVA_MAP_HOLE. A 1 GiB page fills 512 entries with one delta.
 * iova2va: two levels, like a page table: iova_l1[iova >> 30] names an L2
 *          block (index + 1, 0 for none) whose entry [(iova >> 21) & 511]
 *          holds va - iova. Only the 1 GiB IOVA regions that hold memory get
 *          a block, so 64 TiB of IOVA space costs 256 KiB of L1.
 * In VA mode iova == va and the reverse lookup is the forward one.
 */

#include <errno.h>
#include <string.h>

#include "memory_pvt.h"

#define MEM "memory"

static struct hm_shared_config *mcfg;

struct hm_iova_map hm_iova_map__;

void
hm_memory_set_config(struct hm_shared_config *mc)
{
	mcfg = mc;
	if (mc != NULL) {
		hm_iova_map__ = mc->iova_map;
	} else {
		/* Lookups fail from here on, before the tables are unmapped. */
		hm_iova_map__.nb_granules = 0;
		hm_iova_map__.va2iova = NULL;
		hm_iova_map__.va_base = 0;
	}
}

struct hm_shared_config *
hm_memory_get_config(void)
{
	return mcfg;
}

static bool
continues_run(const struct hm_memseg *prev, const struct hm_memseg *ms)
{
	return (uint8_t *)prev->addr + prev->len == (uint8_t *)ms->addr &&
	       prev->iova + prev->len == ms->iova && prev->hugepage_sz == ms->hugepage_sz &&
	       prev->socket_id == ms->socket_id;
}

static void
build_runs(struct hm_shared_config *mc)
{
	struct hm_memseg_run *run = NULL;

	mc->nb_runs = 0;
	for (uint32_t i = 0; i < mc->nb_memsegs; i++) {
		struct hm_memseg *ms = &mc->memsegs[i];

		if (run == NULL || !continues_run(&mc->memsegs[i - 1], ms)) {
			run = &mc->runs[mc->nb_runs++];
			run->addr = ms->addr;
			run->iova = ms->iova;
			run->len = 0;
			run->hugepage_sz = ms->hugepage_sz;
			run->socket_id = ms->socket_id;
			run->first_seg = i;
			run->nb_segs = 0;
		}
		ms->run_id = mc->nb_runs - 1;
		run->len += ms->len;
		run->nb_segs++;
	}
}

static int
iova_l2_entry(struct hm_shared_config *mc, uint64_t iova, int64_t **entry)
{
	uint64_t l1 = iova >> HM_IOVA_L1_SHIFT;

	if (l1 >= HM_IOVA_L1_ENTRIES)
		return -ERANGE;
	if (mc->iova_l1[l1] == 0) {
		if (mc->nb_l2 >= HM_IOVA_L2_BLOCKS)
			return -ENOSPC;
		for (uint32_t k = 0; k < HM_IOVA_L2_ENTRIES; k++)
			mc->iova_l2[mc->nb_l2][k] = HM_IOVA_MAP_HOLE;
		mc->iova_l1[l1] = ++mc->nb_l2;
	}
	*entry = &mc->iova_l2[mc->iova_l1[l1] - 1]
			     [(iova >> HM_IOVA_GRANULE_SHIFT) & (HM_IOVA_L2_ENTRIES - 1)];
	return 0;
}

void
hm_memseg_tables_build(struct hm_shared_config *mc)
{
	uint64_t nb = mc->h.mem_va_len >> HM_IOVA_GRANULE_SHIFT;

	build_runs(mc);
	for (uint64_t g = 0; g < nb; g++)
		mc->va2iova[g] = HM_IOVA_MAP_HOLE;
	for (uint32_t i = 0; i < mc->nb_memsegs; i++) {
		const struct hm_memseg *ms = &mc->memsegs[i];
		uint64_t va = (uint64_t)(uintptr_t)ms->addr;

		for (uint64_t off = 0; off < ms->len; off += 1ULL << HM_IOVA_GRANULE_SHIFT) {
			uint64_t g = (va + off - mc->h.mem_va) >> HM_IOVA_GRANULE_SHIFT;
			int64_t *e;

			HM_ASSERT(g < nb);
			mc->va2iova[g] = (int64_t)(ms->iova - va);
			if (mc->h.iova_mode != HM_IOVA_PA)
				continue;
			if (iova_l2_entry(mc, ms->iova + off, &e) < 0) {
				HM_LOG(WARNING, MEM,
				       "iova 0x%llx is beyond the reverse table; hm_iova2virt() "
				       "will not find it",
				       (unsigned long long)(ms->iova + off));
				continue;
			}
			*e = (int64_t)(va - ms->iova);
		}
	}
	mc->iova_map.va_base = mc->h.mem_va;
	mc->iova_map.nb_granules = nb;
	mc->iova_map.va2iova = mc->va2iova;
	mc->h.memseg_digest = hm_memseg_digest(mc);
}

uint64_t
hm_memseg_digest(const struct hm_shared_config *mc)
{
	const uint8_t *p = (const uint8_t *)mc->memsegs;
	size_t n = sizeof(mc->memsegs[0]) * mc->nb_memsegs;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ mc->h.nonce;
}

void *
hm_iova2virt(hm_iova_t iova)
{
	const struct hm_shared_config *mc = mcfg;
	uint64_t l1;
	uint32_t blk;
	int64_t d;

	if (mc == NULL || iova == HM_BAD_IOVA)
		return NULL;
	if (mc->h.iova_mode != HM_IOVA_PA)
		return hm_virt2iova((void *)(uintptr_t)iova) == iova ? (void *)(uintptr_t)iova
								     : NULL;
	l1 = iova >> HM_IOVA_L1_SHIFT;
	if (l1 >= HM_IOVA_L1_ENTRIES)
		return NULL;
	blk = mc->iova_l1[l1];
	if (blk == 0)
		return NULL;
	d = mc->iova_l2[blk - 1][(iova >> HM_IOVA_GRANULE_SHIFT) & (HM_IOVA_L2_ENTRIES - 1)];
	if (d == HM_IOVA_MAP_HOLE)
		return NULL;
	return (void *)(uintptr_t)(iova + (uint64_t)d);
}

int
hm_memseg_walk(hm_memseg_walk_t *func, void *arg)
{
	const struct hm_shared_config *mc = mcfg;

	if (mc == NULL)
		return -ENODEV;
	if (func == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < mc->nb_memsegs; i++) {
		int ret = func(&mc->memsegs[i], arg);

		if (ret != 0)
			return ret;
	}
	return 0;
}

int
hm_memseg_run_walk(hm_memseg_run_walk_t *func, void *arg)
{
	const struct hm_shared_config *mc = mcfg;

	if (mc == NULL)
		return -ENODEV;
	if (func == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < mc->nb_runs; i++) {
		int ret = func(&mc->runs[i], arg);

		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Binary search: memsegs are sorted by address. */
static const struct hm_memseg *
find_memseg(const void *addr)
{
	const struct hm_shared_config *mc = mcfg;
	uint32_t lo = 0, hi;

	if (mc == NULL)
		return NULL;
	hi = mc->nb_memsegs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct hm_memseg *ms = &mc->memsegs[mid];

		if ((const uint8_t *)addr < (const uint8_t *)ms->addr)
			hi = mid;
		else if ((const uint8_t *)addr >= (const uint8_t *)ms->addr + ms->len)
			lo = mid + 1;
		else
			return ms;
	}
	return NULL;
}

const struct hm_memseg *
hm_mem_virt2memseg(const void *addr)
{
	const struct hm_memseg *ms = find_memseg(addr);

	if (ms == NULL)
		errno = EINVAL;
	return ms;
}

const struct hm_memseg_run *
hm_mem_virt2run(const void *addr)
{
	const struct hm_memseg *ms = find_memseg(addr);

	if (ms == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return &mcfg->runs[ms->run_id];
}

int
hm_memory_info_get(struct hm_memory_info *info)
{
	const struct hm_shared_config *mc = mcfg;

	if (info == NULL)
		return -EINVAL;
	if (mc == NULL)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->nb_memsegs = mc->nb_memsegs;
	info->nb_runs = mc->nb_runs;
	info->va_base = mc->h.mem_va;
	info->va_len = mc->h.mem_va_len;
	info->pin_ns = mc->h.pin_ns;
	info->resolve_ns = mc->h.resolve_ns;
	for (uint32_t i = 0; i < mc->nb_runs; i++)
		if (mc->runs[i].len > info->largest_run_bytes)
			info->largest_run_bytes = mc->runs[i].len;
	for (uint32_t i = 0; i < mc->nb_memsegs; i++) {
		const struct hm_memseg *ms = &mc->memsegs[i];
		uint32_t k;

		info->total_bytes += ms->len;
		for (k = 0; k < info->nb_page_sizes; k++)
			if (info->page_sz[k] == ms->hugepage_sz)
				break;
		if (k == info->nb_page_sizes) {
			if (k == HM_DIM(info->page_sz))
				continue;
			info->page_sz[info->nb_page_sizes++] = ms->hugepage_sz;
		}
		if (ms->socket_id >= 0 && ms->socket_id < (int32_t)HM_DIM(info->pages[0]))
			info->pages[k][ms->socket_id]++;
	}
	return 0;
}
