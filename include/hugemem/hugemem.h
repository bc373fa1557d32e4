/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_H
#define HUGEMEM_H

/**
 * @file
 * hugemem: a hugepage memory service for packet processing.
 *
 * One header for everything: include this and link with `pkg-config
 * --libs libhugemem`. The subsystem headers can also be included one by one.
 */

#include <hugemem/eal.h>
#include <hugemem/memory.h>
#include <hugemem/buddy.h>
#include <hugemem/slab.h>
#include <hugemem/ring.h>
#include <hugemem/mempool.h>
#include <hugemem/service.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @internal What the inline code of these headers takes of the library's
 * structures, as this program was compiled: their sizes, the offsets the
 * inline paths read and the constants they use, mixed into one number
 * (FNV-1a over the values), computed at each hm_eal_init().
 */
static inline uint64_t
hm_layout_id_(void)
{
	const uint64_t v[] = {
	    HM_MAX_LCORE,
	    HM_LCORE_ID_ANY,
	    HM_BAD_IOVA,
	    sizeof(struct hm_iova_map),
	    offsetof(struct hm_iova_map, va_base),
	    offsetof(struct hm_iova_map, nb_granules),
	    offsetof(struct hm_iova_map, va2iova),
	    HM_IOVA_GRANULE_SHIFT,
	    (uint64_t)HM_IOVA_MAP_HOLE,
	    sizeof(struct hm_ring_headtail),
	    offsetof(struct hm_ring_headtail, head),
	    offsetof(struct hm_ring_headtail, tail),
	    offsetof(struct hm_ring_headtail, single),
	    offsetof(struct hm_ring_headtail, cons_tail),
	    sizeof(struct hm_ring),
	    offsetof(struct hm_ring, size),
	    offsetof(struct hm_ring, mask),
	    offsetof(struct hm_ring, capacity),
	    offsetof(struct hm_ring, prod),
	    offsetof(struct hm_ring, cons),
	    offsetof(struct hm_ring, slots),
	    sizeof(struct hm_mempool_objhdr),
	    offsetof(struct hm_mempool_objhdr, pool),
	    offsetof(struct hm_mempool_objhdr, iova),
	    offsetof(struct hm_mempool_objhdr, state),
	    offsetof(struct hm_mempool_objhdr, owner),
	    sizeof(struct hm_mempool_lcore_stats),
	    offsetof(struct hm_mempool_lcore_stats, get_cached),
	    offsetof(struct hm_mempool_lcore_stats, get_other),
	    offsetof(struct hm_mempool_lcore_stats, get_fail),
	    offsetof(struct hm_mempool_lcore_stats, put_cached),
	    offsetof(struct hm_mempool_lcore_stats, put_other),
	    offsetof(struct hm_mempool_lcore_stats, put_refused),
	    offsetof(struct hm_mempool_lcore_stats, reserve_gets),
	    offsetof(struct hm_mempool_cache, len),
	    offsetof(struct hm_mempool_cache, size),
	    offsetof(struct hm_mempool_cache, flushthresh),
	    offsetof(struct hm_mempool_cache, stats),
	    offsetof(struct hm_mempool_cache, objs),
	    sizeof(struct hm_mempool_chunk),
	    offsetof(struct hm_mempool_chunk, first),
	    offsetof(struct hm_mempool_chunk, nb_objs),
	    sizeof(struct hm_mempool),
	    offsetof(struct hm_mempool, flags),
	    offsetof(struct hm_mempool, cache_fast_max),
	    offsetof(struct hm_mempool, put_cache_max),
	    offsetof(struct hm_mempool, stride_rot),
	    offsetof(struct hm_mempool, ring),
	    offsetof(struct hm_mempool, fast_first),
	    offsetof(struct hm_mempool, fast_nb_objs),
	    offsetof(struct hm_mempool, stride_inv),
	    offsetof(struct hm_mempool, ring_fast_max),
	    offsetof(struct hm_mempool, put_ring_max),
	    offsetof(struct hm_mempool, lcore_cache_off),
	    offsetof(struct hm_mempool, nb_chunks),
	    offsetof(struct hm_mempool, chunks),
	    HM_MEMPOOL_VEC_MIN,
	    HM_MEMPOOL_FAST_ROT,
	    HM_PKTBUF_HEADROOM,
	    HM_PKTBUF_PORT_NONE,
	    sizeof(struct hm_pktbuf),
	    offsetof(struct hm_pktbuf, buf_addr),
	    offsetof(struct hm_pktbuf, buf_iova),
	    offsetof(struct hm_pktbuf, data_off),
	    offsetof(struct hm_pktbuf, refcnt),
	    offsetof(struct hm_pktbuf, nb_segs),
	    offsetof(struct hm_pktbuf, port),
	    offsetof(struct hm_pktbuf, pkt_len),
	    offsetof(struct hm_pktbuf, data_len),
	    offsetof(struct hm_pktbuf, buf_len),
	    offsetof(struct hm_pktbuf, pool),
	    offsetof(struct hm_pktbuf, next),
	    offsetof(struct hm_pktbuf, ol_flags),
	    offsetof(struct hm_pktbuf, packet_type),
	    offsetof(struct hm_pktbuf, hash),
	};
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		h = (h ^ v[i]) * 0x100000001b3ull;
	return h;
}

/**
 * @internal hm_eal_init() of a program whose headers gave it `layout`
 * (hm_layout_id_()). @return as hm_eal_init(), or -EPROTO, with nothing set
 * up, when the library's structures are not laid out as the program's
 * inline calls expect: the program was built against the headers of
 * another libhugemem and must be rebuilt.
 */
int hm_eal_init_layout_(int argc, char **argv, uint64_t layout);

/** @return the library's own hm_layout_id_(). */
uint64_t hm_layout_id(void);

/*
 * A program that includes this header checks, at hm_eal_init(), that the
 * library it runs with lays out the structures as the headers it was
 * built with did. (hm_eal_init) or &hm_eal_init names the plain function.
 */
#define hm_eal_init(argc, argv) hm_eal_init_layout_((argc), (argv), hm_layout_id_())

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_H */
