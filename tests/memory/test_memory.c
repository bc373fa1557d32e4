/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory suite: pinned hugepages and their IOVAs, memsegs and runs,
 * secondaries, and recovery after a primary is killed.
 *
 * Tests that need hugepages reserve and mount them themselves
 * (hm_test_hugepages_get) and print a SKIPPED line when none can be had;
 * the --no-huge tests run everywhere. Check forks each test, so each one
 * has a process of its own to bring the EAL up in.
 */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include "../common/hm_test.h"
#include "eal_pvt.h"
#include "memory_pvt.h"
#include "pattern.h"

static bool
runtime_dir_exists(const char *prefix)
{
	char dir[PATH_MAX];
	struct stat st;

	hm_runtime_dir_path(prefix, dir, sizeof(dir));
	return stat(dir, &st) == 0;
}

/* ------------------------------------------------------------- --no-huge */

START_TEST(no_huge_memsegs_cover_memory_with_iova_equal_to_va)
{
	const char *args[] = {"-l",
			      "0",
			      "--no-huge",
			      "-m",
			      "16",
			      "--file-prefix",
			      hm_test_prefix("nh"),
			      "--log-level",
			      "warning",
			      NULL};
	struct hm_memory_info info;
	const struct hm_memseg_run *run;
	uint8_t *base;

	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_int_eq(hm_eal_iova_mode(), HM_IOVA_VA);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(info.total_bytes, 16 << 20);
	ck_assert_uint_eq(info.nb_memsegs, 8);
	ck_assert_uint_eq(info.nb_runs, 1);
	base = (uint8_t *)(uintptr_t)info.va_base;
	for (uint64_t off = 0; off < info.total_bytes; off += 4096 * 97) {
		ck_assert_uint_eq(hm_virt2iova(base + off), (hm_iova_t)(uintptr_t)(base + off));
		ck_assert_ptr_eq(hm_iova2virt((hm_iova_t)(uintptr_t)(base + off)), base + off);
	}
	run = hm_mem_virt2run(base + 5 * 4096);
	ck_assert_ptr_nonnull(run);
	ck_assert_uint_eq(run->len, 16 << 20);
	ck_assert_ptr_eq(hm_mem_virt2memseg(base + (3 << 20))->addr, base + (2 << 20));
	base[0] = 1;
	base[info.total_bytes - 1] = 2; /* writable end to end */
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert_uint_eq(hm_virt2iova(base), HM_BAD_IOVA); /* tables gone with the EAL */
}
END_TEST

START_TEST(translation_refuses_addresses_outside_hugemem_memory)
{
	const char *args[] = {"-l",
			      "0",
			      "--no-huge",
			      "-m",
			      "4",
			      "--file-prefix",
			      hm_test_prefix("out"),
			      "--log-level",
			      "warning",
			      NULL};
	struct hm_memory_info info;
	int on_stack;

	ck_assert_uint_eq(hm_virt2iova(&on_stack), HM_BAD_IOVA); /* before init */
	ck_assert_ptr_null(hm_iova2virt(0x1000));
	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(hm_virt2iova(&on_stack), HM_BAD_IOVA);
	ck_assert_uint_eq(hm_virt2iova(NULL), HM_BAD_IOVA);
	ck_assert_uint_eq(hm_virt2iova((void *)(uintptr_t)(info.va_base - 1)), HM_BAD_IOVA);
	ck_assert_uint_eq(hm_virt2iova((void *)(uintptr_t)(info.va_base + info.total_bytes)),
			  HM_BAD_IOVA);
	ck_assert_ptr_null(hm_iova2virt(HM_BAD_IOVA));
	ck_assert_ptr_null(hm_iova2virt((hm_iova_t)(uintptr_t)&on_stack));
	ck_assert_ptr_null(hm_mem_virt2memseg(&on_stack));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(hm_memseg_walk(NULL, NULL), -EINVAL);
	ck_assert_int_eq(hm_memory_info_get(NULL), -EINVAL);
	hm_eal_cleanup();
	ck_assert_int_eq(hm_memseg_walk(NULL, NULL), -ENODEV);
}
END_TEST

