/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mempools: creation and destruction, the table of named pools, and the
 * slow paths of get and put (the fast paths are inline in mempool.h). The
 * layout of a pool and its invariants are described in mempool_pvt.h.
 *
 * The slow paths:
 *  - get: an lcore whose cache holds fewer than n refills it to its size
 *    from the ring in one burst, then serves n from the top. Requests larger
 *    than the cache, and threads that are not lcores, go to the ring.
 *  - put: every pointer is checked first, so a refused call changes nothing.
 *    While the reserve is short its slots are refilled first; while a thread
 *    waits in hm_mempool_alloc() the rest goes to the ring, where the waiter
 *    looks. A cache that would pass its flush threshold sends its oldest
 *    objects to the ring until the new ones fit at its size.
 *  - hm_mempool_alloc(): the kernel's mempool_alloc(): an ordinary get, the
 *    reserve, then polling with a growing sleep.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memory_pvt.h"
#include "mempool_pvt.h"

/* lcore_cache_off[] holds 32 bits: the largest reserve and caches fit. */
_Static_assert(sizeof(struct hm_mempool_cache) +
			   HM_MEMPOOL_CACHE_MAX_SIZE * 3 / 2 * sizeof(void *) <=
		       8192 &&
		   sizeof(struct hm_mempool) + sizeof(struct mempool_priv) +
			   (uint64_t)HM_MEMPOOL_MAX_OBJS * sizeof(void *) +
			   ((uint64_t)HM_MAX_LCORE << 13) + 256 <=
		       UINT32_MAX,
	       "a pool's cache offsets fit in 32 bits");

/* The inline get and put read the pool's first cache line, and their lcore's
 * entry of lcore_cache_off[] (lines no one writes after creation). */
_Static_assert(offsetof(struct hm_mempool, lcore_cache_off) == 64,
	       "the fields of the mempool fast paths fit in its first cache line");

struct mempool_table {
	pthread_mutex_t lock;
	struct hm_mempool *pools[HM_MEMPOOL_MAX_POOLS];
};

/* The per-process context: where the shared table is. */
static struct mempool_table *table;

/* ------------------------------------------------------------ helpers */

bool
hm_mempool_is_pool(const struct hm_mempool *mp)
{
	return mp != NULL && mp->magic == HM_MEMPOOL_MAGIC;
}

long
hm_mempool_obj_index(const struct hm_mempool *mp, const void *obj)
{
	long base = 0;

	for (uint32_t i = 0; i < mp->nb_chunks; i++) {
		uint64_t k =
		    hm_mempool_stride_index(mp, (uint64_t)(uintptr_t)obj - mp->chunks[i].first);

		if (k < mp->chunks[i].nb_objs)
			return base + (long)k;
		base += (long)mp->chunks[i].nb_objs;
	}
	return -1;
}

static struct hm_mempool_lcore_stats *
stats_of(struct hm_mempool *mp, unsigned int lcore)
{
	return lcore < HM_MAX_LCORE ? &hm_mempool_cache_of(mp, lcore)->stats : &mp->other_stats;
}

/*
 * Add to a statistic: hm_mempool_stat_add() on an lcore's own counters, an
 * atomic add on the counters all non-lcore threads share.
 */
