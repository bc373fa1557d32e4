/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary of the service suite, started by the primary with
 * fork+exec:
 *
 *   hm_test_service_helper [EAL args of a secondary] -- MODE
 *
 * work    Reserves memzone "svc-mz-<pid>" (its own) and, once it has made
 *         one round, "svc-mzp-<pid>" (HM_MEMZONE_PERSIST): the primary
 *         waits for that one. Then, until the int in memzone "svc-stop"
 *         turns non-zero, it keeps HOLD_DMA DMA blocks, HOLD_OBJS objects
 *         of the owned pool "svc-owned" and HOLD_SLAB objects of the owned
 *         slab cache "svc-slab", and takes and frees SLAB_BURST objects of
 *         that cache at a time, replacing the oldest of each every round.
 *         Every block and object carries the pid and a round number,
 *         checked before it is given back: an object handed to two
 *         processes at once fails the check. At the stop it gives
 *         everything back but the persistent memzone and exits 0.
 * leak    Takes a DMA block, a memzone "svc-leak-<pid>" and LEAK_OBJS
 *         objects of "svc-owned", then detaches with hm_eal_cleanup() and
 *         exits 0 without giving them back.
 * attach  Attaches, takes and frees one object of "svc-slab" if there is
 *         such a cache (so that its lcore has its slab array region, which
 *         stays with the lcore id), and exits 0.
 * hold    Attaches, reserves "svc-mzp-<pid>" and sleeps until killed.
 * reattach Detaches and attaches again on the same lcore, reserves
 *         "svc-mzp-<pid>", keeps the lcore REATTACH_MS and exits 0.
 * client  Goes through the service: a ping, DMA blocks and a memzone of
 *         its own, taken and given back; then tries to free the block whose
 *         address the primary left in memzone "svc-victim" and that
 *         memzone itself, both the primary's: each must be refused with
 *         EPERM and stay allocated.
 * hostile Writes into its own request ring what the library never sends
 *         (bad magic, unknown operations, out-of-range fields, names
 *         without their NUL, addresses that are no block, more requests
 *         than the ring holds without reading an answer), checks that
 *         each answer is an error, then that the service still serves it.
 * walker  Inside an hm_mempool_walk() callback, so holding the pool table's
 *         lock, reserves "svc-walk-<pid>" (the primary then kills another
 *         secondary, whose reclaim needs that lock), waits WALK_MS and
 *         allocates a DMA block: the service must answer within 2 s.
 * orphan  Creates the file named by $HM_TEST_READY, then allocates and frees
 *         a DMA block every 5 ms until a call fails: it must fail with
 *         ENOTCONN (the primary was killed), and so must the next call, at
 *         once. Exits 0 then, or 100+ if a call hangs or fails otherwise.
 *
 * late    Sets the int in memzone "svc-late-flag" to 3, then waits until it
 *         turns 1 (the primary then holds the memzone table), then reserves
 *         memzone "svc-late-<pid>" and allocates a DMA block: both must fail
 *         with ETIMEDOUT. Then it sets the int to 4 and waits for 2 (the
 *         primary let go, and the service ran both after all). Reserving
 *         the same memzone again must succeed (the service answers EEXIST,
 *         the client gives the late memzone back and tries once more), and
 *         after that memzone's free the process table must show it holding
 *         what it held before.
 * doorbell Against a primary in idle mode: DOORBELL_TRIES times, waits
 *         until the service loop has gone to sleep on its doorbell, lets it
 *         sleep a millisecond, then pings. A lost wake-up would leave the
 *         ping waiting for the rest of the 10 ms nap: the median round
 *         trip must stay under DOORBELL_MEDIAN_NS.
 * waiter  Waits in hm_mempool_alloc(HM_MEMPOOL_WAIT) on pool "svc-wait",
 *         which the primary emptied, until it is killed; exits 150+ if the
 *         wait ends.
 * fork    Forks: the child's calls through the service must fail with
 *         ENOTSUP at once and its hm_eal_cleanup() with -ECHILD; the
 *         parent's calls must still work after the child exited.
 *
 * Exit status: 0, or the step that failed, with a line on stderr.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include "hm_common.h"
