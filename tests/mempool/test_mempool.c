/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mempool suite: the layout of pools of many object sizes (headers,
 * IOVA, alignment, no overlap), the object callback, lookup, walk and free,
 * the per-lcore caches (refill, flush, oldest first, other lcores, threads
 * that are not lcores), statistics per lcore and summed, bulk gets and puts
 * all or nothing, the kernel-style reserve and hm_mempool_alloc() with and
 * without waiting, every kind of bad input and bad put, debug pools, the
 * audit, packet-buffer pools, lcores and plain threads hammering one pool,
 * and a secondary process that gets and puts objects of the primary's pool.
 *
 * Most tests run on --no-huge memory; the IOVA and cross-process tests
 * reserve 2 MiB hugepages themselves and skip loudly when none can be had.
 * Each test is a process of its own (hm_eal_init is once per process). The
 * main thread is lcore 0; two-lcore tests run code on lcore 1 with
 * hm_eal_remote_launch(); plain pthreads are the threads that are not lcores.
 */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/mempool.h>
#include <hugemem/ring.h>

#include "../common/hm_test.h"
#include "hm_common.h"
#include "memory_pvt.h"
#include "mempool_pvt.h"

/* ------------------------------------------------------------- helpers */

/* --no-huge on `lcores` with `mb` MiB; `extra` (or NULL) last. */
static void
init_no_huge(const char *lcores, const char *mb, const char *extra)
{
	const char *args[] = {
	    "-l",	   lcores,  "--no-huge", "-m", mb, "--file-prefix", hm_test_prefix("mp"),
	    "--log-level", "emerg", extra,	 NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_uint_eq(hm_lcore_id(), 0);
}

/* Two lcores, on two CPUs if there are two; the main thread is lcore 0. */
static unsigned int
init_two_lcores(const char *mb)
{
	init_no_huge("0-1", mb, NULL);
	ck_assert_uint_eq(hm_lcore_count(), 2);
	ck_assert_uint_eq(hm_get_next_lcore(UINT32_MAX, true, false), 1);
	return 1;
}

/* Run fn(arg) on a worker lcore and return what it returned. */
static int
on_lcore(unsigned int lcore, hm_lcore_function_t *fn, void *arg)
{
	ck_assert_int_eq(hm_eal_remote_launch(fn, arg, lcore), 0);
	return hm_eal_wait_lcore(lcore);
}

struct thread_call {
	hm_lcore_function_t *fn;
	void *arg;
	int ret;
};

static void *
thread_call_main(void *p)
{
	struct thread_call *c = p;

	c->ret = c->fn(c->arg);
	return NULL;
}

/* Run fn(arg) in a plain pthread (no lcore) and return what it returned. */
static int
in_plain_thread(hm_lcore_function_t *fn, void *arg)
{
	struct thread_call c = {fn, arg, 0};
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, thread_call_main, &c), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	return c.ret;
}

/* A batch of objects for the functions that run on another lcore or thread. */
struct batch {
	struct hm_mempool *mp;
	void **objs;
	unsigned int n;
};

static int
get_one_by_one(void *arg)
{
	struct batch *b = arg;

	for (unsigned int i = 0; i < b->n; i++) {
		int ret = hm_mempool_get(b->mp, &b->objs[i]);

		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
put_one_by_one(void *arg)
{
	struct batch *b = arg;

	for (unsigned int i = 0; i < b->n; i++) {
		int ret = hm_mempool_put(b->mp, b->objs[i]);

		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
get_all_at_once(void *arg)
{
	struct batch *b = arg;

	return hm_mempool_get_bulk(b->mp, b->objs, b->n);
}

static int
put_all_at_once(void *arg)
{
	struct batch *b = arg;

	return hm_mempool_put_bulk(b->mp, b->objs, b->n);
}

/* The calling lcore gives its cache back to the ring. */
static int
flush_own_cache(void *arg)
{
	hm_mempool_cache_flush(arg, hm_lcore_id());
	return 0;
}

static struct hm_mempool_stats
stats_of(const struct hm_mempool *mp, unsigned int lcore)
{
	struct hm_mempool_stats st;

	ck_assert_int_eq(hm_mempool_stats_get(mp, lcore, &st), 0);
	return st;
}

/* The total (lcore HM_MAX_LCORE) is the sum of every lcore and the plain threads. */
static void
check_stats_add_up(const struct hm_mempool *mp)
{
	struct hm_mempool_stats total = stats_of(mp, HM_MAX_LCORE);
	struct hm_mempool_stats sum = stats_of(mp, HM_LCORE_ID_ANY);

	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		struct hm_mempool_stats st = stats_of(mp, l);

		sum.gets += st.gets;
		sum.puts += st.puts;
		sum.get_fails += st.get_fails;
		sum.cache_hits += st.cache_hits;
		sum.put_refused += st.put_refused;
		sum.reserve_gets += st.reserve_gets;
	}
	ck_assert_uint_eq(total.gets, sum.gets);
	ck_assert_uint_eq(total.puts, sum.puts);
	ck_assert_uint_eq(total.get_fails, sum.get_fails);
	ck_assert_uint_eq(total.cache_hits, sum.cache_hits);
	ck_assert_uint_eq(total.put_refused, sum.put_refused);
	ck_assert_uint_eq(total.reserve_gets, sum.reserve_gets);
	ck_assert_uint_le(total.cache_hits, total.gets);
	ck_assert_uint_le(total.reserve_gets, total.gets);
}

/* in_use objects are out: both counts and the audit agree. */
static void
check_counts(const struct hm_mempool *mp, unsigned int in_use)
{
	unsigned int audited = UINT32_MAX;

	ck_assert_msg(hm_mempool_in_use_count(mp) == in_use, "%s: %u in use, expected %u", mp->name,
		      hm_mempool_in_use_count(mp), in_use);
	ck_assert_msg(hm_mempool_avail_count(mp) == mp->size - in_use,
		      "%s: %u free of %u, expected %u", mp->name, hm_mempool_avail_count(mp),
		      mp->size, mp->size - in_use);
	ck_assert_int_eq(hm_mempool_audit(mp, &audited), 0);
	ck_assert_uint_eq(audited, in_use);
}

/* Pages of the NORMAL zone of socket 0 not given out: free lists and lcore caches. */
static uint64_t
buddy_free_pages(void)
{
	struct hm_zone_stats st;

	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_NORMAL, &st), 0);
	return st.free_pages + st.pcp_pages;
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

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return x < y ? -1 : x > y;
}

static void
sort_ptrs(void **v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_ptr);
}

static bool
in_sorted(void *const *v, unsigned int n, const void *p)
{
	return bsearch(&p, v, n, sizeof(*v), cmp_ptr) != NULL;
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

/* What hm_mempool_obj_iter() saw: the objects in call order. */
struct objlist {
	struct hm_mempool *mp;
	void *arg;
	void **v;
	unsigned int n, cap;
	unsigned int bad_idx; /* calls whose idx was not the running count */
	unsigned int bad_arg; /* calls with another pool or argument */
};

static void
collect_cb(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct objlist *l = arg;

	if (mp != l->mp)
		l->bad_arg++;
	if (idx != l->n)
		l->bad_idx++;
	if (l->n < l->cap)
		l->v[l->n] = obj;
	l->n++;
}

/* Every object of the pool, in address order, from hm_mempool_obj_iter(); free() it. */
static void **
pool_objects(struct hm_mempool *mp)
{
	struct objlist l = {mp, NULL, malloc(mp->size * sizeof(void *)), 0, mp->size, 0, 0};

	ck_assert_ptr_nonnull(l.v);
	ck_assert_int_eq(hm_mempool_obj_iter(mp, collect_cb, &l), (int)mp->size);
	ck_assert_uint_eq(l.n, mp->size);
	ck_assert_uint_eq(l.bad_idx, 0);
	ck_assert_uint_eq(l.bad_arg, 0);
	return l.v;
}

/*
 * The layout every pool promises: objects in address order that do not
 * overlap (header included), each one cache-line aligned unless
 * HM_MEMPOOL_NO_CACHE_ALIGN, contiguous in IOVA, with a header that names the
 * pool and the object's IOVA; hm_mempool_obj_valid() true on each object
 * and false a byte off, on a header, and between or around the objects.
 */
static void
check_layout(struct hm_mempool *mp)
{
	void **objs = pool_objects(mp);
	size_t align = (mp->flags & HM_MEMPOOL_NO_CACHE_ALIGN) ? 8 : 64;
	unsigned int n = mp->size;

	ck_assert_uint_ge(mp->stride, mp->elt_size + sizeof(struct hm_mempool_objhdr));
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *obj = objs[i];
		uint8_t *probes[] = {obj + 1,
				     obj - 1,
				     (uint8_t *)hm_mempool_get_header(obj),
				     obj + mp->elt_size,
				     obj + mp->elt_size / 2 + 1,
				     obj - mp->stride,
				     obj + mp->stride};

		ck_assert_msg((uintptr_t)obj % align == 0, "%s: object %u at %p not aligned to %zu",
			      mp->name, i, (void *)obj, align);
		ck_assert_ptr_eq(hm_mempool_obj_pool(obj), mp);
		ck_assert_ptr_eq(hm_mempool_get_header(obj)->pool, mp);
		ck_assert_msg(hm_mempool_obj_iova(obj) == hm_virt2iova(obj),
			      "%s: object %u: header IOVA %#lx, translation %#lx", mp->name, i,
			      (unsigned long)hm_mempool_obj_iova(obj),
			      (unsigned long)hm_virt2iova(obj));
		check_iova_contiguous(obj, mp->elt_size);
		ck_assert_uint_eq(hm_virt2iova(obj + mp->elt_size - 1) - hm_virt2iova(obj),
				  mp->elt_size - 1);
		ck_assert(hm_mempool_obj_valid(mp, obj));
		if (i > 0) {
			ck_assert((uintptr_t)obj > (uintptr_t)objs[i - 1]);
			ck_assert_msg((uint8_t *)objs[i - 1] + mp->elt_size <=
					  (uint8_t *)hm_mempool_get_header(obj),
				      "%s: objects %u and %u overlap", mp->name, i - 1, i);
		}
		for (unsigned int k = 0; k < HM_DIM(probes); k++)
			ck_assert_msg(hm_mempool_obj_valid(mp, probes[k]) ==
					  in_sorted(objs, n, probes[k]),
				      "%s: %p (probe %u of object %u) is%s taken for an object",
				      mp->name, (void *)probes[k], k, i,
				      hm_mempool_obj_valid(mp, probes[k]) ? "" : " not");
	}
	free(objs);
}

/* ----------------------------------------------------- log capture */

/* ================================================ layout */

static const struct {
	unsigned int elt_size, n, flags;
} shapes[] = {
    {1, 500, 0},
    {7, 500, HM_MEMPOOL_NO_CACHE_ALIGN},
    {8, 500, HM_MEMPOOL_NO_CACHE_ALIGN},
    {24, 300, 0},
    {60, 300, HM_MEMPOOL_NO_CACHE_ALIGN},
    {64, 300, 0},
    {100, 300, HM_MEMPOOL_SP_PUT | HM_MEMPOOL_SC_GET},
    {1000, 200, 0},
    {2048, 100, HM_MEMPOOL_NO_CACHE_ALIGN},
    {4096, 64, 0},
    {5000, 40, HM_MEMPOOL_DEBUG},
    {65536, 20, 0},
    {100000, 9, HM_MEMPOOL_NO_CACHE_ALIGN},
    {1u << 20, 6, 0},
    {3u << 20, 3, HM_MEMPOOL_NO_CACHE_ALIGN},
    {16u << 20, 2, 0},
};

START_TEST(objects_of_every_size_lie_apart_contiguous_in_iova_with_pool_and_iova_in_the_header)
{
	init_no_huge("0", "128", NULL);
	for (unsigned int s = 0; s < HM_DIM(shapes); s++) {
		unsigned int n = shapes[s].n, size = shapes[s].elt_size;
		unsigned int cache = n * 2 / 3 < 32 ? n * 2 / 3 : 32;
		void **all, **got = malloc(n * sizeof(void *));
		struct hm_mempool *mp;
		char name[HM_MEMPOOL_NAMESIZE];

		ck_assert_ptr_nonnull(got);
		snprintf(name, sizeof(name), "shape-%u-%u", size, shapes[s].flags);
		mp = hm_mempool_create(name, n, size, cache, 0, NULL, NULL, HM_SOCKET_ID_ANY,
				       shapes[s].flags);
		ck_assert_msg(mp != NULL, "%s: %s", name, strerror(errno));
		ck_assert_str_eq(mp->name, name);
		ck_assert_uint_eq(mp->size, n);
		ck_assert_uint_eq(mp->elt_size, size);
		ck_assert_uint_eq(mp->cache_size, cache);
		ck_assert_uint_eq(mp->min_nr, 0);
		ck_assert_uint_eq(mp->flags, shapes[s].flags);
		check_counts(mp, 0);
		check_layout(mp);

		/* Every object can be had, each once, and holds its bytes. */
		for (unsigned int i = 0; i < n; i++) {
			ck_assert_msg(hm_mempool_get(mp, &got[i]) == 0, "%s: get %u of %u", name, i,
				      n);
			fill(got[i], size, s * 1000 + i);
		}
		check_counts(mp, n);
		for (unsigned int i = 0; i < n; i++)
			ck_assert_msg(intact(got[i], size, s * 1000 + i) == size,
				      "%s: object %u overwritten", name, i);
		all = pool_objects(mp);
		sort_ptrs(got, n);
		for (unsigned int i = 0; i < n; i++)
			ck_assert_ptr_eq(got[i], all[i]);
		ck_assert_int_eq(hm_mempool_put_bulk(mp, got, n), 0);
		check_counts(mp, 0);
		ck_assert_int_eq(hm_mempool_free(mp), 0);
		free(all);
		free(got);
	}
	hm_eal_cleanup();
}
END_TEST

#define INIT_N	  1000u
#define INIT_SIZE 48u

struct init_record {
	struct hm_mempool *mp[INIT_N];
	void *obj[INIT_N];
	unsigned int calls[INIT_N];
	unsigned int bad_idx, bad_arg;
};

static void
record_init(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct init_record *r = arg;

	if (idx >= INIT_N) {
		r->bad_idx++;
		return;
	}
	r->mp[idx] = mp;
	r->obj[idx] = obj;
	r->calls[idx]++;
	fill(obj, INIT_SIZE, idx);
}

/* Strides in cache lines share no factor with 2 x the channels of -n (4 without it). */
START_TEST(object_strides_spread_over_the_memory_channels_given_with_n)
{
	static const char *const opts[] = {NULL, "-n3", "-n1", "-n5"};
	static const unsigned int channels[] = {4, 3, 1, 5};
	static const unsigned int sizes[] = {1, 64, 100, 128, 1000, 2176, 4096};

	for (unsigned int o = 0; o < HM_DIM(opts); o++) {
		init_no_huge("0", "64", opts[o]);
		ck_assert_uint_eq(hm_eal_memory_channels(), o == 0 ? 0 : channels[o]);
		for (unsigned int i = 0; i < HM_DIM(sizes); i++) {
			struct hm_mempool *mp = hm_mempool_create("spread", 64, sizes[i], 0, 0,
								  NULL, NULL, HM_SOCKET_ID_ANY, 0);
			unsigned int lines;

			ck_assert_ptr_nonnull(mp);
			ck_assert_uint_eq(mp->stride % 64, 0);
			lines = mp->stride / 64;
			ck_assert_uint_eq(lines % 2, 1);
			for (unsigned int f = 3; f <= channels[o]; f += 2)
				ck_assert_msg(channels[o] % f != 0 || lines % f != 0,
					      "-n %u: a stride of %u lines for %u B", channels[o],
					      lines, sizes[i]);
			/* No more than needed: every shorter stride that holds the header and
			 * the object shares a factor with 2 x the channels. */
			for (unsigned int l = (64 + HM_ALIGN_CEIL(sizes[i], 64)) / 64; l < lines;
			     l++)
				ck_assert_msg(l % 2 == 0 || (channels[o] % 3 == 0 && l % 3 == 0) ||
						  (channels[o] % 5 == 0 && l % 5 == 0),
					      "-n %u: %u lines would do for %u B", channels[o], l,
					      sizes[i]);
			check_layout(mp);
			ck_assert_int_eq(hm_mempool_free(mp), 0);
		}
		hm_eal_cleanup();
	}
}
END_TEST

