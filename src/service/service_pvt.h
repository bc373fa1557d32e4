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

#include <hugemem/service.h>

#include "eal_pvt.h"

#define SERVICE "service"

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
};

int hm_service_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_service_cleanup(enum hm_proc_type type);
void hm_service_telemetry(void);

/* The shared state, or NULL before init. */
struct service_shared *hm_service_shared(void);

#endif /* HM_SERVICE_PVT_H */
