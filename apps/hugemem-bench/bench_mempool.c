/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mempool section: hm_mempool (include/hugemem/mempool.h) against DPDK
 * 22.11's rte_mempool on its "ring_mp_mc" ops, each in the child of its own
 * EAL, with pools of the same shape: MP_SIZE objects of MP_ELT_SIZE bytes,
 * one pool without a per-lcore cache and one with a cache of 512 objects
 * (the largest either allows), on socket 0.
 *
 * What is timed follows DPDK's mempool_perf_autotest (app/test/
 * test_mempool_perf.c, per_lcore_mempool_test()): each lcore, in a loop,
 * gets MP_KEEP objects in bulks of n (1, 4 or 32), then puts them back in
 * bulks of n, with the library's ordinary calls: hm_mempool_get_bulk() and
 * hm_mempool_put_bulk(), rte_mempool_get_bulk() and rte_mempool_put_bulk(),
 * each of which finds the calling lcore's cache itself. On 2 lcores both run
 * that loop at once on the same pool, each with its own cache. n is a
 * run-time value, as in DPDK's test. A get that fails, or a put hugemem
 * refuses, fails the run: both are checked in the loop, as a careful caller
 * would (DPDK's put returns nothing to check).
 *
 * The calls are made as an application makes them. DPDK's are
 * __rte_always_inline; hugemem's are static inline, which GCC inlines or
 * not by its own heuristics: with more than one call site (here: the loop,
 * the check, the put-back after a failed get) -O2 keeps them out of line.
 * That is the code a user gets from mempool.h, so it is what is timed.
 *
 * An "object" of the table is one get and one put of it; ns per object is
 * the row's wall time over the objects of all its lcores, from the earlier
 * thread's start to the later thread's end. The loop is compiled once per
 * library from one template, the library's inline calls in it, with the
 * flags of this executable.
 *
 * Checks, untimed: before each row, every thread gets MP_KEEP objects,
 * checks each is an object of the pool (by its header: hm_mempool_obj_pool(),
 * rte_mempool_from_obj()) and none is given twice, fills each whole with a
 * byte of its own and reads all back (overlapping objects show), and puts
 * them back. After each row, the pool's free count (cache included) is its
 * size again. At the end hugemem's pools must pass hm_mempool_audit() and
 * both sides' pools are freed.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <hugemem/hugemem.h>
#include <hugemem/mempool.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "bench.h"

#define MP_SIZE	       8191 /* objects: a ring of 8192 slots holds them all */
#define MP_ELT_SIZE    2048 /* bytes: a packet buffer's data room */
#define MP_CACHE       512  /* HM_MEMPOOL_CACHE_MAX_SIZE and RTE_MEMPOOL_CACHE_MAX_SIZE */
#define MP_KEEP	       32   /* objects each lcore holds between its gets and its puts */
#define MP_MAX_THREADS 2    /* "-l 0-1" */
#define MP_WARMUP_DIV  16   /* the warm-up runs 1/16 of the iterations */
#define MP_DPDK_OPS    "ring_mp_mc"

_Static_assert(MP_CACHE <= HM_MEMPOOL_CACHE_MAX_SIZE && MP_CACHE <= RTE_MEMPOOL_CACHE_MAX_SIZE,
	       "both libraries take a cache of MP_CACHE objects");

struct mp_row_desc {
	bool cached; /* the pool with a cache of MP_CACHE; else the one without */
	unsigned int n;
	unsigned int nb_lcores;
	uint32_t iters; /* of the timed loop, per thread: MP_KEEP objects each */
};

/*
 * Iterations for some tens of milliseconds a row: without a cache every
 * call is a ring operation, with one most are a copy of n pointers.
 */
static const struct mp_row_desc mp_rows[] = {
    {false, 1, 1, 1u << 16}, {false, 1, 2, 1u << 15},  {false, 4, 1, 1u << 17},
    {false, 4, 2, 1u << 16}, {false, 32, 1, 1u << 19}, {false, 32, 2, 1u << 18},
    {true, 1, 1, 1u << 19},  {true, 1, 2, 1u << 19},   {true, 4, 1, 1u << 20},
    {true, 4, 2, 1u << 20},  {true, 32, 1, 1u << 21},  {true, 32, 2, 1u << 21},
};

_Static_assert(sizeof(mp_rows) / sizeof(mp_rows[0]) == BENCH_MEMPOOL_NB_ROWS,
	       "bench.h's BENCH_MEMPOOL_NB_ROWS is the number of mempool rows");

/* One thread of a row, on cache lines of its own. */
struct mp_thread {
	void *objs[MP_KEEP];
	struct bench_clocks clocks; /* around the timed loop */
	char error[192];
} __attribute__((aligned(64)));

struct mp_run {
	enum bench_lib lib;
	void *pool; /* struct hm_mempool or struct rte_mempool */
	const struct mp_row_desc *row;
	const char *label;
	unsigned int nb_threads;
	uint64_t iters;	     /* of the timed loop, per thread */
	bool check;	     /* run the untimed check first */
	atomic_uint arrived; /* threads at the barriers so far */
	atomic_bool abort;   /* a thread failed: the others stop at the next barrier */
	struct mp_thread thread[MP_MAX_THREADS];
};

/* ------------------------------------------------------- the calls */

/* lib is a constant at every call site. @return 0, or a negative errno. */
static inline __attribute__((always_inline)) int
mp_get(enum bench_lib lib, void *mp, void **objs, unsigned int n)
{
	if (lib == BENCH_LIB_HM)
		return hm_mempool_get_bulk(mp, objs, n);
	return rte_mempool_get_bulk(mp, objs, n);
}

static inline __attribute__((always_inline)) int
mp_put(enum bench_lib lib, void *mp, void *const *objs, unsigned int n)
{
	if (lib == BENCH_LIB_HM)
		return hm_mempool_put_bulk(mp, objs, n);
	rte_mempool_put_bulk(mp, objs, n);
	return 0;
}

/*
 * The timed loop: MP_KEEP objects got in bulks of n, then put back in bulks
 * of n, iters times. On a failed get the objects of this iteration go back
 * and the loop stops. @return 0, -ENOENT (a get failed) or -EINVAL (hugemem
 * refused a put: those objects are lost to the pool, which the count check
 * then shows).
 */
static inline __attribute__((always_inline)) int
mp_loop_of(enum bench_lib lib, void *mp, void **objs, unsigned int n, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		unsigned int got;

		for (got = 0; got < MP_KEEP; got += n)
			if (__builtin_expect(mp_get(lib, mp, objs + got, n) != 0, 0))
				break;
		if (__builtin_expect(got < MP_KEEP, 0)) {
			for (unsigned int k = 0; k < got; k += n)
				mp_put(lib, mp, objs + k, n);
			return -ENOENT;
		}
		for (unsigned int k = 0; k < MP_KEEP; k += n)
			if (__builtin_expect(mp_put(lib, mp, objs + k, n) != 0, 0))
				return -EINVAL;
	}
	return 0;
}

