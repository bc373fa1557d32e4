/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_SLAB_PVT_H
#define HM_SLAB_PVT_H

/*
 * The slab caches' shared state. Not installed.
 *
 * A slab is one buddy block (PGF_SLAB, owned by no process) cut into
 * `num` buffers of `buffer_size` bytes, starting `s_mem` bytes in (the
 * slab's colour). Every 4 KiB page has a struct hm_slab descriptor, like the
 * kernel's struct page: `head` names the slab's first page, and the head's
 * descriptor is the slab's. Free objects of a slab are chained through a
 * free pointer at `fp_offset` from the object: inside the object when the
 * cache has no constructor and no debugging, after it otherwise, so a free
 * object keeps its constructed state and its poison.
 *
 * A debug cache's buffer is
 *   [pad][state word][object][red zone][free pointer][alloc caller][free caller]
 * where the state word (just before the object) says whether the object is
 * allocated, the red zone runs from the end of the object to the next 8-byte
 * boundary plus 8 bytes, and free objects are poisoned. An HM_SLAB_OWNED
 * cache's buffer ends in one more word, the owner tag of the process that
 * holds the object (hm_shared_config_proc_tag()), 0 while the object is
 * free: set at allocation, swapped for 0 at free (a free that finds 0 is a
 * double free), and taken back by the reclaim with a compare-and-swap from
 * a dead owner's tag.
 *
 * Per cache and socket (struct slab_node): lists of full, partial and free
 * slabs, and the depot (`shared`), an array of free objects. Per cache and
 * lcore: the array cache, and with more than one socket one small array per
 * socket for objects that belong there (`alien`). An lcore's array caches
 * are slots of its region (one AC_STRIDE slot per cache id, made at the
 * lcore's first use and kept for the lcore id), so the fast paths find them
 * from a thread-local pointer and the cache id; the depots and foreign-socket
 * arrays live in one buddy block per cache (`ac_block`).
 *
 * Invariants (checked by hm_slab_audit):
 *  - a slab is on the list its use says: full (inuse == num), partial
 *    (0 < inuse < num), free (inuse == 0);
 *  - a slab's free list has num - inuse objects, each on a buffer boundary;
 *  - node->free_objects is the sum of num - inuse over the node's slabs;
 *  - objects in an lcore's array cache and in a depot belong to the node's
 *    slabs and count as in use there;
 *  - in an owned cache, an object has an owner exactly when it is out of
 *    its slab and in no array cache or depot.
 *
 * Locking: the table lock (create, destroy, lookup) comes before a node's
 * lock, which covers the node's lists, slab descriptors of its slabs, the
 * depot and the foreign-socket arrays that go to it. An array cache is
 * touched only by its lcore's thread (or by a drain while the lcore is idle)
 * and takes no lock; its avail count and statistics are single-writer
 * relaxed atomics, so statistics can read them from anywhere. No node lock
 * is held across a call into the buddy allocator, nor while a constructor
 * or destructor runs; destroy and drain run destructors under the table
 * lock, which is recursive, so a destructor may call any slab function. All
 * locks are robust, process-shared mutexes.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <hugemem/slab.h>

#include "buddy_pvt.h"

#define SLAB "slab"

#define HM_SLAB_MAGIC	    0x48534c4142434143ULL /* "HSLABCAC" */
#define SLAB_NODES	    HM_MAX_NUMA_NODES
#define KMALLOC_LARGE	    0xffffu /* cache id of a large kmalloc block's head */
#define SLAB_MAX_ORDER	    10	    /* 4 MiB slabs at most */
#define ALIEN_LIMIT	    12
#define SLAB_SHARED_FACTOR  8
#define HM_SLAB_ALLOC_FLAGS (HM_BUDDY_ZERO | HM_BUDDY_ATOMIC)
#define AC_MAX_ENTRIES	    ((AC_STRIDE - sizeof(struct array_cache)) / sizeof(void *))
#define AC_STRIDE	    1024u /* an lcore's array cache of one cache */
#define AC_REGION_ORDER	    5	  /* HM_SLAB_MAX_CACHES slots of AC_STRIDE: 128 KiB */
#define HM_SLAB_DEBUG_ANY   (HM_SLAB_POISON | HM_SLAB_RED_ZONE | HM_SLAB_CONSISTENCY)

enum slab_list {
	SLAB_LIST_NONE = 0,
	SLAB_LIST_FULL,
	SLAB_LIST_PARTIAL,
	SLAB_LIST_FREE,
};

/* Per 4 KiB page. Fields other than head are the slab's, in its head page. */
struct hm_slab {
	uint32_t head;	/* first page of the slab (or large block); HM_PAGE_NIL: none */
	uint16_t cache; /* cache id, KMALLOC_LARGE */
	uint8_t list;	/* enum slab_list */
	uint8_t node;	/* socket of the slab's memory */
	uint32_t next;	/* list links, page indexes */
	uint32_t prev;
	uint64_t freelist; /* first free object, 0 if none */
	uint32_t inuse;	   /* objects out of the slab */
	uint32_t s_mem;	   /* offset of the first buffer in the block */
};

