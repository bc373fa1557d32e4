/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a mempool can tell about itself: counts, statistics, the audit of
 * its invariants (mempool_pvt.h), iteration over its objects, and a dump.
 * Nothing here writes the pool.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "mempool_pvt.h"

unsigned int
hm_mempool_cache_count(const struct hm_mempool *mp, unsigned int lcore)
{
	if (!hm_mempool_is_pool(mp) || lcore >= HM_MAX_LCORE)
		return 0;
	return atomic_load_explicit(&hm_mempool_cache_of(mp, lcore)->len, memory_order_relaxed);
}

unsigned int
hm_mempool_reserve_count(const struct hm_mempool *mp)
{
	if (!hm_mempool_is_pool(mp))
		return 0;
	return atomic_load_explicit(&mempool_priv(mp)->nr_res, memory_order_relaxed);
}

unsigned int
hm_mempool_avail_count(const struct hm_mempool *mp)
{
	uint64_t n;

	if (!hm_mempool_is_pool(mp))
		return 0;
	n = hm_ring_count(mp->ring) + hm_mempool_reserve_count(mp);
	if (mp->cache_size != 0)
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			n += hm_mempool_cache_count(mp, l);
	/* A snapshot taken while objects move may count one twice. */
	return n > mp->size ? mp->size : (unsigned int)n;
}

unsigned int
hm_mempool_in_use_count(const struct hm_mempool *mp)
{
	if (!hm_mempool_is_pool(mp))
		return 0;
	return mp->size - hm_mempool_avail_count(mp);
}

static void
stats_add(struct hm_mempool_stats *st, const struct hm_mempool_lcore_stats *s)
{
	uint64_t get_cached = atomic_load_explicit(&s->get_cached, memory_order_relaxed);

	st->gets += get_cached + atomic_load_explicit(&s->get_other, memory_order_relaxed);
	st->cache_hits += get_cached;
	st->get_fails += atomic_load_explicit(&s->get_fail, memory_order_relaxed);
	st->puts += atomic_load_explicit(&s->put_cached, memory_order_relaxed) +
		    atomic_load_explicit(&s->put_other, memory_order_relaxed);
	st->put_refused += atomic_load_explicit(&s->put_refused, memory_order_relaxed);
	st->reserve_gets += atomic_load_explicit(&s->reserve_gets, memory_order_relaxed);
}

int
hm_mempool_stats_get(const struct hm_mempool *mp, unsigned int lcore, struct hm_mempool_stats *st)
{
	if (!hm_mempool_is_pool(mp) || st == NULL ||
	    (lcore > HM_MAX_LCORE && lcore != HM_LCORE_ID_ANY))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (lcore < HM_MAX_LCORE) {
		stats_add(st, &hm_mempool_cache_of(mp, lcore)->stats);
	} else if (lcore == HM_LCORE_ID_ANY) {
		stats_add(st, &mp->other_stats);
	} else {
		for (unsigned int l = 0; l < HM_MAX_LCORE; l++)
			stats_add(st, &hm_mempool_cache_of(mp, l)->stats);
		stats_add(st, &mp->other_stats);
	}
	return 0;
}

int
hm_mempool_obj_iter(struct hm_mempool *mp, hm_mempool_obj_cb_t *fn, void *arg)
{
	unsigned int idx = 0;

	if (!hm_mempool_is_pool(mp) || fn == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < mp->nb_chunks; i++)
		for (uint64_t k = 0; k < mp->chunks[i].nb_objs; k++, idx++)
			fn(mp, arg, (void *)(mp->chunks[i].first + (uint64_t)k * mp->stride), idx);
	return (int)idx;
}

/* ------------------------------------------------------------- audit */

/* Where the audit found an object: 0 nowhere yet, then these, then PLACE_CACHE + lcore. */
enum { PLACE_NONE = 0, PLACE_RING, PLACE_RESERVE, PLACE_CACHE };

struct audit {
	const struct hm_mempool *mp;
	uint8_t *place; /* per object index */
	unsigned int found;
	unsigned int faults;
};