static void
stat_add(_Atomic uint64_t *c, uint64_t v, unsigned int lcore)
{
	if (lcore < HM_MAX_LCORE)
		hm_mempool_stat_add(c, v);
	else
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

/* The reason a get or put was refused for its arguments, or NULL. */
static const char *
bad_call(const struct hm_mempool *mp, const void *obj_table, unsigned int n)
{
	if (mp == NULL)
		return "pool is NULL";
	if (!hm_mempool_is_pool(mp))
		return "not a live pool";
	if (obj_table == NULL)
		return "object table is NULL";
	if (n == 0)
		return "count is zero";
	if (n > mp->size)
		return "count is above the pool size";
	return NULL;
}

/* Store v unless it is there already: the line stays shared in every cache. */
static void
store_changed(_Atomic uint32_t *p, uint32_t v)
{
	if (atomic_load_explicit(p, memory_order_relaxed) != v)
		atomic_store_explicit(p, v, memory_order_relaxed);
}

/*
 * Set put_slow, and with it the limits of the inline puts: 0 while put_slow
 * is not, so that every put takes the slow path. Under the reserve lock, so
 * that two changes at once cannot leave limits that disagree with it. The
 * limits go to 0 before put_slow is set and come back after it is cleared:
 * a process that dies in between leaves puts slow, never fast while
 * put_slow is set.
 */
static void
put_slow_set(struct hm_mempool *mp, uint32_t slow)
{
	if (slow == 0)
		store_changed(&mp->put_slow, 0);
	store_changed(&mp->put_cache_max, put_cache_limit(mp, slow));
	store_changed(&mp->put_ring_max, put_ring_limit(mp, slow));
	if (slow != 0)
		store_changed(&mp->put_slow, slow);
}

/* put_slow as the reserve and the waiters have it. Under the reserve lock. */
static uint32_t
put_slow_of(const struct hm_mempool *mp)
{
	const struct mempool_priv *pv = mempool_priv(mp);
	uint32_t slow = atomic_load_explicit(&pv->nr_res, memory_order_relaxed) < mp->min_nr
			    ? PUT_SLOW_RESERVE_SHORT
			    : 0;

	for (unsigned int i = 0; i <= HM_MAX_PROCS; i++)
		slow += pv->waiters[i];
	return slow;
}

/*
 * Take the reserve lock. A process that died holding it may have left
 * put_slow and the limits half changed: they are set again from the
 * reserve and the waiters, which it changes first. An object it was moving
 * in or out of the reserve may be lost to the pool, never given twice.
 */
static void
reserve_lock(struct hm_mempool *mp)
{
	struct mempool_priv *pv = mempool_priv(mp);
	int ret = pthread_mutex_lock(&pv->lock);

	if (hm_unlikely(ret == EOWNERDEAD)) {
		pthread_mutex_consistent(&pv->lock);
		put_slow_set(mp, put_slow_of(mp));
		HM_LOG(ERR, MEMPOOL,
		       "%s: the process holding the reserve lock died; taking it over (reserve "
		       "%u of %u, put_slow %#x)",
		       mp->name, atomic_load_explicit(&pv->nr_res, memory_order_relaxed),
		       mp->min_nr, atomic_load_explicit(&mp->put_slow, memory_order_relaxed));
	}
}

/* --------------------------------------------------------------- get */

/* Take n objects off the reserve, all or none. */
static bool
reserve_take(struct hm_mempool *mp, void **obj_table, unsigned int n)
{
	struct mempool_priv *pv = mempool_priv(mp);
	uint32_t nr;
	bool ok = false;

	if (mp->min_nr == 0 || atomic_load_explicit(&pv->nr_res, memory_order_relaxed) < n)
		return false;
	reserve_lock(mp);
	nr = atomic_load_explicit(&pv->nr_res, memory_order_relaxed);
	if (nr >= n) {
		nr -= n;
		memcpy(obj_table, &pv->reserve[nr], n * sizeof(void *));
		atomic_store_explicit(&pv->nr_res, nr, memory_order_relaxed);
		/* From now on puts refill the reserve first. */
		put_slow_set(mp, atomic_load_explicit(&mp->put_slow, memory_order_relaxed) |
				     PUT_SLOW_RESERVE_SHORT);
		ok = true;
	}
	pthread_mutex_unlock(&pv->lock);
	return ok;
}

/*
 * Count a thread into the waiters of hm_mempool_alloc(), under its
 * process's slot: @return the index of the count, for waiter_out(). The
 * count changes first and put_slow is then set from all of them, so that a
 * death in between leaves the counts right and put_slow to be rebuilt.
 */
static unsigned int
waiter_in(struct hm_mempool *mp)
{
	struct mempool_priv *pv = mempool_priv(mp);
	const unsigned int idx = (unsigned int)(hm_shared_config_proc_slot() + 1);

	reserve_lock(mp);
	pv->waiters[idx]++;
	put_slow_set(mp, put_slow_of(mp));
	pthread_mutex_unlock(&pv->lock);
	return idx;
}

/*
 * Count it out again, from the count it went into. That count may be 0
 * already: a reclaim took it off, thinking the slot's process dead (a
 * forked child waits under its parent's slot, say). Then nothing changes.
 */
static void
waiter_out(struct hm_mempool *mp, unsigned int idx)
{
	struct mempool_priv *pv = mempool_priv(mp);

	reserve_lock(mp);
	if (pv->waiters[idx] > 0)
		pv->waiters[idx]--;
	put_slow_set(mp, put_slow_of(mp));
	pthread_mutex_unlock(&pv->lock);
}

/*
 * Mark objects handed out: in use in a debug pool, this process's in an
 * owned pool. The marks come after the objects left the cache or ring: a
 * death in between loses them rather than letting reclaim duplicate them.
 */
static void
mark_taken(const struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	const uint64_t tag = hm_shared_config_proc_tag();

	if (!(mp->flags & MEMPOOL_SLOW_FLAGS))
		return;
	for (unsigned int i = 0; i < n; i++) {
		struct hm_mempool_objhdr *h = hm_mempool_get_header(obj_table[i]);

		if (mp->flags & HM_MEMPOOL_DEBUG)
			atomic_store_explicit(&h->state, OBJ_STATE_INUSE, memory_order_relaxed);
		/* An object taken before this process registered has no owner to
		 * reclaim it for, but must not read free. */
		if (mp->flags & HM_MEMPOOL_OWNED)
			atomic_store_explicit(&h->owner, tag != 0 ? tag : UINT64_MAX,
					      memory_order_release);
	}
}

/*
 * A get larger than the cache that the ring alone cannot serve: the rest
 * from the ring, all the lcore's cache holds first.
 */
static bool
get_ring_and_cache(struct hm_mempool *mp, unsigned int lcore, void **obj_table, unsigned int n)
{
	struct hm_mempool_cache *c = hm_mempool_cache_of(mp, lcore);
	uint32_t len = atomic_load_explicit(&c->len, memory_order_relaxed);

	if (len == 0 || len >= n ||
	    hm_ring_dequeue_bulk(mp->ring, obj_table + len, n - len, NULL) != n - len)
		return false;
	hm_copy_ptrs(obj_table, c->objs, len);
	atomic_store_explicit(&c->len, 0, memory_order_relaxed);
	return true;
}

/*
 * An ordinary get: the lcore cache, refilled from the ring, or the ring.
 * Never the reserve. Returns 0 or -ENOENT; counts failures if asked to.
 */
static int
get_common(struct hm_mempool *mp, void **obj_table, unsigned int n, bool count_fail)
{
	const unsigned int lcore = hm_this_lcore_;
	struct hm_mempool_lcore_stats *st = stats_of(mp, lcore);
	bool cached = false;
	bool ok;

	if (lcore < HM_MAX_LCORE && n <= mp->cache_size) {
		struct hm_mempool_cache *c = hm_mempool_cache_of(mp, lcore);
		uint32_t len = atomic_load_explicit(&c->len, memory_order_relaxed);

		cached = len >= n;
		if (len < n) {
			/* Refill to the cache's size: n <= size, so this is enough if the ring has
			 * it. */
			len += hm_ring_dequeue_burst(mp->ring, &c->objs[len], c->size - len, NULL);
			atomic_store_explicit(&c->len, len, memory_order_relaxed);
		}
		ok = len >= n;
		if (ok) {
			len -= n;
			memcpy(obj_table, &c->objs[len], n * sizeof(void *));
			atomic_store_explicit(&c->len, len, memory_order_relaxed);
		}
	} else {
		ok = hm_ring_dequeue_bulk(mp->ring, obj_table, n, NULL) == n;
		if (!ok && lcore < HM_MAX_LCORE && mp->cache_size != 0)
			ok = get_ring_and_cache(mp, lcore, obj_table, n);
	}
	if (!ok) {
		if (count_fail)
			stat_add(&st->get_fail, 1, lcore);
		return -ENOENT;
	}
	stat_add(cached ? &st->get_cached : &st->get_other, n, lcore);
	mark_taken(mp, obj_table, n);
	return 0;
}

int
hm_mempool_get_slow(struct hm_mempool *mp, void **obj_table, unsigned int n)
{
	const char *why = bad_call(mp, obj_table, n);

	if (why != NULL) {
		HM_LOG(ERR, MEMPOOL, "get %u from %s: %s", n,
		       hm_mempool_is_pool(mp) ? mp->name : "?", why);
		return -EINVAL;
	}
	return get_common(mp, obj_table, n, true);
}

/* Sleep a little longer each round, up to 100 us: a waiter must not starve the putter. */
static void
wait_backoff(unsigned int round)
{
	if (round < 16) {
		for (unsigned int i = 0; i < 64; i++)
			hm_ring_pause();
	} else if (round < 32) {
		sched_yield();
	} else {
		long ns = round < 64 ? 10000 : 100000;
		struct timespec ts = {0, ns};

		nanosleep(&ts, NULL);
	}
}

int
hm_mempool_alloc(struct hm_mempool *mp, void **obj, unsigned int flags, uint64_t timeout_ns)
{
	const unsigned int lcore = hm_this_lcore_;
	uint64_t deadline;
	unsigned int idx;
	int ret = -ETIMEDOUT;
	const char *why = bad_call(mp, obj, 1);

	if (why == NULL && (flags & ~HM_MEMPOOL_WAIT))
		why = "bad flags";
	if (why != NULL) {
		HM_LOG(ERR, MEMPOOL, "alloc from %s: %s", hm_mempool_is_pool(mp) ? mp->name : "?",
		       why);
		return -EINVAL;
	}
	if (get_common(mp, obj, 1, false) == 0)
		return 0;
	if (reserve_take(mp, obj, 1))
		goto from_reserve;
	if (!(flags & HM_MEMPOOL_WAIT)) {
		stat_add(&stats_of(mp, lcore)->get_fail, 1, lcore);
		return -ENOENT;
	}
	/* Puts go to the ring and the reserve, where we look, while we wait. */
	idx = waiter_in(mp);
	deadline = timeout_ns ? hm_time_ns() + timeout_ns : UINT64_MAX;
	for (unsigned int round = 0;; round++) {
		if (get_common(mp, obj, 1, false) == 0) {
			ret = 0;
			break;
		}
		if (reserve_take(mp, obj, 1)) {
			ret = 1;
			break;
		}
		if (hm_time_ns() >= deadline)
			break;
		wait_backoff(round);
	}
	waiter_out(mp, idx);
	if (ret == 0)
		return 0;
	if (ret < 0) {
		stat_add(&stats_of(mp, lcore)->get_fail, 1, lcore);
		return ret;
	}
from_reserve:
	stat_add(&stats_of(mp, lcore)->get_other, 1, lcore);
	stat_add(&stats_of(mp, lcore)->reserve_gets, 1, lcore);
	mark_taken(mp, obj, 1);
	return 0;
}

/* --------------------------------------------------------------- put */

/* Refuse a put: one log line that names the pool, the object and the cause. */
static int
put_refuse(struct hm_mempool *mp, unsigned int lcore, const char *fmt, const void *obj,
	   unsigned int i)
{
	char why[96];

	snprintf(why, sizeof(why), fmt, obj, i);
	HM_LOG(ERR, MEMPOOL, "put to %s: %s; nothing of this call is put", mp->name, why);
	stat_add(&stats_of(mp, lcore)->put_refused, 1, lcore);
	return -EINVAL;
}

/*
 * Debug pools: move every object from in use to free, or none (a double
 * put or a put of an object that was never got is refused).
 */
static int
debug_mark_free(struct hm_mempool *mp, unsigned int lcore, void *const *obj_table, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = OBJ_STATE_INUSE;

		if (atomic_compare_exchange_strong(&hm_mempool_get_header(obj_table[i])->state,
						   &want, OBJ_STATE_FREE))
			continue;
		for (unsigned int j = 0; j < i; j++)
			atomic_store(&hm_mempool_get_header(obj_table[j])->state, OBJ_STATE_INUSE);
		return put_refuse(mp, lcore, "object %p (entry %u) is not in use: a double put?",
				  obj_table[i], i);
	}
	return 0;
}

