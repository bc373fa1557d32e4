/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports (eth.h): the per-process table of ports, the checks of every call,
 * and the counters. The AF_XDP driver behind them is af_xdp.c.
 *
 * The table is this process's context: HM_ETH_MAX_PORTS slots, a port's id
 * is its slot. It changes under ctx.lock only (configure, close), and ports
 * are never shared with other processes: each holds file descriptors.
 *
 * Counters: the driver's are per queue (eth_queue_stats), written with
 * relaxed load+store by the one thread that polls the queue and read with
 * relaxed loads by anyone. The kernel's (XDP_STATISTICS) are read from the
 * sockets when asked; the counts of sockets already closed are kept in
 * kernel_saved, and a reset moves the current totals into kernel_base.
 */

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eth_pvt.h"
#include "hm_common.h"
#include "mempool_pvt.h"

#define FRAME_SIZE_MIN 2048u /* XDP_UMEM_MIN_CHUNK_SIZE */
#define FRAME_SIZE_MAX 4096u /* unaligned chunks are at most a page */
#define RING_SIZE_MIN  64u
#define ETH_FLAGS      HM_ETH_F_NATIVE_XDP

static struct {
	pthread_mutex_t lock;
	struct hm_eth_port *ports[HM_ETH_MAX_PORTS];
} ctx = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool
is_port(const struct hm_eth_port *port)
{
	return port != NULL && port->magic == HM_ETH_PORT_MAGIC;
}

/* ---------------------------------------------------------- configure */

/* Why conf cannot be used, or NULL. */
static const char *
bad_conf(const struct hm_eth_conf *conf)
{
	const struct hm_mempool *mp = conf->pool;

	if (conf->ifname == NULL || conf->ifname[0] == '\0')
		return "no interface name";
	if (strnlen(conf->ifname, HM_ETH_NAMESIZE) >= HM_ETH_NAMESIZE)
		return "interface name longer than 15 characters";
	if (mp == NULL)
		return "pool is NULL";
	if (!hm_mempool_is_pool(mp))
		return "pool is not a live pool";
	if (mp->pktbuf_data_room == 0)
		return "pool is not a packet-buffer pool (hm_pktpool_create)";
	if (conf->nb_queues > HM_ETH_MAX_QUEUES)
		return "more queues than HM_ETH_MAX_QUEUES";
	if ((uint32_t)conf->first_queue + (conf->nb_queues ? conf->nb_queues : 1) > UINT16_MAX)
		return "queue numbers past 65535";
	if (conf->ring_size != 0 &&
	    (!HM_IS_POW2(conf->ring_size) || conf->ring_size < RING_SIZE_MIN ||
	     conf->ring_size > HM_ETH_RING_SIZE_MAX))
		return "ring size is not a power of two from 64 to 16384";
	if (conf->frame_size != 0 &&
	    (conf->frame_size < FRAME_SIZE_MIN || conf->frame_size > FRAME_SIZE_MAX))
		return "frame size is not 2048 .. 4096";
	if ((conf->frame_size ? conf->frame_size : HM_ETH_FRAME_SIZE_DEFAULT) >
	    mp->pktbuf_data_room)
		return "pool's data room is smaller than the frame size";
	if (conf->flags & ~ETH_FLAGS)
		return "unknown flags";
	return NULL;
}

static int
read_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

