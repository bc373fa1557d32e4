/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_SLAB_H
#define HUGEMEM_SLAB_H

/**
 * @file
 * Slab caches of small objects, and kmalloc.
 *
 * A slab cache hands out objects of one size from slabs: buddy blocks (see
 * buddy.h) cut into equal objects, as the kernel's SLAB allocator does. The
 * block order of a slab is the smallest that wastes at most an eighth of the
 * block, up to 4 MiB blocks (order 10); objects above 512 KiB may waste more. Every object lies
 * inside one block, so it is contiguous in IOVA and hm_virt2iova() of any of its bytes is valid:
 * objects can be handed to a device.
 *
 * Each cache keeps, per NUMA socket, lists of full, partial and free slabs
 * and a shared depot of free objects; per lcore, an array cache of free
 * objects. The common hm_slab_alloc() and hm_slab_free() take an object from
 * or put one into the calling lcore's array cache: no lock and no atomic
 * operation on a shared cache line. When the array cache runs empty it is
 * refilled with a batch from the depot (then from partial slabs, then free
 * slabs, then a new slab); when it runs full a batch goes back. An object
 * freed on an lcore of another socket waits in that lcore's small per-socket
 * array and goes home in a batch. Threads that are not EAL lcores take the
 * socket lock for every call. An lcore's array caches are slots of one
 * 128 KiB region made at its first slab call and kept for the lcore id.
 *
 * The address of an object finds its slab in constant time (a descriptor
 * per 4 KiB page), so hm_slab_free() and hm_kfree() need no cache and no
 * size.
 *
 * Caches live in the shared memory and are found by name from any attached
 * process; objects may be freed by another process than the one that
 * allocated them. Constructors and destructors are functions of one process:
 * see hm_slab_cache_create().
 *
 * kmalloc: hm_kmalloc() serves sizes from 1 byte to 128 KiB from 13 general
 * caches "kmalloc-32" .. "kmalloc-131072" (powers of two; an object is
 * aligned to its size class, up to 4 KiB) and larger sizes from the buddy
 * allocator directly (page aligned).
 *
 * Debugging (per cache by flag, or for every cache with the EAL option
 * --slab-debug): free objects are poisoned, objects have red zones and a
 * state word, and every call is checked. A double free, a free of an address
 * that is not an object, a write past the end of an object or into a free
 * object is reported in one log line that names the cache, the object and
 * the caller; the call is refused (free) or the object repaired (alloc), and
 * the cache stays consistent. Debug caches bypass the lcore array caches, so
 * every object's state is exact.
 *
 * All functions are safe from any thread of any attached process.
 */

#include <stddef.h>
#include <stdint.h>

#include <hugemem/buddy.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest cache name, with its NUL. */
#define HM_SLAB_NAMESIZE 32
/** Most caches, the kmalloc caches included. */
#define HM_SLAB_MAX_CACHES 128

/** Cache flags. */
#define HM_SLAB_HWCACHE_ALIGN 0x1u /**< align objects to a cache line (less for small ones) */
#define HM_SLAB_POISON	      0x2u /**< poison free objects, check on allocation */
#define HM_SLAB_RED_ZONE      0x4u /**< guard bytes after each object, checked on free */
#define HM_SLAB_CONSISTENCY   0x8u /**< per-object state: double and invalid frees */
/**
 * Remember which process holds each object: the service gives back what a
 * dead or detached process held, and a second free is refused. Costs a
 * word per object and the inline paths (an owned cache takes the
 * out-of-line ones, still through the lcore's array cache).
 */
#define HM_SLAB_OWNED 0x10u
/** Every debugging aid. */
#define HM_SLAB_DEBUG (HM_SLAB_POISON | HM_SLAB_RED_ZONE | HM_SLAB_CONSISTENCY)

/** Largest object of a cache. */
#define HM_SLAB_MAX_SIZE (4u << 20)

/** The smallest and largest kmalloc size classes. */
#define HM_KMALLOC_MIN_SIZE   32u
#define HM_KMALLOC_MAX_CACHED (128u << 10)
/** Number of kmalloc caches: 32 x 2^0 .. 32 x 2^12. */
#define HM_KMALLOC_NR_CACHES 13

/** A slab cache (in the shared memory; the same pointer in every process). */
struct hm_slab_cache;

/** Runs once on each object when its slab is made; see hm_slab_cache_create(). */
typedef void (*hm_slab_ctor_t)(void *obj);
/** Runs once on each object when its slab goes back to the buddy allocator. */
typedef void (*hm_slab_dtor_t)(void *obj);