/* One function per library, each on a 64-byte line, as the ring's loops. */
static __attribute__((noinline, aligned(64))) int
mp_loop_hm(void *mp, void **objs, unsigned int n, uint64_t iters)
{
	return mp_loop_of(BENCH_LIB_HM, mp, objs, n, iters);
}

static __attribute__((noinline, aligned(64))) int
mp_loop_dpdk(void *mp, void **objs, unsigned int n, uint64_t iters)
{
	return mp_loop_of(BENCH_LIB_DPDK, mp, objs, n, iters);
}

static int
mp_loop(const struct mp_run *run, void **objs, uint64_t iters)
{
	if (run->lib == BENCH_LIB_HM)
		return mp_loop_hm(run->pool, objs, run->row->n, iters);
	return mp_loop_dpdk(run->pool, objs, run->row->n, iters);
}

/* ------------------------------------------------------------ a row */

static unsigned int
mp_avail(enum bench_lib lib, const void *mp)
{
	return lib == BENCH_LIB_HM ? hm_mempool_avail_count(mp) : rte_mempool_avail_count(mp);
}

static void mp_fail(struct mp_run *run, struct mp_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
mp_fail(struct mp_run *run, struct mp_thread *t, const char *fmt, ...)
{
	va_list ap;

	if (t->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->error, sizeof(t->error), fmt, ap);
		va_end(ap);
	}
	atomic_store(&run->abort, true);
}

/* Wait until every thread has passed `phase` barriers; false if one failed. */
static bool
mp_barrier(struct mp_run *run, unsigned int phase)
{
	atomic_fetch_add(&run->arrived, 1);
	while (atomic_load(&run->arrived) < phase * run->nb_threads)
		if (atomic_load(&run->abort))
			return false;
	return !atomic_load(&run->abort);
}

