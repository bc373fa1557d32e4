/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service loop's side of the channels: take a request out of a slot's
 * ring, check it, run it against the allocators with the sender's slot as
 * the owner, and put the answer in the slot's response ring.
 *
 * What a client cannot do through a request, however it fills it:
 *  - tag a block with another process's slot (the owner is the ring's slot,
 *    or nobody's for shared structures), or tag one as a memzone's;
 *  - free a block or memzone that another process owns (-EPERM), a block
 *    that is not an allocated one (-EINVAL), or a memzone's block other
 *    than through its memzone;
 *  - make the service block: a full response ring drops the answer (the
 *    client gave up on it, or never reads) and counts it.
 * A malformed request is answered -EPROTO or -EINVAL and counted; its log
 * line is printed for the 1st, 2nd, 4th, 8th... bad request of a slot only,
 * so a hostile client cannot flood the log. The same goes for well-formed
 * requests the allocators refuse (a free of another slot's block, say): what
 * the allocator logs about the 1st, 2nd, 4th... refusal of a slot is
 * printed, the rest is muted and counted.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "buddy_pvt.h"
#include "hm_common.h"
#include "memory_pvt.h"
#include "service_msg.h"
#include "service_pvt.h"

static void
count_latency(struct service_shared *sh, const struct hm_svc_msg *m)
{
	uint64_t now = hm_time_ns(), lat, max;
	unsigned int b = 0;

	/* The client's clock is the same CLOCK_MONOTONIC; a stamp from the future is a lie. */
	if (m->sent_ns == 0 || m->sent_ns > now)
		return;
	lat = now - m->sent_ns;
	while (b + 1 < SVC_LAT_BUCKETS && (lat >> (b + 1)) != 0)
		b++;
	atomic_fetch_add_explicit(&sh->lat_hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sh->lat_sum_ns, lat, memory_order_relaxed);
	max = atomic_load_explicit(&sh->lat_max_ns, memory_order_relaxed);
	if (lat > max)
		atomic_store_explicit(&sh->lat_max_ns, lat, memory_order_relaxed);
}

static bool
power_of_two(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* Run one decoded request for slot; the answer goes into m. */
static void
execute(unsigned int slot, struct hm_svc_msg *m)
{
	const int owner = (m->tag & HM_SVC_TAG_SELF) ? (int)slot : HM_OWNER_NONE;
	void *va = NULL;
	int ret = 0;

	errno = 0;
	switch ((enum hm_svc_op)m->op) {
	case HM_SVC_NOP:
		break;
	case HM_SVC_ALLOC:
		va = hm_buddy_alloc_tagged(m->order, m->socket, m->flags, owner, m->pgflags);
		ret = va != NULL ? 0 : -(errno != 0 ? errno : ENOMEM);
		break;
	case HM_SVC_ALLOC_EXACT:
		va = hm_buddy_alloc_exact_tagged((size_t)m->size, m->socket, m->flags, owner,
						 m->pgflags);
		ret = va != NULL ? 0 : -(errno != 0 ? errno : ENOMEM);
		break;
	case HM_SVC_FREE:
		ret = hm_buddy_free_as((void *)(uintptr_t)m->addr, (size_t)m->size,
				       (m->tag & HM_SVC_TAG_PLAIN) != 0, (int)slot);
		break;
	case HM_SVC_MZ_RESERVE:
		m->name[sizeof(m->name) - 1] = '\0'; /* the decoder saw one already */
		va = (void *)(uintptr_t)hm_memzone_reserve_as(
		    m->name, (size_t)m->size, m->socket, m->flags, (size_t)m->align, (int)slot);
		ret = va != NULL ? 0 : -(errno != 0 ? errno : ENOMEM);
		break;
	case HM_SVC_MZ_FREE:
		ret = hm_memzone_free_as((const struct hm_memzone *)(uintptr_t)m->addr, (int)slot);
		break;
	default:
		ret = -EPROTO;
		break;
	}
	m->addr = (uint64_t)(uintptr_t)va;
	m->status = (int16_t)ret;
}

unsigned int
hm_service_serve(struct service_shared *sh, unsigned int slot, unsigned int burst)
{
	struct svc_chan *c = &sh->chan[slot];
	char held[2048]; /* what the allocators log about one request */
	struct hm_svc_msg m;
	unsigned int n = 0;

	while (n < burst && hm_ring_dequeue_elem(c->req, &m, sizeof(m)) == 0) {
		const char *why;
		int ret = hm_svc_decode(&m, &why);

		n++;
		if (ret != 0) {
			uint64_t bad = atomic_fetch_add(&c->malformed, 1) + 1;

			atomic_fetch_add(&sh->malformed, 1);
			if (power_of_two(bad))
				HM_LOG(WARNING, SERVICE,
				       "slot %u: bad request (op %u): %s; %" PRIu64
				       " from this slot so far",
				       slot, m.op, why, bad);
			m.status = (int16_t)ret;
			m.addr = 0;
		} else {
			uint64_t failed = atomic_load_explicit(&c->failed, memory_order_relaxed);

			/* What the allocators say is written unless the request is refused
			 * and its refusal is none of the slot's 1st, 2nd, 4th... */
			hm_log_hold(held, sizeof(held));
			execute(slot, &m);
			hm_log_release(m.status == 0 || power_of_two(failed + 1));
			if (m.status != 0 && failed + 1 >= 4 && power_of_two(failed + 1))
				HM_LOG(ERR, SERVICE,
				       "slot %u: %" PRIu64 " requests refused so far (op %u: %s); "
				       "only the 1st, 2nd, 4th... are logged",
				       slot, failed + 1, m.op, strerror(-m.status));
			atomic_fetch_add_explicit(&sh->ops[m.op], 1, memory_order_relaxed);
		}
		if (m.status != 0) {
			atomic_fetch_add_explicit(&c->failed, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&sh->failed, 1, memory_order_relaxed);
		}
		count_latency(sh, &m);
		atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&sh->requests, 1, memory_order_relaxed);
		m.magic = HM_SVC_MAGIC;
		if (hm_ring_enqueue_elem(c->rsp, &m, sizeof(m)) != 0) {
			atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&sh->dropped, 1, memory_order_relaxed);
		}
	}
	return n;
}

int
hm_service_chans_init(struct service_shared *sh)
{
	ssize_t sz = hm_ring_get_memsize_elem(sizeof(struct hm_svc_msg), HM_SVC_RING_SIZE,
					      HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);

	if (sz < 0)
		return (int)sz;
	for (unsigned int i = 0; i < HM_MAX_PROCS; i++) {
		struct svc_chan *c = &sh->chan[i];
		char name[HM_RING_NAMESIZE];
		int ret;

		c->req = hm_shared_zalloc((size_t)sz, 64);
		c->rsp = hm_shared_zalloc((size_t)sz, 64);
		if (c->req == NULL || c->rsp == NULL)
			return -ENOMEM;
		snprintf(name, sizeof(name), "svc_req_%u", i);
		ret = hm_ring_init_elem(c->req, name, sizeof(struct hm_svc_msg), HM_SVC_RING_SIZE,
					HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);
		if (ret == 0) {
			snprintf(name, sizeof(name), "svc_rsp_%u", i);
			ret = hm_ring_init_elem(c->rsp, name, sizeof(struct hm_svc_msg),
						HM_SVC_RING_SIZE,
						HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);
		}
		if (ret != 0)
			return ret;
	}
	return 0;
}

void
hm_service_chan_reset(struct service_shared *sh, unsigned int slot)
{
	hm_ring_reset(sh->chan[slot].req);
	hm_ring_reset(sh->chan[slot].rsp);
}
