/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rings: creation, the table of named rings, and everything that is not a
 * fast path (those are inline in ring.h).
 *
 * A named ring is one buddy block (PGF_RING, owned by no process, so it
 * outlives the process that made it): struct hm_ring followed by its slots.
 * The table in the shared state maps names to rings.
 *
 * Invariants of a ring (checked by hm_ring_dump's callers in the tests, and
 * by the HM_ASSERTs below):
 *  - size is a power of two, mask = size - 1, capacity <= mask + 1 and
 *    capacity < size unless HM_RING_EXACT_SZ made it smaller still;
 *  - cons.tail <= cons.head <= prod.tail <= prod.head <= cons.tail + capacity,
 *    in 32-bit modular arithmetic;
 *  - prod.cons_tail is a value cons.tail had (older or current), or one more
 *    than the capacity behind prod.head, which producers read again.
 *
 * Locking: the table lock (a robust process-shared mutex) covers the table
 * and the magic of named rings; the rings themselves take no lock.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <hugemem/ring.h>

#include "buddy_pvt.h"
#include "eal_pvt.h"
#include "memory_pvt.h"
#include "ring_pvt.h"

#define RING "ring"

#define HM_RING_MAGIC 0x474e495220204d48ULL /* "HM  RING" */

struct ring_table {
	pthread_mutex_t lock;
	struct hm_ring *rings[HM_RING_MAX_RINGS];
};

/* The per-process context: where the shared table is. */
static struct ring_table *table;

/* ------------------------------------------------------- the tail wait */

void
hm_ring_wait_tail(struct hm_ring_headtail *ht, uint32_t old_head)
{
	for (unsigned int spins = 1;
	     atomic_load_explicit(&ht->tail, memory_order_acquire) != old_head; spins++) {
		/*
		 * The thread ahead of us was preempted between its head and
		 * its tail: after a while, give it our CPU instead of spinning
		 * until its time slice comes (more threads than CPUs would
		 * otherwise crawl).
		 */
		if (spins % HM_RING_SPINS_BEFORE_YIELD == 0)
			sched_yield();
		else
			hm_ring_pause();
	}
}

/* ------------------------------------------------------------- layout */

static bool
name_ok(const char *name)
{
	return hm_name_ok(name, HM_RING_NAMESIZE, isgraph);
}

/* Slots for `count` elements: the next power of two, one more without EXACT_SZ. */
static int
ring_slots(unsigned int count, unsigned int flags, uint32_t *slots)
{
	uint64_t want = (flags & HM_RING_EXACT_SZ) ? count : (uint64_t)count + 1;
	uint64_t s = 1;

	if (count == 0 || want > HM_RING_SZ_MAX)
		return -EINVAL;
	while (s < want)
		s <<= 1;
	*slots = (uint32_t)s;
	return 0;
}

ssize_t
hm_ring_get_memsize_elem(unsigned int esize, unsigned int count, unsigned int flags)
{
	uint32_t slots = 0;

	if (esize == 0 || esize % 4 != 0 || esize > 1024 ||
	    (flags & ~(HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ)) ||
	    ring_slots(count, flags, &slots) < 0)
		return -EINVAL;
	return (ssize_t)HM_ALIGN_CEIL(sizeof(struct hm_ring) + (uint64_t)slots * esize, 128);
}

ssize_t
hm_ring_get_memsize(unsigned int count, unsigned int flags)
{
	return hm_ring_get_memsize_elem(sizeof(void *), count, flags);
}

static const char *
bad_arg(const char *name, unsigned int esize, unsigned int count, unsigned int flags)
{
	if (!name_ok(name))
		return "name (1 to 31 printable characters, no spaces)";
	if (esize == 0 || esize % 4 != 0 || esize > 1024)
		return "element size (a multiple of 4, at most 1024)";
	if (flags & ~(HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ))
		return "flags";
	if (count == 0)
		return "count (zero)";
	return "count (too large)";
}