START_TEST(taken_base_address_is_refused_and_nothing_is_left)
{
	const char *prefix = hm_test_prefix("va");
	uint64_t base = HM_DEFAULT_BASE_VIRTADDR + 64 * HM_GB;
	void *want = (void *)(uintptr_t)(base + 8 * HM_GB + 4096); /* where memory would go */
	void *p =
	    mmap(want, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	char base_str[32];
	const char *args[] = {
	    "-l", "0", "--no-huge", "--base-virtaddr", base_str, "--file-prefix", prefix, NULL};

	snprintf(base_str, sizeof(base_str), "0x%llx", (unsigned long long)base);

	ck_assert_ptr_eq(p, want);
	ck_assert_int_eq(hm_test_eal_init(args), -EEXIST);
	ck_assert(!hm_eal_initialized());
	ck_assert(!runtime_dir_exists(prefix));
}
END_TEST

/* ------------------------------------------------------------- hugepages */

struct iova_check {
	unsigned int segs;
	const struct hm_memseg *prev;
};

/* Every memseg's IOVA against an independent pagemap read, at several offsets. */
static int
check_iova(const struct hm_memseg *ms, void *arg)
{
	struct iova_check *c = arg;
	uint64_t step = ms->len / 8;

	for (uint64_t off = 0; off < ms->len; off += step) {
		uint8_t *va = (uint8_t *)ms->addr + off;
		uint64_t pfn = hm_test_pfn(va);

		ck_assert_msg(pfn != 0, "no PFN for %p", (void *)va);
		ck_assert_uint_eq(pfn * 4096, ms->iova + off);
		ck_assert_uint_eq(hm_virt2iova(va + 24), ms->iova + off + 24);
		ck_assert_ptr_eq(hm_iova2virt(ms->iova + off + 24), va + 24);
	}
	/* Runs are maximal and exact: a run boundary is a real break in VA or IOVA. */
	if (c->prev != NULL) {
		bool adjacent = (uint8_t *)c->prev->addr + c->prev->len == (uint8_t *)ms->addr &&
				c->prev->iova + c->prev->len == ms->iova &&
				c->prev->hugepage_sz == ms->hugepage_sz &&
				c->prev->socket_id == ms->socket_id;

		ck_assert_msg(adjacent == (c->prev->run_id == ms->run_id),
			      "memsegs %p and %p: adjacent=%d but runs %u and %u", c->prev->addr,
			      ms->addr, adjacent, c->prev->run_id, ms->run_id);
		ck_assert((uint8_t *)ms->addr > (uint8_t *)c->prev->addr);
		if (c->prev->hugepage_sz == ms->hugepage_sz)
			ck_assert_msg(ms->iova > c->prev->iova,
				      "pages of one size not in PFN order");
	}
	c->prev = ms;
	c->segs++;
	return 0;
}

static int
check_run(const struct hm_memseg_run *r, void *arg)
{
	unsigned int *n = arg;

	/* The run's own extent, checked against the PFNs of its two ends. */
	ck_assert_uint_eq(hm_test_pfn(r->addr) * 4096, r->iova);
	ck_assert_uint_eq(hm_test_pfn((uint8_t *)r->addr + r->len - 4096) * 4096,
			  r->iova + r->len - 4096);
	(*n)++;
	return 0;
}

START_TEST(pinned_2m_pages_have_the_iovas_pagemap_gives)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 64, "pinned_2m_pages");
	const char *prefix = hm_test_prefix("p2m");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "128", prefix, "warning", NULL);
	struct iova_check c = {0};
	struct hm_memory_info info;
	unsigned int runs = 0;
	char fileprefix[64];

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	ck_assert_int_eq(hm_eal_iova_mode(), HM_IOVA_PA);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(info.total_bytes, 128 << 20);
	ck_assert_uint_eq(info.nb_memsegs, 64);
	ck_assert_uint_eq(info.page_sz[0], 2 << 20);
	ck_assert_int_eq(hm_memseg_walk(check_iova, &c), 0);
	ck_assert_uint_eq(c.segs, 64);
	ck_assert_int_eq(hm_memseg_run_walk(check_run, &runs), 0);
	ck_assert_uint_eq(runs, info.nb_runs);
	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 1);
	ck_assert(runtime_dir_exists(prefix));
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 0);
	ck_assert(!runtime_dir_exists(prefix));
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_1g_page_is_pinned_with_its_iova_when_one_can_be_had)
{
	struct hm_test_huge *h = hm_test_hugepages_get(1048576, 1, "a_1g_page");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "1024", hm_test_prefix("p1g"), "warning", NULL);
	struct iova_check c = {0};
	struct hm_memory_info info;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(info.nb_memsegs, 1);
	ck_assert_uint_eq(info.page_sz[0], 1ULL << 30);
	ck_assert_int_eq(hm_memseg_walk(check_iova, &c), 0);
	ck_assert_uint_eq(info.va_base % (1ULL << 30), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(pages_of_1g_and_2m_serve_one_process_together)
{
	struct hm_test_huge *g = hm_test_hugepages_get(1048576, 1, "1g_and_2m_pages");
	struct hm_test_huge *m = g ? hm_test_hugepages_get(2048, 8, "1g_and_2m_pages") : NULL;
	const char *args[] = {"-l",	     "0",	    "-m",      "1040",
			      "--in-memory", "--log-level", "warning", NULL};
	struct iova_check c = {0};
	struct hm_memory_info info;

	if (m == NULL) {
		hm_test_hugepages_put(g);
		return;
	}
	/* --in-memory maps through memfd_create(MFD_HUGETLB): every size, no mount needed. */
	ck_assert_int_ge(hm_test_eal_init(args), 0);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(info.nb_page_sizes, 2);
	ck_assert_uint_eq(info.page_sz[0], 1ULL << 30);
	ck_assert_uint_eq(info.page_sz[1], 2ULL << 20);
	ck_assert_uint_eq(info.total_bytes, 1040ULL << 20);
	ck_assert_str_eq(hm_eal_runtime_dir(), "");
	ck_assert_int_eq(hm_memseg_walk(check_iova, &c), 0);
	ck_assert_uint_eq(c.segs, 9);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(m);
	hm_test_hugepages_put(g);
}
END_TEST

START_TEST(too_few_hugepages_fail_cleanly_and_leave_nothing)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 4, "too_few_hugepages");
	const char *prefix = hm_test_prefix("few");
	/* Far more than this machine has: 1 TiB. */
	struct hm_test_args args = hm_test_huge_primary(h, "0", "1048576", prefix, "warning", NULL);
	char fileprefix[64];

	if (h == NULL)
		return;
	ck_assert_int_eq(hm_test_eal_init(args.v), -ENOMEM);
	ck_assert(!hm_eal_initialized());
	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 0);
	ck_assert(!runtime_dir_exists(prefix));
	hm_test_hugepages_put(h);
}
END_TEST

