/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slab caches: layout, slabs, the per-socket lists and depots, the per-lcore
 * array caches, and the cache table.
 *
 * An object goes from a slab to an lcore's array cache in a batch (refill),
 * to its user (alloc), back to an array cache (free), and from there in a
 * batch to the depot or, when the depot is full, back to its slab (flush).
 * A slab whose objects are all back is free; free slabs beyond the node's
 * free_limit go back to the buddy allocator at once, the others at shrink.
 * Objects freed on an lcore of another socket collect in that lcore's
 * array for their socket and go home a batch at a time.
 *
 * Threads without an lcore id, and every call on a debug cache, take the
 * node lock and move one object between its slab and the caller (the direct
 * path), so that a debug cache always knows the state of each object.
 *
 * See slab_pvt.h for the data structures, invariants and locking.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "slab_pvt.h"

#define CACHE_FLAGS (HM_SLAB_HWCACHE_ALIGN | HM_SLAB_DEBUG_ANY | HM_SLAB_OWNED)
#define REAP_BATCH  8

struct slab_local hm_slab_local;

#define L (&hm_slab_local)

/* --------------------------------------------------------------- helpers */

/* What an owned cache's object records as its holder: never 0, which means free. */
static uint64_t
owner_tag(void)
{
	uint64_t tag = hm_shared_config_proc_tag();

	return tag != 0 ? tag : UINT64_MAX;
}

static bool
socket_has_memory(unsigned int s)
{
	const struct hm_buddy *b = L->buddy;

	return s < SLAB_NODES && (b->zones[hm_zone_index((int)s, HM_ZONE_NORMAL)].present ||
				  b->zones[hm_zone_index((int)s, HM_ZONE_DMA32)].present);
}

__thread unsigned int hm_slab_node_ HM_TLS_IE;
__thread uint8_t *hm_slab_region_ HM_TLS_IE;
__thread uint32_t hm_slab_region_gen_ HM_TLS_IE;
static uint32_t session_gen; /* bumped at every init: older thread-local regions are stale */

/*
 * The socket whose slabs feed this thread's array caches: its CPU's, or the
 * first socket with memory if that one has none (the kernel's numa_mem_id).
 */
unsigned int
hm_slab_mem_node_init(void)
{
	unsigned int s = hm_socket_id();

	if (!socket_has_memory(s))
		for (s = 0; s < SLAB_NODES - 1 && !socket_has_memory(s); s++)
			;
	hm_slab_node_ = s + 1;
	return s;
}

static bool
can_construct(const struct hm_slab_cache *c)
{
	return !c->has_ctor || L->fn[c->id].gen == c->gen;
}

static bool
can_destruct(const struct hm_slab_cache *c)
{
	return !c->has_dtor || L->fn[c->id].gen == c->gen;
}

/* ------------------------------------------------------------ slab lists */

static uint32_t *
node_list(struct slab_node *n, unsigned int which)
{
	switch (which) {
	case SLAB_LIST_FULL:
		return &n->full;
	case SLAB_LIST_PARTIAL:
		return &n->partial;
	default:
		return &n->free;
	}
}

static void
slab_list_add(struct slab_node *n, struct hm_slab *s, unsigned int which)
{
	uint32_t *head = node_list(n, which), idx = slab_index(s);

	s->prev = HM_PAGE_NIL;
	s->next = *head;
	if (*head != HM_PAGE_NIL)
		slab_page(*head)->prev = idx;
	*head = idx;
	s->list = (uint8_t)which;
}

static void
slab_list_del(struct slab_node *n, struct hm_slab *s)
{
	uint32_t *head = node_list(n, s->list);

	if (s->prev != HM_PAGE_NIL)
		slab_page(s->prev)->next = s->next;
	else
		*head = s->next;
	if (s->next != HM_PAGE_NIL)
		slab_page(s->next)->prev = s->prev;
	s->next = s->prev = HM_PAGE_NIL;
	s->list = SLAB_LIST_NONE;
}

static void
slab_list_move(struct slab_node *n, struct hm_slab *s, unsigned int which)
{
	slab_list_del(n, s);
	slab_list_add(n, s, which);
}

/* ---------------------------------------------------------------- layout */

/*
 * Buffer layout, slab order and colouring. The order is the smallest that
 * wastes at most 1/8 of the block; what is wasted anyway becomes colour:
 * successive slabs start their first object one cache line further in.
 */
static int
cache_layout(struct hm_slab_cache *c, size_t size, size_t align, unsigned int flags, bool ctor)
{
	uint32_t a = align ? (uint32_t)align : 8, size8 = (uint32_t)HM_ALIGN_CEIL(size, 8);

	if (flags & HM_SLAB_HWCACHE_ALIGN) {
		uint32_t ralign = 64;

		while (size <= ralign / 2 && ralign > 8)
			ralign /= 2;
		if (ralign > a)
			a = ralign;
	}
	if (a < 8)
		a = 8;
	if (flags & HM_SLAB_DEBUG_ANY)
		flags |= HM_SLAB_CONSISTENCY;
	if (ctor)
		flags &= ~HM_SLAB_POISON; /* poison would destroy the constructed state */
	c->flags = flags;
	c->debug = (flags & HM_SLAB_DEBUG_ANY) != 0;
	c->size = (uint32_t)size;
	c->align = a;
	if (!c->debug && !ctor) {
		c->obj_offset = 0;
		c->fp_offset = 0; /* the free pointer lives in the free object */
		c->buffer_size = (uint32_t)HM_ALIGN_CEIL(size8, a);
	} else if (!c->debug) {
		c->obj_offset = 0;
		c->fp_offset = size8;
		c->buffer_size = (uint32_t)HM_ALIGN_CEIL(size8 + 8, a);
	} else {
		c->obj_offset = (uint32_t)HM_ALIGN_CEIL(8, a);
		c->fp_offset = size8 + ((flags & HM_SLAB_RED_ZONE) ? 8 : 0);
		c->track_offset = c->fp_offset + 8;
		c->buffer_size = (uint32_t)HM_ALIGN_CEIL(c->obj_offset + c->track_offset + 16, a);
	}
	/* An owned cache's owner word comes after everything else of the buffer. */
	c->owner_offset = 0;
	if (flags & HM_SLAB_OWNED) {
		c->owner_offset = !c->debug ? (ctor ? size8 + 8 : size8) : c->track_offset + 16;
		c->buffer_size = (uint32_t)HM_ALIGN_CEIL(c->obj_offset + c->owner_offset + 8, a);
	}
	c->no_inline = c->debug || c->owner_offset != 0;
	for (c->order = 0; c->order <= SLAB_MAX_ORDER; c->order++) {
		uint64_t slab = (uint64_t)HM_BUDDY_PAGE_SIZE << c->order;
		uint64_t num = slab / c->buffer_size;

		if (num == 0)
			continue;
		if ((slab - num * c->buffer_size) * 8 <= slab || c->order == SLAB_MAX_ORDER) {
			c->num = (uint32_t)num;
			break;
		}
	}
	if (c->order > SLAB_MAX_ORDER)
		return -E2BIG;
	c->colour_off = a > 64 ? a : 64;
	c->colour = (uint32_t)((((uint64_t)HM_BUDDY_PAGE_SIZE << c->order) -
				(uint64_t)c->num * c->buffer_size) /
			       c->colour_off) +
		    1;
	c->recip = UINT64_MAX / c->buffer_size + 1;
	c->buffer_mask = HM_IS_POW2(c->buffer_size) ? c->buffer_size - 1 : 0;
	/*
	 * Array cache sizes: SLAB's shape (fewer cached objects as they grow),
	 * but a packet path allocates in bursts of 32-64, so every size up to
	 * 4 KiB holds two such bursts without touching the socket lock.
	 */
	if (c->buffer_size > (128u << 10))
		c->limit = 1;
	else if (c->buffer_size > 16384)
		c->limit = 8;
	else if (c->buffer_size > 4096)
		c->limit = 32;
	else
		c->limit = 120;
	c->batch = (c->limit + 1) / 2;
	c->shared = c->buffer_size <= 4096 ? SLAB_SHARED_FACTOR : 0;
	return 0;
}

