/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring section: hm_ring (include/hugemem/ring.h) against DPDK 22.11's
 * rte_ring, each in the child of its own EAL, on rings of pointers of the
 * same size (RING_COUNT slots, RING_COUNT - 1 objects) in hugepage memory.
 *
 * What is timed, row by row, follows DPDK's ring_perf_autotest
 * (app/test/test_ring_perf.c of DPDK 22.11):
 *   1 lcore   enqueue n objects, then dequeue them, on the main lcore, as its
 *             test_single_enqueue_dequeue() and test_burst_bulk_enqueue_dequeue()
 *             do. The objects dequeued go into the array the next enqueue
 *             reads, as in DPDK's test, so no copy is dead code.
 *   2 lcores  one producer lcore that only enqueues and one consumer lcore
 *             that only dequeues, each retrying with a pause while the ring
 *             is full or empty: DPDK's run_on_core_pair() with
 *             enqueue_bulk()/dequeue_bulk(). DPDK does this for bulk calls;
 *             here every call (single, bulk, burst) and both SP/SC and MP/MC
 *             get a row, an MP/MC row being the multi-thread code path used
 *             by one thread on each side, as in DPDK.
 *   2 lcores, both  MP/MC, both lcores enqueue n and dequeue n in a loop on
 *             the same ring: DPDK's run_on_all_cores() (load_loop_fn), the
 *             row where the two lcores contend for the same head. DPDK runs
 *             it for bulk 8 and 32, and so does this.
 * The explicit forms are called (hm_ring_sp_enqueue_bulk(),
 * rte_ring_mc_dequeue_burst(), ...), as DPDK's test does, on rings created
 * with no flags. n is a run-time value, as DPDK's volatile bulk_sizes[].
 *
 * An "object" of the table is one enqueue and one dequeue of it; ns per
 * object is the wall time of the row's timed loop over the objects that
 * went through the ring: on 2 lcores, from the earlier thread's start to
 * the later thread's end. Each timed loop is preceded by a warm-up of 1/16
 * of its iterations and by a barrier; the clock is read only around it.
 *
 * The loop of a row is compiled once per library, call and mode, from the
 * same template with the library's calls inlined: both sides run the same
 * loop code around their own inline fast path, with -O2 and the flags of
 * this executable.
 *
 * Checks, untimed, before each row: RING_CHECK_OBJS objects with sequence
 * numbers go through the same calls on the same threads, and each must come
 * out in order (producer/consumer and 1 lcore) or, with two lcores on both
 * sides, the sum of what came out must be the sum of what went in. After
 * each row: the ring is empty and the objects the row ended with are the
 * ones it started with. A failure fails the run.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <hugemem/hugemem.h>
#include <hugemem/ring.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "bench.h"

#define RING_COUNT	 4096	    /* slots, DPDK's RING_SIZE; capacity one less */
#define RING_MAX_BURST	 32	    /* the largest n */
#define RING_MAX_THREADS 2	    /* "-l 0-1" */
#define RING_WARMUP_DIV	 16	    /* the warm-up runs 1/16 of the iterations */
#define RING_CHECK_OBJS	 (1u << 16) /* objects of each row's check, per thread */
#define RING_NAME	 "bench_ring"

enum ring_call {
	RING_SINGLE, /* hm_ring_sp_enqueue(), rte_ring_sp_enqueue(): n is 1 */
	RING_BULK,   /* all n or none */
	RING_BURST,  /* as many as fit */
};

enum ring_pattern {
	RING_ONE_LCORE,	 /* enqueue n, dequeue n, on the main lcore */
	RING_PROD_CONS,	 /* one lcore enqueues, the other dequeues */
	RING_BOTH_PAIRS, /* both lcores enqueue n and dequeue n: MP/MC only */
};

/* What a thread does in a row's loop. */
enum ring_role {
	ROLE_PAIRS,   /* enqueue n then dequeue n */
	ROLE_PRODUCE, /* enqueue n */
	ROLE_CONSUME, /* dequeue n */
};

struct ring_row_desc {
	enum ring_pattern pattern;
	bool multi; /* MP/MC; else SP/SC */
	enum ring_call call;
	unsigned int n;
	uint32_t iters; /* of the timed loop, per thread */
};

/*
 * The rows: pattern, MP/MC, call, n, iterations per thread. The iterations
 * give each row some tens of milliseconds on a current x86 core, far more
 * than the clock's resolution or the warm-up could matter for.
 */
