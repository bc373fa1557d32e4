/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The buddy allocator: free lists per order per zone, split on allocation,
 * merge on free, per-lcore caches of small blocks, watermarks.
 *
 * A block's buddy is found by address arithmetic on its IOVA, as the kernel
 * does on PFNs: the buddy of the order-n block at iova is at
 * iova ^ (4 KiB << n). Both halves must lie in the same contiguous run; at a
 * run's edge a block simply has no buddy. Because VA and IOVA advance
 * together inside a run, the buddy's page index is the block's plus the IOVA
 * difference in pages.
 *
 * See buddy_pvt.h for the data structures, invariants and locking.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buddy_pvt.h"

#define BUDDY "buddy"

#define ALL_FLAGS HM_BUDDY_ALL_FLAGS

static struct hm_buddy *buddy;		     /* this process's view of the shared state */
static const struct hm_buddy_remote *remote; /* a secondary's way to the service */

static const char *const zone_names[HM_NR_ZONES] = {"DMA32", "Normal"};

struct hm_buddy *
hm_buddy_get(void)
{
	return buddy;
}

void
hm_buddy_set_remote(const struct hm_buddy_remote *ops)
{
	remote = ops;
}

const struct hm_buddy_remote *
hm_buddy_get_remote(void)
{
	return remote;
}

/* ------------------------------------------------------------ shared locks */

/* A robust, process-shared mutex; recursive for a lock its owner may take again. */
void
hm_mutex_init_shared(pthread_mutex_t *m, bool recursive)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (recursive)
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/*
 * A process that died holding the lock leaves EOWNERDEAD: take the lock, mark
 * it consistent and say so. What the dead holder was changing is found by
 * hm_buddy_audit(); the service loop, as the only writer, removes the case.
 */
void
hm_mutex_lock_shared(pthread_mutex_t *m, const char *what)
{
	int ret = pthread_mutex_lock(m);

	if (hm_unlikely(ret == EOWNERDEAD)) {
		HM_LOG(ERR, BUDDY, "%s: the process holding its lock died; taking it over", what);
		pthread_mutex_consistent(m);
	}
}

/* ------------------------------------------------------------- free lists */

static void
list_add(struct hm_page *pages, uint32_t *head, uint32_t idx)
{
	pages[idx].prev = HM_PAGE_NIL;
	pages[idx].next = *head;
	if (*head != HM_PAGE_NIL)
		pages[*head].prev = idx;
	*head = idx;
}

static void
list_del(struct hm_page *pages, uint32_t *head, uint32_t idx)
{
	struct hm_page *p = &pages[idx];

	if (p->prev != HM_PAGE_NIL)
		pages[p->prev].next = p->next;
	else
		*head = p->next;
	if (p->next != HM_PAGE_NIL)
		pages[p->next].prev = p->prev;
	p->next = p->prev = HM_PAGE_NIL;
}

static void
add_to_free_area(struct hm_zone *z, uint32_t idx, unsigned int order)
{
	struct hm_page *p = &buddy->pages[idx];

	page_set_state(p, PG_FREE);
	atomic_store_explicit(&p->order, (uint8_t)order, memory_order_relaxed);
	atomic_store_explicit(&p->owner, -1, memory_order_relaxed);
	list_add(buddy->pages, &z->area[order].head, idx);
	z->area[order].nr_free++;
	z->free_pages += 1ULL << order;
}

static void
del_from_free_area(struct hm_zone *z, uint32_t idx, unsigned int order)
{
	list_del(buddy->pages, &z->area[order].head, idx);
	z->area[order].nr_free--;
	z->free_pages -= 1ULL << order;
	page_set_state(&buddy->pages[idx], PG_TAIL);
}

/* ----------------------------------------------------------- split, merge */

/* Give back the upper halves of a block of order `high` split down to `low`. */
static void
expand(struct hm_zone *z, uint32_t idx, unsigned int low, unsigned int high)
{
	while (high > low) {
		high--;
		add_to_free_area(z, idx + (1u << high), high);
	}
}

/* Smallest free block of order >= `order`, split to `order`. Zone lock held. */
static uint32_t
rmqueue_smallest(struct hm_zone *z, unsigned int order)
{
	for (unsigned int o = order; o < HM_BUDDY_NR_ORDERS; o++) {
		uint32_t idx = z->area[o].head;

		if (idx == HM_PAGE_NIL)
			continue;
		del_from_free_area(z, idx, o);
		expand(z, idx, order, o);
		return idx;
	}
	return HM_PAGE_NIL;
}

