/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_MEMPOOL_H
#define HUGEMEM_MEMPOOL_H

/**
 * @file
 * Mempools: named pools of fixed-size objects, and pools of packet buffers.
 *
 * A mempool holds a fixed number of objects of one size, carved from buddy
 * blocks (see buddy.h) when it is created: every object lies inside one
 * block, so it is contiguous in IOVA, and its IOVA is kept in its header,
 * just before the object (hm_mempool_obj_iova()). An optional callback
 * initialises every object once, at creation.
 *
 * Free objects wait in one of three places: the pool's ring (ring.h),
 * shared by every process; the cache of an lcore (up to 512 objects per
 * lcore, chosen at creation); or the reserve. hm_mempool_get_bulk() and
 * hm_mempool_put_bulk() on an lcore take from and give to that lcore's cache
 * and touch the ring only when the cache runs empty (it is refilled to its
 * size) or over 1.5 times its size (it is flushed back to its size, oldest
 * objects first). Threads that are not lcores use the ring directly. Gets and
 * puts of n objects are all or nothing.
 *
 * The reserve, as the kernel's mempool_t: min_nr objects, set aside at
 * creation, that ordinary gets never take. hm_mempool_alloc() tries an
 * ordinary get, then the reserve, then (HM_MEMPOOL_WAIT) polls until an
 * object is put back. While the reserve is short or someone waits, puts
 * refill the reserve first and send the rest to the ring, where a waiter
 * finds them.
 *
 * Every put is checked: an object of another pool or a pointer that is no
 * object of this pool (not on an object boundary of one of its blocks) is
 * refused with -EINVAL and nothing of that call is put, so the counts stay
 * exact. The check reads only the pool, never the object: a multiply, a
 * rotate and a compare per object. A pool created
 * with HM_MEMPOOL_DEBUG also keeps each object's state in its header and
 * refuses a second put of an object.
 *
 * Pools are found by name from every attached process, and their objects may
 * be got in one process and put in another. The object callback is called in
 * the creating process only.
 *
 * Packet-buffer pools (hm_pktpool_create()) hold struct hm_pktbuf: what a
 * NIC poll-mode driver needs to receive into and transmit from a buffer.
 */

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <hugemem/buddy.h>
#include <hugemem/eal.h>
#include <hugemem/memory.h>
#include <hugemem/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest pool name, with its NUL. */
#define HM_MEMPOOL_NAMESIZE 32
/** Most pools. */
#define HM_MEMPOOL_MAX_POOLS 128
/** Largest per-lcore cache. */
#define HM_MEMPOOL_CACHE_MAX_SIZE 512
/** Most objects in a pool. */
#define HM_MEMPOOL_MAX_OBJS (1u << 26)
/** Largest object. */
#define HM_MEMPOOL_MAX_ELT_SIZE (64u << 20)
/** Most buddy blocks the objects of a pool are carved from. */
#define HM_MEMPOOL_MAX_CHUNKS 32

/** Creation flags. */
#define HM_MEMPOOL_SP_PUT	  0x1u /**< the ring has one producer thread at a time */
#define HM_MEMPOOL_SC_GET	  0x2u /**< the ring has one consumer thread at a time */
#define HM_MEMPOOL_NO_CACHE_ALIGN 0x4u /**< objects aligned to 8 bytes, not to a cache line */
#define HM_MEMPOOL_DEBUG	  0x8u /**< per-object state: double puts are refused */
/**
 * Each object remembers the process that took it, so that when a process
 * dies the primary's service puts back the objects it held. Gets and puts
 * of such a pool take the out-of-line path, and a double put is refused.
 * An object handed to another process (through a ring, say) stays the
 * taker's until the receiver calls hm_mempool_obj_adopt(). Not with
 * HM_MEMPOOL_SP_PUT: the service is a second producer of the ring.
 */
#define HM_MEMPOOL_OWNED 0x10u

/** hm_mempool_alloc() flags. */
#define HM_MEMPOOL_NOWAIT 0x0u /**< fail when the pool and its reserve are empty */
#define HM_MEMPOOL_WAIT	  0x1u /**< poll until an object comes back */

/**
 * The header before each object. Read-only for users: the pool and the
 * object's IOVA.
 */
struct hm_mempool_objhdr {
	struct hm_mempool *pool; /**< the pool the object belongs to */
	hm_iova_t iova;		 /**< IOVA of the object's first byte */
	_Atomic uint64_t state;	 /**< @internal HM_MEMPOOL_DEBUG pools: free or in use */
	_Atomic uint64_t owner;	 /**< @internal HM_MEMPOOL_OWNED pools: the taker, 0 if free */
};