static const struct ring_row_desc ring_rows[] = {
    {RING_ONE_LCORE, false, RING_SINGLE, 1, 1u << 22},
    {RING_ONE_LCORE, false, RING_BULK, 8, 1u << 21},
    {RING_ONE_LCORE, false, RING_BULK, 32, 1u << 20},
    {RING_ONE_LCORE, false, RING_BURST, 8, 1u << 21},
    {RING_ONE_LCORE, false, RING_BURST, 32, 1u << 20},
    {RING_ONE_LCORE, true, RING_SINGLE, 1, 1u << 22},
    {RING_ONE_LCORE, true, RING_BULK, 8, 1u << 21},
    {RING_ONE_LCORE, true, RING_BULK, 32, 1u << 20},
    {RING_ONE_LCORE, true, RING_BURST, 8, 1u << 21},
    {RING_ONE_LCORE, true, RING_BURST, 32, 1u << 20},
    {RING_PROD_CONS, false, RING_SINGLE, 1, 1u << 20},
    {RING_PROD_CONS, false, RING_BULK, 8, 1u << 19},
    {RING_PROD_CONS, false, RING_BULK, 32, 1u << 18},
    {RING_PROD_CONS, false, RING_BURST, 8, 1u << 19},
    {RING_PROD_CONS, false, RING_BURST, 32, 1u << 18},
    {RING_PROD_CONS, true, RING_SINGLE, 1, 1u << 20},
    {RING_PROD_CONS, true, RING_BULK, 8, 1u << 19},
    {RING_PROD_CONS, true, RING_BULK, 32, 1u << 18},
    {RING_PROD_CONS, true, RING_BURST, 8, 1u << 19},
    {RING_PROD_CONS, true, RING_BURST, 32, 1u << 18},
    {RING_BOTH_PAIRS, true, RING_BULK, 8, 1u << 19},
    {RING_BOTH_PAIRS, true, RING_BULK, 32, 1u << 18},
};

_Static_assert(sizeof(ring_rows) / sizeof(ring_rows[0]) == BENCH_RING_NB_ROWS,
	       "bench.h's BENCH_RING_NB_ROWS is the number of ring rows");

/* One thread of a row, on a cache line of its own. */
struct ring_thread {
	void *objs[RING_MAX_BURST]; /* enqueued from and dequeued into */
	struct bench_clocks clocks; /* around the timed loop */
	uint64_t sum_in;	    /* the check, both-pairs rows: values enqueued */
	uint64_t sum_out;	    /* and dequeued */
	uint32_t fill;		    /* P/C producer: objects in the ring as its loop ended */
	char error[192];
} __attribute__((aligned(64)));

struct ring_run {
	enum bench_lib lib;
	void *ring; /* struct hm_ring or struct rte_ring */
	const struct ring_row_desc *row;
	const char *label;
	unsigned int nb_threads;
	uint64_t iters;	     /* of the timed loop, per thread */
	bool check;	     /* run the untimed check first */
	atomic_uint arrived; /* threads at the barriers so far */
	atomic_bool abort;   /* a thread failed its check: the others stop */
	struct ring_thread thread[RING_MAX_THREADS];
};

/* ------------------------------------------------------- the calls */

/*
 * One call of each library. lib, call and multi are constants at every call
 * site, so that each inlined copy keeps one library's one call. @return the
 * objects moved.
 */
static inline __attribute__((always_inline)) unsigned int
ring_enqueue(enum bench_lib lib, enum ring_call call, bool multi, void *r, void *const *objs,
	     unsigned int n)
{
	if (lib == BENCH_LIB_HM) {
		struct hm_ring *h = r;

		switch (call) {
		case RING_SINGLE:
			return (multi ? hm_ring_mp_enqueue(h, objs[0])
				      : hm_ring_sp_enqueue(h, objs[0])) == 0;
		case RING_BULK:
			return multi ? hm_ring_mp_enqueue_bulk(h, objs, n, NULL)
				     : hm_ring_sp_enqueue_bulk(h, objs, n, NULL);
		case RING_BURST:
			return multi ? hm_ring_mp_enqueue_burst(h, objs, n, NULL)
				     : hm_ring_sp_enqueue_burst(h, objs, n, NULL);
		}
	} else {
		struct rte_ring *d = r;

		switch (call) {
		case RING_SINGLE:
			return (multi ? rte_ring_mp_enqueue(d, objs[0])
				      : rte_ring_sp_enqueue(d, objs[0])) == 0;
		case RING_BULK:
			return multi ? rte_ring_mp_enqueue_bulk(d, objs, n, NULL)
				     : rte_ring_sp_enqueue_bulk(d, objs, n, NULL);
		case RING_BURST:
			return multi ? rte_ring_mp_enqueue_burst(d, objs, n, NULL)
				     : rte_ring_sp_enqueue_burst(d, objs, n, NULL);
		}
	}
	return 0;
}