/* Size an lcore's array cache slot of cache c for use, or empty it for none. */
static void
slot_init(struct array_cache *ac, const struct hm_slab_cache *c)
{
	ac_set_avail(ac, 0);
	atomic_store_explicit(&ac->allocs, 0, memory_order_relaxed);
	atomic_store_explicit(&ac->frees, 0, memory_order_relaxed);
	ac->limit = c != NULL ? c->limit : 0;
	ac->batch = c != NULL ? c->batch : 0;
}

/*
 * The calling lcore's array cache of c, making the lcore's region of array
 * caches on its first use (a buddy block owned by no process: the region
 * stays with the lcore id for whoever holds it next). NULL if no memory.
 */
struct array_cache *
hm_slab_own_ac(const struct hm_slab_cache *c, unsigned int lcore)
{
	struct hm_slab_state *st = L->st;
	uint64_t r = atomic_load_explicit(&st->lcore_region[lcore], memory_order_acquire);

	if (hm_unlikely(r == 0)) {
		void *block;

		hm_mutex_lock_shared(&st->lock, "slab table");
		r = atomic_load_explicit(&st->lcore_region[lcore], memory_order_relaxed);
		if (r == 0) {
			block = hm_buddy_alloc_tagged(AC_REGION_ORDER, HM_SOCKET_ID_ANY,
						      HM_BUDDY_ZERO, HM_OWNER_NONE, PGF_SLAB);
			if (block != NULL) {
				r = (uint64_t)(uintptr_t)block;
				for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES; i++)
					if (st->caches[i].magic == HM_SLAB_MAGIC)
						slot_init(region_ac(r, i), &st->caches[i]);
				atomic_store_explicit(&st->lcore_region[lcore], r,
						      memory_order_release);
			}
		}
		pthread_mutex_unlock(&st->lock);
		if (r == 0)
			return NULL;
	}
	if (hm_this_lcore_ == lcore) {
		hm_slab_region_ = (uint8_t *)(uintptr_t)r;
		hm_slab_region_gen_ = L->gen;
	}
	return region_ac(r, c->id);
}

/* The depots and foreign-socket arrays of a cache, and its slots in the lcore regions. */
static int
cache_alloc_arrays(struct hm_slab_cache *c)
{
	const uint32_t nr = L->st->nr_sockets;
	uint32_t shared_limit = c->shared * c->batch;
	uint64_t bytes;
	void *block;

	HM_ASSERT(sizeof(struct array_cache) + c->limit * sizeof(void *) <= AC_STRIDE);
	c->shared_stride =
	    (uint32_t)HM_ALIGN_CEIL(sizeof(struct array_cache) + shared_limit * 8, 64);
	c->alien_stride =
	    nr > 1 ? (uint32_t)HM_ALIGN_CEIL(sizeof(struct array_cache) + ALIEN_LIMIT * 8, 64) : 0;
	bytes = (uint64_t)nr * c->shared_stride + (uint64_t)HM_MAX_LCORE * nr * c->alien_stride;
	for (c->ac_order = 0; ((uint64_t)HM_BUDDY_PAGE_SIZE << c->ac_order) < bytes;)
		c->ac_order++;
	/*
	 * The kmalloc caches are made at init and never destroyed: their arrays
	 * come from the shared arena, so init leaves the buddy zones untouched.
	 */
	block = c->kmalloc ? hm_shared_zalloc(bytes, 64)
			   : hm_buddy_alloc_tagged(c->ac_order, HM_SOCKET_ID_ANY, HM_BUDDY_ZERO,
						   HM_OWNER_NONE, PGF_SLAB);
	if (block == NULL)
		return -ENOMEM;
	c->ac_block = (uint64_t)(uintptr_t)block;
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		struct array_cache *ac = cache_ac(c, l);

		if (ac != NULL)
			slot_init(ac, c);
		for (unsigned int s = 0; s < nr && c->alien_stride; s++) {
			struct array_cache *al = cache_alien(c, l, s);

			al->limit = ALIEN_LIMIT;
			al->batch = ALIEN_LIMIT;
		}
	}
	for (unsigned int s = 0; s < SLAB_NODES; s++) {
		struct slab_node *n = &c->node[s];

		hm_mutex_init_shared(&n->lock, false);
		n->full = n->partial = n->free = HM_PAGE_NIL;
		n->free_limit = 4ULL * c->batch + c->num;
		n->shared = NULL;
		if (s < nr) {
			n->shared =
			    (struct array_cache *)(uintptr_t)(c->ac_block +
							      (uint64_t)s * c->shared_stride);
			n->shared->limit = shared_limit;
			n->shared->batch = c->batch;
		}
	}
	return 0;
}

/* ----------------------------------------------------------------- slabs */