/**
 * Create a cache.
 *
 * A constructor puts an object into a state that its users restore before
 * they free it; it runs once per object when a new slab is made, not on
 * every allocation, and the destructor runs when a slab is given back to
 * the buddy allocator. Function addresses belong to one process, so they are
 * kept per process: the constructor runs in the process whose allocation
 * makes the slab, the destructor in the process whose free, shrink or
 * destroy gives it back. A process that looked the cache up registers the
 * same pair with hm_slab_cache_set_ctor(); until it has, its allocations can
 * take constructed objects but cannot make slabs (ENOTSUP), and it keeps
 * free slabs instead of giving them back. Poisoning is off for a cache with
 * a constructor (it would destroy the constructed state), as in the kernel.
 *
 * @param name   unique, 1..HM_SLAB_NAMESIZE-1 printable characters
 * @param size   object size, 1..HM_SLAB_MAX_SIZE
 * @param align  object alignment, 0 or a power of two up to 4 KiB
 * @param flags  HM_SLAB_* flags
 * @param ctor   constructor, or NULL
 * @param dtor   destructor, or NULL
 * @return the cache, or NULL with errno EINVAL (bad name, size, align or
 *   flags), EEXIST (name taken), ENOSPC (HM_SLAB_MAX_CACHES reached),
 *   E2BIG (the object with its debug data does not fit a 4 MiB slab),
 *   ENOMEM, ENODEV (EAL not initialised).
 */
struct hm_slab_cache *hm_slab_cache_create(const char *name, size_t size, size_t align,
					   unsigned int flags, hm_slab_ctor_t ctor,
					   hm_slab_dtor_t dtor);

/** @return the cache of that name, or NULL with errno ENOENT or EINVAL. */
struct hm_slab_cache *hm_slab_cache_lookup(const char *name);

/**
 * Register this process's constructor and destructor of a cache it looked
 * up. They must be given exactly when the cache was created with them.
 * @return 0, or -EINVAL.
 */
int hm_slab_cache_set_ctor(struct hm_slab_cache *cache, hm_slab_ctor_t ctor, hm_slab_dtor_t dtor);

/**
 * Allocate an object.
 * @param flags  0, HM_BUDDY_ZERO (zero it), HM_BUDDY_ATOMIC (a new slab may
 *   dip below the zone's min watermark)
 * @return the object, or NULL with errno EINVAL (bad cache or flags),
 *   ENOMEM, ENOTSUP (see hm_slab_cache_create()).
 */
void *hm_slab_alloc(struct hm_slab_cache *cache, unsigned int flags);

/**
 * Allocate an object from memory of one socket (HM_SOCKET_ID_ANY: the
 * caller's). If that socket has no memory the object comes from another.
 */
void *hm_slab_alloc_node(struct hm_slab_cache *cache, unsigned int flags, int socket);

/**
 * Free an object of any cache.
 * @return 0; -EINVAL for an address that is not an object of a cache
 *   (logged; nothing changes). Debug caches also refuse a double free.
 */
int hm_slab_free(void *obj);

/**
 * Give the free slabs of a cache back to the buddy allocator, after moving
 * the calling lcore's array cache and the depots back into the slabs.
 * Other lcores' array caches are theirs and are left alone.
 * @return the number of 4 KiB pages given back, or -EINVAL.
 */
long hm_slab_cache_shrink(struct hm_slab_cache *cache);

/**
 * Destroy a cache: every object must have been freed. Objects waiting in
 * lcore array caches are not live; the cache must not be used meanwhile.
 * @return 0; -EBUSY if objects are still allocated (their number is
 *   logged and returned by hm_slab_cache_live_objects()); -EINVAL for a bad
 *   cache or a kmalloc cache.
 */
int hm_slab_cache_destroy(struct hm_slab_cache *cache);

/** @return objects allocated and not freed, or -EINVAL. */
long hm_slab_cache_live_objects(const struct hm_slab_cache *cache);

/** @return the cache's name, or NULL for a bad cache. */
const char *hm_slab_cache_name(const struct hm_slab_cache *cache);

/** @return the object size the cache was created with, or 0 for a bad cache. */
size_t hm_slab_cache_object_size(const struct hm_slab_cache *cache);

