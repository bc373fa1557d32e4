/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service suite: the process table, unique lcores across processes,
 * death detection and the reclaim of what a dead or detached secondary
 * held. The primary is this test process, on real 2 MiB hugepages (the
 * tests are skipped with a loud message when none can be had); the
 * secondaries are hm_test_service_helper (see service_helper.c).
 */

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <hugemem/hugemem.h>

#include "hm_common.h"
#include "../common/hm_test.h"
#include "memory_pvt.h"
#include "service_msg.h"
#include "telemetry_pvt.h"

#define POOL_N	   2048u
#define POOL_ELT   128u
#define POOL_CACHE 32u

static const char *
helper_path(void)
{
	return hm_test_env_path("HM_TEST_SERVICE_HELPER");
}

/* A secondary on lcore `lcore` (mapped to CPU `cpu`) in `mode`. */
static pid_t
spawn(const char *prefix, unsigned int lcore, unsigned int cpu, const char *mode)
{
	char lc[32];
	const char *argv[] = {
	    "--lcores", lc,   "--proc-type", "secondary", "--file-prefix", prefix, "--log-level",
	    "error",	"--", mode,	     NULL};

	/* cpu among those this process may use: a confined runner refuses others. */
	snprintf(lc, sizeof(lc), "%u@%d", lcore, hm_test_cpu(cpu % hm_test_nb_cpus()));
	return hm_test_spawn(helper_path(), argv);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait up to timeout_ms for memzone "<fmt with pid>" to exist. */
static bool
wait_memzone(const char *fmt, pid_t pid, unsigned int timeout_ms)
{
	char name[HM_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), fmt, (int)pid);
	for (unsigned int t = 0; t < timeout_ms; t += 5) {
		if (hm_memzone_lookup(name) != NULL)
			return true;
		sleep_ms(5);
	}
	return false;
}

static void
free_memzone(const char *fmt, pid_t pid)
{
	char name[HM_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), fmt, (int)pid);
	ck_assert_int_eq(hm_memzone_free(hm_memzone_lookup(name)), 0);
}

struct find_reclaim {
	pid_t pid;
	struct hm_reclaim_info r;
	bool found;
};

static int
find_reclaim_cb(const struct hm_reclaim_info *r, void *arg)
{
	struct find_reclaim *f = arg;

	if (r->pid != f->pid)
		return 0;
	f->r = *r;
	f->found = true;
	return 1;
}

/* Wait up to timeout_ms for the reclaim of pid; @return ms waited, or -1. */
static long
wait_reclaim(pid_t pid, unsigned int timeout_ms, struct hm_reclaim_info *out)
{
	uint64_t t0 = hm_time_ns();

	for (;;) {
		struct find_reclaim f = {.pid = pid};

		hm_reclaim_walk(find_reclaim_cb, &f);
		if (f.found) {
			*out = f.r;
			return (long)((hm_time_ns() - t0) / 1000000);
		}
		if (hm_time_ns() - t0 > (uint64_t)timeout_ms * 1000000)
			return -1;
		sleep_ms(2);
	}
}

static int
count_cb(const struct hm_proc_info *p, void *arg)
{
	(void)p;
	(*(unsigned int *)arg)++;
	return 0;
}

static unsigned int
nb_procs(void)
{
	unsigned int n = 0;

	ck_assert_int_eq(hm_proc_walk(count_cb, &n), 0);
	return n;
}

/* Wait until the table holds only this primary. */
static void
wait_only_primary(void)
{
	for (unsigned int t = 0; t < 5000 && nb_procs() != 1; t += 5)
		sleep_ms(5);
	ck_assert_uint_eq(nb_procs(), 1);
}

/* Free + cached pages of every zone. */
static uint64_t
buddy_pages_free(void)
{
	uint64_t n = 0;

	for (int z = 0; z < HM_NR_ZONES; z++) {
		struct hm_zone_stats st;

		if (hm_buddy_zone_stats(0, (enum hm_zone_type)z, &st) == 0)
			n += st.free_pages + st.pcp_pages;
	}
	return n;
}

/* Pages of the slab cache's slabs. */
static uint64_t
slab_pages_of(const struct hm_slab_cache *sc)
{
	struct hm_slab_stats ss;

	ck_assert_int_eq(hm_slab_cache_stats(sc, &ss), 0);
	return ss.num_slabs * ss.pagesperslab;
}

