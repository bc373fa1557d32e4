/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the buddy allocator shows: per-zone statistics, buddyinfo, the
 * fragmentation indexes, watermark settings, and the audit that proves every
 * page is accounted for exactly once.
 *
 * The two indexes follow mm/vmstat.c, for a request of order n:
 *   unusable free space index = (free pages - free pages in blocks >= n) / free pages
 *   extfrag index = 1 - (1 + free pages / 2^n) / free blocks, or -1 when a
 *                   block of order >= n is free (the request would not fail
 *                   for lack of contiguity)
 * both scaled by 1000.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buddy_pvt.h"

#define BUDDY "buddy"

static struct hm_zone *
find_zone(int socket, enum hm_zone_type type)
{
	struct hm_buddy *b = hm_buddy_get();

	if (b == NULL || socket < 0 || socket >= HM_MAX_NUMA_NODES ||
	    (unsigned int)type >= HM_NR_ZONES)
		return NULL;
	return &b->zones[hm_zone_index(socket, type)];
}

static void
fragmentation(const uint64_t nr_free[HM_BUDDY_NR_ORDERS], int32_t extfrag[HM_BUDDY_NR_ORDERS],
	      int32_t unusable[HM_BUDDY_NR_ORDERS])
{
	uint64_t free_pages = 0, free_blocks = 0;

	for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++) {
		free_pages += nr_free[o] << o;
		free_blocks += nr_free[o];
	}
	for (unsigned int n = 0; n < HM_BUDDY_NR_ORDERS; n++) {
		uint64_t suitable_blocks = 0, suitable_pages = 0;

		for (unsigned int o = n; o < HM_BUDDY_NR_ORDERS; o++) {
			suitable_blocks += nr_free[o] << (o - n);
			suitable_pages += nr_free[o] << o;
		}
		unusable[n] = free_pages == 0
				  ? 1000
				  : (int32_t)((free_pages - suitable_pages) * 1000 / free_pages);
		if (free_blocks == 0)
			extfrag[n] = 0;
		else if (suitable_blocks != 0)
			extfrag[n] = -1000;
		else
			extfrag[n] = (int32_t)(1000 - (1000 + free_pages * 1000 / (1ULL << n)) /
							  free_blocks);
	}
}

int
hm_buddy_zone_stats(int socket, enum hm_zone_type type, struct hm_zone_stats *st)
{
	struct hm_zone *z;

	if (hm_buddy_get() == NULL)
		return -ENODEV;
	if (st == NULL || (unsigned int)type >= HM_NR_ZONES)
		return -EINVAL;
	z = find_zone(socket, type);
	if (z == NULL || !z->present)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->socket_id = socket;
	st->zone = type;
	hm_mutex_lock_shared(&z->lock, "zone");
	st->managed_pages = z->managed_pages;
	st->free_pages = z->free_pages;
	st->wm = z->wm;
	st->lowmem_reserve = z->lowmem_reserve;
	for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++)
		st->nr_free[o] = z->area[o].nr_free;
	pthread_mutex_unlock(&z->lock);
	st->pcp_pages = zone_cached_pages(z);
	st->low_crossings = atomic_load(&z->low_crossings);
	for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++) {
		st->allocs[o] = atomic_load(&z->allocs[o]);
		st->frees[o] = atomic_load(&z->frees[o]);
		st->failures[o] = atomic_load(&z->failures[o]);
	}
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++) {
			st->allocs[o] +=
			    atomic_load_explicit(&z->pcp[l][o].allocs, memory_order_relaxed);
			st->frees[o] +=
			    atomic_load_explicit(&z->pcp[l][o].frees, memory_order_relaxed);
		}
	}
	fragmentation(st->nr_free, st->extfrag, st->unusable);
	return 0;
}

int
hm_buddy_set_watermarks(int socket, enum hm_zone_type type, const struct hm_watermarks *wm)
{
	struct hm_zone *z = find_zone(socket, type);

	if (wm == NULL)
		return -EINVAL;
	if (z == NULL || !z->present)
		return -ENOENT;
	if (wm->min > wm->low || wm->low > wm->high || wm->high > z->managed_pages) {
		HM_LOG(ERR, BUDDY,
		       "socket %d zone %s: watermarks %" PRIu64 "/%" PRIu64 "/%" PRIu64
		       " must be min <= low <= high <= %" PRIu64 " pages",
		       socket, hm_zone_name(type), wm->min, wm->low, wm->high, z->managed_pages);
		return -EINVAL;
	}
	hm_mutex_lock_shared(&z->lock, "zone");
	z->wm = *wm;
	z->below_low = 0;
	pthread_mutex_unlock(&z->lock);
	return 0;
}

int
hm_buddy_info(char *buf, size_t len)
{
	struct hm_buddy *b = hm_buddy_get();
	size_t n = 0;

	if (buf == NULL && len != 0)
		return -EINVAL;
	if (b == NULL)
		return -ENODEV;
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++) {
		struct hm_zone *z = &b->zones[zi];
		uint64_t nr_free[HM_BUDDY_NR_ORDERS];
		int w;

		if (!z->present)
			continue;
		/* A snapshot under the lock: the service thread may be allocating. */
		hm_mutex_lock_shared(&z->lock, "zone");
		for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++)
			nr_free[o] = z->area[o].nr_free;
		pthread_mutex_unlock(&z->lock);
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "Node %d, zone %8s",
			     z->socket_id, hm_zone_name(z->type));
		n += (size_t)w;
		for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++) {
			w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, " %6" PRIu64,
				     nr_free[o]);
			n += (size_t)w;
		}
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "\n");
		n += (size_t)w;
	}
	return (int)n;
}