static inline __attribute__((always_inline)) unsigned int
ring_dequeue(enum bench_lib lib, enum ring_call call, bool multi, void *r, void **objs,
	     unsigned int n)
{
	if (lib == BENCH_LIB_HM) {
		struct hm_ring *h = r;

		switch (call) {
		case RING_SINGLE:
			return (multi ? hm_ring_mc_dequeue(h, objs)
				      : hm_ring_sc_dequeue(h, objs)) == 0;
		case RING_BULK:
			return multi ? hm_ring_mc_dequeue_bulk(h, objs, n, NULL)
				     : hm_ring_sc_dequeue_bulk(h, objs, n, NULL);
		case RING_BURST:
			return multi ? hm_ring_mc_dequeue_burst(h, objs, n, NULL)
				     : hm_ring_sc_dequeue_burst(h, objs, n, NULL);
		}
	} else {
		struct rte_ring *d = r;

		switch (call) {
		case RING_SINGLE:
			return (multi ? rte_ring_mc_dequeue(d, objs)
				      : rte_ring_sc_dequeue(d, objs)) == 0;
		case RING_BULK:
			return multi ? rte_ring_mc_dequeue_bulk(d, objs, n, NULL)
				     : rte_ring_sc_dequeue_bulk(d, objs, n, NULL);
		case RING_BURST:
			return multi ? rte_ring_mc_dequeue_burst(d, objs, n, NULL)
				     : rte_ring_sc_dequeue_burst(d, objs, n, NULL);
		}
	}
	return 0;
}

/*
 * Enqueue all n, pausing while the ring is full: the producer's loop of
 * DPDK's enqueue_bulk(). On one lcore the ring is never full and the retry
 * is a branch never taken, the same on both sides.
 */
static inline __attribute__((always_inline)) void
ring_put_all(enum bench_lib lib, enum ring_call call, bool multi, void *r, void *const *objs,
	     unsigned int n)
{
	unsigned int done = 0;

	do {
		unsigned int k = ring_enqueue(lib, call, multi, r, objs + done, n - done);

		if (__builtin_expect(k == 0, 0))
			bench_pause();
		done += k;
	} while (done < n);
}

static inline __attribute__((always_inline)) void
ring_get_all(enum bench_lib lib, enum ring_call call, bool multi, void *r, void **objs,
	     unsigned int n)
{
	unsigned int done = 0;

	do {
		unsigned int k = ring_dequeue(lib, call, multi, r, objs + done, n - done);

		if (__builtin_expect(k == 0, 0))
			bench_pause();
		done += k;
	} while (done < n);
}

/* ------------------------------------------------- the timed loops */

/* The timed loop, every argument but r, objs, n and iters a constant. */
static inline __attribute__((always_inline)) void
ring_loop_of(enum bench_lib lib, enum ring_role role, enum ring_call call, bool multi, void *r,
	     void **objs, unsigned int n, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		if (role != ROLE_CONSUME)
			ring_put_all(lib, call, multi, r, objs, n);
		if (role != ROLE_PRODUCE)
			ring_get_all(lib, call, multi, r, objs, n);
	}
}

/*
 * Turn the run-time role, call and mode into constants, one level each, so
 * that the compiler makes one loop per combination and the choice is made
 * once per row, not once per call.
 */
static inline __attribute__((always_inline)) void
ring_loop_multi(enum bench_lib lib, enum ring_role role, enum ring_call call, bool multi, void *r,
		void **objs, unsigned int n, uint64_t iters)
{
	if (multi)
		ring_loop_of(lib, role, call, true, r, objs, n, iters);
	else
		ring_loop_of(lib, role, call, false, r, objs, n, iters);
}

static inline __attribute__((always_inline)) void
ring_loop_call(enum bench_lib lib, enum ring_role role, enum ring_call call, bool multi, void *r,
	       void **objs, unsigned int n, uint64_t iters)
{
	switch (call) {
	case RING_SINGLE:
		ring_loop_multi(lib, role, RING_SINGLE, multi, r, objs, 1, iters);
		break;
	case RING_BULK:
		ring_loop_multi(lib, role, RING_BULK, multi, r, objs, n, iters);
		break;
	case RING_BURST:
		ring_loop_multi(lib, role, RING_BURST, multi, r, objs, n, iters);
		break;
	}
}

static inline __attribute__((always_inline)) void
ring_loop_role(enum bench_lib lib, enum ring_role role, enum ring_call call, bool multi, void *r,
	       void **objs, unsigned int n, uint64_t iters)
{
	switch (role) {
	case ROLE_PAIRS:
		ring_loop_call(lib, ROLE_PAIRS, call, multi, r, objs, n, iters);
		break;
	case ROLE_PRODUCE:
		ring_loop_call(lib, ROLE_PRODUCE, call, multi, r, objs, n, iters);
		break;
	case ROLE_CONSUME:
		ring_loop_call(lib, ROLE_CONSUME, call, multi, r, objs, n, iters);
		break;
	}
}

/*
 * One function per library: objdump -d shows each side's loops apart. Each
 * starts on a 64-byte line, so that a change to one side's code does not
 * move the other's loops across lines.
 */
static __attribute__((noinline, aligned(64))) void
ring_loop_hm(enum ring_role role, enum ring_call call, bool multi, void *r, void **objs,
	     unsigned int n, uint64_t iters)
{
	ring_loop_role(BENCH_LIB_HM, role, call, multi, r, objs, n, iters);
}

static __attribute__((noinline, aligned(64))) void
ring_loop_dpdk(enum ring_role role, enum ring_call call, bool multi, void *r, void **objs,
	       unsigned int n, uint64_t iters)
{
	ring_loop_role(BENCH_LIB_DPDK, role, call, multi, r, objs, n, iters);
}