/*
 * Make a slab on `socket` (the buddy allocator may place it elsewhere when
 * that socket is short), take its first object for the caller, and put the
 * rest on its node. Constructors run here, before the slab is visible. The
 * caller's object never passes through the lists, so a thread that made a
 * slab always gets an object from it, however many others race for objects.
 */
static void *
cache_grow(struct hm_slab_cache *c, int socket, unsigned int flags, const void *caller, bool direct)
{
	struct slab_node *n;
	struct hm_slab *s;
	uint32_t head, colour;
	unsigned int node;
	uint8_t *va;
	void *freelist = NULL, *obj;

	if (!can_construct(c)) {
		HM_LOG(ERR, SLAB,
		       "cache %s: it has a constructor this process did not register "
		       "(hm_slab_cache_set_ctor), so this process cannot make slabs",
		       c->name);
		errno = ENOTSUP;
		return NULL;
	}
	va = hm_buddy_alloc_tagged(c->order, socket, flags & HM_BUDDY_ATOMIC, HM_OWNER_NONE,
				   PGF_SLAB);
	if (va == NULL) {
		HM_LOG(DEBUG, SLAB, "cache %s: no block of order %u for a new slab", c->name,
		       c->order);
		return NULL;
	}
	head = hm_buddy_page_index(L->buddy, va);
	node = (unsigned int)hm_buddy_page_socket(L->buddy, head);
	n = &c->node[node];

	hm_mutex_lock_shared(&n->lock, "slab node");
	colour = n->colour_next;
	n->colour_next = (colour + 1) % c->colour;
	pthread_mutex_unlock(&n->lock);

	s = slab_page(head);
	s->cache = (uint16_t)c->id;
	s->node = (uint8_t)node;
	s->list = SLAB_LIST_NONE;
	s->next = s->prev = HM_PAGE_NIL;
	s->s_mem = colour * c->colour_off;
	for (uint32_t p = 1; p < (1u << c->order); p++) {
		struct hm_slab *pd = slab_page(head + p);

		pd->cache = s->cache;
		pd->node = s->node;
		pd->s_mem = s->s_mem;
		pd->head = head;
	}
	s->head = head;
	/* Chain back to front, so the slab hands out objects in address order. */
	for (uint32_t i = c->num; i-- > 0;) {
		obj = va + s->s_mem + c->obj_offset + (uint64_t)i * c->buffer_size;
		if (c->debug)
			slab_debug_init_object(c, obj);
		if (c->owner_offset != 0) /* the block is not zeroed: free means no owner */
			atomic_init(obj_owner(c, obj), 0);
		if (c->has_ctor)
			L->fn[c->id].ctor(obj);
		*obj_fp(c, obj) = freelist;
		freelist = obj;
	}
	obj = freelist;
	s->freelist = (uint64_t)(uintptr_t)*obj_fp(c, obj);
	s->inuse = 1;
	if (c->debug)
		slab_debug_check_alloc(c, obj, caller);

	hm_mutex_lock_shared(&n->lock, "slab node");
	slab_list_add(n, s, c->num == 1 ? SLAB_LIST_FULL : SLAB_LIST_PARTIAL);
	n->nr_slabs++;
	n->free_objects += c->num - 1;
	n->grown++;
	if (direct)
		n->direct_allocs++;
	pthread_mutex_unlock(&n->lock);
	return obj;
}

/* Give a slab that is off every list back to the buddy allocator. */
static void
slab_release(struct hm_slab_cache *c, uint32_t head)
{
	struct hm_slab *s = slab_page(head);
	uint8_t *va = (uint8_t *)(uintptr_t)slab_block_va(head);

	if (c->has_dtor)
		for (uint32_t i = 0; i < c->num; i++)
			L->fn[c->id].dtor(va + s->s_mem + c->obj_offset +
					  (uint64_t)i * c->buffer_size);
	for (uint32_t p = 0; p < (1u << c->order); p++) {
		slab_page(head + p)->head = HM_PAGE_NIL;
		slab_page(head + p)->cache = 0;
	}
	s->freelist = 0;
	s->cache = 0;
	hm_buddy_free_block_of(va, "slab", false);
}

/*
 * Take free slabs off the node, all of them or those beyond free_limit, at
 * most `max`. Node lock held; the caller releases them after unlocking.
 */
static unsigned int
node_reap(struct hm_slab_cache *c, struct slab_node *n, uint32_t *out, unsigned int max, bool all)
{
	unsigned int cnt = 0;

	if (!can_destruct(c))
		return 0; /* the slabs wait for a process that has the destructor */
	while (cnt < max && n->free != HM_PAGE_NIL && (all || n->free_objects > n->free_limit)) {
		struct hm_slab *s = slab_page(n->free);

		slab_list_del(n, s);
		n->nr_slabs--;
		n->free_objects -= c->num;
		n->reaped++;
		out[cnt++] = slab_index(s);
	}
	return cnt;
}

static void
release_reaped(struct hm_slab_cache *c, const uint32_t *heads, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		slab_release(c, heads[i]);
}

/* One object off the node's slabs, partial ones first. Node lock held. */
static void *
slab_take(struct hm_slab_cache *c, struct slab_node *n)
{
	uint32_t idx = n->partial != HM_PAGE_NIL ? n->partial : n->free;
	struct hm_slab *s;
	void *obj, *next;

	if (idx == HM_PAGE_NIL)
		return NULL;
	s = slab_page(idx);
	obj = (void *)(uintptr_t)s->freelist;
	HM_ASSERT(obj != NULL && s->inuse < c->num);
	next = *obj_fp(c, obj);
	if (c->debug && next != NULL &&
	    (slab_obj_index(c, s, next) < 0 || !slab_debug_object_free(next))) {
		slab_debug_report(c, obj, NULL,
				  "free pointer overwritten (%p); the slab's free list is cut "
				  "there and the lost objects leak",
				  next);
		next = NULL;
		/* Keep the counts true: the objects past the cut are now in use forever. */
		n->free_objects -= c->num - s->inuse - 1;
		s->inuse = c->num - 1;
	}
	s->freelist = (uint64_t)(uintptr_t)next;
	s->inuse++;
	n->free_objects--;
	if (s->inuse == c->num)
		slab_list_move(n, s, SLAB_LIST_FULL);
	else if (s->list == SLAB_LIST_FREE)
		slab_list_move(n, s, SLAB_LIST_PARTIAL);
	return obj;
}

