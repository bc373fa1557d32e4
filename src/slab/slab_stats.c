/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics, /proc/slabinfo, and the audit of every cache.
 *
 * The counts of a node are read under its lock; the lcore array caches'
 * counts and statistics are single-writer atomics read without one, so a
 * busy cache's numbers are a moment's picture, exact when it is quiet.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "slab_pvt.h"

#define L (&hm_slab_local)

int
hm_slab_cache_stats(const struct hm_slab_cache *c, struct hm_slab_stats *st)
{
	if (!hm_slab_cache_valid(c) || st == NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", c->name);
	st->objsize = c->size;
	st->buffer_size = c->buffer_size;
	st->align = c->align;
	st->flags = c->flags;
	st->objperslab = c->num;
	st->pagesperslab = 1u << c->order;
	st->limit = c->limit;
	st->batchcount = c->batch;
	st->sharedfactor = c->shared;
	for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
		struct slab_node *n = (struct slab_node *)&c->node[s];
		uint64_t free_slabs = 0;

		hm_mutex_lock_shared(&n->lock, "slab node");
		for (uint32_t i = n->free; i != HM_PAGE_NIL; i = slab_page(i)->next)
			free_slabs++;
		st->num_slabs += n->nr_slabs;
		st->active_slabs += n->nr_slabs - free_slabs;
		st->num_objs += n->nr_slabs * c->num;
		st->active_objs += n->nr_slabs * c->num - n->free_objects;
		st->sharedavail += n->shared != NULL ? ac_avail(n->shared) : 0;
		st->grown += n->grown;
		st->reaped += n->reaped;
		st->allocs += n->direct_allocs;
		st->frees += n->direct_frees;
		pthread_mutex_unlock(&n->lock);
	}
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		const struct array_cache *ac = cache_ac(c, l);

		if (ac == NULL)
			continue;
		st->allocs += atomic_load_explicit(&ac->allocs, memory_order_relaxed);
		st->frees += atomic_load_explicit(&ac->frees, memory_order_relaxed);
	}
	st->cached = hm_slab_cached_objects(c);
	st->live = st->active_objs - st->sharedavail - st->cached;
	st->alloc_failures = atomic_load_explicit(&c->alloc_failures, memory_order_relaxed);
	for (unsigned int l = 0; l < HM_MAX_LCORE && c->alien_stride != 0; l++)
		for (unsigned int s = 0; s < L->st->nr_sockets; s++) {
			uint64_t f = atomic_load_explicit(&cache_alien(c, l, s)->frees,
							  memory_order_relaxed);

			st->remote_frees += f;
			st->frees += f;
		}
	st->errors = atomic_load_explicit(&c->errors, memory_order_relaxed);
	return 0;
}

struct info_buf {
	char *buf;
	size_t len;
	size_t off;
};

