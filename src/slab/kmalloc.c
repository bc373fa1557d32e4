/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kmalloc: 13 general caches of power-of-two sizes, 32 B to 128 KiB, and the
 * buddy allocator for anything larger.
 *
 * A size class is aligned to its size (up to 4 KiB): with no constructor
 * and no debugging the buffers are exactly the class size and every slab
 * order fits them without waste, so there is nothing to colour and the
 * natural alignment holds. Above 128 KiB a request is a buddy block of its
 * own, allocated to the calling process (reclaimed with it) and marked
 * PGF_KMALLOC; its head page's slab descriptor says KMALLOC_LARGE, so
 * hm_kfree() and hm_ksize() know it from its address, and the buddy flag
 * confirms it (a stale descriptor of a reclaimed block says nothing).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "slab_pvt.h"

#define L	 (&hm_slab_local)
#define KM_FLAGS (HM_BUDDY_ZERO | HM_BUDDY_ATOMIC)

int
hm_kmalloc_init(void)
{
	for (unsigned int i = 0; i < HM_KMALLOC_NR_CACHES; i++) {
		uint32_t size = HM_KMALLOC_MIN_SIZE << i;
		char name[HM_SLAB_NAMESIZE];

		snprintf(name, sizeof(name), "kmalloc-%u", size);
		L->st->kmalloc[i] = hm_slab_cache_create_locked(
		    name, size, size < HM_BUDDY_PAGE_SIZE ? size : HM_BUDDY_PAGE_SIZE, 0, NULL,
		    NULL, true);
		if (L->st->kmalloc[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

static unsigned int
kmalloc_index(size_t size)
{
	if (size <= HM_KMALLOC_MIN_SIZE)
		return 0;
	return (unsigned int)(64 - __builtin_clzll((unsigned long long)size - 1)) - 5;
}

struct hm_slab_cache *
hm_kmalloc_cache(unsigned int index)
{
	if (L->st == NULL || index >= HM_KMALLOC_NR_CACHES)
		return NULL;
	return L->kmalloc[index];
}

static void *
kmalloc_large(size_t size, unsigned int flags, int socket)
{
	void *va = hm_dma_alloc_tagged(size, 0, socket, flags, hm_shared_config_proc_slot(),
				       PGF_KMALLOC, "kmalloc");
	struct hm_slab *s;

	if (va == NULL)
		return NULL;
	s = slab_page(hm_buddy_page_index(L->buddy, va));
	s->cache = KMALLOC_LARGE;
	s->head = hm_buddy_page_index(L->buddy, va);
	return va;
}

static void *
kmalloc_node(size_t size, unsigned int flags, int socket, const void *caller)
{
	if (L->st == NULL) {
		errno = ENODEV;
		return NULL;
	}
	if (size == 0 || (flags & ~KM_FLAGS) != 0 ||
	    (socket != HM_SOCKET_ID_ANY && (socket < 0 || socket >= SLAB_NODES))) {
		HM_LOG(ERR, SLAB, "kmalloc: bad request (size %zu, flags 0x%x, socket %d)", size,
		       flags, socket);
		errno = EINVAL;
		return NULL;
	}
	if (size > HM_KMALLOC_MAX_CACHED)
		return kmalloc_large(size, flags, socket);
	return hm_slab_alloc_slow(L->kmalloc[kmalloc_index(size)], flags, socket, caller);
}

void *
hm_kmalloc(size_t size, unsigned int flags)
{
	if (hm_likely(size - 1 < HM_KMALLOC_MAX_CACHED && (flags & ~KM_FLAGS) == 0 &&
		      L->st != NULL))
		return slab_alloc_fast(L->kmalloc[kmalloc_index(size)], flags, HM_SOCKET_ID_ANY,
				       __builtin_return_address(0));
	return kmalloc_node(size, flags, HM_SOCKET_ID_ANY, __builtin_return_address(0));
}

void *
hm_kzalloc(size_t size, unsigned int flags)
{
	return kmalloc_node(size, flags | HM_BUDDY_ZERO, HM_SOCKET_ID_ANY,
			    __builtin_return_address(0));
}

void *
hm_kmalloc_node(size_t size, unsigned int flags, int socket)
{
	return kmalloc_node(size, flags, socket, __builtin_return_address(0));
}

/* The large block at ptr (its head descriptor), or NULL. */
static struct hm_slab *
large_block(const void *ptr)
{
	struct hm_slab *s = slab_page_of(ptr);
	uint32_t idx;

	if (s == NULL || s->cache != KMALLOC_LARGE)
		return NULL;
	idx = slab_index(s);
	if (s->head != idx || slab_block_va(idx) != (uint64_t)(uintptr_t)ptr ||
	    atomic_load_explicit(&L->buddy->pages[idx].state, memory_order_acquire) != PG_ALLOC ||
	    !(atomic_load_explicit(&L->buddy->pages[idx].flags, memory_order_relaxed) &
	      PGF_KMALLOC))
		return NULL;
	return s;
}

/* A large block, found by hm_slab_free_slow() from its head page's descriptor. */
int
hm_kfree_large(void *ptr)
{
	struct hm_slab *s = large_block(ptr);

	if (s == NULL) {
		HM_LOG(ERR, SLAB, "kfree %p: not a kmalloc allocation", ptr);
		return -EINVAL;
	}
	s->head = HM_PAGE_NIL;
	s->cache = 0;
	return hm_buddy_free_block_of(ptr, "kfree", false);
}

/* Slab objects take the inline path; large blocks and errors the slow one. */
static int
kfree(void *ptr, const void *caller)
{
	if (ptr == NULL)
		return 0;
	return slab_free_fast(ptr, caller, true);
}

int
hm_kfree(void *ptr)
{
	return kfree(ptr, __builtin_return_address(0));
}

size_t
hm_ksize(const void *ptr)
{
	struct hm_slab *s;

	if (ptr == NULL || L->st == NULL)
		return 0;
	s = large_block(ptr);
	if (s != NULL)
		return (size_t)HM_BUDDY_PAGE_SIZE << L->buddy->pages[slab_index(s)].order;
	s = slab_of(ptr);
	if (s == NULL || s->cache >= HM_SLAB_MAX_CACHES ||
	    slab_obj_index(&L->st->caches[s->cache], s, ptr) < 0)
		return 0;
	/* A debug cache knows a free object from an allocated one. */
	if (L->st->caches[s->cache].debug && !slab_debug_object_allocated(ptr))
		return 0;
	return L->st->caches[s->cache].size;
}

void *
hm_krealloc(void *ptr, size_t size, unsigned int flags)
{
	const void *caller = __builtin_return_address(0);
	size_t old;
	void *p;

	if ((flags & ~KM_FLAGS) != 0) {
		HM_LOG(ERR, SLAB, "krealloc %p: bad flags 0x%x", ptr, flags);
		errno = EINVAL;
		return NULL;
	}
	if (ptr == NULL)
		return kmalloc_node(size, flags, HM_SOCKET_ID_ANY, caller);
	if (size == 0) {
		kfree(ptr, caller);
		return NULL;
	}
	old = hm_ksize(ptr);
	if (old == 0) {
		HM_LOG(ERR, SLAB, "krealloc %p: not a kmalloc allocation", ptr);
		errno = EINVAL;
		return NULL;
	}
	if (size <= old)
		return ptr;
	p = kmalloc_node(size, flags & ~HM_BUDDY_ZERO, HM_SOCKET_ID_ANY, caller);
	if (p == NULL)
		return NULL;
	memcpy(p, ptr, old);
	if (flags & HM_BUDDY_ZERO)
		memset((uint8_t *)p + old, 0, size - old);
	kfree(ptr, caller);
	return p;
}
