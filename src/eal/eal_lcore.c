/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcores: one pinned thread per worker lcore, and the calling thread as the
 * main lcore.
 *
 * Each worker sleeps on its own condition variable until hm_eal_remote_launch()
 * hands it a function, runs it, stores the result and goes back to sleep.
 * States move WAIT -> RUNNING -> FINISHED -> (hm_eal_wait_lcore) WAIT, always
 * under the worker's mutex, so a launch can never overwrite a running
 * function or a result nobody collected.
 *
 * The lcore id of a thread is a thread-local variable, set once when the
 * thread starts; hm_lcore_id() is a plain load (initial-exec TLS, no
 * __tls_get_addr call even in the shared library).
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#ifdef HM_HAVE_NUMA
#include <numa.h>
#endif

#include "eal_pvt.h"

struct lcore_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	hm_lcore_function_t *f;
	void *arg;
	int ret;
	enum hm_lcore_state state;
	bool quit;
	bool started;
};

static struct {
	struct hm_lcore_cfg lcores[HM_MAX_LCORE];
	unsigned int main_lcore;
	unsigned int count;
	bool running;
	cpu_set_t saved_affinity; /* the main thread's, restored at stop */
	struct lcore_worker workers[HM_MAX_LCORE];
} lc = {.main_lcore = 0};

__thread unsigned int hm_this_lcore_ HM_TLS_IE = HM_LCORE_ID_ANY;

unsigned int
hm_socket_id(void)
{
	static __thread int socket HM_TLS_IE = -1;

	if (hm_unlikely(socket < 0)) {
		int node = 0;
#ifdef HM_HAVE_NUMA
		int cpu = sched_getcpu();

		if (numa_available() >= 0 && cpu >= 0)
			node = numa_node_of_cpu(cpu);
		if (node < 0 || node >= HM_MAX_NUMA_NODES)
			node = 0;
#endif
		socket = node;
	}
	return (unsigned int)socket;
}

void
hm_numa_warm(void)
{
#ifdef HM_HAVE_NUMA
	/*
	 * libnuma fills its cache of each node's CPUs on first use, without a
	 * lock: fill it now, before this process has a second thread, so that
	 * hm_socket_id() in any thread later only reads it.
	 */
	if (numa_available() >= 0) {
		struct bitmask *mask = numa_allocate_cpumask();

		for (int node = 0; mask != NULL && node <= numa_max_node(); node++)
			numa_node_to_cpus(node, mask);
		if (mask != NULL)
			numa_free_cpumask(mask);
	}
#endif
	(void)hm_socket_id();
}

unsigned int
hm_get_main_lcore(void)
{
	return lc.main_lcore;
}

unsigned int
hm_lcore_count(void)
{
	return lc.count;
}

bool
hm_lcore_is_enabled(unsigned int lcore_id)
{
	return lc.running && lcore_id < HM_MAX_LCORE && lc.lcores[lcore_id].enabled;
}

int
hm_lcore_to_cpu(unsigned int lcore_id)
{
	int cpu;

	if (!hm_lcore_is_enabled(lcore_id))
		return -EINVAL;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &lc.lcores[lcore_id].cpuset))
			return cpu;
	return -EINVAL;
}

unsigned int
hm_get_next_lcore(unsigned int i, bool skip_main, bool wrap)
{
	unsigned int n;

	if (!lc.running)
		return HM_MAX_LCORE;
	for (n = 0; n < HM_MAX_LCORE; n++) {
		i = (i == UINT32_MAX) ? 0 : i + 1;
		if (i >= HM_MAX_LCORE) {
			if (!wrap)
				return HM_MAX_LCORE;
			i = 0;
		}
		if (!lc.lcores[i].enabled || (skip_main && i == lc.main_lcore))
			continue;
		return i;
	}
	return HM_MAX_LCORE;
}

static bool
is_worker(unsigned int id)
{
	return hm_lcore_is_enabled(id) && id != lc.main_lcore;
}