/*
 * Owned pools: take every object from its owner, or none (an object with
 * no owner is free already: a double put). Objects given back on a refusal
 * become the caller's.
 */
static int
owned_mark_free(struct hm_mempool *mp, unsigned int lcore, void *const *obj_table, unsigned int n)
{
	const uint64_t tag = hm_shared_config_proc_tag();

	for (unsigned int i = 0; i < n; i++) {
		_Atomic uint64_t *o = &hm_mempool_get_header(obj_table[i])->owner;
		uint64_t cur = atomic_load_explicit(o, memory_order_acquire);

		while (cur != 0 && !atomic_compare_exchange_weak(o, &cur, 0))
			;
		if (cur != 0)
			continue;
		for (unsigned int j = 0; j < i; j++)
			atomic_store(&hm_mempool_get_header(obj_table[j])->owner,
				     tag != 0 ? tag : UINT64_MAX);
		return put_refuse(mp, lcore, "object %p (entry %u) is not in use: a double put?",
				  obj_table[i], i);
	}
	return 0;
}

/* Give objects to the reserve until it is full. Returns how many it took. */
static unsigned int
reserve_refill(struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	struct mempool_priv *pv = mempool_priv(mp);
	unsigned int take = 0;
	uint32_t nr;

	reserve_lock(mp);
	nr = atomic_load_explicit(&pv->nr_res, memory_order_relaxed);
	if (nr < mp->min_nr) {
		take = mp->min_nr - nr < n ? mp->min_nr - nr : n;
		memcpy(&pv->reserve[nr], obj_table, take * sizeof(void *));
		nr += take;
		atomic_store_explicit(&pv->nr_res, nr, memory_order_relaxed);
	}
	if (nr == mp->min_nr)
		put_slow_set(mp, atomic_load_explicit(&mp->put_slow, memory_order_relaxed) &
				     ~PUT_SLOW_RESERVE_SHORT);
	pthread_mutex_unlock(&pv->lock);
	return take;
}