/*
 * Put an object back on its slab. Node lock held. A slab with no object out
 * cannot take one back: that object was freed twice (a cache without debug
 * checks takes the second free into an array cache); it is reported and
 * dropped, and the slab stays consistent.
 */
static void
slab_put(struct hm_slab_cache *c, struct slab_node *n, struct hm_slab *s, void *obj)
{
	if (hm_unlikely(s->inuse == 0 || s->node != (uint8_t)(n - c->node))) {
		slab_debug_report(c, obj, NULL,
				  "double free found on its way back to its slab; dropped");
		return;
	}
	*obj_fp(c, obj) = (void *)(uintptr_t)s->freelist;
	s->freelist = (uint64_t)(uintptr_t)obj;
	s->inuse--;
	n->free_objects++;
	if (s->inuse == 0)
		slab_list_move(n, s, SLAB_LIST_FREE);
	else if (s->list == SLAB_LIST_FULL)
		slab_list_move(n, s, SLAB_LIST_PARTIAL);
}

/*
 * Move `count` objects from the bottom of an array into node n: into the
 * depot while it has room (use_depot), the rest onto their slabs. Node lock
 * held. Returns free slabs to reap in out[].
 */
static unsigned int
node_take_objects(struct hm_slab_cache *c, struct slab_node *n, void *const *objs, uint32_t count,
		  bool use_depot, uint32_t *out)
{
	uint32_t moved = 0;

	if (use_depot && n->shared != NULL) {
		struct array_cache *sh = n->shared;
		uint32_t avail = ac_avail(sh), room = sh->limit - avail;

		moved = count < room ? count : room;
		memcpy(&sh->entry[avail], objs, moved * sizeof(void *));
		ac_set_avail(sh, avail + moved);
	}
	for (uint32_t i = moved; i < count; i++)
		slab_put(c, n, slab_of(objs[i]), objs[i]);
	return node_reap(c, n, out, REAP_BATCH, false);
}

/* Empty the depot of node n onto the slabs. Node lock held. */
static void
depot_to_slabs(struct hm_slab_cache *c, struct slab_node *n)
{
	struct array_cache *sh = n->shared;

	if (sh == NULL)
		return;
	for (uint32_t i = 0; i < ac_avail(sh); i++)
		slab_put(c, n, slab_of(sh->entry[i]), sh->entry[i]);
	ac_set_avail(sh, 0);
}

/* ---------------------------------------------------- lcore array caches */

/*
 * Refill an empty array cache with up to a batch, and take one object; when
 * the node has none, make a slab and take its first.
 */
static void *
ac_refill(struct hm_slab_cache *c, struct array_cache *ac, unsigned int node, unsigned int flags,
	  const void *caller)
{
	struct slab_node *n = &c->node[node];
	uint32_t got = 0;

	hm_mutex_lock_shared(&n->lock, "slab node");
	if (n->shared != NULL && ac_avail(n->shared) != 0) {
		uint32_t avail = ac_avail(n->shared);

		got = avail < ac->batch ? avail : ac->batch;
		memcpy(ac->entry, &n->shared->entry[avail - got], got * sizeof(void *));
		ac_set_avail(n->shared, avail - got);
	}
	while (got < ac->batch) {
		void *obj = slab_take(c, n);

		if (obj == NULL)
			break;
		ac->entry[got++] = obj;
	}
	pthread_mutex_unlock(&n->lock);
	if (got != 0) {
		ac_set_avail(ac, got - 1);
		return ac->entry[got - 1];
	}
	return cache_grow(c, (int)node, flags, caller, false);
}

/* Move the oldest batch of an array (cache or foreign-socket) to node `node`. */
static void
ac_flush(struct hm_slab_cache *c, struct array_cache *ac, unsigned int node, bool all)
{
	uint32_t avail = ac_avail(ac),
		 count = all ? avail : (ac->batch < avail ? ac->batch : avail);
	struct slab_node *n = &c->node[node];
	uint32_t reap[REAP_BATCH];
	unsigned int nreap;

	void *batch[AC_MAX_ENTRIES];

	if (count == 0)
		return;
	/*
	 * Out of the array first, then into the node: a process that dies in
	 * between leaks the batch instead of leaving it in two places.
	 */
	memcpy(batch, ac->entry, count * sizeof(void *));
	memmove(ac->entry, ac->entry + count, (avail - count) * sizeof(void *));
	ac_set_avail(ac, avail - count);
	hm_mutex_lock_shared(&n->lock, "slab node");
	nreap = node_take_objects(c, n, batch, count, true, reap);
	pthread_mutex_unlock(&n->lock);
	release_reaped(c, reap, nreap);
}

/*
 * Empty an array onto the slabs of its objects' sockets, whatever the
 * caller's socket (a drain for another lcore, a destroy).
 */
static void
array_drain(struct hm_slab_cache *c, struct array_cache *ac)
{
	uint32_t avail = ac_avail(ac);

	for (unsigned int node = 0; node < L->st->nr_sockets && avail != 0; node++) {
		struct slab_node *n = &c->node[node];
		uint32_t reap[REAP_BATCH], kept = 0;
		unsigned int nreap;

		hm_mutex_lock_shared(&n->lock, "slab node");
		for (uint32_t i = 0; i < avail; i++) {
			struct hm_slab *s = slab_of(ac->entry[i]);

			if (s->node == node)
				slab_put(c, n, s, ac->entry[i]);
			else
				ac->entry[kept++] = ac->entry[i];
		}
		nreap = node_reap(c, n, reap, REAP_BATCH, false);
		pthread_mutex_unlock(&n->lock);
		avail = kept;
		ac_set_avail(ac, avail);
		release_reaped(c, reap, nreap);
	}
}

/*
 * Drain every array an lcore has for cache c. The lcore is idle or the
 * caller. @return the objects drained.
 */
static uint64_t
drain_lcore_cache(struct hm_slab_cache *c, unsigned int lcore)
{
	struct array_cache *ac = cache_ac(c, lcore);
	uint64_t n = 0;

	if (ac != NULL) {
		n += ac_avail(ac);
		array_drain(c, ac);
	}
	if (c->alien_stride != 0)
		for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
			n += ac_avail(cache_alien(c, lcore, s));
			array_drain(c, cache_alien(c, lcore, s));
		}
	return n;
}

/* ------------------------------------------------------------- allocation */

