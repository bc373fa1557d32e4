/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parts of the shared config that every attached process writes: the
 * lcore owner table, the process table, and the metadata arena.
 *
 * lcore_owner[id] holds the pid of the process that uses lcore id, 0 if
 * none. A process claims each of its lcores with a compare-and-swap from 0;
 * an owner that is no longer alive is replaced with a second CAS from its pid,
 * so two processes racing for a dead owner's lcore cannot both win.
 *
 * procs[] holds one slot per attached process with its pid and start time
 * (a pid alone can be reused). Claimed with a CAS on pid, like lcores, but
 * only when free: a dead process's slot stays taken until the service has
 * reclaimed what it held, because buddy blocks, memzones and mempool
 * objects name their owner by slot.
 *
 * A dead owner's lcore can be taken over only when no primary runs to
 * reclaim it; with a primary, a claim waits a little for the service to
 * drain that lcore's caches and give the id back.
 *
 * The arena is a bump allocator the primary uses during init for other
 * subsystems' shared metadata; it never frees.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memory_pvt.h"

#define MEM "memory"

/* How long a claim waits for the service to give a dead owner's lcore back. */
#define LCORE_RECLAIM_WAIT_MS 3000

static struct {
	int32_t pid;
	int slot;
	uint64_t tag;
	bool lcores_claimed[HM_MAX_LCORE];
} self = {.slot = -1};

/*
 * Fields 3 (state) and 22 (start time) of /proc/PID/stat.
 * @return 0, or -1 when the process is gone or the line cannot be read.
 */
static int
proc_stat(int32_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Field 2 (comm) may hold spaces: count fields after its closing ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	*state = p[2];
	for (field = 2; *p != '\0' && field < 22; p++)
		if (*p == ' ')
			field++;
	if (sscanf(p, "%llu", start) != 1)
		return -1;
	return 0;
}

/* The Threads: line of /proc/PID/status, 0 if it cannot be read. */
static unsigned int
proc_threads(int32_t pid)
{
	char path[64], line[256];
	unsigned int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

bool
hm_pid_alive(int32_t pid)
{
	unsigned long long start;
	char state;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	/*
	 * A zombie (or a task being reaped) still answers kill(): it is dead all
	 * the same. But a leader that called pthread_exit() shows Z too while
	 * its other threads run: that process is alive.
	 */
	if (proc_stat(pid, &state, &start) == 0 && (state == 'Z' || state == 'X'))
		return proc_threads(pid) > 1;
	return true;
}

uint64_t
hm_proc_start_time(int32_t pid)
{
	unsigned long long start;
	char state;

	if (proc_stat(pid, &state, &start) != 0)
		return 0;
	return start;
}

void
hm_shared_config_lcores_release(struct hm_shared_config *mc)
{
	for (unsigned int i = 0; i < HM_MAX_LCORE; i++) {
		int32_t mine = self.pid;

		if (!self.lcores_claimed[i])
			continue;
		atomic_compare_exchange_strong(&mc->lcore_owner[i], &mine, 0);
		self.lcores_claimed[i] = false;
	}
}

/* Whether pid holds a slot of the process table. */
static bool
pid_registered(const struct hm_shared_config *mc, int32_t pid)
{
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++)
		if (atomic_load(&mc->procs[i].pid) == pid)
			return true;
	return false;
}

/*
 * Wait for the service to give back lcore i, whose owner died. @return
 * true when the id is free (owner is 0 then), false when it stays taken.
 */
static bool
lcore_wait_reclaim(struct hm_shared_config *mc, unsigned int i, int32_t *owner)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};

	for (int ms = 0; ms < LCORE_RECLAIM_WAIT_MS; ms += 10) {
		*owner = atomic_load(&mc->lcore_owner[i]);
		if (*owner == 0)
			return true;
		if (hm_pid_alive(*owner) || !hm_pid_alive(mc->h.primary_pid))
			return false;
		nanosleep(&tick, NULL);
	}
	*owner = atomic_load(&mc->lcore_owner[i]);
	return *owner == 0;
}

int
hm_shared_config_lcores_claim(struct hm_shared_config *mc, const struct hm_eal_config *cfg)
{
	self.pid = (int32_t)getpid();
	for (unsigned int i = 0; i < HM_MAX_LCORE; i++) {
		int32_t owner = 0;
		bool waited = false;

		if (!cfg->lcores[i].enabled)
			continue;
		while (!atomic_compare_exchange_strong(&mc->lcore_owner[i], &owner, self.pid)) {
			if (hm_pid_alive(owner)) {
				HM_LOG(ERR, MEM,
				       "lcore %u is in use by process %d of prefix %s; give this "
				       "process other lcores with -l or --lcores",
				       i, owner, cfg->file_prefix);
				hm_shared_config_lcores_release(mc);
				return -EBUSY;
			}
			/*
			 * A dead owner. With a live primary its service drains the
			 * lcore's caches and frees the id: wait for that. Without one
			 * nobody will, nor for an owner that died before it registered
			 * (it used nothing): then the CAS retries from the dead pid.
			 */
			if (owner != self.pid && mc->h.primary_pid != self.pid && !waited &&
			    hm_pid_alive(mc->h.primary_pid) && pid_registered(mc, owner)) {
				waited = true;
				if (lcore_wait_reclaim(mc, i, &owner))
					continue;
				if (!hm_pid_alive(owner) && hm_pid_alive(mc->h.primary_pid)) {
					HM_LOG(ERR, MEM,
					       "lcore %u of prefix %s: its owner, process %d, died "
					       "and the primary has not reclaimed it within %d ms",
					       i, cfg->file_prefix, owner, LCORE_RECLAIM_WAIT_MS);
					hm_shared_config_lcores_release(mc);
					return -EBUSY;
				}
			}
		}
		self.lcores_claimed[i] = true;
	}
	return 0;
}