static void
ring_loop(const struct ring_run *run, enum ring_role role, void **objs, uint64_t iters)
{
	const struct ring_row_desc *d = run->row;

	if (run->lib == BENCH_LIB_HM)
		ring_loop_hm(role, d->call, d->multi, run->ring, objs, d->n, iters);
	else
		ring_loop_dpdk(role, d->call, d->multi, run->ring, objs, d->n, iters);
}

/* ---------------------------------------------------------- a row */

static unsigned int
ring_count(enum bench_lib lib, const void *r)
{
	return lib == BENCH_LIB_HM ? hm_ring_count(r) : rte_ring_count(r);
}

/* What thread slot does in its row. */
static enum ring_role
ring_role_of(const struct ring_row_desc *d, unsigned int slot)
{
	if (d->pattern != RING_PROD_CONS)
		return ROLE_PAIRS;
	return slot == 0 ? ROLE_PRODUCE : ROLE_CONSUME;
}

/* The values a thread's timed loop starts with (and, for pairs, ends with). */
static void *
ring_obj_value(unsigned int slot, unsigned int i)
{
	return (void *)(uintptr_t)((uint64_t)(slot + 1) << 32 | (i + 1));
}

/* Wait until every thread has passed `phase` barriers; false if one aborted. */
static bool
ring_barrier(struct ring_run *run, unsigned int phase)
{
	atomic_fetch_add(&run->arrived, 1);
	while (atomic_load(&run->arrived) < phase * run->nb_threads)
		if (atomic_load(&run->abort))
			return false;
	return !atomic_load(&run->abort);
}

static void ring_fail(struct ring_run *run, struct ring_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ring_fail(struct ring_run *run, struct ring_thread *t, const char *fmt, ...)
{
	va_list ap;

	if (t->error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->error, sizeof(t->error), fmt, ap);
		va_end(ap);
	}
	atomic_store(&run->abort, true);
}

/*
 * The untimed check of a row: RING_CHECK_OBJS numbered objects per thread
 * through the row's own calls. The waits give up when the other thread
 * aborted, so a failed check ends the row instead of hanging it.
 */
static void
ring_check(struct ring_run *run, unsigned int slot)
{
	const struct ring_row_desc *d = run->row;
	struct ring_thread *t = &run->thread[slot];
	enum ring_role role = ring_role_of(d, slot);
	const unsigned int n = d->call == RING_SINGLE ? 1 : d->n;
	uint64_t next_in = 1, next_out = 1;
	void *objs[RING_MAX_BURST];

	for (uint32_t left = RING_CHECK_OBJS; left >= n; left -= n) {
		unsigned int done, k;

		if (role != ROLE_CONSUME) {
			for (unsigned int i = 0; i < n; i++) {
				uint64_t v = (uint64_t)(slot + 1) << 32 | next_in++;

				objs[i] = (void *)(uintptr_t)v;
				t->sum_in += v;
			}
			for (done = 0; done < n; done += k) {
				k = ring_enqueue(run->lib, d->call, d->multi, run->ring,
						 objs + done, n - done);
				if (k == 0 && atomic_load(&run->abort))
					return;
			}
		}
		if (role == ROLE_PRODUCE)
			continue;
		memset(objs, 0, sizeof(objs));
		for (done = 0; done < n; done += k) {
			k = ring_dequeue(run->lib, d->call, d->multi, run->ring, objs + done,
					 n - done);
			if (k == 0 && atomic_load(&run->abort))
				return;
		}
		for (unsigned int i = 0; i < n; i++) {
			uint64_t v = (uint64_t)(uintptr_t)objs[i];
			/* The one producer of a P/C row is slot 0; on one lcore, this one. */
			uint64_t want =
			    (uint64_t)(role == ROLE_CONSUME ? 1 : slot + 1) << 32 | next_out;

			t->sum_out += v;
			if (d->pattern == RING_BOTH_PAIRS) {
				/* Either thread's objects, in no order known here. */
				if (v >> 32 == 0 || v >> 32 > run->nb_threads)
					ring_fail(run, t,
						  "%s: check: dequeued %#" PRIx64
						  ", which no thread enqueued",
						  run->label, v);
				continue;
			}
			if (v != want) {
				ring_fail(run, t,
					  "%s: check: object %" PRIu64
					  " out of the ring is %#" PRIx64 ", expected %#" PRIx64
					  " (FIFO order)",
					  run->label, next_out, v, want);
				return;
			}
			next_out++;
		}
	}
}

static void
ring_row_label(const struct ring_row_desc *d, char *buf, size_t len)
{
	static const char *const calls[] = {"single", "bulk", "burst"};
	static const char *const patterns[] = {"1 lcore", "2 lcores P/C", "2 lcores both"};

	if (d->call == RING_SINGLE)
		snprintf(buf, len, "%s %s, %s", d->multi ? "MP/MC" : "SP/SC", calls[d->call],
			 patterns[d->pattern]);
	else
		snprintf(buf, len, "%s %s %u, %s", d->multi ? "MP/MC" : "SP/SC", calls[d->call],
			 d->n, patterns[d->pattern]);
}

