/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_RING_H
#define HUGEMEM_RING_H

/**
 * @file
 * Lock-free rings in shared memory.
 *
 * A ring is a fixed-size FIFO of elements: pointers (8 bytes), or elements
 * of 4 to 1024 bytes in steps of 4, fixed at creation. A ring asked for
 * `count` elements holds at least that many: its slots are the smallest
 * power of two above count and its capacity is the slots minus one (1024
 * gives 2048 slots, unlike rte_ring's 1024 slots); with HM_RING_EXACT_SZ
 * the capacity is count exactly, in the smallest power of two of slots that
 * holds it. Names are 1 to 31 printable characters without spaces.
 *
 * The ring keeps two head/tail pairs, one for the producers and one for the
 * consumers, each on its own pair of cache lines. An enqueue moves the
 * producer head forward to reserve slots (a compare-and-swap with several
 * producers, a plain store with one), copies its elements in, then waits
 * until the producer tail reaches its reservation and moves the tail past
 * its elements; dequeue is the mirror image on the consumer side. Elements
 * become visible to the other side only when a tail moves, with release
 * order, and the other side reads that tail with acquire order: no element
 * is ever lost, duplicated or read before it is written. Producers keep a
 * copy of the consumer tail beside their head and read the consumer's line
 * only when the copy shows too little room (see hm_ring_move_head()).
 *
 * Whether a side has one thread or many is chosen at creation (HM_RING_SP_ENQ,
 * HM_RING_SC_DEQ) and used by hm_ring_enqueue*() and hm_ring_dequeue*(); the
 * hm_ring_sp_* / mp_* / sc_* / mc_* forms force a mode and are for a caller
 * that knows better (a single-producer form on a ring with several producers
 * corrupts it). Bulk forms move all n elements or none; burst forms move as
 * many as they can.
 *
 * Named rings live in the shared memory: hm_ring_create() in any attached
 * process, hm_ring_lookup() from any other, at the same address. A ring can
 * also be laid out in memory of the caller's with hm_ring_init().
 *
 * A thread that stops between moving a head and moving its tail blocks the
 * other threads of its side on a multi-producer or multi-consumer ring, as
 * with DPDK's rte_ring. Unlike rte_ring, a waiting thread yields its CPU
 * after HM_RING_SPINS_BEFORE_YIELD pauses, so a preempted thread gets to
 * finish even with more threads than CPUs; a thread killed there blocks
 * its side for good.
 */

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest ring name, with its NUL. */
#define HM_RING_NAMESIZE 32
/** Most named rings. */
#define HM_RING_MAX_RINGS 256
/** Most slots of a ring. */
#define HM_RING_SZ_MAX (1u << 28)

/** Pauses a thread waiting for another's tail makes before it yields its CPU. */
#define HM_RING_SPINS_BEFORE_YIELD 256

/** Creation flags. */
#define HM_RING_SP_ENQ	 0x1u /**< one producer thread at a time */
#define HM_RING_SC_DEQ	 0x2u /**< one consumer thread at a time */
#define HM_RING_EXACT_SZ 0x4u /**< capacity is count exactly; slots are the next power of two */

/* @internal Built for ThreadSanitizer (GCC says so by a macro, Clang by __has_feature). */
#if defined(__SANITIZE_THREAD__)
#define HM_RING_TSAN_ 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HM_RING_TSAN_ 1
#endif
#endif
#ifndef HM_RING_TSAN_
#define HM_RING_TSAN_ 0
#endif

/** @internal One side of the ring. */
struct hm_ring_headtail {
	_Atomic uint32_t head; /**< next slot to reserve */
	_Atomic uint32_t tail; /**< slots before this are done */
	uint32_t single;       /**< one thread on this side */
	/** prod only: the consumer tail as a producer last read it (see
	 * hm_ring_move_head()); 0 and unused in cons. */
	_Atomic uint32_t cons_tail;
};

/**
 * A ring. The slots follow the structure. Fields are read-only after
 * creation, except the two head/tail pairs.
 */