/* The ring holds every object of the pool, so only a double put can fill it. */
static int
ring_put(struct hm_mempool *mp, unsigned int lcore, void *const *obj_table, unsigned int n)
{
	if (hm_ring_enqueue_bulk(mp->ring, obj_table, n, NULL) == n)
		return 0;
	return put_refuse(mp, lcore,
			  "the ring is full, more objects came back than went out "
			  "(a double put of %p?, %u objects)",
			  obj_table[0], n);
}

/*
 * Whether every pointer is an object of mp: a count of hm_mempool_obj_valid(),
 * no branch per pointer or per block, so the objects of a bulk from several
 * blocks cost no mispredicted branch.
 */
static bool
objs_in_blocks(const struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	unsigned int good = 0;

	for (unsigned int i = 0; i < n; i++)
		good += hm_mempool_obj_valid(mp, obj_table[i]);
	return good == n;
}

/* The reason a get, put or adopt of these objects is refused, or NULL; logged and counted. */
static bool
objs_ok(struct hm_mempool *mp, unsigned int lcore, const char *op, void *const *obj_table,
	unsigned int n)
{
	const char *why = bad_call(mp, obj_table, n);

	if (why != NULL) {
		HM_LOG(ERR, MEMPOOL, "%s %u to %s: %s", op, n,
		       hm_mempool_is_pool(mp) ? mp->name : "?", why);
		if (hm_mempool_is_pool(mp))
			stat_add(&stats_of(mp, lcore)->put_refused, 1, lcore);
		return false;
	}
	if (!objs_in_blocks(mp, obj_table, n)) {
		for (unsigned int i = 0; i < n; i++)
			if (!hm_mempool_obj_valid(mp, obj_table[i])) {
				put_refuse(mp, lcore, "%p (entry %u) is not an object of this pool",
					   obj_table[i], i);
				break;
			}
		return false;
	}
	return true;
}

static int put_common(struct hm_mempool *mp, unsigned int lcore, void *const *obj_table,
		      unsigned int n);

int
hm_mempool_put_slow(struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	const unsigned int lcore = hm_this_lcore_;

	if (!objs_ok(mp, lcore, "put", obj_table, n))
		return -EINVAL;
	if ((mp->flags & HM_MEMPOOL_DEBUG) && debug_mark_free(mp, lcore, obj_table, n) < 0)
		return -EINVAL;
	if ((mp->flags & HM_MEMPOOL_OWNED) && owned_mark_free(mp, lcore, obj_table, n) < 0) {
		if (mp->flags & HM_MEMPOOL_DEBUG)
			for (unsigned int i = 0; i < n; i++)
				atomic_store(&hm_mempool_get_header(obj_table[i])->state,
					     OBJ_STATE_INUSE);
		return -EINVAL;
	}
	return put_common(mp, lcore, obj_table, n);
}

/* Put objects whose checks and marks are done: the reserve, the ring or the lcore's cache. */
static int
put_common(struct hm_mempool *mp, unsigned int lcore, void *const *obj_table, unsigned int n)
{
	struct hm_mempool_lcore_stats *st = stats_of(mp, lcore);
	struct hm_mempool_cache *c;
	uint32_t slow, len;

	slow = atomic_load_explicit(&mp->put_slow, memory_order_relaxed);
	if (slow & PUT_SLOW_RESERVE_SHORT) {
		unsigned int took = reserve_refill(mp, obj_table, n);

		stat_add(&st->put_other, took, lcore);
		obj_table += took;
		n -= took;
		if (n == 0)
			return 0;
	}
	if ((slow & PUT_SLOW_WAITERS) || lcore >= HM_MAX_LCORE || n > mp->cache_size) {
		if (ring_put(mp, lcore, obj_table, n) < 0)
			return -EINVAL;
		stat_add(&st->put_other, n, lcore);
		return 0;
	}

	c = hm_mempool_cache_of(mp, lcore);
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (len + n > c->flushthresh) {
		/* n <= size, so the k oldest are all old objects. The cache reads
		 * empty while they go: a death in between loses objects, never
		 * leaves one both in the ring and in the cache. */
		uint32_t k = len + n - c->size;

		atomic_store_explicit(&c->len, 0, memory_order_relaxed);
		if (ring_put(mp, lcore, c->objs, k) < 0) {
			atomic_store_explicit(&c->len, len, memory_order_relaxed);
			return -EINVAL;
		}
		len -= k;
		memmove(c->objs, c->objs + k, len * sizeof(void *));
	}
	memcpy(&c->objs[len], obj_table, n * sizeof(void *));
	atomic_store_explicit(&c->len, len + n, memory_order_relaxed);
	stat_add(&st->put_cached, n, lcore);
	return 0;
}

int
hm_mempool_obj_adopt(struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	const unsigned int lcore = hm_this_lcore_;
	const uint64_t tag = hm_shared_config_proc_tag();

	if (!objs_ok(mp, lcore, "adopt", obj_table, n))
		return -EINVAL;
	if (!(mp->flags & HM_MEMPOOL_OWNED))
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (atomic_load(&hm_mempool_get_header(obj_table[i])->owner) == 0) {
			HM_LOG(ERR, MEMPOOL, "adopt %u from %s: object %p (entry %u) is free", n,
			       mp->name, obj_table[i], i);
			return -EINVAL;
		}
	/* An object put back meanwhile stays free: only an owned one changes hands. */
	for (unsigned int i = 0; i < n; i++) {
		_Atomic uint64_t *o = &hm_mempool_get_header(obj_table[i])->owner;
		uint64_t cur = atomic_load(o);

		while (cur != 0 &&
		       !atomic_compare_exchange_weak(o, &cur, tag != 0 ? tag : UINT64_MAX))
			;
	}
	return 0;
}