#include "memory_pvt.h"
#include "service_msg.h"
#include "service_pvt.h"

#define HOLD_DMA	   8
#define HOLD_OBJS	   48
#define OBJ_BURST	   16
#define SLAB_BURST	   8
#define HOLD_SLAB	   6
#define LEAK_OBJS	   5
#define REATTACH_MS	   1500
#define WALK_MS		   300
#define DOORBELL_TRIES	   11
#define DOORBELL_MEDIAN_NS 4000000ull

static uint64_t
stamp(unsigned int round)
{
	return (uint64_t)getpid() << 32 | round;
}

static int
fail(int code, const char *what)
{
	fprintf(stderr, "service_helper %d: %s (errno %d: %s)\n", (int)getpid(), what, errno,
		strerror(errno));
	return code;
}

static int
reserve_marker(const char *fmt, unsigned int flags)
{
	char name[HM_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), fmt, (int)getpid());
	return hm_memzone_reserve(name, 64, HM_SOCKET_ID_ANY, flags, 0) == NULL ? -1 : 0;
}

static int
work(void)
{
	const struct hm_memzone *stop = hm_memzone_lookup("svc-stop");
	struct hm_mempool *mp = hm_mempool_lookup("svc-owned");
	struct hm_slab_cache *sc = hm_slab_cache_lookup("svc-slab");
	void *dma[HOLD_DMA] = {NULL};
	void *objs[HOLD_OBJS];
	void *held[HOLD_SLAB] = {NULL};
	unsigned int nobjs = 0, round;

	if (stop == NULL || mp == NULL || sc == NULL)
		return fail(10, "lookup of svc-stop, svc-owned or svc-slab");
	if (reserve_marker("svc-mz-%d", 0) < 0)
		return fail(11, "own memzone");
	for (round = 0; atomic_load((_Atomic int *)stop->addr) == 0; round++) {
		unsigned int d = round % HOLD_DMA;
		void *slab[SLAB_BURST];

		/* DMA: the oldest block goes, a new one comes. */
		if (dma[d] != NULL) {
			if (*(uint64_t *)dma[d] != stamp(round - HOLD_DMA))
				return fail(20, "a DMA block changed under us");
			if (hm_dma_free(dma[d]) != 0)
				return fail(21, "hm_dma_free");
		}
		dma[d] = hm_dma_alloc(4096u << (round % 4), 0, HM_SOCKET_ID_ANY, 0, NULL);
		if (dma[d] == NULL)
			return fail(22, "hm_dma_alloc");
		*(uint64_t *)dma[d] = stamp(round);

		/* Mempool: a burst in, the oldest burst out once HOLD_OBJS are held. */
		if (nobjs + OBJ_BURST > HOLD_OBJS) {
			for (unsigned int i = 0; i < OBJ_BURST; i++)
				if (*(uint64_t *)objs[i] >> 32 != (uint64_t)getpid())
					return fail(30, "a mempool object changed hands");
			if (hm_mempool_put_bulk(mp, objs, OBJ_BURST) != 0)
				return fail(31, "hm_mempool_put_bulk");
			nobjs -= OBJ_BURST;
			memmove(objs, objs + OBJ_BURST, nobjs * sizeof(void *));
		}
		if (hm_mempool_get_bulk(mp, objs + nobjs, OBJ_BURST) != 0)
			return fail(32, "hm_mempool_get_bulk");
		for (unsigned int i = 0; i < OBJ_BURST; i++)
			*(uint64_t *)objs[nobjs + i] = stamp(round);
		nobjs += OBJ_BURST;

		/* Slab: the oldest held object is replaced, a new one taken first. */
		{
			void *obj = hm_slab_alloc(sc, 0);
			unsigned int k = round % HOLD_SLAB;

			if (obj == NULL)
				return fail(42, "hm_slab_alloc of a held object");
			*(uint64_t *)obj = stamp(round);
			if (held[k] != NULL) {
				if (*(uint64_t *)held[k] != stamp(round - HOLD_SLAB))
					return fail(43, "a held slab object changed under us");
				if (hm_slab_free(held[k]) != 0)
					return fail(44, "hm_slab_free of a held object");
			}
			held[k] = obj;
		}
		/* Slab: a burst allocated and freed. */
		for (unsigned int i = 0; i < SLAB_BURST; i++) {
			slab[i] = hm_slab_alloc(sc, 0);
			if (slab[i] == NULL)
				return fail(40, "hm_slab_alloc");
			*(uint64_t *)slab[i] = stamp(round);
		}
		for (unsigned int i = 0; i < SLAB_BURST; i++) {
			if (*(uint64_t *)slab[i] != stamp(round))
				return fail(41, "a slab object changed under us");
			if (hm_slab_free(slab[i]) != 0)
				return fail(45, "hm_slab_free");
		}
		if (round == HOLD_DMA && reserve_marker("svc-mzp-%d", HM_MEMZONE_PERSIST) < 0)
			return fail(12, "persistent memzone");
	}
	for (unsigned int d = 0; d < HOLD_DMA; d++)
		if (dma[d] != NULL && hm_dma_free(dma[d]) != 0)
			return fail(50, "hm_dma_free at the stop");
	if (nobjs != 0 && hm_mempool_put_bulk(mp, objs, nobjs) != 0)
		return fail(51, "hm_mempool_put_bulk at the stop");
	for (unsigned int k = 0; k < HOLD_SLAB; k++)
		if (held[k] != NULL && hm_slab_free(held[k]) != 0)
			return fail(53, "hm_slab_free at the stop");
	{
		char name[HM_MEMZONE_NAMESIZE];

		snprintf(name, sizeof(name), "svc-mz-%d", (int)getpid());
		if (hm_memzone_free(hm_memzone_lookup(name)) != 0)
			return fail(52, "hm_memzone_free");
	}
	return 0;
}

