/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_ETH_H
#define HUGEMEM_ETH_H

/**
 * @file
 * Ethernet ports: a small poll-mode driver API, and its AF_XDP driver.
 *
 * A port is one network interface driven from user space. It receives into
 * and transmits from struct hm_pktbuf buffers of one packet-buffer pool
 * (hm_pktpool_create()), so received frames land in hugemem memory and the
 * same buffer can be sent on without a copy:
 *
 *   port = hm_eth_configure(&conf);      check the interface and the pool
 *   hm_eth_start(port);                  sockets, rings, XDP program attached
 *   n = hm_eth_rx_burst(port, q, pkts, 32);
 *   ... hm_eth_tx_burst(port, q, pkts, n) ...
 *   hm_eth_stop(port);                   detached; every buffer back in the pool
 *   hm_eth_close(port);
 *
 * The AF_XDP driver (the only one so far) opens one AF_XDP socket per queue.
 * Each socket registers the pool's object memory as its UMEM, so the UMEM is
 * the pool: a frame comes from the pool into the socket's fill ring, the
 * kernel writes it there, and rx_burst hands out that very buffer; a buffer
 * given to tx_burst goes on the TX ring as it is and back to the pool when
 * the kernel completes it. The fill ring is kept topped up from the pool on
 * every rx_burst. An XDP program (built into the library) redirects each
 * queue's frames to its socket; it is attached through a BPF link, so it goes
 * away with the process, however that ends. Frames arriving on a queue
 * without a socket go on to the kernel's stack.
 *
 * Rules:
 *  - configure, start, stop and close come from one control thread while no
 *    thread polls the port;
 *  - queue q (its rx and tx side together) is polled by one thread at a time;
 *    different queues and different ports by different threads at will;
 *  - the statistics may be read from any thread at any time;
 *  - a port belongs to the process that configured it (a socket cannot be
 *    shared); a secondary process drives ports of its own over a pool it
 *    looked up or made, exactly as the primary does.
 *
 * This header is installed, and these functions exist in libhugemem, when it
 * was built with the af_xdp option (libbpf, clang and python3 found).
 */

#include <stdint.h>

#include <hugemem/mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most ports one process configures. */
#define HM_ETH_MAX_PORTS 32
/** Most queues of one port. */
#define HM_ETH_MAX_QUEUES 16
/** Longest interface name, with its NUL (IFNAMSIZ). */
#define HM_ETH_NAMESIZE 16
/** Default descriptors per ring. */
#define HM_ETH_RING_SIZE_DEFAULT 2048
/** Largest ring. */
#define HM_ETH_RING_SIZE_MAX 16384
/** Default AF_XDP frame (UMEM chunk) size. */
#define HM_ETH_FRAME_SIZE_DEFAULT 2048

/** Configuration flags. */
#define HM_ETH_F_NATIVE_XDP 0x1u /**< the driver's own XDP mode instead of generic (SKB) mode */

/** What hm_eth_configure() needs. */
struct hm_eth_conf {
	const char *ifname;	 /**< the interface */
	struct hm_mempool *pool; /**< packet-buffer pool to receive into; its data room is at
				      least frame_size */
	uint16_t nb_queues;	 /**< queues, 1 .. HM_ETH_MAX_QUEUES; 0 means 1 */
	uint16_t first_queue;	 /**< device queue of queue 0; queue q is device queue
				      first_queue + q */
	uint32_t ring_size;	 /**< descriptors of each ring (fill, rx, tx, completion), a power
				      of two 64 .. HM_ETH_RING_SIZE_MAX; 0 means the default */
	uint32_t frame_size;	 /**< bytes the kernel may write per frame, 2048 .. 4096 and at
				      most the pool's data room; 0 means the default */
	uint32_t flags;		 /**< HM_ETH_F_* */
};

/** Counters of a port, summed over its queues. */
struct hm_eth_stats {
	uint64_t ipackets;  /**< frames handed out by rx_burst */
	uint64_t ibytes;    /**< their bytes */
	uint64_t opackets;  /**< frames put on a TX ring */
	uint64_t obytes;    /**< their bytes */
	uint64_t rx_nombuf; /**< fill-ring refills that found the pool empty */
	uint64_t oerrors;   /**< frames tx_burst dropped: longer than a frame, or given twice */
	uint64_t q_ipackets[HM_ETH_MAX_QUEUES]; /**< ipackets per queue */
	uint64_t q_opackets[HM_ETH_MAX_QUEUES]; /**< opackets per queue */
	/* The kernel's counters of the sockets (XDP_STATISTICS), summed. */
	uint64_t rx_dropped;	   /**< frames the kernel dropped for other reasons */
	uint64_t rx_ring_full;	   /**< frames dropped because the RX ring was full */
	uint64_t rx_fill_empty;	   /**< times the fill ring was empty when a frame came */
	uint64_t rx_invalid_descs; /**< bad fill-ring entries */
	uint64_t tx_invalid_descs; /**< bad TX-ring entries */
	uint64_t tx_ring_empty;	   /**< times the kernel found the TX ring empty */
};