/* The reply to a telemetry request, parsed; its data under key cmd. */
static json_t *
telemetry(const char *req, json_t **root)
{
	char *out = hm_telemetry_handle(req, strlen(req));
	const char *cmd = req;
	char key[64];

	ck_assert_ptr_nonnull(out);
	*root = json_loads(out, 0, NULL);
	free(out);
	ck_assert_ptr_nonnull(*root);
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(cmd, ","), cmd);
	return json_object_get(*root, key);
}

static struct hm_test_huge *
primary_up(const char *tag, const char *prefix)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 64, tag);
	struct hm_test_args args;

	if (h == NULL)
		return NULL;
	args = hm_test_huge_primary(h, "0", "96", prefix, "error", NULL);
	ck_assert_int_ge(hm_test_eal_init(args.v), 0);
	return h;
}

START_TEST(a_secondary_killed_mid_run_gives_back_every_block_object_and_lcore_it_held)
{
	const char *prefix = hm_test_prefix("svck");
	struct hm_test_huge *h = primary_up("service kill", prefix);
	const struct hm_memzone *stop;
	struct hm_reclaim_info r;
	struct hm_slab_cache *sc;
	struct hm_slab_stats ss;
	struct hm_mempool *mp;
	unsigned int in_use = 99;
	uint64_t free_before;
	pid_t pid[3];
	long waited;
	json_t *root, *list;
	bool listed = false;

	if (h == NULL)
		return;
	mp = hm_mempool_create("svc-owned", POOL_N, POOL_ELT, POOL_CACHE, 0, NULL, NULL,
			       HM_SOCKET_ID_ANY, HM_MEMPOOL_OWNED);
	ck_assert_ptr_nonnull(mp);
	sc = hm_slab_cache_create("svc-slab", 200, 0, HM_SLAB_OWNED, NULL, NULL);
	ck_assert_ptr_nonnull(sc);
	stop = hm_memzone_reserve("svc-stop", 64, HM_SOCKET_ID_ANY, 0, 0);
	ck_assert_ptr_nonnull(stop);
	/* Each lcore's slab arrays live in a region kept for the lcore id: make them first. */
	for (unsigned int i = 0; i < 3; i++)
		ck_assert_int_eq(hm_test_wait(spawn(prefix, i + 1, i % 2, "attach"), 30000), 0);
	wait_only_primary();
	free_before = buddy_pages_free() + slab_pages_of(sc);

	for (unsigned int i = 0; i < 3; i++) {
		pid[i] = spawn(prefix, i + 1, i % 2, "work");
		ck_assert_msg(wait_memzone("svc-mzp-%d", pid[i], 20000),
			      "secondary %u did not start working", i);
	}
	ck_assert_uint_eq(nb_procs(), 4);
	sleep_ms(200);

	/* The middle one dies holding blocks, objects, cached objects and pages. */
	ck_assert_int_eq(kill(pid[1], SIGKILL), 0);
	waited = wait_reclaim(pid[1], 5000, &r);
	ck_assert_int_ge(waited, 0);
	ck_assert_msg(waited < 1000, "the death was noticed only after %ld ms", waited);
	ck_assert_int_eq(hm_test_wait(pid[1], 5000), 128 + SIGKILL);
	ck_assert_str_eq(r.cause, "died");
	ck_assert_uint_eq(r.nb_lcores, 1);
	ck_assert_uint_ge(r.dma_blocks, 7);
	ck_assert_uint_eq(r.memzones, 1);
	ck_assert_uint_ge(r.mempool_objs, 32);
	/* 6 held, and at most one replacement and a burst of 8 in flight. */
	ck_assert_uint_ge(r.slab_objs, 6);
	ck_assert_uint_le(r.slab_objs, 6 + 1 + 8);
	/* Its persistent memzone stays, its own is gone. */
	ck_assert(wait_memzone("svc-mzp-%d", pid[1], 5));
	ck_assert(!wait_memzone("svc-mz-%d", pid[1], 5));

	/* Its lcore is free for the next process. */
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 2, 1, "attach"), 30000), 0);

	list = telemetry("/hugemem/reclaims", &root);
	ck_assert(json_is_array(list));
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		if (json_integer_value(json_object_get(e, "pid")) == pid[1]) {
			ck_assert_str_eq(json_string_value(json_object_get(e, "cause")), "died");
			ck_assert_int_eq(json_integer_value(json_object_get(e, "dma_blocks")),
					 r.dma_blocks);
			listed = true;
		}
	}
	ck_assert(listed);
	json_decref(root);

	/* The others stop, give everything back and detach. */
	atomic_store((_Atomic int *)stop->addr, 1);
	ck_assert_int_eq(hm_test_wait(pid[0], 30000), 0);
	ck_assert_int_eq(hm_test_wait(pid[2], 30000), 0);
	wait_only_primary();
	for (unsigned int i = 0; i < 3; i++)
		free_memzone("svc-mzp-%d", pid[i]);

	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 0);
	ck_assert_uint_eq(hm_mempool_avail_count(mp), POOL_N);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_int_eq(hm_slab_audit(), 0);
	/* The cache is owned: what the dead one held came back too. */
	ck_assert_int_ge(hm_slab_cache_shrink(sc), 0);
	ck_assert_int_eq(hm_slab_cache_stats(sc, &ss), 0);
	ck_assert_uint_eq(ss.cached, 0);
	ck_assert_uint_eq(ss.live, 0);
	ck_assert_uint_eq(buddy_pages_free() + slab_pages_of(sc), free_before);
	ck_assert_int_eq(hm_memzone_free(stop), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_secondary_killed_while_it_waits_for_an_object_leaves_puts_fast)
{
	const char *prefix = hm_test_prefix("svcw");
	struct hm_test_huge *h = primary_up("service waiter", prefix);
	enum { N = 64, CACHE = 8, RESERVE = 4 };
	struct hm_reclaim_info r;
	struct hm_mempool *mp;
	void *objs[N];
	unsigned int got = 0, in_use = 99;
	pid_t pid;

	if (h == NULL)
		return;
	mp = hm_mempool_create("svc-wait", N, 64, CACHE, RESERVE, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	/* Every object out, the reserve's too: the secondary must wait. */
	while (got < N && hm_mempool_alloc(mp, &objs[got], HM_MEMPOOL_NOWAIT, 0) == 0)
		got++;
	ck_assert_uint_eq(got, N);

	pid = spawn(prefix, 1, 1, "waiter");
	for (unsigned int t = 0; t < 20000 && (atomic_load(&mp->put_slow) & 0x7fffffffu) == 0;
	     t += 2)
		sleep_ms(2);
	ck_assert_uint_eq(atomic_load(&mp->put_slow) & 0x7fffffffu, 1);
	ck_assert_uint_eq(atomic_load(&mp->put_cache_max), 0);

	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_ge(wait_reclaim(pid, 5000, &r), 0);
	ck_assert_int_eq(hm_test_wait(pid, 5000), 128 + SIGKILL);
	ck_assert_uint_eq(r.mempool_waiters, 1);
	/* Only the short reserve keeps puts slow now. */
	ck_assert_uint_eq(atomic_load(&mp->put_slow) & 0x7fffffffu, 0);
	ck_assert_int_eq(hm_mempool_audit(mp, NULL), 0);

	/* The reserve fills first, then puts go to the cache inline again. */
	for (unsigned int i = 0; i < RESERVE; i++)
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
	ck_assert_uint_eq(atomic_load(&mp->put_slow), 0);
	ck_assert_uint_eq(atomic_load(&mp->put_cache_max), CACHE);
	ck_assert_uint_eq(hm_mempool_cache_count(mp, hm_lcore_id()), 0);
	for (unsigned int i = RESERVE; i < N; i++)
		ck_assert_int_eq(hm_mempool_put(mp, objs[i]), 0);
	/* Waiters would have sent them to the ring. */
	ck_assert_uint_gt(hm_mempool_cache_count(mp, hm_lcore_id()), 0);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 0);
	ck_assert_uint_eq(hm_mempool_avail_count(mp), N);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_detached_secondary_leaves_nothing_behind_and_the_table_shows_every_process)
{
	const char *prefix = hm_test_prefix("svcd");
	struct hm_test_huge *h = primary_up("service detach", prefix);
	struct hm_reclaim_info r;
	struct hm_mempool *mp;
	unsigned int in_use = 99;
	uint64_t free_before;
	pid_t holder, leaker;
	json_t *root, *list, *svc;
	bool seen = false;

	if (h == NULL)
		return;
	mp = hm_mempool_create("svc-owned", POOL_N, POOL_ELT, POOL_CACHE, 0, NULL, NULL,
			       HM_SOCKET_ID_ANY, HM_MEMPOOL_OWNED);
	ck_assert_ptr_nonnull(mp);
	free_before = buddy_pages_free();

	holder = spawn(prefix, 3, 1, "hold");
	ck_assert(wait_memzone("svc-mzp-%d", holder, 20000));
	list = telemetry("/hugemem/procs", &root);
	ck_assert_uint_eq(json_array_size(list), 2);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);

		if (json_integer_value(json_object_get(e, "pid")) != holder)
			continue;
		ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "secondary");
		ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "live");
		ck_assert_uint_eq(json_array_size(json_object_get(e, "lcores")), 1);
		ck_assert_int_eq(
		    json_integer_value(json_array_get(json_object_get(e, "lcores"), 0)), 3);
		seen = true;
	}
	ck_assert(seen);
	json_decref(root);

	/* The lcore of a live process is refused to another. */
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 3, 0, "attach"), 30000), 2);

	leaker = spawn(prefix, 4, 0, "leak");
	ck_assert_int_eq(hm_test_wait(leaker, 30000), 0);
	ck_assert_int_ge(wait_reclaim(leaker, 5000, &r), 0);
	ck_assert_str_eq(r.cause, "detached");
	ck_assert_uint_eq(r.dma_blocks, 1);
	ck_assert_uint_eq(r.memzones, 1);
	ck_assert_uint_eq(r.mempool_objs, 5);
	ck_assert_uint_eq(r.nb_lcores, 0); /* it gave its lcore back itself */

	ck_assert_int_eq(kill(holder, SIGKILL), 0);
	ck_assert_int_ge(wait_reclaim(holder, 5000, &r), 0);
	ck_assert_int_eq(hm_test_wait(holder, 5000), 128 + SIGKILL);
	wait_only_primary();
	free_memzone("svc-mzp-%d", holder);

	svc = telemetry("/hugemem/service", &root);
	ck_assert(json_is_true(json_object_get(svc, "running")));
	ck_assert_int_ge(json_integer_value(json_object_get(svc, "deaths")), 1);
	ck_assert_int_ge(json_integer_value(json_object_get(svc, "detaches")), 1);
	json_decref(root);

	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 0);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_uint_eq(buddy_pages_free(), free_before);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/*
 * A secondary that detaches and attaches again keeps its lcore: the
 * reclaim of its old slot must not take it, and a third process asking for
 * it is refused while it lives.
 */