/* A stack of free objects: an lcore's array cache, a depot, a foreign-socket array. */
struct array_cache {
	_Atomic uint32_t avail;
	uint32_t limit;
	uint32_t batch;
	uint32_t pad;
	_Atomic uint64_t allocs; /* lcore array caches: single-writer statistics */
	_Atomic uint64_t frees;
	void *entry[];
};

struct slab_node {
	pthread_mutex_t lock;
	uint32_t full; /* list heads, page indexes */
	uint32_t partial;
	uint32_t free;
	uint32_t colour_next;
	uint64_t nr_slabs;
	uint64_t free_objects;
	uint64_t free_limit;
	uint64_t grown;
	uint64_t reaped;
	uint64_t direct_allocs; /* by threads without an array cache, and debug caches */
	uint64_t direct_frees;
	struct array_cache *shared;
};

struct hm_slab_cache {
	uint64_t magic;
	char name[HM_SLAB_NAMESIZE];
	uint32_t id;
	uint32_t gen;  /* bumped at each create, so stale ctor registrations die */
	uint32_t size; /* object size as created */
	uint32_t align;
	uint32_t flags;	       /* HM_SLAB_* in effect */
	uint32_t buffer_size;  /* stride */
	uint32_t obj_offset;   /* from a buffer to its object */
	uint32_t fp_offset;    /* from an object to its free pointer */
	uint32_t track_offset; /* debug: from an object to its alloc and free callers */
	uint32_t order;
	uint32_t num;	     /* objects per slab */
	uint32_t colour_off; /* colour step */
	uint32_t colour;     /* colours: 0..colour-1 */
	uint32_t limit;	     /* lcore array cache */
	uint32_t batch;
	uint32_t shared;       /* depot size in batches */
	uint64_t recip;	       /* ceil(2^64 / buffer_size): offset to index by a multiply */
	uint32_t buffer_mask;  /* buffer_size - 1 if a power of two, else 0 */
	uint32_t owner_offset; /* HM_SLAB_OWNED: from an object to its owner tag; else 0 */
	uint8_t debug;	       /* every call goes the locked, checked way */
	uint8_t no_inline;     /* debug or owned: the inline fast paths step aside */
	uint8_t has_ctor;
	uint8_t has_dtor;
	uint8_t kmalloc;
	uint32_t shared_stride;
	uint32_t alien_stride;
	uint32_t ac_order;
	uint64_t ac_block; /* buddy block: depots, foreign-socket arrays */
	_Atomic uint64_t alloc_failures;
	_Atomic uint64_t errors;
	struct slab_node node[SLAB_NODES];
} __attribute__((aligned(64)));

struct hm_slab_state {
	pthread_mutex_t lock; /* the cache table, and lcore regions being made */
	uint32_t debug_flags; /* --slab-debug of the primary */
	uint32_t nr_sockets;  /* as the buddy's */
	uint64_t base_va;
	uint64_t nr_pages;
	struct hm_slab *pages;
	struct hm_slab_cache *kmalloc[HM_KMALLOC_NR_CACHES];
	struct hm_slab_cache caches[HM_SLAB_MAX_CACHES];
	/* Each lcore's array caches, one AC_STRIDE slot per cache id; 0 until first used. */
	_Atomic uint64_t lcore_region[HM_MAX_LCORE];
};

/* The per-process context: the shared state, and this process's constructors. */
struct slab_local {
	struct hm_slab_state *st;
	uint32_t gen; /* this init's generation, never 0 while initialised */
	struct hm_buddy *buddy;
	/* Copies of the shared state's constants, one load closer to the fast paths. */
	uint64_t base_va;
	uint64_t nr_pages;
	struct hm_slab *pages;
	struct hm_slab_cache *kmalloc[HM_KMALLOC_NR_CACHES];
	struct {
		uint32_t gen; /* the cache generation these belong to; 0: none */
		hm_slab_ctor_t ctor;
		hm_slab_dtor_t dtor;
	} fn[HM_SLAB_MAX_CACHES];
};

extern struct slab_local hm_slab_local;

/* The calling lcore thread's region of array caches; NULL until its first slow path. */
extern __thread uint8_t *hm_slab_region_ HM_TLS_IE;
/* The init generation hm_slab_region_ belongs to. */
extern __thread uint32_t hm_slab_region_gen_ HM_TLS_IE;

/* The calling thread's memory socket + 1; 0 until first asked (see mem_node_init). */
extern __thread unsigned int hm_slab_node_ HM_TLS_IE;

