/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_BENCH_H
#define HUGEMEM_BENCH_H

/*
 * hugemem-bench's private interface between main.c (children, rounds,
 * options) and the sections that live in files of their own: the ring
 * section (bench_ring.c), the mempool section (bench_mempool.c) and the
 * service section (bench_service.c).
 *
 * A section's child calls bench_*_measure() once its EAL is up, with the
 * EAL's lcore launcher; the result is plain data that travels to the parent
 * in struct child_result. The parent hands every round's result of both
 * EALs to bench_*_print(), which prints the table from the medians.
 *
 * The service section's child also starts client processes: this
 * executable again, with BENCH_SERVICE_CLIENT_OPT as its first argument,
 * which main() hands to bench_service_client_main() before anything else.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* The ring section's rows: the table in bench_ring.c has this many. */
#define BENCH_RING_NB_ROWS 22
/* The mempool section's rows: the table in bench_mempool.c has this many. */
#define BENCH_MEMPOOL_NB_ROWS 12

/* The service section's rows, on each side. */
enum bench_service_rows {
	BENCH_SERVICE_IN_PROCESS, /* hugemem only: the loop in the primary itself */
	BENCH_SERVICE_ONE_CLIENT, /* 1 secondary */
	BENCH_SERVICE_CLIENTS,	  /* 3 secondaries at once */
	BENCH_SERVICE_NB_ROWS,
};

/* The hidden first argument of a service client (see bench_service.c). */
#define BENCH_SERVICE_CLIENT_OPT "--service-client"

/* The two libraries compared; the sections write one loop for both. */
enum bench_lib {
	BENCH_LIB_HM,
	BENCH_LIB_DPDK,
};

/*
 * fn(arg) on n lcores at once: 1 (the calling thread, the main lcore) or
 * every lcore of the EAL (main included). main.c's hm_run_on_lcores() and
 * dpdk_run_on_lcores(). @return 0, or a negative errno and nothing ran.
 */
typedef int(bench_launch_fn)(int (*fn)(void *arg), void *arg, unsigned int n);

/* One timed row on one side: objects through it and the wall time it took. */
struct bench_row {
	uint64_t objs;	    /* 0: the row did not run */
	uint64_t ns;	    /* from the first thread's start to the last thread's end */
	uint64_t off_ns;    /* summed over the threads: wall time not spent on their CPU */
	uint64_t thread_ns; /* summed over the threads: wall time of each one's loop */
};

struct bench_ring_result {
	uint32_t ran;	   /* the section ran in this child */
	uint32_t size;	   /* slots of the ring */
	uint32_t capacity; /* most objects it holds */
	uint32_t pad;
	struct bench_row row[BENCH_RING_NB_ROWS];
};

struct bench_mempool_result {
	uint32_t ran;	    /* the section ran in this child */
	uint32_t size;	    /* objects per pool */
	uint32_t elt_size;  /* bytes per object, as created */
	uint32_t stride;    /* bytes from one object to the next, header included */
	uint32_t nb_chunks; /* hugemem: memory blocks the objects are carved from */
	uint32_t pad;
	struct bench_row row[BENCH_MEMPOOL_NB_ROWS];
};

/* One row of the service section in one round: K processes' calls together. */
struct bench_service_row {
	uint32_t clients; /* processes that ran the loop; 0: the row did not run */
	uint32_t pad;
	uint64_t iterations;   /* of all of them, two calls each */
	uint64_t window_ns;    /* the window common to them */
	uint64_t requests;     /* calls completed in that window, all processes */
	uint32_t median_ns[2]; /* [0]: the first call (alloc), [1]: the second (free) */
	uint32_t p99_ns[2];
};

struct bench_service_result {
	uint32_t ran; /* the section ran in this child */
	uint32_t pad;
	struct bench_service_row row[BENCH_SERVICE_NB_ROWS];
};

/*
 * The paired rows: every ring and mempool row once more, in a child where
 * both EALs are up at once (hugemem's, then DPDK's, both -l 0-1: lcore 0 is
 * the same thread for both, and each EAL has its own worker thread pinned to
 * CPU 1, which sleeps while the other EAL's runs). Each row is timed as
 * BENCH_PAIRS pairs of short runs of 1/BENCH_PAIR_DIV of its iterations,
 * hugemem's and DPDK's back to back, the one that goes first alternating; a
 * 2-lcore run is launched on both lcores by its own EAL, and timed from the
 * barrier after its warm-up. Both runs of a pair see the same placement of
 * the vCPUs on the host and the same neighbours, which two children a
 * second apart do not: a pair's ratio cancels whatever changes more slowly
 * than a pair.
 */
#define BENCH_PAIRS    31
#define BENCH_PAIR_DIV 8