START_TEST(obj_init_is_called_once_per_object_with_each_index_and_its_contents_survive)
{
	static struct init_record rec;
	static void *got[INIT_N], *sorted[INIT_N];
	struct hm_mempool *mp;
	void **all;

	init_no_huge("0", "64", NULL);
	memset(&rec, 0, sizeof(rec));
	mp = hm_mempool_create("inited", INIT_N, INIT_SIZE, 64, 10, record_init, &rec,
			       HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(rec.bad_idx, 0);
	for (unsigned int i = 0; i < INIT_N; i++) {
		ck_assert_msg(rec.calls[i] == 1, "index %u: %u calls", i, rec.calls[i]);
		ck_assert_ptr_eq(rec.mp[i], mp);
		ck_assert(hm_mempool_obj_valid(mp, rec.obj[i]));
		sorted[i] = rec.obj[i];
	}
	/* The objects the callback saw are the pool's objects, each once. */
	sort_ptrs(sorted, INIT_N);
	all = pool_objects(mp);
	for (unsigned int i = 0; i < INIT_N; i++)
		ck_assert_ptr_eq(sorted[i], all[i]);
	free(all);

	/* Nothing of the pool's own writes into an object: what init wrote is there. */
	for (unsigned int i = 0; i < INIT_N - 10; i++)
		ck_assert_int_eq(hm_mempool_get(mp, &got[i]), 0);
	for (unsigned int i = 0; i < 10; i++)
		ck_assert_int_eq(hm_mempool_alloc(mp, &got[INIT_N - 10 + i], HM_MEMPOOL_NOWAIT, 0),
				 0);
	for (unsigned int i = 0; i < INIT_N; i++) {
		unsigned int idx = INIT_N;

		for (unsigned int k = 0; k < INIT_N && idx == INIT_N; k++)
			if (rec.obj[k] == got[i])
				idx = k;
		ck_assert_uint_lt(idx, INIT_N);
		ck_assert_msg(intact(got[i], INIT_SIZE, idx) == INIT_SIZE,
			      "object of index %u changed since init", idx);
	}
	check_counts(mp, INIT_N);
	/* Not called again when objects come and go. */
	ck_assert_int_eq(hm_mempool_put_bulk(mp, got, INIT_N), 0);
	for (unsigned int i = 0; i < INIT_N; i++)
		ck_assert_uint_eq(rec.calls[i], 1);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ gets and puts */

START_TEST(one_lcore_can_get_every_object_and_a_plain_thread_only_what_is_not_in_a_cache)
{
	static void *objs[1000];
	struct batch b = {NULL, objs, HM_DIM(objs)};
	struct hm_mempool *mp;
	struct hm_mempool_stats st;
	void *extra;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("everything", HM_DIM(objs), 200, 64, 0, NULL, NULL, HM_SOCKET_ID_ANY,
			       0);
	ck_assert_ptr_nonnull(mp);
	b.mp = mp;
	for (unsigned int i = 0; i < HM_DIM(objs); i++) {
		ck_assert_msg(hm_mempool_get(mp, &objs[i]) == 0, "get %u: %u free", i,
			      hm_mempool_avail_count(mp));
		ck_assert_uint_eq(hm_mempool_in_use_count(mp), i + 1);
	}
	ck_assert_int_eq(hm_mempool_get(mp, &extra), -ENOENT);
	check_counts(mp, HM_DIM(objs));
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets, HM_DIM(objs));
	ck_assert_uint_eq(st.get_fails, 1);
	ck_assert_uint_eq(st.puts, 0);

	/* The whole pool in one call, both ways. */
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, 0);
	ck_assert_uint_le(hm_mempool_cache_count(mp, 0), 96);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, HM_DIM(objs));
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);

	/* Put back one by one: some wait in lcore 0's cache, where a plain thread cannot go. */
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	ck_assert_int_eq(put_one_by_one(&b), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_uint_le(hm_mempool_cache_count(mp, 0), 96);
	check_counts(mp, 0);
	ck_assert_int_eq(in_plain_thread(get_all_at_once, &b), -ENOENT);
	check_counts(mp, 0);
	hm_mempool_cache_flush(mp, 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(in_plain_thread(get_all_at_once, &b), 0);
	check_counts(mp, HM_DIM(objs));
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_int_eq(in_plain_thread(put_one_by_one, &b), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0); /* the ring, not a cache */
	check_counts(mp, 0);
	st = stats_of(mp, HM_LCORE_ID_ANY);
	ck_assert_uint_eq(st.gets, HM_DIM(objs));
	ck_assert_uint_eq(st.puts, HM_DIM(objs));
	ck_assert_uint_eq(st.cache_hits, 0);
	ck_assert_uint_eq(st.get_fails, 1);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_bulk_get_of_more_than_are_free_takes_nothing)
{
	static void *objs[100], *more[20];
	struct batch b = {NULL, more, 11};
	struct hm_mempool *mp;
	struct hm_mempool_stats before, after;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("all-or-nothing", HM_DIM(objs), 64, 16, 0, NULL, NULL,
			       HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	b.mp = mp;
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, 95), 0);
	for (unsigned int i = 90; i < 95; i++)
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 5);
	check_counts(mp, 90);

	/* 10 free, 5 in lcore 0's cache: 11 is too many, here and in a plain thread. */
	before = stats_of(mp, HM_MAX_LCORE);
	memset(more, 0, sizeof(more));
	ck_assert_int_eq(hm_mempool_get_bulk(mp, more, 11), -ENOENT);
	check_counts(mp, 90);
	ck_assert_int_eq(in_plain_thread(get_all_at_once, &b), -ENOENT);
	check_counts(mp, 90);
	hm_mempool_cache_flush(mp, 0);
	ck_assert_int_eq(in_plain_thread(get_all_at_once, &b), -ENOENT);
	check_counts(mp, 90);
	after = stats_of(mp, HM_MAX_LCORE);
	ck_assert_uint_eq(after.gets, before.gets);
	ck_assert_uint_eq(after.get_fails, before.get_fails + 3);

	/* Exactly what is free: taken, and then nothing is. */
	ck_assert_int_eq(hm_mempool_get_bulk(mp, more, 10), 0);
	check_counts(mp, 100);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, more + 10, 1), -ENOENT);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, more, 10), 0);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 90), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_bulk_get_larger_than_the_cache_also_takes_what_the_lcore_cache_holds)
{
	static void *objs[64];
	struct batch b = {NULL, objs, 20};
	struct hm_mempool *mp;
	int ret;

	init_no_huge("0", "64", NULL);
	mp =
	    hm_mempool_create("big-bulk", HM_DIM(objs), 64, 16, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	b.mp = mp;
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	hm_mempool_cache_flush(mp, 0);
	/* 20 put one by one stay in lcore 0's cache (up to 24); 44 go back to the ring. */
	ck_assert_int_eq(put_one_by_one(&b), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 20);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs + 20, HM_DIM(objs) - 20), 0);
	check_counts(mp, 0);

	/* All 64 are free where lcore 0 can take them: in its cache and the ring. */
	ret = hm_mempool_get_bulk(mp, objs, 50);
	ck_assert_msg(ret == 0,
		      "get of 50 with 64 free (%u in lcore 0's cache, the rest in the ring): %d",
		      hm_mempool_cache_count(mp, 0), ret);
	check_counts(mp, 50);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs + 20, 30), 0);
	ck_assert_int_eq(put_one_by_one(&b), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(mp, 0), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, HM_DIM(objs));
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ the per-lcore cache */

START_TEST(an_empty_lcore_cache_is_refilled_from_the_ring_and_serves_the_next_gets)
{
	static void *objs[256];
	struct hm_mempool *mp;
	struct hm_mempool_stats st0, st;
	unsigned int n = 0, k;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("refill", HM_DIM(objs), 64, 32, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);

	/* The first get finds the cache empty and fills it up to its size. */
	ck_assert_int_eq(hm_mempool_get(mp, &objs[n++]), 0);
	k = hm_mempool_cache_count(mp, 0);
	ck_assert_msg(k >= 31 && k <= 32, "cache of 32 holds %u after a refill", k);
	check_counts(mp, n);

	/* The next k gets come from the cache, without a refill. */
	st0 = stats_of(mp, 0);
	for (unsigned int i = 0; i < k; i++) {
		ck_assert_int_eq(hm_mempool_get(mp, &objs[n++]), 0);
		ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), k - 1 - i);
	}
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets - st0.gets, k);
	ck_assert_uint_eq(st.cache_hits - st0.cache_hits, k);
	check_counts(mp, n);

	/* Empty again: the next get refills it again. */
	ck_assert_int_eq(hm_mempool_get(mp, &objs[n++]), 0);
	k = hm_mempool_cache_count(mp, 0);
	ck_assert_msg(k >= 31 && k <= 32, "cache of 32 holds %u after a refill", k);
	check_counts(mp, n);

	/* A bulk get larger than the cache, and one the cache can serve. */
	ck_assert_int_eq(hm_mempool_get_bulk(mp, &objs[n], 40), 0);
	n += 40;
	check_counts(mp, n);
	ck_assert_uint_le(hm_mempool_cache_count(mp, 0), 48);
	k = hm_mempool_cache_count(mp, 0);
	if (k >= 8) {
		st0 = stats_of(mp, 0);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, &objs[n], 8), 0);
		n += 8;
		st = stats_of(mp, 0);
		ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), k - 8);
		ck_assert_uint_eq(st.cache_hits - st0.cache_hits, 8);
		check_counts(mp, n);
	}
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, n), 0);
	check_counts(mp, 0);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets, n);
	ck_assert_uint_eq(st.puts, n);
	ck_assert_uint_eq(st.get_fails, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_cache_over_one_and_a_half_times_its_size_is_flushed_back_oldest_first)
{
	static void *objs[64];
	struct hm_mempool *mp;
	struct hm_mempool_stats st0, st;
	unsigned int k;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("flush", 256, 64, 32, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	hm_mempool_cache_flush(mp, 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	check_counts(mp, HM_DIM(objs));

	/* Up to 48 (1.5 x 32) the puts stay in the cache; the 49th flushes it back to 32. */
	for (unsigned int i = 0; i < HM_DIM(objs); i++) {
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
		k = hm_mempool_cache_count(mp, 0);
		if (i < 48)
			ck_assert_msg(k == i + 1, "put %u: cache holds %u", i + 1, k);
		else if (i == 48)
			ck_assert_msg(k >= 32 && k <= 33, "put 49: cache flushed to %u, not 32", k);
		ck_assert_uint_le(k, 48);
		ck_assert_uint_eq(hm_mempool_avail_count(mp), 256 - HM_DIM(objs) + i + 1);
	}
	check_counts(mp, 0);

	/* The oldest went to the ring: the cache holds the newest, and gives them newest first. */
	k = hm_mempool_cache_count(mp, 0);
	ck_assert_uint_ge(k, 32);
	st0 = stats_of(mp, 0);
	for (unsigned int i = 0; i < k; i++) {
		void *obj;

		ck_assert_int_eq(hm_mempool_get(mp, &obj), 0);
		ck_assert_msg(obj == objs[HM_DIM(objs) - 1 - i],
			      "get %u from the cache: %p, not the object put %u-th (%p)", i, obj,
			      (unsigned int)(HM_DIM(objs) - i), objs[HM_DIM(objs) - 1 - i]);
	}
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.cache_hits - st0.cache_hits, k);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	check_counts(mp, k);
	for (unsigned int i = 0; i < k; i++)
		ck_assert_int_eq(hm_mempool_put(mp, objs[HM_DIM(objs) - 1 - i]), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(objects_put_on_another_lcore_wait_in_its_cache_and_the_stats_follow_the_lcore)
{
	static void *objs[100], *mine[10];
	struct batch b = {NULL, objs, HM_DIM(objs)}, m = {NULL, mine, HM_DIM(mine)};
	struct hm_mempool_stats st0, st1, any, total;
	struct hm_mempool *mp;
	unsigned int worker = init_two_lcores("64"), k;

	mp = hm_mempool_create("two-lcores", 512, 100, 32, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	b.mp = m.mp = mp;

	/* Got here, put there: lcore 1's cache keeps some, never more than 48. */
	ck_assert_int_eq(get_all_at_once(&b), 0);
	for (unsigned int i = 0; i < HM_DIM(objs); i++)
		fill(objs[i], 100, i);
	ck_assert_int_eq(on_lcore(worker, put_one_by_one, &b), 0);
	k = hm_mempool_cache_count(mp, worker);
	ck_assert_uint_gt(k, 0);
	ck_assert_uint_le(k, 48);
	check_counts(mp, 0);
	st0 = stats_of(mp, 0);
	st1 = stats_of(mp, worker);
	ck_assert_uint_eq(st0.gets, HM_DIM(objs));
	ck_assert_uint_eq(st0.puts, 0);
	ck_assert_uint_eq(st1.gets, 0);
	ck_assert_uint_eq(st1.puts, HM_DIM(objs));
	check_stats_add_up(mp);

	/* Lcore 1 flushes its cache: the objects stay free, in the ring. */
	ck_assert_int_eq(on_lcore(worker, flush_own_cache, mp), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, worker), 0);
	check_counts(mp, 0);

	/* Got on lcore 1 (its cache refilled), put here (into ours). */
	ck_assert_int_eq(on_lcore(worker, get_one_by_one, &m), 0);
	k = hm_mempool_cache_count(mp, worker);
	ck_assert_msg(k >= 32 - HM_DIM(mine) && k <= 32, "lcore 1's cache holds %u", k);
	check_counts(mp, HM_DIM(mine));
	k = hm_mempool_cache_count(mp, 0);
	ck_assert_int_eq(put_one_by_one(&m), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), k + HM_DIM(mine));
	check_counts(mp, 0);

	/* A plain thread: neither cache moves, its counts go to HM_LCORE_ID_ANY. */
	k = hm_mempool_cache_count(mp, 0) + hm_mempool_cache_count(mp, worker);
	ck_assert_int_eq(in_plain_thread(get_one_by_one, &m), 0);
	check_counts(mp, HM_DIM(mine));
	ck_assert_int_eq(in_plain_thread(put_all_at_once, &m), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0) + hm_mempool_cache_count(mp, worker), k);
	check_counts(mp, 0);

	st0 = stats_of(mp, 0);
	st1 = stats_of(mp, worker);
	any = stats_of(mp, HM_LCORE_ID_ANY);
	total = stats_of(mp, HM_MAX_LCORE);
	ck_assert_uint_eq(st0.gets, HM_DIM(objs));
	ck_assert_uint_eq(st0.puts, HM_DIM(mine));
	ck_assert_uint_eq(st1.gets, HM_DIM(mine));
	ck_assert_uint_eq(st1.puts, HM_DIM(objs));
	ck_assert_uint_eq(any.gets, HM_DIM(mine));
	ck_assert_uint_eq(any.puts, HM_DIM(mine));
	ck_assert_uint_eq(any.cache_hits, 0);
	ck_assert_uint_eq(total.gets, HM_DIM(objs) + 2 * HM_DIM(mine));
	ck_assert_uint_eq(total.puts, HM_DIM(objs) + 2 * HM_DIM(mine));
	ck_assert_uint_eq(total.get_fails, 0);
	ck_assert_uint_eq(total.put_refused, 0);
	ck_assert_uint_eq(total.reserve_gets, 0);
	check_stats_add_up(mp);
	for (unsigned int i = 0; i < HM_DIM(objs); i++)
		ck_assert_uint_le(stats_of(mp, i + 2).gets, 0); /* lcores never used: nothing */
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 5), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, HM_MAX_LCORE), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, HM_LCORE_ID_ANY), 0);

	ck_assert_int_eq(on_lcore(worker, flush_own_cache, mp), 0);
	hm_mempool_cache_flush(mp, 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, worker), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ the reserve */

/* Ordinary gets until one fails; returns how many succeeded. */
static unsigned int
get_until_empty(struct hm_mempool *mp, void **objs, unsigned int max)
{
	unsigned int n = 0;
	int ret = 0;

	while (n < max && (ret = hm_mempool_get(mp, &objs[n])) == 0)
		n++;
	ck_assert_int_eq(ret, -ENOENT);
	return n;
}

struct drain {
	struct hm_mempool *mp;
	void **objs;
	unsigned int max, got;
};

static int
drain_in_thread(void *arg)
{
	struct drain *d = arg;
	int ret = 0;

	d->got = 0;
	while (d->got < d->max && (ret = hm_mempool_get(d->mp, &d->objs[d->got])) == 0)
		d->got++;
	return ret;
}