/* Lower or raise CAP_SYS_ADMIN in the effective set: without it pagemap shows PFN 0. */
static void
set_sys_admin(bool on)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	ck_assert_int_eq(syscall(SYS_capget, &hdr, data), 0);
	if (on)
		data[CAP_SYS_ADMIN / 32].effective |= 1u << (CAP_SYS_ADMIN % 32);
	else
		data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	ck_assert_int_eq(syscall(SYS_capset, &hdr, data), 0);
}

START_TEST(without_pfn_access_iova_falls_back_to_va_unless_pa_was_asked)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 4, "without_pfn_access");
	const char *prefix = hm_test_prefix("cap");
	struct hm_test_args pa =
	    hm_test_huge_primary(h, "0", "8", prefix, "warning", "--iova-mode=pa");
	struct hm_test_args dc = hm_test_huge_primary(h, "0", "8", prefix, "warning", NULL);
	struct hm_memory_info info;
	char fileprefix[64];
	uint8_t *va;

	if (h == NULL)
		return;
	set_sys_admin(false);
	ck_assert_int_eq(hm_test_eal_init(pa.v), -EPERM);
	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 0);
	ck_assert(!runtime_dir_exists(prefix));

	ck_assert_int_ge(hm_test_eal_init(dc.v), 0);
	ck_assert_int_eq(hm_eal_iova_mode(), HM_IOVA_VA);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	va = (uint8_t *)(uintptr_t)info.va_base + 4096 * 3 + 5;
	ck_assert_uint_eq(hm_virt2iova(va), (hm_iova_t)(uintptr_t)va);
	ck_assert_ptr_eq(hm_iova2virt((hm_iova_t)(uintptr_t)va), va);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	set_sys_admin(true); /* to unmount */
	hm_test_hugepages_put(h);
}
END_TEST