struct bench_pair_row {
	uint32_t pairs; /* pairs timed; 0: the row did not run */
	uint32_t pad;
	double hm_ns, dpdk_ns;	   /* per object: medians of the pairs */
	double ratio;		   /* median of the pairs' DPDK ns / hugemem ns */
	double ratio_q1, ratio_q3; /* its quartiles */
};

struct bench_paired_result {
	uint32_t ran; /* the paired child ran */
	uint32_t pad;
	struct bench_pair_row ring[BENCH_RING_NB_ROWS];
	struct bench_pair_row mempool[BENCH_MEMPOOL_NB_ROWS];
	/* P/C ring rows: objects in the ring as the producer's loop ended,
	 * median of the pairs, [row][enum bench_lib] */
	uint32_t ring_fill[BENCH_RING_NB_ROWS][2];
	uint32_t mp_blocks[2][2]; /* blocks of each pool: [enum bench_lib][cached] */
};

/*
 * The paired rows of each section, in this child where both EALs are up;
 * launch[] is each EAL's launcher, by enum bench_lib.
 */
int bench_ring_paired(bench_launch_fn *const launch[2], struct bench_pair_row *rows,
		      uint32_t fills[][2], char *err, size_t len);
int bench_mempool_paired(bench_launch_fn *const launch[2], struct bench_pair_row *rows,
			 uint32_t blocks[2][2], char *err, size_t len);
void bench_ring_paired_print(const struct bench_paired_result *const *res, unsigned int rounds);
void bench_mempool_paired_print(const struct bench_paired_result *const *res, unsigned int rounds);

/*
 * Time every ring row on this child's EAL. @return 0, or -1 with the first
 * failure (a wrong object, a count that did not come back) in err.
 */
int bench_ring_measure(enum bench_lib lib, bench_launch_fn *launch, struct bench_ring_result *out,
		       char *err, size_t len);

/* As bench_ring_measure(), for the mempool rows. */
int bench_mempool_measure(enum bench_lib lib, bench_launch_fn *launch,
			  struct bench_mempool_result *out, char *err, size_t len);

/*
 * The service section in the child that is the primary of prefix: the loop
 * in the primary (hugemem only), then 1 and 3 client processes. @return 0;
 * -1 with the first failure in err; 1 (DPDK only): DPDK's side could not
 * run, and err says why.
 */
int bench_service_measure(enum bench_lib lib, const char *prefix, struct bench_service_result *out,
			  char *err, size_t len);

/*
 * A service client: argv[1] is BENCH_SERVICE_CLIENT_OPT. Runs as a
 * secondary of the prefix it is given and reports on fd 3. @return the
 * process's exit status.
 */
int bench_service_client_main(int argc, char **argv);

/*
 * Print a section's table from the results of every round: hm[i] and
 * dpdk[i] are round i's, NULL where that child has no result.
 */
void bench_ring_print(const struct bench_ring_result *const *hm,
		      const struct bench_ring_result *const *dpdk, unsigned int rounds);
void bench_mempool_print(const struct bench_mempool_result *const *hm,
			 const struct bench_mempool_result *const *dpdk, unsigned int rounds);
/* dpdk_skipped: why DPDK's rows did not run ("skipped: ..."), or "". */
void bench_service_print(const struct bench_service_result *const *hm,
			 const struct bench_service_result *const *dpdk, unsigned int rounds,
			 const char *dpdk_skipped);

/* ------------------------------------------------ instruction counts */

/*
 * --icount: the ring and mempool sections count instructions instead of
 * timing, under Valgrind's callgrind (scripts/bench-icount.sh runs it):
 * each row of one lcore runs 1/BENCH_ICOUNT_DIV of its iterations, and the
 * instructions of its timed loop alone go to a callgrind dump of their own,
 * named by bench_icount_end(). Rows of two lcores do not run: callgrind runs
 * one thread at a time, so their spin waits would count as work.
 */
extern bool bench_icount;
#define BENCH_ICOUNT_DIV 64

/* The iterations a row's timed loop runs. */
static inline uint32_t
bench_iters(uint32_t iters)
{
	if (!bench_icount)
		return iters;
	return iters / BENCH_ICOUNT_DIV > 0 ? iters / BENCH_ICOUNT_DIV : 1;
}

/* Whether a row of nb_lcores runs in this mode. */
static inline bool
bench_row_runs(unsigned int nb_lcores)
{
	return !bench_icount || nb_lcores == 1;
}

/*
 * Around a row's timed loop, in its one thread: the counts from here to
 * bench_icount_end() go to one dump, whose description line reads
 * "hugemem-icount <section>|<lib>|<row>|<objects>". No-ops without --icount.
 */
void bench_icount_begin(void);
void bench_icount_end(const char *section, enum bench_lib lib, const char *row, uint64_t objs);
/* @return NULL if --icount can run in this process, else why not. */
const char *bench_icount_unavailable(void);

/* ------------------------------------------------ shared by the sections */