START_TEST(ordinary_gets_never_take_the_reserve)
{
	static void *objs[17];
	struct drain d = {NULL, objs, HM_DIM(objs), 0};
	struct hm_mempool *mp;

	init_no_huge("0", "64", NULL);
	for (unsigned int cache = 0; cache <= 4; cache += 4) {
		char name[HM_MEMPOOL_NAMESIZE];

		snprintf(name, sizeof(name), "reserved-%u", cache);
		mp = hm_mempool_create(name, 16, 64, cache, 4, NULL, NULL, HM_SOCKET_ID_ANY, 0);
		ck_assert_ptr_nonnull(mp);
		ck_assert_uint_eq(mp->min_nr, 4);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
		check_counts(mp, 0);

		/* On lcore 0: 12, not 16; the reserve counts as free. */
		ck_assert_uint_eq(get_until_empty(mp, objs, HM_DIM(objs)), 12);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
		check_counts(mp, 12);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, objs + 12, 1), -ENOENT);
		ck_assert_uint_eq(stats_of(mp, 0).get_fails, 2);
		ck_assert_uint_eq(stats_of(mp, 0).reserve_gets, 0);
		ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 12), 0);
		check_counts(mp, 0);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, 13), -ENOENT);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, 12), 0);
		ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 12), 0);

		/* From a plain thread, once lcore 0's cache is back in the ring: 12 too. */
		hm_mempool_cache_flush(mp, 0);
		d.mp = mp;
		ck_assert_int_eq(in_plain_thread(drain_in_thread, &d), -ENOENT);
		ck_assert_uint_eq(d.got, 12);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
		check_counts(mp, 12);
		ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 12), 0);
		check_counts(mp, 0);
		ck_assert_uint_eq(stats_of(mp, HM_MAX_LCORE).reserve_gets, 0);
		check_stats_add_up(mp);
		ck_assert_int_eq(hm_mempool_free(mp), 0);
	}

	/* A pool that is all reserve: ordinary gets get nothing, hm_mempool_alloc() all. */
	mp = hm_mempool_create("all-reserve", 8, 64, 0, 8, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get(mp, &objs[0]), -ENOENT);
	for (unsigned int i = 0; i < 8; i++)
		ck_assert_int_eq(hm_mempool_alloc(mp, &objs[i], HM_MEMPOOL_NOWAIT, 0), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 0);
	check_counts(mp, 8);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 8), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 8);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(alloc_takes_the_reserve_when_the_pool_is_empty_and_puts_refill_it_first)
{
	static void *objs[16];
	struct hm_mempool_stats st;
	struct hm_mempool *mp;
	void *obj;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("kernel-style", 16, 64, 4, 4, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);

	/* While ordinary gets succeed, alloc is one of them. */
	for (unsigned int i = 0; i < 12; i++) {
		ck_assert_int_eq(hm_mempool_alloc(mp, &objs[i], HM_MEMPOOL_NOWAIT, 0), 0);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
	}
	ck_assert_uint_eq(stats_of(mp, 0).reserve_gets, 0);
	/* Then the reserve, one by one. */
	for (unsigned int i = 12; i < 16; i++) {
		ck_assert_int_eq(hm_mempool_alloc(mp, &objs[i], HM_MEMPOOL_NOWAIT, 0), 0);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 15 - i);
		ck_assert(hm_mempool_obj_valid(mp, objs[i]));
	}
	check_counts(mp, 16);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.reserve_gets, 4);
	ck_assert_uint_eq(st.gets, 16);
	/* Then nothing. */
	ck_assert_int_eq(hm_mempool_alloc(mp, &obj, HM_MEMPOOL_NOWAIT, 0), -ENOENT);
	ck_assert_int_eq(hm_mempool_get(mp, &obj), -ENOENT);
	check_counts(mp, 16);

	/* Puts go to the short reserve first: ordinary gets still find nothing. */
	for (unsigned int i = 0; i < 4; i++) {
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), i + 1);
		ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
		ck_assert_int_eq(hm_mempool_get(mp, &obj), -ENOENT);
		check_counts(mp, 15 - i);
	}
	/* The reserve is full: the next put is for everyone, in lcore 0's cache. */
	ck_assert_int_eq(hm_mempool_put(mp, objs[4]), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 1);
	check_counts(mp, 11);
	ck_assert_int_eq(hm_mempool_get(mp, &obj), 0);
	ck_assert_ptr_eq(obj, objs[4]);
	for (unsigned int i = 4; i < 16; i++) {
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
		ck_assert_uint_gt(hm_mempool_cache_count(mp, 0), 0);
	}
	check_counts(mp, 0);
	st = stats_of(mp, HM_MAX_LCORE);
	ck_assert_uint_eq(st.reserve_gets, 4);
	ck_assert_uint_eq(st.gets, 17);
	ck_assert_uint_eq(st.puts, 17);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Puts obj into mp delay_ms after the other side said it is about to wait,
 * and says so just before: an alloc that returns with `putting` still 0 did
 * not wait for this put.
 */
struct late_put {
	struct hm_mempool *mp;
	void *obj;
	unsigned int delay_ms;
	atomic_int waiting, putting;
	int ret;
};

static int
put_later(void *arg)
{
	struct late_put *lp = arg;

	while (!atomic_load(&lp->waiting))
		usleep(1000);
	usleep(lp->delay_ms * 1000);
	atomic_store(&lp->putting, 1);
	lp->ret = hm_mempool_put(lp->mp, lp->obj);
	return lp->ret;
}

/* hm_mempool_alloc(HM_MEMPOOL_WAIT), the putter told first. */
static int
alloc_waiting(struct late_put *lp, void **obj, uint64_t timeout_ns)
{
	atomic_store(&lp->waiting, 1);
	return hm_mempool_alloc(lp->mp, obj, HM_MEMPOOL_WAIT, timeout_ns);
}

static void *
put_later_thread(void *arg)
{
	put_later(arg);
	return NULL;
}

