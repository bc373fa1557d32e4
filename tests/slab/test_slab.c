/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slab suite: caches of many sizes and alignments, constructors and
 * destructors, destroy and shrink, kmalloc's size classes and krealloc,
 * bad input, frees on another lcore and in another process, the debugging
 * aids (per cache and --slab-debug), lcores and a plain thread hammering the
 * same caches or racing for new slabs, and slabinfo. hm_slab_audit() closes
 * every scenario.
 *
 * Most tests run on --no-huge memory; the IOVA and cross-process tests
 * reserve 2 MiB hugepages themselves and skip loudly when none can be had.
 * Each test is a process of its own (hm_eal_init is once per process).
 *
 * The debugging tests read the log: fd 2 goes to a temporary file around
 * the bad call (the log writes with write(2) on STDERR_FILENO), with the log
 * level raised for that moment only.
 */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/slab.h>

#include "../common/hm_test.h"
#include "hm_common.h"
#include "memory_pvt.h" /* hm_shared_config_proc_tag() */
#include "xproc.h"

/* ------------------------------------------------------------- helpers */

/* --no-huge on `lcores` with `mb` MiB; `extra` (or NULL) last. */
static void
init_no_huge(const char *lcores, const char *mb, const char *extra)
{
	const char *args[] = {
	    "-l",	   lcores,  "--no-huge", "-m", mb, "--file-prefix", hm_test_prefix("sl"),
	    "--log-level", "emerg", extra,	 NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
}

/* Two lcores, on two CPUs if there are two. */
static void
init_two_lcores(const char *mb)
{
	init_no_huge("0-1", mb, NULL);
	ck_assert_uint_eq(hm_lcore_count(), 2);
}

static struct hm_slab_stats
stats_of(const struct hm_slab_cache *c)
{
	struct hm_slab_stats st;

	ck_assert_int_eq(hm_slab_cache_stats(c, &st), 0);
	return st;
}

/* Pages of the NORMAL zone of socket 0 not given out: free lists and lcore caches. */
static uint64_t
buddy_free_pages(void)
{
	struct hm_zone_stats st;

	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_NORMAL, &st), 0);
	return st.free_pages + st.pcp_pages;
}

/* The columns of a cache agree with each other. */
static void
check_books(const struct hm_slab_cache *c)
{
	struct hm_slab_stats st = stats_of(c);

	ck_assert_msg(st.live == st.active_objs - st.sharedavail - st.cached,
		      "%s: live %lu, active %lu, sharedavail %lu, cached %lu", st.name,
		      (unsigned long)st.live, (unsigned long)st.active_objs,
		      (unsigned long)st.sharedavail, (unsigned long)st.cached);
	ck_assert_msg(st.live == st.allocs - st.frees, "%s: live %lu, allocs %lu, frees %lu",
		      st.name, (unsigned long)st.live, (unsigned long)st.allocs,
		      (unsigned long)st.frees);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), (long)st.live);
	ck_assert_uint_le(st.active_objs, st.num_objs);
	ck_assert_uint_le(st.active_slabs, st.num_slabs);
	ck_assert_uint_eq(st.num_objs, st.num_slabs * st.objperslab);
}

/* A refused call changed none of a cache's counts (but errors). */
static void
check_same_books(const struct hm_slab_stats *a, const struct hm_slab_stats *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_uint_eq(a->active_objs, b->active_objs);
	ck_assert_uint_eq(a->num_objs, b->num_objs);
	ck_assert_uint_eq(a->active_slabs, b->active_slabs);
	ck_assert_uint_eq(a->num_slabs, b->num_slabs);
	ck_assert_uint_eq(a->sharedavail, b->sharedavail);
	ck_assert_uint_eq(a->cached, b->cached);
	ck_assert_uint_eq(a->live, b->live);
	ck_assert_uint_eq(a->allocs, b->allocs);
	ck_assert_uint_eq(a->frees, b->frees);
}

/* Snapshot of the kmalloc caches' statistics. */
static void
kmalloc_stats(struct hm_slab_stats st[HM_KMALLOC_NR_CACHES])
{
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++)
		st[k] = stats_of(hm_kmalloc_cache(k));
}

static void
check_kmalloc_unchanged(const struct hm_slab_stats before[HM_KMALLOC_NR_CACHES])
{
	struct hm_slab_stats now[HM_KMALLOC_NR_CACHES];

	kmalloc_stats(now);
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++)
		check_same_books(&before[k], &now[k]);
}

/* Every lcore of this process gives its array caches back. */
static void
drain_all(void)
{
	unsigned int l;

	hm_slab_drain_lcore(hm_get_main_lcore());
	HM_LCORE_FOREACH_WORKER(l)
	hm_slab_drain_lcore(l);
}

static int
touch_slab(void *arg)
{
	(void)arg;
	return hm_kfree(hm_kmalloc(8, 0));
}

/*
 * Every lcore of this process has used the slab allocator once, so its
 * region of array caches is made (a buddy block the lcore id keeps for
 * good), and nothing else is left over: a test can count buddy pages now
 * and expect them back.
 */
static void
warm_lcores(void)
{
	unsigned int l;

	ck_assert_int_eq(touch_slab(NULL), 0);
	HM_LCORE_FOREACH_WORKER(l)
	{
		ck_assert_int_eq(hm_eal_remote_launch(touch_slab, NULL, l), 0);
		ck_assert_int_eq(hm_eal_wait_lcore(l), 0);
	}
	drain_all();
	ck_assert_int_ge(hm_slab_cache_shrink(hm_kmalloc_cache(0)), 0);
}

static uint8_t
pattern(unsigned int seed, size_t off)
{
	return (uint8_t)(seed * 131u + off * 7u + 1u);
}

static void
fill(void *obj, size_t size, unsigned int seed)
{
	uint8_t *p = obj;

	for (size_t i = 0; i < size; i++)
		p[i] = pattern(seed, i);
}

/* The offset of the first byte that is not fill()'s, or size if none. */
static size_t
intact(const void *obj, size_t size, unsigned int seed)
{
	const uint8_t *p = obj;

	for (size_t i = 0; i < size; i++)
		if (p[i] != pattern(seed, i))
			return i;
	return size;
}

static bool
all_bytes(const void *obj, uint8_t byte, size_t size)
{
	const uint8_t *p = obj;

	for (size_t i = 0; i < size; i++)
		if (p[i] != byte)
			return false;
	return true;
}

/* Device view: every page of [p, p + size) follows the first one in IOVA. */
static void
check_iova_contiguous(const void *obj, size_t size)
{
	const uint8_t *p = obj;
	hm_iova_t iova = hm_virt2iova(p);

	ck_assert_uint_ne(iova, HM_BAD_IOVA);
	for (size_t off = 4096 - (uintptr_t)p % 4096; off < size; off += 4096)
		ck_assert_msg(hm_virt2iova(p + off) == iova + off, "%p + %zu: IOVA not contiguous",
			      obj, off);
	ck_assert_uint_eq(hm_virt2iova(p + size - 1) - iova, size - 1);
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

/* No two of the n objects of `size` bytes overlap. */
static void
check_disjoint(void *const *objs, unsigned int n, size_t size)
{
	void **sorted = malloc(n * sizeof(*sorted));

	ck_assert_ptr_nonnull(sorted);
	memcpy(sorted, objs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_ptr);
	for (unsigned int i = 1; i < n; i++)
		ck_assert_msg((uintptr_t)sorted[i - 1] + size <= (uintptr_t)sorted[i],
			      "objects %p and %p of %zu bytes overlap", sorted[i - 1], sorted[i],
			      size);
	free(sorted);
}

static size_t
kmalloc_class(size_t size)
{
	size_t c = HM_KMALLOC_MIN_SIZE;

	while (c < size)
		c <<= 1;
	return c; /* above 128 KiB a buddy block of 4 KiB << order: the same powers of two */
}

/* ----------------------------------------------------- log capture */

/* The hex digits of an address, as %p or 0x%lx print them. */
static const char *
hex(const void *p, char *buf, size_t len)
{
	snprintf(buf, len, "%lx", (unsigned long)(uintptr_t)p);
	return buf;
}

/* ================================================ caches of many shapes */

static const size_t shape_sizes[] = {
    1, 8, 24, 64, 100, 512, 3000, 4096, 10000, 65536, 100000, 3 << 19, 3 << 20, HM_SLAB_MAX_SIZE};

static const struct {
	size_t align;
	unsigned int flags;
} shape_aligns[] = {{0, 0}, {8, 0}, {64, 0}, {256, 0}, {4096, 0}, {0, HM_SLAB_HWCACHE_ALIGN}};

/*
 * The slab of a cache is the smallest buddy block that wastes at most an
 * eighth of itself. Slabs stop at 4 MiB (order 10): an object for which no
 * block up to 4 MiB meets the rule (1.5 MiB, 3 MiB) gets a 4 MiB slab.
 */
static unsigned int
expected_slab_order(uint32_t buffer_size)
{
	for (unsigned int order = 0; order < 10; order++) {
		uint64_t slab = 4096ULL << order, n = slab / buffer_size;

		if (n != 0 && (slab - n * buffer_size) * 8 <= slab)
			return order;
	}
	return 10;
}

static void
check_geometry(const struct hm_slab_cache *c, size_t size, size_t align, unsigned int flags)
{
	struct hm_slab_stats st = stats_of(c);
	unsigned int order = expected_slab_order(st.buffer_size);

	ck_assert_uint_eq(hm_slab_cache_object_size(c), size);
	ck_assert_uint_eq(st.objsize, size);
	ck_assert_uint_ge(st.buffer_size, size);
	ck_assert_uint_ge(st.align, align);
	ck_assert_uint_eq(st.flags & flags, flags);
	ck_assert_msg(st.pagesperslab == 1u << order,
		      "%s: objects of %u bytes in slabs of %u pages, not %u", st.name,
		      st.buffer_size, st.pagesperslab, 1u << order);
	ck_assert_uint_eq(st.objperslab, (4096ULL << order) / st.buffer_size);
}

static void
check_placement(const void *obj, size_t size, size_t align, unsigned int flags)
{
	uintptr_t a = (uintptr_t)obj;

	if (align != 0)
		ck_assert_msg(a % align == 0, "%p of %zu bytes not aligned to %zu", obj, size,
			      align);
	if ((flags & HM_SLAB_HWCACHE_ALIGN) && size >= 64)
		ck_assert_msg(a % 64 == 0, "%p of %zu bytes not on a cache line", obj, size);
	else if (flags & HM_SLAB_HWCACHE_ALIGN)
		ck_assert_msg(a / 64 == (a + size - 1) / 64, "%p of %zu bytes straddles a line",
			      obj, size);
	check_iova_contiguous(obj, size);
}

static void
exercise_shape(size_t size, size_t align, unsigned int flags, unsigned int *seed)
{
	unsigned int n = size <= 4096 ? 300 : size <= 100000 ? 12 : 3;
	void *objs[300];
	unsigned int seeds[300];
	struct hm_slab_cache *c;
	char name[HM_SLAB_NAMESIZE];

	snprintf(name, sizeof(name), "s%zu-a%zu-f%u", size, align, flags);
	c = hm_slab_cache_create(name, size, align, flags, NULL, NULL);
	ck_assert_msg(c != NULL, "%s: %s", name, strerror(errno));
	ck_assert_str_eq(hm_slab_cache_name(c), name);
	check_geometry(c, size, align, flags);
	for (unsigned int i = 0; i < n; i++) {
		objs[i] = hm_slab_alloc(c, 0);
		ck_assert_msg(objs[i] != NULL, "%s: object %u: %s", name, i, strerror(errno));
		check_placement(objs[i], size, align, flags);
		seeds[i] = i;
		fill(objs[i], size, seeds[i]);
	}
	check_disjoint(objs, n, size);
	/* Half of them back in a random order, and new ones in their place. */
	for (unsigned int k = 0; k < n / 2; k++) {
		unsigned int i = (unsigned int)rand_r(seed) % n;

		ck_assert_uint_eq(intact(objs[i], size, seeds[i]), size);
		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
		objs[i] = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(objs[i]);
		check_placement(objs[i], size, align, flags);
		seeds[i] = 1000 + k;
		fill(objs[i], size, seeds[i]);
	}
	check_disjoint(objs, n, size);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), n);
	check_books(c);
	for (unsigned int left = n; left > 0; left--) {
		unsigned int i = (unsigned int)rand_r(seed) % left;

		ck_assert_msg(intact(objs[i], size, seeds[i]) == size, "%s: object %p corrupted",
			      name, objs[i]);
		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
		objs[i] = objs[left - 1];
		seeds[i] = seeds[left - 1];
	}
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
	check_books(c);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
}