static int
leak(void)
{
	struct hm_mempool *mp = hm_mempool_lookup("svc-owned");
	void *objs[LEAK_OBJS];

	if (mp == NULL)
		return fail(60, "lookup of svc-owned");
	if (hm_dma_alloc(8192, 0, HM_SOCKET_ID_ANY, 0, NULL) == NULL)
		return fail(61, "hm_dma_alloc");
	if (reserve_marker("svc-leak-%d", 0) < 0)
		return fail(62, "memzone");
	if (hm_mempool_get_bulk(mp, objs, LEAK_OBJS) != 0)
		return fail(63, "hm_mempool_get_bulk");
	return 0;
}

/* Through the service: a secondary's own blocks work, the primary's are refused. */
static int
client(void)
{
	const struct hm_memzone *victim = hm_memzone_lookup("svc-victim"), *mz;
	void *blocks[8];
	void *theirs;

	if (hm_service_ping() != 0)
		return fail(110, "hm_service_ping");
	for (unsigned int i = 0; i < 8; i++) {
		hm_iova_t iova = 0;

		blocks[i] =
		    hm_dma_alloc(4096u << (i % 4), 0, HM_SOCKET_ID_ANY, HM_BUDDY_ZERO, &iova);
		if (blocks[i] == NULL || iova == 0 || iova != hm_virt2iova(blocks[i]))
			return fail(111, "hm_dma_alloc");
		memset(blocks[i], 0x5a, 4096);
	}
	for (unsigned int i = 0; i < 8; i++)
		if (hm_dma_free(blocks[i]) != 0)
			return fail(112, "hm_dma_free");
	if (hm_dma_free(blocks[0]) != -EINVAL)
		return fail(113, "a double free was not refused");
	mz = hm_memzone_reserve("svc-client-mz", 10000, HM_SOCKET_ID_ANY, 0, 0);
	if (mz == NULL || hm_memzone_lookup("svc-client-mz") != mz)
		return fail(114, "hm_memzone_reserve");
	if (hm_memzone_reserve("svc-client-mz", 10, HM_SOCKET_ID_ANY, 0, 0) != NULL ||
	    errno != EEXIST)
		return fail(115, "a taken memzone name was not refused");
	if (hm_memzone_free(mz) != 0)
		return fail(116, "hm_memzone_free");
	if (victim == NULL)
		return fail(117, "no memzone svc-victim");
	theirs = *(void *const *)victim->addr;
	if (hm_dma_free(theirs) != -EPERM)
		return fail(118, "the primary's block was not refused");
	if (hm_memzone_free(victim) != -EPERM)
		return fail(119, "the primary's memzone was not refused");
	return 0;
}