START_TEST(alloc_with_wait_blocks_until_a_plain_thread_puts_an_object_back)
{
	static void *objs[8];
	struct late_put lp = {NULL, NULL, 50, 0, 0, -1};
	struct hm_mempool *mp;
	pthread_t t;
	void *obj = NULL;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("wait-plain", HM_DIM(objs), 64, 2, 0, NULL, NULL, HM_SOCKET_ID_ANY,
			       0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, HM_DIM(objs));

	lp.mp = mp;
	lp.obj = objs[3];
	ck_assert_int_eq(pthread_create(&t, NULL, put_later_thread, &lp), 0);
	/* A timeout of 0 waits for ever. */
	ck_assert_int_eq(alloc_waiting(&lp, &obj, 0), 0);
	ck_assert_int_eq(atomic_load(&lp.putting), 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(lp.ret, 0);
	ck_assert_ptr_eq(obj, objs[3]);
	check_counts(mp, HM_DIM(objs));
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(alloc_with_wait_gets_an_object_put_on_another_lcore_not_kept_in_its_cache)
{
	static void *objs[8];
	struct late_put lp = {NULL, NULL, 50, 0, 0, -1};
	struct hm_mempool *mp;
	unsigned int worker = init_two_lcores("64");
	void *obj = NULL;
	int ret;

	mp = hm_mempool_create("wait-lcore", HM_DIM(objs), 64, 4, 0, NULL, NULL, HM_SOCKET_ID_ANY,
			       0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	lp.mp = mp;
	lp.obj = objs[5];
	ck_assert_int_eq(hm_eal_remote_launch(put_later, &lp, worker), 0);
	ret = alloc_waiting(&lp, &obj, 5000000000ull);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	ck_assert_msg(ret == 0,
		      "alloc returned %d although lcore 1 put an object back (%u in its cache)",
		      ret, hm_mempool_cache_count(mp, worker));
	ck_assert_int_eq(atomic_load(&lp.putting), 1);
	ck_assert_ptr_eq(obj, objs[5]);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, worker), 0);
	check_counts(mp, HM_DIM(objs));
	ck_assert_uint_eq(stats_of(mp, worker).puts, 1);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(alloc_with_wait_is_woken_by_a_put_that_refills_the_reserve)
{
	static void *objs[4];
	struct late_put lp = {NULL, NULL, 50, 0, 0, -1};
	struct hm_mempool *mp;
	pthread_t t;
	void *obj = NULL;
	int ret;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("wait-reserve", HM_DIM(objs), 64, 0, 2, NULL, NULL, HM_SOCKET_ID_ANY,
			       0);
	ck_assert_ptr_nonnull(mp);
	for (unsigned int i = 0; i < HM_DIM(objs); i++)
		ck_assert_int_eq(hm_mempool_alloc(mp, &objs[i], HM_MEMPOOL_NOWAIT, 0), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 0);
	ck_assert_uint_eq(stats_of(mp, 0).reserve_gets, 2);

	lp.mp = mp;
	lp.obj = objs[0];
	ck_assert_int_eq(pthread_create(&t, NULL, put_later_thread, &lp), 0);
	ret = alloc_waiting(&lp, &obj, 5000000000ull);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(lp.ret, 0);
	ck_assert_msg(ret == 0, "alloc returned %d; the put went to the reserve (%u there)", ret,
		      hm_mempool_reserve_count(mp));
	ck_assert_ptr_eq(obj, objs[0]);
	check_counts(mp, HM_DIM(objs));
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs)), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 2);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_process_that_dies_holding_the_reserve_lock_leaves_put_slow_rebuilt)
{
	/* Hugepages: a forked child writes the memory the parent sees. */
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 24, "mempool reserve lock death");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "32", hm_test_prefix("mpld"), "emerg", NULL);
	struct mempool_priv *pv;
	struct hm_mempool *mp;
	void *objs[16], *obj;
	unsigned int got = 0;
	pid_t pid;
	int status;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	mp = hm_mempool_create("lockdeath", 16, 64, 4, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	pv = mempool_priv(mp);
	while (got < 16 && hm_mempool_get(mp, &objs[got]) == 0)
		got++;
	ck_assert_uint_eq(got, 16);

	/* A child that dies in the middle of changing put_slow, the lock held:
	 * the limits at 0 and a count of waiters that no process has. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_mutex_lock(&pv->lock);
		atomic_store(&mp->put_cache_max, 0);
		atomic_store(&mp->put_ring_max, 0);
		atomic_store(&mp->put_slow, 5);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(hm_mempool_audit(mp, NULL), 0);

	/* The next to take the lock (a waiter that gives up) sets them again. */
	ck_assert_int_eq(hm_mempool_alloc(mp, &obj, HM_MEMPOOL_WAIT, 2000000), -ETIMEDOUT);
	ck_assert_uint_eq(atomic_load(&mp->put_slow), 0);
	ck_assert_uint_eq(atomic_load(&mp->put_cache_max), 4);
	ck_assert_int_eq(hm_mempool_audit(mp, NULL), 0);
	/* And puts go to the cache again. */
	for (unsigned int i = 0; i < 16; i++)
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_uint_eq(hm_mempool_avail_count(mp), 16);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

struct timed_waiter {
	struct hm_mempool *mp;
	int ret;
};

static void *
timed_waiter_main(void *arg)
{
	struct timed_waiter *w = arg;
	void *obj;

	w->ret = hm_mempool_alloc(w->mp, &obj, HM_MEMPOOL_WAIT, 300000000ull);
	return NULL;
}

START_TEST(a_waiter_whose_count_a_reclaim_took_off_leaves_the_counts_whole)
{
	struct timed_waiter w = {.ret = 1};
	void *objs[16];
	unsigned int got = 0;
	pthread_t tid;

	init_no_huge("0", "64", NULL);
	w.mp = hm_mempool_create("reclaimed", 16, 64, 2, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(w.mp);
	while (got < 16 && hm_mempool_get(w.mp, &objs[got]) == 0)
		got++;
	ck_assert_uint_eq(got, 16);
	ck_assert_int_eq(pthread_create(&tid, NULL, timed_waiter_main, &w), 0);
	for (unsigned int t = 0; t < 5000 && (atomic_load(&w.mp->put_slow) & 0x7fffffffu) == 0; t++)
		usleep(1000);
	ck_assert_uint_eq(atomic_load(&w.mp->put_slow), 1);

	/* Taken off as if its process had died (a fork under its parent's slot, say). */
	ck_assert_uint_eq(hm_mempool_reclaim_waiters((unsigned int)hm_shared_config_proc_slot()),
			  1);
	ck_assert_uint_eq(atomic_load(&w.mp->put_slow), 0);
	/* When it gives up, its count does not go below nothing. */
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_int_eq(w.ret, -ETIMEDOUT);
	ck_assert_uint_eq(atomic_load(&w.mp->put_slow), 0);
	ck_assert_uint_eq(atomic_load(&w.mp->put_cache_max), 2);
	ck_assert_int_eq(hm_mempool_audit(w.mp, NULL), 0);
	for (unsigned int i = 0; i < 16; i++)
		ck_assert_int_eq(hm_mempool_put(w.mp, objs[i]), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(w.mp, 0), 0);
	ck_assert_uint_eq(hm_mempool_avail_count(w.mp), 16);
	ck_assert_int_eq(hm_mempool_audit(w.mp, NULL), 0);
	ck_assert_int_eq(hm_mempool_free(w.mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(alloc_gives_up_with_etimedout_after_its_timeout_and_with_enoent_without_wait)
{
	static void *objs[4];
	struct hm_mempool *mp;
	uint64_t t0, waited;
	void *obj = NULL;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("timeout", HM_DIM(objs), 64, 2, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, HM_DIM(objs)), 0);
	hm_mempool_cache_flush(mp, 0);

	ck_assert_int_eq(hm_mempool_alloc(mp, &obj, HM_MEMPOOL_NOWAIT, 0), -ENOENT);
	ck_assert_int_eq(hm_mempool_alloc(mp, &obj, HM_MEMPOOL_NOWAIT, 1000000), -ENOENT);
	t0 = hm_time_ns();
	ck_assert_int_eq(hm_mempool_alloc(mp, &obj, HM_MEMPOOL_WAIT, 20000000), -ETIMEDOUT);
	waited = hm_time_ns() - t0;
	ck_assert_msg(waited >= 19000000, "gave up after %lu ns of a 20 ms timeout",
		      (unsigned long)waited);
	check_counts(mp, HM_DIM(objs));

	/* No one waits any more: a put on lcore 0 goes to its cache again. */
	ck_assert_int_eq(hm_mempool_put(mp, objs[0]), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 1);
	check_counts(mp, HM_DIM(objs) - 1);

	/* Bad arguments. */
	ck_assert_int_eq(hm_mempool_alloc(NULL, &obj, HM_MEMPOOL_NOWAIT, 0), -EINVAL);
	ck_assert_int_eq(hm_mempool_alloc(mp, NULL, HM_MEMPOOL_NOWAIT, 0), -EINVAL);
	ck_assert_int_eq(hm_mempool_alloc(NULL, &obj, HM_MEMPOOL_WAIT, 1000000), -EINVAL);
	check_counts(mp, HM_DIM(objs) - 1);

	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs + 1, HM_DIM(objs) - 1), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ lookup, walk, free */

struct walk_count {
	unsigned int seen, stop_at;
	const struct hm_mempool *found[8];
};

static int
count_pools(struct hm_mempool *mp, void *arg)
{
	struct walk_count *w = arg;

	if (w->seen < HM_DIM(w->found))
		w->found[w->seen] = mp;
	w->seen++;
	return w->seen == w->stop_at ? 7 : 0;
}

static bool
walk_saw(const struct walk_count *w, const struct hm_mempool *mp)
{
	for (unsigned int i = 0; i < w->seen && i < HM_DIM(w->found); i++)
		if (w->found[i] == mp)
			return true;
	return false;
}

START_TEST(pools_are_found_by_name_walked_and_dumped)
{
	static const char *names[] = {"alpha", "beta.2", "gamma_3"};
	struct hm_mempool *mp[HM_DIM(names)];
	struct walk_count w = {0, 0, {0}};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	init_no_huge("0", "64", NULL);
	for (unsigned int i = 0; i < HM_DIM(names); i++) {
		mp[i] =
		    hm_mempool_create(names[i], 64 << i, 32, 8, i, NULL, NULL, HM_SOCKET_ID_ANY, 0);
		ck_assert_ptr_nonnull(mp[i]);
	}
	for (unsigned int i = 0; i < HM_DIM(names); i++) {
		ck_assert_ptr_eq(hm_mempool_lookup(names[i]), mp[i]);
		ck_assert_str_eq(mp[i]->name, names[i]);
		ck_assert_uint_eq(mp[i]->size, 64u << i);
		ck_assert_uint_eq(mp[i]->min_nr, i);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp[i]), i);
	}
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("delta"));
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("alph"));
	ck_assert_int_eq(errno, ENOENT);

	ck_assert_int_eq(hm_mempool_walk(count_pools, &w), 0);
	ck_assert_uint_eq(w.seen, HM_DIM(names));
	for (unsigned int i = 0; i < HM_DIM(names); i++)
		ck_assert(walk_saw(&w, mp[i]));
	/* A non-zero return stops the walk and is returned. */
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	ck_assert_int_eq(hm_mempool_walk(count_pools, &w), 7);
	ck_assert_uint_eq(w.seen, 2);

	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	hm_mempool_dump(f, mp[1]);
	fclose(f);
	ck_assert_msg(strstr(text, "beta.2") != NULL, "the dump does not name the pool: %s", text);
	free(text);

	ck_assert_int_eq(hm_mempool_free(mp[1]), 0);
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("beta.2"));
	ck_assert_int_eq(errno, ENOENT);
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(hm_mempool_walk(count_pools, &w), 0);
	ck_assert_uint_eq(w.seen, 2);
	ck_assert(walk_saw(&w, mp[0]));
	ck_assert(walk_saw(&w, mp[2]));
	ck_assert_int_eq(hm_mempool_free(mp[0]), 0);
	ck_assert_int_eq(hm_mempool_free(mp[2]), 0);
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(hm_mempool_walk(count_pools, &w), 0);
	ck_assert_uint_eq(w.seen, 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(free_is_refused_while_objects_are_out_and_then_gives_memory_and_name_back)
{
	static void *objs[64];
	char log[65536];
	struct hm_test_capture cap;
	struct hm_mempool *mp;
	uint64_t before;
	unsigned int worker = init_two_lcores("64");
	struct batch b = {NULL, objs, 10};

	/* Once round, so whatever the first pool makes for good is made. */
	mp = hm_mempool_create("warm", 16, 64, 4, 2, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	before = buddy_free_pages();

	mp = hm_mempool_create("busy", HM_DIM(objs), 1000, 8, 4, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_lt(buddy_free_pages(), before);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, 20), 0);
	ck_assert_int_eq(hm_mempool_alloc(mp, &objs[20], HM_MEMPOOL_NOWAIT, 0), 0);

	hm_test_log_capture_start(&cap);
	ck_assert_int_eq(hm_mempool_free(mp), -EBUSY);
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	ck_assert_msg(hm_test_has_line(log, "busy", NULL), "no line names the pool: %s", log);
	ck_assert_ptr_eq(hm_mempool_lookup("busy"), mp);
	check_counts(mp, 21);

	/* One object out is enough to refuse. */
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, 20), 0);
	ck_assert_int_eq(hm_mempool_free(mp), -EBUSY);
	check_counts(mp, 1);

	/* Objects in lcore caches and the reserve are back: free takes them all. */
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, 10), 0);
	ck_assert_int_eq(hm_mempool_put(mp, objs[20]), 0);
	b.mp = mp;
	ck_assert_int_eq(on_lcore(worker, put_one_by_one, &b), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(mp, worker), 0);
	ck_assert_uint_gt(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_uint_eq(hm_mempool_reserve_count(mp), 4);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("busy"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(hm_mempool_free(mp), -EINVAL); /* no pool any more */
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_buddy_audit(), 0);

	/* The name is free again, for a pool of another shape. */
	mp = hm_mempool_create("busy", 32, 200, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->elt_size, 200);
	ck_assert_int_eq(hm_mempool_get(mp, &objs[0]), 0);
	ck_assert_int_eq(hm_mempool_put(mp, objs[0]), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_mempool_free(NULL), 0);
	ck_assert_uint_eq(buddy_free_pages(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_pool_too_big_for_the_memory_fails_with_enomem_and_leaks_nothing)
{
	static const struct {
		unsigned int n, elt_size, cache;
	} too_big[] = {
	    {1u << 20, 1024, 0}, /* 1 GiB of objects in 64 MiB */
	    {1200, 65536, 32},	 /* 75 MiB: several blocks taken, then none */
	    {5, 60u << 20, 0},	 /* objects larger than the memory */
	    {HM_MEMPOOL_MAX_OBJS, 8, 512},
	};
	struct hm_mempool *mp;
	uint64_t before;
	void *obj;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("warm", 16, 64, 4, 2, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	before = buddy_free_pages();
	for (unsigned int i = 0; i < HM_DIM(too_big); i++) {
		errno = 0;
		mp = hm_mempool_create("too-big", too_big[i].n, too_big[i].elt_size,
				       too_big[i].cache, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
		ck_assert_msg(mp == NULL && errno == ENOMEM,
			      "%u objects of %u bytes: pool %p, errno %d (%s)", too_big[i].n,
			      too_big[i].elt_size, (void *)mp, errno, strerror(errno));
		ck_assert_msg(buddy_free_pages() == before,
			      "%u objects of %u bytes: %ld pages lost", too_big[i].n,
			      too_big[i].elt_size, (long)(before - buddy_free_pages()));
		errno = 0;
		ck_assert_ptr_null(hm_mempool_lookup("too-big"));
		ck_assert_int_eq(errno, ENOENT);
	}
	ck_assert_int_eq(hm_buddy_audit(), 0);

	/* What fits still does, under the same name. */
	mp = hm_mempool_create("too-big", 400, 65536, 32, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	check_layout(mp);
	ck_assert_int_eq(hm_mempool_get(mp, &obj), 0);
	ck_assert_int_eq(hm_mempool_put(mp, obj), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_uint_eq(buddy_free_pages(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(the_pool_table_fills_up_with_enospc_and_a_freed_slot_is_reused)
{
	static struct hm_mempool *held[HM_MEMPOOL_MAX_POOLS + 1];
	char name[HM_MEMPOOL_NAMESIZE];
	unsigned int n = 0;
	void *obj;

	init_no_huge("0", "64", NULL);
	errno = 0;
	for (;;) {
		snprintf(name, sizeof(name), "many-%u", n);
		held[n] = hm_mempool_create(name, 2, 8, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
		if (held[n] == NULL || n == HM_MEMPOOL_MAX_POOLS)
			break;
		n++;
	}
	ck_assert_ptr_null(held[n]);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(n, HM_MEMPOOL_MAX_POOLS);
	ck_assert_int_eq(hm_mempool_free(held[5]), 0);
	held[5] = hm_mempool_create("one-more", 2, 8, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(held[5]);
	errno = 0;
	ck_assert_ptr_null(
	    hm_mempool_create("one-too-many", 2, 8, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(errno, ENOSPC);
	/* A full table still serves. */
	ck_assert_ptr_eq(hm_mempool_lookup("many-100"), held[100]);
	ck_assert_int_eq(hm_mempool_get(held[n - 1], &obj), 0);
	ck_assert_int_eq(hm_mempool_put(held[n - 1], obj), 0);
	for (unsigned int i = 0; i < n; i++)
		ck_assert_int_eq(hm_mempool_free(held[i]), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ bad input */

static void
quiet_init(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	(void)mp;
	(void)arg;
	(void)obj;
	(void)idx;
}

START_TEST(create_refuses_bad_arguments_and_leaks_nothing)
{
	char longest[HM_MEMPOOL_NAMESIZE], too_long[HM_MEMPOOL_NAMESIZE + 1];
	struct walk_count w = {0, 0, {0}};
	struct hm_mempool *good, *mp;
	uint64_t before;

	init_no_huge("0", "64", NULL);
	good = hm_mempool_create("good", 64, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(good);
	before = buddy_free_pages();
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
#define CREATE(name, n, size, cache, min_nr)                                                       \
	hm_mempool_create(name, n, size, cache, min_nr, quiet_init, NULL, HM_SOCKET_ID_ANY, 0)
	/* names */
	REFUSED(CREATE(NULL, 64, 64, 0, 0), EINVAL);
	REFUSED(CREATE("", 64, 64, 0, 0), EINVAL);
	REFUSED(CREATE(too_long, 64, 64, 0, 0), EINVAL);
	REFUSED(CREATE("with space", 64, 64, 0, 0), EINVAL);
	REFUSED(CREATE("new\nline", 64, 64, 0, 0), EINVAL);
	REFUSED(CREATE("good", 64, 64, 0, 0), EEXIST);
	REFUSED(CREATE("good", 32, 128, 4, 1), EEXIST);
	/* sizes */
	REFUSED(CREATE("n0", 0, 64, 0, 0), EINVAL);
	REFUSED(CREATE("nmax", HM_MEMPOOL_MAX_OBJS + 1, 64, 0, 0), EINVAL);
	REFUSED(CREATE("nhuge", UINT32_MAX, 64, 0, 0), EINVAL);
	REFUSED(CREATE("elt0", 64, 0, 0, 0), EINVAL);
	REFUSED(CREATE("eltmax", 2, HM_MEMPOOL_MAX_ELT_SIZE + 1, 0, 0), EINVAL);
	REFUSED(CREATE("elthuge", 2, UINT32_MAX, 0, 0), EINVAL);
	/* caches: at most 512, and 1.5 times the cache at most n */
	REFUSED(CREATE("cache513", 4096, 64, HM_MEMPOOL_CACHE_MAX_SIZE + 1, 0), EINVAL);
	REFUSED(CREATE("cachehuge", 4096, 64, UINT32_MAX, 0), EINVAL);
	/* the reserve: at most n */
	REFUSED(CREATE("min65", 64, 64, 0, 65), EINVAL);
	REFUSED(CREATE("minhuge", 64, 64, 0, UINT32_MAX), EINVAL);
#undef CREATE
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_mempool_walk(count_pools, &w), 0);
	ck_assert_uint_eq(w.seen, 1);
	check_counts(good, 0);

	/* The boundaries themselves are fine. */
	mp = hm_mempool_create(longest, 99, 64, 66, 99, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_msg(mp != NULL, "31-character name, a cache of 66 for 99 objects, min_nr = n: %s",
		      strerror(errno));
	ck_assert_ptr_eq(hm_mempool_lookup(longest), mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	mp = hm_mempool_create("cache512", 768, 8, HM_MEMPOOL_CACHE_MAX_SIZE, 0, NULL, NULL, 0, 0);
	ck_assert_msg(mp != NULL, "cache of 512 for 768 objects: %s", strerror(errno));
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	mp = hm_mempool_create("one", 1, 1, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	check_layout(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);

	/* lookup */
	REFUSED(hm_mempool_lookup(NULL), EINVAL);
	REFUSED(hm_mempool_lookup(""), EINVAL);
	REFUSED(hm_mempool_lookup(too_long), EINVAL);
	REFUSED(hm_mempool_lookup("nope"), ENOENT);
#undef REFUSED
	ck_assert_uint_eq(buddy_free_pages(), before);
	ck_assert_int_eq(hm_mempool_free(good), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_cache_whose_one_and_a_half_times_exceeds_the_pool_is_refused)
{
	static const struct {
		unsigned int n, cache;
	} refused[] = {{100, 67}, {2, 2}, {3, 3}, {5, 4}, {767, 512}, {1, 1}};
	static const struct {
		unsigned int n, cache;
	} accepted[] = {{99, 66}, {3, 2}, {6, 4}, {768, 512}, {1, 0}};
	struct hm_mempool *mp;
	uint64_t before;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("warm", 16, 64, 4, 2, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	before = buddy_free_pages();
	for (unsigned int i = 0; i < HM_DIM(refused); i++) {
		errno = 0;
		mp = hm_mempool_create("too-cached", refused[i].n, 64, refused[i].cache, 0, NULL,
				       NULL, HM_SOCKET_ID_ANY, 0);
		ck_assert_msg(mp == NULL && errno == EINVAL,
			      "a cache of %u for %u objects (1.5 x %u = %u.%u > %u) accepted",
			      refused[i].cache, refused[i].n, refused[i].cache,
			      refused[i].cache * 3 / 2, refused[i].cache % 2 ? 5 : 0, refused[i].n);
		hm_mempool_free(mp);
	}
	for (unsigned int i = 0; i < HM_DIM(accepted); i++) {
		mp = hm_mempool_create("cached", accepted[i].n, 64, accepted[i].cache, 0, NULL,
				       NULL, HM_SOCKET_ID_ANY, 0);
		ck_assert_msg(mp != NULL, "a cache of %u for %u objects: %s", accepted[i].cache,
			      accepted[i].n, strerror(errno));
		check_counts(mp, 0);
		ck_assert_int_eq(hm_mempool_free(mp), 0);
	}
	ck_assert_uint_eq(buddy_free_pages(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(calls_before_init_and_after_cleanup_fail_cleanly)
{
	struct hm_mempool *mp;

	hm_log_set_level(HM_LOG_EMERG); /* the refusals below log; quietly */
	errno = 0;
	ck_assert_ptr_null(hm_mempool_create("early", 8, 64, 0, 0, NULL, NULL, 0, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_pktpool_create("early", 8, 0, 0, 2048, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("early"));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(hm_mempool_free(NULL), 0);

	init_no_huge("0", "16", NULL);
	mp = hm_mempool_create("early", 8, 64, 0, 0, NULL, NULL, 0, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);

	errno = 0;
	ck_assert_ptr_null(hm_mempool_create("late", 8, 64, 0, 0, NULL, NULL, 0, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_mempool_lookup("early"));
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

START_TEST(gets_puts_and_queries_refuse_bad_arguments_and_counts_stay_exact)
{
	/* Zeroes where a pool is expected, aligned as a pool is (no misaligned access). */
	static _Alignas(struct hm_mempool) uint64_t fake[1024];
	struct hm_mempool *mp, *bogus = (struct hm_mempool *)fake;
	struct hm_mempool_stats st;
	void *table[65], *obj;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("args", 64, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get(mp, &obj), 0);

	ck_assert_int_eq(hm_mempool_get_bulk(NULL, table, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, NULL, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, table, 0), -EINVAL);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, table, 65), -EINVAL);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, table, UINT32_MAX), -EINVAL);
	ck_assert_int_eq(hm_mempool_get_bulk(bogus, table, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_get(NULL, table), -EINVAL);
	ck_assert_int_eq(hm_mempool_get(bogus, table), -EINVAL);
	check_counts(mp, 1);

	table[0] = obj;
	ck_assert_int_eq(hm_mempool_put_bulk(NULL, table, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, NULL, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, table, 0), -EINVAL);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, table, 65), -EINVAL);
	ck_assert_int_eq(hm_mempool_put_bulk(bogus, table, 1), -EINVAL);
	ck_assert_int_eq(hm_mempool_put(NULL, obj), -EINVAL);
	ck_assert_int_eq(hm_mempool_put(bogus, obj), -EINVAL);
	check_counts(mp, 1);

	ck_assert_int_eq(hm_mempool_stats_get(NULL, 0, &st), -EINVAL);
	ck_assert_int_eq(hm_mempool_stats_get(bogus, 0, &st), -EINVAL);
	ck_assert_int_eq(hm_mempool_stats_get(mp, 0, NULL), -EINVAL);
	ck_assert_int_eq(hm_mempool_stats_get(mp, HM_MAX_LCORE + 1, &st), -EINVAL);
	ck_assert_int_eq(hm_mempool_audit(NULL, NULL), -EINVAL);
	ck_assert_int_eq(hm_mempool_audit(bogus, NULL), -EINVAL);
	ck_assert_int_eq(hm_mempool_obj_iter(NULL, quiet_init, NULL), -EINVAL);
	ck_assert_int_eq(hm_mempool_obj_iter(bogus, quiet_init, NULL), -EINVAL);
	ck_assert_int_eq(hm_mempool_free(bogus), -EINVAL);
	ck_assert_int_eq(hm_mempool_alloc(bogus, &obj, HM_MEMPOOL_NOWAIT, 0), -EINVAL);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, HM_MAX_LCORE), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, HM_LCORE_ID_ANY), 0);
	hm_mempool_cache_flush(mp, HM_MAX_LCORE);
	hm_mempool_cache_flush(mp, HM_LCORE_ID_ANY);
	ck_assert_ptr_null(hm_mempool_lookup("fake"));

	/* Nothing changed, and everything still works. */
	check_counts(mp, 1);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets, 1);
	ck_assert_uint_eq(st.puts, 0);
	ck_assert_int_eq(hm_mempool_audit(mp, NULL), 0);
	ck_assert_int_eq(hm_mempool_put(mp, table[0]), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* The bad puts: each refused whole, alone and inside a bulk of good objects. */
struct bad_puts {
	struct hm_mempool *mp;
	void *good[4];	 /* objects of mp in use */
	void *bad[16];	 /* pointers that are no object of mp */
	unsigned int nb; /* how many of bad[] */
	unsigned int refused;
	unsigned int wrong; /* calls not refused with -EINVAL */
	unsigned int avail_moved;
};

static int
try_bad_puts(void *arg)
{
	struct bad_puts *t = arg;
	unsigned int avail = hm_mempool_avail_count(t->mp);

	for (unsigned int i = 0; i < t->nb; i++) {
		void *alone = t->bad[i];
		void *first[3] = {t->bad[i], t->good[0], t->good[1]};
		void *middle[3] = {t->good[0], t->bad[i], t->good[1]};
		void *last[4] = {t->good[0], t->good[1], t->good[2], t->bad[i]};

		t->wrong += hm_mempool_put(t->mp, alone) != -EINVAL;
		t->wrong += hm_mempool_put_bulk(t->mp, first, 3) != -EINVAL;
		t->wrong += hm_mempool_put_bulk(t->mp, middle, 3) != -EINVAL;
		t->wrong += hm_mempool_put_bulk(t->mp, last, 4) != -EINVAL;
		t->refused += 4;
		t->avail_moved += hm_mempool_avail_count(t->mp) != avail;
	}
	return 0;
}

START_TEST(a_put_of_anything_but_an_object_of_the_pool_is_refused_whole)
{
	struct hm_mempool *mp, *other;
	struct bad_puts t = {0};
	uint64_t on_stack[8] = {0};
	static uint64_t in_data[8];
	void *heap, *block, **all;
	struct hm_mempool_stats st;
	uint8_t *o;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("strict", 64, 100, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	other = hm_mempool_create("other", 64, 100, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_ptr_nonnull(other);
	heap = malloc(256);
	ck_assert_ptr_nonnull(heap);
	block = hm_buddy_alloc(0, 0, 0);
	ck_assert_ptr_nonnull(block);
	t.mp = mp;
	for (unsigned int i = 0; i < HM_DIM(t.good); i++)
		ck_assert_int_eq(hm_mempool_get(mp, &t.good[i]), 0);
	all = pool_objects(mp);
	o = t.good[3];
	t.bad[t.nb++] = NULL;
	t.bad[t.nb++] = o + 1;
	t.bad[t.nb++] = o + 8;
	t.bad[t.nb++] = o + 50;
	t.bad[t.nb++] = o - 1;
	t.bad[t.nb++] = hm_mempool_get_header(o);
	t.bad[t.nb++] = (uint8_t *)all[mp->size - 1] + mp->stride; /* past the last object */
	t.bad[t.nb++] = (uint8_t *)all[0] - mp->stride;		   /* before the first */
	t.bad[t.nb++] = heap;					   /* malloc'd */
	t.bad[t.nb++] = on_stack;
	t.bad[t.nb++] = in_data;
	t.bad[t.nb++] = block;					    /* hugemem memory of no pool */
	ck_assert_int_eq(hm_mempool_get(other, &t.bad[t.nb++]), 0); /* another pool's object */
	ck_assert_uint_le(t.nb, HM_DIM(t.bad));
	for (unsigned int i = 0; i < t.nb; i++)
		ck_assert_msg(!in_sorted(all, mp->size, t.bad[i]), "bad pointer %u is an object",
			      i);
	free(all);

	/* On lcore 0, whose cache takes good puts without the ring. */
	ck_assert_int_eq(try_bad_puts(&t), 0);
	ck_assert_uint_eq(t.wrong, 0);
	ck_assert_uint_eq(t.avail_moved, 0);
	check_counts(mp, HM_DIM(t.good));
	check_counts(other, 1);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.put_refused, t.refused);
	ck_assert_uint_eq(st.puts, 0);

	/* From a plain thread, which puts into the ring. */
	t.refused = 0;
	ck_assert_int_eq(in_plain_thread(try_bad_puts, &t), 0);
	ck_assert_uint_eq(t.wrong, 0);
	ck_assert_uint_eq(t.avail_moved, 0);
	check_counts(mp, HM_DIM(t.good));
	st = stats_of(mp, HM_LCORE_ID_ANY);
	ck_assert_uint_eq(st.put_refused, t.refused);
	ck_assert_uint_eq(st.puts, 0);
	check_stats_add_up(mp);

	/* The good ones still go back. */
	ck_assert_int_eq(hm_mempool_put_bulk(mp, t.good, HM_DIM(t.good)), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_put(other, t.bad[t.nb - 1]), 0);
	check_counts(other, 0);
	ck_assert_uint_eq(stats_of(other, HM_MAX_LCORE).put_refused, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_mempool_free(other), 0);
	ck_assert_int_eq(hm_buddy_free(block), 0);
	free(heap);
	hm_eal_cleanup();
}
END_TEST

/*
 * A pool whose memory came in several blocks (the buddy fragmented by hand:
 * every other 1 MiB block held). The inline puts check against its largest
 * block and leave the others to the slow path: every object of every block
 * goes back, in bulks of 1, 4 and 32 that mix the blocks, into the cache
 * and the ring; and each grid point just outside a block, a pointer inside
 * an object and an object of another pool are refused at every position
 * of a bulk, the counts unchanged.
 */
START_TEST(a_pool_of_several_blocks_takes_back_objects_of_every_block_and_refuses_the_gaps)
{
	enum { NB_HOLD = 64, N = 3000, CACHE = 32 };
	static const unsigned int bulks[] = {1, 4, 32};
	void *held[NB_HOLD], **all, **mixed, *bulk[32], *bad[8];
	struct hm_mempool *mp, *other;
	unsigned int nb_held = 0, nb_bad = 0, largest = 0;
	uint64_t refused = 0;

	init_no_huge("0", "64", NULL);
	other = hm_mempool_create("other-blocks", 8, 960, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(other);
	while (nb_held < NB_HOLD && (held[nb_held] = hm_buddy_alloc(8, 0, 0)) != NULL)
		nb_held++;
	ck_assert_uint_gt(nb_held, 8);
	for (unsigned int i = 0; i < nb_held; i += 2)
		ck_assert_int_eq(hm_buddy_free(held[i]), 0);
	/* About 3.2 MiB of objects, where no free block is above 1 MiB. */
	mp = hm_mempool_create("blocks", N, 960, CACHE, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_ge(mp->nb_chunks, 3);
	for (unsigned int b = 0; b < mp->nb_chunks; b++)
		if (mp->chunks[b].nb_objs > mp->chunks[largest].nb_objs)
			largest = b;
	ck_assert_uint_eq(mp->fast_first, mp->chunks[largest].first);
	ck_assert_uint_eq(mp->fast_nb_objs, mp->chunks[largest].nb_objs);
	check_layout(mp);

	all = pool_objects(mp);
	for (unsigned int b = 0; b < mp->nb_chunks && nb_bad + 2 <= HM_DIM(bad) - 2; b++) {
		const uintptr_t first = mp->chunks[b].first;
		void *before = (void *)(first - mp->stride);
		void *past = (void *)(first + mp->chunks[b].nb_objs * mp->stride);

		if (!in_sorted(all, N, before))
			bad[nb_bad++] = before;
		if (!in_sorted(all, N, past))
			bad[nb_bad++] = past;
	}
	bad[nb_bad++] = (uint8_t *)all[N - 1] + 64;
	ck_assert_int_eq(hm_mempool_get(other, &bad[nb_bad++]), 0);
	for (unsigned int i = 0; i < nb_bad; i++)
		ck_assert_msg(!in_sorted(all, N, bad[i]), "bad pointer %u is an object", i);

	/* Objects taken in address order, given back in an order that mixes the blocks. */
	mixed = malloc(N * sizeof(void *));
	ck_assert_ptr_nonnull(mixed);
	for (unsigned int i = 0; i < N; i++)
		mixed[i] = all[(uint64_t)i * 1237 % N];
	for (unsigned int round = 0; round < 2; round++) {
		void **got = malloc(N * sizeof(void *));

		ck_assert_ptr_nonnull(got);
		for (unsigned int i = 0; i < N; i += 32)
			ck_assert_int_eq(hm_mempool_get_bulk(mp, got + i, N - i < 32 ? N - i : 32),
					 0);
		check_counts(mp, N);
		free(got);
		for (unsigned int i = 0, k = 0; i < N; k++) {
			const unsigned int want = bulks[(k + round) % HM_DIM(bulks)];
			const unsigned int n = want < N - i ? want : N - i;

			memcpy(bulk, mixed + i, n * sizeof(void *));
			for (unsigned int pos = 0; pos < n; pos += (n > 4 ? 7 : 1)) {
				void *keep = bulk[pos];

				bulk[pos] = bad[(k + pos) % nb_bad];
				ck_assert_msg(hm_mempool_put_bulk(mp, bulk, n) == -EINVAL,
					      "bulk of %u with bad pointer %p at %u taken", n,
					      bulk[pos], pos);
				bulk[pos] = keep;
				refused++;
			}
			ck_assert_int_eq(hm_mempool_put_bulk(mp, bulk, n), 0);
			i += n;
			check_counts(mp, N - i);
		}
	}
	ck_assert_uint_eq(stats_of(mp, 0).put_refused, refused);
	check_stats_add_up(mp);
	free(mixed);
	free(all);
	ck_assert_int_eq(hm_mempool_put(other, bad[nb_bad - 1]), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_mempool_free(other), 0);
	for (unsigned int i = 1; i < nb_held; i += 2)
		ck_assert_int_eq(hm_buddy_free(held[i]), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

/* The lengths of the long-bulk tests: every tail length of the eight-lane check. */
static const unsigned int long_bulks[] = {8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 40};

/*
 * For every position of a bulk of n of good[] (a pool of one block, NB_LONG
 * objects held), a bad pointer there: inside an object, before the first,
 * past the last, NULL in turn. Each put must be refused whole, the counts
 * unchanged. @return the puts refused.
 */
#define NB_LONG 40
static unsigned int
refuse_a_bad_pointer_in_each_lane(struct hm_mempool *mp, void *const *good, unsigned int n,
				  unsigned int turn)
{
	void *bulk[NB_LONG], *bad[4];

	bad[0] = (uint8_t *)good[5] + 64; /* a cache line in, no boundary */
	bad[1] = (uint8_t *)(uintptr_t)mp->chunks[0].first - mp->stride; /* before the first */
	bad[2] = (uint8_t *)(uintptr_t)mp->chunks[0].first +
		 (uint64_t)mp->chunks[0].nb_objs * mp->stride; /* past the last */
	bad[3] = NULL;
	for (unsigned int pos = 0; pos < n; pos++) {
		memcpy(bulk, good, n * sizeof(void *));
		bulk[pos] = bad[(pos + turn) % HM_DIM(bad)];
		ck_assert_msg(hm_mempool_put_bulk(mp, bulk, n) == -EINVAL,
			      "bulk of %u with a bad pointer at %u taken", n, pos);
		check_counts(mp, NB_LONG);
	}
	return n;
}

/* What an_lcores_statistics_never_go_back_while_its_cache_is_refilled_and_flushed shares. */
struct stats_race {
	struct hm_mempool *mp;
	atomic_bool stop;
	uint64_t calls; /* bulk gets, and as many bulk puts, the worker made */
	int ret;
};

#define STATS_RACE_BULK 24

/* On lcore 1: bulks of 24 got and put back two at a time: refills and flushes of a cache of 32. */
static int
stats_race_worker(void *arg)
{
	struct stats_race *r = arg;
	void *o[2 * STATS_RACE_BULK];

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (hm_mempool_get_bulk(r->mp, o, STATS_RACE_BULK) != 0 ||
		    hm_mempool_get_bulk(r->mp, o + STATS_RACE_BULK, STATS_RACE_BULK) != 0 ||
		    hm_mempool_put_bulk(r->mp, o, STATS_RACE_BULK) != 0 ||
		    hm_mempool_put_bulk(r->mp, o + STATS_RACE_BULK, STATS_RACE_BULK) != 0) {
			r->ret = -1;
			return -1;
		}
		r->calls += 2;
	}
	return 0;
}

/*
 * While lcore 1 gets and puts through its cache, the slow path refilling
 * and flushing it all the time, another thread reads lcore 1's statistics:
 * its gets, puts and cache hits never go back, and at the end they are
 * exact.
 */
START_TEST(an_lcores_statistics_never_go_back_while_its_cache_is_refilled_and_flushed)
{
	struct stats_race r = {0};
	struct hm_mempool_stats prev = {0}, s;
	unsigned int worker = init_two_lcores("64");
	uint64_t reads = 0;
	struct timespec t0, t = {0};

	r.mp = hm_mempool_create("stats-race", 255, 64, 32, 0, NULL, NULL, 0, 0);
	ck_assert_ptr_nonnull(r.mp);
	ck_assert_int_eq(hm_eal_remote_launch(stats_race_worker, &r, worker), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		s = stats_of(r.mp, worker);
		ck_assert_uint_ge(s.gets, prev.gets);
		ck_assert_uint_ge(s.puts, prev.puts);
		ck_assert_uint_ge(s.cache_hits, prev.cache_hits);
		prev = s;
		if (++reads % 256 == 0)
			clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 300000000L);
	atomic_store(&r.stop, true);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	ck_assert_int_eq(r.ret, 0);
	s = stats_of(r.mp, worker);
	ck_assert_uint_eq(s.gets, r.calls * STATS_RACE_BULK);
	ck_assert_uint_eq(s.puts, r.calls * STATS_RACE_BULK);
	ck_assert_uint_eq(s.get_fails, 0);
	printf("mempool stats race: %" PRIu64 " bulks of %u on lcore %u, %" PRIu64
	       " reads of its statistics\n",
	       r.calls, STATS_RACE_BULK, worker, reads);
	ck_assert_int_eq(hm_mempool_audit(r.mp, NULL), 0);
	ck_assert_int_eq(hm_mempool_free(r.mp), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Bulks of HM_MEMPOOL_VEC_MIN objects and more are checked eight pointers at
 * a time (and a masked tail): a bad pointer in any lane, of a bulk of any
 * length, refuses the whole bulk; good bulks of every length go into the
 * cache and come back out of it as cache hits.
 */
START_TEST(a_bad_pointer_in_any_lane_of_a_long_bulk_refuses_it_and_good_bulks_are_cache_hits)
{
	enum { CACHE = 64 };
	struct hm_mempool *mp;
	void *good[NB_LONG], *bulk[NB_LONG];
	struct hm_mempool_stats st0, st;
	uint64_t hits = 0, refused = 0;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("lanes", 256, 200, CACHE, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, good, NB_LONG), 0);
	hm_mempool_cache_flush(mp, 0); /* what the refill left */
	st0 = stats_of(mp, 0);
	for (unsigned int li = 0; li < HM_DIM(long_bulks); li++) {
		const unsigned int n = long_bulks[li];

		refused += refuse_a_bad_pointer_in_each_lane(mp, good, n, li);
		/* The good bulk goes into the cache and comes straight back. */
		ck_assert_int_eq(hm_mempool_put_bulk(mp, good, n), 0);
		ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), n);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, bulk, n), 0);
		hits += n;
		ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
		for (unsigned int i = 0; i < n; i++)
			ck_assert_ptr_eq(bulk[i], good[i]);
	}
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.put_refused - st0.put_refused, refused);
	ck_assert_uint_eq(st.cache_hits - st0.cache_hits, hits);
	ck_assert_uint_eq(st.gets - st0.gets, hits);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, good, NB_LONG), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* A pointer near an object of mp that must be refused, or an object, by turn. */
static void *
vec_case_pointer(const struct hm_mempool *mp, void *obj, uint64_t r)
{
	const uintptr_t first = mp->chunks[0].first;
	const uint64_t span = (uint64_t)mp->chunks[0].nb_objs * mp->stride;

	switch (r % 12) {
	case 0:
		return (uint8_t *)obj + 64; /* a cache line in */
	case 1:
		return (uint8_t *)obj - 8;
	case 2:
		return (uint8_t *)obj + (UINT64_C(1) << 32); /* same low half, 4 GiB on */
	case 3:
		return (uint8_t *)obj - (UINT64_C(1) << 32);
	case 4:
		return (void *)(first - mp->stride); /* before the first */
	case 5:
		return (void *)(first + span); /* past the last */
	case 6:
		return NULL;
	case 7:
		return (void *)(uintptr_t)(r * UINT64_C(0x9e3779b97f4a7c15)); /* anywhere */
	case 8:
		return (uint8_t *)obj + ((uint64_t)mp->stride << 32); /* index + 2^32 */
	default:
		return obj;
	}
}

/*
 * Every variant of the out-of-line bulk check this CPU runs (AVX-512, AVX2,
 * plain) agrees with hm_mempool_obj_valid() on bulks of 1 to 40 pointers,
 * good and bad in every lane, copies exactly the bulk when all are good,
 * and refuses everything for a pool the fast check is not for.
 */
START_TEST(every_vector_variant_of_the_bulk_check_agrees_with_the_exact_check)
{
	enum { N = 300, MAXB = 40 };
	struct hm_mempool *mp, *unaligned;
	void *objs[N], *bulk[MAXB], *dst[MAXB + 1], *copy[MAXB + 1];
	const struct mempool_vec_impl *impl;
	unsigned int variants = 0;
	uint64_t r = 0x243f6a8885a308d3ULL;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("vec", N, 200, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_ne(mp->fast_nb_objs, 0);
	unaligned = hm_mempool_create("vec8", 64, 200, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY,
				      HM_MEMPOOL_NO_CACHE_ALIGN);
	ck_assert_ptr_nonnull(unaligned);
	ck_assert_uint_eq(unaligned->fast_nb_objs, 0);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, objs, N), 0);
	fprintf(stderr, "mempool: the bulk copies use the %s variant\n", mempool_vec_impl_name());
	for (unsigned int v = 0; v < mempool_vec_nb_impls(); v++) {
		impl = mempool_vec_impl(v);
		if (impl == NULL) {
			fprintf(stderr,
				"mempool: vector variant %u is not for this CPU: not tested\n", v);
			continue;
		}
		variants++;
		for (unsigned int n = 1; n <= MAXB; n++)
			for (unsigned int round = 0; round < 64; round++) {
				bool want = true, got;

				for (unsigned int i = 0; i < n; i++) {
					r ^= r << 13;
					r ^= r >> 7;
					r ^= r << 17;
					/* A bad pointer in about one bulk in two. */
					bulk[i] = vec_case_pointer(mp, objs[r % N],
								   round % 2 ? r >> 20 : 9);
					want &= hm_mempool_obj_valid(mp, bulk[i]);
				}
				got = impl->objs_valid(mp, bulk, n);
				ck_assert_msg(got == want, "%s: check of %u: %d, exact check %d",
					      impl->name, n, got, want);
				memset(dst, 0xa5, sizeof(dst));
				got = impl->put_copy(mp, dst, bulk, n);
				ck_assert_msg(got == want, "%s: put_copy of %u: %d, exact check %d",
					      impl->name, n, got, want);
				if (want)
					ck_assert(memcmp(dst, bulk, n * sizeof(void *)) == 0);
				ck_assert_ptr_eq(dst[n], (void *)(uintptr_t)0xa5a5a5a5a5a5a5a5ULL);
				memset(copy, 0x5a, sizeof(copy));
				impl->copy(copy, bulk, n);
				ck_assert(memcmp(copy, bulk, n * sizeof(void *)) == 0);
				ck_assert_ptr_eq(copy[n], (void *)(uintptr_t)0x5a5a5a5a5a5a5a5aULL);
				/* The pool the fast check is not for: always the slow path. */
				ck_assert(!impl->objs_valid(unaligned, bulk, n));
				ck_assert(!impl->put_copy(unaligned, dst, bulk, n));
			}
	}
	ck_assert_uint_ge(variants, 1);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, N), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_mempool_free(unaligned), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Without a cache, bulks of HM_MEMPOOL_VEC_MIN objects and more go straight
 * to the ring after the vector check: a bad pointer in any lane refuses the
 * whole bulk and leaves the ring as it was; good bulks of every length go
 * in and come back out.
 */
START_TEST(a_bad_pointer_in_any_lane_of_a_long_bulk_to_the_ring_refuses_it)
{
	struct hm_mempool *mp;
	void *good[NB_LONG];
	struct hm_mempool_stats st0, st;
	uint64_t refused = 0, puts = 0;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("lanes0", 256, 200, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, good, NB_LONG), 0);
	st0 = stats_of(mp, 0);
	for (unsigned int li = 0; li < HM_DIM(long_bulks); li++) {
		const unsigned int n = long_bulks[li];

		refused += refuse_a_bad_pointer_in_each_lane(mp, good, n, li);
		ck_assert_int_eq(hm_mempool_put_bulk(mp, good, n), 0);
		puts += n;
		check_counts(mp, NB_LONG - n);
		ck_assert_int_eq(hm_mempool_get_bulk(mp, good, n), 0);
		check_counts(mp, NB_LONG);
	}
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.put_refused - st0.put_refused, refused);
	ck_assert_uint_eq(st.puts - st0.puts, puts);
	ck_assert_uint_eq(st.cache_hits - st0.cache_hits, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, good, NB_LONG), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

struct double_puts {
	struct hm_mempool *mp;
	void *a, *b, *c, *never;
	unsigned int wrong;
};

/* With a and never free and b, c in use: every put that names a free object is refused. */
static int
try_double_puts(void *arg)
{
	struct double_puts *d = arg;
	void *ba[2] = {d->b, d->a}, *bb[2] = {d->b, d->b}, *bcb[3] = {d->b, d->c, d->b};
	void *bn[2] = {d->b, d->never};

	d->wrong += hm_mempool_put(d->mp, d->a) != -EINVAL;
	d->wrong += hm_mempool_put(d->mp, d->never) != -EINVAL;
	d->wrong += hm_mempool_put_bulk(d->mp, ba, 2) != -EINVAL;
	d->wrong += hm_mempool_put_bulk(d->mp, bb, 2) != -EINVAL;
	d->wrong += hm_mempool_put_bulk(d->mp, bcb, 3) != -EINVAL;
	d->wrong += hm_mempool_put_bulk(d->mp, bn, 2) != -EINVAL;
	return 0;
}

START_TEST(a_debug_pool_refuses_a_double_put_and_a_put_of_a_free_object)
{
	struct double_puts d = {0};
	struct hm_mempool *mp;
	void *bc[2], **all;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("debug", 32, 64, 4, 0, NULL, NULL, HM_SOCKET_ID_ANY,
			       HM_MEMPOOL_DEBUG);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->flags & HM_MEMPOOL_DEBUG, HM_MEMPOOL_DEBUG);
	d.mp = mp;
	ck_assert_int_eq(hm_mempool_get(mp, &d.a), 0);
	ck_assert_int_eq(hm_mempool_get(mp, &d.b), 0);
	ck_assert_int_eq(hm_mempool_get(mp, &d.c), 0);
	all = pool_objects(mp);
	for (unsigned int i = 0; i < mp->size && d.never == NULL; i++)
		if (all[i] != d.a && all[i] != d.b && all[i] != d.c)
			d.never = all[i];
	free(all);
	ck_assert_int_eq(hm_mempool_put(mp, d.a), 0);
	check_counts(mp, 2);

	/* On lcore 0 (the cache path) ... */
	ck_assert_int_eq(try_double_puts(&d), 0);
	ck_assert_uint_eq(d.wrong, 0);
	check_counts(mp, 2);
	ck_assert_uint_eq(stats_of(mp, 0).put_refused, 6);
	/* ... and from a plain thread (the ring). */
	ck_assert_int_eq(in_plain_thread(try_double_puts, &d), 0);
	ck_assert_uint_eq(d.wrong, 0);
	check_counts(mp, 2);
	ck_assert_uint_eq(stats_of(mp, HM_LCORE_ID_ANY).put_refused, 6);

	/* b and c were never put: they still can be, once. */
	bc[0] = d.b;
	bc[1] = d.c;
	ck_assert_int_eq(hm_mempool_put_bulk(mp, bc, 2), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, bc, 2), -EINVAL);
	ck_assert_int_eq(hm_mempool_put(mp, d.c), -EINVAL);
	check_counts(mp, 0);
	/* Got again, put again: fine. */
	ck_assert_int_eq(hm_mempool_get_bulk(mp, bc, 2), 0);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, bc, 2), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(audit_finds_a_corrupt_header_and_an_object_put_twice)
{
	struct hm_mempool *mp;
	struct hm_mempool_objhdr *hdr, saved;
	unsigned int in_use;
	void *a, *b;

	init_no_huge("0", "64", NULL);
	mp = hm_mempool_create("audited", 16, 64, 4, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get(mp, &a), 0);
	ck_assert_int_eq(hm_mempool_get(mp, &b), 0);
	check_counts(mp, 2);

	/* A header that names another pool, or another IOVA: found, and fine once restored. */
	ck_assert_int_eq(hm_mempool_put(mp, a), 0);
	hdr = hm_mempool_get_header(a);
	saved = *hdr;
	hdr->pool = (struct hm_mempool *)(void *)((char *)mp + 64);
	ck_assert_int_eq(hm_mempool_audit(mp, NULL), -EFAULT);
	hdr->pool = saved.pool;
	check_counts(mp, 1);
	hdr->iova += 64;
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), -EFAULT);
	hdr->iova = saved.iova;
	hdr = hm_mempool_get_header(b); /* one in use too */
	saved = *hdr;
	hdr->pool = NULL;
	ck_assert_int_eq(hm_mempool_audit(mp, NULL), -EFAULT);
	hdr->pool = saved.pool;
	check_counts(mp, 1);

	/* Without HM_MEMPOOL_DEBUG a second put is taken, and the audit finds it. */
	ck_assert_int_eq(hm_mempool_get(mp, &a), 0);
	ck_assert_int_eq(hm_mempool_put(mp, a), 0);
	ck_assert_int_eq(hm_mempool_put(mp, a), 0);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), -EFAULT);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ packet buffers */

static const struct {
	uint16_t priv_size, data_room;
} pkt_shapes[] = {
    {0, 2048 + HM_PKTBUF_HEADROOM},
    {16, 2048 + HM_PKTBUF_HEADROOM},
    {0, 64},
    {8, 9000},
    {1024, 65535},
    {64, HM_PKTBUF_HEADROOM},
};

static void
check_fresh_pktbuf(const struct hm_pktbuf *m)
{
	uint16_t off = m->buf_len < HM_PKTBUF_HEADROOM ? m->buf_len : HM_PKTBUF_HEADROOM;

	ck_assert_uint_eq(atomic_load(&m->refcnt), 1);
	ck_assert_uint_eq(m->data_off, off);
	ck_assert_uint_eq(m->nb_segs, 1);
	ck_assert_uint_eq(m->port, HM_PKTBUF_PORT_NONE);
	ck_assert_uint_eq(m->pkt_len, 0);
	ck_assert_uint_eq(m->data_len, 0);
	ck_assert_ptr_null(m->next);
	ck_assert_uint_eq(m->ol_flags, 0);
	ck_assert_uint_eq(m->packet_type, 0);
	ck_assert_uint_eq(m->hash, 0);
	ck_assert_uint_eq(hm_pktbuf_headroom(m), off);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), m->buf_len - off);
}

START_TEST(every_packet_buffer_knows_its_buffer_its_pool_and_their_iova)
{
	ck_assert_uint_eq(sizeof(struct hm_pktbuf), 64);
	init_no_huge("0", "256", NULL);
	for (unsigned int s = 0; s < HM_DIM(pkt_shapes); s++) {
		uint16_t priv = pkt_shapes[s].priv_size, room = pkt_shapes[s].data_room;
		struct hm_pktbuf *bufs[64];
		struct hm_mempool *mp;
		char name[HM_MEMPOOL_NAMESIZE];
		void **all;

		snprintf(name, sizeof(name), "pkt-%u-%u", priv, room);
		mp = hm_pktpool_create(name, HM_DIM(bufs), 16, priv, room, HM_SOCKET_ID_ANY);
		ck_assert_msg(mp != NULL, "%s: %s", name, strerror(errno));
		ck_assert_ptr_eq(hm_mempool_lookup(name), mp);
		ck_assert_uint_eq(mp->size, HM_DIM(bufs));
		ck_assert_uint_eq(mp->cache_size, 16);
		ck_assert_uint_eq(mp->min_nr, 0);
		ck_assert_uint_eq(hm_mempool_reserve_count(mp), 0);
		ck_assert_uint_eq(mp->flags & HM_MEMPOOL_NO_CACHE_ALIGN, 0);
		ck_assert_uint_eq(mp->pktbuf_priv_size, priv);
		ck_assert_uint_eq(mp->pktbuf_data_room, room);
		ck_assert_uint_ge(mp->elt_size, sizeof(struct hm_pktbuf) + priv + room);
		check_layout(mp);

		/* As created: buffer, length, IOVA and pool set, no reference. */
		all = pool_objects(mp);
		for (unsigned int i = 0; i < mp->size; i++) {
			struct hm_pktbuf *m = all[i];
			uint8_t *buf = (uint8_t *)m + sizeof(*m) + priv;

			ck_assert_ptr_eq(m->buf_addr, buf);
			ck_assert_uint_eq(m->buf_len, room);
			ck_assert_uint_eq(m->buf_iova, hm_virt2iova(buf));
			ck_assert_uint_eq(m->buf_iova, hm_mempool_obj_iova(m) + sizeof(*m) + priv);
			ck_assert_ptr_eq(m->pool, mp);
			ck_assert_uint_eq(atomic_load(&m->refcnt), 0);
			ck_assert_ptr_eq(hm_pktbuf_priv(m), m + 1);
			ck_assert((uintptr_t)(buf + room) <= (uintptr_t)m + mp->elt_size);
			check_iova_contiguous(buf, room);
		}
		free(all);

		/* As allocated: reset, one reference, and the data where the IOVA says. */
		ck_assert_int_eq(hm_pktbuf_alloc_bulk(mp, bufs, HM_DIM(bufs)), 0);
		check_counts(mp, HM_DIM(bufs));
		for (unsigned int i = 0; i < HM_DIM(bufs); i++) {
			struct hm_pktbuf *m = bufs[i];

			check_fresh_pktbuf(m);
			ck_assert_ptr_eq(hm_pktbuf_mtod(m, uint8_t *),
					 (uint8_t *)m->buf_addr + m->data_off);
			ck_assert_uint_eq(hm_pktbuf_data_iova(m),
					  hm_virt2iova(hm_pktbuf_mtod(m, uint8_t *)));
			ck_assert_uint_eq(hm_pktbuf_data_iova(m), m->buf_iova + m->data_off);
		}
		for (unsigned int i = 0; i < HM_DIM(bufs); i++)
			ck_assert_int_eq(hm_pktbuf_free(bufs[i]), 0);
		check_counts(mp, 0);
		ck_assert_int_eq(hm_mempool_free(mp), 0);
	}
	hm_eal_cleanup();
}
END_TEST

START_TEST(packet_buffers_come_reset_and_go_back_when_their_last_reference_goes)
{
	static struct hm_pktbuf *bufs[33];
	struct hm_mempool *mp;
	struct hm_pktbuf *m;

	init_no_huge("0", "64", NULL);
	mp = hm_pktpool_create("refs", 32, 8, 0, 2048 + HM_PKTBUF_HEADROOM, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);

	m = hm_pktbuf_alloc(mp);
	ck_assert_ptr_nonnull(m);
	check_fresh_pktbuf(m);
	check_counts(mp, 1);
	/* A driver's use leaves marks ... */
	ck_assert_ptr_nonnull(hm_pktbuf_append(m, 100));
	m->port = 3;
	m->ol_flags = 0xff;
	m->packet_type = 17;
	m->hash = 0xabcd;
	ck_assert_int_eq(hm_pktbuf_free(m), 0);
	ck_assert_uint_eq(atomic_load(&m->refcnt), 0);
	check_counts(mp, 0);
	/* ... that the next allocation does not see. */
	for (unsigned int i = 0; i < 32; i++) {
		bufs[i] = hm_pktbuf_alloc(mp);
		ck_assert_ptr_nonnull(bufs[i]);
		check_fresh_pktbuf(bufs[i]);
	}
	errno = 0;
	ck_assert_ptr_null(hm_pktbuf_alloc(mp));
	ck_assert_int_eq(errno, ENOENT);
	check_counts(mp, 32);
	for (unsigned int i = 0; i < 32; i++)
		ck_assert_int_eq(hm_pktbuf_free(bufs[i]), 0);
	check_counts(mp, 0);

	/* Three references: two frees keep the buffer, the third gives it back. */
	m = hm_pktbuf_alloc(mp);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(hm_pktbuf_refcnt_update(m, 1), 2);
	ck_assert_uint_eq(hm_pktbuf_refcnt_update(m, 1), 3);
	ck_assert_int_eq(hm_pktbuf_free(m), 0);
	ck_assert_uint_eq(atomic_load(&m->refcnt), 2);
	check_counts(mp, 1);
	ck_assert_uint_eq(hm_pktbuf_refcnt_update(m, -1), 1);
	check_counts(mp, 1);
	ck_assert_int_eq(hm_pktbuf_free(m), 0);
	ck_assert_uint_eq(atomic_load(&m->refcnt), 0);
	check_counts(mp, 0);
	/* A buffer with no reference is not freed again. */
	ck_assert_int_eq(hm_pktbuf_free(m), -EINVAL);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_pktbuf_free(NULL), 0);

	/* Bulk: all or nothing (the cache emptied first: see the bulk-get tests). */
	hm_mempool_cache_flush(mp, 0);
	ck_assert_int_eq(hm_pktbuf_alloc_bulk(mp, bufs, 33), -EINVAL);
	ck_assert_int_eq(hm_pktbuf_alloc_bulk(mp, bufs, 0), -EINVAL);
	ck_assert_int_eq(hm_pktbuf_alloc_bulk(mp, bufs, 30), 0);
	ck_assert_int_eq(hm_pktbuf_alloc_bulk(mp, bufs + 30, 3), -ENOENT);
	check_counts(mp, 30);
	for (unsigned int i = 0; i < 30; i++)
		ck_assert_int_eq(hm_pktbuf_free(bufs[i]), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(append_prepend_adj_and_trim_move_the_data_inside_the_buffer)
{
	struct hm_mempool *mp;
	struct hm_pktbuf *m;
	uint8_t *base, *p;
	uint16_t room = 2048 + HM_PKTBUF_HEADROOM;

	init_no_huge("0", "64", NULL);
	mp = hm_pktpool_create("data", 8, 0, 8, room, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	m = hm_pktbuf_alloc(mp);
	ck_assert_ptr_nonnull(m);
	base = m->buf_addr;
	ck_assert_uint_eq(hm_pktbuf_headroom(m), HM_PKTBUF_HEADROOM);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 2048);

	/* append: 100 bytes at the end */
	p = (uint8_t *)hm_pktbuf_append(m, 100);
	ck_assert_ptr_eq(p, base + HM_PKTBUF_HEADROOM);
	ck_assert_ptr_eq(hm_pktbuf_mtod(m, uint8_t *), p);
	fill(p, 100, 1);
	ck_assert_uint_eq(m->data_len, 100);
	ck_assert_uint_eq(m->pkt_len, 100);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 1948);
	p = (uint8_t *)hm_pktbuf_append(m, 50);
	ck_assert_ptr_eq(p, base + HM_PKTBUF_HEADROOM + 100);
	fill(p, 50, 2);
	ck_assert_uint_eq(m->data_len, 150);

	/* prepend: a 14-byte header in front */
	p = (uint8_t *)hm_pktbuf_prepend(m, 14);
	ck_assert_ptr_eq(p, base + HM_PKTBUF_HEADROOM - 14);
	ck_assert_ptr_eq(hm_pktbuf_mtod(m, uint8_t *), p);
	fill(p, 14, 3);
	ck_assert_uint_eq(hm_pktbuf_headroom(m), HM_PKTBUF_HEADROOM - 14);
	ck_assert_uint_eq(m->data_len, 164);
	ck_assert_uint_eq(m->pkt_len, 164);
	ck_assert_uint_eq(hm_pktbuf_data_iova(m), m->buf_iova + HM_PKTBUF_HEADROOM - 14);
	ck_assert_uint_eq(hm_pktbuf_data_iova(m), hm_virt2iova(p));
	ck_assert_uint_eq(intact(p, 14, 3), 14);
	ck_assert_uint_eq(intact(p + 14, 100, 1), 100);
	ck_assert_uint_eq(intact(p + 114, 50, 2), 50);

	/* adj: the header off again */
	p = (uint8_t *)hm_pktbuf_adj(m, 14);
	ck_assert_ptr_eq(p, base + HM_PKTBUF_HEADROOM);
	ck_assert_uint_eq(m->data_len, 150);
	ck_assert_uint_eq(m->pkt_len, 150);
	ck_assert_uint_eq(intact(p, 100, 1), 100);

	/* trim: the last 50 */
	ck_assert_int_eq(hm_pktbuf_trim(m, 50), 0);
	ck_assert_uint_eq(m->data_len, 100);
	ck_assert_uint_eq(m->pkt_len, 100);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 1948);
	ck_assert_uint_eq(intact(hm_pktbuf_mtod(m, uint8_t *), 100, 1), 100);

	/* Asking for more than there is changes nothing. */
	ck_assert_int_eq(hm_pktbuf_trim(m, 101), -EINVAL);
	ck_assert_ptr_null(hm_pktbuf_adj(m, 101));
	ck_assert_ptr_null(hm_pktbuf_prepend(m, HM_PKTBUF_HEADROOM + 1));
	ck_assert_ptr_null(hm_pktbuf_append(m, 1949));
	ck_assert_uint_eq(m->data_len, 100);
	ck_assert_uint_eq(m->pkt_len, 100);
	ck_assert_uint_eq(m->data_off, HM_PKTBUF_HEADROOM);

	/* Exactly what there is: to the edges of the buffer. */
	ck_assert_ptr_nonnull(hm_pktbuf_append(m, 1948));
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 0);
	ck_assert_ptr_eq(hm_pktbuf_prepend(m, HM_PKTBUF_HEADROOM), base);
	ck_assert_uint_eq(hm_pktbuf_headroom(m), 0);
	ck_assert_uint_eq(m->data_len, room);
	ck_assert_uint_eq(hm_pktbuf_data_iova(m), m->buf_iova);
	ck_assert_ptr_nonnull(hm_pktbuf_adj(m, room));
	ck_assert_uint_eq(m->data_len, 0);
	ck_assert_uint_eq(m->pkt_len, 0);
	ck_assert_uint_eq(hm_pktbuf_headroom(m), room);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 0);
	ck_assert_int_eq(hm_pktbuf_trim(m, 0), 0);

	ck_assert_int_eq(hm_pktbuf_free(m), 0);
	check_counts(mp, 0);

	/* A buffer smaller than the headroom: all of it is headroom. */
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	mp = hm_pktpool_create("tiny", 8, 0, 0, 64, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	m = hm_pktbuf_alloc(mp);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->data_off, 64);
	ck_assert_uint_eq(hm_pktbuf_tailroom(m), 0);
	ck_assert_ptr_null(hm_pktbuf_append(m, 1));
	ck_assert_ptr_eq(hm_pktbuf_prepend(m, 64), m->buf_addr);
	ck_assert_int_eq(hm_pktbuf_free(m), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(freeing_a_chain_returns_each_segment_whose_last_reference_goes_to_its_own_pool)
{
	struct hm_mempool *a, *b;
	struct hm_pktbuf *m[4], *x;

	init_no_huge("0", "64", NULL);
	a = hm_pktpool_create("chain-a", 16, 4, 0, 2048, HM_SOCKET_ID_ANY);
	b = hm_pktpool_create("chain-b", 16, 4, 0, 1024, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);

	/* A chain of four, one segment from the other pool. */
	for (unsigned int i = 0; i < 4; i++) {
		m[i] = hm_pktbuf_alloc(i == 2 ? b : a);
		ck_assert_ptr_nonnull(m[i]);
		ck_assert_ptr_nonnull(hm_pktbuf_append(m[i], 100));
		if (i > 0)
			m[i - 1]->next = m[i];
	}
	m[0]->nb_segs = 4;
	m[0]->pkt_len = 400;
	check_counts(a, 3);
	check_counts(b, 1);
	ck_assert_int_eq(hm_pktbuf_free(m[0]), 0);
	check_counts(a, 0);
	check_counts(b, 0);
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_uint_eq(atomic_load(&m[i]->refcnt), 0);

	/* A segment shared with another packet stays for it; the rest go. */
	for (unsigned int i = 0; i < 3; i++) {
		m[i] = hm_pktbuf_alloc(a);
		ck_assert_ptr_nonnull(m[i]);
		if (i > 0)
			m[i - 1]->next = m[i];
	}
	ck_assert_uint_eq(hm_pktbuf_refcnt_update(m[1], 1), 2);
	ck_assert_int_eq(hm_pktbuf_free(m[0]), 0);
	check_counts(a, 1);
	ck_assert_uint_eq(atomic_load(&m[0]->refcnt), 0);
	ck_assert_uint_eq(atomic_load(&m[1]->refcnt), 1);
	ck_assert_uint_eq(atomic_load(&m[2]->refcnt), 0);
	m[1]->next = NULL; /* its tail went back with the first packet */
	ck_assert_int_eq(hm_pktbuf_free(m[1]), 0);
	check_counts(a, 0);

	/*
	 * A chain with a segment already free: the call says so, the segment in
	 * front still goes back, and the free one is not put a second time.
	 */
	m[0] = hm_pktbuf_alloc(a);
	x = hm_pktbuf_alloc(a);
	m[1] = hm_pktbuf_alloc(a);
	ck_assert_ptr_nonnull(m[0]);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(m[1]);
	ck_assert_int_eq(hm_pktbuf_free(x), 0);
	check_counts(a, 2);
	m[0]->next = x;
	x->next = m[1];
	ck_assert_int_eq(hm_pktbuf_free(m[0]), -EINVAL);
	ck_assert_uint_eq(atomic_load(&m[0]->refcnt), 0);
	ck_assert_uint_eq(atomic_load(&x->refcnt), 0);
	if (atomic_load(&m[1]->refcnt) != 0) /* the walk may stop at the free segment */
		ck_assert_int_eq(hm_pktbuf_free(m[1]), 0);
	check_counts(a, 0);
	ck_assert_int_eq(hm_mempool_free(a), 0);
	ck_assert_int_eq(hm_mempool_free(b), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(pktpool_create_refuses_bad_private_sizes_data_rooms_and_names)
{
	struct hm_mempool *mp;
	uint64_t before;

	init_no_huge("0", "64", NULL);
	mp = hm_pktpool_create("warm", 8, 0, 0, 2048, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	before = buddy_free_pages();
#define REFUSED(call, err)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		ck_assert_ptr_null(call);                                                          \
		ck_assert_int_eq(errno, err);                                                      \
	} while (0)
	REFUSED(hm_pktpool_create("priv4", 8, 0, 4, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("priv12", 8, 0, 12, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("priv1025", 8, 0, 1025, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("priv1032", 8, 0, 1032, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("privmax", 8, 0, UINT16_MAX, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("room0", 8, 0, 0, 0, HM_SOCKET_ID_ANY), EINVAL); /* no buffer */
	REFUSED(hm_pktpool_create("room0priv", 8, 0, 64, 0, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create(NULL, 8, 0, 0, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("bad name", 8, 0, 0, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("n0", 0, 0, 0, 2048, HM_SOCKET_ID_ANY), EINVAL);
	REFUSED(hm_pktpool_create("cache", 8, 6, 0, 2048, HM_SOCKET_ID_ANY), EINVAL);
	ck_assert_uint_eq(buddy_free_pages(), before);
	mp = hm_pktpool_create("taken", 8, 0, 0, 2048, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	REFUSED(hm_pktpool_create("taken", 8, 0, 0, 2048, HM_SOCKET_ID_ANY), EEXIST);
	REFUSED(hm_mempool_create("taken", 8, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0), EEXIST);
#undef REFUSED
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	/* The largest private area and buffer. */
	mp = hm_pktpool_create("largest", 4, 0, 1024, UINT16_MAX, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->pktbuf_priv_size, 1024);
	ck_assert_uint_eq(mp->pktbuf_data_room, UINT16_MAX);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_uint_eq(buddy_free_pages(), before);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ concurrency */

#define HAMMER_ITERS 1500
/*
 * Fewer for the plain threads: they share a CPU with a pinned lcore, and
 * one preempted between moving a ring head and its tail holds up everyone
 * on that side of the ring until it runs again (the ring is not
 * preemption-safe, as DPDK's rte_ring is not). Each such stall costs a time
 * slice, so their count must stay small.
 */
#define HAMMER_PLAIN_ITERS 300
#define HAMMER_HOLD	   48
#define HAMMER_BULK	   16
#define HAMMER_SIZE	   128
#define HAMMER_THREADS	   4 /* lcore 0, lcore 1, two plain threads */

/* The start of every object of the hammered pools. */
struct stamp {
	_Atomic uint64_t owner; /* the holder's id, 0 while free */
	uint64_t seq;		/* the holder's count when it got the object */
};

struct hammer {
	struct hm_mempool *mp;
	uint64_t id;
	unsigned int seed;
	bool use_alloc;	    /* single gets through hm_mempool_alloc() */
	unsigned int iters; /* rounds of get or put */
	/* results */
	uint64_t got, put, get_fails, alloc_fails;
	unsigned int double_owner, bad_bytes, bad_ret;
	int last_ret;
};

static atomic_int hammer_go;

static void
zero_owner(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	(void)mp;
	(void)arg;
	(void)idx;
	memset(obj, 0, HAMMER_SIZE);
}

static void
hammer_claim(struct hammer *h, void *obj, uint64_t seq)
{
	struct stamp *s = obj;

	if (atomic_exchange(&s->owner, h->id) != 0)
		h->double_owner++;
	s->seq = seq;
	fill(s + 1, HAMMER_SIZE - sizeof(*s), (unsigned int)(seq ^ h->id));
}

static void
hammer_release(struct hammer *h, void *obj)
{
	struct stamp *s = obj;
	size_t len = HAMMER_SIZE - sizeof(*s);

	if (intact(s + 1, len, (unsigned int)(s->seq ^ h->id)) != len)
		h->bad_bytes++;
	if (atomic_exchange(&s->owner, 0) != h->id)
		h->double_owner++;
}

static int
hammer(void *arg)
{
	struct hammer *h = arg;
	void *held[HAMMER_HOLD];
	unsigned int nheld = 0;
	uint64_t seq = 0;
	int ret;

	while (!atomic_load(&hammer_go))
		;
	for (unsigned int it = 0; it < h->iters; it++) {
		unsigned int r = (unsigned int)rand_r(&h->seed);
		unsigned int b = 1 + (r >> 2) % HAMMER_BULK;

		/* Gets twice as often as puts: the threads run the pool dry now and then. */
		if (nheld == 0 || (nheld < HAMMER_HOLD && r % 3 != 0)) {
			if (b > HAMMER_HOLD - nheld)
				b = HAMMER_HOLD - nheld;
			if (h->use_alloc && (r & 64)) {
				b = 1;
				ret = hm_mempool_alloc(h->mp, &held[nheld], HM_MEMPOOL_NOWAIT, 0);
				if (ret == -ENOENT) {
					h->alloc_fails++;
					continue;
				}
			} else {
				ret = hm_mempool_get_bulk(h->mp, &held[nheld], b);
				if (ret == -ENOENT) {
					h->get_fails++;
					continue;
				}
			}
			if (ret != 0) {
				h->bad_ret++;
				h->last_ret = ret;
				continue;
			}
			for (unsigned int i = 0; i < b; i++)
				hammer_claim(h, held[nheld + i], ++seq);
			nheld += b;
			h->got += b;
		} else {
			if (b > nheld)
				b = nheld;
			/* Not always the newest: swap a random one to the end first. */
			if (nheld > 1) {
				unsigned int k = (r >> 8) % nheld;
				void *t = held[k];

				held[k] = held[nheld - 1];
				held[nheld - 1] = t;
			}
			for (unsigned int i = 0; i < b; i++)
				hammer_release(h, held[nheld - b + i]);
			ret = hm_mempool_put_bulk(h->mp, &held[nheld - b], b);
			if (ret != 0) {
				h->bad_ret++;
				h->last_ret = ret;
				continue;
			}
			nheld -= b;
			h->put += b;
		}
	}
	for (unsigned int i = 0; i < nheld; i++)
		hammer_release(h, held[i]);
	if (nheld > 0 && (ret = hm_mempool_put_bulk(h->mp, held, nheld)) != 0) {
		h->bad_ret++;
		h->last_ret = ret;
	} else {
		h->put += nheld;
	}
	return 0;
}

static void *
hammer_thread(void *arg)
{
	hammer(arg);
	return NULL;
}

/* Lcores 0 and `worker`, and nb_plain plain threads, hammer mp; then the books must agree. */
static void
hammer_pool(struct hm_mempool *mp, unsigned int worker, bool use_alloc, unsigned int nb_plain)
{
	const unsigned int nb_threads = 2 + nb_plain;
	struct hammer h[HAMMER_THREADS];
	struct hm_mempool_stats total, st;
	uint64_t got = 0, put = 0, get_fails = 0;
	pthread_t plain[HAMMER_THREADS - 2];

	ck_assert_uint_le(nb_threads, HAMMER_THREADS);
	for (unsigned int t = 0; t < HAMMER_THREADS; t++) {
		memset(&h[t], 0, sizeof(h[t]));
		h[t].mp = mp;
		h[t].id = t + 1;
		h[t].seed = 1234 + t;
		h[t].use_alloc = use_alloc;
		h[t].iters = t < 2 ? HAMMER_ITERS : HAMMER_PLAIN_ITERS;
	}
	atomic_store(&hammer_go, 0);
	ck_assert_int_eq(hm_eal_remote_launch(hammer, &h[1], worker), 0);
	for (unsigned int t = 2; t < nb_threads; t++)
		ck_assert_int_eq(pthread_create(&plain[t - 2], NULL, hammer_thread, &h[t]), 0);
	atomic_store(&hammer_go, 1);
	hammer(&h[0]);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	for (unsigned int t = 2; t < nb_threads; t++)
		ck_assert_int_eq(pthread_join(plain[t - 2], NULL), 0);

	for (unsigned int t = 0; t < nb_threads; t++) {
		ck_assert_msg(h[t].double_owner == 0 && h[t].bad_bytes == 0 && h[t].bad_ret == 0,
			      "%s, thread %u: %u objects held by two at once, %u overwritten, "
			      "%u calls failed (last %d)",
			      mp->name, t, h[t].double_owner, h[t].bad_bytes, h[t].bad_ret,
			      h[t].last_ret);
		ck_assert_uint_eq(h[t].got, h[t].put);
		got += h[t].got;
		put += h[t].put;
		get_fails += h[t].get_fails;
	}
	ck_assert_uint_gt(h[0].got, 0);
	ck_assert_uint_gt(h[1].got, 0);
	/* Each got object and each failed call counted once, where it happened. */
	total = stats_of(mp, HM_MAX_LCORE);
	ck_assert_uint_eq(total.gets, got);
	ck_assert_uint_eq(total.puts, put);
	ck_assert_uint_eq(total.put_refused, 0);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets, h[0].got);
	ck_assert_uint_eq(st.puts, h[0].put);
	st = stats_of(mp, worker);
	ck_assert_uint_eq(st.gets, h[1].got);
	ck_assert_uint_eq(st.puts, h[1].put);
	st = stats_of(mp, HM_LCORE_ID_ANY);
	ck_assert_uint_eq(st.gets, h[2].got + h[3].got);
	ck_assert_uint_eq(st.puts, h[2].put + h[3].put);
	ck_assert_uint_eq(st.cache_hits, 0);
	if (!use_alloc) /* a failed alloc may count a failed get as well */
		ck_assert_uint_eq(total.get_fails, get_fails);
	check_stats_add_up(mp);

	/* Every object is back: in the ring, a cache or the reserve. */
	check_counts(mp, 0);
	ck_assert_uint_le(hm_mempool_reserve_count(mp), mp->min_nr);
	ck_assert_int_eq(on_lcore(worker, flush_own_cache, mp), 0);
	hm_mempool_cache_flush(mp, 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 0), 0);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, worker), 0);
	check_counts(mp, 0);
}

START_TEST(two_lcores_and_plain_threads_hammering_one_pool_never_share_an_object)
{
	unsigned int worker = init_two_lcores("64");
	struct hm_mempool *mp;

	/* Caches, no reserve: as many objects as the threads may hold, and the caches need some. */
	mp = hm_mempool_create("hammer", 4 * HAMMER_HOLD, HAMMER_SIZE, 32, 0, zero_owner, NULL,
			       HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	hammer_pool(mp, worker, false, 2);
	ck_assert_int_eq(hm_mempool_free(mp), 0);

	/*
	 * A debug pool with a reserve, taken by hm_mempool_alloc() too: outside
	 * the reserve there are half the objects the four threads would hold, so
	 * they run short and take from the reserve.
	 */
	mp = hm_mempool_create("hammer-reserve", 2 * HAMMER_HOLD + 32, HAMMER_SIZE, 16, 32,
			       zero_owner, NULL, HM_SOCKET_ID_ANY, HM_MEMPOOL_DEBUG);
	ck_assert_ptr_nonnull(mp);
	hammer_pool(mp, worker, true, 2);
	ck_assert_int_eq(hm_mempool_free(mp), 0);

	/*
	 * No cache: the lcores on the ring for every call. Without plain threads,
	 * which would share the lcores' CPUs and stall them (see HAMMER_PLAIN_ITERS).
	 */
	mp = hm_mempool_create("hammer-ring", 3 * HAMMER_HOLD, HAMMER_SIZE, 0, 0, zero_owner, NULL,
			       HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	hammer_pool(mp, worker, false, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* Wait with a timeout while the other threads take and give back. */
struct waiter {
	struct hm_mempool *mp;
	unsigned int rounds, got, timeouts, bad, shared;
};

static atomic_uint waiter_holders; /* threads holding the one free object: 0 or 1 */

static int
wait_and_put(void *arg)
{
	struct waiter *w = arg;

	for (unsigned int i = 0; i < w->rounds; i++) {
		void *obj;
		int ret = hm_mempool_alloc(w->mp, &obj, HM_MEMPOOL_WAIT, 2000000);

		if (ret == -ETIMEDOUT) {
			w->timeouts++;
			continue;
		}
		if (ret != 0) {
			w->bad++;
			continue;
		}
		w->shared += atomic_fetch_add(&waiter_holders, 1) != 0;
		atomic_fetch_sub(&waiter_holders, 1);
		if (hm_mempool_put(w->mp, obj) != 0) {
			w->bad++;
			continue;
		}
		w->got++;
		sched_yield(); /* a chance for the others */
	}
	return 0;
}

static void *
wait_and_put_thread(void *arg)
{
	wait_and_put(arg);
	return NULL;
}

START_TEST(waiters_on_an_empty_pool_get_what_others_put_back)
{
	static void *objs[8];
	struct waiter w[3];
	struct hm_mempool *mp;
	unsigned int worker = init_two_lcores("64");
	pthread_t t;

	mp = hm_mempool_create("waiters", HM_DIM(objs), 64, 2, 2, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	for (unsigned int i = 0; i < 3; i++)
		w[i] = (struct waiter){mp, 300, 0, 0, 0, 0};
	/* Hold all but one: three threads share it, waiting in turn. */
	for (unsigned int i = 0; i < HM_DIM(objs) - 1; i++)
		ck_assert_int_eq(hm_mempool_alloc(mp, &objs[i], HM_MEMPOOL_NOWAIT, 0), 0);
	ck_assert_int_eq(hm_eal_remote_launch(wait_and_put, &w[1], worker), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, wait_and_put_thread, &w[2]), 0);
	wait_and_put(&w[0]);
	ck_assert_int_eq(hm_eal_wait_lcore(worker), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(w[i].bad, 0);
		ck_assert_uint_eq(w[i].shared, 0);
		ck_assert_uint_eq(w[i].got + w[i].timeouts, w[i].rounds);
	}
	/* The object went round: far more gets than one thread's worth failed. */
	ck_assert_uint_ge(w[0].got + w[1].got + w[2].got, w[0].rounds);
	check_counts(mp, HM_DIM(objs) - 1);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, HM_DIM(objs) - 1), 0);
	ck_assert_int_eq(on_lcore(worker, flush_own_cache, mp), 0);
	check_counts(mp, 0);
	check_stats_add_up(mp);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

/* ================================================ hugepages */

START_TEST(objects_on_hugepages_are_contiguous_in_iova)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 48, "mempool objects_on_hugepages");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "96", hm_test_prefix("mphp"), "emerg", NULL);
	static const struct {
		unsigned int elt_size, n;
	} sizes[] = {{64, 4000}, {2048, 1000}, {100000, 40}, {1u << 20, 8}, {3u << 20, 3}};

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	for (unsigned int s = 0; s < HM_DIM(sizes); s++) {
		char name[HM_MEMPOOL_NAMESIZE];
		struct hm_mempool *mp;
		void **all;

		snprintf(name, sizeof(name), "huge-%u", sizes[s].elt_size);
		mp = hm_mempool_create(name, sizes[s].n, sizes[s].elt_size, 0, 0, NULL, NULL,
				       HM_SOCKET_ID_ANY, 0);
		if (mp == NULL && errno == ENOMEM && sizes[s].elt_size >= (1u << 20)) {
			/*
			 * An object of MiBs needs a buddy block of the next power of
			 * two, and a block never spans two physically apart pages:
			 * without a run of twice that, the kernel's hugepages may
			 * not hold one, which is no fault of the pool.
			 */
			struct hm_memory_info info;
			uint64_t block = 1;

			while (block < sizes[s].elt_size + 64ull)
				block <<= 1;
			ck_assert_int_eq(hm_memory_info_get(&info), 0);
			if (info.largest_run_bytes < 2 * block) {
				printf("SKIPPED %s: objects of %u B need blocks of %" PRIu64
				       " MiB; the longest physically contiguous run of the pinned "
				       "pages is %" PRIu64 " MiB\n",
				       name, sizes[s].elt_size, block >> 20,
				       info.largest_run_bytes >> 20);
				continue;
			}
		}
		ck_assert_msg(mp != NULL, "%s: %s", name, strerror(errno));
		check_layout(mp);
		all = pool_objects(mp);
		if (hm_eal_iova_mode() == HM_IOVA_PA)
			for (unsigned int i = 0; i < mp->size; i++) {
				uint8_t *last = (uint8_t *)all[i] + mp->elt_size - 1;

				ck_assert_uint_eq(hm_test_pfn(all[i]) * 4096 +
						      (uintptr_t)all[i] % 4096,
						  hm_mempool_obj_iova(all[i]));
				ck_assert_uint_eq(hm_test_pfn(last) * 4096 + (uintptr_t)last % 4096,
						  hm_virt2iova(last));
			}
		free(all);
		ck_assert_int_eq(hm_mempool_free(mp), 0);
	}
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================ another process */

/* The names and counts are passed to mempool_helper.c; the sizes are also set there. */
#define XPROC_POOL     "xproc-pool"
#define XPROC_TO_SEC   "xproc-to-sec"
#define XPROC_TO_PRIM  "xproc-to-prim"
#define XPROC_SIZE     200u
#define XPROC_K	       20u		  /* got here, put there */
#define XPROC_G	       40u		  /* got there ... */
#define XPROC_P	       15u		  /* ... of which put back there */
#define XPROC_NEW      "xproc-made-there" /* a pool the secondary makes */
#define XPROC_NEW_N    32u		  /* of 32 objects ... */
#define XPROC_NEW_SIZE 64u		  /* ... of 64 bytes */

/*
 * Byte `off` of object i of process `who` (1 primary, 2 secondary, 3 the
 * secondary's pool's init), as the helper writes and checks it.
 */
static uint8_t
xproc_byte(unsigned int who, unsigned int i, unsigned int off)
{
	return (uint8_t)(who * 77u + i * 13u + off);
}

START_TEST(objects_cross_between_processes_and_the_counts_agree_in_both)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 24, "mempool objects_cross");
	const char *prefix = hm_test_prefix("mpx");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "48", prefix, "emerg", NULL);
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "emerg");
	char addr[32], k[16], g[16], p[16];
	const char *argv[32];
	struct hm_ring *to_sec, *to_prim;
	struct hm_mempool_stats st;
	struct hm_mempool *mp;
	void *objs[XPROC_G];
	uint8_t seen[XPROC_NEW_N] = {0};
	unsigned int n = 0;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	mp = hm_mempool_create(XPROC_POOL, 256, XPROC_SIZE, 16, 4, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	to_sec = hm_ring_create(XPROC_TO_SEC, 64, HM_SOCKET_ID_ANY, 0);
	to_prim = hm_ring_create(XPROC_TO_PRIM, 64, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(to_sec);
	ck_assert_ptr_nonnull(to_prim);

	/* K objects got and written here, for the secondary to check and put. */
	for (unsigned int i = 0; i < XPROC_K; i++) {
		uint8_t *o;

		ck_assert_int_eq(hm_mempool_get(mp, &objs[i]), 0);
		o = objs[i];
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			o[off] = xproc_byte(1, i, off);
	}
	ck_assert_uint_eq(hm_ring_enqueue_bulk(to_sec, objs, XPROC_K, NULL), XPROC_K);
	check_counts(mp, XPROC_K);

	snprintf(addr, sizeof(addr), "%p", (void *)mp);
	snprintf(k, sizeof(k), "%u", XPROC_K);
	snprintf(g, sizeof(g), "%u", XPROC_G);
	snprintf(p, sizeof(p), "%u", XPROC_P);
	for (unsigned int i = 0; sec.v[i] != NULL; i++)
		argv[n++] = sec.v[i];
	argv[n++] = "--";
	argv[n++] = XPROC_POOL;
	argv[n++] = addr;
	argv[n++] = XPROC_TO_SEC;
	argv[n++] = XPROC_TO_PRIM;
	argv[n++] = k;
	argv[n++] = g;
	argv[n++] = p;
	argv[n++] = XPROC_NEW;
	argv[n++] = NULL;
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_MEMPOOL_HELPER"), argv), 60000),
	    0);

	/* What the secondary got, put and kept, the primary sees. */
	check_counts(mp, XPROC_G - XPROC_P);
	ck_assert_uint_eq(hm_ring_count(to_sec), 0);
	ck_assert_uint_eq(hm_ring_count(to_prim), XPROC_G - XPROC_P);
	st = stats_of(mp, 1);
	ck_assert_uint_eq(st.gets, XPROC_G);
	ck_assert_uint_eq(st.puts, XPROC_K + XPROC_P);
	st = stats_of(mp, 0);
	ck_assert_uint_eq(st.gets, XPROC_K);
	ck_assert_uint_eq(st.puts, 0);
	check_stats_add_up(mp);

	/* The objects it kept are as it wrote them, and go back here. */
	ck_assert_uint_eq(hm_ring_dequeue_bulk(to_prim, objs, XPROC_G - XPROC_P, NULL),
			  XPROC_G - XPROC_P);
	for (unsigned int j = 0; j < XPROC_G - XPROC_P; j++) {
		const uint8_t *o = objs[j];

		ck_assert(hm_mempool_obj_valid(mp, o));
		for (unsigned int off = 0; off < XPROC_SIZE; off++)
			ck_assert_uint_eq(o[off], xproc_byte(2, XPROC_P + j, off));
		ck_assert_int_eq(hm_mempool_put(mp, objs[j]), 0);
	}
	check_counts(mp, 0);

	/* Its process is gone: its lcore's cache can be given back from here. */
	hm_mempool_cache_flush(mp, 1);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, 1), 0);
	check_counts(mp, 0);
	st = stats_of(mp, HM_MAX_LCORE);
	ck_assert_uint_eq(st.gets, XPROC_K + XPROC_G);
	ck_assert_uint_eq(st.puts, XPROC_K + XPROC_G);
	ck_assert_int_eq(hm_mempool_free(mp), 0);

	/* The pool the secondary made: found here, initialised there, ours to use and free. */
	mp = hm_mempool_lookup(XPROC_NEW);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->size, XPROC_NEW_N);
	ck_assert_uint_eq(mp->elt_size, XPROC_NEW_SIZE);
	check_counts(mp, 0);
	check_layout(mp);
	for (unsigned int i = 0; i < XPROC_NEW_N; i++) {
		const uint8_t *o;
		uint32_t idx;

		ck_assert_int_eq(hm_mempool_get(mp, &objs[i]), 0);
		o = objs[i];
		memcpy(&idx, o, sizeof(idx)); /* the helper's init: index, then pattern */
		ck_assert_uint_lt(idx, XPROC_NEW_N);
		ck_assert_uint_eq(seen[idx]++, 0);
		for (unsigned int off = sizeof(idx); off < XPROC_NEW_SIZE; off++)
			ck_assert_uint_eq(o[off], xproc_byte(3, idx, off));
	}
	check_counts(mp, XPROC_NEW_N);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, objs, XPROC_NEW_N), 0);
	check_counts(mp, 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	ck_assert_int_eq(hm_ring_free(to_sec), 0);
	ck_assert_int_eq(hm_ring_free(to_prim), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================================ suite */

static Suite *
mempool_suite(void)
{
	Suite *s = suite_create("mempool");
	TCase *tc = tcase_create("mempool");

	tcase_set_timeout(tc, 120);
	tcase_add_test(
	    tc,
	    objects_of_every_size_lie_apart_contiguous_in_iova_with_pool_and_iova_in_the_header);
	tcase_add_test(tc,
		       obj_init_is_called_once_per_object_with_each_index_and_its_contents_survive);
	tcase_add_test(tc, object_strides_spread_over_the_memory_channels_given_with_n);
	tcase_add_test(
	    tc, one_lcore_can_get_every_object_and_a_plain_thread_only_what_is_not_in_a_cache);
	tcase_add_test(tc, a_bulk_get_of_more_than_are_free_takes_nothing);
	tcase_add_test(tc, a_bulk_get_larger_than_the_cache_also_takes_what_the_lcore_cache_holds);
	tcase_add_test(tc, an_empty_lcore_cache_is_refilled_from_the_ring_and_serves_the_next_gets);
	tcase_add_test(tc, a_cache_over_one_and_a_half_times_its_size_is_flushed_back_oldest_first);
	tcase_add_test(
	    tc, objects_put_on_another_lcore_wait_in_its_cache_and_the_stats_follow_the_lcore);
	tcase_add_test(tc, ordinary_gets_never_take_the_reserve);
	tcase_add_test(tc, alloc_takes_the_reserve_when_the_pool_is_empty_and_puts_refill_it_first);
	tcase_add_test(tc, alloc_with_wait_blocks_until_a_plain_thread_puts_an_object_back);
	tcase_add_test(tc,
		       alloc_with_wait_gets_an_object_put_on_another_lcore_not_kept_in_its_cache);
	tcase_add_test(tc, alloc_with_wait_is_woken_by_a_put_that_refills_the_reserve);
	tcase_add_test(
	    tc, alloc_gives_up_with_etimedout_after_its_timeout_and_with_enoent_without_wait);
	tcase_add_test(tc, a_process_that_dies_holding_the_reserve_lock_leaves_put_slow_rebuilt);
	tcase_add_test(tc, a_waiter_whose_count_a_reclaim_took_off_leaves_the_counts_whole);
	tcase_add_test(tc, pools_are_found_by_name_walked_and_dumped);
	tcase_add_test(tc,
		       free_is_refused_while_objects_are_out_and_then_gives_memory_and_name_back);
	tcase_add_test(tc, a_pool_too_big_for_the_memory_fails_with_enomem_and_leaks_nothing);
	tcase_add_test(tc, the_pool_table_fills_up_with_enospc_and_a_freed_slot_is_reused);
	tcase_add_test(tc, create_refuses_bad_arguments_and_leaks_nothing);
	tcase_add_test(tc, a_cache_whose_one_and_a_half_times_exceeds_the_pool_is_refused);
	tcase_add_test(tc, calls_before_init_and_after_cleanup_fail_cleanly);
	tcase_add_test(tc, gets_puts_and_queries_refuse_bad_arguments_and_counts_stay_exact);
	tcase_add_test(tc, a_put_of_anything_but_an_object_of_the_pool_is_refused_whole);
	tcase_add_test(
	    tc, a_pool_of_several_blocks_takes_back_objects_of_every_block_and_refuses_the_gaps);
	tcase_add_test(
	    tc, a_bad_pointer_in_any_lane_of_a_long_bulk_refuses_it_and_good_bulks_are_cache_hits);
	tcase_add_test(tc, a_bad_pointer_in_any_lane_of_a_long_bulk_to_the_ring_refuses_it);
	tcase_add_test(tc,
		       an_lcores_statistics_never_go_back_while_its_cache_is_refilled_and_flushed);
	tcase_add_test(tc, every_vector_variant_of_the_bulk_check_agrees_with_the_exact_check);
	tcase_add_test(tc, a_debug_pool_refuses_a_double_put_and_a_put_of_a_free_object);
	tcase_add_test(tc, audit_finds_a_corrupt_header_and_an_object_put_twice);
	tcase_add_test(tc, every_packet_buffer_knows_its_buffer_its_pool_and_their_iova);
	tcase_add_test(tc, packet_buffers_come_reset_and_go_back_when_their_last_reference_goes);
	tcase_add_test(tc, append_prepend_adj_and_trim_move_the_data_inside_the_buffer);
	tcase_add_test(
	    tc, freeing_a_chain_returns_each_segment_whose_last_reference_goes_to_its_own_pool);
	tcase_add_test(tc, pktpool_create_refuses_bad_private_sizes_data_rooms_and_names);
	tcase_add_test(tc, two_lcores_and_plain_threads_hammering_one_pool_never_share_an_object);
	tcase_add_test(tc, waiters_on_an_empty_pool_get_what_others_put_back);
	tcase_add_test(tc, objects_on_hugepages_are_contiguous_in_iova);
	tcase_add_test(tc, objects_cross_between_processes_and_the_counts_agree_in_both);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(mempool_suite());
}
