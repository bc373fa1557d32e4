/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memzones: named, physically contiguous areas that any attached process can
 * look up by name, like DPDK's rte_memzone. Each is one buddy block; the
 * table lives in the buddy's shared state under mz_lock.
 *
 * hm_memzone_walk() holds mz_lock across its callbacks, as DPDK's walk holds
 * its lock. A callback that reserved, freed or looked up a memzone would wait
 * for that lock forever (in the primary) or make the service wait for it
 * (in a secondary), so those calls fail with EDEADLK in a walking thread.
 */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "buddy_pvt.h"

#define MZ "memzone"

static __thread unsigned int walking; /* hm_memzone_walk()s this thread is inside */

/* Refuse what would wait for the mz_lock this thread's walk holds. */
static bool
inside_walk(const char *what, const char *name)
{
	if (walking == 0)
		return false;
	HM_LOG(ERR, MZ, "%s %s: called from an hm_memzone_walk() callback, which holds the table",
	       what, name != NULL ? name : "");
	return true;
}

static bool
name_ok(const char *name)
{
	return hm_name_ok(name, HM_MEMZONE_NAMESIZE, isprint);
}

static struct hm_memzone_slot *
find(struct hm_buddy *b, const char *name)
{
	for (unsigned int i = 0; i < HM_MAX_MEMZONES; i++)
		if (b->memzones[i].used && strcmp(b->memzones[i].mz.name, name) == 0)
			return &b->memzones[i];
	return NULL;
}

const struct hm_memzone *
hm_memzone_reserve(const char *name, size_t len, int socket, unsigned int flags, size_t align)
{
	if (hm_buddy_get() == NULL) {
		errno = ENODEV;
		return NULL;
	}
	if (!name_ok(name) || len == 0 || (align != 0 && !HM_IS_POW2(align))) {
		HM_LOG(ERR, MZ, "reserve %s: %s", name_ok(name) ? name : "(bad name)",
		       !name_ok(name) ? "name must be 1 to 31 printable characters"
		       : len == 0     ? "length is zero"
				      : "alignment is not a power of two");
		errno = EINVAL;
		return NULL;
	}
	if (inside_walk("reserve", name)) {
		errno = EDEADLK;
		return NULL;
	}
	const struct hm_buddy_remote *remote = hm_buddy_get_remote();

	if (remote != NULL) {
		const struct hm_memzone *mz =
		    remote->mz_reserve(name, len, socket, flags & ~HM_BUDDY_ZERO, align);

		/* The caller zeroes, not the service loop. */
		if (mz != NULL && (flags & HM_BUDDY_ZERO))
			memset(mz->addr, 0, len);
		return mz;
	}
	return hm_memzone_reserve_as(name, len, socket, flags, align,
				     (flags & HM_MEMZONE_PERSIST) ? HM_OWNER_NONE
								  : hm_shared_config_proc_slot());
}

const struct hm_memzone *
hm_memzone_reserve_as(const char *name, size_t len, int socket, unsigned int flags, size_t align,
		      int owner)
{
	struct hm_buddy *b = hm_buddy_get();
	struct hm_memzone_slot *slot = NULL;
	hm_iova_t iova;
	void *va;

	if (b == NULL) {
		errno = ENODEV;
		return NULL;
	}
	if (!name_ok(name) || len == 0 || (align != 0 && !HM_IS_POW2(align))) {
		errno = EINVAL;
		return NULL;
	}
	if (flags & HM_MEMZONE_PERSIST)
		owner = HM_OWNER_NONE;
	hm_mutex_lock_shared(&b->mz_lock, "memzone table");
	if (find(b, name) != NULL) {
		pthread_mutex_unlock(&b->mz_lock);
		HM_LOG(ERR, MZ, "reserve %s: the name is taken", name);
		errno = EEXIST;
		return NULL;
	}
	for (unsigned int i = 0; i < HM_MAX_MEMZONES && slot == NULL; i++)
		if (!b->memzones[i].used)
			slot = &b->memzones[i];
	if (slot == NULL) {
		pthread_mutex_unlock(&b->mz_lock);
		HM_LOG(ERR, MZ, "reserve %s: all %d memzones are in use", name, HM_MAX_MEMZONES);
		errno = ENOSPC;
		return NULL;
	}
	/* The block is the memzone's: hm_dma_free() and hm_buddy_free() refuse it, and a
	 * persistent one belongs to no process, so no reclaim frees it. */
	va = hm_dma_alloc_tagged(len, align, socket, flags & ~HM_MEMZONE_PERSIST, owner,
				 PGF_MEMZONE, "memzone");
	if (va == NULL) {
		int err = errno;

		pthread_mutex_unlock(&b->mz_lock);
		HM_LOG(ERR, MZ, "reserve %s: no block for %zu bytes on socket %d", name, len,
		       socket);
		errno = err;
		return NULL;
	}
	iova = hm_virt2iova(va);
	memset(&slot->mz, 0, sizeof(slot->mz));
	memcpy(slot->mz.name, name, strlen(name) + 1);
	slot->mz.addr = va;
	slot->mz.iova = iova;
	slot->mz.len = len;
	slot->mz.socket_id = hm_mem_virt2memseg(va)->socket_id;
	slot->mz.flags = flags;
	slot->owner = owner;
	slot->used = 1;
	pthread_mutex_unlock(&b->mz_lock);
	return &slot->mz;
}