/*
 * The untimed check: MP_KEEP objects of the pool, none twice, none
 * overlapping another (each filled whole, then all read back).
 */
static void
mp_check(struct mp_run *run, unsigned int slot)
{
	struct mp_thread *t = &run->thread[slot];
	const unsigned int n = run->row->n;
	unsigned int got, i;

	for (got = 0; got < MP_KEEP; got += n) {
		int ret = mp_get(run->lib, run->pool, t->objs + got, n);

		if (ret != 0) {
			mp_fail(run, t, "%s: check: get of %u with %u got: %s", run->label, n, got,
				strerror(-ret));
			break;
		}
	}
	for (i = 0; i < got && t->error[0] == '\0'; i++) {
		void *obj = t->objs[i];
		const void *owner = run->lib == BENCH_LIB_HM
					? (const void *)hm_mempool_obj_pool(obj)
					: (const void *)rte_mempool_from_obj(obj);

		if (owner != run->pool)
			mp_fail(run, t, "%s: check: got %p, whose header names pool %p, not %p",
				run->label, obj, owner, run->pool);
		for (unsigned int j = 0; j < i; j++)
			if (t->objs[j] == obj)
				mp_fail(run, t, "%s: check: got %p twice", run->label, obj);
		memset(obj, (int)(slot * MP_KEEP + i + 1), MP_ELT_SIZE);
	}
	for (i = 0; i < got && t->error[0] == '\0'; i++) {
		const unsigned char *p = t->objs[i];

		for (unsigned int b = 0; b < MP_ELT_SIZE; b++)
			if (p[b] != (unsigned char)(slot * MP_KEEP + i + 1)) {
				mp_fail(run, t,
					"%s: check: byte %u of object %p was overwritten while it "
					"was out: two objects overlap",
					run->label, b, (const void *)p);
				break;
			}
	}
	for (unsigned int k = 0; k < got; k += n)
		if (mp_put(run->lib, run->pool, t->objs + k, n) != 0)
			mp_fail(run, t, "%s: check: put of %u objects refused", run->label, n);
}

static void
mp_row_label(const struct mp_row_desc *d, char *buf, size_t len)
{
	snprintf(buf, len, "cache %3u, bulk %2u, %u lcore%s", d->cached ? MP_CACHE : 0, d->n,
		 d->nb_lcores, d->nb_lcores > 1 ? "s" : "");
}

/* Objects got and put in a timed loop of iters per thread, all threads. */
static uint64_t
mp_objs(const struct mp_row_desc *d, uint64_t iters)
{
	return iters * MP_KEEP * d->nb_lcores;
}

/* Objects got and put in a row's timed loop, all threads. */
static uint64_t
mp_row_objs(const struct mp_row_desc *d)
{
	return mp_objs(d, bench_iters(d->iters));
}

/* Each thread of a row: the check, the warm-up, a barrier, the timed loop. */
static int
mp_thread_main(void *arg)
{
	struct mp_run *run = arg;
	/* The lcore's own slot, as the ring section does. */
	unsigned int slot = run->lib == BENCH_LIB_HM ? hm_lcore_id() : rte_lcore_id();
	const struct mp_row_desc *d = run->row;
	struct mp_thread *t;
	char label[64];
	int ret;

	if (slot >= run->nb_threads)
		return -EINVAL; /* cannot happen: the launchers start nb_threads threads */
	t = &run->thread[slot];
	if (run->check)
		mp_check(run, slot);
	if (t->error[0] == '\0') {
		ret = mp_loop(run, t->objs, run->iters / MP_WARMUP_DIV);
		if (ret < 0)
			mp_fail(run, t, "%s: warm-up: %s", run->label,
				ret == -ENOENT ? "a get failed" : "a put was refused");
	}
	if (!mp_barrier(run, 1))
		return -1;
	bench_clocks_start(&t->clocks);
	bench_icount_begin();
	ret = mp_loop(run, t->objs, run->iters);
	if (bench_icount) {
		mp_row_label(d, label, sizeof(label));
		bench_icount_end("mempool", run->lib, label, mp_objs(d, run->iters));
	}
	bench_clocks_stop(&t->clocks);
	if (ret < 0)
		mp_fail(run, t, "%s: %s in the timed loop", run->label,
			ret == -ENOENT ? "a get failed" : "a put was refused");
	return 0;
}