struct hm_ring {
	char name[HM_RING_NAMESIZE];
	uint64_t magic;	   /**< @internal HM_RING_MAGIC while the ring is live */
	uint32_t flags;	   /**< HM_RING_* given at creation */
	uint32_t size;	   /**< slots, a power of two */
	uint32_t mask;	   /**< size - 1 */
	uint32_t capacity; /**< most elements held */
	uint32_t esize;	   /**< element size in bytes */
	int32_t socket;	   /**< socket of the memory, -1 if the caller's */
	uint64_t memsize;  /**< bytes from the structure to the end of the slots */

	/* Two cache lines each, so the adjacent-line prefetcher of one side
	 * does not pull the other side's line. */
	struct hm_ring_headtail prod __attribute__((aligned(128)));
	struct hm_ring_headtail cons __attribute__((aligned(128)));
	char slots[] __attribute__((aligned(128)));
};

/**
 * @return the bytes a ring of `count` elements of `esize` bytes needs with
 *   `flags`, or -EINVAL if esize is not a multiple of 4 or count is 0 or too
 *   large.
 */
ssize_t hm_ring_get_memsize_elem(unsigned int esize, unsigned int count, unsigned int flags);

/** hm_ring_get_memsize_elem() for a ring of pointers. */
ssize_t hm_ring_get_memsize(unsigned int count, unsigned int flags);

/**
 * Lay a ring out in the caller's memory: at least hm_ring_get_memsize_elem()
 * bytes, 128-byte aligned, shared if other processes use the ring. The ring
 * is not named in the table, so hm_ring_lookup() does not find it.
 *
 * @return 0, or -EINVAL (NULL ring, bad name, size or flags).
 */
int hm_ring_init_elem(struct hm_ring *r, const char *name, unsigned int esize, unsigned int count,
		      unsigned int flags);

/** hm_ring_init_elem() for a ring of pointers. */
int hm_ring_init(struct hm_ring *r, const char *name, unsigned int count, unsigned int flags);

/**
 * Create a named ring of at least `count` elements of `esize` bytes in hugepage
 * memory of `socket` (HM_SOCKET_ID_ANY: any).
 *
 * @return the ring, or NULL with errno: EINVAL (bad name, size or flags),
 *   EEXIST (a ring of that name exists), ENOSPC (HM_RING_MAX_RINGS rings
 *   exist), ENOMEM (no memory), ENODEV (hugemem is not initialised).
 */
struct hm_ring *hm_ring_create_elem(const char *name, unsigned int esize, unsigned int count,
				    int socket, unsigned int flags);

/** hm_ring_create_elem() for a ring of pointers. */
struct hm_ring *hm_ring_create(const char *name, unsigned int count, int socket,
			       unsigned int flags);

/**
 * @return the named ring, or NULL with errno ENOENT (no such ring), EINVAL
 *   (bad name) or ENODEV.
 */
struct hm_ring *hm_ring_lookup(const char *name);

/**
 * Destroy a ring made by hm_ring_create*(): no thread of any process may use
 * it any more. NULL is ignored.
 *
 * @return 0, or -EINVAL if r is not a named ring.
 */
int hm_ring_free(struct hm_ring *r);

/**
 * Empty the ring. Not safe while another thread uses it.
 */
void hm_ring_reset(struct hm_ring *r);

/**
 * Call fn for each named ring, under the table lock (fn must not create or
 * free rings). Stops at a non-zero return, which it returns.
 */
int hm_ring_walk(int (*fn)(struct hm_ring *r, void *arg), void *arg);

/** Print the ring's state to f. */
void hm_ring_dump(FILE *f, const struct hm_ring *r);

/* ----------------------------------------------------------------- inline */

/** @internal What an enqueue or dequeue does when n do not fit. */
enum hm_ring_behavior {
	HM_RING_FIXED = 0,    /**< move n or nothing */
	HM_RING_VARIABLE = 1, /**< move as many as possible */
};