/* Objects through the ring in a timed loop of iters per thread, all threads. */
static uint64_t
ring_objs(const struct ring_row_desc *d, uint64_t iters)
{
	uint64_t per_thread = iters * d->n;

	return d->pattern == RING_BOTH_PAIRS ? RING_MAX_THREADS * per_thread : per_thread;
}

/* Objects through the ring in a row's timed loop, all threads. */
static uint64_t
ring_row_objs(const struct ring_row_desc *d)
{
	return ring_objs(d, bench_iters(d->iters));
}

/*
 * Each thread of a row: the check, the warm-up, a barrier, the timed loop.
 * The threads of a P/C row warm up together, since one's loop needs the
 * other's.
 */
static int
ring_thread_main(void *arg)
{
	struct ring_run *run = arg;
	/* The lcore's own slot, not the order of arrival: lcore 0 (the main
	 * one) is the producer of a P/C row on both sides. */
	unsigned int slot = run->lib == BENCH_LIB_HM ? hm_lcore_id() : rte_lcore_id();
	const struct ring_row_desc *d = run->row;
	struct ring_thread *t;
	enum ring_role role;
	char label[64];

	if (slot >= run->nb_threads)
		return -EINVAL; /* cannot happen: the launchers start nb_threads threads */
	t = &run->thread[slot];
	role = ring_role_of(d, slot);
	if (run->check)
		ring_check(run, slot);
	if (!ring_barrier(run, 1))
		return -1;
	for (unsigned int i = 0; i < RING_MAX_BURST; i++)
		t->objs[i] = ring_obj_value(slot, i);
	ring_loop(run, role, t->objs, run->iters / RING_WARMUP_DIV);
	if (!ring_barrier(run, 2))
		return -1;
	bench_clocks_start(&t->clocks);
	bench_icount_begin();
	ring_loop(run, role, t->objs, run->iters);
	if (bench_icount) {
		ring_row_label(d, label, sizeof(label));
		bench_icount_end("ring", run->lib, label, ring_objs(d, run->iters));
	}
	/* The fill right away, for the consumer is draining the rest, but after
	 * the clock: the count reads the consumer's line, perhaps a CPU away. */
	t->clocks.end_ns = bench_now_ns();
	if (role == ROLE_PRODUCE)
		t->fill = ring_count(run->lib, run->ring);
	t->clocks.cpu_end_ns = bench_cpu_ns();
	return 0;
}

/*
 * After the threads: their errors, then the ring empty and the objects the
 * row ended with those it started with (for both-pairs rows, as a whole: a
 * thread may end with the other's). @return 0 or -1 with err set.
 */
static int
ring_row_verify(const struct ring_run *run, char *err, size_t len)
{
	const struct ring_row_desc *d = run->row;
	uint64_t sum_in = 0, sum_out = 0, start_vals = 0, end_vals = 0;
	unsigned int left;

	for (unsigned int s = 0; s < run->nb_threads; s++) {
		const struct ring_thread *t = &run->thread[s];

		if (t->error[0] != '\0') {
			snprintf(err, len, "%s", t->error);
			return -1;
		}
		if (t->clocks.end_ns == 0) {
			snprintf(err, len, "%s: thread %u of %u did not run", run->label, s,
				 run->nb_threads);
			return -1;
		}
		sum_in += t->sum_in;
		sum_out += t->sum_out;
		for (unsigned int i = 0; i < d->n; i++) {
			start_vals += (uint64_t)(uintptr_t)ring_obj_value(
			    d->pattern == RING_PROD_CONS ? 0 : s, i);
			end_vals += (uint64_t)(uintptr_t)t->objs[i];
		}
	}
	left = ring_count(run->lib, run->ring);
	if (left != 0) {
		snprintf(err, len, "%s: %u objects left in the ring after the row", run->label,
			 left);
		return -1;
	}
	if (sum_in != sum_out) {
		snprintf(err, len,
			 "%s: check: the objects dequeued add up to %#" PRIx64
			 ", those enqueued to %#" PRIx64,
			 run->label, sum_out, sum_in);
		return -1;
	}
	/* A P/C row's consumer ends with the producer's n objects, in order. */
	for (unsigned int s = 0; s < run->nb_threads && d->pattern != RING_BOTH_PAIRS; s++)
		for (unsigned int i = 0; i < d->n; i++)
			if (run->thread[s].objs[i] !=
			    ring_obj_value(d->pattern == RING_PROD_CONS ? 0 : s, i)) {
				snprintf(err, len,
					 "%s: thread %u ended with object %p at %u, not %p: the "
					 "ring lost, doubled or reordered objects",
					 run->label, s, run->thread[s].objs[i], i,
					 ring_obj_value(d->pattern == RING_PROD_CONS ? 0 : s, i));
				return -1;
			}
	if (d->pattern == RING_BOTH_PAIRS) {
		/* What both threads started with, they end with between them. */
		if (start_vals != end_vals) {
			snprintf(err, len,
				 "%s: the threads ended with objects adding up to %#" PRIx64
				 ", not %#" PRIx64 ": the ring lost or doubled objects",
				 run->label, end_vals, start_vals);
			return -1;
		}
	}
	return 0;
}