/* Send raw requests on this process's own channel; each answer must be an error. */
static int
hostile(void)
{
	struct service_shared *sh = hm_service_shared();
	int slot = hm_shared_config_proc_slot();
	struct svc_chan *c;
	struct hm_svc_msg bad[12], r;
	unsigned int n = 0, answered = 0;
	uint64_t t0;

	if (sh == NULL || slot < 0)
		return fail(120, "no service state");
	c = &sh->chan[slot];
	memset(bad, 0, sizeof(bad));
	for (unsigned int i = 0; i < 12; i++) {
		bad[i].magic = HM_SVC_MAGIC;
		bad[i].seq = 1000 + i;
	}
	bad[n++].magic = 0xdeadbeef;				       /* not a request */
	bad[n++].op = 0;					       /* no operation */
	bad[n].op = 999, n++;					       /* unknown one */
	bad[n].op = HM_SVC_ALLOC, bad[n].order = 64, n++;	       /* order too big */
	bad[n].op = HM_SVC_ALLOC, bad[n].socket = 77, n++;	       /* no such socket */
	bad[n].op = HM_SVC_ALLOC, bad[n].pgflags = 0x1, n++;	       /* memzone's flag */
	bad[n].op = HM_SVC_ALLOC_EXACT, bad[n].size = 1ull << 60, n++; /* absurd size */
	bad[n].op = HM_SVC_FREE, bad[n].addr = 0x1000, n++;	       /* no block there */
	bad[n].op = HM_SVC_FREE, bad[n].addr = 12345, n++;	       /* not a page */
	bad[n].op = HM_SVC_MZ_RESERVE, bad[n].size = 64;	       /* name without NUL */
	memset(bad[n].name, 'x', sizeof(bad[n].name)), n++;
	bad[n].op = HM_SVC_MZ_FREE, bad[n].addr = 0x10000, n++;		   /* not a memzone */
	bad[n].op = HM_SVC_MZ_RESERVE, bad[n].size = 64, bad[n].align = 3; /* bad alignment */
	strcpy(bad[n].name, "svc-hostile"), n++;
	/* More than the ring holds: the service must drain and answer, never block. */
	for (unsigned int round = 0; round < 3; round++) {
		t0 = hm_time_ns();
		for (unsigned int i = 0; i < n;) {
			if (hm_ring_enqueue_elem(c->req, &bad[i], sizeof(bad[i])) == 0) {
				i++;
				continue;
			}
			if (hm_time_ns() - t0 > 5000000000ull)
				return fail(121, "the service does not take requests");
			usleep(100);
		}
		atomic_fetch_add(&sh->doorbell, 1);
		hm_futex_wake(&sh->doorbell);
	}
	/* Answers beyond the response ring were dropped: read what is there. */
	t0 = hm_time_ns();
	while (hm_time_ns() - t0 < 500000000ull) {
		if (hm_ring_dequeue_elem(c->rsp, &r, sizeof(r)) != 0) {
			usleep(1000);
			continue;
		}
		if (r.status >= 0 || r.addr != 0) {
			fprintf(stderr, "service_helper: request %u answered %d\n", r.seq,
				r.status);
			return 122;
		}
		answered++;
	}
	if (answered == 0)
		return fail(123, "no answer at all");
	/* Still served, the normal way. */
	if (hm_service_ping() != 0)
		return fail(124, "ping after the bad requests");
	void *p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL);

	if (p == NULL || hm_dma_free(p) != 0)
		return fail(125, "hm_dma_alloc after the bad requests");
	printf("answered %u\n", answered);
	return 0;
}