/* Free a block into its zone, merging with free buddies. Zone lock held. */
static void
free_one_block(struct hm_zone *z, uint32_t idx, unsigned int order)
{
	const struct hm_shared_config *mc = hm_memory_get_config();
	const struct hm_memseg_run *run = &mc->runs[buddy->pages[idx].run];
	const hm_iova_t run_end = run->iova + run->len;

	while (order < HM_BUDDY_MAX_ORDER) {
		const uint64_t size = (uint64_t)HM_BUDDY_PAGE_SIZE << order;
		hm_iova_t iova = hm_page_iova(mc, buddy, idx);
		hm_iova_t biova = iova ^ size;
		uint32_t bidx;

		if (biova < run->iova || biova + size > run_end)
			break; /* the buddy would be outside the run */
		bidx = (uint32_t)((int64_t)idx +
				  ((int64_t)biova - (int64_t)iova) / HM_BUDDY_PAGE_SIZE);
		if (page_state(&buddy->pages[bidx]) != PG_FREE || buddy->pages[bidx].order != order)
			break;
		del_from_free_area(z, bidx, order);
		page_set_state(&buddy->pages[idx], PG_TAIL);
		if (bidx < idx)
			idx = bidx;
		order++;
	}
	add_to_free_area(z, idx, order);
}

/* ------------------------------------------------------------- watermarks */

static bool
watermark_ok(const struct hm_zone *z, unsigned int order, unsigned int flags, bool fallback)
{
	uint64_t mark = (flags & HM_BUDDY_ATOMIC) ? z->wm.min / 2 : z->wm.min;
	uint64_t need = 1ULL << order;

	if (fallback)
		mark += z->lowmem_reserve;
	return z->free_pages >= need && z->free_pages - need >= mark;
}

static void
note_low(struct hm_zone *z)
{
	if (z->free_pages < z->wm.low && !z->below_low) {
		z->below_low = 1;
		atomic_fetch_add_explicit(&z->low_crossings, 1, memory_order_relaxed);
		HM_LOG(WARNING, BUDDY,
		       "socket %d zone %s: free pages %" PRIu64
		       " fell below the low watermark %" PRIu64,
		       z->socket_id, zone_names[z->type], z->free_pages, z->wm.low);
	} else if (z->free_pages >= z->wm.high && z->below_low) {
		z->below_low = 0;
	}
}

/* ------------------------------------------------------------ lcore cache */

/* Refill an lcore's list of `order` blocks with up to a batch. Returns blocks added. */
static unsigned int
pcp_refill(struct hm_zone *z, struct hm_pcp_list *l, unsigned int order, unsigned int flags,
	   bool fallback)
{
	unsigned int n = 0;

	hm_mutex_lock_shared(&z->lock, "zone");
	while (n < z->pcp_batch && watermark_ok(z, order, flags, fallback)) {
		uint32_t idx = rmqueue_smallest(z, order);

		if (idx == HM_PAGE_NIL)
			break;
		atomic_store_explicit(&buddy->pages[idx].order, (uint8_t)order,
				      memory_order_relaxed);
		page_set_state(&buddy->pages[idx], PG_PCP);
		list_add(buddy->pages, &l->head, idx);
		pcp_count_add(l, 1);
		n++;
	}
	note_low(z);
	pthread_mutex_unlock(&z->lock);
	return n;
}

/* Return `count` blocks of an lcore's list to the free lists. @return how many. */
static unsigned int
pcp_drain(struct hm_zone *z, struct hm_pcp_list *l, unsigned int order, unsigned int count)
{
	unsigned int n = 0;

	hm_mutex_lock_shared(&z->lock, "zone");
	while (n < count && l->head != HM_PAGE_NIL) {
		uint32_t idx = l->head;

		list_del(buddy->pages, &l->head, idx);
		pcp_count_add(l, -1);
		free_one_block(z, idx, order);
		n++;
	}
	note_low(z);
	pthread_mutex_unlock(&z->lock);
	return n;
}

uint64_t
hm_buddy_drain_lcore(unsigned int lcore_id)
{
	uint64_t pages = 0;

	if (buddy == NULL || lcore_id >= HM_MAX_LCORE)
		return 0;
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++) {
		struct hm_zone *z = &buddy->zones[zi];

		if (!z->present)
			continue;
		for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++)
			if (atomic_load_explicit(&z->pcp[lcore_id][o].count,
						 memory_order_relaxed) != 0)
				pages += (uint64_t)pcp_drain(z, &z->pcp[lcore_id][o], o, UINT32_MAX)
					 << o;
	}
	return pages;
}

/* -------------------------------------------------------------- allocate */

