/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The subsystems hm_eal_init() brings up after the EAL, in dependency order
 * (DESIGN.md: eal -> memory -> buddy -> slab, ring, mempool -> service
 * -> telemetry). Cleanup runs this list backwards. This is the one file that
 * knows every subsystem, so that eal itself includes none of them.
 */

#include "eal_pvt.h"
#include "memory_pvt.h"
#include "buddy_pvt.h"
#include "slab_pvt.h"
#include "ring_pvt.h"
#include "mempool_pvt.h"
#include "service_pvt.h"
#include "telemetry_pvt.h"

const struct hm_subsystem hm_subsystems[] = {
    {"memory", hm_memory_init, hm_memory_cleanup, hm_memory_telemetry},
    {"buddy", hm_buddy_init, hm_buddy_cleanup, hm_buddy_telemetry},
    {"slab", hm_slab_init, hm_slab_cleanup, hm_slab_telemetry},
    {"ring", hm_ring_subsys_init, hm_ring_subsys_cleanup, hm_ring_telemetry},
    {"mempool", hm_mempool_subsys_init, hm_mempool_subsys_cleanup, hm_mempool_telemetry},
    {"service", hm_service_init, hm_service_cleanup, hm_service_telemetry},
    {"telemetry", hm_telemetry_init, hm_telemetry_cleanup, NULL},
};

const unsigned int hm_nb_subsystems = HM_DIM(hm_subsystems);