/*
 * CLOCK_MONOTONIC, read twice per thread and row, around the whole timed
 * loop: the vDSO read (~20 ns) is lost in loops of tens of milliseconds,
 * and the clock is the same on every CPU, so one thread's start and the
 * other's end can be subtracted.
 */
static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The calling thread's CPU time, read next to bench_now_ns(): the wall time
 * of a loop minus its CPU time is the time the thread was descheduled (other
 * processes on its CPU), which goes into the figures and is reported.
 */
static inline uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A thread's clocks around its timed loop. */
struct bench_clocks {
	uint64_t start_ns, end_ns;
	uint64_t cpu_start_ns, cpu_end_ns;
};

static inline void
bench_clocks_start(struct bench_clocks *c)
{
	c->cpu_start_ns = bench_cpu_ns();
	c->start_ns = bench_now_ns();
}

static inline void
bench_clocks_stop(struct bench_clocks *c)
{
	c->end_ns = bench_now_ns();
	c->cpu_end_ns = bench_cpu_ns();
}

/* A row's result from its threads' clocks (every one of which ran). */
static inline void
bench_row_set(struct bench_row *row, uint64_t objs, const struct bench_clocks *c, unsigned int n)
{
	uint64_t start = UINT64_MAX, end = 0;

	row->objs = objs;
	row->off_ns = 0;
	row->thread_ns = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t wall = c[i].end_ns - c[i].start_ns;
		uint64_t cpu = c[i].cpu_end_ns - c[i].cpu_start_ns;

		start = c[i].start_ns < start ? c[i].start_ns : start;
		end = c[i].end_ns > end ? c[i].end_ns : end;
		row->thread_ns += wall;
		row->off_ns += wall > cpu ? wall - cpu : 0;
	}
	row->ns = end - start;
}

/* The spin-wait hint both sides use while a ring is full or empty. */
static inline void
bench_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* One row of one side over the rounds. */
struct bench_stat {
	double median_ns; /* per object; 0: no round has a result */
	double min_ns, max_ns;
	double off_share; /* the median round's share of thread time spent off-CPU */
};

