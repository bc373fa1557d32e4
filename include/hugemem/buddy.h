/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_BUDDY_H
#define HUGEMEM_BUDDY_H

/**
 * @file
 * Physically contiguous memory: the buddy allocator, DMA blocks and memzones.
 *
 * The pinned hugepages are managed in 4 KiB pages by a binary buddy
 * allocator, as the kernel's mm/page_alloc.c manages RAM. A block of order n
 * is 2^n pages, aligned to its size in IOVA, and lies inside one contiguous
 * run (see memory.h), so it is contiguous for a device and for the CPU. An
 * order-9 block is one 2 MiB page; runs of physically adjacent pages give
 * larger orders, up to HM_BUDDY_MAX_ORDER.
 *
 * Memory is split into zones per NUMA socket by IOVA: DMA32 (below 4 GiB,
 * for devices with 32-bit DMA masks) and NORMAL. An HM_BUDDY_DMA32 request is
 * served from DMA32 only; any other request tries NORMAL first and falls back
 * to DMA32 only while DMA32 stays above its reserve for such fallbacks. Other
 * sockets are tried after the requested one unless HM_BUDDY_STRICT is given.
 *
 * Each zone has min/low/high watermarks. An ordinary allocation fails rather
 * than take a zone below min; an HM_BUDDY_ATOMIC one may go down to min/2.
 * Falling below low is counted and logged once until the zone recovers
 * above high.
 *
 * Small blocks (orders 0-3) are served from per-lcore lists without the zone
 * lock when the caller is an EAL lcore thread; the lists are refilled and
 * drained in batches.
 *
 * Every allocated block records its order and the process that allocated it,
 * so it can be freed by address alone and reclaimed when that process dies.
 *
 * All functions are safe to call from any thread of any attached process.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hugemem/memory.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest block order: 2^20 pages of 4 KiB, 4 GiB. */
#define HM_BUDDY_MAX_ORDER 20
/** Number of orders, 0..HM_BUDDY_MAX_ORDER. */
#define HM_BUDDY_NR_ORDERS (HM_BUDDY_MAX_ORDER + 1)
/** Size of an order-0 block. */
#define HM_BUDDY_PAGE_SIZE 4096u
/** Orders served from the per-lcore lists. */
#define HM_BUDDY_PCP_MAX_ORDER 3

/** Any socket: the caller's (the socket of its lcore's CPU), then the others. */
#define HM_SOCKET_ID_ANY (-1)

/** Allocation flags. */
#define HM_BUDDY_DMA32	0x1u /**< IOVA below 4 GiB only */
#define HM_BUDDY_STRICT 0x2u /**< the requested socket only */
#define HM_BUDDY_ATOMIC 0x4u /**< may dip below min, down to min/2 */
#define HM_BUDDY_ZERO	0x8u /**< zero the block (hm_dma_alloc: the bytes asked for) */

/** Zones. */
enum hm_zone_type {
	HM_ZONE_DMA32 = 0, /**< IOVA below 4 GiB */
	HM_ZONE_NORMAL = 1,
	HM_NR_ZONES = 2,
};

/**
 * Allocate a block of 2^order pages.
 *
 * @param order   0..HM_BUDDY_MAX_ORDER
 * @param socket  NUMA socket, or HM_SOCKET_ID_ANY
 * @param flags   HM_BUDDY_* flags
 * @return the block's virtual address (aligned to its size in IOVA), or NULL
 *   with errno EINVAL (bad order, socket or flags), ENOMEM (no zone could
 *   serve it above its watermark) or ENODEV (EAL not initialised).
 */
void *hm_buddy_alloc(unsigned int order, int socket, unsigned int flags);

/**
 * Free a block by the address hm_buddy_alloc() returned.
 * @return 0; -EINVAL for an address that is not the start of an allocated
 *   block (never allocated, inside a block, or already free); the allocator
 *   is unchanged then.
 */
int hm_buddy_free(void *addr);

/** @return the order of the allocated block at addr, or -EINVAL. */
int hm_buddy_block_order(const void *addr);

/**
 * Memory for a device: at least size bytes, contiguous in IOVA, with its IOVA
 * aligned to align (a power of two up to the largest block size; 0 means 4 KiB).
 *
 * @param iova  if not NULL, receives the IOVA of the block
 * @return the VA, or NULL with errno EINVAL (size 0, align not a power of
 *   two, bad socket or flags), E2BIG (size or align above the largest block),
 *   ENOMEM.
 */
void *hm_dma_alloc(size_t size, size_t align, int socket, unsigned int flags, hm_iova_t *iova);

/** Free memory from hm_dma_alloc(). @return 0 or -EINVAL, as hm_buddy_free(). */
int hm_dma_free(void *addr);

/**
 * Give an lcore's cached small blocks back to their zones (done at
 * hm_eal_cleanup() for every lcore of the process, and by the service for
 * a dead process's lcores). The lcore must be idle. @return the pages.
 */
uint64_t hm_buddy_drain_lcore(unsigned int lcore_id);

/** What hm_buddy_reclaim_owner() freed. */
struct hm_buddy_reclaimed {
	uint64_t pages;	   /**< 4 KiB pages, the memzones' included */
	uint32_t blocks;   /**< DMA and large kmalloc blocks */
	uint32_t memzones; /**< memzones not made with HM_MEMZONE_PERSIST */
};