static const char *
place_name(unsigned int place, char *buf, size_t len)
{
	if (place == PLACE_RING)
		return "the ring";
	if (place == PLACE_RESERVE)
		return "the reserve";
	snprintf(buf, len, "the cache of lcore %u", place - PLACE_CACHE);
	return buf;
}

static void audit_fault(struct audit *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
audit_fault(struct audit *a, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	a->faults++;
	/* A broken pool can have millions of faults: the first few say enough. */
	if (a->faults <= 16)
		HM_LOG(ERR, MEMPOOL, "audit %s: %s", a->mp->name, msg);
}

static void
audit_free_obj(struct audit *a, void *obj, unsigned int place)
{
	long idx = hm_mempool_obj_index(a->mp, obj);
	char b1[40], b2[40];

	if (idx < 0) {
		audit_fault(a, "%p in %s is not an object of the pool", obj,
			    place_name(place, b1, sizeof(b1)));
		return;
	}
	if (a->place[idx] != PLACE_NONE) {
		audit_fault(a, "object %p is in %s and in %s", obj,
			    place_name(a->place[idx], b1, sizeof(b1)),
			    place_name(place, b2, sizeof(b2)));
		return;
	}
	a->place[idx] = (uint8_t)place;
	a->found++;
}

static void
audit_ring(struct audit *a)
{
	const struct hm_ring *r = a->mp->ring;
	uint32_t head = atomic_load(&r->cons.tail);
	uint32_t tail = atomic_load(&r->prod.tail);
	void *const *slots = (void *const *)(const void *)r->slots;

	if (tail - head > r->capacity) {
		audit_fault(a, "ring holds %u objects, above its capacity %u", tail - head,
			    r->capacity);
		return;
	}
	for (uint32_t i = head; i != tail; i++)
		audit_free_obj(a, slots[i & r->mask], PLACE_RING);
}

static void
audit_headers(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct audit *a = arg;
	const struct hm_mempool_objhdr *h = hm_mempool_get_header(obj);
	hm_iova_t iova = hm_virt2iova(obj);

	if (h->pool != mp)
		audit_fault(a, "object %u at %p: its header names pool %p", idx, obj,
			    (void *)h->pool);
	if (h->iova != iova)
		audit_fault(a,
			    "object %u at %p: its header says IOVA 0x%" PRIx64 ", it is 0x%" PRIx64,
			    idx, obj, h->iova, iova);
	if (mp->flags & HM_MEMPOOL_DEBUG) {
		uint64_t want = a->place[idx] == PLACE_NONE ? OBJ_STATE_INUSE : OBJ_STATE_FREE;

		if (atomic_load(&h->state) != want)
			audit_fault(a, "object %u at %p: its header says %s, it is %s", idx, obj,
				    want == OBJ_STATE_FREE ? "in use" : "free",
				    want == OBJ_STATE_FREE ? "free" : "in use");
	}
	if (mp->flags & HM_MEMPOOL_OWNED) {
		bool out = a->place[idx] == PLACE_NONE;
		uint64_t owner = atomic_load(&h->owner);

		if (out != (owner != 0))
			audit_fault(a, "object %u at %p: owner 0x%" PRIx64 " but it is %s", idx,
				    obj, owner, out ? "handed out" : "free");
	}
}

/* The inline puts' limits agree with put_slow. */
static void
audit_put_limits(struct audit *a, const struct hm_mempool *mp)
{
	const uint32_t slow = atomic_load(&mp->put_slow);
	const uint32_t cmax = atomic_load(&mp->put_cache_max);
	const uint32_t rmax = atomic_load(&mp->put_ring_max);
	const struct mempool_priv *pv = mempool_priv(mp);
	uint32_t waiters = 0;

	if (cmax != put_cache_limit(mp, slow) || rmax != put_ring_limit(mp, slow))
		audit_fault(a,
			    "inline put limits %u (cache) and %u (ring) disagree with put_slow %#x",
			    cmax, rmax, slow);
	for (unsigned int i = 0; i <= HM_MAX_PROCS; i++)
		waiters += pv->waiters[i];
	if ((slow & PUT_SLOW_WAITERS) != waiters)
		audit_fault(a, "put_slow %#x counts %u waiters, the processes' counts %u", slow,
			    slow & PUT_SLOW_WAITERS, waiters);
}

int
hm_mempool_audit(const struct hm_mempool *mp, unsigned int *in_use)
{
	const struct mempool_priv *pv;
	struct audit a = {.mp = mp};
	uint32_t nr_res;

	if (!hm_mempool_is_pool(mp))
		return -EINVAL;
	pv = mempool_priv(mp);
	a.place = calloc(mp->size, 1);
	if (a.place == NULL)
		return -ENOMEM;

	audit_ring(&a);
	nr_res = atomic_load(&pv->nr_res);
	if (nr_res > mp->min_nr)
		audit_fault(&a, "reserve holds %u objects, above its size %u", nr_res, mp->min_nr);
	else
		for (uint32_t i = 0; i < nr_res; i++)
			audit_free_obj(&a, pv->reserve[i], PLACE_RESERVE);
	if (nr_res < mp->min_nr && !(atomic_load(&mp->put_slow) & PUT_SLOW_RESERVE_SHORT))
		audit_fault(&a, "reserve is short (%u of %u) but puts do not refill it", nr_res,
			    mp->min_nr);
	audit_put_limits(&a, mp);
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		const struct hm_mempool_cache *c = hm_mempool_cache_of(mp, l);
		uint32_t len = atomic_load(&c->len);

		if (len > c->flushthresh) {
			audit_fault(&a, "cache of lcore %u holds %u objects, above its limit %u", l,
				    len, c->flushthresh);
			continue;
		}
		for (uint32_t i = 0; i < len; i++)
			audit_free_obj(&a, c->objs[i], PLACE_CACHE + l);
	}
	hm_mempool_obj_iter((struct hm_mempool *)(uintptr_t)mp, audit_headers, &a);

	if (in_use != NULL)
		*in_use = mp->size - a.found;
	free(a.place);
	if (a.faults > 16)
		HM_LOG(ERR, MEMPOOL, "audit %s: %u faults in all", mp->name, a.faults);
	return a.faults ? -EFAULT : 0;
}

