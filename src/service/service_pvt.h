/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_SERVICE_PVT_H
#define HM_SERVICE_PVT_H

/*
 * The service's private state. Not installed.
 *
 * The primary's service thread is the only writer of struct service_shared
 * (in the shared config's arena, so secondaries read it too): its counters
 * and the log of the last HM_RECLAIM_LOG_SIZE reclaims, under log_lock.
 *
 * Death detection: every SCAN_MS the thread scans the process table for
 * secondaries it does not watch yet and opens a pidfd for each (checking
 * the start time, so a reused pid is not mistaken for the process that
 * registered); then it sleeps in poll() on those pidfds and an eventfd
 * that stops it. A pidfd turns readable when its process exits, so a death
 * is noticed at once, and at worst within SCAN_MS of the registration.
 */

#include <pthread.h>
#include <stdatomic.h>

#include <hugemem/ring.h>
#include <hugemem/service.h>

#include "eal_pvt.h"
#include "memory_pvt.h"

#define SERVICE "service"

#define SVC_LAT_BUCKETS 40 /* log2 buckets of request latency in ns */

/* One process slot's channel to the service: see service_msg.h. */
struct svc_chan {
	struct hm_ring *req; /* client -> service */
	struct hm_ring *rsp; /* service -> client */
	_Atomic uint64_t requests;
	_Atomic uint64_t failed;    /* answered with an error */
	_Atomic uint64_t malformed; /* refused by the decoder */
	_Atomic uint64_t dropped;   /* responses the client left unread, ring full */
};

struct service_shared {
	pthread_mutex_t log_lock;
	_Atomic int32_t running_pid; /* the primary while its thread runs, else 0 */
	uint64_t start_ns;
	_Atomic uint64_t wakeups;
	_Atomic uint64_t attaches;
	_Atomic uint64_t deaths;
	_Atomic uint64_t detaches;
	_Atomic uint64_t reclaims;
	_Atomic uint64_t reclaim_ns;
	_Atomic uint64_t errors;
	uint64_t log_seq; /* reclaims logged; entry seq % size is the newest */
	struct hm_reclaim_info log[HM_RECLAIM_LOG_SIZE];

	/* The poll loop. */
	uint32_t idle_mode;	     /* --service-mode=idle */
	_Atomic uint32_t sleeping;   /* the loop is about to sleep or sleeps on doorbell */
	_Atomic uint32_t doorbell;   /* a futex word: clients bump it to wake the loop */
	_Atomic uint64_t loops;	     /* passes over the channels */
	_Atomic uint64_t sleeps;     /* times the idle loop slept */
	_Atomic uint64_t requests;   /* answered, whatever the answer */
	_Atomic uint64_t failed;     /* answered with an error */
	_Atomic uint64_t malformed;  /* refused by the decoder */
	_Atomic uint64_t dropped;    /* responses that found the response ring full */
	_Atomic uint64_t lat_sum_ns; /* from the client's send to the response */
	_Atomic uint64_t lat_max_ns;
	_Atomic uint64_t lat_hist[SVC_LAT_BUCKETS]; /* bucket b: [2^b, 2^(b+1)) ns */
	_Atomic uint64_t ops[8];		    /* per enum hm_svc_op */
	struct svc_chan chan[HM_MAX_PROCS];
};

int hm_service_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_service_cleanup(enum hm_proc_type type);
void hm_service_telemetry(void);

/* The shared state, or NULL before init. */
struct service_shared *hm_service_shared(void);

/* service_serve.c: answer up to `burst` requests of a slot. @return how many. */
unsigned int hm_service_serve(struct service_shared *sh, unsigned int slot, unsigned int burst);
/* Lay out the channels' rings in the arena (primary init). */
int hm_service_chans_init(struct service_shared *sh);
/* Empty a slot's rings, for the slot's next process. */
void hm_service_chan_reset(struct service_shared *sh, unsigned int slot);

/* service_client.c: route a secondary's buddy and memzone changes to the service. */
int hm_service_client_init(struct service_shared *sh);
void hm_service_client_cleanup(void);

/* futex(2) on a word of shared memory. */
void hm_futex_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t timeout_ns);
void hm_futex_wake(_Atomic uint32_t *addr);

#endif /* HM_SERVICE_PVT_H */