/*
 * A row on one side: iters per thread, the untimed check first if asked.
 * @return 0 with out and, unless fill is NULL, *fill (objects in the ring
 * when a P/C row's producer ended; 0 for other rows) set, or -1 with err
 * set.
 */
static int
ring_time_row(enum bench_lib lib, bench_launch_fn *launch, void *ring,
	      const struct ring_row_desc *d, uint64_t iters, bool check, struct bench_row *out,
	      uint32_t *fill, char *err, size_t len)
{
	struct bench_clocks clocks[RING_MAX_THREADS];
	struct ring_run run;
	char label[96], row[64];
	int ret;

	ring_row_label(d, row, sizeof(row));
	snprintf(label, sizeof(label), "ring: %s %s", lib == BENCH_LIB_HM ? "hm_ring" : "rte_ring",
		 row);
	memset(&run, 0, sizeof(run));
	run.lib = lib;
	run.ring = ring;
	run.row = d;
	run.label = label;
	run.nb_threads = d->pattern == RING_ONE_LCORE ? 1 : RING_MAX_THREADS;
	run.iters = iters;
	run.check = check;
	ret = launch(ring_thread_main, &run, run.nb_threads);
	if (ret < 0) {
		snprintf(err, len, "%s: cannot run on %u lcores: %s", label, run.nb_threads,
			 strerror(-ret));
		return -1;
	}
	if (ring_row_verify(&run, err, len) < 0)
		return -1;
	for (unsigned int s = 0; s < run.nb_threads; s++)
		clocks[s] = run.thread[s].clocks;
	bench_row_set(out, ring_objs(d, iters), clocks, run.nb_threads);
	if (fill != NULL)
		*fill = run.thread[0].fill;
	return 0;
}

/* ---------------------------------------------------------- the section */

int
bench_ring_measure(enum bench_lib lib, bench_launch_fn *launch, struct bench_ring_result *out,
		   char *err, size_t len)
{
	const char *name = lib == BENCH_LIB_HM ? "hm_ring_create" : "rte_ring_create";
	/*
	 * The same ring on both sides: hm_ring_create() takes the objects the
	 * ring must hold (its slots are the next power of two above), while
	 * rte_ring_create() takes the slots, a power of two, and holds one less.
	 */
	const unsigned int count = lib == BENCH_LIB_HM ? RING_COUNT - 1 : RING_COUNT;
	void *ring;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	/* No flags: MP/MC by default; every row calls an explicit sp/mp/sc/mc form. */
	if (lib == BENCH_LIB_HM) {
		struct hm_ring *h = hm_ring_create(RING_NAME, count, 0, 0);

		ring = h;
		if (h != NULL) {
			out->size = hm_ring_get_size(h);
			out->capacity = hm_ring_get_capacity(h);
		}
	} else {
		struct rte_ring *d = rte_ring_create(RING_NAME, count, 0, 0);

		ring = d;
		if (d == NULL)
			errno = rte_errno;
		else {
			out->size = rte_ring_get_size(d);
			out->capacity = rte_ring_get_capacity(d);
		}
	}
	if (ring == NULL) {
		snprintf(err, len, "ring: %s(%s, %u): %s", name, RING_NAME, count, strerror(errno));
		return -1;
	}
	if (out->size != RING_COUNT || out->capacity != RING_COUNT - 1) {
		snprintf(err, len,
			 "ring: %s(%s, %u) made a ring of %u slots holding %u, expected %u and %u",
			 name, RING_NAME, count, out->size, out->capacity, RING_COUNT,
			 RING_COUNT - 1);
		ret = -1;
	}
	for (unsigned int i = 0; i < BENCH_RING_NB_ROWS && ret == 0; i++)
		if (bench_row_runs(ring_rows[i].pattern == RING_ONE_LCORE ? 1 : RING_MAX_THREADS))
			ret = ring_time_row(lib, launch, ring, &ring_rows[i],
					    bench_iters(ring_rows[i].iters), true, &out->row[i],
					    NULL, err, len);
	if (lib == BENCH_LIB_HM)
		hm_ring_free(ring);
	else
		rte_ring_free(ring);
	out->ran = ret == 0;
	return ret;
}

/* ------------------------------------------------------- paired rows */

/*
 * ns per object of one short run of a row on one side: on 1 lcore, the loop
 * on this thread; on 2, a row of iters per thread on both lcores, launched
 * by the side's own EAL (the check run by the warm-up only), with *fill as
 * ring_time_row() sets it. Negative, with err set, on a failure.
 */