/* -------------------------------------------------------------- dump */

void
hm_mempool_dump(FILE *f, const struct hm_mempool *mp)
{
	struct hm_mempool_stats st;

	if (f == NULL)
		return;
	if (!hm_mempool_is_pool(mp)) {
		fprintf(f, "mempool %p: not a pool\n", (const void *)mp);
		return;
	}
	fprintf(f,
		"mempool <%s>@%p\n  flags=0x%x socket=%d size=%u elt_size=%u stride=%u "
		"blocks=%u\n  cache_size=%u reserve=%u/%u avail=%u in_use=%u ring=%u\n",
		mp->name, (const void *)mp, mp->flags, mp->socket, mp->size, mp->elt_size,
		mp->stride, mp->nb_chunks, mp->cache_size, hm_mempool_reserve_count(mp), mp->min_nr,
		hm_mempool_avail_count(mp), hm_mempool_in_use_count(mp), hm_ring_count(mp->ring));
	for (unsigned int l = 0; l < HM_MAX_LCORE; l++) {
		hm_mempool_stats_get(mp, l, &st);
		if (st.gets == 0 && st.puts == 0 && st.get_fails == 0 && st.put_refused == 0 &&
		    hm_mempool_cache_count(mp, l) == 0)
			continue;
		fprintf(f,
			"  lcore %u: cache=%u gets=%" PRIu64 " puts=%" PRIu64 " cache_hits=%" PRIu64
			" get_fails=%" PRIu64 " put_refused=%" PRIu64 " reserve_gets=%" PRIu64 "\n",
			l, hm_mempool_cache_count(mp, l), st.gets, st.puts, st.cache_hits,
			st.get_fails, st.put_refused, st.reserve_gets);
	}
	hm_mempool_stats_get(mp, HM_LCORE_ID_ANY, &st);
	fprintf(f,
		"  other threads: gets=%" PRIu64 " puts=%" PRIu64 " get_fails=%" PRIu64
		" put_refused=%" PRIu64 " reserve_gets=%" PRIu64 "\n",
		st.gets, st.puts, st.get_fails, st.put_refused, st.reserve_gets);
}