START_TEST(a_secondary_that_detaches_and_attaches_again_keeps_its_lcore)
{
	const char *prefix = hm_test_prefix("svcr");
	struct hm_test_huge *h = primary_up("service reattach", prefix);
	struct hm_reclaim_info r;
	pid_t pid;

	if (h == NULL)
		return;
	pid = spawn(prefix, 5, 1, "reattach");
	ck_assert(wait_memzone("svc-mzp-%d", pid, 20000));
	/* The service has seen the old slot detached and reclaimed it. */
	ck_assert_int_ge(wait_reclaim(pid, 5000, &r), 0);
	ck_assert_str_eq(r.cause, "detached");
	ck_assert_uint_eq(r.nb_lcores, 0);
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 5, 0, "attach"), 30000), 2);
	ck_assert_int_eq(hm_test_wait(pid, 30000), 0);
	wait_only_primary();
	free_memzone("svc-mzp-%d", pid);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* Owned pools without a second process: double puts, adoption, audit. */
START_TEST(an_owned_pool_refuses_double_puts_and_adoption_of_free_objects)
{
	const char *args[] = {"--no-huge", "-l", "0", "-m", "16", "--log-level", "emerg", NULL};
	struct hm_mempool *mp;
	unsigned int in_use = 0;
	void *o[4];

	ck_assert_int_ge(hm_test_eal_init(args), 0);
	mp = hm_mempool_create("own", 64, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, HM_MEMPOOL_OWNED);
	ck_assert_ptr_nonnull(mp);
	ck_assert_int_eq(hm_mempool_get_bulk(mp, o, 4), 0);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 4);
	ck_assert_int_eq(hm_mempool_obj_adopt(mp, o, 4), 0);
	ck_assert_int_eq(hm_mempool_put(mp, o[0]), 0);
	/* Twice the same object, and an adopt of a free one: refused, nothing changes. */
	ck_assert_int_eq(hm_mempool_put(mp, o[0]), -EINVAL);
	ck_assert_int_eq(hm_mempool_put_bulk(mp, o, 2), -EINVAL);
	ck_assert_int_eq(hm_mempool_obj_adopt(mp, o, 2), -EINVAL);
	ck_assert_int_eq(hm_mempool_obj_adopt(NULL, o, 1), -EINVAL);
	ck_assert_ptr_null(hm_mempool_create("own-sp", 64, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY,
					     HM_MEMPOOL_OWNED | HM_MEMPOOL_SP_PUT));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 3);
	ck_assert_uint_eq(hm_mempool_owner_count(hm_shared_config_proc_tag()), 3);
	/* What this process holds comes back through a reclaim of its tag. */
	ck_assert_uint_eq(hm_mempool_reclaim_owner(hm_shared_config_proc_tag()), 3);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 0);
	ck_assert_uint_eq(hm_mempool_avail_count(mp), 64);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
}
END_TEST