static void info_printf(struct info_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
info_printf(struct info_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->off < b->len ? b->buf + b->off : NULL,
		      b->off < b->len ? b->len - b->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
}

static int
info_line(struct hm_slab_cache *c, void *arg)
{
	struct hm_slab_stats st;

	if (hm_slab_cache_stats(c, &st) < 0)
		return 0;
	info_printf(arg,
		    "%-17s %6" PRIu64 " %6" PRIu64 " %6u %4u %4u : tunables %4u %4u %4u"
		    " : slabdata %6" PRIu64 " %6" PRIu64 " %6" PRIu64 "\n",
		    st.name, st.active_objs, st.num_objs, st.buffer_size, st.objperslab,
		    st.pagesperslab, st.limit, st.batchcount, st.sharedfactor, st.active_slabs,
		    st.num_slabs, st.sharedavail);
	return 0;
}

int
hm_slab_info(char *buf, size_t len)
{
	struct info_buf b = {.buf = buf, .len = buf != NULL ? len : 0, .off = 0};

	if (b.len != 0)
		buf[0] = '\0';
	info_printf(&b, "slabinfo - version: 2.1\n");
	info_printf(&b, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
			"<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
			"<active_slabs> <num_slabs> <sharedavail>\n");
	if (L->st != NULL)
		hm_slab_cache_walk(info_line, &b);
	return b.off > INT32_MAX ? INT32_MAX : (int)b.off;
}

/* ----------------------------------------------------------------- audit */

static int
audit_slab(const struct hm_slab_cache *c, unsigned int node, const struct hm_slab *s,
	   unsigned int list, uint64_t *free_objs)
{
	uint32_t idx = slab_index(s), nfree = 0;
	void *p = (void *)(uintptr_t)s->freelist;

	if (s->head != idx || s->cache != c->id || s->node != node || s->list != list) {
		HM_LOG(ERR, SLAB, "audit: cache %s: slab %u: head %u cache %u node %u list %u",
		       c->name, idx, s->head, s->cache, s->node, s->list);
		return -EFAULT;
	}
	for (uint32_t p2 = 1; p2 < (1u << c->order); p2++)
		if (slab_page(idx + p2)->head != idx) {
			HM_LOG(ERR, SLAB, "audit: cache %s: slab %u: page %u points elsewhere",
			       c->name, idx, idx + p2);
			return -EFAULT;
		}
	while (p != NULL) {
		if (nfree >= c->num || slab_obj_index(c, s, p) < 0) {
			HM_LOG(ERR, SLAB, "audit: cache %s: slab %u: free list entry %p is bad",
			       c->name, idx, p);
			return -EFAULT;
		}
		if (c->debug && slab_debug_audit_object(c, p) < 0)
			return -EFAULT;
		if (c->owner_offset != 0 && atomic_load(obj_owner(c, p)) != 0) {
			HM_LOG(ERR, SLAB, "audit: cache %s: free object %p has owner %#" PRIx64,
			       c->name, p, (uint64_t)atomic_load(obj_owner(c, p)));
			return -EFAULT;
		}
		nfree++;
		p = *obj_fp(c, p);
	}
	if (nfree != c->num - s->inuse || (list == SLAB_LIST_FULL && s->inuse != c->num) ||
	    (list == SLAB_LIST_PARTIAL && (s->inuse == 0 || s->inuse == c->num)) ||
	    (list == SLAB_LIST_FREE && s->inuse != 0)) {
		HM_LOG(ERR, SLAB,
		       "audit: cache %s: slab %u: %u free on its list, inuse %u of %u, list %u",
		       c->name, idx, nfree, s->inuse, c->num, list);
		return -EFAULT;
	}
	*free_objs += nfree;
	return 0;
}

static int
audit_array(const struct hm_slab_cache *c, const struct array_cache *ac, const char *what)
{
	for (uint32_t i = 0; i < ac_avail(ac); i++) {
		const struct hm_slab *s = slab_of(ac->entry[i]);

		if (s == NULL || s->cache != c->id || slab_obj_index(c, s, ac->entry[i]) < 0) {
			HM_LOG(ERR, SLAB, "audit: cache %s: %s holds %p, not an object of it",
			       c->name, what, ac->entry[i]);
			return -EFAULT;
		}
		if (c->owner_offset != 0 && atomic_load(obj_owner(c, ac->entry[i])) != 0) {
			HM_LOG(ERR, SLAB, "audit: cache %s: %s holds %p, which has an owner",
			       c->name, what, ac->entry[i]);
			return -EFAULT;
		}
	}
	return ac_avail(ac) <= ac->limit ? 0 : -EFAULT;
}

/* An owned cache: every object out of the slabs and caches, and only those, has an owner. */
static int
audit_owners(struct hm_slab_cache *c)
{
	uint64_t owned = 0, out = 0;

	for (unsigned int node = 0; node < L->st->nr_sockets; node++) {
		struct slab_node *n = &c->node[node];
		static const unsigned int lists[] = {SLAB_LIST_FULL, SLAB_LIST_PARTIAL};

		hm_mutex_lock_shared(&n->lock, "slab node");
		out += n->nr_slabs * c->num - n->free_objects;
		if (n->shared != NULL)
			out -= ac_avail(n->shared);
		for (unsigned int k = 0; k < HM_DIM(lists); k++)
			for (uint32_t i = lists[k] == SLAB_LIST_FULL ? n->full : n->partial;
			     i != HM_PAGE_NIL; i = slab_page(i)->next) {
				uint8_t *first = slab_first_obj(c, slab_page(i));

				for (uint32_t o = 0; o < c->num; o++)
					owned += atomic_load(obj_owner(
						     c, first + (uint64_t)o * c->buffer_size)) != 0;
			}
		pthread_mutex_unlock(&n->lock);
	}
	out -= hm_slab_cached_objects(c); /* the lcores' array caches and foreign-socket arrays */
	if (owned != out) {
		HM_LOG(ERR, SLAB,
		       "audit: cache %s: %" PRIu64 " objects have an owner, %" PRIu64
		       " are out of the slabs and caches",
		       c->name, owned, out);
		return -EFAULT;
	}
	return 0;
}

static int
audit_cache(struct hm_slab_cache *c, void *arg)
{
	static const unsigned int lists[] = {SLAB_LIST_FULL, SLAB_LIST_PARTIAL, SLAB_LIST_FREE};
	int ret = 0;

	(void)arg;
	for (unsigned int node = 0; node < L->st->nr_sockets && ret == 0; node++) {
		struct slab_node *n = &c->node[node];
		uint64_t free_objs = 0, slabs = 0;

		hm_mutex_lock_shared(&n->lock, "slab node");
		for (unsigned int k = 0; k < HM_DIM(lists) && ret == 0; k++) {
			uint32_t head = lists[k] == SLAB_LIST_FULL	? n->full
					: lists[k] == SLAB_LIST_PARTIAL ? n->partial
									: n->free;

			for (uint32_t i = head; i != HM_PAGE_NIL && ret == 0;
			     i = slab_page(i)->next) {
				ret = audit_slab(c, node, slab_page(i), lists[k], &free_objs);
				slabs++;
			}
		}
		if (ret == 0 && (slabs != n->nr_slabs || free_objs != n->free_objects)) {
			HM_LOG(ERR, SLAB,
			       "audit: cache %s: socket %u: %" PRIu64 " slabs with %" PRIu64
			       " free objects on the lists, counted %" PRIu64 " and %" PRIu64,
			       c->name, node, slabs, free_objs, n->nr_slabs, n->free_objects);
			ret = -EFAULT;
		}
		if (ret == 0 && n->shared != NULL)
			ret = audit_array(c, n->shared, "a depot");
		pthread_mutex_unlock(&n->lock);
	}
	for (unsigned int l = 0; l < HM_MAX_LCORE && ret == 0; l++)
		if (cache_ac(c, l) != NULL)
			ret = audit_array(c, cache_ac(c, l), "an lcore array cache");
	if (ret == 0 && c->owner_offset != 0)
		ret = audit_owners(c);
	return ret;
}

int
hm_slab_audit(void)
{
	if (L->st == NULL)
		return -EINVAL;
	return hm_slab_cache_walk(audit_cache, NULL);
}