/* Take one block from zone z; HM_PAGE_NIL if the zone cannot serve it. */
static uint32_t
zone_alloc(struct hm_zone *z, unsigned int order, unsigned int flags, bool fallback)
{
	unsigned int lcore = hm_lcore_id();
	uint32_t idx = HM_PAGE_NIL;

	if (order <= HM_BUDDY_PCP_MAX_ORDER && lcore < HM_MAX_LCORE) {
		struct hm_pcp_list *l = &z->pcp[lcore][order];

		if (l->head == HM_PAGE_NIL && pcp_refill(z, l, order, flags, fallback) == 0)
			return HM_PAGE_NIL;
		idx = l->head;
		list_del(buddy->pages, &l->head, idx);
		pcp_count_add(l, -1);
		hm_counter_inc_local(&l->allocs);
		return idx;
	}
	hm_mutex_lock_shared(&z->lock, "zone");
	if (watermark_ok(z, order, flags, fallback))
		idx = rmqueue_smallest(z, order);
	note_low(z);
	pthread_mutex_unlock(&z->lock);
	if (idx != HM_PAGE_NIL)
		atomic_fetch_add_explicit(&z->allocs[order], 1, memory_order_relaxed);
	return idx;
}

/*
 * The zones to try, in order: for DMA32 requests the DMA32 zones; for the
 * others NORMAL, then DMA32 as a fallback (above its lowmem reserve). The
 * requested socket first, then, unless STRICT, the other sockets that have
 * memory (nr_sockets, not HM_MAX_NUMA_NODES: no time spent on empty ones).
 */
static unsigned int
zonelist(int socket, unsigned int flags, unsigned int *zones, bool *fallback)
{
	unsigned int n = 0;

	for (int pass = 0; pass <= (int)buddy->nr_sockets; pass++) {
		int s = pass == 0 ? socket : pass - 1;

		if (pass > 0 && (flags & HM_BUDDY_STRICT))
			break;
		if (pass > 0 && s == socket)
			continue;
		if (!(flags & HM_BUDDY_DMA32)) {
			zones[n] = hm_zone_index(s, HM_ZONE_NORMAL);
			fallback[n++] = false;
		}
		zones[n] = hm_zone_index(s, HM_ZONE_DMA32);
		fallback[n++] = !(flags & HM_BUDDY_DMA32);
	}
	return n;
}

struct block_tag {
	int32_t owner;
	uint8_t pgflags;
};

static void *try_zones(const unsigned int *zones, const bool *fallback, unsigned int n,
		       unsigned int order, unsigned int flags, const struct block_tag *tag,
		       struct hm_zone **first);

/* Could any zone of the list hold a block of this order at all? */
static bool
request_fits(const unsigned int *zones, unsigned int n, unsigned int order)
{
	for (unsigned int i = 0; i < n; i++)
		if (buddy->zones[zones[i]].present && buddy->zones[zones[i]].managed_pages >> order)
			return true;
	return false;
}

/* Drain the calling lcore's caches. @return true if anything was cached. */
static bool
drain_own_caches(void)
{
	unsigned int lcore = hm_lcore_id();
	uint64_t cached = 0;

	if (lcore >= HM_MAX_LCORE)
		return false;
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++)
		for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++)
			cached += atomic_load_explicit(&buddy->zones[zi].pcp[lcore][o].count,
						       memory_order_relaxed);
	if (cached == 0)
		return false;
	hm_buddy_drain_lcore(lcore);
	return true;
}

static void *
buddy_alloc(unsigned int order, int socket, unsigned int flags, const struct block_tag *tag)
{
	unsigned int zones[2 * HM_MAX_NUMA_NODES], n;
	bool fallback[2 * HM_MAX_NUMA_NODES];
	struct hm_zone *first = NULL;

	if (buddy == NULL) {
		errno = ENODEV;
		return NULL;
	}
	if (order > HM_BUDDY_MAX_ORDER || (flags & ~ALL_FLAGS) ||
	    (socket != HM_SOCKET_ID_ANY && (socket < 0 || socket >= HM_MAX_NUMA_NODES))) {
		HM_LOG(ERR, BUDDY, "alloc: bad request (order %u, socket %d, flags 0x%x)", order,
		       socket, flags);
		errno = EINVAL;
		return NULL;
	}
	if (remote != NULL) {
		/* Zeroing is the caller's work, not the service loop's, which serves everyone. */
		void *va =
		    remote->alloc(order, socket, flags & ~HM_BUDDY_ZERO, tag->owner, tag->pgflags);

		if (va != NULL && (flags & HM_BUDDY_ZERO))
			memset(va, 0, (size_t)HM_BUDDY_PAGE_SIZE << order);
		return va;
	}
	if (socket == HM_SOCKET_ID_ANY)
		socket = (int)hm_socket_id();
	n = zonelist(socket, flags, zones, fallback);
	for (int attempt = 0; attempt < 2; attempt++) {
		void *va = try_zones(zones, fallback, n, order, flags, tag, &first);

		if (va != NULL)
			return va;
		/*
		 * Blocks cached for this lcore keep their buddies split: give them
		 * back and try once more, as the kernel drains its per-CPU lists
		 * before it fails a request. Other lcores' caches are theirs.
		 */
		if (attempt == 0 && !(request_fits(zones, n, order) && drain_own_caches()))
			break;
	}
	if (first != NULL)
		atomic_fetch_add_explicit(&first->failures[order], 1, memory_order_relaxed);
	HM_LOG(DEBUG, BUDDY, "socket %d%s: no free block of order %u", socket,
	       (flags & HM_BUDDY_DMA32) ? " zone DMA32" : "", order);
	errno = ENOMEM;
	return NULL;
}