/* ------------------------------------------------------------------ audit */

#define AUDIT_FAIL(...)                                                                            \
	do {                                                                                       \
		HM_LOG(ERR, BUDDY, "audit: " __VA_ARGS__);                                         \
		ret = -EFAULT;                                                                     \
		goto out;                                                                          \
	} while (0)

int
hm_buddy_audit(void)
{
	struct hm_buddy *b = hm_buddy_get();
	const struct hm_shared_config *mc = hm_memory_get_config();
	uint64_t free_pages[HM_BUDDY_NR_ZONES] = {0}, pcp_pages[HM_BUDDY_NR_ZONES] = {0};
	uint64_t alloc_pages[HM_BUDDY_NR_ZONES] = {0};
	int ret = 0;

	if (b == NULL || mc == NULL)
		return -ENODEV;
	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++)
		hm_mutex_lock_shared(&b->zones[zi].lock, "zone");

	/* Every page of every run in exactly one aligned block inside the run. */
	for (uint32_t r = 0; r < mc->nb_runs; r++) {
		const struct hm_memseg_run *run = &mc->runs[r];
		uint32_t first =
		    (uint32_t)(((uint64_t)(uintptr_t)run->addr - b->base_va) / HM_BUDDY_PAGE_SIZE);
		uint32_t end = first + (uint32_t)(run->len / HM_BUDDY_PAGE_SIZE);

		for (uint32_t idx = first; idx < end;) {
			const struct hm_page *p = &b->pages[idx];
			hm_iova_t iova = hm_page_iova(mc, b, idx);
			uint64_t n;

			if (page_state(p) == PG_TAIL)
				AUDIT_FAIL("page %u (iova 0x%" PRIx64 ") belongs to no block", idx,
					   iova);
			if (p->order > HM_BUDDY_MAX_ORDER)
				AUDIT_FAIL("page %u: order %u", idx, p->order);
			n = 1ULL << p->order;
			if ((iova / HM_BUDDY_PAGE_SIZE) % n != 0 || idx + n > end)
				AUDIT_FAIL(
				    "block at page %u order %u is unaligned or leaves its run", idx,
				    p->order);
			for (uint64_t t = 1; t < n; t++)
				if (page_state(&b->pages[idx + t]) != PG_TAIL)
					AUDIT_FAIL("page %" PRIu64 " inside block %u is a head",
						   idx + t, idx);
			if (page_state(p) == PG_FREE)
				free_pages[p->zone] += n;
			else if (page_state(p) == PG_PCP)
				pcp_pages[p->zone] += n;
			else if (page_state(p) == PG_ALLOC)
				alloc_pages[p->zone] += n;
			else
				AUDIT_FAIL("page %u: state %u", idx, page_state(p));
			idx += (uint32_t)n;
		}
	}

	for (unsigned int zi = 0; zi < HM_BUDDY_NR_ZONES; zi++) {
		const struct hm_zone *z = &b->zones[zi];
		uint64_t listed = 0, cached = 0;

		if (!z->present)
			continue;
		for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++) {
			uint64_t count = 0;
			uint32_t prev = HM_PAGE_NIL;

			for (uint32_t idx = z->area[o].head; idx != HM_PAGE_NIL;
			     idx = b->pages[idx].next) {
				const struct hm_page *p = &b->pages[idx];

				if (page_state(p) != PG_FREE || p->order != o || p->zone != zi ||
				    p->prev != prev || ++count > b->nr_pages)
					AUDIT_FAIL("zone %u order %u: bad free list entry %u", zi,
						   o, idx);
				prev = idx;
			}
			if (count != z->area[o].nr_free)
				AUDIT_FAIL("zone %u order %u: %" PRIu64 " blocks listed, %" PRIu64
					   " counted",
					   zi, o, count, z->area[o].nr_free);
			listed += count << o;
		}
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
			for (unsigned int o = 0; o <= HM_BUDDY_PCP_MAX_ORDER; o++) {
				uint64_t count = 0;

				for (uint32_t idx = z->pcp[l][o].head; idx != HM_PAGE_NIL;
				     idx = b->pages[idx].next) {
					if (page_state(&b->pages[idx]) != PG_PCP ||
					    b->pages[idx].order != o || ++count > b->nr_pages)
						AUDIT_FAIL("zone %u lcore %u: bad cached block %u",
							   zi, l, idx);
				}
				if (count !=
				    atomic_load_explicit(&z->pcp[l][o].count, memory_order_relaxed))
					AUDIT_FAIL("zone %u lcore %u order %u: count is off", zi, l,
						   o);
				cached += count << o;
			}
		}
		if (listed != z->free_pages || listed != free_pages[zi])
			AUDIT_FAIL("zone %u: free lists hold %" PRIu64 " pages, counter %" PRIu64
				   ", blocks %" PRIu64,
				   zi, listed, z->free_pages, free_pages[zi]);
		if (cached != pcp_pages[zi])
			AUDIT_FAIL("zone %u: lcore caches list %" PRIu64
				   " pages, page states say %" PRIu64,
				   zi, cached, pcp_pages[zi]);
		if (free_pages[zi] + pcp_pages[zi] + alloc_pages[zi] != z->managed_pages)
			AUDIT_FAIL("zone %u: free %" PRIu64 " + cached %" PRIu64
				   " + allocated %" PRIu64 " != managed %" PRIu64,
				   zi, free_pages[zi], pcp_pages[zi], alloc_pages[zi],
				   z->managed_pages);
	}
out:
	for (unsigned int zi = HM_BUDDY_NR_ZONES; zi-- > 0;)
		pthread_mutex_unlock(&b->zones[zi].lock);
	return ret;
}