/* Put back what the owner held in one owned pool; @return how many. */
static uint64_t
reclaim_pool(struct hm_mempool *mp, uint64_t owner)
{
	void *batch[64];
	unsigned int nb = 0;
	uint64_t total = 0;

	for (uint32_t i = 0; i < mp->nb_chunks; i++)
		for (uint64_t k = 0; k < mp->chunks[i].nb_objs; k++) {
			void *obj = (void *)(mp->chunks[i].first + k * mp->stride);
			struct hm_mempool_objhdr *h = hm_mempool_get_header(obj);
			uint64_t want = owner;

			if (atomic_load_explicit(&h->owner, memory_order_relaxed) != owner ||
			    !atomic_compare_exchange_strong(&h->owner, &want, 0))
				continue;
			if (mp->flags & HM_MEMPOOL_DEBUG)
				atomic_store(&h->state, OBJ_STATE_FREE);
			batch[nb++] = obj;
			if (nb == HM_DIM(batch)) {
				if (put_common(mp, HM_MAX_LCORE, batch, nb) == 0)
					total += nb;
				nb = 0;
			}
		}
	if (nb != 0 && put_common(mp, HM_MAX_LCORE, batch, nb) == 0)
		total += nb;
	if (total != 0)
		HM_LOG(INFO, MEMPOOL, "%s: %" PRIu64 " objects of a gone process put back",
		       mp->name, total);
	return total;
}

static int
reclaim_one(struct hm_mempool *mp, void *arg)
{
	uint64_t *a = arg; /* [0] the owner, [1] the count */

	if (mp->flags & HM_MEMPOOL_OWNED)
		a[1] += reclaim_pool(mp, a[0]);
	return 0;
}

uint64_t
hm_mempool_reclaim_owner(uint64_t owner)
{
	uint64_t a[2] = {owner, 0};

	if (owner == 0)
		return 0;
	hm_mempool_walk(reclaim_one, a);
	return a[1];
}

static int
count_one(struct hm_mempool *mp, void *arg)
{
	uint64_t *a = arg; /* [0] the owner, [1] the count */

	if (!(mp->flags & HM_MEMPOOL_OWNED))
		return 0;
	for (uint32_t i = 0; i < mp->nb_chunks; i++)
		for (uint64_t k = 0; k < mp->chunks[i].nb_objs; k++) {
			void *obj = (void *)(mp->chunks[i].first + k * mp->stride);

			if (atomic_load_explicit(&hm_mempool_get_header(obj)->owner,
						 memory_order_relaxed) == a[0])
				a[1]++;
		}
	return 0;
}

static int
reclaim_waiters_one(struct hm_mempool *mp, void *arg)
{
	uint64_t *a = arg; /* [0] the slot, [1] the count */
	struct mempool_priv *pv = mempool_priv(mp);
	uint32_t w;

	reserve_lock(mp);
	w = pv->waiters[a[0] + 1];
	if (w != 0) {
		pv->waiters[a[0] + 1] = 0;
		put_slow_set(mp, put_slow_of(mp));
		a[1] += w;
	}
	pthread_mutex_unlock(&pv->lock);
	return 0;
}

uint64_t
hm_mempool_reclaim_waiters(unsigned int slot)
{
	uint64_t a[2] = {slot, 0};

	if (slot >= HM_MAX_PROCS)
		return 0;
	hm_mempool_walk(reclaim_waiters_one, a);
	return a[1];
}

uint64_t
hm_mempool_owner_count(uint64_t owner)
{
	uint64_t a[2] = {owner, 0};

	if (owner != 0)
		hm_mempool_walk(count_one, a);
	return a[1];
}

void
hm_mempool_cache_flush(struct hm_mempool *mp, unsigned int lcore)
{
	struct hm_mempool_cache *c;
	uint32_t len;

	if (!hm_mempool_is_pool(mp) || lcore >= HM_MAX_LCORE)
		return;
	c = hm_mempool_cache_of(mp, lcore);
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (len == 0)
		return;
	/* Empty first, as in put_common(): a death in between loses, never duplicates. */
	atomic_store_explicit(&c->len, 0, memory_order_relaxed);
	if (ring_put(mp, lcore, c->objs, len) < 0)
		atomic_store_explicit(&c->len, len, memory_order_relaxed);
}

/* ------------------------------------------------------------ creation */

static bool
name_ok(const char *name)
{
	return hm_name_ok(name, HM_MEMPOOL_NAMESIZE, isgraph);
}

static const char *
bad_create(const char *name, unsigned int n, unsigned int elt_size, unsigned int cache_size,
	   unsigned int min_nr, unsigned int flags)
{
	if (!name_ok(name))
		return "name (1 to 31 printable characters, no spaces)";
	if (n == 0 || n > HM_MEMPOOL_MAX_OBJS)
		return "object count (1 .. 2^26)";
	if (elt_size == 0 || elt_size > HM_MEMPOOL_MAX_ELT_SIZE)
		return "object size (1 B .. 64 MiB)";
	if (cache_size > HM_MEMPOOL_CACHE_MAX_SIZE)
		return "cache size (at most 512)";
	if ((uint64_t)cache_size * 3 > (uint64_t)n * 2)
		return "cache size (1.5 times it must not exceed the object count)";
	if (min_nr > n)
		return "reserve (above the object count)";
	if (flags & ~MEMPOOL_FLAGS)
		return "flags";
	/* Reclaim puts a dead process's objects into the ring from the service. */
	if ((flags & HM_MEMPOOL_OWNED) && (flags & HM_MEMPOOL_SP_PUT))
		return "flags (an owned pool has more than one producer: no HM_MEMPOOL_SP_PUT)";
	return NULL;
}