const struct hm_memzone *
hm_memzone_lookup(const char *name)
{
	struct hm_buddy *b = hm_buddy_get();
	struct hm_memzone_slot *slot;

	if (b == NULL || !name_ok(name)) {
		errno = b == NULL ? ENODEV : EINVAL;
		return NULL;
	}
	if (inside_walk("lookup", name)) {
		errno = EDEADLK;
		return NULL;
	}
	hm_mutex_lock_shared(&b->mz_lock, "memzone table");
	slot = find(b, name);
	pthread_mutex_unlock(&b->mz_lock);
	if (slot == NULL) {
		errno = ENOENT;
		return NULL;
	}
	return &slot->mz;
}

int
hm_memzone_free(const struct hm_memzone *mz)
{
	const struct hm_buddy_remote *remote = hm_buddy_get_remote();

	if (mz != NULL && inside_walk("free", mz->name))
		return -EDEADLK;
	if (remote != NULL && hm_buddy_get() != NULL)
		return remote->mz_free(mz);
	return hm_memzone_free_as(mz, HM_OWNER_ANY);
}

/* owner HM_OWNER_ANY: a local call; else the sender's slot, which must own it or none must. */
int
hm_memzone_free_as(const struct hm_memzone *mz, int owner)
{
	struct hm_buddy *b = hm_buddy_get();
	struct hm_memzone_slot *slot;
	int ret;

	if (b == NULL)
		return -ENODEV;
	/* Only a pointer into the table, to a used slot, is a memzone. */
	if ((const uint8_t *)mz < (const uint8_t *)b->memzones ||
	    (const uint8_t *)mz >= (const uint8_t *)(b->memzones + HM_MAX_MEMZONES) ||
	    ((const uint8_t *)mz - (const uint8_t *)b->memzones) % sizeof(b->memzones[0]) != 0) {
		HM_LOG(ERR, MZ, "free %p: not a memzone", (const void *)mz);
		return -EINVAL;
	}
	slot = (struct hm_memzone_slot *)((uintptr_t)mz);
	hm_mutex_lock_shared(&b->mz_lock, "memzone table");
	if (!slot->used) {
		pthread_mutex_unlock(&b->mz_lock);
		HM_LOG(ERR, MZ, "free %p: the memzone is already free", (const void *)mz);
		return -EINVAL;
	}
	if (owner != HM_OWNER_ANY && slot->owner != owner && slot->owner != HM_OWNER_NONE) {
		pthread_mutex_unlock(&b->mz_lock);
		HM_LOG(ERR, MZ, "free %s for slot %d: the memzone belongs to slot %d",
		       slot->mz.name, owner, slot->owner);
		return -EPERM;
	}
	ret = hm_buddy_free_block_of(slot->mz.addr, "memzone free", false);
	if (ret == 0)
		slot->used = 0;
	pthread_mutex_unlock(&b->mz_lock);
	return ret;
}

int
hm_memzone_walk(int (*func)(const struct hm_memzone *mz, void *arg), void *arg)
{
	struct hm_buddy *b = hm_buddy_get();
	int ret = 0;

	if (b == NULL)
		return -ENODEV;
	if (func == NULL)
		return -EINVAL;
	if (inside_walk("walk", NULL))
		return -EDEADLK;
	hm_mutex_lock_shared(&b->mz_lock, "memzone table");
	walking++;
	for (unsigned int i = 0; i < HM_MAX_MEMZONES && ret == 0; i++)
		if (b->memzones[i].used)
			ret = func(&b->memzones[i].mz, arg);
	walking--;
	pthread_mutex_unlock(&b->mz_lock);
	return ret;
}

uint64_t
hm_memzone_reclaim_owner(int owner, uint32_t *nb_memzones)
{
	struct hm_buddy *b = hm_buddy_get();
	uint64_t freed = 0;

	*nb_memzones = 0;
	if (b == NULL)
		return 0;
	hm_mutex_lock_shared(&b->mz_lock, "memzone table");
	for (unsigned int i = 0; i < HM_MAX_MEMZONES; i++) {
		struct hm_memzone_slot *slot = &b->memzones[i];
		int order;

		if (!slot->used || slot->owner != owner)
			continue;
		order = hm_buddy_block_order(slot->mz.addr);
		if (order >= 0 &&
		    hm_buddy_free_block_of(slot->mz.addr, "memzone reclaim", true) == 0)
			freed += 1ULL << order;
		slot->used = 0;
		(*nb_memzones)++;
	}
	pthread_mutex_unlock(&b->mz_lock);
	return freed;
}