/** @internal Statistics of one lcore; written only by that lcore. */
struct hm_mempool_lcore_stats {
	_Atomic uint64_t get_cached;   /* objects got from the lcore cache */
	_Atomic uint64_t get_other;    /* objects got from the ring or the reserve */
	_Atomic uint64_t get_fail;     /* get calls that failed */
	_Atomic uint64_t put_cached;   /* objects put into the lcore cache */
	_Atomic uint64_t put_other;    /* objects put into the ring or the reserve */
	_Atomic uint64_t put_refused;  /* put calls refused (bad objects) */
	_Atomic uint64_t reserve_gets; /* objects got from the reserve */
};

/** @internal The per-lcore cache: a stack of free objects. */
struct hm_mempool_cache {
	_Atomic uint32_t len; /* objects in objs[]; written only by the lcore */
	uint32_t size;	      /* refill target */
	uint32_t flushthresh; /* flush above this */
	uint32_t pad;
	struct hm_mempool_lcore_stats stats;
	void *objs[] __attribute__((aligned(64)));
};

/** @internal A block the objects are carved from. */
struct hm_mempool_chunk {
	uintptr_t first;  /* address of the first object */
	uint64_t nb_objs; /* objects in the block */
};

/** A mempool. Fields are read-only for users. */
struct hm_mempool {
	/* The first cache line holds everything the inline paths read but
	 * their lcore's entry of lcore_cache_off[]. */
	uint32_t flags;		 /**< HM_MEMPOOL_* given at creation */
	uint32_t cache_fast_max; /**< @internal largest n of inline gets from the cache, 0: none */
	/** @internal Largest n of the inline puts to the cache: cache_fast_max,
	 * or 0 while put_slow is not. Written only when that changes, so the
	 * line stays shared in every lcore's cache. */
	_Atomic uint32_t put_cache_max;
	uint32_t stride_rot;	/**< @internal trailing zero bits of the stride */
	struct hm_ring *ring;	/**< @internal the shared free objects */
	uintptr_t fast_first;	/**< @internal first object of the pool's largest block */
	uint64_t fast_nb_objs;	/**< @internal its objects; 0: stride not odd lines */
	uint64_t stride_inv;	/**< @internal inverse of the stride's odd part, mod 2^64 */
	uint32_t ring_fast_max; /**< @internal largest n of the inline gets from the ring */
	/** @internal Largest n of the inline puts to the ring: ring_fast_max, or
	 * 0 while put_slow is not. */
	_Atomic uint32_t put_ring_max;

	/** @internal Where each lcore's cache is, in bytes from the pool:
	 * one load and an add for the inline calls; read-only after creation.
	 * Offsets, not pointers: in a pool of zeroes (a pointer to something
	 * else) every lcore's cache is the pool itself, which the inline calls
	 * never touch, since its zero limits send them to the slow path, which
	 * refuses the pool. */
	uint32_t lcore_cache_off[HM_MAX_LCORE] __attribute__((aligned(64)));

	char name[HM_MEMPOOL_NAMESIZE];
	/** @internal Puts take the slow path while non-zero: bit 31, the reserve
	 * is short; bits 0-30, threads waiting in hm_mempool_alloc(). Changed
	 * under the reserve lock, with put_cache_max and put_ring_max. */
	_Atomic uint32_t put_slow;
	uint32_t pad0;
	uint64_t magic;		   /**< @internal HM_MEMPOOL_MAGIC while live */
	uint32_t nb_chunks;	   /**< @internal */
	uint32_t stride;	   /**< bytes from one object to the next */
	uint32_t size;		   /**< objects in the pool */
	uint32_t elt_size;	   /**< object size as created */
	uint32_t cache_size;	   /**< per-lcore cache size */
	uint32_t min_nr;	   /**< objects in the full reserve */
	int32_t socket;		   /**< socket of the memory, HM_SOCKET_ID_ANY if any */
	uint32_t pktbuf_priv_size; /**< packet pools: private bytes after struct hm_pktbuf */
	uint32_t pktbuf_data_room; /**< packet pools: buffer bytes, headroom included */
	uint32_t pad;

	struct hm_mempool_chunk chunks[HM_MEMPOOL_MAX_CHUNKS]; /**< @internal */

	void *priv; /**< @internal the reserve, the blocks */
	struct hm_mempool_lcore_stats other_stats
	    __attribute__((aligned(64))); /**< @internal threads without an lcore */
} __attribute__((aligned(64)));