struct hm_eth_port *
hm_eth_configure(const struct hm_eth_conf *conf)
{
	const char *why = conf == NULL ? "configuration is NULL" : bad_conf(conf);
	struct hm_eth_port *port;
	int slot = -1, ret;

	if (!hm_eal_initialized()) {
		HM_LOG(ERR, ETH, "configure port: hugemem is not initialised");
		errno = ENODEV;
		return NULL;
	}
	if (why != NULL) {
		HM_LOG(ERR, ETH, "configure port %.*s: %s", HM_ETH_NAMESIZE,
		       conf != NULL && conf->ifname != NULL ? conf->ifname : "(none)", why);
		errno = EINVAL;
		return NULL;
	}
	port = calloc(1, sizeof(*port));
	if (port == NULL) {
		HM_LOG(ERR, ETH, "configure port %s: no memory", conf->ifname);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(port->ifname, conf->ifname, strlen(conf->ifname) + 1);
	port->conf = *conf;
	port->conf.ifname = port->ifname;
	if (port->conf.nb_queues == 0)
		port->conf.nb_queues = 1;
	if (port->conf.ring_size == 0)
		port->conf.ring_size = HM_ETH_RING_SIZE_DEFAULT;
	if (port->conf.frame_size == 0)
		port->conf.frame_size = HM_ETH_FRAME_SIZE_DEFAULT;
	port->ifindex = (int)if_nametoindex(port->ifname);
	if (port->ifindex == 0) {
		HM_LOG(ERR, ETH, "configure port %s: no such interface", port->ifname);
		free(port);
		errno = ENODEV;
		return NULL;
	}
	ret = read_mac(port->ifname, port->mac);
	if (ret == 0)
		ret = afx_configure(port);
	else
		HM_LOG(ERR, ETH, "configure port %s: read the MAC address: %s", port->ifname,
		       strerror(-ret));
	pthread_mutex_lock(&ctx.lock);
	for (int i = 0; ret == 0 && i < HM_ETH_MAX_PORTS; i++) {
		if (ctx.ports[i] == NULL) {
			if (slot < 0)
				slot = i;
		} else if (ctx.ports[i]->ifindex == port->ifindex) {
			HM_LOG(ERR, ETH, "configure port %s: port %d of this process drives it",
			       port->ifname, i);
			ret = -EBUSY;
		}
	}
	if (ret == 0 && slot < 0) {
		HM_LOG(ERR, ETH, "configure port %s: %d ports are configured already", port->ifname,
		       HM_ETH_MAX_PORTS);
		ret = -ENOSPC;
	}
	if (ret == 0) {
		port->id = (uint16_t)slot;
		port->magic = HM_ETH_PORT_MAGIC;
		ctx.ports[slot] = port;
	}
	pthread_mutex_unlock(&ctx.lock);
	if (ret < 0) {
		free(port);
		errno = -ret;
		return NULL;
	}
	return port;
}

/* ------------------------------------------------------ start, stop */

int
hm_eth_start(struct hm_eth_port *port)
{
	int ret;

	if (!is_port(port)) {
		HM_LOG(ERR, ETH, "start: %s", port == NULL ? "port is NULL" : "not a port");
		return -EINVAL;
	}
	if (port->started) {
		HM_LOG(ERR, ETH, "start port %s: started already", port->ifname);
		return -EALREADY;
	}
	ret = afx_start(port);
	if (ret == 0)
		port->started = true;
	return ret;
}

int
hm_eth_stop(struct hm_eth_port *port)
{
	if (!is_port(port)) {
		HM_LOG(ERR, ETH, "stop: %s", port == NULL ? "port is NULL" : "not a port");
		return -EINVAL;
	}
	if (!port->started) {
		HM_LOG(ERR, ETH, "stop port %s: not started", port->ifname);
		return -EALREADY;
	}
	port->started = false;
	return afx_stop(port);
}

int
hm_eth_close(struct hm_eth_port *port)
{
	int ret = 0;

	if (port == NULL)
		return 0;
	if (!is_port(port)) {
		HM_LOG(ERR, ETH, "close: not a port");
		return -EINVAL;
	}
	if (port->started) {
		port->started = false;
		ret = afx_stop(port);
	}
	pthread_mutex_lock(&ctx.lock);
	ctx.ports[port->id] = NULL;
	pthread_mutex_unlock(&ctx.lock);
	port->magic = 0;
	free(port);
	return ret;
}

/* ------------------------------------------------------- fast paths */

/* Whether a burst call may go on; else errno is set and one line logged per port. */
static bool
burst_ok(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n,
	 const char *what)
{
	const char *why;
	int err = EINVAL;

	if (hm_likely(is_port(port) && port->started && q < port->conf.nb_queues &&
		      (pkts != NULL || n == 0)))
		return true;
	if (!is_port(port)) {
		HM_LOG(ERR, ETH, "%s: %s", what, port == NULL ? "port is NULL" : "not a port");
		errno = EINVAL;
		return false;
	}
	if (!port->started) {
		why = "port is not started";
		err = ENETDOWN;
	} else if (q >= port->conf.nb_queues) {
		why = "no such queue";
	} else {
		why = "packet table is NULL";
	}
	if (!port->bad_call_logged)
		HM_LOG(ERR, ETH, "%s on port %s queue %u: %s (logged once)", what, port->ifname, q,
		       why);
	port->bad_call_logged = true;
	errno = err;
	return false;
}

uint16_t
hm_eth_rx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n)
{
	if (!burst_ok(port, q, pkts, n, "rx_burst"))
		return 0;
	return n == 0 ? 0 : afx_rx_burst(port, q, pkts, n);
}