/* One object under the node lock: debug caches and threads without an lcore. */
static void *
alloc_direct(struct hm_slab_cache *c, unsigned int node, unsigned int flags, const void *caller)
{
	struct slab_node *n = &c->node[node];
	void *obj = NULL;

	hm_mutex_lock_shared(&n->lock, "slab node");
	if (n->shared != NULL && ac_avail(n->shared) != 0) {
		uint32_t avail = ac_avail(n->shared) - 1;

		obj = n->shared->entry[avail];
		ac_set_avail(n->shared, avail);
	} else {
		obj = slab_take(c, n);
	}
	if (obj != NULL) {
		n->direct_allocs++;
		if (c->debug)
			slab_debug_check_alloc(c, obj, caller);
	}
	pthread_mutex_unlock(&n->lock);
	if (obj != NULL)
		return obj;
	return cache_grow(c, (int)node, flags, caller, true);
}

/* Everything slab_alloc_fast() does not do. */
void *
hm_slab_alloc_slow(struct hm_slab_cache *c, unsigned int flags, int socket, const void *caller)
{
	unsigned int lcore = hm_lcore_id(), node;
	struct array_cache *ac;
	void *obj;

	if (hm_unlikely(!hm_slab_cache_valid(c) || (flags & ~HM_SLAB_ALLOC_FLAGS) != 0 ||
			(socket != HM_SOCKET_ID_ANY && (socket < 0 || socket >= SLAB_NODES)))) {
		HM_LOG(ERR, SLAB, "alloc: bad request (cache %p, flags 0x%x, socket %d)",
		       (const void *)c, flags, socket);
		errno = L->st == NULL ? ENODEV : EINVAL;
		return NULL;
	}
	node = slab_mem_node();
	if (lcore < HM_MAX_LCORE && !c->debug &&
	    (socket == HM_SOCKET_ID_ANY || (unsigned int)socket == node) &&
	    (ac = hm_slab_own_ac(c, lcore)) != NULL) {
		uint32_t avail = ac_avail(ac);

		if (avail != 0) {
			obj = ac->entry[avail - 1];
			ac_set_avail(ac, avail - 1);
		} else {
			obj = ac_refill(c, ac, node, flags, caller);
		}
		if (obj != NULL)
			hm_counter_inc_local(&ac->allocs);
	} else {
		obj = alloc_direct(c, socket == HM_SOCKET_ID_ANY ? node : (unsigned int)socket,
				   flags, caller);
	}
	if (hm_unlikely(obj == NULL)) {
		atomic_fetch_add_explicit(&c->alloc_failures, 1, memory_order_relaxed);
		return NULL;
	}
	if (c->owner_offset != 0)
		atomic_store_explicit(obj_owner(c, obj), owner_tag(), memory_order_release);
	if (flags & HM_BUDDY_ZERO)
		memset(obj, 0, c->size);
	return obj;
}

void *
hm_slab_alloc(struct hm_slab_cache *c, unsigned int flags)
{
	if (hm_unlikely(!hm_slab_cache_valid(c)))
		return hm_slab_alloc_slow(c, flags, HM_SOCKET_ID_ANY, __builtin_return_address(0));
	return slab_alloc_fast(c, flags, HM_SOCKET_ID_ANY, __builtin_return_address(0));
}

void *
hm_slab_alloc_node(struct hm_slab_cache *c, unsigned int flags, int socket)
{
	return hm_slab_alloc_slow(c, flags, socket, __builtin_return_address(0));
}

/* ------------------------------------------------------------------- free */

static int
free_direct(struct hm_slab_cache *c, struct hm_slab *s, void *obj, const void *caller)
{
	struct slab_node *n = &c->node[s->node];
	uint32_t reap[REAP_BATCH];
	unsigned int nreap;

	hm_mutex_lock_shared(&n->lock, "slab node");
	if (c->debug ? slab_debug_check_free(c, s, obj, caller) < 0 : s->inuse == 0) {
		if (!c->debug)
			slab_debug_report(c, obj, caller,
					  "double free: its slab has no object out");
		pthread_mutex_unlock(&n->lock);
		return -EINVAL;
	}
	slab_put(c, n, s, obj);
	n->direct_frees++;
	nreap = node_reap(c, n, reap, REAP_BATCH, false);
	pthread_mutex_unlock(&n->lock);
	release_reaped(c, reap, nreap);
	return 0;
}

/* An object of another socket: into this lcore's array for that socket. */
static void
free_alien(struct hm_slab_cache *c, unsigned int lcore, unsigned int node, void *obj)
{
	struct array_cache *al = cache_alien(c, lcore, node);
	uint32_t avail = ac_avail(al);

	if (avail == al->limit) {
		ac_flush(c, al, node, true);
		avail = 0;
	}
	al->entry[avail] = obj;
	ac_set_avail(al, avail + 1);
	hm_counter_inc_local(&al->frees);
}

/*
 * Everything slab_free_fast() does not do, and every report. kfree: a large
 * kmalloc block (a buddy block of its own) is also freed here.
 */
int
hm_slab_free_slow(void *obj, const void *caller, bool kfree)
{
	struct hm_slab_state *st = L->st;
	unsigned int lcore = hm_lcore_id();
	struct hm_slab_cache *c;
	struct array_cache *ac;
	struct hm_slab *s;
	uint64_t owner = 0;
	uint32_t avail;

	if (hm_unlikely(st == NULL)) {
		HM_LOG(ERR, SLAB, "free %p: the EAL is not initialised", obj);
		return -EINVAL;
	}
	s = slab_of(obj);
	if (s != NULL && s->cache == KMALLOC_LARGE && kfree)
		return hm_kfree_large(obj);
	if (hm_unlikely(s == NULL || s->cache >= HM_SLAB_MAX_CACHES)) {
		HM_LOG(ERR, SLAB, "%s %p: not an object of a slab cache%s",
		       kfree ? "kfree" : "free", obj,
		       s != NULL && !kfree ? " (a large kmalloc block: use hm_kfree)" : "");
		return -EINVAL;
	}
	c = &st->caches[s->cache];
	if (hm_unlikely(slab_obj_index(c, s, obj) < 0)) {
		slab_debug_report(c, obj, caller, "invalid free: not the start of an object");
		return -EINVAL;
	}
	/* Whoever swaps the owner for 0 frees the object: this call, or a reclaim. */
	if (c->owner_offset != 0 &&
	    (owner = atomic_exchange_explicit(obj_owner(c, obj), 0, memory_order_acq_rel)) == 0) {
		slab_debug_report(c, obj, caller, "double free: the object has no owner");
		return -EINVAL;
	}
	if (hm_unlikely(c->debug || lcore >= HM_MAX_LCORE)) {
		int ret = free_direct(c, s, obj, caller);

		/* Refused (a debug check): the object stays out, and its holder's. */
		if (ret != 0 && owner != 0)
			atomic_store_explicit(obj_owner(c, obj), owner, memory_order_release);
		return ret;
	}
	if (hm_unlikely(s->node != slab_mem_node())) {
		free_alien(c, lcore, s->node, obj);
		return 0;
	}
	ac = hm_slab_own_ac(c, lcore);
	if (hm_unlikely(ac == NULL))
		return free_direct(c, s, obj, caller);
	avail = ac_avail(ac);
	if (hm_unlikely(avail != 0 && ac->entry[avail - 1] == obj)) {
		slab_debug_report(c, obj, caller, "double free: it was the last object freed");
		return -EINVAL;
	}
	if (hm_unlikely(avail == ac->limit)) {
		ac_flush(c, ac, s->node, false);
		avail = ac_avail(ac);
	}
	ac->entry[avail] = obj;
	ac_set_avail(ac, avail + 1);
	hm_counter_inc_local(&ac->frees);
	return 0;
}