/* Sort v[0..n) in place, a few values: insertion sort. */
static inline void
bench_sort(double *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		double x = v[i];
		unsigned int j;

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static inline double
bench_median(const double *sorted, unsigned int n)
{
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* The statistics of one row over the rounds; rows[i] NULL: round i has no result. */
static inline struct bench_stat
bench_stat_of(const struct bench_row *const *rows, unsigned int rounds)
{
	struct bench_stat st = {0, 0, 0, 0};
	double v[rounds > 0 ? rounds : 1], off[rounds > 0 ? rounds : 1];
	unsigned int n = 0;

	for (unsigned int i = 0; i < rounds; i++) {
		if (rows[i] == NULL || rows[i]->objs == 0)
			continue;
		v[n] = (double)rows[i]->ns / (double)rows[i]->objs;
		off[n] = rows[i]->thread_ns > 0
			     ? (double)rows[i]->off_ns / (double)rows[i]->thread_ns
			     : 0;
		n++;
	}
	if (n == 0)
		return st;
	bench_sort(v, n);
	bench_sort(off, n);
	st.median_ns = bench_median(v, n);
	st.min_ns = v[0];
	st.max_ns = v[n - 1];
	st.off_share = bench_median(off, n);
	return st;
}

/* The column heads that go with bench_print_row(). */
static inline void
bench_print_head(const char *label_head, const char *hm_name, const char *dpdk_name)
{
	printf("  %-30s %6s  %-26s  %-26s %-15s %4s\n", "", "", hm_name, dpdk_name, "ratio DPDK/hm",
	       "off");
	printf("  %-30s %6s  %8s %8s %8s  %8s %8s %8s %7s %7s %4s\n", label_head, "objs", "ns/obj",
	       "Mobj/s", "max/min", "ns/obj", "Mobj/s", "max/min", "median", "best", "CPU");
}

static inline void
bench_print_side(const struct bench_stat *st)
{
	if (st->median_ns > 0)
		printf("  %8.2f %8.1f %7.2fx", st->median_ns, 1e3 / st->median_ns,
		       st->max_ns / st->min_ns);
	else
		printf("  %8s %8s %8s", "-", "-", "-");
}

/* Rows of a table whose ratio is under the goal, of the medians and of the bests. */
struct bench_below {
	unsigned int median, best;
};

/*
 * One line of a section's table: the label, the objects of a round, each
 * side's median ns per object, Mobj/s and the spread of the rounds, and two
 * ratios DPDK ns / hugemem ns (hugemem's speed over DPDK's: above 1,
 * hugemem is faster): of the medians of the rounds, and of the bests (each
 * side's fastest round: the least disturbed by other work on the machine,
 * which only ever adds time). Flagged when either is under goal, and
 * counted in below.
 */
static inline void
bench_print_row(const char *label, double objs, const struct bench_stat *hm,
		const struct bench_stat *dpdk, double goal, struct bench_below *below)
{
	char count[16];
	double ratio, best;

	snprintf(count, sizeof(count), "%.1fM", objs / 1e6);
	printf("  %-30s %6s", label, count);
	bench_print_side(hm);
	bench_print_side(dpdk);
	if (hm->median_ns <= 0 || dpdk->median_ns <= 0) {
		printf(" %7s %7s\n", "-", "-");
		below->median++;
		below->best++;
		return;
	}
	ratio = dpdk->median_ns / hm->median_ns;
	best = dpdk->min_ns / hm->min_ns;
	printf(" %6.2fx %6.2fx %3.0f%%%s\n", ratio, best,
	       100 * (hm->off_share > dpdk->off_share ? hm->off_share : dpdk->off_share),
	       ratio < goal && best < goal ? " <goal: both"
	       : ratio < goal		   ? " <goal: median"
	       : best < goal		   ? " <goal: best"
					   : "");
	below->median += ratio < goal;
	below->best += best < goal;
}

/* Fill a row from n pairs of times (ns per object); sorts them. */
static inline void
bench_pair_row_set(struct bench_pair_row *row, double *hm, double *dpdk, unsigned int n)
{
	double ratio[n > 0 ? n : 1];

	if (n == 0) {
		row->pairs = 0;
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		ratio[i] = dpdk[i] / hm[i];
	bench_sort(hm, n);
	bench_sort(dpdk, n);
	bench_sort(ratio, n);
	row->pairs = n;
	row->hm_ns = bench_median(hm, n);
	row->dpdk_ns = bench_median(dpdk, n);
	row->ratio = bench_median(ratio, n);
	row->ratio_q1 = ratio[n / 4];
	row->ratio_q3 = ratio[(3 * n) / 4];
}

/* The column heads that go with bench_print_pair_row(). */
static inline void
bench_print_pair_head(const char *label_head)
{
	printf("  %-30s %9s %9s %8s %13s %13s\n", label_head, "hugemem", "DPDK", "DPDK/hm",
	       "rounds", "pairs");
	printf("  %-30s %9s %9s %8s %13s %13s\n", "", "ns/obj", "ns/obj", "median", "min-max",
	       "quartiles");
}

/*
 * One line of a paired table from row[i] of each round (NULL: no result):
 * the medians over the rounds of each side's ns and of the ratio, the
 * rounds' lowest and highest ratio, and the quartiles of the pairs of the
 * round whose ratio is the median. @return whether it reaches goal.
 */
static inline bool
bench_print_pair_row(const char *label, const struct bench_pair_row *const *row,
		     unsigned int rounds, double goal)
{
	double hm[rounds > 0 ? rounds : 1], dpdk[rounds > 0 ? rounds : 1];
	double ratio[rounds > 0 ? rounds : 1];
	const struct bench_pair_row *mid = NULL;
	char range[32], quart[32];
	unsigned int n = 0;
	double r;

	for (unsigned int i = 0; i < rounds; i++) {
		if (row[i] == NULL || row[i]->pairs == 0)
			continue;
		hm[n] = row[i]->hm_ns;
		dpdk[n] = row[i]->dpdk_ns;
		ratio[n] = row[i]->ratio;
		n++;
	}
	printf("  %-30s", label);
	if (n == 0) {
		printf(" %9s %9s %8s\n", "-", "-", "-");
		return false;
	}
	bench_sort(hm, n);
	bench_sort(dpdk, n);
	bench_sort(ratio, n);
	r = bench_median(ratio, n);
	for (unsigned int i = 0; i < rounds && mid == NULL; i++)
		if (row[i] != NULL && row[i]->pairs != 0 && row[i]->ratio == ratio[n / 2])
			mid = row[i];
	snprintf(range, sizeof(range), "%.2f-%.2f", ratio[0], ratio[n - 1]);
	snprintf(quart, sizeof(quart), "%.2f-%.2f", mid->ratio_q1, mid->ratio_q3);
	printf(" %9.2f %9.2f %7.2fx %13s %13s%s\n", bench_median(hm, n), bench_median(dpdk, n), r,
	       range, quart, r < goal ? " <goal" : "");
	return r >= goal;
}

/* The note under a table that explains its "off CPU" column. */
static inline void
bench_print_off_cpu(unsigned int noisy_rows)
{
	printf(
	    "  off CPU: the share of a row's thread time they spent descheduled (other processes "
	    "on\n  their CPUs), median of the rounds, the larger of the two sides; %u row(s) "
	    "above 5%%%s\n",
	    noisy_rows, noisy_rows > 0 ? ": their figures include other processes' time" : "");
}

#endif /* HUGEMEM_BENCH_H */