uint16_t
hm_eth_tx_burst(struct hm_eth_port *port, uint16_t q, struct hm_pktbuf **pkts, uint16_t n)
{
	if (!burst_ok(port, q, pkts, n, "tx_burst"))
		return 0;
	return n == 0 ? 0 : afx_tx_burst(port, q, pkts, n);
}

/* ---------------------------------------------------------- counters */

static uint64_t
ld(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* The kernel's counters now: of the open sockets and of those closed. */
static void
kernel_totals(const struct hm_eth_port *port, struct hm_eth_stats *k)
{
	*k = port->kernel_saved;
	if (port->started)
		afx_kernel_stats(port, k);
}

int
hm_eth_stats_get(const struct hm_eth_port *port, struct hm_eth_stats *st)
{
	struct hm_eth_stats k;

	if (!is_port(port) || st == NULL) {
		HM_LOG(ERR, ETH, "stats_get: %s",
		       st == NULL     ? "stats is NULL"
		       : port == NULL ? "port is NULL"
				      : "not a port");
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	for (unsigned int q = 0; q < port->conf.nb_queues; q++) {
		const struct eth_queue_stats *s = &port->qstats[q];

		st->q_ipackets[q] = ld(&s->ipackets);
		st->q_opackets[q] = ld(&s->opackets);
		st->ipackets += st->q_ipackets[q];
		st->opackets += st->q_opackets[q];
		st->ibytes += ld(&s->ibytes);
		st->obytes += ld(&s->obytes);
		st->rx_nombuf += ld(&s->rx_nombuf);
		st->oerrors += ld(&s->oerrors);
	}
	kernel_totals(port, &k);
	st->rx_dropped = k.rx_dropped - port->kernel_base.rx_dropped;
	st->rx_ring_full = k.rx_ring_full - port->kernel_base.rx_ring_full;
	st->rx_fill_empty = k.rx_fill_empty - port->kernel_base.rx_fill_empty;
	st->rx_invalid_descs = k.rx_invalid_descs - port->kernel_base.rx_invalid_descs;
	st->tx_invalid_descs = k.tx_invalid_descs - port->kernel_base.tx_invalid_descs;
	st->tx_ring_empty = k.tx_ring_empty - port->kernel_base.tx_ring_empty;
	return 0;
}

int
hm_eth_stats_reset(struct hm_eth_port *port)
{
	if (!is_port(port)) {
		HM_LOG(ERR, ETH, "stats_reset: %s", port == NULL ? "port is NULL" : "not a port");
		return -EINVAL;
	}
	for (unsigned int q = 0; q < HM_ETH_MAX_QUEUES; q++) {
		struct eth_queue_stats *s = &port->qstats[q];

		atomic_store_explicit(&s->ipackets, 0, memory_order_relaxed);
		atomic_store_explicit(&s->ibytes, 0, memory_order_relaxed);
		atomic_store_explicit(&s->opackets, 0, memory_order_relaxed);
		atomic_store_explicit(&s->obytes, 0, memory_order_relaxed);
		atomic_store_explicit(&s->rx_nombuf, 0, memory_order_relaxed);
		atomic_store_explicit(&s->oerrors, 0, memory_order_relaxed);
	}
	kernel_totals(port, &port->kernel_base);
	return 0;
}

/* ---------------------------------------------------------- queries */

uint16_t
hm_eth_port_id(const struct hm_eth_port *port)
{
	return is_port(port) ? port->id : UINT16_MAX;
}

const char *
hm_eth_ifname(const struct hm_eth_port *port)
{
	return is_port(port) ? port->ifname : NULL;
}

int
hm_eth_macaddr_get(const struct hm_eth_port *port, uint8_t mac[6])
{
	if (!is_port(port) || mac == NULL) {
		HM_LOG(ERR, ETH, "macaddr_get: %s", mac == NULL ? "mac is NULL" : "not a port");
		return -EINVAL;
	}
	memcpy(mac, port->mac, 6);
	return 0;
}

unsigned int
hm_eth_buffers_held(const struct hm_eth_port *port)
{
	unsigned int n = 0;

	if (!is_port(port))
		return 0;
	for (unsigned int q = 0; q < port->conf.nb_queues; q++)
		n += atomic_load_explicit(&port->queues[q].nb_held_pub, memory_order_relaxed);
	return n;
}