int
hm_slab_free(void *obj)
{
	return slab_free_fast(obj, __builtin_return_address(0), false);
}

/* ---------------------------------------------------------- cache table */

/* Cache names appear in slabinfo's columns: no spaces. */
static bool
name_ok(const char *name)
{
	return hm_name_ok(name, HM_SLAB_NAMESIZE, isgraph);
}

static struct hm_slab_cache *
find_locked(const char *name)
{
	for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES; i++) {
		struct hm_slab_cache *c = &L->st->caches[i];

		if (c->magic == HM_SLAB_MAGIC && strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

struct hm_slab_cache *
hm_slab_cache_create_locked(const char *name, size_t size, size_t align, unsigned int flags,
			    hm_slab_ctor_t ctor, hm_slab_dtor_t dtor, bool kmalloc)
{
	struct hm_slab_cache *c = NULL;
	uint32_t gen;
	int ret;

	if (!name_ok(name) || size == 0 || size > HM_SLAB_MAX_SIZE ||
	    (align != 0 && (!HM_IS_POW2(align) || align > HM_BUDDY_PAGE_SIZE)) ||
	    (flags & ~CACHE_FLAGS) != 0) {
		HM_LOG(ERR, SLAB, "create %.*s: bad %s (size %zu, align %zu, flags 0x%x)",
		       HM_SLAB_NAMESIZE, name ? name : "(null)",
		       !name_ok(name)				? "name"
		       : (size == 0 || size > HM_SLAB_MAX_SIZE) ? "size"
		       : (flags & ~CACHE_FLAGS)			? "flags"
								: "alignment",
		       size, align, flags);
		errno = EINVAL;
		return NULL;
	}
	if (find_locked(name) != NULL) {
		HM_LOG(ERR, SLAB, "create %s: a cache of that name exists", name);
		errno = EEXIST;
		return NULL;
	}
	for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES && c == NULL; i++)
		if (L->st->caches[i].magic != HM_SLAB_MAGIC)
			c = &L->st->caches[i];
	if (c == NULL) {
		HM_LOG(ERR, SLAB, "create %s: all %u caches are in use", name, HM_SLAB_MAX_CACHES);
		errno = ENOSPC;
		return NULL;
	}
	gen = c->gen + 1;
	memset(c, 0, sizeof(*c));
	c->id = (uint32_t)(c - L->st->caches);
	c->gen = gen == 0 ? 1 : gen;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->has_ctor = ctor != NULL;
	c->has_dtor = dtor != NULL;
	c->kmalloc = kmalloc;
	ret = cache_layout(c, size, align, flags | L->st->debug_flags, ctor != NULL);
	if (ret == 0)
		ret = cache_alloc_arrays(c);
	if (ret < 0) {
		HM_LOG(ERR, SLAB, "create %s: %s", name,
		       ret == -E2BIG ? "the object is too large for a slab"
				     : "no memory for its lcore arrays");
		errno = -ret;
		return NULL;
	}
	L->fn[c->id].gen = c->gen;
	L->fn[c->id].ctor = ctor;
	L->fn[c->id].dtor = dtor;
	c->magic = HM_SLAB_MAGIC;
	HM_LOG(DEBUG, SLAB,
	       "cache %s: object %u B, buffer %u B, %u per slab of order %u, %u colours, "
	       "limit %u batch %u%s",
	       c->name, c->size, c->buffer_size, c->num, c->order, c->colour, c->limit, c->batch,
	       c->debug ? ", debug" : "");
	return c;
}

struct hm_slab_cache *
hm_slab_cache_create(const char *name, size_t size, size_t align, unsigned int flags,
		     hm_slab_ctor_t ctor, hm_slab_dtor_t dtor)
{
	struct hm_slab_cache *c;

	if (L->st == NULL) {
		errno = ENODEV;
		return NULL;
	}
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	c = hm_slab_cache_create_locked(name, size, align, flags, ctor, dtor, false);
	pthread_mutex_unlock(&L->st->lock);
	return c;
}

struct hm_slab_cache *
hm_slab_cache_lookup(const char *name)
{
	struct hm_slab_cache *c;

	if (L->st == NULL || !name_ok(name)) {
		errno = L->st == NULL ? ENODEV : EINVAL;
		return NULL;
	}
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	c = find_locked(name);
	pthread_mutex_unlock(&L->st->lock);
	if (c == NULL)
		errno = ENOENT;
	return c;
}

int
hm_slab_cache_set_ctor(struct hm_slab_cache *c, hm_slab_ctor_t ctor, hm_slab_dtor_t dtor)
{
	if (!hm_slab_cache_valid(c) || (ctor != NULL) != c->has_ctor ||
	    (dtor != NULL) != c->has_dtor) {
		HM_LOG(ERR, SLAB, "set ctor: %s",
		       hm_slab_cache_valid(c) ? "give exactly the functions it was made with"
					      : "not a cache");
		return -EINVAL;
	}
	L->fn[c->id].ctor = ctor;
	L->fn[c->id].dtor = dtor;
	L->fn[c->id].gen = c->gen;
	return 0;
}

const char *
hm_slab_cache_name(const struct hm_slab_cache *c)
{
	return hm_slab_cache_valid(c) ? c->name : NULL;
}

size_t
hm_slab_cache_object_size(const struct hm_slab_cache *c)
{
	return hm_slab_cache_valid(c) ? c->size : 0;
}

uint64_t
hm_slab_cached_objects(const struct hm_slab_cache *c)
{
	uint64_t n = 0;

	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		const struct array_cache *ac = cache_ac(c, l);

		n += ac != NULL ? ac_avail(ac) : 0;
		if (c->alien_stride != 0)
			for (unsigned int s = 0; s < L->st->nr_sockets; s++)
				n += ac_avail(cache_alien(c, l, s));
	}
	return n;
}

