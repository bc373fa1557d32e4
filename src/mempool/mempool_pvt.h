/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_MEMPOOL_PVT_H
#define HM_MEMPOOL_PVT_H

/*
 * Mempools' private state. Not installed.
 *
 * A pool is two kinds of buddy blocks, all PGF_MEMPOOL and owned by no
 * process: one for the pool itself,
 *
 *   [struct hm_mempool][struct mempool_priv + reserve slots]
 *   [HM_MAX_LCORE caches, 1 << cache_shift bytes each][the ring of free objects]
 *
 * and the object memory: one run of exactly the pages needed (the buddy's
 * alloc_pages_exact), or when memory is too fragmented for that, up to
 * HM_MEMPOOL_MAX_CHUNKS blocks. One block keeps the put check to one range
 * and one divisibility test per object. In an object block,
 * object k starts header_size + k * stride bytes in, and its struct
 * hm_mempool_objhdr is the 32 bytes before it.
 *
 * Invariants (hm_mempool_audit checks them):
 *  - every object is in exactly one of: the ring, one lcore cache, the
 *    reserve, or handed out;
 *  - the ring, caches and reserve hold only objects of the pool;
 *  - a cache holds at most flushthresh objects, the reserve at most min_nr;
 *  - every header names the pool and the object's IOVA; in a debug pool it
 *    says free for exactly the free objects; in an owned pool exactly the
 *    free objects have owner 0;
 *  - put_slow has RESERVE_SHORT set whenever the reserve holds fewer than
 *    min_nr (it may be set while it is full, for an instant);
 *  - put_slow's waiter bits are the sum of the waiters[] of mempool_priv;
 *  - put_cache_max and put_ring_max are 0 while put_slow is not, else
 *    cache_fast_max and ring_fast_max (all three change under the reserve
 *    lock).
 *
 * Locking: the table lock (create, free, lookup, walk) comes before the
 * reserve lock. The ring is lock-free; an lcore cache is written only by its
 * lcore's thread, or by a flush while that lcore is idle.
 */

#include <pthread.h>
#include <stdatomic.h>

#include <hugemem/mempool.h>

#include "buddy_pvt.h"
#include "eal_pvt.h"

#define MEMPOOL "mempool"

#define HM_MEMPOOL_MAGIC 0x4c4f4f504d454d48ULL /* "HMEMPOOL" */

/* Object states in the header of a debug pool's objects. */
#define OBJ_STATE_FREE	0x4545524645455246ULL /* "FREEFREE" */
#define OBJ_STATE_INUSE 0x4553554e49535355ULL /* "USSINUSE" */

/* put_slow bits. */
#define PUT_SLOW_RESERVE_SHORT 0x80000000u
#define PUT_SLOW_WAITERS       0x7fffffffu

#define MEMPOOL_FLAGS                                                                              \
	(HM_MEMPOOL_SP_PUT | HM_MEMPOOL_SC_GET | HM_MEMPOOL_NO_CACHE_ALIGN | HM_MEMPOOL_DEBUG |    \
	 HM_MEMPOOL_OWNED)

/* Flags whose gets and puts all take the out-of-line path. */
#define MEMPOOL_SLOW_FLAGS (HM_MEMPOOL_DEBUG | HM_MEMPOOL_OWNED)

/* The inline puts' limits for a value of put_slow: none while it is set. */
static inline uint32_t
put_cache_limit(const struct hm_mempool *mp, uint32_t slow)
{
	return slow ? 0 : mp->cache_fast_max;
}

static inline uint32_t
put_ring_limit(const struct hm_mempool *mp, uint32_t slow)
{
	return slow ? 0 : mp->ring_fast_max;
}

struct mempool_priv {
	pthread_mutex_t lock;			     /* the reserve */
	_Atomic uint32_t nr_res;		     /* objects in the reserve */
	uint32_t header_size;			     /* from a block to its first object */
	uint64_t block_bytes[HM_MEMPOOL_MAX_CHUNKS]; /* for hm_buddy_free_exact() */
	/* Threads waiting in hm_mempool_alloc(), by process: [0] for a process
	 * with no slot in the process table, [slot + 1] else. Under the lock;
	 * put_slow's waiter bits are their sum, so that what a dead process's
	 * waiters counted can be taken off, and put_slow rebuilt after a death
	 * inside the lock. */
	uint32_t waiters[HM_MAX_PROCS + 1];
	void *reserve[]; /* min_nr slots */
};

/* Extra settings of a packet pool, set before the pool is published. */
struct mempool_pkt_args {
	uint32_t priv_size;
	uint32_t data_room;
};

/*
 * The variants of the out-of-line bulk copies (mempool_vec.c). The ifuncs
 * take the best the CPU has; tests run each one it can.
 */
typedef bool mempool_put_copy_fn(const struct hm_mempool *mp, void **dst, void *const *src,
				 unsigned int n);
typedef bool mempool_objs_valid_fn(const struct hm_mempool *mp, void *const *src, unsigned int n);
typedef void mempool_copy_fn(void **dst, void *const *src, unsigned int n);

struct mempool_vec_impl {
	const char *name;
	mempool_put_copy_fn *put_copy;
	mempool_objs_valid_fn *objs_valid;
	mempool_copy_fn *copy;
};

/* @return the number of variants, those the CPU cannot run included. */
unsigned int mempool_vec_nb_impls(void);
/* @return variant i (0: the best) if the CPU runs it, else NULL. */
const struct mempool_vec_impl *mempool_vec_impl(unsigned int i);
/* @return the name of the variant the ifuncs picked. */
const char *mempool_vec_impl_name(void);

static inline struct mempool_priv *
mempool_priv(const struct hm_mempool *mp)
{
	return (struct mempool_priv *)mp->priv;
}

/* mempool.c */
int hm_mempool_subsys_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_mempool_subsys_cleanup(enum hm_proc_type type);
struct hm_mempool *hm_mempool_create_pkt(const char *name, unsigned int n, unsigned int elt_size,
					 unsigned int cache_size, unsigned int min_nr,
					 hm_mempool_obj_cb_t *obj_init, void *obj_init_arg,
					 int socket, unsigned int flags,
					 const struct mempool_pkt_args *pkt);
bool hm_mempool_is_pool(const struct hm_mempool *mp);
/* The index of an object of mp, or -1. */
long hm_mempool_obj_index(const struct hm_mempool *mp, const void *obj);

#endif /* HM_MEMPOOL_PVT_H */