static unsigned int
gcd(unsigned int a, unsigned int b)
{
	while (b != 0) {
		unsigned int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * A stride of cache lines that is odd and shares no factor with the memory
 * channels (-n; 4 if not given): consecutive objects then start on every
 * channel in turn, as DPDK spreads them, and the inline put check can rotate
 * by a constant (hm_mempool_objs_valid_fast()).
 */
static uint32_t
spread_stride(uint32_t stride)
{
	unsigned int channels = hm_eal_memory_channels(), lines = stride / 64;

	if (channels == 0)
		channels = 4;
	while (gcd(lines, 2 * channels) != 1)
		lines++;
	return lines * 64;
}

/* The constants of hm_mempool_stride_index(). */
static void
stride_divisor(struct hm_mempool *mp)
{
	uint64_t odd = mp->stride, inv;

	mp->stride_rot = (uint32_t)__builtin_ctzll(odd);
	odd >>= mp->stride_rot;
	/* Newton's iteration doubles the correct low bits each step: 3, 6, .. 96. */
	inv = odd;
	for (int i = 0; i < 5; i++)
		inv *= 2 - odd * inv;
	HM_ASSERT(odd * inv == 1);
	mp->stride_inv = inv;
}

static void
free_blocks(struct hm_mempool *mp)
{
	struct mempool_priv *pv = mempool_priv(mp);

	for (uint32_t i = 0; i < mp->nb_chunks; i++)
		hm_buddy_free_exact((void *)(mp->chunks[i].first - pv->header_size),
				    pv->block_bytes[i], "mempool block");
	mp->nb_chunks = 0;
}

static void
add_chunk(struct hm_mempool *mp, void *block, uint64_t bytes, uint64_t cnt)
{
	struct mempool_priv *pv = mempool_priv(mp);

	mp->chunks[mp->nb_chunks].first = (uintptr_t)block + pv->header_size;
	mp->chunks[mp->nb_chunks].nb_objs = cnt;
	pv->block_bytes[mp->nb_chunks] = bytes;
	mp->nb_chunks++;
}

/*
 * The object memory: one exact run if the buddy has a block that holds it
 * all; else, for what is left, the block that holds it, or the next smaller
 * one when the larger would waste more than an eighth, or smaller still when
 * memory is fragmented.
 */
static int
alloc_blocks(struct hm_mempool *mp, int socket)
{
	struct mempool_priv *pv = mempool_priv(mp);
	const unsigned int min_order = hm_buddy_order_of(pv->header_size + (uint64_t)mp->stride);
	uint64_t left = mp->size;
	uint64_t whole = (uint64_t)pv->header_size + (uint64_t)mp->size * mp->stride;
	void *block;

	block = hm_buddy_alloc_exact_tagged(whole, socket, 0, HM_OWNER_NONE, PGF_MEMPOOL);
	if (block != NULL) {
		add_chunk(mp, block, whole, mp->size);
		return 0;
	}
	while (left > 0) {
		uint64_t need = (uint64_t)pv->header_size + left * mp->stride;
		unsigned int order = hm_buddy_order_of(need);

		if (order > HM_BUDDY_MAX_ORDER)
			order = HM_BUDDY_MAX_ORDER;
		uint64_t bytes, cnt;

		if (mp->nb_chunks == HM_MEMPOOL_MAX_CHUNKS)
			return -ENOMEM;
		if (order > min_order && ((uint64_t)HM_BUDDY_PAGE_SIZE << order) - need > need / 8)
			order--;
		for (;; order--) {
			block = hm_buddy_alloc_tagged(order, socket, 0, HM_OWNER_NONE, PGF_MEMPOOL);
			if (block != NULL || order == min_order)
				break;
		}
		if (block == NULL)
			return -ENOMEM;
		bytes = (uint64_t)HM_BUDDY_PAGE_SIZE << order;
		cnt = (bytes - pv->header_size) / mp->stride;
		/* The last object needs only its own bytes, not a whole stride. */
		if (pv->header_size + cnt * mp->stride + mp->elt_size <= bytes)
			cnt++;
		if (cnt > left)
			cnt = left;
		add_chunk(mp, block, bytes, cnt);
		left -= cnt;
	}
	return 0;
}

/* Blocks in address order, so objects are numbered and iterated that way. */
static void
sort_blocks(struct hm_mempool *mp)
{
	struct mempool_priv *pv = mempool_priv(mp);

	for (uint32_t i = 1; i < mp->nb_chunks; i++)
		for (uint32_t j = i; j > 0 && mp->chunks[j].first < mp->chunks[j - 1].first; j--) {
			struct hm_mempool_chunk c = mp->chunks[j];
			uint64_t bytes = pv->block_bytes[j];

			mp->chunks[j] = mp->chunks[j - 1];
			pv->block_bytes[j] = pv->block_bytes[j - 1];
			mp->chunks[j - 1] = c;
			pv->block_bytes[j - 1] = bytes;
		}
}

/*
 * The block the inline puts check against: the largest. Pointers into the
 * others take the slow path, whose check finds their block without a
 * branch that depends on it (objs_in_blocks()).
 */
static void
set_fast_block(struct hm_mempool *mp)
{
	uint32_t best = 0;

	if (mp->stride_rot != HM_MEMPOOL_FAST_ROT)
		return;
	for (uint32_t i = 1; i < mp->nb_chunks; i++)
		if (mp->chunks[i].nb_objs > mp->chunks[best].nb_objs)
			best = i;
	mp->fast_first = mp->chunks[best].first;
	mp->fast_nb_objs = mp->chunks[best].nb_objs;
}

/* Write every header, call the user's init, and put the objects in the reserve and the ring. */
static void
populate(struct hm_mempool *mp, hm_mempool_obj_cb_t *obj_init, void *arg)
{
	struct mempool_priv *pv = mempool_priv(mp);
	void *batch[64];
	unsigned int idx = 0, nb = 0;

	for (uint32_t i = 0; i < mp->nb_chunks; i++) {
		for (uint64_t k = 0; k < mp->chunks[i].nb_objs; k++, idx++) {
			void *obj = (void *)(mp->chunks[i].first + (uint64_t)k * mp->stride);
			struct hm_mempool_objhdr *h = hm_mempool_get_header(obj);

			h->pool = mp;
			h->iova = hm_virt2iova(obj);
			atomic_init(&h->state, OBJ_STATE_FREE);
			atomic_init(&h->owner, 0);
			if (obj_init != NULL)
				obj_init(mp, arg, obj, idx);
			if (idx < mp->min_nr) {
				pv->reserve[idx] = obj;
				continue;
			}
			batch[nb++] = obj;
			if (nb == HM_DIM(batch)) {
				hm_ring_enqueue_bulk(mp->ring, batch, nb, NULL);
				nb = 0;
			}
		}
	}
	if (nb != 0)
		hm_ring_enqueue_bulk(mp->ring, batch, nb, NULL);
	atomic_store(&pv->nr_res, mp->min_nr);
	HM_ASSERT(hm_ring_count(mp->ring) == mp->size - mp->min_nr);
}

static struct hm_mempool *
find_locked(const char *name)
{
	for (unsigned int i = 0; i < HM_MEMPOOL_MAX_POOLS; i++)
		if (table->pools[i] != NULL && strcmp(table->pools[i]->name, name) == 0)
			return table->pools[i];
	return NULL;
}

/* The pool structure, its caches and its ring, in one block. */
static struct hm_mempool *
alloc_pool(const char *name, unsigned int n, unsigned int cache_size, unsigned int min_nr,
	   int socket, unsigned int flags)
{
	uint64_t priv_off = HM_ALIGN_CEIL(sizeof(struct hm_mempool), 64);
	uint64_t cache_off = HM_ALIGN_CEIL(
	    priv_off + sizeof(struct mempool_priv) + (uint64_t)min_nr * sizeof(void *), 64);
	uint32_t flushthresh = cache_size * 3 / 2;
	uint64_t cache_bytes = sizeof(struct hm_mempool_cache) + flushthresh * sizeof(void *);
	unsigned int cache_shift = 6;
	uint64_t ring_off, total;
	ssize_t ring_size;
	unsigned int ring_flags = HM_RING_EXACT_SZ;
	struct hm_mempool *mp;

	while ((1ull << cache_shift) < cache_bytes)
		cache_shift++;
	ring_off = HM_ALIGN_CEIL(cache_off + ((uint64_t)HM_MAX_LCORE << cache_shift), 128);
	if (flags & HM_MEMPOOL_SP_PUT)
		ring_flags |= HM_RING_SP_ENQ;
	if (flags & HM_MEMPOOL_SC_GET)
		ring_flags |= HM_RING_SC_DEQ;
	ring_size = hm_ring_get_memsize(n, ring_flags);
	if (ring_size < 0)
		return NULL;
	total = ring_off + (uint64_t)ring_size;
	mp = hm_dma_alloc_tagged(total, 128, socket, HM_BUDDY_ZERO, HM_OWNER_NONE, PGF_MEMPOOL,
				 MEMPOOL);
	if (mp == NULL)
		return NULL;
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->flags = flags;
	mp->size = n;
	mp->cache_size = cache_size;
	/* Debug and owned pools keep object states: every call takes the slow path. */
	mp->cache_fast_max = (flags & MEMPOOL_SLOW_FLAGS) ? 0 : cache_size;
	mp->ring_fast_max = (flags & MEMPOOL_SLOW_FLAGS) ? 0 : n;
	mp->min_nr = min_nr;
	mp->socket = socket;
	mp->priv = (char *)mp + priv_off;
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		struct hm_mempool_cache *c =
		    (struct hm_mempool_cache *)(void *)((char *)mp + cache_off +
							((uint64_t)l << cache_shift));

		c->size = cache_size;
		c->flushthresh = flushthresh;
		mp->lcore_cache_off[l] = (uint32_t)((char *)c - (char *)mp);
	}
	put_slow_set(mp, 0); /* the reserve starts full */
	mp->ring = (struct hm_ring *)(void *)((char *)mp + ring_off);
	hm_ring_init(mp->ring, name, n, ring_flags);
	hm_mutex_init_shared(&mempool_priv(mp)->lock, false);
	return mp;
}

struct hm_mempool *
hm_mempool_create_pkt(const char *name, unsigned int n, unsigned int elt_size,
		      unsigned int cache_size, unsigned int min_nr, hm_mempool_obj_cb_t *obj_init,
		      void *obj_init_arg, int socket, unsigned int flags,
		      const struct mempool_pkt_args *pkt)
{
	const char *why = bad_create(name, n, elt_size, cache_size, min_nr, flags);
	struct hm_mempool *mp = NULL;
	unsigned int slot;
	uint32_t align;

	if (table == NULL) {
		errno = ENODEV;
		return NULL;
	}
	if (why != NULL) {
		HM_LOG(ERR, MEMPOOL, "create %.*s: bad %s (n %u, size %u, cache %u, reserve %u)",
		       HM_MEMPOOL_NAMESIZE, name ? name : "(null)", why, n, elt_size, cache_size,
		       min_nr);
		errno = EINVAL;
		return NULL;
	}
	hm_mutex_lock_shared(&table->lock, "mempool table");
	if (find_locked(name) != NULL) {
		HM_LOG(ERR, MEMPOOL, "create %s: a pool of that name exists", name);
		errno = EEXIST;
		goto out;
	}
	for (slot = 0; slot < HM_MEMPOOL_MAX_POOLS && table->pools[slot] != NULL; slot++)
		;
	if (slot == HM_MEMPOOL_MAX_POOLS) {
		HM_LOG(ERR, MEMPOOL, "create %s: all %u pools are in use", name,
		       HM_MEMPOOL_MAX_POOLS);
		errno = ENOSPC;
		goto out;
	}
	mp = alloc_pool(name, n, cache_size, min_nr, socket, flags);
	if (mp == NULL) {
		HM_LOG(ERR, MEMPOOL, "create %s: no memory for the pool's caches and ring", name);
		errno = ENOMEM;
		goto out;
	}
	align = (flags & HM_MEMPOOL_NO_CACHE_ALIGN) ? 8 : 64;
	mempool_priv(mp)->header_size =
	    (uint32_t)HM_ALIGN_CEIL(sizeof(struct hm_mempool_objhdr), align);
	mp->elt_size = elt_size;
	mp->stride = (uint32_t)HM_ALIGN_CEIL(
	    (uint64_t)mempool_priv(mp)->header_size + HM_ALIGN_CEIL(elt_size, align), align);
	if (align == 64)
		mp->stride = spread_stride(mp->stride);
	stride_divisor(mp);
	if (pkt != NULL) {
		mp->pktbuf_priv_size = pkt->priv_size;
		mp->pktbuf_data_room = pkt->data_room;
	}
	if (alloc_blocks(mp, socket) < 0) {
		HM_LOG(ERR, MEMPOOL,
		       "create %s: no memory for %u objects of %u B in %u blocks on socket %d",
		       name, n, mp->stride, HM_MEMPOOL_MAX_CHUNKS, socket);
		free_blocks(mp);
		hm_buddy_free_block_of(mp, "mempool", false);
		mp = NULL;
		errno = ENOMEM;
		goto out;
	}
	sort_blocks(mp);
	set_fast_block(mp);
	populate(mp, obj_init, obj_init_arg);
	mp->magic = HM_MEMPOOL_MAGIC;
	table->pools[slot] = mp;
	HM_LOG(DEBUG, MEMPOOL,
	       "pool %s: %u objects of %u B (stride %u) in %u blocks, cache %u, "
	       "reserve %u",
	       name, n, elt_size, mp->stride, mp->nb_chunks, cache_size, min_nr);
out:
	pthread_mutex_unlock(&table->lock);
	return mp;
}

struct hm_mempool *
hm_mempool_create(const char *name, unsigned int n, unsigned int elt_size, unsigned int cache_size,
		  unsigned int min_nr, hm_mempool_obj_cb_t *obj_init, void *obj_init_arg,
		  int socket, unsigned int flags)
{
	return hm_mempool_create_pkt(name, n, elt_size, cache_size, min_nr, obj_init, obj_init_arg,
				     socket, flags, NULL);
}

struct hm_mempool *
hm_mempool_lookup(const char *name)
{
	struct hm_mempool *mp;

	if (table == NULL || !name_ok(name)) {
		errno = table == NULL ? ENODEV : EINVAL;
		return NULL;
	}
	hm_mutex_lock_shared(&table->lock, "mempool table");
	mp = find_locked(name);
	pthread_mutex_unlock(&table->lock);
	if (mp == NULL)
		errno = ENOENT;
	return mp;
}

int
hm_mempool_free(struct hm_mempool *mp)
{
	unsigned int slot, in_use;

	if (mp == NULL)
		return 0;
	if (table == NULL)
		return -ENODEV;
	hm_mutex_lock_shared(&table->lock, "mempool table");
	for (slot = 0; slot < HM_MEMPOOL_MAX_POOLS && table->pools[slot] != mp; slot++)
		;
	if (slot == HM_MEMPOOL_MAX_POOLS) {
		pthread_mutex_unlock(&table->lock);
		HM_LOG(ERR, MEMPOOL, "free %p: not a pool", (void *)mp);
		return -EINVAL;
	}
	in_use = hm_mempool_in_use_count(mp);
	if (in_use != 0) {
		pthread_mutex_unlock(&table->lock);
		HM_LOG(ERR, MEMPOOL, "free %s: %u of %u objects are still out", mp->name, in_use,
		       mp->size);
		return -EBUSY;
	}
	table->pools[slot] = NULL;
	mp->magic = 0;
	pthread_mutex_unlock(&table->lock);
	free_blocks(mp);
	return hm_buddy_free_block_of(mp, "mempool free", false);
}

int
hm_mempool_walk(int (*fn)(struct hm_mempool *mp, void *arg), void *arg)
{
	int ret = 0;

	if (table == NULL || fn == NULL)
		return -EINVAL;
	hm_mutex_lock_shared(&table->lock, "mempool table");
	for (unsigned int i = 0; i < HM_MEMPOOL_MAX_POOLS && ret == 0; i++)
		if (table->pools[i] != NULL)
			ret = fn(table->pools[i], arg);
	pthread_mutex_unlock(&table->lock);
	return ret;
}

/* ---------------------------------------------------- init and cleanup */

static int
flush_lcores(struct hm_mempool *mp, void *arg)
{
	const struct hm_eal_config *cfg = arg;

	for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
		if (cfg->lcores[l].enabled)
			hm_mempool_cache_flush(mp, l);
	return 0;
}

int
hm_mempool_subsys_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	(void)cfg;
	table = NULL;
	if (type == HM_PROC_PRIMARY) {
		struct mempool_table *t = hm_shared_zalloc(sizeof(*t), 64);

		if (t == NULL)
			return -ENOMEM;
		hm_mutex_init_shared(&t->lock, false);
		hm_shared_state_set(HM_SUBSYS_MEMPOOL, t);
		table = t;
		return 0;
	}
	table = hm_shared_state_get(HM_SUBSYS_MEMPOOL);
	if (table == NULL) {
		HM_LOG(ERR, MEMPOOL, "the primary published no mempool table");
		return -EPROTO;
	}
	return 0;
}

void
hm_mempool_subsys_cleanup(enum hm_proc_type type)
{
	/* Objects cached for this process's lcores go back for the others. */
	if (table != NULL && type == HM_PROC_SECONDARY)
		hm_mempool_walk(flush_lcores, (void *)hm_eal_get_config());
	table = NULL;
}