int
hm_ring_init_elem(struct hm_ring *r, const char *name, unsigned int esize, unsigned int count,
		  unsigned int flags)
{
	ssize_t memsize = hm_ring_get_memsize_elem(esize, count, flags);
	uint32_t slots = 0;

	if (r == NULL || memsize < 0 || !name_ok(name) || ((uintptr_t)r & 127) != 0) {
		HM_LOG(ERR, RING, "init %.*s: bad %s", HM_RING_NAMESIZE, name ? name : "(null)",
		       r == NULL		   ? "ring (NULL)"
		       : ((uintptr_t)r & 127) != 0 ? "ring address (not 128-byte aligned)"
						   : bad_arg(name, esize, count, flags));
		return -EINVAL;
	}
	ring_slots(count, flags, &slots);
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->flags = flags;
	r->size = slots;
	r->mask = slots - 1;
	r->capacity = (flags & HM_RING_EXACT_SZ) ? count : slots - 1;
	r->esize = esize;
	r->socket = HM_SOCKET_ID_ANY;
	r->memsize = (uint64_t)memsize;
	r->prod.single = (flags & HM_RING_SP_ENQ) != 0;
	r->cons.single = (flags & HM_RING_SC_DEQ) != 0;
	atomic_init(&r->prod.head, 0);
	atomic_init(&r->prod.tail, 0);
	atomic_init(&r->cons.head, 0);
	atomic_init(&r->cons.tail, 0);
	atomic_init(&r->prod.cons_tail, 0);
	atomic_init(&r->cons.cons_tail, 0);
	HM_ASSERT(r->capacity <= r->mask + 1 && r->capacity >= count);
	return 0;
}

int
hm_ring_init(struct hm_ring *r, const char *name, unsigned int count, unsigned int flags)
{
	return hm_ring_init_elem(r, name, sizeof(void *), count, flags);
}

void
hm_ring_reset(struct hm_ring *r)
{
	if (r == NULL)
		return;
	atomic_store(&r->prod.head, 0);
	atomic_store(&r->prod.tail, 0);
	atomic_store(&r->cons.head, 0);
	atomic_store(&r->cons.tail, 0);
	atomic_store(&r->prod.cons_tail, 0);
}

/* -------------------------------------------------------- named rings */

static struct hm_ring *
find_locked(const char *name)
{
	for (unsigned int i = 0; i < HM_RING_MAX_RINGS; i++)
		if (table->rings[i] != NULL && strcmp(table->rings[i]->name, name) == 0)
			return table->rings[i];
	return NULL;
}

struct hm_ring *
hm_ring_create_elem(const char *name, unsigned int esize, unsigned int count, int socket,
		    unsigned int flags)
{
	ssize_t memsize = hm_ring_get_memsize_elem(esize, count, flags);
	const struct hm_buddy *buddy = hm_buddy_get();
	struct hm_ring *r = NULL;
	unsigned int slot;

	if (table == NULL || buddy == NULL) {
		HM_LOG(ERR, RING, "create %.*s: hugemem is not initialised", HM_RING_NAMESIZE,
		       name ? name : "(null)");
		errno = ENODEV;
		return NULL;
	}
	if (memsize < 0 || !name_ok(name)) {
		HM_LOG(ERR, RING, "create %.*s: bad %s", HM_RING_NAMESIZE, name ? name : "(null)",
		       bad_arg(name, esize, count, flags));
		errno = EINVAL;
		return NULL;
	}
	hm_mutex_lock_shared(&table->lock, "ring table");
	if (find_locked(name) != NULL) {
		HM_LOG(ERR, RING, "create %s: a ring of that name exists", name);
		errno = EEXIST;
		goto out;
	}
	for (slot = 0; slot < HM_RING_MAX_RINGS && table->rings[slot] != NULL; slot++)
		;
	if (slot == HM_RING_MAX_RINGS) {
		HM_LOG(ERR, RING, "create %s: all %u rings are in use", name, HM_RING_MAX_RINGS);
		errno = ENOSPC;
		goto out;
	}
	r = hm_dma_alloc_tagged((size_t)memsize, 128, socket, 0, HM_OWNER_NONE, PGF_RING, RING);
	if (r == NULL) {
		HM_LOG(ERR, RING, "create %s: no memory for %zd bytes on socket %d", name, memsize,
		       socket);
		errno = ENOMEM;
		goto out;
	}
	hm_ring_init_elem(r, name, esize, count, flags);
	r->socket = hm_buddy_page_socket(buddy, hm_buddy_page_index(buddy, r));
	r->magic = HM_RING_MAGIC;
	table->rings[slot] = r;
	HM_LOG(DEBUG, RING, "ring %s: %u elements of %u B in %u slots, %s/%s", name, r->capacity,
	       esize, r->size, r->prod.single ? "SP" : "MP", r->cons.single ? "SC" : "MC");
out:
	pthread_mutex_unlock(&table->lock);
	return r;
}