/** A configured port (opaque). */
struct hm_eth_port;

/**
 * Configure a port: look up the interface, check the pool (a live
 * packet-buffer pool whose objects lie in memory that can be registered as
 * one UMEM) and the parameters. Nothing is attached to the interface yet.
 *
 * @param conf the configuration; read during the call only
 * @return the port, or NULL with errno: EINVAL (bad argument, a pool that is
 *   no packet pool or has too small a data room), ENODEV (no such interface),
 *   ENOSPC (HM_ETH_MAX_PORTS ports are configured), EBUSY (another port of
 *   this process drives the same interface), ENOTSUP (a pool whose memory
 *   has a hole in it, or no AF_XDP in this build), ENODEV (hugemem is not
 *   initialised).
 */
struct hm_eth_port *hm_eth_configure(const struct hm_eth_conf *conf);

/**
 * Start a port: open the sockets, register the UMEM, fill the fill rings,
 * load the XDP program and attach it to the interface.
 *
 * @return 0; -EINVAL (NULL or not a port), -EALREADY (started), -ENOMEM (no
 *   buffers for the fill rings), -EPERM (no CAP_NET_RAW / CAP_BPF),
 *   -EBUSY (an XDP program is attached to the interface already), or the
 *   negative errno of the failing system call. On failure nothing stays open
 *   or attached and every buffer is back in the pool.
 */
int hm_eth_start(struct hm_eth_port *port);

/**
 * Stop a port: detach the XDP program, wait (up to a second) for frames in
 * flight on the TX rings, free the frames not yet received, close the
 * sockets, and put every buffer the port held back into the pool.
 *
 * @return 0, -EINVAL (NULL or not a port), -EALREADY (not started),
 *   -ETIMEDOUT (the kernel kept frames in flight past the wait: their
 *   buffers went back to the pool all the same, once the sockets were closed).
 */
int hm_eth_stop(struct hm_eth_port *port);

/**
 * Stop the port if it runs, and forget it. NULL is ignored.
 *
 * @return 0, -EINVAL (not a port), or what hm_eth_stop() returned.
 */
int hm_eth_close(struct hm_eth_port *port);

/**
 * Receive up to n frames from queue q. Each is a one-segment hm_pktbuf of
 * the port's pool, with one reference, port set to hm_eth_port_id(), and
 * data_off, data_len and pkt_len set to the frame; the caller frees it
 * (hm_pktbuf_free()) or transmits it. Tops up the fill ring from the pool.
 *
 * @return frames received (0 .. n); 0 with errno EINVAL for a bad port or
 *   queue, ENETDOWN for a port that is not started.
 */
uint16_t hm_eth_rx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n);

/**
 * Transmit up to n frames on queue q. The frames taken are the driver's from
 * then on. A one-segment buffer of the port's pool with a single reference
 * goes on the TX ring as it is and back to the pool when the kernel has sent
 * it; any other frame (another pool's, a chain, a shared buffer) is copied
 * into a buffer of the port's pool and freed at once. A frame longer than
 * frame_size, or a buffer already on the ring, is dropped (the first freed,
 * the second left alone) and counted in oerrors. Buffers the kernel has
 * completed go back to the pool here.
 *
 * @return frames taken (0 .. n), the first ones of pkts; the rest stay the
 *   caller's (the TX ring was full, or the pool had no buffer for a copy).
 *   0 with errno EINVAL or ENETDOWN as hm_eth_rx_burst().
 */
uint16_t hm_eth_tx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n);

/**
 * Read the counters: the driver's, and the kernel's of each socket while the
 * port is started (they are kept at stop).
 *
 * @return 0, -EINVAL.
 */
int hm_eth_stats_get(const struct hm_eth_port *port, struct hm_eth_stats *st);

/**
 * Set every counter to zero (the kernel's: count from now on). From the
 * control thread while no thread polls the port, or a count may be lost.
 * @return 0, -EINVAL.
 */
int hm_eth_stats_reset(struct hm_eth_port *port);

/** @return the port's id, put into each received buffer's port field; UINT16_MAX for NULL. */
uint16_t hm_eth_port_id(const struct hm_eth_port *port);

/** @return the port's interface name, or NULL for NULL. */
const char *hm_eth_ifname(const struct hm_eth_port *port);

/**
 * The interface's MAC address.
 * @return 0, -EINVAL.
 */
int hm_eth_macaddr_get(const struct hm_eth_port *port, uint8_t mac[6]);

/** @return how many buffers the port holds now (in its rings and in flight). */
unsigned int hm_eth_buffers_held(const struct hm_eth_port *port);

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_ETH_H */