/**
 * Free every block and memzone allocated by the process in process-table
 * slot `owner` (a process that is gone).
 *
 * @param out if not NULL, what was freed
 * @return the number of pages freed.
 */
uint64_t hm_buddy_reclaim_owner(int owner, struct hm_buddy_reclaimed *out);

/**
 * What the process in slot `owner` holds, as hm_buddy_reclaim_owner() would
 * free it; a snapshot. @return the pages.
 */
uint64_t hm_buddy_owner_usage(int owner, struct hm_buddy_reclaimed *out);

/** Zone watermarks, in pages. */
struct hm_watermarks {
	uint64_t min;
	uint64_t low;
	uint64_t high;
};

/**
 * Set a zone's watermarks.
 * @return 0; -EINVAL unless min <= low <= high <= managed pages; -ENOENT for
 *   a zone that does not exist.
 */
int hm_buddy_set_watermarks(int socket, enum hm_zone_type zone, const struct hm_watermarks *wm);

/** Statistics of one zone. */
struct hm_zone_stats {
	int socket_id;
	enum hm_zone_type zone;
	uint64_t managed_pages; /**< pages the zone manages */
	uint64_t free_pages;	/**< in the free lists (not the lcore caches) */
	uint64_t pcp_pages;	/**< in the per-lcore caches */
	struct hm_watermarks wm;
	uint64_t lowmem_reserve;	       /**< pages kept from NORMAL fallbacks (DMA32) */
	uint64_t nr_free[HM_BUDDY_NR_ORDERS];  /**< free blocks per order (buddyinfo) */
	uint64_t allocs[HM_BUDDY_NR_ORDERS];   /**< successful allocations per order */
	uint64_t frees[HM_BUDDY_NR_ORDERS];    /**< frees per order */
	uint64_t failures[HM_BUDDY_NR_ORDERS]; /**< requests this zone could not serve */
	uint64_t low_crossings;		       /**< times free fell below low */
	int32_t extfrag[HM_BUDDY_NR_ORDERS];  /**< extfrag index x1000, -1000 if it can be served */
	int32_t unusable[HM_BUDDY_NR_ORDERS]; /**< unusable free space index x1000 */
};

/**
 * Statistics of a zone.
 * @return 0; -ENOENT for a zone that does not exist (no memory);
 *   -EINVAL for NULL or a bad zone; -ENODEV before init.
 */
int hm_buddy_zone_stats(int socket, enum hm_zone_type zone, struct hm_zone_stats *st);

/**
 * Write /proc/buddyinfo-style lines ("Node 0, zone    DMA32  n0 n1 ...")
 * for every zone into buf.
 * @return the length written (as snprintf: the length needed if it did not fit).
 */
int hm_buddy_info(char *buf, size_t len);

/**
 * Check every invariant: each page of memory is in exactly one free block,
 * cached block or allocated block; blocks are aligned and inside their run;
 * list counts and zone counters agree.
 * @return 0, or -EFAULT after logging the first violation.
 */
int hm_buddy_audit(void);

/* ---------------------------------------------------------------- memzones */

/** Longest memzone name, with its NUL. */
#define HM_MEMZONE_NAMESIZE 32
/** Most memzones. */
#define HM_MAX_MEMZONES 256

/**
 * hm_memzone_reserve() flag: the memzone belongs to no process and outlives
 * the one that made it; only hm_memzone_free() or the primary's exit end it.
 */
#define HM_MEMZONE_PERSIST 0x80000000u

/** A named, physically contiguous area, like DPDK's rte_memzone. */
struct hm_memzone {
	char name[HM_MEMZONE_NAMESIZE];
	void *addr;
	hm_iova_t iova;
	uint64_t len; /**< as asked */
	int32_t socket_id;
	uint32_t flags;
};

/**
 * Reserve a named area of len bytes.
 *
 * In a secondary the service reserves it. A reserve that timed out
 * (ETIMEDOUT) may still run late: the memzone then exists, visible to other
 * processes, until this process's next call through the service gives it
 * back; a retry of the same name in that window succeeds all the same.
 * @param align  IOVA alignment, a power of two (0: 64 bytes; the block is page aligned anyway)
 * @return the memzone, or NULL with errno EINVAL (bad name, len 0, align),
 *   EEXIST (name taken), ENOSPC (table full), E2BIG, ENOMEM, EDEADLK (inside
 *   hm_memzone_walk()).
 */
const struct hm_memzone *hm_memzone_reserve(const char *name, size_t len, int socket,
					    unsigned int flags, size_t align);

/** @return the memzone of that name, or NULL (errno ENOENT, EINVAL, EDEADLK inside a walk). */
const struct hm_memzone *hm_memzone_lookup(const char *name);

/**
 * Free a memzone. @return 0, or -EINVAL if mz is not a reserved memzone,
 * -EDEADLK inside hm_memzone_walk().
 */
int hm_memzone_free(const struct hm_memzone *mz);

/**
 * Call func on every memzone until it returns non-zero. The table is locked
 * meanwhile: func must not reserve, free or look up memzones, nor walk them
 * again (those calls fail with EDEADLK inside a walk).
 * @return func's non-zero value or 0; -ENODEV, -EINVAL (func NULL), -EDEADLK.
 */
int hm_memzone_walk(int (*func)(const struct hm_memzone *mz, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_BUDDY_H */
