/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service threads of the primary. hm-service is the poll-mode loop
 * over the request rings (service_serve.c answers them). hm-watch watches
 * the secondaries of the process table and takes back what a dead or
 * detached one held. They are two threads because a reclaim may wait for
 * a lock that a live secondary holds while it waits for an answer. See
 * service_pvt.h for the detection and include/hugemem/service.h for what
 * a reclaim covers.
 *
 * Order of a reclaim, and why:
 *  1. The slot is marked RECLAIMING (telemetry shows it), and the watcher
 *     waits until the loop is not inside the slot's requests: the loop
 *     serves LIVE slots only, so nothing is allocated for the slot after.
 *  2. Each lcore the process still owns is drained: its mempool caches go
 *     to the rings, its slab arrays to the depots, its buddy page lists to
 *     the free lists. Nobody else touches those caches meanwhile: the lcore
 *     ids stay the dead pid's, and a secondary asking for one waits.
 *  3. Objects of owned pools it holds, then its buddy blocks and memzones:
 *     all named by its slot (and, for mempool objects, the slot's
 *     generation), so nothing of a later process of the slot is touched.
 *  4. Its lcore ids, then its slot, are freed.
 * A detached process drained its own lcores and gave the ids back before
 * it marked itself DETACHED, and may hold them again under a new slot:
 * step 2 is skipped for it.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/buddy.h>
#include <hugemem/mempool.h>
#include <hugemem/slab.h>

#include "buddy_pvt.h"
#include "hm_common.h"
#include "memory_pvt.h"
#include "service_pvt.h"

#define SCAN_MS	    100
#define SERVE_BURST 32		/* requests of one slot per pass */
#define IDLE_SPINS  4096	/* idle mode: empty passes before it sleeps */
#define YIELD_EVERY 64		/* empty passes between two sched_yield() */
#define SLEEP_NS    10000000ull /* idle mode: the longest sleep */

static struct {
	struct service_shared *sh;
	struct hm_shared_config *mc;
	pthread_t thread;	/* the loop: serves the request rings */
	pthread_t watch_thread; /* the watcher: pidfds, reclaims */
	bool started;
	int stop_fd; /* wakes the watcher to stop */
	_Atomic bool stop;
	_Atomic bool serving[HM_MAX_PROCS]; /* the loop is answering a slot's requests */
	unsigned int rr;		    /* the slot a pass starts at */
	int pidfd[HM_MAX_PROCS];
	int32_t pid[HM_MAX_PROCS]; /* what pidfd[i] watches */
	uint32_t gen[HM_MAX_PROCS];
	bool open_failed[HM_MAX_PROCS]; /* logged once per registration */
} svc = {.stop_fd = -1};