void *
hm_buddy_alloc(unsigned int order, int socket, unsigned int flags)
{
	const struct block_tag tag = {.owner = hm_shared_config_proc_slot(), .pgflags = 0};

	return buddy_alloc(order, socket, flags, &tag);
}

void *
hm_buddy_alloc_tagged(unsigned int order, int socket, unsigned int flags, int owner,
		      unsigned int pgflags)
{
	const struct block_tag tag = {.owner = owner, .pgflags = (uint8_t)pgflags};

	return buddy_alloc(order, socket, flags, &tag);
}

static void *
try_zones(const unsigned int *zones, const bool *fallback, unsigned int n, unsigned int order,
	  unsigned int flags, const struct block_tag *tag, struct hm_zone **first)
{
	for (unsigned int i = 0; i < n; i++) {
		struct hm_zone *z = &buddy->zones[zones[i]];
		uint32_t idx;
		void *va;

		if (!z->present)
			continue;
		if (*first == NULL)
			*first = z;
		idx = zone_alloc(z, order, flags, fallback[i]);
		if (idx == HM_PAGE_NIL)
			continue;
		atomic_store_explicit(&buddy->pages[idx].order, (uint8_t)order,
				      memory_order_relaxed);
		atomic_store_explicit(&buddy->pages[idx].owner, tag->owner, memory_order_relaxed);
		atomic_store_explicit(&buddy->pages[idx].flags, tag->pgflags, memory_order_relaxed);
		/* Release: whoever sees ALLOC (a free, a reclaim) sees order, owner and flags. */
		atomic_store_explicit(&buddy->pages[idx].state, PG_ALLOC, memory_order_release);
		va = (void *)(uintptr_t)(buddy->base_va + (uint64_t)idx * HM_BUDDY_PAGE_SIZE);
		if (flags & HM_BUDDY_ZERO)
			memset(va, 0, (size_t)HM_BUDDY_PAGE_SIZE << order);
		return va;
	}
	return NULL;
}

/* Page index of the head of an allocated block at addr, or HM_PAGE_NIL. */
static uint32_t
allocated_head(const void *addr, const char *what)
{
	uint64_t va = (uint64_t)(uintptr_t)addr;
	uint32_t idx;

	if (buddy == NULL || va < buddy->base_va ||
	    va >= buddy->base_va + buddy->nr_pages * HM_BUDDY_PAGE_SIZE ||
	    (va & (HM_BUDDY_PAGE_SIZE - 1)) != 0) {
		HM_LOG(ERR, BUDDY, "%s %p: not a block of hugemem memory", what, addr);
		return HM_PAGE_NIL;
	}
	idx = (uint32_t)((va - buddy->base_va) / HM_BUDDY_PAGE_SIZE);
	switch (atomic_load_explicit(&buddy->pages[idx].state, memory_order_acquire)) {
	case PG_ALLOC:
		return idx;
	case PG_FREE:
	case PG_PCP:
		HM_LOG(ERR, BUDDY, "%s %p: the block is already free (double free?)", what, addr);
		return HM_PAGE_NIL;
	default:
		HM_LOG(ERR, BUDDY, "%s %p: not the start of an allocated block", what, addr);
		return HM_PAGE_NIL;
	}
}

/* direct: straight to the zone, never to this lcore's cache (reclaim for another process). */
static void
free_block(uint32_t idx, bool direct)
{
	struct hm_page *p = &buddy->pages[idx];
	unsigned int order = p->order, lcore = hm_lcore_id();
	struct hm_zone *z = &buddy->zones[p->zone];

	atomic_store_explicit(&p->owner, -1, memory_order_relaxed);
	if (!direct && order <= HM_BUDDY_PCP_MAX_ORDER && lcore < HM_MAX_LCORE) {
		struct hm_pcp_list *l = &z->pcp[lcore][order];

		page_set_state(p, PG_PCP);
		list_add(buddy->pages, &l->head, idx);
		pcp_count_add(l, 1);
		hm_counter_inc_local(&l->frees);
		if (atomic_load_explicit(&l->count, memory_order_relaxed) > z->pcp_high)
			pcp_drain(z, l, order, z->pcp_batch);
		return;
	}
	atomic_fetch_add_explicit(&z->frees[order], 1, memory_order_relaxed);
	hm_mutex_lock_shared(&z->lock, "zone");
	free_one_block(z, idx, order);
	note_low(z);
	pthread_mutex_unlock(&z->lock);
}