/* hm_mempool_walk() callback: the service must serve while we hold the table lock. */
static int
walk_cb(struct hm_mempool *mp, void *arg)
{
	int *status = arg;
	struct timespec ts = {0, WALK_MS * 1000000L};
	uint64_t t0;
	void *p;

	(void)mp;
	if (*status != -1)
		return 0;
	if (reserve_marker("svc-walk-%d", 0) < 0) {
		*status = fail(140, "marker memzone");
		return 1;
	}
	nanosleep(&ts, NULL);
	t0 = hm_time_ns();
	p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL);
	if (p == NULL) {
		*status = fail(141, "hm_dma_alloc under the pool table lock");
		return 1;
	}
	if (hm_time_ns() - t0 > 2000000000ull) {
		*status = fail(142, "the service answered only after 2 s");
		return 1;
	}
	*status = hm_dma_free(p) == 0 ? 0 : fail(143, "hm_dma_free");
	return 1;
}

/* Allocate until the primary is gone: the call must fail with ENOTCONN, and fast. */
static int
orphan(void)
{
	const char *ready = getenv("HM_TEST_READY");
	uint64_t t0;
	void *p;
	FILE *f;

	if (ready == NULL || (f = fopen(ready, "w")) == NULL)
		return fail(130, "HM_TEST_READY");
	fclose(f);
	for (;;) {
		int ret;

		p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL);
		if (p == NULL)
			break;
		ret = hm_dma_free(p);
		if (ret == -ENOTCONN) {
			errno = ENOTCONN;
			break;
		}
		if (ret != 0)
			return fail(131, "hm_dma_free");
		usleep(5000);
	}
	if (errno != ENOTCONN)
		return fail(132, "the failed call's errno is not ENOTCONN");
	t0 = hm_time_ns();
	if (hm_memzone_reserve("svc-orphan", 64, HM_SOCKET_ID_ANY, 0, 0) != NULL ||
	    errno != ENOTCONN)
		return fail(133, "the next call did not fail with ENOTCONN");
	if (hm_service_ping() != -ENOTCONN)
		return fail(134, "ping did not fail with ENOTCONN");
	if (hm_time_ns() - t0 > 100000000ull)
		return fail(135, "later calls wait for the dead primary");
	return 0;
}

struct holdings {
	int32_t pid;
	uint32_t dma_blocks, memzones;
};

static int
holdings_cb(const struct hm_proc_info *p, void *arg)
{
	struct holdings *h = arg;

	if (p->pid != h->pid)
		return 0;
	h->dma_blocks = p->dma_blocks;
	h->memzones = p->memzones;
	return 1;
}

static struct holdings
holdings(void)
{
	struct holdings h = {.pid = (int32_t)getpid(), .dma_blocks = ~0u, .memzones = ~0u};

	hm_proc_walk(holdings_cb, &h);
	return h;
}

/* Two requests time out while the primary holds the memzone table; their late answers are undone.
 */
