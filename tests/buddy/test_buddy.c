/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The buddy suite: split and merge, alignment and contiguity, bad input,
 * watermarks, lcore caches, zones by IOVA, memzones, reclaim by owner, and
 * two lcores hammering the allocator at once. hm_buddy_audit() closes every
 * scenario: every page accounted for exactly once.
 *
 * Most tests run on --no-huge memory (VA mode: one NORMAL zone); the zone
 * and secondary tests reserve hugepages themselves and skip loudly when none
 * can be had.
 */

#include <check.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include "../common/hm_test.h"
#include "memory_pvt.h"

static void
init_no_huge(const char *mb, const char *lcores)
{
	const char *args[] = {
	    "-l",	   lcores,  "--no-huge", "-m", mb, "--file-prefix", hm_test_prefix("bd"),
	    "--log-level", "emerg", NULL};

	ck_assert_int_ge(hm_test_eal_init(args), 0);
}

static struct hm_zone_stats
normal_zone(void)
{
	struct hm_zone_stats st;

	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_NORMAL, &st), 0);
	return st;
}

static void
drain_and_audit(void)
{
	unsigned int l;

	hm_buddy_drain_lcore(hm_get_main_lcore());
	HM_LCORE_FOREACH_WORKER(l)
	hm_buddy_drain_lcore(l);
	ck_assert_int_eq(hm_buddy_audit(), 0);
}

START_TEST(every_page_is_accounted_for_after_init)
{
	struct hm_zone_stats st;

	init_no_huge("64", "0");
	ck_assert_int_eq(hm_buddy_audit(), 0);
	st = normal_zone();
	ck_assert_uint_eq(st.managed_pages, (64 << 20) / 4096);
	ck_assert_uint_eq(st.free_pages, st.managed_pages);
	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_DMA32, &st), -ENOENT); /* IOVA = VA */
	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_NORMAL, NULL), -EINVAL);
	hm_eal_cleanup();
}
END_TEST

START_TEST(blocks_are_aligned_contiguous_and_merge_back_on_free)
{
	char before[2048], after[2048];
	struct hm_zone_stats st;

	init_no_huge("64", "0");
	hm_buddy_info(before, sizeof(before));
	for (unsigned int order = 0; order <= 12; order++) { /* 16 MiB: far above min */
		uint64_t size = 4096ULL << order;
		uint8_t *p = hm_buddy_alloc(order, 0, 0);
		hm_iova_t iova;

		ck_assert_msg(p != NULL, "order %u", order);
		iova = hm_virt2iova(p);
		ck_assert_uint_eq(iova % size, 0);
		ck_assert_uint_eq(hm_virt2iova(p + size - 1), iova + size - 1);
		ck_assert_int_eq(hm_buddy_block_order(p), (int)order);
		p[0] = 1;
		p[size - 1] = 2;
		ck_assert_int_eq(hm_buddy_audit(), 0);
		ck_assert_int_eq(hm_buddy_free(p), 0);
	}
	/* One page from a whole range: every order below the top is split once. */
	void *one = hm_buddy_alloc(0, 0, 0);
	ck_assert_ptr_nonnull(one);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_int_eq(hm_buddy_free(one), 0);
	drain_and_audit();
	hm_buddy_info(after, sizeof(after));
	ck_assert_str_eq(before, after); /* everything merged back */
	st = normal_zone();
	ck_assert_uint_eq(st.allocs[5], 1);
	ck_assert_uint_eq(st.frees[5], 1);
	hm_eal_cleanup();
}
END_TEST