/* slab.c */
int hm_slab_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_slab_cleanup(enum hm_proc_type type);
unsigned int hm_slab_mem_node_init(void);
struct hm_slab_cache *hm_slab_cache_create_locked(const char *name, size_t size, size_t align,
						  unsigned int flags, hm_slab_ctor_t ctor,
						  hm_slab_dtor_t dtor, bool kmalloc);
void *hm_slab_alloc_slow(struct hm_slab_cache *c, unsigned int flags, int socket,
			 const void *caller);
int hm_slab_free_slow(void *obj, const void *caller, bool kfree);
uint64_t hm_slab_cached_objects(const struct hm_slab_cache *c);
struct array_cache *hm_slab_own_ac(const struct hm_slab_cache *c, unsigned int lcore);
/* kmalloc.c */
int hm_kmalloc_init(void);
int hm_kfree_large(void *ptr);
/* slab_debug.c */
void slab_debug_init_object(const struct hm_slab_cache *c, void *obj);
void slab_debug_check_alloc(struct hm_slab_cache *c, void *obj, const void *caller);
int slab_debug_check_free(struct hm_slab_cache *c, struct hm_slab *s, void *obj,
			  const void *caller);
void slab_debug_report(struct hm_slab_cache *c, const void *obj, const void *caller,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int slab_debug_audit_object(const struct hm_slab_cache *c, const void *obj);
bool slab_debug_object_allocated(const void *obj);
bool slab_debug_object_free(const void *obj);

static inline struct hm_slab *
slab_page(uint32_t idx)
{
	return &hm_slab_local.pages[idx];
}

static inline uint64_t
slab_block_va(uint32_t head)
{
	return hm_slab_local.base_va + (uint64_t)head * HM_BUDDY_PAGE_SIZE;
}

/*
 * The descriptor of the page addr lies in, if that page belongs to a slab
 * (or is the head of a large kmalloc block), else NULL. Every page of a slab
 * carries the slab's head, cache, node and s_mem, so the fast paths need no
 * second load through the head.
 */
static inline __attribute__((always_inline)) struct hm_slab *
slab_page_of(const void *addr)
{
	const struct slab_local *l = &hm_slab_local;
	uint64_t off = (uint64_t)(uintptr_t)addr - l->base_va;
	struct hm_slab *pd;

	if (off >= l->nr_pages * HM_BUDDY_PAGE_SIZE)
		return NULL;
	pd = &l->pages[off / HM_BUDDY_PAGE_SIZE];
	return pd->head == HM_PAGE_NIL ? NULL : pd;
}

/* The slab (its head page's descriptor) an address lies in, or NULL. */
static inline struct hm_slab *
slab_of(const void *addr)
{
	struct hm_slab *pd = slab_page_of(addr);

	return pd == NULL ? NULL : slab_page(pd->head);
}

static inline uint32_t
slab_index(const struct hm_slab *s)
{
	return (uint32_t)(s - hm_slab_local.pages);
}

/* The first object of the slab of s (a head or any page of the slab). */
static inline void *
slab_first_obj(const struct hm_slab_cache *c, const struct hm_slab *s)
{
	return (void *)(uintptr_t)(slab_block_va(s->head) + s->s_mem + c->obj_offset);
}

/*
 * The index of the object at addr in slab s, or -1 if addr is not the
 * start of an object: a mask for power-of-two buffers, else a multiply by
 * the reciprocal; never a division.
 */
static inline __attribute__((always_inline)) long
slab_obj_index(const struct hm_slab_cache *c, const struct hm_slab *s, const void *addr)
{
	uint64_t first = (uint64_t)(uintptr_t)slab_first_obj(c, s);
	uint64_t off = (uint64_t)(uintptr_t)addr - first;
	uint64_t idx;

	if ((uint64_t)(uintptr_t)addr < first)
		return -1;
	if (c->buffer_mask != 0) {
		idx = off >> __builtin_ctz(c->buffer_size);
		return (off & c->buffer_mask) == 0 && idx < c->num ? (long)idx : -1;
	}
	idx = (uint64_t)(((unsigned __int128)off * c->recip) >> 64);
	if (idx >= c->num || idx * c->buffer_size != off)
		return -1;
	return (long)idx;
}

static inline void **
obj_fp(const struct hm_slab_cache *c, void *obj)
{
	return (void **)((uint8_t *)obj + c->fp_offset);
}

/* An owned cache's object: its owner tag. */
static inline _Atomic uint64_t *
obj_owner(const struct hm_slab_cache *c, const void *obj)
{
	return (_Atomic uint64_t *)((uintptr_t)obj + c->owner_offset);
}

static inline uint32_t
ac_avail(const struct array_cache *ac)
{
	return atomic_load_explicit(&ac->avail, memory_order_relaxed);
}

static inline void
ac_set_avail(struct array_cache *ac, uint32_t n)
{
	atomic_store_explicit(&ac->avail, n, memory_order_relaxed);
}

/* Array cache of cache id `id` in an lcore's region. */
static inline __attribute__((always_inline)) struct array_cache *
region_ac(uint64_t region, uint32_t id)
{
	return (struct array_cache *)(uintptr_t)(region + (uint64_t)id * AC_STRIDE);
}

/* Any lcore's array cache of c, or NULL if that lcore never had one. */
static inline struct array_cache *
cache_ac(const struct hm_slab_cache *c, unsigned int lcore)
{
	uint64_t r =
	    atomic_load_explicit(&hm_slab_local.st->lcore_region[lcore], memory_order_acquire);

	return r != 0 ? region_ac(r, c->id) : NULL;
}

static inline struct array_cache *
cache_alien(const struct hm_slab_cache *c, unsigned int lcore, unsigned int node)
{
	const uint32_t nr = hm_slab_local.st->nr_sockets;
	uint64_t base = c->ac_block + (uint64_t)nr * c->shared_stride;

	return (struct array_cache *)(uintptr_t)(base +
						 ((uint64_t)lcore * nr + node) * c->alien_stride);
}

static inline bool
hm_slab_cache_valid(const struct hm_slab_cache *c)
{
	const struct hm_slab_state *st = hm_slab_local.st;
	uintptr_t off = (uintptr_t)c - (uintptr_t)(st != NULL ? st->caches : NULL);

	return st != NULL && off < sizeof(st->caches) && off % sizeof(st->caches[0]) == 0 &&
	       c->magic == HM_SLAB_MAGIC;
}

static inline __attribute__((always_inline)) unsigned int
slab_mem_node(void)
{
	unsigned int n = hm_slab_node_;

	return hm_likely(n != 0) ? n - 1 : hm_slab_mem_node_init();
}

/* ------------------------------------------------------------ fast paths */

/*
 * Allocation from the calling lcore's array cache: no lock, no locked
 * instruction. Everything else (an empty array cache, a thread without an
 * lcore, a debug or owned cache, a given socket) is the slow path's. c is
 * valid.
 */
static inline __attribute__((always_inline)) void *
slab_alloc_fast(struct hm_slab_cache *c, unsigned int flags, int socket, const void *caller)
{
	uint8_t *region = hm_slab_region_;

	if (hm_likely(region != NULL && hm_slab_region_gen_ == hm_slab_local.gen && !c->no_inline &&
		      socket == HM_SOCKET_ID_ANY && (flags & ~HM_SLAB_ALLOC_FLAGS) == 0)) {
		struct array_cache *ac = region_ac((uint64_t)(uintptr_t)region, c->id);
		uint32_t avail = ac_avail(ac);

		if (hm_likely(avail != 0)) {
			void *obj = ac->entry[avail - 1];

			ac_set_avail(ac, avail - 1);
			hm_counter_inc_local(&ac->allocs);
			if (flags & HM_BUDDY_ZERO)
				memset(obj, 0, c->size);
			return obj;
		}
	}
	return hm_slab_alloc_slow(c, flags, socket, caller);
}

/*
 * Free into the calling lcore's array cache when the object is a valid
 * object of this socket, the cache is neither debug nor owned and the array
 * has room; the slow path does the rest and every report.
 */
static inline __attribute__((always_inline)) int
slab_free_fast(void *obj, const void *caller, bool kfree)
{
	const struct hm_slab_state *st = hm_slab_local.st;
	uint8_t *region = hm_slab_region_;
	const struct hm_slab_cache *c;
	struct array_cache *ac;
	struct hm_slab *pd;
	uint32_t avail;

	if (hm_unlikely(region == NULL || hm_slab_region_gen_ != hm_slab_local.gen))
		return hm_slab_free_slow(obj, caller, kfree);
	pd = slab_page_of(obj);
	if (hm_unlikely(pd == NULL || pd->cache >= HM_SLAB_MAX_CACHES))
		return hm_slab_free_slow(obj, caller, kfree);
	c = &st->caches[pd->cache];
	if (hm_unlikely(c->no_inline || pd->node != slab_mem_node() ||
			slab_obj_index(c, pd, obj) < 0))
		return hm_slab_free_slow(obj, caller, kfree);
	ac = region_ac((uint64_t)(uintptr_t)region, pd->cache);
	avail = ac_avail(ac);
	if (hm_unlikely(avail == ac->limit || (avail != 0 && ac->entry[avail - 1] == obj)))
		return hm_slab_free_slow(obj, caller, kfree);
	ac->entry[avail] = obj;
	ac_set_avail(ac, avail + 1);
	hm_counter_inc_local(&ac->frees);
	return 0;
}

#endif /* HM_SLAB_PVT_H */
