/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_BUDDY_PVT_H
#define HM_BUDDY_PVT_H

/*
 * The buddy allocator's shared state. Not installed.
 *
 * struct hm_page describes one 4 KiB page of the memory range, like the
 * kernel's struct page: pages[i] is the page at mem_va + i * 4 KiB. Only the
 * first page of a block (its head) says what the block is; the other pages
 * of a block are PG_TAIL. A head is on exactly one list: its zone's free
 * list of its order (PG_FREE), one lcore's cache (PG_PCP), or none
 * (PG_ALLOC, with its owner's process slot).
 *
 * Invariants (checked by hm_buddy_audit):
 *  - a block of order n starts at an IOVA aligned to 2^n pages and lies
 *    inside one contiguous run, hence inside one zone;
 *  - every page of every run is in exactly one block;
 *  - zone->free_pages is the sum of the free lists, and free + cached (the
 *    lcore caches' counts) + allocated = managed.
 *
 * Locking: zone->lock (a robust, process-shared mutex) covers the zone's
 * free lists, free_pages and watermark state. An lcore's cache is touched
 * only by the thread of that lcore, and lcore ids are exclusive to one
 * process, so caches take no lock; moving blocks between a cache and the
 * free lists takes the zone lock. Order: memzone lock, then zone locks in
 * index order.
 *
 * A head's state is read without the zone lock by a merge looking at its
 * buddy, and changed without it by the lcore cache paths, so it is an
 * atomic byte (relaxed, except the ALLOC transitions: see buddy.c). Freeing
 * moves a head out of ALLOC with a compare-and-swap, so two threads freeing
 * one block cannot both succeed.
 */

#include <pthread.h>
#include <stdatomic.h>

#include <hugemem/buddy.h>

#include "memory_pvt.h"

#define HM_PAGE_NIL	  UINT32_MAX
#define HM_BUDDY_NR_ZONES (HM_MAX_NUMA_NODES * HM_NR_ZONES)
#define HM_DMA32_LIMIT	  (1ULL << 32)

enum hm_page_state {
	PG_TAIL = 0, /* inside a block, or a hole between groups */
	PG_FREE = 1,
	PG_ALLOC = 2,
	PG_PCP = 3,
};

struct hm_page {
	uint32_t next; /* list links: page indexes */
	uint32_t prev;
	uint32_t run;	       /* contiguous run of this page, HM_PAGE_NIL for holes */
	_Atomic int32_t owner; /* process slot of an allocated head, -1 if none */
	_Atomic uint8_t state; /* enum hm_page_state, for heads: see page_state() */
	_Atomic uint8_t order; /* block order, for heads: atomic for lock-free readers */
	uint8_t zone;	       /* zone index, every page of a run */
	_Atomic uint8_t flags; /* PGF_*, for allocated heads */
	uint32_t pad2;
};

/* An allocated block that a memzone owns: only hm_memzone_free() frees it. */
#define PGF_MEMZONE 0x1
/* A slab of a slab cache: owned by the cache, not by a process. */
#define PGF_SLAB 0x2
/* A kmalloc allocation above the largest size class: only hm_kfree() frees it. */
#define PGF_KMALLOC 0x4
/* A named ring's memory: only hm_ring_free() frees it. */
#define PGF_RING 0x8
/* A mempool's structure or one of its object blocks: only hm_mempool_free() frees it. */
#define PGF_MEMPOOL 0x10
/* Every flag that keeps hm_buddy_free() away. */
#define PGF_OWNED (PGF_MEMZONE | PGF_SLAB | PGF_KMALLOC | PGF_RING | PGF_MEMPOOL)

/* Owner of a block that belongs to no process (slabs, caches' own metadata). */
#define HM_OWNER_NONE (-1)
/* hm_memzone_free_as() for a local call: whoever owns it. */
#define HM_OWNER_ANY (-2)

struct hm_free_area {
	uint32_t head;
	uint32_t pad;
	uint64_t nr_free;
};