/**
 * Called once per object at creation.
 *
 * @param mp  the pool
 * @param arg the obj_init_arg given to hm_mempool_create()
 * @param obj the object
 * @param idx its index, 0 .. size - 1
 */
typedef void(hm_mempool_obj_cb_t)(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx);

/**
 * Create a pool of n objects of elt_size bytes.
 *
 * @param name         unique name, printable, no spaces
 * @param n            objects, 1 .. HM_MEMPOOL_MAX_OBJS
 * @param elt_size     bytes per object, 1 .. HM_MEMPOOL_MAX_ELT_SIZE
 * @param cache_size   per-lcore cache, 0 .. HM_MEMPOOL_CACHE_MAX_SIZE, and
 *                     1.5 * cache_size <= n
 * @param min_nr       objects of the reserve, 0 .. n
 * @param obj_init     called for every object, or NULL
 * @param obj_init_arg its argument
 * @param socket       NUMA socket of the memory, or HM_SOCKET_ID_ANY
 * @param flags        HM_MEMPOOL_*
 * @return the pool, or NULL with errno: EINVAL (bad argument), EEXIST (the
 *   name is taken), ENOSPC (HM_MEMPOOL_MAX_POOLS pools exist), ENOMEM (no
 *   memory for the objects in HM_MEMPOOL_MAX_CHUNKS blocks), ENODEV
 *   (hugemem is not initialised).
 */
struct hm_mempool *hm_mempool_create(const char *name, unsigned int n, unsigned int elt_size,
				     unsigned int cache_size, unsigned int min_nr,
				     hm_mempool_obj_cb_t *obj_init, void *obj_init_arg, int socket,
				     unsigned int flags);

/**
 * @return the named pool, or NULL with errno ENOENT, EINVAL (bad name) or
 *   ENODEV.
 */
struct hm_mempool *hm_mempool_lookup(const char *name);

/**
 * Destroy a pool whose objects are all back (in the ring, a cache or the
 * reserve). NULL is ignored.
 *
 * @return 0, -EINVAL (not a pool), -EBUSY (objects are out; nothing is freed).
 */
int hm_mempool_free(struct hm_mempool *mp);

/**
 * @return the free objects: in the ring, the lcore caches and the reserve.
 *   A snapshot while other threads use the pool.
 */
unsigned int hm_mempool_avail_count(const struct hm_mempool *mp);

/** @return the objects handed out: size - hm_mempool_avail_count(). */
unsigned int hm_mempool_in_use_count(const struct hm_mempool *mp);

/** @return the objects in the reserve. */
unsigned int hm_mempool_reserve_count(const struct hm_mempool *mp);

/**
 * Check that every object is in exactly one place: the ring, one lcore
 * cache, the reserve, or handed out; that every free pointer is an object
 * of this pool; and that every header names the pool and the object's IOVA.
 * Each fault is logged. Exact only while no other thread uses the pool.
 *
 * @param in_use if not NULL, the objects found handed out
 * @return 0, -EFAULT if a fault was found, -EINVAL, -ENOMEM.
 */
int hm_mempool_audit(const struct hm_mempool *mp, unsigned int *in_use);

/**
 * Call fn for every object of the pool, free or not, in address order.
 *
 * @return the number of objects, or -EINVAL.
 */
int hm_mempool_obj_iter(struct hm_mempool *mp, hm_mempool_obj_cb_t *fn, void *arg);

/**
 * Make objects of an HM_MEMPOOL_OWNED pool this process's, after another
 * process handed them over, so that they come back if this one dies and
 * stay out if the giver dies. A no-op for other pools.
 *
 * @return 0, or -EINVAL (bad arguments, an object not of mp or not in use):
 *   then nothing changes.
 */
int hm_mempool_obj_adopt(struct hm_mempool *mp, void *const *obj_table, unsigned int n);

/**
 * Put back every object of every HM_MEMPOOL_OWNED pool that the process of
 * owner tag `owner` held. Called by the service when a process is gone.
 *
 * @return the objects put back.
 */
uint64_t hm_mempool_reclaim_owner(uint64_t owner);

/**
 * Forget the threads of the process of table slot `slot` that were waiting
 * in hm_mempool_alloc() when it died, in every pool: puts that refilled the
 * reserve for them go fast again. Called by the service when a process
 * died; never for a live one.
 *
 * @return the waiters forgotten.
 */
uint64_t hm_mempool_reclaim_waiters(unsigned int slot);