struct hm_ring *
hm_ring_create(const char *name, unsigned int count, int socket, unsigned int flags)
{
	return hm_ring_create_elem(name, sizeof(void *), count, socket, flags);
}

struct hm_ring *
hm_ring_lookup(const char *name)
{
	struct hm_ring *r;

	if (table == NULL || !name_ok(name)) {
		errno = table == NULL ? ENODEV : EINVAL;
		return NULL;
	}
	hm_mutex_lock_shared(&table->lock, "ring table");
	r = find_locked(name);
	pthread_mutex_unlock(&table->lock);
	if (r == NULL)
		errno = ENOENT;
	return r;
}

int
hm_ring_free(struct hm_ring *r)
{
	unsigned int slot;

	if (r == NULL)
		return 0;
	if (table == NULL)
		return -ENODEV;
	hm_mutex_lock_shared(&table->lock, "ring table");
	for (slot = 0; slot < HM_RING_MAX_RINGS && table->rings[slot] != r; slot++)
		;
	if (slot == HM_RING_MAX_RINGS) {
		pthread_mutex_unlock(&table->lock);
		HM_LOG(ERR, RING, "free %p: not a named ring", (void *)r);
		return -EINVAL;
	}
	table->rings[slot] = NULL;
	r->magic = 0;
	pthread_mutex_unlock(&table->lock);
	return hm_buddy_free_block_of(r, "ring free", false);
}

int
hm_ring_walk(int (*fn)(struct hm_ring *r, void *arg), void *arg)
{
	int ret = 0;

	if (table == NULL || fn == NULL)
		return -EINVAL;
	hm_mutex_lock_shared(&table->lock, "ring table");
	for (unsigned int i = 0; i < HM_RING_MAX_RINGS && ret == 0; i++)
		if (table->rings[i] != NULL)
			ret = fn(table->rings[i], arg);
	pthread_mutex_unlock(&table->lock);
	return ret;
}

void
hm_ring_dump(FILE *f, const struct hm_ring *r)
{
	if (f == NULL)
		return;
	if (r == NULL) {
		fprintf(f, "ring: NULL\n");
		return;
	}
	fprintf(f,
		"ring <%s>@%p\n  flags=0x%x size=%u capacity=%u esize=%u socket=%d\n"
		"  prod: head=%u tail=%u %s (copy of cons.tail %u)\n  cons: head=%u tail=%u %s\n"
		"  used=%u avail=%u\n",
		r->name, (const void *)r, r->flags, r->size, r->capacity, r->esize, r->socket,
		atomic_load(&r->prod.head), atomic_load(&r->prod.tail),
		r->prod.single ? "single" : "multi", atomic_load(&r->prod.cons_tail),
		atomic_load(&r->cons.head), atomic_load(&r->cons.tail),
		r->cons.single ? "single" : "multi", hm_ring_count(r), hm_ring_free_count(r));
}

/* ---------------------------------------------------- init and cleanup */

int
hm_ring_subsys_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	(void)cfg;
	table = NULL;
	if (type == HM_PROC_PRIMARY) {
		struct ring_table *t = hm_shared_zalloc(sizeof(*t), 64);

		if (t == NULL)
			return -ENOMEM;
		hm_mutex_init_shared(&t->lock, false);
		hm_shared_state_set(HM_SUBSYS_RING, t);
		table = t;
		return 0;
	}
	table = hm_shared_state_get(HM_SUBSYS_RING);
	if (table == NULL) {
		HM_LOG(ERR, RING, "the primary published no ring table");
		return -EPROTO;
	}
	return 0;
}

void
hm_ring_subsys_cleanup(enum hm_proc_type type)
{
	(void)type;
	table = NULL;
}