/** @internal Spin-wait hint. */
static inline void
hm_ring_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/**
 * @internal Copy n pointers, 4 at a time. Constant-size copies expand to
 * vector moves; a loop or a memcpy() of n would become a call to memcpy.
 * The last 1 to 4 of n >= 4 go as one copy of the last 4, which the
 * copies of 4 from the front may overlap, and 2 or 3 as two copies of 2:
 * no branch on the remainder. dst and src must not overlap.
 */
static inline __attribute__((always_inline)) void
hm_copy_ptrs(void **dst, void *const *src, unsigned int n)
{
	/* A size_t index: with an unsigned int one, that may wrap, GCC
	 * recomputes both addresses from the index on every step. */
	size_t i = 0;

	if (__builtin_expect(n >= 4, 1)) {
		/* The last 4 first: then the loop stops short of them. */
		__builtin_memcpy(&dst[n - 4], &src[n - 4], 4 * sizeof(void *));
		for (; i + 4 < n; i += 4)
			__builtin_memcpy(&dst[i], &src[i], 4 * sizeof(void *));
	} else if (n >= 2) {
		__builtin_memcpy(dst, src, 2 * sizeof(void *));
		__builtin_memcpy(&dst[n - 2], &src[n - 2], 2 * sizeof(void *));
	} else if (n == 1) {
		dst[0] = src[0];
	}
}

/*
 * @internal Of n slots from index idx, those before the end of the ring:
 * written as a min, so that the compiler sees the result is at most n and
 * no copy of a constant n reads past it.
 */
static inline __attribute__((always_inline)) uint32_t
hm_ring_first_run(const struct hm_ring *r, uint32_t idx, unsigned int n)
{
	return r->size - idx < n ? r->size - idx : n;
}

/*
 * @internal Copy n elements of esize bytes into the slots from index idx,
 * wrapping at the end.
 */
static inline __attribute__((always_inline)) void
hm_ring_copy_in(struct hm_ring *r, uint32_t head, const void *src, unsigned int esize,
		unsigned int n)
{
	const uint32_t idx = head & r->mask;
	const uint32_t first = hm_ring_first_run(r, idx, n);

	if (esize == sizeof(void *)) {
		void **ring = (void **)(void *)r->slots;
		void *const *obj = (void *const *)src;

		if (n == 1) { /* folds away the split for the single forms */
			ring[idx] = obj[0];
			return;
		}
		hm_copy_ptrs(&ring[idx], obj, first);
		if (first < n)
			hm_copy_ptrs(ring, obj + first, n - first);
	} else {
		memcpy(r->slots + (size_t)idx * esize, src, (size_t)first * esize);
		if (first < n)
			memcpy(r->slots, (const char *)src + (size_t)first * esize,
			       (size_t)(n - first) * esize);
	}
}

/* @internal The mirror of hm_ring_copy_in(). */
static inline __attribute__((always_inline)) void
hm_ring_copy_out(const struct hm_ring *r, uint32_t head, void *dst, unsigned int esize,
		 unsigned int n)
{
	const uint32_t idx = head & r->mask;
	const uint32_t first = hm_ring_first_run(r, idx, n);

	if (esize == sizeof(void *)) {
		void *const *ring = (void *const *)(const void *)r->slots;
		void **obj = (void **)dst;

		if (n == 1) {
			obj[0] = ring[idx];
			return;
		}
		hm_copy_ptrs(obj, &ring[idx], first);
		if (first < n)
			hm_copy_ptrs(obj + first, ring, n - first);
	} else {
		memcpy(dst, r->slots + (size_t)idx * esize, (size_t)first * esize);
		if (first < n)
			memcpy((char *)dst + (size_t)first * esize, r->slots,
			       (size_t)(n - first) * esize);
	}
}