struct service_shared *
hm_service_shared(void)
{
	return svc.sh;
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
pidfd_open(int32_t pid)
{
	return (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
}

/* ------------------------------------------------------------ reclaim */

/*
 * Flush a dead lcore's cache of one pool. Not for single-producer rings:
 * this thread would be a second producer. Their caches stay as they are,
 * objects valid for the lcore's next owner.
 */
static int
flush_pool_cache(struct hm_mempool *mp, void *arg)
{
	uint64_t *a = arg; /* [0] the lcore, [1] objects flushed */
	unsigned int n = hm_mempool_cache_count(mp, (unsigned int)a[0]);

	if (n != 0 && !(mp->flags & HM_MEMPOOL_SP_PUT)) {
		hm_mempool_cache_flush(mp, (unsigned int)a[0]);
		a[1] += n - hm_mempool_cache_count(mp, (unsigned int)a[0]);
	}
	return 0;
}

static void
log_reclaim(const struct hm_reclaim_info *r)
{
	struct service_shared *sh = svc.sh;

	hm_mutex_lock_shared(&sh->log_lock, "reclaim log");
	sh->log[sh->log_seq % HM_RECLAIM_LOG_SIZE] = *r;
	sh->log[sh->log_seq % HM_RECLAIM_LOG_SIZE].seq = sh->log_seq + 1;
	sh->log_seq++;
	pthread_mutex_unlock(&sh->log_lock);
}

static void
forget(unsigned int slot)
{
	if (svc.pidfd[slot] >= 0)
		close(svc.pidfd[slot]);
	svc.pidfd[slot] = -1;
	svc.pid[slot] = 0;
	svc.gen[slot] = 0;
	svc.open_failed[slot] = false;
}

/* Take back everything the process of a slot held, then free the slot. */
static void
reclaim(unsigned int slot, bool died, uint64_t t0)
{
	struct hm_proc_slot *ps = &svc.mc->procs[slot];
	struct hm_reclaim_info r = {.slot = slot};
	struct hm_buddy_reclaimed b;
	bool drained[HM_MAX_LCORE] = {false};
	uint32_t gen;

	r.pid = atomic_load(&ps->pid);
	gen = atomic_load(&ps->gen);
	snprintf(r.cause, sizeof(r.cause), "%s", died ? "died" : "detached");
	atomic_store(&ps->state, HM_PROC_RECLAIMING);
	/* The loop serves only LIVE slots and says when it is in one: wait it out,
	 * so that nothing is allocated for the slot after its blocks are counted. */
	while (atomic_load(&svc.serving[slot]))
		usleep(20);

	/*
	 * A dead process's lcores: every id still naming its pid (the bitmap
	 * may not be written yet if it died registering). A detached one
	 * drained and gave back its own, and may already hold them again
	 * under a new slot: leave them.
	 */
	for (unsigned int l = 0; died && l < HM_MAX_LCORE; l++) {
		uint64_t a[2] = {l, 0};

		if (atomic_load(&svc.mc->lcore_owner[l]) != r.pid)
			continue;
		hm_mempool_walk(flush_pool_cache, a);
		r.mempool_cached += a[1];
		r.slab_cached += hm_slab_drain_lcore(l);
		r.pcp_pages += hm_buddy_drain_lcore(l);
		drained[l] = true;
	}
	r.mempool_objs = hm_mempool_reclaim_owner(hm_proc_tag_of(slot, gen));
	/* Its threads that died waiting for an object no longer keep puts slow. */
	if (died)
		r.mempool_waiters = hm_mempool_reclaim_waiters(slot);
	r.slab_objs = hm_slab_reclaim_owner(hm_proc_tag_of(slot, gen));
	hm_buddy_reclaim_owner((int)slot, &b);
	r.dma_blocks = b.blocks;
	r.memzones = b.memzones;
	r.dma_pages = b.pages;
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		int32_t want = r.pid;

		if (drained[l] && atomic_compare_exchange_strong(&svc.mc->lcore_owner[l], &want, 0))
			r.nb_lcores++;
	}
	forget(slot);
	hm_service_chan_reset(svc.sh, slot);
	hm_shared_config_proc_free(svc.mc, slot);

	r.time_ns = realtime_ns();
	r.duration_ns = hm_time_ns() - t0;
	log_reclaim(&r);
	atomic_fetch_add(died ? &svc.sh->deaths : &svc.sh->detaches, 1);
	atomic_fetch_add(&svc.sh->reclaims, 1);
	atomic_fetch_add(&svc.sh->reclaim_ns, r.duration_ns);
	if (died || r.dma_blocks != 0 || r.memzones != 0 || r.mempool_objs != 0 || r.slab_objs != 0)
		hm_log(died ? HM_LOG_WARNING : HM_LOG_INFO, SERVICE,
		       "process %d (slot %u) %s: took back %u lcores, %u blocks and %u memzones "
		       "(%" PRIu64 " pages), %" PRIu64 " mempool and %" PRIu64
		       " slab objects it held, %" PRIu64 " mempool and %" PRIu64
		       " slab objects cached, %" PRIu64 " cached pages, %" PRIu64
		       " mempool waiters, in %" PRIu64 " us",
		       r.pid, slot, r.cause, r.nb_lcores, r.dma_blocks, r.memzones, r.dma_pages,
		       r.mempool_objs, r.slab_objs, r.mempool_cached, r.slab_cached, r.pcp_pages,
		       r.mempool_waiters, r.duration_ns / 1000);
}

/* -------------------------------------------------------------- watch */

/* Start watching new secondaries; reclaim detached ones and any found dead. */
static void
scan(void)
{
	const int self = hm_shared_config_proc_slot();

	for (unsigned int i = 0; i < HM_MAX_PROCS; i++) {
		struct hm_proc_slot *ps = &svc.mc->procs[i];
		int32_t pid = atomic_load(&ps->pid);
		uint32_t state, gen;
		int fd;

		if (pid == 0 || (int)i == self) {
			if (svc.pidfd[i] >= 0 || svc.pid[i] != 0)
				forget(i);
			continue;
		}
		state = atomic_load_explicit(&ps->state, memory_order_acquire);
		gen = atomic_load(&ps->gen);
		if (svc.pid[i] != 0 && (svc.pid[i] != pid || svc.gen[i] != gen))
			forget(i); /* the slot was freed and taken again in between */
		if (state == HM_PROC_DETACHED) {
			reclaim(i, false, hm_time_ns());
			continue;
		}
		if (svc.pidfd[i] >= 0)
			continue;
		if (state != HM_PROC_LIVE) {
			/* Registering: pid is set, the rest follows at once. */
			if (!hm_pid_alive(pid))
				reclaim(i, true, hm_time_ns());
			continue;
		}
		if (svc.open_failed[i]) {
			if (!hm_pid_alive(pid))
				reclaim(i, true, hm_time_ns());
			continue;
		}
		fd = pidfd_open(pid);
		if (fd < 0) {
			if (errno == ESRCH) {
				reclaim(i, true, hm_time_ns());
			} else if (!svc.open_failed[i]) {
				HM_LOG(ERR, SERVICE,
				       "pidfd_open(%d) of slot %u: %s; its death will go unnoticed",
				       pid, i, strerror(errno));
				svc.open_failed[i] = true;
				svc.pid[i] = pid;
				svc.gen[i] = gen;
				atomic_fetch_add(&svc.sh->errors, 1);
			}
			continue;
		}
		/* The pidfd is of the process now called pid: is it the one that
		 * registered? A start time that cannot be read proves nothing. */
		uint64_t start = hm_proc_start_time(pid);

		if (ps->start_time != 0 && start != 0 && start != ps->start_time) {
			close(fd);
			reclaim(i, true, hm_time_ns());
			continue;
		}
		svc.pidfd[i] = fd;
		svc.pid[i] = pid;
		svc.gen[i] = gen;
		atomic_fetch_add(&svc.sh->attaches, 1);
	}
}

/* ----------------------------------------------------------- the loop */

/* Serve every live slot's requests, a burst each, starting one further each pass. */
static unsigned int
serve_all(void)
{
	const int self = hm_shared_config_proc_slot();
	unsigned int total = 0;

	for (unsigned int k = 0; k < HM_MAX_PROCS; k++) {
		unsigned int i = (svc.rr + k) % HM_MAX_PROCS;

		if ((int)i == self ||
		    atomic_load_explicit(&svc.mc->procs[i].pid, memory_order_relaxed) == 0 ||
		    hm_ring_empty(svc.sh->chan[i].req))
			continue;
		/* A slot being reclaimed, or not yet registered, gets nothing: its
		 * reclaim empties the rings for the next process of the slot. */
		if (atomic_load_explicit(&svc.mc->procs[i].state, memory_order_acquire) !=
		    HM_PROC_LIVE)
			continue;
		/* Against reclaim(): it marks the slot first, then waits for serving to clear. */
		atomic_store(&svc.serving[i], true);
		if (atomic_load(&svc.mc->procs[i].state) == HM_PROC_LIVE)
			total += hm_service_serve(svc.sh, i, SERVE_BURST);
		atomic_store(&svc.serving[i], false);
	}
	svc.rr = (svc.rr + 1) % HM_MAX_PROCS;
	return total;
}

/* Is any request waiting? */
static bool
pending(void)
{
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++)
		if (atomic_load_explicit(&svc.mc->procs[i].pid, memory_order_relaxed) != 0 &&
		    !hm_ring_empty(svc.sh->chan[i].req))
			return true;
	return false;
}