/* ----------------------------------------------------------- secondaries */

static int
write_pattern(const struct hm_memseg *ms, void *arg)
{
	(void)arg;
	((volatile uint64_t *)ms->addr)[0] = hm_test_pattern(ms, 0);
	((volatile uint64_t *)((uint8_t *)ms->addr + ms->len))[-1] = hm_test_pattern(ms, 1);
	return 0;
}

static int
read_ack(const struct hm_memseg *ms, void *arg)
{
	*(uint64_t *)arg = ((volatile uint64_t *)ms->addr)[1];
	return 1;
}

START_TEST(a_secondary_process_sees_what_the_primary_wrote)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 16, "a_secondary_process");
	const char *prefix = hm_test_prefix("sec");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "32", prefix, "warning", NULL);
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "warning");
	uint64_t ackv = 0;
	pid_t pid;

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	hm_memseg_walk(write_pattern, NULL);
	setenv("HM_TEST_MODE", "check", 1);
	pid = hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), sec.v);
	ck_assert_int_eq(hm_test_wait(pid, 60000), 0);
	hm_memseg_walk(read_ack, &ackv);
	ck_assert_uint_eq(ackv, HM_TEST_ACK); /* and the primary sees what it wrote */
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_secondary_asking_for_a_used_lcore_is_refused)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 4, "used_lcore");
	const char *prefix = hm_test_prefix("lc");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "8", prefix, "warning", NULL);
	struct hm_test_args same = hm_test_secondary_args("0", "secondary", prefix, "emerg");
	struct hm_test_args other = hm_test_secondary_args("1", "auto", prefix, "warning");

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	unsetenv("HM_TEST_MODE");
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), same.v), 60000), 2);
	/* --proc-type=auto finds the primary and attaches as a secondary on a free lcore. */
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), other.v), 60000), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_secondary_without_a_primary_fails_clearly)
{
	struct hm_test_args sec =
	    hm_test_secondary_args("0", "secondary", hm_test_prefix("none"), "emerg");

	unsetenv("HM_TEST_MODE");
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), sec.v), 30000), 3);
	ck_assert(!runtime_dir_exists(hm_test_prefix("none")));
}
END_TEST

START_TEST(a_second_primary_with_the_same_prefix_is_refused)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 4, "second_primary");
	const char *prefix = hm_test_prefix("two");
	struct hm_test_args args = hm_test_huge_primary(h, "0", "8", prefix, "warning", NULL);
	struct hm_test_args again = hm_test_huge_primary(h, "1", "8", prefix, "emerg", NULL);
	char fileprefix[64];

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	ck_assert_int_ne(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_HUGEMEMD"), again.v), 60000), 0);
	/* The refused one removed nothing of ours. */
	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 1);
	ck_assert(runtime_dir_exists(prefix));
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(h);
}
END_TEST

/* Start hugememd with `args` and wait until a secondary with `probe` can attach to it. */
static pid_t
start_daemon(const struct hm_test_args *args, const struct hm_test_args *probe)
{
	pid_t daemon = hm_test_spawn(hm_test_env_path("HM_TEST_HUGEMEMD"), args->v);
	int attached = -1;

	for (int i = 0; i < 300 && attached != 0; i++) {
		attached = hm_test_wait(
		    hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), probe->v), 30000);
		if (attached != 0)
			usleep(50000);
	}
	ck_assert_int_eq(attached, 0);
	return daemon;
}