/*
 * @internal Reserve up to n slots on side `me` against the other side's
 * tail. `room` is the capacity for producers and 0 for consumers: the
 * entries usable are room + other.tail - me.head. With several threads on
 * the side the head moves by a compare-and-swap of acquire-release order
 * and is read with acquire order, so a thread that reads the head another
 * moved then reads the other tail no older than that thread did: an older
 * tail with a newer head would make the difference wrap.
 *
 * Producers (`cached`) reserve against prod.cons_tail, the consumer tail as
 * a producer last read it, and read the consumer tail itself only when the
 * copy shows fewer than n free slots, or more than the capacity (a copy
 * left far behind, or one ahead of a head read before another producer
 * moved it, whose compare-and-swap then fails), or when the caller wants
 * the free space exact. A tail only moves forward, so an older
 * copy gives fewer free slots, never more. The copy is written with release
 * order after an acquire load of the tail, so the consumer's reads of those
 * slots happen before a producer that uses it writes them. One producer
 * writes it with a plain store, every time it reads the tail. Several
 * producers write it by a compare-and-swap from the value they reserved
 * against, and only when the tail they read leaves at least a sixteenth of
 * the capacity free, or when the copy had fallen more than the capacity
 * behind their head: a ring kept nearly full (a pool's ring holds nearly
 * all its objects) would otherwise pay a locked instruction on every call
 * for a copy that is short again at once. A producer stopped between its
 * load of the tail and its write then finds the copy changed (it changes
 * at least once every capacity elements and a call's) and leaves it,
 * instead of putting back a tail so old that, 2^32 elements on, it would
 * look recent.
 *
 * A producer that keeps ahead of its consumer then reads the consumer's line
 * once per batch of slots instead of on every call, and that line stays in
 * the consumer's cache. Consumers read the producer tail on every call: a
 * consumer that keeps up with its producer finds the ring nearly empty, so
 * a copy would be short on nearly every call and only add work.
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_move_head(struct hm_ring_headtail *me, const struct hm_ring_headtail *other, uint32_t room,
		  uint32_t capacity, bool single, bool cached, bool exact, unsigned int n,
		  enum hm_ring_behavior behavior, uint32_t *old_head, uint32_t *entries)
{
	uint32_t head = atomic_load_explicit(&me->head, memory_order_acquire);

	for (;;) {
		uint32_t avail;
		unsigned int take = n;

		if (cached) {
			uint32_t seen = atomic_load_explicit(&me->cons_tail, memory_order_acquire);

			avail = room + seen - head;
			if (exact || __builtin_expect(avail < n || avail > capacity, 0)) {
				uint32_t tail =
				    atomic_load_explicit(&other->tail, memory_order_acquire);
				bool stale = avail > capacity;

				avail = room + tail - head;
				/* Several producers store the copy with a locked
				 * compare-and-swap: only when it buys the next calls
				 * some room (a ring kept nearly full, as a pool's is,
				 * would pay one on every call for nothing), or when
				 * the copy was too old to use at all. */
				if (single) {
					atomic_store_explicit(&me->cons_tail, tail,
							      memory_order_release);
				} else if (stale || avail >= (capacity >> 4)) {
					atomic_compare_exchange_strong_explicit(
					    &me->cons_tail, &seen, tail, memory_order_release,
					    memory_order_relaxed);
				}
			} else if (HM_RING_TSAN_) {
				/* ThreadSanitizer sees no other process: a copy a
				 * producer there stored carries its acquire of the
				 * tail, which TSan here never saw. This load gives
				 * TSan that order from this process's consumers; it
				 * still reports a slot written before any of them
				 * released it. */
				(void)atomic_load_explicit(&other->tail, memory_order_acquire);
			}
		} else {
			avail =
			    room + atomic_load_explicit(&other->tail, memory_order_acquire) - head;
		}
		if (take > avail)
			take = behavior == HM_RING_FIXED ? 0 : avail;
		if (take == 0) {
			*entries = avail;
			return 0;
		}
		if (single) {
			atomic_store_explicit(&me->head, head + take, memory_order_relaxed);
		} else {
			/* The head the copy goes to is the one read before the
			 * compare-and-swap, not its result: the same value on
			 * success, but the CPU has it at once, and the copy's
			 * loads and stores need not wait for the locked
			 * instruction to finish (on a Zen 4, 15 to 20 cycles per
			 * call). */
			uint32_t cur = head;

			if (!atomic_compare_exchange_weak_explicit(&me->head, &cur, head + take,
								   memory_order_acq_rel,
								   memory_order_acquire)) {
				head = cur;
				continue;
			}
		}
		*old_head = head;
		*entries = avail - take;
		return take;
	}
}