/* Take a head out of ALLOC; false if another thread freed it first. */
static bool
claim_for_free(uint32_t idx)
{
	uint8_t expected = PG_ALLOC;

	return atomic_compare_exchange_strong_explicit(&buddy->pages[idx].state, &expected, PG_TAIL,
						       memory_order_acquire, memory_order_relaxed);
}

int
hm_buddy_free_block_of(void *addr, const char *what, bool direct)
{
	if (remote != NULL)
		return remote->free(addr, 0, false);

	uint32_t idx = allocated_head(addr, what);

	if (idx == HM_PAGE_NIL)
		return -EINVAL;
	if (!claim_for_free(idx)) {
		HM_LOG(ERR, BUDDY, "%s %p: freed concurrently by another thread", what, addr);
		return -EINVAL;
	}
	atomic_store_explicit(&buddy->pages[idx].flags, 0, memory_order_relaxed);
	free_block(idx, direct);
	return 0;
}

int
hm_buddy_free(void *addr)
{
	if (remote != NULL)
		return remote->free(addr, 0, true);

	uint32_t idx = allocated_head(addr, "free");

	if (idx == HM_PAGE_NIL)
		return -EINVAL;
	unsigned int pgf = atomic_load_explicit(&buddy->pages[idx].flags, memory_order_relaxed);

	if (pgf & PGF_OWNED) {
		HM_LOG(ERR, BUDDY, "free %p: the block belongs to %s; use %s", addr,
		       (pgf & PGF_MEMZONE)   ? "a memzone"
		       : (pgf & PGF_SLAB)    ? "a slab cache"
		       : (pgf & PGF_RING)    ? "a ring"
		       : (pgf & PGF_MEMPOOL) ? "a mempool"
					     : "kmalloc",
		       (pgf & PGF_MEMZONE)   ? "hm_memzone_free()"
		       : (pgf & PGF_SLAB)    ? "hm_slab_free() on its objects"
		       : (pgf & PGF_RING)    ? "hm_ring_free()"
		       : (pgf & PGF_MEMPOOL) ? "hm_mempool_free()"
					     : "hm_kfree()");
		return -EINVAL;
	}
	return hm_buddy_free_block_of(addr, "free", false);
}

/*
 * The kernel's alloc_pages_exact(): the smallest block that holds `size`,
 * cut down to the pages asked for. The kept pages become allocated blocks
 * of falling orders, each with the tag, so they free one by one; the rest
 * goes back to the zone. The halves of a block are buddies, so a freed
 * upper half cannot merge with the kept lower one.
 */
void *
hm_buddy_alloc_exact_tagged(size_t size, int socket, unsigned int flags, int owner,
			    unsigned int pgflags)
{
	uint64_t keep = (size + HM_BUDDY_PAGE_SIZE - 1) / HM_BUDDY_PAGE_SIZE;
	unsigned int order = hm_buddy_order_of(size);
	struct hm_zone *z;
	uint32_t idx;
	void *va;

	if (size == 0 || order > HM_BUDDY_MAX_ORDER) {
		errno = size == 0 ? EINVAL : E2BIG;
		return NULL;
	}
	if (remote != NULL) {
		va = remote->alloc_exact(size, socket, flags & ~HM_BUDDY_ZERO, owner, pgflags);
		if (va != NULL && (flags & HM_BUDDY_ZERO))
			memset(va, 0, size);
		return va;
	}
	va = hm_buddy_alloc_tagged(order, socket, flags & ~HM_BUDDY_ZERO, owner, pgflags);
	if (va == NULL)
		return NULL;
	idx = (uint32_t)(((uint64_t)(uintptr_t)va - buddy->base_va) / HM_BUDDY_PAGE_SIZE);
	z = &buddy->zones[buddy->pages[idx].zone];
	hm_mutex_lock_shared(&z->lock, "zone");
	while (keep < (1ull << order)) {
		const uint32_t half = 1u << (order - 1);

		order--;
		atomic_store_explicit(&buddy->pages[idx].order, (uint8_t)order,
				      memory_order_relaxed);
		if (keep <= half) {
			free_one_block(z, idx + half, order);
			continue;
		}
		/* The lower half stays whole; the upper one becomes a block of its own. */
		idx += half;
		keep -= half;
		atomic_store_explicit(&buddy->pages[idx].order, (uint8_t)order,
				      memory_order_relaxed);
		atomic_store_explicit(&buddy->pages[idx].owner, owner, memory_order_relaxed);
		atomic_store_explicit(&buddy->pages[idx].flags, (uint8_t)pgflags,
				      memory_order_relaxed);
		atomic_store_explicit(&buddy->pages[idx].state, PG_ALLOC, memory_order_release);
	}
	pthread_mutex_unlock(&z->lock);
	if (flags & HM_BUDDY_ZERO)
		memset(va, 0, size);
	return va;
}