int
hm_shared_config_proc_register(struct hm_shared_config *mc, enum hm_proc_type type)
{
	int32_t pid = (int32_t)getpid();
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < HM_MAX_PROCS; i++) {
		struct hm_proc_slot *ps = &mc->procs[i];
		int32_t cur = 0;
		uint32_t gen;

		if (atomic_load(&ps->pid) != 0 ||
		    !atomic_compare_exchange_strong(&ps->pid, &cur, pid))
			continue;
		gen = (atomic_load(&ps->gen) + 1) & 0xffffffu;
		atomic_store(&ps->gen, gen == 0 ? 1 : gen);
		ps->type = (int32_t)type;
		ps->start_time = hm_proc_start_time(pid);
		ps->attach_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		memset(ps->lcores, 0, sizeof(ps->lcores));
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			if (self.lcores_claimed[l])
				ps->lcores[l / 8] |= (uint8_t)(1u << (l % 8));
		atomic_store_explicit(&ps->state, HM_PROC_LIVE, memory_order_release);
		self.slot = i;
		self.tag = hm_proc_tag_of((unsigned int)i, atomic_load(&ps->gen));
		return 0;
	}
	HM_LOG(ERR, MEM,
	       "process table of prefix %s is full (%d processes attached or being reclaimed)",
	       mc->h.prefix, HM_MAX_PROCS);
	return -ENOSPC;
}

void
hm_shared_config_proc_unregister(struct hm_shared_config *mc, enum hm_proc_type type)
{
	if (self.slot < 0)
		return;
	/* A secondary's slot goes back through the service, which frees what it left. */
	if (type == HM_PROC_SECONDARY && hm_pid_alive(mc->h.primary_pid))
		atomic_store_explicit(&mc->procs[self.slot].state, HM_PROC_DETACHED,
				      memory_order_release);
	else
		hm_shared_config_proc_free(mc, (unsigned int)self.slot);
	self.slot = -1;
	self.tag = 0;
}

void
hm_shared_config_proc_free(struct hm_shared_config *mc, unsigned int slot)
{
	struct hm_proc_slot *ps = &mc->procs[slot];

	atomic_store(&ps->state, 0);
	atomic_store_explicit(&ps->pid, 0, memory_order_release);
}

uint64_t
hm_shared_config_proc_tag(void)
{
	return self.tag;
}

int
hm_shared_config_proc_slot(void)
{
	return self.slot;
}

void
hm_shared_state_set(enum hm_subsys_slot slot, void *state)
{
	struct hm_shared_config *mc = hm_memory_get_config();

	HM_ASSERT(mc != NULL && slot < HM_SUBSYS_MAX);
	mc->subsys_state[slot] = state == NULL ? 0 : (uint64_t)((uint8_t *)state - mc->arena) + 1;
}

void *
hm_shared_state_get(enum hm_subsys_slot slot)
{
	struct hm_shared_config *mc = hm_memory_get_config();
	uint64_t off;

	if (mc == NULL || slot >= HM_SUBSYS_MAX)
		return NULL;
	off = mc->subsys_state[slot];
	if (off == 0 || off - 1 >= mc->arena_size)
		return NULL;
	return mc->arena + off - 1;
}

void *
hm_shared_zalloc(uint64_t size, uint64_t align)
{
	struct hm_shared_config *mc = hm_memory_get_config();
	uint64_t start, end, used;

	if (mc == NULL || size == 0 || !HM_IS_POW2(align)) {
		errno = EINVAL;
		return NULL;
	}
	used = atomic_load(&mc->arena_used);
	do {
		start = HM_ALIGN_CEIL(used, align);
		end = start + size;
		if (end < start || end > mc->arena_size) {
			HM_LOG(
			    ERR, MEM, "shared metadata arena: %llu bytes asked, %llu of %llu free",
			    (unsigned long long)size, (unsigned long long)(mc->arena_size - used),
			    (unsigned long long)mc->arena_size);
			errno = ENOMEM;
			return NULL;
		}
	} while (!atomic_compare_exchange_weak(&mc->arena_used, &used, end));
	memset(mc->arena + start, 0, size);
	return mc->arena + start;
}