START_TEST(process_queries_refuse_bad_arguments_and_work_before_init_as_enodev)
{
	struct hm_service_stats st;

	ck_assert_int_eq(hm_proc_walk(NULL, NULL), -EINVAL);
	ck_assert_int_eq(hm_proc_walk(count_cb, NULL), -ENODEV);
	ck_assert_int_eq(hm_reclaim_walk(NULL, NULL), -EINVAL);
	ck_assert_int_eq(hm_service_stats_get(NULL), -EINVAL);
	ck_assert_int_eq(hm_service_stats_get(&st), -ENODEV);
	ck_assert_uint_eq(hm_mempool_reclaim_owner(0), 0);
	ck_assert_uint_eq(hm_mempool_owner_count(0), 0);
}
END_TEST

/* ------------------------------------------------------- the poll loop */

START_TEST(a_secondarys_blocks_and_memzones_go_through_the_service_which_checks_ownership)
{
	const char *prefix = hm_test_prefix("svcc");
	struct hm_test_huge *h = primary_up("service client", prefix);
	struct hm_service_stats before, after;
	const struct hm_memzone *victim;
	uint64_t free_before;
	json_t *root, *svc;
	void *mine;

	if (h == NULL)
		return;
	mine = hm_dma_alloc(8192, 0, HM_SOCKET_ID_ANY, 0, NULL);
	ck_assert_ptr_nonnull(mine);
	victim = hm_memzone_reserve("svc-victim", 64, HM_SOCKET_ID_ANY, 0, 0);
	ck_assert_ptr_nonnull(victim);
	*(void **)victim->addr = mine;
	free_before = buddy_pages_free();
	ck_assert_int_eq(hm_service_ping(), -ENOTSUP); /* the primary has no channel */
	ck_assert_int_eq(hm_service_stats_get(&before), 0);
	ck_assert(before.idle_mode);

	ck_assert_int_eq(hm_test_wait(spawn(prefix, 1, 1, "client"), 30000), 0);
	wait_only_primary();
	ck_assert_int_eq(hm_service_stats_get(&after), 0);
	/* ping, 8 allocs, 9 frees, 2 reserves, 1 memzone free, 2 refused frees */
	ck_assert_uint_ge(after.requests - before.requests, 23);
	ck_assert_uint_ge(after.ops[HM_SVC_ALLOC] - before.ops[HM_SVC_ALLOC], 8);
	ck_assert_uint_ge(after.ops[HM_SVC_MZ_RESERVE] - before.ops[HM_SVC_MZ_RESERVE], 2);
	ck_assert_uint_ge(after.failed - before.failed, 4);
	ck_assert_uint_eq(after.malformed, before.malformed);
	ck_assert_uint_gt(after.lat_p50_ns, 0);
	ck_assert_uint_ge(after.lat_p99_ns, after.lat_p50_ns);
	ck_assert_uint_ge(after.lat_max_ns, after.lat_p99_ns);
	/* What it was refused is still the primary's and still allocated. */
	ck_assert_ptr_eq(hm_memzone_lookup("svc-victim"), victim);
	ck_assert_ptr_null(hm_memzone_lookup("svc-client-mz"));
	ck_assert_uint_eq(buddy_pages_free(), free_before);
	ck_assert_int_eq(hm_dma_free(mine), 0);
	ck_assert_int_eq(hm_memzone_free(victim), 0);

	svc = telemetry("/hugemem/service", &root);
	ck_assert_str_eq(json_string_value(json_object_get(svc, "mode")), "idle");
	ck_assert_int_ge(json_integer_value(json_object_get(svc, "requests")), 23);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(svc, "ops"), "alloc")),
			 8);
	ck_assert_int_gt(json_integer_value(json_object_get(svc, "latency_p50_ns")), 0);
	json_decref(root);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