/*
 * The watcher thread: a scan every SCAN_MS for new and detached
 * secondaries, and poll() on their pidfds in between, so a death is seen
 * at once. It runs apart from the loop because a reclaim takes the
 * allocators' locks, which a live secondary may hold while it waits for
 * the loop to answer it: the loop must go on serving meanwhile.
 */
static void *
watch_main(void *arg)
{
	struct pollfd fds[1 + HM_MAX_PROCS];
	unsigned int slot_of[1 + HM_MAX_PROCS];

	(void)arg;
	for (;;) {
		unsigned int n = 0;
		int r;

		scan();
		fds[n].fd = svc.stop_fd;
		fds[n++].events = POLLIN;
		for (unsigned int i = 0; i < HM_MAX_PROCS; i++)
			if (svc.pidfd[i] >= 0) {
				fds[n].fd = svc.pidfd[i];
				fds[n].events = POLLIN;
				slot_of[n++] = i;
			}
		r = poll(fds, n, SCAN_MS);
		atomic_fetch_add_explicit(&svc.sh->wakeups, 1, memory_order_relaxed);
		if (r < 0) {
			if (errno != EINTR) {
				atomic_fetch_add(&svc.sh->errors, 1);
				usleep(SCAN_MS * 1000);
			}
			continue;
		}
		if (fds[0].revents != 0)
			break;
		for (unsigned int k = 1; k < n && r > 0; k++)
			if (fds[k].revents != 0) {
				/* Still the process we watch: a freed slot closes its fd
				 * first. One that detached before it exited did not die. */
				unsigned int s = slot_of[k];
				uint32_t state = atomic_load_explicit(&svc.mc->procs[s].state,
								      memory_order_acquire);

				reclaim(s, state != HM_PROC_DETACHED, hm_time_ns());
				r--;
			}
	}
	return NULL;
}