/** @return the objects of HM_MEMPOOL_OWNED pools that owner tag `owner` holds; a snapshot. */
uint64_t hm_mempool_owner_count(uint64_t owner);

/** Statistics of a pool, for one lcore or summed. */
struct hm_mempool_stats {
	uint64_t gets;	       /**< objects handed out */
	uint64_t puts;	       /**< objects given back */
	uint64_t get_fails;    /**< get calls that failed */
	uint64_t cache_hits;   /**< objects handed out from the lcore cache */
	uint64_t put_refused;  /**< put calls refused (objects of no or another pool) */
	uint64_t reserve_gets; /**< objects handed out from the reserve */
};

/**
 * Read statistics: of one lcore, of the threads that are not lcores
 * (HM_LCORE_ID_ANY), or of everything (lcore HM_MAX_LCORE).
 *
 * @return 0, or -EINVAL.
 */
int hm_mempool_stats_get(const struct hm_mempool *mp, unsigned int lcore,
			 struct hm_mempool_stats *st);

/** @return the objects in an lcore's cache, 0 for a bad lcore. */
unsigned int hm_mempool_cache_count(const struct hm_mempool *mp, unsigned int lcore);

/**
 * Give the objects in an lcore's cache back to the ring. Only while that
 * lcore does not use the pool (its thread calling, or its process gone).
 */
void hm_mempool_cache_flush(struct hm_mempool *mp, unsigned int lcore);

/**
 * Call fn for each pool under the table lock (fn must not create or free
 * pools). Stops at a non-zero return, which it returns.
 */
int hm_mempool_walk(int (*fn)(struct hm_mempool *mp, void *arg), void *arg);

/** Print the pool's state, counts and statistics to f. */
void hm_mempool_dump(FILE *f, const struct hm_mempool *mp);

/**
 * Get one object the kernel's way: an ordinary get, then the reserve, then
 * with HM_MEMPOOL_WAIT poll until an object comes back.
 *
 * @param timeout_ns with HM_MEMPOOL_WAIT, give up after this long; 0 waits
 *   for ever
 * @return 0, -ENOENT (nothing free and no waiting), -ETIMEDOUT, -EINVAL.
 */
int hm_mempool_alloc(struct hm_mempool *mp, void **obj, unsigned int flags, uint64_t timeout_ns);

/** @internal The paths the inline functions leave to. */
int hm_mempool_get_slow(struct hm_mempool *mp, void **obj_table, unsigned int n);
int hm_mempool_put_slow(struct hm_mempool *mp, void *const *obj_table, unsigned int n);

/* ----------------------------------------------------------------- inline */

/** @return the header of an object of a pool. */
static inline struct hm_mempool_objhdr *
hm_mempool_get_header(void *obj)
{
	return (struct hm_mempool_objhdr *)obj - 1;
}

/** @return the IOVA of an object of a pool. */
static inline hm_iova_t
hm_mempool_obj_iova(const void *obj)
{
	return ((const struct hm_mempool_objhdr *)obj - 1)->iova;
}

/** @return the pool an object of a pool belongs to (read from its header). */
static inline struct hm_mempool *
hm_mempool_obj_pool(const void *obj)
{
	return ((const struct hm_mempool_objhdr *)obj - 1)->pool;
}

/**
 * @internal Object index of a byte offset from a block's first object, if
 * the offset is a multiple of the stride; otherwise a number above
 * UINT64_MAX / stride. For stride = odd << rot this is the offset times the
 * inverse of odd mod 2^64, rotated right by rot (the Granlund-Montgomery
 * divisibility test): the rotation moves bits that a multiple of 2^rot would
 * not have to the top. So one compare, index < objects in the block, tests
 * both that the pointer is inside the block and that it is on a boundary.
 */
static inline uint64_t
hm_mempool_stride_index(const struct hm_mempool *mp, uint64_t off)
{
	const uint32_t rot = mp->stride_rot;
	uint64_t q = off * mp->stride_inv;

	return (q >> rot) | (q << ((64 - rot) & 63));
}

/**
 * Whether obj is an object of mp: inside one of its blocks, on an object
 * boundary. The blocks are in address order, so the one obj can be in is
 * the last that starts at or below it, a count of compares with no branch
 * per block; then a subtraction, a multiply, a rotate and a compare against
 * that block. A pointer below the first block fails the test against it,
 * which is exact for every offset. No load from obj.
 */
static inline bool
hm_mempool_obj_valid(const struct hm_mempool *mp, const void *obj)
{
	const uintptr_t p = (uintptr_t)obj;
	uint32_t k = 0;

	for (uint32_t b = 1; b < mp->nb_chunks; b++)
		k += p >= mp->chunks[b].first;
	return hm_mempool_stride_index(mp, p - mp->chunks[k].first) < mp->chunks[k].nb_objs;
}