/**
 * @internal Wait until side `ht`'s tail is old_head: the out-of-line part of
 * hm_ring_update_tail(), pausing and yielding the CPU every
 * HM_RING_SPINS_BEFORE_YIELD pauses. Its loads have acquire order.
 */
void hm_ring_wait_tail(struct hm_ring_headtail *ht, uint32_t old_head);

/*
 * @internal Publish slots [old_head, old_head + n) of side `me`. With several
 * threads on the side, the ones that reserved earlier publish first. The
 * wait reads with acquire order so that a thread publishing after another
 * carries the other's elements along in its release. The wait is out of
 * line: a loop that may call sched_yield() inline would make the caller
 * save registers around it on every call, not only on the calls that wait.
 */
static inline __attribute__((always_inline)) void
hm_ring_update_tail(struct hm_ring_headtail *me, uint32_t old_head, unsigned int n, bool single)
{
	if (!single &&
	    __builtin_expect(atomic_load_explicit(&me->tail, memory_order_acquire) != old_head, 0))
		hm_ring_wait_tail(me, old_head);
	atomic_store_explicit(&me->tail, old_head + n, memory_order_release);
}

/** @internal The enqueue every form below is made of. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_do_enqueue(struct hm_ring *r, const void *obj_table, unsigned int esize, unsigned int n,
		   enum hm_ring_behavior behavior, bool single, unsigned int *free_space)
{
	uint32_t head = 0, entries;

	n = hm_ring_move_head(&r->prod, &r->cons, r->capacity, r->capacity, single, true,
			      free_space != NULL, n, behavior, &head, &entries);
	if (n != 0) {
		hm_ring_copy_in(r, head, obj_table, esize, n);
		hm_ring_update_tail(&r->prod, head, n, single);
	}
	if (free_space != NULL)
		*free_space = entries;
	return n;
}

/** @internal The dequeue every form below is made of. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_do_dequeue(struct hm_ring *r, void *obj_table, unsigned int esize, unsigned int n,
		   enum hm_ring_behavior behavior, bool single, unsigned int *available)
{
	uint32_t head = 0, entries;

	n = hm_ring_move_head(&r->cons, &r->prod, 0, r->capacity, single, false, false, n, behavior,
			      &head, &entries);
	if (n != 0) {
		hm_ring_copy_out(r, head, obj_table, esize, n);
		hm_ring_update_tail(&r->cons, head, n, single);
	}
	if (available != NULL)
		*available = entries;
	return n;
}

/**
 * Enqueue n elements of esize bytes (the ring's element size), all or none.
 *
 * @param r          the ring
 * @param obj_table  n elements
 * @param esize      the ring's element size, a constant for the fast path
 * @param n          how many
 * @param free_space if not NULL, the free slots left after the call
 * @return n, or 0 if they do not fit
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_enqueue_bulk_elem(struct hm_ring *r, const void *obj_table, unsigned int esize,
			  unsigned int n, unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, esize, n, HM_RING_FIXED, r->prod.single,
				  free_space);
}

/** As hm_ring_enqueue_bulk_elem(), as many as fit. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_enqueue_burst_elem(struct hm_ring *r, const void *obj_table, unsigned int esize,
			   unsigned int n, unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, esize, n, HM_RING_VARIABLE, r->prod.single,
				  free_space);
}

/**
 * Dequeue n elements of esize bytes, all or none.
 *
 * @param available if not NULL, the elements left after the call
 * @return n, or 0 if fewer are there
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_dequeue_bulk_elem(struct hm_ring *r, void *obj_table, unsigned int esize, unsigned int n,
			  unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, esize, n, HM_RING_FIXED, r->cons.single, available);
}

/** As hm_ring_dequeue_bulk_elem(), as many as are there. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_dequeue_burst_elem(struct hm_ring *r, void *obj_table, unsigned int esize, unsigned int n,
			   unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, esize, n, HM_RING_VARIABLE, r->cons.single,
				  available);
}

/** Enqueue one element. @return 0, or -ENOBUFS if the ring is full. */
static inline __attribute__((always_inline)) int
hm_ring_enqueue_elem(struct hm_ring *r, const void *obj, unsigned int esize)
{
	return hm_ring_enqueue_bulk_elem(r, obj, esize, 1, NULL) ? 0 : -ENOBUFS;
}