/*
 * Idle mode, nothing to do for a while: sleep on the doorbell until a
 * client rings it, or SLEEP_NS. Every client bumps the doorbell after its
 * enqueue and wakes the loop if it sees `sleeping`. All seq_cst: either
 * the client's bump comes before this thread's read of the bell, and then
 * its request is visible to pending(); or after, and then futex_wait()
 * finds the word changed and returns at once. A client that read
 * `sleeping` as 0 bumped before this thread set it, so the first case.
 */
static void
idle_sleep(void)
{
	struct service_shared *sh = svc.sh;
	uint32_t bell;

	atomic_store(&sh->sleeping, 1);
	bell = atomic_load(&sh->doorbell);
	if (!pending() && !atomic_load(&svc.stop)) {
		hm_futex_wait(&sh->doorbell, bell, SLEEP_NS);
		atomic_fetch_add_explicit(&sh->sleeps, 1, memory_order_relaxed);
	}
	atomic_store(&sh->sleeping, 0);
}

static void *
service_main(void *arg)
{
	unsigned int idle = 0;

	(void)arg;
	while (!atomic_load_explicit(&svc.stop, memory_order_acquire)) {
		unsigned int served = serve_all();

		atomic_fetch_add_explicit(&svc.sh->loops, 1, memory_order_relaxed);
		if (served != 0) {
			idle = 0;
			continue;
		}
		idle++;
		if (!svc.sh->idle_mode || idle < IDLE_SPINS) {
			/*
			 * Nothing to do for a while: let a thread that shares this CPU
			 * run, a client waiting for its answer above all. Without
			 * others runnable, sched_yield() returns at once.
			 */
			if (idle % YIELD_EVERY == 0)
				sched_yield();
			else
				hm_ring_pause();
			continue;
		}
		idle_sleep();
		idle = 0;
	}
	return NULL;
}

/* ------------------------------------------------------------ queries */

static const char *
state_name(uint32_t state)
{
	switch (state) {
	case HM_PROC_LIVE:
		return "live";
	case HM_PROC_DETACHED:
		return "detached";
	case HM_PROC_RECLAIMING:
		return "reclaiming";
	default:
		return "starting";
	}
}