START_TEST(bad_input_is_refused_and_changes_nothing)
{
	char before[2048], after[2048];
	int on_stack;
	uint8_t *p;

	init_no_huge("16", "0");
	p = hm_buddy_alloc(2, 0, 0);
	ck_assert_ptr_nonnull(p);
	hm_buddy_info(before, sizeof(before));

	errno = 0;
	ck_assert_ptr_null(hm_buddy_alloc(HM_BUDDY_MAX_ORDER + 1, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_buddy_alloc(0, HM_MAX_NUMA_NODES, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_buddy_alloc(0, -7, 0));
	ck_assert_ptr_null(hm_buddy_alloc(0, 0, 0x100));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_buddy_alloc(HM_BUDDY_MAX_ORDER, 0, 0)); /* 4 GiB: not here */
	ck_assert_int_eq(errno, ENOMEM);

	ck_assert_int_eq(hm_buddy_free(NULL), -EINVAL);
	ck_assert_int_eq(hm_buddy_free(&on_stack), -EINVAL);
	ck_assert_int_eq(hm_buddy_free(p + 4096), -EINVAL); /* inside the block */
	ck_assert_int_eq(hm_buddy_free(p + 1), -EINVAL);    /* not page aligned */
	ck_assert_int_eq(hm_buddy_block_order(p + 8192), -EINVAL);

	ck_assert_ptr_null(hm_dma_alloc(0, 0, 0, 0, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_dma_alloc(100, 3, 0, 0, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hm_dma_alloc((size_t)8 << 30, 0, 0, 0, NULL));
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_ptr_null(hm_dma_alloc(64, (size_t)8 << 30, 0, 0, NULL));
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_ptr_null(hm_dma_alloc(SIZE_MAX, 0, 0, 0, NULL));

	hm_buddy_info(after, sizeof(after));
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(hm_buddy_audit(), 0);

	ck_assert_int_eq(hm_buddy_free(p), 0);
	ck_assert_int_eq(hm_buddy_free(p), -EINVAL); /* double free */
	drain_and_audit();
	hm_eal_cleanup();
}
END_TEST

START_TEST(dma_alloc_rounds_up_and_honours_alignment)
{
	static const size_t sizes[] = {1, 4096, 4097, 100000, 2 << 20};
	static const size_t aligns[] = {0, 64, 4096, 65536, 2 << 20};

	init_no_huge("64", "0");
	for (unsigned int i = 0; i < HM_DIM(sizes); i++) {
		for (unsigned int j = 0; j < HM_DIM(aligns); j++) {
			hm_iova_t iova = HM_BAD_IOVA;
			uint8_t *p = hm_dma_alloc(sizes[i], aligns[j], 0, HM_BUDDY_ZERO, &iova);
			unsigned int order = 0;

			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq(iova, hm_virt2iova(p));
			if (aligns[j] != 0)
				ck_assert_uint_eq(iova % aligns[j], 0);
			ck_assert_uint_eq(hm_virt2iova(p + sizes[i] - 1), iova + sizes[i] - 1);
			while ((4096ULL << order) < sizes[i] || (4096ULL << order) < aligns[j])
				order++;
			ck_assert_int_eq(hm_buddy_block_order(p), (int)order); /* no larger */
			ck_assert_uint_eq(p[sizes[i] - 1], 0);
			ck_assert_int_eq(hm_dma_free(p), 0);
		}
	}
	drain_and_audit();
	hm_eal_cleanup();
}
END_TEST

START_TEST(watermarks_stop_ordinary_allocations_and_let_atomic_ones_dip)
{
	struct hm_watermarks wm;
	struct hm_zone_stats st;
	void *held[4096];
	unsigned int n = 0, normal;

	init_no_huge("32", "0");
	st = normal_zone();
	wm.min = st.managed_pages / 2;
	wm.low = wm.min + st.managed_pages / 8;
	wm.high = wm.low + st.managed_pages / 8;
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_NORMAL, &wm), 0);
	/* Order 4 is above the lcore caches: every allocation meets the watermark. */
	while (n < HM_DIM(held) && (held[n] = hm_buddy_alloc(4, 0, 0)) != NULL)
		n++;
	ck_assert_int_eq(errno, ENOMEM);
	st = normal_zone();
	ck_assert_uint_ge(st.free_pages, wm.min);
	ck_assert_uint_lt(st.free_pages, wm.min + 16);
	ck_assert_uint_eq(st.low_crossings, 1); /* counted once, not per call */
	ck_assert_uint_ge(st.failures[4], 1);
	normal = n;
	while (n < HM_DIM(held) && (held[n] = hm_buddy_alloc(4, 0, HM_BUDDY_ATOMIC)) != NULL)
		n++;
	ck_assert_uint_gt(n, normal);
	st = normal_zone();
	ck_assert_uint_ge(st.free_pages, wm.min / 2);
	ck_assert_uint_lt(st.free_pages, wm.min / 2 + 16);
	ck_assert_uint_eq(st.low_crossings, 1);
	while (n > 0)
		ck_assert_int_eq(hm_buddy_free(held[--n]), 0);
	drain_and_audit();
	st = normal_zone();
	ck_assert_uint_eq(st.free_pages, st.managed_pages);

	wm.low = wm.min - 1; /* min > low */
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_NORMAL, &wm), -EINVAL);
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_DMA32, &wm), -ENOENT);
	hm_eal_cleanup();
}
END_TEST

