/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands of the buddy allocator: zones, buddyinfo,
 * fragmentation, heaps (DPDK's name for the memory of a socket) and
 * memzones. Built from the public queries only.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hugemem/buddy.h>

#include "telemetry_pvt.h"

static const char *const zone_names[HM_NR_ZONES] = {"DMA32", "Normal"};

typedef void(zone_fn)(json_t *out, const struct hm_zone_stats *st);

/* out[] gets fn's part of every zone that exists, in socket then zone order. */
static json_t *
each_zone(zone_fn *fn)
{
	json_t *out = json_array();

	if (out == NULL)
		return NULL;
	for (int s = 0; s < HM_MAX_NUMA_NODES; s++)
		for (int z = 0; z < HM_NR_ZONES; z++) {
			struct hm_zone_stats st;

			if (hm_buddy_zone_stats(s, (enum hm_zone_type)z, &st) == 0)
				fn(out, &st);
		}
	return out;
}

static json_t *
per_order_u64(const uint64_t *v)
{
	json_t *a = json_array();

	for (int o = 0; a != NULL && o < HM_BUDDY_NR_ORDERS; o++)
		json_array_append_new(a, hm_json_u64(v[o]));
	return a;
}

/* An index x1000 as a number with three decimals, as the kernel prints it. */
static json_t *
per_order_index(const int32_t *v)
{
	json_t *a = json_array();

	for (int o = 0; a != NULL && o < HM_BUDDY_NR_ORDERS; o++)
		json_array_append_new(a, json_real(v[o] / 1000.0));
	return a;
}

static void
zone_buddyinfo(json_t *out, const struct hm_zone_stats *st)
{
	json_array_append_new(out, json_pack("{s:i, s:s, s:o}", "socket", st->socket_id, "zone",
					     zone_names[st->zone], "free_blocks",
					     per_order_u64(st->nr_free)));
}

static void
zone_frag(json_t *out, const struct hm_zone_stats *st)
{
	json_array_append_new(out, json_pack("{s:i, s:s, s:o, s:o}", "socket", st->socket_id,
					     "zone", zone_names[st->zone], "extfrag",
					     per_order_index(st->extfrag), "unusable",
					     per_order_index(st->unusable)));
}

static void
zone_detail(json_t *out, const struct hm_zone_stats *st)
{
	json_array_append_new(
	    out,
	    json_pack("{s:i, s:s, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o, s:o, s:o, s:o}",
		      "socket", st->socket_id, "zone", zone_names[st->zone], "managed_pages",
		      hm_json_u64(st->managed_pages), "free_pages", hm_json_u64(st->free_pages),
		      "pcp_pages", hm_json_u64(st->pcp_pages), "watermarks", "min",
		      hm_json_u64(st->wm.min), "low", hm_json_u64(st->wm.low), "high",
		      hm_json_u64(st->wm.high), "lowmem_reserve", hm_json_u64(st->lowmem_reserve),
		      "low_crossings", hm_json_u64(st->low_crossings), "allocs",
		      per_order_u64(st->allocs), "frees", per_order_u64(st->frees), "failures",
		      per_order_u64(st->failures)));
}

static json_t *
cmd_buddyinfo(const char *cmd, const char *params)
{
	(void)cmd;
	(void)params;
	return each_zone(zone_buddyinfo);
}

static json_t *
cmd_frag(const char *cmd, const char *params)
{
	(void)cmd;
	(void)params;
	return each_zone(zone_frag);
}

static json_t *
cmd_zones(const char *cmd, const char *params)
{
	(void)cmd;
	(void)params;
	return each_zone(zone_detail);
}

/* ----------------------------------------------------- heaps (sockets) */

struct heap {
	uint64_t managed, free, largest_free;
	bool exists;
};

static bool
heap_of(int socket, struct heap *h)
{
	memset(h, 0, sizeof(*h));
	for (int z = 0; z < HM_NR_ZONES; z++) {
		struct hm_zone_stats st;

		if (hm_buddy_zone_stats(socket, (enum hm_zone_type)z, &st) != 0)
			continue;
		h->exists = true;
		h->managed += st.managed_pages;
		h->free += st.free_pages + st.pcp_pages;
		for (int o = HM_BUDDY_MAX_ORDER; o >= 0; o--)
			if (st.nr_free[o] != 0) {
				if ((1ull << o) > h->largest_free)
					h->largest_free = 1ull << o;
				break;
			}
	}
	return h->exists;
}

static json_t *
cmd_heap_list(const char *cmd, const char *params)
{
	json_t *out = json_array();
	struct heap h;

	(void)cmd;
	(void)params;
	for (int s = 0; out != NULL && s < HM_MAX_NUMA_NODES; s++)
		if (heap_of(s, &h))
			json_array_append_new(out, json_integer(s));
	return out;
}

static bool
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

static json_t *
cmd_heap_info(const char *cmd, const char *params)
{
	unsigned long s;
	struct heap h;
	char name[16];

	(void)cmd;
	if (!parse_uint(params, HM_MAX_NUMA_NODES - 1, &s) || !heap_of((int)s, &h))
		return NULL;
	snprintf(name, sizeof(name), "socket_%lu", s);
	return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "Heap_id", (int)s, "Name", name,
			 "Heap_size", hm_json_u64(h.managed * HM_BUDDY_PAGE_SIZE), "Free_size",
			 hm_json_u64(h.free * HM_BUDDY_PAGE_SIZE), "Alloc_size",
			 hm_json_u64((h.managed - h.free) * HM_BUDDY_PAGE_SIZE),
			 "Greatest_free_size", hm_json_u64(h.largest_free * HM_BUDDY_PAGE_SIZE));
}

