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
 * (a pid alone can be reused). Claimed with a CAS on pid, like lcores.
 *
 * The arena is a bump allocator the primary uses during init for other
 * subsystems' shared metadata; it never frees.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memory_pvt.h"

#define MEM "memory"

static struct {
	int32_t pid;
	int slot;
	bool lcores_claimed[HM_MAX_LCORE];
} self = {.slot = -1};

bool
hm_pid_alive(int32_t pid)
{
	if (pid <= 0)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

static uint64_t
proc_start_time(int32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* Field 2 (comm) may hold spaces: count fields after its closing ')'. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	for (field = 2; *p != '\0' && field < 22; p++)
		if (*p == ' ')
			field++;
	if (sscanf(p, "%llu", &start) != 1)
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

int
hm_shared_config_lcores_claim(struct hm_shared_config *mc, const struct hm_eal_config *cfg)
{
	self.pid = (int32_t)getpid();
	for (unsigned int i = 0; i < HM_MAX_LCORE; i++) {
		int32_t owner = 0;

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
			/* Dead owner: owner now holds its pid; the CAS retries from it. */
		}
		self.lcores_claimed[i] = true;
	}
	return 0;
}

int
hm_shared_config_proc_register(struct hm_shared_config *mc, enum hm_proc_type type)
{
	int32_t pid = (int32_t)getpid();

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < HM_MAX_PROCS; i++) {
			int32_t cur = atomic_load(&mc->procs[i].pid);

			/* First pass takes free slots, the second those of dead processes. */
			if (pass == 0 ? cur != 0 : hm_pid_alive(cur))
				continue;
			if (!atomic_compare_exchange_strong(&mc->procs[i].pid, &cur, pid))
				continue;
			mc->procs[i].type = (int32_t)type;
			mc->procs[i].start_time = proc_start_time(pid);
			self.slot = i;
			return 0;
		}
	}
	HM_LOG(ERR, MEM, "process table of prefix %s is full (%d processes attached)", mc->h.prefix,
	       HM_MAX_PROCS);
	return -ENOSPC;
}

void
hm_shared_config_proc_unregister(struct hm_shared_config *mc)
{
	if (self.slot < 0)
		return;
	atomic_store(&mc->procs[self.slot].pid, 0);
	self.slot = -1;
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