/**
 * @internal The trailing zero bits of the stride of the pools the fast check
 * serves: strides of an odd number of 64-byte lines.
 */
#define HM_MEMPOOL_FAST_ROT 6

/**
 * @internal Whether pointer p passes the fast check: it is an object of the
 * block of nb objects from first (hm_mempool_stride_index() with the rotate
 * by the constant HM_MEMPOOL_FAST_ROT).
 */
static inline __attribute__((always_inline)) bool
hm_mempool_fast_ok(uint64_t first, uint64_t nb, uint64_t inv, const void *p)
{
	uint64_t q = ((uint64_t)(uintptr_t)p - first) * inv;

	return ((q >> HM_MEMPOOL_FAST_ROT) | (q << (64 - HM_MEMPOOL_FAST_ROT))) < nb;
}

/**
 * @internal The check of the inline put: whether every one of n pointers is
 * an object of mp, without a branch per object (a count of the good ones,
 * which compiles to a compare and an add with carry). Only objects of the
 * pool's largest block, in pools whose stride is an odd number of cache
 * lines (every cache-aligned pool), pass it; their rotate is by the
 * constant HM_MEMPOOL_FAST_ROT. For other pools fast_nb_objs is 0 and the check fails. When
 * it fails, the slow path makes the exact one, over every block. If dst is
 * not NULL, the pointers are also copied there, whether they pass or not,
 * in the same pass.
 */
static inline __attribute__((always_inline)) bool
hm_mempool_check_copy_fast(const struct hm_mempool *mp, void **dst, void *const *obj_table,
			   unsigned int n)
{
	const uint64_t first = mp->fast_first, nb = mp->fast_nb_objs, inv = mp->stride_inv;
	size_t good = 0, i = 0;

	for (; i + 4 <= n; i += 4) {
		void *p0 = obj_table[i], *p1 = obj_table[i + 1];
		void *p2 = obj_table[i + 2], *p3 = obj_table[i + 3];

		good += hm_mempool_fast_ok(first, nb, inv, p0);
		good += hm_mempool_fast_ok(first, nb, inv, p1);
		good += hm_mempool_fast_ok(first, nb, inv, p2);
		good += hm_mempool_fast_ok(first, nb, inv, p3);
		/* Copied in pairs, as hm_copy_ptrs() copies: a get's 16-byte
		 * loads of these slots can then take their data from these
		 * stores, which a load over two stores cannot. */
		if (dst != NULL) {
			__builtin_memcpy(&dst[i], &obj_table[i], 2 * sizeof(void *));
			__builtin_memcpy(&dst[i + 2], &obj_table[i + 2], 2 * sizeof(void *));
		}
	}
	for (; i < n; i++) {
		void *p = obj_table[i];

		good += hm_mempool_fast_ok(first, nb, inv, p);
		if (dst != NULL)
			dst[i] = p;
	}
	return good == n;
}

/** @internal hm_mempool_check_copy_fast() without the copy. */
static inline __attribute__((always_inline)) bool
hm_mempool_objs_valid_fast(const struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	return hm_mempool_check_copy_fast(mp, NULL, obj_table, n);
}

/** @internal Bulks from this many objects take the out-of-line copies. */
#define HM_MEMPOOL_VEC_MIN 8

/**
 * @internal Copy n pointers to dst if every one is an object of the pool's
 * largest block (as hm_mempool_objs_valid_fast()); dst may be written even
 * when one is not. @return whether all are.
 */
bool hm_mempool_put_copy(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n);

/**
 * @internal hm_mempool_objs_valid_fast() for bulks of HM_MEMPOOL_VEC_MIN
 * and more: eight pointers per instruction where the CPU can.
 */
bool hm_mempool_objs_valid(const struct hm_mempool *mp, void *const *obj_table, unsigned int n);

/** @internal Copy n pointers. */
void hm_mempool_copy(void **dst, void *const *src, unsigned int n);

/** @internal The calling lcore's cache. */
static inline struct hm_mempool_cache *
hm_mempool_cache_of(const struct hm_mempool *mp, unsigned int lcore)
{
	return (struct hm_mempool_cache *)(void *)((char *)(uintptr_t)mp +
						   mp->lcore_cache_off[lcore]);
}