int
hm_proc_walk(int (*fn)(const struct hm_proc_info *p, void *arg), void *arg)
{
	struct hm_shared_config *mc = hm_memory_get_config();

	if (fn == NULL)
		return -EINVAL;
	if (mc == NULL)
		return -ENODEV;
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++) {
		const struct hm_proc_slot *ps = &mc->procs[i];
		struct hm_proc_info p = {.slot = i};
		struct hm_buddy_reclaimed b;
		int ret;

		p.pid = atomic_load(&ps->pid);
		if (p.pid == 0)
			continue;
		p.type = (enum hm_proc_type)ps->type;
		p.state = state_name(atomic_load(&ps->state));
		p.attach_ns = ps->attach_ns;
		memcpy(p.lcores, ps->lcores, sizeof(p.lcores));
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			p.nb_lcores += (ps->lcores[l / 8] >> (l % 8)) & 1u;
		hm_buddy_owner_usage((int)i, &b);
		p.dma_pages = b.pages;
		p.dma_blocks = b.blocks;
		p.memzones = b.memzones;
		p.mempool_objs = hm_mempool_owner_count(hm_proc_tag_of(i, atomic_load(&ps->gen)));
		p.slab_objs = hm_slab_owner_count(hm_proc_tag_of(i, atomic_load(&ps->gen)));
		ret = fn(&p, arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
hm_reclaim_walk(int (*fn)(const struct hm_reclaim_info *r, void *arg), void *arg)
{
	struct service_shared *sh = svc.sh;
	struct hm_reclaim_info copy[HM_RECLAIM_LOG_SIZE];
	unsigned int n = 0;

	if (fn == NULL)
		return -EINVAL;
	if (sh == NULL)
		return -ENODEV;
	hm_mutex_lock_shared(&sh->log_lock, "reclaim log");
	for (uint64_t s = sh->log_seq; s > 0 && n < HM_RECLAIM_LOG_SIZE; s--)
		copy[n++] = sh->log[(s - 1) % HM_RECLAIM_LOG_SIZE];
	pthread_mutex_unlock(&sh->log_lock);
	for (unsigned int i = 0; i < n; i++) {
		int ret = fn(&copy[i], arg);

		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Mean, max, and the median and 99th percentile to their histogram bucket. */
static void
latency_summary(struct service_shared *sh, struct hm_service_stats *st)
{
	uint64_t hist[SVC_LAT_BUCKETS], total = 0, seen = 0;

	for (unsigned int b = 0; b < SVC_LAT_BUCKETS; b++)
		total += hist[b] = atomic_load_explicit(&sh->lat_hist[b], memory_order_relaxed);
	st->lat_max_ns = atomic_load(&sh->lat_max_ns);
	if (total == 0)
		return;
	st->lat_mean_ns = atomic_load(&sh->lat_sum_ns) / total;
	for (unsigned int b = 0; b < SVC_LAT_BUCKETS; b++) {
		seen += hist[b];
		if (st->lat_p50_ns == 0 && seen * 2 >= total)
			st->lat_p50_ns = 2ull << b;
		if (st->lat_p99_ns == 0 && seen * 100 >= total * 99)
			st->lat_p99_ns = 2ull << b;
	}
	if (st->lat_p99_ns > st->lat_max_ns)
		st->lat_p99_ns = st->lat_max_ns;
	if (st->lat_p50_ns > st->lat_max_ns)
		st->lat_p50_ns = st->lat_max_ns;
}

int
hm_service_stats_get(struct hm_service_stats *st)
{
	struct service_shared *sh = svc.sh;

	if (st == NULL)
		return -EINVAL;
	if (sh == NULL)
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	st->pid = atomic_load(&sh->running_pid);
	st->running = st->pid != 0 && hm_pid_alive(st->pid);
	st->start_ns = sh->start_ns;
	st->wakeups = atomic_load(&sh->wakeups);
	st->attaches = atomic_load(&sh->attaches);
	st->deaths = atomic_load(&sh->deaths);
	st->detaches = atomic_load(&sh->detaches);
	st->reclaims = atomic_load(&sh->reclaims);
	st->reclaim_ns = atomic_load(&sh->reclaim_ns);
	st->errors = atomic_load(&sh->errors);
	st->idle_mode = sh->idle_mode != 0;
	st->loops = atomic_load(&sh->loops);
	st->sleeps = atomic_load(&sh->sleeps);
	st->requests = atomic_load(&sh->requests);
	st->failed = atomic_load(&sh->failed);
	st->malformed = atomic_load(&sh->malformed);
	st->dropped = atomic_load(&sh->dropped);
	for (unsigned int i = 0; i < 8; i++)
		st->ops[i] = atomic_load(&sh->ops[i]);
	latency_summary(sh, st);
	return 0;
}

/* ------------------------------------------------------ init and cleanup */

/*
 * The loop polls: keep it off the CPUs of the primary's lcores when others
 * are online, so it does not take turns with the application's threads.
 */
static void
place_thread(const struct hm_eal_config *cfg)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set, used;

	CPU_ZERO(&set);
	CPU_ZERO(&used);
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
		if (cfg->lcores[l].enabled)
			CPU_OR(&used, &used, &cfg->lcores[l].cpuset);
	for (long c = 0; c < online && c < CPU_SETSIZE; c++)
		if (!CPU_ISSET((int)c, &used))
			CPU_SET((int)c, &set);
	if (CPU_COUNT(&set) == 0)
		for (long c = 0; c < online && c < CPU_SETSIZE; c++)
			CPU_SET((int)c, &set);
	if (pthread_setaffinity_np(svc.thread, sizeof(set), &set) != 0)
		HM_LOG(DEBUG, SERVICE, "cannot move the service thread off the lcores' CPUs");
}

static int
service_start(const struct hm_eal_config *cfg)
{
	int ret;

	atomic_store(&svc.stop, false);
	svc.stop_fd = eventfd(0, EFD_CLOEXEC);
	if (svc.stop_fd < 0) {
		ret = -errno;
		HM_LOG(ERR, SERVICE, "eventfd: %s", strerror(errno));
		return ret;
	}
	ret = pthread_create(&svc.watch_thread, NULL, watch_main, NULL);
	if (ret == 0) {
		ret = pthread_create(&svc.thread, NULL, service_main, NULL);
		if (ret != 0) {
			uint64_t one = 1;

			if (write(svc.stop_fd, &one, sizeof(one)) == sizeof(one))
				pthread_join(svc.watch_thread, NULL);
		}
	}
	if (ret != 0) {
		HM_LOG(ERR, SERVICE, "cannot start the service threads: %s", strerror(ret));
		close(svc.stop_fd);
		svc.stop_fd = -1;
		return -ret;
	}
	pthread_setname_np(svc.thread, "hm-service");
	pthread_setname_np(svc.watch_thread, "hm-watch");
	place_thread(cfg);
	svc.started = true;
	atomic_store(&svc.sh->running_pid, (int32_t)getpid());
	HM_LOG(INFO, SERVICE, "service loop started (%s polling)",
	       svc.sh->idle_mode ? "idle" : "busy");
	return 0;
}

int
hm_service_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	int ret;

	svc.mc = hm_memory_get_config();
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++) {
		svc.pidfd[i] = -1;
		svc.pid[i] = 0;
		svc.gen[i] = 0;
		svc.open_failed[i] = false;
	}
	svc.rr = 0;
	if (type != HM_PROC_PRIMARY) {
		svc.sh = hm_shared_state_get(HM_SUBSYS_SERVICE);
		if (svc.sh == NULL) {
			HM_LOG(ERR, SERVICE, "the primary published no service state");
			return -EPROTO;
		}
		ret = hm_service_client_init(svc.sh);
		if (ret < 0) {
			svc.sh = NULL;
			svc.mc = NULL;
		}
		return ret;
	}
	svc.sh = hm_shared_zalloc(sizeof(*svc.sh), 64);
	if (svc.sh == NULL)
		return -ENOMEM;
	hm_mutex_init_shared(&svc.sh->log_lock, false);
	svc.sh->start_ns = realtime_ns();
	svc.sh->idle_mode = cfg->service_idle;
	hm_shared_state_set(HM_SUBSYS_SERVICE, svc.sh);
	/* Only a primary that secondaries can attach to has anyone to serve or watch. */
	if (!svc.mc->h.attachable)
		return 0;
	ret = hm_service_chans_init(svc.sh);
	if (ret < 0)
		HM_LOG(ERR, SERVICE, "cannot lay out the request rings: %s", strerror(-ret));
	else
		ret = service_start(cfg);
	if (ret < 0) {
		/* No cleanup follows a failed init: forget the arena now. */
		hm_shared_state_set(HM_SUBSYS_SERVICE, NULL);
		svc.sh = NULL;
		svc.mc = NULL;
	}
	return ret;
}

void
hm_service_cleanup(enum hm_proc_type type)
{
	if (type != HM_PROC_PRIMARY)
		hm_service_client_cleanup();
	if (svc.started) {
		uint64_t one = 1;

		atomic_store_explicit(&svc.stop, true, memory_order_release);
		atomic_fetch_add(&svc.sh->doorbell, 1);
		hm_futex_wake(&svc.sh->doorbell);
		if (write(svc.stop_fd, &one, sizeof(one)) != sizeof(one))
			HM_LOG(ERR, SERVICE, "cannot wake the watcher: %s", strerror(errno));
		pthread_join(svc.thread, NULL);
		pthread_join(svc.watch_thread, NULL);
		atomic_store(&svc.sh->running_pid, 0);
		svc.started = false;
	}
	if (svc.stop_fd >= 0)
		close(svc.stop_fd);
	svc.stop_fd = -1;
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++)
		forget(i);
	svc.sh = NULL;
	svc.mc = NULL;
}