static double
ring_pair_run(enum bench_lib lib, bench_launch_fn *launch, void *ring,
	      const struct ring_row_desc *d, void **objs, uint64_t iters, bool check,
	      uint32_t *fill, char *err, size_t len)
{
	struct bench_row row;
	uint64_t t0;

	*fill = 0;
	if (d->pattern != RING_ONE_LCORE) {
		if (ring_time_row(lib, launch, ring, d, iters, check, &row, fill, err, len) < 0)
			return -1;
		return (double)row.ns / (double)row.objs;
	}
	t0 = bench_now_ns();
	if (lib == BENCH_LIB_HM)
		ring_loop_hm(ROLE_PAIRS, d->call, d->multi, ring, objs, d->n, iters);
	else
		ring_loop_dpdk(ROLE_PAIRS, d->call, d->multi, ring, objs, d->n, iters);
	return (double)(bench_now_ns() - t0) / (double)(iters * d->n);
}

int
bench_ring_paired(bench_launch_fn *const launch[2], struct bench_pair_row *rows,
		  uint32_t fills[][2], char *err, size_t len)
{
	struct hm_ring *h = hm_ring_create(RING_NAME "_p", RING_COUNT - 1, 0, 0);
	struct rte_ring *r = rte_ring_create(RING_NAME "_p", RING_COUNT, 0, 0);
	void *ring[2] = {h, r}; /* [enum bench_lib] */
	void *objs[RING_MAX_BURST];
	uint32_t left;
	int ret = 0;

	memset(rows, 0, BENCH_RING_NB_ROWS * sizeof(rows[0]));
	memset(fills, 0, BENCH_RING_NB_ROWS * sizeof(fills[0]));
	if (h == NULL || r == NULL) {
		snprintf(err, len, "paired ring: %s failed: %s",
			 h == NULL ? "hm_ring_create" : "rte_ring_create",
			 strerror(h == NULL ? errno : rte_errno));
		ret = -1;
	}
	for (unsigned int i = 0; i < RING_MAX_BURST; i++)
		objs[i] = ring_obj_value(0, i);
	for (unsigned int i = 0; i < BENCH_RING_NB_ROWS && ret == 0; i++) {
		const struct ring_row_desc *d = &ring_rows[i];
		const uint64_t iters = d->iters / BENCH_PAIR_DIV;
		double ns[2][BENCH_PAIRS];   /* [enum bench_lib][pair] */
		double fill[2][BENCH_PAIRS]; /* objects left as the producer ended */

		for (unsigned int lib = 0; lib < 2 && ret == 0; lib++)
			if (ring_pair_run((enum bench_lib)lib, launch[lib], ring[lib], d, objs,
					  iters / RING_WARMUP_DIV, true, &left, err, len) < 0)
				ret = -1;
		for (unsigned int p = 0; p < BENCH_PAIRS && ret == 0; p++)
			for (unsigned int k = 0; k < 2 && ret == 0; k++) {
				unsigned int lib = k ^ (p % 2); /* hugemem first in even pairs */

				ns[lib][p] =
				    ring_pair_run((enum bench_lib)lib, launch[lib], ring[lib], d,
						  objs, iters, false, &left, err, len);
				fill[lib][p] = left;
				if (ns[lib][p] < 0)
					ret = -1;
			}
		if (ret < 0)
			break;
		if (hm_ring_count(h) != 0 || rte_ring_count(r) != 0) {
			snprintf(err, len, "paired ring: %u and %u objects left in the rings",
				 hm_ring_count(h), rte_ring_count(r));
			ret = -1;
			break;
		}
		bench_pair_row_set(&rows[i], ns[BENCH_LIB_HM], ns[BENCH_LIB_DPDK], BENCH_PAIRS);
		for (unsigned int lib = 0; lib < 2; lib++) {
			bench_sort(fill[lib], BENCH_PAIRS);
			fills[i][lib] = (uint32_t)bench_median(fill[lib], BENCH_PAIRS);
		}
	}
	hm_ring_free(h);
	rte_ring_free(r);
	return ret;
}