/* One lcore's cache of small blocks in one zone. */
struct hm_pcp_list {
	uint32_t head;
	/*
	 * Written only by the list's lcore (or by a drain while that lcore is idle),
	 * read by statistics from anywhere: relaxed atomics, updated with a plain
	 * load and store, never a locked read-modify-write on the fast path.
	 */
	_Atomic uint32_t count; /* blocks */
	_Atomic uint64_t allocs;
	_Atomic uint64_t frees;
};

struct hm_zone {
	pthread_mutex_t lock;
	int32_t socket_id;
	uint32_t type;
	uint8_t present;
	uint8_t below_low;
	uint8_t pad[6];
	uint64_t managed_pages;
	uint64_t free_pages;
	struct hm_watermarks wm;
	uint64_t lowmem_reserve;
	uint32_t pcp_batch;
	uint32_t pcp_high;
	struct hm_free_area area[HM_BUDDY_NR_ORDERS];
	/* Blocks taken and given back through the zone lock; the caches count their own. */
	_Atomic uint64_t allocs[HM_BUDDY_NR_ORDERS];
	_Atomic uint64_t frees[HM_BUDDY_NR_ORDERS];
	_Atomic uint64_t failures[HM_BUDDY_NR_ORDERS];
	_Atomic uint64_t low_crossings;
	struct hm_pcp_list pcp[HM_MAX_LCORE][HM_BUDDY_PCP_MAX_ORDER + 1];
};

struct hm_memzone_slot {
	struct hm_memzone mz;
	int32_t owner;
	uint8_t used;
};

struct hm_buddy {
	uint32_t nr_sockets; /* highest socket with memory + 1: the zone lists stop there */
	uint64_t base_va;
	uint64_t nr_pages;
	struct hm_page *pages;
	struct hm_zone zones[HM_BUDDY_NR_ZONES];
	pthread_mutex_t mz_lock;
	struct hm_memzone_slot memzones[HM_MAX_MEMZONES];
};

/* buddy.c */
struct hm_buddy *hm_buddy_get(void);
void hm_mutex_init_shared(pthread_mutex_t *m, bool recursive);
void hm_mutex_lock_shared(pthread_mutex_t *m, const char *what);
int hm_buddy_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_buddy_cleanup(enum hm_proc_type type);
const char *hm_zone_name(unsigned int type);
/*
 * hm_buddy_alloc() for the allocators above: the block records `owner` (a
 * process slot, or HM_OWNER_NONE so no process's reclaim frees it) and PGF_*
 * flags that keep hm_buddy_free() away from it.
 */
void *hm_buddy_alloc_tagged(unsigned int order, int socket, unsigned int flags, int owner,
			    unsigned int pgflags);
/* hm_dma_alloc() with a tag as above; `what` names the caller in its log lines. */
void *hm_dma_alloc_tagged(size_t size, size_t align, int socket, unsigned int flags, int owner,
			  unsigned int pgflags, const char *what);
/*
 * Exactly the pages that hold `size` bytes, contiguous in VA and IOVA, as
 * the kernel's alloc_pages_exact(); free with hm_buddy_free_exact() and the
 * same size.
 */
void *hm_buddy_alloc_exact_tagged(size_t size, int socket, unsigned int flags, int owner,
				  unsigned int pgflags);
int hm_buddy_free_exact(void *addr, size_t size, const char *what);
/* Free an allocated block whatever its flags (memzone.c, reclaim). */
int hm_buddy_free_block_of(void *addr, const char *what, bool direct);
/* memzone.c: drop the memzones of a dead owner. Returns pages freed. */
uint64_t hm_memzone_reclaim_owner(int owner, uint32_t *nb_memzones);

/* The flags hm_buddy_alloc() takes. */
#define HM_BUDDY_ALL_FLAGS (HM_BUDDY_DMA32 | HM_BUDDY_STRICT | HM_BUDDY_ATOMIC | HM_BUDDY_ZERO)
/* The flags hm_memzone_reserve() takes. */
#define HM_MEMZONE_ALL_FLAGS (HM_BUDDY_ALL_FLAGS | HM_MEMZONE_PERSIST)

/*
 * Where a secondary's changes to buddy state go: the primary's service
 * installs these in each secondary (service.c), so that the service loop is
 * the only writer of the free lists and the memzone table. The calls keep
 * the local functions' contracts: NULL/errno and 0/-errno. `owner` is the
 * caller's own slot or HM_OWNER_NONE, as the local call would have tagged
 * the block. NULL in the primary, and in a secondary without a service.
 */