START_TEST(small_blocks_come_from_the_lcore_cache)
{
	struct hm_zone_stats st;
	void *p;

	init_no_huge("16", "0");
	p = hm_buddy_alloc(0, 0, 0);
	ck_assert_ptr_nonnull(p);
	st = normal_zone();
	ck_assert_uint_gt(st.pcp_pages, 0); /* a batch came over */
	ck_assert_int_eq(hm_buddy_free(p), 0);
	st = normal_zone();
	ck_assert_uint_eq(st.allocs[0], 1); /* counted by the cache, not the zone */
	ck_assert_uint_eq(st.frees[0], 1);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_buddy_drain_lcore(hm_lcore_id());
	st = normal_zone();
	ck_assert_uint_eq(st.pcp_pages, 0);
	ck_assert_uint_eq(st.free_pages, st.managed_pages);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_large_request_drains_the_callers_cache_before_failing)
{
	static void *held[4096];
	struct hm_watermarks none = {0, 0, 0};
	unsigned int n = 0, seed = 7;
	struct hm_zone_stats st;
	void *big;

	init_no_huge("16", "0");
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_NORMAL, &none), 0);
	while (n < HM_DIM(held) && (held[n] = hm_buddy_alloc(n % 3, 0, 0)) != NULL)
		n++;
	while (n > 0) {
		unsigned int k = (unsigned int)rand_r(&seed) % n;

		ck_assert_int_eq(hm_buddy_free(held[k]), 0);
		held[k] = held[--n];
	}
	st = normal_zone();
	ck_assert_uint_gt(st.pcp_pages, 0); /* cached blocks keep the zone split */
	big = hm_buddy_alloc(12, 0, 0);	    /* the whole zone */
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(hm_buddy_free(big), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_socket_without_memory_falls_back_unless_strict)
{
	void *p;

	init_no_huge("16", "0"); /* memory on socket 0 only */
	errno = 0;
	ck_assert_ptr_null(hm_buddy_alloc(4, 3, HM_BUDDY_STRICT));
	ck_assert_int_eq(errno, ENOMEM);
	p = hm_buddy_alloc(4, 3, 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(hm_mem_virt2memseg(p)->socket_id, 0);
	ck_assert_int_eq(hm_buddy_free(p), 0);
	drain_and_audit();
	hm_eal_cleanup();
}
END_TEST

START_TEST(a_dead_owners_blocks_are_reclaimed)
{
	struct hm_zone_stats st;

	init_no_huge("16", "0");
	for (unsigned int i = 0; i < 50; i++)
		ck_assert_ptr_nonnull(hm_buddy_alloc(i % 6, 0, 0));
	ck_assert_ptr_nonnull(hm_memzone_reserve("owned", 8192, 0, 0, 0));
	hm_buddy_drain_lcore(hm_lcore_id());
	ck_assert_uint_gt(hm_buddy_reclaim_owner(hm_shared_config_proc_slot(), NULL), 0);
	ck_assert_ptr_null(hm_memzone_lookup("owned")); /* its memzones go too */
	ck_assert_int_eq(hm_buddy_audit(), 0);
	st = normal_zone();
	ck_assert_uint_eq(st.free_pages, st.managed_pages);
	ck_assert_uint_eq(hm_buddy_reclaim_owner(hm_shared_config_proc_slot(), NULL), 0);
	hm_eal_cleanup();
}
END_TEST

/* hm_memzone_walk() callback: every memzone call in it is refused. Returns 1 when they were. */
static int
reserve_in_walk(const struct hm_memzone *mz, void *arg)
{
	(void)arg;
	errno = 0;
	if (hm_memzone_reserve("in_walk", 64, 0, 0, 0) != NULL || errno != EDEADLK)
		return -1;
	errno = 0;
	if (hm_memzone_lookup(mz->name) != NULL || errno != EDEADLK)
		return -2;
	if (hm_memzone_free(mz) != -EDEADLK)
		return -3;
	if (hm_memzone_walk(reserve_in_walk, NULL) != -EDEADLK)
		return -4;
	return 1;
}

START_TEST(memzones_are_found_by_name)
{
	const struct hm_memzone *mz, *again;
	unsigned int count = 0;
	char longname[64];

	init_no_huge("16", "0");
	mz = hm_memzone_reserve("rx_ring_0", 100000, 0, 0, 4096);
	ck_assert_ptr_nonnull(mz);
	ck_assert_str_eq(mz->name, "rx_ring_0");
	ck_assert_uint_eq(mz->len, 100000);
	ck_assert_uint_eq(mz->iova, hm_virt2iova(mz->addr));
	again = hm_memzone_lookup("rx_ring_0");
	ck_assert_ptr_eq(again, mz);
	ck_assert_ptr_null(hm_memzone_reserve("rx_ring_0", 10, 0, 0, 0));
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_ptr_null(hm_memzone_reserve("", 10, 0, 0, 0));
	ck_assert_int_eq(errno, EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_ptr_null(hm_memzone_reserve(longname, 10, 0, 0, 0));
	ck_assert_ptr_null(hm_memzone_reserve(NULL, 10, 0, 0, 0));
	ck_assert_ptr_null(hm_memzone_reserve("zero", 0, 0, 0, 0));
	ck_assert_ptr_null(hm_memzone_lookup("nope"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(hm_memzone_reserve("tx_ring_0", 4096, 0, 0, 0));
	ck_assert_int_eq(hm_memzone_walk(NULL, NULL), -EINVAL);
	/* A callback must not wait for the table its walk holds: EDEADLK, at once. */
	ck_assert_int_eq(hm_memzone_walk(reserve_in_walk, NULL), 1);
	ck_assert_ptr_null(hm_memzone_lookup("in_walk"));
	for (unsigned int i = 0; i < 2; i++)
		count += hm_memzone_lookup(i ? "tx_ring_0" : "rx_ring_0") != NULL;
	ck_assert_uint_eq(count, 2);
	/* Its block is the memzone's: only hm_memzone_free() may free it. */
	ck_assert_int_eq(hm_dma_free(mz->addr), -EINVAL);
	ck_assert_int_eq(hm_buddy_free(mz->addr), -EINVAL);
	ck_assert_ptr_eq(hm_memzone_lookup("rx_ring_0"), mz);
	ck_assert_int_eq(hm_memzone_free(mz), 0);
	ck_assert_ptr_null(hm_memzone_lookup("rx_ring_0"));
	ck_assert_int_eq(hm_memzone_free(mz), -EINVAL);
	ck_assert_int_eq(hm_memzone_free((const struct hm_memzone *)&count), -EINVAL);
	ck_assert_int_eq(hm_memzone_free(hm_memzone_lookup("tx_ring_0")), 0);
	drain_and_audit();
	hm_eal_cleanup();
}
END_TEST

static atomic_int go;

static int
hammer(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	void *held[64] = {0};

	while (!atomic_load(&go))
		;
	for (unsigned int i = 0; i < 20000; i++) {
		unsigned int k = (unsigned int)rand_r(&seed) % 64;

		if (held[k] != NULL) {
			if (hm_buddy_free(held[k]) != 0)
				return -1;
			held[k] = NULL;
		} else {
			held[k] = hm_buddy_alloc((unsigned int)rand_r(&seed) % 6, 0, 0);
		}
	}
	for (unsigned int k = 0; k < 64; k++)
		if (held[k] != NULL && hm_buddy_free(held[k]) != 0)
			return -1;
	return 0;
}

START_TEST(four_lcores_allocating_at_once_keep_the_books_right)
{
	/* Four lcores floating over the CPUs there are: each has its own caches. */
	char lcores[256];
	const char *args[] = {"--lcores",
			      hm_test_lcores_on_cpus(lcores, sizeof(lcores), "(0-3)"),
			      "--no-huge",
			      "-m",
			      "32",
			      "--file-prefix",
			      hm_test_prefix("cc"),
			      "--log-level",
			      "emerg",
			      NULL};
	struct hm_zone_stats st;
	unsigned int l;

	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_uint_eq(hm_lcore_count(), 4);
	atomic_store(&go, 0);
	HM_LCORE_FOREACH_WORKER(l)
	ck_assert_int_eq(hm_eal_remote_launch(hammer, (void *)(uintptr_t)(l + 1), l), 0);
	atomic_store(&go, 1);
	ck_assert_int_eq(hammer((void *)99), 0);
	HM_LCORE_FOREACH_WORKER(l)
	ck_assert_int_eq(hm_eal_wait_lcore(l), 0);
	drain_and_audit();
	st = normal_zone();
	ck_assert_uint_eq(st.free_pages, st.managed_pages);
	hm_eal_cleanup();
}
END_TEST

/* Allocate one order to exhaustion, then free it all in a random order, auditing each step. */
static void
exhaust_and_free(unsigned int order, void **held, unsigned int max, unsigned int *seed)
{
	unsigned int n = 0;

	while (n < max && (held[n] = hm_buddy_alloc(order, 0, 0)) != NULL) {
		ck_assert_int_eq(hm_buddy_audit(), 0);
		n++;
	}
	ck_assert_uint_eq(n, 4096u >> order); /* every page of the zone, watermarks at 0 */
	while (n > 0) {
		unsigned int k = (unsigned int)rand_r(seed) % n;

		ck_assert_int_eq(hm_buddy_free(held[k]), 0);
		held[k] = held[--n];
		ck_assert_int_eq(hm_buddy_audit(), 0);
	}
}

START_TEST(every_order_allocates_to_exhaustion_and_merges_back_to_one_block)
{
	static void *held[4096];
	struct hm_watermarks none = {0, 0, 0};
	struct hm_zone_stats st;
	unsigned int seed = 12345;

	init_no_huge("16", "0"); /* one run of 4096 pages: one order-12 block */
	ck_assert_int_eq(hm_buddy_set_watermarks(0, HM_ZONE_NORMAL, &none), 0);
	for (unsigned int order = 0; order <= 12; order++) {
		exhaust_and_free(order, held, HM_DIM(held), &seed);
		hm_buddy_drain_lcore(hm_lcore_id());
		st = normal_zone();
		for (unsigned int o = 0; o < HM_BUDDY_NR_ORDERS; o++)
			ck_assert_uint_eq(st.nr_free[o], o == 12 ? 1 : 0);
		ck_assert_int_eq(st.unusable[12], 0);
		ck_assert_int_eq(st.extfrag[12], -1000);
	}
	hm_eal_cleanup();
}
END_TEST

static int
check_block_pfns(const uint8_t *p, unsigned int order)
{
	uint64_t size = 4096ULL << order;
	hm_iova_t iova = hm_virt2iova(p);

	ck_assert_ptr_eq(hm_mem_virt2run(p), hm_mem_virt2run(p + size - 1));
	for (uint64_t off = 0; off < size; off += 4096 * 7)
		ck_assert_uint_eq(hm_test_pfn(p + off) * 4096, iova + off);
	ck_assert_uint_eq(hm_test_pfn(p + size - 4096) * 4096, iova + size - 4096);
	return 0;
}

START_TEST(blocks_on_hugepages_are_contiguous_in_pagemap)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 64, "blocks_on_hugepages");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "128", hm_test_prefix("pfn"), "emerg", NULL);
	struct hm_memory_info info;
	unsigned int blocks = 0;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	ck_assert_int_eq(hm_eal_iova_mode(), HM_IOVA_PA);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	/* The largest blocks first, then smaller ones from what is left. */
	for (int order = HM_BUDDY_MAX_ORDER; order >= 0; order--) {
		uint8_t *p;

		while ((p = hm_buddy_alloc((unsigned int)order, 0, HM_BUDDY_ATOMIC)) != NULL) {
			check_block_pfns(p, (unsigned int)order);
			blocks++;
			if ((uint64_t)order > 9 && (4096ULL << order) > info.largest_run_bytes)
				ck_abort_msg("order %d block is larger than the longest run",
					     order);
		}
	}
	ck_assert_uint_gt(blocks, 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_memzone_is_found_by_another_process)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 8, "memzone_other_process");
	const char *prefix = hm_test_prefix("mz");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "16", prefix, "emerg", NULL);
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "emerg");
	const struct hm_memzone *mz;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	mz = hm_memzone_reserve("hm_test_mz", 3 * 4096, 0, 0, 4096);
	ck_assert_ptr_nonnull(mz);
	strcpy(mz->addr, "written by the primary");
	setenv("HM_TEST_MODE", "memzone", 1);
	ck_assert_int_eq(hm_test_wait(hm_test_spawn(getenv("HM_TEST_SECONDARY"), sec.v), 60000), 0);
	ck_assert_str_eq((char *)mz->addr + 64, "written by the secondary");
	/* The secondary also reserved a persistent one; the primary finds it after its exit. */
	ck_assert_ptr_nonnull(hm_memzone_lookup("hm_test_mz_2"));
	ck_assert_int_eq(hm_memzone_free(hm_memzone_lookup("hm_test_mz_2")), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/*
 * With NORMAL exhausted, ordinary requests fall back to DMA32 but leave it its
 * reserve above min; DMA32 requests go on down to min.
 */
static void
check_lowmem_reserve(void)
{
	static void *held[8192];
	struct hm_zone_stats dma;
	unsigned int n = 0;

	while (n < HM_DIM(held) && (held[n] = hm_buddy_alloc(9, 0, 0)) != NULL)
		n++;
	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_DMA32, &dma), 0);
	ck_assert_uint_ge(dma.free_pages, dma.wm.min + dma.lowmem_reserve);
	ck_assert_uint_lt(dma.free_pages, dma.wm.min + dma.lowmem_reserve + 512);
	while (n < HM_DIM(held) && (held[n] = hm_buddy_alloc(9, 0, HM_BUDDY_DMA32)) != NULL) {
		ck_assert_uint_lt(hm_virt2iova(held[n]), 1ULL << 32);
		n++;
	}
	ck_assert_int_eq(hm_buddy_zone_stats(0, HM_ZONE_DMA32, &dma), 0);
	ck_assert_uint_ge(dma.free_pages, dma.wm.min);
	ck_assert_uint_lt(dma.free_pages, dma.wm.min + 512);
	while (n > 0)
		ck_assert_int_eq(hm_buddy_free(held[--n]), 0);
}