/** Dequeue one element. @return 0, or -ENOENT if the ring is empty. */
static inline __attribute__((always_inline)) int
hm_ring_dequeue_elem(struct hm_ring *r, void *obj, unsigned int esize)
{
	return hm_ring_dequeue_bulk_elem(r, obj, esize, 1, NULL) ? 0 : -ENOENT;
}

/*
 * Rings of pointers. Each form exists in the ring's creation mode (no
 * prefix) and in a forced mode: mp_/mc_ for several threads, sp_/sc_ for one.
 */

/**
 * Enqueue n pointers, all or none, in the ring's producer mode.
 *
 * @param free_space if not NULL, the free slots left after the call
 * @return n, or 0 if they do not fit
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_enqueue_bulk(struct hm_ring *r, void *const *obj_table, unsigned int n,
		     unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, r->prod.single,
				  free_space);
}

/** Enqueue as many of n pointers as fit, in the ring's producer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_enqueue_burst(struct hm_ring *r, void *const *obj_table, unsigned int n,
		      unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, r->prod.single,
				  free_space);
}

/** Enqueue one pointer, in the ring's producer mode. @return 0, or -ENOBUFS if the ring is full. */
static inline __attribute__((always_inline)) int
hm_ring_enqueue(struct hm_ring *r, void *obj)
{
	return hm_ring_do_enqueue(r, &obj, sizeof(void *), 1, HM_RING_FIXED, r->prod.single, NULL)
		   ? 0
		   : -ENOBUFS;
}

/**
 * Enqueue n pointers, all or none, in multi-producer mode.
 *
 * @param free_space if not NULL, the free slots left after the call
 * @return n, or 0 if they do not fit
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_mp_enqueue_bulk(struct hm_ring *r, void *const *obj_table, unsigned int n,
			unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, false,
				  free_space);
}

/** Enqueue as many of n pointers as fit, in multi-producer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_mp_enqueue_burst(struct hm_ring *r, void *const *obj_table, unsigned int n,
			 unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, false,
				  free_space);
}

/** Enqueue one pointer, in multi-producer mode. @return 0, or -ENOBUFS if the ring is full. */
static inline __attribute__((always_inline)) int
hm_ring_mp_enqueue(struct hm_ring *r, void *obj)
{
	return hm_ring_do_enqueue(r, &obj, sizeof(void *), 1, HM_RING_FIXED, false, NULL)
		   ? 0
		   : -ENOBUFS;
}

/**
 * Enqueue n pointers, all or none, in single-producer mode.
 *
 * @param free_space if not NULL, the free slots left after the call
 * @return n, or 0 if they do not fit
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_sp_enqueue_bulk(struct hm_ring *r, void *const *obj_table, unsigned int n,
			unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, true, free_space);
}

/** Enqueue as many of n pointers as fit, in single-producer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_sp_enqueue_burst(struct hm_ring *r, void *const *obj_table, unsigned int n,
			 unsigned int *free_space)
{
	return hm_ring_do_enqueue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, true,
				  free_space);
}

/** Enqueue one pointer, in single-producer mode. @return 0, or -ENOBUFS if the ring is full. */
static inline __attribute__((always_inline)) int
hm_ring_sp_enqueue(struct hm_ring *r, void *obj)
{
	return hm_ring_do_enqueue(r, &obj, sizeof(void *), 1, HM_RING_FIXED, true, NULL) ? 0
											 : -ENOBUFS;
}

