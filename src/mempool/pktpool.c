/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-buffer pools: a mempool whose objects are
 *
 *   [struct hm_pktbuf: 64 B][private area: priv_size][buffer: data_room]
 *
 * with the buffer's address and IOVA written once, at creation. An object
 * lies in one buddy block, so the buffer is contiguous in IOVA and a NIC can
 * DMA into all of it.
 */

#include "mempool_pvt.h"

#define PKTBUF_MAX_PRIV 1024u

static void
pktbuf_init(struct hm_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	const struct mempool_pkt_args *pkt = arg;
	struct hm_pktbuf *m = obj;
	uint32_t off = (uint32_t)sizeof(*m) + pkt->priv_size;

	(void)idx;
	memset(m, 0, sizeof(*m));
	m->buf_addr = (char *)obj + off;
	m->buf_iova = hm_mempool_obj_iova(obj) + off;
	m->buf_len = (uint16_t)pkt->data_room;
	m->pool = mp;
	atomic_init(&m->refcnt, 0);
	hm_pktbuf_reset(m);
}

struct hm_mempool *
hm_pktpool_create(const char *name, unsigned int n, unsigned int cache_size, uint16_t priv_size,
		  uint16_t data_room, int socket)
{
	struct mempool_pkt_args pkt = {.priv_size = priv_size, .data_room = data_room};

	if (priv_size % 8 != 0 || priv_size > PKTBUF_MAX_PRIV || data_room == 0) {
		HM_LOG(ERR, MEMPOOL, "create packet pool %.*s: bad %s (priv_size %u, data_room %u)",
		       HM_MEMPOOL_NAMESIZE, name ? name : "(null)",
		       data_room == 0 ? "data room (zero)"
				      : "private size (a multiple of 8, at most 1024)",
		       priv_size, data_room);
		errno = EINVAL;
		return NULL;
	}
	return hm_mempool_create_pkt(name, n,
				     (unsigned int)sizeof(struct hm_pktbuf) + priv_size + data_room,
				     cache_size, 0, pktbuf_init, &pkt, socket, 0, &pkt);
}