int
hm_buddy_free_exact(void *addr, size_t size, const char *what)
{
	uint64_t left = (size + HM_BUDDY_PAGE_SIZE - 1) / HM_BUDDY_PAGE_SIZE;
	char *va = addr;
	int ret = 0;

	if (remote != NULL)
		return remote->free(addr, size, false);
	while (left > 0 && ret == 0) {
		uint32_t idx = allocated_head(va, what);
		uint64_t pages;

		if (idx == HM_PAGE_NIL)
			return -EINVAL;
		pages = 1ull << buddy->pages[idx].order;
		if (pages > left) {
			HM_LOG(ERR, BUDDY, "%s %p: a block of %" PRIu64 " pages passes the end",
			       what, (void *)va, pages);
			return -EINVAL;
		}
		ret = hm_buddy_free_block_of(va, what, false);
		va += pages * HM_BUDDY_PAGE_SIZE;
		left -= pages;
	}
	return ret;
}

/* May `owner` free the allocated block at idx? 0, or -EPERM/-EINVAL with a log line. */
static int
may_free(uint32_t idx, void *addr, bool plain, int owner)
{
	const struct hm_page *p = &buddy->pages[idx];
	const unsigned int pgf = atomic_load_explicit(&p->flags, memory_order_relaxed);
	const int32_t holder = atomic_load_explicit(&p->owner, memory_order_relaxed);

	if (plain && (pgf & PGF_OWNED)) {
		HM_LOG(ERR, BUDDY, "free %p for slot %d: the block is not a plain one (flags 0x%x)",
		       addr, owner, pgf);
		return -EINVAL;
	}
	if (pgf & PGF_MEMZONE) {
		HM_LOG(ERR, BUDDY, "free %p for slot %d: the block is a memzone's", addr, owner);
		return -EPERM;
	}
	/* Shared structures belong to no process: whoever frees the structure frees them. */
	if (holder == owner ||
	    (holder == HM_OWNER_NONE && (pgf & (PGF_SLAB | PGF_RING | PGF_MEMPOOL))))
		return 0;
	HM_LOG(ERR, BUDDY, "free %p for slot %d: the block belongs to %s %d", addr, owner,
	       holder == HM_OWNER_NONE ? "no process, flags" : "slot",
	       holder == HM_OWNER_NONE ? (int)pgf : holder);
	return -EPERM;
}

int
hm_buddy_free_as(void *addr, size_t size, bool plain, int owner)
{
	if (buddy == NULL)
		return -ENODEV;
	/* Pass 0 checks every block, pass 1 frees them: a refused request frees nothing. */
	for (int pass = 0; pass < 2; pass++) {
		uint64_t left =
		    (size + HM_BUDDY_PAGE_SIZE - 1) / HM_BUDDY_PAGE_SIZE; /* 0: one block */
		char *va = addr;

		do {
			uint32_t idx = allocated_head(va, "service free");
			uint64_t pages;
			int ret;

			if (idx == HM_PAGE_NIL)
				return -EINVAL;
			pages = 1ull << buddy->pages[idx].order;
			if (size != 0 && pages > left) {
				HM_LOG(ERR, BUDDY,
				       "free %p: a block of %" PRIu64 " pages passes the end",
				       (void *)va, pages);
				return -EINVAL;
			}
			if (pass == 0) {
				ret = may_free(idx, va, plain, owner);
				if (ret != 0)
					return ret;
			} else {
				if (!claim_for_free(idx))
					return -EINVAL;
				atomic_store_explicit(&buddy->pages[idx].flags, 0,
						      memory_order_relaxed);
				free_block(idx, true);
			}
			va += pages * HM_BUDDY_PAGE_SIZE;
			left = size == 0 ? 0 : left - pages;
		} while (left > 0);
	}
	return 0;
}

int
hm_buddy_block_order(const void *addr)
{
	uint32_t idx = allocated_head(addr, "block order");

	return idx == HM_PAGE_NIL ? -EINVAL : buddy->pages[idx].order;
}