/*
 * A row on one side: iters per thread, the untimed check first if asked.
 * @return 0 with out filled, or -1 with err set.
 */
static int
mp_time_row(enum bench_lib lib, bench_launch_fn *launch, void *pool, const struct mp_row_desc *d,
	    uint64_t iters, bool check, struct bench_row *out, char *err, size_t len)
{
	struct bench_clocks clocks[MP_MAX_THREADS];
	struct mp_run run;
	char label[96], row[64];
	unsigned int avail;
	int ret;

	mp_row_label(d, row, sizeof(row));
	snprintf(label, sizeof(label), "mempool: %s %s",
		 lib == BENCH_LIB_HM ? "hm_mempool" : "rte_mempool", row);
	memset(&run, 0, sizeof(run));
	run.lib = lib;
	run.pool = pool;
	run.row = d;
	run.label = label;
	run.nb_threads = d->nb_lcores;
	run.iters = iters;
	run.check = check;
	ret = launch(mp_thread_main, &run, run.nb_threads);
	if (ret < 0) {
		snprintf(err, len, "%s: cannot run on %u lcores: %s", label, run.nb_threads,
			 strerror(-ret));
		return -1;
	}
	for (unsigned int s = 0; s < run.nb_threads; s++) {
		const struct mp_thread *t = &run.thread[s];

		if (t->error[0] != '\0') {
			snprintf(err, len, "%s", t->error);
			return -1;
		}
		if (t->clocks.end_ns == 0) {
			snprintf(err, len, "%s: thread %u of %u did not run", label, s,
				 run.nb_threads);
			return -1;
		}
		clocks[s] = t->clocks;
	}
	avail = mp_avail(lib, pool);
	if (avail != MP_SIZE) {
		snprintf(err, len, "%s: %u of %u objects free after the row, which put all back",
			 label, avail, MP_SIZE);
		return -1;
	}
	bench_row_set(out, mp_objs(d, iters), clocks, run.nb_threads);
	return 0;
}

/* ---------------------------------------------------------- the pools */

static void *
mp_create(enum bench_lib lib, const char *name, unsigned int cache,
	  struct bench_mempool_result *out, char *err, size_t len)
{
	struct rte_mempool *mp;
	int ret;

	if (lib == BENCH_LIB_HM) {
		struct hm_mempool *hp =
		    hm_mempool_create(name, MP_SIZE, MP_ELT_SIZE, cache, 0, NULL, NULL, 0, 0);

		if (hp == NULL) {
			snprintf(err, len, "mempool: hm_mempool_create(%s, %u, %u, cache %u): %s",
				 name, MP_SIZE, MP_ELT_SIZE, cache, strerror(errno));
			return NULL;
		}
		out->stride = hp->stride;
		out->nb_chunks = hp->nb_chunks;
		return hp;
	}
	/* rte_mempool_create() picks its ops from the flags; name them instead. */
	mp = rte_mempool_create_empty(name, MP_SIZE, MP_ELT_SIZE, cache, 0, 0, 0);
	if (mp == NULL) {
		snprintf(err, len, "mempool: rte_mempool_create_empty(%s, %u, %u, cache %u): %s",
			 name, MP_SIZE, MP_ELT_SIZE, cache, rte_strerror(rte_errno));
		return NULL;
	}
	ret = rte_mempool_set_ops_byname(mp, MP_DPDK_OPS, NULL);
	if (ret == 0) {
		ret = rte_mempool_populate_default(mp);
		if (ret >= 0 && ret != MP_SIZE)
			ret = -ENOMEM;
		else if (ret > 0)
			ret = 0;
		if (ret < 0)
			snprintf(err, len, "mempool: rte_mempool_populate_default(%s): %s", name,
				 strerror(-ret));
	} else {
		snprintf(err, len, "mempool: rte_mempool_set_ops_byname(%s, %s): %s", name,
			 MP_DPDK_OPS, strerror(-ret));
	}
	if (ret < 0) {
		rte_mempool_free(mp);
		return NULL;
	}
	out->stride = mp->header_size + mp->elt_size + mp->trailer_size;
	out->nb_chunks = mp->nb_mem_chunks;
	return mp;
}