/* @internal Clang says ThreadSanitizer by __has_feature, not __SANITIZE_THREAD__. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HM_MEMPOOL_CLANG_TSAN_ 1
#endif
#endif
#ifndef HM_MEMPOOL_CLANG_TSAN_
#define HM_MEMPOOL_CLANG_TSAN_ 0
#endif

/**
 * @internal Add to a counter only the calling lcore writes, which other
 * threads read with atomic loads. On x86-64 one add to memory, without a
 * lock, as the kernel's this_cpu_add(): its store is a single aligned
 * 8-byte write, which a reader sees whole, and no other thread writes the
 * counter, so nothing is lost. Elsewhere (and under ThreadSanitizer, which
 * does not see inside asm) a relaxed load and store, which compilers keep
 * apart: three instructions.
 */
static inline __attribute__((always_inline)) void
hm_mempool_stat_add(_Atomic uint64_t *c, uint64_t v)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !HM_MEMPOOL_CLANG_TSAN_
	__asm__("addq %1, %0" : "+m"(*(uint64_t *)c) : "er"(v) : "cc");
#else
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
#endif
}

/**
 * Get n objects, all or none.
 *
 * @param mp        the pool
 * @param obj_table room for n pointers
 * @param n         1 .. pool size
 * @return 0, -ENOENT (fewer than n free where this lcore can take them),
 *   -EINVAL (NULL pool or table, n 0 or above the pool size).
 */