struct hm_buddy_remote {
	void *(*alloc)(unsigned int order, int socket, unsigned int flags, int owner,
		       unsigned int pgflags);
	void *(*alloc_exact)(size_t size, int socket, unsigned int flags, int owner,
			     unsigned int pgflags);
	/* plain: hm_buddy_free()'s refusal of blocks with PGF_OWNED flags */
	int (*free)(void *addr, size_t size, bool plain);
	const struct hm_memzone *(*mz_reserve)(const char *name, size_t len, int socket,
					       unsigned int flags, size_t align);
	int (*mz_free)(const struct hm_memzone *mz);
};

void hm_buddy_set_remote(const struct hm_buddy_remote *ops);
const struct hm_buddy_remote *hm_buddy_get_remote(void);

/*
 * The service's side of a client's request, run in the primary. Each
 * checks that `owner` (the sender's slot) may free what it names: a block
 * or memzone it owns, or a shared one (HM_OWNER_NONE) of the kinds a
 * client allocates for shared structures; -EPERM otherwise. size 0 frees
 * one block; a size frees the blocks of hm_buddy_alloc_exact_tagged().
 */
int hm_buddy_free_as(void *addr, size_t size, bool plain, int owner);
const struct hm_memzone *hm_memzone_reserve_as(const char *name, size_t len, int socket,
					       unsigned int flags, size_t align, int owner);
int hm_memzone_free_as(const struct hm_memzone *mz, int owner);

static inline unsigned int
hm_zone_index(int socket, enum hm_zone_type type)
{
	return (unsigned int)socket * HM_NR_ZONES + (unsigned int)type;
}

static inline unsigned int
page_state(const struct hm_page *p)
{
	return atomic_load_explicit(&p->state, memory_order_relaxed);
}

static inline void
page_set_state(struct hm_page *p, unsigned int s)
{
	atomic_store_explicit(&p->state, (uint8_t)s, memory_order_relaxed);
}

/* Single-writer counters: a relaxed load and store, no locked instruction. */
static inline void
pcp_count_add(struct hm_pcp_list *l, int delta)
{
	atomic_store_explicit(
	    &l->count, atomic_load_explicit(&l->count, memory_order_relaxed) + (uint32_t)delta,
	    memory_order_relaxed);
}

/* Pages in the lcore caches of zone z. */
static inline uint64_t
zone_cached_pages(const struct hm_zone *z)
{
	uint64_t pages = 0;

	for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
		for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++)
			pages += (uint64_t)atomic_load_explicit(&z->pcp[l][o].count,
								memory_order_relaxed)
				 << o;
	return pages;
}

/* IOVA of page idx (inside a run). */
static inline hm_iova_t
hm_page_iova(const struct hm_shared_config *mc, const struct hm_buddy *b, uint32_t idx)
{
	const struct hm_memseg_run *run = &mc->runs[b->pages[idx].run];

	return run->iova +
	       ((b->base_va + (uint64_t)idx * HM_BUDDY_PAGE_SIZE) - (uint64_t)(uintptr_t)run->addr);
}

/* Page index of addr in the buddy's range; the caller checks the range. */
static inline uint32_t
hm_buddy_page_index(const struct hm_buddy *b, const void *addr)
{
	return (uint32_t)(((uint64_t)(uintptr_t)addr - b->base_va) / HM_BUDDY_PAGE_SIZE);
}

/* Smallest order whose block holds `bytes` (HM_BUDDY_MAX_ORDER + 1 if none does). */
static inline unsigned int
hm_buddy_order_of(uint64_t bytes)
{
	unsigned int order = 0;

	while (((uint64_t)HM_BUDDY_PAGE_SIZE << order) < bytes && order <= HM_BUDDY_MAX_ORDER)
		order++;
	return order;
}

/* Socket of the memory of page idx. */
static inline int
hm_buddy_page_socket(const struct hm_buddy *b, uint32_t idx)
{
	return b->pages[idx].zone / HM_NR_ZONES;
}

#endif /* HM_BUDDY_PVT_H */
