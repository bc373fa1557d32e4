/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --icount: instruction counts of the ring and mempool rows, from
 * callgrind's client requests (valgrind/callgrind.h, Debian's valgrind
 * package). Wall time on a shared machine moves by tens of percent between
 * runs; the instructions a loop executes do not, so they tell small changes
 * of the inline paths apart where the tables cannot. They are not a speed:
 * the cycles those instructions take are the tables' business.
 *
 * scripts/bench-icount.sh runs the bench under
 *   valgrind --tool=callgrind --toggle-collect='mp_loop_*' ... --icount
 * so that only the timed loops count, zeroes the counts at
 * bench_icount_begin() and dumps them at bench_icount_end(), one dump per
 * row and side, and prints instructions per object from the dumps.
 */

#include <inttypes.h>
#include <stdio.h>

#include "bench.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#else
#define HAVE_CALLGRIND 0
#endif

bool bench_icount;

/* @return NULL if --icount can run here, else why not. */
const char *
bench_icount_unavailable(void)
{
#if HAVE_CALLGRIND
	if (RUNNING_ON_VALGRIND == 0)
		return "not running under valgrind --tool=callgrind (scripts/bench-icount.sh "
		       "runs it so)";
	return NULL;
#else
	return "built without valgrind/callgrind.h (Debian: valgrind)";
#endif
}

void
bench_icount_begin(void)
{
#if HAVE_CALLGRIND
	if (bench_icount)
		CALLGRIND_ZERO_STATS;
#endif
}

void
bench_icount_end(const char *section, enum bench_lib lib, const char *row, uint64_t objs)
{
#if HAVE_CALLGRIND
	char desc[160];

	if (!bench_icount)
		return;
	snprintf(desc, sizeof(desc), "hugemem-icount %s|%s|%s|%" PRIu64, section,
		 lib == BENCH_LIB_HM ? "hugemem" : "dpdk", row, objs);
	CALLGRIND_DUMP_STATS_AT(desc);
#else
	(void)section;
	(void)lib;
	(void)row;
	(void)objs;
#endif
}