START_TEST(a_primary_killed_with_sigkill_is_replaced_by_the_next_one)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 8, "primary_killed");
	const char *prefix = hm_test_prefix("kill");
	struct hm_test_args first = hm_test_huge_primary(h, "1", "8", prefix, "warning", NULL);
	struct hm_test_args probe = hm_test_secondary_args("0", "secondary", prefix, "emerg");
	struct hm_test_args next = hm_test_huge_primary(h, "0", "8", prefix, "warning", NULL);
	char fileprefix[64];
	pid_t daemon;

	if (h == NULL)
		return;
	unsetenv("HM_TEST_MODE");
	daemon = start_daemon(&first, &probe);
	kill(daemon, SIGKILL);
	ck_assert_int_eq(hm_test_wait(daemon, 10000), 128 + SIGKILL);

	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 1); /* left behind */
	ck_assert(runtime_dir_exists(prefix));
	/* Nobody holds the lock: a secondary now fails instead of attaching to a corpse. */
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), probe.v), 30000), 3);

	ck_assert_int_ge(hm_test_eal_init(next.v), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 1); /* replaced, not added */
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 0);
	ck_assert(!runtime_dir_exists(prefix));
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_live_primarys_files_survive_other_primaries_sweeps)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 8, "live_primary_files");
	char live[48], livefiles[64];
	const char *prefix = hm_test_prefix("sw");
	pid_t daemon;

	if (h == NULL)
		return;
	/* The live primary's prefix starts with ours + "map_": a loose match would take its files.
	 */
	snprintf(live, sizeof(live), "%smap_b", prefix);
	snprintf(livefiles, sizeof(livefiles), "%smap_", live);
	struct hm_test_args first = hm_test_huge_primary(h, "1", "4", live, "warning", NULL);
	struct hm_test_args probe = hm_test_secondary_args("0", "secondary", live, "emerg");
	struct hm_test_args mine = hm_test_huge_primary(h, "0", "4", prefix, "warning", NULL);
	const char *in_memory[] = {"-l",	  "0",		 "-m",	    "4",
				   "--in-memory", "--huge-dir",	 h->mount,  "--file-prefix",
				   live,	  "--log-level", "warning", NULL};

	unsetenv("HM_TEST_MODE");
	daemon = start_daemon(&first, &probe);

	/* A primary of another prefix sweeps stale files of its own prefix only. */
	ck_assert_int_ge(hm_test_eal_init(mine.v), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, livefiles), 1);
	/* An --in-memory primary of the same prefix holds no lock: it touches no file. */
	ck_assert_int_ge(hm_test_eal_init(in_memory), 0);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, livefiles), 1);
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), probe.v), 30000), 0);

	kill(daemon, SIGTERM);
	ck_assert_int_eq(hm_test_wait(daemon, 30000), 0);
	ck_assert_int_eq(hm_test_count_files(h->mount, livefiles), 0);
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(huge_unlink_always_removes_files_and_refuses_secondaries)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 4, "huge_unlink_always");
	const char *prefix = hm_test_prefix("ul");
	struct hm_test_args args =
	    hm_test_huge_primary(h, "0", "8", prefix, "warning", "--huge-unlink");
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "emerg");
	struct hm_memory_info info;
	char fileprefix[64];

	if (h == NULL)
		return;
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	snprintf(fileprefix, sizeof(fileprefix), "%smap_", prefix);
	ck_assert_int_eq(hm_test_count_files(h->mount, fileprefix), 0);
	ck_assert_int_eq(hm_memory_info_get(&info), 0);
	ck_assert_uint_eq(info.total_bytes, 8 << 20); /* memory stays mapped */
	unsetenv("HM_TEST_MODE");
	ck_assert_int_eq(
	    hm_test_wait(hm_test_spawn(hm_test_env_path("HM_TEST_SECONDARY"), sec.v), 30000), 4);
	ck_assert_int_eq(hm_eal_cleanup(), 0);
	hm_test_hugepages_put(h);
}
END_TEST