START_TEST(dma32_requests_get_iovas_below_4g)
{
	/* 1 GiB pages are often low in physical memory: take one if the kernel has it. */
	struct hm_test_huge *g = hm_test_hugepages_get(1048576, 1, "dma32_zone (1 GiB)");
	struct hm_test_huge *m = hm_test_hugepages_get(2048, 64, "dma32_zone");
	const char *args[] = {"-l",	     "0",	    "-m",    g != NULL ? "1152" : "128",
			      "--in-memory", "--log-level", "emerg", NULL};
	struct hm_zone_stats st;
	void *p;

	if (m == NULL) {
		hm_test_hugepages_put(g);
		return;
	}
	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	if (hm_buddy_zone_stats(0, HM_ZONE_DMA32, &st) != 0) {
		printf("SKIPPED dma32_requests: none of the pinned pages is below 4 GiB here\n");
	} else {
		p = hm_buddy_alloc(3, 0, HM_BUDDY_DMA32);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_lt(hm_virt2iova(p) + (4096 << 3), 1ULL << 32);
		ck_assert_int_eq(hm_buddy_free(p), 0);
	}
	if (hm_buddy_zone_stats(0, HM_ZONE_NORMAL, &st) == 0) {
		struct hm_zone_stats dma;

		p = hm_buddy_alloc(5, 0, 0); /* NORMAL first */
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_ge(hm_virt2iova(p), 1ULL << 32);
		ck_assert_int_eq(hm_buddy_free(p), 0);
		if (hm_buddy_zone_stats(0, HM_ZONE_DMA32, &dma) == 0)
			check_lowmem_reserve();
	} else {
		/* Only DMA32: an ordinary request falls back to it. */
		p = hm_buddy_alloc(5, 0, 0);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(hm_buddy_free(p), 0);
	}
	drain_and_audit();
	hm_eal_cleanup();
	hm_test_hugepages_put(m);
	hm_test_hugepages_put(g);
}
END_TEST

