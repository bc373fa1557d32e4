/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_MEMORY_H
#define HUGEMEM_MEMORY_H

/**
 * @file
 * Pinned hugepage memory, its IOVAs, and the memseg table.
 *
 * The primary maps every hugepage it was asked for into one reserved virtual
 * range, populated and locked, and learns each page's IOVA. A secondary maps
 * the same pages at the same addresses. The unit of bookkeeping is the
 * memseg: one hugepage (or, with --no-huge, one 2 MiB piece of anonymous
 * memory), described by its virtual address, IOVA, length, page size and NUMA
 * socket.
 *
 * Memsegs that follow each other in both VA and IOVA, with the same page size
 * and socket, form a contiguous run. Every range inside one run is contiguous
 * for a device; the buddy allocator never merges blocks across runs.
 *
 * Translation in both directions is a table lookup: hm_virt2iova() is a shift,
 * one load and an add, in every attached process. Nothing on that path reads
 * /proc or walks the memsegs.
 */

#include <stddef.h>
#include <stdint.h>

#include <hugemem/eal.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A device (I/O virtual) address. */
typedef uint64_t hm_iova_t;

/** The IOVA of an address that is not hugemem memory. */
#define HM_BAD_IOVA ((hm_iova_t)-1)

/** Granule of the VA<->IOVA tables: the smallest hugepage size, 2 MiB. */
#define HM_IOVA_GRANULE_SHIFT 21

/** Largest number of memsegs (hugepages) one primary maps. */
#define HM_MAX_MEMSEGS 16384

/** One pinned page of hugemem memory. */
struct hm_memseg {
	void *addr;	      /**< virtual address, the same in every process */
	hm_iova_t iova;	      /**< device address of addr */
	uint64_t len;	      /**< length in bytes (the page size, or 2 MiB with --no-huge) */
	uint64_t hugepage_sz; /**< page size backing it (4 KiB with --no-huge) */
	int32_t socket_id;    /**< NUMA node the page lies on */
	uint32_t run_id;      /**< index of its contiguous run */
};

/** A run of memsegs contiguous in both VA and IOVA. */
struct hm_memseg_run {
	void *addr;	      /**< virtual address of the first byte */
	hm_iova_t iova;	      /**< IOVA of the first byte */
	uint64_t len;	      /**< bytes in the run */
	uint64_t hugepage_sz; /**< page size of every memseg in it */
	int32_t socket_id;    /**< NUMA node of every memseg in it */
	uint32_t first_seg;   /**< index of its first memseg */
	uint32_t nb_segs;     /**< memsegs in the run */
};

/** Totals of the memory this process sees. */
struct hm_memory_info {
	uint64_t total_bytes;		      /**< bytes of memory mapped */
	uint32_t nb_memsegs;		      /**< memsegs */
	uint32_t nb_runs;		      /**< contiguous runs */
	uint64_t largest_run_bytes;	      /**< longest run */
	uint32_t nb_page_sizes;		      /**< entries used in page_sz[] */
	uint64_t page_sz[4];		      /**< page sizes in use, largest first */
	uint32_t pages[4][HM_MAX_NUMA_NODES]; /**< pages per size (index as page_sz) and socket */
	uint64_t va_base;		      /**< first byte of the memory range */
	uint64_t va_len;		      /**< length of the memory range */
	uint64_t pin_ns;		      /**< primary: time to map, fault and lock */
	uint64_t resolve_ns; /**< primary: time to read IOVAs, sort by PFN and remap */
};

/**
 * Callback of hm_memseg_walk(): return 0 to continue, anything else to stop
 * the walk and make it return that value.
 */
typedef int(hm_memseg_walk_t)(const struct hm_memseg *ms, void *arg);

/** Callback of hm_memseg_run_walk(), same contract. */
typedef int(hm_memseg_run_walk_t)(const struct hm_memseg_run *run, void *arg);

/**
 * Call func on every memseg, in VA order.
 * @return 0 after a full walk, the callback's non-zero value if it stopped,
 *   or -ENODEV if the EAL is not initialised.
 */
int hm_memseg_walk(hm_memseg_walk_t *func, void *arg);

/** Call func on every contiguous run, in VA order; as hm_memseg_walk(). */
int hm_memseg_run_walk(hm_memseg_run_walk_t *func, void *arg);

/** @return the memseg holding addr, or NULL (errno = EINVAL) if none does. */
const struct hm_memseg *hm_mem_virt2memseg(const void *addr);

/** @return the contiguous run holding addr, or NULL (errno = EINVAL). */
const struct hm_memseg_run *hm_mem_virt2run(const void *addr);

/** Fill *info. @return 0, -EINVAL for NULL, -ENODEV before init. */
int hm_memory_info_get(struct hm_memory_info *info);

/**
 * Where the VA->IOVA table is, for the inline fast path below. A per-process
 * copy, set by hm_eal_init() (all zero before and after: every lookup then
 * fails the bounds check). Read-only for users.
 */
struct hm_iova_map {
	uint64_t va_base;     /**< first byte of the memory range */
	uint64_t nb_granules; /**< entries in va2iova */
	int64_t *va2iova;     /**< per 2 MiB granule: iova - va, or HM_IOVA_MAP_HOLE */
};

/** Entry of an unmapped granule. */
#define HM_IOVA_MAP_HOLE INT64_MIN

/** Internal to hm_virt2iova(); do not write. */
extern struct hm_iova_map hm_iova_map__;

/**
 * IOVA of a virtual address in hugemem memory.
 *
 * O(1): a subtraction, a shift, a bounds check, one table load and an add.
 * Works in every attached process. Must not race with hm_eal_cleanup().
 *
 * @return the IOVA, or HM_BAD_IOVA if addr is not hugemem memory (or before init).
 */
static inline hm_iova_t
hm_virt2iova(const void *addr)
{
	uint64_t idx = ((uint64_t)(uintptr_t)addr - hm_iova_map__.va_base) >> HM_IOVA_GRANULE_SHIFT;
	int64_t delta;

	if (__builtin_expect(idx >= hm_iova_map__.nb_granules, 0))
		return HM_BAD_IOVA;
	delta = hm_iova_map__.va2iova[idx];
	if (__builtin_expect(delta == HM_IOVA_MAP_HOLE, 0))
		return HM_BAD_IOVA;
	return (hm_iova_t)((uint64_t)(uintptr_t)addr + (uint64_t)delta);
}

/**
 * Virtual address of an IOVA in hugemem memory.
 *
 * O(1): a two-level table indexed by IOVA (1 GiB, then 2 MiB), two loads.
 *
 * @return the address, or NULL if the IOVA is not hugemem memory.
 */
void *hm_iova2virt(hm_iova_t iova);

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_MEMORY_H */