static inline __attribute__((always_inline)) int
hm_mempool_get_bulk(struct hm_mempool *mp, void **obj_table, unsigned int n)
{
	const unsigned int lcore = hm_this_lcore_;
	struct hm_mempool_cache *c;
	uint32_t len;

	if (__builtin_expect(mp == NULL || obj_table == NULL || lcore >= HM_MAX_LCORE, 0))
		return hm_mempool_get_slow(mp, obj_table, n);
	c = hm_mempool_cache_of(mp, lcore);
	if (__builtin_expect(n - 1 >= mp->cache_fast_max, 0)) {
		/* No cache, or more than it holds: straight to the ring. */
		if (n - 1 >= mp->ring_fast_max ||
		    hm_ring_dequeue_bulk(mp->ring, obj_table, n, NULL) != n)
			return hm_mempool_get_slow(mp, obj_table, n);
		hm_mempool_stat_add(&c->stats.get_other, n);
		return 0;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (__builtin_expect(n > len, 0))
		return hm_mempool_get_slow(mp, obj_table, n);
	len -= n;
	if (n == 1)
		obj_table[0] = c->objs[len];
	else if (n >= HM_MEMPOOL_VEC_MIN)
		hm_mempool_copy(obj_table, &c->objs[len], n);
	else
		hm_copy_ptrs(obj_table, &c->objs[len], n);
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
	hm_mempool_stat_add(&c->stats.get_cached, n);
	return 0;
}

/** Get one object. @return 0, -ENOENT, -EINVAL (as hm_mempool_get_bulk()). */
static inline __attribute__((always_inline)) int
hm_mempool_get(struct hm_mempool *mp, void **obj)
{
	return hm_mempool_get_bulk(mp, obj, 1);
}

/**
 * Put n objects back, all or none.
 *
 * @return 0, or -EINVAL (NULL pool or table, n 0 or above the pool size, an
 *   entry that is not an object of mp, or in a debug pool an object not in
 *   use): then nothing is put.
 */
static inline __attribute__((always_inline)) int
hm_mempool_put_bulk(struct hm_mempool *mp, void *const *obj_table, unsigned int n)
{
	const unsigned int lcore = hm_this_lcore_;
	struct hm_mempool_cache *c;
	uint32_t len;

	if (__builtin_expect(mp == NULL || obj_table == NULL || lcore >= HM_MAX_LCORE, 0))
		return hm_mempool_put_slow(mp, obj_table, n);
	c = hm_mempool_cache_of(mp, lcore);
	/* Both limits are 0 while the reserve is short or a get waits: every
	 * n is then above them, and the slow path sees to the reserve. */
	if (__builtin_expect(
		n - 1 >= atomic_load_explicit(&mp->put_cache_max, memory_order_relaxed), 0)) {
		/* No cache, or more than it holds: straight to the ring. A full
		 * ring means a double put; the slow path says so. */
		if (n - 1 >= atomic_load_explicit(&mp->put_ring_max, memory_order_relaxed) ||
		    !(n >= HM_MEMPOOL_VEC_MIN ? hm_mempool_objs_valid(mp, obj_table, n)
					      : hm_mempool_objs_valid_fast(mp, obj_table, n)) ||
		    hm_ring_enqueue_bulk(mp->ring, obj_table, n, NULL) != n)
			return hm_mempool_put_slow(mp, obj_table, n);
		hm_mempool_stat_add(&c->stats.put_other, n);
		return 0;
	}
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (__builtin_expect(len + n > c->flushthresh, 0))
		return hm_mempool_put_slow(mp, obj_table, n);
	/* Copied as checked: the slots above len are free, so a refused bulk
	 * leaves nothing behind. n == 1 apart, so that the commonest call is
	 * one check and one branch. */
	if (n == 1) {
		void *obj = obj_table[0];

		c->objs[len] = obj;
		if (__builtin_expect(
			!hm_mempool_fast_ok(mp->fast_first, mp->fast_nb_objs, mp->stride_inv, obj),
			0))
			return hm_mempool_put_slow(mp, obj_table, n);
	} else if (n >= HM_MEMPOOL_VEC_MIN) {
		if (__builtin_expect(!hm_mempool_put_copy(mp, &c->objs[len], obj_table, n), 0))
			return hm_mempool_put_slow(mp, obj_table, n);
	} else if (__builtin_expect(!hm_mempool_check_copy_fast(mp, &c->objs[len], obj_table, n),
				    0)) {
		return hm_mempool_put_slow(mp, obj_table, n);
	}
	atomic_store_explicit(&c->len, len + n, memory_order_relaxed);
	hm_mempool_stat_add(&c->stats.put_cached, n);
	return 0;
}

/** Put one object back. @return 0 or -EINVAL (as hm_mempool_put_bulk()). */
static inline __attribute__((always_inline)) int
hm_mempool_put(struct hm_mempool *mp, void *obj)
{
	return hm_mempool_put_bulk(mp, &obj, 1);
}

/* ------------------------------------------------------- packet buffers */

/** Default headroom before the packet data. */
#define HM_PKTBUF_HEADROOM 128

/**
 * A packet buffer: one cache line of metadata, then priv_size private bytes,
 * then the buffer of data_room bytes (the headroom included), all in one
 * object, so the buffer is contiguous in IOVA.
 */
struct hm_pktbuf {
	void *buf_addr;		 /**< the buffer's first byte */
	hm_iova_t buf_iova;	 /**< its IOVA */
	uint16_t data_off;	 /**< packet data start, from buf_addr */
	_Atomic uint16_t refcnt; /**< references; 0 while in the pool */
	uint16_t nb_segs;	 /**< segments of the packet */
	uint16_t port;		 /**< input port */
	uint32_t pkt_len;	 /**< bytes of the whole packet */
	uint16_t data_len;	 /**< bytes in this segment */
	uint16_t buf_len;	 /**< bytes of the buffer */
	struct hm_mempool *pool; /**< the pool it returns to */
	struct hm_pktbuf *next;	 /**< next segment, or NULL */
	uint64_t ol_flags;	 /**< offload flags, free for the driver */
	uint32_t packet_type;	 /**< free for the driver */
	uint32_t hash;		 /**< RSS hash, free for the driver */
} __attribute__((aligned(64)));

/** Port of a buffer that came from no port. */
#define HM_PKTBUF_PORT_NONE UINT16_MAX

/**
 * Create a pool of n packet buffers.
 *
 * @param priv_size bytes after struct hm_pktbuf for the application, a
 *                  multiple of 8, at most 1024
 * @param data_room buffer bytes, headroom included, 1 .. 65535
 * @return as hm_mempool_create(), which it calls with a cache-aligned layout
 *   and no reserve.
 */
struct hm_mempool *hm_pktpool_create(const char *name, unsigned int n, unsigned int cache_size,
				     uint16_t priv_size, uint16_t data_room, int socket);

/** Put a buffer in the state of a fresh one: no data, one segment, no port. */
static inline void
hm_pktbuf_reset(struct hm_pktbuf *m)
{
	m->data_off = m->buf_len < HM_PKTBUF_HEADROOM ? m->buf_len : HM_PKTBUF_HEADROOM;
	m->nb_segs = 1;
	m->port = HM_PKTBUF_PORT_NONE;
	m->pkt_len = 0;
	m->data_len = 0;
	m->next = NULL;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->hash = 0;
}

/**
 * Get n buffers, reset, with one reference each, all or none.
 * @return 0, -ENOENT, -EINVAL.
 */
static inline int
hm_pktbuf_alloc_bulk(struct hm_mempool *pool, struct hm_pktbuf **bufs, unsigned int n)
{
	int ret = hm_mempool_get_bulk(pool, (void **)bufs, n);

	if (ret == 0)
		for (unsigned int i = 0; i < n; i++) {
			hm_pktbuf_reset(bufs[i]);
			atomic_store_explicit(&bufs[i]->refcnt, 1, memory_order_relaxed);
		}
	return ret;
}

/** @return a reset buffer with one reference, or NULL with errno set. */
static inline struct hm_pktbuf *
hm_pktbuf_alloc(struct hm_mempool *pool)
{
	struct hm_pktbuf *m;
	int ret = hm_pktbuf_alloc_bulk(pool, &m, 1);

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	return m;
}

/** Add v (may be negative) to the references. @return the new count. */
static inline uint16_t
hm_pktbuf_refcnt_update(struct hm_pktbuf *m, int16_t v)
{
	return (uint16_t)(atomic_fetch_add_explicit(&m->refcnt, (uint16_t)v, memory_order_acq_rel) +
			  (uint16_t)v);
}

/**
 * Drop a reference to each segment of a packet; a segment whose last
 * reference goes returns to its pool. NULL is ignored.
 *
 * @return 0, or -EINVAL if a segment's pool refused it, or if a segment
 *   had no reference (already free): then that segment and the ones after
 *   it are left alone, since its next pointer cannot be trusted.
 */
static inline int
hm_pktbuf_free(struct hm_pktbuf *m)
{
	int ret = 0;

	while (m != NULL) {
		struct hm_pktbuf *next = m->next;
		uint16_t old = atomic_load_explicit(&m->refcnt, memory_order_relaxed);

		if (__builtin_expect(old == 0, 0))
			return -EINVAL;
		if (old == 1 || hm_pktbuf_refcnt_update(m, -1) == 0) {
			atomic_store_explicit(&m->refcnt, 0, memory_order_relaxed);
			m->next = NULL;
			if (hm_mempool_put(m->pool, m) < 0)
				ret = -EINVAL;
		}
		m = next;
	}
	return ret;
}

/** @return the packet data of a buffer, cast to type t. */
#define hm_pktbuf_mtod(m, t) ((t)(void *)((char *)(m)->buf_addr + (m)->data_off))

/** @return the IOVA of the packet data. */
static inline hm_iova_t
hm_pktbuf_data_iova(const struct hm_pktbuf *m)
{
	return m->buf_iova + m->data_off;
}

/** @return the private area after the header. */
static inline void *
hm_pktbuf_priv(struct hm_pktbuf *m)
{
	return m + 1;
}

/** @return the free bytes before the data. */
static inline uint16_t
hm_pktbuf_headroom(const struct hm_pktbuf *m)
{
	return m->data_off;
}

/** @return the free bytes after the data of this segment. */
static inline uint16_t
hm_pktbuf_tailroom(const struct hm_pktbuf *m)
{
	return (uint16_t)(m->buf_len - m->data_off - m->data_len);
}

/**
 * Grow the data of a one-segment packet by len bytes at its end.
 * @return the first new byte, or NULL if the tailroom is too small.
 */
static inline char *
hm_pktbuf_append(struct hm_pktbuf *m, uint16_t len)
{
	char *tail;

	if (len > hm_pktbuf_tailroom(m))
		return NULL;
	tail = hm_pktbuf_mtod(m, char *) + m->data_len;
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return tail;
}

/**
 * Grow the data by len bytes in front.
 * @return the new first byte, or NULL if the headroom is too small.
 */
static inline char *
hm_pktbuf_prepend(struct hm_pktbuf *m, uint16_t len)
{
	if (len > m->data_off)
		return NULL;
	m->data_off = (uint16_t)(m->data_off - len);
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return hm_pktbuf_mtod(m, char *);
}

/**
 * Drop len bytes from the front of the data.
 * @return the new first byte, or NULL if the segment holds fewer.
 */
static inline char *
hm_pktbuf_adj(struct hm_pktbuf *m, uint16_t len)
{
	if (len > m->data_len)
		return NULL;
	m->data_off = (uint16_t)(m->data_off + len);
	m->data_len = (uint16_t)(m->data_len - len);
	m->pkt_len -= len;
	return hm_pktbuf_mtod(m, char *);
}

/** Drop len bytes from the end of the data. @return 0, or -EINVAL if fewer. */
static inline int
hm_pktbuf_trim(struct hm_pktbuf *m, uint16_t len)
{
	if (len > m->data_len)
		return -EINVAL;
	m->data_len = (uint16_t)(m->data_len - len);
	m->pkt_len -= len;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_MEMPOOL_H */