uint64_t
hm_buddy_reclaim_owner(int owner, struct hm_buddy_reclaimed *out)
{
	struct hm_buddy_reclaimed r = {0};
	uint64_t freed = 0;

	if (out != NULL)
		*out = r;
	if (buddy == NULL || owner < 0)
		return 0;
	r.pages = hm_memzone_reclaim_owner(owner, &r.memzones);
	for (uint32_t idx = 0; idx < buddy->nr_pages; idx++) {
		struct hm_page *p = &buddy->pages[idx];

		if (atomic_load_explicit(&p->state, memory_order_acquire) != PG_ALLOC ||
		    atomic_load_explicit(&p->owner, memory_order_relaxed) != owner ||
		    !claim_for_free(idx))
			continue;
		atomic_store_explicit(&p->flags, 0, memory_order_relaxed);
		freed += 1ULL << p->order;
		r.blocks++;
		struct hm_zone *z = &buddy->zones[p->zone];

		atomic_fetch_add_explicit(&z->frees[p->order], 1, memory_order_relaxed);
		hm_mutex_lock_shared(&z->lock, "zone");
		free_one_block(z, idx, p->order);
		pthread_mutex_unlock(&z->lock);
	}
	r.pages += freed;
	if (out != NULL)
		*out = r;
	return r.pages;
}

uint64_t
hm_buddy_owner_usage(int owner, struct hm_buddy_reclaimed *out)
{
	struct hm_buddy_reclaimed r = {0};

	if (buddy != NULL && owner >= 0) {
		hm_mutex_lock_shared(&buddy->mz_lock, "memzone table");
		for (unsigned int i = 0; i < HM_MAX_MEMZONES; i++)
			if (buddy->memzones[i].used && buddy->memzones[i].owner == owner)
				r.memzones++;
		pthread_mutex_unlock(&buddy->mz_lock);
		for (uint32_t idx = 0; idx < buddy->nr_pages; idx++) {
			const struct hm_page *p = &buddy->pages[idx];

			if (atomic_load_explicit(&p->state, memory_order_relaxed) != PG_ALLOC ||
			    atomic_load_explicit(&p->owner, memory_order_relaxed) != owner)
				continue;
			r.pages += 1ULL << p->order;
			if (!(atomic_load_explicit(&p->flags, memory_order_relaxed) & PGF_MEMZONE))
				r.blocks++;
		}
	}
	if (out != NULL)
		*out = r;
	return r.pages;
}

/* ------------------------------------------------------------ DMA memory */

void *
hm_dma_alloc_tagged(size_t size, size_t align, int socket, unsigned int flags, int owner,
		    unsigned int pgflags, const char *what)
{
	unsigned int order = 0;
	void *va;

	if (size == 0 || (align != 0 && !HM_IS_POW2(align))) {
		HM_LOG(ERR, BUDDY, "%s: size %zu, align %zu: %s", what, size, align,
		       size == 0 ? "size is zero" : "align is not a power of two");
		errno = EINVAL;
		return NULL;
	}
	if (size > ((uint64_t)HM_BUDDY_PAGE_SIZE << HM_BUDDY_MAX_ORDER) ||
	    align > ((uint64_t)HM_BUDDY_PAGE_SIZE << HM_BUDDY_MAX_ORDER)) {
		HM_LOG(ERR, BUDDY, "%s: size %zu, align %zu: above the largest block (%llu MiB)",
		       what, size, align,
		       ((unsigned long long)HM_BUDDY_PAGE_SIZE << HM_BUDDY_MAX_ORDER) >> 20);
		errno = E2BIG;
		return NULL;
	}
	/* Blocks are aligned to their size: a larger alignment is a larger order. */
	order = hm_buddy_order_of(size > align ? size : align);
	/* HM_BUDDY_ZERO clears what was asked for, not the whole power-of-two block. */
	va = hm_buddy_alloc_tagged(order, socket, flags & ~HM_BUDDY_ZERO, owner, pgflags);
	if (va != NULL && (flags & HM_BUDDY_ZERO))
		memset(va, 0, size);
	return va;
}

void *
hm_dma_alloc(size_t size, size_t align, int socket, unsigned int flags, hm_iova_t *iova)
{
	void *va = hm_dma_alloc_tagged(size, align, socket, flags, hm_shared_config_proc_slot(), 0,
				       "dma alloc");

	if (va != NULL && iova != NULL)
		*iova = hm_virt2iova(va);
	return va;
}

int
hm_dma_free(void *addr)
{
	return hm_buddy_free(addr);
}

/* ---------------------------------------------------------- init, cleanup */

static void
zone_defaults(struct hm_zone *z)
{
	uint64_t m = z->managed_pages, min, step;

	/* The kernel's shape: min scales with the zone, low and high step above it. */
	min = m / 256;
	if (min < 8)
		min = m < 64 ? m / 8 : 8;
	step = min / 4 > m / 1000 ? min / 4 : m / 1000;
	z->wm.min = min;
	z->wm.low = min + step;
	z->wm.high = min + 2 * step;
	z->lowmem_reserve = z->type == HM_ZONE_DMA32 ? m / 256 : 0;
	z->pcp_batch = 16;
	z->pcp_high = 96;
}