/**
 * Dequeue n pointers, all or none, in the ring's consumer mode.
 *
 * @param available if not NULL, the elements left after the call
 * @return n, or 0 if fewer are there
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_dequeue_bulk(struct hm_ring *r, void **obj_table, unsigned int n, unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, r->cons.single,
				  available);
}

/** Dequeue as many of n pointers as are there, in the ring's consumer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_dequeue_burst(struct hm_ring *r, void **obj_table, unsigned int n, unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, r->cons.single,
				  available);
}

/** Dequeue one pointer, in the ring's consumer mode. @return 0, or -ENOENT if the ring is empty. */
static inline __attribute__((always_inline)) int
hm_ring_dequeue(struct hm_ring *r, void **obj)
{
	return hm_ring_do_dequeue(r, obj, sizeof(void *), 1, HM_RING_FIXED, r->cons.single, NULL)
		   ? 0
		   : -ENOENT;
}

/**
 * Dequeue n pointers, all or none, in multi-consumer mode.
 *
 * @param available if not NULL, the elements left after the call
 * @return n, or 0 if fewer are there
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_mc_dequeue_bulk(struct hm_ring *r, void **obj_table, unsigned int n,
			unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, false, available);
}

/** Dequeue as many of n pointers as are there, in multi-consumer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_mc_dequeue_burst(struct hm_ring *r, void **obj_table, unsigned int n,
			 unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, false,
				  available);
}

/** Dequeue one pointer, in multi-consumer mode. @return 0, or -ENOENT if the ring is empty. */
static inline __attribute__((always_inline)) int
hm_ring_mc_dequeue(struct hm_ring *r, void **obj)
{
	return hm_ring_do_dequeue(r, obj, sizeof(void *), 1, HM_RING_FIXED, false, NULL) ? 0
											 : -ENOENT;
}

/**
 * Dequeue n pointers, all or none, in single-consumer mode.
 *
 * @param available if not NULL, the elements left after the call
 * @return n, or 0 if fewer are there
 */
static inline __attribute__((always_inline)) unsigned int
hm_ring_sc_dequeue_bulk(struct hm_ring *r, void **obj_table, unsigned int n,
			unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_FIXED, true, available);
}

/** Dequeue as many of n pointers as are there, in single-consumer mode. @return how many. */
static inline __attribute__((always_inline)) unsigned int
hm_ring_sc_dequeue_burst(struct hm_ring *r, void **obj_table, unsigned int n,
			 unsigned int *available)
{
	return hm_ring_do_dequeue(r, obj_table, sizeof(void *), n, HM_RING_VARIABLE, true,
				  available);
}

/** Dequeue one pointer, in single-consumer mode. @return 0, or -ENOENT if the ring is empty. */
static inline __attribute__((always_inline)) int
hm_ring_sc_dequeue(struct hm_ring *r, void **obj)
{
	return hm_ring_do_dequeue(r, obj, sizeof(void *), 1, HM_RING_FIXED, true, NULL) ? 0
											: -ENOENT;
}

/**
 * @return the elements in the ring. Exact when no other thread is moving
 * them, a snapshot otherwise.
 */
static inline unsigned int
hm_ring_count(const struct hm_ring *r)
{
	uint32_t prod_tail = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
	uint32_t count = prod_tail - atomic_load_explicit(&r->cons.tail, memory_order_acquire);

	return count > r->capacity ? r->capacity : count;
}

/** @return the free slots in the ring (a snapshot, as hm_ring_count()). */
static inline unsigned int
hm_ring_free_count(const struct hm_ring *r)
{
	return r->capacity - hm_ring_count(r);
}

/** @return whether the ring is full. */
static inline bool
hm_ring_full(const struct hm_ring *r)
{
	return hm_ring_free_count(r) == 0;
}

/** @return whether the ring is empty. */
static inline bool
hm_ring_empty(const struct hm_ring *r)
{
	return hm_ring_count(r) == 0;
}

/** @return the most elements the ring holds. */
static inline unsigned int
hm_ring_get_capacity(const struct hm_ring *r)
{
	return r->capacity;
}

/** @return the ring's slots (a power of two). */
static inline unsigned int
hm_ring_get_size(const struct hm_ring *r)
{
	return r->size;
}

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_RING_H */