/* Audit (hugemem) and free a pool. @return 0, or -1 with err set. */
static int
mp_destroy(enum bench_lib lib, void *pool, const char *name, char *err, size_t len)
{
	unsigned int in_use = 0;
	int ret;

	if (lib == BENCH_LIB_DPDK) {
		rte_mempool_free(pool);
		return 0;
	}
	ret = hm_mempool_audit(pool, &in_use);
	if (ret != 0 || in_use != 0) {
		snprintf(err, len,
			 "mempool: hm_mempool_audit(%s) after its rows: %d (%s), %u objects in "
			 "use; its log lines above say where",
			 name, ret, ret < 0 ? strerror(-ret) : "ok", in_use);
		hm_mempool_free(pool);
		return -1;
	}
	ret = hm_mempool_free(pool);
	if (ret < 0) {
		snprintf(err, len, "mempool: hm_mempool_free(%s) after its rows: %s", name,
			 strerror(-ret));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- the section */

int
bench_mempool_measure(enum bench_lib lib, bench_launch_fn *launch, struct bench_mempool_result *out,
		      char *err, size_t len)
{
	static const char *const names[2] = {"bench_mp_nocache", "bench_mp_cache"};
	void *pools[2] = {NULL, NULL};
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->size = MP_SIZE;
	out->elt_size = MP_ELT_SIZE;
	for (unsigned int c = 0; c < 2 && ret == 0; c++) {
		pools[c] = mp_create(lib, names[c], c ? MP_CACHE : 0, out, err, len);
		if (pools[c] == NULL)
			ret = -1;
	}
	for (unsigned int i = 0; i < BENCH_MEMPOOL_NB_ROWS && ret == 0; i++) {
		const struct mp_row_desc *d = &mp_rows[i];

		if (!bench_row_runs(d->nb_lcores))
			continue;
		ret = mp_time_row(lib, launch, pools[d->cached], d, bench_iters(d->iters), true,
				  &out->row[i], err, len);
	}
	for (unsigned int c = 0; c < 2; c++) {
		if (pools[c] == NULL)
			continue;
		/* After a failure, keep its message and only free. */
		if (mp_destroy(lib, pools[c], names[c], err, ret == 0 ? len : 0) < 0 && ret == 0)
			ret = -1;
	}
	out->ran = ret == 0;
	return ret;
}

/* ------------------------------------------------------- paired rows */

/*
 * ns per object of one short run of a row on one side: on 1 lcore, the loop
 * on this thread; on 2, a row of iters per thread on both lcores, launched
 * by the side's own EAL (the check run by the warm-up only). Negative, with
 * err set, on a failure.
 */
static double
mp_pair_run(enum bench_lib lib, bench_launch_fn *launch, void *pool, const struct mp_row_desc *d,
	    void **objs, uint64_t iters, bool check, char *err, size_t len)
{
	struct bench_row row;
	uint64_t t0;
	int ret;

	if (d->nb_lcores != 1) {
		if (mp_time_row(lib, launch, pool, d, iters, check, &row, err, len) < 0)
			return -1;
		return (double)row.ns / (double)row.objs;
	}
	t0 = bench_now_ns();
	ret = lib == BENCH_LIB_HM ? mp_loop_hm(pool, objs, d->n, iters)
				  : mp_loop_dpdk(pool, objs, d->n, iters);
	if (ret < 0) {
		snprintf(err, len, "paired mempool: %s: %s",
			 lib == BENCH_LIB_HM ? "hm_mempool" : "rte_mempool",
			 ret == -ENOENT ? "a get failed" : "a put was refused");
		return -1;
	}
	return (double)(bench_now_ns() - t0) / (double)(iters * MP_KEEP);
}

int
bench_mempool_paired(bench_launch_fn *const launch[2], struct bench_pair_row *rows,
		     uint32_t blocks[2][2], char *err, size_t len)
{
	/* Each library names its pools apart from the other's: the same names. */
	static const char *const names[2] = {"bench_mpp_nocache", "bench_mpp_cache"};
	struct bench_mempool_result info;
	void *pools[2][2] = {{NULL, NULL}, {NULL, NULL}}; /* [lib][cached] */
	void *objs[MP_KEEP];
	int ret = 0;

	memset(rows, 0, BENCH_MEMPOOL_NB_ROWS * sizeof(rows[0]));
	memset(&info, 0, sizeof(info));
	for (unsigned int lib = 0; lib < 2 && ret == 0; lib++)
		for (unsigned int c = 0; c < 2 && ret == 0; c++) {
			pools[lib][c] = mp_create((enum bench_lib)lib, names[c], c ? MP_CACHE : 0,
						  &info, err, len);
			if (pools[lib][c] == NULL)
				ret = -1;
			blocks[lib][c] = info.nb_chunks;
		}
	for (unsigned int i = 0; i < BENCH_MEMPOOL_NB_ROWS && ret == 0; i++) {
		const struct mp_row_desc *d = &mp_rows[i];
		const uint64_t iters = d->iters / BENCH_PAIR_DIV;
		void *hp = pools[BENCH_LIB_HM][d->cached], *dp = pools[BENCH_LIB_DPDK][d->cached];
		double ns[2][BENCH_PAIRS]; /* [enum bench_lib][pair] */

		for (unsigned int lib = 0; lib < 2 && ret == 0; lib++)
			if (mp_pair_run((enum bench_lib)lib, launch[lib], pools[lib][d->cached], d,
					objs, iters / MP_WARMUP_DIV, true, err, len) < 0)
				ret = -1;
		for (unsigned int p = 0; p < BENCH_PAIRS && ret == 0; p++)
			for (unsigned int k = 0; k < 2 && ret == 0; k++) {
				unsigned int lib = k ^ (p % 2); /* hugemem first in even pairs */

				ns[lib][p] = mp_pair_run((enum bench_lib)lib, launch[lib],
							 pools[lib][d->cached], d, objs, iters,
							 false, err, len);
				if (ns[lib][p] < 0)
					ret = -1;
			}
		if (ret < 0)
			break;
		if (mp_avail(BENCH_LIB_HM, hp) != MP_SIZE ||
		    mp_avail(BENCH_LIB_DPDK, dp) != MP_SIZE) {
			snprintf(err, len,
				 "paired mempool: %u and %u of %u objects free after a row",
				 mp_avail(BENCH_LIB_HM, hp), mp_avail(BENCH_LIB_DPDK, dp), MP_SIZE);
			ret = -1;
			break;
		}
		bench_pair_row_set(&rows[i], ns[BENCH_LIB_HM], ns[BENCH_LIB_DPDK], BENCH_PAIRS);
	}
	for (unsigned int lib = 0; lib < 2; lib++)
		for (unsigned int c = 0; c < 2; c++)
			if (pools[lib][c] != NULL &&
			    mp_destroy((enum bench_lib)lib, pools[lib][c], names[c], err,
				       ret == 0 ? len : 0) < 0 &&
			    ret == 0)
				ret = -1;
	return ret;
}

void
bench_mempool_paired_print(const struct bench_paired_result *const *res, unsigned int rounds)
{
	const struct bench_pair_row *rows[rounds > 0 ? rounds : 1];
	unsigned int below = 0;
	char label[64];

	printf("\nMempool, paired: every row in one process where both EALs are up (-l 0-1), "
	       "%u pairs of\n  runs of 1/%u of a row's iterations each, as the ring's\n",
	       BENCH_PAIRS, BENCH_PAIR_DIV);
	bench_print_pair_head("cache, bulk n, lcores");
	for (unsigned int i = 0; i < BENCH_MEMPOOL_NB_ROWS; i++) {
		const struct mp_row_desc *d = &mp_rows[i];

		for (unsigned int k = 0; k < rounds; k++)
			rows[k] = res[k] != NULL && res[k]->ran ? &res[k]->mempool[i] : NULL;
		mp_row_label(d, label, sizeof(label));
		below += !bench_print_pair_row(label, rows, rounds, d->cached ? 1.2 : 1.0);
	}
	printf("  goal: a ratio of at least 1.00x without a cache, 1.20x with one; %u row(s) "
	       "below it\n",
	       below);
	/* The memory of these pools is what the other pools of a smaller EAL left. */
	printf("  (blocks of the pools, without and with a cache, by round: hugemem");
	for (unsigned int k = 0; k < rounds; k++)
		if (res[k] != NULL && res[k]->ran)
			printf(" %u/%u", res[k]->mp_blocks[BENCH_LIB_HM][0],
			       res[k]->mp_blocks[BENCH_LIB_HM][1]);
	printf(", DPDK");
	for (unsigned int k = 0; k < rounds; k++)
		if (res[k] != NULL && res[k]->ran)
			printf(" %u/%u", res[k]->mp_blocks[BENCH_LIB_DPDK][0],
			       res[k]->mp_blocks[BENCH_LIB_DPDK][1]);
	printf(")\n");
}

void
bench_mempool_print(const struct bench_mempool_result *const *hm,
		    const struct bench_mempool_result *const *dpdk, unsigned int rounds)
{
	const struct bench_row *hm_rows[rounds > 0 ? rounds : 1];
	const struct bench_row *dpdk_rows[rounds > 0 ? rounds : 1];
	const struct bench_mempool_result *hm_any = NULL, *dpdk_any = NULL;
	struct bench_below below = {0, 0};
	unsigned int noisy = 0;
	char label[64];

	for (unsigned int i = 0; i < rounds; i++) {
		if (hm[i] != NULL && hm[i]->ran)
			hm_any = hm[i];
		if (dpdk[i] != NULL && dpdk[i]->ran)
			dpdk_any = dpdk[i];
	}
	printf("\nMempool: hm_mempool against rte_mempool (ops \"%s\"), pools of %u objects of "
	       "%u B;\n  ns per object (one get and one put of it) and Mobj/s, summed over the "
	       "lcores, medians\n  of the rounds\n",
	       MP_DPDK_OPS, MP_SIZE, MP_ELT_SIZE);
	bench_print_head("cache, bulk n, lcores", "hm_mempool", "rte_mempool");
	for (unsigned int r = 0; r < BENCH_MEMPOOL_NB_ROWS; r++) {
		const struct mp_row_desc *d = &mp_rows[r];
		struct bench_stat hm_stat, dpdk_stat;

		for (unsigned int i = 0; i < rounds; i++) {
			hm_rows[i] = hm[i] != NULL && hm[i]->ran ? &hm[i]->row[r] : NULL;
			dpdk_rows[i] = dpdk[i] != NULL && dpdk[i]->ran ? &dpdk[i]->row[r] : NULL;
		}
		hm_stat = bench_stat_of(hm_rows, rounds);
		dpdk_stat = bench_stat_of(dpdk_rows, rounds);
		if (hm_stat.off_share > 0.05 || dpdk_stat.off_share > 0.05)
			noisy++;
		mp_row_label(d, label, sizeof(label));
		bench_print_row(label, (double)mp_row_objs(d), &hm_stat, &dpdk_stat,
				d->cached ? 1.2 : 1.0, &below);
	}
	printf("  goal: a ratio of at least 1.00x without a cache, 1.20x with one; %u row(s) "
	       "below it\n  (medians), %u (bests)\n",
	       below.median, below.best);
	bench_print_off_cpu(noisy);
	if (hm_any != NULL && dpdk_any != NULL)
		printf("  (object stride, header included: hugemem %u B in %u blocks, DPDK %u B in "
		       "%u chunks)\n",
		       hm_any->stride, hm_any->nb_chunks, dpdk_any->stride, dpdk_any->nb_chunks);
	printf("  (how: in a child per EAL (-l 0-1), two pools per side: hm_mempool_create(name, "
	       "%u, %u,\n"
	       "   cache, 0, NULL, NULL, 0, 0), and rte_mempool_create_empty() +\n"
	       "   rte_mempool_set_ops_byname(\"%s\") + rte_mempool_populate_default(); cache 0 or "
	       "%u.\n"
	       "   Each lcore loops: get %u objects in bulks of n, then put them back in bulks of "
	       "n, as\n"
	       "   DPDK's mempool_perf_autotest with n_keep %u; n a run-time value; "
	       "hm_/rte_mempool_get_bulk()\n"
	       "   and _put_bulk(). objs: gets (and puts) timed in a round, all lcores; iterations "
	       "per lcore\n"
	       "   = objs / %u / lcores. Each thread reads CLOCK_MONOTONIC once before and once "
	       "after its\n"
	       "   timed loop; a row's time runs from the first start to the last end. Before the "
	       "loop: an\n"
	       "   untimed check (%u objects of the pool by their header, distinct, filled whole "
	       "and read\n"
	       "   back), a warm-up of 1/%u of the iterations, a barrier; after it: the pool's "
	       "free count\n"
	       "   back to %u. Ratios: DPDK ns / hugemem ns, of the medians and of each side's "
	       "best round:\n   above 1, hugemem is faster)\n",
	       MP_SIZE, MP_ELT_SIZE, MP_DPDK_OPS, MP_CACHE, MP_KEEP, MP_KEEP, MP_KEEP, MP_KEEP,
	       MP_WARMUP_DIV, MP_SIZE);
}
