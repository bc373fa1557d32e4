/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_RING_PVT_H
#define HM_RING_PVT_H

/* The ring subsystem in the eal's table of subsystems. Not installed. */

#include <hugemem/ring.h>

#include "eal_pvt.h"

int hm_ring_subsys_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_ring_subsys_cleanup(enum hm_proc_type type);

#endif /* HM_RING_PVT_H */