static void *
sleep_a_while(void *arg)
{
	(void)arg;
	sleep(30);
	return NULL;
}

/* A process that has exited but was not waited for is dead to every liveness check. */
START_TEST(an_exited_unreaped_process_is_not_alive)
{
	pid_t child = fork();
	uint64_t start;

	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	/* Wait until the child is a zombie, without reaping it. */
	ck_assert_int_eq(waitid(P_PID, (id_t)child, &(siginfo_t){0}, WEXITED | WNOWAIT), 0);
	ck_assert_int_eq(kill(child, 0), 0); /* the kernel still knows the pid */
	ck_assert(!hm_pid_alive(child));
	ck_assert(hm_pid_alive((int32_t)getpid()));
	start = hm_proc_start_time((int32_t)getpid());
	ck_assert_uint_gt(start, 0);
	ck_assert_uint_eq(hm_proc_start_time((int32_t)getpid()), start);
	ck_assert(!hm_pid_alive(0));
	ck_assert(!hm_pid_alive(-1));
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert(!hm_pid_alive(child));
	ck_assert_uint_eq(hm_proc_start_time(child), 0);

	/* A leader that left with pthread_exit() while a thread of it runs: alive. */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, sleep_a_while, NULL) != 0)
			_exit(1);
		pthread_exit(NULL);
	}
	{
		char path[64], buf[512], *p = NULL;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		for (int i = 0; i < 2000; i++) { /* until the leader shows as a zombie */
			FILE *f = fopen(path, "r");

			p = f != NULL && fgets(buf, sizeof(buf), f) != NULL ? strrchr(buf, ')')
									    : NULL;
			if (f != NULL)
				fclose(f);
			if (p != NULL && p[2] == 'Z')
				break;
			usleep(1000);
		}
		ck_assert_msg(p != NULL && p[2] == 'Z', "the leader never showed as a zombie");
	}
	ck_assert(hm_pid_alive(child));
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert(!hm_pid_alive(child));
}
END_TEST

static Suite *
memory_suite(void)
{
	Suite *s = suite_create("memory");
	TCase *nohuge = tcase_create("no_huge");
	TCase *huge = tcase_create("hugepages");
	TCase *procs = tcase_create("processes");

	tcase_add_test(nohuge, no_huge_memsegs_cover_memory_with_iova_equal_to_va);
	tcase_add_test(nohuge, translation_refuses_addresses_outside_hugemem_memory);
	tcase_add_test(nohuge, taken_base_address_is_refused_and_nothing_is_left);
	tcase_add_test(nohuge, a_secondary_without_a_primary_fails_clearly);
	suite_add_tcase(s, nohuge);

	tcase_set_timeout(huge, 300);
	tcase_add_test(huge, pinned_2m_pages_have_the_iovas_pagemap_gives);
	tcase_add_test(huge, a_1g_page_is_pinned_with_its_iova_when_one_can_be_had);
	tcase_add_test(huge, pages_of_1g_and_2m_serve_one_process_together);
	tcase_add_test(huge, too_few_hugepages_fail_cleanly_and_leave_nothing);
	tcase_add_test(huge, without_pfn_access_iova_falls_back_to_va_unless_pa_was_asked);
	suite_add_tcase(s, huge);

	tcase_set_timeout(procs, 300);
	tcase_add_test(procs, an_exited_unreaped_process_is_not_alive);
	tcase_add_test(procs, a_secondary_process_sees_what_the_primary_wrote);
	tcase_add_test(procs, a_secondary_asking_for_a_used_lcore_is_refused);
	tcase_add_test(procs, a_second_primary_with_the_same_prefix_is_refused);
	tcase_add_test(procs, a_primary_killed_with_sigkill_is_replaced_by_the_next_one);
	tcase_add_test(procs, huge_unlink_always_removes_files_and_refuses_secondaries);
	tcase_add_test(procs, a_live_primarys_files_survive_other_primaries_sweeps);
	suite_add_tcase(s, procs);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(memory_suite());
}