static int
late(void)
{
	const struct hm_memzone *flag = hm_memzone_lookup("svc-late-flag");
	struct holdings before = holdings(), after;
	const struct hm_memzone *mz;
	char name[HM_MEMZONE_NAMESIZE];
	void *p;

	if (flag == NULL || before.dma_blocks == ~0u)
		return fail(150, "memzone svc-late-flag or the process table");
	atomic_store((_Atomic int *)flag->addr, 3); /* ready */
	while (atomic_load((_Atomic int *)flag->addr) != 1)
		usleep(1000);
	snprintf(name, sizeof(name), "svc-late-%d", (int)getpid());
	if (hm_memzone_reserve(name, 4096, HM_SOCKET_ID_ANY, 0, 0) != NULL || errno != ETIMEDOUT)
		return fail(151, "the memzone reserve did not time out");
	p = hm_dma_alloc(65536, 0, HM_SOCKET_ID_ANY, 0, NULL);
	if (p != NULL || errno != ETIMEDOUT)
		return fail(152, "the DMA allocation did not time out");
	/* Both gave up: the primary may let go, and both run late. */
	atomic_store((_Atomic int *)flag->addr, 4);
	while (atomic_load((_Atomic int *)flag->addr) != 2)
		usleep(1000);
	/*
	 * The caller tries the reserve again. The late first try took the name,
	 * so the service answers EEXIST; the undo frees the late memzone, and the
	 * client tries once more: the reserve must succeed.
	 */
	mz = hm_memzone_reserve(name, 4096, HM_SOCKET_ID_ANY, 0, 0);
	if (mz == NULL)
		return fail(153, "the reserve tried again after the late answers");
	if (hm_memzone_free(mz) != 0)
		return fail(156, "hm_memzone_free");
	after = holdings();
	if (after.dma_blocks != before.dma_blocks || after.memzones != before.memzones) {
		fprintf(stderr, "late: holds %u blocks and %u memzones, had %u and %u\n",
			after.dma_blocks, after.memzones, before.dma_blocks, before.memzones);
		return 154;
	}
	if (hm_memzone_lookup(name) != NULL)
		return fail(155, "the late memzone is still there");
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A sleeping service loop wakes up for a request at once. */
static int
doorbell(void)
{
	struct service_shared *sh = hm_service_shared();
	uint64_t rtt[DOORBELL_TRIES];

	if (sh == NULL || !sh->idle_mode)
		return fail(170, "no service in idle mode");
	for (unsigned int i = 0; i < DOORBELL_TRIES; i++) {
		uint64_t t0 = hm_time_ns();

		while (atomic_load(&sh->sleeping) == 0)
			if (hm_time_ns() - t0 > 5000000000ull)
				return fail(171, "the service loop never went to sleep");
		usleep(1000);
		t0 = hm_time_ns();
		if (hm_service_ping() != 0)
			return fail(172, "ping");
		rtt[i] = hm_time_ns() - t0;
	}
	qsort(rtt, DOORBELL_TRIES, sizeof(rtt[0]), cmp_u64);
	printf("doorbell: round trips to a sleeping loop: min %" PRIu64 " ns, median %" PRIu64
	       " ns, max %" PRIu64 " ns\n",
	       rtt[0], rtt[DOORBELL_TRIES / 2], rtt[DOORBELL_TRIES - 1]);
	if (rtt[DOORBELL_TRIES / 2] >= DOORBELL_MEDIAN_NS)
		return fail(173, "the doorbell did not wake the loop");
	return 0;
}

/* A child of fork() must not speak on its parent's channel. */
static int
forked(void)
{
	pid_t child = fork();
	int st;
	void *p;

	if (child < 0)
		return fail(160, "fork");
	if (child == 0) {
		uint64_t t0 = hm_time_ns();

		if (hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL) != NULL || errno != ENOTSUP)
			_exit(fail(161, "the child's DMA allocation did not fail with ENOTSUP"));
		if (hm_service_ping() != -ENOTSUP)
			_exit(fail(162, "the child's ping did not fail with ENOTSUP"));
		if (hm_time_ns() - t0 > 100000000ull)
			_exit(fail(163, "the child's calls waited"));
		if (hm_eal_cleanup() != -ECHILD)
			_exit(fail(164, "the child's hm_eal_cleanup() did not refuse"));
		_exit(0);
	}
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail(165, "the child failed");
	p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL);
	if (p == NULL || hm_dma_free(p) != 0 || hm_service_ping() != 0)
		return fail(166, "the parent's calls after the child");
	return 0;
}

