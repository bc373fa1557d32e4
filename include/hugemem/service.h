/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_SERVICE_H
#define HUGEMEM_SERVICE_H

/**
 * @file
 * The service of the primary: the process table, the detection of dead
 * secondaries and the reclaim of what they held.
 *
 * The primary runs one service thread. It watches every registered
 * secondary through a pidfd; when one dies (or detaches leaving memory
 * allocated) it takes back, in this order: the contents of the dead
 * process's lcore caches (mempools, slab caches, buddy page lists), the
 * objects of HM_MEMPOOL_OWNED pools it had taken, its buddy blocks, and
 * the memzones it made without HM_MEMZONE_PERSIST; and, if it died, the
 * count of its threads waiting in hm_mempool_alloc(). Then its lcore ids and
 * its process table slot are free again. Each reclaim is recorded.
 */

#include <stdbool.h>
#include <stdint.h>

#include <hugemem/eal.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One attached process, as hm_proc_walk() shows it. */
struct hm_proc_info {
	unsigned int slot; /**< process table slot: the owner of its blocks */
	int32_t pid;
	enum hm_proc_type type;
	const char *state;		  /**< "live", "detached", "reclaiming" or "starting" */
	uint64_t attach_ns;		  /**< CLOCK_REALTIME of its attach */
	uint8_t lcores[HM_MAX_LCORE / 8]; /**< its lcore ids, a bitmap */
	unsigned int nb_lcores;
	uint64_t dma_pages;    /**< 4 KiB pages of the buddy blocks and memzones it owns */
	uint32_t dma_blocks;   /**< buddy blocks it owns (memzones apart) */
	uint32_t memzones;     /**< memzones it owns */
	uint64_t mempool_objs; /**< objects of HM_MEMPOOL_OWNED pools it holds */
	uint64_t slab_objs;    /**< objects of HM_SLAB_OWNED caches it holds */
};

/**
 * Call fn for every process in the table, in slot order, until it returns
 * non-zero. Works in every attached process.
 *
 * @return fn's non-zero value, 0, or -ENODEV (not initialised), -EINVAL.
 */
int hm_proc_walk(int (*fn)(const struct hm_proc_info *p, void *arg), void *arg);

/** Most reclaims the service remembers; older ones are dropped. */
#define HM_RECLAIM_LOG_SIZE 32

/** What the service took back from one process. */
struct hm_reclaim_info {
	uint64_t seq; /**< 1 for the first reclaim since the primary started */
	int32_t pid;
	unsigned int slot;
	char cause[16];		  /**< "died" or "detached" */
	uint64_t time_ns;	  /**< CLOCK_REALTIME when the reclaim ended */
	uint64_t duration_ns;	  /**< from noticing the process gone to done */
	uint32_t nb_lcores;	  /**< lcore ids given back */
	uint32_t dma_blocks;	  /**< buddy blocks freed */
	uint32_t memzones;	  /**< memzones freed */
	uint64_t dma_pages;	  /**< 4 KiB pages of those blocks and memzones */
	uint64_t mempool_objs;	  /**< HM_MEMPOOL_OWNED objects it held, put back */
	uint64_t slab_objs;	  /**< HM_SLAB_OWNED objects it held, freed */
	uint64_t mempool_cached;  /**< objects in its lcores' mempool caches */
	uint64_t slab_cached;	  /**< objects in its lcores' slab array caches */
	uint64_t pcp_pages;	  /**< pages in its lcores' buddy page lists */
	uint64_t mempool_waiters; /**< its threads that died waiting in hm_mempool_alloc() */
};

/**
 * Call fn for each recorded reclaim, newest first, until it returns
 * non-zero. @return fn's non-zero value, 0, -ENODEV or -EINVAL.
 */
int hm_reclaim_walk(int (*fn)(const struct hm_reclaim_info *r, void *arg), void *arg);

/** The service's counters. */
struct hm_service_stats {
	bool running;	     /**< the service thread runs */
	int32_t pid;	     /**< of the primary that runs it */
	uint64_t start_ns;   /**< CLOCK_REALTIME of its start */
	uint64_t wakeups;    /**< times the loop woke up */
	uint64_t attaches;   /**< secondaries it started watching */
	uint64_t deaths;     /**< secondaries it found dead */
	uint64_t detaches;   /**< secondaries that detached */
	uint64_t reclaims;   /**< reclaims done (deaths and detaches) */
	uint64_t reclaim_ns; /**< total time spent reclaiming */
	uint64_t errors;     /**< pidfds that could not be opened and the like */

	/* The poll loop over the request rings. */
	bool idle_mode;	      /**< --service-mode=idle: it sleeps when there is no work */
	uint64_t loops;	      /**< passes over the request rings */
	uint64_t sleeps;      /**< idle mode: times it slept */
	uint64_t requests;    /**< requests answered, whatever the answer */
	uint64_t failed;      /**< answered with an error (malformed ones included) */
	uint64_t malformed;   /**< refused by the decoder */
	uint64_t dropped;     /**< answers that found the client's response ring full */
	uint64_t ops[8];      /**< requests per operation (see hm_service_op_name()) */
	uint64_t lat_mean_ns; /**< from the client's send to the answer, mean */
	uint64_t lat_p50_ns;  /**< median, to a power of two (the upper bound of its bucket) */
	uint64_t lat_p99_ns;  /**< 99th percentile, likewise */
	uint64_t lat_max_ns;
};

/** @return 0 and the counters, -ENODEV (not initialised) or -EINVAL. */
int hm_service_stats_get(struct hm_service_stats *st);

/** Name of operation `op` of hm_service_stats.ops, "unknown" past the last. */
const char *hm_service_op_name(unsigned int op);

/**
 * A request that does nothing, sent to the primary's service and answered:
 * a secondary's check that the service runs, and its round trip.
 *
 * @return 0; -ENOTSUP in a primary or where no service runs; -ENOTCONN when
 *   the primary has exited; -ETIMEDOUT when no answer came in 5 s.
 */
int hm_service_ping(void);

#ifdef __cplusplus
}
#endif

#endif /* HUGEMEM_SERVICE_H */