static unsigned int
count_lines(const char *log, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = log; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

START_TEST(malformed_requests_are_answered_with_errors_and_the_service_keeps_serving)
{
	const char *prefix = hm_test_prefix("svch");
	struct hm_test_huge *h = primary_up("service hostile", prefix);
	struct hm_service_stats before, after;
	struct hm_test_capture cap;
	static char log[65536];
	uint64_t free_before;

	if (h == NULL)
		return;
	free_before = buddy_pages_free();
	ck_assert_int_eq(hm_service_stats_get(&before), 0);
	hm_test_log_capture_start(&cap);
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 2, 1, "hostile"), 30000), 0);
	wait_only_primary();
	hm_test_log_capture_stop(&cap, log, sizeof(log));
	/*
	 * The allocator refused 6 well-formed requests, the 8th, 11th, 20th, 23rd,
	 * 32nd and 35th failures of the slot: only the 8th's and 32nd's lines show.
	 */
	ck_assert_uint_eq(
	    count_lines(log, "hugemem: buddy:") + count_lines(log, "hugemem: memzone:"), 2);
	ck_assert_uint_eq(count_lines(log, "32 requests refused so far"), 1);
	ck_assert_int_eq(hm_service_stats_get(&after), 0);
	/* 3 rounds of 12, 10 of which the decoder refuses, 2 the allocator. */
	ck_assert_uint_eq(after.malformed - before.malformed, 30);
	ck_assert_uint_ge(after.failed - before.failed, 36);
	/* It sent all 36 without reading: with both rings of 16, answers were dropped. */
	ck_assert_uint_ge(after.dropped - before.dropped, 1);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_uint_eq(buddy_pages_free(), free_before);
	ck_assert_ptr_null(hm_memzone_lookup("svc-hostile"));
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(secondaries_calls_fail_with_enotconn_when_the_primary_is_killed)
{
	const char *prefix = hm_test_prefix("svco");
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 48, "service orphan");
	char dir[256], sock[300], ready[] = "/tmp/hm-svc-ready-XXXXXX";
	const char *daemon_args[9];
	struct hm_test_args again;
	pid_t daemon, orphan;
	struct stat st;
	bool up = false;

	if (h == NULL)
		return;
	close(mkstemp(ready));
	unlink(ready);
	ck_assert_int_eq(setenv("HM_TEST_READY", ready, 1), 0);
	ck_assert_int_eq(hm_runtime_dir_path(prefix, dir, sizeof(dir)), 0);
	snprintf(sock, sizeof(sock), "%s/dpdk_telemetry.v2", dir);
	daemon_args[0] = "--huge-dir";
	daemon_args[1] = h->mount;
	daemon_args[2] = "-m";
	daemon_args[3] = "64";
	daemon_args[4] = "--file-prefix";
	daemon_args[5] = prefix;
	daemon_args[6] = "--log-level";
	daemon_args[7] = "error";
	daemon_args[8] = NULL;
	/* hugememd in its default, busy, mode. */
	daemon = hm_test_spawn(hm_test_env_path("HM_TEST_HUGEMEMD"), daemon_args);
	for (int i = 0; i < 600 && !up; i++) {
		up = stat(sock, &st) == 0;
		if (!up)
			sleep_ms(50);
	}
	ck_assert_msg(up, "hugememd never opened %s", sock);
	orphan = spawn(prefix, 5, 1, "orphan"); /* hugememd has lcores 0 and 1 */
	for (int i = 0; i < 600 && stat(ready, &st) != 0; i++)
		sleep_ms(50);
	ck_assert_int_eq(stat(ready, &st), 0);
	sleep_ms(100);
	ck_assert_int_eq(kill(daemon, SIGKILL), 0);
	ck_assert_int_eq(hm_test_wait(daemon, 5000), 128 + SIGKILL);
	/* Well inside the client's 5 s timeout: noticed, not timed out. */
	ck_assert_int_eq(hm_test_wait(orphan, 4000), 0);
	unlink(ready);
	unsetenv("HM_TEST_READY");
	/* A new primary of the prefix clears what the dead one left. */
	again = hm_test_huge_primary(h, "0", "32", prefix, "error", NULL);
	ck_assert_int_ge(hm_test_eal_init(again.v), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/*
 * A reclaim needs the allocators' locks; a live secondary may hold one while
 * it waits for the service to answer it. The loop must answer meanwhile.
 */
START_TEST(the_service_answers_a_secondary_that_holds_a_lock_a_reclaim_waits_for)
{
	const char *prefix = hm_test_prefix("svcw");
	struct hm_test_huge *h = primary_up("service walker", prefix);
	struct hm_reclaim_info r;
	struct hm_mempool *mp;
	pid_t holder, walker;

	if (h == NULL)
		return;
	mp = hm_mempool_create("svc-walked", 64, 64, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	ck_assert_ptr_nonnull(mp);
	holder = spawn(prefix, 3, 1, "hold");
	ck_assert(wait_memzone("svc-mzp-%d", holder, 20000));
	walker = spawn(prefix, 4, 0, "walker");
	ck_assert(wait_memzone("svc-walk-%d", walker, 20000));
	/* The walker holds the pool table now; the holder's reclaim will wait for it. */
	ck_assert_int_eq(kill(holder, SIGKILL), 0);
	ck_assert_int_eq(hm_test_wait(walker, 30000), 0);
	ck_assert_int_ge(wait_reclaim(holder, 5000, &r), 0);
	ck_assert_int_eq(hm_test_wait(holder, 5000), 128 + SIGKILL);
	wait_only_primary();
	free_memzone("svc-mzp-%d", holder);
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

/* The decoder alone: every operation's good form passes, each bad field is named. */
#define LATE_HOLD_MAX_MS 60000 /* two client timeouts of 5 s, with room for a slow machine */

/*
 * hm_memzone_walk() callback: hold the memzone table, so that the service
 * waits on it, until the helper says both its calls have timed out (4).
 */
static int
hold_memzones_cb(const struct hm_memzone *mz, void *arg)
{
	_Atomic int *flag = arg;

	(void)mz;
	atomic_store(flag, 1);
	for (unsigned int t = 0; t < LATE_HOLD_MAX_MS && atomic_load(flag) != 4; t += 5)
		sleep_ms(5);
	return 1;
}

START_TEST(what_requests_that_timed_out_allocated_after_all_is_given_back)
{
	const char *prefix = hm_test_prefix("svcl");
	struct hm_test_huge *h = primary_up("service late answers", prefix);
	const struct hm_memzone *flag;
	uint64_t free_before;
	pid_t late;

	if (h == NULL)
		return;
	flag = hm_memzone_reserve("svc-late-flag", 64, HM_SOCKET_ID_ANY, HM_BUDDY_ZERO, 0);
	ck_assert_ptr_nonnull(flag);
	free_before = buddy_pages_free();
	late = spawn(prefix, 2, 1, "late");
	/* Let it attach and find the flag (both need the memzone table), then hold the table. */
	for (unsigned int t = 0; t < 20000 && atomic_load((_Atomic int *)flag->addr) != 3; t += 5)
		sleep_ms(5);
	ck_assert_int_eq(atomic_load((_Atomic int *)flag->addr), 3);
	hm_memzone_walk(hold_memzones_cb, flag->addr);
	ck_assert_int_eq(atomic_load((_Atomic int *)flag->addr), 4);
	atomic_store((_Atomic int *)flag->addr, 2);
	ck_assert_int_eq(hm_test_wait(late, 30000), 0);
	wait_only_primary();
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_uint_eq(buddy_pages_free(), free_before);
	ck_assert_int_eq(hm_memzone_free(flag), 0);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_request_wakes_a_sleeping_idle_mode_loop_at_once)
{
	const char *prefix = hm_test_prefix("svcb");
	struct hm_test_huge *h = primary_up("service doorbell", prefix);
	struct hm_service_stats before, after;

	if (h == NULL)
		return;
	ck_assert_int_eq(hm_service_stats_get(&before), 0);
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 2, 1, "doorbell"), 60000), 0);
	wait_only_primary();
	ck_assert_int_eq(hm_service_stats_get(&after), 0);
	ck_assert(after.idle_mode);
	ck_assert_uint_ge(after.sleeps - before.sleeps, 11);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(a_forked_child_of_a_secondary_cannot_use_its_parents_channel)
{
	const char *prefix = hm_test_prefix("svcf");
	struct hm_test_huge *h = primary_up("service fork", prefix);
	uint64_t free_before;

	if (h == NULL)
		return;
	free_before = buddy_pages_free();
	ck_assert_int_eq(hm_test_wait(spawn(prefix, 2, 1, "fork"), 30000), 0);
	wait_only_primary();
	ck_assert_int_eq(hm_buddy_audit(), 0);
	ck_assert_uint_eq(buddy_pages_free(), free_before);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}
END_TEST

START_TEST(the_request_decoder_accepts_good_requests_and_refuses_each_bad_field)
{
	struct hm_svc_msg m;
	const char *why = NULL;

#define FRESH(o) (memset(&m, 0, sizeof(m)), m.magic = HM_SVC_MAGIC, m.op = (o))
	ck_assert_int_eq(hm_svc_decode(NULL, &why), -EPROTO);
	FRESH(HM_SVC_NOP);
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.magic = 0;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EPROTO);
	ck_assert_str_eq(why, "bad magic");
	FRESH(HM_SVC_OP_MAX);
	ck_assert_int_eq(hm_svc_decode(&m, NULL), -EPROTO);
	FRESH(HM_SVC_ALLOC);
	m.order = HM_BUDDY_MAX_ORDER;
	m.socket = HM_SOCKET_ID_ANY;
	m.flags = HM_BUDDY_ZERO;
	m.pgflags = 0x2; /* PGF_SLAB: nobody's */
	m.tag = 0;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.order++;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.order = 0, m.flags = 0x100;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	ck_assert_str_eq(why, "unknown flags");
	m.flags = 0, m.socket = HM_MAX_NUMA_NODES;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.socket = 0, m.pgflags = 0x1; /* PGF_MEMZONE */
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.pgflags = 0, m.tag = 0x80;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	/* Nobody's blocks are a shared structure's, one kind; the sender's are not. */
	m.tag = 0, m.pgflags = 0x10;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.pgflags = 0;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.pgflags = 0x4; /* PGF_KMALLOC */
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.pgflags = 0x18;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.tag = HM_SVC_TAG_SELF, m.pgflags = 0x4;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.pgflags = 0x8; /* PGF_RING */
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	FRESH(HM_SVC_ALLOC_EXACT);
	m.tag = HM_SVC_TAG_SELF;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL); /* size 0 */
	m.size = 12345;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	FRESH(HM_SVC_FREE);
	m.addr = 0x200000001000ull;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.addr += 8;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	FRESH(HM_SVC_MZ_RESERVE);
	m.size = 64;
	strcpy(m.name, "ok-name");
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.flags = HM_MEMZONE_PERSIST;
	ck_assert_int_eq(hm_svc_decode(&m, &why), 0);
	m.align = 48;
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	m.align = 0, m.name[2] = '\n';
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	memset(m.name, 'a', sizeof(m.name));
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
	FRESH(HM_SVC_MZ_FREE);
	ck_assert_int_eq(hm_svc_decode(&m, &why), -EINVAL);
