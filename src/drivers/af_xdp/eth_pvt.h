/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_ETH_PVT_H
#define HM_ETH_PVT_H

/*
 * Ports' private state. Not installed.
 *
 * A port is process-local memory (calloc): its sockets, mappings and BPF
 * objects are this process's and die with it. eth.c owns the table of ports,
 * the checks of every call and the counters; af_xdp.c owns the driver state
 * below (the UMEM geometry, one struct afx_queue per queue, the BPF object
 * and link).
 *
 * A ring (struct afx_ring) is one of the four rings the kernel shares with a
 * socket. The producer writes entries, then publishes them with a release
 * store of *producer; the consumer reads *producer with an acquire load,
 * reads the entries, then hands the slots back with a release store of
 * *consumer. cached_prod and cached_cons are our copies: on a ring we
 * produce to (fill, tx) cached_prod is the next entry we write and
 * cached_cons the kernel's consumer as last read; on a ring we consume
 * (rx, completion) cached_cons is the next entry we read and cached_prod
 * the kernel's producer as last read.
 *
 * Ownership of buffers: every buffer of the pool is at any time either the
 * pool's, a caller's (received, or about to be sent), or the kernel's: on a
 * fill ring, an RX ring, a TX ring, a completion ring, or inside the kernel
 * between two of them. A queue marks the buffers it gave the kernel in its
 * bitmap `held` (bit = object index in the pool), sets the bit when it puts a
 * buffer on the fill or TX ring and clears it when the buffer comes back on
 * the RX or completion ring. At stop, once the socket is closed and the
 * kernel can no longer write, every buffer still marked goes back to the
 * pool: that is how the ones the kernel kept (taken from the fill ring, not
 * yet delivered) come home.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <hugemem/eth.h>
#include <hugemem/mempool.h>

#define ETH "eth"
#define AFX "af_xdp"

#define HM_ETH_PORT_MAGIC 0x54524f504854454dULL /* "METHPORT" */

/* One ring shared with the kernel. */
struct afx_ring {
	_Atomic uint32_t *producer;
	_Atomic uint32_t *consumer;
	_Atomic uint32_t *flags; /* XDP_RING_NEED_WAKEUP */
	void *descs;		 /* uint64_t addresses (fill, completion) or struct xdp_desc */
	uint32_t mask;		 /* entries - 1 */
	uint32_t cached_prod;
	uint32_t cached_cons;
	void *map; /* the mmap()ed ring, map_len bytes */
	size_t map_len;
};

/* Counters of one queue, written only by the thread that polls it. */
struct eth_queue_stats {
	_Atomic uint64_t ipackets;
	_Atomic uint64_t ibytes;
	_Atomic uint64_t opackets;
	_Atomic uint64_t obytes;
	_Atomic uint64_t rx_nombuf;
	_Atomic uint64_t oerrors;
} __attribute__((aligned(64)));

/* One queue: one AF_XDP socket with its own UMEM over the pool. */
struct afx_queue {
	int fd;		  /* the socket, -1 when closed */
	uint16_t dev_qid; /* the device queue it is bound to */
	struct afx_ring fill, comp, rx, tx;
	uint64_t *held;		      /* bitmap of buffers given to the kernel */
	uint32_t nb_held;	      /* bits set in held */
	uint32_t tx_inflight;	      /* buffers on the TX ring or sent, not yet completed */
	_Atomic uint32_t nb_held_pub; /* nb_held for other threads (hm_eth_buffers_held) */
};

/* A range of the pool's objects inside the UMEM (one buddy block). */
struct afx_chunk {
	uint64_t off;	   /* UMEM offset of the first object */
	uint64_t span;	   /* objects * stride */
	uint32_t base_idx; /* pool index of the first object */
};

struct hm_eth_port {
	uint64_t magic;
	uint16_t id;
	bool started;
	bool bad_call_logged; /* one log line for bad fast-path calls, not one per call */
	int ifindex;
	char ifname[HM_ETH_NAMESIZE];
	uint8_t mac[6];
	struct hm_eth_conf conf; /* as given, ifname pointing to our copy, defaults filled */

	/* ---- driver state (af_xdp.c) */
	struct hm_mempool *pool;
	uintptr_t umem_base; /* page-aligned first byte of the UMEM */
	uint64_t umem_len;
	uint32_t stride;    /* the pool's object stride */
	uint32_t buf_off;   /* from an object to its buffer: header + private area */
	uint32_t pool_size; /* objects, bits of each held bitmap */
	uint32_t nb_chunks;
	struct afx_chunk chunks[HM_MEMPOOL_MAX_CHUNKS];
	struct bpf_object *bpf;
	int link_fd; /* the BPF link that attaches the program, -1 when detached */
	struct afx_queue queues[HM_ETH_MAX_QUEUES];

	/* ---- counters (eth.c) */
	struct eth_queue_stats qstats[HM_ETH_MAX_QUEUES];
	struct hm_eth_stats kernel_base;  /* kernel counters at the last reset (subtracted) */
	struct hm_eth_stats kernel_saved; /* kernel counters of sockets closed since */
};

/* af_xdp.c: the driver. The port's common fields are set; conf is checked. */
int afx_configure(struct hm_eth_port *port);
int afx_start(struct hm_eth_port *port);
int afx_stop(struct hm_eth_port *port);
uint16_t afx_rx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n);
uint16_t afx_tx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n);
/* Add the kernel counters of the open sockets to st. */
void afx_kernel_stats(const struct hm_eth_port *port, struct hm_eth_stats *st);

/* Add to a counter only one thread writes. */
static inline void
eth_stat_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

#endif /* HM_ETH_PVT_H */
