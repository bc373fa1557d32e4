/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ring suite: named rings (create, lookup, free, the table and its
 * errors), rings in the caller's memory, capacity with and without
 * HM_RING_EXACT_SZ, every enqueue and dequeue form (single, bulk, burst; the
 * ring's creation mode and the forced sp/mp/sc/mc forms) with their
 * free_space and available out-parameters, indexes that wrap, element rings
 * of odd sizes down to the byte, threads hammering MP/MC and SP/SC rings,
 * and three processes sharing one ring.
 *
 * Most tests run on --no-huge memory; the cross-process test reserves 2 MiB
 * hugepages itself and skips loudly when none can be had. Each test is a
 * process of its own (hm_eal_init is once per process).
 *
 * The threaded and cross-process tests carry values that say who sent them:
 * (producer + 1) << 32 | sequence. The + 1 keeps every value non-zero, so a
 * slot that was never written (zero) cannot pass for an element. A consumer
 * takes from the ring in ring order, and a producer puts its values in
 * in sequence order, so every consumer must see every producer's sequence
 * numbers strictly increasing; and every value must arrive exactly once.
 */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>
#include <hugemem/ring.h>

#include "../common/hm_test.h"
#include "hm_common.h"

/* ------------------------------------------------------------- helpers */

/* --no-huge on lcore 0 with `mb` MiB. */
static void
init_no_huge(const char *mb)
{
	const char *args[] = {
	    "-l",	   "0",	    "--no-huge", "-m", mb, "--file-prefix", hm_test_prefix("rg"),
	    "--log-level", "emerg", NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
}

/*
 * A check for the hot loops. Check's assertions report every one that
 * passes to the parent process (a write to a pipe), which costs more than
 * the ring operation under test: a loop checks with this, and Check hears
 * only of a failure.
 */
static void expect(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
expect(bool ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck_abort_msg("%s", msg);
}

/* A pointer that stands for element i of a single-threaded test: never NULL. */
static void *
val(uint64_t i)
{
	return (void *)(uintptr_t)(0x1000 + i);
}

static bool
is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static uint32_t
pow2_ceil(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* xorshift32: the tests' own random numbers, the same on every run. */
static uint32_t
next_rand(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
count_rings(struct hm_ring *r, void *arg)
{
	(void)r;
	(*(unsigned int *)arg)++;
	return 0;
}

/* Named rings there are now. */
static unsigned int
named_rings(void)
{
	unsigned int n = 0;

	ck_assert_int_eq(hm_ring_walk(count_rings, &n), 0);
	return n;
}

/* A ring of pointers holds exactly the elements it says, and no more. */
static void
check_counts(const struct hm_ring *r, unsigned int expected)
{
	unsigned int count = hm_ring_count(r), free_count = hm_ring_free_count(r);
	bool empty = hm_ring_empty(r), full = hm_ring_full(r);

	expect(count == expected && free_count == hm_ring_get_capacity(r) - expected &&
		   empty == (expected == 0) && full == (expected == hm_ring_get_capacity(r)),
	       "%s holding %u of %u: count %u, free_count %u, empty %d, full %d", r->name, expected,
	       hm_ring_get_capacity(r), count, free_count, empty, full);
}

/* The geometry of a ring made with count and flags. */
static void
check_geometry(const struct hm_ring *r, unsigned int esize, unsigned int count, unsigned int flags)
{
	uint64_t slots_end;

	ck_assert_uint_eq(r->esize, esize);
	ck_assert_uint_eq(r->flags, flags);
	ck_assert_msg(is_pow2(hm_ring_get_size(r)), "%s: %u slots", r->name, hm_ring_get_size(r));
	ck_assert_uint_eq(r->mask, hm_ring_get_size(r) - 1);
	if (flags & HM_RING_EXACT_SZ) {
		/*
		 * "Slots are the next power of two": of count (capacity may equal
		 * the slots), or of count + 1 as DPDK does. Either holds count.
		 */
		ck_assert_uint_eq(hm_ring_get_capacity(r), count);
		ck_assert_msg(hm_ring_get_size(r) == pow2_ceil(count) ||
				  hm_ring_get_size(r) == pow2_ceil(count + 1),
			      "%s: exact count %u in %u slots", r->name, count,
			      hm_ring_get_size(r));
	} else {
		/*
		 * "A ring of count elements" whose "capacity is the number of
		 * slots minus one": the fewest slots that hold count, so a power
		 * of two count gets twice the slots (unlike DPDK, where count is
		 * the slots and one fewer fit).
		 */
		ck_assert_uint_eq(hm_ring_get_capacity(r), hm_ring_get_size(r) - 1);
		ck_assert_uint_ge(hm_ring_get_capacity(r), count);
		ck_assert_uint_eq(hm_ring_get_size(r), pow2_ceil(count + 1));
	}
	ck_assert(r->prod.single == ((flags & HM_RING_SP_ENQ) != 0));
	ck_assert(r->cons.single == ((flags & HM_RING_SC_DEQ) != 0));
	slots_end = offsetof(struct hm_ring, slots) + (uint64_t)hm_ring_get_size(r) * esize;
	ck_assert_msg(r->memsize >= slots_end, "%s: memsize %lu, slots end at %lu", r->name,
		      (unsigned long)r->memsize, (unsigned long)slots_end);
	ck_assert_int_ge(hm_ring_get_memsize_elem(esize, count, flags), (ssize_t)r->memsize);
	ck_assert_uint_eq((uintptr_t)r % 128, 0);
}

/* ============================================== named rings and their errors */

START_TEST(named_rings_are_found_by_name_at_one_address_and_gone_once_freed)
{
	struct hm_ring *r, *e, *again;
	unsigned int before;
	void *p = NULL;

	init_no_huge("64");
	before = named_rings();
	r = hm_ring_create("rq", 1023, HM_SOCKET_ID_ANY, 0);
	ck_assert_msg(r != NULL, "create: %s", strerror(errno));
	ck_assert_str_eq(r->name, "rq");
	check_geometry(r, sizeof(void *), 1023, 0);
	ck_assert_uint_eq(hm_ring_get_size(r), 1024);
	ck_assert_uint_eq(hm_ring_get_capacity(r), 1023);
	/* In the shared memory, where another process finds it at the same address. */
	ck_assert_ptr_nonnull(hm_mem_virt2memseg(r));
	ck_assert_ptr_nonnull(hm_mem_virt2memseg(r->slots + (size_t)1024 * 8 - 1));
	check_counts(r, 0);

	e = hm_ring_create_elem("rq-elem", 20, 100, 0,
				HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);
	ck_assert_msg(e != NULL, "create_elem: %s", strerror(errno));
	check_geometry(e, 20, 100, HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);
	ck_assert_ptr_nonnull(hm_mem_virt2memseg(e));
	ck_assert_uint_eq(named_rings(), before + 2);

	ck_assert_ptr_eq(hm_ring_lookup("rq"), r);
	ck_assert_ptr_eq(hm_ring_lookup("rq-elem"), e);
	/* The looked-up ring is the ring: what goes in by one name comes out by the other. */
	ck_assert_int_eq(hm_ring_enqueue(hm_ring_lookup("rq"), val(7)), 0);
	ck_assert_int_eq(hm_ring_dequeue(r, &p), 0);
	ck_assert_ptr_eq(p, val(7));

	/* Freed: gone from the table, the other ring untouched, the name free again. */
	ck_assert_int_eq(hm_ring_free(r), 0);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("rq"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_eq(hm_ring_lookup("rq-elem"), e);
	ck_assert_uint_eq(named_rings(), before + 1);
	again = hm_ring_create("rq", 64, 0, HM_RING_SC_DEQ);
	ck_assert_msg(again != NULL, "create of a freed name: %s", strerror(errno));
	check_geometry(again, sizeof(void *), 64, HM_RING_SC_DEQ);
	check_counts(again, 0);
	ck_assert_ptr_eq(hm_ring_lookup("rq"), again);

	ck_assert_int_eq(hm_ring_free(again), 0);
	ck_assert_int_eq(hm_ring_free(e), 0);
	ck_assert_uint_eq(named_rings(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_named_ring_records_the_socket_of_its_memory)
{
	struct hm_ring *any, *zero, *elem;

	init_no_huge("64");
	/* "socket of the memory, -1 if the caller's": --no-huge memory is socket 0's. */
	any = hm_ring_create("sock-any", 15, HM_SOCKET_ID_ANY, 0);
	zero = hm_ring_create("sock-0", 15, 0, 0);
	elem = hm_ring_create_elem("sock-elem", 16, 15, HM_SOCKET_ID_ANY, 0);
	ck_assert(any != NULL && zero != NULL && elem != NULL);
	ck_assert_int_eq(hm_mem_virt2memseg(any)->socket_id, 0);
	ck_assert_int_eq(zero->socket, 0);
	ck_assert_msg(any->socket == hm_mem_virt2memseg(any)->socket_id,
		      "a ring created for any socket in memory of socket %d says socket %d",
		      hm_mem_virt2memseg(any)->socket_id, any->socket);
	ck_assert_int_eq(elem->socket, hm_mem_virt2memseg(elem)->socket_id);
	ck_assert_int_eq(hm_ring_free(any), 0);
	ck_assert_int_eq(hm_ring_free(zero), 0);
	ck_assert_int_eq(hm_ring_free(elem), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(create_refuses_bad_names_sizes_flags_and_a_taken_name)
{
	static const unsigned int bad_esize[] = {1, 2, 3, 5, 6, 7, 9, 10, 13, 18, 66};
	char longest[HM_RING_NAMESIZE], too_long[HM_RING_NAMESIZE + 1];
	struct hm_ring *taken, *r;
	unsigned int before;

	init_no_huge("64");
	memset(longest, 'n', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	taken = hm_ring_create("taken", 15, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(taken);
	before = named_rings();

#define REFUSED(call, err)                                                                         \
	do {                                                                                       \
		errno = 0;                                                                         \
		ck_assert_ptr_null(call);                                                          \
		ck_assert_int_eq(errno, err);                                                      \
	} while (0)
	/* names */
	REFUSED(hm_ring_create(NULL, 16, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create("", 16, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create(too_long, 16, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create_elem(NULL, 16, 16, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create_elem(too_long, 16, 16, HM_SOCKET_ID_ANY, 0), EINVAL);
	/* a taken name, whatever the shape asked for */
	REFUSED(hm_ring_create("taken", 16, HM_SOCKET_ID_ANY, 0), EEXIST);
	REFUSED(hm_ring_create("taken", 256, HM_SOCKET_ID_ANY, HM_RING_SP_ENQ), EEXIST);
	REFUSED(hm_ring_create_elem("taken", 16, 16, HM_SOCKET_ID_ANY, 0), EEXIST);
	/* sizes */
	REFUSED(hm_ring_create("zero", 0, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create("zero-exact", 0, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ), EINVAL);
	REFUSED(hm_ring_create("over", HM_RING_SZ_MAX + 1, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(
	    hm_ring_create("over-exact", HM_RING_SZ_MAX + 1, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ),
	    EINVAL);
	/* HM_RING_SZ_MAX elements need HM_RING_SZ_MAX + 1 slots unless the size is exact */
	REFUSED(hm_ring_create("over-slots", HM_RING_SZ_MAX, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create("uintmax", UINT32_MAX, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create("pow31", 1u << 31, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create_elem("zero-elem", 16, 0, HM_SOCKET_ID_ANY, 0), EINVAL);
	REFUSED(hm_ring_create_elem("over-elem", 16, HM_RING_SZ_MAX + 1, HM_SOCKET_ID_ANY, 0),
		EINVAL);
	for (unsigned int i = 0; i < HM_DIM(bad_esize); i++) {
		errno = 0;
		r = hm_ring_create_elem("odd-esize", bad_esize[i], 16, HM_SOCKET_ID_ANY, 0);
		ck_assert_msg(r == NULL && errno == EINVAL, "esize %u: ring %p, errno %d",
			      bad_esize[i], (void *)r, errno);
	}
	/* flags */
	REFUSED(hm_ring_create("flags", 16, HM_SOCKET_ID_ANY, 0x8), EINVAL);
	REFUSED(hm_ring_create("flags2", 16, HM_SOCKET_ID_ANY, 0x80000000u), EINVAL);
	REFUSED(hm_ring_create_elem("flags3", 16, 16, HM_SOCKET_ID_ANY, 0x10), EINVAL);
	/*
	 * The most slots there may be is a valid size: it is refused for want of
	 * memory (2 GiB of pointers in 64 MiB), not as a bad argument.
	 */
	REFUSED(hm_ring_create("most", HM_RING_SZ_MAX, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ), ENOMEM);
	REFUSED(hm_ring_create("most-1", HM_RING_SZ_MAX - 1, HM_SOCKET_ID_ANY, 0), ENOMEM);
#undef REFUSED

	/* Nothing was made, the taken name is still the first ring's, and names still work. */
	ck_assert_uint_eq(named_rings(), before);
	ck_assert_ptr_eq(hm_ring_lookup("taken"), taken);
	ck_assert_uint_eq(hm_ring_get_size(taken), 16);
	ck_assert_uint_eq(hm_ring_get_capacity(taken), 15);
	r = hm_ring_create(longest, 16, HM_SOCKET_ID_ANY, 0);
	ck_assert_msg(r != NULL, "the longest name: %s", strerror(errno));
	ck_assert_str_eq(r->name, longest);
	ck_assert_ptr_eq(hm_ring_lookup(longest), r);
	ck_assert_int_eq(hm_ring_free(r), 0);
	ck_assert_int_eq(hm_ring_free(taken), 0);
	ck_assert_uint_eq(named_rings(), before - 1);
	hm_eal_cleanup();
}
END_TEST

START_TEST(lookup_refuses_bad_and_unknown_names_and_free_refuses_what_is_not_a_named_ring)
{
	char too_long[HM_RING_NAMESIZE + 8];
	/* Zeroes where a ring is expected. */
	static uint64_t fake[256] __attribute__((aligned(128)));
	struct hm_ring *named, *mine;
	unsigned int before;
	ssize_t sz;
	void *p = NULL;

	init_no_huge("64");
	before = named_rings();
	memset(too_long, 'n', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	named = hm_ring_create("named", 32, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(named);

	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup(""));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup(too_long));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("unknown"));
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("name")); /* a prefix of a ring's name is not it */
	ck_assert_int_eq(errno, ENOENT);

	/* free: NULL is ignored; a ring of the caller's or a fake one is refused and unharmed */
	sz = hm_ring_get_memsize(32, 0);
	ck_assert_int_gt(sz, 0);
	mine = aligned_alloc(128, HM_ALIGN_CEIL((size_t)sz, 128));
	ck_assert_ptr_nonnull(mine);
	ck_assert_int_eq(hm_ring_init(mine, "named", 32, 0), 0);
	ck_assert_int_eq(hm_ring_enqueue(mine, val(1)), 0);
	ck_assert_int_eq(hm_ring_free(NULL), 0);
	ck_assert_int_eq(hm_ring_free(mine), -EINVAL);
	ck_assert_int_eq(hm_ring_free((struct hm_ring *)fake), -EINVAL);
	ck_assert_ptr_eq(hm_ring_lookup("named"), named); /* the caller's ring took no name */
	ck_assert_int_eq(hm_ring_dequeue(mine, &p), 0);
	ck_assert_ptr_eq(p, val(1));
	free(mine);

	/* A freed ring is no named ring any more: a second free is refused. */
	ck_assert_int_eq(hm_ring_free(named), 0);
	ck_assert_int_eq(hm_ring_free(named), -EINVAL);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("named"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(named_rings(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(memsize_covers_the_slots_and_refuses_bad_sizes)
{
	static const unsigned int esizes[] = {4, 8, 12, 16, 20, 64, 1024};
	static const unsigned int counts[] = {1, 2, 3, 16, 100, 1024, 5000};
	static const unsigned int bad_esize[] = {1, 2, 3, 5, 6, 7, 9, 10, 11, 14, 63, 65};
	static const unsigned int bad_count[] = {0, HM_RING_SZ_MAX + 1, 1u << 31, UINT32_MAX};
	const size_t header = offsetof(struct hm_ring, slots);

	/* Pure arithmetic: no hugemem needed. */
	for (unsigned int e = 0; e < HM_DIM(esizes); e++)
		for (unsigned int c = 0; c < HM_DIM(counts); c++) {
			unsigned int count = counts[c], esize = esizes[e];
			ssize_t exact = hm_ring_get_memsize_elem(esize, count, HM_RING_EXACT_SZ);
			ssize_t plain = hm_ring_get_memsize_elem(esize, count, 0);
			size_t exact_min = header + (size_t)pow2_ceil(count) * esize;
			size_t plain_min = header + (size_t)pow2_ceil(count + 1) * esize;

			/* The slots as check_geometry() expects them, and a few lines of
			 * padding at most, not a page per ring. */
			ck_assert_msg(exact >= (ssize_t)exact_min &&
					  exact <= (ssize_t)plain_min + 256,
				      "esize %u count %u exact: %zd", esize, count, exact);
			ck_assert_msg(plain >= (ssize_t)plain_min &&
					  plain <= (ssize_t)plain_min + 256,
				      "esize %u count %u: %zd", esize, count, plain);
		}
	ck_assert_int_eq(hm_ring_get_memsize(64, 0), hm_ring_get_memsize_elem(8, 64, 0));
	ck_assert_int_eq(hm_ring_get_memsize(100, HM_RING_EXACT_SZ),
			 hm_ring_get_memsize_elem(8, 100, HM_RING_EXACT_SZ));
	ck_assert_int_lt(hm_ring_get_memsize_elem(4, 64, 0), hm_ring_get_memsize_elem(64, 64, 0));
	/* The largest rings are valid sizes, however much memory they would take. */
	ck_assert_int_ge(hm_ring_get_memsize(HM_RING_SZ_MAX, HM_RING_EXACT_SZ),
			 (ssize_t)(header + (size_t)HM_RING_SZ_MAX * 8));
	ck_assert_int_ge(hm_ring_get_memsize(HM_RING_SZ_MAX - 1, 0),
			 (ssize_t)(header + (size_t)HM_RING_SZ_MAX * 8));
	ck_assert_int_ge(hm_ring_get_memsize_elem(64, HM_RING_SZ_MAX - 1, 0),
			 (ssize_t)(header + (size_t)HM_RING_SZ_MAX * 64));
	/* One more element than the most slots hold. */
	ck_assert_int_eq(hm_ring_get_memsize(HM_RING_SZ_MAX, 0), -EINVAL);

	for (unsigned int i = 0; i < HM_DIM(bad_esize); i++) {
		ck_assert_msg(hm_ring_get_memsize_elem(bad_esize[i], 16, 0) == -EINVAL,
			      "esize %u: %zd", bad_esize[i],
			      hm_ring_get_memsize_elem(bad_esize[i], 16, 0));
		ck_assert_int_eq(hm_ring_get_memsize_elem(bad_esize[i], 16, HM_RING_EXACT_SZ),
				 -EINVAL);
	}
	for (unsigned int i = 0; i < HM_DIM(bad_count); i++) {
		ck_assert_msg(hm_ring_get_memsize(bad_count[i], 0) == -EINVAL, "count %u: %zd",
			      bad_count[i], hm_ring_get_memsize(bad_count[i], 0));
		ck_assert_int_eq(hm_ring_get_memsize(bad_count[i], HM_RING_EXACT_SZ), -EINVAL);
		ck_assert_int_eq(hm_ring_get_memsize_elem(16, bad_count[i], 0), -EINVAL);
	}
}
END_TEST

START_TEST(a_ring_laid_out_in_malloc_memory_works_and_is_not_named)
{
	struct hm_ring *r, *p, *named;
	unsigned int before;
	ssize_t sz;
	uint8_t in[100 * 12], out[100 * 12];
	void *obj = NULL;

	init_no_huge("64");
	before = named_rings();
	sz = hm_ring_get_memsize_elem(12, 100, HM_RING_EXACT_SZ);
	ck_assert_int_gt(sz, 0);
	r = aligned_alloc(128, HM_ALIGN_CEIL((size_t)sz, 128));
	ck_assert_ptr_nonnull(r);
	memset(r, 0xa5, (size_t)sz); /* init owes nothing to zeroed memory */
	ck_assert_int_eq(hm_ring_init_elem(r, "mine", 12, 100, HM_RING_EXACT_SZ), 0);
	ck_assert_str_eq(r->name, "mine");
	check_geometry(r, 12, 100, HM_RING_EXACT_SZ);
	ck_assert_int_eq(r->socket, -1);
	ck_assert_uint_le(r->memsize, (uint64_t)sz);
	check_counts(r, 0);

	/* It holds exactly 100 elements of 12 bytes, and gives them back. */
	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	ck_assert_uint_eq(hm_ring_enqueue_bulk_elem(r, in, 12, 100, NULL), 100);
	check_counts(r, 100);
	ck_assert_int_eq(hm_ring_enqueue_elem(r, in, 12), -ENOBUFS);
	ck_assert_uint_eq(hm_ring_dequeue_bulk_elem(r, out, 12, 100, NULL), 100);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	check_counts(r, 0);

	/* Not in the table: lookup does not find it, free refuses it, create may take its name. */
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("mine"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(hm_ring_free(r), -EINVAL);
	named = hm_ring_create("mine", 16, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(named);
	ck_assert_ptr_ne(named, r);
	ck_assert_int_eq(hm_ring_free(named), 0);
	ck_assert_int_eq(hm_ring_enqueue_elem(r, in, 12), 0); /* still usable */
	check_counts(r, 1);

	/* A ring of pointers, single producer and consumer. */
	sz = hm_ring_get_memsize(64, HM_RING_SP_ENQ | HM_RING_SC_DEQ);
	ck_assert_int_gt(sz, 0);
	p = aligned_alloc(128, HM_ALIGN_CEIL((size_t)sz, 128));
	ck_assert_ptr_nonnull(p);
	memset(p, 0xff, (size_t)sz);
	ck_assert_int_eq(hm_ring_init(p, "mine-ptr", 64, HM_RING_SP_ENQ | HM_RING_SC_DEQ), 0);
	check_geometry(p, sizeof(void *), 64, HM_RING_SP_ENQ | HM_RING_SC_DEQ);
	ck_assert_int_eq(p->socket, -1);
	check_counts(p, 0);
	ck_assert_int_eq(hm_ring_enqueue(p, val(5)), 0);
	ck_assert_int_eq(hm_ring_dequeue(p, &obj), 0);
	ck_assert_ptr_eq(obj, val(5));

	/* Bad arguments are refused and leave a ring laid out before as it was. */
	ck_assert_int_eq(hm_ring_init(NULL, "x", 64, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init_elem(NULL, "x", 8, 64, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, NULL, 64, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, "", 64, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, "a-name-that-is-much-too-long-for-a-ring", 64, 0),
			 -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, "x", 0, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, "x", HM_RING_SZ_MAX + 1, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init(p, "x", 64, 0x8), -EINVAL);
	ck_assert_int_eq(hm_ring_init_elem(p, "x", 3, 16, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init_elem(p, "x", 10, 16, 0), -EINVAL);
	ck_assert_int_eq(hm_ring_init_elem(p, "x", 8, 0, HM_RING_EXACT_SZ), -EINVAL);

	free(p);
	free(r);
	ck_assert_uint_eq(named_rings(), before);
	hm_eal_cleanup();
}
END_TEST

START_TEST(create_and_lookup_need_hugemem_but_a_ring_in_the_callers_memory_does_not)
{
	ssize_t sz = hm_ring_get_memsize(16, 0);
	struct hm_ring *mine, *r;
	void *p = NULL;

	hm_log_set_level(HM_LOG_EMERG); /* the refusals below log; quietly */
	errno = 0;
	ck_assert_ptr_null(hm_ring_create("early", 16, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_ring_create_elem("early", 16, 16, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("early"));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(hm_ring_free(NULL), 0);

	/* A ring in the caller's memory is the caller's business: no EAL needed. */
	ck_assert_int_gt(sz, 0);
	mine = aligned_alloc(128, HM_ALIGN_CEIL((size_t)sz, 128));
	ck_assert_ptr_nonnull(mine);
	ck_assert_int_eq(hm_ring_init(mine, "before-init", 16, 0), 0);
	ck_assert_int_eq(hm_ring_enqueue(mine, val(1)), 0);

	init_no_huge("16");
	r = hm_ring_create("during", 16, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_eq(hm_ring_lookup("during"), r);
	ck_assert_int_eq(hm_ring_free(r), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);

	errno = 0;
	ck_assert_ptr_null(hm_ring_create("late", 16, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(errno, ENODEV);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("during"));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(hm_ring_enqueue(mine, val(2)), 0);
	ck_assert_int_eq(hm_ring_dequeue(mine, &p), 0);
	ck_assert_ptr_eq(p, val(1));
	ck_assert_int_eq(hm_ring_dequeue(mine, &p), 0);
	ck_assert_ptr_eq(p, val(2));
	free(mine);
}
END_TEST

/* Every named ring made by the test, so one slot can be freed and the rest at the end. */
static struct hm_ring *table_rings[HM_RING_MAX_RINGS + 1];

START_TEST(the_ring_table_fills_up_with_enospc_and_a_freed_slot_is_reused)
{
	unsigned int before, made = 0;
	char name[HM_RING_NAMESIZE];
	struct hm_ring *r;

	init_no_huge("64");
	before = named_rings();
	for (;;) {
		snprintf(name, sizeof(name), "table-%u", made);
		errno = 0;
		r = hm_ring_create(name, 4, HM_SOCKET_ID_ANY, 0);
		if (r == NULL)
			break;
		ck_assert_uint_lt(made, HM_RING_MAX_RINGS);
		table_rings[made++] = r;
	}
	ck_assert_msg(errno == ENOSPC, "ring %u of %u refused with errno %d, not ENOSPC",
		      before + made + 1, HM_RING_MAX_RINGS, errno);
	ck_assert_uint_eq(before + made, HM_RING_MAX_RINGS);
	ck_assert_uint_eq(named_rings(), HM_RING_MAX_RINGS);
	errno = 0;
	ck_assert_ptr_null(hm_ring_create_elem("one-more", 16, 4, HM_SOCKET_ID_ANY, 0));
	ck_assert_int_eq(errno, ENOSPC);
	/* A taken name is refused too, as taken or as full: either is true. */
	errno = 0;
	ck_assert_ptr_null(hm_ring_create("table-0", 4, HM_SOCKET_ID_ANY, 0));
	ck_assert(errno == EEXIST || errno == ENOSPC);

	/* One freed: its slot takes the next ring, and every other ring is still there. */
	ck_assert_int_eq(hm_ring_free(table_rings[17]), 0);
	r = hm_ring_create("reused", 4, HM_SOCKET_ID_ANY, 0);
	ck_assert_msg(r != NULL, "create after a free: %s", strerror(errno));
	table_rings[17] = r;
	ck_assert_ptr_eq(hm_ring_lookup("reused"), r);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup("table-17"));
	ck_assert_int_eq(errno, ENOENT);
	for (unsigned int i = 0; i < made; i++) {
		if (i == 17)
			continue;
		snprintf(name, sizeof(name), "table-%u", i);
		ck_assert_ptr_eq(hm_ring_lookup(name), table_rings[i]);
	}
	for (unsigned int i = 0; i < made; i++)
		ck_assert_int_eq(hm_ring_free(table_rings[i]), 0);
	ck_assert_uint_eq(named_rings(), before);
	hm_eal_cleanup();
}
END_TEST

struct walk_state {
	unsigned int visited;
	unsigned int stop_at;
	bool a_seen, b_seen, c_seen;
};

static int
walk_visit(struct hm_ring *r, void *arg)
{
	struct walk_state *w = arg;

	w->visited++;
	w->a_seen |= strcmp(r->name, "walk-a") == 0;
	w->b_seen |= strcmp(r->name, "walk-b") == 0;
	w->c_seen |= strcmp(r->name, "walk-c") == 0;
	return w->visited == w->stop_at ? 7 : 0;
}

/* What hm_ring_dump() prints for r. */
static void
dump_of(const struct hm_ring *r, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	ck_assert_ptr_nonnull(f);
	hm_ring_dump(f, r);
	fclose(f);
	buf[len - 1] = '\0';
}

START_TEST(walk_visits_every_named_ring_and_dump_names_it)
{
	struct walk_state w = {0};
	struct hm_ring *a, *b, *c;
	unsigned int before;
	char out[4096];

	init_no_huge("64");
	before = named_rings(); /* rings other subsystems made at init, if any */
	a = hm_ring_create("walk-a", 16, HM_SOCKET_ID_ANY, 0);
	b = hm_ring_create_elem("walk-b", 32, 16, HM_SOCKET_ID_ANY, HM_RING_SP_ENQ);
	c = hm_ring_create("walk-c", 100, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
	ck_assert(a != NULL && b != NULL && c != NULL);

	ck_assert_int_eq(hm_ring_walk(walk_visit, &w), 0);
	ck_assert_uint_eq(w.visited, before + 3);
	ck_assert(w.a_seen && w.b_seen && w.c_seen);
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	ck_assert_int_eq(hm_ring_walk(walk_visit, &w), 7);
	ck_assert_uint_eq(w.visited, 2);

	ck_assert_int_eq(hm_ring_enqueue(a, val(1)), 0);
	memset(out, 0, sizeof(out));
	dump_of(a, out, sizeof(out));
	ck_assert_msg(strstr(out, "walk-a") != NULL, "dump does not name the ring: %s", out);
	dump_of(c, out, sizeof(out));
	ck_assert_msg(strstr(out, "walk-c") != NULL, "dump does not name the ring: %s", out);

	ck_assert_int_eq(hm_ring_free(b), 0);
	memset(&w, 0, sizeof(w));
	ck_assert_int_eq(hm_ring_walk(walk_visit, &w), 0);
	ck_assert_uint_eq(w.visited, before + 2);
	ck_assert(w.a_seen && !w.b_seen && w.c_seen);
	ck_assert_int_eq(hm_ring_free(a), 0);
	ck_assert_int_eq(hm_ring_free(c), 0);
	ck_assert_uint_eq(named_rings(), before);
	hm_eal_cleanup();
}
END_TEST

/* ============================================== capacity */

START_TEST(capacity_is_slots_minus_one_or_exactly_count_with_exact_sz)
{
	static const unsigned int plain[] = {1, 2, 3, 7, 8, 63, 64, 100, 1000, 1023, 1024, 65535};
	static const unsigned int exact[] = {1, 2, 3, 7, 8, 100, 1000, 4096, 5000};
	char name[HM_RING_NAMESIZE];
	struct hm_ring *r;

	init_no_huge("64");
	for (unsigned int i = 0; i < HM_DIM(plain); i++) {
		unsigned int cap;

		snprintf(name, sizeof(name), "plain-%u", plain[i]);
		r = hm_ring_create(name, plain[i], HM_SOCKET_ID_ANY, 0);
		ck_assert_msg(r != NULL, "%s: %s", name, strerror(errno));
		check_geometry(r, sizeof(void *), plain[i], 0);
		/* Exactly capacity single enqueues fit. */
		cap = hm_ring_get_capacity(r);
		for (unsigned int k = 0; k < cap; k++)
			expect(hm_ring_enqueue(r, val(k)) == 0, "%s: enqueue %u of %u refused",
			       name, k, cap);
		check_counts(r, cap);
		ck_assert_int_eq(hm_ring_enqueue(r, val(0)), -ENOBUFS);
		ck_assert_int_eq(hm_ring_free(r), 0);
	}
	for (unsigned int i = 0; i < HM_DIM(exact); i++) {
		void *objs[5000];

		snprintf(name, sizeof(name), "exact-%u", exact[i]);
		r = hm_ring_create(name, exact[i], HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
		ck_assert_msg(r != NULL, "%s: %s", name, strerror(errno));
		check_geometry(r, sizeof(void *), exact[i], HM_RING_EXACT_SZ);
		for (unsigned int k = 0; k < exact[i]; k++)
			objs[k] = val(k);
		ck_assert_uint_eq(hm_ring_enqueue_burst(r, objs, exact[i] + 1, NULL), exact[i]);
		check_counts(r, exact[i]);
		ck_assert_int_eq(hm_ring_enqueue(r, val(0)), -ENOBUFS);
		memset(objs, 0, sizeof(objs));
		ck_assert_uint_eq(hm_ring_dequeue_burst(r, objs, 5000, NULL), exact[i]);
		for (unsigned int k = 0; k < exact[i]; k++)
			expect(objs[k] == val(k), "%s: element %u is %p", name, k, objs[k]);
		ck_assert_int_eq(hm_ring_free(r), 0);
	}
	/* The element form agrees. */
	r = hm_ring_create_elem("exact-elem", 4, 3, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
	ck_assert_ptr_nonnull(r);
	check_geometry(r, 4, 3, HM_RING_EXACT_SZ);
	ck_assert_int_eq(hm_ring_free(r), 0);

	hm_eal_cleanup();
}
END_TEST

/* ============================================== single, bulk and burst in every mode */

/* The forms of a ring of pointers, by mode, so each test runs them all. */
typedef int (*enqueue_one_fn)(struct hm_ring *r, void *obj);
typedef int (*dequeue_one_fn)(struct hm_ring *r, void **obj);
typedef unsigned int (*enqueue_n_fn)(struct hm_ring *r, void *const *objs, unsigned int n,
				     unsigned int *free_space);
typedef unsigned int (*dequeue_n_fn)(struct hm_ring *r, void **objs, unsigned int n,
				     unsigned int *available);

static const struct {
	const char *name;
	enqueue_one_fn one;
	enqueue_n_fn bulk, burst;
} enqueue_forms[] = {
    {"enqueue", hm_ring_enqueue, hm_ring_enqueue_bulk, hm_ring_enqueue_burst},
    {"mp_enqueue", hm_ring_mp_enqueue, hm_ring_mp_enqueue_bulk, hm_ring_mp_enqueue_burst},
    {"sp_enqueue", hm_ring_sp_enqueue, hm_ring_sp_enqueue_bulk, hm_ring_sp_enqueue_burst},
};

static const struct {
	const char *name;
	dequeue_one_fn one;
	dequeue_n_fn bulk, burst;
} dequeue_forms[] = {
    {"dequeue", hm_ring_dequeue, hm_ring_dequeue_bulk, hm_ring_dequeue_burst},
    {"mc_dequeue", hm_ring_mc_dequeue, hm_ring_mc_dequeue_bulk, hm_ring_mc_dequeue_burst},
    {"sc_dequeue", hm_ring_sc_dequeue, hm_ring_sc_dequeue_bulk, hm_ring_sc_dequeue_burst},
};

/* The creation modes: every form must work on every ring with one thread on each side. */
static const unsigned int creation_modes[] = {0, HM_RING_SP_ENQ, HM_RING_SC_DEQ,
					      HM_RING_SP_ENQ | HM_RING_SC_DEQ};

/* A ring of 15 elements in 16 slots in mode `flags`, for one combination of forms. */
static struct hm_ring *
mode_ring(unsigned int flags, unsigned int e, unsigned int d)
{
	char name[HM_RING_NAMESIZE];
	struct hm_ring *r;

	snprintf(name, sizeof(name), "mode-%u-%u-%u", flags, e, d);
	r = hm_ring_create(name, 15, HM_SOCKET_ID_ANY, flags);
	ck_assert_msg(r != NULL, "%s: %s", name, strerror(errno));
	return r;
}

START_TEST(single_enqueue_and_dequeue_keep_fifo_order_in_every_mode)
{
	init_no_huge("64");
	for (unsigned int m = 0; m < HM_DIM(creation_modes); m++)
		for (unsigned int e = 0; e < HM_DIM(enqueue_forms); e++)
			for (unsigned int d = 0; d < HM_DIM(dequeue_forms); d++) {
				struct hm_ring *r = mode_ring(creation_modes[m], e, d);
				uint64_t in = 0, out = 0;
				void *p;

				/* Rounds of 1 to 15 elements: the slot index goes round. */
				for (unsigned int round = 0; round < 20; round++) {
					unsigned int n = 1 + (round * 7) % 15;

					for (unsigned int k = 0; k < n; k++)
						expect(enqueue_forms[e].one(r, val(in++)) == 0,
						       "%s on mode %u: refused with %u held",
						       enqueue_forms[e].name, creation_modes[m], k);
					check_counts(r, n);
					if (n == 15)
						ck_assert_int_eq(enqueue_forms[e].one(r, val(99)),
								 -ENOBUFS);
					for (unsigned int k = 0; k < n; k++) {
						int ret;

						p = NULL;
						ret = dequeue_forms[d].one(r, &p);
						expect(ret == 0 && p == val(out),
						       "%s/%s on mode %u: %d, got %p, not %p",
						       enqueue_forms[e].name, dequeue_forms[d].name,
						       creation_modes[m], ret, p, val(out));
						out++;
					}
					/* Empty: refused, and the out-pointer is left alone. */
					p = val(12345);
					ck_assert_int_eq(dequeue_forms[d].one(r, &p), -ENOENT);
					ck_assert_ptr_eq(p, val(12345));
					check_counts(r, 0);
				}
				/* Full to the last slot, then empty again. */
				for (unsigned int k = 0; k < 15; k++)
					ck_assert_int_eq(enqueue_forms[e].one(r, val(k)), 0);
				ck_assert(hm_ring_full(r));
				ck_assert_int_eq(enqueue_forms[e].one(r, val(15)), -ENOBUFS);
				check_counts(r, 15);
				for (unsigned int k = 0; k < 15; k++) {
					ck_assert_int_eq(dequeue_forms[d].one(r, &p), 0);
					ck_assert_ptr_eq(p, val(k));
				}
				ck_assert(hm_ring_empty(r));
				ck_assert_int_eq(hm_ring_free(r), 0);
			}
	hm_eal_cleanup();
}
END_TEST

static void
fill_ptrs(void **objs, unsigned int n, uint64_t first)
{
	for (unsigned int k = 0; k < n; k++)
		objs[k] = val(first + k);
}

/* objs[0..n) are elements first.. in order, and objs[n..32) still hold the canary. */
static void
check_ptrs(void *const *objs, unsigned int n, uint64_t first, const char *what)
{
	for (unsigned int k = 0; k < n; k++)
		expect(objs[k] == val(first + k), "%s: element %u is %p, not %p", what, k, objs[k],
		       val(first + k));
	for (unsigned int k = n; k < 32; k++)
		expect(objs[k] == val(0xdead), "%s: wrote past its %u elements, at %u", what, n, k);
}

static void
canary(void **objs)
{
	for (unsigned int k = 0; k < 32; k++)
		objs[k] = val(0xdead);
}

START_TEST(bulk_moves_all_or_nothing_and_reports_free_space_and_available)
{
	void *in[32], *out[32];

	init_no_huge("64");
	for (unsigned int m = 0; m < HM_DIM(creation_modes); m++)
		for (unsigned int e = 0; e < HM_DIM(enqueue_forms); e++)
			for (unsigned int d = 0; d < HM_DIM(dequeue_forms); d++) {
				struct hm_ring *r = mode_ring(creation_modes[m], e, d);
				enqueue_n_fn enq = enqueue_forms[e].bulk;
				dequeue_n_fn deq = dequeue_forms[d].bulk;
				unsigned int fs = 999, av = 999;

				/* capacity 15: 0, then 10, then 6 that do not fit, then 5 that do
				 */
				ck_assert_uint_eq(enq(r, in, 0, &fs), 0);
				ck_assert_uint_eq(fs, 15);
				fill_ptrs(in, 10, 0);
				ck_assert_uint_eq(enq(r, in, 10, &fs), 10);
				ck_assert_uint_eq(fs, 5);
				check_counts(r, 10);
				fill_ptrs(in, 6, 10);
				fs = 999;
				ck_assert_uint_eq(enq(r, in, 6, &fs), 0);
				ck_assert_uint_eq(fs, 5);
				check_counts(r, 10);
				ck_assert_uint_eq(enq(r, in, 5, NULL), 5);
				check_counts(r, 15);
				fs = 999;
				ck_assert_uint_eq(enq(r, in, 1, &fs), 0);
				ck_assert_uint_eq(fs, 0);

				/* 16 are not there; 7 are; 9 are not; 8 are */
				canary(out);
				ck_assert_uint_eq(deq(r, out, 16, &av), 0);
				ck_assert_uint_eq(av, 15);
				check_ptrs(out, 0, 0, "refused bulk dequeue");
				ck_assert_uint_eq(deq(r, out, 0, &av), 0);
				ck_assert_uint_eq(av, 15);
				ck_assert_uint_eq(deq(r, out, 7, &av), 7);
				ck_assert_uint_eq(av, 8);
				check_ptrs(out, 7, 0, dequeue_forms[d].name);
				check_counts(r, 8);
				canary(out);
				ck_assert_uint_eq(deq(r, out, 9, &av), 0);
				ck_assert_uint_eq(av, 8);
				check_ptrs(out, 0, 0, "refused bulk dequeue");
				ck_assert_uint_eq(deq(r, out, 8, NULL), 8);
				check_ptrs(out, 8, 7, dequeue_forms[d].name);
				check_counts(r, 0);
				av = 999;
				ck_assert_uint_eq(deq(r, out, 1, &av), 0);
				ck_assert_uint_eq(av, 0);

				/* The whole capacity in one call, across the end of the slots. */
				fill_ptrs(in, 15, 100);
				ck_assert_uint_eq(enq(r, in, 15, &fs), 15);
				ck_assert_uint_eq(fs, 0);
				ck_assert_uint_eq(enq(r, in, 1, NULL), 0);
				canary(out);
				ck_assert_uint_eq(deq(r, out, 15, &av), 15);
				ck_assert_uint_eq(av, 0);
				check_ptrs(out, 15, 100, "a full bulk");
				ck_assert_int_eq(hm_ring_free(r), 0);
			}
	hm_eal_cleanup();
}
END_TEST

START_TEST(burst_moves_as_many_as_fit_and_reports_free_space_and_available)
{
	void *in[32], *out[32];

	init_no_huge("64");
	for (unsigned int m = 0; m < HM_DIM(creation_modes); m++)
		for (unsigned int e = 0; e < HM_DIM(enqueue_forms); e++)
			for (unsigned int d = 0; d < HM_DIM(dequeue_forms); d++) {
				struct hm_ring *r = mode_ring(creation_modes[m], e, d);
				enqueue_n_fn enq = enqueue_forms[e].burst;
				dequeue_n_fn deq = dequeue_forms[d].burst;
				unsigned int fs = 999, av = 999;

				ck_assert_uint_eq(enq(r, in, 0, &fs), 0);
				ck_assert_uint_eq(fs, 15);
				fill_ptrs(in, 10, 0);
				ck_assert_uint_eq(enq(r, in, 10, &fs), 10);
				ck_assert_uint_eq(fs, 5);
				/* 8 offered, 5 fit: the first 5 */
				fill_ptrs(in, 8, 10);
				ck_assert_uint_eq(enq(r, in, 8, &fs), 5);
				ck_assert_uint_eq(fs, 0);
				check_counts(r, 15);
				fs = 999;
				ck_assert_uint_eq(enq(r, in, 3, &fs), 0);
				ck_assert_uint_eq(fs, 0);

				canary(out);
				ck_assert_uint_eq(deq(r, out, 0, &av), 0);
				ck_assert_uint_eq(av, 15);
				ck_assert_uint_eq(deq(r, out, 4, &av), 4);
				ck_assert_uint_eq(av, 11);
				check_ptrs(out, 4, 0, dequeue_forms[d].name);
				/* 20 asked, 11 there: the 11 */
				canary(out);
				ck_assert_uint_eq(deq(r, out, 20, &av), 11);
				ck_assert_uint_eq(av, 0);
				check_ptrs(out, 11, 4, dequeue_forms[d].name);
				check_counts(r, 0);
				canary(out);
				av = 999;
				ck_assert_uint_eq(deq(r, out, 5, &av), 0);
				ck_assert_uint_eq(av, 0);
				check_ptrs(out, 0, 0, "burst from an empty ring");

				/* And with NULL out-parameters, across the end of the slots. */
				fill_ptrs(in, 20, 200);
				ck_assert_uint_eq(enq(r, in, 20, NULL), 15);
				canary(out);
				ck_assert_uint_eq(deq(r, out, 32, NULL), 15);
				check_ptrs(out, 15, 200, "a full burst");
				ck_assert_int_eq(hm_ring_free(r), 0);
			}
	hm_eal_cleanup();
}
END_TEST

/*
 * Random rounds of enqueue and dequeue of 1 to 7 elements in every form, so
 * the ring is sometimes full, sometimes empty, and the slot index wraps. The
 * ring is checked against a model: next_in - next_out elements, in order.
 * @return the elements that went through.
 */
static uint64_t
wrap_rounds(struct hm_ring *r, unsigned int rounds, uint32_t seed)
{
	unsigned int cap = hm_ring_get_capacity(r);
	uint64_t next_in = 0, next_out = 0;
	void *in[32], *out[32];

	for (unsigned int round = 0; round < rounds; round++) {
		uint32_t rnd = next_rand(&seed);
		unsigned int n = 1 + rnd % 7, m = 1 + (rnd >> 3) % 7;
		unsigned int e = (rnd >> 6) % HM_DIM(enqueue_forms);
		unsigned int d = (rnd >> 8) % HM_DIM(dequeue_forms);
		unsigned int held = (unsigned int)(next_in - next_out), got, want, fs, av;
		bool burst = (rnd >> 10) & 1;

		fill_ptrs(in, n, next_in);
		got = burst ? enqueue_forms[e].burst(r, in, n, &fs)
			    : enqueue_forms[e].bulk(r, in, n, &fs);
		want = burst ? (n < cap - held ? n : cap - held) : (n <= cap - held ? n : 0);
		expect(got == want && fs == cap - held - got,
		       "round %u: %s %s of %u with %u of %u held: %u in, free_space %u", round,
		       enqueue_forms[e].name, burst ? "burst" : "bulk", n, held, cap, got, fs);
		next_in += got;
		held += got;
		check_counts(r, held);

		canary(out);
		burst = (rnd >> 11) & 1;
		got = burst ? dequeue_forms[d].burst(r, out, m, &av)
			    : dequeue_forms[d].bulk(r, out, m, &av);
		want = burst ? (m < held ? m : held) : (m <= held ? m : 0);
		expect(got == want && av == held - got,
		       "round %u: %s %s of %u with %u held: %u out, available %u", round,
		       dequeue_forms[d].name, burst ? "burst" : "bulk", m, held, got, av);
		check_ptrs(out, got, next_out, "wrap round");
		next_out += got;
		check_counts(r, held - got);
	}
	return next_in;
}

START_TEST(slot_indexes_wrap_many_times_with_odd_sizes_and_keep_fifo_order)
{
	struct hm_ring *r;

	init_no_huge("64");
	for (unsigned int m = 0; m < HM_DIM(creation_modes); m++) {
		r = hm_ring_create("wrap", 7, HM_SOCKET_ID_ANY, creation_modes[m]);
		ck_assert_ptr_nonnull(r);
		/* The slot index goes round many times. */
		ck_assert_uint_gt(wrap_rounds(r, 100000, 1 + m), 1000ull * hm_ring_get_size(r));
		ck_assert_int_eq(hm_ring_free(r), 0);
	}
	/* A capacity that is not slots - 1. */
	r = hm_ring_create("wrap-exact", 11, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_gt(wrap_rounds(r, 100000, 77), 1000ull * hm_ring_get_size(r));
	ck_assert_int_eq(hm_ring_free(r), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Put an empty ring's four counters, and the producers' copy of the consumer
 * tail, at `start`, as if 2^32 - n elements had gone through.
 */
static void
set_counters(struct hm_ring *r, uint32_t start)
{
	atomic_store(&r->prod.head, start);
	atomic_store(&r->prod.tail, start);
	atomic_store(&r->cons.head, start);
	atomic_store(&r->cons.tail, start);
	atomic_store(&r->prod.cons_tail, start);
}

START_TEST(the_32_bit_counters_wrap_without_losing_an_element)
{
	static const uint32_t starts[] = {UINT32_MAX - 40, UINT32_MAX - 5, UINT32_MAX, 0x7ffffffb};
	struct hm_ring *r;
	void *in[32], *out[32];
	unsigned int fs, av;

	init_no_huge("64");
	/*
	 * White box: moving 2^32 elements through is too slow for a test, so the
	 * counters of an empty ring are set just below the wrap. Counts, free
	 * space and order must not notice the counters going past 2^32.
	 */
	for (unsigned int s = 0; s < HM_DIM(starts); s++) {
		for (unsigned int m = 0; m < HM_DIM(creation_modes); m++) {
			r = hm_ring_create("wrap32", 15, HM_SOCKET_ID_ANY, creation_modes[m]);
			ck_assert_ptr_nonnull(r);
			set_counters(r, starts[s]);
			check_counts(r, 0);
			/* Full across the wrap: the tail has wrapped, the consumer's not yet. */
			fill_ptrs(in, 15, 0);
			ck_assert_uint_eq(hm_ring_enqueue_burst(r, in, 20, &fs), 15);
			ck_assert_uint_eq(fs, 0);
			check_counts(r, 15);
			ck_assert_int_eq(hm_ring_enqueue(r, val(99)), -ENOBUFS);
			canary(out);
			ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 6, &av), 6);
			ck_assert_uint_eq(av, 9);
			check_ptrs(out, 6, 0, "across the 32-bit wrap");
			check_counts(r, 9);
			canary(out);
			ck_assert_uint_eq(hm_ring_dequeue_burst(r, out, 32, &av), 9);
			check_ptrs(out, 9, 6, "across the 32-bit wrap");
			check_counts(r, 0);
			wrap_rounds(r, 2000, 5 + s);
			ck_assert_int_eq(hm_ring_free(r), 0);
		}
		/* The same for elements of 12 bytes in a ring whose capacity is not slots - 1. */
		r = hm_ring_create_elem("wrap32-elem", 12, 13, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
		ck_assert_ptr_nonnull(r);
		set_counters(r, starts[s]);
		for (unsigned int round = 0; round < 100; round++) {
			uint32_t e_in[13 * 3], e_out[13 * 3];
			unsigned int n = 1 + round % 13;

			for (unsigned int k = 0; k < n * 3; k++)
				e_in[k] = round * 1000 + k;
			ck_assert_uint_eq(hm_ring_enqueue_bulk_elem(r, e_in, 12, n, &fs), n);
			ck_assert_uint_eq(fs, 13 - n);
			ck_assert_uint_eq(hm_ring_count(r), n);
			ck_assert_uint_eq(hm_ring_dequeue_burst_elem(r, e_out, 12, 13, &av), n);
			ck_assert_uint_eq(av, 0);
			ck_assert_int_eq(memcmp(e_in, e_out, (size_t)n * 12), 0);
		}
		ck_assert_int_eq(hm_ring_free(r), 0);
	}
	hm_eal_cleanup();
}
END_TEST

START_TEST(reset_empties_a_ring)
{
	struct hm_ring *r;
	void *in[32], *out[32];

	init_no_huge("64");
	r = hm_ring_create("reset", 31, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(r);
	fill_ptrs(in, 20, 0);
	ck_assert_uint_eq(hm_ring_enqueue_bulk(r, in, 20, NULL), 20);
	ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 3, NULL), 3);
	check_counts(r, 17);
	hm_ring_reset(r);
	check_counts(r, 0);
	ck_assert_int_eq(hm_ring_dequeue(r, &out[0]), -ENOENT);
	/* All of the capacity is there again, and the order starts afresh. */
	fill_ptrs(in, 31, 500);
	ck_assert_uint_eq(hm_ring_enqueue_bulk(r, in, 31, NULL), 31);
	check_counts(r, 31);
	canary(out);
	ck_assert_uint_eq(hm_ring_dequeue_burst(r, out, 31, NULL), 31);
	for (unsigned int k = 0; k < 31; k++)
		ck_assert_ptr_eq(out[k], val(500 + k));
	check_counts(r, 0);
	ck_assert_int_eq(hm_ring_free(r), 0);
	hm_eal_cleanup();
}
END_TEST

/*
 * Producers reserve against the consumer tail as they last read it
 * (prod.cons_tail), and read the real one only when that is short. Every
 * way the copy can be behind must still give the room the ring has, and
 * never more: behind after the consumer freed slots, behind by more than
 * the capacity, and left behind by the other producer forms, near the
 * 32-bit wrap or not. The forms are called with no free_space, the case
 * that uses the copy. `cap` is the ring's capacity, at most 15.
 */
static void
check_cons_tail_copy(struct hm_ring *r, unsigned int cap, uint32_t *seed)
{
	void *in[32], *out[32];
	uint64_t next_in = 0, next_out = 0;

	for (unsigned int e = 0; e < HM_DIM(enqueue_forms); e++) {
		/* Full: the copy says so. The consumer frees 5: they are there. */
		fill_ptrs(in, cap, 0);
		ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, cap, NULL), cap);
		ck_assert_int_eq(enqueue_forms[e].one(r, val(99)), -ENOBUFS);
		ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 5, NULL), 5);
		ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, 6, NULL), 0);
		ck_assert_uint_eq(enqueue_forms[e].burst(r, in, 6, NULL), 5);
		check_counts(r, cap);
		ck_assert_uint_eq(hm_ring_dequeue_burst(r, out, 32, NULL), cap);
		check_counts(r, 0);

		/* A copy older than the head by more than the capacity: read again. */
		atomic_store(&r->prod.cons_tail, atomic_load(&r->prod.head) - cap - 3);
		ck_assert_uint_eq(enqueue_forms[e].burst(r, in, 20, NULL), cap);
		check_counts(r, cap);
		ck_assert_int_eq(enqueue_forms[e].one(r, val(99)), -ENOBUFS);
		ck_assert_uint_eq(atomic_load(&r->prod.cons_tail), atomic_load(&r->cons.tail));
		/* One that is older but in range gives less room, never more. */
		ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, cap, NULL), cap);
		atomic_store(&r->prod.cons_tail, atomic_load(&r->cons.tail) - 4);
		ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, cap, NULL), cap);
		check_counts(r, cap);
		ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, cap, NULL), cap);
		/* With room in the copy, the consumer's tail is not read: the copy stays. */
		atomic_store(&r->prod.cons_tail, atomic_load(&r->cons.tail) - 4);
		ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, 2, NULL), 2);
		ck_assert_uint_eq(atomic_load(&r->prod.cons_tail), atomic_load(&r->cons.tail) - 4);
		ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 2, NULL), 2);
	}
	/* All forms mixed, by one thread, with no free_space: order and counts hold. */
	for (unsigned int round = 0; round < 3000; round++) {
		uint32_t rnd = next_rand(seed);
		unsigned int n = 1 + rnd % 9, k = 1 + (rnd >> 4) % 9;
		unsigned int e = (rnd >> 8) % HM_DIM(enqueue_forms);
		unsigned int held = (unsigned int)(next_in - next_out), got, want;
		bool burst = (rnd >> 12) & 1;

		fill_ptrs(in, n, next_in);
		got = burst ? enqueue_forms[e].burst(r, in, n, NULL)
			    : enqueue_forms[e].bulk(r, in, n, NULL);
		want = burst ? (n < cap - held ? n : cap - held) : (n <= cap - held ? n : 0);
		expect(got == want, "round %u: %s %s of %u with %u of %u held: %u in", round,
		       enqueue_forms[e].name, burst ? "burst" : "bulk", n, held, cap, got);
		next_in += got;
		check_counts(r, held + got);
		if ((rnd >> 13) % 3 == 0)
			continue; /* let it fill now and then */
		canary(out);
		got = hm_ring_dequeue_burst(r, out, k, NULL);
		check_ptrs(out, got, next_out, "mixed forms");
		next_out += got;
	}
	ck_assert_uint_eq(hm_ring_dequeue_burst(r, out, 32, NULL), next_in - next_out);
	/* Full, reset: the whole capacity is there again. */
	fill_ptrs(in, cap, 0);
	ck_assert_uint_eq(hm_ring_enqueue_bulk(r, in, cap, NULL), cap);
	hm_ring_reset(r);
	ck_assert_uint_eq(hm_ring_enqueue_bulk(r, in, cap, NULL), cap);
	ck_assert_int_eq(hm_ring_enqueue(r, val(99)), -ENOBUFS);
	hm_ring_reset(r);
}

/*
 * Ring r, of capacity cap (at least 64), empty, its counters at start: fill
 * it to two short of full through form e, free 3, and put 4 in: the copy
 * runs short and the tail leaves 5 free. Several producers then leave the
 * copy (a locked write for 5 slots), one producer rewrites it. The copy of
 * several is then more than the capacity behind the head: after 2 out, the
 * next put rewrites it.
 */
static void
check_copy_rule(struct hm_ring *r, unsigned int cap, unsigned int e, bool several)
{
	void *in[32], *out[32];
	unsigned int held = 0;
	uint32_t copy;

	fill_ptrs(in, 32, 0);
	while (held < cap - 2) {
		unsigned int n = cap - 2 - held < 32 ? cap - 2 - held : 32;

		ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, n, NULL), n);
		held += n;
	}
	ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 3, NULL), 3);
	copy = atomic_load(&r->prod.cons_tail);
	ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, 4, NULL), 4);
	check_counts(r, cap - 1);
	if (several)
		ck_assert_uint_eq(atomic_load(&r->prod.cons_tail), copy);
	else
		ck_assert_uint_eq(atomic_load(&r->prod.cons_tail), atomic_load(&r->cons.tail));
	ck_assert_uint_eq(hm_ring_dequeue_bulk(r, out, 2, NULL), 2);
	ck_assert_uint_eq(enqueue_forms[e].bulk(r, in, 1, NULL), 1);
	/* The one producer's copy has room for it and stays. */
	ck_assert_uint_eq(atomic_load(&r->prod.cons_tail),
			  atomic_load(&r->cons.tail) - (several ? 0 : 2));
	check_counts(r, cap - 2);
	while (hm_ring_dequeue_burst(r, out, 32, NULL) != 0)
		;
	check_counts(r, 0);
}

START_TEST(several_producers_store_their_copy_only_when_it_buys_room_or_has_fallen_behind)
{
	static const uint32_t starts[] = {0, UINT32_MAX - 700};
	struct hm_ring *r;

	init_no_huge("64");
	for (unsigned int s = 0; s < HM_DIM(starts); s++)
		for (unsigned int e = 0; e < HM_DIM(enqueue_forms); e++) {
			/* "enqueue" takes the ring's mode: several producers on a ring made without
			 * flags. */
			bool several = strcmp(enqueue_forms[e].name, "sp_enqueue") != 0;

			r = hm_ring_create("copy-rule", 1023, HM_SOCKET_ID_ANY, 0);
			ck_assert_ptr_nonnull(r);
			set_counters(r, starts[s]);
			check_copy_rule(r, 1023, e, several);
			ck_assert_int_eq(hm_ring_free(r), 0);
		}
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_producers_copy_of_the_consumer_tail_neither_hides_room_nor_invents_it)
{
	static const uint32_t starts[] = {0, UINT32_MAX - 7};
	struct hm_ring *r;
	uint32_t seed = 77;

	init_no_huge("64");
	for (unsigned int s = 0; s < HM_DIM(starts); s++) {
		for (unsigned int m = 0; m < HM_DIM(creation_modes); m++) {
			r = hm_ring_create("cons-tail", 15, HM_SOCKET_ID_ANY, creation_modes[m]);
			ck_assert_ptr_nonnull(r);
			set_counters(r, starts[s]);
			check_cons_tail_copy(r, 15, &seed);
			ck_assert_int_eq(hm_ring_free(r), 0);
		}
		/* A capacity below the slots minus one. */
		r = hm_ring_create("cons-tail-x", 11, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
		ck_assert_ptr_nonnull(r);
		set_counters(r, starts[s]);
		check_cons_tail_copy(r, 11, &seed);
		ck_assert_int_eq(hm_ring_free(r), 0);
	}
	hm_eal_cleanup();
}
END_TEST

/* ============================================== element rings */

/* Byte `off` of element `seq` of a ring of esize bytes: no two elements alike. */
static uint8_t
elem_byte(unsigned int esize, uint64_t seq, unsigned int off)
{
	return (uint8_t)(seq * 131u + off * 7u + esize + (seq >> 8));
}

static void
fill_elems(uint8_t *buf, unsigned int esize, unsigned int n, uint64_t first)
{
	for (unsigned int k = 0; k < n; k++)
		for (unsigned int off = 0; off < esize; off++)
			buf[(size_t)k * esize + off] = elem_byte(esize, first + k, off);
}

#define GUARD_BYTE 0xee

/* buf holds elements first.. exactly, and not one byte was written after them. */
static void
check_elems(const uint8_t *buf, size_t buflen, unsigned int esize, unsigned int n, uint64_t first)
{
	static uint8_t want[64 * 64 + 64];
	size_t len = (size_t)n * esize;

	ck_assert_uint_le(buflen, sizeof(want));
	fill_elems(want, esize, n, first);
	memset(want + len, GUARD_BYTE, buflen - len);
	if (memcmp(buf, want, buflen) == 0)
		return;
	for (size_t i = 0; i < buflen; i++)
		expect(buf[i] == want[i],
		       "esize %u, %u elements out: byte %zu (element %lu byte %zu) is 0x%02x, "
		       "not 0x%02x",
		       esize, n, i, (unsigned long)(first + i / esize), i % esize, buf[i], want[i]);
}

/* Random rounds on an element ring against the model, every form of the element API. */
static void
elem_rounds(struct hm_ring *r, unsigned int esize, unsigned int rounds, uint32_t seed)
{
	static uint8_t in[32 * 64], out[32 * 64 + 64];
	unsigned int cap = hm_ring_get_capacity(r);
	uint64_t next_in = 0, next_out = 0;

	for (unsigned int round = 0; round < rounds; round++) {
		uint32_t rnd = next_rand(&seed);
		unsigned int n = 1 + rnd % 31, m = 1 + (rnd >> 5) % 31, how = (rnd >> 10) % 3;
		unsigned int held = (unsigned int)(next_in - next_out), got, want, fs = 0, av = 0;

		fill_elems(in, esize, n, next_in);
		if (how == 0) {
			got = hm_ring_enqueue_bulk_elem(r, in, esize, n, &fs);
			want = n <= cap - held ? n : 0;
		} else if (how == 1) {
			got = hm_ring_enqueue_burst_elem(r, in, esize, n, &fs);
			want = n < cap - held ? n : cap - held;
		} else {
			got = hm_ring_enqueue_elem(r, in, esize) == 0;
			want = held < cap;
			fs = cap - held - got; /* the single form does not say */
		}
		expect(got == want && fs == cap - held - got,
		       "esize %u round %u: enqueue form %u of %u with %u of %u held: %u in, "
		       "free_space %u",
		       esize, round, how, n, held, cap, got, fs);
		next_in += got;
		held += got;
		expect(hm_ring_count(r) == held, "esize %u round %u: count %u, not %u", esize,
		       round, hm_ring_count(r), held);

		memset(out, GUARD_BYTE, sizeof(out));
		how = (rnd >> 12) % 3;
		if (how == 0) {
			got = hm_ring_dequeue_bulk_elem(r, out, esize, m, &av);
			want = m <= held ? m : 0;
		} else if (how == 1) {
			got = hm_ring_dequeue_burst_elem(r, out, esize, m, &av);
			want = m < held ? m : held;
		} else {
			got = hm_ring_dequeue_elem(r, out, esize) == 0;
			want = held > 0;
			av = held - got;
		}
		expect(
		    got == want && av == held - got,
		    "esize %u round %u: dequeue form %u of %u with %u held: %u out, available %u",
		    esize, round, how, m, held, got, av);
		check_elems(out, sizeof(out), esize, got, next_out);
		next_out += got;
		expect(hm_ring_count(r) == held - got, "esize %u round %u: count %u, not %u", esize,
		       round, hm_ring_count(r), held - got);
	}
	ck_assert_uint_gt(next_in, 100ull * hm_ring_get_size(r));
}

START_TEST(element_rings_of_4_to_64_bytes_copy_exactly_their_bytes)
{
	static const unsigned int esizes[] = {4, 8, 12, 16, 20, 64};
	static uint8_t in[64 * 64], out[64 * 64 + 64];
	char name[HM_RING_NAMESIZE];
	struct hm_ring *r;
	unsigned int fs, av;

	init_no_huge("64");
	for (unsigned int i = 0; i < HM_DIM(esizes); i++) {
		unsigned int esize = esizes[i];

		for (unsigned int exact = 0; exact < 2; exact++) {
			unsigned int count = exact ? 37 : 63;
			unsigned int flags = exact ? HM_RING_EXACT_SZ : 0;
			unsigned int cap = exact ? 37 : 63;

			snprintf(name, sizeof(name), "elem-%u-%u", esize, exact);
			r = hm_ring_create_elem(name, esize, count, HM_SOCKET_ID_ANY, flags);
			ck_assert_msg(r != NULL, "%s: %s", name, strerror(errno));
			check_geometry(r, esize, count, flags);

			/* The whole capacity in one bulk, then out in one burst. */
			fill_elems(in, esize, cap, 0);
			ck_assert_uint_eq(hm_ring_enqueue_bulk_elem(r, in, esize, cap + 1, &fs), 0);
			ck_assert_uint_eq(fs, cap);
			ck_assert_uint_eq(hm_ring_enqueue_bulk_elem(r, in, esize, cap, &fs), cap);
			ck_assert_uint_eq(fs, 0);
			ck_assert(hm_ring_full(r));
			ck_assert_int_eq(hm_ring_enqueue_elem(r, in, esize), -ENOBUFS);
			memset(out, GUARD_BYTE, sizeof(out));
			ck_assert_uint_eq(hm_ring_dequeue_burst_elem(r, out, esize, 64, &av), cap);
			ck_assert_uint_eq(av, 0);
			check_elems(out, sizeof(out), esize, cap, 0);
			memset(out, GUARD_BYTE, sizeof(out));
			ck_assert_int_eq(hm_ring_dequeue_elem(r, out, esize), -ENOENT);
			check_elems(out, sizeof(out), esize, 0, 0);

			/* Then random rounds that cut the copies at the end of the slots. */
			elem_rounds(r, esize, 10000, 3 + i * 2 + exact);
			ck_assert_int_eq(hm_ring_free(r), 0);
		}
	}

	/* A ring of pointers is a ring of 8-byte elements: both APIs agree. */
	r = hm_ring_create("ptr-as-elem", 16, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(r);
	{
		void *p = val(42), *q = NULL;
		uint64_t word = 0;

		ck_assert_int_eq(hm_ring_enqueue(r, p), 0);
		ck_assert_int_eq(hm_ring_dequeue_elem(r, &word, 8), 0);
		ck_assert_uint_eq(word, (uintptr_t)val(42));
		ck_assert_int_eq(hm_ring_enqueue_elem(r, &word, 8), 0);
		ck_assert_int_eq(hm_ring_dequeue(r, &q), 0);
		ck_assert_ptr_eq(q, val(42));
	}
	ck_assert_int_eq(hm_ring_free(r), 0);
	hm_eal_cleanup();
}
END_TEST

/* ============================================== threads */

#define STRESS_MAX_THREADS 4
#define STRESS_BURST	   32
/* How long nothing may move anywhere before a thread gives up: a stall, not a total. */
#define STRESS_TIMEOUT_MS 60000

/*
 * How hard the threaded tests push. Natively, each thread must run long
 * enough to be preempted many times inside its own operations and to run
 * beside the others on both CPUs: with a few hundred thousand elements
 * every thread was done within one time slice, and a ring whose tail
 * update did not wait for earlier producers passed. Two million elements
 * take a fraction of a second.
 *
 * ThreadSanitizer checks the order of every access, so a short run proves
 * there what a long one does. But under it every atomic access goes through
 * its runtime, the window between moving a head and moving the tail grows,
 * and a thread preempted inside it holds up the threads spinning behind it
 * for whole time slices: four producers and four consumers on two CPUs took
 * up to a minute. So: fewer threads, fewer elements.
 */
#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif
#ifdef STRESS_TSAN
#define STRESS_THREADS	     2	    /* producers, and as many consumers */
#define STRESS_ELEMENTS	     100000 /* per producer */
#define STRESS_SPSC_ELEMENTS 200000
#else
#define STRESS_THREADS	     4
#define STRESS_ELEMENTS	     500000
#define STRESS_SPSC_ELEMENTS 2000000
#endif

/* A 16-byte element: the value, and a check word that a torn copy would not match. */
struct elem16 {
	uint64_t value;
	uint64_t check;
};

static uint64_t
encode(unsigned int producer, uint32_t seq)
{
	return ((uint64_t)(producer + 1) << 32) | seq;
}

static uint64_t
elem16_check(uint64_t value)
{
	return ~value * 0x9e3779b97f4a7c15ull;
}

/* One ring, its threads and the record of what arrived. */
struct stress {
	struct hm_ring *ring;
	unsigned int esize; /* sizeof(void *): the pointer API; 16: struct elem16 */
	bool single;	    /* one thread per side: the forced forms are sp_/sc_, else mp_/mc_ */
	unsigned int producers, consumers;
	uint32_t per_producer;
	uint64_t total;
	atomic_uchar *seen; /* [producer * per_producer + seq]: times it arrived */
	atomic_uint_fast64_t consumed;
	atomic_int go;
};

/* A thread's part. The counts are its own, read by the main thread after the join. */
struct worker {
	struct stress *s;
	bool producer;
	unsigned int id;
	uint32_t seed;
	uint64_t moved;
	uint64_t idle_polls;	/* calls that moved nothing */
	uint64_t bad_value;	/* a value no producer sent */
	uint64_t out_of_order;	/* a producer's sequence went back or repeated */
	uint64_t torn;		/* a 16-byte element whose halves do not belong together */
	uint64_t over_capacity; /* free_space or available above the capacity */
	bool timed_out;
	uint64_t stalled_since; /* ms since when nothing moved; 0 while things move */
	uint64_t consumed_seen; /* s->consumed when last looked at */
	uint64_t first_bad;	/* the first bad value, for the message */
};

/* Put up to n of producer `id`'s values from seq into buf, in the ring's element type. */
static void
stress_fill(const struct stress *s, void *buf, unsigned int id, uint32_t seq, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		uint64_t v = encode(id, seq + k);

		if (s->esize == sizeof(void *)) {
			((void **)buf)[k] = (void *)(uintptr_t)v;
		} else {
			((struct elem16 *)buf)[k].value = v;
			((struct elem16 *)buf)[k].check = elem16_check(v);
		}
	}
}

/* Enqueue up to n with a form picked by `pick`; @return how many went in. */
static unsigned int
stress_enqueue(const struct stress *s, const void *buf, unsigned int n, uint32_t pick,
	       unsigned int *fs)
{
	struct hm_ring *r = s->ring;
	void *const *objs = buf;

	if (s->esize != sizeof(void *)) {
		switch (pick % 3) {
		case 0:
			return hm_ring_enqueue_bulk_elem(r, buf, 16, n, fs);
		case 1:
			return hm_ring_enqueue_burst_elem(r, buf, 16, n, fs);
		default:
			return hm_ring_enqueue_elem(r, buf, 16) == 0;
		}
	}
	switch (pick % 6) {
	case 0:
		return hm_ring_enqueue_bulk(r, objs, n, fs);
	case 1:
		return hm_ring_enqueue_burst(r, objs, n, fs);
	case 2:
		return hm_ring_enqueue(r, objs[0]) == 0;
	case 3:
		return s->single ? hm_ring_sp_enqueue_bulk(r, objs, n, fs)
				 : hm_ring_mp_enqueue_bulk(r, objs, n, fs);
	case 4:
		return s->single ? hm_ring_sp_enqueue_burst(r, objs, n, fs)
				 : hm_ring_mp_enqueue_burst(r, objs, n, fs);
	default:
		return (s->single ? hm_ring_sp_enqueue(r, objs[0])
				  : hm_ring_mp_enqueue(r, objs[0])) == 0;
	}
}

/* Dequeue up to n with a form picked by `pick`; @return how many came out. */
static unsigned int
stress_dequeue(const struct stress *s, void *buf, unsigned int n, uint32_t pick, unsigned int *av)
{
	struct hm_ring *r = s->ring;
	void **objs = buf;

	if (s->esize != sizeof(void *)) {
		switch (pick % 3) {
		case 0:
			return hm_ring_dequeue_bulk_elem(r, buf, 16, n, av);
		case 1:
			return hm_ring_dequeue_burst_elem(r, buf, 16, n, av);
		default:
			return hm_ring_dequeue_elem(r, buf, 16) == 0;
		}
	}
	switch (pick % 6) {
	case 0:
		return hm_ring_dequeue_bulk(r, objs, n, av);
	case 1:
		return hm_ring_dequeue_burst(r, objs, n, av);
	case 2:
		return hm_ring_dequeue(r, &objs[0]) == 0;
	case 3:
		return s->single ? hm_ring_sc_dequeue_bulk(r, objs, n, av)
				 : hm_ring_mc_dequeue_bulk(r, objs, n, av);
	case 4:
		return s->single ? hm_ring_sc_dequeue_burst(r, objs, n, av)
				 : hm_ring_mc_dequeue_burst(r, objs, n, av);
	default:
		return (s->single ? hm_ring_sc_dequeue(r, &objs[0])
				  : hm_ring_mc_dequeue(r, &objs[0])) == 0;
	}
}

static void
wait_for_go(struct stress *s)
{
	while (!atomic_load(&s->go))
		sched_yield();
}

/*
 * Nothing moved: let the other side run (two CPUs for up to eight threads).
 * @return false once nothing at all has moved for STRESS_TIMEOUT_MS: the
 * ring is stuck. A slow machine (a shared CI host, 4+4 threads on 2 CPUs)
 * may take longer than that in total and still be making progress.
 */
static bool
stress_idle(struct worker *w)
{
	uint64_t consumed = atomic_load(&w->s->consumed);

	w->idle_polls++;
	if (consumed != w->consumed_seen) { /* another thread moved some */
		w->consumed_seen = consumed;
		w->stalled_since = 0;
	}
	if ((w->idle_polls & 1023) == 0) {
		uint64_t now = now_ms();

		if (w->stalled_since == 0) {
			w->stalled_since = now;
		} else if (now - w->stalled_since > STRESS_TIMEOUT_MS) {
			w->timed_out = true;
			return false;
		}
	}
	sched_yield();
	return true;
}

static void
producer_run(struct worker *w)
{
	struct stress *s = w->s;
	unsigned int cap = hm_ring_get_capacity(s->ring);
	struct elem16 buf[STRESS_BURST]; /* room for STRESS_BURST pointers as well */
	uint32_t seq = 0;

	wait_for_go(s);
	while (seq < s->per_producer) {
		uint32_t rnd = next_rand(&w->seed);
		unsigned int n = 1 + rnd % STRESS_BURST, fs = 0, got;

		if (n > s->per_producer - seq)
			n = s->per_producer - seq;
		stress_fill(s, buf, w->id, seq, n);
		/* Half the calls without free_space: producers then use their copy
		 * of the consumer tail; with it they read the tail itself. */
		got = stress_enqueue(s, buf, n, rnd >> 8, (rnd >> 20) & 1 ? &fs : NULL);
		if (fs > cap)
			w->over_capacity++;
		seq += got;
		w->moved += got;
		if (got != 0)
			w->stalled_since = 0;
		else if (!stress_idle(w))
			return;
	}
}

/* One value arrived at consumer w, which saw producer p's sequence up to last[p]. */
static void
consumer_take(struct worker *w, uint64_t v, int64_t *last)
{
	struct stress *s = w->s;
	uint64_t producer = (v >> 32) - 1;
	uint32_t seq = (uint32_t)v;

	if ((v >> 32) == 0 || producer >= s->producers || seq >= s->per_producer) {
		if (w->bad_value++ == 0)
			w->first_bad = v;
		return;
	}
	if ((int64_t)seq <= last[producer] && w->out_of_order++ == 0)
		w->first_bad = v;
	last[producer] = seq;
	atomic_fetch_add_explicit(&s->seen[producer * s->per_producer + seq], 1,
				  memory_order_relaxed);
}

static void
consumer_run(struct worker *w)
{
	struct stress *s = w->s;
	unsigned int cap = hm_ring_get_capacity(s->ring);
	struct elem16 buf[STRESS_BURST];
	int64_t last[STRESS_MAX_THREADS];

	for (unsigned int p = 0; p < STRESS_MAX_THREADS; p++)
		last[p] = -1;
	wait_for_go(s);
	for (;;) {
		uint32_t rnd = next_rand(&w->seed);
		unsigned int n = 1 + rnd % STRESS_BURST, av = 0, got;

		got = stress_dequeue(s, buf, n, rnd >> 8, &av);
		if (av > cap)
			w->over_capacity++;
		for (unsigned int k = 0; k < got; k++) {
			uint64_t v;

			if (s->esize == sizeof(void *)) {
				v = (uintptr_t)((void **)(void *)buf)[k];
			} else {
				v = buf[k].value;
				if (buf[k].check != elem16_check(v) && w->torn++ == 0)
					w->first_bad = v;
			}
			consumer_take(w, v, last);
		}
		if (got != 0) {
			w->moved += got;
			atomic_fetch_add(&s->consumed, got);
			w->stalled_since = 0;
			continue;
		}
		if (atomic_load(&s->consumed) == s->total)
			return;
		if (!stress_idle(w))
			return;
	}
}

static void *
stress_thread(void *arg)
{
	struct worker *w = arg;

	if (w->producer)
		producer_run(w);
	else
		consumer_run(w);
	return NULL;
}

/*
 * Run s->producers and s->consumers threads on s->ring until every value
 * has arrived, then check that each arrived exactly once and in order. The
 * EAL pinned this thread to lcore 0's CPU; the workers may run on any CPU.
 */
static void
run_stress(struct stress *s)
{
	struct worker w[2 * STRESS_MAX_THREADS];
	pthread_t tid[2 * STRESS_MAX_THREADS];
	unsigned int nthreads = s->producers + s->consumers;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t consumed = 0, producer_waits = 0, consumer_waits = 0, start;
	pthread_attr_t attr;
	cpu_set_t all;

	ck_assert_uint_le(s->producers, STRESS_MAX_THREADS);
	ck_assert_uint_le(s->consumers, STRESS_MAX_THREADS);
	s->total = (uint64_t)s->producers * s->per_producer;
	s->seen = calloc(s->total, sizeof(*s->seen));
	ck_assert_ptr_nonnull(s->seen);
	atomic_store(&s->consumed, 0);
	atomic_store(&s->go, 0);

	CPU_ZERO(&all);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setaffinity_np(&attr, sizeof(all), &all), 0);
	for (unsigned int i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].producer = i < s->producers;
		w[i].id = w[i].producer ? i : i - s->producers;
		w[i].seed = 0x9e3779b9u * (i + 1);
		ck_assert_int_eq(pthread_create(&tid[i], &attr, stress_thread, &w[i]), 0);
	}
	pthread_attr_destroy(&attr);
	start = now_ms();
	atomic_store(&s->go, 1);
	for (unsigned int i = 0; i < nthreads; i++)
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
	/* How often each side found the ring full or empty: proof that they met. */
	for (unsigned int i = 0; i < nthreads; i++)
		*(w[i].producer ? &producer_waits : &consumer_waits) += w[i].idle_polls;
	printf("ring %s: %u+%u threads, %lu elements in %lu ms; full %lu times, empty %lu\n",
	       s->ring->name, s->producers, s->consumers, (unsigned long)s->total,
	       (unsigned long)(now_ms() - start), (unsigned long)producer_waits,
	       (unsigned long)consumer_waits);

	for (unsigned int i = 0; i < nthreads; i++) {
		const char *role = w[i].producer ? "producer" : "consumer";

		ck_assert_msg(!w[i].timed_out,
			      "%s %u gave up after %lu elements: nothing moved for %d ms", role,
			      w[i].id, (unsigned long)w[i].moved, STRESS_TIMEOUT_MS);
		ck_assert_msg(w[i].bad_value == 0,
			      "consumer %u: %lu values no producer sent (0x%lx)", w[i].id,
			      (unsigned long)w[i].bad_value, (unsigned long)w[i].first_bad);
		ck_assert_msg(w[i].out_of_order == 0,
			      "consumer %u: %lu values out of their producer's order (first 0x%lx)",
			      w[i].id, (unsigned long)w[i].out_of_order,
			      (unsigned long)w[i].first_bad);
		ck_assert_msg(w[i].torn == 0, "consumer %u: %lu torn elements (first 0x%lx)",
			      w[i].id, (unsigned long)w[i].torn, (unsigned long)w[i].first_bad);
		ck_assert_msg(w[i].over_capacity == 0,
			      "%s %u: free_space/available above the capacity %lu times", role,
			      w[i].id, (unsigned long)w[i].over_capacity);
		if (w[i].producer)
			ck_assert_uint_eq(w[i].moved, s->per_producer);
		else
			consumed += w[i].moved;
	}
	ck_assert_uint_eq(consumed, s->total);
	for (uint64_t i = 0; i < s->total; i++)
		expect(atomic_load(&s->seen[i]) == 1, "producer %lu's element %lu arrived %u times",
		       (unsigned long)(i / s->per_producer), (unsigned long)(i % s->per_producer),
		       atomic_load(&s->seen[i]));
	check_counts(s->ring, 0);
	free(s->seen);
}

START_TEST(producers_and_consumers_on_an_mp_mc_ring_move_every_element_once_in_order)
{
	static struct stress s;

	init_no_huge("64");
	/* A small ring, so that it is often full and often empty. */
	s.ring = hm_ring_create("stress-mpmc", 255, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(s.ring);
	s.esize = sizeof(void *);
	s.single = false;
	s.producers = STRESS_THREADS;
	s.consumers = STRESS_THREADS;
	s.per_producer = STRESS_ELEMENTS;
	run_stress(&s);
	ck_assert_int_eq(hm_ring_free(s.ring), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(one_producer_and_one_consumer_on_an_sp_sc_ring_move_every_element_once_in_order)
{
	static struct stress s;

	init_no_huge("64");
	s.ring =
	    hm_ring_create("stress-spsc", 63, HM_SOCKET_ID_ANY, HM_RING_SP_ENQ | HM_RING_SC_DEQ);
	ck_assert_ptr_nonnull(s.ring);
	s.esize = sizeof(void *);
	s.single = true;
	s.producers = 1;
	s.consumers = 1;
	s.per_producer = STRESS_SPSC_ELEMENTS;
	run_stress(&s);
	ck_assert_int_eq(hm_ring_free(s.ring), 0);

	/* Forced sp_/sc_ forms on a ring made for several threads, one thread a side. */
	s.ring = hm_ring_create("stress-forced", 63, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(s.ring);
	s.per_producer = STRESS_SPSC_ELEMENTS / 2;
	run_stress(&s);
	ck_assert_int_eq(hm_ring_free(s.ring), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(producers_and_consumers_of_16_byte_elements_never_see_a_torn_element)
{
	static struct stress s;

	init_no_huge("64");
	/* An exact capacity, so the free-space arithmetic is not slots - 1 either. */
	s.ring = hm_ring_create_elem("stress-elem16", 16, 100, HM_SOCKET_ID_ANY, HM_RING_EXACT_SZ);
	ck_assert_ptr_nonnull(s.ring);
	s.esize = 16;
	s.single = false;
	s.producers = STRESS_THREADS;
	s.consumers = STRESS_THREADS;
	s.per_producer = STRESS_ELEMENTS / 2;
	run_stress(&s);
	ck_assert_int_eq(hm_ring_free(s.ring), 0);
	hm_eal_cleanup();
}
END_TEST

/* ============================================== another process */

/*
 * The cross-process test. The primary creates XP_DATA (MP/MC). Two
 * secondaries run hm_test_ring_helper, told what to do by environment
 * variables (see ring_helper.c): one produces XP_N values as producer 1;
 * the other creates XP_SEEN, puts the address at which it found XP_DATA
 * there, then forwards every value it takes from XP_DATA to XP_SEEN in the
 * order it took them. The primary produces XP_N values as producer 0 on its
 * main thread and consumes on a thread of its own. Once both producers are
 * done it enqueues XP_END; a consumer that takes XP_END puts it back and
 * stops, so the last XP_END is left in the ring. The primary then checks
 * both consumers' streams.
 */
#define XP_DATA "xp-data"
#define XP_SEEN "xp-seen"
#define XP_N	100000u
#define XP_END	UINT64_MAX /* no producer's value: its producer field is all ones */

struct xp_consumer {
	struct hm_ring *ring;
	uint64_t *stream; /* what it took, in order */
	size_t len, max;
	bool timed_out;
};

static void *
xp_consume(void *arg)
{
	struct xp_consumer *c = arg;
	uint64_t start = now_ms();
	uint32_t seed = 99;
	void *objs[STRESS_BURST];

	for (;;) {
		uint32_t rnd = next_rand(&seed);
		unsigned int n = 1 + rnd % STRESS_BURST, got;

		got = (rnd >> 8) & 1 ? hm_ring_dequeue_burst(c->ring, objs, n, NULL)
				     : hm_ring_mc_dequeue_burst(c->ring, objs, n, NULL);
		for (unsigned int k = 0; k < got; k++) {
			uint64_t v = (uintptr_t)objs[k];

			if (v == XP_END) {
				while (hm_ring_mp_enqueue(c->ring, objs[k]) != 0)
					sched_yield();
				return NULL;
			}
			if (c->len < c->max)
				c->stream[c->len++] = v;
		}
		if (got != 0) {
			start = now_ms(); /* a stall, not the total, times out */
		} else {
			if (now_ms() - start > STRESS_TIMEOUT_MS) {
				c->timed_out = true;
				return NULL;
			}
			sched_yield();
		}
	}
}

/*
 * Check consumer streams: each producer's sequence strictly increasing in
 * each stream, and every value of `producers` x `per_producer` in exactly
 * one stream, once.
 */
static void
check_streams(uint64_t *const *streams, const size_t *lens, unsigned int nstreams,
	      unsigned int producers, uint32_t per_producer)
{
	uint8_t *seen = calloc((size_t)producers * per_producer, 1);
	size_t total = 0;

	ck_assert_ptr_nonnull(seen);
	for (unsigned int i = 0; i < nstreams; i++) {
		int64_t last[8];

		for (unsigned int p = 0; p < 8; p++)
			last[p] = -1;
		for (size_t k = 0; k < lens[i]; k++) {
			uint64_t v = streams[i][k], producer = (v >> 32) - 1;
			uint32_t seq = (uint32_t)v;

			expect((v >> 32) != 0 && producer < producers && seq < per_producer,
			       "consumer %u: value 0x%lx at %zu was sent by no producer", i,
			       (unsigned long)v, k);
			expect((int64_t)seq > last[producer],
			       "consumer %u: producer %lu's %u after its %ld", i,
			       (unsigned long)producer, seq, (long)last[producer]);
			last[producer] = seq;
			expect(seen[producer * per_producer + seq]++ == 0,
			       "producer %lu's %u arrived twice", (unsigned long)producer, seq);
		}
		total += lens[i];
	}
	ck_assert_uint_eq(total, (size_t)producers * per_producer);
	free(seen);
}

/*
 * A secondary on the lcores "<id>@(cpus)": an lcore id no other process of
 * the test uses (attaching with a shared one is refused), on any CPU, since
 * the machine may have two only and -l would pin lcore 2 to a CPU 2.
 */
static struct hm_test_args
xp_secondary(const char *lcores, const char *prefix)
{
	struct hm_test_args a = hm_test_secondary_args(lcores, "secondary", prefix, "emerg");

	a.v[0] = "--lcores";
	return a;
}

static pid_t
xp_spawn(const char *role, const char *lcores, const char *prefix)
{
	struct hm_test_args a = xp_secondary(lcores, prefix);
	char count[32];

	/* The child takes the environment as it is at fork. */
	snprintf(count, sizeof(count), "%u", XP_N);
	ck_assert_int_eq(setenv("HM_TEST_RING_ROLE", role, 1), 0);
	ck_assert_int_eq(setenv("HM_TEST_RING_DATA", XP_DATA, 1), 0);
	ck_assert_int_eq(setenv("HM_TEST_RING_SEEN", XP_SEEN, 1), 0);
	ck_assert_int_eq(setenv("HM_TEST_RING_PRODUCER", "1", 1), 0);
	ck_assert_int_eq(setenv("HM_TEST_RING_COUNT", count, 1), 0);
	return hm_test_spawn(hm_test_env_path("HM_TEST_RING_HELPER"), a.v);
}

START_TEST(producers_and_consumers_in_three_processes_share_a_named_ring)
{
	struct hm_test_huge *h =
	    hm_test_hugepages_get(2048, 24, "ring producers_and_consumers_in_three_processes");
	const char *prefix = hm_test_prefix("rgx");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "48", prefix, "emerg", NULL);
	static struct stress s;
	struct worker me = {0};
	struct xp_consumer mine = {0};
	struct hm_ring *data, *seen = NULL;
	uint64_t *streams[2];
	size_t lens[2];
	pid_t producer, consumer;
	pthread_t tid;
	pthread_attr_t attr;
	uint64_t start, v;
	unsigned int held, before;
	int status;
	void *obj;
	char lc_consumer[256], lc_producer[256];

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	ck_assert(hm_eal_has_hugepages());
	before = named_rings();
	data = hm_ring_create(XP_DATA, 511, HM_SOCKET_ID_ANY, 0);
	ck_assert_msg(data != NULL, "create: %s", strerror(errno));

	/* On the CPUs this process may use: a confined runner refuses others. */
	consumer = xp_spawn("consume",
			    hm_test_lcores_on_cpus(lc_consumer, sizeof(lc_consumer), "2"), prefix);
	producer = xp_spawn("produce",
			    hm_test_lcores_on_cpus(lc_producer, sizeof(lc_producer), "1"), prefix);
	ck_assert_int_gt(consumer, 0);
	ck_assert_int_gt(producer, 0);

	/* The consumer is up once its ring is: from then on all four run at once. */
	start = now_ms();
	while ((seen = hm_ring_lookup(XP_SEEN)) == NULL) {
		status = hm_test_wait(consumer, 0);
		ck_assert_msg(status == -1, "the consumer secondary exited with %d before %s",
			      status, XP_SEEN);
		ck_assert_msg(now_ms() - start < 30000, "no %s after 30 s", XP_SEEN);
		usleep(1000);
	}

	mine.ring = data;
	mine.max = 2 * (size_t)XP_N;
	mine.stream = malloc(mine.max * sizeof(*mine.stream));
	ck_assert_ptr_nonnull(mine.stream);
	/* On any CPU this process may use, not only the main lcore's. */
	ck_assert_int_eq(pthread_attr_init(&attr), 0);
	ck_assert_int_eq(pthread_attr_setaffinity_np(&attr, sizeof(cpu_set_t), hm_test_cpu_set()),
			 0);
	ck_assert_int_eq(pthread_create(&tid, &attr, xp_consume, &mine), 0);
	pthread_attr_destroy(&attr);

	/* Producer 0 on this thread, with every form the stress producers use. */
	s.ring = data;
	s.esize = sizeof(void *);
	s.producers = 2;
	s.per_producer = XP_N;
	atomic_store(&s.go, 1);
	me.s = &s;
	me.producer = true;
	me.id = 0;
	me.seed = 12345;
	producer_run(&me);
	ck_assert_msg(!me.timed_out, "producer 0 gave up after %lu", (unsigned long)me.moved);
	ck_assert_uint_eq(me.moved, XP_N);
	ck_assert_int_eq(hm_test_wait(producer, 60000), 0);

	/* Both producers are done: the end marker goes in after every value. */
	while (hm_ring_mp_enqueue(data, (void *)(uintptr_t)XP_END) != 0)
		sched_yield();
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_msg(!mine.timed_out, "the primary's consumer gave up after %zu", mine.len);
	ck_assert_int_eq(hm_test_wait(consumer, 60000), 0);

	/* The marker is all that is left. */
	check_counts(data, 1);
	ck_assert_int_eq(hm_ring_dequeue(data, &obj), 0);
	ck_assert_uint_eq((uintptr_t)obj, XP_END);

	/* The secondary found the ring where the primary made it, and forwarded its stream. */
	held = hm_ring_count(seen);
	ck_assert_uint_ge(held, 1);
	ck_assert_int_eq(hm_ring_dequeue_elem(seen, &v, 8), 0);
	ck_assert_uint_eq(v, (uintptr_t)data);
	lens[1] = held - 1;
	streams[1] = malloc((lens[1] + 1) * sizeof(uint64_t));
	ck_assert_ptr_nonnull(streams[1]);
	ck_assert_uint_eq(
	    hm_ring_dequeue_bulk_elem(seen, streams[1], 8, (unsigned int)lens[1], NULL), lens[1]);
	streams[0] = mine.stream;
	lens[0] = mine.len;
	check_streams(streams, lens, 2, 2, XP_N);
	printf("ring cross-process: the primary's consumer took %zu, the secondary's %zu\n",
	       lens[0], lens[1]);

	/* A ring the secondary made is freed by the primary like its own. */
	ck_assert_int_eq(hm_ring_free(seen), 0);
	ck_assert_int_eq(hm_ring_free(data), 0);
	errno = 0;
	ck_assert_ptr_null(hm_ring_lookup(XP_SEEN));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(named_rings(), before);
	free(streams[1]);
	free(mine.stream);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* ================================================================ suite */

static Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, named_rings_are_found_by_name_at_one_address_and_gone_once_freed);
	tcase_add_test(tc, a_named_ring_records_the_socket_of_its_memory);
	tcase_add_test(tc, create_refuses_bad_names_sizes_flags_and_a_taken_name);
	tcase_add_test(
	    tc, lookup_refuses_bad_and_unknown_names_and_free_refuses_what_is_not_a_named_ring);
	tcase_add_test(tc, memsize_covers_the_slots_and_refuses_bad_sizes);
	tcase_add_test(tc, a_ring_laid_out_in_malloc_memory_works_and_is_not_named);
	tcase_add_test(tc,
		       create_and_lookup_need_hugemem_but_a_ring_in_the_callers_memory_does_not);
	tcase_add_test(tc, the_ring_table_fills_up_with_enospc_and_a_freed_slot_is_reused);
	tcase_add_test(tc, walk_visits_every_named_ring_and_dump_names_it);
	tcase_add_test(tc, capacity_is_slots_minus_one_or_exactly_count_with_exact_sz);
	tcase_add_test(tc, single_enqueue_and_dequeue_keep_fifo_order_in_every_mode);
	tcase_add_test(tc, bulk_moves_all_or_nothing_and_reports_free_space_and_available);
	tcase_add_test(tc, burst_moves_as_many_as_fit_and_reports_free_space_and_available);
	tcase_add_test(tc, slot_indexes_wrap_many_times_with_odd_sizes_and_keep_fifo_order);
	tcase_add_test(tc, the_32_bit_counters_wrap_without_losing_an_element);
	tcase_add_test(tc, reset_empties_a_ring);
	tcase_add_test(tc, a_producers_copy_of_the_consumer_tail_neither_hides_room_nor_invents_it);
	tcase_add_test(
	    tc, several_producers_store_their_copy_only_when_it_buys_room_or_has_fallen_behind);
	tcase_add_test(tc, element_rings_of_4_to_64_bytes_copy_exactly_their_bytes);
	tcase_add_test(tc,
		       producers_and_consumers_on_an_mp_mc_ring_move_every_element_once_in_order);
	tcase_add_test(
	    tc, one_producer_and_one_consumer_on_an_sp_sc_ring_move_every_element_once_in_order);
	tcase_add_test(tc, producers_and_consumers_of_16_byte_elements_never_see_a_torn_element);
	tcase_add_test(tc, producers_and_consumers_in_three_processes_share_a_named_ring);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(ring_suite());
}