/* ------------------------------------------------------------ memzones */

static int
memzone_name(const struct hm_memzone *mz, void *arg)
{
	json_array_append_new(arg, json_string(mz->name));
	return 0;
}

static json_t *
cmd_memzone_list(const char *cmd, const char *params)
{
	json_t *out = json_array();

	(void)cmd;
	(void)params;
	if (out != NULL)
		hm_memzone_walk(memzone_name, out);
	return out;
}

/* Inside the walk, so the memzone cannot be freed while it is read. */
static int
memzone_by_name(const struct hm_memzone *mz, void *arg)
{
	struct hm_telemetry_by_name *b = arg;
	char addr[32];

	if (strcmp(mz->name, b->name) != 0)
		return 0;
	snprintf(addr, sizeof(addr), "%p", mz->addr);
	b->out = json_pack("{s:s, s:o, s:i, s:s, s:o, s:i}", "Name", mz->name, "Length",
			   hm_json_u64(mz->len), "Socket", mz->socket_id, "Address", addr, "IOVA",
			   hm_json_u64(mz->iova), "Flags", (int)mz->flags);
	return 1;
}

static json_t *
cmd_memzone_info(const char *cmd, const char *params)
{
	struct hm_telemetry_by_name b = {.name = params};

	(void)cmd;
	if (params == NULL || strlen(params) >= HM_MEMZONE_NAMESIZE)
		return NULL;
	hm_memzone_walk(memzone_by_name, &b);
	return b.out;
}

void
hm_buddy_telemetry(void)
{
	hm_telemetry_register(
	    "/hugemem/buddyinfo", cmd_buddyinfo,
	    "Returns the free blocks per order of every zone. Takes no parameters");
	hm_telemetry_register(
	    "/hugemem/frag", cmd_frag,
	    "Returns the extfrag and unusable free space indexes per order of every "
	    "zone. Takes no parameters");
	hm_telemetry_register(
	    "/hugemem/zones", cmd_zones,
	    "Returns every zone's pages, watermarks, reserve and counters. Takes no "
	    "parameters");
	hm_telemetry_register("/eal/heap_list", cmd_heap_list,
			      "Returns the heaps (sockets) with memory. Takes no parameters");
	hm_telemetry_register("/eal/heap_info", cmd_heap_info,
			      "Returns the sizes of a heap. Parameter: the heap (socket) id");
	hm_telemetry_register("/eal/memzone_list", cmd_memzone_list,
			      "Returns the memzone names. Takes no parameters");
	hm_telemetry_register(
	    "/eal/memzone_info", cmd_memzone_info,
	    "Returns a memzone's length, socket, address and IOVA. Parameter: its "
	    "name");
}