START_TEST(objects_of_every_size_and_alignment_are_aligned_disjoint_and_keep_their_bytes)
{
	unsigned int seed = 42;

	init_no_huge("0", "128", NULL);
	for (unsigned int s = 0; s < HM_DIM(shape_sizes); s++)
		for (unsigned int a = 0; a < HM_DIM(shape_aligns); a++)
			exercise_shape(shape_sizes[s], shape_aligns[a].align, shape_aligns[a].flags,
				       &seed);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(caches_used_at_once_in_random_order_do_not_corrupt_each_other)
{
	static const struct {
		size_t size, align;
		unsigned int flags;
	} shapes[] = {{16, 0, 0},    {40, 8, 0},      {100, 0, HM_SLAB_HWCACHE_ALIGN},
		      {256, 256, 0}, {700, 0, 0},     {4096, 0, 0},
		      {5000, 64, 0}, {12345, 4096, 0}};
	static struct {
		void *obj;
		unsigned int shape, seed;
	} held[1024];
	struct hm_slab_cache *caches[HM_DIM(shapes)];
	unsigned int seed = 7;

	init_no_huge("0", "128", NULL);
	for (unsigned int s = 0; s < HM_DIM(shapes); s++) {
		char name[HM_SLAB_NAMESIZE];

		snprintf(name, sizeof(name), "mix-%u", s);
		caches[s] = hm_slab_cache_create(name, shapes[s].size, shapes[s].align,
						 shapes[s].flags, NULL, NULL);
		ck_assert_ptr_nonnull(caches[s]);
	}
	for (unsigned int op = 0; op < 20000; op++) {
		unsigned int k = (unsigned int)rand_r(&seed) % HM_DIM(held);

		if (held[k].obj != NULL) {
			size_t size = shapes[held[k].shape].size;

			ck_assert_msg(intact(held[k].obj, size, held[k].seed) == size,
				      "op %u: object %p of mix-%u corrupted", op, held[k].obj,
				      held[k].shape);
			ck_assert_int_eq(hm_slab_free(held[k].obj), 0);
			held[k].obj = NULL;
		} else {
			unsigned int s = (unsigned int)rand_r(&seed) % HM_DIM(shapes);

			held[k].obj = hm_slab_alloc(caches[s], 0);
			ck_assert_ptr_nonnull(held[k].obj);
			check_placement(held[k].obj, shapes[s].size, shapes[s].align,
					shapes[s].flags);
			held[k].shape = s;
			held[k].seed = op;
			fill(held[k].obj, shapes[s].size, op);
		}
	}
	for (unsigned int k = 0; k < HM_DIM(held); k++) {
		if (held[k].obj == NULL)
			continue;
		ck_assert_uint_eq(intact(held[k].obj, shapes[held[k].shape].size, held[k].seed),
				  shapes[held[k].shape].size);
		ck_assert_int_eq(hm_slab_free(held[k].obj), 0);
	}
	for (unsigned int s = 0; s < HM_DIM(shapes); s++) {
		check_books(caches[s]);
		ck_assert_int_eq(hm_slab_cache_live_objects(caches[s]), 0);
	}
	ck_assert_int_eq(hm_slab_audit(), 0);
	for (unsigned int s = 0; s < HM_DIM(shapes); s++)
		ck_assert_int_eq(hm_slab_cache_destroy(caches[s]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ constructors, destructors */

#define CTOR_SIZE 200u
#define CTOR_BYTE 0xc7

static atomic_uint ctor_calls, dtor_calls, dtor_unconstructed;

static void
test_ctor(void *obj)
{
	atomic_fetch_add(&ctor_calls, 1);
	memset(obj, CTOR_BYTE, CTOR_SIZE);
}

static void
test_dtor(void *obj)
{
	atomic_fetch_add(&dtor_calls, 1);
	if (!all_bytes(obj, CTOR_BYTE, CTOR_SIZE))
		atomic_fetch_add(&dtor_unconstructed, 1);
}

/* The constructor ran once per object of every slab made, the destructor of every slab given back.
 */
static void
check_ctor_counts(const struct hm_slab_cache *c)
{
	struct hm_slab_stats st = stats_of(c);

	ck_assert_uint_eq(atomic_load(&ctor_calls), st.objperslab * st.grown);
	ck_assert_uint_eq(atomic_load(&dtor_calls), st.objperslab * st.reaped);
	ck_assert_uint_eq(atomic_load(&dtor_unconstructed), 0);
}

START_TEST(constructor_runs_once_per_object_of_a_new_slab_and_destructor_when_it_goes_back)
{
	static void *objs[1024];
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	unsigned int n, calls;
	void *p, *q;
	long pages;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("ctor", CTOR_SIZE, 0, 0, test_ctor, test_dtor);
	ck_assert_ptr_nonnull(c);
	check_ctor_counts(c);

	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert(all_bytes(p, CTOR_BYTE, CTOR_SIZE));
	st = stats_of(c);
	ck_assert_uint_ge(st.grown, 1);
	check_ctor_counts(c);

	/* Not on every allocation: an object freed and taken again is not constructed again. */
	calls = atomic_load(&ctor_calls);
	ck_assert_int_eq(hm_slab_free(p), 0);
	q = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(atomic_load(&ctor_calls), calls);
	ck_assert(all_bytes(q, CTOR_BYTE, CTOR_SIZE));
	ck_assert_int_eq(hm_slab_free(q), 0);

	/* Several slabs' worth: every object constructed, counts follow the slabs made. */
	n = 3 * st.objperslab + 5;
	ck_assert_uint_le(n, HM_DIM(objs));
	for (unsigned int i = 0; i < n; i++) {
		objs[i] = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(objs[i]);
		ck_assert(all_bytes(objs[i], CTOR_BYTE, CTOR_SIZE));
	}
	st = stats_of(c);
	ck_assert_uint_ge(st.grown, 4);
	check_ctor_counts(c);
	/* Users put an object back in its constructed state before they free it. */
	for (unsigned int i = 0; i < n; i++) {
		memset(objs[i], 0x11, CTOR_SIZE);
		memset(objs[i], CTOR_BYTE, CTOR_SIZE);
		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
	}
	check_ctor_counts(c);

	/* Shrink gives every slab back: one destructor call per object. */
	pages = hm_slab_cache_shrink(c);
	st = stats_of(c);
	ck_assert_int_gt(pages, 0);
	ck_assert_uint_eq(st.num_slabs, 0);
	ck_assert_uint_eq(st.reaped, st.grown);
	check_ctor_counts(c);
	ck_assert_uint_eq(atomic_load(&dtor_calls), atomic_load(&ctor_calls));

	/* New slabs are constructed again; destroy runs the destructors of what is left. */
	for (unsigned int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(objs[i] = hm_slab_alloc(c, 0));
	check_ctor_counts(c);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	ck_assert_uint_eq(atomic_load(&dtor_calls), atomic_load(&ctor_calls));
	ck_assert_uint_eq(atomic_load(&dtor_unconstructed), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_constructor_turns_poisoning_off_and_keeps_the_other_debug_checks)
{
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	void *p, *q;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("ctor-debug", CTOR_SIZE, 0, HM_SLAB_DEBUG, test_ctor, test_dtor);
	ck_assert_ptr_nonnull(c);
	st = stats_of(c);
	ck_assert_uint_eq(st.flags & HM_SLAB_POISON, 0);
	ck_assert_uint_eq(st.flags & (HM_SLAB_RED_ZONE | HM_SLAB_CONSISTENCY),
			  HM_SLAB_RED_ZONE | HM_SLAB_CONSISTENCY);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_free(p), -EINVAL); /* still a consistency cache */
	q = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert(all_bytes(q, CTOR_BYTE, CTOR_SIZE)); /* not poisoned while free */
	ck_assert_int_eq(hm_slab_free(q), 0);
	check_ctor_counts(c);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ destroy and shrink */

START_TEST(destroy_with_live_objects_is_refused_until_they_are_freed)
{
	static void *objs[100];
	char log[65536], count[16];
	struct hm_test_capture cap;
	struct hm_slab_cache *c;
	uint64_t before;
	unsigned int seed = 3, n = HM_DIM(objs);
	void *p;

	init_no_huge("0", "64", NULL);
	warm_lcores();
	before = buddy_free_pages();
	c = hm_slab_cache_create("leaky", 256, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_ptr_nonnull(objs[i] = hm_slab_alloc(c, 0));
	for (unsigned int k = 0; k < 40; k++) { /* 40 back, at random */
		unsigned int i = (unsigned int)rand_r(&seed) % n;

		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
		objs[i] = objs[--n];
	}

	hm_test_log_capture_start(&cap);
	ck_assert_int_eq(hm_slab_cache_destroy(c), -EBUSY);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	snprintf(count, sizeof(count), "%u", n);
	ck_assert_msg(hm_test_has_line(log, "leaky", count), "no line names the cache and %s: %s",
		      count, log);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 60);
	ck_assert_uint_eq(stats_of(c).live, 60);
	check_books(c);

	/* Still a cache: found by name, objects come and go. */
	ck_assert_ptr_eq(hm_slab_cache_lookup("leaky"), c);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);

	while (n > 0)
		ck_assert_int_eq(hm_slab_free(objs[--n]), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0); /* objects in the array cache are not live */
	errno = 0;
	ck_assert_ptr_null(hm_slab_cache_lookup("leaky"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), -EINVAL); /* gone: a bad cache */
	ck_assert_int_eq(hm_slab_cache_destroy(c), -EINVAL);
	ck_assert_uint_eq(buddy_free_pages(), before); /* every slab went back */
	ck_assert_int_eq(hm_slab_audit(), 0);

	/* The name is free again. */
	c = hm_slab_cache_create("leaky", 512, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(hm_slab_cache_object_size(c), 512);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);

	ck_assert_int_eq(hm_slab_cache_destroy(hm_kmalloc_cache(0)), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_destroy(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(shrink_gives_free_slabs_back_to_the_buddy_allocator)
{
	static void *objs[2000];
	char before[2048], after[2048];
	uint64_t free0, free_full, free_freed, free_shrunk;
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	unsigned int seed = 11;
	long pages;
	void *p;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("shrinkable", 256, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	/* Once round, so that whatever the cache keeps for good is already taken. */
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(c), 0);
	hm_buddy_drain_lcore(hm_lcore_id());
	hm_buddy_info(before, sizeof(before));
	free0 = buddy_free_pages();

	for (unsigned int i = 0; i < HM_DIM(objs); i++)
		ck_assert_ptr_nonnull(objs[i] = hm_slab_alloc(c, 0));
	free_full = buddy_free_pages();
	ck_assert_uint_ge(free0 - free_full, HM_DIM(objs) * 256 / 4096);
	for (unsigned int n = HM_DIM(objs); n > 0; n--) {
		unsigned int i = (unsigned int)rand_r(&seed) % n;

		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
		objs[i] = objs[n - 1];
	}
	free_freed = buddy_free_pages();
	pages = hm_slab_cache_shrink(c);
	free_shrunk = buddy_free_pages();
	ck_assert_int_gt(pages, 0);
	ck_assert_uint_eq((uint64_t)pages, free_shrunk - free_freed); /* the pages it says */
	ck_assert_uint_eq(free_shrunk, free0);			      /* and all of them */
	st = stats_of(c);
	ck_assert_uint_eq(st.num_slabs, 0);
	ck_assert_uint_eq(st.num_objs, 0);
	ck_assert_uint_eq(st.active_objs, 0);
	ck_assert_uint_eq(st.sharedavail, 0);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_uint_eq(st.reaped, st.grown);
	check_books(c);
	hm_buddy_drain_lcore(hm_lcore_id());
	hm_buddy_info(after, sizeof(after));
	ck_assert_str_eq(before, after); /* buddyinfo: every block merged back */
	ck_assert_int_eq(hm_slab_cache_shrink(c), 0);
	ck_assert_int_eq(hm_slab_cache_shrink(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_cache_that_cannot_grow_fails_with_enomem_and_recovers)
{
	static void *objs[1024];
	struct hm_watermarks wm = {1024, 1100, 1200}; /* a quarter of the zone held back */
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	unsigned int n = 0, normal;
	uint64_t before;

	init_no_huge("0", "16", NULL);
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_NORMAL, &wm), 0);
	warm_lcores();
	before = buddy_free_pages();
	c = hm_slab_cache_create("greedy", 65536, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	errno = 0;
	while (n < HM_DIM(objs) && (objs[n] = hm_slab_alloc(c, 0)) != NULL)
		n++;
	ck_assert_uint_lt(n, HM_DIM(objs));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_gt(n, 150); /* most of what is above the min watermark */
	/* HM_BUDDY_ATOMIC lets a new slab dip below min. */
	normal = n;
	while (n < HM_DIM(objs) && (objs[n] = hm_slab_alloc(c, HM_BUDDY_ATOMIC)) != NULL)
		n++;
	ck_assert_uint_gt(n, normal + 16);
	st = stats_of(c);
	ck_assert_uint_ge(st.alloc_failures, 1);
	ck_assert_uint_eq(st.live, n);
	check_books(c);
	/* A kmalloc that needs a new slab fails the same way, without harm. */
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(100000, 0));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(hm_slab_audit(), 0);
	while (n > 0)
		ck_assert_int_eq(hm_slab_free(objs[--n]), 0);
	ck_assert_int_gt(hm_slab_cache_shrink(c), 0);
	ck_assert_ptr_nonnull(objs[0] = hm_kmalloc(100000, 0));
	ck_assert_int_eq(hm_kfree(objs[0]), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(hm_kmalloc_cache(12)), 0);
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(the_cache_table_fills_up_with_enospc_and_a_destroyed_slot_is_reused)
{
	static struct hm_slab_cache *held[HM_SLAB_MAX_CACHES + 1];
	unsigned int n = 0;
	char name[HM_SLAB_NAMESIZE];
	void *obj;

	init_no_huge("0", "64", NULL);
	errno = 0;
	for (;;) {
		snprintf(name, sizeof(name), "many-%u", n);
		held[n] = hm_slab_cache_create(name, 64, 0, 0, NULL, NULL);
		if (held[n] == NULL || n == HM_SLAB_MAX_CACHES)
			break;
		n++;
	}
	ck_assert_ptr_null(held[n]);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(n + HM_KMALLOC_NR_CACHES, HM_SLAB_MAX_CACHES);
	ck_assert_int_eq(hm_slab_cache_destroy(held[5]), 0);
	held[5] = hm_slab_cache_create("one-more", 64, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(held[5]);
	ck_assert_ptr_null(hm_slab_cache_create("one-too-many", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, ENOSPC);
	/* A full table still serves. */
	obj = hm_slab_alloc(held[n - 1], 0);
	ck_assert_ptr_nonnull(obj);
	ck_assert_int_eq(hm_slab_free(obj), 0);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_eq(hm_slab_cache_destroy(held[i]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ kmalloc */

START_TEST(kmalloc_caches_are_the_thirteen_powers_of_two_from_32_bytes)
{
	char name[HM_SLAB_NAMESIZE];

	init_no_huge("0", "64", NULL);
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		struct hm_slab_cache *c = hm_kmalloc_cache(k);

		ck_assert_ptr_nonnull(c);
		snprintf(name, sizeof(name), "kmalloc-%u", HM_KMALLOC_MIN_SIZE << k);
		ck_assert_str_eq(hm_slab_cache_name(c), name);
		ck_assert_uint_eq(hm_slab_cache_object_size(c), HM_KMALLOC_MIN_SIZE << k);
		ck_assert_ptr_eq(hm_slab_cache_lookup(name), c);
		ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
	}
	ck_assert_uint_eq(HM_KMALLOC_MIN_SIZE << (HM_KMALLOC_NR_CACHES - 1), HM_KMALLOC_MAX_CACHED);
	ck_assert_ptr_null(hm_kmalloc_cache(HM_KMALLOC_NR_CACHES));
	ck_assert_ptr_null(hm_kmalloc_cache(UINT32_MAX));
	hm_eal_cleanup();
}
END_TEST

START_TEST(kmalloc_sizes_fall_into_their_class_at_every_boundary)
{
	static size_t sizes[64];
	static void *objs[64];
	unsigned int n = 0;

	init_no_huge("0", "64", NULL);
	sizes[n++] = 1;
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		size_t c = (size_t)HM_KMALLOC_MIN_SIZE << k;

		sizes[n++] = c - 1;
		sizes[n++] = c;
		sizes[n++] = c + 1;
	}
	sizes[n++] = 200000;
	sizes[n++] = 1 << 20;
	sizes[n++] = (1 << 20) + 1;
	sizes[n++] = 4 << 20;
	for (unsigned int i = 0; i < n; i++) {
		size_t size = sizes[i], class = kmalloc_class(size);
		unsigned int k = 0;
		long live = 0;

		while (k < HM_KMALLOC_NR_CACHES && (size_t)HM_KMALLOC_MIN_SIZE << k < class)
			k++;
		if (k < HM_KMALLOC_NR_CACHES)
			live = hm_slab_cache_live_objects(hm_kmalloc_cache(k));
		objs[i] = hm_kmalloc(size, 0);
		ck_assert_msg(objs[i] != NULL, "kmalloc(%zu): %s", size, strerror(errno));
		ck_assert_msg(hm_ksize(objs[i]) == class, "ksize of kmalloc(%zu) is %zu, not %zu",
			      size, hm_ksize(objs[i]), class);
		ck_assert_msg((uintptr_t)objs[i] % (class < 4096 ? class : 4096) == 0,
			      "kmalloc(%zu) = %p is not aligned to its class", size, objs[i]);
		if (k < HM_KMALLOC_NR_CACHES)
			ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(k)), live + 1);
		check_iova_contiguous(objs[i], class);
		fill(objs[i], class, i); /* the whole class is usable */
	}
	for (unsigned int i = 0; i < n; i++) {
		ck_assert_uint_eq(intact(objs[i], hm_ksize(objs[i]), i), hm_ksize(objs[i]));
		ck_assert_int_eq(hm_kfree(objs[i]), 0);
	}
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(k)), 0);
		check_books(hm_kmalloc_cache(k));
	}
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(kmalloc_refuses_zero_absurd_sizes_and_frees_of_what_it_did_not_give)
{
	struct hm_slab_stats before[HM_KMALLOC_NR_CACHES];
	uint64_t on_stack[8] = {0};
	uint8_t *p, *big, *dma;

	init_no_huge("0", "64", NULL);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_kzalloc(0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_kmalloc(64, 0x100));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(SIZE_MAX, 0));
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(SIZE_MAX - 4095, 0)); /* would wrap when rounded up */
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(1ULL << 40, 0));
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc((4ULL << 30) + 1, 0)); /* above the largest buddy block */
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_ptr_null(hm_kmalloc(1ULL << 30, 0)); /* a block there is not */
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_int_eq(hm_kfree(NULL), 0);
	ck_assert_uint_eq(hm_ksize(NULL), 0);

	p = hm_kmalloc(100, 0);
	big = hm_kmalloc(300000, 0);
	dma = hm_dma_alloc(4096, 0, 0, 0, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(dma);
	fill(dma, 4096, 5);
	kmalloc_stats(before);

	ck_assert_int_eq(hm_kfree(on_stack), -EINVAL);
	ck_assert_int_eq(hm_kfree(dma), -EINVAL); /* a buddy block kmalloc did not give */
	ck_assert_int_eq(hm_kfree(p + 1), -EINVAL);
	ck_assert_int_eq(hm_kfree(p + 64), -EINVAL); /* the middle of an object */
	ck_assert_int_eq(hm_kfree(big + 1), -EINVAL);
	ck_assert_int_eq(hm_kfree(big + 4096), -EINVAL);
	ck_assert_int_eq(hm_slab_free(big), -EINVAL); /* a large block is no cache's object */
	ck_assert_uint_eq(hm_ksize(on_stack), 0);
	ck_assert_uint_eq(hm_ksize(dma), 0);

	check_kmalloc_unchanged(before); /* nothing changed */
	ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(2)), 1);
	ck_assert_uint_eq(hm_ksize(big), 512 << 10);
	ck_assert_uint_eq(intact(dma, 4096, 5), 4096);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_int_eq(hm_dma_free(dma), 0); /* still the caller's */
	ck_assert_int_eq(hm_kfree(p), 0);
	ck_assert_int_eq(hm_kfree(big), 0);
	ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(2)), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(krealloc_moves_across_classes_and_keeps_the_contents)
{
	uint64_t on_stack[4] = {0};
	uint8_t *p, *q;

	init_no_huge("0", "64", NULL);
	p = hm_krealloc(NULL, 16, 0); /* NULL: kmalloc */
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(hm_ksize(p), 32);
	fill(p, 16, 1);
	ck_assert_ptr_eq(hm_krealloc(p, 24, 0), p); /* the class still holds it */
	ck_assert_ptr_eq(hm_krealloc(p, 32, 0), p);

	q = hm_krealloc(p, 100, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(hm_ksize(q), 128);
	ck_assert_uint_eq(intact(q, 16, 1), 16);
	fill(q, 100, 2);
	ck_assert_ptr_eq(hm_krealloc(q, 128, 0), q);
	ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(0)), 0); /* 32 freed */

	p = hm_krealloc(q, 5000, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(hm_ksize(p), 8192);
	ck_assert_uint_eq(intact(p, 100, 2), 100);
	fill(p, 5000, 3);
	ck_assert_ptr_eq(hm_krealloc(p, 4100, 0), p); /* smaller, same class */
	ck_assert_uint_eq(intact(p, 4100, 3), 4100);

	q = hm_krealloc(p, 200000, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(hm_ksize(q), 256 << 10);
	ck_assert_uint_eq(intact(q, 4100, 3), 4100);
	fill(q, 200000, 4);

	/* A failure leaves ptr as it was. */
	errno = 0;
	ck_assert_ptr_null(hm_krealloc(q, SIZE_MAX, 0));
	ck_assert_int_eq(errno, E2BIG);
	errno = 0;
	ck_assert_ptr_null(hm_krealloc(q, 1ULL << 30, 0));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(intact(q, 200000, 4), 200000);
	ck_assert_uint_eq(hm_ksize(q), 256 << 10);
	errno = 0;
	ck_assert_ptr_null(hm_krealloc(on_stack, 10, 0));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_krealloc(q, 10, 0x100)); /* bad flags, even when it would fit */
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_krealloc(q, 300000, 0x100));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(intact(q, 200000, 4), 200000);

	/* Down to 10 bytes: the block holds them, so it stays. */
	p = hm_krealloc(q, 10, 0);
	ck_assert_ptr_eq(p, q);
	ck_assert_uint_eq(intact(p, 10, 4), 10);

	/* Size 0 frees. */
	ck_assert_ptr_null(hm_krealloc(p, 0, 0));
	ck_assert_uint_eq(hm_ksize(p), 0);
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++)
		ck_assert_int_eq(hm_slab_cache_live_objects(hm_kmalloc_cache(k)), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(kzalloc_and_the_zero_flag_give_zeroed_memory_and_node_calls_check_the_socket)
{
	static const size_t sizes[] = {200, 3000, 300000};
	struct hm_slab_cache *c;
	uint8_t *p, *q;

	init_no_huge("0", "64", NULL);
	for (unsigned int i = 0; i < HM_DIM(sizes); i++) {
		for (unsigned int how = 0; how < 2; how++) {
			p = hm_kmalloc(sizes[i], 0);
			ck_assert_ptr_nonnull(p);
			memset(p, 0xab, hm_ksize(p));
			ck_assert_int_eq(hm_kfree(p), 0);
			q = how ? hm_kmalloc(sizes[i], HM_BUDDY_ZERO) : hm_kzalloc(sizes[i], 0);
			ck_assert_ptr_nonnull(q);
			ck_assert_msg(all_bytes(q, 0, sizes[i]), "%s(%zu) is not zeroed",
				      how ? "kmalloc ZERO" : "kzalloc", sizes[i]);
			ck_assert_int_eq(hm_kfree(q), 0);
		}
	}
	c = hm_slab_cache_create("zeroed", 300, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xab, 300);
	ck_assert_int_eq(hm_slab_free(p), 0);
	q = hm_slab_alloc(c, HM_BUDDY_ZERO);
	ck_assert_ptr_nonnull(q);
	ck_assert(all_bytes(q, 0, 300));
	ck_assert_int_eq(hm_slab_free(q), 0);

	/* Sockets: 0, any, one without memory (falls back); out of range is refused. */
	p = hm_kmalloc_node(100, 0, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_mem_virt2memseg(p)->socket_id, 0);
	ck_assert_int_eq(hm_kfree(p), 0);
	p = hm_kmalloc_node(100, 0, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_kfree(p), 0);
	p = hm_kmalloc_node(300000, 0, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_kfree(p), 0);
	p = hm_kmalloc_node(100, 0, 3);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_mem_virt2memseg(p)->socket_id, 0);
	ck_assert_int_eq(hm_kfree(p), 0);
	p = hm_slab_alloc_node(c, 0, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	p = hm_slab_alloc_node(c, 0, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	p = hm_slab_alloc_node(c, HM_BUDDY_ZERO, 3);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_mem_virt2memseg(p)->socket_id, 0);
	ck_assert(all_bytes(p, 0, 300));
	ck_assert_int_eq(hm_slab_free(p), 0);
	const int bad[] = {HM_MAX_NUMA_NODES, -7, INT32_MAX, INT32_MIN};
	for (unsigned int i = 0; i < HM_DIM(bad); i++) {
		errno = 0;
		ck_assert_ptr_null(hm_kmalloc_node(100, 0, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(hm_kmalloc_node(300000, 0, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_ptr_null(hm_slab_alloc_node(c, 0, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	check_books(c);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ bad input */

static int
count_caches(struct hm_slab_cache *c, void *arg)
{
	(void)c;
	(*(unsigned int *)arg)++;
	return 0;
}

START_TEST(every_call_refuses_bad_input_and_the_library_stays_usable)
{
	char longest[HM_SLAB_NAMESIZE], too_long[HM_SLAB_NAMESIZE + 1];
	struct hm_slab_stats kbefore[HM_KMALLOC_NR_CACHES], good;
	static uint64_t fake[512]; /* zeroes where a cache is expected */
	struct hm_slab_cache *c, *bogus = (struct hm_slab_cache *)fake;
	struct hm_slab_stats st;
	uint64_t on_stack[4] = {0};
	unsigned int count = 0;
	uint8_t *p, *block;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("good", 100, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	block = hm_buddy_alloc(1, 0, 0);
	ck_assert_ptr_nonnull(block);
	ck_assert_int_eq(hm_kfree(hm_kmalloc(64, 0)), 0); /* kmalloc-64's array cache warm */
	kmalloc_stats(kbefore);
	good = stats_of(c);

	/* create */
	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
#define REFUSED(call, err)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		ck_assert_ptr_null(call);                                                          \
		ck_assert_int_eq(errno, err);                                                      \
	} while (0)
	REFUSED(hm_slab_cache_create(NULL, 64, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("", 64, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create(too_long, 64, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("new\nline", 64, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("good", 64, 0, 0, NULL, NULL), EEXIST);
	REFUSED(hm_slab_cache_create("kmalloc-64", 64, 0, 0, NULL, NULL), EEXIST);
	REFUSED(hm_slab_cache_create("zero", 0, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("huge", HM_SLAB_MAX_SIZE + 1, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("huger", SIZE_MAX, 0, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("align3", 64, 3, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("align24", 64, 24, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("align8k", 64, 8192, 0, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("flags", 64, 0, 0x100, NULL, NULL), EINVAL);
	REFUSED(hm_slab_cache_create("flags2", 64, 0, 0x80000000u, NULL, NULL), EINVAL);

	/* lookup */
	REFUSED(hm_slab_cache_lookup(NULL), EINVAL);
	REFUSED(hm_slab_cache_lookup("nope"), ENOENT);
	ck_assert_ptr_null(hm_slab_cache_lookup(too_long));

	/* alloc */
	REFUSED(hm_slab_alloc(NULL, 0), EINVAL);
	REFUSED(hm_slab_alloc(bogus, 0), EINVAL);
	REFUSED(hm_slab_alloc(c, 0x100), EINVAL); /* p came in a batch: more are cached */
	REFUSED(hm_slab_alloc(c, HM_BUDDY_DMA32), EINVAL);
	REFUSED(hm_slab_alloc_node(NULL, 0, 0), EINVAL);
	REFUSED(hm_slab_alloc_node(c, 0x100, 0), EINVAL);
	REFUSED(hm_kmalloc(64, 0x100), EINVAL);
	REFUSED(hm_kmalloc(64, HM_BUDDY_DMA32), EINVAL);
	REFUSED(hm_kmalloc_node(64, 0x100, 0), EINVAL);
	REFUSED(hm_krealloc(NULL, 64, 0x100), EINVAL);

	/* free: nothing that is not an object */
	ck_assert_int_eq(hm_slab_free(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_free(on_stack), -EINVAL);
	ck_assert_int_eq(hm_slab_free(fake), -EINVAL);
	ck_assert_int_eq(hm_slab_free(p + 1), -EINVAL);
	ck_assert_int_eq(hm_slab_free(p + 50), -EINVAL);
	ck_assert_int_eq(hm_slab_free(block), -EINVAL);
	ck_assert_int_eq(hm_slab_free(block + 4096), -EINVAL);

	/* the rest */
	ck_assert_int_eq(hm_slab_cache_shrink(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_shrink(bogus), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_destroy(bogus), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_live_objects(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_live_objects(bogus), -EINVAL);
	ck_assert_ptr_null(hm_slab_cache_name(NULL));
	ck_assert_ptr_null(hm_slab_cache_name(bogus));
	ck_assert_uint_eq(hm_slab_cache_object_size(NULL), 0);
	ck_assert_uint_eq(hm_slab_cache_object_size(bogus), 0);
	ck_assert_int_eq(hm_slab_cache_stats(NULL, &st), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_stats(bogus, &st), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_stats(c, NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_set_ctor(NULL, test_ctor, test_dtor), -EINVAL);
	/* not the pair the cache was created with (none) */
	ck_assert_int_eq(hm_slab_cache_set_ctor(c, test_ctor, test_dtor), -EINVAL);
	ck_assert_int_eq(hm_slab_cache_walk(NULL, NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_info(NULL, 10), hm_slab_info(NULL, 0)); /* as snprintf */
	hm_slab_drain_lcore(HM_MAX_LCORE);
	hm_slab_drain_lcore(HM_LCORE_ID_ANY);
	hm_slab_drain_lcore(77); /* not an lcore of this process */
#undef REFUSED

	/* Nothing changed, and everything still works. */
	check_kmalloc_unchanged(kbefore);
	st = stats_of(c);
	check_same_books(&good, &st);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 1);
	c = hm_slab_cache_create(longest, 64, 4096, HM_SLAB_HWCACHE_ALIGN, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(hm_slab_cache_lookup(longest), c);
	ck_assert_int_eq(hm_slab_free(hm_slab_alloc(c, 0)), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_buddy_free(block), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(hm_slab_cache_lookup("good")), 0);
	ck_assert_int_eq(hm_slab_cache_walk(count_caches, &count), 0);
	ck_assert_uint_eq(count, HM_KMALLOC_NR_CACHES);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(calls_before_init_and_after_cleanup_fail_cleanly)
{
	uint64_t on_stack[4] = {0};

	hm_log_set_level(HM_LOG_EMERG); /* the refusals below log; quietly */
	errno = 0;
	ck_assert_ptr_null(hm_slab_cache_create("early", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_ptr_null(hm_slab_cache_lookup("kmalloc-64"));
	ck_assert_ptr_null(hm_kmalloc(64, 0));
	ck_assert_ptr_null(hm_kmalloc_cache(0));
	ck_assert_int_eq(hm_kfree(NULL), 0);
	ck_assert_int_eq(hm_kfree(on_stack), -EINVAL);
	ck_assert_int_eq(hm_slab_free(NULL), -EINVAL);
	ck_assert_int_eq(hm_slab_free(on_stack), -EINVAL);

	init_no_huge("0", "16", NULL);
	ck_assert_int_eq(hm_kfree(hm_kmalloc(64, 0)), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);

	errno = 0;
	ck_assert_ptr_null(hm_slab_cache_create("late", 64, 0, 0, NULL, NULL));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_ptr_null(hm_slab_cache_lookup("kmalloc-64"));
	ck_assert_ptr_null(hm_kmalloc(64, 0));
	ck_assert_int_eq(hm_slab_free(on_stack), -EINVAL);
}
END_TEST

/* ================================================ another lcore */

struct xfer {
	struct hm_slab_cache *cache; /* NULL: kmalloc */
	void **objs;
	unsigned int n;
	unsigned int seed;
};

static int
xfer_alloc(void *arg)
{
	struct xfer *x = arg;

	for (unsigned int i = 0; i < x->n; i++) {
		x->objs[i] = x->cache != NULL ? hm_slab_alloc(x->cache, 0) : hm_kmalloc(100, 0);
		if (x->objs[i] == NULL)
			return -1;
		fill(x->objs[i], 100, x->seed + i);
	}
	return 0;
}

static int
xfer_free(void *arg)
{
	struct xfer *x = arg;

	for (unsigned int i = 0; i < x->n; i++) {
		if (intact(x->objs[i], 100, x->seed + i) != 100)
			return -2;
		if ((x->cache != NULL ? hm_slab_free(x->objs[i]) : hm_kfree(x->objs[i])) != 0)
			return -1;
	}
	return 0;
}

/* Allocate on one lcore, free on the other, both ways. */
static void
alloc_here_free_there(struct xfer *x, unsigned int worker)
{
	ck_assert_int_eq(xfer_alloc(x), 0);
	ck_assert_int_eq(hm_eal_remote_launch(xfer_free, x, worker), 0);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	x->seed += x->n;
	ck_assert_int_eq(hm_eal_remote_launch(xfer_alloc, x, worker), 0);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	ck_assert_int_eq(xfer_free(x), 0);
}

START_TEST(objects_freed_on_another_lcore_go_home_and_the_books_agree)
{
	static void *objs[4000];
	struct xfer x = {NULL, objs, HM_DIM(objs), 1};
	struct hm_slab_cache *c, *k128 = NULL;
	struct hm_slab_stats st, k0;
	unsigned int worker;
	uint64_t before;

	init_two_lcores("64");
	worker = hm_get_next_lcore(UINT32_MAX, true, false);
	ck_assert_uint_lt(worker, HM_MAX_LCORE);
	c = hm_slab_cache_create("cross-lcore", 100, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	warm_lcores();
	before = buddy_free_pages();

	x.cache = c;
	alloc_here_free_there(&x, worker);
	st = stats_of(c);
	ck_assert_uint_eq(st.allocs, 2 * HM_DIM(objs));
	ck_assert_uint_eq(st.frees, 2 * HM_DIM(objs));
	ck_assert_uint_eq(st.live, 0);
	check_books(c);

	/* kmalloc objects the same way. */
	k128 = hm_kmalloc_cache(2);
	k0 = stats_of(k128);
	x.cache = NULL;
	alloc_here_free_there(&x, worker);
	st = stats_of(k128);
	ck_assert_uint_eq(st.allocs - k0.allocs, 2 * HM_DIM(objs));
	ck_assert_uint_eq(st.frees - k0.frees, 2 * HM_DIM(objs));
	ck_assert_uint_eq(st.live, 0);
	ck_assert_uint_gt(st.cached, 0); /* the last frees wait in main's array cache */
	check_books(k128);

	/* Both lcores idle: their array caches go back, and shrink empties the caches. */
	drain_all();
	ck_assert_uint_eq(stats_of(c).cached, 0);
	ck_assert_uint_eq(stats_of(k128).cached, 0);
	check_books(c);
	check_books(k128);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(c), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(k128), 0);
	st = stats_of(c);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_uint_eq(st.num_slabs, 0);
	st = stats_of(k128);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_uint_eq(st.num_slabs, 0);
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ concurrency */

#define HAMMER_KINDS 5 /* four caches and kmalloc */
#define HAMMER_SLOTS 256
#define HAMMER_OPS   20000
#define HAMMER_MAGIC 0x5eedf00dcafe1234ULL

struct stamp {
	uint64_t tag; /* HAMMER_MAGIC ^ address */
	uint32_t kind;
	uint32_t pad;
};

static struct hm_slab_cache *hammer_caches[HAMMER_KINDS - 1];
static _Atomic(struct stamp *) hammer_slots[HAMMER_SLOTS];
static atomic_int hammer_go;
/* What went wrong, by kind: allocations that failed, stamps not ours, frees refused. */
static atomic_uint hammer_alloc_failed, hammer_bad_stamp, hammer_free_refused;
static atomic_int hammer_last_errno;

static int
hammer_release(struct stamp *s)
{
	unsigned int kind = s->kind;

	if (s->tag != (HAMMER_MAGIC ^ (uintptr_t)s) || kind >= HAMMER_KINDS) {
		atomic_fetch_add(&hammer_bad_stamp, 1);
		return -1;
	}
	s->tag = 0;
	if ((kind < HAMMER_KINDS - 1 ? hm_slab_free(s) : hm_kfree(s)) != 0) {
		atomic_fetch_add(&hammer_free_refused, 1);
		return -1;
	}
	return 0;
}

static int
hammer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	struct stamp *mine[64] = {0};
	int bad = 0;

	while (!atomic_load(&hammer_go))
		;
	for (unsigned int i = 0; i < HAMMER_OPS; i++) {
		unsigned int r = (unsigned int)rand_r(&seed);
		unsigned int kind = r % HAMMER_KINDS;
		struct stamp *s, *old;

		s = kind < HAMMER_KINDS - 1 ? hm_slab_alloc(hammer_caches[kind], 0)
					    : hm_kmalloc(16 + (r >> 4) % 3000, 0);
		if (s == NULL) {
			atomic_store(&hammer_last_errno, errno);
			atomic_fetch_add(&hammer_alloc_failed, 1);
			bad++;
			continue;
		}
		s->tag = HAMMER_MAGIC ^ (uintptr_t)s;
		s->kind = kind;
		if ((r >> 16) & 1) { /* keep it for a while */
			unsigned int k = (r >> 17) % HM_DIM(mine);

			if (mine[k] != NULL)
				bad += hammer_release(mine[k]) != 0;
			mine[k] = s;
		} else { /* hand it over: whoever finds it frees it */
			old = atomic_exchange(&hammer_slots[(r >> 17) % HAMMER_SLOTS], s);
			if (old != NULL)
				bad += hammer_release(old) != 0;
		}
	}
	for (unsigned int k = 0; k < HM_DIM(mine); k++)
		if (mine[k] != NULL)
			bad += hammer_release(mine[k]) != 0;
	return bad;
}

static void *
hammer_thread(void *arg)
{
	return (void *)(intptr_t)hammer(arg);
}

START_TEST(two_lcores_and_a_plain_thread_hammering_the_same_caches_keep_the_books_right)
{
	static const size_t sizes[HAMMER_KINDS - 1] = {16, 200, 1000, 4096};
	int main_bad, worker_bad;
	unsigned int worker;
	pthread_t plain;
	void *plain_bad;
	uint64_t before;

	init_two_lcores("128");
	worker = hm_get_next_lcore(UINT32_MAX, true, false);
	warm_lcores();
	before = buddy_free_pages();
	for (unsigned int k = 0; k < HM_DIM(hammer_caches); k++) {
		char name[HM_SLAB_NAMESIZE];

		snprintf(name, sizeof(name), "hammer-%zu", sizes[k]);
		hammer_caches[k] =
		    hm_slab_cache_create(name, sizes[k], k == 3 ? 64 : 0,
					 k == 2 ? HM_SLAB_HWCACHE_ALIGN : 0, NULL, NULL);
		ck_assert_ptr_nonnull(hammer_caches[k]);
	}
	atomic_store(&hammer_go, 0);
	ck_assert_int_eq(hm_eal_remote_launch(hammer, (void *)1, worker), 0);
	ck_assert_int_eq(pthread_create(&plain, NULL, hammer_thread, (void *)2), 0);
	atomic_store(&hammer_go, 1);
	main_bad = hammer((void *)3);
	worker_bad = hm_eal_wait_lcore(worker);
	ck_assert_int_eq(pthread_join(plain, &plain_bad), 0);
	ck_assert_msg(main_bad == 0 && worker_bad == 0 && plain_bad == NULL,
		      "failures: main %d, worker %d, plain thread %d: %u allocations failed "
		      "(last errno %d), %u objects not as stamped, %u frees refused",
		      main_bad, worker_bad, (int)(intptr_t)plain_bad,
		      atomic_load(&hammer_alloc_failed), atomic_load(&hammer_last_errno),
		      atomic_load(&hammer_bad_stamp), atomic_load(&hammer_free_refused));
	for (unsigned int i = 0; i < HAMMER_SLOTS; i++) {
		struct stamp *s = atomic_exchange(&hammer_slots[i], NULL);

		if (s != NULL)
			ck_assert_int_eq(hammer_release(s), 0);
	}

	drain_all();
	ck_assert_int_eq(hm_slab_audit(), 0);
	for (unsigned int k = 0; k < HM_DIM(hammer_caches); k++) {
		struct hm_slab_stats st = stats_of(hammer_caches[k]);

		ck_assert_uint_gt(st.allocs, 0);
		ck_assert_uint_eq(st.allocs, st.frees);
		ck_assert_uint_eq(st.live, 0);
		ck_assert_uint_eq(st.cached, 0);
		ck_assert_uint_eq(st.errors, 0);
		check_books(hammer_caches[k]);
		ck_assert_int_ge(hm_slab_cache_shrink(hammer_caches[k]), 0);
		ck_assert_uint_eq(stats_of(hammer_caches[k]).num_slabs, 0);
		ck_assert_int_eq(hm_slab_cache_destroy(hammer_caches[k]), 0);
	}
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		struct hm_slab_cache *c = hm_kmalloc_cache(k);

		ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
		check_books(c);
		ck_assert_int_ge(hm_slab_cache_shrink(c), 0);
		ck_assert_uint_eq(stats_of(c).num_slabs, 0);
	}
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Three threads that all need new slabs at once, from a cache of one object
 * per slab: each allocation that finds nothing cached makes a slab, and the
 * others may take its object before it comes back for it. With 128 MiB
 * free, not one allocation may fail.
 */
#define RACE_ROUNDS  50
#define RACE_OBJECTS 300

static struct hm_slab_cache *race_cache;
static atomic_int race_go;
static atomic_uint race_failed;
static atomic_int race_errno;

static int
race_for_slabs(void *arg)
{
	void **objs = arg;

	while (!atomic_load(&race_go))
		;
	for (unsigned int i = 0; i < RACE_OBJECTS; i++) {
		objs[i] = hm_slab_alloc(race_cache, 0);
		if (objs[i] == NULL) {
			atomic_store(&race_errno, errno);
			atomic_fetch_add(&race_failed, 1);
		}
	}
	return 0;
}

static void *
race_thread(void *arg)
{
	return (void *)(intptr_t)race_for_slabs(arg);
}

START_TEST(threads_racing_for_new_slabs_never_fail_while_memory_is_left)
{
	static void *objs[3][RACE_OBJECTS];
	unsigned int worker, failed = 0;
	char name[HM_SLAB_NAMESIZE];
	pthread_t plain;

	init_two_lcores("128");
	worker = hm_get_next_lcore(UINT32_MAX, true, false);
	for (unsigned int round = 0; round < RACE_ROUNDS; round++) {
		snprintf(name, sizeof(name), "race-%u", round);
		race_cache = hm_slab_cache_create(name, 4096, 0, 0, NULL, NULL);
		ck_assert_ptr_nonnull(race_cache);
		ck_assert_uint_eq(stats_of(race_cache).objperslab, 1);
		atomic_store(&race_go, 0);
		ck_assert_int_eq(hm_eal_remote_launch(race_for_slabs, objs[1], worker), 0);
		ck_assert_int_eq(pthread_create(&plain, NULL, race_thread, objs[2]), 0);
		atomic_store(&race_go, 1);
		race_for_slabs(objs[0]);
		ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
		ck_assert_int_eq(pthread_join(plain, NULL), 0);
		for (unsigned int t = 0; t < 3; t++)
			for (unsigned int i = 0; i < RACE_OBJECTS; i++)
				if (objs[t][i] != NULL)
					ck_assert_int_eq(hm_slab_free(objs[t][i]), 0);
		drain_all();
		ck_assert_int_eq(hm_slab_cache_live_objects(race_cache), 0);
		ck_assert_int_eq(hm_slab_cache_destroy(race_cache), 0);
	}
	failed = atomic_load(&race_failed);
	ck_assert_msg(failed == 0,
		      "%u of %u allocations failed (last errno %d) with most of 128 MiB free",
		      failed, RACE_ROUNDS * 3 * RACE_OBJECTS, atomic_load(&race_errno));
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ debugging */

START_TEST(a_debug_cache_refuses_a_double_free_and_stays_consistent)
{
	char log[65536], addr[32];
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	struct hm_test_capture cap;
	void *p, *q, *r[3];
	int ret;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("dbg-double", 100, 0, HM_SLAB_DEBUG, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(stats_of(c).flags & HM_SLAB_DEBUG, HM_SLAB_DEBUG);
	p = hm_slab_alloc(c, 0);
	q = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	fill(q, 100, 9);
	ck_assert_int_eq(hm_slab_free(p), 0);

	hm_test_log_capture_start(&cap);
	ret = hm_slab_free(p);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_msg(hm_test_has_line(log, "dbg-double", hex(p, addr, sizeof(addr))),
		      "no line names the cache and %p: %s", p, log);
	st = stats_of(c);
	ck_assert_uint_eq(st.errors, 1);
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(st.cached, 0); /* debug caches bypass the array caches */
	check_books(c);
	ck_assert_int_eq(hm_slab_audit(), 0);

	/* Still usable, and the object freed twice is handed out once. */
	for (unsigned int i = 0; i < HM_DIM(r); i++) {
		r[i] = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(r[i]);
		ck_assert_ptr_ne(r[i], q);
		for (unsigned int j = 0; j < i; j++)
			ck_assert_ptr_ne(r[i], r[j]);
	}
	ck_assert_uint_eq(intact(q, 100, 9), 100);
	for (unsigned int i = 0; i < HM_DIM(r); i++)
		ck_assert_int_eq(hm_slab_free(r[i]), 0);
	ck_assert_int_eq(hm_slab_free(q), 0);
	ck_assert_int_eq(hm_slab_free(q), -EINVAL);
	st = stats_of(c);
	ck_assert_uint_eq(st.errors, 2);
	ck_assert_uint_eq(st.live, 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(an_owned_cache_knows_who_holds_each_object_and_a_reclaim_frees_them)
{
	static const unsigned int variants[] = {HM_SLAB_OWNED, HM_SLAB_OWNED | HM_SLAB_DEBUG,
						HM_SLAB_OWNED | HM_SLAB_HWCACHE_ALIGN};
	enum { N = 300 };
	static void *obj[N];
	struct hm_slab_cache *plain;
	uint64_t me;

	init_no_huge("0", "64", NULL);
	me = hm_shared_config_proc_tag();
	ck_assert_uint_ne(me, 0);
	plain = hm_slab_cache_create("not-owned", 64, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(plain);
	for (unsigned int v = 0; v < HM_DIM(variants); v++) {
		struct hm_slab_cache *c =
		    hm_slab_cache_create("owned", 100, 0, variants[v], NULL, NULL);
		void *p;

		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(hm_slab_owner_count(me), 0);
		for (unsigned int i = 0; i < N; i++) {
			obj[i] = hm_slab_alloc(c, 0);
			ck_assert_ptr_nonnull(obj[i]);
			fill(obj[i], 100, i);
		}
		ck_assert_uint_eq(hm_slab_owner_count(me), N);
		ck_assert_int_eq(hm_slab_audit(), 0);
		/* Half back; a second free of one is refused even without debug checks. */
		for (unsigned int i = 0; i < N / 2; i++)
			ck_assert_int_eq(hm_slab_free(obj[i]), 0);
		ck_assert_int_eq(hm_slab_free(obj[0]), -EINVAL);
		ck_assert_int_eq(hm_slab_obj_adopt(obj[0]), -EINVAL); /* free: nobody's */
		ck_assert_int_eq(hm_slab_obj_adopt(obj[N - 1]), 0);
		ck_assert_uint_eq(hm_slab_owner_count(me), N - N / 2);
		ck_assert_int_eq(hm_slab_audit(), 0);
		for (unsigned int i = N / 2; i < N; i++)
			ck_assert_uint_eq(intact(obj[i], 100, i), 100);

		/* What a gone owner held comes back; its late frees are refused. */
		ck_assert_uint_eq(hm_slab_reclaim_owner(me), N - N / 2);
		ck_assert_uint_eq(hm_slab_owner_count(me), 0);
		ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);
		ck_assert_int_eq(hm_slab_audit(), 0);
		ck_assert_int_eq(hm_slab_free(obj[N - 1]), -EINVAL);
		ck_assert_uint_eq(hm_slab_reclaim_owner(me), 0);

		/* The cache serves again, and may go. */
		p = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(hm_slab_owner_count(me), 1);
		ck_assert_int_eq(hm_slab_free(p), 0);
		ck_assert_int_eq(hm_slab_audit(), 0);
		ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	}
	/* Adoption is for objects of owned caches only. */
	{
		void *q = hm_slab_alloc(plain, 0);
		int x;

		ck_assert_ptr_nonnull(q);
		ck_assert_int_eq(hm_slab_obj_adopt(q), -EINVAL);
		ck_assert_int_eq(hm_slab_obj_adopt(NULL), -EINVAL);
		ck_assert_int_eq(hm_slab_obj_adopt(&x), -EINVAL);
		ck_assert_int_eq(hm_slab_free(q), 0);
	}
	ck_assert_uint_eq(hm_slab_reclaim_owner(0), 0);
	ck_assert_uint_eq(hm_slab_owner_count(0), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(plain), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_debug_cache_reports_a_write_past_the_object_when_it_is_freed)
{
	static const size_t sizes[] = {100, 64, 4096};
	char log[65536], addr[32], name[HM_SLAB_NAMESIZE];
	struct hm_slab_stats st;
	struct hm_test_capture cap;

	init_no_huge("0", "64", NULL);
	for (unsigned int i = 0; i < HM_DIM(sizes); i++) {
		size_t size = sizes[i];
		struct hm_slab_cache *c;
		uint8_t *p;
		int ret;

		snprintf(name, sizeof(name), "dbg-redzone-%zu", size);
		c = hm_slab_cache_create(name, size, 0, HM_SLAB_DEBUG, NULL, NULL);
		ck_assert_ptr_nonnull(c);

		/* Up to the last byte is the user's: no report. */
		p = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(p);
		memset(p, 0x3c, size);
		ck_assert_int_eq(hm_slab_free(p), 0);
		ck_assert_uint_eq(stats_of(c).errors, 0);

		/* One byte more is reported at the free. */
		p = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(p);
		p[size] = (uint8_t)~p[size];
		hm_test_log_capture_start(&cap);
		ret = hm_slab_free(p);
		hm_test_log_capture_stop(&cap, log, sizeof(log));
		ck_assert_msg(ret == 0 || ret == -EINVAL, "%s: free returned %d", name, ret);
		ck_assert_msg(hm_test_has_line(log, name, hex(p, addr, sizeof(addr))),
			      "no line names %s and %p: %s", name, (void *)p, log);
		st = stats_of(c);
		ck_assert_uint_eq(st.errors, 1);
		ck_assert_uint_eq(st.live, ret == 0 ? 0 : 1); /* freed, or refused and kept */
		check_books(c);
		ck_assert_int_eq(hm_slab_audit(), 0);

		/* The cache goes on. */
		p = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(hm_slab_free(p), 0);
		ck_assert_int_eq(hm_slab_audit(), 0);
	}
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_debug_cache_reports_a_write_into_a_free_object_at_its_next_allocation)
{
	static void *objs[4096];
	char log[65536], addr[32];
	struct hm_slab_cache *c;
	struct hm_slab_stats st;
	struct hm_test_capture cap;
	unsigned int n = 0;
	uint64_t errors;
	uint8_t *p;
	bool found = false;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("dbg-uaf", 100, 0, HM_SLAB_DEBUG, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	p[50] = (uint8_t)~p[50]; /* use after free */

	/* The audit sees the broken poison of a free object. */
	hm_test_log_capture_start(&cap);
	ck_assert_int_eq(hm_slab_audit(), -EFAULT);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	errors = stats_of(c).errors;

	/* So does the allocation that hands the object out again, and repairs it. */
	st = stats_of(c);
	hm_test_log_capture_start(&cap);
	while (n < HM_DIM(objs) && n <= st.num_objs && !found) {
		objs[n] = hm_slab_alloc(c, 0);
		if (objs[n] == NULL)
			break;
		found = objs[n++] == p;
	}
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_msg(found, "the corrupted object never came back (%u allocations)", n);
	ck_assert_msg(hm_test_has_line(log, "dbg-uaf", hex(p, addr, sizeof(addr))),
		      "no line names the cache and %p: %s", (void *)p, log);
	st = stats_of(c);
	ck_assert_uint_eq(st.errors, errors + 1);
	ck_assert_uint_eq(st.live, n);
	ck_assert_int_eq(hm_slab_audit(), 0);
	while (n > 0)
		ck_assert_int_eq(hm_slab_free(objs[--n]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_uint_eq(stats_of(c).errors, errors + 1);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_debug_cache_refuses_a_pointer_into_an_object)
{
	char log[65536];
	struct hm_slab_cache *c;
	struct hm_test_capture cap;
	uint8_t *p;
	int ret;

	init_no_huge("0", "64", NULL);
	c = hm_slab_cache_create("dbg-middle", 100, 0, HM_SLAB_DEBUG, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	fill(p, 100, 4);
	hm_test_log_capture_start(&cap);
	ret = hm_slab_free(p + 8);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_msg(hm_test_has_line(log, "dbg-middle", NULL), "no line names the cache: %s",
		      log);
	ck_assert_int_eq(hm_slab_free(p + 99), -EINVAL);
	ck_assert_uint_ge(stats_of(c).errors, 1);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 1);
	ck_assert_uint_eq(intact(p, 100, 4), 100);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(slab_debug_option_makes_every_cache_a_debug_cache)
{
	char log[65536], addr[32];
	struct hm_slab_cache *c, *k64;
	struct hm_slab_stats st;
	struct hm_test_capture cap;
	uint8_t *p, *q;
	int ret;

	init_no_huge("0", "64", "--slab-debug");
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		size_t class = (size_t)HM_KMALLOC_MIN_SIZE << k;

		st = stats_of(hm_kmalloc_cache(k));
		ck_assert_msg((st.flags & HM_SLAB_DEBUG) == HM_SLAB_DEBUG,
			      "%s: flags 0x%x without debugging", st.name, st.flags);
		/* Red zones or not, objects stay aligned to their class. */
		p = hm_kmalloc(class, 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_msg((uintptr_t)p % (class < 4096 ? class : 4096) == 0,
			      "kmalloc(%zu) = %p with --slab-debug", class, (void *)p);
		fill(p, class, k);
		ck_assert_int_eq(hm_kfree(p), 0);
	}
	c = hm_slab_cache_create("plain", 80, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(stats_of(c).flags & HM_SLAB_DEBUG, HM_SLAB_DEBUG);

	/* kmalloc: a double free. */
	k64 = hm_kmalloc_cache(1);
	p = hm_kmalloc(40, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(hm_ksize(p), 64);
	ck_assert_int_eq(hm_kfree(p), 0);
	hm_test_log_capture_start(&cap);
	ret = hm_kfree(p);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_int_eq(ret, -EINVAL);
	ck_assert_msg(hm_test_has_line(log, "kmalloc-64", hex(p, addr, sizeof(addr))),
		      "no line names kmalloc-64 and %p: %s", (void *)p, log);
	ck_assert_uint_eq(stats_of(k64).errors, 1);

	/* kmalloc: a write past the size class. */
	q = hm_kmalloc(40, 0);
	ck_assert_ptr_nonnull(q);
	memset(q, 0x77, 64); /* all of ksize is the user's */
	q[64] = (uint8_t)~q[64];
	hm_test_log_capture_start(&cap);
	ret = hm_kfree(q);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert(ret == 0 || ret == -EINVAL);
	ck_assert_msg(hm_test_has_line(log, "kmalloc-64", hex(q, addr, sizeof(addr))),
		      "no line names kmalloc-64 and %p: %s", (void *)q, log);
	st = stats_of(k64);
	ck_assert_uint_eq(st.errors, 2);
	ck_assert_uint_eq(st.cached, 0);
	ck_assert_int_eq(hm_slab_audit(), 0);

	/* A cache created without flags is checked the same way. */
	p = hm_slab_alloc(c, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_slab_free(p), 0);
	ck_assert_int_eq(hm_slab_free(p), -EINVAL);
	ck_assert_uint_eq(stats_of(c).errors, 1);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_debug_cache_refuses_krealloc_and_ksize_of_a_freed_object)
{
	char log[65536], addr[32];
	struct hm_slab_cache *k64;
	struct hm_test_capture cap;
	uint8_t *p, *q, *r;
	uint64_t errors;

	init_no_huge("0", "64", "--slab-debug");
	k64 = hm_kmalloc_cache(1);
	p = hm_kmalloc(40, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_kfree(p), 0);
	errors = stats_of(k64).errors;

	/* Freed: no size, and krealloc must not hand it back as if it were still ours. */
	hm_test_log_capture_start(&cap);
	ck_assert_uint_eq(hm_ksize(p), 0);
	errno = 0;
	q = hm_krealloc(p, 50, 0);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_msg(q == NULL && errno == EINVAL,
		      "krealloc of the freed %p gave %p (errno %d); log: %s", (void *)p, (void *)q,
		      errno, log);
	ck_assert_msg(hm_test_has_line(log, hex(p, addr, sizeof(addr)), NULL),
		      "no line names %p: %s", (void *)p, log);
	ck_assert_int_eq(hm_slab_cache_live_objects(k64), 0);

	/* Grown instead: refused too, and the freed object is not freed again. */
	errno = 0;
	hm_test_log_capture_start(&cap);
	q = hm_krealloc(p, 1000, 0);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_ptr_null(q);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(hm_slab_cache_live_objects(k64), 0);
	ck_assert_uint_eq(stats_of(k64).errors, errors); /* no double free went in */

	/* The object is handed out once, whole. */
	r = hm_kmalloc(40, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(hm_kfree(r), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ slabinfo, walk, lookup */

struct walk_state {
	unsigned int visited;
	unsigned int stop_at;
	unsigned int kmalloc_seen;
	bool a_seen, b_seen;
};

static int
walk_visit(struct hm_slab_cache *c, void *arg)
{
	struct walk_state *w = arg;
	const char *name = hm_slab_cache_name(c);

	w->visited++;
	if (strncmp(name, "kmalloc-", 8) == 0)
		w->kmalloc_seen++;
	w->a_seen |= strcmp(name, "info-a") == 0;
	w->b_seen |= strcmp(name, "info-b") == 0;
	return w->visited == w->stop_at ? 7 : 0;
}

static void
check_slabinfo_line(const char *line)
{
	char name[64];
	unsigned long active_objs, num_objs, active_slabs, num_slabs, sharedavail;
	unsigned int objsize, objperslab, pagesperslab, limit, batchcount, sharedfactor;
	struct hm_slab_cache *c;
	struct hm_slab_stats st;

	ck_assert_msg(
	    sscanf(line, "%63s %lu %lu %u %u %u : tunables %u %u %u : slabdata %lu %lu %lu", name,
		   &active_objs, &num_objs, &objsize, &objperslab, &pagesperslab, &limit,
		   &batchcount, &sharedfactor, &active_slabs, &num_slabs, &sharedavail) == 12,
	    "not a slabinfo line: \"%s\"", line);
	c = hm_slab_cache_lookup(name);
	ck_assert_msg(c != NULL, "slabinfo names \"%s\", which lookup does not find", name);
	st = stats_of(c);
	ck_assert_uint_eq(active_objs, st.active_objs);
	ck_assert_uint_eq(num_objs, st.num_objs);
	ck_assert_uint_eq(objsize, st.buffer_size); /* as the kernel's: bytes per object */
	ck_assert_uint_eq(objperslab, st.objperslab);
	ck_assert_uint_eq(pagesperslab, st.pagesperslab);
	ck_assert_uint_eq(limit, st.limit);
	ck_assert_uint_eq(batchcount, st.batchcount);
	ck_assert_uint_eq(sharedfactor, st.sharedfactor);
	ck_assert_uint_eq(active_slabs, st.active_slabs);
	ck_assert_uint_eq(num_slabs, st.num_slabs);
	ck_assert_uint_eq(sharedavail, st.sharedavail);
}

START_TEST(slabinfo_walk_and_lookup_see_every_cache)
{
	struct walk_state w = {0};
	struct hm_slab_cache *a, *b;
	void *objs[20];
	char *buf, *line, *save, small[16];
	unsigned int lines = 0;
	int n;

	init_no_huge("0", "64", NULL);
	a = hm_slab_cache_create("info-a", 100, 0, 0, NULL, NULL);
	b = hm_slab_cache_create("info-b", 3000, 64, HM_SLAB_HWCACHE_ALIGN, NULL, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (unsigned int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(objs[i] = hm_slab_alloc(a, 0));
	for (unsigned int i = 10; i < 13; i++)
		ck_assert_ptr_nonnull(objs[i] = hm_slab_alloc(b, 0));
	for (unsigned int i = 13; i < 20; i++)
		ck_assert_ptr_nonnull(objs[i] = hm_kmalloc(100 * i, 0));

	n = hm_slab_info(NULL, 0);
	ck_assert_int_gt(n, 0);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(hm_slab_info(buf, (size_t)n + 1), n);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	ck_assert_int_eq(hm_slab_info(small, sizeof(small)), n); /* as snprintf */
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, buf, sizeof(small) - 1), 0);
	ck_assert_msg(strncmp(buf, "slabinfo - version: 2.1\n", 24) == 0, "header: %.40s", buf);
	for (line = strtok_r(buf + 24, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		check_slabinfo_line(line);
		lines++;
	}
	free(buf);

	ck_assert_int_eq(hm_slab_cache_walk(walk_visit, &w), 0);
	ck_assert_uint_eq(w.visited, HM_KMALLOC_NR_CACHES + 2);
	ck_assert_uint_eq(w.kmalloc_seen, HM_KMALLOC_NR_CACHES);
	ck_assert(w.a_seen && w.b_seen);
	ck_assert_uint_eq(lines, w.visited);
	w.visited = 0;
	w.stop_at = 3;
	ck_assert_int_eq(hm_slab_cache_walk(walk_visit, &w), 7);
	ck_assert_uint_eq(w.visited, 3);

	ck_assert_ptr_eq(hm_slab_cache_lookup("kmalloc-64"), hm_kmalloc_cache(1));
	ck_assert_ptr_eq(hm_slab_cache_lookup("info-a"), a);
	ck_assert_ptr_eq(hm_slab_cache_lookup("info-b"), b);

	for (unsigned int i = 0; i < 13; i++)
		ck_assert_int_eq(hm_slab_free(objs[i]), 0);
	for (unsigned int i = 13; i < 20; i++)
		ck_assert_int_eq(hm_kfree(objs[i]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(a), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(b), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ hugepages */

START_TEST(objects_on_hugepages_are_contiguous_in_iova)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 48, "slab objects_on_hugepages");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "96", hm_test_prefix("slhp"), "emerg", NULL);
	static void *objs[HM_KMALLOC_NR_CACHES][64];
	static const size_t large[] = {200000, 1 << 20, 2 << 20};
	struct hm_slab_cache *c;
	void *big[HM_DIM(large)], *user[8];

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++) {
		size_t class = (size_t)HM_KMALLOC_MIN_SIZE << k;
		unsigned int n = class <= 4096 ? 64 : 4;

		for (unsigned int i = 0; i < n; i++) {
			uint8_t *p = objs[k][i] = hm_kmalloc(class, 0);

			ck_assert_ptr_nonnull(p);
			check_iova_contiguous(p, class);
			ck_assert_uint_eq(hm_virt2iova(p) % (class < 4096 ? class : 4096), 0);
			if (hm_eal_iova_mode() == HM_IOVA_PA)
				ck_assert_uint_eq(hm_test_pfn(p + class - 1) * 4096 +
						      ((uintptr_t)(p + class - 1) & 4095),
						  hm_virt2iova(p + class - 1));
		}
	}
	for (unsigned int i = 0; i < HM_DIM(large); i++) {
		big[i] = hm_kmalloc(large[i], 0);
		ck_assert_ptr_nonnull(big[i]);
		check_iova_contiguous(big[i], hm_ksize(big[i]));
	}
	c = hm_slab_cache_create("huge-objects", 100000, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	for (unsigned int i = 0; i < HM_DIM(user); i++) {
		user[i] = hm_slab_alloc(c, 0);
		ck_assert_ptr_nonnull(user[i]);
		check_iova_contiguous(user[i], 100000);
	}
	for (unsigned int i = 0; i < HM_DIM(user); i++)
		ck_assert_int_eq(hm_slab_free(user[i]), 0);
	for (unsigned int i = 0; i < HM_DIM(large); i++)
		ck_assert_int_eq(hm_kfree(big[i]), 0);
	for (unsigned int k = 0; k < HM_KMALLOC_NR_CACHES; k++)
		for (unsigned int i = 0; i < ((32u << k) <= 4096 ? 64u : 4u); i++)
			ck_assert_int_eq(hm_kfree(objs[k][i]), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================ another process */

static atomic_uint xproc_ctor_calls;

static void
xproc_ctor(void *obj)
{
	atomic_fetch_add(&xproc_ctor_calls, 1);
	memset(obj, XPROC_CTOR_BYTE, XPROC_SIZE);
}

static void
xproc_dtor(void *obj)
{
	(void)obj;
}

START_TEST(objects_freed_by_another_process_go_back_to_the_cache)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 24, "slab objects_freed_by_another");
	const char *prefix = hm_test_prefix("slx");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "48", prefix, "emerg", NULL);
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "emerg");
	static void *taken[1024];
	const struct hm_memzone *mz;
	struct xproc_board *b;
	struct hm_slab_cache *c, *cc;
	struct hm_slab_stats st;
	unsigned int n, calls;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	mz = hm_memzone_reserve(XPROC_MEMZONE, sizeof(*b), 0, 0, 0);
	ck_assert_ptr_nonnull(mz);
	b = mz->addr;
	memset(b, 0, sizeof(*b));

	c = hm_slab_cache_create(XPROC_CACHE, XPROC_SIZE, 0, 0, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	b->cache = c;
	for (unsigned int i = 0; i < XPROC_N; i++) {
		uint8_t *p = hm_slab_alloc(c, 0);

		ck_assert_ptr_nonnull(p);
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			p[off] = xproc_byte(1, i, off);
		b->prim[i] = p;
	}
	b->n = XPROC_N;

	/* A constructor cache with free constructed objects, none in our array cache. */
	cc = hm_slab_cache_create(XPROC_CTOR_CACHE, XPROC_SIZE, 0, 0, xproc_ctor, xproc_dtor);
	ck_assert_ptr_nonnull(cc);
	b->ctor_cache = cc;
	ck_assert_ptr_nonnull(taken[0] = hm_slab_alloc(cc, 0));
	n = 2 * stats_of(cc).objperslab + 3;
	ck_assert_uint_le(n, HM_DIM(taken));
	for (unsigned int i = 1; i < n; i++)
		ck_assert_ptr_nonnull(taken[i] = hm_slab_alloc(cc, 0));
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_eq(hm_slab_free(taken[i]), 0);
	hm_slab_drain_lcore(hm_lcore_id());
	st = stats_of(cc);
	ck_assert_uint_eq(st.live, 0);
	b->ctor_free_objs = st.num_objs;
	calls = atomic_load(&xproc_ctor_calls);

	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SLAB_HELPER"), sec.v), 60000), 0);

	/* What the secondary freed and allocated, the primary sees. */
	ck_assert_uint_eq(b->m, XPROC_M);
	ck_assert_int_eq(hm_slab_cache_live_objects(c), XPROC_M);
	st = stats_of(c);
	ck_assert_uint_eq(st.allocs, XPROC_N + XPROC_M);
	ck_assert_uint_eq(st.frees, XPROC_N);
	check_books(c);
	for (unsigned int j = 0; j < XPROC_M; j++) {
		const uint8_t *p = b->sec[j];

		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			ck_assert_uint_eq(p[off], xproc_byte(2, j, off));
		ck_assert_int_eq(hm_slab_free(b->sec[j]), 0);
	}
	ck_assert_int_eq(hm_slab_cache_live_objects(c), 0);

	/* Without its constructor the secondary took the constructed objects, then ENOTSUP. */
	ck_assert_int_eq(b->ctor_errno, ENOTSUP);
	ck_assert_uint_eq(b->ctor_taken, b->ctor_free_objs);
	ck_assert_uint_gt(b->secondary_ctor_calls, 0);		  /* with it, it made a slab */
	ck_assert_uint_eq(atomic_load(&xproc_ctor_calls), calls); /* ours is ours */
	ck_assert_int_eq(hm_slab_cache_live_objects(cc), 0);
	check_books(cc);

	hm_slab_drain_lcore(hm_lcore_id());
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(c), 0);
	ck_assert_int_ge(hm_slab_cache_shrink(cc), 0);
	ck_assert_uint_eq(stats_of(c).num_slabs, 0);
	ck_assert_int_eq(hm_slab_cache_destroy(c), 0);
	ck_assert_int_eq(hm_slab_cache_destroy(cc), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	ck_assert_int_eq(hm_memzone_free(mz), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================================ suite */

static Suite *
slab_suite(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = tcase_create("slab");

	tcase_set_timeout(tc, 120);
	tcase_add_test(
	    tc, objects_of_every_size_and_alignment_are_aligned_disjoint_and_keep_their_bytes);
	tcase_add_test(tc, caches_used_at_once_in_random_order_do_not_corrupt_each_other);
	tcase_add_test(
	    tc, constructor_runs_once_per_object_of_a_new_slab_and_destructor_when_it_goes_back);
	tcase_add_test(tc, a_constructor_turns_poisoning_off_and_keeps_the_other_debug_checks);
	tcase_add_test(tc, destroy_with_live_objects_is_refused_until_they_are_freed);
	tcase_add_test(tc, shrink_gives_free_slabs_back_to_the_buddy_allocator);
	tcase_add_test(tc, a_cache_that_cannot_grow_fails_with_enomem_and_recovers);
	tcase_add_test(tc, the_cache_table_fills_up_with_enospc_and_a_destroyed_slot_is_reused);
	tcase_add_test(tc, kmalloc_caches_are_the_thirteen_powers_of_two_from_32_bytes);
	tcase_add_test(tc, kmalloc_sizes_fall_into_their_class_at_every_boundary);
	tcase_add_test(tc, kmalloc_refuses_zero_absurd_sizes_and_frees_of_what_it_did_not_give);
	tcase_add_test(tc, krealloc_moves_across_classes_and_keeps_the_contents);
	tcase_add_test(
	    tc, kzalloc_and_the_zero_flag_give_zeroed_memory_and_node_calls_check_the_socket);
	tcase_add_test(tc, every_call_refuses_bad_input_and_the_library_stays_usable);
	tcase_add_test(tc, calls_before_init_and_after_cleanup_fail_cleanly);
	tcase_add_test(tc, objects_freed_on_another_lcore_go_home_and_the_books_agree);
	tcase_add_test(
	    tc, two_lcores_and_a_plain_thread_hammering_the_same_caches_keep_the_books_right);
	tcase_add_test(tc, threads_racing_for_new_slabs_never_fail_while_memory_is_left);
	tcase_add_test(tc, a_debug_cache_refuses_a_double_free_and_stays_consistent);
	tcase_add_test(tc, an_owned_cache_knows_who_holds_each_object_and_a_reclaim_frees_them);
	tcase_add_test(tc, a_debug_cache_reports_a_write_past_the_object_when_it_is_freed);
	tcase_add_test(tc, a_debug_cache_reports_a_write_into_a_free_object_at_its_next_allocation);
	tcase_add_test(tc, a_debug_cache_refuses_a_pointer_into_an_object);
	tcase_add_test(tc, slab_debug_option_makes_every_cache_a_debug_cache);
	tcase_add_test(tc, a_debug_cache_refuses_krealloc_and_ksize_of_a_freed_object);
	tcase_add_test(tc, slabinfo_walk_and_lookup_see_every_cache);
	tcase_add_test(tc, objects_on_hugepages_are_contiguous_in_iova);
	tcase_add_test(tc, objects_freed_by_another_process_go_back_to_the_cache);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(slab_suite());
}
