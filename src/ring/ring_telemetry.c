/* SPDX-License-Identifier: BSD-3-Clause */
/* Telemetry command of the rings: /hugemem/rings. */

#include <hugemem/ring.h>

#include "telemetry_pvt.h"

static int
ring_entry(struct hm_ring *r, void *arg)
{
	json_array_append_new(
	    arg, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "name", r->name, "producer",
			   (r->flags & HM_RING_SP_ENQ) ? "single" : "multi", "consumer",
			   (r->flags & HM_RING_SC_DEQ) ? "single" : "multi", "size", (int)r->size,
			   "capacity", (int)r->capacity, "esize", (int)r->esize, "count",
			   (int)hm_ring_count(r), "free", (int)hm_ring_free_count(r)));
	return 0;
}

static json_t *
cmd_rings(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	if (out != NULL)
		hm_ring_walk(ring_entry, out);
	return out;
}

void
hm_ring_telemetry(void)
{
	hm_telemetry_register_list("/hugemem/rings", cmd_rings,
				   "Returns every named ring: modes, slots, capacity, element size "
				   "and fill, 64 a reply. Parameter: the first (default 0); an "
				   "empty list past the last",
				   64);
}