/** Statistics of a cache, with the columns of /proc/slabinfo. */
struct hm_slab_stats {
	char name[HM_SLAB_NAMESIZE];
	uint32_t objsize;      /**< object size as created */
	uint32_t buffer_size;  /**< bytes per object in the slab, with alignment and debug data */
	uint32_t align;	       /**< object alignment */
	uint32_t flags;	       /**< HM_SLAB_* in effect */
	uint32_t objperslab;   /**< objects per slab */
	uint32_t pagesperslab; /**< 4 KiB pages per slab */
	uint32_t limit;	       /**< lcore array cache size */
	uint32_t batchcount;   /**< objects moved per refill or flush */
	uint32_t sharedfactor; /**< depot size per socket, in batches */
	uint64_t active_objs;  /**< objects out of their slabs (in use or cached) */
	uint64_t num_objs;     /**< objects in all slabs */
	uint64_t active_slabs; /**< slabs with an object out */
	uint64_t num_slabs;
	uint64_t sharedavail; /**< objects in the depots */
	uint64_t cached;      /**< objects in lcore array caches and foreign-socket arrays */
	uint64_t live;	      /**< allocated and not freed: active - sharedavail - cached */
	uint64_t allocs;      /**< successful allocations */
	uint64_t frees;
	uint64_t alloc_failures;
	uint64_t grown;	       /**< slabs made */
	uint64_t reaped;       /**< slabs given back */
	uint64_t remote_frees; /**< objects freed on another socket's lcore */
	uint64_t errors;       /**< bad frees and corruptions found */
};

/** @return 0, or -EINVAL for a bad cache or NULL st. */
int hm_slab_cache_stats(const struct hm_slab_cache *cache, struct hm_slab_stats *st);

/** Call func on every cache until it returns non-zero. @return that value or 0. */
int hm_slab_cache_walk(int (*func)(struct hm_slab_cache *cache, void *arg), void *arg);

/**
 * Write /proc/slabinfo-style text (version 2.1 header, then one line per
 * cache) into buf. As in the kernel, the <objsize> column is the bytes an
 * object takes in its slab (hm_slab_stats.buffer_size).
 * @return the length written (as snprintf: the length needed if it did not fit).
 */
int hm_slab_info(char *buf, size_t len);

/**
 * Check every cache: slab lists and counts agree with the objects on each
 * slab's free list, free objects lie on object boundaries of their slab,
 * and (debug caches) every free object's state word and poison are intact.
 * Run it while the caches are quiet.
 * @return 0, or -EFAULT after logging the first violation.
 */
int hm_slab_audit(void);

/**
 * Move an lcore's array caches (every cache) back to the depots and slabs.
 * Done at hm_eal_cleanup() for every lcore of the process; the service does
 * it for a dead process's lcores. The lcore must be idle.
 * @return the objects moved.
 */
uint64_t hm_slab_drain_lcore(unsigned int lcore_id);

/**
 * Make an object of an HM_SLAB_OWNED cache this process's, after another
 * process handed it over, so that it stays when the giver dies.
 * @return 0, or -EINVAL (not an allocated object of an owned cache).
 */
int hm_slab_obj_adopt(void *obj);

/**
 * Free every object of every HM_SLAB_OWNED cache that the process of owner
 * tag `owner` holds. The service calls it when that process is gone.
 * @return the objects freed.
 */
uint64_t hm_slab_reclaim_owner(uint64_t owner);

/** @return the objects of HM_SLAB_OWNED caches that owner tag `owner` holds; a snapshot. */
uint64_t hm_slab_owner_count(uint64_t owner);

/* ------------------------------------------------------------------ kmalloc */

/**
 * Allocate size bytes, contiguous in IOVA.
 * @param flags  0, HM_BUDDY_ZERO, HM_BUDDY_ATOMIC
 * @return the memory, or NULL with errno EINVAL (size 0, bad flags),
 *   E2BIG (above the largest buddy block), ENOMEM.
 */
void *hm_kmalloc(size_t size, unsigned int flags);

/** hm_kmalloc() with HM_BUDDY_ZERO. */
void *hm_kzalloc(size_t size, unsigned int flags);

/** hm_kmalloc() from memory of one socket (HM_SOCKET_ID_ANY: the caller's). */
void *hm_kmalloc_node(size_t size, unsigned int flags, int socket);

/**
 * Resize: returns ptr itself if its size class already holds size bytes,
 * else new memory with the old contents (up to the smaller size) and frees
 * ptr. ptr NULL is hm_kmalloc(size); size 0 frees ptr and returns NULL.
 * On failure ptr is untouched and NULL is returned with errno set.
 */
void *hm_krealloc(void *ptr, size_t size, unsigned int flags);

/** Free memory of hm_kmalloc(); NULL is ignored. @return 0 or -EINVAL (logged). */
int hm_kfree(void *ptr);

/** @return the usable size of a hm_kmalloc() allocation (its size class), or 0. */
size_t hm_ksize(const void *ptr);

/** @return the kmalloc cache of size class index 0..HM_KMALLOC_NR_CACHES-1, or NULL. */
struct hm_slab_cache *hm_kmalloc_cache(unsigned int index);

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_SLAB_H */