static Suite *
buddy_suite(void)
{
	Suite *s = suite_create("buddy");
	TCase *tc = tcase_create("buddy");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, every_page_is_accounted_for_after_init);
	tcase_add_test(tc, blocks_are_aligned_contiguous_and_merge_back_on_free);
	tcase_add_test(tc, bad_input_is_refused_and_changes_nothing);
	tcase_add_test(tc, dma_alloc_rounds_up_and_honours_alignment);
	tcase_add_test(tc, watermarks_stop_ordinary_allocations_and_let_atomic_ones_dip);
	tcase_add_test(tc, small_blocks_come_from_the_lcore_cache);
	tcase_add_test(tc, a_dead_owners_blocks_are_reclaimed);
	tcase_add_test(tc, a_socket_without_memory_falls_back_unless_strict);
	tcase_add_test(tc, a_large_request_drains_the_callers_cache_before_failing);
	tcase_add_test(tc, memzones_are_found_by_name);
	tcase_add_test(tc, four_lcores_allocating_at_once_keep_the_books_right);
	tcase_add_test(tc, dma32_requests_get_iovas_below_4g);
	tcase_add_test(tc, every_order_allocates_to_exhaustion_and_merges_back_to_one_block);
	tcase_add_test(tc, blocks_on_hugepages_are_contiguous_in_pagemap);
	tcase_add_test(tc, a_memzone_is_found_by_another_process);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(buddy_suite());
}