long
hm_slab_cache_live_objects(const struct hm_slab_cache *c)
{
	uint64_t out = 0;

	if (!hm_slab_cache_valid(c))
		return -EINVAL;
	for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
		struct slab_node *n = (struct slab_node *)&c->node[s];

		hm_mutex_lock_shared(&n->lock, "slab node");
		out += n->nr_slabs * c->num - n->free_objects -
		       (n->shared != NULL ? ac_avail(n->shared) : 0);
		pthread_mutex_unlock(&n->lock);
	}
	out -= hm_slab_cached_objects(c);
	return (long)out;
}

/* Depots back onto slabs, and free slabs (all of them) back to the buddy allocator. */
static void
cache_reap_all(struct hm_slab_cache *c)
{
	for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
		struct slab_node *n = &c->node[s];
		uint32_t reap[REAP_BATCH];
		unsigned int nreap;

		do {
			hm_mutex_lock_shared(&n->lock, "slab node");
			depot_to_slabs(c, n);
			nreap = node_reap(c, n, reap, REAP_BATCH, true);
			pthread_mutex_unlock(&n->lock);
			release_reaped(c, reap, nreap);
		} while (nreap == REAP_BATCH);
	}
}

static uint64_t
reaped_slabs(struct hm_slab_cache *c)
{
	uint64_t n = 0;

	for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
		hm_mutex_lock_shared(&c->node[s].lock, "slab node");
		n += c->node[s].reaped;
		pthread_mutex_unlock(&c->node[s].lock);
	}
	return n;
}

long
hm_slab_cache_shrink(struct hm_slab_cache *c)
{
	unsigned int lcore = hm_lcore_id();
	uint64_t before;

	if (!hm_slab_cache_valid(c)) {
		HM_LOG(ERR, SLAB, "shrink %p: not a cache", (void *)c);
		return -EINVAL;
	}
	before = reaped_slabs(c);
	if (lcore < HM_MAX_LCORE)
		drain_lcore_cache(c, lcore);
	if (!can_destruct(c))
		HM_LOG(WARNING, SLAB,
		       "cache %s: this process has not registered its destructor; "
		       "its free slabs stay",
		       c->name);
	cache_reap_all(c);
	return (long)((reaped_slabs(c) - before) << c->order);
}

int
hm_slab_cache_destroy(struct hm_slab_cache *c)
{
	long live;
	int ret = 0;

	if (L->st == NULL)
		return -EINVAL;
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	if (!hm_slab_cache_valid(c) || c->kmalloc || !can_destruct(c)) {
		HM_LOG(ERR, SLAB, "destroy %p: %s", (void *)c,
		       !hm_slab_cache_valid(c) ? "not a cache"
		       : c->kmalloc	       ? "the kmalloc caches stay"
					       : "register its destructor in this process first");
		pthread_mutex_unlock(&L->st->lock);
		return -EINVAL;
	}
	live = hm_slab_cache_live_objects(c);
	if (live > 0) {
		HM_LOG(ERR, SLAB, "destroy %s: %ld objects are still allocated", c->name, live);
		pthread_mutex_unlock(&L->st->lock);
		return -EBUSY;
	}
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
		drain_lcore_cache(c, l);
	cache_reap_all(c);
	for (unsigned int s = 0; s < L->st->nr_sockets; s++)
		if (c->node[s].nr_slabs != 0) {
			HM_LOG(ERR, SLAB,
			       "destroy %s: socket %u still has %" PRIu64 " slabs in use", c->name,
			       s, c->node[s].nr_slabs);
			ret = -EBUSY;
		}
	if (ret == 0) {
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
			struct array_cache *ac = cache_ac(c, l);

			if (ac != NULL)
				slot_init(ac, NULL);
		}
		c->magic = 0;
		hm_buddy_free_block_of((void *)(uintptr_t)c->ac_block, "slab arrays", false);
		c->ac_block = 0;
		c->name[0] = '\0';
		L->fn[c->id].gen = 0;
	}
	pthread_mutex_unlock(&L->st->lock);
	return ret;
}

int
hm_slab_cache_walk(int (*func)(struct hm_slab_cache *c, void *arg), void *arg)
{
	int ret = 0;

	if (L->st == NULL || func == NULL)
		return -EINVAL;
	/* Recursive: func may look caches up, create or destroy them. */
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES && ret == 0; i++)
		if (L->st->caches[i].magic == HM_SLAB_MAGIC)
			ret = func(&L->st->caches[i], arg);
	pthread_mutex_unlock(&L->st->lock);
	return ret;
}

uint64_t
hm_slab_drain_lcore(unsigned int lcore)
{
	uint64_t n = 0;

	if (L->st == NULL || lcore >= HM_MAX_LCORE)
		return 0;
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES; i++)
		if (L->st->caches[i].magic == HM_SLAB_MAGIC)
			n += drain_lcore_cache(&L->st->caches[i], lcore);
	pthread_mutex_unlock(&L->st->lock);
	return n;
}

/* ---------------------------------------------------------------- owners */

/*
 * Count owner's objects on node n's slabs or, with take, free them: each
 * one whose owner word this swaps from owner to 0 goes back onto its slab.
 * One pass under the node lock (held); a slab that slab_put() moves to the
 * head of another list is at most seen twice, and then holds nothing of the
 * owner's any more. @return how many.
 */
static uint64_t
node_owned(struct hm_slab_cache *c, struct slab_node *n, uint64_t owner, bool take)
{
	static const unsigned int lists[] = {SLAB_LIST_FULL, SLAB_LIST_PARTIAL};
	uint64_t nb = 0;

	for (unsigned int l = 0; l < HM_DIM(lists); l++) {
		uint32_t idx = *node_list(n, lists[l]);

		while (idx != HM_PAGE_NIL) {
			struct hm_slab *s = slab_page(idx);
			uint8_t *first = slab_first_obj(c, s);

			idx = s->next; /* before slab_put() moves s */
			for (uint32_t k = 0; k < c->num; k++) {
				void *obj = first + (uint64_t)k * c->buffer_size;
				uint64_t want = owner;

				if (atomic_load_explicit(obj_owner(c, obj), memory_order_relaxed) !=
				    owner)
					continue;
				if (!take) {
					nb++;
					continue;
				}
				if (!atomic_compare_exchange_strong(obj_owner(c, obj), &want, 0))
					continue; /* its holder freed it meanwhile */
				if (c->debug && slab_debug_check_free(c, s, obj, NULL) < 0)
					continue; /* reported: its state says it is free */
				slab_put(c, n, s, obj);
				n->direct_frees++;
				nb++;
			}
		}
	}
	return nb;
}