void
bench_ring_paired_print(const struct bench_paired_result *const *res, unsigned int rounds)
{
	const struct bench_pair_row *rows[rounds > 0 ? rounds : 1];
	unsigned int below = 0;
	char label[64];

	printf("\nRing, paired: every row in one process where both EALs are up (-l 0-1), %u "
	       "pairs of runs\n  of 1/%u of a row's iterations each, hugemem's and DPDK's back "
	       "to back (which goes first\n  alternating; on 2 lcores each run launched on both "
	       "by its own EAL); ns per object\n  and the pairs' ratio, medians; then over the "
	       "rounds\n",
	       BENCH_PAIRS, BENCH_PAIR_DIV);
	bench_print_pair_head("mode, call, n, lcores");
	for (unsigned int i = 0; i < BENCH_RING_NB_ROWS; i++) {
		for (unsigned int k = 0; k < rounds; k++)
			rows[k] = res[k] != NULL && res[k]->ran ? &res[k]->ring[i] : NULL;
		ring_row_label(&ring_rows[i], label, sizeof(label));
		below += !bench_print_pair_row(label, rows, rounds, 1.0);
	}
	printf("  goal: a ratio of at least 1.00x on every row; %u row(s) below it\n", below);
	/*
	 * Where a P/C row ran: a consumer that keeps up finds the ring nearly
	 * empty and reads every slot just after the producer wrote it; one that
	 * falls behind finds it nearly full, and the producer waits for room.
	 * Either state, once reached, tends to last the run, and the two do not
	 * cost the same; a side's figure is that of the state it ran in.
	 */
	printf("  P/C rows, objects in the ring (of %u) as the producer's loop ended, median of "
	       "the pairs,\n  hugemem/DPDK by round:\n",
	       RING_COUNT - 1);
	for (unsigned int i = 0; i < BENCH_RING_NB_ROWS; i++) {
		if (ring_rows[i].pattern != RING_PROD_CONS)
			continue;
		ring_row_label(&ring_rows[i], label, sizeof(label));
		printf("    %-30s", label);
		for (unsigned int k = 0; k < rounds; k++)
			if (res[k] != NULL && res[k]->ran)
				printf(" %u/%u", res[k]->ring_fill[i][BENCH_LIB_HM],
				       res[k]->ring_fill[i][BENCH_LIB_DPDK]);
			else
				printf(" -");
		printf("\n");
	}
}

void
bench_ring_print(const struct bench_ring_result *const *hm,
		 const struct bench_ring_result *const *dpdk, unsigned int rounds)
{
	const struct bench_row *hm_rows[rounds > 0 ? rounds : 1];
	const struct bench_row *dpdk_rows[rounds > 0 ? rounds : 1];
	unsigned int size = 0, capacity = 0;
	struct bench_below below = {0, 0};
	unsigned int noisy = 0;
	char label[64];

	for (unsigned int i = 0; i < rounds; i++)
		if (hm[i] != NULL && hm[i]->ran) {
			size = hm[i]->size;
			capacity = hm[i]->capacity;
		}
	printf("\nRing: hm_ring against rte_ring, rings of pointers of %u slots (%u objects) "
	       "each;\n  ns per object (one enqueue and one dequeue of it) and Mobj/s, medians of "
	       "the rounds\n",
	       size != 0 ? size : RING_COUNT, capacity != 0 ? capacity : RING_COUNT - 1);
	bench_print_head("mode, call, n, lcores", "hm_ring", "rte_ring");
	for (unsigned int r = 0; r < BENCH_RING_NB_ROWS; r++) {
		const struct ring_row_desc *d = &ring_rows[r];
		struct bench_stat hm_stat, dpdk_stat;

		for (unsigned int i = 0; i < rounds; i++) {
			hm_rows[i] = hm[i] != NULL && hm[i]->ran ? &hm[i]->row[r] : NULL;
			dpdk_rows[i] = dpdk[i] != NULL && dpdk[i]->ran ? &dpdk[i]->row[r] : NULL;
		}
		hm_stat = bench_stat_of(hm_rows, rounds);
		dpdk_stat = bench_stat_of(dpdk_rows, rounds);
		if (hm_stat.off_share > 0.05 || dpdk_stat.off_share > 0.05)
			noisy++;
		ring_row_label(d, label, sizeof(label));
		bench_print_row(label, (double)ring_row_objs(d), &hm_stat, &dpdk_stat, 1.0, &below);
	}
	printf("  goal: a ratio of at least 1.00x on every row; %u row(s) below it (medians), %u "
	       "(bests)\n",
	       below.median, below.best);
	bench_print_off_cpu(noisy);
	printf("  (how: in a child per EAL (-l 0-1), one ring made with no flags by "
	       "hm_ring_create(%u) or\n"
	       "   rte_ring_create(%u) on socket 0; the sp/mp/sc/mc forms called by name; n a "
	       "run-time value.\n"
	       "   1 lcore: enqueue n then dequeue n on lcore 0, as DPDK's ring_perf_autotest.\n"
	       "   2 lcores P/C: one lcore only enqueues, the other only dequeues, each "
	       "retrying with a pause\n"
	       "   while the ring is full or empty, as its run_on_core_pair(). 2 lcores both: "
	       "each lcore\n"
	       "   enqueues n then dequeues n, MP/MC, as its run_on_all_cores(). objs: objects "
	       "timed in a\n"
	       "   round, all threads; iterations per thread = objs / n (/ 2 for both). Each "
	       "thread reads\n"
	       "   CLOCK_MONOTONIC once before and once after its timed loop; a row's time runs "
	       "from the\n"
	       "   first start to the last end. Before the loop: an untimed check of %u "
	       "numbered objects\n"
	       "   per thread through the same calls (FIFO order, nothing lost), a warm-up of "
	       "1/%u of the\n"
	       "   iterations, a barrier; after it: the ring empty and the objects back. Ratios: "
	       "DPDK ns /\n"
	       "   hugemem ns, of the medians and of each side's best round: above 1, hugemem is "
	       "faster)\n",
	       RING_COUNT - 1, RING_COUNT, RING_CHECK_OBJS, RING_WARMUP_DIV);
}