#undef FRESH
	ck_assert_str_eq(hm_service_op_name(HM_SVC_ALLOC), "alloc");
	ck_assert_str_eq(hm_service_op_name(0), "unknown");
	ck_assert_str_eq(hm_service_op_name(1000), "unknown");
}
END_TEST

static Suite *
service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("service");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, process_queries_refuse_bad_arguments_and_work_before_init_as_enodev);
	tcase_add_test(tc, an_owned_pool_refuses_double_puts_and_adoption_of_free_objects);
	tcase_add_test(
	    tc, a_detached_secondary_leaves_nothing_behind_and_the_table_shows_every_process);
	tcase_add_test(tc, a_secondary_that_detaches_and_attaches_again_keeps_its_lcore);
	tcase_add_test(tc, a_secondary_killed_while_it_waits_for_an_object_leaves_puts_fast);
	tcase_add_test(tc,
		       a_secondary_killed_mid_run_gives_back_every_block_object_and_lcore_it_held);
	tcase_add_test(tc, the_request_decoder_accepts_good_requests_and_refuses_each_bad_field);
	tcase_add_test(
	    tc, a_secondarys_blocks_and_memzones_go_through_the_service_which_checks_ownership);
	tcase_add_test(tc,
		       malformed_requests_are_answered_with_errors_and_the_service_keeps_serving);
	tcase_add_test(tc, secondaries_calls_fail_with_enotconn_when_the_primary_is_killed);
	tcase_add_test(tc, the_service_answers_a_secondary_that_holds_a_lock_a_reclaim_waits_for);
	tcase_add_test(tc, what_requests_that_timed_out_allocated_after_all_is_given_back);
	tcase_add_test(tc, a_forked_child_of_a_secondary_cannot_use_its_parents_channel);
	tcase_add_test(tc, a_request_wakes_a_sleeping_idle_mode_loop_at_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(service_suite());
}