/* Carve a run into the largest aligned blocks, as memory comes to the kernel at boot. */
static void
carve_run(const struct hm_shared_config *mc, uint32_t run_id)
{
	const struct hm_memseg_run *run = &mc->runs[run_id];
	uint32_t first =
	    (uint32_t)(((uint64_t)(uintptr_t)run->addr - buddy->base_va) / HM_BUDDY_PAGE_SIZE);
	uint64_t n = run->len / HM_BUDDY_PAGE_SIZE;
	uint64_t pfn0 = run->iova / HM_BUDDY_PAGE_SIZE;

	for (uint64_t i = 0; i < n; i++) {
		hm_iova_t iova = run->iova + i * HM_BUDDY_PAGE_SIZE;
		enum hm_zone_type t = iova < HM_DMA32_LIMIT ? HM_ZONE_DMA32 : HM_ZONE_NORMAL;

		buddy->pages[first + i].run = run_id;
		buddy->pages[first + i].zone = (uint8_t)hm_zone_index(run->socket_id, t);
		atomic_store_explicit(&buddy->pages[first + i].owner, -1, memory_order_relaxed);
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t pfn = pfn0 + i;
		unsigned int order =
		    pfn == 0 ? HM_BUDDY_MAX_ORDER : (unsigned int)__builtin_ctzll(pfn);
		struct hm_zone *z;

		if (order > HM_BUDDY_MAX_ORDER)
			order = HM_BUDDY_MAX_ORDER;
		while ((1ULL << order) > n - i)
			order--;
		z = &buddy->zones[buddy->pages[first + i].zone];
		z->present = 1;
		z->managed_pages += 1ULL << order;
		add_to_free_area(z, first + (uint32_t)i, order);
		i += 1ULL << order;
	}
}

static int
primary_init(struct hm_shared_config *mc)
{
	uint64_t nr_pages = mc->h.mem_va_len / HM_BUDDY_PAGE_SIZE;

	if (nr_pages >= HM_PAGE_NIL) {
		HM_LOG(ERR, BUDDY, "%" PRIu64 " pages are more than the allocator indexes",
		       nr_pages);
		return -E2BIG;
	}
	buddy = hm_shared_zalloc(sizeof(*buddy), 64);
	if (buddy == NULL)
		return -ENOMEM;
	buddy->pages = hm_shared_zalloc(nr_pages * sizeof(struct hm_page), 64);
	if (buddy->pages == NULL) {
		buddy = NULL;
		return -ENOMEM;
	}
	buddy->base_va = mc->h.mem_va;
	buddy->nr_pages = nr_pages;
	for (uint64_t i = 0; i < nr_pages; i++) {
		buddy->pages[i].run = HM_PAGE_NIL;
		buddy->pages[i].next = buddy->pages[i].prev = HM_PAGE_NIL;
		atomic_store_explicit(&buddy->pages[i].owner, -1, memory_order_relaxed);
	}
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++) {
		struct hm_zone *z = &buddy->zones[zi];

		hm_mutex_init_shared(&z->lock, false);
		z->socket_id = (int32_t)(zi / HM_NR_ZONES);
		z->type = zi % HM_NR_ZONES;
		for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++)
			z->area[o].head = HM_PAGE_NIL;
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++)
				z->pcp[l][o].head = HM_PAGE_NIL;
	}
	hm_mutex_init_shared(&buddy->mz_lock, false);
	for (uint32_t r = 0; r < mc->nb_runs; r++)
		carve_run(mc, r);
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++) {
		if (!buddy->zones[zi].present)
			continue;
		zone_defaults(&buddy->zones[zi]);
		buddy->nr_sockets = zi / HM_NR_ZONES + 1;
	}
	hm_shared_state_set(HM_SUBSYS_BUDDY, buddy);
	return 0;
}

int
hm_buddy_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	struct hm_shared_config *mc = hm_memory_get_config();

	(void)cfg;
	if (mc == NULL)
		return -ENODEV;
	if (type == HM_PROC_PRIMARY)
		return primary_init(mc);
	buddy = hm_shared_state_get(HM_SUBSYS_BUDDY);
	if (buddy == NULL) {
		HM_LOG(ERR, BUDDY, "the primary published no buddy allocator");
		return -EPROTO;
	}
	return 0;
}

void
hm_buddy_cleanup(enum hm_proc_type type)
{
	const struct hm_eal_config *cfg = hm_eal_get_config();

	/* Blocks cached for this process's lcores go back for the others. */
	if (buddy != NULL && type == HM_PROC_SECONDARY)
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			if (cfg->lcores[l].enabled)
				hm_buddy_drain_lcore(l);
	buddy = NULL;
	remote = NULL;
}

const char *
hm_zone_name(unsigned int type)
{
	return type < HM_NR_ZONES ? zone_names[type] : "?";
}