static void *
worker_loop(void *p)
{
	struct lcore_worker *w = p;

	hm_this_lcore_ = (unsigned int)(w - lc.workers);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->state != HM_LCORE_RUNNING && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		int ret = w->f(w->arg);
		pthread_mutex_lock(&w->lock);
		w->ret = ret;
		w->state = HM_LCORE_FINISHED;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
hm_eal_remote_launch(hm_lcore_function_t *f, void *arg, unsigned int worker_id)
{
	struct lcore_worker *w;
	int ret = 0;

	if (f == NULL || !is_worker(worker_id)) {
		HM_LOG(ERR, "eal", "remote launch: lcore %u is not an enabled worker lcore",
		       worker_id);
		return -EINVAL;
	}
	w = &lc.workers[worker_id];
	pthread_mutex_lock(&w->lock);
	if (w->state != HM_LCORE_WAIT) {
		ret = -EBUSY;
	} else {
		w->f = f;
		w->arg = arg;
		w->state = HM_LCORE_RUNNING;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

int
hm_eal_mp_remote_launch(hm_lcore_function_t *f, void *arg, bool call_main)
{
	unsigned int i;

	if (f == NULL)
		return -EINVAL;
	HM_LCORE_FOREACH_WORKER(i)
	{
		if (hm_eal_get_lcore_state(i) != HM_LCORE_WAIT)
			return -EBUSY;
	}
	HM_LCORE_FOREACH_WORKER(i)
	{
		int ret = hm_eal_remote_launch(f, arg, i);

		if (ret < 0)
			return ret;
	}
	if (call_main)
		f(arg);
	return 0;
}

int
hm_eal_wait_lcore(unsigned int worker_id)
{
	struct lcore_worker *w;
	int ret = 0;

	if (!is_worker(worker_id))
		return -EINVAL;
	w = &lc.workers[worker_id];
	pthread_mutex_lock(&w->lock);
	while (w->state == HM_LCORE_RUNNING)
		pthread_cond_wait(&w->cond, &w->lock);
	if (w->state == HM_LCORE_FINISHED) {
		ret = w->ret;
		w->state = HM_LCORE_WAIT;
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void
hm_eal_mp_wait_lcore(void)
{
	unsigned int i;

	HM_LCORE_FOREACH_WORKER(i)
	hm_eal_wait_lcore(i);
}

enum hm_lcore_state
hm_eal_get_lcore_state(unsigned int worker_id)
{
	struct lcore_worker *w;
	enum hm_lcore_state s;

	if (!is_worker(worker_id))
		return HM_LCORE_WAIT;
	w = &lc.workers[worker_id];
	pthread_mutex_lock(&w->lock);
	s = w->state;
	pthread_mutex_unlock(&w->lock);
	return s;
}

static void
worker_stop(struct lcore_worker *w)
{
	pthread_mutex_lock(&w->lock);
	/* A function still running is waited for: threads are never cancelled. */
	while (w->state == HM_LCORE_RUNNING)
		pthread_cond_wait(&w->cond, &w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	w->started = false;
}

void
hm_lcore_threads_stop(void)
{
	unsigned int i;

	if (!lc.running)
		return;
	for (i = 0; i < HM_MAX_LCORE; i++)
		if (lc.workers[i].started)
			worker_stop(&lc.workers[i]);
	pthread_setaffinity_np(pthread_self(), sizeof(lc.saved_affinity), &lc.saved_affinity);
	hm_this_lcore_ = HM_LCORE_ID_ANY;
	lc.running = false;
	lc.count = 0;
	memset(lc.lcores, 0, sizeof(lc.lcores));
}

static int
worker_start(unsigned int id)
{
	struct lcore_worker *w = &lc.workers[id];
	pthread_attr_t attr;
	char name[16];
	int ret;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->state = HM_LCORE_WAIT;
	pthread_attr_init(&attr);
	ret = pthread_attr_setaffinity_np(&attr, sizeof(cpu_set_t), &lc.lcores[id].cpuset);
	if (ret == 0)
		ret = pthread_create(&w->thread, &attr, worker_loop, w);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		HM_LOG(ERR, "eal", "lcore %u: cannot start its thread: %s", id, strerror(ret));
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -ret;
	}
	snprintf(name, sizeof(name), "hm-lcore-%u", id);
	pthread_setname_np(w->thread, name);
	w->started = true;
	return 0;
}

int
hm_lcore_threads_start(const struct hm_eal_config *cfg)
{
	unsigned int i;
	int ret;

	memcpy(lc.lcores, cfg->lcores, sizeof(lc.lcores));
	lc.main_lcore = cfg->main_lcore;
	lc.count = cfg->lcore_count;
	if (pthread_getaffinity_np(pthread_self(), sizeof(lc.saved_affinity), &lc.saved_affinity) !=
	    0)
		CPU_ZERO(&lc.saved_affinity);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t),
				     &lc.lcores[lc.main_lcore].cpuset);
	if (ret != 0) {
		HM_LOG(ERR, "eal", "main lcore %u: cannot pin the calling thread: %s",
		       lc.main_lcore, strerror(ret));
		return -ret;
	}
	hm_this_lcore_ = lc.main_lcore;
	lc.running = true;
	for (i = 0; i < HM_MAX_LCORE; i++) {
		if (!lc.lcores[i].enabled || i == lc.main_lcore)
			continue;
		ret = worker_start(i);
		if (ret < 0) {
			hm_lcore_threads_stop();
			return ret;
		}
	}
	return 0;
}