int
main(int argc, char **argv)
{
	static char *again[64]; /* argv as it came, for the second init of "reattach" */
	const char *mode;
	int status, ret;

	if (argc >= (int)(sizeof(again) / sizeof(again[0])))
		return fail(3, "too many arguments");
	memcpy(again, argv, (size_t)argc * sizeof(char *));
	ret = hm_eal_init(argc, argv);
	if (ret < 0)
		return fail(2, "hm_eal_init");
	argc -= ret;
	argv += ret;
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argc--;
		argv++;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: hm_test_service_helper [EAL args] -- "
				"work|leak|attach|hold|reattach|client|hostile|orphan|late|"
				"doorbell|fork|waiter\n");
		hm_eal_cleanup();
		return 3;
	}
	mode = argv[1];
	if (strcmp(mode, "work") == 0) {
		status = work();
	} else if (strcmp(mode, "leak") == 0) {
		status = leak();
	} else if (strcmp(mode, "attach") == 0) {
		struct hm_slab_cache *sc = hm_slab_cache_lookup("svc-slab");
		void *obj = sc == NULL ? NULL : hm_slab_alloc(sc, 0);

		status = sc != NULL && obj == NULL ? fail(80, "hm_slab_alloc") : 0;
		if (obj != NULL)
			hm_slab_free(obj);
	} else if (strcmp(mode, "reattach") == 0) {
		int argc2 = 0;

		while (again[argc2] != NULL)
			argc2++;
		hm_eal_cleanup();
		if (hm_eal_init(argc2, again) < 0)
			return fail(90, "hm_eal_init again");
		if (reserve_marker("svc-mzp-%d", HM_MEMZONE_PERSIST) < 0) {
			status = fail(91, "memzone");
		} else {
			struct timespec ts = {REATTACH_MS / 1000, (REATTACH_MS % 1000) * 1000000L};

			nanosleep(&ts, NULL);
			status = 0;
		}
	} else if (strcmp(mode, "client") == 0) {
		status = client();
	} else if (strcmp(mode, "hostile") == 0) {
		status = hostile();
	} else if (strcmp(mode, "walker") == 0) {
		status = -1;
		hm_mempool_walk(walk_cb, &status);
		if (status == -1)
			status = fail(144, "no mempool to walk");
	} else if (strcmp(mode, "orphan") == 0) {
		status = orphan();
	} else if (strcmp(mode, "late") == 0) {
		status = late();
	} else if (strcmp(mode, "doorbell") == 0) {
		status = doorbell();
	} else if (strcmp(mode, "fork") == 0) {
		status = forked();
	} else if (strcmp(mode, "waiter") == 0) {
		struct hm_mempool *mp = hm_mempool_lookup("svc-wait");
		void *obj;

		if (mp == NULL)
			status = fail(150, "no pool svc-wait");
		else if (hm_mempool_alloc(mp, &obj, HM_MEMPOOL_WAIT, 0) < 0)
			status = fail(151, "hm_mempool_alloc");
		else
			status = fail(152, "the wait on an empty pool ended");
	} else if (strcmp(mode, "hold") == 0) {
		if (reserve_marker("svc-mzp-%d", HM_MEMZONE_PERSIST) < 0)
			status = fail(70, "memzone");
		else
			for (;;)
				pause();
	} else {
		fprintf(stderr, "service_helper: unknown mode %s\n", mode);
		status = 3;
	}
	hm_eal_cleanup();
	return status;
}