static uint64_t
cache_reclaim_owner(struct hm_slab_cache *c, uint64_t owner)
{
	uint64_t total = 0;

	for (unsigned int node = 0; node < SLAB_NODES; node++) {
		struct slab_node *n = &c->node[node];
		uint32_t reap[REAP_BATCH];
		unsigned int nreap;

		hm_mutex_lock_shared(&n->lock, "slab node");
		total += node_owned(c, n, owner, true);
		nreap = node_reap(c, n, reap, REAP_BATCH, false);
		pthread_mutex_unlock(&n->lock);
		release_reaped(c, reap, nreap);
	}
	if (total != 0)
		HM_LOG(INFO, SLAB, "cache %s: %" PRIu64 " objects of a gone process freed", c->name,
		       total);
	return total;
}

static uint64_t
cache_owner_count(struct hm_slab_cache *c, uint64_t owner)
{
	uint64_t count = 0;

	for (unsigned int node = 0; node < SLAB_NODES; node++) {
		hm_mutex_lock_shared(&c->node[node].lock, "slab node");
		count += node_owned(c, &c->node[node], owner, false);
		pthread_mutex_unlock(&c->node[node].lock);
	}
	return count;
}

/* The sum of fn over every owned cache, under the table lock. */
static uint64_t
owned_caches_sum(uint64_t (*fn)(struct hm_slab_cache *c, uint64_t owner), uint64_t owner)
{
	uint64_t n = 0;

	if (L->st == NULL || owner == 0)
		return 0;
	hm_mutex_lock_shared(&L->st->lock, "slab table");
	for (unsigned int i = 0; i < HM_SLAB_MAX_CACHES; i++) {
		struct hm_slab_cache *c = &L->st->caches[i];

		if (c->magic == HM_SLAB_MAGIC && c->owner_offset != 0)
			n += fn(c, owner);
	}
	pthread_mutex_unlock(&L->st->lock);
	return n;
}

uint64_t
hm_slab_reclaim_owner(uint64_t owner)
{
	return owned_caches_sum(cache_reclaim_owner, owner);
}

uint64_t
hm_slab_owner_count(uint64_t owner)
{
	return owned_caches_sum(cache_owner_count, owner);
}

int
hm_slab_obj_adopt(void *obj)
{
	struct hm_slab_cache *c;
	struct hm_slab *s;
	uint64_t was;

	if (L->st == NULL || obj == NULL || (s = slab_of(obj)) == NULL ||
	    s->cache >= HM_SLAB_MAX_CACHES) {
		HM_LOG(ERR, SLAB, "adopt %p: not an object of a slab cache", obj);
		return -EINVAL;
	}
	c = &L->st->caches[s->cache];
	if (c->owner_offset == 0 || slab_obj_index(c, s, obj) < 0) {
		HM_LOG(ERR, SLAB, "adopt %p: not an object of an owned cache (%s)", obj, c->name);
		return -EINVAL;
	}
	was = atomic_load(obj_owner(c, obj));
	do {
		if (was == 0) {
			HM_LOG(ERR, SLAB, "adopt %p (cache %s): the object is free", obj, c->name);
			return -EINVAL;
		}
	} while (!atomic_compare_exchange_weak(obj_owner(c, obj), &was, owner_tag()));
	return 0;
}

/* ------------------------------------------------------ init and cleanup */

static void
local_copies(struct hm_slab_state *st)
{
	L->base_va = st->base_va;
	L->nr_pages = st->nr_pages;
	L->pages = st->pages;
	memcpy(L->kmalloc, st->kmalloc, sizeof(L->kmalloc));
}

static int
primary_init(const struct hm_eal_config *cfg)
{
	struct hm_slab_state *st;

	st = hm_shared_zalloc(sizeof(*st), 64);
	if (st == NULL)
		return -ENOMEM;
	st->pages = hm_shared_zalloc(L->buddy->nr_pages * sizeof(struct hm_slab), 64);
	if (st->pages == NULL)
		return -ENOMEM;
	st->base_va = L->buddy->base_va;
	st->nr_pages = L->buddy->nr_pages;
	local_copies(st);
	st->nr_sockets = L->buddy->nr_sockets ? L->buddy->nr_sockets : 1;
	st->debug_flags = cfg->slab_debug & HM_SLAB_DEBUG_ANY;
	for (uint64_t i = 0; i < st->nr_pages; i++)
		st->pages[i].head = HM_PAGE_NIL;
	hm_mutex_init_shared(&st->lock, true);
	L->st = st;
	if (hm_kmalloc_init() < 0) {
		L->st = NULL;
		return -ENOMEM;
	}
	local_copies(st);
	hm_shared_state_set(HM_SUBSYS_SLAB, st);
	return 0;
}

int
hm_slab_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	memset(L, 0, sizeof(*L));
	/*
	 * Other threads may still hold the regions of an earlier init: a new
	 * generation makes the fast paths ignore them.
	 */
	L->gen = ++session_gen;
	hm_slab_region_ = NULL;
	hm_slab_node_ = 0;
	L->buddy = hm_buddy_get();
	if (L->buddy == NULL)
		return -ENODEV;
	if (type == HM_PROC_PRIMARY)
		return primary_init(cfg);
	L->st = hm_shared_state_get(HM_SUBSYS_SLAB);
	if (L->st == NULL) {
		HM_LOG(ERR, SLAB, "the primary published no slab caches");
		return -EPROTO;
	}
	local_copies(L->st);
	return 0;
}

void
hm_slab_cleanup(enum hm_proc_type type)
{
	const struct hm_eal_config *cfg = hm_eal_get_config();

	/* Objects cached for this process's lcores go back for the others. */
	if (L->st != NULL && type == HM_PROC_SECONDARY)
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			if (cfg->lcores[l].enabled)
				hm_slab_drain_lcore(l);
	memset(L, 0, sizeof(*L));
	hm_slab_region_ = NULL;
}
